"""pg.onnx.export: valid ONNX, onnxruntime agrees with pygrad at any batch size, clear errors."""
import os
import sys

import numpy as np
import pytest

import pygrad as pg
from pygrad.autograd import function

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

nn = pg.nn
HAS_NN = hasattr(nn, "Linear") and hasattr(nn, "Sequential")
needs_nn = pytest.mark.skipif(not HAS_NN, reason="pygrad.nn layers not available")

BATCHES = (1, 7, 64)


# ----------------------------------------------------------------------------- helpers

class Net:
    """A minimal stand-in for nn.Module: parameters, train/eval, a forward function."""

    def __init__(self, forward, **params):
        self.params = params
        self.forward = forward
        self.training = True

    def __call__(self, x):
        return self.forward(self, x)

    def __getattr__(self, name):
        try:
            return self.__dict__["params"][name]
        except KeyError:
            raise AttributeError(name) from None

    def named_parameters(self):
        return iter(self.params.items())

    def train(self, mode=True):
        self.training = mode
        return self

    def eval(self):
        return self.train(False)


def _param(*shape, dtype=pg.float32):
    return pg.randn(*shape, dtype=dtype, requires_grad=True)


def _session(path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def export_and_compare(model, feature_shape, path, dtype=pg.float32, batches=BATCHES,
                       atol=1e-5, **kwargs):
    """Export with a batch of 7, check the model, compare onnxruntime with pygrad."""
    pg.onnx.export(model, pg.randn(7, *feature_shape, dtype=dtype), path, **kwargs)
    loaded = onnx.load(str(path))
    onnx.checker.check_model(loaded, full_check=True)
    sess = _session(path)
    for b in batches:
        x = pg.randn(b, *feature_shape, dtype=dtype)
        (got,) = sess.run(None, {sess.get_inputs()[0].name: x.numpy()})
        with pg.no_grad():
            want = model(x).numpy()
        assert got.dtype == want.dtype
        assert got.shape == want.shape, (b, got.shape, want.shape)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=atol, err_msg=f"batch {b}")
    return loaded


def op_types(model_proto):
    return [n.op_type for n in model_proto.graph.node]


# ----------------------------------------------------------------------------- the seed network

