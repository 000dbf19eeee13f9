"""Segment metrics against scikit-learn and a slow reference loop."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, f1_score, recall_score, roc_auc_score

from seizurepred.errors import ConfigError
from seizurepred.evaluation.metrics import UndefinedMetricWarning, pool_folds, segment_metrics


def _slow(y_true, y_score, threshold):
    tp = fp = tn = fn = 0
    for t, s in zip(y_true, y_score):
        p = 1 if s >= threshold else 0
        if t == 1 and p == 1:
            tp += 1
        elif t == 1:
            fn += 1
        elif p == 1:
            fp += 1
        else:
            tn += 1
    return tp, fp, tn, fn


@st.composite
def _labelled(draw):
    n = draw(st.integers(2, 60))
    y = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    y[0], y[1] = 0, 1  # both classes
    s = draw(st.lists(st.floats(0, 1, allow_nan=False), min_size=n, max_size=n))
    return np.array(y), np.array(s)


@settings(max_examples=60, deadline=None)
@given(_labelled(), st.sampled_from([0.3, 0.5, 0.7]))
def test_matches_sklearn_and_slow_loop(data, threshold):
    y, s = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)  # precision / f1 with no positive prediction
        m = segment_metrics(y, s, threshold=threshold)
    pred = (s >= threshold).astype(int)
    tp, fp, tn, fn = _slow(y, s, threshold)
    assert (m["tp"], m["fp"], m["tn"], m["fn"]) == (tp, fp, tn, fn)
    assert m["sensitivity"] == pytest.approx(recall_score(y, pred))
    assert m["specificity"] == pytest.approx(recall_score(y, pred, pos_label=0))
    assert m["accuracy"] == pytest.approx(accuracy_score(y, pred))
    if tp + fp + fn:
        assert m["f1"] == pytest.approx(f1_score(y, pred))
    assert m["auc"] == pytest.approx(roc_auc_score(y, s))
    assert m["segment_far_per_h"] == pytest.approx((1 - tn / (tn + fp)) * 720.0)


def test_far_is_a_segment_rate_scaled_by_window_length():
    y = np.array([0, 0, 0, 0, 1])
    s = np.array([0.9, 0.1, 0.1, 0.1, 0.9])
    assert segment_metrics(y, s)["segment_far_per_h"] == pytest.approx(0.25 * 720)
    assert segment_metrics(y, s, window_s=10.0)["segment_far_per_h"] == pytest.approx(0.25 * 360)


def test_one_class_gives_nan_and_warning_not_zero():
    y = np.ones(5, dtype=int)
    s = np.linspace(0, 1, 5)
    with pytest.warns(UndefinedMetricWarning):
        m = segment_metrics(y, s)
    assert math.isnan(m["auc"]) and math.isnan(m["specificity"]) and math.isnan(m["segment_far_per_h"])
    assert m["sensitivity"] == pytest.approx(0.6)


def test_pool_folds_is_concatenation():
    rng = np.random.default_rng(1)
    folds = [(rng.integers(0, 2, 30), rng.random(30)) for _ in range(4)]
    pooled = pool_folds(folds)
    y = np.concatenate([f[0] for f in folds])
    s = np.concatenate([f[1] for f in folds])
    assert pooled["auc"] == pytest.approx(roc_auc_score(y, s))
    assert pooled["f1"] == pytest.approx(f1_score(y, (s >= 0.5).astype(int)))
    assert pooled["n_folds"] == 4


@pytest.mark.parametrize(
    ("y", "s", "match"),
    [
        ([0, 2], [0.1, 0.2], "y_true"),
        ([0, 1], [0.1, np.nan], "y_score"),
        ([0, 1, 1], [0.1, 0.2], "y_true"),
    ],
)
def test_bad_input_is_config_error(y, s, match):
    with pytest.raises(ConfigError, match=match):
        segment_metrics(y, s)


def test_pool_folds_rejects_empty():
    with pytest.raises(ConfigError, match="folds"):
        pool_folds([])
