"""Binary math (pygrad/ops/binary.py), torch's function forms of arithmetic and the
comparisons, against torch: values, dtypes, gradients with broadcasting and a random upstream
gradient, double backward, Python numbers on either side, integer inputs, edge values."""
import numpy as np
import pytest

import pygrad as pg
from pygrad.ops.binary import TABLE

torch = pytest.importorskip("torch")

SHAPES = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((), (3,))]


def _np(t):
    return t.detach().numpy(force=True) if isinstance(t, torch.Tensor) else t.numpy()


def _pair(name, shapes, seed=0):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    if name in ("remainder", "fmod"):            # keep a / b away from integer jumps
        b = np.sign(b) * (np.abs(b) + 0.5)
    return a, b


def _run(lib, fn, a, b, g):
    x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
    y = lib.tensor(b, dtype=lib.float64, requires_grad=True)
    out = fn(lib, x, y)
    out.backward(lib.tensor(g, dtype=lib.float64))
    return [_np(out)] + [np.zeros(t.shape) if t.grad is None else _np(t.grad) for t in (x, y)]


FNS = {name: (lambda name: lambda m, x, y: getattr(m, name)(x, y))(name) for name in TABLE}
FNS.update({
    "method_atan2": lambda m, x, y: x.atan2(y),
    "add_alpha": lambda m, x, y: m.add(x, y, alpha=2.5),
    "sub_alpha": lambda m, x, y: m.sub(x, y, alpha=-1.5),
    "mul": lambda m, x, y: m.mul(x, y),
    "div": lambda m, x, y: m.div(x, y),
    "true_divide": lambda m, x, y: m.true_divide(x, y),
    "div_floor": lambda m, x, y: m.div(x, y, rounding_mode="floor") * x,
    "div_trunc": lambda m, x, y: x.div(y, rounding_mode="trunc") * y,
    # (torch has no derivative for //: its result enters as a constant)
    "floordiv_op": lambda m, x, y: (x.detach() // y.detach()) * x + (3.0 // y.detach()),
    "mod_op": lambda m, x, y: x % y + (2.5 % y.detach()) * y,   # torch: no derivative for
    "scalar_first": lambda m, x, y: m.fmod(x, 2.0) + m.remainder(x, -1.5),  # number % tensor
})


@pytest.mark.parametrize("shapes", SHAPES)
@pytest.mark.parametrize("name", sorted(FNS))
def test_matches_torch_with_broadcasting(name, shapes):
    base = name if name in TABLE else "fmod" if "mod" in name or "div" in name else name
    a, b = _pair(base, shapes)
    shape = FNS[name](torch, torch.tensor(a), torch.tensor(b)).shape
    g = np.random.default_rng(1).standard_normal(tuple(shape))
    p = _run(pg, FNS[name], a, b, g)
    t = _run(torch, FNS[name], a, b, g)
    for i, (u, v) in enumerate(zip(p, t)):
        np.testing.assert_allclose(u, v, rtol=1e-10, atol=1e-12, err_msg=f"{name} part {i}")


@pytest.mark.parametrize("name", sorted(TABLE))
def test_double_backward_matches_torch(name):
    a, b = _pair(name, ((4,), (4,)))
    v = np.random.default_rng(3).standard_normal(4)
    out = []
    for lib in (pg, torch):
        x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
        y = lib.tensor(b, dtype=lib.float64, requires_grad=True)
        z = getattr(lib, name)(x, y)
        gx, gy = lib.autograd.grad(z, (x, y), lib.ones_like(z), create_graph=True)
        s = (gx * lib.tensor(v)).sum() + (gy * gy).sum()
        if not s.requires_grad:           # a gradient that depends on neither input
            out.append((_np(gx), _np(gy)))
            continue
        s.backward()
        out.append((_np(gx), _np(gy), _np(x.grad) if x.grad is not None else np.zeros(4),
                    _np(y.grad) if y.grad is not None else np.zeros(4)))
    for u, w in zip(*out):
        np.testing.assert_allclose(u, w, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(TABLE) + ["floor_divide", "add", "sub", "mul", "div"])
@pytest.mark.parametrize("dtypes", [("int64", "int64"), ("int32", "int64"), ("int32", "float32"),
                                    ("float32", "float64"), ("uint8", "int32")])
def test_dtypes_and_integer_values_match_torch(name, dtypes):
    a = np.array([7, -3, 5, 2])
    b = np.array([2, 2, -3, 5])
    if "uint8" in dtypes:
        a = np.abs(a)
    tp = [torch.tensor(a, dtype=getattr(torch, dtypes[0])),
          torch.tensor(b, dtype=getattr(torch, dtypes[1]))]
    pp = [pg.tensor(a, dtype=getattr(pg, dtypes[0])), pg.tensor(b, dtype=getattr(pg, dtypes[1]))]
    for other in (lambda ts: ts[1], lambda ts: ts[1][0].item(), lambda ts: 2.5):
        try:
            t = getattr(torch, name)(tp[0], other(tp))
        except TypeError:             # torch's atan2 / hypot / logaddexp take tensors only
            continue
        except NotImplementedError as e:      # no integer kernel: pygrad refuses too
            with pytest.raises(type(e)):
                getattr(pg, name)(pp[0], other(pp))
            continue
        p = getattr(pg, name)(pp[0], other(pp))
        assert str(p.dtype) == str(t.dtype).split(".")[1], (name, dtypes)
        np.testing.assert_allclose(p.numpy(), t.numpy(), rtol=1e-6)


@pytest.mark.parametrize("mode", ["trunc", "floor"])
def test_integer_division_rounding(mode):
    a = torch.tensor([7, -7, 7, -7, 6, -6, 0])
    b = torch.tensor([2, 2, -2, -2, 3, 3, 5])
    t = torch.div(a, b, rounding_mode=mode)
    p = pg.div(pg.tensor(a.numpy()), pg.tensor(b.numpy()), rounding_mode=mode)
    assert p.tolist() == t.tolist() and str(p.dtype) == "int64"
    with pytest.raises(ValueError):
        pg.div(pg.tensor([1.0]), 2, rounding_mode="round")


EDGES = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 2.5])


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", sorted(TABLE))
def test_edge_values_match_torch(name):
    a, b = np.meshgrid(EDGES, EDGES)
    p = _run(pg, FNS[name], a, b, np.ones(a.shape))
    t = _run(torch, FNS[name], a, b, np.ones(a.shape))
    # torch's vectorized logaddexp2 gives -4.8e-17 for (-1, -1), NumPy the exact 0
    atol = 1e-15 if name == "logaddexp2" else 0
    for i, (u, v) in enumerate(zip(p, t)):
        np.testing.assert_allclose(u, v, rtol=1e-12, atol=atol, equal_nan=True,
                                   err_msg=f"{name} part {i}")


