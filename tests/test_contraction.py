"""mm, bmm, mv, dot, inner, outer, the add* family, tensordot, kron, cross and einsum against
torch: values, dtypes, gradients with random upstream gradients, double backward (through the
recorded backward), float64 gradcheck and torch's exception classes."""
import numpy as np
import pytest

import pygrad as pg

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)

# name: (fn(lib, *xs), operand shapes)
CASES = {
    "mm": (lambda m, a, b: m.mm(a, b), [(3, 4), (4, 2)]),
    "mm_method_T": (lambda m, a, b: a.T.mm(b), [(4, 3), (4, 2)]),
    "bmm": (lambda m, a, b: m.bmm(a, b), [(2, 3, 4), (2, 4, 5)]),
    "mv": (lambda m, a, b: a.mv(b), [(3, 4), (4,)]),
    "dot": (lambda m, a, b: m.dot(a, b), [(5,), (5,)]),
    "vdot": (lambda m, a, b: a.vdot(b), [(5,), (5,)]),
    "inner": (lambda m, a, b: m.inner(a, b), [(2, 3, 4), (5, 4)]),
    "outer": (lambda m, a, b: m.outer(a, b), [(3,), (4,)]),
    "ger": (lambda m, a, b: a.ger(b), [(3,), (4,)]),
    "addmm": (lambda m, c, a, b: m.addmm(c, a, b), [(3, 2), (3, 4), (4, 2)]),
    "addmm_scaled": (lambda m, c, a, b: c.addmm(a, b, beta=0.5, alpha=-2.0),
                     [(2,), (3, 4), (4, 2)]),
    "addmm_beta0": (lambda m, c, a, b: m.addmm(c, a, b, beta=0), [(3, 2), (3, 4), (4, 2)]),
    "addmv": (lambda m, c, a, b: m.addmv(c, a, b, alpha=3), [(3,), (3, 4), (4,)]),
    "addr": (lambda m, c, a, b: m.addr(c, a, b, beta=2), [(3, 4), (3,), (4,)]),
    "baddbmm": (lambda m, c, a, b: m.baddbmm(c, a, b, beta=0.5, alpha=2),
                [(2, 3, 5), (2, 3, 4), (2, 4, 5)]),
    "addbmm": (lambda m, c, a, b: c.addbmm(a, b), [(3, 5), (2, 3, 4), (2, 4, 5)]),
    "tensordot_int": (lambda m, a, b: m.tensordot(a, b, 2), [(2, 3, 4), (3, 4, 5)]),
    "tensordot_lists": (lambda m, a, b: m.tensordot(a, b, dims=([0, 2], [2, 0])),
                        [(2, 3, 4), (4, 5, 2)]),
    "tensordot_0": (lambda m, a, b: m.tensordot(a, b, 0), [(2, 3), (4,)]),
    "kron": (lambda m, a, b: m.kron(a, b), [(2, 3), (4, 2)]),
    "kron_ranks": (lambda m, a, b: a.kron(b), [(2,), (3, 2)]),
    "cross": (lambda m, a, b: m.cross(a, b, dim=1), [(4, 3), (4, 3)]),
    "cross_bcast": (lambda m, a, b: a.cross(b, dim=-1), [(2, 4, 3), (1, 4, 3)]),
}

EINSUM = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("ii->i", [(4, 4)]),
    ("ii", [(4, 4)]),
    ("iij->ji", [(3, 3, 2)]),
    ("ij->", [(3, 4)]),
    ("ij->j", [(3, 4)]),
    ("ijk->kji", [(2, 3, 4)]),
    ("i,j->ij", [(3,), (4,)]),
    ("i,i", [(5,), (5,)]),
    ("ij,ij->i", [(3, 4), (3, 1)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),
    ("b...,b...->b", [(2, 3, 4), (2, 3, 4)]),
    ("...i->...", [(2, 3, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("ab,cd->", [(2, 3), (4, 5)]),
    ("i,->i", [(3,), ()]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    (" ij , jk -> ik ", [(3, 4), (4, 5)]),
]


def _np(t):
    return t.detach().numpy(force=True) if isinstance(t, torch.Tensor) else t.numpy()


def _run(lib, fn, arrays, g=None, create_graph=False):
    xs = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in arrays]
    y = fn(lib, *xs)
    if g is None:
        return y, xs
    grads = lib.autograd.grad(y, xs, lib.tensor(g, dtype=lib.float64),
                              create_graph=create_graph)
    return y, xs, grads


def _compare(fn, shapes, seed=1):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes]
    ty, _ = _run(torch, fn, arrays)
    g = rng.standard_normal(tuple(ty.shape))
    vs = [rng.standard_normal(s) for s in shapes]
    out = {}
    for lib in (pg, torch):
        y, xs, grads = _run(lib, fn, arrays, g, create_graph=True)
        # double backward: differentiate <grads, v> once more
        total = sum((gr * lib.tensor(v)).sum() for gr, v in zip(grads, vs))
        second = lib.autograd.grad(total, xs, allow_unused=True) if total.requires_grad \
            else [None] * len(xs)
        out[lib] = (y, grads, second)
    py, pgr, psec = out[pg]
    ty, tgr, tsec = out[torch]
    assert tuple(py.shape) == tuple(ty.shape)
    np.testing.assert_allclose(_np(py), _np(ty), rtol=1e-12, atol=1e-12)
    for a, b in zip(pgr, tgr):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-12, atol=1e-12)
    for a, b in zip(psec, tsec):
        if b is None:
            assert a is None or np.all(_np(a) == 0)
        else:
            np.testing.assert_allclose(_np(a), _np(b), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_products_match_torch(name):
    fn, shapes = CASES[name]
    _compare(fn, shapes)


@pytest.mark.parametrize("equation,shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum_matches_torch(equation, shapes):
    _compare(lambda m, *xs: m.einsum(equation, *xs), shapes)


def test_einsum_list_and_sublist_forms():
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((4, 5))
    for fn in (lambda m, x, y: m.einsum("ij,jk->ik", [x, y]),
               lambda m, x, y: m.einsum(x, [0, 1], y, [1, 2], [0, 2]),
               lambda m, x, y: m.einsum(x, [0, 1], y, [1, 2]),
               lambda m, x, y: m.einsum(x, [Ellipsis, 1], y, [1, 2], [Ellipsis, 2])):
        _compare(fn, [(3, 4), (4, 5)])
    assert pg.einsum("ij->ji", pg.tensor(a)).shape == (4, 3)
    assert pg.einsum("ij,jk", pg.tensor(a), pg.tensor(b)).shape == (3, 5)


@pytest.mark.parametrize("equation,shapes", [("ij,jk->ik", [(3, 4), (4, 5)]),
                                             ("ii->i", [(3, 3)]), ("ij->", [(2, 3)]),
                                             ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)])])
