"""The paper's CIOPR over a sweep's folds: one row per length x seizure x repeat, the paper-CIOPR OPP, and the
robustness table over CIOPR's open readings (pure).

CIOPR needs more than 2.5 h of uninterrupted EEG ending at onset: each fold's input is the last stretch of its
record (:meth:`~seizurepred.evaluation.continuous.ContinuousOutput.tail`); seizures without one have no row.
"""

from __future__ import annotations

import dataclasses
import itertools
import warnings
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from seizurepred.evaluation.ciopr import CioprOptions, choose_opp, ciopr_compare, ciopr_terms
from seizurepred.evaluation.metrics import UndefinedMetricWarning
from seizurepred.evaluation.tables import as_row, ciopr_row
from seizurepred.sweep.fold_result import FoldResult

#: CIOPR's three open readings (docs/method.md section 4; the tags in experiments/paper.toml): the robustness table
#: crosses them. Defaults [R]: rounded outputs (paper), sustained convergence, our reconstruction of the two
#: unpublished terms.
CIOPR_READINGS = {
    "output": ("rounded", "probability"),
    "spc_mode": ("sustained", "first_crossing"),
    "reconstruction": ("koutsouvelis_r1", "none"),
}

#: Hours of uninterrupted EEG before onset that CIOPR needs (docs/method.md section 4).
CIOPR_MIN_HOURS = 2.5


def ciopr_rows(case: str, folds: Sequence[FoldResult], options: CioprOptions) -> list[dict[str, Any]]:
    """Every CIOPR term per length x seizure x repeat (folds whose record has no eligible tail have none)."""
    by_seizure: dict[tuple[int, int], dict[int, Any]] = defaultdict(dict)
    hours: dict[tuple[int, int], float] = {}
    for f in folds:
        tail = f.continuous.tail(min_hours=CIOPR_MIN_HOURS) if f.continuous is not None else None
        if tail is not None:
            by_seizure[(f.seizure_id, f.repeat)][f.preictal_min] = ciopr_terms(tail, options=options)
            hours[(f.seizure_id, f.repeat)] = tail.record_hours
    rows = []
    for (sid, repeat), terms in sorted(by_seizure.items()):
        for _, res in sorted(ciopr_compare(terms, options=options).items()):
            row = as_row(ciopr_row(res, case=case, repeat=repeat, record_hours=hours[(sid, repeat)]))
            row["reason"] = res.terms.reason
            rows.append(row)
    return rows


def paper_opp(ciopr: Sequence[dict[str, Any]], pooled: Sequence[dict[str, Any]]) -> tuple[int | None, str]:
    """The paper's OPP: highest mean CIOPR over seizures and repeats, else the highest pooled F1."""
    if not pooled:
        return None, "none"
    by_k = {
        r["preictal_min"]: [c["ciopr"] for c in ciopr if c["preictal_min"] == r["preictal_min"]] for r in pooled
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        return choose_opp(by_k, {r["preictal_min"]: r["f1"] for r in pooled})


def reading_variants(
    case: str, folds: Sequence[FoldResult], options: CioprOptions, pooled: Sequence[dict[str, Any]],
    used_rows: Sequence[dict[str, Any]],
) -> list[dict[str, Any]]:  # fmt: skip
    """The paper-CIOPR OPP under every combination of the open readings; ``used`` marks the configured one."""
    out = []
    for values in itertools.product(*CIOPR_READINGS.values()):
        reading = dict(zip(CIOPR_READINGS, values))
        variant = dataclasses.replace(options, **reading)
        rows = used_rows if variant == options else ciopr_rows(case, folds, variant)
        k, crit = paper_opp(rows, pooled)
        out.append({**reading, "opp_min": k, "criterion": crit, "used": variant == options})
    return out
