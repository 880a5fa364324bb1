"""Losses: three-way checks over every option, extreme values and torch's edge cases."""
import numpy as np
import pytest
from _check import check_op, torch

import pygrad as pg
import pygrad.nn.functional as F

tF = torch.nn.functional if torch is not None else None


def _targets(n, c, rng, ignore=False):
    t = rng.integers(0, c, size=n)
    if ignore:
        t[::3] = -100
    return t


def _ce(t, **kw):
    def fn(x):
        if isinstance(x, pg.Tensor):
            w = kw.get("weight")
            kw2 = dict(kw, weight=None if w is None else pg.tensor(w, dtype=x.dtype,
                                                                     device=x.device))
            return F.cross_entropy(x, pg.tensor(t, device=x.device), **kw2)
        w = kw.get("weight")
        kw2 = dict(kw, weight=None if w is None else torch.tensor(w, dtype=x.dtype))
        return tF.cross_entropy(x, torch.tensor(t), **kw2)
    return fn


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [False, True])
def test_cross_entropy_options(reduction, smoothing, weighted, ignore, device):
    rng = np.random.default_rng(0)
    n, c = 7, 5
    t = _targets(n, c, rng, ignore)
    w = rng.random(c) + 0.5 if weighted else None
    check_op(_ce(t, weight=w, reduction=reduction, label_smoothing=smoothing), [(n, c)], device)


@pytest.mark.parametrize("shape", [(4, 3, 5), (2, 3, 2, 2)])
def test_cross_entropy_spatial(shape, device):
    rng = np.random.default_rng(1)
    t = rng.integers(0, shape[1], size=(shape[0],) + shape[2:])
    check_op(_ce(t), [shape], device)
    check_op(_ce(t, reduction="none"), [shape], device)


def test_cross_entropy_single_sample(device):
    check_op(_ce(np.array(2)), [(5,)], device)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_probability_targets(smoothing, device):
    p = np.random.default_rng(2).dirichlet(np.ones(4), size=6)

    def fn(x):
        if isinstance(x, pg.Tensor):
            return F.cross_entropy(x, pg.tensor(p, dtype=x.dtype, device=x.device),
                                   label_smoothing=smoothing)
        return tF.cross_entropy(x, torch.tensor(p, dtype=x.dtype), label_smoothing=smoothing)
    check_op(fn, [(6, 4)], device)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss(reduction, weighted, device):
    rng = np.random.default_rng(3)
    t = _targets(6, 4, rng, ignore=True)
    w = rng.random(4) + 0.5 if weighted else None

    def fn(x):
        if isinstance(x, pg.Tensor):
            wt = None if w is None else pg.tensor(w, dtype=x.dtype, device=x.device)
            return F.nll_loss(x.log_softmax(1), pg.tensor(t, device=x.device), weight=wt,
                              reduction=reduction)
        wt = None if w is None else torch.tensor(w, dtype=x.dtype)
        return tF.nll_loss(x.log_softmax(1), torch.tensor(t), weight=wt, reduction=reduction)
    check_op(fn, [(6, 4)], device)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("pos_weight", [None, "vector", "full"])
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_with_logits(reduction, pos_weight, weighted, device):
    rng = np.random.default_rng(4)
    y = rng.random((5, 3))
    pw = {None: None, "vector": rng.random(3) + 0.5, "full": rng.random((5, 3)) + 0.5}[pos_weight]
    w = rng.random((1, 3)) + 0.5 if weighted else None

    def fn(x):
        lib, f = (pg, F) if isinstance(x, pg.Tensor) else (torch, tF)
        kw = {}
        if isinstance(x, pg.Tensor):
            mk = lambda a: pg.tensor(a, dtype=x.dtype, device=x.device)  # noqa: E731
        else:
            mk = lambda a: torch.tensor(a, dtype=x.dtype)  # noqa: E731
        if pw is not None:
            kw["pos_weight"] = mk(pw)
        if w is not None:
            kw["weight"] = mk(w)
        return f.binary_cross_entropy_with_logits(x, mk(y), reduction=reduction, **kw)
    check_op(fn, [(5, 3)], device)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy(reduction, device):
    rng = np.random.default_rng(5)
    y = rng.random((4, 3))
    w = rng.random(3) + 0.5

    def fn(x):
        if isinstance(x, pg.Tensor):
            return F.binary_cross_entropy(x.sigmoid(), pg.tensor(y, dtype=x.dtype,
                                          device=x.device), reduction=reduction,
                                          weight=pg.tensor(w, dtype=x.dtype, device=x.device))
        return tF.binary_cross_entropy(x.sigmoid(), torch.tensor(y, dtype=x.dtype),
                                       reduction=reduction, weight=torch.tensor(w, dtype=x.dtype))
    check_op(fn, [(4, 3)], device)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss(reduction, device):
    def fn(a, b):
        f = F if isinstance(a, pg.Tensor) else tF
        return f.mse_loss(a, b, reduction=reduction)
    check_op(fn, [(4, 3), (4, 3)], device)


# ----------------------------------------------------------------------------- extremes

def _both(a, t, **kw):
    x = pg.tensor(a, requires_grad=True)
    loss = F.cross_entropy(x, pg.tensor(t), **kw)
    loss.backward()
    return loss, x.grad


