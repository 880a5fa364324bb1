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


# ----------------------------------------------------------------------------- malformed files

def _meta_file(path, meta, **arrays):
    """An npz archive with ``meta`` (a JSON-able object, or raw bytes/str) as its metadata."""
    if not isinstance(meta, (bytes, str)):
        meta = json.dumps(meta)
    if isinstance(meta, str):
        meta = meta.encode("utf-8")
    with open(path, "wb") as f:      # a file object: savez would append ".npz" to a path
        np.savez(f, __pygrad__=np.frombuffer(meta, dtype=np.uint8), **arrays)
    return path


def _doc(root, **extra):
    return {"format": "pygrad", "version": 1, "root": root, **extra}


def _tensor_node(array="a0", dtype="float32", device="cpu", requires_grad=False,
                 parameter=False):
    return {"type": "tensor", "array": array, "dtype": dtype, "device": device,
            "requires_grad": requires_grad, "parameter": parameter}


def _nested(depth):
    node = {"type": "list", "items": []}
    for _ in range(depth - 1):
        node = {"type": "list", "items": [node]}
    return node


_INT = {"type": "int", "value": 1}
_F32 = np.zeros(3, np.float32)

MALFORMED = [
    # (metadata, arrays, what the message must say)
    ([], {}, r"the metadata is a JSON array, expected an object"),
    ("null", {}, r"the metadata is a JSON null"),
    ({"format": "pygrad", "version": 1}, {}, r"lacks field\(s\) 'root'"),
    (_doc(_INT, extra=1), {}, r"has unknown field\(s\) 'extra'"),
    ({"format": "other", "version": 1, "root": _INT}, {}, r"format 'other', expected 'pygrad'"),
    ({"format": "pygrad", "version": "1", "root": _INT}, {}, r"version '1' is not a positive"),
    ({"format": "pygrad", "version": True, "root": _INT}, {}, r"version True is not a positive"),
    ({"format": "pygrad", "version": 0, "root": _INT}, {}, r"version 0 is not a positive"),
    ({"format": "pygrad", "version": 7, "root": _INT}, {}, r"version 7, this pygrad reads up to"),
    (_doc(5), {}, r"root is a JSON integer, expected a node object"),
    (_doc(["x"]), {}, r"root is a JSON array"),
    (_doc({"type": "bogus"}), {}, r"root has unknown node type 'bogus'"),
    (_doc({"type": ["list"]}), {}, r"root has unknown node type \['list'\]"),
    (_doc({"value": 1}), {}, r"root has unknown node type None"),
    (_doc({"type": "int"}), {}, r"root \(int\) lacks field\(s\) 'value'"),
    (_doc({"type": "int", "value": 1, "x": 2}), {}, r"root \(int\) has unknown field\(s\) 'x'"),
    (_doc({"type": "int", "value": "1"}), {}, r"root \(int\) field 'value' is a JSON string"),
    (_doc({"type": "int", "value": True}), {}, r"root \(int\) field 'value' is a JSON boolean"),
    (_doc({"type": "int", "value": 1.5}), {}, r"field 'value' is a JSON number"),
    (_doc({"type": "bool", "value": 1}), {}, r"root \(bool\) field 'value' is a JSON integer"),
    (_doc({"type": "str", "value": None}), {}, r"root \(str\) field 'value' is a JSON null"),
    (_doc({"type": "float", "value": "1.5"}), {}, r"value '1.5' is not a number, 'nan'"),
    (_doc({"type": "float", "value": 10 ** 400}), {}, r"401 digits, beyond float64"),
    (_doc({"type": "list", "items": {}}), {}, r"root \(list\) field 'items' is a JSON object"),
    (_doc({"type": "list", "items": [5]}), {}, r"root.items\[0\] is a JSON integer"),
    (_doc({"type": "dict", "keys": [_INT], "values": []}), {}, r"has 1 keys and 0 values"),
    # unhashable dict keys once raised TypeError
    (_doc({"type": "dict", "keys": [{"type": "list", "items": []}], "values": [_INT]}), {},
     r"root.keys\[0\] is a list, which cannot be a dict key"),
    (_doc({"type": "dict", "keys": [{"type": "tuple", "items": [{"type": "dict", "keys": [],
                                                                  "values": []}]}],
           "values": [_INT]}), {}, r"root.keys\[0\].items\[0\] is a dict, which cannot be"),
    (_doc({"type": "dict", "keys": [_tensor_node()], "values": [_INT]}), {"a0": _F32},
     r"is a tensor, which cannot be a dict key"),
    # keys that collapse into one (1 == True == 1.0) would lose a value
    (_doc({"type": "dict", "keys": [_INT, {"type": "bool", "value": True}],
           "values": [_INT, _INT]}), {}, r"a dict in the metadata repeats a key"),
    ('{"format": "pygrad", "version": 1, "root": {"type": "int", "value": 1, "value": 2}}', {},
     r"repeats the JSON key 'value'"),
    # nesting: deeper than pg.save writes, and deeper than the JSON parser's stack
    (_doc(_nested(101)), {}, r"nests containers deeper than 100 levels"),
    ('{"format": "pygrad", "version": 1, "root": ' + "[" * 100000 + "]" * 100000 + "}", {},
     r"nested too deeply|truncated or corrupt"),
    (b"\xff\xfe{}", {}, r"truncated or corrupt \(UnicodeDecodeError"),
    (b"{not json", {}, r"truncated or corrupt \(JSONDecodeError"),
    # tensors: dtype, device and requires_grad checked against the schema and the array
    (_doc(_tensor_node(dtype="uint16")), {"a0": np.zeros(3, np.uint16)},
     r"root \(tensor\) has dtype 'uint16'; a tensor's dtype is one of float32, float64"),
    (_doc(_tensor_node(dtype="complex128", parameter=True, requires_grad=True)),
     {"a0": np.zeros(3, np.complex128)}, r"has dtype 'complex128'"),
    (_doc(_tensor_node(dtype="float32", parameter=True, requires_grad=True)),
     {"a0": np.zeros(3, np.float16)}, r"array 'a0' is stored as float16 but the metadata says "
                                      r"float32"),
    (_doc(_tensor_node(dtype="float64")), {"a0": np.zeros(3, np.complex128)},
     r"stored as complex128 but the metadata says float64"),
    (_doc(_tensor_node(dtype="f4")), {"a0": _F32}, r"has dtype 'f4'"),
    (_doc(_tensor_node(dtype="not a dtype")), {"a0": _F32}, r"has dtype 'not a dtype'"),
    (_doc(_tensor_node(dtype="int64", requires_grad=True)), {"a0": np.zeros(2, np.int64)},
     r"requires grad but has dtype int64"),
    (_doc(_tensor_node(device="tpu:0")), {"a0": _F32}, r"has device 'tpu:0'"),
    (_doc(_tensor_node(device="cuda")), {"a0": _F32}, r"has device 'cuda'"),
    (_doc(_tensor_node(requires_grad=1)), {"a0": _F32}, r"'requires_grad' is a JSON integer"),
    (_doc({k: v for k, v in _tensor_node().items() if k != "parameter"}), {"a0": _F32},
     r"lacks field\(s\) 'parameter'"),
    (_doc({"type": "ndarray", "array": "a0", "dtype": "int64"}), {"a0": _F32},
     r"stored as float32 but the metadata says int64"),
    (_doc({"type": "ndarray", "array": 0, "dtype": "int64"}), {"a0": _F32},
     r"field 'array' is a JSON integer"),
    # arrays missing, unreferenced, or named by two disagreeing nodes
    (_doc(_tensor_node(array="a9")), {"a0": _F32}, r"lacks array 'a9' named in its metadata"),
    (_doc(_INT), {"a0": _F32}, r"holds entries its metadata does not name \('a0'\)"),
    (_doc({"type": "list", "items": [_tensor_node(),
                                     {"type": "ndarray", "array": "a0", "dtype": "float32"}]}),
     {"a0": _F32}, r"array 'a0' is named by two different nodes"),
    # pickled object arrays are never loaded
    (_doc({"type": "ndarray", "array": "a0", "dtype": "object"}),
     {"a0": np.array([{"x": 1}], dtype=object)}, r"holds Python objects"),
]


