"""The cuda backend: CuPy for everything, RawKernels from ``csrc/cuda`` for the hot ops.

Kernels are compiled at run time by ``cupy.RawModule`` (NVRTC), once per source file and device
(memoised here; CuPy also caches the binaries on disk across processes). Sources are read from
the installed package ``pygrad._cuda_src`` (``csrc/cuda`` shipped as package data), else from
``<repo>/csrc/cuda``. Every op without a kernel — or with inputs a kernel does not take (a
softmax over another axis, mixed dtypes, broadcast BCE targets) — runs the reference code, which
is array-generic and so runs on CuPy.

Beside the backend interface (see ``pygrad.backend``) this module exports multi-tensor optimizer
steps that update every parameter of a step in one launch. Lists hold CuPy arrays of one float
dtype, C-contiguous, index-aligned (``grads[k]`` is the gradient of ``params[k]``); scalars are
Python numbers; ``step`` is the step count after incrementing (torch's, starting at 1)::

    sgd_step_multi(params, grads, bufs, lr, momentum=0.0, dampening=0.0, nesterov=False,
                   weight_decay=0.0, maximize=False, first=False)
        bufs: momentum buffers (ignored when momentum == 0; may be None then)
    adagrad_step_multi(params, grads, state_sums, step, lr, lr_decay=0.0, weight_decay=0.0,
                       eps=1e-10, maximize=False)
    rmsprop_step_multi(params, grads, square_avgs, grad_avgs, bufs, lr, alpha=0.99, eps=1e-8,
                       weight_decay=0.0, momentum=0.0, centered=False, maximize=False)
        grad_avgs used when centered, bufs when momentum != 0 (else may be None)
    adam_step_multi(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, step, lr, beta1=0.9,
                    beta2=0.999, eps=1e-8, weight_decay=0.0, decoupled=False, amsgrad=False,
                    maximize=False)
        max_exp_avg_sqs used when amsgrad (else may be None); decoupled=True is AdamW

The per-parameter steps ``sgd_step, adagrad_step, rmsprop_step, adam_step`` keep the reference
signatures (one parameter, in place).

Out-of-range cross_entropy targets. The kernel writes the lowest row whose target is outside
[0, C) and not ignore_index into a per-device flag and gives that row a NaN loss and gradient.
Reading the flag back after every call would be a host sync in every training step, so by
default it is read where the host waits anyway, as torch's device-side asserts surface: the
next ``to_numpy`` of an array on that device (``tolist()``, printing, ``item()``, ``.cpu()``),
``pg.cuda.synchronize()``, or an explicit ``check_pending()``. There an IndexError says that an
earlier cross_entropy call on that device had a bad target (which call is not known), naming the
class count and ignore_index of the calls since the last check; the flag is then cleared, so
each bad target is reported once. The next cross_entropy call does not read the flag (that
would be the per-step sync again). ``PYGRAD_CHECK_TARGETS`` (read at import; the module
attribute ``CHECK_TARGETS`` may be set at run time) chooses:

* "1" (default): the deferred check above; no host transfer inside cross_entropy;
* "sync": read the flag right after the kernel (one 8-byte copy, a host sync per call) and
  raise the reference's IndexError, naming the first bad target, at the call itself — for
  finding the call that has the bad target;
* "0": no check: such rows keep their NaN loss and gradient and nothing is raised. The first
  checked call after unchecked ones on a device clears the flag (their bad rows are not its
  own), which also drops a report still pending from checked calls before them.
"""
from __future__ import annotations

import contextlib
import importlib.resources
import math
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import cupy
import numpy as np

from . import reference
from .reference import *  # noqa: F401,F403  (every op without a kernel below)
from .reference import adagrad_step, adam_step, check_targets, rmsprop_step, sgd_step

xp = cupy
name = "cuda"

DTYPE_NAMES = {np.dtype(np.float32): "float32", np.dtype(np.float64): "float64"}
SOURCES = ("softmax.cu", "cross_entropy.cu", "elementwise.cu", "optim.cu", "layer_norm.cu")
NVRTC_OPTIONS = ("--std=c++17",)


def _check_mode(value: str):
    """PYGRAD_CHECK_TARGETS as CHECK_TARGETS: False (off), True (deferred) or "sync"."""
    v = value.strip().lower()
    if v in ("0", "false", "no", "off"):
        return False
    return "sync" if v == "sync" else True


CHECK_TARGETS = _check_mode(os.environ.get("PYGRAD_CHECK_TARGETS", "1"))

# ============================================================================= sources

_INCLUDE = re.compile(r'^\s*#include\s+"([^"]+)"\s*$', re.M)


