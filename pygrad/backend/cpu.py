"""The cpu backend: NumPy arrays, with the fused C kernels of ``pygrad.backend._cpu``.

Each function of the backend interface (see ``pygrad.backend``) runs the compiled kernel when
its inputs are float32/float64 NumPy arrays of one dtype, making them C-contiguous and moving
the reduced axis last where needed, and the reference code otherwise (other dtypes, shapes
that broadcast, non-contiguous state arrays updated in place). If the extension is missing
(pygrad installed without a C compiler) every function is the reference code and a warning
says so once, at import.
"""
from __future__ import annotations

import contextlib
import os
import warnings

import numpy as np

from . import reference
from .reference import check_targets, get_xp, log_sigmoid  # noqa: F401  (interface helpers)


def _import_kernels():
    """Import the extension with OpenMP's idle threads sleeping instead of spinning.

    libgomp reads OMP_WAIT_POLICY once, when it is loaded. Spinning threads (its default
    for milliseconds after each parallel kernel) take the cores from NumPy's BLAS threads in
    the matmul that follows, which made a small MLP training step ~20x slower on 2 cores.
    The variable is set only while importing, and only when the user set neither
    OMP_WAIT_POLICY nor GOMP_SPINCOUNT. There is one libgomp per process: when torch loaded
    it first, its defaults stay (the kernels' high threading threshold limits the harm), and
    when pygrad loads it first, torch shares the sleeping threads.
    """
    choose = "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ
    if choose:
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    try:
        from . import _cpu as module
    finally:
        if choose:
            del os.environ["OMP_WAIT_POLICY"]
    return module


try:
    _cpu = _import_kernels()
except ImportError as exc:  # pragma: no cover - depends on how pygrad was installed
    _cpu = None
    warnings.warn(
        f"pygrad: the compiled CPU kernels (pygrad.backend._cpu) are unavailable ({exc}); "
        f"falling back to the slower NumPy reference code. Reinstall pygrad where a C "
        f"compiler is available (pip install .) to build them.",
        RuntimeWarning, stacklevel=2)

xp = np
name = "cpu"

__all__ = [
    "xp", "name", "asarray", "to_numpy", "guard", "variant", "num_threads", "set_num_threads",
    "sigmoid", "sigmoid_bwd", "softmax", "softmax_bwd", "log_softmax", "log_softmax_bwd",
    "gelu", "gelu_bwd", "layer_norm", "layer_norm_bwd", "cross_entropy", "bce_with_logits",
    "sgd_step", "adagrad_step", "rmsprop_step", "adam_step",
]


# ----------------------------------------------------------------------------- core helpers

_GUARD = contextlib.nullcontext()


def asarray(data, dtype=None, device=None) -> np.ndarray:
    """``data`` as a NumPy array of ``dtype`` (None: inferred); ``device`` is the cpu."""
    return np.asarray(data, dtype=dtype)


def to_numpy(a) -> np.ndarray:
    """The array itself: cpu arrays already are NumPy arrays."""
    return a


def guard(device):
    """A context manager selecting ``device``; nothing to select on the cpu (one shared no-op)."""
    return _GUARD


def variant() -> str:
    """The CPU kernel build in use: "avx512", "avx2", "baseline", or "reference" without the
    extension."""
    return _cpu.variant() if _cpu is not None else "reference"


def num_threads() -> int:
    """Threads the kernels use on large inputs (1 without the extension)."""
    return _cpu.num_threads() if _cpu is not None else 1


def set_num_threads(n: int) -> None:
    """Threads for the kernels called from this thread, like torch.set_num_threads."""
    if _cpu is not None:
        _cpu.set_num_threads(n)


def _fast(*arrays) -> bool:
    """True when the kernels can take these arrays: NumPy, one float32/float64 dtype."""
    if _cpu is None:
        return False
    first = arrays[0]
    if type(first) is not np.ndarray or first.dtype.char not in "fd":
        return False
    return all(type(a) is np.ndarray and a.dtype == first.dtype for a in arrays[1:])


def _contig(a: np.ndarray, dtype=None) -> np.ndarray:
    """a itself when C-contiguous (and of ``dtype``), else a C-contiguous copy; keeps 0-d
    arrays 0-d (np.ascontiguousarray would make them 1-d)."""
    if a.flags.c_contiguous and (dtype is None or a.dtype == dtype):
        return a
    return np.ascontiguousarray(a, dtype=dtype).reshape(a.shape)


