"""Seizures and the planted preictal signature of the synthetic generator.

Seizure model (monopolar µV): a rhythmic spike-and-wave discharge whose frequency falls linearly from 6-9 Hz
to 2.5-4 Hz over the seizure. Its peak amplitude (120-250 µV at the focus, 3-8x the background of the focal
bipolar channels) is reached after a 3-6 s ramp and falls off over the last 3 s. It starts at the focus
electrode and spreads: each electrode starts ``distance / (0.08-0.15 head radii per s)`` later, and the
Gaussian footprint widens from 0.3 to 0.9 head radii over the first 40 % of the seizure (secondary
generalisation).

Preictal signature (what a good model should find): over the last ``preictal_min`` minutes before each onset, a
common 12-25 Hz (beta) source with a Gaussian footprint of 0.3 head radii around the focus (raising focal band
power and inter-channel synchrony together). Its amplitude is ``strength * sqrt(u) * SIGNATURE_UV`` with ``u``
rising linearly from 0 at ``onset - preictal_min`` to 1 at onset, so its band power ramps linearly. At strength
1 the focal bipolar 12-25 Hz power right before onset is several times the background's (see
``tests/synth/test_synth_signal.py``). Strength 0 (``null``) adds nothing at all.
"""

from __future__ import annotations

import numpy as np
from scipy import fft as sp_fft

from seizurepred.synth.background import band_psd, colored_noise
from seizurepred.synth.config import SFREQ
from seizurepred.synth.head import ELECTRODE_POS, positions, spatial_gain

#: Amplitude (µV, monopolar at the focus) of the signature source at strength 1, right at onset.
SIGNATURE_UV = 20.0
#: Half-width of the signature band around the patient's signature centre frequency (Hz).
SIGNATURE_HALF_BAND_HZ = 4.0


def _spike_wave(phase: np.ndarray) -> np.ndarray:
    """Spike-and-wave waveform of unit RMS as a function of phase (radians)."""
    spike = np.exp(6.0 * (np.cos(phase) - 1.0))
    wave = np.exp(1.5 * (np.cos(phase - 2.2) - 1.0))
    w = spike - 0.7 * wave
    w -= w.mean()
    return w / np.sqrt((w**2).mean())


def seizure_field(rng: np.random.Generator, *, n_samples: int, focus: str) -> np.ndarray:
    """Monopolar field of one seizure.

    Parameters
    ----------
    rng : numpy Generator
    n_samples : int
        Seizure length in samples.
    focus : str
        Electrode at the focus.

    Returns
    -------
    ndarray of shape (n_electrodes, n_samples), float32, µV
    """
    t = np.arange(n_samples) / SFREQ
    dur = n_samples / SFREQ
    f0, f1 = rng.uniform(6.0, 9.0), rng.uniform(2.5, 4.0)
    freq = f0 + (f1 - f0) * t / dur
    phase = 2 * np.pi * np.cumsum(freq) / SFREQ
    centre = np.asarray(ELECTRODE_POS[focus])
    dist = np.sqrt(((positions() - centre) ** 2).sum(axis=1))
    delay_s = dist / rng.uniform(0.08, 0.15)
    ramp_s = rng.uniform(3.0, 6.0)
    width = 0.3 + 0.6 * np.clip(t / (0.4 * dur), 0.0, 1.0)
    amp = rng.uniform(120.0, 250.0)
    out = np.empty((dist.size, n_samples), dtype=np.float32)
    for e in range(dist.size):
        te = t - delay_s[e]
        env = np.clip(te / ramp_s, 0.0, 1.0) * np.clip((dur - t) / 3.0, 0.0, 1.0)
        footprint = np.exp(-(dist[e] ** 2) / (2.0 * width**2))
        jitter = rng.uniform(-0.3, 0.3)
        out[e] = amp * env * footprint * _spike_wave(phase - 2 * np.pi * freq * delay_s[e] * 0.1 + jitter)
    return out


def signature_ramp(
    start_clock_s: float,
    n_samples: int,
    *,
    onsets_clock_s: tuple[float, ...],
    preictal_s: float,
    strength: float,
) -> np.ndarray:
    """Signature amplitude factor per sample of a file (0 outside every preictal period).

    Parameters
    ----------
    start_clock_s : float
        File start on the patient clock.
    n_samples : int
        File length in samples.
    onsets_clock_s : tuple of float
        Seizure onsets on the patient clock.
    preictal_s : float
        Signature length before each onset, seconds.
    strength : float
        Signature strength (0: none).

    Returns
    -------
    ndarray of shape (n_samples,), float32
        ``strength * sqrt(u)``, ``u`` rising linearly 0 -> 1 over ``[onset - preictal_s, onset)``; the largest
        over the seizures.
    """
    ramp = np.zeros(n_samples, dtype=np.float32)
    if strength <= 0:
        return ramp
    clock = start_clock_s + np.arange(n_samples) / SFREQ
    end = clock[-1] if n_samples else start_clock_s
    for onset in onsets_clock_s:
        if onset - preictal_s > end or onset <= start_clock_s:
            continue
        u = (clock - (onset - preictal_s)) / preictal_s
        inside = (u >= 0) & (clock < onset)
        ramp = np.maximum(ramp, np.where(inside, np.sqrt(np.clip(u, 0.0, 1.0)), 0.0).astype(np.float32))
    return ramp * np.float32(strength)


def add_signature(
    mono: np.ndarray, rng: np.random.Generator, ramp: np.ndarray, *, focus: str, centre_hz: float
) -> None:
    """Add the preictal signature to ``mono`` in place where ``ramp > 0``.

    Parameters
    ----------
    mono : ndarray of shape (n_electrodes, n_samples), float32, µV
    rng : numpy Generator
    ramp : ndarray of shape (n_samples,)
        From :func:`signature_ramp`.
    focus : str
        Focus electrode.
    centre_hz : float
        Centre of the signature band.
    """
    nz = np.flatnonzero(ramp > 0)
    if nz.size == 0:
        return
    a, b = int(nz[0]), int(nz[-1]) + 1
    freqs = sp_fft.rfftfreq(b - a, 1.0 / SFREQ)
    psd = band_psd(freqs, centre_hz - SIGNATURE_HALF_BAND_HZ, centre_hz + SIGNATURE_HALF_BAND_HZ)
    src = colored_noise(rng, 1, b - a, psd)[0] * ramp[a:b] * np.float32(SIGNATURE_UV)
    gain = spatial_gain(ELECTRODE_POS[focus], width=0.3).astype(np.float32)
    mono[:, a:b] += gain[:, None] * src