@pytest.mark.parametrize("meta,arrays,match", MALFORMED,
                         ids=[f"case{i}" for i in range(len(MALFORMED))])
def test_malformed_metadata_is_a_value_error(tmp_path, meta, arrays, match):
    path = _meta_file(tmp_path / "bad.pg", meta, **arrays)
    with pytest.raises(ValueError, match=match) as info:
        pio.load(path)
    assert type(info.value) is ValueError and str(info.value).startswith("pg.load:")
    assert "bad.pg" in str(info.value)


def test_metadata_entry_must_be_uint8(tmp_path):
    path = tmp_path / "bad.pg"
    with open(path, "wb") as f:
        np.savez(f, __pygrad__=np.zeros(4, np.float64))
    with pytest.raises(ValueError, match=r"'__pygrad__' entry is a float64 array"):
        pio.load(path)


def test_hand_made_valid_files_load(tmp_path):
    # what the schema allows, written by hand: JSON numbers for floats, compressed entries
    meta = _doc({"type": "dict", "keys": [{"type": "str", "value": "w"},
                                          {"type": "tuple", "items": [_INT, {"type": "none"}]}],
                 "values": [_tensor_node(requires_grad=True, parameter=True),
                            {"type": "float", "value": 2}]})
    path = tmp_path / "hand.pg"
    with open(path, "wb") as f:
        np.savez_compressed(f, __pygrad__=np.frombuffer(json.dumps(meta).encode(), np.uint8),
                            a0=np.arange(3, dtype=np.float32))
    got = pio.load(path)
    assert got[(1, None)] == 2.0 and isinstance(got[(1, None)], float)
    w = got["w"]
    assert type(w).__name__ == "Parameter" and w.requires_grad and w.dtype == np.float32
    np.testing.assert_array_equal(w.numpy(), [0, 1, 2])
    deep = tmp_path / "deep.pg"
    _meta_file(deep, _doc(_nested(100)))
    depth, x = 0, pio.load(deep)
    while x:
        x, depth = x[0], depth + 1
    assert depth == 99


