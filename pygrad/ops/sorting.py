"""Ordering: sort, argsort, topk, kthvalue, median, unique, searchsorted and friends.

nan orders after every number (first when descending), as in torch. sort, argsort, topk and
mode order equal values stably (their original order); kthvalue and median select by a
partition (O(n)), so which of several equal entries they name is unspecified, as in torch.
The selected values are a ``gather`` of the input, whose gradient (a scatter-add into the
selected positions) is differentiable again; indices are int64, as torch.
"""
from __future__ import annotations

import numbers
import sys
from collections import namedtuple

import numpy as np

from ..autograd.function import Function
from .math import where
from .scan import accumulate, axis_alias, gather_along
from .shape import wrap_dim
from .unary import _constant

Tensor = None   # pygrad.tensor.Tensor, bound when that module loads (it imports this one)

__all__ = [
    "argsort",
    "bucketize",
    "isin",
    "kthvalue",
    "median",
    "mode",
    "msort",
    "nanmedian",
    "nanquantile",
    "quantile",
    "searchsorted",
    "sort",
    "topk",
    "unique",
    "unique_consecutive",
]
METHODS = ("sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "quantile",
           "nanquantile", "mode", "unique", "unique_consecutive")

SortResult = namedtuple("SortResult", ["values", "indices"])
TopkResult = namedtuple("TopkResult", ["values", "indices"])
KthvalueResult = namedtuple("KthvalueResult", ["values", "indices"])
MedianResult = namedtuple("MedianResult", ["values", "indices"])
NanmedianResult = namedtuple("NanmedianResult", ["values", "indices"])
ModeResult = namedtuple("ModeResult", ["values", "indices"])


def _argsort(xp, a, axis, descending=False):
    """Stable sorting indices along ``axis``: nan last ascending, first descending, equal
    values in their original order either way."""
    if not descending:
        return xp.argsort(a, axis=axis, kind="stable")
    # descending and stable: sort the reversed slice ascending and read it backwards
    idx = xp.argsort(xp.flip(a, axis), axis=axis, kind="stable")
    return (a.shape[axis] - 1) - xp.flip(idx, axis)


def _take(x, axis, idx, keepdim=True):
    """(values, indices): ``x`` gathered at ``idx`` along ``axis`` (differentiable) and the
    int64 indices, with ``axis`` squeezed out of both unless ``keepdim``."""
    idx = idx.astype("int64", copy=False)
    values = gather_along(x, axis, idx)
    if not keepdim:
        values, idx = values.squeeze(axis), idx.squeeze(axis)
    return values, _constant(idx, x)


def _zero_d(x, result):
    """The (values, indices) of a selection over a 0-d tensor: itself, at index 0."""
    return result(x.clone(), _constant(x.backend.xp.zeros((), dtype="int64"), x))


def _no_bool(x, what):
    if x.dtype.kind == "b":
        raise NotImplementedError(f"{what}: not implemented for dtype bool")


# ----------------------------------------------------------------------------- sort

@axis_alias
def sort(input, dim=-1, descending=False, *, stable=False):
    """(values, indices) of ``input`` sorted along ``dim``. The sort is always stable (equal
    values keep their order, so ``stable`` changes nothing); nan sorts as the largest
    value. The gradient of the values goes back to the positions they came from."""
    x = input
    axis = wrap_dim(dim, x.ndim, "sort")
    if x.ndim == 0:
        return _zero_d(x, SortResult)
    idx = _argsort(x.backend.xp, x._data, axis, descending)
    return SortResult(*_take(x, axis, idx))


@axis_alias
def argsort(input, dim=-1, descending=False, *, stable=False):
    """The indices that sort ``input`` along ``dim`` (int64; stable, nan largest)."""
    return sort(input, dim, descending, stable=stable).indices


def msort(input):
    """``input`` sorted along its first dimension (the values of ``sort(input, 0)``)."""
    return sort(input, 0).values


