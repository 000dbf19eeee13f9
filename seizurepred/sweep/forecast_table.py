"""Seizure-likelihood forecasts of a sweep: the ``forecast`` table and the figures' data (pure).

Each fold (one held-out seizure's model, one repeat) turns its continuous output into forecasts of every horizon
of ``[forecast]`` (:class:`~seizurepred.sweep.config.ForecastOptions`):

1. **Calibration** on data the fold's model did not test on: its validation windows (``FoldResult.val_*``), by
   :func:`~seizurepred.evaluation.forecast.fit_calibrator` (``calibration = "platt"`` or ``"isotonic"``), which
   refuses windows of the held-out seizure. The validation windows are balanced, so with ``prior = "training"``
   the calibrated odds are moved to the training data's preictal share
   ``pi = min(1/2, (n - 1) (k - label.sph_min) / 60 / recorded_hours)`` (``n`` the manifest's seizures, ``k``
   the length; the other seizures' preictal hours over the recorded hours); ``pi = 0`` (no other seizure) keeps
   the validation share. ``prior`` in the table is the share the output is stated at. A fold file written before
   the validation windows were kept, or a validation set of one class, gives the raw output: ``calibration``
   then says ``uncalibrated (...)`` and so does the report.
2. **Forecasts** per horizon ``H`` (:func:`~seizurepred.evaluation.forecast.forecasts_from_output`): each uses
   the ``H`` minutes of output before its issue time and is about the ``H`` minutes that start ``SPH`` later
   (``[forecast] sph_min``, default the alarms'); the grid is anchored on the onset (the most favourable offset);
   gaps are not forecast. A fold without a continuous output forecasts nothing, and its seizure is missed.
3. **Reference**: the training data's seizure rate per horizon, ``reference_rate(n - 1, recorded_hours, H)``: the
   other seizures over the manifest's recorded hours.
4. **Scores** (:func:`~seizurepred.evaluation.forecast_scores.forecast_metrics`): Brier score and its
   decomposition, Brier skill score against the reference, Sen/TiW area, and at the stated time in warning the
   improvement over chance with the random-predictor and surrogate p-values.
5. **Is the skill more than chance?** ``p_skill``: each seizure's onset is moved to a forecast period of its own
   record drawn at random (``n_surrogates`` times; unforecast seizures stay missed) and the Brier skill score
   recomputed; ``p_skill = (1 + #{surrogate skill >= observed}) / (n_surrogates + 1)``. A record's reference is
   constant, so this is the rank of ``sum_j f_j(onset)`` among ``sum_j f_j(random period)``: forecasts that know
   nothing of the onset get a uniform ``p_skill`` whatever their calibration, which moves the skill itself.

Rows (``scope``): ``"fold"``, one per length x horizon x held-out seizure x repeat; ``"pooled"``, one per length x
horizon: every fold's and repeat's forecasts pooled, the skill against each forecast's own fold's reference. With
several repeats the pooled p-values are the largest of the repeats' (each repeat forecasts the same seizures:
pooling them would count each seizure once per repeat).
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from seizurepred.evaluation.continuous import ContinuousOutput
from seizurepred.evaluation.forecast import (
    Forecasts,
    calibrate_output,
    fit_calibrator,
    forecasts_from_output,
    pool_forecasts,
    reference_rate,
)
from seizurepred.evaluation.forecast_scores import (
    chance_point,
    forecast_metrics,
    reliability_bins,
    sen_tiw_curve,
)

if TYPE_CHECKING:
    from seizurepred.io.manifest import Manifest
    from seizurepred.sweep.config import SweepConfig
    from seizurepred.sweep.fold_result import FoldResult
    from seizurepred.sweep.result import SweepResult

__all__ = ["ForecastCurves", "forecast_curves", "forecast_rows", "skill_p", "training_prior"]

#: ``calibration`` of a fold whose file predates the validation arrays, or whose validation set has one class.
NO_VALIDATION = "uncalibrated (no validation scores in the fold file)"
ONE_CLASS = "uncalibrated (one class in the validation windows)"


@dataclass(frozen=True)
class ForecastCurves:
    """The figures' data for one horizon: per preictal length the reliability bins and the Sen/TiW curve."""

    horizon_min: float
    reliability: dict[int, Any]
    sen_tiw: dict[int, Any]


def training_prior(manifest: Manifest, preictal_min: float, label_sph_min: float) -> float:
    """The preictal share of the training data: the other seizures' preictal hours over the recorded hours.

    ``min(1/2, (n - 1) (preictal_min - label_sph_min) / 60 / recorded_hours)``; 0 without another seizure or
    recorded hours.
    """
    hours = manifest.total_hours
    if hours <= 0:
        return 0.0
    return float(
        min(0.5, max(manifest.n_seizures - 1, 0) * max(preictal_min - label_sph_min, 0.0) / 60.0 / hours)
    )


