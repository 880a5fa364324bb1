"""Binary elementwise math, comparisons and torch's function forms of arithmetic.

Like ``elementwise.py``: the differentiable ops are one table, each with the array function
and one derivative formula per input, ``d(m, a, b, y)``, where ``m`` is the array module (the
engine's array path) or pygrad (the recorded backward). Operands broadcast and promote by
torch's rules; the gradient of each input is summed back to its shape.
"""
from __future__ import annotations

import numbers
import sys

import numpy as np

from ..autograd.function import Function
from .dtypes import UnsupportedDtypeError, result_type
from .math import sum_to, sum_to_array

Tensor = None   # pygrad.tensor.Tensor, bound when that module loads (it imports this one)

def _recip_sq(m, a, b):
    """1 / (a² + b²), and 0 where that is 1 / 0 (torch's atan2 gradient at the origin)."""
    den = a * a + b * b
    return m.where(den == 0, 0.0, 1 / m.where(den == 0, 1.0, den))


def div_floor_array(xp, a, b):
    """a / b rounded down, computed as torch does for floats (through fmod, so infinities and
    signed zeros come out as in torch; NumPy's floor_divide differs there)."""
    with np.errstate(all="ignore"):
        mod = xp.fmod(a, b)
        div = (a - mod) / b
        div = xp.where((mod != 0) & ((b < 0) != (mod < 0)), div - 1, div)
        fl = xp.floor(div)
        fl = xp.where(div - fl > 0.5, fl + 1, fl)
        out = xp.where(div != 0, fl, xp.copysign(xp.zeros_like(div), a / b))
        return xp.where(b == 0, a / b, out).astype(div.dtype, copy=False)


def _div_floor(m, a, b):
    """div_floor_array on arrays, or as a constant Tensor (its derivative is 0 almost
    everywhere, which is what the recorded backward of a derivative needs)."""
    if m.__class__ is not _Ops:
        return div_floor_array(m, a, b)
    return Tensor._make(div_floor_array(a.backend.xp, a.data, b.data), a.device)


# name: (array function, d/da, d/db, integer inputs: "float" (computed in float32), "keep"
# (integer result) or "refuse" (torch has no integer kernel: NotImplementedError)); the
# formulas are torch's (tools/autograd/derivatives.yaml)
TABLE = {
    "atan2": ("arctan2", lambda m, a, b, y: b * _recip_sq(m, a, b),
              lambda m, a, b, y: -a * _recip_sq(m, a, b), "float"),
    "hypot": ("hypot", lambda m, a, b, y: a / y, lambda m, a, b, y: b / y, "refuse"),
    "logaddexp": ("logaddexp", lambda m, a, b, y: 1 / (1 + m.exp(b - a)),
                  lambda m, a, b, y: 1 / (1 + m.exp(a - b)), "refuse"),
    # torch: remainder has the divisor's sign (Python's %), fmod the dividend's (C's fmod)
    "remainder": ("remainder", lambda m, a, b, y: 1, lambda m, a, b, y: -_div_floor(m, a, b),
                  "keep"),
    "fmod": ("fmod", lambda m, a, b, y: 1, lambda m, a, b, y: -m.trunc(a / b), "keep"),
}


class Binary(Function):
    """One op of TABLE on two tensors (broadcasting)."""

    def __init__(self, name):
        self.name = name

    def forward(self, a, b):
        return getattr(self.backend.xp, TABLE[self.name][0])(a, b)

    def vjp(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        xp, y = self.backend.xp, self.output.data
        _, da, db, _ = TABLE[self.name]
        return (sum_to_array(gy * da(xp, a.data, b.data, y), a.shape) if na else None,
                sum_to_array(gy * db(xp, a.data, b.data, y), b.shape) if nb else None)

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        y = self.output
        _, da, db, _ = TABLE[self.name]
        return (sum_to(gy * da(_ops, a, b, y), a.shape) if na else None,
                sum_to(gy * db(_ops, a, b, y), b.shape) if nb else None)


def _operands(name, a, b, floating=False):
    """Both operands as tensors of the dtype torch computes in (numbers become 0-d tensors
    that carry no gradient; ``floating``: integers compute in float32)."""
    like = a if isinstance(a, Tensor) else b
    if not isinstance(like, Tensor):
        raise TypeError(f"{name}(): expected at least one Tensor, got {type(a).__name__} and "
                        f"{type(b).__name__}")
    for v in (a, b):
        if not isinstance(v, (Tensor, numbers.Number)):
            raise TypeError(f"{name}(): expected a Tensor or a number, got {type(v).__name__}")
    r = result_type(a, b)
    if floating and r.kind != "f":
        r = np.dtype("float32")
    out = []
    for v in (a, b):
        if isinstance(v, Tensor):
            if v.device is not like.device:
                raise RuntimeError(f"{name}(): expected all tensors on the same device, found "
                                   f"{like.device} and {v.device}")
            out.append(v if v.dtype == r else v.to(r))
        else:
            from ..tensor import _to_device_array
            out.append(Tensor._make(_to_device_array(v, r, like.device), like.device))
    return out


def _make_function(name):
    def fn(input, other):  # noqa: A002 - torch's argument names
        a, b = _operands(name, input, other, TABLE[name][3] == "float")
        if TABLE[name][3] == "refuse" and a.dtype.kind != "f":
            raise UnsupportedDtypeError(f"{name}(): not implemented for dtype {a.dtype}")
        return Binary(name)(a, b)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise {name} of two tensors or a tensor and a number, as torch.{name}."
    return fn


_module = sys.modules[__name__]
for _name in TABLE:
    setattr(_module, _name, _make_function(_name))


# ----------------------------------------------------------------------------- arithmetic

def add(input, other, *, alpha=1):  # noqa: A002
    """input + alpha·other (torch.add)."""
    return input + (other if alpha == 1 else other * alpha)


def sub(input, other, *, alpha=1):  # noqa: A002
    """input − alpha·other (torch.sub)."""
    return input - (other if alpha == 1 else other * alpha)


def mul(input, other):  # noqa: A002
    """input · other (torch.mul)."""
    return input * other


def div(input, other, *, rounding_mode=None):  # noqa: A002
    """input / other; ``rounding_mode`` "trunc" or "floor" rounds the quotient (gradient 0,
    and integer inputs stay integers), as torch.div."""
    if rounding_mode is None:
        return input / other
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                         f"but found '{rounding_mode}'")
    a, b = _operands("div", input, other)
    if a.dtype.kind == "f":
        return RoundedDiv(rounding_mode)(a, b)
    xp = a.backend.xp
    q = xp.floor_divide(a.data, b.data)
    if rounding_mode == "trunc":      # toward zero: one up where the floor went past it
        q = q + ((q < 0) & (q * b.data != a.data))
    return Tensor._make(q.astype(a.dtype, copy=False), a.device)


