"""The engine: accumulation, graph freeing, higher order, grad mode, autograd.grad."""
import threading

import numpy as np
import pytest

import pygrad as pg


def test_grad_accumulates_across_backward_calls(device):
    x = pg.tensor([1.0, 2.0], device=device, requires_grad=True)
    (x * x).sum().backward()
    (3 * x).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [2 + 3, 4 + 3])


def test_shared_subexpression_sums_gradients(device):
    x = pg.tensor(3.0, device=device, requires_grad=True)
    y = x * x
    z = y + y * x            # x² + x³ -> 2x + 3x² = 33
    z.backward()
    assert x.grad.item() == pytest.approx(33.0)


def test_deep_chain_has_no_recursion_limit():
    x = pg.tensor(1.0, requires_grad=True)
    h = x
    for _ in range(100_000):
        h = h * 1.0 + 0.0
    h.backward()
    assert x.grad.item() == 1.0


def test_graph_is_freed_and_second_backward_raises():
    x = pg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = pg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    g = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * g)


def test_non_scalar_backward_needs_gradient():
    x = pg.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        (x * 2).backward()
    (x * 2).backward(pg.ones(3))
    np.testing.assert_allclose(x.grad.numpy(), [2, 2, 2])


def test_backward_gradient_shape_checked():
    x = pg.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"gradient has shape \(2,\)"):
        (x * 2).backward(pg.ones(2))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        pg.ones(2).sum().backward()


def test_second_derivative(device):
    x = pg.tensor([0.5, -1.5, 2.0], dtype=pg.float64, device=device, requires_grad=True)
    y = (x ** 3).sum()
    (g,) = pg.autograd.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.cpu().numpy(), 3 * x.detach().cpu().numpy() ** 2)
    g.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), 6 * x.detach().cpu().numpy())


def test_second_derivative_of_fused_ops_gradchecks(device):
    x = pg.randn(4, 5, dtype=pg.float64, device=device, requires_grad=True)
    t = pg.tensor([0, 3, 1, 4], device=device)
    y = pg.rand(4, 5, dtype=pg.float64, device=device)
    F = pg.nn.functional

    def grad_of(x):
        loss = (F.cross_entropy(x, t, label_smoothing=0.1) + (x.softmax(1) * y).sum() +
                x.log_softmax(0).sum() + (x.sigmoid() ** 2).sum() +
                F.binary_cross_entropy_with_logits(x, y))
        return pg.autograd.grad(loss, x, create_graph=True)[0]
    assert pg.autograd.gradcheck(grad_of, (x,))


def test_autograd_grad_does_not_touch_dot_grad():
    x = pg.randn(3, requires_grad=True)
    w = pg.randn(3, requires_grad=True)
    (gx,) = pg.autograd.grad((x * w).sum(), x)
    np.testing.assert_allclose(gx.numpy(), w.detach().numpy())
    assert x.grad is None and w.grad is None


def test_autograd_grad_of_intermediate_and_unused():
    x = pg.randn(3, requires_grad=True)
    h = x * 2
    y = (h * h).sum()
    (gh,) = pg.autograd.grad(y, h, retain_graph=True)
    np.testing.assert_allclose(gh.numpy(), 2 * h.detach().numpy())
    z = pg.randn(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="not used"):
        pg.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = pg.autograd.grad(y, [x, z], allow_unused=True)
    assert gz is None and gx is not None


def test_no_grad_and_enable_grad():
    x = pg.randn(2, requires_grad=True)
    with pg.no_grad():
        y = x * 2
        with pg.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.is_leaf
    assert z.requires_grad and not z.is_leaf

    @pg.no_grad()
    def f(a):
        return a * 3
    assert not f(x).requires_grad
    assert pg.is_grad_enabled()


def test_grad_mode_is_thread_local():
    seen = {}
    with pg.no_grad():
        t = threading.Thread(target=lambda: seen.setdefault("other", pg.is_grad_enabled()))
        t.start()
        t.join()
        seen["here"] = pg.is_grad_enabled()
    assert seen == {"other": True, "here": False}


