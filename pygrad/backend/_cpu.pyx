# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Fused CPU kernels (C in csrc/cpu, OpenMP over rows), called without the GIL.

Each function takes NumPy arrays that must be C-contiguous float32 or float64 (target:
int64), checks dtypes, shapes, contiguity and writability, and raises TypeError/ValueError
naming the argument otherwise, so nothing invalid reaches C. ``pygrad.backend.cpu`` adapts
arbitrary inputs (axes, strides, other dtypes) before calling here.

The kernels exist in a baseline x86-64 build, an AVX2/FMA build and an AVX-512 build;
``variant()`` says which one runs (the best the CPU supports, chosen at import, or forced by
``PYGRAD_CPU_VARIANT``).
"""
import math

import numpy as np

cimport numpy as cnp
from libc.math cimport erf as c_erf, erfc as c_erfc
from libc.stdint cimport int64_t
from libc.stdlib cimport free, malloc

cnp.import_array()

if pg_cpu_init() != 0:
    import os
    import warnings
    warnings.warn(
        f"PYGRAD_CPU_VARIANT={os.environ.get('PYGRAD_CPU_VARIANT')!r}: expected 'baseline', "
        f"'avx2' (on a CPU with AVX2 and FMA), 'avx512' (AVX-512 F/VL/DQ/BW) or 'auto'; "
        f"using the baseline kernels",
        RuntimeWarning, stacklevel=2)


# ----------------------------------------------------------------------------- variant

def variant() -> str:
    """The kernel build in use: "avx512", "avx2" or "baseline"."""
    return pg_cpu_variant().decode()


def available_variants() -> tuple:
    """The kernel builds this CPU can run, best last, e.g. ("baseline", "avx2", "avx512")."""
    return (("baseline",) + (("avx2",) if pg_cpu_has_avx2() else ())
            + (("avx512",) if pg_cpu_has_avx512() else ()))


def set_variant(name: str) -> str:
    """Switch to the "baseline", "avx2", "avx512" or "auto" build; returns the previous
    variant name."""
    previous = variant()
    if pg_cpu_set_variant(name.encode()) != 0:
        raise ValueError(f"set_variant: expected one of {available_variants() + ('auto',)}, "
                         f"got {name!r}")
    return previous


def num_threads() -> int:
    """OpenMP threads the kernels use on large inputs (OMP_NUM_THREADS; 1 without OpenMP)."""
    return pg_cpu_num_threads()


def set_num_threads(int n) -> None:
    """Use ``n`` OpenMP threads for kernels called from this thread (like
    torch.set_num_threads); n >= 1."""
    if n < 1:
        raise ValueError(f"set_num_threads: expected n >= 1, got {n}")
    pg_cpu_set_num_threads(n)


def set_parallel_min(int64_t n) -> int:
    """Run kernels on fewer than ``n`` elements on the calling thread (default 1048576; 4n
    for kernels with little work per element); returns the previous value. Threads only pay
    off for large inputs (see csrc/cpu/pygrad_cpu.h); n = 1 threads every multi-row input
    (the tests use it to cover the parallel paths on small inputs)."""
    if n < 1:
        raise ValueError(f"set_parallel_min: expected n >= 1, got {n}")
    return pg_cpu_set_parallel_min(n)


# ----------------------------------------------------------------------------- checks

cdef inline int _dtype_code(cnp.ndarray a, str fn, str arg) except -1:
    cdef int t = cnp.PyArray_TYPE(a)
    if t == cnp.NPY_FLOAT32:
        return PG_F32
    if t == cnp.NPY_FLOAT64:
        return PG_F64
    raise TypeError(f"{fn}: {arg} must be float32 or float64, got {a.dtype}")


cdef inline cnp.ndarray _array(object a, str fn, str arg, bint writable=False):
    """a as an ndarray after checking it is one, C-contiguous, and writable if asked."""
    if not cnp.PyArray_Check(a):
        raise TypeError(f"{fn}: {arg} must be a numpy.ndarray, got {type(a).__name__}")
    cdef cnp.ndarray arr = <cnp.ndarray>a
    if not cnp.PyArray_IS_C_CONTIGUOUS(arr):
        raise ValueError(f"{fn}: {arg} must be C-contiguous")
    if writable and not cnp.PyArray_ISWRITEABLE(arr):
        raise ValueError(f"{fn}: {arg} must be writable (it is updated in place)")
    return arr


cdef inline cnp.ndarray _like(object a, cnp.ndarray ref, str fn, str arg, str ref_arg,
                              bint writable=False):
    """a checked like _array and to have ref's dtype and shape."""
    cdef cnp.ndarray arr = _array(a, fn, arg, writable)
    if cnp.PyArray_TYPE(arr) != cnp.PyArray_TYPE(ref):
        raise TypeError(f"{fn}: {arg} must have the dtype of {ref_arg} ({ref.dtype}), "
                        f"got {arr.dtype}")
    if not cnp.PyArray_SAMESHAPE(arr, ref):
        raise ValueError(f"{fn}: {arg} must have the shape of {ref_arg} {(<object>ref).shape}, "
                         f"got {(<object>arr).shape}")
    return arr