@axis_alias
def topk(input, k, dim=-1, largest=True, sorted=True):
    """(values, indices) of the ``k`` largest (or smallest) entries along ``dim``, in order
    (nan counts as the largest; among equal values the first ones are taken). ``sorted``
    is accepted for torch's signature: the result is always in order."""
    x = input
    axis = wrap_dim(dim, x.ndim, "topk")
    if x.dtype.kind == "b":
        raise RuntimeError("topk: does not support bool dtypes")
    n = x.shape[axis] if x.ndim else 1
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
        raise TypeError(f"topk: k must be an int, got {type(k).__name__}")
    if not 0 <= k <= n:
        raise RuntimeError(f"topk: selected index k out of range (k={k}, dim {dim} has "
                           f"size {n})")
    if x.ndim == 0:               # torch returns the element itself for k = 0 and 1
        return _zero_d(x, TopkResult)
    xp = x.backend.xp
    if 0 < k and 4 * k <= n and x._data.size:
        idx = _select_k(xp, x._data, k, axis, largest)
    else:
        idx = _argsort(xp, x._data, axis, descending=largest)
        idx = xp.take(idx, xp.arange(k), axis=axis)
    return TopkResult(*_take(x, axis, idx))


def _select_k(xp, a, k, axis, largest):
    """The indices of topk without sorting whole slices: the k-th value t by a partition,
    then every entry beyond t and the first entries equal to t (the ones a stable sort
    would take), put in order by sorting just those k. nan is beyond every number."""
    a = xp.moveaxis(a, axis, -1)
    n = a.shape[-1]
    t = xp.partition(a, n - k if largest else k - 1, axis=-1)[..., n - k if largest else k - 1]
    t = t[..., None]
    if a.dtype.kind == "f":
        t_nan, a_nan = xp.isnan(t), xp.isnan(a)
        beyond = (a > t) | (a_nan & ~t_nan) if largest else (a < t)
        tie = xp.where(t_nan, a_nan, a == t)
    else:
        beyond = a > t if largest else a < t
        tie = a == t
    need = k - beyond.sum(axis=-1, keepdims=True)
    chosen = beyond | (tie & (xp.cumsum(tie, axis=-1) <= need))
    # each slice has exactly k chosen entries: their positions, in their original order
    pos = xp.nonzero(chosen.reshape(-1, n))[1].reshape(a.shape[:-1] + (k,))
    order = _argsort(xp, xp.take_along_axis(a, pos, axis=-1), -1, descending=largest)
    return xp.moveaxis(xp.take_along_axis(pos, order, axis=-1), -1, axis)


@axis_alias
def kthvalue(input, k, dim=-1, keepdim=False):
    """(values, indices) of the ``k``-th smallest entry along ``dim`` (k counts from 1;
    nan counts as the largest)."""
    x = input
    axis = wrap_dim(dim, x.ndim, "kthvalue")
    _no_bool(x, "kthvalue")
    n = x.shape[axis] if x.ndim else 1
    if n == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {axis} to have non-zero size.")
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
        raise TypeError(f"kthvalue: k must be an int, got {type(k).__name__}")
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim} "
                           f"(k={k}, size {n})")
    if x.ndim == 0:
        return _zero_d(x, KthvalueResult)
    idx = _kth_smallest(x.backend.xp, x._data, k - 1, axis)
    return KthvalueResult(*_take(x, axis, idx, keepdim))


# ----------------------------------------------------------------------------- median, mode

class _EvenlyShared(Function):
    """A value picked from all of ``x`` (a median): its gradient is shared evenly among the
    entries equal to it — the nan entries when it is nan — as torch's median()."""

    def __init__(self, value):
        self.value = value

    def forward(self, x):
        return self.value

    def backward(self, gy):
        x = self.inputs[0]
        xp, a, y = self.backend.xp, x._data, self.value
        # on arrays, without reading y or the count on the host
        mask = xp.where(xp.isnan(y), xp.isnan(a), a == y)
        count = _constant(mask.sum().astype(gy.dtype), x)
        return where(_constant(mask, x), gy / count, 0.0)


def _kth_smallest(xp, a, kth, axis):
    """Indices (size 1 along ``axis``) of the ``kth`` smallest entry (from 0, nan largest)
    of each slice, by a partition: O(n), where a sort is O(n log n). Which of several equal
    entries it names is unspecified, as in torch."""
    return xp.take(xp.argpartition(a, kth, axis=axis), xp.arange(kth, kth + 1), axis=axis)


