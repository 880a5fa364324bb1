"""Raw CuPy arrays and GPU tensors where the API takes them: metrics, load_state_dict (Module
and Optimizer) and pg.save. Without a GPU the arrays come from the cudasim stand-in cupy
(tests/_fake_cupy.py), whose ``.data`` is a device pointer as on a real CuPy array."""
import io
import warnings

import numpy as np
import pytest

import pygrad as pg
import pygrad.nn as nn
from pygrad import metrics as M
from pygrad import optim

from _fake_cupy import cuda_tensor, cupy_array

WRAPS = {"cupy": cupy_array, "cuda-tensor": cuda_tensor}


def test_fake_arrays_look_like_cupy():
    x = cupy_array([1.0, 2.0])
    assert type(x).__module__ == "cupy" and not hasattr(x.data, "get")
    assert type(x.data).__module__ == "cupy.cuda.memory"
    assert type(x.get()) is np.ndarray and x.get().tolist() == [1.0, 2.0]
    t = cuda_tensor([1, 2], dtype=np.int64)
    assert str(t.device) == "cuda:0" and type(t._data).__module__ == "cupy"


# ----------------------------------------------------------------------------- metrics

@pytest.mark.parametrize("wrap", sorted(WRAPS))
def test_to_numpy_brings_device_arrays_to_the_host(wrap):
    a = np.array([[0, 1], [2, 3]], dtype=np.int64)
    got = M.to_numpy(WRAPS[wrap](a))
    assert type(got) is np.ndarray and got.dtype == np.int64
    np.testing.assert_array_equal(got, a)
    np.testing.assert_array_equal(M.to_numpy(pg.tensor(a)), a)
    np.testing.assert_array_equal(M.to_numpy([[0, 1], [2, 3]]), a)


