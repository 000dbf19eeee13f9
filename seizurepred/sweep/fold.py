"""Train and evaluate one fold: one preictal length, one held-out seizure, one repeat.

A fold materialises its windows from the signal cache (one host-to-device copy per part), trains a fresh model
with early stopping (checkpointed, resumable), scores the test windows (segment metrics), and runs the model over
the held-out seizure's uninterrupted pre-onset record (continuous output, the input of CIOPR and of the alarms).
Its outcome is written as ``<stem>.json`` + ``<stem>.npz``; the JSON is written last, so a fold whose JSON
exists is complete and is not run again.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from seizurepred._json import json_safe, nan_for_none
from seizurepred.cache.patient import PatientData
from seizurepred.evaluation.continuous import ContinuousOutput, continuous_output
from seizurepred.evaluation.metrics import segment_metrics
from seizurepred.models import build_model
from seizurepred.sweep.config import SweepConfig
from seizurepred.training import predict_proba, train_model
from seizurepred.training.device import resolve_device
from seizurepred.windows.index import WindowIndex
from seizurepred.windows.splits import Split

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FoldOutcome:
    """Everything one fold produced.

    Attributes
    ----------
    preictal_min, seizure_id, repeat : int
        Which fold.
    protocol : str
        Split protocol.
    sizes : dict
        Window counts per part and class (``Split.sizes()``).
    best_epoch, n_epochs : int
        Early-stopping outcome.
    train_s : float
        Wall time of training in seconds.
    device : str
        Where it trained.
    metrics : dict
        Segment metrics of the test windows (``segment_metrics``).
    y_true, y_score : ndarray of shape (n_test,)
        Test labels and probabilities.
    continuous : ContinuousOutput or None
        Output over the held-out seizure's pre-onset record; ``None`` when the record is too short.
    history : list of dict
        One row per training epoch (losses, validation AUC, seconds).
    """

    preictal_min: int
    seizure_id: int
    repeat: int
    protocol: str
    sizes: dict[str, Any]
    best_epoch: int
    n_epochs: int
    train_s: float
    device: str
    metrics: dict[str, float]
    y_true: np.ndarray
    y_score: np.ndarray
    continuous: ContinuousOutput | None
    history: tuple[dict[str, float], ...] = ()

    @property
    def stem(self) -> str:
        """File stem of this fold's artefacts."""
        return fold_stem(self.preictal_min, self.seizure_id, self.repeat)


def fold_stem(preictal_min: int, seizure_id: int, repeat: int) -> str:
    """File stem of a fold's artefacts, e.g. ``k060_sz003_r0``."""
    return f"k{int(preictal_min):03d}_sz{int(seizure_id):03d}_r{int(repeat)}"


def training_seed(config: SweepConfig, *, repeat: int, seizure_id: int) -> int:
    """Seed of one fold's model: ``train.seed + seed * 1_000_003 + 1000 * repeat + seizure_id``.

    Every fold gets its own initialisation and training order; ``--seed`` changes all of them.
    """
    return int(config.train.seed + config.seed * 1_000_003 + 1000 * repeat + seizure_id)


