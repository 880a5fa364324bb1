"""Tensor: an array on a device, plus what autograd needs (requires_grad, grad, _ctx)."""
from __future__ import annotations

import numbers
from weakref import ref as _weakref

import numpy as np

try:
    import cython
except ImportError:                      # no Cython installed: the declarations do nothing
    from .autograd import _cython_shim as cython

from .autograd import engine, inplace
from .autograd import function as _function_module
from .autograd.function import Function, TensorBase, new_tensor
from .autograd.grad_mode import _mode
from .device import Device, get_default_device
from .ops import (activation, binary, contraction, creation, elementwise, indexing, math,
                  reduce, scan, shape, sorting, unary)
from .ops.dtypes import get_default_dtype, result_type

float32 = np.dtype("float32")
float64 = np.dtype("float64")
int64 = np.dtype("int64")
int32 = np.dtype("int32")
bool_ = np.dtype("bool")
uint8 = np.dtype("uint8")
float16 = np.dtype("float16")
int16 = np.dtype("int16")
int8 = np.dtype("int8")
_SUPPORTED = (float32, float64, int64, int32, bool_, uint8, float16, int16, int8)
_BY_NAME = {"float": float64, "float32": float32, "float64": float64, "double": float64,
            "int64": int64, "long": int64, "int32": int32, "int": int64, "bool": bool_,
            "uint8": uint8, "float16": float16, "half": float16, "int16": int16,
            "short": int16, "int8": int8}
_NAMES = "float16, float32, float64, int8, int16, int32, int64, uint8 or bool"


class _Unsupported:
    """A torch dtype NumPy cannot hold (bfloat16, complex): naming it works, using it says
    why it is not supported."""

    def __init__(self, name, why):
        self.name, self.why = name, why

    def __repr__(self):
        return f"pygrad.{self.name}"


bfloat16 = _Unsupported("bfloat16", "NumPy has no bfloat16 type; use float16 or float32")


class Size(tuple):
    """A tensor's shape (torch.Size): a tuple of ints that also knows ``numel()``."""

    __slots__ = ()

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, index):
        out = tuple.__getitem__(self, index)
        return Size(out) if isinstance(index, slice) else out

    def __repr__(self):
        return f"pygrad.Size({list(self)})"


def as_dtype(dtype):
    """A supported numpy dtype from a dtype, a type or a name ('float32', 'int64', ...)."""
    if dtype is None:
        return None
    if dtype is float:
        return float64
    if dtype is int:
        return int64
    if dtype is bool:
        return bool_
    if isinstance(dtype, _Unsupported):
        raise TypeError(f"dtype: {dtype.name} is not supported: {dtype.why}")
    if isinstance(dtype, str) and dtype.startswith(("torch.", "pygrad.")):
        dtype = dtype.split(".", 1)[1]
    try:
        d = _BY_NAME[dtype] if isinstance(dtype, str) and dtype in _BY_NAME else np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype: expected one of {_NAMES}, got {dtype!r}") from None
    if d not in _SUPPORTED:
        raise TypeError(f"dtype: {d} is not supported (use {_NAMES})")
    return d


def _device_of(device):
    return get_default_device() if device is None else Device(device)


def _array_module(dev):
    return np if dev.type == "cpu" else dev.backend.xp


def _to_device_array(data, dtype, dev):
    """``data`` as an array of ``dtype`` (None: keep / infer) on device ``dev``."""
    if dev.index is None:
        if hasattr(data, "get") and not isinstance(data, np.ndarray):   # a CuPy array
            data = data.get()
        return _with_dtype(np.asarray(data), data, dtype)
    with dev.backend.guard(dev):       # the cast too must run on that GPU
        return _with_dtype(dev.backend.asarray(data, None, dev), data, dtype)


def _with_dtype(arr, data, dtype):
    if arr.dtype.kind == "O" or arr.dtype.kind in "USV":
        raise TypeError(f"tensor: expected numeric data, got an array of dtype {arr.dtype}")
    if dtype is None:
        if not hasattr(data, "dtype"):              # Python data: torch's defaults
            kind = arr.dtype.kind
            dtype = get_default_dtype() if kind == "f" else int64 if kind in "iu" else arr.dtype
        else:
            dtype = arr.dtype
            if dtype not in _SUPPORTED:
                raise TypeError(f"tensor: arrays of dtype {dtype} are not supported (use "
                                f"{_NAMES})")
    return arr if arr.dtype == dtype else arr.astype(dtype)


