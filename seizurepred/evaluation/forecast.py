"""Seizure-likelihood forecasts from a continuous output, and calibration of the raw output (pure).

A fold's :class:`~seizurepred.evaluation.continuous.ContinuousOutput` (one held-out seizure's pre-onset record,
window starts in positive minutes before onset) becomes a sequence of forecasts of one horizon ``H``
(:func:`forecasts_from_output`); the scores of those forecasts are in :mod:`seizurepred.evaluation.forecast_scores`.

Alignment (times in minutes; ``u`` = minutes before onset, ``SPH`` = ``sph_min``, ``o`` = ``offset_min``):

* Forecast ``m = 0, 1, 2, ...`` is issued at ``tau_m = onset - SPH - o - m H``. Its **input** is the data just
  before it, ``[tau_m - H, tau_m)``: the windows whose start lies there, i.e. ``u`` in
  ``(SPH + o + m H, SPH + o + (m + 1) H]`` (a window belongs to the block of its start). Its **forecast period**
  (what it is about) is ``[tau_m + SPH, tau_m + SPH + H)``, i.e. the half-open interval that starts ``SPH`` after
  the data it used ends. Its **outcome** is 1 when a seizure onset falls in the forecast period.
* So the periods tile time and the held-out onset falls in the period of forecast 0 only, ``o`` minutes after the
  period's start: the outcome is 1 for ``m = 0`` and 0 for every other forecast of the record (the record holds
  no other onset: it stops at the previous seizure's end). The windows of the last ``SPH + o`` minutes before
  onset are in no input (they would forecast a period after the onset).
* ``offset_min = 0`` (default) anchors the grid on the onset: forecast 0 uses data right up to ``SPH`` before
  the onset, the most favourable position. A forecaster on a clock grid meets each onset at a random offset;
  ``offset_min`` in ``[0, H)`` evaluates a given one (e.g. ``H / 2``).
* This is the alarm convention of :mod:`seizurepred.evaluation.alarms` with SOP = ``H``: a warning issued at
  ``tau`` is correct when the onset lies ``SPH`` to ``SPH + H`` later (half-open here, so that no onset lies in
  two periods).
* **Gaps are not forecast**: a forecast exists only when at least ``min_recorded`` (default 1/2) of its input
  windows (``H * 60 / window_s`` expected) are recorded and, for ``m >= 1``, at least ``min_recorded`` of the
  windows of its forecast period are recorded too (an unrecorded period's outcome is not observed; the period of
  ``m = 0`` holds the annotated onset, so its outcome is known). A seizure whose forecast 0 does not exist is
  counted in :attr:`Forecasts.n_seizures` and missed by every threshold (as a seizure with no data before it is
  missed by the alarms); it has no Brier term.
* Aggregation of the input windows: ``"mean"`` of their outputs, or ``"max"``: the largest mean over
  consecutive sub-blocks of ``smooth_min`` minutes, aligned to the block's start (``smooth_min=None``: one window,
  i.e. the largest output).

sefef (Carmo et al., ``sefef.postprocessing.Forecast.postprocess``) labels a forecast with the start of the period
it is valid for and takes the data of the ``H`` before it: this is the alignment above with ``SPH = 0`` (in sefef
the latency lives in the labels, not in the scoring). With ``SPH > 0`` a sefef timestamp is this module's issue
time plus ``SPH``. sefef aggregates like ``aggregate="max"`` with ``smooth_min`` = its ``smooth_win``, on a grid
anchored to midnight (``origin="clock-time"``), forecasts any period with at least one window, and has no rule
on the forecast period's own recording. On a fully recorded record whose onset lies on its grid the two give the
same forecasts (``tests/evaluation/test_forecast.py``).

Calibration (:func:`fit_calibrator`): a map from the raw window output to a probability, fitted on windows the
fold's model did not test on (the fold's validation windows and labels; the caller passes them explicitly, and
passing the held-out seizure's windows is refused when their seizure ids are given). ``"platt"``: a logistic
regression of the label on the log-odds of the raw output (Newton-Cholesky, practically unpenalised, ``C = 1e6``; no Platt target
smoothing); ``"isotonic"``: :class:`sklearn.isotonic.IsotonicRegression` (clipped to the fitted range). The
validation windows are usually balanced, so the calibrated output is a probability at the validation prevalence;
``prevalence=`` moves it to another prior (Bayes: the odds are multiplied by the ratio of prior odds). The mean
of calibrated window outputs over an input block is the expected fraction of preictal windows in it: a seizure
likelihood for the forecast period when ``H`` equals the preictal length and ``SPH`` the labelling's; otherwise a
score whose own calibration the reliability diagram shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from seizurepred._validate import check_number, check_option
from seizurepred.errors import ConfigError
from seizurepred.evaluation.continuous import ContinuousOutput
from seizurepred.evaluation.metrics import as_binary_arrays

__all__ = [
    "Calibrator",
    "Forecasts",
    "calibrate_output",
    "fit_calibrator",
    "forecasts_from_output",
    "pool_forecasts",
    "reference_rate",
]

_EPS = 1e-9
_CLIP = 1e-6


@dataclass(frozen=True, eq=False)
class Forecasts:
    """Forecasts of one horizon and their observed outcomes (one record, or several pooled), earliest first.

    Attributes
    ----------
    probs : ndarray of float64, shape (n,)
        Seizure likelihood of each forecast period.
    outcomes : ndarray of int8, shape (n,)
        1 when a seizure onset falls in the forecast period.
    issue_min_before_onset : ndarray of float64, shape (n,)
        Issue time ``tau`` of each forecast in positive minutes before its record's onset (``SPH + o + m H``).
    seizure_id : ndarray of int64, shape (n,)
        The record (held-out seizure) of each forecast.
    recorded_fraction : ndarray of float64, shape (n,)
        Recorded windows of the input block / expected windows.
    horizon_min, sph_min, offset_min : float
        The alignment (module docstring).
    n_seizures : int
        Seizures the forecasts were made for (one per record), including those without a forecast 0.
    """

    probs: np.ndarray
    outcomes: np.ndarray
    issue_min_before_onset: np.ndarray
    seizure_id: np.ndarray
    recorded_fraction: np.ndarray
    horizon_min: float
    sph_min: float
    offset_min: float = 0.0
    n_seizures: int = 0

    def __len__(self) -> int:
        return int(self.probs.size)

    @property
    def period_min_before_onset(self) -> tuple[np.ndarray, np.ndarray]:
        """``(start, stop)`` of each forecast period in minutes before onset: ``tau - SPH``, ``tau - SPH - H``."""
        start = self.issue_min_before_onset - self.sph_min
        return start, start - self.horizon_min


def _block_index(u_s: np.ndarray, lead_s: float, h_s: float) -> np.ndarray:
    """Block ``k`` with ``u`` in ``(lead + k H, lead + (k + 1) H]`` (seconds); -1 for ``u <= lead``."""
    k = np.ceil((u_s - lead_s) / h_s - _EPS).astype(np.int64) - 1
    return np.where(u_s > lead_s + _EPS * h_s, k, -1)


def _aggregate_max(p, block, pos_s, smooth_s, n_blocks) -> np.ndarray:
    """Per block: the largest mean over sub-blocks of ``smooth_s`` seconds aligned to the block's start."""
    n_sub = int(np.floor(pos_s.max() / smooth_s + _EPS)) + 1 if pos_s.size else 1
    key = block * n_sub + np.floor(pos_s / smooth_s + _EPS).astype(np.int64)
    size = n_blocks * n_sub
    counts = np.bincount(key, minlength=size)
    sums = np.bincount(key, weights=p, minlength=size)
    means = np.full(size, -np.inf)
    np.divide(sums, counts, out=means, where=counts > 0)
    return means.reshape(n_blocks, n_sub).max(axis=1)


