"""Losses with torch's arguments and semantics.

``cross_entropy`` with integer targets and ``binary_cross_entropy_with_logits`` run one fused
kernel: the forward writes the loss AND the gradient, and the backward only scales the saved
gradient (not at all when the upstream gradient is the implicit 1 of ``loss.backward()``).
When a differentiable backward is requested (``create_graph=True``) they fall back to torch's
formulas written in Tensor ops.

torch is the reference at the edges too: ignored rows are selected away (never 0·inf), the
backward of BCE and MSE is an op of its own carrying torch's double-backward formulas, and
every bad argument raises the exception class torch raises for the same call.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..autograd.engine import grad as autograd_grad
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from .activation import log_softmax, logsigmoid
from .dtypes import UnsupportedDtypeError
from .math import where

_REDUCTIONS = ("none", "mean", "sum")


# The exception classes follow torch's for the same call. Where torch raises RuntimeError
# (or NotImplementedError) and pygrad used to raise ValueError or TypeError, the class derives
# from both, so `except RuntimeError` and the older `except ValueError` both catch it.

class InvalidArgumentError(RuntimeError, ValueError):
    """A bad shape or value that torch reports with RuntimeError."""


class DtypeError(RuntimeError, TypeError):
    """A target or weight dtype that torch refuses with RuntimeError."""




def _check_reduction(reduction, what):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{what}: reduction must be 'none', 'mean' or 'sum', got "
                         f"{reduction!r}")


def _check_tensor(x, name, what):
    from ..tensor import Tensor
    if not isinstance(x, Tensor):
        raise TypeError(f"{what}: expected {name} to be a Tensor, got {type(x).__name__}")


def _check_float_input(input, what):  # noqa: A002
    if input.dtype.kind != "f":
        raise UnsupportedDtypeError(f"{what}: not implemented for input of dtype "
                                    f"{input.dtype} (expected floating point)")


def _check_args(input, target, reduction, what):  # noqa: A002
    """The checks every loss starts with: Tensors, a known reduction, one device."""
    _check_tensor(input, "input", what)
    _check_tensor(target, "target", what)
    _check_reduction(reduction, what)
    if target.device is not input.device:
        raise RuntimeError(f"{what}: input is on {input.device} but target is on "
                           f"{target.device}")


def _check_same_shape(input, target, what):  # noqa: A002
    if target.shape != input.shape:         # torch: ValueError for BCE and BCE-with-logits
        raise ValueError(f"{what}: target size {tuple(target.shape)} must be the same as "
                         f"input size {tuple(input.shape)}")


def _check_not_differentiable(t, name, what):
    if t.requires_grad and is_grad_enabled():
        raise InvalidArgumentError(f"{what}: not differentiable with respect to argument "
                                   f"'{name}'; pass {name}.detach() (torch refuses it too)")


def _elementwise_weight(t, name, input, what):  # noqa: A002
    """``weight`` / ``pos_weight`` of an elementwise loss: a Tensor broadcasting to the
    input's shape (never enlarging it), in the input's dtype (integers accepted, as torch)."""
    _check_tensor(t, name, what)
    try:
        fits = input.backend.xp.broadcast_shapes(t.shape, input.shape) == input.shape
    except ValueError:
        fits = False
    if not fits:
        raise InvalidArgumentError(f"{what}: {name} of shape {tuple(t.shape)} must broadcast "
                                   f"to the input's shape {tuple(input.shape)}")
    return t if t.dtype == input.dtype else t.to(input.dtype)


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


# ----------------------------------------------------------------------------- cross-entropy

class CrossEntropy(Function):
    """Softmax + negative log-likelihood over rows of x (N, C) with integer targets (N,)."""

    def __init__(self, weight, ignore_index, label_smoothing, reduction):
        self.weight, self.ignore_index = weight, ignore_index
        self.label_smoothing, self.reduction = label_smoothing, reduction

    def forward(self, x, target):
        xp = self.backend.xp
        keep = target != self.ignore_index
        # the common case on the cpu, in host numbers: a mean over unweighted rows
        host_mean = xp is np and self.weight is None and self.reduction == "mean"
        if host_mean:
            kept = int(np.count_nonzero(keep))
            total = x.dtype.type(kept)
            scale = 1.0 / kept if kept else 0.0       # nothing kept: no gradient at all
        elif self.reduction == "mean":
            # the mean divides by the summed weight of the kept targets; the kernel checks
            # the labels, so index the weights with out-of-range targets clipped here. The
            # weights of ignored rows are selected away, not multiplied by 0 (an inf weight
            # would give NaN). The total may be negative (negative weights). When it is 0 the
            # gradient is 0 if every target is ignored, and NaN (torch's 0·∞) if some target
            # is kept with weight 0 — decided on the device, without a host sync.
            if self.weight is None:
                total = keep.sum().astype(x.dtype)
            else:
                t = xp.clip(xp.where(keep, target, 0), 0, x.shape[1] - 1)
                total = xp.where(keep, self.weight[t], 0).sum().astype(x.dtype)
            nonzero = total != 0
            scale = xp.where(nonzero, 1 / xp.where(nonzero, total, 1),
                             xp.where(keep.any(), np.nan, total)).astype(x.dtype)
        else:
            scale = 1.0
        need_grad = bool(self.needs_input_grad) and self.needs_input_grad[0]
        loss, self.grad = self.backend.cross_entropy(
            x, target, self.weight, self.ignore_index, self.label_smoothing,
            scale if need_grad else None)
        if need_grad:
            self.keep = keep
            if x.shape[1] and xp is np and not (host_mean and kept == len(keep)):
                _nan_rows_of_ignored(x, keep, self.grad)
        if host_mean:
            return loss.sum() / total if kept else np.asarray(np.nan, dtype=x.dtype)
        if self.reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):   # all ignored: nan, as torch
                out = loss.sum() / total
            if self.label_smoothing and self.weight is not None:
                # torch divides the nll and the smoothing sums by the total separately: when
                # every kept target has weight 0 the nll term is 0/0, so the mean is NaN
                wabs = xp.where(keep, xp.abs(self.weight[t]), 0).sum()
                out = xp.where(wabs == 0, np.nan, out).astype(x.dtype)
            return out
        if self.reduction == "sum":
            return loss.sum()
        return loss

    def backward(self, gy):
        from ..tensor import Tensor
        x, target = self.inputs
        if is_grad_enabled():          # create_graph: a backward that is itself differentiable
            with enable_grad():
                y = _cross_entropy_composite(x, target, self.weight, self.ignore_index,
                                             self.label_smoothing, self.reduction)
                return autograd_grad(y, x, gy, create_graph=True)[0], None
        g = self.grad
        if gy._unit:
            return Tensor._make(g, x.device), None
        # torch's chain (nll's gradient, then log_softmax's backward) never multiplies an
        # ignored row by the upstream gradient, and with a ±inf or NaN upstream gradient
        # forms ∞ − ∞ = NaN at the target (in the whole row with label smoothing): select
        # the rows, and add 0·gy (0, or NaN) where torch has that NaN
        xp = self.backend.xp
        f = xp.where(self.keep, gy._data, 0).astype(g.dtype, copy=False)
        g = g * f[:, None]
        with np.errstate(invalid="ignore"):
            z = f * 0
        if self.label_smoothing:
            g += z[:, None]
        else:
            # (clipped: on a GPU an out-of-range target is reported later, not raised here)
            idx = xp.clip(xp.where(self.keep, target._data, 0), 0, max(x.shape[1] - 1, 0))
            g[xp.arange(g.shape[0]), idx] += z
        return Tensor._make(g, x.device), None


def _nan_rows_of_ignored(x, keep, grad):
    """torch's gradient of an ignored row is 0·softmax(row): NaN across the row when its
    softmax is NaN (a NaN or +inf logit, or every logit −inf), else 0. The kernels write 0;
    the row's max tells the two apart. Only the ignored rows are read. The cpu only: on a
    GPU this would be a second pass over every logit, so there such rows keep gradient 0."""
    ign = np.flatnonzero(~keep)
    if ign.size:
        grad[ign[~np.isfinite(x[ign].max(axis=1))]] = np.nan


def _cross_entropy_composite(x, target, weight, ignore_index, eps, reduction):
    """The fused kernel's math in Tensor ops (used for higher-order gradients)."""
    from ..tensor import Tensor
    xp = x.backend.xp
    n, c = x.shape
    keep_a = target._data != ignore_index
    t = xp.where(keep_a, target._data, 0)
    w = xp.ones(c, dtype=x.dtype) if weight is None else weight
    wt = xp.where(keep_a, w[t], 0).astype(x.dtype)
    keep = Tensor._make(keep_a, x.device)
    with np.errstate(invalid="ignore", divide="ignore"):
        logp = log_softmax(x, 1)
        picked = logp[Tensor._make(xp.arange(n), x.device), Tensor._make(t, x.device)]
        loss = -(1 - eps) * picked * Tensor._make(wt, x.device)
        if eps:
            loss = loss - (eps / c) * (logp * Tensor._make(w, x.device)).sum(1)
        loss = where(keep, loss, 0.0)          # an ignored row: 0, whatever its logits
        if reduction == "mean":
            return loss.sum() / Tensor._make(wt.sum(), x.device)
        return loss.sum() if reduction == "sum" else loss


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",  # noqa: A002
                  label_smoothing=0.0):
    """Softmax cross-entropy between logits and targets (``torch.nn.functional.cross_entropy``).

    Args:
        input: logits (N, C) or (N, C, d1, ...) — or (C,) for a single sample.
        target: class indices (N,) / (N, d1, ...) of an integer dtype, or class
            probabilities of the input's shape (a target of the input's shape is always
            read as probabilities, as torch).
        weight: optional (C,) rescaling of each class.
        ignore_index: target value that contributes neither loss nor gradient (indices only).
        reduction: 'none' | 'mean' (divided by the summed weight of non-ignored targets) | 'sum'.
        label_smoothing: ε ≤ 1; the target becomes (1−ε)·one_hot + ε/C (ε ≤ 0 or NaN: none).
    Returns:
        The loss: a scalar, or per-sample losses of the target's shape for 'none'.

    ``loss_i = (1−ε)·w_t·(−log p_it) + ε/C·Σ_c w_c·(−log p_ic)`` with p = softmax(input).
    """
    what = "cross_entropy"
    _check_args(input, target, reduction, what)
    if label_smoothing > 1.0:
        raise InvalidArgumentError(f"{what}: label_smoothing must be between 0.0 and 1.0, got "
                                   f"{label_smoothing}")
    eps = float(label_smoothing) if label_smoothing > 0.0 else 0.0   # torch skips ≤ 0 and NaN
    if target.shape == input.shape:
        return _cross_entropy_probs(input, target, weight, reduction, eps)
    if input.ndim == 0:                 # torch: log_softmax over dim 1 of a scalar
        raise IndexError(f"{what}: input must have at least 1 dimension (C,) or (N, C), "
                         f"got a scalar")
    _check_float_input(input, what)
    x, t, w, batch_shape = _class_inputs(input, target, weight, what)
    if x.shape[0] == 0 and reduction == "mean":
        return (x.sum() * float("nan"))
    if x.shape[1] == 0:
        # no classes: every target is ignored (else IndexError); each row's loss is 0, or
        # NaN with label smoothing (torch's 0·(ε/C) = 0·inf); the mean is 0/0 = NaN
        from ..backend.reference import check_targets
        check_targets(t._data, 0, ignore_index, what)
        loss = x.sum(1) + (float("nan") if eps else 0.0)
        if reduction == "none":
            return loss.reshape(batch_shape)
        return loss.sum() + (float("nan") if reduction == "mean" else 0.0)
    loss = CrossEntropy(w, int(ignore_index), eps, reduction)(x, t)
    if reduction == "none":
        loss = loss.reshape(batch_shape)
    return loss


