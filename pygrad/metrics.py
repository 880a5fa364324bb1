"""Classification metrics with scikit-learn's names, arguments and values.

Every function takes pygrad tensors (CPU or GPU), NumPy arrays, CuPy arrays or lists; the
inputs are brought to the host once and the arithmetic is NumPy's. Scores come back as
Python floats, per-class results as NumPy arrays.

Zero division follows scikit-learn: where a ratio has a zero denominator the value is
``zero_division`` (0, 1 or nan; the default "warn" means 0 plus an ``UndefinedMetricWarning``).

Binary inputs may be scores or probabilities: pass ``threshold=t`` to ``precision``,
``recall``, ``f1_score``, ``accuracy`` or ``confusion_matrix`` and ``y_pred >= t`` is used
as the prediction.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

__all__ = ["confusion_matrix", "accuracy", "precision", "recall", "f1_score",
           "precision_recall_fscore_support", "precision_recall_curve", "average_precision",
           "classification_report", "UndefinedMetricWarning"]

_AVERAGES = (None, "binary", "micro", "macro", "weighted")


class UndefinedMetricWarning(UserWarning):
    """A metric had a zero denominator and was set to ``zero_division``."""


# ----------------------------------------------------------------------------- inputs

def to_numpy(x, name: str = "input") -> np.ndarray:
    """A host NumPy array from a pygrad Tensor, CuPy/NumPy array, torch CPU tensor or list."""
    if x is None:
        raise TypeError(f"{name}: expected an array or tensor, got None")
    from .tensor import Tensor
    if isinstance(x, Tensor):
        x = x._data          # the device array (NumPy or CuPy)
    if _is_cupy(x):         # checked before NumPy: a CuPy array's .data is a device pointer
        return x.get()
    if isinstance(x, np.ndarray):
        return x
    if type(x).__module__.startswith("torch") and hasattr(x, "detach"):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _is_cupy(x) -> bool:
    return type(x).__module__.split(".", 1)[0] == "cupy"


def _labels_1d(y, name):
    a = to_numpy(y, name)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of labels, got shape {a.shape}")
    return a


def _check_pair(y_true, y_pred, sample_weight=None, threshold=None):
    """Validated (y_true, y_pred, sample_weight) host arrays of one length."""
    t = _labels_1d(y_true, "y_true")
    p = _labels_1d(y_pred, "y_pred")
    if threshold is not None:
        p = (p >= threshold).astype(np.int64)
    if len(t) != len(p):
        raise ValueError(f"y_true and y_pred: expected the same length, got {len(t)} and {len(p)}")
    for a, name in ((t, "y_true"), (p, "y_pred")):
        if a.dtype.kind == "f" and a.size and not np.all(np.isfinite(a) & (a == np.round(a))):
            raise ValueError(f"{name}: expected class labels, got continuous values "
                             f"(for scores or probabilities pass threshold=...)")
    w = None
    if sample_weight is not None:
        w = _labels_1d(sample_weight, "sample_weight")
        if len(w) != len(t):
            raise ValueError(f"sample_weight: expected length {len(t)}, got {len(w)}")
    return t, p, w


def _zero_division_value(zero_division):
    if isinstance(zero_division, str):
        if zero_division != "warn":
            raise ValueError(f"zero_division: expected 'warn', 0, 1 or nan, got {zero_division!r}")
        return 0.0
    if zero_division in (0, 1):
        return float(zero_division)
    if isinstance(zero_division, float) and math.isnan(zero_division):
        return math.nan
    raise ValueError(f"zero_division: expected 'warn', 0, 1 or nan, got {zero_division!r}")


def _divide(num, den, what, zero_division):
    """num / den elementwise; where den == 0 the result is ``zero_division``."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    mask = den == 0
    out = num / np.where(mask, 1.0, den)
    if mask.any():
        out[mask] = _zero_division_value(zero_division)
        if zero_division == "warn":
            lacking = {"Precision": "predicted", "Recall": "true"}.get(what, "true nor predicted")
            warnings.warn(f"{what} is ill-defined and being set to 0.0 for labels with no "
                          f"{lacking} samples; use zero_division to control this",
                          UndefinedMetricWarning, stacklevel=4)
    return out


