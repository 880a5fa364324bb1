"""pygrad.nn.functional against torch.nn.functional: values, gradients (random upstream
gradients), double backward and float64 gradcheck, one table per family."""

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
    ("hardswish", {}), ("mish", {}), ("softplus", {}),
    ("softplus", {"beta": 2.0, "threshold": 3.0}),
    ("softsign", {}), ("tanhshrink", {}), ("logsigmoid", {}), ("glu", {}), ("glu", {"dim": 0}),
    ("softmin", {"dim": 1}), ("softmin", {"dim": 0}), ("hardshrink", {}),
    ("softshrink", {"lambd": 0.3}), ("sigmoid", {}), ("tanh", {}), ("relu", {}),
    ("softmax", {"dim": 0}), ("log_softmax", {"dim": -1}),
]


INTEGER_OK = {"relu6", "hardtanh", "softsign", "tanhshrink"}   # torch takes integer input
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
    if name in INTEGER_OK:
        y, ty = fn(pg.tensor([-9, 2, 7])), tfn(torch.tensor([-9, 2, 7]))
        assert str(y.dtype) == str(ty.dtype).removeprefix("torch.")
        np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-6)
        return
    with pytest.raises(NotImplementedError, match=name):
        fn(pg.tensor([1, 2]))
    with pytest.raises(NotImplementedError):
        tfn(torch.tensor([1, 2]))


def test_threshold_edges():
    # nan is not ≤ threshold: it passes through, with gradient 1 (as torch); ties take value
    x = np.array([float("nan"), -float("inf"), float("inf"), 0.5, 0.25, 2.0, -1.0])
    fn = (lambda t: F.threshold(t, 0.5, -2.0))
    tfn = (lambda t: tF.threshold(t, 0.5, -2.0))
    px, tx = pg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = fn(px), tfn(tx)
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_array_equal(px.grad.numpy(), tx.grad.numpy())
    against_torch(fn, tfn, [np.array([-1.0, 0.25, 2.0])], check=False)
    y, ty = fn(pg.tensor([-9, 0, 2, 7])), tfn(torch.tensor([-9, 0, 2, 7]))     # integer input
    assert str(y.dtype) == str(ty.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(y.numpy(), ty.numpy())


@pytest.mark.parametrize("shape,wshape", [((4, 3, 5), (3,)), ((4, 3), (1,)), ((7,), (1,)),
                                          ((2, 3, 2, 2), (3,))])
def test_prelu_against_torch(shape, wshape, device):
    r = np.random.default_rng(0)
    against_torch(F.prelu, tF.prelu, [r.standard_normal(shape), r.random(wshape)], device)
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers"):
        F.prelu(pg.ones(2, 3), pg.ones(2))


def test_rrelu_eval_and_training_slopes():
    x = np.random.default_rng(0).standard_normal((50, 40))
    against_torch(lambda t: F.rrelu(t, 0.1, 0.3), lambda t: tF.rrelu(t, 0.1, 0.3), [x])
    y = F.rrelu(pg.tensor(x), 0.1, 0.3, training=True).numpy()
    slopes = y[x < 0] / x[x < 0]
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.03
    np.testing.assert_array_equal(y[x >= 0], x[x >= 0])


def test_activation_bad_arguments():
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(pg.ones(2), approximate="fast")
    with pytest.raises(RuntimeError, match="Halving dimension must be even"):
        F.glu(pg.ones(2, 3))
    with pytest.raises(TypeError, match="expected input to be a Tensor"):
        F.silu([1.0])
    with pytest.raises(RuntimeError, match="alpha cannot be 0"):
        F.celu(pg.ones(2), 0.0)
    with pytest.raises(RuntimeError, match="alpha cannot be 0"):
        tF.celu(torch.ones(2), 0.0)
    with pytest.raises(ValueError, match="min_val cannot be greater"):
        tF.hardtanh(torch.ones(2), 1.0, -1.0)
    with pytest.raises(ValueError, match="min_val"):
        F.hardtanh(pg.ones(2), 1.0, -1.0)


def test_softmax_implicit_dim_and_dtype():
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    for fn in ("softmax", "log_softmax", "softmin"):
        with pytest.warns(UserWarning, match="Implicit dimension choice"):
            ref = getattr(tF, fn)(torch.tensor(x))
        with pytest.warns(UserWarning, match="Implicit dimension choice"):
            y = getattr(F, fn)(pg.tensor(x))
        np.testing.assert_allclose(y.numpy(), ref.numpy(), rtol=1e-5)
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
@pytest.mark.parametrize("kw", [{}, {"margin": 0.5, "swap": True},
                                {"distance_function": "cosine"}], ids=str)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_triplet_margin_with_distance_loss(kw, reduction):
    r = np.random.default_rng(0)
    arrays = [r.standard_normal((4, 5)) for _ in range(3)]

    def call(lib):
        f = F if lib == "pg" else tF
        k = dict(kw, reduction=reduction)
        if k.get("distance_function") == "cosine":
            k["distance_function"] = lambda a, b: 1 - f.cosine_similarity(a, b)
        return lambda *a: f.triplet_margin_with_distance_loss(*a, **k)
    against_torch(call("pg"), call("torch"), arrays)
    with pytest.raises(ValueError, match="margin"):
        F.triplet_margin_with_distance_loss(*[pg.ones(2, 2)] * 3, margin=0.0)


@pytest.mark.filterwarnings("ignore:size_average and reduce args will be deprecated")
def test_loss_legacy_reduction_arguments():
    x, y = pg.randn(3, 4), pg.randn(3, 4)
    tx, ty = torch.tensor(x.numpy()), torch.tensor(y.numpy())
    for size_average, reduce in ((None, False), (False, None), (True, True), (False, True)):
        for name in ("l1_loss", "smooth_l1_loss", "soft_margin_loss", "kl_div"):
            a = getattr(F, name)(x, y, size_average=size_average, reduce=reduce)
            b = getattr(tF, name)(tx, ty, size_average=size_average, reduce=reduce)
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name,kw", [("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}),
                                     ("huber_loss", {}), ("huber_loss", {"delta": 2.0})])