def _class_inputs(input, target, weight, what):  # noqa: A002
    """Validate (input, target, weight) of a loss over class indices and bring the class dim
    last: returns x (M, C), t (M,) int64, the weight array (C,) or None, and the batch shape
    the per-sample losses take. The exception classes are torch's for the same call."""
    from ..tensor import Tensor
    if input.ndim == 0:
        raise ValueError(f"{what}: input must have at least 1 dimension (C,) or (N, C), "
                         f"got a scalar")
    tshape, ishape = tuple(target.shape), tuple(input.shape)
    if input.ndim == 1:
        c, batch_shape = ishape[0], ()
        if target.ndim > 1:
            raise InvalidArgumentError(f"{what}: for input of shape {ishape} expected a "
                                       f"0-D or 1-D target, got shape {tshape}")
        if target.ndim == 1 and tshape != (1,):
            raise ValueError(f"{what}: for input of shape {ishape} expected a scalar target "
                             f"or one of shape (1,), got shape {tshape}")
    else:
        c, batch_shape = ishape[1], (ishape[0],) + ishape[2:]
        if target.ndim == 0 or tshape[0] != ishape[0]:
            raise ValueError(f"{what}: expected target of shape {batch_shape} for input of "
                             f"shape {ishape}, got {tshape} (the batch sizes differ)")
        if tshape != batch_shape:
            raise InvalidArgumentError(f"{what}: expected target of shape {batch_shape} for "
                                       f"input of shape {ishape}, got {tshape}")
    if target.dtype.kind not in "iu":
        raise DtypeError(f"{what}: expected target of dtype int64 (class indices)"
                         + (" or a floating-point target of the input's shape (class "
                            "probabilities)" if what == "cross_entropy" else "")
                         + f", got {target.dtype}")
    w = None
    if weight is not None:
        _check_tensor(weight, "weight", what)
        if tuple(weight.shape) != (c,):
            raise InvalidArgumentError(f"{what}: weight must have shape ({c},) (one per "
                                       f"class), got {tuple(weight.shape)}")
        if weight.dtype.kind != "f":
            raise DtypeError(f"{what}: expected weight of a floating-point dtype, got "
                             f"{weight.dtype}")
        _check_not_differentiable(weight, "weight", what)
        w = weight._data.astype(input.dtype, copy=False)
    if input.ndim == 1:
        x = input.unsqueeze(0)
    else:
        x = input if input.ndim == 2 else input.movedim(1, -1).reshape(-1, c)
    t = target.reshape(-1)
    if t.dtype != "int64":
        t = Tensor._make(t._data.astype("int64"), t.device)
    return x, t, w, batch_shape