def _counts(t, p, w, labels):
    """Per-label (tp, predicted, true) sums over ``labels`` (weighted when ``w`` is given)."""
    labels = np.asarray(labels)
    allv = np.union1d(np.union1d(t, p), labels)
    ti = np.searchsorted(allv, t)
    pi = np.searchsorted(allv, p)
    k = len(allv)
    ww = None if w is None else w.astype(np.float64)
    true_sum = np.bincount(ti, weights=ww, minlength=k)
    pred_sum = np.bincount(pi, weights=ww, minlength=k)
    hit = ti == pi
    tp = np.bincount(ti[hit], weights=None if ww is None else ww[hit], minlength=k)
    sel = np.searchsorted(allv, labels)
    return tp[sel], pred_sum[sel], true_sum[sel]


# ----------------------------------------------------------------------------- counting metrics

def confusion_matrix(y_true, y_pred, *, labels=None, sample_weight=None, normalize=None,
                     threshold=None) -> np.ndarray:
    """The (K, K) matrix C with C[i, j] = number of samples of true class i predicted as j.

    Rows and columns follow ``labels`` (default: the sorted labels present in either input);
    samples whose true or predicted label is not in ``labels`` are left out. ``normalize``
    "true" / "pred" / "all" divides by row sums / column sums / the total (0 where empty).
    """
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"normalize: expected None, 'true', 'pred' or 'all', got {normalize!r}")
    t, p, w = _check_pair(y_true, y_pred, sample_weight, threshold)
    if labels is None:
        labels = np.union1d(t, p)
    else:
        labels = np.asarray(to_numpy(labels, "labels"))
        if labels.size == 0:
            raise ValueError("labels: expected at least one label, got none")
        if t.size == 0:
            return np.zeros((labels.size, labels.size), dtype=np.int64)
        if len(np.intersect1d(t, labels)) == 0:
            raise ValueError("labels: at least one label must be in y_true")
    k = labels.size
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]

    def index(a):
        pos = np.clip(np.searchsorted(sorted_labels, a), 0, k - 1)
        found = sorted_labels[pos] == a if k else np.zeros(a.shape, bool)
        return np.where(found, order[pos], k)

    ti, pi = index(t), index(p)
    keep = (ti < k) & (pi < k)
    if w is None:
        dtype, ww = np.int64, None
    else:
        dtype = np.int64 if w.dtype.kind in "iub" else np.float64
        ww = w[keep].astype(np.float64)
    flat = np.bincount(ti[keep] * k + pi[keep], weights=ww, minlength=k * k)
    cm = flat.reshape(k, k).astype(dtype)
    if normalize is not None:
        with np.errstate(all="ignore"):
            if normalize == "true":
                cm = cm / cm.sum(axis=1, keepdims=True)
            elif normalize == "pred":
                cm = cm / cm.sum(axis=0, keepdims=True)
            else:
                cm = cm / cm.sum()
        cm = np.nan_to_num(cm)
    return cm


def accuracy(y_true, y_pred, *, normalize: bool = True, sample_weight=None,
             threshold=None) -> float:
    """Fraction (or, with normalize=False, the count) of samples with y_pred == y_true."""
    t, p, w = _check_pair(y_true, y_pred, sample_weight, threshold)
    hit = (t == p).astype(np.float64)
    if normalize:
        return float(np.average(hit, weights=w)) if len(hit) else math.nan
    return float(hit @ w) if w is not None else float(hit.sum())


