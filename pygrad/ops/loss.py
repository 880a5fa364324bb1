"""Losses with torch's arguments and semantics.

``cross_entropy`` with integer targets and ``binary_cross_entropy_with_logits`` run one fused
kernel: the forward writes the loss AND the gradient, and the backward only scales the saved
gradient (not at all when the upstream gradient is the implicit 1 of ``loss.backward()``).
When a differentiable backward is requested (``create_graph=True``) they fall back to the
same formula written in Tensor ops.
"""
from __future__ import annotations

import numpy as np

from ..autograd.engine import grad as autograd_grad
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from .activation import log_softmax, logsigmoid
from .math import where

_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(reduction, what):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{what}: reduction must be 'none', 'mean' or 'sum', got "
                         f"{reduction!r}")


def _check_tensor(x, name, what, kind="f"):
    from ..tensor import Tensor
    if not isinstance(x, Tensor):
        raise TypeError(f"{what}: expected {name} to be a Tensor, got {type(x).__name__}")
    if kind == "f" and x.dtype.kind != "f":
        raise TypeError(f"{what}: expected {name} to be floating point, got dtype {x.dtype}")


def _check_pair(input, target, reduction, what):  # noqa: A002
    """Validate an elementwise loss's arguments; returns target in input's dtype."""
    _check_tensor(input, "input", what)
    _check_tensor(target, "target", what)
    _check_reduction(reduction, what)
    if target.shape != input.shape:
        raise ValueError(f"{what}: target size {tuple(target.shape)} must be the same as "
                         f"input size {tuple(input.shape)}")
    if target.device is not input.device:
        raise RuntimeError(f"{what}: input is on {input.device} but target is on "
                           f"{target.device}")
    return target if target.dtype == input.dtype else target.to(input.dtype)


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
        if self.reduction == "mean":
            # the mean divides by the summed weight of the kept targets; the kernel checks
            # the labels, so index the weights with out-of-range targets clipped here
            keep = target != self.ignore_index
            if self.weight is None:
                total = keep.sum().astype(x.dtype)
            else:
                t = xp.clip(xp.where(keep, target, 0), 0, x.shape[1] - 1)
                total = (self.weight[t] * keep).sum().astype(x.dtype)
            scale = xp.where(total > 0, 1 / xp.where(total > 0, total, 1), 0).astype(x.dtype)
        else:
            scale = 1.0
        need_grad = bool(self.needs_input_grad) and self.needs_input_grad[0]
        loss, self.grad = self.backend.cross_entropy(
            x, target, self.weight, self.ignore_index, self.label_smoothing,
            scale if need_grad else None)
        if self.reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):   # all ignored: nan, as torch
                return loss.sum() / total
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
        if self.reduction == "none":
            g = g * gy.data[:, None]
        elif not gy._unit:
            g = g * gy.data
        return Tensor._make(g, x.device), None


