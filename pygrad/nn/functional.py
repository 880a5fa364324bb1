"""``pygrad.nn.functional`` (imported as F): torch.nn.functional's names and signatures.

The fused ops (sigmoid, softmax family, cross-entropy, BCE, MSE, linear) live in pygrad.ops;
everything else here is composed from Tensor ops, so gradients of any order come for free.
Compositions avoid evaluating an overflowing branch that ``where`` would discard: its
gradient would be 0·inf = nan.
"""
from __future__ import annotations

import math

from ..ops.activation import log_softmax as _log_softmax
from ..ops.activation import logsigmoid, sigmoid
from ..ops.activation import softmax as _softmax
from ..ops.dtypes import UnsupportedDtypeError
from ..ops.loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
                        mse_loss, nll_loss)
from ..ops.math import linear, minimum, where
from ..ops.normalization import gelu as _fused_gelu
from ..ops.normalization import layer_norm as _fused_layer_norm
from ..ops.unary import relu as _relu
from ..ops.unary import tanh
from ..tensor import Tensor

__all__ = [
    # activations
    "sigmoid", "relu", "tanh", "softmax", "log_softmax", "softmin", "logsigmoid", "gelu", "silu",
    "elu", "selu", "celu", "leaky_relu", "relu6", "hardtanh", "hardsigmoid", "hardswish", "mish",
    "softplus", "softsign", "tanhshrink", "glu", "hardshrink", "softshrink", "threshold",
    "prelu", "rrelu",
    # dropout
    "dropout", "alpha_dropout", "feature_alpha_dropout", "dropout1d", "dropout2d", "dropout3d",
    # linear, distances, shapes, embeddings, normalization
    "linear", "bilinear", "one_hot", "pad", "interpolate", "upsample", "upsample_nearest",
    "upsample_bilinear", "pixel_shuffle", "pixel_unshuffle", "pdist", "normalize",
    "cosine_similarity",
    "pairwise_distance", "embedding", "embedding_bag", "layer_norm", "rms_norm", "batch_norm",
    "group_norm", "instance_norm",
    # losses
    "cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "poisson_nll_loss",
    "gaussian_nll_loss", "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
    "multi_margin_loss", "multilabel_margin_loss",
    "multilabel_soft_margin_loss", "cosine_embedding_loss", "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
]


def _check_tensor(x, name, what):
    if not isinstance(x, Tensor):
        raise TypeError(f"{what}: expected {name} to be a Tensor, got {type(x).__name__}")


def _check_float(x, what, name="input"):
    _check_tensor(x, name, what)
    if x.dtype.kind != "f":
        # torch: NotImplementedError (no kernel for the dtype); also a TypeError
        raise UnsupportedDtypeError(f"{what}: not implemented for {name} of dtype {x.dtype} "
                                    f"(expected a floating-point tensor)")


def _implicit_dim(ndim: int) -> int:
    # torch's legacy choice when softmax's dim is not given
    return 0 if ndim in (0, 1, 3) else 1


def _scaled_grad(y, scale):
    """``y``'s value with its gradient multiplied by ``scale`` (a Tensor or number)."""
    d = y.detach()
    return d + (y - d) * scale


# ============================================================================ activations

def _softmax_dim(name, dim, ndim, stacklevel):
    if dim is not None:
        return dim
    import warnings
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  f"to include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return _implicit_dim(ndim)


def softmax(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002 - torch's names
    """exp(x) / Σ exp(x) along ``dim`` (one fused kernel each way); ``dtype`` casts first.
    Without ``dim`` torch's legacy choice is made, with its deprecation warning."""
    _check_tensor(input, "input", "softmax")
    if dtype is not None:
        input = input.to(dtype)
    return _softmax(input, _softmax_dim("softmax", dim, input.ndim, _stacklevel))


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002
    """x − logsumexp(x) along ``dim`` (one fused kernel each way); ``dtype`` casts first."""
    _check_tensor(input, "input", "log_softmax")
    if dtype is not None:
        input = input.to(dtype)
    return _log_softmax(input, _softmax_dim("log_softmax", dim, input.ndim, _stacklevel))


def softmin(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002
    """softmax(−x) along ``dim``."""
    _check_tensor(input, "input", "softmin")
    dim = _softmax_dim("softmin", dim, input.ndim, _stacklevel)
    return softmax(-input, dim, dtype=dtype)


def relu(input, inplace: bool = False):  # noqa: A002
    """max(x, 0). ``inplace`` is accepted for torch's signature; the result is a new tensor,
    as every ``inplace=`` here (nn/modules/activation.py)."""
    return _relu(input)


def gelu(input, approximate: str = "none"):  # noqa: A002
    """x·Φ(x), Φ the standard normal CDF: ``0.5·x·(1 + erf(x/√2))``, or with
    ``approximate="tanh"`` ``0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`` — one fused kernel
    forward and backward (pygrad/ops/normalization.py)."""
    _check_float(input, "gelu")
    return _fused_gelu(input, approximate)


def silu(input, inplace: bool = False):  # noqa: A002
    """x·σ(x) (also called swish)."""
    _check_float(input, "silu")
    return input * sigmoid(input)


def _elu(x, alpha, scale, input_scale=1.0):
    """scale·x for x > 0, else α·scale·(e^(input_scale·x) − 1) (elu, selu and celu); a nan
    takes the x > 0 branch (its gradient passes), as torch's."""
    neg = (x.clamp(max=0.0) * input_scale).expm1() * (alpha * scale)
    return where(x <= 0, neg, x * scale if scale != 1.0 else x)


def elu(input, alpha: float = 1.0, inplace: bool = False):  # noqa: A002
    """x for x > 0, else α·(eˣ − 1)."""
    _check_float(input, "elu")
    return _elu(input, alpha, 1.0)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace: bool = False):  # noqa: A002
    """scale·elu(x, α) with the self-normalising constants α ≈ 1.6733, scale ≈ 1.0507."""
    _check_float(input, "selu")
    return _elu(input, _SELU_ALPHA, _SELU_SCALE)


def celu(input, alpha: float = 1.0, inplace: bool = False):  # noqa: A002
    """max(0, x) + min(0, α·(e^(x/α) − 1))."""
    _check_float(input, "celu")
    if alpha == 0:
        raise RuntimeError("celu: ZeroDivisionError: alpha cannot be 0 for CELU")
    return _elu(input, alpha, 1.0, 1.0 / alpha)


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False):  # noqa: A002
    """x for x > 0, else negative_slope·x."""
    _check_float(input, "leaky_relu")
    return where(input > 0, input, input * negative_slope)


def prelu(input, weight):  # noqa: A002
    """x for x ≥ 0, else weight·x; ``weight`` has one element or one per channel (dim 1)."""
    _check_float(input, "prelu")
    _check_tensor(weight, "weight", "prelu")
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError(f"prelu: Mismatch of parameter numbers and input channel size. Found "
                           f"parameter numbers = {weight.numel()} and channel size = "
                           f"{channels}.")
    if weight.numel() == 1:
        w = weight.reshape(())
    else:
        w = weight.reshape(channels, *([1] * (input.ndim - 2)))
    return where(input >= 0, input, w * input)


