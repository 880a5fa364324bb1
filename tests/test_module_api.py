"""The Module API and the containers against torch.nn: traversal, registration rules,
state dicts, hooks, modes, dtype moves and reprs, on the same structures built with both."""
from collections import OrderedDict

import numpy as np
import pytest

import pygrad as pg
import pygrad.nn as nn

torch = pytest.importorskip("torch")
tnn = torch.nn


def build(lib, tensor):
    """One model written for both libraries (``tensor`` makes a float32 tensor)."""
    class Block(lib.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.Linear(3, 3)
            self.norm = lib.LayerNorm(3)
            self.register_buffer("steps", tensor([0.0]))
            self.register_buffer("scratch", tensor([1.0, 2.0]), persistent=False)

        def forward(self, x):
            return self.norm(self.fc(x)).relu()

    class Net(lib.Module):
        def __init__(self):
            super().__init__()
            shared = Block()
            self.blocks = lib.ModuleList([shared, Block(), shared])
            self.heads = lib.ModuleDict({"a": lib.Linear(3, 2), "b": lib.Sequential(
                lib.Linear(3, 4), lib.GELU(), lib.Dropout(0.1))})
            self.scale = lib.Parameter(tensor([2.0]))
            self.plist = lib.ParameterList([lib.Parameter(tensor([1.0])), tensor([3.0, 4.0])])
            self.pdict = lib.ParameterDict({"u": lib.Parameter(tensor([5.0]))})
            self.bn = lib.BatchNorm1d(3)

        def forward(self, x):
            for b in self.blocks:
                x = b(x)
            x = self.bn(x) * self.scale
            return self.heads["a"](x).sum() + self.heads["b"](x).sum()

    return Net()


def pair():
    m = build(nn, lambda v: pg.tensor(v, dtype=pg.float32))
    tm = build(tnn, lambda v: torch.tensor(v, dtype=torch.float32))
    tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in m.state_dict().items()})
    return m, tm


# ============================================================================ traversal

def test_traversal_names_match_torch():
    m, tm = pair()
    assert [n for n, _ in m.named_modules()] == [n for n, _ in tm.named_modules()]
    assert [n for n, _ in m.named_modules(remove_duplicate=False)] == \
        [n for n, _ in tm.named_modules(remove_duplicate=False)]
    assert [n for n, _ in m.named_children()] == [n for n, _ in tm.named_children()]
    assert [n for n, _ in m.blocks.named_children()] == \
        [n for n, _ in tm.blocks.named_children()]
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert [n for n, _ in m.named_parameters(remove_duplicate=False)] == \
        [n for n, _ in tm.named_parameters(remove_duplicate=False)]
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in tm.named_buffers()]
    assert [n for n, _ in m.named_parameters(prefix="model", recurse=False)] == \
        [n for n, _ in tm.named_parameters(prefix="model", recurse=False)]
    assert len(list(m.buffers())) == len(list(tm.buffers()))
    assert len(list(m.children())) == len(list(tm.children()))


def test_apply_order_matches_torch():
    m, tm = pair()
    seen, tseen = [], []
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    tm.apply(lambda mod: tseen.append(type(mod).__name__))
    assert seen == tseen


def test_forward_matches_torch():
    m, tm = pair()
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    m.eval(), tm.eval()
    np.testing.assert_allclose(m(pg.tensor(x)).item(), tm(torch.tensor(x)).item(), rtol=1e-5)


# ============================================================================ state dicts

def test_state_dict_keys_values_and_keep_vars():
    m, tm = pair()
    sd, tsd = m.state_dict(), tm.state_dict()
    assert list(sd) == list(tsd)          # shared block under both names, no scratch buffer
    assert "blocks.0.scratch" not in sd and "bn.num_batches_tracked" in sd
    for k in sd:
        np.testing.assert_array_equal(sd[k].numpy(), tsd[k].numpy())
        assert not sd[k].requires_grad
    assert m.state_dict(keep_vars=True)["scale"] is m.scale
    assert list(m.state_dict(prefix="net.")) == list(tm.state_dict(prefix="net."))
    # shares memory with the module, as torch
    m.state_dict()["scale"].data[...] = 7
    assert m.scale.item() == 7


