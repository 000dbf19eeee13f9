"""Parse CHB-MIT ``chbNN-summary.txt`` files into a :class:`~seizurepred.io.manifest.Manifest`.

Format: ``Data Sampling Rate: N Hz``; a ``Channels in EDF Files:`` block of ``Channel K: LABEL`` lines; then
per file ``File Name:``, ``File Start Time:`` / ``File End Time:`` (absent in chb24), ``Number of Seizures in
File: N`` and N pairs of ``Seizure [K] Start Time: S seconds`` / ``Seizure [K] End Time: S seconds`` (odd spacing
allowed); ``Channels changed:`` blocks apply to every later file. Blank lines and ``***`` rules are ignored.

Clock times are times of day, possibly >= 24 h (``24:44:29``) when a file runs past midnight. They are placed
on one continuous patient clock (seconds since midnight of the first file's day): each file starts at the first
moment with its time of day that is not before the end of the previous file (midnight roll-over, gaps kept).
A start that is earlier in the day than the previous file's end (a roll-over giving a gap of 12 h or more) is
recorded in the manifest's notes, because the summary's file order may not be chronological there. A seizure
beyond its file's end is an error at the seizure's own line (:func:`load_patient` judges it by the EDF header).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from seizurepred._validate import utf8_error_at
from seizurepred.errors import ManifestError
from seizurepred.io.manifest import Manifest, Recording, Seizure, check_case_name

logger = logging.getLogger(__name__)

DAY_S = 86400
_LONG_GAP_S = 12 * 3600

_RATE_RE = re.compile(r"^Data Sampling Rate:\s*(\d+(?:\.\d+)?)\s*Hz$")
_CHANNELS_RE = re.compile(r"^Channels (?:in EDF Files|changed)\s*:$")
_STARS_RE = re.compile(r"^\*+$")
_CHANNEL_RE = re.compile(r"^Channel\s+(\d+)\s*:\s*(\S(?:.*\S)?)$")
_NAME_RE = re.compile(r"^File Name:\s*(.*?)$")
_START_RE = re.compile(r"^File Start Time:\s*(\S+)$")
_END_RE = re.compile(r"^File End Time:\s*(\S+)$")
_COUNT_RE = re.compile(r"^Number of Seizures in File:\s*(\d+)$")
_SEIZURE_RE = re.compile(
    r"^Seizure(?:\s+(\d+))?\s+(Start|End)\s+Time\s*:\s*(\d+(?:\.\d+)?)\s*(?:seconds?|s)?$"
)
_CLOCK_RE = re.compile(r"^(\d{1,3}):(\d{2}):(\d{2})$")
_BAD_NAME_RE = re.compile(r"[\s/\\\x00-\x1f\x7f]")


@dataclass(frozen=True)
class _FileBlock:
    """One ``File Name:`` block as written in the summary (time of day, not yet on the patient clock).

    ``duration_s`` is ``(end - start) mod 24 h`` of the summary's clock times (``None`` without times) until an EDF
    header replaces it; ``seizure_lines`` holds the (start, end) line numbers of each seizure.
    """

    name: str
    line: int
    start_tod_s: int | None
    duration_s: float | None
    channels: tuple[str, ...]
    seizures: tuple[Seizure, ...]
    seizure_lines: tuple[tuple[int, int], ...] = ()


class _Lines:
    """The non-blank lines of a summary with their 1-based line numbers, read one at a time."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.items = [(i + 1, ln.strip()) for i, ln in enumerate(text.splitlines()) if ln.strip()]
        self.pos = 0
        self.notes: list[str] = []
        self.last_line = len(text.splitlines())

    def peek(self) -> tuple[int, str] | None:
        return self.items[self.pos] if self.pos < len(self.items) else None

    def error(self, line: int | None, message: str) -> ManifestError:
        where = f"line {line}" if line is not None else f"line {self.last_line + 1} (end of file)"
        return ManifestError(f"{self.source} {where}: {message}")

    def expect(self, pattern: re.Pattern[str], what: str) -> tuple[int, re.Match[str]]:
        """Take the next line, which must match ``pattern`` (else a ManifestError saying ``expected 'what'``)."""
        item = self.peek()
        if item is None:
            raise self.error(None, f"expected {what!r}, got end of file (truncated summary?)")
        match = pattern.match(item[1])
        if match is None:
            raise self.error(item[0], f"expected {what!r}, got {_short(item[1])!r}")
        self.pos += 1
        return item[0], match


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def check_file_name(name: str, *, source: str) -> str:
    """Return ``name`` if it is a bare EDF file name, else raise :class:`ManifestError` naming ``source``.

    Parameters
    ----------
    name : str
        E.g. ``"chb01_03.edf"``; path separators, ``..``, whitespace and control characters are refused.
    source : str
        Where the name was read (file and line), used in the message.
    """
    if not name or _BAD_NAME_RE.search(name) or ".." in name or not name.lower().endswith(".edf"):
        raise ManifestError(
            f"{source}: invalid file name {_short(name)!r} (expected a bare name like 'chb01_03.edf')."
        )
    return name


