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
Containers nest at most ``MAX_DEPTH`` levels (a tuple used as a dict key counts as one).
Writing goes to a temporary file ``.NAME.<host>-<pid>.<random>.tmp`` in the target directory
(a NAME over 200 bytes is shortened, with a hash of the whole) which then replaces the target, so a crash never leaves a half-written file under the final
name; the next save to the same target removes the temporaries such a crash left behind.

Loading checks the whole file before building anything: the zip structure and CRCs, every
``.npy`` header against the bytes stored, the metadata against the schema above (every field
present and of its type, no unknown fields, no duplicate JSON keys or dict keys, nesting
depth, tensor dtypes among those pygrad supports, each node's dtype equal to its stored
array's, no array left unreferenced). Any failure is a ValueError naming the problem.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import re
import socket
import stat
import tempfile
import time
import zipfile

import numpy as np

__all__ = ["save", "load"]

FORMAT = "pygrad"
VERSION = 1
META = "__pygrad__"
MAX_DEPTH = 100
# a temporary file of a dead writer on another machine (shared filesystem) or from an older
# pygrad (no owner in its name) is removed once it has not been written for this long
STALE_AFTER_S = 3600.0


# ----------------------------------------------------------------------------- save

def save(obj, f) -> None:
    """Write ``obj`` (tensors, arrays, dict/list/tuple, None/bool/int/float/str) to ``f``.

    ``f`` is a path (written atomically: temp file + rename) or a binary file object.
    Raises TypeError naming where in ``obj`` an unsupported value sits, and ValueError for a
    container that contains itself or nests deeper than ``MAX_DEPTH`` levels.
    """
    arrays: dict = {}
    memo: dict = {}
    root = _encode(obj, arrays, memo, "obj", 0, set())
    meta = json.dumps({"format": FORMAT, "version": VERSION, "root": root}, allow_nan=False)
    arrays[META] = np.frombuffer(meta.encode("utf-8"), dtype=np.uint8)
    if hasattr(f, "write"):
        np.savez(f, **arrays)
        return
    with atomic_open(f) as out:
        np.savez(out, **arrays)


def _host_tag() -> str:
    return hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def _temp_stem(base: str) -> str:
    """The target's name in its temporaries' names; a long one is shortened (with a hash of
    the whole name) so that the temporary's name stays within the usual 255-byte limit."""
    if len(base.encode("utf-8", "surrogateescape")) <= 200:
        return base
    digest = hashlib.sha1(base.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return f"{base[:40]}~{digest}"


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":          # os.kill(pid, 0) would terminate the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True                 # it exists (another user's) or cannot be asked: keep
    return True


def remove_stale_temporaries(path) -> list:
    """Delete the temporary files that interrupted writes of ``path`` (by :func:`atomic_open`)
    left beside it; returns their paths.

    Only files named like this target's temporaries are considered: ``.NAME.<host>-<pid>.
    <random>.tmp`` is removed when it was written on this machine by a process that no longer
    exists, or, from another machine, when untouched for ``STALE_AFTER_S`` seconds;
    ``.NAME.<random>.tmp`` (older pygrad) when untouched for ``STALE_AFTER_S`` seconds. A
    temporary that a live process is writing is never touched.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    stem = re.escape(_temp_stem(os.path.basename(path)))
    base = re.escape(os.path.basename(path))
    owned = re.compile(rf"\.{stem}\.([0-9a-f]{{8}})-(\d{{1,10}})\.[a-z0-9_]+\.tmp")
    legacy = re.compile(rf"\.{base}\.[a-z0-9_]{{8}}\.tmp")
    here, now, removed = _host_tag(), time.time(), []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        m = owned.fullmatch(entry.name)
        if m is None and legacy.fullmatch(entry.name) is None:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        if m is not None and m.group(1) == here:
            stale = not _pid_alive(int(m.group(2)))
        else:
            stale = now - st.st_mtime > STALE_AFTER_S
        if stale:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(entry.path)
    return removed


@contextlib.contextmanager
def atomic_open(path):
    """Open a temporary file beside ``path`` for binary writing and rename it over ``path``
    when the block succeeds, so a crash never leaves a half-written file (nor loses the old
    one). The file gets the mode an ordinary ``open`` would give it (or keeps the old one).
    Temporaries that earlier, killed writers of ``path`` left behind are removed first (see
    :func:`remove_stale_temporaries`)."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot write {path!r}: directory {directory!r} does not exist")
    remove_stale_temporaries(path)
    stem = _temp_stem(os.path.basename(path))
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp",
                               prefix=f".{stem}.{_host_tag()}-{os.getpid()}.")
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


