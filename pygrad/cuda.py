"""``pg.cuda``: which GPUs can be reached, and the clear errors when none can.

CuPy is imported lazily and is optional: ``import pygrad`` works without it, ``is_available()``
is then False. Indices count the devices left visible by ``CUDA_VISIBLE_DEVICES`` (as CUDA does):
with ``CUDA_VISIBLE_DEVICES=2,3``, ``cuda:0`` is physical GPU 2.

``current_device()`` returns 0 when no GPU can be reached, so ``pg.device("cuda")`` still names
``cuda:0``; the clear error comes when that device is first used (a tensor is created on it).

Errors the GPU finds without a host sync — an out-of-range cross_entropy target — surface at the
next point where the host waits for that device, not at the call: see ``synchronize``.
"""
from __future__ import annotations

import os
import sys

__all__ = ["is_available", "device_count", "current_device", "get_device_name", "set_device",
           "synchronize", "CudaUnavailableError", "CupyNotInstalledError", "NoCudaDeviceError",
           "InvalidDeviceError"]

INSTALL_HINT = 'pip install "pygrad[cuda12]" or "pygrad[cuda13]" (matching your CUDA driver)'


class CudaUnavailableError(RuntimeError):
    """No CUDA device can be used (base class of the specific errors below)."""


class CupyNotInstalledError(CudaUnavailableError):
    """CuPy, which runs pygrad's GPU backend, cannot be imported."""


class NoCudaDeviceError(CudaUnavailableError):
    """CuPy is there but finds no driver or no visible GPU."""


class InvalidDeviceError(CudaUnavailableError):
    """A cuda index outside the visible devices."""


def _cupy():
    """The cupy module, or CupyNotInstalledError naming the extra to install."""
    try:
        import cupy
    except ImportError as e:  # also raised when sys.modules["cupy"] is None
        raise CupyNotInstalledError(
            f"CUDA needs CuPy, which cannot be imported ({e}). Install it with {INSTALL_HINT}."
        ) from None
    return cupy


def _visible_note() -> str:
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is None:
        return "CUDA_VISIBLE_DEVICES is unset, so every GPU is visible"
    return f"CUDA_VISIBLE_DEVICES={env!r}; indices count the visible devices only"


def _count_or_raise() -> int:
    """Number of visible devices; NoCudaDeviceError (with CuPy's message) when there is no
    driver or no device."""
    cupy = _cupy()
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # CUDARuntimeError: no driver, driver too old, no device
        raise NoCudaDeviceError(f"no CUDA device can be reached: {e} ({_visible_note()})") from None
    if n == 0:
        raise NoCudaDeviceError(f"no CUDA device is visible ({_visible_note()})")
    return n


def device_count() -> int:
    """Number of visible CUDA devices; 0 without CuPy, a driver or a GPU (never raises)."""
    try:
        return _count_or_raise()
    except CudaUnavailableError:
        return 0


def is_available() -> bool:
    """True when at least one CUDA device can be used (never raises)."""
    return device_count() > 0


def _check_index(index, source=None) -> None:
    """Raise a CudaUnavailableError unless ``cuda:index`` can be used.

    ``source`` names where the index came from (e.g. ``"PYGRAD_DEVICE='cuda:3'"``) and
    prefixes the message.
    """
    prefix = f"{source}: " if source else ""
    try:
        n = _count_or_raise()
    except CudaUnavailableError as e:
        raise type(e)(f"{prefix}{e}") from None
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n:
        raise InvalidDeviceError(
            f"{prefix}cuda index: expected 0..{n - 1}, got {index!r}; visible: "
            f"{', '.join(_describe(i) for i in range(n))} ({_visible_note()})")


def _describe(i: int) -> str:
    try:
        return f"cuda:{i} ({get_device_name(i)})"
    except Exception:
        return f"cuda:{i}"


def current_device() -> int:
    """Index of the current CUDA device; 0 when no GPU can be reached (see the module doc)."""
    try:
        n = _count_or_raise()
    except CudaUnavailableError:
        return 0
    return _cupy().cuda.runtime.getDevice() if n else 0


def set_device(index) -> None:
    """Make ``index`` (an int, "cuda:N" or a Device) the current CUDA device."""
    index = _index_of(index)
    _check_index(index)
    _cupy().cuda.runtime.setDevice(index)


def get_device_name(index=None) -> str:
    """The GPU's name, e.g. "NVIDIA H200" (current device when index is None)."""
    cupy = _cupy()
    index = current_device() if index is None else _index_of(index)
    name = cupy.cuda.runtime.getDeviceProperties(index)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def synchronize(device=None) -> None:
    """Wait until every kernel queued on ``device`` (default: the current one) has finished.

    Errors that the GPU found without a host sync surface here, as torch's device-side asserts
    surface at its next synchronizing call: an out-of-range cross_entropy target raises an
    IndexError at the first of ``pg.cuda.synchronize()``, ``item()``, ``tolist()``, printing or
    ``cpu()`` of a tensor on that device after the call that had it — not at the call itself,
    and not at ``backward()``, which does not wait for the GPU. The message names the class
    count and ignore_index but not the call (which one is not known); each bad target is reported
    once. ``PYGRAD_CHECK_TARGETS=sync`` raises at the call instead (a sync per call), ``=0``
    checks nothing (see ``pygrad.backend.cuda``).
    """
    cupy = _cupy()
    index = current_device() if device is None else _index_of(device)
    _check_index(index)
    with cupy.cuda.Device(index):
        cupy.cuda.runtime.deviceSynchronize()
    backend = sys.modules.get("pygrad.backend.cuda")   # not imported: no kernel ran
    if backend is not None:
        backend.check_pending(index)


def _index_of(spec) -> int:
    if isinstance(spec, int) and not isinstance(spec, bool):
        return spec
    from .device import Device
    dev = Device(spec)
    if dev.type != "cuda":
        raise ValueError(f"cuda: expected a cuda device or index, got {spec!r}")
    return dev.index
