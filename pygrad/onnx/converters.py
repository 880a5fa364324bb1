"""The op table: one converter per pygrad op.

A converter is ``convert(g, fn, inputs, out) -> (name, dyn)``: ``g`` is the
:class:`~pygrad.onnx.graph.GraphBuilder`, ``fn`` the recorded Function (holding its
parameters: axis, shape, ...), ``inputs`` its Tensors and Python scalars, ``out`` the Tensor it
produced. It emits nodes and returns the ONNX name of ``out`` and the axis of ``out`` that
follows the batch (None when no axis does).
"""
from __future__ import annotations

import math
from typing import Callable, Optional

import numpy as np

from ..ops import activation, math as ops_math, normalization, reduce, shape, unary
from ..tensor import _Clone

_TABLE: dict = {}


def register_converter(*op_classes) -> Callable:
    """Decorator: use the decorated function to export the given Function classes.

    The function is called as ``convert(g, fn, inputs, out)`` and returns ``(name, dyn)``;
    see this module's docstring. Registering a class again replaces its converter.
    """
    def decorate(convert):
        for cls in op_classes:
            _TABLE[cls] = convert
        return convert
    return decorate


def lookup(fn) -> Optional[Callable]:
    """The converter of Function ``fn``, or None."""
    return _TABLE.get(type(fn))


def supported_ops() -> list:
    """Names of the pygrad ops that have a converter."""
    return sorted(cls.__name__ for cls in _TABLE)


def broadcast_dyn(g, inputs, out) -> Optional[int]:
    """The batch axis of an elementwise result: the inputs' batch axes aligned on the right."""
    for x in inputs:
        d = g.dyn(x)
        if d is not None:
            axis = d + out.ndim - x.ndim
            if out.shape[axis] == x.shape[d]:
                return axis
    return None


def _reduced_dyn(d, axes, keepdim) -> Optional[int]:
    if d is None or axes is None or d in axes:
        return None
    return d if keepdim else d - sum(1 for a in axes if a < d)


# ----------------------------------------------------------------------------- elementwise

_BINARY = {ops_math.Add: "Add", ops_math.Sub: "Sub", ops_math.Mul: "Mul",
           ops_math.Div: "Div", ops_math.Pow: "Pow"}


@register_converter(*_BINARY)
def _binary(g, fn, inputs, out):
    # inputs are cast to the result's dtype: NumPy promotes (int / int -> float64), ONNX not
    names = [g.value(x, out.dtype) for x in inputs]
    return g.node(_BINARY[type(fn)], names), broadcast_dyn(g, inputs, out)


_UNARY = {ops_math.Neg: "Neg", unary.Exp: "Exp", unary.Log: "Log", unary.Sqrt: "Sqrt",
          unary.Abs: "Abs", unary.Relu: "Relu", unary.Tanh: "Tanh",
          activation.Sigmoid: "Sigmoid", _Clone: "Identity"}


@register_converter(*_UNARY)
def _unary(g, fn, inputs, out):
    (x,) = inputs
    return g.node(_UNARY[type(fn)], [g.value(x, out.dtype)]), g.dyn(x)


@register_converter(unary.Clamp)
def _clamp(g, fn, inputs, out):
    (x,) = inputs
    lo = "" if fn.min is None else g.value(fn.min, out.dtype)
    hi = "" if fn.max is None else g.value(fn.max, out.dtype)
    return g.node("Clip", [g.value(x, out.dtype), lo, hi]), g.dyn(x)


@register_converter(activation.Softmax, activation.LogSoftmax)
def _softmax(g, fn, inputs, out):
    (x,) = inputs
    op = "Softmax" if isinstance(fn, activation.Softmax) else "LogSoftmax"
    return g.node(op, [g.value(x)], axis=int(fn.axis)), g.dyn(x)


@register_converter(ops_math.Cast)
def _cast(g, fn, inputs, out):
    (x,) = inputs
    return g.cast(g.value(x), out.dtype), g.dyn(x)


# ----------------------------------------------------------------------------- matmul

@register_converter(ops_math.MatMul)
def _matmul(g, fn, inputs, out):
    a, b = inputs
    return g.node("MatMul", [g.value(a), g.value(b)]), _matmul_dyn(g.dyn(a), g.dyn(b), a, b, out)