def _cross_entropy_composite(x, target, weight, ignore_index, eps, reduction):
    """The fused kernel's math in Tensor ops (used for higher-order gradients)."""
    from ..tensor import Tensor
    xp = x.backend.xp
    n, c = x.shape
    keep_a = target.data != ignore_index
    t = xp.where(keep_a, target.data, 0)
    w = xp.ones(c, dtype=x.dtype) if weight is None else weight
    wt = (w[t] * keep_a).astype(x.dtype)
    logp = log_softmax(x, 1)
    picked = logp[Tensor._make(xp.arange(n), x.device), Tensor._make(t, x.device)]
    loss = -(1 - eps) * picked * Tensor._make(wt, x.device)
    if eps:
        loss = loss - (eps / c) * (logp * Tensor._make(w, x.device)).sum(1)
    keep = Tensor._make(keep_a, x.device)
    loss = where(keep, loss, 0.0)
    if reduction == "mean":
        return loss.sum() / Tensor._make(wt.sum(), x.device)
    return loss.sum() if reduction == "sum" else loss


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",  # noqa: A002
                  label_smoothing=0.0):
    """Softmax cross-entropy between logits and targets (``torch.nn.functional.cross_entropy``).

    Args:
        input: logits (N, C) or (N, C, d1, ...) — or (C,) for a single sample.
        target: class indices (N,) / (N, d1, ...) of dtype int64, or class probabilities of
            the input's shape and dtype.
        weight: optional (C,) rescaling of each class.
        ignore_index: target value that contributes neither loss nor gradient (indices only).
        reduction: 'none' | 'mean' (divided by the summed weight of non-ignored targets) | 'sum'.
        label_smoothing: ε in [0, 1]; the target becomes (1−ε)·one_hot + ε/C.
    Returns:
        The loss: a scalar, or per-sample losses of the target's shape for 'none'.

    ``loss_i = (1−ε)·w_t·(−log p_it) + ε/C·Σ_c w_c·(−log p_ic)`` with p = softmax(input).
    """
    what = "cross_entropy"
    x, t, w, batch_shape = _class_inputs(input, target, weight, reduction, what)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{what}: label_smoothing must be in [0, 1], got {label_smoothing}")
    if t is None:
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    if x.shape[0] == 0 and reduction == "mean":
        return (x.sum() * float("nan"))
    loss = CrossEntropy(w, int(ignore_index), float(label_smoothing), reduction)(x, t)
    if reduction == "none":
        loss = loss.reshape(batch_shape)
    return loss


def _class_inputs(input, target, weight, reduction, what):  # noqa: A002
    """Validate (input, target, weight) of a classification loss and bring the class dim
    last: returns x (M, C), t (M,) int64 — None for class-probability targets —, the
    weight array (C,) or None, and the batch shape the per-sample losses take."""
    from ..tensor import Tensor
    _check_tensor(input, "input", what)
    if not isinstance(target, Tensor):
        raise TypeError(f"{what}: expected target to be a Tensor, got {type(target).__name__}")
    _check_reduction(reduction, what)
    if input.ndim == 0:
        raise ValueError(f"{what}: input must have at least 1 dimension (C,) or (N, C), "
                         f"got a scalar")
    if target.device is not input.device:
        raise RuntimeError(f"{what}: input is on {input.device} but target is on "
                           f"{target.device}")
    c = input.shape[0] if input.ndim == 1 else input.shape[1]
    w = None
    if weight is not None:
        _check_tensor(weight, "weight", what)
        if tuple(weight.shape) != (c,):
            raise ValueError(f"{what}: weight must have shape ({c},) (one per class), got "
                             f"{tuple(weight.shape)}")
        w = weight.data.astype(input.dtype, copy=False)
    if target.dtype.kind == "f" and what == "cross_entropy":
        return input, None, w, None
    if target.dtype.kind not in "iu":
        raise TypeError(f"{what}: expected target of dtype int64 (class indices)"
                        + (" or floating point (class probabilities)"
                           if what == "cross_entropy" else "") + f", got {target.dtype}")
    if input.ndim == 1:
        x, batch_shape = input.unsqueeze(0), ()
        if target.ndim != 0:
            raise ValueError(f"{what}: for input of shape {tuple(input.shape)} expected a "
                             f"scalar target, got shape {tuple(target.shape)}")
    else:
        batch_shape = (input.shape[0],) + tuple(input.shape[2:])
        if tuple(target.shape) != batch_shape:
            raise ValueError(f"{what}: expected target of shape {batch_shape} for input of "
                             f"shape {tuple(input.shape)}, got {tuple(target.shape)}")
        x = input if input.ndim == 2 else input.movedim(1, -1).reshape(-1, c)
    t = target.reshape(-1)
    if t.dtype != "int64":
        t = Tensor._make(t.data.astype("int64"), t.device)
    return x, t, w, batch_shape


