"""prod, cumprod, cummax / cummin and logcumsumexp against torch: values, indices, dtypes,
gradients with random upstream gradients (no zero, one zero, several zeros), float64
gradcheck, double backward, nan/inf, empty and 0-d inputs, negative dims, bad input."""
import numpy as np
import pytest

import pygrad as pg

torch = pytest.importorskip("torch")

INF, NAN = float("inf"), float("nan")
RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 5))
A[0, 2] = A[0, 3] = A[0, 4] = A[2, 2]              # ties for cummax / cummin
ONE_ZERO = A.copy()
ONE_ZERO[1, 2] = 0.0
SEVERAL = A.copy()
SEVERAL[0, 0] = SEVERAL[0, 3] = SEVERAL[1, 4] = SEVERAL[2, 1] = 0.0
INPUTS = {"plain": A, "one_zero": ONE_ZERO, "several_zeros": SEVERAL}

CASES = {
    "prod": lambda m, x: m.prod(x),
    "prod_dim": lambda m, x: x.prod(1),
    "prod_neg_keep": lambda m, x: m.prod(x, -2, keepdim=True),
    "prod_row": lambda m, x: x[1].prod(),                  # exactly one zero in ONE_ZERO
    "prod_dtype": lambda m, x: m.prod(x, 0, dtype=m.float64),
    "cumprod": lambda m, x: m.cumprod(x, 1),
    "cumprod_neg": lambda m, x: x.cumprod(-2),
    "cumprod_3d": lambda m, x: m.cumprod(x.reshape(3, 1, 5) * x[:, None, :], 2),
    "cummax": lambda m, x: m.cummax(x, 1).values,
    "cummin_neg": lambda m, x: x.cummin(-1)[0],
    "cummax_dim0": lambda m, x: x.cummax(0).values,
    "logcumsumexp": lambda m, x: m.logcumsumexp(x, 1),
    "logcumsumexp_neg": lambda m, x: x.logcumsumexp(-2),
    "logcumsumexp_large": lambda m, x: m.logcumsumexp(x * 1000, 1),
    # torch's axis= alias of dim
    "prod_axis": lambda m, x: x.prod(axis=0),
    "cumprod_axis": lambda m, x: m.cumprod(x, axis=-1),
    "cummin_axis": lambda m, x: m.cummin(x, axis=0).values,
    "logcumsumexp_axis": lambda m, x: x.logcumsumexp(axis=1),
    # non-contiguous inputs: a transposed view and a strided slice
    "prod_strided": lambda m, x: x.t()[::2].prod(1),
    "cumprod_strided": lambda m, x: m.cumprod(x[:, ::2].t(), 1),
    "cummax_strided": lambda m, x: m.cummax(x.t()[1::2], 0).values,
    "logcumsumexp_strided": lambda m, x: m.logcumsumexp(x.t(), -1),
}


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.numpy()


def _first(lib, fn, a, v):
    x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
    y = fn(lib, x)
    y.backward(lib.tensor(v, dtype=lib.float64))
    return _np(y), (np.zeros(a.shape) if x.grad is None else _np(x.grad))


def _second(lib, fn, a, v, w):
    """The gradient of <grad_x <fn(x), v>, w> with respect to x (and to v)."""
    x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
    tv = lib.tensor(v, dtype=lib.float64, requires_grad=True)
    (g,) = lib.autograd.grad(fn(lib, x), x, tv, create_graph=True)
    s = (g * lib.tensor(w, dtype=lib.float64)).sum()
    if not s.requires_grad:
        return np.zeros(a.shape), np.zeros(v.shape)
    gx, gv = lib.autograd.grad(s, (x, tv), allow_unused=True)
    return (np.zeros(a.shape) if gx is None else _np(gx),
            np.zeros(v.shape) if gv is None else _np(gv))


