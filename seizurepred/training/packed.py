"""Train N models in lockstep as one packed network: each exactly as ``train_model`` would train it alone.

Alignment of epochs of different lengths. Every model keeps its own epochs: in pack epoch ``e`` model ``i``
makes one pass over its own training windows, in the order ``train_model`` draws with ``config.seed = seeds[i]``
(shuffle and dropout seeded from ``(seeds[i], e)``, batches of ``config.batch_size``, the last one partial, a
trailing batch of one dropped). The pack runs as many steps as the longest epoch among its models; a model whose
epoch is shorter sits the remaining steps out (no gradient, no optimiser update, no BatchNorm running-statistics
update, no dropout draw). When the models of a step have different numbers of valid windows (a partial last
batch), the shorter ones are padded with windows that count neither in the loss nor in their BatchNorm batch
statistics. Then every model is validated on its own validation windows, and early stopping (patience) and the
best weights are tracked per model; a stopped model leaves the pack (the pack shrinks), so its weights cannot
change any more. On the CPU a pack therefore reproduces ``train_model`` per model up to floating-point rounding
(batched matmuls, loss reduction order). On CUDA the dropout noise of the whole pack is one draw of PyTorch's
fused kernel (seeded from all the models' epoch seeds; per-model generators would cost N draws per layer and about
twice the memory traffic), so there a model's run depends on its pack partners through that noise: equivalent in
distribution, not in bits (``train_model`` on CUDA is not bit-equal to the CPU either).

Cost: idle slots. A step costs the same whether or not all N models take part, so pack models whose training
sets have similar sizes (the step utilisation is logged every epoch). Checkpoint / resume of a pack is not
supported.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
import zlib
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from seizurepred._progress import progress as _progress
from seizurepred._validate import check_number
from seizurepred.errors import ConfigError
from seizurepred.evaluation.metrics import roc_auc
from seizurepred.models.packed import PackedModel, pack_models
from seizurepred.models.packed_layers import PackStep
from seizurepred.training.config import TrainConfig
from seizurepred.training.device import describe_device, resolve_device
from seizurepred.training.trainer import (
    DEFAULT_TRAIN_CONFIG,
    TrainResult,
    _autocast,
    _check_data,
    _epoch_seed,
    _reproducible,
)

logger = logging.getLogger(__name__)


class PackedAdam:
    """Adam / AMSGrad (``torch.optim.Adam`` semantics) for the parameters of a packed model, with one step count
    per model and an ``active`` mask: an inactive model's weights and moments stay exactly as they are.

    The moments live in flat ``(N, n_params)`` tensors, so one step is about ten kernels whatever the number of
    parameter tensors. Adam is elementwise, so packing the parameters does not couple the models.

    Parameters
    ----------
    params : sequence of Tensor
        Parameters of shape (N, ...) (contiguous).
    n_models : int
        N.
    lr, betas, eps, amsgrad
        As ``torch.optim.Adam`` (no weight decay).
    """

    def __init__(
        self,
        params: Sequence[torch.Tensor],
        *,
        n_models: int,
        lr: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        amsgrad: bool = False,
    ):
        self.params = list(params)
        if not all(p.shape[0] == n_models and p.is_contiguous() for p in self.params):
            raise ConfigError(
                f"Invalid value for 'params': allowed contiguous tensors of shape ({n_models}, ...); got "
                f"{[tuple(p.shape) for p in self.params]}."
            )
        self.n_models, self.lr, self.betas, self.eps, self.amsgrad = n_models, lr, betas, eps, amsgrad
        self.sizes = [p[0].numel() for p in self.params]
        device = self.params[0].device
        self.exp_avg = torch.zeros(n_models, sum(self.sizes), device=device)  # (N, P)
        self.exp_avg_sq = torch.zeros_like(self.exp_avg)  # (N, P)
        self.max_exp_avg_sq = torch.zeros_like(self.exp_avg) if amsgrad else None  # (N, P)
        self.steps = torch.zeros(n_models, dtype=torch.float64, device=device)  # (N,)

    def zero_grad(self) -> None:
        """Drop the gradients (set them to ``None``)."""
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self, active: torch.Tensor | None = None) -> None:
        """One Adam step of the models where ``active`` (N,) bool is true (all when ``None``)."""
        n = self.n_models
        g = torch.cat(
            [(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(n, -1) for p in self.params],
            dim=1,
        )  # (N, P)
        a = torch.ones(n, device=g.device) if active is None else active.to(g.dtype)  # (N,)
        beta1, beta2 = self.betas
        self.steps += a
        seen = self.steps > 0
        bc1 = torch.where(seen, 1.0 - beta1**self.steps, 1.0)  # (N,) float64
        bc2 = torch.where(seen, 1.0 - beta2**self.steps, 1.0)  # (N,) float64
        self.exp_avg.lerp_(g, ((1.0 - beta1) * a)[:, None])
        keep2 = torch.where(a > 0, beta2, 1.0)[:, None]  # (N, 1)
        self.exp_avg_sq.mul_(keep2).addcmul_(g, g * ((1.0 - beta2) * a)[:, None])
        v = self.exp_avg_sq
        if self.max_exp_avg_sq is not None:
            v = torch.maximum(self.max_exp_avg_sq, self.exp_avg_sq, out=self.max_exp_avg_sq)
        denom = (v.sqrt() / bc2.sqrt().to(g.dtype)[:, None]).add_(self.eps)  # (N, P)
        step_size = (-self.lr / bc1).to(g.dtype) * a  # (N,), 0 for inactive models
        update = self.exp_avg / denom * step_size[:, None]  # (N, P)
        torch._foreach_add_([p.view(n, -1) for p in self.params], list(update.split(self.sizes, dim=1)))

    def select(self, indices: Sequence[int], params: Sequence[torch.Tensor]) -> PackedAdam:
        """Return an optimiser of the models at ``indices`` over ``params`` (of the selected packed model)."""
        rows = torch.tensor(list(indices), device=self.exp_avg.device)
        opt = PackedAdam(
            params, n_models=len(rows), lr=self.lr, betas=self.betas, eps=self.eps, amsgrad=self.amsgrad
        )
        opt.exp_avg, opt.exp_avg_sq = self.exp_avg[rows], self.exp_avg_sq[rows]
        opt.max_exp_avg_sq = None if self.max_exp_avg_sq is None else self.max_exp_avg_sq[rows]
        opt.steps = self.steps[rows]
        return opt


@dataclasses.dataclass
class _Member:
    """One model's data and bookkeeping in the pack."""

    X: torch.Tensor
    y: torch.Tensor
    X_val: torch.Tensor
    y_val: torch.Tensor
    seed: int
    n_used_dev: torch.Tensor  # () int64 on the device: n_used(batch_size), copied there once
    history: list[dict[str, float]] = dataclasses.field(default_factory=list)
    best_val_loss: float = math.inf
    best_epoch: int = 0
    best_state: dict[str, torch.Tensor] | None = None
    last_state: dict[str, torch.Tensor] | None = None
    since_best: int = 0
    stopped_early: bool = False

    @staticmethod
    def count_used(n: int, batch_size: int) -> int:
        return n if n % batch_size != 1 or n == 1 else n - 1  # a batch of one breaks BatchNorm

    def n_used(self, batch_size: int) -> int:
        return self.count_used(self.X.shape[0], batch_size)


