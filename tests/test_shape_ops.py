"""narrow, select, split, chunk, unbind, index_select, gather, roll, tril, triu, repeat, tile,
swapaxes, expand_as and broadcast_to against torch: values, shapes, gradients with a random
upstream gradient, double backward where it applies, and torch's exception classes."""
import numpy as np
import pytest

import pygrad as pg

torch = pytest.importorskip("torch")

A = np.random.default_rng(0).standard_normal((3, 4, 5))
IDX = np.array([[[0, 2, 1, 1, 0]], [[1, 1, 1, 0, 2]], [[2, 0, 0, 1, 1]]])   # (3, 1, 5), dim 1
CASES = {
    "narrow": lambda m, x: x.narrow(1, 1, 2) * 2,
    "narrow_neg": lambda m, x: m.narrow(x, -1, -3, 3),
    "select": lambda m, x: x.select(2, -1).sum() + m.select(x, 0, 1),
    "split_size": lambda m, x: m.cat([t * (i + 1) for i, t in enumerate(x.split(2, 1))], 1),
    "split_list": lambda m, x: x.split([1, 3, 1], dim=2)[1] * 3,
    "chunk": lambda m, x: m.stack([t.sum() for t in x.chunk(3, -1)]),
    "unbind": lambda m, x: m.stack([t * i for i, t in enumerate(x.unbind(1))], 0),
    "index_select": lambda m, x: x.index_select(2, m.tensor([4, 0, 0, 2])),
    "gather": lambda m, x: x.gather(1, m.tensor(IDX)),
    "gather_small": lambda m, x: m.gather(x, 2, m.tensor(IDX[:2, :, :3])),
    "roll": lambda m, x: x.roll(2, 1) + m.roll(x, (-1, 3), (0, 2)),
    "roll_flat": lambda m, x: x.roll(7),
    "tril": lambda m, x: x.tril() + m.tril(x, -1) * 2,
    "triu": lambda m, x: x.triu(1) + m.triu(x, -2) * 2,
    "repeat": lambda m, x: x.repeat(2, 1, 1, 3),
    "tile": lambda m, x: m.tile(x, (2, 1)),
    "swapaxes": lambda m, x: x.swapaxes(0, 2) * m.swapdims(x, 2, 0),
    "expand_as": lambda m, x: x[:, :1].expand_as(x) * m.broadcast_to(x[0], (2, 4, 5)).sum(),
}


def _np(t):
    return t.detach().numpy(force=True) if isinstance(t, torch.Tensor) else t.numpy()


def _run(lib, fn, create_graph=False):
    x = lib.tensor(A, dtype=lib.float64, requires_grad=True)
    y = fn(lib, x)
    g = lib.tensor(np.random.default_rng(1).standard_normal(tuple(y.shape)), dtype=lib.float64)
    if not create_graph:
        y.backward(g)
        return _np(y), _np(x.grad)
    gx, = lib.autograd.grad(y, x, g, create_graph=True)
    (gx * gx).sum().backward()
    return _np(gx), (np.zeros(A.shape) if x.grad is None else _np(x.grad))


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    p, t = _run(pg, CASES[name]), _run(torch, CASES[name])
    assert p[0].shape == t[0].shape
    for u, v in zip(p, t):
        np.testing.assert_allclose(u, v, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["gather", "roll", "tril", "repeat", "index_select"])
def test_double_backward_matches_torch(name):
    fn = CASES[name]

    def wrapped(m, x):            # a gradient that depends on x
        return fn(m, x * x)
    p, t = _run(pg, wrapped, True), _run(torch, wrapped, True)
    for u, v in zip(p, t):
        np.testing.assert_allclose(u, v, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("call", [
    lambda m: m.ones(3).narrow(0, 2, 2), lambda m: m.ones(3).select(0, 3),
    lambda m: m.ones(4).split([1, 2]), lambda m: m.ones(4).chunk(0),
    lambda m: m.ones(2, 3).gather(1, m.tensor([[0, 3]])),
    lambda m: m.ones(2, 3).gather(1, m.tensor([[0.0, 1.0]])),
    lambda m: m.ones(3).tril(), lambda m: m.ones(2, 3).repeat(2),
    lambda m: m.ones(2, 3).roll((1, 2), (0,)),
    lambda m: m.ones(2, 3).index_select(2, m.tensor([0])),
])
def test_bad_arguments_raise_torchs_class(call):
    with pytest.raises(Exception) as te:
        call(torch)
    with pytest.raises(type(te.value)):
        call(pg)
