"""Adam and AdamW (torch.optim.Adam / AdamW's updates)."""
from __future__ import annotations

from .optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """m = β1·m + (1−β1)·d; v = β2·v + (1−β2)·d²; v̂ = max(v̂, v) with amsgrad;
    p −= lr/(1−β1^t) · m / (√v/√(1−β2^t) + eps), with d = g + wd·p (L2 penalty), or with
    d = g and p *= 1 − lr·wd first when ``decoupled_weight_decay`` (AdamW)."""

    _betas = True
    _nonnegative = ("eps", "weight_decay")

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *, foreach=None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused=None, decoupled_weight_decay: bool = False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable, fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _update(self, group, params):
        beta1, beta2 = group["betas"]
        lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
        amsgrad, maximize = group["amsgrad"], group["maximize"]
        decoupled = bool(group["decoupled_weight_decay"])
        for p in params:
            self._advance(p, amsgrad)
        for backend, ps, step in self._batches(params, lambda p: self.state[p]["step"]):
            states = [self.state[p] for p in ps]
            m = [s["exp_avg"] for s in states]
            v = [s["exp_avg_sq"] for s in states]
            vmax = [s.get("max_exp_avg_sq") for s in states]
            multi = getattr(backend, "adam_step_multi", None)
            if multi is not None:
                multi([p._data for p in ps], [self._grad(p) for p in ps], m, v, vmax, step, lr,
                      beta1, beta2, eps, wd, decoupled, amsgrad, maximize)
                continue
            for k, p in enumerate(ps):
                backend.adam_step(p._data, self._grad(p), m[k], v[k], vmax[k], step, lr, beta1,
                                  beta2, eps, wd, decoupled, amsgrad, maximize)

    def _advance(self, p, amsgrad) -> None:
        """Create p's state on its first update and count the step (t starts at 1)."""
        state = self._state_for(p)
        if not state:
            xp = p.device.backend.xp
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(p._data)
            state["exp_avg_sq"] = xp.zeros_like(p._data)
            if amsgrad:
                state["max_exp_avg_sq"] = xp.zeros_like(p._data)
        elif amsgrad and state.get("max_exp_avg_sq") is None:
            state["max_exp_avg_sq"] = p.device.backend.xp.zeros_like(p._data)
        state["step"] += 1


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 − lr·wd before the Adam update (wd 0.01)."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach=None, capturable: bool = False, differentiable: bool = False,
                 fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

