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
    """Base of no_grad / enable_grad: a context manager, and a decorator with or without
    parentheses (``@no_grad()`` and ``@no_grad``)."""

    enabled: bool

    def __new__(cls, func=None):
        self = super().__new__(cls)
        if func is not None and callable(func):    # used as @no_grad without parentheses
            return self(func)
        return self

    def __enter__(self):
        self._prev = _mode.enabled
        _mode.enabled = self.enabled
        return self

    def __exit__(self, *exc):
        _mode.enabled = self._prev
        return False

    def __call__(self, fn):
        cls = self.__class__

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with cls():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradModeContext):
    """Context manager / decorator: ops inside record nothing (inference, optimizer steps)."""
    enabled = False


class enable_grad(_GradModeContext):
    """Context manager / decorator: turn graph recording back on inside ``no_grad``."""
    enabled = True


class set_grad_enabled:
    """``set_grad_enabled(flag)`` sets grad mode at once (as torch); as a context manager
    (``with set_grad_enabled(flag):``) it restores the previous mode on exit."""

    def __init__(self, mode: bool):
        self._prev = _mode.enabled
        self.enabled = bool(mode)
        _mode.enabled = self.enabled

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _mode.enabled = self._prev
        return False

    def __call__(self, fn):
        mode = self.enabled
        _mode.enabled = self._prev      # as a decorator it only applies inside fn

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper
