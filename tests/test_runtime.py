"""Process-wide settings against the installed torch: inference_mode, set/get_num_threads,
set_printoptions (what the reprs show under each profile), use_deterministic_algorithms."""
import math
import re
import threading

import numpy as np
import pytest

import pygrad as pg
from pygrad import runtime

torch = pytest.importorskip("torch")


@pytest.fixture
def restore_printing():
    saved = runtime.get_printoptions()
    yield
    pg.set_printoptions(**saved)
    torch.set_printoptions(profile="default", sci_mode=None)


def _both(**kwargs):
    pg.set_printoptions(**kwargs)
    torch.set_printoptions(**kwargs)


def _tokens(s):
    """The numbers and "..." of a repr, in order, as floats and the string "..."."""
    body = s[s.index("(") + 1:]
    body = re.sub(r",\s+(grad_fn|requires_grad|dtype|device)=.*\)$", ")", body, flags=re.DOTALL)
    out = []
    for tok in re.split(r"[\s,\[\]()]+", body):
        if tok == "...":
            out.append(tok)
        elif tok:
            out.append(float(tok))
    return out


def _decimals(s):
    """Digits after the decimal point of each number in a repr (of the mantissa in
    scientific notation; 0 for "3" and "3.")."""
    return [len(m) for m in re.findall(r"\d(?:\.(\d*))?(?:e[+-]\d+)?(?=[,\]])", s)]


