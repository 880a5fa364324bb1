"""Embedding tables: Embedding and EmbeddingBag."""
from __future__ import annotations

from ...autograd import no_grad
from ...tensor import Tensor, empty, float32
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Embedding", "EmbeddingBag"]


def _padding_idx(padding_idx, num_embeddings, what):
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise AssertionError(f"{what}: padding_idx must be within num_embeddings "
                             f"({num_embeddings}), got {padding_idx}")
    return padding_idx % num_embeddings


def _table(num_embeddings, embedding_dim, _weight, device, dtype, what):
    """The weight Parameter: a fresh N(0, 1) table, or ``_weight`` (shared, not copied)."""
    if _weight is None:
        w = Parameter(empty(num_embeddings, embedding_dim, dtype=dtype or float32,
                            device=device))
        init.normal_(w)
        return w, True
    if tuple(_weight.shape) != (num_embeddings, embedding_dim):
        raise AssertionError(f"{what}: Shape of weight does not match num_embeddings and "
                             f"embedding_dim ({tuple(_weight.shape)} vs "
                             f"{(num_embeddings, embedding_dim)})")
    return Parameter(_weight), False


def _pretrained(embeddings, what):
    if not isinstance(embeddings, Tensor) or embeddings.ndim != 2:
        raise AssertionError(f"{what}: Embeddings parameter is expected to be 2-dimensional")
    return embeddings.shape


class _Table(Module):
    """An embedding table ``weight`` whose ``padding_idx`` row starts (and resets) at zero."""

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self) -> None:
        if self.padding_idx is not None:
            with no_grad():
                self.weight._data[self.padding_idx] = 0


class Embedding(_Table):
    """A (num_embeddings, embedding_dim) table looked up by integer indices.

    weight starts N(0, 1) with the ``padding_idx`` row zeroed (it gets no gradient);
    ``max_norm`` rescales looked-up rows in place, as torch.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx=None,
                 max_norm=None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight=None, _freeze: bool = False, device=None,
                 dtype=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = _padding_idx(padding_idx, num_embeddings, "Embedding")
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        self.weight, fresh = _table(num_embeddings, embedding_dim, _weight, device, dtype,
                                    "Embedding")
        if fresh:
            self._fill_padding_idx_with_zero()
        self.weight.requires_grad = not _freeze

    def forward(self, input):  # noqa: A002
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm,
                           self.norm_type, self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx=None, max_norm=None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False):
        """An Embedding whose weight is ``embeddings`` (shared memory); frozen by default."""
        rows, cols = _pretrained(embeddings, "Embedding.from_pretrained")
        return cls(rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze)


class EmbeddingBag(_Table):
    """Sums, means or maxima of bags of embedding rows (one gather of the looked-up rows into
    a padded (bags, longest bag, dim) block, then one reduction). Bags: rows of a 2-D input,
    or a 1-D input cut at ``offsets``."""

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm=None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean",
                 sparse: bool = False, _weight=None, include_last_offset: bool = False,
                 padding_idx=None, device=None, dtype=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.mode, self.sparse = scale_grad_by_freq, mode, sparse
        self.include_last_offset = include_last_offset
        self.padding_idx = _padding_idx(padding_idx, num_embeddings, "EmbeddingBag")
        self.weight, fresh = _table(num_embeddings, embedding_dim, _weight, device, dtype,
                                    "EmbeddingBag")
        if fresh:
            self._fill_padding_idx_with_zero()

    def forward(self, input, offsets=None, per_sample_weights=None):  # noqa: A002
        return F.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                               self.scale_grad_by_freq, self.mode, self.sparse,
                               per_sample_weights, self.include_last_offset, self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        s += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, max_norm=None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        mode: str = "mean", sparse: bool = False,
                        include_last_offset: bool = False, padding_idx=None):
        """An EmbeddingBag whose weight is ``embeddings`` (shared memory); frozen by default."""
        rows, cols = _pretrained(embeddings, "EmbeddingBag.from_pretrained")
        bag = cls(rows, cols, max_norm, norm_type, scale_grad_by_freq, mode, sparse,
                  embeddings, include_last_offset, padding_idx)
        bag.weight.requires_grad = not freeze
        return bag
