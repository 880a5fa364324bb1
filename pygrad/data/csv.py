"""Load the user's own table: a CSV with a header row, numeric features and a target column."""
from __future__ import annotations

import csv
import math
import os

import numpy as np

from .datasets import Table

__all__ = ["load_csv"]


def load_csv(path, target: str, *, features=None, delimiter: str = ",") -> Table:
    """Read ``path`` into a Table: ``data`` float64 (N, F) and ``target`` int64 (N,).

    The first row names the columns. ``target`` names the label column; its values may be
    integers (kept) or any strings (mapped to 0..K−1 in sorted order; ``target_names``
    keeps the strings). ``features`` picks feature columns by name (default: all others).
    Raises FileNotFoundError for a missing file and ValueError naming the column and line
    for an unknown column, a non-numeric value, or a missing/NaN value.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load_csv: no such file: {path!r}")
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f, delimiter=delimiter))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise ValueError(f"load_csv: {path!r} is empty (expected a header row and data rows)")
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    if not body:
        raise ValueError(f"load_csv: {path!r} has a header but no data rows")
    if target not in header:
        raise ValueError(f"load_csv: target column {target!r} not found in {path!r}; "
                         f"columns are {header}")
    if features is None:
        features = [h for h in header if h != target]
    else:
        unknown = [c for c in features if c not in header]
        if unknown:
            raise ValueError(f"load_csv: feature column(s) {unknown} not found in {path!r}; "
                             f"columns are {header}")
        features = list(features)
    if not features:
        raise ValueError(f"load_csv: {path!r} has no feature columns besides {target!r}")
    for k, row in enumerate(body):
        if len(row) != len(header):
            raise ValueError(f"load_csv: {path}:{k + 2}: expected {len(header)} fields like the "
                             f"header, got {len(row)}")
    cols = {name: i for i, name in enumerate(header)}
    data = np.empty((len(body), len(features)), dtype=np.float64)
    for j, name in enumerate(features):
        c = cols[name]
        for k, row in enumerate(body):
            data[k, j] = _number(row[c], path, k + 2, name)
    labels, names = _encode_target([row[cols[target]].strip() for row in body], path, target)
    return Table(data, labels, features, names, os.path.basename(path))


def _number(cell: str, path, line: int, column: str) -> float:
    text = cell.strip()
    if not text:
        raise ValueError(f"load_csv: {path}:{line}: column {column!r} is empty "
                         f"(missing values are not supported; fill or drop the row)")
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"load_csv: {path}:{line}: column {column!r} has non-numeric value "
                         f"{text!r}") from None
    if math.isnan(value):
        raise ValueError(f"load_csv: {path}:{line}: column {column!r} is NaN "
                         f"(missing values are not supported; fill or drop the row)")
    if math.isinf(value):
        raise ValueError(f"load_csv: {path}:{line}: column {column!r} is infinite ({text!r})")
    return value


def _encode_target(values: list, path, column: str):
    """int64 class indices and the class names; integer labels stay as they are."""
    for k, v in enumerate(values):
        if not v:
            raise ValueError(f"load_csv: {path}:{k + 2}: target column {column!r} is empty")
        if v.lower() in ("nan", "na", "n/a", "null"):
            raise ValueError(f"load_csv: {path}:{k + 2}: target column {column!r} is {v!r} "
                             f"(missing labels are not supported)")
    try:
        nums = np.array([float(v) for v in values])
    except ValueError:
        classes = sorted(set(values))
        index = {c: i for i, c in enumerate(classes)}
        return np.array([index[v] for v in values], dtype=np.int64), classes
    if not np.all(nums == np.round(nums)) or nums.min() < 0:
        raise ValueError(f"load_csv: target column {column!r} must hold class labels "
                         f"(non-negative integers or names), got values like {values[0]!r}")
    labels = nums.astype(np.int64)
    return labels, [str(c) for c in range(int(labels.max()) + 1)]