def forecasts_from_output(
    output: ContinuousOutput,
    *,
    horizon_min: float,
    sph_min: float = 5.0,
    offset_min: float = 0.0,
    min_recorded: float = 0.5,
    aggregate: Literal["mean", "max"] = "mean",
    smooth_min: float | None = None,
) -> Forecasts:
    """Forecasts of one horizon from a fold's continuous output (alignment: module docstring).

    Parameters
    ----------
    output : ContinuousOutput
        The held-out seizure's record; its ``probs`` are taken as they are (calibrate first with
        :func:`calibrate_output` for probabilities).
    horizon_min : float
        Length ``H`` of each input block and forecast period (e.g. 10 or 60); at least one window.
    sph_min : float
        Seizure prediction horizon between the end of the input and the start of the forecast period.
    offset_min : float
        Where the onset falls in forecast 0's period, in ``[0, H)``; 0 anchors the grid on the onset.
    min_recorded : float
        Least recorded fraction of the input block (and, for ``m >= 1``, of the forecast period), in (0, 1].
    aggregate : {"mean", "max"}
        How the input windows become one likelihood.
    smooth_min : float or None
        ``aggregate="max"``: length of the sub-blocks whose means are maximised (``None``: one window).

    Returns
    -------
    Forecasts
        Earliest first; ``n_seizures = 1``. Empty arrays when no block qualifies.
    """
    w_s = float(output.window_s)
    check_number("horizon_min", horizon_min, min_value=w_s / 60.0)
    check_number("sph_min", sph_min, min_value=0.0)
    check_number("offset_min", offset_min, min_value=0.0, max_value=horizon_min, inclusive_max=False)
    check_number("min_recorded", min_recorded, min_value=0.0, max_value=1.0, inclusive_min=False)
    check_option("aggregate", aggregate, ("mean", "max"))
    if smooth_min is not None:
        check_number("smooth_min", smooth_min, min_value=w_s / 60.0)
    smooth_s = w_s if smooth_min is None else float(smooth_min) * 60.0
    h_s, sph_s, off_s = horizon_min * 60.0, sph_min * 60.0, offset_min * 60.0
    u_s = np.asarray(output.times_min_before_onset, dtype=np.float64) * 60.0
    p = np.asarray(output.probs, dtype=np.float64)
    expected = h_s / w_s
    block = _block_index(u_s, sph_s + off_s, h_s)
    target = _block_index(u_s, off_s - h_s, h_s)  # period of forecast k holds u in (o + (k-1) H, o + k H]
    used = block >= 0
    n_blocks = int(block.max()) + 1 if used.any() else 0
    empty = np.empty(0)
    if n_blocks == 0:
        return Forecasts(empty, np.empty(0, np.int8), empty, np.empty(0, np.int64), empty,
                         float(horizon_min), float(sph_min), float(offset_min), 1)  # fmt: skip
    b, pb = block[used], p[used]
    count = np.bincount(b, minlength=n_blocks).astype(np.float64)
    in_target = (target >= 1) & (target < n_blocks)
    target_count = np.bincount(target[in_target], minlength=n_blocks).astype(np.float64)
    if aggregate == "mean":
        value = np.bincount(b, weights=pb, minlength=n_blocks) / np.maximum(count, 1.0)
    else:
        pos_s = (sph_s + off_s + (b + 1) * h_s) - u_s[used]  # seconds from the block's start
        value = _aggregate_max(pb, b, np.clip(pos_s, 0.0, None), smooth_s, n_blocks)
    m = np.arange(n_blocks)
    frac = count / expected
    observed = (m == 0) | (target_count / expected >= min_recorded - _EPS)
    keep = (frac >= min_recorded - _EPS) & observed
    order = m[keep][::-1]  # earliest (largest m) first
    return Forecasts(
        probs=value[order],
        outcomes=(order == 0).astype(np.int8),
        issue_min_before_onset=(sph_s + off_s + order * h_s) / 60.0,
        seizure_id=np.full(order.size, int(output.seizure_id), np.int64),
        recorded_fraction=np.minimum(frac[order], 1.0),
        horizon_min=float(horizon_min),
        sph_min=float(sph_min),
        offset_min=float(offset_min),
        n_seizures=1,
    )


