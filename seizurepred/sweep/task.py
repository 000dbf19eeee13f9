"""The fold task: train and evaluate one :class:`~seizurepred.sweep.plan.Fold`, return its ``FoldResult``.

A fold materialises its windows from the signal cache (one host-to-device copy per part), trains a fresh model
with early stopping (checkpointed, resumable), scores the validation windows (the calibration set of the
forecasts) and the test windows (segment metrics), and runs the model over the held-out seizure's pre-onset record
(continuous output, the input of CIOPR, of the alarms, of the forecasts and of the OPP selector). Apart from its
checkpoint it writes nothing: the executor hands the result to the run store.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path

import numpy as np
import torch

from seizurepred.cache.patient import PatientData
from seizurepred.errors import CacheError
from seizurepred.evaluation.continuous import (
    ContinuousOutput,
    WindowPlan,
    continuous_from_plan,
    record_windows,
)
from seizurepred.evaluation.metrics import segment_metrics
from seizurepred.evaluation.reference import ReferenceOutput, reference_pieces, reference_windows
from seizurepred.models import build_model
from seizurepred.sweep.config import SweepConfig
from seizurepred.sweep.fold_result import FoldResult
from seizurepred.sweep.plan import Fold, fold_inputs, reference_holdout
from seizurepred.training import load_checkpoint, predict_proba, train_model
from seizurepred.training.device import resolve_device
from seizurepred.windows.gather import gather_starts, materialize
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


#: Windows gathered and scored at a time (bounds the host array to ~300 MB at 23 x 1280).
_SCORE_CHUNK = 2048


def score_windows(plan: WindowPlan, patient: PatientData, predict) -> np.ndarray:
    """Model probabilities of every window of ``plan`` (gathered with the one gather of :mod:`~seizurepred.windows.gather`)."""
    probs = np.empty(len(plan), dtype=np.float64)
    for name, rows in plan.by_file():
        for lo in range(0, rows.size, _SCORE_CHUNK):
            part = rows[lo : lo + _SCORE_CHUNK]
            probs[part] = predict(gather_starts(patient.cache, name, plan.starts[part], plan.n_times))
    return probs


def record_output(fold: Fold, patient: PatientData, config: SweepConfig, predict) -> ContinuousOutput | None:
    """The model's output over the held-out seizure's pre-onset record (every recorded stretch, <= 10 h)."""
    window_s = config.window.window_s
    plan = record_windows(
        patient.manifest, fold.seizure_id, sfreq=patient.sfreq, window_s=window_s, n_samples=patient.n_samples
    )
    if len(plan) == 0:
        logger.info("%s: nothing recorded before seizure %d: no continuous output", fold.case, fold.seizure_id)
        return None
    onset = next(ev.onset_clock_s for ev in patient.manifest.seizures if ev.seizure_id == fold.seizure_id)
    return continuous_from_plan(plan, score_windows(plan, patient, predict), onset_clock_s=onset,
                                seizure_id=fold.seizure_id, window_s=window_s)  # fmt: skip


def reference_output(patient: PatientData, config: SweepConfig, predict) -> ReferenceOutput | None:
    """The model's output over the patient's reference EEG (unlabelled, never trained on; the selector's null)."""
    pieces = reference_pieces(
        patient.manifest,
        label=config.label_for(max(config.preictal_mins)),
        longest_preictal_min=max(config.preictal_mins),
        margin_min=config.selector.margin_min,
        holdout=reference_holdout(patient.manifest, config),
    )
    plan = reference_windows(
        patient.manifest, pieces, sfreq=patient.sfreq, window_s=config.window.window_s, n_samples=patient.n_samples
    )
    if len(plan) == 0:
        return None
    return ReferenceOutput(plan.clock_s, score_windows(plan, patient, predict), plan.stretch, config.window.window_s)


def training_overlap_h(cont: ContinuousOutput | None, clock_s: np.ndarray, onset_clock_s: float) -> float:
    """Hours of the record covered by training or validation windows (starting at ``clock_s``)."""
    if cont is None or cont.probs.size == 0 or clock_s.size == 0:
        return 0.0
    w = cont.window_s
    starts = onset_clock_s - cont.times_min_before_onset * 60.0
    train = np.sort(clock_s)
    j = np.searchsorted(train, starts + w, side="left") - 1
    hit = (j >= 0) & (train[np.clip(j, 0, None)] > starts - w)
    return float(np.count_nonzero(hit) * w / 3600.0)


def _drop_damaged_checkpoint(path: str | Path | None, resume: bool) -> None:
    """A checkpoint that cannot be read is damaged run state: named, removed, the fold trained from the start."""
    if path is None or not resume or not Path(path).is_file():
        return
    try:
        load_checkpoint(path)
    except CacheError as exc:
        logger.warning("%s; training this fold from the start", exc)
        Path(path).unlink(missing_ok=True)


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
    _drop_damaged_checkpoint(checkpoint_path, resume)
    t0 = time.perf_counter()
    train_cfg = dataclasses.replace(config.train, seed=seed)
    result = train_model(
        model, X_tr, y_tr, X_va, y_va, config=train_cfg, checkpoint_path=checkpoint_path, resume=resume
    )
    train_s = time.perf_counter() - t0
    del X_tr, y_tr
    # the calibration set of the fold's forecasts: the validation windows, scored by the trained model
    val_score = np.asarray(predict_proba(model, X_va, device=str(device)), dtype=np.float32)
    val_true = y_va.cpu().numpy().astype(np.int8)
    val_seizure = index.seizure_id[split.val].astype(np.int32)
    del X_va, y_va
    X_te, y_te = materialize(patient.cache, index.select(split.test), device=device)
    y_score = predict_proba(model, X_te, device=str(device))
    y_true = y_te.cpu().numpy().astype(np.int8)
    del X_te, y_te
    metrics = segment_metrics(y_true, y_score, window_s=config.window.window_s)
    predict = _predictor(model, device, 512)
    cont = record_output(fold, patient, config, predict)
    reference = reference_output(patient, config, predict)
    seen = index.clock_s[np.concatenate([split.train, split.val])]
    onset = next(ev.onset_clock_s for ev in patient.manifest.seizures if ev.seizure_id == fold.seizure_id)
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
        reference=reference,
        train_overlap_h=training_overlap_h(cont, seen, onset),
        history=tuple(result.history),
        val_true=val_true,
        val_score=val_score,
        val_seizure=val_seizure,
    )
