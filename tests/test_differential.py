"""Differential test against torch: small random op graphs must give torch's numbers.

Hypothesis builds small programs (1-3 public ops chained, the output of one feeding the next)
over random shapes (broadcasting, size-0 and size-1 dims, 0-d), float32 / float64 / int64
inputs, and values mixed from ordinary numbers and edge values (0, -0, ±inf, NaN, exact ties,
±1e4). Each program is Python source evaluated twice, once with ``m = pygrad`` and once with
``m = torch``, so a failing example prints as code that reproduces it in either library.

Per case we compare:

- the exception, if torch raises: pygrad must raise too. The class is compared only when
  PYGRAD_DIFF_STRICT_EXC=1, because pygrad raises ValueError where torch's shape errors are
  RuntimeError (a project decision tested elsewhere); a non-standard class (AttributeError,
  KeyError, ...) always fails.
- shape, dtype (by name), ``requires_grad`` and values of the output;
- the gradient of every leaf after ``y.backward(gy)`` with a random upstream gradient ``gy``
  (sometimes holding 0, ±inf, NaN). torch leaves ``.grad`` None for a leaf the output does
  not depend on; pygrad may leave None or give zeros: both count as zeros;
- for float64 programs, the double backward: ``g = autograd.grad(y, leaves, gy,
  create_graph=True)`` then ``autograd.grad(Σ (g_i·r_i).sum(), leaves)``.

Values are equal when NaN positions agree, infinities agree (sign included) and finite values
are within the float rounding tolerance: ``|a − b| ≤ atol + rtol·|b| + k·eps·scale``, with
(rtol, atol) = (1e-5, 1e-6) for float32 and (1e-9, 1e-12) for float64, and ``scale`` the
largest finite magnitude among the case's inputs, intermediates and gradients (a sum that
cancels ±1e4 may differ by a few ulps of 1e4, depending on summation order). A value that is
finite on one side and ±inf on the other is accepted only when the finite one is within a
factor 4 of the dtype's largest value (rounding across the overflow threshold). The sign of a
zero is not compared.

CI runs a fixed, derandomized set of examples (PYGRAD_DIFF_EXAMPLES, default 300 per test).
A long run: ``PYGRAD_DIFF_EXAMPLES=20000 pytest tests/test_differential.py`` (random seeds).
Minimised failures found this way are kept below as ordinary regression tests.
"""
from __future__ import annotations

import math
import re
import os
import warnings

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
torch = pytest.importorskip("torch")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import pygrad as pg  # noqa: E402

N_EXAMPLES = int(os.environ.get("PYGRAD_DIFF_EXAMPLES", "300"))
LONG = "PYGRAD_DIFF_EXAMPLES" in os.environ
STRICT_EXC = os.environ.get("PYGRAD_DIFF_STRICT_EXC") == "1"

SETTINGS = settings(max_examples=N_EXAMPLES, deadline=None, derandomize=not LONG,
                    database=None, print_blob=LONG,
                    suppress_health_check=list(HealthCheck))

TOL = {"float32": (1e-5, 1e-6), "float64": (1e-9, 1e-12)}
SLACK_ULPS = 16
ORDINARY_ERRORS = (TypeError, ValueError, IndexError, RuntimeError, NotImplementedError)

inf, nan = math.inf, math.nan
EDGE = [0.0, -0.0, inf, -inf, nan, 1e4, -1e4, 1.0, -1.0]
TIES = [0.0, 1.0, -1.0, 2.0]
SCALARS = [2, 0, -1, 3, 1, 0.5, 2.5, -1.5, 0.0, -0.0, 1e4, inf, -inf, nan]


# ============================================================================ programs

class Program:
    """Leaves (NumPy arrays) and lines of source computing ``y`` from them."""

    def __init__(self):
        self.leaves = []        # (name, array, requires_grad)
        self.lines = []         # (target, expression)
        self.ops = []           # op names, for grouping failures
        self.gy = None          # upstream gradient (array), drawn once y is known
        self.r = None           # the double-backward weights, one array per leaf

    def leaf(self, array, requires_grad):
        name = f"x{len(self.leaves)}"
        self.leaves.append((name, array, requires_grad and array.dtype.kind == "f"))
        return name

    def add(self, op, expr):
        target = f"y{len(self.lines)}"
        self.lines.append((target, expr))
        self.ops.append(op)
        return target

    @property
    def out(self):
        return self.lines[-1][0]

    def source(self):
        """The program as code that runs with ``m`` bound to pygrad or torch."""
        rows = [f"{n} = {array_source(a, rg)}" for n, a, rg in self.leaves]
        rows += [f"{t} = {e}" for t, e in self.lines]
        if self.gy is not None:
            rows.append(f"y = {self.out}; y.backward({array_source(self.gy)})")
        return "\n".join(rows)

    def __repr__(self):
        return "\n" + self.source() + "\n"


def array_source(a, requires_grad=False):
    dt = f"m.{a.dtype}" if a.dtype != np.bool_ else "m.bool"
    rg = ", requires_grad=True" if requires_grad else ""
    if a.size == 0:
        return f"m.zeros({', '.join(map(str, a.shape))}, dtype={dt}{rg})"
    return f"m.tensor({_py(a.tolist())}, dtype={dt}{rg})"


def _py(v):
    if isinstance(v, list):
        return "[" + ", ".join(_py(x) for x in v) + "]"
    if isinstance(v, float):
        if math.isfinite(v):
            return repr(v)
        return "nan" if math.isnan(v) else "inf" if v > 0 else "-inf"
    return repr(v)


def namespace(m):
    return {"m": m, "F": m.nn.functional, "inf": inf, "nan": nan}


def run_forward(prog, m):
    """Leaves and the namespace after running the program with module ``m``."""
    ns = namespace(m)
    leaves = []
    for name, a, rg in prog.leaves:
        t = m.tensor(a.copy(), requires_grad=rg)
        ns[name] = t
        leaves.append(t)
    for target, expr in prog.lines:
        ns[target] = eval(expr, ns)
    return leaves, ns


# ============================================================================ strategies

def sides(draw):
    # size 0 rarely, 1 often, up to 4
    k = draw(st.integers(0, 11))
    return 0 if k == 0 else 1 if k <= 4 else k - 3 if k <= 7 else 2


def draw_shape(draw, min_dims=0, max_dims=3):
    nd = draw(st.integers(min_dims, max_dims))
    return tuple(sides(draw) for _ in range(nd))


def draw_values(draw, shape, dtype, kind=None, lo=None, hi=None):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return draw(hnp.arrays(dtype, shape, elements=st.booleans()))
    if dtype.kind in "iu":
        return draw(hnp.arrays(dtype, shape, elements=st.integers(-3, 5)))
    width = 32 if dtype == np.float32 else 64
    if lo is not None:         # a bounded domain, e.g. probabilities
        elements = st.one_of(st.sampled_from([lo, hi, (lo + hi) / 2]),
                             st.floats(lo, hi, width=width))
    else:
        kind = kind or draw(st.sampled_from(["normal", "normal", "ties", "edge"]))
        normal = st.floats(-4, 4, width=width)
        elements = {"normal": normal, "ties": st.sampled_from(TIES),
                    "edge": st.one_of(normal, st.sampled_from(EDGE))}[kind]
    return draw(hnp.arrays(dtype, shape, elements=elements))


def draw_dtype(draw, ints=True):
    return draw(st.sampled_from(["float32", "float64", "float32", "float64"]
                                + (["int64"] if ints else [])))


def fresh(draw, prog, shape, dtype, requires_grad=None, **kw):
    a = draw_values(draw, shape, dtype, **kw)
    rg = draw(st.integers(0, 7)) > 0 if requires_grad is None else requires_grad
    return prog.leaf(a, rg)