@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparisons_as_functions_and_methods(name):
    a = np.array([1.0, np.nan, 3.0, -np.inf])
    b = np.array([1.0, np.nan, 2.0, 0.0])
    t = getattr(torch, name)(torch.tensor(a), torch.tensor(b))
    assert getattr(pg, name)(pg.tensor(a), pg.tensor(b)).tolist() == t.tolist()
    assert getattr(pg.tensor(a), name)(pg.tensor(b)).tolist() == t.tolist()
    assert getattr(pg, name)(pg.tensor(a), 1.0).tolist() == getattr(torch, name)(
        torch.tensor(a), 1.0).tolist()
    assert getattr(pg, name)(2.0, pg.tensor(a)).tolist() == (
        getattr(torch.tensor(2.0, dtype=torch.float64), name)(torch.tensor(a))).tolist()


def test_close_equal_and_predicates():
    a = np.array([1.0, 1.0 + 1e-9, np.nan, np.inf, -np.inf, 0.0])
    b = np.array([1.0, 1.0, np.nan, np.inf, np.inf, 1e-9])
    for kw in ({}, {"equal_nan": True}, {"rtol": 0.0, "atol": 0.0}):
        assert pg.isclose(pg.tensor(a), pg.tensor(b), **kw).tolist() == \
            torch.isclose(torch.tensor(a), torch.tensor(b), **kw).tolist()
        assert pg.allclose(pg.tensor(a[:2]), pg.tensor(b[:2]), **kw) == \
            torch.allclose(torch.tensor(a[:2]), torch.tensor(b[:2]), **kw)
    assert pg.equal(pg.tensor([1, 2]), pg.tensor([1, 2])) and not pg.equal(
        pg.tensor([1, 2]), pg.tensor([1, 2, 3]))
    for name in ("isnan", "isinf", "isfinite", "isposinf", "isneginf"):
        for arr in (a, np.array([1, -2, 0])):
            assert getattr(pg, name)(pg.tensor(arr)).tolist() == \
                getattr(torch, name)(torch.tensor(arr)).tolist(), name
            assert getattr(pg.tensor(arr), name)().tolist() == \
                getattr(torch.tensor(arr), name)().tolist(), name