def test_load_state_dict_reports_keys_like_torch():
    m, tm = pair()
    r = m.load_state_dict(m.state_dict())
    assert repr(r) == repr(tm.load_state_dict(tm.state_dict())) == \
        "<All keys matched successfully>"
    # (not bn.*: torch fills a missing num_batches_tracked in for old checkpoints)
    sd = {k: v for k, v in m.state_dict().items() if not k.startswith("blocks.1.")}
    sd["extra.weight"] = pg.zeros(1)
    tsd = {k: torch.tensor(v.numpy()) for k, v in sd.items()}
    r, tr = m.load_state_dict(sd, strict=False), tm.load_state_dict(tsd, strict=False)
    assert r.missing_keys == tr.missing_keys and r.unexpected_keys == tr.unexpected_keys
    missing, unexpected = r
    assert missing and unexpected == ["extra.weight"]
    with pytest.raises(RuntimeError, match="Unexpected key"):
        m.load_state_dict(sd)


def test_load_state_dict_from_torch_and_assign():
    m, tm = pair()
    with torch.no_grad():
        for p in tm.parameters():
            p.add_(1.5)
    w = m.heads["a"].weight
    m.load_state_dict(tm.state_dict())            # torch tensors, copied in place
    assert m.heads["a"].weight is w
    for k, v in tm.state_dict().items():
        np.testing.assert_array_equal(m.state_dict()[k].numpy(), v.numpy())
    new = {k: pg.tensor(v.numpy() * 2) for k, v in m.state_dict().items()}
    m.heads["a"].weight.requires_grad_(False)
    m.load_state_dict(new, assign=True)
    assert m.heads["a"].weight is not w and isinstance(m.heads["a"].weight, nn.Parameter)
    assert not m.heads["a"].weight.requires_grad and m.scale.requires_grad
    assert m.state_dict()["bn.running_var"] is not None
    np.testing.assert_array_equal(m.bn.running_mean.numpy(), new["bn.running_mean"].numpy())
    assert m.get_parameter("heads.a.weight") is m.heads["a"].weight
    for k, v in new.items():        # every entry, at every depth, was assigned
        np.testing.assert_array_equal(m.state_dict()[k].numpy(), v.numpy())


# ============================================================================ registration

def test_setattr_rules_match_torch():
    for lib, t in ((nn, pg.zeros), (tnn, torch.zeros)):
        m = lib.Linear(2, 2)
        with pytest.raises(TypeError, match="cannot assign .* as parameter 'weight'"):
            m.weight = t(2, 2)
        with pytest.raises(TypeError, match="as parameter 'weight'"):
            m.weight = lib.ReLU()
        m.register_buffer("buf", t(1))
        with pytest.raises(TypeError, match="as buffer 'buf'"):
            m.buf = 3
        m.buf = t(3)                        # a tensor replaces a buffer
        assert m.buf.shape == (3,) and "buf" in m.state_dict()
        m.buf = lib.Parameter(t(2))         # a Parameter turns a buffer name into a parameter
        assert "buf" in dict(m.named_parameters()) and "buf" not in dict(m.named_buffers())
        s = lib.Sequential(lib.ReLU())
        with pytest.raises(TypeError, match="as child module '0'"):
            s[0] = 3
        s.extra = lib.Tanh()
        assert "extra" in dict(s.named_children())
        s.extra = None
        assert "extra" not in dict(s.named_children())
        m.bias = None                       # None keeps the name registered as a parameter
        assert "bias" in m._parameters and m.bias is None
        m.plain = 4
        assert m.plain == 4 and "plain" not in m.state_dict()
        del m.weight
        assert "weight" not in dict(m.named_parameters())


