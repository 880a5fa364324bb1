"""pygrad.metrics against scikit-learn (when importable) and against hand-computed values."""
import warnings

import numpy as np
import pytest

from pygrad import metrics as M


def test_hand_computed_binary():
    y_true = [0, 1, 1, 0, 1, 1]
    y_pred = [0, 1, 0, 1, 1, 1]
    assert M.confusion_matrix(y_true, y_pred).tolist() == [[1, 1], [1, 3]]
    assert M.accuracy(y_true, y_pred) == pytest.approx(4 / 6)
    assert M.precision(y_true, y_pred) == pytest.approx(3 / 4)
    assert M.recall(y_true, y_pred) == pytest.approx(3 / 4)
    assert M.f1_score(y_true, y_pred) == pytest.approx(3 / 4)


def test_threshold_on_scores():
    y_true = np.array([0, 0, 1, 1])
    scores = np.array([0.1, 0.6, 0.4, 0.9])
    assert M.precision(y_true, scores, threshold=0.5) == pytest.approx(0.5)
    assert M.recall(y_true, scores, threshold=0.3) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="threshold"):
        M.precision(y_true, scores)


def test_zero_division_values():
    y_true = [0, 0, 0]
    y_pred = [0, 0, 0]
    with pytest.warns(M.UndefinedMetricWarning):
        assert M.precision(y_true, y_pred) == 0.0
    assert M.precision(y_true, y_pred, zero_division=1) == 1.0
    assert np.isnan(M.recall(y_true, y_pred, zero_division=np.nan))


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="average"):
        M.precision([0, 1], [0, 1], average="bogus")
    with pytest.raises(ValueError, match="same length"):
        M.accuracy([0, 1], [0])
    with pytest.raises(ValueError, match="binary"):
        M.f1_score([0, 1, 2], [0, 1, 2])


def test_pr_curve_hand_computed():
    p, r, t = M.precision_recall_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    np.testing.assert_allclose(p, [0.5, 2 / 3, 0.5, 1.0, 1.0])
    np.testing.assert_allclose(r, [1.0, 1.0, 0.5, 0.5, 0.0])
    np.testing.assert_allclose(t, [0.1, 0.35, 0.4, 0.8])
    assert M.average_precision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.8333333)


def test_accepts_pygrad_tensors():
    pg = pytest.importorskip("pygrad")
    if not hasattr(pg, "tensor"):
        pytest.skip("pygrad.tensor not available yet")
    y_true = pg.tensor([0, 1, 2, 2], dtype=pg.int64)
    y_pred = pg.tensor([0, 2, 2, 2], dtype=pg.int64)
    assert M.accuracy(y_true, y_pred) == pytest.approx(0.75)
    assert M.confusion_matrix(y_true, y_pred).shape == (3, 3)


# ----------------------------------------------------------------------------- vs scikit-learn

skm = pytest.importorskip("sklearn.metrics")


def _cases():
    rng = np.random.default_rng(0)
    for k in (2, 3, 5):
        for n in (1, 7, 60):
            y_true = rng.integers(0, k, n)
            y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, k, n))
            w = rng.random(n)
            yield y_true, y_pred, w
    # a class only predicted, one never predicted
    yield np.array([0, 0, 1, 1, 2]), np.array([0, 3, 1, 1, 1]), None


@pytest.mark.parametrize("case", list(_cases()))
@pytest.mark.parametrize("zero_division", ["warn", 0, 1, np.nan])
def test_prf_matches_sklearn(case, zero_division):
    y_true, y_pred, w = case
    binary = len(np.union1d(y_true, y_pred)) <= 2
    averages = [None, "micro", "macro", "weighted"] + (["binary"] if binary else [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for average in averages:
            for sw in (None, w):
                kw = dict(average=average, sample_weight=sw, zero_division=zero_division)
                for ours, theirs in ((M.precision, skm.precision_score),
                                     (M.recall, skm.recall_score),
                                     (M.f1_score, skm.f1_score)):
                    np.testing.assert_allclose(ours(y_true, y_pred, **kw),
                                               theirs(y_true, y_pred, **kw), equal_nan=True)
            np.testing.assert_allclose(M.accuracy(y_true, y_pred, sample_weight=w),
                                       skm.accuracy_score(y_true, y_pred, sample_weight=w))


@pytest.mark.parametrize("case", list(_cases()))
def test_confusion_matrix_and_report_match_sklearn(case):
    y_true, y_pred, w = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for normalize in (None, "true", "pred", "all"):
            np.testing.assert_allclose(
                M.confusion_matrix(y_true, y_pred, sample_weight=w, normalize=normalize),
                skm.confusion_matrix(y_true, y_pred, sample_weight=w, normalize=normalize))
        labels = [2, 0, 7]
        if np.isin(labels, y_true).any():
            np.testing.assert_array_equal(M.confusion_matrix(y_true, y_pred, labels=labels),
                                          skm.confusion_matrix(y_true, y_pred, labels=labels))
        for digits in (2, 4):
            assert M.classification_report(y_true, y_pred, digits=digits) == \
                skm.classification_report(y_true, y_pred, digits=digits)
        assert M.classification_report(y_true, y_pred, labels=[0, 1]) == \
            skm.classification_report(y_true, y_pred, labels=[0, 1])
        ours = M.classification_report(y_true, y_pred, output_dict=True, sample_weight=w)
        theirs = skm.classification_report(y_true, y_pred, output_dict=True, sample_weight=w)
        assert ours.keys() == theirs.keys()
        for key in theirs:
            np.testing.assert_allclose(
                list(ours[key].values()) if isinstance(ours[key], dict) else ours[key],
                list(theirs[key].values()) if isinstance(theirs[key], dict) else theirs[key])


@pytest.mark.parametrize("seed", range(6))
def test_ranking_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    n = 40
    y_true = rng.integers(0, 2, n)
    # rounded scores create ties, which the curve must group
    score = np.round(rng.random(n) * 0.5 + 0.4 * y_true, 1)
    w = rng.random(n) if seed % 2 else None
    for drop in (False, True):
        ours = M.precision_recall_curve(y_true, score, sample_weight=w, drop_intermediate=drop)
        theirs = skm.precision_recall_curve(y_true, score, sample_weight=w,
                                            drop_intermediate=drop)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b)
    assert M.average_precision(y_true, score, sample_weight=w) == \
        pytest.approx(skm.average_precision_score(y_true, score, sample_weight=w))
    y3 = rng.integers(0, 3, n)
    s3 = rng.random((n, 3))
    for average in (None, "micro", "macro", "weighted"):
        np.testing.assert_allclose(M.average_precision(y3, s3, average=average),
                                   skm.average_precision_score(y3, s3, average=average))
