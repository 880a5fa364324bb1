"""Devices: where a tensor's array lives ("cpu", "cuda:N") and which backend runs its ops.

``PYGRAD_DEVICE`` ("cpu", "cuda", "cuda:N") sets the default device of new tensors; unset
means "cpu". Device objects are interned, so ``a.device is b.device`` is the fast same-device
test used by every op.
"""
from __future__ import annotations

import os
import threading

__all__ = ["Device", "device", "get_default_device", "set_default_device"]


class Device:
    """A device: ``type`` is "cpu" or "cuda", ``index`` is None for the cpu, an int for cuda."""

    __slots__ = ("type", "index", "_backend")
    _interned: dict = {}
    _lock = threading.Lock()

    def __new__(cls, spec="cpu", index=None):
        if isinstance(spec, Device):
            return spec
        type_, idx = _parse(spec, index)
        key = (type_, idx)
        dev = cls._interned.get(key)
        if dev is None:
            with cls._lock:
                dev = cls._interned.get(key)
                if dev is None:
                    dev = object.__new__(cls)
                    dev.type, dev.index, dev._backend = type_, idx, None
                    cls._interned[key] = dev
        return dev

    @property
    def backend(self):
        """The backend module that runs ops for arrays on this device (resolved once)."""
        if self._backend is None:
            from .backend import backend_for
            self._backend = backend_for(self)
        return self._backend

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, (str, int)):
            try:
                other = Device(other)
            except (ValueError, RuntimeError, TypeError):
                return False
        return self is other

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (Device, (str(self),))


def _parse(spec, index):
    if isinstance(spec, int) and not isinstance(spec, bool):
        spec, index = "cuda", spec
    if not isinstance(spec, str):
        raise TypeError(f"device: expected a str like 'cpu' or 'cuda:0', a Device or an int, "
                        f"got {type(spec).__name__}")
    s = spec.strip().lower()
    if ":" in s:
        if index is not None:
            raise ValueError(f"device: index given twice in {spec!r} and index={index}")
        s, _, num = s.partition(":")
        if not num.isdigit():
            raise ValueError(f"device: expected 'cuda:N' with N a non-negative integer, got {spec!r}")
        index = int(num)
    if s == "cpu":
        if index not in (None, 0):
            raise ValueError(f"device: the cpu has no index, got {spec!r}")
        return "cpu", None
    if s in ("cuda", "gpu"):
        if index is None:
            from . import cuda
            index = cuda.current_device()
        if index < 0:
            raise ValueError(f"device: cuda index must be >= 0, got {index}")
        return "cuda", int(index)
    raise ValueError(f"device: expected 'cpu', 'cuda' or 'cuda:N', got {spec!r}")


def device(spec="cpu", index=None) -> Device:
    """``pg.device("cuda:1")`` — the interned Device for a spec (like ``torch.device``)."""
    return Device(spec, index)


_default = threading.local()


def get_default_device() -> Device:
    """The device new tensors go to: set_default_device(), else $PYGRAD_DEVICE, else cpu."""
    dev = getattr(_default, "device", None)
    if dev is None:
        spec = os.environ.get("PYGRAD_DEVICE", "").strip() or "cpu"
        try:
            dev = Device(spec)
        except ValueError as e:
            raise ValueError(f"PYGRAD_DEVICE={spec!r} is not a device: {e}") from None
        if dev.type == "cuda":
            from . import cuda
            cuda._check_index(dev.index, source=f"PYGRAD_DEVICE={spec!r}")
        _default.device = dev
    return dev


def set_default_device(spec) -> None:
    """Set the default device of new tensors for this thread (overrides $PYGRAD_DEVICE)."""
    _default.device = None if spec is None else Device(spec)