_KEY_TYPES = (str, int, float, bool, type(None), tuple)


def _encode(obj, arrays, memo, where, depth, path):
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
    if isinstance(obj, (list, tuple, dict)):
        if depth >= MAX_DEPTH:
            raise ValueError(f"pg.save: {where} nests containers deeper than {MAX_DEPTH} levels")
        if id(obj) in path:
            raise ValueError(f"pg.save: {where} contains itself (a reference cycle)")
        path.add(id(obj))
        try:
            return _encode_container(obj, arrays, memo, where, depth + 1, path)
        finally:
            path.discard(id(obj))
    if isinstance(obj, Tensor):
        name = _store(obj, obj._data, arrays, memo)
        from .nn.parameter import Parameter
        return {"type": "tensor", "array": name, "dtype": str(obj.dtype),
                "device": str(obj.device), "requires_grad": bool(obj.requires_grad),
                "parameter": isinstance(obj, Parameter)}
    if isinstance(obj, np.ndarray) or type(obj).__module__.startswith("cupy"):
        if obj.dtype.hasobject:
            raise TypeError(f"pg.save: {where} is an object array; only numeric arrays are saved")
        return {"type": "ndarray", "array": _store(obj, obj, arrays, memo), "dtype": str(obj.dtype)}
    raise TypeError(_unsaveable(obj, where))


def _unsaveable(obj, where) -> str:
    """Why ``obj`` cannot be saved, and what to save instead."""
    kind = type(obj).__name__
    expected = ("expected a Tensor, ndarray, dict, list, tuple, None, bool, int, float or str. "
                "pg.save never pickles objects, because loading a pickle can run arbitrary code")
    if callable(getattr(obj, "state_dict", None)):
        from .nn.modules.module import Module
        what = "a whole module" if isinstance(obj, Module) else "an object"
        name = "model" if isinstance(obj, Module) else "obj"
        return (f"pg.save: {where} is {what} ({kind}); {expected}. Save its state instead: "
                f"pg.save({name}.state_dict(), f), then rebuild the {kind} in code and call "
                f"{name}.load_state_dict(pg.load(f))")
    return f"pg.save: {where} has type {kind}; {expected}"


def _encode_container(obj, arrays, memo, where, depth, path):
    if isinstance(obj, (list, tuple)):
        kind = "tuple" if isinstance(obj, tuple) else "list"
        return {"type": kind, "items": [_encode(v, arrays, memo, f"{where}[{i}]", depth, path)
                                        for i, v in enumerate(obj)]}
    keys, values = [], []
    for k, v in obj.items():
        _check_key(k, where)
        keys.append(_encode(k, arrays, memo, f"{where} key {k!r}", depth, path))
        values.append(_encode(v, arrays, memo, f"{where}[{k!r}]", depth, path))
    return {"type": "dict", "keys": keys, "values": values}


def _check_key(k, where):
    if isinstance(k, tuple):
        for item in k:
            _check_key(item, where)
    elif not isinstance(k, _KEY_TYPES):
        raise TypeError(f"pg.save: {where} has a key of type {type(k).__name__}; expected str, "
                        f"int, float, bool, None or tuple keys (of those types)")


def _store(owner, array, arrays, memo) -> str:
    name = memo.get(id(owner))
    if name is None:
        host = array.get() if type(array).__module__.startswith("cupy") else np.asarray(array)
        name = f"a{len(memo)}"
        memo[id(owner)] = name
        arrays[name] = host
    return name


# ----------------------------------------------------------------------------- load

