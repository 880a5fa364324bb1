"""``pygrad.linalg``: the norms of torch.linalg (vector norms only, for now) and cross."""
from __future__ import annotations

from .ops import contraction
from .ops.reduce import vector_norm


def norm(x, ord=None, dim=None, keepdim=False):  # noqa: A002 - torch's names
    """torch.linalg.norm for vectors: ``ord`` as vector_norm (None means 2); over a matrix
    with ord None it is the Frobenius norm, the 2-norm of all its elements."""
    if isinstance(ord, str):
        if ord != "fro":
            raise RuntimeError(f"linalg.norm: ord={ord!r} is not supported (only 'fro' and "
                               f"vector orders)")
        ord = 2
    if ord is not None and dim is None and x.ndim == 2:
        raise RuntimeError("linalg.norm: matrix norms other than 'fro' are not supported; "
                           "pass dim= for vector norms")
    return vector_norm(x, 2 if ord is None else ord, dim, keepdim)


def cross(input, other, *, dim=-1):  # noqa: A002 - torch's names
    """Cross product of 3-vectors along ``dim`` (torch.linalg.cross: the last dim by
    default); the other dims broadcast."""
    return contraction.cross(input, other, dim=dim)


__all__ = ["norm", "vector_norm", "cross"]
