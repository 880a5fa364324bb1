"""sort, argsort, msort, topk, kthvalue, median, nanmedian, mode, unique,
unique_consecutive, searchsorted and bucketize against torch: values, indices (where torch
is deterministic: stable sorts or distinct values), dtypes, gradients with random upstream
gradients, float64 gradcheck, double backward, nan/inf, empty and 0-d inputs, negative dims,
integer and bool inputs, bad input."""
import numpy as np
import pytest

import pygrad as pg

torch = pytest.importorskip("torch")

INF, NAN = float("inf"), float("nan")
A = np.random.default_rng(0).standard_normal((4, 5))           # distinct values
TIES = np.array([[2.0, 1.0, 2.0, 0.0, 1.0], [1.0, 1.0, 1.0, 3.0, -1.0],
                 [0.0, 5.0, 0.0, 5.0, 0.0], [4.0, 4.0, 4.0, 4.0, 4.0]])

# name -> function of (library, tensor) returning (values, indices) or a single tensor
CASES = {
    "sort": lambda m, x: m.sort(x),
    "sort_dim0_desc": lambda m, x: x.sort(0, descending=True),
    "sort_neg_stable": lambda m, x: m.sort(x, dim=-2, stable=True),
    "argsort": lambda m, x: m.argsort(x, 1),
    "argsort_desc": lambda m, x: x.argsort(-1, descending=True),
    "msort": lambda m, x: m.msort(x),
    "topk": lambda m, x: m.topk(x, 3),
    "topk_small_dim0": lambda m, x: x.topk(2, 0, largest=False),
    "topk_all": lambda m, x: m.topk(x, 5, dim=-1),
    "topk_zero": lambda m, x: m.topk(x, 0),
    "kthvalue": lambda m, x: m.kthvalue(x, 2),
    "kthvalue_keep": lambda m, x: x.kthvalue(4, 0, keepdim=True),
    "kthvalue_last": lambda m, x: m.kthvalue(x, 5, -1),
    "median": lambda m, x: m.median(x),
    "median_dim": lambda m, x: x.median(1),
    "median_keep_neg": lambda m, x: m.median(x, -2, keepdim=True),
    "median_even": lambda m, x: m.median(x[:, :4], 1),
    "nanmedian": lambda m, x: m.nanmedian(x),
    "nanmedian_dim": lambda m, x: x.nanmedian(0),
    "mode": lambda m, x: m.mode(x),
    "mode_dim0_keep": lambda m, x: x.mode(0, True),
    # non-contiguous inputs: a transposed view and a strided slice
    "sort_strided": lambda m, x: m.sort(x.t()[:, ::2], 0, True),
    "topk_strided": lambda m, x: m.topk(x[:, ::2].t(), 2, 0),
    "median_strided": lambda m, x: x.t()[::2].median(-1),
    # torch's axis= alias of dim
    "sort_axis": lambda m, x: x.sort(axis=0),
    "topk_axis": lambda m, x: m.topk(x, 2, axis=0),
    "kthvalue_axis": lambda m, x: x.kthvalue(1, axis=0, keepdim=True),
    "median_axis": lambda m, x: m.median(x, axis=1),
    "nanmedian_axis": lambda m, x: x.nanmedian(axis=1),
    "mode_axis": lambda m, x: m.mode(x, axis=0),
    "argsort_axis": lambda m, x: m.argsort(x, axis=0, stable=True),
}
DIFFERENTIABLE = [n for n in sorted(CASES) if "argsort" not in n]
# torch's tie-breaking is its sort's: deterministic for stable sorts and the scans below
TIE_SAFE = ["sort_neg_stable", "argsort", "argsort_desc", "msort", "mode", "mode_dim0_keep",
            "sort", "sort_dim0_desc", "sort_strided", "sort_axis", "mode_axis", "argsort_axis"]


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.numpy()


def _split(out):
    """(values, indices or None) of an op's output."""
    if isinstance(out, tuple):
        assert tuple(out) == (out.values, out.indices)
        return out.values, out.indices
    return out, None


