"""Products and running reductions: prod, cumprod, cummax / cummin, logcumsumexp."""
from __future__ import annotations

import sys

from ..autograd.function import Function  # noqa: F401 - the ops of this module subclass it

Tensor = None   # pygrad.tensor.Tensor, bound when that module loads (it imports this one)

__all__ = []    # the functions exported as pygrad.<name>
METHODS = ()    # functions of this module that are also Tensor methods (x.name(...))


def install(tensor_class):
    """Bind METHODS on the Tensor class (tensor.py calls this once it is defined)."""
    module = sys.modules[__name__]
    for name in METHODS:
        setattr(tensor_class, name, getattr(module, name))
