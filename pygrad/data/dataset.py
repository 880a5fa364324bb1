"""Datasets (torch.utils.data's names): map-style and iterable datasets, tensors held side by
side, subsets, concatenation, chaining, stacking and random splits."""
from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Sequence

import numpy as np

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset",
           "ChainDataset", "Subset", "random_split", "make_rng"]


class Dataset:
    """A map-style dataset: subclasses implement ``__getitem__(i)`` and usually ``__len__()``.

    A subclass may also implement ``__getitems__(indices)`` returning a list of samples, which
    the DataLoader then calls once per batch instead of ``__getitem__`` per sample.
    ``a + b`` is ``ConcatDataset([a, b])``.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__}: subclasses of Dataset should "
                                  f"implement __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream: subclasses implement ``__iter__``.

    With ``num_workers > 0`` every worker iterates its own ``iter(dataset)``; use
    ``get_worker_info()`` inside ``__iter__`` to give each worker its share.
    ``a + b`` is ``ChainDataset([a, b])``.
    """

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__}: subclasses of IterableDataset "
                                  f"should implement __iter__")

    def __add__(self, other):
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are rows: item i is ``tuple(t[i] for t in tensors)``; all share dim 0.

    ``DataLoader`` gathers a whole batch from each tensor with one indexing operation
    instead of stacking single rows.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor, got none")
        n = tensors[0].shape[0]
        for k, t in enumerate(tensors):
            if t.shape[0] != n:
                raise ValueError(f"TensorDataset: tensor {k} has {t.shape[0]} rows, expected {n} "
                                 f"like tensor 0 (Size mismatch between tensors: all tensors "
                                 f"must share their first dimension)")
        self.tensors = tuple(tensors)

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class StackDataset(Dataset):
    """Datasets of equal length side by side: item i is ``tuple(d[i] for d in args)``, or
    ``{k: d[i] for k, d in kwargs.items()}`` when the datasets are given by keyword."""

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("StackDataset: supported either tuple- (via args) or dict- (via "
                             "kwargs) like input/output, but both types are given")
        if not args and not kwargs:
            raise ValueError("StackDataset: at least one dataset should be passed")
        parts = args or tuple(kwargs.values())
        self._length = len(parts[0])
        lengths = [len(d) for d in parts]
        if any(n != self._length for n in lengths):
            raise ValueError(f"StackDataset: size mismatch between datasets (lengths {lengths})")
        self.datasets = args if args else kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __getitems__(self, indices: list) -> list:
        items = self.datasets.items() if isinstance(self.datasets, dict) \
            else enumerate(self.datasets)
        columns = {k: _getitems(d, indices) for k, d in items}
        if isinstance(self.datasets, dict):
            return [{k: col[j] for k, col in columns.items()} for j in range(len(indices))]
        return [tuple(col[j] for col in columns.values()) for j in range(len(indices))]

    def __len__(self) -> int:
        return self._length


def _getitems(dataset, indices: list) -> list:
    """Samples of ``dataset`` at ``indices``: its ``__getitems__`` when it has one."""
    getitems = getattr(dataset, "__getitems__", None)
    if callable(getitems):
        items = getitems(indices)
        if len(items) != len(indices):
            raise ValueError(f"{type(dataset).__name__}.__getitems__ returned {len(items)} "
                             f"samples for {len(indices)} indices")
        return items
    return [dataset[i] for i in indices]


class ConcatDataset(Dataset):
    """Map-style datasets one after another; ``cumulative_sizes[k]`` is the length of the
    first k+1 of them."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    @staticmethod
    def cumsum(sequence) -> list:
        out, total = [], 0
        for d in sequence:
            total += len(d)
            out.append(total)
        return out

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError(f"ConcatDataset: absolute value of index should not exceed "
                                 f"dataset length, got index {idx} for length {len(self)}")
            idx = len(self) + idx
        k = bisect.bisect_right(self.cumulative_sizes, idx)
        return self.datasets[k][idx - (self.cumulative_sizes[k - 1] if k else 0)]


class ChainDataset(IterableDataset):
    """Iterable datasets one after another, chained as they are read."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self) -> int:
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            total += len(d)
        return total


class Subset(Dataset):
    """The items of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64).reshape(-1)

    def __getitem__(self, index):
        if isinstance(index, (list, np.ndarray)):
            return self.dataset[self.indices[np.asarray(index, dtype=np.int64)]]
        return self.dataset[int(self.indices[index])]

    def __getitems__(self, indices: list) -> list:
        return _getitems(self.dataset, self.indices[np.asarray(indices, dtype=np.int64)].tolist())

    def __len__(self) -> int:
        return len(self.indices)


def make_rng(generator=None) -> np.random.Generator:
    """A NumPy Generator from ``generator``: a Generator (used as is), an int seed, or None.

    None draws a seed from pygrad's generator, so runs after ``pg.manual_seed(s)`` repeat.
    A ``pg.Generator`` (or any object carrying a NumPy Generator as ``rng``,
    ``numpy_generator`` or ``_rng``) is used through that Generator, so its state advances;
    an object with only ``initial_seed()`` (a torch.Generator) is read through its seed.
    """
    if isinstance(generator, np.random.Generator):
        return generator
    if generator is None:
        from ..random import generator as pygrad_generator
        return np.random.default_rng(int(pygrad_generator().integers(0, 2**63 - 1)))
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    # a pygrad/torch-like Generator carrying a NumPy Generator or a seed
    for attr in ("rng", "numpy_generator", "_rng"):
        rng = getattr(generator, attr, None)
        if isinstance(rng, np.random.Generator):
            return rng
    if hasattr(generator, "initial_seed"):
        return np.random.default_rng(int(generator.initial_seed()))
    raise TypeError(f"generator: expected a numpy Generator, a pygrad Generator, an int seed "
                    f"or None, got {type(generator).__name__}")


def random_split(dataset, lengths: Sequence, generator=None) -> list:
    """Split ``dataset`` into non-overlapping random Subsets of the given lengths.

    ``lengths`` are counts summing to len(dataset), or fractions summing to 1; fractions
    are floored and the remainder is dealt one by one to the first splits (as torch does).
    ``generator``: see ``make_rng`` (None follows ``pg.manual_seed``).
    """
    n = len(dataset)
    lengths = list(lengths)
    if lengths and math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"random_split: fraction at index {i} is not between 0 and 1, "
                                 f"got {frac}")
        counts = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(f"random_split: length of split at index {i} is 0; this might "
                              f"result in an empty dataset", stacklevel=2)
        lengths = counts
    if any(isinstance(x, bool) or int(x) != x or x < 0 for x in lengths):
        raise ValueError(f"random_split: lengths must be non-negative integers or fractions "
                         f"summing to 1, got {lengths}")
    if sum(lengths) != n:
        raise ValueError(f"random_split: lengths sum to {sum(lengths)}, expected the dataset "
                         f"length {n} (sum of input lengths does not equal the length of the "
                         f"input dataset)")
    perm = make_rng(generator).permutation(n)
    out, start = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[start:start + int(length)]))
        start += int(length)
    return out
