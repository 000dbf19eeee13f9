"""The paper's CNN-Transformer (Koutsouvelis et al. 2024, docs/method.md section 2) and the shared input normalisation.

Architecture for a window of ``n_chans x n_times`` (23 x 1280 in the paper), seen as a 1-channel 2-D map::

    (B, C, T) -> input_norm -> (B, 1, C, T)
    3 x [Conv2d 3x3 'same' (32, 64, 128 filters) -> BatchNorm2d -> ReLU -> Dropout(0.1) -> MaxPool]
    -> tokens: one per remaining time step, features = remaining channels x 128 filters (no positional encoding)
    2 x [multi-head self-attention (8 heads, key_dim 64 per head) -> Dense(64) -> ReLU -> Dropout(0.3)]
    -> flatten -> Linear -> one logit

Choices the paper leaves open ([R] in docs/method.md) are options:

* ``pool_channels``: MaxPool (2, 2) halves the channel axis too (default, 23 -> 11 -> 5 -> 2) or (1, 2) pools
  only time. Both give 160 tokens for T = 1280; the token width is 2 x 128 = 256 vs 23 x 128 = 2944, and most
  parameters sit in the first attention layer's projections. Parameter counts for 23 x 1280 (pool_channels
  True / False): 782,721 / 6,462,465 with the defaults; 671,937 / 4,800,705 with ``attn_out_dim=64`` (closest
  to the "0.6 M vs 4.7 M" of docs/method.md); 206,593 with ``key_dim=8``.
* ``key_dim``: per-head Q/K/V width, Keras ``MultiHeadAttention(num_heads=8, key_dim=64)`` semantics (total
  projection width ``num_heads * key_dim`` = 512; the output projection maps back to the input width, or to
  ``attn_out_dim`` when given, like Keras' ``output_shape``). ``key_dim=8`` reads "Q/K/V projected to 64" as the
  total width instead.
* ``residual_layernorm``: add a residual connection + LayerNorm around each attention layer (off, as the paper).
* ``input_norm``: the paper does not describe normalisation. ``"fixed_scale"`` (default) divides by
  ``input_scale_uv`` (100 µV), which keeps activations O(1) and keeps amplitude (power) differences between
  windows and channels, a main preictal marker; ``"per_window_zscore"`` standardises every channel of every
  window (removes amplitude information); ``"none"`` feeds µV as they are.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from seizurepred._validate import check_number, check_option
from seizurepred.models.registry import register_model

InputNormName = Literal["none", "per_window_zscore", "fixed_scale"]
INPUT_NORMS: tuple[str, ...] = ("none", "per_window_zscore", "fixed_scale")


class InputNorm(nn.Module):
    """Parameter-free input normalisation of EEG windows.

    Parameters
    ----------
    mode : {"none", "per_window_zscore", "fixed_scale"}
        See the module docstring.
    scale_uv : float
        Divisor for ``"fixed_scale"``, in µV.
    eps : float
        Added to the standard deviation for ``"per_window_zscore"``.
    """

    def __init__(self, mode: InputNormName = "fixed_scale", *, scale_uv: float = 100.0, eps: float = 1e-6):
        super().__init__()
        self.mode = check_option("input_norm", mode, INPUT_NORMS)
        self.scale_uv = float(check_number("input_scale_uv", scale_uv, min_value=0.0, inclusive_min=False))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise ``x`` of shape (B, C, T) in µV; returns the same shape."""
        if self.mode == "fixed_scale":
            return x / self.scale_uv  # (B, C, T)
        if self.mode == "per_window_zscore":
            mean = x.mean(dim=-1, keepdim=True)  # (B, C, 1)
            std = x.std(dim=-1, keepdim=True, unbiased=False)  # (B, C, 1)
            return (x - mean) / (std + self.eps)  # (B, C, T)
        return x

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}, scale_uv={self.scale_uv:g}"


