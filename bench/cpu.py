"""The CPU kernel suite: pygrad's fused kernels against torch and plain NumPy.

Each benchmark times, interleaved in one run:

* ``pygrad``  — the public API (``F.cross_entropy(x, t).backward()`` on a leaf), what users get;
* ``kernel``  — the cpu backend's kernel called directly on arrays, so the Python overhead of
  the API is the difference between the two rows;
* ``torch``   — the same call through torch (eager, CPU), the baseline of the ratio;
* ``numpy``   — the same math written in plain NumPy, for scale.

ratio = torch time / pygrad time (higher is better); targets are those of BASELINES.md.
"""
from __future__ import annotations

import numpy as np

from .harness import COOLDOWN, measure, random_logits, random_targets, ratio, target

# (shape, target ratio or None) per benchmark, at the sizes the targets are stated for.
CE_SHAPES = [((16384, 1024), 4.0), ((4096, 32000), 10.0), ((65536, 10), None)]
SOFTMAX_SHAPE, SOFTMAX_TARGET = (65536, 1024), 2.5
SIGMOID_SHAPE, SIGMOID_TARGET = (16384, 1024), 1.5
# layer_norm (weight and bias) and gelu, forward + backward (issue 11: >= 2x torch on 2 cores)
LAYER_NORM_SHAPE, LAYER_NORM_TARGET = (16384, 1024), 2.0
GELU_SHAPE, GELU_TARGET = (16384, 1024), 2.0
OVERHEAD_CHAIN, OVERHEAD_TARGET_US = 1000, 4.5

# quick shapes are not those the targets are stated for, so they carry none
QUICK_CE_SHAPES = [((256, 128), None), ((64, 1000), None), ((1024, 10), None)]
QUICK_SOFTMAX_SHAPE = (512, 128)
QUICK_SIGMOID_SHAPE = (256, 128)
QUICK_LAYER_NORM_SHAPE = (256, 128)
QUICK_GELU_SHAPE = (256, 128)
QUICK_OVERHEAD_CHAIN = 100


def run(quick: bool = False, repeat: int | None = None) -> list[dict]:
    """Run every CPU kernel benchmark and return one row (dict) per measured line.

    ``quick`` uses small shapes and few repeats (smoke runs, tests); ``repeat`` overrides the
    number of timed samples per contender.
    """
    repeat = repeat or (3 if quick else 7)
    cooldown = 0.0 if quick else COOLDOWN
    rows: list[dict] = []
    for shape, goal in (QUICK_CE_SHAPES if quick else CE_SHAPES):
        rows += bench_cross_entropy(shape, goal, repeat, cooldown)
    if quick:
        rows += bench_softmax(QUICK_SOFTMAX_SHAPE, None, repeat)
        rows += bench_sigmoid(QUICK_SIGMOID_SHAPE, None, repeat)
        rows += bench_layer_norm(QUICK_LAYER_NORM_SHAPE, None, repeat)
        for approximate in ("none", "tanh"):
            rows += bench_gelu(QUICK_GELU_SHAPE, None, repeat, approximate=approximate)
        rows += bench_overhead(QUICK_OVERHEAD_CHAIN, None, max(repeat, 5) * 3)
    else:
        rows += bench_softmax(SOFTMAX_SHAPE, SOFTMAX_TARGET, repeat, cooldown)
        rows += bench_sigmoid(SIGMOID_SHAPE, SIGMOID_TARGET, repeat, cooldown)
        rows += bench_layer_norm(LAYER_NORM_SHAPE, LAYER_NORM_TARGET, repeat, cooldown)
        for approximate in ("none", "tanh"):
            rows += bench_gelu(GELU_SHAPE, GELU_TARGET, repeat, cooldown, approximate)
        rows += bench_overhead(OVERHEAD_CHAIN, OVERHEAD_TARGET_US, max(repeat, 5) * 3)
    for r in rows:
        r.setdefault("suite", "kernels")
        r.setdefault("device", "cpu")
    return rows