def broadcastable(draw, shape, other_ok=True):
    """A shape that broadcasts with ``shape`` (rarely one that does not)."""
    if other_ok and draw(st.integers(0, 24)) == 0:
        return draw_shape(draw)
    return draw(hnp.mutually_broadcastable_shapes(num_shapes=1, base_shape=shape, max_dims=4,
                                                  min_side=0, max_side=4)).input_shapes[0]


def draw_dim(draw, ndim, allow_bad=True):
    n = max(ndim, 1)
    if allow_bad and draw(st.integers(0, 30)) == 0:
        return draw(st.sampled_from([n, -n - 1]))
    return draw(st.integers(-n, n - 1))


def draw_dims(draw, ndim):
    """None, an int, or a tuple of distinct dims."""
    k = draw(st.integers(0, 3))
    if k == 0:
        return None
    if k <= 2 or ndim == 0:
        return draw_dim(draw, ndim)
    dims = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(d - ndim if draw(st.booleans()) else d for d in dims)


def draw_scalar(draw):
    return draw(st.sampled_from(SCALARS))


# ---------------------------------------------------------------------------- the ops
# Each op: gen(draw, prog, x, shape, dtype) -> expression. ``x`` is the name of the input
# chained from the previous step (None for the first step: the op makes its own leaves).

OPS = {}


def op(name, weight=1, first_only=False):
    def deco(gen):
        OPS[name] = (gen, weight, first_only)
        return gen
    return deco


def input_(draw, prog, x, shape, dtype, min_dims=0, max_dims=3, ints=True):
    if x is not None:
        return x, shape, dtype
    shape = draw_shape(draw, min_dims, max_dims)
    dtype = draw_dtype(draw, ints)
    return fresh(draw, prog, shape, dtype), shape, dtype


def _other_dtype(draw, dtype):
    k = draw(st.integers(0, 9))
    if k == 0:
        return "int64"
    if k == 1:
        return "float64" if dtype == "float32" else "float32"
    return dtype if dtype != "int64" else "float32"


ARITH = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}


def _arith(sym):
    def gen(draw, prog, x, shape, dtype):
        a, shape, dtype = input_(draw, prog, x, shape, dtype)
        form = draw(st.integers(0, 4))
        if form == 0:
            return f"{a} {sym} {_py(draw_scalar(draw))}"
        if form == 1:
            return f"{_py(draw_scalar(draw))} {sym} {a}"
        bshape = broadcastable(draw, shape)
        if draw(st.integers(0, 7)) == 0:
            bshape = ()          # a 0-d tensor operand
        b = fresh(draw, prog, bshape, _other_dtype(draw, dtype),
                  lo=0.0 if sym == "**" and draw(st.booleans()) else None,
                  hi=3.0 if sym == "**" else None)
        return f"{a} {sym} {b}" if form <= 3 else f"{b} {sym} {a}"
    return gen


for _n, _s in ARITH.items():
    op(_n, weight=2)(_arith(_s))


def _binary_fn(fn):
    def gen(draw, prog, x, shape, dtype):
        a, shape, dtype = input_(draw, prog, x, shape, dtype)
        b = fresh(draw, prog, broadcastable(draw, shape), _other_dtype(draw, dtype))
        return f"m.{fn}({a}, {b})" if draw(st.booleans()) else f"m.{fn}({b}, {a})"
    return gen


op("maximum")(_binary_fn("maximum"))
op("minimum")(_binary_fn("minimum"))


@op("where")
def _where(draw, prog, x, shape, dtype):
    a, shape, dtype = input_(draw, prog, x, shape, dtype)
    c = fresh(draw, prog, broadcastable(draw, shape), "bool")
    form = draw(st.integers(0, 3))
    if form == 0:
        return f"m.where({c}, {a}, {_py(draw_scalar(draw))})"
    if form == 1:
        return f"m.where({c}, {_py(draw_scalar(draw))}, {a})"
    b = fresh(draw, prog, broadcastable(draw, shape), _other_dtype(draw, dtype))
    return f"m.where({c}, {a}, {b})" if form == 2 else f"m.where({c}, {b}, {a})"


@op("masked_fill")
def _masked_fill(draw, prog, x, shape, dtype):
    a, shape, dtype = input_(draw, prog, x, shape, dtype)
    mshape = draw(hnp.mutually_broadcastable_shapes(num_shapes=1, base_shape=shape,
                                                    max_dims=len(shape), min_side=0,
                                                    max_side=4)
                  ).input_shapes[0] if draw(st.integers(0, 9)) else draw_shape(draw)
    c = fresh(draw, prog, mshape, "bool")
    v = draw_scalar(draw)
    if draw(st.integers(0, 3)) == 0:
        v = f"m.tensor({_py(float(v))}, dtype=m.{dtype if dtype != 'int64' else 'float32'})"
        return f"{a}.masked_fill({c}, {v})"
    return f"{a}.masked_fill({c}, {_py(v)})"


@op("matmul")
def _matmul(draw, prog, x, shape, dtype):
    a, shape, dtype = input_(draw, prog, x, shape, dtype, min_dims=1, ints=False)
    if len(shape) == 0:
        bshape = draw_shape(draw, 1, 2)
    else:
        k = shape[-1]
        nd = draw(st.integers(1, 3))
        if nd == 1:
            bshape = (k,)
        else:
            n = sides(draw)
            batch = shape[:-2] if len(shape) > 2 else ()
            if nd == 3 and draw(st.booleans()):
                batch = broadcastable(draw, batch, other_ok=False)[-1:] or (sides(draw),)
            bshape = tuple(batch) + (k, n)
        if draw(st.integers(0, 19)) == 0:
            bshape = bshape[:-1] + (bshape[-1] + 1,)      # mismatched inner dims
    b = fresh(draw, prog, bshape, dtype if draw(st.integers(0, 19)) else _other_dtype(draw,
                                                                                  dtype))
    return draw(st.sampled_from([f"{a} @ {b}", f"m.matmul({a}, {b})", f"{a}.matmul({b})"]))


UNARY = {
    "neg": ["-{a}"],
    "exp": ["m.exp({a})", "{a}.exp()"],
    "log": ["m.log({a})", "{a}.log()"],
    "sqrt": ["m.sqrt({a})", "{a}.sqrt()"],
    "abs": ["m.abs({a})", "{a}.abs()", "abs({a})"],
    "relu": ["m.relu({a})", "F.relu({a})", "{a}.relu()"],
    "tanh": ["m.tanh({a})", "F.tanh({a})", "{a}.tanh()"],
    "sigmoid": ["m.sigmoid({a})", "F.sigmoid({a})", "{a}.sigmoid()"],
    "logsigmoid": ["F.logsigmoid({a})"],
    "double": ["{a}.double()"],
    "float": ["{a}.float()"],
}


def _unary(forms):
    def gen(draw, prog, x, shape, dtype):
        a, shape, dtype = input_(draw, prog, x, shape, dtype,
                                 ints=draw(st.integers(0, 5)) == 0)
        return draw(st.sampled_from(forms)).format(a=a)
    return gen


for _n, _f in UNARY.items():
    op(_n)(_unary(_f))


@op("clamp")
def _clamp(draw, prog, x, shape, dtype):
    a, shape, dtype = input_(draw, prog, x, shape, dtype, ints=False)
    lo = draw(st.one_of(st.none(), st.sampled_from([-1.0, 0.0, 0.5, -inf, 1e4, 1.0])))
    hi = draw(st.one_of(st.none(), st.sampled_from([1.0, 0.0, 2.0, inf, -1.0, -1e4])))
    if lo is None and hi is None:
        lo = 0.0
    fn = draw(st.sampled_from(["m.clamp({a}, min={lo}, max={hi})",
                               "{a}.clamp(min={lo}, max={hi})"]))
    return fn.format(a=a, lo=_py(lo), hi=_py(hi))


