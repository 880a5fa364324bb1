"""Binary elementwise math, comparisons and torch's function forms of arithmetic.

Like ``elementwise.py``: the differentiable ops are one table, each with the array function
and one derivative formula per input, ``d(m, a, b, y)``, where ``m`` is the array module (the
engine's array path) or pygrad (the recorded backward). Operands broadcast and promote by
torch's rules; the gradient of each input is summed back to its shape.
"""
from __future__ import annotations

import math
import numbers
import sys

import numpy as np

from ..autograd import inplace as _inplace
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
    return Tensor._make(div_floor_array(a.backend.xp, a._data, b._data), a.device)


class Select:
    """A derivative that is 1 where ``mask(xp, a, b)`` holds and 0 elsewhere."""

    def __init__(self, mask):
        self.mask = mask


_LN2 = math.log(2.0)

# name: (array function, d/da, d/db, integer inputs: "float" (computed in float32), "keep"
# (integer result) or "refuse" (torch has no integer kernel: NotImplementedError)); the
# formulas are torch's (tools/autograd/derivatives.yaml)
TABLE = {
    "atan2": ("arctan2", lambda m, a, b, y: b * _recip_sq(m, a, b),
              lambda m, a, b, y: -a * _recip_sq(m, a, b), "float"),
    "hypot": ("hypot", lambda m, a, b, y: a / y, lambda m, a, b, y: b / y, "refuse"),
    "logaddexp": ("logaddexp", lambda m, a, b, y: 1 / (1 + m.exp(b - a)),
                  lambda m, a, b, y: 1 / (1 + m.exp(a - b)), "refuse"),
    "logaddexp2": ("logaddexp2", lambda m, a, b, y: 1 / (1 + m.exp((b - a) * _LN2)),
                   lambda m, a, b, y: 1 / (1 + m.exp((a - b) * _LN2)), "refuse"),
    # torch: remainder has the divisor's sign (Python's %), fmod the dividend's (C's fmod)
    "remainder": ("remainder", lambda m, a, b, y: 1, lambda m, a, b, y: -_div_floor(m, a, b),
                  "keep"),
    "fmod": ("fmod", lambda m, a, b, y: 1, lambda m, a, b, y: -m.trunc(a / b), "keep"),
    "copysign": ("copysign",
                 lambda m, a, b, y: m.where(a == 0, 0.0, y / m.where(a == 0, 1.0, a)),
                 None, "float"),
    "xlogy": (lambda xp: _xlogy_array(xp),
              lambda m, a, b, y: m.where((a == 0) & (b <= 0), 0.0, m.log(b)),
              lambda m, a, b, y: a / b, "float"),
    "fmax": ("fmax", Select(lambda xp, a, b: (a >= b) | (b != b)),
             Select(lambda xp, a, b: ~((a >= b) | (b != b))), "keep"),
    "fmin": ("fmin", Select(lambda xp, a, b: (a <= b) | (b != b)),
             Select(lambda xp, a, b: ~((a <= b) | (b != b))), "keep"),
}


def _xlogy_array(xp):
    def xlogy(a, b):
        with np.errstate(all="ignore"):
            return xp.where((a == 0) & (b == b), xp.zeros_like(a * b), a * xp.log(b))
    return xlogy


def _grad_term(m, gy, d, a, b, y):
    """gy times the derivative formula ``d``: None is a zero gradient; a Select passes gy
    where its mask holds (selected, never multiplied: an infinite gy stays finite elsewhere)."""
    if d is None:
        return None
    if isinstance(d, Select):
        if m is _ops:
            mask = d.mask(b.backend.xp, a._data, b._data)
            return _ops.where(Tensor._make(mask, gy.device), gy, 0.0)
        return m.where(d.mask(m, a, b), gy, 0)
    return gy * d(m, a, b, y)