cdef inline cnp.ndarray _vector(object a, cnp.ndarray ref, Py_ssize_t n, str fn, str arg):
    """a checked like _array, of ref's dtype and shape (n,)."""
    cdef cnp.ndarray arr = _array(a, fn, arg)
    if cnp.PyArray_TYPE(arr) != cnp.PyArray_TYPE(ref):
        raise TypeError(f"{fn}: {arg} must have the dtype of the input ({ref.dtype}), "
                        f"got {arr.dtype}")
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"{fn}: {arg} must have shape ({n},), got {(<object>arr).shape}")
    return arr


cdef inline cnp.ndarray _empty_like(cnp.ndarray a):
    return cnp.PyArray_EMPTY(cnp.PyArray_NDIM(a), cnp.PyArray_DIMS(a), cnp.PyArray_TYPE(a), 0)


cdef inline void* _ptr(cnp.ndarray a):
    return cnp.PyArray_DATA(a) if a is not None else NULL


cdef inline int64_t _last_dim(cnp.ndarray a):
    return a.shape[a.ndim - 1] if a.ndim > 0 else 1


# ----------------------------------------------------------------------------- activations

def sigmoid_fwd(x):
    """y = σ(x) = 1/(1+exp(−x)) elementwise, any shape; exact 0/1 for large |x|."""
    cdef cnp.ndarray a = _array(x, "sigmoid", "x")
    cdef const pg_ops *k = pg_cpu_ops(_dtype_code(a, "sigmoid", "x"))
    cdef cnp.ndarray y = _empty_like(a)
    cdef int64_t n = cnp.PyArray_SIZE(a)
    with nogil:
        k.sigmoid_fwd(cnp.PyArray_DATA(a), cnp.PyArray_DATA(y), n)
    return y


def sigmoid_bwd(y, gy):
    """gx = gy·y·(1−y) elementwise; y and gy of one shape and dtype."""
    cdef cnp.ndarray a = _array(y, "sigmoid_bwd", "y")
    cdef const pg_ops *k = pg_cpu_ops(_dtype_code(a, "sigmoid_bwd", "y"))
    cdef cnp.ndarray g = _like(gy, a, "sigmoid_bwd", "gy", "y")
    cdef cnp.ndarray gx = _empty_like(a)
    cdef int64_t n = cnp.PyArray_SIZE(a)
    with nogil:
        k.sigmoid_bwd(cnp.PyArray_DATA(a), cnp.PyArray_DATA(g), cnp.PyArray_DATA(gx), n)
    return gx


