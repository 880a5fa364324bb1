"""Property tests: broadcasting and reductions against NumPy on random shapes."""
import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import pygrad as pg  # noqa: E402

shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_broadcast_binary_gradients_sum_over_broadcast_axes(data):
    a_shape, b_shape = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4,
                                                                   max_side=4)).input_shapes
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    a = rng.standard_normal(a_shape)
    b = rng.standard_normal(b_shape)
    x = pg.tensor(a, requires_grad=True)
    y = pg.tensor(b, requires_grad=True)
    out = x * y + x - y
    g = rng.standard_normal(out.shape)
    out.backward(pg.tensor(g))
    np.testing.assert_allclose(out.numpy(), a * b + a - b, rtol=1e-12)
    expect_a = np.broadcast_to(g * (b + 1), out.shape)
    expect_b = np.broadcast_to(g * (a - 1), out.shape)

    def reduce_to(arr, shape):
        lead = arr.ndim - len(shape)
        arr = arr.sum(axis=tuple(range(lead)))
        axes = tuple(i for i, n in enumerate(shape) if n == 1)
        return arr.sum(axis=axes, keepdims=True).reshape(shape)
    np.testing.assert_allclose(x.grad.numpy(), reduce_to(expect_a, a_shape), rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(y.grad.numpy(), reduce_to(expect_b, b_shape), rtol=1e-10,
                               atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_reductions_match_numpy(data):
    shape = data.draw(shapes)
    ndim = len(shape)
    dims = None if ndim == 0 else data.draw(st.one_of(
        st.none(), st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True)))
    keepdim = data.draw(st.booleans())
    a = np.random.default_rng(ndim).standard_normal(shape)
    x = pg.tensor(a, requires_grad=True)
    axis = None if dims is None else tuple(dims)
    for name, ref in (("sum", np.sum), ("mean", np.mean)):
        got = getattr(x, name)(dim=axis, keepdim=keepdim if axis is not None else False)
        want = ref(a, axis=axis, keepdims=keepdim if axis is not None else False)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
        got.sum().backward()
        n = a.size if axis is None else int(np.prod([shape[d] for d in axis]))
        np.testing.assert_allclose(x.grad.numpy(), np.full(shape, 1.0 if name == "sum"
                                                           else 1.0 / n), rtol=1e-12)
        x.grad = None
    lse = x.logsumexp(dim=axis if axis is not None else tuple(range(ndim)))
    m = a.max(axis=axis, keepdims=True) if ndim else a
    want = np.log(np.exp(a - m).sum(axis=axis, keepdims=True)) + m
    np.testing.assert_allclose(lse.numpy(), want.reshape(lse.shape), rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=6),
                  elements=st.floats(-50, 50)))
def test_softmax_rows_sum_to_one_and_log_softmax_agrees(a):
    x = pg.tensor(a)
    s = x.softmax(-1).numpy()
    np.testing.assert_allclose(s.sum(-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.exp(x.log_softmax(-1).numpy()), s, rtol=1e-10, atol=1e-300)
