"""pygrad.nn.utils against torch.nn.utils: gradient clipping by norm and by value, and
parameters to one vector and back."""
import math

import numpy as np
import pytest

import pygrad as pg
from pygrad.nn import utils as U

torch = pytest.importorskip("torch")
TU = torch.nn.utils

SHAPES = [(3, 4), (5,), (), (2, 0), (2, 3, 2)]


def make_params(rng, dtype=np.float32, scale=1.0, none_at=(), special=None, shapes=SHAPES):
    """The same parameters, with the same .grad, in pygrad and in torch."""
    ours, theirs = [], []
    for k, shape in enumerate(shapes):
        w = rng.standard_normal(shape).astype(dtype)
        g = (rng.standard_normal(shape) * scale).astype(dtype)
        if special is not None and k == 0:
            g.flat[1] = special
        p = pg.nn.Parameter(pg.tensor(w))
        q = torch.nn.Parameter(torch.tensor(w))
        if k not in none_at:
            p.grad = pg.tensor(g)
            q.grad = torch.tensor(g)
        ours.append(p)
        theirs.append(q)
    return ours, theirs


def assert_grads_equal(ours, theirs, rtol=1e-6):
    for p, q in zip(ours, theirs, strict=True):
        if q.grad is None:
            assert p.grad is None
        else:
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=rtol, atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm_type", [2.0, 1, 0.5, 3.0, math.inf, -math.inf, 0.0, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_as_torch(dtype, norm_type, max_norm):
    rng = np.random.default_rng(0)
    # an empty gradient has no ±inf norm (both raise), so it is left out of those
    shapes = [s for s in SHAPES if 0 not in s] if str(norm_type).endswith("inf") else SHAPES
    ours, theirs = make_params(rng, dtype, scale=3.0, none_at=(1,), shapes=shapes)
    total = U.clip_grad_norm_(ours, max_norm, norm_type)
    expected = TU.clip_grad_norm_(theirs, max_norm, norm_type)
    assert isinstance(total, pg.Tensor) and total.shape == ()
    assert str(total.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1]
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-6)
    assert_grads_equal(ours, theirs)


def test_clip_grad_norm_forms_of_parameters():
    rng = np.random.default_rng(1)
    ours, theirs = make_params(rng, scale=5.0)
    # one tensor, a generator, and a module's parameters
    t1 = U.clip_grad_norm_(ours[0], 1.0)
    t2 = TU.clip_grad_norm_(theirs[0], 1.0)
    np.testing.assert_allclose(t1.item(), t2.item(), rtol=1e-6)
    t1 = U.clip_grad_norm_((p for p in ours), 0.1)
    t2 = TU.clip_grad_norm_((p for p in theirs), 0.1)
    np.testing.assert_allclose(t1.item(), t2.item(), rtol=1e-6)
    assert_grads_equal(ours, theirs)
    # no gradients at all: tensor(0.), as torch
    for lib, mk in ((U, pg), (TU, torch)):
        out = lib.clip_grad_norm_([mk.ones(3)], 1.0)
        assert out.item() == 0.0
        assert lib.clip_grad_norm_([], 1.0).item() == 0.0
    # float32 and float64 gradients together: the total norm is promoted, as torch's
    p = [pg.nn.Parameter(pg.ones(3)), pg.nn.Parameter(pg.ones(2, dtype=pg.float64))]
    q = [torch.nn.Parameter(torch.ones(3)), torch.nn.Parameter(torch.ones(2, dtype=torch.float64))]
    for a, b, g in zip(p, q, (2.0, 3.0)):
        a.grad, b.grad = pg.ones_like(a) * g, torch.ones_like(b) * g
    t1, t2 = U.clip_grad_norm_(p, 1.0), TU.clip_grad_norm_(q, 1.0)
    assert str(t1.dtype).split(".")[-1] == str(t2.dtype).split(".")[-1] == "float64"
    np.testing.assert_allclose(t1.item(), t2.item(), rtol=1e-12)
    assert_grads_equal(p, q)
    model = pg.nn.Linear(3, 2)
    model(pg.randn(4, 3)).sum().backward()
    before = np.sqrt(sum((p.grad.numpy().astype(np.float64) ** 2).sum()
                         for p in model.parameters()))
    total = U.clip_grad_norm_(model.parameters(), max_norm=0.25)
    after = np.sqrt(sum((p.grad.numpy().astype(np.float64) ** 2).sum()
                        for p in model.parameters()))
    np.testing.assert_allclose(total.item(), before, rtol=1e-6)
    np.testing.assert_allclose(after, 0.25, rtol=1e-4)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_clip_grad_norm_nonfinite_as_torch(bad):
    rng = np.random.default_rng(2)
    ours, theirs = make_params(rng, special=bad)
    with pytest.raises(RuntimeError):
        TU.clip_grad_norm_(theirs, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="total norm of order 2.0 .* is non-finite"):
        U.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    # nothing was scaled before the error
    assert_grads_equal(ours, theirs)
    t1 = U.clip_grad_norm_(ours, 1.0)
    t2 = TU.clip_grad_norm_(theirs, 1.0)
    np.testing.assert_equal(t1.item(), t2.item())
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())   # NaN where torch's


