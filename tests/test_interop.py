"""DLPack exchange, as_tensor and numpy(force=) against the installed torch and NumPy: values,
dtypes, strides and shared memory (a write through one side is seen by the other)."""
import sys
import types

import numpy as np
import pytest

import pygrad as pg
from pygrad import interop

torch = pytest.importorskip("torch")

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


def _data(dtype, shape=(3, 4), seed=0):
    rng = np.random.default_rng(seed)
    return np.asarray((rng.standard_normal(shape) * 50).astype(dtype))


def _poke(a):
    """Write a new value into the first element of the NumPy array ``a``."""
    a.reshape(-1)[0] = not a.reshape(-1)[0] if a.dtype == bool else a.reshape(-1)[0] + 7


# ----------------------------------------------------------------------------- pygrad -> others

@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_from_dlpack_views_a_pygrad_tensor(dtype):
    x = pg.tensor(_data(dtype))
    t = torch.from_dlpack(x)
    want = torch.from_numpy(_data(dtype))
    assert t.dtype == want.dtype and t.shape == want.shape
    assert torch.equal(t, want)
    t[0, 0] = t[1, 1]                       # torch writes, pygrad sees
    assert x[0, 0].item() == x[1, 1].item()
    _poke(x.numpy())                        # pygrad writes, torch sees
    assert torch.equal(t, torch.from_numpy(x.numpy()))
    assert t.data_ptr() == x.numpy().ctypes.data


@pytest.mark.parametrize("dtype", DTYPES)
def test_np_from_dlpack_views_a_pygrad_tensor(dtype):
    x = pg.tensor(_data(dtype, seed=1))
    a = np.from_dlpack(x)
    assert a.dtype == x.dtype and np.shares_memory(a, x.numpy())
    np.testing.assert_array_equal(a, _data(dtype, seed=1))
    _poke(a)
    np.testing.assert_array_equal(x.numpy(), a)
    c = np.from_dlpack(x, copy=True)        # the consumer's copy= reaches NumPy's exporter
    assert not np.shares_memory(c, x.numpy())
    np.testing.assert_array_equal(c, x.numpy())


@pytest.mark.parametrize("shape", [(), (0,), (0, 3), (5,), (2, 3, 4)])
def test_dlpack_shapes_including_empty_and_0d(shape):
    a = _data("float64", shape, seed=2)
    t = torch.from_dlpack(pg.tensor(a))
    assert tuple(t.shape) == shape
    assert torch.equal(t, torch.from_numpy(a))
    back = pg.from_dlpack(torch.from_numpy(a.copy()))
    assert back.shape == shape
    np.testing.assert_array_equal(back.numpy(), a)


