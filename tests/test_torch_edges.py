"""Regression tests: ops at the edges (inf / nan gradients, empty and 0-d tensors, ties,
mixed dtypes, torch's indexing rules, exception classes), each compared with the installed
torch — values, gradients, shapes, dtypes and exception classes."""
import numpy as np
import pytest

import pygrad as pg

torch = pytest.importorskip("torch")

inf, nan = float("inf"), float("nan")


def run(lib, fn, arrays, grad_out=None, dtype="float64"):
    """fn(lib, *tensors) in pygrad or torch; returns (output, input grads) as NumPy."""
    dt = getattr(lib, dtype)
    xs = [lib.tensor(np.asarray(a), dtype=dt, requires_grad=True) for a in arrays]
    y = fn(lib, *xs)
    out = y.detach().numpy() if lib is torch else y.numpy()
    g = np.ones(y.shape) if grad_out is None else np.broadcast_to(grad_out, y.shape)
    y.backward(lib.tensor(np.array(g), dtype=dt))
    grads = [None if x.grad is None else (x.grad.numpy() if lib is pg else x.grad.numpy())
             for x in xs]
    return out, grads, str(y.dtype).split(".")[-1]


def same(a, b):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))   # nan == nan, inf exact


def compare(fn, *arrays, grad_out=None, dtype="float64"):
    """Forward and backward of ``fn`` agree with torch exactly (including inf / nan)."""
    py, pgrads, pdt = run(pg, fn, arrays, grad_out, dtype)
    ty, tgrads, tdt = run(torch, fn, arrays, grad_out, dtype)
    assert pdt == tdt
    np.testing.assert_allclose(py, ty, rtol=1e-12, atol=0)
    for i, (a, b) in enumerate(zip(pgrads, tgrads)):
        b = np.zeros_like(arrays[i], dtype=float) if b is None else b
        a = np.zeros_like(arrays[i], dtype=float) if a is None else a
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=0, err_msg=f"gradient {i}")


# ----------------------------------------------------------------------------- masked grads

MASKED = {
    "relu_sqrt": lambda m, x: x.relu().sqrt(),
    "relu_log": lambda m, x: x.relu().log(),
    "clamp_min_sqrt": lambda m, x: x.clamp(min=0).sqrt(),
    "clamp_max": lambda m, x: x.clamp(max=0.5),
    "clamp_both": lambda m, x: x.clamp(-0.5, 0.5),
    "max_dim_sqrt": lambda m, x: (x.reshape(2, 2).max(dim=1).values - 3).relu().sqrt(),
    "min_dim_log": lambda m, x: x.reshape(2, 2).min(dim=0).values.relu().log(),
    "max_all": lambda m, x: x.max().relu().sqrt(),
    "maximum": lambda m, x: m.maximum(x, m.zeros_like(x)).sqrt(),
    "minimum": lambda m, x: (-m.minimum(x, m.zeros_like(x))).sqrt(),
    "abs": lambda m, x: x.abs().sqrt(),
    "where": lambda m, x: m.where(x > 0, x, m.zeros_like(x)).sqrt(),
    "masked_fill": lambda m, x: x.masked_fill(x < 0, 0.0).sqrt(),
    "index": lambda m, x: x[[0, 0, 3]].relu().sqrt(),
}


@pytest.mark.parametrize("name", sorted(MASKED))
@pytest.mark.parametrize("data", [[-1.0, 0.0, 2.0, 3.0], [nan, -1.0, 0.0, 4.0],
                                  [-0.0, 0.0, 0.0, -0.0], [inf, -inf, 1.0, 1.0]])
def test_masked_backward_matches_torch_with_inf_and_nan(name, data):
    compare(MASKED[name], np.array(data))


@pytest.mark.parametrize("name", sorted(MASKED))
@pytest.mark.parametrize("upstream", [inf, -inf, nan])
def test_masked_backward_with_nonfinite_upstream_gradient(name, upstream):
    compare(MASKED[name], np.array([-1.0, 0.5, 2.0, 2.0]), grad_out=upstream)


def test_relu_maximum_minimum_pass_the_gradient_at_nan():
    compare(lambda m, x: m.log(x).relu(), np.array([-0.5, 2.0]))
    compare(lambda m, x, y: m.maximum(x, y), np.array([nan, 1.0, 2.0, 2.0]),
            np.array([1.0, nan, 2.0, 3.0]))
    compare(lambda m, x, y: m.minimum(x, y), np.array([nan, 1.0, 2.0, 2.0]),
            np.array([1.0, nan, 2.0, 3.0]))


def test_max_dim_puts_a_nan_gradient_only_at_the_selected_entry():
    compare(lambda m, x: x.max(dim=1).values, np.array([[1.0, 2.0], [3.0, 0.0]]),
            grad_out=np.array([nan, 1.0]))
    compare(lambda m, x: x.min(dim=0, keepdim=True).values, np.array([[1.0, 2.0], [3.0, 0.0]]),
            grad_out=np.array([[inf, nan]]))
    compare(lambda m, x: x.max(), np.array([1.0, nan, 1.0]))
    compare(lambda m, x: x.max(), np.array([1.0, 3.0, 3.0]), grad_out=inf)


