"""The end-to-end suite: one training step of an MLP, pygrad against torch eager.

Model 784-512-512-10 with sigmoid activations, cross-entropy loss and Adam (lr 1e-3), the
same initial weights and the same random batch on both sides. A step is
``zero_grad(); loss = CE(model(x), y); loss.backward(); opt.step()``. On cuda torch is also
timed with ``Adam(fused=True)``, its best eager configuration (``torch best``).

ratio = torch ms per step / pygrad ms per step; steps/s = 1000 / pygrad ms.

pygrad's matmuls are NumPy's BLAS, whose thread pool starts when NumPy loads (before the
CLI's ``--threads`` is known), so on the cpu the timed steps run with the BLAS limited to
torch's thread count (through threadpoolctl when it is installed): the same number of
threads on both sides.
"""
from __future__ import annotations

import contextlib
import copy
import time

from .harness import COOLDOWN, measure, random_logits, random_targets, ratio, target

SIZES = (784, 512, 512, 10)
LR = 1e-3
# (batch, target ratio against torch eager or None) per device
BATCHES = {"cpu": [(128, 3.0), (1024, 1.0)], "cuda": [(128, 2.0), (1024, None)]}
QUICK_BATCHES = {"cpu": [(16, None), (64, None)], "cuda": [(16, None)]}
SAMPLE_SECONDS = 0.05  # steps per sample are chosen so one sample lasts about this long


def run(device: str = "cpu", quick: bool = False, repeat: int | None = None) -> list[dict]:
    """Time the train step at each batch size of ``device`` ("cpu" or "cuda"); one row each."""
    if device not in BATCHES:
        raise ValueError(f"mlp: device must be 'cpu' or 'cuda', got {device!r}")
    repeat = repeat or (3 if quick else 7)
    # a GPU step's host threads do not spin on the CPU cores the other side needs
    cooldown = 0.0 if quick or device == "cuda" else COOLDOWN
    rows = []
    for batch, goal in (QUICK_BATCHES if quick else BATCHES)[device]:
        rows.append(bench_step(device, batch, goal, repeat, cooldown))
    return rows


def torch_mlp(seed: int = 0):
    """The torch model, initialised by torch's default (Kaiming-uniform) init from ``seed``."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers.append(nn.Linear(fan_in, fan_out))
        if i < len(SIZES) - 2:
            layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


def pygrad_mlp_like(tmodel, device: str):
    """The same network in pygrad, with ``tmodel``'s weights copied in, moved to ``device``."""
    from pygrad import nn

    layers = []
    for tlayer in tmodel:
        if hasattr(tlayer, "weight"):
            layer = nn.Linear(tlayer.in_features, tlayer.out_features)
            layer.weight.data[...] = tlayer.weight.detach().cpu().numpy()
            layer.bias.data[...] = tlayer.bias.detach().cpu().numpy()
            layers.append(layer)
        else:
            layers.append(nn.Sigmoid())
    model = nn.Sequential(*layers)
    return model.to(device) if device != "cpu" else model


def train_step(model, opt, x, y, cross_entropy):
    """One optimisation step; returns the loss (a tensor, not synchronised)."""
    opt.zero_grad()
    loss = cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss


def device_sync(device: str):
    """A function that waits for queued GPU work of both libraries, or None on the cpu."""
    if device == "cpu":
        return None
    import torch
    import pygrad as pg

    def sync():
        torch.cuda.synchronize()
        pg.cuda.synchronize()
    return sync


def bench_step(device: str, batch: int, goal: float | None, repeat: int,
               cooldown: float = 0.0) -> dict:
    """Measure pygrad's and torch's train step at one batch size (interleaved)."""
    import torch
    import torch.nn.functional as TF
    import pygrad as pg
    import pygrad.nn.functional as F

    x_np, y_np = random_logits((batch, SIZES[0]), scale=1.0), random_targets(batch, SIZES[-1])
    tmodel = torch_mlp()
    pmodel = pygrad_mlp_like(tmodel, device)
    sides = {}
    px, py = pg.from_numpy(x_np).to(device), pg.from_numpy(y_np).to(device)
    popt = pg.optim.Adam(pmodel.parameters(), lr=LR)
    sides["pygrad"] = lambda: train_step(pmodel, popt, px, py, F.cross_entropy)
    tx, ty = torch.from_numpy(x_np).to(device), torch.from_numpy(y_np).to(device)
    if device == "cuda":
        best = copy.deepcopy(tmodel).to(device)
        bopt = torch.optim.Adam(best.parameters(), lr=LR, fused=True)
        sides["torch_best"] = lambda: train_step(best, bopt, tx, ty, TF.cross_entropy)
    tmodel = tmodel.to(device)
    topt = torch.optim.Adam(tmodel.parameters(), lr=LR)
    sides["torch"] = lambda: train_step(tmodel, topt, tx, ty, TF.cross_entropy)

    # the first step from identical weights must give the same loss, or the race is unfair
    first = {name: float(step().item()) for name, step in sides.items()}
    sync = device_sync(device)
    with blas_threads_like_torch(device):
        number = _steps_per_sample(sides["torch"], sync)
        times = measure(sides, repeat=repeat, warmup=2, number=number, sync=sync,
                        cooldown=cooldown)

    p_ms, t_ms = times["pygrad"].ms, times["torch"].ms
    row = {"name": f"mlp train step {'-'.join(map(str, SIZES))} sigmoid+Adam",
           "shape": (batch,), "device": device, "pygrad_ms": p_ms, "torch_ms": t_ms}
    if "torch_best" in times:
        row["torch_best_ms"] = times["torch_best"].ms
        row["ratio_best"] = ratio(row["torch_best_ms"], p_ms)
    row["ratio"] = ratio(t_ms, p_ms)
    row["steps_per_s"] = 1e3 / p_ms
    if goal is not None:
        row["target"] = target(">=", goal)
    row["loss_pygrad"], row["loss_torch"] = first["pygrad"], first["torch"]
    if abs(first["pygrad"] - first["torch"]) > 1e-4 * max(1.0, abs(first["torch"])):
        row["note"] = (f"first-step losses differ: pygrad {first['pygrad']:.6f}, "
                       f"torch {first['torch']:.6f}")
    row["suite"] = "mlp"
    return row


def blas_threads_like_torch(device: str):
    """A context in which NumPy's BLAS uses torch's thread count (cpu only; a no-op without
    threadpoolctl)."""
    if device != "cpu":
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    import torch
    return threadpool_limits(torch.get_num_threads(), user_api="blas")


def _steps_per_sample(step, sync) -> int:
    """How many steps make one sample last about SAMPLE_SECONDS (at least 1, at most 100)."""
    step()
    if sync:
        sync()
    t0 = time.perf_counter()
    step()
    if sync:
        sync()
    return max(1, min(100, int(SAMPLE_SECONDS / max(time.perf_counter() - t0, 1e-6))))
