"""Preictal / interictal labelling of one patient's recordings on the patient clock (pure).

The rules are the paper's (Koutsouvelis et al. 2024, see ``docs/method.md`` section 1), generalised with a
seizure prediction horizon (SPH) and an optional leading-seizure rule (Truong et al. 2018):

* **Preictal** of a seizure with onset ``t0``: the recorded data in ``[t0 - SPH - preictal, t0 - SPH]``, but never
  earlier than ``postictal_exclusion_min`` after the end of any earlier seizure (the paper: data within 1 h after a
  previous seizure's end is never preictal). Truncating at the previous seizure (rather than cutting out only the
  postictal hour) also keeps the period clear of every other seizure's ictal and preictal data, so no stretch of
  EEG belongs to two seizures. Gaps between files split the period into one :class:`Interval` per file; its
  coverage is ``available / requested``. A seizure with less than ``min_preictal_min`` of it is dropped.
* **Interictal**: recorded data at least ``interictal_before_onset_min`` before every onset and at least
  ``interictal_after_end_min`` after every seizure end, over *all* seizures placed on the clock (dropped ones
  included). Data after the last seizure counts once it is far enough from that seizure's end.
* Only *recorded* seizures are known. Data near the end of the record, or just before a long gap between files,
  may precede a seizure that was never recorded; like the paper (and every CHB-MIT study we know of), such data
  counts as interictal. :func:`seizurepred.labels.report.unguarded_interictal_hours` says how much of it lies
  within ``interictal_before_onset_min`` of the end of the record or of a longer gap, so a user can judge it.
* Data between the preictal start and the interictal boundary is unused; ictal and postictal data are unused.
* Recordings whose clock times are unknown (chb24 in the committed manifest) are ignored and listed in
  :attr:`Segments.notes`; their seizures cannot be placed and therefore cannot protect nearby interictal data.
* Leading-seizure rule (``leading_seizure_min``): a seizure starting less than that many minutes after the end
  of the previous one is not a prediction target. ``"drop"`` drops it; ``"merge"`` folds it into the cluster led
  by the first seizure (whose onset is the cluster's onset). With the truncation above both give the same
  intervals; they differ in what is reported. Either way such seizures still protect interictal data.

Because ``preictal_min + sph_min <= interictal_before_onset_min`` (checked by :class:`LabelConfig`), no data is
ever both preictal and interictal.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Literal

from seizurepred._validate import check_number, check_option
from seizurepred.errors import ConfigError, ManifestError
from seizurepred.io.manifest import Manifest

logger = logging.getLogger(__name__)

LEADING_RULES = ("drop", "merge")
_EPS_S = 1e-6


@dataclass(frozen=True)
class LabelConfig:
    """How preictal and interictal data are defined (all lengths in minutes).

    Attributes
    ----------
    preictal_min : float
        Preictal length before the SPH (the paper: 60, 45, 30 or 15).
    sph_min : float
        Seizure prediction horizon / intervention time between preictal end and onset (paper: 0).
    interictal_before_onset_min : float
        Interictal data lies at least this long before any onset (paper: 240).
    interictal_after_end_min : float
        ... and at least this long after any seizure end (paper: 60).
    postictal_exclusion_min : float
        Data this long after a previous seizure's end is never preictal (paper: 60).
    min_preictal_min : float
        A seizure needs at least this much preictal data to be usable (paper: 1).
    min_seizures : int
        A patient needs at least this many usable seizures to be eligible (paper: 2).
    leading_seizure_min : float or None
        If set, seizures starting less than this long after the previous seizure's end are not targets.
    leading_seizure_rule : {"drop", "merge"}
        What happens to such seizures (see the module docstring).
    """

    preictal_min: float = 60.0
    sph_min: float = 0.0
    interictal_before_onset_min: float = 240.0
    interictal_after_end_min: float = 60.0
    postictal_exclusion_min: float = 60.0
    min_preictal_min: float = 1.0
    min_seizures: int = 2
    leading_seizure_min: float | None = None
    leading_seizure_rule: Literal["merge", "drop"] = "drop"

    def __post_init__(self) -> None:
        check_number("preictal_min", self.preictal_min, min_value=0.0, inclusive_min=False)
        for name in (
            "sph_min",
            "interictal_before_onset_min",
            "interictal_after_end_min",
            "postictal_exclusion_min",
        ):
            check_number(name, getattr(self, name), min_value=0.0)
        check_number(
            "min_preictal_min", self.min_preictal_min, min_value=0.0, max_value=float(self.preictal_min)
        )
        check_number("min_seizures", self.min_seizures, min_value=1, integer=True)
        if self.leading_seizure_min is not None:
            check_number("leading_seizure_min", self.leading_seizure_min, min_value=0.0, inclusive_min=False)
        check_option("leading_seizure_rule", self.leading_seizure_rule, LEADING_RULES)
        span = self.preictal_min + self.sph_min
        if span > self.interictal_before_onset_min:
            raise ConfigError(
                "Invalid value for 'preictal_min': allowed preictal_min + sph_min <= interictal_before_onset_min "
                f"({self.interictal_before_onset_min:g}); got {self.preictal_min:g} + {self.sph_min:g} = {span:g}."
            )
        for name in (
            f.name for f in dataclasses.fields(self)
        ):  # canonical types, so equal configs hash equal
            value = getattr(self, name)
            if name == "min_seizures":
                object.__setattr__(self, name, int(value))
            elif isinstance(value, int | float):
                object.__setattr__(self, name, float(value))


@dataclass(frozen=True)
class Interval:
    """A labelled stretch of one recording file.

    Attributes
    ----------
    recording_index : int
        Index into ``manifest.recordings``.
    start_s, stop_s : float
        Seconds from the start of that file.
    label : {"preictal", "interictal"}
        The label.
    seizure_id : int
        ``SeizureEvent.seizure_id`` for preictal, -1 for interictal.
    start_clock_s : float
        ``start_s`` on the patient clock.
    """

    recording_index: int
    start_s: float
    stop_s: float
    label: Literal["preictal", "interictal"]
    seizure_id: int
    start_clock_s: float

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.stop_s - self.start_s

    @property
    def stop_clock_s(self) -> float:
        """End on the patient clock."""
        return self.start_clock_s + self.duration_s


@dataclass(frozen=True)
class SeizureLabel:
    """What labelling made of one seizure.

    Attributes
    ----------
    seizure_id, recording_index : int
        As in :class:`~seizurepred.io.manifest.SeizureEvent`.
    onset_clock_s : float or None
        Onset on the patient clock (``None`` when its recording's times are unknown).
    preictal_requested_s, preictal_available_s : float
        Requested preictal length and what recorded, usable data provides, in seconds.
    coverage : float
        ``preictal_available_s / preictal_requested_s`` in [0, 1].
    usable : bool
        Whether the seizure is a prediction target.
    reason : str
        Why it is not usable ("" when usable).
    """

    seizure_id: int
    recording_index: int
    onset_clock_s: float | None
    preictal_requested_s: float
    preictal_available_s: float
    coverage: float
    usable: bool
    reason: str


@dataclass(frozen=True)
class Segments:
    """Labelled intervals of one patient for one :class:`LabelConfig`.

    Attributes
    ----------
    case : str
        Case name.
    config : LabelConfig
        The rules used.
    preictal, interictal : tuple of Interval
        Sorted by patient clock; none crosses a recording boundary; preictal ones of unusable seizures are absent.
    seizures : tuple of SeizureLabel
        One per seizure of the manifest, by ``seizure_id``.
    eligible : bool
        At least ``min_seizures`` usable seizures and some interictal data.
    reason : str
        One line saying why the patient is (not) eligible.
    notes : tuple of str
        Everything else a user should know: ignored recordings, partial preictal coverage (< 99 %), clusters,
        overlapping recordings.
    """

    case: str
    config: LabelConfig
    preictal: tuple[Interval, ...]
    interictal: tuple[Interval, ...]
    seizures: tuple[SeizureLabel, ...]
    eligible: bool
    reason: str
    notes: tuple[str, ...] = ()

    @property
    def usable_seizure_ids(self) -> tuple[int, ...]:
        """Ids of the usable seizures, in order."""
        return tuple(s.seizure_id for s in self.seizures if s.usable)

    @property
    def interictal_hours(self) -> float:
        """Total interictal data in hours."""
        return sum(iv.duration_s for iv in self.interictal) / 3600.0

    @property
    def preictal_hours(self) -> float:
        """Total preictal data of the usable seizures in hours."""
        return sum(iv.duration_s for iv in self.preictal) / 3600.0


# ---------------------------------------------------------------------------------------------- internals
@dataclass(frozen=True)
class _Piece:
    """The part of one recording used on the clock (overlaps with earlier files removed)."""

    recording_index: int
    start_clock_s: float
    stop_clock_s: float
    file_start_clock_s: float


@dataclass(frozen=True)
class _Event:
    seizure_id: int
    recording_index: int
    onset_clock_s: float
    offset_clock_s: float


def _pieces(manifest: Manifest) -> tuple[list[_Piece], list[str]]:
    """Recording pieces on the clock, in clock order, and notes about ignored or overlapping files."""
    notes: list[str] = []
    unknown = [r.file_name for r in manifest.recordings if not r.has_times]
    if unknown:
        n_sz = sum(len(r.seizures) for r in manifest.recordings if not r.has_times)
        notes.append(
            f"{len(unknown)} recording(s) with unknown clock times ignored ({', '.join(unknown)}); "
            f"their {n_sz} seizure(s) cannot be placed on the clock, so they neither give preictal data nor "
            "protect nearby interictal data"
        )
    timed = sorted(
        ((r.start_clock_s, ri, r) for ri, r in enumerate(manifest.recordings) if r.has_times),
        key=lambda t: (t[0], t[1]),
    )
    pieces: list[_Piece] = []
    cursor = float("-inf")
    for start, ri, rec in timed:
        end = rec.end_clock_s
        if end <= start:
            notes.append(f"{rec.file_name} ignored: end time {end:g} s is not after its start {start:g} s")
            continue
        lo = max(start, cursor)
        if lo > start:
            notes.append(
                f"{rec.file_name} overlaps an earlier recording by {min(lo, end) - start:g} s on the clock; "
                "the overlap is labelled in the earlier file only"
            )
        if end > lo:
            pieces.append(_Piece(ri, lo, end, start))
        cursor = max(cursor, end)
    return pieces, notes


def _events(manifest: Manifest) -> list[_Event]:
    """Seizures with known clock times, by onset; an end before the onset raises :class:`ManifestError`."""
    events = []
    for ev in manifest.seizures:
        if ev.offset_s < ev.onset_s:
            raise ManifestError(
                f"{manifest.case} {ev.file_name}: seizure ends at {ev.offset_s:g} s, before its onset {ev.onset_s:g} s."
            )
        if ev.onset_clock_s is not None:
            events.append(_Event(ev.seizure_id, ev.recording_index, ev.onset_clock_s, ev.offset_clock_s))
    return sorted(events, key=lambda e: (e.onset_clock_s, e.seizure_id))


def _subtract(spans: list[tuple[float, float]], cuts: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """``spans`` minus the union of ``cuts`` (both lists of (start, stop)); empty pieces are removed."""
    out = []
    for lo, hi in spans:
        parts = [(lo, hi)]
        for c_lo, c_hi in cuts:
            parts = [p for a, b in parts for p in ((a, min(b, c_lo)), (max(a, c_hi), b))]
            parts = [(a, b) for a, b in parts if b - a > _EPS_S]
        out.extend(parts)
    return out


def _clip(pieces: list[_Piece], lo: float, hi: float) -> list[tuple[_Piece, float, float]]:
    """Intersections of ``[lo, hi]`` with each piece, as (piece, start_clock, stop_clock)."""
    out = []
    for p in pieces:
        a, b = max(lo, p.start_clock_s), min(hi, p.stop_clock_s)
        if b - a > _EPS_S:
            out.append((p, a, b))
    return out


def _interval(piece: _Piece, lo: float, hi: float, label: str, seizure_id: int) -> Interval:
    off = piece.file_start_clock_s
    return Interval(piece.recording_index, lo - off, hi - off, label, seizure_id, lo)  # type: ignore[arg-type]


def _leading(events: list[_Event], config: LabelConfig) -> tuple[dict[int, str], dict[int, list[int]]]:
    """Reasons for the seizures the leading-seizure rule removes (by id) and the clusters (head id -> ids)."""
    if config.leading_seizure_min is None:
        return {}, {}
    out: dict[int, str] = {}
    clusters: dict[int, list[int]] = {}
    prev_end, prev_id, head = float("-inf"), -1, -1
    for ev in events:
        gap_min = (ev.onset_clock_s - prev_end) / 60.0
        if gap_min < config.leading_seizure_min:
            why = (
                f"starts {gap_min:.1f} min after seizure {prev_id} ended "
                f"(< leading_seizure_min = {config.leading_seizure_min:g})"
            )
            if config.leading_seizure_rule == "merge":
                out[ev.seizure_id] = f"merged into the cluster led by seizure {head}: {why}"
            else:
                out[ev.seizure_id] = f"not a leading seizure: {why}"
        else:
            head = ev.seizure_id
        clusters.setdefault(head, []).append(ev.seizure_id)
        if ev.offset_clock_s >= prev_end:
            prev_end, prev_id = ev.offset_clock_s, ev.seizure_id
    return out, {h: ids for h, ids in clusters.items() if len(ids) > 1}


def _preictal(
    ev: _Event, events: list[_Event], pieces: list[_Piece], config: LabelConfig
) -> tuple[list[Interval], float, str]:
    """Preictal intervals of one seizure, their total length (s) and why they fall short of the request."""
    req_s = config.preictal_min * 60.0
    hi = ev.onset_clock_s - config.sph_min * 60.0
    lo = hi - req_s
    why: list[str] = []
    earlier = [e for e in events if e.seizure_id != ev.seizure_id and e.onset_clock_s <= ev.onset_clock_s]
    if earlier:
        prev = max(earlier, key=lambda e: e.offset_clock_s)
        cut = prev.offset_clock_s + config.postictal_exclusion_min * 60.0
        if cut > lo:
            lo = min(cut, hi)
            why.append(
                f"{(lo - (hi - req_s)) / 60.0:.1f} min fall within seizure {prev.seizure_id}'s end + "
                f"postictal_exclusion_min ({config.postictal_exclusion_min:g})"
            )
    parts = _clip(pieces, lo, hi) if hi > lo else []
    intervals = [_interval(p, a, b, "preictal", ev.seizure_id) for p, a, b in parts]
    avail = sum(iv.duration_s for iv in intervals)
    missing_min = (hi - lo - avail) / 60.0
    if missing_min > 1e-6:
        first = pieces[0].start_clock_s if pieces else hi
        if lo < first:
            why.append(f"{(min(first, hi) - lo) / 60.0:.1f} min lie before the start of the record")
            missing_min -= (min(first, hi) - lo) / 60.0
        if missing_min > 1e-6:
            why.append(f"{missing_min:.1f} min fall in gaps between files")
    return intervals, avail, "; ".join(why)


def _interictal(events: list[_Event], pieces: list[_Piece], config: LabelConfig) -> list[Interval]:
    """Interictal intervals: recorded data far enough from every placed seizure."""
    before_s, after_s = config.interictal_before_onset_min * 60.0, config.interictal_after_end_min * 60.0
    cuts = sorted((e.onset_clock_s - before_s, e.offset_clock_s + after_s) for e in events)
    out = []
    for p in pieces:
        for a, b in _subtract([(p.start_clock_s, p.stop_clock_s)], cuts):
            out.append(_interval(p, a, b, "interictal", -1))
    return out


def label_segments(manifest: Manifest, *, config: LabelConfig) -> Segments:
    """Label a patient's recorded data as preictal or interictal (pure; see the module docstring for the rules).

    Parameters
    ----------
    manifest : Manifest
        The patient's recordings; those with unknown clock times are ignored and reported in ``notes``.
    config : LabelConfig
        The rules.

    Returns
    -------
    Segments
        Intervals on the patient clock and per seizure what became of it.
    """
    if not isinstance(config, LabelConfig):
        raise ConfigError(f"Invalid value for 'config': allowed a LabelConfig; got {type(config).__name__}.")
    pieces, notes = _pieces(manifest)
    events = _events(manifest)
    by_id = {e.seizure_id: e for e in events}
    leading, clusters = _leading(events, config)
    notes += [
        f"seizures {', '.join(map(str, ids))} form a cluster (each < leading_seizure_min = "
        f"{config.leading_seizure_min:g} after the previous end); only seizure {head} is a target "
        f"({config.leading_seizure_rule!r})"
        for head, ids in clusters.items()
    ]
    labels: list[SeizureLabel] = []
    preictal: list[Interval] = []
    for sz in manifest.seizures:
        ev = by_id.get(sz.seizure_id)
        if ev is None:
            reason = f"its recording {sz.file_name} has unknown clock times"
            req_s = config.preictal_min * 60.0
            labels.append(
                SeizureLabel(sz.seizure_id, sz.recording_index, None, req_s, 0.0, 0.0, False, reason)
            )
            continue
        label, intervals, note = _seizure_label(ev, events, pieces, config, leading.get(ev.seizure_id, ""))
        labels.append(label)
        preictal += intervals
        notes += [note] if note else []
    interictal = _interictal(events, pieces, config)
    eligible, reason = _eligibility(labels, interictal, config)
    logger.debug("%s: %s", manifest.case, reason)
    return Segments(
        case=manifest.case,
        config=config,
        preictal=tuple(sorted(preictal, key=lambda iv: iv.start_clock_s)),
        interictal=tuple(interictal),
        seizures=tuple(labels),
        eligible=eligible,
        reason=reason,
        notes=tuple(notes),
    )


def _seizure_label(
    ev: _Event, events: list[_Event], pieces: list[_Piece], config: LabelConfig, leading_reason: str
) -> tuple[SeizureLabel, list[Interval], str]:
    """One placed seizure's label, its preictal intervals (none if unusable) and a note on partial coverage."""
    req_s = config.preictal_min * 60.0
    intervals, avail_s, why = _preictal(ev, events, pieces, config)
    reason, note = leading_reason, ""
    if not reason and avail_s < config.min_preictal_min * 60.0 - _EPS_S:
        reason = (
            f"only {avail_s / 60.0:.1f} min of preictal data (< min_preictal_min = {config.min_preictal_min:g})"
            + (f": {why}" if why else "")
        )
    elif not reason and avail_s < 0.99 * req_s:  # a few seconds between files are normal
        note = f"seizure {ev.seizure_id}: {avail_s / 60.0:.1f} of {config.preictal_min:g} min preictal: {why}"
    label = SeizureLabel(
        ev.seizure_id,
        ev.recording_index,
        ev.onset_clock_s,
        req_s,
        avail_s,
        avail_s / req_s,
        not reason,
        reason,
    )
    return label, [] if reason else intervals, note


def _eligibility(
    labels: list[SeizureLabel], interictal: list[Interval], config: LabelConfig
) -> tuple[bool, str]:
    n_usable = sum(s.usable for s in labels)
    hours = sum(iv.duration_s for iv in interictal) / 3600.0
    if n_usable < config.min_seizures:
        return False, f"not eligible: {n_usable} usable seizure(s) (< min_seizures = {config.min_seizures})"
    if hours <= 0:
        return False, (
            f"not eligible: no interictal data (none >= {config.interictal_before_onset_min:g} min before every "
            f"onset and >= {config.interictal_after_end_min:g} min after every seizure end)"
        )
    return True, f"eligible: {n_usable} usable seizures, {hours:.2f} interictal h"
