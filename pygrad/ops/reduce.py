"""Reductions: sum, mean, max, min, logsumexp, argmax / argmin."""
from __future__ import annotations

import builtins
import sys
from collections import namedtuple

import numpy as np

from ..autograd.function import Function
from ..backend.reference import get_xp
from .math import broadcast_to, maximum, minimum, where
from .unary import _constant

Tensor = None   # pygrad.tensor.Tensor, bound when that module loads (it imports this one)

MaxResult = namedtuple("MaxResult", ["values", "indices"])
MinResult = namedtuple("MinResult", ["values", "indices"])
AminmaxResult = namedtuple("AminmaxResult", ["min", "max"])


def normalize_dims(dim, ndim, what):
    """``dim`` (None, int or sequence) as a sorted tuple of non-negative axes, or None."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    for d in dims:
        if not isinstance(d, (int, np.integer)):
            raise TypeError(f"{what}: dim must be an int or a tuple of ints, got {d!r}")
        if not -builtins.max(ndim, 1) <= d < builtins.max(ndim, 1):
            raise IndexError(f"{what}: dim {d} is out of range for a tensor with {ndim} "
                             f"dimensions")
        out.append(int(d) % ndim if ndim else None)
    if ndim == 0:
        return ()                     # dim 0 / -1 of a 0-d tensor: nothing to reduce
    if len(set(out)) != len(out):
        raise RuntimeError(f"{what}: dim {dim} repeats an axis")
    return tuple(sorted(out))


def _expand_back(gy, shape, axes, keepdim):
    """Broadcast a reduced gradient back over the reduced axes."""
    if axes is None:
        axes = tuple(range(len(shape)))
    if not keepdim:
        kept = list(shape)
        for a in axes:
            kept[a] = 1
        gy = gy.reshape(tuple(kept))
    return broadcast_to(gy, shape)


class Sum(Function):
    saves_values = False

    def __init__(self, axes, keepdim):
        self.axes, self.keepdim = axes, keepdim

    def forward(self, x):
        if x.dtype == np.float16:   # torch accumulates half in float32 and rounds once
            return x.sum(axis=self.axes, keepdims=self.keepdim, dtype="float32").astype(x.dtype)
        if x.dtype.kind in "biu":   # integers and bools sum as int64 (NumPy: uint64 for uint8)
            return x.sum(axis=self.axes, keepdims=self.keepdim, dtype="int64")
        return x.sum(axis=self.axes, keepdims=self.keepdim)

    def vjp(self, gy):
        shape, axes = self.inputs[0].shape, self.axes
        if not self.keepdim:
            kept = list(shape)
            for a in (range(len(shape)) if axes is None else axes):
                kept[a] = 1
            gy = gy.reshape(kept)
        return get_xp(gy).broadcast_to(gy, shape)

    def backward(self, gy):
        return _expand_back(gy, self.inputs[0].shape, self.axes, self.keepdim)


class _Extreme(Function):
    """max / min: with a dim the gradient goes to the index returned (first occurrence);
    over everything it is shared evenly among the entries equal to the result (the nan
    entries when the result is nan), as torch."""

    reduce = None
    arg = None

    def __init__(self, axis, keepdim):
        self.axis, self.keepdim = axis, keepdim

    def forward(self, x):
        xp = self.backend.xp
        name = type(self).__name__.lower()
        if self.axis is None:
            if x.size == 0:
                raise RuntimeError(f"{name}(): expected a non-empty tensor; specify the "
                                   f"reduction dim with the 'dim' argument")
            return getattr(x, self.reduce)()
        if x.shape[self.axis] == 0:
            raise IndexError(f"{name}(): expected reduction dim {self.axis} to have "
                             f"non-zero size")
        idx = getattr(x, self.arg)(axis=self.axis, keepdims=True)
        self.indices = idx
        y = xp.take_along_axis(x, idx, axis=self.axis)
        return y if self.keepdim else y.squeeze(self.axis)

    def backward(self, gy):
        x = self.inputs[0]
        if self.axis is None:
            xp, a, y = self.backend.xp, x._data, self.output._data
            mask = xp.isnan(a) if xp.isnan(y) else a == y
            return where(_constant(mask, x), gy / mask.sum().item(), 0.0)
        if not self.keepdim:
            gy = gy.unsqueeze(self.axis)
        return PutAlongAxis(self.indices, self.axis, x.shape)(gy)


class PutAlongAxis(Function):
    """Zeros of ``shape`` with ``gy`` written at ``indices`` along ``axis`` (gy and
    indices have size 1 there): the gradient of picking one entry per slice."""

    saves_values = False

    def __init__(self, indices, axis, shape):
        self.indices, self.axis, self.shape = indices, axis, shape

    def forward(self, gy):
        xp = self.backend.xp
        gx = xp.zeros(self.shape, dtype=gy.dtype)
        xp.put_along_axis(gx, self.indices, gy, axis=self.axis)
        return gx

    def backward(self, ggx):
        return TakeAlongAxis(self.indices, self.axis)(ggx)


class TakeAlongAxis(Function):
    saves_values = False

    def __init__(self, indices, axis):
        self.indices, self.axis = indices, axis

    def forward(self, x):
        return self.backend.xp.take_along_axis(x, self.indices, axis=self.axis)

    def backward(self, gy):
        return PutAlongAxis(self.indices, self.axis, self.inputs[0].shape)(gy)


class Max(_Extreme):
    reduce, arg = "max", "argmax"


class Min(_Extreme):
    reduce, arg = "min", "argmin"


class LogSumExp(Function):
    def __init__(self, axes, keepdim):
        self.axes, self.keepdim = axes, keepdim

    def forward(self, x):
        xp = self.backend.xp
        if x.size == 0:                       # an empty sum: log 0 = -inf
            y = xp.full(x.sum(axis=self.axes, keepdims=self.keepdim).shape, -np.inf,
                        dtype=x.dtype)
            return y
        m = x.max(axis=self.axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        y = xp.log(xp.exp(x - m).sum(axis=self.axes, keepdims=True)) + m
        return y if self.keepdim else y.squeeze(self.axes if self.axes is not None else None)

    def backward(self, gy):
        x = self.inputs[0]
        y = _expand_back(self.output, x.shape, self.axes, self.keepdim)
        return _expand_back(gy, x.shape, self.axes, self.keepdim) * (x - y).exp()


def sum(x, dim=None, keepdim=False):  # noqa: A001 - torch's name
    """Sum over ``dim`` (an int, a tuple, or None or () for all, as torch)."""
    return Sum(_reduce_dims(x, dim, "sum"), keepdim)(x)


def mean(x, dim=None, keepdim=False):
    """Mean over ``dim`` (an int, a tuple, or None or () for all, as torch)."""
    if x.dtype.kind != "f":
        raise RuntimeError(f"mean: expected a floating-point tensor, got dtype {x.dtype}")
    axes = _reduce_dims(x, dim, "mean")
    n = 1
    for a in (range(x.ndim) if axes is None else axes):
        n *= x.shape[a]
    return Sum(axes, keepdim)(x) / n if n else Sum(axes, keepdim)(x) * float("nan")


def _extreme(cls, result, x, dim, keepdim, what):
    if dim is None:
        return cls(None, False)(x)
    axis = normalize_dims(dim, x.ndim, what)
    if x.ndim == 0:                   # a 0-d tensor is its own extreme, at index 0
        from ..tensor import zeros
        return result(Sum((), False)(x), zeros((), dtype="int64", device=x.device))
    if len(axis) != 1:
        raise TypeError(f"{what}: dim must be a single int, got {dim!r}")
    fn = cls(axis[0], keepdim)
    values = fn(x)
    idx = fn.indices if keepdim else fn.indices.squeeze(axis[0])
    return result(values, Tensor._make(idx.astype("int64", copy=False), x.device))


def max(x, dim=None, keepdim=False, *, other=None):  # noqa: A001
    """The maximum; with ``dim`` a (values, indices) pair; with a Tensor ``other`` (or in
    place of ``dim``) the elementwise maximum of the two (torch.max(input, other))."""
    if other is not None or isinstance(dim, Tensor):
        return maximum(x, dim if other is None else other)
    return _extreme(Max, MaxResult, x, dim, keepdim, "max")


def min(x, dim=None, keepdim=False, *, other=None):  # noqa: A001
    """The minimum; with ``dim`` a (values, indices) pair; with a Tensor ``other`` (or in
    place of ``dim``) the elementwise minimum of the two (torch.min(input, other))."""
    if other is not None or isinstance(dim, Tensor):
        return minimum(x, dim if other is None else other)
    return _extreme(Min, MinResult, x, dim, keepdim, "min")


def logsumexp(x, dim=None, keepdim=False):
    """log Σ exp(x) over ``dim``, computed stably (integer tensors give float32)."""
    if x.dtype.kind != "f":
        x = x.to("float32")
    return LogSumExp(normalize_dims(dim, x.ndim, "logsumexp"), keepdim)(x)


class StdSqrt(Function):
    """The square root that turns a variance into a standard deviation; its gradient is 0
    where the deviation is 0 (a constant slice), not gy / 0, as torch's std."""

    def forward(self, v):
        return self.backend.xp.sqrt(v)

    def backward(self, gy):
        y = self.output
        return where(_constant(y._data == 0, y), 0.0, gy / (2 * y))


