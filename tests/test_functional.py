"""pygrad.nn.functional against torch.nn.functional: values, gradients (random upstream
gradients), double backward and float64 gradcheck, one table per family."""
import math

import numpy as np
import pytest

import pygrad as pg
import pygrad.nn.functional as F

torch = pytest.importorskip("torch")
tF = torch.nn.functional


def host(t):
    return t.detach().cpu().numpy()


def against_torch(fn, tfn, arrays, device="cpu", double=True, check=True, rtol=1e-10,
                  atol=1e-12, grad_rtol=1e-9, nondiff=()):
    """Run ``fn`` (pygrad) and ``tfn`` (torch) on ``arrays`` in float64 and compare the
    output, the gradient of every floating input under a random upstream gradient, the
    gradient of that gradient (``double``) and pygrad's numerical gradcheck (``check``).
    Integer and bool arrays, and those at the ``nondiff`` positions, are passed as
    tensors that do not require grad."""
    rng = np.random.default_rng(1)
    diff = [a.dtype.kind == "f" and i not in nondiff for i, a in enumerate(arrays)]
    xs = [pg.tensor(a, device=device, requires_grad=d) for a, d in zip(arrays, diff)]
    txs = [torch.tensor(a, requires_grad=d) for a, d in zip(arrays, diff)]
    y, ty = fn(*xs), tfn(*txs)
    assert tuple(y.shape) == tuple(ty.shape)
    assert y.dtype == pg.float64
    np.testing.assert_allclose(host(y), ty.detach().numpy(), rtol=rtol, atol=atol,
                               err_msg="forward differs from torch")
    wrt = [x for x, d in zip(xs, diff) if d]
    twrt = [x for x, d in zip(txs, diff) if d]
    if not wrt or not ty.requires_grad:
        return y
    v = rng.standard_normal(ty.shape)
    gs = pg.autograd.grad(y, wrt, pg.tensor(v, device=device), create_graph=double,
                          allow_unused=True)
    tgs = torch.autograd.grad(ty, twrt, torch.tensor(v), create_graph=double,
                              allow_unused=True)
    for i, (g, tg) in enumerate(zip(gs, tgs)):
        tg = np.zeros(twrt[i].shape) if tg is None else tg.detach().numpy()
        g = np.zeros(tg.shape) if g is None else host(g)
        np.testing.assert_allclose(g, tg, rtol=grad_rtol, atol=1e-11,
                                   err_msg=f"gradient of input {i} differs from torch")
    if double:
        pairs = [(g, tg) for g, tg in zip(gs, tgs)
                 if g is not None and tg is not None and tg.requires_grad]
        if pairs:
            ws = [rng.standard_normal(tg.shape) for _, tg in pairs]
            # a gradient pygrad knows to be constant has no graph; torch may still record one
            terms = [(g * pg.tensor(w, device=device)).sum() for (g, _), w in zip(pairs, ws)
                     if g.requires_grad]
            ts = sum((tg * torch.tensor(w)).sum() for (_, tg), w in zip(pairs, ws))
            gg = pg.autograd.grad(sum(terms), wrt, allow_unused=True) if terms \
                else [None] * len(wrt)
            tgg = torch.autograd.grad(ts, twrt, allow_unused=True)
            for i, (g, tg) in enumerate(zip(gg, tgg)):
                tg = np.zeros(twrt[i].shape) if tg is None else tg.numpy(force=True)
                g = np.zeros(tg.shape) if g is None else host(g)
                np.testing.assert_allclose(g, tg, rtol=1e-8, atol=1e-10,
                                           err_msg=f"double backward {i} differs from torch")
    if check:
        assert pg.autograd.gradcheck(fn, xs)
    return y


# ============================================================================ activations

ACTIVATIONS = [
    ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}), ("elu", {}),
    ("elu", {"alpha": 0.5}), ("selu", {}), ("celu", {}), ("celu", {"alpha": 2.0}),
    ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}), ("relu6", {}),
    ("hardtanh", {}), ("hardtanh", {"min_val": -2.0, "max_val": 0.5}), ("hardsigmoid", {}),
    ("hardswish", {}), ("mish", {}), ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 3.0}),
    ("softsign", {}), ("tanhshrink", {}), ("logsigmoid", {}), ("glu", {}), ("glu", {"dim": 0}),
    ("softmin", {"dim": 1}), ("softmin", {"dim": 0}), ("hardshrink", {}),
    ("softshrink", {"lambd": 0.3}), ("sigmoid", {}), ("tanh", {}), ("relu", {}),
    ("softmax", {"dim": 0}), ("log_softmax", {"dim": -1}),
]