@op("softmax")
def _softmax(draw, prog, x, shape, dtype):
    a, shape, dtype = input_(draw, prog, x, shape, dtype, ints=False)
    d = draw_dim(draw, len(shape))
    fn = draw(st.sampled_from(["m.softmax({a}, dim={d})", "F.softmax({a}, dim={d})",
                               "{a}.softmax({d})", "m.log_softmax({a}, dim={d})",
                               "F.log_softmax({a}, dim={d})", "{a}.log_softmax({d})"]))
    return fn.format(a=a, d=d)


@op("sum_mean", weight=2)
def _sum_mean(draw, prog, x, shape, dtype):
    a, shape, dtype = input_(draw, prog, x, shape, dtype)
    name = draw(st.sampled_from(["sum", "mean"]))
    dims = draw_dims(draw, len(shape))
    if dims is None:
        return draw(st.sampled_from([f"{a}.{name}()", f"m.{name}({a})"]))
    k = draw(st.booleans())
    return draw(st.sampled_from([f"{a}.{name}(dim={dims!r}, keepdim={k})",
                                 f"m.{name}({a}, {dims!r}, keepdim={k})"]))


@op("logsumexp")
def _logsumexp(draw, prog, x, shape, dtype):
    a, shape, dtype = input_(draw, prog, x, shape, dtype, ints=False)
    dims = draw_dims(draw, len(shape))
    if dims is None:
        dims = draw_dim(draw, len(shape))
    return f"{a}.logsumexp(dim={dims!r}, keepdim={draw(st.booleans())})"


@op("var_std")
def _var_std(draw, prog, x, shape, dtype):
    a, shape, dtype = input_(draw, prog, x, shape, dtype, ints=False)
    name = draw(st.sampled_from(["var", "std"]))
    dims = draw_dims(draw, len(shape))
    u = draw(st.booleans())
    if dims is None:
        return f"{a}.{name}(unbiased={u})"
    return f"{a}.{name}(dim={dims!r}, unbiased={u}, keepdim={draw(st.booleans())})"


@op("max_min", weight=2)
def _max_min(draw, prog, x, shape, dtype):
    a, shape, dtype = input_(draw, prog, x, shape, dtype)
    name = draw(st.sampled_from(["max", "min"]))
    form = draw(st.integers(0, 3))
    if form == 0:
        return draw(st.sampled_from([f"{a}.{name}()", f"m.{name}({a})"]))
    d = draw_dim(draw, len(shape))
    k = draw(st.booleans())
    part = draw(st.sampled_from([".values", ".indices", "[0]", "[1]"]))
    return f"{a}.{name}(dim={d}, keepdim={k}){part}" if form < 3 else \
        f"m.{name}({a}, {d}, {k}){part}"


@op("argmax")
def _argmax(draw, prog, x, shape, dtype):
    a, shape, dtype = input_(draw, prog, x, shape, dtype)
    name = draw(st.sampled_from(["argmax", "argmin"]))
    if draw(st.booleans()):
        return f"{a}.{name}()"
    return f"m.{name}({a}, dim={draw_dim(draw, len(shape))}, keepdim={draw(st.booleans())})"


@op("reshape")
def _reshape(draw, prog, x, shape, dtype):
    a, shape, dtype = input_(draw, prog, x, shape, dtype)
    n = int(np.prod(shape))
    if n == 0:
        new = draw(st.sampled_from([(0,), (0, 2), (2, 0, 1), (-1,), (0, -1)]))
    else:
        factors = []
        rest = n
        for p in (2, 3, 5, 7):
            while rest % p == 0:
                factors.append(p)
                rest //= p
        factors.append(rest)
        factors = draw(st.permutations(factors))
        cut = sorted(draw(st.lists(st.integers(0, len(factors)), max_size=3)))
        new, prev = [], 0
        for c in cut + [len(factors)]:
            new.append(int(np.prod(factors[prev:c])))
            prev = c
        if draw(st.booleans()):
            new.insert(draw(st.integers(0, len(new))), 1)
        if draw(st.booleans()):
            new[draw(st.integers(0, len(new) - 1))] = -1
        new = tuple(new)
    if draw(st.integers(0, 24)) == 0:
        new = new + (2,)                 # a size that does not fit
    fn = draw(st.sampled_from(["{a}.reshape{s}", "m.reshape({a}, {s})", "{a}.view{s}"]))
    return fn.format(a=a, s=repr(tuple(new)) if len(new) != 1 else f"({new[0]},)")


@op("transpose")
def _transpose(draw, prog, x, shape, dtype):
    a, shape, dtype = input_(draw, prog, x, shape, dtype)
    n = len(shape)
    form = draw(st.integers(0, 3))
    if form == 0:
        return f"{a}.transpose({draw_dim(draw, n)}, {draw_dim(draw, n)})"
    if form == 1:
        perm = draw(st.permutations(range(n)))
        perm = [p - n if draw(st.booleans()) else p for p in perm]
        return f"{a}.permute({', '.join(map(str, perm))})" if perm and draw(st.booleans()) \
            else f"m.permute({a}, {tuple(perm)!r})"
    if form == 2:
        return f"{a}.movedim({draw_dim(draw, n)}, {draw_dim(draw, n)})"
    return f"{a}.mT" if n >= 2 and draw(st.booleans()) else f"{a}.T" if n != 3 else f"{a}.mT"


@op("squeeze")
def _squeeze(draw, prog, x, shape, dtype):
    a, shape, dtype = input_(draw, prog, x, shape, dtype)
    n = len(shape)
    form = draw(st.integers(0, 4))
    if form == 0:
        return f"{a}.squeeze()"
    if form == 1:
        return f"{a}.squeeze({draw_dim(draw, n)})"
    if form == 2:
        dims = draw_dims(draw, n)
        return f"m.squeeze({a}, {dims!r})" if dims is not None else f"m.squeeze({a})"
    d = draw(st.integers(-n - 1, n))
    return f"{a}.unsqueeze({d})" if form == 3 else f"m.unsqueeze({a}, {d})"


@op("flatten")
def _flatten(draw, prog, x, shape, dtype):
    a, shape, dtype = input_(draw, prog, x, shape, dtype)
    n = len(shape)
    if draw(st.booleans()):
        return f"{a}.flatten()"
    s, e = sorted([draw_dim(draw, n), draw_dim(draw, n)], key=lambda d: d % max(n, 1))
    return f"m.flatten({a}, {s}, {e})"


@op("expand")
def _expand(draw, prog, x, shape, dtype):
    a, shape, dtype = input_(draw, prog, x, shape, dtype)
    sizes = [(sides(draw) if s == 1 and draw(st.booleans()) else
              -1 if draw(st.booleans()) else s) for s in shape]
    lead = [sides(draw) for _ in range(draw(st.integers(0, 2)))]
    if draw(st.integers(0, 19)) == 0:
        sizes = [s + 1 for s in sizes] or [2]      # not expandable
    sizes = lead + sizes
    return f"{a}.expand({', '.join(map(str, sizes))})" if sizes and draw(st.booleans()) \
        else f"{a}.expand({tuple(sizes)!r})"


