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


def band_slices(bands: torch.Tensor) -> list[tuple[int, int]]:
    """Each band's rFFT bins as a slice ``(lo, hi)`` of the (n_freqs, n_bands) :func:`band_matrix` (a band is a
    frequency range, so its bins are contiguous)."""
    out = []
    for b in range(bands.shape[1]):
        bins = torch.nonzero(bands[:, b] > 0).squeeze(1)
        out.append((int(bins[0]), int(bins[-1]) + 1))
    return out


def band_coherency(spec: torch.Tensor, slices: Sequence[tuple[int, int]]) -> torch.Tensor:
    """Each channel's mean band coherency with the other channels.

    Coherency of channels ``i, j`` in a band: ``Re<X_i, X_j> / (|X_i| |X_j|)`` over the band's bins, in [-1, 1].
    With ``y_c = X_c / |X_c|``, a row sum of the coherency matrix is ``Re<y_i, sum_j y_j>``: one sum over
    channels instead of the (C, C) matrix (O(C) per window and bin, not O(C**2)); the diagonal term (1) is taken
    out, and a flat channel has coherency 0 with every other one.

    Parameters
    ----------
    spec : complex tensor of shape (..., C, n_freqs)
        rFFT of the windows.
    slices : sequence of (lo, hi)
        The bands' bins (:func:`band_slices`).

    Returns
    -------
    tensor of shape (..., C * n_bands)
        Band-major, as the band powers.
    """
    n_chans = spec.shape[-2]
    first, last = min(lo for lo, _ in slices), max(hi for _, hi in slices)
    z = torch.view_as_real(spec[..., first:last]).contiguous()  # (..., C, n_bins, 2): real, imaginary
    out = []
    for lo, hi in slices:
        zb = z[..., lo - first : hi - first, :].flatten(-2)  # (..., C, 2 n_band_bins)
        sq = zb.square().sum(-1)  # (..., C): |X_c|^2
        inv = sq.clamp_min(1e-12).rsqrt()  # (..., C)
        total = (inv.unsqueeze(-2) @ zb).squeeze(-2)  # (..., 2 n_band_bins): sum over j of y_j
        row = inv * (zb @ total.unsqueeze(-1)).squeeze(-1)  # (..., C): sum over j of coherency(i, j)
        diag = (sq > 1e-12).to(row.dtype)  # coherency(i, i): 1, or 0 for a flat channel
        out.append((row - diag) / max(n_chans - 1, 1))  # (..., C)
    return torch.cat(out, dim=-1)  # (..., C * n_bands)


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
        self._band_slices = band_slices(self.bands)
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
        return band_coherency(spec, self._band_slices)

    def forward_head(self, feats: torch.Tensor) -> torch.Tensor:
        """Map features (B, C * n_bands) to logits (B,)."""
        return self.head(feats).squeeze(-1)  # (B,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map windows (B, C, T) in µV to logits (B,)."""
        return self.forward_head(self.forward_features(x))  # (B,)
