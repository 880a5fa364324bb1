"""In-place ops (``x.add_(y)``, ``x[i] = v``, ``x.zero_()``, ...) and the graph.

Every in-place op is its out-of-place op written back into x's array. When grad mode is on
and x or an argument requires grad, the write is recorded as torch records it:

- x becomes the output of that op (its ``_ctx``), so gradients reaching x flow through it;
- the tensor x was until then stays in the graph as a new Tensor holding a copy of the old
  values (the op's input, and the output of the op that made x), so every backward formula
  reads the values it was computed from;
- ops recorded earlier with x as an input used the old values and the old place in the
  graph: x remembers, by the in-place counter (``Tensor._inplace_ops``, which every op
  records as ``_epoch``), which tensor held them, and the engine's graph walk gives each
  such op that tensor instead of x (``rebase``) — torch links ops to ops, not to tensors,
  and gets the same effect;
- x's version goes up, and the engine compares versions before running an op's backward,
  so values changed where nothing recorded the old ones (an untracked write under
  ``no_grad()``, an in-place op on a tensor that does not require grad) raise as torch's
  saved-tensor check does.

Refused, with torch's reasons: a leaf that requires grad (outside ``no_grad()``), and a
tensor that is a view of another tensor in the graph (torch rebases views; pygrad does not,
so the write would not reach the base's gradient).
"""
from __future__ import annotations

from weakref import ref as _weakref

from .grad_mode import _mode, no_grad

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
Tensor = None   # pygrad.tensor.Tensor, bound when that module loads (it imports this one)

# id(x) -> (weak ref to x, [(counter before the write, weak ref to the tensor that took x's
# old values), ...]) for tensors written in place while recorded; the refs are weak, so
# nothing is kept alive that the graph does not keep
_history = {}


def is_tracked(x, args=(), kwargs=None) -> bool:
    """Whether an in-place op on ``x`` with these arguments is recorded."""
    if not _mode.enabled:
        return False
    if x._requires_grad:
        return True
    return any(isinstance(a, Tensor) and a._requires_grad
               for a in (*args, *(kwargs.values() if kwargs else ())))


def bump(x) -> None:
    """Note an in-place change of ``x`` (the engine checks versions against it)."""
    x._version += 1
    Tensor._inplace_ops += 1


def check_result(what, x, y) -> None:
    """torch's checks of an in-place result: x's shape, a dtype x can hold."""
    if tuple(y.shape) != tuple(x.shape):
        raise RuntimeError(f"{what}: output with shape {tuple(x.shape)} doesn't match the "
                           f"broadcast shape {tuple(y.shape)}")
    if _CATEGORY[y.dtype.kind] > _CATEGORY[x.dtype.kind]:
        raise RuntimeError(f"{what}: result type {y.dtype} can't be cast to the desired "
                           f"output type {x.dtype}")


def apply(x, what, fn, args=(), kwargs=None, relayout=False):
    """``x`` overwritten with ``fn(x, *args, **kwargs)`` (an out-of-place Tensor op): the
    body of every ``x.<op>_(...)``. ``what`` names the op in errors. ``relayout``: fn is a
    view op (``t_``, ``unsqueeze_``, ...) and x takes its result's shape and array."""
    kwargs = kwargs or {}
    if not is_tracked(x, args, kwargs):
        with no_grad():
            y = fn(x, *args, **kwargs)
        if relayout:
            x._data = y._data
        else:
            check_result(what, x, y)
            x._data[...] = y._data
        bump(x)
        return x
    old = detach_history(x, what)
    args = tuple(old if a is x else a for a in args)          # x.mul_(x): the old x twice
    kwargs = {k: old if v is x else v for k, v in kwargs.items()}
    y = fn(old, *args, **kwargs)
    if relayout:
        y = y.clone() if y is old else y
        x._data = y._data.copy()
        bump(x)
        adopt(x, y)
        return x
    check_result(what, x, y)
    if y is old or any(y is a for a in (*args, *kwargs.values())):
        y = y.clone()            # x must become the output of a node of its own
    if y.dtype != x.dtype:
        y = y.to(x.dtype)
    bump(x)
    x._data[...] = y._data
    adopt(x, y)
    return x


def detach_history(x, what):
    """A new Tensor that takes x's place in the graph, with a copy of x's values: the input
    of the in-place op about to be recorded on x."""
    if x._ctx is None and x._requires_grad:
        raise RuntimeError(f"{what}: a leaf tensor that requires grad is being used in an "
                           f"in-place operation; write it under pg.no_grad(), or on a clone()")
    ctx = x._ctx
    if ctx is not None and _is_view(x, ctx):
        raise RuntimeError(f"{what}: this tensor is a view of another tensor in the graph, "
                           f"and in-place changes to views are not recorded; clone() it first")
    old = Tensor._make(x._data.copy(), x.device, x._requires_grad)
    old._version = x._version
    if ctx is not None:
        old._ctx = ctx
        ctx._output = _weakref(old)
    _remember(x, old)
    return old


def _remember(x, old) -> None:
    entry = _history.get(id(x))
    if entry is None or entry[0]() is not x:          # none yet, or a dead tensor's id
        entry = _history[id(x)] = (_weakref(x, _forget(id(x))), [])
    changes = entry[1]
    changes[:] = [c for c in changes if c[1]() is not None]
    changes.append((Tensor._inplace_ops, _weakref(old)))


def _forget(key):
    def callback(ref):
        entry = _history.get(key)
        if entry is not None and entry[0] is ref:
            del _history[key]
    return callback


def rebase(node) -> None:
    """Give ``node`` (recorded when the in-place counter read ``node._epoch``) the tensors it
    really used: an input written in place since then is replaced by the tensor that took
    its values at the first such write. Called by the engine's graph walk for nodes recorded
    before some in-place write."""
    epoch = node._epoch
    inputs = node.inputs
    replaced = None
    for i, t in enumerate(inputs):
        entry = _history.get(id(t))
        if entry is None or entry[0]() is not t:
            continue
        for when, ref in entry[1]:
            if when >= epoch:
                old = ref()
                if old is not None:
                    if replaced is None:
                        replaced = list(inputs)
                    replaced[i] = old
                break
    if replaced is not None:
        node.inputs = tuple(replaced)


def adopt(x, y) -> None:
    """Make ``x`` (already holding y's values) the output of the op that produced ``y``."""
    node = y._ctx
    if node is None:             # the result does not depend differentiably on anything
        x._ctx, x._requires_grad = None, False
        return
    node._output = _weakref(x)
    node._vsum += x._version     # the output's version is part of the node's check
    node._output_hooked = x._hooks is not None
    x._ctx, x._requires_grad = node, True


def _is_view(x, ctx) -> bool:
    """Whether x's array shares memory with an input of the op that made it."""
    if ctx.inputs is None:
        return False
    from ..backend.reference import get_xp
    xp = get_xp(x._data)
    for t in ctx.inputs:
        a = getattr(t, "_data", None)
        if a is not None and a.size and xp.may_share_memory(a, x._data):
            return True
    return False