def _rows(name: str, shape: tuple, times: dict, goal: float | None) -> list[dict]:
    """The API row (with the target) and the raw-kernel row from one interleaved measurement."""
    torch_ms = times["torch"].ms
    numpy_ms = times["numpy"].ms if "numpy" in times else None
    api = {"name": name, "shape": shape, "pygrad_ms": times["pygrad"].ms, "torch_ms": torch_ms,
           "numpy_ms": numpy_ms, "ratio": ratio(torch_ms, times["pygrad"].ms)}
    if goal is not None:
        api["target"] = target(">=", goal)
    raw = {"name": f"{name} [kernel only]", "shape": shape, "pygrad_ms": times["kernel"].ms,
           "torch_ms": torch_ms, "numpy_ms": numpy_ms, "ratio": ratio(torch_ms, times["kernel"].ms)}
    return [api, raw]


# ----------------------------------------------------------------------------- cross-entropy

def numpy_cross_entropy(x: np.ndarray, t: np.ndarray):
    """Mean softmax cross-entropy and its gradient w.r.t. ``x`` in plain NumPy."""
    n = x.shape[0]
    rows = np.arange(n)
    z = x - x.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e.sum(axis=1, keepdims=True)
    loss = (np.log(s[:, 0]) - z[rows, t]).mean()
    e /= s
    e[rows, t] -= 1
    e *= 1.0 / n
    return loss, e


def bench_cross_entropy(shape: tuple, goal: float | None, repeat: int,
                        cooldown: float = 0.0) -> list[dict]:
    """softmax-CE forward + backward (mean reduction), fp32."""
    import torch
    import torch.nn.functional as TF
    import pygrad as pg
    import pygrad.nn.functional as F
    from pygrad.backend import get

    n, c = shape
    x, t = random_logits(shape), random_targets(n, c)
    kernel = get("cpu")
    px, pt = pg.from_numpy(x).requires_grad_(), pg.from_numpy(t)
    tx, tt = torch.from_numpy(x).requires_grad_(), torch.from_numpy(t)

    def pygrad_step():
        px.grad = None
        F.cross_entropy(px, pt).backward()

    def kernel_step():
        loss, grad = kernel.cross_entropy(x, t, None, -100, 0.0, 1.0 / n)
        loss.mean()

    def torch_step():
        tx.grad = None
        TF.cross_entropy(tx, tt).backward()

    times = measure({"pygrad": pygrad_step, "kernel": kernel_step, "torch": torch_step,
                     "numpy": lambda: numpy_cross_entropy(x, t)},
                    repeat=repeat, cooldown=cooldown)
    return _rows("cross_entropy fwd+bwd", shape, times, goal)


# ----------------------------------------------------------------------------- softmax

def numpy_softmax(x: np.ndarray) -> np.ndarray:
    """Row softmax in plain NumPy."""
    e = np.exp(x - x.max(axis=1, keepdims=True))
    e /= e.sum(axis=1, keepdims=True)
    return e


def bench_softmax(shape: tuple, goal: float | None, repeat: int,
                  cooldown: float = 0.0) -> list[dict]:
    """Row softmax forward only (no graph: the input does not require grad)."""
    import torch
    import pygrad as pg
    import pygrad.nn.functional as F
    from pygrad.backend import get

    x = random_logits(shape)
    kernel = get("cpu")
    px, tx = pg.from_numpy(x), torch.from_numpy(x)
    times = measure({"pygrad": lambda: F.softmax(px, dim=1),
                     "kernel": lambda: kernel.softmax(x, 1),
                     "torch": lambda: torch.softmax(tx, dim=1),
                     "numpy": lambda: numpy_softmax(x)}, repeat=repeat, cooldown=cooldown)
    return _rows("softmax fwd", shape, times, goal)


# ----------------------------------------------------------------------------- sigmoid

