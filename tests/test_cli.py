"""The ``pygrad`` command on bad input: one line on stderr naming the option and the value, a
non-zero exit status, no traceback, and nothing trained first (no epoch line)."""
import os
import subprocess
import sys

import pytest

import pygrad
from pygrad import cli, train


def _run(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _one_line_error(code, out, err, *needles, status=2):
    assert code == status, (code, err)
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    for needle in needles:
        assert needle in err, (needle, err)
    assert out == ""              # refused before any work: not even the header


def _subprocess(args, env=None, code=None):
    """``python -m pygrad ARGS`` (or ``python -c CODE``) in a fresh interpreter."""
    full_env = {**os.environ, **(env or {})}
    cmd = [sys.executable, "-c", code] if code else [sys.executable, "-m", "pygrad", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=120,
                          check=False)


# ----------------------------------------------------------------------------- options

@pytest.mark.parametrize("option, value, expected", [
    ("--lr", "-1", "expected a finite number >= 0"),
    ("--lr", "nan", "expected a finite number >= 0"),
    ("--lr", "inf", "expected a finite number >= 0"),
    ("--lr", "fast", "expected a finite number >= 0"),
    ("--epochs", "0", "expected a positive integer"),
    ("--epochs", "2.5", "expected a positive integer"),
    ("--batch-size", "-4", "expected a positive integer"),
    ("--batch-size", "x", "expected a positive integer"),
    ("--hidden", "0", "expected a positive integer"),
    ("--seed", "-1", "expected an integer >= 0"),
    ("--test-size", "1.5", "expected a fraction between 0 and 1"),
    ("--test-size", "0", "expected a fraction between 0 and 1"),
    ("--test-size", "nan", "expected a fraction between 0 and 1"),
])
def test_bad_number_is_one_line(capsys, option, value, expected):
    code, out, err = _run(capsys, "train", option, value)
    _one_line_error(code, out, err, f"argument {option}", repr(value), expected)
    assert err.startswith("pygrad train: error: ")


def test_unknown_option_and_choice_are_one_line(capsys):
    code, out, err = _run(capsys, "train", "--bogus", "3")
    _one_line_error(code, out, err, "unrecognized arguments: --bogus 3")
    code, out, err = _run(capsys, "train", "--optim", "lbfgs")
    _one_line_error(code, out, err, "argument --optim", "'lbfgs'")


def test_help_still_prints_usage(capsys):
    code, out, _ = _run(capsys, "train", "--help")
    assert code == 0 and "--compare-torch" in out


# ----------------------------------------------------------------------------- files

def test_missing_data_file_is_reported_before_missing_target(capsys, tmp_path):
    missing = str(tmp_path / "missing.csv")
    code, out, err = _run(capsys, "train", "--data", missing)
    _one_line_error(code, out, err, "argument --data", "no such file", repr(missing))
    code, out, err = _run(capsys, "train", "--data", str(tmp_path))
    _one_line_error(code, out, err, "argument --data", "is not a file")


def test_data_without_target_and_target_without_data(capsys, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,y\n1,0\n2,1\n")
    code, out, err = _run(capsys, "train", "--data", str(path))
    _one_line_error(code, out, err, "argument --data", "--target")
    code, out, err = _run(capsys, "train", "--target", "y")
    _one_line_error(code, out, err, "argument --target", "only used with --data")


def test_out_naming_a_file_is_refused_before_training(capsys, tmp_path):
    existing = tmp_path / "results.txt"
    existing.write_text("keep me")
    code, out, err = _run(capsys, "train", "--out", str(existing))
    _one_line_error(code, out, err, "argument --out", repr(str(existing)), "existing file")
    assert existing.read_text() == "keep me"
    below_a_file = str(existing / "run1")
    code, out, err = _run(capsys, "train", "--out", below_a_file)
    _one_line_error(code, out, err, "argument --out", repr(below_a_file), "cannot create")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root writes into read-only folders")
def test_out_read_only_folder_is_refused_before_training(capsys, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        code, out, err = _run(capsys, "train", "--out", str(folder))
    finally:
        folder.chmod(0o700)
    _one_line_error(code, out, err, "argument --out", "cannot write")


def test_writable_dir_problem_creates_the_folder_and_leaves_nothing(tmp_path):
    target = tmp_path / "a" / "b"
    assert cli.writable_dir_problem(str(target)) is None
    assert target.is_dir() and list(target.iterdir()) == []


# ----------------------------------------------------------------------------- devices

@pytest.mark.parametrize("value", ["bogus", "cuda:99", "cuda:x"])
def test_bad_pygrad_device_is_one_line_naming_the_variable(capsys, monkeypatch, value):
    if value == "cuda:99" and pygrad.cuda.device_count() > 99:
        pytest.skip("a machine with 100 GPUs")
    monkeypatch.setenv("PYGRAD_DEVICE", value)
    code, out, err = _run(capsys, "train")
    _one_line_error(code, out, err, f"PYGRAD_DEVICE={value!r}")


def test_bad_device_option_is_one_line(capsys):
    code, out, err = _run(capsys, "train", "--device", "bogus")
    _one_line_error(code, out, err, "argument --device", "'bogus'", "not a device")
    if pygrad.cuda.device_count() < 100:
        code, out, err = _run(capsys, "train", "--device", "cuda:99")
        _one_line_error(code, out, err, "argument --device", "'cuda:99'")


def test_device_option_overrides_a_bad_pygrad_device(capsys, monkeypatch):
    from pygrad.device import _default
    before = getattr(_default, "device", None)
    monkeypatch.setenv("PYGRAD_DEVICE", "bogus")
    code, out, err = _run(capsys, "train", "--device", "cpu", "--epochs", "1", "--hidden", "4",
                          "--no-progress")
    assert code == 0, err
    assert "device cpu;" in out and "Traceback" not in err
    assert getattr(_default, "device", None) is before   # the run put back what it found


def test_bad_pygrad_device_end_to_end():
    result = _subprocess(["train"], env={"PYGRAD_DEVICE": "bogus"})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == ("pygrad train: error: PYGRAD_DEVICE='bogus' is not a "
                                     "device: expected 'cpu', 'cuda' or 'cuda:N', got 'bogus'")


def test_info_names_a_bad_pygrad_device(monkeypatch):
    from pygrad import info
    monkeypatch.setenv("PYGRAD_DEVICE", "bogus")
    assert "PYGRAD_DEVICE='bogus' is not usable" in info.collect()["default_device"]


# ----------------------------------------------------------------------------- torch, onnx

def test_compare_torch_without_torch_is_refused_up_front(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)      # import torch raises ImportError
    code, out, err = _run(capsys, "train", "--compare-torch")
    _one_line_error(code, out, err, "argument --compare-torch", "pip install torch==")


def test_compare_torch_without_torch_end_to_end():
    code = ("import sys, runpy; sys.modules['torch'] = None; "
            "sys.argv = ['pygrad', 'train', '--compare-torch']; "
            "runpy.run_module('pygrad', run_name='__main__')")
    result = _subprocess(None, code=code)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "torch is not installed" in result.stderr and "epoch" not in result.stdout


def test_compare_torch_reports_equal_thread_counts(capsys):
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    code, out, err = _run(capsys, "train", "--compare-torch", "--epochs", "1", "--hidden", "4",
                          "--no-progress")
    assert code == 0, err
    line = next(ln for ln in out.splitlines() if ln.startswith("threads: "))
    from pygrad.backend import cpu
    n = cpu.num_threads()
    assert line == f"threads: pygrad {n}, torch {n}"
    assert torch.get_num_threads() == before


def test_out_without_onnx_or_matplotlib_skips_them_with_a_note(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, out, err = _run(capsys, "train", "--epochs", "1", "--hidden", "4", "--no-progress",
                          "--out", str(tmp_path))
    assert code == 0, err
    assert "note: onnx is not installed" in out and "note: matplotlib is not installed" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json", "model.pg"]


def test_diverging_run_stops_with_one_line(capsys):
    code, out, err = _run(capsys, "train", "--optim", "sgd", "--lr", "1e38", "--epochs", "3",
                          "--hidden", "4", "--no-progress")
    assert code == 1 and "Traceback" not in err and "Warning" not in err
    assert err.strip().splitlines() == [err.strip()]
    assert "training diverged" in err and "--lr" in err
    assert "test accuracy:" not in out


def test_model_too_large_for_memory_is_one_line(capsys):
    code, out, err = _run(capsys, "train", "--hidden", "1000000000000", "--no-progress")
    assert code == 1 and "Traceback" not in err
    assert err.strip().splitlines() == [err.strip()]
    assert "out of memory" in err and "--hidden" in err and "train loss" not in out


# ----------------------------------------------------------------------------- progress bar

class _Stream:
    def __init__(self, tty):
        self.tty, self.text = tty, []

    def isatty(self):
        return self.tty

    def write(self, s):
        self.text.append(s)

    def flush(self):
        pass


def test_progress_bar_only_on_a_terminal(monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(sys, "stderr", _Stream(tty=False))
    assert train._progress(3, True, "pygrad") is None
    monkeypatch.setattr(sys, "stderr", _Stream(tty=True))
    bar = train._progress(3, True, "pygrad")
    assert bar is not None
    bar.close()
    assert train._progress(3, False, "pygrad") is None


def test_closed_stdout_pipe_ends_quietly():
    # pygrad train | head -1: the reader goes away while epochs are still being printed
    proc = subprocess.Popen([sys.executable, "-m", "pygrad", "train", "--epochs", "500",
                             "--hidden", "4", "--no-progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline().startswith(b"data: ")
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    proc.stderr.close()
    assert proc.returncode == 141 and err == b""


# ----------------------------------------------------------------------------- version, bench

def test_version(capsys):
    code, out, _ = _run(capsys, "--version")
    assert code == 0 and out == f"pygrad {pygrad.__version__}\n"
    result = _subprocess(["--version"])
    assert result.returncode == 0 and result.stdout == f"pygrad {pygrad.__version__}\n"


def test_unknown_command(capsys):
    code, _, err = _run(capsys, "trian")
    assert code == 2 and "unknown command 'trian'" in err


def test_bench_out_naming_a_file_is_one_line(tmp_path):
    pytest.importorskip("torch")
    existing = tmp_path / "bench.json"
    existing.write_text("{}")
    result = _subprocess(["bench", "--quick", "--out", str(existing)])
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (f"pygrad bench: error: argument --out: "
                                     f"{str(existing)!r} is an existing file, not a folder")
    assert "running the" not in result.stderr and existing.read_text() == "{}"


def test_bench_bad_option_is_one_line(capsys):
    code, out, err = _run(capsys, "bench", "--threads", "0")
    _one_line_error(code, out, err, "argument --threads", "0")