def _matmul_dyn(da, db, a, b, out) -> Optional[int]:
    """Where a batch axis of ``a`` or ``b`` lands in ``a @ b`` (None if it is contracted)."""
    if da is not None and a.ndim >= 2 and da < a.ndim - 1:
        return da if b.ndim == 1 else da + out.ndim - a.ndim
    if db is not None and b.ndim >= 2 and db != b.ndim - 2:
        if db == b.ndim - 1:
            return out.ndim - 1
        return db if a.ndim == 1 else db + out.ndim - b.ndim
    return None


@register_converter(ops_math.Linear)
def _linear(g, fn, inputs, out):
    """x @ w.T + b: Gemm(transB=1) for 2-D x, else MatMul with Transpose(w) (+ Add)."""
    x = inputs[0]
    names = [g.value(t) for t in inputs]
    dyn = g.dyn(x) if g.dyn(x) != x.ndim - 1 else None
    if x.ndim == 2:
        return g.node("Gemm", names, transB=1), dyn
    y = g.node("MatMul", [names[0], g.node("Transpose", [names[1]], perm=[1, 0])])
    if len(names) == 3:
        y = g.node("Add", [y, names[2]])
    return y, dyn


# ----------------------------------------------------------------------------- shape

@register_converter(shape.Reshape)
def _reshape(g, fn, inputs, out):
    """Reshape whose shape stays valid for any batch size.

    Dims up to the batch axis that are unchanged are written as 0 (copy the input's); a
    reshape to (batch, rest) is Flatten(axis=1); otherwise the one output axis that absorbs
    the batch gets -1.
    """
    (x,) = inputs
    name = g.value(x)
    new = tuple(out.shape)
    d = g.dyn(x)
    if d is None:
        return g.node("Reshape", [name, g.ints(new)]), None
    if d == 0 and len(new) == 2 and new[0] == x.shape[0]:
        return g.node("Flatten", [name], axis=1), 0
    if new[:d + 1] == tuple(x.shape[:d + 1]):
        spec = [0] * (d + 1) + list(new[d + 1:])
        return g.node("Reshape", [name, g.ints(spec)]), d
    before = math.prod(x.shape[:d])
    # elements per batch item on and after the batch axis (that axis may hold k·batch)
    per_item = x.shape[d] // g.batch * math.prod(x.shape[d + 1:]) \
        if g.batch and x.shape[d] % g.batch == 0 else 0
    for j in range(len(new)):
        # with -1 at j the other dims must not depend on the batch: those before j split the
        # elements before the batch axis, those after it split one batch item's elements
        if per_item and before % math.prod(new[:j]) == 0 and \
                per_item % math.prod(new[j + 1:]) == 0:
            spec = list(new)
            spec[j] = -1
            return g.node("Reshape", [name, g.ints(spec)]), j
    raise NotImplementedError(
        f"onnx export: cannot reshape {tuple(x.shape)} to {new} with a symbolic batch "
        f"dimension (axis {d}); export with dynamic_batch=False for a fixed batch size")


@register_converter(shape.Permute)
def _permute(g, fn, inputs, out):
    (x,) = inputs
    dims = [int(i) for i in fn.dims]
    d = g.dyn(x)
    return g.node("Transpose", [g.value(x)], perm=dims), (None if d is None else dims.index(d))


@register_converter(ops_math.BroadcastTo)
def _broadcast_to(g, fn, inputs, out):
    (x,) = inputs
    lead = out.ndim - x.ndim
    # 1 where x keeps its own size: Expand broadcasts both ways, so a batch axis stays free
    spec = [1 if i >= lead and x.shape[i - lead] == s else s for i, s in enumerate(out.shape)]
    d = g.dyn(x)
    return g.node("Expand", [g.value(x), g.ints(spec)]), (None if d is None else d + lead)


@register_converter(shape.Cat)
def _cat(g, fn, inputs, out):
    dyn = next((g.dyn(t) for t in inputs if g.dyn(t) is not None), None)
    names = [g.value(t, out.dtype) for t in inputs]
    return g.node("Concat", names, axis=int(fn.axis)), dyn


# ----------------------------------------------------------------------------- reductions

