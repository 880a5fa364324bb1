"""In-place ops in the graph, and ``x.data``, against torch.

Each program below mixes out-of-place and in-place ops on tensors that are part of a graph
(``y.add_(w)``, ``y[i] = v``, ``b += x``, ``y.copy_(...)``, ...). Run in float64 with the
same leaves in pygrad and in torch, it must give torch's values, gradients for a random
upstream gradient, and second derivatives. The refusals are tested too: a leaf that
requires grad, a view of a tensor in the graph, and a saved tensor changed by a write that
nothing recorded.
"""
from __future__ import annotations

import numpy as np
import pytest

import pygrad as pg

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(11)
X = RNG.uniform(0.2, 1.5, (3, 4))
W = RNG.uniform(0.2, 1.5, 4)
GY = RNG.standard_normal((3, 4))
R = RNG.standard_normal((3, 4))


def _chain(m, x, w):
    y = x * 2
    y.add_(w)
    y.mul_(x)
    return y.sub_(w, alpha=0.5)


def _activations(m, x, w):
    y = x * w
    y.clamp_(0.4, 0.95)
    y.mul_(w)
    return y.tanh_()


def _saved_outputs(m, x, w):
    # torch refuses this one (exp and sigmoid save their outputs, which the next op
    # overwrites); pygrad keeps a copy of the old values, so it gives the gradient of the
    # out-of-place program below
    y = x.exp()
    y.sigmoid_()
    y.clamp_(0.6, 0.95)
    return y.mul_(w).tanh_()


def _saved_outputs_ref(m, x, w):
    return (x.exp().sigmoid().clamp(0.6, 0.95) * w).tanh()


def _setitem(m, x, w):
    y = x * 1.5
    y[0] = w * 3
    y[1:, 1] = 0.0
    y[[0, 2], 2:] = w[:2] ** 2
    return y * x


def _augmented(m, x, w):
    b = m.zeros(3, 4, dtype=m.float64)
    b += x
    b *= w
    b -= x * w
    b /= w + 1
    return b.pow_(2)


def _masked(m, x, w):
    y = x.clone()
    y.masked_fill_(x > 0.8, 0.5)
    y.index_put_((m.tensor([0, 2]),), w * 2, accumulate=True)
    return y.addcmul_(x, w, value=0.25)


def _copy_fill(m, x, w):
    y = x * 1
    y.copy_(w.expand(3, 4))
    z = x * 2
    z.zero_()
    u = x + 1
    u.fill_(w.sum())            # a 0-d tensor value: its gradient is the sum of u's
    return y * x + z + u


def _cast(m, x, w):
    b = m.zeros(3, 4, dtype=m.float32)
    b.add_(x)                   # float64 result written into a float32 tensor
    return b.double() * w


def _scan(m, x, w):
    y = x * w
    y.cumsum_(1)
    return y.lerp_(x, 0.3)


PROGRAMS = [_chain, _activations, _setitem, _augmented, _masked, _copy_fill, _cast, _scan]


