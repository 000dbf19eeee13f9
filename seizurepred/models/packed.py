"""N independent copies of a registered model as one network: the same math per copy, one batched step for all.

A GPU trains one small model (the paper's 0.78 M-parameter CNN-Transformer, batch 64) far below its capacity; a
packed model runs N of them per kernel launch::

    x (N, B, n_chans, n_times)  ->  PackedModel  ->  logits (N, B)

Convolutions become one grouped convolution (``groups = N * groups``), BatchNorm runs over ``N * C`` channels
(per-channel batch statistics are the per-model statistics), Linear and attention projections are batched
matmuls over a leading model dimension, and dropout draws its noise per model (see
:mod:`seizurepred.models.packed_layers`). The packed state dict is the stack of the N state dicts, key for key::

    packed = pack_models([m0, m1, m2])          # same registered name and options, weights copied
    logits = packed(x)                          # (3, B)
    sd1 = unpack_state_dicts(packed)[1]         # loadable in m1's class; unpack(packed, 1) builds the model

Supported: ``cnn_transformer`` (all options), ``small``, ``bandpower_logreg``. The packed model is not registered
(it is not a model of the registry's contract).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from seizurepred.errors import ConfigError
from seizurepred.models.baseline import BandPowerLogReg, band_coherency
from seizurepred.models.cnn_transformer import CNNTransformer
from seizurepred.models.packed_layers import PackContext, PackStep, pack_layer
from seizurepred.models.registry import model_config_dict
from seizurepred.models.small import SmallConvNet


class PackedModel(nn.Module):
    """Base of the packed models: N copies of ``template``'s architecture, built by :func:`pack_models`.

    Parameters
    ----------
    template : nn.Module
        One model of the pack (its architecture and attributes are copied, its weights are not).
    n_models : int
        Number of copies N.

    Attributes
    ----------
    n_models : int
    channels_last : bool
        Feed 2-D convolutions channels-last (NHWC) activations (cuDNN kernels on CUDA); off by default.
    """

    def __init__(self, template: nn.Module, n_models: int):
        super().__init__()
        self.n_models = int(n_models)
        self.ctx = PackContext()
        self.channels_last = False
        self._template = [copy.deepcopy(template).cpu()]  # a list: not registered as a submodule

    @property
    def template(self) -> nn.Module:
        """A CPU copy of the first packed model (weights as packed; architecture and attributes of all)."""
        return self._template[0]

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Map windows (N, B, C, T) to per-model features (N, B, n_features)."""
        raise NotImplementedError

    def forward_head(self, feats: torch.Tensor) -> torch.Tensor:
        """Map features (N, B, n_features) to logits (N, B)."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor, step: PackStep | None = None) -> torch.Tensor:
        """Map windows ``x`` (N, B, n_chans, n_times) in µV to logits (N, B); ``step`` as in :class:`PackStep`."""
        if x.dim() != 4 or x.shape[0] != self.n_models:
            raise ConfigError(
                f"Invalid value for 'x': allowed shape ({self.n_models}, batch, n_chans, n_times); "
                f"got {tuple(x.shape)}."
            )
        self.ctx.step = step
        try:
            return self.forward_head(self.forward_features(x))  # (N, B)
        finally:
            self.ctx.step = None

    def select(self, indices: Sequence[int]) -> PackedModel:
        """Return a new packed model of the models at ``indices`` (weights, buffers and mode copied)."""
        indices = list(indices)
        if not indices or not all(0 <= i < self.n_models for i in indices):
            raise ConfigError(
                f"Invalid value for 'indices': allowed a non-empty list of models in 0..{self.n_models - 1}; "
                f"got {indices!r}."
            )
        sd = self.state_dict()
        device = next(iter(sd.values())).device
        rows = torch.tensor(indices, device=device)
        with torch.device(device):  # parameters created where they live: no host-to-device copies
            packed = type(self)(self.template, len(indices)).to(device)
        packed.load_state_dict({k: v.index_select(0, rows) for k, v in sd.items()})
        packed.channels_last = self.channels_last
        return packed.train(self.training)


def _leading_features(z: torch.Tensor, n_models: int) -> torch.Tensor:
    """(B, N * F) or (B, N * F, ...) channel layout -> (N, B, F, ...) leading layout."""
    b = z.shape[0]
    return z.reshape(b, n_models, z.shape[1] // n_models, *z.shape[2:]).transpose(0, 1)


class _PackedAttention(nn.Module):
    """N copies of :class:`~seizurepred.models.cnn_transformer.KerasMultiHeadAttention` on (N, B, tokens, d)."""

    def __init__(self, attn: nn.Module, n_models: int, ctx: PackContext):
        super().__init__()
        self.num_heads, self.key_dim = attn.num_heads, attn.key_dim
        for name in ("query", "key", "value", "out"):
            setattr(self, name, pack_layer(getattr(attn, name), n_models, ctx, layout="leading"))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Attend over the tokens of ``x`` (N, B, n, d_in) per model and window; returns (N, B, n, d_out)."""
        nm, b, n, _ = x.shape
        heads = (nm * b, n, self.num_heads, self.key_dim)
        q = self.query(x).reshape(heads).transpose(1, 2)  # (N * B, H, n, key_dim)
        k = self.key(x).reshape(heads).transpose(1, 2)  # (N * B, H, n, key_dim)
        v = self.value(x).reshape(heads).transpose(1, 2)  # (N * B, H, n, key_dim)
        a = F.scaled_dot_product_attention(q, k, v)  # (N * B, H, n, key_dim)
        a = a.transpose(1, 2).reshape(nm, b, n, self.num_heads * self.key_dim)  # (N, B, n, H * key_dim)
        return self.out(a)  # (N, B, n, d_out)


