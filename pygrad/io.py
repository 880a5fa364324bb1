"""``pg.save`` / ``pg.load``: tensors, state dicts and plain containers in an npz file.

Format (version 1). The file is a NumPy ``.npz`` archive (a zip of ``.npy`` files, whatever
the file's extension) that never holds pickled data:

* ``a0``, ``a1``, ... — the arrays, one per distinct tensor or ndarray, on the host.
* ``__pygrad__`` — a uint8 array holding UTF-8 JSON:
  ``{"format": "pygrad", "version": 1, "root": NODE}`` where NODE is one of

  ======================================================  ==============================
  ``{"type": "none"}``                                    None
  ``{"type": "bool" | "int" | "str", "value": v}``        Python scalars
  ``{"type": "float", "value": v}``                       v a number or "nan", "inf", "-inf"
  ``{"type": "list" | "tuple", "items": [NODE, ...]}``    sequences
  ``{"type": "dict", "keys": [NODE...], "values": [...]}`` dicts, keys of any scalar type
  ``{"type": "tensor", "array": "a3", "dtype": "float32",  a pygrad Tensor (``parameter``:
  "device": "cuda:0", "requires_grad": true,              an nn.Parameter)
  "parameter": false}``
  ``{"type": "ndarray", "array": "a4", "dtype": "int64"}``  a NumPy array
  ======================================================  ==============================

A tensor or array that appears several times is stored once and comes back as one object.
Writing goes to a temporary file in the target directory which then replaces the target,
so a crash never leaves a half-written file under the final name.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
import zipfile

import numpy as np

__all__ = ["save", "load"]

FORMAT = "pygrad"
VERSION = 1
META = "__pygrad__"


# ----------------------------------------------------------------------------- save

def save(obj, f) -> None:
    """Write ``obj`` (tensors, arrays, dict/list/tuple, None/bool/int/float/str) to ``f``.

    ``f`` is a path (written atomically: temp file + rename) or a binary file object.
    Raises TypeError naming where in ``obj`` an unsupported value sits.
    """
    arrays: dict = {}
    memo: dict = {}
    root = _encode(obj, arrays, memo, "obj")
    meta = json.dumps({"format": FORMAT, "version": VERSION, "root": root}, allow_nan=False)
    arrays[META] = np.frombuffer(meta.encode("utf-8"), dtype=np.uint8)
    if hasattr(f, "write"):
        np.savez(f, **arrays)
        return
    with atomic_open(f) as out:
        np.savez(out, **arrays)


@contextlib.contextmanager
def atomic_open(path):
    """Open a temporary file beside ``path`` for binary writing and rename it over ``path``
    when the block succeeds, so a crash never leaves a half-written file (nor loses the old
    one). The file gets the mode an ordinary ``open`` would give it (or keeps the old one)."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot write {path!r}: directory {directory!r} does not exist")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        if os.path.exists(path):
            mode = os.stat(path).st_mode & 0o777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _encode(obj, arrays, memo, where):
    from .tensor import Tensor
    if obj is None:
        return {"type": "none"}
    if isinstance(obj, (bool, np.bool_)):
        return {"type": "bool", "value": bool(obj)}
    if isinstance(obj, (int, np.integer)):
        return {"type": "int", "value": int(obj)}
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return {"type": "float", "value": v if math.isfinite(v) else repr(v)}
    if isinstance(obj, str):
        return {"type": "str", "value": obj}
    if isinstance(obj, (list, tuple)):
        kind = "tuple" if isinstance(obj, tuple) else "list"
        return {"type": kind, "items": [_encode(v, arrays, memo, f"{where}[{i}]")
                                        for i, v in enumerate(obj)]}
    if isinstance(obj, dict):
        keys, values = [], []
        for k, v in obj.items():
            if not isinstance(k, (str, int, float, bool, type(None), tuple)):
                raise TypeError(f"pg.save: {where} has a key of type {type(k).__name__}; "
                                f"expected str, int, float, bool, None or tuple keys")
            keys.append(_encode(k, arrays, memo, f"{where} key {k!r}"))
            values.append(_encode(v, arrays, memo, f"{where}[{k!r}]"))
        return {"type": "dict", "keys": keys, "values": values}
    if isinstance(obj, Tensor):
        name = _store(obj, obj.data, arrays, memo)
        from .nn.parameter import Parameter
        return {"type": "tensor", "array": name, "dtype": str(obj.dtype),
                "device": str(obj.device), "requires_grad": bool(obj.requires_grad),
                "parameter": isinstance(obj, Parameter)}
    if isinstance(obj, np.ndarray) or type(obj).__module__.startswith("cupy"):
        if obj.dtype.hasobject:
            raise TypeError(f"pg.save: {where} is an object array; only numeric arrays are saved")
        return {"type": "ndarray", "array": _store(obj, obj, arrays, memo), "dtype": str(obj.dtype)}
    raise TypeError(f"pg.save: {where} has type {type(obj).__name__}; expected a Tensor, "
                    f"ndarray, dict, list, tuple, None, bool, int, float or str")


