"""Optimizers follow torch's trajectories; groups, zero_grad, state_dict, lr schedules."""
import numpy as np
import pytest

import pygrad as pg
from pygrad import optim

from _optim_trail import problem as _problem
from _optim_trail import run_pygrad as _run_pygrad
from _optim_trail import run_torch as _run_torch

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, weight_decay=0.1, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2,
                     eps=1e-6)),
    ("RMSprop", dict(lr=0.01)),
    # (a larger lr with this decay hovers where d ≈ 0 and amplifies rounding chaotically)
    ("RMSprop", dict(lr=0.005, alpha=0.9, eps=1e-6, weight_decay=0.05)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.01, maximize=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.3, amsgrad=True, betas=(0.7, 0.9))),
]


@pytest.mark.parametrize("name,kw", CONFIGS, ids=[f"{n}-{kw}" for n, kw in CONFIGS])
def test_trajectory_matches_torch(name, kw):
    torch = pytest.importorskip("torch")
    ours = _run_pygrad(name, kw)
    theirs = _run_torch(torch, name, kw)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)
    # the parameters moved: a no-op optimizer would fail
    assert np.abs(ours[-1] - ours[0]).max() > 1e-3


@pytest.mark.parametrize("name,kw", CONFIGS[::3])
def test_matches_reference_backend_float32(name, kw, monkeypatch):
    """The cpu backend's compiled step equals the readable reference step."""
    ours = _run_pygrad(name, kw, steps=10)
    from pygrad.backend import get
    cpu = pg.device("cpu").backend
    ref = get("reference")
    monkeypatch.setattr(pg.device("cpu"), "_backend", ref)
    try:
        theirs = _run_pygrad(name, kw, steps=10)
    finally:
        monkeypatch.setattr(pg.device("cpu"), "_backend", cpu)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_param_groups_and_defaults():
    a = pg.zeros(2, requires_grad=True)
    b = pg.zeros(2, requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["lr"] == 0.5
    assert opt.param_groups[1]["momentum"] == 0.9
    a.grad = pg.ones(2)
    b.grad = pg.ones(2)
    opt.step()
    np.testing.assert_allclose(a.numpy(), [-0.1, -0.1], rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), [-0.5, -0.5], rtol=1e-6)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="Invalid lr"):
        optim.Adam([pg.zeros(1, requires_grad=True)], lr=-1)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([a], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])


def test_zero_grad_and_params_without_grad():
    a = pg.ones(3, requires_grad=True)
    b = pg.ones(3, requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    (a * 2).sum().backward()
    opt.step()
    assert b.numpy().tolist() == [1, 1, 1]    # no grad: untouched, no state
    assert b not in opt.state and opt.state[a]["step"] == 1
    opt.zero_grad(set_to_none=False)
    assert a.grad.numpy().tolist() == [0, 0, 0]
    opt.zero_grad()
    assert a.grad is None


def test_state_dict_round_trip_continues_identically():
    def make():
        w = pg.tensor(_problem()["w"], dtype=pg.float64, requires_grad=True)
        return w, optim.Adam([w], lr=0.05, amsgrad=True)

    def step(w, opt):
        opt.zero_grad()
        ((w * w).sum() + w.sum()).backward()
        opt.step()

    w1, o1 = make()
    for _ in range(3):
        step(w1, o1)
    sd = o1.state_dict()
    assert sd["state"][0]["step"] == 3 and sd["param_groups"][0]["params"] == [0]
    w2, o2 = make()
    w2.data[...] = w1.data
    o2.load_state_dict(pg.load(_roundtrip(sd)))
    for _ in range(3):
        step(w1, o1)
        step(w2, o2)
    np.testing.assert_array_equal(w1.numpy(), w2.numpy())
    with pytest.raises(ValueError, match="parameter groups"):
        o2.load_state_dict({"state": {}, "param_groups": []})


def _roundtrip(obj):
    import io
    buf = io.BytesIO()
    pg.save(obj, buf)
    buf.seek(0)
    return buf


SCHEDULES = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 5, 6], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01)),
]


@pytest.mark.parametrize("name,kw", SCHEDULES)
def test_lr_schedules_match_torch(name, kw):
    torch = pytest.importorskip("torch")
    ours_opt = optim.SGD([pg.zeros(1, requires_grad=True)], lr=0.1)
    theirs_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    ours = getattr(optim.lr_scheduler, name)(ours_opt, **kw)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, **kw)
    for _ in range(12):
        ours_opt.step()
        theirs_opt.step()
        ours.step()
        theirs.step()
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-9)


def test_reduce_on_plateau_matches_torch():
    torch = pytest.importorskip("torch")
    ours_opt = optim.SGD([pg.zeros(1, requires_grad=True)], lr=1.0)
    theirs_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    kw = dict(factor=0.5, patience=2, cooldown=1, min_lr=0.05)
    ours = optim.lr_scheduler.ReduceLROnPlateau(ours_opt, **kw)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_opt, **kw)
    for metric in [5, 4, 4, 4, 4, 4, 3.9999, 4, 4, 4, 4, 4, 4, 4, 4, 4, 1]:
        ours.step(metric)
        theirs.step(metric)
        assert ours_opt.param_groups[0]["lr"] == pytest.approx(theirs_opt.param_groups[0]["lr"])


