"""DataLoader: batches of a dataset, in order or shuffled by a seeded generator."""
from __future__ import annotations

import math

import numpy as np

from .dataset import Subset, TensorDataset, make_rng

__all__ = ["DataLoader", "default_collate"]


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size``.

    shuffle: a fresh permutation every epoch, drawn from ``generator`` (a NumPy Generator
    or an int seed; the same seed gives the same sequence of epochs). drop_last: skip the
    final short batch. A TensorDataset (or a Subset of one) is batched by indexing each
    tensor once per batch on its own device; other datasets go item by item through
    ``collate_fn`` (default: stack tensors/arrays/numbers field by field).
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False, *,
                 drop_last: bool = False, generator=None, collate_fn=None):
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.generator = generator
        self.collate_fn = collate_fn or default_collate
        self._rng = None if generator is None else make_rng(generator)

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def batch_indices(self) -> list:
        """The index arrays of one epoch (drawing a permutation when shuffling)."""
        n = len(self.dataset)
        if self.shuffle:
            order = (self._rng or make_rng(None)).permutation(n)
        else:
            order = np.arange(n)
        stop = n - n % self.batch_size if self.drop_last else n
        return [order[i:i + self.batch_size] for i in range(0, stop, self.batch_size)]

    def __iter__(self):
        n = len(self.dataset)
        tensors, base = _tensor_source(self.dataset)
        if tensors is None:
            for idx in self.batch_indices():
                yield self.collate_fn([self.dataset[int(i)] for i in idx])
            return
        if not self.shuffle and base is None:
            # contiguous row ranges: views, no gather
            stop = n - n % self.batch_size if self.drop_last else n
            for i in range(0, stop, self.batch_size):
                yield tuple(_wrap(t, t.data[i:i + self.batch_size]) for t in tensors)
            return
        order = np.concatenate(self.batch_indices() or [np.empty(0, np.int64)])
        if base is not None:
            order = base[order]
        # one host-to-device copy of the epoch's order per device, then slices of it
        on_device = {}
        for t in tensors:
            if t.device not in on_device:
                xp = t.device.backend.xp
                on_device[t.device] = order if xp is np else xp.asarray(order)
        for i in range(0, len(order), self.batch_size):
            yield tuple(_wrap(t, t.data[on_device[t.device][i:i + self.batch_size]])
                        for t in tensors)


def _tensor_source(dataset):
    """(tensors, row indices or None) when ``dataset`` is a TensorDataset or Subsets of one."""
    base = None
    while isinstance(dataset, Subset):
        idx = dataset.indices
        base = idx if base is None else idx[base]
        dataset = dataset.dataset
    if isinstance(dataset, TensorDataset) and all(hasattr(t, "device") for t in dataset.tensors):
        return dataset.tensors, base
    return None, None


def _wrap(t, array):
    from ..tensor import Tensor
    return Tensor._make(array, t.device)


def default_collate(items):
    """Stack a list of samples field by field: tensors with pg.stack, arrays and numbers
    into new tensors (ints as int64, floats as float32), tuples/lists/dicts recursively."""
    import pygrad as pg
    first = items[0]
    if isinstance(first, (tuple, list)):
        return type(first)(default_collate(list(field)) for field in zip(*items))
    if isinstance(first, dict):
        return {k: default_collate([it[k] for it in items]) for k in first}
    if isinstance(first, pg.Tensor):
        return pg.stack(list(items))
    arr = np.asarray(items if not isinstance(first, np.ndarray) else np.stack(items))
    if arr.dtype.kind in "iub":
        arr = arr.astype(np.int64)
    elif arr.dtype == np.float64 and not isinstance(first, np.ndarray):
        arr = arr.astype(np.float32)
    return pg.from_numpy(np.ascontiguousarray(arr))
