"""Learning-rate schedulers against the installed torch: the rate (and the momentum or β1
the cyclical ones drive) of every group after each step, for each scheduler and option;
state dicts resumed through pg.save / pg.load and from torch's own; errors and warnings."""
import io
import math

import numpy as np
import pytest

import pygrad as pg
from pygrad import optim
from pygrad.optim import lr_scheduler as ours_lr

torch = pytest.importorskip("torch")
theirs_lr = torch.optim.lr_scheduler


def _optimizer(lib, name="SGD", two_groups=True, **kw):
    mod = optim if lib is pg else torch.optim
    a = lib.zeros(2, requires_grad=True)
    b = lib.zeros(3, requires_grad=True)
    kw.setdefault("lr", 0.1)
    groups = [{"params": [a]}, {"params": [b], "lr": 0.03}] if two_groups else [a, b]
    return getattr(mod, name)(groups, **kw)


def _momenta(opt):
    g = opt.param_groups
    if "betas" in opt.defaults:
        return [x["betas"][0] for x in g]
    return [x.get("momentum") for x in g]


def _record(opt, sched):
    return (list(sched.get_last_lr()), [g["lr"] for g in opt.param_groups], _momenta(opt))


def _run(lib, make, opt_kw, steps, epochs=None):
    opt = _optimizer(lib, **opt_kw)
    sched = make(ours_lr if lib is pg else theirs_lr, opt)
    trail = [_record(opt, sched)]
    for i in range(steps):
        opt.step()
        if epochs is None:
            sched.step()
        else:
            sched.step(epochs[i])
        trail.append(_record(opt, sched))
    return trail


def _assert_same(ours, theirs):
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        for x, y in zip(a, b):
            assert len(x) == len(y)
            for u, v in zip(x, y):
                assert u == v if v is None else u == pytest.approx(v, rel=1e-12, abs=1e-15), \
                    f"step {k}: {a} != {b}"


def _sgd(**kw):
    return dict(name="SGD", **kw)


def _adam(**kw):
    return dict(name="Adam", **kw)


