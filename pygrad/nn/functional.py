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
from ..ops.loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
                        mse_loss, nll_loss)
from ..ops.math import linear, maximum, minimum, where
from ..ops.unary import relu, tanh
from ..tensor import Tensor

__all__ = [
    # activations
    "sigmoid", "relu", "tanh", "softmax", "log_softmax", "softmin", "logsigmoid", "gelu", "silu",
    "elu", "selu", "celu", "leaky_relu", "relu6", "hardtanh", "hardsigmoid", "hardswish", "mish",
    "softplus", "softsign", "tanhshrink", "glu", "hardshrink", "softshrink", "threshold",
    # dropout
    "dropout", "alpha_dropout", "feature_alpha_dropout", "dropout1d", "dropout2d", "dropout3d",
    # linear, distances, shapes
    "linear", "bilinear", "one_hot", "pad", "normalize", "cosine_similarity",
    "pairwise_distance",
    # losses
    "cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "poisson_nll_loss",
    "gaussian_nll_loss", "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
    "multilabel_soft_margin_loss", "cosine_embedding_loss", "triplet_margin_loss",
]


def _check_tensor(x, name, what):
    if not isinstance(x, Tensor):
        raise TypeError(f"{what}: expected {name} to be a Tensor, got {type(x).__name__}")


def _check_float(x, what, name="input"):
    _check_tensor(x, name, what)
    if x.dtype.kind != "f":
        raise TypeError(f"{what}: expected a floating-point {name}, got dtype {x.dtype}")


def _implicit_dim(ndim: int) -> int:
    # torch's legacy choice when softmax's dim is not given
    return 0 if ndim in (0, 1, 3) else 1


def _scaled_grad(y, scale):
    """``y``'s value with its gradient multiplied by ``scale`` (a Tensor or number)."""
    d = y.detach()
    return d + (y - d) * scale


# ============================================================================ activations

def softmax(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002 - torch's names
    """exp(x) / Σ exp(x) along ``dim`` (one fused kernel each way); ``dtype`` casts first."""
    if dtype is not None:
        input = input.to(dtype)
    return _softmax(input, _implicit_dim(input.ndim) if dim is None else dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002
    """x − logsumexp(x) along ``dim`` (one fused kernel each way); ``dtype`` casts first."""
    if dtype is not None:
        input = input.to(dtype)
    return _log_softmax(input, _implicit_dim(input.ndim) if dim is None else dim)


def softmin(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002
    """softmax(−x) along ``dim``."""
    _check_tensor(input, "input", "softmin")
    return softmax(-input, dim, dtype=dtype)


def gelu(input, approximate: str = "none"):  # noqa: A002
    """x·Φ(x), Φ the standard normal CDF: ``0.5·x·(1 + erf(x/√2))``, or with
    ``approximate="tanh"`` ``0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))``."""
    _check_float(input, "gelu")
    x = input
    if approximate == "none":
        return x * 0.5 * (1.0 + (x * (1.0 / math.sqrt(2.0))).erf())
    if approximate == "tanh":
        inner = (x + 0.044715 * x * x * x) * math.sqrt(2.0 / math.pi)
        return x * 0.5 * (1.0 + inner.tanh())
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input, inplace: bool = False):  # noqa: A002
    """x·σ(x) (also called swish)."""
    _check_float(input, "silu")
    return input * sigmoid(input)


def _elu(x, alpha, scale, input_scale=1.0):
    """scale·x for x > 0, else α·scale·(e^(input_scale·x) − 1) (elu, selu and celu)."""
    neg = (x.clamp(max=0.0) * input_scale).expm1() * (alpha * scale)
    return where(x > 0, x * scale if scale != 1.0 else x, neg)


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
        raise ValueError("celu: alpha must not be 0 (ZeroDivisionError in the formula)")
    return _elu(input, alpha, 1.0, 1.0 / alpha)


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False):  # noqa: A002
    """x for x > 0, else negative_slope·x."""
    _check_float(input, "leaky_relu")
    return where(input > 0, input, input * negative_slope)


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0,  # noqa: A002
             inplace: bool = False):
    """clamp(x, min_val, max_val); the gradient is 1 strictly inside, 0 elsewhere (as torch)."""
    _check_float(input, "hardtanh")
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not be greater than max_val "
                         f"({max_val})")
    inside = (input > min_val) & (input < max_val)
    return where(inside, input, input.detach().clamp(min_val, max_val))


def relu6(input, inplace: bool = False):  # noqa: A002
    """min(max(x, 0), 6)."""
    _check_float(input, "relu6")
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
    # the discarded branch is evaluated at a clamped point, so it never overflows
    soft = bx.clamp(max=threshold).exp().log1p() * (1.0 / beta)
    return where(bx > threshold, input, soft)


def mish(input, inplace: bool = False):  # noqa: A002
    """x · tanh(softplus(x))."""
    _check_float(input, "mish")
    return input * softplus(input).tanh()


def softsign(input):  # noqa: A002
    """x / (1 + |x|)."""
    _check_float(input, "softsign")
    return input / (1.0 + input.abs())


def tanhshrink(input):  # noqa: A002
    """x − tanh(x)."""
    _check_float(input, "tanhshrink")
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
    """x where x > threshold, else ``value``."""
    _check_tensor(input, "input", "threshold")
    return where(input > threshold, input, value)


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
    return Tensor._make(_to_device_array(keep.astype(x.dtype), x.dtype, x.device), x.device)


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
    d = (input - target).abs()
    if beta == 0:
        return _reduce(d, reduction, "smooth_l1_loss")
    loss = where(d < beta, d * d * (0.5 / beta), d - 0.5 * beta)
    return _reduce(loss, reduction, "smooth_l1_loss")


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0,  # noqa: A002
               weight=None):
    """0.5·d² where |d| < δ, else δ·(|d| − 0.5·δ) (d = input − target)."""
    if delta <= 0:
        raise RuntimeError(f"huber_loss: delta must be positive, got {delta}")
    input, target = _pair(input, target, "huber_loss")
    d = (input - target).abs()
    loss = where(d < delta, d * d * 0.5, (d - 0.5 * delta) * delta)
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
