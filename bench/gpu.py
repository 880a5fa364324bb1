"""GPU suite: pygrad's CUDA kernels against torch on the same card.

Each case is timed with CUDA events (median of 50 after warm-up, random inputs), for pygrad
through the public API (``F.cross_entropy(x, t)`` + ``.backward()``; layer_norm and gelu
through ``pygrad.nn.functional``), pygrad's raw backend kernels, and torch. A
device-to-device copy measured in the same run gives the bandwidth ceiling: ``gbps`` is the
minimum bytes an op must move divided by its time, ``pct_of_copy`` that rate against the
copy's.

``run(quick=False) -> list[dict]`` is what ``pygrad bench --device cuda`` calls;
``python -m pygrad.bench.gpu [--quick]`` prints the table.
"""
from __future__ import annotations

import statistics
import sys

CE_SHAPES = [(65536, 1024), (16384, 4096), (4096, 32000), (262144, 128), (1048576, 10)]
ACT_SHAPE = (65536, 1024)
COPY_BYTES = 1 << 30


def _timer(cupy, iters: int, warmup: int):
    def time_ms(fn) -> float:
        for _ in range(warmup):
            fn()
        cupy.cuda.Device().synchronize()
        times = []
        for _ in range(iters):
            start, end = cupy.cuda.Event(), cupy.cuda.Event()
            start.record()
            fn()
            end.record()
            end.synchronize()
            times.append(cupy.cuda.get_elapsed_time(start, end))
        return statistics.median(times)
    return time_ms


def _row(name, shape, pygrad_ms, torch_ms, nbytes, copy_gbps):
    gbps = nbytes / (pygrad_ms * 1e-3) / 1e9
    return {"name": name, "shape": "x".join(map(str, shape)), "pygrad_ms": round(pygrad_ms, 4),
            "torch_ms": None if torch_ms is None else round(torch_ms, 4),
            "ratio": None if torch_ms is None else round(torch_ms / pygrad_ms, 2),
            "gbps": round(gbps, 1), "pct_of_copy": round(100 * gbps / copy_gbps, 1)}