@pytest.mark.parametrize("wrap", sorted(WRAPS))
def test_metrics_on_device_inputs_match_sklearn(wrap):
    skm = pytest.importorskip("sklearn.metrics")
    dev = WRAPS[wrap]
    rng = np.random.default_rng(3)
    n = 50
    y_true = rng.integers(0, 3, n)
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, 3, n))
    w = rng.random(n)
    t, p, sw = dev(y_true), dev(y_pred), dev(w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for average in (None, "micro", "macro", "weighted"):
            kw = dict(average=average, zero_division=0)
            for ours, theirs in ((M.precision, skm.precision_score),
                                 (M.recall, skm.recall_score), (M.f1_score, skm.f1_score)):
                np.testing.assert_allclose(ours(t, p, sample_weight=sw, **kw),
                                           theirs(y_true, y_pred, sample_weight=w, **kw))
        assert M.accuracy(t, p, sample_weight=sw) == pytest.approx(
            skm.accuracy_score(y_true, y_pred, sample_weight=w))
        np.testing.assert_array_equal(
            M.confusion_matrix(t, p, labels=dev(np.array([2, 0, 1]))),
            skm.confusion_matrix(y_true, y_pred, labels=[2, 0, 1]))
        assert M.classification_report(t, p, digits=3) == \
            skm.classification_report(y_true, y_pred, digits=3)
        yb = (y_true == 1).astype(np.int64)
        score = np.round(rng.random(n) * 0.5 + 0.4 * yb, 1)
        for a, b in zip(M.precision_recall_curve(dev(yb), dev(score)),
                        skm.precision_recall_curve(yb, score)):
            np.testing.assert_allclose(a, b)
        assert M.average_precision(dev(yb), dev(score)) == \
            pytest.approx(skm.average_precision_score(yb, score))
        s3 = rng.random((n, 3))
        np.testing.assert_allclose(M.average_precision(t, dev(s3), average="macro"),
                                   skm.average_precision_score(y_true, s3, average="macro"))


# ----------------------------------------------------------------------------- Module

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.out = nn.Linear(2, 1)


@pytest.mark.parametrize("wrap", sorted(WRAPS))
def test_module_load_state_dict_from_device_arrays(wrap):
    src, dst = Net(), Net()
    sd = {k: WRAPS[wrap](v.numpy()) for k, v in src.state_dict().items()}
    dst.load_state_dict(sd)
    for k, v in src.state_dict().items():
        got = dst.state_dict()[k]
        assert got.device.type == "cpu" and got.dtype == pg.float32
        np.testing.assert_array_equal(got.numpy(), v.numpy())
    # float64 device arrays are cast to the parameter's dtype
    dst.load_state_dict({k: WRAPS[wrap](v.numpy().astype(np.float64) + 1)
                         for k, v in src.state_dict().items()})
    np.testing.assert_allclose(dst.fc.weight.numpy(), src.fc.weight.numpy() + 1, rtol=1e-6)
    assert dst.fc.weight.dtype == pg.float32


def test_module_load_state_dict_bad_values_change_nothing():
    net = Net()
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like, got <class 'list'>"):
        net.load_state_dict([1, 2])
    good = {k: v.numpy() + 1 for k, v in net.state_dict().items()}
    for bad, what in (([[1.0, 2.0, 3.0]] * 2, "<class 'list'>"), ("ab", "<class 'str'>"),
                      (np.array([["a", "b", "c"]] * 2), "an array of dtype <U1"),
                      (np.zeros((2, 3), np.complex64), "an array of dtype complex64"),
                      (None, "<class 'NoneType'>")):
        sd = dict(good, **{"fc.weight": bad})
        with pytest.raises(RuntimeError, match=r'While copying the parameter named "fc.weight", '
                                               r"expected a Tensor or an array from checkpoint "
                                               r"but received " + what.replace("(", r"\(")):
            net.load_state_dict(sd)
        for k, v in net.state_dict().items():
            np.testing.assert_array_equal(v.numpy(), before[k])
    sd = dict(good, **{"out.bias": cupy_array(np.zeros(3, np.float32))})
    with pytest.raises(RuntimeError, match=r"size mismatch for out.bias: .* shape \(3,\)"):
        net.load_state_dict(sd)
    np.testing.assert_array_equal(net.fc.weight.numpy(), before["fc.weight"])


# ----------------------------------------------------------------------------- Optimizer

def _trained(steps=3):
    w = pg.tensor(np.linspace(-1, 1, 6).reshape(2, 3), dtype=pg.float64, requires_grad=True)
    opt = optim.Adam([w], lr=0.05, amsgrad=True)
    for _ in range(steps):
        _step(w, opt)
    return w, opt


def _step(w, opt):
    opt.zero_grad()
    ((w * w).sum() + w.sum()).backward()
    opt.step()


@pytest.mark.parametrize("wrap", sorted(WRAPS))
def test_optimizer_load_state_dict_from_device_arrays(wrap):
    w1, o1 = _trained()
    sd = o1.state_dict()
    moved = {"state": {i: {k: v if isinstance(v, (int, float)) else WRAPS[wrap](v.numpy())
                           for k, v in s.items()} for i, s in sd["state"].items()},
             "param_groups": sd["param_groups"]}
    moved["state"][0]["step"] = WRAPS[wrap](np.array(3))
    w2 = pg.tensor(w1.numpy(), dtype=pg.float64, requires_grad=True)
    o2 = optim.Adam([w2], lr=0.5)
    o2.load_state_dict(moved)
    assert o2.state[w2]["step"] == 3 and o2.param_groups[0]["lr"] == 0.05
    for k, v in o2.state[w2].items():
        if k != "step":
            assert type(v) is np.ndarray and v.dtype == np.float64
    for _ in range(3):
        _step(w1, o1)
        _step(w2, o2)
    np.testing.assert_array_equal(w1.numpy(), w2.numpy())


def test_optimizer_load_state_dict_bad_input_changes_nothing():
    w, opt = _trained()
    sd = opt.state_dict()
    before = {k: (v.copy() if hasattr(v, "copy") else v) for k, v in opt.state[w].items()}
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        opt.load_state_dict([sd])
    with pytest.raises(ValueError, match="expected a dict with 'state'"):
        opt.load_state_dict({"state": [], "param_groups": sd["param_groups"]})
    with pytest.raises(ValueError, match="parameter group 0 must be a dict with a 'params'"):
        opt.load_state_dict({"state": {}, "param_groups": [{"lr": 1.0}]})
    with pytest.raises(ValueError, match=r"parameter group 0 lists parameter \[0\]"):
        opt.load_state_dict({"state": {}, "param_groups": [dict(sd["param_groups"][0],
                                                                params=[[0]])]})
    groups = [dict(sd["param_groups"][0], lr=123.0)]
    for bad, match in ((dict(sd["state"][0], exp_avg="x"),
                        r"state 'exp_avg' of parameter 0 in group 0 is a str"),
                       (dict(sd["state"][0], exp_avg=np.array(["a"] * 6).reshape(2, 3)),
                        r"state 'exp_avg' of parameter 0 in group 0 is an array of dtype <U1"),
                       (dict(sd["state"][0], exp_avg=cupy_array(np.zeros(4))),
                        r"state 'exp_avg' of parameter 0 in group 0 has shape \(4,\)"),
                       (dict(sd["state"][0], step="three"),
                        r"state 'step' of parameter 0 in group 0 is 'three'"),
                       ([1, 2], r"the state of parameter 0 in group 0 is a list")):
        with pytest.raises(ValueError, match=match):
            opt.load_state_dict({"state": {0: bad}, "param_groups": groups})
        assert opt.param_groups[0]["lr"] == 0.05          # nothing changed
        for k, v in opt.state[w].items():
            np.testing.assert_array_equal(v, before[k])


# ----------------------------------------------------------------------------- save

def test_save_gpu_tensors_and_cupy_arrays(tmp_path):
    t = cuda_tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    raw = cupy_array(np.array([1, 2, 3], dtype=np.int64))
    buf = io.BytesIO()
    pg.save({"t": t, "raw": raw}, buf)
    buf.seek(0)
    got = pg.load(buf, map_location="cpu")
    assert got["t"].device.type == "cpu" and got["t"].requires_grad
    np.testing.assert_array_equal(got["t"].numpy(), np.arange(6).reshape(2, 3))
    assert type(got["raw"]) is np.ndarray and got["raw"].tolist() == [1, 2, 3]
