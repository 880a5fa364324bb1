"""Datasets bundled with pygrad (copies of scikit-learn's; see README.md here for origins).

Each loader returns a :class:`Table` (``data`` float64 (N, F), ``target`` int64 (N,),
``feature_names``, ``target_names``) or, with ``return_X_y=True``, the pair (data, target).
No network and no scikit-learn are needed.
"""
from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

__all__ = ["Table", "load_digits", "load_breast_cancer"]


@dataclass
class Table:
    """A labelled dataset: features (N, F), targets (N,), and the names of both."""

    data: np.ndarray
    target: np.ndarray
    feature_names: list = field(default_factory=list)
    target_names: list = field(default_factory=list)
    name: str = ""

    def __len__(self) -> int:
        return len(self.data)

    @property
    def n_classes(self) -> int:
        return len(self.target_names) if self.target_names else int(self.target.max()) + 1


def _open(name: str):
    return resources.files(__name__).joinpath(name).open("rb")


def load_digits(*, return_X_y: bool = False):
    """Handwritten digits: 1797 8×8 images as 64 pixel counts in 0..16, classes 0..9."""
    with _open("digits.csv.gz") as f, gzip.open(f, "rt") as g:
        raw = np.loadtxt(g, delimiter=",", dtype=np.float64)
    data, target = raw[:, :-1], raw[:, -1].astype(np.int64)
    if return_X_y:
        return data, target
    names = [f"pixel_{r}_{c}" for r in range(8) for c in range(8)]
    return Table(data, target, names, [str(d) for d in range(10)], "digits")


_CANCER_FEATURES = [f"{kind}{name}" for kind in ("mean ", "", "worst ") for name in (
    "radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
    "concave points", "symmetry", "fractal dimension")]
# the standard-error block is named "<feature> error" rather than with a prefix
_CANCER_FEATURES[10:20] = [f"{n} error" for n in _CANCER_FEATURES[10:20]]


def load_breast_cancer(*, return_X_y: bool = False):
    """Breast cancer Wisconsin (diagnostic): 569 × 30 features, target 0 malignant, 1 benign."""
    with _open("breast_cancer.csv") as f:
        lines = f.read().decode("ascii").splitlines()
    header = lines[0].split(",")
    raw = np.loadtxt(lines[1:], delimiter=",", dtype=np.float64)
    data, target = raw[:, :-1], raw[:, -1].astype(np.int64)
    if return_X_y:
        return data, target
    return Table(data, target, list(_CANCER_FEATURES), header[2:], "breast_cancer")
