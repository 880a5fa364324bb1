"""The elementwise math family, declared once as a table.

Each entry gives the NumPy/CuPy function that computes the op and its derivative dy/dx as
one formula ``d(m, x, y)``, where ``m`` is either the array module (the engine's array path,
``create_graph=False``) or pygrad itself (the recorded backward, so higher-order gradients
work): the same line serves both. From the table come ``pg.sin``, ``Tensor.sin`` and the
in-place ``Tensor.sin_``. ``tests/test_elementwise.py`` iterates over the same table against
torch, so an op cannot be added untested.

Derivatives follow torch's formulas (tools/autograd/derivatives.yaml); ops whose derivative
is zero almost everywhere (floor, sign, ...) give exact zeros, never ``gy·0`` (which would
turn an infinite upstream gradient into nan).
"""
from __future__ import annotations

import math as _math
import sys
from types import SimpleNamespace

import numpy as np

from ..autograd.function import Function
from . import special

Tensor = None   # pygrad.tensor.Tensor, bound when that module loads (it imports this one)

LN2, LN10 = _math.log(2.0), _math.log(10.0)
TWO_OVER_SQRT_PI, HALF_SQRT_PI = 2 / _math.sqrt(_math.pi), _math.sqrt(_math.pi) / 2

# name: (array function name, derivative d(m, x, y) or None for "zero everywhere",
#        integer inputs: "float" (computed in float32, as torch) or "keep" (same dtype))
TABLE = {
    "sin": ("sin", lambda m, x, y: m.cos(x), "float"),
    "cos": ("cos", lambda m, x, y: -m.sin(x), "float"),
    "tan": ("tan", lambda m, x, y: 1 + y * y, "float"),
    "asin": ("arcsin", lambda m, x, y: 1 / m.sqrt(1 - x * x), "float"),
    "acos": ("arccos", lambda m, x, y: -1 / m.sqrt(1 - x * x), "float"),
    "atan": ("arctan", lambda m, x, y: 1 / (1 + x * x), "float"),
    "sinh": ("sinh", lambda m, x, y: m.cosh(x), "float"),
    "cosh": ("cosh", lambda m, x, y: m.sinh(x), "float"),
    "asinh": ("arcsinh", lambda m, x, y: 1 / m.sqrt(x * x + 1), "float"),
    "acosh": ("arccosh", lambda m, x, y: 1 / m.sqrt(x * x - 1), "float"),
    "atanh": ("arctanh", lambda m, x, y: 1 / (1 - x * x), "float"),
    "exp2": ("exp2", lambda m, x, y: y * LN2, "float"),
    "expm1": ("expm1", lambda m, x, y: y + 1, "float"),
    "log2": ("log2", lambda m, x, y: 1 / (x * LN2), "float"),
    "log10": ("log10", lambda m, x, y: 1 / (x * LN10), "float"),
    "log1p": ("log1p", lambda m, x, y: 1 / (x + 1), "float"),
    "reciprocal": ("reciprocal", lambda m, x, y: -(y * y), "float"),
    "rsqrt": ("rsqrt", lambda m, x, y: -0.5 * y * y * y, "float"),
    "erf": ("erf", lambda m, x, y: TWO_OVER_SQRT_PI * m.exp(-(x * x)), "float"),
    "erfc": ("erfc", lambda m, x, y: -TWO_OVER_SQRT_PI * m.exp(-(x * x)), "float"),
    "erfinv": ("erfinv", lambda m, x, y: HALF_SQRT_PI * m.exp(y * y), "float"),
    "square": ("square", lambda m, x, y: 2 * x, "keep"),
    "frac": ("frac", lambda m, x, y: 1, "keep"),
    "floor": ("floor", None, "keep"),
    "ceil": ("ceil", None, "keep"),
    "trunc": ("trunc", None, "keep"),
    "sign": ("sign", None, "keep"),
    "sgn": ("sign", None, "keep"),
}


