"""Reconcile a parsed summary with the EDF headers of the files present (used by ``load_patient``).

A summary's clock times are written by hand or by a script, and can be wrong; an EDF header states what the file
holds (``n_records`` x record duration), when it starts and at which rate. The header wins, each time with a
:class:`~seizurepred.errors.ManifestWarning` naming the summary line and a manifest note: :func:`use_header_durations`
when the two durations disagree by more than :data:`DURATION_TOLERANCE_S`, :func:`use_header_starts` when the start
times of day do (a file listed an hour late would move its seizures on the patient clock), :func:`use_header_rate`
when the sampling rates do, and :func:`use_header_days` when the summary's file order put a file on the wrong day;
:func:`fill_from_headers` fills the times the summary lacks (chb24) from the headers. Only headers are read.
:func:`listed_files` names a case's files known from ``RECORDS`` or present in its folder; :func:`read_input_file`
reads a small input text (summary, ``RECORDS``, events file), refusing devices, pipes and oversized files.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import stat
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from seizurepred.errors import EDFError, ManifestError, ManifestWarning
from seizurepred.io.edf_header import EdfHeader, read_header, special_file_kind
from seizurepred.io.manifest import Manifest

if TYPE_CHECKING:
    from seizurepred.io.summary import _FileBlock

logger = logging.getLogger(__name__)

#: A summary duration (end - start clock) further than this from the EDF header's duration is replaced by the
#: header's, with a warning. Clock times have 1 s resolution and a file's records are whole seconds in CHB-MIT, so
#: honest summaries agree within a second or two; 5 s leaves room for rounding without hiding a wrong time.
DURATION_TOLERANCE_S = 5.0
_DAY_S = 86400
#: Largest input text file read (summary, RECORDS, events TSV): the real ones are below 100 kB.
MAX_TEXT_BYTES = 64 * 2**20

_B = TypeVar("_B", bound="_FileBlock")


def read_input_file(path: Path, *, what: str, max_bytes: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of a small input text file, refusing what cannot be one.

    Parameters
    ----------
    path : Path
        The file.
    what : str
        What it is, for the messages (``"summary"``).
    max_bytes : int
        Largest size accepted.

    Raises
    ------
    FileNotFoundError
        No such file (the caller names it in its own words).
    ManifestError
        One line naming the file: a device (``/dev/zero`` would be read forever), a FIFO, a socket, a file larger
        than ``max_bytes``, or an unreadable one (the operating system's reason: permission, a folder, ...).
    """
    try:
        kind = special_file_kind(path.stat().st_mode)
        if kind is not None:
            raise ManifestError(f"{path}: not a {what} file but a {kind}.")
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except (FileNotFoundError, ManifestError):
        raise
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read {what} ({type(exc).__name__}: {exc.strerror or exc}).") from None
    if len(data) > max_bytes:
        raise ManifestError(f"{path}: larger than {max_bytes / 2**20:g} MiB; not a {what} file.")
    return data


def listed_files(data_root: Path, case: str) -> list[str]:
    """File names of ``case`` from ``DATA_ROOT/RECORDS`` (when present), then ``*.edf`` files in the case folder.

    Raises
    ------
    ManifestError
        ``RECORDS`` or the case folder cannot be read (named, with the operating system's reason).
    """
    names: list[str] = []
    records = data_root / "RECORDS"
    if _exists(records):
        prefix = f"{case}/"
        text = read_input_file(records, what="RECORDS").decode("utf-8", errors="replace")
        for raw in text.splitlines():
            if raw.strip().startswith(prefix):
                names.append(raw.strip()[len(prefix) :])
    case_dir = data_root / case
    try:  # as glob("*.edf"): hidden files (``._chb01_01.edf`` of macOS) are not recordings
        with os.scandir(case_dir) as entries:
            names += sorted(e.name for e in entries if e.name.endswith(".edf") and not e.name.startswith(".")
                            and e.is_file())  # fmt: skip
    except (FileNotFoundError, NotADirectoryError):
        pass
    except OSError as exc:
        raise ManifestError(f"{case_dir}: cannot list the case folder ({exc.strerror or exc}).") from None
    return list(dict.fromkeys(names))


