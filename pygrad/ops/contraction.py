"""Contractions: mm, bmm, mv, dot, outer, addmm, baddbmm, einsum, tensordot and friends.

The products of fixed rank (mm, bmm, mv, dot, ...) check their operands as torch does and
then are ``matmul`` (one op, one node); the ``add*`` forms compose ``beta·input +
alpha·product``, so their gradients come from the ops they are made of.

``einsum`` is one op for any equation: its gradient with respect to an operand is itself an
einsum — the upstream gradient contracted with the other operands onto that operand's
subscripts. Two details make that general: a subscript repeated within one operand (a
diagonal, ``"ii->i"``) gets a fresh letter joined to the first by an identity matrix, and a
subscript that appears nowhere else (summed out of that operand alone, ``"ij->i"``) is
brought back by a vector of ones. The gradient of the gradient is again an einsum, so every
order of derivative works.
"""
from __future__ import annotations

import string
import sys

from ..autograd.function import Function
from .math import matmul, sum_to, sum_to_array

Tensor = None   # pygrad.tensor.Tensor, bound when that module loads (it imports this one)

__all__ = ["mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "addmm", "addmv", "addr",
           "baddbmm", "addbmm", "einsum", "tensordot", "kron", "cross", "chain_matmul", "dist",
           "cdist", "cov", "corrcoef", "renorm"]
METHODS = ("mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "addmm", "addmv", "addr",
           "baddbmm", "addbmm", "kron", "cross", "dist", "cov", "corrcoef", "renorm")


def _check_tensor(name, arg, value):
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' must be a Tensor, got "
                        f"{type(value).__name__}")


def _check_ranks(name, pairs):
    for arg, value, ndim in pairs:
        _check_tensor(name, arg, value)
        if value.ndim != ndim:
            raise RuntimeError(f"{name}(): argument '{arg}' must be {ndim}-D, got "
                               f"{value.ndim}-D (shape {tuple(value.shape)})")


def _same_dtype(name, a, b):
    if a.dtype != b.dtype:
        raise RuntimeError(f"{name}(): expected both operands to have the same dtype, got "
                           f"{a.dtype} and {b.dtype}")


def mm(input, mat2):  # noqa: A002 - torch's names
    """Matrix product of two 2-D tensors (torch.mm)."""
    _check_ranks("mm", (("input", input, 2), ("mat2", mat2, 2)))
    return matmul(input, mat2)


def bmm(input, mat2):  # noqa: A002
    """Batched matrix product of (b, n, m) and (b, m, p): no broadcasting (torch.bmm)."""
    _check_ranks("bmm", (("input", input, 3), ("mat2", mat2, 3)))
    if input.shape[0] != mat2.shape[0]:
        raise RuntimeError(f"bmm(): batch sizes differ: input has {input.shape[0]}, mat2 has "
                           f"{mat2.shape[0]}")
    return matmul(input, mat2)


def mv(input, vec):  # noqa: A002
    """Matrix (n, m) times vector (m,) (torch.mv)."""
    _check_ranks("mv", (("input", input, 2), ("vec", vec, 1)))
    return matmul(input, vec)


def dot(input, tensor):  # noqa: A002
    """Inner product of two 1-D tensors of the same length and dtype (torch.dot)."""
    _check_ranks("dot", (("input", input, 1), ("other", tensor, 1)))
    if input.shape[0] != tensor.shape[0]:
        raise RuntimeError(f"dot(): inconsistent tensor size, expected input [{input.shape[0]}]"
                           f" and other [{tensor.shape[0]}] to have the same number of elements")
    _same_dtype("dot", input, tensor)
    return matmul(input, tensor)


def vdot(input, other):  # noqa: A002
    """torch.vdot: :func:`dot` (real tensors need no conjugation)."""
    return dot(input, other)


def inner(input, other):  # noqa: A002
    """Sum over the last dims of both (torch.inner); a 0-d operand multiplies."""
    _check_tensor("inner", "input", input)
    _check_tensor("inner", "other", other)
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    return tensordot(input, other, dims=([-1], [-1]))


