"""Run sweeps into their run folders: plan, reuse finished folds, execute the rest, store, aggregate.

This module connects the pure sweep (:mod:`seizurepred.sweep`: plan, fold task, aggregation) with the run
store, which is the only writer of a run folder. :func:`run_sweep` does one patient; :func:`run_pool` runs the
folds of several patients as one pool (one progress bar, one executor), each into its own folder.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from seizurepred.cache.patient import PatientData
from seizurepred.errors import ConfigError
from seizurepred.reporting.run_store import RunStore
from seizurepred.sweep.aggregate import aggregate
from seizurepred.sweep.config import SweepConfig
from seizurepred.sweep.executors import FoldTask, SerialExecutor
from seizurepred.sweep.fold_result import FoldResult
from seizurepred.sweep.plan import Plan, plan_folds
from seizurepred.sweep.result import SweepResult

logger = logging.getLogger(__name__)


def _no_fold_error(case: str, plan: Plan) -> ConfigError:
    by_reason: dict[str, list[str]] = {}
    for s in plan.skipped:
        by_reason.setdefault(s["reason"], []).append(str(s["preictal_min"]))
    reasons = "; ".join(f"{'/'.join(ks)} min: {r}" for r, ks in by_reason.items()) or "no length to sweep"
    return ConfigError(f"{case}: the config plans no fold to train ({reasons}).")


def run_pool(
    patients: Sequence[PatientData],
    *,
    config: SweepConfig,
    out_dirs: Mapping[str, str | Path],
    resume: bool = True,
    executor=None,
    desc: str = "folds",
) -> dict[str, SweepResult]:
    """Run the folds of several patients as one pool; each patient's results go to its own run folder.

    Parameters
    ----------
    patients : sequence of PatientData
        Prepared patients (signal caches built).
    config : SweepConfig
        One config for all of them.
    out_dirs : mapping of str to path
        Case -> run folder.
    resume : bool
        Reuse finished folds (and checkpoints); ``False`` trains everything again.
    executor : SerialExecutor, RayExecutor or None
        Who runs the folds (default serial).
    desc : str
        Label of the progress bar.

    Returns
    -------
    dict of str to SweepResult
        Per case. A patient whose config plans no fold is absent (logged).

    Raises
    ------
    ConfigError
        No patient has a fold to train (the reasons are named).
    StorageError
        A run folder is held by another process, or cannot be written.
    """
    executor = executor or SerialExecutor()
    plan = plan_folds(list(patients), config=config)
    by_case = {p.manifest.case: p for p in patients}
    if not plan.folds:
        raise _no_fold_error(", ".join(by_case), plan)
    stores = {case: RunStore(out_dirs[case]) for case in by_case if plan.for_case(case).folds}
    for case in by_case:
        if case not in stores:
            logger.warning("%s", _no_fold_error(case, plan.for_case(case)))
    config_hash = config.fold_hash()
    results: dict[tuple, FoldResult] = {}
    with contextlib.ExitStack() as held:
        for store in stores.values():
            held.enter_context(store.lock())
        for case, store in stores.items():
            store.check_config(config, case=case, resume=resume)
            store.save_run_info(manifest=by_case[case].manifest, skipped=plan.for_case(case).skipped)
        tasks = []
        for fold in plan.folds:
            store = stores[fold.case]
            done = store.load_fold(fold, config_hash=config_hash) if resume else None
            if done is not None:
                results[fold.key] = done
                continue
            if not resume:  # start over: the checkpoint goes, and a retry of the fold resumes from its own
                store.checkpoint_path(fold).unlink(missing_ok=True)
            tasks.append(FoldTask(fold, store.checkpoint_path(fold), True))
        logger.info("%d folds planned, %d finished before, %d to run (%s)", len(plan), len(results),
                    len(tasks), executor.describe())  # fmt: skip

        def keep(result: FoldResult) -> None:
            stores[result.fold.case].save_fold(result, config_hash=config_hash)
            results[result.fold.key] = result

        executor.run(tasks, patients=by_case, config=config, on_result=keep, desc=desc)
    out = {}
    for case in stores:
        mine = plan.for_case(case)
        ordered = [results[f.key] for f in mine.folds]
        out[case] = aggregate(by_case[case].manifest, ordered, config=config, skipped=mine.skipped)
    return out


def run_sweep(
    patient: PatientData,
    *,
    config: SweepConfig,
    out_dir: str | Path,
    resume: bool = True,
    executor=None,
) -> SweepResult:
    """Run (or finish) one patient's sweep in ``out_dir`` and return its aggregated result.

    Finished folds in ``out_dir`` are reused (``resume``); a fold interrupted mid-training resumes from its
    checkpoint. The folder is locked while the sweep writes to it. Tables and the report are written by
    :func:`~seizurepred.reporting.report.write_sweep`.

    Parameters
    ----------
    patient : PatientData
        Patient with its built signal cache (:func:`~seizurepred.cache.patient.prepare_patient`).
    config : SweepConfig
        Lengths, protocol, model, training and evaluation settings.
    out_dir : str or Path
        Run folder.
    resume : bool
        Reuse finished folds in ``out_dir`` (refused when it was made with another config). ``False`` starts over.
    executor : SerialExecutor, RayExecutor or None
        Who runs the folds (default serial, in this process).

    Returns
    -------
    SweepResult
    """
    case = patient.manifest.case
    return run_pool([patient], config=config, out_dirs={case: out_dir}, resume=resume, executor=executor,
                    desc=f"sweep {case}")[case]  # fmt: skip
