"""The engine's two backward paths agree: each op's array-level ``vjp`` (used when the
backward is not recorded) against its Tensor-op ``backward`` (used with create_graph=True),
on random inputs, upstream gradients and broadcasting shapes, in float64.

Every op class that defines its own ``vjp`` must appear in EXAMPLES, so a fast path cannot
be added without this check.
"""
import numpy as np
import pytest

import pygrad as pg
import pygrad.nn.functional as F
import pygrad.ops.normalization as N
from pygrad.autograd.function import Function


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


# op class name -> (function of tensors, input shapes); inputs are float64, positive where
# the op needs it (log, sqrt)
EXAMPLES = {
    "Einsum": (lambda a, b: pg.einsum("bij,jk->bik", a, b) + pg.einsum("bii->bi", a)[..., None],
               [(2, 3, 3), (3, 4)]),
    "Add": (lambda a, b: a + b, [(3, 4), (4,)]),
    "Sub": (lambda a, b: a - b, [(3, 1), (1, 4)]),
    "Mul": (lambda a, b: a * b, [(2, 3, 4), (3, 1)]),
    "Div": (lambda a, b: a / (b * b + 1), [(3, 4), (3, 4)]),
    "Neg": (lambda a: -a, [(3,)]),
    "Cast": (lambda a: a.float().double() * a, [(3, 2)]),
    "SumTo": (lambda a: pg.ops.math.sum_to(a, (1, 4)) * 2, [(3, 4)]),
    "BroadcastTo": (lambda a: a.expand(2, 3, 4) * 2, [(3, 1)]),
    "Where": (lambda a, b: pg.where(a > 0, a, b), [(3, 4), (4,)]),
    "MatMul": (lambda a, b: a @ b, [(3, 4), (4, 5)]),
    "Linear": (lambda x, w, b: F.linear(x, w, b), [(2, 3, 4), (5, 4), (5,)]),
    "Reshape": (lambda a: a.reshape(6, 2) * 2, [(3, 4)]),
    "Permute": (lambda a: a.permute(2, 0, 1) * 2, [(2, 3, 4)]),
    "GetItem": (lambda a: a[[0, 0, 2], 1:], [(3, 4)]),
    "Sum": (lambda a: a.sum(1) * 2, [(3, 4)]),
    "Exp": (lambda a: a.exp(), [(3, 4)]),
    "Log": (lambda a: a.log(), [(3, 4)]),
    "Sqrt": (lambda a: a.sqrt(), [(3, 4)]),
    "Relu": (lambda a: a.relu(), [(3, 4)]),
    "Tanh": (lambda a: a.tanh(), [(3, 4)]),
    "Sigmoid": (lambda a: a.sigmoid(), [(3, 4)]),
    "Softmax": (lambda a: a.softmax(0), [(3, 4)]),
    "LogSoftmax": (lambda a: a.log_softmax(1), [(3, 4)]),
    "Elementwise": (lambda a: a.sin() * a.tanh() + a.atan(), [(3, 4)]),
    "Round": (lambda a: a.round(decimals=1) * a, [(3, 4)]),
    "Sinc": (lambda a: pg.sinc(a) * a, [(3, 4)]),
    "Binary": (lambda a, b: pg.atan2(a, b) + pg.hypot(a, b) * pg.logaddexp(a, b) +
               pg.remainder(a, b + 5) + pg.fmod(a, 2.5), [(3, 4), (4,)]),
    "RoundedDiv": (lambda a, b: pg.div(a, b, rounding_mode="floor") * a, [(3, 4), (4,)]),
    "CumSum": (lambda a: a.cumsum(1) * a, [(3, 4)]),
    "Flip": (lambda a: a.flip(0, 1) * a, [(3, 4)]),
    "Roll": (lambda a: a.roll((1, -2), (0, 1)) * a, [(3, 4)]),
    "Tile": (lambda a: a.repeat(2, 1, 3) * 2, [(3, 4)]),
    "Triangle": (lambda a: a.tril(-1) * a + a.triu(1), [(3, 4)]),
    "_GatherFull": (lambda a: a.gather(1, pg.tensor([[0, 0, 3], [1, 2, 2], [3, 3, 0]])),
                    [(3, 4)]),
    # (the gradient of gather is a scatter-add, whose own gradient is tested here)
    "_ScatterAddFull": (lambda a: pg.autograd.grad(
        (a.gather(1, pg.tensor([[0, 0, 3], [1, 2, 2], [3, 3, 0]])) * a[:, :3]).sum(), a,
        create_graph=True)[0] * a, [(3, 4)]),
    "LayerNorm": (lambda x, w, b: N.layer_norm(x, (3, 4), w, b) * x, [(2, 3, 4), (3, 4), (3, 4)]),
    "Gelu": (lambda a: N.gelu(a) + N.gelu(a, approximate="tanh") * a, [(3, 4)]),
}
POSITIVE = {"Log", "Sqrt"}