@needs_nn
@pytest.mark.parametrize("head", [None, "softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [pg.float32, pg.float64])
def test_seed_network(tmp_path, head, dtype):
    pg.manual_seed(0)
    layers = [nn.Linear(5, 16), nn.Sigmoid(), nn.Linear(16, 3)]
    if head == "softmax":
        layers.append(nn.Softmax(dim=1))
    elif head == "log_softmax":
        layers.append(nn.LogSoftmax(dim=1))
    model = nn.Sequential(*layers).to(dtype=dtype)
    proto = export_and_compare(model, (5,), tmp_path / "seed.onnx", dtype=dtype)
    expected = ["Gemm", "Sigmoid", "Gemm"] + {None: [], "softmax": ["Softmax"],
                                             "log_softmax": ["LogSoftmax"]}[head]
    assert op_types(proto) == expected
    for node in proto.graph.node:
        if node.op_type == "Gemm":
            assert {a.name: a.i for a in node.attribute}["transB"] == 1
        if node.op_type in ("Softmax", "LogSoftmax"):
            assert node.attribute[0].name == "axis" and node.attribute[0].i == 1
    names = sorted(i.name for i in proto.graph.initializer)
    assert names == ["0.bias", "0.weight", "2.bias", "2.weight"]
    elem = onnx.TensorProto.DOUBLE if dtype == pg.float64 else onnx.TensorProto.FLOAT
    for vi in (proto.graph.input[0], proto.graph.output[0]):
        assert vi.type.tensor_type.elem_type == elem
        assert vi.type.tensor_type.shape.dim[0].dim_param == "batch"
    assert proto.graph.input[0].name == "input" and proto.graph.output[0].name == "output"


@needs_nn
def test_softmax_head_on_other_axis(tmp_path):
    pg.manual_seed(1)
    lin = nn.Linear(4, 6)

    def forward(x):          # x (B, 3, 4): softmax over the middle axis
        return pg.softmax(lin(x), dim=1)

    proto = export_and_compare(forward, (3, 4), tmp_path / "m.onnx")
    assert op_types(proto) == ["Transpose", "MatMul", "Add", "Softmax"]
    assert proto.graph.node[-1].attribute[0].i == 1


# ----------------------------------------------------------------------------- deeper mixes

def _mlp_mix(net, x):
    h = pg.relu(x @ net.w1.T + net.b1)                  # matmul + broadcast add
    h = pg.tanh(h * 0.5 - 1.0) * net.scale              # scalars, broadcast (1, H) tensor
    h = 2.0 / (1.0 + h ** 2) + (-h)                     # reversed scalars, pow, neg
    h = h.clamp(-3.0, 3.0).abs().sqrt() + h.exp().log()  # clamp, abs, sqrt, exp, log
    return pg.nn.functional.linear(h, net.w2, net.b2)


def test_deep_mix_of_elementwise_ops(tmp_path):
    pg.manual_seed(2)
    net = Net(_mlp_mix, w1=_param(8, 4), b1=_param(8), scale=_param(1, 8), w2=_param(3, 8),
              b2=_param(3))
    proto = export_and_compare(net, (4,), tmp_path / "mix.onnx")
    types = op_types(proto)
    assert types[:4] == ["Transpose", "MatMul", "Add", "Relu"]
    assert types[-1] == "Gemm"
    for op in ("Tanh", "Mul", "Sub", "Div", "Pow", "Neg", "Clip", "Abs", "Sqrt", "Exp", "Log"):
        assert op in types
    names = {i.name for i in proto.graph.initializer}
    assert {"w1", "b1", "scale", "w2", "b2"} <= names


def _shape_mix(net, x):
    # x (B, 2, 3)
    y = x.transpose(1, 2)                                # (B, 3, 2)
    y = y @ net.m                                        # (B, 3, 4) batched matmul
    y = y.permute(0, 2, 1).reshape(x.shape[0], 2, 6)     # (B, 2, 6)
    s = y.sum(dim=2, keepdim=True)                       # ReduceSum
    y = y - y.mean(dim=-1, keepdim=True) + s * 0.1       # ReduceMean (Sum then Div)
    y = y.flatten(1)                                     # Flatten(axis=1) -> (B, 12)
    return y.sum(1) + y.mean(1)


def test_deep_mix_of_shape_ops_and_reductions(tmp_path):
    pg.manual_seed(3)
    net = Net(_shape_mix, m=_param(2, 4))
    proto = export_and_compare(net, (2, 3), tmp_path / "shape.onnx")
    types = op_types(proto)
    assert types[:4] == ["Transpose", "MatMul", "Transpose", "Reshape"]
    assert "Flatten" in types and "ReduceMean" in types and "ReduceSum" in types
    reshape = next(n for n in proto.graph.node if n.op_type == "Reshape")
    spec = next(onnx.numpy_helper.to_array(i) for i in proto.graph.initializer
                if i.name == reshape.input[1])
    assert spec.tolist() == [0, 2, 6]     # batch copied, not frozen at 7


@needs_nn
@pytest.mark.parametrize("opset", [13, 17, 18])
def test_module_stack_with_dropout_and_flatten(tmp_path, opset):
    pg.manual_seed(4)
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 10), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(10, 10), nn.Tanh(), nn.Dropout(0.2), nn.Linear(10, 4),
                          nn.LogSoftmax(dim=1))
    model.train()
    model[3].eval()
    pg.onnx.export(model, pg.randn(7, 3, 4), tmp_path / "train.onnx", opset_version=opset)
    assert model.training and [m.training for m in model.modules()].count(False) == 1
    model.eval()     # pygrad's reference output must not drop units either
    proto = export_and_compare(model, (3, 4), tmp_path / "m.onnx", opset_version=opset)
    assert op_types(proto) == ["Flatten", "Gemm", "Relu", "Gemm", "Tanh", "Gemm",
                               "LogSoftmax"]
    assert proto.opset_import[0].version == opset