def rrelu(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3,  # noqa: A002
          training: bool = False, inplace: bool = False):
    """Leaky ReLU with a random slope: each negative element is multiplied by a slope drawn
    from U(lower, upper) in training, by (lower + upper) / 2 otherwise."""
    _check_float(input, "rrelu")
    if not training:
        return leaky_relu(input, (lower + upper) / 2)
    from ..random import uniform
    from ..tensor import _to_device_array
    slope = uniform(tuple(input.shape), lower, upper, dtype=input.dtype)
    slope = Tensor._make(_to_device_array(slope, input.dtype, input.device), input.device)
    return where(input >= 0, input, input * slope)


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0,  # noqa: A002
             inplace: bool = False):
    """clamp(x, min_val, max_val); the gradient is 1 strictly inside, 0 elsewhere (as torch)."""
    _check_tensor(input, "input", "hardtanh")     # integers too, as torch
    if input.dtype.kind == "b":
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if input.dtype.kind == "u" and (min_val < 0 or max_val < 0):
        raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val ({min_val} > "
                         f"{max_val})")
    if input.dtype.kind in "iub":     # no gradient: clip in the input's own dtype, as torch
        xp = input.backend.xp
        return Tensor._make(xp.clip(input._data, min_val, max_val).astype(input.dtype),
                            input.device)
    inside = (input > min_val) & (input < max_val)
    return where(inside, input, input.detach().clamp(min_val, max_val))


def relu6(input, inplace: bool = False):  # noqa: A002
    """min(max(x, 0), 6)."""
    _check_tensor(input, "input", "relu6")     # integers too, as torch
    return hardtanh(input, 0.0, 6.0)


def hardsigmoid(input, inplace: bool = False):  # noqa: A002
    """relu6(x + 3) / 6."""
    _check_float(input, "hardsigmoid")
    return hardtanh(input + 3.0, 0.0, 6.0) * (1.0 / 6.0)


def hardswish(input, inplace: bool = False):  # noqa: A002
    """x · relu6(x + 3) / 6."""
    _check_float(input, "hardswish")
    return input * hardtanh(input + 3.0, 0.0, 6.0) * (1.0 / 6.0)


def softplus(input, beta: float = 1.0, threshold: float = 20.0):  # noqa: A002
    """log(1 + e^(β·x)) / β, and x itself where β·x > threshold (numerical stability)."""
    _check_float(input, "softplus")
    bx = input * beta
    # the discarded branch is evaluated at a clamped point, so it never overflows (a where,
    # not clamp: a nan input keeps its nan gradient, as torch's)
    soft = where(bx > threshold, float(threshold), bx).exp().log1p() * (1.0 / beta)
    return where(bx > threshold, input, soft)


def mish(input, inplace: bool = False):  # noqa: A002
    """x · tanh(softplus(x))."""
    _check_float(input, "mish")
    return input * softplus(input).tanh()


def softsign(input):  # noqa: A002
    """x / (1 + |x|)."""
    _check_tensor(input, "input", "softsign")     # integers too, as torch
    return input / (1.0 + input.abs())


def tanhshrink(input):  # noqa: A002
    """x − tanh(x)."""
    _check_tensor(input, "input", "tanhshrink")     # integers too, as torch
    return input - input.tanh()


def hardshrink(input, lambd: float = 0.5):  # noqa: A002
    """x where |x| > λ, else 0."""
    _check_float(input, "hardshrink")
    return where(input.abs() <= lambd, 0.0, input)      # nan stays nan


def softshrink(input, lambd: float = 0.5):  # noqa: A002
    """x − λ for x > λ, x + λ for x < −λ, else 0."""
    _check_float(input, "softshrink")
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, but found to be "
                           f"{lambd}")
    return where(input.abs() <= lambd, 0.0, input - input.detach().sign() * lambd)


def threshold(input, threshold: float, value: float, inplace: bool = False):  # noqa: A002
    """``value`` where x ≤ threshold, else x (nan stays nan, as torch)."""
    _check_tensor(input, "input", "threshold")
    if input.dtype.kind in "iu":     # no gradient: keep the input's own dtype, as torch
        xp = input.backend.xp
        return Tensor._make(xp.where(input._data <= threshold, value, input._data)
                            .astype(input.dtype), input.device)
    return where(input <= threshold, value, input)


def glu(input, dim: int = -1):  # noqa: A002
    """a · σ(b), where a and b are the two halves of ``input`` along ``dim``."""
    _check_float(input, "glu")
    if input.ndim == 0:
        raise RuntimeError("glu: does not support scalars because halving size must be even")
    from ..ops.shape import wrap_dim
    d = wrap_dim(dim, input.ndim, "glu")
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"glu: Halving dimension must be even, but dimension {d} is size {n}")
    a, b = input.narrow(d, 0, n // 2), input.narrow(d, n // 2, n // 2)
    return a * sigmoid(b)


# ============================================================================ dropout

def _check_p(p, what):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{what}: dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(x, shape, p):
    """A 0/1 tensor of ``shape`` on x's device and dtype, each 1 with probability 1 − p."""
    from ..random import uniform
    from ..tensor import _to_device_array
    keep = uniform(shape, dtype=x.dtype) >= p
    # the bool mask travels to the device (1 byte an element) and is cast there
    return Tensor._make(_to_device_array(keep, x.dtype, x.device), x.device)


def _feature_shape(x, what, lead=2):
    """The noise shape of a feature dropout: the first ``lead`` dims of x, then ones."""
    if x.ndim < 2:
        raise RuntimeError(f"{what}: Feature dropout requires at least 2 dimensions in the "
                           f"input, got {x.ndim}")
    return tuple(x.shape[:lead]) + (1,) * (x.ndim - lead)


def _dropout(x, p, training, what, alpha, feature_shape=None):
    _check_p(p, what)
    _check_float(x, what)
    if not training or p == 0.0 or x.numel() == 0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = _keep_mask(x, feature_shape or tuple(x.shape), p)
    if not alpha:
        return x * (keep * (1.0 / (1.0 - p)))
    # alpha dropout: dropped values become the SELU saturation value −α'·scale, then an
    # affine map a·y + b restores zero mean and unit variance
    alpha_p = _SELU_ALPHA * _SELU_SCALE
    a = 1.0 / math.sqrt((alpha_p * alpha_p * p + 1) * (1 - p))
    b = (keep - 1.0) * (alpha_p * a) + alpha_p * a * p
    return x * (keep * a) + b


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False):  # noqa: A002
    """Zero each element with probability ``p`` and scale the rest by 1/(1−p) (training only)."""
    return _dropout(input, p, training, "dropout", alpha=False)


def alpha_dropout(input, p: float = 0.5, training: bool = False,  # noqa: A002
                  inplace: bool = False):
    """Dropout for SELU networks: dropped elements take SELU's negative saturation value and
    an affine map keeps the mean and variance of a standard-normal input."""
    return _dropout(input, p, training, "alpha_dropout", alpha=True)


def feature_alpha_dropout(input, p: float = 0.5, training: bool = False,  # noqa: A002
                          inplace: bool = False):
    """alpha_dropout of whole channels: the noise has shape (N, C, 1, …)."""
    _check_float(input, "feature_alpha_dropout")
    shape = _feature_shape(input, "feature_alpha_dropout") if training else None
    return _dropout(input, p, training, "feature_alpha_dropout", alpha=True, feature_shape=shape)


def _dropout_nd(input, p, training, n):  # noqa: A002
    """Channel dropout for n spatial dims, with torch's handling of the other ranks: dropout1d
    accepts only 2-D/3-D input; dropout2d and dropout3d warn on other ranks (dropout2d reads
    3-D input as (N, C, L), as torch still does)."""
    what = f"dropout{n}d"
    _check_float(input, what)
    if input.ndim not in (n + 1, n + 2):
        if n == 1:
            raise RuntimeError(f"{what}: Expected 2D or 3D input, but received a "
                               f"{input.ndim}D input. Note that dropout1d exists to provide "
                               f"channel-wise dropout on inputs with 1 spatial dimension, a "
                               f"channel dimension, and an optional batch dimension (i.e. 2D "
                               f"or 3D inputs).")
        import warnings
        warnings.warn(f"{what}: Received a {input.ndim}-D input to {what}, which is deprecated "
                      f"and will result in an error in a future release.", UserWarning,
                      stacklevel=3)
    elif n == 2 and input.ndim == 3:
        import warnings
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L), where C is the channel dim.", UserWarning, stacklevel=3)
    lead = 2 if n == 2 or input.ndim == n + 2 else 1
    shape = _feature_shape(input, what, lead) if training else None
    return _dropout(input, p, training, what, alpha=False, feature_shape=shape)


def dropout1d(input, p: float = 0.5, training: bool = True, inplace: bool = False):  # noqa: A002
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p``."""
    return _dropout_nd(input, p, training, 1)


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False):  # noqa: A002
    """Zero whole channels of (N, C, H, W) or (C, H, W) input with probability ``p``."""
    return _dropout_nd(input, p, training, 2)


def dropout3d(input, p: float = 0.5, training: bool = True, inplace: bool = False):  # noqa: A002
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability ``p``."""
    return _dropout_nd(input, p, training, 3)


# ============================================================================ losses

