"""Indexing by index tensors: scatter / scatter_add / scatter_reduce, index_add / index_fill /
index_copy, masked_select / masked_scatter, take / take_along_dim, nonzero / argwhere /
one-argument where, the diagonal family (diag, diagonal, diag_embed, trace), meshgrid,
broadcast_tensors, the stacking helpers (hstack, vstack, dstack, column_stack, concat), fliplr /
flipud, repeat_interleave, t / adjoint and Tensor.unfold.

Almost every op here is one of three moves over a :class:`shape.Index` (an index into an
array): read it (``GetItem``), add into zeros at it (``GetItemGrad``, repeated positions adding
up) or overwrite at it (``_Put``). Each is the other's gradient, so every op built from them is
differentiable twice without a backward of its own; only scatter_reduce has its own Function,
whose backward is torch's formula (derivatives.yaml, scatter_reduce_backward) in Tensor ops.
Indices out of range raise, naming the op, the dimension, its size and the index; they never
wrap silently (where torch accepts negative indices — take, index_fill — they count from the
end, as there).
"""
from __future__ import annotations

import sys

import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import _mode, no_grad
from ..backend.reference import get_xp
from . import shape as _shape
from .binary import inplace
from .shape import GetItem, GetItemGrad, Index, wrap_dim

Tensor = None   # pygrad.tensor.Tensor, bound when that module loads (it imports this one)


# ----------------------------------------------------------------------------- helpers

def _zeros_like(x):
    return Tensor._make(x.backend.xp.zeros(x.shape, x.dtype), x.device)


def _check_tensor(x, what, arg="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{what}(): argument '{arg}' must be a Tensor, got "
                        f"{type(x).__name__}")


def _index_array(index, what, kinds="iu", arg="index"):
    """The array of the integer tensor ``index``; ``kinds`` "i" accepts int64 only (torch's
    take, index_copy, index_fill), "iu" any integer dtype."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{what}(): argument '{arg}' must be a Tensor, got "
                        f"{type(index).__name__}")
    if index.dtype.kind not in "iu" or (kinds == "i" and index.dtype != np.int64):
        want = "int64 (long)" if kinds == "i" else "an integer dtype"
        err = IndexError if what == "index_fill" else RuntimeError
        raise err(f"{what}(): expected {want} for {arg}, got dtype {index.dtype}")
    return index._data


def _check_bounds(idx, size, dim, what, negative=False, err=RuntimeError):
    """Raise ``err`` when an entry of ``idx`` is outside [0, size) ([-size, size) with
    ``negative``); return ``idx`` with negative entries counted from the end."""
    if idx.size == 0:
        return idx
    # both bounds in one read from the device
    lo, hi = (int(v) for v in get_xp(idx).stack([idx.min(), idx.max()]).tolist())
    low = -size if negative else 0
    bad = lo if lo < low else hi if hi >= size else None
    if bad is not None:
        raise err(f"{what}(): index {bad} is out of bounds for dimension {dim} with size "
                  f"{size}")
    return idx % size if negative and lo < 0 else idx


def _flat(x):
    return x.reshape(1) if x.ndim == 0 else x


def _back(y, x):
    """``y`` computed on the 1-d view of a 0-d ``x``, given x's shape back."""
    return y.reshape(()) if x.ndim == 0 else y


class _Put(Function):
    """``x`` with ``src`` written at ``index`` (a copy). The gradient of x is the upstream
    gradient with the written positions zeroed; that of src is the upstream gradient read at
    ``index`` (summed when src is a 0-d tensor broadcast to every position)."""

    saves_values = False

    def __init__(self, index):
        self.index = index

    def forward(self, x, src):
        y = x.copy()
        self.index.set(y, src)
        return y

    def backward(self, gy):
        need_x, need_src = self.needs_input_grad
        gx = _Put(self.index)(gy, 0) if need_x else None
        gsrc = None
        if need_src:
            gsrc = GetItem(self.index)(gy)
            src = self.inputs[1]
            if gsrc.shape != src.shape:
                gsrc = gsrc.sum().reshape(src.shape)
        return gx, gsrc


def _read(x, index):
    return GetItem(index)(x)


def _add_at(x, index, src):
    """``x`` plus ``src`` added at ``index`` (repeated positions adding up)."""
    return x + GetItemGrad(index, x.shape)(src)


def _along(x, axis, idx):
    """The index into ``x`` that picks the integer array ``idx`` along ``axis``, whole slices
    elsewhere (the result has idx's dims in place of axis)."""
    xp, shape = x.backend.xp, x.shape
    out = shape[:axis] + tuple(idx.shape) + shape[axis + 1:]
    strides = _strides(shape)
    k = idx.ndim
    flat = idx.reshape((1,) * axis + tuple(idx.shape) + (1,) * (len(shape) - axis - 1)) * \
        strides[axis]
    for d in range(len(shape)):
        if d != axis:
            at = d if d < axis else d + k - 1
            flat = flat + xp.arange(shape[d]).reshape(
                (1,) * at + (shape[d],) + (1,) * (len(out) - at - 1)) * strides[d]
    return _FlatIndex((slice(None),) * axis + (idx,), xp.broadcast_to(flat, out), shape)


def _strides(shape):
    """The strides, in elements, of a C-ordered array of ``shape``."""
    strides, n = [], 1
    for s in reversed(shape):
        strides.append(n)
        n *= s
    return strides[::-1]


# ----------------------------------------------------------------------------- scatter family

def _scatter_index(x, dim, index, src, what):
    """(axis, Index) for the scatter of ``index`` along ``dim`` into ``x``, after torch's
    checks; the Index is None when ``index`` is empty (nothing is written)."""
    _check_tensor(x, what)
    axis = wrap_dim(dim, x.ndim, what)
    idx = _index_array(index, what)
    if idx.size == 0:
        return axis, None
    if index.ndim != x.ndim:
        raise RuntimeError(f"{what}(): index tensor must have the same number of dimensions "
                           f"as self tensor, got {index.ndim} and {x.ndim}")
    sx, si = _flat(x).shape, _flat(index).shape
    ss = None if src is None else _flat(src).shape
    if src is not None and src.ndim != x.ndim:
        raise RuntimeError(f"{what}(): src tensor must have the same number of dimensions "
                           f"as self tensor, got {src.ndim} and {x.ndim}")
    if any(si[d] > sx[d] for d in range(len(sx)) if d != axis) or \
            (ss is not None and any(si[d] > ss[d] for d in range(len(sx)))):
        raise RuntimeError(f"{what}(): expected index {list(si)} to be no larger than self "
                           f"{list(sx)} apart from dimension {axis}" +
                           ("" if ss is None else f" and to be no larger than src {list(ss)}"))
    idx = _check_bounds(idx.reshape(si), sx[axis], dim, what)
    return axis, _scatter_positions(x.backend.xp, sx, si, axis, idx)