def test_every_op_with_a_fast_path_has_an_example():
    fast = {c.__name__ for c in _subclasses(Function) if "vjp" in c.__dict__}
    assert fast - set(EXAMPLES) == set(), "add these ops to EXAMPLES"
    assert set(EXAMPLES) - fast == set(), "these ops no longer have a vjp"


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_vjp_agrees_with_the_recorded_backward(name):
    fn, shapes = EXAMPLES[name]
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    if name in POSITIVE:
        arrays = [np.abs(a) + 0.5 for a in arrays]
    xs = [pg.tensor(a, dtype=pg.float64, requires_grad=True) for a in arrays]
    y = fn(*xs)
    assert any(type(n).__name__ == name for n in _nodes(y)), f"{name} not in the graph"
    v = pg.tensor(rng.standard_normal(y.shape))
    fast = pg.autograd.grad(y, xs, v, retain_graph=True)
    slow = pg.autograd.grad(y, xs, v, create_graph=True)
    for i, (f, s) in enumerate(zip(fast, slow)):
        assert f.dtype == s.dtype and f.shape == s.shape
        np.testing.assert_allclose(f.numpy(), s.numpy(), rtol=1e-12, atol=1e-14,
                                   err_msg=f"{name}: input {i}")
    # and .backward() (accumulation into .grad) gives the same
    y.backward(v)
    for x, f in zip(xs, fast):
        np.testing.assert_allclose(x.grad.numpy(), f.numpy(), rtol=1e-12, atol=1e-14)


def _nodes(y):
    seen, stack = set(), [y._ctx]
    while stack:
        n = stack.pop()
        if n is None or n in seen:
            continue
        seen.add(n)
        yield n
        stack.extend(t._ctx for t in n.inputs if isinstance(t, pg.Tensor))


def test_unit_seed_is_read_only_and_grads_are_owned():
    x = pg.tensor(2.0, requires_grad=True)
    x.backward()                          # a leaf root: its .grad must be writable
    x.grad.zero_()
    w = pg.ones(3, requires_grad=True)
    (w + w).sum().backward()              # the same array reaches w twice
    w.grad.zero_()
    assert w.grad.tolist() == [0.0, 0.0, 0.0]
    a, b = pg.ones(2, requires_grad=True), pg.ones(2, requires_grad=True)
    (a + b).sum().backward()              # Add hands one array to both inputs
    a.grad.add_(1) if hasattr(a.grad, "add_") else a.grad.fill_(5.0)
    assert b.grad.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("n, wanted", [(3, (1,)), (40, (0, 33, 39))])
def test_needs_input_grad_marks_exactly_the_inputs_that_require_grad(n, wanted):
    """The recorded flags (shared between calls) for few and for many inputs (past the
    first 32, which a bit mask covers), against torch's gradients of the same cat."""
    import torch
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(2) for _ in range(n)]
    xs = [pg.tensor(a, requires_grad=i in wanted) for i, a in enumerate(arrays)]
    ts = [torch.tensor(a, requires_grad=i in wanted) for i, a in enumerate(arrays)]
    y = pg.cat(xs)
    assert y._ctx.needs_input_grad == tuple(i in wanted for i in range(n))
    w = rng.standard_normal(2 * n)
    (y * pg.tensor(w)).sum().backward()
    (torch.cat(ts) * torch.tensor(w)).sum().backward()
    for x, t in zip(xs, ts):
        assert (x.grad is None) == (t.grad is None)
        if t.grad is not None:
            np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    z = pg.cat(xs[:3])                     # the same flags again, from the shared tuples
    assert z._ctx.needs_input_grad == tuple(i in wanted for i in range(3))


def test_a_released_node_drops_its_state_and_refuses_a_second_backward():
    x = pg.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    node = y._ctx
    assert node.requires_grad and len(node.inputs) == 2 and all(t is x for t in node.inputs)
    y.sum().backward()
    assert node.inputs is None and not node.requires_grad and node.needs_input_grad == ()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()
