"""Weight initialisation, in place and without recording a graph (torch.nn.init's names).

Random values come from ``generator`` where one is given (a NumPy Generator, an int seed, or
a pygrad/torch Generator: see ``pygrad.data.dataset.make_rng``), otherwise from pygrad's
generator (``pg.manual_seed``). fan_in / fan_out of a weight (out, in, *kernel) are
in·∏kernel and out·∏kernel. Bounds and standard deviations follow torch's formulas exactly;
the draws themselves are NumPy's, so values differ from torch's under the same seed.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..autograd import no_grad

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
           "zeros_", "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
           "kaiming_normal_", "orthogonal_", "sparse_", "uniform", "normal", "constant", "eye",
           "dirac", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
           "orthogonal", "sparse"]

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d")


# ----------------------------------------------------------------------------- draws

def _rng(generator) -> np.random.Generator:
    """pygrad's generator itself when ``generator`` is None, else ``make_rng(generator)``."""
    if generator is None:
        from ..random import generator as pygrad_generator
        return pygrad_generator()
    from ..data.dataset import make_rng
    return make_rng(generator)


def _fill(tensor, array):
    """Copy a host array into ``tensor`` (cast to its dtype, moved to its device)."""
    with no_grad():
        return tensor.copy_(np.asarray(array))


def _uniform(tensor, a: float, b: float, generator=None):
    if generator is None:       # the tensor's own draw: pygrad's generator, as before
        with no_grad():
            return tensor.uniform_(a, b)
    return _fill(tensor, _rng(generator).uniform(a, b, size=tuple(tensor.shape)))


def _normal(tensor, mean: float, std: float, generator=None):
    if generator is None:
        with no_grad():
            return tensor.normal_(mean, std)
    return _fill(tensor, _rng(generator).normal(mean, std, size=tuple(tensor.shape)))


# ----------------------------------------------------------------------------- gains, fans

def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended gain for a nonlinearity (torch's values):

    linear, conv*, conv_transpose*, sigmoid: 1; tanh: 5/3; relu: √2;
    leaky_relu: √(2/(1 + negative_slope²)) with ``param`` the slope (default 0.01);
    selu: 3/4.
    """
    if nonlinearity in _LINEAR or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r} (expected one "
                     f"of {', '.join(_LINEAR)}, sigmoid, tanh, relu, leaky_relu, selu)")


def _calculate_fan_in_and_fan_out(tensor) -> tuple:
    """(fan_in, fan_out) = (shape[1]·∏shape[2:], shape[0]·∏shape[2:])."""
    if tensor.ndim < 2:
        raise ValueError(f"Fan in and fan out can not be computed for tensor with fewer than 2 "
                         f"dimensions, got shape {tuple(tensor.shape)}")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor, mode: str) -> int:
    mode = mode.lower() if isinstance(mode, str) else mode
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode!r} not supported, please use one of "
                         f"['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


# ----------------------------------------------------------------------------- initialisers

def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None):
    """Fill with U(a, b)."""
    return _uniform(tensor, a, b, generator)


def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None):
    """Fill with N(mean, std²)."""
    return _normal(tensor, mean, std, generator)


def trunc_normal_(tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator=None):
    """Fill with N(mean, std²) truncated to [a, b]: values outside are redrawn.

    When [a, b] holds more than 30 % of the mass, normal draws outside are redrawn;
    otherwise uniform proposals on [a, b] are accepted with the normal density relative to
    its peak in [a, b] (as torch), so a narrow or far window stays fast.
    """
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", stacklevel=2)
    rng = _rng(generator)
    n = math.prod(tensor.shape)

    def cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    if cdf((b - mean) / std) - cdf((a - mean) / std) > 0.3:
        out = rng.normal(mean, std, size=n)
        bad = (out < a) | (out > b)
        while bad.any():
            out[bad] = rng.normal(mean, std, size=int(bad.sum()))
            bad = (out < a) | (out > b)
    else:
        mode = max(a, min(mean, b))
        log_peak = -0.5 * ((mode - mean) / std) ** 2
        out = np.empty(n)
        pending = np.ones(n, dtype=bool)
        while pending.any():
            k = int(pending.sum())
            cand = rng.uniform(a, b, size=k)
            accept = np.log(rng.uniform(size=k)) <= -0.5 * ((cand - mean) / std) ** 2 - log_peak
            idx = np.flatnonzero(pending)
            out[idx[accept]] = cand[accept]
            pending[idx[accept]] = False
    return _fill(tensor, out.reshape(tuple(tensor.shape)))


def constant_(tensor, val: float):
    """Fill with ``val``."""
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor):
    """Fill with 1."""
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """Fill with 0."""
    return constant_(tensor, 0.0)


def eye_(tensor):
    """The identity in a 2-D tensor (ones on the main diagonal of a rectangle)."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_: only tensors with 2 dimensions are supported, got shape "
                         f"{tuple(tensor.shape)}")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor, groups: int = 1):
    """The Dirac delta for a convolution weight (out, in, *kernel) with 3–5 dims: output
    channel d of each group copies input channel d at the kernel's centre (identity
    convolution); channels beyond min(out/groups, in) stay zero."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_: only tensors with 3, 4, or 5 dimensions are supported, got "
                         f"shape {tuple(tensor.shape)}")
    shape = tuple(tensor.shape)
    if shape[0] % groups != 0:
        raise ValueError(f"dirac_: dim 0 must be divisible by groups, got {shape[0]} and "
                         f"groups={groups}")
    per_group = shape[0] // groups
    centre = tuple(s // 2 for s in shape[2:])
    out = np.zeros(shape)
    for g in range(groups):
        for d in range(min(per_group, shape[1])):
            out[(g * per_group + d, d) + centre] = 1
    return _fill(tensor, out)


def xavier_uniform_(tensor, gain: float = 1.0, generator=None):
    """U(−a, a) with a = √3 · gain·√(2/(fan_in+fan_out)) (Glorot & Bengio 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return _uniform(tensor, -a, a, generator)


def xavier_normal_(tensor, gain: float = 1.0, generator=None):
    """N(0, std²) with std = gain·√(2/(fan_in+fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return _normal(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None):
    """U(−b, b) with b = √3 · gain/√fan (He et al. 2015); gain from ``nonlinearity`` and
    ``a`` (leaky_relu's negative slope), fan from ``mode`` ('fan_in' or 'fan_out')."""
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return _uniform(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None):
    """N(0, std²) with std = gain/√fan (see kaiming_uniform_)."""
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))
    return _normal(tensor, 0, std, generator)