def _members(datasets, seeds, device: torch.device, batch_size: int) -> list[_Member]:
    """Validate every (X_train, y_train, X_val, y_val); a tensor shared by several models is moved once."""
    moved: dict[int, Any] = {}

    def once(t: Any) -> Any:
        if isinstance(t, torch.Tensor) and t.is_floating_point() and t.device != device:
            moved.setdefault(id(t), t.to(device=device, dtype=torch.float32))
            return moved[id(t)]
        return t

    members = []
    for i, (data, seed) in enumerate(zip(datasets, seeds, strict=True)):
        if not isinstance(data, Sequence) or len(data) != 4:
            raise ConfigError(
                f"Invalid value for 'datasets[{i}]': allowed (X_train, y_train, X_val, y_val); got "
                f"{type(data).__name__}."
            )
        try:
            X, y, Xv, yv = _check_data(*(once(t) for t in data), device)
        except ConfigError as err:
            raise ConfigError(f"datasets[{i}]: {err}") from None
        check_number(f"seeds[{i}]", seed, min_value=0, max_value=2**31 - 1, integer=True)
        if members and X.shape[1:] != members[0].X.shape[1:]:
            raise ConfigError(
                f"Invalid value for 'datasets[{i}]': allowed windows of shape {tuple(members[0].X.shape[1:])} "
                f"like datasets[0]; got {tuple(X.shape[1:])}."
            )
        n_used = torch.tensor(_Member.count_used(X.shape[0], batch_size), device=device)
        members.append(_Member(X, y, Xv, yv, int(seed), n_used))
    return members


