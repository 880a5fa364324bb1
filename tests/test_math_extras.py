"""The composed math ops (lerp, addcmul, addcdiv, float_power, ldexp, neg, deg2rad, nan_to_num,
diff, logit, clamp with tensor bounds, clamp_min/max, clip), the bit and logic ops with their
operators, and the in-place method forms, against torch: values, dtypes, gradients with a random
upstream gradient and broadcasting, double backward, and torch's exception classes."""
import numpy as np
import pytest

import pygrad as pg

torch = pytest.importorskip("torch")

A = np.random.default_rng(0).uniform(-2, 2, (3, 4))
B = np.random.default_rng(1).uniform(0.5, 2, (4,))
W = np.random.default_rng(2).uniform(0, 1, (3, 4))
P = np.random.default_rng(3).uniform(0.05, 0.95, (3, 4))

# name: fn(lib, x, y, w) with x (3, 4), y (4,), w (3, 4) in [0, 1]
CASES = {
    "lerp_scalar_low": lambda m, x, y, w: m.lerp(x, y, 0.3),
    "lerp_scalar_high": lambda m, x, y, w: x.lerp(y, 0.8),
    "lerp_tensor": lambda m, x, y, w: m.lerp(x, y, w),
    "addcmul": lambda m, x, y, w: m.addcmul(x, y, w, value=-0.5),
    "addcdiv": lambda m, x, y, w: x.addcdiv(w, y, value=2),
    "float_power": lambda m, x, y, w: m.float_power(y, x),
    "float_power_scalar": lambda m, x, y, w: y.float_power(2.5),
    "ldexp": lambda m, x, y, w: m.ldexp(x, m.tensor([1.0, 2.0, 0.0, -1.0], dtype=m.float64)),
    "neg": lambda m, x, y, w: m.neg(x) + m.negative(y) + x.neg(),
    "pow_fn": lambda m, x, y, w: m.pow(y, x) + m.pow(2.0, x) + m.pow(x, 2),
    "positive": lambda m, x, y, w: m.positive(x) * 2,
    "deg2rad": lambda m, x, y, w: m.deg2rad(x * 90) + x.rad2deg(),
    "diff": lambda m, x, y, w: m.diff(x),
    "diff_n2_dim0": lambda m, x, y, w: x.diff(n=2, dim=0),
    "diff_prepend": lambda m, x, y, w: m.diff(x, prepend=w, append=x[:, :1]),
    "logit": lambda m, x, y, w: m.logit(w * 0.9 + 0.05),
    "logit_eps": lambda m, x, y, w: (w * 1.2 - 0.1).logit(eps=0.1),
    "clamp_tensor": lambda m, x, y, w: m.clamp(x, min=-y, max=y),
    "clamp_tensor_min": lambda m, x, y, w: x.clamp(min=w - 0.5),
    "clamp_crossed": lambda m, x, y, w: m.clamp(x, min=y, max=-y),
    "clamp_min_max": lambda m, x, y, w: m.clamp_min(x, 0.5) + x.clamp_max(-0.5) + m.clip(x, -1, 1),
    "nan_to_num": lambda m, x, y, w: m.nan_to_num(x * 2) + x.nan_to_num(nan=1.0),
}


def _np(t):
    return t.detach().numpy(force=True) if isinstance(t, torch.Tensor) else t.numpy()


def _run(lib, fn, g_seed=5):
    xs = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in (A, B, W)]
    y = fn(lib, *xs)
    g = np.random.default_rng(g_seed).standard_normal(tuple(y.shape))
    grads = lib.autograd.grad(y, xs, lib.tensor(g), create_graph=True, allow_unused=True)
    v = [np.random.default_rng(9 + i).standard_normal(a.shape) for i, a in enumerate((A, B, W))]
    terms = [(gr * lib.tensor(vi)).sum() for gr, vi in zip(grads, v)
             if gr is not None and gr.requires_grad]
    second = lib.autograd.grad(sum(terms), xs, allow_unused=True) if terms else [None] * 3
    return y, grads, second


