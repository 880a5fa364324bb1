"""Elementwise arithmetic, broadcasting, matmul and linear.

Broadcasting is handled in one place: a binary op's backward reduces the incoming gradient
to each input's shape with ``sum_to`` (whose own backward is ``broadcast_to``), so every op
broadcasts correctly and stays twice differentiable.
"""
from __future__ import annotations

import sys

import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import _mode
from ..backend.reference import get_xp
from .dtypes import promote, result_type
from .unary import _constant

Tensor = None   # pygrad.tensor.Tensor, bound when that module loads (it imports this one)


def _shape(x):
    return getattr(x, "shape", ())


def _value(x):
    """A Tensor's array, or the Python number itself."""
    return x._data if isinstance(x, Tensor) else x


# ----------------------------------------------------------------------------- broadcasting

class SumTo(Function):
    saves_values = False

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        return sum_to_array(x, self.shape)

    def vjp(self, gy):
        return get_xp(gy).broadcast_to(gy, self.inputs[0].shape)

    def backward(self, gy):
        return broadcast_to(gy, self.inputs[0].shape)


class BroadcastTo(Function):
    saves_values = False

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        return self.backend.xp.broadcast_to(x, self.shape)

    def vjp(self, gy):
        return sum_to_array(gy, self.inputs[0].shape)

    def backward(self, gy):
        return sum_to(gy, self.inputs[0].shape)


def sum_to_array(x, shape):
    """Sum the array ``x`` down to ``shape`` (the inverse of broadcasting ``shape`` up)."""
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
    return x.sum(axis=axes, keepdims=True).reshape(shape)


def sum_to(x, shape):
    """``x`` summed down to ``shape`` (identity when it already has it)."""
    shape = tuple(shape)
    return x if x.shape == shape else SumTo(shape)(x)


def broadcast_to(x, shape):
    shape = tuple(shape)
    return x if x.shape == shape else BroadcastTo(shape)(x)


def _reduce(g, x):
    """The gradient ``g`` of a broadcast result, summed back to input ``x``'s shape."""
    shape = x._data.shape
    return g if g._data.shape == shape else SumTo(shape)(g)


# ----------------------------------------------------------------------------- arithmetic

