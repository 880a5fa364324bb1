"""The engine-overhead suite: what the autodiff engine costs around tiny amounts of work.

Rows (each timed in one run, the contenders interleaved, medians):

* per-op chain — 1000 chained multiplies of 1-element tensors that require grad; forward
  only, and forward + backward; reported per op (µs). Almost no arithmetic: this is the cost
  of creating tensors, recording the graph and walking it back.
* main-job step — the seed network of ``pygrad train`` (Linear(64, 64) → Sigmoid →
  Linear(64, 10), softmax cross-entropy, batch 64, Adam): ``zero_grad``, forward, backward,
  step. Against torch and against a hand-written NumPy step of the same network (the same
  arithmetic with no engine at all: the floor of any NumPy-based engine).

Both libraries run with the thread count the CLI set (``--threads``; one thread is the fair
setting for work this small; NumPy's BLAS, which does pygrad's and the floor's matmuls, is
held to torch's count while timing). ratio = torch time / pygrad time; ``floor_x`` =
pygrad time / NumPy time (1.0 would be no overhead at all).
"""
from __future__ import annotations

import numpy as np

from .harness import measure, random_logits, random_targets, ratio, target
from .mlp import blas_threads_like_torch

CHAIN = 1000
SIZES = (64, 64, 10)
BATCH = 64
LR = 1e-3


def run(device: str = "cpu", quick: bool = False, repeat: int | None = None) -> list[dict]:
    """The engine rows (cpu only: the GPU's launch overheads are the cuda suite's)."""
    if device != "cpu":
        raise ValueError(f"engine: only the cpu is measured here, got {device!r}")
    repeat = repeat or (3 if quick else 9)
    return chain_rows(repeat, quick) + [step_row(repeat, quick)]


# ----------------------------------------------------------------------------- per-op chain

def _chain(lib, n, backward):
    x = lib.tensor([1.0001], requires_grad=True)
    c = lib.tensor([0.9999])

    def fn():
        y = x
        for _ in range(n):
            y = y * c
        if backward:
            y.backward(lib.ones(1))
            x.grad = None
        return y
    return fn


def chain_rows(repeat, quick):
    import torch
    import pygrad as pg

    n = 100 if quick else CHAIN
    rows = []
    for backward in (False, True):
        times = measure({"pygrad": _chain(pg, n, backward), "torch": _chain(torch, n, backward)},
                        repeat=repeat, warmup=2, number=3 if quick else 10)
        p_us, t_us = times["pygrad"].median * 1e6 / n, times["torch"].median * 1e6 / n
        row = {"name": f"per-op chain, {'forward + backward' if backward else 'forward'}",
               "shape": (n,), "device": "cpu", "suite": "engine",
               "pygrad_ms": p_us / 1e3, "torch_ms": t_us / 1e3, "pygrad_us_per_op": p_us,
               "torch_us_per_op": t_us, "ratio": ratio(t_us, p_us)}
        if backward and not quick:
            row["target"] = target(">=", 1.8)
            row["goal_us_per_op"] = 2.5
        rows.append(row)
    return rows


# ----------------------------------------------------------------------------- main-job step

class NumpyStep:
    """The main job's step written by hand in NumPy: forward, backward and Adam, nothing
    else (torch's Adam formulas, float32)."""

    def __init__(self, params, lr=LR, betas=(0.9, 0.999), eps=1e-8):
        self.p = [np.array(a, dtype=np.float32) for a in params]   # W1, b1, W2, b2
        self.m = [np.zeros_like(a) for a in self.p]
        self.v = [np.zeros_like(a) for a in self.p]
        self.t, self.lr, self.betas, self.eps = 0, lr, betas, eps

    def __call__(self, x, y):
        w1, b1, w2, b2 = self.p
        h = x @ w1.T + b1
        s = 1 / (1 + np.exp(-h))
        z = s @ w2.T + b2
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        p = e / e.sum(axis=1, keepdims=True)
        n = len(y)
        loss = -np.log(p[np.arange(n), y]).mean()
        gz = p
        gz[np.arange(n), y] -= 1
        gz /= n
        gw2, gb2 = gz.T @ s, gz.sum(0)
        gh = (gz @ w2) * s * (1 - s)
        gw1, gb1 = gh.T @ x, gh.sum(0)
        self.t += 1
        b1_, b2_ = self.betas
        bc1, bc2 = 1 - b1_ ** self.t, 1 - b2_ ** self.t
        for p_, g, m, v in zip(self.p, (gw1, gb1, gw2, gb2), self.m, self.v):
            m += (1 - b1_) * (g - m)
            v *= b2_
            v += (1 - b2_) * g * g
            p_ -= (self.lr / bc1) * m / (np.sqrt(v) / np.sqrt(bc2) + self.eps)
        return loss


def step_row(repeat, quick):
    import torch
    import torch.nn.functional as TF
    import pygrad as pg
    import pygrad.nn.functional as F

    torch.manual_seed(0)
    tmodel = torch.nn.Sequential(torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.Sigmoid(),
                                 torch.nn.Linear(SIZES[1], SIZES[2]))
    params = [t.detach().numpy().copy() for t in tmodel.parameters()]
    pmodel = pg.nn.Sequential(pg.nn.Linear(SIZES[0], SIZES[1]), pg.nn.Sigmoid(),
                              pg.nn.Linear(SIZES[1], SIZES[2]))
    with pg.no_grad():
        for p, a in zip(pmodel.parameters(), params):
            p.copy_(pg.from_numpy(a))
    x_np = random_logits((BATCH, SIZES[0]), scale=1.0)
    y_np = random_targets(BATCH, SIZES[-1])
    popt = pg.optim.Adam(pmodel.parameters(), lr=LR)
    topt = torch.optim.Adam(tmodel.parameters(), lr=LR)
    px, py = pg.from_numpy(x_np), pg.from_numpy(y_np)
    tx, ty = torch.from_numpy(x_np), torch.from_numpy(y_np)
    floor = NumpyStep(params)

    def pygrad_step():
        popt.zero_grad()
        loss = F.cross_entropy(pmodel(px), py)
        loss.backward()
        popt.step()
        return loss

    def torch_step():
        topt.zero_grad()
        loss = TF.cross_entropy(tmodel(tx), ty)
        loss.backward()
        topt.step()
        return loss

    first = (float(pygrad_step().item()), float(torch_step().item()),
             float(floor(x_np, y_np)))
    with blas_threads_like_torch("cpu"):      # NumPy's matmuls: torch's thread count
        times = measure({"pygrad": pygrad_step, "torch": torch_step,
                         "numpy": lambda: floor(x_np, y_np)},
                        repeat=repeat, warmup=20, number=20 if quick else 200)
    p_ms, t_ms, n_ms = (times[k].ms for k in ("pygrad", "torch", "numpy"))
    row = {"name": "main-job step 64-64-10 sigmoid, CE, Adam", "shape": (BATCH,),
           "device": "cpu", "suite": "engine", "pygrad_ms": p_ms, "torch_ms": t_ms,
           "numpy_ms": n_ms, "ratio": ratio(t_ms, p_ms), "floor_x": p_ms / n_ms}
    if not quick:
        row["target"] = target(">=", 2.4)
        row["goal_floor_x"] = 1.25
    if max(first) - min(first) > 1e-4 * max(1.0, abs(first[1])):
        row["note"] = "first-step losses differ: " + ", ".join(f"{v:.6f}" for v in first)
    return row


if __name__ == "__main__":        # python -m pygrad.bench.engine: one thread, print the rows
    from .harness import format_table, set_threads
    print(set_threads(1))
    print(format_table(run()))
