"""Creation and sampling beyond tensor.py's basics, and the Tensor's dtype / layout methods.

* ``*_like`` and ``new_*``: empty_like, rand_like, randn_like, randint_like; x.new_zeros, ...
* ``logspace``; sampling: normal, bernoulli, multinomial, poisson, each taking ``generator=``
  (a ``pygrad.Generator``; default: the global one that ``manual_seed`` seeds).
* x.type(dtype), x.half(), x.char(), x.short(), x.byte(), x.is_floating_point(),
  x.element_size(), x.nelement(), x.ndimension(), x.stride(), x.is_contiguous().

Random numbers come from NumPy's PCG64 generator, so a seed gives the same numbers on every
device (not the numbers torch's generator gives for that seed).
"""
from __future__ import annotations

import builtins
import sys

import numpy as np

from ..autograd.function import Function  # noqa: F401 - the ops of this module subclass it
from ..random import rng_of

Tensor = None   # pygrad.tensor.Tensor, bound when that module loads (it imports this one)

__all__ = ["empty_like", "rand_like", "randn_like", "randint_like", "logspace", "normal",
           "bernoulli", "multinomial", "poisson", "numel", "is_tensor", "is_floating_point",
           "tril_indices", "triu_indices",
           "clone", "detach", "empty_strided"]
METHODS = ("new_zeros", "new_ones", "new_full", "new_empty", "new_tensor", "type", "half",
           "char", "short", "byte", "is_floating_point", "element_size", "nelement",
           "ndimension", "stride", "is_contiguous", "bernoulli", "multinomial",
           "random_", "bernoulli_", "exponential_", "geometric_", "log_normal_", "cauchy_",
           "data_ptr", "t_", "transpose_", "squeeze_", "unsqueeze_", "swapaxes_", "swapdims_",
           "as_strided_", "fill_diagonal_")


def _t():
    return sys.modules["pygrad.tensor"]      # the module (pygrad.tensor the name is a function)


# ----------------------------------------------------------------------------- *_like, new_*

def empty_like(input, *, dtype=None, device=None, requires_grad=False):  # noqa: A002
    return _t().zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, generator=None):  # noqa: A002
    return _t().rand(tuple(input.shape), dtype=dtype or input.dtype, device=device or
                     input.device, requires_grad=requires_grad, generator=generator)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, generator=None):  # noqa: A002
    return _t().randn(tuple(input.shape), dtype=dtype or input.dtype, device=device or
                      input.device, requires_grad=requires_grad, generator=generator)


def randint_like(input, low=0, high=None, *, dtype=None, device=None,  # noqa: A002
                 requires_grad=False, generator=None):
    if high is None:
        low, high = 0, low
    return _t().randint(low, high, tuple(input.shape), dtype=dtype or input.dtype,
                        device=device or input.device, requires_grad=requires_grad,
                        generator=generator)


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False):
    return _t().zeros(tuple(size), dtype=dtype, device=device, requires_grad=requires_grad)


def _new_size(args, kwargs, what):
    """The size of new_zeros / new_ones / new_empty: varargs, one sequence, or ``size=``."""
    from .shape import sizes_arg
    return sizes_arg(args, kwargs, "size", what)


def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, **kwargs):
    return _t().zeros(_new_size(size, kwargs, "new_zeros"), dtype=dtype or self.dtype,
                      device=device or self.device, requires_grad=requires_grad)


def new_ones(self, *size, dtype=None, device=None, requires_grad=False, **kwargs):
    return _t().ones(_new_size(size, kwargs, "new_ones"), dtype=dtype or self.dtype,
                     device=device or self.device, requires_grad=requires_grad)


def new_empty(self, *size, dtype=None, device=None, requires_grad=False, **kwargs):
    return new_zeros(self, _new_size(size, kwargs, "new_empty"), dtype=dtype, device=device,
                     requires_grad=requires_grad)


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return _t().full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                     requires_grad=requires_grad)


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    if isinstance(data, Tensor):
        data = data.detach()
    return _t().tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                       requires_grad=requires_grad)


# ----------------------------------------------------------------------------- logspace

def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """``base ** linspace(start, end, steps)`` (torch.logspace; integer dtypes truncate)."""
    tensor = _t()
    dtype = tensor.as_dtype(dtype) or tensor.get_default_dtype()
    exps = tensor.linspace(start, end, steps, dtype="float64").numpy()
    values = np.power(float(base), exps)
    return tensor.tensor(values.astype(dtype), device=device, requires_grad=requires_grad)


def _tri_indices(upper, row, col, offset, dtype, device):
    tensor = _t()
    rows, cols = (np.triu_indices if upper else np.tril_indices)(row, offset, col)
    return tensor.tensor(np.stack([rows, cols]).astype(tensor.as_dtype(dtype) or "int64"),
                         device=device)


def tril_indices(row, col, offset=0, *, dtype=None, device=None):
    """The (2, N) coordinates of the lower triangle (diagonal ``offset``) of a row×col
    matrix, row by row (torch.tril_indices)."""
    return _tri_indices(False, row, col, offset, dtype, device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None):
    """The (2, N) coordinates of the upper triangle (diagonal ``offset``) of a row×col
    matrix, row by row (torch.triu_indices)."""
    return _tri_indices(True, row, col, offset, dtype, device)