def _median(x, dim, keepdim, skip_nan, result, what):
    _no_bool(x, what)
    xp = x.backend.xp
    floating = x.dtype.kind == "f"
    if dim is None:
        a = x._data.reshape(-1)
        nan = xp.isnan(a) if floating else None
        if floating and (skip_nan or bool(nan.any())):
            a = a[~nan] if skip_nan else a[:0]       # median(): nan when there is a nan
        if a.size == 0:
            value = xp.asarray(np.nan if floating else 0, dtype=x.dtype)
        else:
            m = (a.size - 1) // 2
            value = xp.partition(a, m)[m].reshape(())
        return _EvenlyShared(value)(x)
    axis = wrap_dim(dim, x.ndim, what)
    if x.ndim == 0:
        return _zero_d(x, result)
    a = x._data
    n = a.shape[axis]
    if n == 0:
        raise IndexError(f"{what}(): Expected reduction dim {axis} to have non-zero size.")
    nan = xp.isnan(a) if floating else None
    if nan is None or not bool(nan.any()) or not a.size:
        idx = _kth_smallest(xp, a, (n - 1) // 2, axis)
    elif not skip_nan:                  # a slice with a nan has it as median: the first one
        idx = xp.where(nan.any(axis=axis, keepdims=True),
                       nan.argmax(axis=axis, keepdims=True),
                       _kth_smallest(xp, a, (n - 1) // 2, axis))
    else:                               # the lower median of each slice's numbers (nan last)
        numbers_ = n - nan.sum(axis=axis, keepdims=True)
        idx = xp.take_along_axis(_argsort(xp, a, axis), xp.maximum(numbers_ - 1, 0) // 2,
                                 axis=axis)
    return result(*_take(x, axis, idx, keepdim))


@axis_alias
def median(input, dim=None, keepdim=False):
    """The lower median (the ((n − 1) // 2)-th smallest entry); nan when there is a nan.

    Without ``dim`` a single value whose gradient is shared among the entries equal to it;
    with ``dim`` (values, indices) whose gradient goes to the indices."""
    return _median(input, dim, keepdim, False, MedianResult, "median")


@axis_alias
def nanmedian(input, dim=None, keepdim=False):
    """:func:`median` of the entries that are not nan (nan when all of them are)."""
    return _median(input, dim, keepdim, True, NanmedianResult, "nanmedian")


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(x, q, dim, keepdim, interpolation, skip_nan, what):
    """torch's quantile_compute: ranks q·(n − 1) into the sorted slice (the last rank when the
    slice has a nan; with ``skip_nan`` n counts the non-nan entries), the value there
    interpolated between the two neighbouring sorted entries: a gather of the sorted input, so
    the gradient reaches the entries it was interpolated from."""
    if not isinstance(x, Tensor) or x.dtype.kind != "f":
        raise RuntimeError(f"{what}() input tensor must be either float or double dtype")
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"{what}() interpolation must be one of linear, lower, higher, "
                         f"midpoint or nearest. Got {interpolation}")
    xp = x.backend.xp
    scalar = not isinstance(q, Tensor) or q.ndim == 0
    if isinstance(q, Tensor) and q.ndim > 1:
        raise RuntimeError(f"{what}() q must be a scalar or 1D tensor")
    qa = xp.asarray(q.detach()._data if isinstance(q, Tensor) else q, dtype=x.dtype).reshape(-1)
    if bool(((qa < 0) | (qa > 1)).any()):
        raise RuntimeError(f"{what}() q values must be in the range [0, 1]")
    if dim is None:
        v = x.reshape(-1)
    else:
        axis = wrap_dim(dim, x.ndim, what)
        v = x.reshape(1) if x.ndim == 0 else x.movedim(axis, -1)
    n = v.shape[-1]
    if n == 0:
        raise RuntimeError(f"{what}() input tensor must be non-empty")
    s = sort(v, -1).values                                       # (..., n)
    nan = xp.isnan(s._data)
    qb = qa.reshape((-1,) + (1,) * s.ndim)                       # (nq, 1, ..., 1)
    if skip_nan:
        ranks = qb * (xp.sum(~nan, axis=-1, keepdims=True) - 1).astype(x.dtype)
        ranks = xp.where(ranks < 0, xp.zeros_like(ranks), ranks)
    else:
        ranks = xp.where(nan.any(axis=-1, keepdims=True), xp.asarray(n - 1, dtype=x.dtype),
                         qb * xp.asarray(n - 1, dtype=x.dtype))
    ranks = {"lower": xp.floor, "higher": xp.ceil, "nearest": xp.round}.get(
        interpolation, lambda r: r)(ranks)
    shape = (len(qa),) + tuple(s.shape[:-1]) + (1,)
    ranks = xp.broadcast_to(ranks, shape)
    sorted_q = s.unsqueeze(0).expand((len(qa),) + tuple(s.shape))
    below = ranks.astype("int64")
    out = sorted_q.gather(-1, _constant(below, x))
    if interpolation in ("linear", "midpoint"):
        above = sorted_q.gather(-1, _constant(xp.ceil(ranks).astype("int64"), x))
        w = ranks - below if interpolation == "linear" else xp.where(
            below == ranks, xp.zeros_like(ranks), xp.full_like(ranks, 0.5))
        out = out.lerp(above, _constant(w.astype(x.dtype), x))
    out = out.squeeze(-1)                                        # (nq, ...)
    if keepdim:
        out = out.reshape((len(qa),) + (1,) * x.ndim) if dim is None else \
            out.unsqueeze(1 + wrap_dim(dim, x.ndim, what)) if x.ndim else out
    return out.squeeze(0) if scalar else out


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):  # noqa: A002
    """The ``q``-th quantiles (a number or a 1-D tensor in [0, 1]; a 1-D q adds a leading dim)
    over ``dim`` (all entries when None), interpolated as numpy / torch.quantile; nan when
    the slice has a nan."""
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):  # noqa: A002
    """:func:`quantile` of the entries that are not nan (nan when all of them are)."""
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