def _cross_entropy_probs(input, target, weight, reduction, eps):  # noqa: A002
    what = "cross_entropy"
    if target.dtype.kind != "f":
        raise DtypeError(f"{what}: a target of the input's shape holds class probabilities "
                         f"and must be floating point, got {target.dtype}")
    if input.ndim == 0:
        raise IndexError(f"{what}: input must have at least 1 dimension (C,) or (N, C), "
                         f"got a scalar")
    _check_float_input(input, what)
    dim = 0 if input.ndim == 1 else 1
    c = input.shape[dim]
    if weight is not None:
        _check_tensor(weight, "weight", what)
        if tuple(weight.shape) != (c,):
            raise InvalidArgumentError(f"{what}: weight must have shape ({c},) (one per "
                                       f"class), got {tuple(weight.shape)}")
        if weight.dtype != input.dtype:           # integers accepted here, as torch
            weight = weight.to(input.dtype)
    logp = log_softmax(input, dim)
    # with no classes ε/C is inf, as torch (the tensor it is added to is empty)
    y = target * (1 - eps) + (eps / c if c else float("inf")) if eps else target
    if weight is not None:
        shape = [1] * input.ndim
        shape[dim] = c
        y = y * weight.reshape(shape)
    loss = -(logp * y).sum(dim)
    if reduction == "mean":
        # torch divides by numel / C: the number of samples, NaN with no classes
        with np.errstate(invalid="ignore", divide="ignore"):
            return loss.sum() / (input._data.size / c if c else float("nan"))
    return _reduce(loss, reduction)


