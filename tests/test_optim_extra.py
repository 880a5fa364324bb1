"""Adamax, NAdam, RAdam, Adadelta and torch's optimizer options (maximize, decoupled weight
decay, speed hints, named parameters, add_param_group, per-group options) against the
installed torch: parameters after each of 50 float64 steps, state dicts, signatures."""
import copy
import inspect
import io

import numpy as np
import pytest

import pygrad as pg
from pygrad import optim

from _optim_trail import run_pygrad, run_torch

torch = pytest.importorskip("torch")

NEW = ["Adamax", "NAdam", "RAdam", "Adadelta"]
ALL = ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"] + NEW

CONFIGS = [
    ("Adamax", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adamax", dict(lr=0.05, weight_decay=0.05, maximize=True)),
    ("NAdam", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05, betas=(0.8, 0.95), momentum_decay=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.02, maximize=True, weight_decay=0.01)),
    ("RAdam", dict(lr=0.05)),
    # β2 = 0.9 makes ρ_t pass 5 at step 6: both branches of the rectification run
    ("RAdam", dict(lr=0.05, betas=(0.8, 0.9), weight_decay=0.1)),
    ("RAdam", dict(lr=0.05, betas=(0.9, 0.95), weight_decay=0.2, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.02, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)),
    ("Adadelta", dict(lr=1.0, maximize=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adam", dict(lr=0.05, foreach=True, capturable=False, fused=False)),
    ("AdamW", dict(lr=0.05, maximize=True, fused=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, foreach=False, fused=True)),
    ("Adagrad", dict(lr=0.1, maximize=True, foreach=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, maximize=True, capturable=True, foreach=True)),
]


def _model_trail_torch(name, kw, steps=50):
    return run_torch(torch, name, {k: v for k, v in kw.items()
                                   if k not in ("fused", "capturable")}, steps)


@pytest.mark.parametrize("name,kw", CONFIGS, ids=[f"{n}-{kw}" for n, kw in CONFIGS])
def test_trajectory_of_a_small_model_matches_torch(name, kw):
    ours = run_pygrad(name, kw)
    theirs = _model_trail_torch(name, kw)    # torch runs fused/capturable=False: same numbers
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)
    assert np.abs(ours[-1] - ours[0]).max() > 1e-2      # the parameters moved


SHAPES = [(3, 4), (5,), (), (2, 1, 3)]


def _random_grad_trails(name, groups_kw, steps=50, seed=1, dtype="float64"):
    """Both libraries' parameters after each step, fed the same random gradients; the
    parameters form two groups with their own options (groups_kw[0] holds the defaults)."""
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s) for s in SHAPES]
    grads = [[rng.standard_normal(s) * 3 for s in SHAPES] for _ in range(steps)]
    defaults, group1 = groups_kw
    ours = [pg.tensor(a, dtype=getattr(pg, dtype), requires_grad=True) for a in init]
    theirs = [torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=True) for a in init]
    ours_opt = getattr(optim, name)([{"params": ours[:2]}, {"params": ours[2:], **group1}],
                                    **defaults)
    theirs_opt = getattr(torch.optim, name)([{"params": theirs[:2]},
                                             {"params": theirs[2:], **group1}], **defaults)
    trail_ours, trail_theirs = [], []
    for gs in grads:
        for p, q, g in zip(ours, theirs, gs):
            p.grad = pg.tensor(g, dtype=p.dtype)
            q.grad = torch.tensor(g, dtype=q.dtype)
        ours_opt.step()
        theirs_opt.step()
        trail_ours.append(np.concatenate([p.numpy().ravel() for p in ours]))
        trail_theirs.append(np.concatenate([q.detach().numpy().ravel() for q in theirs]))
    return np.array(trail_ours), np.array(trail_theirs)


