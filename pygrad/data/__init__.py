"""Data: datasets, batching, splits, the bundled datasets and a CSV loader."""
from .csv import load_csv
from .dataset import Dataset, Subset, TensorDataset, random_split
from .datasets import Table, load_breast_cancer, load_digits
from .loader import DataLoader, default_collate
from .preprocessing import StandardScaler, train_test_split

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "DataLoader", "default_collate",
           "Table", "load_digits", "load_breast_cancer", "load_csv", "train_test_split",
           "StandardScaler"]