@pytest.mark.filterwarnings("ignore:.*degrees of freedom")     # torch's, for the nan rows
def test_std_and_var_at_zero_deviation_and_size_one_dims():
    compare(lambda m, x: x.std(dim=1), np.array([[3.0, 3, 3], [1, 2, 4]]))
    compare(lambda m, x: x.std(), np.array([2.0, 2.0]))
    compare(lambda m, x: x.std(dim=1), np.array([[3.0], [1.0]]))      # no dof left: nan
    compare(lambda m, x: x.var(dim=1), np.array([[3.0], [1.0]]))
    compare(lambda m, x: x.std(dim=0, unbiased=False), np.array([[3.0], [1.0]]))


def test_pow_at_negative_zero_uses_sqrt_and_rsqrt():
    for e in (0.5, -0.5, 2, -1, 3, -2, 1.5):
        compare(lambda m, x: x ** e, np.array([-0.0, 0.0, 1.0, 4.0]))


def test_backward_twice_through_ops_that_save_nothing():
    for lib in (pg, torch):
        x = lib.tensor([2.0, 3.0], requires_grad=True)
        y = (x + 1).reshape(2, 1).sum()
        y.backward()
        y.backward()
        assert x.grad.tolist() == [2.0, 2.0]
        y = (x * x).sum()
        y.backward()
        with pytest.raises(RuntimeError, match="second time"):
            y.backward()


# ----------------------------------------------------------------------------- indexing

INDEXES = ["[1, :, [0, 1]]", "[0, None, :, [0]]", "[1, :, 1:4:2, d, 0:2]", "[[0], 1, [0]]",
           "[:, 1, [0, 1]]", "[[[0, 1]], :, [[1], [2]]]", "[..., 1, [0, 1], :]", "[m]",
           "[1, m2]", "[[0, 1], m2]", "[None, [1, 0], None, 1, [2, 3]]", "[t]", "[:, t]",
           "[1, ..., [0, 2, 1]]", "[True]", "[False]", "[[1, 1, 0]]", "[0, 1, 2, 3, 4]"]


@pytest.mark.parametrize("index", INDEXES)
def test_indexing_places_dims_as_torch(index):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5, 6))

    def env(lib):
        return dict(d=lib.tensor([1, 0, 2]), m=lib.tensor(x[..., 0, 0, 0] > 0),
                    m2=lib.tensor(np.array([True, False, True])), t=lib.tensor(1))

    compare(lambda m, a: eval("a" + index, env(m) | {"a": a}), x,
            grad_out=np.random.default_rng(1).standard_normal(
                eval("x" + index.replace("t]", "1]"), {"x": torch.tensor(x)} |
                     env(torch)).shape))
    tz, pz = torch.tensor(x), pg.tensor(x)
    shape = eval("tz" + index, env(torch) | {"tz": tz}).shape
    v = np.random.default_rng(2).standard_normal(shape)
    exec("tz" + index + " = torch.tensor(v)", env(torch) | {"tz": tz, "torch": torch, "v": v})
    exec("pz" + index + " = pg.tensor(v)", env(pg) | {"pz": pz, "pg": pg, "v": v})
    same(pz.numpy(), tz.numpy())


def test_index_steps_must_be_positive_as_torch():
    for lib in (pg, torch):
        with pytest.raises(ValueError):
            lib.ones(4)[::-1]


# ----------------------------------------------------------------------------- empty / 0-d

def test_empty_reductions():
    for fn in (lambda m: m.zeros(2, 0).logsumexp(1), lambda m: m.zeros(0, 3).max(dim=1).values,
               lambda m: m.zeros(0, 3).max(dim=1).indices, lambda m: m.zeros(0, 3).argmax(1),
               lambda m: m.zeros(0, 3).min(dim=1, keepdim=True).values,
               lambda m: m.zeros(0).logsumexp(0), lambda m: m.tensor(1.0).movedim(0, 0),
               lambda m: m.tensor(1.0).movedim(-1, 0)):
        p, t = fn(pg), fn(torch)
        assert tuple(p.shape) == tuple(t.shape) and str(p.dtype) == str(t.dtype).split(".")[1]
        same(p.numpy(), t.numpy())