CASES = {
    "LambdaLR": (lambda L, o: L.LambdaLR(o, lambda e: 0.95 ** e + 0.01 * (e % 3)), _sgd(), 20),
    "LambdaLR-per-group": (lambda L, o: L.LambdaLR(o, [lambda e: 1 / (e + 1),
                                                       lambda e: 0.9 ** e]), _sgd(), 20),
    "MultiplicativeLR": (lambda L, o: L.MultiplicativeLR(o, lambda e: 0.9 + 0.01 * (e % 4)),
                         _sgd(), 20),
    "MultiplicativeLR-per-group": (lambda L, o: L.MultiplicativeLR(
        o, [lambda e: 0.95, lambda e: 1.02]), _sgd(), 20),
    "StepLR": (lambda L, o: L.StepLR(o, step_size=3, gamma=0.5), _sgd(), 20),
    "MultiStepLR-repeated": (lambda L, o: L.MultiStepLR(o, [2, 5, 5, 8], gamma=0.3), _sgd(), 12),
    "ConstantLR": (lambda L, o: L.ConstantLR(o), _sgd(), 10),
    "ConstantLR-options": (lambda L, o: L.ConstantLR(o, factor=0.5, total_iters=3), _sgd(), 8),
    "LinearLR": (lambda L, o: L.LinearLR(o), _sgd(), 10),
    "LinearLR-options": (lambda L, o: L.LinearLR(o, start_factor=0.25, end_factor=0.75,
                                                 total_iters=4), _sgd(), 10),
    "LinearLR-to-zero": (lambda L, o: L.LinearLR(o, start_factor=1.0, end_factor=0.0,
                                                 total_iters=6), _sgd(), 10),
    "ExponentialLR": (lambda L, o: L.ExponentialLR(o, gamma=0.9), _sgd(), 15),
    "PolynomialLR": (lambda L, o: L.PolynomialLR(o), _sgd(), 10),
    "PolynomialLR-options": (lambda L, o: L.PolynomialLR(o, total_iters=6, power=2.0), _sgd(),
                             10),
    "CosineAnnealingLR-past-T_max": (lambda L, o: L.CosineAnnealingLR(o, T_max=5, eta_min=0.01),
                                     _sgd(), 25),
    "OneCycleLR-cos-SGD": (lambda L, o: L.OneCycleLR(o, max_lr=1.0, total_steps=20),
                           _sgd(momentum=0.9), 20),
    "OneCycleLR-linear-Adam": (lambda L, o: L.OneCycleLR(o, max_lr=[0.5, 0.2], epochs=4,
                                                         steps_per_epoch=5,
                                                         anneal_strategy="linear"),
                               _adam(), 20),
    "OneCycleLR-three-phase": (lambda L, o: L.OneCycleLR(o, max_lr=1.0, total_steps=30,
                                                         pct_start=0.25, three_phase=True,
                                                         div_factor=10.0, final_div_factor=100.0,
                                                         base_momentum=0.8,
                                                         max_momentum=[0.9, 0.95]),
                               _sgd(momentum=0.5), 30),
    "OneCycleLR-three-phase-linear-Adam": (lambda L, o: L.OneCycleLR(
        o, max_lr=0.3, total_steps=16, three_phase=True, anneal_strategy="linear"), _adam(), 16),
    "OneCycleLR-no-momentum": (lambda L, o: L.OneCycleLR(o, max_lr=1.0, total_steps=12,
                                                         cycle_momentum=False),
                               dict(name="Adagrad"), 12),
    "CyclicLR-triangular-SGD": (lambda L, o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1,
                                                        step_size_up=4), _sgd(momentum=0.9), 30),
    "CyclicLR-triangular2": (lambda L, o: L.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.1,
                                                     step_size_up=3, step_size_down=5,
                                                     mode="triangular2"), _sgd(momentum=0.9),
                             30),
    "CyclicLR-exp_range-Adam": (lambda L, o: L.CyclicLR(o, base_lr=0.001, max_lr=0.01,
                                                        step_size_up=3, mode="exp_range",
                                                        gamma=0.9, base_momentum=0.85,
                                                        max_momentum=0.95), _adam(), 30),
    "CyclicLR-scale_fn-iterations": (lambda L, o: L.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=2, scale_fn=lambda x: 1 / (1 + x),
        scale_mode="iterations", cycle_momentum=False), _sgd(), 20),
    "CyclicLR-scale_fn-cycle-RMSprop": (lambda L, o: L.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=2, scale_fn=lambda x: 0.5 ** x),
        dict(name="RMSprop", momentum=0.5), 20),
    "CosineAnnealingWarmRestarts": (lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=3),
                                    _sgd(), 20),
    "CosineAnnealingWarmRestarts-T_mult": (lambda L, o: L.CosineAnnealingWarmRestarts(
        o, T_0=2, T_mult=2, eta_min=0.001), _sgd(), 30),
    "SequentialLR": (lambda L, o: L.SequentialLR(o, [L.ConstantLR(o, factor=0.5),
                                                     L.ExponentialLR(o, gamma=0.9)], [3]),
                     _sgd(), 15),
    "SequentialLR-three": (lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, start_factor=0.1, total_iters=3), L.StepLR(o, 2, 0.5),
            L.CosineAnnealingLR(o, T_max=6)], milestones=[3, 8]), _sgd(), 20),
    "ChainedScheduler": (lambda L, o: L.ChainedScheduler([L.ConstantLR(o, factor=0.5,
                                                                       total_iters=4),
                                                          L.ExponentialLR(o, gamma=0.9)]),
                         _sgd(), 15),
    "ChainedScheduler-optimizer": (lambda L, o: L.ChainedScheduler(
        [L.LinearLR(o, total_iters=3), L.MultiStepLR(o, [4, 7], 0.5)], optimizer=o), _sgd(),
        12),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rates_and_momenta_match_torch(case):
    make, opt_kw, steps = CASES[case]
    ours = _run(pg, make, opt_kw, steps)
    theirs = _run(torch, make, opt_kw, steps)
    _assert_same(ours, theirs)
    rates = {tuple(r[1]) for r in ours}
    assert len(rates) >= 2       # the rate changed: a constant schedule would fail


def _roundtrip(obj):
    buf = io.BytesIO()
    pg.save(obj, buf)
    buf.seek(0)
    return pg.load(buf)


