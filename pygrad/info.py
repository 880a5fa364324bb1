"""``pygrad info``: versions, the CPU kernel build in use, threads and CUDA devices."""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys


def _version(module: str):
    """The installed version of ``module`` from its distribution's metadata (no import, so
    torch's slow import is skipped), or None when it is not installed."""
    from importlib import metadata
    for dist in metadata.packages_distributions().get(module, []):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None


def _default_device() -> str:
    """``$PYGRAD_DEVICE`` as the default device it names ("cpu" when unset), or the value
    with the reason it is not a device."""
    spec = os.environ.get("PYGRAD_DEVICE", "").strip()
    if not spec:
        return "cpu"
    import pygrad as pg
    try:
        return str(pg.device(spec))
    except (ValueError, TypeError, RuntimeError) as e:
        return f"PYGRAD_DEVICE={spec!r} is not usable: {str(e).removeprefix('device: ')}"


def collect() -> dict:
    """Everything ``pygrad info`` reports, as a dict (also what ``--json`` prints)."""
    import pygrad as pg
    info = {"pygrad": pg.__version__, "python": platform.python_version(),
            "platform": platform.platform(), "numpy": _version("numpy"),
            "cupy": _version("cupy"), "torch": _version("torch")}
    from .backend import cpu   # through the backend, so its OpenMP settings apply
    if cpu._cpu is not None:
        info["cpu_kernels"] = cpu.variant()
        info["cpu_kernel_variants"] = list(cpu._cpu.available_variants())
        info["openmp_threads"] = cpu.num_threads()
    else:
        info["cpu_kernels"] = "unavailable; using the NumPy reference code"
        info["cpu_kernel_variants"] = []
        info["openmp_threads"] = None
    info["cpu_count"] = os.cpu_count()
    from . import _core
    compiled = _core.compiled()
    info["engine_core"] = ("compiled (Cython)" if all(compiled.values()) else
                           "Python source" if not any(compiled.values()) else
                           "partly compiled; Python source for " +
                           ", ".join(m for m, c in compiled.items() if not c))
    info["default_device"] = _default_device()
    from . import cuda
    count = cuda.device_count()
    info["cuda_available"] = count > 0
    info["cuda_device_count"] = count
    names = []
    for i in range(count):
        try:
            names.append(cuda.get_device_name(i))
        except Exception as e:   # a device that cannot be queried is still listed
            names.append(f"unknown ({e})")
    info["cuda_devices"] = names
    info["cuda_visible_devices"] = os.environ.get("CUDA_VISIBLE_DEVICES")
    return info


def main(argv=None) -> int:
    """Print the report; ``--json`` prints it as JSON. Returns 0."""
    parser = argparse.ArgumentParser(prog="pygrad info",
                                     description="Versions, CPU kernels, threads, CUDA devices.")
    parser.add_argument("--json", action="store_true", help="print as JSON")
    args = parser.parse_args(argv)
    info = collect()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    missing = "not installed"
    print(f"pygrad        {info['pygrad']}")
    print(f"python        {info['python']} ({info['platform']})")
    for mod in ("numpy", "cupy", "torch"):
        print(f"{mod:<13} {info[mod] or missing}")
    variants = ", ".join(info["cpu_kernel_variants"]) or "none"
    print(f"cpu kernels   {info['cpu_kernels']} (this CPU runs: {variants})")
    print(f"openmp        {info['openmp_threads']} threads ({info['cpu_count']} CPUs)")
    print(f"engine core   {info['engine_core']}")
    print(f"default dev.  {info['default_device']}")
    print(f"cuda          available: {info['cuda_available']}, "
          f"device count: {info['cuda_device_count']}"
          + (f" (CUDA_VISIBLE_DEVICES={info['cuda_visible_devices']!r})"
             if info["cuda_visible_devices"] is not None else ""))
    for i, name in enumerate(info["cuda_devices"]):
        print(f"  cuda:{i}      {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