def _run(m, program, create_graph=False):
    x = m.tensor(X, requires_grad=True)
    w = m.tensor(W, requires_grad=True)
    y = program(m, x, w)
    gy = m.tensor(GY, dtype=y.dtype)
    if not create_graph:
        y.backward(gy)
        return y.detach().double().numpy(), x.grad.numpy(), w.grad.numpy()
    gx, gw = m.autograd.grad(y, (x, w), gy, create_graph=True)
    r = m.tensor(R)
    ggx, ggw = m.autograd.grad((gx * r).sum() + gw.sum(), (x, w))
    return gx.detach().numpy(), ggx.numpy(), ggw.numpy()


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__.strip("_"))
def test_values_and_gradients_match_torch(program):
    ours, theirs = _run(pg, program), _run(torch, program)
    tol = 1e-6 if program is _cast else 1e-12
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_outputs_saved_for_backward_survive_a_later_write():
    ours = _run(pg, _saved_outputs)
    for a, b in zip(ours, _run(torch, _saved_outputs_ref)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        _run(torch, _saved_outputs)          # the reason for the reference program


@pytest.mark.parametrize("program", [_chain, _activations, _setitem, _augmented, _masked],
                         ids=lambda p: p.__name__.strip("_"))
def test_second_derivatives_match_torch(program):
    ours, theirs = _run(pg, program, True), _run(torch, program, True)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_gradcheck_through_in_place_ops():
    x = pg.tensor(X, requires_grad=True)
    w = pg.tensor(W, requires_grad=True)
    for program in (_chain, _setitem, _masked):
        assert pg.autograd.gradcheck(lambda a, b: program(pg, a, b), (x, w))


def test_the_written_tensor_becomes_the_op_output():
    x = pg.tensor(X, requires_grad=True)
    y = x * 2
    before = y._ctx
    assert y.add_(1) is y
    assert y.requires_grad and y._ctx is not before and type(y._ctx).__name__ == "Add"
    b = pg.zeros(3)               # a tensor outside the graph joins it
    assert not b.requires_grad
    b += pg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert b.requires_grad and not b.is_leaf


def test_untracked_writes_stay_plain():
    b = pg.zeros(3)
    v = b._version
    b.add_(1)
    b[0] = 5.0
    b += 1
    assert b.numpy().tolist() == [6.0, 2.0, 2.0] and not b.requires_grad and b._version == v + 3
    w = pg.ones(3, requires_grad=True)
    with pg.no_grad():
        w.mul_(3)                 # the optimizer's case: a leaf that requires grad
        w[1] = 0.0
    assert w.is_leaf and w.requires_grad and w.numpy().tolist() == [3.0, 0.0, 3.0]


def test_refusals_name_the_op_and_the_reason():
    x = pg.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"add_\(\): a leaf tensor that requires grad"):
        x.add_(1)
    with pytest.raises(RuntimeError, match=r"__setitem__: a leaf tensor that requires grad"):
        x[0] = 1.0
    y = x * 2
    with pytest.raises(RuntimeError, match=r"mul_\(\): this tensor is a view of another"):
        y[0].mul_(2)              # a basic index is a view of y
    with pytest.raises(RuntimeError, match=r"view of another"):
        y.reshape(12).add_(1)
    assert x.grad is None


def _consumed_before(m):
    """Ops that used a tensor before it was written in place: they see the old values and
    the old place in the graph (torch links ops to ops; pygrad rebases them)."""
    out = []
    x = m.tensor(X[0, :3], requires_grad=True)
    w = m.tensor(W[:3], requires_grad=True)
    y = x * 2
    z = y + 1
    y.mul_(3)
    (z * m.tensor(GY[0, :3]) + y).sum().backward()
    out.append(x.grad)
    x.grad = None
    y = x * w
    y[1:] = y[1:] * 2 + w[1:]               # reads y, then writes it
    (y * y).sum().backward()
    out += [x.grad, w.grad]
    x.grad = w.grad = None
    b = m.zeros(3, dtype=m.float64)
    z = b + w                               # b is a constant here
    b.add_(x)                               # and joins the graph here
    (z * b).sum().backward()
    out += [x.grad, w.grad]
    return [t.detach().numpy() for t in out]


def test_ops_that_used_a_tensor_before_its_write_see_the_old_one():
    for a, b in zip(_consumed_before(pg), _consumed_before(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_writing_a_tensor_into_itself_and_over_a_saved_output():
    # both refused by torch (its saved-tensor check); pygrad kept the old values
    x = pg.tensor(W, requires_grad=True)
    y = x * 1
    y.mul_(y)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * W, rtol=1e-12)
    x.grad = None
    y = x * 2
    q = y.exp()                             # saves its output...
    y.add_(1)                               # ...which is not y, so y may change
    (q.sum() + (y * y).sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2 * W) + 4 * (2 * W + 1),
                               rtol=1e-12)


def test_an_unrecorded_write_of_a_saved_tensor_still_refuses_backward():
    w = pg.tensor(W, requires_grad=True)
    c = pg.tensor(W)
    y = (w * c).sum()                       # saves c for w's gradient
    c.mul_(2)                               # c does not require grad: nothing kept
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()
    x = pg.tensor(W, requires_grad=True)
    h = x * 2
    y = (h * h).sum()
    with pg.no_grad():
        h.add_(1)                           # under no_grad: not recorded either
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


# ----------------------------------------------------------------------------- x.data

def test_data_is_a_detached_tensor_sharing_memory():
    for m in (pg, torch):
        x = m.tensor(X, requires_grad=True)
        d = x.data
        assert isinstance(d, m.Tensor) and not d.requires_grad and d.is_leaf
        assert d.shape == x.shape and d.dtype == x.dtype
        d.mul_(2)                 # allowed: d does not require grad; x sees the change
        np.testing.assert_array_equal(x.detach().numpy(), 2 * X)
        y = (x.data * x).sum()    # x.data is a constant in the graph
        y.backward()
        np.testing.assert_array_equal(x.grad.numpy(), 2 * X)