@op("cat_stack")
def _cat_stack(draw, prog, x, shape, dtype):
    a, shape, dtype = input_(draw, prog, x, shape, dtype)
    name = draw(st.sampled_from(["cat", "stack"]))
    n = len(shape)
    d = draw_dim(draw, n + (name == "stack"))
    names = [a]
    for _ in range(draw(st.integers(0, 2))):
        s = list(shape)
        if name == "cat" and n:
            s[d % n] = sides(draw)
        if draw(st.integers(0, 24)) == 0:
            s = list(draw_shape(draw))                   # rarely a mismatched shape
        dt = dtype if draw(st.integers(0, 7)) else _other_dtype(draw, dtype)
        names.insert(draw(st.integers(0, len(names))), fresh(draw, prog, tuple(s), dt))
    return f"m.{name}([{', '.join(names)}], dim={d})"


# ---------------------------------------------------------------------------- indexing

def draw_index(draw, shape):
    """A torch index into ``shape``: ints, slices, None, Ellipsis, int lists / tensors and
    bool masks, alone or combined."""
    n = len(shape)
    parts, dim = [], 0
    ellipsis = False
    for _ in range(draw(st.integers(1, 4))):
        k = draw(st.integers(0, 9))
        if k == 0:
            parts.append("None")
            continue
        if k == 1 and not ellipsis:
            ellipsis = True
            parts.append("...")
            dim = max(dim, n - sum(1 for p in parts if p not in ("None", "...")))
            continue
        if dim >= n:
            break
        size = shape[dim]
        if k <= 3:                                   # an int, in range or not
            lo, hi = -size, size - 1
            parts.append(str(draw(st.integers(lo - 1, hi + 1))) if draw(st.integers(0, 9))
                         == 0 else str(draw(st.integers(lo, hi))) if size else "0")
            dim += 1
        elif k <= 5:                                 # a slice
            start = draw(st.one_of(st.none(), st.integers(-size - 1, size + 1)))
            stop = draw(st.one_of(st.none(), st.integers(-size - 1, size + 1)))
            step = draw(st.one_of(st.none(), st.integers(1, 3)))
            parts.append(":".join("" if v is None else str(v) for v in (start, stop))
                         + ("" if step is None else f":{step}"))
            dim += 1
        elif k <= 8:                                 # integer array: list or tensor
            ishape = draw(st.sampled_from([(1,), (2,), (3,), (), (2, 2), (0,), (1, 2)]))
            bound = max(size, 1)
            vals = draw(hnp.arrays(np.int64, ishape, elements=st.integers(-bound, bound - 1)
                                   if draw(st.integers(0, 14)) else
                                   st.integers(-bound - 1, bound)))
            if size == 0 and vals.size:
                vals = vals[..., :0] if vals.ndim else vals
            if ishape and vals.size and draw(st.booleans()):
                parts.append(_py(vals.tolist()))
            else:
                parts.append(array_source(vals))
            dim += 1
        else:                                        # a bool mask over 1 or 2 dims
            span = min(draw(st.integers(1, 2)), n - dim)
            mshape = tuple(shape[dim:dim + span])
            if draw(st.integers(0, 14)) == 0:
                mshape = mshape[:-1] + (mshape[-1] + 1,)
            parts.append(array_source(draw(hnp.arrays(np.bool_, mshape,
                                                      elements=st.booleans()))))
            dim += span
    if not parts:
        parts = ["..."]
    if len(parts) == 1 and draw(st.booleans()):
        return parts[0]
    return ", ".join(parts) + ("," if len(parts) == 1 else "")


@op("getitem", weight=4)
def _getitem(draw, prog, x, shape, dtype):
    a, shape, dtype = input_(draw, prog, x, shape, dtype, min_dims=draw(st.integers(0, 3)))
    return f"{a}[{draw_index(draw, shape)}]"


# ---------------------------------------------------------------------------- losses

@op("mse_loss")
def _mse(draw, prog, x, shape, dtype):
    a, shape, dtype = input_(draw, prog, x, shape, dtype, ints=False)
    t = fresh(draw, prog, shape if draw(st.integers(0, 9)) else broadcastable(draw, shape),
              dtype)
    r = draw(st.sampled_from(["mean", "sum", "none"]))
    return f"F.mse_loss({a}, {t}, reduction={r!r})"


def _class_target(draw, prog, shape, C):
    """An int64 class target for an input of ``shape`` (classes along dim 1, or dim 0 for
    (C,)), with ignore_index entries sometimes."""
    tshape = () if len(shape) <= 1 else (shape[0],) + tuple(shape[2:])
    hi = max(C, 1) - 1 if draw(st.integers(0, 24)) else C     # rarely out of range
    t = draw(hnp.arrays(np.int64, tshape, elements=st.one_of(st.integers(0, hi),
                                                             st.just(-100))))
    return array_source(t)


@op("cross_entropy")
def _cross_entropy(draw, prog, x, shape, dtype):
    if x is None:
        shape = draw(st.sampled_from([(3,), (2, 3), (4, 2), (1, 1), (0, 3), (2, 3, 2)]))
        dtype = draw_dtype(draw, ints=False)
        x = fresh(draw, prog, shape, dtype)
    C = shape[1] if len(shape) >= 2 else shape[0] if shape else 1
    kw = []
    if draw(st.integers(0, 3)) == 0:
        w = draw_values(draw, (C,), dtype if dtype != "int64" else "float32", lo=0.0, hi=2.0)
        kw.append(f"weight={array_source(w)}")
    kw.append(f"reduction={draw(st.sampled_from(['mean', 'sum', 'none']))!r}")
    name = draw(st.sampled_from(["cross_entropy", "cross_entropy", "nll_loss"]))
    if name == "cross_entropy" and draw(st.integers(0, 3)) == 0:
        kw.append(f"label_smoothing={draw(st.sampled_from([0.1, 0.5, 1.0]))}")
    if name == "cross_entropy" and draw(st.integers(0, 3)) == 0:       # probability targets
        p = draw_values(draw, shape, dtype if dtype != "int64" else "float32", lo=0.0, hi=1.0)
        kw = [k for k in kw if not k.startswith("weight")] if draw(st.booleans()) else kw
        return f"F.cross_entropy({x}, {array_source(p)}, {', '.join(kw)})"
    return f"F.{name}({x}, {_class_target(draw, prog, shape, C)}, {', '.join(kw)})"


@op("bce", first_only=True)
def _bce(draw, prog, x, shape, dtype):
    shape = draw_shape(draw)
    dtype = draw_dtype(draw, ints=False)
    logits = draw(st.booleans())
    a = fresh(draw, prog, shape, dtype, lo=None if logits else 0.0, hi=None if logits else 1.0)
    t = array_source(draw_values(draw, shape, dtype, lo=0.0, hi=1.0))
    kw = [f"reduction={draw(st.sampled_from(['mean', 'sum', 'none']))!r}"]
    if draw(st.integers(0, 3)) == 0:
        w = draw_values(draw, broadcastable(draw, shape, False), dtype, lo=0.0, hi=2.0)
        kw.append(f"weight={array_source(w)}")
    if logits:
        if draw(st.integers(0, 3)) == 0:
            pw = draw_values(draw, shape[-1:], dtype, lo=0.0, hi=3.0)
            kw.append(f"pos_weight={array_source(pw)}")
        return f"F.binary_cross_entropy_with_logits({a}, {t}, {', '.join(kw)})"
    return f"F.binary_cross_entropy({a}, {t}, {', '.join(kw)})"


# ---------------------------------------------------------------------------- graphs