def test_quadratic_linear_losses_at_infinity(name, kw):
    # |d| = inf takes the linear branch: the value is inf and the gradient ±1 (or ±δ), as
    # torch; the quadratic branch must not turn the gradient into nan
    x = np.array([-np.inf, np.inf, 0.25, -3.0, 5.0, 0.5])
    t = np.array([0.0, 1.0, 0.0, 0.0, np.inf, 0.5])
    px, tx = pg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y = getattr(F, name)(px, pg.tensor(t), reduction="none", **kw)
    ty = getattr(tF, name)(tx, torch.tensor(t), reduction="none", **kw)
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(px.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    assert np.isfinite(px.grad.numpy()).all()


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


# ============================================================================ linear, shapes

def test_linear_and_bilinear_against_torch(device):
    r = np.random.default_rng(0)
    x, w, b = r.standard_normal((2, 3, 4)), r.standard_normal((5, 4)), r.standard_normal(5)
    against_torch(F.linear, tF.linear, [x, w, b], device)
    x1, x2 = r.standard_normal((2, 3, 4)), r.standard_normal((2, 3, 2))
    w3, b3 = r.standard_normal((5, 4, 2)), r.standard_normal(5)
    against_torch(F.bilinear, tF.bilinear, [x1, x2, w3, b3], device)
    against_torch(F.bilinear, tF.bilinear, [x1[0, 0], x2[0, 0], w3], device)
    with pytest.raises(RuntimeError, match="bilinear"):
        F.bilinear(pg.ones(3, 4), pg.ones(3, 3), pg.ones(5, 4, 2))


@pytest.mark.parametrize("num_classes", [-1, 7])
def test_one_hot_against_torch(num_classes):
    idx = np.random.default_rng(0).integers(0, 5, (3, 4))
    y = F.one_hot(pg.tensor(idx), num_classes)
    t = tF.one_hot(torch.tensor(idx), num_classes)
    assert y.dtype == pg.int64
    np.testing.assert_array_equal(y.numpy(), t.numpy())
    assert F.one_hot(pg.tensor([], dtype=pg.int64), 3).shape == (0, 3)
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(pg.tensor([5]), 3)
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(pg.tensor([-1]), 3)
    with pytest.raises(RuntimeError, match="LongTensor"):
        F.one_hot(pg.tensor([1.0]))


PADS = [   # (mode, padding, input shape): the non-constant modes as torch supports them
    ("constant", (1, 2), (2, 3, 4, 5)), ("constant", (1, 2, 0, 3), (2, 3, 4, 5)),
    ("constant", (-1, 2, 1, -1), (2, 3, 4, 5)), ("constant", (0, 0, 1, 1, 2, 0), (2, 3, 4, 5)),
    ("reflect", (2, 1), (2, 3, 5)), ("reflect", (3, 0), (4, 5)),
    ("reflect", (1, 2, 2, 0), (2, 3, 4, 5)), ("reflect", (1, 1, 1, 1, 1, 1), (1, 2, 3, 4, 5)),
    ("replicate", (3, 1), (2, 3, 5)), ("replicate", (0, 2, 4, 1), (3, 4, 5)),
    ("circular", (1, 3), (2, 3, 5)), ("circular", (2, 1, 1, 2), (2, 3, 4, 5)),
    ("circular", (1, 1, 1, 1, 1, 0), (1, 2, 3, 4, 5)),
]


@pytest.mark.parametrize("mode,padding,shape", PADS, ids=str)
def test_pad_against_torch(mode, padding, shape, device):
    x = np.random.default_rng(0).standard_normal(shape)
    against_torch(lambda t: F.pad(t, padding, mode), lambda t: tF.pad(t, padding, mode), [x],
                  device, check=len(shape) < 5)


def test_pad_value_and_errors():
    x = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_array_equal(F.pad(pg.tensor(x), (1, 1), value=2.5).numpy(),
                                  tF.pad(torch.tensor(x), (1, 1), value=2.5).numpy())
    with pytest.raises(ValueError, match="divisible by 2"):
        F.pad(pg.tensor(x), (1,))
    with pytest.raises(ValueError, match="Padding length"):
        F.pad(pg.tensor(x), (1, 1, 1, 1, 1, 1))
    with pytest.raises(RuntimeError, match="less than the corresponding input"):
        F.pad(pg.tensor(x), (5, 0), mode="reflect")
    with pytest.raises(RuntimeError):
        tF.pad(torch.tensor(x)[None], (5, 0), mode="reflect")
    with pytest.raises(NotImplementedError, match="mode"):
        F.pad(pg.tensor(x), (1, 1), mode="wrap")
    for lib, t in ((F, pg.tensor(x)), (tF, torch.tensor(x))):
        with pytest.raises(RuntimeError, match="doesn't take in value"):
            lib.pad(t, (1, 1), mode="replicate", value=1.0)


# ============================================================================ embedding

@pytest.mark.parametrize("kw", [{}, {"padding_idx": 2}, {"padding_idx": -1},
                                {"scale_grad_by_freq": True},
                                {"padding_idx": 0, "scale_grad_by_freq": True}], ids=str)
def test_embedding_against_torch(kw, device):
    r = np.random.default_rng(0)
    w = r.standard_normal((6, 4))
    idx = np.array([[0, 2, 2, 5], [1, 2, 0, 5], [3, 3, 3, 5]])
    # (padding_idx and scale_grad_by_freq change the gradient on purpose: no gradcheck)
    against_torch(lambda ww, i: F.embedding(i, ww, **kw),
                  lambda ww, i: tF.embedding(i, ww, **kw), [w, idx], device, check=not kw)


def test_embedding_max_norm_renormalises_in_place():
    r = np.random.default_rng(0)
    w = r.standard_normal((6, 4)) * 3
    idx = np.array([0, 2, 2, 4])
    pw, tw = pg.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    for nt in (2.0, 1.0):
        y = F.embedding(pg.tensor(idx), pw, max_norm=1.5, norm_type=nt)
        with torch.no_grad():
            t = tF.embedding(torch.tensor(idx), tw, max_norm=1.5, norm_type=nt)
        np.testing.assert_allclose(y.detach().numpy(), t.numpy(), rtol=1e-12)
        np.testing.assert_allclose(pw.detach().numpy(), tw.detach().numpy(), rtol=1e-12)
    assert np.allclose(pw.detach().numpy()[[1, 3, 5]], w[[1, 3, 5]])     # rows not looked up


def test_embedding_errors():
    w = pg.randn(5, 3)
    with pytest.raises(IndexError, match="index out of range"):
        F.embedding(pg.tensor([5]), w)
    with pytest.raises(IndexError, match="index out of range"):     # torch rejects -1 too
        F.embedding(pg.tensor([-1]), w)
    with pytest.raises(TypeError, match="Long, Int"):
        F.embedding(pg.tensor([1.0]), w)
    with pytest.raises(NotImplementedError, match="sparse"):
        F.embedding(pg.tensor([1]), w, sparse=True)


BAGS = [
    ({"mode": "sum"}, "offsets"), ({"mode": "mean"}, "offsets"), ({"mode": "max"}, "offsets"),
    ({"mode": "mean"}, "2d"), ({"mode": "max"}, "2d"), ({"mode": "sum"}, "2d"),
    ({"mode": "mean", "include_last_offset": True}, "offsets_last"),
    ({"mode": "sum", "padding_idx": 2}, "offsets"), ({"mode": "mean", "padding_idx": 2}, "2d"),
    ({"mode": "max", "padding_idx": 2}, "offsets"), ({"mode": "sum"}, "weights"),
]   # scale_grad_by_freq: torch's embedding_bag CPU backward scales by other indices' counts;
#     pygrad divides by each index's own count, as F.embedding (tested there)


@pytest.mark.parametrize("kw,layout", BAGS, ids=str)
def test_embedding_bag_against_torch(kw, layout, device):
    r = np.random.default_rng(0)
    w = r.standard_normal((6, 4))
    idx = np.array([0, 2, 2, 5, 1, 3, 2, 4, 0, 5])
    off = np.array([0, 3, 3, 7])          # one empty bag
    arrays = [w]
    if layout == "2d":
        arrays.append(idx.reshape(2, 5))
        call = lambda f, ww, i: f(i, ww, **kw)  # noqa: E731
    elif layout == "offsets_last":
        arrays += [idx, np.append(off, len(idx))]
        call = lambda f, ww, i, o: f(i, ww, o, **kw)  # noqa: E731
    elif layout == "weights":
        arrays += [idx, off, r.random(len(idx))]
        call = lambda f, ww, i, o, psw: f(i, ww, o, per_sample_weights=psw, **kw)  # noqa: E731
    else:
        arrays += [idx, off]
        call = lambda f, ww, i, o: f(i, ww, o, **kw)  # noqa: E731
    # torch has no double backward for per_sample_weights
    against_torch(lambda *a: call(F.embedding_bag, *a),
                  lambda *a: call(tF.embedding_bag, *a), arrays, device,
                  double=layout != "weights")


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_many_uneven_bags(mode):
    r = np.random.default_rng(1)
    w = r.standard_normal((50, 6))
    idx = r.integers(0, 50, 400)
    off = np.sort(np.concatenate([[0], r.integers(0, 400, 59)]))     # repeats: empty bags
    against_torch(lambda ww, i, o: F.embedding_bag(i, ww, o, mode=mode, padding_idx=3),
                  lambda ww, i, o: tF.embedding_bag(i, ww, o, mode=mode, padding_idx=3),
                  [w, idx, off], double=False, check=False)


def test_embedding_bag_errors():
    w = pg.randn(5, 3)
    with pytest.raises(ValueError, match="offsets has to be None"):
        F.embedding_bag(pg.tensor([[1, 2]]), w, pg.tensor([0]))
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor"):
        F.embedding_bag(pg.tensor([1, 2]), w)
    with pytest.raises(RuntimeError, match="offsets\\[0\\] has to be 0"):
        F.embedding_bag(pg.tensor([1, 2]), w, pg.tensor([1]))
    with pytest.raises(ValueError, match="mode has to be one of"):
        F.embedding_bag(pg.tensor([[1, 2]]), w, mode="min")
    with pytest.raises(NotImplementedError, match="per_sample_weights"):
        F.embedding_bag(pg.tensor([[1, 2]]), w, mode="mean", per_sample_weights=pg.ones(1, 2))


# ============================================================================ normalization

NORMS = [
    ("layer_norm", (3, 4, 5), lambda r: [r.random(5) + 0.5, r.standard_normal(5)],
     lambda x, w, b: ((5,), w, b), {}),
    ("layer_norm", (3, 4, 5), lambda r: [r.random((4, 5)) + 0.5, r.standard_normal((4, 5))],
     lambda x, w, b: ((4, 5), w, b), {"eps": 1e-3}),
    ("layer_norm", (3, 4, 5), lambda r: [], lambda x: ([5],), {}),
    ("layer_norm", (5,), lambda r: [r.random(5) + 0.5], lambda x, w: ((5,), w), {}),
    ("rms_norm", (3, 4, 5), lambda r: [r.random(5) + 0.5], lambda x, w: ((5,), w), {}),
    ("rms_norm", (3, 4, 5), lambda r: [], lambda x: ((4, 5),), {"eps": 1e-2}),
    ("group_norm", (3, 4, 5), lambda r: [r.random(4) + 0.5, r.standard_normal(4)],
     lambda x, w, b: (2, w, b), {}),
    ("group_norm", (2, 6, 2, 3), lambda r: [], lambda x: (3,), {"eps": 0.1}),
    ("group_norm", (2, 6), lambda r: [r.random(6) + 0.5, r.standard_normal(6)],
     lambda x, w, b: (6, w, b), {}),
]


@pytest.mark.parametrize("name,shape,params,args,kw", NORMS, ids=str)
def test_norm_against_torch(name, shape, params, args, kw, device):
    r = np.random.default_rng(0)
    arrays = [r.standard_normal(shape) * 2 + 1] + params(r)
    against_torch(lambda *a: getattr(F, name)(a[0], *args(*a), **kw),
                  lambda *a: getattr(tF, name)(a[0], *args(*a), **kw), arrays, device)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)])
