"""The training loop: BCE on logits, Adam (AMSGrad), early stopping on validation loss, best weights kept.

Design for speed and repeatability:

* The windows stay resident on the training device (moved there once when needed); each step indexes a batch
  with ``index_select`` from a permutation drawn on that device: no per-batch host copies, no DataLoader.
* Losses are accumulated on the device and read once per epoch (one synchronisation per epoch).
* Every epoch's shuffle and dropout are seeded from ``(config.seed, epoch)``, so a run resumed from a checkpoint
  continues exactly as the uninterrupted run; the global RNG, deterministic-algorithm flags, cuDNN flags and thread
  count are restored when the call returns.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import logging
import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from seizurepred._progress import progress as _progress
from seizurepred.config import config_to_dict
from seizurepred.errors import ConfigError
from seizurepred.evaluation.metrics import roc_auc
from seizurepred.models.registry import model_config_dict
from seizurepred.training.checkpoint import load_checkpoint, save_checkpoint
from seizurepred.training.config import TrainConfig
from seizurepred.training.device import describe_device, resolve_device

logger = logging.getLogger(__name__)

# TrainConfig fields that must match for a checkpoint to be resumed (others, e.g. max_epochs, may change).
_RESUME_KEYS = ("lr", "amsgrad", "batch_size", "seed", "pos_weight")
DEFAULT_TRAIN_CONFIG = TrainConfig()


@dataclasses.dataclass
class TrainResult:
    """What :func:`train_model` returns.

    Attributes
    ----------
    history : list of dict
        One row per epoch: ``epoch`` (1-based), ``train_loss``, ``val_loss``, ``val_auc`` (NaN when the validation
        set has one class), ``lr``, ``seconds`` (epoch wall time), ``train_s``, ``val_s``.
    best_epoch : int
        1-based epoch with the lowest validation loss.
    best_val_loss : float
        That loss.
    state_dict : dict
        CPU copy of the best-validation weights (also loaded into the model).
    stopped_early : bool
        Whether early stopping ended training.
    device : str
        Where it trained, e.g. ``"cpu (2 threads)"``.
    resumed_from_epoch : int
        Completed epochs loaded from a checkpoint (0: fresh run).
    """

    history: list[dict[str, float]]
    best_epoch: int
    best_val_loss: float
    state_dict: dict[str, torch.Tensor]
    stopped_early: bool = False
    device: str = "cpu"
    resumed_from_epoch: int = 0


@dataclasses.dataclass
class _State:
    epoch: int = 0
    best_val_loss: float = math.inf
    best_epoch: int = 0
    best_state: dict[str, torch.Tensor] | None = None
    since_best: int = 0
    stopped_early: bool = False
    history: list[dict[str, float]] = dataclasses.field(default_factory=list)


def _as_tensor(a: Any, name: str) -> torch.Tensor:
    if isinstance(a, torch.Tensor):
        return a
    if isinstance(a, np.ndarray):
        return torch.from_numpy(np.asarray(a))
    raise ConfigError(
        f"Invalid value for {name!r}: allowed a torch.Tensor or numpy array; got {type(a).__name__}."
    )


def _check_finite(X: torch.Tensor, name: str) -> None:
    if bool(
        torch.isfinite(X.sum())
    ):  # fast path: NaN and inf propagate into the sum (float32 is ample for µV)
        return
    rows = max(1, 2**24 // max(1, X[0].numel()))
    for start in range(0, X.shape[0], rows):
        if not bool(torch.isfinite(X[start : start + rows]).all()):
            raise ConfigError(
                f"Invalid value for {name!r}: allowed finite values; got NaN or inf in the windows."
            )


def _check_pair(
    X: Any, y: Any, *, names: tuple[str, str], device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Validate (X (n, C, T), y (n,)) and return float32 tensors on ``device`` (one copy at most)."""
    X, y = _as_tensor(X, names[0]), _as_tensor(y, names[1])
    if X.ndim != 3 or not X.is_floating_point():
        raise ConfigError(
            f"Invalid value for {names[0]!r}: allowed a float array of shape (n, C, T); "
            f"got {X.dtype} of shape {tuple(X.shape)}."
        )
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ConfigError(
            f"Invalid value for {names[1]!r}: allowed shape ({X.shape[0]},) matching "
            f"{names[0]!r}; got {tuple(y.shape)}."
        )
    if X.shape[0] == 0:
        raise ConfigError(f"Invalid value for {names[0]!r}: allowed at least one window; got 0.")
    y = y.to(device=device, dtype=torch.float32)
    if not bool(((y == 0) | (y == 1)).all()):
        raise ConfigError(f"Invalid value for {names[1]!r}: allowed labels 0 and 1; got other values.")
    X = X.to(device=device, dtype=torch.float32)
    _check_finite(X, names[0])
    return X, y