def _reduction(size_average, reduce, reduction):
    """torch's legacy (size_average, reduce) pair, when given, overrides ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return ("mean" if size_average else "sum") if reduce else "none"


def _reduce(loss, reduction, what, extra=()):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none" or reduction in extra:
        return loss
    raise ValueError(f"{what}: {reduction!r} is not a valid value for reduction (expected "
                     f"one of {('none', 'mean', 'sum') + tuple(extra)})")


def _pair(input, target, what, warn=True):  # noqa: A002
    """Check two operands and broadcast them; a target of another shape warns, as torch."""
    from ..ops.math import broadcast_to
    _check_tensor(input, "input", what)
    _check_tensor(target, "target", what)
    if input.shape == target.shape:
        return input, target
    try:
        shape = input.backend.xp.broadcast_shapes(tuple(input.shape), tuple(target.shape))
    except ValueError:
        raise RuntimeError(f"{what}: the size of input {tuple(input.shape)} and target "
                           f"{tuple(target.shape)} do not broadcast") from None
    if warn:
        import warnings
        warnings.warn(f"Using a target size ({tuple(target.shape)}) that is different to the "
                      f"input size ({tuple(input.shape)}). This will likely lead to incorrect "
                      f"results due to broadcasting. Please ensure they have the same size.",
                      UserWarning, stacklevel=3)
    return broadcast_to(input, shape), broadcast_to(target, shape)


def _no_grad_clamp_min(x, eps):
    """``x`` clamped below at ``eps`` in value, with the gradient of x itself (torch clamps
    these in place under no_grad)."""
    d = x.detach()
    return x + (d.clamp(min=eps) - d)


def l1_loss(input, target, size_average=None, reduce=None,  # noqa: A002
            reduction: str = "mean", weight=None):
    """|input − target|, reduced."""
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _pair(input, target, "l1_loss")
    loss = (input - target).abs()
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "l1_loss")


def smooth_l1_loss(input, target, size_average=None, reduce=None,  # noqa: A002
                   reduction: str = "mean", beta: float = 1.0):
    """0.5·d²/β where |d| < β, else |d| − 0.5·β (d = input − target); β = 0 is l1_loss."""
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    input, target = _pair(input, target, "smooth_l1_loss")
    x = input - target
    d = x.abs()
    if beta == 0:
        return _reduce(d, reduction, "smooth_l1_loss")
    # the quadratic branch of x itself (not |x|: a nan keeps its nan gradient, as torch's),
    # at 0 where it is discarded, so it stays finite at x = ±inf
    q = where(d >= beta, 0.0, x)
    loss = where(d >= beta, d - 0.5 * beta, q * q * (0.5 / beta))
    return _reduce(loss, reduction, "smooth_l1_loss")


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0,  # noqa: A002
               weight=None):
    """0.5·d² where |d| < δ, else δ·(|d| − 0.5·δ) (d = input − target)."""
    if delta <= 0:
        raise RuntimeError(f"huber_loss: delta must be positive, got {delta}")
    input, target = _pair(input, target, "huber_loss")
    x = input - target
    d = x.abs()
    q = where(d >= delta, 0.0, x)       # as in smooth_l1_loss
    loss = where(d >= delta, (d - 0.5 * delta) * delta, q * q * 0.5)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "huber_loss")


def kl_div(input, target, size_average=None, reduce=None,  # noqa: A002
           reduction: str = "mean", log_target: bool = False):
    """Pointwise KL divergence target·(log target − input) for log-probabilities ``input``;
    with ``log_target`` the target is given as log-probabilities too. ``reduction=
    "batchmean"`` divides the sum by the batch size (the mathematical KL divergence)."""
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _pair(input, target, "kl_div", warn=False)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # xlogy(t, t): 0 where t = 0 (the log is taken of a safe value there), nan for t < 0
        zero = target == 0
        loss = where(zero, 0.0, target * where(zero, 1.0, target).log()) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction, "kl_div", extra=("batchmean",))


def poisson_nll_loss(input, target, log_input: bool = True, full: bool = False,  # noqa: A002
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean"):
    """Negative log-likelihood of ``target`` under Poisson(rate): exp(input) − target·input
    when ``log_input``, else input − target·log(input + eps); ``full`` adds Stirling's
    approximation of log(target!) where target > 1."""
    reduction = _reduction(size_average, reduce, reduction)
    _reduce_check(reduction, "poisson_nll_loss")
    input, target = _pair(input, target, "poisson_nll_loss", warn=False)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        big = target > 1
        t = where(big, target, 2.0)
        stirling = t * t.log() - t + 0.5 * (2 * math.pi * t).log()
        loss = loss + where(big, stirling, 0.0)
    return _reduce(loss, reduction, "poisson_nll_loss")


def _reduce_check(reduction, what):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{what}: {reduction!r} is not a valid value for reduction (expected "
                         f"one of ('none', 'mean', 'sum'))")


def gaussian_nll_loss(input, target, var, full: bool = False, eps: float = 1e-6,  # noqa: A002
                      reduction: str = "mean"):
    """0.5·(log(max(var, eps)) + (input − target)² / max(var, eps)), plus 0.5·log(2π) when
    ``full``. ``var`` has input's shape, or lacks its last dim, or has 1 there (one variance
    per row); a number is one variance for all. The clamp at eps does not stop gradients."""
    what = "gaussian_nll_loss"
    _check_tensor(input, "input", what)
    _check_tensor(target, "target", what)
    if not isinstance(var, Tensor):
        from ..tensor import full_like
        if var < 0:
            raise ValueError(f"{what}: var has negative entry/entries")
        var = full_like(input, float(var))
    if var.shape != input.shape:
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.ndim and
              var.shape[-1] == 1) or var.ndim == 0:
            pass
        else:
            raise ValueError(f"{what}: var is of incorrect size {tuple(var.shape)} for input "
                             f"of size {tuple(input.shape)}")
    _reduce_check(reduction, what)
    if bool((var.detach() < 0).any()):
        raise ValueError(f"{what}: var has negative entry/entries")
    var = _no_grad_clamp_min(var, eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction, what)


def margin_ranking_loss(input1, input2, target, margin: float = 0.0,
                        size_average=None, reduce=None, reduction: str = "mean"):
    """max(0, −target·(input1 − input2) + margin), target ∈ {1, −1}."""
    reduction = _reduction(size_average, reduce, reduction)
    for name, t in (("input1", input1), ("input2", input2), ("target", target)):
        _check_tensor(t, name, "margin_ranking_loss")
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(f"margin_ranking_loss: All input tensors should have same "
                           f"dimension but got sizes: input1: {tuple(input1.shape)}, input2: "
                           f"{tuple(input2.shape)}, target: {tuple(target.shape)}")
    loss = (-target * (input1 - input2) + margin).clamp(min=0.0)
    return _reduce(loss, reduction, "margin_ranking_loss")


def hinge_embedding_loss(input, target, margin: float = 1.0,  # noqa: A002
                         size_average=None, reduce=None, reduction: str = "mean"):
    """input where target = 1, max(0, margin − input) where target = −1 (summed elsewhere)."""
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _pair(input, target, "hinge_embedding_loss", warn=False)
    loss = where(target != 1, (margin - input).clamp(min=0.0), 0.0) + \
        where(target != -1, input, 0.0)
    return _reduce(loss, reduction, "hinge_embedding_loss")


def soft_margin_loss(input, target, size_average=None, reduce=None,  # noqa: A002
                     reduction: str = "mean"):
    """log(1 + exp(−target·input)), target ∈ {1, −1}."""
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _pair(input, target, "soft_margin_loss", warn=False)
    return _reduce((-input * target).exp().log1p(), reduction, "soft_margin_loss")


def multi_margin_loss(input, target, p: int = 1, margin: float = 1.0,  # noqa: A002
                      weight=None, size_average=None, reduce=None, reduction: str = "mean"):
    """Σ_{i≠y} w_y·max(0, margin − x_y + x_i)^p / C per sample (torch.multi_margin_loss);
    input (N, C) or (C,), target class indices (N,) or 0-d."""
    import numpy as np
    reduction = _reduction(size_average, reduce, reduction)
    _check_float(input, "multi_margin_loss")
    _check_tensor(target, "target", "multi_margin_loss")
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    if input.ndim > 2:
        raise RuntimeError(f"multi_margin_loss: expected 1D or 2D input, got {input.ndim}D")
    y = target._data.reshape(-1).astype(np.int64)
    n, c = x.shape
    if y.shape[0] != n:
        raise RuntimeError(f"multi_margin_loss: inconsistent target size: {list(target.shape)} "
                           f"for input of size: {list(input.shape)}")
    if y.size and (y.min() < 0 or y.max() >= c):
        raise IndexError(f"multi_margin_loss: target out of range for {c} classes")
    xp = x.backend.xp
    picked = x[Tensor._make(xp.arange(n), x.device), Tensor._make(xp.asarray(y), x.device)]
    z = _relu(margin - picked.unsqueeze(1) + x)          # 0 (and no gradient) where ≤ 0
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[Tensor._make(xp.asarray(y), x.device)].unsqueeze(1)
    others = Tensor._make(xp.asarray(np.arange(c)[None, :] != y[:, None]), x.device)
    loss = where(others, z, 0.0).sum(1) / c
    return _reduce(loss.reshape(()) if input.ndim < 2 else loss, reduction,
                   "multi_margin_loss")


def multilabel_margin_loss(input, target, size_average=None, reduce=None,  # noqa: A002
                           reduction: str = "mean"):
    """Σ_j Σ_{i∉targets} max(0, 1 − (x_j − x_i)) / C per sample, j over the target classes
    listed before the first −1 in each row of ``target`` (torch.multilabel_margin_loss)."""
    import numpy as np
    reduction = _reduction(size_average, reduce, reduction)
    _check_float(input, "multilabel_margin_loss")
    _check_tensor(target, "target", "multilabel_margin_loss")
    if input.ndim > 2 or tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"multilabel_margin_loss: inconsistent target size: "
                           f"{list(target.shape)} for input of size: {list(input.shape)}")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    t = target._data.reshape(x.shape).astype(np.int64)
    n, c = x.shape
    counts = np.zeros((n, c))                 # how often each class is listed as a target
    for row in range(n):
        for j in t[row]:
            if j < 0:
                break
            if j >= c:
                raise IndexError(f"multilabel_margin_loss: target {j} out of range for {c} "
                                 f"classes")
            counts[row, j] += 1
    xp = x.backend.xp
    pairs = _relu(1 - x.unsqueeze(2) + x.unsqueeze(1))      # [n, j, i]: 1 − (x_j − x_i)
    not_target = Tensor._make(xp.asarray(counts == 0)[:, None, :], x.device)
    per_j = where(not_target, pairs, 0.0).sum(2)
    loss = (per_j * Tensor._make(xp.asarray(counts.astype(x.dtype)), x.device)).sum(1) / c
    return _reduce(loss.reshape(()) if input.ndim < 2 else loss, reduction,
                   "multilabel_margin_loss")


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None,  # noqa: A002
                                reduce=None, reduction: str = "mean"):
    """−mean over classes of y·log σ(x) + (1 − y)·log σ(−x) (times ``weight``), per sample."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensor(input, "input", "multilabel_soft_margin_loss")
    _check_tensor(target, "target", "multilabel_soft_margin_loss")
    if target.dtype != input.dtype:
        target = target.to(input.dtype)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    return _reduce(loss, reduction, "multilabel_soft_margin_loss")


def cosine_embedding_loss(input1, input2, target, margin: float = 0.0,
                          size_average=None, reduce=None, reduction: str = "mean"):
    """1 − cos(x1, x2) where target = 1, max(0, cos(x1, x2) − margin) where target = −1;
    cos over the last dim, with 1e-12 added to each squared norm (as torch)."""
    reduction = _reduction(size_average, reduce, reduction)
    for name, t in (("input1", input1), ("input2", input2), ("target", target)):
        _check_tensor(t, name, "cosine_embedding_loss")
    if input1.ndim not in (1, 2) or input1.shape != input2.shape or \
            target.ndim != input1.ndim - 1:
        raise RuntimeError(f"cosine_embedding_loss: expected 1-D or 2-D inputs of one shape "
                           f"and a target with one dim less, got input1 {tuple(input1.shape)}, "
                           f"input2 {tuple(input2.shape)}, target {tuple(target.shape)}")
    d = input1.ndim - 1
    prod = (input1 * input2).sum(d)
    mag1 = (input1 * input1).sum(d) + 1e-12
    mag2 = (input2 * input2).sum(d) + 1e-12
    cos = prod / (mag1 * mag2).sqrt()
    loss = where(target == 1, 1 - cos, 0.0) + where(target == -1, (cos - margin).clamp(min=0.0),
                                                     0.0)
    return _reduce(loss, reduction, "cosine_embedding_loss")