def _clock_s(text: str, lines: _Lines, line: int) -> int:
    match = _CLOCK_RE.match(text)
    if match is None:
        raise lines.error(line, f"malformed time {_short(text)!r} (expected h:mm:ss)")
    h, m, s = (int(g) for g in match.groups())
    if m >= 60 or s >= 60:
        raise lines.error(line, f"malformed time {text!r} (minutes and seconds must be below 60)")
    return h * 3600 + m * 60 + s


def _parse_channels(lines: _Lines) -> tuple[str, ...]:
    """Parse the ``Channel K: label`` lines after a channel block header (the header already taken)."""
    item = lines.peek()
    if item is not None and _STARS_RE.match(item[1]):
        lines.pos += 1
    channels: list[str] = []
    while (item := lines.peek()) is not None and item[1].startswith("Channel "):
        line, match = lines.expect(_CHANNEL_RE, f"Channel {len(channels) + 1}: LABEL")
        if int(match.group(1)) != len(channels) + 1:
            raise lines.error(line, f"expected 'Channel {len(channels) + 1}:', got {_short(item[1])!r}")
        channels.append(match.group(2))
    if not channels:
        line = item[0] if item is not None else None
        raise lines.error(line, "expected 'Channel 1: LABEL' after a channel list header")
    return tuple(channels)


def _parse_seizures(
    lines: _Lines, name: str, n_seizures: int
) -> tuple[tuple[Seizure, ...], tuple[tuple[int, int], ...]]:
    """The seizures of one file block and the (start, end) line numbers of each."""
    seizures, where = [], []
    for k in range(1, n_seizures + 1):
        values = []
        for kind in ("Start", "End"):
            line, match = lines.expect(_SEIZURE_RE, f"Seizure {kind} Time")
            number, got_kind, value = match.groups()
            if got_kind != kind:
                raise lines.error(
                    line, f"expected 'Seizure {k} {kind} Time' of {name}, got {_short(match.group(0))!r}"
                )
            if number is not None and int(number) != k:
                lines.notes.append(
                    f"{lines.source} line {line}: {_short(match.group(0))!r} is numbered {number}; read as seizure "
                    f"{k}'s {kind.lower()} in {name} (the lines' order decides)."
                )
            values.append((line, float(value)))
        (on_line, onset_s), (off_line, offset_s) = values
        if offset_s <= onset_s:
            raise lines.error(
                off_line, f"seizure end {offset_s:g} s is not after its start {onset_s:g} s in {name}"
            )
        if seizures and onset_s < seizures[-1].offset_s:
            raise lines.error(
                on_line, f"seizure at {onset_s:g} s overlaps or precedes the previous one in {name}"
            )
        seizures.append(Seizure(onset_s, offset_s))
        where.append((on_line, off_line))
    return tuple(seizures), tuple(where)


def _parse_file_block(lines: _Lines, channels: tuple[str, ...]) -> _FileBlock:
    line, match = lines.expect(_NAME_RE, "File Name")
    name = check_file_name(match.group(1).strip(), source=f"{lines.source} line {line}")
    start = duration = None
    item = lines.peek()
    if item is not None and item[1].startswith("File Start Time"):
        s_line, s_match = lines.expect(_START_RE, "File Start Time: h:mm:ss")
        start = _clock_s(s_match.group(1), lines, s_line)
        e_line, e_match = lines.expect(_END_RE, "File End Time: h:mm:ss")
        end = _clock_s(e_match.group(1), lines, e_line)
        if (end - start) % DAY_S == 0:
            raise lines.error(e_line, f"file end time equals its start time in {name}")
        duration = float((end - start) % DAY_S)
    _, c_match = lines.expect(_COUNT_RE, "Number of Seizures in File")
    seizures, where = _parse_seizures(lines, name, int(c_match.group(1)))
    return _FileBlock(name, line, start, duration, channels, seizures, where)