def _store(owner, array, arrays, memo) -> str:
    name = memo.get(id(owner))
    if name is None:
        host = array.get() if type(array).__module__.startswith("cupy") else np.asarray(array)
        name = f"a{len(memo)}"
        memo[id(owner)] = name
        arrays[name] = host
    return name


# ----------------------------------------------------------------------------- load

def load(f, map_location=None, weights_only: bool = True):
    """Read what ``save`` wrote. Tensors return to the device they were saved from, or to
    ``map_location`` (a device, a device string, or a dict {"cuda:0": "cpu", ...}).

    Raises ValueError for a file that is not a pygrad archive or is truncated/corrupt, and
    RuntimeError when a saved device is not available here (pass map_location="cpu").
    ``weights_only`` is accepted for torch compatibility; nothing is ever unpickled.
    """
    name = f if not hasattr(f, "read") else getattr(f, "name", "<file>")
    source = f if hasattr(f, "read") else os.fspath(f)
    head = _peek(source)
    if head[:2] != b"PK":
        raise ValueError(f"pg.load: {name!r} is not a pygrad file (expected an npz archive "
                         f"written by pg.save, found leading bytes {head[:8]!r})")
    try:
        with np.load(source, allow_pickle=False) as archive:
            if META not in archive.files:
                raise ValueError(f"pg.load: {name!r} is an npz archive but not a pygrad file "
                                 f"(no {META!r} entry; was it written by numpy.savez?)")
            meta = json.loads(archive[META].tobytes().decode("utf-8"))
            if meta.get("format") != FORMAT:
                raise ValueError(f"pg.load: {name!r} has format {meta.get('format')!r}, "
                                 f"expected {FORMAT!r}")
            if not isinstance(meta.get("version"), int) or meta["version"] > VERSION:
                raise ValueError(f"pg.load: {name!r} is format version {meta.get('version')}, "
                                 f"this pygrad reads up to version {VERSION}; upgrade pygrad")
            arrays = {k: archive[k] for k in archive.files if k != META}
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, UnicodeDecodeError,
            json.JSONDecodeError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise ValueError(f"pg.load: {name!r} is truncated or corrupt ({type(e).__name__}: {e})") \
            from None
    except ValueError as e:
        if str(e).startswith("pg.load:"):
            raise
        raise ValueError(f"pg.load: {name!r} is truncated or corrupt ({e})") from None
    return _decode(meta["root"], arrays, {}, _mapper(map_location))


def _peek(source) -> bytes:
    if isinstance(source, str):
        with open(source, "rb") as fh:
            return fh.read(8)
    pos = source.tell()
    head = source.read(8)
    source.seek(pos)
    return head


def _mapper(map_location):
    from .device import Device
    if map_location is None:
        return lambda dev: Device(dev)
    if isinstance(map_location, dict):
        table = {str(Device(k)): Device(v) for k, v in map_location.items()}
        return lambda dev: table.get(str(Device(dev)), Device(dev))
    if callable(map_location) and not isinstance(map_location, (str, Device)):
        return lambda dev: Device(map_location(dev))
    target = Device(map_location)
    return lambda dev: target


def _decode(node, arrays, cache, to_device):
    kind = node.get("type")
    if kind == "none":
        return None
    if kind in ("bool", "int", "str"):
        return node["value"]
    if kind == "float":
        return float(node["value"])
    if kind == "list":
        return [_decode(n, arrays, cache, to_device) for n in node["items"]]
    if kind == "tuple":
        return tuple(_decode(n, arrays, cache, to_device) for n in node["items"])
    if kind == "dict":
        return {_decode(k, arrays, cache, to_device): _decode(v, arrays, cache, to_device)
                for k, v in zip(node["keys"], node["values"])}
    if kind in ("tensor", "ndarray"):
        ref = node["array"]
        if ref not in arrays:
            raise ValueError(f"pg.load: the archive lacks array {ref!r} named in its metadata "
                             f"(corrupt file)")
        if ref not in cache:
            cache[ref] = _tensor(node, arrays[ref], to_device) if kind == "tensor" \
                else arrays[ref]
        return cache[ref]
    raise ValueError(f"pg.load: unknown node type {kind!r} in the metadata (corrupt file or "
                     f"written by a newer pygrad)")


def _tensor(node, array, to_device):
    from .tensor import Tensor
    from .device import Device
    dev = to_device(node["device"])
    if dev.type == "cuda":
        from . import cuda
        if not cuda.is_available():
            raise RuntimeError(f"pg.load: a tensor was saved on {node['device']} but CUDA is not "
                               f"available here; pass map_location='cpu'")
    t = Tensor._make(np.ascontiguousarray(array), Device("cpu"))
    if dev.type != "cpu":
        t = t.to(dev)
    if node.get("parameter"):
        from .nn.parameter import Parameter
        return Parameter(t, requires_grad=bool(node.get("requires_grad", True)))
    if node.get("requires_grad"):
        t.requires_grad_()
    return t

