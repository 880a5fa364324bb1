"""CuPy-like arrays on a machine without a GPU, for the code paths that take CuPy arrays.

The arrays come from the cudasim stand-in ``cupy`` (``../shared/tools/cudasim/simcupy.py``
beside the repository: NumPy memory in guarded mappings, ``.get()`` copies to the host). It is
loaded under a private name, never installed as ``cupy``, so the rest of the test run is not
affected. A test that needs it skips when the file is missing.

As on a real ``cupy.ndarray``, ``.data`` is a ``cupy.cuda.memory.MemoryPointer``: a device
address without ``.get()`` or array contents, which is what code that reads ``x.data`` on a
raw CuPy array stumbles on.
"""
from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pytest

SIMCUPY = (pathlib.Path(__file__).resolve().parents[2] / "shared" / "tools" / "cudasim"
           / "simcupy.py")
_cache: dict = {}


def simcupy():
    """The stand-in module (skips the calling test when it is not there or cannot load)."""
    if "mod" not in _cache:
        if not SIMCUPY.is_file():
            pytest.skip(f"the cudasim stand-in cupy is not at {SIMCUPY}")
        try:
            spec = importlib.util.spec_from_file_location("_pygrad_tests_simcupy", SIMCUPY)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
        except Exception as e:      # not Linux/glibc, say: the tool documents what it needs
            pytest.skip(f"the cudasim stand-in cupy does not load here: {e}")
        _cache["mod"] = mod
        _cache["cls"] = _array_class(mod)
    return _cache["mod"]


class MemoryPointer:
    """cupy.cuda.memory.MemoryPointer: what ``cupy.ndarray.data`` is."""

    __module__ = "cupy.cuda.memory"

    def __init__(self, ptr: int):
        self.ptr = ptr


def _array_class(mod):
    class ndarray(mod.ndarray):
        @property
        def data(self):
            return MemoryPointer(self.__array_interface__["data"][0])

    ndarray.__module__ = "cupy"
    ndarray.__qualname__ = ndarray.__name__ = "ndarray"
    return ndarray


def cupy_array(a, dtype=None):
    """A CuPy-like device copy of ``a``."""
    mod = simcupy()
    out = mod.asarray(np.asarray(a, dtype=dtype)).view(_cache["cls"])
    mod.reset_tracking()        # no kernels run here: nothing to check canaries for
    return out


def cuda_tensor(a, dtype=None, requires_grad=False):
    """A pygrad Tensor on "cuda:0" whose array is ``cupy_array(a)`` (no GPU is touched)."""
    from pygrad.device import Device
    from pygrad.tensor import Tensor
    return Tensor._make(cupy_array(a, dtype), Device("cuda:0"), requires_grad)