def _torch_meta(prog):
    """Shape and dtype of the program's output under torch; None when torch raises or the
    output is not a Tensor."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, ns = run_forward(prog, torch)
    except Exception:  # noqa: BLE001 - torch refusing the program ends the chain
        return None
    y = ns[prog.out]
    if not isinstance(y, torch.Tensor):
        return None
    return tuple(y.shape), str(y.dtype).replace("torch.", "")


@st.composite
def programs(draw, ops=None, max_steps=3):
    names = sorted(ops or OPS)
    weighted = [n for n in names for _ in range(OPS[n][1])]
    prog = Program()
    x = shape = dtype = None
    for step in range(draw(st.integers(1, max_steps))):
        choices = weighted if step == 0 else [n for n in weighted if not OPS[n][2]]
        if not choices:
            break
        name = draw(st.sampled_from(choices))
        x = prog.add(name, OPS[name][0](draw, prog, x, shape, dtype))
        meta = _torch_meta(prog)
        if meta is None:
            break               # torch raises: an error case, nothing to chain onto
        shape, dtype = meta
        if dtype not in ("float32", "float64", "int64"):
            break
    meta = _torch_meta(prog)
    if meta is not None and meta[1].startswith("float"):
        prog.gy = draw_values(draw, meta[0], meta[1],
                              kind=draw(st.sampled_from(["normal"] * 4 + ["edge", "ties"])))
        if meta[1] == "float64":
            prog.r = [draw_values(draw, a.shape, "float64", kind="normal")
                      if a.dtype.kind == "f" else None for _, a, _ in prog.leaves]
    return prog


# ============================================================================ comparison

class Mismatch(Exception):
    pass


def _np(t):
    if t is None:
        return None
    if isinstance(t, torch.Tensor):
        if t._is_zerotensor():          # torch's lazily zero gradients
            return np.zeros(tuple(t.shape), dtype=str(t.dtype).replace("torch.", ""))
        return t.detach().numpy()
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t)


def _dtype_name(t):
    return str(t.dtype).replace("torch.", "")


def _scale(arrays):
    s = 0.0
    for a in arrays:
        if a is not None and a.dtype.kind == "f" and a.size:
            f = np.abs(a[np.isfinite(a)])
            if f.size:
                s = max(s, float(f.max()))
    return s


def compare(what, got, want, scale=0.0, low="float64"):
    """Problems (strings) between pygrad's ``got`` and torch's ``want`` (tensors)."""
    if not isinstance(want, torch.Tensor):
        if isinstance(got, pg.Tensor) or type(got) is not type(want) or got != want:
            return [f"{what}: pygrad {got!r}, torch {want!r}"]
        return []
    if not isinstance(got, pg.Tensor):
        return [f"{what}: pygrad returned {type(got).__name__}, torch a Tensor"]
    out = []
    if tuple(got.shape) != tuple(want.shape):
        return [f"{what}: shape {tuple(got.shape)} != torch {tuple(want.shape)}"]
    if _dtype_name(got) != _dtype_name(want):
        out.append(f"{what}: dtype {_dtype_name(got)} != torch {_dtype_name(want)}")
    g, w = _np(got), _np(want)
    bad = values_differ(g, w, scale, low)
    if bad is not None:
        i = tuple(int(v) for v in np.argwhere(bad)[0]) if bad.ndim else ()
        out.append(f"{what}: values differ at {int(bad.sum())} of {bad.size} (first at {i}: "
                   f"pygrad {g[i]!r}, torch {w[i]!r})")
    return out


def values_differ(g, w, scale, low="float64"):
    """A bool mask of the elements that differ beyond float rounding, or None. ``low``: the
    lowest float precision the program computed in (its tolerance applies)."""
    if w.dtype.kind != "f" or g.dtype.kind != "f":
        bad = g != w
        return bad if np.any(bad) else None
    dt = min(np.dtype(w.dtype), np.dtype(g.dtype), np.dtype(low), key=lambda d: d.itemsize)
    rtol, atol = TOL.get(str(dt), TOL["float32"])
    g64, w64 = g.astype(np.float64), w.astype(np.float64)
    gn, wn = np.isnan(g64), np.isnan(w64)
    bad = gn != wn
    both = ~gn & ~wn
    gi, wi = np.isinf(g64), np.isinf(w64)
    big = np.finfo(dt).max / 4
    with np.errstate(invalid="ignore", over="ignore"):
        inf_bad = both & (gi | wi) & ~((gi & wi & (g64 == w64))
                                       | (gi & ~wi & (np.abs(w64) > big) & (np.sign(g64) ==
                                                                            np.sign(w64)))
                                       | (wi & ~gi & (np.abs(g64) > big) & (np.sign(g64) ==
                                                                            np.sign(w64))))
        fin = both & ~gi & ~wi
        tol = atol + rtol * np.abs(w64) + SLACK_ULPS * np.finfo(dt).eps * scale
        fin_bad = fin & (np.abs(g64 - w64) > tol)
    bad = bad | inf_bad | fin_bad
    return bad if np.any(bad) else None


def compare_grads(what, got, want, leaves_t, scale, low):
    out = []
    for i, (g, w, lt) in enumerate(zip(got, want, leaves_t)):
        if not lt.requires_grad:
            continue
        if w is None:
            w = torch.zeros_like(lt)
        if g is None:
            g = pg.zeros(*lt.shape, dtype=getattr(pg, _dtype_name(lt)))
        out += compare(f"{what} x{i}", g, w, scale, low)
    return out


def _call(fn):
    """fn() with warnings silenced; (result, None) or (None, exception)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(), None
        except Exception as e:  # noqa: BLE001 - any exception is compared with torch's
            return None, e


def _exc(e):
    return f"{type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''}"


def check_exceptions(stage, e_pg, e_t):
    if e_t is None and e_pg is None:
        return [], False
    if e_t is None:
        return [f"{stage}: pygrad raised {_exc(e_pg)}; torch succeeded"], True
    if e_pg is None:
        return [f"{stage}: torch raised {_exc(e_t)}; pygrad succeeded"], True
    if not isinstance(e_pg, ORDINARY_ERRORS):
        return [f"{stage}: pygrad raised {_exc(e_pg)}; torch raised {_exc(e_t)}"], True
    if type(e_pg) is not type(e_t) and not isinstance(e_pg, type(e_t)):
        msg = (f"exception class ({stage}): pygrad {type(e_pg).__name__}, torch "
               f"{type(e_t).__name__} ({_exc(e_t)})")
        return ([msg] if STRICT_EXC else []), True
    return [], True


def class_mismatch(stage, e_pg, e_t):
    """A soft finding: both raised, with different classes."""
    if e_pg is not None and e_t is not None and isinstance(e_pg, ORDINARY_ERRORS) \
            and not isinstance(e_pg, type(e_t)):
        return f"{stage}: pygrad {type(e_pg).__name__}, torch {type(e_t).__name__} " \
               f"({_exc(e_t)})"
    return None


