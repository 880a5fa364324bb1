"""pg.cuda without a GPU: nothing raises where torch would not, and every failure to reach a GPU
is one clear error."""
import sys

import pytest

import pygrad as pg
from pygrad import cuda

no_gpu = pytest.mark.skipif(cuda.is_available(), reason="checks the behaviour without a GPU")


@pytest.fixture
def no_cupy(monkeypatch):
    """Make `import cupy` fail as it does where CuPy is not installed."""
    for mod in list(sys.modules):
        if mod == "cupy" or mod.startswith("cupy."):
            monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "cupy", None)


def test_import_pygrad_works_without_cupy(no_cupy):
    assert cuda.is_available() is False
    assert cuda.device_count() == 0


def test_cupy_missing_message_names_the_extra(no_cupy):
    with pytest.raises(cuda.CupyNotInstalledError, match=r'pygrad\[cuda12\]') as e:
        cuda._check_index(0)
    assert "pygrad[cuda13]" in str(e.value)
    assert isinstance(e.value, RuntimeError)


def test_source_prefixes_the_message(no_cupy):
    with pytest.raises(cuda.CupyNotInstalledError, match=r"^PYGRAD_DEVICE='cuda:1': CUDA needs CuPy"):
        cuda._check_index(1, source="PYGRAD_DEVICE='cuda:1'")


@no_gpu
def test_no_gpu_counts_and_current_device():
    assert cuda.is_available() is False
    assert cuda.device_count() == 0
    assert cuda.current_device() == 0


@no_gpu
def test_no_gpu_error_carries_cupys_message():
    pytest.importorskip("cupy")
    with pytest.raises(cuda.NoCudaDeviceError, match="no CUDA device") as e:
        cuda._check_index(0)
    assert "CUDA_VISIBLE_DEVICES" in str(e.value)


@no_gpu
def test_hidden_devices_are_reported(monkeypatch):
    cupy = pytest.importorskip("cupy")
    monkeypatch.setattr(cupy.cuda.runtime, "getDeviceCount", lambda: 0)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    with pytest.raises(cuda.NoCudaDeviceError, match="no CUDA device is visible.*CUDA_VISIBLE_DEVICES=''"):
        cuda._check_index(0)
    assert cuda.device_count() == 0


def _fake_two_gpus(monkeypatch):
    cupy = pytest.importorskip("cupy")
    monkeypatch.setattr(cupy.cuda.runtime, "getDeviceCount", lambda: 2)
    monkeypatch.setattr(cupy.cuda.runtime, "getDeviceProperties",
                        lambda i: {"name": f"Fake GPU {i}".encode()})
    monkeypatch.setattr(cupy.cuda.runtime, "getDevice", lambda: 1)


def test_index_out_of_range_lists_visible_devices(monkeypatch):
    _fake_two_gpus(monkeypatch)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "4,5")
    with pytest.raises(cuda.InvalidDeviceError) as e:
        cuda._check_index(2, source="PYGRAD_DEVICE='cuda:2'")
    msg = str(e.value)
    assert msg.startswith("PYGRAD_DEVICE='cuda:2': cuda index: expected 0..1, got 2")
    assert "cuda:0 (Fake GPU 0), cuda:1 (Fake GPU 1)" in msg
    assert "CUDA_VISIBLE_DEVICES='4,5'" in msg and "visible devices only" in msg
    cuda._check_index(1)  # in range: no error


def test_fake_gpus_are_counted(monkeypatch):
    _fake_two_gpus(monkeypatch)
    assert cuda.is_available() and cuda.device_count() == 2
    assert cuda.current_device() == 1
    assert cuda.get_device_name(0) == "Fake GPU 0"
    assert cuda.get_device_name() == "Fake GPU 1"
    with pytest.raises(cuda.InvalidDeviceError, match="got -1"):
        cuda._check_index(-1)


@no_gpu
def test_cuda_tensor_raises_the_clear_error():
    with pytest.raises(cuda.CudaUnavailableError, match="no CUDA device|CuPy"):
        pg.zeros(3, device="cuda")
    with pytest.raises(cuda.CudaUnavailableError):
        pg.tensor([1.0, 2.0]).to("cuda:0")


@no_gpu
def test_device_names_cuda_without_a_gpu():
    assert str(pg.device("cuda")) == "cuda:0"  # the error comes when the device is used


@no_gpu
def test_set_device_and_synchronize_raise_without_a_gpu():
    with pytest.raises(cuda.CudaUnavailableError):
        cuda.set_device(0)
    with pytest.raises(cuda.CudaUnavailableError):
        cuda.synchronize()


def test_set_device_rejects_a_cpu_spec():
    with pytest.raises(ValueError, match="expected a cuda device"):
        cuda.set_device("cpu")
