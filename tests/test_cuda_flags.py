"""cross_entropy's out-of-range target check on the GPU costs no host sync: the kernel's flag is
read where the host waits anyway (a host read, pg.cuda.synchronize), as torch's device-side
asserts surface. Runs the cuda backend's own host code and kernels on the CPU through the cudasim
stand-in cupy (``../shared/tools/cudasim``, skipped when absent), and on a real GPU when there is
one."""
from __future__ import annotations

import importlib.util
import pathlib
import shutil
import sys

import numpy as np
import pytest

import pygrad as pg
import pygrad.nn.functional as F
from pygrad.device import Device
from pygrad.tensor import Tensor

REPO = pathlib.Path(__file__).resolve().parents[1]
CUDASIM = REPO.parent / "shared" / "tools" / "cudasim"
NO_BAD_ROW = 2**64 - 1
_cache: dict = {}


def _load():
    """(simcupy, the stand-in cupy module, pygrad/backend/cuda.py loaded against it). The backend
    is a private copy of the module (pygrad.backend._cuda_on_cudasim); sys.modules["cupy"] and
    the real pygrad.backend.cuda are left as they were."""
    if "backend" in _cache:
        return _cache["sim"], _cache["cupy"], _cache["backend"]
    path = CUDASIM / "simcupy.py"
    if not path.is_file():
        pytest.skip(f"the cudasim stand-in cupy is not at {path}")
    try:
        spec = importlib.util.spec_from_file_location("_pygrad_flags_simcupy", path)
        sim = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sim)
    except Exception as e:  # noqa: BLE001  (not Linux/glibc, say: the tool's README says)
        pytest.skip(f"the cudasim stand-in cupy does not load here: {e}")
    if shutil.which(sim.CXX) is None:
        pytest.skip(f"cudasim compiles kernels with {sim.CXX}, which is not installed")
    saved = {k: sys.modules.get(k) for k in ("cupy", "cupy.cuda")}
    name = "pygrad.backend._cuda_on_cudasim"
    try:
        fake = sim.install()
        spec = importlib.util.spec_from_file_location(name, REPO / "pygrad" / "backend" / "cuda.py")
        backend = importlib.util.module_from_spec(spec)
        sys.modules[name] = backend
        spec.loader.exec_module(backend)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    try:
        backend.kernel("cross_entropy", np.dtype(np.float32), "warp1")
    except Exception as e:  # noqa: BLE001  (no working g++, say)
        pytest.skip(f"cudasim cannot build cross_entropy.cu here: {str(e)[:300]}")
    _cache.update(sim=sim, cupy=fake, backend=backend)
    return sim, fake, backend


@pytest.fixture
def sim(monkeypatch):
    """The backend on cudasim, made cuda:0's backend, with no pending checks before or after."""
    sim, fake, backend = _load()

    def clean():
        backend._pending.clear()
        backend._unchecked.clear()
        for flag in backend._bad_rows.values():
            flag.fill(np.uint64(NO_BAD_ROW))

    clean()
    # the reference code the backend falls back on imports "cupy" for arrays of type cupy.ndarray
    monkeypatch.setitem(sys.modules, "cupy", fake)
    monkeypatch.setitem(sys.modules, "cupy.cuda", fake.cuda)
    monkeypatch.setattr(backend, "CHECK_TARGETS", True)
    monkeypatch.setattr(Device("cuda:0"), "_backend", backend)
    yield sim, fake, backend
    clean()


@pytest.fixture
def transfers(sim, monkeypatch):
    """Every device-to-host read of a stand-in array, as a list of (what, shape)."""
    simcupy, fake, _ = sim
    seen = []
    cls = simcupy.ndarray
    for meth in ("get", "item", "tolist", "__bool__", "__int__", "__float__", "__index__"):
        orig = getattr(cls, meth)

        def spy(self, *a, _orig=orig, _meth=meth, **k):
            seen.append((_meth, self.shape))
            return _orig(self, *a, **k)

        monkeypatch.setattr(cls, meth, spy)
    orig_asnumpy = fake.asnumpy

    def asnumpy(a, *args, **kw):
        seen.append(("asnumpy", getattr(a, "shape", None)))
        return orig_asnumpy(a, *args, **kw)

    monkeypatch.setattr(fake, "asnumpy", asnumpy)
    return seen