class Var(Function):
    """Σ (x − mean)² / (n − correction) over ``axes``; the gradient is torch's closed form
    2·gy·(x − mean) / (n − correction), not the chain rule through the mean (which would
    spread a nan or inf from one element to all)."""

    def __init__(self, axes, keepdim, correction):
        self.axes, self.keepdim, self.correction = axes, keepdim, correction

    def forward(self, x):
        xp = self.backend.xp
        n = _count(x.shape, self.axes)
        if n == 0:              # an empty slice: nan, without NumPy's empty-mean warning
            return x.sum(axis=self.axes, keepdims=self.keepdim) * xp.asarray(np.nan, x.dtype)
        d = x - x.mean(axis=self.axes, keepdims=True)
        ss = (d * d).sum(axis=self.axes, keepdims=self.keepdim)
        dof = n - self.correction
        return (ss / dof if dof > 0 else ss * xp.asarray(np.nan, dtype=x.dtype)).astype(
            x.dtype, copy=False)

    def backward(self, gy):
        x = self.inputs[0]
        dof = _count(x.shape, self.axes) - self.correction
        g = _expand_back(gy, x.shape, self.axes, self.keepdim)
        d = x - mean(x, self.axes, keepdim=True)
        return g * d * (2.0 / dof if dof else float("inf"))


