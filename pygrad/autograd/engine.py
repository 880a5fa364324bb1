"""The backward engine: an iterative topological sort and one reversed loop.

Each Function call is a node; a Tensor made by a Function points to it through ``_ctx``.
Gradients flow from the roots through the nodes in reverse topological order, so every node
runs once, after all the gradient for its output has been summed. The sort is iterative, so a
chain of 100,000 ops is fine. Without ``retain_graph`` the nodes drop what they saved once the
walk is done, and a second backward through them raises.
"""
from __future__ import annotations

from numpy import ndarray

try:
    import cython
except ImportError:                      # no Cython installed: the declarations do nothing
    from . import _cython_shim as cython

from . import inplace as _inplace
from .function import Function, TensorBase, unit_gradient
from ..backend.reference import get_xp
from .grad_mode import _mode, set_grad_enabled

Tensor = None   # pygrad.tensor.Tensor, bound when that module loads (it imports this one)

_FREED = ("Trying to backward through the graph a second time (or to use saved values after "
          "they were freed). Pass retain_graph=True to the first backward() or autograd.grad() "
          "if you need to backward through the graph again.")


@cython.locals(node=Function, t=TensorBase, expanded=cython.bint)
def _topological_order(roots):
    """Nodes reachable from ``roots``, each after every node that feeds it."""

    order, visited = [], set()
    # a depth-first walk: each node is pushed unexpanded (its inputs not yet pushed), then
    # again, expanded, below its inputs, so it reaches ``order`` after all of them
    stack, expanded_flags = list(roots), [False] * len(roots)
    while stack:
        node = stack.pop()
        expanded = expanded_flags.pop()
        if expanded:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        inputs = node.inputs
        if inputs is None:
            raise RuntimeError(_FREED)
        if node._epoch != Tensor._inplace_ops and _inplace._history:
            _inplace.rebase(node)      # an input was written in place after node used it
            inputs = node.inputs
        stack.append(node)
        expanded_flags.append(True)
        for v in inputs:
            # only Tensor._make creates op outputs, so subclasses (Parameter) are leaves
            if v.__class__ is Tensor:
                t = v
                ctx = t._ctx
                if ctx is not None and ctx not in visited:
                    stack.append(ctx)
                    expanded_flags.append(False)
    return order


_MODIFIED = ("one of the tensors needed for gradient computation has been modified by an "
             "in-place operation since {op} used it; compute the backward first, or work on "
             "a copy (clone()) instead of modifying it in place")


def run_backward(roots, grads, retain_graph=False, create_graph=False, capture=None):
    """Backpropagate ``grads`` (Tensors, one per root) through the graph behind ``roots``.

    Without ``capture`` gradients are accumulated into the ``.grad`` of leaves that require
    grad. With ``capture`` (a dict id(tensor) -> None for the wanted inputs) nothing is
    accumulated: the gradient of each wanted tensor is stored in the dict instead, and only
    the nodes between the roots and the wanted tensors run (and are freed).

    Without ``create_graph`` the walk carries raw arrays and calls each op's array-level
    ``vjp``; with it, Tensors through each op's ``backward`` (recorded, so differentiable).
    """

    arrays = not create_graph
    pending = {}  # node -> gradient of its output, summed over its consumers
    # arrays a leaf must not keep as its .grad without a copy: the caller's gradients and
    # arrays already handed to another leaf in this pass
    shared = {id(g._data) for g in grads}
    for r, g in zip(roots, grads):
        if arrays:
            g = g._data
        if r._ctx is None:
            _deliver_leaf(r, _run_hooks(r, g, arrays) if r._hooks else g, create_graph,
                          capture, shared)
        else:
            pending[r._ctx] = pending[r._ctx] + g if r._ctx in pending else g
    order = _topological_order(list(pending))
    captured_nodes, run = {}, None
    if capture is not None:
        captured_nodes, run = _capture_plan(order, capture)

    plain = capture is None and arrays
    check_nan = _mode.anomaly
    ran = []
    with set_grad_enabled(create_graph):
        for node in reversed(order):
            gy = pending.pop(node, None)
            if gy is None:
                continue
            if captured_nodes and node in captured_nodes:
                capture[captured_nodes[node]] = gy
            if run is not None and node not in run:
                continue
            ran.append(node)
            _backward_node(node, gy, pending, arrays, plain, create_graph, capture, shared,
                           check_nan)
        # leaves with hooks: their gradients were summed in ``pending`` under the leaf
        for x, gx in list(pending.items()):
            if isinstance(x, TensorBase):
                _deliver_leaf(x, _run_hooks(x, gx, arrays), create_graph, capture, shared)
    if not retain_graph:
        _release(ran)


@cython.locals(node=Function)
def _release(nodes):
    for node in nodes:
        node.release()


@cython.cfunc
@cython.locals(node=Function, x=TensorBase, gt=TensorBase, i=cython.Py_ssize_t,
               n=cython.Py_ssize_t, arrays=cython.bint, plain=cython.bint,
               check_nan=cython.bint)
