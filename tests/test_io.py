"""pg.save / pg.load: round trips, atomic writes, clear errors for foreign or broken files."""
import io
import json
import math
import os

import numpy as np
import pytest

from pygrad import io as pio


def test_plain_containers_round_trip(tmp_path):
    obj = {"a": 1, 2: [1.5, float("nan"), float("-inf")], "t": (None, True, "x"),
           "arr": np.arange(6, dtype=np.int64).reshape(2, 3), (1, 2): {"nested": []}}
    path = tmp_path / "obj.pg"
    pio.save(obj, path)
    got = pio.load(path)
    assert list(got) == list(obj)
    assert got["a"] == 1 and isinstance(got["t"], tuple) and got["t"] == (None, True, "x")
    assert got[2][0] == 1.5 and math.isnan(got[2][1]) and got[2][2] == -math.inf
    np.testing.assert_array_equal(got["arr"], obj["arr"])
    assert got["arr"].dtype == np.int64 and got[(1, 2)] == {"nested": []}


def test_shared_arrays_stored_once():
    a = np.ones(3)
    buf = io.BytesIO()
    pio.save([a, a], buf)
    buf.seek(0)
    x, y = pio.load(buf)
    assert x is y


def test_file_is_documented_npz(tmp_path):
    path = tmp_path / "m.pg"
    pio.save({"w": np.zeros(2, np.float32)}, path)
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(z["__pygrad__"].tobytes())
        assert meta["format"] == "pygrad" and meta["version"] == 1
        assert meta["root"]["type"] == "dict"
        assert z["a0"].dtype == np.float32


def test_atomic_write_leaves_no_temp_and_keeps_old_on_failure(tmp_path):
    path = tmp_path / "ckpt.pg"
    pio.save({"v": 1}, path)
    with pytest.raises(TypeError, match=r"obj\['bad'\] has type object"):
        pio.save({"bad": object()}, path)
    assert pio.load(path) == {"v": 1}
    assert os.listdir(tmp_path) == ["ckpt.pg"]


def test_truncated_and_foreign_files(tmp_path):
    good = tmp_path / "good.pg"
    pio.save({"w": np.arange(1000.0)}, good)
    raw = good.read_bytes()
    bad = tmp_path / "trunc.pg"
    bad.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        pio.load(bad)
    txt = tmp_path / "notes.txt"
    txt.write_text("hello")
    with pytest.raises(ValueError, match="not a pygrad file"):
        pio.load(txt)
    plain = tmp_path / "plain.npz"
    np.savez(plain, x=np.ones(2))
    with pytest.raises(ValueError, match="no '__pygrad__' entry"):
        pio.load(plain)
    with pytest.raises(FileNotFoundError):
        pio.load(tmp_path / "missing.pg")


# ----------------------------------------------------------------------------- tensors

pg = pytest.importorskip("pygrad")
needs_tensor = pytest.mark.skipif(not hasattr(pg, "tensor"), reason="pygrad core not present")


@needs_tensor
def test_tensors_and_state_dicts_round_trip(tmp_path):
    import pygrad.nn as nn
    t = pg.tensor([[1.0, 2.0]], dtype=pg.float64, requires_grad=True)
    model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2))
    opt = pg.optim.Adam(model.parameters(), lr=0.01)
    model(pg.randn(5, 3)).sum().backward()
    opt.step()
    path = tmp_path / "all.pg"
    pg.save({"t": t, "model": model.state_dict(), "opt": opt.state_dict()}, path)
    got = pg.load(path)
    assert got["t"].dtype == pg.float64 and got["t"].requires_grad
    np.testing.assert_array_equal(got["t"].numpy(), t.numpy())
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(got["model"][k].numpy(), v.numpy())
    opt2 = pg.optim.Adam(model.parameters(), lr=0.5)
    opt2.load_state_dict(got["opt"])
    assert opt2.param_groups[0]["lr"] == 0.01
    assert set(got["opt"]["state"]) == set(opt.state_dict()["state"])


@needs_tensor
def test_map_location_cpu(tmp_path):
    path = tmp_path / "t.pg"
    pg.save(pg.ones(2), path)
    assert pg.load(path, map_location="cpu").device.type == "cpu"