def _array_fn(xp, name):
    """The array function ``name``, with the ones NumPy lacks written out."""
    if name in ("erf", "erfc", "erfinv"):
        return getattr(special, name)
    if name == "rsqrt":
        return lambda x: 1 / xp.sqrt(x)
    if name == "frac":
        return lambda x: x - xp.trunc(x)
    if name == "reciprocal":
        return lambda x: 1 / x
    if name == "sign":                                          # torch: sign(nan) is 0
        return lambda x: x.copy() if x.dtype.kind == "b" else xp.sign(x) if x.dtype.kind in \
            "iu" else xp.where(x != x, 0, xp.sign(x)).astype(x.dtype, copy=False)
    if name in ("floor", "ceil", "trunc"):
        f = getattr(xp, name)
        return lambda x: x if x.dtype.kind in "iub" else f(x)     # integers are their own
    return getattr(xp, name)


class Elementwise(Function):
    """One op of TABLE applied to one tensor."""

    def __init__(self, name):
        self.name = name

    def forward(self, x):
        return _array_fn(self.backend.xp, TABLE[self.name][0])(x)

    def _derivative(self, m, x, y):
        return TABLE[self.name][1](m, x, y)

    def vjp(self, gy):
        if TABLE[self.name][1] is None:
            return self.backend.xp.zeros_like(gy)
        xp = self.backend.xp
        return gy * self._derivative(xp, self.inputs[0]._data, self.output._data)

    def backward(self, gy):
        if TABLE[self.name][1] is None:
            return Tensor._make(self.backend.xp.zeros_like(gy._data), gy.device)
        return gy * self._derivative(_ops, self.inputs[0], self.output)


def _apply(name, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): expected a Tensor, got {type(x).__name__}")
    if x.dtype.kind == "b" and name in ("floor", "ceil", "trunc"):
        raise NotImplementedError(f'"{name}_vml_cpu" not implemented for \'Bool\'')
    if x.dtype.kind != "f":
        if TABLE[name][2] == "float":
            x = x.to("float32")
        elif name == "frac" or (name == "square" and x.dtype.kind == "b"):
            if name == "frac":
                raise NotImplementedError(f"frac(): not implemented for dtype {x.dtype}")
            x = x.to("int64")                     # torch: bool ** 2 is int64
    return Elementwise(name)(x)


def _make_function(name):
    def fn(input):  # noqa: A002 - torch's argument name
        return _apply(name, input)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise {name}, as torch.{name} (integer inputs: " + (
        "computed in float32)." if TABLE[name][2] == "float" else "keep their dtype).")
    return fn


def _make_inplace(name):
    from .binary import inplace
    return inplace(name, lambda x: _apply(name, x))


_module = sys.modules[__name__]
for _name in TABLE:
    setattr(_module, _name, _make_function(_name))

# torch's other names for ops of the table (NumPy's arc- names; fix is trunc)
ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
           "arccosh": "acosh", "arctanh": "atanh", "fix": "trunc"}
for _name, _op in ALIASES.items():
    setattr(_module, _name, getattr(_module, _op))


def round(input, decimals=0):  # noqa: A001,A002 - torch's names
    """Round half to even, to ``decimals`` places (torch.round); gradient 0."""
    if not isinstance(input, Tensor):
        raise TypeError(f"round(): expected a Tensor, got {type(input).__name__}")
    if input.dtype.kind == "b":
        raise NotImplementedError('"round_vml_cpu" not implemented for \'Bool\'')
    if input.dtype.kind != "f":
        return input.clone()                      # integers are already round
    return Round(decimals)(input)


