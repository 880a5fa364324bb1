"""RMSprop (torch.optim.RMSprop's update)."""
from __future__ import annotations

from .optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """v = αv + (1−α)d²; avg = √(v − ḡ²) (centered, ḡ the running mean of d) or √v, + eps;
    buf = μ·buf + d/avg, p −= lr·buf (momentum) or p −= lr·d/avg. d = g + wd·p."""

    _nonnegative = ("alpha", "eps", "weight_decay", "momentum")

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False,
                 capturable: bool = False, foreach=None, maximize: bool = False,
                 differentiable: bool = False):
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      capturable=capturable, foreach=foreach, maximize=maximize,
                                      differentiable=differentiable))

    def _update(self, group, params):
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        wd, mu, centered = group["weight_decay"], group["momentum"], group["centered"]
        maximize = group["maximize"]
        for p in params:
            state = self._state_for(p)
            if not state:
                xp = p.device.backend.xp
                state["step"] = 0
                state["square_avg"] = xp.zeros_like(p._data)
                if mu > 0:
                    state["momentum_buffer"] = xp.zeros_like(p._data)
                if centered:
                    state["grad_avg"] = xp.zeros_like(p._data)
            state["step"] += 1
        for backend, ps, _ in self._batches(params):
            states = [self.state[p] for p in ps]
            sq = [s["square_avg"] for s in states]
            gavg = [s.get("grad_avg") for s in states]
            bufs = [s.get("momentum_buffer") for s in states]
            multi = getattr(backend, "rmsprop_step_multi", None)
            if multi is not None:
                multi([p._data for p in ps], [self._grad(p) for p in ps], sq, gavg, bufs, lr,
                      alpha, eps, wd, mu, centered, maximize)
                continue
            for k, p in enumerate(ps):
                backend.rmsprop_step(p._data, self._grad(p), sq[k], gavg[k], bufs[k], lr, alpha,
                                     eps, wd, mu, centered, maximize)
