"""Baseline: logistic regression on log band powers (and, optionally, band coherence), computed in torch.

::

    (B, C, T) µV -> rFFT -> power per frequency bin -> mean power per band and channel (B, C, n_bands)
    -> log10 -> BatchNorm1d(affine=False) (learned standardisation) -> Linear -> one logit

With ``coherence=True`` the features also hold, per band and channel, the channel's mean coherency with every
other channel (coherency: the real part of the band's cross-spectrum over the square root of the two power
spectra, in [-1, 1]): how synchronised each channel is with the rest, which band power alone does not see (one
feature per channel and band, like power, rather than one per pair: 253 pairs per band would over-fit a few
thousand training windows). Trainable by the same trainer as the deep models; it shows what spectral
features alone achieve.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from seizurepred._validate import check_number
from seizurepred.errors import ConfigError
from seizurepred.models.registry import register_model

DEFAULT_BANDS_HZ: tuple[tuple[float, float], ...] = (
    (0.5, 4.0),
    (4.0, 8.0),
    (8.0, 13.0),
    (13.0, 30.0),
    (30.0, 45.0),
)


def band_matrix(n_times: int, sfreq: float, bands_hz: Sequence[Sequence[float]]) -> torch.Tensor:
    """Return the (n_freqs, n_bands) matrix that averages rFFT bin powers over each band [lo, hi).

    Parameters
    ----------
    n_times : int
        Window length in samples.
    sfreq : float
        Sampling frequency in Hz.
    bands_hz : sequence of (lo_hz, hi_hz)
        Frequency bands; each must contain at least one rFFT bin.
    """
    freqs_hz = torch.fft.rfftfreq(n_times, d=1.0 / sfreq, dtype=torch.float64)  # (n_freqs,)
    columns = []
    for band in bands_hz:
        if len(band) != 2 or not band[0] < band[1]:
            raise ConfigError(
                f"Invalid value for 'bands_hz': allowed (lo_hz, hi_hz) pairs with lo < hi; got {band!r}."
            )
        mask = (freqs_hz >= band[0]) & (freqs_hz < band[1])  # (n_freqs,)
        if not bool(mask.any()):
            raise ConfigError(
                f"Invalid value for 'bands_hz': band {tuple(band)!r} contains no FFT bin at "
                f"n_times={n_times}, sfreq={sfreq:g}."
            )
        columns.append(mask.double() / mask.sum())
    return torch.stack(columns, dim=1).float()  # (n_freqs, n_bands)


@register_model("bandpower_logreg")
class BandPowerLogReg(nn.Module):
    """Logistic regression on standardised log10 band powers of every channel.

    Parameters
    ----------
    n_chans : int
        Number of EEG channels.
    n_times : int
        Samples per window.
    sfreq : float
        Sampling frequency in Hz (256 for CHB-MIT).
    bands_hz : sequence of (lo_hz, hi_hz)
        Frequency bands (default: delta, theta, alpha, beta, low gamma up to 45 Hz).
    eps : float
        Added to the band power (µV²) before the logarithm.
    coherence : bool
        Also use each channel's mean band coherency with the other channels (``n_chans`` per band).
    """

    def __init__(
        self,
        n_chans: int,
        n_times: int,
        *,
        sfreq: float = 256.0,
        bands_hz: Sequence[Sequence[float]] = DEFAULT_BANDS_HZ,
        eps: float = 1e-6,
        coherence: bool = False,
    ):
        super().__init__()
        if not isinstance(coherence, bool):
            raise ConfigError(f"Invalid value for 'coherence': allowed True, False; got {coherence!r}.")
        check_number("sfreq", sfreq, min_value=0.0, inclusive_min=False)
        check_number("eps", eps, min_value=0.0, inclusive_min=False)
        self.eps = float(eps)
        self.register_buffer("bands", band_matrix(n_times, float(sfreq), bands_hz), persistent=False)
        self.coherence = coherence
        self.n_features = (2 if coherence else 1) * n_chans * self.bands.shape[1]
        self.standardise = nn.BatchNorm1d(self.n_features, affine=False)
        self.head = nn.Linear(self.n_features, 1)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Map windows (B, C, T) in µV to standardised log band powers (B, C * n_bands)."""
        with torch.autocast(device_type=x.device.type, enabled=False):
            spec = torch.fft.rfft(x.float(), dim=-1)  # (B, C, n_freqs) complex
            power = spec.real.square() + spec.imag.square()  # (B, C, n_freqs) µV² * T
            power = power / x.shape[-1] ** 2  # (B, C, n_freqs)
            band_power = power @ self.bands  # (B, C, n_bands)
            feats = torch.log10(band_power + self.eps).flatten(1)  # (B, C * n_bands)
            if self.coherence:
                feats = torch.cat([feats, self._coherency(spec)], dim=1)  # (B, 2 * C * n_bands)
            return self.standardise(feats)

    def _coherency(self, spec: torch.Tensor) -> torch.Tensor:
        """Each channel's mean band coherency with the others: (B, C, n_freqs) complex -> (B, C * n_bands)."""
        n_chans = spec.shape[1]
        out = []
        for b in range(self.bands.shape[1]):
            bins = torch.nonzero(self.bands[:, b] > 0).squeeze(1)  # (n_bins,)
            re, im = spec.real[..., bins], spec.imag[..., bins]  # (B, C, n_bins) each
            cross = re @ re.transpose(1, 2) + im @ im.transpose(1, 2)  # (B, C, C): Re of the cross-spectrum
            diag = torch.diagonal(cross, dim1=1, dim2=2).clamp_min(1e-12).sqrt()  # (B, C)
            coh = cross / (diag[:, :, None] * diag[:, None, :])  # (B, C, C) in [-1, 1], ones on the diagonal
            out.append((coh.sum(dim=2) - 1.0) / max(n_chans - 1, 1))  # (B, C)
        return torch.cat(out, dim=1)  # (B, C * n_bands)

    def forward_head(self, feats: torch.Tensor) -> torch.Tensor:
        """Map features (B, C * n_bands) to logits (B,)."""
        return self.head(feats).squeeze(-1)  # (B,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map windows (B, C, T) in µV to logits (B,)."""
        return self.forward_head(self.forward_features(x))  # (B,)