@pytest.mark.parametrize("call", [
    lambda m: m.zeros(3, 0).max(dim=1), lambda m: m.zeros(0).max(), lambda m: m.zeros(0).argmax(),
    lambda m: m.zeros(3, 0).argmin(dim=1), lambda m: m.ones(2, 3) @ m.ones(2, 3),
    lambda m: m.ones(2, 3).permute(0, 0), lambda m: m.ones(6).reshape(-1, -1),
    lambda m: m.ones(3).clamp(None, None), lambda m: m.tensor([1, 2]) ** -1,
    lambda m: m.ones(2) + m.ones(3), lambda m: m.ones(2, 3).reshape(4),
    lambda m: m.ones(3)[5], lambda m: m.ones(3)[m.tensor([5])], lambda m: m.ones(2).item(),
    lambda m: m.ones(2, 3).expand(3, 3), lambda m: m.cat([m.ones(2, 3), m.ones(3, 3)], 1),
    lambda m: m.stack([m.ones(2), m.ones(3)]), lambda m: m.ones(2, 3).sum(dim=(0, 0)),
    lambda m: m.ones(2, 3).movedim(0, 5), lambda m: m.tensor(1.0).movedim(1, 0),
    lambda m: m.ones(2, 3).flatten(1, 0), lambda m: m.ones(2, dtype=m.int64).mean(),
    lambda m: m.linspace(0, 1, 3, dtype=m.bool), lambda m: m.zeros(-1),
    lambda m: m.ones(2, 2)[0, 0, 0], lambda m: m.ones(2, 3).transpose(0, 5),
])
def test_bad_calls_raise_torchs_exception_class(call):
    with pytest.raises(Exception) as te:
        call(torch)
    with pytest.raises(type(te.value)):
        call(pg)


def test_grad_assignment_is_checked_as_torch():
    for value in (0.0, np.ones(2)):
        with pytest.raises(TypeError):
            torch.ones(2, requires_grad=True).grad = value
        with pytest.raises(TypeError):
            pg.ones(2, requires_grad=True).grad = value
    for lib in (pg, torch):
        x = lib.ones(2, requires_grad=True)
        for bad in (lib.ones(3), lib.ones(2, dtype=lib.float64), lib.ones(1)):
            with pytest.raises(RuntimeError):
                x.grad = bad
        x.grad = lib.full((2,), 3.0)
        x.sum().backward()
        assert x.grad.tolist() == [4.0, 4.0]


# ----------------------------------------------------------------------------- dtypes

DTYPES = ["bool", "uint8", "int32", "int64", "float32", "float64"]


def _make(lib, dtype, shape):
    return lib.tensor(np.ones(shape), dtype=getattr(lib, dtype))


@pytest.mark.parametrize("da", DTYPES)
@pytest.mark.parametrize("db", DTYPES)
@pytest.mark.parametrize("shapes", [((2,), (2,)), ((2,), ()), ((), (2,)), ((), ())])
def test_promotion_of_two_tensors_as_torch(da, db, shapes):
    def dtype_of(lib, op):
        a, b = _make(lib, da, shapes[0]), _make(lib, db, shapes[1])
        if op == "add" and "bool" in (da, db):
            return str(lib.cat([a.reshape(-1), b.reshape(-1)]).dtype).split(".")[-1]
        return str({"add": lambda: a + b, "mul": lambda: a * b, "div": lambda: a / b,
                    "maximum": lambda: lib.maximum(a, b),
                    "where": lambda: lib.where(a > 0, a, b)}[op]().dtype).split(".")[-1]
    for op in ("add", "mul", "div", "maximum", "where"):
        assert dtype_of(pg, op) == dtype_of(torch, op), op


@pytest.mark.parametrize("dtype", DTYPES[1:])
@pytest.mark.parametrize("scalar", [2, 1.5, True])
def test_promotion_with_python_scalars_as_torch(dtype, scalar):
    for fn in (lambda m, t: t + scalar, lambda m, t: scalar * t, lambda m, t: t / scalar,
               lambda m, t: m.where(t > 0, t, scalar)):
        p, t = fn(pg, _make(pg, dtype, (2,))), fn(torch, _make(torch, dtype, (2,)))
        assert str(p.dtype) == str(t.dtype).split(".")[-1]
        same(p.numpy(), t.numpy())


def test_cat_promotes_and_keeps_the_gradient():
    compare(lambda m, x: m.cat([x, x.float()]) * 2, np.array([1.0, 2.0]))
    p = pg.cat([pg.ones(2, dtype=pg.int32), pg.ones(1)])
    t = torch.cat([torch.ones(2, dtype=torch.int32), torch.ones(1)])
    assert str(p.dtype) == str(t.dtype).split(".")[-1]


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "float32", "float64"])
@pytest.mark.parametrize("args", [(5, -5, 20), (0, 1, 7), (-3.7, 2.2, 11), (0, 255, 13),
                                  (2, 2, 5), (0, 1, 1), (0, 1, 0), (1e4, -1e4, 33)])
def test_linspace_as_torch(dtype, args):
    if dtype == "uint8" and min(args[:2]) < 0:
        return
    p = pg.linspace(*args, dtype=getattr(pg, dtype)).numpy()
    t = torch.linspace(*args, dtype=getattr(torch, dtype)).numpy()
    assert p.dtype == t.dtype
    if dtype.startswith("float"):       # the same formula; torch's vector path rounds apart
        np.testing.assert_allclose(p, t, rtol=4 * np.finfo(p.dtype).eps, atol=1e-6)
    else:
        same(p, t)
