"""``pygrad.onnx.export``: trace one forward pass and write it as an ONNX model."""
from __future__ import annotations

import numbers
import os
import warnings
from typing import Optional, Sequence

from . import converters
from .graph import GraphBuilder

MIN_OPSET = 13    # Softmax on one axis and ReduceSum with axes as an input start here


def _import_onnx():
    try:
        import onnx
    except ImportError as e:
        raise ImportError(
            'pygrad.onnx.export needs the onnx package: pip install "pygrad[onnx]" (brings '
            'onnx and onnxruntime)') from e
    return onnx


def export(model, example_input, path, input_names: Optional[Sequence[str]] = None,
           output_names: Optional[Sequence[str]] = None, opset_version: int = 17,
           dynamic_batch: bool = True):
    """Write ``model`` as an ONNX file at ``path``.

    The model runs once on ``example_input`` in eval mode under ``no_grad`` (its mode is
    restored afterwards) while every op is recorded. Each recorded op that leads to an output
    becomes one ONNX node or a small fixed pattern: Linear is Gemm(transB=1) for 2-D input and
    MatMul + Add otherwise, ``sum / n`` over n elements is ReduceMean, a flatten to
    (batch, features) is Flatten(axis=1). Parameters, buffers and constant tensors become
    initializers (named as in ``named_parameters()``); Python scalars become typed 0-d
    initializers. Dropout in eval mode records nothing, so it leaves no node.

    Args:
        model: a ``pygrad.nn.Module`` or any callable of Tensors returning a Tensor or a tuple
            of Tensors.
        example_input: a Tensor, or a tuple of Tensors for a model with several inputs. Its
            values do not matter; use a batch larger than 1 so the batch axis is unambiguous.
        path: the file to write (str or path-like); its directory must exist. Written
            atomically: a temporary file beside it, then renamed.
        input_names / output_names: graph input and output names (default ``input`` /
            ``output``, numbered when there are several).
        opset_version: the ONNX opset, 13 or newer (default 17).
        dynamic_batch: make axis 0 of every input a symbolic dimension ``batch``; reshapes
            are written so the graph runs at any batch size.

    Returns:
        The ``onnx.ModelProto`` written.

    Raises:
        NotImplementedError: an op in the traced graph has no converter (the message names it).
        ImportError: onnx is not installed (``pip install "pygrad[onnx]"``).
    """
    onnx = _import_onnx()
    if not callable(model):
        raise TypeError(f"onnx export: model must be a Module or a callable, got "
                        f"{type(model).__name__}")
    inputs = _check_inputs(example_input)
    path = _check_path(path)
    opset = _check_opset(opset_version, onnx)
    if not isinstance(dynamic_batch, bool):
        raise TypeError(f"onnx export: dynamic_batch must be a bool, got "
                        f"{type(dynamic_batch).__name__}")
    input_names = _check_names(input_names, len(inputs), "input")

    outputs, records = _trace(model, inputs)
    output_names = _check_names(output_names, len(outputs), "output")
    clash = set(input_names) & set(output_names)
    if clash:
        raise ValueError(f"onnx export: names used for both an input and an output: "
                         f"{sorted(clash)}")

    proto = _build(onnx, model, inputs, outputs, records, input_names, output_names, opset,
                   dynamic_batch)
    onnx.checker.check_model(proto)
    _write_atomic(proto.SerializeToString(), path)
    return proto


# ----------------------------------------------------------------------------- arguments

def _check_inputs(example_input) -> tuple:
    from ..tensor import Tensor
    items = tuple(example_input) if isinstance(example_input, (tuple, list)) \
        else (example_input,)
    if not items:
        raise ValueError("onnx export: example_input is empty; pass a Tensor or a tuple of "
                         "Tensors")
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            where = "example_input" if len(items) == 1 and not isinstance(
                example_input, (tuple, list)) else f"example_input[{i}]"
            raise TypeError(f"onnx export: {where} must be a pygrad Tensor, got "
                            f"{type(t).__name__} (wrap arrays with pg.tensor(...))")
    return items


