"""torch.utils.data's names: datasets, samplers, the DataLoader and collation.

They live in ``pygrad.data``; this module re-exports them so torch code ports by changing
``torch`` to ``pygrad`` in ``from torch.utils.data import DataLoader, TensorDataset``.
"""
from ...data.dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset,
                             Subset, TensorDataset, random_split)
from ...data.loader import (DataLoader, WorkerInfo, default_collate, default_convert,
                            get_worker_info)
from ...data.sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                             SubsetRandomSampler, WeightedRandomSampler)

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset",
           "ChainDataset", "Subset", "random_split", "DataLoader", "default_collate",
           "default_convert", "get_worker_info", "WorkerInfo", "Sampler", "SequentialSampler",
           "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler"]


def __getattr__(name):
    # DistributedSampler is defined in pygrad.data.distributed, loaded on first use, so
    # importing this module never depends on it
    if name == "DistributedSampler":
        from ... import data
        return data.__getattr__(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
