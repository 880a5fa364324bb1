"""layer_norm and gelu (pygrad.ops.normalization) against torch.nn.functional: values and
gradients in float32 and float64 with random upstream gradients, gradcheck and double
backward in float64, the shapes the kernels treat differently (1-element rows, rows that are
not a multiple of the SIMD width, long rows, several normalized dims, no weight or bias),
the threaded paths, the reference backend, and bad arguments."""
import numpy as np
import pytest

import pygrad as pg
from pygrad import backend
from pygrad.backend import cpu as cpu_backend
from pygrad.ops.normalization import gelu, layer_norm

torch = pytest.importorskip("torch")
TF = torch.nn.functional

DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-11, atol=1e-12)}
PG_DTYPE = {np.float32: pg.float32, np.float64: pg.float64}
_cpu = cpu_backend._cpu          # None when pygrad was installed without its C kernels
needs_kernels = pytest.mark.skipif(_cpu is None, reason="the compiled CPU kernels are missing")


@pytest.fixture(params=["default", pytest.param("threaded", marks=needs_kernels)])
def threads(request):
    """The default threading threshold, and every multi-row input threaded (the kernels'
    parallel paths on small inputs)."""
    if request.param == "default":
        yield request.param
        return
    previous = _cpu.set_parallel_min(1)
    yield request.param
    _cpu.set_parallel_min(previous)


def pair(a, requires_grad=True):
    """The same array as a pygrad and a torch tensor (leaves)."""
    return (pg.tensor(a, requires_grad=requires_grad),
            torch.tensor(a, requires_grad=requires_grad))


def close(got, want, dtype, atol=None):
    want = want.detach().numpy() if isinstance(want, torch.Tensor) else want
    got = got.numpy()
    assert got.dtype == np.dtype(dtype) and got.shape == want.shape
    tol = dict(TOL[dtype], **({} if atol is None else {"atol": atol}))
    np.testing.assert_allclose(got, want, equal_nan=True, **tol)


# ----------------------------------------------------------------------------- layer_norm

LN_CASES = [
    ((5,), (5,)),                 # 1-d input: one row
    ((4, 7), (7,)),
    ((2, 3, 17), (17,)),          # rows not a multiple of any SIMD width
    ((3, 4, 5), (4, 5)),          # two normalized dims
    ((2, 3, 2, 5), (3, 2, 5)),    # three
    ((6, 1), (1,)),               # 1-element rows: y = bias
    ((300, 7), (7,)),             # more rows than one accumulation block of gw/gb
    ((3, 1100), (1100,)),         # a row longer than one summation chunk
    ((2, 16, 64), (64,)),
]
AFFINE = ["both", "weight", "bias", "none"]


@pytest.mark.parametrize("affine", AFFINE)
@pytest.mark.parametrize("shape,normalized", LN_CASES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_layer_norm_matches_torch(dtype, shape, normalized, affine, threads):
    rng = np.random.default_rng(len(shape) * 1000 + sum(shape))
    x, tx = pair((rng.standard_normal(shape) * 3 + 2).astype(dtype))
    w = tw = b = tb = None
    if affine in ("both", "weight"):
        w, tw = pair(rng.standard_normal(normalized).astype(dtype))
    if affine in ("both", "bias"):
        b, tb = pair(rng.standard_normal(normalized).astype(dtype))
    gy = rng.standard_normal(shape).astype(dtype)
    y = layer_norm(x, normalized, w, b)
    ty = TF.layer_norm(tx, normalized, tw, tb)
    close(y, ty, dtype)
    y.backward(pg.tensor(gy))
    ty.backward(torch.tensor(gy))
    # 1-element rows: x̂ and the input gradient are 0 up to rstd (1/√eps ≈ 316) times a
    # rounding error of the mean or of gy·w (torch's noise reaches 3e-5 in float32)
    atol = 1e-4 if normalized == (1,) else None
    close(x.grad, tx.grad, dtype, atol)
    for p, tp in ((w, tw), (b, tb)):
        if p is not None:
            close(p.grad, tp.grad, dtype, atol)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_layer_norm_eps_and_constant_rows(dtype):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 9)).astype(dtype)
    a[1] = 3.0                                   # a constant row: variance 0, y = 0
    x, tx = pair(a)
    for eps in (1e-5, 0.5):
        close(layer_norm(x, [9], eps=eps), TF.layer_norm(tx, [9], eps=eps), dtype)
    y = layer_norm(x, 9)                          # an int normalized_shape, as nn.LayerNorm
    assert np.all(y.numpy()[1] == 0)