NO_TORCH_DOUBLE = {"hardsigmoid"}      # torch: derivative for hardsigmoid_backward not implemented


@pytest.mark.parametrize("name,kw", ACTIVATIONS, ids=lambda v: str(v))
def test_activation_against_torch(name, kw, device):
    x = np.random.default_rng(0).standard_normal((4, 6)) * 3
    # torch's hardsigmoid / hardswish backward kernels use the float32 constant 1.0f / 6
    grad_rtol = 1e-7 if name in ("hardsigmoid", "hardswish") else 1e-9
    against_torch(lambda t: getattr(F, name)(t, **kw), lambda t: getattr(tF, name)(t, **kw),
                  [x], device, grad_rtol=grad_rtol, double=name not in NO_TORCH_DOUBLE)


@pytest.mark.parametrize("name", ["gelu", "silu", "elu", "selu", "celu", "leaky_relu", "relu6",
                                  "hardtanh", "hardsigmoid", "hardswish", "mish", "softplus",
                                  "softsign", "tanhshrink", "hardshrink", "softshrink"])
def test_activation_edges(name):
    fn, tfn = getattr(F, name), getattr(tF, name)
    # far tails (no overflow in a discarded branch: gradients stay finite), 0-d, empty, float32
    x = np.array([-800.0, -40.0, -3.5, 0.25, 3.5, 40.0, 800.0])
    grad_rtol = 1e-7 if name in ("hardsigmoid", "hardswish") else 1e-9
    double = name not in NO_TORCH_DOUBLE
    # (first order only: torch's mish double backward is nan at 800)
    against_torch(fn, tfn, [x], check=False, grad_rtol=grad_rtol, double=False)
    against_torch(fn, tfn, [np.array(0.7)], check=False, grad_rtol=grad_rtol, double=double)
    assert fn(pg.zeros(0, 3)).shape == (0, 3)
    x32 = np.random.default_rng(0).standard_normal(10).astype(np.float32)
    y = fn(pg.tensor(x32))
    assert y.dtype == pg.float32
    np.testing.assert_allclose(y.numpy(), tfn(torch.tensor(x32)).numpy(), rtol=1e-5, atol=1e-6)
    special = [float("nan"), float("inf"), -float("inf")]    # float64: torch's float32 gelu
    y = fn(pg.tensor(special, dtype=pg.float64))              # kernel gives nan at +inf
    np.testing.assert_array_equal(y.numpy(),
                                  tfn(torch.tensor(special, dtype=torch.float64)).numpy())
    with pytest.raises(TypeError, match=name):
        fn(pg.tensor([1, 2]))


def test_activation_bad_arguments():
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(pg.ones(2), approximate="fast")
    with pytest.raises(RuntimeError, match="Halving dimension must be even"):
        F.glu(pg.ones(2, 3))
    with pytest.raises(TypeError, match="expected input to be a Tensor"):
        F.silu([1.0])


def test_softmax_implicit_dim_and_dtype():
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    for fn in ("softmax", "log_softmax", "softmin"):
        with pytest.warns(UserWarning):
            ref = getattr(tF, fn)(torch.tensor(x))
        np.testing.assert_allclose(getattr(F, fn)(pg.tensor(x)).numpy(), ref.numpy(), rtol=1e-5)
        y = getattr(F, fn)(pg.tensor(x), dim=-1, dtype=pg.float64)
        assert y.dtype == pg.float64


# ============================================================================ dropout

@pytest.mark.parametrize("name", ["dropout", "alpha_dropout", "feature_alpha_dropout",
                                  "dropout1d", "dropout2d", "dropout3d"])
def test_dropout_eval_and_p_edges(name):
    fn = getattr(F, name)
    x = pg.randn(2, 3, 4) if name == "dropout1d" else pg.randn(2, 3, 4, 5)
    assert fn(x, 0.5, training=False) is x
    assert fn(x, 0.0, training=True) is x
    y = fn(x, 1.0, training=True)
    ty = getattr(tF, name)(torch.tensor(x.numpy()), 1.0, training=True)
    np.testing.assert_array_equal(y.numpy(), ty.numpy())
    with pytest.raises(ValueError, match="between 0 and 1"):
        fn(x, 1.5, training=True)


