"""Reconcile a parsed summary with the EDF headers of the files present (used by ``load_patient``).

A summary's clock times are written by hand or by a script, and can be wrong; an EDF header states what the file
holds (``n_records`` x record duration) and when it starts. :func:`use_header_durations` lets the header win when
the two disagree by more than :data:`DURATION_TOLERANCE_S`, with a :class:`~seizurepred.errors.ManifestWarning`
and a manifest note, and :func:`use_header_days` when the summary's file order put a file on the wrong day;
:func:`fill_from_headers` fills the times the summary lacks (chb24) from the headers. Only headers are read.
:func:`listed_files` names a case's files known from ``RECORDS`` or present in its folder.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from seizurepred.errors import ManifestError, ManifestWarning
from seizurepred.io.edf_header import EdfHeader, read_header
from seizurepred.io.manifest import Manifest

if TYPE_CHECKING:
    from seizurepred.io.summary import _FileBlock

logger = logging.getLogger(__name__)

#: A summary duration (end - start clock) further than this from the EDF header's duration is replaced by the
#: header's, with a warning. Clock times have 1 s resolution and a file's records are whole seconds in CHB-MIT, so
#: honest summaries agree within a second or two; 5 s leaves room for rounding without hiding a wrong time.
DURATION_TOLERANCE_S = 5.0
_DAY_S = 86400

_B = TypeVar("_B", bound="_FileBlock")


def listed_files(data_root: Path, case: str) -> list[str]:
    """File names of ``case`` from ``DATA_ROOT/RECORDS`` (when present), then ``*.edf`` files in the case folder."""
    names: list[str] = []
    records = data_root / "RECORDS"
    if records.is_file():
        prefix = f"{case}/"
        for raw in records.read_text(encoding="utf-8", errors="replace").splitlines():
            if raw.strip().startswith(prefix):
                names.append(raw.strip()[len(prefix) :])
    case_dir = data_root / case
    names += sorted(p.name for p in case_dir.glob("*.edf") if p.is_file())
    return list(dict.fromkeys(names))


def read_present_headers(case_dir: Path, names: Sequence[str]) -> dict[str, EdfHeader]:
    """Read the header of each named file that is present in ``case_dir`` (absent files are left out)."""
    return {n: read_header(case_dir / n) for n in names if (case_dir / n).is_file()}


def use_header_durations(
    blocks: Sequence[_B], headers: dict[str, EdfHeader], *, source: str
) -> tuple[list[_B], list[str]]:
    """Replace summary durations that disagree with the EDF header by more than :data:`DURATION_TOLERANCE_S`.

    Parameters
    ----------
    blocks : sequence of summary file blocks
        As parsed (``name``, ``line``, ``duration_s``).
    headers : dict
        EDF headers of the files present, by file name.
    source : str
        The summary's file name, for the messages.

    Returns
    -------
    blocks : list
        The blocks, those that disagree carrying the header's duration.
    notes : list of str
        One note per replaced duration (the text of the warning).

    Warns
    -----
    ManifestWarning
        Naming the summary and the block's line, the EDF file and both durations.
    """
    out, notes = [], []
    for b in blocks:
        header = headers.get(b.name)
        if header is not None and b.duration_s is not None:
            real = float(header.duration_s)
            if abs(real - b.duration_s) > DURATION_TOLERANCE_S:
                message = (
                    f"{source} line {b.line}: {b.name} lasts {b.duration_s:g} s per the summary but {real:g} s "
                    f"per its EDF header ({header.n_records} records of {header.record_duration_s:g} s); the "
                    "header's duration is used."
                )
                warnings.warn(message, ManifestWarning, stacklevel=3)
                notes.append(message)
                b = dataclasses.replace(b, duration_s=real)
        out.append(b)
    return out, notes


def use_header_days(
    manifest: Manifest, headers: dict[str, EdfHeader], *, source: str, lines: Mapping[str, int]
) -> tuple[Manifest, list[str]]:
    """Move recordings that the summary's file order put on the wrong day to the day their EDF headers give.

    The summary gives times of day only; :func:`~seizurepred.io.summary.parse_summary` places a file listed out of
    chronological order on the next day (the roll-over rule), shifting its seizures by 24 h. When the EDF headers
    of both that file and the first timed file (the anchor) are present and agree with the summary's time of day
    within :data:`DURATION_TOLERANCE_S` but not on the day, the header's day is used, with one
    :class:`~seizurepred.errors.ManifestWarning` (and manifest note) naming the summary line of the first such file
    and every file moved; the roll-over notes of the moved files are dropped.
    Headers whose time of day disagrees with the summary are left alone.

    Parameters
    ----------
    manifest : Manifest
        Placed by the summary (durations already reconciled with the headers).
    headers : dict
        EDF headers of the files present, by file name.
    source : str
        The summary's file name, for the messages.
    lines : mapping of str to int
        Summary line of each file's ``File Name`` block.

    Returns
    -------
    manifest : Manifest
        With the misplaced recordings moved.
    notes : list of str
        The text of the warning, when a recording was moved.
    """
    timed = [r for r in manifest.recordings if r.has_times and r.file_name in headers]
    if len(timed) < 2:
        return manifest, []
    anchor, ref = timed[0], headers[timed[0].file_name].start_datetime
    times, moved = {}, []
    for rec in timed[1:]:
        expected = anchor.start_clock_s + (headers[rec.file_name].start_datetime - ref).total_seconds()
        days = round((rec.start_clock_s - expected) / _DAY_S)
        if days == 0 or abs(rec.start_clock_s - expected - days * _DAY_S) > DURATION_TOLERANCE_S:
            continue
        times[rec.file_name] = (rec.start_clock_s - days * _DAY_S, rec.end_clock_s - days * _DAY_S)
        moved.append(f"{rec.file_name} ({-days:+d} d)")
    if not times:
        return manifest, []
    first = min(lines[name] for name in times)
    listed = ", ".join(moved[:5]) + (f" and {len(moved) - 5} more" if len(moved) > 5 else "")
    message = (
        f"{source} line {first}: the summary's file order puts {len(moved)} file(s) on another day than their EDF "
        f"headers (relative to {anchor.file_name}), moved to the headers' day: {listed}."
    )
    warnings.warn(message, ManifestWarning, stacklevel=3)
    kept = tuple(n for n in manifest.notes if not any(n.startswith(f"{name} starts at ") for name in times))
    return dataclasses.replace(manifest.with_times(times), notes=kept + (message,)), [message]


def _header_clock(
    headers: dict[str, EdfHeader], manifest: Manifest
) -> tuple[dict[str, tuple[float, float]], str]:
    """Patient-clock (start, end) of each header; anchored on a timed recording when the manifest has one."""
    anchor = next((r for r in manifest.recordings if r.has_times and r.file_name in headers), None)
    if anchor is not None:
        ref, base = headers[anchor.file_name].start_datetime, float(anchor.start_clock_s)
        how = f"anchored on {anchor.file_name}"
    elif any(r.has_times for r in manifest.recordings):
        raise ManifestError(
            f"{manifest.source}: cannot place EDF header times on the summary's clock: no recording with "
            "summary times has its EDF file present."
        )
    else:
        first = min(h.start_datetime for h in headers.values())
        ref, base = first.replace(hour=0, minute=0, second=0, microsecond=0), 0.0
        how = f"seconds since midnight of {ref.date().isoformat()}, the earliest file's (surrogate) date"
    times = {}
    for name, h in headers.items():
        start = base + (h.start_datetime - ref).total_seconds()
        times[name] = (start, start + float(h.duration_s))
    return times, how


def fill_from_headers(manifest: Manifest, headers: dict[str, EdfHeader], case_dir: Path) -> Manifest:
    """Fill unknown recording times (and channels) from the EDF headers of the files present.

    Parameters
    ----------
    manifest : Manifest
        Parsed from the summary (seizures already checked against the headers).
    headers : dict
        EDF headers of the files present in ``case_dir``, by file name.
    case_dir : Path
        The case folder, named in notes.
    """
    unknown = {r.file_name for r in manifest.recordings if not r.has_times}
    present = set(headers)
    if not unknown & present:
        missing = sorted(unknown)
        notes = manifest.notes + (
            (f"Times unknown (no EDF file in {case_dir}): {', '.join(missing)}.",) if missing else ()
        )
        return dataclasses.replace(manifest, notes=notes)
    anchor = next((r.file_name for r in manifest.recordings if r.has_times and r.file_name in present), None)
    used = {n: headers[n] for n in sorted((unknown & present) | {anchor} - {None})}
    times, how = _header_clock(used, manifest)
    times = {n: t for n, t in times.items() if n in unknown}
    notes = list(manifest.notes)
    if unknown - present:
        notes.append(f"Times unknown (no EDF file in {case_dir}): {', '.join(sorted(unknown - present))}.")
        logger.warning(
            "%s: times unknown for files without EDF: %s", manifest.case, sorted(unknown - present)
        )
    notes.append(f"Times of {len(times)} recording(s) read from their EDF headers ({how}).")
    recs = []
    for rec in manifest.with_times(times).recordings:
        if rec.file_name in times:
            labels = tuple(headers[rec.file_name].labels)
            if labels != rec.channels:
                notes.append(f"{rec.file_name}: channels taken from its EDF header (the summary's differ).")
                rec = dataclasses.replace(rec, channels=labels)
        recs.append(rec)
    return dataclasses.replace(manifest, recordings=tuple(recs), notes=tuple(notes))