def _scatter_positions(xp, shape, index_shape, axis, idx):
    """The index of gather / scatter into an array of ``shape``: an open grid over the
    index's shape (as ``indices(shape, sparse=True)``) with ``idx`` at ``axis``."""
    grid = [xp.arange(n).reshape((1,) * d + (n,) + (1,) * (len(index_shape) - d - 1))
            for d, n in enumerate(index_shape)]
    grid[axis] = idx
    flat = 0
    for g, stride in zip(grid, _strides(shape)):
        flat = flat + g * stride
    return _FlatIndex(tuple(grid), flat, shape)


class _FlatIndex(Index):
    """An advanced index (``advanced``, on an array of ``shape``) that also holds its
    positions as offsets into the C-ordered array (``flat``, of the result's shape).
    Reading, writing and adding through that one 1-d index is several times faster than
    through the tuple, which serves arrays of another layout."""

    __slots__ = ("flat", "shape", "index_shape")

    def __init__(self, advanced, flat, shape):
        super().__init__((), advanced)
        # 1-d: NumPy's ufunc.at takes its fast path only for a 1-d index
        self.index_shape = tuple(flat.shape)
        self.flat, self.shape = flat.reshape(-1), tuple(shape)

    def _flat_view(self, a):
        """``a`` as 1-d without a copy, or None (another layout or shape)."""
        if a.shape == self.shape and a.flags.c_contiguous:
            return a.reshape(-1)
        return None

    def _flat_value(self, xp, value):
        if not hasattr(value, "shape"):
            return value
        if value.shape != self.index_shape:
            value = xp.broadcast_to(value, self.index_shape)
        return value.reshape(-1)

    def get(self, a):
        f = self._flat_view(a)
        return a[self.advanced] if f is None else f[self.flat].reshape(self.index_shape)

    def set(self, a, value):
        f = self._flat_view(a)
        if f is None:
            a[self.advanced] = value
        else:
            f[self.flat] = self._flat_value(get_xp(a), value)

    def add_at(self, xp, a, value):
        self.ufunc_at(xp, "add", a, value)

    def ufunc_at(self, xp, name, a, value):
        """``xp.<name>.at(a, self, value)``: a combined in place with value, repeated
        positions each applied."""
        f = self._flat_view(a)
        if f is None:
            _ufunc_at(xp, name, a, self.advanced, value)
        else:
            _ufunc_at(xp, name, f, (self.flat,), self._flat_value(xp, value))


def _ufunc_at(xp, name, a, pos, b):
    """``xp.<name>.at(a, pos, b)``; CuPy has no ``multiply.at`` (there is no atomic
    multiply), so that one runs on the host."""
    if name != "multiply" or xp is np:
        getattr(xp, name).at(a, pos, b)
        return
    host = [p if isinstance(p, slice) else xp.asnumpy(p) for p in pos]
    h = xp.asnumpy(a)
    np.multiply.at(h, tuple(host), xp.asnumpy(b) if hasattr(b, "shape") else b)
    a[...] = xp.asarray(h)


def _src_part(src, index):
    """``src`` cut to ``index``'s shape (torch reads only that corner of src)."""
    src = _flat(src)
    shape = _flat(index).shape
    if src.shape == shape:
        return src
    return src[tuple(slice(0, n) for n in shape)]


def _same_dtype(x, src, what):
    if src.dtype != x.dtype:
        raise RuntimeError(f"{what}(): expected self.dtype to be equal to src.dtype, got "
                           f"{x.dtype} and {src.dtype}")


class _ScatterAccumulate(Function):
    """scatter with ``reduce="add"`` / ``"multiply"`` (torch's older form): like torch, it has
    no derivative."""

    def __init__(self, index, ufunc):
        self.index, self.ufunc = index, ufunc

    def forward(self, x, src):
        y = x.copy()
        self.index.ufunc_at(self.backend.xp, self.ufunc, y, src)
        return y

    def backward(self, gy):
        raise RuntimeError("scatter(): the derivative of scatter with reduce= is not "
                           "implemented (as in torch); use scatter_add or scatter_reduce")


def scatter(input, dim, index, src=None, *, value=None, reduce=None):  # noqa: A002
    """``input`` with ``src[i][j][k]`` written at ``[index[i][j][k]][j][k]`` (dim 0; likewise
    for the other dims), or the number ``value`` written at every position of ``index``
    (torch.scatter). ``src`` may itself be a number. ``reduce="add"`` / ``"multiply"``
    combines instead of overwriting (not differentiable, as in torch). Where index repeats a
    position, which write wins is unspecified (as in torch)."""
    if src is not None and value is not None:
        raise TypeError("scatter(): give either src or value, not both")
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter(): missing the src (or value) argument")
    is_tensor = isinstance(src, Tensor)
    _, ix = _scatter_index(input, dim, index, src if is_tensor else None, "scatter")
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError(f"scatter(): reduce argument must be either add or multiply, got "
                           f"{reduce!r}")
    if is_tensor:
        _same_dtype(input, src, "scatter")
    if ix is None:
        return input.clone()
    x = _flat(input)
    s = _src_part(src, index) if is_tensor else src
    if reduce is not None:
        y = _ScatterAccumulate(ix, "add" if reduce == "add" else "multiply")(x, s)
    else:
        y = _Put(ix)(x, s)
    return _back(y, input)


def scatter_add(input, dim, index, src):  # noqa: A002 - torch's names
    """``input`` plus ``src`` added at the positions ``index`` gives along ``dim``; repeated
    positions add up (torch.scatter_add). The gradient of src is the upstream gradient
    gathered at ``index``."""
    _check_tensor(src, "scatter_add", "src")
    _, ix = _scatter_index(input, dim, index, src, "scatter_add")
    _same_dtype(input, src, "scatter_add")
    if ix is None:
        return input.clone()
    return _back(_add_at(_flat(input), ix, _src_part(src, index)), input)


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


