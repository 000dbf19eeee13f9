"""Aggregate a sweep's folds into tidy tables, CIOPR per seizure, and the patient's OPP.

Tables (one row per ...):

* ``segments``: fold (length x held-out seizure x repeat): sizes, training outcome, segment metrics;
* ``pooled``: preictal length: segment metrics pooled over every fold and repeat (the paper's per-patient
  figures), mean SPC ("prediction time") and mean CIOPR;
* ``ciopr``: length x seizure x repeat: every CIOPR term (``seizurepred.evaluation.ciopr``);
* ``events``: length x repeat: alarms on the folds' continuous outputs, pooled (SOP/SPH, FPR/h, time in
  warning, p-values against chance; :mod:`seizurepred.sweep.events`).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seizurepred.cache.patient import PatientData
from seizurepred.evaluation.ciopr import CioprOptions, choose_opp, ciopr_compare, ciopr_terms
from seizurepred.evaluation.metrics import UndefinedMetricWarning, pool_folds
from seizurepred.evaluation.tables import as_row, ciopr_row
from seizurepred.sweep.config import SweepConfig
from seizurepred.sweep.events import event_rows, event_rows_by_seizure
from seizurepred.sweep.fold import FoldOutcome

_METRICS = ("sensitivity", "specificity", "accuracy", "f1", "auc", "segment_far_per_h")


@dataclass(frozen=True)
class SweepResult:
    """The outcome of one patient's sweep.

    Attributes
    ----------
    case : str
        Patient.
    config : SweepConfig
        The sweep's config.
    segments, pooled, ciopr, events : list of dict
        Tidy tables (see the module docstring).
    events_by_seizure : list of dict
        The alarms of each fold's timeline alone (one row per length x held-out seizure x repeat).
    opp_min : int or None
        Optimal preictal period in minutes.
    opp_criterion : str
        ``"CIOPR"``, ``"F1"`` or ``"none"``.
    opp_variants : list of dict
        The OPP under each combination of CIOPR's two ambiguous choices (``output`` rounded/probability x
        ``spc_mode`` first_crossing/sustained); ``used`` marks the configured one. A robustness check: an OPP
        that changes with them rests on a reading of the paper, not on the data.
    skipped : list of dict
        Lengths or folds that could not run, with reasons.
    """

    case: str
    config: SweepConfig
    segments: list[dict[str, Any]]
    pooled: list[dict[str, Any]]
    ciopr: list[dict[str, Any]]
    events: list[dict[str, Any]]
    opp_min: int | None
    opp_criterion: str
    opp_variants: list[dict[str, Any]] = field(default_factory=list)
    events_by_seizure: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    folds: tuple[FoldOutcome, ...] = field(default=(), repr=False)

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary: OPP, criterion, the pooled table and what was skipped."""
        return {
            "case": self.case,
            "protocol": self.config.protocol,
            "opp_min": self.opp_min,
            "opp_criterion": self.opp_criterion,
            "opp_variants": self.opp_variants,
            "pooled": self.pooled,
            "skipped": self.skipped,
            "config_hash": self.config.hash(),
        }


def _segment_row(case: str, f: FoldOutcome) -> dict[str, Any]:
    row = {
        "case": case,
        "preictal_min": f.preictal_min,
        "seizure_id": f.seizure_id,
        "repeat": f.repeat,
        "protocol": f.protocol,
        "n_train": f.sizes.get("train_used", f.sizes.get("train")),
        "n_val": f.sizes.get("val"),
        "n_test": f.sizes.get("test"),
        "best_epoch": f.best_epoch,
        "n_epochs": f.n_epochs,
        "train_s": round(f.train_s, 2),
        "device": f.device,
    }
    row.update({m: f.metrics.get(m, math.nan) for m in _METRICS})
    return row