def source_dir():
    """Where the .cu/.cuh files are: the ``pygrad._cuda_src`` package data, else the repo's
    ``csrc/cuda``."""
    try:
        root = importlib.resources.files("pygrad._cuda_src")
        if root.joinpath("common.cuh").is_file():
            return root
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parents[2] / "csrc" / "cuda"


def load_source(filename: str) -> str:
    """The source of ``filename`` with its local ``#include "x.cuh"`` pasted in (each header
    once), so the text CuPy hashes for its cache covers the headers too."""
    root = source_dir()
    seen: set = set()

    def expand(fname):
        if fname in seen:
            return ""
        seen.add(fname)
        text = root.joinpath(fname).read_text()
        return _INCLUDE.sub(lambda m: expand(m.group(1)), text)

    return expand(filename)


# ============================================================================= entry points

WARP_VPL = (1, 2, 4, 8, 16, 32, 64)
BLOCK_VPT = (4, 8, 16, 32)
ROW_OPS = ("softmax_fwd", "log_softmax_fwd", "softmax_bwd", "log_softmax_bwd", "cross_entropy")
ROW_TIERS = tuple(f"warp{v}" for v in WARP_VPL) + tuple(f"block{v}" for v in BLOCK_VPT) + ("online",)
LN_TIERS = ("warp", "block")


def kernel_names(filename: str) -> list:
    """Every ``extern "C"`` entry point ``filename`` defines (checked against the PTX in tests)."""
    dts = DTYPE_NAMES.values()
    if filename == "softmax.cu":
        return [f"{op}_{t}_{d}" for op in ROW_OPS[:4] for t in ROW_TIERS for d in dts]
    if filename == "cross_entropy.cu":
        return [f"cross_entropy_{t}_{d}" for t in ROW_TIERS for d in dts]
    if filename == "elementwise.cu":
        return [f"{op}_{d}" for op in ("sigmoid_fwd", "sigmoid_bwd", "bce_with_logits", "gelu_fwd",
                                        "gelu_bwd") for d in dts]
    if filename == "layer_norm.cu":
        return ([f"layer_norm_{op}_{t}_{d}" for op in ("fwd", "bwd") for t in LN_TIERS
                 for d in dts] + [f"layer_norm_gamma_beta_{d}" for d in dts])
    if filename == "optim.cu":
        return [f"{op}_multi_{d}" for op in ("sgd", "adagrad", "rmsprop", "adam") for d in dts]
    raise ValueError(f"kernel_names: expected one of {SOURCES}, got {filename!r}")


_FILE_OF = {op: "cross_entropy.cu" if op == "cross_entropy" else "softmax.cu" for op in ROW_OPS}
_FILE_OF.update(sigmoid_fwd="elementwise.cu", sigmoid_bwd="elementwise.cu",
                bce_with_logits="elementwise.cu", sgd_multi="optim.cu", adagrad_multi="optim.cu",
                rmsprop_multi="optim.cu", adam_multi="optim.cu", gelu_fwd="elementwise.cu",
                gelu_bwd="elementwise.cu", layer_norm_fwd="layer_norm.cu",
                layer_norm_bwd="layer_norm.cu", layer_norm_gamma_beta="layer_norm.cu")

_modules: dict = {}
_functions: dict = {}
_lock = threading.Lock()


def _module(filename: str, device_id: int):
    key = (filename, device_id)
    mod = _modules.get(key)
    if mod is None:
        with _lock:
            mod = _modules.get(key)
            if mod is None:
                mod = cupy.RawModule(code=load_source(filename), options=NVRTC_OPTIONS)
                _modules[key] = mod
    return mod


def compile_all(filenames=SOURCES) -> dict:
    """Compile and load every entry point of ``filenames`` on the current device; returns the
    seconds each file took. A cold NVRTC compile of softmax.cu or cross_entropy.cu takes ~12 s;
    CuPy keeps the binaries in its on-disk kernel cache, so a later process loads them in
    milliseconds. Call it before timing anything."""
    dev = cupy.cuda.runtime.getDevice()
    seconds = {}
    for filename in filenames:
        t0 = time.perf_counter()
        mod = _module(filename, dev)
        for entry in kernel_names(filename):
            mod.get_function(entry)
        seconds[filename] = time.perf_counter() - t0
    return seconds


def kernel(op: str, dtype, tier: str | None = None):
    """The compiled entry point ``<op>[_<tier>]_<dtype>`` for the current device."""
    dev = cupy.cuda.runtime.getDevice()
    key = (op, tier, dtype, dev)
    fn = _functions.get(key)
    if fn is None:
        fname = f"{op}_{tier}_{DTYPE_NAMES[dtype]}" if tier else f"{op}_{DTYPE_NAMES[dtype]}"
        fn = _module(_FILE_OF[op], dev).get_function(fname)
        _functions[key] = fn
    return fn