def _normalize(axis: int, ndim: int) -> int:
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(axis, ndim)
    return axis % ndim


def _rowwise(kernel, arrays, axis):
    """Apply a last-axis row kernel along ``axis``: the axis is moved last (one contiguous
    copy) when it is not already, and the result moved back (contiguous)."""
    x = arrays[0]
    if axis is None:
        out = kernel(*[_contig(a).reshape(1, -1) for a in arrays])
        return out.reshape(x.shape)
    ax = _normalize(axis, x.ndim)
    if ax == x.ndim - 1:
        return kernel(*[_contig(a) for a in arrays])
    out = kernel(*[_contig(np.moveaxis(a, ax, -1)) for a in arrays])
    return _contig(np.moveaxis(out, -1, ax))


# ----------------------------------------------------------------------------- activations

def sigmoid(x):
    """σ(x) = 1/(1+exp(−x)) elementwise (exactly 0 and 1 in the limits)."""
    if _fast(x):
        return _cpu.sigmoid_fwd(_contig(x))
    return reference.sigmoid(x)


def sigmoid_bwd(y, gy):
    """gx = gy·y·(1−y) from the sigmoid's output y."""
    if _fast(y, gy) and y.shape == gy.shape:
        return _cpu.sigmoid_bwd(_contig(y), _contig(gy))
    return reference.sigmoid_bwd(y, gy)


def softmax(x, axis=-1):
    """exp(x − max)/Σ exp(x − max) along ``axis``; a fully -inf row gives NaN, like torch."""
    if _fast(x) and x.ndim:
        return _rowwise(_cpu.softmax_fwd, (x,), axis)
    return reference.softmax(x, axis)


def softmax_bwd(y, gy, axis=-1):
    """gx = y·(gy − Σ y·gy) along ``axis``, from the softmax's output y."""
    if _fast(y, gy) and y.ndim and y.shape == gy.shape:
        return _rowwise(_cpu.softmax_bwd, (y, gy), axis)
    return reference.softmax_bwd(y, gy, axis)


def log_softmax(x, axis=-1):
    """x − max − log Σ exp(x − max) along ``axis``."""
    if _fast(x) and x.ndim:
        return _rowwise(_cpu.log_softmax_fwd, (x,), axis)
    return reference.log_softmax(x, axis)


def log_softmax_bwd(y, gy, axis=-1):
    """gx = gy − exp(y)·Σ gy along ``axis``, from the log-softmax's output y."""
    if _fast(y, gy) and y.ndim and y.shape == gy.shape:
        return _rowwise(_cpu.log_softmax_bwd, (y, gy), axis)
    return reference.log_softmax_bwd(y, gy, axis)


def gelu(x, approximate="none"):
    """x·Φ(x) elementwise (approximate="tanh": the tanh form), one pass."""
    if _fast(x) and approximate in ("none", "tanh"):
        return _cpu.gelu_fwd(_contig(x), approximate)
    return reference.gelu(x, approximate)


def gelu_bwd(x, gy, approximate="none"):
    """gx = gy·gelu'(x), recomputed from the forward's input x in one pass."""
    if _fast(x, gy) and x.shape == gy.shape and approximate in ("none", "tanh"):
        return _cpu.gelu_bwd(_contig(x), _contig(gy), approximate)
    return reference.gelu_bwd(x, gy, approximate)


# ----------------------------------------------------------------------------- layer norm

def _vec(a, c):
    return None if a is None else _contig(a).reshape(c)


def layer_norm(x, weight, bias, normalized_ndim, eps=1e-5):
    """(y, mean, rstd) of the layer norm over the last ``normalized_ndim`` axes: one fused
    row kernel (two passes over each row while it is in cache); mean and rstd keep the
    normalized axes as size 1."""
    params = [a for a in (weight, bias) if a is not None]
    if _fast(x, *params) and x.size:
        lead, c = reference.layer_norm_rows(x, normalized_ndim)
        y, mean, rstd = _cpu.layer_norm_fwd(_contig(x), _vec(weight, c), _vec(bias, c),
                                            float(eps), c)
        kept = lead + (1,) * normalized_ndim
        return y, mean.reshape(kept), rstd.reshape(kept)
    return reference.layer_norm(x, weight, bias, normalized_ndim, eps)


