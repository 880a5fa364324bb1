"""Run under the launcher: DDP on models that are not a plain chain. For each, the DDP
gradient must equal the average over ranks of the gradient each rank computes alone.
Prints one JSON line per rank: the largest difference per case, and the unused-parameter
error message."""
import json

import numpy as np

import pygrad as pg
import pygrad.distributed as dist
from pygrad import nn

dist.init_process_group("mpi")
rank, world = dist.get_rank(), dist.get_world_size()


class Shared(nn.Module):
    """One weight read by two ops, a layer called twice, and a parameter read directly."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.scale = nn.Parameter(pg.ones(4))
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        h = self.fc(x).tanh()
        h = self.fc(h * self.scale) + h @ self.fc.weight
        return self.head(h)


class WithUnused(nn.Module):
    def __init__(self):
        super().__init__()
        self.used = nn.Linear(4, 2)
        self.unused = nn.Linear(4, 2)

    def forward(self, x):
        return self.used(x)


def check(make, find_unused=False, compare=True):
    pg.manual_seed(3)
    model = make().to(pg.float64)
    ddp = dist.DDP(model, find_unused_parameters=find_unused, bucket_cap_mb=1e-4)
    x = pg.tensor(np.random.default_rng(rank).normal(size=(5, 4)))
    ddp(x).square().sum().backward()
    if not compare:
        return None, ddp
    got = {n: p.grad.numpy().copy() for n, p in model.named_parameters()}
    model.zero_grad()
    model(x).square().sum().backward()
    worst = 0.0
    for n, p in model.named_parameters():
        local = p.grad.numpy() if p.grad is not None else np.zeros(p.shape)
        every = [None] * world
        dist.all_gather_object(every, local)
        worst = max(worst, float(np.abs(got[n] - np.mean(every, axis=0)).max()))
    return worst, ddp


result = {"rank": rank}
result["shared"], _ = check(Shared)
result["find_unused"], _ = check(WithUnused, find_unused=True)
_, ddp = check(WithUnused, compare=False)
try:
    ddp(pg.ones(2, 4, dtype=pg.float64))
except RuntimeError as e:
    result["unused_error"] = str(e)


def buffers_from_rank_0():
    """Parameters and buffers (float and int64) of different values on every rank: DDP
    makes them rank 0's at construction, and the buffers again at each forward."""
    pg.manual_seed(10 + rank)
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3)).to(pg.float64)
    bn = model[1]
    bn.running_mean.data[...] = rank + 1.0
    bn.num_batches_tracked.data[...] = 7 + rank
    ddp = dist.DDP(model)
    every = [None] * world
    dist.all_gather_object(every, {k: v.numpy().copy() for k, v in model.state_dict().items()})
    same = all(np.array_equal(every[0][k], e[k]) for e in every for k in every[0])
    construction = same and every[0]["1.num_batches_tracked"] == 7 and \
        np.all(every[0]["1.running_mean"] == 1.0)
    ddp.eval()
    bn.running_var.data[...] = 2.0 + rank
    ddp(pg.ones(2, 4, dtype=pg.float64))
    forward = bool(np.all(bn.running_var.numpy() == 2.0))
    return bool(construction) and forward


result["buffers_from_rank_0"] = buffers_from_rank_0()
print(json.dumps(result), flush=True)
