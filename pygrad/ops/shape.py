"""Shape ops: reshape, permute / transpose, squeeze / unsqueeze, indexing, cat, stack."""
from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..backend.reference import get_xp
from .dtypes import promote

Tensor = None   # pygrad.tensor.Tensor, bound when that module loads (it imports this one)


class Reshape(Function):
    saves_values = False

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return x.reshape(self.shape)

    def vjp(self, gy):
        return gy.reshape(self.inputs[0].shape)

    def backward(self, gy):
        return reshape(gy, self.inputs[0].shape)


def _infer_shape(shape, size, old):
    shape = list(shape)
    if shape.count(-1) > 1:
        raise RuntimeError(f"reshape: only one dimension can be -1, got {tuple(shape)}")
    known = 1
    for s in shape:
        if s != -1:
            if not isinstance(s, (int, np.integer)) or s < 0:
                raise RuntimeError(f"reshape: invalid size {s!r} in {tuple(shape)}")
            known *= s
    if -1 in shape:
        if known == 0 or size % known:
            raise RuntimeError(f"reshape: shape {tuple(shape)} is invalid for input of shape "
                               f"{tuple(old)} ({size} elements)")
        shape[shape.index(-1)] = size // known
    elif known != size:
        raise RuntimeError(f"reshape: shape {tuple(shape)} is invalid for input of shape "
                           f"{tuple(old)} ({size} elements)")
    return tuple(int(s) for s in shape)


def reshape(x, *shape):
    """A tensor with the same elements in ``shape`` (one entry may be -1)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    shape = _infer_shape(shape, x.data.size, x.shape)
    return x if shape == x.shape else Reshape(shape)(x)


class Permute(Function):
    saves_values = False

    def __init__(self, dims):
        self.dims = dims

    def forward(self, x):
        return x.transpose(self.dims)

    def vjp(self, gy):
        return gy.transpose(tuple(int(i) for i in np.argsort(self.dims)))

    def backward(self, gy):
        inverse = tuple(int(i) for i in np.argsort(self.dims))
        return Permute(inverse)(gy)


def permute(x, *dims):
    """Reorder the dimensions: output dim i is input dim ``dims[i]``."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    n = x.ndim
    if sorted(d % n if n else d for d in dims) != list(range(n)):
        raise RuntimeError(f"permute: dims {tuple(dims)} is not a permutation of "
                           f"{tuple(range(n))}")
    dims = tuple(d % n for d in dims)
    return x if dims == tuple(range(n)) else Permute(dims)(x)


def wrap_dim(d, ndim, what):
    """``d`` as an axis in [0, ndim) — negative counts from the end; a 0-d tensor takes 0 and
    -1 (torch's rule) — or an IndexError naming the op."""
    n = max(ndim, 1)
    if not -n <= d < n:
        raise IndexError(f"{what}: dim {d} is out of range for a tensor with {ndim} "
                         f"dimensions (expected in [{-n}, {n - 1}])")
    return d % n


def transpose(x, dim0, dim1):
    """Swap two dimensions."""
    n = x.ndim
    dim0, dim1 = wrap_dim(dim0, n, "transpose"), wrap_dim(dim1, n, "transpose")
    if n == 0:
        return x
    dims = list(range(n))
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return permute(x, dims)


def movedim(x, source, destination):
    """Move dimension ``source`` to position ``destination``, the others keeping their
    order."""
    n = x.ndim
    source, destination = wrap_dim(source, n, "movedim"), wrap_dim(destination, n, "movedim")
    if n == 0:
        return x
    dims = [d for d in range(n) if d != source]
    dims.insert(destination, source)
    return permute(x, dims)


class Flip(Function):
    saves_values = False

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return self.backend.xp.flip(x, self.axes)

    def vjp(self, gy):
        return self.backend.xp.flip(gy, self.axes)

    def backward(self, gy):
        return Flip(self.axes)(gy)


def flip(x, dims):
    """Reverse the order of the elements along each of ``dims`` (torch.flip)."""
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    axes = tuple(wrap_dim(d, x.ndim, "flip") for d in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"flip: dims {dims} has a dim more than once")
    return Flip(axes)(x) if axes and x.ndim else x.clone()


def squeeze(x, dim=None):
    """Drop size-1 dimensions (all of them, or just ``dim``)."""
    if dim is None:
        shape = tuple(s for s in x.shape if s != 1)
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        n = x.ndim
        for d in dims:
            if not -max(n, 1) <= d < max(n, 1):
                raise IndexError(f"squeeze: dim {d} is out of range for a tensor with {n} "
                                 f"dimensions")
        drop = {d % n for d in dims if n and x.shape[d % n] == 1}
        shape = tuple(s for i, s in enumerate(x.shape) if i not in drop)
    return reshape(x, shape)


def unsqueeze(x, dim):
    """Insert a size-1 dimension at ``dim``."""
    n = x.ndim + 1
    if not -n <= dim < n:
        raise IndexError(f"unsqueeze: dim {dim} is out of range for a result with {n} "
                         f"dimensions")
    shape = list(x.shape)
    shape.insert(dim % n, 1)
    return reshape(x, tuple(shape))