class Binary(Function):
    """One op of TABLE on two tensors (broadcasting)."""

    def __init__(self, name):
        self.name = name

    def forward(self, a, b):
        fn = TABLE[self.name][0]
        xp = self.backend.xp
        return (getattr(xp, fn) if isinstance(fn, str) else fn(xp))(a, b)

    def vjp(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        xp, y = self.backend.xp, self.output._data
        _, da, db, _ = TABLE[self.name]
        ga = _grad_term(xp, gy, da, a._data, b._data, y) if na else None
        gb = _grad_term(xp, gy, db, a._data, b._data, y) if nb else None
        return (None if not na else xp.zeros(a.shape, gy.dtype) if ga is None else
                sum_to_array(xp.broadcast_to(ga, gy.shape), a.shape),
                None if not nb else xp.zeros(b.shape, gy.dtype) if gb is None else
                sum_to_array(xp.broadcast_to(gb, gy.shape), b.shape))

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        y = self.output
        _, da, db, _ = TABLE[self.name]
        ga = _grad_term(_ops, gy, da, a, b, y) if na else None
        gb = _grad_term(_ops, gy, db, a, b, y) if nb else None
        zeros = gy.backend.xp.zeros
        return (None if not na else Tensor._make(zeros(a.shape, gy.dtype), gy.device)
                if ga is None else sum_to(ga, a.shape),
                None if not nb else Tensor._make(zeros(b.shape, gy.dtype), gy.device)
                if gb is None else sum_to(gb, b.shape))


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
    q = xp.floor_divide(a._data, b._data)
    if rounding_mode == "trunc":      # toward zero: one up where the floor went past it
        q = q + ((q < 0) & (q * b._data != a._data))
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
                     for g in self.vjp(gy._data))


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

# torch's long names of the comparisons, and NumPy's of atan2
ALIASES = {"greater": "gt", "greater_equal": "ge", "less": "lt", "less_equal": "le",
           "not_equal": "ne", "arctan2": "atan2", "divide": "div", "multiply": "mul",
           "subtract": "sub"}
