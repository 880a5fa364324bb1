"""The small model both optimizer test files train: a sigmoid-linear layer fit by MSE in
float64, its parameters recorded after every step, in pygrad and in the installed torch."""
from __future__ import annotations

import numpy as np

import pygrad as pg
import pygrad.nn.functional as F
from pygrad import optim


def problem(seed=0):
    rng = np.random.default_rng(seed)
    return dict(x=rng.normal(size=(16, 5)), y=rng.random((16, 3)), w=rng.normal(size=(3, 5)),
                b=rng.normal(size=3), w2=rng.normal(size=(2, 3)))


def run_pygrad(name, kw, steps=50):
    d = problem()
    w = pg.tensor(d["w"], dtype=pg.float64, requires_grad=True)
    b = pg.tensor(d["b"], dtype=pg.float64, requires_grad=True)
    x, y = pg.tensor(d["x"], dtype=pg.float64), pg.tensor(d["y"], dtype=pg.float64)
    opt = getattr(optim, name)([w, b], **kw)
    trail = []
    for _ in range(steps):
        opt.zero_grad()
        F.mse_loss(F.sigmoid(F.linear(x, w, b)), y).backward()
        opt.step()
        trail.append(np.concatenate([w.numpy().ravel(), b.numpy()]))
    return np.array(trail)


def run_torch(torch, name, kw, steps=50):
    d = problem()
    w = torch.tensor(d["w"], dtype=torch.float64, requires_grad=True)
    b = torch.tensor(d["b"], dtype=torch.float64, requires_grad=True)
    x, y = torch.tensor(d["x"]), torch.tensor(d["y"])
    opt = getattr(torch.optim, name)([w, b], **kw)
    trail = []
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.mse_loss(torch.sigmoid(x @ w.T + b), y).backward()
        opt.step()
        trail.append(np.concatenate([w.detach().numpy().ravel(), b.detach().numpy()]))
    return np.array(trail)
