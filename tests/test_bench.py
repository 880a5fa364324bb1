"""Tests of the benchmark harness and of ``pygrad bench --quick`` (correctness, not speed)."""
from __future__ import annotations

import importlib
import json
import math
import sys

import numpy as np
import pytest


def _bench(name):
    """``pygrad.bench.<name>`` when installed, else the in-tree ``bench.<name>``."""
    try:
        return importlib.import_module(f"pygrad.bench.{name}")
    except ImportError:
        return importlib.import_module(f"bench.{name}")


harness = _bench("harness")


@pytest.fixture(autouse=True)
def _restore_threads(monkeypatch):
    """The CLI sets thread counts process-wide; put them back after each test."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, __import__("os").environ.get(var, ""))
    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch else None
    yield
    if before is not None:
        torch.set_num_threads(before)


class FakeClock:
    """A clock that advances by the cost the running contender declares."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def spend(self, seconds):
        def fn():
            self.now += seconds
        return fn


# ----------------------------------------------------------------------------- timing

def test_interleaved_order_alternates_direction():
    assert harness.interleaved_order(["a", "b", "c"], 0) == ["a", "b", "c"]
    assert harness.interleaved_order(["a", "b", "c"], 1) == ["c", "b", "a"]
    assert harness.interleaved_order(["a", "b"], 2) == ["a", "b"]


def test_measure_interleaves_contenders_round_by_round():
    calls = []
    fns = {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}
    harness.measure(fns, repeat=3, warmup=0)
    assert calls == ["a", "b", "b", "a", "a", "b"]


def test_measure_warms_up_each_contender_before_timing():
    calls = []
    fns = {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}
    harness.measure(fns, repeat=1, warmup=2)
    assert calls == ["a", "a", "b", "b", "a", "b"]


def test_measure_reports_seconds_per_call_and_median():
    clock = FakeClock()
    costs = iter([1.0, 5.0, 2.0, 3.0, 100.0])  # an outlier must not move the median much
    fns = {"a": lambda: clock.spend(next(costs))()}
    times = harness.measure(fns, repeat=5, warmup=0, number=1, clock=clock)
    assert times["a"].samples == [1.0, 5.0, 2.0, 3.0, 100.0]
    assert times["a"].median == 3.0
    assert times["a"].ms == 3000.0


def test_measure_divides_by_number_and_syncs_inside_the_timed_region():
    clock = FakeClock()
    synced = []

    def sync():
        synced.append(clock.now)
        clock.now += 1.0  # waiting for a device counts towards the sample

    times = harness.measure({"a": clock.spend(0.5)}, repeat=2, warmup=0, number=4,
                            sync=sync, clock=clock)
    assert times["a"].samples == [pytest.approx(0.75), pytest.approx(0.75)]
    assert len(synced) == 2


def test_measure_cools_down_outside_the_timed_region(monkeypatch):
    clock = FakeClock()
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock.now += seconds  # if this were timed, the samples would include it

    monkeypatch.setattr(harness.time, "sleep", sleep)
    times = harness.measure({"a": clock.spend(1.0), "b": clock.spend(2.0)}, repeat=2,
                            warmup=0, cooldown=0.25, clock=clock)
    assert slept == [0.25] * 4
    assert times["a"].samples == [1.0, 1.0] and times["b"].samples == [2.0, 2.0]


@pytest.mark.parametrize("kwargs, word", [({"repeat": 0}, "repeat"), ({"number": 0}, "number")])
def test_measure_rejects_bad_counts(kwargs, word):
    with pytest.raises(ValueError, match=word):
        harness.measure({"a": lambda: None}, **kwargs)


def test_measure_rejects_no_contenders():
    with pytest.raises(ValueError, match="contender"):
        harness.measure({})


# ----------------------------------------------------------------------------- inputs, targets

def test_random_inputs_are_random_not_zeros():
    x = harness.random_logits((64, 32))
    assert x.dtype == np.float32 and x.flags.c_contiguous
    assert np.count_nonzero(x) == x.size and x.std() > 0.5
    t = harness.random_targets(1000, 7)
    assert t.dtype == np.int64 and t.min() >= 0 and t.max() == 6


