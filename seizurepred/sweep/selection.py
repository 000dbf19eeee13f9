"""The OPP selector over a sweep's folds: outputs averaged over repeats, the band test per length (pure).

See :mod:`seizurepred.evaluation.opp` for the test and the decision.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from seizurepred.errors import ConfigError
from seizurepred.evaluation.continuous import ContinuousOutput
from seizurepred.evaluation.opp import LengthEvidence, adjust, band_evidence, bands, postictal_spans
from seizurepred.evaluation.reference import ReferenceOutput
from seizurepred.io.manifest import Manifest
from seizurepred.sweep.config import SweepConfig
from seizurepred.sweep.fold_result import FoldResult


def _mean_over_repeats(items: list[FoldResult]) -> tuple[ContinuousOutput | None, ReferenceOutput | None]:
    conts = [f.continuous for f in items if f.continuous is not None]
    refs = [f.reference for f in items if f.reference is not None]
    cont = ref = None
    if conts:
        first = conts[0]
        if any(c.probs.shape != first.probs.shape for c in conts):
            raise ConfigError(f"Invalid value for 'folds': repeats of seizure {first.seizure_id} scored other windows.")
        cont = ContinuousOutput(first.seizure_id, first.times_min_before_onset,
                                np.mean([c.probs for c in conts], axis=0), first.record_hours, first.window_s,
                                first.stretch, first.stretch_hours)  # fmt: skip
    if refs and all(r.probs.shape == refs[0].probs.shape for r in refs):
        r0 = refs[0]
        ref = ReferenceOutput(r0.clock_s, np.mean([r.probs for r in refs], axis=0), r0.piece, r0.window_s)
    return cont, ref


def excluded_spans(manifest: Manifest | None, postictal_min: float) -> dict[int, list[tuple[float, float]]]:
    """Seizure -> stretches in minutes before its onset within an earlier seizure or its postictal exclusion."""
    if manifest is None:
        return {}
    times = [(ev.onset_clock_s, ev.offset_clock_s) for ev in manifest.seizures if ev.onset_clock_s is not None]
    return {
        ev.seizure_id: postictal_spans(ev.onset_clock_s, times, postictal_min=postictal_min)
        for ev in manifest.seizures
        if ev.onset_clock_s is not None
    }


def opp_evidence(
    folds: Sequence[FoldResult], config: SweepConfig, manifest: Manifest | None = None
) -> list[LengthEvidence]:
    """The selector's evidence for every swept length, longest first (with ``manifest``: no band or stretch
    before it within ``label.postictal_exclusion_min`` after an earlier seizure)."""
    excluded = excluded_spans(manifest, config.label.postictal_exclusion_min)
    grouped: dict[tuple[int, int], list[FoldResult]] = defaultdict(list)
    for f in folds:
        grouped[(f.preictal_min, f.seizure_id)].append(f)
    band_of = bands(config.preictal_mins, sph_min=config.label.sph_min)
    out = []
    for k in sorted(config.preictal_mins, reverse=True):
        records, references = {}, {}
        for (kk, sid), items in sorted(grouped.items()):
            if kk != k:
                continue
            cont, ref = _mean_over_repeats(items)
            if cont is not None and ref is not None:
                records[sid], references[sid] = cont, ref
        out.append(
            band_evidence(k, band_of[k], records, references, options=config.selector, seed=config.seed,
                          excluded=excluded)  # fmt: skip
        )
    return adjust(out, config.selector)