def _check_data(X_train, y_train, X_val, y_val, device: torch.device):
    X_tr, y_tr = _check_pair(X_train, y_train, names=("X_train", "y_train"), device=device)
    X_va, y_va = _check_pair(X_val, y_val, names=("X_val", "y_val"), device=device)
    n_pos = int(y_tr.sum().item())
    if n_pos in (0, y_tr.shape[0]):
        raise ConfigError(
            f"Invalid value for 'y_train': allowed both classes 0 and 1; got only class "
            f"{int(n_pos > 0)} in {y_tr.shape[0]} windows."
        )
    if X_va.shape[1:] != X_tr.shape[1:]:
        raise ConfigError(
            f"Invalid value for 'X_val': allowed windows of shape {tuple(X_tr.shape[1:])} like "
            f"'X_train'; got {tuple(X_va.shape[1:])}."
        )
    return X_tr, y_tr, X_va, y_va


@contextlib.contextmanager
def _reproducible(config: TrainConfig, device: torch.device) -> Iterator[None]:
    """Apply the config's determinism and threads; restore the global state (RNG included) afterwards."""
    det, warn = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
    )
    cudnn_det, cudnn_bench = torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark
    threads = torch.get_num_threads()
    cuda_devices = (
        [device.index if device.index is not None else torch.cuda.current_device()]
        if device.type == "cuda"
        else []
    )
    try:
        with torch.random.fork_rng(devices=cuda_devices):
            if config.deterministic:
                torch.use_deterministic_algorithms(True, warn_only=True)
                torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
            if config.num_threads is not None:
                torch.set_num_threads(config.num_threads)
            yield
    finally:
        torch.use_deterministic_algorithms(det, warn_only=warn)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = cudnn_det, cudnn_bench
        torch.set_num_threads(threads)


def _epoch_seed(seed: int, epoch: int) -> int:
    return (seed * 1_000_003 + epoch * 7919 + 17) % (2**63 - 1)


def _autocast(device: torch.device, amp: bool):
    return torch.autocast(
        device_type=device.type, dtype=torch.bfloat16, enabled=amp and device.type == "cuda"
    )


def _train_epoch(model, optimizer, X, y, *, config: TrainConfig, epoch: int, pos_weight) -> float:
    """One pass over the training windows in a seeded order; returns the mean training loss."""
    device = X.device
    seed = _epoch_seed(config.seed, epoch)
    torch.manual_seed(seed)  # dropout of this epoch
    gen = torch.Generator(device=device)
    gen.manual_seed(seed)
    n = X.shape[0]
    perm = torch.randperm(n, generator=gen, device=device)  # (n,)
    n_used = n if n % config.batch_size != 1 or n == 1 else n - 1  # a batch of 1 breaks BatchNorm
    model.train()
    loss_sum = torch.zeros((), device=device)
    for start in range(0, n_used, config.batch_size):
        idx = perm[start : min(start + config.batch_size, n_used)]  # (b,)
        xb, yb = X.index_select(0, idx), y.index_select(0, idx)  # (b, C, T), (b,)
        with _autocast(device, config.amp):
            logits = model(xb)  # (b,)
        loss = F.binary_cross_entropy_with_logits(logits.float(), yb, pos_weight=pos_weight)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss_sum += loss.detach() * idx.shape[0]
    return float(loss_sum.item()) / n_used


@torch.no_grad()
def _logits(model, X: torch.Tensor, *, batch_size: int, amp: bool, device: torch.device) -> torch.Tensor:
    """Eval-mode logits (n,) float32 on ``device`` for windows X (n, C, T) on any device."""
    model.eval()
    out = []
    for start in range(0, X.shape[0], batch_size):
        xb = X[start : start + batch_size].to(device=device, dtype=torch.float32, non_blocking=True)
        with _autocast(device, amp):
            out.append(model(xb).float())  # (b,)
    return torch.cat(out)  # (n,)


def _validate(model, X, y, *, config: TrainConfig, pos_weight) -> tuple[float, float]:
    logits = _logits(model, X, batch_size=4 * config.batch_size, amp=config.amp, device=X.device)  # (n,)
    loss = float(F.binary_cross_entropy_with_logits(logits, y, pos_weight=pos_weight).item())
    return loss, roc_auc(y.cpu().numpy(), logits.cpu().numpy())


