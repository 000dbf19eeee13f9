"""Alarms and event-level metrics on a continuous output timeline (Winterhalder 2003, Maiwald 2004).

Timeline: a sequence of recording segments, each ``(clock_s, probs)``: the patient-clock time in seconds at which
each output becomes available (for a 5 s window: pass its end, or its start, consistently) and its probability.
Each output stands for ``step_s`` seconds of recorded time. Segments are separated by gaps; the moving window of
the alarm rule never reaches across a gap.

Conventions (stated, because the literature varies):

* Alarm rule: an output is positive when ``prob >= output_threshold``. The firing power is the fraction of positive
  outputs among the last ``n_windows`` outputs of the segment (undefined, hence no alarm, until ``n_windows``
  outputs exist). ``mode="firing_power"`` raises when the firing power ``>= fp_threshold``; ``mode="k_of_n"`` when
  at least ``k`` of the last ``n_windows`` outputs are positive (the same rule with threshold ``k / n``).
* An alarm at ``t`` blocks new alarms during the refractory period ``[t, t + SPH + SOP)``; the first output after it
  that meets the rule raises the next alarm.
* An alarm at ``t`` is correct if a seizure onset falls in ``[t + SPH, t + SPH + SOP]``; a seizure is predicted if
  it has a correct alarm; its lead time is ``onset - t`` of its earliest correct alarm.
* Interictal time excludes ``[onset - SPH - SOP, offset + postictal]`` around every seizure. A false alarm is an
  alarm that is not correct and lies in interictal time (alarms that are neither, e.g. during a seizure, are not
  counted). FPR/h = false alarms / interictal hours. By default the time in warning after false alarms stays in
  the interictal hours (Maiwald's convention); ``exclude_warning_time=True`` removes it (the refractory time, during
  which no new false alarm can be raised).
* Time in warning = fraction of all recorded outputs that lie in ``[t, t + SPH + SOP)`` of some alarm.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from seizurepred._validate import check_number, check_option
from seizurepred.errors import ConfigError
from seizurepred.evaluation.metrics import warn_undefined

__all__ = [
    "AlarmConfig",
    "EventMetrics",
    "firing_power",
    "raise_alarms",
    "correct_alarms",
    "predicted_seizures",
    "event_metrics",
]

Timeline = Sequence[tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class AlarmConfig:
    """Alarm post-processing and event-evaluation settings (times in minutes).

    Attributes
    ----------
    sop_min, sph_min : float
        Seizure occurrence period and seizure prediction horizon.
    mode : {"firing_power", "k_of_n"}
        Alarm rule (see module docstring).
    n_windows : int
        Length of the moving window in outputs.
    fp_threshold : float
        Firing-power threshold in [0, 1] (``mode="firing_power"``).
    k : int
        Positives needed among ``n_windows`` (``mode="k_of_n"``).
    output_threshold : float
        Probability threshold of a positive output.
    postictal_min : float
        Time after each seizure's end excluded from interictal time.
    exclude_warning_time : bool
        Remove the refractory time after false alarms from the interictal hours.
    """

    sop_min: float = 30.0
    sph_min: float = 5.0
    mode: Literal["firing_power", "k_of_n"] = "firing_power"
    n_windows: int = 12
    fp_threshold: float = 0.5
    k: int = 6
    output_threshold: float = 0.5
    postictal_min: float = 0.0
    exclude_warning_time: bool = False

    def __post_init__(self) -> None:
        check_number("sop_min", self.sop_min, min_value=0.0, inclusive_min=False)
        check_number("sph_min", self.sph_min, min_value=0.0)
        check_option("mode", self.mode, ("firing_power", "k_of_n"))
        check_number("n_windows", self.n_windows, min_value=1, integer=True)
        check_number("fp_threshold", self.fp_threshold, min_value=0.0, max_value=1.0)
        check_number("k", self.k, min_value=1, max_value=self.n_windows, integer=True)
        check_number("output_threshold", self.output_threshold, min_value=0.0, max_value=1.0)
        check_number("postictal_min", self.postictal_min, min_value=0.0)

    @property
    def k_required(self) -> int:
        """Positive outputs among ``n_windows`` that raise an alarm."""
        if self.mode == "k_of_n":
            return int(self.k)
        return max(1, math.ceil(self.fp_threshold * self.n_windows - 1e-9))

    @property
    def refractory_s(self) -> float:
        """SPH + SOP in seconds."""
        return (self.sph_min + self.sop_min) * 60.0


@dataclass(frozen=True)
class EventMetrics:
    """Event-level results of one timeline (see the module docstring for the conventions)."""

    n_seizures: int
    n_predicted: int
    sensitivity: float
    n_alarms: int
    n_false_alarms: int
    interictal_hours: float
    fpr_per_h: float
    time_in_warning: float
    mean_lead_time_min: float
    lead_times_min: tuple[float, ...]
    alarm_times_s: tuple[float, ...]


def _check_timeline(segments: Timeline) -> list[tuple[np.ndarray, np.ndarray]]:
    out = []
    for i, seg in enumerate(segments):
        t, p = (np.asarray(a, dtype=np.float64) for a in seg)
        if t.ndim != 1 or t.shape != p.shape:
            raise ConfigError(
                f"Invalid value for 'segments[{i}]': allowed (clock_s, probs) 1-D arrays of equal length; "
                f"got shapes {t.shape} and {p.shape}."
            )
        if t.size and (not np.isfinite(t).all() or not np.isfinite(p).all() or np.any(np.diff(t) <= 0)):
            raise ConfigError(
                f"Invalid value for 'segments[{i}]': allowed finite values with increasing clock_s; got other."
            )
        if t.size:
            out.append((t, p))
    return sorted(out, key=lambda s: s[0][0])


def firing_power(probs: np.ndarray, *, n_windows: int, output_threshold: float = 0.5) -> np.ndarray:
    """Fraction of positive outputs (``prob >= output_threshold``) in the trailing window of ``n_windows`` outputs.

    Parameters
    ----------
    probs : ndarray of shape (n_outputs,)
        Consecutive outputs of one segment.

    Returns
    -------
    ndarray of shape (n_outputs,)
        ``fp[i] = sum(pos[i - n + 1 .. i]) / n``; NaN for ``i < n - 1`` (window not yet full).
    """
    pos = (np.asarray(probs, dtype=np.float64) >= output_threshold).astype(np.float64)
    csum = np.concatenate([[0.0], np.cumsum(pos)])
    out = np.full(pos.size, np.nan)
    if pos.size >= n_windows:
        out[n_windows - 1 :] = (csum[n_windows:] - csum[:-n_windows]) / n_windows
    return out


def raise_alarms(segments: Timeline, *, config: AlarmConfig) -> np.ndarray:
    """Alarm times (patient clock, s) of a timeline under the rule and refractory period of ``config``.

    Returns
    -------
    ndarray of shape (n_alarms,)
        Increasing alarm times, at least ``SPH + SOP`` apart.
    """
    cand = []
    for t, p in _check_timeline(segments):
        fp = firing_power(p, n_windows=config.n_windows, output_threshold=config.output_threshold)
        count = np.rint(np.nan_to_num(fp, nan=-1.0) * config.n_windows)
        cand.append(t[count >= config.k_required])
    times = np.sort(np.concatenate(cand)) if cand else np.empty(0)
    alarms = []
    i = 0
    while i < times.size:
        alarms.append(times[i])
        i = int(np.searchsorted(times, times[i] + config.refractory_s, side="left"))
    return np.asarray(alarms, dtype=np.float64)


def correct_alarms(
    alarm_times_s: np.ndarray, onsets_s: np.ndarray, *, sop_min: float, sph_min: float
) -> np.ndarray:
    """Boolean mask: alarm ``t`` is correct if an onset lies in ``[t + SPH, t + SPH + SOP]``."""
    a = np.asarray(alarm_times_s, dtype=np.float64)
    on = np.sort(np.asarray(onsets_s, dtype=np.float64))
    lo = np.searchsorted(on, a + sph_min * 60.0, side="left")
    hi = np.searchsorted(on, a + (sph_min + sop_min) * 60.0, side="right")
    return hi > lo


def predicted_seizures(
    alarm_times_s: np.ndarray, onsets_s: np.ndarray, *, sop_min: float, sph_min: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per seizure: whether an alarm predicts it, and its lead time in minutes (NaN when missed).

    Seizure at ``o`` is predicted by alarms ``t`` with ``o - SPH - SOP <= t <= o - SPH``; the lead time is
    ``(o - earliest such t) / 60``.
    """
    a = np.sort(np.asarray(alarm_times_s, dtype=np.float64))
    on = np.asarray(onsets_s, dtype=np.float64)
    first = np.searchsorted(a, on - (sph_min + sop_min) * 60.0, side="left")
    last = np.searchsorted(a, on - sph_min * 60.0, side="right")
    hit = last > first
    lead = np.full(on.size, np.nan)
    lead[hit] = (on[hit] - a[first[hit]]) / 60.0
    return hit, lead