def test_mean_over_the_batch_stays_a_mean(tmp_path):
    def forward(x):
        centred = x - x.mean(dim=0)                   # a count of 7 must not be frozen in
        return centred * (x * x).mean() + x.sum(0)

    proto = export_and_compare(forward, (5,), tmp_path / "m.onnx")
    assert op_types(proto).count("ReduceMean") == 2
    assert "Div" not in op_types(proto)


def test_reshapes_that_merge_or_add_axes(tmp_path):
    def forward(x):                                   # x (B, 6)
        a = x.reshape(-1, 3)                          # (2B, 3): -1 absorbs the batch
        b = x.unsqueeze(1)                            # (B, 1, 6)
        return a.reshape(-1, 6) * 2 + b.squeeze(1)

    export_and_compare(forward, (6,), tmp_path / "m.onnx")
    flat = tmp_path / "flat.onnx"
    pg.onnx.export(lambda x: x.reshape(-1), pg.randn(7, 6), flat)
    sess = _session(flat)
    x = pg.randn(3, 6)
    np.testing.assert_array_equal(sess.run(None, {"input": x.numpy()})[0], x.numpy().ravel())


def test_broadcast_cat_and_cast(tmp_path):
    bias = pg.randn(1, 4)

    def forward(x):
        y = pg.cat([x, x.expand(x.shape[0], 4) * bias], dim=1)   # Expand, Concat
        return y.double().float() + bias.sum()                   # Cast, Cast

    proto = export_and_compare(forward, (1,), tmp_path / "m.onnx")
    types = op_types(proto)
    assert "Expand" in types and "Concat" in types and types.count("Cast") == 2


def test_linear_on_3d_input_is_matmul_add(tmp_path):
    w, b = _param(5, 4), _param(5)
    proto = export_and_compare(lambda x: pg.nn.functional.linear(x, w, b), (3, 4),
                               tmp_path / "m.onnx")
    assert op_types(proto) == ["Transpose", "MatMul", "Add"]


def test_float64_function_of_tensors(tmp_path):
    w = _param(6, 3, dtype=pg.float64)

    def forward(x):
        return pg.sigmoid(x @ w) * 3 + 1

    proto = export_and_compare(forward, (6,), tmp_path / "m.onnx", dtype=pg.float64,
                               atol=1e-12)
    assert proto.graph.output[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    scalars = [i for i in proto.graph.initializer if not i.dims]
    assert scalars and all(i.data_type == onnx.TensorProto.DOUBLE for i in scalars)


def test_integer_division_promotes_like_numpy(tmp_path):
    pg.onnx.export(lambda x: x / 2, pg.arange(14).reshape(7, 2), tmp_path / "m.onnx")
    sess = _session(tmp_path / "m.onnx")
    x = np.arange(6, dtype=np.int64).reshape(3, 2)
    (got,) = sess.run(None, {"input": x})
    np.testing.assert_allclose(got, x / 2)


# ----------------------------------------------------------------------------- graph shape

def test_several_inputs_and_outputs(tmp_path):
    w = _param(3, 3)

    def forward(a, b):
        h = a @ w + b
        return h.relu(), h.sum(1)

    path = tmp_path / "m.onnx"
    proto = pg.onnx.export(forward, (pg.randn(7, 3), pg.randn(7, 3)), path,
                           input_names=["a", "b"], output_names=["act", "total"])
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    assert [i.name for i in proto.graph.input] == ["a", "b"]
    assert [o.name for o in proto.graph.output] == ["act", "total"]
    sess = _session(path)
    a, b = pg.randn(4, 3), pg.randn(4, 3)
    got = sess.run(None, {"a": a.numpy(), "b": b.numpy()})
    for g, want in zip(got, forward(a, b)):
        np.testing.assert_allclose(g, want.numpy(), rtol=1e-5, atol=1e-6)


def test_identity_and_repeated_outputs(tmp_path):
    path = tmp_path / "m.onnx"
    proto = pg.onnx.export(lambda x: (x, x.tanh(), x.tanh() * 1), pg.randn(7, 2), path)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    x = pg.randn(2, 2)
    out = _session(path).run(None, {"input": x.numpy()})
    np.testing.assert_array_equal(out[0], x.numpy())
    np.testing.assert_allclose(out[1], np.tanh(x.numpy()), rtol=1e-6)
    assert op_types(proto).count("Identity") == 1


def test_static_batch(tmp_path):
    path = tmp_path / "m.onnx"
    proto = pg.onnx.export(lambda x: x.flatten(1).relu(), pg.randn(7, 2, 2), path,
                           dynamic_batch=False)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims] == [7, 2, 2] and not dims[0].dim_param
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)