def test_check_target_both_directions():
    assert harness.check_target({"ratio": 4.2, "target": harness.target(">=", 4)}) == "pass"
    assert harness.check_target({"ratio": 3.9, "target": harness.target(">=", 4)}) == "miss"
    goal = harness.target("<=", 0.0045, of="pygrad_ms")
    assert harness.check_target({"pygrad_ms": 0.004, "target": goal}) == "pass"
    assert harness.check_target({"pygrad_ms": 0.005, "target": goal}) == "miss"
    assert harness.check_target({"ratio": None, "target": goal}) == ""
    assert harness.check_target({"ratio": 2.0}) == ""
    with pytest.raises(ValueError, match="op"):
        harness.target(">", 1)


def test_ratio_handles_missing_values():
    assert harness.ratio(10.0, 2.5) == 4.0
    assert harness.ratio(None, 2.0) is None
    assert harness.ratio(1.0, 0.0) is None


# ----------------------------------------------------------------------------- formatting

def test_format_time_units():
    assert harness.format_time(0.0045) == "4.50 µs"
    assert harness.format_time(0.5) == "0.5 ms"
    assert harness.format_time(12.345) == "12.35 ms"
    assert harness.format_time(1072.4) == "1072.4 ms"
    assert harness.format_time(None) == "-"
    assert harness.format_time(math.nan) == "-"


def test_format_table_layout_and_status():
    rows = [
        {"name": "ce", "shape": (16384, 1024), "pygrad_ms": 20.0, "torch_ms": 120.0,
         "numpy_ms": 300.0, "ratio": 6.0, "target": harness.target(">=", 4), "suite": "k"},
        {"name": "overhead", "shape": (1,), "pygrad_ms": 0.006, "torch_ms": 0.005,
         "numpy_ms": None, "ratio": 0.83, "target": harness.target("<=", 0.0045, "pygrad_ms"),
         "note": "slow"},
    ]
    lines = harness.format_table(rows).splitlines()
    header = lines[0].split()
    assert header[:4] == ["benchmark", "shape", "pygrad", "torch"]
    assert "suite" not in lines[0]
    assert set(lines[1]) <= {"-", " "}
    assert "16384×1024" in lines[2] and "6.00×" in lines[2] and "≥ 4×" in lines[2]
    assert lines[2].rstrip().endswith("pass")
    assert "6.00 µs" in lines[3] and "≤ 4.50 µs" in lines[3] and lines[3].endswith("miss")
    assert lines[-1].strip() == "[overhead] slow"
    # numbers are right-aligned under their header
    end = lines[0].index("torch/pygrad") + len("torch/pygrad")
    assert lines[2].index("6.00×") + len("6.00×") == end
    assert lines[3].index("0.83×") + len("0.83×") == end


def test_table_columns_keep_known_order_then_extras():
    rows = [{"ratio": 1.0, "name": "x", "gbps": 3.0}, {"name": "y", "extra": 1, "pygrad_ms": 2.0}]
    assert harness.table_columns(rows) == ["name", "pygrad_ms", "ratio", "gbps", "extra"]


# ----------------------------------------------------------------------------- files

def test_write_json_round_trips_and_adds_status(tmp_path):
    rows = [{"name": "ce", "shape": (2, 3), "pygrad_ms": np.float64(1.5), "ratio": math.nan,
             "torch_ms": 3.0, "target": harness.target(">=", 1)}]
    path = harness.write_json(rows, str(tmp_path / "sub" / "r.json"), {"device": "cpu"})
    with open(path) as f:
        data = json.load(f)
    assert data["meta"] == {"device": "cpu"}
    (row,) = data["rows"]
    assert row["shape"] == [2, 3] and row["pygrad_ms"] == 1.5 and row["ratio"] is None
    assert row["status"] == ""


def test_plot_ratios_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    rows = [{"name": "a", "shape": (4, 4), "ratio": 2.0, "target": harness.target(">=", 1.5)},
            {"name": "b", "ratio": 0.5}]
    path = harness.plot_ratios(rows, str(tmp_path / "r.png"), title="t")
    assert path
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert harness.plot_ratios([{"name": "c"}], str(tmp_path / "none.png")) is None


# ----------------------------------------------------------------------------- numpy baselines

