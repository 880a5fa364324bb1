"""Function: one differentiable op — forward on raw arrays, backward in Tensor ops.

Because ``backward`` is written with Tensor ops, the gradient computation is itself recorded
when ``create_graph=True``, which is all higher-order gradients need.

The two kinds of graph node live here: ``TensorBase`` (the fields of every Tensor: its
array, device and autograd state; pygrad.tensor.Tensor adds the methods) and ``Function``
(an op). When the engine core is compiled (see pygrad/_core.py) both are extension types
whose fields are declared in ``function.pxd``, so the recording path reads and writes them
as C struct members; run as Python they are ordinary classes with the same fields.
"""
from __future__ import annotations

from weakref import ref as _weakref

try:
    import cython
except ImportError:                      # no Cython installed: the declarations do nothing
    from . import _cython_shim as cython

from numpy import asarray as _asarray
from numpy import ndarray as _ndarray

from ..backend.reference import get_xp
from .grad_mode import _mode

# Set by pygrad.onnx while tracing a model: a list that every recorded call is appended to.
_tracer = None
# pygrad.tensor.Tensor and Size, bound when that module loads (it imports this one)
Tensor = Size = None


@cython.cclass
class TensorBase:
    """The fields of a Tensor (pygrad.tensor.Tensor subclasses this and adds the methods):
    ``_data`` the array, ``device``, ``_grad``, ``_requires_grad``, ``_ctx`` the Function
    that made it (None for a leaf), ``_unit`` (the implicit gradient 1 of backward) and
    ``_version`` (bumped by every in-place change; the engine checks it), ``_hooks`` (None,
    or the list of ``register_hook`` hooks); and the three
    properties that every op reads, ``shape``, ``ndim`` and ``dtype``."""

    if not cython.compiled:
        __slots__ = ("_data", "device", "_grad", "_requires_grad", "_ctx", "_unit",
                     "_version", "_hooks", "__weakref__")

    @property
    def shape(self):
        """The array's shape, a Size (torch.Size)."""
        return Size(self._data.shape)

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def dtype(self):
        return self._data.dtype


@cython.locals(t=TensorBase)
def new_tensor(cls, array, device, requires_grad=False):
    """A ``cls`` (Tensor or a subclass) wrapping ``array``, already on ``device``: no copy,
    no checks (the ops' fast path; Tensor._make)."""
    t = TensorBase.__new__(cls)
    if array.__class__ is not _ndarray and device.type == "cpu":
        array = _asarray(array)           # numpy turns 0-d results into scalars
    t._data = array
    t.device = device
    t._grad = None
    t._requires_grad = requires_grad
    t._ctx = None
    t._unit = False
    t._version = 0
    t._hooks = None
    return t


@cython.cclass
class Function:
    """Base class of every op.

    Subclasses implement ``forward(*arrays) -> array`` (``self.backend`` is the backend module
    of the inputs' device, ``self.backend.xp`` its array module) and ``backward(gy) ->
    Tensor | tuple`` returning one gradient (or None) per input. Parameters that are not
    tensors go to ``__init__``. Inputs may be Tensors or Python scalars (constants).

    Fields (set when the call is recorded): ``inputs``, ``needs_input_grad`` (one bool per
    input), ``_output`` (a weak reference to the output), ``_vsum`` (the inputs' in-place
    versions) and ``_epoch`` (Tensor._inplace_ops then), both checked by the engine, and
    ``_output_hooked`` (set when the output has hooks: ``register_hook`` or
    ``retain_grad()``).
    """

    if not cython.compiled:              # the compiled class declares them in function.pxd
        inputs = ()
        needs_input_grad = ()
        backend = None
        _output = None
        _output_hooked = False
        _vsum = 0
        _epoch = 0

    # False for ops whose backward reads only the inputs' shapes and dtypes, never their
    # values (add, sum, reshape, ...): as in torch, nothing of theirs is freed by backward,
    # so a graph made of them alone can be backpropagated again
    saves_values = True

    def __cinit__(self):                 # compiled only: the defaults above
        self.inputs = ()
        self.needs_input_grad = ()

    @cython.locals(t=TensorBase, out=TensorBase, vsum=cython.Py_ssize_t, record=cython.bint,
                   need=cython.bint, mask=cython.Py_ssize_t, n=cython.Py_ssize_t)
    def __call__(self, *inputs):
        device = None
        arrays = []
        vsum = mask = n = 0      # mask: bit i set when input i requires grad
        record = False
        for v in inputs:
            if isinstance(v, TensorBase):
                t = v
                if device is None:
                    device = t.device
                elif t.device is not device:
                    raise RuntimeError(
                        f"{type(self).__name__}: expected all tensors on the same device, "
                        f"found {device} and {t.device}")
                arrays.append(t._data)
                if t._requires_grad:
                    record = True
                    if n < 32:
                        mask |= 1 << n
                vsum += t._version
            else:
                arrays.append(v)
            n += 1
        if device is None:
            raise TypeError(f"{type(self).__name__}: expected at least one Tensor input")
        record = record and _mode.enabled
        if record:
            self.needs_input_grad = _needs(inputs, mask, n)
            self._vsum = vsum
            self._epoch = Tensor._inplace_ops
        self.backend = backend = device._backend or device.backend
        try:
            if device.index is None:            # the cpu: no device context to enter
                y = self.forward(*arrays)
            else:
                with backend.guard(device):
                    y = self.forward(*arrays)
        except ValueError as e:                 # e.g. shapes that do not broadcast
            raise RuntimeError(f"{type(self).__name__}: {e}") from None
        out = new_tensor(Tensor, y, device)
        if record:
            out._requires_grad = True
            out._ctx = self
            self.inputs = inputs
            self._output = _weakref(out)
        if _tracer is not None:
            _tracer.append((self, inputs, out))
        return out

    @property
    def requires_grad(self) -> bool:
        """True when forward was recorded: backward will be asked for input gradients."""
        return bool(self.needs_input_grad)

    @property
    def output(self):
        """The Tensor this call produced (alive while the graph downstream of it is)."""
        out = self._output() if self._output is not None else None
        if out is None:
            raise RuntimeError(f"{type(self).__name__}: its output was freed before backward")
        return out

    def forward(self, *xs):
        raise NotImplementedError

    def backward(self, gy):
        raise NotImplementedError(f"{type(self).__name__} has no backward")

    def vjp(self, gy):
        """``backward`` on raw arrays: what the engine calls when the backward pass itself
        is not recorded (``create_graph=False``). Ops on the hot path override it with the
        same formula written on arrays; this default runs ``backward`` on wrapped arrays."""
        dev = self.inputs[0].device if isinstance(self.inputs[0], Tensor) else \
            next(t.device for t in self.inputs if isinstance(t, Tensor))
        g = Tensor._make(gy, dev)
        g._unit = id(gy) in _unit_ids
        gxs = self.backward(g)
        if gxs.__class__ is not tuple:
            return None if gxs is None else gxs._data
        return tuple(None if g is None else g._data for g in gxs)

    def release(self):
        """Drop saved arrays and inputs after backward (retain_graph=False). An op that
        saves no values keeps its links to the graph, with stand-ins for the arrays."""
        if self.saves_values:
            if self.__dict__:
                self.__dict__.clear()
            self.inputs = None
            self.needs_input_grad = ()
            self.backend = self._output = None
            self._output_hooked = False
            self._vsum = self._epoch = 0
        else:
            self.inputs = tuple([_shell(t) for t in self.inputs])

    def __repr__(self):
        return f"<{type(self).__name__}>"


# needs_input_grad tuples, shared between calls: mask << 6 | n inputs -> the tuple
_needs_cache = {}


@cython.cfunc
@cython.locals(mask=cython.Py_ssize_t, n=cython.Py_ssize_t, i=cython.Py_ssize_t)
def _needs(inputs, mask, n):
    """``needs_input_grad`` of a recorded call: True for each input that requires grad
    (``mask`` has bit i set for input i, for the first 32 inputs)."""
    if n >= 32:
        return tuple(isinstance(v, TensorBase) and v._requires_grad for v in inputs)
    key = mask << 6 | n
    needs = _needs_cache.get(key)
    if needs is None:
        bits = []
        for i in range(n):
            bits.append((mask >> i) & 1 == 1)
        needs = _needs_cache[key] = tuple(bits)
    return needs


def _shell(t):
    """A stand-in for the non-leaf input ``t`` of a released op: the same graph link, shape,
    dtype and device over a zero-byte array, so that ``t``'s values can be freed."""
    if t.__class__ is not Tensor or t._ctx is None or 0 in t._data.strides:
        return t
    xp = get_xp(t._data)
    shell = Tensor._make(xp.broadcast_to(xp.empty((), t._data.dtype), t._data.shape), t.device,
                         t._requires_grad)
    shell._ctx, shell._version = t._ctx, t._version
    return shell


# The implicit gradient 1 of ``loss.backward()``: one cached read-only array per shape, dtype
# and device, so an op can tell it from any other gradient by identity (the fused losses skip
# scaling by it). Cached arrays are never freed, so their ids are never reused.
_units = {}
_unit_ids = set()


def unit_gradient(shape, dtype, device):
    """The cached array of ones that seeds ``backward()`` of a one-element output."""
    key = (shape, dtype, device)
    a = _units.get(key)
    if a is None:
        from ..tensor import ones
        a = ones(shape, dtype=dtype, device=device)._data
        if hasattr(a.flags, "writeable"):
            a.flags.writeable = False
        _units[key] = a
        _unit_ids.add(id(a))
    return a


def is_unit(a) -> bool:
    """Whether the array ``a`` is the implicit gradient 1 of ``backward()``."""
    return id(a) in _unit_ids