def flatten(x, start_dim=0, end_dim=-1):
    """Merge dimensions start_dim..end_dim into one."""
    n = x.ndim
    s, e = wrap_dim(start_dim, n, "flatten"), wrap_dim(end_dim, n, "flatten")
    if n == 0:
        return reshape(x, (1,))
    if s > e:
        raise RuntimeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    size = 1
    for d in x.shape[s:e + 1]:
        size *= d
    return reshape(x, x.shape[:s] + (size,) + x.shape[e + 1:])


def view(x, *shape):
    """``reshape`` that never copies: the new shape must fit the tensor's strides, else a
    RuntimeError (call ``.contiguous()`` or ``.reshape()``), as torch."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    shape = _infer_shape(shape, x.data.size, x.shape)
    a = x.data
    if isinstance(a, np.ndarray) and not a.flags.c_contiguous and shape != x.shape:
        try:
            a.reshape(shape, copy=False)
        except ValueError:
            raise RuntimeError(f"view: shape {shape} is not compatible with the strides of a "
                               f"non-contiguous tensor of shape {tuple(x.shape)}; use "
                               f".reshape(...) or .contiguous() first") from None
    return x if shape == x.shape else Reshape(shape)(x)


# ----------------------------------------------------------------------------- indexing

class Index:
    """An index split into torch's two steps: ``basic`` (ints, slices, None — a view of the
    tensor) then ``advanced`` (integer / bool arrays applied to that view, or None).

    torch treats an integer as basic indexing even beside index arrays, where NumPy would
    broadcast it with them; after the first step only arrays and full slices are left, and
    there NumPy's placement of the result dims (in place when the arrays are adjacent, else
    first) is torch's.
    """

    __slots__ = ("basic", "advanced")

    def __init__(self, basic, advanced=None):
        self.basic, self.advanced = basic, advanced

    def get(self, a):
        """``a`` indexed (a view when there is no advanced part)."""
        y = a[self.basic] if self.basic else a
        return y if self.advanced is None else y[self.advanced]

    def set(self, a, value):
        """``a[index] = value`` in place."""
        if self.advanced is None:
            a[self.basic] = value
        else:
            (a[self.basic] if self.basic else a)[self.advanced] = value

    def add_at(self, xp, a, value):
        """``a[index] += value`` in place, repeated positions adding up."""
        if self.advanced is None:
            a[self.basic] += value
        else:
            xp.add.at(a[self.basic] if self.basic else a, self.advanced, value)


def _index_item(item, xp, device):
    """One index entry as an int, slice, None, Ellipsis, bool, or an int / bool array."""
    if isinstance(item, Tensor):
        if item.device is not device:
            raise RuntimeError(f"indexing: index tensor is on {item.device} but the indexed "
                               f"tensor is on {device}")
        item = item.data
    elif isinstance(item, (bool, np.bool_)):
        return bool(item)
    elif isinstance(item, (int, np.integer)):
        return int(item)
    elif isinstance(item, slice):
        if item.step is not None and int(item.step) <= 0:
            raise ValueError(f"indexing: step must be greater than zero, got {item.step}")
        return item
    elif item is None or item is Ellipsis:
        return item
    elif isinstance(item, (list, tuple, np.ndarray)):
        item = xp.asarray(item)
        if item.size == 0 and item.dtype.kind == "f":     # [] is an empty integer index
            item = item.astype(np.int64)
    else:
        raise IndexError(f"indexing: only integers, slices, None, Ellipsis, bool and integer "
                         f"tensors are valid indices, got {type(item).__name__}")
    if item.dtype.kind not in "iub":
        raise IndexError(f"indexing: tensors used as indices must be integer or bool, got "
                         f"dtype {item.dtype}")
    if item.ndim == 0:
        # a 0-d integer tensor selects like an int, a 0-d bool like True / False (torch)
        return bool(item) if item.dtype.kind == "b" else int(item)
    return item


def normalize_index(index, x):
    """``index`` (anything ``x[index]`` accepts) as an :class:`Index` of arrays on x's
    device, with torch's semantics."""
    if isinstance(index, Index):
        return index
    xp = x.backend.xp
    if index.__class__ is list and len(index) < 32 and any(
            isinstance(i, (list, tuple, slice, np.ndarray)) or i is None or i is Ellipsis
            or hasattr(i, "_ctx") for i in index):
        index = tuple(index)   # torch (and old NumPy) read such a list as a tuple of indices
    items = [_index_item(i, xp, x.device)
             for i in (index if isinstance(index, tuple) else (index,))]
    # dims each entry consumes: ints, slices and integer arrays one, a k-d bool mask k
    used = 0
    for i in items:
        if i is None or i is Ellipsis or i is True or i is False:
            continue
        used += i.ndim if hasattr(i, "ndim") and i.dtype.kind == "b" else 1
    if used > x.ndim:
        raise IndexError(f"too many indices for tensor of dimension {x.ndim}")
    if sum(i is Ellipsis for i in items) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    basic, advanced, has_array = [], [], False
    for i in items:
        if i is Ellipsis:
            fill = [slice(None)] * (x.ndim - used)
            basic += fill
            advanced += fill
        elif isinstance(i, int):          # bool is an int too: True / False are advanced
            if i is True or i is False:
                advanced.append(i)
                has_array = True
            else:
                basic.append(i)
        elif i is None or isinstance(i, slice):
            basic.append(i)
            advanced.append(slice(None))
        else:
            n = i.ndim if i.dtype.kind == "b" else 1
            basic += [slice(None)] * n
            advanced.append(i)
            has_array = True
    if not has_array:
        return Index(tuple(basic))
    while advanced and isinstance(advanced[-1], slice):
        advanced.pop()
    # the basic step keeps only what changes the view: full slices at the end are implied
    while basic and isinstance(basic[-1], slice) and basic[-1] == slice(None):
        basic.pop()
    return Index(tuple(basic), tuple(advanced))