def test_dropout_mask_and_scale():
    x = pg.ones(20000, dtype=pg.float64, requires_grad=True)
    y = F.dropout(x, 0.3)
    vals = np.unique(y.numpy())
    np.testing.assert_allclose(vals, [0.0, 1 / 0.7])
    assert abs((y.numpy() == 0).mean() - 0.3) < 0.02
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())  # gradient is the same mask


@pytest.mark.parametrize("name,shape,lead", [
    ("dropout1d", (8, 50, 6), 2), ("dropout1d", (50, 6), 1), ("dropout2d", (4, 50, 3, 3), 2),
    ("dropout2d", (50, 3, 3), 2), ("dropout3d", (4, 50, 2, 2, 2), 2),
    ("dropout3d", (50, 2, 2, 2), 1), ("feature_alpha_dropout", (8, 50, 4), 2)])
@pytest.mark.filterwarnings("ignore:dropout2d.*3D input:UserWarning")
def test_feature_dropout_drops_whole_channels(name, shape, lead):
    x = pg.randn(*shape, dtype=pg.float64)
    y = getattr(F, name)(x, 0.5, training=True).numpy()
    rows = int(np.prod(shape[:lead]))
    x, y = x.numpy().reshape(rows, -1), y.reshape(rows, -1)
    # one affine map per channel, y = a·x + b: slope a shared by the channel's elements
    slope = (y[:, 1:] - y[:, :1]) / (x[:, 1:] - x[:, :1])
    assert np.allclose(slope, slope[:, :1])
    dropped = np.isclose(slope[:, 0], 0)
    assert 0.3 < dropped.mean() < 0.7
    if name != "feature_alpha_dropout":
        np.testing.assert_allclose(y[~dropped], 2 * x[~dropped])
        assert (y[dropped] == 0).all()


@pytest.mark.parametrize("ndim", [1, 4])
def test_dropout1d_rank_errors(ndim):
    with pytest.raises(RuntimeError, match="Expected 2D or 3D input"):
        F.dropout1d(pg.ones(*([2] * ndim)), 0.5, training=True)
    with pytest.raises(RuntimeError, match="Expected 2D or 3D input"):
        tF.dropout1d(torch.ones(*([2] * ndim)), 0.5, training=True)


@pytest.mark.parametrize("name,ndim", [("dropout2d", 2), ("dropout2d", 3), ("dropout3d", 3)])
def test_dropout2d_3d_other_ranks_warn(name, ndim):
    with pytest.warns(UserWarning, match=name):
        getattr(F, name)(pg.ones(*([2] * ndim)), 0.5, training=True)
    with pytest.warns(UserWarning, match=name):
        getattr(tF, name)(torch.ones(*([2] * ndim)), 0.5, training=True)


def test_alpha_dropout_keeps_mean_and_variance():
    x = pg.randn(200000, dtype=pg.float64)
    for p in (0.2, 0.5):
        y = F.alpha_dropout(x, p, training=True).numpy()
        t = tF.alpha_dropout(torch.tensor(x.numpy()), p, training=True).numpy()
        assert abs(y.mean() - t.mean()) < 0.02 and abs(y.std() - t.std()) < 0.02
        assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
        # dropped elements all take the same value, the one torch gives
        def dropped_value(a):
            vals, counts = np.unique(a, return_counts=True)
            return vals[counts.argmax()]
        assert np.isclose(dropped_value(y), dropped_value(t), rtol=1e-6)


# ============================================================================ losses

def _sign(rng, shape):
    return np.where(rng.standard_normal(shape) > 0, 1.0, -1.0)