def test_einsum_gradcheck(equation, shapes):
    xs = [pg.tensor(RNG.standard_normal(s), requires_grad=True) for s in shapes]
    assert pg.autograd.gradcheck(lambda *t: pg.einsum(equation, *t), xs)


def test_gradcheck_products():
    a = pg.tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    b = pg.tensor(RNG.standard_normal((4, 2)), requires_grad=True)
    c = pg.tensor(RNG.standard_normal((3, 2)), requires_grad=True)
    assert pg.autograd.gradcheck(lambda c, a, b: pg.addmm(c, a, b, beta=0.3, alpha=2), (c, a, b))
    assert pg.autograd.gradcheck(lambda a, b: pg.tensordot(a, b, 1), (a, b))
    assert pg.autograd.gradcheck(lambda a, b: pg.kron(a, b), (a, b))


def test_chain_matmul_matches_multi_dot():
    arrays = [RNG.standard_normal(s) for s in [(2, 3), (3, 4), (4, 2)]]
    out = pg.chain_matmul(*[pg.tensor(a) for a in arrays])
    ref = torch.linalg.multi_dot([torch.tensor(a) for a in arrays])
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-12)


def test_float32_and_integer_dtypes():
    a32 = RNG.standard_normal((3, 4)).astype(np.float32)
    b32 = RNG.standard_normal((4, 2)).astype(np.float32)
    for lib in (pg, torch):
        assert str(lib.mm(lib.tensor(a32), lib.tensor(b32)).dtype).endswith("float32")
    ai, bi = RNG.integers(-5, 5, (3, 4)), RNG.integers(-5, 5, (4, 2))
    np.testing.assert_array_equal(pg.mm(pg.tensor(ai), pg.tensor(bi)).numpy(),
                                  torch.mm(torch.tensor(ai), torch.tensor(bi)).numpy())
    np.testing.assert_array_equal(
        pg.einsum("ij,jk->ik", pg.tensor(ai), pg.tensor(bi)).numpy(),
        torch.einsum("ij,jk->ik", torch.tensor(ai), torch.tensor(bi)).numpy())


def test_addmm_beta_zero_ignores_nan_input():
    c = np.full((3, 2), np.nan)
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((4, 2))
    for lib in (pg, torch):
        out = lib.addmm(lib.tensor(c), lib.tensor(a), lib.tensor(b), beta=0)
        assert not np.isnan(_np(out)).any()


BAD = [
    (lambda m: m.mm(m.ones(3), m.ones(3, 2)), RuntimeError),
    (lambda m: m.mm(m.ones(3, 4), m.ones(3, 2)), RuntimeError),
    (lambda m: m.bmm(m.ones(2, 3, 4), m.ones(3, 4, 5)), RuntimeError),
    (lambda m: m.mv(m.ones(3, 4), m.ones(3)), RuntimeError),
    (lambda m: m.dot(m.ones(3), m.ones(4)), RuntimeError),
    (lambda m: m.dot(m.ones(3), m.ones(3, dtype=m.float64)), RuntimeError),
    (lambda m: m.outer(m.ones(3, 1), m.ones(3)), RuntimeError),
    (lambda m: m.tensordot(m.ones(2, 3), m.ones(4, 3), 1), RuntimeError),
    (lambda m: m.cross(m.ones(2, 4), m.ones(2, 4), dim=1), RuntimeError),
    (lambda m: m.einsum("ij,jk->ik", m.ones(3, 4), m.ones(5, 2)), RuntimeError),
    (lambda m: m.einsum("ij->ik", m.ones(3, 4)), (RuntimeError, ValueError)),
    (lambda m: m.einsum("ijk->i", m.ones(3, 4)), RuntimeError),
    (lambda m: m.einsum("ij,jk->ik", m.ones(3, 4)), (RuntimeError, ValueError)),
    (lambda m: m.einsum("i1->i", m.ones(3, 4)), (RuntimeError, ValueError)),
    (lambda m: m.einsum("ij->ii", m.ones(3, 4)), (RuntimeError, ValueError)),
]


@pytest.mark.parametrize("k", range(len(BAD)))
def test_bad_input_raises_like_torch(k):
    fn, cls = BAD[k]
    with pytest.raises(cls):
        fn(torch)
    with pytest.raises(cls) as info:
        fn(pg)
    assert "(" in str(info.value) or "'" in str(info.value)     # names what it got