def test_layer_norm_gradient_parts_are_optional():
    """Only the gradients asked for are computed; x not requiring grad still gives w's."""
    rng = np.random.default_rng(2)
    x = pg.tensor(rng.standard_normal((8, 6)))
    w = pg.tensor(rng.standard_normal(6), requires_grad=True)
    b = pg.tensor(rng.standard_normal(6))
    layer_norm(x, (6,), w, b).sum().backward()
    tx = torch.tensor(x.numpy())
    tw = torch.tensor(w.numpy(), requires_grad=True)
    TF.layer_norm(tx, (6,), tw, torch.tensor(b.numpy())).sum().backward()
    close(w.grad, tw.grad, np.float64)
    assert x.grad is None and b.grad is None


def test_layer_norm_non_contiguous_input():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((7, 5))
    x, tx = pair(a)
    y, ty = layer_norm(x.T, (7,)), TF.layer_norm(tx.T, (7,))
    close(y, ty, np.float64)
    g = rng.standard_normal((5, 7))
    y.backward(pg.tensor(g))
    ty.backward(torch.tensor(g))
    close(x.grad, tx.grad, np.float64)


@needs_kernels
@pytest.mark.parametrize("shape,k", [((6, 8), 1), ((2, 3, 8), 2), ((8,), 1)])
def test_kernel_outputs_are_fresh_arrays_not_views(shape, k):
    """y and gx come back in x's shape as arrays of their own: the engine copies a view
    (array.base set) before making it a leaf's .grad, which would cost a pass."""
    rng = np.random.default_rng(12)
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal(shape[len(shape) - k:]).astype(np.float32)
    y, mean, rstd = cpu_backend.layer_norm(x, w, None, k, 1e-5)
    gx, gw, _ = cpu_backend.layer_norm_bwd(x, x, w, mean, rstd, k, (True, True, False))
    assert y.base is None and gx.base is None and gx.shape == x.shape
    assert gw.shape == w.shape
    assert cpu_backend.gelu_bwd(x, x).base is None and cpu_backend.gelu(x).base is None


def test_layer_norm_empty():
    x, tx = pair(np.zeros((0, 5), dtype=np.float32))
    w, tw = pair(np.ones(5, dtype=np.float32))
    y, ty = layer_norm(x, (5,), w), TF.layer_norm(tx, (5,), tw)
    assert y.shape == tuple(ty.shape) == (0, 5)
    y.sum().backward()
    ty.sum().backward()
    close(w.grad, tw.grad, np.float32)            # zeros: no rows


@pytest.mark.parametrize("affine", ["both", "none"])
def test_layer_norm_gradcheck(affine):
    rng = np.random.default_rng(4)
    x = pg.tensor(rng.standard_normal((3, 2, 5)), requires_grad=True)
    if affine == "both":
        w = pg.tensor(rng.standard_normal((2, 5)), requires_grad=True)
        b = pg.tensor(rng.standard_normal((2, 5)), requires_grad=True)
        assert pg.autograd.gradcheck(lambda x, w, b: layer_norm(x, (2, 5), w, b), (x, w, b))
    else:
        assert pg.autograd.gradcheck(lambda x: layer_norm(x, (2, 5)), (x,))


def test_layer_norm_second_derivatives_gradcheck_1d():
    """Through the recorded backward (create_graph) of a 1-d input (no leading dims): the
    input and weight gradients are themselves differentiable."""
    rng = np.random.default_rng(11)
    x, w, b = (pg.tensor(rng.standard_normal(5), requires_grad=True) for _ in range(3))
    for k in (0, 1):
        assert pg.autograd.gradcheck(
            lambda x, w, b: pg.autograd.grad((layer_norm(x, 5, w, b) ** 2).sum(), [x, w, b],
                                             create_graph=True)[k], (x, w, b))


