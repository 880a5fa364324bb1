"""Products and running reductions: prod, cumprod, cummax / cummin, logcumsumexp.

Every backward is written in Tensor ops (so it can be differentiated again) and follows
torch's formulas (tools/autograd/derivatives.yaml): the product's gradient stays exact with
zeros in the input, the running extremes send their gradient to the index they report, and
logcumsumexp's gradient is computed in log space, so large inputs do not overflow.
"""
from __future__ import annotations

import functools
import sys
from collections import namedtuple

import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import _mode
from .math import where
from .indexing import _scatter_positions
from .shape import GetItem, cat, flip, narrow, wrap_dim
from .unary import _constant

Tensor = None   # pygrad.tensor.Tensor, bound when that module loads (it imports this one)

__all__ = ["cummax", "cummin", "cumprod", "logcumsumexp", "prod", "trapezoid", "trapz",
           "cumulative_trapezoid"]
METHODS = ("prod", "cumprod", "cumprod_", "cumsum_", "cummax", "cummin", "logcumsumexp")

CummaxResult = namedtuple("CummaxResult", ["values", "indices"])
CumminResult = namedtuple("CumminResult", ["values", "indices"])


def axis_alias(fn):
    """Let ``fn`` take torch's ``axis=`` alias of its ``dim`` argument (a TypeError when
    both are given)."""
    @functools.wraps(fn)
    def wrapper(*args, axis=None, **kwargs):
        if axis is not None:
            if "dim" in kwargs:
                raise TypeError(f"{fn.__name__}(): got both dim and its alias axis")
            kwargs["dim"] = axis
        return fn(*args, **kwargs)
    return wrapper


def accumulate(xp, ufunc, a, axis):
    """``ufunc.accumulate`` along ``axis`` (a running max, sum, logaddexp, ...) for an
    associative ``ufunc``. Where the array library has no ``accumulate`` for it, a scan by
    doubling: after the step with shift s every entry holds the ufunc of the 2s entries
    ending at it, so ceil(log2 n) whole-array steps replace a loop over the n entries."""
    try:
        return ufunc.accumulate(a, axis=axis)
    except (AttributeError, NotImplementedError, TypeError, ValueError):
        out = xp.array(a, copy=True)
        n, step = a.shape[axis], 1
        while step < n:
            prev = [slice(None)] * a.ndim
            cur = list(prev)
            prev[axis], cur[axis] = slice(0, n - step), slice(step, n)
            # the right side is a new array: every entry reads the previous step's values
            out[tuple(cur)] = ufunc(out[tuple(prev)], out[tuple(cur)])
            step *= 2
        return out


def gather_along(x, axis, idx):
    """``x`` read at the integer array ``idx`` along ``axis`` (take_along_axis, ``idx`` as
    large as x elsewhere): a GetItem through the flat index of gather / scatter, so its
    gradient (a scatter-add) and that one's (this read again) run on every backend."""
    return GetItem(_scatter_positions(x.backend.xp, x.shape, idx.shape, axis, idx))(x)


def _int64_unless(x, dtype):
    """torch's accumulation dtype: ``dtype`` when given, else int64 for integers and bools."""
    if dtype is not None:
        return x.to(dtype)
    if x.dtype.kind in "iub" and x.dtype != np.int64:
        return x.to("int64")
    return x


def _ones_slice(x, axis):
    """Ones shaped like ``x`` with size 1 along ``axis`` (a constant)."""
    shape = list(x.shape)
    shape[axis] = 1
    return _constant(x.backend.xp.ones(tuple(shape), dtype=x.dtype), x)


# ----------------------------------------------------------------------------- prod

def _prod_safe_zeros_backward(gy, x, axis):
    """gy times the product of every other entry of the slice, by exclusive running products
    from both ends: exact with zeros, and differentiable again (torch's
    prod_safe_zeros_backward). ``gy`` has size 1 along ``axis``."""
    n = x.shape[axis]
    if x._data.size == 0:
        return gy.expand(*x.shape)
    ones = _ones_slice(x, axis)
    before = cumprod(cat([ones, narrow(x, axis, 0, n - 1)], axis), axis)
    after = flip(cumprod(cat([ones, flip(narrow(x, axis, 1, n - 1), axis)], axis), axis), axis)
    return gy * (before * after)