def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None,
                        reduce=None, reduction: str = "mean"):
    """max(0, d(a, p) − d(a, n) + margin) with d the pairwise p-norm distance; ``swap``
    uses min(d(a, n), d(p, n)) as the negative distance."""
    reduction = _reduction(size_average, reduce, reduction)
    for name, t in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        _check_tensor(t, name, "triplet_margin_loss")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"triplet_margin_loss: The anchor, positive, and negative tensors "
                           f"are expected to have the same number of dimensions, but got: "
                           f"anchor {anchor.ndim}D, positive {positive.ndim}D, and negative "
                           f"{negative.ndim}D inputs")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    loss = (margin + d_pos - d_neg).clamp(min=0.0)
    return _reduce(loss, reduction, "triplet_margin_loss")


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean"):
    """max(0, d(a, p) − d(a, n) + margin) for any distance function ``d`` (pairwise_distance
    by default); ``swap`` uses min(d(a, n), d(p, n))."""
    what = "triplet_margin_with_distance_loss"
    if margin <= 0:
        raise ValueError(f"{what}: margin must be greater than 0, got {margin}")
    for name, t in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        _check_tensor(t, name, what)
    dist = pairwise_distance if distance_function is None else distance_function
    d_pos, d_neg = dist(anchor, positive), dist(anchor, negative)
    if swap:
        d_neg = minimum(d_neg, dist(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp(min=0.0), reduction, what)


# ============================================================================ distances

def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
    """‖x1 − x2 + eps‖_p over the last dim (broadcasting)."""
    from ..ops.reduce import vector_norm
    _check_tensor(x1, "x1", "pairwise_distance")
    _check_tensor(x2, "x2", "pairwise_distance")
    dim = -1 if max(x1.ndim, x2.ndim) > 0 else None
    return vector_norm(x1 - x2 + eps, p, dim, keepdim)


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8):
    """Σ (x1/‖x1‖)·(x2/‖x2‖) along ``dim``, each norm clamped below at eps (broadcasting)."""
    from ..ops.math import broadcast_to
    from ..ops.reduce import vector_norm
    _check_tensor(x1, "x1", "cosine_similarity")
    _check_tensor(x2, "x2", "cosine_similarity")
    try:
        shape = x1.backend.xp.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    except ValueError:
        raise RuntimeError(f"cosine_similarity: the shapes of x1 {tuple(x1.shape)} and x2 "
                           f"{tuple(x2.shape)} do not broadcast") from None
    x1, x2 = broadcast_to(x1, shape), broadcast_to(x2, shape)
    n1 = _no_grad_clamp_min(vector_norm(x1, 2, dim, True), eps)
    n2 = _no_grad_clamp_min(vector_norm(x2, 2, dim, True), eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None):  # noqa: A002
    """input / max(‖input‖_p, eps) along ``dim``."""
    from ..ops.reduce import vector_norm
    _check_float(input, "normalize")
    if out is not None:
        raise NotImplementedError("normalize: out= is not supported")
    return input / vector_norm(input, p, dim, True).clamp(min=eps)


# ============================================================================ linear, shapes

def bilinear(input1, input2, weight, bias=None):
    """y_k = x1 · W_k · x2 + b_k: x1 (…, in1), x2 (…, in2), weight (out, in1, in2) → (…, out)."""
    for name, t in (("input1", input1), ("input2", input2), ("weight", weight)):
        _check_tensor(t, name, "bilinear")
    if weight.ndim != 3 or input1.shape[-1:] != weight.shape[1:2] or \
            input2.shape[-1:] != weight.shape[2:3] or input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear: expected input1 (…, {weight.shape[1:2]}) and input2 "
                           f"(…, {weight.shape[2:3]}) with the same leading dims and a 3-D "
                           f"weight, got input1 {tuple(input1.shape)}, input2 "
                           f"{tuple(input2.shape)}, weight {tuple(weight.shape)}")
    out, n1, n2 = weight.shape
    # x1 @ W as one matmul over (in1, out·in2), then the in2 contraction
    t = input1 @ weight.permute(1, 0, 2).reshape(n1, out * n2)
    y = (t.reshape(*input1.shape[:-1], out, n2) * input2.unsqueeze(-2)).sum(-1)
    return y + bias if bias is not None else y