cdef inline int _approximate(object approximate, str fn) except -1:
    if approximate == "none":
        return 0
    if approximate == "tanh":
        return 1
    raise ValueError(f"{fn}: approximate must be 'none' or 'tanh', got {approximate!r}")


def gelu_fwd(x, approximate="none"):
    """y = x·Φ(x) elementwise, any shape; approximate "tanh": x·(1 + tanh(√(2/π)·(x +
    0.044715·x³)))/2."""
    cdef cnp.ndarray a = _array(x, "gelu", "x")
    cdef const pg_ops *k = pg_cpu_ops(_dtype_code(a, "gelu", "x"))
    cdef int approx = _approximate(approximate, "gelu")
    cdef cnp.ndarray y = _empty_like(a)
    cdef int64_t n = cnp.PyArray_SIZE(a)
    with nogil:
        k.gelu_fwd(cnp.PyArray_DATA(a), cnp.PyArray_DATA(y), n, approx)
    return y


def gelu_bwd(x, gy, approximate="none"):
    """gx = gy·gelu'(x) elementwise, recomputed from the forward's input x; x and gy of one
    shape and dtype."""
    cdef cnp.ndarray a = _array(x, "gelu_bwd", "x")
    cdef const pg_ops *k = pg_cpu_ops(_dtype_code(a, "gelu_bwd", "x"))
    cdef cnp.ndarray g = _like(gy, a, "gelu_bwd", "gy", "x")
    cdef int approx = _approximate(approximate, "gelu_bwd")
    cdef cnp.ndarray gx = _empty_like(a)
    cdef int64_t n = cnp.PyArray_SIZE(a)
    with nogil:
        k.gelu_bwd(cnp.PyArray_DATA(a), cnp.PyArray_DATA(g), cnp.PyArray_DATA(gx), n, approx)
    return gx


# ----------------------------------------------------------------------------- softmax family
# Over the last axis; rows = size / C.

def softmax_fwd(x):
    """y = exp(x − max)/Σ exp(x − max) over the last axis."""
    cdef cnp.ndarray a = _array(x, "softmax", "x")
    cdef const pg_ops *k = pg_cpu_ops(_dtype_code(a, "softmax", "x"))
    cdef cnp.ndarray y = _empty_like(a)
    cdef int64_t c = _last_dim(a), rows = cnp.PyArray_SIZE(a) // c if c else 0
    with nogil:
        k.softmax_fwd(cnp.PyArray_DATA(a), cnp.PyArray_DATA(y), rows, c)
    return y


def softmax_bwd(y, gy):
    """gx = y·(gy − Σ y·gy) over the last axis."""
    cdef cnp.ndarray a = _array(y, "softmax_bwd", "y")
    cdef const pg_ops *k = pg_cpu_ops(_dtype_code(a, "softmax_bwd", "y"))
    cdef cnp.ndarray g = _like(gy, a, "softmax_bwd", "gy", "y")
    cdef cnp.ndarray gx = _empty_like(a)
    cdef int64_t c = _last_dim(a), rows = cnp.PyArray_SIZE(a) // c if c else 0
    with nogil:
        k.softmax_bwd(cnp.PyArray_DATA(a), cnp.PyArray_DATA(g), cnp.PyArray_DATA(gx), rows, c)
    return gx


def log_softmax_fwd(x):
    """y = x − max − log Σ exp(x − max) over the last axis."""
    cdef cnp.ndarray a = _array(x, "log_softmax", "x")
    cdef const pg_ops *k = pg_cpu_ops(_dtype_code(a, "log_softmax", "x"))
    cdef cnp.ndarray y = _empty_like(a)
    cdef int64_t c = _last_dim(a), rows = cnp.PyArray_SIZE(a) // c if c else 0
    with nogil:
        k.log_softmax_fwd(cnp.PyArray_DATA(a), cnp.PyArray_DATA(y), rows, c)
    return y