class _ScatterReduce(Function):
    """scatter_reduce on ``x`` and ``src`` (already cut to the index's shape)."""

    def __init__(self, index, reduce, include_self):
        self.index, self.reduce, self.include_self = index, reduce, include_self

    def forward(self, x, src):
        xp, ix = self.backend.xp, self.index
        y = x.copy()
        if not self.include_self:
            if self.reduce in ("sum", "mean"):
                start = 0
            elif self.reduce == "prod":
                start = 1
            elif x.dtype.kind == "f":
                start = -np.inf if self.reduce == "amax" else np.inf
            elif x.dtype.kind == "b":
                start = self.reduce == "amin"
            else:
                info = np.iinfo(x.dtype)
                start = info.min if self.reduce == "amax" else info.max
            ix.set(y, start)
        ufunc = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum",
                 "amin": "minimum"}[self.reduce]
        ix.ufunc_at(xp, ufunc, y, src)
        if self.reduce == "mean":
            count = xp.zeros(x.shape, np.int64)
            ix.add_at(xp, count, 1)
            if self.include_self:
                count += 1
            count = xp.maximum(count, 1)
            y = (y / count).astype(y.dtype) if y.dtype.kind == "f" else y // count
        return y

    def backward(self, gy):
        # torch's scatter_reduce_backward (FunctionsManual.cpp), in Tensor ops
        from .math import where
        x, src = self.inputs
        ix, result = self.index, self.output
        if self.reduce == "sum":
            gx, gsrc = gy, _read(gy, ix)
        elif self.reduce == "mean":
            n = _zeros_like(gy) + (1.0 if self.include_self else 0.0)
            n = _add_at(n, ix, _zeros_like(src) + 1.0)
            n = where(n == 0, 1.0, n)
            gx, gsrc = gy / n, _read(gy, ix) / _read(n, ix)
        elif self.reduce == "prod":
            masked_x = where(x == 0, 1.0, x)
            gx = gy * _ScatterReduce(ix, "prod", self.include_self)(masked_x, src) / masked_x
            src_zero = src == 0
            zeros = _zeros_like(gy)
            n_zeros = _read(_add_at(zeros, ix, src_zero.to(gy.dtype)), ix)
            single = src_zero & (n_zeros == 1)
            masked_src_result = _ScatterReduce(ix, "prod", self.include_self)(
                x, where(single, 1.0, src))
            gsrc = where(single, _read(gy * masked_src_result, ix),
                         _read(gy * result, ix) / where(src_zero, 1.0, src))
        else:   # amax / amin: ties share the gradient evenly
            value = _read(result, ix)
            x_is = (x == result).to(gy.dtype)
            src_is = (src == value).to(gy.dtype)
            share = gy / _add_at(x_is, ix, src_is)
            gx, gsrc = x_is * share, src_is * _read(share, ix)
        if not self.include_self:
            gx = _Put(ix)(gx, 0)
        need_x, need_src = self.needs_input_grad
        return (gx if need_x else None), (gsrc if need_src else None)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):  # noqa: A002
    """``src`` reduced into ``input`` at the positions ``index`` gives along ``dim``, by
    ``reduce`` = "sum", "prod", "mean", "amax" or "amin"; with ``include_self=False`` the
    input's own value at a written position takes no part (torch.scatter_reduce). Integer
    means round down, as torch. Gradients as torch's (ties of amax / amin share evenly)."""
    _check_tensor(src, "scatter_reduce", "src")
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"scatter_reduce(): reduce argument must be one of "
                           f"{', '.join(_REDUCTIONS)}, got {reduce!r}")
    _, ix = _scatter_index(input, dim, index, src, "scatter_reduce")
    _same_dtype(input, src, "scatter_reduce")
    if ix is None:
        return input.clone()
    y = _ScatterReduce(ix, reduce, bool(include_self))(_flat(input), _src_part(src, index))
    return _back(y, input)


# ----------------------------------------------------------------------------- index_* family

def _index_along(x, dim, index, what, kinds="iu", negative=False, err=RuntimeError):
    """(axis, 1-d index array checked against dim's size) for the index_* ops."""
    _check_tensor(x, what)
    axis = wrap_dim(dim, x.ndim, what)
    idx = _index_array(index, what, kinds)
    if index.ndim > 1:
        raise IndexError(f"{what}(): index is supposed to be a vector, got a tensor of shape "
                         f"{tuple(index.shape)}")
    idx = _check_bounds(idx.reshape(-1), _flat(x).shape[axis], dim, what, negative, err)
    return axis, idx


def index_add(input, dim, index, source, *, alpha=1):  # noqa: A002 - torch's names
    """``input`` plus ``alpha * source`` added at the entries ``index`` picks along ``dim``;
    repeated entries add up (torch.index_add)."""
    axis, idx = _index_along(input, dim, index, "index_add")
    _check_tensor(source, "index_add", "source")
    if source.dtype != input.dtype:
        raise RuntimeError(f"index_add(): self ({input.dtype}) and source ({source.dtype}) "
                           f"must have the same scalar type")
    x, s = _flat(input), _flat(source)
    want = x.shape[:axis] + (len(idx),) + x.shape[axis + 1:]
    if s.shape != want:
        raise RuntimeError(f"index_add(): source tensor shape must match self tensor shape, "
                           f"excluding the specified dimension; got self.shape = "
                           f"{list(input.shape)} source.shape = {list(source.shape)}")
    if alpha != 1:
        s = s * alpha
    return _back(_add_at(x, _along(x, axis, idx), s), input)


def index_copy(input, dim, index, source):  # noqa: A002 - torch's names
    """``input`` with the entries ``index`` picks along ``dim`` replaced by the slices of
    ``source`` (torch.index_copy; with a repeated index, which slice wins is unspecified)."""
    axis, idx = _index_along(input, dim, index, "index_copy", "i", err=IndexError)
    _check_tensor(source, "index_copy", "source")
    if source.dtype != input.dtype:
        raise RuntimeError(f"index_copy(): self and source expected to have the same dtype, "
                           f"but got (self) {input.dtype} and (source) {source.dtype}")
    x, s = _flat(input), _flat(source)
    want = x.shape[:axis] + (len(idx),) + x.shape[axis + 1:]
    if s.shape != want:
        raise IndexError(f"index_copy(): source of shape {tuple(source.shape)} does not match "
                         f"the {len(idx)} indices along dim {dim} of self of shape "
                         f"{tuple(input.shape)} (expected {want})")
    return _back(_Put(_along(x, axis, idx))(x, s), input)


def index_fill(input, dim, index, value):  # noqa: A002 - torch's names
    """``input`` with the entries ``index`` picks along ``dim`` set to ``value`` (a number or
    a 0-d tensor, which gets the gradient of every filled position; torch.index_fill)."""
    axis, idx = _index_along(input, dim, index, "index_fill", "i", negative=True,
                             err=IndexError)
    # each position once: a 0-d value tensor's gradient sums the filled positions once each
    idx = input.backend.xp.unique(idx)
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"index_fill(): only supports a 0-dimensional value tensor, "
                               f"but got tensor with {value.ndim} dimension(s)")
        if value.dtype != input.dtype:
            value = value.to(input.dtype)
    x = _flat(input)
    return _back(_Put(_along(x, axis, idx))(x, value), input)