def _check_seizures_in_files(
    blocks: Sequence[_FileBlock], source: str, *, header_durations: Mapping[str, float] | None = None
) -> None:
    """Raise a :class:`ManifestError` at the line of the first seizure that lies beyond its file's end.

    The end is the EDF header's when ``header_durations`` has the file (its real length), else the summary's.
    """
    header_durations = header_durations or {}
    for b in blocks:
        duration = header_durations.get(b.name, b.duration_s)
        if duration is None:
            continue
        per = " per its EDF header" if b.name in header_durations else ""
        for sz, (on_line, off_line) in zip(b.seizures, b.seizure_lines):
            if sz.offset_s > duration:
                edge, line, value = (
                    ("starts", on_line, sz.onset_s)
                    if sz.onset_s >= duration
                    else ("ends", off_line, sz.offset_s)
                )
                raise ManifestError(
                    f"{source} line {line}: seizure {edge} at {value:g} s, beyond the end of {b.name} "
                    f"({duration:g} s long{per})"
                )


def _parse_blocks(lines: _Lines) -> tuple[float, list[_FileBlock]]:
    """Parse the whole summary into its sampling rate and file blocks (times of day)."""
    line, match = lines.expect(_RATE_RE, "Data Sampling Rate: N Hz")
    sfreq = float(match.group(1))
    if sfreq <= 0:
        raise lines.error(line, f"sampling rate must be positive, got {sfreq:g} Hz")
    item = lines.peek()
    if item is not None and _STARS_RE.match(item[1]):
        lines.pos += 1
    channels: tuple[str, ...] | None = None
    blocks: list[_FileBlock] = []
    seen: dict[str, int] = {}
    while (item := lines.peek()) is not None:
        if _CHANNELS_RE.match(item[1]):
            lines.pos += 1
            channels = _parse_channels(lines)
            continue
        if channels is None:
            raise lines.error(item[0], f"expected 'Channels in EDF Files:', got {_short(item[1])!r}")
        if not item[1].startswith("File Name"):
            raise lines.error(
                item[0], f"expected 'File Name' or 'Channels changed:', got {_short(item[1])!r}"
            )
        block = _parse_file_block(lines, channels)
        if block.name in seen:
            raise lines.error(
                block.line, f"duplicate file name {block.name!r} (first at line {seen[block.name]})"
            )
        seen[block.name] = block.line
        blocks.append(block)
    if not blocks:
        raise lines.error(None, "expected at least one 'File Name' block")
    return sfreq, blocks


def _hms(clock_s: float) -> str:
    s = int(round(clock_s))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _fits_earlier(placed: list[Recording], start_s: float, duration_s: float) -> str:
    """Describe the gap between two placed recordings that ``[start_s, start_s + duration_s]`` fits, or ''."""
    timed = sorted((r for r in placed if r.has_times), key=lambda r: r.start_clock_s)
    for a, b in zip(timed, timed[1:]):
        if a.end_clock_s <= start_s and start_s + duration_s <= b.start_clock_s:
            return f"; it would fit the gap between {a.file_name} and {b.file_name} one day earlier"
    return ""


