"""Losses and Adam(amsgrad) at the edges, against the installed torch: ignored rows holding
±inf/NaN, BCE at 0 and 1 (gradients of both arguments), NaN or out-of-range BCE inputs,
degenerate class weights, and the exception class of every bad argument.

Every expected value and exception class is computed by torch in the test itself."""
import warnings

import numpy as np
import pytest

import pygrad as pg
import pygrad.nn.functional as F
from pygrad import backend, optim

torch = pytest.importorskip("torch")
tF = torch.nn.functional

inf, nan = np.inf, np.nan


def _same(got, exp, rtol=1e-6, atol=0.0, what=""):
    """Values close, and NaN / ±inf exactly where torch has them."""
    got, exp = np.asarray(got, dtype=np.float64), np.asarray(exp, dtype=np.float64)
    assert got.shape == exp.shape, f"{what}: shape {got.shape} != torch's {exp.shape}"
    np.testing.assert_array_equal(np.isnan(got), np.isnan(exp), err_msg=f"{what}: NaN pattern")
    np.testing.assert_array_equal(np.isposinf(got), np.isposinf(exp),
                                  err_msg=f"{what}: +inf pattern")
    np.testing.assert_array_equal(np.isneginf(got), np.isneginf(exp),
                                  err_msg=f"{what}: -inf pattern")
    ok = np.isfinite(exp)
    np.testing.assert_allclose(got[ok], exp[ok], rtol=rtol, atol=atol, err_msg=what)


def _host(t):
    return t.detach().cpu().numpy()


def _pg(a, device, dtype=None, requires_grad=False):
    return pg.tensor(a, dtype=dtype, device=device, requires_grad=requires_grad)


DT = {"float32": (pg.float32, torch.float32), "float64": (pg.float64, torch.float64)}


# ----------------------------------------------------------------------------- nll_loss

NLL_X = np.array([[-inf, 0.0, -1.0],     # ignored: -inf at the (ignored) label's place
                  [0.0, -inf, -2.0],     # kept, target 0
                  [-inf, -inf, -inf],    # ignored, all -inf
                  [-0.5, -inf, -1.5],    # kept, target 2
                  [nan, 1.0, 2.0]])      # ignored, NaN
NLL_T = np.array([-100, 0, -100, 2, -100])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("weight", [None, [2.0, 3.0, 0.5], [inf, 3.0, 0.5]])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_ignored_rows_with_inf_match_torch(reduction, weight, dtype, device):
    pdt, tdt = DT[dtype]
    if weight is not None and weight[0] == inf:
        t = np.array([-100, 1, -100, 2, -100])       # the inf-weighted class is only ignored
    else:
        t = NLL_T
    x = _pg(NLL_X, device, pdt, requires_grad=True)
    w = None if weight is None else _pg(weight, device, pdt)
    loss = F.nll_loss(x, _pg(t, device), weight=w, reduction=reduction)
    loss.sum().backward()
    tx = torch.tensor(NLL_X, dtype=tdt, requires_grad=True)
    tw = None if weight is None else torch.tensor(weight, dtype=tdt)
    tl = tF.nll_loss(tx, torch.tensor(t), weight=tw, reduction=reduction)
    tl.sum().backward()
    _same(_host(loss), tl.detach().numpy(), what="loss")
    _same(_host(x.grad), tx.grad.numpy(), what="grad")
    assert loss.dtype == pdt


def test_nll_loss_issue_example_is_zero_like_torch():
    x = pg.tensor([[-inf, 0.0], [0.0, -inf]], requires_grad=True)
    loss = F.nll_loss(x, pg.tensor([-100, 0]))
    loss.backward()
    tx = torch.tensor([[-inf, 0.0], [0.0, -inf]], requires_grad=True)
    tl = tF.nll_loss(tx, torch.tensor([-100, 0]))
    tl.backward()
    assert loss.item() == tl.item()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("ignore_index", [-100, 0, 2])
def test_nll_loss_ignore_index_inside_class_range(ignore_index):
    a = np.array([[1.0, -inf, 0.5], [-inf, 1.0, -inf], [0.2, 0.3, -inf]])
    t = np.array([2, 0, 1])
    for reduction in ("none", "mean", "sum"):
        x = pg.tensor(a, requires_grad=True)
        loss = F.nll_loss(x, pg.tensor(t), ignore_index=ignore_index, reduction=reduction)
        loss.sum().backward()
        tx = torch.tensor(a, requires_grad=True)
        tl = tF.nll_loss(tx, torch.tensor(t), ignore_index=ignore_index, reduction=reduction)
        tl.sum().backward()
        _same(loss.detach().numpy(), tl.detach().numpy(), what=f"loss {reduction}")
        _same(x.grad.numpy(), tx.grad.numpy(), what=f"grad {reduction}")


