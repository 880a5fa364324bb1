"""pygrad.nn.init against torch.nn.init: gains, fans and the bounds / standard deviations each
initialiser draws with (exactly, as torch computes them), and the distributions drawn
(statistically, seeded)."""
import math

import numpy as np
import pytest

import pygrad as pg
from pygrad.nn import init

torch = pytest.importorskip("torch")
TI = torch.nn.init

NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d", "sigmoid", "tanh", "relu",
                  "leaky_relu", "selu"]
SHAPES = [(7, 5), (3, 4, 2), (6, 2, 3, 3), (2, 3, 1, 2, 2), (1, 9)]


def normal_cdf(x, mean=0.0, std=1.0):
    z = (np.asarray(x, dtype=np.float64) - mean) / (std * math.sqrt(2.0))
    return 0.5 * (1.0 + np.vectorize(math.erf)(z))


def ks_statistic(sample, cdf):
    """Kolmogorov–Smirnov distance between a sample and a continuous CDF."""
    x = np.sort(np.asarray(sample, dtype=np.float64).ravel())
    n = len(x)
    f = cdf(x)
    return max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n))


def ks_limit(n):
    return 1.95 / math.sqrt(n)      # the 0.1 % critical value


# ----------------------------------------------------------------------------- gains and fans

@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
def test_calculate_gain_as_torch(nonlinearity):
    for param in ([None, 0.2, 0, 1, 3.5] if nonlinearity == "leaky_relu" else [None]):
        ours, theirs = init.calculate_gain(nonlinearity, param), TI.calculate_gain(
            nonlinearity, param)
        assert ours == theirs and type(ours) is type(theirs)


@pytest.mark.parametrize("args", [("gelu",), ("softmax",), ("leaky_relu", "0.1"),
                                  ("leaky_relu", True)])
def test_calculate_gain_errors_as_torch(args):
    with pytest.raises(ValueError):
        TI.calculate_gain(*args)
    with pytest.raises(ValueError, match="unsupported nonlinearity|not a valid number"):
        init.calculate_gain(*args)


@pytest.mark.parametrize("shape", SHAPES + [(4,), ()])
def test_fans_as_torch(shape):
    t, u = pg.empty(*shape), torch.empty(shape)
    if len(shape) < 2:
        with pytest.raises(ValueError):
            TI._calculate_fan_in_and_fan_out(u)
        with pytest.raises(ValueError, match="fewer than 2 dimensions"):
            init._calculate_fan_in_and_fan_out(t)
        for f in (init.xavier_uniform_, init.kaiming_normal_):
            with pytest.raises(ValueError, match="fewer than 2"):
                f(t)
        return
    assert init._calculate_fan_in_and_fan_out(t) == TI._calculate_fan_in_and_fan_out(u)
    for mode in ("fan_in", "fan_out", "FAN_IN"):
        assert init._calculate_correct_fan(t, mode) == TI._calculate_correct_fan(u, mode)
    with pytest.raises(ValueError):
        TI._calculate_correct_fan(u, "fan_avg")
    with pytest.raises(ValueError, match="Mode 'fan_avg' not supported"):
        init._calculate_correct_fan(t, "fan_avg")


# ----------------------------------------------------------------------------- exact bounds

@pytest.fixture
def recorded(monkeypatch):
    """The (function, args) of every uniform/normal draw, pygrad's and torch's."""
    calls = {"ours": [], "torch": []}

    def ours(kind):
        real = getattr(init, kind)

        def wrapper(tensor, a, b, generator=None):
            calls["ours"].append((kind.strip("_"), a, b))
            return real(tensor, a, b, generator)
        return wrapper

    def theirs(kind):
        real = getattr(torch.Tensor, kind)

        def wrapper(self, a=0.0, b=1.0, generator=None):
            calls["torch"].append((kind.strip("_"), a, b))
            return real(self, a, b, generator=generator)
        return wrapper

    monkeypatch.setattr(init, "_uniform", ours("_uniform"))
    monkeypatch.setattr(init, "_normal", ours("_normal"))
    monkeypatch.setattr(torch.Tensor, "uniform_", theirs("uniform_"))
    monkeypatch.setattr(torch.Tensor, "normal_", theirs("normal_"))
    return calls


def _both(name, shape, *args, **kwargs):
    getattr(init, name)(pg.empty(*shape), *args, **kwargs)
    getattr(TI, name)(torch.empty(shape), *args, **kwargs)


@pytest.mark.parametrize("shape", SHAPES)
def test_bounds_and_stds_exactly_as_torch(shape, recorded):
    _both("uniform_", shape)
    _both("uniform_", shape, -0.3, 2.5)
    _both("normal_", shape)
    _both("normal_", shape, 1.5, 0.25)
    for gain in (1.0, 0.5, math.sqrt(2.0)):
        _both("xavier_uniform_", shape, gain)
        _both("xavier_normal_", shape, gain=gain)
    for a in (0, math.sqrt(5), 0.2):
        for mode in ("fan_in", "fan_out"):
            for nonlinearity in NONLINEARITIES:
                _both("kaiming_uniform_", shape, a, mode, nonlinearity)
                _both("kaiming_normal_", shape, a=a, mode=mode, nonlinearity=nonlinearity)
    assert len(recorded["ours"]) > 100
    assert recorded["ours"] == recorded["torch"]    # the same floats, bit for bit


