"""Backends: one flat interface, three implementations.

* ``reference`` — pure NumPy/CuPy-generic array code. Readable; the oracle in tests.
* ``cpu``       — NumPy for everything, fused C kernels (Cython, OpenMP) for the hot ops.
* ``cuda``      — CuPy for everything, RawKernels compiled from ``csrc/cuda`` for the hot ops.

Every backend module exports the same names:

``xp``                                    the array module (numpy or cupy)
``sigmoid(x) -> y``
``sigmoid_bwd(y, gy) -> gx``              gy·y·(1−y)
``softmax(x, axis) -> y``
``softmax_bwd(y, gy, axis) -> gx``        y·(gy − Σ y·gy)
``log_softmax(x, axis) -> y``
``log_softmax_bwd(y, gy, axis) -> gx``    gy − exp(y)·Σ gy
``gelu(x, approximate) -> y``             x·Φ(x); approximate "tanh": x·(1 + tanh u)/2,
                                          u = √(2/π)·(x + 0.044715·x³)
``gelu_bwd(x, gy, approximate) -> gx``    gy·gelu'(x), from the forward's input x
``layer_norm(x, weight, bias, normalized_ndim, eps) -> (y, mean, rstd)``
    over the last ``normalized_ndim`` axes: y = (x − mean)·rstd·weight + bias, rstd =
    1/√(biased var + eps); weight, bias None or of the normalized shape; mean and rstd keep
    the normalized axes as size 1 (what the backward takes).
``layer_norm_bwd(x, gy, weight, mean, rstd, normalized_ndim, need) -> (gx, gw, gb)``
    x̂ = (x − mean)·rstd, g = gy·weight: gx = rstd·(g − mean(g) − x̂·mean(g·x̂)),
    gw = Σ gy·x̂, gb = Σ gy over the leading axes; each None unless need[i] (x, w, b).
``cross_entropy(x, target, weight, ignore_index, label_smoothing, grad_scale) -> (loss, grad)``
    x (N, C) float, target (N,) int64, weight (C,) or None. loss (N,) per row,
    loss_i = (1−ε)·w_t·(−log p_it) + ε/C·Σ_c w_c·(−log p_ic), 0 where t == ignore_index.
    grad (N, C) = grad_scale · ∂loss_i/∂x_i written in the same pass, or None when
    grad_scale is None. grad_scale is a float or a 0-d array on the device.
    A target outside [0, C) that is not ignore_index raises IndexError naming it.
``bce_with_logits(x, y, pos_weight, grad_scale) -> (loss, grad)``
    elementwise (1−y)·x − (1+(pw−1)·y)·logσ(x); pos_weight None or broadcast over the last
    axis; grad = grad_scale·∂loss/∂x or None.
``log_sigmoid(x) -> y``                   min(x, 0) − log1p(exp(−|x|))
``sgd_step / adagrad_step / rmsprop_step / adam_step``  in-place optimizer updates
    (see ``reference`` for the exact signatures and torch's formulas); the cuda backend adds
    ``*_step_multi`` versions that update every parameter of a step in one launch.
``asarray(data, dtype, device)``, ``to_numpy(a)``, ``guard(device)``
    moving data to and from the device, and making ``device`` current while an op runs.

Arrays handed to kernels are C-contiguous and of one float dtype (float32 or float64).
"""
from __future__ import annotations

import importlib

_cache: dict = {}


def get(name: str):
    """The backend module by name: "reference", "cpu" or "cuda"."""
    mod = _cache.get(name)
    if mod is None:
        if name not in ("reference", "cpu", "cuda"):
            raise ValueError(f"backend: expected 'reference', 'cpu' or 'cuda', got {name!r}")
        mod = importlib.import_module(f"{__name__}.{name}")
        _cache[name] = mod
    return mod


def backend_for(device):
    """The backend that runs ops on ``device`` (a pygrad Device)."""
    if device.type == "cpu":
        return get("cpu")
    from .. import cuda
    cuda._check_index(device.index)
    return get("cuda")


class use:
    """``with backend.use("reference"):`` run the cpu's ops on another backend (tests compare
    the compiled kernels to the reference this way)."""

    def __init__(self, name: str, device="cpu"):
        from ..device import Device
        self.device, self.name = Device(device), name

    def __enter__(self):
        self.prev = self.device._backend
        self.device._backend = get(self.name)
        return self.device._backend

    def __exit__(self, *exc):
        self.device._backend = self.prev
        return False