def log_softmax_bwd(y, gy):
    """gx = gy − exp(y)·Σ gy over the last axis."""
    cdef cnp.ndarray a = _array(y, "log_softmax_bwd", "y")
    cdef const pg_ops *k = pg_cpu_ops(_dtype_code(a, "log_softmax_bwd", "y"))
    cdef cnp.ndarray g = _like(gy, a, "log_softmax_bwd", "gy", "y")
    cdef cnp.ndarray gx = _empty_like(a)
    cdef int64_t c = _last_dim(a), rows = cnp.PyArray_SIZE(a) // c if c else 0
    with nogil:
        k.log_softmax_bwd(cnp.PyArray_DATA(a), cnp.PyArray_DATA(g), cnp.PyArray_DATA(gx),
                          rows, c)
    return gx


# ----------------------------------------------------------------------------- losses

def cross_entropy(x, target, weight=None, int64_t ignore_index=-100,
                  double label_smoothing=0.0, grad_scale=None):
    """Per-row softmax cross-entropy and, unless grad_scale is None, its scaled gradient.

    x (N, C) float, target (N,) int64, weight None or (C,) of x's dtype. Returns
    (loss (N,), grad (N, C) or None) with
    loss_i = (1−ε)·w_t·(−log p_it) + ε/C·Σ_c w_c·(−log p_ic)  (0 where t == ignore_index),
    grad = grad_scale·∂loss_i/∂x_i, computed in one pass over x.
    Raises IndexError naming the first target outside [0, C) that is not ignore_index.
    """
    cdef cnp.ndarray a = _array(x, "cross_entropy", "x")
    cdef const pg_ops *k = pg_cpu_ops(_dtype_code(a, "cross_entropy", "x"))
    if a.ndim != 2:
        raise ValueError(f"cross_entropy: x must be 2-D (N, C), got shape {(<object>a).shape}")
    cdef int64_t n = a.shape[0], c = a.shape[1]
    cdef cnp.ndarray t = _array(target, "cross_entropy", "target")
    if cnp.PyArray_TYPE(t) != cnp.NPY_INT64:
        raise TypeError(f"cross_entropy: target must be int64, got {t.dtype}")
    if t.ndim != 1 or t.shape[0] != n:
        raise ValueError(f"cross_entropy: target must have shape ({n},), got {(<object>t).shape}")
    cdef cnp.ndarray w = None
    if weight is not None:
        w = _vector(weight, a, c, "cross_entropy", "weight")
    cdef cnp.ndarray loss = cnp.PyArray_EMPTY(1, cnp.PyArray_DIMS(a), cnp.PyArray_TYPE(a), 0)
    cdef cnp.ndarray grad = None
    cdef double scale = 0.0
    if grad_scale is not None:
        scale = float(grad_scale)
        grad = _empty_like(a)
    cdef int64_t bad
    cdef void *wp = _ptr(w)
    cdef void *gp = _ptr(grad)
    with nogil:
        bad = k.cross_entropy(cnp.PyArray_DATA(a), <const int64_t *>cnp.PyArray_DATA(t), wp,
                              ignore_index, label_smoothing, scale, cnp.PyArray_DATA(loss), gp,
                              n, c)
    if bad >= 0:
        value = int(target[bad])
        raise IndexError(f"cross_entropy: target {value} is out of bounds for {c} classes "
                         f"(expected 0..{c - 1} or ignore_index={ignore_index})")
    return loss, grad