@pytest.mark.parametrize("name,kw", CONFIGS[1::2])
def test_multi_tensor_path_follows_the_documented_signature(name, kw, monkeypatch):
    """A backend with ``<algo>_step_multi`` (the CUDA one) gets one call per group: checked
    here with a stand-in bound to the CUDA backend's signature that runs the reference."""
    import inspect
    import types
    cuda = pytest.importorskip("pygrad.backend.cuda")
    from pygrad.backend import get
    ref = get("reference")
    algo = {"SGD": "sgd", "Adagrad": "adagrad", "RMSprop": "rmsprop", "Adam": "adam",
            "AdamW": "adam"}[name]
    sig = inspect.signature(getattr(cuda, f"{algo}_step_multi"))
    calls = []

    def multi(*args, **kwargs):
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        values = list(bound.arguments.values())
        calls.append(len(values[0]))
        for i in range(len(values[0])):
            getattr(ref, f"{algo}_step")(*[v[i] if isinstance(v, list) else v for v in values])

    fake = types.SimpleNamespace(**{k: getattr(ref, k) for k in dir(ref) if not k.startswith("__")})
    setattr(fake, f"{algo}_step_multi", multi)
    expected = _run_pygrad(name, kw, steps=10)
    cpu = pg.device("cpu")
    original = cpu.backend
    monkeypatch.setattr(cpu, "_backend", fake)
    try:
        got = _run_pygrad(name, kw, steps=10)
    finally:
        monkeypatch.setattr(cpu, "_backend", original)
    assert calls == [2] * 10      # both parameters, one call per step
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def _set_grad_array(p, array):
    """Give ``p`` a .grad holding ``array`` whatever its shape or dtype: the grad setter
    refuses a mismatch, so the array is swapped inside a grad that was accepted (as code that
    writes ``p.grad.data = ...`` does)."""
    p.grad = pg.zeros_like(p)
    p.grad.data = pg.tensor(array)


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9)),
                                     ("Adagrad", {}), ("RMSprop", {}), ("Adam", {}),
                                     ("AdamW", {})])
def test_step_with_a_wrong_shaped_grad_names_the_parameter(name, kw):
    a = pg.ones(3, requires_grad=True)
    b = pg.ones(2, 3, requires_grad=True)
    c = pg.ones(4, requires_grad=True)
    opt = getattr(optim, name)([{"params": [a]}, {"params": [b, c]}], **kw)
    a.grad = pg.ones(3)
    b.grad = pg.ones(2, 3)
    _set_grad_array(c, np.ones(1, np.float32))      # would broadcast into c without the check
    with pytest.raises(RuntimeError, match=rf"{name}.step: parameter 1 of param group 1 "
                                           rf"\(shape \(4,\), float32, cpu\) has a .grad of "
                                           rf"shape \(1,\)"):
        opt.step()
    assert a.numpy().tolist() == [1, 1, 1] and c.numpy().tolist() == [1, 1, 1, 1]
    _set_grad_array(c, np.ones((2, 2), np.float32))  # same size, another shape
    with pytest.raises(RuntimeError, match=r"has a .grad of shape \(2, 2\)"):
        opt.step()
    _set_grad_array(c, np.ones(5, np.float32))
    with pytest.raises(RuntimeError, match=r"has a .grad of shape \(5,\)"):
        opt.step()
    # a parameter whose array was replaced after backward (p.data = ...)
    c.grad = pg.ones(4)
    c.data = pg.ones(6)
    with pytest.raises(RuntimeError, match=r"parameter 1 of param group 1 \(shape \(6,\), "
                                           r"float32, cpu\) has a .grad of shape \(4,\)"):
        opt.step()
    c.data = pg.ones(4)
    _set_grad_array(c, np.ones(4, np.float64))      # another dtype is cast to p's
    opt.step()
    assert c.dtype == pg.float32 and not np.array_equal(c.numpy(), np.ones(4))


def test_step_with_a_grad_that_is_not_a_tensor():
    a = pg.ones(3, requires_grad=True)
    opt = optim.SGD([a], lr=0.1)
    try:
        a.grad = np.ones(3, np.float32)
    except TypeError:
        return                  # refused where it is assigned: step never sees it
    with pytest.raises(TypeError, match=r"parameter 0 of param group 0 .* has a .grad of type "
                                        r"ndarray"):
        opt.step()


def test_step_with_a_grad_on_another_device():
    from pygrad.device import Device
    a = pg.ones(3, requires_grad=True)
    opt = optim.SGD([a], lr=0.1)
    a.grad = pg.ones(3)
    a.grad.device = Device("cuda:0")     # a label only: no GPU needed to reach the check
    with pytest.raises(RuntimeError, match=r"parameter 0 of param group 0 .* has its .grad on "
                                           r"cuda:0"):
        opt.step()
    assert a.numpy().tolist() == [1, 1, 1]


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("decoupled", [False, True])
def test_cpu_multi_tensor_adam_equals_one_call_per_parameter(amsgrad, decoupled):
    from pygrad.backend import get
    cpu = get("cpu")
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (4,), (2, 2, 2), (1,)]

    def state():
        ps = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        return ps, [np.zeros_like(p) for p in ps], [np.zeros_like(p) for p in ps], \
            [np.zeros_like(p) for p in ps]
    one, multi = state(), None
    multi = tuple([a.copy() for a in lst] for lst in one)
    for step in (1, 2, 3):
        gs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        gs[0][0, 0] = np.nan if step == 2 else gs[0][0, 0]      # nan reaches max_exp_avg_sq
        args = (step, 1e-2, 0.9, 0.999, 1e-8, 0.1, decoupled, amsgrad, False)
        cpu.adam_step_multi(multi[0], gs, multi[1], multi[2],
                            multi[3] if amsgrad else [None] * 4, *args)
        for k in range(4):
            cpu.adam_step(one[0][k], gs[k], one[1][k], one[2][k],
                          one[3][k] if amsgrad else None, *args)
    for a, b in zip(sum(one, []), sum(multi, [])):
        np.testing.assert_array_equal(a, b)