def test_dlpack_keeps_strides_of_views():
    x = pg.arange(24.0).reshape(4, 6)
    for view in (x.T, x[:, ::2], x[1:3, 2:], pg.ones(3).expand(2, 3)):
        t = torch.from_dlpack(view)
        want = torch.from_numpy(np.ascontiguousarray(view.numpy()))
        assert torch.equal(t, want)
        a = view.numpy()
        assert t.stride() == tuple(s // a.itemsize for s in a.strides)
    t = torch.from_dlpack(x.T)
    t[0, 1] = -1.0                           # x.T[0, 1] is x[1, 0]
    assert x[1, 0].item() == -1.0


def test_dlpack_device_is_torchs_numbering():
    got = pg.ones(2).__dlpack_device__()
    want = torch.ones(2).__dlpack_device__()
    assert got == tuple(int(v) for v in want) and all(type(v) is int for v in got)


def test_exporting_a_tensor_that_requires_grad_is_refused_as_torch():
    with pytest.raises(BufferError) as want:
        torch.ones(2, requires_grad=True).__dlpack__()
    x = pg.ones(2, requires_grad=True)
    for export in (x.__dlpack__, lambda: torch.from_dlpack(x), lambda: np.from_dlpack(x)):
        with pytest.raises(type(want.value), match="require gradient, use tensor.detach"):
            export()
    t = torch.from_dlpack(x.detach())
    assert torch.equal(t, torch.ones(2)) and not t.requires_grad


# ----------------------------------------------------------------------------- others -> pygrad

@pytest.mark.parametrize("dtype", DTYPES)
def test_from_dlpack_views_a_torch_tensor(dtype):
    t = torch.from_numpy(_data(dtype, seed=3))
    x = pg.from_dlpack(t)
    assert isinstance(x, pg.Tensor) and x.dtype == np.dtype(dtype) and str(x.device) == "cpu"
    np.testing.assert_array_equal(x.numpy(), t.numpy())
    assert x.numpy().ctypes.data == t.data_ptr()
    _poke(x.numpy())                        # pygrad writes, torch sees
    np.testing.assert_array_equal(t.numpy(), x.numpy())
    t.view(-1)[1] = t.view(-1)[2]           # torch writes, pygrad sees
    np.testing.assert_array_equal(x.numpy(), t.numpy())


def test_from_dlpack_of_torch_views_and_round_trip():
    base = torch.arange(24, dtype=torch.float64).reshape(4, 6)
    for view in (base.T, base[:, ::2], base[1:3, 2:], base.expand(2, 4, 6)):
        x = pg.from_dlpack(view)
        np.testing.assert_array_equal(x.numpy(), view.numpy())
        back = torch.from_dlpack(x)
        assert back.data_ptr() == view.data_ptr() and back.stride() == view.stride()
    x = pg.from_dlpack(base.T)
    x.numpy()[0, 1] = 100.0                 # base.T[0, 1] is base[1, 0]
    assert base[1, 0].item() == 100.0


def test_from_dlpack_of_numpy_capsule_and_pygrad():
    a = _data("float32", seed=4)
    x = pg.from_dlpack(a)
    assert np.shares_memory(x.numpy(), a)
    t = torch.from_numpy(_data("int32", seed=5))
    y = pg.from_dlpack(torch.utils.dlpack.to_dlpack(t))     # a legacy capsule
    assert y.dtype == np.int32 and y.numpy().ctypes.data == t.data_ptr()
    z = pg.from_dlpack(x)
    assert z is not x and np.shares_memory(z.numpy(), a)


def test_from_dlpack_gives_a_leaf_that_can_join_autograd():
    t = torch.randn(3, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    x = pg.from_dlpack(t)
    assert x.is_leaf and not x.requires_grad and x.grad_fn is None
    x.requires_grad_()
    (x * x).sum().backward()
    tt = t.clone().requires_grad_()
    (tt * tt).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tt.grad.numpy(), rtol=1e-15)


def test_from_dlpack_bad_input():
    with pytest.raises(TypeError, match="expected a tensor or array with __dlpack__"):
        pg.from_dlpack([1.0, 2.0])
    for dtype in (torch.complex64, torch.bfloat16):
        with pytest.raises(TypeError, match="not supported"):
            pg.from_dlpack(torch.ones(2, dtype=dtype))
    with pytest.raises(BufferError, match="require gradient"):
        pg.from_dlpack(torch.ones(2, requires_grad=True))

    class Elsewhere:                        # a producer on a device pygrad has no backend for
        def __dlpack__(self, stream=None, **kwargs):
            raise AssertionError("not to be read")

        def __dlpack_device__(self):
            return (7, 0)                   # kDLVulkan
    with pytest.raises(RuntimeError, match="device type 7 is not supported"):
        pg.from_dlpack(Elsewhere())


def test_from_dlpack_sends_cuda_memory_to_cupy(monkeypatch):
    """The CUDA path, without a GPU: a producer on (kDLCUDA, 1) is read by cupy.from_dlpack
    with device 1 current, and the tensor lands on cuda:1 around CuPy's array."""
    calls = []

    class DeviceCtx:
        def __init__(self, index):
            self.index = index

        def __enter__(self):
            calls.append(("enter", self.index))

        def __exit__(self, *exc):
            calls.append(("exit", self.index))

    arr = np.arange(3.0)
    fake = types.SimpleNamespace(cuda=types.SimpleNamespace(Device=DeviceCtx),
                                 from_dlpack=lambda obj: calls.append(("read", obj)) or arr)
    monkeypatch.setitem(sys.modules, "cupy", fake)

    class OnGpu:
        def __dlpack__(self, stream=None, **kwargs):
            raise AssertionError("CuPy reads it")

        def __dlpack_device__(self):
            return (2, 1)
    src = OnGpu()
    got = pg.from_dlpack(src)
    assert calls == [("enter", 1), ("read", src), ("exit", 1)]
    assert str(got.device) == "cuda:1" and got._data is arr


# ----------------------------------------------------------------------------- as_tensor

@pytest.mark.parametrize("dtype", [None, "float64", "float32", "int64"])
def test_as_tensor_shares_memory_with_numpy_as_torch(dtype):
    a = _data("float64", seed=6)
    x = pg.as_tensor(a, dtype=dtype)
    t = torch.as_tensor(a, dtype=None if dtype is None else getattr(torch, dtype))
    assert x.dtype == np.dtype(str(t.dtype).split(".")[1])
    np.testing.assert_array_equal(x.numpy(), t.numpy())
    shared = np.shares_memory(t.numpy(), a)
    assert np.shares_memory(x.numpy(), a) == shared
    if shared:
        a[0, 0] = 1234.0
        assert x[0, 0].item() == 1234.0


def test_as_tensor_of_python_data_and_scalars_as_torch():
    for data in ([1.5, 2.0], [[1, 2], [3, 4]], [True, False], 3, 2.5, np.float64(2.5),
                 np.int32(4), []):
        x, t = pg.as_tensor(data), torch.as_tensor(data)
        assert x.dtype == np.dtype(str(t.dtype).split(".")[1]), data
        np.testing.assert_array_equal(x.numpy(), t.numpy())
    x, t = pg.as_tensor([1, 2], dtype=pg.float64), torch.as_tensor([1, 2], dtype=torch.float64)
    np.testing.assert_array_equal(x.numpy(), t.numpy())
    assert x.dtype == np.float64
    a = np.arange(4)
    assert np.shares_memory(pg.as_tensor(a, device="cpu").numpy(), a)
    assert np.shares_memory(pg.as_tensor(a[::2]).numpy(), a)


def test_as_tensor_of_a_tensor_is_itself_or_to_keeping_the_graph():
    x = pg.randn(3, dtype=pg.float32, requires_grad=True)
    assert pg.as_tensor(x) is x and pg.as_tensor(x, dtype=pg.float32, device="cpu") is x
    y = pg.as_tensor(x, dtype=pg.float64)
    assert y.dtype == np.float64 and y.grad_fn is not None
    y.sum().backward()
    t = torch.tensor(x.detach().numpy(), requires_grad=True)
    torch.as_tensor(t, dtype=torch.float64).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_as_tensor_of_a_torch_tensor_shares_its_memory():
    t = torch.arange(6, dtype=torch.float64)
    x = pg.as_tensor(t)
    assert x.dtype == np.float64 and x.numpy().ctypes.data == t.data_ptr()
    t[0] = 10.0
    assert x[0].item() == 10.0


class _GpuArray(np.ndarray):
    """Stands in for a CuPy array on GPU 0 (the module name, ``device.id``,
    ``__cuda_array_interface__`` and ``get()`` are what pygrad reads)."""

    __module__ = "cupy"

    @property
    def device(self):
        return types.SimpleNamespace(id=0)

    @property
    def __cuda_array_interface__(self):
        return self.__array_interface__

    def get(self):
        return np.array(self)


def test_as_tensor_shares_memory_with_a_cupy_array_on_its_device(monkeypatch):
    """The CuPy path, without a GPU: the array's own device, its memory kept; another dtype is
    cast on that device; device="cpu" brings it to the host."""
    import contextlib
    dev = pg.device("cuda:0")
    guarded = []
    monkeypatch.setattr(dev, "_backend", types.SimpleNamespace(
        guard=lambda d: guarded.append(d) or contextlib.nullcontext()))
    a = np.arange(4.0).view(_GpuArray)
    x = pg.as_tensor(a)
    assert x.device is dev and x._data is a and guarded == [dev]
    y = pg.as_tensor(a, dtype=pg.float32, device="cuda:0")
    assert y.device is dev and y.dtype == np.float32 and not np.shares_memory(y._data, a)
    z = pg.as_tensor(a, device="cpu")
    assert type(z._data) is np.ndarray and z.device is pg.device("cpu")
    np.testing.assert_array_equal(z.numpy(), [0.0, 1.0, 2.0, 3.0])


def test_as_tensor_bad_input():
    with pytest.raises(TypeError, match="complex128 are not supported"):
        pg.as_tensor(np.ones(2, dtype=np.complex128))
    with pytest.raises(TypeError, match="dtype"):
        pg.as_tensor([1.0], dtype="float128")
    with pytest.raises(TypeError, match="numeric"):
        pg.as_tensor(np.array(["a", "b"]))
    with pytest.raises(ValueError, match="device"):
        pg.as_tensor(np.ones(2), device="tpu")


# ----------------------------------------------------------------------------- numpy()

def test_numpy_shares_memory_and_force_as_torch():
    a = _data("float32", seed=7)
    x, t = pg.tensor(a), torch.tensor(a)
    for kwargs in ({}, {"force": False}, {"force": True}):
        got, want = x.numpy(**kwargs), t.numpy(**kwargs)
        np.testing.assert_array_equal(got, want)
        assert np.shares_memory(got, x.numpy()) == np.shares_memory(want, t.numpy())
    xg = pg.tensor(a, requires_grad=True)
    tg = torch.tensor(a, requires_grad=True)
    got, want = xg.numpy(force=True), tg.numpy(force=True)
    np.testing.assert_array_equal(got, want)
    got[0, 0] = want[0, 0] = 99.0           # force=True still views the data on the cpu
    assert xg[0, 0].item() == tg[0, 0].item() == 99.0


def test_numpy_force_is_keyword_only_as_torch():
    with pytest.raises(TypeError) as want:
        torch.ones(2).numpy(True)
    with pytest.raises(type(want.value), match="positional"):
        pg.ones(2).numpy(True)


def test_numpy_of_a_tensor_requiring_grad():
    x = pg.ones(2, requires_grad=True)
    np.testing.assert_array_equal(x.numpy(), [1.0, 1.0])    # pygrad's callers rely on it


def test_numpy_refuses_grad_with_torchs_message_when_switched_on(monkeypatch):
    with pytest.raises(RuntimeError) as want:
        torch.ones(2, requires_grad=True).numpy()
    monkeypatch.setattr(interop, "REFUSE_NUMPY_OF_GRAD", True)
    x = pg.ones(2, requires_grad=True)
    with pytest.raises(type(want.value)) as got:
        x.numpy()
    assert str(got.value) == str(want.value)
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(x.numpy(force=True), [1.0, 1.0])


def test_numpy_of_a_gpu_tensor_needs_force(monkeypatch):
    """Without a GPU: a tensor around a stand-in CuPy array on cuda:0, whose backend's
    to_numpy (the host copy) is replaced by the array's own .get()."""
    from _fake_cupy import cuda_tensor
    x = cuda_tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"call \.cpu\(\) first"):
        x.numpy()
    copies = []
    monkeypatch.setattr(x.device, "_backend", types.SimpleNamespace(
        to_numpy=lambda a: copies.append(a) or a.get()))
    got = x.numpy(force=True)
    assert copies == [x._data]
    assert type(got) is np.ndarray and got.tolist() == [1.0, 2.0]
