"""Tensor attributes and calling conventions torch code relies on, against torch: Size, T / mT /
H / mH, keyword names of the shape methods, view(dtype), the reductions' dim / axis / dtype /
input= forms and pg.var's argument order."""
import numpy as np
import pytest

import pygrad as pg

torch = pytest.importorskip("torch")

A = np.arange(24.0).reshape(2, 3, 4)


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def test_size_is_a_tuple_with_numel():
    p, t = pg.tensor(A), torch.tensor(A)
    assert p.shape == t.shape == (2, 3, 4) and p.size() == tuple(t.size())
    assert p.shape.numel() == t.shape.numel() == 24
    assert isinstance(p.shape, tuple) and isinstance(p.shape, pg.Size)
    assert isinstance(p.shape[1:], pg.Size) and p.shape[1:] == (3, 4)
    assert p.shape[-1] == 4 and p.size(1) == t.size(1) and p.size(-1) == 4
    assert repr(p.shape) == "pygrad.Size([2, 3, 4])"
    assert np.zeros(p.shape).shape == (2, 3, 4)


CALLS = {
    "T": lambda m, x: x[0].T,
    "mT": lambda m, x: x.mT,
    "H": lambda m, x: x[1].H,
    "mH": lambda m, x: x.mH,
    "reshape_kw": lambda m, x: x.reshape(shape=(4, 6)),
    "view_kw": lambda m, x: x.view(size=(6, 4)),
    "permute_kw": lambda m, x: x.permute(dims=(2, 0, 1)),
    "expand_kw": lambda m, x: x[:, :1].expand(size=(2, 3, 4)),
    "repeat_kw": lambda m, x: x.repeat(repeats=(1, 2, 1)),
    "sum_axis": lambda m, x: x.sum(axis=1),
    "sum_dtype": lambda m, x: x.sum(dim=(0, 2), dtype=m.float32),
    "sum_input_kw": lambda m, x: m.sum(input=x, dim=-1, keepdim=True),
    "mean_axis": lambda m, x: x.mean(axis=(0, 1)),
    "max_axis": lambda m, x: x.max(axis=2).values,
    "argmax_axis": lambda m, x: x.argmax(axis=0),
    "var_positional": lambda m, x: m.var(x, 1, False, True),
    "std_positional": lambda m, x: x.std(2, True, False),
    "var_correction": lambda m, x: x.var(dim=0, correction=0),
    "logsumexp_axis": lambda m, x: x.logsumexp(axis=1),
    "amax_axis": lambda m, x: x.amax(axis=(0, 2)),
    "all_axis": lambda m, x: (x > 3).all(axis=1),
    "cumsum_axis": lambda m, x: x.cumsum(axis=2),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_calls_match_torch(name):
    p = CALLS[name](pg, pg.tensor(A, requires_grad=True))
    t = CALLS[name](torch, torch.tensor(A, requires_grad=True))
    assert tuple(p.shape) == tuple(t.shape)
    assert str(p.dtype) == str(t.dtype).replace("torch.", "")
    np.testing.assert_allclose(_np(p), _np(t), rtol=1e-12)
    if t.requires_grad:
        g = np.random.default_rng(0).standard_normal(tuple(t.shape))
        xp, xt = pg.tensor(A, requires_grad=True), torch.tensor(A, requires_grad=True)
        CALLS[name](pg, xp).backward(pg.tensor(g, dtype=p.dtype))
        CALLS[name](torch, xt).backward(torch.tensor(g, dtype=t.dtype))
        np.testing.assert_allclose(xp.grad.numpy(), xt.grad.numpy(), rtol=1e-12)


def test_view_dtype_reinterprets_bytes():
    a = np.array([[1.5, -2.0], [0.25, 8.0]], dtype=np.float32)
    for d in ("int32", "uint8", "int16"):
        p = pg.tensor(a).view(getattr(pg, d))
        t = torch.tensor(a).view(getattr(torch, d))
        assert tuple(p.shape) == tuple(t.shape)
        np.testing.assert_array_equal(p.numpy(), t.numpy())
    with pytest.raises(RuntimeError):
        pg.tensor(a).T.view(pg.uint8)


def test_bad_calls_raise():
    x = pg.tensor(A)
    with pytest.raises(RuntimeError):
        x.H                                     # noqa: B018 - 2-d only, as torch
    with pytest.raises(TypeError):
        x.sum(1, axis=1)
    with pytest.raises(TypeError):
        x.reshape(4, 6, shape=(4, 6))
    with pytest.raises(TypeError):
        x.permute(dim=(0, 1, 2))


def test_range_as_an_index_like_torch():
    for index in ((range(2), [0, 2]), range(1, 2), (slice(None), range(3))):
        p, t = pg.tensor(A), torch.tensor(A)
        np.testing.assert_array_equal(p[index].numpy(), t[index].numpy())
        p[index] = 0.5
        t[index] = 0.5
        np.testing.assert_array_equal(p.numpy(), t.numpy())