def _interval_mask(t: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    mask = np.zeros(t.size, dtype=bool)
    for a, b in zip(lo, hi):
        mask |= (t >= a) & (t <= b)
    return mask


def _warning_mask(t: np.ndarray, alarms: np.ndarray, refractory_s: float) -> np.ndarray:
    """Outputs in ``[a, a + refractory)`` of some alarm (alarms are at least ``refractory`` apart)."""
    if alarms.size == 0:
        return np.zeros(t.size, dtype=bool)
    j = np.searchsorted(alarms, t, side="right") - 1
    ok = j >= 0
    mask = np.zeros(t.size, dtype=bool)
    mask[ok] = t[ok] < alarms[j[ok]] + refractory_s
    return mask


def event_metrics(
    segments: Timeline,
    onsets_s: Sequence[float],
    *,
    config: AlarmConfig = AlarmConfig(),
    offsets_s: Sequence[float] | None = None,
    step_s: float = 5.0,
) -> EventMetrics:
    """Alarms and event metrics of one timeline.

    Parameters
    ----------
    segments : sequence of (clock_s, probs)
        The continuous output per recording segment (see module docstring).
    onsets_s, offsets_s : sequence of float
        Seizure onsets and ends on the patient clock in seconds (ends default to the onsets).
    config : AlarmConfig
    step_s : float
        Recorded seconds each output stands for.

    Returns
    -------
    EventMetrics
        ``sensitivity`` = predicted / seizures, ``fpr_per_h`` = false alarms / interictal hours,
        ``time_in_warning`` fraction; undefined values are NaN with an ``UndefinedMetricWarning``.
    """
    check_number("step_s", step_s, min_value=0.0, inclusive_min=False)
    segs = _check_timeline(segments)
    on = np.asarray(onsets_s, dtype=np.float64)
    off = on if offsets_s is None else np.asarray(offsets_s, dtype=np.float64)
    if off.shape != on.shape:
        raise ConfigError(f"Invalid value for 'offsets_s': allowed {on.size} values; got {off.size}.")
    alarms = raise_alarms(segs, config=config)
    t = np.concatenate([s[0] for s in segs]) if segs else np.empty(0)
    hit, lead = predicted_seizures(alarms, on, sop_min=config.sop_min, sph_min=config.sph_min)
    lo = on - config.refractory_s
    hi = off + config.postictal_min * 60.0
    correct = correct_alarms(alarms, on, sop_min=config.sop_min, sph_min=config.sph_min)
    false = ~correct & ~_interval_mask(alarms, lo, hi)
    interictal = ~_interval_mask(t, lo, hi)
    if config.exclude_warning_time:
        interictal &= ~_warning_mask(t, alarms[false], config.refractory_s)
    hours = float(interictal.sum()) * step_s / 3600.0
    n_false = int(false.sum())
    if on.size:
        sens = float(hit.mean())
    else:
        sens = warn_undefined("event sensitivity is undefined without seizures; NaN.")
    fpr = n_false / hours if hours > 0 else warn_undefined("FPR/h is undefined without interictal time; NaN.")
    if t.size:
        tiw = float(_warning_mask(t, alarms, config.refractory_s).mean())
    else:
        tiw = warn_undefined("time in warning is undefined without outputs; NaN.")
    if hit.any():
        mean_lead = float(np.mean(lead[hit]))
    else:
        mean_lead = warn_undefined("mean lead time is undefined: no seizure predicted; NaN.")
    return EventMetrics(
        n_seizures=int(on.size),
        n_predicted=int(hit.sum()),
        sensitivity=sens,
        n_alarms=int(alarms.size),
        n_false_alarms=n_false,
        interictal_hours=hours,
        fpr_per_h=fpr,
        time_in_warning=tiw,
        mean_lead_time_min=mean_lead,
        lead_times_min=tuple(float(v) for v in lead),
        alarm_times_s=tuple(float(v) for v in alarms),
    )