class NLLLoss(Function):
    """−w_t·x[i, t_i] over rows of x (M, C); ignored rows are selected away, so their values
    (−inf included) never meet the arithmetic and their gradient is exactly 0."""

    def __init__(self, weight, ignore_index, reduction):
        self.weight, self.ignore_index, self.reduction = weight, ignore_index, reduction

    def forward(self, x, target):
        xp = self.backend.xp
        m, c = x.shape
        self.keep = keep = target != self.ignore_index
        self.idx = xp.where(keep, target, 0)
        if c == 0:                      # no classes: every target is ignored (else IndexError)
            self.wt = loss = xp.zeros(m, dtype=x.dtype)
        else:
            w = xp.ones(c, dtype=x.dtype) if self.weight is None else self.weight
            self.wt = xp.where(keep, w[self.idx], 0).astype(x.dtype, copy=False)
        with np.errstate(invalid="ignore", divide="ignore"):
            if c:
                # a kept −inf with weight 0 is NaN, as torch; an ignored row is 0
                loss = xp.where(keep, -x[xp.arange(m), self.idx] * self.wt, 0).astype(x.dtype)
            if self.reduction == "none":
                return loss
            self.total = self.wt.sum()
            # the mean divides by the summed weight whatever its sign: 0/0 = NaN when all
            # targets are ignored, as torch
            return loss.sum() / self.total if self.reduction == "mean" else loss.sum()

    def backward(self, gy):
        # torch: gx[i, t_i] = w_t·(−gy / total) for the mean, w_t·(−gy_i) for 'none', written
        # into zeros by selection: an inf or NaN upstream gradient stays off the other entries
        from ..tensor import Tensor
        x = self.inputs[0]
        xp = self.backend.xp
        m, c = x.shape
        mask = xp.zeros((m, c), dtype=bool)
        if c:
            mask[xp.arange(m), self.idx] = self.keep
        wt = Tensor._make(self.wt.reshape(m, 1), x.device)
        with np.errstate(invalid="ignore", divide="ignore"):
            if self.reduction == "none":
                g = wt * -gy.reshape(m, 1)
            elif self.reduction == "mean":
                g = wt * -(gy / Tensor._make(self.total, x.device))
            else:
                g = wt * -gy
            return where(Tensor._make(mask, x.device), g, 0.0), None


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):  # noqa: A002
    """Negative log-likelihood of log-probabilities ``input`` — (C,), (N, C) or
    (N, C, d1, ...) — at integer ``target``; 'mean' divides by the summed weight of the
    non-ignored targets (NaN when all are ignored, with a zero gradient), as torch.
    Ignored rows contribute exactly 0, even when they hold −inf."""
    from ..backend.reference import check_targets
    what = "nll_loss"
    _check_args(input, target, reduction, what)
    x, t, w, batch_shape = _class_inputs(input, target, weight, what)
    _check_float_input(input, what)               # after the shape checks, as torch
    check_targets(t._data, x.shape[1], ignore_index, what)
    loss = NLLLoss(w, int(ignore_index), reduction)(x, t)
    return loss.reshape(batch_shape) if reduction == "none" else loss


