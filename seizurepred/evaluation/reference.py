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

**Held-out interictal EEG.** Real CHB-MIT cases are recorded in short files around their seizures, and that
stretch is often missing: with the paper's labels chb03, chb11, chb19 and chb23 have none at all, and half of the
paper's 19 cases have under 3 h (``benchmarks/selector_calibration.py --geometry``). So the reference is topped
up from the interictal pool (:class:`ReferenceOptions`, the ``[reference]`` table): blocks of ``block_min``
minutes, spread evenly over the interictal EEG, are held out from the training and test data of *every* fold
(with ``margin_min`` of interictal EEG on each side dropped too) until the reference holds ``target_h`` hours, or
``max_fraction`` of the interictal hours is held out. No fold's model has seen those blocks, so they are reference
EEG in the sense above; which blocks they are is a function of the manifest and the config alone
(:func:`holdout_blocks`), the same in every fold, executor and process.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from seizurepred._validate import check_number, check_option
from seizurepred.evaluation.continuous import WindowPlan
from seizurepred.io.manifest import Manifest
from seizurepred.labels.segments import LabelConfig, label_segments

__all__ = ["ReferenceOptions", "ReferenceOutput", "holdout_blocks", "reference_pieces", "reference_windows"]

#: A clock span ``(start_clock_s, stop_clock_s)``.
Span = tuple[float, float]


@dataclass(frozen=True)
class ReferenceOptions:
    """Which interictal EEG is held out from every fold as the OPP selector's reference (the ``[reference]`` table).

    Attributes
    ----------
    holdout : {"auto", "off"}
        ``"auto"``: top the natural reference up to ``target_h`` with held-out interictal blocks; ``"off"``: the
        natural reference alone (the behaviour before 0.3).
    target_h : float
        Hours of reference EEG wanted (natural + held out).
    max_fraction : float
        Largest share of the interictal hours held out.
    block_min : float
        Length of one held-out block in minutes (blocks shorter than this, at the ends of files, are not used).
    margin_min : float
        Interictal EEG dropped on each side of a held-out block (neither trained on nor reference).
    """

    holdout: str = "auto"
    target_h: float = 6.0
    max_fraction: float = 0.25
    block_min: float = 60.0
    margin_min: float = 10.0

    def __post_init__(self) -> None:
        check_option("holdout", self.holdout, ("auto", "off"))
        check_number("target_h", self.target_h, min_value=0.0)
        check_number("max_fraction", self.max_fraction, min_value=0.0, max_value=0.9)
        check_number("block_min", self.block_min, min_value=1.0)
        check_number("margin_min", self.margin_min, min_value=0.0)