def _seeded(*shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# ----------------------------------------------------------------------------- inference_mode

def _state(lib):
    return lib.is_grad_enabled(), lib.is_inference_mode_enabled()


def test_inference_mode_sets_the_modes_as_torch_in_every_nesting():
    def run(lib):
        seen = [_state(lib)]
        with lib.inference_mode():
            seen.append(_state(lib))
            with lib.inference_mode(False):
                seen.append(_state(lib))
            seen.append(_state(lib))
            with lib.enable_grad():
                seen.append(_state(lib))
        seen.append(_state(lib))
        with lib.no_grad():
            with lib.inference_mode(False):
                seen.append(_state(lib))
            seen.append(_state(lib))
        return seen
    assert run(pg) == run(torch)


def test_inference_mode_records_no_graph_and_restores_on_error():
    x = pg.randn(3, requires_grad=True)
    t = torch.randn(3, requires_grad=True)
    with pg.inference_mode(), torch.inference_mode():
        y, u = (x * 2).sum(), (t * 2).sum()
    assert y.requires_grad == u.requires_grad and y.grad_fn is None
    with pytest.raises(KeyError), pg.inference_mode():
        raise KeyError("inside")
    assert _state(pg) == (True, False)
    assert (x * 2).sum().requires_grad


def test_inference_mode_as_decorator_in_each_form():
    def report():
        return _state(pg)
    assert pg.inference_mode(report)() == (False, True)
    assert pg.inference_mode()(report)() == (False, True)
    assert pg.inference_mode(False)(report)() == (True, False)

    @pg.inference_mode
    def bare(x):
        return x * 2
    assert bare.__name__ == "bare" and not bare(pg.ones(2, requires_grad=True)).requires_grad
    with pg.inference_mode():
        assert pg.inference_mode(False)(report)() == (True, False)
        assert _state(pg) == (False, True)


def test_inference_mode_is_thread_local():
    seen = []
    with pg.inference_mode():
        th = threading.Thread(target=lambda: seen.append(_state(pg)))
        th.start()
        th.join()
    assert seen == [(True, False)]


def test_inference_mode_bad_mode():
    with pytest.raises(TypeError, match="mode must be a bool"):
        pg.inference_mode("yes")


# ----------------------------------------------------------------------------- threads

def test_num_threads_round_trip_and_same_results():
    if runtime._cpu._cpu is None:
        pytest.skip("the compiled cpu kernels are not built: there are no threads to set")
    before = pg.get_num_threads()
    x = _seeded(300, 4000, seed=1)
    want = torch.softmax(torch.from_numpy(x), dim=-1).numpy()
    try:
        for n in (1, 2, 3):
            pg.set_num_threads(n)
            assert pg.get_num_threads() == n
            got = pg.softmax(pg.tensor(x), dim=-1).numpy()
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    finally:
        pg.set_num_threads(before)
    assert pg.get_num_threads() == before


@pytest.mark.parametrize("bad, message", [(0, "positive integer"), (-2, "positive integer"),
                                          (2.0, "expects an int"), ("2", "expects an int")])
def test_set_num_threads_bad_input_as_torch(bad, message):
    before = torch.get_num_threads()
    with pytest.raises(Exception) as want:
        torch.set_num_threads(bad)
    assert torch.get_num_threads() == before
    pg_before = pg.get_num_threads()
    with pytest.raises(type(want.value), match=message):
        pg.set_num_threads(bad)
    assert message in str(want.value)
    assert pg.get_num_threads() == pg_before


# ----------------------------------------------------------------------------- printing

def _old_repr_body(x):
    """The repr's body as pygrad printed it before the print options existed."""
    return np.array2string(x.numpy(force=True), separator=", ", prefix="tensor(", precision=4,
                           threshold=200)


@pytest.mark.parametrize("make", [
    lambda: pg.tensor(_seeded(5)), lambda: pg.tensor(_seeded(7, 13, seed=2)),
    lambda: pg.tensor(_seeded(1000, seed=3)), lambda: pg.tensor(_seeded(40, 40, seed=4) * 1e5),
    lambda: pg.tensor(_seeded(3, dtype=np.float64) * 1e-6), lambda: pg.arange(500),
    lambda: pg.tensor([True, False]), lambda: pg.zeros(0, 3), lambda: pg.tensor(2.5),
    lambda: pg.tensor([1.0, float("nan"), -float("inf")], dtype=pg.float16),
])
def test_default_repr_is_unchanged(make, restore_printing):
    x = make()
    for _ in range(2):
        assert repr(x) == "tensor(" + _old_repr_body(x) + "".join(
            f", dtype=pygrad.{x.dtype}" for _ in [0] if x.dtype not in (np.float32, np.int64,
                                                                         np.bool_)) + ")"
        pg.set_printoptions(profile="default")      # the profile is the start state


def test_repr_still_shows_grad_state_dtype_and_device(restore_printing):
    pg.set_printoptions(profile="short")
    x = pg.ones(2, requires_grad=True)
    assert repr(x).endswith(", requires_grad=True)")
    assert "grad_fn=<MulBackward>" in repr(x * 2)
    assert repr(pg.ones(2, dtype=pg.float64)).endswith(", dtype=pygrad.float64)")
    assert str(x) == repr(x)


@pytest.mark.parametrize("precision", [0, 1, 2, 4, 6])
def test_precision_digits_as_torch(precision, restore_printing):
    a = _seeded(4, 5, dtype=np.float64, seed=5) * 10     # float32 values may print fewer
    _both(precision=precision)                          # digits (their shortest form)
    ours, theirs = repr(pg.tensor(a)), repr(torch.tensor(a))
    np.testing.assert_array_equal(_tokens(ours), _tokens(theirs))
    assert max(_decimals(ours)) == precision and max(_decimals(theirs)) == precision


@pytest.mark.parametrize("profile", ["default", "short", "full"])
def test_profiles_summarise_as_torch(profile, restore_printing):
    _both(profile=profile)
    for x in (np.arange(2000), np.arange(3000).reshape(30, 100), _seeded(1500, seed=6),
              np.arange(24).reshape(2, 3, 4)):
        ours, theirs = repr(pg.tensor(x)), repr(torch.tensor(x))
        assert _tokens(ours) == _tokens(theirs), (profile, x.shape)
    opts = runtime.get_printoptions()
    want = torch._tensor_str.PRINT_OPTS
    assert (opts["precision"], opts["edgeitems"]) == (want.precision, want.edgeitems)
    assert (opts["threshold"] == math.inf) == (want.threshold == math.inf)


def test_summarising_follows_threshold_and_edgeitems_as_torch(restore_printing):
    x = np.arange(600).reshape(20, 30)
    for threshold, edgeitems in ((10, 1), (599, 2), (600, 3), (1000, 4), (math.inf, 3)):
        _both(threshold=threshold, edgeitems=edgeitems)
        ours, theirs = repr(pg.tensor(x)), repr(torch.tensor(x))
        assert _tokens(ours) == _tokens(theirs), (threshold, edgeitems)
        assert ("..." in ours) == (x.size > threshold)


@pytest.mark.parametrize("sci_mode", [True, False])
def test_sci_mode_prints_torchs_strings(sci_mode, restore_printing):
    _both(sci_mode=sci_mode, linewidth=80)
    for values in ([1e-5, 1.0, -1e5, float("nan"), float("inf")], [0.5, 2.25, 3.0],
                   [[123.456, -0.001], [7.0, 1e-12]], [-float("inf"), 1.0], [1.0, -20.0, 0.0],
                   [float("nan"), 3.0], [0.0, 0.0], [1e300, -1e-300, 5.0]):
        ours, theirs = repr(pg.tensor(values)), repr(torch.tensor(values))
        assert ours == theirs
    ints = repr(pg.tensor([1, 2]))
    assert ints == repr(torch.tensor([1, 2]))


def test_sci_mode_with_precision_and_summarising(restore_printing):
    _both(sci_mode=True, precision=2, threshold=10, edgeitems=2)
    a = _seeded(50, seed=7) * 1000
    ours, theirs = repr(pg.tensor(a)), repr(torch.tensor(a))
    assert re.sub(r"\s+", "", ours) == re.sub(r"\s+", "", theirs)


def test_every_call_sets_sci_mode_as_torch(restore_printing):
    _both(sci_mode=True)
    _both(precision=3)
    assert runtime.get_printoptions()["sci_mode"] is torch._tensor_str.PRINT_OPTS.sci_mode
    assert repr(pg.tensor([1.2345])) == repr(torch.tensor([1.2345])) == "tensor([1.235])"


def test_linewidth_wraps_lines(restore_printing):
    a = _seeded(60, seed=8)
    for width in (30, 75, 120):
        pg.set_printoptions(linewidth=width)
        lines = repr(pg.tensor(a)).splitlines()
        assert all(len(line) <= width for line in lines[:-1])
        assert len(lines) > 1 if width < 200 else len(lines) == 1


@pytest.mark.parametrize("kwargs, exc, message", [
    ({"profile": "long"}, ValueError, "profile must be one of"),
    ({"precision": -1}, ValueError, "precision must be >= 0"),
    ({"precision": 1.5}, TypeError, "precision must be an int"),
    ({"threshold": "many"}, TypeError, "threshold must be an int"),
    ({"edgeitems": 0}, ValueError, "edgeitems must be >= 1"),
    ({"linewidth": True}, TypeError, "linewidth must be an int"),
    ({"sci_mode": "yes"}, TypeError, "sci_mode must be True, False or None"),
])
def test_set_printoptions_bad_input_changes_nothing(kwargs, exc, message, restore_printing):
    pg.set_printoptions(precision=3, sci_mode=True)
    before = runtime.get_printoptions()
    with pytest.raises(exc, match=message):
        pg.set_printoptions(**kwargs)
    assert runtime.get_printoptions() == before


# ----------------------------------------------------------------------------- determinism

def test_deterministic_algorithms_are_recorded_as_torch():
    try:
        for mode, warn_only in ((True, False), (True, True), (False, False)):
            pg.use_deterministic_algorithms(mode, warn_only=warn_only)
            torch.use_deterministic_algorithms(mode, warn_only=warn_only)
            assert pg.are_deterministic_algorithms_enabled() == \
                torch.are_deterministic_algorithms_enabled() == mode
            assert pg.is_deterministic_algorithms_warn_only_enabled() == \
                torch.is_deterministic_algorithms_warn_only_enabled() == warn_only
    finally:
        pg.use_deterministic_algorithms(False)
        torch.use_deterministic_algorithms(False)


@pytest.mark.parametrize("bad", [1, None, "true"])
def test_use_deterministic_algorithms_bad_mode_as_torch(bad):
    with pytest.raises(Exception) as want:
        torch.use_deterministic_algorithms(bad)
    with pytest.raises(type(want.value), match="mode must be bool"):
        pg.use_deterministic_algorithms(bad)
    with pytest.raises(TypeError, match="warn_only must be bool"):
        pg.use_deterministic_algorithms(True, warn_only="no")
    assert not pg.are_deterministic_algorithms_enabled()