class Prod(Function):
    """The product over ``axis`` (None: all elements)."""

    def __init__(self, axis, keepdim):
        self.axis, self.keepdim = axis, keepdim

    def forward(self, x):
        xp = self.backend.xp
        return xp.asarray(x.prod(axis=self.axis, keepdims=self.keepdim), dtype=x.dtype)

    def backward(self, gy):
        x, y, axis = self.inputs[0], self.output, self.axis
        if x.ndim == 0:
            return gy
        zeros = int((x._data == 0).sum())
        if axis is None:
            if zeros == 0:
                return gy * (y / x)
            if zeros > 1:           # every partial product has a zero factor
                return _constant(self.backend.xp.zeros(x.shape, dtype=x.dtype), x)
            flat = x.reshape(-1)
            return _prod_safe_zeros_backward(gy.reshape(1), flat, 0).reshape(x.shape)
        if not self.keepdim:
            gy, y = gy.unsqueeze(axis), y.unsqueeze(axis)
        if zeros == 0:
            return gy * (y / x)
        return _prod_safe_zeros_backward(gy, x, axis)


@axis_alias
def prod(input, dim=None, keepdim=False, *, dtype=None):
    """The product of all elements, or over ``dim`` (one int) keeping it when ``keepdim``.

    Integers and bools multiply as int64 unless ``dtype`` says otherwise (the input is cast
    to ``dtype`` first, as torch). The gradient is gy · y / x without zeros and the product
    of the other entries of the slice with zeros (0 where a slice has two or more zeros)."""
    x = _int64_unless(input, dtype)
    if dim is None:
        return Prod(None, False)(x)
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"prod(): dim must be an int, got {dim!r}")
    axis = wrap_dim(dim, x.ndim, "prod")
    if x.ndim == 0:
        return Prod(None, False)(x)
    return Prod(axis, keepdim)(x)


# ----------------------------------------------------------------------------- cumprod

def _reversed_cumsum(t, axis):
    return flip(flip(t, axis).cumsum(axis), axis)