def _cross_entropy_probs(input, target, weight, reduction, eps):
    what = "cross_entropy"
    if target.shape != input.shape:
        raise ValueError(f"{what}: class-probability target must have the input's shape "
                         f"{tuple(input.shape)}, got {tuple(target.shape)}")
    dim = 0 if input.ndim == 1 else 1
    c = input.shape[dim]
    logp = log_softmax(input, dim)
    y = target * (1 - eps) + eps / c if eps else target
    if weight is not None:
        shape = [1] * input.ndim
        shape[dim] = c
        y = y * weight.reshape(shape)
    loss = -(logp * y).sum(dim)
    if reduction == "mean":
        n = 1 if input.ndim == 1 else loss.data.size
        return loss.sum() / n
    return _reduce(loss, reduction)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):  # noqa: A002
    """Negative log-likelihood of log-probabilities ``input`` — (C,), (N, C) or
    (N, C, d1, ...) — at integer ``target``; 'mean' divides by the summed weight of the
    non-ignored targets (nan when all are ignored, with a zero gradient), as torch."""
    from ..backend.reference import check_targets
    from ..tensor import Tensor
    what = "nll_loss"
    x, t, w, batch_shape = _class_inputs(input, target, weight, reduction, what)
    m, c = x.shape
    check_targets(t.data, c, ignore_index, what)
    xp = x.backend.xp
    keep = t.data != ignore_index
    idx = xp.where(keep, t.data, 0)
    w = xp.ones(c, dtype=x.dtype) if w is None else w
    wt = Tensor._make((w[idx] * keep).astype(x.dtype), x.device)
    picked = x[Tensor._make(xp.arange(m), x.device), Tensor._make(idx, x.device)]
    loss = -picked * wt
    if reduction == "mean":
        total = wt.sum()
        return where(total > 0, loss.sum() / where(total > 0, total, 1.0), float("nan"))
    if reduction == "sum":
        return loss.sum()
    return loss.reshape(batch_shape)


# ----------------------------------------------------------------------------- binary

class BCEWithLogits(Function):
    """Sigmoid + binary cross-entropy on logits, one fused pass (loss and gradient)."""

    def __init__(self, pos_weight, reduction):
        self.pos_weight, self.reduction = pos_weight, reduction

    def forward(self, x, y):
        need_grad = bool(self.needs_input_grad) and self.needs_input_grad[0]
        scale = 1.0 / x.size if self.reduction == "mean" and x.size else 1.0
        loss, self.grad = self.backend.bce_with_logits(x, y, self.pos_weight,
                                                       scale if need_grad else None)
        if self.reduction == "mean":
            return loss.mean()
        return loss.sum() if self.reduction == "sum" else loss

    def backward(self, gy):
        from ..tensor import Tensor
        x, y = self.inputs
        if is_grad_enabled():
            with enable_grad():
                pw = None if self.pos_weight is None else Tensor._make(self.pos_weight,
                                                                       x.device)
                loss = _bce_with_logits_composite(x, y, None, pw, self.reduction)
                return autograd_grad(loss, x, gy, create_graph=True)[0], None
        g = self.grad
        if self.reduction == "none" or not gy._unit:
            g = g * gy.data
        return Tensor._make(g, x.device), None


