"""Layers that hold N independent copies of one layer, for training N small models in one batched step.

Every parameter and buffer carries a leading model dimension ``N`` in front of the original layer's shape, so a
packed state dict is the stack of the N original state dicts, key for key. Two activation layouts are used:

* ``"channels"`` (convolutions, BatchNorm, pooling): ``(B, N * C, *spatial)``, model ``i`` owning channels
  ``i * C : (i + 1) * C``. Convolutions run with ``groups = N * groups``; BatchNorm over ``N * C`` channels
  computes exactly the per-model batch statistics.
* ``"leading"`` (Linear, LayerNorm, attention): ``(N, B, ..., features)``; Linear is a batched matmul.

A training step may tell the layers which models take part (:class:`PackStep`): a model that sits a step out keeps
its BatchNorm running statistics and draws no dropout noise; a model with fewer valid windows than the step's
batch has its batch statistics computed over its valid windows only and, with per-model generators, its dropout
noise drawn for those only, so that every model sees exactly what it would see trained on its own.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Sequence
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from seizurepred.errors import ConfigError

Layout = Literal["channels", "leading"]


@dataclasses.dataclass(frozen=True)
class PackStep:
    """What one training step tells the layers of a packed model (``None`` fields: every model, every window).

    Attributes
    ----------
    n_valid : tuple of int or None
        Valid windows of each model in this step's batch (0: the model sits the step out). Host integers.
    active : Tensor of shape (N,), bool, or None
        ``n_valid > 0`` on the model's device; inactive models keep their BatchNorm running statistics.
    sample_mask : Tensor of shape (N, B), bool, or None
        Valid windows; given when an active model has fewer valid windows than the batch (padding).
    generators : sequence of torch.Generator or None
        One dropout generator per model: each model's noise is drawn as ``torch.nn.Dropout`` draws it for that
        model alone on the CPU. ``None``: one draw for the whole pack from the global generator (PyTorch's fused
        dropout kernel on CUDA, about half the memory traffic).
    """

    n_valid: tuple[int, ...] | None = None
    active: torch.Tensor | None = None
    sample_mask: torch.Tensor | None = None
    generators: Sequence[torch.Generator | None] | None = None


class PackContext:
    """Mutable holder of the current :class:`PackStep`, shared by the layers of one packed model."""

    def __init__(self) -> None:
        self.step: PackStep | None = None


class PackedConv(nn.Module):
    """N copies of a ``Conv1d`` / ``Conv2d`` as one grouped convolution on ``(B, N * c_in, *spatial)``."""

    def __init__(self, conv: nn.Conv1d | nn.Conv2d, n_models: int):
        super().__init__()
        if conv.padding_mode != "zeros":
            raise ConfigError(
                f"Invalid value for 'padding_mode': allowed 'zeros' in a packed model; got {conv.padding_mode!r}."
            )
        self.n_models = n_models
        self.stride, self.padding, self.dilation, self.groups = (
            conv.stride,
            conv.padding,
            conv.dilation,
            conv.groups,
        )
        self.n_dims = conv.weight.dim() - 2
        self.weight = nn.Parameter(torch.zeros(n_models, *conv.weight.shape))  # (N, c_out, c_in/g, *k)
        self.bias = None if conv.bias is None else nn.Parameter(torch.zeros(n_models, *conv.bias.shape))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``x`` (B, N * c_in, *spatial) to (B, N * c_out, *spatial')."""
        conv = F.conv1d if self.n_dims == 1 else F.conv2d
        weight = self.weight.flatten(0, 1)  # (N * c_out, c_in / g, *k)
        bias = None if self.bias is None else self.bias.flatten()  # (N * c_out,)
        return conv(x, weight, bias, self.stride, self.padding, self.dilation, self.groups * self.n_models)


