"""Data: datasets, samplers, the DataLoader, splits, the bundled datasets and a CSV loader.

The torch.utils.data names are also importable from ``pygrad.utils.data``.
"""
from .csv import load_csv
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset,
                      TensorDataset, random_split)
from .datasets import Table, load_breast_cancer, load_digits
from .loader import DataLoader, WorkerInfo, default_collate, default_convert, get_worker_info
from .preprocessing import StandardScaler, train_test_split
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                      WeightedRandomSampler)

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset",
           "ChainDataset", "Subset", "random_split", "DataLoader", "default_collate",
           "default_convert", "get_worker_info", "WorkerInfo", "Sampler", "SequentialSampler",
           "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler",
           "Table", "load_digits", "load_breast_cancer", "load_csv",
           "train_test_split", "StandardScaler"]


def __getattr__(name):
    # DistributedSampler lives in pygrad.data.distributed, loaded on first use
    if name == "DistributedSampler":
        import importlib
        try:
            module = importlib.import_module(".distributed", __name__)
        except ImportError as e:
            raise AttributeError(f"module {__name__!r} has no attribute 'DistributedSampler' "
                                 f"(pygrad.data.distributed cannot be imported: {e})") from e
        return module.DistributedSampler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