# name → (inputs from a rng, extra keyword sets); inputs marked by dtype: floating ones are
# differentiated, so a target that torch treats as data is made an integer/bool only where
# torch requires it
LOSSES = {
    "l1_loss": (lambda r: [r.standard_normal((4, 5)), r.standard_normal((4, 5))], [{}]),
    "smooth_l1_loss": (lambda r: [r.standard_normal((4, 5)), r.standard_normal((4, 5))],
                       [{}, {"beta": 0.5}, {"beta": 0.0}]),
    "huber_loss": (lambda r: [r.standard_normal((4, 5)), r.standard_normal((4, 5))],
                   [{}, {"delta": 0.4}, {"delta": 2.0}]),
    "kl_div": (lambda r: [r.standard_normal((4, 5)), r.random((4, 5)) + 0.05],
               [{}, {"log_target": False}]),
    "kl_div_log": (lambda r: [r.standard_normal((4, 5)), r.standard_normal((4, 5))],
                   [{"log_target": True}]),
    "poisson_nll_loss": (lambda r: [r.standard_normal((4, 5)), r.random((4, 5)) * 4],
                         [{}, {"full": True}]),
    "poisson_nll_loss_rate": (lambda r: [r.random((4, 5)) + 0.1, r.random((4, 5)) * 4],
                              [{"log_input": False}, {"log_input": False, "full": True}]),
    "gaussian_nll_loss": (lambda r: [r.standard_normal((4, 5)), r.standard_normal((4, 5)),
                                     r.random((4, 5)) + 0.1], [{}, {"full": True}]),
    "gaussian_nll_loss_rowvar": (lambda r: [r.standard_normal((4, 5)),
                                            r.standard_normal((4, 5)), r.random((4, 1)) + 0.1],
                                 [{}, {"eps": 0.3}]),
    "gaussian_nll_loss_novar_dim": (lambda r: [r.standard_normal((4, 5)),
                                               r.standard_normal((4, 5)), r.random(4) + 0.1],
                                    [{}]),
    "margin_ranking_loss": (lambda r: [r.standard_normal(6), r.standard_normal(6),
                                       _sign(r, 6)], [{}, {"margin": 0.5}]),
    "hinge_embedding_loss": (lambda r: [r.standard_normal((4, 5)), _sign(r, (4, 5))],
                             [{}, {"margin": 0.3}]),
    "soft_margin_loss": (lambda r: [r.standard_normal((4, 5)), _sign(r, (4, 5))], [{}]),
    "multilabel_soft_margin_loss": (
        lambda r: [r.standard_normal((4, 5)), (r.random((4, 5)) > 0.5).astype(np.float64)],
        [{}]),
    "multilabel_soft_margin_loss_w": (
        lambda r: [r.standard_normal((4, 5)), (r.random((4, 5)) > 0.5).astype(np.float64),
                   r.random(5)], [{}]),
    "cosine_embedding_loss": (lambda r: [r.standard_normal((4, 5)), r.standard_normal((4, 5)),
                                         _sign(r, 4)], [{}, {"margin": 0.2}]),
    "cosine_embedding_loss_1d": (lambda r: [r.standard_normal(5), r.standard_normal(5),
                                            np.array(-1.0)], [{"margin": -0.9}]),
    "triplet_margin_loss": (lambda r: [r.standard_normal((4, 5)), r.standard_normal((4, 5)),
                                       r.standard_normal((4, 5))],
                            [{}, {"margin": 2.0, "p": 1}, {"swap": True}, {"p": 3, "eps": 0.1}]),
    "mse_loss": (lambda r: [r.standard_normal((4, 5)), r.standard_normal((4, 5))], [{}]),
}

NONDIFF_TARGET = {"soft_margin_loss": (1,)}     # torch refuses a target that requires grad

LOSS_CASES = [(name, kw, red) for name, (_, kws) in LOSSES.items() for kw in kws
              for red in ("none", "mean", "sum")] + \
    [("kl_div", {}, "batchmean"), ("kl_div_log", {"log_target": True}, "batchmean")]


def _loss_fn(name, lib):
    base = name
    for suffix in ("_log", "_rate", "_rowvar", "_novar_dim", "_w", "_1d"):
        base = base.removesuffix(suffix)
    fn = getattr(F if lib == "pg" else tF, base)
    if name == "multilabel_soft_margin_loss_w":
        return lambda x, y, w, **kw: fn(x, y, weight=w, **kw)
    return fn


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss")
@pytest.mark.parametrize("name,kw,reduction", LOSS_CASES, ids=str)
def test_loss_against_torch(name, kw, reduction, device):
    arrays = LOSSES[name][0](np.random.default_rng(3))
    fn, tfn = _loss_fn(name, "pg"), _loss_fn(name, "torch")
    against_torch(lambda *a: fn(*a, reduction=reduction, **kw),
                  lambda *a: tfn(*a, reduction=reduction, **kw), arrays, device,
                  nondiff=NONDIFF_TARGET.get(name, ()))


