"""Adamax (torch.optim.Adamax's update), in array code that runs on NumPy and CuPy alike."""
from __future__ import annotations

from .optimizer import Optimizer

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adam with the infinity norm: d = g + wd·p; m = β1·m + (1−β1)·d;
    u = max(β2·u, |d| + eps); p −= lr/(1−β1^t) · m/u."""

    _betas = True
    _nonnegative = ("eps", "weight_decay")

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, foreach=None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def _update(self, group, params):
        beta1, beta2 = group["betas"]
        lr, eps, wd, maximize = group["lr"], group["eps"], group["weight_decay"], group["maximize"]
        for p in params:
            xp = p.device.backend.xp
            state = self._lazy_state(p, "exp_avg", "exp_inf")
            state["step"] += 1
            d = self._direction(p, maximize, wd)
            m, u = state["exp_avg"], state["exp_inf"]
            m += (1 - beta1) * (d - m)
            u *= beta2
            xp.maximum(u, xp.abs(d) + eps, out=u)
            clr = lr / (1 - beta1 ** state["step"])
            p._data += -clr * m / u