def test_zero_element_kaiming_is_a_no_op_as_torch():
    for name in ("kaiming_uniform_", "kaiming_normal_"):
        with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
            getattr(TI, name)(torch.empty(0, 3))
        with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
            t = getattr(init, name)(pg.empty(0, 3))
        assert tuple(t.shape) == (0, 3)


# ----------------------------------------------------------------------------- distributions

N = 40000


def _sample(fn, shape=(200, 200), dtype=pg.float32, **kwargs):
    t = pg.nn.Parameter(pg.empty(*shape, dtype=dtype))
    out = fn(t, **kwargs)
    assert out is t and t.requires_grad and t.grad is None and t.dtype == dtype
    return t.detach().numpy().astype(np.float64).ravel()


@pytest.mark.parametrize("dtype", [pg.float32, pg.float64])
def test_uniform_family_distribution(dtype):
    cases = [
        (init.uniform_, dict(a=-0.3, b=2.5), -0.3, 2.5),
        (init.xavier_uniform_, dict(gain=2.0), None, None),
        (init.kaiming_uniform_, dict(a=math.sqrt(5), mode="fan_out", nonlinearity="relu"),
         None, None),
    ]
    for fn, kwargs, lo, hi in cases:
        x = _sample(fn, dtype=dtype, **kwargs)
        if lo is None:
            # the bound torch's formula gives for a 200×200 weight
            gain = kwargs.get("gain") or TI.calculate_gain(kwargs["nonlinearity"], kwargs["a"])
            bound = (math.sqrt(3.0) * gain * math.sqrt(2.0 / 400) if "gain" in kwargs
                     else math.sqrt(3.0) * gain / math.sqrt(200))
            lo, hi = -bound, bound
        assert x.min() >= lo and x.max() <= hi
        assert x.min() < lo + (hi - lo) * 1e-3 and x.max() > hi - (hi - lo) * 1e-3
        assert ks_statistic(x, lambda v: np.clip((v - lo) / (hi - lo), 0, 1)) < ks_limit(N)


def test_normal_family_distribution():
    cases = [
        (init.normal_, dict(mean=1.5, std=0.25), 1.5, 0.25),
        (init.xavier_normal_, dict(gain=0.5), 0.0, 0.5 * math.sqrt(2.0 / 400)),
        (init.kaiming_normal_, dict(a=0.1, mode="fan_in", nonlinearity="leaky_relu"), 0.0,
         TI.calculate_gain("leaky_relu", 0.1) / math.sqrt(200)),
    ]
    for fn, kwargs, mean, std in cases:
        x = _sample(fn, **kwargs)
        assert abs(x.mean() - mean) < 5 * std / math.sqrt(N)
        assert ks_statistic(x, lambda v: normal_cdf(v, mean, std)) < ks_limit(N)


@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -1.0, 3.0),
                                          (0.0, 1.0, 1.5, 4.0), (0.0, 0.02, -0.04, 0.04)])
def test_trunc_normal_distribution(mean, std, a, b):
    x = _sample(init.trunc_normal_, mean=mean, std=std, a=a, b=b)
    # (torch's sampler redraws the whole tensor each round: a smaller one keeps it quick)
    y = TI.trunc_normal_(torch.empty(50, 50), mean, std, a, b).double().numpy().ravel()
    lo, hi = normal_cdf(a, mean, std), normal_cdf(b, mean, std)

    def cdf(v):
        return np.clip((normal_cdf(v, mean, std) - lo) / (hi - lo), 0, 1)

    for sample in (x, y):       # ours, and torch's as a check of the reference CDF
        assert sample.min() >= a - 1e-6 and sample.max() <= b + 1e-6
        assert ks_statistic(sample, cdf) < ks_limit(sample.size)


def test_trunc_normal_warns_as_torch():
    with pytest.warns(UserWarning, match="mean is more than 2 std"):
        TI.trunc_normal_(torch.empty(3), mean=10.0)
    with pytest.warns(UserWarning, match="mean is more than 2 std"):
        init.trunc_normal_(pg.empty(3), mean=10.0)


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 5), (3, 2, 2), (8, 1, 3)])
def test_orthogonal_as_torch(shape):
    for gain in (1.0, 2.5):
        q = init.orthogonal_(pg.empty(*shape, dtype=pg.float64), gain=gain).numpy()
        r = TI.orthogonal_(torch.empty(shape, dtype=torch.float64), gain=gain).numpy()
        for m in (q, r):
            m = m.reshape(shape[0], -1) / gain
            small = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
            np.testing.assert_allclose(small, np.eye(len(small)), atol=1e-12)