def _place(blocks: list[_FileBlock], case: str) -> tuple[list[Recording], list[str]]:
    """Put the file blocks on the patient clock (roll-over at midnight); return recordings and notes."""
    recordings: list[Recording] = []
    notes: list[str] = []
    prev_end: float | None = None
    prev_name = ""
    for b in blocks:
        if b.start_tod_s is None or b.duration_s is None:
            recordings.append(Recording(b.name, None, None, b.channels, b.seizures))
            continue
        tod = b.start_tod_s % DAY_S
        duration_s = b.duration_s
        if prev_end is None:
            start = float(tod)
        else:
            start = float(tod + DAY_S * -(-(prev_end - tod) // DAY_S))
            if start - prev_end >= _LONG_GAP_S and tod < prev_end % DAY_S:
                notes.append(
                    f"{b.name} starts at {_hms(tod)}, earlier in the day than {prev_name} ended "
                    f"({_hms(prev_end % DAY_S)}); placed on the next day by the roll-over rule "
                    f"(gap {(start - prev_end) / 3600:.2f} h){_fits_earlier(recordings, start - DAY_S, duration_s)}."
                )
        recordings.append(Recording(b.name, start, start + duration_s, b.channels, b.seizures))
        prev_end, prev_name = start + duration_s, b.name
    return recordings, notes


def _duplicate_seizure_notes(recordings: Sequence[Recording]) -> list[str]:
    """Notes for seizures listed with identical times in more than one file (chb24_04 / chb24_09)."""
    where: dict[tuple[float, float], list[str]] = {}
    for rec in recordings:
        for sz in rec.seizures:
            where.setdefault((sz.onset_s, sz.offset_s), []).append(rec.file_name)
    return [
        f"The seizure at {on:g}-{off:g} s is listed in {' and '.join(names)}; all kept as the summary lists them "
        "(possibly a copy error in the summary)."
        for (on, off), names in where.items()
        if len(names) > 1
    ]


def _case_from_source(source: str) -> str:
    name = Path(source).name
    return name[: -len("-summary.txt")] if name.endswith("-summary.txt") else Path(name).stem


def parse_summary_text(
    text: str, *, source: str = "summary", records: Sequence[str] | None = None, case: str | None = None
) -> Manifest:
    """Parse the text of a summary file; see :func:`parse_summary`.

    Parameters
    ----------
    text : str
        The whole summary.
    source : str
        Its file name, used in error messages and stored as ``Manifest.source``.
    records, case
        As for :func:`parse_summary`.

    Returns
    -------
    Manifest
    """
    lines = _Lines(text, source)
    sfreq, blocks = _parse_blocks(lines)
    return _manifest_from_blocks(lines, sfreq, blocks, records=records, case=case)


def _manifest_from_blocks(
    lines: _Lines,
    sfreq: float,
    blocks: list[_FileBlock],
    *,
    records: Sequence[str] | None,
    case: str | None,
    header_durations: Mapping[str, float] | None = None,
) -> Manifest:
    """Check the seizures against their files' ends, place the blocks on the patient clock, add RECORDS files."""
    source = lines.source
    _check_seizures_in_files(blocks, source, header_durations=header_durations)
    case = case if case is not None else _case_from_source(source)
    recordings, notes = _place(blocks, case)
    notes = lines.notes + notes
    if records is not None:
        listed = {r.file_name for r in recordings}
        extra = [
            check_file_name(n, source=f"{source} (RECORDS)")
            for n in dict.fromkeys(records)
            if n not in listed
        ]
        last_channels = blocks[-1].channels
        recordings += [Recording(n, None, None, last_channels) for n in extra]
        if extra:
            notes.append(
                f"{len(extra)} file(s) are listed in RECORDS but not in the summary; times unknown until read from "
                f"the EDF headers, channels assumed to be the summary's last channel list: {', '.join(extra)}."
            )
        missing = sorted(listed - set(records))
        if missing:
            notes.append(f"Listed in the summary but not in RECORDS: {', '.join(missing)}.")
    notes += _duplicate_seizure_notes(recordings)
    if any(not r.has_times for r in recordings):
        n_unknown = sum(not r.has_times for r in recordings)
        notes.append(
            f"{n_unknown} recording(s) have no start/end times in the summary (read from EDF headers)."
        )
    return Manifest(
        case=case, sfreq=sfreq, recordings=tuple(recordings), notes=tuple(notes), source=Path(source).name
    )


def parse_summary(
    path: str | Path, *, records: Sequence[str] | None = None, case: str | None = None
) -> Manifest:
    """Parse one ``chbNN-summary.txt`` (real or synthetic) into a manifest on the patient clock.

    Parameters
    ----------
    path : str or Path
        The summary file.
    records : sequence of str or None
        Bare file names of the case known from ``RECORDS`` (e.g. ``"chb24_02.edf"``); those absent from the
        summary are appended with unknown times (``None``) and the summary's last channel list.
    case : str or None
        Case name; by default taken from the file name (``chb01-summary.txt`` -> ``"chb01"``).

    Returns
    -------
    Manifest
        Recordings in summary order; start/end in seconds since midnight of the first file's day (``None`` when
        the summary gives no times); ``notes`` list roll-overs that look out of order and duplicate seizures.

    Raises
    ------
    ManifestError
        One line naming the file and line: truncated summary, malformed time, seizure end before start, seizure
        beyond its file's end, invalid or duplicate file name, unreadable file.
    """
    path = Path(path)
    return parse_summary_text(_read_summary(path), source=path.name, records=records, case=case)


def _read_summary(path: Path) -> str:
    from seizurepred.io.summary_edf import read_input_file

    try:
        data = read_input_file(path, what="summary")
    except FileNotFoundError:
        raise ManifestError(f"{path}: no such summary file.") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column, byte = utf8_error_at(data, exc)
        raise ManifestError(
            f"{path} line {line}: not UTF-8 text (byte 0x{byte:02x} at column {column})."
        ) from None


# ---------------------------------------------------------------------------------------------- data roots
def load_patient(data_root: str | Path, case: str) -> Manifest:
    """Build the manifest of ``case`` from a data root in the CHB-MIT layout (real or synthetic).

    Parses ``DATA_ROOT/case/case-summary.txt``; adds files named in ``DATA_ROOT/RECORDS`` or present as
    ``DATA_ROOT/case/*.edf`` but absent from the summary; fills unknown times from the EDF headers of the files
    present (:func:`seizurepred.io.edf.read_header`), placed on the summary's clock via a recording with summary
    times and an EDF file, or, when the summary has no times (chb24), as seconds since midnight of the earliest
    recording's (surrogate) date. Recordings without an EDF file keep unknown times (noted).

    The header of every EDF file present is read (a few kB each) and checked against the summary
    (:mod:`seizurepred.io.summary_edf`): a duration or start time of day off by more than 5 s, a sampling rate
    other than the headers', and a file put on the wrong day by the summary's order take the header's (each with a
    ``ManifestWarning`` naming the summary line); a seizure beyond a file's end is an error at its own line.

    Parameters
    ----------
    data_root : str or Path
        Folder holding ``chbNN/`` case folders.
    case : str
        Case name, e.g. ``"chb24"`` (see :func:`~seizurepred.io.manifest.check_case_name`).

    Returns
    -------
    Manifest

    Raises
    ------
    ConfigError
        Invalid case name (empty, a path, characters outside ``[A-Za-z0-9_+-]``).
    ManifestError
        Missing or malformed summary, seizure beyond a file's end (summary file and line).
    EDFError
        A present EDF file with a malformed header.
    """
    from seizurepred.io import summary_edf as edf

    check_case_name(case, source="case")
    data_root = Path(data_root)
    case_dir = data_root / case
    summary = case_dir / f"{case}-summary.txt"
    lines = _Lines(_read_summary(summary), summary.name)
    sfreq, blocks = _parse_blocks(lines)
    names = [b.name for b in blocks]
    known = set(names)
    extra = [
        check_file_name(n, source=f"{data_root / 'RECORDS'} or {case_dir}")
        for n in edf.listed_files(data_root, case)
        if n not in known
    ]
    headers = edf.read_present_headers(case_dir, names + extra)
    sfreq, notes = edf.use_header_rate(sfreq, headers, source=lines.source)
    blocks, more = edf.use_header_starts(blocks, headers, source=lines.source)
    blocks, last = edf.use_header_durations(blocks, headers, source=lines.source)
    notes += more + last
    manifest = _manifest_from_blocks(
        lines,
        sfreq,
        blocks,
        records=names + extra if extra else None,
        case=case,
        header_durations={n: h.duration_s for n, h in headers.items()},
    )
    manifest = dataclasses.replace(manifest, notes=manifest.notes + tuple(notes))
    manifest, _ = edf.use_header_days(
        manifest, headers, source=lines.source, lines={b.name: b.line for b in blocks}
    )
    return edf.fill_from_headers(manifest, headers, case_dir)
