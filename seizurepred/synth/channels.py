"""How the synthetic generator fills each channel of a file, from the monopolar µV of its electrodes.

Any label a real CHB-MIT file carries can be written (:func:`channel_kind`): a bipolar ``A-B`` of two modelled
electrodes (:data:`~seizurepred.synth.head.ELECTRODES`) is their difference (the 23 channels of the paper's
montage); ``A``, ``A-CS2``, ``A-Ref`` or ``PZ-OZ`` (``A`` modelled, the other not: chb12's referential and
monopolar files, chb15's ``PZ-OZ``) is ``A`` against the average of the modelled electrodes; a dummy (``-``,
``.``) is all zeros with digital minimum = maximum = 0; ``ECG`` / ``EKG...`` a crude ECG (QRS-like spikes); anything
else (``VNS``, ``LOC-ROC``, ``LUE-RAE``, chb15's ``FC1-Ref``, chb12's ``01`` and ``C2``, ...) independent 0.5-30 Hz
noise of :data:`AUX_UV` µV RMS. The project never reads the non-EEG and referential channels as montage EEG
(:mod:`seizurepred.io.montage`), so only their presence and labels matter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from scipy import fft as sp_fft

from seizurepred.io.edf_write import CHBMIT_DIGITAL_RANGE, CHBMIT_PHYSICAL_RANGE_UV
from seizurepred.io.montage import is_dummy, normalize_label
from seizurepred.synth.background import band_psd, colored_noise
from seizurepred.synth.config import SFREQ
from seizurepred.synth.head import ELECTRODE_POS, ELECTRODES, derivation_matrix

#: Level (µV RMS) of the noise in auxiliary channels (labels that no modelled electrode gives).
AUX_UV = 10.0

ChannelKind = Literal["dummy", "ecg", "bipolar", "referential", "aux"]


def _ecg(rng: np.random.Generator, n_samples: int) -> np.ndarray:
    """A crude ECG (QRS-like biphasic spikes at 80-120 bpm), float32 µV."""
    rr = rng.uniform(0.5, 0.75) * SFREQ
    beats = np.cumsum(rr * (1.0 + 0.05 * rng.standard_normal(int(n_samples / rr) + 2))).astype(np.int64)
    train = np.zeros(n_samples, dtype=np.float32)
    train[beats[beats < n_samples]] = 1.0
    t = np.arange(-8, 9) / SFREQ
    qrs = (-t / 0.012 * np.exp(-0.5 * (t / 0.012) ** 2) * 300.0).astype(np.float32)
    return np.convolve(train, qrs, mode="same").astype(np.float32)


def _to_digital(uv: np.ndarray) -> np.ndarray:
    """µV -> int16 digital under the CHB-MIT calibration, in float32 and in place (as ``uv_to_digital``)."""
    (pmin, pmax), (dmin, dmax) = CHBMIT_PHYSICAL_RANGE_UV, CHBMIT_DIGITAL_RANGE
    uv *= np.float32((dmax - dmin) / (pmax - pmin))
    uv += np.float32(dmin - pmin * (dmax - dmin) / (pmax - pmin))
    np.rint(uv, out=uv)
    np.clip(uv, -32768, 32767, out=uv)
    return uv.astype(np.int16)


def channel_kind(label: str) -> ChannelKind:
    """How the generator fills a channel of this label.

    Returns
    -------
    {"dummy", "ecg", "bipolar", "referential", "aux"}
        ``"bipolar"``: ``A-B`` with both electrodes modelled (:data:`~seizurepred.synth.head.ELECTRODES`);
        ``"referential"``: ``A`` or ``A-X`` with ``A`` modelled and ``X`` not (``CS2``, ``Ref``, ``OZ``), i.e.
        ``A`` against the average of the modelled electrodes; ``"dummy"``: ``-``, ``.``; ``"ecg"``: ``ECG``,
        ``EKG...``; ``"aux"``: anything else (independent noise).
    """
    if is_dummy(label):
        return "dummy"
    key = normalize_label(label)
    if key == "ECG" or key.startswith(("EKG", "ECG")):
        return "ecg"
    parts = key.split("-")
    if len(parts) == 2 and all(p in ELECTRODE_POS for p in parts):
        return "bipolar"
    if len(parts) <= 2 and parts[0] in ELECTRODE_POS:
        return "referential"
    return "aux"


def _aux(rng: np.random.Generator, n_samples: int) -> np.ndarray:
    """Independent 0.5-30 Hz noise of AUX_UV µV RMS, float32 (drawn at a fast FFT length)."""
    n_fft = sp_fft.next_fast_len(n_samples, real=True)
    psd = band_psd(sp_fft.rfftfreq(n_fft, 1.0 / SFREQ), 0.5, 30.0)
    return colored_noise(rng, 1, n_fft, psd)[0, :n_samples] * np.float32(AUX_UV)


def _referential(labels: Sequence[str], mono: np.ndarray) -> np.ndarray:
    """Electrode A of each label against the average of the modelled electrodes, µV, float32."""
    mat = np.full((len(labels), len(ELECTRODES)), -1.0 / len(ELECTRODES), dtype=np.float32)
    for row, lab in enumerate(labels):
        mat[row, ELECTRODES.index(normalize_label(lab).split("-")[0])] += 1.0
    return mat @ mono


def file_digital(
    channels: Sequence[str],
    mono: np.ndarray,
    rng: np.random.Generator,
    aux_rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, list[int]]:
    """The channels ``channels`` of one file as int16 digital values, and the digital minimum per channel.

    Parameters
    ----------
    channels : sequence of str
        Labels in file order.
    mono : ndarray of shape (n_electrodes, n_samples), float32
        Monopolar µV of the file.
    rng : numpy Generator
        Draws the ECG channels (in channel order).
    aux_rng : numpy Generator or None
        Draws the auxiliary channels (in channel order); needed only when there are some.

    Returns
    -------
    digital : ndarray of shape (n_channels, n_samples), int16
    digital_min : list of int
        0 for dummy channels (whose digital maximum is 0 too), else the CHB-MIT minimum.
    """
    kinds = [channel_kind(lab) for lab in channels]
    bipolar = [normalize_label(lab) for lab, k in zip(channels, kinds) if k == "bipolar"]
    referential = [lab for lab, k in zip(channels, kinds) if k == "referential"]
    rows = iter(_to_digital(derivation_matrix(tuple(bipolar)) @ mono)) if bipolar else iter(())
    ref_rows = iter(_to_digital(_referential(referential, mono))) if referential else iter(())
    out = np.zeros((len(channels), mono.shape[1]), dtype=np.int16)
    dmins = []
    for i, kind in enumerate(kinds):
        if kind == "dummy":
            dmins.append(0)  # dummy: digital min == max == 0, all samples 0
            continue
        if kind == "ecg":
            out[i] = _to_digital(_ecg(rng, mono.shape[1]))
        elif kind == "bipolar":
            out[i] = next(rows)
        elif kind == "referential":
            out[i] = next(ref_rows)
        else:
            if aux_rng is None:
                raise ValueError("aux_rng is needed for auxiliary channels")
            out[i] = _to_digital(_aux(aux_rng, mono.shape[1]))
        dmins.append(CHBMIT_DIGITAL_RANGE[0])
    return out, dmins
