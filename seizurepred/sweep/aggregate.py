"""Aggregate a sweep's fold results into tidy tables, CIOPR per seizure, forecasts, and the patient's OPP (pure).

:func:`aggregate` is a function of the :class:`~seizurepred.sweep.fold_result.FoldResult` s alone (plus the
manifest, for the seizures' clock times): the executor that produced them and their order of arrival do not
matter. Failed folds are listed, and left out of every pooled figure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from seizurepred.evaluation.metrics import pool_folds
from seizurepred.evaluation.opp import explain, opp_interval, select_opp, verdict
from seizurepred.io.manifest import Manifest
from seizurepred.sweep.ciopr_table import ciopr_rows, paper_opp, reading_variants
from seizurepred.sweep.config import SweepConfig
from seizurepred.sweep.events import event_rows, event_rows_by_seizure
from seizurepred.sweep.fold_result import FoldResult
from seizurepred.sweep.forecast_table import forecast_rows
from seizurepred.sweep.result import SweepResult
from seizurepred.sweep.selection import opp_evidence

_METRICS = ("sensitivity", "specificity", "accuracy", "f1", "auc", "segment_far_per_h")


def _segment_row(case: str, f: FoldResult) -> dict[str, Any]:
    """One fold's row of ``segments``: sizes, training outcome, test metrics (NaN for a failed fold)."""
    row = {
        "case": case,
        "preictal_min": f.preictal_min,
        "seizure_id": f.seizure_id,
        "repeat": f.repeat,
        "protocol": f.protocol,
        "n_train": f.sizes.get("train_used", f.sizes.get("train")),
        "n_val": f.sizes.get("val"),
        "n_test": f.sizes.get("test"),
        "best_epoch": f.best_epoch if f.ok else None,
        "n_epochs": f.n_epochs if f.ok else None,
        "device": f.device,
    }
    row.update({m: f.metrics.get(m, math.nan) for m in _METRICS})
    row["status"] = f.status
    return row


def timing_rows(results: Sequence[FoldResult]) -> list[dict[str, Any]]:
    """Wall-clock seconds per fold (``timings.csv``), kept out of the byte-reproducible tables."""
    return [
        {
            "case": r.fold.case,
            "preictal_min": r.preictal_min,
            "seizure_id": r.seizure_id,
            "repeat": r.repeat,
            "train_s": round(r.train_s, 2) if math.isfinite(r.train_s) else math.nan,
            "device": r.device,
            "status": r.status,
        }
        for r in results
    ]


def _nanmean(values: list[float]) -> float:
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[np.isfinite(arr)]
    return float(arr.mean()) if arr.size else math.nan


def _pooled_rows(case: str, folds: list[FoldResult], ciopr: list[dict], config: SweepConfig) -> list[dict]:
    """One row per length: segment metrics pooled over folds; ``spc_min_mean`` over the length's CIOPR rows;
    ``ciopr_mean`` over the common set (the seizures and repeats with a finite CIOPR under every compared length,
    :func:`~seizurepred.sweep.ciopr_table.common_ciopr_set`), so lengths are compared on the same seizures:
    ``n_ciopr_seizures`` counts that set (0 for a length not compared) and ``ciopr_common_set`` names it."""
    from seizurepred.sweep.ciopr_table import ciopr_means, common_ciopr_set, common_set_label

    lengths, common = common_ciopr_set(ciopr)
    means = ciopr_means(ciopr)
    rows = []
    for k in config.preictal_mins:
        mine = [f for f in folds if f.preictal_min == k]
        if not mine:
            continue
        pooled = pool_folds([(f.y_true, f.y_score) for f in mine], window_s=config.window.window_s)
        crows = [r for r in ciopr if r["preictal_min"] == k]
        row = {"case": case, "preictal_min": k, "n_folds": len(mine)}
        row.update({m: pooled[m] for m in _METRICS})
        compared = k in lengths
        row.update(
            {
                "spc_min_mean": _nanmean([r["spc_min"] for r in crows]),
                "ciopr_mean": means.get(k, math.nan),
                "n_ciopr_seizures": len(common) if compared else 0,
                "ciopr_common_set": common_set_label(common) if compared else "",
            }
        )
        rows.append(row)
    return rows


def aggregate(
    manifest: Manifest,
    results: Sequence[FoldResult],
    *,
    config: SweepConfig,
    skipped: Sequence[dict[str, Any]] = (),
) -> SweepResult:
    """Build the tables, CIOPR and OPP from the fold results of one patient.

    Parameters
    ----------
    manifest : Manifest
        The patient (the seizures' clock times, for the event-level evaluation).
    results : sequence of FoldResult
        The folds of the plan, in plan order (failed ones included: they are listed, not pooled).
    config : SweepConfig
        The sweep's config.
    skipped : sequence of dict
        Lengths that produced no fold.

    Returns
    -------
    SweepResult
    """
    case = manifest.case
    folds = [r for r in results if r.ok]
    failed = [
        {"preictal_min": r.preictal_min, "seizure_id": r.seizure_id, "repeat": r.repeat, "error": r.error}
        for r in results
        if not r.ok
    ]
    ciopr = ciopr_rows(case, folds, config.ciopr, manifest=manifest)
    pooled = _pooled_rows(case, folds, ciopr, config)
    paper_k, paper_criterion = paper_opp(ciopr, pooled)
    evidence = opp_evidence(folds, config, manifest)
    opp, criterion = select_opp(evidence)
    opp_verdict, verdict_reason = verdict(evidence)
    interval = opp_interval(evidence, opp, rule_out=config.selector.rule_out)
    return SweepResult(
        case=case,
        config=config,
        segments=[_segment_row(case, r) for r in results],
        pooled=pooled,
        ciopr=ciopr,
        events=event_rows(manifest, folds, config=config),
        events_by_seizure=event_rows_by_seizure(manifest, folds, config=config),
        forecast=forecast_rows(case, folds, config=config, manifest=manifest),
        opp_min=opp,
        opp_criterion=criterion,
        paper_opp_min=paper_k,
        paper_opp_criterion=paper_criterion,
        opp_evidence=[{"case": case, **e.as_row()} for e in evidence],
        opp_verdict=opp_verdict,
        opp_verdict_reason=verdict_reason,
        opp_interval_min=None if interval is None else list(interval),
        opp_explanation=explain(evidence, opp, paper_k),
        opp_variants=reading_variants(case, folds, config.ciopr, pooled, ciopr, manifest=manifest),
        skipped=[{k: v for k, v in s.items() if k != "case"} for s in skipped],
        folds=tuple(folds),
        failed=failed,
    )