def _batch(members, perms, n_valid, start: int, b: int, n_used: list[int]):
    """Gather the step's windows (N, b, C, T) and labels (N, b); padding wraps around each model's order."""
    ref = members[0].X
    xb = torch.empty((len(members), b, *ref.shape[1:]), dtype=ref.dtype, device=ref.device)  # (N, b, C, T)
    yb = torch.empty((len(members), b), dtype=ref.dtype, device=ref.device)  # (N, b)
    offsets = None
    for i, m in enumerate(members):
        if n_valid[i] == b:
            idx = perms[i][start : start + b]  # (b,)
        else:
            if offsets is None:
                offsets = torch.arange(b, device=ref.device)  # (b,)
            idx = perms[i][torch.remainder(offsets + start, n_used[i])]  # (b,) valid rows, then any rows
        torch.index_select(m.X, 0, idx, out=xb[i])
        torch.index_select(m.y, 0, idx, out=yb[i])
    return xb, yb


def _dropout_generators(seeds: list[int], device: torch.device) -> list[torch.Generator] | None:
    """CPU: one generator per model seeded as train_model seeds its dropout (exact reproduction). CUDA: None,
    one fused dropout draw for the pack from the global generator, seeded here from all the epoch seeds."""
    if device.type == "cpu":
        return [torch.Generator(device=device).manual_seed(s) for s in seeds]
    torch.manual_seed(zlib.crc32(repr(seeds).encode()))
    return None


def _train_epoch(
    packed, opt: PackedAdam, members: list[_Member], *, config: TrainConfig, epoch: int, pos_weight
):
    """One pack epoch (each model one pass over its own windows).

    Returns the mean training loss of each model and the step utilisation (model-steps trained / N x steps).
    """
    device, bs = members[0].X.device, config.batch_size
    seeds = [_epoch_seed(m.seed, epoch) for m in members]
    perms = [
        torch.randperm(m.X.shape[0], generator=torch.Generator(device=device).manual_seed(s), device=device)
        for m, s in zip(members, seeds, strict=True)
    ]
    gens = _dropout_generators(seeds, device)
    n_used = [m.n_used(bs) for m in members]
    n_used_dev = torch.stack([m.n_used_dev for m in members])  # (N,) on the device, no host copy
    n_steps = max(math.ceil(u / bs) for u in n_used)
    active_table = torch.arange(n_steps, device=device)[:, None] * bs < n_used_dev[None, :]  # (S, N)
    packed.train()
    loss_sum = torch.zeros(len(members), device=device)  # (N,)
    for s in range(n_steps):
        start = s * bs
        n_valid = tuple(max(0, min(bs, u - start)) for u in n_used)
        b = max(n_valid)
        all_active = min(n_valid) > 0
        counts = (n_used_dev - start).clamp(0, b)  # (N,) = n_valid on the device
        mask = None
        if any(0 < v < b for v in n_valid):
            mask = torch.arange(b, device=device)[None, :] < counts[:, None]  # (N, b)
        active = None if all_active else active_table[s]
        xb, yb = _batch(members, perms, n_valid, start, b, n_used)
        step = PackStep(n_valid=n_valid, active=active, sample_mask=mask, generators=gens)
        with _autocast(device, config.amp):
            logits = packed(xb, step)  # (N, b)
        per = F.binary_cross_entropy_with_logits(
            logits.float(), yb, pos_weight=pos_weight, reduction="none"
        )  # (N, b)
        if mask is None and all_active:
            loss_i, summed = per.mean(dim=1), per.detach().sum(dim=1)  # (N,), (N,)
        else:
            weight = (mask if mask is not None else active[:, None].expand_as(per)).to(per.dtype)  # (N, b)
            summed = (per * weight).sum(dim=1)  # (N,)
            loss_i = summed / counts.clamp(min=1).to(per.dtype)  # (N,)
            summed = summed.detach()
        opt.zero_grad()
        loss_i.sum().backward()
        opt.step(active)
        loss_sum += summed
    util = sum(math.ceil(u / bs) for u in n_used) / (len(members) * n_steps)
    return [v / u for v, u in zip(loss_sum.tolist(), n_used, strict=True)], util