def index_put(input, indices, values, accumulate=False):  # noqa: A002 - torch's names
    """``input`` with ``values`` (broadcast) written at ``input[indices]``, or added there
    with ``accumulate=True`` (repeated positions adding up); ``indices`` is a tuple of
    integer or bool tensors, one per leading dim (torch.index_put)."""
    _check_tensor(input, "index_put")
    _check_tensor(values, "index_put", "values")
    if not isinstance(indices, (tuple, list)) or not all(isinstance(i, Tensor)
                                                         for i in indices):
        raise TypeError("index_put(): argument 'indices' must be a tuple of Tensors")
    if values.dtype != input.dtype:
        raise RuntimeError(f"index_put(): requires the source and destination dtypes match, "
                           f"got {input.dtype} for the destination and {values.dtype} for "
                           f"the source")
    ix = _shape.normalize_index(tuple(indices), input)
    try:
        shape = ix.get(input._data).shape
    except IndexError as e:
        raise IndexError(f"index_put(): {e}") from None
    if values.shape != shape:
        try:
            values = values.expand(*shape)
        except RuntimeError:
            raise RuntimeError(f"index_put(): shape mismatch: value tensor of shape "
                               f"{list(values.shape)} cannot be broadcast to indexing result "
                               f"of shape {list(shape)}") from None
    return _add_at(input, ix, values) if accumulate else _Put(ix)(input, values)


def put(input, index, source, accumulate=False):  # noqa: A002 - torch's names
    """``input`` read as 1-d with ``source`` written (or added, ``accumulate=True``) at the
    int64 positions ``index`` (negative ones count from the end; torch.put)."""
    _check_tensor(input, "put")
    _check_tensor(source, "put", "source")
    idx = _index_array(index, "put", "i")
    if source.dtype != input.dtype:
        raise RuntimeError(f"put(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {input.dtype} and source.dtype = {source.dtype}")
    if source.numel() != idx.size:
        raise IndexError(f"put(): expected source and index to have the same number of "
                         f"elements, but got source.numel() = {source.numel()}, "
                         f"index.numel() = {idx.size}")
    if idx.size == 0:
        return input.clone()
    n = input.numel()
    idx = _check_bounds(idx.reshape(-1), n, 0, "put", negative=True, err=IndexError)
    ix = _FlatIndex((idx,), idx, (n,))
    x, src = input.reshape(-1), source.reshape(-1)
    y = _add_at(x, ix, src) if accumulate else _Put(ix)(x, src)
    return y.reshape(input.shape)


# ----------------------------------------------------------------------------- masks, take

def masked_fill(input, mask, value):  # noqa: A002 - torch's names
    """``value`` where ``mask`` is true, else ``input`` (torch.masked_fill; the method
    ``x.masked_fill`` is the same op)."""
    _check_tensor(input, "masked_fill")
    return Tensor.masked_fill(input, mask, value)


def _bool_mask(mask, what):
    if not isinstance(mask, Tensor) or mask.dtype != np.bool_:
        raise RuntimeError(f"{what}(): expected a bool tensor for mask, got "
                           f"{getattr(mask, 'dtype', type(mask).__name__)}")


def broadcast_shapes(*shapes):
    """The shape the given shapes broadcast to (torch.broadcast_shapes)."""
    out = []
    for shape in shapes:
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        for i, n in enumerate(reversed(shape)):
            if i == len(out):
                out.insert(0, n)
            elif out[-1 - i] == 1:
                out[-1 - i] = n
            elif n != 1 and n != out[-1 - i]:
                raise RuntimeError(f"The size of tensor a ({out[-1 - i]}) must match the "
                                   f"size of tensor b ({n}) at non-singleton dimension "
                                   f"{len(out) - 1 - i}")
    return tuple(int(n) for n in out)


def masked_select(input, mask):  # noqa: A002 - torch's names
    """The entries of ``input`` where ``mask`` is true, as a 1-d tensor (both broadcast to a
    common shape first; torch.masked_select)."""
    _check_tensor(input, "masked_select")
    _bool_mask(mask, "masked_select")
    shape = broadcast_shapes(input.shape, mask.shape)
    x = input.expand(*shape) if input.shape != shape else input
    m = mask.expand(*shape)._data if mask.shape != shape else mask._data
    return GetItem(Index((), (_flat_mask(m),)))(_flat(x))


def _flat_mask(m):
    return m.reshape(1) if m.ndim == 0 else m


def masked_scatter(input, mask, source):  # noqa: A002 - torch's names
    """``input`` with the positions where ``mask`` is true filled, in row-major order, by the
    first elements of ``source`` (torch.masked_scatter; input and mask broadcast)."""
    _check_tensor(input, "masked_scatter")
    if not isinstance(mask, Tensor) or mask.dtype != np.bool_:
        raise RuntimeError(f"masked_scatter(): only supports boolean masks, but got mask "
                           f"with dtype {getattr(mask, 'dtype', type(mask).__name__)}")
    _check_tensor(source, "masked_scatter", "source")
    if source.dtype != input.dtype:
        raise RuntimeError(f"masked_scatter(): expected self and source to have same dtypes "
                           f"but got {input.dtype} and {source.dtype}")
    shape = broadcast_shapes(input.shape, mask.shape)
    x = input.expand(*shape) if input.shape != shape else input
    m = mask.expand(*shape)._data if mask.shape != shape else mask._data
    k = int(m.sum())
    if k > source.numel():
        raise RuntimeError(f"masked_scatter(): number of elements of source "
                           f"({source.numel()}) < number of ones in mask ({k})")
    src = source.reshape(-1)
    if k < src.shape[0]:
        src = src[:k]
    y = _Put(Index((), (_flat_mask(m),)))(_flat(x), src)
    return y if shape else y.reshape(())


def take(input, index):  # noqa: A002 - torch's names
    """``input`` read as 1-d at ``index`` (int64; negative entries count from the end); the
    result has index's shape (torch.take)."""
    _check_tensor(input, "take")
    idx = _index_array(index, "take", "i")
    n = input.numel()
    if n == 0 and idx.size:
        raise IndexError("take(): tried to take from an empty tensor")
    idx = _check_bounds(idx, n, 0, "take", negative=True, err=IndexError)
    return GetItem(_FlatIndex((idx,), idx, (n,)))(input.reshape(-1))