def test_layer_norm_double_backward_matches_torch():
    rng = np.random.default_rng(5)
    x, tx = pair(rng.standard_normal((4, 6)))
    w, tw = pair(rng.standard_normal(6))
    b, tb = pair(rng.standard_normal(6))
    gy, v = rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    v_w = rng.standard_normal(6)
    y = layer_norm(x, (6,), w, b)
    gx, gw = pg.autograd.grad(y, [x, w], pg.tensor(gy), create_graph=True)
    ((gx * pg.tensor(v)).sum() + (gw * pg.tensor(v_w)).sum()).backward()
    ty = TF.layer_norm(tx, (6,), tw, tb)
    tgx, tgw = torch.autograd.grad(ty, [tx, tw], torch.tensor(gy), create_graph=True)
    ((tgx * torch.tensor(v)).sum() + (tgw * torch.tensor(v_w)).sum()).backward()
    close(x.grad, tx.grad, np.float64)
    close(w.grad, tw.grad, np.float64)


@needs_kernels
def test_layer_norm_weight_and_bias_gradients_do_not_depend_on_threads():
    rng = np.random.default_rng(6)
    a = rng.standard_normal((513, 40)).astype(np.float32)
    g = rng.standard_normal((513, 40)).astype(np.float32)
    w = rng.standard_normal(40).astype(np.float32)
    y, mean, rstd = _cpu.layer_norm_fwd(a, w, None, 1e-5)
    previous = _cpu.set_parallel_min(1)
    try:
        threaded = _cpu.layer_norm_bwd(a, g, w, mean, rstd, True, True, True)
    finally:
        _cpu.set_parallel_min(previous)
    serial = _cpu.layer_norm_bwd(a, g, w, mean, rstd, True, True, True)
    for t, s in zip(threaded, serial):
        np.testing.assert_array_equal(t, s)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_layer_norm_kernels_match_the_reference_backend(dtype):
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(s).astype(dtype) for s in ((5, 3, 8), (3, 8), (3, 8))]
    gy = pg.tensor(rng.standard_normal((5, 3, 8)).astype(dtype))
    results = []
    for name in ("cpu", "reference"):
        with backend.use(name):
            x, w, b = (pg.tensor(a, requires_grad=True) for a in arrays)
            layer_norm(x, (3, 8), w, b).backward(gy)
            results.append([t.numpy() for t in (layer_norm(x, (3, 8), w, b), x.grad, w.grad,
                                                   b.grad)])
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, **TOL[dtype])


@pytest.mark.parametrize("args,kwargs,exc,match", [
    (((2, 3), (4,)), {}, RuntimeError, "expected input with shape"),
    (((2, 3), (2, 3, 1)), {}, RuntimeError, "expected input with shape"),
    (((2, 3), ()), {}, RuntimeError, "at least one dimension"),
    (((2, 3), (3,)), {"weight": (4,)}, RuntimeError, r"expected weight of shape \(3,\)"),
    (((2, 3), (3,)), {"bias": (1, 3)}, ValueError, r"got bias of shape \(1, 3\)"),
    (((2, 3), (3,)), {"weight": "float32"}, RuntimeError, "dtype"),
    (((2, 3), "abc"), {}, TypeError, "must hold ints"),
    (((2, 3), 2.5), {}, TypeError, "normalized_shape"),
    (((2, 3), (3,)), {"eps": "small"}, TypeError, "eps"),
])
def test_layer_norm_bad_arguments(args, kwargs, exc, match):
    shape, normalized = args
    x = pg.randn(*shape, dtype=pg.float64)
    kw = {}
    for k, v in kwargs.items():
        if k in ("weight", "bias"):
            kw[k] = pg.ones(3, dtype=pg.float32) if v == "float32" else pg.ones(*v,
                                                                                dtype=pg.float64)
        else:
            kw[k] = v
    with pytest.raises(exc, match=match):
        layer_norm(x, normalized, **kw)