# ----------------------------------------------------------------------------- binary

class BCEWithLogits(Function):
    """Sigmoid + binary cross-entropy on logits, one fused pass (loss and gradient), times an
    optional weight. The gradients are torch's formulas: the target's is
    −x·gy (with pos_weight: (logσ(−x) − pw·logσ(x))·gy), times the weight, / numel for the
    mean; weight and pos_weight are constants, as in torch."""

    def __init__(self, pos_weight, reduction):
        self.pos_weight, self.reduction = pos_weight, reduction

    def forward(self, x, y, w=None):
        need_grad = bool(self.needs_input_grad) and self.needs_input_grad[0]
        scale = 1.0 / x.size if self.reduction == "mean" and x.size else 1.0
        shape = x.shape
        if x.ndim == 0:                 # the kernels take at least one axis
            x, y = x.reshape(1), y.reshape(1)
        loss, grad = self.backend.bce_with_logits(x, y, self.pos_weight,
                                                  scale if need_grad else None)
        loss = loss.reshape(shape)
        self.grad = None if grad is None else grad.reshape(shape)
        if w is not None:
            loss = loss * w
        if self.reduction == "mean":
            return loss.mean() if loss.size else loss.sum() * np.nan   # empty: NaN, no warning
        return loss.sum() if self.reduction == "sum" else loss

    def backward(self, gy):
        from ..tensor import Tensor
        x, y = self.inputs[0], self.inputs[1]
        w = self.inputs[2] if len(self.inputs) == 3 else None
        nx, ny = self.needs_input_grad[0], self.needs_input_grad[1]
        pw = None if self.pos_weight is None else Tensor._make(self.pos_weight, x.device)
        n = x._data.size
        gx = gt = None
        if nx and is_grad_enabled():
            # create_graph: torch's backward in Tensor ops, so the double backward is torch's
            s = x.sigmoid()
            if pw is None:
                gx = s - y
            else:
                t = pw * y
                gx = (t + 1 - y) * s - t
            gx = gx * gy
            if w is not None:
                gx = gx * w
            if self.reduction == "mean":
                gx = gx / n
        elif nx:
            g = self.grad                 # (σ(x) − y)·scale and so on, from the forward
            if self.reduction == "none" or not gy._unit:
                g = g * gy._data
            if w is not None:
                g = g * w._data
            gx = Tensor._make(g, x.device)
        if ny:
            gt = -x * gy if pw is None else (logsigmoid(-x) - logsigmoid(x) * pw) * gy
            if w is not None:
                gt = gt * w
            if self.reduction == "mean":
                gt = gt / n
        return (gx, gt) if w is None else (gx, gt, None)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean",  # noqa: A002
                                     pos_weight=None):
    """Binary cross-entropy on logits, computed stably:
    ``(1−y)·x − (1+(pw−1)·y)·logσ(x)``, times ``weight``, reduced.

    Args:
        input: logits, any shape. target: same shape, values in [0, 1].
        weight: broadcastable to input; pos_weight: broadcastable to input (usually (C,)).
            Both are constants: one that requires grad is refused, as torch.
    """
    what = "binary_cross_entropy_with_logits"
    _check_args(input, target, reduction, what)
    _check_same_shape(input, target, what)
    _check_float_input(input, what)
    if target.dtype.kind != "f":
        raise DtypeError(f"{what}: expected a floating-point target, got {target.dtype}")
    if target.dtype != input.dtype:
        target = target.to(input.dtype)
    pw = None
    if pos_weight is not None:
        pos_weight = _elementwise_weight(pos_weight, "pos_weight", input, what)
        _check_not_differentiable(pos_weight, "pos_weight", what)
        pw = pos_weight._data
    if weight is None:
        return BCEWithLogits(pw, reduction)(input, target)
    weight = _elementwise_weight(weight, "weight", input, what)
    _check_not_differentiable(weight, "weight", what)
    return BCEWithLogits(pw, reduction)(input, target, weight)


