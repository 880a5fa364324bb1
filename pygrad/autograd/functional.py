"""torch.autograd.functional: derivatives of a function rather than of a recorded graph.

``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``hvp`` and ``vhp`` with torch's signatures and
return structure: a function of one Tensor (or of a tuple of Tensors) returning one Tensor
(or a tuple). Each is built from reverse mode (``autograd.grad``): a Jacobian takes one
backward pass per output element, and ``jvp`` uses the double-vjp trick (the vjp is linear
in its upstream vector, so differentiating it once more gives J·v). ``vectorize`` and
``strategy`` are accepted and change nothing: the passes run one after another.
"""
from __future__ import annotations

from .engine import grad as _grad
from .grad_mode import enable_grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _tuple(x, what):
    from ..tensor import Tensor
    if isinstance(x, Tensor):
        return (x,), False
    if isinstance(x, (tuple, list)) and all(isinstance(t, Tensor) for t in x):
        return tuple(x), True
    raise TypeError(f"{what}: expected a Tensor or a tuple of Tensors, got {type(x).__name__}")


def _prepare(inputs, create_graph):
    """Leaves to differentiate with respect to: detached copies that require grad (the
    caller's tensors, linked to their graph, when create_graph)."""
    out = []
    for t in inputs:
        if create_graph and t.requires_grad:
            out.append(t.view_as(t))
        else:
            out.append(t.detach().requires_grad_(t.dtype.kind == "f"))
    return tuple(out)


def _grads(outputs, inputs, grad_outputs, create_graph):
    """Gradients of ``outputs`` · ``grad_outputs`` for each input; zeros where unused."""
    from ..tensor import zeros_like
    used = [o for o in outputs if o.requires_grad]
    if not used:
        return tuple(zeros_like(x) for x in inputs)
    gos = [g for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    gs = _grad(used, inputs, gos, retain_graph=True, create_graph=create_graph,
               allow_unused=True)
    return tuple(zeros_like(x) if g is None else g for g, x in zip(gs, inputs))


def _wrap(values, is_tuple):
    return values if is_tuple else values[0]


def _detach_all(ts, create_graph):
    return ts if create_graph else tuple(t.detach() for t in ts)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), vᵀ·J)``: the outputs and the vector-Jacobian product."""
    inputs, in_tuple = _tuple(inputs, "vjp: inputs")
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        outs, out_tuple = _tuple(func(*xs), "vjp: func's output")
        vs = _vectors(v, outs, "vjp", "the output of func")
        gs = _grads(outs, xs, vs, create_graph)
    return _wrap(_detach_all(outs, create_graph), out_tuple), \
        _wrap(_detach_all(gs, create_graph), in_tuple)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J·v)``: the outputs and the Jacobian-vector product."""
    from ..tensor import zeros_like
    inputs, in_tuple = _tuple(inputs, "jvp: inputs")
    vs = _vectors(v, inputs, "jvp", "the input to func")
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        outs, out_tuple = _tuple(func(*xs), "jvp: func's output")
        us = tuple(zeros_like(o).requires_grad_() for o in outs)       # vjp is linear in u
        gs = _grads(outs, xs, us, create_graph=True)
        pairs = [(g, w) for g, w in zip(gs, vs) if g.requires_grad]
        if pairs:
            jv = _grad([g for g, _ in pairs], us, [w for _, w in pairs], retain_graph=True,
                       create_graph=create_graph, allow_unused=True)
            jv = tuple(zeros_like(o) if j is None else j for j, o in zip(jv, outs))
        else:
            jv = tuple(zeros_like(o) for o in outs)
    return _wrap(_detach_all(outs, create_graph), out_tuple), \
        _wrap(_detach_all(jv, create_graph), out_tuple)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for one input and one output a Tensor of
    shape ``output.shape + input.shape``; otherwise tuples indexed [output][input] (or just
    [input] / [output] when only that side is a tuple), as torch."""
    from ..ops.shape import stack
    from ..tensor import zeros
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f'jacobian: expected strategy to be either "forward-mode" or '
                         f'"reverse-mode", got {strategy!r}')
    inputs, in_tuple = _tuple(inputs, "jacobian: inputs")
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        outs, out_tuple = _tuple(func(*xs), "jacobian: func's output")
        table = []
        for o in outs:
            flat = o.reshape(-1)
            rows = [[] for _ in xs]
            for k in range(flat.numel()):
                gs = _grads((flat[k],), xs, (None,), create_graph) if flat.requires_grad \
                    else tuple(zeros(x.shape, dtype=x.dtype, device=x.device) for x in xs)
                for j, g in enumerate(gs):
                    rows[j].append(g)
            row = []
            for j, x in enumerate(xs):
                if rows[j]:
                    jac = stack(rows[j]).reshape(tuple(o.shape) + tuple(x.shape))
                else:                                       # an empty output
                    jac = zeros(tuple(o.shape) + tuple(x.shape), dtype=x.dtype,
                                device=x.device)
                row.append(jac if create_graph else jac.detach())
            table.append(tuple(row))
    if not out_tuple:
        return _wrap(table[0], in_tuple)
    return tuple(_wrap(r, in_tuple) for r in table)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of the scalar function ``func`` at ``inputs``: shape ``input.shape * 2``
    for one input, tuples [i][j] for several."""
    inputs, in_tuple = _tuple(inputs, "hessian: inputs")

    def gradient(*xs):
        out = func(*xs)
        from ..tensor import Tensor
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError("hessian: the function given to hessian should return a "
                               "single Tensor with one element")
        gs = _grads((out.reshape(()),), xs, (None,), create_graph=True)
        return gs if in_tuple else gs[0]

    return jacobian(gradient, inputs if in_tuple else inputs[0], create_graph=create_graph)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), vᵀ·H)`` for a scalar function."""
    return _hessian_product(func, inputs, v, create_graph, "vhp")


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H·v)`` for a scalar function (H is symmetric: the same as vhp for
    functions twice continuously differentiable)."""
    return _hessian_product(func, inputs, v, create_graph, "hvp")