class KerasMultiHeadAttention(nn.Module):
    """Self-attention with Keras ``MultiHeadAttention`` parameterisation.

    Q, K, V are projected from ``d_in`` to ``num_heads * key_dim``; the output projection maps back to ``d_out``
    (``d_in`` by default, as Keras does). Uses :func:`torch.nn.functional.scaled_dot_product_attention`
    (flash / memory-efficient kernels on CUDA).

    Parameters
    ----------
    d_in : int
        Token feature width.
    num_heads : int
        Number of heads.
    key_dim : int
        Per-head width of Q, K and V.
    d_out : int or None
        Output width; ``None`` means ``d_in``.
    """

    def __init__(self, d_in: int, *, num_heads: int, key_dim: int, d_out: int | None = None):
        super().__init__()
        self.num_heads = num_heads
        self.key_dim = key_dim
        inner = num_heads * key_dim
        self.query = nn.Linear(d_in, inner)
        self.key = nn.Linear(d_in, inner)
        self.value = nn.Linear(d_in, inner)
        self.out = nn.Linear(inner, d_in if d_out is None else d_out)

    def _split(self, t: torch.Tensor) -> torch.Tensor:
        b, n, _ = t.shape
        return t.view(b, n, self.num_heads, self.key_dim).transpose(1, 2)  # (B, H, N, key_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Attend over the tokens of ``x`` (B, N, d_in); returns (B, N, d_out)."""
        b, n, _ = x.shape
        q = self._split(self.query(x))  # (B, H, N, key_dim)
        k = self._split(self.key(x))  # (B, H, N, key_dim)
        v = self._split(self.value(x))  # (B, H, N, key_dim)
        a = F.scaled_dot_product_attention(q, k, v)  # (B, H, N, key_dim)
        a = a.transpose(1, 2).reshape(b, n, self.num_heads * self.key_dim)  # (B, N, H * key_dim)
        return self.out(a)  # (B, N, d_out)