def _count(shape, axes):
    n = 1
    for a in (range(len(shape)) if axes is None else axes):
        n *= shape[a]
    return n


def _var(x, dim=None, keepdim=False, unbiased=None, *, correction=None):
    """Variance over ``dim``: Σ(x − mean)² / (n − correction), correction 1 (Bessel's) unless
    ``unbiased=False`` or ``correction=`` says otherwise (nan when no degree of freedom is
    left, as torch)."""
    if x.dtype.kind != "f":
        raise RuntimeError(f"var: expected a floating-point tensor, got dtype {x.dtype}")
    c = _correction(unbiased, correction, "var")
    return Var(_reduce_dims(x, dim, "var"), keepdim, c)(x)


def _std(x, dim=None, keepdim=False, unbiased=None, *, correction=None):
    """Standard deviation over ``dim``: the square root of :func:`var`."""
    return StdSqrt()(_var(x, dim, keepdim, unbiased, correction=correction))


def _arg(x, dim, keepdim, what):
    if x.dtype.kind == "b":
        raise RuntimeError(f"{what}(): does not support bool input")
    a = x._data
    if dim is None:
        if a.size == 0:
            raise IndexError(f"{what}(): expected a non-empty tensor when no dim is given")
        idx = getattr(a, what)()
        if keepdim:
            idx = idx.reshape((1,) * x.ndim)
    elif x.ndim == 0:
        normalize_dims(dim, 0, what)
        idx = 0
    else:
        axis = normalize_dims(dim, x.ndim, what)
        if len(axis) != 1:
            raise TypeError(f"{what}(): dim must be a single int, got {dim!r}")
        axis = axis[0]
        if a.shape[axis] == 0:
            raise IndexError(f"{what}(): expected reduction dim {axis} to have non-zero "
                             f"size")
        idx = getattr(a, what)(axis=axis, keepdims=keepdim)
    xp = x.backend.xp
    return Tensor._make(xp.asarray(idx, dtype="int64"), x.device)


