"""Background EEG of the synthetic generator: spectrum, spatial correlation, states, artefacts.

Signal model (all in monopolar µV, per electrode of :data:`~seizurepred.synth.head.ELECTRODES`):

* **Broadband field.** ``N_FIELD`` spatially smooth sources (random positions on the head map, Gaussian
  footprints of 0.45-0.8 head radii) plus one independent source per electrode, all with the power spectrum
  ``P(f) = f^-0.5 / (1 + (f/4 Hz)^2.45) * f^2 / (f^2 + 0.4^2)``, a least-squares fit (0.5-45 Hz, rms log error
  0.45) to the median spectrum of the real excerpts. The smooth field makes neighbouring bipolar channels
  positively correlated as in the real data. The broadband gain follows a slow random walk (20-min knots,
  log-sd 0.2) and a post-ictal suppression (to 40 % right after a seizure, recovering over ~2 min).
* **Slow drifts.** Independent per-electrode 0.02-0.4 Hz wander.
* **States.** Awake/sleep alternation (Markov dwell times: longer sleep at night 21:00-07:00). Sleep adds broad
  fronto-central 0.5-2.5 Hz slow waves; awake adds posterior alpha (8.5-10.5 Hz) that waxes and wanes (4-s
  knots).
* **Artefacts** (``artefacts=True``): eye blinks (awake, ~3/min, 80-200 µV, frontopolar), muscle bursts (awake,
  ~0.3/min, 0.5-3 s of white noise at one side's temporal electrodes), electrode pops (~2/h, one electrode,
  100-400 µV step with exponential decay).

Calibration targets (real: the 10 ``preictal_10s`` excerpts, 23 bipolar channels, mean removed per channel;
synthetic: 10-s windows of the 23 bipolar channels of a null patient; slope: least-squares slope of log10 of the
channel-median Welch PSD (512-sample segments) against log10 f over 1-20 Hz):

==========================  ==================  =========================
quantity                    real excerpts       synthetic (seed 0..2)
==========================  ==================  =========================
median bipolar RMS (µV)     38.8 (13-73/file)   37.6
1-20 Hz spectral slope      -2.09               -2.07
0.5-4 / 4-8 / 8-12 Hz       .71 / .18 / .06     .73 / .18 / .05
12-25 / 25-45 Hz            .035 / .009         .031 / .007
adjacent-channel corr.      +0.26..+0.35        +0.06..+0.23
==========================  ==================  =========================

(band rows: share of the 0.5-128 Hz power of the channel-median PSD; "adjacent" = FP1-F7/F7-T7, F7-T7/T7-P7,
T7-P7/P7-O1.) Measured on 3 null patients (seeds 0-2, 1 h each, 20 windows per 30-min file) with the real
files read back with pyedflib.

``tests/synth/test_synth_signal.py`` recomputes RMS and slope on the real excerpts and on generated data and
checks them within stated tolerances (RMS +-25 %, slope +-0.35).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import fft as sp_fft
from scipy.signal import oaconvolve
from scipy.special import expit

from seizurepred.synth.config import SFREQ
from seizurepred.synth.head import ELECTRODES, N_ELECTRODES, spatial_gain

N_FIELD = 12
#: Overall gains (µV scale factors), tuned against the real excerpts.
FIELD_UV = 23.5
INDEP_UV = 6.0
DRIFT_UV = 8.0
ALPHA_UV = 14.0
SLEEP_UV = 45.0
#: Achieved calibration (see the module docstring): median bipolar RMS (µV) and 1-20 Hz slope.
SYNTH_CALIBRATION = {"median_rms_uv": 37.6, "slope_1_20hz": -2.07}

_FRONTAL = ("FP1", "FP2")
_TEMPORAL = {-1: ("F7", "T7", "FT9", "P7"), 1: ("F8", "T8", "FT10", "P8")}


@dataclass(frozen=True)
class PatientModel:
    """Fixed, per-patient parameters of the signal model (drawn once from the seed).

    Attributes
    ----------
    field_mix : ndarray of shape (n_electrodes, N_FIELD)
        Footprints of the smooth field sources (µV per unit source).
    indep_uv : ndarray of shape (n_electrodes,)
        Level of each electrode's independent source.
    alpha_hz : float
        Alpha peak frequency.
    focus : str
        Electrode nearest the seizure focus (seizures and preictal signature start there).
    """

    field_mix: np.ndarray
    indep_uv: np.ndarray
    alpha_hz: float
    focus: str


def make_patient_model(rng: np.random.Generator) -> PatientModel:
    """Draw a patient's fixed parameters.

    Parameters
    ----------
    rng : numpy Generator
        Patient-level random stream.
    """
    radius = np.sqrt(rng.uniform(0.0, 1.0, N_FIELD)) * 1.1
    angle = rng.uniform(0.0, 2 * np.pi, N_FIELD)
    centres = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    widths = rng.uniform(0.45, 0.8, N_FIELD)
    mix = np.stack([spatial_gain(tuple(c), width=w) for c, w in zip(centres, widths)], axis=1)
    focus = str(rng.choice(["T7", "T8", "F7", "F8", "C3", "C4", "P7", "P8"]))
    return PatientModel(
        field_mix=(mix * FIELD_UV).astype(np.float32),
        indep_uv=(INDEP_UV * rng.lognormal(0.0, 0.25, N_ELECTRODES)).astype(np.float32),
        alpha_hz=float(rng.uniform(8.5, 10.5)),
        focus=focus,
    )


# ---------------------------------------------------------------------------------------------------- spectra
def background_psd(freqs_hz: np.ndarray) -> np.ndarray:
    """Broadband background power spectral density shape (unit scale).

    Parameters
    ----------
    freqs_hz : ndarray of shape (n_freqs,)

    Returns
    -------
    ndarray of shape (n_freqs,); 0 at DC
    """
    f = np.maximum(freqs_hz, 1e-6)
    psd = f**-0.5 / (1.0 + (f / 4.0) ** 2.45) * f**2 / (f**2 + 0.4**2)
    return np.where(freqs_hz > 0, psd, 0.0)


def band_psd(freqs_hz: np.ndarray, lo_hz: float, hi_hz: float) -> np.ndarray:
    """Flat band-limited PSD with unit variance (µV² in total) between ``lo_hz`` and ``hi_hz``, soft edges."""
    edge = 0.25 * (hi_hz - lo_hz)
    psd = expit((freqs_hz - lo_hz) / (0.1 * edge)) * expit((hi_hz - freqs_hz) / (0.1 * edge))
    return psd / max(psd.sum() * (freqs_hz[1] - freqs_hz[0]), 1e-12)


def colored_noise(rng: np.random.Generator, n_series: int, n_samples: int, psd: np.ndarray) -> np.ndarray:
    """Gaussian noise with a given one-sided PSD.

    Parameters
    ----------
    rng : numpy Generator
    n_series, n_samples : int
    psd : ndarray of shape (n_samples // 2 + 1,)
        One-sided PSD in µV²/Hz on ``rfftfreq(n_samples, 1 / SFREQ)``.

    Returns
    -------
    ndarray of shape (n_series, n_samples), float32, µV
    """
    spec = white_spectrum(rng, n_series, n_samples)
    spec *= np.sqrt(psd).astype(np.float32)
    return sp_fft.irfft(spec, n=n_samples, axis=-1) * np.float32(np.sqrt(SFREQ * n_samples / 4.0))


def white_spectrum(rng: np.random.Generator, n_series: int, n_samples: int) -> np.ndarray:
    """Complex white spectrum, shape (n_series, n_samples // 2 + 1), complex64.

    Real and imaginary parts are independent, zero-mean, unit-variance *uniform* variables (three times
    faster to draw than normals); after spectral shaping every time sample is a weighted sum of very many of
    them, hence Gaussian to a very good approximation.
    """
    n_freqs = n_samples // 2 + 1
    u = rng.random((n_series, 2 * n_freqs), dtype=np.float32)
    u -= np.float32(0.5)
    u *= np.float32(np.sqrt(12.0))
    return u.view(np.complex64)


# ---------------------------------------------------------------------------------------------------- timeline
@dataclass(frozen=True)
class StateTimeline:
    """Slow state variables of the whole patient on the patient clock, one value per second.

    Attributes
    ----------
    t0_clock_s : int
        Clock time of element 0.
    sleep, alpha, gain : ndarray of shape (n_seconds,), float32
        Sleep depth (0-1), alpha envelope (0-1), broadband gain (~1).
    """

    t0_clock_s: int
    sleep: np.ndarray
    alpha: np.ndarray
    gain: np.ndarray

    def at(self, name: str, start_clock_s: int, n_samples: int) -> np.ndarray:
        """Variable ``name`` interpolated to the samples of a file starting at ``start_clock_s``, float32."""
        values = getattr(self, name)
        t = (start_clock_s - self.t0_clock_s) + np.arange(n_samples, dtype=np.float64) / SFREQ
        return np.interp(t, np.arange(values.size), values).astype(np.float32)


def _knots(rng: np.random.Generator, n: int, step_s: float, sd: float) -> np.ndarray:
    k = rng.normal(0.0, sd, int(n / step_s) + 2)
    return np.interp(np.arange(n) / step_s, np.arange(k.size), k)


def _sleep_track(rng: np.random.Generator, t0_clock_s: int, n: int) -> np.ndarray:
    track = np.zeros(n)
    t, asleep = 0, False
    while t < n:
        hour = ((t0_clock_s + t) % 86400) / 3600.0
        night = hour >= 21.0 or hour < 7.0
        mean_min = (60.0 if night else 15.0) if asleep else (15.0 if night else 90.0)
        dwell = max(int(rng.exponential(mean_min * 60.0)), 60)
        if asleep:
            track[t : t + dwell] = rng.uniform(0.6, 1.0)
        t, asleep = t + dwell, not asleep
    return np.convolve(track, np.ones(120) / 120.0, mode="same")


def build_timeline(
    rng: np.random.Generator, *, t0_clock_s: int, span_s: int, seizure_ends_clock_s: tuple[float, ...]
) -> StateTimeline:
    """Draw the patient's state variables over ``span_s`` seconds from ``t0_clock_s``.

    Parameters
    ----------
    rng : numpy Generator
    t0_clock_s, span_s : int
        Clock start and length of the span, seconds.
    seizure_ends_clock_s : tuple of float
        Seizure ends on the patient clock (post-ictal suppression follows each).
    """
    n = int(span_s) + 2
    sleep = _sleep_track(rng, t0_clock_s, n)
    wax = 1.0 / (1.0 + np.exp(-2.0 * _knots(rng, n, 4.0, 1.0)))
    alpha = (1.0 - sleep) * (0.3 + 0.7 * wax)
    gain = np.exp(_knots(rng, n, 1200.0, 0.2)) * (1.0 + 0.2 * sleep)
    t = np.arange(n, dtype=np.float64) + t0_clock_s
    for end in seizure_ends_clock_s:
        after = t >= end
        gain[after] *= 1.0 - 0.6 * np.exp(-(t[after] - end) / 120.0)
    as32 = lambda a: np.ascontiguousarray(a, dtype=np.float32)  # noqa: E731
    return StateTimeline(int(t0_clock_s), as32(sleep), as32(alpha), as32(gain))


# ---------------------------------------------------------------------------------------------------- signals
def background(
    rng: np.random.Generator,
    model: PatientModel,
    timeline: StateTimeline,
    *,
    start_clock_s: int,
    n_samples: int,
) -> np.ndarray:
    """Background monopolar EEG of one file (no artefacts).

    Returns
    -------
    ndarray of shape (n_electrodes, n_samples), float32, µV
    """
    freqs = sp_fft.rfftfreq(n_samples, 1.0 / SFREQ)
    shape = np.sqrt(background_psd(freqs)).astype(np.float32)
    drift = np.sqrt(band_psd(freqs, 0.02, 0.4)).astype(np.float32) * np.float32(DRIFT_UV)
    spec = model.field_mix.astype(np.complex64) @ white_spectrum(rng, N_FIELD, n_samples)
    spec *= shape
    # independent part: one white spectrum per electrode shaped by its level * background shape + drift
    indep = white_spectrum(rng, N_ELECTRODES, n_samples)
    indep *= model.indep_uv[:, None] * shape + drift
    spec += indep
    del indep
    mono = sp_fft.irfft(spec, n=n_samples, axis=-1)
    del spec
    mono *= np.float32(np.sqrt(SFREQ * n_samples / 4.0))
    mono *= timeline.at("gain", start_clock_s, n_samples)
    _add_states(mono, rng, model, timeline, freqs, start_clock_s)
    return mono


def _add_states(
    mono: np.ndarray,
    rng: np.random.Generator,
    model: PatientModel,
    timeline: StateTimeline,
    freqs: np.ndarray,
    start_clock_s: int,
) -> None:
    n = mono.shape[1]
    alpha_src = colored_noise(rng, 2, n, band_psd(freqs, model.alpha_hz - 1.0, model.alpha_hz + 1.0))
    env = timeline.at("alpha", start_clock_s, n) * np.float32(ALPHA_UV)
    for side, src in zip((-1, 1), alpha_src):
        gain = spatial_gain((0.35 * side, -0.8), width=0.4).astype(np.float32)
        mono += gain[:, None] * (src * env)
    sleep = timeline.at("sleep", start_clock_s, n)
    if sleep.max() > 0.01:
        slow = colored_noise(rng, 1, n, band_psd(freqs, 0.5, 2.5))[0] * sleep * np.float32(SLEEP_UV)
        mono += spatial_gain((0.0, 0.3), width=0.55).astype(np.float32)[:, None] * slow


def add_artefacts(mono: np.ndarray, rng: np.random.Generator, awake: np.ndarray) -> np.ndarray:
    """Add blinks, muscle bursts and electrode pops in place and return ``mono``.

    Parameters
    ----------
    mono : ndarray of shape (n_electrodes, n_samples), float32, µV
    rng : numpy Generator
    awake : ndarray of shape (n_samples,)
        1 awake .. 0 asleep (blinks and muscle only when awake).
    """
    n = mono.shape[1]
    dur_s = n / SFREQ
    _add_blinks(mono, rng, awake, int(rng.poisson(3.0 / 60.0 * dur_s * float(awake.mean()))))
    index = {e: i for i, e in enumerate(ELECTRODES)}
    for _ in range(int(rng.poisson(0.3 / 60.0 * dur_s * float(awake.mean())))):
        length = int(rng.uniform(0.5, 3.0) * SFREQ)
        a = int(rng.integers(0, max(n - length, 1)))
        rows = [index[e] for e in _TEMPORAL[int(rng.choice([-1, 1]))]]
        env = np.hanning(length).astype(np.float32) * np.float32(rng.uniform(15.0, 40.0))
        noise = rng.standard_normal((len(rows), length), dtype=np.float32) * rng.uniform(
            0.3, 1.0, (len(rows), 1)
        )
        mono[rows, a : a + length] += (noise * env)[:, : n - a]
    for _ in range(int(rng.poisson(2.0 / 3600.0 * dur_s))):
        tau = rng.uniform(0.3, 1.5) * SFREQ
        length = int(5 * tau)
        a = int(rng.integers(0, max(n - length, 1)))
        amp = rng.uniform(100.0, 400.0) * rng.choice([-1.0, 1.0])
        pop = (amp * np.exp(-np.arange(length) / tau)).astype(np.float32)
        mono[int(rng.integers(N_ELECTRODES)), a : a + length] += pop[: n - a]
    return mono


def _add_blinks(mono: np.ndarray, rng: np.random.Generator, awake: np.ndarray, n_blinks: int) -> None:
    if n_blinks == 0:
        return
    n = mono.shape[1]
    at = rng.integers(0, n, n_blinks)
    keep = rng.uniform(size=n_blinks) < awake[at]
    train = np.zeros(n, dtype=np.float32)
    np.add.at(train, at[keep], rng.uniform(80.0, 200.0, int(keep.sum())).astype(np.float32))
    t = np.arange(-int(0.4 * SFREQ), int(0.4 * SFREQ) + 1) / SFREQ
    blink = oaconvolve(train, np.exp(-0.5 * (t / 0.08) ** 2).astype(np.float32), mode="same")
    gain = spatial_gain((0.0, 1.15), width=0.35)
    gain = (gain / gain[[ELECTRODES.index(e) for e in _FRONTAL]].max()).astype(np.float32)
    mono += gain[:, None] * blink.astype(np.float32)
