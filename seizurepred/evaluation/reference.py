"""Reference EEG for the OPP selector: recorded stretches that no model trained on and no label touches (pure).

The selector (:mod:`seizurepred.evaluation.opp`) asks whether a model's output in a band before the held-out onset
is higher than its output on EEG of the same patient that is neither preictal nor interictal under any swept
length, and lies at least ``margin_min`` from every labelled stretch. No fold trains on such EEG under either
protocol (training and validation windows are labelled windows), so the comparison is free of the paper
protocol's leakage: a model that memorised its training interictal data gives no advantage to the band.

Reference EEG = recorded time minus

* every interictal interval of the labelling, widened by ``margin_min`` on both sides;
* for every seizure with known times, ``[onset - SPH - longest swept length - margin, offset +
  interictal_after_end_min]`` (its preictal periods under every swept length, the seizure, its postictal hour).

With the paper's distances (interictal >= 4 h before onsets) this is, before each seizure, the EEG from
``240 - margin`` to ``longest + SPH + margin`` minutes before onset (2.5 h with lengths up to 60 min and a 15 min
margin). Windows are cut from the start of each piece, back to back; pieces a few seconds apart (consecutive files)
form one stretch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from seizurepred._validate import check_number
from seizurepred.evaluation.continuous import WindowPlan
from seizurepred.io.manifest import Manifest
from seizurepred.labels.segments import LabelConfig, label_segments

__all__ = ["ReferenceOutput", "reference_pieces", "reference_windows"]


def _subtract(spans: list[tuple[float, float]], cuts: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    for lo, hi in cuts:
        spans = [q for a, b in spans for q in ((a, min(b, lo)), (max(a, hi), b)) if q[1] > q[0]]
    return spans


def reference_pieces(
    manifest: Manifest, *, label: LabelConfig, longest_preictal_min: float, margin_min: float = 15.0
) -> list[tuple[str, float, float]]:
    """Recorded pieces of reference EEG (see the module docstring).

    Parameters
    ----------
    manifest : Manifest
        The patient.
    label : LabelConfig
        The labelling (its interictal distances and SPH; the preictal length is replaced by the longest swept).
    longest_preictal_min : float
        The longest swept preictal length in minutes.
    margin_min : float
        Distance kept from every labelled stretch.

    Returns
    -------
    list of (file_name, start_s, stop_s)
        Seconds from the start of each file, in clock order.
    """
    check_number("longest_preictal_min", longest_preictal_min, min_value=0.0, inclusive_min=False)
    check_number("margin_min", margin_min, min_value=0.0)
    margin = margin_min * 60.0
    segments = label_segments(manifest, config=label)
    cuts = [(iv.start_clock_s - margin, iv.stop_clock_s + margin) for iv in segments.interictal]
    before = (longest_preictal_min + label.sph_min) * 60.0 + margin
    after = label.interictal_after_end_min * 60.0
    for ev in manifest.seizures:
        if ev.onset_clock_s is not None:
            cuts.append((ev.onset_clock_s - before, ev.offset_clock_s + after))
    out = []
    for rec in sorted((r for r in manifest.recordings if r.has_times), key=lambda r: r.start_clock_s):
        for a, b in _subtract([(rec.start_clock_s, rec.end_clock_s)], cuts):
            out.append((rec.file_name, a - rec.start_clock_s, b - rec.start_clock_s))
    return out


def reference_windows(
    manifest: Manifest,
    pieces: Sequence[tuple[str, float, float]],
    *,
    sfreq: float,
    window_s: float = 5.0,
    n_samples: Mapping[str, int] | None = None,
    max_gap_s: float = 60.0,
) -> WindowPlan:
    """Back-to-back windows of each reference piece; cached recordings only.

    ``stretch`` numbers the stretches of reference EEG: consecutive pieces whose gap is at most ``max_gap_s``
    (files a few seconds apart) form one stretch, as in the pre-onset record.
    """
    check_number("sfreq", sfreq, min_value=0.0, inclusive_min=False)
    check_number("window_s", window_s, min_value=0.0, inclusive_min=False)
    n_times = int(round(window_s * sfreq))
    names: list[str] = []
    parts: list[tuple[np.ndarray, ...]] = []
    hours: list[float] = []
    prev_end = None
    for name, a, b in pieces:
        if n_samples is not None and name not in n_samples:
            continue
        rec = manifest.recording(name)
        limit = n_samples[name] if n_samples is not None else int(np.floor(rec.duration_s * sfreq + 1e-6))
        b = min(b, limit / sfreq)
        if b <= a:
            continue
        first = int(np.ceil(a * sfreq - 1e-6))
        starts = np.arange(first, int(np.floor(b * sfreq + 1e-6)) - n_times + 1, n_times, dtype=np.int64)
        if name not in names:
            names.append(name)
        if prev_end is None or rec.start_clock_s + a - prev_end > max_gap_s + 1e-9:
            hours.append(0.0)  # a new stretch after a gap longer than max_gap_s
        prev_end = rec.start_clock_s + b
        hours[-1] += (b - a) / 3600.0
        clock = rec.start_clock_s + starts / sfreq
        parts.append((np.full(starts.size, names.index(name)), starts, clock, np.full(starts.size, len(hours) - 1)))

    def cat(i: int, dtype) -> np.ndarray:
        return np.concatenate([p[i] for p in parts]).astype(dtype) if parts else np.empty(0, dtype)

    return WindowPlan(tuple(names), cat(0, np.int64), cat(1, np.int64), cat(2, np.float64), cat(3, np.int64),
                      tuple(hours), n_times)  # fmt: skip


@dataclass(frozen=True, eq=False)
class ReferenceOutput:
    """One model's output over the patient's reference EEG.

    Attributes
    ----------
    clock_s : ndarray of shape (n_windows,)
        Patient-clock start of each window.
    probs : ndarray of shape (n_windows,)
        Model probability of the preictal class.
    piece : ndarray of int, shape (n_windows,)
        Stretch of each window (windows of one stretch are back to back, apart from gaps of seconds between files).
    window_s : float
        Window length in seconds.
    """

    clock_s: np.ndarray
    probs: np.ndarray
    piece: np.ndarray
    window_s: float = 5.0

    @property
    def hours(self) -> float:
        """Hours of reference EEG scored."""
        return float(self.probs.size * self.window_s / 3600.0)

    def n_disjoint(self, n_windows: int) -> int:
        """How many disjoint runs of ``n_windows`` windows the pieces hold (whole runs within a piece)."""
        check_number("n_windows", n_windows, min_value=1, integer=True)
        _, counts = np.unique(self.piece, return_counts=True)
        return int(np.sum(counts // n_windows))

    def local_contrasts(self, n_windows: int, *, step: int = 1) -> np.ndarray:
        """Mean of ``n_windows`` windows minus the mean of the ``n_windows`` just before them, at every position
        (every ``step`` windows) within each piece: the reference distribution of the selector's contrast."""
        check_number("n_windows", n_windows, min_value=1, integer=True)
        check_number("step", step, min_value=1, integer=True)
        out = []
        for p in np.unique(self.piece):
            v = self.probs[self.piece == p]
            if v.size < 2 * n_windows:
                continue
            c = np.concatenate([[0.0], np.cumsum(v)])
            starts = np.arange(0, v.size - 2 * n_windows + 1, step)
            earlier = (c[starts + n_windows] - c[starts]) / n_windows
            later = (c[starts + 2 * n_windows] - c[starts + n_windows]) / n_windows
            out.append(later - earlier)
        return np.concatenate(out) if out else np.empty(0)