class _HookHandle:
    """What ``register_hook`` returns: ``remove()`` takes the hook off the tensor."""

    def __init__(self, tensor, hook):
        self._tensor, self._hook = _weakref(tensor), hook

    def remove(self):
        t = self._tensor()
        if t is not None and t._hooks and self._hook in t._hooks:
            t._hooks.remove(self._hook)
            if not t._hooks:
                t._hooks = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class Tensor(TensorBase):
    """An n-dimensional array on a device that records the ops applied to it.

    Create tensors with :func:`tensor` and the creation functions; ``Tensor(data)`` works too.
    Its fields (``_data`` the array, ``device``, ``_grad``, ``_requires_grad``, ``_ctx``, ``_unit``,
    ``_version``) are TensorBase's (pygrad/autograd/function.py).
    """

    __slots__ = ()
    __array_priority__ = 1000   # numpy scalars on the left defer to Tensor's operators
    _inplace_ops = 0            # in-place changes so far, any tensor (see the engine)

    def __init__(self, data, dtype=None, device=None, requires_grad=False):
        dev = _device_of(getattr(data, "device", None) if device is None and
                         isinstance(data, Tensor) else device)
        if isinstance(data, Tensor):
            data = data._data
        self._data = _to_device_array(data, as_dtype(dtype), dev)
        self.device = dev
        self._grad = None
        self._ctx = None
        self._unit = False
        self._version = 0
        self._hooks = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _make(cls, array, device, requires_grad=False):
        """Wrap an array already on ``device`` (no copy, no checks): the ops' fast path."""
        return new_tensor(cls, array, device, requires_grad)

    # ------------------------------------------------------------------ attributes
    # shape, ndim and dtype are TensorBase's (read on every op: compiled, they are C getters)

    @property
    def grad(self):
        """The gradient accumulated by backward (None until then)."""
        return self._grad

    @grad.setter
    def grad(self, g):
        if g is not None:
            if not isinstance(g, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad "
                                f"of type {type(g).__name__}")
            if g.device is not self.device:
                raise RuntimeError(f"assigned grad is on {g.device} but the tensor is on "
                                   f"{self.device}")
            if g.dtype != self.dtype:
                raise RuntimeError(f"assigned grad has dtype {g.dtype} but the tensor has "
                                   f"dtype {self.dtype}")
            if g.shape != self.shape:
                raise RuntimeError(f"assigned grad has shape {tuple(g.shape)} but the tensor "
                                   f"has shape {tuple(self.shape)}")
        self._grad = g

    @property
    def data(self):
        """This tensor's values as a new leaf that shares its memory, outside the graph
        (torch's ``x.data``): writing into it changes this tensor, and autograd does not see
        the change. ``x.data = t`` makes x use t's array (any shape, dtype and device, as
        torch), keeping x's identity and its place in a Module or an optimizer."""
        return new_tensor(Tensor, self._data, self.device)

    @data.setter
    def data(self, t):
        if not isinstance(t, Tensor):
            raise TypeError(f"data: expected a Tensor, got {type(t).__name__}")
        self._data = t._data
        self.device = t.device

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        if self._ctx is not None:
            raise RuntimeError("requires_grad can only be changed on leaf tensors; use "
                               "detach() to get a leaf")
        if flag and self.dtype.kind != "f":
            raise RuntimeError(f"only floating-point tensors can require gradients, got "
                               f"dtype {self.dtype}")
        self._requires_grad = bool(flag)

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self):
        return self._ctx

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def backend(self):
        return self.device.backend

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def dim(self):
        return self.ndim

    def numel(self):
        return int(self._data.size)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    # ------------------------------------------------------------------ conversion
    def numpy(self):
        """The data as a NumPy array (shares memory on the cpu)."""
        if self.device.type != "cpu":
            raise TypeError(f"numpy(): the tensor is on {self.device}; call .cpu() first")
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"item(): only one-element tensors can be converted to Python "
                               f"scalars, got shape {tuple(self.shape)}")
        return self._data.reshape(()).item() if self.device.type == "cpu" else \
            self.device.backend.to_numpy(self._data.reshape(())).item()

    def tolist(self):
        return self._host().tolist()

    def _host(self):
        return self._data if self.device.type == "cpu" else self.device.backend.to_numpy(
            self._data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.dtype.kind not in "iu":
            raise TypeError(f"only integer tensors can be used as an index, got {self.dtype}")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self._data.size} elements "
                               f"is ambiguous")
        return bool(self.item())

    def detach(self):
        """The same data, cut from the graph (a new leaf that does not require grad)."""
        return Tensor._make(self._data, self.device)

    def detach_(self):
        self._ctx = None
        self._requires_grad = False
        return self

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward (it gets the gradient after
        this tensor's hooks, as torch)."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._ctx is not None and engine.RETAIN not in (self._hooks or ()):
            self._add_hook(engine.RETAIN)

    @property
    def retains_grad(self) -> bool:
        """Whether this non-leaf tensor keeps its ``.grad`` (``retain_grad()`` was called)."""
        return self._ctx is not None and engine.RETAIN in (self._hooks or ())

    def register_hook(self, hook):
        """Call ``hook(grad)`` each time the gradient with respect to this tensor is
        computed; a Tensor it returns replaces the gradient (for a leaf, before it is added
        to ``.grad``). Returns a handle whose ``remove()`` takes the hook off."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                               "gradient")
        if not callable(hook):
            raise TypeError(f"register_hook: expected a callable, got {type(hook).__name__}")
        self._add_hook(hook)
        return _HookHandle(self, hook)

    def _add_hook(self, hook):
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        if self._ctx is not None:
            self._ctx._output_hooked = True

    def to(self, *args, dtype=None, device=None, copy=False):
        """``to(device)``, ``to(dtype)`` or both; returns self when nothing changes."""
        for a in args:
            if isinstance(a, (str, Device)) and not (isinstance(a, str) and a in _BY_NAME):
                device = a
            elif isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            else:
                dtype = a
        out = self
        if dtype is not None:
            dtype = as_dtype(dtype)
            if dtype != out.dtype:
                if dtype.kind == "f":
                    out = math.Cast(dtype)(out)
                else:                        # integers and bools carry no gradient
                    out = Tensor._make(_to_device_array(out._data, dtype, out.device),
                                       out.device)
        if device is not None:
            dev = Device(device)
            if dev is not out.device:
                out = ToDevice(dev)(out)
        if copy and out is self:
            out = self.clone()
        return out

    def cuda(self, device=None):
        return self.to("cuda" if device is None else Device("cuda", device)
                       if isinstance(device, int) else device)

    def cpu(self):
        return self.to("cpu")

    def float(self):
        return self.to(float32)

    def double(self):
        return self.to(float64)

    def long(self):
        return self.to(int64)

    def int(self):
        return self.to(int32)

    def bool(self):
        return self.to(bool_)

    def type_as(self, other):
        return self.to(other.dtype)

    def clone(self):
        return _Clone()(self)

    def contiguous(self):
        xp = self.device.backend.xp
        return self if self._data.flags.c_contiguous else Tensor._make(
            xp.ascontiguousarray(self._data), self.device, False) if not self._requires_grad \
            else _Clone()(self)

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        """Accumulate the gradient of this tensor into the ``.grad`` of the leaves."""
        engine.backward(self, gradient, retain_graph, create_graph)

    # ------------------------------------------------------------------ in place
    # Recorded by autograd as in torch when x or the value requires grad: see
    # pygrad/autograd/inplace.py. Untracked writes go straight into the array.
    def _check_inplace(self, what):
        """For writes that are never recorded (random fills): refuse a tensor that requires
        grad while grad mode is on, else note the change."""
        if self._requires_grad and _mode.enabled:
            raise RuntimeError(f"{what}: a tensor that requires grad cannot be filled in "
                               f"place outside no_grad()")
        inplace.bump(self)

    def zero_(self):
        return self.fill_(0)

    def fill_(self, value):
        if inplace.is_tracked(self, (value,)):
            return inplace.apply(self, "fill_()", shape.setitem, (Ellipsis, value))
        if isinstance(value, Tensor):
            if value.ndim:
                raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got "
                                   f"tensor with {value.ndim} dimensions.")
            value = value.item()
        inplace.bump(self)
        self._data[...] = value
        return self

    def copy_(self, src, non_blocking=False):
        if inplace.is_tracked(self, (src,)):
            if isinstance(src, Tensor):
                src = src.to(self.device)
            return inplace.apply(self, "copy_()", shape.setitem, (Ellipsis, src))
        src = src._data if isinstance(src, Tensor) else src
        inplace.bump(self)
        self._data[...] = _to_device_array(src, self.dtype, self.device)
        return self

    def uniform_(self, a=0.0, b=1.0):
        from .random import uniform
        return self.copy_(uniform(self.shape, a, b, self.dtype))

    def normal_(self, mean=0.0, std=1.0):
        from .random import normal
        return self.copy_(normal(self.shape, mean, std, self.dtype))

    def _inplace(self, other, op, method):
        if inplace.is_tracked(self, (other,)):
            return getattr(self, method)(other)
        inplace.bump(self)
        o = _operand(other, self)
        getattr(self._data, op)(o._data if isinstance(o, Tensor) else o)
        return self

    def __iadd__(self, other):
        return self._inplace(other, "__iadd__", "add_")

    def __isub__(self, other):
        return self._inplace(other, "__isub__", "sub_")

    def __imul__(self, other):
        return self._inplace(other, "__imul__", "mul_")

    def __itruediv__(self, other):
        return self._inplace(other, "__itruediv__", "div_")

    def __setitem__(self, index, value):
        index = shape.normalize_index(index, self)
        if inplace.is_tracked(self, (value,)):
            if isinstance(value, Tensor) and value.device is not self.device:
                raise RuntimeError(f"__setitem__: value is on {value.device} but the tensor "
                                   f"is on {self.device}")
            inplace.apply(self, "__setitem__", shape.SetItem(index), (value,))
            return
        inplace.bump(self)
        if isinstance(value, Tensor):
            if value.device is not self.device:
                raise RuntimeError(f"__setitem__: value is on {value.device} but the tensor "
                                   f"is on {self.device}")
            value = value._data
        index.set(self._data, value)

    # ------------------------------------------------------------------ operators
    def __add__(self, other):
        out = _fast_arith(_ADD, self, other)
        return out if out is not None else _arith(math.Add, self, _operand(other, self))

    def __radd__(self, other):
        return _arith(math.Add, _operand(other, self), self)

    def __sub__(self, other):
        out = _fast_arith(_SUB, self, other)
        return out if out is not None else _arith(math.Sub, self, _operand(other, self))

    def __rsub__(self, other):
        return _arith(math.Sub, _operand(other, self), self)

    def __mul__(self, other):
        out = _fast_arith(_MUL, self, other)
        return out if out is not None else _arith(math.Mul, self, _operand(other, self))

    def __rmul__(self, other):
        return _arith(math.Mul, _operand(other, self), self)

    def __truediv__(self, other):
        out = _fast_arith(_DIV, self, other)
        return out if out is not None else _arith(math.Div, self, _operand(other, self))

    def __rtruediv__(self, other):
        return _arith(math.Div, _operand(other, self), self)

    def __pow__(self, other):
        return _arith(math.Pow, self, _operand(other, self))

    def __rpow__(self, other):
        return _arith(math.Pow, _operand(other, self), self)

    def __matmul__(self, other):
        return math.matmul(self, _operand(other, self, False))

    def __rmatmul__(self, other):
        return math.matmul(_operand(other, self, False), self)

    def __neg__(self):
        return math.Neg()(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return unary.abs(self)

    def _compare(self, other, op):
        o = _operand(other, self)
        o = o._data if isinstance(o, Tensor) else o
        if isinstance(other, Tensor) and other.device is not self.device:
            raise RuntimeError(f"comparison: tensors on {self.device} and {other.device}")
        return Tensor._make(getattr(self._data, op)(o), self.device)

    def __lt__(self, other):
        return self._compare(other, "__lt__")

    def __le__(self, other):
        return self._compare(other, "__le__")

    def __gt__(self, other):
        return self._compare(other, "__gt__")

    def __ge__(self, other):
        return self._compare(other, "__ge__")

    def __eq__(self, other):
        return self._compare(other, "__eq__")

    def __ne__(self, other):
        return self._compare(other, "__ne__")

    def __invert__(self):
        if self.dtype != bool_:
            raise TypeError(f"~ is defined for bool tensors, got {self.dtype}")
        return Tensor._make(~self._data, self.device)

    def __and__(self, other):
        return Tensor._make(self._data & _operand(other, self)._data, self.device)

    def __or__(self, other):
        return Tensor._make(self._data | _operand(other, self)._data, self.device)

    __hash__ = object.__hash__

    def __getitem__(self, index):
        return shape.getitem(self, index)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    # ------------------------------------------------------------------ methods
    def exp(self):
        return unary.exp(self)

    def log(self):
        return unary.log(self)

    def sqrt(self):
        return unary.sqrt(self)

    def abs(self):
        return unary.abs(self)

    def clamp(self, min=None, max=None):  # noqa: A002
        return unary.clamp(self, min, max)

    clip = clamp

    def relu(self):
        return unary.relu(self)

    def tanh(self):
        return unary.tanh(self)

    def sigmoid(self):
        return activation.sigmoid(self)

    def softmax(self, dim=-1, dtype=None):
        return activation.softmax(self, dim, dtype)

    def log_softmax(self, dim=-1, dtype=None):
        return activation.log_softmax(self, dim, dtype)

    def pow(self, exponent):
        return self ** exponent

    def matmul(self, other):
        return self @ other

    def maximum(self, other):
        return math.maximum(self, other)

    def minimum(self, other):
        return math.minimum(self, other)

    # sum, mean, max, min, var, std, ...: bound by reduce.install (torch's dim / axis / dtype=)

    def narrow(self, dim, start, length):
        return shape.narrow(self, dim, start, length)

    def select(self, dim, index):
        return shape.select(self, dim, index)

    def split(self, split_size, dim=0):
        return shape.split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        return shape.chunk(self, chunks, dim)

    def unbind(self, dim=0):
        return shape.unbind(self, dim)

    def index_select(self, dim, index):
        return shape.index_select(self, dim, index)

    def gather(self, dim, index):
        return shape.gather(self, dim, index)

    def roll(self, shifts, dims=None):
        return shape.roll(self, shifts, dims)

    def tril(self, diagonal=0):
        return shape.tril(self, diagonal)

    def triu(self, diagonal=0):
        return shape.triu(self, diagonal)

    def repeat(self, *sizes, **kwargs):
        return shape.repeat(self, *shape.sizes_arg(sizes, kwargs, "repeats", "repeat"))

    def tile(self, *dims, **kwargs):
        return shape.tile(self, shape.sizes_arg(dims, kwargs, "dims", "tile"))

    def swapaxes(self, axis0, axis1):
        return shape.transpose(self, axis0, axis1)

    def swapdims(self, dim0, dim1):
        return shape.transpose(self, dim0, dim1)

    def expand_as(self, other):
        return self.expand(other.shape)

    def flip(self, *dims, **kwargs):
        return shape.flip(self, shape.sizes_arg(dims, kwargs, "dims", "flip"))

    def reshape(self, *shape_, **kwargs):
        return shape.reshape(self, *shape_, **kwargs)

    def view(self, *shape_, **kwargs):
        return shape.view(self, *shape_, **kwargs)

    def view_as(self, other):
        return shape.reshape(self, other.shape)

    def reshape_as(self, other):
        return shape.reshape(self, other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        return shape.flatten(self, start_dim, end_dim)

    def unflatten(self, dim, sizes):
        return shape.unflatten(self, dim, sizes)

    def transpose(self, dim0, dim1):
        return shape.transpose(self, dim0, dim1)

    def permute(self, *dims, **kwargs):
        return shape.permute(self, *dims, **kwargs)

    def movedim(self, source, destination):
        return shape.movedim(self, source, destination)

    moveaxis = movedim

    @property
    def T(self):
        return shape.permute(self, tuple(reversed(range(self.ndim))))

    @property
    def mT(self):
        return shape.transpose(self, -2, -1)

    @property
    def H(self):
        """The (conjugate) transpose of a 2-d tensor; real tensors: ``T``."""
        if self.ndim != 2:
            raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors), got "
                               f"{self.ndim}-D")
        return self.T

    @property
    def mH(self):
        if self.ndim < 2:
            raise RuntimeError(f"tensor.mH is only supported on matrices or batches of "
                               f"matrices, got {self.ndim}-D")
        return self.mT

    def squeeze(self, dim=None):
        return shape.squeeze(self, dim)

    def unsqueeze(self, dim):
        return shape.unsqueeze(self, dim)

    def expand(self, *sizes, **kwargs):
        sizes = shape.sizes_arg(sizes, kwargs, "size", "expand")
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise RuntimeError(f"expand: got {len(sizes)} sizes for a tensor with {self.ndim} "
                               f"dimensions")
        if any(s == -1 for s in sizes[:lead]):
            raise RuntimeError(f"expand: -1 is not allowed for a new leading dimension, got "
                               f"{tuple(sizes)}")
        target = tuple(self.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
        try:
            return math.broadcast_to(self, target)
        except (ValueError, RuntimeError):
            raise RuntimeError(f"expand: cannot expand shape {tuple(self.shape)} to "
                               f"{target}") from None

    def masked_fill(self, mask, value):
        """``value`` where ``mask`` is true, else self; the result keeps self's dtype (the
        value is converted, as torch)."""
        if not isinstance(mask, Tensor) or mask.dtype != bool_:
            raise RuntimeError(f"masked_fill: expected a bool mask tensor, got "
                               f"{getattr(mask, 'dtype', type(mask).__name__)}")
        if isinstance(value, Tensor):
            if value.ndim != 0:
                raise RuntimeError(f"masked_fill: only a 0-d value tensor is supported, got "
                                   f"shape {tuple(value.shape)}")
            if value.dtype != self.dtype:
                if self.dtype.kind != "f" and value.dtype.kind == "f" and \
                        value.device.type == "cpu" and not np.isfinite(value._data):
                    raise RuntimeError(f"masked_fill: value {value.item()} cannot be "
                                       f"converted to dtype {self.dtype} without overflow")
                value = value.to(self.dtype)
        elif self.dtype.kind != "f":
            if isinstance(value, float) and not np.isfinite(value):
                raise RuntimeError(f"masked_fill: value {value} cannot be converted to "
                                   f"dtype {self.dtype} without overflow")
            value = Tensor._make(_to_device_array(int(value), self.dtype, self.device),
                                 self.device)
        return math.where(mask, value, self)

    # ------------------------------------------------------------------ printing
    def __repr__(self):
        body = np.array2string(self._host(), separator=", ", prefix="tensor(",
                               precision=4, threshold=200)
        extras = []
        if self.device.type != "cpu":
            extras.append(f"device='{self.device}'")
        if self.dtype not in (float32, int64, bool_):
            extras.append(f"dtype=pygrad.{self.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{type(self._ctx).__name__}Backward>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"


_function_module.Size = Size      # what TensorBase.shape returns
# the engine and the ops refer to Tensor, which they cannot import (this module imports them)
for _m in (_function_module, engine, inplace, activation, binary, elementwise, math, reduce,
           shape, unary, contraction, creation, indexing, scan, sorting):
    _m.Tensor = Tensor
elementwise.install(Tensor)        # x.sin(), x.sin_(), ... for the elementwise table
binary.install(Tensor)             # x.atan2(y), x.eq(y), x // y, x % y, ...
for _m in (math, reduce, shape, contraction, creation, indexing, scan, sorting):  # x.prod(), ...
    _m.install(Tensor)


class _Clone(Function):
    saves_values = False

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy


class ToDevice(Function):
    """Copy to another device; the gradient flows back to the source device."""

    saves_values = False

    def __init__(self, device):
        self.device = device

    def __call__(self, x):
        # forward runs on the destination's backend, not the input's
        src = x.device
        # to the host through the backend, which reports deferred device-side errors
        data = src.backend.to_numpy(x._data) if src.index is not None and \
            self.device.index is None else x._data
        y = _to_device_array(data, x.dtype, self.device)
        out = Tensor._make(y, self.device)
        if x._requires_grad and _mode.enabled:
            import weakref
            self.needs_input_grad = (True,)
            self.inputs = (x,)
            self.src = src
            out._requires_grad = True
            out._ctx = self
            self._vsum = x._version
            self._epoch = Tensor._inplace_ops
            self._output = weakref.ref(out)
        return out

    def backward(self, gy):
        return gy.to(self.src)


# The four arithmetic ops' codes for _fast_arith
_ADD, _SUB, _MUL, _DIV = 0, 1, 2, 3
_ARITH = (math.Add, math.Sub, math.Mul, math.Div)
_NEEDS = ((), (False, True), (True, False), (True, True))   # by 2 * a-needs + b-needs
_CPU = Device("cpu")


@cython.cfunc
@cython.locals(code=cython.Py_ssize_t, ta=TensorBase, tb=TensorBase, out=TensorBase, node=Function,
               ra=cython.bint, rb=cython.bint, tensor_b=cython.bint)
def _fast_arith(code, a, b):
    """``a + b``, ``a - b``, ``a * b`` or ``a / b`` (by ``code``) for a float Tensor on the
    cpu and a Tensor of its dtype or a Python number: the common case of a training step,
    recorded here field by field instead of through Function.__call__'s loop over any
    inputs (the same node, the same fields). None when the case does not apply: the caller
    takes the general path."""
    if a.__class__ is not Tensor:
        return None
    ta = a
    dev = ta.device
    xa = ta._data
    d = xa.dtype
    if dev is not _CPU or (d is not float32 and d is not float64):
        return None
    tensor_b = b.__class__ is Tensor
    if tensor_b:
        tb = b
        xb = tb._data
        if tb.device is not dev or xb.dtype is not d:
            return None
        rb = tb._requires_grad
    elif b.__class__ is float or b.__class__ is int:
        xb = b
        rb = False
    else:
        return None
    if _function_module._tracer is not None:
        return None
    try:
        if code == _MUL:
            y = xa * xb
        elif code == _ADD:
            y = xa + xb
        elif code == _SUB:
            y = xa - xb
        else:
            y = xa / xb
    except ValueError as e:                 # shapes that do not broadcast
        raise RuntimeError(f"{_ARITH[code].__name__}: {e}") from None
    out = new_tensor(Tensor, y, dev)
    ra = ta._requires_grad
    if (ra or rb) and _mode.enabled:
        node = _ARITH[code]()
        node.inputs = (a, b)
        node.needs_input_grad = _NEEDS[2 * ra + rb]
        node._vsum = ta._version + (tb._version if tensor_b else 0)
        node._epoch = Tensor._inplace_ops
        node.backend = dev._backend or dev.backend
        out._requires_grad = True
        out._ctx = node
        node._output = _weakref(out)
    return out


@cython.cfunc
def _arith(op, a, b):
    """``a <op> b`` for the arithmetic Functions (Add ... Pow). When nothing is recorded
    (no_grad, and every backward without create_graph) the node is skipped and the op's
    forward runs on the arrays directly: same result, a fraction of the Python overhead."""
    if not _one_dtype(op, a, b):
        a, b = _promote(op, a, b)
    if _mode.enabled or _function_module._tracer is not None:
        return op()(a, b)
    if isinstance(a, Tensor):
        dev = a.device
        if isinstance(b, Tensor):
            if b.device is not dev:
                raise RuntimeError(f"{op.__name__}: expected all tensors on the same device, "
                                   f"found {dev} and {b.device}")
            b = b._data
        a = a._data
    else:
        dev = b.device
        b = b._data
    try:
        if dev.index is None:
            return Tensor._make(op.forward(a, b), dev)
        with dev.backend.guard(dev):
            return Tensor._make(op.forward(a, b), dev)
    except ValueError as e:                 # e.g. shapes that do not broadcast
        raise RuntimeError(f"{op.__name__}: {e}") from None


@cython.cfunc
@cython.locals(ta=TensorBase, tb=TensorBase)
def _one_dtype(op, a, b):
    """The common case that _promote leaves alone: two Tensors of one float dtype, or a
    float Tensor and a Python number, for any arithmetic op."""
    if a.__class__ is Tensor:
        ta = a
        da = ta._data.dtype
        if b.__class__ is Tensor:
            tb = b
            return da is tb._data.dtype and da.kind == "f"
        return da.kind == "f" and b.__class__ in (float, int)
    if b.__class__ is Tensor and a.__class__ in (float, int):
        tb = b
        return tb._data.dtype.kind == "f"
    return False


@cython.cfunc
def _promote(op, a, b):
    """torch's result dtype where NumPy's differs (see ops.dtypes): operands of two dtypes
    meet in torch's common dtype, and dividing integers gives float32 (NumPy: float64)."""
    da = a._data.dtype if isinstance(a, Tensor) else None
    db = b._data.dtype if isinstance(b, Tensor) else None
    if da is db or da is None or db is None or da == db:      # one dtype among the tensors
        d = da if da is not None else db
        if op is not math.Div or d.kind == "f":
            return a, b
        f = get_default_dtype()
        return (a.to(f) if da is not None else a), (b.to(f) if db is not None else b)
    r = result_type(a, b)
    if op is math.Div and r.kind != "f":
        r = get_default_dtype()
    return (a if da == r else a.to(r)), (b if db == r else b.to(r))


@cython.cfunc
def _operand(value, like, scalars=True):
    """The other side of a binary op: Tensors pass, Python numbers stay scalars (they take
    the tensor's dtype), arrays and lists become tensors on ``like``'s device."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.generic) and not isinstance(value, np.bool_):
        value = value.item()            # NumPy scalars act like Python numbers (no float64)
    if scalars and isinstance(value, numbers.Number) and not isinstance(value, bool):
        if like.dtype.kind in "iu" and isinstance(value, int):
            info = np.iinfo(like.dtype)
            if not info.min <= value <= info.max:   # torch casts the number C-style: it wraps
                value = int(np.asarray(value, dtype=np.int64).astype(like.dtype))
        if like.dtype.kind != "f" and isinstance(value, float):
            f = get_default_dtype()
            return Tensor._make(np.asarray(value, dtype=f), like.device) \
                if like.device.type == "cpu" else _as_tensor_like(value, like, f)
        return value
    if scalars and isinstance(value, (bool, np.bool_)):
        return _as_tensor_like(value, like, bool_)
    return _as_tensor_like(value, like)


def _as_tensor_like(value, like, dtype=None):
    dev = like.device
    arr = _to_device_array(value, dtype, dev)
    if dtype is None and arr.dtype.kind == "f" and like.dtype.kind == "f" \
            and arr.dtype != like.dtype:
        # a float64 array next to a float32 tensor stays float32
        arr = _to_device_array(arr, like.dtype, dev)
    return Tensor._make(arr, dev)


# ---------------------------------------------------------------------------- creation

def tensor(data, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (nested lists, scalars, arrays).

    Python floats get the default dtype (float32) and ints int64, as torch; NumPy arrays keep their
    dtype. ``device`` defaults to $PYGRAD_DEVICE (else cpu).
    """
    if isinstance(data, Tensor):
        device = data.device if device is None else device
        data = data._data
    t = Tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
    if t._data is data:                 # asarray handed the source back: copy it
        with t.device.backend.guard(t.device):
            t._data = data.copy()
    return t


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like :func:`tensor` but shares memory with a NumPy array when it can."""
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    return Tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A cpu tensor sharing memory with ``array``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    as_dtype(array.dtype)
    return Tensor._make(array, Device("cpu"))


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"size: expected a sequence of ints, got {tuple(size)}")
        if s < 0:
            raise RuntimeError(f"size: negative dimension {s} in {tuple(size)}")
    return tuple(int(s) for s in size)


def _filled(fill, size, dtype, device, requires_grad):
    dev = _device_of(device)
    dtype = as_dtype(dtype) or get_default_dtype()
    xp = _array_module(dev)
    if dev.type == "cpu":
        arr = xp.full(size, fill, dtype=dtype)
    else:
        with dev.backend.guard(dev):
            arr = xp.full(size, fill, dtype=dtype)
    t = Tensor._make(arr, dev)
    if requires_grad:
        t.requires_grad = True
    return t


def zeros(*size, dtype=None, device=None, requires_grad=False, **kwargs) -> Tensor:
    shape = _size_arg(size, kwargs.pop("size", None), "zeros")
    _no_extra(kwargs, "zeros")
    return _filled(0, shape, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, **kwargs) -> Tensor:
    shape = _size_arg(size, kwargs.pop("size", None), "ones")
    _no_extra(kwargs, "ones")
    return _filled(1, shape, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, **kwargs) -> Tensor:
    shape = _size_arg(size, kwargs.pop("size", None), "empty")
    _no_extra(kwargs, "empty")
    return _filled(0, shape, dtype, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    if dtype is None and isinstance(fill_value, bool):
        dtype = bool_
    elif dtype is None and isinstance(fill_value, int):
        dtype = int64
    return _filled(fill_value, _size((size,)), dtype, device, requires_grad)


def _like(t, dtype, device):
    return (dtype or t.dtype), (device or t.device)


def zeros_like(input, dtype=None, device=None, requires_grad=False) -> Tensor:  # noqa: A002
    dtype, device = _like(input, dtype, device)
    return zeros(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad=False) -> Tensor:  # noqa: A002
    dtype, device = _like(input, dtype, device)
    return ones(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input, fill_value, dtype=None, device=None,  # noqa: A002 - torch's names
              requires_grad=False) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return full(input.shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from start (default 0) up to, not including, end, spaced by step."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    dtype = as_dtype(dtype) or (int64 if ints else get_default_dtype())
    return tensor(np.arange(start, end, step, dtype=dtype), device=device,
                  requires_grad=requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` values from ``start`` to ``end`` inclusive, evenly spaced, computed as torch
    does: the first half counts up from start, the second half down from end, in the
    result's dtype (in float64 for integer dtypes, then truncated)."""
    dtype = as_dtype(dtype) or get_default_dtype()
    if dtype.kind == "b":
        raise NotImplementedError("linspace: not implemented for dtype bool")
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool):
        raise TypeError(f"linspace: steps must be an int, got {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    work = float64 if dtype.kind in "iu" else dtype
    lo, hi = np.asarray(start).astype(dtype), np.asarray(end).astype(dtype)
    lo, hi = lo.astype(work), hi.astype(work)
    step = (hi - lo) / work.type(max(steps - 1, 1))
    idx = np.arange(steps)
    half = steps // 2 if steps > 1 else 1       # one step is start
    with np.errstate(invalid="ignore"):
        values = np.where(idx < half, lo + step * idx.astype(work),
                          hi - step * (steps - idx - 1).astype(work))
    return tensor(values.astype(dtype), device=device, requires_grad=requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return tensor(np.eye(n, m, dtype=as_dtype(dtype) or get_default_dtype()), device=device,
                  requires_grad=requires_grad)


def _random(draw, size, dtype, device, requires_grad):
    dtype = as_dtype(dtype) or get_default_dtype()
    t = tensor(draw(size, dtype), device=device)
    if requires_grad:
        t.requires_grad = True
    return t


def _size_arg(size, kw, what):
    if kw is not None:
        if size:
            raise TypeError(f"{what}(): size given both positionally and as size=")
        size = (kw,)
    return _size(size)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False,
          **kwargs) -> Tensor:
    """Standard normal samples from ``generator`` (default: the global one, ``manual_seed``)."""
    from .random import rng_of
    shape = _size_arg(size, kwargs.pop("size", None), "randn")
    _no_extra(kwargs, "randn")
    return _random(lambda s, d: rng_of(generator).standard_normal(shape).astype(d), shape,
                   dtype, device, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False,
         **kwargs) -> Tensor:
    """Uniform samples in [0, 1) from ``generator`` (default: the global one)."""
    from .random import rng_of
    shape = _size_arg(size, kwargs.pop("size", None), "rand")
    _no_extra(kwargs, "rand")
    return _random(lambda s, d: rng_of(generator).random(shape).astype(d), shape, dtype,
                   device, requires_grad)


def _no_extra(kwargs, what):
    if kwargs:
        raise TypeError(f"{what}() got an unexpected keyword argument {next(iter(kwargs))!r}")


def randint(low, high=None, size=(), *, generator=None, dtype=None, device=None,
            requires_grad=False) -> Tensor:
    """Integers in [low, high) (``randint(high, size)`` too), as torch.randint."""
    from .random import rng_of
    if high is None:
        low, high = 0, low
    elif isinstance(high, (tuple, list)):            # randint(high, size)
        low, high, size = 0, low, high
    if low >= high:
        raise RuntimeError(f"randint(): from={low} must be less than to={high}")
    out = tensor(rng_of(generator).integers(low, high, size=_size((size,))),
                 dtype=as_dtype(dtype) or int64, device=device)
    if requires_grad:
        out.requires_grad = True
    return out


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    from .random import rng_of
    out = tensor(rng_of(generator).permutation(n).astype(np.int64),
                 dtype=as_dtype(dtype) or int64, device=device)
    if requires_grad:
        out.requires_grad = True
    return out
