"""The "Learning PyTorch with Examples" programs (fitting sin(x) with a third-order polynomial:
tensors, autograd, a custom autograd Function, nn, optim, a custom Module, a dynamic net), written
as torch users write them and run twice: as they are with torch, and with only their import
lines changed to pygrad. Both runs start from the same random draws (``randn`` is fed from one
NumPy stream on both sides) and must reach the same loss and parameters."""
import math
import random
import re

import numpy as np
import pytest

import pygrad as pg

torch = pytest.importorskip("torch")

TENSORS = '''
import torch
import math

dtype = torch.float
device = torch.device("cpu")
x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
y = torch.sin(x)
a = torch.randn((), device=device, dtype=dtype)
b = torch.randn((), device=device, dtype=dtype)
c = torch.randn((), device=device, dtype=dtype)
d = torch.randn((), device=device, dtype=dtype)

learning_rate = 1e-6
for t in range(2000):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum().item()
    grad_y_pred = 2.0 * (y_pred - y)
    grad_a = grad_y_pred.sum()
    grad_b = (grad_y_pred * x).sum()
    grad_c = (grad_y_pred * x ** 2).sum()
    grad_d = (grad_y_pred * x ** 3).sum()
    a -= learning_rate * grad_a
    b -= learning_rate * grad_b
    c -= learning_rate * grad_c
    d -= learning_rate * grad_d
result = [loss, a.item(), b.item(), c.item(), d.item()]
'''

AUTOGRAD = '''
import torch
import math

dtype = torch.float
x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
y = torch.sin(x)
a = torch.randn((), dtype=dtype, requires_grad=True)
b = torch.randn((), dtype=dtype, requires_grad=True)
c = torch.randn((), dtype=dtype, requires_grad=True)
d = torch.randn((), dtype=dtype, requires_grad=True)

learning_rate = 1e-6
for t in range(2000):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None
result = [loss.item(), a.item(), b.item(), c.item(), d.item()]
'''

CUSTOM_FUNCTION = '''
import torch
import math


class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


dtype = torch.float
x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
y = torch.sin(x)
a = torch.full((), 0.0, dtype=dtype, requires_grad=True)
b = torch.full((), -1.0, dtype=dtype, requires_grad=True)
c = torch.full((), 0.0, dtype=dtype, requires_grad=True)
d = torch.full((), 0.3, dtype=dtype, requires_grad=True)

learning_rate = 5e-6
for t in range(2000):
    P3 = LegendrePolynomial3.apply
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None
result = [loss.item(), a.item(), b.item(), c.item(), d.item()]
'''

NN = '''
import torch
import math

x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)
p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)

model = torch.nn.Sequential(
    torch.nn.Linear(3, 1),
    torch.nn.Flatten(0, 1)
)
with torch.no_grad():
    for param in model.parameters():
        param.copy_(torch.randn(param.shape))
loss_fn = torch.nn.MSELoss(reduction='sum')

learning_rate = 1e-6
for t in range(2000):
    y_pred = model(xx)
    loss = loss_fn(y_pred, y)
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for param in model.parameters():
            param -= learning_rate * param.grad

linear_layer = model[0]
result = [loss.item(), linear_layer.bias.item(), linear_layer.weight[:, 0].item(),
          linear_layer.weight[:, 1].item(), linear_layer.weight[:, 2].item()]
'''

OPTIM = '''
import torch
import math

x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)
p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)

model = torch.nn.Sequential(
    torch.nn.Linear(3, 1),
    torch.nn.Flatten(0, 1)
)
with torch.no_grad():
    for param in model.parameters():
        param.copy_(torch.randn(param.shape))
loss_fn = torch.nn.MSELoss(reduction='sum')

learning_rate = 1e-3
optimizer = torch.optim.RMSprop(model.parameters(), lr=learning_rate)
for t in range(2000):
    y_pred = model(xx)
    loss = loss_fn(y_pred, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

linear_layer = model[0]
result = [loss.item(), linear_layer.bias.item(), linear_layer.weight[:, 0].item(),
          linear_layer.weight[:, 1].item(), linear_layer.weight[:, 2].item()]
'''

CUSTOM_MODULE = '''
import torch
import math


class Polynomial3(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.randn(()))
        self.b = torch.nn.Parameter(torch.randn(()))
        self.c = torch.nn.Parameter(torch.randn(()))
        self.d = torch.nn.Parameter(torch.randn(()))

    def forward(self, x):
        return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

    def string(self):
        return f'y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + {self.d.item()} x^3'


x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)
model = Polynomial3()
criterion = torch.nn.MSELoss(reduction='sum')
optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
for t in range(2000):
    y_pred = model(x)
    loss = criterion(y_pred, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

assert model.string().startswith('y = ')
result = [loss.item()] + [p.item() for p in model.parameters()]
'''

DYNAMIC = '''
import random
import torch
import math


class DynamicNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.randn(()))
        self.b = torch.nn.Parameter(torch.randn(()))
        self.c = torch.nn.Parameter(torch.randn(()))
        self.d = torch.nn.Parameter(torch.randn(()))
        self.e = torch.nn.Parameter(torch.randn(()))

    def forward(self, x):
        y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
        for exp in range(4, random.randint(4, 6)):
            y = y + self.e * x ** exp
        return y


x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)
model = DynamicNet()
criterion = torch.nn.MSELoss(reduction='sum')
optimizer = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
for t in range(3000):
    y_pred = model(x)
    loss = criterion(y_pred, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

result = [loss.item()] + [p.item() for p in model.parameters()]
'''

SCRIPTS = {"tensors": TENSORS, "autograd": AUTOGRAD, "custom_function": CUSTOM_FUNCTION,
           "nn": NN, "optim": OPTIM, "custom_module": CUSTOM_MODULE, "dynamic_net": DYNAMIC}


def as_pygrad(source):
    """The torch program with only its import lines changed."""
    return re.sub(r"^import torch$", "import pygrad as torch", source, flags=re.M)


def _run(source, lib, monkeypatch):
    draws = np.random.default_rng(0)
    real = lib.randn

    def randn(*size, dtype=None, device=None, requires_grad=False):
        shape = size[0] if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
        shape = tuple(shape)
        values = draws.standard_normal(shape)
        return lib.tensor(values, dtype=dtype or lib.float32, requires_grad=requires_grad)

    monkeypatch.setattr(lib, "randn", randn)
    random.seed(0)
    scope = {}
    try:
        exec(compile(source, f"<{lib.__name__} program>", "exec"), scope)
    finally:
        monkeypatch.setattr(lib, "randn", real)
    return np.array(scope["result"])


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_tutorial_runs_unchanged_and_matches_torch(name, monkeypatch):
    source = SCRIPTS[name]
    assert as_pygrad(source) != source
    expected = _run(source, torch, monkeypatch)
    got = _run(as_pygrad(source), pg, monkeypatch)
    assert np.all(np.isfinite(got))
    # float32 programs of 2000-3000 steps: the same trajectory up to rounding
    np.testing.assert_allclose(got, expected, rtol=2e-3, atol=2e-3)
    assert expected[0] < 5e3 or name == "dynamic_net"        # the fit did happen
    assert math.isfinite(got[0])