def test_data_assignment_swaps_the_array_and_keeps_identity():
    lin = pg.nn.Linear(4, 2)
    opt = pg.optim.SGD(lin.parameters(), lr=0.1)
    w = lin.weight
    lin.weight.data = pg.zeros(2, 4)
    assert lin.weight is w and w.requires_grad and w.numpy().tolist() == [[0.0] * 4] * 2
    lin(pg.ones(1, 4)).sum().backward()
    opt.step()                    # the optimizer still holds the same parameter
    np.testing.assert_allclose(w.numpy(), np.full((2, 4), -0.1), rtol=1e-6)
    w.data = pg.ones(3)           # any shape, as torch
    assert w.shape == (3,)
    with pytest.raises(TypeError, match="data: expected a Tensor, got ndarray"):
        w.data = np.ones(3)


def test_data_updates_as_in_hand_written_sgd():
    for m in (pg, torch):
        m.manual_seed(0)
        p = m.tensor(W, requires_grad=True)
        for _ in range(3):
            loss = (p * p).sum()
            loss.backward()
            p.data -= 0.1 * p.grad.data
            p.grad.data.zero_()
        np.testing.assert_allclose(p.detach().numpy(), W * 0.8 ** 3, rtol=1e-12)


# ----------------------------------------------------------------------------- tensor hooks

def _hooked(m, create_graph=False):
    calls = []
    x = m.tensor(X, requires_grad=True)
    w = m.tensor(W, requires_grad=True)
    hx = x.register_hook(lambda g: calls.append(g.detach().clone()) or g * 2)
    y = x * w
    y.register_hook(lambda g: g + 1)
    y.register_hook(lambda g: None)           # observes only
    y.retain_grad()
    z = (y * y).sin() + x                     # x reaches the output twice: one summed call
    z.backward(m.tensor(GY), create_graph=create_graph)
    out = [x.grad, w.grad, y.grad, calls[0]]
    hx.remove()
    x.grad = None
    (x * 3).sum().backward()
    out.append(x.grad)
    return [t.detach().numpy() for t in out] + [len(calls), y.retains_grad, x.retains_grad]


@pytest.mark.parametrize("create_graph", [False, True])
def test_register_hook_and_retain_grad_match_torch(create_graph):
    ours, theirs = _hooked(pg, create_graph), _hooked(torch, create_graph)
    for a, b in zip(ours[:5], theirs[:5]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    assert ours[5:] == theirs[5:] == [1, True, False]


def test_hooks_apply_in_autograd_grad_and_check_what_they_return():
    for m in (pg, torch):
        x = m.tensor(W, requires_grad=True)
        x.register_hook(lambda g: g * 10)
        gx, = m.autograd.grad((x * x).sum(), x)
        np.testing.assert_allclose(gx.numpy(), 20 * W)
    x = pg.tensor(W, requires_grad=True)
    x.register_hook(lambda g: g[:2])
    with pytest.raises(RuntimeError, match=r"has changed the gradient: shape \(4,\)"):
        (x * x).sum().backward()
    y = pg.tensor(W, requires_grad=True)
    y.register_hook(lambda g: 1.0)
    with pytest.raises(TypeError, match="returned float, expected a Tensor or None"):
        (y * y).sum().backward()
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        pg.ones(3).register_hook(lambda g: g)


# ----------------------------------------------------------------------------- more x.op_()

def _layout_program(m):
    out = []
    a = m.tensor(np.arange(21.0).reshape(7, 3))
    out.append(a.clone().fill_diagonal_(-1, wrap=True))
    out.append(a.clone().fill_diagonal_(-1))
    out.append(m.zeros(3, 5).fill_diagonal_(2))
    out.append(m.zeros(3, 3, 3).fill_diagonal_(1))
    x = m.tensor(X, requires_grad=True)
    y = x * 2
    y.t_()
    y.unsqueeze_(0)
    y.transpose_(1, 2)
    y.squeeze_(0)
    y.tril_(1)
    z = y * 1
    z.fill_diagonal_(0.5)
    (z * m.tensor(GY)).sum().backward()
    out += [z, x.grad]
    e = m.ones(3, 3).triu_(-1)
    e.addmm_(m.ones(3, 2), m.ones(2, 3), beta=2, alpha=0.5)
    out.append(e)
    return [t.detach().numpy() for t in out]


def test_layout_and_matrix_in_place_methods_match_torch():
    for a, b in zip(_layout_program(pg), _layout_program(torch)):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-12)
    t = pg.ones(2, 3)
    assert t.data_ptr() == t.data.data_ptr() == t.numpy().ctypes.data
    with pytest.raises(RuntimeError, match="all dimensions of input must be of equal length"):
        pg.zeros(2, 3, 4).fill_diagonal_(1)
