"""One helper that checks an op three ways (STYLE.md):

1. float64 gradcheck on the device, with a random upstream gradient;
2. forward and backward against torch in float64, when torch is importable;
3. float32 on the device's backend against the reference backend on the cpu.
"""
from __future__ import annotations

import numpy as np

import pygrad as pg
from pygrad import backend

try:
    import torch
except ImportError:          # the torch comparison is skipped, the other two checks still run
    torch = None


def host(t):
    return t.detach().cpu().numpy() if t is not None else None


def random_inputs(shapes, rng, positive=False, low=None):
    arrays = []
    for s in shapes:
        a = rng.standard_normal(s)
        if positive:
            a = np.abs(a) + 0.5
        arrays.append(a)
    return arrays


def _run(fn, arrays, dtype, device, v=None, requires_grad=True):
    xs = [pg.tensor(a, dtype=dtype, device=device, requires_grad=requires_grad) for a in arrays]
    y = fn(*xs)
    if v is None:
        return xs, y
    y.backward(pg.tensor(v, dtype=dtype, device=device))
    return xs, y


def check_op(fn, shapes, device="cpu", torch_fn=None, positive=False, arrays=None,
             seed=0, rtol32=1e-5, atol32=1e-6):
    """Check ``fn`` (Tensors -> Tensor) at inputs of ``shapes``; ``torch_fn`` is the same op
    written with torch (defaults to ``fn`` itself, which works when the names match)."""
    rng = np.random.default_rng(seed)
    arrays = arrays if arrays is not None else random_inputs(shapes, rng, positive)
    # 1. gradcheck in float64
    xs = [pg.tensor(a, dtype=pg.float64, device=device, requires_grad=True) for a in arrays]
    assert pg.autograd.gradcheck(fn, xs, seed=seed)

    _, y64 = _run(fn, arrays, pg.float64, device)
    v = rng.standard_normal(y64.shape)
    xs64, y64 = _run(fn, arrays, pg.float64, device, v)

    # 2. torch, float64
    if torch is not None:
        tf = torch_fn or fn
        txs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
        ty = tf(*txs)
        ty.backward(torch.tensor(v, dtype=torch.float64))
        np.testing.assert_allclose(host(y64), ty.detach().numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg="forward differs from torch")
        for i, (x, tx) in enumerate(zip(xs64, txs)):
            tg = tx.grad.numpy() if tx.grad is not None else np.zeros(tx.shape)
            np.testing.assert_allclose(host(x.grad), tg, rtol=1e-9, atol=1e-11,
                                       err_msg=f"gradient of input {i} differs from torch")

    # 3. float32: this device's backend vs the reference backend on the cpu
    xs32, y32 = _run(fn, arrays, pg.float32, device, v.astype(np.float32))
    with backend.use("reference"):
        xr, yr = _run(fn, arrays, pg.float32, "cpu", v.astype(np.float32))
    assert y32.dtype == pg.float32
    np.testing.assert_allclose(host(y32), host(yr), rtol=rtol32, atol=atol32,
                               err_msg="float32 forward differs from the reference backend")
    for i, (a, b) in enumerate(zip(xs32, xr)):
        np.testing.assert_allclose(host(a.grad), host(b.grad), rtol=rtol32, atol=atol32,
                                   err_msg=f"float32 gradient {i} differs from the reference")