def take_along_dim(input, indices, dim=None):  # noqa: A002 - torch's names
    """The values of ``input`` at ``indices`` along ``dim``, the other dims of both
    broadcast (torch.take_along_dim); with ``dim=None`` both are read as 1-d."""
    _check_tensor(input, "take_along_dim")
    idx = _index_array(indices, "take_along_dim", "i", "indices")
    if dim is None:
        n = input.numel()
        idx = _check_bounds(idx.reshape(-1), n, 0, "take_along_dim")
        return GetItem(_FlatIndex((idx,), idx, (n,)))(input.reshape(-1))
    if input.ndim != indices.ndim:
        raise RuntimeError(f"take_along_dim(): input and indices should have the same number "
                           f"of dimensions, but got {input.ndim} dimensions for input, and "
                           f"{indices.ndim} dimensions for indices")
    axis = wrap_dim(dim, input.ndim, "take_along_dim")
    x, i = _flat(input), _flat(indices)
    outer = broadcast_shapes(*(s[:axis] + (1,) + s[axis + 1:] for s in (x.shape, i.shape)))
    xs = outer[:axis] + (x.shape[axis],) + outer[axis + 1:]
    ishape = outer[:axis] + (i.shape[axis],) + outer[axis + 1:]
    if x.shape != xs:
        x = x.expand(*xs)
    if i.shape != ishape:
        i = i.expand(*ishape)
    _, ix = _scatter_index(x, axis, i, None, "take_along_dim")
    if ix is None:
        return _back(Tensor._make(x.backend.xp.zeros(ishape, x.dtype), x.device), input)
    return _back(GetItem(ix)(x), input)


def nonzero(input, *, as_tuple=False):  # noqa: A002 - torch's names
    """The indices of the non-zero entries of ``input``: an int64 tensor of shape
    (count, ndim), or with ``as_tuple=True`` one 1-d tensor per dim (torch.nonzero)."""
    _check_tensor(input, "nonzero")
    xp, a = input.backend.xp, input._data
    if as_tuple:
        idx = xp.nonzero(a.reshape(1) if a.ndim == 0 else a)
        return tuple(Tensor._make(i.astype(np.int64), input.device) for i in idx)
    if a.ndim == 0:
        return Tensor._make(xp.zeros((int(a != 0), 0), np.int64), input.device)
    return Tensor._make(xp.stack(xp.nonzero(a), axis=1).astype(np.int64), input.device)


def argwhere(input):  # noqa: A002 - torch's names
    """The indices of the non-zero entries, shape (count, ndim) (torch.argwhere)."""
    return nonzero(input)