def _ciopr_rows(case: str, folds: list[FoldOutcome], options: CioprOptions) -> list[dict[str, Any]]:
    by_seizure: dict[tuple[int, int], dict[int, Any]] = defaultdict(dict)
    hours: dict[tuple[int, int], float] = {}
    for f in folds:
        if f.continuous is not None:
            by_seizure[(f.seizure_id, f.repeat)][f.preictal_min] = ciopr_terms(f.continuous, options=options)
            hours[(f.seizure_id, f.repeat)] = f.continuous.record_hours
    rows = []
    for (sid, repeat), terms in sorted(by_seizure.items()):
        for _, res in sorted(ciopr_compare(terms, options=options).items()):
            row = as_row(ciopr_row(res, case=case, repeat=repeat, record_hours=hours[(sid, repeat)]))
            row["reason"] = res.terms.reason
            rows.append(row)
    return rows


def _nanmean(values: list[float]) -> float:
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[np.isfinite(arr)]
    return float(arr.mean()) if arr.size else math.nan


def _pooled_rows(case: str, folds: list[FoldOutcome], ciopr: list[dict], config: SweepConfig) -> list[dict]:
    rows = []
    for k in config.preictal_mins:
        mine = [f for f in folds if f.preictal_min == k]
        if not mine:
            continue
        pooled = pool_folds([(f.y_true, f.y_score) for f in mine], window_s=config.window.window_s)
        crows = [r for r in ciopr if r["preictal_min"] == k]
        row = {"case": case, "preictal_min": k, "n_folds": len(mine)}
        row.update({m: pooled[m] for m in _METRICS})
        row.update(
            {
                "spc_min_mean": _nanmean([r["spc_min"] for r in crows]),
                "ciopr_mean": _nanmean([r["ciopr"] for r in crows]),
                "n_ciopr_seizures": sum(1 for r in crows if math.isfinite(r["ciopr"])),
            }
        )
        rows.append(row)
    return rows


#: The two ambiguous CIOPR choices of METHOD.md section 4 (the first pair is the paper's reading).
_CIOPR_VARIANTS = (
    ("rounded", "first_crossing"),
    ("rounded", "sustained"),
    ("probability", "first_crossing"),
    ("probability", "sustained"),
)


def _opp(ciopr: list[dict[str, Any]], pooled: list[dict[str, Any]]) -> tuple[int | None, str]:
    """OPP from CIOPR rows (mean over seizures and repeats), else from the pooled F1."""
    if not pooled:
        return None, "none"
    by_k = {
        r["preictal_min"]: [c["ciopr"] for c in ciopr if c["preictal_min"] == r["preictal_min"]]
        for r in pooled
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        return choose_opp(by_k, {r["preictal_min"]: r["f1"] for r in pooled})


def aggregate(
    patient: PatientData, folds: list[FoldOutcome], *, config: SweepConfig, skipped: list[dict]
) -> SweepResult:
    """Build the tables, CIOPR and OPP from the folds of one patient.

    Parameters
    ----------
    patient : PatientData
        The patient (for the event-level evaluation's timeline).
    folds : list of FoldOutcome
        Every finished fold.
    config : SweepConfig
        The sweep's config.
    skipped : list of dict
        Lengths that produced no fold.

    Returns
    -------
    SweepResult
    """
    case = patient.manifest.case
    ciopr = _ciopr_rows(case, folds, config.ciopr)
    pooled = _pooled_rows(case, folds, ciopr, config)
    opp, criterion = _opp(ciopr, pooled)
    variants = []
    for output, spc_mode in _CIOPR_VARIANTS:
        options = dataclasses.replace(config.ciopr, output=output, spc_mode=spc_mode)
        rows = ciopr if options == config.ciopr else _ciopr_rows(case, folds, options)
        k, crit = _opp(rows, pooled)
        variants.append(
            {
                "output": output,
                "spc_mode": spc_mode,
                "opp_min": k,
                "criterion": crit,
                "used": options == config.ciopr,
            }
        )
    return SweepResult(
        case=case,
        config=config,
        segments=[_segment_row(case, f) for f in folds],
        pooled=pooled,
        ciopr=ciopr,
        events=event_rows(patient, folds, config=config),
        events_by_seizure=event_rows_by_seizure(patient, folds, config=config),
        opp_min=opp,
        opp_criterion=criterion,
        opp_variants=variants,
        skipped=skipped,
        folds=tuple(folds),
    )
