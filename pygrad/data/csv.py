"""Load the user's own table: a CSV with a header row, numeric features and a target column."""
from __future__ import annotations

import csv
import io
import math
import os

import numpy as np

from .datasets import Table

__all__ = ["load_csv"]

# Integer labels are class indices: the table gets max + 1 classes (and as many target
# names), so a label far beyond any real number of classes (an id or a measurement picked
# as the target by mistake) is refused rather than turned into millions of classes.
MAX_CLASS_INDEX = 1_000_000


def load_csv(path, target: str, *, features=None, delimiter: str = ",") -> Table:
    """Read ``path`` into a Table: ``data`` float64 (N, F) and ``target`` int64 (N,).

    The first row names the columns; names must be unique and non-empty. Lines that are
    blank (or only delimiters) are skipped. ``target`` names the label column; its values are
    either all integers 0..1_000_000 (kept as class indices; "2.0" counts as 2) or all names
    (mapped to 0..K−1 in sorted order; ``target_names`` keeps the strings). ``features``
    picks feature columns by name (a list; default: all columns but the target).

    Raises FileNotFoundError for a missing file and ValueError naming the file, line and
    column for: a file that is empty, not UTF-8 or not readable as CSV; a duplicated or empty
    column name; an unknown column; a row with more or fewer fields than the header; a
    feature value that is empty, non-numeric, NaN or infinite (or beyond float64); a target
    that is empty or missing ("nan", "NA", ...), negative, fractional, too large, or a mix of
    numbers and names.
    """
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise ValueError(f"load_csv: delimiter must be a single character, got {delimiter!r}")
    if not isinstance(target, str):
        raise TypeError(f"load_csv: target must be a column name (str), got "
                        f"{type(target).__name__}")
    if isinstance(features, (str, bytes)):
        raise TypeError(f"load_csv: features must be a list of column names, got the string "
                        f"{features!r} (write features=[{features!r}])")
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load_csv: no such file: {path!r}")
    numbered = _read_rows(path, delimiter)
    if not numbered:
        raise ValueError(f"load_csv: {path!r} is empty (expected a header row and data rows)")
    head_line, head_row = numbered[0]
    header = [h.strip() for h in head_row]
    _check_header(header, path, head_line)
    body = numbered[1:]
    if not body:
        raise ValueError(f"load_csv: {path!r} has a header but no data rows")
    if target not in header:
        raise ValueError(f"load_csv: target column {target!r} not found in {path!r}; "
                         f"columns are {header}")
    if features is None:
        features = [h for h in header if h != target]
    else:
        features = list(features)
        bad = [c for c in features if not isinstance(c, str)]
        if bad:
            raise TypeError(f"load_csv: features must be column names (str), got {bad[0]!r}")
        unknown = [c for c in features if c not in header]
        if unknown:
            raise ValueError(f"load_csv: feature column(s) {unknown} not found in {path!r}; "
                             f"columns are {header}")
        repeated = sorted({c for c in features if features.count(c) > 1})
        if repeated:
            raise ValueError(f"load_csv: features names column(s) {repeated} more than once")
        if target in features:
            raise ValueError(f"load_csv: the target column {target!r} is also listed in "
                             f"features; a model would see its own labels")
    if not features:
        raise ValueError(f"load_csv: {path!r} has no feature columns besides {target!r}")
    for line, row in body:
        if len(row) != len(header):
            raise ValueError(f"load_csv: {path}:{line}: expected {len(header)} fields like the "
                             f"header, got {len(row)} ({_ragged(row, header)})")
    cols = {name: i for i, name in enumerate(header)}
    data = np.empty((len(body), len(features)), dtype=np.float64)
    for j, name in enumerate(features):
        c = cols[name]
        for k, (line, row) in enumerate(body):
            data[k, j] = _number(row[c], path, line, name)
    c = cols[target]
    labels, names = _encode_target([(line, row[c].strip()) for line, row in body], path, target)
    return Table(data, labels, features, names, os.path.basename(path))