def run(quick: bool = False) -> list[dict]:
    """Time every case; one dict per (case, pygrad path) with name, shape, pygrad_ms, torch_ms,
    ratio (torch_ms / pygrad_ms), gbps and pct_of_copy."""
    import cupy
    import numpy as np
    import torch

    import pygrad as pg
    import pygrad.nn.functional as F
    from pygrad.backend import cuda as backend

    iters, warmup = (10, 3) if quick else (50, 5)
    time_ms = _timer(cupy, iters, warmup)
    rng = np.random.default_rng(0)
    dev = pg.device("cuda")
    rows = []

    src = cupy.random.random(COPY_BYTES // 4, dtype=cupy.float32)
    dst = cupy.empty_like(src)
    copy_ms = time_ms(lambda: dst.data.copy_from_device_async(src.data, COPY_BYTES))
    copy_gbps = 2 * COPY_BYTES / (copy_ms * 1e-3) / 1e9
    rows.append({"name": "copy d2d", "shape": f"{COPY_BYTES >> 20} MiB", "pygrad_ms": round(copy_ms, 4),
                 "torch_ms": None, "ratio": None, "gbps": round(copy_gbps, 1), "pct_of_copy": 100.0})
    del src, dst

    def tensors(shape):
        x_np = (rng.standard_normal(shape) * 2).astype(np.float32)
        x = pg.tensor(x_np, device=dev, requires_grad=True)
        xt = torch.tensor(x_np, device="cuda", requires_grad=True)
        return x_np, x, xt

    for n, c in CE_SHAPES:
        x_np, x, xt = tensors((n, c))
        t_np = rng.integers(0, c, n)
        t, tt = pg.tensor(t_np, device=dev), torch.tensor(t_np, device="cuda")
        xa, ta = x._data, t._data

        def pg_api():
            x.grad = None
            F.cross_entropy(x, t).backward()

        def pg_raw():
            backend.cross_entropy(xa, ta, grad_scale=1.0 / n)

        def th():
            xt.grad = None
            torch.nn.functional.cross_entropy(xt, tt).backward()

        torch_ms = time_ms(th)
        nbytes = 2 * n * c * 4
        rows.append(_row("cross_entropy fwd+bwd", (n, c), time_ms(pg_api), torch_ms, nbytes, copy_gbps))
        check = backend.CHECK_TARGETS
        backend.CHECK_TARGETS = False  # the raw kernel alone, without the target-flag read
        try:
            rows.append(_row("cross_entropy raw kernel", (n, c), time_ms(pg_raw), torch_ms, nbytes,
                             copy_gbps))
        finally:
            backend.CHECK_TARGETS = check
        del x, xt, xa, t, tt, ta

    n, c = ACT_SHAPE
    gy_np = rng.standard_normal(ACT_SHAPE).astype(np.float32)
    for op in ("softmax", "sigmoid"):
        x_np, x, xt = tensors(ACT_SHAPE)
        gy, gyt = pg.tensor(gy_np, device=dev), torch.tensor(gy_np, device="cuda")
        xa, gya = x._data, gy._data
        if op == "softmax":
            pg_fn, th_fn = (lambda: F.softmax(x, dim=1)), (lambda: torch.softmax(xt, dim=1))

            def raw():
                backend.softmax_bwd(backend.softmax(xa, 1), gya, 1)
        else:
            pg_fn, th_fn = (lambda: F.sigmoid(x)), (lambda: torch.sigmoid(xt))

            def raw():
                backend.sigmoid_bwd(backend.sigmoid(xa), gya)

        def pg_api(f=pg_fn):
            x.grad = None
            f().backward(gy)

        def th(f=th_fn):
            xt.grad = None
            f().backward(gyt)

        torch_ms = time_ms(th)
        nbytes = 5 * n * c * 4  # fwd: read x, write y; bwd: read y and gy, write gx
        rows.append(_row(f"{op} fwd+bwd", ACT_SHAPE, time_ms(pg_api), torch_ms, nbytes, copy_gbps))
        rows.append(_row(f"{op} raw kernels", ACT_SHAPE, time_ms(raw), torch_ms, nbytes, copy_gbps))
        del x, xt, gy, gyt, xa, gya
    rows += _norm_rows(rng, dev, time_ms, copy_gbps, backend, gy_np, tensors)
    for r in rows:
        r["device"] = f"cuda ({pg.cuda.get_device_name()})"
    return rows


def _norm_rows(rng, dev, time_ms, copy_gbps, backend, gy_np, tensors) -> list[dict]:
    """layer_norm (weight and bias) and gelu (both forms), forward + backward at ACT_SHAPE:
    pygrad's ops (F.layer_norm, F.gelu) and their raw backend kernels against torch."""
    import numpy as np
    import torch

    import pygrad as pg
    from pygrad.nn.functional import gelu, layer_norm

    n, c = ACT_SHAPE
    nbytes = 5 * n * c * 4  # fwd: read x, write y; bwd: read x and gy, write gx
    rows = []
    gy, gyt = pg.tensor(gy_np, device=dev), torch.tensor(gy_np, device="cuda")
    gya = gy._data
    x_np, x, xt = tensors(ACT_SHAPE)
    xa = x._data
    w_np = (rng.random(c) + 0.5).astype(np.float32)
    b_np = rng.standard_normal(c).astype(np.float32)
    w, b = (pg.tensor(a, device=dev, requires_grad=True) for a in (w_np, b_np))
    wt, bt = (torch.tensor(a, device="cuda", requires_grad=True) for a in (w_np, b_np))
    wa, ba = w._data, b._data

    def pg_ln():
        x.grad = w.grad = b.grad = None
        layer_norm(x, (c,), w, b).backward(gy)

    def th_ln():
        xt.grad = wt.grad = bt.grad = None
        torch.nn.functional.layer_norm(xt, (c,), wt, bt).backward(gyt)

    def raw_ln():
        _, mean, rstd = backend.layer_norm(xa, wa, ba, 1, 1e-5)
        backend.layer_norm_bwd(xa, gya, wa, mean, rstd, 1, (True, True, True))

    torch_ms = time_ms(th_ln)
    rows.append(_row("layer_norm fwd+bwd", ACT_SHAPE, time_ms(pg_ln), torch_ms, nbytes, copy_gbps))
    rows.append(_row("layer_norm raw kernels", ACT_SHAPE, time_ms(raw_ln), torch_ms, nbytes,
                     copy_gbps))
    for approximate in ("none", "tanh"):
        name = "gelu" if approximate == "none" else f"gelu({approximate})"

        def pg_gelu(a=approximate):
            x.grad = None
            gelu(x, a).backward(gy)

        def th_gelu(a=approximate):
            xt.grad = None
            torch.nn.functional.gelu(xt, approximate=a).backward(gyt)

        def raw_gelu(a=approximate):
            backend.gelu_bwd(xa, gya, a)
            backend.gelu(xa, a)

        torch_ms = time_ms(th_gelu)
        rows.append(_row(f"{name} fwd+bwd", ACT_SHAPE, time_ms(pg_gelu), torch_ms, nbytes,
                         copy_gbps))
        rows.append(_row(f"{name} raw kernels", ACT_SHAPE, time_ms(raw_gelu), torch_ms, nbytes,
                         copy_gbps))
    return rows


def format_table(rows: list[dict]) -> str:
    """The rows as an aligned text table."""
    cols = ("name", "shape", "pygrad_ms", "torch_ms", "ratio", "gbps", "pct_of_copy")
    cells = [cols] + [tuple("-" if r.get(k) is None else str(r[k]) for k in cols) for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cols))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    rows = run(quick="--quick" in argv)
    if rows:
        print(rows[0]["device"])
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
