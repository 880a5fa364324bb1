"""Fused layer_norm and gelu, with torch's signatures and semantics.

Each runs one backend kernel forward and one backward: ``layer_norm`` a row kernel that
computes each row's mean and variance while the row is in cache, normalises and applies the
affine map, saving the mean and 1/std for a backward that writes the input gradient and the
weight and bias gradients in one pass; ``gelu`` an elementwise kernel each way (erf or tanh
form). The array-level ``vjp`` is the fast path; ``backward`` is written in Tensor ops, so
``create_graph=True`` (double backward) works.
"""
from __future__ import annotations

import math
import numbers

from ..autograd.function import Function
from ..tensor import Tensor
from .dtypes import UnsupportedDtypeError


class InvalidArgumentError(RuntimeError, ValueError):
    """A bad shape or value that torch reports with RuntimeError."""


_GELU_K = math.sqrt(2 / math.pi)
_GELU_A = 0.044715
_APPROXIMATIONS = ("none", "tanh")


# ----------------------------------------------------------------------------- gelu

class Gelu(Function):
    """y = x·Φ(x) (or the tanh form); the backward recomputes gelu'(x) from x."""

    def __init__(self, approximate):
        self.approximate = approximate

    def forward(self, x):
        return self.backend.gelu(x, self.approximate)

    def vjp(self, gy):
        return self.backend.gelu_bwd(self.inputs[0]._data, gy, self.approximate)

    def backward(self, gy):
        return GeluGrad(self.approximate)(self.inputs[0], gy)


class GeluGrad(Function):
    """gx = gy·gelu'(x): the kernel forward; its own backward in Tensor ops."""

    def __init__(self, approximate):
        self.approximate = approximate

    def forward(self, x, gy):
        return self.backend.gelu_bwd(x, gy, self.approximate)

    def backward(self, ggx):
        x, gy = self.inputs
        nx, ngy = self.needs_input_grad
        g_x = ggx * gy * _gelu_second_derivative(x, self.approximate) if nx else None
        g_gy = GeluGrad(self.approximate)(x, ggx) if ngy else None
        return g_x, g_gy


def _gelu_second_derivative(x, approximate):
    """gelu''(x) in Tensor ops: φ(x)·(2 − x²); tanh form, with s = σ(2u), q = s(1 − s):
    2q·(2u' + 2x(1 − 2s)u'² + x·u'')."""
    if approximate == "tanh":
        x2 = x * x
        s = (2 * _GELU_K * (x + _GELU_A * x2 * x)).sigmoid()
        du = _GELU_K * (1 + 3 * _GELU_A * x2)
        ddu = 6 * _GELU_K * _GELU_A * x
        return 2 * s * (1 - s) * (2 * du + 2 * x * (1 - 2 * s) * du * du + x * ddu)
    pdf = (-0.5 * x * x).exp() * (1 / math.sqrt(2 * math.pi))
    return pdf * (2 - x * x)


def gelu(input, approximate: str = "none") -> Tensor:  # noqa: A002  (torch's name)
    """Gaussian error linear unit, elementwise, as torch.nn.functional.gelu.

    ``approximate="none"``: x·Φ(x) with Φ the standard normal CDF (computed as
    erfc(−x/√2)/2, accurate for negative x too). ``approximate="tanh"``:
    x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))/2. One fused kernel forward and one backward
    (recomputing the derivative from x); twice differentiable.
    """
    _check_float(input, "gelu")
    if approximate not in _APPROXIMATIONS:
        raise InvalidArgumentError(f"gelu: approximate must be 'none' or 'tanh', got "
                                   f"{approximate!r}")
    return Gelu(approximate)(input)


# ----------------------------------------------------------------------------- layer_norm