# ============================================================================= launch configs

@dataclass(frozen=True)
class RowConfig:
    """How a row kernel is launched: entry tier, grid and block sizes, lanes per row (warp
    tiers), and whether the 16-byte packed path is taken."""
    tier: str
    grid: int
    block: int
    width: int
    vec: bool


WARP_BLOCK = 128          # threads per block in the warp tiers
ONLINE_BLOCK = 512
# Most elements a thread may hold in registers without spilling (ptxas -v, sm_90), by
# (tier, kind, dtype); kind "fwd" (softmax/log-softmax), "ce", or "bwd" (holds y and gy).
_MAX_HELD = {
    ("warp", "fwd", 4): 64, ("warp", "ce", 4): 32, ("warp", "bwd", 4): 32,
    ("warp", "fwd", 8): 16, ("warp", "ce", 8): 16, ("warp", "bwd", 8): 16,
    ("block", "fwd", 4): 32, ("block", "ce", 4): 32, ("block", "bwd", 4): 16,
    ("block", "fwd", 8): 4, ("block", "ce", 8): 4, ("block", "bwd", 8): 4,
}


def _round_up(a: int, b: int) -> int:
    return -(-a // b) * b


def row_config(n: int, c: int, itemsize: int, kind: str = "fwd", aligned: bool = True) -> RowConfig:
    """Choose the row-kernel tier for an (n, c) array of ``itemsize``-byte floats.

    * c ≤ 32: several rows per warp (``width`` = next power of two ≥ c lanes per row);
    * up to 32·VPL columns: a warp per row, VPL elements per lane in registers;
    * up to blockDim·VPT columns: a block per row (≤ 512 threads when that fits, else ≤ 1024);
    * longer rows: the two-pass online tier.
    ``aligned``: every array pointer is 16-byte aligned; with c a multiple of 16/itemsize
    the packed path is used.
    """
    if kind not in ("fwd", "ce", "bwd"):
        raise ValueError(f"row_config: kind must be 'fwd', 'ce' or 'bwd', got {kind!r}")
    if itemsize not in (4, 8):
        raise ValueError(f"row_config: itemsize must be 4 or 8, got {itemsize}")
    if n < 1 or c < 1:
        raise ValueError(f"row_config: expected n >= 1 and c >= 1, got n={n}, c={c}")
    vec = aligned and c % (16 // itemsize) == 0
    max_warp = _MAX_HELD[("warp", kind, itemsize)]
    if c <= 32:
        width = 1 << (c - 1).bit_length()
        rows_per_block = WARP_BLOCK // width
        return RowConfig("warp1", -(-n // rows_per_block), WARP_BLOCK, width, False)
    for vpl in WARP_VPL[1:]:
        if vpl > max_warp:
            break
        if c <= 32 * vpl:
            # the packed path needs whole packs per lane
            return RowConfig(f"warp{vpl}", -(-n // (WARP_BLOCK // 32)), WARP_BLOCK, 32,
                             vec and vpl % (16 // itemsize) == 0)
    max_block = _MAX_HELD[("block", kind, itemsize)]
    allowed = [v for v in BLOCK_VPT if v <= max_block]
    for limit in (512, 1024):
        for vpt in allowed:
            threads = _round_up(-(-c // vpt), 32)
            if threads <= limit:
                return RowConfig(f"block{vpt}", n, threads, 32, vec)
    return RowConfig("online", n, ONLINE_BLOCK, 32, vec)


def elementwise_grid(n: int, vec_width: int, block: int = 256, max_grid: int = 1 << 20) -> int:
    """Blocks for a grid-stride loop over n elements handled vec_width at a time."""
    packs = -(-n // vec_width)
    return max(1, min(max_grid, -(-packs // block)))


def _aligned(*arrays) -> bool:
    return all(a is None or a.data.ptr % 16 == 0 for a in arrays)


def _kernel_ok(*arrays) -> bool:
    """Kernels take C-contiguous arrays of one float dtype (float32 or float64)."""
    dt = arrays[0].dtype
    return dt in DTYPE_NAMES and all(
        isinstance(a, cupy.ndarray) and a.dtype == dt and a.flags.c_contiguous for a in arrays)


def _is_last_axis(x, axis) -> bool:
    return x.ndim >= 1 and axis in (-1, x.ndim - 1)


def _scalar(dtype, v):
    return dtype.type(v)


# ============================================================================= activations

def sigmoid(x):
    if not _kernel_ok(x) or x.size == 0:
        return reference.sigmoid(x)
    y = cupy.empty_like(x)
    vec = _aligned(x, y)
    vw = 16 // x.itemsize if vec else 1
    kernel("sigmoid_fwd", x.dtype)((elementwise_grid(x.size, vw),), (256,),
                                   (x, y, np.int64(x.size), np.int32(vec)))
    return y


def sigmoid_bwd(y, gy):
    if not _kernel_ok(y, gy) or y.shape != gy.shape or y.size == 0:
        return reference.sigmoid_bwd(y, gy)
    gx = cupy.empty_like(y)
    vec = _aligned(y, gy, gx)
    vw = 16 // y.itemsize if vec else 1
    kernel("sigmoid_bwd", y.dtype)((elementwise_grid(y.size, vw),), (256,),
                                   (y, gy, gx, np.int64(y.size), np.int32(vec)))
    return gx


def _rows(op, kind, out, *arrays):
    """Launch row op ``op`` over the last axis of ``arrays`` (same shape) into ``out``."""
    x = arrays[0]
    c = x.shape[-1]
    n = x.size // c
    cfg = row_config(n, c, x.itemsize, kind, _aligned(out, *arrays))
    kernel(op, x.dtype, cfg.tier)((cfg.grid,), (cfg.block,),
                                  (*arrays, out, np.int64(n), np.int32(c), np.int32(cfg.width),
                                   np.int32(cfg.vec)))
    return out


def softmax(x, axis=-1):
    if not (_kernel_ok(x) and _is_last_axis(x, axis)) or x.size == 0:
        return reference.softmax(x, axis)
    return _rows("softmax_fwd", "fwd", cupy.empty_like(x), x)


def log_softmax(x, axis=-1):
    if not (_kernel_ok(x) and _is_last_axis(x, axis)) or x.size == 0:
        return reference.log_softmax(x, axis)
    return _rows("log_softmax_fwd", "fwd", cupy.empty_like(x), x)


def softmax_bwd(y, gy, axis=-1):
    if not (_kernel_ok(y, gy) and _is_last_axis(y, axis) and y.shape == gy.shape) or y.size == 0:
        return reference.softmax_bwd(y, gy, axis)
    return _rows("softmax_bwd", "bwd", cupy.empty_like(y), y, gy)


def log_softmax_bwd(y, gy, axis=-1):
    if not (_kernel_ok(y, gy) and _is_last_axis(y, axis) and y.shape == gy.shape) or y.size == 0:
        return reference.log_softmax_bwd(y, gy, axis)
    return _rows("log_softmax_bwd", "bwd", cupy.empty_like(y), y, gy)


_APPROXIMATE = {"none": 0, "tanh": 1}


def gelu(x, approximate="none"):
    # a strided view (a transpose, a slice) is made contiguous, as for layer_norm: the
    # reference's CuPy erfc is several kernels and temporaries
    arrays = _contiguous(x)
    if arrays is None or x.size == 0 or approximate not in _APPROXIMATE:
        return reference.gelu(x, approximate)
    x, = arrays
    y = cupy.empty_like(x)
    vec = _aligned(x, y)
    vw = 16 // x.itemsize if vec else 1
    kernel("gelu_fwd", x.dtype)((elementwise_grid(x.size, vw),), (256,),
                                (x, y, np.int64(x.size), np.int32(_APPROXIMATE[approximate]),
                                 np.int32(vec)))
    return y


def gelu_bwd(x, gy, approximate="none"):
    arrays = _contiguous(x, gy)
    if (arrays is None or x.shape != gy.shape or x.size == 0
            or approximate not in _APPROXIMATE):
        return reference.gelu_bwd(x, gy, approximate)
    x, gy = arrays
    gx = cupy.empty_like(x)
    vec = _aligned(x, gy, gx)
    vw = 16 // x.itemsize if vec else 1
    kernel("gelu_bwd", x.dtype)((elementwise_grid(x.size, vw),), (256,),
                                (x, gy, gx, np.int64(x.size), np.int32(_APPROXIMATE[approximate]),
                                 np.int32(vec)))
    return gx


# ============================================================================= layer norm

LN_WARP_MAX_C = 1024      # rows up to this long: a lane group of a warp per row


def layer_norm_config(n: int, c: int) -> RowConfig:
    """The layer-norm tier for an (n, c) array: ``warp`` (the next power of two ≥ c lanes, at
    most 32, per row; 128-thread blocks) up to LN_WARP_MAX_C columns, else ``block`` (a block
    per row, about 8 columns a thread, 32 to 1024 threads)."""
    if n < 1 or c < 1:
        raise ValueError(f"layer_norm_config: expected n >= 1 and c >= 1, got n={n}, c={c}")
    if c <= LN_WARP_MAX_C:
        width = min(32, 1 << (c - 1).bit_length())
        return RowConfig("warp", -(-n // (WARP_BLOCK // width)), WARP_BLOCK, width, False)
    threads = min(1024, _round_up(-(-c // 8), 32))
    return RowConfig("block", n, threads, 32, False)


def gamma_beta_chunks(n: int, c: int, threads: int = 1 << 17) -> tuple:
    """(rows per chunk, chunks) for the weight/bias gradient: about ``threads`` threads, one
    per (chunk, column)."""
    chunks = min(n, max(1, -(-threads // c)))
    rows = -(-n // chunks)
    return rows, -(-n // rows)


def _contiguous(*arrays):
    """C-contiguous versions of the CuPy arrays (None stays None), or None when some array is
    not a float32/float64 CuPy array of the first one's dtype (then the reference runs)."""
    dt = arrays[0].dtype
    if dt not in DTYPE_NAMES or not all(a is None or (isinstance(a, cupy.ndarray) and a.dtype == dt)
                                        for a in arrays):
        return None
    return [None if a is None else cupy.ascontiguousarray(a) for a in arrays]


def layer_norm(x, weight, bias, normalized_ndim, eps=1e-5):
    """(y, mean, rstd): one row kernel (see layer_norm.cu); mean and rstd keep the normalized
    axes as size 1."""
    arrays = _contiguous(x, weight, bias)
    if arrays is None or x.size == 0:
        return reference.layer_norm(x, weight, bias, normalized_ndim, eps)
    x, weight, bias = arrays
    lead, c = reference.layer_norm_rows(x, normalized_ndim)
    n = x.size // c
    w = x if weight is None else weight
    b = x if bias is None else bias
    y = cupy.empty_like(x)
    mean = cupy.empty(lead + (1,) * normalized_ndim, dtype=x.dtype)
    rstd = cupy.empty_like(mean)
    cfg = layer_norm_config(n, c)
    kernel("layer_norm_fwd", x.dtype, cfg.tier)(
        (cfg.grid,), (cfg.block,),
        (x, w, b, y, mean, rstd, np.int64(n), np.int32(c), np.int32(cfg.width),
         _scalar(x.dtype, eps), np.int32(weight is not None), np.int32(bias is not None)))
    return y, mean, rstd


def layer_norm_bwd(x, gy, weight, mean, rstd, normalized_ndim, need=(True, False, False)):
    """(gx, gw, gb): gx from one row kernel, gw and gb from per-chunk column sums that CuPy
    adds up; each None unless ``need`` asks for it."""
    arrays = _contiguous(x, gy, mean, rstd, weight)
    if arrays is None or x.shape != gy.shape or x.size == 0:
        return reference.layer_norm_bwd(x, gy, weight, mean, rstd, normalized_ndim, need)
    x, gy, mean, rstd, weight = arrays
    w = x if weight is None else weight
    lead, c = reference.layer_norm_rows(x, normalized_ndim)
    n = x.size // c
    gx = gw = gb = None
    if need[0]:
        gx = cupy.empty_like(x)
        cfg = layer_norm_config(n, c)
        kernel("layer_norm_bwd", x.dtype, cfg.tier)(
            (cfg.grid,), (cfg.block,),
            (x, gy, w, mean, rstd, gx, np.int64(n), np.int32(c), np.int32(cfg.width),
             np.int32(weight is not None)))
    if need[1] or need[2]:
        rows, chunks = gamma_beta_chunks(n, c)
        part_w = cupy.empty((chunks, c), dtype=x.dtype) if need[1] else x
        part_b = cupy.empty((chunks, c), dtype=x.dtype) if need[2] else x
        kernel("layer_norm_gamma_beta", x.dtype)(
            (-(-(chunks * c) // 256),), (256,),
            (x, gy, mean, rstd, part_w, part_b, np.int64(n), np.int32(c), np.int64(rows),
             np.int32(bool(need[1])), np.int32(bool(need[2]))))
        # summed over the chunks of a (chunks, *normalized shape) view: gw and gb are fresh
        # arrays of the normalized shape, not views (the engine copies a view it hands to a
        # leaf's .grad)
        shape = (chunks,) + tuple(x.shape[x.ndim - normalized_ndim:])
        if need[1]:
            gw = part_w.reshape(shape).sum(axis=0)
        if need[2]:
            gb = part_b.reshape(shape).sum(axis=0)
    return gx, gw, gb


# ============================================================================= losses

_NO_BAD_ROW = np.uint64(2**64 - 1)
_bad_rows: dict = {}        # device -> its flag (a 1-element uint64 device array)
_pending: dict = {}         # device -> {(C, ignore_index): calls} whose flag is not read yet
_unchecked: set = set()     # devices where cross_entropy ran with CHECK_TARGETS off
_flag_lock = threading.Lock()


def _bad_row_flag(dev=None):
    """This device's flag: the kernel atomicMins the index of a row with an out-of-range
    target into it; it is reset only after a bad row was found, so no memset per call."""
    if dev is None:
        dev = cupy.cuda.runtime.getDevice()
    flag = _bad_rows.get(dev)
    if flag is None:
        flag = _bad_rows[dev] = cupy.full(1, _NO_BAD_ROW, dtype=cupy.uint64)
    return flag


def _note_call(dev, c, ignore_index):
    """Record a checked cross_entropy call on ``dev`` whose flag is not read yet (host only)."""
    key = (c, int(ignore_index))
    with _flag_lock:
        calls = _pending.get(dev)
        if calls is None:
            calls = _pending[dev] = {}
        calls[key] = calls.get(key, 0) + 1


def check_pending(device=None, _call=None):
    """Raise the IndexError for an out-of-range cross_entropy target seen since the last check.

    ``device``: a CUDA device index (default: the current device). Reads that device's flag
    (one 8-byte device-to-host copy, which waits for the kernels queued before it) only when a
    checked cross_entropy call ran there since the last check; otherwise nothing is read. The
    flag is cleared before raising, so each bad target is reported once. ``to_numpy`` and
    ``pg.cuda.synchronize()`` call it; see the module doc for when else the error surfaces.
    """
    dev = cupy.cuda.runtime.getDevice() if device is None else int(device)
    with _flag_lock:
        calls = _pending.pop(dev, None)
    if not calls:
        return
    flag = _bad_rows[dev]
    with cupy.cuda.Device(dev):
        row = int(flag.get()[0])
        if row == int(_NO_BAD_ROW):
            return
        flag.fill(_NO_BAD_ROW)
    n = sum(calls.values())
    if _call is not None and n == 1:        # "sync" mode: this call's own targets
        target, c, ignore_index = _call
        if row < target.size:
            check_targets(target, c, ignore_index)  # the reference's message, naming the target
    raise IndexError(_bad_target_message(dev, calls, n, row))


def _bad_target_message(dev, calls, n, row):
    """The deferred IndexError's text: the calls since the last check, by (C, ignore_index)."""
    def expect(c, ii):
        return f"{c} classes (expected 0..{c - 1} or ignore_index={ii})"

    if n == 1:
        who = f"an earlier cross_entropy call on cuda:{dev} (the only one since the last check)"
    else:
        who = (f"one of {n} earlier cross_entropy calls on cuda:{dev} since the last check "
               f"(which one is not known)")
    if len(calls) == 1:
        (c, ii), = calls
        what = f"a target out of bounds for {expect(c, ii)}, in row {row}"
        if n > 1:
            what += " (the lowest bad row over those calls)"
    else:
        what = ("a target out of bounds for its class count; the calls: "
                + ", ".join(f"{k} with {expect(c, ii)}" for (c, ii), k in calls.items())
                + f"; lowest bad row over them: {row}")
    return (f"cross_entropy: {who} had {what}. On a GPU targets are checked without a host "
            f"sync, so the error surfaces at the next host read on that device (item(), "
            f"tolist(), cpu(), pg.cuda.synchronize()); set PYGRAD_CHECK_TARGETS=sync to raise "
            f"at the call itself.")


def _scale_args(grad_scale, dtype, dummy):
    """(scale, scale_ptr, use_scale_ptr): a 0-d device array is read by the kernel itself."""
    if isinstance(grad_scale, cupy.ndarray):
        return _scalar(dtype, 0), cupy.ascontiguousarray(grad_scale.astype(dtype, copy=False)), 1
    return _scalar(dtype, 0.0 if grad_scale is None else float(grad_scale)), dummy, 0


def cross_entropy(x, target, weight=None, ignore_index=-100, label_smoothing=0.0,
                  grad_scale=None):
    """Per-row softmax cross-entropy (and its gradient when grad_scale is given) in one pass;
    see ``pygrad.backend`` for the formula."""
    if (not _kernel_ok(x) or x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0
            or not isinstance(target, cupy.ndarray) or target.shape != (x.shape[0],)
            or (weight is not None and weight.shape != (x.shape[1],))):
        return reference.cross_entropy(x, target, weight, ignore_index, label_smoothing, grad_scale)
    n, c = x.shape
    target = cupy.ascontiguousarray(target.astype(cupy.int64, copy=False))
    has_weight = weight is not None
    w = cupy.ascontiguousarray(weight.astype(x.dtype, copy=False)) if has_weight else x
    loss = cupy.empty(n, dtype=x.dtype)
    write_grad = grad_scale is not None
    grad = cupy.empty_like(x) if write_grad else x
    scale, scale_ptr, use_ptr = _scale_args(grad_scale, x.dtype, x)
    dev = cupy.cuda.runtime.getDevice()
    flag = _bad_row_flag(dev)
    if CHECK_TARGETS and _unchecked and dev in _unchecked:
        # unchecked calls may have left a bad row in the flag: not this call's to report
        _unchecked.discard(dev)
        flag.fill(_NO_BAD_ROW)          # queued before this call's kernel, no sync
    cfg = row_config(n, c, x.itemsize, "ce", _aligned(x, grad))
    kernel("cross_entropy", x.dtype, cfg.tier)(
        (cfg.grid,), (cfg.block,),
        (x, target, w, loss, grad, np.int64(n), np.int32(c), np.int32(cfg.width),
         np.int32(cfg.vec), np.int64(ignore_index), _scalar(x.dtype, label_smoothing), scale,
         scale_ptr, np.int32(use_ptr), np.int32(has_weight), np.int32(write_grad), flag))
    if CHECK_TARGETS:
        _note_call(dev, c, ignore_index)
        if CHECK_TARGETS == "sync":
            check_pending(dev, (target, c, ignore_index))
    else:
        _unchecked.add(dev)
    return loss, (grad if write_grad else None)


def bce_with_logits(x, y, pos_weight=None, grad_scale=None):
    """Elementwise BCE on logits (and its gradient when grad_scale is given) in one pass."""
    pw_ok = pos_weight is None or (isinstance(pos_weight, cupy.ndarray) and pos_weight.ndim <= 1
                                   and x.ndim >= 1 and pos_weight.size in (1, x.shape[-1]))
    if not (_kernel_ok(x, y) and x.shape == y.shape and pw_ok) or x.size == 0:
        return reference.bce_with_logits(x, y, pos_weight, grad_scale)
    has_pw = pos_weight is not None
    pw = cupy.ascontiguousarray(pos_weight.astype(x.dtype, copy=False)).ravel() if has_pw else x
    loss = cupy.empty_like(x)
    write_grad = grad_scale is not None
    grad = cupy.empty_like(x) if write_grad else x
    scale, scale_ptr, use_ptr = _scale_args(grad_scale, x.dtype, x)
    kernel("bce_with_logits", x.dtype)(
        (elementwise_grid(x.size, 1),), (256,),
        (x, y, pw, loss, grad, np.int64(x.size), np.int64(pw.size if has_pw else 1),
         np.int32(has_pw), scale, scale_ptr, np.int32(use_ptr), np.int32(write_grad)))
    return loss, (grad if write_grad else None)


# ============================================================================= optimizers

_tables: dict = {}
_MAX_TABLES = 32


def _table(lists):
    """Device (pointer table, offsets) for lists of arrays, cached by their addresses and sizes
    (pointers only change when arrays are reallocated, so most steps reuse the table)."""
    params = lists[0]
    key = (cupy.cuda.runtime.getDevice(),
           tuple(a.data.ptr for lst in lists for a in lst), tuple(a.size for a in params))
    hit = _tables.get(key)
    if hit is None:
        ptrs = np.array([[a.data.ptr for a in lst] for lst in lists], dtype=np.uint64)
        offsets = np.zeros(len(params) + 1, dtype=np.int64)
        np.cumsum([a.size for a in params], out=offsets[1:])
        if len(_tables) >= _MAX_TABLES:
            _tables.clear()
        hit = _tables[key] = (cupy.asarray(ptrs), cupy.asarray(offsets), int(offsets[-1]))
    return hit


def _multi_ok(lists) -> bool:
    params = lists[0]
    if not params:
        return False
    return all(len(lst) == len(params) for lst in lists) and _kernel_ok(*(a for lst in lists for a in lst)) \
        and all(a.shape == p.shape for lst in lists for a, p in zip(lst, params))


def _launch_multi(op, lists, *scalars):
    ptrs, offsets, total = _table(lists)
    dtype = lists[0][0].dtype
    grid = elementwise_grid(total, 4)  # each block covers 4·256 indices per pass (PG_CHUNK)
    kernel(op, dtype)((grid,), (256,),
                      (ptrs, offsets, np.int32(len(lists[0])), np.int64(total), *scalars))


def sgd_step_multi(params, grads, bufs, lr, momentum=0.0, dampening=0.0, nesterov=False,
                   weight_decay=0.0, maximize=False, first=False):
    """``sgd_step`` on every parameter in one launch (module doc for the list arguments)."""
    lists = [params, grads, bufs if momentum else params]
    if not _multi_ok(lists):
        for k, p in enumerate(params):
            sgd_step(p, grads[k], bufs[k] if momentum else None, lr, momentum, dampening,
                     nesterov, weight_decay, maximize, first)
        return
    t = params[0].dtype.type
    _launch_multi("sgd_multi", lists, t(lr), t(momentum), t(dampening), t(weight_decay),
                  np.int32(nesterov), np.int32(maximize), np.int32(first))


def adagrad_step_multi(params, grads, state_sums, step, lr, lr_decay=0.0, weight_decay=0.0,
                       eps=1e-10, maximize=False):
    """``adagrad_step`` on every parameter in one launch."""
    lists = [params, grads, state_sums]
    if not _multi_ok(lists):
        for p, g, s in zip(params, grads, state_sums):
            adagrad_step(p, g, s, step, lr, lr_decay, weight_decay, eps, maximize)
        return
    t = params[0].dtype.type
    clr = lr / (1 + (step - 1) * lr_decay)
    _launch_multi("adagrad_multi", lists, t(clr), t(weight_decay), t(eps), np.int32(maximize))


def rmsprop_step_multi(params, grads, square_avgs, grad_avgs, bufs, lr, alpha=0.99, eps=1e-8,
                       weight_decay=0.0, momentum=0.0, centered=False, maximize=False):
    """``rmsprop_step`` on every parameter in one launch."""
    lists = [params, grads, square_avgs, grad_avgs if centered else params,
             bufs if momentum else params]
    if not _multi_ok(lists):
        for k, p in enumerate(params):
            rmsprop_step(p, grads[k], square_avgs[k], grad_avgs[k] if centered else None,
                         bufs[k] if momentum else None, lr, alpha, eps, weight_decay, momentum,
                         centered, maximize)
        return
    t = params[0].dtype.type
    _launch_multi("rmsprop_multi", lists, t(lr), t(alpha), t(eps), t(weight_decay), t(momentum),
                  np.int32(centered), np.int32(maximize))


def adam_step_multi(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, step, lr, beta1=0.9,
                    beta2=0.999, eps=1e-8, weight_decay=0.0, decoupled=False, amsgrad=False,
                    maximize=False):
    """``adam_step`` (AdamW with decoupled=True) on every parameter in one launch."""
    lists = [params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs if amsgrad else params]
    if not _multi_ok(lists):
        for k, p in enumerate(params):
            adam_step(p, grads[k], exp_avgs[k], exp_avg_sqs[k],
                      max_exp_avg_sqs[k] if amsgrad else None, step, lr, beta1, beta2, eps,
                      weight_decay, decoupled, amsgrad, maximize)
        return
    t = params[0].dtype.type
    bc1 = 1 - beta1 ** step
    bc2_sqrt = math.sqrt(1 - beta2 ** step)
    _launch_multi("adam_multi", lists, t(lr), t(beta1), t(beta2), t(eps), t(weight_decay),
                  t(lr / bc1), t(bc2_sqrt), np.int32(decoupled), np.int32(amsgrad),
                  np.int32(maximize))


# ============================================================================= device helpers

def asarray(data, dtype=None, device=None):
    """``data`` as a CuPy array of ``dtype`` (None: inferred) on ``device`` (a cuda Device)."""
    with guard(device):
        return cupy.asarray(data, dtype=dtype)


def to_numpy(a) -> np.ndarray:
    """A NumPy copy of the CuPy array ``a`` (a host sync). Then, if cross_entropy ran on
    ``a``'s device since the last check, its target flag is read (``check_pending``) and a bad
    target raises the IndexError here."""
    out = cupy.asnumpy(a)
    if _pending:
        check_pending(_device_of(a))
    return out


def _device_of(a):
    """The device index of the CuPy array ``a`` (the current device when it has none)."""
    dev = getattr(getattr(a, "device", None), "id", None)
    return cupy.cuda.runtime.getDevice() if dev is None else dev


_NULL_GUARD = contextlib.nullcontext()
_single_gpu = None


def guard(device):
    """A context manager making ``device.index`` the current CUDA device (a shared no-op when
    only one GPU is visible, since it is then always current)."""
    global _single_gpu
    if _single_gpu is None:
        _single_gpu = cupy.cuda.runtime.getDeviceCount() == 1
    if device is None or _single_gpu:
        return _NULL_GUARD
    return cupy.cuda.Device(device.index)
