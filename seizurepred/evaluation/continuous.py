"""The model's continuous output over a seizure's uninterrupted pre-onset record (the input of CIOPR).

Time convention: ``times_min_before_onset`` is **positive** minutes before the seizure onset (90 = 90 min before
onset) of each window's *start*; window ``i`` covers ``[t_i - window_s / 60, t_i]`` minutes before onset. Windows
sit on a grid aligned to the onset: window starts are ``onset - n * window_s`` for n = 1, 2, ..., so the last window
ends exactly at onset. A window that would straddle a file boundary or a gap is skipped (not padded).

Uninterrupted pre-onset record [R]: walking back from the onset through the recordings in clock order, files are
chained while the gap between one file's end and the next file's start is at most ``max_gap_s``; the chain also
stops at the end of a previous seizure (``stop_at_previous_seizure``, default on: ictal and postictal output would
otherwise enter the interictal part of the curve). Recordings with unknown times are ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from seizurepred._validate import check_number
from seizurepred.errors import ConfigError, ManifestError
from seizurepred.io.manifest import Manifest, SeizureEvent

__all__ = ["ContinuousOutput", "continuous_output", "uninterrupted_pre_onset"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
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
        Hours of recorded data used (sum of the pieces, at most ``max_hours``).
    window_s : float
        Window length in seconds.
    """

    seizure_id: int
    times_min_before_onset: np.ndarray
    probs: np.ndarray
    record_hours: float
    window_s: float = 5.0


def _event(manifest: Manifest, seizure_id: int) -> SeizureEvent:
    for ev in manifest.seizures:
        if ev.seizure_id == seizure_id:
            return ev
    ids = [ev.seizure_id for ev in manifest.seizures]
    raise ManifestError(f"{manifest.case}: no seizure with id {seizure_id!r} (known: {ids}).")


def uninterrupted_pre_onset(
    manifest: Manifest, seizure_id: int, *, max_gap_s: float = 60.0, stop_at_previous_seizure: bool = True
) -> list[tuple[str, float, float]]:
    """The contiguous recorded data immediately before a seizure's onset.

    Parameters
    ----------
    manifest : Manifest
        The patient's recordings.
    seizure_id : int
        ``SeizureEvent.seizure_id`` of the seizure.
    max_gap_s : float
        Largest gap in seconds between consecutive files that still counts as uninterrupted.
    stop_at_previous_seizure : bool
        Stop the chain at the end (offset) of the latest earlier seizure.

    Returns
    -------
    list of (file_name, start_s, stop_s)
        Pieces in chronological order, in seconds from the start of each file; the last piece stops at the
        onset. Empty when the seizure's recording times are unknown.
    """
    check_number("max_gap_s", max_gap_s, min_value=0.0)
    ev = _event(manifest, seizure_id)
    if ev.onset_clock_s is None:
        return []
    onset = ev.onset_clock_s
    floor_clock = -np.inf
    if stop_at_previous_seizure:
        prev = [
            e.offset_clock_s
            for e in manifest.seizures
            if e.offset_clock_s is not None and e.onset_clock_s < onset
        ]
        if prev:
            floor_clock = max(prev)
    recs = sorted((r for r in manifest.recordings if r.has_times), key=lambda r: r.start_clock_s)
    pieces: list[tuple[str, float, float]] = []
    chain_start = onset
    for rec in reversed(recs):
        if rec.start_clock_s >= chain_start:
            continue
        if rec.end_clock_s < chain_start - max_gap_s:
            break
        start = max(rec.start_clock_s, floor_clock)
        stop = min(rec.end_clock_s, chain_start)
        if stop > start:
            pieces.append((rec.file_name, start - rec.start_clock_s, stop - rec.start_clock_s))
        chain_start = start
        if start <= floor_clock:
            break
    pieces.reverse()
    return pieces


def _trim(pieces: list[tuple[str, float, float]], manifest: Manifest, onset: float, max_s: float):
    out = []
    for name, a, b in pieces:
        rec_start = manifest.recording(name).start_clock_s
        a = max(a, onset - max_s - rec_start)
        if b > a:
            out.append((name, a, b))
    return out


def _window_starts(piece, rec_start: float, onset: float, window_s: float, sfreq: float, n_avail: int):
    """Grid windows (aligned to the onset) fully inside one piece: (start samples, minutes before onset)."""
    _, a, b = piece
    n_hi = np.floor((onset - (rec_start + a)) / window_s + 1e-9)  # earliest window index that fits
    n_lo = np.ceil((onset - (rec_start + b - window_s)) / window_s - 1e-9)
    n = np.arange(max(n_lo, 1), n_hi + 1)[::-1]
    clock = onset - n * window_s
    samples = np.round((clock - rec_start) * sfreq).astype(np.int64)
    n_times = int(round(window_s * sfreq))
    ok = (samples >= 0) & (samples + n_times <= n_avail)
    return samples[ok], (n[ok] * window_s) / 60.0