@pytest.mark.parametrize("case", sorted(CASES))
def test_state_dict_resumes_identically(case):
    """Stop after 7 steps; a fresh optimizer and scheduler given the saved state dicts (through
    pg.save / pg.load, or torch's scheduler state dict) continue as the uninterrupted run."""
    make, opt_kw, steps = CASES[case]
    full = _run(pg, make, opt_kw, steps)
    theirs_opt = _optimizer(torch, **opt_kw)
    theirs = make(theirs_lr, theirs_opt)
    opt = _optimizer(pg, **opt_kw)
    sched = make(ours_lr, opt)
    for _ in range(7):
        opt.step()
        sched.step()
        theirs_opt.step()
        theirs.step()
    sd, osd = sched.state_dict(), opt.state_dict()
    assert set(sd) == set(theirs.state_dict())
    for source in (_roundtrip(sd), theirs.state_dict()):
        opt2 = _optimizer(pg, **opt_kw)
        sched2 = make(ours_lr, opt2)
        opt2.load_state_dict(_roundtrip(osd))
        sched2.load_state_dict(source)
        trail = [_record(opt2, sched2)]
        for _ in range(7, steps):
            opt2.step()
            sched2.step()
            trail.append(_record(opt2, sched2))
        _assert_same(trail, full[7:])


def test_cosine_warm_restarts_with_fractional_epochs():
    iters = 4
    epochs = [e + i / iters for e in range(9) for i in range(iters)][1:]
    for kw in (dict(T_0=3), dict(T_0=2, T_mult=2, eta_min=0.01), dict(T_0=1, T_mult=3)):
        make = (lambda L, o, kw=kw: L.CosineAnnealingWarmRestarts(o, **kw))
        ours = _run(pg, make, _sgd(), len(epochs), epochs)
        theirs = _run(torch, make, _sgd(), len(epochs), epochs)
        _assert_same(ours, theirs)
    with pytest.raises(ValueError, match="Expected non-negative epoch"):
        ours_lr.CosineAnnealingWarmRestarts(_optimizer(pg), T_0=2).step(-1)


CLOSED = [
    lambda L, o: L.StepLR(o, 3, 0.5),
    lambda L, o: L.MultiStepLR(o, [2, 4, 4], 0.5),
    lambda L, o: L.ConstantLR(o, 0.5, 4),
    lambda L, o: L.LinearLR(o, 0.2, 0.9, 5),
    lambda L, o: L.ExponentialLR(o, 0.8),
    lambda L, o: L.PolynomialLR(o, 6, 1.5),
    lambda L, o: L.CosineAnnealingLR(o, 4, 0.01),
    lambda L, o: L.LambdaLR(o, lambda e: 1 / (1 + e)),
]


@pytest.mark.parametrize("k", range(len(CLOSED)))
def test_step_with_an_epoch_uses_the_closed_form_and_warns(k):
    epochs = [3, 1, 7, 7, 2, 9, 0, 5]
    theirs_opt = _optimizer(torch)
    theirs = CLOSED[k](theirs_lr, theirs_opt)
    opt = _optimizer(pg)
    sched = CLOSED[k](ours_lr, opt)
    for e in epochs:
        theirs_opt.step()
        opt.step()
        with pytest.warns(UserWarning, match="epoch parameter"):
            theirs.step(e)
        with pytest.warns(UserWarning, match="epoch parameter"):
            sched.step(e)
        assert sched.last_epoch == e
        assert sched.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12)


def test_one_cycle_refuses_to_step_past_total_steps_and_bad_arguments():
    opt = _optimizer(pg, momentum=0.9)
    sched = ours_lr.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        opt.step()
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total "
                                         "steps is 3"):
        sched.step()
    for kw, match in [(dict(), "either total_steps OR"), (dict(total_steps=0), "total_steps"),
                      (dict(epochs=2, steps_per_epoch=0), "steps_per_epoch"),
                      (dict(total_steps=5, pct_start=1.5), "pct_start"),
                      (dict(total_steps=5, anneal_strategy="cosine"), "anneal_strategy")]:
        with pytest.raises(ValueError, match=match):
            ours_lr.OneCycleLR(_optimizer(pg, momentum=0.9), max_lr=1.0, **kw)
        with pytest.raises(ValueError):
            theirs_lr.OneCycleLR(_optimizer(torch, momentum=0.9), max_lr=1.0, **kw)
    with pytest.raises(ValueError, match="must support momentum or beta1"):
        ours_lr.OneCycleLR(_optimizer(pg, name="Adagrad"), max_lr=1.0, total_steps=5)
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        ours_lr.OneCycleLR(_optimizer(pg), max_lr=[1.0], total_steps=5)