@pytest.mark.parametrize("weight", [[-1.0, -2.0, -3.0], [1.0, -1.0, 0.0], [0.0, 0.0, 3.0]])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_degenerate_weights(weight, reduction):
    # negative total, a total of exactly 0 (loss ±inf), every kept target weighted 0 (NaN)
    a = np.random.default_rng(0).standard_normal((4, 3))
    t = np.array([0, 1, -100, 0])
    x = pg.tensor(a, requires_grad=True)
    loss = F.nll_loss(x, pg.tensor(t), weight=pg.tensor(weight, dtype=pg.float64),
                      reduction=reduction)
    loss.sum().backward()
    tx = torch.tensor(a, requires_grad=True)
    tl = tF.nll_loss(tx, torch.tensor(t), weight=torch.tensor(weight, dtype=torch.float64),
                     reduction=reduction)
    tl.sum().backward()
    _same(loss.detach().numpy(), tl.detach().numpy(), what="loss")
    _same(x.grad.numpy(), tx.grad.numpy(), what="grad")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_spatial_with_ignored_inf(reduction):
    a = np.random.default_rng(1).standard_normal((2, 3, 4))
    a[0, :, 1] = -inf
    a[1, 2, 3] = nan
    t = np.array([[0, -100, 2, 1], [1, 1, 0, -100]])
    x = pg.tensor(a, requires_grad=True)
    loss = F.nll_loss(x, pg.tensor(t), reduction=reduction)
    loss.sum().backward()
    tx = torch.tensor(a, requires_grad=True)
    tl = tF.nll_loss(tx, torch.tensor(t), reduction=reduction)
    tl.sum().backward()
    _same(loss.detach().numpy(), tl.detach().numpy(), what="loss")
    _same(x.grad.numpy(), tx.grad.numpy(), what="grad")


@pytest.mark.parametrize("target", [1, [1], -100, [-100]])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_and_cross_entropy_single_sample_targets(target, reduction):
    # (C,) input: a 0-d target or a target of shape (1,), as torch
    a = np.array([0.3, -1.0, 2.0])
    for pf, tf in ((F.nll_loss, tF.nll_loss), (F.cross_entropy, tF.cross_entropy)):
        x = pg.tensor(a, requires_grad=True)
        loss = pf(x, pg.tensor(target), reduction=reduction)
        tx = torch.tensor(a, requires_grad=True)
        tl = tf(tx, torch.tensor(target), reduction=reduction)
        _same(loss.detach().numpy(), tl.detach().numpy(), what=f"{pf.__name__} loss")
        try:
            tl.sum().backward()
        except RuntimeError:        # torch's own backward refuses some (C,)/(1,) pairs
            continue
        loss.sum().backward()
        _same(x.grad.numpy(), tx.grad.numpy(), what=f"{pf.__name__} grad")


def test_nll_loss_double_backward_matches_torch():
    a = np.random.default_rng(2).standard_normal((5, 4))
    t = np.array([0, -100, 3, 1, -100])
    v = np.random.default_rng(3).standard_normal((5, 4))
    w = np.array([0.5, 1.0, 2.0, 1.5])
    x = pg.tensor(a, requires_grad=True)
    loss = F.nll_loss(F.log_softmax(x, 1), pg.tensor(t), weight=pg.tensor(w, dtype=pg.float64))
    (g,) = pg.autograd.grad(loss, x, create_graph=True)
    (g * pg.tensor(v)).sum().backward()
    tx = torch.tensor(a, requires_grad=True)
    tl = tF.nll_loss(tF.log_softmax(tx, 1), torch.tensor(t), weight=torch.tensor(w))
    (tg,) = torch.autograd.grad(tl, tx, create_graph=True)
    (tg * torch.tensor(v)).sum().backward()
    _same(g.detach().numpy(), tg.detach().numpy(), rtol=1e-10, atol=1e-14, what="grad")
    _same(x.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-14, what="grad of grad")


# ----------------------------------------------------------------------------- cross_entropy

CE_BAD_ROWS = [[-inf, -inf, -inf, -inf], [inf, 0.0, 1.0, 2.0], [nan, 0.0, 1.0, 2.0],
               [inf, -inf, nan, 0.0], [-inf, 0.5, -inf, 1.0]]


