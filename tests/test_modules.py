"""pygrad.nn modules against torch.nn: outputs and gradients with the same parameters,
reprs, parameter/buffer names, running statistics and constructors."""

import numpy as np
import pytest

import pygrad as pg
import pygrad.nn as nn

torch = pytest.importorskip("torch")
tnn = torch.nn


def host(t):
    return t.detach().cpu().numpy()


def copy_params(m, tm):
    """Give torch module ``tm`` the parameters and buffers of pygrad module ``m`` (float64)."""
    tm.double()
    sd = {k: torch.tensor(host(v)) for k, v in m.state_dict().items()}
    tm.load_state_dict(sd)


def compare(m, tm, arrays, rtol=1e-10, grads=True, grad_rtol=1e-9):
    """Same inputs through both modules: outputs, input and parameter gradients."""
    rng = np.random.default_rng(5)
    diff = [a.dtype.kind == "f" for a in arrays]
    xs = [pg.tensor(a, requires_grad=d) for a, d in zip(arrays, diff)]
    txs = [torch.tensor(a, requires_grad=d) for a, d in zip(arrays, diff)]
    y, ty = m(*xs), tm(*txs)
    np.testing.assert_allclose(host(y), ty.detach().numpy(), rtol=rtol, atol=1e-12)
    if not grads or not ty.requires_grad:
        return
    v = rng.standard_normal(ty.shape)
    y.backward(pg.tensor(v))
    ty.backward(torch.tensor(v))
    for x, tx in zip(xs, txs):
        if tx.grad is not None:
            np.testing.assert_allclose(host(x.grad), tx.grad.numpy(), rtol=grad_rtol,
                                       atol=1e-11)
    tparams = dict(tm.named_parameters())
    for name, p in m.named_parameters():
        tg = tparams[name].grad
        if tg is None:
            assert p.grad is None or not np.any(host(p.grad))
        else:
            np.testing.assert_allclose(host(p.grad), tg.numpy(), rtol=1e-9, atol=1e-11,
                                       err_msg=name)


# ============================================================================ activations

ACTIVATIONS = [
    ("GELU", ()), ("GELU", ("tanh",)), ("SiLU", ()), ("ELU", (0.7,)), ("SELU", ()),
    ("CELU", (1.5,)), ("LeakyReLU", (0.1,)), ("ReLU6", ()), ("Hardtanh", (-0.5, 2.0)),
    ("Hardsigmoid", ()), ("Hardswish", ()), ("Mish", ()), ("Softplus", (2.0, 5.0)),
    ("Softsign", ()), ("Tanhshrink", ()), ("LogSigmoid", ()), ("GLU", ()), ("GLU", (0,)),
    ("Softmin", (1,)), ("Hardshrink", (0.3,)), ("Softshrink", ()), ("Threshold", (0.1, 20.0)),
    ("Sigmoid", ()), ("Tanh", ()), ("ReLU", ()), ("Softmax", (0,)), ("LogSoftmax", (1,)),
    ("RReLU", (0.1, 0.3)), ("Softmax2d", ()),
    ("Identity", ()), ("Flatten", ()), ("Flatten", (0, 1)), ("Unflatten", (1, (2, 3))),
]


@pytest.mark.parametrize("name,args", ACTIVATIONS, ids=str)
def test_activation_module(name, args):
    m, tm = getattr(nn, name)(*args), getattr(tnn, name)(*args)
    assert repr(m) == repr(tm)
    m.eval(), tm.eval()               # RReLU's slope is random in training
    x = np.random.default_rng(0).standard_normal((4, 6, 2)) * 3
    # torch's hardsigmoid / hardswish backward kernels use the float32 constant 1.0f / 6
    compare(m, tm, [x], grad_rtol=1e-7 if name.startswith("Hard") else 1e-9)


def test_prelu_module():
    for args in ((), (4, 0.1)):
        m, tm = nn.PReLU(*args), tnn.PReLU(*args)
        assert repr(m) == repr(tm) and list(m.state_dict()) == list(tm.state_dict())
        m.double()
        copy_params(m, tm)
        compare(m, tm, [np.random.default_rng(0).standard_normal((3, 4, 2))])


@pytest.mark.parametrize("name", ["Dropout", "AlphaDropout", "FeatureAlphaDropout", "Dropout1d",
                                  "Dropout2d", "Dropout3d"])
