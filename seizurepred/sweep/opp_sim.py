"""The OPP selector on a patient's real geometry with simulated model outputs (pure; no EEG, no training).

What a sweep hands the selector is fixed by the recordings: which held-out seizures have their band and the
stretch before it recorded, where gaps and earlier seizures' postictal hours fall, and how much reference EEG
every fold shares (:mod:`seizurepred.evaluation.reference`, with the interictal hold-out of ``[reference]``).
:func:`selector_geometry` takes all of that from a manifest and a :class:`~seizurepred.sweep.config.SweepConfig`
(the committed manifests of the real CHB-MIT cases, or a synthetic patient's), and :func:`simulate_selector`
runs the selector on outputs drawn over that geometry:

* every fold's model output = a patient-wide *state* process (levels 0.1-0.7 held for 20-90 min, as sleep and
  wakefulness, shared by all folds: the same EEG) + a fold's own slower deviations (SD 0.05, each model reads the
  EEG a little differently) + window noise (SD 0.05), clipped to [0, 1];
* a planted change adds ``lift * shape(u)`` within ``start_min`` before every onset (``u`` = 0 at the start, 1 at
  onset; shapes ``linear``, ``raised_cosine`` (slow start), ``sigmoid``, ``step``), in every window of the clock,
  reference EEG included when the change begins further out than the reference's distance from onsets;
* the same reference windows are scored by every fold, as in a sweep.

``benchmarks/selector_calibration.py`` runs it on every eligible case (null and planted), and the tests keep its
false-finding rate and the interval's coverage in check.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seizurepred._validate import check_number, check_option
from seizurepred.evaluation.continuous import ContinuousOutput, record_windows
from seizurepred.evaluation.opp import (
    LengthEvidence,
    adjust,
    band_evidence,
    bands,
    opp_interval,
    postictal_spans,
    select_opp,
    verdict,
)
from seizurepred.evaluation.reference import ReferenceOutput, reference_pieces, reference_windows
from seizurepred.io.manifest import Manifest
from seizurepred.sweep.config import SweepConfig
from seizurepred.sweep.plan import fold_segments, reference_holdout

__all__ = ["SHAPES", "SelectorGeometry", "SimOutcome", "selector_geometry", "simulate_selector", "shape_curve"]

#: Onset shapes of a planted change (``u`` in [0, 1] from its start to onset).
SHAPES = ("linear", "raised_cosine", "sigmoid", "step")


def shape_curve(u: np.ndarray, shape: str) -> np.ndarray:
    """The planted change's amplitude at ``u`` (0 at its start, 1 at onset; 0 outside [0, 1])."""
    check_option("shape", shape, SHAPES)
    u = np.clip(u, 0.0, 1.0)
    if shape == "linear":
        out = u
    elif shape == "raised_cosine":
        out = 0.5 - 0.5 * np.cos(np.pi * u)
    elif shape == "sigmoid":
        lo, hi = 1.0 / (1.0 + math.exp(6.0)), 1.0 / (1.0 + math.exp(-6.0))
        out = (1.0 / (1.0 + np.exp(-12.0 * (u - 0.5))) - lo) / (hi - lo)
    else:
        out = (u > 0).astype(np.float64)
    return np.where(u > 0, out, 0.0)


@dataclass(frozen=True, eq=False)
class SelectorGeometry:
    """What the recordings fix about the selector's test for one patient and sweep config.

    Attributes
    ----------
    case : str
    preictal_mins : tuple of int
        Swept lengths.
    folds : dict of int to tuple of int
        Length -> the held-out seizures its folds test (usable seizures of that length's labels).
    onsets_s : dict of int to float
        Seizure -> onset on the patient clock.
    record_clock_s : dict of int to ndarray
        Seizure -> clock time of each window of its pre-onset record (earliest first).
    record_stretch : dict of int to ndarray
        Seizure -> stretch id of each record window.
    reference_clock_s, reference_piece : ndarray
        The shared reference windows and their stretch ids.
    excluded : dict of int to list of (lo, hi)
        Seizure -> minutes before its onset in an earlier seizure's postictal exclusion.
    reference_h : float
        Hours of reference EEG.
    window_s : float
    """

    case: str
    preictal_mins: tuple[int, ...]
    folds: dict[int, tuple[int, ...]]
    onsets_s: dict[int, float]
    record_clock_s: dict[int, np.ndarray]
    record_stretch: dict[int, np.ndarray]
    reference_clock_s: np.ndarray
    reference_piece: np.ndarray
    excluded: dict[int, list[tuple[float, float]]]
    reference_h: float
    window_s: float