def pool_forecasts(items: Sequence[Forecasts]) -> Forecasts:
    """Concatenate the forecasts of several records (same horizon, SPH and offset); ``n_seizures`` add up."""
    if not items:
        raise ConfigError("Invalid value for 'items': allowed at least one Forecasts; got none.")
    keys = {(f.horizon_min, f.sph_min, f.offset_min) for f in items}
    if len(keys) != 1:
        raise ConfigError(
            f"Invalid value for 'items': allowed forecasts of one (horizon_min, sph_min, offset_min); got {sorted(keys)}."
        )
    cat = lambda name: np.concatenate([getattr(f, name) for f in items])  # noqa: E731
    return replace(
        items[0],
        probs=cat("probs"),
        outcomes=cat("outcomes"),
        issue_min_before_onset=cat("issue_min_before_onset"),
        seizure_id=cat("seizure_id"),
        recorded_fraction=cat("recorded_fraction"),
        n_seizures=int(sum(f.n_seizures for f in items)),
    )


def reference_rate(n_seizures: int, recorded_hours: float, horizon_min: float) -> float:
    """The reference forecast: chance of at least one onset in a period of ``H``, at the training seizure rate.

    ``1 - exp(-lambda H)`` with ``lambda = n_seizures / recorded_hours`` (a Poisson process; ``~ lambda H`` when
    small). Pass the training data's seizures and recorded hours. Note that every held-out record holds exactly
    one onset within its (at most 10 h) span, so the held-out base rate is near ``H / record length``.
    """
    check_number("n_seizures", n_seizures, min_value=0, integer=True)
    check_number("recorded_hours", recorded_hours, min_value=0.0, inclusive_min=False)
    check_number("horizon_min", horizon_min, min_value=0.0, inclusive_min=False)
    return float(-np.expm1(-n_seizures / recorded_hours * horizon_min / 60.0))


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=np.float64), _CLIP, 1.0 - _CLIP)
    return np.log(q) - np.log1p(-q)