@pytest.mark.parametrize("affine", [False, True])
def test_batch_norm_training_against_torch(shape, affine, device):
    r = np.random.default_rng(0)
    arrays = [r.standard_normal(shape) * 2 + 1]
    if affine:
        arrays += [r.random(3) + 0.5, r.standard_normal(3)]
    stats = {}

    def run(lib, x, *wb):
        mod = pg if lib == "pg" else torch
        rm = mod.tensor(np.linspace(-1, 1, 3), dtype=mod.float64)
        rv = mod.tensor(np.linspace(0.5, 2, 3), dtype=mod.float64)
        if lib == "pg":
            rm, rv = rm.to(device), rv.to(device)
        fn = F.batch_norm if lib == "pg" else tF.batch_norm
        y = fn(x, rm, rv, *wb, training=True, momentum=0.3)
        stats[lib] = (rm, rv)
        return y
    against_torch(lambda *a: run("pg", *a), lambda *a: run("torch", *a), arrays, device,
                  check=False)
    for a, b in zip(stats["pg"], stats["torch"]):
        np.testing.assert_allclose(host(a), b.numpy(), rtol=1e-12)
    # evaluation: the running statistics, with gradients to input, weight and bias
    rm, rv = np.linspace(-1, 1, 3), np.linspace(0.5, 2, 3)
    against_torch(lambda x, *wb: F.batch_norm(x, pg.tensor(rm, device=device),
                                              pg.tensor(rv, device=device), *wb),
                  lambda x, *wb: tF.batch_norm(x, torch.tensor(rm), torch.tensor(rv), *wb),
                  arrays, device)