def selector_geometry(manifest: Manifest, config: SweepConfig) -> SelectorGeometry:
    """The selector's geometry of ``manifest`` under the sweep ``config`` (recording durations from the manifest).

    Parameters
    ----------
    manifest : Manifest
        The patient (e.g. a committed manifest of a real case).
    config : SweepConfig
        Lengths, labels, window length, selector and ``[reference]`` options.
    """
    w = config.window.window_s
    longest = max(config.preictal_mins)
    folds = {}
    for k in config.preictal_mins:
        seg = fold_segments(manifest, config.label_for(k), config)
        folds[int(k)] = seg.usable_seizure_ids if seg.eligible else ()
    sids = sorted({s for v in folds.values() for s in v})
    onsets = {ev.seizure_id: ev.onset_clock_s for ev in manifest.seizures if ev.onset_clock_s is not None}
    rec_clock, rec_stretch = {}, {}
    for sid in sids:
        plan = record_windows(manifest, sid, sfreq=manifest.sfreq, window_s=w)
        rec_clock[sid], rec_stretch[sid] = plan.clock_s, plan.stretch
    pieces = reference_pieces(manifest, label=config.label_for(longest), longest_preictal_min=longest,
                              margin_min=config.selector.margin_min, holdout=reference_holdout(manifest, config))  # fmt: skip
    ref = reference_windows(manifest, pieces, sfreq=manifest.sfreq, window_s=w)
    times = [(ev.onset_clock_s, ev.offset_clock_s) for ev in manifest.seizures if ev.onset_clock_s is not None]
    excluded = {sid: postictal_spans(onsets[sid], times, postictal_min=config.label.postictal_exclusion_min)
                for sid in sids}  # fmt: skip
    return SelectorGeometry(
        case=manifest.case, preictal_mins=tuple(int(k) for k in config.preictal_mins), folds=folds,
        onsets_s={s: onsets[s] for s in sids}, record_clock_s=rec_clock, record_stretch=rec_stretch,
        reference_clock_s=ref.clock_s, reference_piece=ref.stretch, excluded=excluded,
        reference_h=float(ref.clock_s.size * w / 3600.0), window_s=w,
    )  # fmt: skip


@dataclass(frozen=True)
class SimOutcome:
    """One simulated patient's selector outcome."""

    opp_min: int | None
    verdict: str
    interval: tuple[float, float | None] | None
    evidence: tuple[LengthEvidence, ...]


def _states(rng: np.random.Generator, n: int, lo: float, hi: float, sd: float = 0.0) -> np.ndarray:
    """Piecewise-constant levels held for 240-1080 windows (20-90 min of 5-s windows)."""
    out, i = np.empty(n), 0
    while i < n:
        length = int(rng.integers(240, 1080))
        out[i : i + length] = rng.uniform(lo, hi) if sd == 0.0 else rng.normal(0.0, sd)
        i += length
    return out


def simulate_selector(
    geometry: SelectorGeometry,
    rng: np.random.Generator,
    config: SweepConfig,
    *,
    start_min: float | Sequence[float] | None = None,
    shape: str = "linear",
    lift: float = 0.3,
    seed: int = 0,
) -> SimOutcome:
    """Draw every fold's output over ``geometry`` and run the selector of ``config`` on it.

    Parameters
    ----------
    geometry : SelectorGeometry
    rng : numpy Generator
        Source of the simulated outputs.
    config : SweepConfig
        The selector's options, the labels' SPH.
    start_min : float, sequence of float or None
        Minutes before onset at which a planted change begins (one per seizure, in seizure-id order, or one for
        all); ``None``: a null patient.
    shape : str
        One of :data:`SHAPES`.
    lift : float
        Output lift at onset.
    seed : int
        Seed of the selector's Monte Carlo null.
    """
    check_number("lift", lift, min_value=0.0)
    w = geometry.window_s
    every = [geometry.record_clock_s[s] for s in geometry.record_clock_s] + [geometry.reference_clock_s]
    every = [c for c in every if c.size]
    t0 = min(float(c.min()) for c in every) if every else 0.0
    t1 = max(float(c.max()) for c in every) + w if every else w
    n = int(math.ceil((t1 - t0) / w)) + 1
    latent = _states(rng, n, 0.1, 0.7) + rng.normal(0.0, 0.05, n)
    sids = sorted(geometry.onsets_s)
    starts = {} if start_min is None else (
        dict(zip(sids, start_min, strict=False)) if isinstance(start_min, Sequence) else {s: float(start_min) for s in sids}
    )  # fmt: skip
    if starts:
        grid = t0 + np.arange(n) * w
        for sid, start in starts.items():
            before_min = (geometry.onsets_s[sid] - grid) / 60.0
            latent = latent + lift * shape_curve(1.0 - before_min / start, shape) * (before_min > 0)

    def fold_output(clock: np.ndarray, dev: np.ndarray) -> np.ndarray:
        i = np.clip(((clock - t0) / w).astype(np.int64), 0, n - 1)
        return np.clip(latent[i] + dev[i], 0.0, 1.0)

    band_of = bands(geometry.preictal_mins, sph_min=config.label.sph_min)
    evidence = []
    for k in sorted(geometry.preictal_mins, reverse=True):
        records, refs = {}, {}
        for sid in geometry.folds.get(k, ()):
            clock = geometry.record_clock_s[sid]
            if clock.size == 0:
                continue
            dev = _states(rng, n, 0.0, 0.0, sd=0.05)  # this fold's model's own reading of the EEG
            records[sid] = ContinuousOutput(sid, (geometry.onsets_s[sid] - clock) / 60.0, fold_output(clock, dev),
                                            clock.size * w / 3600.0, w, geometry.record_stretch[sid])  # fmt: skip
            if geometry.reference_clock_s.size:
                refs[sid] = ReferenceOutput(geometry.reference_clock_s, fold_output(geometry.reference_clock_s, dev),
                                            geometry.reference_piece, w)  # fmt: skip
        evidence.append(band_evidence(k, band_of[k], records, refs, options=config.selector, seed=seed,
                                      excluded=geometry.excluded))  # fmt: skip
    evidence = adjust(evidence, config.selector)
    opp, _ = select_opp(evidence)
    interval = opp_interval(evidence, opp, rule_out=config.selector.rule_out)
    return SimOutcome(opp, verdict(evidence)[0], interval, tuple(evidence))