def _calibrated(
    f: FoldResult, config: SweepConfig, prior: float
) -> tuple[ContinuousOutput | None, str, float]:
    """``(output, calibration, prior)``: the fold's continuous output as probabilities, how, and at which prior."""
    method = config.forecast.calibration
    cont = f.continuous
    if cont is None or method == "none":
        return cont, method, math.nan
    if f.val_score is None or f.val_true is None:
        return cont, NO_VALIDATION, math.nan
    labels = np.asarray(f.val_true)
    if labels.size == 0 or labels.min() == labels.max():
        return cont, ONE_CLASS, math.nan
    cal = fit_calibrator(
        f.val_score, labels, method=method, seizure_ids=f.val_seizure, test_seizure_id=f.seizure_id
    )
    shift = config.forecast.prior == "training" and 0.0 < prior < 1.0
    return (
        calibrate_output(cont, cal, prevalence=prior if shift else None),
        method,
        prior if shift else cal.prevalence,
    )


def _forecasts(cont: ContinuousOutput | None, horizon_min: float, sph_min: float) -> Forecasts:
    """The forecasts of one fold's (calibrated) output; none, the seizure missed, without an output."""
    if cont is None:
        e = np.empty(0)
        return Forecasts(e, np.empty(0, np.int8), e, np.empty(0, np.int64), e, float(horizon_min), float(sph_min),
                         0.0, 1)  # fmt: skip
    return forecasts_from_output(cont, horizon_min=horizon_min, sph_min=sph_min)


def _scores(fc: Forecasts, reference, config: SweepConfig) -> dict[str, Any]:
    o = config.forecast
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        row = forecast_metrics(fc, reference=reference, n_bins=o.n_bins, tiw=o.tiw, n_surrogates=o.n_surrogates,
                               seed=config.seed)  # fmt: skip
    row["p_skill"] = skill_p(fc, n_surrogates=o.n_surrogates, seed=config.seed)[0]
    return row


def skill_p(fc: Forecasts, *, n_surrogates: int, seed: int = 0) -> tuple[float, int]:
    """``(p_skill, n)``: one-sided surrogate p-value of the Brier skill (module docstring, step 5).

    Parameters
    ----------
    fc : Forecasts
        One record's or several records' forecasts (``seizure_id`` tells the records apart).
    n_surrogates : int
        Surrogates (0: NaN).
    seed : int
        Seed of the draws.

    Returns
    -------
    tuple of (float, int)
        NaN and 0 without surrogates or without a forecast positive period.
    """
    pos = np.flatnonzero(fc.outcomes == 1)
    if n_surrogates == 0 or pos.size == 0:
        return math.nan, 0
    rng = np.random.default_rng(seed)
    observed = float(fc.probs[pos].sum())
    total = np.zeros(n_surrogates)
    for i in pos:  # each record holds one onset: its forecast periods are the onset's possible places
        mine = fc.probs[fc.seizure_id == fc.seizure_id[i]]
        total += mine[rng.integers(0, mine.size, n_surrogates)]
    return (1.0 + float(np.sum(total >= observed - 1e-12))) / (n_surrogates + 1.0), int(n_surrogates)


def _calibration_label(labels: Sequence[str]) -> str:
    """One label when the folds agree, else each with its count (``platt (2); uncalibrated (...) (1)``)."""
    counts = Counter(labels)
    if len(counts) == 1:
        return labels[0]
    return "; ".join(f"{name} ({n})" for name, n in sorted(counts.items()))


def _max_repeat_p(parts: dict[int, list[Forecasts]], config: SweepConfig) -> dict[str, float]:
    """The largest per-repeat p-values (random predictor, surrogates, skill) of a length and horizon."""
    o, ps = config.forecast, []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for items in parts.values():
            fc = pool_forecasts(items)
            cp = chance_point(fc.probs, fc.outcomes, tiw=o.tiw, n_seizures=max(fc.n_seizures, int(fc.outcomes.sum())),
                              n_surrogates=o.n_surrogates, seed=config.seed)  # fmt: skip
            ps.append((cp.p_random_predictor, cp.p_surrogate, skill_p(fc, n_surrogates=o.n_surrogates,
                                                                      seed=config.seed)[0]))  # fmt: skip
    names = ("p_random_predictor", "p_surrogate", "p_skill")
    return {name: float(np.max([p[i] for p in ps])) for i, name in enumerate(names)}


