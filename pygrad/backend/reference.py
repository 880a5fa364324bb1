"""The reference backend: every kernel of the backend interface in plain array code.

Written to be read: each function is the formula, with the usual max-subtraction for
stability. It runs on NumPy and CuPy arrays alike (``xp`` is taken from the input), is the
fallback when the compiled kernels are missing, and is the oracle the tests compare to.
"""
from __future__ import annotations

import contextlib
import math

import numpy as np

xp = np
name = "reference"
_NO_DEVICE = contextlib.nullcontext()


def asarray(data, dtype=None, device=None):
    """``data`` as a NumPy array (the reference backend runs on the host)."""
    return np.asarray(data, dtype=dtype)


def to_numpy(a):
    return a


def guard(device):
    """Nothing to select on the host: one shared no-op context manager."""
    return _NO_DEVICE


def get_xp(x):
    """numpy or cupy, whichever owns ``x``."""
    mod = type(x).__module__
    if mod.startswith("cupy"):
        import cupy
        return cupy
    return np


# ----------------------------------------------------------------------------- activations

def sigmoid(x):
    m = get_xp(x)
    # exp of a non-positive number never overflows: σ(x) = 1/(1+e^-x) for x ≥ 0, e^x/(1+e^x) else
    e = m.exp(-m.abs(x))
    return m.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def sigmoid_bwd(y, gy):
    return gy * y * (1 - y)


def softmax(x, axis=-1):
    m = get_xp(x)
    e = m.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_bwd(y, gy, axis=-1):
    return y * (gy - (y * gy).sum(axis=axis, keepdims=True))


def log_softmax(x, axis=-1):
    m = get_xp(x)
    z = x - x.max(axis=axis, keepdims=True)
    return z - m.log(m.exp(z).sum(axis=axis, keepdims=True))


def log_softmax_bwd(y, gy, axis=-1):
    m = get_xp(y)
    return gy - m.exp(y) * gy.sum(axis=axis, keepdims=True)


def _erfc(m, x):
    """erfc elementwise: NumPy has none, so math.erfc per element (this is the oracle, not
    the fast path); CuPy's from cupyx.scipy.special."""
    if m is np:
        return np.asarray(np.frompyfunc(math.erfc, 1, 1)(x), dtype=x.dtype)
    from cupyx.scipy.special import erfc
    return erfc(x)


_GELU_K = math.sqrt(2 / math.pi)
_GELU_A = 0.044715


def _check_approximate(approximate, what):
    if approximate not in ("none", "tanh"):
        raise ValueError(f"{what}: approximate must be 'none' or 'tanh', got {approximate!r}")


def gelu(x, approximate="none"):
    """x·Φ(x), Φ(x) = erfc(−x/√2)/2; "tanh": x·(1 + tanh u)/2 = x·σ(2u) with
    u = √(2/π)·(x + 0.044715·x³)."""
    _check_approximate(approximate, "gelu")
    m = get_xp(x)
    if approximate == "tanh":
        u = _GELU_K * (x + _GELU_A * x * x * x)
        return m.asarray(x * sigmoid(2 * u), dtype=x.dtype)
    return m.asarray(0.5 * x * _erfc(m, -x * math.sqrt(0.5)), dtype=x.dtype)


def gelu_bwd(x, gy, approximate="none"):
    """gy·gelu'(x): Φ(x) + x·φ(x); "tanh": σ(2u) + 2x·σ(2u)(1 − σ(2u))·u'."""
    _check_approximate(approximate, "gelu_bwd")
    m = get_xp(x)
    with np.errstate(over="ignore", invalid="ignore"):
        if approximate == "tanh":
            u = _GELU_K * (x + _GELU_A * x * x * x)
            e = m.exp(-2 * m.abs(u))
            s = sigmoid(2 * u)
            du = _GELU_K * (1 + 3 * _GELU_A * x * x)
            d = s + 2 * x * (e / ((1 + e) * (1 + e))) * du
        else:
            pdf = m.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
            d = 0.5 * _erfc(m, -x * math.sqrt(0.5)) + x * pdf
    return m.asarray(gy * d, dtype=x.dtype)