@pytest.mark.parametrize("call,exc,msg", [
    (lambda m, t: m.register_buffer("a.b", None), KeyError, "buffer name can.*contain"),
    (lambda m, t: m.register_buffer("weight", None), KeyError, "already exists"),
    (lambda m, t: m.register_buffer("", None), KeyError, "empty string"),
    (lambda m, t: m.register_buffer("q", 3), TypeError, "cannot assign 'int' object to buffer"),
    (lambda m, t: m.register_parameter("w2", t(1)), TypeError, "object to parameter 'w2'"),
    (lambda m, t: m.register_parameter("forward", None), KeyError, "already exists"),
    (lambda m, t: m.add_module("a.b", None), KeyError, "module name can.*contain"),
    (lambda m, t: m.add_module("weight", None), KeyError, "already exists"),
    (lambda m, t: m.add_module("q", 3), TypeError, "is not a Module subclass"),
    (lambda m, t: m.get_submodule("x.y"), AttributeError, "has no attribute `x`"),
    (lambda m, t: m.get_parameter("foo"), AttributeError, "has no attribute `foo`"),
    (lambda m, t: m.get_buffer("weight"), AttributeError, "is not a buffer"),
], ids=range(12))
def test_registration_errors_match_torch(call, exc, msg):
    for lib, t in ((nn, pg.zeros), (tnn, torch.zeros)):
        with pytest.raises(exc, match=msg):
            call(lib.Linear(2, 2), t)


def test_get_submodule_parameter_buffer():
    m, tm = pair()
    for target in ("", "blocks.1", "heads.b.0", "blocks.0.norm"):
        assert type(m.get_submodule(target)).__name__ == type(tm.get_submodule(target)).__name__
    assert m.get_parameter("blocks.1.fc.bias") is m.blocks[1].fc.bias
    assert m.get_buffer("bn.running_mean") is m.bn.running_mean
    with pytest.raises(AttributeError, match="is not an nn.Module"):
        m.get_submodule("scale.x")
    with pytest.raises(AttributeError, match="is not an nn.Module"):
        tm.get_submodule("scale.x")


def test_register_buffer_persistence_toggles():
    m = nn.Module()
    m.register_buffer("a", pg.ones(1), persistent=False)
    assert "a" not in m.state_dict() and "a" in dict(m.named_buffers())
    m.register_buffer("a", pg.ones(1))
    assert "a" in m.state_dict()
    m.register_buffer("none", None)
    assert "none" not in m.state_dict() and m.none is None


# ============================================================================ hooks

def test_forward_hooks():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda mod, args, out: out + 1)
    h3 = lin.register_forward_hook(lambda mod, args, out: calls.append("late"))
    h4 = lin.register_forward_hook(lambda mod, args, out: calls.append("first"), prepend=True)
    x = pg.randn(3, 2)
    y = lin(x)
    np.testing.assert_allclose(y.numpy(), np.broadcast_to(lin.bias.detach().numpy() + 1,
                                                          (3, 2)), rtol=1e-6)
    assert calls == ["first", "late"]
    for h in (h1, h2, h3, h4):
        h.remove()
    np.testing.assert_allclose(lin(x).numpy(), (x @ lin.weight.T + lin.bias).detach().numpy(),
                               rtol=1e-6)
    h1.remove()                       # removing twice is harmless


def test_forward_hooks_with_kwargs_single_value_and_always_call():
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            if factor < 0:
                raise ValueError("negative factor")
            return x * factor
    m = Scale()
    with m.register_forward_pre_hook(lambda mod, args, kw: (args, {"factor": 3.0}),
                                     with_kwargs=True):
        assert m(pg.ones(1)).item() == 3.0
    assert m(pg.ones(1)).item() == 1.0          # the with block removed it
    with m.register_forward_pre_hook(lambda mod, args: args[0] * 2):    # one value
        assert m(pg.ones(1)).item() == 2.0
    seen = []
    m.register_forward_hook(lambda mod, args, kw, out: seen.append((kw, out)), with_kwargs=True,
                            always_call=True)
    m(pg.ones(1), factor=2.0)
    assert seen[-1][0] == {"factor": 2.0} and seen[-1][1].item() == 2.0
    with pytest.raises(ValueError, match="negative factor"):
        m(pg.ones(1), factor=-1.0)
    assert seen[-1][1] is None