for _name, _op in ALIASES.items():
    setattr(_module, _name, getattr(_module, _op))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    """|input − other| ≤ atol + rtol·|other|, elementwise (torch.isclose)."""
    a, b = _operands("isclose", input, other)
    return Tensor._make(a.backend.xp.isclose(a._data, b._data, rtol, atol, equal_nan), a.device)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:  # noqa: A002
    """Whether every element is close (torch.allclose)."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other) -> bool:  # noqa: A002
    """Same shape and the same values (torch.equal)."""
    return tuple(input.shape) == tuple(other.shape) and bool((input == other)._data.all())


def _predicate(fn_name):
    def fn(input):  # noqa: A002
        xp, a = input.backend.xp, input._data
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
    def log(x):
        from .unary import log
        return log(x)

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
    install_extras(tensor_class)
    for name, op in ALIASES.items():
        setattr(tensor_class, name, getattr(_module, op))
        setattr(tensor_class, name + "_", getattr(tensor_class, op + "_"))


# ----------------------------------------------------------------------------- composed ops
# made of the ops above, so their gradients (of every order) come from those

def lerp(input, end, weight):  # noqa: A002
    """input + weight·(end − input), computed from the nearer end as torch does."""
    from .math import where
    weight_t = weight if isinstance(weight, Tensor) else None
    small = (weight_t.detach().abs() < 0.5) if weight_t is not None else abs(weight) < 0.5
    low = input + weight * (end - input)
    high = end - (end - input) * (1 - weight)
    if weight_t is None:
        return low if small else high
    return where(small, low, high)


def addcmul(input, tensor1, tensor2, *, value=1):  # noqa: A002
    """input + value·tensor1·tensor2 (torch.addcmul)."""
    return input + value * (tensor1 * tensor2) if value != 1 else input + tensor1 * tensor2


def addcdiv(input, tensor1, tensor2, *, value=1):  # noqa: A002
    """input + value·tensor1/tensor2 (torch.addcdiv; integer division is refused)."""
    if tensor1.dtype.kind in "iub" and tensor2.dtype.kind in "iub":
        raise RuntimeError("addcdiv(): integer division with addcdiv is no longer supported; "
                           "use addcmul(input, tensor1, 1 / tensor2) or "
                           "div(..., rounding_mode=...)")
    return input + value * (tensor1 / tensor2) if value != 1 else input + tensor1 / tensor2


def float_power(input, exponent):  # noqa: A002
    """input ** exponent computed in float64 (torch.float_power)."""
    a = input.double() if isinstance(input, Tensor) else float(input)
    b = exponent.double() if isinstance(exponent, Tensor) else float(exponent)
    return a ** b


def ldexp(input, other):  # noqa: A002
    """input · 2**other (torch.ldexp)."""
    return input * (2.0 ** other)


def pow(input, exponent):  # noqa: A001,A002 - torch's names
    """input ** exponent; either may be a number (torch.pow)."""
    if isinstance(input, Tensor):
        return input ** exponent
    if not isinstance(exponent, Tensor):
        raise TypeError(f"pow(): expected a Tensor as input or exponent, got "
                        f"{type(input).__name__} and {type(exponent).__name__}")
    return exponent.__rpow__(input)


def neg(input):  # noqa: A002
    return -input


negative = neg


def positive(input):  # noqa: A002
    if input.dtype.kind == "b":
        raise TypeError("positive(): the + operator on a bool tensor is not supported")
    return input


def deg2rad(input):  # noqa: A002
    return _floated(input) * (np.pi / 180)


def rad2deg(input):  # noqa: A002
    return _floated(input) * (180 / np.pi)


def _floated(x):
    return x if x.dtype.kind == "f" else x.to("float32")


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):  # noqa: A002
    """nan → ``nan``, ±inf → ``posinf`` / ``neginf`` (default: the dtype's largest and
    smallest finite values); the gradient is ``gy · isfinite(x)``, as torch's."""
    if input.dtype.kind != "f":
        return input.clone()
    info = np.finfo(input.dtype)
    return NanToNum(nan, float(info.max) if posinf is None else posinf,
                    float(info.min) if neginf is None else neginf)(input)


class NanToNum(Function):
    def __init__(self, nan, posinf, neginf):
        self.values = (nan, posinf, neginf)

    def forward(self, x):
        nan, posinf, neginf = self.values
        return self.backend.xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, gy):
        xp = self.backend.xp
        finite = xp.isfinite(self.inputs[0]._data).astype(gy.dtype)
        return gy * Tensor._make(finite, gy.device)


def diff(input, n=1, dim=-1, prepend=None, append=None):  # noqa: A002
    """The n-th forward difference along ``dim`` (torch.diff)."""
    from .shape import cat
    if n < 0:
        raise RuntimeError(f"diff(): order must be non-negative, got {n}")
    if input.ndim == 0:
        raise RuntimeError("diff(): expected at least a 1-dimensional input, got a 0-d tensor")
    x = input
    if prepend is not None or append is not None:
        for arg, p in (("prepend", prepend), ("append", append)):
            if p is not None and not isinstance(p, Tensor):
                raise TypeError(f"diff(): argument '{arg}' must be Tensor, not "
                                f"{type(p).__name__}")
        x = cat([p for p in (prepend, x, append) if p is not None], dim)
    for _ in range(n):
        m = x.shape[dim]
        if m == 0:
            break
        if x.dtype.kind == "b":
            x = x.narrow(dim, 1, m - 1) != x.narrow(dim, 0, m - 1)
        else:
            x = x.narrow(dim, 1, m - 1) - x.narrow(dim, 0, m - 1)
    return x


# ----------------------------------------------------------------------------- bits and logic
# integer and bool tensors only; the results carry no gradient