@pytest.mark.parametrize("data", sorted(INPUTS))
@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_torch(name, data):
    a, fn = INPUTS[data], CASES[name]
    shape = tuple(fn(torch, torch.tensor(a)).shape)
    v = np.random.default_rng(1).standard_normal(shape)
    (py, pgx), (ty, tgx) = _first(pg, fn, a, v), _first(torch, fn, a, v)
    np.testing.assert_allclose(py, ty, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(pgx, tgx, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("data", sorted(INPUTS))
@pytest.mark.parametrize("name", sorted(CASES))
def test_double_backward_matches_torch(name, data):
    a, fn = INPUTS[data], CASES[name]
    shape = tuple(fn(torch, torch.tensor(a)).shape)
    rng = np.random.default_rng(2)
    v, w = rng.standard_normal(shape), rng.standard_normal(a.shape)
    for p, t in zip(_second(pg, fn, a, v, w), _second(torch, fn, a, v, w)):
        np.testing.assert_allclose(p, t, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("data", sorted(INPUTS))
@pytest.mark.parametrize("name", [n for n in sorted(CASES) if "large" not in n])
def test_gradcheck(name, data):
    # cummax / cummin at ties have no derivative: gradcheck them on distinct values
    a = INPUTS[data] if "cum" not in name or "cumprod" in name else \
        INPUTS[data] + np.arange(15).reshape(3, 5) * 1e-3
    x = pg.tensor(a, dtype=pg.float64, requires_grad=True)
    assert pg.autograd.gradcheck(lambda t: CASES[name](pg, t), (x,))


@pytest.mark.parametrize("upstream", [1.0, -3.0])
def test_logcumsumexp_gradient_is_stable_for_large_inputs(upstream):
    a = np.array([[1000.0, -1000.0, 999.0, 0.0, 1e5], [-1e5, -1e5 + 1, 3.0, 700.0, 800.0]])
    (py, pgx), (ty, tgx) = (_first(lib, lambda m, x: m.logcumsumexp(x, 1), a,
                                   np.full(a.shape, upstream)) for lib in (pg, torch))
    assert np.isfinite(pgx).all()
    np.testing.assert_allclose(py, ty, rtol=1e-12)
    np.testing.assert_allclose(pgx, tgx, rtol=1e-10, atol=1e-12)


def test_logcumsumexp_keeps_small_terms():
    a = np.array([-1000.0, 0.0, -2000.0])
    np.testing.assert_allclose(pg.logcumsumexp(pg.tensor(a), 0).numpy(),
                               torch.logcumsumexp(torch.tensor(a), 0).numpy(), rtol=1e-15)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", sorted(CASES))
def test_nan_and_inf_match_torch(name):
    a = np.array([[INF, 1.0, NAN, -1.0, 2.0], [-INF, 2.0, 2.0, 0.0, INF],
                  [1.0, NAN, 3.0, NAN, -INF]])
    v = np.ones(tuple(CASES[name](torch, torch.tensor(a)).shape))
    (py, pgx), (ty, tgx) = _first(pg, CASES[name], a, v), _first(torch, CASES[name], a, v)
    np.testing.assert_allclose(py, ty, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(pgx, tgx, rtol=1e-10, equal_nan=True)


def test_cummax_cummin_indices_follow_torch_on_ties_and_nan():
    a = np.array([[1.0, 3.0, 3.0, 2.0, 3.0, NAN, 5.0, NAN],
                  [2.0, 2.0, 1.0, 1.0, -INF, 0.0, -INF, 7.0]])
    for f in ("cummax", "cummin"):
        for dim in (1, 0, -1):
            p, t = getattr(pg, f)(pg.tensor(a), dim), getattr(torch, f)(torch.tensor(a), dim)
            np.testing.assert_array_equal(p.values.numpy(), t.values.numpy())
            np.testing.assert_array_equal(p.indices.numpy(), t.indices.numpy())
            assert p.indices.dtype == pg.int64


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "bool", "float32"])
def test_dtypes_follow_torch(dtype):
    a = np.array([[1, 0, 2], [3, 1, 1]])
    t = torch.tensor(a).to(getattr(torch, dtype))
    p = pg.tensor(a).to(pg.bool if dtype == "bool" else getattr(pg, dtype))
    for fn in (lambda m, x: m.prod(x), lambda m, x: x.prod(1), lambda m, x: m.cumprod(x, 1),
               lambda m, x: m.prod(x, 0, dtype=m.float64),
               lambda m, x: x.cumprod(0, dtype=m.float32),
               lambda m, x: m.cummax(x, 1).values, lambda m, x: x.cummin(0).indices):
        u, w = fn(pg, p), fn(torch, t)
        assert str(u.dtype) == str(w.dtype).split(".")[1] and u.shape == tuple(w.shape)
        np.testing.assert_array_equal(u.numpy(), w.numpy())


@pytest.mark.parametrize("shape", [(), (0,), (2, 0), (0, 3)])
def test_empty_and_zero_dim_match_torch(shape):
    a = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape) + 2.0
    for fn in (lambda m, x: m.prod(x), lambda m, x: x.prod(-1), lambda m, x: m.cumprod(x, 0),
               lambda m, x: m.cummax(x, -1).values, lambda m, x: m.cummin(x, 0).indices,
               lambda m, x: m.logcumsumexp(x, -1), lambda m, x: x.prod(0, keepdim=True)):
        tx = torch.tensor(a, requires_grad=True)
        px = pg.tensor(a, requires_grad=True)
        u, w = fn(pg, px), fn(torch, tx)
        assert u.shape == tuple(w.shape) and str(u.dtype) == str(w.dtype).split(".")[1]
        np.testing.assert_array_equal(u.numpy(), w.detach().numpy())
        if w.requires_grad:
            u.sum().backward()
            w.sum().backward()
            np.testing.assert_array_equal(px.grad.numpy(), tx.grad.numpy())


def test_cumprod_with_zeros_same_gradient_recorded_or_not():
    x = pg.tensor(SEVERAL, requires_grad=True)
    v = pg.tensor(np.random.default_rng(3).standard_normal(SEVERAL.shape))
    (fast,) = pg.autograd.grad(pg.cumprod(x, 1), x, v)
    (slow,) = pg.autograd.grad(pg.cumprod(x, 1), x, v, create_graph=True)
    np.testing.assert_allclose(fast.numpy(), slow.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("call, exc, match", [
    (lambda m, x: m.prod(x, 2), IndexError, "range"),
    (lambda m, x: m.prod(x, (0, 1)), TypeError, "prod"),
    (lambda m, x: m.cumprod(x, -3), IndexError, "range"),
    (lambda m, x: m.cummax(x, 2), IndexError, "range"),
    (lambda m, x: m.cummin(x, -3), IndexError, "range"),
    (lambda m, x: m.logcumsumexp(x, 5), IndexError, "range"),
    (lambda m, x: m.logcumsumexp(x.long(), 0), NotImplementedError, "logcumsumexp"),
    (lambda m, x: m.logcumsumexp(x.bool(), 0), NotImplementedError, "logcumsumexp"),
    (lambda m, x: m.cumprod(x, dim=0, axis=1), TypeError, "cumprod"),
])
def test_bad_input_raises_like_torch(call, exc, match):
    with pytest.raises(exc, match=match):
        call(torch, torch.tensor(A))
    with pytest.raises(exc, match=match):
        call(pg, pg.tensor(A))


@pytest.mark.parametrize("dtype", ["float64", "int64", "int32"])
def test_cumprod_in_place_matches_torch(dtype):
    t = torch.tensor(ONE_ZERO * 3).to(getattr(torch, dtype))
    p = pg.tensor(ONE_ZERO * 3).to(getattr(pg, dtype))
    assert p.cumprod_(-1) is p
    t.cumprod_(-1)
    assert str(p.dtype) == dtype
    np.testing.assert_array_equal(p.numpy(), t.numpy())
    with pytest.raises(RuntimeError, match="requires grad"):
        pg.tensor(A, requires_grad=True).cumprod_(0)


class _NoAccumulate:
    """A ufunc without ``accumulate`` (as CuPy's maximum / logaddexp)."""

    def __init__(self, ufunc):
        self.ufunc = ufunc

    def __call__(self, *args):
        return self.ufunc(*args)


@pytest.mark.parametrize("ufunc", [np.maximum, np.minimum, np.logaddexp, np.add])
@pytest.mark.parametrize("shape", [(0,), (1,), (2,), (7,), (8,), (9,), (3, 0), (5, 33),
                                   (4, 17, 3)])
def test_accumulate_without_ufunc_accumulate_matches_numpy(ufunc, shape):
    from pygrad.ops.scan import accumulate
    a = np.random.default_rng(0).normal(size=shape) * 5
    if a.size > 3:
        a.flat[3] = np.nan
        a.flat[-1] = -np.inf
    with np.errstate(invalid="ignore"):
        for axis in range(len(shape)):
            want = ufunc.accumulate(a, axis=axis)
            got = accumulate(np, _NoAccumulate(ufunc), a, axis)
            assert got.shape == want.shape and got.dtype == want.dtype
            np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)
    ints = np.random.default_rng(1).integers(-9, 9, (3, 13))
    if ufunc is not np.logaddexp:
        np.testing.assert_array_equal(accumulate(np, _NoAccumulate(ufunc), ints, 1),
                                      ufunc.accumulate(ints, axis=1))