def one_hot(tensor, num_classes: int = -1):
    """Integer class indices (…) → int64 (…, num_classes) with a 1 at each index;
    ``num_classes=-1`` uses max + 1."""
    import numpy as np
    _check_tensor(tensor, "tensor", "one_hot")
    if tensor.dtype != np.int64:
        raise RuntimeError(f"one_hot is only applicable to index tensor of type LongTensor "
                           f"(int64), got {tensor.dtype}")
    xp = tensor.backend.xp
    idx = tensor._data
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("one_hot: Can not infer total number of classes from empty "
                               "tensor.")
        num_classes = int(idx.max()) + 1
    if idx.size and int(idx.min()) < 0:
        raise RuntimeError("one_hot: Class values must be non-negative.")
    if idx.size and int(idx.max()) >= num_classes:
        raise RuntimeError("one_hot: Class values must be smaller than num_classes.")
    out = (idx[..., None] == xp.arange(num_classes)).astype(np.int64)
    return Tensor._make(out, tensor.device)


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input, pad, mode: str = "constant", value=None):  # noqa: A002
    """Pad the last len(pad)//2 dims: ``pad = (left_last, right_last, left_2nd_last, …)``.

    ``constant`` fills with ``value`` (0) and accepts negative pads (cropping); ``reflect``
    mirrors without repeating the edge (pad < size), ``replicate`` repeats the edge,
    ``circular`` wraps around (pad ≤ size). The non-constant modes gather through index
    tensors, so their gradients add up the copies.
    """
    import numpy as np
    _check_tensor(input, "input", "pad")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise ValueError(f"pad: Padding length must be divisible by 2, got {len(pad)}")
    if len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: Padding length should be less than or equal to two times the "
                         f"input dimension but got padding length {len(pad)} and input of "
                         f"dimension {input.ndim}")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"pad: mode must be one of {_PAD_MODES}, got {mode!r}")
    if mode != "constant" and value not in (None, 0):
        raise RuntimeError(f"pad: Padding mode \"{mode}\" doesn't take in value argument")
    x = input
    for k in range(len(pad) // 2):
        d = x.ndim - 1 - k
        left, right = pad[2 * k], pad[2 * k + 1]
        n = x.shape[d]
        if mode == "constant":
            x = _pad_constant(x, d, left, right, 0 if value is None else value)
            continue
        if left < 0 or right < 0:
            raise RuntimeError(f"pad: negative padding is only supported for mode='constant', "
                               f"got {pad}")
        if mode == "reflect" and (left >= n or right >= n):
            raise RuntimeError(f"pad: Padding size should be less than the corresponding input "
                               f"dimension, but got: padding ({left}, {right}) at dimension "
                               f"{d} of input {tuple(input.shape)}")
        if mode == "circular" and (left > n or right > n):
            raise RuntimeError(f"pad: Padding value causes wrapping around more than once "
                               f"(padding ({left}, {right}) at dimension {d} of size {n})")
        if mode == "replicate" and n == 0:
            raise RuntimeError(f"pad: cannot replicate-pad the empty dimension {d}")
        pos = np.arange(-left, n + right)
        if mode == "reflect":
            pos = np.abs(pos)
            pos = np.where(pos >= n, 2 * (n - 1) - pos, pos)
        elif mode == "replicate":
            pos = np.clip(pos, 0, n - 1)
        else:
            pos = pos % n
        index = Tensor._make(x.backend.xp.asarray(pos.astype(np.int64)), x.device)
        x = x.index_select(d, index)
    return x


_INTERPOLATE_MODES = {"nearest": None, "nearest-exact": None, "linear": 1, "bilinear": 2,
                      "trilinear": 3}


def interpolate(input, size=None, scale_factor=None, mode: str = "nearest",  # noqa: A002
                align_corners=None, recompute_scale_factor=None, antialias: bool = False):
    """Resize the spatial dims (all after the first two) to ``size`` or by ``scale_factor``.

    ``nearest`` takes entry floor(i·scale) (``nearest-exact``: floor((i + ½)·scale)); the
    ``linear`` family mixes the two neighbours of the source point scale·(i + ½) − ½
    (scale·i with ``align_corners``), one dim at a time, the last first (as torch's kernels
    sum). The indices and weights are computed as torch does, in the input's precision (float
    for the nearest modes); the entries are gathered with index_select, so the gradient adds
    them back. ``bicubic`` and ``area`` are not supported.
    """
    import numpy as np
    _check_tensor(input, "input", "interpolate")
    dims = input.ndim - 2
    if mode not in _INTERPOLATE_MODES:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported (supported: "
                                  f"{', '.join(_INTERPOLATE_MODES)})")
    if dims < 1:
        raise ValueError(f"interpolate: expected a 3D, 4D or 5D input (batch, channels, "
                         f"spatial...), got {input.ndim}D")
    linear = _INTERPOLATE_MODES[mode]
    if linear is not None and linear != dims:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs "
                                  f"{linear + 2}D input")
    if linear is None and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")
    in_sizes = input.shape[2:]
    if size is not None:
        sizes = (size,) * dims if isinstance(size, int) else tuple(size)
        if len(sizes) != dims:
            raise ValueError(f"Input and output must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of "
                             f"{list(in_sizes)} and output size of {list(sizes)}.")
        scales = (None,) * dims
    else:
        scales = (scale_factor,) * dims if isinstance(scale_factor, (int, float)) else \
            tuple(scale_factor)
        if len(scales) != dims:
            raise ValueError(f"Input and scale_factor must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of "
                             f"{list(in_sizes)} and scale_factor of shape {list(scales)}.")
        sizes = tuple(int(math.floor(n * float(f))) for n, f in zip(in_sizes, scales))
        if recompute_scale_factor:
            scales = (None,) * dims
    x = input
    for d in reversed(range(dims)):
        n, m, f = in_sizes[d], sizes[d], scales[d]
        axis = d + 2
        if linear is None:
            x = x.index_select(axis, _constant_index(x, _nearest_source(n, m, f, mode)))
            continue
        dt = np.dtype(x.dtype)
        if align_corners:
            scale = dt.type(n - 1) / dt.type(m - 1) if m > 1 else dt.type(0)
            src = scale * np.arange(m, dtype=dt)
        else:
            scale = dt.type(1.0 / f) if f is not None and f > 0 else dt.type(n) / dt.type(m)
            src = np.maximum(scale * (np.arange(m, dtype=dt) + dt.type(0.5)) - dt.type(0.5), 0)
        i0 = np.minimum(np.floor(src).astype(np.int64), n - 1)
        i1 = i0 + (i0 < n - 1)
        w1 = np.clip(src - i0, 0, 1).astype(dt)
        shape = [1] * x.ndim
        shape[axis] = m
        w1 = Tensor._make(x.backend.xp.asarray(w1.reshape(shape)), x.device)
        x = (1 - w1) * x.index_select(axis, _constant_index(x, i0)) + \
            w1 * x.index_select(axis, _constant_index(x, i1))
    return x


def upsample(input, size=None, scale_factor=None, mode="nearest",  # noqa: A002
             align_corners=None):
    """Deprecated alias of :func:`interpolate` (warns, as torch)."""
    import warnings
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):  # noqa: A002
    """Deprecated: interpolate(..., mode="nearest") (warns, as torch)."""
    import warnings
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):  # noqa: A002
    """Deprecated: interpolate(..., mode="bilinear", align_corners=True) (warns, as torch)."""
    import warnings
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pixel_shuffle(input, upscale_factor: int):  # noqa: A002
    """(*, C·r², H, W) → (*, C, H·r, W·r): each group of r² channels spread over an r×r
    block (torch.pixel_shuffle)."""
    _check_tensor(input, "input", "pixel_shuffle")
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.ndim} dimension(s)")
    *lead, c, h, w = input.shape
    if r <= 0 or c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    n = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor: int):  # noqa: A002
    """The inverse of :func:`pixel_shuffle`: (*, C, H·r, W·r) → (*, C·r², H, W)."""
    _check_tensor(input, "input", "pixel_unshuffle")
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.ndim} dimension(s)")
    *lead, c, h, w = input.shape
    if r <= 0 or h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle expects height and width to be divisible by "
                           f"downscale_factor, but got {h}x{w} and {r}")
    n = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


def pdist(input, p: float = 2.0):  # noqa: A002
    """The p-norm distances between each pair of rows i < j of an (N, M) input, in row order
    (torch.pdist)."""
    import numpy as np
    _check_tensor(input, "input", "pdist")
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    i, j = np.triu_indices(input.shape[0], 1)
    return (input[_constant_index(input, i)] - input[_constant_index(input, j)]).norm(p, dim=1)


def _nearest_source(n, m, f, mode):
    """torch's nearest_idx / nearest_exact_idx: the source of each of the m outputs, the
    scale and the products in float32."""
    import numpy as np
    i = np.arange(m)
    if mode == "nearest" and m == n:
        return i
    if mode == "nearest" and m == 2 * n:
        return i >> 1
    scale = np.float32(1.0 / f) if f is not None and f > 0 else np.float32(n) / np.float32(m)
    offset = np.float32(0.5 if mode == "nearest-exact" else 0.0)
    src = np.floor((i.astype(np.float32) + offset) * scale).astype(np.int64)
    return np.minimum(src, n - 1)


def _constant_index(x, index):
    import numpy as np
    return Tensor._make(x.backend.xp.asarray(np.asarray(index, dtype=np.int64)), x.device)


def _pad_constant(x, d, left, right, value):
    from ..ops.shape import cat
    from ..tensor import full
    if left < 0:
        x = x.narrow(d, -left, x.shape[d] + left)
    if right < 0:
        x = x.narrow(d, 0, x.shape[d] + right)
    parts = []
    for size in (max(left, 0), None, max(right, 0)):
        if size is None:
            parts.append(x)
        elif size:
            shape = list(x.shape)
            shape[d] = size
            parts.append(full(tuple(shape), value, dtype=x.dtype, device=x.device))
    return cat(parts, d) if len(parts) > 1 else x