# ============================================================================ modes, grads, dtypes

def test_train_eval_propagate_through_overrides():
    calls = []

    class Tracked(nn.Module):
        def train(self, mode=True):
            calls.append(mode)
            return super().train(mode)
    m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(Tracked(), nn.Dropout()))
    m.eval()
    assert calls == [False] and not any(x.training for x in m.modules())
    m.train()
    assert calls == [False, True] and all(x.training for x in m.modules())
    with pytest.raises(ValueError, match="boolean"):
        m.train("yes")


def test_zero_grad_requires_grad_and_dtypes():
    m, _ = pair()
    m.train()
    m(pg.randn(4, 3)).backward()
    used = [p for p in m.parameters() if p.grad is not None]
    assert len(used) > 10
    m.zero_grad(set_to_none=False)       # zeros where there was a gradient (torch's rule)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in used)
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    assert m.requires_grad_(False) is m and not any(p.requires_grad for p in m.parameters())
    m.requires_grad_()
    w = m.scale
    m.double()
    assert m.scale is w and w.dtype == pg.float64 and m.bn.running_mean.dtype == pg.float64
    assert m.bn.num_batches_tracked.dtype == pg.int64
    assert m.float().blocks[0].steps.dtype == pg.float32
    assert m.to(pg.float64).pdict["u"].dtype == pg.float64
    assert m.to("cpu") is m
    assert m.to(pg.zeros(1, dtype=pg.float32), non_blocking=True).scale.dtype == pg.float32
    assert m.to(device="cpu", dtype=pg.float64).bn.weight.dtype == pg.float64
    assert m.half().scale.dtype == pg.float16 and m.bn.running_mean.dtype == pg.float16
    assert m.bn.num_batches_tracked.dtype == pg.int64
    m.float()
    with pytest.raises(TypeError, match="floating"):
        m.to(pg.int64)


# ============================================================================ reprs

def test_reprs_match_torch():
    m, tm = pair()
    for name in ("blocks", "heads", "bn"):
        assert repr(getattr(m, name)) == repr(getattr(tm, name))
    assert repr(nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), nn.ReLU(),
                               nn.Linear(2, 3)])) == \
        repr(tnn.ModuleList([tnn.Linear(2, 2), tnn.Linear(2, 2), tnn.ReLU(), tnn.ReLU(),
                             tnn.Linear(2, 3)]))
    assert repr(nn.Sequential()) == repr(tnn.Sequential())

    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.ReLU()

        def extra_repr(self):
            return "k=1"
    assert repr(WithExtra()) == "WithExtra(\n  k=1\n  (inner): ReLU()\n)"
    assert repr(m.plist).startswith("ParameterList(\n  (0): Parameter containing: [pygrad.float32")


# ============================================================================ containers

def both(fn):
    """Run ``fn(lib)`` with pygrad and torch; return the pair of results."""
    return fn(nn), fn(tnn)


def names(seq):
    return [(n, type(m).__name__) for n, m in seq.named_children()]