def test_detach_and_leaf_rules():
    x = pg.randn(2, requires_grad=True)
    y = x * 2
    assert x.is_leaf and not y.is_leaf
    d = y.detach()
    assert d.is_leaf and not d.requires_grad
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="floating-point"):
        pg.tensor([1, 2]).requires_grad_()


def test_retain_grad_on_intermediate():
    x = pg.randn(3, requires_grad=True)
    h = x * 2
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.detach().numpy(), rtol=1e-6)


def test_inplace_on_leaf_requiring_grad_refused_outside_no_grad():
    x = pg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad is being used in an in-place"):
        x.fill_(1.0)
    with pg.no_grad():
        x.fill_(1.0)
    np.testing.assert_array_equal(x.numpy(), [1, 1, 1])


def test_gradcheck_catches_a_wrong_gradient():
    class BadSquare(pg.autograd.function.Function):
        def forward(self, x):
            return x * x

        def backward(self, gy):
            return gy * self.inputs[0]          # missing the factor 2

    x = pg.randn(3, dtype=pg.float64, requires_grad=True)
    with pytest.raises(pg.autograd.GradcheckError, match="differs"):
        pg.autograd.gradcheck(lambda a: BadSquare()(a), (x,))
    assert not pg.autograd.gradcheck(lambda a: BadSquare()(a), (x,), raise_exception=False)


def test_function_returning_wrong_shape_is_reported():
    class Bad(pg.autograd.function.Function):
        def forward(self, x):
            return x.sum()

        def backward(self, gy):
            return gy

    x = pg.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"gradient of shape \(\) for an input of shape"):
        Bad()(x).backward()


def test_cast_to_integer_leaves_the_graph():
    x = pg.tensor([1.5, 2.5], requires_grad=True)
    assert not x.long().requires_grad
    (x.long().float() * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 2.0])


def test_writing_a_grad_carrying_value_in_place_is_recorded():
    w = pg.tensor([1.0, 2.0], requires_grad=True)
    out = pg.zeros(2)
    out[0] = (w * 2).sum()
    assert out.requires_grad and out._ctx is not None
    (out * pg.tensor([3.0, 5.0])).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [6.0, 6.0])


def test_in_place_change_of_a_saved_tensor_is_detected():
    w = pg.tensor([1.0, 2.0], requires_grad=True)
    x = pg.tensor([3.0, 4.0])
    y = (w * x).sum()
    x[0] = 100.0
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()
    y = (w * x).sum()          # a fresh graph sees the new value and works
    y.backward()
    np.testing.assert_allclose(w.grad.numpy(), [100.0, 4.0])


def test_grad_of_intermediate_keeps_the_graph_above_it():
    x = pg.tensor([0.5, 1.0], requires_grad=True)
    h = x.exp()
    y = (h * h).sum()
    z = h.sum()
    (gh,) = pg.autograd.grad(y, h)
    np.testing.assert_allclose(gh.numpy(), 2 * h.detach().numpy(), rtol=1e-6)
    z.backward()                                    # exp's node was neither run nor freed
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.5, 1.0]), rtol=1e-6)


def test_leaf_grads_are_their_own_writable_arrays():
    a = pg.tensor([1.0, 2.0], requires_grad=True)
    b = pg.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    assert a.grad is not b.grad
    with pg.no_grad():
        a.grad.zero_()
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])
    g = pg.tensor([5.0, 6.0])
    c = pg.tensor([0.0, 0.0], requires_grad=True)
    (c + 0).backward(g)
    assert c.grad._data is not g._data


def test_retain_grad_accumulates():
    x = pg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    y = (h * h).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(h.grad.numpy(), [8.0, 16.0])


def test_set_grad_enabled_as_a_function_and_no_grad_without_parentheses():
    pg.set_grad_enabled(False)
    try:
        assert not pg.is_grad_enabled()
    finally:
        pg.set_grad_enabled(True)
    assert pg.is_grad_enabled()

    @pg.no_grad
    def f(a):
        return a * 2
    assert not f(pg.ones(2, requires_grad=True)).requires_grad