def numpy_sigmoid_fwd_bwd(x: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """σ(x) and gy·σ·(1−σ) in plain NumPy; returns the input gradient."""
    y = 1 / (1 + np.exp(-x))
    return gy * y * (1 - y)


def bench_sigmoid(shape: tuple, goal: float | None, repeat: int,
                  cooldown: float = 0.0) -> list[dict]:
    """Sigmoid forward + backward with a random upstream gradient."""
    import torch
    import pygrad as pg
    import pygrad.nn.functional as F
    from pygrad.backend import get

    x, gy = random_logits(shape, seed=2), random_logits(shape, seed=3, scale=1.0)
    kernel = get("cpu")
    px, pgy = pg.from_numpy(x).requires_grad_(), pg.from_numpy(gy)
    tx, tgy = torch.from_numpy(x).requires_grad_(), torch.from_numpy(gy)

    def pygrad_step():
        px.grad = None
        F.sigmoid(px).backward(pgy)

    def kernel_step():
        kernel.sigmoid_bwd(kernel.sigmoid(x), gy)

    def torch_step():
        tx.grad = None
        torch.sigmoid(tx).backward(tgy)

    times = measure({"pygrad": pygrad_step, "kernel": kernel_step, "torch": torch_step,
                     "numpy": lambda: numpy_sigmoid_fwd_bwd(x, gy)},
                    repeat=repeat, cooldown=cooldown)
    return _rows("sigmoid fwd+bwd", shape, times, goal)


# ----------------------------------------------------------------------------- layer_norm

def numpy_layer_norm_fwd_bwd(x: np.ndarray, w: np.ndarray, b: np.ndarray, gy: np.ndarray,
                             eps: float = 1e-5):
    """Layer norm over the last axis and its gradients (x, weight, bias) in plain NumPy."""
    mean = x.mean(axis=1, keepdims=True)
    xc = x - mean
    rstd = 1 / np.sqrt((xc * xc).mean(axis=1, keepdims=True) + eps)
    xhat = xc * rstd
    y = xhat * w + b
    g = gy * w
    gx = rstd * (g - g.mean(axis=1, keepdims=True)
                 - xhat * (g * xhat).mean(axis=1, keepdims=True))
    return y, gx, (gy * xhat).sum(axis=0), gy.sum(axis=0)


def bench_layer_norm(shape: tuple, goal: float | None, repeat: int,
                     cooldown: float = 0.0) -> list[dict]:
    """Layer norm over the last axis with weight and bias, forward + backward with a random
    upstream gradient (gradients for input, weight and bias)."""
    import torch
    import torch.nn.functional as TF
    import pygrad as pg
    from pygrad.backend import get
    from pygrad.nn.functional import layer_norm

    c = shape[-1]
    x, gy = random_logits(shape, seed=4), random_logits(shape, seed=5, scale=1.0)
    w, b = random_logits((c,), seed=6, scale=1.0), random_logits((c,), seed=7, scale=1.0)
    kernel = get("cpu")
    px, pw, pb = (pg.from_numpy(a).requires_grad_() for a in (x, w, b))
    pgy = pg.from_numpy(gy)
    tx, tw, tb = (torch.from_numpy(a).requires_grad_() for a in (x, w, b))
    tgy = torch.from_numpy(gy)

    def pygrad_step():
        px.grad = pw.grad = pb.grad = None
        layer_norm(px, (c,), pw, pb).backward(pgy)

    def kernel_step():
        y, mean, rstd = kernel.layer_norm(x, w, b, 1, 1e-5)
        kernel.layer_norm_bwd(x, gy, w, mean, rstd, 1, (True, True, True))

    def torch_step():
        tx.grad = tw.grad = tb.grad = None
        TF.layer_norm(tx, (c,), tw, tb).backward(tgy)

    times = measure({"pygrad": pygrad_step, "kernel": kernel_step, "torch": torch_step,
                     "numpy": lambda: numpy_layer_norm_fwd_bwd(x, w, b, gy)},
                    repeat=repeat, cooldown=cooldown)
    return _rows("layer_norm fwd+bwd", shape, times, goal)


# ----------------------------------------------------------------------------- gelu

def numpy_gelu_fwd_bwd(x: np.ndarray, gy: np.ndarray, approximate: str = "none"):
    """gelu and its input gradient gy·gelu'(x) in plain NumPy. NumPy has no erf, so the
    "none" form calls math.erf per element (checked in tests, too slow to time)."""
    if approximate == "tanh":
        k = x.dtype.type(np.sqrt(2 / np.pi))
        u = k * (x + x.dtype.type(0.044715) * x ** 3)
        t = np.tanh(u)
        y = 0.5 * x * (1 + t)
        return y, gy * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x))
    import math
    erf = np.frompyfunc(math.erf, 1, 1)
    cdf = 0.5 * (1 + erf(x / np.sqrt(2)).astype(x.dtype))
    pdf = np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)
    return x * cdf, gy * (cdf + x * pdf)