def test_numpy_baselines_match_torch_math():
    torch = pytest.importorskip("torch")
    cpu = _bench("cpu")
    x, t = harness.random_logits((8, 5)), harness.random_targets(8, 5)
    loss, g = cpu.numpy_cross_entropy(x, t)
    tx = torch.from_numpy(x.copy()).requires_grad_()
    tl = torch.nn.functional.cross_entropy(tx, torch.from_numpy(t))
    tl.backward()
    assert loss == pytest.approx(tl.item(), rel=1e-5)
    np.testing.assert_allclose(g, tx.grad.numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(cpu.numpy_softmax(x), torch.softmax(tx, 1).detach().numpy(),
                               rtol=1e-5, atol=1e-7)
    gy = harness.random_logits((8, 5), seed=4)
    ty = torch.from_numpy(x.copy()).requires_grad_()
    torch.sigmoid(ty).backward(torch.from_numpy(gy))
    np.testing.assert_allclose(cpu.numpy_sigmoid_fwd_bwd(x, gy), ty.grad.numpy(),
                               rtol=1e-5, atol=1e-7)


# ----------------------------------------------------------------------------- the command

def test_gpu_rows_get_the_baseline_targets():
    cli = _bench("cli")
    ce = {"name": "cross_entropy fwd+bwd"}
    assert cli.gpu_target({**ce, "shape": "65536x1024"})["value"] == 3.8
    assert cli.gpu_target({**ce, "shape": "262144x128"})["value"] == 8.0
    assert cli.gpu_target({**ce, "shape": "1048576x10"})["value"] == 15.0
    assert cli.gpu_target({**ce, "shape": "100x10"}) is None
    assert cli.gpu_target({"name": "softmax fwd+bwd", "shape": "8x8"})["value"] == 2.5
    assert cli.gpu_target({"name": "copy d2d", "shape": "2048 MiB"}) is None


def test_cli_rejects_bad_arguments(capsys):
    cli = _bench("cli")
    assert cli.main(["--threads", "0"]) == 2
    err = capsys.readouterr().err
    assert err == "pygrad bench: error: argument --threads: expected a positive integer, got 0\n"
    assert cli.main(["--device", "tpu"]) == 2
    assert "argument --device: invalid choice: 'tpu'" in capsys.readouterr().err


def test_cli_without_torch_says_how_to_install(monkeypatch, tmp_path, capsys):
    cli = _bench("cli")
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    assert cli.main(["--quick", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "pip install torch==2.13.0" in err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("suite", ["kernels", "mlp", "engine"])
def test_cli_quick_writes_valid_json(suite, tmp_path, capsys):
    pytest.importorskip("torch")
    pg = pytest.importorskip("pygrad")
    if not hasattr(pg, "from_numpy"):
        pytest.skip("pygrad's Tensor API is not available")
    if suite in ("mlp", "engine"):
        pytest.importorskip("pygrad.optim")
    cli = _bench("cli")
    status = cli.main(["--quick", "--suite", suite, "--threads", "1", "--repeat", "1",
                       "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0, out
    data = json.loads((tmp_path / "bench-cpu.json").read_text())
    assert data["meta"]["device"] == "cpu" and data["meta"]["failed"] == []
    assert data["meta"]["threads"]["torch"] == 1
    rows = data["rows"]
    assert rows and all(r["suite"] == suite for r in rows)
    for r in rows:
        assert r["pygrad_ms"] > 0 and r["torch_ms"] > 0
        assert r["ratio"] == pytest.approx(r["torch_ms"] / r["pygrad_ms"])
        assert r.get("status", "") in ("", "pass", "miss")
        assert "note" not in r, r["note"]
    assert rows[0]["name"] in out


def test_numpy_blas_names_the_library_and_what_forced_its_kernels(monkeypatch):
    pytest.importorskip("threadpoolctl")
    harness = _bench("harness")
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    text = harness.numpy_blas()
    assert text.split()[0] in ("openblas", "mkl", "blis") and \
        text.endswith("(OPENBLAS_CORETYPE=Haswell)")
    monkeypatch.delenv("OPENBLAS_CORETYPE")
    assert "OPENBLAS_CORETYPE" not in harness.numpy_blas()