# ----------------------------------------------------------------------------- layer norm
# Over the last ``normalized_ndim`` axes of x; mean and rstd keep those axes as size 1.

def layer_norm_rows(x, normalized_ndim):
    """(leading shape, C): x seen as rows of C elements, C the product of the last
    ``normalized_ndim`` dims (the row kernels of the cpu and cuda backends)."""
    return x.shape[:x.ndim - normalized_ndim], math.prod(x.shape[x.ndim - normalized_ndim:])


def layer_norm(x, weight, bias, normalized_ndim, eps=1e-5):
    """(y, mean, rstd): mean and biased variance over the last ``normalized_ndim`` axes,
    rstd = 1/√(var + eps), y = (x − mean)·rstd·weight + bias (weight, bias: None or of the
    normalized shape)."""
    m = get_xp(x)
    axes = tuple(range(x.ndim - normalized_ndim, x.ndim))
    with np.errstate(invalid="ignore", divide="ignore"):     # empty rows: mean NaN, as torch
        mean = x.mean(axis=axes, keepdims=True)
        xc = x - mean
        rstd = 1 / m.sqrt((xc * xc).mean(axis=axes, keepdims=True) + eps)
    y = xc * rstd
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return (y.astype(x.dtype, copy=False), mean.astype(x.dtype, copy=False),
            rstd.astype(x.dtype, copy=False))


def layer_norm_bwd(x, gy, weight, mean, rstd, normalized_ndim, need=(True, False, False)):
    """(gx, gw, gb), each None unless ``need`` asks for it; x̂ = (x − mean)·rstd, g = gy·w:
    gx = rstd·(g − mean(g) − x̂·mean(g·x̂)) over the normalized axes, gw = Σ gy·x̂ and
    gb = Σ gy over the leading axes."""
    k = normalized_ndim
    axes = tuple(range(x.ndim - k, x.ndim))
    lead = tuple(range(x.ndim - k))
    xhat = (x - mean) * rstd
    gx = gw = gb = None
    if need[0]:
        g = gy if weight is None else gy * weight
        gx = rstd * (g - g.mean(axis=axes, keepdims=True)
                     - xhat * (g * xhat).mean(axis=axes, keepdims=True))
        gx = gx.astype(x.dtype, copy=False)
    if need[1]:
        gw = (gy * xhat).sum(axis=lead).astype(x.dtype, copy=False)
    if need[2]:
        gb = gy.sum(axis=lead).astype(x.dtype, copy=False)
    return gx, gw, gb


# ----------------------------------------------------------------------------- losses

def cross_entropy(x, target, weight=None, ignore_index=-100, label_smoothing=0.0,
                  grad_scale=None):
    m = get_xp(x)
    n, c = x.shape
    check_targets(target, c, ignore_index)
    keep = target != ignore_index
    t = m.where(keep, target, 0)
    logp = log_softmax(x, axis=1)
    w = m.ones(c, dtype=x.dtype) if weight is None else weight.astype(x.dtype, copy=False)
    wt = w[t] * keep
    rows = m.arange(n)
    eps = float(label_smoothing)
    loss = (1 - eps) * wt * -logp[rows, t]
    if eps:
        loss = loss + (eps / c) * -(logp * w).sum(axis=1)
    # ignored rows contribute exactly 0, even when the row is all -inf (nan logits)
    loss = m.where(keep, loss, 0)
    if grad_scale is None:
        return loss.astype(x.dtype, copy=False), None
    # ∂loss_i/∂x_ij = p_ij·((1−ε)w_t + ε/C·Σw) − (1−ε)w_t·[j = t] − ε/C·w_j  (0 when ignored)
    p = m.exp(logp)
    coef = (1 - eps) * wt + keep * (eps / c) * w.sum()
    grad = p * coef[:, None]
    grad[rows, t] -= (1 - eps) * wt
    if eps:
        grad -= (eps / c) * w[None, :]
    grad = m.where(keep[:, None], grad, 0) * m.asarray(grad_scale, dtype=x.dtype)
    return loss.astype(x.dtype, copy=False), grad.astype(x.dtype, copy=False)


