"""``pygrad bench``: run the benchmark suites, print a table, save JSON and a PNG chart.

    pygrad bench [--device cpu|cuda] [--suite kernels|mlp|engine|all] [--quick] [--threads N]
                 [--out DIR] [--repeat N]

Also ``python -m pygrad.bench.cli``. Results go to ``DIR/bench-<device>.json`` and, when
matplotlib is installed, ``DIR/bench-<device>.png`` (DIR defaults to ``bench/results``).
"""
from __future__ import annotations

import argparse
import os
import sys
import traceback

from . import harness

TORCH_MISSING = ("pygrad bench: PyTorch is the baseline every number is compared with, and it "
                 "is not installed.\nInstall the CPU wheel with:\n"
                 "    pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu\n"
                 "(or a CUDA build of torch for --device cuda).")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``pygrad bench``."""
    from pygrad.cli import Parser
    p = Parser(
        prog="pygrad bench",
        description="Compare pygrad's fused kernels and MLP train step with PyTorch "
                    "(ratio = torch time / pygrad time; higher is better).")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="where to run (default: cpu)")
    p.add_argument("--suite", choices=("kernels", "mlp", "engine", "all"), default="all",
                   help="kernels: fused ops vs torch and NumPy; mlp: train steps; engine: "
                        "per-op overhead and the main job's step vs torch and a NumPy floor "
                        "(cpu only; fairest with --threads 1); all: every suite of the device")
    p.add_argument("--quick", action="store_true",
                   help="small shapes and few repeats: a smoke run, not a measurement")
    p.add_argument("--threads", type=_positive_int, default=os.cpu_count() or 1, metavar="N",
                   help="CPU threads for pygrad and torch alike (default: all cores)")
    p.add_argument("--out", default=os.path.join("bench", "results"), metavar="DIR",
                   help="folder for bench-<device>.json/.png (default: bench/results)")
    p.add_argument("--repeat", type=_positive_int, default=None, metavar="N",
                   help="timed samples per contender; the median is reported "
                        "(default: 7, or 3 with --quick; the cuda kernel suite uses its own)")
    return p


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def _cuda_problem() -> str | None:
    """Why the cuda suites cannot run, or None when both pygrad and torch see a GPU."""
    try:
        import pygrad as pg
        if not pg.cuda.is_available():
            return "pygrad sees no CUDA device (pygrad info lists what it found)"
    except Exception as e:  # CuPy missing or broken: the message names the fix
        return f"pygrad cannot use CUDA: {e}"
    import torch
    if not torch.cuda.is_available():
        return "torch sees no CUDA device: install a CUDA build of torch"
    return None


def gpu_target(row) -> dict | None:
    """The BASELINES.md goal of a GPU kernel row from bench/gpu.py, or None."""
    name, shape = row.get("name", ""), str(row.get("shape", ""))
    if name == "softmax fwd+bwd":
        return harness.target(">=", 2.5)
    if name == "sigmoid fwd+bwd":
        return harness.target(">=", 1.0)
    if name != "cross_entropy fwd+bwd":
        return None
    try:
        n, c = (int(v) for v in shape.replace("×", "x").split("x"))
    except ValueError:
        return None
    if c >= 1024:
        return harness.target(">=", 3.8)
    return {(262144, 128): harness.target(">=", 8.0),
            (1048576, 10): harness.target(">=", 15.0)}.get((n, c))


def run_suite(suite: str, device: str, quick: bool, repeat: int | None) -> list[dict]:
    """The rows of one suite ("kernels", "mlp" or "engine") on ``device``."""
    if suite == "mlp":
        from . import mlp
        return mlp.run(device=device, quick=quick, repeat=repeat)
    if suite == "engine":
        from . import engine
        return engine.run(device=device, quick=quick, repeat=repeat)
    if device == "cuda":
        from . import gpu
        rows = gpu.run(quick=quick)
        for r in rows:
            r.setdefault("suite", "kernels")
            r.setdefault("device", "cuda")
            goal = gpu_target(r)
            if goal and "target" not in r:
                r["target"] = goal
        return rows
    from . import cpu
    return cpu.run(quick=quick, repeat=repeat)


def _run_suites(args, suites: list, rows: list, failed: list) -> None:
    """Run each suite, print its table and add its rows to ``rows`` (its name to ``failed``
    when it raises: the traceback is printed and the other suites still run)."""
    for suite in suites:
        print(f"running the {suite} suite on {args.device} "
              f"({args.threads} thread{'s' * (args.threads != 1)}"
              f"{', quick' if args.quick else ''})...", file=sys.stderr, flush=True)
        try:
            got = run_suite(suite, args.device, args.quick, args.repeat)
        except Exception:
            traceback.print_exc()
            print(f"pygrad bench: the {suite} suite failed (traceback above)", file=sys.stderr)
            failed.append(suite)
            continue
        rows += got
        print(f"\n== {suite} ({args.device}) ==")
        print(harness.format_table(got), flush=True)


def main(argv=None) -> int:
    """Entry point of ``pygrad bench``; returns the exit status (0 ok, 1 a suite failed or
    torch or CUDA is missing, 2 bad input)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:    # --help (0) or a bad option (2), already printed
        return e.code
    # before torch is imported, so its OpenMP pool starts at the requested size
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    # torch and pygrad share one OpenMP runtime in this process, and its wait policy is read
    # once, when the first of them loads it. Idle threads that spin steal the cores from
    # NumPy's BLAS threads, so both sides run with sleeping threads (pygrad's own default).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if not _torch_available():
        print(TORCH_MISSING, file=sys.stderr)
        return 1
    threads = harness.set_threads(args.threads)
    if args.device == "cuda":
        problem = _cuda_problem()
        if problem:
            print(f"pygrad bench --device cuda: {problem}", file=sys.stderr)
            return 1
    # before the suites, so a bad --out is not found only when the results are written
    from pygrad.cli import default_device, writable_dir_problem
    problem = writable_dir_problem(args.out)
    if problem:
        print(f"pygrad bench: error: {problem}", file=sys.stderr)
        return 2

    load = harness.busy_cores()
    if load is not None and load >= 0.5:
        print(f"pygrad bench: note: load average {load:.2f} on {os.cpu_count()} cores before "
              f"starting; other processes share the machine, so times will be noisy",
              file=sys.stderr)
    if os.environ.get("OPENBLAS_CORETYPE"):
        print(f"pygrad bench: note: OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']} chooses "
              f"the kernels of NumPy's BLAS, which runs pygrad's matmuls (NumPy: "
              f"{harness.numpy_blas()})", file=sys.stderr)
    if args.suite == "all":
        suites = ["kernels", "mlp"] + (["engine"] if args.device == "cpu" else [])
    else:
        suites = [args.suite]
    rows, failed = [], []
    with default_device(args.device):      # --device wins over $PYGRAD_DEVICE
        _run_suites(args, suites, rows, failed)

    meta = {**harness.environment(), "device": args.device, "threads": threads,
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
            "suites": suites, "failed": failed, "quick": args.quick, "repeat": args.repeat,
            "loadavg_1m_before": load}
    stem = os.path.join(args.out, f"bench-{args.device}")
    try:
        print(f"\nwrote {harness.write_json(rows, stem + '.json', meta)}")
        png = harness.plot_ratios(rows, stem + ".png",
                                  title=f"pygrad vs torch, {args.device}, {args.threads} threads")
    except OSError as e:
        print(f"pygrad bench: cannot write the results into --out {args.out!r}: {e}",
              file=sys.stderr)
        return 1
    if png:
        print(f"wrote {png}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
