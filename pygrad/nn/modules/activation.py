"""Activation, dropout and reshaping modules: thin wrappers over pygrad.nn.functional.

Each holds its options and shows them in its repr as torch does; ``inplace`` is accepted for
torch's signatures but the result is always a new tensor.
"""
from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["Sigmoid", "ReLU", "Tanh", "Softmax", "LogSoftmax", "Softmin", "GELU", "SiLU", "ELU",
           "SELU", "CELU", "LeakyReLU", "ReLU6", "Hardtanh", "Hardsigmoid", "Hardswish", "Mish",
           "Softplus", "Softsign", "Tanhshrink", "LogSigmoid", "GLU", "Hardshrink",
           "Softshrink", "Threshold", "PReLU", "RReLU", "Softmax2d", "Dropout", "AlphaDropout",
           "FeatureAlphaDropout", "Dropout1d", "Dropout2d", "Dropout3d", "Flatten", "Unflatten"]


def _plain(name, fn, doc):
    """A module class without options: forward(x) = fn(x)."""
    def forward(self, x):
        return fn(x)
    return type(name, (Module,), {"__doc__": doc, "forward": forward,
                                  "__module__": __name__, "__qualname__": name})


Sigmoid = _plain("Sigmoid", F.sigmoid, "σ(x) = 1 / (1 + e^−x), elementwise (fused kernel).")
ReLU = _plain("ReLU", F.relu, "max(x, 0), elementwise.")
Tanh = _plain("Tanh", F.tanh, "tanh(x), elementwise.")
SiLU = _plain("SiLU", F.silu, "x·σ(x).")
SELU = _plain("SELU", F.selu, "scale·elu(x, α) with the self-normalising constants.")
ReLU6 = _plain("ReLU6", F.relu6, "min(max(x, 0), 6).")
Hardsigmoid = _plain("Hardsigmoid", F.hardsigmoid, "relu6(x + 3) / 6.")
Hardswish = _plain("Hardswish", F.hardswish, "x·relu6(x + 3) / 6.")
Mish = _plain("Mish", F.mish, "x·tanh(softplus(x)).")
Softsign = _plain("Softsign", F.softsign, "x / (1 + |x|).")
Tanhshrink = _plain("Tanhshrink", F.tanhshrink, "x − tanh(x).")
LogSigmoid = _plain("LogSigmoid", F.logsigmoid, "log σ(x), without overflow.")


class _Options(Module):
    """A module that calls ``_fn(x, **options)``; ``_options`` names them in repr order."""

    _fn = None
    _options = ()

    def forward(self, x):
        return type(self)._fn(x, **{k: getattr(self, k) for k in self._options})

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={getattr(self, k)!r}" for k in self._options)


class GELU(_Options):
    """x·Φ(x); ``approximate="tanh"`` uses the tanh approximation."""

    _fn, _options = F.gelu, ("approximate",)

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate


class ELU(_Options):
    """x for x > 0, else α·(eˣ − 1)."""

    _fn, _options = F.elu, ("alpha",)

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace


class CELU(ELU):
    """max(0, x) + min(0, α·(e^(x/α) − 1))."""

    _fn = F.celu


class LeakyReLU(_Options):
    """x for x > 0, else negative_slope·x."""

    _fn, _options = F.leaky_relu, ("negative_slope",)

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace


class Hardtanh(_Options):
    """clamp(x, min_val, max_val)."""

    _fn, _options = F.hardtanh, ("min_val", "max_val")

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        if max_val <= min_val:
            raise ValueError(f"Hardtanh: max_val ({max_val}) must be greater than min_val "
                             f"({min_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace


class Softplus(_Options):
    """log(1 + e^(β·x)) / β, linear above the threshold."""

    _fn, _options = F.softplus, ("beta", "threshold")

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold


class GLU(_Options):
    """a·σ(b) for the two halves a, b of the input along ``dim``."""

    _fn, _options = F.glu, ("dim",)

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim


class Hardshrink(Module):
    """x where |x| > λ, else 0."""

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, x):
        return F.hardshrink(x, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """x ∓ λ outside [−λ, λ], else 0."""

    def forward(self, x):
        return F.softshrink(x, self.lambd)


class Threshold(_Options):
    """x where x > threshold, else value."""

    _fn, _options = F.threshold, ("threshold", "value")

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace


class PReLU(Module):
    """x for x ≥ 0, else a·x with a learned slope ``a`` (one, or one per channel), starting
    at ``init``."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        from ...tensor import float32, full
        from ..parameter import Parameter
        super().__init__()
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(full((num_parameters,), init, dtype=dtype or float32,
                                     device=device))

    def reset_parameters(self) -> None:
        self.weight._data[...] = self.init

    def forward(self, x):
        return F.prelu(x, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class RReLU(_Options):
    """Leaky ReLU with a slope drawn from U(lower, upper) in training, their mean in eval."""

    _options = ("lower", "upper")

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, x):
        return F.rrelu(x, self.lower, self.upper, self.training)


class _SoftmaxBase(Module):
    _fn = None

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return type(self)._fn(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_SoftmaxBase):
    """exp(x_i) / Σ_j exp(x_j) along ``dim`` (fused kernel)."""

    _fn = F.softmax


class LogSoftmax(_SoftmaxBase):
    """x_i − log Σ_j exp(x_j) along ``dim`` (fused kernel)."""

    _fn = F.log_softmax


class Softmin(_SoftmaxBase):
    """softmax(−x) along ``dim``."""

    _fn = F.softmin


class Softmax2d(Module):
    """Softmax over the channels of (N, C, H, W) or (C, H, W) input."""

    def forward(self, x):
        if x.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {x.ndim}D instead")
        return F.softmax(x, -3)


# ---------------------------------------------------------------------------- dropout

class _DropoutBase(Module):
    _fn = None

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: dropout probability has to be between 0 "
                             f"and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, x):
        return type(self)._fn(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutBase):
    """In training, zero each element with probability p and scale the rest by 1/(1−p)."""

    _fn = F.dropout


class AlphaDropout(_DropoutBase):
    """Dropout that keeps a standard-normal input's mean and variance (for SELU networks)."""

    _fn = F.alpha_dropout


class FeatureAlphaDropout(_DropoutBase):
    """AlphaDropout of whole channels."""

    _fn = F.feature_alpha_dropout


class Dropout1d(_DropoutBase):
    """Zero whole channels of (N, C, L) or (C, L) input."""

    _fn = F.dropout1d


class Dropout2d(_DropoutBase):
    """Zero whole channels of (N, C, H, W) or (C, H, W) input."""

    _fn = F.dropout2d


class Dropout3d(_DropoutBase):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input."""

    _fn = F.dropout3d


# ---------------------------------------------------------------------------- shapes

class Flatten(Module):
    """Merge dims start_dim..end_dim: (N, *rest) → (N, ∏rest) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size`` (a tuple; one entry may be −1)."""

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        if isinstance(dim, str):
            raise NotImplementedError("Unflatten: named dimensions are not supported")
        if not isinstance(unflattened_size, (tuple, list)) or \
                not all(isinstance(s, int) for s in unflattened_size):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple of ints, got "
                            f"{unflattened_size!r}")
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, x):
        from ...ops.shape import wrap_dim
        d = wrap_dim(self.dim, x.ndim, "Unflatten")
        return x.reshape(*x.shape[:d], *self.unflattened_size, *x.shape[d + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
