"""Shape ops: reshape, permute / transpose, squeeze / unsqueeze, indexing, cat, stack."""
from __future__ import annotations

import sys

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


def sizes_arg(args, kwargs, key, what):
    """Sizes given as varargs, one sequence, or torch's keyword (``shape=``, ``dims=``, ...)."""
    if kwargs:
        if set(kwargs) != {key} or args:
            raise TypeError(f"{what}() got unexpected arguments {sorted(kwargs)}"
                            + (" besides positional sizes" if args else ""))
        args = (kwargs[key],)
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return args


def reshape(input, *shape, **kwargs):  # noqa: A002 - torch's names
    """A tensor with the same elements in ``shape`` (one entry may be -1)."""
    shape = sizes_arg(shape, kwargs, "shape", "reshape")
    shape = _infer_shape(shape, input._data.size, input.shape)
    return input if shape == input.shape else Reshape(shape)(input)


def _view_dtype(x, dtype):
    from ..tensor import as_dtype
    d = as_dtype(dtype)
    a = x._data
    if d.itemsize != a.dtype.itemsize and (a.ndim == 0 or not a.flags.c_contiguous):
        raise RuntimeError(f"view(): a tensor of shape {tuple(x.shape)} must be contiguous "
                           f"with a last dimension to view {a.dtype} as {d}")
    try:
        out = a.view(d)
    except ValueError as e:
        raise RuntimeError(f"view(): cannot view {a.dtype} as {d}: {e}") from None
    return Tensor._make(out, x.device)


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


def permute(input, *dims, **kwargs):  # noqa: A002 - torch's names
    """Reorder the dimensions: output dim i is input dim ``dims[i]``."""
    dims = sizes_arg(dims, kwargs, "dims", "permute")
    n = input.ndim
    if sorted(d % n if n else d for d in dims) != list(range(n)):
        raise RuntimeError(f"permute: dims {tuple(dims)} is not a permutation of "
                           f"{tuple(range(n))}")
    dims = tuple(d % n for d in dims)
    return input if dims == tuple(range(n)) else Permute(dims)(input)


def wrap_dim(d, ndim, what):
    """``d`` as an axis in [0, ndim) — negative counts from the end; a 0-d tensor takes 0 and
    -1 (torch's rule) — or an IndexError naming the op."""
    n = max(ndim, 1)
    if not -n <= d < n:
        raise IndexError(f"{what}: dim {d} is out of range for a tensor with {ndim} "
                         f"dimensions (expected in [{-n}, {n - 1}])")
    return d % n


def transpose(input, dim0, dim1):  # noqa: A002 - torch's names
    """Swap two dimensions."""
    n = input.ndim
    dim0, dim1 = wrap_dim(dim0, n, "transpose"), wrap_dim(dim1, n, "transpose")
    if n == 0:
        return input
    dims = list(range(n))
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return permute(input, dims)


def movedim(input, source, destination):  # noqa: A002 - torch's names
    """Move dimension(s) ``source`` (an int or a sequence) to position(s) ``destination``,
    the others keeping their order (torch.movedim, alias moveaxis)."""
    n = input.ndim
    src = (source,) if isinstance(source, (int, np.integer)) else tuple(source)
    dst = (destination,) if isinstance(destination, (int, np.integer)) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({list(dst)} dims)")
    src = [wrap_dim(d, n, "movedim") for d in src]
    dst = [wrap_dim(d, n, "movedim") for d in dst]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in source {source} or destination "
                           f"{destination}")
    if n == 0:
        return input
    order = [None] * n
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(n) if d not in src)
    return permute(input, [next(rest) if o is None else o for o in order])


moveaxis = movedim


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


def flip(input, dims):  # noqa: A002 - torch's names
    """Reverse the order of the elements along each of ``dims`` (torch.flip)."""
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    axes = tuple(wrap_dim(d, input.ndim, "flip") for d in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"flip: dims {dims} has a dim more than once")
    return Flip(axes)(input) if axes and input.ndim else input.clone()


def squeeze(input, dim=None):  # noqa: A002 - torch's names
    """Drop size-1 dimensions (all of them, or just ``dim``)."""
    if dim is None:
        shape = tuple(s for s in input.shape if s != 1)
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        n = input.ndim
        for d in dims:
            if not -max(n, 1) <= d < max(n, 1):
                raise IndexError(f"squeeze: dim {d} is out of range for a tensor with {n} "
                                 f"dimensions")
        drop = {d % n for d in dims if n and input.shape[d % n] == 1}
        shape = tuple(s for i, s in enumerate(input.shape) if i not in drop)
    return reshape(input, shape)


