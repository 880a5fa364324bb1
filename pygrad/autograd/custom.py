"""Custom differentiable functions the torch way: ``pygrad.autograd.Function``.

    class Exp(pygrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, gy):
            y, = ctx.saved_tensors
            return gy * y

    y = Exp.apply(x)

``forward`` runs on Tensors with gradient recording off; ``apply`` then records one node
(pygrad's op base class, ``pygrad.autograd.function.Function``) whose backward calls the
user's ``backward`` with Tensors — recorded too when ``create_graph=True``, so the function is
as differentiable as the ops its backward uses.

Several outputs: they hang off one hidden node, each through a small pick op; their
gradients meet there, concatenated, and are split again for ``backward``. An output that got
no gradient gets zeros — torch's default (``ctx.set_materialize_grads(True)``); with it off,
torch passes None instead, which pygrad cannot tell apart and still passes zeros.
"""
from __future__ import annotations

import weakref

import numpy as np

from . import function as _function
from .grad_mode import _mode, no_grad


class FunctionCtx:
    """What ``forward`` leaves for ``backward``: saved tensors, flags and any attribute."""

    def __init__(self):
        self._saved = ()
        self.needs_input_grad = ()
        self.materialize_grads = True
        self._non_differentiable = set()
        self._dirty = set()

    def save_for_backward(self, *tensors):
        from ..tensor import Tensor
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save tensors (or None), but "
                                f"argument {i} is a {type(t).__name__}")
        self._saved = tensors

    @property
    def saved_tensors(self):
        return tuple(self._saved)

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        self._dirty.update(id(t) for t in tensors)

    def set_materialize_grads(self, value: bool):
        self.materialize_grads = bool(value)


class Function:
    """Base class of custom functions: subclass with ``@staticmethod forward(ctx, ...)`` and
    ``@staticmethod backward(ctx, *grad_outputs)`` (or ``forward(...)`` plus
    ``setup_context(ctx, inputs, output)``), then call ``YourFunction.apply(...)``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a custom Function must implement forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a custom Function must implement backward(ctx, *grads) "
                                  "to be differentiated")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        from ..tensor import Tensor
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        separate = cls.setup_context is not Function.setup_context
        with no_grad():
            out = cls.forward(*args, **kwargs) if separate else cls.forward(ctx, *args, **kwargs)
            if separate:
                cls.setup_context(ctx, args, out)
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        if not (_mode.enabled and any(ctx.needs_input_grad)):
            return out
        for i, o in enumerate(outs):
            if o is not None and not isinstance(o, Tensor):
                if single:
                    raise TypeError(f"{cls.__name__}.forward must return a Tensor or a tuple, "
                                    f"got {type(o).__name__}")
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        inputs = [args[i] for i in positions]
        differentiable = [isinstance(o, Tensor) and o.dtype.kind == "f" and
                          id(o) not in ctx._non_differentiable for o in outs]
        node = _Node(cls, ctx, len(args), positions, outs, differentiable, single)
        if single:
            return _adopt(out, node(*inputs), inputs) if differentiable[0] else out
        bundle = node(*inputs)
        return tuple(_adopt(o, _Pick(node.offsets[k], o)(bundle), inputs) if differentiable[k]
                     else o for k, o in enumerate(outs))


def _adopt(out, recorded, inputs):
    """The tensor ``forward`` returned, made the recorded output (as torch does), so that an
    output saved for backward is linked to the graph too (double backward through it). An
    input returned as is stays itself: the recorded copy is returned instead."""
    if any(out is t for t in inputs):
        return recorded
    out._ctx, out._requires_grad = recorded._ctx, True
    recorded._ctx._output = weakref.ref(out)
    return out


class _Node(_function.Function):
    """The recorded node of one ``apply``: its output is the single output itself, or a
    zero-byte bundle that the outputs are picked from."""

    def __init__(self, cls, ctx, nargs, positions, outs, differentiable, single):
        self.cls, self.ctx, self.nargs, self.positions = cls, ctx, nargs, positions
        self.single = single
        from ..tensor import Tensor
        self.shapes = [tuple(o.shape) if isinstance(o, Tensor) else None for o in outs]
        self.differentiable = differentiable
        self.outs = outs if single else None
        self.offsets, total = [], 0
        for o, d in zip(outs, differentiable):
            self.offsets.append(total)
            total += o._data.size if d else 0
        self.total = total
        floats = [o.dtype for o, d in zip(outs, differentiable) if d]
        self.dtype = np.result_type(*floats) if floats else np.dtype("float32")

    def forward(self, *arrays):
        if self.single:
            return self.outs[0]._data
        xp = self.backend.xp
        return xp.broadcast_to(xp.zeros((), self.dtype), (self.total,))

    def backward(self, gy):
        from ..tensor import Tensor, zeros
        if self.single:
            grads = (gy,)
            self.outs = None
        else:
            grads = []
            for k, shape in enumerate(self.shapes):
                if not self.differentiable[k]:
                    grads.append(None if shape is None or not self.ctx.materialize_grads else
                                 zeros(shape, dtype=self.dtype, device=gy.device))
                    continue
                n = int(np.prod(shape, dtype=np.int64))
                grads.append(gy.narrow(0, self.offsets[k], n).reshape(shape))
        result = self.cls.backward(self.ctx, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) > self.nargs and all(r is None for r in result[self.nargs:]):
            result = result[:self.nargs]                # extra Nones are allowed, as torch
        if len(result) != self.nargs:
            raise RuntimeError(f"function {self.cls.__name__}Backward returned an incorrect "
                               f"number of gradients (expected {self.nargs}, got "
                               f"{len(result)})")
        out = []
        for j, i in enumerate(self.positions):
            g, x = result[i], self.inputs[j]
            if g is None:
                out.append(None)
                continue
            if not isinstance(g, Tensor):
                raise TypeError(f"function {self.cls.__name__}Backward returned a "
                                f"{type(g).__name__} as gradient {i}; expected a Tensor or None")
            if tuple(g.shape) != tuple(x.shape):
                try:
                    np.broadcast_shapes(tuple(g.shape), tuple(x.shape))
                    from ..ops.math import sum_to
                    g = sum_to(g, tuple(x.shape))
                except ValueError:
                    raise RuntimeError(
                        f"function {self.cls.__name__}Backward returned an invalid gradient "
                        f"at index {i} - got {list(g.shape)} but expected shape compatible "
                        f"with {list(x.shape)}") from None
            if g.dtype != x.dtype:
                g = g.to(x.dtype)
            out.append(g)
        return out[0] if len(out) == 1 else tuple(out)


class _Pick(_function.Function):
    """One output of a several-output custom Function, taken from the hidden bundle."""

    def __init__(self, offset, out):
        self.offset, self.out = offset, out

    def forward(self, bundle):
        return self.out._data

    def backward(self, gy):
        from ..ops.shape import cat
        from ..tensor import zeros
        bundle = self.inputs[0]
        total, n = bundle.shape[0], gy._data.size
        parts = [zeros(self.offset, dtype=bundle.dtype, device=gy.device),
                 gy.reshape(-1).to(bundle.dtype),
                 zeros(total - self.offset - n, dtype=bundle.dtype, device=gy.device)]
        return cat(parts)