def outer(input, vec2):  # noqa: A002
    """Outer product of two 1-D tensors: (n,) x (m,) -> (n, m) (torch.outer)."""
    _check_ranks("outer", (("input", input, 1), ("vec2", vec2, 1)))
    return input.unsqueeze(1) * vec2.unsqueeze(0)


ger = outer


def _scaled_sum(name, input, product, beta, alpha):
    """``beta·input + alpha·product``; beta = 0 ignores input (its nan/inf too), as torch."""
    _check_tensor(name, "input", input)
    if alpha != 1:
        product = product * alpha
    if beta == 0:       # input only shapes the result: it adds zeros, its nan/inf ignored
        from ..tensor import zeros_like
        from .math import where
        _broadcast_shape(name, input.shape, product.shape)
        return where(zeros_like(input, dtype="bool"), input, 0.0) + product
    term = input if beta == 1 else input * beta
    return term + product


def _broadcast_shape(name, a, b):
    import numpy as np
    try:
        return np.broadcast_shapes(tuple(a), tuple(b))
    except ValueError:
        raise RuntimeError(f"{name}(): input of shape {tuple(a)} cannot be broadcast to the "
                           f"product's shape {tuple(b)}") from None


def addmm(input, mat1, mat2, *, beta=1, alpha=1):  # noqa: A002
    """``beta·input + alpha·(mat1 @ mat2)`` (torch.addmm)."""
    return _scaled_sum("addmm", input, mm(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):  # noqa: A002
    """``beta·input + alpha·(mat @ vec)`` (torch.addmv)."""
    return _scaled_sum("addmv", input, mv(mat, vec), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):  # noqa: A002
    """``beta·input + alpha·outer(vec1, vec2)`` (torch.addr)."""
    return _scaled_sum("addr", input, outer(vec1, vec2), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):  # noqa: A002
    """``beta·input + alpha·bmm(batch1, batch2)`` (torch.baddbmm)."""
    return _scaled_sum("baddbmm", input, bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):  # noqa: A002
    """``beta·input + alpha·Σ_b batch1[b] @ batch2[b]`` (torch.addbmm)."""
    return _scaled_sum("addbmm", input, bmm(batch1, batch2).sum(0), beta, alpha)


def chain_matmul(*matrices):
    """The product of 2-D matrices, left to right (torch.chain_matmul)."""
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul(): expected one or more tensors, got none")
    out = matrices[0]
    for i, m in enumerate(matrices):
        _check_ranks("chain_matmul", ((f"matrices[{i}]", m, 2),))
        if i:
            out = out @ m
    return out


# ----------------------------------------------------------------------------- tensordot, kron

def tensordot(a, b, dims=2):
    """Contract ``dims`` dims of ``a`` with ``b`` (torch.tensordot): an int (the last dims of a
    with the first of b), a pair of lists, or a (2, k) tensor."""
    _check_tensor("tensordot", "a", a)
    _check_tensor("tensordot", "b", b)
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0 or dims > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot(): dims must be in [0, {min(a.ndim, b.ndim)}] for "
                               f"operands of {a.ndim} and {b.ndim} dims, got {dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        try:
            da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
        except (TypeError, ValueError):
            raise RuntimeError(f"tensordot(): dims must be an int or a pair of dim lists, got "
                               f"{dims!r}") from None
        if len(da) != len(db):
            raise RuntimeError(f"tensordot(): both dim lists must have the same length, got "
                               f"{da} and {db}")
    da = [_dim(d, a.ndim, "tensordot") for d in da]
    db = [_dim(d, b.ndim, "tensordot") for d in db]
    letters = iter(string.ascii_letters)
    sa = [next(letters) for _ in range(a.ndim)]
    sb = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(f"tensordot(): contracted dimensions need to match, but first "
                               f"has size {a.shape[i]} in dim {i} and second has size "
                               f"{b.shape[j]} in dim {j}")
        sb[j] = sa[i]
    out = [s for i, s in enumerate(sa) if i not in da] + \
          [s for j, s in enumerate(sb) if j not in db]
    return einsum("".join(sa) + "," + "".join(sb) + "->" + "".join(out), a, b)


def _dim(d, ndim, name):
    if not -ndim <= d < max(ndim, 1):
        raise IndexError(f"{name}(): dimension out of range (expected to be in range of "
                         f"[{-ndim}, {ndim - 1}], but got {d})")
    return d % ndim if ndim else 0


def kron(input, other):  # noqa: A002
    """Kronecker product (torch.kron): block (i, j) is input[i, j] · other."""
    _check_tensor("kron", "input", input)
    _check_tensor("kron", "other", other)
    n = max(input.ndim, other.ndim)
    a = input.reshape((1,) * (n - input.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (n - other.ndim) + tuple(other.shape))
    # interleave: a (..., p, 1, q, 1) * b (..., 1, r, 1, s) -> (..., p·r, q·s)
    sa, sb = [], []
    for p, r in zip(a.shape, b.shape):
        sa += [p, 1]
        sb += [1, r]
    out = a.reshape(sa) * b.reshape(sb)
    return out.reshape([p * r for p, r in zip(a.shape, b.shape)])


def cross(input, other, dim=None):  # noqa: A002
    """Cross product of 3-vectors along ``dim`` (torch.cross; dim=None: the first dim of
    size 3). The operands broadcast."""
    _check_tensor("cross", "input", input)
    _check_tensor("cross", "other", other)
    if input.ndim != other.ndim:
        raise RuntimeError(f"cross(): inputs must have the same number of dimensions, got "
                           f"{input.ndim} and {other.ndim}")
    if dim is None:
        dim = next((i for i, n in enumerate(input.shape) if n == 3), None)
        if dim is None:
            raise RuntimeError(f"cross(): no dimension of size 3 in input of shape "
                               f"{tuple(input.shape)}")
    d = _dim(dim, input.ndim, "cross")
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"cross(): dimension {dim} does not have size 3 (input "
                           f"{tuple(input.shape)}, other {tuple(other.shape)})")
    a = [input.select(d, i) for i in range(3)]
    b = [other.select(d, i) for i in range(3)]
    from .shape import stack
    return stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                  a[0] * b[1] - a[1] * b[0]], d)


