"""Adadelta (torch.optim.Adadelta's update), in array code that runs on NumPy and CuPy alike."""
from __future__ import annotations

from .optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """d = g + wd·p; v = ρ·v + (1−ρ)·d²; Δ = √(u + eps)/√(v + eps) · d;
    u = ρ·u + (1−ρ)·Δ²; p −= lr·Δ."""

    _nonnegative = ("eps", "weight_decay")

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, foreach=None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, capturable=capturable,
                                      foreach=foreach, differentiable=differentiable))

    def _check_group(self, group):
        super()._check_group(group)
        if not 0.0 <= group["rho"] <= 1.0:
            raise ValueError(f"Invalid rho value: {group['rho']} (expected 0 <= rho <= 1)")

    def _update(self, group, params):
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        wd, maximize = group["weight_decay"], group["maximize"]
        for p in params:
            xp = p.device.backend.xp
            state = self._lazy_state(p, "square_avg", "acc_delta")
            state["step"] += 1
            d = self._direction(p, maximize, wd)
            v, u = state["square_avg"], state["acc_delta"]
            v *= rho
            v += (1 - rho) * d * d
            delta = xp.sqrt(u + eps) / xp.sqrt(v + eps) * d
            u *= rho
            u += (1 - rho) * delta * delta
            p._data += -lr * delta
