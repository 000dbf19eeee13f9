"""Seizures of the synthetic generator (the preictal signatures are in :mod:`seizurepred.synth.signatures`).

Seizure model (monopolar µV): a rhythmic spike-and-wave discharge whose frequency falls linearly from 6-9 Hz
to 2.5-4 Hz over the seizure. Its peak amplitude (120-250 µV at the focus, 3-8x the background of the focal
bipolar channels) is reached after a 3-6 s ramp and falls off over the last 3 s. It starts at the focus
electrode and spreads: each electrode starts ``distance / (0.08-0.15 head radii per s)`` later, and the
Gaussian footprint widens from 0.3 to 0.9 head radii over the first 40 % of the seizure (secondary
generalisation).
"""

from __future__ import annotations

import numpy as np

from seizurepred.synth.config import SFREQ
from seizurepred.synth.head import ELECTRODE_POS, positions


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