def orthogonal_(tensor, gain: float = 1, generator=None):
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al. 2013): the Q of a QR of a
    standard normal (rows, numel/rows) matrix, its columns' signs fixed by diag(R), so Q is
    uniformly distributed. Dims past 2 are flattened."""
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: only tensors with 2 or more dimensions are supported, "
                         f"got shape {tuple(tensor.shape)}")
    if math.prod(tensor.shape) == 0:
        return tensor
    rows = tensor.shape[0]
    cols = math.prod(tensor.shape) // rows
    flat = _rng(generator).normal(0.0, 1.0, size=(rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (q * gain).reshape(tuple(tensor.shape)))


def sparse_(tensor, sparsity: float, std: float = 0.01, generator=None):
    """A sparse 2-D matrix (Martens 2010): N(0, std²) entries, and in every column
    ceil(sparsity · rows) of them, at random rows, set to zero."""
    if tensor.ndim != 2:
        raise ValueError(f"sparse_: only tensors with 2 dimensions are supported, got shape "
                         f"{tuple(tensor.shape)}")
    rows, cols = tuple(tensor.shape)
    num_zeros = math.ceil(sparsity * rows)
    rng = _rng(generator)
    out = rng.normal(0.0, std, size=(rows, cols))
    # a random permutation of the rows per column (argsort of uniform keys), its first
    # num_zeros rows zeroed: every column at once
    zero_rows = rng.random((rows, cols)).argsort(axis=0)[:num_zeros]
    out[zero_rows, np.arange(cols)] = 0
    return _fill(tensor, out)


# ----------------------------------------------------------------------------- old names

def _deprecated(fn):
    old = fn.__name__[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{fn.__name__}`.",
                      FutureWarning, stacklevel=2)
        return fn(*args, **kwargs)

    deprecated_init.__name__ = old
    deprecated_init.__doc__ = f"Deprecated: use ``{fn.__name__}``."
    return deprecated_init


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