def test_dropout_modules(name):
    m, tm = getattr(nn, name)(0.3), getattr(tnn, name)(0.3)
    assert repr(m) == repr(tm)
    x = pg.randn(*{"Dropout1d": (2, 4, 3), "Dropout2d": (2, 4, 3, 3)}.get(name, (2, 4, 3, 3, 3)))
    y = m(x)
    assert y.shape == x.shape and not np.array_equal(y.numpy(), x.numpy())
    m.eval()
    assert m(x) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        getattr(nn, name)(1.5)


def test_activation_module_bad_arguments():
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")
    with pytest.raises(ValueError, match="max_val"):
        nn.Hardtanh(1.0, -1.0)
    with pytest.raises(TypeError, match="unflattened_size"):
        nn.Unflatten(1, 6)


# ============================================================================ losses

def _s(r, shape):
    return np.where(r.standard_normal(shape) > 0, 1.0, -1.0)


LOSSES = [
    ("L1Loss", {}, lambda r: [r.standard_normal((4, 5)), r.standard_normal((4, 5))]),
    ("SmoothL1Loss", {"beta": 0.5, "reduction": "sum"},
     lambda r: [r.standard_normal((4, 5)), r.standard_normal((4, 5))]),
    ("HuberLoss", {"delta": 0.5}, lambda r: [r.standard_normal((4, 5)),
                                             r.standard_normal((4, 5))]),
    ("KLDivLoss", {"reduction": "batchmean"},
     lambda r: [r.standard_normal((4, 5)), r.random((4, 5))]),
    ("KLDivLoss", {"log_target": True, "reduction": "none"},
     lambda r: [r.standard_normal((4, 5)), r.standard_normal((4, 5))]),
    ("PoissonNLLLoss", {"full": True}, lambda r: [r.standard_normal((4, 5)),
                                                  r.random((4, 5)) * 3]),
    ("GaussianNLLLoss", {"full": True}, lambda r: [r.standard_normal((4, 5)),
                                                   r.standard_normal((4, 5)),
                                                   r.random((4, 1)) + 0.1]),
    ("MarginRankingLoss", {"margin": 0.2}, lambda r: [r.standard_normal(6),
                                                      r.standard_normal(6), _s(r, 6)]),
    ("HingeEmbeddingLoss", {"margin": 0.5}, lambda r: [r.standard_normal((4, 5)),
                                                       _s(r, (4, 5))]),
    ("SoftMarginLoss", {}, lambda r: [r.standard_normal((4, 5)), _s(r, (4, 5))]),
    ("MultiLabelSoftMarginLoss", {}, lambda r: [r.standard_normal((4, 5)),
                                                (r.random((4, 5)) > 0.5) * 1.0]),
    ("CosineEmbeddingLoss", {"margin": 0.1}, lambda r: [r.standard_normal((4, 5)),
                                                        r.standard_normal((4, 5)), _s(r, 4)]),
    ("TripletMarginLoss", {"swap": True, "p": 1.0},
     lambda r: [r.standard_normal((4, 5)), r.standard_normal((4, 5)),
                r.standard_normal((4, 5))]),
    ("CosineSimilarity", {"dim": 0}, lambda r: [r.standard_normal((4, 5)),
                                                r.standard_normal((4, 5))]),
    ("PairwiseDistance", {"p": 3.0, "keepdim": True},
     lambda r: [r.standard_normal((4, 5)), r.standard_normal((4, 5))]),
    ("MSELoss", {"reduction": "none"}, lambda r: [r.standard_normal((4, 5)),
                                                  r.standard_normal((4, 5))]),
]


@pytest.mark.parametrize("name,kw,make", LOSSES, ids=lambda v: v if isinstance(v, str) else "")
def test_loss_module(name, kw, make):
    m, tm = getattr(nn, name)(**kw), getattr(tnn, name)(**kw)
    assert repr(m) == repr(tm)
    arrays = make(np.random.default_rng(0))
    if name == "SoftMarginLoss":     # torch refuses a target that requires grad
        arrays[1] = arrays[1].astype(np.int64)
    compare(m, tm, arrays)