def _subsample(index: WindowIndex, rows: np.ndarray, n_max: int | None, seed: int) -> np.ndarray:
    """Seeded class-balanced subsample of ``rows`` to at most ``n_max`` (sorted)."""
    if n_max is None or len(rows) <= n_max:
        return rows
    rng = np.random.default_rng(seed)
    labels = index.label[rows]
    parts = []
    for lab in (0, 1):
        pool = rows[labels == lab]
        parts.append(rng.choice(pool, size=min(len(pool), n_max // 2), replace=False))
    return np.sort(np.concatenate(parts))


def _predictor(model: torch.nn.Module, device: torch.device, batch_size: int):
    def predict(X: np.ndarray) -> np.ndarray:
        return predict_proba(model, X, batch_size=batch_size, device=str(device))

    return predict


def run_fold(
    patient: PatientData,
    index: WindowIndex,
    split: Split,
    *,
    config: SweepConfig,
    preictal_min: int,
    repeat: int,
    work_dir: Path,
    resume: bool = True,
) -> FoldOutcome:
    """Train and evaluate one fold; checkpoints go to ``work_dir/checkpoints``.

    Parameters
    ----------
    patient : PatientData
        The patient with its built cache.
    index : WindowIndex
        Windows of this preictal length (and repeat).
    split : Split
        The fold's train/val/test rows.
    config : SweepConfig
        Model, training and evaluation settings.
    preictal_min, repeat : int
        Which fold (for seeds and file names).
    work_dir : Path
        Sweep output folder.
    resume : bool
        Continue from this fold's checkpoint when one exists (``False``: train from scratch, overwrite it).

    Returns
    -------
    FoldOutcome
    """
    from seizurepred.windows.gather import materialize

    seed = training_seed(config, repeat=repeat, seizure_id=split.test_seizure_id)
    device = resolve_device(config.train.device)
    train_rows = _subsample(index, split.train, config.max_train_windows, seed)
    X_tr, y_tr = materialize(patient.cache, index.select(train_rows), device=device)
    X_va, y_va = materialize(patient.cache, index.select(split.val), device=device)
    torch.manual_seed(seed)
    model = build_model(
        config.model, n_chans=X_tr.shape[1], n_times=X_tr.shape[2], **dict(config.model_options)
    )
    ckpt = work_dir / "checkpoints" / f"{fold_stem(preictal_min, split.test_seizure_id, repeat)}.pt"
    t0 = time.perf_counter()
    train_cfg = dataclasses.replace(config.train, seed=seed)
    result = train_model(model, X_tr, y_tr, X_va, y_va, config=train_cfg, checkpoint_path=ckpt, resume=resume)
    train_s = time.perf_counter() - t0
    del X_tr, y_tr, X_va, y_va
    X_te, y_te = materialize(patient.cache, index.select(split.test), device=device)
    y_score = predict_proba(model, X_te, device=str(device))
    y_true = y_te.cpu().numpy().astype(np.int8)
    del X_te, y_te
    metrics = segment_metrics(y_true, y_score, window_s=config.window.window_s)
    cont = continuous_output(
        _predictor(model, device, 512),
        patient.cache,
        patient.manifest,
        split.test_seizure_id,
        sfreq=patient.sfreq,
        window_s=config.window.window_s,
    )
    return FoldOutcome(
        preictal_min=int(preictal_min),
        seizure_id=int(split.test_seizure_id),
        repeat=int(repeat),
        protocol=split.protocol,
        sizes={**split.sizes(), "train_used": int(len(train_rows))},
        best_epoch=int(result.best_epoch),
        n_epochs=len(result.history),
        train_s=float(train_s),
        device=result.device,
        metrics=metrics,
        y_true=y_true,
        y_score=np.asarray(y_score, dtype=np.float32),
        continuous=cont,
        history=tuple(result.history),
    )


# ---------------------------------------------------------------------------------------------- persistence
def _atomic(tmp: Path, final: Path, write) -> None:
    """Write through ``tmp`` then rename to ``final``; ``tmp`` never survives a failed write."""
    try:
        write(tmp)
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_fold(outcome: FoldOutcome, folder: Path) -> Path:
    """Write ``<stem>.npz`` then ``<stem>.json`` (atomically; the JSON marks the fold complete).

    The JSON is strict (NaN written as ``null``); :func:`load_fold` turns ``null`` back into NaN.
    """
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {"y_true": outcome.y_true, "y_score": outcome.y_score}
    if outcome.continuous is not None:
        arrays["cont_times_min"] = outcome.continuous.times_min_before_onset
        arrays["cont_probs"] = outcome.continuous.probs
    _atomic(
        folder / f"{outcome.stem}.part.npz", folder / f"{outcome.stem}.npz", lambda p: np.savez(p, **arrays)
    )
    meta = {
        f.name: getattr(outcome, f.name)
        for f in dataclasses.fields(outcome)
        if f.name not in ("y_true", "y_score", "continuous")
    }
    if outcome.continuous is not None:
        meta["continuous"] = {
            "record_hours": outcome.continuous.record_hours,
            "window_s": outcome.continuous.window_s,
        }
    text = json.dumps(json_safe(meta), indent=1, sort_keys=True, allow_nan=False) + "\n"
    path = folder / f"{outcome.stem}.json"
    _atomic(folder / f"{outcome.stem}.json.tmp", path, lambda p: p.write_text(text, encoding="utf-8"))
    return path


def load_fold(path: Path) -> FoldOutcome:
    """Read a fold written by :func:`save_fold`."""
    meta = json.loads(Path(path).read_text(encoding="utf-8"))
    with np.load(Path(path).with_suffix(".npz")) as z:
        arrays = {k: z[k] for k in z.files}
    cont_meta = meta.pop("continuous", None)
    cont = None
    if cont_meta is not None:
        cont = ContinuousOutput(
            seizure_id=int(meta["seizure_id"]),
            times_min_before_onset=arrays["cont_times_min"],
            probs=arrays["cont_probs"],
            record_hours=float(cont_meta["record_hours"]),
            window_s=float(cont_meta["window_s"]),
        )
    metrics = {k: (float("nan") if v is None else float(v)) for k, v in meta.pop("metrics").items()}
    meta["history"] = tuple(nan_for_none(row) for row in meta.get("history", ()))
    return FoldOutcome(
        **meta, metrics=metrics, y_true=arrays["y_true"], y_score=arrays["y_score"], continuous=cont
    )
