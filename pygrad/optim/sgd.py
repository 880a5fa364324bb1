"""SGD with momentum, dampening, Nesterov and weight decay (torch.optim.SGD's update)."""
from __future__ import annotations

from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """d = g + wd·p; buf = d (first step) or μ·buf + (1−dampening)·d;
    d = d + μ·buf (nesterov) or buf; p −= lr·d."""

    _nonnegative = ("momentum", "weight_decay")

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False,
                 foreach=None, differentiable: bool = False, fused=None):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def _check_group(self, group):
        super()._check_group(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")

    def _update(self, group, params):
        lr, mu = group["lr"], group["momentum"]
        damp, nesterov = group["dampening"], group["nesterov"]
        wd, maximize = group["weight_decay"], group["maximize"]
        first = {}
        for p in params:
            first[p] = False
            if mu != 0:
                state = self._state_for(p)
                if state.get("momentum_buffer") is None:
                    state["momentum_buffer"] = p.device.backend.xp.empty_like(p._data)
                    first[p] = True
        for backend, ps, is_first in self._batches(params, first.__getitem__):
            bufs = [self.state[p]["momentum_buffer"] if mu != 0 else None for p in ps]
            multi = getattr(backend, "sgd_step_multi", None)
            if multi is not None:
                multi([p._data for p in ps], [self._grad(p) for p in ps], bufs, lr, mu, damp,
                      nesterov, wd, maximize, is_first)
                continue
            for p, buf in zip(ps, bufs):
                backend.sgd_step(p._data, self._grad(p), buf, lr, mu, damp, nesterov, wd,
                                 maximize, is_first)