def test_save_refuses_cycles_and_too_deep_nesting(tmp_path):
    a = [1]
    a.append(a)
    with pytest.raises(ValueError, match=r"obj\[1\] contains itself"):
        pio.save(a, tmp_path / "c.pg")
    d = {}
    d["self"] = {"again": d}
    with pytest.raises(ValueError, match=r"contains itself"):
        pio.save(d, tmp_path / "c.pg")
    ok = []
    for _ in range(99):
        ok = [ok]
    pio.save(ok, tmp_path / "deep.pg")
    assert pio.load(tmp_path / "deep.pg") == ok
    with pytest.raises(ValueError, match=r"deeper than 100 levels"):
        pio.save([ok], tmp_path / "deep.pg")
    shared = [1, 2]
    pio.save([shared, shared, (shared,)], tmp_path / "s.pg")      # repeated, not a cycle
    assert pio.load(tmp_path / "s.pg") == [[1, 2], [1, 2], ([1, 2],)]
    with pytest.raises(TypeError, match="key of type object"):     # inside a tuple key
        pio.save({(1, object()): 1}, tmp_path / "k.pg")


def test_load_argument_and_unseekable_stream(tmp_path):
    with pytest.raises(TypeError, match="f must be a path or a binary file object"):
        pio.load(3)
    buf = io.BytesIO()
    pio.save({"v": np.arange(4)}, buf)

    class Pipe(io.RawIOBase):
        def __init__(self, data):
            self._data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            return self._data.readinto(b)

        def seekable(self):
            return False

    got = pio.load(io.BufferedReader(Pipe(buf.getvalue())))
    np.testing.assert_array_equal(got["v"], np.arange(4))
    path = tmp_path / "t.pg"
    path.write_bytes(buf.getvalue())
    with open(path) as text, pytest.raises(TypeError, match="open in text mode; open it with 'rb'"):
        pio.load(text)


# ----------------------------------------------------------------------------- fuzzing

