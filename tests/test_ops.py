"""Every op checked three ways (tests/_check.py) over broadcasting shapes, on every device."""
import numpy as np
import pytest
from _check import check_op, torch

import pygrad as pg
import pygrad.nn.functional as F

BROADCAST_PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((3, 4), ()),
                   ((1,), (2, 3)), ((5, 1), (1, 6))]

UNARY = {
    "neg": (lambda x: -x, False),
    "exp": (lambda x: x.exp(), False),
    "log": (lambda x: x.log(), True),
    "sqrt": (lambda x: x.sqrt(), True),
    "abs": (lambda x: x.abs(), False),
    "relu": (lambda x: x.relu(), False),
    "tanh": (lambda x: x.tanh(), False),
    "sigmoid": (lambda x: x.sigmoid(), False),
    "clamp": (lambda x: x.clamp(-0.5, 0.7), False),
    "clamp_min": (lambda x: x.clamp(min=0.1), False),
    "square": (lambda x: x ** 2, False),
    "pow_frac": (lambda x: x ** 1.5, True),
    "rpow": (lambda x: 2.0 ** x, False),
    "rsub": (lambda x: 3 - x, False),
    "rdiv": (lambda x: 2 / x, True),
    "scalar_ops": (lambda x: (x * 3 + 1) / 4 - 0.5, False),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 4)])
def test_unary(name, shape, device):
    fn, positive = UNARY[name]
    check_op(fn, [shape], device, positive=positive)


BINARY = {
    "add": (lambda a, b: a + b, False),
    "sub": (lambda a, b: a - b, False),
    "mul": (lambda a, b: a * b, False),
    "div": (lambda a, b: a / b, True),
    "pow": (lambda a, b: a ** b, True),
    "maximum": (lambda a, b: pg.maximum(a, b) if isinstance(a, pg.Tensor) else
                torch.maximum(a, b), False),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", BROADCAST_PAIRS, ids=str)
def test_binary_broadcasting(name, shapes, device):
    fn, positive = BINARY[name]
    check_op(fn, list(shapes), device, positive=positive)


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_family(op, dim, device):
    check_op(lambda x: getattr(x, op)(dim), [(4, 5, 6)], device)
    check_op(lambda x: getattr(F if isinstance(x, pg.Tensor) else torch.nn.functional, op)(
        x, dim=dim), [(3, 33)], device)


REDUCTIONS = ["sum", "mean", "logsumexp"]


@pytest.mark.parametrize("op", REDUCTIONS)
@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (-1, True), ((0, 2), False),
                                         ((1, 2), True)])
def test_reductions(op, dim, keepdim, device):
    if op == "logsumexp" and dim is None:
        fn = lambda x: x.logsumexp(dim=(0, 1, 2))  # noqa: E731 - torch needs explicit dims
    else:
        fn = lambda x: getattr(x, op)(dim=dim, keepdim=keepdim) if dim is not None \
            else getattr(x, op)()  # noqa: E731
    check_op(fn, [(3, 4, 5)], device)


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_with_dim(op, keepdim, device):
    check_op(lambda x: getattr(x, op)(1, keepdim=keepdim)[0], [(3, 4, 5)], device)
    check_op(lambda x: getattr(x, op)(), [(3, 4)], device)
    x = pg.tensor([[1.0, 5.0, 5.0], [7.0, 2.0, 7.0]], device=device)
    values, indices = getattr(x, op)(dim=1)
    expected = np.array([[1, 5, 5], [7, 2, 7]], dtype=np.float32)
    ref = getattr(expected, op)(axis=1)
    np.testing.assert_array_equal(values.cpu().numpy(), ref)
    np.testing.assert_array_equal(indices.cpu().numpy(),
                                  getattr(expected, "arg" + op)(axis=1))
    assert indices.dtype == pg.int64


def test_max_ties_share_gradient_over_all():
    x = pg.tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 0.5, 0.5])


def test_argmax_argmin(device):
    a = np.random.default_rng(1).standard_normal((4, 6))
    x = pg.tensor(a, device=device)
    assert x.argmax().item() == a.argmax()
    np.testing.assert_array_equal(x.argmax(1).cpu().numpy(), a.argmax(1))
    np.testing.assert_array_equal(pg.argmin(x, 0, keepdim=True).cpu().numpy(),
                                  a.argmin(0)[None])