def _integral(name, a, b=None):
    """The operands (two are promoted as torch does), refused unless integer or bool."""
    if b is not None:
        ops = _operands(name, a, b)
    elif isinstance(a, Tensor):
        ops = [a]
    else:
        raise TypeError(f"{name}(): expected a Tensor, got {type(a).__name__}")
    for t in ops:
        if t.dtype.kind not in "iub":
            raise UnsupportedDtypeError(f"{name}(): not implemented for dtype {t.dtype} "
                                        f"(integer and bool tensors only)")
    return ops


def _bitwise(name, array_fn):
    def fn(input, other):  # noqa: A002
        a, b = _integral(name, input, other)
        return Tensor._make(array_fn(a.backend.xp)(a._data, b._data), a.device)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise {name} of integer or bool tensors (torch.{name})."
    return fn


bitwise_and = _bitwise("bitwise_and", lambda xp: xp.bitwise_and)
gcd = _bitwise("gcd", lambda xp: xp.gcd)
lcm = _bitwise("lcm", lambda xp: xp.lcm)
bitwise_or = _bitwise("bitwise_or", lambda xp: xp.bitwise_or)
bitwise_xor = _bitwise("bitwise_xor", lambda xp: xp.bitwise_xor)
bitwise_left_shift = _bitwise("bitwise_left_shift", lambda xp: xp.left_shift)
bitwise_right_shift = _bitwise("bitwise_right_shift", lambda xp: xp.right_shift)


def bitwise_not(input):  # noqa: A002
    """~input: bitwise not of integers, logical not of bools (torch.bitwise_not)."""
    a, = _integral("bitwise_not", input)
    return Tensor._make(a.backend.xp.invert(a._data), a.device)


def _logical(name, array_fn):
    def fn(input, other):  # noqa: A002
        a, b = _operands(name, input, other)
        return Tensor._make(array_fn(a.backend.xp)(a._data, b._data), a.device)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise {name} of the truth values, as a bool tensor (torch.{name})."
    return fn


logical_and = _logical("logical_and", lambda xp: xp.logical_and)
logical_or = _logical("logical_or", lambda xp: xp.logical_or)
logical_xor = _logical("logical_xor", lambda xp: xp.logical_xor)


def logical_not(input):  # noqa: A002
    return Tensor._make(input.backend.xp.logical_not(input._data), input.device)


def signbit(input):  # noqa: A002
    """Whether the sign bit is set (−0.0 included), as a bool tensor."""
    return Tensor._make(input.backend.xp.signbit(input._data), input.device)


def heaviside(input, values):  # noqa: A002
    """0 where input < 0, ``values`` where input == 0, 1 where input > 0 (no gradient, as
    torch)."""
    if not isinstance(values, Tensor):
        raise TypeError(f"heaviside(): argument 'values' must be a Tensor, got "
                        f"{type(values).__name__}")
    if input.dtype != values.dtype:
        raise RuntimeError(f"heaviside(): input ({input.dtype}) and values ({values.dtype}) "
                           f"must have the same dtype")
    xp = input.backend.xp
    out = xp.where(input._data == 0, values._data, input._data > 0)      # nan: 0, as torch
    return Tensor._make(out.astype(input.dtype, copy=False), input.device)


# ----------------------------------------------------------------------------- in place
# x.op_(...): the out-of-place op written back into x, recorded by autograd as in torch
# (pygrad/autograd/inplace.py). The result must fit x: same shape, and a dtype x can hold
# (no float result into an integer tensor), as torch requires.

def inplace(name, fn):
    """``x.<name>_(...)``: ``fn(x, ...)`` written back into x's array (see
    pygrad/autograd/inplace.py for how the graph records it)."""
    what = name + "_()"

    def method(self, *args, **kwargs):
        return _inplace.apply(self, what, fn, args, kwargs)
    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"In-place {name}: ``x.{name}_(...)`` overwrites x with ``x.{name}(...)``."
    return method