def _same(p, t, rtol=1e-10):
    if t is None or p is None:
        other = p if t is None else t
        assert other is None or not np.any(_np(other)), "one side has a nonzero gradient"
        return
    np.testing.assert_allclose(_np(p), _np(t), rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    py, pgr, psec = _run(pg, CASES[name])
    ty, tgr, tsec = _run(torch, CASES[name])
    assert tuple(py.shape) == tuple(ty.shape)
    assert str(py.dtype) == str(ty.dtype).replace("torch.", "")
    _same(py, ty, 1e-12)
    for p, t in zip(pgr, tgr):
        _same(p, t)
    for p, t in zip(psec, tsec):
        _same(p, t)


def test_nan_to_num_edges_and_gradient():
    a = np.array([np.nan, np.inf, -np.inf, 1.5, -0.0])
    for dtype in ("float32", "float64"):
        for kw in ({}, {"nan": 2.0, "posinf": 9.0, "neginf": -9.0}):
            p = pg.nan_to_num(pg.tensor(a, dtype=getattr(pg, dtype)), **kw)
            t = torch.nan_to_num(torch.tensor(a, dtype=getattr(torch, dtype)), **kw)
            np.testing.assert_array_equal(p.numpy(), t.numpy())
    x = pg.tensor(a, requires_grad=True)
    pg.nan_to_num(x).backward(pg.tensor([np.inf, 1.0, 1.0, 2.0, 3.0]))
    xt = torch.tensor(a, requires_grad=True)
    torch.nan_to_num(xt).backward(torch.tensor([np.inf, 1.0, 1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())
    np.testing.assert_array_equal(pg.nan_to_num(pg.tensor([1, 2])).numpy(), [1, 2])


def test_logit_edges():
    a = np.array([0.0, 1.0, 0.5, -0.1, 1.2, 0.05])
    for eps in (None, 0.1):
        x = pg.tensor(a, requires_grad=True)
        xt = torch.tensor(a, requires_grad=True)
        pg.logit(x, eps).sum().backward()
        torch.logit(xt, eps).sum().backward()
        np.testing.assert_allclose(pg.logit(pg.tensor(a), eps).numpy(),
                                   torch.logit(torch.tensor(a), eps).numpy(), rtol=1e-12)
        np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12)


INTS = np.array([[5, -3, 0, 12], [7, 1, -8, 2]])
SHIFTS = np.array([1, 0, 2, 3])
BITS = {
    "and": lambda m, a, b: a & b,
    "or": lambda m, a, b: a | b,
    "xor": lambda m, a, b: a ^ b,
    "not": lambda m, a, b: ~a,
    "lshift": lambda m, a, b: a << b,
    "rshift": lambda m, a, b: a >> b,
    "and_fn": lambda m, a, b: m.bitwise_and(a, b),
    "or_method": lambda m, a, b: a.bitwise_or(b),
    "xor_scalar": lambda m, a, b: m.bitwise_xor(a, 6),
    "not_fn": lambda m, a, b: m.bitwise_not(a),
    "shifts_fn": lambda m, a, b: m.bitwise_left_shift(a, b) + m.bitwise_right_shift(a, 1),
    "bool_ops": lambda m, a, b: ((a > 0) & (b > 1)) | ~(a < 3) ^ (a == 5),
    "bool_scalar": lambda m, a, b: (a > 0) & True,
    "logical": lambda m, a, b: m.logical_and(a, b) ^ m.logical_or(a, b > 1) ^ m.logical_not(a),
    "logical_xor": lambda m, a, b: a.logical_xor(b).logical_not(),
    "signbit": lambda m, a, b: m.signbit(a.double() * 0 - (a < 0).double() * 0.0),
}


@pytest.mark.parametrize("name", sorted(BITS))
def test_bits_and_logic_match_torch(name):
    p = BITS[name](pg, pg.tensor(INTS), pg.tensor(SHIFTS))
    t = BITS[name](torch, torch.tensor(INTS), torch.tensor(SHIFTS))
    assert str(p.dtype) == str(t.dtype).replace("torch.", "")
    np.testing.assert_array_equal(p.numpy(), t.numpy())


def test_signbit_and_heaviside():
    a = np.array([-1.0, -0.0, 0.0, 2.0, np.nan])
    np.testing.assert_array_equal(pg.signbit(pg.tensor(a)).numpy(),
                                  torch.signbit(torch.tensor(a)).numpy())
    v = np.array([0.5, 0.5, 0.25, 0.5, 0.5])
    np.testing.assert_array_equal(pg.heaviside(pg.tensor(a), pg.tensor(v)).numpy(),
                                  torch.heaviside(torch.tensor(a), torch.tensor(v)).numpy())


INPLACE = {
    "add_": lambda m, x, y: x.add_(y, alpha=2),
    "sub_": lambda m, x, y: x.sub_(y),
    "mul_": lambda m, x, y: x.mul_(3),
    "div_": lambda m, x, y: x.div_(y, rounding_mode="floor"),
    "pow_": lambda m, x, y: x.abs_().pow_(1.5),
    "clamp_": lambda m, x, y: x.clamp_(-0.5, 0.5),
    "clamp_min_": lambda m, x, y: x.clamp_min_(0.1),
    "exp_": lambda m, x, y: x.exp_().log_().sqrt_(),
    "sigmoid_": lambda m, x, y: x.sigmoid_().tanh_().relu_(),
    "neg_": lambda m, x, y: x.neg_(),
    "lerp_": lambda m, x, y: x.lerp_(y, 0.25),
    "addcmul_": lambda m, x, y: x.addcmul_(y, y, value=0.5),
    "addcdiv_": lambda m, x, y: x.addcdiv_(y, y + 3),
    "copysign_": lambda m, x, y: x.copysign_(-y),
    "nan_to_num_": lambda m, x, y: x.div_(0).nan_to_num_(posinf=5.0),
    "lt_": lambda m, x, y: x.lt_(y),
    "sin_": lambda m, x, y: x.sin_(),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_methods_match_torch(name):
    p, t = pg.tensor(A.copy()), torch.tensor(A.copy())
    rp = INPLACE[name](pg, p, pg.tensor(B))
    rt = INPLACE[name](torch, t, torch.tensor(B))
    assert rp is p and rt is t
    np.testing.assert_allclose(p.numpy(), t.numpy(), rtol=1e-12)


def test_inplace_integer_ops_and_errors():
    for lib in (pg, torch):
        x = lib.tensor(INTS.copy())
        x.bitwise_and_(lib.tensor(SHIFTS)).add_(1).mul_(2)
        np.testing.assert_array_equal(_np(x), ((INTS & SHIFTS) + 1) * 2)
    bad = [
        lambda m: m.tensor([1, 2]).div_(2),                     # float result into int64
        lambda m: m.ones(3).add_(m.ones(2, 3)),                 # would broadcast x up
        lambda m: m.ones(2, requires_grad=True).add_(1),        # a leaf that requires grad
        lambda m: m.ones(2) & m.ones(2),                        # bitwise op on floats
        lambda m: m.addcdiv(m.ones(2), m.tensor([1, 2]), m.tensor([1, 1])),
    ]
    for fn in bad:
        with pytest.raises(RuntimeError):
            fn(torch)
        with pytest.raises((RuntimeError, TypeError)) as info:
            fn(pg)
        assert str(info.value)


def test_gradcheck():
    x = pg.tensor(A, requires_grad=True)
    y = pg.tensor(B, requires_grad=True)
    w = pg.tensor(W, requires_grad=True)
    assert pg.autograd.gradcheck(lambda x, y, w: pg.lerp(x, y, w), (x, y, w))
    assert pg.autograd.gradcheck(lambda x, y: pg.clamp(x, -y, y), (x, y))
    assert pg.autograd.gradcheck(lambda w: pg.logit(w * 0.8 + 0.1), (w,))
    assert pg.autograd.gradcheck(lambda x, y: pg.xlogy(x, y) + pg.copysign(x, y), (x, y))


def test_diff_prepend_must_be_a_tensor_like_torch():
    for lib in (pg, torch):
        with pytest.raises(TypeError):
            lib.diff(lib.ones(3), prepend=1.0)
