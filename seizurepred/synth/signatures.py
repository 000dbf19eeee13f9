"""The planted preictal signatures of the synthetic generator (what a good model should find).

Every kind begins ``preictal_min`` minutes before each onset and grows toward onset: with ``u`` rising
linearly from 0 at ``onset - preictal_min`` to 1 at onset (on the patient clock, so the ramp runs on across file
boundaries and gaps), the *power* of the change is ``strength * p(u)`` times its strength-1 value at onset, where
``p`` is the onset shape (``SynthConfig.onset_shape``, :func:`onset_profile`): ``"linear"`` ``p(u) = u`` (the
default), ``"raised_cosine"`` ``0.5 - 0.5 cos(pi u)`` (slow start: below linear over the first half),
``"sigmoid"`` a logistic of slope 10 centred at ``u = 0.5``, rescaled to run from exactly 0 to exactly 1, or
``"step"`` 1 throughout (a plateau from the planted start to onset). With the default shape the weakest part of
the preictal period is its start. Whatever the shape, ``preictal_min`` is where the change begins, and nothing
differs from a signature-free patient before it (sample-exact; the signature has its own random stream per file,
so the background, artefacts and seizures are the same whatever the kind, strength and shape). At and after onset
the signature stops. Each seizure may have its own planted length (``SynthConfig.preictal_mins`` or
``preictal_jitter_min``; the truth records it per seizure).

Kinds (``SynthConfig.signature_kind``; bands in :data:`SIGNATURE_BANDS_HZ`):

* ``"focal"``: a theta (4-8 Hz) source with a Gaussian footprint of 0.3 head radii around the focus electrode,
  amplitude ``FOCAL_UV * sqrt(strength * u)``. Focal bipolar theta power rises.
* ``"diffuse"``: one independent beta (13-30 Hz) source per electrode under a wide footprint (1.5 head radii
  around the focus, so every electrode gets at least a third of the focal amplitude), amplitude
  ``DIFFUSE_UV * sqrt(strength * u)`` times the footprint. Beta power rises on every bipolar channel.
* ``"synchrony"``: every electrode of the focus hemisphere (midline excluded) carries, throughout the
  recording, a 5-9 Hz rhythm of level ``A_e = SYNC_UV * footprint_e`` (Gaussian, 0.7 head radii around the
  focus). Before the preictal period each electrode's rhythm is independent. Preictally a growing fraction
  ``c = strength * u`` of its power becomes one common, zero-lag source ``s``:
  ``x_e = A_e * (sqrt(1 - c) * n_e + sqrt(c) * s)``. Electrode power is unchanged (``A_e**2`` whatever
  ``c``); cross-electrode coherence in the band rises. ``strength`` is the shared power fraction at onset, so
  it is at most 1. As in real EEG, the bipolar montage turns part of this into bipolar *power* changes: a
  derivation of two synchronised electrodes cancels their common part (its 5-9 Hz power falls, to
  ``(A_a - A_b)**2`` at ``c = 1`` from ``A_a**2 + A_b**2``), while the uneven levels let the common source
  through to the bipolar channels, whose mutual coherence rises.
* ``"none"``: nothing (also what ``null=True`` or strength 0 means for every kind).

Calibration (what strength 1 means), measured with
``python benchmarks/synth_calibration.py --strengths 1 0.5 0.1 0.05`` (3 min; synchrony rows with
``--kinds synchrony --strengths 1 0.75``, after the rhythm's level was raised from 14 to 20 µV so that the start of
a 60-min synchrony ramp is within reach of the benchmark's CPU model) on 3 patients (seeds 0-2: foci F8,
T7, T8; 12 h, 4 seizures, 30-min signature each) on the real-calibrated background
(:mod:`~seizurepred.synth.background`). "At onset": the 5-s windows of the last 5 min before each onset with the
signature against the same windows without it (for synchrony: with the rhythm, unsynchronised); power is a Hann
periodogram summed over the band and averaged over the kind's bipolar channels (of the 21 distinct ones of the
23), coherence is the magnitude-squared coherence of 1-s segments averaged over the band and every channel pair.
AUC: one such feature per 5-s window, last-5-min windows against interictal windows (> 1 h before, > 30 min
after every seizure), per patient. Mean [range over the 3 patients]:

=========  ========  =============================================================  ========================
kind       strength  at onset                                                       per-window AUC
=========  ========  =============================================================  ========================
focal      1         focal bipolar 4-8 Hz power x9.5 [5.7-15.6]                     power 1.0
focal      0.1       x1.85 [1.47-2.45]                                              power .86 [.82-.90]
focal      0.05      x1.42 [1.23-1.72]                                              power .70 [.67-.75]
diffuse    1         mean bipolar 13-30 Hz power x7.8 [6.5-9.4] (all channels)      power 1.0
diffuse    0.1       x1.68 [1.55-1.84]                                              power .88 [.78-.97]
diffuse    0.05      x1.34 [1.27-1.42]                                              power .70 [.54-.85]
synchrony  1         focus-side monopolar 5-9 Hz coherence .34 [.29-.37] -> .54;     mono coh .99 [.98-1.0];
                     electrode power change < 5 % (largest over the electrodes: 2-4 %,  bip coh .99 [.99-.99];
                     sampling noise: 0 in expectation); focus-side bipolar 5-9 Hz   bip power drop 1.0
                     power x0.43 [0.34-0.50], their coherence .17 -> .25
synchrony  0.75      monopolar coherence .34 -> .48; bipolar power x0.58            mono coh .95 [.93-.97];
                     [0.51-0.62], bipolar coherence .17 -> .20                      bip coh .86 [.80-.89];
                                                                                    bip power drop .99
=========  ========  =============================================================  ========================

Power-linear: the excess power at strength ``s`` is ``s`` times that at 1 (focal at 0.5: x5.2). Focal strength 1
matches the previous single signature (focal 12-25 Hz, x5.9-11.4 at onset) in how well one feature separates the
whole 30-min preictal period of the short test patient from interictal windows (AUC .95 vs .96), so the demo
patient keeps its difficulty. ``benchmarks/bench_opp.py`` uses strong = 1 and moderate = 0.3 (focal, diffuse) /
0.75 (synchrony), and in its full mode subtle = 0.1 / 0.5: at 0.05 the change is plain in spectra averaged over the
last minutes, but one 5-s window tells little (AUC ~.70), and the first quarter of a 60-min ramp holds 1/8 of it.

``tests/synth/test_synth_signatures.py`` recomputes these effects on a few minutes of signal within stated
tolerances.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import fft as sp_fft
from scipy.special import expit

from seizurepred._validate import check_option
from seizurepred.synth.background import band_psd, colored_noise
from seizurepred.synth.config import ONSET_SHAPES, SFREQ, OnsetShape, SignatureKind
from seizurepred.synth.head import ELECTRODE_POS, ELECTRODES, PAPER_23, bipolar_of, spatial_gain

#: Band of each kind's signature, Hz.
SIGNATURE_BANDS_HZ: dict[str, tuple[float, float]] = {
    "focal": (4.0, 8.0),
    "diffuse": (13.0, 30.0),
    "synchrony": (5.0, 9.0),
}
#: Monopolar amplitude (µV RMS) at the focus electrode at strength 1 right at onset, and footprint widths.
FOCAL_UV = 50.0
FOCAL_WIDTH = 0.3
DIFFUSE_UV = 16.5
DIFFUSE_WIDTH = 1.5
#: Level (µV RMS) of the synchrony rhythm at the focus electrode, its footprint, and the hemisphere margin.
SYNC_UV = 20.0
SYNC_WIDTH = 0.7
_MIDLINE_X = 0.1
#: Slope of the ``"sigmoid"`` onset shape (per unit of ``u``): p(0.25) ~ 0.07, p(0.5) = 0.5, p(0.75) ~ 0.93.
SIGMOID_SLOPE = 10.0


def onset_profile(u: np.ndarray, shape: OnsetShape = "linear") -> np.ndarray:
    """Power fraction ``p(u)`` of the change at onset, for ``u`` in [0, 1] from the planted start to onset.

    Parameters
    ----------
    u : ndarray
        Fraction of the planted length elapsed (0 at the start, 1 at onset), values in [0, 1].
    shape : {"linear", "raised_cosine", "sigmoid", "step"}
        ``"linear"``: ``u``; ``"raised_cosine"``: ``0.5 - 0.5 cos(pi u)``; ``"sigmoid"``: the logistic
        ``expit(SIGMOID_SLOPE (u - 0.5))`` rescaled to 0 at ``u = 0`` and 1 at ``u = 1``; ``"step"``: 1 for
        ``u > 0``.

    Returns
    -------
    ndarray
        Same shape as ``u``, in [0, 1]; exactly 0 where ``u == 0`` and 1 where ``u == 1`` for every shape.
    """
    check_option("onset_shape", shape, ONSET_SHAPES)
    if shape == "linear":
        return u
    if shape == "raised_cosine":
        return 0.5 - 0.5 * np.cos(np.pi * u)
    if shape == "sigmoid":
        lo, hi = expit(-SIGMOID_SLOPE / 2), expit(SIGMOID_SLOPE / 2)
        return np.clip((expit(SIGMOID_SLOPE * (u - 0.5)) - lo) / (hi - lo), 0.0, 1.0)
    return (u > 0).astype(np.float64)


def signature_ramp(
    start_clock_s: float,
    n_samples: int,
    *,
    onsets_clock_s: tuple[float, ...],
    preictal_s: float | Sequence[float],
    strength: float,
    shape: OnsetShape = "linear",
) -> np.ndarray:
    """Power factor of the signature per sample of a file (0 outside every preictal period).

    Parameters
    ----------
    start_clock_s : float
        File start on the patient clock.
    n_samples : int
        File length in samples.
    onsets_clock_s : tuple of float
        Seizure onsets on the patient clock.
    preictal_s : float or sequence of float
        Signature length before each onset, seconds: one for all, or one per onset (same order).
    strength : float
        Signature strength (0: none).
    shape : {"linear", "raised_cosine", "sigmoid", "step"}
        Onset shape (:func:`onset_profile`).

    Returns
    -------
    ndarray of shape (n_samples,), float64
        ``strength * p(u)``, ``u`` rising linearly 0 -> 1 over ``[onset - preictal_s, onset)`` (exactly 0 at
        ``onset - preictal_s`` and before, and from onset on); the largest over the seizures.
    """
    ramp = np.zeros(n_samples)
    if strength <= 0 or n_samples == 0:
        return ramp
    if isinstance(preictal_s, int | float):
        lengths_s = (float(preictal_s),) * len(onsets_clock_s)
    else:
        lengths_s = tuple(float(x) for x in preictal_s)
        if len(lengths_s) != len(onsets_clock_s):
            raise ValueError(f"{len(lengths_s)} preictal lengths for {len(onsets_clock_s)} onsets")
    clock = start_clock_s + np.arange(n_samples) / SFREQ
    for onset, length_s in zip(onsets_clock_s, lengths_s):
        begin = onset - length_s
        if begin > clock[-1] or onset <= start_clock_s:
            continue
        u = np.clip((clock - begin) / length_s, 0.0, 1.0)
        ramp = np.maximum(ramp, np.where(clock < onset, onset_profile(u, shape), 0.0))
    return ramp * strength


def hemisphere(focus: str) -> tuple[str, ...]:
    """Electrodes on the focus side of the midline (the synchrony kind's electrodes), in electrode order."""
    side = np.sign(ELECTRODE_POS[focus][0])
    return tuple(e for e in ELECTRODES if side * ELECTRODE_POS[e][0] > _MIDLINE_X)


def signature_channels(kind: SignatureKind, focus: str) -> tuple[str, ...]:
    """Bipolar labels (of the 23) where ``kind``'s signature shows (empty for ``"none"``).

    ``"focal"``: the channels that touch the focus; ``"diffuse"``: all 23; ``"synchrony"``: the channels with
    both electrodes in the focus hemisphere.
    """
    if kind == "focal":
        return bipolar_of((focus,))
    if kind == "diffuse":
        return PAPER_23
    if kind == "synchrony":
        side = set(hemisphere(focus))
        return tuple(lab for lab in PAPER_23 if set(lab.split("-")) <= side)
    return ()


def sync_levels(focus: str) -> np.ndarray:
    """Level ``A_e`` (µV RMS) of the synchrony rhythm, shape (n_electrodes,), float32 (0 off the focus side)."""
    side = np.array([e in hemisphere(focus) for e in ELECTRODES])
    return (SYNC_UV * spatial_gain(ELECTRODE_POS[focus], width=SYNC_WIDTH) * side).astype(np.float32)


def add_signature(
    mono: np.ndarray, rng: np.random.Generator, ramp: np.ndarray, *, kind: SignatureKind, focus: str
) -> None:
    """Add the preictal signature of ``kind`` to ``mono`` in place.

    Parameters
    ----------
    mono : ndarray of shape (n_electrodes, n_samples), float32, µV
    rng : numpy Generator
        The signature's own stream (for this file).
    ramp : ndarray of shape (n_samples,)
        From :func:`signature_ramp`.
    kind : {"focal", "diffuse", "synchrony", "none"}
    focus : str
        Focus electrode.
    """
    if kind == "synchrony":
        _add_synchrony(mono, rng, ramp, focus=focus)
        return
    nz = np.flatnonzero(ramp > 0)
    if kind == "none" or nz.size == 0:
        return
    a, b = int(nz[0]), int(nz[-1]) + 1
    amp_uv, width, n_src = (
        (FOCAL_UV, FOCAL_WIDTH, 1) if kind == "focal" else (DIFFUSE_UV, DIFFUSE_WIDTH, len(ELECTRODES))
    )
    src = _band_noise(rng, n_src, b - a, SIGNATURE_BANDS_HZ[kind])
    src *= np.sqrt(ramp[a:b]).astype(np.float32) * np.float32(amp_uv)
    gain = spatial_gain(ELECTRODE_POS[focus], width=width).astype(np.float32)
    mono[:, a:b] += gain[:, None] * src


def _band_noise(
    rng: np.random.Generator, n_series: int, n_samples: int, band_hz: tuple[float, float]
) -> np.ndarray:
    """Unit-variance band-limited noise, shape (n_series, n_samples), float32 (drawn at a fast FFT length)."""
    n_fft = sp_fft.next_fast_len(n_samples, real=True)
    psd = band_psd(sp_fft.rfftfreq(n_fft, 1.0 / SFREQ), *band_hz)
    return colored_noise(rng, n_series, n_fft, psd)[:, :n_samples]


def _add_synchrony(mono: np.ndarray, rng: np.random.Generator, ramp: np.ndarray, *, focus: str) -> None:
    n = mono.shape[1]
    levels = sync_levels(focus)
    rows = np.flatnonzero(levels > 0)
    band = SIGNATURE_BANDS_HZ["synchrony"]
    rhythm = _band_noise(rng, rows.size, n, band)
    nz = np.flatnonzero(ramp > 0)
    if nz.size:
        a, b = int(nz[0]), int(nz[-1]) + 1
        shared = _band_noise(rng, 1, b - a, band)[0]
        frac = np.clip(ramp[a:b], 0.0, 1.0)
        rhythm[:, a:b] *= np.sqrt(1.0 - frac).astype(np.float32)
        rhythm[:, a:b] += np.sqrt(frac).astype(np.float32) * shared
    mono[rows] += levels[rows, None] * rhythm