def _bce_with_logits_composite(x, y, weight, pos_weight, reduction):
    ls = logsigmoid(x)
    if pos_weight is None:
        loss = (1 - y) * x - ls
    else:
        loss = (1 - y) * x - (1 + (pos_weight - 1) * y) * ls
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean",  # noqa: A002
                                     pos_weight=None):
    """Binary cross-entropy on logits, computed stably:
    ``(1−y)·x − (1+(pw−1)·y)·logσ(x)``, times ``weight``, reduced.

    Args:
        input: logits, any shape. target: same shape, values in [0, 1].
        weight: broadcastable to input; pos_weight: broadcastable to input (usually (C,)).
    """
    what = "binary_cross_entropy_with_logits"
    target = _check_pair(input, target, reduction, what)
    for name, t in (("weight", weight), ("pos_weight", pos_weight)):
        if t is not None:
            _check_tensor(t, name, what)
            try:
                input.backend.xp.broadcast_shapes(t.shape, input.shape)
            except ValueError:
                raise ValueError(f"{what}: {name} of shape {tuple(t.shape)} does not "
                                 f"broadcast to input shape {tuple(input.shape)}") from None
    fusable = (weight is None and not target.requires_grad and input.ndim >= 1 and
               (pos_weight is None or (not pos_weight.requires_grad and
                                       tuple(pos_weight.shape) == (input.shape[-1],))))
    if fusable:
        pw = None if pos_weight is None else pos_weight.data.astype(input.dtype, copy=False)
        return BCEWithLogits(pw, reduction)(input, target)
    return _bce_with_logits_composite(input, target, weight, pos_weight, reduction)


class BCE(Function):
    """Binary cross-entropy on probabilities; log clamped at −100 as torch."""

    def __init__(self, reduction):
        self.reduction = reduction

    def forward(self, x, y, w=None):
        xp = self.backend.xp
        with np.errstate(divide="ignore"):         # log(0) = -inf, clamped to -100 as torch
            lx = xp.maximum(xp.log(x), -100)
            l1x = xp.maximum(xp.log1p(-x), -100)
        loss = -(y * lx + (1 - y) * l1x)
        if w is not None:
            loss = loss * w
        if self.reduction == "mean":
            return loss.mean()
        return loss.sum() if self.reduction == "sum" else loss

    def backward(self, gy):
        x, y = self.inputs[0], self.inputs[1]
        w = self.inputs[2] if len(self.inputs) == 3 else None
        g = gy / x.data.size if self.reduction == "mean" else gy
        nx, ny = self.needs_input_grad[0], self.needs_input_grad[1]
        gx = gy_ = None
        if nx:
            # torch: (x − y) / max((1 − x)·x, 1e-12)
            gx = g * (x - y) / ((1 - x) * x).clamp(min=1e-12)
            if w is not None:
                gx = gx * w
        if ny:
            gy_ = g * ((1 - x).log().clamp(min=-100) - x.log().clamp(min=-100))
            if w is not None:
                gy_ = gy_ * w
        from .math import sum_to
        gx = sum_to(gx, x.shape) if gx is not None else None
        gy_ = sum_to(gy_, y.shape) if gy_ is not None else None
        return (gx, gy_) if w is None else (gx, gy_, None)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):  # noqa: A002
    """Binary cross-entropy between probabilities ``input`` and ``target`` (same shape):
    ``−w·(y·log x + (1−y)·log(1−x))`` with each log clamped at −100."""
    what = "binary_cross_entropy"
    target = _check_pair(input, target, reduction, what)
    d = input.data
    # checked on the cpu only: on a GPU it would be a host sync on every call
    if input.device.index is None and d.size and bool(((d < 0) | (d > 1)).any()):
        raise ValueError(f"{what}: all elements of input should be between 0 and 1 "
                         f"(apply sigmoid first, or use binary_cross_entropy_with_logits)")
    if weight is None:
        return BCE(reduction)(input, target)
    _check_tensor(weight, "weight", what)
    try:
        fits = input.backend.xp.broadcast_shapes(weight.shape, input.shape) == input.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{what}: weight of shape {tuple(weight.shape)} must broadcast to the "
                         f"input's shape {tuple(input.shape)}")
    return BCE(reduction)(input, target, weight)


def mse_loss(input, target, reduction="mean"):  # noqa: A002
    """Mean squared error ``(input − target)²``, reduced; shapes must match."""
    target = _check_pair(input, target, reduction, "mse_loss")
    d = input - target
    return _reduce(d * d, reduction)