class _PackedAttentionBlock(nn.Module):
    """N copies of the CNN-Transformer's attention block: attention -> [residual + LayerNorm] -> Dense -> ReLU."""

    def __init__(self, block: nn.Module, n_models: int, ctx: PackContext):
        super().__init__()
        self.attn = _PackedAttention(block.attn, n_models, ctx)
        self.norm = None if block.norm is None else pack_layer(block.norm, n_models, ctx, layout="leading")
        self.dense = pack_layer(block.dense, n_models, ctx, layout="leading")
        self.drop = pack_layer(block.drop, n_models, ctx, layout="leading")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map tokens (N, B, n, d_in) to (N, B, n, dense_dim)."""
        a = self.attn(x)  # (N, B, n, d_attn)
        if self.norm is not None:
            a = self.norm(x + a)  # (N, B, n, d_in)
        return self.drop(F.relu(self.dense(a)))  # (N, B, n, dense_dim)


class PackedCNNTransformer(PackedModel):
    """N copies of :class:`~seizurepred.models.cnn_transformer.CNNTransformer` (any options)."""

    def __init__(self, template: CNNTransformer, n_models: int):
        super().__init__(template, n_models)
        self.norm = copy.deepcopy(template.norm)
        self.conv = nn.Sequential(
            *(pack_layer(m, n_models, self.ctx, layout="channels") for m in template.conv)
        )
        self.attention = nn.Sequential(
            *(_PackedAttentionBlock(b, n_models, self.ctx) for b in template.attention)
        )
        self.head = pack_layer(template.head, n_models, self.ctx, layout="leading")

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Map windows (N, B, C, T) in µV to token features (N, B, n_tokens * dense_dim)."""
        z = self.norm(x).transpose(0, 1)  # (B, N, C, T) = (B, N * 1, C, T)
        fmt = torch.channels_last if self.channels_last else torch.contiguous_format
        z = self.conv(z.contiguous(memory_format=fmt))  # (B, N * F, C', T')
        b, _, c, t = z.shape
        z = z.reshape(b, self.n_models, -1, t).permute(1, 0, 3, 2)  # (N, B, T', F * C')  tokens = time steps
        z = self.attention(z)  # (N, B, T', dense_dim)
        return z.flatten(2)  # (N, B, T' * dense_dim)

    def forward_head(self, feats: torch.Tensor) -> torch.Tensor:
        """Map features (N, B, n_features) to logits (N, B)."""
        return self.head(feats).squeeze(-1)  # (N, B)