def argmax(x, dim=None, keepdim=False):
    """Index of the maximum (over all elements, flattened, when dim is None)."""
    return _arg(x, dim, keepdim, "argmax")


def argmin(x, dim=None, keepdim=False):
    """Index of the minimum (over all elements, flattened, when dim is None)."""
    return _arg(x, dim, keepdim, "argmin")


# ----------------------------------------------------------------------------- more reductions

class AMax(Function):
    """amax / amin over ``axes``: the gradient is shared evenly among the entries equal to
    the result, torch's (grad / count) · mask — multiplied, as torch does."""

    def __init__(self, axes, keepdim, pick):
        self.axes, self.keepdim, self.pick = axes, keepdim, pick

    def forward(self, x):
        if _count(x.shape, self.axes) == 0:
            if self.axes is None:
                raise RuntimeError(f"{self.pick}(): expected a non-empty tensor; specify the "
                                   f"reduction dim with the 'dim' argument")
            raise IndexError(f"{self.pick}(): expected reduction dims {self.axes} to have "
                             f"non-zero size")
        return getattr(x, "max" if self.pick == "amax" else "min")(axis=self.axes,
                                                                    keepdims=self.keepdim)

    def backward(self, gy):
        x = self.inputs[0]
        y = _expand_back(self.output, x.shape, self.axes, self.keepdim)
        hit = x._data == y._data
        count = _constant(hit.sum(axis=self.axes, keepdims=True).astype(x.dtype), x)
        g = _expand_back(gy, x.shape, self.axes, self.keepdim) / count
        return g * _constant(hit.astype(x.dtype), x)


class InfNorm(AMax):
    """The ±∞-norm of |x|: amax's gradient with the count of hits at least 1 (torch's: a
    slice whose norm is nan, so nothing hits, gets 0 from a finite gy, nan from an inf one)."""

    def backward(self, gy):
        x = self.inputs[0]
        y = _expand_back(self.output, x.shape, self.axes, self.keepdim)
        hit = x._data == y._data
        count = self.backend.xp.maximum(hit.sum(axis=self.axes, keepdims=True), 1)
        g = _expand_back(gy, x.shape, self.axes, self.keepdim) / _constant(
            count.astype(x.dtype), x)
        return g * _constant(hit.astype(x.dtype), x)


def _reduce_dims(x, dim, what):
    """torch's dim=None / () / int / tuple for amax-style reductions: () means every dim."""
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return None
    return normalize_dims(dim, x.ndim, what)


def amax(x, dim=(), keepdim=False):
    """Maximum over ``dim`` (all dims by default); ties share the gradient (torch.amax)."""
    return AMax(_reduce_dims(x, dim, "amax"), keepdim, "amax")(x)


def amin(x, dim=(), keepdim=False):
    """Minimum over ``dim`` (all dims by default); ties share the gradient (torch.amin)."""
    return AMax(_reduce_dims(x, dim, "amin"), keepdim, "amin")(x)


def aminmax(input, *, dim=None, keepdim=False):  # noqa: A002 - torch's names
    """(min, max) over ``dim`` (all dims when None), as torch.aminmax."""
    if dim is not None and not isinstance(dim, (int, np.integer)):
        raise TypeError(f"aminmax(): dim must be an int or None, got {dim!r}")
    if dim is None and keepdim:
        ones = (1,) * input.ndim
        return AminmaxResult(amin(input).reshape(ones), amax(input).reshape(ones))
    dims = () if dim is None else dim
    return AminmaxResult(amin(input, dims, keepdim), amax(input, dims, keepdim))


def nansum(x, dim=None, keepdim=False):
    """Sum over ``dim`` with nan counted as zero (torch.nansum); no gradient reaches a nan."""
    if x.dtype.kind != "f":
        return sum(x, dim, keepdim)
    return sum(where(x != x, 0.0, x), dim, keepdim)


