"""The held-out seizure's pre-onset record: which windows a model is run over, and the output it gives (pure).

Time convention: ``times_min_before_onset`` is **positive** minutes before the seizure onset (90 = 90 min before
onset) of each window's *start*; window ``i`` covers ``[t_i - window_s / 60, t_i]`` minutes before onset. Windows
sit on a grid aligned to the onset: window starts are ``onset - n * window_s`` for n = 1, 2, ..., so the last window
ends exactly at onset. A window that would straddle a file boundary or a gap is skipped (not padded).

The record: every recorded stretch within ``max_hours`` (10 h) before onset, back to the end of the previous
seizure (``stop_at_previous_seizure``: ictal and postictal output never enters it). Gaps are not filled: the
record is made of *stretches*, consecutive files whose gap is at most ``max_gap_s`` (60 s) forming one stretch.
Event-level alarms run over every stretch (their state is reset at each gap); CIOPR needs the uninterrupted
stretch that ends at onset (:meth:`ContinuousOutput.tail`, more than 2.5 h). Recordings with unknown times are
ignored. Running the model is the fold task's job (:mod:`seizurepred.sweep.task`); this module only plans the
windows (:func:`record_windows`) and holds the result (:class:`ContinuousOutput`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from seizurepred._validate import check_number
from seizurepred.errors import ManifestError
from seizurepred.io.manifest import Manifest, SeizureEvent

__all__ = ["ContinuousOutput", "WindowPlan", "pre_onset_pieces", "record_windows", "uninterrupted_pre_onset"]


@dataclass(frozen=True, eq=False)
class WindowPlan:
    """Windows to score: recording, first sample, patient-clock start and stretch of each (in time order).

    Attributes
    ----------
    file_names : tuple of str
        Recordings; ``file_index`` indexes into it.
    file_index, starts : ndarray of int64, shape (n_windows,)
        Recording and first sample of each window.
    clock_s : ndarray of float64, shape (n_windows,)
        Patient-clock time of each window's start.
    stretch : ndarray of int64, shape (n_windows,)
        Stretch (or piece) id of each window, 0 = the earliest.
    stretch_hours : tuple of float
        Recorded hours of each stretch.
    n_times : int
        Window length in samples.
    """

    file_names: tuple[str, ...]
    file_index: np.ndarray
    starts: np.ndarray
    clock_s: np.ndarray
    stretch: np.ndarray
    stretch_hours: tuple[float, ...]
    n_times: int

    def __len__(self) -> int:
        return int(self.starts.size)

    def by_file(self):
        """Yield ``(file_name, rows)``: the rows of each recording, in order."""
        for i, name in enumerate(self.file_names):
            rows = np.flatnonzero(self.file_index == i)
            if rows.size:
                yield name, rows


@dataclass(frozen=True, eq=False)
class ContinuousOutput:
    """Model probabilities for every window of one seizure's pre-onset record.

    Attributes
    ----------
    seizure_id : int
        ``SeizureEvent.seizure_id``.
    times_min_before_onset : ndarray of shape (n_windows,)
        Positive minutes before onset of each window's start, decreasing (earliest window first).
    probs : ndarray of shape (n_windows,)
        Model probability of the preictal class per window.
    record_hours : float
        Hours of recorded data in the record (the sum over its stretches).
    window_s : float
        Window length in seconds.
    stretch : ndarray of shape (n_windows,) or None
        Stretch id of each window (0 = earliest; a new stretch after every gap longer than ``max_gap_s``);
        ``None``: one stretch.
    stretch_hours : tuple of float
        Recorded hours of each stretch (empty: one stretch of ``record_hours``).
    """

    seizure_id: int
    times_min_before_onset: np.ndarray
    probs: np.ndarray
    record_hours: float
    window_s: float = 5.0
    stretch: np.ndarray | None = field(default=None, repr=False)
    stretch_hours: tuple[float, ...] = ()

    def stretches(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(times_min_before_onset, probs)`` of each stretch, earliest first (the alarms' timeline segments)."""
        if self.stretch is None or self.probs.size == 0:
            return [(self.times_min_before_onset, self.probs)] if self.probs.size else []
        out = []
        for s in np.unique(self.stretch):
            m = self.stretch == s
            out.append((self.times_min_before_onset[m], self.probs[m]))
        return out

    def tail(self, *, min_hours: float = 2.5) -> ContinuousOutput | None:
        """The uninterrupted stretch that ends at onset, if it holds more than ``min_hours`` (CIOPR's input)."""
        if self.probs.size == 0:
            return None
        if self.stretch is None:
            last, hours = np.ones(self.probs.size, dtype=bool), self.record_hours
        else:
            s = int(self.stretch[-1])
            last = self.stretch == s
            hours = self.stretch_hours[s] if self.stretch_hours else self.record_hours
        ends_at_onset = float(self.times_min_before_onset[last][-1]) * 60.0 <= self.window_s + 1e-6
        if not ends_at_onset or hours <= min_hours:
            return None
        return ContinuousOutput(
            self.seizure_id, self.times_min_before_onset[last], self.probs[last], float(hours), self.window_s
        )


