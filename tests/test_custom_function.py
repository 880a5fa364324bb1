"""pygrad.autograd.Function (torch's custom-Function API) against torch.autograd.Function:
the same subclass bodies run on both libraries; values, gradients, double backward through a
backward written in Tensor ops, several outputs, non-tensor arguments, ctx flags, gradcheck
and the errors torch raises."""
import numpy as np
import pytest

import pygrad as pg

torch = pytest.importorskip("torch")

LIBS = {"pygrad": pg, "torch": torch}


def make_functions(lib):
    """The same custom Functions, written once, built on either library."""

    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, gy):
            y, = ctx.saved_tensors
            return gy * y

    class Legendre3(lib.autograd.Function):            # the classic tutorial's example
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return 0.5 * (5 * x ** 3 - 3 * x)

        @staticmethod
        def backward(ctx, gy):
            x, = ctx.saved_tensors
            return gy * 1.5 * (5 * x ** 2 - 1)

    class MulConstant(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, c, bias):
            ctx.c = c
            return x * c + bias

        @staticmethod
        def backward(ctx, gy):
            return gy * ctx.c, None, None

    class Both(lib.autograd.Function):               # two outputs, two inputs
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y, x + 2 * y

        @staticmethod
        def backward(ctx, g1, g2):
            x, y = ctx.saved_tensors
            return g1 * y + g2, g1 * x + 2 * g2

    class SortLike(lib.autograd.Function):           # a non-differentiable second output
        @staticmethod
        def forward(ctx, x):
            idx = x.argsort(dim=-1)
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return x.gather(-1, idx), idx

        @staticmethod
        def backward(ctx, gy, gidx):
            idx, = ctx.saved_tensors
            return lib.zeros_like(gy).scatter_add(-1, idx, gy)

    class Square(lib.autograd.Function):             # the setup_context style
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, gy):
            x, = ctx.saved_tensors
            return 2 * x * gy

    class Flags(lib.autograd.Function):
        seen = []

        @staticmethod
        def forward(ctx, x, y):
            Flags.seen.append(tuple(ctx.needs_input_grad))
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g, g

    return {"exp": Exp, "legendre": Legendre3, "mul": MulConstant, "both": Both,
            "sort": SortLike, "square": Square, "flags": Flags}


FNS = {name: make_functions(lib) for name, lib in LIBS.items()}

CASES = {
    "exp": lambda F, x, y: F["exp"].apply(x),
    "legendre": lambda F, x, y: F["legendre"].apply(x) * y,
    "mul_constant": lambda F, x, y: F["mul"].apply(x, 2.5, 1.0),
    "both_outputs": lambda F, x, y: sum(o * (i + 1) for i, o in enumerate(F["both"].apply(x, y))),
    "first_output_only": lambda F, x, y: F["both"].apply(x, y)[0],
    "second_output_only": lambda F, x, y: F["both"].apply(x, y)[1] * x,
    "non_differentiable_output": lambda F, x, y: F["sort"].apply(x)[0] * 3,
    "setup_context": lambda F, x, y: F["square"].apply(x - y),
    "composed": lambda F, x, y: F["exp"].apply(F["legendre"].apply(x * 0.5)) + y,
}


def _np(t):
    return t.detach().numpy()


def _run(name, libname, a, b, g):
    lib, F = LIBS[libname], FNS[libname]
    x = lib.tensor(a, requires_grad=True)
    y = lib.tensor(b, requires_grad=True)
    out = CASES[name](F, x, y)
    gx, gy = lib.autograd.grad(out, (x, y), lib.tensor(g), create_graph=True,
                               allow_unused=True)
    grads = [lib.zeros_like(x) if gx is None else gx, lib.zeros_like(y) if gy is None else gy]
    total = sum((gr * (k + 1.5)).sum() for k, gr in enumerate(grads) if gr.requires_grad)
    second = lib.autograd.grad(total, (x, y), allow_unused=True) if torch.is_tensor(total) \
        or isinstance(total, pg.Tensor) else (None, None)
    return out, grads, second


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    g = rng.standard_normal((3, 4))
    p_out, p_grads, p_second = _run(name, "pygrad", a, b, g)
    t_out, t_grads, t_second = _run(name, "torch", a, b, g)
    np.testing.assert_allclose(_np(p_out), _np(t_out), rtol=1e-12)
    for p, t in zip(p_grads, t_grads):
        np.testing.assert_allclose(_np(p), _np(t), rtol=1e-12, atol=1e-14)
    for p, t in zip(p_second, t_second):
        if t is None:
            assert p is None or not np.any(_np(p))
        else:
            np.testing.assert_allclose(_np(p), _np(t), rtol=1e-10, atol=1e-12)


def test_gradcheck():
    F = FNS["pygrad"]
    x = pg.randn(3, 2, dtype=pg.float64, requires_grad=True)
    y = pg.randn(3, 2, dtype=pg.float64, requires_grad=True)
    assert pg.autograd.gradcheck(F["legendre"].apply, (x,))
    assert pg.autograd.gradcheck(lambda a, b: F["both"].apply(a, b)[1], (x, y))


def test_ctx_needs_input_grad_and_no_grad():
    for libname, lib in LIBS.items():
        F = FNS[libname]
        F["flags"].seen.clear()
        x = lib.ones(2, requires_grad=True)
        F["flags"].apply(x, lib.ones(2))
        assert F["flags"].seen == [(True, False)]
        with lib.no_grad():
            out = F["exp"].apply(x)
        assert not out.requires_grad
        assert not F["exp"].apply(lib.ones(2)).requires_grad
        idx = F["sort"].apply(x)[1]
        assert not idx.requires_grad and str(idx.dtype).endswith("int64")


def test_bad_backward_raises_like_torch():
    def make(lib, how):
        class Bad(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, gy):
                if how == "count":
                    return gy, gy
                return gy.sum(0)
        return Bad

    for how in ("count", "shape"):
        for libname, lib in LIBS.items():
            x = lib.ones(3, 2, requires_grad=True)
            with pytest.raises(RuntimeError) as info:
                make(lib, how).apply(x).sum().backward()
            assert ("number of gradients" if how == "count" else "shape") in str(info.value)
