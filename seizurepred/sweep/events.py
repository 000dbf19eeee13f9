"""Event-level evaluation of a sweep: alarms on each fold's continuous output, pooled per length.

Each fold yields one timeline: its model's output over every recorded stretch within 10 h before the held-out
seizure's onset (back to the previous seizure's end), whatever CIOPR's own eligibility. Gaps between stretches
are excluded from time and reset the alarm state (the firing-power window never reaches across a gap). Alarms
are raised with :class:`~seizurepred.evaluation.alarms.AlarmConfig` (firing power or k-of-n, SOP, SPH,
refractory period SOP + SPH); the part of the record outside ``[onset - SPH - SOP, onset]`` is interictal time
for the false-prediction rate.

Per preictal length and repeat, the folds are pooled: event sensitivity = predicted / held-out seizures, FPR/h =
false alarms / interictal hours over all timelines, time in warning, mean lead time, the random-predictor p-value
(Schelter 2006) and a seizure-time surrogate test (Andrzejak 2003). For the surrogate test the fold timelines are
laid end to end on one virtual clock (each keeps its own alarms and onset), and surrogate onsets are drawn within
the recorded time.

Caveat (docs/method.md section 5): the records can overlap data used in training: under the paper's protocol the
interictal windows of the record's first 6 h are in the training pool, and under the chronological protocol the
record's interictal data before the training cut-off is too. Every row says how much (``train_overlap_h``:
hours of the record covered by training or validation windows); figures from such records are optimistic. The
OPP selector does not use these records' interictal part (:mod:`seizurepred.evaluation.opp`).
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from typing import Any

import numpy as np

from seizurepred.evaluation.alarms import event_metrics, raise_alarms
from seizurepred.evaluation.significance import random_predictor_p, surrogate_test


def _timeline(fold, onset_clock_s: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(clock_s at the end of each window, probs)`` of every stretch of a fold's continuous output."""
    cont = fold.continuous
    return [
        ((onset_clock_s - t * 60.0 + cont.window_s).astype(np.float64), np.asarray(p, dtype=np.float64))
        for t, p in cont.stretches()
    ]