def unsqueeze(input, dim):  # noqa: A002 - torch's names
    """Insert a size-1 dimension at ``dim``."""
    n = input.ndim + 1
    if not -n <= dim < n:
        raise IndexError(f"unsqueeze: dim {dim} is out of range for a result with {n} "
                         f"dimensions")
    shape = list(input.shape)
    shape.insert(dim % n, 1)
    return reshape(input, tuple(shape))


def flatten(input, start_dim=0, end_dim=-1):  # noqa: A002 - torch's names
    """Merge dimensions start_dim..end_dim into one."""
    n = input.ndim
    s, e = wrap_dim(start_dim, n, "flatten"), wrap_dim(end_dim, n, "flatten")
    if n == 0:
        return reshape(input, (1,))
    if s > e:
        raise RuntimeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    size = 1
    for d in input.shape[s:e + 1]:
        size *= d
    return reshape(input, input.shape[:s] + (size,) + input.shape[e + 1:])


def unflatten(input, dim, sizes):  # noqa: A002 - torch's names
    """Split dimension ``dim`` into ``sizes`` (one of them may be -1), as torch.unflatten."""
    axis = wrap_dim(dim, input.ndim, "unflatten")
    sizes = tuple(sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    inner = _infer_shape(sizes, input.shape[axis], input.shape[axis:axis + 1])
    return reshape(input, input.shape[:axis] + inner + input.shape[axis + 1:])


def view(x, *shape, **kwargs):
    """``reshape`` that never copies: the new shape must fit the tensor's strides, else a
    RuntimeError (call ``.contiguous()`` or ``.reshape()``), as torch. ``view(dtype)``
    reinterprets the bytes (no gradient), as torch."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int, np.integer)) and \
            not kwargs:
        return _view_dtype(x, shape[0])
    shape = sizes_arg(shape, kwargs, "size", "view")      # torch's keyword: size=
    shape = _infer_shape(shape, x._data.size, x.shape)
    a = x._data
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
        item = item._data
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
    elif isinstance(item, (list, tuple, np.ndarray, range)):
        item = xp.asarray(list(item) if isinstance(item, range) else item)
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
            isinstance(i, (list, tuple, slice, np.ndarray, range)) or i is None
            or i is Ellipsis
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


class SetItem(Function):
    """``x`` with ``x[index] = value``, out of place: what ``x[index] = value``, ``fill_``
    and ``copy_`` record on a tensor in the graph. ``value`` broadcasts to ``x[index]``;
    where an index repeats, the last write wins (NumPy's order; torch leaves it open)."""

    saves_values = False

    def __init__(self, index):
        self.index = index

    def forward(self, x, value):
        out = x.copy()
        self.index.set(out, value)
        return out

    def backward(self, gy):
        x, value = self.inputs
        gx = SetItem(self.index)(gy, 0) if self.needs_input_grad[0] else None
        gv = None
        if self.needs_input_grad[1]:
            from .math import sum_to
            gv = GetItem(self.index)(gy)
            if gv.ndim < value.ndim:          # value has extra leading 1s
                gv = gv.reshape((1,) * (value.ndim - gv.ndim) + tuple(gv.shape))
            gv = sum_to(gv, value.shape)
        return gx, gv


def setitem(x, index, value):
    """``x`` with ``x[index] = value``, out of place (recorded)."""
    return SetItem(normalize_index(index, x))(x, value)


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


# ----------------------------------------------------------------------------- more shape ops
# Compositions of indexing, cat and permute where torch's op is one (their gradients come
# from those); their own Functions where it is not.

def narrow(input, dim, start, length):  # noqa: A002 - torch's names
    """The slice [start, start + length) of ``dim`` (torch.narrow; a view)."""
    axis = wrap_dim(dim, input.ndim, "narrow")
    n = input.shape[axis]
    if start < 0:
        start += n
    if not 0 <= start <= n or length < 0 or start + length > n:
        raise RuntimeError(f"narrow: start {start} + length {length} exceeds dimension "
                           f"size {n}")
    return getitem(input, (slice(None),) * axis + (slice(start, start + length),))


def select(input, dim, index):  # noqa: A002 - torch's names
    """The slice at ``index`` of ``dim``, which disappears (torch.select)."""
    axis = wrap_dim(dim, input.ndim, "select")
    n = input.shape[axis]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{tuple(input.shape)} at dimension {dim}")
    return getitem(input, (slice(None),) * axis + (index,))


def split(tensor, split_size_or_sections, dim=0):  # noqa: A002 - torch's names
    """Pieces of ``split_size`` along ``dim`` (the last may be shorter), or of the listed
    sizes (torch.split)."""
    axis = wrap_dim(dim, tensor.ndim, "split")
    n = tensor.shape[axis]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size <= 0 and not (size == 0 and n == 0):
            raise RuntimeError(f"split: split_size must be positive, got {size}")
        sizes = [min(size, n - i) for i in range(0, n, size)] if n else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {dim}), but got "
                               f"split_sizes={sizes}")
    out, start = [], 0
    for s in sizes:
        out.append(narrow(tensor, axis, start, s))
        start += s
    return tuple(out)


