"""GraphBuilder: the ONNX graph under construction, as the converters see it.

It names every traced Tensor, turns tensors met outside the trace (parameters, buffers,
constants) and Python scalars into initializers, and records for each value which axis, if
any, grows with the batch — what a converter needs to emit shapes that stay valid when the
batch dimension is symbolic.
"""
from __future__ import annotations

import numbers
from typing import Optional, Sequence

import numpy as np


def host_array(t) -> np.ndarray:
    """The data of Tensor ``t`` as a C-contiguous NumPy array (copied from the GPU if needed)."""
    a = t._data if t.device.type == "cpu" else t.device.backend.to_numpy(t._data)
    return np.asarray(a, order="C")     # (ascontiguousarray would make a 0-d array 1-d)


class GraphBuilder:
    """Nodes, initializers and value names of one export.

    Converters call :meth:`value` for each input (a traced Tensor, a constant Tensor or a
    Python scalar), :meth:`node` to emit nodes, :meth:`const` for extra initializers, and
    :meth:`dyn` to learn which axis of a value follows the batch.
    """

    def __init__(self, onnx, opset: int, param_names: Optional[dict] = None,
                 batch: Optional[int] = None):
        self.onnx = onnx
        self.helper = onnx.helper
        self.opset = opset
        self.batch = batch           # the traced batch size when it is symbolic, else None
        self.nodes: list = []
        self.initializers: list = []
        self._names: dict = {}       # id(Tensor) -> value name
        self._dyn: dict = {}         # id(Tensor) -> axis that grows with the batch
        self._by_array: dict = {}    # id(array) -> Tensor named already (detach() shares it)
        self._alive: list = []       # keeps every named Tensor alive, so ids stay unique
        self._taken: set = set()
        self._counts: dict = {}
        self._scalars: dict = {}     # (repr(value), dtype) -> initializer name
        self._casts: dict = {}       # (name, dtype) -> name of the cast value
        self._param_names = param_names or {}
        self.frozen: list = []       # (name, shape) of constant tensors that are no parameter

    # ------------------------------------------------------------------ names

    def reserve(self, name: str) -> None:
        """Claim ``name`` (graph inputs and outputs) so nothing else gets it."""
        self._taken.add(name)

    def unique(self, base: str) -> str:
        """A value name not used yet: ``base`` itself, or ``base_1``, ``base_2``, ..."""
        n = self._counts.get(base, 0)
        name = base if n == 0 and base not in self._taken else f"{base}_{n}"
        while name in self._taken:
            n += 1
            name = f"{base}_{n}"
        self._counts[base] = n + 1
        self._taken.add(name)
        return name

    def bind(self, t, name: str, dyn: Optional[int] = None) -> None:
        """Record that Tensor ``t`` is the ONNX value ``name`` (batch axis ``dyn``)."""
        self._names[id(t)] = name
        self._by_array.setdefault(id(t._data), t)
        self._alive.append(t)
        if dyn is not None:
            self._dyn[id(t)] = dyn

    def dyn(self, x) -> Optional[int]:
        """The axis of ``x`` whose size follows the batch, or None (scalars, constants)."""
        return self._dyn.get(id(x)) if hasattr(x, "shape") else None

    # ------------------------------------------------------------------ values

    def name_of(self, t) -> str:
        """The value name of Tensor ``t``; a tensor not seen yet becomes an initializer."""
        name = self._names.get(id(t))
        if name is not None:
            return name
        alias = self._by_array.get(id(t._data))
        if alias is not None and alias.shape == t.shape and alias.dtype == t.dtype:
            # the same array under a new Tensor (detach(), a view wrapper): the same value
            self.bind(t, self._names[id(alias)], self.dyn(alias))
            return self._names[id(t)]
        param = self._param_names.get(id(t))
        name = self.const(host_array(t), param or "const")
        if param is None:
            self.frozen.append((name, tuple(t.shape)))
        self.bind(t, name)
        return name

    def value(self, x, dtype=None) -> str:
        """The value name of an op input, as ``dtype`` when given.

        Tensors are cast when their dtype differs; Python scalars become 0-d initializers of
        ``dtype`` (pygrad scalars take the dtype of the tensor they meet).
        """
        if isinstance(x, numbers.Number) or isinstance(x, np.generic):
            if dtype is None:
                raise TypeError(f"onnx export: a Python scalar {x!r} needs a dtype")
            dtype = np.dtype(dtype)
            key = (repr(x), dtype.str)
            if key not in self._scalars:
                self._scalars[key] = self.const(np.asarray(x, dtype=dtype), "scalar")
            return self._scalars[key]
        name = self.name_of(x)
        if dtype is None or np.dtype(dtype) == x.dtype:
            return name
        return self.cast(name, dtype)

    def cast(self, name: str, dtype) -> str:
        """``name`` cast to ``dtype`` (one Cast node per value and dtype)."""
        key = (name, np.dtype(dtype).str)
        if key not in self._casts:
            self._casts[key] = self.node("Cast", [name], to=self.elem_type(dtype))
        return self._casts[key]

    def const(self, array, base: str = "const") -> str:
        """Add ``array`` as an initializer and return its name."""
        name = self.unique(base)
        self.initializers.append(self.onnx.numpy_helper.from_array(
            np.asarray(array, order="C"), name))
        return name

    def ints(self, values: Sequence[int], base: str = "shape") -> str:
        """A 1-D int64 initializer (shapes, axes)."""
        return self.const(np.asarray(list(values), dtype=np.int64), base)

    def elem_type(self, dtype) -> int:
        """The ONNX TensorProto element type of a NumPy dtype."""
        return self.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))

    # ------------------------------------------------------------------ nodes

    def node(self, op_type: str, inputs: Sequence[str], **attrs) -> str:
        """Emit one node with a single output; returns the output's name."""
        out = self.unique(op_type)
        self.nodes.append(self.helper.make_node(op_type, list(inputs), [out], name=out,
                                                **attrs))
        return out

    def rename(self, old: str, new: str) -> None:
        """Rename value ``old`` to ``new`` wherever a node produces or reads it."""
        for node in self.nodes:
            for field in (node.input, node.output):
                for i, name in enumerate(field):
                    if name == old:
                        field[i] = new

    def produced(self, name: str) -> bool:
        """True when some node outputs ``name``."""
        return any(name in node.output for node in self.nodes)