@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("shape", [(3, 4, 5), (2, 4, 2, 3)])
def test_instance_norm_against_torch(affine, shape, device):
    r = np.random.default_rng(0)
    arrays = [r.standard_normal(shape) * 2 + 1]
    if affine:
        arrays += [r.random(4) + 0.5, r.standard_normal(4)]
    against_torch(lambda x, *wb: F.instance_norm(x, None, None, *wb),
                  lambda x, *wb: tF.instance_norm(x, None, None, *wb), arrays, device)
    stats = {}

    def run(lib, x, *wb):
        mod = pg if lib == "pg" else torch
        rm = mod.tensor(np.linspace(-1, 1, 4), dtype=mod.float64)
        rv = mod.tensor(np.linspace(0.5, 2, 4), dtype=mod.float64)
        if lib == "pg":
            rm, rv = rm.to(device), rv.to(device)
        fn = F.instance_norm if lib == "pg" else tF.instance_norm
        y = fn(x, rm, rv, *wb, use_input_stats=True, momentum=0.3)
        stats[lib] = (rm, rv)
        return fn(x, rm, rv, *wb, use_input_stats=False) + y
    against_torch(lambda *a: run("pg", *a), lambda *a: run("torch", *a), arrays, device,
                  check=False)


def test_norm_errors():
    x = pg.randn(2, 3, 4)
    with pytest.raises(RuntimeError, match="expected input with shape"):
        F.layer_norm(x, (3,))
    with pytest.raises(RuntimeError, match="expected weight of shape"):
        F.layer_norm(x, (4,), pg.ones(3))
    with pytest.raises(RuntimeError, match="divisible by num_groups"):
        F.group_norm(x, 2)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(pg.randn(1, 3), pg.zeros(3), pg.ones(3), training=True)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        tF.batch_norm(torch.randn(1, 3), torch.zeros(3), torch.ones(3), training=True)
    y = F.layer_norm(pg.randn(3, 4), (4,))
    assert y.dtype == pg.float32 and F.layer_norm(pg.zeros(0, 4), (4,)).shape == (0, 4)