@axis_alias
def mode(input, dim=-1, keepdim=False):
    """(values, indices) of the most frequent value along ``dim``: the smallest of the most
    frequent ones, and the index of its last occurrence. Each nan counts once (nan differs
    from nan), so nan is the mode only of an all-nan slice."""
    x = input
    axis = wrap_dim(dim, x.ndim, "mode")
    if x.ndim == 0:
        return _zero_d(x, ModeResult)
    xp, a = x.backend.xp, x._data
    n = a.shape[axis]
    if n == 0:
        raise IndexError(f"mode(): Expected reduction dim {axis} to have non-zero size.")
    order = _argsort(xp, a, axis)
    s = xp.take_along_axis(a, order, axis=axis)
    shape = [1] * a.ndim
    shape[axis] = n
    pos = xp.arange(n, dtype="int64").reshape(tuple(shape))
    # a run of equal values starts where the sorted value changes (nan != nan: a run of one)
    first = xp.take(s, xp.arange(1), axis=axis)
    changed = xp.concatenate([xp.ones_like(first, dtype=bool),
                              xp.take(s, xp.arange(1, n), axis=axis) !=
                              xp.take(s, xp.arange(n - 1), axis=axis)], axis=axis)
    start = accumulate(xp, xp.maximum, xp.where(changed, pos, 0), axis)
    last = xp.concatenate([xp.take(changed, xp.arange(1, n), axis=axis),
                           xp.ones_like(first, dtype=bool)], axis=axis)
    length = xp.where(last, pos - start + 1, 0)
    best = length.argmax(axis=axis)              # the first (smallest) most frequent run
    idx = xp.take_along_axis(order, xp.expand_dims(best, axis), axis=axis)
    return ModeResult(*_take(x, axis, idx, keepdim))


# ----------------------------------------------------------------------------- unique

class _NoDerivative(Function):
    """Passes ``value`` through as an output that is recorded in the graph but has no
    derivative, as torch's unique: backward through it raises."""

    def __init__(self, value, what):
        self.value, self.what = value, what

    def forward(self, x):
        return self.value

    def backward(self, gy):
        raise NotImplementedError(f"the derivative for '{self.what}' is not implemented.")