def check_program(prog, soft=None):
    """Run ``prog`` in both libraries; the list of mismatches (empty: they agree).
    Exception-class differences go to ``soft`` (a list) when given."""
    res_t, e_t = _call(lambda: run_forward(prog, torch))
    res_p, e_p = _call(lambda: run_forward(prog, pg))
    problems, stop = check_exceptions("forward", e_p, e_t)
    if soft is not None and (c := class_mismatch("forward", e_p, e_t)):
        soft.append(c)
    if stop:
        return problems
    (lt, ns_t), (lp, ns_p) = res_t, res_p
    yt, yp = ns_t[prog.out], ns_p[prog.out]
    inter = [_np(v) for v in ns_t.values() if isinstance(v, torch.Tensor)]
    scale = _scale([a for _, a, _ in prog.leaves] + inter)
    low = "float32" if any(a.dtype == np.float32 for a in inter) else "float64"
    problems += compare("forward", yp, yt, scale, low)
    if problems or not isinstance(yt, torch.Tensor):
        return problems
    if bool(getattr(yp, "requires_grad", False)) != yt.requires_grad:
        problems.append(f"forward: requires_grad {getattr(yp, 'requires_grad', None)} != "
                        f"torch {yt.requires_grad}")
        return problems
    if not yt.requires_grad or prog.gy is None:
        return problems

    # ---- backward
    gy = prog.gy
    _, e_t = _call(lambda: yt.backward(torch.tensor(gy)))
    _, e_p = _call(lambda: yp.backward(pg.tensor(gy)))
    more, stop = check_exceptions("backward", e_p, e_t)
    if soft is not None and (c := class_mismatch("backward", e_p, e_t)):
        soft.append(c)
    problems += more
    if stop:
        return problems
    gt = [t.grad for t in lt]
    gp = [t.grad for t in lp]
    scale = max(scale, _scale([gy] + [_np(g) for g in gt]))
    problems += compare_grads("grad", gp, gt, lt, scale, low)
    if problems or prog.r is None or low == "float32":
        return problems

    # ---- double backward (float64 programs)
    return problems + check_double(prog, scale, soft)


def _second(prog, m):
    leaves, ns = run_forward(prog, m)
    y = ns[prog.out]
    want = [t for t in leaves if t.requires_grad]
    if not want:
        return leaves, None, None
    g1 = m.autograd.grad(y, want, grad_outputs=m.tensor(prog.gy), create_graph=True,
                         allow_unused=True)
    s = None
    for g, t in zip(g1, want):
        if g is None or not g.requires_grad:
            continue
        r = prog.r[[id(v) for v in leaves].index(id(t))]
        term = (g * m.tensor(r)).sum()
        s = term if s is None else s + term
    if s is None:
        return leaves, g1, None
    g2 = m.autograd.grad(s, want, allow_unused=True)
    return leaves, g1, g2


def check_double(prog, scale, soft=None):
    if any(a.dtype != np.float64 for _, a, rg in prog.leaves if rg):
        return []
    res_t, e_t = _call(lambda: _second(prog, torch))
    res_p, e_p = _call(lambda: _second(prog, pg))
    problems, stop = check_exceptions("double backward", e_p, e_t)
    if soft is not None and (c := class_mismatch("double backward", e_p, e_t)):
        soft.append(c)
    if stop:
        return problems
    (lt, g1t, g2t), (_, g1p, g2p) = res_t, res_p
    if g1t is None:
        return problems
    want = [t for t in lt if t.requires_grad]
    problems += compare_grads("create_graph grad", list(g1p), list(g1t), want, scale,
                              "float64")
    if problems:
        return problems
    scale = max(scale, _scale([_np(g) for g in g1t if g is not None] + prog.r))
    if g2t is None and g2p is None:
        return problems
    g2t = g2t or [None] * len(want)
    g2p = g2p or [None] * len(want)
    return problems + compare_grads("double backward", list(g2p), list(g2t), want, scale,
                                    "float64")


def assert_agrees(prog):
    problems = check_program(prog)
    if problems:
        raise Mismatch("pygrad and torch differ:\n  " + "\n  ".join(problems)
                       + "\nprogram (m = pygrad or torch):\n" + prog.source())


# ============================================================================ the tests

@SETTINGS
@given(programs())
def test_op_graphs_match_torch(prog):
    assert_agrees(prog)


@SETTINGS
@given(programs(ops=["getitem", "reshape", "transpose", "squeeze", "expand", "cat_stack",
                     "flatten"], max_steps=2))
def test_indexing_and_shape_ops_match_torch(prog):
    assert_agrees(prog)


@SETTINGS
@given(programs(ops=["cross_entropy", "bce", "mse_loss", "softmax", "logsumexp", "var_std",
                     "max_min", "sum_mean"], max_steps=2))
def test_losses_and_reductions_match_torch(prog):
    assert_agrees(prog)


@SETTINGS
@given(start=st.sampled_from([0, 1, -2, 0.5, -1.5, 3]),
       end=st.sampled_from([0, 4, 5, -3, 2.5, 10]),
       steps=st.integers(0, 7),
       dtype=st.sampled_from([None, "float32", "float64", "int64"]))
def test_linspace_matches_torch(start, end, steps, dtype):
    kw = {} if dtype is None else {"dtype": getattr(pg, dtype)}
    tkw = {} if dtype is None else {"dtype": getattr(torch, dtype)}
    got, e_p = _call(lambda: pg.linspace(start, end, steps, **kw))
    want, e_t = _call(lambda: torch.linspace(start, end, steps, **tkw))
    problems, stop = check_exceptions("linspace", e_p, e_t)
    if not stop:
        problems += compare("linspace", got, want)
    assert not problems, problems


# ============================================================================ regressions
# Minimised cases found by the generator (and long runs of it), kept as ordinary tests.
# Each snippet runs with m = pygrad and m = torch and defines ``y``; when it defines ``gy``
# too, the gradients of the leaves ``x0, x1, ...`` after ``y.backward(gy)`` are compared.
# Double-backward cases define ``y`` as a first-order gradient (create_graph=True).

def run_snippet(src, m):
    ns = namespace(m)
    exec(src, ns)  # noqa: S102 - the snippet is this file's own test code
    leaves = [(k, v) for k, v in sorted(ns.items()) if re.fullmatch(r"x\d+", k)
              and isinstance(v, (pg.Tensor, torch.Tensor)) and v.requires_grad]
    return ns, leaves


def check_snippet(src):
    """Problems between pygrad and torch on a snippet (see above)."""
    res_t, e_t = _call(lambda: run_snippet(src, torch))
    res_p, e_p = _call(lambda: run_snippet(src, pg))
    problems, stop = check_exceptions("forward", e_p, e_t)
    if stop:
        return problems
    (ns_t, lt), (ns_p, lp) = res_t, res_p
    inter = [_np(v) for v in ns_t.values() if isinstance(v, torch.Tensor)]
    scale = _scale(inter)
    low = "float32" if any(a.dtype == np.float32 for a in inter) else "float64"
    problems += compare("forward", ns_p["y"], ns_t["y"], scale, low)
    if problems or "gy" not in ns_t or not ns_t["y"].requires_grad:
        return problems
    _, e_t = _call(lambda: ns_t["y"].backward(ns_t["gy"]))
    _, e_p = _call(lambda: ns_p["y"].backward(ns_p["gy"]))
    more, stop = check_exceptions("backward", e_p, e_t)
    if stop:
        return problems + more
    scale = max(scale, _scale([_np(t.grad) for _, t in lt]))
    return problems + compare_grads("grad", [t.grad for _, t in lp], [t.grad for _, t in lt],
                                    [t for _, t in lt], scale, low)


def _regression(name, src):
    return pytest.param(src.strip(), id=name)