def bce_with_logits(x, y, pos_weight=None, grad_scale=None):
    """Elementwise binary cross-entropy on logits and, unless grad_scale is None, its gradient.

    x, y of one shape and dtype; pos_weight None or (C,) over the last axis. Returns
    (loss, grad or None) with loss = (1−y)·x − (1+(pw−1)·y)·logσ(x) and
    grad = grad_scale·((1−y) − (1+(pw−1)·y)·(1−σ(x))).
    """
    cdef cnp.ndarray a = _array(x, "bce_with_logits", "x")
    cdef const pg_ops *k = pg_cpu_ops(_dtype_code(a, "bce_with_logits", "x"))
    cdef cnp.ndarray b = _like(y, a, "bce_with_logits", "y", "x")
    cdef int64_t c = _last_dim(a), rows = cnp.PyArray_SIZE(a) // c if c else 0
    cdef cnp.ndarray pw = None
    if pos_weight is not None:
        pw = _vector(pos_weight, a, c, "bce_with_logits", "pos_weight")
    cdef cnp.ndarray loss = _empty_like(a)
    cdef cnp.ndarray grad = None
    cdef double scale = 0.0
    if grad_scale is not None:
        scale = float(grad_scale)
        grad = _empty_like(a)
    cdef void *pwp = _ptr(pw)
    cdef void *gp = _ptr(grad)
    with nogil:
        k.bce_with_logits(cnp.PyArray_DATA(a), cnp.PyArray_DATA(b), pwp, scale,
                          cnp.PyArray_DATA(loss), gp, rows, c)
    return loss, grad


# ----------------------------------------------------------------------------- layer norm
# Over rows of C consecutive elements: x of any shape whose size is a multiple of C (C: the
# last dim by default), seen as a (rows, C) matrix. y and gx keep x's shape (fresh arrays,
# not views), mean and rstd are (rows,).

cdef inline int64_t _row_length(cnp.ndarray a, object c, str fn) except -1:
    cdef int64_t n = cnp.PyArray_SIZE(a), cc
    if c is None:
        if a.ndim == 0:
            raise ValueError(f"{fn}: x must have at least one dimension, got a 0-d array")
        return a.shape[a.ndim - 1]
    cc = c
    if cc < 1 or n % cc:
        raise ValueError(f"{fn}: the row length c must be >= 1 and divide x's size {n}, "
                         f"got {cc}")
    return cc


def layer_norm_fwd(x, weight=None, bias=None, double eps=1e-5, c=None):
    """Layer norm of each row of x (rows of ``c`` elements, default the last dim); returns
    (y, mean, rstd): y of x's shape, mean and rstd (rows,), rstd = 1/√(var + eps) (biased
    variance) and y = (x − mean)·rstd·weight + bias; weight and bias None or (c,) of x's
    dtype."""
    cdef cnp.ndarray a = _array(x, "layer_norm", "x")
    cdef const pg_ops *k = pg_cpu_ops(_dtype_code(a, "layer_norm", "x"))
    cdef int64_t cols = _row_length(a, c, "layer_norm")
    cdef cnp.npy_intp rows = cnp.PyArray_SIZE(a) // cols if cols else 0
    cdef cnp.ndarray w = None, b = None
    if weight is not None:
        w = _vector(weight, a, cols, "layer_norm", "weight")
    if bias is not None:
        b = _vector(bias, a, cols, "layer_norm", "bias")
    cdef cnp.ndarray y = _empty_like(a)
    cdef cnp.ndarray mean = cnp.PyArray_EMPTY(1, &rows, cnp.PyArray_TYPE(a), 0)
    cdef cnp.ndarray rstd = cnp.PyArray_EMPTY(1, &rows, cnp.PyArray_TYPE(a), 0)
    cdef void *wp = _ptr(w)
    cdef void *bp = _ptr(b)
    with nogil:
        k.layer_norm_fwd(cnp.PyArray_DATA(a), wp, bp, cnp.PyArray_DATA(y),
                         cnp.PyArray_DATA(mean), cnp.PyArray_DATA(rstd), rows, cols, eps)
    return y, mean, rstd