@pytest.mark.skipif(torch is None, reason="torch not installed")
def test_cross_entropy_extreme_logits_match_torch():
    a = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [0.0, 0.0, 0.0]], dtype=np.float32)
    t = np.array([1, 2, 0])
    loss, g = _both(a, t)
    tx = torch.tensor(a, requires_grad=True)
    tl = tF.cross_entropy(tx, torch.tensor(t))
    tl.backward()
    assert np.isfinite(loss.item())
    np.testing.assert_allclose(loss.item(), tl.item(), rtol=1e-6)
    np.testing.assert_allclose(g.numpy(), tx.grad.numpy(), atol=1e-7)


@pytest.mark.skipif(torch is None, reason="torch not installed")
def test_masked_rows_match_torch():
    inf = np.inf
    a = np.array([[0.5, -inf, 1.0], [-inf, -inf, -inf], [2.0, -inf, -inf]], dtype=np.float32)
    # a fully masked row that is ignored adds nothing to the loss (no NaN), as torch; its
    # gradient is torch's too: NaN, since its softmax is
    t = np.array([0, -100, 0])
    loss, g = _both(a, t)
    tx = torch.tensor(a, requires_grad=True)
    tl = tF.cross_entropy(tx, torch.tensor(t))
    tl.backward()
    np.testing.assert_allclose(loss.item(), tl.item(), rtol=1e-6)
    np.testing.assert_allclose(g.numpy(), tx.grad.numpy(), atol=1e-7)
    # softmax of a fully masked row is NaN in torch too; partial rows are finite
    s = pg.tensor(a).softmax(1).numpy()
    ts = torch.tensor(a).softmax(1).numpy()
    np.testing.assert_array_equal(np.isnan(s), np.isnan(ts))
    np.testing.assert_allclose(s[[0, 2]], ts[[0, 2]], rtol=1e-6)


@pytest.mark.skipif(torch is None, reason="torch not installed")
def test_sigmoid_and_bce_logits_extremes():
    a = np.array([-1e4, -100.0, -20.0, 0.0, 20.0, 100.0, 1e4], dtype=np.float32)
    x = pg.tensor(a, requires_grad=True)
    y = x.sigmoid()
    y.sum().backward()
    tx = torch.tensor(a, requires_grad=True)
    tx.sigmoid().sum().backward()
    np.testing.assert_allclose(y.numpy(), torch.sigmoid(torch.tensor(a)).numpy(), rtol=1e-6,
                               atol=1e-38)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-30)
    yt = np.array([1, 0, 1, 0, 1, 0, 1], dtype=np.float32)
    x = pg.tensor(a, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, pg.tensor(yt))
    loss.backward()
    tx = torch.tensor(a, requires_grad=True)
    tl = tF.binary_cross_entropy_with_logits(tx, torch.tensor(yt))
    tl.backward()
    assert np.isfinite(loss.item())
    np.testing.assert_allclose(loss.item(), tl.item(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-9)


def test_all_targets_ignored_gives_nan_like_torch():
    x = pg.randn(3, 4, requires_grad=True)
    loss = F.cross_entropy(x, pg.tensor([-100, -100, -100]))
    assert np.isnan(loss.item())
    loss.backward()
    assert np.all(np.isfinite(x.grad.numpy()))


def test_bce_log_clamped_at_minus_100():
    loss = F.binary_cross_entropy(pg.tensor([0.0, 1.0]), pg.tensor([1.0, 0.0]),
                                  reduction="none")
    np.testing.assert_allclose(loss.numpy(), [100.0, 100.0])


def test_backward_only_scales_saved_gradient():
    # With reduction='sum' and an explicit upstream gradient the saved gradient is scaled.
    x = pg.randn(4, 3, requires_grad=True)
    t = pg.tensor([0, 1, 2, 1])
    F.cross_entropy(x, t, reduction="sum").backward(pg.tensor(2.0))
    g2 = x.grad.numpy().copy()
    x.grad = None
    F.cross_entropy(x, t, reduction="sum").backward()
    np.testing.assert_allclose(g2, 2 * x.grad.numpy(), rtol=1e-6)


def test_nll_loss_spatial_single_and_all_ignored(device):
    rng = np.random.default_rng(7)
    t = rng.integers(0, 3, size=(2, 4))

    def fn(x):
        if isinstance(x, pg.Tensor):
            return F.nll_loss(x.log_softmax(1), pg.tensor(t, device=x.device))
        return tF.nll_loss(x.log_softmax(1), torch.tensor(t))
    check_op(fn, [(2, 3, 4)], device)
    x = pg.randn(3, 4, requires_grad=True, device=device)
    loss = F.nll_loss(x, pg.tensor([-100, -100, -100], device=device))
    assert np.isnan(loss.item())
    loss.backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), 0.0)
    with pytest.raises(IndexError, match="nll_loss: target 9"):
        F.nll_loss(x, pg.tensor([0, 9, 1], device=device))
    with pytest.raises(ValueError, match=r"weight must have shape \(4,\)"):
        F.nll_loss(x, pg.tensor([0, 1, 1], device=device), weight=pg.ones(2, device=device))


def test_bce_with_logits_composite_at_zero_matches_torch():
    # the weighted path is the composite formula: its gradient at x == 0 is σ(0) − y
    x = pg.zeros(2, requires_grad=True)
    F.binary_cross_entropy_with_logits(x, pg.tensor([1.0, 0.0]), weight=pg.ones(2),
                                       reduction="sum").backward()
    np.testing.assert_allclose(x.grad.numpy(), [-0.5, 0.5])


def test_bce_weight_must_broadcast_to_input():
    with pytest.raises(ValueError, match=r"weight of shape \(2, 3\) must broadcast"):
        F.binary_cross_entropy(pg.full((3,), 0.5), pg.ones(3), weight=pg.ones(2, 3))