SHAPE_OPS = {
    "reshape": (lambda x: x.reshape(4, -1), (2, 3, 4)),
    "view": (lambda x: x.view(6, 4) * 2, (2, 3, 4)),
    "transpose": (lambda x: x.transpose(0, 2), (2, 3, 4)),
    "permute": (lambda x: x.permute(2, 0, 1), (2, 3, 4)),
    "T": (lambda x: x.T * 1.0, (3, 5)),
    "squeeze": (lambda x: x.squeeze(1), (3, 1, 4)),
    "squeeze_all": (lambda x: x.squeeze(), (3, 1, 4, 1)),
    "unsqueeze": (lambda x: x.unsqueeze(-1) * 1.0, (3, 4)),
    "flatten": (lambda x: x.flatten(1), (2, 3, 4)),
    "slice": (lambda x: x[1:, ::2], (4, 5)),
    "int_index": (lambda x: x[1], (4, 5)),
    "ellipsis": (lambda x: x[..., 1:3], (2, 3, 4)),
    "none_index": (lambda x: x[:, None] * 1.0, (3, 4)),
}


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_ops(name, device):
    fn, shape = SHAPE_OPS[name]
    check_op(fn, [shape], device)


def test_integer_array_index_scatter_adds(device):
    idx = [0, 2, 2, 1, 2]
    check_op(lambda x: x[idx] if isinstance(x, pg.Tensor) else x[torch.tensor(idx)],
             [(4, 3)], device)
    rows, cols = [0, 1, 1], [2, 0, 0]
    check_op(lambda x: x[rows, cols] if isinstance(x, pg.Tensor)
             else x[torch.tensor(rows), torch.tensor(cols)], [(3, 4)], device)
    x = pg.zeros(3, requires_grad=True, device=device)
    x[pg.tensor([1, 1, 1], device=device)].sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [0, 3, 0])


def test_bool_mask_index(device):
    mask = np.array([True, False, True, True])
    check_op(lambda x: x[mask] if isinstance(x, pg.Tensor) else x[torch.tensor(mask)],
             [(4, 2)], device)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_stack(dim, device):
    def cat(a, b, c):
        mod = pg if isinstance(a, pg.Tensor) else torch
        return mod.cat([a, b * 2, c], dim=dim)

    def stack(a, b, c):
        mod = pg if isinstance(a, pg.Tensor) else torch
        return mod.stack([a, b, c.exp()], dim=dim)

    check_op(cat, [(2, 3), (2, 3), (2, 3)], device)
    check_op(stack, [(2, 3), (2, 3), (2, 3)], device)


def test_cat_uneven_sizes(device):
    def fn(a, b):
        mod = pg if isinstance(a, pg.Tensor) else torch
        return mod.cat([a, b], dim=1)
    check_op(fn, [(2, 3), (2, 5)], device)


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 1), (4,))], ids=str)
def test_where(shapes, device):
    cond = np.random.default_rng(3).random((3, 4)) > 0.5

    def fn(a, b):
        if isinstance(a, pg.Tensor):
            return pg.where(pg.tensor(cond, device=a.device), a, b)
        return torch.where(torch.tensor(cond), a, b)
    check_op(fn, list(shapes), device)


MATMUL_SHAPES = [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)),
                 ((1, 3, 4), (2, 4, 2)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)),
                 ((2, 3, 4), (4,)), ((4,), (2, 4, 3))]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes, device):
    check_op(lambda a, b: a @ b, list(shapes), device)


@pytest.mark.parametrize("xshape", [(5, 4), (2, 3, 4), (4,)])
def test_linear(xshape, device):
    check_op(lambda x, w, b: F.linear(x, w, b) if isinstance(x, pg.Tensor)
             else torch.nn.functional.linear(x, w, b), [xshape, (3, 4), (3,)], device)
    check_op(lambda x, w: F.linear(x, w) if isinstance(x, pg.Tensor)
             else torch.nn.functional.linear(x, w), [xshape, (3, 4)], device)