def logit(input, eps=None):  # noqa: A002 - torch's names
    """log(p / (1 − p)); with ``eps`` the input is first clamped to [eps, 1 − eps] and the
    gradient is 0 outside it; without, the gradient is nan outside [0, 1] (as torch.logit)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"logit(): expected a Tensor, got {type(input).__name__}")
    return Logit(eps)(input if input.dtype.kind == "f" else input.to("float32"))


class Logit(Function):
    def __init__(self, eps):
        self.eps = eps

    def forward(self, x):
        xp = self.backend.xp
        z = x if self.eps is None else xp.clip(x, self.eps, 1 - self.eps)
        with np.errstate(all="ignore"):
            return xp.log(z / (1 - z))

    def backward(self, gy):
        x = self.inputs[0]
        lo, hi = (0.0, 1.0) if self.eps is None else (self.eps, 1 - self.eps)
        outside = Tensor._make((x._data < lo) | (x._data > hi), x.device)
        from .math import where
        return where(outside, float("nan") if self.eps is None else 0.0, gy / (x * (1 - x)))


def sinc(input):  # noqa: A002 - torch's names
    """sin(πx) / (πx), 1 at x = 0 (torch.sinc; integer inputs are computed in float32). Its
    gradient gy·(cos(πx) − sinc(x)) / x is 0 at x = 0 whatever gy is, as torch's."""
    if not isinstance(input, Tensor):
        raise TypeError(f"sinc(): expected a Tensor, got {type(input).__name__}")
    return Sinc()(input if input.dtype.kind == "f" else input.to("float32"))


class Sinc(Function):
    def forward(self, x):
        with np.errstate(invalid="ignore"):
            return self.backend.xp.sinc(x)

    def vjp(self, gy):
        xp, x, y = self.backend.xp, self.inputs[0]._data, self.output._data
        zero = x == 0
        with np.errstate(invalid="ignore"):
            return xp.where(zero, 0, gy * (xp.cos(_math.pi * x) - y) / xp.where(zero, 1, x))

    def backward(self, gy):
        from .math import where
        x = self.inputs[0]
        zero = Tensor._make(x._data == 0, x.device)
        d = (_ops.cos(_math.pi * x) - self.output) / where(zero, 1.0, x)
        return where(zero, 0.0, gy * d)


class Round(Function):
    def __init__(self, decimals):
        self.decimals = decimals

    def forward(self, x):
        return self.backend.xp.round(x, self.decimals)

    def vjp(self, gy):
        return self.backend.xp.zeros_like(gy)

    def backward(self, gy):
        return Tensor._make(self.backend.xp.zeros_like(gy._data), gy.device)


# what the formulas call when the backward is recorded: pygrad's own ops on Tensors
_ops = SimpleNamespace(**{n: getattr(_module, n) for n in ("sin", "cos", "sinh", "cosh")})


def _bind_unary():
    from .unary import exp, sqrt
    _ops.sqrt, _ops.exp = sqrt, exp


_bind_unary()


def install(tensor_class):
    """Add ``x.<op>()`` and ``x.<op>_()`` for every op of the table to ``tensor_class``."""
    tensor_class.logit = lambda self, eps=None: logit(self, eps)
    from .binary import inplace
    tensor_class.sinc, tensor_class.sinc_ = sinc, inplace("sinc", sinc)
    for name in list(TABLE) + ["round"]:
        fn = getattr(_module, name)
        if name == "round":
            setattr(tensor_class, "round", lambda self, decimals=0: round(self, decimals))
            setattr(tensor_class, "round_", _round_inplace)
            continue
        setattr(tensor_class, name, lambda self, _fn=fn: _fn(self))
        setattr(tensor_class, name + "_", _make_inplace(name))
    for name, op in ALIASES.items():
        setattr(tensor_class, name, getattr(tensor_class, op))
        setattr(tensor_class, name + "_", getattr(tensor_class, op + "_"))


def _round_inplace(self, decimals=0):
    from .binary import inplace
    return inplace("round", round)(self, decimals)


__all__ = list(TABLE) + list(ALIASES) + ["round", "logit", "sinc"]