def chunk(input, chunks, dim=0):  # noqa: A002 - torch's names
    """``chunks`` pieces of equal size (the last may be smaller) along ``dim`` (torch.chunk)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input.shape[wrap_dim(dim, input.ndim, "chunk")]
    return split(input, max(-(-n // chunks), 1), dim)


def unbind(input, dim=0):  # noqa: A002 - torch's names
    """The slices along ``dim``, each without it (torch.unbind)."""
    axis = wrap_dim(dim, input.ndim, "unbind")
    return tuple(select(input, axis, i) for i in range(input.shape[axis]))


def index_select(input, dim, index):  # noqa: A002 - torch's names
    """The entries at the 1-d integer ``index`` along ``dim`` (torch.index_select)."""
    axis = wrap_dim(dim, input.ndim, "index_select")
    if index.ndim > 1 or index.dtype.kind not in "iu":
        raise IndexError(f"index_select(): index must be a 1-d integer tensor, got shape "
                         f"{tuple(index.shape)} dtype {index.dtype}")
    return getitem(input, (slice(None),) * axis + (index.reshape(-1),))


def gather(input, dim, index):  # noqa: A002 - torch's names
    """Values of ``x`` picked along ``dim`` by the integer tensor ``index`` (torch.gather)."""
    axis = wrap_dim(dim, input.ndim, "gather")
    if index.dtype.kind not in "iu":
        raise RuntimeError(f"gather(): expected an integer index, got dtype {index.dtype}")
    if index.ndim != input.ndim or any(index.shape[d] > input.shape[d] for d in range(input.ndim)
                                   if d != axis):
        raise RuntimeError(f"gather(): index of shape {tuple(index.shape)} does not fit input "
                           f"of shape {tuple(input.shape)} outside dim {axis}")
    idx = index._data
    if idx.size and (int(idx.min()) < -input.shape[axis] or int(idx.max()) >= input.shape[axis]):
        raise RuntimeError(f"gather(): index out of range for dimension {dim} of size "
                           f"{input.shape[axis]}")
    src = input
    if any(index.shape[d] < input.shape[d] for d in range(input.ndim) if d != axis):
        src = getitem(input, tuple(slice(0, index.shape[d]) if d != axis else slice(None)
                               for d in range(input.ndim)))
    return _GatherFull(axis, idx % max(input.shape[axis], 1))(src)


def _along_grid(xp, index, axis):
    """The index tuple that puts ``index`` along ``axis`` and every other position in place:
    an open grid of aranges (NumPy's ``indices(sparse=True)``, which CuPy lacks)."""
    n = index.ndim
    return tuple(index if d == axis else
                 xp.arange(k).reshape((1,) * d + (k,) + (1,) * (n - d - 1))
                 for d, k in enumerate(index.shape))


class _GatherFull(Function):
    """gather with an index as large as the input outside ``axis``."""

    saves_values = False

    def __init__(self, axis, index):
        self.axis, self.index = axis, index

    def forward(self, x):
        return self.backend.xp.take_along_axis(x, self.index, axis=self.axis)

    def vjp(self, gy):
        xp = self.backend.xp
        gx = xp.zeros(self.inputs[0].shape, gy.dtype)
        xp.add.at(gx, _along_grid(xp, self.index, self.axis), gy)
        return gx

    def backward(self, gy):
        return _ScatterAddFull(self.axis, self.index, self.inputs[0].shape)(gy)


class _ScatterAddFull(Function):
    """Zeros of ``shape`` with ``g`` added at ``index`` along ``axis`` (gather's gradient)."""

    saves_values = False

    def __init__(self, axis, index, shape):
        self.axis, self.index, self.shape = axis, index, shape

    def forward(self, g):
        xp = self.backend.xp
        gx = xp.zeros(self.shape, g.dtype)
        xp.add.at(gx, _along_grid(xp, self.index, self.axis), g)
        return gx


    def vjp(self, gy):
        return self.backend.xp.take_along_axis(gy, self.index, axis=self.axis)

    def backward(self, gy):
        return _GatherFull(self.axis, self.index)(gy)


class Roll(Function):
    saves_values = False

    def __init__(self, shifts, axes):
        self.shifts, self.axes = shifts, axes

    def forward(self, x):
        return self.backend.xp.roll(x, self.shifts, self.axes)

    def vjp(self, gy):
        return self.backend.xp.roll(gy, tuple(-s for s in self.shifts), self.axes)

    def backward(self, gy):
        return Roll(tuple(-s for s in self.shifts), self.axes)(gy)


def roll(input, shifts, dims=None):  # noqa: A002 - torch's names
    """Rotate the elements by ``shifts`` along ``dims`` (flattened when dims is None)."""
    if dims is None:
        return reshape(roll(reshape(input, -1), shifts, 0), input.shape)
    shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll: shifts and dims must have the same length, got "
                           f"{len(shifts)} and {len(dims)}")
    axes = tuple(wrap_dim(d, input.ndim, "roll") for d in dims)
    return Roll(tuple(int(s) for s in shifts), axes)(input)