def test_triplet_margin_with_distance_loss_module():
    m, tm = nn.TripletMarginWithDistanceLoss(), tnn.TripletMarginWithDistanceLoss()
    assert repr(m) == repr(tm)
    r = np.random.default_rng(0)
    compare(m, tm, [r.standard_normal((4, 5)) for _ in range(3)])
    m = nn.TripletMarginWithDistanceLoss(distance_function=nn.CosineSimilarity(), swap=True)
    tm = tnn.TripletMarginWithDistanceLoss(distance_function=tnn.CosineSimilarity(), swap=True)
    compare(m, tm, [r.standard_normal((4, 5)) for _ in range(3)])


PADS = [("ZeroPad1d", (2,), (2, 3, 4)), ("ZeroPad2d", ((1, 0, 2, 1),), (2, 3, 4)),
        ("ConstantPad1d", ((1, 2), 3.5), (3, 4)), ("ConstantPad2d", (1, -1.0), (2, 3, 4)),
        ("ConstantPad3d", ((1, 0, 0, 1, 2, 0), 0.5), (2, 2, 3, 4)),
        ("ReflectionPad1d", (2,), (2, 3, 4)), ("ReflectionPad2d", ((1, 0, 2, 1),), (2, 3, 4)),
        ("ReflectionPad3d", (1,), (1, 2, 3, 4, 5)), ("ReplicationPad1d", ((3, 1),), (2, 3, 4)),
        ("ReplicationPad2d", (2,), (1, 2, 3, 4)), ("ReplicationPad3d", (1,), (2, 2, 3, 4)),
        ("CircularPad1d", (2,), (2, 3, 4)), ("CircularPad2d", ((1, 0, 2, 1),), (2, 3, 4)),
        ("CircularPad3d", (1,), (1, 2, 3, 4, 5))]


@pytest.mark.parametrize("name,args,shape", PADS, ids=str)
def test_padding_modules(name, args, shape):
    m, tm = getattr(nn, name)(*args), getattr(tnn, name)(*args)
    assert repr(m) == repr(tm)
    compare(m, tm, [np.random.default_rng(0).standard_normal(shape)])


def test_buffer_assignment():
    for lib, t in ((nn, pg.ones), (tnn, torch.ones)):
        m = lib.Module()
        m.kept = lib.Buffer(t(2))
        m.scratch = lib.Buffer(t(3), persistent=False)
        assert list(m.state_dict()) == ["kept"]
        assert [n for n, _ in m.named_buffers()] == ["kept", "scratch"]
    src = pg.zeros(2)
    m = nn.Module()
    m.b = nn.Buffer(src)
    assert type(m.b) is pg.Tensor
    m.b = nn.Buffer(src)
    m.b.data[0] = 5                       # shares the array
    assert src[0].item() == 5


def test_loss_module_options():
    m = nn.MultiLabelSoftMarginLoss(weight=pg.tensor([1.0, 2.0, 0.5]))
    assert "weight" in m.state_dict()
    assert nn.L1Loss(size_average=False).reduction == "sum"
    assert nn.L1Loss(reduce=False).reduction == "none"
    with pytest.raises(ValueError, match="reduction"):
        nn.L1Loss(reduction="avg")
    assert nn.KLDivLoss(reduction="batchmean").reduction == "batchmean"
    with pytest.raises(ValueError, match="margin"):
        nn.TripletMarginLoss(margin=0.0)


# ============================================================================ layers

def test_linear_and_bilinear_modules():
    for m, tm, shapes in [
            (nn.Linear(4, 3, bias=False), tnn.Linear(4, 3, bias=False), [(2, 4)]),
            (nn.Linear(4, 3), tnn.Linear(4, 3), [(2, 5, 4)]),
            (nn.Bilinear(4, 2, 3), tnn.Bilinear(4, 2, 3), [(5, 4), (5, 2)]),
            (nn.Bilinear(4, 2, 3, bias=False), tnn.Bilinear(4, 2, 3, bias=False),
             [(5, 4), (5, 2)])]:
        assert repr(m) == repr(tm)
        assert [n for n, _ in m.named_parameters()] == [n for n, _ in tm.named_parameters()]
        m.double()
        copy_params(m, tm)
        r = np.random.default_rng(0)
        compare(m, tm, [r.standard_normal(s) for s in shapes])
    w = host(nn.Bilinear(100, 2, 50).weight)
    assert abs(w).max() <= 0.1 and abs(w).max() > 0.09          # U(-1/sqrt(in1), 1/sqrt(in1))