def test_get_total_norm_and_clip_grads_with_norm_as_torch():
    rng = np.random.default_rng(3)
    ours, theirs = make_params(rng, scale=2.0)
    n1 = U.get_total_norm([p.grad for p in ours], 3.0)
    n2 = TU.get_total_norm([q.grad for q in theirs], 3.0)
    np.testing.assert_allclose(n1.item(), n2.item(), rtol=1e-6)
    U.clip_grads_with_norm_(ours, 0.3, n1)
    TU.clip_grads_with_norm_(theirs, 0.3, n2)
    assert_grads_equal(ours, theirs)
    with pytest.warns(FutureWarning):
        U.clip_grad_norm(ours, 1.0)


@pytest.mark.parametrize("clip", [0.1, 1.0, 0, 100.0])
def test_clip_grad_value_as_torch(clip):
    rng = np.random.default_rng(4)
    ours, theirs = make_params(rng, scale=2.0, none_at=(2,))
    assert U.clip_grad_value_(ours, clip) is None
    TU.clip_grad_value_(theirs, clip)
    assert_grads_equal(ours, theirs)
    p, q = make_params(rng, special=math.nan)
    U.clip_grad_value_(p[0], clip)
    TU.clip_grad_value_(q[0], clip)
    np.testing.assert_array_equal(p[0].grad.numpy(), q[0].grad.numpy())


def test_clip_bad_arguments():
    with pytest.raises(TypeError, match="parameters must be tensors, item 1 is str"):
        U.clip_grad_norm_([pg.ones(2), "w"], 1.0)
    with pytest.raises(ValueError, match="max_norm must be a number, got 'one'"):
        U.clip_grad_norm_([pg.ones(2)], "one")
    p, q = make_params(np.random.default_rng(0), shapes=[(2, 0)])
    for lib, params in ((TU, q), (U, p)):
        with pytest.raises(RuntimeError):
            lib.clip_grad_norm_(params, 1.0, math.inf)
    with pytest.raises(TypeError, match="an iterable of tensors, got int"):
        U.clip_grad_value_(3, 1.0)
    with pytest.raises(TypeError, match="clip_value must be a number"):
        U.clip_grad_value_([pg.ones(2)], None)


def test_parameters_to_vector_and_back_as_torch():
    rng = np.random.default_rng(5)
    ours, theirs = make_params(rng, np.float64)
    v1, v2 = U.parameters_to_vector(ours), TU.parameters_to_vector(theirs)
    np.testing.assert_array_equal(v1.numpy(), v2.detach().numpy())
    # differentiable: a weighted sum of the vector sends its weights back to the parameters
    w = rng.standard_normal(v1.shape[0])
    (v1 * pg.tensor(w)).sum().backward()
    (v2 * torch.tensor(w)).sum().backward()
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-12)
    x = [pg.tensor(rng.standard_normal(s), dtype=pg.float64, requires_grad=True)
         for s in [(2, 3), (4,)]]
    assert pg.autograd.gradcheck(lambda a, b: U.parameters_to_vector([a, b]) ** 2, tuple(x))

    new = rng.standard_normal(v1.shape[0])
    vec_o, vec_t = pg.tensor(new), torch.tensor(new)
    assert U.vector_to_parameters(vec_o, ours) is None
    TU.vector_to_parameters(vec_t, theirs)
    for p, q in zip(ours, theirs):
        assert tuple(p.shape) == tuple(q.shape)
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    # the parameters now view the vector, as torch's p.data = vec[...].view_as(p)
    with pg.no_grad():
        vec_o.fill_(7.0)
    with torch.no_grad():
        vec_t.fill_(7.0)
    assert ours[0].detach().numpy()[0, 0] == theirs[0].detach().numpy()[0, 0] == 7.0
    # a longer vector leaves its tail unused, as torch
    U.vector_to_parameters(pg.zeros(v1.shape[0] + 3, dtype=pg.float64), ours)
    assert all((p.detach().numpy() == 0).all() for p in ours)


