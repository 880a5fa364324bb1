"""pygrad's random generator: one seeded NumPy Generator, so results repeat across devices."""
from __future__ import annotations

import numpy as np

_state = {"rng": np.random.default_rng(0)}


def manual_seed(seed: int):
    """Seed the generator behind randn, rand, randint, randperm, init and dropout."""
    if not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: expected an int, got {type(seed).__name__}")
    _state["rng"] = np.random.default_rng(int(seed))
    return _state["rng"]


def generator() -> np.random.Generator:
    return _state["rng"]


def normal(shape, mean=0.0, std=1.0, dtype=np.float32):
    return generator().normal(mean, std, size=shape).astype(dtype)


def uniform(shape, low=0.0, high=1.0, dtype=np.float32):
    return generator().uniform(low, high, size=shape).astype(dtype)