class GetItem(Function):
    saves_values = False

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        return self.index.get(x)

    def vjp(self, gy):
        xp = get_xp(gy)
        gx = xp.zeros(self.inputs[0].shape, dtype=gy.dtype)
        self.index.add_at(xp, gx, gy)
        return gx

    def backward(self, gy):
        return GetItemGrad(self.index, self.inputs[0].shape)(gy)


class GetItemGrad(Function):
    """Scatter-add ``gy`` into zeros of the indexed tensor's shape (repeated indices add)."""

    saves_values = False

    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, gy):
        gx = self.backend.xp.zeros(self.shape, dtype=gy.dtype)
        self.index.add_at(self.backend.xp, gx, gy)
        return gx

    def backward(self, ggx):
        return GetItem(self.index)(ggx)


def getitem(x, index):
    index = normalize_index(index, x)
    try:
        return GetItem(index)(x)
    except IndexError as e:
        raise IndexError(f"indexing a tensor of shape {tuple(x.shape)}: {e}") from None


# ----------------------------------------------------------------------------- joining

class Cat(Function):
    """Concatenate along ``axis``; inputs at the positions in ``skip`` (1-d and empty: torch's
    legacy rule lets them join any shape) are left out and get empty gradients."""

    saves_values = False

    def __init__(self, axis, skip=()):
        self.axis, self.skip = axis, skip

    def forward(self, *xs):
        if self.skip:
            xs = [x for i, x in enumerate(xs) if i not in self.skip]
        return self.backend.xp.concatenate(xs, axis=self.axis)

    def backward(self, gy):
        grads, start = [], 0
        for i, (x, need) in enumerate(zip(self.inputs, self.needs_input_grad)):
            if i in self.skip:
                grads.append(Tensor._make(self.backend.xp.zeros((0,), gy.dtype), gy.device)
                             if need else None)
                continue
            n = x.shape[self.axis]
            if need:
                index = Index((slice(None),) * self.axis + (slice(start, start + n),))
                grads.append(GetItem(index)(gy))
            else:
                grads.append(None)
            start += n
        return tuple(grads)


def cat(tensors, dim=0):
    """Concatenate tensors along an existing dimension (torch's promotion across them)."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"cat: zero-dimensional tensor (at position {i}) cannot be "
                               f"concatenated")
    if any(t.dtype != tensors[0].dtype for t in tensors):
        tensors = promote(*tensors)
    # torch skips 1-d empty tensors whatever the other shapes (a legacy rule)
    skip = frozenset(i for i, t in enumerate(tensors) if t.shape == (0,))
    rest = [t for i, t in enumerate(tensors) if i not in skip]
    if not rest:
        return Cat(0)(*tensors)
    ref = rest[0]
    n = ref.ndim
    if not -n <= dim < n:
        raise IndexError(f"cat: dim {dim} is out of range for tensors with {n} dimensions")
    axis = dim % n
    for i, t in enumerate(tensors):
        if i not in skip and (t.ndim != n or any(
                a != b for j, (a, b) in enumerate(zip(t.shape, ref.shape)) if j != axis)):
            raise RuntimeError(f"cat: tensor {i} has shape {tuple(t.shape)}, which does not "
                               f"match {tuple(ref.shape)} outside dim {axis}")
    return Cat(axis, skip)(*tensors)


def stack(tensors, dim=0):
    """Join tensors of equal shape along a new dimension."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack: expected a non-empty sequence of tensors")
    shape = tensors[0].shape
    dim = wrap_dim(dim, len(shape) + 1, "stack")
    for i, t in enumerate(tensors):
        if t.shape != shape:
            raise RuntimeError(f"stack: tensor {i} has shape {tuple(t.shape)}, expected "
                               f"{tuple(shape)}")
    return cat([unsqueeze(t, dim) for t in tensors], dim)
