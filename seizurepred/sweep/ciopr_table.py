"""The paper's CIOPR over a sweep's folds: one row per length x seizure x repeat, the paper-CIOPR OPP, and the
robustness table over CIOPR's open readings (pure).

CIOPR needs more than 2.5 h of uninterrupted EEG ending at onset: each fold's input is the last stretch of its
record (:meth:`~seizurepred.evaluation.continuous.ContinuousOutput.tail`) without the EEG within the labels'
postictal exclusion after a previous seizure [R]; seizures without such an input have no row.

The paper-CIOPR OPP compares the lengths on the same seizures: the *common set*, the (seizure, repeat) pairs with
a finite CIOPR under every compared length (a length is compared when it has a finite CIOPR on some seizure).
Each length's mean CIOPR (:func:`paper_opp`; ``ciopr_mean`` in the pooled table, beside ``n_ciopr_seizures``
and ``ciopr_common_set``) is over that set.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import warnings
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from seizurepred.evaluation.ciopr import (
    CioprOptions,
    CioprTerms,
    choose_opp,
    ciopr_compare,
    ciopr_terms,
    with_spc_reading,
)
from seizurepred.evaluation.continuous import ContinuousOutput
from seizurepred.evaluation.metrics import UndefinedMetricWarning
from seizurepred.evaluation.tables import as_row, ciopr_row
from seizurepred.io.manifest import Manifest
from seizurepred.sweep.fold_result import FoldResult

#: CIOPR's four open readings (docs/method.md section 4; the tags in experiments/paper.toml): the robustness table
#: crosses them. Defaults [R]: rounded outputs (paper), sustained convergence, SPC at the centre of the converged
#: 24-min run, our reconstruction of the two unpublished terms.
CIOPR_READINGS = {
    "output": ("rounded", "probability"),
    "spc_mode": ("sustained", "first_crossing"),
    "spc_anchor": ("run_centre", "run_start"),
    "reconstruction": ("koutsouvelis_r1", "none"),
}

#: Hours of uninterrupted EEG before onset that CIOPR needs (docs/method.md section 4).
CIOPR_MIN_HOURS = 2.5

_Key = tuple[int, int]  # (seizure_id, repeat)


def postictal_cut_min(manifest: Manifest, seizure_id: int, exclusion_min: float) -> float:
    """Minutes before a seizure's onset where its CIOPR input may begin: ``exclusion_min`` after the end of the
    latest earlier seizure (``inf`` when none is placed on the clock, or the seizure's own times are unknown)."""
    event = next((e for e in manifest.seizures if e.seizure_id == seizure_id), None)
    if event is None or event.onset_clock_s is None:
        return math.inf
    ends = [
        e.offset_clock_s
        for e in manifest.seizures
        if e.offset_clock_s is not None
        and e.onset_clock_s is not None
        and e.onset_clock_s < event.onset_clock_s
    ]
    return (event.onset_clock_s - max(ends)) / 60.0 - exclusion_min if ends else math.inf


def ciopr_input(fold: FoldResult, manifest: Manifest | None = None) -> ContinuousOutput | None:
    """CIOPR's input of one fold: the uninterrupted stretch ending at onset, without the postictal exclusion.

    [R] Windows starting within ``max(label.postictal_exclusion_min, label.interictal_after_end_min)`` (60 min in
    the paper) after a previous seizure's end are dropped: the labels use that EEG as neither class, and the ND
    term reads the output before the transition as the interictal baseline. The rest must still exceed
    :data:`CIOPR_MIN_HOURS`. ``manifest=None``: no previous seizure is known and nothing is dropped.

    Returns
    -------
    ContinuousOutput or None
        None when the fold has no output or no eligible input.
    """
    tail = fold.continuous.tail(min_hours=CIOPR_MIN_HOURS) if fold.continuous is not None else None
    if tail is None or manifest is None:
        return tail
    label = fold.fold.label
    exclusion = max(label.postictal_exclusion_min, label.interictal_after_end_min)
    cut = postictal_cut_min(manifest, fold.seizure_id, exclusion)
    if not math.isfinite(cut):
        return tail
    hours = min(tail.record_hours, cut / 60.0)
    if hours <= CIOPR_MIN_HOURS:
        return None
    keep = tail.times_min_before_onset <= cut + 1e-9
    if keep.all():
        return tail
    return ContinuousOutput(
        tail.seizure_id, tail.times_min_before_onset[keep], tail.probs[keep], float(hours), tail.window_s
    )


def _terms(
    folds: Sequence[FoldResult], options: CioprOptions, manifest: Manifest | None
) -> tuple[dict[_Key, dict[int, CioprTerms]], dict[_Key, float]]:
    by_seizure: dict[_Key, dict[int, CioprTerms]] = defaultdict(dict)
    hours: dict[_Key, float] = {}
    for f in folds:
        tail = ciopr_input(f, manifest)
        if tail is not None:
            by_seizure[(f.seizure_id, f.repeat)][f.preictal_min] = ciopr_terms(tail, options=options)
            hours[(f.seizure_id, f.repeat)] = tail.record_hours
    return by_seizure, hours


def _rows(
    case: str, by_seizure: dict[_Key, dict[int, CioprTerms]], hours: dict[_Key, float], options: CioprOptions
) -> list[dict[str, Any]]:
    rows = []
    for (sid, repeat), terms in sorted(by_seizure.items()):
        for _, res in sorted(ciopr_compare(terms, options=options).items()):
            row = as_row(ciopr_row(res, case=case, repeat=repeat, record_hours=hours[(sid, repeat)]))
            row["reason"] = res.terms.reason
            rows.append(row)
    return rows


def ciopr_rows(
    case: str, folds: Sequence[FoldResult], options: CioprOptions, *, manifest: Manifest | None = None
) -> list[dict[str, Any]]:
    """Every CIOPR term per length x seizure x repeat (folds without an eligible input have none).

    ``manifest`` places the previous seizures, whose postictal exclusion :func:`ciopr_input` drops.
    """
    return _rows(case, *_terms(folds, options, manifest), options)


def common_ciopr_set(ciopr: Sequence[dict[str, Any]]) -> tuple[tuple[int, ...], tuple[_Key, ...]]:
    """The compared lengths (a finite CIOPR on some seizure) and the (seizure_id, repeat) pairs with a finite
    CIOPR under every one of them, both sorted; the paper-CIOPR OPP averages over these pairs only."""
    finite: dict[int, set[_Key]] = defaultdict(set)
    for r in ciopr:
        if math.isfinite(r["ciopr"]):
            finite[r["preictal_min"]].add((r["seizure_id"], r["repeat"]))
    common = set.intersection(*finite.values()) if finite else set()
    return tuple(sorted(finite)), tuple(sorted(common))


def common_set_label(keys: Sequence[_Key]) -> str:
    """The common set as text, e.g. ``"sz000_r0;sz002_r1"`` (empty when none)."""
    return ";".join(f"sz{int(s):03d}_r{int(r)}" for s, r in keys)


def ciopr_means(ciopr: Sequence[dict[str, Any]]) -> dict[int, float]:
    """Mean CIOPR of each compared length over the common set (:func:`common_ciopr_set`); NaN for the others."""
    lengths, common = common_ciopr_set(ciopr)
    keep = set(common)
    values: dict[int, list[float]] = {r["preictal_min"]: [] for r in ciopr}
    for r in ciopr:
        if (r["seizure_id"], r["repeat"]) in keep and r["preictal_min"] in lengths:
            values[r["preictal_min"]].append(r["ciopr"])
    return {k: float(np.mean(v)) if v else math.nan for k, v in values.items()}


def paper_opp(ciopr: Sequence[dict[str, Any]], pooled: Sequence[dict[str, Any]]) -> tuple[int | None, str]:
    """The paper's OPP: the highest mean CIOPR over the common set (the same seizures and repeats for every
    compared length), else (an empty common set) the highest pooled F1."""
    if not pooled:
        return None, "none"
    _, common = common_ciopr_set(ciopr)
    keep = set(common)
    by_k = {
        r["preictal_min"]: [
            c["ciopr"]
            for c in ciopr
            if c["preictal_min"] == r["preictal_min"] and (c["seizure_id"], c["repeat"]) in keep
        ]
        for r in pooled
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        return choose_opp(by_k, {r["preictal_min"]: r["f1"] for r in pooled})


def reading_variants(
    case: str, folds: Sequence[FoldResult], options: CioprOptions, pooled: Sequence[dict[str, Any]],
    used_rows: Sequence[dict[str, Any]], *, manifest: Manifest | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """The paper-CIOPR OPP under every combination of the open readings; ``used`` marks the configured one.

    Each output reading is fitted once; the SPC readings reread SPC from its blocks (the fit does not depend on
    them). Warnings of the other readings are not repeated (the configured one's were given).
    """
    fitted: dict[str, tuple[dict[_Key, dict[int, CioprTerms]], dict[_Key, float]]] = {}
    out = []
    for values in itertools.product(*CIOPR_READINGS.values()):
        reading = dict(zip(CIOPR_READINGS, values))
        variant = dataclasses.replace(options, **reading)
        if variant == options:
            rows = list(used_rows)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UndefinedMetricWarning)
                if variant.output not in fitted:
                    fitted[variant.output] = _terms(
                        folds, dataclasses.replace(options, output=variant.output), manifest
                    )
                base, hours = fitted[variant.output]
                terms = {
                    key: {k: with_spc_reading(t, variant) for k, t in d.items()} for key, d in base.items()
                }
                rows = _rows(case, terms, hours, variant)
        k, crit = paper_opp(rows, pooled)
        out.append({**reading, "opp_min": k, "criterion": crit, "used": variant == options})
    return out
