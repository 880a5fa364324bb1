"""Shared timing and reporting code for the benchmark suites.

Method (see BASELINES.md, "Method"): warm up first, then take the median of repeated samples,
with the contenders interleaved round by round (A B, B A, A B, ...) so that slow drift of the
machine — frequency, a neighbour's load, page-cache state — hits every side alike. Both sides
run with the same number of threads. Inputs are random, never zeros.

Results are rows (plain dicts). ``format_table`` prints them, ``write_json`` saves them and
``plot_ratios`` draws a bar chart of the speed-up ratios when matplotlib is installed.
"""
from __future__ import annotations

import gc
import json
import math
import os
import platform
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

# ----------------------------------------------------------------------------- timing

# Untimed pause before each CPU sample (see ``measure``): longer than OpenBLAS' and libgomp's
# default spin-wait after a parallel region on a ~2-3 GHz core.
COOLDOWN = 0.15


@dataclass
class Timing:
    """Seconds per call of one contender: every sample and their median."""

    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else math.nan

    @property
    def ms(self) -> float:
        """The median in milliseconds."""
        return self.median * 1e3


def interleaved_order(names: Sequence[str], round_index: int) -> list[str]:
    """The order the contenders run in during round ``round_index``: forward on even rounds,
    reversed on odd ones, so no contender always runs right after the same other one."""
    names = list(names)
    return names if round_index % 2 == 0 else names[::-1]


def measure(fns: Mapping[str, Callable[[], object]], repeat: int = 7, warmup: int = 1,
            number: int = 1, sync: Callable[[], object] | None = None,
            cooldown: float = 0.0,
            clock: Callable[[], float] = time.perf_counter) -> dict[str, Timing]:
    """Time several contenders, interleaved, and return a Timing (seconds per call) for each.

    Args:
        fns: name -> zero-argument callable doing one unit of work (e.g. fwd+bwd).
        repeat: samples per contender; the median is reported.
        warmup: untimed calls per contender before timing (compilation, caches, allocator).
        number: calls per sample; a sample is their total time divided by ``number``
            (use many for microsecond-scale work so the clock's resolution does not matter).
        sync: called after each sample's calls, inside the timed region (e.g. a device
            synchronise), so asynchronous work is counted.
        cooldown: seconds to sleep before each sample, untimed. Thread pools (OpenMP,
            OpenBLAS) keep their workers spinning for a while after a parallel region; on a
            machine with few cores those spinning workers would steal the next contender's
            cores, so each sample starts after the previous one's pools have gone idle.
        clock: the time source (injectable for tests).
    """
    if repeat < 1:
        raise ValueError(f"measure: repeat must be >= 1, got {repeat}")
    if number < 1:
        raise ValueError(f"measure: number must be >= 1, got {number}")
    if not fns:
        raise ValueError("measure: expected at least one contender, got none")
    for name, fn in fns.items():
        for _ in range(warmup):
            fn()
        if warmup and sync is not None:
            sync()
    out = {name: Timing() for name in fns}
    for r in range(repeat):
        for name in interleaved_order(list(fns), r):
            fn = fns[name]
            # garbage left by the previous contender must not be collected on this one's clock
            gc.collect()
            if cooldown:
                time.sleep(cooldown)
            t0 = clock()
            for _ in range(number):
                fn()
            if sync is not None:
                sync()
            out[name].samples.append((clock() - t0) / number)
    return out


# ----------------------------------------------------------------------------- threads

def set_threads(n: int) -> dict:
    """Give pygrad's cpu kernels, NumPy's BLAS (as far as possible) and torch ``n`` threads.

    Environment variables only reach OpenMP runtimes that have not started yet, so the CLI
    calls this before importing torch; runtime setters are used where they exist. Returns
    what each side reports afterwards, for the results' metadata.
    """
    if n < 1:
        raise ValueError(f"threads: expected a positive count, got {n}")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)
    got: dict = {"requested": n}
    try:
        import torch
        torch.set_num_threads(n)
        got["torch"] = torch.get_num_threads()
    except ImportError:
        pass
    got["pygrad"] = _set_pygrad_threads(n)
    try:            # NumPy's BLAS is loaded already: its count changes only through its API
        from threadpoolctl import threadpool_limits
        threadpool_limits(n, user_api="blas")
        got["blas"] = n
    except ImportError:
        pass
    return got


def _set_pygrad_threads(n: int):
    """Set the cpu backend's OpenMP thread count if it exposes a setter; report the count."""
    try:
        from pygrad.backend import get
        cpu = get("cpu")
    except Exception:  # the backend failing to import is reported by the suites themselves
        return None
    setter = getattr(cpu, "set_num_threads", None)
    if callable(setter):
        setter(n)
    getter = getattr(cpu, "get_num_threads", None) or getattr(cpu, "num_threads", None)
    if callable(getter):
        return getter()
    return n if callable(setter) else None