# ============================================================================ embedding

def _check_indices(input, what):  # noqa: A002
    _check_tensor(input, "input", what)
    if input.dtype.kind not in "iu":
        raise TypeError(f"{what}: Expected tensor for argument #1 'indices' to have one of the "
                        f"following scalar types: Long, Int; but got {input.dtype} instead")


def _renorm_rows_(weight, idx, max_norm, norm_type):
    """Scale the rows ``idx`` of ``weight`` (in place, no graph) to norm ≤ max_norm."""
    xp = weight.backend.xp
    rows = xp.unique(idx.reshape(-1))
    w = weight._data
    sub = w[rows]
    norms = (xp.abs(sub) ** norm_type).sum(-1) ** (1.0 / norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(w.dtype)
    w[rows] = sub * scale[:, None]


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type: float = 2.0,  # noqa: A002
              scale_grad_by_freq: bool = False, sparse: bool = False):
    """Rows of ``weight`` (num, dim) picked by integer indices (…) → (…, dim).

    The row ``padding_idx`` receives no gradient. ``max_norm`` first rescales, in place, the
    picked rows whose ``norm_type``-norm exceeds it. ``scale_grad_by_freq`` divides each
    row's gradient by how often its index occurs in ``input``.
    """
    _check_indices(input, "embedding")
    _check_tensor(weight, "weight", "embedding")
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: 'weight' must be 2-D, got {weight.ndim}-D")
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported (pygrad has "
                                  "no sparse tensors); use sparse=False")
    num = weight.shape[0]
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise AssertionError(f"embedding: padding_idx must be within num_embeddings "
                                 f"({num}), got {padding_idx}")
        padding_idx = padding_idx % num
    idx = input._data
    # one host read per call; negative indices are out of range, as in torch
    if idx.size and bool(((idx < 0) | (idx >= num)).any()):
        raise IndexError(f"embedding: index out of range in self (indices must be in "
                         f"[0, {num}), got min {int(idx.min())}, max {int(idx.max())})")
    if max_norm is not None:
        _renorm_rows_(weight, idx, max_norm, norm_type)
    flat = input.reshape(-1).to("int64")
    y = weight.index_select(0, flat)
    if padding_idx is not None or scale_grad_by_freq:
        xp = weight.backend.xp
        scale = xp.ones(flat.shape[0], dtype=weight.dtype)
        if scale_grad_by_freq:
            _, inverse, counts = xp.unique(flat._data, return_inverse=True, return_counts=True)
            scale = scale / counts[inverse.reshape(-1)].astype(weight.dtype)
        if padding_idx is not None:
            scale = xp.where(flat._data == padding_idx, 0, scale).astype(weight.dtype)
        y = _scaled_grad(y, Tensor._make(scale[:, None], weight.device))
    return y.reshape(*input.shape, weight.shape[1])


_BAG_MODES = ("sum", "mean", "max")


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type: float = 2,  # noqa: A002
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights=None, include_last_offset: bool = False,
                  padding_idx=None):
    """Sum, mean or max of embedding rows per bag: ``input`` (B, L) is B bags of L indices;
    a 1-D ``input`` is cut into bags at ``offsets`` (B,) (``include_last_offset``: B + 1
    offsets, the last one the end). An empty bag gives zeros. Indices equal to
    ``padding_idx`` are left out of their bag. ``per_sample_weights`` (mode "sum") weight
    each index."""
    import numpy as np
    what = "embedding_bag"
    _check_indices(input, what)
    if mode not in _BAG_MODES:
        raise ValueError(f"{what}: mode has to be one of {_BAG_MODES}, got {mode!r}")
    if scale_grad_by_freq and mode == "max":
        raise ValueError(f"{what}: max mode does not support scaling the gradient by the "
                         f"frequency")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"{what}: embedding_bag: per_sample_weights was not None. "
                                  f"per_sample_weights is only supported for mode='sum' (got "
                                  f"mode={mode!r}). Please open a feature request on GitHub.")
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{what}: if input is 2D, then offsets has to be None, as input "
                             f"is treated is a mini-batch of fixed length sequences.")
        b, length = input.shape
        starts = np.arange(b) * length
        ends = starts + length
        flat = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError(f"{what}: offsets has to be a 1D Tensor but got None")
        _check_indices(offsets, what)
        if offsets.ndim != 1:
            raise ValueError(f"{what}: offsets has to be a 1D Tensor, got {offsets.ndim}-D")
        off = np.asarray(offsets._host(), dtype=np.int64)
        if include_last_offset:
            starts, ends = off[:-1], off[1:]
        else:
            starts, ends = off, np.append(off[1:], input.shape[0])
        if len(off) and off[0] != 0:
            raise RuntimeError(f"{what}: offsets[0] has to be 0, i.e., the first sequence in "
                               f"the mini-batch has to start from position 0. However, got "
                               f"{int(off[0])}")
        flat = input
    else:
        raise ValueError(f"{what}: input has to be 1D or 2D Tensor, but got Tensor of "
                         f"dimension {input.ndim}")
    rows = embedding(flat, weight, None, max_norm, norm_type, scale_grad_by_freq)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.unsqueeze(-1)
    keep = np.ones(flat.shape[0], dtype=bool)
    if padding_idx is not None:
        keep = np.asarray(flat._host() != padding_idx % weight.shape[0])
    return _bags(rows, keep, starts, ends, mode, weight)


def _bags(rows, keep, starts, ends, mode, weight):
    """Reduce ``rows`` (n, dim) over each bag [start, end), keeping only ``keep`` rows.

    The kept rows are gathered into a (bags, longest bag, dim) block padded with a constant
    row (0 for sum/mean, −inf for max), so every mode is one gather and one reduction; an
    empty bag gives zeros."""
    import numpy as np
    from ..ops.shape import cat
    from ..tensor import full
    n, dim = rows.shape
    nb = len(starts)
    starts, ends = np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)
    pos = np.arange(n)
    # each position's bag (bags are consecutive runs), then only kept positions inside one
    bag = np.searchsorted(starts, pos, side="right") - 1
    inside = (bag >= 0) & (pos < ends[np.clip(bag, 0, max(nb - 1, 0))]) if nb else \
        np.zeros(n, dtype=bool)
    sel = np.nonzero(inside & keep)[0]
    bag = bag[sel]
    counts = np.bincount(bag, minlength=nb)
    width = int(counts.max()) if nb and len(sel) else 0
    first = np.concatenate([[0], np.cumsum(counts)[:-1]]) if nb else counts
    slot = np.arange(len(sel)) - first[bag]
    table = np.full((nb, max(width, 1)), n, dtype=np.int64)      # n: the padding row
    table[bag, slot] = sel
    xp = rows.backend.xp
    fill = float("-inf") if mode == "max" else 0.0
    padded = cat([rows, full((1, dim), fill, dtype=rows.dtype, device=rows.device)], 0)
    index = Tensor._make(xp.asarray(table.reshape(-1)), rows.device)
    block = padded.index_select(0, index).reshape(nb, max(width, 1), dim)
    if mode == "sum":
        return block.sum(1)
    if mode == "mean":
        scale = (1.0 / np.maximum(counts, 1)).astype(rows.dtype)[:, None]
        return block.sum(1) * Tensor._make(xp.asarray(scale), rows.device)
    empty = Tensor._make(xp.asarray(counts == 0)[:, None], rows.device)
    return where(empty, 0.0, block.amax(1))