GROUPED = [
    ("Adamax", dict(lr=0.01), dict(lr=0.03, betas=(0.5, 0.9), weight_decay=0.1,
                                    maximize=True)),
    ("NAdam", dict(lr=0.01, momentum_decay=0.02), dict(lr=0.02, weight_decay=0.1,
                                                        decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.9)), dict(weight_decay=0.1, eps=1e-4,
                                                     maximize=True)),
    ("Adadelta", dict(lr=0.9), dict(rho=0.5, weight_decay=0.2, maximize=True)),
    ("Adam", dict(lr=0.01), dict(decoupled_weight_decay=True, weight_decay=0.3,
                                  amsgrad=True)),
    ("SGD", dict(lr=0.01, momentum=0.9), dict(nesterov=True, maximize=True)),
    ("RMSprop", dict(lr=0.001), dict(centered=True, momentum=0.3, maximize=True)),
    ("Adagrad", dict(lr=0.05), dict(lr_decay=0.01, maximize=True)),
]


@pytest.mark.parametrize("name,defaults,group1", GROUPED, ids=[g[0] for g in GROUPED])
def test_random_gradients_two_groups_match_torch(name, defaults, group1):
    ours, theirs = _random_grad_trails(name, (defaults, group1))
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)
    assert np.abs(ours[-1] - ours[0]).max() > 1e-2


@pytest.mark.parametrize("name", NEW)
def test_float32_parameters_match_torch(name):
    ours, theirs = _random_grad_trails(name, ({"lr": 0.01}, {"weight_decay": 0.1}), steps=20,
                                       dtype="float32")
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


def _params():
    return [pg.zeros(*shape, dtype=pg.float64, requires_grad=True) for shape in ((2, 3), (3,))]


@pytest.mark.parametrize("name", ALL)
def test_signature_defaults_and_group_keys_are_torchs(name):
    ours_cls, theirs_cls = getattr(optim, name), getattr(torch.optim, name)
    ours_sig = inspect.signature(ours_cls.__init__).parameters
    theirs_sig = inspect.signature(theirs_cls.__init__).parameters
    assert list(ours_sig) == list(theirs_sig)
    for k, p in theirs_sig.items():
        assert ours_sig[k].kind == p.kind, k
        if p.default is not inspect.Parameter.empty:
            assert ours_sig[k].default == p.default, k
    ours = ours_cls(_params())
    theirs = theirs_cls([torch.zeros(2, 3, requires_grad=True)])
    ours_group = {k: v for k, v in ours.param_groups[0].items() if k != "params"}
    theirs_group = {k: v for k, v in theirs.param_groups[0].items() if k != "params"}
    assert ours_group == theirs_group


@pytest.mark.parametrize("name", ALL)
def test_differentiable_and_fused_with_foreach_are_refused(name):
    with pytest.raises(NotImplementedError, match="differentiable=True is not supported"):
        getattr(optim, name)(_params(), differentiable=True)
    # the same rule inside a parameter group
    with pytest.raises(NotImplementedError, match=f"{name}: differentiable"):
        getattr(optim, name)([{"params": _params(), "differentiable": True}])
    if "fused" in inspect.signature(getattr(optim, name)).parameters:
        with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True`"):
            getattr(optim, name)(_params(), fused=True, foreach=True)
        with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True`"):
            getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], fused=True,
                                       foreach=True)


@pytest.mark.parametrize("name,kw,match", [
    ("Adamax", dict(lr=-1.0), "Invalid lr value: -1.0"),
    ("Adamax", dict(betas=(1.0, 0.9)), "Invalid beta1 value: 1.0"),
    ("NAdam", dict(betas=(0.9, -0.1)), "Invalid beta2 value"),
    ("NAdam", dict(momentum_decay=-1e-3), "Invalid momentum_decay value"),
    ("NAdam", dict(eps=-1.0), "Invalid eps value"),
    ("RAdam", dict(weight_decay=-0.1), "Invalid weight_decay value"),
    ("RAdam", dict(betas=(0.9,)), "expected a pair"),
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
    ("Adadelta", dict(eps=-1.0), "Invalid eps value"),
])
def test_invalid_hyperparameters_raise_value_error_as_torch(name, kw, match):
    with pytest.raises(ValueError, match=match):
        getattr(optim, name)(_params(), **kw)
    if len(kw.get("betas", (0, 0))) == 2:       # torch indexes a short pair: IndexError
        with pytest.raises(ValueError):
            getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **kw)