def test_layer_norm_bad_input_type_and_dtype():
    with pytest.raises(TypeError, match="expected input to be a Tensor"):
        layer_norm(np.ones((2, 3)), (3,))
    with pytest.raises(NotImplementedError, match="layer_norm: not implemented for dtype int64"):
        layer_norm(pg.tensor([[1, 2, 3]]), (3,))
    with pytest.raises(TypeError, match="weight to be a Tensor"):
        layer_norm(pg.ones(2, 3), (3,), np.ones(3))


# ----------------------------------------------------------------------------- gelu

GELU_SHAPES = [(), (1,), (17,), (3, 5), (2, 3, 67), (0, 4), (40000,)]


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("shape", GELU_SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_gelu_matches_torch(dtype, shape, approximate, threads):
    rng = np.random.default_rng(sum(shape) + len(shape))
    x, tx = pair((rng.standard_normal(shape) * 3).astype(dtype))
    gy = rng.standard_normal(shape).astype(dtype)
    y, ty = gelu(x, approximate), TF.gelu(tx, approximate=approximate)
    close(y, ty, dtype)
    y.backward(pg.tensor(gy))
    ty.backward(torch.tensor(gy))
    close(x.grad, tx.grad, dtype)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_gelu_edge_values(dtype, approximate):
    a = np.array([0.0, -0.0, 1e-30, -1e-30, 5.0, -5.0, 10.0, -10.0, 30.0, -30.0, 1e4, -1e4,
                  np.nan], dtype=dtype)
    x, tx = pair(a)
    y, ty = gelu(x, approximate), TF.gelu(tx, approximate=approximate)
    # absolute slack: for x << 0 torch's x·(1 + erf) cancels to 0 where pygrad keeps the tiny
    # value x·erfc(−x/√2)/2
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=TOL[dtype]["rtol"],
                               atol=1e-6, equal_nan=True)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=TOL[dtype]["rtol"],
                               atol=1e-6, equal_nan=True)
    assert gelu(pg.tensor([-100.0], dtype=PG_DTYPE[dtype])).item() <= 0


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_gradcheck_and_double_backward(approximate):
    rng = np.random.default_rng(8)
    a = rng.standard_normal((3, 4)) * 2
    x = pg.tensor(a, requires_grad=True)
    assert pg.autograd.gradcheck(lambda x: gelu(x, approximate), (x,))
    # second derivatives, with respect to x and to the upstream gradient, against torch
    x, tx = pair(a)
    gy, tgy = pair(rng.standard_normal((3, 4)))
    v = rng.standard_normal((3, 4))
    (gx,) = pg.autograd.grad(gelu(x, approximate), [x], gy, create_graph=True)
    (gx * pg.tensor(v)).sum().backward()
    (tgx,) = torch.autograd.grad(TF.gelu(tx, approximate=approximate), [tx], tgy,
                                 create_graph=True)
    (tgx * torch.tensor(v)).sum().backward()
    close(gx, tgx, np.float64)
    close(x.grad, tx.grad, np.float64)
    close(gy.grad, tgy.grad, np.float64)
    # and a third derivative through the recorded backward
    x = pg.tensor(a, requires_grad=True)
    assert pg.autograd.gradcheck(
        lambda x: pg.autograd.grad(gelu(x, approximate).sum(), [x], create_graph=True)[0], (x,))


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_gelu_kernels_match_the_reference_backend(dtype, approximate):
    rng = np.random.default_rng(9)
    a = (rng.standard_normal((4, 33)) * 4).astype(dtype)
    gy = pg.tensor(rng.standard_normal((4, 33)).astype(dtype))
    results = []
    for name in ("cpu", "reference"):
        with backend.use(name):
            x = pg.tensor(a, requires_grad=True)
            y = gelu(x, approximate)
            y.backward(gy)
            results.append((y.numpy(), x.grad.numpy()))
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, **TOL[dtype])


def test_gelu_bad_arguments():
    x = pg.randn(3)
    with pytest.raises(RuntimeError, match="approximate must be 'none' or 'tanh', got 'fast'"):
        gelu(x, approximate="fast")
    with pytest.raises(ValueError, match="approximate"):
        gelu(x, approximate=None)
    with pytest.raises(NotImplementedError, match="gelu: not implemented for dtype int64"):
        gelu(pg.tensor([1, 2]))
    with pytest.raises(TypeError, match="expected input to be a Tensor"):
        gelu([1.0, 2.0])
    if _cpu is not None:
        with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
            _cpu.gelu_fwd(np.ones(3), "erf")


