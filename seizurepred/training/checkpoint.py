"""Training checkpoints: plain dicts of tensors and primitives, written atomically, loadable with
``torch.load(..., weights_only=True)``.

Layout (``format`` 1)::

    format: int                  1
    version: str                 seizurepred version that wrote it
    epoch: int                   completed epochs
    stopped_early: bool          early stopping fired (training is finished)
    model_state: dict            current weights (state_dict)
    optimizer_state: dict        Adam state
    best_state: dict | None      best-validation weights so far
    best_epoch: int              1-based epoch of best_state (0: none yet)
    best_val_loss: float
    epochs_since_best: int
    history: list[dict]          one row per epoch (floats and ints)
    train_config: dict           TrainConfig as a dict
    model_config: dict           name, class, options, n_chans, n_times (see models.model_config_dict)
"""

from __future__ import annotations

import os
import pickle
import re
import warnings
from pathlib import Path
from typing import Any

import torch

from seizurepred._version import __version__
from seizurepred.errors import CacheError, ConfigError

CHECKPOINT_FORMAT = 1

_REQUIRED = (
    "format",
    "version",
    "epoch",
    "model_state",
    "optimizer_state",
    "best_state",
    "best_epoch",
    "best_val_loss",
    "epochs_since_best",
    "history",
    "train_config",
    "model_config",
    "stopped_early",
)


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> Path:
    """Write ``payload`` to ``path`` atomically (temporary file in the same folder, then rename).

    Parameters
    ----------
    path : str or Path
        Destination file (conventionally ``*.pt``); parent folders are created.
    payload : dict
        Tensors, dicts, lists, tuples and primitives only.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        torch.save({"format": CHECKPOINT_FORMAT, "version": __version__, **payload}, tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


_GLOBAL_RE = re.compile(r"GLOBAL ([\w.]+)")


def _load_failure(exc: BaseException) -> str:
    """Our one-line reason for a failed ``torch.load(..., weights_only=True)``.

    PyTorch's own message advises retrying with ``weights_only=False``, which would execute whatever the file
    holds; a checkpoint of ours never needs it, so that advice is never passed on.
    """
    text = str(exc)
    if isinstance(exc, pickle.UnpicklingError):
        found = _GLOBAL_RE.search(text)
        if found:
            return (
                f"it holds a Python object of type {found.group(1)!r}; checkpoints hold only tensors and plain "
                "values, and other objects are never loaded because loading them can run code"
            )
        return "unreadable data: corrupt, or not written by torch.save"
    if isinstance(exc, EOFError):
        return "empty or truncated file"
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    if "zip archive" in text or "central directory" in text:
        return "corrupt or truncated PyTorch archive"
    return f"{type(exc).__name__} while reading it"


def load_checkpoint(path: str | Path, *, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint with ``weights_only=True``; a corrupt or foreign file raises :class:`CacheError`.

    Parameters
    ----------
    path : str or Path
        Checkpoint file written by :func:`save_checkpoint`.
    map_location : str or torch.device
        Where tensors are loaded.

    Raises
    ------
    ConfigError
        No such file.
    CacheError
        One line naming the file and the reason (corrupt, truncated, not a checkpoint, holds arbitrary Python
        objects); never advice to load it unsafely.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such checkpoint file.")
    try:
        with warnings.catch_warnings():
            # e.g. "Detected pickle protocol 4 in the checkpoint": noise before the error below
            warnings.simplefilter("ignore", UserWarning)
            data = torch.load(path, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError) as exc:
        raise CacheError(f"{path}: not a readable checkpoint ({_load_failure(exc)}).") from None
    if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
        raise CacheError(f"{path}: not a seizurepred checkpoint of format {CHECKPOINT_FORMAT}.")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise CacheError(f"{path}: checkpoint lacks {missing[0]!r}.")
    return data


def load_model_from_checkpoint(path: str | Path, *, best: bool = True) -> torch.nn.Module:
    """Rebuild the model a checkpoint describes and load its best (or last) weights, on the CPU, in eval mode.

    Parameters
    ----------
    path : str or Path
        Checkpoint written by :func:`seizurepred.training.train_model`.
    best : bool
        Load the best-validation weights (else the last epoch's).
    """
    from seizurepred.models import build_model

    data = load_checkpoint(path)
    cfg = data["model_config"]
    if cfg.get("name") is None:
        raise ConfigError(
            f"{path}: model {cfg.get('class')!r} was not built by build_model; rebuild it yourself."
        )
    model = build_model(cfg["name"], n_chans=cfg["n_chans"], n_times=cfg["n_times"], **cfg["options"])
    state = data["best_state"] if best and data["best_state"] is not None else data["model_state"]
    model.load_state_dict(state)
    return model.eval()