# ----------------------------------------------------------------------------- inputs

def random_logits(shape: tuple, dtype=np.float32, seed: int = 0, scale: float = 2.0) -> np.ndarray:
    """Normal random values (never zeros), C-contiguous, of ``dtype``."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape, dtype=np.float32) * scale).astype(dtype, copy=False)


def random_targets(n: int, classes: int, seed: int = 1) -> np.ndarray:
    """``n`` int64 class indices uniform in [0, classes)."""
    return np.random.default_rng(seed).integers(0, classes, size=n, dtype=np.int64)


# ----------------------------------------------------------------------------- targets

def target(op: str, value: float, of: str = "ratio") -> dict:
    """A goal for one row: ``of`` (a row key) compared with ``value`` by ``op`` (">=" or "<=")."""
    if op not in (">=", "<="):
        raise ValueError(f"target: op must be '>=' or '<=', got {op!r}")
    return {"op": op, "value": float(value), "of": of}


def check_target(row: Mapping) -> str:
    """"pass" or "miss" for a row with a target, "" for a row without one or without a value."""
    goal = row.get("target")
    if not goal:
        return ""
    got = row.get(goal["of"])
    if got is None or (isinstance(got, float) and math.isnan(got)):
        return ""
    ok = got >= goal["value"] if goal["op"] == ">=" else got <= goal["value"]
    return "pass" if ok else "miss"


def ratio(numerator_ms: float | None, denominator_ms: float | None) -> float | None:
    """numerator / denominator, or None when either is missing or the denominator is 0."""
    if numerator_ms is None or denominator_ms is None or denominator_ms <= 0:
        return None
    return numerator_ms / denominator_ms


# ----------------------------------------------------------------------------- table

def format_time(ms: float | None) -> str:
    """A duration given in ms, printed in µs below 0.1 ms so small numbers stay readable."""
    if ms is None or (isinstance(ms, float) and math.isnan(ms)):
        return "-"
    if ms < 0.1:
        return f"{ms * 1e3:.2f} µs"
    if ms < 100:
        return f"{ms:.3g} ms" if ms < 1 else f"{ms:.2f} ms"
    return f"{ms:.1f} ms"


def format_target(goal: Mapping | None) -> str:
    """"≥ 4×" for a ratio goal, "≤ 4.50 µs" for a time goal, "" for none."""
    if not goal:
        return ""
    sign = "≥" if goal["op"] == ">=" else "≤"
    if goal["of"].endswith("_ms"):
        return f"{sign} {format_time(goal['value'])}"
    return f"{sign} {goal['value']:g}×"


def format_cell(key: str, value) -> str:
    """One table cell: times by ``format_time``, ratios as "3.21×", targets readable."""
    if value is None:
        return "-"
    if key == "target":
        return format_target(value)
    if key.endswith("_ms"):
        return format_time(value)
    if key == "ratio" or key.startswith("ratio_"):
        return "-" if math.isnan(value) else f"{value:.2f}×"
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, (tuple, list)):
        return "×".join(str(v) for v in value)
    return str(value)


# Column keys in their preferred order, and the header printed for each.
HEADERS = {
    "name": "benchmark", "shape": "shape", "pygrad_ms": "pygrad", "torch_ms": "torch",
    "torch_best_ms": "torch best", "numpy_ms": "numpy", "ratio": "torch/pygrad",
    "ratio_best": "best/pygrad", "steps_per_s": "pygrad steps/s", "gbps": "GB/s",
    "pct_of_copy": "% of copy", "target": "target", "status": "pass/miss",
}
HIDDEN = {"suite", "device", "unit", "samples", "note", "loss_pygrad", "loss_torch"}


def table_columns(rows: Sequence[Mapping]) -> list[str]:
    """Keys present in any row: the known ones in HEADERS order, then others as first seen."""
    seen: list[str] = []
    for row in rows:
        for key in row:
            if key not in seen and key not in HIDDEN:
                seen.append(key)
    known = [k for k in HEADERS if k in seen]
    return known + [k for k in seen if k not in HEADERS]


def format_table(rows: Sequence[Mapping], columns: Sequence[str] | None = None) -> str:
    """A plain-text table of ``rows``: one line per row, columns padded, numbers right-aligned.

    A row without a "status" but with a "target" gets its status from ``check_target``.
    Notes (a row's "note") are printed as footnotes below the table.
    """
    rows = [dict(r) for r in rows]
    for r in rows:
        if "target" in r and "status" not in r:
            r["status"] = check_target(r)
    cols = list(columns) if columns is not None else table_columns(rows)
    header = [HEADERS.get(c, c) for c in cols]
    body = [[format_cell(c, r.get(c)) for c in cols] for r in rows]
    widths = [max([len(h)] + [len(line[i]) for line in body]) for i, h in enumerate(header)]
    left = {"name", "shape", "status"}

    def line(cells):
        return "  ".join(cell.ljust(w) if c in left else cell.rjust(w)
                         for c, cell, w in zip(cols, cells, widths)).rstrip()

    out = [line(header), "  ".join("-" * w for w in widths)]
    out += [line(cells) for cells in body]
    notes = [f"  [{r['name']}] {r['note']}" for r in rows if r.get("note")]
    if notes:
        out += ["", "notes:"] + notes
    return "\n".join(out)


# ----------------------------------------------------------------------------- files

def environment() -> dict:
    """Versions and machine facts saved with the results."""
    info = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    try:
        import pygrad
        info["pygrad"] = getattr(pygrad, "__version__", "unknown")
        from pygrad.backend import get
        variant = getattr(get("cpu"), "variant", None)
        info["pygrad_cpu_kernels"] = variant() if callable(variant) else variant
    except Exception:
        pass
    info["numpy_blas"] = numpy_blas()
    try:
        import torch
        info["torch"] = torch.__version__
    except ImportError:
        info["torch"] = None
    return info


def numpy_blas() -> str | None:
    """NumPy's BLAS and the kernels it runs (pygrad's matmuls), e.g. "openblas SkylakeX",
    with the OPENBLAS_CORETYPE that forced them if one is set; None without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    for lib in threadpool_info():
        if lib.get("user_api") == "blas":
            arch = lib.get("architecture")
            text = f"{lib.get('internal_api')} {arch}" if arch else str(lib.get("internal_api"))
            forced = os.environ.get("OPENBLAS_CORETYPE")
            return f"{text} (OPENBLAS_CORETYPE={forced})" if forced else text
    return None