@dataclass(frozen=True, eq=False)
class Calibrator:
    """A fitted map from raw window output to probability (see :func:`fit_calibrator`).

    Attributes
    ----------
    method : {"platt", "isotonic"}
    model : object
        The fitted scikit-learn estimator.
    prevalence : float
        Positive fraction of the calibration labels (the prior the output is calibrated at).
    n : int
        Calibration windows.
    """

    method: str
    model: Any
    prevalence: float
    n: int

    def __call__(self, scores, *, prevalence: float | None = None) -> np.ndarray:
        """Calibrated probabilities of ``scores``; ``prevalence``: at that prior instead of :attr:`prevalence`."""
        s = np.asarray(scores, dtype=np.float64)
        if self.method == "platt":
            q = self.model.predict_proba(_logit(s).reshape(-1, 1))[:, 1]
        else:
            q = np.clip(self.model.predict(s.ravel()), 0.0, 1.0)
        if prevalence is not None:
            check_number("prevalence", prevalence, min_value=0.0, max_value=1.0, inclusive_min=False,
                         inclusive_max=False)  # fmt: skip
            ratio = (prevalence / (1.0 - prevalence)) / (self.prevalence / (1.0 - self.prevalence))
            with np.errstate(divide="ignore", invalid="ignore"):
                odds = q / (1.0 - q) * ratio
                q = np.where(q >= 1.0, 1.0, odds / (1.0 + odds))
        return q.reshape(s.shape)


def fit_calibrator(
    scores,
    labels,
    *,
    method: Literal["platt", "isotonic"] = "platt",
    seizure_ids=None,
    test_seizure_id: int | None = None,
) -> Calibrator:
    """Fit a calibration map on a calibration set the fold's model did not test on (its validation windows).

    Parameters
    ----------
    scores : array-like of shape (n,)
        Raw model outputs of the calibration windows.
    labels : array-like of shape (n,)
        Their labels (1 preictal, 0 interictal); both classes needed.
    method : {"platt", "isotonic"}
        See the module docstring.
    seizure_ids : array-like of shape (n,) or None
        Seizure each calibration window belongs to (-1 or any other id for interictal windows).
    test_seizure_id : int or None
        The fold's held-out seizure: calibration windows of that seizure are refused.

    Returns
    -------
    Calibrator

    Raises
    ------
    ConfigError
        One class only, bad shapes, or calibration windows of the held-out seizure.
    """
    check_option("method", method, ("platt", "isotonic"))
    y, s = as_binary_arrays(labels, scores)
    if y.size == 0 or y.min() == y.max():
        raise ConfigError("Invalid value for 'labels': allowed both classes in the calibration set; got one.")
    if seizure_ids is not None and test_seizure_id is not None:
        ids = np.asarray(seizure_ids)
        if ids.shape != y.shape:
            raise ConfigError(
                f"Invalid value for 'seizure_ids': allowed {y.size} ids; got shape {ids.shape}."
            )
        if np.any(ids == test_seizure_id):
            raise ConfigError(
                f"Invalid value for 'seizure_ids': allowed windows of other seizures than the held-out one; "
                f"got {int(np.sum(ids == test_seizure_id))} windows of seizure {test_seizure_id}."
            )
    if method == "platt":
        from sklearn.linear_model import LogisticRegression

        platt = LogisticRegression(C=1e6, solver="newton-cholesky", max_iter=1000)
        model = platt.fit(_logit(s).reshape(-1, 1), y)
    else:
        from sklearn.isotonic import IsotonicRegression

        model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(s, y)
    return Calibrator(method=method, model=model, prevalence=float(y.mean()), n=int(y.size))


def calibrate_output(output: ContinuousOutput, calibrator: Calibrator, *,
                     prevalence: float | None = None) -> ContinuousOutput:  # fmt: skip
    """The same record with its outputs calibrated (``prevalence``: see :meth:`Calibrator.__call__`)."""
    probs = calibrator(output.probs, prevalence=prevalence)
    if not np.isfinite(probs).all():
        raise ConfigError("Invalid value for 'calibrator': allowed a map to finite probabilities; got NaN.")
    return replace(output, probs=np.asarray(probs, dtype=np.float64))
