"""pygrad.nn: Module bookkeeping, layers against torch, losses, init, state dicts."""
import math

import numpy as np
import pytest

import pygrad as pg
import pygrad.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.act = nn.Tanh()
        self.head = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid())
        self.scale = nn.Parameter(pg.ones(1))
        self.register_buffer("count", pg.zeros(1))
        self.plain = 5

    def forward(self, x):
        return self.head(self.act(self.fc1(x))) * self.scale


def test_registration_and_traversal():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "head.0.weight", "head.0.bias"]
    assert len(list(net.parameters())) == 5
    assert [type(m).__name__ for m in net.children()] == ["Linear", "Tanh", "Sequential"]
    assert len(list(net.modules())) == 6
    assert "count" in net.state_dict() and "plain" not in net.state_dict()
    net.fc1 = nn.Linear(4, 3)     # replacing keeps the registry in step
    assert net._modules["fc1"] is net.fc1
    with pytest.raises(TypeError, match="cannot assign"):
        net.scale = 3.0


def test_shared_parameter_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2


def test_train_eval_and_dropout():
    net = nn.Sequential(nn.Linear(10, 10), nn.Dropout(0.5))
    assert net.training and net[1].training
    net.eval()
    assert not net.training and not net[1].training
    x = pg.randn(4, 10)
    np.testing.assert_array_equal(net[1](x).numpy(), x.numpy())
    net.train()
    y = net[1](pg.ones(1000)).numpy()
    assert set(np.unique(y).tolist()) <= {0.0, 2.0} and 300 < (y == 0).sum() < 700


def test_zero_grad_and_to_dtype_keep_identity():
    net = Net()
    net(pg.randn(5, 4)).sum().backward()
    assert net.fc1.weight.grad is not None
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    w = net.fc1.weight
    net.double()
    assert net.fc1.weight is w and w.dtype == pg.float64 and net.count.dtype == pg.float64
    assert net(pg.randn(2, 4, dtype=pg.float64)).dtype == pg.float64


def test_state_dict_round_trip_and_errors():
    a, b = Net(), Net()
    b.load_state_dict(a.state_dict())
    x = pg.randn(3, 4)
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())
    sd = a.state_dict()
    del sd["fc1.bias"]
    sd["extra"] = pg.zeros(1)
    sd["head.0.weight"] = pg.zeros(5, 5)
    with pytest.raises(RuntimeError) as e:
        b.load_state_dict(sd)
    msg = str(e.value)
    assert 'Missing key(s) in state_dict: "fc1.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "extra"' in msg
    assert "size mismatch for head.0.weight" in msg and "(5, 5)" in msg
    del sd["head.0.weight"]
    missing, unexpected = b.load_state_dict(sd, strict=False)
    assert missing == ["fc1.bias", "head.0.weight"] and unexpected == ["extra"]


def test_linear_default_init_bounds():
    pg.manual_seed(0)
    lin = nn.Linear(100, 50)
    bound = 1 / math.sqrt(100)
    w, b = lin.weight.numpy(), lin.bias.numpy()
    assert w.shape == (50, 100) and np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    assert "in_features=100, out_features=50, bias=True" in repr(lin)


def test_init_functions():
    pg.manual_seed(1)
    w = pg.empty(200, 300)
    nn.init.xavier_uniform_(w)
    assert np.abs(w.numpy()).max() <= math.sqrt(6 / 500)
    nn.init.xavier_normal_(w, gain=2.0)
    assert w.numpy().std() == pytest.approx(2 * math.sqrt(2 / 500), rel=0.05)
    nn.init.kaiming_uniform_(w, nonlinearity="relu")
    assert np.abs(w.numpy()).max() <= math.sqrt(2) * math.sqrt(3 / 300)
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert w.numpy().std() == pytest.approx(math.sqrt(2 / 200), rel=0.05)
    nn.init.constant_(w, 0.5)
    assert (w.numpy() == 0.5).all()
    nn.init.zeros_(w)
    assert (w.numpy() == 0).all()
    nn.init.ones_(w)
    assert (w.numpy() == 1).all()
    p = nn.Parameter(pg.empty(3, 3))
    nn.init.xavier_uniform_(p)     # works on a parameter that requires grad
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):     # torch's message
        nn.init.xavier_uniform_(pg.empty(3))
    assert nn.init.calculate_gain("tanh") == pytest.approx(5 / 3)


