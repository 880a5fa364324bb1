"""Adagrad (torch.optim.Adagrad's update)."""
from __future__ import annotations

from .optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """clr = lr/(1+(t−1)·lr_decay); d = g + wd·p; sum += d²; p −= clr·d/(√sum + eps)."""

    _nonnegative = ("lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10, foreach=None, *,
                 maximize: bool = False, differentiable: bool = False, fused=None):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, fused=fused))

    def _init_state(self, p, group):
        # the accumulator starts at initial_accumulator_value, before any step
        xp = p.device.backend.xp
        self.state[p] = {"step": 0, "sum": xp.full(p._data.shape,
                                                   group["initial_accumulator_value"],
                                                   dtype=p._data.dtype)}

    def _update(self, group, params):
        lr, decay, wd = group["lr"], group["lr_decay"], group["weight_decay"]
        eps, maximize = group["eps"], group["maximize"]
        for p in params:
            self.state[p]["step"] += 1
        for backend, ps, step in self._batches(params, lambda p: self.state[p]["step"]):
            sums = [self.state[p]["sum"] for p in ps]
            multi = getattr(backend, "adagrad_step_multi", None)
            if multi is not None:
                multi([p._data for p in ps], [self._grad(p) for p in ps], sums, step, lr, decay,
                      wd, eps, maximize)
                continue
            for p, acc in zip(ps, sums):
                backend.adagrad_step(p._data, self._grad(p), acc, step, lr, decay, wd, eps,
                                     maximize)
