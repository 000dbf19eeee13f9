"""Run a pool of fold tasks on a Ray cluster (``--executor ray``): ``pip install -e ".[ray]"``.

Each fold is one Ray task with ``num_cpus=cpus_per_fold`` and ``num_gpus=gpus_per_fold`` (fractions pack several
folds on one GPU). The prepared patients (manifest + signal cache location) and the config go to the object
store once; workers read the signal cache from its path, so on a cluster the cache folder (``--cache-dir``) and
the run folder (``--out``, for checkpoints) must be on a file system every node can read and write (NFS, a
shared volume). Every worker process checks each cache entry's content checksum on first use.

Faults: a fold whose Python code raises is run once more inside its worker (``run_with_retry``); a worker that
dies (killed, out of memory, a node lost) makes Ray run the task again once (``max_retries=1``), and the retry
resumes from the fold's last checkpoint. A fold that fails twice is recorded as failed and the others go on.
Bad input (the project's own errors) stops the pool.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence

from seizurepred._progress import progress_bar
from seizurepred._validate import check_number
from seizurepred.cache.patient import PatientData
from seizurepred.errors import ConfigError, SeizurepredError
from seizurepred.sweep.config import SweepConfig
from seizurepred.sweep.executors import FoldTask, OnResult, run_with_retry
from seizurepred.sweep.fold_result import FoldResult, failed_result

logger = logging.getLogger(__name__)

INSTALL_HINT = 'the Ray executor needs Ray: pip install -e ".[ray]" (or pip install "ray>=2.9")'


def _import_ray():
    try:
        import ray
    except ImportError:
        raise ConfigError(f"Invalid value for 'executor': {INSTALL_HINT}.") from None
    return ray


def _fold_in_worker(task: FoldTask, patient: PatientData, config: SweepConfig, n_threads: int) -> FoldResult:
    """Body of the Ray task: one fold with ``n_threads`` torch threads and no progress bars."""
    import torch

    from seizurepred._progress import set_quiet

    set_quiet(True)
    torch.set_num_threads(n_threads)
    return run_with_retry(task, patient, config)


class RayExecutor:
    """Submit every fold of the pool to Ray at once; gather results as they finish.

    Parameters
    ----------
    address : str or None
        ``"auto"`` (a running cluster), ``"HOST:PORT"``, or ``None``: a local Ray started for this run (or the
        one already initialised in this process).
    gpus_per_fold : float
        GPUs per fold (``0.25`` packs four folds on a GPU; ``0`` trains on CPUs).
    cpus_per_fold : int or None
        CPUs and torch threads per fold; ``None``: ``[train] num_threads`` if set, else this process's torch
        thread count (then a CPU run gives the serial executor's tables byte for byte).
    """

    name = "ray"

    def __init__(self, *, address: str | None = None, gpus_per_fold: float = 0.0, cpus_per_fold: int | None = None):
        check_number("gpus_per_fold", gpus_per_fold, min_value=0.0, max_value=64.0)
        if cpus_per_fold is not None:
            check_number("cpus_per_fold", cpus_per_fold, min_value=1, max_value=1024, integer=True)
        self.address = address
        self.gpus_per_fold = float(gpus_per_fold)
        self.cpus_per_fold = cpus_per_fold
        self._ray = _import_ray()

    def describe(self) -> str:
        """One line for logs and reports."""
        return f"ray (address {self.address or 'local'}, {self.cpus_per_fold or 'default'} CPU and {self.gpus_per_fold:g} GPU per fold)"

    def _init(self) -> None:
        ray = self._ray
        if ray.is_initialized():
            return
        kwargs = {"include_dashboard": False, "logging_level": logging.WARNING, "log_to_driver": False}
        if self.address:
            kwargs["address"] = self.address
        try:
            ray.init(**kwargs)
        except (ConnectionError, ValueError, RuntimeError) as exc:
            raise ConfigError(
                f"Invalid value for 'address': cannot reach a Ray cluster at {self.address or 'local'} ({exc})."
            ) from None

    def _threads(self, config: SweepConfig) -> int:
        if self.cpus_per_fold is not None:
            return int(self.cpus_per_fold)
        if config.train.num_threads is not None:
            return int(config.train.num_threads)
        import torch

        return int(torch.get_num_threads())

    def run(
        self,
        tasks: Sequence[FoldTask],
        *,
        patients: Mapping[str, PatientData],
        config: SweepConfig,
        on_result: OnResult,
        desc: str = "folds",
    ) -> None:
        """Run ``tasks`` on the cluster; ``on_result`` is called here, in the driver, as each fold finishes."""
        if not tasks:
            return
        ray = self._ray
        self._init()
        threads = self._threads(config)
        remote = ray.remote(_fold_in_worker).options(
            num_cpus=threads, num_gpus=self.gpus_per_fold, max_retries=1, retry_exceptions=False
        )
        refs = {case: ray.put(p) for case, p in patients.items()}
        config_ref = ray.put(config)
        pending = {remote.remote(t, refs[t.fold.case], config_ref, threads): t for t in tasks}
        logger.info("submitted %d folds to Ray (%s)", len(pending), self.describe())
        bar = progress_bar(total=len(pending), desc=desc, unit="fold")
        try:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    task = pending.pop(ref)
                    on_result(self._get(ref, task))
                    bar.update(1)
        except BaseException:
            for ref in pending:
                ray.cancel(ref, force=True)
            raise
        finally:
            bar.close()

    def _get(self, ref, task: FoldTask) -> FoldResult:
        ray = self._ray
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, SeizurepredError):
                raise cause from None
            return failed_result(task.fold, f"{type(cause or exc).__name__}: {cause or exc}")
        except (ray.exceptions.WorkerCrashedError, ray.exceptions.RayError) as exc:
            logger.warning("%s of %s failed twice on Ray: %s", task.fold.stem, task.fold.case, exc)
            return failed_result(task.fold, f"{type(exc).__name__}: worker died twice ({os.linesep.join(str(exc).splitlines()[:1])})")