@pytest.mark.filterwarnings("ignore:size_average and reduce args will be deprecated")
def test_loss_legacy_reduction_arguments():
    x, y = pg.randn(3, 4), pg.randn(3, 4)
    tx, ty = torch.tensor(x.numpy()), torch.tensor(y.numpy())
    for size_average, reduce in ((None, False), (False, None), (True, True), (False, True)):
        for name in ("l1_loss", "smooth_l1_loss", "soft_margin_loss", "kl_div"):
            a = getattr(F, name)(x, y, size_average=size_average, reduce=reduce)
            b = getattr(tF, name)(tx, ty, size_average=size_average, reduce=reduce)
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


def test_loss_broadcast_warns_like_torch():
    x, y = pg.randn(3, 4), pg.randn(4)
    for name in ("l1_loss", "smooth_l1_loss", "huber_loss"):
        with pytest.warns(UserWarning, match="different to the input size"):
            a = getattr(F, name)(x, y)
        with pytest.warns(UserWarning, match="different to the input size"):
            b = getattr(tF, name)(torch.tensor(x.numpy()), torch.tensor(y.numpy()))
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
        with pytest.raises(RuntimeError, match="broadcast"):
            getattr(F, name)(x, pg.randn(5))


def test_loss_bad_arguments():
    x = pg.randn(3, 4)
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.l1_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.kl_div(x, x, reduction="avg")
    with pytest.raises(ValueError, match="var has negative"):
        F.gaussian_nll_loss(x, x, -pg.ones(3, 4))
    with pytest.raises(ValueError, match="var has negative"):
        tF.gaussian_nll_loss(torch.zeros(3, 4), torch.zeros(3, 4), -torch.ones(3, 4))
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(x, x, pg.ones(2))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        F.triplet_margin_loss(x, x, pg.randn(4))
    with pytest.raises(RuntimeError, match="same dimension"):
        F.margin_ranking_loss(pg.randn(3), pg.randn(3), pg.ones(3, 1))
    with pytest.raises(TypeError, match="expected target to be a Tensor"):
        F.l1_loss(x, 1.0)


def test_gaussian_nll_loss_scalar_var_and_clamp_gradient():
    r = np.random.default_rng(0)
    x, y = r.standard_normal((3, 4)), r.standard_normal((3, 4))
    a = F.gaussian_nll_loss(pg.tensor(x), pg.tensor(y), 0.5)
    b = tF.gaussian_nll_loss(torch.tensor(x), torch.tensor(y), 0.5)
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    # variances under eps are clamped in value only: the gradient still reaches them
    v = np.full((3, 4), 1e-8)
    against_torch(lambda *t: F.gaussian_nll_loss(*t), lambda *t: tF.gaussian_nll_loss(*t),
                  [x, y, v], double=False, check=False)


def test_kl_div_zero_target_and_distances_at_zero():
    x = np.log(np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]))
    t = np.array([[0.0, 0.4, 0.6], [0.5, 0.5, 0.0]])
    against_torch(lambda a, b: F.kl_div(a, b.detach(), reduction="batchmean"),
                  lambda a, b: tF.kl_div(a, b.detach(), reduction="batchmean"), [x, t],
                  double=True, check=False)
    z = np.zeros((2, 3))
    against_torch(F.cosine_similarity, tF.cosine_similarity, [z, np.ones((2, 3))], check=False)
    against_torch(F.normalize, tF.normalize, [np.concatenate([z, np.ones((1, 3))])],
                  check=False)


# ============================================================================ distances

@pytest.mark.parametrize("name,shapes,kw", [
    ("pairwise_distance", [(4, 5), (4, 5)], {}),
    ("pairwise_distance", [(4, 5), (5,)], {"p": 1.0, "keepdim": True}),
    ("pairwise_distance", [(5,), (5,)], {"p": 3.0, "eps": 0.0}),
    ("cosine_similarity", [(4, 5), (4, 5)], {}),
    ("cosine_similarity", [(3, 1, 5), (4, 5)], {"dim": -1}),
    ("cosine_similarity", [(4, 5), (4, 5)], {"dim": 0, "eps": 0.5}),
    ("normalize", [(4, 5)], {}),
    ("normalize", [(2, 3, 4)], {"p": 1.0, "dim": -1}),
    ("normalize", [(2, 3, 4)], {"p": 3.0, "dim": 0}),
])
def test_distances_against_torch(name, shapes, kw, device):
    r = np.random.default_rng(0)
    arrays = [r.standard_normal(s) for s in shapes]
    against_torch(lambda *a: getattr(F, name)(*a, **kw),
                  lambda *a: getattr(tF, name)(*a, **kw), arrays, device)
