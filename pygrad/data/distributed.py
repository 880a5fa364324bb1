"""``DistributedSampler``: each rank's share of a dataset's indices, as torch's.

The shuffled order is torch's own: ``torch.randperm(n, generator)`` seeded with
``seed + epoch`` — Mersenne Twister (MT19937, seeded as ``manual_seed`` does) driving a
Fisher–Yates shuffle — so a pygrad job and a torch job see the same rows on the same rank.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["DistributedSampler"]


def _randperm(n: int, seed: int) -> list:
    """``torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()`` on the
    CPU: r[i] swaps with r[i + (mt() % (n - i))] for i in 0 … n−2."""
    bits = np.random.MT19937()
    bits._legacy_seeding(seed & 0xFFFFFFFF)
    draws = (bits.random_raw(max(n - 1, 0)) % np.arange(n, 1, -1, dtype=np.uint64)).tolist()
    r = list(range(n))
    for i, z in enumerate(draws):
        j = i + z
        r[i], r[j] = r[j], r[i]
    return r


class DistributedSampler:
    """The indices of rank ``rank`` out of ``num_replicas``: every rank gets
    ``num_samples`` of them, together covering the dataset.

    Without ``drop_last`` the (shuffled) index list is padded by repeating its start so it
    divides evenly; with it, the tail that does not divide is dropped. Rank r takes every
    ``num_replicas``-th index starting at r. ``shuffle`` draws a new order per epoch from
    ``seed + epoch``: call ``set_epoch(e)`` before each epoch, on every rank.
    ``num_replicas`` and ``rank`` default to the process group's.
    """

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False):
        if num_replicas is None or rank is None:
            from .. import distributed as dist
            if num_replicas is None:
                num_replicas = dist.get_world_size()
            if rank is None:
                rank = dist.get_rank()
        for name, value in (("num_replicas", num_replicas), ("rank", rank), ("seed", seed)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"DistributedSampler: {name} expected an int, got "
                                f"{type(value).__name__}")
        if num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be positive, got "
                             f"{num_replicas}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas, self.rank = int(num_replicas), int(rank)
        self.epoch = 0
        self.drop_last = bool(drop_last)
        n = len(dataset)
        if self.drop_last and n % self.num_replicas != 0:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = bool(shuffle)
        self.seed = int(seed)

    def __iter__(self):
        n = len(self.dataset)
        indices = _randperm(n, self.seed + self.epoch) if self.shuffle else list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            elif indices:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """The epoch whose order ``__iter__`` draws (with ``shuffle``): the same on every
        rank, a different order each epoch."""
        self.epoch = epoch