# ----------------------------------------------------------------------------- einsum

def einsum(*args):
    """Einstein summation (torch.einsum): ``einsum("ij,jk->ik", a, b)``, the operands also as
    one list, the implicit output (letters seen once, sorted), ``...`` broadcast dims, and
    torch's sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``."""
    if not args:
        raise TypeError("einsum(): expected an equation and operands, got nothing")
    if isinstance(args[0], str):
        equation, operands = args[0], args[1:]
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = tuple(operands[0])
    else:
        equation, operands = _from_sublists(args)
    for i, op in enumerate(operands):
        _check_tensor("einsum", f"operands[{i}]", op)
    inputs, output = _parse(equation.replace(" ", ""), operands)
    dtypes = {op.dtype for op in operands}
    if len(dtypes) > 1:
        raise RuntimeError(f"einsum(): expected all operands to have the same dtype, got "
                           f"{sorted(str(d) for d in dtypes)}")
    sizes = {}
    for k, (subs, op) in enumerate(zip(inputs, operands)):
        for c, n in zip(subs, op.shape):
            if sizes.get(c, 1) not in (1, n) and n != 1:
                raise RuntimeError(f"einsum(): operands do not broadcast: subscript {c!r} "
                                   f"has size {sizes[c]} and {n} (operand {k})")
            sizes[c] = max(sizes.get(c, 1), n)
    return Einsum(tuple(inputs), output)(*operands)


def _from_sublists(args):
    """torch's sublist form: (op, [dims], op, [dims], ..., [out dims]?) -> equation, operands."""
    args = list(args)
    out = args.pop() if len(args) % 2 else None
    operands, subs = args[0::2], args[1::2]

    def letters(sub):
        try:
            return "".join("..." if s is Ellipsis else string.ascii_letters[s] for s in sub)
        except (IndexError, TypeError):
            raise ValueError(f"einsum(): subscripts in the sublist format must be in [0, 52), "
                             f"got {sub!r}") from None
    eq = ",".join(letters(s) for s in subs)
    if out is not None:
        eq += "->" + letters(out)
    return eq, operands


