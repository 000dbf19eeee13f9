"""Significance of event-level prediction against chance.

* Random (Poisson) predictor (Schelter et al. 2006): a predictor raising alarms at random with the observed rate
  FPR per hour predicts a given seizure with probability ``P = 1 - exp(-FPR x SOP)`` (SOP in hours). With K
  seizures, the number predicted by chance is ``X ~ Binomial(K, P)``; the p-value of k predicted seizures is
  ``P(X >= k) = binom.sf(k - 1, K, P)``. With ``n_settings`` independently tuned alarm settings (parameters), the
  chance that at least one of them reaches k is ``1 - (1 - p)^n_settings`` (Sidak form of Schelter's correction);
  the critical sensitivity is the smallest ``k / K`` whose corrected p-value is ``<= alpha``.
* Seizure-time surrogates (Andrzejak et al. 2003): the alarms stay; the seizure onsets are replaced ``n_surrogates``
  times by surrogate onsets inside the recorded time and outside every original seizure ``[onset, offset]``, either
  ``"random"`` (independent uniform draws) or ``"intervals"`` (the original inter-seizure intervals permuted and the
  whole sequence shifted at random; rejection sampling, at most ``max_tries`` draws per surrogate). The p-value is
  ``(1 + #{surrogate sensitivity >= observed}) / (n_surrogates + 1)``. Seeded: same seed, same result.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
from scipy.stats import binom

from seizurepred._validate import check_number, check_option
from seizurepred.errors import ConfigError
from seizurepred.evaluation.alarms import predicted_seizures
from seizurepred.evaluation.metrics import warn_undefined

__all__ = [
    "chance_prediction_probability",
    "random_predictor_p",
    "critical_sensitivity",
    "seizure_time_surrogates",
    "surrogate_test",
]


def chance_prediction_probability(fpr_per_h: float, sop_min: float) -> float:
    """``P = 1 - exp(-FPR x SOP)``: probability that a Poisson predictor with rate FPR/h alarms within one SOP."""
    check_number("fpr_per_h", fpr_per_h, min_value=0.0)
    check_number("sop_min", sop_min, min_value=0.0, inclusive_min=False)
    return float(-np.expm1(-fpr_per_h * sop_min / 60.0))


def random_predictor_p(
    n_predicted: int, n_seizures: int, *, fpr_per_h: float, sop_min: float, n_settings: int = 1
) -> float:
    """p-value of ``n_predicted`` of ``n_seizures`` against the random predictor with the same FPR/h.

    ``p = 1 - (1 - binom.sf(k - 1, K, P))^n_settings`` with ``P`` from :func:`chance_prediction_probability`.
    NaN with a warning when ``n_seizures == 0`` or the FPR is NaN.
    """
    check_number("n_seizures", n_seizures, min_value=0, integer=True)
    check_number("n_predicted", n_predicted, min_value=0, max_value=n_seizures, integer=True)
    check_number("n_settings", n_settings, min_value=1, integer=True)
    if n_seizures == 0 or not math.isfinite(fpr_per_h):
        return warn_undefined("random-predictor p-value is undefined (no seizures or FPR undefined); NaN.")
    prob = chance_prediction_probability(fpr_per_h, sop_min)
    p = float(binom.sf(n_predicted - 1, n_seizures, prob))
    return float(-np.expm1(n_settings * np.log1p(-p))) if p < 1.0 else 1.0


def critical_sensitivity(
    n_seizures: int, *, fpr_per_h: float, sop_min: float, alpha: float = 0.05, n_settings: int = 1
) -> float:
    """Smallest sensitivity ``k / K`` that beats the random predictor at level ``alpha`` (corrected).

    NaN with a warning when even ``K / K`` is not significant or the FPR is NaN.
    """
    check_number("alpha", alpha, min_value=0.0, max_value=1.0, inclusive_min=False)
    check_number("n_seizures", n_seizures, min_value=1, integer=True)
    if not math.isfinite(fpr_per_h):
        return warn_undefined("critical sensitivity is undefined (FPR undefined); NaN.")
    for k in range(n_seizures + 1):
        p = random_predictor_p(k, n_seizures, fpr_per_h=fpr_per_h, sop_min=sop_min, n_settings=n_settings)
        if p <= alpha:
            return k / n_seizures
    return warn_undefined(
        f"no sensitivity is significant at alpha={alpha:g} with {n_seizures} seizures; NaN."
    )


def _allowed(recorded: np.ndarray, onsets: np.ndarray, offsets: np.ndarray):
    """Recorded intervals minus the original seizures, as (starts, stops) arrays."""
    starts, stops = [], []
    for a, b in recorded:
        pieces = [(a, b)]
        for o, f in zip(onsets, offsets):
            pieces = [q for lo, hi in pieces for q in ((lo, min(hi, o)), (max(lo, f), hi)) if q[1] > q[0]]
        for lo, hi in pieces:
            starts.append(lo)
            stops.append(hi)
    return np.asarray(starts, dtype=np.float64), np.asarray(stops, dtype=np.float64)


def _inside(x: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    return ((x[:, None] >= starts) & (x[:, None] < stops)).any(axis=1)


def _draw_random(rng, starts, stops, k):
    lengths = stops - starts
    which = rng.choice(lengths.size, size=k, p=lengths / lengths.sum())
    return np.sort(starts[which] + rng.random(k) * lengths[which])


def _draw_intervals(rng, starts, stops, onsets, max_tries):
    gaps = np.diff(np.sort(onsets))
    lo, hi = float(starts.min()), float(stops.max())
    for _ in range(max_tries):
        seq = np.concatenate([[0.0], np.cumsum(rng.permutation(gaps))])
        if seq[-1] > hi - lo:
            return None
        cand = lo + rng.random() * (hi - lo - seq[-1]) + seq
        if _inside(cand, starts, stops).all():
            return cand
    return None


def seizure_time_surrogates(
    onsets_s: Sequence[float],
    recorded_s: Sequence[tuple[float, float]],
    *,
    offsets_s: Sequence[float] | None = None,
    n_surrogates: int = 1000,
    method: Literal["random", "intervals"] = "random",
    seed: int = 0,
    max_tries: int = 1000,
) -> list[np.ndarray]:
    """Surrogate onset sequences (module docstring); a surrogate that cannot be placed is skipped with a warning.

    Parameters
    ----------
    onsets_s, offsets_s : sequence of float
        Original seizure onsets and ends on the patient clock (s); ends default to the onsets.
    recorded_s : sequence of (start_s, stop_s)
        Recorded time on the patient clock.

    Returns
    -------
    list of ndarray of shape (n_seizures,)
    """
    check_option("method", method, ("random", "intervals"))
    check_number("n_surrogates", n_surrogates, min_value=1, integer=True)
    on = np.asarray(onsets_s, dtype=np.float64)
    off = on if offsets_s is None else np.asarray(offsets_s, dtype=np.float64)
    rec = np.asarray(recorded_s, dtype=np.float64).reshape(-1, 2)
    starts, stops = _allowed(rec, on, off)
    if starts.size == 0:
        raise ConfigError(
            "Invalid value for 'recorded_s': allowed recorded time outside the seizures; got none."
        )
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_surrogates):
        if method == "random":
            out.append(_draw_random(rng, starts, stops, on.size))
        else:
            cand = _draw_intervals(rng, starts, stops, on, max_tries)
            if cand is not None:
                out.append(cand)
    if len(out) < n_surrogates:
        warn_undefined(f"only {len(out)} of {n_surrogates} interval-preserving surrogates could be placed.")
    return out


def surrogate_test(
    alarm_times_s: Sequence[float],
    onsets_s: Sequence[float],
    recorded_s: Sequence[tuple[float, float]],
    *,
    sop_min: float,
    sph_min: float,
    offsets_s: Sequence[float] | None = None,
    n_surrogates: int = 1000,
    method: Literal["random", "intervals"] = "random",
    seed: int = 0,
) -> dict[str, float]:
    """Seizure-time surrogate test of the event sensitivity of fixed alarms.

    Returns
    -------
    dict
        ``observed`` sensitivity, ``p_value = (1 + #{s >= observed}) / (N + 1)``, ``surrogate_mean``,
        ``n_surrogates`` (placed), ``seed``. NaN p-value with a warning when no seizure or no surrogate.
    """
    on = np.asarray(onsets_s, dtype=np.float64)
    alarms = np.asarray(alarm_times_s, dtype=np.float64)
    if on.size == 0:
        nan = warn_undefined("surrogate test is undefined without seizures; NaN.")
        return {
            "observed": nan,
            "p_value": nan,
            "surrogate_mean": nan,
            "n_surrogates": 0.0,
            "seed": float(seed),
        }
    observed = float(predicted_seizures(alarms, on, sop_min=sop_min, sph_min=sph_min)[0].mean())
    surr = seizure_time_surrogates(
        on, recorded_s, offsets_s=offsets_s, n_surrogates=n_surrogates, method=method, seed=seed
    )
    sens = np.array([predicted_seizures(alarms, s, sop_min=sop_min, sph_min=sph_min)[0].mean() for s in surr])
    if sens.size == 0:
        p = warn_undefined("surrogate p-value is undefined: no surrogate could be placed; NaN.")
        mean = math.nan
    else:
        p = (1.0 + float(np.sum(sens >= observed - 1e-12))) / (sens.size + 1.0)
        mean = float(sens.mean())
    return {
        "observed": observed,
        "p_value": p,
        "surrogate_mean": mean,
        "n_surrogates": float(sens.size),
        "seed": float(seed),
    }
