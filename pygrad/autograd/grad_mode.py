"""Grad mode: whether ops record the graph. Thread-local, like torch."""
from __future__ import annotations

import functools
import threading

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "set_detect_anomaly", "detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]


class _Mode(threading.local):
    enabled = True
    anomaly = False         # anomaly mode: backward checks each op's gradients for NaN


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


def is_anomaly_enabled() -> bool:
    """True while anomaly mode is on (``set_detect_anomaly(True)``)."""
    return _mode.anomaly


def is_anomaly_check_nan_enabled() -> bool:
    return _mode.anomaly


class set_detect_anomaly:
    """``set_detect_anomaly(True)``: from now on (or inside ``with``, restored on exit)
    backward raises at the first op whose gradient has a NaN, naming it, as torch. What
    pygrad does not do: record forward tracebacks."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self._prev = _mode.anomaly
        _mode.anomaly = bool(mode) and bool(check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _mode.anomaly = self._prev
        return False


class detect_anomaly:
    """Context manager / decorator: anomaly mode inside (see ``set_detect_anomaly``)."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = _mode.anomaly
        _mode.anomaly = bool(self.check_nan)
        return self

    def __exit__(self, *exc):
        _mode.anomaly = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper
