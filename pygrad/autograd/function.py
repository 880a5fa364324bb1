"""Function: one differentiable op — forward on raw arrays, backward in Tensor ops.

Because ``backward`` is written with Tensor ops, the gradient computation is itself recorded
when ``create_graph=True``, which is all higher-order gradients need.
"""
from __future__ import annotations

import weakref

from ..backend.reference import get_xp
from .grad_mode import _mode

# Set by pygrad.onnx while tracing a model: a list that every recorded call is appended to.
_tracer = None
# pygrad.tensor.Tensor, bound when that module loads (it imports this one)
Tensor = None


class Function:
    """Base class of every op.

    Subclasses implement ``forward(*arrays) -> array`` (``self.backend`` is the backend module
    of the inputs' device, ``self.backend.xp`` its array module) and ``backward(gy) ->
    Tensor | tuple`` returning one gradient (or None) per input. Parameters that are not
    tensors go to ``__init__``. Inputs may be Tensors or Python scalars (constants).
    """

    inputs = ()
    needs_input_grad = ()
    _output = None
    _retain_output_grad = False
    _vsum = 0           # the inputs' in-place versions when recorded (see the engine)
    _epoch = 0          # Tensor._inplace_ops when recorded
    # False for ops whose backward reads only the inputs' shapes and dtypes, never their
    # values (add, sum, reshape, ...): as in torch, nothing of theirs is freed by backward,
    # so a graph made of them alone can be backpropagated again
    saves_values = True

    def __call__(self, *inputs):
        device = None
        arrays = []
        needs = []
        vsum = 0
        for t in inputs:
            if isinstance(t, Tensor):
                if device is None:
                    device = t.device
                elif t.device is not device:
                    raise RuntimeError(
                        f"{type(self).__name__}: expected all tensors on the same device, "
                        f"found {device} and {t.device}")
                arrays.append(t.data)
                needs.append(t._requires_grad)
                vsum += t._version
            else:
                arrays.append(t)
                needs.append(False)
        if device is None:
            raise TypeError(f"{type(self).__name__}: expected at least one Tensor input")
        record = _mode.enabled and True in needs
        if record:
            self.needs_input_grad = tuple(needs)
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
        out = Tensor._make(y, device)
        if record:
            out._requires_grad = True
            out._ctx = self
            self.inputs = inputs
            self._output = weakref.ref(out)
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
            return None if gxs is None else gxs.data
        return tuple(None if g is None else g.data for g in gxs)

    def release(self):
        """Drop saved arrays and inputs after backward (retain_graph=False). An op that
        saves no values keeps its links to the graph, with stand-ins for the arrays."""
        if self.saves_values:
            self.__dict__.clear()
            self.inputs = None
        else:
            self.inputs = tuple(_shell(t) for t in self.inputs)

    def __repr__(self):
        return f"<{type(self).__name__}>"


def _shell(t):
    """A stand-in for the non-leaf input ``t`` of a released op: the same graph link, shape,
    dtype and device over a zero-byte array, so that ``t``'s values can be freed."""
    if t.__class__ is not Tensor or t._ctx is None or 0 in t.data.strides:
        return t
    xp = get_xp(t.data)
    shell = Tensor._make(xp.broadcast_to(xp.empty((), t.data.dtype), t.data.shape), t.device,
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
        a = ones(shape, dtype=dtype, device=device).data
        if hasattr(a.flags, "writeable"):
            a.flags.writeable = False
        _units[key] = a
        _unit_ids.add(id(a))
    return a


def is_unit(a) -> bool:
    """Whether the array ``a`` is the implicit gradient 1 of ``backward()``."""
    return id(a) in _unit_ids