REGRESSIONS = [
    # ---- forward: values, dtypes, shapes
    _regression("getitem-int-and-array-apart", """
x0 = m.tensor([[[1., 2.], [3., 4.], [5., 6.]]] * 2, requires_grad=True)
y = x0[1, :, [0, 1]]                      # torch: (3, 2); NumPy's rule would give (2, 3)
gy = m.ones(3, 2)
"""),
    _regression("getitem-nested-list-is-a-tuple", """
x0 = m.tensor([[1., 2.], [3., 4.]], requires_grad=True)
y = x0[[[0, 1], [1, 1]]]                  # torch reads a list of lists as x0[[0, 1], [1, 1]]
gy = m.ones(2)
"""),
    _regression("nll-loss-ignored-row-with-inf", """
x0 = m.tensor([[inf, 0.], [1., 2.]], requires_grad=True)
y = F.nll_loss(x0, m.tensor([-100, 1]), reduction='sum')     # torch: -2, the row is skipped
gy = m.tensor(1.)
"""),
    _regression("mse-loss-broadcasts", """
x0 = m.tensor([1., 2.], requires_grad=True)
y = F.mse_loss(x0, m.tensor(0.))
gy = m.tensor(1.)
"""),
    _regression("transpose-0d", """
x0 = m.tensor(2., requires_grad=True)
y = x0.transpose(0, -1)
gy = m.tensor(1.)
"""),
    _regression("movedim-0d", """
x0 = m.tensor(2., requires_grad=True)
y = x0.movedim(0, -1)
gy = m.tensor(1.)
"""),
    _regression("argmax-dim-0d", """
y = m.argmax(m.tensor(2.), dim=-1)
"""),
    _regression("flatten-dim-out-of-range", """
y = m.flatten(m.zeros(2, 3), 2, 2)        # torch: IndexError
"""),
    _regression("softmax-dim-out-of-range-0d", """
y = m.softmax(m.tensor(0.), dim=1)        # torch: IndexError
"""),
    _regression("max-dim-empty-other-dim", """
x0 = m.zeros(1, 0, requires_grad=True)
y = x0.max(dim=0).values                  # torch: shape (0,)
gy = m.zeros(0)
"""),
    _regression("max-dim-of-0x3-over-dim-1", """
y = m.zeros(0, 3).max(dim=1).values       # torch: shape (0,)
"""),
    _regression("argmax-dim-of-0x3-over-dim-1", """
y = m.zeros(0, 3).argmax(dim=1)           # torch: shape (0,)
"""),
    _regression("logsumexp-empty-dim", """
x0 = m.zeros(2, 0, requires_grad=True)
y = x0.logsumexp(dim=1)                   # torch: [-inf, -inf]
gy = m.ones(2)
"""),
    _regression("cat-promotes", """
x0 = m.tensor([1.], requires_grad=True)
y = m.cat([x0, m.tensor([2.], dtype=m.float64)])   # torch: float64
gy = m.ones(2, dtype=m.float64)
"""),
    _regression("int-tensor-plus-0d-float-tensor", """
y = m.tensor([1, 2]) + m.tensor(0.5, dtype=m.float64)      # torch: float32 (default dtype)
"""),
    _regression("int-tensor-times-float-scalar", """
y = m.tensor([1, 2]) * 0.5                                  # torch: float32
"""),
    _regression("clamp-int-with-float-bound", """
y = m.clamp(m.tensor([5, -1]), min=0.5)                     # torch: float32 [5., 0.5]
"""),
    _regression("clamp-int-with-inf-bound", """
y = m.tensor([5, -1]).clamp(max=inf)                        # torch: float32
"""),
    _regression("logsumexp-int", """
y = m.tensor([1, 2]).logsumexp(dim=0)                       # torch: float32
"""),
    _regression("sigmoid-int", """
y = m.sigmoid(m.tensor([1, 2]))                             # torch: float32
"""),
    _regression("softmax-int", """
y = m.softmax(m.tensor([1, 2]), dim=0)                      # torch: float32
"""),
    _regression("int-pow-negative-int", """
y = m.tensor([2, 1]) ** m.tensor([-1, -2])                  # torch: [0, 1]
"""),
    _regression("masked-fill-int-with-float-tensor", """
y = m.tensor([5, 6]).masked_fill(m.tensor([True, False]), m.tensor(2.5))   # torch: int64 [2, 6]
"""),
    _regression("masked-fill-int-with-nan", """
y = m.tensor([5, 6]).masked_fill(m.tensor([True, False]), nan)   # torch: RuntimeError
"""),
    _regression("view-of-transposed", """
y = m.zeros(2, 3).T.view(6)               # torch: RuntimeError (not contiguous)
"""),
    _regression("linspace-int", """
y = m.linspace(0, 5, 4, dtype=m.int64)    # torch: [0, 1, 3, 5]
"""),
    _regression("relu-nan", """
x0 = m.tensor([nan, 1.], requires_grad=True)
y = m.relu(x0)
gy = m.ones(2)
"""),
    _regression("maximum-nan", """
x0 = m.tensor([nan, 1.], requires_grad=True)
x1 = m.tensor([0., nan], requires_grad=True)
y = m.maximum(x0, x1)
gy = m.ones(2)
"""),
    _regression("cat-skips-legacy-empty-1d", """
y = m.cat([m.zeros(0), m.ones(2, 2)], dim=1)      # torch: the (0,) tensor is skipped
"""),
    _regression("cross-entropy-label-smoothing-no-classes", """
y = F.cross_entropy(m.zeros(1, 0), m.zeros(1, 0), reduction='sum', label_smoothing=0.1)
"""),
    _regression("nll-loss-empty-input-0d-target", """
y = F.nll_loss(m.zeros(0), m.tensor(-100), reduction='none')    # torch: nan
"""),
    _regression("nll-loss-int-input", """
y = F.nll_loss(m.tensor([[5, 5]]), m.tensor([0]))           # torch: NotImplementedError
"""),
    _regression("log-softmax-0d-dim-minus-1", """
x0 = m.tensor(3., dtype=m.float64, requires_grad=True)
y = m.log_softmax(x0, dim=-1)             # torch: 0.
gy = m.tensor(1., dtype=m.float64)
"""),
    # ---- backward
    _regression("std-backward-at-zero", """
x0 = m.tensor([3., 3.], dtype=m.float64, requires_grad=True)
y = x0.std()                              # torch: grad 0 where std is 0
gy = m.tensor(1., dtype=m.float64)
"""),
    _regression("std-backward-one-element-biased", """
x0 = m.tensor([0.5], dtype=m.float64, requires_grad=True)
y = x0.std(unbiased=False)
gy = m.tensor(1., dtype=m.float64)
"""),
    _regression("var-backward-with-inf", """
x0 = m.tensor([-inf, 1.], dtype=m.float64, requires_grad=True)
y = x0.var(unbiased=False)                # torch: grad [nan, inf]
gy = m.tensor(1., dtype=m.float64)
"""),
    _regression("pow-half-grad-at-minus-zero", """
x0 = m.tensor([-0., 0.], requires_grad=True)
y = x0 ** 0.5
gy = m.ones(2)
"""),
    _regression("max-dim-backward-nan-upstream", """
x0 = m.tensor([[1., 2.]], requires_grad=True)
y = x0.max(dim=1).values
gy = m.tensor([nan])                      # torch: grad [0, nan]
"""),
    _regression("relu-backward-inf-upstream", """
x0 = m.tensor([-1., 1.], requires_grad=True)
y = m.relu(x0)
gy = m.tensor([inf, 1.])                  # torch: grad [0, 1]
"""),
    _regression("where-backward-nan-upstream", """
x0 = m.tensor([1., 2.], requires_grad=True)
y = m.where(m.tensor([True, False]), x0, 0.)
gy = m.tensor([1., nan])                  # torch: grad [1, 0]
"""),
    _regression("getitem-backward-inf-upstream", """
x0 = m.tensor([1., 2., 3.], requires_grad=True)
y = x0[m.tensor([0, 0])]
gy = m.tensor([inf, -inf])                # torch: grad [nan, 0, 0]
"""),
    _regression("abs-backward-at-nan", """
x0 = m.tensor([nan, -1.], requires_grad=True)
y = m.abs(x0)
gy = m.tensor([0., 1.])                   # torch: sgn(nan) = 0, grad [0, -1]
"""),
    _regression("pow-backward-zero-exponent-inf-upstream", """
x0 = m.tensor(1., dtype=m.float64, requires_grad=True)
y = x0 ** m.tensor([0])
gy = m.tensor([-inf], dtype=m.float64)    # torch: grad 0 where the exponent is 0
"""),
    _regression("div-backward-underflow", """
x0 = m.tensor([1e-200], dtype=m.float64, requires_grad=True)
y = 1e-200 / x0                           # torch: -(gy·a/b)/b = -1e200; pygrad a/(b·b)
gy = m.tensor([1.], dtype=m.float64)
"""),
    _regression("nll-loss-backward-ignored-row-inf-upstream", """
x0 = m.tensor([[1., 2.], [3., 4.]], requires_grad=True)
y = F.nll_loss(x0, m.tensor([-100, 1]), reduction='none')
gy = m.tensor([inf, 1.])                  # torch: the ignored row's grad is 0
"""),
    _regression("cross-entropy-zero-total-weight", """
x0 = m.tensor([1., 0., 1.], dtype=m.float64, requires_grad=True)
y = F.cross_entropy(x0, m.tensor(0), weight=m.zeros(3, dtype=m.float64))   # 0/0: nan
gy = m.tensor(1., dtype=m.float64)        # torch: grad nan
"""),
    _regression("bce-backward-clamp", """
x0 = m.tensor([1e-273, 1.], dtype=m.float64, requires_grad=True)
y = F.binary_cross_entropy(x0, m.tensor([0.5, 1e-5], dtype=m.float64), reduction='sum')
gy = m.tensor(1., dtype=m.float64)        # torch: gy·(x − y) / max(x·(1 − x), 1e-12)
"""),
    _regression("var-0d-backward-no-dof", """
x0 = m.tensor(1.5, dtype=m.float64, requires_grad=True)
y = x0.var()                              # nan (no degrees of freedom)
gy = m.tensor(-0., dtype=m.float64)       # torch: grad 0
"""),
    _regression("var-0d-over-dim-backward-no-dof", """
x0 = m.tensor(1.5, requires_grad=True)
y = x0.var(dim=-1, keepdim=True)          # nan (no degrees of freedom)
gy = m.tensor(-0.)                        # torch: grad 0
"""),
    _regression("cross-entropy-mean-ignored-row-inf-upstream", """
x0 = m.ones(2, 2, dtype=m.float64, requires_grad=True)
y = F.cross_entropy(x0, m.tensor([1, -100]))
gy = m.tensor(inf, dtype=m.float64)       # torch: the ignored row's grad is 0
"""),
    _regression("cross-entropy-all-ignored-backward", """
x0 = m.zeros(3, requires_grad=True)
y = F.cross_entropy(x0, m.tensor(-100))  # nan: no target counted
gy = m.tensor(-0.)                        # torch: grad 0
"""),
    _regression("abs-0d-backward", """
x0 = m.tensor(-0.0, requires_grad=True)
y = x0.abs()
gy = m.tensor(-3.5)
"""),
    _regression("div-backward-tiny-divisor", """
x0 = m.tensor([0.1, 8.7e-285], dtype=m.float64, requires_grad=True)
x1 = m.tensor(-6.3e-199, dtype=m.float64, requires_grad=True)
y = x0 / x1
gy = m.tensor([-2.8e-290, 0.58], dtype=m.float64)     # torch: x1.grad = inf
"""),
    _regression("std-backward-inf-upstream", """
x0 = m.tensor([-0.5, 2.0], dtype=m.float64, requires_grad=True)
y = x0.std()
gy = m.tensor(inf, dtype=m.float64)       # torch: grad [-inf, inf]
"""),
    _regression("cross-entropy-ignored-row-of-minus-inf", """
x0 = m.tensor([[-inf]], requires_grad=True)
y = F.cross_entropy(x0, m.tensor([-100]), reduction='none')
gy = m.tensor([-1.5])                     # torch: grad nan
"""),
    # ---- double backward
    _regression("var-0d-double-backward", """
x0 = m.tensor(-1.25, dtype=m.float64, requires_grad=True)
g, = m.autograd.grad(x0.var(), [x0], m.tensor(1., dtype=m.float64), create_graph=True)
y = g
gy = m.tensor(1., dtype=m.float64)        # torch: 0
"""),
    _regression("log-double-backward-tiny", """
x0 = m.tensor(-2.225073858507e-311, dtype=m.float64, requires_grad=True)
g, = m.autograd.grad(m.log(x0), [x0], m.tensor(-2.225073858507e-311, dtype=m.float64),
                     create_graph=True)
y = g
gy = m.tensor(1., dtype=m.float64)        # torch: -inf
"""),
    _regression("mse-loss-double-backward-inf-upstream", """
x0 = m.tensor(2.0, dtype=m.float64, requires_grad=True)
x1 = m.tensor(0.0, dtype=m.float64, requires_grad=True)
g = m.autograd.grad(F.mse_loss(x0, x1), [x0, x1], m.tensor(inf, dtype=m.float64),
                    create_graph=True)
y = g[0] + g[1]
gy = m.tensor(1., dtype=m.float64)        # torch: nan (inf − inf)
"""),
    _regression("bce-double-backward-at-0", """
x0 = m.tensor(0.0, dtype=m.float64, requires_grad=True)
l = F.binary_cross_entropy(x0, m.tensor(1.0, dtype=m.float64))
g, = m.autograd.grad(l, [x0], create_graph=True)
y = g
gy = m.tensor(1., dtype=m.float64)        # torch: 1e12
"""),
    _regression("var-double-backward-no-dof", """
x0 = m.tensor([2.], dtype=m.float64, requires_grad=True)
g, = m.autograd.grad(x0.var(), [x0], create_graph=True)      # nan
y = g
gy = m.ones(1, dtype=m.float64)           # torch: 0
"""),
    _regression("sqrt-double-backward-at-0", """
x0 = m.tensor([0.0], dtype=m.float64, requires_grad=True)
g, = m.autograd.grad(x0.sqrt(), [x0], m.tensor([1e-249], dtype=m.float64), create_graph=True)
y = g
gy = m.ones(1, dtype=m.float64)           # torch: -inf
"""),
    _regression("div-double-backward-underflow", """
x0 = m.tensor([1e-91], dtype=m.float64, requires_grad=True)
g, = m.autograd.grad(-1 / x0, [x0], m.tensor([1e-91], dtype=m.float64), create_graph=True)
y = g
gy = m.ones(1, dtype=m.float64)
"""),
    _regression("bce-double-backward-clamp", """
x0 = m.tensor([1e-273], dtype=m.float64, requires_grad=True)
l = F.binary_cross_entropy(x0, m.tensor([0.], dtype=m.float64))
g, = m.autograd.grad(l, [x0], create_graph=True)
y = g
gy = m.ones(1, dtype=m.float64)           # torch: 0
"""),
    _regression("pow-scalar-base-zero-double-backward", """
x0 = m.tensor([1.], dtype=m.float64, requires_grad=True)
g, = m.autograd.grad(0.0 ** x0, [x0], m.ones(1, dtype=m.float64), create_graph=True)
y = g
gy = m.ones(1, dtype=m.float64)
"""),
    _regression("bce-with-logits-create-graph-inf-upstream", """
x0 = m.tensor([0.], dtype=m.float64, requires_grad=True)
l = F.binary_cross_entropy_with_logits(x0, m.tensor([0.], dtype=m.float64), reduction='none')
g, = m.autograd.grad(l, [x0], m.tensor([-inf], dtype=m.float64), create_graph=True)
y = g                                     # torch: -inf
"""),
]


@pytest.mark.parametrize("src", REGRESSIONS)
def test_regression_matches_torch(src):
    problems = check_snippet(src)
    assert not problems, "\n".join(problems) + "\nsnippet:\n" + src