def _exists(path: Path) -> bool:
    """Whether ``path`` exists and is not a folder; one that cannot be looked up (no search permission) is named."""
    try:
        return not stat.S_ISDIR(path.stat().st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as exc:
        raise ManifestError(f"{path}: cannot look it up ({exc.strerror or exc}).") from None


def read_present_headers(case_dir: Path, names: Sequence[str]) -> dict[str, EdfHeader]:
    """Read the header of each named file that is present in ``case_dir`` (absent files are left out)."""
    return {n: read_header(case_dir / n) for n in names if _exists(case_dir / n)}


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


def _hms(seconds: float) -> str:
    s = int(round(seconds)) % _DAY_S
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def use_header_starts(
    blocks: Sequence[_B], headers: dict[str, EdfHeader], *, source: str
) -> tuple[list[_B], list[str]]:
    """Replace summary start times of day that disagree with the EDF header by more than :data:`DURATION_TOLERANCE_S`.

    The summary's time of day places the file on the patient clock (and with it its seizures and the gaps around
    them): a file listed an hour late would move its seizure by an hour, silently. The header's time of day is
    used instead (the day is settled later, by the roll-over rule and :func:`use_header_days`).

    Parameters
    ----------
    blocks : sequence of summary file blocks
        As parsed (``name``, ``line``, ``start_tod_s``).
    headers : dict
        EDF headers of the files present, by file name.
    source : str
        The summary's file name, for the messages.

    Returns
    -------
    blocks : list
        The blocks, those that disagree carrying the header's time of day.
    notes : list of str
        One note per replaced start (the text of the warning).

    Warns
    -----
    ManifestWarning
        Naming the summary and the block's line, the EDF file and both start times.
    """
    out, notes = [], []
    for b in blocks:
        header = headers.get(b.name)
        if header is not None and b.start_tod_s is not None:
            t = header.start_datetime
            real = t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6
            off = (b.start_tod_s - real) % _DAY_S
            off = min(off, _DAY_S - off)
            if off > DURATION_TOLERANCE_S:
                message = (
                    f"{source} line {b.line}: {b.name} starts at {_hms(b.start_tod_s)} per the summary but at "
                    f"{_hms(real)} per its EDF header ({off:g} s apart); the header's start is used."
                )
                warnings.warn(message, ManifestWarning, stacklevel=3)
                notes.append(message)
                b = dataclasses.replace(b, start_tod_s=real)
        out.append(b)
    return out, notes


def use_header_rate(sfreq: float, headers: dict[str, EdfHeader], *, source: str) -> tuple[float, list[str]]:
    """The sampling rate of the EDF headers when the summary's ``Data Sampling Rate`` disagrees with them.

    Windows are cut and placed in samples at the manifest's rate, so a wrong summary rate would misplace every one.
    Headers whose EEG channels have no single rate are left to the reader (it refuses them).

    Parameters
    ----------
    sfreq : float
        The summary's rate (Hz), stated on its line 1.
    headers : dict
        EDF headers of the files present, by file name.
    source : str
        The summary's file name, for the messages.

    Returns
    -------
    sfreq : float
        The headers' rate when every readable header states the same one and the summary's differs; else
        ``sfreq``.
    notes : list of str
        The text of the warning, when the rate was replaced.

    Warns
    -----
    ManifestWarning
        Naming the summary, both rates and the files whose headers disagree with the summary.
    """
    rates: dict[str, float] = {}
    for name, header in headers.items():
        try:
            rates[name] = float(header.sfreq)
        except EDFError:
            continue
    off = sorted(n for n, r in rates.items() if not math.isclose(r, sfreq, rel_tol=1e-9))
    if not off:
        return sfreq, []
    found = sorted(set(rates.values()))
    listed = ", ".join(off[:3]) + (f" and {len(off) - 3} more" if len(off) > 3 else "")
    if len(found) != 1:
        message = (
            f"{source} line 1: sampling rate {sfreq:g} Hz per the summary, but the EDF headers state "
            f"{', '.join(f'{r:g}' for r in found)} Hz ({listed} differ); the summary's rate is kept."
        )
        warnings.warn(message, ManifestWarning, stacklevel=3)
        return sfreq, [message]
    message = (
        f"{source} line 1: sampling rate {sfreq:g} Hz per the summary but {found[0]:g} Hz per the EDF header of "
        f"{listed}; the headers' rate is used."
    )
    warnings.warn(message, ManifestWarning, stacklevel=3)
    return found[0], [message]


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