class Triangle(Function):
    """tril / triu of the last two dims; the gradient keeps the same triangle."""

    saves_values = False

    def __init__(self, upper, k):
        self.upper, self.k = upper, k

    def forward(self, x):
        xp = self.backend.xp
        return (xp.triu if self.upper else xp.tril)(x, self.k)

    def vjp(self, gy):
        return self.forward(gy)

    def backward(self, gy):
        return Triangle(self.upper, self.k)(gy)


def tril(input, diagonal=0):  # noqa: A002 - torch's names
    """The lower triangle of the last two dims (above ``diagonal`` set to 0)."""
    if input.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return Triangle(False, diagonal)(input)


def triu(input, diagonal=0):  # noqa: A002 - torch's names
    """The upper triangle of the last two dims (below ``diagonal`` set to 0)."""
    if input.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return Triangle(True, diagonal)(input)


class Tile(Function):
    """x repeated ``reps`` times along each dim (x already has len(reps) dims)."""

    saves_values = False

    def __init__(self, reps):
        self.reps = reps

    def forward(self, x):
        return self.backend.xp.tile(x, self.reps)

    def vjp(self, gy):
        shape = self.inputs[0].shape
        split = []
        for r, s in zip(self.reps, shape):
            split += [r, s]
        return gy.reshape(split).sum(axis=tuple(range(0, 2 * len(shape), 2)))

    def backward(self, gy):
        shape = self.inputs[0].shape
        split = []
        for r, s in zip(self.reps, shape):
            split += [r, s]
        from .reduce import sum as _sum
        return _sum(reshape(gy, split), tuple(range(0, 2 * len(shape), 2)))


def repeat(x, *sizes):
    """x repeated along each dim (torch's Tensor.repeat: ``sizes`` may add leading dims)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    if len(sizes) < x.ndim:
        raise RuntimeError(f"Number of dimensions of repeat dims can not be smaller than "
                           f"number of dimensions of tensor ({len(sizes)} < {x.ndim})")
    x = reshape(x, (1,) * (len(sizes) - x.ndim) + tuple(x.shape))
    return Tile(tuple(int(s) for s in sizes))(x)


def tile(input, dims):  # noqa: A002 - torch's names
    """torch.tile: ``repeat`` with ``dims`` padded with ones in front when shorter."""
    dims = tuple(dims)
    return repeat(input, (1,) * (input.ndim - len(dims)) + dims)


def swapaxes(input, axis0, axis1):  # noqa: A002 - torch's names
    return transpose(input, axis0, axis1)


swapdims = swapaxes


METHODS = ()    # functions of this module that are also Tensor methods (x.name(...))


def install(tensor_class):
    """Bind METHODS on the Tensor class (tensor.py calls this once it is defined)."""
    module = sys.modules[__name__]
    for name in METHODS:
        setattr(tensor_class, name, getattr(module, name))
