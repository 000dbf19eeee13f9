"""Segment-level metrics: sensitivity, specificity, accuracy, F1, AUC and the paper's segment "FAR".

Every function is pure. A metric whose denominator is zero (no positive segments, only one class for the AUC)
is ``nan`` and emits an :class:`UndefinedMetricWarning`; it is never a silent 0 and never an exception, so a
sweep carries on.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np

from seizurepred._validate import check_number
from seizurepred.errors import ConfigError

__all__ = ["UndefinedMetricWarning", "warn_undefined", "segment_metrics", "pool_folds", "as_binary_arrays"]


class UndefinedMetricWarning(UserWarning):
    """A metric is undefined for the data given (zero denominator, one class, failed fit); its value is NaN."""


def warn_undefined(message: str, *, stacklevel: int = 3) -> float:
    """Emit an :class:`UndefinedMetricWarning` with ``message`` and return ``nan``."""
    warnings.warn(message, UndefinedMetricWarning, stacklevel=stacklevel)
    return math.nan


def _ratio(num: float, den: float, name: str) -> float:
    if den == 0:
        return warn_undefined(f"{name} is undefined (zero denominator); reported as NaN.", stacklevel=4)
    return float(num) / float(den)


def as_binary_arrays(y_true, y_score) -> tuple[np.ndarray, np.ndarray]:
    """Validate and return ``(y_true as int8, y_score as float64)``, both 1-D of equal length.

    Raises
    ------
    ConfigError
        If shapes differ, labels are not 0/1 or scores are not finite.
    """
    yt = np.asarray(y_true)
    ys = np.asarray(y_score, dtype=np.float64)
    if yt.ndim != 1 or ys.ndim != 1 or yt.shape != ys.shape:
        raise ConfigError(
            f"Invalid value for 'y_true'/'y_score': allowed 1-D arrays of equal length; "
            f"got shapes {yt.shape} and {ys.shape}."
        )
    if yt.size and not np.isin(yt, (0, 1)).all():
        bad = np.unique(yt[~np.isin(yt, (0, 1))])[:5].tolist()
        raise ConfigError(f"Invalid value for 'y_true': allowed labels 0 and 1; got {bad}.")
    if not np.isfinite(ys).all():
        raise ConfigError("Invalid value for 'y_score': allowed finite numbers; got NaN or inf.")
    return yt.astype(np.int8), ys


def segment_metrics(y_true, y_score, *, threshold: float = 0.5, window_s: float = 5.0) -> dict[str, float]:
    """Segment-level classification metrics of one fold (or of pooled folds).

    With ``y_pred = y_score >= threshold`` and the confusion counts TP, FP, TN, FN:

    * ``sensitivity`` = TP / (TP + FN)
    * ``specificity`` = TN / (TN + FP)
    * ``accuracy`` = (TP + TN) / n
    * ``precision`` = TP / (TP + FP)
    * ``f1`` = 2 TP / (2 TP + FP + FN)
    * ``auc`` = area under the ROC curve of ``y_score`` (:func:`roc_auc`, the Mann-Whitney statistic; the one AUC
      of the package, equal to :func:`sklearn.metrics.roc_auc_score`)
    * ``segment_far_per_h`` = (1 - specificity) x 3600 / ``window_s`` (720 for 5 s windows). This is the paper's
      "FAR": a rate of misclassified interictal *segments* per hour of interictal segments, **not** an alarm
      rate (see :mod:`seizurepred.evaluation.alarms` for false predictions per hour).

    Parameters
    ----------
    y_true : array-like of shape (n_segments,)
        Labels, 1 preictal, 0 interictal.
    y_score : array-like of shape (n_segments,)
        Predicted probabilities of the preictal class.
    threshold : float
        Decision threshold on ``y_score`` (``>=`` is positive).
    window_s : float
        Segment length in seconds (for the segment rate per hour).

    Returns
    -------
    dict
        ``n, n_pos, n_neg, tp, fp, tn, fn`` (float counts) and the metrics above; undefined metrics are NaN with
        an :class:`UndefinedMetricWarning`.
    """
    check_number("threshold", threshold)
    check_number("window_s", window_s, min_value=0.0, inclusive_min=False)
    yt, ys = as_binary_arrays(y_true, y_score)
    pred = ys >= threshold
    pos = yt == 1
    tp = int(np.sum(pred & pos))
    fn = int(np.sum(~pred & pos))
    fp = int(np.sum(pred & ~pos))
    tn = int(np.sum(~pred & ~pos))
    n = yt.size
    sens = _ratio(tp, tp + fn, "sensitivity (no preictal segments)")
    spec = _ratio(tn, tn + fp, "specificity (no interictal segments)")
    out: dict[str, float] = {
        "n": float(n),
        "n_pos": float(tp + fn),
        "n_neg": float(tn + fp),
        "tp": float(tp),
        "fp": float(fp),
        "tn": float(tn),
        "fn": float(fn),
        "sensitivity": sens,
        "specificity": spec,
        "accuracy": _ratio(tp + tn, n, "accuracy (no segments)"),
        "precision": _ratio(tp, tp + fp, "precision (no positive predictions)"),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn, "f1 (no positives predicted or present)"),
        "auc": _auc(yt, ys),
        "segment_far_per_h": (1.0 - spec) * 3600.0 / window_s,
    }
    return out


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve by the Mann-Whitney rank statistic (ties count one half); NaN for one class.

    Parameters
    ----------
    y : ndarray of shape (n,)
        Labels 0 / 1.
    score : ndarray of shape (n,)
        Scores, higher meaning class 1.
    """
    y = np.asarray(y) > 0.5
    n_pos = int(y.sum())
    n_neg = y.shape[0] - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    _, inverse, counts = np.unique(
        np.asarray(score, dtype=np.float64), return_inverse=True, return_counts=True
    )
    mean_rank = np.cumsum(counts) - (counts - 1) / 2.0  # (n_unique,) 1-based average rank of each value
    rank_sum = mean_rank[inverse][y].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def _auc(yt: np.ndarray, ys: np.ndarray) -> float:
    if np.unique(yt).size < 2:
        return warn_undefined("auc is undefined with a single class; reported as NaN.", stacklevel=4)
    return roc_auc(yt, ys)


def pool_folds(
    folds: Sequence[tuple[np.ndarray, np.ndarray]], *, threshold: float = 0.5, window_s: float = 5.0
) -> dict[str, float]:
    """Metrics of the concatenation of every fold's test segments (the paper's per-patient pooling).

    Parameters
    ----------
    folds : sequence of (y_true, y_score)
        One pair of 1-D arrays per fold (leave-one-seizure-out test sets, repeats included).
    threshold, window_s : float
        As in :func:`segment_metrics`.

    Returns
    -------
    dict
        :func:`segment_metrics` of the pooled segments, plus ``n_folds``.
    """
    if len(folds) == 0:
        raise ConfigError(
            "Invalid value for 'folds': allowed a non-empty sequence of (y_true, y_score); got []."
        )
    pairs = [as_binary_arrays(yt, ys) for yt, ys in folds]
    yt = np.concatenate([p[0] for p in pairs])
    ys = np.concatenate([p[1] for p in pairs])
    out = segment_metrics(yt, ys, threshold=threshold, window_s=window_s)
    out["n_folds"] = float(len(folds))
    return out