def bench_gelu(shape: tuple, goal: float | None, repeat: int, cooldown: float = 0.0,
               approximate: str = "none") -> list[dict]:
    """gelu forward + backward with a random upstream gradient; ``approximate`` "none" (erf)
    or "tanh". The NumPy baseline is timed for the tanh form only (NumPy has no erf)."""
    import torch
    import torch.nn.functional as TF
    import pygrad as pg
    from pygrad.backend import get
    from pygrad.nn.functional import gelu

    x, gy = random_logits(shape, seed=8), random_logits(shape, seed=9, scale=1.0)
    kernel = get("cpu")
    px, pgy = pg.from_numpy(x).requires_grad_(), pg.from_numpy(gy)
    tx, tgy = torch.from_numpy(x).requires_grad_(), torch.from_numpy(gy)

    def pygrad_step():
        px.grad = None
        gelu(px, approximate).backward(pgy)

    def kernel_step():
        kernel.gelu(x, approximate)
        kernel.gelu_bwd(x, gy, approximate)

    def torch_step():
        tx.grad = None
        TF.gelu(tx, approximate=approximate).backward(tgy)

    fns = {"pygrad": pygrad_step, "kernel": kernel_step, "torch": torch_step}
    if approximate == "tanh":
        fns["numpy"] = lambda: numpy_gelu_fwd_bwd(x, gy, "tanh")
    times = measure(fns, repeat=repeat, cooldown=cooldown)
    name = "gelu fwd+bwd" if approximate == "none" else f"gelu({approximate}) fwd+bwd"
    return _rows(name, shape, times, goal)


# ----------------------------------------------------------------------------- overhead

def bench_overhead(chain: int, goal_us: float | None, repeat: int) -> list[dict]:
    """Per-op cost of the autograd machinery on 1-element tensors.

    Row 1 (the target): a chain of ``chain`` multiplies ``y = y * b`` with requires_grad and
    one backward through it, per op — building the node, running its backward, accumulating.
    Row 2: the forward multiply alone (graph recorded, never run backward), per op.
    """
    import torch
    import pygrad as pg

    # b close to 1 keeps the chain's product finite for any length
    pa, pb = (pg.tensor([1.0], requires_grad=True), pg.tensor([1.0001], requires_grad=True))
    ta, tb = (torch.tensor([1.0], requires_grad=True), torch.tensor([1.0001], requires_grad=True))

    def chain_of(a, b):
        def step():
            a.grad = b.grad = None
            y = a
            for _ in range(chain):
                y = y * b
            y.backward()
        return step

    def forward_of(a, b):
        def step():
            for _ in range(chain):
                a * b
        return step

    both = measure({"pygrad": chain_of(pa, pb), "torch": chain_of(ta, tb)}, repeat=repeat)
    fwd = measure({"pygrad": forward_of(pa, pb), "torch": forward_of(ta, tb)}, repeat=repeat)
    rows = []
    for name, times, goal in (("op overhead: 1-elem mul fwd+bwd", both, goal_us),
                              ("op overhead: 1-elem mul fwd only", fwd, None)):
        p_ms, t_ms = times["pygrad"].ms / chain, times["torch"].ms / chain
        row = {"name": name, "shape": (1,), "pygrad_ms": p_ms, "torch_ms": t_ms,
               "numpy_ms": None, "ratio": ratio(t_ms, p_ms)}
        if goal is not None:
            row["target"] = target("<=", goal / 1e3, of="pygrad_ms")
        rows.append(row)
    return rows