def where(condition, input=None, other=None):  # noqa: A002 - torch's names
    """``input`` where ``condition`` is true, else ``other`` (broadcasting; torch.where);
    with the condition alone, ``nonzero(condition, as_tuple=True)``."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where(): expected both input and other, or neither")
    from .math import where as _where
    return _where(condition, input, other)


def _where_method(self, condition, other):
    """``x.where(condition, y)``: x where condition is true, else y (torch's method)."""
    return where(condition, self, other)


# ----------------------------------------------------------------------------- diagonals

def _diagonal_index(xp, rows, cols, offset, lead):
    """Index of the diagonal ``offset`` of the last two dims (rows x cols), whole slices on
    the ``lead`` dims before them."""
    n = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
    i = xp.arange(n)
    return Index((), (slice(None),) * lead + (i - min(offset, 0), i + max(offset, 0))), n


def diagonal(input, offset=0, dim1=0, dim2=1):  # noqa: A002 - torch's names
    """The diagonal ``offset`` (above the main one when positive) of the planes spanned by
    ``dim1`` and ``dim2``, which are removed and replaced by a last dim (torch.diagonal)."""
    _check_tensor(input, "diagonal")
    n = input.ndim
    a1, a2 = wrap_dim(dim1, n, "diagonal"), wrap_dim(dim2, n, "diagonal")
    if n < 2:
        raise RuntimeError(f"diagonal(): expected a tensor with at least 2 dimensions, got "
                           f"{n}")
    if a1 == a2:
        raise RuntimeError(f"diagonal(): diagonal dimensions cannot be identical {dim1}, "
                           f"{dim2}")
    rest = [d for d in range(n) if d not in (a1, a2)]
    x = _shape.permute(input, rest + [a1, a2])
    ix, _ = _diagonal_index(input.backend.xp, input.shape[a1], input.shape[a2], offset,
                            n - 2)
    return GetItem(ix)(x)


_diagonal = diagonal    # for diag, whose argument is named diagonal (torch's name)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):  # noqa: A002 - torch's names
    """Tensors whose diagonal ``offset`` in the planes of ``dim1`` and ``dim2`` (dims of
    the result) holds the last dim of ``input``; zeros elsewhere (torch.diag_embed)."""
    _check_tensor(input, "diag_embed")
    n = input.ndim + 1
    a1, a2 = wrap_dim(dim1, n, "diag_embed"), wrap_dim(dim2, n, "diag_embed")
    if a1 == a2:
        raise RuntimeError(f"diag_embed(): diagonal dimensions cannot be identical {dim1}, "
                           f"{dim2}")
    x = _flat(input)
    m = x.shape[-1] + abs(offset)
    ix, _ = _diagonal_index(input.backend.xp, m, m, offset, x.ndim - 1)
    y = GetItemGrad(ix, x.shape[:-1] + (m, m))(x)
    # the planes are the last two dims of y: move them to a1 and a2
    rest = iter(range(n - 2))
    order = [n - 2 if d == a1 else n - 1 if d == a2 else next(rest) for d in range(n)]
    return _shape.permute(y, order)


def diag(input, diagonal=0):  # noqa: A002 - torch's names
    """A 1-d input as the diagonal ``diagonal`` of a square matrix; a 2-d input's diagonal
    ``diagonal`` as a 1-d tensor (torch.diag)."""
    _check_tensor(input, "diag")
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        return _diagonal(input, diagonal)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


def trace(input):  # noqa: A002 - torch's names
    """The sum of the main diagonal of a matrix (integer inputs give int64, as torch)."""
    _check_tensor(input, "trace")
    if input.ndim != 2:
        raise RuntimeError(f"trace(): expected a matrix, but got tensor with dim {input.ndim}")
    if input.dtype == np.bool_:
        raise RuntimeError("trace(): not implemented for bool tensors")
    d = diagonal(input)
    if input.dtype.kind in "iu":
        d = d.to(np.int64)
    return d.sum()


# ----------------------------------------------------------------------------- grids, stacking

def _tensor_list(tensors, what):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{what}(): expected a sequence of Tensors, got "
                            f"{type(t).__name__} at position {i}")
    return tuple(tensors)


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids of the given 1-d (or 0-d) tensors: with ``indexing="ij"`` output k
    varies along dim k; with ``"xy"`` the first two dims are swapped (torch.meshgrid)."""
    tensors = _tensor_list(tensors, "meshgrid")
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'meshgrid(): indexing must be one of "xy" or "ij", but received: '
                           f'{indexing}')
    if not tensors:
        raise RuntimeError("meshgrid(): expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid(): expected 0D or 1D tensors, got a tensor of shape "
                               f"{tuple(t.shape)} at position {i}")
        if t.dtype != tensors[0].dtype:
            raise RuntimeError("meshgrid(): expects all tensors to have the same dtype")
    sizes = [t.numel() for t in tensors]
    swap = indexing == "xy" and len(tensors) >= 2
    if swap:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for k, t in enumerate(tensors):
        at = {0: 1, 1: 0}.get(k, k) if swap else k
        view = [1] * len(tensors)
        view[at] = sizes[at]
        out.append(t.reshape(tuple(view)).expand(*sizes))
    return tuple(out)


def broadcast_tensors(*tensors):
    """The tensors expanded to their common broadcast shape (torch.broadcast_tensors)."""
    tensors = _tensor_list(tensors, "broadcast_tensors")
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t if t.shape == shape else t.expand(*shape) for t in tensors)


def _atleast(tensors, n, what):
    tensors = _tensor_list(tensors, what)
    out = []
    for t in tensors:
        if t.ndim < n:
            if n == 3 and t.ndim == 2:
                t = t.reshape(t.shape + (1,))
            elif n == 3 and t.ndim == 1:
                t = t.reshape((1,) + t.shape + (1,))
            else:
                t = t.reshape((1,) * (n - t.ndim) + t.shape)
        out.append(t)
    return out[0] if len(out) == 1 else tuple(out)


def atleast_1d(*tensors):
    """Each tensor with at least one dim (0-d becomes shape (1,)); one tensor in, one out."""
    return _atleast(tensors, 1, "atleast_1d")


def atleast_2d(*tensors):
    """Each tensor with at least two dims, new dims in front."""
    return _atleast(tensors, 2, "atleast_2d")


def atleast_3d(*tensors):
    """Each tensor with at least three dims: (n,) -> (1, n, 1), (m, n) -> (m, n, 1)."""
    return _atleast(tensors, 3, "atleast_3d")


def _sequence(tensors, what):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{what}(): argument 'tensors' must be a tuple or list of Tensors, "
                        f"not {type(tensors).__name__}")
    if not tensors:
        raise RuntimeError(f"{what}(): expects a non-empty TensorList")
    return list(tensors)


def _as_list(x):
    return list(x) if isinstance(x, tuple) else [x]


def hstack(tensors):
    """Join along dim 1 (dim 0 for 1-d tensors) after atleast_1d (torch.hstack)."""
    tensors = _as_list(atleast_1d(_sequence(tensors, "hstack")))
    return _shape.cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    """Join along dim 0 after atleast_2d (torch.vstack)."""
    return _shape.cat(_as_list(atleast_2d(_sequence(tensors, "vstack"))), 0)


row_stack = vstack


def dstack(tensors):
    """Join along dim 2 after atleast_3d (torch.dstack)."""
    return _shape.cat(_as_list(atleast_3d(_sequence(tensors, "dstack"))), 2)


def column_stack(tensors):
    """Join as columns: 0-d and 1-d tensors become (n, 1) columns, then dim 1
    (torch.column_stack)."""
    tensors = _sequence(tensors, "column_stack")
    cols = [t.reshape(t.numel(), 1) if t.ndim <= 1 else t for t in tensors]
    return _shape.cat(cols, 1)


def concat(tensors, dim=0, *, axis=None):
    """torch.concat: an alias of cat (``axis=`` too, as NumPy)."""
    return _shape.cat(tensors, dim if axis is None else axis)


def concatenate(tensors, axis=0, *, dim=None):
    """torch.concatenate: an alias of cat."""
    return _shape.cat(tensors, axis if dim is None else dim)


def fliplr(input):  # noqa: A002 - torch's names
    """Reverse dim 1 (input must be at least 2-d; torch.fliplr)."""
    if input.ndim < 2:
        raise RuntimeError(f"fliplr(): input must be >= 2-d, got {input.ndim}-d")
    return _shape.flip(input, (1,))


def flipud(input):  # noqa: A002 - torch's names
    """Reverse dim 0 (input must be at least 1-d; torch.flipud)."""
    if input.ndim < 1:
        raise RuntimeError("flipud(): input must be >= 1-d, got a 0-d tensor")
    return _shape.flip(input, (0,))


def rot90(input, k=1, dims=(0, 1)):  # noqa: A002 - torch's names
    """Rotate by 90° ``k`` times in the plane of ``dims``, from the first dim toward the
    second (torch.rot90)."""
    if len(dims) != 2:
        raise RuntimeError(f"rot90(): expected total rotation dims == 2, but got dims = "
                           f"{len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"rot90(): expected total dims >= 2, but got total dims = "
                           f"{input.ndim}")
    d0, d1 = (wrap_dim(d, input.ndim, "rot90") for d in dims)
    if d0 == d1:
        raise RuntimeError(f"rot90(): expected rotation dims to be different, got {d0} and "
                           f"{d1}")
    k %= 4
    if k == 1:
        return _shape.transpose(_shape.flip(input, (d1,)), d0, d1)
    if k == 2:
        return _shape.flip(input, (d0, d1))
    if k == 3:
        return _shape.transpose(_shape.flip(input, (d0,)), d0, d1)
    return input.clone()


def tensor_split(input, indices_or_sections, dim=0):  # noqa: A002 - torch's names
    """Views along ``dim``: ``n`` sections (the first ``size % n`` one longer), or the pieces
    between the listed indices, sliced as Python slices (torch.tensor_split)."""
    axis = wrap_dim(dim, input.ndim, "tensor_split")
    n, s = input.shape[axis], indices_or_sections
    if isinstance(s, Tensor):
        if s.dtype.kind not in "iu" or s.ndim > 1:
            raise RuntimeError("tensor_split(): indices_or_sections must be an integer tensor "
                               "of 0 or 1 dims")
        s = s.item() if s.ndim == 0 else s.tolist()
    if isinstance(s, (int, np.integer)):
        if s <= 0:
            raise RuntimeError(f"tensor_split(): number of sections must be larger than 0, "
                               f"got {s}")
        q, r = divmod(n, int(s))
        cuts = [i * q + min(i, r) for i in range(1, int(s))]
    else:
        cuts = [int(i) for i in s]
    bounds = zip([None] + cuts, cuts + [None])
    return tuple(_shape.getitem(input, (slice(None),) * axis + (slice(a, b),))
                 for a, b in bounds)


def _split_along(input, indices_or_sections, dim, what, min_dims):  # noqa: A002
    if input.ndim < min_dims:
        raise RuntimeError(f"torch.{what} requires a tensor with at least {min_dims} dimension"
                           f"{'s' if min_dims > 1 else ''}, but got a tensor with {input.ndim} "
                           f"dimensions!")
    if isinstance(indices_or_sections, (int, np.integer)):
        n = input.shape[dim]
        if indices_or_sections == 0 or n % indices_or_sections:
            raise RuntimeError(f"torch.{what} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {n} is not divisible by the split_size "
                               f"{indices_or_sections}!")
    return tensor_split(input, indices_or_sections, dim)


def hsplit(input, indices_or_sections):  # noqa: A002 - torch's names
    """tensor_split along dim 1 (dim 0 of a 1-d tensor); sections must divide it evenly."""
    return _split_along(input, indices_or_sections, 1 if input.ndim > 1 else 0, "hsplit", 1)


def vsplit(input, indices_or_sections):  # noqa: A002 - torch's names
    """tensor_split along dim 0 of a tensor of 2 or more dims; sections divide it evenly."""
    return _split_along(input, indices_or_sections, 0, "vsplit", 2)


def dsplit(input, indices_or_sections):  # noqa: A002 - torch's names
    """tensor_split along dim 2 of a tensor of 3 or more dims; sections divide it evenly."""
    return _split_along(input, indices_or_sections, 2, "dsplit", 3)


def sum_to_size(self, *size):
    """``x`` summed down to ``size``, which must broadcast to x's shape (Tensor.sum_to_size)."""
    from .math import sum_to
    size = _shape.sizes_arg(size, {}, "size", "sum_to_size")
    if len(size) > self.ndim or any(s != 1 and s != n for s, n in zip(
            reversed(size), reversed(self.shape))):
        raise RuntimeError(f"size {{{', '.join(map(str, size))}}} is not expandable to size "
                           f"{{{', '.join(map(str, self.shape))}}}.")
    lead = self.ndim - len(size)
    out = self.sum(tuple(range(lead))) if lead else self
    return sum_to(out, tuple(size))