def test_vector_to_parameters_errors_as_torch():
    p, q = [pg.nn.Parameter(pg.zeros(2, 2))], [torch.nn.Parameter(torch.zeros(2, 2))]
    with pytest.raises(TypeError):
        TU.vector_to_parameters([1.0] * 4, q)
    with pytest.raises(TypeError, match="expected vec to be a Tensor, but got list"):
        U.vector_to_parameters([1.0] * 4, p)
    with pytest.raises(RuntimeError):
        TU.vector_to_parameters(torch.zeros(3), q)
    with pytest.raises(ValueError, match="vec has 3 elements, the parameters need 4"):
        U.vector_to_parameters(pg.zeros(3), p)
    with pytest.raises(ValueError, match="expected a 1-D vec"):
        U.vector_to_parameters(pg.zeros(2, 2), p)
    with pytest.raises(ValueError, match="at least one parameter"):
        U.parameters_to_vector([])
    assert pg.nn.utils is U


# ----------------------------------------------------------------------------- pg.accelerator
# (device selection, the other half of porting a training script's boilerplate)

def test_accelerator_agrees_with_pg_cuda():
    A = pg.accelerator
    assert A.is_available() == pg.cuda.is_available()
    assert A.device_count() == pg.cuda.device_count()
    acc = A.current_accelerator()
    if pg.cuda.is_available():
        assert acc == pg.device("cuda", pg.cuda.current_device()) and acc.type == "cuda"
        assert A.current_accelerator(check_available=True) == acc
        assert A.current_device_index() == pg.cuda.current_device()
        A.synchronize()
        with A.device_index(0):
            assert A.current_device_index() == 0
        x = pg.ones(3, device=acc)
        assert x.device.type == "cuda" and x.sum().item() == 3
    else:
        assert acc is None and A.current_accelerator(True) is None
    if not torch.accelerator.is_available() and not A.is_available():
        # a machine without a GPU: torch and pygrad say the same
        assert torch.accelerator.current_accelerator() is None and A.device_count() == 0


@pytest.mark.skipif(pg.cuda.is_available(), reason="checks the machine without a GPU")
def test_accelerator_calls_without_a_gpu_raise_as_torch():
    A = pg.accelerator
    calls = [lambda L: L.current_device_index(), lambda L: L.synchronize(),
             lambda L: L.set_device_index(0), lambda L: L.device_index(0).__enter__()]
    for call in calls:
        if not torch.accelerator.is_available():
            with pytest.raises(RuntimeError):
                call(torch.accelerator)
        with pytest.raises(RuntimeError, match="Cannot access accelerator device when none "
                                               "is available.*no usable GPU"):
            call(A)
    with A.device_index(None):          # None changes nothing, needs no GPU
        pass


def test_accelerator_without_cupy(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "cupy", None)
    A = pg.accelerator
    assert A.is_available() is False and A.current_accelerator() is None
    assert A.device_count() == 0
    device = pg.device("cuda" if pg.cuda.is_available() else "cpu")
    assert device == pg.device("cpu")
    x = pg.ones(2, 2, device=device)
    model = pg.nn.Linear(2, 1).to(device)
    assert model(x).device == device
    picked = A.current_accelerator() or pg.device("cpu")
    assert picked == device


def test_accelerator_with_a_gpu_reported(monkeypatch):
    # what the functions return when pg.cuda reports two GPUs, the second current
    calls = []
    monkeypatch.setattr(pg.cuda, "is_available", lambda: True)
    monkeypatch.setattr(pg.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(pg.cuda, "current_device", lambda: 1)
    monkeypatch.setattr(pg.cuda, "set_device", lambda i: calls.append(("set", i)))
    monkeypatch.setattr(pg.cuda, "synchronize", lambda i=None: calls.append(("sync", i)))
    A = pg.accelerator
    assert A.is_available() and A.device_count() == 2
    assert A.current_accelerator() == pg.device("cuda:1")
    assert A.current_device_index() == 1
    A.set_device_index("cuda:0")
    A.synchronize()
    A.synchronize(pg.device("cuda:1"))
    with A.device_index(0):
        pass
    assert calls == [("set", 0), ("sync", None), ("sync", 1), ("set", 0), ("set", 1)]
    with pytest.raises(ValueError, match="expected a cuda device or an index, got 'cpu'"):
        A.set_device_index("cpu")
    with pytest.warns(FutureWarning, match="current_device_index"):
        assert A.current_device_idx() == 1
    assert hasattr(torch.accelerator, "current_device_idx")