EXTRA_FUNCTIONS = tuple(ALIASES) + ("pow", "lerp", "addcmul", "addcdiv", "float_power", "ldexp", "neg", "negative",
                   "positive", "deg2rad", "rad2deg", "nan_to_num", "diff", "bitwise_and",
                   "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift",
                   "bitwise_not", "logical_and", "logical_or", "logical_xor", "logical_not",
                   "signbit", "heaviside", "gcd", "lcm")
# in-place forms: of this module's ops, and of ops defined elsewhere (bound at install)
INPLACE = ("add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod",
           "atan2", "hypot", "copysign", "xlogy", "lerp", "addcmul", "addcdiv", "float_power",
           "ldexp", "neg", "negative", "deg2rad", "rad2deg", "nan_to_num", "bitwise_and",
           "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift",
           "bitwise_not", "logical_and", "logical_or", "logical_xor", "logical_not",
           "eq", "ne", "lt", "le", "gt", "ge", "gcd", "lcm")


def install_extras(tensor_class):
    """x.lerp(...), x.bitwise_and(...), x & y, x << y, ~x, x.add_(...), ..."""
    for name in EXTRA_FUNCTIONS:
        setattr(tensor_class, name, getattr(_module, name))
    tensor_class.absolute = tensor_class.abs
    from .unary import clamp_max, clamp_min
    tensor_class.clamp_min, tensor_class.clamp_max = clamp_min, clamp_max
    tensor_class.__and__ = lambda self, other: (logical_and if _both_bool(self, other)
                                                else bitwise_and)(self, other)
    tensor_class.__or__ = lambda self, other: (logical_or if _both_bool(self, other)
                                               else bitwise_or)(self, other)
    tensor_class.__xor__ = lambda self, other: (logical_xor if _both_bool(self, other)
                                                else bitwise_xor)(self, other)
    tensor_class.__rand__ = lambda self, other: self.__and__(other)
    tensor_class.__ror__ = lambda self, other: self.__or__(other)
    tensor_class.__rxor__ = lambda self, other: self.__xor__(other)
    tensor_class.__invert__ = _invert
    tensor_class.__lshift__ = bitwise_left_shift
    tensor_class.__rshift__ = bitwise_right_shift
    tensor_class.__rlshift__ = lambda self, other: bitwise_left_shift(other, self)
    tensor_class.__rrshift__ = lambda self, other: bitwise_right_shift(other, self)
    for name in INPLACE:
        fn = getattr(tensor_class, name)
        setattr(tensor_class, name + "_", inplace(name, fn))
    for name, fn in (("abs", tensor_class.abs), ("absolute", tensor_class.abs),
                     ("exp", tensor_class.exp), ("log", tensor_class.log),
                     ("sqrt", tensor_class.sqrt), ("clamp", tensor_class.clamp),
                     ("clip", tensor_class.clamp), ("pow", tensor_class.pow),
                     ("sigmoid", tensor_class.sigmoid), ("relu", tensor_class.relu),
                     ("tanh", tensor_class.tanh), ("logit", tensor_class.logit),
                     ("clamp_min", tensor_class.clamp_min),
                     ("clamp_max", tensor_class.clamp_max)):
        if not hasattr(tensor_class, name + "_"):
            setattr(tensor_class, name + "_", inplace(name, fn))
    for name in ("tril", "triu", "addmm", "addmv", "addr", "baddbmm", "addbmm"):
        # methods bound by modules installed after this one: looked up at call time
        setattr(tensor_class, name + "_", inplace(
            name, lambda self, *args, _name=name, **kwargs: getattr(self, _name)(*args, **kwargs)))


def _invert(self):
    if self.dtype.kind not in "iub":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return bitwise_not(self)


def _both_bool(a, b):
    return a.dtype.kind == "b" and (isinstance(b, bool) or
                                    (isinstance(b, Tensor) and b.dtype.kind == "b"))