def _ce_both(a, t, device, create_graph=False, **kw):
    """pygrad's and torch's (loss, gradient) of cross_entropy(a, t, **kw).sum()."""
    w = kw.pop("weight", None)
    x = _pg(a, device, pg.float64, requires_grad=True)
    loss = F.cross_entropy(x, _pg(t, device), weight=None if w is None else
                           _pg(w, device, pg.float64), **kw)
    if create_graph:
        (g,) = pg.autograd.grad(loss.sum(), x, create_graph=True)
    else:
        loss.sum().backward()
        g = x.grad
    tx = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    tl = tF.cross_entropy(tx, torch.tensor(t), weight=None if w is None else
                          torch.tensor(w, dtype=torch.float64), **kw)
    tl.sum().backward()
    return _host(loss), _host(g), tl.detach().numpy(), tx.grad.numpy()


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("weight", [None, [1.0, 2.0, 0.5, 3.0]])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("bad", range(len(CE_BAD_ROWS)))
def test_cross_entropy_ignored_rows_with_nonfinite_logits(bad, reduction, weight, smoothing,
                                                          create_graph, device):
    # the loss of the ignored row is 0; its gradient is torch's: 0 where the row's softmax
    # is finite, NaN across the row where it is not (NaN or +inf logit, every logit -inf)
    rng = np.random.default_rng(bad)
    a = rng.standard_normal((4, 4))
    a[1] = CE_BAD_ROWS[bad]
    t = np.array([2, -100, 0, 3])
    loss, g, tloss, tg = _ce_both(a, t, device, create_graph, reduction=reduction,
                                  weight=weight, label_smoothing=smoothing)
    _same(loss, tloss, rtol=1e-12, what="loss")
    _same(g, tg, rtol=1e-10, atol=1e-15, what="grad")


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("upstream", [inf, -inf, nan, 2.5])
def test_cross_entropy_nonfinite_upstream_gradient(upstream, reduction, smoothing, device):
    # torch's chain (nll, then log_softmax's backward) keeps an ignored row at 0 and forms
    # inf - inf = NaN at the target (the whole row with label smoothing)
    rng = np.random.default_rng(10)
    a = rng.standard_normal((4, 3))
    a[3, 1] = -inf
    t = np.array([1, -100, 0, 2])
    gy = np.full(4 if reduction == "none" else (), upstream)
    if reduction == "none":
        gy[0] = 1.0
    x = _pg(a, device, pg.float64, requires_grad=True)
    F.cross_entropy(x, _pg(t, device), reduction=reduction,
                    label_smoothing=smoothing).backward(_pg(gy, device, pg.float64))
    tx = torch.tensor(a, requires_grad=True)
    tF.cross_entropy(tx, torch.tensor(t), reduction=reduction,
                     label_smoothing=smoothing).backward(torch.tensor(gy))
    _same(_host(x.grad), tx.grad.numpy(), rtol=1e-10, atol=1e-15, what="grad")


@pytest.mark.parametrize("weight", [[-1.0, -2.0, -3.0], [1.0, -2.0, 0.0], [0.0, 0.0, 3.0]])
@pytest.mark.parametrize("targets", [[0, 1, 2, 0], [0, 1, 0, -100]])
def test_cross_entropy_mean_with_negative_or_zero_total_weight(weight, targets, device):
    a = np.random.default_rng(4).standard_normal((4, 3))
    t = np.array(targets)
    loss, g, tloss, tg = _ce_both(a, t, device, weight=weight)
    _same(loss, tloss, rtol=1e-12, what="loss")
    if np.isfinite(tg).all():
        _same(g, tg, rtol=1e-10, atol=1e-15, what="grad")
    elif np.isnan(tg).all():                 # every kept target weighted 0: NaN, as torch
        assert np.isnan(g).all()


def test_cross_entropy_all_ignored_is_nan_with_zero_gradient(device):
    a = np.random.default_rng(5).standard_normal((3, 4))
    loss, g, tloss, tg = _ce_both(a, np.array([-100, -100, -100]), device)
    _same(loss, tloss, what="loss")
    _same(g, tg, what="grad")


@pytest.mark.parametrize("smoothing", [-0.1, nan, 0.0, 1.0])
@pytest.mark.parametrize("probabilities", [False, True])
def test_cross_entropy_label_smoothing_values_torch_accepts(smoothing, probabilities):
    rng = np.random.default_rng(6)
    a = rng.standard_normal((4, 3))
    if probabilities:
        tgt = rng.dirichlet(np.ones(3), size=4)
        y, ty = pg.tensor(tgt), torch.tensor(tgt)
    else:
        y, ty = pg.tensor([0, 2, 1, 1]), torch.tensor([0, 2, 1, 1])
    x = pg.tensor(a, requires_grad=True)
    loss = F.cross_entropy(x, y, label_smoothing=smoothing)
    loss.backward()
    tx = torch.tensor(a, requires_grad=True)
    tl = tF.cross_entropy(tx, ty, label_smoothing=smoothing)
    tl.backward()
    _same(loss.item(), tl.item(), rtol=1e-12, what="loss")
    _same(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-15, what="grad")


# ----------------------------------------------------------------------------- BCE