def ravel(input):  # noqa: A002 - torch's names
    """The elements as a 1-d tensor (torch.ravel)."""
    return _shape.reshape(input, -1)


def narrow_copy(input, dim, start, length):  # noqa: A002 - torch's names
    """:func:`narrow`, copied (torch.narrow_copy)."""
    return _shape.narrow(input, dim, start, length).clone()


def diagflat(input, offset=0):  # noqa: A002 - torch's names
    """The flattened input as diagonal ``offset`` of a square matrix (torch.diagflat)."""
    _check_tensor(input, "diagflat")
    return diag_embed(input.reshape(-1), offset, 0, 1)


def cartesian_prod(*tensors):
    """Every combination of one element from each 1-d tensor, one per row (the last tensor
    varying fastest), as torch.cartesian_prod."""
    tensors = _tensor_list(tensors, "cartesian_prod")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return _shape.stack([g.reshape(-1) for g in grids], 1)


def block_diag(*tensors):
    """The tensors (0-, 1- or 2-d) as the blocks of a block-diagonal matrix (torch.block_diag);
    the dtype is their common one."""
    from ..tensor import zeros
    from .dtypes import result_type
    tensors = _tensor_list(tensors, "block_diag")
    blocks = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t.ndim} dimensions")
        blocks.append(t.reshape(1, -1) if t.ndim < 2 else t)
    if not blocks:
        return zeros(1, 0)
    dtype = result_type(*blocks)
    cols = sum(b.shape[1] for b in blocks)
    rows, at = [], 0
    for b in blocks:
        r, c = b.shape
        parts = [zeros(r, at, dtype=dtype, device=b.device), b.to(dtype),
                 zeros(r, cols - at - c, dtype=dtype, device=b.device)]
        rows.append(_shape.cat(parts, 1))
        at += c
    return _shape.cat(rows, 0)


def _scatter_into(input, src, index, what):  # noqa: A002
    _check_tensor(input, what)
    _check_tensor(src, what, "src")
    out = input.clone()
    if tuple(out[index].shape) != tuple(src.shape):
        raise RuntimeError(f"{what}(): expected src to have a size equal to the slice of self. "
                           f"src size = {list(src.shape)}, slice size = "
                           f"{list(out[index].shape)}")
    out[index] = src
    return out


def select_scatter(input, src, dim, index):  # noqa: A002 - torch's names
    """A copy of input with ``input.select(dim, index)`` replaced by src."""
    axis = wrap_dim(dim, input.ndim, "select_scatter")
    return _scatter_into(input, src, (slice(None),) * axis + (index,), "select_scatter")


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):  # noqa: A002
    """A copy of input with the slice start:end:step along ``dim`` replaced by src."""
    axis = wrap_dim(dim, input.ndim, "slice_scatter")
    return _scatter_into(input, src, (slice(None),) * axis + (slice(start, end, step),),
                         "slice_scatter")


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):  # noqa: A002 - torch's names
    """A copy of input with ``input.diagonal(offset, dim1, dim2)`` replaced by src."""
    _check_tensor(input, "diagonal_scatter")
    d1, d2 = (wrap_dim(d, input.ndim, "diagonal_scatter") for d in (dim1, dim2))
    moved = _shape.movedim(input, (d1, d2), (-2, -1)).clone()
    rows, cols = moved.shape[-2], moved.shape[-1]
    n = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
    i = np.arange(n) + max(-offset, 0)
    j = np.arange(n) + max(offset, 0)
    xp = input.backend.xp
    index = (Ellipsis, Tensor._make(xp.asarray(i), input.device),
             Tensor._make(xp.asarray(j), input.device))
    out = _scatter_into(moved, src, index, "diagonal_scatter")
    return _shape.movedim(out, (-2, -1), (d1, d2))


def isreal(input):  # noqa: A002 - torch's names
    """Whether each element is real: every element of a real tensor (torch.isreal)."""
    _check_tensor(input, "isreal")
    from ..tensor import ones
    return ones(input.shape, dtype="bool", device=input.device)


def resolve_conj(input):  # noqa: A002 - torch's names
    """The input itself: a real tensor has no lazy conjugation to resolve."""
    return input


resolve_neg = resolve_conj


# ----------------------------------------------------------------------------- repeats, views