def _first(lib, fn, a, v=None, dtype=None):
    x = lib.tensor(a, dtype=dtype or lib.float64, requires_grad=True)
    values, indices = _split(fn(lib, x))
    if v is not None and values.requires_grad:
        values.backward(lib.tensor(v, dtype=values.dtype))
    grad = np.zeros(a.shape) if x.grad is None else _np(x.grad)
    return _np(values), (None if indices is None else _np(indices)), grad


def _compare(name, a, indices=True, v_seed=1):
    fn = CASES[name]
    shape = tuple(_split(fn(torch, torch.tensor(a)))[0].shape)
    v = np.random.default_rng(v_seed).standard_normal(shape)
    pv, pi, pgx = _first(pg, fn, a, v)
    tv, ti, tgx = _first(torch, fn, a, v)
    np.testing.assert_array_equal(pv, tv)
    assert pv.shape == tv.shape
    if ti is not None:
        assert pi.dtype == np.int64 and pi.shape == ti.shape
        if indices:
            np.testing.assert_array_equal(pi, ti)
            np.testing.assert_array_equal(pgx, tgx)
    elif indices:
        np.testing.assert_allclose(pgx, tgx, rtol=1e-14)


@pytest.mark.parametrize("name", sorted(CASES))
def test_distinct_values_match_torch(name):
    _compare(name, A)
    _compare(name, -A[::-1])


@pytest.mark.parametrize("name", sorted(CASES))
def test_ties_match_torch(name):
    # with ties, indices (and so gradients) are compared where torch's are deterministic
    _compare(name, TIES, indices=name in TIE_SAFE)


