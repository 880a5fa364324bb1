"""Run under the launcher: DDP steps of the seed network on the digits data, compared on
rank 0 with one process training on the concatenated per-rank batches.

argv: dtype (float64|float32) optimizer (sgd|adam) steps per_rank_batch [backend: mpi (CPU,
default) or nccl (this rank's GPU)]. Rank 0 prints one
JSON line: the largest parameter difference to the single-process run, whether every rank
ended with identical parameters, the buckets used, and checks of no_sync and state_dict.
"""
import json
import sys

import numpy as np

import pygrad as pg
import pygrad.distributed as dist
from pygrad import nn
from pygrad.data import load_digits

dtype_name, opt_name, steps, per_rank = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
    int(sys.argv[4])
dtype = getattr(pg, dtype_name)
backend = sys.argv[5] if len(sys.argv) > 5 else "mpi"
dist.init_process_group(backend)
rank, world = dist.get_rank(), dist.get_world_size()
device = pg.device("cuda", dist.get_local_rank()) if backend == "nccl" else pg.device("cpu")

x, y = load_digits(return_X_y=True)
x = (x - x.mean(0)) / (x.std(0) + 1e-8)


def seed_net(seed):
    pg.manual_seed(seed)
    return nn.Sequential(nn.Linear(64, 32), nn.Sigmoid(), nn.Linear(32, 10)).to(device, dtype)


def optimizer(params):
    if opt_name == "adam":
        return pg.optim.Adam(params, lr=0.01)
    return pg.optim.SGD(params, lr=0.1, momentum=0.9)


def batch(step, ranks):
    """Rows of ``step`` for the given ranks (each rank's rows follow the previous rank's)."""
    start = step * per_rank * world
    idx = np.concatenate([np.arange(start + r * per_rank, start + (r + 1) * per_rank)
                          for r in ranks]) % len(x)
    return pg.tensor(x[idx], dtype=dtype, device=device), pg.tensor(y[idx], device=device)


# every rank builds its model from a different seed: DDP must copy rank 0's
model = seed_net(100 + rank)
initial = {k: v.cpu().numpy().copy() for k, v in model.state_dict().items()}
# buckets of the size of the last layer: two all-reduces per step, the first started while
# backward still computes the first layer's gradients
last = sum(p.numel() * p.data.dtype.itemsize for p in model[2].parameters())
ddp = dist.DDP(model, bucket_cap_mb=last / 2**20)
opt = optimizer(ddp.parameters())
loss_fn = nn.CrossEntropyLoss()
for step in range(steps):
    xb, yb = batch(step, [rank])
    opt.zero_grad()
    loss_fn(ddp(xb), yb).backward()
    opt.step()
final = {k: v.cpu().numpy() for k, v in model.state_dict().items()}
every = [None] * world
dist.all_gather_object(every, final)
same = all(np.array_equal(every[0][k], e[k]) for e in every for k in final)

# no_sync: two half batches accumulated, the second synchronised, equal one full step
ddp2 = dist.DDP(seed_net(7))
for p in ddp2.parameters():
    p.grad = None
xb, yb = batch(0, [rank])
h = per_rank // 2
with ddp2.no_sync():
    (loss_fn(ddp2(xb[:h]), yb[:h]) * h / per_rank).backward()
(loss_fn(ddp2(xb[h:]), yb[h:]) * (per_rank - h) / per_rank).backward()
acc = {n: p.grad.cpu().numpy().copy() for n, p in ddp2.module.named_parameters()}

if rank == 0:
    ref = seed_net(100)
    ref.load_state_dict({k: pg.tensor(v, device=device) for k, v in initial.items()})
    ropt = optimizer(ref.parameters())
    for step in range(steps):
        xb, yb = batch(step, range(world))
        ropt.zero_grad()
        loss_fn(ref(xb), yb).backward()
        ropt.step()
    diff = max(float(np.abs(final[k] - v.cpu().numpy()).max())
               for k, v in ref.state_dict().items())
    ref2 = seed_net(7)
    xb, yb = batch(0, range(world))
    loss_fn(ref2(xb), yb).backward()
    acc_diff = max(float(np.abs(acc[n] - p.grad.cpu().numpy()).max())
                   for n, p in ref2.named_parameters())
    print(json.dumps({"diff": diff, "same_on_every_rank": same, "world": world,
                      "buckets": len(ddp._reducer.buckets),
                      "early_launches": ddp._reducer.early_launches, "no_sync_diff": acc_diff,
                      "keys": sorted(ddp.state_dict())}), flush=True)
