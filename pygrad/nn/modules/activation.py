"""Activation and shape modules: thin wrappers over pygrad.nn.functional."""
from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["Sigmoid", "ReLU", "Tanh", "Softmax", "LogSoftmax", "Dropout", "Flatten"]


class Sigmoid(Module):
    """σ(x) = 1 / (1 + e^−x), elementwise (fused kernel)."""

    def forward(self, x):
        return F.sigmoid(x)


class ReLU(Module):
    """max(x, 0), elementwise."""

    def forward(self, x):
        return F.relu(x)


class Tanh(Module):
    """tanh(x), elementwise."""

    def forward(self, x):
        return F.tanh(x)


def _implicit_dim(ndim: int) -> int:
    # torch's legacy choice when dim is not given
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(Module):
    """exp(x_i) / Σ_j exp(x_j) along ``dim`` (fused kernel)."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmax(x, self.dim if self.dim is not None else _implicit_dim(x.ndim))

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """x_i − log Σ_j exp(x_j) along ``dim`` (fused kernel)."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.log_softmax(x, self.dim if self.dim is not None else _implicit_dim(x.ndim))

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Dropout(Module):
    """In training, zero each element with probability p and scale the rest by 1/(1−p)."""

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Flatten(Module):
    """Merge dims start_dim..end_dim: (N, *rest) → (N, ∏rest) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