def _backward_node(node, gy, pending, arrays, plain, create_graph, capture, shared,
                   check_nan):
    """Run one node's backward on ``gy``, the summed gradient of its output, and pass the
    input gradients on: to ``pending`` for the nodes that made them, or to the leaves."""
    # only when some in-place op ran since the node was recorded: sum its versions
    if node._epoch != Tensor._inplace_ops and node._vsum != _version_sum(node):
        raise RuntimeError(_MODIFIED.format(op=type(node).__name__))
    if node._output_hooked:
        gy = _output_grad(node, gy, arrays, create_graph, shared)
    gxs = node.vjp(gy) if arrays else node.backward(gy)
    if gxs.__class__ is not tuple:
        gxs = (gxs,)
    if check_nan:
        _check_nan(node, gxs)
    inputs, needs = node.inputs, node.needs_input_grad
    n = min(len(inputs), len(gxs))
    for i in range(n):
        gx = gxs[i]
        if gx is None or not needs[i]:
            continue
        x = inputs[i]
        if not arrays or gx.__class__ is not ndarray or gx.shape != x._data.shape or \
                gx.dtype is not x._data.dtype:
            gx = _checked(node, x, gx, arrays)     # all but the common case
        ctx = x._ctx
        if ctx is not None:
            prev = pending.get(ctx)
            pending[ctx] = gx if prev is None else prev + gx
        elif x._hooks is not None:        # summed first: a hook sees the whole gradient
            prev = pending.get(x)
            pending[x] = gx if prev is None else prev + gx
        elif plain and x._requires_grad:
            # the common case, inlined: accumulate into .grad, out of place
            if x._grad is None:
                x._grad = Tensor._make(_owned(gx, shared), x.device)
            else:
                gt = x._grad
                x._grad = Tensor._make(gt._data + gx, x.device)
        else:
            _deliver_leaf(x, gx, create_graph, capture, shared)


def _check_nan(node, gxs):
    """Anomaly mode (``autograd.set_detect_anomaly(True)``): a NaN in a gradient raises,
    naming the op that produced it, as torch."""
    for i, g in enumerate(gxs):
        if g is None:
            continue
        a = g._data if isinstance(g, Tensor) else g
        if a.dtype.kind == "f" and bool(get_xp(a).isnan(a).any()):
            raise RuntimeError(f"Function '{type(node).__name__}Backward' returned nan values "
                               f"in its {i}th output.")


def _checked(node, x, gx, arrays):
    """``gx`` as the gradient of input ``x`` of ``node``: an array (or a Tensor when the
    graph is recorded) of x's shape, cast to x's dtype."""
    if arrays:
        gd = gx
        if gd.__class__ is Tensor or isinstance(gd, Tensor):
            raise TypeError(f"{type(node).__name__}.vjp returned a Tensor, expected an array")
    else:
        if gx.__class__ is not Tensor and not isinstance(gx, Tensor):
            raise TypeError(f"{type(node).__name__}.backward returned {type(gx).__name__}, "
                            f"expected a Tensor")
        gd = gx._data
    xd = x._data
    if gd.shape != xd.shape:
        raise RuntimeError(f"{type(node).__name__}.backward returned a gradient of shape "
                           f"{tuple(gd.shape)} for an input of shape {tuple(xd.shape)}")
    if gd.dtype is not xd.dtype and gd.dtype != xd.dtype:
        return gd.astype(xd.dtype) if arrays else gx.to(x.dtype)
    return gx


def _output_grad(node, gy, arrays, create_graph, shared):
    """``gy`` (the gradient of the node's output, summed over its consumers) after the
    output's hooks; stored as the output's ``.grad`` if it retains grad."""
    out = node._output()
    if out is None or not out._hooks:
        return gy
    gy = _run_hooks(out, gy, arrays)
    if RETAIN not in out._hooks:
        return gy
    if create_graph:
        out._grad = gy if out._grad is None else out._grad + gy
        return gy
    out._grad = Tensor._make(_owned(gy, shared) if out._grad is None else out._grad._data + gy,
                             out.device)
    return gy


RETAIN = object()    # in a tensor's _hooks: retain_grad() was called (runs after the hooks)


def _run_hooks(x, g, arrays):
    """``g`` (x's gradient: an array, or a Tensor when the backward pass is recorded) passed
    through x's ``register_hook`` hooks in order; each may return a replacement."""
    for hook in list(x._hooks or ()):
        if hook is RETAIN:
            continue
        t = Tensor._make(g, x.device) if arrays else g
        r = hook(t)
        if r is None:
            continue
        if not isinstance(r, Tensor):
            raise TypeError(f"hook {getattr(hook, '__name__', hook)!r} returned "
                            f"{type(r).__name__}, expected a Tensor or None")
        if r.shape != t.shape or r.device is not t.device:
            raise RuntimeError(f"hook {getattr(hook, '__name__', hook)!r} has changed the "
                               f"gradient: shape {tuple(t.shape)} on {t.device} became shape "
                               f"{tuple(r.shape)} on {r.device}")
        g = r._data if arrays else r
    return g