@pytest.mark.parametrize("make,exc,match", [
    (lambda o: ours_lr.CyclicLR(o, 0.01, 0.1, mode="square"), ValueError, "mode 'square'"),
    (lambda o: ours_lr.CyclicLR(_optimizer(pg, name="Adagrad"), 0.01, 0.1), ValueError,
     "momentum or beta1"),
    (lambda o: ours_lr.CyclicLR(o, [0.1], 0.2), ValueError, "base_lr must have the same"),
    (lambda o: ours_lr.ConstantLR(o, factor=1.5), ValueError, "between 0 and 1"),
    (lambda o: ours_lr.LinearLR(o, start_factor=0), ValueError, "greater than 0"),
    (lambda o: ours_lr.LinearLR(o, end_factor=2), ValueError, "between 0 and 1"),
    (lambda o: ours_lr.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "positive integer"),
    (lambda o: ours_lr.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=1.5), ValueError,
     "T_mult >= 1"),
    (lambda o: ours_lr.LambdaLR(o, [lambda e: 1.0]), ValueError, "Expected 2 lr_lambdas"),
    (lambda o: ours_lr.MultiplicativeLR(o, 0.5), TypeError, "should be a function"),
    (lambda o: ours_lr.SequentialLR(o, [], []), ValueError, "at least one scheduler"),
    (lambda o: ours_lr.SequentialLR(o, [ours_lr.StepLR(o, 2)], [3]), ValueError,
     "one more than the number of milestone"),
    (lambda o: ours_lr.SequentialLR(o, [ours_lr.StepLR(_optimizer(pg), 2)], []), ValueError,
     "same optimizer"),
    (lambda o: ours_lr.ChainedScheduler([ours_lr.ReduceLROnPlateau(o)]), ValueError,
     "does not support `ReduceLROnPlateau`"),
    (lambda o: ours_lr.ChainedScheduler([]), ValueError, "at least one scheduler"),
    (lambda o: ours_lr.StepLR(object(), 2), TypeError, "expected an Optimizer"),
    (lambda o: ours_lr.ExponentialLR(o, 0.9, last_epoch=3), KeyError, "initial_lr"),
])
def test_bad_arguments_raise_clear_errors(make, exc, match):
    with pytest.raises(exc, match=match):
        make(_optimizer(pg))


def test_warnings_for_misuse_as_torch():
    opt = _optimizer(pg)
    sched = ours_lr.StepLR(opt, 2)
    with pytest.warns(UserWarning, match=r"before `optimizer.step\(\)`"):
        sched.step()
    with pytest.warns(UserWarning, match=r"use `get_last_lr\(\)`"):
        sched.get_lr()
    opt = _optimizer(pg)
    sched = ours_lr.StepLR(opt, 2)
    opt.step()
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched.step()            # the right order: no warning


PLATEAU = [dict(factor=0.5, patience=2, cooldown=1, min_lr=0.05),
           dict(mode="max", threshold_mode="abs", threshold=0.1, patience=1, min_lr=[0.0, 0.02]),
           dict(mode="max", factor=0.2, patience=0, eps=0.05)]


@pytest.mark.parametrize("kw", PLATEAU)
def test_reduce_on_plateau_matches_torch_and_resumes(kw):
    metrics = [5, 4, 4, 4, 4, 4, 3.9999, 4, 4.2, 4.25, 4, 4, 4, 4, 4, 4, 1, 6, 6, 6, 6]
    opts = [_optimizer(pg), _optimizer(torch)]
    scheds = [ours_lr.ReduceLROnPlateau(opts[0], **kw),
              theirs_lr.ReduceLROnPlateau(opts[1], **kw)]
    seen = set()
    for i, m in enumerate(metrics):
        for s in scheds:
            s.step(m)
        assert scheds[0].get_last_lr() == pytest.approx(scheds[1].get_last_lr(), rel=1e-12)
        seen.add(tuple(scheds[0].get_last_lr()))
        if i == 8:
            sd = scheds[0].state_dict()
            assert set(sd) == set(scheds[1].state_dict())
            fresh = _optimizer(pg)
            fresh.load_state_dict(_roundtrip(opts[0].state_dict()))
            resumed = ours_lr.ReduceLROnPlateau(fresh)
            resumed.load_state_dict(_roundtrip(sd))
            scheds.append(resumed)
    assert len(seen) > 1
    assert scheds[2].get_last_lr() == scheds[0].get_last_lr()
    with pytest.raises(ValueError, match="factor must be < 1.0"):
        ours_lr.ReduceLROnPlateau(_optimizer(pg), factor=1.0)
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 3"):
        ours_lr.ReduceLROnPlateau(_optimizer(pg), min_lr=[0, 0, 0])