# selections, their dim and keepdim
SELECT = {
    "sort": (lambda x: pg.sort(x, 1), 1, True),
    "sort_desc0": (lambda x: x.sort(0, descending=True), 0, True),
    "topk": (lambda x: pg.topk(x, 3), 1, True),
    "topk_small0": (lambda x: x.topk(2, 0, largest=False), 0, True),
    "kthvalue": (lambda x: pg.kthvalue(x, 2), 1, False),
    "kthvalue_keep0": (lambda x: x.kthvalue(3, 0, keepdim=True), 0, True),
    "median": (lambda x: pg.median(x, 1), 1, False),
    "median_keep0": (lambda x: x.median(0, keepdim=True), 0, True),
    "nanmedian": (lambda x: pg.nanmedian(x, 1), 1, False),
    "nanmedian0": (lambda x: x.nanmedian(0), 0, False),
    "mode": (lambda x: pg.mode(x, 1), 1, False),
    "mode_keep0": (lambda x: x.mode(0, True), 0, True),
}


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", sorted(SELECT))
def test_indices_name_the_values_and_get_their_gradient(name):
    """Wherever ties or nan leave the index open, it names an entry equal to the value, and
    the gradient goes there and nowhere else."""
    fn, dim, keepdim = SELECT[name]
    for a in (TIES, NANS):
        x = pg.tensor(a, requires_grad=True)
        out = fn(x)
        values, idx = out.values.numpy(), out.indices.numpy()
        if not keepdim:
            values, idx = np.expand_dims(values, dim), np.expand_dims(idx, dim)
        np.testing.assert_array_equal(np.take_along_axis(a, idx, dim), values)
        out.values.sum().backward()
        want = np.zeros(a.shape)
        np.put_along_axis(want, idx, 1.0, dim)
        np.testing.assert_array_equal(x.grad.numpy(), want)


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_gradcheck(name):
    x = pg.tensor(A, requires_grad=True)
    assert pg.autograd.gradcheck(lambda t: _split(CASES[name](pg, t))[0], (x,))


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_double_backward_matches_torch(name):
    """Second derivatives through the gradient: d<grad_x, w>/dv (the scatter's gradient)."""
    fn = CASES[name]
    shape = tuple(_split(fn(torch, torch.tensor(A)))[0].shape)
    rng = np.random.default_rng(2)
    v, w = rng.standard_normal(shape), rng.standard_normal(A.shape)
    out = []
    for lib in (pg, torch):
        x = lib.tensor(A, dtype=lib.float64, requires_grad=True)
        tv = lib.tensor(v, dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(_split(fn(lib, x))[0], x, tv, create_graph=True)
        (gv,) = lib.autograd.grad((g * lib.tensor(w)).sum() + (g * g).sum(), tv)
        out.append(_np(gv))
    np.testing.assert_allclose(out[0], out[1], rtol=1e-12)


def test_median_without_dim_shares_the_gradient_among_ties():
    for a in (TIES, np.array([[1.0, NAN, 2.0], [NAN, 0.0, 1.0]]), np.array([1.0, 1.0, 3.0])):
        for name in ("median", "nanmedian"):
            v = np.array(1.7)
            pv, _, pgx = _first(pg, CASES[name], a, v)
            tv, _, tgx = _first(torch, CASES[name], a, v)
            np.testing.assert_array_equal(pv, tv)
            np.testing.assert_allclose(pgx, tgx, rtol=1e-14)


NANS = np.array([[3.0, NAN, 1.0, -INF, 2.0], [INF, 0.5, -1.0, 7.0, NAN],
                 [NAN, NAN, NAN, NAN, NAN], [-2.0, 5.0, INF, 0.0, 1.0]])


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", sorted(CASES))
def test_nan_and_inf_match_torch(name):
    if name.startswith("mode"):
        pytest.skip("torch's mode with nan depends on how its sort places nan: undefined")
    fn = CASES[name]
    shape = tuple(_split(fn(torch, torch.tensor(NANS)))[0].shape)
    v = np.random.default_rng(3).standard_normal(shape)
    pv, pi, pgx = _first(pg, fn, NANS, v)
    tv, ti, tgx = _first(torch, fn, NANS, v)
    np.testing.assert_array_equal(pv, tv)
    # one nan per slice, or all nan in a row: indices are torch's (first nan) except for
    # the all-nan row / column, which only sorts stably
    if ti is not None and name not in ("sort_dim0_desc", "topk_small_dim0", "kthvalue_keep",
                                       "median_keep_neg", "nanmedian_dim"):
        rows = [0, 1, 3] if pi.ndim and pi.shape[0] == 4 else slice(None)
        np.testing.assert_array_equal(pi[rows], ti[rows])
    elif ti is None:
        np.testing.assert_allclose(pgx, tgx, rtol=1e-14)


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "bool", "float32"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_dtypes_follow_torch(name, dtype):
    a = np.array([[3, 1, 0, 2, 1], [0, 4, 4, 1, 2]])
    t = torch.tensor(a).to(getattr(torch, dtype))
    p = pg.tensor(a).to(pg.bool if dtype == "bool" else getattr(pg, dtype))
    try:
        want = _split(CASES[name](torch, t))
    except (RuntimeError, NotImplementedError) as e:   # e.g. topk / median on bool
        with pytest.raises(type(e)):
            CASES[name](pg, p)
        return
    got = _split(CASES[name](pg, p))
    assert str(got[0].dtype) == str(want[0].dtype).split(".")[1]
    np.testing.assert_array_equal(got[0].numpy(), want[0].numpy())
    if want[1] is not None:
        assert got[1].dtype == pg.int64


@pytest.mark.parametrize("shape", [(), (0,), (3, 0), (0, 4)])
@pytest.mark.parametrize("name", sorted(CASES))
def test_empty_and_zero_dim_match_torch(name, shape):
    a = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    fn = CASES[name]
    try:
        want = _split(fn(torch, torch.tensor(a)))
    except (RuntimeError, IndexError) as e:
        with pytest.raises(type(e)):
            fn(pg, pg.tensor(a))
        return
    got = _split(fn(pg, pg.tensor(a)))
    assert got[0].shape == tuple(want[0].shape)
    np.testing.assert_array_equal(got[0].numpy(), want[0].numpy())
    if want[1] is not None:
        np.testing.assert_array_equal(got[1].numpy(), want[1].numpy())


ZERO_D = {
    "sort": lambda m, x: m.sort(x),
    "topk": lambda m, x: m.topk(x, 1, 0),
    "kthvalue": lambda m, x: m.kthvalue(x, 1, -1),
    "median": lambda m, x: m.median(x),
    "median_dim": lambda m, x: m.median(x, 0),
    "mode": lambda m, x: m.mode(x),
}


@pytest.mark.parametrize("name", sorted(ZERO_D))
def test_zero_dim_values_carry_the_gradient(name):
    x, t = pg.tensor(2.5, requires_grad=True), torch.tensor(2.5, requires_grad=True)
    _split(ZERO_D[name](pg, x))[0].backward(pg.tensor(3.0))
    _split(ZERO_D[name](torch, t))[0].backward(torch.tensor(3.0))
    assert float(x.grad.numpy()) == float(t.grad) == 3.0


# ----------------------------------------------------------------------------- unique

UNIQUE_INPUTS = {
    "ints": np.array([[3, 1, 3], [0, 1, 2], [3, 1, 3], [3, 1, 3]]),
    "floats_nan": np.array([[2.0, NAN, 1.0], [NAN, 2.0, 2.0]]),
    "bools": np.array([[True, False], [True, True]]),
    "zero_d": np.array(4.0),
    "empty": np.zeros((0, 3)),
}
UNIQUE_CASES = {
    "unique": lambda m, x: m.unique(x),
    "unique_all": lambda m, x: m.unique(x, return_inverse=True, return_counts=True),
    "unique_counts": lambda m, x: x.unique(return_counts=True),
    "unique_dim0": lambda m, x: m.unique(x, dim=0, return_inverse=True, return_counts=True),
    "unique_dim_neg": lambda m, x: m.unique(x, return_inverse=True, dim=-1),
    "consecutive": lambda m, x: m.unique_consecutive(x),
    "consecutive_all": lambda m, x: x.unique_consecutive(return_inverse=True,
                                                         return_counts=True),
    "consecutive_dim0": lambda m, x: m.unique_consecutive(x, True, True, dim=0),
    "consecutive_dim1": lambda m, x: m.unique_consecutive(x, return_counts=True, dim=1),
}


def _as_list(out):
    return list(out) if isinstance(out, tuple) else [out]


@pytest.mark.parametrize("data", sorted(UNIQUE_INPUTS))
@pytest.mark.parametrize("name", sorted(UNIQUE_CASES))
def test_unique_matches_torch(name, data):
    a, fn = UNIQUE_INPUTS[data], UNIQUE_CASES[name]
    if data == "floats_nan" and "dim" in name and "consecutive" not in name:
        pytest.skip("torch's unique(dim=) orders slices holding nan by its sort: undefined")
    try:
        want = _as_list(fn(torch, torch.tensor(a)))
    except (RuntimeError, IndexError) as e:
        with pytest.raises(type(e)):
            fn(pg, pg.tensor(a))
        return
    got = _as_list(fn(pg, pg.tensor(a)))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == tuple(w.shape)
        assert str(g.dtype) == str(w.dtype).split(".")[1]
        np.testing.assert_array_equal(g.numpy(), w.numpy())


def test_unique_unsorted_has_the_same_values_and_consistent_inverse():
    a = np.array([5, 3, 5, 1, 3, 9])
    u, inv = pg.unique(pg.tensor(a), sorted=False, return_inverse=True)
    assert sorted(u.tolist()) == torch.unique(torch.tensor(a)).tolist()
    np.testing.assert_array_equal(u.numpy()[inv.numpy()], a)


def test_unique_is_recorded_but_not_differentiable_like_torch():
    for lib in (torch, pg):
        x = lib.tensor([1.0, 2.0, 1.0], requires_grad=True)
        for u in (lib.unique(x), lib.unique_consecutive(x)):
            assert u.requires_grad
            with pytest.raises(NotImplementedError, match="derivative for"):
                u.sum().backward()
    assert not pg.unique(pg.tensor([1.0, 2.0])).requires_grad


def test_unique_rejects_bad_input_like_torch():
    for lib in (torch, pg):
        with pytest.raises(RuntimeError, match="0 sized dimensions"):
            lib.unique(lib.zeros((0, 3)), dim=1)
        with pytest.raises(IndexError, match="range"):
            lib.unique(lib.zeros((2, 3)), dim=2)


# ----------------------------------------------------------------------------- searchsorted

SEQ = np.array([-1.0, 0.0, 0.0, 2.5, 4.0, 4.0, 9.0])
VALS = np.array([[-3.0, 0.0, 1.0], [4.0, 9.5, 2.5], [NAN, INF, -INF]])
SEARCH_CASES = {
    "left": lambda m, s, v: m.searchsorted(s, v),
    "right": lambda m, s, v: m.searchsorted(s, v, right=True),
    "side_right": lambda m, s, v: m.searchsorted(s, v, side="right"),
    "side_left": lambda m, s, v: m.searchsorted(s, v, side="left", right=False),
    "int32": lambda m, s, v: m.searchsorted(s, v, out_int32=True, right=True),
    "scalar": lambda m, s, v: m.searchsorted(s, 2.5),
    "scalar_int": lambda m, s, v: m.searchsorted(s, 4, side="right"),
    "int_values": lambda m, s, v: m.searchsorted(s, m.tensor([[0, 4], [-7, 3]])),
    "int_sequence": lambda m, s, v: m.searchsorted(m.tensor([0, 2, 2, 5]), v, right=True),
    "batched": lambda m, s, v: m.searchsorted(s[None].expand(3, 7) * m.tensor([[1.0], [2.0],
                                                                                [-0.5]]).abs(),
                                              v),
    "sorter": lambda m, s, v: m.searchsorted(s.flip(0), v, sorter=m.arange(6, -1, -1)),
    # rows searched together: nan in the sequence, ties, both sides, a sorter per row
    "batched_nan": lambda m, s, v: m.searchsorted(
        m.cat([s[None, :6], m.tensor([[0.0, 1.0, 1.0, 1.0, 3.0, NAN]]),
               m.full((1, 6), NAN)]), v[:, [1, 0, 2, 0]], side="right"),
    "batched_sorter": lambda m, s, v: m.searchsorted(
        m.stack([s.flip(0), -s, s]), v.flip(1),
        sorter=m.stack([m.arange(6, -1, -1), m.arange(6, -1, -1), m.arange(7)])),
    "batched_3d": lambda m, s, v: m.searchsorted(s[None, None].repeat(2, 3, 1),
                                                 v[None].repeat(2, 1, 1)),
    "bucketize": lambda m, s, v: m.bucketize(v, s),
    "bucketize_right": lambda m, s, v: m.bucketize(v, s, right=True, out_int32=True),
    "bucketize_scalar": lambda m, s, v: m.bucketize(3.0, s),
    "empty_values": lambda m, s, v: m.searchsorted(s, v[:0]),
    "empty_sequence": lambda m, s, v: m.searchsorted(s[:0], v),
}


@pytest.mark.parametrize("name", sorted(SEARCH_CASES))
def test_searchsorted_and_bucketize_match_torch(name):
    fn = SEARCH_CASES[name]
    got = fn(pg, pg.tensor(SEQ), pg.tensor(VALS))
    want = fn(torch, torch.tensor(SEQ), torch.tensor(VALS))
    assert got.shape == tuple(want.shape) and str(got.dtype) == str(want.dtype).split(".")[1]
    np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("call, exc, match", [
    (lambda m, s, v: m.searchsorted(s, v, side="middle"), RuntimeError, "side can only"),
    (lambda m, s, v: m.searchsorted(s, v, side="left", right=True), RuntimeError, "opposites"),
    (lambda m, s, v: m.searchsorted(s[None].expand(2, 7), v), RuntimeError, "boundaries"),
    (lambda m, s, v: m.searchsorted(s[None].expand(3, 7), 2.0), RuntimeError, "scalar"),
    (lambda m, s, v: m.searchsorted(s[0], v), RuntimeError, "positive dimension"),
    (lambda m, s, v: m.searchsorted(s, v, sorter=m.arange(3)), RuntimeError, "sorter"),
    (lambda m, s, v: m.bucketize(v, s[None]), RuntimeError, "1 dimension"),
])
def test_searchsorted_bad_input_raises_like_torch(call, exc, match):
    with pytest.raises(exc, match=match):
        call(torch, torch.tensor(SEQ), torch.tensor(VALS))
    with pytest.raises(exc, match=match):
        call(pg, pg.tensor(SEQ), pg.tensor(VALS))


# ----------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("call, exc, match", [
    (lambda m, x: m.sort(x, 2), IndexError, "range"),
    (lambda m, x: m.argsort(x, -3), IndexError, "range"),
    (lambda m, x: m.topk(x, 6), RuntimeError, "k out of range"),
    (lambda m, x: m.topk(x, -1), RuntimeError, "k out of range"),
    (lambda m, x: m.topk(x.bool(), 1), RuntimeError, "bool"),
    (lambda m, x: m.kthvalue(x, 0), RuntimeError, "k out of range"),
    (lambda m, x: m.kthvalue(x, 6), RuntimeError, "k out of range"),
    (lambda m, x: m.kthvalue(x, 1, 2), IndexError, "range"),
    (lambda m, x: m.median(x, 5), IndexError, "range"),
    (lambda m, x: m.median(x.bool()), NotImplementedError, "not implemented for .Bool|bool"),
    (lambda m, x: m.median(x[:, :0], 1), IndexError, "non-zero size"),
    (lambda m, x: m.nanmedian(x[:, :0], -1), IndexError, "non-zero size"),
    (lambda m, x: m.mode(x[:, :0], 1), IndexError, "non-zero size"),
    (lambda m, x: m.mode(x, 3), IndexError, "range"),
])
def test_bad_input_raises_like_torch(call, exc, match):
    with pytest.raises(exc, match=match):
        call(torch, torch.tensor(A))
    with pytest.raises(exc, match=match):
        call(pg, pg.tensor(A))