# ============================================================================ normalization

def _check_affine(t, name, shape, what):
    if t is not None:
        _check_tensor(t, name, what)
        if tuple(t.shape) != tuple(shape):
            raise RuntimeError(f"{what}: expected {name} of shape {tuple(shape)}, got "
                               f"{tuple(t.shape)}")


def _normalized_dims(input, normalized_shape, what):  # noqa: A002
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else \
        tuple(int(s) for s in normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(f"{what}: Given normalized_shape={list(shape)}, expected input with "
                           f"shape [*, {', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    return shape, tuple(range(input.ndim - k, input.ndim))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5):  # noqa: A002
    """(x − mean) / √(var + eps) · weight + bias over the last len(normalized_shape) dims
    (biased variance), forward and backward each one fused pass over the rows."""
    _check_float(input, "layer_norm")
    shape, dims = _normalized_dims(input, normalized_shape, "layer_norm")
    _check_affine(weight, "weight", shape, "layer_norm")
    _check_affine(bias, "bias", shape, "layer_norm")
    return _fused_layer_norm(input, shape, weight, bias, eps)   # one fused row kernel


def rms_norm(input, normalized_shape, weight=None, eps=None):  # noqa: A002
    """x / √(mean(x²) + eps) · weight over the last len(normalized_shape) dims; eps defaults
    to the dtype's machine epsilon."""
    import numpy as np
    _check_float(input, "rms_norm")
    shape, dims = _normalized_dims(input, normalized_shape, "rms_norm")
    _check_affine(weight, "weight", shape, "rms_norm")
    if eps is None:
        eps = float(np.finfo(input.dtype).eps)
    y = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return y * weight if weight is not None else y


def _channel_view(t, ndim):
    """A per-channel vector (C,) shaped (C, 1, …) to broadcast against (N, C, …)."""
    return t.reshape(t.shape[0], *([1] * (ndim - 2)))


def _update_running_(running, batch, m):
    """running ← (1 − m)·running + m·batch, in place on the running buffer's array."""
    running._data[...] = ((1 - m) * running._data + m * batch).astype(running.dtype)


def _by_running_stats(input, running_mean, running_var, eps):  # noqa: A002
    """(x − running_mean) / √(running_var + eps) per channel of (N, C, …)."""
    rm = _channel_view(running_mean.detach(), input.ndim)
    rv = _channel_view(running_var.detach(), input.ndim)
    return (input - rm) * (rv + eps).rsqrt()


def _channel_affine(y, weight, bias):
    """y · weight + bias with per-channel (C,) weight and bias (either may be None)."""
    if weight is not None:
        y = y * _channel_view(weight, y.ndim)
    if bias is not None:
        y = y + _channel_view(bias, y.ndim)
    return y


def batch_norm(input, running_mean, running_var, weight=None, bias=None,  # noqa: A002
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5):
    """Normalise each channel of (N, C, …) input.

    In training the batch statistics are used (biased variance) and, when given, the running
    statistics are updated in place: ``running = (1 − momentum)·running + momentum·batch``
    with the unbiased batch variance (``momentum=None`` is handled by the module: it passes
    the cumulative-average factor). Otherwise the running statistics are used.
    """
    what = "batch_norm"
    _check_float(input, what)
    if input.ndim < 2:
        raise ValueError(f"{what}: expected 2D or more input (N, C, …), got {input.ndim}D")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_affine(t, name, (c,), what)
    dims = (0,) + tuple(range(2, input.ndim))
    if training:
        count = input.shape[0] * math.prod(input.shape[2:])
        if count == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {list(input.shape)}")
        if input.numel() == 0:      # torch: an empty result, the running statistics unchanged
            return _channel_affine(input * 1.0, weight, bias)
        mean = input.mean(dims, keepdim=True)
        xc = input - mean
        var = (xc * xc).mean(dims, keepdim=True)
        if running_mean is not None or running_var is not None:
            m = float(momentum)
            if running_mean is not None:
                _update_running_(running_mean, mean._data.reshape(c), m)
            if running_var is not None:
                _update_running_(running_var, var._data.reshape(c) * (count / (count - 1)), m)
        y = xc * (var + eps).rsqrt()
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError(f"{what}: running_mean and running_var must be given when not "
                               f"training")
        y = _by_running_stats(input, running_mean, running_var, eps)
    return _channel_affine(y, weight, bias)


def instance_norm(input, running_mean=None, running_var=None, weight=None,  # noqa: A002
                  bias=None, use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-5):
    """Normalise each channel of each sample of (N, C, …) over its other dims.

    With ``use_input_stats`` the sample's statistics are used and, when given, the running
    statistics move by ``momentum`` toward their mean over the batch (unbiased variance);
    otherwise the running statistics normalise.
    """
    what = "instance_norm"
    _check_float(input, what)
    if input.ndim < 3:
        raise ValueError(f"{what}: expected (N, C, ...) input with at least one dim after "
                         f"the channels, got {input.ndim}D")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_affine(t, name, (c,), what)
    dims = tuple(range(2, input.ndim))
    if use_input_stats:
        count = math.prod(input.shape[2:])
        if count == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input "
                             f"size {list(input.shape)}")
        if input.numel() == 0:      # torch: an empty result, the running statistics unchanged
            return _channel_affine(input * 1.0, weight, bias)
        mean = input.mean(dims, keepdim=True)
        xc = input - mean
        var = (xc * xc).mean(dims, keepdim=True)
        m = float(momentum)
        if running_mean is not None:
            _update_running_(running_mean, mean._data.reshape(input.shape[0], c).mean(0), m)
        if running_var is not None:
            _update_running_(running_var, var._data.reshape(input.shape[0], c).mean(0) *
                             (count / (count - 1)), m)
        y = xc * (var + eps).rsqrt()
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError(f"{what}: Expected running_mean and running_var to be defined "
                               f"when use_input_stats is false")
        y = _by_running_stats(input, running_mean, running_var, eps)
    return _channel_affine(y, weight, bias)


def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5):  # noqa: A002
    """Normalise (N, C, …) over each group of C/num_groups channels (and all other dims),
    then scale and shift per channel."""
    what = "group_norm"
    _check_float(input, what)
    if input.ndim < 2:
        raise RuntimeError(f"{what}: Expected at least 2 dimensions for input tensor but "
                           f"received {input.ndim}")
    n, c = input.shape[0], input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"{what}: Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    _check_affine(weight, "weight", (c,), what)
    _check_affine(bias, "bias", (c,), what)
    if (n * c // num_groups) * math.prod(input.shape[2:]) == 1:    # torch's batch-size check
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {[n * c // num_groups, num_groups, *input.shape[2:]]}")
    if input.numel() == 0:
        return _channel_affine(input * 1.0, weight, bias)
    x = input.reshape(n, num_groups, -1)
    mean = x.mean(-1, keepdim=True)
    xc = x - mean
    var = (xc * xc).mean(-1, keepdim=True)
    y = (xc * (var + eps).rsqrt()).reshape(*input.shape)
    return _channel_affine(y, weight, bias)