class _AttentionBlock(nn.Module):
    """Attention -> [residual + LayerNorm] -> Dense -> ReLU -> Dropout."""

    def __init__(
        self,
        d_in: int,
        *,
        num_heads: int,
        key_dim: int,
        attn_out_dim: int | None,
        dense_dim: int,
        dropout: float,
        residual_layernorm: bool,
    ):
        super().__init__()
        d_attn = d_in if (attn_out_dim is None or residual_layernorm) else attn_out_dim
        self.attn = KerasMultiHeadAttention(d_in, num_heads=num_heads, key_dim=key_dim, d_out=d_attn)
        self.norm = nn.LayerNorm(d_in) if residual_layernorm else None
        self.dense = nn.Linear(d_attn, dense_dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map tokens (B, N, d_in) to (B, N, dense_dim)."""
        a = self.attn(x)  # (B, N, d_attn)
        if self.norm is not None:
            a = self.norm(x + a)  # (B, N, d_in)
        return self.drop(F.relu(self.dense(a)))  # (B, N, dense_dim)


@register_model("cnn_transformer")
class CNNTransformer(nn.Module):
    """The paper's CNN-Transformer seizure predictor.

    Parameters
    ----------
    n_chans : int
        Number of EEG channels (23 in the paper).
    n_times : int
        Samples per window (1280 = 5 s at 256 Hz in the paper); at least 2 ** len(filters).
    pool_channels : bool
        MaxPool (2, 2) (``True``) or (1, 2) (``False``, pool time only).
    filters : tuple of int
        Filters of the three convolution blocks.
    conv_dropout : float
        Dropout after every convolution block.
    num_heads : int
        Attention heads.
    key_dim : int
        Per-head Q/K/V width (Keras ``key_dim``).
    attn_out_dim : int or None
        Output width of the attention projection (``None``: the input width, as Keras' default).
    dense_dim : int
        Width of the Dense layer after each attention layer.
    attn_dropout : float
        Dropout after each Dense layer.
    n_attention : int
        Number of attention blocks (2 in the paper).
    residual_layernorm : bool
        Residual + LayerNorm around each attention layer (not in the paper).
    input_norm : {"fixed_scale", "per_window_zscore", "none"}
        Input normalisation (see the module docstring).
    input_scale_uv : float
        Divisor of ``"fixed_scale"``, µV.
    """

    def __init__(
        self,
        n_chans: int,
        n_times: int,
        *,
        pool_channels: bool = True,
        filters: tuple[int, ...] = (32, 64, 128),
        conv_dropout: float = 0.1,
        num_heads: int = 8,
        key_dim: int = 64,
        attn_out_dim: int | None = None,
        dense_dim: int = 64,
        attn_dropout: float = 0.3,
        n_attention: int = 2,
        residual_layernorm: bool = False,
        input_norm: InputNormName = "fixed_scale",
        input_scale_uv: float = 100.0,
    ):
        super().__init__()
        check_option("pool_channels", pool_channels, (True, False))
        check_option("residual_layernorm", residual_layernorm, (True, False))
        for name, value in (
            ("num_heads", num_heads),
            ("key_dim", key_dim),
            ("dense_dim", dense_dim),
            ("n_attention", n_attention),
        ):
            check_number(name, value, min_value=1, integer=True)
        for name, value in (("conv_dropout", conv_dropout), ("attn_dropout", attn_dropout)):
            check_number(name, value, min_value=0.0, max_value=1.0, inclusive_max=False)
        if attn_out_dim is not None:
            check_number("attn_out_dim", attn_out_dim, min_value=1, integer=True)
        n_pool = len(filters)
        pool = (2, 2) if pool_channels else (1, 2)
        check_number("n_times", n_times, min_value=2**n_pool, integer=True)
        if pool_channels:
            check_number("n_chans", n_chans, min_value=2**n_pool, integer=True)
        self.norm = InputNorm(input_norm, scale_uv=input_scale_uv)
        blocks, c_in = [], 1
        for c_out in filters:
            check_number("filters", c_out, min_value=1, integer=True)
            blocks += [
                nn.Conv2d(c_in, c_out, 3, padding="same"),
                nn.BatchNorm2d(c_out),
                nn.ReLU(),
                nn.Dropout(conv_dropout),
                nn.MaxPool2d(pool),
            ]
            c_in = c_out
        self.conv = nn.Sequential(*blocks)
        chans_out = n_chans // 2**n_pool if pool_channels else n_chans
        self.n_tokens = n_times // 2**n_pool
        d_model = chans_out * filters[-1]
        layers = []
        for i in range(n_attention):
            layers.append(
                _AttentionBlock(
                    d_model if i == 0 else dense_dim,
                    num_heads=num_heads,
                    key_dim=key_dim,
                    attn_out_dim=attn_out_dim,
                    dense_dim=dense_dim,
                    dropout=attn_dropout,
                    residual_layernorm=residual_layernorm,
                )
            )
        self.attention = nn.Sequential(*layers)
        self.n_features = self.n_tokens * dense_dim
        self.head = nn.Linear(self.n_features, 1)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Map windows (B, C, T) in µV to flattened token features (B, n_tokens * dense_dim)."""
        z = self.norm(x).unsqueeze(1)  # (B, 1, C, T)
        z = self.conv(z)  # (B, F, C', T')
        z = z.flatten(1, 2).transpose(1, 2)  # (B, T', F * C')  tokens = time steps
        z = self.attention(z)  # (B, T', dense_dim)
        return z.flatten(1)  # (B, T' * dense_dim)

    def forward_head(self, feats: torch.Tensor) -> torch.Tensor:
        """Map features (B, n_features) to logits (B,)."""
        return self.head(feats).squeeze(-1)  # (B,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map windows (B, C, T) in µV to logits (B,)."""
        return self.forward_head(self.forward_features(x))  # (B,)