class CumProd(Function):
    """Running products along ``axis``. Without zeros the gradient is
    reversed_cumsum(gy · y) / x; with zeros it is computed slice by slice as torch does: in
    O(n) on arrays when the backward is not recorded, and as a sum of omitted products
    (O(n²), differentiable) when it is."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return x.cumprod(axis=self.axis)

    def backward(self, gy):
        x, y, axis = self.inputs[0], self.output, self.axis
        n = x.shape[axis]
        if x._data.size <= 1 or n == 1:
            return gy
        if not bool((x._data == 0).any()):
            return _reversed_cumsum(gy * y, axis) / x
        if not _mode.enabled:
            return _constant(self._zeros_vjp(gy._data, x._data, y._data), x)
        ones = _ones_slice(x, axis)
        parts = []
        for k in range(n):
            tail = narrow(x, axis, k + 1, n - k - 1)
            if k == 0:
                omitted = cat([ones, cumprod(tail, axis)], axis)
            else:
                until_k = prod(narrow(x, axis, 0, k), axis, keepdim=True)
                omitted = until_k if k == n - 1 else \
                    cat([until_k, until_k * cumprod(tail, axis)], axis)
            parts.append((narrow(gy, axis, k, n - k) * omitted).sum(axis, keepdim=True))
        return cat(parts, axis)

    def _zeros_vjp(self, gy, x, y):
        """The gradient on arrays when x has zeros: before a slice's first zero z the
        no-zero formula over the prefix; at z, y[z-1] · Σ_j gy_j · Π x(z, j] up to the next
        zero; after z, 0."""
        xp, axis = self.backend.xp, self.axis
        n = x.shape[axis]
        is_zero = x == 0
        count = is_zero.cumsum(axis=axis)
        before = count == 0
        w = xp.where(before, y * gy, 0)
        safe = xp.where(before, x, 1)
        gx = xp.where(before, xp.flip(xp.flip(w, axis).cumsum(axis=axis), axis) / safe, 0)
        first = is_zero & (count == 1)
        between = (count == 1) & ~first
        run = xp.where(between, x, 1).cumprod(axis=axis)
        total = (run * xp.where(count == 1, gy, 0)).sum(axis=axis, keepdims=True)
        prev = xp.concatenate([xp.ones(tuple(s if i != axis else 1 for i, s in
                                             enumerate(x.shape)), dtype=x.dtype),
                               xp.take(y, xp.arange(n - 1), axis=axis)], axis=axis)
        return xp.where(first, total * prev, gx).astype(x.dtype, copy=False)


@axis_alias
def cumprod(input, dim, *, dtype=None):
    """Running products along ``dim``: y_i = x_0 · … · x_i (integers and bools as int64
    unless ``dtype`` is given), differentiable with zeros in the input."""
    x = _int64_unless(input, dtype)
    axis = wrap_dim(dim, x.ndim, "cumprod")
    if x.ndim == 0:
        return x.clone()
    return CumProd(axis)(x)


def cumprod_(self, dim, *, dtype=None):
    """In-place :func:`cumprod` (the result cast back to this tensor's dtype)."""
    from ..autograd import inplace
    return inplace.apply(self, "cumprod_()", lambda x: cumprod(x, dim, dtype=dtype))


def cumsum_(self, dim, *, dtype=None):
    """In-place cumsum (the result cast back to this tensor's dtype)."""
    from ..autograd import inplace
    return inplace.apply(self, "cumsum_()", lambda x: x.cumsum(dim, dtype=dtype))


# ----------------------------------------------------------------------------- cummax / cummin

def _running_extreme(x, dim, pick, result, what):
    axis = wrap_dim(dim, x.ndim, what)
    xp = x.backend.xp
    if x.ndim == 0:
        return result(x.clone(), _constant(xp.zeros((), dtype="int64"), x))
    a = x._data
    if a.size == 0:
        return result(x.clone(), _constant(xp.zeros(a.shape, dtype="int64"), x))
    values = accumulate(xp, pick, a, axis)
    # the index moves to every entry that is (again) the running extreme, ties included,
    # and to every nan (torch's >= / <= scan, in which nan wins)
    moved = a == values
    if a.dtype.kind == "f":
        moved |= xp.isnan(a)
    shape = [1] * a.ndim
    shape[axis] = a.shape[axis]
    pos = xp.arange(a.shape[axis], dtype="int64").reshape(tuple(shape))
    idx = accumulate(xp, xp.maximum, xp.where(moved, pos, 0), axis)
    return result(gather_along(x, axis, idx), _constant(idx, x))


@axis_alias
def cummax(input, dim):
    """(values, indices) of the running maximum along ``dim``: ties move the index to the
    later entry and nan, once seen, stays the maximum (torch's rules). The gradient of the
    values goes to the reported indices."""
    return _running_extreme(input, dim, input.backend.xp.maximum, CummaxResult, "cummax")


@axis_alias
def cummin(input, dim):
    """(values, indices) of the running minimum along ``dim`` (ties and nan as cummax)."""
    return _running_extreme(input, dim, input.backend.xp.minimum, CumminResult, "cummin")


# ----------------------------------------------------------------------------- logcumsumexp

class LogCumSumExp(Function):
    """log Σ_{j≤i} exp(x_j) along ``axis``, accumulated with logaddexp (no overflow, no
    underflow of small terms). The gradient is torch's: the positive and the negative parts
    of gy are carried through reversed logcumsumexps in log space, so that it stays finite
    for large inputs and works for gradients of either sign."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return accumulate(self.backend.xp, self.backend.xp.logaddexp, x, self.axis)

    def backward(self, gy):
        x, y, axis = self.inputs[0], self.output, self.axis
        if gy._data.size == 0:
            return gy
        lowest = float(np.finfo(gy.dtype).min)
        log_abs = gy.abs().log()
        pos = where(_constant(gy._data > 0, gy), log_abs, lowest)
        neg = where(_constant(gy._data < 0, gy), log_abs, lowest)

        def reversed_lcse(t):
            return flip(LogCumSumExp(axis)(flip(t, axis)), axis)

        return (reversed_lcse(pos - y) + x).exp() - (reversed_lcse(neg - y) + x).exp()


@axis_alias
def logcumsumexp(input, dim):
    """log(cumsum(exp(x))) along ``dim``, computed stably (floating-point inputs only)."""
    x = input
    axis = wrap_dim(dim, x.ndim, "logcumsumexp")
    if x.dtype.kind != "f":
        raise NotImplementedError(f"logcumsumexp: not implemented for dtype {x.dtype} "
                                  f"(expected a floating-point tensor)")
    if x.ndim == 0:
        return x.clone()
    return LogCumSumExp(axis)(x)


# ----------------------------------------------------------------------------- integration

def _spacing(y, x, dx, axis, what):
    """The sample spacing: a number (dx, default 1) or the differences of ``x`` viewed along
    ``axis`` as torch views it (a 1-d x lies along axis; a shorter x takes leading 1s)."""
    if x is None:
        return 1.0 if dx is None else float(dx)
    if dx is not None:
        raise TypeError(f"{what}(): pass either x or dx, not both")
    if x.ndim == 1:
        if x.shape[0] != y.shape[axis]:
            raise RuntimeError(f"{what}: There must be one `x` value for each sample point")
        shape = [1] * y.ndim
        shape[axis] = x.shape[0]
        x = x.reshape(shape)
    elif x.ndim < y.ndim:
        x = x.reshape((1,) * (y.ndim - x.ndim) + tuple(x.shape))
    n = x.shape[axis]
    return narrow(x, axis, 1, max(n - 1, 0)) - narrow(x, axis, 0, max(n - 1, 0))


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """∫ y along ``dim`` by the trapezoidal rule, over the points ``x`` or with spacing
    ``dx`` (default 1), computed with torch's formulas (torch.trapezoid)."""
    axis = wrap_dim(dim, y.ndim, "trapezoid")
    n = y.shape[axis]
    if n == 0:
        from ..tensor import zeros
        shape = tuple(s for i, s in enumerate(y.shape) if i != axis)
        return zeros(shape, dtype=y.dtype, device=y.device)
    d = _spacing(y, x, dx, axis, "trapezoid")
    if not isinstance(d, Tensor):      # constant spacing: dx·(Σy − (y₀ + yₙ)/2)
        return (y.sum(axis) - (y.select(axis, 0) + y.select(axis, -1)) * 0.5) * d
    return (d * (narrow(y, axis, 1, n - 1) + narrow(y, axis, 0, n - 1))).sum(axis) / 2.0


def trapz(y, x=None, *, dx=None, dim=-1):
    """torch.trapz: an alias of :func:`trapezoid`."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoidal integral along ``dim`` (one value per interval), as
    torch.cumulative_trapezoid."""
    axis = wrap_dim(dim, y.ndim, "cumulative_trapezoid")
    n = max(y.shape[axis] - 1, 0)
    d = _spacing(y, x, dx, axis, "cumulative_trapezoid")
    pairs = narrow(y, axis, 1, n) + narrow(y, axis, 0, n)
    if not isinstance(d, Tensor):
        return (pairs * (d / 2.0)).cumsum(axis)
    return (d * pairs).cumsum(axis) / 2.0


def install(tensor_class):
    """Bind METHODS on the Tensor class (tensor.py calls this once it is defined)."""
    module = sys.modules[__name__]
    for name in METHODS:
        setattr(tensor_class, name, getattr(module, name))
