"""Executors: run a pool of fold tasks serially in this process, or on a Ray cluster.

An executor takes :class:`FoldTask` s (a :class:`~seizurepred.sweep.plan.Fold` plus where its checkpoint goes)
and hands every :class:`~seizurepred.sweep.fold_result.FoldResult` to ``on_result`` as soon as it exists, in
the process that called it (the run store writes it there). One progress bar counts the folds of the whole pool.

Failures: a fold that raises is run once more (it resumes from its checkpoint); a fold that fails twice is
recorded as failed (:func:`~seizurepred.sweep.fold_result.failed_result`) and the other folds go on. Errors of
the project's own type (bad input) and Ctrl-C stop the pool at once.

Results do not depend on the executor, with one caveat of floating point on CPUs: the number of threads a fold
uses changes the order of reductions, so byte-identical tables need the same threads per fold. Serial folds use
``[train] num_threads`` (else torch's default); Ray folds use ``--cpus-per-fold`` threads, whose default is
that same number.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from seizurepred._progress import progress
from seizurepred.cache.patient import PatientData
from seizurepred.errors import SeizurepredError
from seizurepred.sweep.config import SweepConfig
from seizurepred.sweep.fold_result import FoldResult, failed_result
from seizurepred.sweep.plan import Fold
from seizurepred.sweep.task import run_fold

logger = logging.getLogger(__name__)

#: Attempts per fold before it is recorded as failed.
MAX_ATTEMPTS = 2

OnResult = Callable[[FoldResult], None]


@dataclass(frozen=True)
class FoldTask:
    """One fold to run: the fold, its checkpoint path and whether to resume from it."""

    fold: Fold
    checkpoint_path: Path | None = None
    resume: bool = True


def run_with_retry(task: FoldTask, patient: PatientData, config: SweepConfig) -> FoldResult:
    """Run one fold, once more if it raises; a second failure gives a failed result (bad input re-raises)."""
    error = ""
    for attempt in range(MAX_ATTEMPTS):
        try:
            return run_fold(
                task.fold,
                patient,
                config,
                checkpoint_path=task.checkpoint_path,
                resume=task.resume or attempt > 0,
            )
        except SeizurepredError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of one fold must not stop the pool
            error = f"{type(exc).__name__}: {exc}"
            logger.warning("%s of %s failed (attempt %d of %d): %s", task.fold.stem, task.fold.case,
                           attempt + 1, MAX_ATTEMPTS, error)  # fmt: skip
    return failed_result(task.fold, error)


class SerialExecutor:
    """Run the folds one after the other in this process."""

    name = "serial"

    def describe(self) -> str:
        """One line for logs and reports."""
        return "serial"

    def run(
        self,
        tasks: Sequence[FoldTask],
        *,
        patients: Mapping[str, PatientData],
        config: SweepConfig,
        on_result: OnResult,
        desc: str = "folds",
    ) -> None:
        """Run ``tasks``; ``patients`` maps each fold's case to its prepared patient."""
        for task in progress(tasks, desc=desc, unit="fold"):
            on_result(run_with_retry(task, patients[task.fold.case], config))


def make_executor(
    name: str,
    *,
    address: str | None = None,
    gpus_per_fold: float | None = None,
    cpus_per_fold: int | None = None,
):
    """The executor called ``name`` (``"serial"`` or ``"ray"``).

    Raises
    ------
    ConfigError
        Unknown name, Ray options given to the serial executor, Ray not installed (the message says how to
        install it), or invalid resources.
    """
    from seizurepred._validate import check_option
    from seizurepred.errors import ConfigError

    check_option("executor", name, ("serial", "ray"))
    if name == "serial":
        given = [n for n, v in (("address", address), ("gpus_per_fold", gpus_per_fold),
                                ("cpus_per_fold", cpus_per_fold)) if v is not None]  # fmt: skip
        if given:
            raise ConfigError(f"Invalid value for {given[0]!r}: allowed only with executor 'ray'; got it with 'serial'.")
        return SerialExecutor()
    from seizurepred.sweep.ray_executor import RayExecutor

    return RayExecutor(address=address, gpus_per_fold=gpus_per_fold or 0.0, cpus_per_fold=cpus_per_fold)