def test_orthogonal_distribution_and_errors():
    # entries of a uniformly random orthogonal 200×200 matrix are about N(0, 1/200)
    x = init.orthogonal_(pg.empty(200, 200, dtype=pg.float64)).numpy().ravel()
    assert ks_statistic(x, lambda v: normal_cdf(v, 0, math.sqrt(1 / 200))) < ks_limit(N)
    with pytest.raises(ValueError):
        TI.orthogonal_(torch.empty(3))
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(pg.empty(3))
    assert tuple(init.orthogonal_(pg.empty(0, 3)).shape) == (0, 3)


@pytest.mark.parametrize("sparsity", [0.1, 0.5, 0.0, 1.0])
def test_sparse_as_torch(sparsity):
    ours = init.sparse_(pg.empty(30, 200), sparsity, std=0.5).numpy()
    theirs = TI.sparse_(torch.empty(30, 200), sparsity, std=0.5).numpy()
    zeros = (ours == 0).sum(0)
    assert zeros.tolist() == (theirs == 0).sum(0).tolist() == [math.ceil(sparsity * 30)] * 200
    if sparsity > 0:    # the zeroed rows are drawn per column: every row is hit somewhere
        assert (ours == 0).any(1).all()
    nonzero = ours[ours != 0]
    if nonzero.size > 1000:
        assert ks_statistic(nonzero, lambda v: normal_cdf(v, 0, 0.5)) < ks_limit(nonzero.size)
    with pytest.raises(ValueError):
        TI.sparse_(torch.empty(3), 0.1)
    with pytest.raises(ValueError, match="only tensors with 2 dimensions"):
        init.sparse_(pg.empty(3), 0.1)


# ----------------------------------------------------------------------------- exact ones

@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2), (0, 3)])
def test_eye_constant_ones_zeros_as_torch(shape):
    np.testing.assert_array_equal(init.eye_(pg.empty(*shape)).numpy(),
                                  TI.eye_(torch.empty(shape)).numpy())
    for name, args in (("constant_", (0.3,)), ("ones_", ()), ("zeros_", ())):
        np.testing.assert_array_equal(getattr(init, name)(pg.empty(*shape), *args).numpy(),
                                      getattr(TI, name)(torch.empty(shape), *args).numpy())
    with pytest.raises(ValueError):
        TI.eye_(torch.empty(2, 2, 2))
    with pytest.raises(ValueError, match="only tensors with 2 dimensions"):
        init.eye_(pg.empty(2, 2, 2))


@pytest.mark.parametrize("shape,groups", [((4, 4, 3), 1), ((6, 2, 3, 3), 2), ((4, 3, 2, 3, 3), 2),
                                          ((3, 5, 4), 1), ((6, 2, 5), 3)])
def test_dirac_as_torch(shape, groups):
    np.testing.assert_array_equal(init.dirac_(pg.empty(*shape), groups).numpy(),
                                  TI.dirac_(torch.empty(shape), groups).numpy())


def test_dirac_errors_as_torch():
    for shape, groups, match in (((3, 3), 1, "3, 4, or 5 dimensions"),
                                 ((3, 3, 3), 2, "divisible by groups")):
        with pytest.raises(ValueError):
            TI.dirac_(torch.empty(shape), groups)
        with pytest.raises(ValueError, match=match):
            init.dirac_(pg.empty(*shape), groups)


# ----------------------------------------------------------------------------- seeds

@pytest.mark.parametrize("name,args", [
    ("uniform_", ()), ("normal_", ()), ("trunc_normal_", ()), ("xavier_uniform_", ()),
    ("xavier_normal_", ()), ("kaiming_uniform_", ()), ("kaiming_normal_", ()),
    ("orthogonal_", ()), ("sparse_", (0.3,)),
])
def test_generator_and_manual_seed(name, args):
    fn = getattr(init, name)
    assert "generator" in TI.__dict__[name].__code__.co_varnames     # torch has it too

    def draw(**kw):
        return fn(pg.empty(8, 6), *args, **kw).numpy().copy()

    a, b = draw(generator=3), draw(generator=np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, draw(generator=4))
    gen = np.random.default_rng(9)
    assert not np.array_equal(draw(generator=gen), draw(generator=gen))  # the state advances
    np.testing.assert_array_equal(draw(generator=torch.Generator().manual_seed(5)),
                                  draw(generator=5))
    pg.manual_seed(1)
    c = draw()
    pg.manual_seed(1)
    np.testing.assert_array_equal(c, draw())
    with pytest.raises(TypeError, match="generator: expected"):
        draw(generator="seed")


def test_no_graph_and_deprecated_names():
    w = pg.nn.Parameter(pg.empty(4, 3))
    init.kaiming_uniform_(w)
    assert w.requires_grad and w.is_leaf and w.grad_fn is None
    for old in ("uniform", "normal", "constant", "eye", "dirac", "xavier_uniform",
                "xavier_normal", "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"):
        assert hasattr(TI, old)
        args = {"constant": (0.5,), "sparse": (0.2,)}.get(old, ())
        t = pg.empty(*((2, 2, 3) if old == "dirac" else (3, 3)))
        with pytest.warns(FutureWarning, match=f"nn.init.{old}` is now deprecated"):
            getattr(init, old)(t, *args)
    assert set(TI.__all__) <= set(init.__all__)