# ----------------------------------------------------------------------------- bench rows

def _bench_cpu():
    import importlib
    try:
        return importlib.import_module("pygrad.bench.cpu")
    except ImportError:
        return importlib.import_module("bench.cpu")


def test_bench_numpy_baselines_match_torch():
    bench = _bench_cpu()
    rng = np.random.default_rng(10)
    x, gy = rng.standard_normal((6, 9)), rng.standard_normal((6, 9))
    w, b = rng.standard_normal(9), rng.standard_normal(9)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = TF.layer_norm(tx, (9,), tw, tb)
    ty.backward(torch.tensor(gy))
    for got, want in zip(bench.numpy_layer_norm_fwd_bwd(x, w, b, gy),
                         (ty, tx.grad, tw.grad, tb.grad)):
        np.testing.assert_allclose(got, want.detach().numpy(), rtol=1e-10, atol=1e-12)
    for approximate in ("none", "tanh"):
        tx = torch.tensor(x, requires_grad=True)
        ty = TF.gelu(tx, approximate=approximate)
        ty.backward(torch.tensor(gy))
        y, gx = bench.numpy_gelu_fwd_bwd(x, gy, approximate)
        np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_bench_rows_run_quick():
    bench = _bench_cpu()
    rows = bench.bench_layer_norm((8, 16), None, 1) + bench.bench_gelu((8, 16), None, 1)
    rows += bench.bench_gelu((8, 16), 2.0, 1, approximate="tanh")
    names = [r["name"] for r in rows]
    assert names == ["layer_norm fwd+bwd", "layer_norm fwd+bwd [kernel only]", "gelu fwd+bwd",
                     "gelu fwd+bwd [kernel only]", "gelu(tanh) fwd+bwd",
                     "gelu(tanh) fwd+bwd [kernel only]"]
    assert all(r["pygrad_ms"] > 0 and r["torch_ms"] > 0 for r in rows)
    assert rows[-2]["target"]["value"] == 2.0


# ----------------------------------------------------------------------------- CUDA kernels
# layer_norm.cu and the gelu entries of elementwise.cu, launched by pygrad/backend/cuda.py's
# own host code (tier, grid, arguments) on the cudasim SIMT emulator beside the repository
# (../shared/tools/cudasim: kernels compiled by g++ with UBSan, guarded device memory), and
# compared with the reference backend. Skipped when the emulator is not there.

_SIM: dict = {}


def _cuda_on_emulator():
    """(simcupy, pygrad/backend/cuda.py loaded against it as a private module); sys.modules
    keeps the real cupy and pygrad.backend.cuda."""
    import importlib.util
    import pathlib
    import shutil
    import sys
    if "backend" in _SIM:
        return _SIM["sim"], _SIM["backend"]
    repo = pathlib.Path(__file__).resolve().parents[1]
    path = repo.parent / "shared" / "tools" / "cudasim" / "simcupy.py"
    if not path.is_file():
        pytest.skip(f"the cudasim emulator is not at {path}")
    try:
        spec = importlib.util.spec_from_file_location("_pygrad_norm_simcupy", path)
        sim = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sim)
    except Exception as e:  # noqa: BLE001  (not Linux/glibc, say)
        pytest.skip(f"the cudasim emulator does not load here: {e}")
    if shutil.which(sim.CXX) is None:
        pytest.skip(f"cudasim compiles kernels with {sim.CXX}, which is not installed")
    saved = {k: sys.modules.get(k) for k in ("cupy", "cupy.cuda")}
    name = "pygrad.backend._cuda_on_cudasim_norm"
    try:
        sim.install()
        spec = importlib.util.spec_from_file_location(name, repo / "pygrad" / "backend" /
                                                      "cuda.py")
        backend = importlib.util.module_from_spec(spec)
        sys.modules[name] = backend
        spec.loader.exec_module(backend)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    _SIM.update(sim=sim, backend=backend)
    return sim, backend