class RoundedDiv(Function):
    """a / b rounded toward zero ("trunc") or down ("floor"); its gradient is 0."""

    saves_values = False

    def __init__(self, mode):
        self.mode = mode

    def forward(self, a, b):
        xp = self.backend.xp
        if self.mode == "floor":
            return div_floor_array(xp, a, b)
        with np.errstate(all="ignore"):
            return xp.trunc(a / b)

    def vjp(self, gy):
        xp = self.backend.xp
        a, b = self.inputs
        na, nb = self.needs_input_grad
        return (xp.zeros(a.shape, gy.dtype) if na else None,
                xp.zeros(b.shape, gy.dtype) if nb else None)

    def backward(self, gy):
        return tuple(None if g is None else Tensor._make(g, gy.device)
                     for g in self.vjp(gy.data))


def true_divide(input, other):  # noqa: A002
    return div(input, other)


def floor_divide(input, other):  # noqa: A002
    """input / other rounded down (torch.floor_divide, the ``//`` operator)."""
    return div(input, other, rounding_mode="floor")


# ----------------------------------------------------------------------------- comparisons

_REFLECTED = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}


def _make_comparison(name):
    def fn(input, other):  # noqa: A002 - torch's argument names
        if isinstance(input, Tensor):
            return getattr(input, f"__{name}__")(other)
        return getattr(other, f"__{_REFLECTED[name]}__")(input)    # a number first
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise {name} as a bool tensor (torch.{name})."
    return fn


for _name in _REFLECTED:
    setattr(_module, _name, _make_comparison(_name))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    """|input − other| ≤ atol + rtol·|other|, elementwise (torch.isclose)."""
    a, b = _operands("isclose", input, other)
    return Tensor._make(a.backend.xp.isclose(a.data, b.data, rtol, atol, equal_nan), a.device)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:  # noqa: A002
    """Whether every element is close (torch.allclose)."""
    return bool(isclose(input, other, rtol, atol, equal_nan).data.all())


def equal(input, other) -> bool:  # noqa: A002
    """Same shape and the same values (torch.equal)."""
    return tuple(input.shape) == tuple(other.shape) and bool((input == other).data.all())


def _predicate(fn_name):
    def fn(input):  # noqa: A002
        xp, a = input.backend.xp, input.data
        if a.dtype.kind != "f" and fn_name in ("isposinf", "isneginf"):
            return Tensor._make(xp.zeros(a.shape, bool), input.device)    # integers: never
        return Tensor._make(getattr(xp, fn_name)(a), input.device)
    fn.__name__ = fn.__qualname__ = fn_name
    fn.__doc__ = f"Elementwise {fn_name} as a bool tensor (torch.{fn_name})."
    return fn


for _name in ("isnan", "isinf", "isfinite", "isposinf", "isneginf"):
    setattr(_module, _name, _predicate(_name))

PREDICATES = ("isnan", "isinf", "isfinite", "isposinf", "isneginf")
COMPARISONS = tuple(_REFLECTED)

class _Ops:
    """What the formulas call when the backward is recorded: pygrad's own ops on Tensors."""

    @staticmethod
    def where(cond, a, b):
        from .math import where
        return where(cond, a, b)

    @staticmethod
    def exp(x):
        from .unary import exp
        return exp(x)

    @staticmethod
    def trunc(x):
        from .elementwise import trunc
        return trunc(x)


_ops = _Ops()


def install(tensor_class):
    """Methods and operators: x.atan2(y), x.eq(y), x.isnan(), x // y, x % y, ..."""
    for name in list(TABLE) + list(COMPARISONS) + list(PREDICATES) + [
            "isclose", "allclose", "equal", "mul", "true_divide", "floor_divide"]:
        setattr(tensor_class, name, getattr(_module, name))
    tensor_class.add = lambda self, other, *, alpha=1: add(self, other, alpha=alpha)
    tensor_class.sub = lambda self, other, *, alpha=1: sub(self, other, alpha=alpha)
    tensor_class.div = lambda self, other, *, rounding_mode=None: div(
        self, other, rounding_mode=rounding_mode)
    tensor_class.__floordiv__ = floor_divide
    tensor_class.__rfloordiv__ = lambda self, other: floor_divide(other, self)
    tensor_class.__mod__ = _module.remainder
    tensor_class.__rmod__ = lambda self, other: _module.remainder(other, self)
    for name in ("eq", "ne", "lt", "le", "gt", "ge"):
        torch_alias = {"ge": "greater_equal", "gt": "greater", "le": "less_equal",
                       "lt": "less", "ne": "not_equal"}.get(name)
        if torch_alias:
            setattr(tensor_class, torch_alias, getattr(_module, name))