def _event(manifest: Manifest, seizure_id: int) -> SeizureEvent:
    for ev in manifest.seizures:
        if ev.seizure_id == seizure_id:
            return ev
    ids = [ev.seizure_id for ev in manifest.seizures]
    raise ManifestError(f"{manifest.case}: no seizure with id {seizure_id!r} (known: {ids}).")


def _floor_clock(manifest: Manifest, onset: float, stop_at_previous_seizure: bool) -> float:
    if not stop_at_previous_seizure:
        return -np.inf
    prev = [e.offset_clock_s for e in manifest.seizures if e.offset_clock_s is not None and e.onset_clock_s < onset]
    return max(prev) if prev else -np.inf


def pre_onset_pieces(
    manifest: Manifest, seizure_id: int, *, max_hours: float = 10.0, stop_at_previous_seizure: bool = True
) -> list[tuple[str, float, float]]:
    """Every recorded piece within ``max_hours`` before a seizure's onset (gaps between them are not filled).

    Returns
    -------
    list of (file_name, start_s, stop_s)
        In chronological order, in seconds from the start of each file; the last piece ends at the onset when
        the onset's file is recorded up to it. Empty when the seizure's times are unknown.
    """
    check_number("max_hours", max_hours, min_value=0.0, inclusive_min=False)
    ev = _event(manifest, seizure_id)
    if ev.onset_clock_s is None:
        return []
    onset = ev.onset_clock_s
    lo = max(onset - max_hours * 3600.0, _floor_clock(manifest, onset, stop_at_previous_seizure))
    pieces = []
    for rec in sorted((r for r in manifest.recordings if r.has_times), key=lambda r: r.start_clock_s):
        a, b = max(rec.start_clock_s, lo), min(rec.end_clock_s, onset)
        if b > a:
            pieces.append((rec.file_name, a - rec.start_clock_s, b - rec.start_clock_s))
    return pieces


def uninterrupted_pre_onset(
    manifest: Manifest, seizure_id: int, *, max_gap_s: float = 60.0, stop_at_previous_seizure: bool = True
) -> list[tuple[str, float, float]]:
    """The contiguous recorded data immediately before a seizure's onset (files chained over gaps <= ``max_gap_s``).

    Returns
    -------
    list of (file_name, start_s, stop_s)
        Pieces in chronological order (seconds from each file's start); the last stops at the onset. Empty when
        the seizure's recording times are unknown.
    """
    check_number("max_gap_s", max_gap_s, min_value=0.0)
    pieces = pre_onset_pieces(manifest, seizure_id, max_hours=1e6, stop_at_previous_seizure=stop_at_previous_seizure)
    ev = _event(manifest, seizure_id)
    chain: list[tuple[str, float, float]] = []
    edge = ev.onset_clock_s
    for name, a, b in reversed(pieces):
        start = manifest.recording(name).start_clock_s
        if start + b < edge - max_gap_s - 1e-9:
            break
        chain.append((name, a, b))
        edge = start + a
    return chain[::-1]


def _grid(piece_start: float, piece_stop: float, onset: float, window_s: float) -> np.ndarray:
    """Onset-aligned window starts (clock s) fully inside ``[piece_start, piece_stop]``, earliest first."""
    n_hi = np.floor((onset - piece_start) / window_s + 1e-9)
    n_lo = np.ceil((onset - (piece_stop - window_s)) / window_s - 1e-9)
    n = np.arange(max(n_lo, 1), n_hi + 1)[::-1]
    return onset - n * window_s


