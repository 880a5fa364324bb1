"""torch's type promotion: which dtype an op on mixed operands computes in.

Categories rank bool < integer < floating. Among operands of the same kind (tensors with
dimensions, 0-d tensors, Python scalars) the dtypes promote as usual; a lower kind only
decides the result when its category is higher — so ``int32 tensor + 1.5`` is float32 (the
default float dtype) and ``float32 tensor + 0-d float64 tensor`` stays float32.
"""
from __future__ import annotations

import numpy as np

bool_ = np.dtype("bool")
int64 = np.dtype("int64")
float32 = np.dtype("float32")


class UnsupportedDtypeError(NotImplementedError, TypeError):
    """An input dtype an op has no kernel for: torch raises NotImplementedError; a TypeError
    too, so code that caught pygrad's earlier TypeError still does."""


def _category(dtype) -> int:
    return 2 if dtype.kind == "f" else 0 if dtype.kind == "b" else 1


def promote_types(a, b):
    """The smallest dtype both ``a`` and ``b`` convert to (torch.promote_types)."""
    if a == b:
        return a
    ca, cb = _category(a), _category(b)
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)      # same category: int8 + uint8 -> int16, f32 + f64 -> f64


def _combine(higher, lower):
    """Fold a lower-priority operand class into a higher one (torch's combine_categories)."""
    if higher is None:
        return lower
    if lower is None or higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return promote_types(higher, lower)
    return higher


def result_type(*operands):
    """The dtype torch computes ``operands`` (Tensors and Python numbers) in."""
    dim = zero = wrapped = None
    for o in operands:
        data = getattr(o, "_data", None)
        if data is not None and hasattr(data, "dtype"):
            d = data.dtype
            if data.ndim:
                dim = d if dim is None else promote_types(dim, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
            continue
        if isinstance(o, (bool, np.bool_)):
            d = bool_
        elif isinstance(o, (int, np.integer)):
            d = int64
        elif isinstance(o, (float, np.floating)):
            d = _default[0]
        else:
            continue
        wrapped = d if wrapped is None else promote_types(wrapped, d)
    return _combine(dim, _combine(zero, wrapped))


def promote(*tensors):
    """``tensors`` cast to their common dtype (only those that differ are cast)."""
    r = result_type(*tensors)
    return [t if t._data.dtype == r else t.to(r) for t in tensors]


# ----------------------------------------------------------------------------- public API

def _as_dtype(d, what):
    from ..tensor import as_dtype
    r = as_dtype(d)
    if r is None:
        raise TypeError(f"{what}: expected a dtype, got None")
    return r


class finfo:
    """Limits of a floating-point dtype (torch.finfo): bits, eps, max, min, tiny,
    smallest_normal, resolution, dtype. ``finfo()`` describes the default dtype."""

    def __init__(self, type=None):  # noqa: A002 - torch's name
        d = _default[0] if type is None else _as_dtype(type, "finfo")
        if d.kind != "f":
            raise TypeError(f"torch.finfo() requires a floating point input type, got {d}")
        f = np.finfo(d)
        self.bits, self.eps, self.max, self.min = f.bits, float(f.eps), float(f.max), \
            float(f.min)
        self.tiny = self.smallest_normal = float(f.smallest_normal)
        self.resolution = 10.0 ** -f.precision
        self.dtype = str(d)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype (torch.iinfo): bits, max, min, dtype."""

    def __init__(self, type):  # noqa: A002 - torch's name
        d = _as_dtype(type, "iinfo")
        if d.kind not in "iub":
            raise TypeError(f"torch.iinfo() requires an integer input type, got {d}")
        i = np.iinfo(np.uint8 if d.kind == "b" else d)
        self.bits, self.max, self.min, self.dtype = i.bits, int(i.max), int(i.min), str(d)

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


_default = [float32]


def get_default_dtype():
    """The dtype of new floating-point tensors and of Python floats in arithmetic."""
    return _default[0]


def set_default_dtype(d):
    """Make ``d`` (float32, float64 or float16) the default floating-point dtype."""
    d = np.dtype(_as_dtype(d, "set_default_dtype"))
    if d.kind != "f":
        raise TypeError(f"set_default_dtype(): only floating-point types are supported as the "
                        f"default type, got {d}")
    _default[0] = d