def test_dtype_promotion_and_cast(device):
    a = pg.ones(3, dtype=pg.float32, device=device, requires_grad=True)
    b = pg.ones(3, dtype=pg.float64, device=device, requires_grad=True)
    c = a * b
    assert c.dtype == pg.float64
    c.sum().backward()
    assert a.grad.dtype == pg.float32 and b.grad.dtype == pg.float64
    assert (a * 2.5).dtype == pg.float32          # Python scalars take the tensor's dtype
    x = pg.tensor([1.0, 2.0], device=device, requires_grad=True)
    x.double().sum().backward()
    assert x.grad.dtype == pg.float32


def test_var_std_against_numpy(device):
    a = np.random.default_rng(2).standard_normal((4, 5))
    x = pg.tensor(a, dtype=pg.float64, device=device)
    np.testing.assert_allclose(x.var(1).cpu().numpy(), a.var(1, ddof=1))
    np.testing.assert_allclose(x.std().item(), a.std(ddof=1))


@pytest.mark.skipif(torch is None, reason="torch not installed")
def test_pow_at_zero_matches_torch():
    a = np.array([0.0, 1.5, 2.0])
    for f in (lambda x: x ** 0, lambda x: x ** 2, lambda x: x ** x):
        x = pg.tensor(a, requires_grad=True)
        f(x).sum().backward()
        t = torch.tensor(a, requires_grad=True)
        f(t).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())
    b, e = pg.tensor([0.0, 2.0], requires_grad=True), pg.tensor([2.0, 0.0], requires_grad=True)
    (b ** e).sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), [0.0, np.log(2.0)], rtol=1e-6)


def test_maximum_minimum_split_ties_and_gradcheck(device):
    a = pg.tensor([1.0, 2.0], requires_grad=True, device=device)
    b = pg.tensor([1.0, 0.0], requires_grad=True, device=device)
    pg.maximum(a, b).sum().backward()
    np.testing.assert_allclose(a.grad.cpu().numpy(), [0.5, 1.0])
    np.testing.assert_allclose(b.grad.cpu().numpy(), [0.5, 0.0])
    check_op(lambda x, y: pg.minimum(x, y) if isinstance(x, pg.Tensor) else torch.minimum(x, y),
             [(3, 4), (4,)], device)


def test_logsigmoid(device):
    check_op(lambda x: F.logsigmoid(x) if isinstance(x, pg.Tensor)
             else torch.nn.functional.logsigmoid(x), [(4, 5)], device)
    x = pg.zeros(2, requires_grad=True, device=device)
    F.logsigmoid(x).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [0.5, 0.5])


def test_result_dtypes_follow_torch():
    x = pg.ones(3)
    n = pg.tensor([1, 2, 3])
    assert (np.float64(2.0) * x).dtype == pg.float32
    assert (x / np.sqrt(4.0)).dtype == pg.float32
    assert (x * n).dtype == pg.float32 and (n * x).dtype == pg.float32
    assert (n / 2).dtype == pg.float32 and (n / n).dtype == pg.float32
    assert (x / (n > 1).sum()).dtype == pg.float32
    assert n.exp().dtype == pg.float32
    assert pg.where(n > 1, 1.0, 0.0).dtype == pg.float32
    assert (n * 2).dtype == pg.int64


def test_zero_dim_reductions_and_softmax():
    x = pg.tensor(3.0, requires_grad=True)
    assert x.sum(0).item() == 3.0 and x.mean(-1).item() == 3.0
    values, index = x.max(0)
    assert values.item() == 3.0 and index.item() == 0
    assert x.softmax(-1).item() == 1.0 and x.log_softmax(0).item() == 0.0
    x.sum(0).backward()
    assert x.grad.item() == 1.0


def test_small_torch_conventions():
    assert np.isnan(pg.tensor([2.0]).var().item())
    assert pg.ones(2, 3).sum(np.int64(1)).shape == (2,)
    with pytest.raises(RuntimeError, match="new leading dimension"):
        pg.ones(3).expand(-1, 3)
    with pytest.raises(RuntimeError, match="cannot expand"):
        pg.ones(3).expand(2, 4)
    with pytest.raises(RuntimeError, match=r"^Add: .*\(2,\).*\(3,\)"):
        pg.ones(2) + pg.ones(3)