def layer_norm_bwd(x, gy, weight, mean, rstd, normalized_ndim, need=(True, False, False)):
    """(gx, gw, gb) of the layer norm from its saved mean and rstd, in one pass over x and
    gy; each None unless ``need`` asks for it; gw and gb have the normalized shape."""
    params = [a for a in (weight,) if a is not None]
    if _fast(x, gy, mean, rstd, *params) and x.shape == gy.shape and x.size:
        lead, c = reference.layer_norm_rows(x, normalized_ndim)
        # gx comes back in x's shape, not as a view: the engine would copy a view it hands
        # to a leaf's .grad
        gx, gw, gb = _cpu.layer_norm_bwd(
            _contig(x), _contig(gy), _vec(weight, c), _contig(mean).reshape(-1),
            _contig(rstd).reshape(-1), bool(need[0]), bool(need[1]), bool(need[2]), c)
        if normalized_ndim > 1:
            shape = x.shape[x.ndim - normalized_ndim:]
            gw = None if gw is None else gw.reshape(shape)
            gb = None if gb is None else gb.reshape(shape)
        return gx, gw, gb
    return reference.layer_norm_bwd(x, gy, weight, mean, rstd, normalized_ndim, need)


# ----------------------------------------------------------------------------- losses

def _ce_inputs(x, target, weight):
    """Checked cross-entropy inputs: target as C-contiguous int64, weight as x's dtype."""
    if getattr(x, "ndim", None) != 2:
        raise ValueError(f"cross_entropy: x must be 2-D (N, C), got shape "
                         f"{getattr(x, 'shape', type(x).__name__)}")
    n, c = x.shape
    target = np.asarray(target)
    if target.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: target must hold integer class indices, got dtype "
                        f"{target.dtype}")
    if target.shape != (n,):
        raise ValueError(f"cross_entropy: target must have shape ({n},), got {target.shape}")
    target = _contig(target, dtype=np.int64)
    if weight is not None:
        weight = np.asarray(weight)
        if weight.shape != (c,):
            raise ValueError(f"cross_entropy: weight must have shape ({c},), got "
                             f"{weight.shape}")
        if x.dtype.kind == "f":
            weight = _contig(weight, dtype=x.dtype)
    return target, weight


def cross_entropy(x, target, weight=None, ignore_index=-100, label_smoothing=0.0,
                  grad_scale=None):
    """Per-row softmax cross-entropy and its scaled gradient, in one pass over x.

    x (N, C) float, target (N,) integer, weight None or (C,). Returns (loss (N,), grad (N, C)
    or None when grad_scale is None); see ``pygrad.backend`` for the formulas. Raises
    IndexError naming the first target outside [0, C) that is not ignore_index.
    """
    target, weight = _ce_inputs(x, target, weight)
    if _fast(x):
        return _cpu.cross_entropy(_contig(x), target, weight, int(ignore_index),
                                  float(label_smoothing), grad_scale)
    return reference.cross_entropy(x, target, weight, ignore_index, label_smoothing,
                                   grad_scale)


def _pos_weight_vector(pos_weight, x):
    """pos_weight as a (C,) vector of x's dtype when it broadcasts over x's last axis only,
    else None (the caller then uses the reference code)."""
    pw = np.asarray(pos_weight)
    c = x.shape[-1] if x.ndim else 1
    if pw.ndim > max(x.ndim, 1) or any(d != 1 for d in pw.shape[:-1]):
        return None
    if pw.size == c:
        return _contig(pw.reshape(c), dtype=x.dtype)
    if pw.size == 1:
        return np.full(c, pw.reshape(()), dtype=x.dtype)
    return None


def bce_with_logits(x, y, pos_weight=None, grad_scale=None):
    """Elementwise (1−y)·x − (1+(pw−1)·y)·logσ(x) and its scaled gradient, in one pass.

    x, y of one shape; pos_weight None or broadcast over the last axis. Returns
    (loss, grad or None when grad_scale is None).
    """
    if _fast(x) and type(y) is np.ndarray and y.shape == x.shape:
        pw = None if pos_weight is None else _pos_weight_vector(pos_weight, x)
        if pos_weight is None or pw is not None:
            return _cpu.bce_with_logits(_contig(x), _contig(y, dtype=x.dtype), pw, grad_scale)
    return reference.bce_with_logits(x, y, pos_weight, grad_scale)


