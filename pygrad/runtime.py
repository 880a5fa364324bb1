"""Process-wide settings torch code sets: threads, print options, deterministic algorithms,
inference mode."""
from __future__ import annotations

__all__ = []    # the functions exported as pygrad.<name>


def install(tensor_class):
    """Bind this module's Tensor methods (pygrad/__init__ calls this once)."""