class PackedLinear(nn.Module):
    """N copies of a ``Linear`` as one batched matmul on ``(N, ..., in_features)``."""

    def __init__(self, linear: nn.Linear, n_models: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_models, *linear.weight.shape))  # (N, out, in)
        self.bias = None if linear.bias is None else nn.Parameter(torch.zeros(n_models, *linear.bias.shape))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``x`` (N, ..., in) to (N, ..., out)."""
        n, lead = x.shape[0], x.shape[1:-1]
        x3 = x.reshape(n, -1, x.shape[-1])  # (N, M, in)
        w = self.weight.transpose(1, 2)  # (N, in, out)
        if self.bias is None:
            y = torch.bmm(x3, w)  # (N, M, out)
        else:
            y = torch.baddbmm(self.bias.unsqueeze(1), x3, w)  # (N, M, out)
        return y.view(n, *lead, y.shape[-1])  # (N, ..., out)


class PackedLayerNorm(nn.Module):
    """N copies of a ``LayerNorm`` over the last dimension of ``(N, ..., d)``."""

    def __init__(self, norm: nn.LayerNorm, n_models: int):
        super().__init__()
        self.shape, self.eps = tuple(norm.normalized_shape), norm.eps
        if len(self.shape) != 1:
            raise ConfigError(
                f"Invalid value for 'normalized_shape': allowed one dimension in a packed model; got {self.shape}."
            )
        self.weight = None if norm.weight is None else nn.Parameter(torch.zeros(n_models, *self.shape))
        self.bias = None if norm.bias is None else nn.Parameter(torch.zeros(n_models, *self.shape))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise ``x`` (N, ..., d); returns the same shape."""
        y = F.layer_norm(x, self.shape, eps=self.eps)  # (N, ..., d)
        view = (x.shape[0],) + (1,) * (x.dim() - 2) + self.shape
        if self.weight is not None:
            y = y * self.weight.view(view)
        if self.bias is not None:
            y = y + self.bias.view(view)
        return y


