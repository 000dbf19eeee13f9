"""Run a pool of fold tasks on a Ray cluster (``--executor ray``): ``pip install -e ".[ray]"``.

Each fold is one Ray task with ``num_cpus=cpus_per_fold`` and ``num_gpus=gpus_per_fold`` (fractions pack several
folds on one GPU). The prepared patients (manifest + signal cache location) and the config go to the object
store once; workers read the signal cache from its path. The driver (the process that runs the command) keeps
the only progress bar, receives every result and writes it to the run folder; workers show no bars.

On a cluster (see also :mod:`seizurepred.sweep.executors`)::

    ray start --head                                   # head node;  ray start --address HEAD:6379 elsewhere
    seizurepred sweep --patient chb01 --data-root /data/chbmit --cache-dir /shared/cache \\
        --out /shared/runs/chb01 --executor ray --address auto --cpus-per-fold 4 --gpus-per-fold 0.25

The cache folder (``--cache-dir``) and the run folder (``--out``, for checkpoints) must be on a file system that
every node reads and writes at the same path (NFS, a shared volume); the driver builds the cache before any fold
is submitted. Every worker process checks each cache entry's content checksum on first use. The default
``cpus_per_fold`` is the driver's torch thread count (``[train] num_threads`` when set): on a cluster whose nodes
differ from the driver, give ``--cpus-per-fold``. A fold that no alive node can hold is refused before anything
runs when no ``--address`` is given (a local Ray), and named in a warning with ``--address`` (an autoscaler may
still add such a node).

Faults: a fold whose Python code raises is run once more inside its worker (``run_with_retry``); a worker that
dies (killed, out of memory, a node lost) makes Ray run the task again once (``max_retries=1``), and the retry
resumes from the fold's last checkpoint (unless the pool runs with ``resume=False``: then it starts the fold over).
A fold that fails twice is recorded as failed and the others go on. Bad input (the project's own errors) stops
the pool: pending folds are cancelled, finished ones are kept.

Test hooks (environment variables of the driver, forwarded to every fold; never set them for real work):

``SEIZUREPRED_TEST_KILL_ONCE=<marker path>``
    The first fold attempt that finds no marker file creates it (atomically, so exactly one attempt in the
    pool), copies its checkpoint to ``<marker path>.pt``, and kills its worker process (``os._exit(1)``) as soon
    as its first checkpoint is written (at once when it has no checkpoint path).
``SEIZUREPRED_TEST_KILL_FOLD=<fold stem>``
    Every attempt of the fold with this stem (e.g. ``k030_sz000_r0``) kills its worker at its start, so the
    fold fails twice.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from seizurepred._progress import progress_bar
from seizurepred._validate import check_number
from seizurepred.cache.patient import PatientData
from seizurepred.errors import ConfigError, SeizurepredError
from seizurepred.sweep.config import SweepConfig
from seizurepred.sweep.executors import FoldTask, OnResult, run_with_retry
from seizurepred.sweep.fold_result import FoldResult, failed_result

logger = logging.getLogger(__name__)

INSTALL_HINT = 'pip install -e ".[ray]" or pip install "ray>=2.9"'

#: Test hooks read by the driver and forwarded to the workers (see the module docstring).
KILL_ONCE_ENV = "SEIZUREPRED_TEST_KILL_ONCE"
KILL_FOLD_ENV = "SEIZUREPRED_TEST_KILL_FOLD"


def _import_ray():
    try:
        import ray
    except ImportError:
        raise ConfigError(
            f"Invalid value for 'executor': allowed 'serial' (Ray is not installed: {INSTALL_HINT}); got 'ray'."
        ) from None
    return ray


# ------------------------------------------------------------------------------------------- test hooks
def _test_hooks() -> dict[str, str]:
    """The test hooks set in this (the driver's) environment."""
    return {k: os.environ[k] for k in (KILL_ONCE_ENV, KILL_FOLD_ENV) if os.environ.get(k)}


def _mtime(path: Path | None) -> int | None:
    try:
        return None if path is None else path.stat().st_mtime_ns
    except OSError:
        return None


def _die_once(task: FoldTask, marker: str) -> None:
    """Claim ``marker`` (exactly one attempt in the pool wins) and kill this process; return if already claimed."""
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    os.write(fd, f"{task.fold.case} {task.fold.stem} pid {os.getpid()}\n".encode())
    os.close(fd)
    if task.checkpoint_path is not None and Path(task.checkpoint_path).is_file():
        shutil.copyfile(task.checkpoint_path, f"{marker}.pt")
    os._exit(1)


def _watch_checkpoint(task: FoldTask, marker: str, done: threading.Event) -> None:
    path = None if task.checkpoint_path is None else Path(task.checkpoint_path)
    start = _mtime(path)
    while not done.wait(0.01):
        now = _mtime(path)
        if path is None or (now is not None and now != start):
            _die_once(task, marker)
            return


@contextlib.contextmanager
def _kill_hooks(task: FoldTask, hooks: Mapping[str, str]) -> Iterator[None]:
    """Apply the test hooks around one fold (nothing when ``hooks`` is empty)."""
    if hooks.get(KILL_FOLD_ENV) == task.fold.stem:
        os._exit(1)
    marker = hooks.get(KILL_ONCE_ENV)
    if not marker or os.path.exists(marker):
        yield
        return
    done = threading.Event()
    watcher = threading.Thread(target=_watch_checkpoint, args=(task, marker, done), daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


# ------------------------------------------------------------------------------------------- the worker
def _fold_in_worker(
    task: FoldTask, patient: PatientData, config: SweepConfig, n_threads: int, hooks: Mapping[str, str]
) -> FoldResult:
    """Body of the Ray task: one fold with ``n_threads`` torch threads and no progress bars."""
    import torch

    from seizurepred._progress import set_quiet

    set_quiet(True)
    torch.set_num_threads(n_threads)
    with _kill_hooks(task, hooks):
        return run_with_retry(task, patient, config)


class RayExecutor:
    """Submit every fold of the pool to Ray at once; gather results as they finish.

    Parameters
    ----------
    address : str or None
        ``"auto"`` (a running cluster), ``"HOST:PORT"``, or ``None``: the Ray already initialised in this process,
        else a local Ray started for this run.
    gpus_per_fold : float
        GPUs per fold (``0.25`` packs four folds on a GPU; ``0`` trains on CPUs).
    cpus_per_fold : int or None
        CPUs reserved per fold, and the fold's torch threads unless ``[train] num_threads`` is set; ``None``:
        ``[train] num_threads`` if set, else this process's torch thread count (then a CPU run gives the serial
        executor's tables byte for byte).

    Raises
    ------
    ConfigError
        Ray is not installed (the message says how to install it), or invalid resources.
    """

    name = "ray"

    def __init__(
        self, *, address: str | None = None, gpus_per_fold: float = 0.0, cpus_per_fold: int | None = None
    ):
        check_number("gpus_per_fold", gpus_per_fold, min_value=0.0, max_value=64.0)
        if cpus_per_fold is not None:
            check_number("cpus_per_fold", cpus_per_fold, min_value=1, max_value=1024, integer=True)
        self.address = address
        self.gpus_per_fold = float(gpus_per_fold)
        self.cpus_per_fold = cpus_per_fold
        self._ray = _import_ray()

    def describe(self) -> str:
        """One line for logs and reports."""
        cpus = self.cpus_per_fold or "default"
        return f"ray (address {self.address or 'local'}, {cpus} CPU and {self.gpus_per_fold:g} GPU per fold)"

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

    def threads(self, config: SweepConfig) -> int:
        """CPUs reserved (and torch threads) per fold under ``config``."""
        if self.cpus_per_fold is not None:
            return int(self.cpus_per_fold)
        if config.train.num_threads is not None:
            return int(config.train.num_threads)
        import torch

        return int(torch.get_num_threads())

    def _check_fits(self, threads: int) -> None:
        """Refuse (local Ray) or warn about (remote cluster) folds that no alive node can hold."""
        nodes = [n.get("Resources", {}) for n in self._ray.nodes() if n.get("Alive")]
        if not nodes:
            return
        problems = []
        max_cpu = max(r.get("CPU", 0.0) for r in nodes)
        if threads > max_cpu:
            problems.append(
                f"Invalid value for 'cpus_per_fold': allowed at most {max_cpu:g} (the most CPUs of a Ray node); "
                f"got {threads}"
                + ("" if self.cpus_per_fold else " (the default: this process's torch threads)")
            )
        max_gpu = max(r.get("GPU", 0.0) for r in nodes)
        if self.gpus_per_fold > max_gpu:
            problems.append(
                f"Invalid value for 'gpus_per_fold': allowed at most {max_gpu:g} (the most GPUs of a Ray node); "
                f"got {self.gpus_per_fold:g}"
            )
        if not problems:
            return
        if self.address is None:
            raise ConfigError("; ".join(problems) + ".")
        logger.warning("%s; no node of the cluster can run a fold yet.", "; ".join(problems))

    def run(
        self,
        tasks: Sequence[FoldTask],
        *,
        patients: Mapping[str, PatientData],
        config: SweepConfig,
        on_result: OnResult,
        desc: str = "folds",
    ) -> None:
        """Run ``tasks`` on the cluster; ``on_result`` is called here, in the driver, as each fold finishes.

        Raises
        ------
        ConfigError
            The cluster cannot be reached, or no node can hold one fold (local Ray).
        SeizurepredError
            A fold hit bad input: the pending folds are cancelled.
        """
        if not tasks:
            return
        ray = self._ray
        self._init()
        threads = self.threads(config)
        self._check_fits(threads)
        remote = ray.remote(_fold_in_worker).options(
            num_cpus=threads, num_gpus=self.gpus_per_fold, max_retries=1, retry_exceptions=False
        )
        refs = {case: ray.put(p) for case, p in patients.items()}
        config_ref = ray.put(config)
        hooks = _test_hooks()
        pending = {remote.remote(t, refs[t.fold.case], config_ref, threads, hooks): t for t in tasks}
        logger.info(
            "submitted %d folds to Ray (%s; %d threads per fold)", len(pending), self.describe(), threads
        )
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
        """The fold's result; a failed result when its worker died twice; the fold's own error for bad input."""
        ray = self._ray
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, SeizurepredError):
                raise cause from None
            return failed_result(task.fold, f"{type(cause or exc).__name__}: {cause or exc}")
        except ray.exceptions.RayError as exc:  # worker crashed twice, out of memory, node lost
            first = (str(exc).strip().splitlines() or [""])[0]
            logger.warning("%s of %s failed twice on Ray: %s", task.fold.stem, task.fold.case, first)
            return failed_result(task.fold, f"{type(exc).__name__}: the fold's worker died twice ({first})")
