"""``pygrad.nn.functional`` (imported as F): activations, softmax family, dropout, losses."""
from __future__ import annotations

from ..ops.activation import log_softmax, logsigmoid, sigmoid, softmax
from ..ops.loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
                        mse_loss, nll_loss)
from ..ops.math import linear
from ..ops.unary import relu, tanh

__all__ = ["sigmoid", "relu", "tanh", "softmax", "log_softmax", "linear", "dropout",
           "cross_entropy", "nll_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "mse_loss", "logsigmoid"]


def dropout(input, p=0.5, training=True):  # noqa: A002 - torch's name
    """Zero each element with probability ``p`` and scale the rest by 1/(1−p) (training only)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    from ..random import uniform
    from ..tensor import Tensor, _to_device_array
    keep = uniform(input.shape, dtype=input.dtype) >= p
    mask = _to_device_array(keep.astype(input.dtype) / (1 - p), input.dtype, input.device)
    return input * Tensor._make(mask, input.device)
