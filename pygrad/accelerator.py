"""``pg.accelerator`` (torch.accelerator's names): the device-agnostic view of the GPU.

pygrad's one accelerator type is CUDA (through CuPy). Without a usable GPU — no CuPy, no
driver, no visible device — ``is_available()`` is False, ``current_accelerator()`` is None
and ``device_count()`` is 0, and the calls that need a device raise RuntimeError, as torch's
do on a machine without an accelerator. So the idiom

    device = pg.accelerator.current_accelerator() or pg.device("cpu")

picks the GPU when there is one and the CPU otherwise.
"""
from __future__ import annotations

import warnings

from . import cuda
from .device import Device

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "set_device_index", "synchronize", "device_index", "current_device_idx",
           "set_device_idx"]

_NONE = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    """True when a GPU can be used (never raises)."""
    return cuda.is_available()


def device_count() -> int:
    """The number of visible GPUs; 0 without one (never raises)."""
    return cuda.device_count()


def current_accelerator(check_available: bool = False) -> Device | None:
    """The accelerator as a device (``cuda``, at the current GPU's index), or None when no
    GPU can be used. ``check_available`` is accepted for torch's signature: pygrad reports
    an accelerator only when one is available, so it changes nothing."""
    if not is_available():
        return None
    return Device("cuda", cuda.current_device())


def _require():
    if not is_available():
        raise RuntimeError(f"{_NONE} (pg.cuda.is_available() is False: pygrad found no usable "
                           f"GPU)")


def _index(device) -> int | None:
    """The GPU index named by an int, "cuda:N", a Device, or None (the current one)."""
    if device is None:
        return None
    if isinstance(device, int) and not isinstance(device, bool):
        return device
    dev = Device(device)
    if dev.type != "cuda":
        raise ValueError(f"accelerator: expected a cuda device or an index, got {device!r}")
    return dev.index


def current_device_index() -> int:
    """The index of the current GPU; RuntimeError without one."""
    _require()
    return cuda.current_device()


def set_device_index(device, /) -> None:
    """Make ``device`` (an index, "cuda:N" or a Device) the current GPU."""
    _require()
    cuda.set_device(_index(device))


def synchronize(device=None, /) -> None:
    """Wait for every kernel queued on ``device`` (default: the current GPU) to finish."""
    _require()
    cuda.synchronize(_index(device))


class device_index:
    """Context manager: ``device`` (an index) is the current GPU inside the block; None
    leaves it unchanged."""

    def __init__(self, device, /):
        self.idx = device
        self.prev_idx = None

    def __enter__(self):
        if self.idx is not None:
            self.prev_idx = current_device_index()
            set_device_index(self.idx)

    def __exit__(self, *exc_info):
        if self.idx is not None:
            set_device_index(self.prev_idx)


def current_device_idx() -> int:
    """Deprecated in torch: use ``current_device_index``."""
    warnings.warn("Use `current_device_index` instead.", FutureWarning, stacklevel=2)
    return current_device_index()


def set_device_idx(device, /) -> None:
    """Deprecated in torch: use ``set_device_index``."""
    warnings.warn("Use `set_device_index` instead.", FutureWarning, stacklevel=2)
    set_device_index(device)