def nanmean(x, dim=None, keepdim=False):
    """Mean over ``dim`` of the elements that are not nan (torch.nanmean)."""
    if x.dtype.kind != "f":
        raise RuntimeError(f"nanmean: expected a floating-point tensor, got dtype {x.dtype}")
    return nansum(x, dim, keepdim) / sum(x == x, dim, keepdim)


def _logical(x, dim, keepdim, what):
    axes = normalize_dims(dim, x.ndim, what) if dim is not None else None
    a = x._data if x.dtype.kind == "b" else x._data != 0
    out = getattr(a, what)(axis=axes, keepdims=keepdim if axes is not None else False)
    xp = x.backend.xp
    out = xp.asarray(out)
    return Tensor._make(out.astype("uint8") if x.dtype == np.uint8 else out, x.device)


def all(x, dim=None, keepdim=False):  # noqa: A001 - torch's name
    """Whether every element (along ``dim``) is nonzero; bool (uint8 for uint8 input)."""
    return _logical(x, dim, keepdim, "all")


def any(x, dim=None, keepdim=False):  # noqa: A001 - torch's name
    """Whether some element (along ``dim``) is nonzero; bool (uint8 for uint8 input)."""
    return _logical(x, dim, keepdim, "any")


def count_nonzero(x, dim=None):
    """The number of nonzero elements (along ``dim``), as int64."""
    axes = _reduce_dims(x, dim, "count_nonzero")
    n = x.backend.xp.count_nonzero(x._data, axis=axes)
    return Tensor._make(x.backend.xp.asarray(n, dtype="int64"), x.device)


class CumSum(Function):
    saves_values = False

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        if x.dtype == np.float16:   # torch accumulates half in float32
            return x.cumsum(axis=self.axis, dtype="float32").astype(x.dtype)
        return x.cumsum(axis=self.axis)

    def vjp(self, gy):
        a = self.axis
        return self.backend.xp.flip(self.backend.xp.flip(gy, a).cumsum(axis=a), a)

    def backward(self, gy):
        from .shape import flip
        return flip(CumSum(self.axis)(flip(gy, self.axis)), self.axis)


def cumsum(x, dim, dtype=None):
    """Running sums along ``dim`` (integers and bools sum as int64, as torch)."""
    from .shape import wrap_dim
    axis = wrap_dim(dim, x.ndim, "cumsum")
    if dtype is not None:
        x = x.to(dtype)
    elif x.dtype.kind in "iub" and x.dtype != np.int64:
        x = x.to("int64")
    if x.ndim == 0:
        return x.clone()
    return CumSum(axis)(x)


def _correction(unbiased, correction, what):
    if correction is not None:
        if unbiased is not None:
            raise TypeError(f"{what}(): pass either unbiased or correction, not both")
        return correction
    return 1 if unbiased is None or unbiased else 0


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002
    """(var, mean) over ``dim``, as torch.var_mean."""
    c = _correction(unbiased, correction, "var_mean")
    return _var(input, dim, keepdim, correction=c), mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002
    """(std, mean) over ``dim``, as torch.std_mean."""
    c = _correction(unbiased, correction, "std_mean")
    return _std(input, dim, keepdim, correction=c), mean(input, dim, keepdim)


def vector_norm(x, ord=2, dim=None, keepdim=False):  # noqa: A002 - torch's name
    """‖x‖_ord over ``dim`` (all elements by default): ord = 2, 1, inf, -inf, 0 or any p,
    with torch's gradients (0 at a zero vector for ord 2; ties share it for ±inf)."""
    if x.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: expected a floating point input, got "
                           f"{x.dtype}")
    axes = _reduce_dims(x, dim, "vector_norm")
    from .unary import abs as _abs
    a = _abs(x)
    if ord == 2:
        return NormSqrt()(sum(x * x, axes, keepdim))
    if ord == 1:
        return sum(a, axes, keepdim)
    if ord == float("inf"):
        return InfNorm(axes, keepdim, "amax")(a)
    if ord == float("-inf"):
        return InfNorm(axes, keepdim, "amin")(a)
    if ord == 0:            # a count: in the graph with gradient 0 (sign's), as torch
        from .elementwise import sign
        return sum(sign(x) * 0 + (x != 0).to(x.dtype), axes, keepdim)
    return PNorm(axes, keepdim, ord)(x)


