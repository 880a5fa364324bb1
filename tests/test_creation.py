"""Creation functions, generators, sampling, the dtype set and the Tensor's dtype / layout
methods against torch: shapes, dtypes, values where they are deterministic, distributions
statistically where they are random, and torch's exception classes."""
import numpy as np
import pytest

import pygrad as pg

torch = pytest.importorskip("torch")


def _dt(t):
    return str(t.dtype).replace("torch.", "").replace("pygrad.", "")


SHAPED = {
    "zeros_varargs": lambda m: m.zeros(2, 3),
    "zeros_tuple": lambda m: m.zeros((2, 3), dtype=m.int64),
    "zeros_size": lambda m: m.zeros(size=(2, 3)),
    "ones_size_list": lambda m: m.ones(size=[4]),
    "empty_size": lambda m: m.empty(size=(0, 2)),
    "full": lambda m: m.full((2, 2), 7),
    "full_bool": lambda m: m.full((2,), True),
    "rand_size": lambda m: m.rand(size=(3, 2)),
    "randn_tuple": lambda m: m.randn((2, 5), dtype=m.float64),
    "randint_size": lambda m: m.randint(3, 10, (4,)),
    "randint_high_size": lambda m: m.randint(10, (2, 2)),
    "randint_size_kw": lambda m: m.randint(0, 5, size=(3,), dtype=m.int32),
    "randperm": lambda m: m.randperm(6),
    "eye_nm": lambda m: m.eye(2, 4),
    "empty_like": lambda m: m.empty_like(m.ones(2, 3, dtype=m.float64)),
    "rand_like": lambda m: m.rand_like(m.ones(2, 3)),
    "randn_like": lambda m: m.randn_like(m.ones(3, dtype=m.float64)),
    "randint_like": lambda m: m.randint_like(m.ones(2, 2), 5),
    "randint_like_low": lambda m: m.randint_like(m.ones(2, dtype=m.int64), 2, 5),
    "new_zeros": lambda m: m.ones(2, dtype=m.float64).new_zeros(3, 1),
    "new_ones": lambda m: m.ones(2, dtype=m.int32).new_ones((2, 2)),
    "new_full": lambda m: m.ones(2).new_full((3,), 2.5),
    "new_empty": lambda m: m.ones(2).new_empty((1, 2)),
    "new_tensor": lambda m: m.ones(2, dtype=m.float64).new_tensor([1, 2]),
    "normal_tensors": lambda m: m.normal(m.zeros(3, 2), m.ones(2)),
    "normal_size": lambda m: m.normal(2.0, 3.0, size=(4,)),
    "normal_mean_tensor": lambda m: m.normal(m.zeros(5, dtype=m.float64), 2.0),
    "bernoulli": lambda m: m.bernoulli(m.full((3, 4), 0.3)),
    "bernoulli_p": lambda m: m.bernoulli(m.zeros(3), p=0.5),
    "multinomial_1d": lambda m: m.multinomial(m.tensor([0.2, 0.3, 0.5]), 2),
    "multinomial_2d": lambda m: m.multinomial(m.ones(4, 3), 5, replacement=True),
    "poisson": lambda m: m.poisson(m.full((2, 3), 4.0)),
    "logspace": lambda m: m.logspace(-2, 2, 5),
    "tensor_of_0d": lambda m: m.tensor([m.tensor(1.5), m.tensor(2.0)]),
    "tensor_of_0d_int": lambda m: m.tensor([m.tensor(1), m.tensor(2)]),
}


@pytest.mark.parametrize("name", sorted(SHAPED))
def test_shapes_and_dtypes_match_torch(name):
    p, t = SHAPED[name](pg), SHAPED[name](torch)
    assert tuple(p.shape) == tuple(t.shape)
    assert _dt(p) == _dt(t)