def precision_recall_fscore_support(y_true, y_pred, *, beta: float = 1.0, labels=None,
                                    pos_label=1, average=None, sample_weight=None,
                                    zero_division="warn", threshold=None):
    """(precision, recall, F-beta, support) per label, or averaged when ``average`` is set.

    precision = tp/(tp+fp), recall = tp/(tp+fn),
    F-beta = (1+β²)·tp / ((1+β²)·tp + β²·fn + fp).
    average: None (per label arrays), "binary" (the ``pos_label`` class only), "micro"
    (global counts), "macro" (unweighted mean over labels), "weighted" (mean weighted by
    true support). Averaged results are floats and support is None, as in scikit-learn.
    """
    if average not in _AVERAGES:
        raise ValueError(f"average: expected one of {_AVERAGES}, got {average!r}")
    _zero_division_value(zero_division)
    t, p, w = _check_pair(y_true, y_pred, sample_weight, threshold)
    present = np.union1d(t, p)
    if average == "binary":
        if len(present) > 2:
            raise ValueError(f"average='binary' needs binary targets, got {len(present)} labels "
                             f"{present.tolist()}; choose average=None, 'micro', 'macro' or "
                             f"'weighted'")
        if pos_label not in present.tolist() and len(present) >= 2:
            raise ValueError(f"pos_label={pos_label!r} is not a valid label: expected one of "
                             f"{present.tolist()}")
        labels = [pos_label]
    elif labels is None:
        labels = present
    else:
        labels = to_numpy(labels, "labels")
    tp, pred_sum, true_sum = _counts(t, p, w, labels)
    if average == "micro":
        tp, pred_sum, true_sum = (np.array([a.sum()]) for a in (tp, pred_sum, true_sum))
    prec = _divide(tp, pred_sum, "Precision", zero_division)
    rec = _divide(tp, true_sum, "Recall", zero_division)
    b2 = beta * beta
    f = _divide((1 + b2) * tp, b2 * true_sum + pred_sum, "F-score", zero_division)
    if average is None:
        support = true_sum if w is not None else true_sum.astype(np.int64)
        return prec, rec, f, support
    weights = true_sum if average == "weighted" else None
    return _nanaverage(prec, weights), _nanaverage(rec, weights), _nanaverage(f, weights), None


def _nanaverage(a, weights=None) -> float:
    if a.shape[0] == 0:
        return math.nan
    mask = np.isnan(a)
    if mask.all():
        return math.nan
    if weights is None:
        return float(np.nanmean(a))
    a, weights = a[~mask], np.asarray(weights, dtype=np.float64)[~mask]
    if weights.sum() == 0:
        return float(np.average(a))
    return float(np.average(a, weights=weights))


def precision(y_true, y_pred, *, labels=None, pos_label=1, average="binary",
              sample_weight=None, zero_division="warn", threshold=None):
    """tp / (tp + fp): binary for ``pos_label`` by default; see precision_recall_fscore_support."""
    return precision_recall_fscore_support(
        y_true, y_pred, labels=labels, pos_label=pos_label, average=average,
        sample_weight=sample_weight, zero_division=zero_division, threshold=threshold)[0]


def recall(y_true, y_pred, *, labels=None, pos_label=1, average="binary",
           sample_weight=None, zero_division="warn", threshold=None):
    """tp / (tp + fn): binary for ``pos_label`` by default; see precision_recall_fscore_support."""
    return precision_recall_fscore_support(
        y_true, y_pred, labels=labels, pos_label=pos_label, average=average,
        sample_weight=sample_weight, zero_division=zero_division, threshold=threshold)[1]


def f1_score(y_true, y_pred, *, labels=None, pos_label=1, average="binary",
             sample_weight=None, zero_division="warn", threshold=None):
    """2·tp / (2·tp + fp + fn): the harmonic mean of precision and recall."""
    return precision_recall_fscore_support(
        y_true, y_pred, labels=labels, pos_label=pos_label, average=average,
        sample_weight=sample_weight, zero_division=zero_division, threshold=threshold)[2]


# ----------------------------------------------------------------------------- ranking metrics