class LayerNorm(Function):
    """Layer norm over the last ``normalized_ndim`` axes; inputs (x, weight, bias), where
    weight and bias may be None. Saves the kernel's mean and rstd for ``vjp``."""

    def __init__(self, normalized_ndim, eps):
        self.normalized_ndim, self.eps = normalized_ndim, eps

    def forward(self, x, weight, bias):
        y, mean, rstd = self.backend.layer_norm(x, weight, bias, self.normalized_ndim,
                                                self.eps)
        if self.needs_input_grad:
            self.mean, self.rstd = mean, rstd
        return y

    def vjp(self, gy):
        x, w, _ = self.inputs
        return self.backend.layer_norm_bwd(x._data, gy, None if w is None else w._data,
                                           self.mean, self.rstd, self.normalized_ndim,
                                           self.needs_input_grad)

    def backward(self, gy):
        # mean and rstd recomputed in Tensor ops, so the gradient is itself differentiable
        x, w, _ = self.inputs
        nx, nw, nb = self.needs_input_grad
        k = self.normalized_ndim
        dims = tuple(range(x.ndim - k, x.ndim))
        lead = tuple(range(x.ndim - k))
        xc = x - x.mean(dims, keepdim=True)
        rstd = ((xc * xc).mean(dims, keepdim=True) + self.eps).rsqrt()
        xhat = xc * rstd
        gx = gw = gb = None
        if nx:
            g = gy if w is None else gy * w
            gx = rstd * (g - g.mean(dims, keepdim=True)
                         - xhat * (g * xhat).mean(dims, keepdim=True))
        if nw:
            gw = (gy * xhat).sum(lead) if lead else gy * xhat
        if nb:
            gb = gy.sum(lead) if lead else gy
        return gx, gw, gb


def layer_norm(input, normalized_shape, weight=None, bias=None,  # noqa: A002
               eps: float = 1e-5) -> Tensor:
    """Layer normalization over the last ``len(normalized_shape)`` dims, as
    torch.nn.functional.layer_norm.

    Each row (the trailing ``normalized_shape`` block) is normalised with its mean and biased
    variance: y = (x − mean)/√(var + eps)·weight + bias. ``weight`` and ``bias`` are None or
    tensors of shape ``normalized_shape`` and the input's dtype. One fused row kernel forward
    (one read of each row from memory) and one backward giving the input, weight and bias
    gradients together; twice differentiable.
    """
    _check_float(input, "layer_norm")
    shape = _normalized_shape(normalized_shape)
    k = len(shape)
    if input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise InvalidArgumentError(
            f"layer_norm: given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size {list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is None:
            continue
        if not isinstance(t, Tensor):
            raise TypeError(f"layer_norm: expected {name} to be a Tensor or None, got "
                            f"{type(t).__name__}")
        if tuple(t.shape) != shape:
            raise InvalidArgumentError(
                f"layer_norm: expected {name} of shape {shape}, the same as normalized_shape, "
                f"but got {name} of shape {tuple(t.shape)}")
        if t.dtype != input.dtype:
            raise InvalidArgumentError(f"layer_norm: expected {name} to have the input's dtype "
                                       f"{input.dtype}, got {t.dtype}")
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real):
        raise TypeError(f"layer_norm: eps must be a number, got {type(eps).__name__}")
    return LayerNorm(k, float(eps))(input, weight, bias)


def _normalized_shape(normalized_shape) -> tuple:
    """normalized_shape as a tuple of ints (an int n is (n,), as nn.LayerNorm takes it)."""
    if isinstance(normalized_shape, numbers.Integral) and not isinstance(normalized_shape,
                                                                          bool):
        return (int(normalized_shape),)
    try:
        shape = tuple(normalized_shape)
    except TypeError:
        raise TypeError(f"layer_norm: normalized_shape must be an int or a sequence of ints, "
                        f"got {type(normalized_shape).__name__}") from None
    if not all(isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in shape):
        raise TypeError(f"layer_norm: normalized_shape must hold ints, got {shape!r}")
    if not shape:
        raise InvalidArgumentError("layer_norm: expected normalized_shape to have at least "
                                   "one dimension, got []")
    return tuple(int(d) for d in shape)


def _check_float(x, what):
    if not isinstance(x, Tensor):
        raise TypeError(f"{what}: expected input to be a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise UnsupportedDtypeError(f"{what}: not implemented for dtype {x.dtype} (expected a "
                                    f"floating-point tensor)")