NONNEGATIVE = {
    "SGD": ["lr", "momentum", "weight_decay"],
    "Adagrad": ["lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"],
    "RMSprop": ["lr", "alpha", "eps", "weight_decay", "momentum"],
    "Adam": ["lr", "eps", "weight_decay", "betas"], "AdamW": ["lr", "eps", "weight_decay", "betas"],
    "Adamax": ["lr", "eps", "weight_decay", "betas"],
    "RAdam": ["lr", "eps", "weight_decay", "betas"],
    "NAdam": ["lr", "eps", "weight_decay", "momentum_decay", "betas"],
    "Adadelta": ["lr", "eps", "weight_decay"],
}


@pytest.mark.parametrize("name,option", [(n, o) for n in ALL for o in NONNEGATIVE[n]])
def test_every_nonnegative_option_is_checked_as_torch(name, option):
    """Each optimizer refuses a negative value of each option torch checks (a beta of 1 or
    more, for betas), in the constructor and in add_param_group; a value of 0 is accepted."""
    if option == "betas":
        bad, good = [(0.9, 1.0), (-0.1, 0.9)], (0.0, 0.0)
        match = "Invalid beta[12] value"
    else:
        bad, good, match = [-0.5], 0.0, f"Invalid {option} value: -0.5"
    for value in bad:
        with pytest.raises(ValueError, match=match):
            getattr(optim, name)(_params(), **{option: value})
        opt = getattr(optim, name)(_params())
        with pytest.raises(ValueError, match=match):
            opt.add_param_group({"params": _params(), option: value})
        assert len(opt.param_groups) == 1
        with pytest.raises(ValueError):
            getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **{option: value})
    getattr(optim, name)(_params(), **{option: good})
    getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **{option: good})


def test_unknown_group_option_is_a_type_error():
    with pytest.raises(TypeError, match=r"unknown hyperparameter\(s\) \['moment'\]"):
        optim.NAdam([{"params": _params(), "moment": 0.9}])


@pytest.mark.parametrize("name", NEW)
def test_step_leaves_gradients_and_gradless_parameters_alone(name):
    a, b = _params()
    opt = getattr(optim, name)([a, b], lr=0.1, weight_decay=0.1, maximize=True)
    a.grad = pg.ones(2, 3, dtype=pg.float64)
    opt.step()
    assert a.grad.numpy().tolist() == [[1.0] * 3] * 2      # maximize / decay made new arrays
    assert np.all(a.numpy() != 0) and b.numpy().tolist() == [0, 0, 0] and b not in opt.state


@pytest.mark.parametrize("name", ALL)
def test_add_param_group_mid_training_matches_torch(name):
    rng = np.random.default_rng(3)
    w0, v0 = rng.standard_normal((2, 3)), rng.standard_normal(4)
    gw = [rng.standard_normal((2, 3)) for _ in range(12)]
    gv = [rng.standard_normal(4) for _ in range(12)]
    trails = []
    for lib, mod in ((pg, optim), (torch, torch.optim)):
        w = lib.tensor(w0, dtype=lib.float64, requires_grad=True)
        v = lib.tensor(v0, dtype=lib.float64, requires_grad=True)
        opt = getattr(mod, name)([w], lr=0.01)
        trail = []
        for i in range(12):
            if i == 5:
                opt.add_param_group({"params": [v], "lr": 0.05})
            w.grad = lib.tensor(gw[i], dtype=lib.float64)
            if i >= 5:
                v.grad = lib.tensor(gv[i], dtype=lib.float64)
            opt.step()
            trail.append(np.concatenate([np.array(w.tolist()).ravel(), v.tolist()]))
        assert opt.param_groups[1]["lr"] == 0.05
        trails.append(np.array(trail))
    np.testing.assert_allclose(trails[0], trails[1], rtol=0, atol=1e-9)