NORMS = [
    (lambda lib: lib.LayerNorm(5), (3, 4, 5)),
    (lambda lib: lib.LayerNorm([4, 5], eps=1e-3, bias=False), (3, 4, 5)),
    (lambda lib: lib.LayerNorm(5, elementwise_affine=False), (3, 5)),
    (lambda lib: lib.RMSNorm(5), (3, 4, 5)),
    (lambda lib: lib.RMSNorm((4, 5), eps=1e-4, elementwise_affine=False), (3, 4, 5)),
    (lambda lib: lib.GroupNorm(2, 4), (3, 4, 5)),
    (lambda lib: lib.GroupNorm(4, 4, affine=False), (3, 4)),
    (lambda lib: lib.GroupNorm(1, 4, bias=False), (3, 4, 2, 2)),
    (lambda lib: lib.BatchNorm1d(4), (6, 4)),
    (lambda lib: lib.BatchNorm1d(4, affine=False, momentum=None), (3, 4, 5)),
    (lambda lib: lib.BatchNorm1d(4, track_running_stats=False, bias=False), (3, 4, 5)),
    (lambda lib: lib.BatchNorm2d(4), (2, 4, 3, 3)),
    (lambda lib: lib.BatchNorm3d(4, momentum=0.5), (2, 4, 2, 1, 3)),
    (lambda lib: lib.InstanceNorm1d(4), (3, 4, 5)),
    (lambda lib: lib.InstanceNorm1d(4, affine=True, track_running_stats=True), (3, 4, 5)),
    (lambda lib: lib.InstanceNorm1d(4, affine=True), (4, 5)),
    (lambda lib: lib.InstanceNorm2d(4, track_running_stats=True, momentum=None), (2, 4, 3, 3)),
    (lambda lib: lib.InstanceNorm3d(4, affine=True, bias=False), (4, 2, 2, 3)),
]


