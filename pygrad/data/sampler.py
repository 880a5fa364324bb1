"""Samplers (torch.utils.data's names): the order in which a DataLoader reads a dataset.

A sampler yields dataset indices; a BatchSampler groups them into lists. Random samplers
draw from ``generator`` (see ``make_rng``: a NumPy Generator, an int seed, a pygrad/torch
Generator); without one, every epoch draws a fresh seed from pygrad's generator, so runs
after ``pg.manual_seed(s)`` repeat. The samplers here also hand a whole epoch over as one
index array (``_index_array``), which the DataLoader uses to gather batches of a
TensorDataset without a Python loop over samples.
"""
from __future__ import annotations

import itertools

import numpy as np

from .dataset import make_rng

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


class Sampler:
    """Base class: subclasses implement ``__iter__`` (indices) and, when they can, ``__len__``."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def _index_array(self):
        """One epoch's indices as an int64 array, or None when the sampler cannot say."""
        return None


class SequentialSampler(Sampler):
    """0, 1, …, len(data_source) − 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def _index_array(self) -> np.ndarray:
        return np.arange(len(self.data_source), dtype=np.int64)

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation of the dataset each epoch, or ``num_samples`` draws.

    replacement=False: permutations of range(n), repeated whole while ``num_samples`` exceeds
    n (the last one cut short). replacement=True: ``num_samples`` independent uniform draws.
    """

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement should be a boolean value, but got "
                            f"replacement={replacement!r}")
        if not _is_int(self.num_samples) or self.num_samples <= 0:
            raise ValueError(f"RandomSampler: num_samples should be a positive integer value, "
                             f"but got num_samples={self.num_samples!r}")
        self._rng = None if generator is None else make_rng(generator)

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _index_array(self) -> np.ndarray:
        n, k = len(self.data_source), int(self.num_samples)
        rng = self._rng or make_rng(None)
        if self.replacement:
            return rng.integers(0, n, size=k, dtype=np.int64)
        if k == n:
            return rng.permutation(n).astype(np.int64, copy=False)
        parts = [rng.permutation(n) for _ in range(k // n)]
        parts.append(rng.permutation(n)[:k % n])
        return np.concatenate(parts).astype(np.int64, copy=False)

    def __iter__(self):
        return iter(self._index_array().tolist())

    def __len__(self) -> int:
        return int(self.num_samples)


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order, without replacement, each epoch."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator
        self._rng = None if generator is None else make_rng(generator)

    def _index_array(self) -> np.ndarray:
        perm = (self._rng or make_rng(None)).permutation(len(self.indices))
        return np.asarray(self.indices, dtype=np.int64).reshape(-1)[perm]

    def __iter__(self):
        perm = (self._rng or make_rng(None)).permutation(len(self.indices))
        return (self.indices[i] for i in perm.tolist())

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices of range(len(weights)), index i with probability
    weights[i] / sum(weights); without replacement an index is drawn at most once."""

    def __init__(self, weights, num_samples: int, replacement: bool = True, generator=None):
        if not _is_int(num_samples) or num_samples <= 0:
            raise ValueError(f"WeightedRandomSampler: num_samples should be a positive integer "
                             f"value, but got num_samples={num_samples!r}")
        if not isinstance(replacement, bool):
            raise ValueError(f"WeightedRandomSampler: replacement should be a boolean value, "
                             f"but got replacement={replacement!r}")
        from ..metrics import to_numpy      # a Tensor on any device, a CuPy array, torch's
        w = np.asarray(to_numpy(weights, "WeightedRandomSampler: weights"), dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"WeightedRandomSampler: weights should be a 1d sequence but given "
                             f"weights have shape {tuple(w.shape)}")
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError(f"WeightedRandomSampler: weights must be finite and non-negative, "
                             f"got {w.tolist() if w.size <= 10 else w}")
        positive = int(np.count_nonzero(w))
        if positive == 0:
            raise ValueError("WeightedRandomSampler: weights sum to 0; at least one must be "
                             "positive")
        if not replacement and num_samples > positive:
            raise ValueError(f"WeightedRandomSampler: cannot draw {num_samples} samples without "
                             f"replacement from {positive} positive weights")
        self.weights = w
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = generator
        self._rng = None if generator is None else make_rng(generator)

    def _index_array(self) -> np.ndarray:
        rng = self._rng or make_rng(None)
        return rng.choice(len(self.weights), size=self.num_samples, replace=self.replacement,
                          p=self.weights / self.weights.sum()).astype(np.int64)

    def __iter__(self):
        return iter(self._index_array().tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of ``batch_size`` indices from ``sampler``; ``drop_last`` drops a short last one."""

    def __init__(self, sampler, batch_size: int, drop_last: bool):
        if not _is_int(batch_size) or batch_size <= 0:
            raise ValueError(f"BatchSampler: batch_size should be a positive integer value, but "
                             f"got batch_size={batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last should be a boolean value, but got "
                             f"drop_last={drop_last!r}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def _index_arrays(self):
        """One epoch's batches as int64 arrays, or None when the sampler cannot say."""
        order = self.sampler._index_array() if isinstance(self.sampler, Sampler) else None
        if order is None:
            return None
        b = self.batch_size
        stop = len(order) - len(order) % b if self.drop_last else len(order)
        return [order[i:i + b] for i in range(0, stop, b)]

    def __iter__(self):
        it = iter(self.sampler)
        if self.drop_last:
            for batch in zip(*[it] * self.batch_size):
                yield list(batch)
            return
        batch = list(itertools.islice(it, self.batch_size))
        while batch:
            yield batch
            batch = list(itertools.islice(it, self.batch_size))

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
