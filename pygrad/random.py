"""Random numbers: ``pygrad.Generator`` (torch's API over NumPy's PCG64) and the global one.

Every sampling function takes ``generator=``; without it, the global generator is used, which
``manual_seed`` reseeds. A seed gives the same numbers on every device (they are drawn on the
host), though not the numbers torch draws for that seed.
"""
from __future__ import annotations

import numpy as np


class Generator:
    """A seeded source of random numbers (torch.Generator): ``manual_seed``, ``seed``,
    ``initial_seed``, ``get_state`` / ``set_state``."""

    def __init__(self, device="cpu"):
        from .device import Device
        self.device = Device(device)
        self._initial = 67280421310721          # torch's default seed
        self.rng = np.random.default_rng(self._initial)

    def manual_seed(self, seed):
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"manual_seed: expected an int, got {type(seed).__name__}")
        self._initial = int(seed) % 2 ** 64
        self.rng = np.random.default_rng(self._initial)
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; returns the new seed."""
        s = int(np.random.SeedSequence().entropy % 2 ** 63)
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._initial

    def get_state(self):
        """The generator's state (a dict; pass it to ``set_state``)."""
        return {"initial_seed": self._initial, "bit_generator": self.rng.bit_generator.state}

    def set_state(self, state):
        if not isinstance(state, dict) or "bit_generator" not in state:
            raise TypeError("set_state: expected a state returned by get_state()")
        self._initial = state.get("initial_seed", self._initial)
        self.rng.bit_generator.state = state["bit_generator"]
        return self

    def __repr__(self):
        return f"<pygrad.Generator device={self.device} initial_seed={self._initial}>"


_default = Generator()
_default.manual_seed(0)
default_generator = _default


def manual_seed(seed):
    """Seed the global generator (behind randn, rand, randint, randperm, init, dropout, ...);
    returns it, as torch.manual_seed."""
    return _default.manual_seed(seed)


def seed() -> int:
    return _default.seed()


def initial_seed() -> int:
    return _default.initial_seed()


def get_rng_state():
    return _default.get_state()


def set_rng_state(state):
    _default.set_state(state)


def rng_of(generator=None) -> np.random.Generator:
    """The NumPy generator behind ``generator`` (None: the global one)."""
    if generator is None:
        return _default.rng
    if isinstance(generator, Generator):
        return generator.rng
    raise TypeError(f"generator: expected a pygrad.Generator, got {type(generator).__name__}")


def generator() -> np.random.Generator:
    return _default.rng


def normal(shape, mean=0.0, std=1.0, dtype=np.float32):
    return _default.rng.normal(mean, std, size=shape).astype(dtype)


def uniform(shape, low=0.0, high=1.0, dtype=np.float32):
    return _default.rng.uniform(low, high, size=shape).astype(dtype)