@pytest.mark.parametrize("largest", [True, False])
def test_topk_of_long_slices_selects_like_a_stable_sort(largest):
    """k much smaller than the slice takes a partition instead of a full sort: the same
    entries, ties resolved as the stable sort does, nan the largest; against torch."""
    rng = np.random.default_rng(4)
    a = rng.integers(-4, 5, (6, 50)).astype(np.float64)
    a[rng.random(a.shape) < 0.1] = NAN
    a[0] = rng.standard_normal(50)                    # one row of distinct values
    for dim, k in ((1, 7), (-1, 1), (0, 1)):
        got = pg.topk(pg.tensor(a), k, dim, largest)
        want = torch.topk(torch.tensor(a), k, dim, largest)
        np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
        ref = pg.sort(pg.tensor(a), dim, descending=largest, stable=True).indices.numpy()
        np.testing.assert_array_equal(got.indices.numpy(),
                                      np.take(ref, np.arange(k), axis=dim))
        if dim == 1:
            np.testing.assert_array_equal(got.indices.numpy()[0], want.indices.numpy()[0])
    x, t = pg.tensor(a[:1], requires_grad=True), torch.tensor(a[:1], requires_grad=True)
    v = rng.standard_normal((1, 5))
    pg.topk(x, 5, largest=largest).values.backward(pg.tensor(v))
    torch.topk(t, 5, largest=largest).values.backward(torch.tensor(v))
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())
