"""amax/amin, all/any, count_nonzero, cumsum, var/std with correction, var_mean/std_mean,
norm/vector_norm and flip against torch: values, dtypes, gradients with a random upstream
gradient (ties, zeros, nan and inf included), dims as int, tuple, negative and keepdim."""
import numpy as np
import pytest

import pygrad as pg

torch = pytest.importorskip("torch")

INF, NAN = float("inf"), float("nan")
A = np.array([[1.0, 3.0, 3.0, -2.0], [0.0, 0.0, 5.0, -5.0], [2.0, -1.0, 0.5, 4.0]])

CASES = {
    "amax": lambda m, x: x.amax(),
    "amax_dim": lambda m, x: x.amax(1),
    "amax_tuple_keep": lambda m, x: m.amax(x, (0, 1), keepdim=True),
    "amin_neg": lambda m, x: m.amin(x, -1),
    "cumsum0": lambda m, x: x.cumsum(0),
    "cumsum_neg": lambda m, x: m.cumsum(x, -1),
    "var_corr0": lambda m, x: x.var(1, correction=0),
    "var_corr2": lambda m, x: m.var(x, 0, correction=2),
    "std_unbiased_keep": lambda m, x: x.std(1, True, True),
    "var_mean": lambda m, x: sum(m.var_mean(x, 1)),
    "std_mean": lambda m, x: sum(m.std_mean(x, (0, 1), correction=0)),
    "norm": lambda m, x: x.norm(),
    "norm_dim": lambda m, x: m.norm(x, dim=1),
    "norm_p1": lambda m, x: x.norm(1, dim=0),
    "norm_p3": lambda m, x: x.norm(3, dim=1, keepdim=True),
    "vnorm_inf": lambda m, x: m.linalg.vector_norm(x, float("inf"), dim=1),
    "vnorm_ninf": lambda m, x: m.linalg.vector_norm(x, float("-inf"), dim=0),
    "vnorm_0": lambda m, x: m.linalg.vector_norm(x, 0, dim=1),
    "linalg_norm": lambda m, x: m.linalg.norm(x[0]) + m.linalg.norm(x, dim=1).sum(),
    "flip": lambda m, x: x.flip(0) * x.flip((0, 1)) + m.flip(x, [-1]),
}


def _np(t):
    return t.detach().numpy(force=True) if isinstance(t, torch.Tensor) else t.numpy()


def _run(lib, fn, a, seed=1, upstream=None):
    x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
    y = fn(lib, x)
    g = np.random.default_rng(seed).standard_normal(tuple(y.shape)) if upstream is None \
        else np.full(tuple(y.shape), upstream)
    y.backward(lib.tensor(g, dtype=lib.float64))
    return _np(y), (np.zeros(a.shape) if x.grad is None else _np(x.grad))


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_torch(name):
    for a in (A, A[:, ::-1].copy() * 0.5 - 1):
        (py, pg_), (ty, tg) = _run(pg, CASES[name], a), _run(torch, CASES[name], a)
        np.testing.assert_allclose(py, ty, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(pg_, tg, rtol=1e-10, atol=1e-12)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("upstream", [1.0, INF])
@pytest.mark.parametrize("name", sorted(CASES))
def test_edge_values_match_torch(name, upstream):
    a = np.array([[0.0, 0.0, 0.0, 0.0], [INF, 1.0, NAN, -1.0], [-INF, 2.0, 2.0, 0.0]])
    (py, pg_), (ty, tg) = _run(pg, CASES[name], a, upstream=upstream), \
        _run(torch, CASES[name], a, upstream=upstream)
    np.testing.assert_allclose(py, ty, rtol=1e-10, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(pg_, tg, rtol=1e-10, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("dtype", ["float32", "int64", "int32", "uint8", "bool"])
def test_logical_counting_and_cumsum_dtypes(dtype):
    a = np.array([[1, 0, 2], [0, 0, 3]])
    t = torch.tensor(a).to(getattr(torch, dtype))
    p = pg.tensor(a).to(getattr(pg, dtype) if dtype != "bool" else pg.bool)
    for fn in (lambda m, x: m.all(x), lambda m, x: m.any(x), lambda m, x: x.all(1),
               lambda m, x: x.any(0, keepdim=True), lambda m, x: m.count_nonzero(x),
               lambda m, x: m.count_nonzero(x, dim=1), lambda m, x: x.cumsum(1),
               lambda m, x: m.cumsum(x, 0, dtype=m.float64)):
        u, v = fn(pg, p), fn(torch, t)
        assert str(u.dtype) == str(v.dtype).split(".")[1] and u.shape == tuple(v.shape)
        np.testing.assert_array_equal(u.numpy(), v.numpy())


def test_double_backward_of_norm_and_cumsum_matches_torch():
    v = np.random.default_rng(0).standard_normal(A.shape)
    outs = []
    for lib in (pg, torch):
        x = lib.tensor(A, dtype=lib.float64, requires_grad=True)
        y = x.norm(dim=1).sum() + (x.cumsum(1) ** 2).sum() + x.var(0, correction=0).sum()
        g, = lib.autograd.grad(y, x, create_graph=True)
        (g * lib.tensor(v)).sum().backward()
        outs.append((_np(g), _np(x.grad)))
    for u, w in zip(*outs):
        np.testing.assert_allclose(u, w, rtol=1e-9, atol=1e-12)


def test_bad_arguments_raise_torchs_classes():
    for call in (lambda m: m.zeros(0).amax(), lambda m: m.ones(2).flip(0, 0),
                 lambda m: m.ones(2).var(correction=1, unbiased=False),
                 lambda m: m.ones(2).cumsum(2), lambda m: m.ones(2, dtype=m.int64).norm()):
        with pytest.raises(Exception) as te:
            call(torch)
        with pytest.raises(type(te.value)):
            call(pg)