BCE_X = [0.0, 1.0, 0.5, 1e-45, 1 - 1e-7, 0.25, 0.0, 1.0]
BCE_Y = [1.0, 0.0, 0.5, 0.3, 0.7, 0.6, 0.0, 1.0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_gradients_of_input_and_target_match_torch(reduction, weighted, dtype, device):
    pdt, tdt = DT[dtype]
    w = [2.0, 0.5, 1.0, 3.0, 1.5, 0.25, 1.0, 2.0]
    x = _pg(BCE_X, device, pdt, requires_grad=True)
    y = _pg(BCE_Y, device, pdt, requires_grad=True)
    loss = F.binary_cross_entropy(x, y, weight=_pg(w, device, pdt) if weighted else None,
                                  reduction=reduction)
    loss.sum().backward()
    tx = torch.tensor(BCE_X, dtype=tdt, requires_grad=True)
    ty = torch.tensor(BCE_Y, dtype=tdt, requires_grad=True)
    tl = tF.binary_cross_entropy(tx, ty, weight=torch.tensor(w, dtype=tdt) if weighted else None,
                                 reduction=reduction)
    tl.sum().backward()
    rtol = 1e-6 if dtype == "float32" else 1e-12
    _same(_host(loss), tl.detach().numpy(), rtol=rtol, what="loss")
    _same(_host(x.grad), tx.grad.numpy(), rtol=rtol, what="input grad")
    # −logit(x), unclamped: +inf at x = 0, −inf at x = 1
    _same(_host(y.grad), ty.grad.numpy(), rtol=rtol, what="target grad")


@pytest.mark.parametrize("bad", [
    dict(input=[nan, 0.2]), dict(input=[1.5, 0.2]), dict(input=[-0.0, -1e-8]),
    dict(input=[0.5, inf]), dict(target=[nan, 0.0]), dict(target=[2.0, 0.0]),
    dict(target=[0.5, -inf])])
def test_bce_values_outside_0_1_raise_like_torch(bad):
    x, y = bad.get("input", [0.5, 0.2]), bad.get("target", [1.0, 0.0])
    with pytest.raises(Exception) as te:
        tF.binary_cross_entropy(torch.tensor(x), torch.tensor(y))
    with pytest.raises(type(te.value), match="should be between 0 and 1"):
        F.binary_cross_entropy(pg.tensor(x), pg.tensor(y))
    with pytest.raises(ValueError):          # still a ValueError, as before
        F.binary_cross_entropy(pg.tensor(x), pg.tensor(y))


def test_bce_inputs_at_the_bounds_are_accepted():
    x, y = [0.0, 1.0, -0.0], [0.0, 1.0, 1.0]
    _same(F.binary_cross_entropy(pg.tensor(x), pg.tensor(y), reduction="none").numpy(),
          tF.binary_cross_entropy(torch.tensor(x), torch.tensor(y), reduction="none").numpy(),
          what="loss")


def _double_backward(lib, f, x_a, y_a, gy_a, r_a, w_a, reduction, pw_a=None, logits=False):
    """First-order gradients of (x, y) with create_graph, then the gradients of
    Σ g·r with respect to x, y and the upstream gradient gy."""
    x = lib.tensor(x_a, dtype=lib.float64, requires_grad=True)
    y = lib.tensor(y_a, dtype=lib.float64, requires_grad=True)
    gy = lib.tensor(gy_a, dtype=lib.float64, requires_grad=True)
    kw = {} if w_a is None else {"weight": lib.tensor(w_a, dtype=lib.float64)}
    if pw_a is not None:
        kw["pos_weight"] = lib.tensor(pw_a, dtype=lib.float64)
    fn = f.binary_cross_entropy_with_logits if logits else f.binary_cross_entropy
    loss = fn(x, y, reduction=reduction, **kw)
    gx, gt = lib.autograd.grad(loss, [x, y], gy, create_graph=True)
    r = lib.tensor(r_a, dtype=lib.float64)
    s2 = (gx * r).sum() + (gt * r).sum()
    second = lib.autograd.grad(s2, [x, y, gy], allow_unused=True) if lib is torch else \
        lib.autograd.grad(s2, [x, y, gy])
    return [_host(t) for t in (loss, gx, gt)] + [None if t is None else _host(t)
                                                  for t in second]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_double_backward_matches_torch(reduction, weighted):
    x = [0.0, 1.0, 1e-273, 0.3, 0.999, 0.5, 1e-8]
    y = [1.0, 0.0, 0.0, 0.6, 0.2, 0.5, 1.0]
    rng = np.random.default_rng(11)
    gy = rng.standard_normal(len(x)) if reduction == "none" else 1.7
    r = rng.standard_normal(len(x))
    w = rng.random(len(x)) + 0.5 if weighted else None
    got = _double_backward(pg, F, x, y, gy, r, w, reduction)
    exp = _double_backward(torch, tF, x, y, gy, r, w, reduction)
    for name, a, b in zip(["loss", "gx", "gt", "ggx", "ggt", "ggy"], got, exp):
        _same(a, b, rtol=1e-10, what=name)


@pytest.mark.parametrize("pos_weight", [None, "vector", "full"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_with_logits_target_and_double_backward_match_torch(reduction, weighted,
                                                                pos_weight):
    x = np.array([[-1e4, -30.0, -1.0, 0.0], [0.5, 2.0, 30.0, 1e4]])
    y = np.array([[0.0, 1.0, 0.3, 0.5], [1.0, 0.2, 0.0, 1.0]])
    rng = np.random.default_rng(12)
    gy = rng.standard_normal(x.shape) if reduction == "none" else -0.8
    r = rng.standard_normal(x.shape)
    w = rng.random((1, 4)) + 0.5 if weighted else None
    pw = {None: None, "vector": rng.random(4) + 0.5, "full": rng.random(x.shape) + 0.5}[pos_weight]
    got = _double_backward(pg, F, x, y, gy, r, w, reduction, pw, logits=True)
    exp = _double_backward(torch, tF, x, y, gy, r, w, reduction, pw, logits=True)
    for name, a, b in zip(["loss", "gx", "gt", "ggx", "ggt", "ggy"], got, exp):
        if b is None:                # torch: no dependence
            assert a is None or not np.any(a), name
        else:
            _same(a, b, rtol=1e-10, atol=1e-300, what=name)


@pytest.mark.parametrize("upstream", [inf, -inf, nan])
@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_bce_with_logits_nonfinite_upstream_gradient(upstream, reduction, create_graph):
    a = np.array([0.0, -2.0, 3.0, 40.0, -40.0])
    yv = np.array([0.0, 1.0, 0.5, 1.0, 0.0])
    gy = np.full(5 if reduction == "none" else (), upstream)
    x = pg.tensor(a, requires_grad=True)
    (g,) = pg.autograd.grad(F.binary_cross_entropy_with_logits(x, pg.tensor(yv),
                                                               reduction=reduction),
                            [x], pg.tensor(gy), create_graph=create_graph)
    tx = torch.tensor(a, requires_grad=True)
    (tg,) = torch.autograd.grad(tF.binary_cross_entropy_with_logits(tx, torch.tensor(yv),
                                                                    reduction=reduction),
                                [tx], torch.tensor(gy), create_graph=create_graph)
    _same(_host(g), tg.detach().numpy(), rtol=1e-12, what="grad")


# ----------------------------------------------------------------------------- empty

EMPTY = [
    ("ce probs, no classes, smoothing",
     lambda L, f, r: f.cross_entropy(L.zeros(1, 0), L.zeros(1, 0), reduction=r,
                                     label_smoothing=0.1)),
    ("ce probs, no samples", lambda L, f, r: f.cross_entropy(L.zeros(0, 3), L.zeros(0, 3),
                                                             reduction=r)),
    ("ce, no classes, all ignored", lambda L, f, r: f.cross_entropy(
        L.zeros(2, 0), L.tensor([-100, -100]), reduction=r)),
    ("ce, no classes, smoothing", lambda L, f, r: f.cross_entropy(
        L.zeros(2, 0), L.tensor([-100, -100]), reduction=r, label_smoothing=0.2)),
    ("ce, no samples", lambda L, f, r: f.cross_entropy(
        L.zeros(0, 3), L.zeros(0, dtype=L.int64), reduction=r, label_smoothing=0.3)),
    ("ce, spatial, no positions", lambda L, f, r: f.cross_entropy(
        L.zeros(2, 3, 0), L.zeros(2, 0, dtype=L.int64), reduction=r)),
    ("ce (C,), ignored", lambda L, f, r: f.cross_entropy(L.zeros(3), L.tensor(-100),
                                                         reduction=r)),
    ("nll (0,), 0-d ignored", lambda L, f, r: f.nll_loss(L.zeros(0), L.tensor(-100),
                                                         reduction=r)),
    ("nll (0,), (1,) ignored", lambda L, f, r: f.nll_loss(L.zeros(0), L.tensor([-100]),
                                                          reduction=r)),
    ("nll, no classes", lambda L, f, r: f.nll_loss(L.zeros(2, 0), L.tensor([-100, -100]),
                                                   reduction=r)),
    ("nll, no samples", lambda L, f, r: f.nll_loss(L.zeros(0, 3), L.zeros(0, dtype=L.int64),
                                                   reduction=r)),
    ("bce, empty", lambda L, f, r: f.binary_cross_entropy(L.zeros(0), L.zeros(0),
                                                          reduction=r)),
    ("bce with logits, empty", lambda L, f, r: f.binary_cross_entropy_with_logits(
        L.zeros(0, 3), L.zeros(0, 3), pos_weight=L.ones(3), reduction=r)),
    ("bce with logits, 0-d", lambda L, f, r: f.binary_cross_entropy_with_logits(
        L.tensor(0.3), L.tensor(1.0), pos_weight=L.tensor(2.0), reduction=r)),
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", EMPTY, ids=[c[0] for c in EMPTY])
def test_losses_without_classes_or_samples_match_torch(case, reduction):
    _, fn = case
    expected = fn(torch, tF, reduction)
    with warnings.catch_warnings():
        warnings.simplefilter("error")           # torch is silent: no NumPy warnings either
        got = fn(pg, F, reduction)
    _same(got.numpy(), expected.numpy(), what="value")


# ----------------------------------------------------------------------------- mse

def test_mse_broadcasts_a_target_of_another_shape_with_torchs_warning():
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal(3)
    for reduction in ("mean", "none"):
        x = pg.tensor(a, requires_grad=True)
        with pytest.warns(UserWarning, match="different to the input size"):
            loss = F.mse_loss(x, pg.tensor(b), reduction=reduction)
        loss.sum().backward()
        tx = torch.tensor(a, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tl = tF.mse_loss(tx, torch.tensor(b), reduction=reduction)
        tl.sum().backward()
        _same(loss.detach().numpy(), tl.detach().numpy(), rtol=1e-12, what="loss")
        _same(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, what="grad")


@pytest.mark.parametrize("dtypes", [("float32", "int64"), ("int64", "float32"),
                                    ("float32", "float64"), ("float64", "float32")])
def test_mse_promotes_dtypes_like_torch(dtypes):
    a, b = [1.5, 2.0, -1.0], [1, 3, 0]
    loss = F.mse_loss(pg.tensor(a, dtype=getattr(pg, dtypes[0])),
                      pg.tensor(b, dtype=getattr(pg, dtypes[1])))
    tl = tF.mse_loss(torch.tensor(a, dtype=getattr(torch, dtypes[0])),
                     torch.tensor(b, dtype=getattr(torch, dtypes[1])))
    assert str(loss.dtype) == str(tl.dtype).replace("torch.", "")
    _same(loss.item(), tl.item(), what="loss")


# ----------------------------------------------------------------------------- exception classes

X43 = np.random.default_rng(8).standard_normal((4, 3)).astype(np.float32)
P43 = np.full((4, 3), 1 / 3, dtype=np.float32)
Z234 = np.zeros((2, 3, 4), dtype=np.float32)


def _t(lib, a, dtype=None):
    return lib.tensor(a, dtype=None if dtype is None else getattr(lib, dtype))


# each case: (name, fn(lib, F) -> loss); torch's outcome is the reference
CASES = [
    ("ce bad reduction", lambda L, f: f.cross_entropy(_t(L, X43), _t(L, [0, 1, 2, 0]),
                                                      reduction="avg")),
    ("nll bad reduction", lambda L, f: f.nll_loss(_t(L, X43), _t(L, [0, 1, 2, 0]),
                                                  reduction="avg")),
    ("mse bad reduction", lambda L, f: f.mse_loss(_t(L, X43), _t(L, X43), reduction="avg")),
    ("bce bad reduction", lambda L, f: f.binary_cross_entropy(_t(L, P43), _t(L, P43),
                                                              reduction="avg")),
    ("bcel bad reduction", lambda L, f: f.binary_cross_entropy_with_logits(
        _t(L, X43), _t(L, P43), reduction="sum_all")),
    ("ce batch mismatch", lambda L, f: f.cross_entropy(_t(L, X43), _t(L, [0, 1, 2, 0, 1]))),
    ("ce 0-d target for 2-d input", lambda L, f: f.cross_entropy(_t(L, X43), _t(L, 1))),
    ("ce multi-target", lambda L, f: f.cross_entropy(_t(L, X43), _t(L, [[0, 1]] * 4))),
    ("ce int target of input's shape", lambda L, f: f.cross_entropy(
        _t(L, X43), _t(L, np.zeros((4, 3), np.int64)))),
    ("ce float target (N,)", lambda L, f: f.cross_entropy(_t(L, X43), _t(L, [0., 1., 2., 0.]))),
    ("ce float target (N, 2)", lambda L, f: f.cross_entropy(
        _t(L, X43), _t(L, np.zeros((4, 2), np.float32)))),
    ("ce bool target", lambda L, f: f.cross_entropy(_t(L, X43), _t(L, [True, False] * 2))),
    ("ce uint8 target", lambda L, f: f.cross_entropy(_t(L, X43), _t(L, [0, 1, 2, 0], "uint8"))),
    ("ce spatial target shape", lambda L, f: f.cross_entropy(
        _t(L, Z234), _t(L, np.zeros((2, 5), np.int64)))),
    ("ce spatial target (N,)", lambda L, f: f.cross_entropy(
        _t(L, Z234), _t(L, np.zeros((2,), np.int64)))),
    ("ce 1-d input, target (2,)", lambda L, f: f.cross_entropy(_t(L, X43[0]), _t(L, [1, 0]))),
    ("ce (1,) input, target (1,)", lambda L, f: f.cross_entropy(_t(L, X43[0, :1]), _t(L, [0]))),
    ("ce 0-d input, int target", lambda L, f: f.cross_entropy(_t(L, 1.0), _t(L, 0))),
    ("ce 0-d input, float target", lambda L, f: f.cross_entropy(_t(L, 1.0), _t(L, 1.0))),
    ("ce weight shape", lambda L, f: f.cross_entropy(_t(L, X43), _t(L, [0, 1, 2, 0]),
                                                     weight=_t(L, [1., 2.]))),
    ("ce weight 2-d", lambda L, f: f.cross_entropy(_t(L, X43), _t(L, [0, 1, 2, 0]),
                                                   weight=_t(L, [[1., 2., 3.]]))),
    ("ce weight int", lambda L, f: f.cross_entropy(_t(L, X43), _t(L, [0, 1, 2, 0]),
                                                   weight=_t(L, [1, 2, 3]))),
    ("ce probs weight shape", lambda L, f: f.cross_entropy(_t(L, X43), _t(L, P43),
                                                           weight=_t(L, [1., 2.]))),
    ("ce probs weight int", lambda L, f: f.cross_entropy(_t(L, X43), _t(L, P43),
                                                         weight=_t(L, [1, 2, 3]))),
    ("ce label_smoothing 1.5", lambda L, f: f.cross_entropy(_t(L, X43), _t(L, [0, 1, 2, 0]),
                                                            label_smoothing=1.5)),
    ("ce probs label_smoothing 1.5", lambda L, f: f.cross_entropy(_t(L, X43), _t(L, P43),
                                                                  label_smoothing=1.5)),
    ("ce int input", lambda L, f: f.cross_entropy(_t(L, [[1, 2], [3, 4]]), _t(L, [0, 1]))),
    ("ce target out of range", lambda L, f: f.cross_entropy(_t(L, X43), _t(L, [0, 1, 3, 0]))),
    ("ce target list", lambda L, f: f.cross_entropy(_t(L, X43), [0, 1, 2, 0])),
    ("nll 0-d input", lambda L, f: f.nll_loss(_t(L, 1.0), _t(L, 0))),
    ("nll batch mismatch", lambda L, f: f.nll_loss(_t(L, X43), _t(L, [0, 1, 2]))),
    ("nll multi-target", lambda L, f: f.nll_loss(_t(L, X43), _t(L, [[0, 1]] * 4))),
    ("nll 1-d input, target (1, 1)", lambda L, f: f.nll_loss(_t(L, X43[0]), _t(L, [[0]]))),
    ("nll 1-d input, target (2,)", lambda L, f: f.nll_loss(_t(L, X43[0]), _t(L, [0, 1]))),
    ("nll spatial target shape", lambda L, f: f.nll_loss(
        _t(L, Z234), _t(L, np.zeros((2, 5), np.int64)))),
    ("nll spatial batch", lambda L, f: f.nll_loss(
        _t(L, Z234), _t(L, np.zeros((3, 4), np.int64)))),
    ("nll float target", lambda L, f: f.nll_loss(_t(L, X43), _t(L, [0., 1., 2., 0.]))),
    ("nll weight shape", lambda L, f: f.nll_loss(_t(L, X43), _t(L, [0, 1, 2, 0]),
                                                 weight=_t(L, [1., 2.]))),
    ("nll weight int", lambda L, f: f.nll_loss(_t(L, X43), _t(L, [0, 1, 2, 0]),
                                               weight=_t(L, [1, 2, 3]))),
    ("nll int input", lambda L, f: f.nll_loss(_t(L, [[1, 2], [3, 4]]), _t(L, [0, 1]))),
    ("nll target out of range", lambda L, f: f.nll_loss(_t(L, X43), _t(L, [0, -1, 2, 0]))),
    ("mse shape, no broadcast", lambda L, f: f.mse_loss(_t(L, X43), _t(L, X43[:, :2]))),
    ("mse int and int", lambda L, f: f.mse_loss(_t(L, [1, 2]), _t(L, [1, 3]))),
    ("mse int target", lambda L, f: f.mse_loss(_t(L, [1., 2.]), _t(L, [1, 3]))),
    ("mse int input", lambda L, f: f.mse_loss(_t(L, [1, 2]), _t(L, [1., 3.]))),
    ("bce target shape", lambda L, f: f.binary_cross_entropy(_t(L, P43), _t(L, P43[0]))),
    ("bce weight 2-d", lambda L, f: f.binary_cross_entropy(
        _t(L, [.5, .2, .3]), _t(L, [1., 0., 1.]), weight=_t(L, np.ones((2, 3), np.float32)))),
    ("bce weight (2,)", lambda L, f: f.binary_cross_entropy(
        _t(L, [.5, .2, .3]), _t(L, [1., 0., 1.]), weight=_t(L, [1., 2.]))),
    ("bce weight int", lambda L, f: f.binary_cross_entropy(_t(L, [.5, .2]), _t(L, [1., 0.]),
                                                           weight=_t(L, [1, 2]))),
    ("bce int input", lambda L, f: f.binary_cross_entropy(_t(L, [0, 1]), _t(L, [1, 0]))),
    ("bce int input float target", lambda L, f: f.binary_cross_entropy(_t(L, [0, 1]),
                                                                       _t(L, [1., 0.]))),
    ("bce int target", lambda L, f: f.binary_cross_entropy(_t(L, [0., 1.]), _t(L, [1, 0]))),
    ("bce NaN input", lambda L, f: f.binary_cross_entropy(_t(L, [nan, .2]), _t(L, [1., 0.]))),
    ("bcel target shape", lambda L, f: f.binary_cross_entropy_with_logits(
        _t(L, X43), _t(L, X43[0]))),
    ("bcel weight no broadcast", lambda L, f: f.binary_cross_entropy_with_logits(
        _t(L, X43), _t(L, P43), weight=_t(L, [1., 2.]))),
    ("bcel pos_weight no broadcast", lambda L, f: f.binary_cross_entropy_with_logits(
        _t(L, X43), _t(L, P43), pos_weight=_t(L, [1., 2.]))),
    ("bcel weight larger than input", lambda L, f: f.binary_cross_entropy_with_logits(
        _t(L, X43[0]), _t(L, P43[0]), weight=_t(L, X43))),
    ("bcel pos_weight larger than input", lambda L, f: f.binary_cross_entropy_with_logits(
        _t(L, X43[0]), _t(L, P43[0]), pos_weight=_t(L, X43))),
    ("bcel int target", lambda L, f: f.binary_cross_entropy_with_logits(_t(L, [0., 1.]),
                                                                        _t(L, [1, 0]))),
    ("bcel int input", lambda L, f: f.binary_cross_entropy_with_logits(_t(L, [0, 1]),
                                                                       _t(L, [1., 0.]))),
    ("bcel int weight", lambda L, f: f.binary_cross_entropy_with_logits(
        _t(L, [.5, .2]), _t(L, [1., 0.]), weight=_t(L, [1, 2]))),
    ("bcel int pos_weight", lambda L, f: f.binary_cross_entropy_with_logits(
        _t(L, [.5, .2]), _t(L, [1., 0.]), pos_weight=_t(L, [1, 2]))),
    ("bcel 0-d", lambda L, f: f.binary_cross_entropy_with_logits(_t(L, 0.3), _t(L, 1.))),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_arguments_raise_torchs_exception_class(case):
    _, fn = case
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")      # torch's own size warning before it raises
            expected = fn(torch, tF)
    except Exception as e:          # noqa: BLE001 - whatever torch raises is the reference
        cls = type(e)
        assert cls.__module__ == "builtins", f"torch raised {cls!r}"
        with pytest.raises(cls) as info:
            fn(pg, F)
        assert "Traceback" not in str(info.value)
        assert str(info.value)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = fn(pg, F)
    _same(got.detach().numpy(), expected.detach().numpy(), rtol=1e-6, what="value")


@pytest.mark.parametrize("name", ["ce", "nll", "bce"])
def test_a_weight_that_requires_grad_is_refused_like_torch(name):
    def call(L, f, w):
        if name == "ce":
            return f.cross_entropy(_t(L, X43), _t(L, [0, 1, 2, 0]), weight=w)
        if name == "nll":
            return f.nll_loss(_t(L, X43), _t(L, [0, 1, 2, 0]), weight=w)
        return f.binary_cross_entropy(_t(L, P43[0]), _t(L, P43[0]), weight=w)
    tw = torch.tensor([1., 2., 3.], requires_grad=True)
    with pytest.raises(Exception) as te:
        call(torch, tF, tw)
    pw = pg.tensor([1., 2., 3.], requires_grad=True)
    with pytest.raises(type(te.value), match="not differentiable with respect to argument"):
        call(pg, F, pw)
    with torch.no_grad():                       # no graph: accepted by both
        expected = call(torch, tF, tw)
    with pg.no_grad():
        got = call(pg, F, pw)
    _same(got.numpy(), expected.numpy(), rtol=1e-6, what="value")


# Accepted by pygrad where torch refuses: integer class indices of any integer dtype, and a
# floating weight or BCE target of another float dtype (cast to the input's). The values are
# torch's for the same call with the dtypes torch wants.
LENIENT = [
    ("int32 target", lambda L, f, c: f.cross_entropy(
        _t(L, X43), _t(L, [0, 1, 2, 0], "int32" if c else "int64"))),
    ("nll int32 target", lambda L, f, c: f.nll_loss(
        _t(L, X43), _t(L, [0, 1, 2, 0], "int32" if c else "int64"))),
    ("float64 class weight", lambda L, f, c: f.cross_entropy(
        _t(L, X43), _t(L, [0, 1, 2, 0]), weight=_t(L, [1., 2., 3.], "float64" if c else None))),
    ("bce float64 target", lambda L, f, c: f.binary_cross_entropy(
        _t(L, P43), _t(L, P43, "float64" if c else None))),
]


@pytest.mark.parametrize("case", LENIENT, ids=[c[0] for c in LENIENT])
def test_mixed_integer_and_float_dtypes_pygrad_accepts(case):
    _, fn = case
    with pytest.raises(RuntimeError):
        fn(torch, tF, True)
    _same(fn(pg, F, True).numpy(), fn(torch, tF, False).numpy(), rtol=1e-6, what="value")


# ----------------------------------------------------------------------------- Adam amsgrad

def _grads_with_nonfinite(rng, shape, step):
    g = rng.standard_normal(shape)
    if step == 2:
        g.reshape(-1)[0] = nan
        g.reshape(-1)[1] = inf
        g.reshape(-1)[2] = -inf
    return g


@pytest.mark.parametrize("backend_name", ["default", "reference"])
@pytest.mark.parametrize("kw", [dict(lr=0.01, amsgrad=True),
                                dict(lr=0.01, amsgrad=True, weight_decay=0.1, maximize=True)])
def test_adam_amsgrad_propagates_nan_like_torch(kw, backend_name, device):
    if backend_name == "reference" and device != "cpu":
        pytest.skip("the reference backend runs on the cpu")
    rng = np.random.default_rng(9)
    shapes = [(3, 4), (5,)]
    init = [rng.standard_normal(s) for s in shapes]
    ps = [pg.tensor(a, dtype=pg.float32, device=device, requires_grad=True) for a in init]
    tps = [torch.tensor(a, dtype=torch.float32, requires_grad=True) for a in init]
    opt, topt = optim.Adam(ps, **kw), torch.optim.Adam(tps, **kw)
    ctx = backend.use("reference") if backend_name == "reference" else _nothing()
    with ctx, np.errstate(invalid="ignore", over="ignore"):
        for step in (1, 2, 3):
            for k, s in enumerate(shapes):
                g = _grads_with_nonfinite(rng, s, step) if k == 0 else rng.standard_normal(s)
                ps[k].grad = pg.tensor(g, dtype=pg.float32, device=device)
                tps[k].grad = torch.tensor(g, dtype=torch.float32)
            opt.step()
            topt.step()
            for k in range(len(shapes)):
                what = f"step {step} tensor {k}"
                _same(_host(ps[k]), tps[k].detach().numpy(), rtol=1e-5, atol=1e-7,
                      what=f"{what} param")
                vmax = opt.state[ps[k]]["max_exp_avg_sq"]
                vmax = vmax.get() if hasattr(vmax, "get") else vmax
                _same(vmax, topt.state[tps[k]]["max_exp_avg_sq"].numpy(), rtol=1e-5,
                      atol=1e-12, what=f"{what} max_exp_avg_sq")
    assert np.isnan(_host(ps[0]).reshape(-1)[0])


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