def record_windows(
    manifest: Manifest,
    seizure_id: int,
    *,
    sfreq: float,
    window_s: float = 5.0,
    n_samples: Mapping[str, int] | None = None,
    max_hours: float = 10.0,
    max_gap_s: float = 60.0,
    stop_at_previous_seizure: bool = True,
) -> WindowPlan:
    """The onset-aligned windows of a seizure's pre-onset record, grouped into stretches.

    Parameters
    ----------
    manifest : Manifest
        The patient's recordings.
    seizure_id : int
        ``SeizureEvent.seizure_id``.
    sfreq : float
        Sampling rate of the cached signals in Hz.
    window_s : float
        Window length in seconds.
    n_samples : mapping of str to int or None
        Cached length of each recording in samples (windows never run past it; recordings not listed are
        left out). ``None``: the manifest's durations, every recording.
    max_hours, max_gap_s, stop_at_previous_seizure
        See the module docstring.

    Returns
    -------
    WindowPlan
        Empty when nothing is recorded before the onset.
    """
    check_number("sfreq", sfreq, min_value=0.0, inclusive_min=False)
    check_number("window_s", window_s, min_value=0.0, inclusive_min=False)
    check_number("max_gap_s", max_gap_s, min_value=0.0)
    onset = _event(manifest, seizure_id).onset_clock_s
    n_times = int(round(window_s * sfreq))
    names: list[str] = []
    cols: dict[str, list[np.ndarray]] = {"file": [], "start": [], "clock": [], "stretch": []}
    hours: list[float] = []
    prev_end = None
    pieces = pre_onset_pieces(manifest, seizure_id, max_hours=max_hours, stop_at_previous_seizure=stop_at_previous_seizure)
    for name, a, b in pieces:
        if n_samples is not None and name not in n_samples:
            continue
        rec_start = manifest.recording(name).start_clock_s
        limit = n_samples[name] if n_samples is not None else int(np.floor(manifest.recording(name).duration_s * sfreq + 1e-6))
        b = min(b, limit / sfreq)  # a file shorter than the manifest says ends where its data ends
        if b <= a:
            continue
        if prev_end is None or rec_start + a - prev_end > max_gap_s + 1e-9:
            hours.append(0.0)
        prev_end = rec_start + b
        hours[-1] += (b - a) / 3600.0
        clock = _grid(rec_start + a, rec_start + b, onset, window_s)
        starts = np.round((clock - rec_start) * sfreq).astype(np.int64)
        ok = (starts >= 0) & (starts + n_times <= limit)
        if name not in names:
            names.append(name)
        cols["file"].append(np.full(int(ok.sum()), names.index(name), np.int64))
        cols["start"].append(starts[ok])
        cols["clock"].append(clock[ok])
        cols["stretch"].append(np.full(int(ok.sum()), len(hours) - 1, np.int64))

    def cat(key: str, dtype) -> np.ndarray:
        return np.concatenate(cols[key]).astype(dtype) if cols[key] else np.empty(0, dtype)

    return WindowPlan(
        file_names=tuple(names),
        file_index=cat("file", np.int64),
        starts=cat("start", np.int64),
        clock_s=cat("clock", np.float64),
        stretch=cat("stretch", np.int64),
        stretch_hours=tuple(hours),
        n_times=n_times,
    )


def continuous_from_plan(plan: WindowPlan, probs: np.ndarray, *, onset_clock_s: float, seizure_id: int,
                         window_s: float) -> ContinuousOutput:  # fmt: skip
    """The :class:`ContinuousOutput` of a record whose windows ``plan`` were scored ``probs``."""
    probs = np.asarray(probs, dtype=np.float64)
    return ContinuousOutput(
        seizure_id=int(seizure_id),
        times_min_before_onset=(onset_clock_s - plan.clock_s) / 60.0,
        probs=probs,
        record_hours=float(sum(plan.stretch_hours)),
        window_s=float(window_s),
        stretch=plan.stretch.copy(),
        stretch_hours=tuple(float(h) for h in plan.stretch_hours),
    )
