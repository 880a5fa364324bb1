"""The compiled engine core: which modules are built with Cython, and running their Python
source instead.

The modules in ``CORE`` are plain Python, compiled by Cython at install time (setup.py)
into extension modules that sit beside their ``.py`` files and are imported in their place:
the same algorithm, without the interpreter's per-line cost. The Python source is used
instead when

* ``PYGRAD_PURE_PYTHON=1`` is set (to debug, profile line by line, or check that both
  agree: the test suite runs both ways), or
* a source file differs from the one its extension was built from (an edited checkout
  that was not rebuilt; a warning says so), or
* there is no extension (installed without a C compiler).

``install()`` must run before the first import of a core module (pygrad/__init__ does it).
"""
from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import sys
import warnings

CORE = ("pygrad.tensor", "pygrad.autograd.function", "pygrad.autograd.engine",
        "pygrad.autograd.grad_mode", "pygrad.ops.binary", "pygrad.ops.dtypes",
        "pygrad.ops.elementwise", "pygrad.ops.math", "pygrad.ops.unary", "pygrad.ops.reduce",
        "pygrad.ops.shape", "pygrad.ops.activation")


# Compiled modules that use another's extension types (``cimport`` in their .pxd): they
# can only run compiled beside that module compiled, so they run as Python with it.
CIMPORTS = {"pygrad.autograd.engine": ("pygrad.autograd.function",),
            "pygrad.tensor": ("pygrad.autograd.function",)}

_ROOT = os.path.dirname(os.path.abspath(__file__))        # the pygrad package folder


def source_hash(path: str) -> str:
    """Hash of a core module's source: the .py and, when there is one, the .pxd beside it
    (its declarations are part of what gets compiled)."""
    h = hashlib.sha256()
    for p in (path, path[:-3] + ".pxd"):
        if os.path.exists(p):
            with open(p, "rb") as f:
                h.update(f.read())
    return h.hexdigest()[:16]


def source_path(name: str) -> str:
    """The .py of core module ``name`` in this installation."""
    return os.path.join(_ROOT, *name.split(".")[1:]) + ".py"


def built_from() -> dict:
    """module -> hash of the source its extension was built from (written by setup.py)."""
    try:
        from ._core_build import SOURCES
    except ImportError:
        return {}
    return SOURCES


class _SourceFinder:
    """A meta-path finder that hands out a core module's ``.py`` instead of its extension
    when the Python source must run (see the module docstring)."""

    def __init__(self, pure: bool):
        self.pure = pure
        self.stale = []

    def find_spec(self, name, path=None, target=None):
        if name not in CORE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.origin is None or spec.origin.endswith(".py"):
            return None                          # no extension: the source is used anyway
        src = os.path.join(os.path.dirname(spec.origin), name.rpartition(".")[2] + ".py")
        if not os.path.exists(src):
            return None                          # an install without sources
        if not self.pure:
            built = built_from()
            edited = [m for m in (name,) + CIMPORTS.get(name, ())
                      if built.get(m) != source_hash(src if m == name else source_path(m))]
            if not edited:
                return None                      # the extension matches its source
            self.stale.append(name)
            if edited[0] == name:
                warnings.warn(f"pygrad: {src} differs from the source its compiled module "
                              f"was built from; running the Python source (reinstall "
                              f"pygrad, e.g. pip install -e ., to rebuild it)", RuntimeWarning,
                              stacklevel=2)
        return importlib.util.spec_from_file_location(name, src)


_finder = None


def install() -> None:
    global _finder
    if _finder is None:
        _finder = _SourceFinder(os.environ.get("PYGRAD_PURE_PYTHON", "") not in ("", "0"))
        sys.meta_path.insert(0, _finder)


def compiled() -> dict:
    """module -> True when its compiled extension is the one running."""
    out = {}
    for name in CORE:
        mod = sys.modules.get(name)
        out[name] = bool(mod is not None and not (getattr(mod, "__file__", "") or
                                                  "").endswith(".py"))
    return out