# torch's floor of (1 − x)·x in the BCE gradient: the float 1e-12, also in double
_BCE_EPS = float(np.float32(1e-12))


class BCE(Function):
    """Binary cross-entropy on probabilities; log clamped at −100 as torch."""

    def __init__(self, reduction):
        self.reduction = reduction

    def forward(self, x, y, w=None):
        xp = self.backend.xp
        with np.errstate(divide="ignore"):         # log(0) = -inf, clamped to -100 as torch
            lx = xp.maximum(xp.log(x), -100)
            l1x = xp.maximum(xp.log1p(-x), -100)
        loss = (y - 1) * l1x - y * lx               # torch's order of operations
        if w is not None:
            loss = loss * w
        if self.reduction == "mean":
            return loss.mean() if loss.size else loss.sum() * np.nan   # empty: NaN, no warning
        return loss.sum() if self.reduction == "sum" else loss

    def backward(self, gy):
        # torch's formulas and order: the gradient, times the weight, then / numel for the
        # mean. The target's gradient is −logit(x), not clamped: ±inf at x = 0 or 1. Each is
        # an op of its own, so that the double backward is torch's too.
        x, y = self.inputs[0], self.inputs[1]
        w = self.inputs[2] if len(self.inputs) == 3 else None
        nx, ny = self.needs_input_grad[0], self.needs_input_grad[1]
        gx = gt = None
        if nx:
            gx = BCEInputGrad(self.reduction)(*((gy, x, y) if w is None else (gy, x, y, w)))
        if ny:
            with np.errstate(divide="ignore", invalid="ignore"):
                gt = -Logit()(x) * gy
                if w is not None:
                    gt = gt * w
                if self.reduction == "mean":
                    gt = gt / x._data.size
        return (gx, gt) if w is None else (gx, gt, None)


class BCEInputGrad(Function):
    """torch's ``binary_cross_entropy_backward``: gy·(x − y) / max((1 − x)·x, 1e-12), times
    the weight, / numel for the mean. Its own gradients are torch's double-backward
    formulas (with x + 1e-12 and 1 − x + 1e-12 in the denominators, unclamped)."""

    def __init__(self, reduction):
        self.reduction = reduction

    def forward(self, gy, x, y, w=None):
        xp = self.backend.xp
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            g = gy * (x - y) / xp.maximum((1 - x) * x, x.dtype.type(_BCE_EPS))
            if w is not None:
                g = g * w
            if self.reduction == "mean":
                g = g / x.dtype.type(x.size)
        return g.astype(x.dtype, copy=False)

    def backward(self, gg):
        gy, x, y = self.inputs[0], self.inputs[1], self.inputs[2]
        w = self.inputs[3] if len(self.inputs) == 4 else None
        n_gy, n_x, n_y = self.needs_input_grad[:3]
        n, eps, mean = x._data.size, 1e-12, self.reduction == "mean"
        ggy = gx = gt = None
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if n_gy:
                t = (x - y) / ((x + eps) * (1 - x + eps)) * gg
                if w is not None:
                    t = t * w
                # (an empty input's gradient is 0, as torch, not 0/0)
                ggy = t if self.reduction == "none" else (t.sum() / n if mean and n else t.sum())
            if n_x:
                gx = (x * x - 2 * x * y + y) / ((x + eps) ** 2 * (1 - x + eps) ** 2)
                gx = gx * (gg * gy)
                if w is not None:
                    gx = gx * w
                if mean:
                    gx = gx / n
            if n_y:
                gt = -gg * gy
                if w is not None:
                    gt = gt * w
                gt = gt / ((1 - x) * x).clamp(min=eps)
                if mean:
                    gt = gt / n
        grads = (ggy, gx, gt)
        return grads if w is None else grads + (None,)


class Logit(Function):
    """log(x / (1 − x)) with torch's backward gy / (x·(1 − x))."""

    def forward(self, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.backend.xp.log(x / (1 - x))

    def backward(self, gy):
        x = self.inputs[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            return gy / (x * (1 - x))


def _check_unit_interval(a, name, what):
    # NaN fails both comparisons, so it is refused too, as torch
    if a.size and not bool(((a >= 0) & (a <= 1)).all()):
        hint = (" (apply sigmoid first, or use binary_cross_entropy_with_logits)"
                if name == "input" else "")
        raise InvalidArgumentError(f"{what}: all elements of {name} should be between 0 and 1"
                                   + hint)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):  # noqa: A002
    """Binary cross-entropy between probabilities ``input`` and ``target`` (same shape):
    ``−w·(y·log x + (1−y)·log(1−x))`` with each log clamped at −100.

    Values outside [0, 1] (NaN included) raise on the cpu, as torch. On a GPU they are not
    checked, since the check would be a host sync on every call; the loss is then NaN.
    """
    what = "binary_cross_entropy"
    _check_args(input, target, reduction, what)
    _check_same_shape(input, target, what)
    if target.dtype != input.dtype:
        if input.dtype.kind != "f" or target.dtype.kind != "f":
            raise DtypeError(f"{what}: expected target of dtype {input.dtype} (the input's), "
                             f"got {target.dtype}")
        target = target.to(input.dtype)
    _check_float_input(input, what)
    if weight is not None:
        weight = _elementwise_weight(weight, "weight", input, what)
        _check_not_differentiable(weight, "weight", what)
    if input.device.index is None:
        _check_unit_interval(input._data, "input", what)
        _check_unit_interval(target._data, "target", what)
    if weight is None:
        return BCE(reduction)(input, target)
    return BCE(reduction)(input, target, weight)


class MSE(Function):
    """(x − t)², reduced; the gradients are torch's ``mse_loss_backward`` ops, so that the
    double backward (with an inf or NaN upstream gradient too) is torch's."""

    def __init__(self, reduction):
        self.reduction = reduction

    def forward(self, x, t):
        d = x - t
        loss = d * d
        if self.reduction == "mean":
            return loss.mean() if loss.size else loss.sum() * np.nan   # empty: NaN, no warning
        return loss.sum() if self.reduction == "sum" else loss

    def backward(self, gy):
        x, t = self.inputs
        nx, nt = self.needs_input_grad
        gx = MSEGrad(self.reduction)(gy, x, t) if nx else None
        gt = MSEGrad(self.reduction)(gy, t, x) if nt else None
        return gx, gt


class MSEGrad(Function):
    """torch's ``mse_loss_backward(gy, a, b)``: norm·(a − b)·gy with norm = 2 (2/numel for
    the mean), and torch's double-backward formulas as its gradients."""

    def __init__(self, reduction):
        self.reduction = reduction

    def forward(self, gy, a, b):
        norm = 2.0 / a.size if self.reduction == "mean" and a.size else 2.0
        with np.errstate(invalid="ignore", over="ignore"):
            return (a.dtype.type(norm) * (a - b) * gy).astype(a.dtype, copy=False)

    def backward(self, gg):
        from ..tensor import Tensor
        gy, a, b = self.inputs
        n_gy, n_a, n_b = self.needs_input_grad
        ggy = ga = gb = None
        with np.errstate(invalid="ignore", over="ignore"):
            if n_gy:
                if self.reduction == "none":
                    ggy = MSEGrad("none")(gg, a, b)
                else:
                    ones = Tensor._make(a.backend.xp.ones_like(gy._data), a.device)
                    ggy = (MSEGrad(self.reduction)(ones, a, b) * gg).sum()
            if n_a or n_b:
                g = 2 * (gg * gy)
                if self.reduction == "mean":
                    g = g / a._data.size
                ga = g if n_a else None
                gb = -g if n_b else None
        return ggy, ga, gb


def mse_loss(input, target, reduction="mean"):  # noqa: A002
    """Mean squared error ``(input − target)²``, reduced. A target of another shape is
    broadcast with a warning, as torch; the dtype is the promoted one of the two."""
    from .dtypes import promote
    from .math import broadcast_to
    what = "mse_loss"
    _check_args(input, target, reduction, what)
    if target.shape != input.shape:
        try:
            shape = input.backend.xp.broadcast_shapes(target.shape, input.shape)
        except ValueError:
            raise InvalidArgumentError(f"{what}: target size {tuple(target.shape)} must be the "
                                       f"same as input size {tuple(input.shape)} (they do not "
                                       f"broadcast)") from None
        warnings.warn(f"Using a target size ({tuple(target.shape)}) that is different to the "
                      f"input size ({tuple(input.shape)}). This will likely lead to incorrect "
                      f"results due to broadcasting. Please ensure they have the same size.",
                      UserWarning, stacklevel=2)
        input, target = broadcast_to(input, shape), broadcast_to(target, shape)
    if input.dtype.kind != "f" and target.dtype.kind != "f":
        raise UnsupportedDtypeError(f"{what}: not implemented for input and target of dtype "
                                    f"{input.dtype} and {target.dtype} (expected floating "
                                    f"point)")
    input, target = promote(input, target)
    return MSE(reduction)(input, target)