def _unique_output(x, values, inverse, counts, return_inverse, return_counts, what):
    out = _NoDerivative(values, what)(x) if x.requires_grad else _constant(values, x)
    if not (return_inverse or return_counts):
        return out
    extra = []
    if return_inverse:
        extra.append(_constant(inverse.astype("int64", copy=False), x))
    if return_counts:
        extra.append(_constant(counts.astype("int64", copy=False), x))
    return (out, *extra)


def _runs(xp, changed, n):
    """From a bool vector marking where a new run starts: each entry's run number and the
    length of every run."""
    run = xp.cumsum(changed) - 1
    starts = xp.nonzero(changed)[0]
    counts = xp.diff(xp.concatenate([starts, xp.asarray([n], dtype=starts.dtype)]))
    return run, counts


def _unique_impl(x, sort_first, return_inverse, return_counts, dim, what):
    xp, a = x.backend.xp, x._data
    if dim is None:
        flat = a.reshape(-1)
        n = flat.size
        order = _argsort(xp, flat, 0) if sort_first else xp.arange(n)
        s = flat[order]
        changed = xp.ones(n, dtype=bool)
        if n > 1:
            changed[1:] = s[1:] != s[:-1]
        run, counts = _runs(xp, changed, n)
        inverse = xp.empty(n, dtype="int64")
        inverse[order] = run
        return _unique_output(x, s[changed], inverse.reshape(a.shape), counts,
                              return_inverse, return_counts, what)
    if x.ndim == 0:
        raise IndexError(f"{what}: Dimension specified as {dim} but tensor has no dimensions")
    axis = wrap_dim(dim, x.ndim, what)
    if any(s == 0 for i, s in enumerate(a.shape) if i != axis):
        raise RuntimeError(f"{what}: There are 0 sized dimensions, and they aren't selected, "
                           f"so unique cannot be applied")
    rows = xp.moveaxis(a, axis, 0)
    n = rows.shape[0]
    flat = rows.reshape(n, int(np.prod(rows.shape[1:])))
    if sort_first and n:
        # lexicographic order of the slices: the first element is the primary key
        order = xp.lexsort(flat.T[::-1]) if flat.shape[1] else xp.arange(n)
    else:
        order = xp.arange(n)
    s = flat[order]
    changed = xp.ones(n, dtype=bool)
    if n > 1:
        changed[1:] = (s[1:] != s[:-1]).any(axis=1)
    run, counts = _runs(xp, changed, n)
    inverse = xp.empty(n, dtype="int64")
    inverse[order] = run
    values = xp.moveaxis(s[changed].reshape((-1,) + rows.shape[1:]), 0, axis)
    return _unique_output(x, xp.ascontiguousarray(values), inverse, counts, return_inverse,
                          return_counts, what)


def unique(input, sorted=True, return_inverse=False, return_counts=False,
           dim=None):
    """The distinct values of ``input`` (flattened) or, with ``dim``, its distinct slices
    along ``dim``, in ascending (lexicographic) order; each nan is distinct. With
    ``return_inverse`` also where each entry (slice) went, with ``return_counts`` how
    often each value occurs. Not differentiable (as torch: backward raises)."""
    return _unique_impl(input, True, return_inverse, return_counts, dim, "unique")


def unique_consecutive(input, return_inverse=False, return_counts=False,
                       dim=None):
    """``input`` (flattened, or slices along ``dim``) with each run of equal consecutive
    values kept once; ``return_inverse`` / ``return_counts`` as :func:`unique`."""
    return _unique_impl(input, False, return_inverse, return_counts, dim,
                        "unique_consecutive")


# ----------------------------------------------------------------------------- searchsorted