# ----------------------------------------------------------------------------- sampling

def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False):
    """Samples from N(mean, std²): ``mean`` / ``std`` tensors (broadcast; the result has
    their shape) or numbers with ``size`` (torch.normal). Not differentiable."""
    tensor = _t()
    rng = rng_of(generator)
    like = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    if like is None:
        if size is None:
            raise TypeError("normal(): with a number mean and std, size= is required")
        dtype = tensor.as_dtype(dtype) or tensor.get_default_dtype()
        out = rng.normal(float(mean), float(std), size=tensor._size((size,)))
        return tensor.tensor(out.astype(dtype), device=device, requires_grad=requires_grad)
    m = mean._host() if isinstance(mean, Tensor) else mean
    s = std._host() if isinstance(std, Tensor) else std
    if np.any(np.asarray(s) < 0):
        raise RuntimeError("normal(): expected all elements of std >= 0.0")
    out = rng.normal(m, s, size=np.broadcast_shapes(np.shape(m), np.shape(s)))
    return tensor.tensor(out.astype(like.dtype), device=like.device)


def bernoulli(input, p=None, *, generator=None):  # noqa: A002
    """1 with probability ``input`` (or ``p``) elementwise, else 0; input's dtype."""
    probs = input._host() if p is None else np.broadcast_to(p, input.shape)
    if np.any((probs < 0) | (probs > 1)) or np.any(probs != probs):
        raise RuntimeError("bernoulli(): expected all probabilities to be in [0, 1]")
    draw = rng_of(generator).random(input.shape) < probs
    return _t().tensor(draw.astype(input.dtype), device=input.device)


def poisson(input, generator=None):  # noqa: A002
    """Poisson samples with rates ``input`` (torch.poisson)."""
    rates = input._host()
    if np.any(rates < 0):
        raise RuntimeError("poisson(): expected all rates to be non-negative")
    out = rng_of(generator).poisson(rates)
    return _t().tensor(out.astype(input.dtype), device=input.device)


def multinomial(input, num_samples, replacement=False, *, generator=None):  # noqa: A002
    """``num_samples`` indices per row drawn with probabilities proportional to the row
    (torch.multinomial): 1-d input gives (num_samples,), 2-d gives (rows, num_samples)."""
    w = input._host().astype(np.float64)
    if w.ndim not in (1, 2):
        raise RuntimeError(f"multinomial(): prob_dist must be 1 or 2 dim, got {w.ndim}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise RuntimeError("multinomial(): probability tensor contains either inf, nan or "
                           "element < 0")
    rows = w.reshape(-1, w.shape[-1])
    if num_samples <= 0:
        raise RuntimeError(f"multinomial(): cannot sample num_samples={num_samples} <= 0")
    rng = rng_of(generator)
    out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for i, row in enumerate(rows):
        total = row.sum()
        if total <= 0:
            raise RuntimeError("multinomial(): invalid multinomial distribution (sum of "
                               "probabilities <= 0)")
        if not replacement and num_samples > np.count_nonzero(row):
            raise RuntimeError(f"multinomial(): cannot sample n_sample={num_samples} > "
                               f"prob_dist.size(-1)={np.count_nonzero(row)} samples without "
                               f"replacement")
        out[i] = rng.choice(row.size, size=num_samples, replace=replacement, p=row / total)
    out = out.reshape(w.shape[:-1] + (num_samples,))
    return _t().tensor(out, device=input.device)


# ----------------------------------------------------------------------------- in-place sampling

def _fill(self, values, what):
    self._check_inplace(what)
    self._data[...] = _t()._to_device_array(values.astype(self.dtype), self.dtype, self.device)
    return self


def random_(self, from_=0, to=None, *, generator=None):
    """Integers in [from, to) (to=None: up to the dtype's mantissa / max), as torch."""
    if to is None:
        if self.dtype.kind == "f":
            to = 2 ** np.finfo(self.dtype).nmant + 1
        elif self.dtype.kind == "b":
            to = 2
        else:
            to = int(np.iinfo(self.dtype).max) + 1
        from_, to = (0, from_) if from_ else (0, to)
    vals = rng_of(generator).integers(from_, to, size=self.shape)
    return _fill(self, vals, "random_")


def bernoulli_(self, p=0.5, *, generator=None):
    probs = p._host() if isinstance(p, Tensor) else p
    return _fill(self, rng_of(generator).random(self.shape) < probs, "bernoulli_")


def exponential_(self, lambd=1.0, *, generator=None):
    return _fill(self, rng_of(generator).exponential(1 / lambd, size=self.shape),
                 "exponential_")


def geometric_(self, p, *, generator=None):
    return _fill(self, rng_of(generator).geometric(p, size=self.shape), "geometric_")


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    return _fill(self, rng_of(generator).lognormal(mean, std, size=self.shape), "log_normal_")


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    return _fill(self, median + sigma * rng_of(generator).standard_cauchy(size=self.shape),
                 "cauchy_")