def busy_cores() -> float | None:
    """The 1-minute load average: cores other work keeps busy (None where unknown)."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for text in f:
                if text.startswith("model name"):
                    return text.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _jsonable(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    return value


def write_json(rows: Sequence[Mapping], path: str, meta: Mapping | None = None) -> str:
    """Save ``{"meta": ..., "rows": [...]}`` to ``path`` (folders created); returns the path."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    clean = []
    for r in rows:
        r = {k: _jsonable(v) for k, v in r.items()}
        if "target" in r and "status" not in r:
            r["status"] = check_target(r)
        clean.append(r)
    from pygrad.io import atomic_open
    text = json.dumps({"meta": dict(meta or {}), "rows": clean}, indent=2, default=str)
    with atomic_open(path) as f:
        f.write(text.encode() + b"\n")
    return path


def plot_ratios(rows: Sequence[Mapping], path: str, title: str = "") -> str | None:
    """A horizontal bar chart (log scale, bars from 1×) of each row's torch/pygrad ratio,
    coloured by pass/miss, with its target marked.

    Returns the path written, or None when matplotlib is missing or no row has a ratio.
    """
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    rows = [r for r in rows
            if isinstance(r.get("ratio"), (int, float)) and not math.isnan(r["ratio"])]
    if not rows:
        return None
    labels = [f"{r['name']} {format_cell('shape', r['shape'])}" if r.get("shape") else r["name"]
              for r in rows]
    values = [r["ratio"] for r in rows]
    colors = []
    for r in rows:
        status = r.get("status") or check_target(r)
        colors.append({"pass": "tab:green", "miss": "tab:red"}.get(status, "tab:gray"))
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.2))
    y = range(len(rows))
    # bars grow from 1×: right of the line pygrad is faster, left of it slower
    ax.barh(y, [v - 1 for v in values], left=1, color=colors)
    for i, r in enumerate(rows):
        goal = r.get("target")
        if goal and goal["of"] == "ratio":
            ax.plot([goal["value"]] * 2, [i - 0.4, i + 0.4], color="black", lw=2)
    ax.axvline(1.0, color="gray", ls="--", lw=1)
    ax.set_xscale("log")  # 2× faster and 2× slower lie the same distance from 1×
    ax.set_yticks(list(y), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("speed-up: torch time / pygrad time (black tick: target)")
    ax.set_title(title)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    from pygrad.io import atomic_open
    with atomic_open(path) as f:
        fig.savefig(f, format="png", dpi=110)
    plt.close(fig)
    return path
