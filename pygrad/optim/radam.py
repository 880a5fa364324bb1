"""RAdam (torch.optim.RAdam's update), in array code that runs on NumPy and CuPy alike."""
from __future__ import annotations

import math

from .optimizer import Optimizer

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """Adam with a rectified adaptive rate: m = β1·m + (1−β1)·d; v = β2·v + (1−β2)·d²;
    ρ∞ = 2/(1−β2) − 1, ρ_t = ρ∞ − 2t·β2^t/(1−β2^t); m̂ = m/(1−β1^t);
    p −= lr·m̂·r_t·√(1−β2^t)/(√v + eps) with r_t = √((ρ_t−4)(ρ_t−2)ρ∞/((ρ∞−4)(ρ∞−2)ρ_t))
    when ρ_t > 5, else p −= lr·m̂ (the variance is not yet tractable).
    d = g + wd·p, or d = g and p *= 1 − lr·wd first when ``decoupled_weight_decay``."""

    _betas = True
    _nonnegative = ("eps", "weight_decay")

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled_weight_decay: bool = False, *,
                 foreach=None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, maximize=maximize,
                                      foreach=foreach, capturable=capturable,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      differentiable=differentiable))

    def _update(self, group, params):
        beta1, beta2 = group["betas"]
        lr, eps, wd, maximize = group["lr"], group["eps"], group["weight_decay"], group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        rho_inf = 2 / (1 - beta2) - 1
        for p in params:
            xp = p.device.backend.xp
            state = self._lazy_state(p, "exp_avg", "exp_avg_sq")
            state["step"] += 1
            t = state["step"]
            if wd != 0 and decoupled:
                p._data *= 1 - lr * wd
            d = self._direction(p, maximize, 0.0 if decoupled else wd)
            m, v = state["exp_avg"], state["exp_avg_sq"]
            m += (1 - beta1) * (d - m)
            v *= beta2
            v += (1 - beta2) * d * d
            bc1, bc2 = 1 - beta1 ** t, 1 - beta2 ** t
            m_hat = m / bc1
            rho_t = rho_inf - 2 * t * beta2 ** t / bc2
            if rho_t > 5.0:
                rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf /
                                 ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                p._data -= m_hat * lr * (bc2 ** 0.5 / (xp.sqrt(v) + eps)) * rect
            else:
                p._data -= m_hat * lr
