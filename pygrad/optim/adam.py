"""Adam and AdamW (torch.optim.Adam / AdamW's updates)."""
from __future__ import annotations

from .optimizer import Optimizer, _at_least, _in_unit

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """m = β1·m + (1−β1)·d; v = β2·v + (1−β2)·d²; v̂ = max(v̂, v) with amsgrad;
    p −= lr/(1−β1^t) · m / (√v/√(1−β2^t) + eps), with d = g + wd·p (L2 penalty)."""

    _decoupled = False

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *, maximize: bool = False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    def _check_group(self, group):
        super()._check_group(group)
        _at_least(group, "eps", 0.0)
        _at_least(group, "weight_decay", 0.0)
        betas = group["betas"]
        if len(betas) != 2:
            raise ValueError(f"Invalid betas: expected a pair (beta1, beta2), got {betas!r}")
        _in_unit(group, "beta1", betas[0])
        _in_unit(group, "beta2", betas[1])

    def _update(self, group, params):
        beta1, beta2 = group["betas"]
        lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
        amsgrad, maximize, decoupled = group["amsgrad"], group["maximize"], self._decoupled
        multi = _multi_by_device(params)
        for device, ps in multi.items():
            backend = device.backend
            step_multi = getattr(backend, "adam_step_multi", None)
            states = [self._adam_state(p, amsgrad) for p in ps]
            if step_multi is not None:
                step_multi([p.data for p in ps], [self._grad(p) for p in ps],
                           [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states],
                           [s.get("max_exp_avg_sq") for s in states],
                           [s["step"] for s in states], lr, beta1, beta2, eps, wd, decoupled,
                           amsgrad, maximize)
                continue
            for p, s in zip(ps, states):
                backend.adam_step(p.data, self._grad(p), s["exp_avg"], s["exp_avg_sq"],
                                  s.get("max_exp_avg_sq"), s["step"], lr, beta1, beta2, eps,
                                  wd, decoupled, amsgrad, maximize)

    def _adam_state(self, p, amsgrad) -> dict:
        """The state of ``p`` with its step already advanced for this update."""
        state = self._state_for(p)
        if not state:
            xp = p.device.backend.xp
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(p.data)
            state["exp_avg_sq"] = xp.zeros_like(p.data)
            if amsgrad:
                state["max_exp_avg_sq"] = xp.zeros_like(p.data)
        elif amsgrad and state.get("max_exp_avg_sq") is None:
            state["max_exp_avg_sq"] = p.device.backend.xp.zeros_like(p.data)
        state["step"] += 1
        return state


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 − lr·wd before the Adam update (wd 0.01)."""

    _decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)


def _multi_by_device(params) -> dict:
    """Parameters grouped by device, in order (one multi-tensor launch per device)."""
    out: dict = {}
    for p in params:
        out.setdefault(p.device, []).append(p)
    return out