def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Read what ``save`` wrote. Tensors return to the device they were saved from, or to
    where ``map_location`` sends them (torch's meanings):

    * a device, a device string (``"cpu"``, ``"cuda:0"``) or a ``torch.device``: all there;
    * a dict of saved location to new one, ``{"cuda:1": "cuda:0"}``; others stay;
    * a callable ``fn(tensor, location)`` given each tensor (on the cpu) and its saved
      location ("cpu", "cuda:0"), returning None (the saved location), a device or device
      string, or a Tensor (used as the loaded tensor, on its device), as torch's
      ``lambda storage, loc: storage`` idioms do; a one-argument ``fn(location)`` returning
      a device works too.

    ``weights_only`` (None, True or False) is accepted with torch's meaning, but the answer
    is always the same: a pygrad file holds only tensors, arrays and plain containers, and
    nothing is ever unpickled, so a file never runs code on load — not even with
    ``weights_only=False`` (a file of pickled objects, such as torch.save writes, is refused).
    For the same reason ``pickle_module`` and pickle's own arguments are refused (TypeError).
    ``mmap`` (None, True or False) is accepted; the arrays are always read into memory.

    Raises FileNotFoundError (or another OSError) when the path cannot be opened, ValueError
    naming what is wrong for a file that is not a pygrad archive, is truncated or corrupt, or
    whose metadata does not follow the format (see the module docstring), and RuntimeError
    when a saved device is not available here (pass map_location="cpu").
    """
    if weights_only not in (None, True, False):
        raise TypeError(f"pg.load: weights_only must be None, True or False, got "
                        f"{weights_only!r}")
    if mmap not in (None, True, False):
        raise TypeError(f"pg.load: mmap must be None, True or False, got {mmap!r}")
    if pickle_module is not None or pickle_load_args:
        given = ["pickle_module"] if pickle_module is not None else []
        raise TypeError(f"pg.load: {', '.join(given + sorted(pickle_load_args))} given, but "
                        f"pygrad files hold no pickles and pg.load never unpickles (that could "
                        f"run code); leave the pickle arguments out")
    to_device = _mapper(map_location)
    if hasattr(f, "read"):
        name = getattr(f, "name", "<file>")
        if isinstance(f, io.TextIOBase):
            raise TypeError(f"pg.load: {name!r} is open in text mode; open it with 'rb'")
        seekable = getattr(f, "seekable", None)
        if seekable is None or not seekable():
            f = io.BytesIO(f.read())
        meta, arrays = _read(f, name)
    else:
        if not isinstance(f, (str, bytes, os.PathLike)):
            raise TypeError(f"pg.load: f must be a path or a binary file object, got "
                            f"{type(f).__name__}")
        name = os.fspath(f)
        with open(name, "rb") as fh:
            meta, arrays = _read(fh, name)
    return _decode(meta["root"], arrays, {}, to_device, name)


def _read(fh, name):
    """(metadata, {array name: ndarray}) of a checked archive; ValueError for any fault."""
    pos = fh.tell()
    head = fh.read(8)
    fh.seek(pos)
    if head[:2] != b"PK":
        pickled = head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")
        raise ValueError(f"pg.load: {name!r} is not a pygrad file (expected an npz archive "
                         f"written by pg.save, found leading bytes {head[:8]!r})"
                         + ("; it looks like a pickle, which pygrad never loads (unpickling "
                            "can run code)" if pickled else ""))
    try:
        with zipfile.ZipFile(fh) as zf:
            return _read_archive(zf, name)
    except MemoryError:
        raise
    except ValueError as e:
        if str(e).startswith("pg.load:"):
            raise
        raise _corrupt(name, e) from None
    except RecursionError:
        raise ValueError(f"pg.load: {name!r} has metadata nested too deeply (corrupt file; "
                         f"pg.save writes at most {MAX_DEPTH} levels)") from None
    except Exception as e:       # zipfile, zlib, bz2, lzma, npy headers: all mean a bad file
        raise _corrupt(name, e) from None


def _corrupt(name, e) -> ValueError:
    return ValueError(f"pg.load: {name!r} is truncated or corrupt ({type(e).__name__}: {e})")


def _read_archive(zf, name):
    entries: dict = {}
    for info in zf.infolist():
        zf.open(info).close()       # the local header must agree with the directory (names)
        key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
        if key in entries:
            raise ValueError(f"pg.load: {name!r} holds two entries named {key!r} (corrupt file)")
        entries[key] = info
    if META not in entries:
        if any(k == "data.pkl" or k.endswith("/data.pkl") for k in entries):
            raise ValueError(f"pg.load: {name!r} was written by torch.save: it holds pickled "
                             f"objects, which pygrad never loads, whatever weights_only says "
                             f"(unpickling can run code). Load it with torch.load(f, "
                             f"weights_only=True), turn the tensors into pygrad ones "
                             f"(pg.tensor(t.numpy()) or pg.from_dlpack(t)) and pg.save that")
        raise ValueError(f"pg.load: {name!r} is an npz archive but not a pygrad file "
                         f"(no {META!r} entry; was it written by numpy.savez?)")
    raw = _read_npy(zf, entries[META], name)
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ValueError(f"pg.load: {name!r}: the {META!r} entry is a {raw.dtype} array of shape "
                         f"{raw.shape}, expected 1-D uint8 (corrupt file)")
    meta = json.loads(raw.tobytes().decode("utf-8"),
                      object_pairs_hook=lambda pairs: _unique_pairs(pairs, name))
    refs = _check_meta(meta, name)
    missing = sorted(set(refs) - set(entries))
    if missing:
        raise ValueError(f"pg.load: {name!r}: the archive lacks array {missing[0]!r} named in "
                         f"its metadata (corrupt file)")
    extra = sorted(set(entries) - set(refs) - {META})
    if extra:
        raise ValueError(f"pg.load: {name!r}: the archive holds entries its metadata does not "
                         f"name ({', '.join(map(repr, extra[:5]))}); not written by pg.save or "
                         f"corrupt")
    arrays = {}
    for ref, node in refs.items():
        a = _read_npy(zf, entries[ref], name)
        if str(a.dtype) != node["dtype"]:
            raise ValueError(f"pg.load: {name!r}: array {ref!r} is stored as {a.dtype} but the "
                             f"metadata says {node['dtype']} (corrupt file)")
        arrays[ref] = a
    return meta, arrays


_CHUNK = 1 << 24


def _read_npy(zf, info, name) -> np.ndarray:
    """One .npy entry, its header checked against the size stored and its CRC verified."""
    fmt = np.lib.format
    with zf.open(info) as fp:
        version = fmt.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(fp)
        else:
            raise ValueError(f"pg.load: {name!r}: entry {info.filename!r} is .npy format "
                             f"{version}, which pg.save does not write (corrupt file)")
        if dtype.hasobject:
            raise ValueError(f"pg.load: {name!r}: entry {info.filename!r} holds Python objects "
                             f"(pickled data is never loaded)")
        count = math.prod(shape)
        nbytes = count * dtype.itemsize
        stored = info.file_size - fp.tell()
        if nbytes != stored:
            raise ValueError(f"pg.load: {name!r} is truncated or corrupt: entry "
                             f"{info.filename!r} declares shape {shape} of {dtype} "
                             f"({nbytes} bytes) but holds {stored} bytes")
        out = np.empty(count, dtype)
        if nbytes:
            view = memoryview(out.view(np.uint8))
            done = 0
            while done < nbytes:
                got = fp.readinto(view[done:done + _CHUNK])
                if not got:
                    raise ValueError(f"pg.load: {name!r} is truncated or corrupt: entry "
                                     f"{info.filename!r} ends after {done} of {nbytes} bytes")
                done += got
        if fp.read(1):      # reading to the end also makes zipfile check the CRC
            raise ValueError(f"pg.load: {name!r} is truncated or corrupt: entry "
                             f"{info.filename!r} holds more than its header declares")
    if fortran:
        return out.reshape(shape[::-1]).T
    return out.reshape(shape)


def _unique_pairs(pairs, name):
    d = dict(pairs)
    if len(d) != len(pairs):
        seen = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise ValueError(f"pg.load: {name!r}: the metadata repeats the JSON key {dup!r} "
                         f"(corrupt file)")
    return d


# node type -> its fields (besides "type") and their JSON types
_FIELDS = {
    "none": {},
    "bool": {"value": (bool,)},
    "int": {"value": (int,)},
    "float": {"value": (int, float, str)},
    "str": {"value": (str,)},
    "list": {"items": (list,)},
    "tuple": {"items": (list,)},
    "dict": {"keys": (list,), "values": (list,)},
    "tensor": {"array": (str,), "dtype": (str,), "device": (str,), "requires_grad": (bool,),
               "parameter": (bool,)},
    "ndarray": {"array": (str,), "dtype": (str,)},
}
_KEY_KINDS = ("none", "bool", "int", "float", "str", "tuple")
_DEVICE = re.compile(r"cpu|cuda:\d{1,6}")
_NONFINITE = ("nan", "inf", "-inf")


def _check_meta(meta, name) -> dict:
    """Check the metadata against the schema; {array name: first node naming it}."""
    def bad(msg):
        return ValueError(f"pg.load: {name!r}: {msg}")
    if not isinstance(meta, dict):
        raise bad(f"the metadata is a JSON {_json_type(meta)}, expected an object "
                  f"(corrupt file)")
    if meta.get("format") != FORMAT:
        raise bad(f"format {meta.get('format')!r}, expected {FORMAT!r}")
    version = meta.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise bad(f"format version {version!r} is not a positive integer (corrupt file)")
    if version > VERSION:
        raise ValueError(f"pg.load: {name!r} is format version {version}, this pygrad reads up "
                         f"to version {VERSION}; upgrade pygrad")
    if set(meta) != {"format", "version", "root"}:
        raise bad(_fields_message("the metadata", meta, {"format", "version", "root"}))
    from .tensor import _SUPPORTED
    refs: dict = {}
    # iterative walk: (node, where, depth, is_key)
    stack = [(meta["root"], "root", 0, False)]
    while stack:
        node, where, depth, is_key = stack.pop()
        if not isinstance(node, dict):
            raise bad(f"{where} is a JSON {_json_type(node)}, expected a node object "
                      f"(corrupt file)")
        kind = node.get("type")
        if not isinstance(kind, str) or kind not in _FIELDS:
            raise bad(f"{where} has unknown node type {kind!r} (corrupt file or written by a "
                      f"newer pygrad)")
        fields = _FIELDS[kind]
        if len(node) != len(fields) + 1 or not all(k in node for k in fields):
            raise bad(_fields_message(f"{where} ({kind})", node, {"type", *fields}))
        for field, types in fields.items():
            v = node[field]
            if not isinstance(v, types) or (bool not in types and isinstance(v, bool)):
                raise bad(f"{where} ({kind}) field {field!r} is a JSON {_json_type(v)} "
                          f"{_short(v)}, expected {' or '.join(_JSON_NAMES[t] for t in types)}")
        if is_key and kind not in _KEY_KINDS:
            raise bad(f"{where} is a {kind}, which cannot be a dict key (corrupt file)")
        if kind in ("list", "tuple", "dict") and depth >= MAX_DEPTH:
            raise bad(f"{where} nests containers deeper than {MAX_DEPTH} levels (pg.save "
                      f"writes no deeper; corrupt file)")
        if kind == "float":
            _check_float(node["value"], where, bad)
        elif kind in ("list", "tuple"):
            items = node["items"]
            stack.extend((n, f"{where}.items[{i}]", depth + 1, is_key)
                         for i, n in enumerate(items))
        elif kind == "dict":
            if len(node["keys"]) != len(node["values"]):
                raise bad(f"{where} (dict) has {len(node['keys'])} keys and "
                          f"{len(node['values'])} values (corrupt file)")
            stack.extend((n, f"{where}.keys[{i}]", depth + 1, True)
                         for i, n in enumerate(node["keys"]))
            stack.extend((n, f"{where}.values[{i}]", depth + 1, False)
                         for i, n in enumerate(node["values"]))
        elif kind in ("tensor", "ndarray"):
            if kind == "tensor":
                _check_tensor(node, where, bad, _SUPPORTED)
            ref = node["array"]
            first = refs.setdefault(ref, node)
            if first is not node and first != node:
                raise bad(f"array {ref!r} is named by two different nodes (corrupt file)")
    return refs


def _check_float(v, where, bad):
    if isinstance(v, str):
        if v not in _NONFINITE:
            raise bad(f"{where} (float) value {_short(v)} is not a number, 'nan', 'inf' or "
                      f"'-inf' (corrupt file)")
    elif isinstance(v, int):
        try:
            float(v)
        except OverflowError:
            raise bad(f"{where} (float) value has {len(str(v))} digits, beyond float64 "
                      f"(corrupt file)") from None


def _check_tensor(node, where, bad, supported):
    try:
        dtype = np.dtype(node["dtype"])
    except Exception:           # whatever numpy makes of a string that names no dtype
        dtype = None
    if dtype is None or dtype not in supported or str(dtype) != node["dtype"]:
        names = ", ".join(str(d) for d in supported)
        raise bad(f"{where} (tensor) has dtype {node['dtype']!r}; a tensor's dtype is one of "
                  f"{names} (corrupt file)")
    if _DEVICE.fullmatch(node["device"]) is None:
        raise bad(f"{where} (tensor) has device {node['device']!r}, expected 'cpu' or "
                  f"'cuda:N' (corrupt file)")
    if node["requires_grad"] and dtype.kind != "f":
        raise bad(f"{where} (tensor) requires grad but has dtype {dtype}; only floating-point "
                  f"tensors can require gradients (corrupt file)")


_JSON_NAMES = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
               list: "an array", dict: "an object"}


def _json_type(v) -> str:
    if v is None:
        return "null"
    for t, n in ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"),
                 (list, "array"), (dict, "object")):
        if isinstance(v, t):
            return n
    return type(v).__name__


def _short(v) -> str:
    r = repr(v)
    return r if len(r) <= 40 else r[:37] + "..."


def _fields_message(what, node, expected) -> str:
    missing = sorted(expected - set(node))
    unknown = sorted(set(node) - expected)
    parts = []
    if missing:
        parts.append(f"lacks field(s) {', '.join(map(repr, missing))}")
    if unknown:
        parts.append(f"has unknown field(s) {', '.join(map(repr, unknown[:5]))}")
    return f"{what} {' and '.join(parts)} (corrupt file)"


def _as_device(spec, what):
    """A Device from a pygrad Device, a string, an int or a torch.device."""
    from .device import Device
    if not isinstance(spec, (Device, str, int)) and hasattr(spec, "type") and \
            type(spec).__module__.startswith("torch"):
        spec = str(spec)
    try:
        return Device(spec)
    except (TypeError, ValueError) as e:
        raise type(e)(f"pg.load: map_location {what}: {e}") from None


def _mapper(map_location):
    """fn(saved location, tensor on the cpu) -> the Device to load to, or a Tensor."""
    from .device import Device
    if map_location is None:
        return lambda loc, t: Device(loc)
    if isinstance(map_location, dict):
        table = {str(_as_device(k, f"key {k!r}")): _as_device(v, f"value {v!r}")
                 for k, v in map_location.items()}
        return lambda loc, t: table.get(str(Device(loc)), Device(loc))
    if callable(map_location) and not isinstance(map_location, (str, Device)) and \
            not type(map_location).__module__.startswith("torch"):
        fn = map_location
        one_arg = _positional_count(fn) == 1

        def call(loc, t):
            out = fn(loc) if one_arg else fn(t, loc)
            if out is None:
                return Device(loc)
            from .tensor import Tensor
            if isinstance(out, Tensor):
                return out
            return _as_device(out, f"callable returned {out!r}, expected None, a device or a "
                                   f"Tensor;")
        return call
    target = _as_device(map_location, f"{map_location!r}")
    return lambda loc, t: target


def _positional_count(fn) -> int:
    import inspect
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 2
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return 2
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and
               p.default is p.empty for p in params)


def _decode(node, arrays, cache, to_device, name):
    """The object a checked node describes (``_check_meta`` ran first)."""
    kind = node["type"]
    if kind == "none":
        return None
    if kind in ("bool", "int", "str"):
        return node["value"]
    if kind == "float":
        return float(node["value"])
    if kind == "list":
        return [_decode(n, arrays, cache, to_device, name) for n in node["items"]]
    if kind == "tuple":
        return tuple(_decode(n, arrays, cache, to_device, name) for n in node["items"])
    if kind == "dict":
        out = {_decode(k, arrays, cache, to_device, name):
               _decode(v, arrays, cache, to_device, name)
               for k, v in zip(node["keys"], node["values"])}
        if len(out) != len(node["keys"]):
            raise ValueError(f"pg.load: {name!r}: a dict in the metadata repeats a key "
                             f"(corrupt file)")
        return out
    ref = node["array"]
    if ref not in cache:
        cache[ref] = _tensor(node, arrays[ref], to_device) if kind == "tensor" else arrays[ref]
    return cache[ref]


def _tensor(node, array, to_device):
    from .tensor import Tensor
    from .device import Device
    # (np.ascontiguousarray would turn a 0-d array into shape (1,))
    t = Tensor._make(np.require(array, requirements="C"), Device("cpu"))
    dev = to_device(node["device"], t)
    if isinstance(dev, Tensor):         # a map_location callable gave the tensor itself
        if tuple(dev.shape) != tuple(t.shape):
            raise ValueError(f"pg.load: the map_location callable returned a tensor of shape "
                             f"{tuple(dev.shape)} for one saved with shape {tuple(t.shape)}")
        t, dev = dev.detach(), dev.device
    if dev.type == "cuda":
        from . import cuda
        if not cuda.is_available():
            raise RuntimeError(f"pg.load: a tensor was saved on {node['device']} but CUDA is not "
                               f"available here; pass map_location='cpu'")
    if t.device is not dev:
        t = t.to(dev)
    if node["parameter"]:
        from .nn.parameter import Parameter
        return Parameter(t, requires_grad=node["requires_grad"])
    if node["requires_grad"]:
        t.requires_grad_()
    return t