@torch.no_grad()
def _validate(
    packed, members: list[_Member], *, config: TrainConfig, pos_weight
) -> list[tuple[float, float]]:
    """Validation loss and AUC of every model on its own validation windows (eval mode, batched over the pack)."""
    device = members[0].X.device
    chunk = max(config.batch_size, 4 * config.batch_size // len(members))  # windows per model per forward
    n_val = [m.X_val.shape[0] for m in members]
    packed.eval()
    parts: list[list[torch.Tensor]] = [[] for _ in members]
    for start in range(0, max(n_val), chunk):
        b = min(chunk, max(n_val) - start)
        rows = torch.arange(start, start + b, device=device)  # (b,)
        xb = torch.empty((len(members), b, *members[0].X.shape[1:]), device=device)  # (N, b, C, T)
        for i, m in enumerate(members):
            torch.index_select(m.X_val, 0, rows.clamp(max=n_val[i] - 1), out=xb[i])
        with _autocast(device, config.amp):
            logits = packed(xb).float()  # (N, b)
        for i in range(len(members)):
            if start < n_val[i]:
                parts[i].append(logits[i, : n_val[i] - start])
    out = []
    for m, p in zip(members, parts, strict=True):
        lg = torch.cat(p)  # (n_val,)
        loss = float(F.binary_cross_entropy_with_logits(lg, m.y_val, pos_weight=pos_weight).item())
        out.append((loss, roc_auc(m.y_val.cpu().numpy(), lg.cpu().numpy())))
    return out


def _record(packed: PackedModel, live: list[_Member], val, epoch: int, config: TrainConfig) -> list[int]:
    """Update best weights / patience per model; return the pack rows that go on training."""
    improved = [j for j, (m, (loss, _)) in enumerate(zip(live, val, strict=True)) if loss < m.best_val_loss]
    sd = packed.state_dict() if improved else {}
    for j, m in enumerate(live):
        loss = val[j][0]
        if j in improved:
            m.best_val_loss, m.best_epoch, m.since_best = loss, epoch, 0
            m.best_state = {k: v[j].detach().clone() for k, v in sd.items()}
        else:
            m.since_best += 1
            m.stopped_early = m.since_best >= config.patience
    keep = [j for j, m in enumerate(live) if not m.stopped_early and epoch < config.max_epochs]
    if len(keep) < len(live):
        sd = packed.state_dict()
        for j, m in enumerate(live):
            if j not in keep:
                m.last_state = {k: v[j].detach().clone() for k, v in sd.items()}
    return keep


def train_packed(
    models: Sequence[torch.nn.Module],
    datasets: Sequence[Sequence[Any]],
    *,
    config: TrainConfig = DEFAULT_TRAIN_CONFIG,
    seeds: Sequence[int] | None = None,
    progress: bool = True,
) -> list[TrainResult]:
    """Train N models of one architecture in lockstep as one packed network, each on its own data.

    Each model is trained as :func:`~seizurepred.training.train_model` would train it with ``config.seed =
    seeds[i]`` (see the module docstring for how epochs of different lengths align), with its own early stopping
    and best weights.

    Parameters
    ----------
    models : sequence of torch.nn.Module
        N models of one registered name and options (see :func:`~seizurepred.models.packed.pack_models`); their
        initial weights are the caller's. They stay on their device and end holding their best weights.
    datasets : sequence of (X_train, y_train, X_val, y_val)
        Per model: windows of shape (n, n_chans, n_times) in µV and labels (n,) 0 / 1, as for ``train_model``;
        sizes may differ between models. A tensor passed for several models is moved to the device once.
    config : TrainConfig
        Shared hyper-parameters and device (``seed`` is replaced by ``seeds``; ``checkpoint_every`` unused).
    seeds : sequence of int or None
        Per-model seeds of shuffling and dropout (``None``: ``config.seed`` for every model).
    progress : bool
        Progress bar over pack epochs.

    Returns
    -------
    list of TrainResult
        One per model, as ``train_model`` returns; history rows add ``n_packed`` (models in the pack that epoch)
        and their ``seconds`` are the pack epoch's wall time.
    """
    models = list(models)
    seeds = [config.seed] * len(models) if seeds is None else list(seeds)
    if not models or len(datasets) != len(models) or len(seeds) != len(models):
        raise ConfigError(
            "Invalid value for 'datasets': allowed one dataset and one seed per model (at least one model); got "
            f"{len(models)} models, {len(datasets)} datasets, {len(seeds)} seeds."
        )
    device = resolve_device(config.device)
    members = _members(datasets, seeds, device, config.batch_size)
    with _reproducible(config, device):
        packed = pack_models(models).to(device)
        packed.channels_last = device.type == "cuda" and config.channels_last
        _fit(packed, members, config=config, progress=progress)
    return [_result(model, m, device) for model, m in zip(models, members, strict=True)]


def _fit(packed: PackedModel, members: list[_Member], *, config: TrainConfig, progress: bool) -> None:
    """The pack's epochs: train, validate, record; stopped models leave the pack until none is left."""
    device = members[0].X.device
    pos_weight = None if config.pos_weight is None else torch.tensor(config.pos_weight, device=device)
    opt = PackedAdam(list(packed.parameters()), n_models=len(members), lr=config.lr, amsgrad=config.amsgrad)
    live = list(members)
    epochs = range(1, config.max_epochs + 1)
    for epoch in _progress(epochs, desc="pack epoch", unit="epoch") if progress else epochs:
        t0 = time.perf_counter()
        train_losses, util = _train_epoch(
            packed, opt, live, config=config, epoch=epoch - 1, pos_weight=pos_weight
        )
        t1 = time.perf_counter()
        val = _validate(packed, live, config=config, pos_weight=pos_weight)
        t2 = time.perf_counter()
        for m, tl, (vl, auc) in zip(live, train_losses, val, strict=True):
            m.history.append(
                {"epoch": epoch, "train_loss": tl, "val_loss": vl, "val_auc": auc, "lr": config.lr,
                 "seconds": t2 - t0, "train_s": t1 - t0, "val_s": t2 - t1, "n_packed": len(live)}
            )  # fmt: skip
        keep = _record(packed, live, val, epoch, config)
        logger.info(
            "pack epoch %d: %d models, step utilisation %.2f, val loss %s, %.1f s",
            epoch, len(live), util, " ".join(f"{v:.4f}" for v, _ in val), t2 - t0,
        )  # fmt: skip
        if not keep:
            break
        if len(keep) < len(live):
            packed = packed.select(keep)
            opt = opt.select(keep, list(packed.parameters()))
            live = [live[j] for j in keep]


def _result(model: torch.nn.Module, m: _Member, device: torch.device) -> TrainResult:
    state = m.best_state if m.best_state is not None else m.last_state
    model.load_state_dict(state)
    return TrainResult(
        history=m.history,
        best_epoch=m.best_epoch,
        best_val_loss=m.best_val_loss,
        state_dict={k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()},
        stopped_early=m.stopped_early,
        device=describe_device(device),
    )