def _pool(case: str, k: int, repeat: int, items: list[tuple], config) -> dict[str, Any]:
    """Pool the timelines of one (length, repeat): ``items`` are (fold, onset_clock_s, offset_clock_s)."""
    cfg = config.alarms
    shift, onsets, offsets, alarms, recorded = 0.0, [], [], [], []
    n_pred = n_false = 0
    hours = warn_s = total_s = 0.0
    leads: list[float] = []
    overlap_h = 0.0
    for fold, onset, offset in items:
        segs = _timeline(fold, onset)
        w = fold.continuous.window_s
        m = event_metrics(segs, [onset], offsets_s=[offset], config=cfg, step_s=w)
        n_out = sum(s[0].size for s in segs)
        n_pred += m.n_predicted
        n_false += m.n_false_alarms
        hours += m.interictal_hours
        warn_s += m.time_in_warning * n_out
        total_s += n_out
        overlap_h += fold.train_overlap_h
        leads += [x for x in m.lead_times_min if math.isfinite(x)]
        # lay this timeline after the previous ones on a virtual clock (gap of one refractory period + 1 h)
        base = shift - segs[0][0][0]
        onsets.append(onset + base)
        offsets.append(offset + base)
        alarms.append(raise_alarms([(c + base, p) for c, p in segs], config=cfg))
        recorded += [(c[0] + base - w, c[-1] + base) for c, _ in segs]
        shift = segs[-1][0][-1] + base + cfg.refractory_s + 3600.0
    n_sz = len(items)
    fpr = n_false / hours if hours > 0 else math.nan
    row = {
        "case": case,
        "preictal_min": k,
        "repeat": repeat,
        "sop_min": cfg.sop_min,
        "sph_min": cfg.sph_min,
        "n_seizures": n_sz,
        "n_predicted": n_pred,
        "sensitivity": n_pred / n_sz if n_sz else math.nan,
        "n_false_alarms": n_false,
        "interictal_hours": hours,
        "fpr_per_h": fpr,
        "time_in_warning": warn_s / total_s if total_s else math.nan,
        "mean_lead_time_min": float(np.mean(leads)) if leads else math.nan,
        "train_overlap_h": overlap_h,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        row["p_random_predictor"] = (
            random_predictor_p(n_pred, n_sz, fpr_per_h=fpr, sop_min=cfg.sop_min)
            if math.isfinite(fpr)
            else math.nan
        )
        if config.n_surrogates > 0 and n_sz:
            res = surrogate_test(
                np.concatenate(alarms),
                onsets,
                recorded,
                sop_min=cfg.sop_min,
                sph_min=cfg.sph_min,
                offsets_s=offsets,
                n_surrogates=config.n_surrogates,
                seed=config.seed,
            )
            row["p_surrogate"] = res["p_value"]
            row["surrogate_sensitivity_mean"] = res["surrogate_mean"]
        else:
            row["p_surrogate"] = math.nan
            row["surrogate_sensitivity_mean"] = math.nan
    return row


def _groups(manifest, folds) -> dict[tuple[int, int], list[tuple]]:
    """Folds with a usable continuous output, grouped by (length, repeat), with their seizure's clock times."""
    events = {ev.seizure_id: ev for ev in manifest.seizures}
    groups: dict[tuple[int, int], list[tuple]] = defaultdict(list)
    for f in folds:
        ev = events.get(f.seizure_id)
        if f.continuous is None or ev is None or ev.onset_clock_s is None or f.continuous.probs.size == 0:
            continue
        groups[(f.preictal_min, f.repeat)].append((f, ev.onset_clock_s, ev.offset_clock_s))
    return groups


def event_rows_by_seizure(manifest, folds, *, config) -> list[dict[str, Any]]:
    """One row per (preictal length, held-out seizure, repeat): the alarms on that fold's timeline alone.

    Parameters
    ----------
    manifest : Manifest
        Gives the seizures' clock times.
    folds : list of FoldResult
        Folds; those without a continuous output are left out.
    config : SweepConfig
        ``alarms`` (AlarmConfig).

    Returns
    -------
    list of dict
    """
    cfg = config.alarms
    rows = []
    for (k, repeat), items in sorted(_groups(manifest, folds).items()):
        for fold, onset, offset in items:
            segs = _timeline(fold, onset)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                m = event_metrics(segs, [onset], offsets_s=[offset], config=cfg, step_s=fold.continuous.window_s)
            rows.append(
                {
                    "case": manifest.case,
                    "preictal_min": k,
                    "seizure_id": fold.seizure_id,
                    "repeat": repeat,
                    "sop_min": cfg.sop_min,
                    "sph_min": cfg.sph_min,
                    "predicted": bool(m.n_predicted),
                    "n_alarms": m.n_alarms,
                    "n_false_alarms": m.n_false_alarms,
                    "interictal_hours": m.interictal_hours,
                    "fpr_per_h": m.fpr_per_h,
                    "time_in_warning": m.time_in_warning,
                    "lead_time_min": m.mean_lead_time_min,
                    "record_hours": fold.continuous.record_hours,
                    "n_stretches": len(segs),
                    "train_overlap_h": fold.train_overlap_h,
                }
            )
    return rows


def event_rows(manifest, folds, *, config) -> list[dict[str, Any]]:
    """One row per (preictal length, repeat): pooled event-level metrics over the folds' timelines.

    Parameters
    ----------
    manifest : Manifest
        Gives the seizures' clock times.
    folds : list of FoldResult
        Folds; those without a continuous output (record too short) are left out.
    config : SweepConfig
        ``alarms`` (AlarmConfig), ``n_surrogates`` and ``seed``.

    Returns
    -------
    list of dict
    """
    case = manifest.case
    return [_pool(case, k, r, items, config) for (k, r), items in sorted(_groups(manifest, folds).items())]