def on_gpu(sim, a, requires_grad=False):
    simcupy = sim[0]
    return Tensor._make(simcupy.asarray(np.asarray(a)), Device("cuda:0"), requires_grad)


def logits(n=6, c=5, seed=0):
    return np.random.default_rng(seed).standard_normal((n, c)).astype(np.float32)


def flag_value(backend):
    return int(np.asarray(backend._bad_rows[0])[0])


# ----------------------------------------------------------------------------- (a) deferred error

def test_bad_target_raises_at_the_next_host_read_not_at_the_call(sim):
    _, _, backend = sim
    x = on_gpu(sim, logits(), requires_grad=True)
    t = on_gpu(sim, np.array([0, 1, 7, 2, 4, 3]))
    loss = F.cross_entropy(x, t)            # no error here: the flag is not read
    loss.backward()                         # nor here: backward does not wait for the GPU
    assert backend._pending == {0: {(5, -100): 1}}
    with pytest.raises(IndexError) as e:
        loss.tolist()                       # a host read: the flag is read with it
    msg = str(e.value)
    assert msg.startswith("cross_entropy: an earlier cross_entropy call on cuda:0")
    assert "out of bounds for 5 classes (expected 0..4 or ignore_index=-100), in row 2" in msg
    assert "PYGRAD_CHECK_TARGETS=sync" in msg


def test_bad_target_raises_at_backend_to_numpy(sim):
    _, _, backend = sim
    x, t = on_gpu(sim, logits())._data, on_gpu(sim, np.array([0, 1, 2, -3, 4, 3]))._data
    loss, _ = backend.cross_entropy(x, t, None, 9, 0.0, 1.0)
    with pytest.raises(IndexError,
                       match=r"5 classes \(expected 0..4 or ignore_index=9\), in row 3"):
        backend.to_numpy(loss)


def test_message_names_every_call_since_the_last_check(sim):
    good = on_gpu(sim, np.array([0, 1, 2, 3, 4, 0]))
    bad = on_gpu(sim, np.array([0, 1, 2, 3, 9, 5]))
    F.cross_entropy(on_gpu(sim, logits()), good)
    F.cross_entropy(on_gpu(sim, logits()), good)
    F.cross_entropy(on_gpu(sim, logits(6, 8)), bad, ignore_index=0)
    y = on_gpu(sim, np.zeros(3))
    with pytest.raises(IndexError) as e:
        y.tolist()
    msg = str(e.value)
    assert "one of 3 earlier cross_entropy calls on cuda:0" in msg and "not known" in msg
    assert "2 with 5 classes (expected 0..4 or ignore_index=-100)" in msg
    assert "1 with 8 classes (expected 0..7 or ignore_index=0)" in msg
    assert msg.endswith("raise at the call itself.") and "lowest bad row over them: 4" in msg


def test_synchronize_surfaces_the_error(sim, monkeypatch):
    _, fake, backend = sim
    from pygrad import cuda
    synced = []
    fake.cuda.runtime.deviceSynchronize = lambda: synced.append(True)
    monkeypatch.setattr(cuda, "_cupy", lambda: fake)
    monkeypatch.setattr(cuda, "_check_index", lambda index, source=None: None)
    monkeypatch.setattr(cuda, "current_device", lambda: 0)
    monkeypatch.setitem(sys.modules, "pygrad.backend.cuda", backend)
    cuda.synchronize()                      # nothing pending: nothing raised
    F.cross_entropy(on_gpu(sim, logits()), on_gpu(sim, np.array([0, 1, 2, 3, 4, 5])))
    with pytest.raises(IndexError, match="earlier cross_entropy call on cuda:0"):
        cuda.synchronize()
    assert synced == [True, True]
    cuda.synchronize(0)                     # reported once