@pytest.mark.parametrize("make,shape", NORMS)
def test_norm_module(make, shape):
    m, tm = make(nn), make(tnn)
    assert repr(m) == repr(tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    m.double()
    r = np.random.default_rng(0)
    for p in m.parameters():          # non-trivial affine parameters
        p.data[...] = r.random(p.shape) + 0.5
    copy_params(m, tm)
    for step in range(3):             # training steps update the running statistics
        x = r.standard_normal(shape) * 2 + step
        compare(m, tm, [x])
        sd, tsd = m.state_dict(), tm.state_dict()
        for k in tsd:
            np.testing.assert_allclose(host(sd[k]), tsd[k].numpy(), rtol=1e-12, err_msg=k)
    m.eval(), tm.eval()
    compare(m, tm, [r.standard_normal(shape)])
    for p in m.parameters():
        p.grad = None


def test_batch_norm_bookkeeping():
    m = nn.BatchNorm1d(3)
    assert m.num_batches_tracked.dtype == pg.int64 and m.num_batches_tracked.shape == ()
    m(pg.randn(4, 3))
    m(pg.randn(4, 3))
    assert m.num_batches_tracked.item() == 2
    m.eval()
    m(pg.randn(4, 3))
    assert m.num_batches_tracked.item() == 2
    m.reset_running_stats()
    assert m.num_batches_tracked.item() == 0 and (m.running_var.numpy() == 1).all()
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        m(pg.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(3, 4)
    n = nn.BatchNorm1d(3, track_running_stats=False)
    assert n.running_mean is None and list(n.state_dict()) == ["weight", "bias"]


def test_embedding_module():
    m, tm = nn.Embedding(10, 3, padding_idx=-2), tnn.Embedding(10, 3, padding_idx=-2)
    assert repr(m) == repr(tm) and m.padding_idx == 8
    assert (host(m.weight)[8] == 0).all() and m.weight.requires_grad
    m.double()
    copy_params(m, tm)
    compare(m, tm, [np.array([[1, 8, 3], [8, 0, 1]])])
    for kw in ({"max_norm": 1.0}, {"norm_type": 1.0, "scale_grad_by_freq": True},
               {"sparse": True}):
        assert repr(nn.Embedding(10, 3, **kw)) == repr(tnn.Embedding(10, 3, **kw))
    w = pg.randn(5, 2)
    e = nn.Embedding.from_pretrained(w)
    assert not e.weight.requires_grad and e.weight._data is w._data       # shared, frozen
    e = nn.Embedding.from_pretrained(w, freeze=False, padding_idx=1)
    assert e.weight.requires_grad and e.padding_idx == 1
    assert (host(e.weight)[1] == host(w)[1]).all()       # a pretrained padding row is kept
    with pytest.raises(AssertionError, match="2-dimensional"):
        nn.Embedding.from_pretrained(pg.randn(5))
    with pytest.raises(AssertionError, match="padding_idx"):
        nn.Embedding(5, 2, padding_idx=5)


@pytest.mark.parametrize("kw", [{}, {"mode": "sum"}, {"mode": "max"},
                                {"mode": "mean", "padding_idx": 0},
                                {"mode": "sum", "include_last_offset": True}], ids=str)
def test_embedding_bag_module(kw):
    m, tm = nn.EmbeddingBag(6, 3, **kw), tnn.EmbeddingBag(6, 3, **kw)
    assert repr(m) == repr(tm)
    m.double()
    copy_params(m, tm)
    idx, off = np.array([0, 2, 2, 5, 1, 3, 0]), np.array([0, 2, 2, 6])
    if kw.get("include_last_offset"):
        off = np.append(off, len(idx))
    compare(m, tm, [idx, off])
    compare(m, tm, [idx[:6].reshape(2, 3)]) if not kw.get("include_last_offset") else None
    e = nn.EmbeddingBag.from_pretrained(pg.randn(4, 2), mode="sum")
    assert e.mode == "sum" and not e.weight.requires_grad


@pytest.mark.parametrize("cls", [nn.Embedding, nn.EmbeddingBag])
def test_embedding_reset_parameters_zeroes_padding_row(cls):
    m = cls(6, 3, padding_idx=2)
    assert (host(m.weight)[2] == 0).all()
    m.weight.data[...] = 5.0
    m.reset_parameters()
    w = host(m.weight)
    assert (w[2] == 0).all() and not (w[[0, 1, 3, 4, 5]] == 5.0).any()


# ============================================================================ whole models

def char_lm(lib):
    """A small character-level language model written once for torch and pygrad: embedding,
    pre-norm MLP-mixer style blocks (LayerNorm, Linear, GELU, Dropout), RMSNorm head."""
    class Block(lib.Module):
        def __init__(self, d, t):
            super().__init__()
            self.ln1, self.ln2 = lib.LayerNorm(d), lib.LayerNorm(d)
            self.token_mix = lib.Linear(t, t)
            self.mlp = lib.Sequential(lib.Linear(d, 4 * d), lib.GELU(approximate="tanh"),
                                      lib.Linear(4 * d, d), lib.Dropout(0.0))

        def forward(self, x):
            x = x + self.token_mix(self.ln1(x).transpose(1, 2)).transpose(1, 2)
            return x + self.mlp(self.ln2(x))

    class LM(lib.Module):
        def __init__(self, vocab=11, d=8, t=6):
            super().__init__()
            self.emb = lib.Embedding(vocab, d, padding_idx=0)
            self.pos = lib.Parameter((torch if lib is tnn else pg).randn(t, d))
            self.blocks = lib.ModuleList([Block(d, t) for _ in range(2)])
            self.norm = lib.RMSNorm(d)
            self.head = lib.Linear(d, vocab, bias=False)

        def forward(self, idx):
            x = self.emb(idx) + self.pos
            for b in self.blocks:
                x = b(x)
            return self.head(self.norm(x))
    return LM()


def test_char_lm_trains_like_torch():
    m, tm = char_lm(nn), char_lm(tnn)
    assert list(m.state_dict()) == list(tm.state_dict())
    m.double()
    copy_params(m, tm)
    opt = pg.optim.AdamW(m.parameters(), lr=1e-2)
    topt = torch.optim.AdamW(tm.parameters(), lr=1e-2)
    r = np.random.default_rng(0)
    for _ in range(5):
        seq = r.integers(0, 11, (4, 7))
        x, y = seq[:, :-1], seq[:, 1:]
        loss = nn.functional.cross_entropy(m(pg.tensor(x)).reshape(-1, 11),
                                           pg.tensor(y.reshape(-1)))
        tloss = tnn.functional.cross_entropy(tm(torch.tensor(x)).reshape(-1, 11),
                                             torch.tensor(y.reshape(-1)))
        np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-9)
        opt.zero_grad(), topt.zero_grad()
        loss.backward(), tloss.backward()
        opt.step(), topt.step()
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(host(m.state_dict()[k]), v.numpy(), rtol=1e-7, atol=1e-9,
                                   err_msg=k)
