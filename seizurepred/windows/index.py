"""The window index: which 5 s windows of the cached signals a model sees, as numpy columns (no signal copies).

A :class:`WindowIndex` row is (recording, start sample, label, seizure id, patient-clock time). Windows lie inside
one labelled :class:`~seizurepred.labels.segments.Interval`, so they never cross a recording boundary and never run past
the recording's last sample. Preictal windows overlap (the paper's 66 %, about 3x oversampling); interictal
windows do not, and are then randomly subsampled (seeded) to the preictal count. Rows are in chronological order.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from seizurepred._validate import check_number
from seizurepred.errors import ConfigError
from seizurepred.io.manifest import Manifest
from seizurepred.labels.segments import Interval, Segments

logger = logging.getLogger(__name__)

PREICTAL, INTERICTAL = 1, 0


@dataclass(frozen=True)
class WindowConfig:
    """How labelled intervals are cut into windows.

    Attributes
    ----------
    window_s : float
        Window length in seconds (the paper: 5 s, i.e. 1280 samples at 256 Hz).
    preictal_overlap : float
        Fraction of a window shared with the next preictal window, in [0, 1) (the paper: 66 %).
        Stride = ``window_s * (1 - overlap)``, rounded to whole samples.
    interictal_overlap : float
        The same for interictal windows (the paper: 0).
    balance : bool
        Subsample interictal windows at random (seeded) to the number of preictal windows.
    """

    window_s: float = 5.0
    preictal_overlap: float = 2.0 / 3.0
    interictal_overlap: float = 0.0
    balance: bool = True

    def __post_init__(self) -> None:
        check_number("window_s", self.window_s, min_value=0.0, inclusive_min=False)
        for name in ("preictal_overlap", "interictal_overlap"):
            check_number(name, getattr(self, name), min_value=0.0, max_value=1.0, inclusive_max=False)
        if not isinstance(self.balance, bool):
            raise ConfigError(f"Invalid value for 'balance': allowed True, False; got {self.balance!r}.")

    def n_times(self, sfreq: float) -> int:
        """Window length in samples at ``sfreq`` Hz."""
        return int(round(self.window_s * sfreq))

    def stride(self, sfreq: float, *, label: str) -> int:
        """Stride in samples (at least 1) between consecutive windows of class ``label``."""
        overlap = self.preictal_overlap if label == "preictal" else self.interictal_overlap
        return max(1, int(round(self.n_times(sfreq) * (1.0 - overlap))))


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class WindowIndex:
    """One row per window; every column is a read-only numpy array of length ``n_windows``.

    Attributes
    ----------
    file_names : tuple of str
        Recording file names; ``recording`` indexes into it.
    recording : ndarray of int64, shape (n_windows,)
    start : ndarray of int64, shape (n_windows,)
        First sample of the window in its recording's cached signal.
    label : ndarray of int8, shape (n_windows,)
        1 preictal, 0 interictal.
    seizure_id : ndarray of int32, shape (n_windows,)
        The preictal window's seizure (``SeizureEvent.seizure_id``); -1 for interictal.
    clock_s : ndarray of float64, shape (n_windows,)
        Patient-clock time of the window start in seconds.
    n_times : int
        Window length in samples.
    sfreq : float
        Sampling rate in Hz.
    """

    file_names: tuple[str, ...]
    recording: np.ndarray
    start: np.ndarray
    label: np.ndarray
    seizure_id: np.ndarray
    clock_s: np.ndarray
    n_times: int
    sfreq: float

    def __post_init__(self) -> None:
        cols = {
            "recording": np.int64,
            "start": np.int64,
            "label": np.int8,
            "seizure_id": np.int32,
            "clock_s": np.float64,
        }
        n = len(np.asarray(self.recording))
        for name, dtype in cols.items():
            col = np.asarray(getattr(self, name))
            if col.ndim != 1 or len(col) != n:
                raise ConfigError(
                    f"Invalid value for {name!r}: allowed a 1-D array of length {n}; got {col.shape}."
                )
            if col.dtype != dtype or col.flags.writeable:
                col = _readonly(np.array(col, dtype=dtype))
            object.__setattr__(self, name, col)
        object.__setattr__(self, "file_names", tuple(self.file_names))
        if n and (self.recording.min() < 0 or self.recording.max() >= len(self.file_names)):
            raise ConfigError(
                "Invalid value for 'recording': allowed indices into 'file_names'; got out of range."
            )
        check_number("n_times", self.n_times, min_value=1, integer=True)
        check_number("sfreq", self.sfreq, min_value=0.0, inclusive_min=False)

    def __len__(self) -> int:
        return len(self.recording)

    def __repr__(self) -> str:
        return (
            f"WindowIndex(n_windows={len(self)}, preictal={self.n_preictal}, interictal={self.n_interictal}, "
            f"n_times={self.n_times}, sfreq={self.sfreq:g}, files={len(self.file_names)})"
        )

    @property
    def n_preictal(self) -> int:
        """Number of preictal rows."""
        return int(np.count_nonzero(self.label == PREICTAL))

    @property
    def n_interictal(self) -> int:
        """Number of interictal rows."""
        return int(np.count_nonzero(self.label == INTERICTAL))

    @property
    def window_s(self) -> float:
        """Window length in seconds."""
        return self.n_times / self.sfreq

    @property
    def seizure_ids(self) -> tuple[int, ...]:
        """Seizures with at least one preictal window, sorted."""
        return tuple(int(s) for s in np.unique(self.seizure_id[self.label == PREICTAL]))

    def select(self, mask_or_indices: np.ndarray | Sequence[int]) -> WindowIndex:
        """Return a new index of the selected rows (a boolean mask of length ``len(self)`` or row indices)."""
        sel = np.asarray(mask_or_indices)
        if sel.dtype == bool and sel.shape != (len(self),):
            raise ConfigError(
                f"Invalid value for 'mask_or_indices': allowed a mask of length {len(self)}; got {sel.shape}."
            )
        if sel.dtype != bool:
            sel = sel.astype(np.int64)
            if sel.size and (sel.min() < -len(self) or sel.max() >= len(self)):
                raise ConfigError(
                    f"Invalid value for 'mask_or_indices': allowed rows < {len(self)}; got out of range."
                )
        return WindowIndex(
            self.file_names,
            self.recording[sel],
            self.start[sel],
            self.label[sel],
            self.seizure_id[sel],
            self.clock_s[sel],
            self.n_times,
            self.sfreq,
        )


def _interval_windows(
    interval: Interval, *, sfreq: float, n_times: int, stride: int, n_samples: int
) -> tuple[np.ndarray, np.ndarray]:
    """Start samples and clock times of the windows that fit inside ``interval`` and the recording."""
    lo = math.ceil(interval.start_s * sfreq - 1e-6)
    hi = min(math.floor(interval.stop_s * sfreq + 1e-6), n_samples)
    lo = max(lo, 0)
    if hi - lo < n_times:
        return np.empty(0, np.int64), np.empty(0, np.float64)
    starts = np.arange(lo, hi - n_times + 1, stride, dtype=np.int64)
    clock = interval.start_clock_s + (starts / sfreq - interval.start_s)
    return starts, clock


def _recording_lengths(manifest: Manifest, sfreq: float, n_samples: Mapping[str, int] | None) -> list[int]:
    lengths = []
    for rec in manifest.recordings:
        if n_samples is not None and rec.file_name in n_samples:
            lengths.append(int(n_samples[rec.file_name]))
        elif rec.duration_s is not None:
            lengths.append(int(math.floor(rec.duration_s * sfreq + 1e-6)))
        else:
            lengths.append(0)
    return lengths


def _collect(
    intervals: Sequence[Interval],
    manifest: Manifest,
    *,
    label: str,
    config: WindowConfig,
    sfreq: float,
    lengths: list[int],
    available: Collection[str] | None,
) -> tuple[np.ndarray, ...]:
    n_times, stride = config.n_times(sfreq), config.stride(sfreq, label=label)
    rec_idx, starts, clocks, sids, dropped = [], [], [], [], set()
    for iv in intervals:
        if not 0 <= iv.recording_index < len(manifest.recordings):
            raise ConfigError(
                f"Invalid value for 'segments': interval of recording {iv.recording_index} is not in {manifest.case}."
            )
        name = manifest.recordings[iv.recording_index].file_name
        if available is not None and name not in available:
            dropped.add(name)
            continue
        s, c = _interval_windows(
            iv, sfreq=sfreq, n_times=n_times, stride=stride, n_samples=lengths[iv.recording_index]
        )
        rec_idx.append(np.full(len(s), iv.recording_index, np.int64))
        starts.append(s)
        clocks.append(c)
        sids.append(np.full(len(s), iv.seizure_id if label == "preictal" else -1, np.int32))
    if dropped:
        logger.warning(
            "%s: %d %s interval file(s) not in the cache, dropped: %s",
            manifest.case,
            len(dropped),
            label,
            ", ".join(sorted(dropped)),
        )

    def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(parts) if parts else np.empty(0, dtype)

    return cat(rec_idx, np.int64), cat(starts, np.int64), cat(clocks, np.float64), cat(sids, np.int32)


def build_window_index(
    segments: Segments,
    manifest: Manifest,
    *,
    config: WindowConfig,
    sfreq: float,
    seed: int,
    available: Collection[str] | None = None,
    n_samples: Mapping[str, int] | None = None,
) -> WindowIndex:
    """Cut labelled intervals into windows.

    Parameters
    ----------
    segments : Segments
        Output of :func:`~seizurepred.labels.segments.label_segments` for ``manifest``.
    manifest : Manifest
        The manifest the segments were labelled from (``Interval.recording_index`` indexes its recordings).
    config : WindowConfig
        Window length, per-class overlap, balancing.
    sfreq : float
        Sampling rate of the cached signals in Hz.
    seed : int
        Seed of the interictal subsampling.
    available : collection of str or None
        File names present in the cache (``CacheReport.available``); intervals of other recordings are dropped
        and logged. ``None`` keeps all.
    n_samples : mapping of str to int or None
        True recording lengths in samples (``SignalCache.lengths()``); windows never run past them. Recordings
        not listed use the manifest's duration.

    Returns
    -------
    WindowIndex
        Rows in chronological order (patient clock).
    """
    check_number("sfreq", sfreq, min_value=0.0, inclusive_min=False)
    check_number("seed", int(seed) if isinstance(seed, np.integer) else seed, integer=True)
    lengths = _recording_lengths(manifest, sfreq, n_samples)
    kw = {"config": config, "sfreq": sfreq, "lengths": lengths, "available": available}
    pre = _collect(segments.preictal, manifest, label="preictal", **kw)
    inter = _collect(segments.interictal, manifest, label="interictal", **kw)
    n_pre, n_inter = len(pre[0]), len(inter[0])
    if config.balance and n_inter > n_pre:
        keep = np.sort(np.random.default_rng(seed).choice(n_inter, size=n_pre, replace=False))
        inter = tuple(col[keep] for col in inter)
        logger.info(
            "%s: interictal windows subsampled %d -> %d (seed %d)", manifest.case, n_inter, n_pre, seed
        )
    elif config.balance and n_inter < n_pre:
        logger.warning(
            "%s: only %d interictal windows for %d preictal ones; cannot balance by subsampling",
            manifest.case,
            n_inter,
            n_pre,
        )
    label = np.concatenate(
        [np.full(len(pre[0]), PREICTAL, np.int8), np.full(len(inter[0]), INTERICTAL, np.int8)]
    )
    cols = [np.concatenate([p, q]) for p, q in zip(pre, inter)]
    order = np.lexsort((cols[1], cols[0], cols[2]))  # by clock, then recording, then start
    rec, start, clock, sid = (c[order] for c in cols)
    return WindowIndex(
        tuple(r.file_name for r in manifest.recordings),
        rec,
        start,
        label[order],
        sid,
        clock,
        config.n_times(sfreq),
        float(sfreq),
    )
