"""NAdam (torch.optim.NAdam's update), in array code that runs on NumPy and CuPy alike."""
from __future__ import annotations

from .optimizer import Optimizer

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """Adam with Nesterov momentum and a momentum schedule:
    μ_t = β1·(1 − ½·0.96^(t·ψ)) (ψ = momentum_decay), Π_t = μ_1···μ_t;
    m = β1·m + (1−β1)·d; v = β2·v + (1−β2)·d²; den = √(v/(1−β2^t)) + eps;
    p −= lr·(1−μ_t)/(1−Π_t) · d/den + lr·μ_{t+1}/(1−Π_t·μ_{t+1}) · m/den.
    d = g + wd·p, or d = g and p *= 1 − lr·wd first when ``decoupled_weight_decay``."""

    _scalar_state = ("step", "mu_product")
    _betas = True
    _nonnegative = ("eps", "weight_decay", "momentum_decay")

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach=None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable))

    def _update(self, group, params):
        beta1, beta2 = group["betas"]
        lr, eps, wd, maximize = group["lr"], group["eps"], group["weight_decay"], group["maximize"]
        psi, decoupled = group["momentum_decay"], group["decoupled_weight_decay"]
        for p in params:
            xp = p.device.backend.xp
            state = self._lazy_state(p, "exp_avg", "exp_avg_sq", mu_product=1.0)
            state["step"] += 1
            t = state["step"]
            if wd != 0 and decoupled:
                p._data *= 1 - lr * wd
            d = self._direction(p, maximize, 0.0 if decoupled else wd)
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
            state["mu_product"] *= mu
            prod = state["mu_product"]
            m, v = state["exp_avg"], state["exp_avg_sq"]
            m += (1 - beta1) * (d - m)
            v *= beta2
            v += (1 - beta2) * d * d
            den = xp.sqrt(v / (1 - beta2 ** t)) + eps
            p._data += (-lr * (1.0 - mu) / (1.0 - prod)) * d / den
            p._data += (-lr * mu_next / (1.0 - prod * mu_next)) * m / den
