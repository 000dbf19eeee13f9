"""The fold task: train and evaluate one :class:`~seizurepred.sweep.plan.Fold`, return its ``FoldResult``.

A fold materialises its windows from the signal cache (one host-to-device copy per part), trains a fresh model
with early stopping (checkpointed, resumable), scores the test windows (segment metrics), and runs the model over
the held-out seizure's pre-onset record (continuous output, the input of CIOPR, of the alarms and of the OPP
selector). Apart from its checkpoint it writes nothing: the executor hands the result to the run store.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path

import numpy as np
import torch

from seizurepred.cache.patient import PatientData
from seizurepred.evaluation.continuous import continuous_output
from seizurepred.evaluation.metrics import segment_metrics
from seizurepred.models import build_model
from seizurepred.sweep.config import SweepConfig
from seizurepred.sweep.fold_result import FoldResult
from seizurepred.sweep.plan import Fold, fold_inputs
from seizurepred.training import predict_proba, train_model
from seizurepred.training.device import resolve_device
from seizurepred.windows.gather import materialize
from seizurepred.windows.index import WindowIndex

logger = logging.getLogger(__name__)


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
    fold: Fold,
    patient: PatientData,
    config: SweepConfig,
    *,
    checkpoint_path: str | Path | None = None,
    resume: bool = True,
) -> FoldResult:
    """Train and evaluate one fold.

    Parameters
    ----------
    fold : Fold
        Which fold (from :func:`~seizurepred.sweep.plan.plan_folds`).
    patient : PatientData
        The fold's patient with its built cache.
    config : SweepConfig
        Model, training and evaluation settings (the config the fold was planned with).
    checkpoint_path : str, Path or None
        Where training checkpoints go (resumable); ``None`` trains without checkpoints.
    resume : bool
        Continue from the checkpoint when one exists (``False``: train from scratch, overwrite it).

    Returns
    -------
    FoldResult
    """
    index, split = fold_inputs(fold, patient, config)
    seed = fold.train_seed
    device = resolve_device(config.train.device)
    train_rows = _subsample(index, split.train, config.max_train_windows, seed)
    X_tr, y_tr = materialize(patient.cache, index.select(train_rows), device=device)
    X_va, y_va = materialize(patient.cache, index.select(split.val), device=device)
    torch.manual_seed(seed)
    model = build_model(
        config.model, n_chans=X_tr.shape[1], n_times=X_tr.shape[2], **dict(config.model_options)
    )
    t0 = time.perf_counter()
    train_cfg = dataclasses.replace(config.train, seed=seed)
    result = train_model(
        model, X_tr, y_tr, X_va, y_va, config=train_cfg, checkpoint_path=checkpoint_path, resume=resume
    )
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
        fold.seizure_id,
        sfreq=patient.sfreq,
        window_s=config.window.window_s,
    )
    m = metrics
    logger.info(
        "%s: AUC %.3f, sens %.3f, spec %.3f (%.0f s, %d epochs)",
        fold.stem,
        m["auc"],
        m["sensitivity"],
        m["specificity"],
        train_s,
        len(result.history),
    )
    return FoldResult(
        fold=fold,
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