@pytest.mark.parametrize("shape", [(0, 3), (0, 3, 4), (2, 3, 0)])
def test_norms_of_empty_input_like_torch(shape):
    # torch: an empty result (with the affine's graph), running statistics left as they were
    for name in ("batch_norm", "instance_norm", "group_norm"):
        if name == "instance_norm" and len(shape) < 3:
            continue
        x = np.zeros(shape, dtype=np.float32)
        rm, rv = pg.zeros(3), pg.ones(3)
        w = pg.ones(3, requires_grad=True)
        if name == "group_norm":
            y, ty = F.group_norm(pg.tensor(x), 3, w), tF.group_norm(torch.tensor(x), 3)
        else:
            kw = {"training": True} if name == "batch_norm" else {}
            y = getattr(F, name)(pg.tensor(x), rm, rv, w, **kw)
            ty = getattr(tF, name)(torch.tensor(x), torch.zeros(3), torch.ones(3), **kw)
        assert tuple(y.shape) == tuple(ty.shape) == shape and y.dtype == pg.float32
        assert (rm.numpy() == 0).all() and (rv.numpy() == 1).all()
        y.sum().backward()
        assert w.grad.shape == (3,) and (w.grad.numpy() == 0).all()


def test_norm_batch_size_checks_like_torch():
    # torch raises only when exactly one value would be normalised per channel (or group)
    cases = [("instance_norm", (2, 3, 1), {}), ("group_norm", (1, 3), {"num_groups": 3}),
             ("batch_norm", (1, 3, 1), {"training": True})]
    for name, shape, kw in cases:
        stats = () if name != "batch_norm" else (pg.zeros(3), pg.ones(3))
        tstats = () if name != "batch_norm" else (torch.zeros(3), torch.ones(3))
        with pytest.raises(ValueError, match="Expected more than 1"):
            getattr(F, name)(pg.zeros(*shape), *stats, **kw)
        with pytest.raises(ValueError, match="Expected more than 1"):
            getattr(tF, name)(torch.zeros(*shape), *tstats, **kw)
    y, ty = F.group_norm(pg.ones(2, 3), 3), tF.group_norm(torch.ones(2, 3), 3)
    np.testing.assert_array_equal(y.numpy(), ty.numpy())