def forecast_rows(case: str, folds: Sequence[FoldResult], *, config: SweepConfig,
                  manifest: Manifest) -> list[dict[str, Any]]:  # fmt: skip
    """The ``forecast`` table: per length and horizon, one row per fold and one pooled row (module docstring).

    Parameters
    ----------
    case : str
        Patient.
    folds : sequence of FoldResult
        The finished folds.
    config : SweepConfig
        The sweep's config (``forecast``, ``label.sph_min``, ``seed``).
    manifest : Manifest
        The patient: its seizures and recorded hours give the reference rate and the training prior.

    Returns
    -------
    list of dict
        Columns ``case, scope, preictal_min, horizon_min, seizure_id, repeat, n_folds, calibration, prior``, those
        of :func:`~seizurepred.evaluation.forecast_scores.forecast_metrics`, and ``p_skill``.
    """
    o, sph = config.forecast, config.forecast_sph_min
    n_other, hours = max(manifest.n_seizures - 1, 0), manifest.total_hours
    rows: list[dict[str, Any]] = []
    for k in config.preictal_mins:
        mine = sorted((f for f in folds if f.preictal_min == k), key=lambda f: (f.repeat, f.seizure_id))
        if not mine:
            continue
        prior = training_prior(manifest, k, config.label.sph_min)
        calibrated = [_calibrated(f, config, prior) for f in mine]
        for h in o.horizons_min:
            ref = reference_rate(n_other, hours, h) if hours > 0 else math.nan
            fcs, refs, by_repeat = [], [], {}
            for f, (cont, how, at) in zip(mine, calibrated):
                fc = _forecasts(cont, h, sph)
                fcs.append(fc)
                refs.append(np.full(len(fc), ref))
                by_repeat.setdefault(f.repeat, []).append(fc)
                row = {
                    "case": case,
                    "scope": "fold",
                    "preictal_min": k,
                    "horizon_min": float(h),
                    "seizure_id": f.seizure_id,
                    "repeat": f.repeat,
                    "n_folds": 1,
                    "calibration": how,
                    "prior": at,
                }
                rows.append({**row, **_scores(fc, ref, config)})  # fmt: skip
            pooled = pool_forecasts(fcs)
            priors = [at for _, _, at in calibrated if math.isfinite(at)]
            row = {"case": case, "scope": "pooled", "preictal_min": k, "horizon_min": float(h), "seizure_id": None,
                   "repeat": None, "n_folds": len(mine), "calibration": _calibration_label([c[1] for c in calibrated]),
                   "prior": float(np.mean(priors)) if priors else math.nan}  # fmt: skip
            row.update(_scores(pooled, np.concatenate(refs), config))
            if len(by_repeat) > 1:
                row.update(_max_repeat_p(by_repeat, config))
            rows.append(row)
    return rows


def forecast_curves(result: SweepResult, horizon_min: float | None = None) -> ForecastCurves | None:
    """Reliability bins and Sen/TiW curve per length of one horizon (default the first), pooled over the folds.

    Read from the result alone: each fold's calibration and prior are its ``forecast`` row's, so the figures show
    the forecasts the table scores. A length without a forecast is left out; ``None`` when none has one.
    """
    cfg = result.config
    h = float(cfg.forecast.horizons_min[0] if horizon_min is None else horizon_min)
    rows = {(r["preictal_min"], r["seizure_id"], r["repeat"]): r for r in result.forecast
            if r["scope"] == "fold" and r["horizon_min"] == h}  # fmt: skip
    if not rows:
        return None
    bins, curves = {}, {}
    for k in cfg.preictal_mins:
        items = []
        for f in result.folds:
            row = rows.get((f.preictal_min, f.seizure_id, f.repeat))
            if f.preictal_min != k or row is None:
                continue
            prior = row["prior"] if row["calibration"] in ("platt", "isotonic") else math.nan
            cont = _calibrated(f, cfg, prior)[0] if math.isfinite(prior) else f.continuous
            items.append(_forecasts(cont, h, cfg.forecast_sph_min))
        fc = pool_forecasts(items) if items else None
        if fc is None or len(fc) == 0:  # no fold of this length forecast anything
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bins[k] = reliability_bins(fc.probs, fc.outcomes, n_bins=cfg.forecast.n_bins)
            curves[k] = sen_tiw_curve(
                fc.probs, fc.outcomes, n_seizures=max(fc.n_seizures, int(fc.outcomes.sum()))
            )
    return ForecastCurves(horizon_min=h, reliability=bins, sen_tiw=curves) if bins else None
