"""Numerical gradient check: backward against central differences.

The outputs are multiplied by a random upstream gradient ``v`` before differencing, so the
check covers the whole vector-Jacobian product (broadcasting and reduction bugs show up) at
the cost of two evaluations per input element.
"""
from __future__ import annotations

import numpy as np

from .engine import _as_tuple, grad


class GradcheckError(AssertionError):
    """Raised by gradcheck when analytical and numerical gradients disagree."""


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0):
    """Check ``fn``'s gradients with respect to every input that requires grad.

    Args:
        fn: callable taking ``*inputs`` and returning a Tensor or a tuple of Tensors.
        inputs: a Tensor or tuple of inputs (use float64 tensors: float32 is too coarse
            for ``eps=1e-6``).
        eps, atol, rtol: finite-difference step and tolerances,
            ``|analytic − numeric| ≤ atol + rtol·|numeric|`` elementwise.
    Returns:
        True, or raises GradcheckError (False when ``raise_exception=False``).
    """
    from ..tensor import Tensor

    inputs = _as_tuple(inputs)
    wrt = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    if not wrt:
        raise ValueError("gradcheck: no input requires grad")
    outputs = _as_tuple(fn(*inputs))
    rng = np.random.default_rng(seed)
    vs = [Tensor._make(y.backend.xp.asarray(rng.standard_normal(y.shape)).astype(y.dtype),
                       y.device) for y in outputs]
    analytic = grad(outputs, wrt, grad_outputs=vs, allow_unused=True)

    def objective():
        ys = _as_tuple(fn(*inputs))      # grad stays on: fn may itself call autograd.grad
        return sum(float((y._data * v._data).sum()) for y, v in zip(ys, vs))

    for k, (x, a) in enumerate(zip(wrt, analytic)):
        a = np.zeros(x.shape) if a is None else np.asarray(_host(a._data), dtype=np.float64)
        numeric = np.zeros(x.shape)
        for idx in np.ndindex(*x.shape):
            orig = x._data[idx].copy()
            x._data[idx] = orig + eps
            plus = objective()
            x._data[idx] = orig - eps
            minus = objective()
            x._data[idx] = orig
            numeric[idx] = (plus - minus) / (2 * eps)
        bad = ~(np.abs(a - numeric) <= atol + rtol * np.abs(numeric))
        if bad.any():
            i = tuple(int(j) for j in np.argwhere(bad)[0])
            msg = (f"gradcheck: gradient of input {k} (shape {tuple(x.shape)}) differs at "
                   f"{i}: analytical {a[i]!r} vs numerical {numeric[i]!r} "
                   f"({int(bad.sum())} of {bad.size} elements out of tolerance)")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def _host(a):
    return a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else a


def gradgradcheck(func, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, seed=0):
    """Check second derivatives: :func:`gradcheck` of the gradients of ``func`` (for the
    upstream gradient ``grad_outputs``, random when None), taken with ``create_graph``."""
    from ..tensor import Tensor

    inputs = _as_tuple(inputs)
    outputs = _as_tuple(func(*inputs))
    if grad_outputs is None:
        rng = np.random.default_rng(seed + 1)
        grad_outputs = [Tensor._make(y.backend.xp.asarray(rng.standard_normal(y.shape))
                                     .astype(y.dtype), y.device) for y in outputs]
    grad_outputs = _as_tuple(grad_outputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def first_derivatives(*xs):
        ys = _as_tuple(func(*xs))
        leaves = [xs[i] for i in wrt]
        gs = grad(ys, leaves, grad_outputs, create_graph=True, allow_unused=True)
        # an input the output does not depend on: a zero gradient that still has a graph
        return tuple(x * 0 if g is None else g for g, x in zip(gs, leaves))

    return gradcheck(first_derivatives, inputs, eps, atol, rtol, raise_exception, seed)