@pytest.mark.parametrize("shape", [(64, 1024), (3, 7, 33), (1, 1)])
def test_layer_norm_and_gelu_float32_rows(shape, device):
    """float32 rows of the sizes fused kernels tile (and odd ones): forward and backward
    against torch's float32, with weight and bias gradients."""
    r = np.random.default_rng(0)
    n = shape[-1]
    x = (r.standard_normal(shape) * 3 + 1).astype(np.float32)
    w, b = (r.random(n) + 0.5).astype(np.float32), r.standard_normal(n).astype(np.float32)
    v = r.standard_normal(shape).astype(np.float32)
    cases = [(lambda t, ww, bb: F.layer_norm(t, (n,), ww, bb),
              lambda t, ww, bb: tF.layer_norm(t, (n,), ww, bb))]
    for approximate in ("none", "tanh"):
        cases.append((lambda t, ww, bb, a=approximate: F.gelu(t, approximate=a) * ww + bb,
                      lambda t, ww, bb, a=approximate: tF.gelu(t, approximate=a) * ww + bb))
    for fn, tfn in cases:
        xs = [pg.tensor(a, device=device, requires_grad=True) for a in (x, w, b)]
        txs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
        y, ty = fn(*xs), tfn(*txs)
        assert y.dtype == pg.float32
        np.testing.assert_allclose(host(y), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
        y.backward(pg.tensor(v, device=device))
        ty.backward(torch.tensor(v))
        for a, ta in zip(xs, txs):
            np.testing.assert_allclose(host(a.grad), ta.grad.numpy(), rtol=1e-3, atol=2e-4)