def _read_rows(path, delimiter):
    """[(line number where the record starts, fields)] of the non-blank records."""
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise ValueError(f"load_csv: {path}:{line}: not valid UTF-8 (byte {raw[e.start]:#04x} "
                         f"at offset {e.start}); save the file as UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, end = [], 0
    try:
        for row in reader:
            start, end = end + 1, reader.line_num
            if any(cell.strip() for cell in row):
                rows.append((start, row))
    except csv.Error as e:
        raise ValueError(f"load_csv: {path}:{reader.line_num}: cannot be read as CSV ({e})") \
            from None
    return rows


def _check_header(header, path, line):
    seen: dict = {}
    for i, name in enumerate(header):
        if not name:
            raise ValueError(f"load_csv: {path}:{line}: header field {i + 1} is empty (every "
                             f"column needs a name)")
        if name in seen:
            raise ValueError(f"load_csv: {path}:{line}: column name {name!r} appears twice in "
                             f"the header (fields {seen[name] + 1} and {i + 1}); column names "
                             f"must be unique")
        seen[name] = i


def _ragged(row, header) -> str:
    if len(row) < len(header):
        missing = header[len(row):]
        return "no value for column(s) " + ", ".join(repr(h) for h in missing)
    return f"{len(row) - len(header)} extra field(s) after column {header[-1]!r}"


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
        raise ValueError(f"load_csv: {path}:{line}: column {column!r} is infinite or beyond "
                         f"float64 ({text!r})")
    return value


_MISSING = ("nan", "-nan", "+nan", "na", "n/a", "null", "none", "?")


def _label(text: str):
    """The integer value of a numeric label text, the float if it is not integral, or None
    for a name."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return None
    if value.is_integer():
        return int(value)
    return value


def _encode_target(values: list, path, column: str):
    """int64 class indices and the class names; integer labels stay as they are.

    ``values`` holds (line, stripped text) pairs."""
    for line, v in values:
        if not v:
            raise ValueError(f"load_csv: {path}:{line}: target column {column!r} is empty")
        if v.lower() in _MISSING:
            raise ValueError(f"load_csv: {path}:{line}: target column {column!r} is {v!r} "
                             f"(missing labels are not supported)")
    parsed = [_label(v) for _, v in values]
    numeric = [p is not None for p in parsed]
    if not any(numeric):
        classes = sorted({v for _, v in values})
        index = {c: i for i, c in enumerate(classes)}
        return np.array([index[v] for _, v in values], dtype=np.int64), classes
    if not all(numeric):
        n_line, n_text = values[numeric.index(True)]
        s_line, s_text = values[numeric.index(False)]
        raise ValueError(f"load_csv: {path}:{max(n_line, s_line)}: target column {column!r} "
                         f"mixes numbers and names ({n_text!r} on line {n_line}, {s_text!r} on "
                         f"line {s_line}); labels must be all class indices or all names")
    for (line, text), p in zip(values, parsed):
        if isinstance(p, float):
            raise ValueError(f"load_csv: {path}:{line}: target column {column!r} has {text!r}; "
                             f"it must hold class labels (integers 0..{MAX_CLASS_INDEX} or "
                             f"names), not continuous values")
        if p < 0:
            raise ValueError(f"load_csv: {path}:{line}: target column {column!r} has {text!r}; "
                             f"class labels must be non-negative integers (or names)")
        if p > MAX_CLASS_INDEX:
            raise ValueError(f"load_csv: {path}:{line}: target column {column!r} has {text!r}, "
                             f"beyond the largest class index {MAX_CLASS_INDEX} (integer "
                             f"labels are class indices 0..K-1; is this the right column?)")
    labels = np.array(parsed, dtype=np.int64)
    return labels, [str(c) for c in range(int(labels.max()) + 1)]
