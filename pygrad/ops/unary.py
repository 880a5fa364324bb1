"""Elementwise functions of one tensor: exp, log, sqrt, abs, clamp, relu, tanh."""
from __future__ import annotations

from ..autograd.function import Function
from ..backend.reference import get_xp
from .dtypes import UnsupportedDtypeError, result_type

Tensor = None   # pygrad.tensor.Tensor, bound when that module loads (it imports this one)


class Exp(Function):
    def forward(self, x):
        return self.backend.xp.exp(x)

    def vjp(self, gy):
        return gy * self.output._data

    def backward(self, gy):
        return gy * self.output


class Log(Function):
    def forward(self, x):
        return self.backend.xp.log(x)

    def vjp(self, gy):
        return gy / self.inputs[0]._data

    def backward(self, gy):
        return gy / self.inputs[0]


class Sqrt(Function):
    def forward(self, x):
        return self.backend.xp.sqrt(x)

    def vjp(self, gy):
        return gy / (2 * self.output._data)

    def backward(self, gy):
        return gy / (2 * self.output)


class Abs(Function):
    def forward(self, x):
        return self.backend.xp.abs(x)

    def backward(self, gy):
        x = self.inputs[0]
        xp = self.backend.xp
        sgn = xp.sign(x._data)
        sgn = xp.where(sgn != sgn, 0, sgn).astype(sgn.dtype, copy=False)   # sgn(nan) is 0
        return gy * _constant(sgn, x)


class Clamp(Function):
    """Clip to [min, max]; the gradient passes where min ≤ x ≤ max (torch's convention)."""

    def __init__(self, min=None, max=None):
        self.min, self.max = min, max

    def forward(self, x):
        # bound first: NumPy returns the second argument at ties, torch keeps x (-0.0 at 0)
        xp = self.backend.xp
        y = x
        if self.min is not None:
            y = xp.maximum(xp.asarray(self.min, dtype=x.dtype), y)
        if self.max is not None:
            y = xp.minimum(xp.asarray(self.max, dtype=x.dtype), y)
        return y

    def backward(self, gy):
        x = self.inputs[0]._data
        if self.min is None:
            keep = x <= self.max
        elif self.max is None:
            keep = x >= self.min
        else:
            keep = (x >= self.min) & (x <= self.max)
        return _select(keep, gy)


class Relu(Function):
    def forward(self, x):
        return self.backend.xp.maximum(0, x).astype(x.dtype, copy=False)   # keeps -0.0

    def vjp(self, gy):
        return get_xp(gy).where(self.output._data <= 0, 0, gy)

    def backward(self, gy):
        # torch's threshold_backward: zero where y <= 0, so a nan input passes its gradient
        return _select(~(self.output._data <= 0), gy)


class Tanh(Function):
    def forward(self, x):
        return self.backend.xp.tanh(x)

    def vjp(self, gy):
        y = self.output._data
        return gy * (1 - y * y)

    def backward(self, gy):
        y = self.output
        return gy * (1 - y * y)


def _constant(array, like):
    """A Tensor that carries no gradient, on ``like``'s device."""
    return Tensor._make(array, like.device)


def _select(keep, gy):
    """``gy`` where the bool array ``keep`` is true, else 0: a mask selected, never multiplied
    in, so an infinite or nan upstream gradient stays out of the masked entries."""
    from .math import where
    return where(_constant(keep, gy), gy, 0.0)


def _floating(x):
    """Integer and bool tensors enter float functions as float32, as in torch."""
    return x if x.dtype.kind == "f" else x.to("float32")


def exp(input):  # noqa: A002 - torch's names
    """Elementwise e^x."""
    return Exp()(_floating(input))


def log(input):  # noqa: A002 - torch's names
    """Elementwise natural logarithm."""
    return Log()(_floating(input))


def sqrt(input):  # noqa: A002 - torch's names
    """Elementwise square root."""
    return Sqrt()(_floating(input))


def abs(input):  # noqa: A001 - torch's name
    """Elementwise |x| (gradient sign(x), 0 at 0); bool tensors are refused, as torch."""
    if isinstance(input, Tensor) and input.dtype.kind == "b":
        raise UnsupportedDtypeError('"abs_cpu" not implemented for \'Bool\'')
    return Abs()(input)


def clamp(input, min=None, max=None):  # noqa: A002 - torch's names
    """Clip ``x`` to [min, max]; either bound may be None, a number or a tensor (which
    broadcasts and gets the gradient where it is the result, as torch's)."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of min and max must be given")
    r = result_type(input, *(b for b in (min, max) if b is not None))
    input = input if input.dtype == r else input.to(r)
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        from .math import where
        y = input
        if min is not None:
            y = where(y < min, min, y)
        if max is not None:
            y = where(y > max, max, y)
        return y if y.dtype == r else y.to(r)
    return Clamp(min, max)(input)


def clamp_min(input, min):  # noqa: A002
    return clamp(input, min=min)


def clamp_max(input, max):  # noqa: A002
    return clamp(input, max=max)


clip = clamp
absolute = abs


def relu(input):  # noqa: A002 - torch's names
    """max(x, 0); bool tensors are refused, as torch."""
    if isinstance(input, Tensor) and input.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    return Relu()(input)


def tanh(input):  # noqa: A002 - torch's names
    """Hyperbolic tangent."""
    return Tanh()(_floating(input))