def _payload(model, optimizer, state: _State, config: TrainConfig) -> dict[str, Any]:
    return {
        "epoch": state.epoch,
        "stopped_early": state.stopped_early,
        "model_state": model.state_dict(),
        "optimizer_state": optimizer.state_dict(),
        "best_state": state.best_state,
        "best_epoch": state.best_epoch,
        "best_val_loss": state.best_val_loss,
        "epochs_since_best": state.since_best,
        "history": state.history,
        "train_config": config_to_dict(config),
        "model_config": model_config_dict(model),
    }


def _restore(path: Path, model, optimizer, config: TrainConfig, device: torch.device) -> _State:
    """Load a checkpoint into model and optimizer after checking it belongs to this run."""
    data = load_checkpoint(path, map_location=device)
    current = config_to_dict(config)
    for key in _RESUME_KEYS:
        if data["train_config"].get(key) != current[key]:
            raise ConfigError(
                f"{path}: checkpoint has {key}={data['train_config'].get(key)!r}, this run "
                f"{current[key]!r}; pass resume=False or another checkpoint_path."
            )
    if data["model_config"] != model_config_dict(model):
        raise ConfigError(
            f"{path}: checkpoint is of model {data['model_config']!r}, not "
            f"{model_config_dict(model)!r}; pass resume=False or another checkpoint_path."
        )
    model.load_state_dict(data["model_state"])
    optimizer.load_state_dict(data["optimizer_state"])
    logger.info("resumed %s after epoch %d", path, data["epoch"])
    return _State(
        epoch=data["epoch"],
        best_val_loss=data["best_val_loss"],
        best_epoch=data["best_epoch"],
        best_state=data["best_state"],
        since_best=data["epochs_since_best"],
        stopped_early=data["stopped_early"],
        history=list(data["history"]),
    )


def _update_best(model, state: _State, val_loss: float, patience: int) -> None:
    if val_loss < state.best_val_loss:
        state.best_val_loss, state.best_epoch, state.since_best = val_loss, state.epoch, 0
        state.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    else:
        state.since_best += 1
        state.stopped_early = state.since_best >= patience


def train_model(
    model: torch.nn.Module,
    X_train: torch.Tensor,
    y_train: torch.Tensor,
    X_val: torch.Tensor,
    y_val: torch.Tensor,
    *,
    config: TrainConfig = DEFAULT_TRAIN_CONFIG,
    checkpoint_path: str | Path | None = None,
    resume: bool = True,
    progress: bool = True,
    on_epoch_end: Callable[[dict[str, float]], None] | None = None,
) -> TrainResult:
    """Train ``model`` in place with early stopping on the validation loss; it ends holding the best weights.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (B, C, T) to logits (B,); moved to the training device and trained in place (PyTorch convention).
        Its initial weights are the caller's: seed before building it for repeatable runs.
    X_train : Tensor or ndarray of shape (n_train, n_chans, n_times)
        Training windows (µV), on any device; moved once to the training device when elsewhere.
    y_train : Tensor or ndarray of shape (n_train,)
        Labels 1 (preictal) / 0 (interictal); both classes required.
    X_val, y_val : same, shape (n_val, n_chans, n_times) and (n_val,)
        Validation windows for early stopping (non-empty).
    config : TrainConfig
        Hyper-parameters, device, seed.
    checkpoint_path : str, Path or None
        Checkpoint written atomically every ``config.checkpoint_every`` epochs and at the end.
    resume : bool
        Continue from ``checkpoint_path`` when it exists (its seed, lr, batch size and model must match).
    progress : bool
        Show a progress bar over epochs (also silenced by ``--quiet`` and under pytest).
    on_epoch_end : callable or None
        Called with each epoch's history row after its checkpoint is written.

    Returns
    -------
    TrainResult
    """
    device = resolve_device(config.device)
    X_tr, y_tr, X_va, y_va = _check_data(X_train, y_train, X_val, y_val, device)
    with _reproducible(config, device):
        model.to(device)
        if device.type == "cuda" and config.channels_last:
            model.to(memory_format=torch.channels_last)  # 4-D weights only; cuDNN NHWC kernels
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, amsgrad=config.amsgrad)
        state = _State()
        if checkpoint_path is not None and resume and Path(checkpoint_path).exists():
            state = _restore(Path(checkpoint_path), model, optimizer, config, device)
        resumed_from = state.epoch
        _fit(
            model,
            optimizer,
            state,
            (X_tr, y_tr, X_va, y_va),
            config=config,
            checkpoint_path=checkpoint_path,
            progress=progress,
            on_epoch_end=on_epoch_end,
        )
    if state.best_state is not None:
        model.load_state_dict(state.best_state)
    best = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
    return TrainResult(
        history=list(state.history),
        best_epoch=state.best_epoch,
        best_val_loss=state.best_val_loss,
        state_dict=best,
        stopped_early=state.stopped_early,
        device=describe_device(device),
        resumed_from_epoch=resumed_from,
    )