def _version_sum(node):
    """The summed in-place versions of a node's tensors (versions only grow, so an equal sum
    means nothing was modified)."""
    total = 0
    for t in node.inputs:
        v = getattr(t, "_version", None)       # None for Python scalars
        if v:
            total += v
    out = node._output()
    return total + out._version if out is not None else total


def _capture_plan(order, capture):
    """For autograd.grad: which nodes produce a wanted tensor, and which nodes must run —
    those with a wanted tensor, or a node that must run, among their inputs."""
    captured_nodes, run = {}, set()
    for node in order:                       # inputs before consumers
        out = node._output() if node._output is not None else None
        if out is not None and id(out) in capture:
            captured_nodes[node] = id(out)
        for t in node.inputs:
            if isinstance(t, Tensor) and (id(t) in capture or
                                          (t._ctx is not None and t._ctx in run)):
                run.add(node)
                break
    return captured_nodes, run


def _owned(a, shared):
    """The array ``a`` itself, or a copy when it is a view, read-only, or already shared —
    a leaf's .grad must be its own (``w.grad.zero_()`` must not touch anything else)."""
    if id(a) in shared or a.base is not None or not getattr(a.flags, "writeable", True):
        a = a.copy()
    shared.add(id(a))
    return a


def _deliver_leaf(x, gx, create_graph, capture, shared):
    """Hand the gradient ``gx`` (an array, or a Tensor when create_graph) to the leaf ``x``:
    into ``capture`` for autograd.grad, else added to ``x.grad`` out of place."""
    if capture is not None:
        key = id(x)
        if key in capture:
            capture[key] = gx if capture[key] is None else capture[key] + gx
        return
    if not x._requires_grad:
        return
    if create_graph:
        x._grad = gx if x._grad is None else x._grad + gx
        return
    # out of place, never +=: a .grad may share its array with another tensor
    g = x._grad
    x._grad = Tensor._make(_owned(gx, shared) if g is None else g._data + gx, x.device)


def _as_tuple(x):
    if x is None:
        return ()
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _seed_grads(outputs, grad_outputs, what):
    """One gradient per output: the given ones, or 1 for scalar outputs."""

    grads = []
    for i, (y, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(y, Tensor):
            raise TypeError(f"{what}: expected Tensors as outputs, got {type(y).__name__}")
        if not y._requires_grad:
            raise RuntimeError(f"{what}: element {i} of tensors does not require grad and "
                               f"has no grad_fn (was it computed under no_grad, or from "
                               f"tensors without requires_grad=True?)")
        if g is None:
            if y._data.size != 1:
                raise RuntimeError(f"{what}: grad can be implicitly created only for scalar "
                                   f"outputs; got shape {tuple(y.shape)}: pass gradient=")
            g = Tensor._make(unit_gradient(y.shape, y.dtype, y.device), y.device)
            g._unit = True
        else:
            if not isinstance(g, Tensor):
                from ..tensor import tensor
                g = tensor(g, dtype=y.dtype, device=y.device)
            if g.shape != y.shape:
                raise RuntimeError(f"{what}: gradient has shape {tuple(g.shape)} but the "
                                   f"output has shape {tuple(y.shape)}")
            if g.device is not y.device:
                raise RuntimeError(f"{what}: gradient is on {g.device} but the output is on "
                                   f"{y.device}")
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False):
    """Accumulate d(tensors)/d(leaf) · grad_tensors into every leaf's ``.grad``."""
    tensors = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors) or (None,) * len(tensors)
    if len(grad_tensors) != len(tensors):
        raise ValueError(f"backward: got {len(tensors)} tensors but {len(grad_tensors)} "
                         f"gradients")
    if retain_graph is None:
        retain_graph = create_graph
    grads = _seed_grads(tensors, grad_tensors, "backward")
    run_backward(tensors, grads, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned as a tuple (torch's
    ``autograd.grad``). Nothing is accumulated into ``.grad``."""
    outputs, inputs = _as_tuple(outputs), _as_tuple(inputs)
    grad_outputs = _as_tuple(grad_outputs) or (None,) * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: got {len(outputs)} outputs but {len(grad_outputs)} "
                         f"grad_outputs")
    for i, x in enumerate(inputs):
        if not x._requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    grads = _seed_grads(outputs, grad_outputs, "grad")
    capture = {id(x): None for x in inputs}
    run_backward(outputs, grads, retain_graph, create_graph, capture)
    result = []
    for i, x in enumerate(inputs):
        g = capture[id(x)]
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: input {i} was not used to compute the outputs; pass "
                               f"allow_unused=True to get None for it")
        if g is not None and not create_graph:        # an array: the caller gets its own
            if g.base is not None or not getattr(g.flags, "writeable", True) or any(
                    g is r for r in result):
                g = g.copy()
            g = x.__class__._make(g, x.device) if x.__class__ is Tensor else \
                Tensor._make(g, x.device)
        result.append(g)
    return tuple(result)
