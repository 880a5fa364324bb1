"""Exchanging tensors with other libraries: DLPack, NumPy and CuPy arrays, torch tensors.

* ``x.__dlpack__()`` / ``x.__dlpack_device__()`` let ``torch.from_dlpack(x)``,
  ``np.from_dlpack(x)`` and ``cupy.from_dlpack(x)`` view a pygrad tensor without a copy.
* :func:`from_dlpack` is the other direction: a pygrad tensor viewing a torch tensor, a NumPy
  or CuPy array, or anything else that speaks DLPack.
* :func:`as_tensor` shares memory with a NumPy array (or a CuPy array on its GPU) when the
  dtype and device allow it, and copies otherwise, as ``torch.as_tensor``.
* ``x.numpy(force=False)`` as torch's: a view of the data on the cpu; ``force=True`` also
  copies from the GPU.

The arrays are exchanged as they are: a pygrad tensor on the cpu holds a NumPy array, one on a
GPU a CuPy array, and both already implement the DLPack protocol. The CUDA paths go through
CuPy's ``__dlpack__`` / ``from_dlpack``.
"""
from __future__ import annotations

import numpy as np

from .device import Device, get_default_device
from .tensor import Tensor, _to_device_array, _with_dtype, as_dtype

__all__ = ["as_tensor", "from_dlpack"]    # the functions exported as pygrad.<name>

# DLPack's device types (DLDeviceType in dlpack.h)
_DL_CPU, _DL_CUDA, _DL_CUDA_HOST, _DL_CUDA_MANAGED = 1, 2, 3, 13

# torch's numpy() refuses a tensor that requires grad. pygrad's numpy() has always returned
# the data regardless, and code across the package and its tests reads parameters that way;
# True switches to torch's error once those callers call detach() first.
REFUSE_NUMPY_OF_GRAD = False


def _is_cupy_array(obj) -> bool:
    return type(obj).__module__.split(".")[0] == "cupy" and hasattr(obj, "__cuda_array_interface__")


# ---------------------------------------------------------------------------- Tensor methods

def __dlpack__(self, stream=None, *, max_version=None, dl_device=None, copy=None):
    """The tensor as a DLPack capsule (the array API's protocol; consumers call it, users call
    ``torch.from_dlpack(x)`` / ``np.from_dlpack(x)``). The capsule views the tensor's memory.

    ``stream`` is the consumer's CUDA stream (None on the cpu); ``max_version``, ``dl_device``
    and ``copy`` are passed on to the array's own ``__dlpack__``. A tensor that requires grad
    is refused, as torch does: export ``x.detach()``.
    """
    if self._requires_grad:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    kwargs = {k: v for k, v in (("max_version", max_version), ("dl_device", dl_device),
                                ("copy", copy)) if v is not None}
    if stream is not None:
        kwargs["stream"] = stream
    return self._data.__dlpack__(**kwargs)


def __dlpack_device__(self):
    """``(device_type, device_id)`` of the tensor's memory as DLPack numbers it: (1, 0) for
    the cpu, (2, N) for cuda:N."""
    if self.device.type == "cpu":
        return (_DL_CPU, 0)
    kind, index = self._data.__dlpack_device__()
    return (int(kind), int(index))


def numpy(self, *, force=False):
    """The data as a NumPy array; on the cpu it shares memory with the tensor.

    ``force=True`` as torch: works for any tensor, copying from the GPU and ignoring autograd
    (``x.detach().cpu().numpy()``); on the cpu the result still shares memory. Without it a
    tensor on a GPU raises TypeError: call ``.cpu()`` first.
    """
    if force:
        return self._host()
    if self.device.type != "cpu":
        raise TypeError(f"numpy(): the tensor is on {self.device}; call .cpu() first (or "
                        f"numpy(force=True), which copies)")
    if REFUSE_NUMPY_OF_GRAD and self._requires_grad:
        raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                           "tensor.detach().numpy() instead.")
    return self._data


def install(tensor_class):
    """Bind this module's Tensor methods (pygrad/__init__ calls this once)."""
    tensor_class.__dlpack__ = __dlpack__
    tensor_class.__dlpack_device__ = __dlpack_device__
    tensor_class.numpy = numpy


# ---------------------------------------------------------------------------- functions

class _Capsule:
    """A bare DLPack capsule (``torch.utils.dlpack.to_dlpack``'s output) dressed as a
    producer, so ``np.from_dlpack`` reads it; only cpu capsules can be read this way."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, stream=None, **kwargs):
        if kwargs.get("max_version") is not None:
            raise TypeError("a bare capsule is a legacy DLPack capsule")   # numpy retries
        return self.capsule

    def __dlpack_device__(self):
        return (_DL_CPU, 0)


def _check_dtype(arr, what):
    try:
        as_dtype(arr.dtype)
    except TypeError:
        raise TypeError(f"{what}: arrays of dtype {arr.dtype} are not supported (pygrad holds "
                        f"float16/32/64, int8/16/32/64, uint8 and bool)") from None
    return arr


def _numpy_from_dlpack(obj):
    try:
        return np.from_dlpack(obj)
    except RuntimeError as e:       # NumPy has no bfloat16 / complex32 / ...
        if "dtype" not in str(e):
            raise
        raise TypeError(f"from_dlpack: the tensor's dtype is not supported (pygrad holds "
                        f"float16/32/64, int8/16/32/64, uint8 and bool): {e}") from None


def from_dlpack(ext_tensor) -> Tensor:
    """A tensor viewing the memory of ``ext_tensor`` without a copy, as ``torch.from_dlpack``.

    ``ext_tensor`` is anything with ``__dlpack__`` / ``__dlpack_device__`` (a torch tensor, a
    NumPy or CuPy array, a pygrad tensor) or a legacy DLPack capsule holding cpu memory.
    Memory on the cpu becomes a cpu tensor, CUDA memory a tensor on that GPU (through CuPy).
    Writes through either side show in the other. The result is a leaf that does not require
    grad; a torch tensor that requires grad must be detached first (torch refuses to export
    it). dtypes pygrad does not hold (complex, bfloat16, uint16, ...) raise TypeError.
    """
    if type(ext_tensor).__name__ == "PyCapsule":
        return Tensor._make(_check_dtype(_numpy_from_dlpack(_Capsule(ext_tensor)),
                                         "from_dlpack"), Device("cpu"))
    if not (hasattr(ext_tensor, "__dlpack__") and hasattr(ext_tensor, "__dlpack_device__")):
        raise TypeError(f"from_dlpack: expected a tensor or array with __dlpack__ and "
                        f"__dlpack_device__ (torch, NumPy, CuPy) or a DLPack capsule, got "
                        f"{type(ext_tensor).__name__}")
    kind, index = ext_tensor.__dlpack_device__()
    kind, index = int(kind), int(index)
    if kind in (_DL_CPU, _DL_CUDA_HOST):
        return Tensor._make(_check_dtype(_numpy_from_dlpack(ext_tensor), "from_dlpack"),
                            Device("cpu"))
    if kind in (_DL_CUDA, _DL_CUDA_MANAGED):
        import cupy
        with cupy.cuda.Device(index):
            arr = cupy.from_dlpack(ext_tensor)
        return Tensor._make(_check_dtype(arr, "from_dlpack"), Device("cuda", index))
    raise RuntimeError(f"from_dlpack: DLPack device type {kind} is not supported (pygrad "
                       f"takes cpu ({_DL_CPU}) and cuda ({_DL_CUDA}, {_DL_CUDA_MANAGED}) memory)")


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """``data`` as a tensor, sharing memory where it can, as ``torch.as_tensor``.

    * a pygrad Tensor: itself when ``dtype`` and ``device`` match, else ``data.to(dtype,
      device)`` (still in the graph);
    * a NumPy array: a cpu tensor sharing its memory when ``dtype`` is None or the array's own
      and the device is the cpu (the default device when ``device`` is None);
    * a CuPy array: a tensor on the array's GPU sharing its memory, under the same condition;
    * anything else (lists, scalars, arrays on another device or of another dtype): a copy,
      with torch's default dtypes for Python numbers.
    """
    dt = as_dtype(dtype)
    dev = None if device is None else Device(device)
    if isinstance(data, Tensor):
        return data.to(dtype=dt, device=dev)
    if _is_cupy_array(data):
        own = Device("cuda", data.device.id)
        dev = own if dev is None else dev
        if dev is own:
            with dev.backend.guard(dev):
                return Tensor._make(_with_dtype(data, data, dt), dev)
    elif isinstance(data, np.ndarray):
        dev = get_default_device() if dev is None else dev
        if dev.type == "cpu":
            return Tensor._make(_with_dtype(data, data, dt), dev)
    dev = get_default_device() if dev is None else dev
    return Tensor._make(_to_device_array(data, dt, dev), dev)
