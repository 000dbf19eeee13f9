"""Human- and machine-readable reports of a labelling result (:class:`~seizurepred.labels.segments.Segments`)."""

from __future__ import annotations

from typing import Any

from seizurepred.config import config_to_dict
from seizurepred.io.manifest import Manifest
from seizurepred.labels.segments import Segments


def _hms(clock_s: float | None) -> str:
    """Patient-clock seconds as ``[Dd+]HH:MM:SS`` (``"unknown"`` for ``None``)."""
    if clock_s is None:
        return "unknown"
    total = round(clock_s)
    days, rest = divmod(total, 86400)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return f"d{days}+{text}" if days else text


def unguarded_interictal_hours(segments: Segments, manifest: Manifest) -> float:
    """Interictal hours within ``interictal_before_onset_min`` before the end of the record or a longer gap.

    Only recorded seizures are known: such data may precede a seizure that happened after the record ended or
    while nothing was recorded. The paper (like :func:`~seizurepred.labels.segments.label_segments`) counts it as
    interictal; this says how much of it there is.

    Parameters
    ----------
    segments : Segments
        The labelling result.
    manifest : Manifest
        The manifest it was computed from.
    """
    horizon_s = segments.config.interictal_before_onset_min * 60.0
    spans = sorted((r.start_clock_s, r.end_clock_s) for r in manifest.recordings if r.has_times)
    ends, cursor = [], float("-inf")  # ends of recorded stretches followed by a gap > horizon (or by nothing)
    for i, (_, end) in enumerate(spans):
        cursor = max(cursor, end)
        nxt = spans[i + 1][0] if i + 1 < len(spans) else float("inf")
        if nxt - cursor > horizon_s:
            ends.append(cursor)
    total_s = 0.0
    for iv in segments.interictal:
        for end in ends:
            total_s += max(0.0, min(iv.stop_clock_s, end) - max(iv.start_clock_s, end - horizon_s))
    return total_s / 3600.0


def segments_to_dict(segments: Segments, manifest: Manifest) -> dict[str, Any]:
    """Return a JSON-ready summary of ``segments`` (per seizure, totals, eligibility, notes).

    Parameters
    ----------
    segments : Segments
        The labelling result.
    manifest : Manifest
        The manifest it was computed from (for file names).
    """
    events = {e.seizure_id: e for e in manifest.seizures}
    seizures = []
    for s in segments.seizures:
        ev = events[s.seizure_id]
        seizures.append(
            {
                "seizure_id": s.seizure_id,
                "file_name": ev.file_name,
                "onset_s": ev.onset_s,
                "onset_clock_s": s.onset_clock_s,
                "preictal_requested_min": round(s.preictal_requested_s / 60.0, 4),
                "preictal_available_min": round(s.preictal_available_s / 60.0, 4),
                "coverage": round(s.coverage, 4),
                "usable": s.usable,
                "reason": s.reason,
            }
        )
    return {
        "case": segments.case,
        "config": config_to_dict(segments.config),
        "eligible": segments.eligible,
        "reason": segments.reason,
        "n_seizures": len(segments.seizures),
        "n_usable_seizures": len(segments.usable_seizure_ids),
        "preictal_hours": round(segments.preictal_hours, 4),
        "interictal_hours": round(segments.interictal_hours, 4),
        "interictal_hours_unguarded": round(unguarded_interictal_hours(segments, manifest), 4),
        "n_preictal_intervals": len(segments.preictal),
        "n_interictal_intervals": len(segments.interictal),
        "seizures": seizures,
        "notes": list(segments.notes),
    }


def format_segments(segments: Segments, manifest: Manifest) -> str:
    """Return a plain-text report: one line per seizure, then totals, eligibility and notes.

    Parameters
    ----------
    segments : Segments
        The labelling result.
    manifest : Manifest
        The manifest it was computed from (for file names).
    """
    cfg = segments.config
    data = segments_to_dict(segments, manifest)
    lines = [
        f"{segments.case}: preictal {cfg.preictal_min:g} min, SPH {cfg.sph_min:g} min, interictal >= "
        f"{cfg.interictal_before_onset_min:g} min before onsets and >= {cfg.interictal_after_end_min:g} min after "
        f"ends, postictal exclusion {cfg.postictal_exclusion_min:g} min",
        "",
        f"{'id':>3}  {'file':<16} {'onset (clock)':>13}  {'preictal min':>12}  {'coverage':>8}  status",
    ]
    for s in data["seizures"]:
        status = "usable" if s["usable"] else f"dropped: {s['reason']}"
        lines.append(
            f"{s['seizure_id']:>3}  {s['file_name']:<16} {_hms(s['onset_clock_s']):>13}  "
            f"{s['preictal_available_min']:>12.1f}  {s['coverage']:>8.0%}  {status}"
        )
    lines += [
        "",
        f"usable seizures: {data['n_usable_seizures']} of {data['n_seizures']} (min_seizures = {cfg.min_seizures})",
        f"preictal: {data['preictal_hours']:.2f} h in {data['n_preictal_intervals']} interval(s)",
        f"interictal: {data['interictal_hours']:.2f} h in {data['n_interictal_intervals']} interval(s), "
        f"{data['interictal_hours_unguarded']:.2f} h of it within {cfg.interictal_before_onset_min:g} min before "
        "the end of the record or a longer gap (an unrecorded seizure there cannot be ruled out)",
        segments.reason,
    ]
    if segments.notes:
        lines += ["", "notes:"] + [f"  - {n}" for n in segments.notes]
    return "\n".join(lines)
