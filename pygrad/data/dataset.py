"""Datasets: anything with ``__len__`` and ``__getitem__``; tensors held side by side; splits."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "make_rng"]


class Dataset:
    """Base class: subclasses implement ``__getitem__(i)`` and ``__len__()``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")


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
                                 f"like tensor 0 (all tensors must share their first dimension)")
        self.tensors = tuple(tensors)

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The items of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)

    def __getitem__(self, index):
        if isinstance(index, (list, np.ndarray)):
            return self.dataset[self.indices[np.asarray(index)]]
        return self.dataset[int(self.indices[index])]

    def __len__(self) -> int:
        return len(self.indices)


def make_rng(generator=None) -> np.random.Generator:
    """A NumPy Generator from ``generator``: a Generator (used as is), an int seed, or None.

    None draws a seed from pygrad's generator, so runs after ``pg.manual_seed(s)`` repeat.
    """
    if isinstance(generator, np.random.Generator):
        return generator
    if generator is None:
        from ..random import generator as pygrad_generator
        return np.random.default_rng(int(pygrad_generator().integers(0, 2**63 - 1)))
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    # a pygrad/torch-like Generator carrying a NumPy Generator or a seed
    for attr in ("numpy_generator", "_rng"):
        rng = getattr(generator, attr, None)
        if isinstance(rng, np.random.Generator):
            return rng
    if hasattr(generator, "initial_seed"):
        return np.random.default_rng(int(generator.initial_seed()))
    raise TypeError(f"generator: expected a numpy Generator, an int seed or None, "
                    f"got {type(generator).__name__}")


def random_split(dataset, lengths: Sequence, generator=None) -> list:
    """Split ``dataset`` into non-overlapping random Subsets of the given lengths.

    ``lengths`` are counts summing to len(dataset), or fractions summing to 1; fractions
    are floored and the remainder is dealt one by one to the first splits (as torch does).
    """
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(isinstance(x, float) for x in lengths) and math.isclose(sum(lengths), 1.0):
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if any(int(x) != x or x < 0 for x in lengths):
        raise ValueError(f"random_split: lengths must be non-negative integers or fractions "
                         f"summing to 1, got {lengths}")
    if sum(lengths) != n:
        raise ValueError(f"random_split: lengths sum to {sum(lengths)}, expected the dataset "
                         f"length {n}")
    perm = make_rng(generator).permutation(n)
    out, start = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[start:start + int(length)]))
        start += int(length)
    return out
