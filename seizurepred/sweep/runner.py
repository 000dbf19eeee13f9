"""Run a preictal-length sweep for one patient: every length x held-out seizure x repeat, resumable.

``run_sweep`` labels the patient once per length, cuts windows over the shared signal cache, splits them with the
chosen protocol, and runs each fold (:func:`~seizurepred.sweep.fold.run_fold`). Every finished fold is stored in
``out_dir/folds/``; running the same command again skips finished folds (and a fold interrupted mid-training
resumes from its checkpoint). The results are then aggregated (:mod:`seizurepred.sweep.result`).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from seizurepred._progress import progress
from seizurepred.cache.patient import PatientData
from seizurepred.errors import ConfigError
from seizurepred.labels.segments import label_segments
from seizurepred.sweep.config import SweepConfig
from seizurepred.sweep.fold import FoldOutcome, fold_stem, load_fold, run_fold, save_fold
from seizurepred.sweep.result import SweepResult, aggregate
from seizurepred.windows.index import build_window_index
from seizurepred.windows.splits import make_splits

logger = logging.getLogger(__name__)


def _check_or_write_config(config: SweepConfig, out_dir: Path, *, case: str, resume: bool) -> None:
    path = out_dir / "sweep_config.json"
    payload = {"case": case, "hash": config.hash(), "config": config.to_dict()}
    if path.is_file() and resume:
        saved = json.loads(path.read_text(encoding="utf-8"))
        if saved.get("hash") != payload["hash"] or saved.get("case") != case:
            raise ConfigError(
                f"{out_dir}: holds a sweep of {saved.get('case')} with another config (hash {saved.get('hash')}, "
                f"now {payload['hash']}); choose another output folder or pass --no-resume to start over."
            )
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def plan_folds(patient: PatientData, *, config: SweepConfig) -> tuple[list[tuple], list[dict]]:
    """Every fold the sweep will run, without training anything.

    Parameters
    ----------
    patient : PatientData
        Patient with its built cache.
    config : SweepConfig
        The sweep.

    Returns
    -------
    folds : list of (preictal_min, repeat, WindowIndex, Split)
    skipped : list of dict
        ``preictal_min`` and ``reason`` for lengths that yield no fold (patient not eligible, no split).
    """
    folds, skipped = [], []
    n_samples = patient.n_samples
    for k in config.preictal_mins:
        segments = label_segments(patient.manifest, config=config.label_for(k))
        if not segments.eligible:
            skipped.append({"preictal_min": k, "reason": f"not eligible: {segments.reason}"})
            continue
        for repeat in range(config.repeats):
            index = build_window_index(
                segments,
                patient.manifest,
                config=config.window,
                sfreq=patient.sfreq,
                seed=config.seed + repeat,
                available=patient.available,
                n_samples=n_samples,
            )
            splits = make_splits(index, protocol=config.protocol, seed=config.seed + repeat)
            if not splits and repeat == 0:
                skipped.append({"preictal_min": k, "reason": f"no {config.protocol} split could be made"})
            for split in splits[: config.max_folds]:
                folds.append((k, repeat, index, split))
    return folds, skipped


def run_sweep(
    patient: PatientData,
    *,
    config: SweepConfig,
    out_dir: str | Path,
    resume: bool = True,
) -> SweepResult:
    """Run (or finish) the sweep and return its aggregated result; artefacts are written under ``out_dir``.

    Parameters
    ----------
    patient : PatientData
        Patient with its built signal cache (:func:`~seizurepred.cache.patient.prepare_patient`).
    config : SweepConfig
        Lengths, protocol, model, training and evaluation settings.
    out_dir : str or Path
        Output folder: ``sweep_config.json``, ``folds/``, ``checkpoints/``.
    resume : bool
        Reuse finished folds in ``out_dir`` (refused when it was made with another config). ``False`` starts over.

    Returns
    -------
    SweepResult
    """
    out_dir = Path(out_dir)
    _check_or_write_config(config, out_dir, case=patient.manifest.case, resume=resume)
    folds, skipped = plan_folds(patient, config=config)
    logger.info(
        "%s: %d folds to run or reuse (%s protocol)", patient.manifest.case, len(folds), config.protocol
    )
    outcomes: list[FoldOutcome] = []
    fold_dir = out_dir / "folds"
    for k, repeat, index, split in progress(folds, desc=f"sweep {patient.manifest.case}", unit="fold"):
        path = fold_dir / f"{fold_stem(k, split.test_seizure_id, repeat)}.json"
        if resume and path.is_file():
            outcomes.append(load_fold(path))
            continue
        outcome = run_fold(
            patient,
            index,
            split,
            config=config,
            preictal_min=k,
            repeat=repeat,
            work_dir=out_dir,
            resume=resume,
        )
        save_fold(outcome, fold_dir)
        m = outcome.metrics
        logger.info(
            "%s k=%d seizure %d repeat %d: AUC %.3f, sens %.3f, spec %.3f (%.0f s, %d epochs)",
            patient.manifest.case,
            k,
            outcome.seizure_id,
            repeat,
            m["auc"],
            m["sensitivity"],
            m["specificity"],
            outcome.train_s,
            outcome.n_epochs,
        )
        outcomes.append(outcome)
    return aggregate(patient, outcomes, config=config, skipped=skipped)
