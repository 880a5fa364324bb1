"""Shape ops: reshape, permute / transpose, squeeze / unsqueeze, indexing, cat, stack."""
from __future__ import annotations

import numpy as np

from ..autograd.function import Function


class Reshape(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return x.reshape(self.shape)

    def backward(self, gy):
        return reshape(gy, self.inputs[0].shape)


def _infer_shape(shape, size, old):
    shape = list(shape)
    if shape.count(-1) > 1:
        raise ValueError(f"reshape: only one dimension can be -1, got {tuple(shape)}")
    known = 1
    for s in shape:
        if s != -1:
            if not isinstance(s, (int, np.integer)) or s < 0:
                raise ValueError(f"reshape: invalid size {s!r} in {tuple(shape)}")
            known *= s
    if -1 in shape:
        if known == 0 or size % known:
            raise ValueError(f"reshape: shape {tuple(shape)} is invalid for input of shape "
                             f"{tuple(old)} ({size} elements)")
        shape[shape.index(-1)] = size // known
    elif known != size:
        raise ValueError(f"reshape: shape {tuple(shape)} is invalid for input of shape "
                         f"{tuple(old)} ({size} elements)")
    return tuple(int(s) for s in shape)


def reshape(x, *shape):
    """A tensor with the same elements in ``shape`` (one entry may be -1)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    shape = _infer_shape(shape, x.data.size, x.shape)
    return x if shape == x.shape else Reshape(shape)(x)


class Permute(Function):
    def __init__(self, dims):
        self.dims = dims

    def forward(self, x):
        return x.transpose(self.dims)

    def backward(self, gy):
        inverse = tuple(int(i) for i in np.argsort(self.dims))
        return Permute(inverse)(gy)


def permute(x, *dims):
    """Reorder the dimensions: output dim i is input dim ``dims[i]``."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    n = x.ndim
    if sorted(d % n if n else d for d in dims) != list(range(n)):
        raise ValueError(f"permute: dims {tuple(dims)} is not a permutation of "
                         f"{tuple(range(n))}")
    dims = tuple(d % n for d in dims)
    return x if dims == tuple(range(n)) else Permute(dims)(x)


def transpose(x, dim0, dim1):
    """Swap two dimensions."""
    n = x.ndim
    for d in (dim0, dim1):
        if not -n <= d < n:
            raise IndexError(f"transpose: dim {d} is out of range for a tensor with {n} "
                             f"dimensions")
    dims = list(range(n))
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return permute(x, dims)


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
    if n == 0:
        return reshape(x, (1,))
    s, e = start_dim % n, end_dim % n
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    size = 1
    for d in x.shape[s:e + 1]:
        size *= d
    return reshape(x, x.shape[:s] + (size,) + x.shape[e + 1:])


# ----------------------------------------------------------------------------- indexing

class GetItem(Function):
    def __init__(self, index):
        self.index = index

    def forward(self, x):
        return x[self.index]

    def backward(self, gy):
        return GetItemGrad(self.index, self.inputs[0].shape)(gy)


class GetItemGrad(Function):
    """Scatter-add ``gy`` into zeros of the indexed tensor's shape (repeated indices add)."""

    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, gy):
        xp = self.backend.xp
        gx = xp.zeros(self.shape, dtype=gy.dtype)
        if _is_basic(self.index):
            gx[self.index] = gy
        else:
            xp.add.at(gx, self.index, gy)
        return gx

    def backward(self, ggx):
        return GetItem(self.index)(ggx)


def _is_basic(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice, np.integer))
               for i in items)


def normalize_index(index, x):
    """Turn Tensors and lists inside an index into arrays on x's device; validate bounds."""
    from ..tensor import Tensor
    xp = x.backend.xp
    items = index if isinstance(index, tuple) else (index,)
    out = []
    for item in items:
        if isinstance(item, Tensor):
            if item.device is not x.device:
                raise RuntimeError(f"indexing: index tensor is on {item.device} but the "
                                   f"indexed tensor is on {x.device}")
            item = item.data
        elif isinstance(item, (list, np.ndarray)) and not isinstance(item, bool):
            item = xp.asarray(item)
        if hasattr(item, "dtype") and item.dtype.kind not in "iub":
            raise IndexError(f"indexing: index arrays must be integer or bool, got dtype "
                             f"{item.dtype}")
        out.append(item)
    return tuple(out) if isinstance(index, tuple) else out[0]


def getitem(x, index):
    index = normalize_index(index, x)
    try:
        return GetItem(index)(x)
    except IndexError as e:
        raise IndexError(f"indexing a tensor of shape {tuple(x.shape)}: {e}") from None


# ----------------------------------------------------------------------------- joining

class Cat(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return self.backend.xp.concatenate(xs, axis=self.axis)

    def backward(self, gy):
        grads, start = [], 0
        for x, need in zip(self.inputs, self.needs_input_grad):
            n = x.shape[self.axis]
            if need:
                index = (slice(None),) * self.axis + (slice(start, start + n),)
                grads.append(GetItem(index)(gy))
            else:
                grads.append(None)
            start += n
        return tuple(grads)


def cat(tensors, dim=0):
    """Concatenate tensors along an existing dimension."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    ref = tensors[0]
    n = ref.ndim
    if n == 0:
        raise ValueError("cat: zero-dimensional tensors cannot be concatenated")
    if not -n <= dim < n:
        raise IndexError(f"cat: dim {dim} is out of range for tensors with {n} dimensions")
    axis = dim % n
    for i, t in enumerate(tensors):
        if t.ndim != n or any(a != b for j, (a, b) in enumerate(zip(t.shape, ref.shape))
                              if j != axis):
            raise ValueError(f"cat: tensor {i} has shape {tuple(t.shape)}, which does not "
                             f"match {tuple(ref.shape)} outside dim {axis}")
        if t.dtype != ref.dtype:
            raise TypeError(f"cat: tensor {i} has dtype {t.dtype}, expected {ref.dtype}")
    return Cat(axis)(*tensors)


def stack(tensors, dim=0):
    """Join tensors of equal shape along a new dimension."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    shape = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.shape != shape:
            raise ValueError(f"stack: tensor {i} has shape {tuple(t.shape)}, expected "
                             f"{tuple(shape)}")
    return cat([unsqueeze(t, dim) for t in tensors], dim)
