"""Executors: run a pool of fold tasks serially in this process, or on a Ray cluster.

An executor takes :class:`FoldTask` s (a :class:`~seizurepred.sweep.plan.Fold` plus where its checkpoint goes)
and hands every :class:`~seizurepred.sweep.fold_result.FoldResult` to ``on_result`` as soon as it exists, in
the process that called it (the run store writes it there). One progress bar counts the folds of the whole pool;
nothing else shows a bar while a pool runs on Ray (workers are silenced).

Failures: a fold that raises is run once more (it resumes from its checkpoint); a fold that fails twice is
recorded as failed (:func:`~seizurepred.sweep.fold_result.failed_result`) and the other folds go on. Errors of
the project's own type (bad input: a corrupt checkpoint, an invalid config) and Ctrl-C stop the pool at once;
folds finished before are kept, and a rerun resumes.

Threads, and byte-identical tables: a fold's floating-point results depend on how many intra-op threads torch
uses (the order of reductions changes), so tables are byte-identical across executors only when every fold
uses the same number of threads. :func:`run_with_retry`, the one entry point of both executors, runs the whole
fold (training and inference) with ``[train] num_threads`` threads when the config sets it. Without it, a
serial fold uses this process's torch threads and a Ray fold uses ``cpus_per_fold`` threads, whose default is
this process's torch thread count. Set ``[train] num_threads`` (or pass ``--cpus-per-fold`` equal to the serial
process's threads) to compare executors; ``segments.csv`` names the threads of every fold in its ``device``
column.

Running on a cluster (``--executor ray``, :mod:`seizurepred.sweep.ray_executor`)::

    ray start --head                                    # on the head node
    ray start --address HEAD:6379                       # on every other node
    seizurepred sweep --patient chb01 --data-root /data/chbmit --cache-dir /shared/cache \\
        --out /shared/runs/chb01 --executor ray --address auto --gpus-per-fold 0.25

``--cache-dir`` and ``--out`` must be the same path on every node, on a file system they all read and write (NFS,
a shared volume): workers read the signal cache and write checkpoints there. The EDF files (``--data-root``) are
read by the driver alone (the machine running the command), which builds the cache before any fold is submitted
and writes the fold files, tables and report.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

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


@contextlib.contextmanager
def fold_threads(n_threads: int | None) -> Iterator[None]:
    """Run the block with ``n_threads`` torch intra-op threads (``None``: leave them), then restore them."""
    before = torch.get_num_threads()
    if n_threads is not None:
        torch.set_num_threads(int(n_threads))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def run_with_retry(task: FoldTask, patient: PatientData, config: SweepConfig) -> FoldResult:
    """Run one fold, once more if it raises; a second failure gives a failed result (bad input re-raises).

    The fold runs with ``config.train.num_threads`` torch threads when set (training and inference alike), so
    its results do not depend on the process it runs in. The second attempt resumes from the fold's checkpoint.
    """
    error = ""
    for attempt in range(MAX_ATTEMPTS):
        try:
            with fold_threads(config.train.num_threads):
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

    Parameters
    ----------
    name : {"serial", "ray"}
        Who runs the folds.
    address, gpus_per_fold, cpus_per_fold
        Ray options (:class:`~seizurepred.sweep.ray_executor.RayExecutor`); ``None``: not given. Refused with
        ``"serial"``.

    Returns
    -------
    SerialExecutor or RayExecutor

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
            raise ConfigError(
                f"Invalid value for {given[0]!r}: allowed only with executor 'ray'; got it with executor 'serial'."
            )
        return SerialExecutor()
    from seizurepred.sweep.ray_executor import RayExecutor

    return RayExecutor(address=address, gpus_per_fold=gpus_per_fold or 0.0, cpus_per_fold=cpus_per_fold)