def _check_path(path) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"onnx export: path must be a str or path-like, got "
                        f"{type(path).__name__}")
    path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not path:
        raise ValueError("onnx export: path is empty")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"onnx export: directory {directory!r} does not exist "
                                f"(create it before exporting to {path!r})")
    if os.path.isdir(path):
        raise IsADirectoryError(f"onnx export: {path!r} is a directory; give a file path "
                                f"such as {os.path.join(path, 'model.onnx')!r}")
    return path


def _check_opset(opset_version, onnx) -> int:
    newest = onnx.defs.onnx_opset_version()
    if not isinstance(opset_version, numbers.Integral) or isinstance(opset_version, bool):
        raise TypeError(f"onnx export: opset_version must be an int, got "
                        f"{type(opset_version).__name__}")
    if not MIN_OPSET <= opset_version <= newest:
        raise ValueError(f"onnx export: opset_version must be between {MIN_OPSET} and "
                         f"{newest} (the newest this onnx knows), got {opset_version}")
    return int(opset_version)


def _check_names(names, count: int, what: str) -> list:
    if names is None:
        return [what] if count == 1 else [f"{what}_{i}" for i in range(count)]
    if isinstance(names, str):
        names = [names]
    names = list(names)
    if len(names) != count:
        raise ValueError(f"onnx export: {what}_names has {len(names)} names but the model has "
                         f"{count} {what}{'s' if count != 1 else ''}")
    for n in names:
        if not isinstance(n, str) or not n:
            raise TypeError(f"onnx export: {what}_names must be non-empty strings, got {n!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"onnx export: {what}_names repeats a name: {names}")
    return names


# ----------------------------------------------------------------------------- tracing

def _trace(model, inputs):
    """Run ``model(*inputs)`` in eval mode under no_grad, recording every op.

    Returns the outputs (a tuple of Tensors) and the records ``(fn, inputs, out)``.
    """
    from ..autograd import function, no_grad
    from ..tensor import Tensor

    modules = list(model.modules()) if callable(getattr(model, "modules", None)) else [model]
    modes = [(m, m.training) for m in modules
             if isinstance(getattr(m, "training", None), bool)
             and callable(getattr(m, "train", None))]
    records: list = []
    previous = function._tracer
    try:
        if callable(getattr(model, "eval", None)):
            model.eval()
        function._tracer = records
        with no_grad():
            result = model(*inputs)
    finally:
        function._tracer = previous
        # modules() lists parents before children, so each child's own mode wins
        for m, mode in modes:
            m.train(mode)
    outputs = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    if not outputs or not all(isinstance(t, Tensor) for t in outputs):
        got = type(result).__name__ if not isinstance(result, (tuple, list)) else \
            "(" + ", ".join(type(t).__name__ for t in outputs) + ")"
        raise TypeError(f"onnx export: the model must return a Tensor or a tuple of Tensors, "
                        f"got {got}")
    return outputs, records


def _needed(records, outputs) -> list:
    """Indices of the records the outputs depend on, in trace order."""
    producer = {id(out): i for i, (_, _, out) in enumerate(records)}
    needed, stack = set(), [id(t) for t in outputs]
    while stack:
        i = producer.get(stack.pop())
        if i is None or i in needed:
            continue
        needed.add(i)
        stack.extend(id(x) for x in records[i][1] if hasattr(x, "shape"))
    return sorted(needed)


def _find_means(records, order, outputs):
    """``Sum`` records followed by a division by their element count: {div index: sum index}.

    Only sums read by nothing else are fused, so no ReduceSum is needed besides the mean.
    """
    from ..ops.math import Div
    from ..ops.reduce import Sum

    uses: dict = {}
    for i in order:
        for x in records[i][1]:
            uses[id(x)] = uses.get(id(x), 0) + 1
    for t in outputs:
        uses[id(t)] = uses.get(id(t), 0) + 1
    producer = {id(records[i][2]): i for i in order}
    means = {}
    for i in order:
        fn, args, _ = records[i]
        if not isinstance(fn, Div):
            continue
        a, b = args
        if not isinstance(b, numbers.Real) or isinstance(b, bool):
            continue
        j = producer.get(id(a))
        if j is None or not isinstance(records[j][0], Sum) or uses.get(id(a)) != 1:
            continue
        s, (x,), _ = records[j]
        count = 1
        for axis in (range(x.ndim) if s.axes is None else s.axes):
            count *= x.shape[axis]
        if count and float(b) == count:
            means[i] = j
    return means


def _check_converters(records, order) -> None:
    for i in order:
        fn = records[i][0]
        if converters.lookup(fn) is None:
            raise NotImplementedError(
                f"onnx export: no converter for op '{type(fn).__name__}' (the model calls it "
                f"in its forward pass); supported ops: {', '.join(converters.supported_ops())}. "
                f"Add one with pygrad.onnx.register_converter.")


# ----------------------------------------------------------------------------- building

def _build(onnx, model, inputs, outputs, records, input_names, output_names, opset,
           dynamic_batch):
    helper = onnx.helper
    order = _needed(records, outputs)
    _check_converters(records, order)
    means = _find_means(records, order, outputs)
    fused = set(means.values())

    param_names = {}
    for attr in ("named_parameters", "named_buffers"):
        if callable(getattr(model, attr, None)):
            for name, t in getattr(model, attr)():
                param_names.setdefault(id(t), name)

    batch = inputs[0].shape[0] if dynamic_batch and inputs[0].ndim >= 1 else None
    g = GraphBuilder(onnx, opset, param_names, batch)
    for name in list(input_names) + list(output_names):
        g.reserve(name)
    graph_inputs = []
    for t, name in zip(inputs, input_names):
        dyn = 0 if dynamic_batch and t.ndim >= 1 else None
        g.bind(t, name, dyn)
        graph_inputs.append(helper.make_tensor_value_info(
            name, g.elem_type(t.dtype), _dims(t.shape, dyn, t.shape[0] if dyn == 0 else None)))

    for i in order:
        if i in fused:
            continue
        fn, args, out = records[i]
        if i in means:
            s, (x,), _ = records[means[i]]
            name, dyn = converters.convert_mean(g, s, x, out)
        else:
            name, dyn = converters.lookup(fn)(g, fn, args, out)
        g.bind(out, name, dyn)

    if batch is not None:
        _warn_batch_constants(g, batch)

    graph_outputs = []
    used = set(input_names)
    for t, name in zip(outputs, output_names):
        value = g.name_of(t)
        if value not in used and g.produced(value) and value not in output_names:
            g.rename(value, name)
            g.bind(t, name, g.dyn(t))
        else:   # an input, an initializer or another output: copy it under the new name
            g.nodes.append(helper.make_node("Identity", [value], [name], name=f"{name}_copy"))
        used.add(name)
        graph_outputs.append(helper.make_tensor_value_info(
            name, g.elem_type(t.dtype), _dims(t.shape, g.dyn(t), batch)))

    graph = helper.make_graph(g.nodes, type(model).__name__, graph_inputs, graph_outputs,
                              initializer=g.initializers)
    opsets = [helper.make_opsetid("", opset)]
    from .. import __version__
    return helper.make_model(graph, opset_imports=opsets, producer_name="pygrad",
                             producer_version=__version__,
                             ir_version=helper.find_min_ir_version_for(opsets))


def _dims(shape, dyn, batch) -> list:
    """An ONNX shape: the batch axis named ``batch`` (unnamed when it holds a multiple)."""
    dims = list(shape)
    if dyn is not None:
        dims[dyn] = "batch" if batch is not None and shape[dyn] == batch else None
    return dims


def _warn_batch_constants(g, batch) -> None:
    # A tensor computed outside pygrad's ops (a comparison, argmax, raw array math) from the
    # input is frozen into the graph as a constant; with a batch-sized axis it likely was one.
    if batch <= 1:
        return
    for name, shape in g.frozen:
        if shape and shape[0] == batch:
            warnings.warn(
                f"onnx export: a tensor of shape {shape} was not produced by a "
                f"recorded op and is stored as the constant {name!r}; if it depends on "
                f"the input (comparisons, argmax and raw array code are not recorded) the "
                f"exported graph will not follow the input", stacklevel=3)


# ----------------------------------------------------------------------------- writing

def _write_atomic(data: bytes, path: str) -> None:
    """Write ``data`` to ``path`` atomically (temp file + rename)."""
    from ..io import atomic_open
    with atomic_open(path) as f:
        f.write(data)