def _host_read_goes_through_the_backend(sim, monkeypatch, read):
    _, _, backend = sim
    seen = []
    orig = backend.to_numpy
    monkeypatch.setattr(backend, "to_numpy", lambda a: seen.append(1) or orig(a))
    read(on_gpu(sim, np.ones(1, np.float32)))
    return bool(seen)


@pytest.mark.parametrize("read", [lambda t: t.item(), lambda t: t.cpu(), lambda t: float(t)],
                         ids=["item", "cpu", "float"])
def test_item_and_cpu_surface_the_error(sim, monkeypatch, read):
    if not _host_read_goes_through_the_backend(sim, monkeypatch, read):
        pytest.skip("this host read does not go through the backend's to_numpy in "
                    "pygrad/tensor.py, so it cannot report the flag")
    loss = F.cross_entropy(on_gpu(sim, logits()), on_gpu(sim, np.array([0, 1, 2, 3, 4, 5])))
    with pytest.raises(IndexError, match="earlier cross_entropy call"):
        read(loss)


# ----------------------------------------------------------------------------- (b) no host transfer

@pytest.mark.parametrize("kw", [{}, {"reduction": "sum"}, {"reduction": "none"},
                                {"ignore_index": 2}, {"label_smoothing": 0.1},
                                {"weight": np.linspace(0.5, 2, 5).astype(np.float32)}],
                         ids=["mean", "sum", "none", "ignore_index", "smoothing", "weight"])
def test_no_host_transfer_in_forward_and_backward(sim, transfers, kw):
    x = on_gpu(sim, logits(), requires_grad=True)
    t = on_gpu(sim, np.array([0, 1, 2, 3, 4, 2]))
    if "weight" in kw:
        kw = dict(kw, weight=on_gpu(sim, kw["weight"]))
    loss = F.cross_entropy(x, t, **kw)
    (loss if loss.ndim == 0 else loss.sum()).backward()
    assert transfers == [], "cross_entropy forward/backward read from the device"
    assert x.grad is not None and np.isfinite(np.asarray(x.grad._data)).all()


def test_no_host_transfer_at_the_call_with_a_bad_target(sim, transfers):
    _, _, backend = sim
    x = on_gpu(sim, logits(), requires_grad=True)
    loss = F.cross_entropy(x, on_gpu(sim, np.array([0, 1, 9, 3, 4, 2])))
    loss.backward()
    assert transfers == []
    with pytest.raises(IndexError):
        backend.check_pending(0)
    assert ("get", (1,)) in transfers       # the flag, read once, at the check


def test_host_read_reads_the_flag_only_after_cross_entropy(sim, transfers):
    y = on_gpu(sim, np.zeros(4))
    y.tolist()
    assert transfers == [("asnumpy", (4,))]  # no flag read: nothing pending
    F.cross_entropy(on_gpu(sim, logits()), on_gpu(sim, np.array([0, 1, 2, 3, 4, 2])))
    transfers.clear()
    y.tolist()
    y.tolist()
    assert transfers == [("asnumpy", (4,)), ("get", (1,)), ("asnumpy", (4,))]


def test_backend_cross_entropy_makes_no_host_transfer(sim, transfers):
    _, _, backend = sim
    for c in (3, 40, 300, 5000):                          # warp1, warp2, block, block tiers
        x = on_gpu(sim, logits(4, c))._data
        t = on_gpu(sim, np.array([0, c - 1, 1, 0]))._data
        backend.cross_entropy(x, t, None, -100, 0.0, 1.0)
        backend.cross_entropy(x, t, None, -100, 0.0, None)
    assert transfers == []
    assert sum(backend._pending[0].values()) == 8


