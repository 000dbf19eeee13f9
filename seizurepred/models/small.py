"""A compact 1-D convolutional seizure predictor that trains fast on a laptop CPU (demos and tests).

::

    (B, C, T) -> input_norm
    -> Conv1d(C -> w, k=9, stride 2) -> BatchNorm -> ReLU -> MaxPool(4)          spatial + temporal mixing
    -> depthwise Conv1d(k=9) -> pointwise Conv1d(w -> 2w) -> BatchNorm -> ReLU -> MaxPool(4)
    -> depthwise Conv1d(k=9) -> pointwise Conv1d(2w -> 2w) -> BatchNorm -> ReLU
    -> [global mean, global max] over time -> (B, 4w) -> Dropout -> Linear -> one logit
"""

from __future__ import annotations

import torch
from torch import nn

from seizurepred._validate import check_number
from seizurepred.models.cnn_transformer import InputNorm, InputNormName
from seizurepred.models.registry import register_model


def _separable(c_in: int, c_out: int, kernel: int) -> list[nn.Module]:
    return [
        nn.Conv1d(c_in, c_in, kernel, padding=kernel // 2, groups=c_in, bias=False),
        nn.Conv1d(c_in, c_out, 1, bias=False),
        nn.BatchNorm1d(c_out),
        nn.ReLU(),
    ]


@register_model("small")
class SmallConvNet(nn.Module):
    """Compact temporal CNN: 5,505 parameters for 23 channels at the default width.

    Parameters
    ----------
    n_chans : int
        Number of EEG channels.
    n_times : int
        Samples per window (at least 32).
    width : int
        Filters of the first block (later blocks use ``2 * width``).
    kernel : int
        Temporal kernel length in samples (odd).
    dropout : float
        Dropout before the linear head.
    input_norm : {"fixed_scale", "per_window_zscore", "none"}
        Input normalisation (see :mod:`seizurepred.models.cnn_transformer`).
    input_scale_uv : float
        Divisor of ``"fixed_scale"``, µV.
    """

    def __init__(
        self,
        n_chans: int,
        n_times: int,
        *,
        width: int = 16,
        kernel: int = 9,
        dropout: float = 0.2,
        input_norm: InputNormName = "fixed_scale",
        input_scale_uv: float = 100.0,
    ):
        super().__init__()
        check_number("n_times", n_times, min_value=32, integer=True)
        check_number("width", width, min_value=1, integer=True)
        check_number("kernel", kernel, min_value=1, integer=True)
        check_number("dropout", dropout, min_value=0.0, max_value=1.0, inclusive_max=False)
        self.norm = InputNorm(input_norm, scale_uv=input_scale_uv)
        self.features = nn.Sequential(
            nn.Conv1d(n_chans, width, kernel, stride=2, padding=kernel // 2, bias=False),
            nn.BatchNorm1d(width),
            nn.ReLU(),
            nn.MaxPool1d(4),
            *_separable(width, 2 * width, kernel),
            nn.MaxPool1d(4),
            *_separable(2 * width, 2 * width, kernel),
        )
        self.n_features = 4 * width
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(self.n_features, 1)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Map windows (B, C, T) in µV to pooled features (B, 4 * width)."""
        z = self.features(self.norm(x))  # (B, 2w, T / 32)
        return torch.cat([z.mean(dim=-1), z.amax(dim=-1)], dim=1)  # (B, 4w)

    def forward_head(self, feats: torch.Tensor) -> torch.Tensor:
        """Map features (B, 4 * width) to logits (B,)."""
        return self.head(self.drop(feats)).squeeze(-1)  # (B,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map windows (B, C, T) in µV to logits (B,)."""
        return self.forward_head(self.forward_features(x))  # (B,)