def check_targets(target, c, ignore_index, what="cross_entropy"):
    """IndexError naming the first target outside [0, C) that is not ignore_index."""
    m = get_xp(target)
    bad = ((target < 0) | (target >= c)) & (target != ignore_index)
    if bool(bad.any()):
        value = int(target[m.argmax(bad)])
        raise IndexError(f"{what}: target {value} is out of bounds for {c} classes "
                         f"(expected 0..{c - 1} or ignore_index={ignore_index})")


def log_sigmoid(x):
    m = get_xp(x)
    return m.minimum(x, 0) - m.log1p(m.exp(-m.abs(x)))


def bce_with_logits(x, y, pos_weight=None, grad_scale=None):
    m = get_xp(x)
    ls = log_sigmoid(x)
    if pos_weight is None:
        loss = (1 - y) * x - ls
    else:
        loss = (1 - y) * x - (1 + (pos_weight - 1) * y) * ls
    if grad_scale is None:
        return loss.astype(x.dtype, copy=False), None
    # d/dx: (1−y) − (1+(pw−1)y)·(1−σ(x)) ;  without pos_weight this is σ(x) − y
    s = sigmoid(x)
    if pos_weight is None:
        grad = s - y
    else:
        grad = (1 - y) - (1 + (pos_weight - 1) * y) * (1 - s)
    grad = grad * m.asarray(grad_scale, dtype=x.dtype)
    return loss.astype(x.dtype, copy=False), grad.astype(x.dtype, copy=False)


# ----------------------------------------------------------------------------- optimizers
# In-place updates of one parameter ``p`` from its gradient ``g`` and its state arrays,
# following torch.optim's single-tensor code. Scalars are Python numbers.

def sgd_step(p, g, buf, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0,
             maximize=False, first=False):
    d = -g if maximize else g
    if weight_decay:
        d = d + weight_decay * p
    if momentum:
        if first:
            buf[...] = d
        else:
            buf *= momentum
            buf += (1 - dampening) * d
        d = d + momentum * buf if nesterov else buf
    p -= lr * d


def adagrad_step(p, g, state_sum, step, lr, lr_decay=0.0, weight_decay=0.0, eps=1e-10,
                 maximize=False):
    m = get_xp(p)
    d = -g if maximize else g
    if weight_decay:
        d = d + weight_decay * p
    clr = lr / (1 + (step - 1) * lr_decay)
    state_sum += d * d
    p -= clr * d / (m.sqrt(state_sum) + eps)


def rmsprop_step(p, g, square_avg, grad_avg, buf, lr, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    m = get_xp(p)
    d = -g if maximize else g
    if weight_decay:
        d = d + weight_decay * p
    square_avg *= alpha
    square_avg += (1 - alpha) * d * d
    if centered:
        grad_avg += (1 - alpha) * (d - grad_avg)
        avg = m.sqrt(square_avg - grad_avg * grad_avg) + eps
    else:
        avg = m.sqrt(square_avg) + eps
    if momentum:
        buf *= momentum
        buf += d / avg
        p -= lr * buf
    else:
        p -= lr * d / avg


def adam_step(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1=0.9, beta2=0.999,
              eps=1e-8, weight_decay=0.0, decoupled=False, amsgrad=False, maximize=False):
    m = get_xp(p)
    d = -g if maximize else g
    if weight_decay:
        if decoupled:
            p *= 1 - lr * weight_decay
        else:
            d = d + weight_decay * p
    exp_avg += (1 - beta1) * (d - exp_avg)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * d * d
    bc1 = 1 - beta1 ** step
    bc2_sqrt = math.sqrt(1 - beta2 ** step)
    if amsgrad:
        m.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        denom = m.sqrt(max_exp_avg_sq) / bc2_sqrt + eps
    else:
        denom = m.sqrt(exp_avg_sq) / bc2_sqrt + eps
    p -= (lr / bc1) * exp_avg / denom
