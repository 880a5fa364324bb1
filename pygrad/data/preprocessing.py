"""Splitting and scaling of NumPy feature tables (scikit-learn's names)."""
from __future__ import annotations

import numpy as np

__all__ = ["train_test_split", "StandardScaler"]


def train_test_split(*arrays, test_size: float = 0.25, random_state=None, stratify=None):
    """Shuffle rows and split each array into (train, test): returns a_train, a_test, b_train, ...

    test_size is a fraction in (0, 1) or a row count. ``stratify`` (labels) keeps each
    class's share in both parts; ``random_state`` is an int seed or a NumPy Generator.
    """
    from .dataset import make_rng
    if not arrays:
        raise ValueError("train_test_split: expected at least one array")
    n = len(arrays[0])
    for k, a in enumerate(arrays):
        if len(a) != n:
            raise ValueError(f"train_test_split: array {k} has {len(a)} rows, expected {n}")
    n_test = int(np.ceil(test_size * n)) if isinstance(test_size, float) else int(test_size)
    if not 0 < n_test < n:
        raise ValueError(f"train_test_split: test_size={test_size!r} leaves no rows on one side "
                         f"of {n}")
    rng = make_rng(random_state)
    if stratify is None:
        perm = rng.permutation(n)
        test, train = perm[:n_test], perm[n_test:]
    else:
        y = np.asarray(stratify)
        classes, counts = np.unique(y, return_counts=True)
        # floor each class's share, then give the leftover test rows to the largest remainders
        share = counts * n_test / n
        k = np.floor(share).astype(int)
        for c in np.argsort(-(share - k), kind="stable")[:n_test - k.sum()]:
            k[c] += 1
        test_parts, train_parts = [], []
        for c, kc in zip(classes, k):
            rows = rng.permutation(np.flatnonzero(y == c))
            test_parts.append(rows[:kc])
            train_parts.append(rows[kc:])
        test = rng.permutation(np.concatenate(test_parts))
        train = rng.permutation(np.concatenate(train_parts))
    out = []
    for a in arrays:
        a = np.asarray(a)
        out += [a[train], a[test]]
    return out


class StandardScaler:
    """z = (x − mean) / std per column, with mean and std fitted on the data given to fit.

    std is the population standard deviation; constant columns get std 1 (they map to 0).
    """

    def __init__(self):
        self.mean_ = None
        self.scale_ = None

    def fit(self, x):
        x = np.asarray(x, dtype=np.float64)
        self.mean_ = x.mean(axis=0)
        std = x.std(axis=0)
        self.scale_ = np.where(std == 0, 1.0, std)
        return self

    def transform(self, x):
        if self.mean_ is None:
            raise RuntimeError("StandardScaler: call fit before transform")
        return (np.asarray(x, dtype=np.float64) - self.mean_) / self.scale_

    def fit_transform(self, x):
        return self.fit(x).transform(x)