def test_flatten_and_sequential_indexing():
    seq = nn.Sequential(nn.Flatten(), nn.Linear(12, 2))
    assert seq(pg.randn(5, 3, 4)).shape == (5, 2)
    assert isinstance(seq[1], nn.Linear) and isinstance(seq[-1], nn.Linear)
    assert len(seq[:1]) == 1 and isinstance(seq[:1], nn.Sequential)
    with pytest.raises(IndexError):
        seq[5]
    with pytest.raises(TypeError, match="argument 0 expected a Module"):
        nn.Sequential(lambda x: x)


# ----------------------------------------------------------------------------- vs torch

torch = pytest.importorskip("torch")


def _both(shape, seed=0, dtype=np.float64):
    a = np.random.default_rng(seed).normal(size=shape).astype(dtype)
    return pg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


@pytest.mark.parametrize("ours,theirs", [
    (nn.Sigmoid(), torch.nn.Sigmoid()), (nn.ReLU(), torch.nn.ReLU()), (nn.Tanh(), torch.nn.Tanh()),
    (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)), (nn.LogSoftmax(dim=1), torch.nn.LogSoftmax(dim=1)),
    (nn.Softmax(dim=0), torch.nn.Softmax(dim=0)), (nn.Flatten(0), torch.nn.Flatten(0)),
])
def test_activation_modules_match_torch(ours, theirs):
    x, tx = _both((6, 5))
    y, ty = ours(x), theirs(tx)
    g = np.random.default_rng(1).normal(size=ty.shape)
    (y * pg.tensor(g)).sum().backward()
    (ty * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-12)


def test_linear_matches_torch_with_copied_weights():
    lin = nn.Linear(5, 3).double()
    tl = torch.nn.Linear(5, 3).double()
    tl.load_state_dict({k: torch.tensor(v.numpy()) for k, v in lin.state_dict().items()})
    x, tx = _both((4, 5))
    lin(x).sum().backward()
    tl(tx).sum().backward()
    np.testing.assert_allclose(lin.weight.grad.numpy(), tl.weight.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(lin.bias.grad.numpy(), tl.bias.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-12)


def _targets(kind):
    rng = np.random.default_rng(2)
    if kind == "index":
        return rng.integers(0, 5, 6)
    return rng.random((6, 5))


@pytest.mark.parametrize("name,kw,target,prob", [
    ("CrossEntropyLoss", {}, "index", False),
    ("CrossEntropyLoss", {"label_smoothing": 0.1, "reduction": "sum"}, "index", False),
    ("CrossEntropyLoss", {"weight": np.arange(1.0, 6.0)}, "index", False),
    ("NLLLoss", {"reduction": "none"}, "index", False),
    ("BCELoss", {}, "prob", True),
    ("BCEWithLogitsLoss", {"pos_weight": np.full(5, 2.0)}, "prob", False),
    ("MSELoss", {"reduction": "sum"}, "prob", False),
])
def test_loss_modules_match_torch(name, kw, target, prob):
    x, tx = _both((6, 5))
    t = _targets(target)
    ours_kw = {k: pg.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    theirs_kw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    xin, txin = (x.sigmoid(), tx.sigmoid()) if prob else (x, tx)
    if name == "NLLLoss":
        xin, txin = x.log_softmax(1), tx.log_softmax(1)
    loss = getattr(nn, name)(**ours_kw)(xin, pg.tensor(t))
    tloss = getattr(torch.nn, name)(**theirs_kw)(txin, torch.tensor(t))
    np.testing.assert_allclose(loss.detach().numpy(), tloss.detach().numpy(), atol=1e-10)
    loss.sum().backward()
    tloss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-10)