class Add(Function):
    saves_values = False

    @staticmethod
    def forward(a, b):
        return a + b

    def vjp(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        return (sum_to_array(gy, a._data.shape) if na else None,
                sum_to_array(gy, b._data.shape) if nb else None)

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        return (_reduce(gy, a) if na else None), (_reduce(gy, b) if nb else None)


class Sub(Function):
    saves_values = False

    @staticmethod
    def forward(a, b):
        return a - b

    def vjp(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        return (sum_to_array(gy, a._data.shape) if na else None,
                sum_to_array(-gy, b._data.shape) if nb else None)

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        return (_reduce(gy, a) if na else None), (_reduce(-gy, b) if nb else None)


class Mul(Function):
    @property
    def saves_values(self):       # times / over a Python number: only the number is kept
        a, b = self.inputs
        return isinstance(a, Tensor) and isinstance(b, Tensor)

    @staticmethod
    def forward(a, b):
        return a * b

    def vjp(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        return (sum_to_array(gy * _value(b), a._data.shape) if na else None,
                sum_to_array(gy * _value(a), b._data.shape) if nb else None)

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        return (_reduce(gy * b, a) if na else None), (_reduce(gy * a, b) if nb else None)


class Div(Function):
    @property
    def saves_values(self):       # times / over a Python number: only the number is kept
        a, b = self.inputs
        return isinstance(a, Tensor) and isinstance(b, Tensor)

    @staticmethod
    def forward(a, b):
        return a / b

    def vjp(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        bv = _value(b)
        ga = sum_to_array(gy / bv, a._data.shape) if na else None
        gb = sum_to_array(_div_grad_b(gy, _value(a), bv), b._data.shape) if nb else None
        return ga, gb

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        ga = _reduce(gy / b, a) if na else None
        gb = _reduce(_div_grad_b(gy, a, b), b) if nb else None
        return ga, gb


def _div_grad_b(gy, a, b):
    """∂(a / b)/∂b · gy in torch's order of operations (which decides where it under- or
    overflows): a number over a tensor is a·reciprocal(b), else −gy·((a / b) / b)."""
    if not hasattr(a, "shape"):
        r = 1 / b
        return -(gy * a) * (r * r)
    return -gy * ((a / b) / b)


class Pow(Function):
    @staticmethod
    def forward(a, b):
        with np.errstate(divide="ignore", invalid="ignore"):   # 0**-1 = inf, as torch
            if b.__class__ is float and (b == 0.5 or b == -0.5):
                # torch computes these as sqrt / rsqrt, which differ from pow at -0.0:
                # sqrt(-0.0) is -0.0, so rsqrt(-0.0) is -inf
                r = get_xp(a).sqrt(a)
                return r if b > 0 else 1 / r
            if getattr(b, "dtype", np.dtype("f")).kind in "iu" and \
                    getattr(a, "dtype", np.dtype("i")).kind in "iu" and (b < 0).any():
                return _int_pow(a, b)
            if getattr(a, "dtype", None) == bool and b.__class__ is int:
                a = a.astype("int64")           # torch: bool ** int is int64 (NumPy: int8)
            return a ** b

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        ga = gb = None
        if na:
            # b·a^(b−1), and 0 where b == 0 (not 0·0^−1 = nan), as torch
            # (selected, never multiplied: an inf upstream gradient stays out)
            if not hasattr(b, "shape"):
                ga = gy * (b * a ** (b - 1)) if b != 0 else _constant_like(
                    get_xp(a._data).zeros(a.shape), a)
            else:
                ga = _reduce(where(b == 0, 0.0, gy * (b * a ** (b - 1))), a)
        if nb:
            from .unary import log
            base = a if hasattr(a, "shape") else _constant_like(a, b)
            # gy·a^b·log a, with 0 for a^b·log a where a == 0 and b ≥ 0 (the limit): torch's
            # formula, multiplied in as torch does (an inf gy gives nan there, as in torch)
            zero = (base == 0) & (b >= 0)
            gb = _reduce(gy * where(zero, 0.0, self.output * log(base)), b)
        return ga, gb


def _int_pow(a, b):
    """Integer a ** b with some b < 0, as torch: 1 and -1 keep their powers, anything else
    gives 0 (NumPy refuses negative integer powers)."""
    xp = get_xp(b)
    a = xp.asarray(a)
    pos = a ** xp.maximum(b, 0)
    odd = (b % 2).astype(bool)
    neg = xp.where(a == 1, 1, xp.where(a == -1, xp.where(odd, -1, 1), 0))
    return xp.where(b < 0, neg, pos).astype(pos.dtype, copy=False)


def _constant_like(value, like):
    """``value`` as a Tensor that carries no gradient, with ``like``'s dtype and device."""
    from ..tensor import _to_device_array
    return Tensor._make(_to_device_array(value, like.dtype, like.device), like.device)


class Neg(Function):
    saves_values = False

    def forward(self, x):
        if x.dtype.kind == "b":
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.")
        return -x

    def vjp(self, gy):
        return -gy

    def backward(self, gy):
        return -gy


class Cast(Function):
    """Change dtype; the gradient is cast back to the input's dtype."""

    saves_values = False

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        return x.astype(self.dtype)

    def vjp(self, gy):
        return gy.astype(self.inputs[0].dtype)

    def backward(self, gy):
        return Cast(self.inputs[0].dtype)(gy)


class Where(Function):
    """``where(cond, a, b)``: a where cond is true, else b; cond carries no gradient."""

    def forward(self, cond, a, b):
        return self.backend.xp.where(cond, a, b)

    def vjp(self, gy):
        cond, a, b = self.inputs
        _, na, nb = self.needs_input_grad
        xp, c = get_xp(gy), cond._data
        return (None, sum_to_array(xp.where(c, gy, 0), a.shape) if na else None,
                sum_to_array(xp.where(c, 0, gy), b.shape) if nb else None)

    def backward(self, gy):
        cond, a, b = self.inputs
        _, na, nb = self.needs_input_grad
        ga = _reduce(where(cond, gy, 0.0), a) if na else None
        gb = _reduce(where(cond, 0.0, gy), b) if nb else None
        return None, ga, gb


def where(cond, a, b):
    """``a`` where ``cond`` is true, else ``b`` (broadcasting; torch's dtype promotion)."""
    from ..tensor import _as_tensor_like
    like = next((t for t in (a, b, cond) if isinstance(t, Tensor)), None)
    if like is None:
        raise TypeError("where: expected at least one Tensor argument")
    if not isinstance(cond, Tensor):
        cond = _as_tensor_like(cond, like, dtype=bool)
    if cond.dtype != bool:
        raise RuntimeError(f"where: expected cond of dtype bool, got {cond.dtype}")
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if not (ta and tb and a.dtype == b.dtype):
        r = result_type(a, b)
        if not ta and not tb:
            a = _as_tensor_like(a, cond, dtype=r)
        if ta and a.dtype != r:
            a = a.to(r)
        if tb and b.dtype != r:
            b = b.to(r)
    return Where()(cond, a, b)


class _Extremum(Function):
    """Elementwise maximum / minimum. The gradient is selected, never multiplied in (an
    infinite upstream gradient must not turn into nan): it goes to the larger (smaller)
    side, half to each at ties, and all of it to both sides where one is nan (as torch)."""

    pick = None

    def forward(self, a, b):
        # (b, a): NumPy returns its second argument at ties, torch its first (-0.0 vs 0.0)
        return getattr(self.backend.xp, self.pick)(b, a)

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        x, y = a._data, b._data
        tie = _constant(x == y, gy)
        half = where(tie, gy * 0.5, gy)
        a_lost, b_lost = (x < y, x > y) if self.pick == "maximum" else (x > y, x < y)
        ga = _reduce(where(_constant(a_lost, gy), 0.0, half), a) if na else None
        gb = _reduce(where(_constant(b_lost, gy), 0.0, half), b) if nb else None
        return ga, gb


class Maximum(_Extremum):
    pick = "maximum"


class Minimum(_Extremum):
    pick = "minimum"


def maximum(input, other):  # noqa: A002 - torch's names
    """Elementwise maximum of two tensors (broadcasting; nan if either is nan)."""
    return Maximum()(*promote(input, other))


def minimum(input, other):  # noqa: A002 - torch's names
    """Elementwise minimum of two tensors (broadcasting; nan if either is nan)."""
    return Minimum()(*promote(input, other))


# ----------------------------------------------------------------------------- matmul

class MatMul(Function):
    """``a @ b`` with torch's rules: 1-D operands are promoted and the batch dims broadcast."""

    def forward(self, a, b):
        return self.backend.xp.matmul(a, b)

    def vjp(self, gy):
        a, b = self.inputs
        if a.ndim != 2 or b.ndim != 2:
            return Function.vjp(self, gy)
        na, nb = self.needs_input_grad
        return (gy @ b._data.T if na else None), (a._data.T @ gy if nb else None)

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:
            return (gy * b if na else None), (gy * a if nb else None)
        if a.ndim == 1:                       # (k) @ (..., k, n) -> (..., n)
            ga = (gy.unsqueeze(-2) @ b.mT).squeeze(-2) if na else None
            gb = a.unsqueeze(-1) @ gy.unsqueeze(-2) if nb else None
        elif b.ndim == 1:                     # (..., m, k) @ (k) -> (..., m)
            ga = gy.unsqueeze(-1) @ b.unsqueeze(-2) if na else None
            gb = (a.mT @ gy.unsqueeze(-1)).squeeze(-1) if nb else None
        else:
            ga = gy @ b.mT if na else None
            gb = a.mT @ gy if nb else None
        return (_reduce(ga, a) if na else None), (_reduce(gb, b) if nb else None)


def matmul(input, other):  # noqa: A002 - torch's names
    """Matrix product with broadcasting batch dims (``torch.matmul``)."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"matmul: expected two Tensors, got {type(input).__name__} and "
                        f"{type(other).__name__}")
    if input.dtype != other.dtype:
        raise RuntimeError(f"matmul: expected both operands to have the same dtype, got "
                        f"{input.dtype} and {other.dtype}")
    if input.ndim == 0 or other.ndim == 0:
        raise RuntimeError(f"matmul: both arguments need at least 1 dimension, got shapes "
                           f"{tuple(input.shape)} and {tuple(other.shape)}")
    ka = input.shape[-1]
    kb = other.shape[0] if other.ndim == 1 else other.shape[-2]
    if ka != kb:
        raise RuntimeError(f"matmul: shapes {tuple(input.shape)} and {tuple(other.shape)} "
                           f"cannot be multiplied ({ka} != {kb})")
    return MatMul()(input, other)


class Linear(Function):
    """``y = x @ weight.T + bias`` with weight (out, in), as torch.nn.functional.linear."""

    def forward(self, x, w, b=None):
        y = x @ w.T
        if b is not None:
            y += b
        return y

    def vjp(self, gy):
        x, w = self.inputs[0]._data, self.inputs[1]._data
        need = self.needs_input_grad
        gx = gy @ w if need[0] else None
        g2 = gy.reshape(-1, gy.shape[-1]) if gy.ndim != 2 else gy
        gw = g2.T @ (x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x) if need[1] else None
        if len(self.inputs) == 2:
            return gx, gw
        return gx, gw, (g2.sum(0) if need[2] else None)

    def backward(self, gy):
        x, w = self.inputs[0], self.inputs[1]
        need = self.needs_input_grad
        gx = gy @ w if need[0] else None
        gw = gy.reshape(-1, gy.shape[-1]).T @ x.reshape(-1, x.shape[-1]) if need[1] else None
        if len(self.inputs) == 2:
            return gx, gw
        gb = sum_to(gy, self.inputs[2].shape) if need[2] else None
        return gx, gw, gb


def linear(input, weight, bias=None):  # noqa: A002 - torch's names
    """Affine map ``x @ weight.T + bias``: x (..., in), weight (out, in), bias (out,)."""
    if input.shape[-1] != weight.shape[-1]:
        raise RuntimeError(f"linear: input has {input.shape[-1]} features (shape "
                           f"{tuple(input.shape)}) but weight expects {weight.shape[-1]} (shape "
                           f"{tuple(weight.shape)})")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"linear: input dtype {input.dtype} does not match weight dtype "
                        f"{weight.dtype}")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"linear: bias must have shape ({weight.shape[0]},), got "
                           f"{tuple(bias.shape)}")
    return Linear()(input, weight) if bias is None else Linear()(input, weight, bias)


def grad_enabled() -> bool:
    return _mode.enabled


METHODS = ()    # functions of this module that are also Tensor methods (x.name(...))


def install(tensor_class):
    """Bind METHODS on the Tensor class (tensor.py calls this once it is defined)."""
    module = sys.modules[__name__]
    for name in METHODS:
        setattr(tensor_class, name, getattr(module, name))