def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):  # noqa: A002
    """Each entry of ``input`` along ``dim`` repeated ``repeats`` times (an int, or an
    integer tensor with one count per entry); the input is flattened when dim is None
    (torch.repeat_interleave). Given only an integer 1-d tensor of counts, the indices
    0, 1, ... each repeated that many times."""
    _check_tensor(input, "repeat_interleave")
    xp = input.backend.xp
    if repeats is None:
        counts = _counts(input, 0 if input.ndim == 0 else input.shape[0], only=True)
        _check_output_size(output_size, int(counts.sum()))
        return Tensor._make(_repeat_index(xp, counts), input.device)
    x = input.reshape(-1) if dim is None else input
    axis = 0 if dim is None else wrap_dim(dim, input.ndim, "repeat_interleave")
    x = _flat(x)
    n = x.shape[axis]
    if isinstance(repeats, Tensor):
        counts = _counts(repeats, n)
    else:
        if int(repeats) < 0:
            raise RuntimeError(f"repeat_interleave(): repeats must be non-negative, got "
                               f"{repeats}")
        counts = np.full(n, int(repeats), np.int64)
    # the output's size depends on the counts: they are read on the host
    _check_output_size(output_size, int(counts.sum()))
    return GetItem(_along(x, axis, _repeat_index(xp, counts)))(x)


def _repeat_index(xp, counts):
    """0, 1, ... each repeated ``counts[i]`` times (int64), built by ``xp``: only the n
    counts travel to the device, not the output-sized index."""
    total = int(counts.sum())
    ends = xp.cumsum(xp.asarray(counts, dtype=np.int64))
    # entry j of the output repeats the first i whose run ends after j
    return xp.searchsorted(ends, xp.arange(total, dtype=np.int64), side="right").astype(
        np.int64, copy=False)


def _counts(repeats, n, only=False):
    if repeats.dtype.kind not in "iu":
        raise RuntimeError(f"repeat_interleave(): repeats must be an integer tensor, got "
                           f"dtype {repeats.dtype}")
    if only and repeats.ndim != 1:
        raise RuntimeError(f"repeat_interleave(): only accepts a 1-d tensor of repeats, got "
                           f"shape {tuple(repeats.shape)}")
    counts = np.asarray(repeats._host()).reshape(-1).astype(np.int64)
    if counts.size == 1 and not only:
        counts = np.full(n, int(counts[0]), np.int64)
    if counts.size and int(counts.min()) < 0:
        raise RuntimeError("repeat_interleave(): repeats can not be negative")
    if not only and counts.shape[0] != n:
        raise RuntimeError(f"repeat_interleave(): repeats must have the same size as input "
                           f"along dim, but got repeats.size(0) = {counts.shape[0]} and "
                           f"input.size(dim) = {n}")
    return counts


def _check_output_size(output_size, n):
    if output_size is not None and int(output_size) != n:
        raise RuntimeError(f"repeat_interleave(): invalid output_size, expected {n} but got "
                           f"{output_size}")


def t(input):  # noqa: A002 - torch's names
    """A matrix transposed; 0-d and 1-d tensors unchanged (torch.t)."""
    _check_tensor(input, "t")
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.ndim}D")
    return _shape.transpose(input, 0, 1) if input.ndim == 2 else input


def adjoint(input):  # noqa: A002 - torch's names
    """The conjugate transpose of the last two dims (real tensors: the transpose;
    torch.adjoint)."""
    _check_tensor(input, "adjoint")
    if input.ndim == 1:
        raise RuntimeError("adjoint(): only supported on matrices or batches of matrices, "
                           "got a 1-D tensor")
    return _shape.transpose(input, -2, -1) if input.ndim >= 2 else input


def unfold(self, dimension, size, step):
    """``x.unfold(dimension, size, step)``: the windows of ``size`` along ``dimension``
    every ``step`` entries, as a new last dim; ``dimension`` gets the window count
    (torch's Tensor.unfold). Overlapping windows add up in the gradient."""
    axis = wrap_dim(dimension, self.ndim, "unfold")
    x = _flat(self)
    n = x.shape[axis]
    if step <= 0:
        raise RuntimeError(f"unfold(): step is {step} but must be > 0")
    if size < 0 or size > n:
        raise RuntimeError(f"unfold(): maximum size for tensor at dimension {dimension} is "
                           f"{n} but size is {size}")
    xp = self.backend.xp
    count = (n - size) // step + 1
    idx = xp.arange(count)[:, None] * step + xp.arange(size)[None, :]
    y = GetItem(_along(x, axis, idx))(x)
    if self.ndim == 0:
        return y.reshape(size)
    return _shape.movedim(y, axis + 1, -1)


__all__ = ["scatter", "scatter_add", "scatter_reduce", "index_add", "index_copy", "index_fill",
           "index_put", "index_put_", "put", "masked_fill", "masked_select", "masked_scatter",
           "take", "take_along_dim", "nonzero", "argwhere", "where", "diag", "diagonal",
           "diag_embed", "trace", "meshgrid", "broadcast_shapes", "broadcast_tensors",
           "atleast_1d", "atleast_2d", "atleast_3d", "hstack", "vstack", "row_stack", "dstack",
           "column_stack", "concat", "concatenate", "fliplr", "flipud", "rot90", "tensor_split",
           "hsplit", "vsplit", "dsplit", "ravel", "narrow_copy", "diagflat", "cartesian_prod",
           "block_diag", "select_scatter", "slice_scatter", "diagonal_scatter", "isreal",
           "resolve_conj", "resolve_neg", "repeat_interleave", "t", "adjoint"]

# functions of this module that are also Tensor methods (x.name(...))
METHODS = ("scatter", "scatter_add", "scatter_reduce", "index_add", "index_copy", "index_fill",
           "index_put", "put", "masked_select", "masked_scatter", "take", "take_along_dim",
           "nonzero", "argwhere", "diag", "diagonal", "diag_embed", "trace", "fliplr", "flipud",
           "rot90", "tensor_split", "hsplit", "vsplit", "dsplit", "ravel", "narrow_copy",
           "diagflat", "select_scatter", "slice_scatter", "diagonal_scatter", "isreal",
           "resolve_conj", "resolve_neg", "sum_to_size", "repeat_interleave", "t", "adjoint",
           "unfold")

# in-place forms x.<name>_(...), each the out-of-place op written back into x (index_put_
# is also torch.index_put_)
INPLACE = ("scatter", "scatter_add", "scatter_reduce", "index_add", "index_copy", "index_fill",
           "index_put", "put", "masked_fill", "masked_scatter")
_module = sys.modules[__name__]
for _name in INPLACE:
    setattr(_module, _name + "_", inplace(_name, getattr(_module, _name)))
METHODS += tuple(name + "_" for name in INPLACE)


def install(tensor_class):
    """Bind METHODS on the Tensor class (tensor.py calls this once it is defined)."""
    module = sys.modules[__name__]
    for name in METHODS:
        setattr(tensor_class, name, getattr(module, name))
    tensor_class.where = _where_method