class PackedSmallConvNet(PackedModel):
    """N copies of :class:`~seizurepred.models.small.SmallConvNet`."""

    def __init__(self, template: SmallConvNet, n_models: int):
        super().__init__(template, n_models)
        self.norm = copy.deepcopy(template.norm)
        self.features = nn.Sequential(
            *(pack_layer(m, n_models, self.ctx, layout="channels") for m in template.features)
        )
        self.drop = pack_layer(template.drop, n_models, self.ctx, layout="leading")
        self.head = pack_layer(template.head, n_models, self.ctx, layout="leading")

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Map windows (N, B, C, T) in µV to pooled features (N, B, 4 * width)."""
        n, b, c, t = x.shape
        z = self.norm(x).transpose(0, 1).reshape(b, n * c, t)  # (B, N * C, T)
        z = _leading_features(self.features(z), n)  # (N, B, 2w, T / 32)
        return torch.cat([z.mean(dim=-1), z.amax(dim=-1)], dim=2).contiguous()  # (N, B, 4w)

    def forward_head(self, feats: torch.Tensor) -> torch.Tensor:
        """Map features (N, B, 4 * width) to logits (N, B)."""
        return self.head(self.drop(feats)).squeeze(-1)  # (N, B)


class PackedBandPowerLogReg(PackedModel):
    """N copies of :class:`~seizurepred.models.baseline.BandPowerLogReg`."""

    def __init__(self, template: BandPowerLogReg, n_models: int):
        super().__init__(template, n_models)
        self.eps = template.eps
        self.register_buffer("bands", template.bands.clone(), persistent=False)  # (n_freqs, n_bands)
        self.coherence = template.coherence
        self._band_slices = template._band_slices
        self.standardise = pack_layer(template.standardise, n_models, self.ctx, layout="channels")
        self.head = pack_layer(template.head, n_models, self.ctx, layout="leading")

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Map windows (N, B, C, T) in µV to standardised log band powers, and with ``coherence`` the channels'
        band coherencies (N, B, n_features)."""
        n, b = x.shape[:2]
        with torch.autocast(device_type=x.device.type, enabled=False):
            spec = torch.fft.rfft(x.float(), dim=-1)  # (N, B, C, n_freqs) complex
            power = (spec.real.square() + spec.imag.square()) / x.shape[-1] ** 2  # (N, B, C, n_freqs)
            feats = torch.log10(power @ self.bands + self.eps).flatten(2)  # (N, B, C * n_bands)
            if self.coherence:
                feats = torch.cat([feats, band_coherency(spec, self._band_slices)], dim=2)  # (N, B, 2 C n_bands)
            z = self.standardise(feats.transpose(0, 1).reshape(b, -1))  # (B, N * n_features)
            return _leading_features(z, n)  # (N, B, n_features)

    def forward_head(self, feats: torch.Tensor) -> torch.Tensor:
        """Map features (N, B, n_features) to logits (N, B)."""
        return self.head(feats).squeeze(-1)  # (N, B)


_PACKED: dict[type[nn.Module], type[PackedModel]] = {
    CNNTransformer: PackedCNNTransformer,
    SmallConvNet: PackedSmallConvNet,
    BandPowerLogReg: PackedBandPowerLogReg,
}


def _check_same(models: list[nn.Module]) -> None:
    first = models[0]
    if type(first) not in _PACKED:
        allowed = ", ".join(c.__name__ for c in _PACKED)
        raise ConfigError(f"Invalid value for 'models': allowed {allowed}; got {type(first).__name__}.")
    shapes = {k: (v.shape, v.dtype, v.device) for k, v in first.state_dict().items()}
    for i, m in enumerate(models[1:], start=1):
        if type(m) is not type(first) or model_config_dict(m) != model_config_dict(first):
            raise ConfigError(
                f"Invalid value for 'models': allowed models of one name and options; model {i} is "
                f"{model_config_dict(m)!r}, model 0 {model_config_dict(first)!r}."
            )
        if {k: (v.shape, v.dtype, v.device) for k, v in m.state_dict().items()} != shapes:
            raise ConfigError(
                f"Invalid value for 'models': allowed models of one architecture on one device; model {i} "
                "differs from model 0 in its parameter shapes, dtypes or device."
            )


def pack_models(models: Sequence[nn.Module]) -> PackedModel:
    """Pack N models of one registered name and options into one :class:`PackedModel`, copying their weights.

    Parameters
    ----------
    models : sequence of nn.Module
        N >= 1 models (``cnn_transformer``, ``small`` or ``bandpower_logreg``), on one device; not modified.

    Returns
    -------
    PackedModel
        On the models' device and in the first model's train/eval mode; maps (N, B, C, T) to (N, B).
    """
    models = list(models)
    if not models:
        raise ConfigError("Invalid value for 'models': allowed at least one model; got none.")
    _check_same(models)
    state_dicts = [m.state_dict() for m in models]
    device = next(iter(state_dicts[0].values())).device
    with torch.device(device):  # parameters created where they live: no host-to-device copies
        packed = _PACKED[type(models[0])](models[0], len(models)).to(device)
    packed.load_state_dict({k: torch.stack([sd[k] for sd in state_dicts]) for k in state_dicts[0]})
    return packed.train(models[0].training)


def unpack_state_dicts(packed: PackedModel) -> list[dict[str, torch.Tensor]]:
    """Return the N models' state dicts (CPU copies), each loadable in the original model's class."""
    sd = {k: v.detach().to("cpu", copy=True) for k, v in packed.state_dict().items()}
    return [{k: v[i].clone() for k, v in sd.items()} for i in range(packed.n_models)]


def unpack(packed: PackedModel, index: int) -> nn.Module:
    """Return model ``index`` of ``packed`` as an ordinary model (a new module on the packed model's device).

    The result has the original class, attributes (``model_config``, ``input_shape``) and the packed model's
    train/eval mode.
    """
    if not 0 <= index < packed.n_models:
        raise ConfigError(f"Invalid value for 'index': allowed 0..{packed.n_models - 1}; got {index!r}.")
    sd = {k: v[index].detach().clone() for k, v in packed.state_dict().items()}
    device = next(iter(sd.values())).device
    model = copy.deepcopy(packed.template).to(device)
    model.load_state_dict(sd)
    return model.train(packed.training)
