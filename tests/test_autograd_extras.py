"""torch.autograd.functional, gradgradcheck, anomaly mode, Variable, and the small torch
namespaces scripts touch (compile, backends, testing, typename), plus cdist and the p-norm
gradient at zeros; each against the installed torch."""
from __future__ import annotations

import numpy as np
import pytest

import pygrad as pg
from pygrad.autograd import functional as PF

torch = pytest.importorskip("torch")
TF = torch.autograd.functional

RNG = np.random.default_rng(5)
A = RNG.standard_normal(3)
B = RNG.standard_normal((2, 3))
V2 = RNG.standard_normal(2)


def _flat(r):
    if isinstance(r, tuple):
        return [a for e in r for a in _flat(e)]
    return [r.detach().numpy()]


def _both(make):
    return [_flat(make(pg, PF)), _flat(make(torch, TF))]


def _close(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


CASES = {
    "jacobian, one input": lambda m, F: F.jacobian(lambda x: (m.tensor(B) @ x.sin()) ** 2,
                                                   m.tensor(A)),
    "jacobian, two inputs": lambda m, F: F.jacobian(lambda x, w: (w @ x.sin()) ** 2,
                                                    (m.tensor(A), m.tensor(B))),
    "jacobian, two outputs": lambda m, F: F.jacobian(lambda x: (x.exp(), x.sum() * x),
                                                     m.tensor(A)),
    "hessian, one input": lambda m, F: F.hessian(lambda x: (x.sin() ** 2).sum() * x.prod(),
                                                 m.tensor(A)),
    "hessian, two inputs": lambda m, F: F.hessian(lambda x, w: ((w @ x.sin()) ** 2).sum(),
                                                  (m.tensor(A), m.tensor(B))),
    "vjp": lambda m, F: F.vjp(lambda x: m.tensor(B) @ x.exp(), m.tensor(A), m.tensor(V2)),
    "jvp": lambda m, F: F.jvp(lambda x: m.tensor(B) @ x.exp(), m.tensor(A), m.tensor(2 * A)),
    "vhp": lambda m, F: F.vhp(lambda x: (x.exp() * x).sum(), m.tensor(A), m.tensor(A)),
    "hvp": lambda m, F: F.hvp(lambda x, w: (w @ x.exp()).sum() * x.sum(),
                              (m.tensor(A), m.tensor(B)), (m.tensor(A), m.tensor(B))),
}


@pytest.mark.parametrize("name", CASES)
def test_autograd_functional_matches_torch(name):
    _close(*_both(CASES[name]))


def test_jacobian_with_create_graph_is_differentiable():
    for m, F in ((pg, PF), (torch, TF)):
        x = m.tensor(A, requires_grad=True)
        jac = F.jacobian(lambda t: t.sin() * t, x, create_graph=True)
        jac.sum().backward()
        if m is pg:
            ours = x.grad.numpy()
        else:
            np.testing.assert_allclose(ours, x.grad.numpy(), rtol=1e-12)


def test_gradgradcheck_passes_and_catches_a_wrong_second_derivative():
    x = pg.tensor(A, requires_grad=True)
    assert pg.autograd.gradgradcheck(lambda t: (t.sin() * t).sum(), x)

    class Square(pg.autograd.Function):          # backward right once, wrong twice
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t * t

        @staticmethod
        def backward(ctx, g):
            (t,) = ctx.saved_tensors
            return g * 2 * t.detach()            # detached: no second derivative

    assert pg.autograd.gradcheck(lambda t: Square.apply(t).sum(), x)
    with pytest.raises(pg.autograd.GradcheckError):
        pg.autograd.gradgradcheck(lambda t: Square.apply(t).sum() * t.sum(), x)


def test_anomaly_mode_names_the_op_that_made_a_nan():
    x = pg.tensor([0.0, 1.0], requires_grad=True)
    with np.errstate(all="ignore"):
        (x.sqrt() * 0).sum().backward()          # off: the nan is just delivered
        assert np.isnan(x.grad.numpy()[0])
        with pg.autograd.detect_anomaly():
            assert pg.autograd.is_anomaly_enabled()
            with pytest.raises(RuntimeError, match=r"Function 'SqrtBackward' returned nan "
                                                   r"values in its 0th output"):
                (x.sqrt() * 0).sum().backward()
        assert not pg.autograd.is_anomaly_enabled()
        with pg.autograd.set_detect_anomaly(True):
            with pytest.raises(RuntimeError, match="returned nan"):
                (x.sqrt() * 0).sum().backward()
    x.grad = None
    with pg.autograd.detect_anomaly():
        (x * 3).sum().backward()                 # no nan: runs as usual
    assert x.grad.numpy().tolist() == [3.0, 3.0]


def test_variable_is_the_tensor_itself():
    t = pg.ones(2)
    v = pg.autograd.Variable(t, requires_grad=True)
    assert v is t and v.requires_grad
    assert pg.autograd.Variable([1.0, 2.0]).shape == (2,)
    assert pg.autograd.inference_mode is pg.inference_mode


def test_compile_backends_and_typename_are_torch_shaped():
    model = pg.nn.Linear(2, 2)
    assert pg.compile(model) is model

    @pg.compile(mode="max-autotune")
    def f(x):
        return x * 2
    assert f(pg.ones(1)).item() == 2.0
    with pytest.raises(TypeError, match="expected a callable"):
        pg.compile(3)
    pg.backends.cudnn.benchmark = True
    assert pg.backends.cudnn.benchmark and not pg.backends.mps.is_available()
    assert pg.backends.cuda.is_available() == pg.cuda.is_available()
    for dtype in ("float32", "float64", "int64", "bool", "uint8", "float16"):
        ours = pg.typename(pg.zeros(1, dtype=getattr(pg, dtype)))
        theirs = torch.typename(torch.zeros(1, dtype=getattr(torch, dtype)))
        assert ours.split(".", 1)[1] == theirs.split(".", 1)[1]
    assert pg.typename(model) == \
        torch.typename(torch.nn.Linear(2, 2)).replace("torch", "pygrad", 1)


@pytest.mark.parametrize("actual,expected,kw", [
    (np.ones(3, np.float32), np.ones(3, np.float32) + 1e-6, {}),
    (np.ones(3, np.float32), np.ones(3, np.float32) + 1e-3, {}),
    (np.ones(3), np.ones(3) + 1e-8, {}),
    (np.ones(3), np.ones(3) + 1e-6, {}),
    (np.arange(3), np.arange(3), {}),
    (np.arange(3), np.arange(3) + 1, {}),
    (np.ones(3), np.ones(3, np.float32), {}),
    (np.ones(3), np.ones(3, np.float32), {"check_dtype": False}),
    (np.ones(3), np.ones(3) * 1.01, {"rtol": 0.02, "atol": 0.0}),
    (np.array([np.nan]), np.array([np.nan]), {}),
    (np.array([np.nan]), np.array([np.nan]), {"equal_nan": True}),
    (np.ones((2, 3)), np.ones(3), {}),
])
def test_testing_assert_close_agrees_with_torch(actual, expected, kw):
    def outcome(m):
        try:
            m.testing.assert_close(m.tensor(actual), m.tensor(expected), **kw)
            return True
        except AssertionError:
            return False
    assert outcome(pg) == outcome(torch)


@pytest.mark.parametrize("p,rows", [(2.0, 4), (2.0, 30), (1.0, 4), (0.5, 4), (1.5, 4),
                                    (3.0, 4), (float("inf"), 4), (0.0, 4)])
def test_cdist_matches_torch_including_zero_distances(p, rows):
    # past 25 rows, p = 2 takes torch's matmul form
    x1 = RNG.standard_normal((2, rows, 3))
    x2 = RNG.standard_normal((5, 3))
    x2[0] = x1[0, 1]                                  # a zero distance
    gy = RNG.standard_normal((2, rows, 5))
    got = []
    for m in (pg, torch):
        a, b = m.tensor(x1, requires_grad=True), m.tensor(x2, requires_grad=True)
        d = m.cdist(a, b, p=p)
        d.backward(m.tensor(gy))
        got.append([d.detach().numpy(), a.grad.numpy(), b.grad.numpy()])
    # the matmul form computes a zero distance to within rounding (torch: 3e-8 here)
    atol = 1e-7 if rows > 25 else 1e-12
    for ours, theirs in zip(*got):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=atol)
    with pytest.raises(RuntimeError, match="same number of columns"):
        pg.cdist(pg.ones(2, 3), pg.ones(2, 4))


@pytest.mark.parametrize("p", [0.3, 0.5, 1.5, 2.5, 3.0])
@pytest.mark.parametrize("values", [[0.0, 1.0, -2.0], [0.0, 0.0, 0.0], [0.7, -1.3, 2.2]])
def test_p_norm_first_and_second_derivatives_at_zeros_match_torch(p, values):
    got = []
    for m in (pg, torch):
        x = m.tensor(values, dtype=m.float64, requires_grad=True)
        g, = m.autograd.grad(m.linalg.vector_norm(x, p), x, create_graph=True)
        gg, = m.autograd.grad((g * m.tensor([1.0, 2.0, 3.0], dtype=m.float64)).sum(), x)
        got.append([g.detach().numpy(), gg.detach().numpy()])
    for ours, theirs in zip(*got):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