# ----------------------------------------------------------------------------- optimizers
# In place, one call per parameter; the kernels need p, g and the state arrays to be
# C-contiguous arrays of one float dtype and shape (always true for pygrad's optimizers).

def _fast_inplace(p, *arrays) -> bool:
    present = [a for a in arrays if a is not None]
    if not _fast(p, *present) or not p.flags.c_contiguous:
        return False
    return all(a.shape == p.shape and a.flags.c_contiguous for a in present)


def sgd_step(p, g, buf, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0,
             maximize=False, first=False):
    """SGD, torch's formula: d = g (+ wd·p); buf = d on the first step, else
    μ·buf + (1−dampening)·d; d = d + μ·buf (nesterov) or buf; p −= lr·d."""
    if _fast_inplace(p, g, buf if momentum else None):
        _cpu.sgd_step(p, g, buf, lr, momentum, dampening, nesterov, weight_decay, maximize,
                      first)
    else:
        reference.sgd_step(p, g, buf, lr, momentum, dampening, nesterov, weight_decay,
                           maximize, first)


def adagrad_step(p, g, state_sum, step, lr, lr_decay=0.0, weight_decay=0.0, eps=1e-10,
                 maximize=False):
    """Adagrad: clr = lr/(1+(step−1)·lr_decay); sum += d²; p −= clr·d/(√sum + eps)."""
    if _fast_inplace(p, g, state_sum):
        _cpu.adagrad_step(p, g, state_sum, step, lr, lr_decay, weight_decay, eps, maximize)
    else:
        reference.adagrad_step(p, g, state_sum, step, lr, lr_decay, weight_decay, eps,
                               maximize)


def rmsprop_step(p, g, square_avg, grad_avg, buf, lr, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    """RMSprop: v = α·v + (1−α)·d²; avg = √(v − ḡ²) (centered) or √v, plus eps; with
    momentum buf = μ·buf + d/avg and p −= lr·buf, else p −= lr·d/avg."""
    if _fast_inplace(p, g, square_avg, grad_avg if centered else None,
                     buf if momentum else None):
        _cpu.rmsprop_step(p, g, square_avg, grad_avg, buf, lr, alpha, eps, weight_decay,
                          momentum, centered, maximize)
    else:
        reference.rmsprop_step(p, g, square_avg, grad_avg, buf, lr, alpha, eps, weight_decay,
                               momentum, centered, maximize)


def adam_step(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1=0.9, beta2=0.999,
              eps=1e-8, weight_decay=0.0, decoupled=False, amsgrad=False, maximize=False):
    """Adam / AdamW (decoupled): m = lerp(m, d, 1−β1); v = β2·v + (1−β2)·d²;
    p −= lr/(1−β1^t)·m/(√v̂/√(1−β2^t) + eps), v̂ = max over v when amsgrad."""
    if _fast_inplace(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq if amsgrad else None):
        _cpu.adam_step(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2, eps,
                       weight_decay, decoupled, amsgrad, maximize)
    else:
        reference.adam_step(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2,
                            eps, weight_decay, decoupled, amsgrad, maximize)


def adam_step_multi(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, step, lr, beta1=0.9,
                    beta2=0.999, eps=1e-8, weight_decay=0.0, decoupled=False, amsgrad=False,
                    maximize=False):
    """``adam_step`` on every parameter in one kernel call (the multi-tensor step), or one
    by one when some array is not one the kernel takes."""
    if _cpu is not None:
        try:        # checks every array before it changes any (a refusal changes nothing)
            _cpu.adam_step_multi(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, step,
                                 lr, beta1, beta2, eps, weight_decay, decoupled, amsgrad,
                                 maximize)
            return
        except (TypeError, ValueError):
            pass
    for k, p in enumerate(params):
        adam_step(p, grads[k], exp_avgs[k], exp_avg_sqs[k], max_exp_avg_sqs[k], step, lr,
                  beta1, beta2, eps, weight_decay, decoupled, amsgrad, maximize)