def _fit(
    model,
    optimizer,
    state: _State,
    data,
    *,
    config: TrainConfig,
    checkpoint_path,
    progress: bool,
    on_epoch_end,
) -> None:
    X_tr, y_tr, X_va, y_va = data
    pos_weight = None if config.pos_weight is None else torch.tensor(config.pos_weight, device=X_tr.device)
    epochs = range(state.epoch, config.max_epochs if not state.stopped_early else state.epoch)
    bar = _progress(epochs, desc="epoch", unit="epoch") if progress else iter(epochs)
    for epoch in bar:
        t0 = time.perf_counter()
        train_loss = _train_epoch(
            model, optimizer, X_tr, y_tr, config=config, epoch=epoch, pos_weight=pos_weight
        )
        t1 = time.perf_counter()
        val_loss, val_auc = _validate(model, X_va, y_va, config=config, pos_weight=pos_weight)
        t2 = time.perf_counter()
        state.epoch = epoch + 1
        row = {
            "epoch": epoch + 1,
            "train_loss": train_loss,
            "val_loss": val_loss,
            "val_auc": val_auc,
            "lr": float(optimizer.param_groups[0]["lr"]),
            "seconds": t2 - t0,
            "train_s": t1 - t0,
            "val_s": t2 - t1,
        }
        state.history.append(row)
        _update_best(model, state, val_loss, config.patience)
        logger.info(
            "epoch %d: train loss %.4f, val loss %.4f, val AUC %.3f, %.1f s",
            epoch + 1,
            train_loss,
            val_loss,
            val_auc,
            t2 - t0,
        )
        last = state.stopped_early or state.epoch == config.max_epochs
        if checkpoint_path is not None and (last or state.epoch % config.checkpoint_every == 0):
            save_checkpoint(checkpoint_path, _payload(model, optimizer, state, config))
        if on_epoch_end is not None:
            on_epoch_end(dict(row))
        if state.stopped_early:
            logger.info("early stopping after epoch %d (best epoch %d)", state.epoch, state.best_epoch)
            break


def predict_proba(
    model: torch.nn.Module,
    X: torch.Tensor | np.ndarray,
    *,
    batch_size: int = 256,
    device: str = "auto",
    amp: bool = False,
) -> np.ndarray:
    """Return preictal probabilities (sigmoid of the logits) for windows ``X``.

    Parameters
    ----------
    model : torch.nn.Module
        Trained model; its device and train/eval mode are restored afterwards.
    X : Tensor or ndarray of shape (n, n_chans, n_times)
        Windows in µV, on any device (batches are moved to ``device`` one at a time).
    batch_size : int
        Windows per forward pass.
    device : {"auto", "cpu", "cuda"}
        Where to run.
    amp : bool
        bf16 autocast on CUDA.

    Returns
    -------
    ndarray of shape (n,), float64
    """
    from seizurepred._validate import check_number

    check_number("batch_size", batch_size, min_value=1, integer=True)
    X = _as_tensor(X, "X")
    if X.ndim != 3:
        raise ConfigError(f"Invalid value for 'X': allowed shape (n, C, T); got {tuple(X.shape)}.")
    if X.shape[0] == 0:
        return np.zeros(0)
    target = resolve_device(device)
    params = list(model.parameters()) + list(model.buffers())
    original = params[0].device if params else torch.device("cpu")
    was_training = model.training
    try:
        model.to(target)
        logits = _logits(model, X, batch_size=batch_size, amp=amp, device=target)  # (n,)
    finally:
        model.to(original)
        model.train(was_training)
    return torch.sigmoid(logits).double().cpu().numpy()


def clone_model(model: torch.nn.Module) -> torch.nn.Module:
    """Return a deep copy of ``model`` (to train several times from the same initial weights)."""
    return copy.deepcopy(model)