def layer_norm_bwd(x, gy, weight, mean, rstd, bint need_x=True, bint need_weight=False,
                   bint need_bias=False, c=None):
    """Gradients of ``layer_norm_fwd`` from its saved mean and rstd: returns (gx, gw, gb),
    each None unless asked for; gx has x's shape, gw and gb are (c,). With x̂ = (x − mean)·rstd
    and g = gy·weight: gx = rstd·(g − mean(g) − x̂·mean(g·x̂)) over each row,
    gw = Σ_rows gy·x̂, gb = Σ_rows gy. gw and gb are the same for any thread count."""
    cdef cnp.ndarray a = _array(x, "layer_norm_bwd", "x")
    cdef const pg_ops *k = pg_cpu_ops(_dtype_code(a, "layer_norm_bwd", "x"))
    cdef cnp.ndarray g = _like(gy, a, "layer_norm_bwd", "gy", "x")
    cdef int64_t cols = _row_length(a, c, "layer_norm_bwd")
    cdef int64_t rows = cnp.PyArray_SIZE(a) // cols if cols else 0
    cdef cnp.ndarray w = None
    if weight is not None:
        w = _vector(weight, a, cols, "layer_norm_bwd", "weight")
    cdef cnp.ndarray m = _vector(mean, a, rows, "layer_norm_bwd", "mean")
    cdef cnp.ndarray r = _vector(rstd, a, rows, "layer_norm_bwd", "rstd")
    cdef cnp.ndarray gx = _empty_like(a) if need_x else None
    cdef cnp.npy_intp cdim = cols
    cdef cnp.ndarray gw = cnp.PyArray_EMPTY(1, &cdim, cnp.PyArray_TYPE(a), 0) if need_weight \
        else None
    cdef cnp.ndarray gb = cnp.PyArray_EMPTY(1, &cdim, cnp.PyArray_TYPE(a), 0) if need_bias \
        else None
    cdef void *wp = _ptr(w)
    cdef void *gxp = _ptr(gx)
    cdef void *gwp = _ptr(gw)
    cdef void *gbp = _ptr(gb)
    cdef int status
    with nogil:
        status = k.layer_norm_bwd(cnp.PyArray_DATA(a), cnp.PyArray_DATA(g), wp,
                                  cnp.PyArray_DATA(m), cnp.PyArray_DATA(r), gxp, gwp, gbp,
                                  rows, cols)
    if status != 0:
        raise MemoryError(f"layer_norm_bwd: no memory for the weight/bias partial sums "
                          f"({rows}x{cols})")
    return gx, gw, gb


# ----------------------------------------------------------------------------- optimizers
# In place, one call per parameter, the formulas of reference.py (torch.optim).

cdef inline cnp.ndarray _state(object a, cnp.ndarray p, bint needed, str fn, str arg):
    if a is None:
        if needed:
            raise ValueError(f"{fn}: {arg} is required with these options, got None")
        return None
    return _like(a, p, fn, arg, "p", True)


def sgd_step(p, g, buf, double lr, double momentum=0.0, double dampening=0.0,
             bint nesterov=False, double weight_decay=0.0, bint maximize=False,
             bint first=False):
    """SGD with momentum/dampening/nesterov/weight decay; buf is None when momentum == 0."""
    cdef cnp.ndarray pa = _array(p, "sgd_step", "p", True)
    cdef const pg_ops *k = pg_cpu_ops(_dtype_code(pa, "sgd_step", "p"))
    cdef cnp.ndarray ga = _like(g, pa, "sgd_step", "g", "p")
    cdef cnp.ndarray ba = _state(buf, pa, momentum != 0.0, "sgd_step", "buf")
    cdef int64_t n = cnp.PyArray_SIZE(pa)
    cdef void *bp = _ptr(ba)
    with nogil:
        k.sgd_step(cnp.PyArray_DATA(pa), cnp.PyArray_DATA(ga), bp, n, lr, momentum,
                   dampening, nesterov, weight_decay, maximize, first)