def _parse(equation, operands):
    """Subscripts per operand and for the output, with ``...`` spelled out in letters."""
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise ValueError(f"einsum(): the equation has {len(terms)} operand(s) but "
                         f"{len(operands)} were given")
    used = set(equation)
    spare = [c for c in string.ascii_letters if c not in used]
    for term in terms + [rhs]:
        bad = set(term.replace("...", "")) - set(string.ascii_letters)
        if bad:
            raise ValueError(f"einsum(): invalid subscript(s) {sorted(bad)} in equation "
                             f"{equation!r}: only letters and '...' are allowed")
    ell = 0
    for term, op in zip(terms, operands):
        explicit = len(term.replace("...", ""))
        if ("..." in term and explicit > op.ndim) or ("..." not in term and explicit != op.ndim):
            raise RuntimeError(f"einsum(): the subscripts {term!r} do not match the "
                               f"{op.ndim} dimension(s) of operand of shape {tuple(op.shape)}")
        if "..." in term:
            ell = max(ell, op.ndim - explicit)
    dots = "".join(spare[:ell])
    inputs = []
    for term, op in zip(terms, operands):
        k = op.ndim - len(term.replace("...", ""))
        inputs.append(term.replace("...", dots[ell - k:] if k else ""))
    if arrow:
        output = rhs.replace("...", dots)
        for c in output:
            if output.count(c) > 1:
                raise ValueError(f"einsum(): output subscript {c!r} appears more than once")
            if not any(c in s for s in inputs):
                raise ValueError(f"einsum(): output subscript {c!r} does not appear in the "
                                 f"operands' subscripts")
    else:
        counts = {}
        for s in inputs:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        output = dots + "".join(sorted(c for c, n in counts.items()
                                       if n == 1 and c not in dots))
    return inputs, output


class Einsum(Function):
    """One einsum; its gradient is an einsum per operand (see the module docstring)."""

    def __init__(self, inputs, output):
        self.subs, self.out = inputs, output

    def forward(self, *arrays):
        xp = self.backend.xp
        eq = ",".join(self.subs) + "->" + self.out
        if len(arrays) > 1 and xp.__name__ == "numpy":
            return xp.einsum(eq, *arrays, optimize=True)
        return xp.einsum(eq, *arrays)

    def vjp(self, gy):
        xp = self.backend.xp
        data = [t._data for t in self.inputs]
        return tuple(self._grad(k, gy, data, lambda eq, *ops: xp.einsum(eq, *ops),
                                lambda n, like: xp.eye(n, dtype=like.dtype),
                                lambda n, like: xp.ones(n, dtype=like.dtype), sum_to_array)
                     if need else None for k, need in enumerate(self.needs_input_grad))

    def backward(self, gy):
        from ..tensor import eye, ones

        def fresh(maker):
            return lambda n, like: maker(n, dtype=like.dtype, device=like.device)
        return tuple(self._grad(k, gy, self.inputs, einsum, fresh(eye), fresh(ones), sum_to)
                     if need else None for k, need in enumerate(self.needs_input_grad))

    def _grad(self, k, gy, operands, contract, eye, ones, reduce_to):
        """d out / d operand k, contracted with gy: an einsum onto operand k's subscripts."""
        target = self.subs[k]
        shape = tuple(operands[k].shape)
        terms, ops = [self.out], [gy]
        terms += [s for i, s in enumerate(self.subs) if i != k]
        ops += [o for i, o in enumerate(operands) if i != k]
        free = [c for c in string.ascii_letters if c not in "".join(self.subs) + self.out]
        letters, seen = [], set()
        for c, n in zip(target, shape):
            if c in seen:                       # a diagonal: a fresh letter, tied by eye(n)
                f = free.pop()
                terms.append(c + f)
                ops.append(eye(n, gy))
                letters.append(f)
            else:
                seen.add(c)
                letters.append(c)
        sizes = {}
        for term, op in zip(terms, ops):
            for c, n in zip(term, op.shape):
                sizes[c] = max(sizes.get(c, 1), n)
        for c, n in zip(target, shape):
            if sizes.get(c, 0) < n:             # summed out of this operand alone (or only
                terms.append(c)                 # broadcast elsewhere): brought back by ones
                ops.append(ones(n, gy))
                sizes[c] = n
        g = contract(",".join(terms) + "->" + "".join(letters), *ops)
        return reduce_to(g, shape)