def continuous_output(
    predict_fn: Callable[[np.ndarray], np.ndarray],
    cache,
    manifest: Manifest,
    seizure_id: int,
    *,
    sfreq: float,
    window_s: float = 5.0,
    min_hours: float = 2.5,
    max_hours: float = 10.0,
    batch_size: int = 256,
    max_gap_s: float = 60.0,
    stop_at_previous_seizure: bool = True,
) -> ContinuousOutput | None:
    """Model probability of every ``window_s`` window of the seizure's uninterrupted pre-onset record.

    Eligible when the recorded duration of :func:`uninterrupted_pre_onset` exceeds ``min_hours``; only its last
    ``max_hours`` of patient-clock time before onset are used (gaps inside them are not filled). Windows are read from ``cache.signal(file_name)`` (``(n_chans, n_samples)`` float32)
    and scored ``batch_size`` at a time by ``predict_fn(X (B, C, T)) -> (B,)`` probabilities.

    Parameters
    ----------
    predict_fn : callable
        Maps a float32 array of shape (B, n_chans, n_times) to probabilities of shape (B,).
    cache : SignalCache-like
        Has ``signal(file_name)``.
    manifest : Manifest
        The patient's recordings.
    seizure_id : int
        ``SeizureEvent.seizure_id``.
    sfreq : float
        Sampling rate of the cached signals in Hz.
    window_s, min_hours, max_hours : float
        Window length (s), eligibility threshold and maximum length used (h).
    batch_size : int
        Windows per ``predict_fn`` call.
    max_gap_s, stop_at_previous_seizure
        As in :func:`uninterrupted_pre_onset`.

    Returns
    -------
    ContinuousOutput or None
        ``None`` (reason logged at INFO) when the seizure is ineligible.
    """
    check_number("sfreq", sfreq, min_value=0.0, inclusive_min=False)
    check_number("window_s", window_s, min_value=0.0, inclusive_min=False)
    check_number("min_hours", min_hours, min_value=0.0)
    check_number("max_hours", max_hours, min_value=min_hours, inclusive_min=False)
    check_number("batch_size", batch_size, min_value=1, integer=True)
    pieces = uninterrupted_pre_onset(
        manifest, seizure_id, max_gap_s=max_gap_s, stop_at_previous_seizure=stop_at_previous_seizure
    )
    ev = _event(manifest, seizure_id)
    hours = sum(b - a for _, a, b in pieces) / 3600.0
    if not pieces or hours <= min_hours:
        logger.info(
            "%s seizure %d: not eligible for CIOPR: %.2f h of uninterrupted pre-onset data (need > %g h).",
            manifest.case,
            seizure_id,
            hours,
            min_hours,
        )
        return None
    pieces = _trim(pieces, manifest, ev.onset_clock_s, max_hours * 3600.0)
    times_all, probs_all = [], []
    for piece in pieces:
        sig = cache.signal(piece[0])
        rec_start = manifest.recording(piece[0]).start_clock_s
        starts, times = _window_starts(piece, rec_start, ev.onset_clock_s, window_s, sfreq, sig.shape[-1])
        probs_all.append(_predict_piece(predict_fn, sig, starts, int(round(window_s * sfreq)), batch_size))
        times_all.append(times)
    return ContinuousOutput(
        seizure_id=seizure_id,
        times_min_before_onset=np.concatenate(times_all),
        probs=np.concatenate(probs_all),
        record_hours=sum(b - a for _, a, b in pieces) / 3600.0,
        window_s=float(window_s),
    )


def _predict_piece(predict_fn, sig, starts: np.ndarray, n_times: int, batch_size: int) -> np.ndarray:
    out = np.empty(starts.size, dtype=np.float64)
    offsets = np.arange(n_times)
    for i in range(0, starts.size, batch_size):
        idx = starts[i : i + batch_size, None] + offsets  # (B, T)
        X = np.ascontiguousarray(np.asarray(sig)[:, idx].transpose(1, 0, 2), dtype=np.float32)  # (B, C, T)
        p = np.asarray(predict_fn(X), dtype=np.float64).reshape(-1)
        if p.shape != (X.shape[0],) or not np.isfinite(p).all():
            raise ConfigError(
                f"Invalid value for 'predict_fn': allowed a function returning {X.shape[0]} finite "
                f"probabilities; got shape {p.shape}."
            )
        out[i : i + X.shape[0]] = p
    return out