def _reduce(g, op, x, axes, keepdim, dtype):
    """ReduceSum/Mean/Max/Min over ``axes`` (None: all), as input or attribute by opset."""
    name = g.value(x, dtype)
    attrs = {"keepdims": int(bool(keepdim))}
    if axes is None:
        return g.node(op, [name], **attrs)
    axes = [int(a) for a in axes]
    if op == "ReduceSum" and g.opset >= 13 or g.opset >= 18:
        return g.node(op, [name, g.ints(axes, "axes")], **attrs)
    return g.node(op, [name], axes=axes, **attrs)


@register_converter(reduce.Sum)
def _sum(g, fn, inputs, out):
    (x,) = inputs
    y = _reduce(g, "ReduceSum", x, fn.axes, fn.keepdim, out.dtype)
    return y, _reduced_dyn(g.dyn(x), fn.axes, fn.keepdim)


def convert_mean(g, fn, x, out):
    """``Sum(x) / n`` with n the count of summed elements, as one ReduceMean.

    The count is not written into the graph, so a mean over the batch axis stays right for
    every batch size.
    """
    y = _reduce(g, "ReduceMean", x, fn.axes, fn.keepdim, out.dtype)
    return y, _reduced_dyn(g.dyn(x), fn.axes, fn.keepdim)


@register_converter(reduce.Max, reduce.Min)
def _extreme(g, fn, inputs, out):
    (x,) = inputs
    op = "ReduceMax" if isinstance(fn, reduce.Max) else "ReduceMin"
    axes = None if fn.axis is None else (fn.axis,)
    keepdim = fn.keepdim if axes is not None else False
    return _reduce(g, op, x, axes, keepdim, out.dtype), _reduced_dyn(g.dyn(x), axes, keepdim)


# ----------------------------------------------------------------------------- fused layers

@register_converter(normalization.Gelu)
def _gelu(g, fn, inputs, out):
    """Gelu (opset 20) or its formula: 0.5·x·(1 + erf(x/√2)), or the tanh form."""
    (x,) = inputs
    d = out.dtype
    name = g.value(x, d)
    if g.opset >= 20:
        return g.node("Gelu", [name], approximate=fn.approximate), g.dyn(x)
    if fn.approximate == "tanh":
        cube = g.node("Mul", [g.node("Mul", [name, name]), name])
        inner = g.node("Add", [name, g.node("Mul", [cube, g.value(0.044715, d)])])
        t = g.node("Tanh", [g.node("Mul", [inner, g.value(math.sqrt(2 / math.pi), d)])])
    else:
        t = g.node("Erf", [g.node("Mul", [name, g.value(1 / math.sqrt(2), d)])])
    half_x = g.node("Mul", [name, g.value(0.5, d)])
    return g.node("Mul", [half_x, g.node("Add", [t, g.value(1.0, d)])]), g.dyn(x)


@register_converter(normalization.LayerNorm)
def _layer_norm(g, fn, inputs, out):
    """LayerNormalization (opset 17) over the last ``normalized_ndim`` axes, or its formula
    (mean, centred variance, scale, shift) in older opsets."""
    x, weight, bias = inputs
    d, k = out.dtype, fn.normalized_ndim
    name = g.value(x, d)
    if g.opset >= 17:
        shape = tuple(x.shape[x.ndim - k:])
        scale = g.value(weight, d) if weight is not None else g.const(np.ones(shape, d), "ones")
        args = [name, scale] + ([g.value(bias, d)] if bias is not None else [])
        return g.node("LayerNormalization", args, axis=-k, epsilon=float(fn.eps)), g.dyn(x)
    axes = list(range(x.ndim - k, x.ndim))
    mean = _reduce(g, "ReduceMean", x, axes, True, d)
    centred = g.node("Sub", [name, mean])
    var = _reduce_name(g, "ReduceMean", g.node("Mul", [centred, centred]), axes)
    y = g.node("Div", [centred, g.node("Sqrt", [g.node("Add", [var, g.value(fn.eps, d)])])])
    if weight is not None:
        y = g.node("Mul", [y, g.value(weight, d)])
    if bias is not None:
        y = g.node("Add", [y, g.value(bias, d)])
    return y, g.dyn(x)


def _reduce_name(g, op, name, axes):
    """``op`` over ``axes`` of the value ``name``, keeping dims (opset < 18: an attribute)."""
    if g.opset >= 18:
        return g.node(op, [name, g.ints(axes, "axes")], keepdims=1)
    return g.node(op, [name], axes=axes, keepdims=1)