def test_unused_ops_leave_no_node(tmp_path):
    def forward(x):
        pg.exp(x).logsumexp(1)        # computed, never used: not exported
        return x.relu()

    proto = pg.onnx.export(forward, pg.randn(7, 2), tmp_path / "m.onnx")
    assert op_types(proto) == ["Relu"]


def test_custom_converter(tmp_path):
    from pygrad.ops.reduce import LogSumExp
    from pygrad.onnx import converters

    @pg.onnx.register_converter(LogSumExp)
    def _lse(g, fn, inputs, out):
        (x,) = inputs
        axes = g.ints(fn.axes, "axes")
        return g.node("ReduceLogSumExp", [g.value(x), axes], keepdims=int(fn.keepdim)), \
            g.dyn(x)

    try:
        export_and_compare(lambda x: x.logsumexp(1), (4,), tmp_path / "m.onnx",
                           opset_version=18)
    finally:
        converters._TABLE.pop(LogSumExp)
    assert "LogSumExp" not in pg.onnx.supported_ops()


# ----------------------------------------------------------------------------- errors

def test_unsupported_op_names_it(tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"old")
    with pytest.raises(NotImplementedError, match="no converter for op 'LogSumExp'"):
        pg.onnx.export(lambda x: x.relu().logsumexp(1), pg.randn(7, 3), path)
    assert path.read_bytes() == b"old"             # nothing half-written
    assert function._tracer is None


def test_tracer_and_mode_restored_when_forward_fails(tmp_path):
    net = Net(lambda self, x: x @ pg.randn(5, 5))   # shape mismatch for (7, 3)
    with pytest.raises(RuntimeError, match="matmul"):
        pg.onnx.export(net, pg.randn(7, 3), tmp_path / "m.onnx")
    assert function._tracer is None and net.training


def test_argument_errors(tmp_path):
    f = lambda x: x.relu()                          # noqa: E731
    x = pg.randn(7, 3)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        pg.onnx.export(f, x, tmp_path / "missing" / "m.onnx")
    with pytest.raises(IsADirectoryError):
        pg.onnx.export(f, x, tmp_path)
    with pytest.raises(TypeError, match="example_input must be a pygrad Tensor"):
        pg.onnx.export(f, np.zeros((7, 3), np.float32), tmp_path / "m.onnx")
    with pytest.raises(TypeError, match="model must be"):
        pg.onnx.export("model", x, tmp_path / "m.onnx")
    with pytest.raises(ValueError, match="opset_version"):
        pg.onnx.export(f, x, tmp_path / "m.onnx", opset_version=11)
    with pytest.raises(ValueError, match="output_names has 2 names"):
        pg.onnx.export(f, x, tmp_path / "m.onnx", output_names=["a", "b"])
    with pytest.raises(TypeError, match="must return a Tensor"):
        pg.onnx.export(lambda x: x.numpy(), x, tmp_path / "m.onnx")
    assert not list(tmp_path.iterdir())