# ----------------------------------------------------------------------------- (c) reset

def test_flag_resets_after_being_reported(sim):
    _, _, backend = sim
    bad = on_gpu(sim, np.array([0, 1, 2, 3, 4, 5]))
    good = on_gpu(sim, np.array([0, 1, 2, 3, 4, 0]))
    loss = F.cross_entropy(on_gpu(sim, logits()), bad)
    with pytest.raises(IndexError):
        loss.tolist()
    assert flag_value(backend) == NO_BAD_ROW and backend._pending == {}
    assert np.isnan(loss.tolist())          # reported once: the next read is quiet
    loss = F.cross_entropy(on_gpu(sim, logits()), good)
    assert np.isfinite(loss.tolist())       # a good call after the report raises nothing
    loss = F.cross_entropy(on_gpu(sim, logits()), bad)
    with pytest.raises(IndexError, match="in row 5"):
        loss.tolist()                       # a new bad target is reported again


# ----------------------------------------------------------------------------- modes

def test_sync_mode_raises_the_reference_error_at_the_call(sim, monkeypatch):
    _, _, backend = sim
    monkeypatch.setattr(backend, "CHECK_TARGETS", "sync")
    x = on_gpu(sim, logits())
    with pytest.raises(IndexError,
                       match=r"^cross_entropy: target 7 is out of bounds for 5 classes"):
        F.cross_entropy(x, on_gpu(sim, np.array([0, 1, 7, 2, 4, 3])))
    assert flag_value(backend) == NO_BAD_ROW and backend._pending == {}
    F.cross_entropy(x, on_gpu(sim, np.array([0, 1, 2, 2, 4, 3])))
    assert backend._pending == {}


def test_off_mode_checks_nothing_and_leaves_no_stale_error(sim, monkeypatch):
    _, _, backend = sim
    monkeypatch.setattr(backend, "CHECK_TARGETS", False)
    loss = F.cross_entropy(on_gpu(sim, logits()), on_gpu(sim, np.array([0, 1, 7, 2, 4, 3])),
                           reduction="none")
    values = loss.tolist()
    assert np.isnan(values[2]) and np.isfinite(np.delete(values, 2)).all()
    assert backend._pending == {}
    monkeypatch.setattr(backend, "CHECK_TARGETS", True)
    loss = F.cross_entropy(on_gpu(sim, logits()), on_gpu(sim, np.array([0, 1, 2, 2, 4, 3])))
    assert np.isfinite(loss.tolist())       # the unchecked call's row is not blamed on this one


def test_check_mode_from_the_environment():
    backend = _load()[2]
    assert backend._check_mode("1") is True and backend._check_mode(" Sync ") == "sync"
    assert all(backend._check_mode(v) is False for v in ("0", "false", "no", "off"))


# ----------------------------------------------------------------------------- on a GPU

@pytest.mark.skipif(not pg.cuda.is_available(),
                    reason="no CUDA GPU: pygrad.cuda.is_available() is False")
def test_on_a_gpu_the_error_comes_at_the_next_host_read():
    backend = pytest.importorskip("pygrad.backend.cuda")
    if backend.CHECK_TARGETS is not True:
        pytest.skip(f"PYGRAD_CHECK_TARGETS sets the check to {backend.CHECK_TARGETS!r}")
    x = pg.tensor(logits(), device="cuda", requires_grad=True)
    loss = F.cross_entropy(x, pg.tensor([0, 1, 7, 2, 4, 3], device="cuda"))
    loss.backward()
    with pytest.raises(IndexError,
                       match=r"5 classes \(expected 0..4 or ignore_index=-100\), in row 2"):
        pg.cuda.synchronize()
    assert np.isnan(loss.tolist())          # reported once
    loss = F.cross_entropy(x, pg.tensor([0, 1, 2, 2, 4, 3], device="cuda"))
    assert np.isfinite(loss.tolist())