@pytest.mark.parametrize("args", [(0, 2, 5), (-1, 1, 3), (1, 3, 3, 2.0), (0, 1, 1), (2, 0, 4)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_logspace_values_match_torch(args, dtype):
    p = pg.logspace(*args, dtype=getattr(pg, dtype))
    t = torch.logspace(*args, dtype=getattr(torch, dtype))
    assert _dt(p) == _dt(t)
    np.testing.assert_allclose(p.numpy(), t.numpy(), rtol=1e-6)


def test_values_of_deterministic_constructors():
    for fn in (lambda m: m.eye(3, 2), lambda m: m.full((2,), 3.5),
               lambda m: m.ones(2).new_full((2,), 4), lambda m: m.tensor([m.tensor(1.5), 2.0])):
        np.testing.assert_array_equal(fn(pg).numpy(), fn(torch).numpy())


def test_requires_grad_and_errors():
    assert pg.zeros(size=(2,), requires_grad=True).requires_grad
    assert pg.randn(2, requires_grad=True).requires_grad
    assert pg.rand_like(pg.ones(2), requires_grad=True).requires_grad
    for fn, cls in [(lambda m: m.randint(5, 2, (3,)), RuntimeError),
                    (lambda m: m.multinomial(m.tensor([0.5, 0.5]), 3), RuntimeError),
                    (lambda m: m.multinomial(m.tensor([-1.0, 2.0]), 1), RuntimeError),
                    (lambda m: m.bernoulli(m.tensor([1.5])), RuntimeError),
                    (lambda m: m.normal(m.zeros(2), m.tensor([1.0, -1.0])), RuntimeError),
                    (lambda m: m.zeros(2, foo=1), TypeError)]:
        with pytest.raises(cls):
            fn(torch)
        with pytest.raises(cls) as info:
            fn(pg)
        assert str(info.value)


def test_generators_repeat_and_are_independent():
    g1, g2 = pg.Generator().manual_seed(7), pg.Generator().manual_seed(7)
    a = pg.randn(5, generator=g1)
    b = pg.randn(5, generator=g2)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert g1.initial_seed() == 7
    state = g1.get_state()
    c = pg.rand(3, generator=g1)
    g1.set_state(state)
    np.testing.assert_array_equal(c.numpy(), pg.rand(3, generator=g1).numpy())
    # the global generator: manual_seed returns it, and it drives randn
    g = pg.manual_seed(3)
    assert isinstance(g, pg.Generator) and g.initial_seed() == 3
    x = pg.randn(4)
    pg.manual_seed(3)
    np.testing.assert_array_equal(x.numpy(), pg.randn(4).numpy())
    # a private generator leaves the global stream alone
    pg.manual_seed(3)
    pg.randn(2, generator=pg.Generator().manual_seed(1))
    np.testing.assert_array_equal(x.numpy(), pg.randn(4).numpy())
    with pytest.raises(TypeError):
        pg.randn(2, generator=np.random.default_rng(0))


def test_sampling_statistics():
    g = pg.Generator().manual_seed(0)
    n = pg.normal(pg.full((20000,), 2.0), 3.0, generator=g).numpy()
    assert abs(n.mean() - 2.0) < 0.1 and abs(n.std() - 3.0) < 0.1
    b = pg.bernoulli(pg.full((20000,), 0.3), generator=g).numpy()
    assert set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.3) < 0.02
    m = pg.multinomial(pg.tensor([1.0, 3.0]), 20000, replacement=True, generator=g).numpy()
    assert abs(m.mean() - 0.75) < 0.02
    w = pg.multinomial(pg.tensor([[0.0, 1.0, 1.0, 5.0]] * 50), 3, generator=g).numpy()
    assert all(len(set(r)) == 3 and 0 not in r for r in w)      # no repeats, no zero weight
    x = pg.zeros(1000)
    x.exponential_(2.0, generator=g)
    assert abs(x.numpy().mean() - 0.5) < 0.1
    r = pg.zeros(1000, dtype=pg.int64).random_(3, 7, generator=g).numpy()
    assert r.min() == 3 and r.max() == 6


DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtypes_round_trip_and_promote_like_torch(dtype):
    a = np.array([[0, 1, 2], [3, 4, 5]])
    p = pg.tensor(a, dtype=getattr(pg, dtype))
    t = torch.tensor(a, dtype=getattr(torch, dtype))
    assert _dt(p) == _dt(t) and p.element_size() == t.element_size()
    assert p.is_floating_point() == t.is_floating_point()
    np.testing.assert_array_equal(p.numpy(), t.numpy())
    for other in ("float32", "int64", "int8", "float16"):
        po = pg.ones(3, dtype=getattr(pg, other))
        to = torch.ones(3, dtype=getattr(torch, other))
        assert _dt(p[0] + po) == _dt(t[0] + to)
    assert _dt(p * 2.5) == _dt(t * 2.5)


def test_dtype_methods_match_torch():
    a = np.array([1.5, -2.25, 3.0])
    for name in ("half", "float", "double", "char", "short", "int", "long", "byte", "bool"):
        p, t = getattr(pg.tensor(a), name)(), getattr(torch.tensor(a), name)()
        assert _dt(p) == _dt(t), name
        np.testing.assert_array_equal(p.numpy(), t.numpy())
    p = pg.tensor(a.tolist())
    assert p.type() == "pygrad.FloatTensor" and p.half().type() == "pygrad.HalfTensor"
    assert _dt(p.type(pg.float64)) == "float64"
    assert _dt(p.type("torch.LongTensor")) == "int64"
    assert _dt(p.to(pg.ones(1, dtype=pg.int16))) == "int16"
    assert str(pg.half) == str(pg.float16) and pg.short == pg.int16 and pg.int == pg.int32
    with pytest.raises(TypeError, match="bfloat16"):
        pg.ones(2, dtype=pg.bfloat16)
    with pytest.raises(TypeError, match="not supported"):
        pg.tensor(np.ones(2, dtype=np.complex64))


def test_float16_trains():
    x = pg.randn(8, 4).half().requires_grad_()
    loss = pg.nn.functional.cross_entropy(pg.sigmoid(x), pg.tensor([0, 1, 2, 3] * 2))
    loss.backward()
    assert x.grad.dtype == pg.float16 and np.isfinite(x.grad.numpy()).all()


def test_set_default_dtype_like_torch():
    before = torch.get_default_dtype()
    try:
        for d in ("float64", "float32"):
            pg.set_default_dtype(getattr(pg, d))
            torch.set_default_dtype(getattr(torch, d))
            for fn in (lambda m: m.tensor([1.5]), lambda m: m.zeros(2), lambda m: m.rand(2),
                       lambda m: m.arange(0.0, 1.0, 0.5), lambda m: m.tensor([1, 2]) * 1.5,
                       lambda m: m.tensor([1, 2]) / 2, lambda m: m.linspace(0, 1, 3),
                       lambda m: m.eye(2)):
                assert _dt(fn(pg)) == _dt(fn(torch))
            assert str(pg.get_default_dtype()) == d
            assert pg.finfo().bits == torch.finfo().bits
        with pytest.raises(TypeError):
            pg.set_default_dtype(pg.int64)
        with pytest.raises(TypeError):
            torch.set_default_dtype(torch.int64)
    finally:
        pg.set_default_dtype(pg.float32)
        torch.set_default_dtype(before)


def test_layout_attributes_match_torch():
    a = np.arange(24.0).reshape(2, 3, 4)
    p, t = pg.tensor(a), torch.tensor(a)
    for f in (lambda x: x, lambda x: x.transpose(0, 2), lambda x: x[:, ::2],
              lambda x: x.permute(2, 0, 1)):
        assert f(p).stride() == f(t).stride()
        assert f(p).is_contiguous() == f(t).is_contiguous()
    assert p.stride(1) == t.stride(1)
    assert p.nelement() == t.nelement() and p.ndimension() == t.ndimension()
    assert pg.numel(p) == torch.numel(t) and pg.is_tensor(p) and not pg.is_tensor(a)
    assert pg.is_floating_point(p) and not pg.is_floating_point(pg.tensor([1]))
    c = pg.clone(p)
    assert c is not p and np.array_equal(c.numpy(), a)
    assert not pg.detach(pg.ones(2, requires_grad=True)).requires_grad
