"""Grad mode: whether ops record the graph. Thread-local, like torch."""
from __future__ import annotations

import functools
import threading

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]


class _Mode(threading.local):
    enabled = True


_mode = _Mode()


def is_grad_enabled() -> bool:
    """True when new ops record their inputs for backward."""
    return _mode.enabled


class _GradModeContext:
    enabled: bool

    def __enter__(self):
        self._prev = _mode.enabled
        _mode.enabled = self.enabled
        return self

    def __exit__(self, *exc):
        _mode.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradModeContext):
    """Context manager / decorator: ops inside record nothing (inference, optimizer steps)."""
    enabled = False


class enable_grad(_GradModeContext):
    """Context manager / decorator: turn graph recording back on inside ``no_grad``."""
    enabled = True


class set_grad_enabled(_GradModeContext):
    """``with set_grad_enabled(flag):`` — grad mode on or off by a boolean."""

    def __init__(self, mode: bool):
        self.enabled = bool(mode)

    def __call__(self, fn):
        mode = self.enabled

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper
