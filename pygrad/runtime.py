"""Process-wide settings torch code sets: threads, print options, deterministic algorithms,
inference mode.

* :class:`inference_mode` — ``no_grad`` for inference, as a context manager or decorator;
  :func:`is_inference_mode_enabled`.
* :func:`set_num_threads` / :func:`get_num_threads` — the threads of the cpu kernels.
* :func:`set_printoptions` — precision, summarising and line width of tensor reprs, with
  torch's profiles ("default", "short", "full") and ``sci_mode``.
* :func:`use_deterministic_algorithms` / :func:`are_deterministic_algorithms_enabled` —
  recorded for code that sets and reads them.
* :func:`compile` — torch.compile's signature; pygrad runs eagerly, so it returns the model
  (or function) unchanged.
* ``backends`` — the switches scripts set (``backends.cudnn.benchmark = True``, ...) and the
  availability checks they make (``backends.mps.is_available()``): recorded, none of them
  changes what pygrad runs.
* :func:`typename` — torch's type names ("torch.FloatTensor" style, with pygrad's prefix).
"""
from __future__ import annotations

import functools
import math
import sys
import threading

import numpy as np

from .autograd.grad_mode import _GradModeContext, _mode
from .backend import cpu as _cpu

__all__ = [
    "are_deterministic_algorithms_enabled",
    "backends",
    "compile",
    "typename",
    "get_num_threads",
    "inference_mode",
    "is_deterministic_algorithms_warn_only_enabled",
    "is_inference_mode_enabled",
    "set_num_threads",
    "set_printoptions",
    "use_deterministic_algorithms",
]


# ---------------------------------------------------------------------------- inference mode

class _Inference(threading.local):
    enabled = False


_inference = _Inference()


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()`` (thread-local, like grad mode)."""
    return _inference.enabled


class inference_mode(_GradModeContext):
    """Context manager / decorator for inference: ops inside record no graph, as ``no_grad``.

    ``inference_mode(False)`` turns it off inside an enclosing one and, as torch, turns grad
    mode on. Used as ``@inference_mode``, ``@inference_mode()`` or ``@inference_mode(False)``.
    Unlike torch, tensors made inside are ordinary tensors: they may be used in autograd later
    (torch raises for "inference tensors").
    """

    mode = True     # when used as a bare decorator (``@inference_mode``), __init__ is skipped

    def __init__(self, mode=True):
        if not isinstance(mode, bool):
            raise TypeError(f"inference_mode: mode must be a bool (or the function to "
                            f"decorate), got {type(mode).__name__}")
        self.mode = mode

    def __enter__(self):
        self._prev = (_mode.enabled, _inference.enabled)
        _mode.enabled = not self.mode
        _inference.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _mode.enabled, _inference.enabled = self._prev
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__(self.mode)


# ---------------------------------------------------------------------------- threads

def set_num_threads(n: int) -> None:
    """Threads the cpu kernels use on large inputs (OpenMP), as ``torch.set_num_threads``.

    It applies to kernels called from the calling thread; NumPy's own BLAS threads are not
    changed. Without the compiled kernels there is nothing to set (get_num_threads stays 1).
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(  # noqa: TRY004 - torch's class
            f"set_num_threads expects an int, but got {type(n).__name__}")
    if n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n}")
    _cpu.set_num_threads(n)


def get_num_threads() -> int:
    """Threads the cpu kernels use on large inputs (1 without the compiled kernels)."""
    return _cpu.num_threads()


# ---------------------------------------------------------------------------- printing

# torch's profiles, except that "default" and "short" summarise above 200 elements and wrap
# at 75 columns (pygrad's repr always has; torch: 1000 and 80)
_PROFILES = {
    "default": {"precision": 4, "threshold": 200, "edgeitems": 3, "linewidth": 75},
    "short": {"precision": 2, "threshold": 200, "edgeitems": 2, "linewidth": 75},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 75},
}
_print_opts = dict(_PROFILES["default"], sci_mode=None)


def _count(name, value, least, allow_inf=False):
    if allow_inf and isinstance(value, float) and value == math.inf:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"set_printoptions: {name} must be an int, got {type(value).__name__}")
    if value < least:
        raise ValueError(f"set_printoptions: {name} must be >= {least}, got {value}")
    return int(value)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None) -> None:
    """Options of tensor printing, as ``torch.set_printoptions``.

    Args:
        precision: digits after the decimal point of floats (default 4).
        threshold: more elements than this print summarised, with "..." (default 200;
            ``math.inf`` never summarises).
        edgeitems: items shown at each end of a summarised dimension (default 3).
        linewidth: characters per line before wrapping (default 75).
        profile: "default", "short" (precision 2, edgeitems 2) or "full" (no summarising);
            applied first, then the other arguments.
        sci_mode: True / False force scientific / fixed notation for floats; None (the
            default) chooses from the values. As torch, every call sets it.

    Numbers are laid out by NumPy's ``array2string``: short values lose trailing zeros
    ("1." where torch prints "1.0000"), otherwise the digits are torch's. An unknown profile
    raises ValueError (torch ignores it).
    """
    if profile is not None and profile not in _PROFILES:
        raise ValueError(f"set_printoptions: profile must be one of "
                             f"{', '.join(map(repr, _PROFILES))}, got {profile!r}")
    if sci_mode is not None and not isinstance(sci_mode, bool):
        raise TypeError(f"set_printoptions: sci_mode must be True, False or None, got "
                        f"{sci_mode!r}")
    new = dict(_print_opts)
    if profile is not None:
        new.update(_PROFILES[profile])
    for name, value, least in (("precision", precision, 0), ("threshold", threshold, 0),
                               ("edgeitems", edgeitems, 1), ("linewidth", linewidth, 1)):
        if value is not None:
            new[name] = _count(name, value, least, allow_inf=name == "threshold")
    new["sci_mode"] = sci_mode
    _print_opts.update(new)


def get_printoptions() -> dict:
    """The current print options (a copy), as ``torch._tensor_str.get_printoptions``."""
    return dict(_print_opts)


def _float_formatter(a, precision, sci):
    """A formatter writing the floats of ``a`` as torch's sci_mode=True / False do: one
    notation, right-aligned to the widest nonzero finite value; with sci_mode=False, arrays
    of whole numbers print as "3." (torch's int mode)."""
    finite = a[np.isfinite(a) & (a != 0)].astype(np.float64)
    if not finite.size:             # zeros, nan and inf only: "0." whatever the mode
        sci = False
    whole = not sci and bool(np.all(finite == np.ceil(finite)))

    def fmt(v):
        if sci:
            return f"{v:.{precision}e}"
        return f"{v:.0f}." if whole else f"{v:.{precision}f}"
    width = 1
    for part in (finite[finite > 0], finite[finite < 0]):
        if part.size:       # the longest strings come from the largest / smallest magnitudes
            width = max(width, len(fmt(float(part.max()))), len(fmt(float(part.min()))))

    def format_(v):
        return (fmt(float(v)) if np.isfinite(v) else str(float(v))).rjust(width)
    return format_


def tensor_repr(self) -> str:
    """``repr(tensor)`` under the print options: the values as ``tensor([...])``, then
    device, dtype (other than float32 / int64 / bool) and the autograd state."""
    o = _print_opts
    host = self._host()
    threshold = sys.maxsize if o["threshold"] == math.inf else o["threshold"]
    kwargs = {}
    if o["sci_mode"] is not None and host.dtype.kind == "f" and host.size:
        kwargs["formatter"] = {"float_kind": _float_formatter(host, o["precision"],
                                                              o["sci_mode"])}
    body = np.array2string(host, separator=", ", prefix="tensor(", precision=o["precision"],
                           threshold=threshold, edgeitems=o["edgeitems"],
                           max_line_width=o["linewidth"], **kwargs)
    extras = []
    if self.device.type != "cpu":
        extras.append(f"device='{self.device}'")
    if self.dtype not in (np.float32, np.int64, np.bool_):
        extras.append(f"dtype=pygrad.{self.dtype}")
    if self._ctx is not None:
        extras.append(f"grad_fn=<{type(self._ctx).__name__}Backward>")
    elif self._requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"


# ---------------------------------------------------------------------------- determinism

_deterministic = {"mode": False, "warn_only": False}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Record whether code asks for deterministic algorithms, as torch's switch.

    It is recorded only: pygrad's cpu kernels give the same result on every run for a given
    thread count, and no op checks the setting or raises for a nondeterministic path.
    """
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms: mode must be bool, not "
                        f"{type(mode).__name__}")
    if not isinstance(warn_only, bool):
        raise TypeError(f"use_deterministic_algorithms: warn_only must be bool, not "
                        f"{type(warn_only).__name__}")
    _deterministic.update(mode=mode, warn_only=warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    """What :func:`use_deterministic_algorithms` last set (False at start)."""
    return _deterministic["mode"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """The ``warn_only`` of the last :func:`use_deterministic_algorithms` (False at start)."""
    return _deterministic["warn_only"]


# ---------------------------------------------------------------------------- torch.compile

def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor",  # noqa: A001
            mode=None, options=None, disable=False):
    """torch.compile's signature: pygrad has no graph compiler (its kernels are compiled
    ahead of time), so the model or function comes back unchanged; used as a decorator,
    with or without arguments, it returns the function itself."""
    if model is None:
        return lambda fn: fn
    if not callable(model):
        raise TypeError(f"compile: expected a callable (a Module or a function), got "
                        f"{type(model).__name__}")
    return model


def typename(obj) -> str:
    """torch.typename: "pygrad.FloatTensor" style names for tensors, the qualified class name
    for anything else."""
    names = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
             "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
             "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor"}
    from .tensor import Tensor
    if isinstance(obj, Tensor):
        prefix = "pygrad.cuda." if obj.device.type == "cuda" else "pygrad."
        return prefix + names[str(obj.dtype)]
    cls = obj if isinstance(obj, type) else type(obj)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"


# ---------------------------------------------------------------------------- backends

class _Switches:
    """A namespace of settings scripts assign (recorded), plus ``is_available()``."""

    def __init__(self, name, available=False, **settings):
        self._name, self._available = name, available
        self.__dict__.update(settings)

    def is_available(self) -> bool:
        return self._available() if callable(self._available) else self._available

    def is_built(self) -> bool:
        return self.is_available()

    def __repr__(self):
        return f"<pygrad.backends.{self._name}>"


def _cuda_available():
    from .cuda import is_available
    return is_available()


class _Backends:
    """torch.backends: cudnn / mps / cuda / mkldnn / openmp / mkl switches, recorded only
    (pygrad has no cuDNN or MPS backend; its CUDA kernels are its own)."""

    def __init__(self):
        self.cudnn = _Switches("cudnn", False, enabled=True, benchmark=False,
                               deterministic=False, allow_tf32=True)
        self.mps = _Switches("mps", False)
        self.cuda = _Switches("cuda", _cuda_available)
        self.cuda.matmul = _Switches("cuda.matmul", _cuda_available, allow_tf32=False,
                                     allow_fp16_reduced_precision_reduction=True)
        self.mkldnn = _Switches("mkldnn", False, enabled=True)
        self.mkl = _Switches("mkl", False)
        self.openmp = _Switches("openmp", True)

    def __repr__(self):
        return "<pygrad.backends>"


backends = _Backends()


def install(tensor_class):
    """Bind this module's Tensor methods (pygrad/__init__ calls this once)."""
    tensor_class.__repr__ = tensor_repr
