"""Probabilistic and threshold scores of seizure-likelihood forecasts (pure; forecasts: :mod:`.forecast`).

Every function takes the forecast probabilities ``f`` and the observed outcomes ``y`` (0/1) of the same periods;
:func:`forecast_metrics` takes a :class:`~seizurepred.evaluation.forecast.Forecasts` and gives one tidy row.

* **Brier score** ``BS = mean((f - y)^2)``, computed directly.
* **Decomposition** (Murphy 1973, with the two within-bin terms of Stephenson et al. 2008, which make it exact
  for forecasts that are not constant within a bin): with bins ``k`` of ``n_k`` forecasts, bin mean forecast
  ``fbar_k``, bin observed frequency ``ybar_k`` and base rate ``ybar`` (the mean outcome),
  ``REL = sum n_k (fbar_k - ybar_k)^2 / N``, ``RES = sum n_k (ybar_k - ybar)^2 / N``, ``UNC = ybar (1 - ybar)``,
  ``WBV = sum (f - fbar_k)^2 / N``, ``WBC = 2 sum (y - ybar_k)(f - fbar_k) / N``, and
  ``BS = REL - RES + UNC + WBV - WBC`` to rounding.
* **Binning**: ``n_bins`` bins ``[e_0, e_1], (e_1, e_2], ..., (e_{K-1}, e_K]`` (values below ``e_0`` go to the
  first bin, above ``e_K`` to the last). ``"uniform"`` (default): ``e = 0, 1/K, ..., 1``. ``"quantile"``: ``e`` =
  the ``0, 100/K, ..., 100`` percentiles of the forecasts (numpy's linear interpolation) - sefef's
  ``binning_method="quantile"`` exactly. ``edges=`` gives any other edges.
* **Brier skill score** ``BSS = 1 - BS / BS_ref`` with ``BS_ref = mean((r - y)^2)`` of a reference forecast
  ``r``: pass the training data's seizure rate per horizon (:func:`~.forecast.reference_rate`); ``None`` (the
  functions' default, since only the caller knows the training data): the base rate of the forecasts scored
  (sample climatology). A constant forecast equal to the reference has ``BSS = 0`` exactly.
* **Sensitivity vs time in warning**: at threshold ``t`` a period is in warning when ``f >= t``; time in warning
  ``TiW(t)`` = fraction of forecast periods in warning (all periods have the same length ``H``); sensitivity
  ``Sen(t)`` = positive periods in warning / ``n_seizures`` (default: the positive periods; pass the seizures of
  the records to count unforecast ones as missed). The curve runs over every distinct forecast value plus
  ``t = inf`` (the point (0, 0)); ``AUC`` is its trapezoidal area. Chance: a predictor in warning a fraction
  ``q`` of the time at random predicts each seizure with probability ``q``, so chance sensitivity = TiW and
  chance AUC = 1/2. A perfect forecaster reaches ``1 - ybar / 2``, not 1 (it needs ``TiW = ybar`` to warn of
  every seizure; the segment from (0, 0) is a straight line, as in sefef).
* **Improvement over chance** at a stated time in warning ``q`` (:func:`chance_point`): the operating point with
  the largest ``TiW <= q`` (an achievable threshold); improvement = ``Sen - TiW`` there. p-values:
  the random predictor of :func:`~seizurepred.evaluation.significance.random_predictor_p` whose chance of
  predicting a seizure equals that TiW (``P(X >= k)``, ``X ~ Binomial(K, TiW)``), and seizure-time surrogates
  (:func:`~seizurepred.evaluation.significance.seizure_time_surrogates`, ``method="random"``) drawn over the
  forecast periods laid end to end: a surrogate onset is predicted when its period is in warning;
  ``p = (1 + #{surrogate hits >= k}) / (n_surrogates + 1)``.

Differences from sefef's ``sefef.scoring.Scorer`` (measured in ``tests/evaluation/test_forecast.py``): sefef
takes the base rate as ``len(sz_onsets) / len(forecasts)`` and counts seizures, not positive periods, in each bin,
so the two agree when each positive period holds one onset and every onset lies in a forecast period. sefef
computes the Brier score as the five-term sum (equal to the direct one then). Its skill uses the sample
climatology of the scored forecasts whatever ``hist_prior_prob`` says: ours with ``reference=None`` is sefef's,
and with a reference ``r``, ``1 - BSS = (1 - BSS_sefef) UNC / (UNC + (r - ybar)^2)``. Its ``"uniform"`` binning
spans ``[min f, max f]`` and gives the forecasts equal to the minimum a bin of their own (ours: edges
``[min f - 1, linspace(min f, max f, K + 1)]``). Its Sen/TiW curve and AUC are ours with ``n_seizures`` =
its onsets.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from seizurepred._validate import check_number, check_option
from seizurepred.errors import ConfigError
from seizurepred.evaluation.metrics import as_binary_arrays, warn_undefined
from seizurepred.evaluation.significance import random_predictor_p, seizure_time_surrogates

__all__ = [
    "BrierDecomposition",
    "ChancePoint",
    "ReliabilityBins",
    "SenTiwCurve",
    "bin_edges",
    "bin_index",
    "brier_decomposition",
    "brier_score",
    "brier_skill_score",
    "chance_point",
    "forecast_metrics",
    "reliability_bins",
    "sen_tiw_curve",
]

Binning = Literal["uniform", "quantile"]


@dataclass(frozen=True)
class BrierDecomposition:
    """Brier score and its decomposition (module docstring): ``brier = reliability - resolution + uncertainty +
    within_bin_variance - within_bin_covariance``."""

    brier: float
    reliability: float
    resolution: float
    uncertainty: float
    within_bin_variance: float
    within_bin_covariance: float
    base_rate: float
    n: int
    n_bins: int
    binning: str


@dataclass(frozen=True, eq=False)
class ReliabilityBins:
    """Reliability-diagram data: per bin (``edges[k]`` to ``edges[k + 1]``) the mean forecast, the observed
    frequency (NaN for an empty bin) and the count."""

    edges: np.ndarray
    mean_forecast: np.ndarray
    observed: np.ndarray
    count: np.ndarray
    binning: str


@dataclass(frozen=True, eq=False)
class SenTiwCurve:
    """Sensitivity vs time in warning over all thresholds (first point: ``threshold = inf``, (0, 0))."""

    thresholds: np.ndarray
    time_in_warning: np.ndarray
    sensitivity: np.ndarray
    auc: float
    n_seizures: int
    n_forecasts: int


@dataclass(frozen=True)
class ChancePoint:
    """The operating point at a stated time in warning and its significance (module docstring)."""

    tiw_target: float
    threshold: float
    time_in_warning: float
    sensitivity: float
    improvement: float
    n_seizures: int
    n_predicted: int
    p_random_predictor: float
    p_surrogate: float
    n_surrogates: int


def _check(probs, outcomes) -> tuple[np.ndarray, np.ndarray]:
    y, f = as_binary_arrays(outcomes, probs)
    if f.size and (f.min() < 0.0 or f.max() > 1.0):
        raise ConfigError(
            f"Invalid value for 'probs': allowed values in [0, 1]; got [{f.min():g}, {f.max():g}]."
        )
    return f, y.astype(np.float64)


def bin_edges(probs, *, binning: Binning = "uniform", n_bins: int = 10) -> np.ndarray:
    """The ``n_bins + 1`` edges of ``binning`` (module docstring) for forecasts ``probs``."""
    check_option("binning", binning, ("uniform", "quantile"))
    check_number("n_bins", n_bins, min_value=1, integer=True)
    if binning == "uniform":
        return np.linspace(0.0, 1.0, n_bins + 1)
    f = np.asarray(probs, dtype=np.float64)
    if f.size == 0:
        return np.linspace(0.0, 1.0, n_bins + 1)
    return np.percentile(np.sort(f), np.linspace(0.0, 100.0, n_bins + 1))


def bin_index(probs, edges) -> np.ndarray:
    """Bin of each forecast: 0 for ``f <= e_1``, ``k`` for ``e_k < f <= e_{k+1}``, the last bin above."""
    e = np.asarray(edges, dtype=np.float64)
    if e.ndim != 1 or e.size < 2 or np.any(np.diff(e) < 0):
        raise ConfigError(
            f"Invalid value for 'edges': allowed >= 2 non-decreasing numbers; got {e.tolist()}."
        )
    return np.digitize(np.asarray(probs, dtype=np.float64), e[1:-1], right=True)


def _binned(f, y, binning, n_bins, edges):
    e = bin_edges(f, binning=binning, n_bins=n_bins) if edges is None else np.asarray(edges, dtype=np.float64)
    k = bin_index(f, e)
    n_b = e.size - 1
    n_k = np.bincount(k, minlength=n_b).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        fbar = np.bincount(k, weights=f, minlength=n_b) / n_k
        ybar = np.bincount(k, weights=y, minlength=n_b) / n_k
    return e, k, n_k, fbar, ybar, ("edges" if edges is not None else binning)


def brier_score(probs, outcomes) -> float:
    """``mean((f - y)^2)``; NaN with a warning when there is no forecast."""
    f, y = _check(probs, outcomes)
    if f.size == 0:
        return warn_undefined("the Brier score is undefined without forecasts; NaN.")
    return float(np.mean((f - y) ** 2))


def brier_decomposition(probs, outcomes, *, binning: Binning = "uniform", n_bins: int = 10,
                        edges=None) -> BrierDecomposition:  # fmt: skip
    """Brier score with its reliability, resolution, uncertainty and within-bin terms (module docstring).

    Parameters
    ----------
    probs, outcomes : array-like of shape (n,)
        Forecasts in [0, 1] and outcomes 0/1.
    binning : {"uniform", "quantile"}
        Bin edges (ignored when ``edges`` is given).
    n_bins : int
        Number of bins.
    edges : array-like or None
        Explicit non-decreasing edges.

    Returns
    -------
    BrierDecomposition
        All NaN (with a warning) when there is no forecast.
    """
    f, y = _check(probs, outcomes)
    if f.size == 0:
        nan = warn_undefined("the Brier decomposition is undefined without forecasts; NaN.")
        return BrierDecomposition(nan, nan, nan, nan, nan, nan, nan, 0, int(n_bins), str(binning))
    e, k, n_k, fbar, ybar, name = _binned(f, y, binning, n_bins, edges)
    nz = n_k > 0
    n = float(f.size)
    base = float(y.mean())
    rel = float(np.sum(n_k[nz] * (fbar[nz] - ybar[nz]) ** 2) / n)
    res = float(np.sum(n_k[nz] * (ybar[nz] - base) ** 2) / n)
    df = f - fbar[k]
    return BrierDecomposition(
        brier=float(np.mean((f - y) ** 2)),
        reliability=rel,
        resolution=res,
        uncertainty=base * (1.0 - base),
        within_bin_variance=float(np.sum(df**2) / n),
        within_bin_covariance=float(2.0 * np.sum((y - ybar[k]) * df) / n),
        base_rate=base,
        n=int(f.size),
        n_bins=int(e.size - 1),
        binning=name,
    )


def brier_skill_score(probs, outcomes, *, reference=None) -> float:
    """``1 - BS / BS_ref`` against the reference forecast ``reference`` (a rate, per-forecast rates, or ``None``:
    the base rate of ``outcomes``). NaN with a warning when ``BS_ref = 0`` or there is no forecast."""
    f, y = _check(probs, outcomes)
    if f.size == 0:
        return warn_undefined("the Brier skill score is undefined without forecasts; NaN.")
    r = (
        np.full(f.size, y.mean())
        if reference is None
        else np.broadcast_to(np.asarray(reference, float), f.shape)
    )
    bs_ref = float(np.mean((r - y) ** 2))
    if bs_ref == 0.0:
        return warn_undefined("the Brier skill score is undefined: the reference forecast is perfect; NaN.")
    return 1.0 - float(np.mean((f - y) ** 2)) / bs_ref


def reliability_bins(probs, outcomes, *, binning: Binning = "uniform", n_bins: int = 10,
                     edges=None) -> ReliabilityBins:  # fmt: skip
    """Reliability-diagram data with the same bins as :func:`brier_decomposition`."""
    f, y = _check(probs, outcomes)
    e, _, n_k, fbar, ybar, name = _binned(f, y, binning, n_bins, edges)
    return ReliabilityBins(
        edges=e, mean_forecast=fbar, observed=ybar, count=n_k.astype(np.int64), binning=name
    )


def sen_tiw_curve(probs, outcomes, *, n_seizures: int | None = None) -> SenTiwCurve:
    """Sensitivity and time in warning at every threshold, and the area under the curve (module docstring).

    Parameters
    ----------
    probs, outcomes : array-like of shape (n,)
    n_seizures : int or None
        Denominator of the sensitivity (at least the positive periods); ``None``: the positive periods.

    Returns
    -------
    SenTiwCurve
        Increasing time in warning; sensitivity and AUC NaN (with a warning) without seizures.
    """
    f, y = _check(probs, outcomes)
    n_pos = int(y.sum())
    k = (
        n_pos
        if n_seizures is None
        else int(check_number("n_seizures", n_seizures, min_value=n_pos, integer=True))
    )
    thr = np.concatenate([[np.inf], np.unique(f)[::-1]])
    n = f.size
    sorted_all = np.sort(f)
    sorted_pos = np.sort(f[y == 1])
    n_warn = n - np.searchsorted(sorted_all, thr, side="left")
    n_hit = sorted_pos.size - np.searchsorted(sorted_pos, thr, side="left")
    tiw = n_warn / n if n else np.full(thr.size, np.nan)
    if k == 0:
        sen = np.full(thr.size, warn_undefined("sensitivity is undefined without seizures; NaN."))
        auc = math.nan
    else:
        sen = n_hit / k
        auc = float(np.sum(np.diff(tiw) * (sen[1:] + sen[:-1]) / 2.0)) if n else math.nan
    return SenTiwCurve(
        thresholds=thr, time_in_warning=tiw, sensitivity=sen, auc=auc, n_seizures=k, n_forecasts=n
    )


def _surrogate_p(f, y, warned, k_obs, n_surrogates, seed, offset_frac) -> tuple[float, int]:
    """Surrogate onsets over the forecast periods laid end to end (unit: one period)."""
    pos = np.flatnonzero(y == 1)
    onsets = pos + offset_frac
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        surr = seizure_time_surrogates(onsets, [(0.0, float(f.size))], n_surrogates=n_surrogates,
                                       method="random", seed=seed)  # fmt: skip
    if not surr:
        return warn_undefined("surrogate p-value is undefined: no surrogate could be placed; NaN."), 0
    idx = np.minimum(np.floor(np.vstack(surr)).astype(np.int64), f.size - 1)
    hits = warned[idx].sum(axis=1)
    return (1.0 + float(np.sum(hits >= k_obs))) / (hits.size + 1.0), int(hits.size)


def chance_point(probs, outcomes, *, tiw: float = 0.2, n_seizures: int | None = None, n_surrogates: int = 1000,
                 seed: int = 0, offset_frac: float = 0.0) -> ChancePoint:  # fmt: skip
    """The operating point at time in warning ``<= tiw``, its improvement over chance and its p-values.

    Parameters
    ----------
    probs, outcomes : array-like of shape (n,)
        Forecasts and outcomes (pooled records in any order).
    tiw : float
        The stated time in warning, in [0, 1].
    n_seizures : int or None
        See :func:`sen_tiw_curve` (unforecast seizures are missed in the surrogates too).
    n_surrogates : int
        Surrogates (0: no surrogate test, ``p_surrogate`` NaN).
    seed : int
        Seed of the surrogates.
    offset_frac : float
        Where the original onsets lie in their period, as a fraction of it (only excludes them from the draws).

    Returns
    -------
    ChancePoint
    """
    check_number("tiw", tiw, min_value=0.0, max_value=1.0)
    check_number("n_surrogates", n_surrogates, min_value=0, integer=True)
    f, y = _check(probs, outcomes)
    curve = sen_tiw_curve(f, y, n_seizures=n_seizures)
    k_sz = curve.n_seizures
    if f.size == 0 or k_sz == 0:
        nan = warn_undefined("the chance comparison is undefined without forecasts or seizures; NaN.")
        return ChancePoint(float(tiw), nan, nan, nan, nan, k_sz, 0, nan, nan, 0)
    i = int(np.flatnonzero(curve.time_in_warning <= tiw + 1e-12)[-1])
    thr, q, sen = float(curve.thresholds[i]), float(curve.time_in_warning[i]), float(curve.sensitivity[i])
    warned = f >= thr
    k_obs = int(np.sum(warned & (y == 1)))
    if q >= 1.0:
        p_rand = 1.0
    else:  # the Poisson predictor with P = 1 - exp(-rate x SOP) = q (SOP of 60 min, rate per hour)
        p_rand = random_predictor_p(k_obs, k_sz, fpr_per_h=float(-np.log1p(-q)), sop_min=60.0)
    if n_surrogates and y.sum() > 0:
        p_surr, n_s = _surrogate_p(f, y, warned, k_obs, n_surrogates, seed, offset_frac)
    else:
        p_surr, n_s = math.nan, 0
    return ChancePoint(
        tiw_target=float(tiw),
        threshold=thr,
        time_in_warning=q,
        sensitivity=sen,
        improvement=sen - q,
        n_seizures=k_sz,
        n_predicted=k_obs,
        p_random_predictor=float(p_rand),
        p_surrogate=float(p_surr),
        n_surrogates=n_s,
    )


def _mean_reference(reference) -> float:
    """The reference rate of a row: NaN for ``None``, the mean of per-forecast rates (NaN when there are none)."""
    if reference is None:
        return math.nan
    r = np.asarray(reference, dtype=np.float64)
    return float(r.mean()) if r.size else math.nan


def forecast_metrics(forecasts, *, reference: float | np.ndarray | None = None, binning: Binning = "uniform",
                     n_bins: int = 10, tiw: float = 0.2, n_surrogates: int = 1000,
                     seed: int = 0) -> dict[str, Any]:  # fmt: skip
    """Every score of a :class:`~seizurepred.evaluation.forecast.Forecasts` as one tidy row.

    Parameters
    ----------
    forecasts : Forecasts
        Pooled forecasts of one horizon (e.g. every fold of one preictal length and repeat).
    reference : float, array-like of shape (n,) or None
        Reference forecast of the skill score (the training seizure rate per horizon,
        :func:`~seizurepred.evaluation.forecast.reference_rate`; per forecast when pooled records have different
        training data); ``None``: the base rate of ``forecasts``. ``reference_rate`` in the row is its mean.
    binning, n_bins : see :func:`brier_decomposition`.
    tiw, n_surrogates, seed : see :func:`chance_point`.

    Returns
    -------
    dict
        ``horizon_min, sph_min, offset_min, n_forecasts, n_seizures, n_positive, base_rate, reference_rate,
        brier, reliability, resolution, uncertainty, within_bin_variance, within_bin_covariance, bss, binning,
        n_bins, auc_sen_tiw, tiw_target, threshold, time_in_warning, sensitivity, improvement_over_chance,
        n_predicted, p_random_predictor, p_surrogate, n_surrogates``.
    """
    f, y, k_sz = (
        forecasts.probs,
        forecasts.outcomes,
        max(int(forecasts.n_seizures), int(forecasts.outcomes.sum())),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dec = brier_decomposition(f, y, binning=binning, n_bins=n_bins)
        bss = brier_skill_score(f, y, reference=reference)
        curve = sen_tiw_curve(f, y, n_seizures=k_sz)
        cp = chance_point(f, y, tiw=tiw, n_seizures=k_sz, n_surrogates=n_surrogates, seed=seed,
                          offset_frac=forecasts.offset_min / forecasts.horizon_min)  # fmt: skip
    return {
        "horizon_min": forecasts.horizon_min,
        "sph_min": forecasts.sph_min,
        "offset_min": forecasts.offset_min,
        "n_forecasts": len(forecasts),
        "n_seizures": k_sz,
        "n_positive": int(y.sum()),
        "base_rate": dec.base_rate,
        "reference_rate": _mean_reference(reference),
        "brier": dec.brier,
        "reliability": dec.reliability,
        "resolution": dec.resolution,
        "uncertainty": dec.uncertainty,
        "within_bin_variance": dec.within_bin_variance,
        "within_bin_covariance": dec.within_bin_covariance,
        "bss": bss,
        "binning": dec.binning,
        "n_bins": dec.n_bins,
        "auc_sen_tiw": curve.auc,
        "tiw_target": cp.tiw_target,
        "threshold": cp.threshold,
        "time_in_warning": cp.time_in_warning,
        "sensitivity": cp.sensitivity,
        "improvement_over_chance": cp.improvement,
        "n_predicted": cp.n_predicted,
        "p_random_predictor": cp.p_random_predictor,
        "p_surrogate": cp.p_surrogate,
        "n_surrogates": cp.n_surrogates,
    }
