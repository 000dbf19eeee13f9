"""Interictal EEG held out from training and testing (pure): the labels of a patient less some clock spans.

The OPP selector's reference EEG may be topped up with interictal blocks that no fold trains or tests on
(:func:`seizurepred.evaluation.reference.holdout_blocks`); :func:`without_spans` removes them (with their margins)
from a :class:`~seizurepred.labels.segments.Segments`' interictal intervals, so that every consumer of the labels
(the window index, the splits, the planner's checks) sees the same, smaller interictal pool.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from seizurepred.labels.segments import Interval, Segments

__all__ = ["without_spans"]


def _cut(iv: Interval, spans: Sequence[tuple[float, float]]) -> list[Interval]:
    parts = [(iv.start_clock_s, iv.stop_clock_s)]
    for lo, hi in spans:
        parts = [q for a, b in parts for q in ((a, min(b, lo)), (max(a, hi), b)) if q[1] > q[0]]
    offset = iv.start_s - iv.start_clock_s
    return [dataclasses.replace(iv, start_s=a + offset, stop_s=b + offset, start_clock_s=a) for a, b in parts]


def without_spans(segments: Segments, spans: Sequence[tuple[float, float]]) -> Segments:
    """``segments`` whose interictal intervals no longer cover ``spans`` (clock seconds); preictal unchanged.

    Parameters
    ----------
    segments : Segments
        The labels of one patient.
    spans : sequence of (start_clock_s, stop_clock_s)
        Clock spans to remove from the interictal data.

    Returns
    -------
    Segments
        A new object (the argument is not changed); ``segments`` itself when ``spans`` is empty. Eligibility is
        recomputed only in the sense that a patient left without interictal data is not eligible.
    """
    if not spans:
        return segments
    kept = tuple(part for iv in segments.interictal for part in _cut(iv, spans))
    hours = sum(iv.duration_s for iv in kept) / 3600.0
    held = segments.interictal_hours - hours
    note = f"{held:.2f} interictal h held out as the OPP selector's reference EEG ({len(spans)} block(s))"
    if segments.eligible and not kept:
        return dataclasses.replace(segments, interictal=kept, eligible=False, notes=segments.notes + (note,),
                                   reason="not eligible: no interictal data left after the reference hold-out")  # fmt: skip
    return dataclasses.replace(segments, interictal=kept, notes=segments.notes + (note,))