def _host(sim, a):
    return None if a is None else np.asarray(sim.asnumpy(a))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_cuda_layer_norm_kernels_on_the_emulator(dtype):
    sim, cuda = _cuda_on_emulator()
    rng = np.random.default_rng(13)
    tol = TOL[dtype]
    # warp tier with 8 and 32 lanes a row, two normalized dims, the block tier
    for shape, k in [((5, 7), 1), ((3, 33), 1), ((4, 3, 10), 2), ((2, 1030), 1)]:
        for affine in ("both", "none"):
            xh = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
            gyh = rng.standard_normal(shape).astype(dtype)
            ns = shape[len(shape) - k:]
            wh = rng.standard_normal(ns).astype(dtype) if affine == "both" else None
            bh = rng.standard_normal(ns).astype(dtype) if affine == "both" else None
            dev = [None if a is None else sim.asarray(a) for a in (xh, gyh, wh, bh)]
            y, mean, rstd = cuda.layer_norm(dev[0], dev[2], dev[3], k, 1e-5)
            want = backend.get("reference").layer_norm(xh, wh, bh, k, 1e-5)
            for got, exp in zip((y, mean, rstd), want):
                np.testing.assert_allclose(_host(sim, got), exp, **tol)
            need = (True, wh is not None, bh is not None)
            got = cuda.layer_norm_bwd(dev[0], dev[1], dev[2], mean, rstd, k, need)
            exp = backend.get("reference").layer_norm_bwd(xh, gyh, wh, want[1], want[2], k,
                                                          need)
            for i, (g, e) in enumerate(zip(got, exp)):
                assert (g is None) == (e is None)
                if e is not None:
                    np.testing.assert_allclose(_host(sim, g), e, **tol)
                    if i:       # gw, gb: of the normalized shape
                        assert g.shape == ns
    assert ("layer_norm.cu", 0) in cuda._modules, "the kernels ran, not the reference code"
    assert sim.check_canaries() == []


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_cuda_gelu_kernels_on_the_emulator(dtype, monkeypatch):
    sim, cuda = _cuda_on_emulator()
    rng = np.random.default_rng(14)
    reference = backend.get("reference")
    for size in (7, 64):
        for misalign in (0, 1):         # the 16-byte packed path and the scalar one
            xh = (rng.standard_normal(size) * 4).astype(dtype)
            xh[:5] = (0.0, 10.0, -10.0, 30.0, np.nan)
            gyh = rng.standard_normal(size).astype(dtype)
            x = sim.device_array(xh, misalign) if misalign else sim.asarray(xh)
            gy = sim.device_array(gyh, misalign) if misalign else sim.asarray(gyh)
            for approximate in ("none", "tanh"):
                with np.errstate(all="ignore"):
                    np.testing.assert_allclose(_host(sim, cuda.gelu(x, approximate)),
                                               reference.gelu(xh, approximate),
                                               equal_nan=True, **TOL[dtype])
                    np.testing.assert_allclose(_host(sim, cuda.gelu_bwd(x, gy, approximate)),
                                               reference.gelu_bwd(xh, gyh, approximate),
                                               equal_nan=True, **TOL[dtype])
    # strided views (a transpose) run the kernels on contiguous copies, not the reference
    xh = rng.standard_normal((6, 5)).astype(dtype)
    gyh = rng.standard_normal((5, 6)).astype(dtype)
    x, gy = sim.asarray(xh).T, sim.asarray(gyh)
    assert not x.flags.c_contiguous
    want = {a: (reference.gelu(xh.T, a), reference.gelu_bwd(xh.T, gyh, a))
            for a in ("none", "tanh")}

    def refused(*args):
        raise AssertionError("the reference ran instead of the kernel")

    monkeypatch.setattr(cuda.reference, "gelu", refused)
    monkeypatch.setattr(cuda.reference, "gelu_bwd", refused)
    for approximate, (y_want, gx_want) in want.items():
        for got, exp in ((cuda.gelu(x, approximate), y_want),
                         (cuda.gelu_bwd(x, gy, approximate), gx_want)):
            assert got.shape == exp.shape == (5, 6)
            np.testing.assert_allclose(_host(sim, got), exp, **TOL[dtype])
    assert ("elementwise.cu", 0) in cuda._modules
    assert sim.check_canaries() == []