def _binary_curve(t, s, w, pos_label):
    """Cumulative (fps, tps, thresholds) at each distinct score, highest score first."""
    if pos_label is None:
        classes = np.unique(t)
        if not (classes.size <= 2 and set(classes.tolist()) <= {0, 1, -1}):
            raise ValueError(f"y_true: labels {classes.tolist()} are not {{0, 1}} or {{-1, 1}}; "
                             f"pass pos_label")
        pos_label = 1
    y = (t == pos_label).astype(np.float64)
    order = np.argsort(s, kind="mergesort")[::-1]
    s, y = s[order], y[order]
    ww = 1.0 if w is None else w[order].astype(np.float64)
    distinct = np.where(np.diff(s))[0]
    idx = np.r_[distinct, y.size - 1]
    tps = np.cumsum(y * ww)[idx]
    if w is None:
        fps = 1 + idx - tps
    else:
        fps = np.cumsum((1 - y) * ww)[idx]
    return fps, tps, s[idx]


def precision_recall_curve(y_true, y_score, *, pos_label=None, sample_weight=None,
                           drop_intermediate: bool = False):
    """(precision, recall, thresholds) for a binary problem, as scikit-learn returns them.

    thresholds are the distinct scores in increasing order; precision[i] and recall[i]
    belong to predicting positive when score >= thresholds[i]. The last precision is 1 and
    the last recall 0 (no threshold), so len(precision) == len(thresholds) + 1.
    """
    t = _labels_1d(y_true, "y_true")
    s = _labels_1d(y_score, "y_score").astype(np.float64)
    if len(t) != len(s):
        raise ValueError(f"y_true and y_score: expected the same length, got {len(t)} and {len(s)}")
    if len(np.unique(t)) > 2 and pos_label is None:
        raise ValueError("precision_recall_curve: y_true has more than two classes; pass pos_label")
    w = None if sample_weight is None else _labels_1d(sample_weight, "sample_weight")
    fps, tps, thr = _binary_curve(t, s, w, pos_label)
    if drop_intermediate and fps.shape[0] > 2:
        keep = np.r_[True, np.logical_or(np.diff(tps[:-1]), np.diff(tps[1:])), True]
        fps, tps, thr = fps[keep], tps[keep], thr[keep]
    ps = tps + fps
    prec = np.divide(tps, ps, out=np.zeros_like(tps), where=ps != 0)
    if tps[-1] == 0:
        warnings.warn("No positive class found in y_true, recall is set to one for all "
                      "thresholds.", UserWarning, stacklevel=2)
        rec = np.ones_like(tps)
    else:
        rec = tps / tps[-1]
    return np.r_[prec[::-1], 1.0], np.r_[rec[::-1], 0.0], thr[::-1]


def average_precision(y_true, y_score, *, average="macro", pos_label=1, sample_weight=None):
    """AP = Σ_n (R_n − R_{n−1})·P_n over the precision-recall curve (no interpolation).

    Binary: y_true (N,) with y_score (N,) the positive-class score. Multiclass: y_true (N,)
    with K > 2 labels and y_score (N, K), one-vs-rest per class, combined by ``average``
    (None, "micro", "macro", "weighted").
    """
    if average not in (None, "micro", "macro", "weighted"):
        raise ValueError(f"average: expected None, 'micro', 'macro' or 'weighted', got {average!r}")
    t = _labels_1d(y_true, "y_true")
    s = to_numpy(y_score, "y_score").astype(np.float64)
    w = None if sample_weight is None else _labels_1d(sample_weight, "sample_weight")

    def binary_ap(tb, sb, wb, pl):
        prec, rec, _ = precision_recall_curve(tb, sb, pos_label=pl, sample_weight=wb)
        return float(max(0.0, -np.sum(np.diff(rec) * prec[:-1])))

    classes = np.unique(t)
    if classes.size <= 2:
        if classes.size == 2 and pos_label not in classes.tolist():
            raise ValueError(f"pos_label={pos_label!r} is not a valid label: expected one of "
                             f"{classes.tolist()}")
        if s.ndim != 1:
            raise ValueError(f"y_score: expected shape ({len(t)},) for binary y_true, got {s.shape}")
        return binary_ap(t, s, w, pos_label)
    if pos_label != 1:
        raise ValueError("pos_label is fixed to 1 for multiclass y_true")
    if s.shape != (len(t), classes.size):
        raise ValueError(f"y_score: expected shape (n_samples, n_classes) = "
                         f"{(len(t), classes.size)} for multiclass y_true, got {s.shape}")
    onehot = (t[:, None] == classes[None, :]).astype(np.int64)
    if average == "micro":
        ww = None if w is None else np.repeat(w, classes.size)
        return binary_ap(onehot.ravel(), s.ravel(), ww, 1)
    scores = np.array([binary_ap(onehot[:, k], s[:, k], w, 1) for k in range(classes.size)])
    if average is None:
        return scores
    if average == "weighted":
        weights = (onehot * (1 if w is None else w[:, None])).sum(axis=0).astype(np.float64)
        if np.isclose(weights.sum(), 0.0):
            return 0.0
        return float(np.average(scores, weights=weights))
    return float(np.mean(scores))


# ----------------------------------------------------------------------------- report

def classification_report(y_true, y_pred, *, labels=None, target_names=None,
                          sample_weight=None, digits: int = 2, output_dict: bool = False,
                          zero_division="warn", threshold=None):
    """Per-class precision, recall, F1 and support plus averages, as scikit-learn prints it.

    Returns the text table, or with ``output_dict=True`` a dict
    {label: {"precision", "recall", "f1-score", "support"}, "accuracy" or "micro avg",
    "macro avg", "weighted avg"}.
    """
    t, p, w = _check_pair(y_true, y_pred, sample_weight, threshold)
    present = np.union1d(t, p)
    labels_given = labels is not None
    labels = present if not labels_given else np.asarray(to_numpy(labels, "labels"))
    micro_is_accuracy = not labels_given or set(labels.tolist()) >= set(present.tolist())
    if target_names is not None and len(labels) != len(target_names):
        if labels_given:
            warnings.warn(f"labels size, {len(labels)}, does not match size of target_names, "
                          f"{len(target_names)}", UserWarning, stacklevel=2)
        else:
            raise ValueError(f"target_names: expected {len(labels)} names (one per class), "
                             f"got {len(target_names)}; or pass labels")
    if target_names is None:
        target_names = [f"{label}" for label in labels.tolist()]
    headers = ["precision", "recall", "f1-score", "support"]
    kw = dict(labels=labels, sample_weight=w, zero_division=zero_division)
    pr, rc, f1, sup = precision_recall_fscore_support(t, p, average=None, **kw)
    rows = list(zip(target_names, pr, rc, f1, sup))
    averages = []
    for avg in ("micro", "macro", "weighted"):
        heading = "accuracy" if avg == "micro" and micro_is_accuracy else avg + " avg"
        ap, ar, af, _ = precision_recall_fscore_support(t, p, average=avg, **kw)
        averages.append((heading, ap, ar, af, np.sum(sup)))

    if output_dict:
        out = {name: dict(zip(headers, (float(v) for v in vals))) for name, *vals in rows}
        for heading, *vals in averages:
            out[heading] = dict(zip(headers, (float(v) for v in vals)))
        if "accuracy" in out:
            out["accuracy"] = out["accuracy"]["precision"]
        return out

    width = max(max(len(n) for n in target_names), len("weighted avg"), digits)
    report = ("{:>{width}s} " + " {:>9}" * 4).format("", *headers, width=width) + "\n\n"
    row_fmt = "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}\n"
    for row in rows:
        report += row_fmt.format(*row, width=width, digits=digits)
    report += "\n"
    for heading, ap, ar, af, s in averages:
        if heading == "accuracy":
            fmt = "{:>{width}s} " + " {:>9.{digits}}" * 2 + " {:>9.{digits}f}" + " {:>9}\n"
            report += fmt.format(heading, "", "", af, s, width=width, digits=digits)
        else:
            report += row_fmt.format(heading, ap, ar, af, s, width=width, digits=digits)
    return report
