"""The fused activations: sigmoid, softmax and log_softmax.

Forward and backward each run one backend kernel. The backward is itself a Function
(``SigmoidGrad`` ...) whose own backward is written in Tensor ops, so the fast kernel path
and higher-order gradients coexist.
"""
from __future__ import annotations

from ..autograd.function import Function
from .dtypes import UnsupportedDtypeError
from .shape import wrap_dim

Tensor = None   # pygrad.tensor.Tensor, bound when that module loads (it imports this one)


def _axis(dim, ndim, what):
    return wrap_dim(dim, ndim, what)


class Sigmoid(Function):
    def forward(self, x):
        return self.backend.sigmoid(x)

    def vjp(self, gy):
        return self.backend.sigmoid_bwd(self.output._data, gy)

    def backward(self, gy):
        return SigmoidGrad()(self.output, gy)


class SigmoidGrad(Function):
    """gx = gy·y·(1−y) from the sigmoid's output y."""

    def forward(self, y, gy):
        return self.backend.sigmoid_bwd(y, gy)

    def backward(self, ggx):
        y, gy = self.inputs
        ny, ngy = self.needs_input_grad
        gy_ = ggx * gy * (1 - 2 * y) if ny else None
        ggy = ggx * y * (1 - y) if ngy else None
        return gy_, ggy


class Softmax(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return self.backend.softmax(x, self.axis)

    def vjp(self, gy):
        return self.backend.softmax_bwd(self.output._data, gy, self.axis)

    def backward(self, gy):
        return SoftmaxGrad(self.axis)(self.output, gy)


class SoftmaxGrad(Function):
    """gx = y·(gy − Σ y·gy) along the axis."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, y, gy):
        return self.backend.softmax_bwd(y, gy, self.axis)

    def backward(self, ggx):
        y, gy = self.inputs
        ny, ngy = self.needs_input_grad
        a = self.axis
        s = (y * gy).sum(a, keepdim=True)
        t = (ggx * y).sum(a, keepdim=True)
        g_y = ggx * (gy - s) - gy * t if ny else None
        g_gy = y * (ggx - t) if ngy else None
        return g_y, g_gy


class LogSoftmax(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return self.backend.log_softmax(x, self.axis)

    def vjp(self, gy):
        return self.backend.log_softmax_bwd(self.output._data, gy, self.axis)

    def backward(self, gy):
        return LogSoftmaxGrad(self.axis)(self.output, gy)


class LogSoftmaxGrad(Function):
    """gx = gy − exp(y)·Σ gy along the axis."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, y, gy):
        return self.backend.log_softmax_bwd(y, gy, self.axis)

    def backward(self, ggx):
        y, gy = self.inputs
        ny, ngy = self.needs_input_grad
        a = self.axis
        p = y.exp()
        g_y = -ggx * p * gy.sum(a, keepdim=True) if ny else None
        g_gy = ggx - (ggx * p).sum(a, keepdim=True) if ngy else None
        return g_y, g_gy


class LogSigmoid(Function):
    """log σ(x) = min(x, 0) − log1p(e^−|x|), never overflowing; gradient σ(−x)."""

    def forward(self, x):
        return self.backend.log_sigmoid(x)

    def backward(self, gy):
        return gy * (-self.inputs[0]).sigmoid()


def sigmoid(input):  # noqa: A002 - torch's names
    """σ(x) = 1 / (1 + e^−x), elementwise; one fused kernel each way. Integer and bool
    tensors give float32, as in torch."""
    if isinstance(input, Tensor) and input.dtype.kind != "f":
        input = input.to("float32")
    _check_float(input, "sigmoid")
    return Sigmoid()(input)


def softmax(input, dim=-1, dtype=None):  # noqa: A002 - torch's names
    """exp(x) / Σ exp(x) along ``dim`` (max-subtracted, one fused kernel each way); ``dtype``
    casts the input first."""
    return _along(Softmax, "softmax", input, dim, dtype)


def log_softmax(input, dim=-1, dtype=None):  # noqa: A002 - torch's names
    """x − logsumexp(x) along ``dim`` (one fused kernel each way); ``dtype`` casts the input
    first."""
    return _along(LogSoftmax, "log_softmax", input, dim, dtype)


def _along(op, what, x, dim, dtype):
    """softmax / log_softmax: the checks in torch's order, then the fused op on one dim."""
    if isinstance(x, Tensor) and dtype is not None:
        x = x.to(dtype)
    if isinstance(x, Tensor):
        _axis(dim, x.ndim, what)          # torch checks the dim before the dtype
    _check_float(x, what)
    if x.ndim == 0:
        return _along(op, what, x.reshape(1), 0, None).reshape(())
    return op(_axis(dim, x.ndim, what))(x)


def _check_float(x, what):
    if not isinstance(x, Tensor):
        raise TypeError(f"{what}: expected a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise UnsupportedDtypeError(f"{what}: not implemented for dtype {x.dtype} (expected a "
                                    f"floating-point tensor)")


def logsigmoid(input):  # noqa: A002 - torch's names
    """log σ(x), computed without overflow."""
    _check_float(input, "logsigmoid")
    return LogSigmoid()(input)
