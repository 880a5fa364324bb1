"""Small training programs written the way torch users write them — an MLP on digit images
with DataLoaders, a linear regression, a forward-forward style MLP trained layer by layer —
run with torch as written and with only their import lines changed to pygrad. They start from
the same weights (handed in as NumPy arrays) and must reach the same losses and accuracy."""
import re

import numpy as np
import pytest

import pygrad as pg

torch = pytest.importorskip("torch")

MLP_DIGITS = '''
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

train_ds = TensorDataset(torch.tensor(X_TRAIN, dtype=torch.float32), torch.tensor(Y_TRAIN))
test_ds = TensorDataset(torch.tensor(X_TEST, dtype=torch.float32), torch.tensor(Y_TEST))
train_loader = DataLoader(train_ds, batch_size=64, shuffle=False)
test_loader = DataLoader(test_ds, batch_size=256)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 32)
        self.fc2 = nn.Linear(32, 10)
        self.drop = nn.Dropout(0.0)

    def forward(self, x):
        x = self.drop(F.relu(self.fc1(x)))
        return self.fc2(x)


model = Net()
with torch.no_grad():
    for p, w in zip(model.parameters(), INIT):
        p.copy_(torch.from_numpy(w))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
criterion = nn.CrossEntropyLoss()
losses = []
for epoch in range(3):
    model.train()
    total = 0.0
    for xb, yb in train_loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * xb.size(0)
    losses.append(total / len(train_loader.dataset))
model.eval()
correct = 0
with torch.no_grad():
    for xb, yb in test_loader:
        pred = model(xb).argmax(dim=1)
        correct += (pred == yb).sum().item()
accuracy = correct / len(test_loader.dataset)
result = losses + [accuracy]
'''

REGRESSION = '''
import torch
from torch import nn

X = torch.from_numpy(REG_X)
y = torch.from_numpy(REG_Y).unsqueeze(1)
model = nn.Linear(3, 1).double()
with torch.no_grad():
    model.weight.copy_(torch.zeros(1, 3, dtype=torch.float64))
    model.bias.fill_(0.5)
opt = torch.optim.Adam(model.parameters(), lr=0.05)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=50, gamma=0.5)
loss_fn = nn.MSELoss()
for step in range(200):
    opt.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    opt.step()
    sched.step()
result = [loss.item()] + model.weight.detach().flatten().tolist() + [model.bias.item()]
'''

FORWARD_FORWARD = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class Layer(nn.Linear):
    def __init__(self, n_in, n_out, weights):
        super().__init__(n_in, n_out)
        with torch.no_grad():
            self.weight.copy_(torch.from_numpy(weights[0]))
            self.bias.copy_(torch.from_numpy(weights[1]))
        self.opt = torch.optim.Adam(self.parameters(), lr=0.01)
        self.threshold = 2.0

    def forward(self, x):
        x = F.normalize(x, p=2, dim=1, eps=1e-4)
        return F.relu(super().forward(x))

    def train_step(self, x_pos, x_neg):
        g_pos = self.forward(x_pos).pow(2).mean(1)
        g_neg = self.forward(x_neg).pow(2).mean(1)
        loss = torch.log(1 + torch.exp(torch.cat([-g_pos + self.threshold,
                                                  g_neg - self.threshold]))).mean()
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return self.forward(x_pos).detach(), self.forward(x_neg).detach(), loss.item()


def overlay(x, y):
    x = x.clone()
    x[:, :10] = 0.0
    x[range(x.shape[0]), y] = x.max()
    return x


x = torch.tensor(X_TRAIN[:256], dtype=torch.float32)
y = torch.tensor(Y_TRAIN[:256])
x_pos = overlay(x, y)
x_neg = overlay(x, (y + 1 + torch.from_numpy(SHIFT)) % 10)
layers = [Layer(64, 32, INIT[0:2]), Layer(32, 32, INIT[2:4])]
losses = []
h_pos, h_neg = x_pos, x_neg
for layer in layers:
    for _ in range(30):
        out_pos, out_neg, loss = layer.train_step(h_pos, h_neg)
    losses.append(loss)
    h_pos, h_neg = out_pos, out_neg

goodness = []
for label in range(10):
    h = overlay(x, torch.full((x.shape[0],), label, dtype=torch.long))
    g = 0
    for layer in layers:
        h = layer(h)
        g = g + h.pow(2).mean(1)
    goodness.append(g.unsqueeze(1))
pred = torch.cat(goodness, 1).argmax(1)
result = losses + [pred.eq(y).float().mean().item()]
'''

SCRIPTS = {"mlp_digits": MLP_DIGITS, "regression": REGRESSION, "forward_forward": FORWARD_FORWARD}


def as_pygrad(source):
    """The torch program with only its import lines changed."""
    source = re.sub(r"^import torch$", "import pygrad as torch", source, flags=re.M)
    source = re.sub(r"^import torch\.(\S+) as (\w+)$", r"import pygrad.\1 as \2", source,
                    flags=re.M)
    return re.sub(r"^from torch(\S*) import", r"from pygrad\1 import", source, flags=re.M)


def _inputs():
    digits = pg.data.load_digits()
    x = np.asarray(digits.data, dtype=np.float32) / 16.0
    y = np.asarray(digits.target, dtype=np.int64)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y))
    x, y = x[order], y[order]
    init = [rng.standard_normal(s).astype(np.float32) * sc
            for s, sc in (((32, 64), 0.15), ((32,), 0.0), ((10, 32), 0.2), ((10,), 0.0))]
    ff_init = [rng.standard_normal(s).astype(np.float32) * 0.2
               for s in ((32, 64), (32,), (32, 32), (32,))]
    reg_x = rng.standard_normal((100, 3))
    reg_y = reg_x @ np.array([1.5, -2.0, 0.5]) + 0.3 + 0.01 * rng.standard_normal(100)
    return {"X_TRAIN": x[:1400], "Y_TRAIN": y[:1400], "X_TEST": x[1400:], "Y_TEST": y[1400:],
            "INIT": init, "REG_X": reg_x, "REG_Y": reg_y,
            "SHIFT": rng.integers(0, 9, 256)}


def _run(source, inputs):
    scope = dict(inputs)
    exec(compile(source, "<program>", "exec"), scope)
    return np.array(scope["result"], dtype=np.float64)


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_program_runs_unchanged_and_matches_torch(name):
    inputs = _inputs()
    if name == "forward_forward":
        inputs["INIT"] = _inputs_ff(inputs)
    source = SCRIPTS[name]
    assert as_pygrad(source) != source
    expected = _run(source, inputs)
    got = _run(as_pygrad(source), inputs)
    np.testing.assert_allclose(got, expected, rtol=2e-3, atol=2e-3)


def _inputs_ff(inputs):
    rng = np.random.default_rng(1)
    return [rng.standard_normal(s).astype(np.float32) * 0.2
            for s in ((32, 64), (32,), (32, 32), (32,))]


def test_mlp_learns():
    """The MLP program is not a trivial one: it reaches a real accuracy."""
    result = _run(as_pygrad(MLP_DIGITS), _inputs())
    assert result[-1] > 0.85 and result[2] < result[0]
