"""The elementwise table (pygrad/ops/elementwise.py) against torch, op by op: function and
method forms, in-place forms, values, gradients with a random upstream gradient, double
backward, edge values (0, -0, ±inf, nan), float32 and integer inputs."""
import numpy as np
import pytest

import pygrad as pg
from pygrad.ops.elementwise import TABLE

torch = pytest.importorskip("torch")

NAMES = sorted(TABLE) + ["round"]
# inputs inside each op's domain (float64)
DOMAIN = {"asin": (-0.9, 0.9), "acos": (-0.9, 0.9), "atanh": (-0.9, 0.9), "acosh": (1.1, 4.0),
          "log2": (0.1, 4.0), "log10": (0.1, 4.0), "log1p": (-0.9, 4.0), "rsqrt": (0.1, 4.0),
          "reciprocal": (0.2, 4.0), "tan": (-1.2, 1.2),
          "erfinv": (-0.99, 0.99)}
# ops whose gradient depends on x (frac's is the constant 1: nothing to differentiate again)
SMOOTH = [n for n in NAMES if TABLE.get(n, (0, None))[1] is not None and n != "frac"]


def _inputs(name, shape=(3, 4), seed=0):
    rng = np.random.default_rng(seed)
    lo, hi = DOMAIN.get(name, (-3.0, 3.0))
    return rng.uniform(lo, hi, shape)


def _run(lib, name, a, g, method, dtype="float64"):
    x = lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=True)
    y = getattr(x, name)() if method else getattr(lib, name)(x)
    y.backward(lib.tensor(g, dtype=getattr(lib, dtype)))
    return _np(y), _np(x.grad)


def _np(t):
    """As a NumPy array (torch's sign/sgn gradients are lazy zero tensors)."""
    return t.detach().numpy(force=True) if isinstance(t, torch.Tensor) else t.numpy()


@pytest.mark.parametrize("method", [False, True])
@pytest.mark.parametrize("name", NAMES)
def test_values_and_gradients_match_torch(name, method):
    a = _inputs(name)
    g = np.random.default_rng(1).standard_normal(a.shape)
    py, pgx = _run(pg, name, a, g, method)
    ty, tgx = _run(torch, name, a, g, method)
    np.testing.assert_allclose(py, ty, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(pgx, tgx, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_float32_matches_torch(name):
    a = _inputs(name).astype(np.float32)
    g = np.random.default_rng(1).standard_normal(a.shape).astype(np.float32)
    py, pgx = _run(pg, name, a, g, False, "float32")
    ty, tgx = _run(torch, name, a, g, False, "float32")
    assert py.dtype == ty.dtype == np.float32
    np.testing.assert_allclose(py, ty, rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(pgx, tgx, rtol=2e-5, atol=1e-5)


@pytest.mark.parametrize("name", SMOOTH)
def test_double_backward_matches_torch(name):
    a = _inputs(name, (5,))
    v = np.random.default_rng(2).standard_normal(5)
    out = []
    for lib in (pg, torch):
        x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
        y = getattr(lib, name)(x)
        gx, = lib.autograd.grad(y, x, lib.ones_like(y), create_graph=True)
        (gx * lib.tensor(v)).sum().backward()
        out.append((_np(gx), _np(x.grad)))
    for p, t in zip(*out):
        np.testing.assert_allclose(p, t, rtol=1e-10, atol=1e-12)


EDGES = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 0.5, -2.5, 1e4])


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("upstream", [1.0, np.inf, np.nan])
@pytest.mark.parametrize("name", NAMES)
def test_edge_values_match_torch(name, upstream):
    g = np.full(EDGES.shape, upstream)
    py, pgx = _run(pg, name, EDGES, g, False)
    ty, tgx = _run(torch, name, EDGES, g, False)
    np.testing.assert_allclose(py, ty, rtol=1e-12, atol=0, equal_nan=True)
    np.testing.assert_allclose(pgx, tgx, rtol=1e-10, atol=0, equal_nan=True)


@pytest.mark.parametrize("name", NAMES)
def test_integer_inputs_take_torchs_dtype(name):
    a = np.array([3, -2, 0, 1])
    for dtype in ("int64", "int32", "uint8") if name not in ("sign", "sgn") else ("int64",):
        arr = np.abs(a) if dtype == "uint8" else a
        try:
            t = getattr(torch, name)(torch.tensor(arr, dtype=getattr(torch, dtype)))
        except (RuntimeError, NotImplementedError) as e:
            with pytest.raises(type(e)):
                getattr(pg, name)(pg.tensor(arr, dtype=getattr(pg, dtype)))
            continue
        p = getattr(pg, name)(pg.tensor(arr, dtype=getattr(pg, dtype)))
        assert str(p.dtype) == str(t.dtype).split(".")[1], (name, dtype)
        np.testing.assert_allclose(p.numpy(), t.numpy(), rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("name", NAMES)
def test_inplace_forms(name):
    a = _inputs(name)
    p, t = pg.tensor(a), torch.tensor(a, dtype=torch.float32)
    assert getattr(p, name + "_")() is p
    getattr(t, name + "_")()
    np.testing.assert_allclose(p.numpy(), t.numpy(), rtol=2e-6, atol=1e-6)
    for lib in (pg, torch):              # a leaf that requires grad is refused
        with pytest.raises(RuntimeError):
            getattr(lib.ones(2, requires_grad=True), name + "_")()


def test_round_decimals_and_halves_to_even():
    a = np.array([0.5, 1.5, 2.5, -0.5, 1.25, 2.675, -3.14159])
    for d in (0, 1, 2, -1):
        p = pg.tensor(a, dtype=pg.float64).round(decimals=d).numpy()
        t = torch.tensor(a, dtype=torch.float64).round(decimals=d).numpy()
        np.testing.assert_allclose(p, t, rtol=1e-12)
