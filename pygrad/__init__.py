"""pygrad: a small reverse-mode autodiff engine with PyTorch's API and fused kernels.

    import pygrad as pg
    x = pg.randn(4, 3, requires_grad=True)
    loss = pg.nn.functional.cross_entropy(x, pg.tensor([0, 2, 1, 0]))
    loss.backward()              # x.grad is softmax(x) - one_hot, scaled by 1/4
"""
from . import _core

_core.install()     # before the engine's modules load: compiled, or their Python source

from . import autograd  # noqa: E402
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .device import Device, device, get_default_device, set_default_device
from .ops.activation import log_softmax, sigmoid, softmax
from .ops.dtypes import (finfo, get_default_dtype, iinfo, promote_types, result_type,
                         set_default_dtype)
from .ops.elementwise import (  # noqa: A004 - round is torch's name
    acos, acosh, arccos, arccosh, arcsin, arcsinh, arctan, arctanh, asin, asinh, atan, atanh,
    ceil, cos, cosh, erf, erfc, erfinv, exp2, expm1, fix, floor, frac, log1p, log2, logit,
    log10, reciprocal, round, rsqrt, sgn, sign, sin, sinc, sinh, square, tan, trunc)
from .ops.binary import (add, allclose, atan2, copysign, div, eq, equal, floor_divide, fmax,
                         fmin, fmod, ge, gt, hypot, isclose, isfinite, isinf, isnan, isneginf,
                         isposinf, le, logaddexp, logaddexp2, lt, mul, ne, remainder, sub,
                         true_divide, xlogy)
from .ops.math import matmul, maximum, minimum, where
from .ops.reduce import (  # noqa: A004 - torch's names
    all, amax, amin, aminmax, any, argmax, argmin, count_nonzero, cumsum, logsumexp, max, mean,
    min, nanmean, nansum, norm, std, std_mean, sum, var, var_mean)
from .ops.shape import (cat, chunk, flatten, flip, gather, index_select, moveaxis, movedim,
                        narrow, permute, repeat, reshape, roll, select, split, squeeze, stack,
                        swapaxes, swapdims, tile, transpose, tril, triu, unbind, unflatten,
                        unsqueeze)
from .ops.unary import (abs, absolute, clamp, clamp_max, clamp_min, clip, exp, log,  # noqa: A004
                        relu, sqrt, tanh)
from .ops import contraction as _contraction, creation as _creation, indexing as _indexing
from .ops import scan as _scan
from .ops import sorting as _sorting
from .random import (Generator, default_generator, get_rng_state, initial_seed, manual_seed,
                     seed, set_rng_state)
from .tensor import (Size, Tensor, arange, as_tensor, bfloat16, bool_, empty, eye, float16, float32,
                     float64, from_numpy, full, full_like, int8, int16, int32, int64, linspace,
                     ones, ones_like, rand, randint, randn, randperm, tensor, uint8, zeros,
                     zeros_like)
from . import nn  # noqa: E402

__version__ = "0.1.0"

# the newer op families list their public functions in their own __all__
from . import interop as _interop, runtime as _runtime  # noqa: E402
for _part in (_interop, _runtime):
    _part.install(Tensor)
    globals().update({_name: getattr(_part, _name) for _name in _part.__all__})
from .ops import binary as _binary  # noqa: E402
globals().update({_name: getattr(_binary, _name) for _name in _binary.EXTRA_FUNCTIONS})
for _family in (_contraction, _creation, _indexing, _scan, _sorting):
    globals().update({_name: getattr(_family, _name) for _name in _family.__all__})


def broadcast_to(input, size):  # noqa: A002 - torch's names
    """``input`` expanded to ``size`` (torch.broadcast_to)."""
    return input.expand(size)

float = float32   # noqa: A001 - torch's aliases
double = float64
half = float16
long = int64
int = int32       # noqa: A001
short = int16
bool = bool_      # noqa: A001


def __getattr__(name):
    # optional parts load on first use, so `import pygrad` stays light
    import importlib
    if name in ("cuda", "optim", "data", "metrics", "onnx", "linalg", "utils", "distributed",
                "accelerator", "testing"):
        return importlib.import_module(f".{name}", __name__)
    if name in ("save", "load"):
        return getattr(importlib.import_module(".io", __name__), name)
    raise AttributeError(f"module 'pygrad' has no attribute {name!r}")