def test_a_rate_set_by_hand_carries_on_as_in_torch():
    """The chainable form continues from the group's current rate."""
    trails = []
    for lib, L in ((pg, ours_lr), (torch, theirs_lr)):
        opt = _optimizer(lib)
        sched = L.ExponentialLR(opt, 0.5)
        trail = []
        for i in range(6):
            opt.step()
            sched.step()
            if i == 2:
                opt.param_groups[0]["lr"] = 1.0
            trail.append(sched.get_last_lr())
        trails.append(trail)
    assert trails[0] == trails[1]
    assert trails[0][-1][0] == 1.0 * 0.5 ** 3


def test_cyclic_lr_state_dict_keeps_a_callable_objects_attributes():
    class Scale:
        def __init__(self):
            self.k = 2.0

        def __call__(self, x):
            return 1 / self.k ** x

    opt = _optimizer(pg, momentum=0.9)
    fn = Scale()
    sched = ours_lr.CyclicLR(opt, 0.01, 0.1, step_size_up=2, scale_fn=fn)
    fn.k = 3.0
    sd = _roundtrip(sched.state_dict())
    assert sd["_scale_fn_custom"] == {"k": 3.0}
    fn2 = Scale()
    sched2 = ours_lr.CyclicLR(_optimizer(pg, momentum=0.9), 0.01, 0.1, step_size_up=2,
                              scale_fn=fn2)
    sched2.load_state_dict(sd)
    assert fn2.k == 3.0 and math.isclose(sched2.scale_fn(1), 1 / 3)
    # plain functions are not saved (as in torch)
    plain = ours_lr.LambdaLR(_optimizer(pg), lambda e: 1.0)
    assert plain.state_dict()["lr_lambdas"] == [None, None]
    assert np.isfinite(plain.get_last_lr()).all()


@pytest.mark.parametrize("base", ["LRScheduler", "_LRScheduler"])
def test_a_scheduler_written_as_for_torch_matches(base):
    def make(L, o):
        class Halving(getattr(L, base)):
            def __init__(self, optimizer, every=2, last_epoch=-1):
                self.every = every
                super().__init__(optimizer, last_epoch)

            def get_lr(self):
                return [b * 0.5 ** (self.last_epoch // self.every) for b in self.base_lrs]
        return Halving(o, every=3)
    _assert_same(_run(pg, make, _sgd(), 10), _run(torch, make, _sgd(), 10))


@pytest.mark.parametrize("name", ours_lr.__all__)
def test_signatures_are_torchs(name):
    import inspect
    ours = inspect.signature(getattr(ours_lr, name).__init__).parameters
    theirs = inspect.signature(getattr(theirs_lr, name).__init__).parameters
    assert list(ours) == list(theirs)
    for k, p in theirs.items():
        assert ours[k].default == p.default, k
    assert set(ours_lr.__all__) == set(theirs_lr.__all__)


@pytest.mark.parametrize("name,make", [
    ("SGD", lambda L, o: L.OneCycleLR(o, max_lr=0.5, total_steps=30)),
    ("Adam", lambda L, o: L.OneCycleLR(o, max_lr=0.05, total_steps=30, three_phase=True)),
    ("NAdam", lambda L, o: L.CyclicLR(o, 0.001, 0.05, step_size_up=4)),
    ("RMSprop", lambda L, o: L.CyclicLR(o, 0.001, 0.02, step_size_up=3, mode="triangular2")),
    ("Adadelta", lambda L, o: L.SequentialLR(o, [L.LinearLR(o, 0.1, total_iters=5),
                                                 L.CosineAnnealingWarmRestarts(o, 4)], [5])),
])
def test_training_under_a_schedule_follows_torch(name, make):
    """The optimizers read the rates and momenta (β1) the schedulers set at every step."""
    rng = np.random.default_rng(11)
    w0 = rng.standard_normal((4, 3))
    grads = [rng.standard_normal((4, 3)) for _ in range(30)]
    trails = []
    for lib, mod, L in ((pg, optim, ours_lr), (torch, torch.optim, theirs_lr)):
        w = lib.tensor(w0, dtype=lib.float64, requires_grad=True)
        kw = {"momentum": 0.9} if name in ("SGD", "RMSprop") else {}
        opt = getattr(mod, name)([w], lr=10.0 if name == "Adadelta" else 0.01, **kw)
        sched = make(L, opt)
        trail = []
        for g in grads:
            w.grad = lib.tensor(g, dtype=lib.float64)
            opt.step()
            sched.step()
            trail.append(np.array(w.tolist()))
        trails.append(np.array(trail))
    np.testing.assert_allclose(trails[0], trails[1], rtol=0, atol=1e-6)
    assert np.abs(trails[0][-1] - trails[0][0]).max() > 1e-2     # the parameters moved