def adagrad_step(p, g, state_sum, step, double lr, double lr_decay=0.0,
                 double weight_decay=0.0, double eps=1e-10, bint maximize=False):
    """Adagrad: clr = lr/(1+(step−1)·lr_decay); sum += g²; p −= clr·g/(√sum + eps)."""
    cdef cnp.ndarray pa = _array(p, "adagrad_step", "p", True)
    cdef const pg_ops *k = pg_cpu_ops(_dtype_code(pa, "adagrad_step", "p"))
    cdef cnp.ndarray ga = _like(g, pa, "adagrad_step", "g", "p")
    cdef cnp.ndarray sa = _state(state_sum, pa, True, "adagrad_step", "state_sum")
    cdef double clr = lr / (1 + (step - 1) * lr_decay)
    cdef int64_t n = cnp.PyArray_SIZE(pa)
    with nogil:
        k.adagrad_step(cnp.PyArray_DATA(pa), cnp.PyArray_DATA(ga), cnp.PyArray_DATA(sa), n,
                       clr, weight_decay, eps, maximize)


def rmsprop_step(p, g, square_avg, grad_avg, buf, double lr, double alpha=0.99,
                 double eps=1e-8, double weight_decay=0.0, double momentum=0.0,
                 bint centered=False, bint maximize=False):
    """RMSprop; grad_avg is None unless centered, buf None unless momentum != 0."""
    cdef cnp.ndarray pa = _array(p, "rmsprop_step", "p", True)
    cdef const pg_ops *k = pg_cpu_ops(_dtype_code(pa, "rmsprop_step", "p"))
    cdef cnp.ndarray ga = _like(g, pa, "rmsprop_step", "g", "p")
    cdef cnp.ndarray sq = _state(square_avg, pa, True, "rmsprop_step", "square_avg")
    cdef cnp.ndarray gavg = _state(grad_avg, pa, centered, "rmsprop_step", "grad_avg")
    cdef cnp.ndarray ba = _state(buf, pa, momentum != 0.0, "rmsprop_step", "buf")
    cdef int64_t n = cnp.PyArray_SIZE(pa)
    cdef void *gap = _ptr(gavg)
    cdef void *bp = _ptr(ba)
    with nogil:
        k.rmsprop_step(cnp.PyArray_DATA(pa), cnp.PyArray_DATA(ga), cnp.PyArray_DATA(sq), gap, bp, n, lr, alpha, eps, weight_decay, momentum,
                       centered, maximize)


def adam_step(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step, double lr, double beta1=0.9,
              double beta2=0.999, double eps=1e-8, double weight_decay=0.0,
              bint decoupled=False, bint amsgrad=False, bint maximize=False):
    """Adam/AdamW (decoupled) with amsgrad; step counts from 1; max_exp_avg_sq None unless
    amsgrad. p −= lr/(1−β1^t)·m/(√v/√(1−β2^t) + eps)."""
    cdef cnp.ndarray pa = _array(p, "adam_step", "p", True)
    cdef const pg_ops *k = pg_cpu_ops(_dtype_code(pa, "adam_step", "p"))
    cdef cnp.ndarray ga = _like(g, pa, "adam_step", "g", "p")
    cdef cnp.ndarray m = _state(exp_avg, pa, True, "adam_step", "exp_avg")
    cdef cnp.ndarray v = _state(exp_avg_sq, pa, True, "adam_step", "exp_avg_sq")
    cdef cnp.ndarray vmax = _state(max_exp_avg_sq, pa, amsgrad, "adam_step", "max_exp_avg_sq")
    cdef double step_size = lr / (1 - beta1 ** step)
    cdef double bc2_sqrt = math.sqrt(1 - beta2 ** step)
    cdef double decay = 1 - lr * weight_decay
    cdef int64_t n = cnp.PyArray_SIZE(pa)
    cdef void *vmp = _ptr(vmax)
    with nogil:
        k.adam_step(cnp.PyArray_DATA(pa), cnp.PyArray_DATA(ga), cnp.PyArray_DATA(m),
                    cnp.PyArray_DATA(v), vmp, n, step_size, beta1, beta2, bc2_sqrt, eps,
                    weight_decay, decoupled, decay, amsgrad, maximize)