# ----------------------------------------------------------------------------- dtype and layout

def type(self, dtype=None, non_blocking=False):  # noqa: A001 - torch's name
    """With no argument the type name ('torch.FloatTensor' style: 'pygrad.FloatTensor');
    otherwise ``self.to(dtype)`` (a dtype or its name, e.g. 'float64' or 'torch.DoubleTensor')."""
    names = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
             "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
             "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor"}
    if dtype is None:
        prefix = "pygrad.cuda." if self.device.type == "cuda" else "pygrad."
        return prefix + names[str(self.dtype)]
    if isinstance(dtype, str) and dtype.endswith("Tensor"):
        by_type = {v: k for k, v in names.items()}
        key = dtype.rsplit(".", 1)[-1]
        if key not in by_type:
            raise TypeError(f"type(): invalid type {dtype!r}")
        dtype = by_type[key]
    return self.to(dtype)


def half(self):
    return self.to("float16")


def char(self):
    return self.to("int8")


def short(self):
    return self.to("int16")


def byte(self):
    return self.to("uint8")


def is_floating_point(input):  # noqa: A002
    return input.dtype.kind == "f"


def element_size(self):
    return self.dtype.itemsize


def nelement(self):
    return int(self._data.size)


def numel(input):  # noqa: A002
    return int(input._data.size)


def ndimension(self):
    return self.ndim


def stride(self, dim=None):
    """Strides in elements, as torch (NumPy's are in bytes)."""
    s = tuple(builtins.int(b // self.dtype.itemsize) for b in self._data.strides)
    return s if dim is None else s[dim]


def is_contiguous(self, memory_format=None):
    return bool(self._data.flags.c_contiguous)


def data_ptr(self):
    """The address of the first element (as torch: two tensors sharing memory compare)."""
    a = self._data
    return builtins.int(a.ctypes.data if isinstance(a, np.ndarray) else a.data.ptr)


# in-place layout changes: x takes the view's shape (recorded as the view op when in the graph)

def _relayout(what, view):
    def method(self, *args, **kwargs):
        from ..autograd import inplace
        return inplace.apply(self, what, view, args, kwargs, relayout=True)
    method.__name__ = method.__qualname__ = what.rstrip("()")
    method.__doc__ = f"In place: x becomes ``x.{what.rstrip('_()')}(...)``."
    return method


t_ = _relayout("t_()", lambda x: x.t())
transpose_ = _relayout("transpose_()", lambda x, dim0, dim1: x.transpose(dim0, dim1))
swapdims_ = _relayout("swapdims_()", lambda x, dim0, dim1: x.transpose(dim0, dim1))
swapaxes_ = _relayout("swapaxes_()", lambda x, axis0, axis1: x.transpose(axis0, axis1))
squeeze_ = _relayout("squeeze_()", lambda x, dim=None: x.squeeze(dim))
unsqueeze_ = _relayout("unsqueeze_()", lambda x, dim: x.unsqueeze(dim))


def as_strided_(self, *args, **kwargs):
    raise RuntimeError("as_strided_: not supported (pygrad has no storage views); use "
                       "reshape / view / unfold")


def fill_diagonal_(self, fill_value, wrap=False):
    """Fill the main diagonal (all dims equal, or 2-D; ``wrap`` restarts it every n+1 rows
    of a tall matrix, as torch)."""
    from ..autograd import inplace
    if self.ndim < 2:
        raise RuntimeError(f"fill_diagonal_: dimensions must larger than 1, got {self.ndim}")
    if self.ndim > 2 and len(set(self.shape)) != 1:
        raise RuntimeError(f"fill_diagonal_: all dimensions of input must be of equal length, "
                           f"got shape {tuple(self.shape)}")
    n = min(self.shape)
    rows = np.arange(n)
    if self.ndim == 2 and wrap and self.shape[0] > self.shape[1] + 1:
        step = self.shape[1] + 1
        rows = np.concatenate([np.arange(s, min(s + n, self.shape[0])) for s in
                               range(0, self.shape[0], step)])
    cols = rows % (self.shape[1] + 1) if self.ndim == 2 and wrap else rows
    keep = cols < self.shape[1] if self.ndim == 2 else slice(None)
    rows, cols = rows[keep], cols[keep]
    index = (rows, cols) if self.ndim == 2 else (rows,) * self.ndim
    index = tuple(_t().tensor(i, device=self.device) for i in index)
    from .shape import setitem
    return inplace.apply(self, "fill_diagonal_()", setitem, (index, fill_value))


def is_tensor(obj):
    return isinstance(obj, Tensor)


def clone(input, *, memory_format=None):  # noqa: A002
    return input.clone()


def detach(input):  # noqa: A002
    return input.detach()


def install(tensor_class):
    """Bind METHODS on the Tensor class (tensor.py calls this once it is defined)."""
    module = sys.modules[__name__]
    for name in METHODS:
        setattr(tensor_class, name, getattr(module, name))