def test_missing_onnx_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r'pip install "pygrad\[onnx\]"'):
        pg.onnx.export(lambda x: x, pg.randn(2, 2), tmp_path / "m.onnx")


def test_write_is_atomic_and_replaces(tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"old")
    os.chmod(path, 0o640)
    pg.onnx.export(lambda x: x.tanh(), pg.randn(7, 2), path)
    assert onnx.load(str(path)).graph.node[0].op_type == "Tanh"
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]


def test_constant_from_untracked_code_warns(tmp_path):
    def forward(x):
        mask = pg.tensor((x.numpy() > 0).astype(np.float32))   # not a recorded op
        return x * mask

    with pytest.warns(UserWarning, match="not produced by a recorded op"):
        pg.onnx.export(forward, pg.randn(7, 3), tmp_path / "m.onnx")


@pytest.fixture
def host_cuda(monkeypatch):
    """A stand-in for cuda:0 whose arrays stay NumPy arrays on the host: it exercises the
    device plumbing of export (weights fetched through the backend's to_numpy) with no GPU."""
    import contextlib
    import types

    from pygrad.backend import reference
    fetched = []
    fake = types.SimpleNamespace(**{k: getattr(reference, k) for k in dir(reference)
                                    if not k.startswith("__")})
    fake.name = "cuda"
    fake.asarray = lambda data, dtype=None, device=None: np.array(data, dtype=dtype)
    fake.guard = lambda device: contextlib.nullcontext()
    fake.to_numpy = lambda a: fetched.append(a.shape) or np.array(a)
    dev = pg.device("cuda:0")
    monkeypatch.setattr(dev, "_backend", fake)
    return dev, fetched


@needs_nn
def test_model_on_a_gpu_exports_the_same_graph(tmp_path, host_cuda):
    dev, fetched = host_cuda
    pg.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 16), nn.Sigmoid(), nn.Linear(16, 3), nn.Softmax(dim=1))
    x = pg.randn(7, 5)
    cpu = pg.onnx.export(model, x, tmp_path / "cpu.onnx")
    model.to(dev)
    assert next(model.parameters()).device == dev
    gpu = pg.onnx.export(model, x.to(dev), tmp_path / "gpu.onnx")
    assert fetched, "the weights were not fetched through the device backend"
    assert op_types(gpu) == op_types(cpu) == ["Gemm", "Sigmoid", "Gemm", "Softmax"]
    for a, b in zip(cpu.graph.initializer, gpu.graph.initializer):
        assert a.name == b.name
        np.testing.assert_array_equal(onnx.numpy_helper.to_array(a),
                                      onnx.numpy_helper.to_array(b))


@needs_nn
@pytest.mark.parametrize("opset", [13, 17, 20])
def test_layer_norm_and_gelu(tmp_path, opset):
    if opset > onnx.defs.onnx_opset_version():
        pytest.skip(f"onnx here supports opset {onnx.defs.onnx_opset_version()} at most")
    pg.manual_seed(5)
    model = nn.Sequential(nn.Linear(6, 8), nn.LayerNorm(8), nn.GELU(), nn.Linear(8, 8),
                          nn.GELU(approximate="tanh"), nn.LayerNorm(8, bias=False),
                          nn.Linear(8, 3))
    with pg.no_grad():
        model[1].weight.copy_(pg.rand(8) + 0.5)
        model[1].bias.copy_(pg.randn(8))
    model.eval()
    proto = export_and_compare(model, (6,), tmp_path / "m.onnx", opset_version=opset, atol=1e-4)
    kinds = set(op_types(proto))
    assert ("LayerNormalization" in kinds) == (opset >= 17)
    assert ("Gelu" in kinds) == (opset >= 20)