# ----------------------------------------------------------------------------- distances

def dist(input, other, p=2):  # noqa: A002 - torch's names
    """The p-norm of input − other (broadcasting), as torch.dist."""
    return (input - other).norm(p)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Pairwise p-norm distances between the rows of x1 (..., P, M) and x2 (..., R, M).

    For p = 2 with more than 25 rows on either side (torch's default ``compute_mode``), or
    ``"use_mm_for_euclid_dist"``, the distances come from one matmul of [−2·x1, |x1|², 1] and
    [x2, 1, |x2|²] clamped at 0, as torch computes them; otherwise from the differences."""
    _check_tensor("cdist", "x1", x1)
    _check_tensor("cdist", "x2", x2)
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    big = x1.shape[-2] > 25 or x2.shape[-2] > 25
    if p == 2 and (compute_mode == "use_mm_for_euclid_dist" or
                   (compute_mode == "use_mm_for_euclid_dist_if_necessary" and big)):
        from .shape import cat
        from ..tensor import ones_like
        n1 = (x1 * x1).sum(-1, keepdim=True)
        n2 = (x2 * x2).sum(-1, keepdim=True)
        a = cat([x1 * -2, n1, ones_like(n1)], -1)
        b = cat([x2, ones_like(n2), n2], -1)
        from .reduce import NormSqrt         # gradient 0 at a zero distance, as torch
        return NormSqrt()(matmul(a, b.transpose(-1, -2)).clamp(min=0))
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return diff.norm(p, dim=-1)


def cov(input, *, correction=1, fweights=None, aweights=None):  # noqa: A002 - torch's names
    """Covariance of the rows (variables) over the columns (observations); a 1-d input is
    one variable, giving a 0-d result (torch.cov, without weights)."""
    _check_tensor("cov", "input", input)
    if fweights is not None or aweights is not None:
        raise NotImplementedError("cov(): fweights and aweights are not supported")
    if input.ndim > 2:
        raise ValueError(f"cov(): expected input to have two or fewer dimensions but got an "
                         f"input with {input.ndim} dimensions")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    if x.dtype.kind != "f":
        x = x.to("float32")
    n = x.shape[1]
    xm = x - x.mean(1, keepdim=True)
    c = matmul(xm, xm.transpose(0, 1)) / max(n - correction, 0)
    return c.reshape(()) if input.ndim < 2 else c


def corrcoef(input):  # noqa: A002 - torch's names
    """Pearson correlation coefficients of the rows, clipped to [−1, 1] (torch.corrcoef)."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    from .indexing import diagonal
    std = diagonal(c).sqrt()
    c = c / std.unsqueeze(1)
    c = c / std.unsqueeze(0)
    return c.clamp(-1, 1)


def renorm(input, p, dim, maxnorm):  # noqa: A002 - torch's names
    """Each slice along ``dim`` whose p-norm exceeds ``maxnorm`` scaled down to it (by
    maxnorm / (norm + 1e-7), as torch.renorm)."""
    _check_tensor("renorm", "input", input)
    if p <= 0:
        raise RuntimeError(f"renorm: non-positive-norm not supported, got p={p}")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    from .math import where
    from .shape import wrap_dim
    d = wrap_dim(dim, input.ndim, "renorm")
    others = tuple(i for i in range(input.ndim) if i != d)
    norm = input.norm(p, dim=others, keepdim=True) if others else input.abs()
    return input * where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)


def install(tensor_class):
    """Bind METHODS on the Tensor class (tensor.py calls this once it is defined)."""
    module = sys.modules[__name__]
    for name in METHODS:
        setattr(tensor_class, name, getattr(module, name))