def _search(xp, seq, values, side, sorter):
    if sorter is not None:
        seq = xp.take_along_axis(seq, sorter, axis=-1)
    dtype = np.result_type(seq.dtype, values.dtype)
    seq, values = seq.astype(dtype, copy=False), values.astype(dtype, copy=False)
    if seq.ndim == 1:
        return xp.searchsorted(seq, values, side=side)
    # one row per sequence: a binary search over all rows at once, in n.bit_length() steps
    # (torch's lower / upper bound, whose comparisons send nan to the end)
    lead, n = seq.shape[:-1], seq.shape[-1]
    rows = int(np.prod(lead))
    s2, v2 = seq.reshape(rows, n), values.reshape(rows, values.shape[-1])
    lo = xp.zeros(v2.shape, dtype="int64")
    hi = xp.full(v2.shape, n, dtype="int64")
    for _ in range(int(n).bit_length()):
        mid = (lo + hi) // 2
        at = xp.take_along_axis(s2, xp.minimum(mid, n - 1), axis=1)
        after = ~(at > v2) if side == "right" else ~(at >= v2)
        active = lo < hi
        lo = xp.where(active & after, mid + 1, lo)
        hi = xp.where(active & ~after, mid, hi)
    return lo.reshape(lead + values.shape[-1:])


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False,
                 side=None, sorter=None):
    """For each value of ``input``, the index at which it would be inserted into
    ``sorted_sequence`` (its last dimension; the leading ones match ``input``'s) keeping it
    sorted: the first such index, or the last with ``right=True`` / ``side='right'``.
    ``sorter`` gives the indices that sort an unsorted sequence. int64 (int32 with
    ``out_int32``); ``input`` may be a number (a 0-d result)."""
    what = "torch.searchsorted()"
    seq = sorted_sequence
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"{what}: side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError(f"{what}: side and right can't be set to opposites, got side "
                               f"of left while right was True")
        right = side == "right"
    if seq.ndim == 0:
        raise RuntimeError(f"{what}: boundaries tensor should have positive dimension, but "
                           f"got 0 dimension")
    xp = seq.backend.xp
    if isinstance(input, Tensor):
        values = input._data
        if seq.ndim > 1 and (values.ndim != seq.ndim or values.shape[:-1] != seq.shape[:-1]):
            raise RuntimeError(
                f"{what}: boundaries tensor should be 1 dimension or the first N-1 dimensions "
                f"of boundaries tensor and input value tensor must match, but we got "
                f"boundaries tensor {list(seq.shape)} and input value tensor "
                f"{list(values.shape)}")
    elif isinstance(input, (numbers.Number, np.generic)):
        if seq.ndim != 1:
            raise RuntimeError(f"{what}: input value can be a scalar only when boundaries "
                               f"tensor dimension is 1, but we got boundaries tensor "
                               f"dim({seq.ndim})")
        values = xp.asarray(input)
    else:
        raise TypeError(f"{what}: expected a Tensor or a number as input, got "
                        f"{type(input).__name__}")
    idx = None
    if sorter is not None:
        if tuple(sorter.shape) != tuple(seq.shape):
            raise RuntimeError(f"{what}: boundary and sorter must have the same size, but got "
                               f"boundary tensor {list(seq.shape)} and got sorter tensor "
                               f"{list(sorter.shape)}")
        if sorter.dtype.kind not in "iu":
            raise TypeError(f"{what}: sorter must be an integer tensor, got {sorter.dtype}")
        idx = sorter._data
        if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= seq.shape[-1]):
            raise RuntimeError(f"{what}: sorter index out of range")
    out = _search(xp, seq._data, values, "right" if right else "left", idx)
    return _constant(xp.asarray(out, dtype="int32" if out_int32 else "int64"), seq)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of ``elements`` occurs in ``test_elements`` (either may be a
    number), as a bool tensor of elements' shape (torch.isin)."""
    like = elements if isinstance(elements, Tensor) else test_elements
    if not isinstance(like, Tensor):
        raise TypeError("isin(): expected elements or test_elements to be a Tensor")
    xp = like.backend.xp
    a = elements._data if isinstance(elements, Tensor) else xp.asarray(elements)
    b = test_elements._data if isinstance(test_elements, Tensor) else xp.asarray(test_elements)
    return _constant(xp.isin(a, b, assume_unique=assume_unique, invert=invert), like)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The index of the bucket of each value among the 1-D sorted ``boundaries``: i with
    boundaries[i-1] < x ≤ boundaries[i] (< with ``right=True``'s ≤ on the left side),
    that is searchsorted(boundaries, input, right=right)."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries tensor must be 1 dimension, but got "
                           f"dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def install(tensor_class):
    """Bind METHODS on the Tensor class (tensor.py calls this once it is defined)."""
    module = sys.modules[__name__]
    for name in METHODS:
        setattr(tensor_class, name, getattr(module, name))