def _same(a, b) -> bool:
    """Deep equality that also compares types, dtypes, devices and NaNs."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    if hasattr(a, "requires_grad"):
        return (a.dtype == b.dtype and str(a.device) == str(b.device)
                and a.requires_grad == b.requires_grad
                and np.array_equal(a.numpy(), b.numpy(), equal_nan=True))
    return a == b


def _sample_object():
    obj = {"ints": np.arange(7, dtype=np.int64), "f": [1.5, float("nan"), -math.inf],
           "s": "pygrad", (1, "k"): (None, True, 3), "nested": {"deeper": [[], {}]}}
    if hasattr(pg, "tensor"):
        import pygrad.nn as nn
        obj["t"] = pg.tensor([[1.0, 2.0], [3.0, float("nan")]], requires_grad=True)
        obj["p"] = nn.Parameter(pg.tensor([0.25, -1.0], dtype=pg.float64))
        obj["i"] = pg.tensor([1, 2, 3])
        obj["again"] = obj["t"]
    return obj


def _mutations(raw, rng):
    """Seeded corruptions of ``raw``: every byte inverted once, then random bit flips,
    truncations, zeroed ranges, inserted and deleted bytes."""
    for i in range(len(raw)):
        b = bytearray(raw)
        b[i] ^= 0xFF
        yield bytes(b)
    for _ in range(1500):
        b = bytearray(raw)
        kind = rng.integers(5)
        if kind == 0:
            for _ in range(rng.integers(1, 4)):
                b[rng.integers(len(b))] ^= 1 << int(rng.integers(8))
        elif kind == 1:
            b = b[:rng.integers(len(b))]
        elif kind == 2:
            i = int(rng.integers(len(b)))
            b[i:i + int(rng.integers(1, 64))] = bytes(min(len(b) - i, 1))
        elif kind == 3:
            i = int(rng.integers(len(b)))
            b[i:i] = rng.integers(0, 256, int(rng.integers(1, 16)), dtype=np.uint8).tobytes()
        else:
            i = int(rng.integers(len(b)))
            del b[i:i + int(rng.integers(1, 16))]
        yield bytes(b)


def test_fuzz_corrupted_files_load_right_or_raise_value_error():
    obj = _sample_object()
    buf = io.BytesIO()
    pio.save(obj, buf)
    raw = buf.getvalue()
    assert _same(pio.load(io.BytesIO(raw)), obj)
    rng = np.random.default_rng(20240611)
    outcomes = {"same": 0, "ValueError": 0}
    for k, data in enumerate(_mutations(raw, rng)):
        try:
            got = pio.load(io.BytesIO(data))
        except ValueError as e:
            assert str(e).startswith("pg.load:"), (k, e)
            outcomes["ValueError"] += 1
            continue
        except Exception as e:      # noqa: BLE001 - the point of the test
            pytest.fail(f"mutation {k}: {type(e).__name__}: {e}")
        assert _same(got, obj), f"mutation {k} loaded a different object"
        outcomes["same"] += 1
    assert outcomes["ValueError"] > 1000 and outcomes["same"] > 0


def _json_mutations(meta, rng, n):
    """Seeded edits of the metadata tree: a value replaced, a field dropped or added."""
    junk = [None, 0, -1, 1.5, 10 ** 30, "x", "a0", "nan", "float64", "int64", True, [], {},
            {"type": "int"}, {"type": "list", "items": [[]]}, [{"type": "none"}],
            _tensor_node("a0"), {"type": "ndarray", "array": "a1", "dtype": "float16"}]

    def places(node, out):
        if isinstance(node, dict):
            for k in node:
                out.append((node, k))
                places(node[k], out)
        elif isinstance(node, list):
            for i in range(len(node)):
                out.append((node, i))
                places(node[i], out)
        return out

    for _ in range(n):
        m = json.loads(json.dumps(meta))
        spots = places(m, [])
        container, key = spots[int(rng.integers(len(spots)))]
        action = rng.integers(3)
        if action == 0:
            container[key] = json.loads(json.dumps(junk[int(rng.integers(len(junk)))]))
        elif action == 1 or not isinstance(container, dict):
            del container[key]
        else:
            container["extra"] = 1
        yield m


def test_fuzz_edited_metadata_never_raises_anything_but_value_error(tmp_path):
    obj = _sample_object()
    path = tmp_path / "good.pg"
    pio.save(obj, path)
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(z["__pygrad__"].tobytes())
        arrays = {k: z[k] for k in z.files if k != "__pygrad__"}
    rng = np.random.default_rng(7)
    errors = 0
    for k, m in enumerate(_json_mutations(meta, rng, 600)):
        bad = _meta_file(tmp_path / "m.pg", m, **arrays)
        try:
            pio.load(bad)
        except ValueError as e:
            assert str(e).startswith("pg.load:"), (k, e)
            errors += 1
        except Exception as e:      # noqa: BLE001 - the point of the test
            pytest.fail(f"edit {k} ({json.dumps(m)[:300]}): {type(e).__name__}: {e}")
    assert errors > 300


# ----------------------------------------------------------------------------- temporaries

def _dead_pid():
    import subprocess
    import sys
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_killed_save_leaves_a_temporary_that_the_next_save_removes(tmp_path):
    import signal
    import subprocess
    import sys
    if os.name != "posix":
        pytest.skip("needs POSIX signals")
    path = tmp_path / "ckpt.pg"
    code = ("import os, signal, sys\n"
            "from pygrad.io import atomic_open\n"
            "with atomic_open(sys.argv[1]) as f:\n"
            "    f.write(b'half a checkpoint')\n"
            "    f.flush()\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-c", code, str(path)], env=env)
    assert r.returncode == -signal.SIGKILL
    left = [n for n in os.listdir(tmp_path) if n.startswith(".ckpt.pg.")]
    assert len(left) == 1 and left[0].endswith(".tmp") and not path.exists()
    pio.save({"v": 1}, path)
    assert os.listdir(tmp_path) == ["ckpt.pg"] and pio.load(path) == {"v": 1}


def test_stale_temporaries_only_of_dead_writers_and_this_target(tmp_path):
    import time
    tag = pio._host_tag()
    dead, alive = _dead_pid(), os.getpid()
    names = {
        f".m.pg.{tag}-{dead}.abcd1234.tmp": False,        # dead writer here: removed
        f".m.pg.{tag}-{alive}.abcd1234.tmp": True,        # a live writer: kept
        f".m.pg.{'0' * 8}-{dead}.abcd1234.tmp": True,     # other machine, fresh: kept
        f".m.pg.{'1' * 8}-{dead}.abcd1234.tmp": False,    # other machine, old: removed
        ".m.pg.abcd1234.tmp": True,                       # older pygrad, fresh: kept
        ".m.pg.efgh5678.tmp": False,                      # older pygrad, old: removed
        f".other.pg.{tag}-{dead}.abcd1234.tmp": True,     # another target: kept
        f".m.pg.{tag}-{dead}.abcd1234.tmp.keep": True,    # not a temporary name: kept
        "m.pg.bak": True,
    }
    old = time.time() - pio.STALE_AFTER_S - 60
    for n in names:
        (tmp_path / n).write_bytes(b"x")
        if n in (f".m.pg.{'1' * 8}-{dead}.abcd1234.tmp", ".m.pg.efgh5678.tmp"):
            os.utime(tmp_path / n, (old, old))
    os.mkdir(tmp_path / f".m.pg.{tag}-{dead}.dir12345.tmp")   # not a regular file: kept
    pio.save([1], tmp_path / "m.pg")
    kept = set(os.listdir(tmp_path))
    for n, keep in names.items():
        assert (n in kept) == keep, n
    assert f".m.pg.{tag}-{dead}.dir12345.tmp" in kept and "m.pg" in kept


def test_long_target_names_keep_temporary_names_short(tmp_path):
    name = "m" * 230 + ".pg"
    path = tmp_path / name
    stem = pio._temp_stem(name)
    assert len(stem) < 60
    stale = tmp_path / f".{stem}.{pio._host_tag()}-{_dead_pid()}.abcd1234.tmp"
    stale.write_bytes(b"x")
    other = tmp_path / f".{pio._temp_stem('n' * 230 + '.pg')}.{pio._host_tag()}-1.abcd1234.tmp"
    other.write_bytes(b"x")
    pio.save({"v": 2}, path)
    assert pio.load(path) == {"v": 2}
    assert sorted(os.listdir(tmp_path)) == sorted([name, other.name])


# ----------------------------------------------------------------------------- torch's options

@needs_tensor
def test_saving_a_whole_module_or_optimizer_says_to_save_its_state_dict(tmp_path):
    import pygrad.nn as nn
    model = nn.Sequential(nn.Linear(2, 2))
    path = tmp_path / "m.pg"
    with pytest.raises(TypeError, match=r"obj is a whole module \(Sequential\).*never pickles "
                                        r"objects.*can run arbitrary code.*"
                                        r"pg.save\(model.state_dict\(\), f\).*"
                                        r"model.load_state_dict\(pg.load\(f\)\)"):
        pg.save(model, path)
    with pytest.raises(TypeError, match=r"obj\['opt'\] is an object \(Adam\).*"
                                        r"pg.save\(obj.state_dict\(\), f\)"):
        pg.save({"opt": pg.optim.Adam(model.parameters())}, path)
    with pytest.raises(TypeError, match=r"obj\[0\] has type function.*never pickles"):
        pg.save([lambda: 0], path)
    assert not os.path.exists(path) and os.listdir(tmp_path) == []
    pg.save(model.state_dict(), path)          # what the message says to do works
    model2 = nn.Sequential(nn.Linear(2, 2))
    model2.load_state_dict(pg.load(path))
    np.testing.assert_array_equal(model2[0].weight.numpy(), model[0].weight.numpy())


def test_weights_only_is_accepted_and_never_unpickles(tmp_path):
    import pickle
    path = tmp_path / "v.pg"
    pio.save({"v": [1, 2.5]}, path)
    for w in (None, True, False):
        assert pio.load(path, weights_only=w) == {"v": [1, 2.5]}
    with pytest.raises(TypeError, match="weights_only must be None, True or False"):
        pio.load(path, weights_only="yes")
    assert pio.load(path, "cpu", None, weights_only=True, mmap=True) == {"v": [1, 2.5]}
    with pytest.raises(TypeError, match="mmap must be None, True or False"):
        pio.load(path, mmap="r")
    with pytest.raises(TypeError, match="pickle_module given, but .* never unpickles"):
        pio.load(path, pickle_module=pickle)
    with pytest.raises(TypeError, match="encoding given, but"):
        pio.load(path, encoding="latin1")
    raw = tmp_path / "obj.pkl"
    raw.write_bytes(pickle.dumps({"a": 1}))
    for w in (True, False):
        with pytest.raises(ValueError, match="looks like a pickle, which pygrad never loads"):
            pio.load(raw, weights_only=w)


def test_a_torch_save_file_is_refused_with_what_to_do(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "t.pt"
    torch.save({"w": torch.ones(2)}, path)
    for w in (True, False):
        with pytest.raises(ValueError, match=r"written by torch.save.*never loads, whatever "
                                             r"weights_only says.*torch.load\(f, "
                                             r"weights_only=True\)"):
            pio.load(path, weights_only=w)


def _cuda_file(path):
    """A hand-made file holding {"a": tensor saved on cuda:1, "b": tensor saved on cpu}."""
    meta = _doc({"type": "dict", "keys": [{"type": "str", "value": "a"},
                                          {"type": "str", "value": "b"}],
                 "values": [_tensor_node("a0", device="cuda:1", requires_grad=True),
                            _tensor_node("a1", dtype="float64")]})
    return _meta_file(path, meta, a0=np.arange(3, dtype=np.float32),
                      a1=np.array(2.5, dtype=np.float64))


@needs_tensor
def test_map_location_forms(tmp_path):
    torch = pytest.importorskip("torch")
    path = _cuda_file(tmp_path / "c.pg")
    if not pg.cuda.is_available():
        with pytest.raises(RuntimeError, match="saved on cuda:1 but CUDA is not available"):
            pio.load(path)
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            pio.load(path, map_location={"cuda:0": "cpu"})    # another device: not mapped
    for where in ("cpu", pg.device("cpu"), torch.device("cpu"), {"cuda:1": "cpu"},
                  {torch.device("cuda:1"): torch.device("cpu")}):
        got = pio.load(path, map_location=where)
        assert got["a"].device.type == "cpu" and got["b"].device.type == "cpu"
        assert got["a"].requires_grad and got["a"].dtype == pg.float32
        assert got["b"].shape == () and got["b"].item() == 2.5
        np.testing.assert_array_equal(got["a"].numpy(), [0, 1, 2])
    seen = []

    def keep(storage, loc):
        seen.append((loc, tuple(storage.shape), storage.device.type))
        return storage
    got = pio.load(path, map_location=keep)
    assert sorted(seen) == [("cpu", (), "cpu"), ("cuda:1", (3,), "cpu")]
    assert got["a"].requires_grad and got["a"].numpy().tolist() == [0, 1, 2]
    # None keeps the saved place (the cpu one loads; cuda:1 needs a GPU)
    got = pio.load(path, map_location=lambda s, loc: "cpu" if loc.startswith("cuda") else None)
    assert got["a"].device.type == "cpu"
    assert pio.load(path, map_location=lambda loc: "cpu")["a"].device.type == "cpu"
    with pytest.raises(TypeError, match="map_location callable returned 3.5"):
        pio.load(path, map_location=lambda s, loc: 3.5)
    with pytest.raises(ValueError, match=r"returned a tensor of shape \(2,\) for one saved "
                                         r"with shape \(3,\)"):
        pio.load(path, map_location=lambda s, loc: pg.zeros(2) if s.shape == (3,) else s)
    with pytest.raises(ValueError, match="map_location 'tpu'"):
        pio.load(path, map_location="tpu")


@needs_tensor
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adamax",
                                  "NAdam", "RAdam", "Adadelta"])
def test_optimizer_and_scheduler_state_dicts_round_trip(tmp_path, name):
    """Every value type in them (nested dicts with int keys, lists, tuples, None, bools,
    ints, floats with inf, strings, tensors) comes back equal and of the same type."""
    from pygrad.optim import lr_scheduler as L
    w = pg.randn(3, 2, dtype=pg.float64, requires_grad=True)
    b = pg.zeros(2, dtype=pg.float64, requires_grad=True)
    kw = {"momentum": 0.9} if name in ("SGD", "RMSprop") else {}
    opt = getattr(pg.optim, name)([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1, **kw)
    scheds = [L.MultiStepLR(opt, [2, 4, 4]), L.ReduceLROnPlateau(opt, mode="min"),
              L.SequentialLR(opt, [L.ConstantLR(opt), L.ExponentialLR(opt, 0.9)], [2])]
    for _ in range(3):
        opt.zero_grad()
        ((w * w).sum() + (b * 3).sum()).backward()
        opt.step()
        for s in scheds[::2]:
            s.step()
    scheds[1].step(1.0)
    obj = {"optimizer": opt.state_dict(), "schedulers": [s.state_dict() for s in scheds],
           "epoch": 3, "note": "x", "none": None, "inf": float("-inf"), "ok": True}
    path = tmp_path / "ckpt.pg"
    pg.save(obj, path)
    assert os.listdir(tmp_path) == ["ckpt.pg"]
    got = pg.load(path)
    _assert_equal_tree(got, obj)
    opt2 = getattr(pg.optim, name)([{"params": [w]}, {"params": [b]}], lr=1.0, **kw)
    opt2.load_state_dict(got["optimizer"])
    assert opt2.param_groups[1]["lr"] == opt.param_groups[1]["lr"]


def _assert_equal_tree(a, b, where="obj"):
    if isinstance(b, dict):
        assert isinstance(a, dict) and list(a) == list(b), where
        for k in b:
            assert type(k) is type(next(x for x in a if x == k)), f"{where} key {k!r}"
            _assert_equal_tree(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(b, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_equal_tree(x, y, f"{where}[{i}]")
    elif isinstance(b, pg.Tensor):
        assert isinstance(a, pg.Tensor) and a.dtype == b.dtype and a.shape == b.shape, where
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    else:
        assert type(a) is type(b) and (a == b or (a != a and b != b)), f"{where}: {a!r} {b!r}"


@needs_tensor
def test_every_supported_dtype_round_trips(tmp_path):
    from pygrad.tensor import _SUPPORTED
    path = tmp_path / "d.pg"
    obj = {str(d): pg.tensor(np.arange(6).reshape(2, 3) % 2, dtype=d) for d in _SUPPORTED}
    obj["scalar"] = pg.tensor(1.5, dtype=pg.float64)
    pg.save(obj, path)
    got = pg.load(path)
    for k, t in obj.items():
        assert got[k].dtype == t.dtype and got[k].shape == t.shape, k
        np.testing.assert_array_equal(got[k].numpy(), t.numpy())
