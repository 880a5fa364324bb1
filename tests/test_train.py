"""`pygrad train`: the default run, options, --out, --data and error handling."""
import json

import numpy as np
import pytest

from pygrad import train


def _run(capsys, *argv):
    code = train.main(["--no-progress", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_default_run_reaches_095(capsys):
    code, out, _ = _run(capsys)
    assert code == 0
    acc = float(out.split("test accuracy: ")[1].split()[0])
    assert acc >= 0.95
    assert "confusion matrix" in out and "macro avg" in out and "epoch  30/30" in out


@pytest.mark.parametrize("opt", train.OPTIMIZERS)
def test_each_optimizer_learns(capsys, opt):
    code, out, _ = _run(capsys, "--optim", opt, "--epochs", "5")
    assert code == 0
    assert float(out.split("test accuracy: ")[1].split()[0]) > 0.85


def test_binary_reports_threshold_trade_off_and_writes_out(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    code, out, _ = _run(capsys, "--task", "binary", "--epochs", "10", "--out", str(tmp_path))
    assert code == 0
    assert "positive class: 'malignant'" in out and "false neg" in out
    names = {p.name for p in tmp_path.iterdir()}
    assert {"model.pg", "metrics.json", "loss_curve.png", "confusion_matrix.png",
            "pr_curve.png"} <= names
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["task"] == "binary" and len(metrics["train_loss"]) == 10
    fps = [row["false_positives"] for row in metrics["thresholds"]]
    assert fps == sorted(fps, reverse=True)
    import pygrad as pg
    state = pg.load(tmp_path / "model.pg")
    assert state["0.weight"].shape == (64, 30)


def test_csv_data(capsys, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    y = np.where(x[:, 0] + x[:, 1] > 0, "yes", "no")
    lines = ["f1,f2,f3,label"] + [f"{a:.4f},{b:.4f},{c:.4f},{t}" for (a, b, c), t in zip(x, y)]
    path = tmp_path / "mine.csv"
    path.write_text("\n".join(lines) + "\n")
    code, out, _ = _run(capsys, "--data", str(path), "--target", "label", "--epochs", "60",
                        "--hidden", "8")
    assert code == 0 and "(binary)" in out
    assert float(out.split("test accuracy: ")[1].split()[0]) > 0.85


def test_errors_are_reported(capsys, tmp_path):
    code, _, err = _run(capsys, "--data", str(tmp_path / "none.csv"), "--target", "y")
    assert code == 2 and "no such file" in err
    bad = tmp_path / "bad.csv"
    bad.write_text("a,y\n1,0\n")
    code, _, err = _run(capsys, "--data", str(bad), "--target", "label")
    assert code == 2 and "target column 'label' not found" in err
    code, _, err = _run(capsys, "--epochs", "0")
    assert code == 2 and "--epochs" in err


def test_compare_torch_matches(capsys):
    pytest.importorskip("torch")
    code, out, _ = _run(capsys, "--compare-torch", "--epochs", "3")
    assert code == 0 and "torch" in out
    drift = float(out.split("differ by at most ")[1].split()[0])
    assert drift < 1e-3


def test_cli_dispatch(capsys):
    from pygrad import cli
    assert cli.main(["train", "--no-progress", "--epochs", "1"]) == 0
    assert "test accuracy" in capsys.readouterr().out


def test_info_reports_kernels_and_cuda(capsys):
    from pygrad import info
    assert info.main([]) == 0
    out = capsys.readouterr().out
    assert "cpu kernels" in out and "cuda          available:" in out
    assert info.main(["--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    import pygrad as pg
    assert data["cuda_available"] == pg.cuda.is_available()
    assert data["cuda_device_count"] == pg.cuda.device_count() == len(data["cuda_devices"])
    assert data["numpy"] == np.__version__
    from pygrad import _core
    assert data["engine_core"] == ("compiled (Cython)" if all(_core.compiled().values())
                                   else data["engine_core"])
    assert ("Python source" in data["engine_core"]) == (not all(_core.compiled().values()))


def test_out_writes_an_onnx_model_that_matches(capsys, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    code, _, _ = _run(capsys, "--epochs", "2", "--out", str(tmp_path))
    assert code == 0
    import pygrad as pg
    sess = ort.InferenceSession(str(tmp_path / "model.onnx"))
    assert [i.name for i in sess.get_inputs()] == ["features"]
    x = np.random.default_rng(1).standard_normal((5, 64)).astype(np.float32)
    (logits,) = sess.run(None, {"features": x})
    state = pg.load(tmp_path / "model.pg")
    h = 1 / (1 + np.exp(-(x @ state["0.weight"].numpy().T + state["0.bias"].numpy())))
    expected = h @ state["2.weight"].numpy().T + state["2.bias"].numpy()
    np.testing.assert_allclose(logits, expected, rtol=1e-4, atol=1e-5)


def test_unreachable_device_is_a_one_line_error(capsys):
    code, _, err = _run(capsys, "--device", "tpu")
    assert code == 2 and "expected 'cpu', 'cuda' or 'cuda:N'" in err
    import pygrad as pg
    if not pg.cuda.is_available():
        code, _, err = _run(capsys, "--device", "cuda")
        assert code == 2 and err.startswith("pygrad train: error: argument --device 'cuda'")