@pytest.mark.parametrize("ops", [
    lambda lib, s: s[1:],
    lambda lib, s: s[::-1],
    lambda lib, s: s.append(lib.Tanh()),
    lambda lib, s: s.insert(1, lib.Tanh()) or s,
    lambda lib, s: s.insert(-1, lib.Tanh()) or s,
    lambda lib, s: s.extend([lib.Tanh(), lib.Sigmoid()]),
    lambda lib, s: (s.pop(1), s)[1],
    lambda lib, s: (s.__delitem__(0), s)[1],
    lambda lib, s: (s.__delitem__(slice(0, 2)), s)[1],
    lambda lib, s: (s.__setitem__(-1, lib.Tanh()), s)[1],
    lambda lib, s: s + lib.Sequential(lib.Tanh()),
], ids=range(11))
@pytest.mark.parametrize("kind", ["Sequential", "ModuleList"])
def test_indexed_containers_match_torch(ops, kind):
    def run(lib):
        s = getattr(lib, kind)([lib.Linear(2, 2), lib.ReLU(), lib.GELU()]) \
            if kind == "ModuleList" else lib.Sequential(lib.Linear(2, 2), lib.ReLU(), lib.GELU())
        if kind == "ModuleList" and "Sequential" in ops.__code__.co_names:
            return names(s + lib.ModuleList([lib.Tanh()]))
        return names(ops(lib, s))
    if kind == "ModuleList" and ops.__code__.co_consts[-1:] == (-1,) and \
            "insert" in ops.__code__.co_names:
        pytest.skip("torch's ModuleList.insert does not take a negative index")
    a, b = both(run)
    assert a == b


def test_sequential_ordered_dict_and_forward():
    s = nn.Sequential(OrderedDict([("fc", nn.Linear(3, 2)), ("act", nn.Tanh())]))
    assert names(s) == [("fc", "Linear"), ("act", "Tanh")]
    assert s[-1] is s.act and names(s[:1]) == [("fc", "Linear")]
    x = pg.randn(4, 3)
    np.testing.assert_allclose(s(x).numpy(), s.act(s.fc(x)).numpy())
    with pytest.raises(IndexError, match="out of range"):
        s[2]
    with pytest.raises(TypeError, match="expected a Module"):
        nn.Sequential(nn.ReLU(), 3)
    s += nn.Sequential(nn.ReLU())
    assert len(s) == 3 and list(s)[-1].__class__ is nn.ReLU


def test_module_dict_matches_torch():
    def run(lib):
        d = lib.ModuleDict({"a": lib.ReLU(), "b": lib.Tanh()})
        d["c"] = lib.GELU()
        d.update([("d", lib.Linear(2, 2)), ("a", lib.Sigmoid())])
        popped = d.pop("b")
        del d["c"]
        return (names(d), type(popped).__name__, list(d.keys()), len(d), "a" in d,
                [type(v).__name__ for v in d.values()], [k for k, _ in d.items()], list(d))
    a, b = both(run)
    assert a == b
    d = nn.ModuleDict({"a": nn.Linear(2, 2)})
    assert [n for n, _ in d.named_parameters()] == ["a.weight", "a.bias"]
    d.clear()
    assert len(d) == 0 and not list(d.parameters())
    with pytest.raises(ValueError, match="length 2"):
        d.update([("a",)])


def test_parameter_list_and_dict_match_torch():
    def run(lib, t):
        pl = lib.ParameterList([lib.Parameter(t([1.0])), t([2.0, 3.0])])
        pl.append(t([4.0]))
        pl.extend([lib.Parameter(t([5.0]))])
        pl[0] = t([9.0])
        pd = lib.ParameterDict({"x": t([1.0])})
        pd["y"] = lib.Parameter(t([2.0]))
        pd.update({"z": t([3.0])})
        del pd["x"]
        holder = lib.Module()
        holder.pl, holder.pd = pl, pd
        return ([(n, p.detach().numpy().tolist()) for n, p in holder.named_parameters()],
                len(pl), len(pd), list(pd.keys()), type(pl[1]).__name__,
                [p.detach().numpy().tolist() for p in pl[1:3]])
    a = run(nn, lambda v: pg.tensor(v, dtype=pg.float32))
    b = run(tnn, lambda v: torch.tensor(v))
    assert a == b
    pl = nn.ParameterList([pg.ones(2)])
    assert isinstance(pl[0], nn.Parameter) and pl[0].requires_grad
    assert pl[-1] is pl[0]
    with pytest.raises(IndexError):
        pl[3]
    pd = nn.ParameterDict({"a": pg.ones(1)})
    assert pd.get("b") is None and "a" in pd and pd.pop("a").shape == (1,) and len(pd) == 0
    with pytest.raises(RuntimeError, match="should not be called"):
        pl(1)