class PackedBatchNorm(nn.Module):
    """N copies of a ``BatchNorm1d`` / ``BatchNorm2d`` on ``(B, N * C, *spatial)``.

    Statistics per channel of ``N * C`` channels are the per-model statistics. With a :class:`PackStep`, inactive
    models keep their running statistics and a ``sample_mask`` restricts each model's statistics to its valid
    windows.
    """

    def __init__(self, bn: nn.BatchNorm1d | nn.BatchNorm2d, n_models: int, ctx: PackContext):
        super().__init__()
        if bn.momentum is None or not bn.track_running_stats:
            raise ConfigError(
                "Invalid value for 'BatchNorm': allowed momentum set and track_running_stats=True in a packed "
                f"model; got momentum={bn.momentum!r}, track_running_stats={bn.track_running_stats!r}."
            )
        self.ctx, self.n_models, self.n_chans = ctx, n_models, bn.num_features
        self.eps, self.momentum = bn.eps, float(bn.momentum)
        shape = (n_models, bn.num_features)
        self.weight = nn.Parameter(torch.ones(shape)) if bn.affine else None
        self.bias = nn.Parameter(torch.zeros(shape)) if bn.affine else None
        self.register_buffer("running_mean", torch.zeros(shape))
        self.register_buffer("running_var", torch.ones(shape))
        self.register_buffer("num_batches_tracked", torch.zeros(n_models, dtype=torch.long))

    def _flat(self, t: torch.Tensor | None) -> torch.Tensor | None:
        return None if t is None else t.view(-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise ``x`` (B, N * C, *spatial); returns the same shape."""
        w, b = self._flat(self.weight), self._flat(self.bias)
        if not self.training:
            return F.batch_norm(
                x, self.running_mean.view(-1), self.running_var.view(-1), w, b, False, 0.0, self.eps
            )
        step = self.ctx.step or PackStep()
        if step.sample_mask is not None:
            return self._masked(x, step.sample_mask, step.active)
        if step.active is None:
            self.num_batches_tracked.add_(1)
            rm, rv = self.running_mean, self.running_var
            return F.batch_norm(x, rm.view(-1), rv.view(-1), w, b, True, self.momentum, self.eps)
        rm, rv = self.running_mean.clone(), self.running_var.clone()
        y = F.batch_norm(x, rm.view(-1), rv.view(-1), w, b, True, self.momentum, self.eps)
        self._keep_active(rm, rv, step.active)
        return y

    @torch.no_grad()
    def _keep_active(self, rm: torch.Tensor, rv: torch.Tensor, active: torch.Tensor) -> None:
        keep = active[:, None]  # (N, 1)
        self.running_mean.copy_(torch.where(keep, rm, self.running_mean))
        self.running_var.copy_(torch.where(keep, rv, self.running_var))
        self.num_batches_tracked.add_(active.long())

    def _masked(self, x: torch.Tensor, mask: torch.Tensor, active: torch.Tensor | None) -> torch.Tensor:
        """Batch statistics over each model's valid windows only (float32), then the running update."""
        bsz, n, c = x.shape[0], self.n_models, self.n_chans
        spatial = tuple(x.shape[2:])
        x5 = x.reshape(bsz, n, c, *spatial).float()  # (B, N, C, *S)
        m5 = mask.t().reshape(bsz, n, 1, *(1,) * len(spatial)).float()  # (B, N, 1, *1)
        dims = (0, *range(3, 3 + len(spatial)))
        count = (m5.sum(dim=dims) * math.prod(spatial)).clamp(min=1.0)  # (N, 1)
        mean = (x5 * m5).sum(dim=dims) / count  # (N, C)
        centred = x5 - mean.view(1, n, c, *(1,) * len(spatial))  # (B, N, C, *S)
        var = (centred.square() * m5).sum(dim=dims) / count  # (N, C) biased
        scale = torch.rsqrt(var + self.eps)  # (N, C)
        if self.weight is not None:
            scale = scale * self.weight
        y = centred * scale.view(1, n, c, *(1,) * len(spatial))  # (B, N, C, *S)
        if self.bias is not None:
            y = y + self.bias.view(1, n, c, *(1,) * len(spatial))
        with torch.no_grad():
            unbiased = var * count / (count - 1.0).clamp(min=1.0)  # (N, C)
            rm = torch.lerp(self.running_mean, mean.detach(), self.momentum)
            rv = torch.lerp(self.running_var, unbiased.detach(), self.momentum)
            ones = torch.ones(n, dtype=torch.bool, device=x.device)
            self._keep_active(rm, rv, ones if active is None else active)
        return y.to(x.dtype).reshape(x.shape)  # (B, N * C, *S)


class PackedDropout(nn.Module):
    """Dropout with one noise draw per model from its own generator, as ``torch.nn.Dropout`` draws it for that
    model alone on the CPU; one draw for the whole pack when the step gives no generators.

    Parameters
    ----------
    p : float
        Drop probability.
    n_models : int
        Models in the pack.
    layout : {"channels", "leading"}
        Where the model dimension is: channels ``(B, N * C, ...)`` or leading ``(N, B, ...)``.
    ctx : PackContext
        Shared step context (per-model generators, valid windows).
    """

    def __init__(self, p: float, n_models: int, layout: Layout, ctx: PackContext):
        super().__init__()
        self.p, self.n_models, self.layout, self.ctx = float(p), n_models, layout, ctx

    def _model_views(self, noise: torch.Tensor) -> list[torch.Tensor]:
        if self.layout == "leading":
            return list(noise.unbind(0))  # each (B, ...)
        shape = noise.shape
        split = noise.view(shape[0], self.n_models, shape[1] // self.n_models, *shape[2:])  # (B, N, C, ...)
        return list(split.unbind(1))  # each (B, C, ...)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply dropout to ``x`` in this layer's layout; identity in eval mode."""
        if not self.training or self.p == 0.0:
            return x
        step = self.ctx.step or PackStep()
        if step.generators is None:
            return F.dropout(x, self.p, training=True)  # one draw for all models (fused on CUDA)
        noise = torch.empty_like(x)  # same layout as x (channels_last kept)
        for i, view in enumerate(self._model_views(noise)):
            n_valid = view.shape[0] if step.n_valid is None else step.n_valid[i]
            if n_valid > 0:  # a model sitting the step out draws nothing (its stream stays as if alone)
                view[:n_valid].bernoulli_(1.0 - self.p, generator=step.generators[i])
            view[n_valid:].fill_(1.0)
        noise.div_(1.0 - self.p)
        return x * noise

    def extra_repr(self) -> str:
        return f"p={self.p}, n_models={self.n_models}, layout={self.layout!r}"


_LAYOUT_FREE = (nn.ReLU, nn.MaxPool1d, nn.MaxPool2d, nn.Identity)


def pack_layer(module: nn.Module, n_models: int, ctx: PackContext, *, layout: Layout) -> nn.Module:
    """Return the packed counterpart of one layer (weights zero / default until loaded).

    Parameters
    ----------
    module : nn.Module
        A Conv1d/2d, BatchNorm1d/2d, Linear, LayerNorm, Dropout, ReLU, MaxPool1d/2d or Identity.
    n_models : int
        Copies to hold.
    ctx : PackContext
        The packed model's shared step context.
    layout : {"channels", "leading"}
        Activation layout at this layer (see the module docstring).
    """
    if isinstance(module, nn.Conv1d | nn.Conv2d) and layout == "channels":
        return PackedConv(module, n_models)
    if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d) and layout == "channels":
        return PackedBatchNorm(module, n_models, ctx)
    if isinstance(module, nn.Linear) and layout == "leading":
        return PackedLinear(module, n_models)
    if isinstance(module, nn.LayerNorm) and layout == "leading":
        return PackedLayerNorm(module, n_models)
    if isinstance(module, nn.Dropout):
        return PackedDropout(module.p, n_models, layout, ctx)
    if isinstance(module, _LAYOUT_FREE):
        return copy.deepcopy(module)
    raise ConfigError(
        f"Invalid value for 'module': allowed Conv, BatchNorm, Linear, LayerNorm, Dropout, ReLU, MaxPool "
        f"in a packed model ({layout!r} layout); got {type(module).__name__}."
    )