def adam_step_multi(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, step, double lr,
                    double beta1=0.9, double beta2=0.999, double eps=1e-8,
                    double weight_decay=0.0, bint decoupled=False, bint amsgrad=False,
                    bint maximize=False):
    """``adam_step`` on every parameter of a step in one call: each tensor is checked as
    there, then all are updated in one loop without the GIL (the multi-tensor step)."""
    cdef Py_ssize_t n = len(params), i
    if n == 0:
        return
    # the arrays stay referenced by the lists below while the loop runs
    cdef list pa = [], ga = [], ma = [], va = [], xa = []
    cdef cnp.ndarray a
    for i in range(n):
        a = _array(params[i], "adam_step", "p", True)
        pa.append(a)
        ga.append(_like(grads[i], a, "adam_step", "g", "p"))
        ma.append(_state(exp_avgs[i], a, True, "adam_step", "exp_avg"))
        va.append(_state(exp_avg_sqs[i], a, True, "adam_step", "exp_avg_sq"))
        xa.append(_state(max_exp_avg_sqs[i], a, amsgrad, "adam_step", "max_exp_avg_sq"))
    cdef const pg_ops *k = pg_cpu_ops(_dtype_code(pa[0], "adam_step", "p"))
    for i in range(1, n):
        if k != pg_cpu_ops(_dtype_code(pa[i], "adam_step", "p")):
            raise TypeError("adam_step_multi: every parameter must have the same dtype")
    cdef double step_size = lr / (1 - beta1 ** step)
    cdef double bc2_sqrt = math.sqrt(1 - beta2 ** step)
    cdef double decay = 1 - lr * weight_decay
    cdef void **ptrs = <void **>malloc(5 * n * sizeof(void *))
    cdef int64_t *sizes = <int64_t *>malloc(n * sizeof(int64_t))
    if ptrs == NULL or sizes == NULL:
        free(ptrs)
        free(sizes)
        raise MemoryError("adam_step_multi: no memory for the parameter table")
    for i in range(n):
        ptrs[5 * i] = cnp.PyArray_DATA(<cnp.ndarray>pa[i])
        ptrs[5 * i + 1] = cnp.PyArray_DATA(<cnp.ndarray>ga[i])
        ptrs[5 * i + 2] = cnp.PyArray_DATA(<cnp.ndarray>ma[i])
        ptrs[5 * i + 3] = cnp.PyArray_DATA(<cnp.ndarray>va[i])
        ptrs[5 * i + 4] = _ptr(xa[i])
        sizes[i] = cnp.PyArray_SIZE(<cnp.ndarray>pa[i])
    with nogil:
        for i in range(n):
            k.adam_step(ptrs[5 * i], ptrs[5 * i + 1], ptrs[5 * i + 2], ptrs[5 * i + 3],
                        ptrs[5 * i + 4], sizes[i], step_size, beta1, beta2, bc2_sqrt, eps,
                        weight_decay, decoupled, decay, amsgrad, maximize)
    free(ptrs)
    free(sizes)


def erf(x, bint complement=False):
    """erf (complement: erfc) of each element of a float64 array, by the C library (within
    about an ulp), without the GIL; any shape."""
    cdef cnp.ndarray a = np.ascontiguousarray(x, dtype=np.float64)
    cdef cnp.ndarray out = np.empty_like(a)
    cdef const double *src = <const double *>cnp.PyArray_DATA(a)
    cdef double *dst = <double *>cnp.PyArray_DATA(out)
    cdef int64_t i, n = cnp.PyArray_SIZE(a)
    with nogil:
        if complement:
            for i in range(n):
                dst[i] = c_erfc(src[i])
        else:
            for i in range(n):
                dst[i] = c_erf(src[i])
    return out