def test_named_parameters_keep_their_names_as_torch():
    import pygrad.nn as nn
    model = nn.Linear(3, 2)
    opt = optim.Adam(model.named_parameters(), lr=0.1)
    tmodel = torch.nn.Linear(3, 2)
    topt = torch.optim.Adam(tmodel.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == topt.param_groups[0]["param_names"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]
    assert opt.param_groups[0]["params"][0] is model.weight
    with pytest.raises(ValueError, match="with/without names"):
        opt.add_param_group({"params": [pg.zeros(1, requires_grad=True)]})
    with pytest.raises(ValueError, match="Some param names are missing"):
        optim.SGD([("a", pg.zeros(1, requires_grad=True)), pg.zeros(1, requires_grad=True)])
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD({pg.zeros(1, requires_grad=True)})
    # state dicts with names round-trip through pg.save / pg.load
    model(pg.ones(4, 3)).sum().backward()
    opt.step()
    opt2 = optim.Adam(model.named_parameters(), lr=0.5)
    opt2.load_state_dict(_roundtrip(opt.state_dict()))
    assert opt2.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt2.param_groups[0]["lr"] == 0.1


def _roundtrip(obj):
    buf = io.BytesIO()
    pg.save(obj, buf)
    buf.seek(0)
    return pg.load(buf)


STATE_KEYS = {"Adamax": {"step", "exp_avg", "exp_inf"},
              "NAdam": {"step", "mu_product", "exp_avg", "exp_avg_sq"},
              "RAdam": {"step", "exp_avg", "exp_avg_sq"},
              "Adadelta": {"step", "square_avg", "acc_delta"}}


@pytest.mark.parametrize("name", NEW)
def test_state_dict_round_trip_and_torchs_state_dict_continue_identically(name):
    """Save after 20 steps, load into a fresh optimizer (from pg.save / pg.load and from
    torch's own state dict), continue 30 steps: all three agree with torch to 1e-6."""
    kw = dict(lr=0.02, weight_decay=0.05)
    rng = np.random.default_rng(5)
    init = [rng.standard_normal(s) for s in SHAPES]
    grads = [[rng.standard_normal(s) for s in SHAPES] for _ in range(50)]

    def ours_params():
        return [pg.tensor(a, dtype=pg.float64, requires_grad=True) for a in init]

    def run(params, opt, lib, steps):
        for gs in steps:
            for p, g in zip(params, gs):
                p.grad = lib.tensor(g, dtype=lib.float64)
            opt.step()

    ours = ours_params()
    opt = getattr(optim, name)(ours, **kw)
    theirs = [torch.tensor(a, requires_grad=True) for a in init]
    topt = getattr(torch.optim, name)(theirs, **kw)
    run(ours, opt, pg, grads[:20])
    run(theirs, topt, torch, grads[:20])
    sd = opt.state_dict()
    assert set(sd["state"][0]) == STATE_KEYS[name] == set(topt.state_dict()["state"][0])
    assert sd["state"][0]["step"] == 20
    resumed = []
    for source in (_roundtrip(sd), topt.state_dict()):
        params = ours_params()
        for p, q in zip(params, ours):
            p.data[...] = q.data
        o = getattr(optim, name)(params, lr=1.0)
        o.load_state_dict(source)
        assert o.param_groups[0]["lr"] == 0.02
        resumed.append((params, o))
    run(ours, opt, pg, grads[20:])
    run(theirs, topt, torch, grads[20:])
    want = np.concatenate([q.detach().numpy().ravel() for q in theirs])
    np.testing.assert_allclose(np.concatenate([p.numpy().ravel() for p in ours]), want,
                               atol=1e-6, rtol=0)
    for params, o in resumed:
        run(params, o, pg, grads[20:])
        got = np.concatenate([p.numpy().ravel() for p in params])
        np.testing.assert_allclose(got, want, atol=1e-6, rtol=0)


def test_load_state_dict_refuses_a_non_numeric_mu_product():
    p = pg.zeros(2, dtype=pg.float64, requires_grad=True)
    opt = optim.NAdam([p])
    sd = {"state": {0: {"step": 1, "mu_product": "x", "exp_avg": np.zeros(2),
                        "exp_avg_sq": np.zeros(2)}},
          "param_groups": [dict(opt.state_dict()["param_groups"][0])]}
    with pytest.raises(ValueError, match="state 'mu_product' of parameter 0 in group 0 is 'x'"):
        opt.load_state_dict(sd)


@pytest.mark.parametrize("name", NEW)
def test_runs_on_each_device(name, device):
    """The array code takes xp from the parameter's device (NumPy or CuPy)."""
    p = pg.tensor([1.0, -2.0, 3.0], device=device, requires_grad=True)
    opt = getattr(optim, name)([p], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
    q = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    topt = getattr(torch.optim, name)([q], lr=0.1)
    for _ in range(3):
        topt.zero_grad()
        (q * q).sum().backward()
        topt.step()
    assert p.device.type == device
    np.testing.assert_allclose(p.cpu().numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)


def _custom_optimizer(lib):
    """An optimizer written the way torch code writes one: its own step over param_groups
    with `state = self.state[p]` and Tensor ops."""
    class SignMomentum(lib.optim.Optimizer):
        def __init__(self, params, lr=0.01, momentum=0.9):
            super().__init__(params, dict(lr=lr, momentum=momentum))

        def step(self, closure=None):
            with lib.no_grad():
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is None:
                            continue
                        state = self.state[p]
                        if len(state) == 0:
                            state["step"] = 0
                            state["buf"] = lib.zeros_like(p)
                        state["step"] += 1
                        state["buf"].mul_(group["momentum"]).add_(p.grad)
                        p.add_(state["buf"].sign(), alpha=-group["lr"])
    return SignMomentum


def test_an_optimizer_written_as_for_torch_runs_saves_and_resumes():
    rng = np.random.default_rng(7)
    w0 = rng.standard_normal((3, 4))
    grads = [rng.standard_normal((3, 4)) for _ in range(20)]
    trails, opts, params = [], [], []
    for lib in (pg, torch):
        w = lib.tensor(w0, dtype=lib.float64, requires_grad=True)
        opt = _custom_optimizer(lib)([w], lr=0.05)
        assert opt.state[w] == {} and len(opt.state) <= 1      # torch's defaultdict
        trail = []
        for g in grads[:10]:
            w.grad = lib.tensor(g, dtype=lib.float64)
            opt.step()
            trail.append(np.array(w.tolist()))
        trails.append(np.array(trail))
        opts.append(opt)
        params.append(w)
    np.testing.assert_allclose(trails[0], trails[1], rtol=0, atol=1e-12)
    sd = _roundtrip(opts[0].state_dict())
    assert sd["state"][0]["step"] == 10 and isinstance(sd["state"][0]["buf"], pg.Tensor)
    theirs_sd = copy.deepcopy(opts[1].state_dict())
    start = params[0].numpy().copy()
    for g in grads[10:]:
        params[1].grad = torch.tensor(g)
        opts[1].step()
    for source in (sd, theirs_sd):          # ours through pg.save, and torch's
        w = pg.tensor(start, requires_grad=True)
        opt = _custom_optimizer(pg)([w], lr=1.0)
        opt.load_state_dict(source)
        assert opt.param_groups[0]["lr"] == 0.05
        assert isinstance(opt.state[w]["buf"], pg.Tensor)
        assert opt.state[w]["buf"].dtype == pg.float64
        for g in grads[10:]:
            w.grad = pg.tensor(g, dtype=pg.float64)
            opt.step()
        np.testing.assert_allclose(w.numpy(), params[1].detach().numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", NEW)
def test_nan_inf_and_empty_parameters_as_torch(name):
    """A non-finite gradient entry spoils the same entries as in torch; an empty parameter
    steps without error."""
    g1 = np.array([1.0, np.nan, np.inf, -np.inf, 0.5])
    g2 = np.array([0.3, 0.2, -0.1, 0.4, -2.0])
    results = []
    for lib, mod in ((pg, optim), (torch, torch.optim)):
        w = lib.tensor(np.linspace(-1, 1, 5), dtype=lib.float64, requires_grad=True)
        e = lib.zeros(0, dtype=lib.float64, requires_grad=True)
        opt = getattr(mod, name)([w, e], lr=0.1, weight_decay=0.1)
        for g in (g1, g2):
            w.grad = lib.tensor(g, dtype=lib.float64)
            e.grad = lib.zeros(0, dtype=lib.float64)
            opt.step()
        assert tuple(e.shape) == (0,)
        results.append(np.array(w.tolist()))
    np.testing.assert_allclose(results[0], results[1], rtol=0, atol=1e-6, equal_nan=True)
    assert np.isnan(results[0]).any() and np.isfinite(results[0]).any()