def _hessian_product(func, inputs, v, create_graph, what):
    from ..tensor import Tensor
    inputs, in_tuple = _tuple(inputs, f"{what}: inputs")
    vs = _vectors(v, inputs, what, "the input to func")
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        out = func(*xs)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError(f"{what}: the function given to {what} should return a "
                               f"single Tensor with one element")
        gs = _grads((out.reshape(()),), xs, (None,), create_graph=True)
        pairs = [(g, w) for g, w in zip(gs, vs) if g.requires_grad]
        hv = _grads(tuple(g for g, _ in pairs), xs, tuple(w for _, w in pairs),
                    create_graph) if pairs else _grads((), xs, (), create_graph)
    out = out if create_graph else out.detach()
    return out, _wrap(_detach_all(hv, create_graph), in_tuple)


def _vectors(v, like, what, side):
    """``v`` as a tuple shaped like the tensors ``like``; None means ones, allowed (as torch)
    only when every one of them has a single element."""
    from ..tensor import ones_like
    if v is None:
        if any(t.numel() != 1 for t in like):
            raise RuntimeError(f"{what}: v can only be None if {side} has a single element")
        return tuple(ones_like(t) for t in like)
    vs, _ = _tuple(v, f"{what}: v")
    _check_like(vs, like, f"{what}: v")
    return vs


def _check_like(vs, ref, what):
    if len(vs) != len(ref):
        raise RuntimeError(f"{what}: expected {len(ref)} tensors, got {len(vs)}")
    for i, (a, b) in enumerate(zip(vs, ref)):
        if tuple(a.shape) != tuple(b.shape):
            raise RuntimeError(f"{what}: entry {i} has shape {tuple(a.shape)}, expected "
                               f"{tuple(b.shape)}")