class PNorm(Function):
    """(Σ|x|^p)^(1/p) with torch's gradient sgn(x)·|x|^(p−1) · gy / ‖x‖^(p−1), written as
    torch writes it for each range of p (so double backward matches too): 0 where the norm
    is 0, and for p < 1, where |x|^(p−1) is infinite, 0 where x is 0."""

    def __init__(self, axes, keepdim, p):
        self.axes, self.keepdim, self.p = axes, keepdim, p

    def forward(self, x):
        xp = self.backend.xp
        s = (xp.abs(x) ** self.p).sum(axis=self.axes, keepdims=self.keepdim)
        return (s ** (1.0 / self.p)).astype(x.dtype, copy=False)

    def backward(self, gy):
        from .elementwise import sign
        from .unary import abs as _abs
        x, y, p = self.inputs[0], self.output, self.p
        scale = where(_constant(y._data == 0, y), 0.0, gy / y ** (p - 1))
        if p >= 2:
            scaled = x * _abs(x) ** (p - 2)
        elif p >= 1:
            scaled = sign(x) * _abs(x) ** (p - 1)
        else:
            scaled = sign(x) * where(_constant(x._data == 0, x), 0.0, _abs(x) ** (p - 1))
        return scaled * _expand_back(scale, x.shape, self.axes, self.keepdim)


class NormSqrt(Function):
    """The square root that turns Σx² into ‖x‖₂: gradient 0 where the norm is 0 (torch)."""

    def forward(self, s):
        return self.backend.xp.sqrt(s)

    def backward(self, gy):         # torch: gy · (masked 1 / 2y): an inf gy at 0 gives nan
        y = self.output
        return gy * where(_constant(y._data == 0, y), 0.0, 1 / (2 * y))


def norm(x, p="fro", dim=None, keepdim=False, dtype=None):
    """torch.norm: the vector norm of ``x`` (p = 'fro' is 2; 'nuc' is not supported)."""
    if dtype is not None:
        x = x.to(dtype)
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str):
        raise RuntimeError(f"norm: p={p!r} is not supported (use 'fro' or a number)")
    return vector_norm(x, p, dim, keepdim)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002
    """Variance over ``dim``: Σ(x − mean)² / (n − correction), correction 1 (Bessel's) unless
    ``unbiased=False`` or ``correction=`` says otherwise (nan when no degree of freedom is
    left); torch's argument order (dim, unbiased, keepdim)."""
    return _var(input, dim, keepdim, unbiased, correction=correction)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002
    """Standard deviation over ``dim``: the square root of :func:`var`."""
    return _std(input, dim, keepdim, unbiased, correction=correction)


def _torch_convention(fn, casts):
    """``fn`` called as torch calls it: the tensor as ``input=`` too, NumPy's ``axis=`` for
    ``dim=``, and (``casts``) ``dtype=`` converting the input first."""
    def reduction(input, *args, axis=None, dtype=None, **kwargs):  # noqa: A002
        if axis is not None:
            if "dim" in kwargs or args:
                raise TypeError(f"{fn.__name__}(): got both dim and its alias axis")
            kwargs["dim"] = axis
        if dtype is not None:
            if casts:
                input = input.to(dtype)
            else:
                kwargs["dtype"] = dtype
        return fn(input, *args, **kwargs)
    reduction.__name__ = reduction.__qualname__ = fn.__name__
    reduction.__doc__ = fn.__doc__
    reduction.__wrapped__ = fn
    return reduction


# the reductions with torch's calling convention; each is also a Tensor method
METHODS = ("sum", "mean", "max", "min", "logsumexp", "argmax", "argmin", "var", "std", "amax",
           "amin", "all", "any", "count_nonzero", "cumsum", "norm", "nansum", "nanmean")
_module = sys.modules[__name__]
for _name in METHODS:
    setattr(_module, _name, _torch_convention(getattr(_module, _name),
                                              _name not in ("cumsum", "norm")))


def install(tensor_class):
    """Bind METHODS on the Tensor class (tensor.py calls this once it is defined)."""
    for name in METHODS:
        setattr(tensor_class, name, getattr(_module, name))
    tensor_class.aminmax = aminmax
