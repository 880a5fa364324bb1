"""Gradient clipping (torch.nn.utils.clip_grad's): by the total norm of all gradients, or
elementwise by value. The gradients are scaled in place, without recording a graph."""
from __future__ import annotations

import math
import warnings

from ...autograd import no_grad

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "clip_grads_with_norm_",
           "get_total_norm"]


def _tensors(parameters, what: str) -> list:
    """``parameters`` (one tensor or an iterable of them) as a list."""
    from ...tensor import Tensor
    if isinstance(parameters, Tensor):
        return [parameters]
    try:
        items = list(parameters)
    except TypeError:
        raise TypeError(f"{what}: parameters must be a tensor or an iterable of tensors, got "
                        f"{type(parameters).__name__}") from None
    for i, p in enumerate(items):
        if not isinstance(p, Tensor):
            raise TypeError(f"{what}: parameters must be tensors, item {i} is "
                            f"{type(p).__name__}")
    return items


def _number(value, name: str, what: str) -> float:
    # float(value) as torch: numbers, 0-d tensors and strings such as "inf"
    try:
        return float(value)
    except (TypeError, ValueError) as e:
        raise type(e)(f"{what}: {name} must be a number, got {value!r}") from None


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None):
    """The norm of the norms of ``tensors``: ‖(‖t₁‖, ‖t₂‖, …)‖ of order ``norm_type``
    (inf: the largest absolute value), the same as the norm of all their elements as one
    vector. An empty list gives tensor(0.). ``foreach`` is accepted and has no effect."""
    import pygrad as pg
    from ...linalg import vector_norm
    tensors = _tensors(tensors, "get_total_norm")
    norm_type = _number(norm_type, "norm_type", "get_total_norm")
    if not tensors:
        return pg.tensor(0.0)
    with no_grad():
        device = tensors[0].device
        norms = [vector_norm(t.detach(), norm_type) for t in tensors]
        norms = [n if n.device == device else n.to(device) for n in norms]
        total = vector_norm(pg.stack(norms), norm_type)
    if error_if_nonfinite and not bool(pg.isfinite(total).item()):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` "
                           f"is non-finite, so it cannot be clipped. To disable this error and "
                           f"scale the gradients by the non-finite norm anyway, set "
                           f"`error_if_nonfinite=False`")
    return total


def clip_grads_with_norm_(parameters, max_norm: float, total_norm, foreach=None) -> None:
    """Scale the gradients of ``parameters`` in place by min(1, max_norm / (total_norm + 1e-6))."""
    params = _tensors(parameters, "clip_grads_with_norm_")
    max_norm = _number(max_norm, "max_norm", "clip_grads_with_norm_")
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return
    with no_grad():
        coef = (max_norm / (total_norm + 1e-6)).clamp(max=1.0)
        on = {coef.device: coef}        # one copy of the coefficient per device
        for g in grads:
            if g.device not in on:
                on[g.device] = coef.to(g.device)
            g.mul_(on[g.device])


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None):
    """Rescale the gradients of ``parameters`` so that their total norm is at most ``max_norm``.

    The total norm is taken over all gradients together, as if they were one vector, of
    order ``norm_type`` (``inf`` for the largest absolute value). Every gradient is
    multiplied by min(1, max_norm / (total_norm + 1e-6)). Parameters without a gradient are
    skipped. Returns the total norm (before clipping) as a 0-d tensor. With
    ``error_if_nonfinite=True`` a NaN or infinite total norm raises RuntimeError; otherwise
    the gradients are scaled by it (becoming NaN). ``foreach`` is accepted and has no effect.
    """
    params = _tensors(parameters, "clip_grad_norm_")
    max_norm = _number(max_norm, "max_norm", "clip_grad_norm_")
    grads = [p.grad for p in params if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(params, max_norm, total, foreach)
    return total


def clip_grad_norm(parameters, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach=None):
    """Deprecated in torch in favour of ``clip_grad_norm_``, which it calls."""
    warnings.warn("nn.utils.clip_grad_norm is now deprecated in favor of "
                  "nn.utils.clip_grad_norm_.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient of ``parameters`` in place to [−clip_value, clip_value]."""
    params = _tensors(parameters, "clip_grad_value_")
    clip_value = _number(clip_value, "clip_value", "clip_grad_value_")
    if math.isnan(clip_value):
        raise ValueError("clip_grad_value_: clip_value is NaN")
    with no_grad():
        for p in params:
            if p.grad is not None:
                p.grad.clamp_(min=-clip_value, max=clip_value)