def _subtract(spans: list[tuple[float, float]], cuts: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    for lo, hi in cuts:
        spans = [q for a, b in spans for q in ((a, min(b, lo)), (max(a, hi), b)) if q[1] > q[0]]
    return spans


def _natural_spans(
    manifest: Manifest, label: LabelConfig, longest_preictal_min: float, margin_min: float
) -> list[Span]:
    """Clock spans of recorded EEG that no label touches (the natural reference; module docstring)."""
    margin = margin_min * 60.0
    segments = label_segments(manifest, config=label)
    cuts = [(iv.start_clock_s - margin, iv.stop_clock_s + margin) for iv in segments.interictal]
    before = (longest_preictal_min + label.sph_min) * 60.0 + margin
    after = label.interictal_after_end_min * 60.0
    for ev in manifest.seizures:
        if ev.onset_clock_s is not None:
            cuts.append((ev.onset_clock_s - before, ev.offset_clock_s + after))
    out: list[Span] = []
    for rec in sorted((r for r in manifest.recordings if r.has_times), key=lambda r: r.start_clock_s):
        out += _subtract([(rec.start_clock_s, rec.end_clock_s)], cuts)
    return out


def holdout_blocks(
    manifest: Manifest,
    *,
    label: LabelConfig,
    longest_preictal_min: float,
    margin_min: float = 15.0,
    options: ReferenceOptions = ReferenceOptions(),
) -> tuple[Span, ...]:
    """Interictal blocks held out from every fold as reference EEG (see the module docstring).

    Parameters
    ----------
    manifest : Manifest
        The patient.
    label : LabelConfig
        The labelling (interictal distances and SPH).
    longest_preictal_min : float
        The longest swept preictal length in minutes.
    margin_min : float
        The natural reference's distance from labelled stretches (``[selector] margin_min``).
    options : ReferenceOptions
        How much to hold out.

    Returns
    -------
    tuple of (start_clock_s, stop_clock_s)
        Whole blocks of ``options.block_min`` within interictal intervals, in clock order, evenly spread over the
        candidate blocks; empty with ``holdout="off"`` or when the natural reference already holds ``target_h``.
    """
    check_number("longest_preictal_min", longest_preictal_min, min_value=0.0, inclusive_min=False)
    if options.holdout == "off":
        return ()
    natural_h = sum(b - a for a, b in _natural_spans(manifest, label, longest_preictal_min, margin_min)) / 3600.0
    segments = label_segments(manifest, config=label)
    block_s, margin_s = options.block_min * 60.0, options.margin_min * 60.0
    n_need = math.ceil(max(0.0, options.target_h - natural_h) * 3600.0 / block_s - 1e-9)
    n_cap = int(options.max_fraction * segments.interictal_hours * 3600.0 / block_s + 1e-9)
    stretches: list[list[float]] = []  # interictal intervals of consecutive files (gaps <= 60 s) form one stretch
    for iv in segments.interictal:
        if stretches and iv.start_clock_s - stretches[-1][1] <= 60.0:
            stretches[-1][1] = max(stretches[-1][1], iv.stop_clock_s)
        else:
            stretches.append([iv.start_clock_s, iv.stop_clock_s])
    candidates: list[Span] = []
    for a, b in stretches:  # a block keeps margin_s of interictal EEG on each side for the cut
        lo, hi = a + margin_s, b - margin_s
        n_fit = int((hi - lo) // (block_s + 2 * margin_s)) + int((hi - lo) % (block_s + 2 * margin_s) >= block_s)
        candidates += [(lo + j * (block_s + 2 * margin_s), lo + j * (block_s + 2 * margin_s) + block_s)
                       for j in range(max(n_fit, 0))]  # fmt: skip
    n = min(n_need, n_cap, len(candidates))
    if n <= 0:
        return ()
    picks = np.unique(np.round(np.linspace(0, len(candidates) - 1, n)).astype(int))
    return tuple(candidates[i] for i in picks)


def holdout_cuts(blocks: Sequence[Span], options: ReferenceOptions = ReferenceOptions()) -> tuple[Span, ...]:
    """Clock spans taken from every fold's interictal data for ``blocks``: each block widened by ``margin_min``."""
    m = options.margin_min * 60.0
    return tuple((a - m, b + m) for a, b in blocks)


def reference_pieces(
    manifest: Manifest,
    *,
    label: LabelConfig,
    longest_preictal_min: float,
    margin_min: float = 15.0,
    holdout: Sequence[Span] = (),
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
    holdout : sequence of (start_clock_s, stop_clock_s)
        Interictal blocks held out from every fold (:func:`holdout_blocks`), added to the reference.

    Returns
    -------
    list of (file_name, start_s, stop_s)
        Seconds from the start of each file, in clock order.
    """
    check_number("longest_preictal_min", longest_preictal_min, min_value=0.0, inclusive_min=False)
    check_number("margin_min", margin_min, min_value=0.0)
    spans = sorted(_natural_spans(manifest, label, longest_preictal_min, margin_min) + [tuple(b) for b in holdout])
    out = []
    for rec in sorted((r for r in manifest.recordings if r.has_times), key=lambda r: r.start_clock_s):
        for a, b in spans:
            lo, hi = max(a, rec.start_clock_s), min(b, rec.end_clock_s)
            if hi > lo:
                out.append((rec.file_name, lo - rec.start_clock_s, hi - rec.start_clock_s))
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

    def n_contrasts(self, n_windows: int, n_before: int | None = None) -> int:
        """How many disjoint *contrasts* of ``n_windows`` windows against the ``n_before`` (default as many) before
        them the pieces hold (each spans both): the effective number of independent reference contrasts."""
        check_number("n_windows", n_windows, min_value=1, integer=True)
        return self.n_disjoint(n_windows + (n_windows if n_before is None else int(n_before)))

    def local_contrasts(self, n_windows: int, *, step: int = 1, n_before: int | None = None) -> np.ndarray:
        """Mean of ``n_windows`` windows minus the mean of the ``n_before`` (default as many) just before them, at
        every position (every ``step`` windows) within each piece: the reference distribution of the selector's
        contrast."""
        check_number("n_windows", n_windows, min_value=1, integer=True)
        check_number("step", step, min_value=1, integer=True)
        m = n_windows if n_before is None else int(n_before)
        check_number("n_before", m, min_value=1, integer=True)
        out = []
        for p in np.unique(self.piece):
            v = self.probs[self.piece == p]
            if v.size < n_windows + m:
                continue
            c = np.concatenate([[0.0], np.cumsum(v)])
            starts = np.arange(0, v.size - n_windows - m + 1, step)
            earlier = (c[starts + m] - c[starts]) / m
            later = (c[starts + m + n_windows] - c[starts + m]) / n_windows
            out.append(later - earlier)
        return np.concatenate(out) if out else np.empty(0)
