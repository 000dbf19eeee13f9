"""The sweep on Ray: the same tables as the serial executor byte for byte, worker deaths retried from the fold's
checkpoint, failures recorded, resume, a one-line error without Ray, and one progress bar for the pool.

One short synthetic patient (8 h, 2 seizures) is swept at 30 and 15 min (4 folds) once serially; every other run
is compared with that run's files. Tests that start Ray are ``slow``; Ray starts once for the module
(``num_cpus=2``) and is shut down at the end. Every run uses ``[train] num_threads = 1``, so that the serial
process and the Ray workers compute with the same number of threads (see :mod:`seizurepred.sweep.executors`).
"""

from __future__ import annotations

import csv
import dataclasses
import filecmp
import json
import re
import shutil
import sys
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import seizurepred.sweep.executors as executors
import seizurepred.sweep.ray_executor as ray_executor
from seizurepred._progress import is_quiet, set_quiet
from seizurepred.cli.main import cli
from seizurepred.errors import CacheError, ConfigError
from seizurepred.reporting import run_sweep, write_sweep
from seizurepred.sweep import load_sweep_config, prepare_for_sweep
from seizurepred.sweep.executors import FoldTask, SerialExecutor, make_executor, run_with_retry
from seizurepred.synth import generate_patient
from seizurepred.synth.demo import short_synth_config
from tests._factories import fold_result, make_fold

CASE = "chb01"
#: The short patient's labelling (``SHORT_RECORD_LABELS``), the tiny training of the test sweeps, one thread.
CONFIG_TOML = """
[sweep]
preictal_mins = [30, 15]
repeats = 1
model = "small"
max_train_windows = 200
n_surrogates = 10
[label]
interictal_before_onset_min = 90.0
interictal_after_end_min = 30.0
postictal_exclusion_min = 30.0
[train]
max_epochs = 2
patience = 2
device = "cpu"
num_threads = 1
"""
#: The tiny models give flat outputs: CIOPR fits and some metrics are undefined (NaN with a warning), as expected.
pytestmark = pytest.mark.filterwarnings("ignore::seizurepred.evaluation.metrics.UndefinedMetricWarning")
STEMS = ("k030_sz000_r0", "k030_sz001_r0", "k015_sz000_r0", "k015_sz001_r0")  # plan order
TABLES = ("segments.csv", "pooled.csv", "ciopr.csv", "events.csv")


# ---------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """``(data_root, cache_dir, config_path)`` of the short synthetic patient."""
    root = tmp_path_factory.mktemp("ray_sweep")
    generate_patient(root / "data", config=short_synth_config())
    (root / "sweep.toml").write_text(CONFIG_TOML, encoding="utf-8")
    return root / "data", root / "cache", root / "sweep.toml"


@pytest.fixture(scope="module")
def config(inputs):
    cfg = load_sweep_config(inputs[2])
    assert cfg.train.num_threads == 1
    return cfg


@pytest.fixture(scope="module")
def patient(inputs, config):
    data_root, cache_dir, _ = inputs
    return prepare_for_sweep(CASE, config, data_root=data_root, cache_dir=cache_dir)


@pytest.fixture(scope="module")
def serial_run(patient, config, tmp_path_factory):
    """The reference: the serial sweep's run folder with its tables."""
    out = tmp_path_factory.mktemp("serial") / "run"
    result = run_sweep(patient, config=config, out_dir=out, executor=SerialExecutor())
    write_sweep(result, out)
    assert [r["status"] for r in result.segments] == ["ok"] * 4
    return out


@pytest.fixture(scope="module")
def ray_session():
    """A local Ray with 2 CPUs for the module's Ray tests (RayExecutor uses the Ray initialised in the process)."""
    ray = pytest.importorskip("ray")
    if ray.is_initialized():
        pytest.fail("Ray is already initialised in this process: this module starts and stops its own")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _same_tables(a: Path, b: Path) -> None:
    """Every table of ``b`` is byte-identical to ``a``'s: the four named ones and every other CSV/JSON but timings."""
    not_tables = ("timings.csv", "data.json")  # wall-clock times; the data folder's note
    names = sorted(p.name for p in a.iterdir() if p.suffix in (".csv", ".json") and p.name not in not_tables)
    assert set(TABLES) <= set(names)
    match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert (mismatch, errors) == ([], []), f"differ: {mismatch}, missing: {errors}"
    assert sorted(match) == names


def _partial_copy(serial_run: Path, dest: Path, *stems: str) -> Path:
    """A copy of the serial run folder without the fold files and checkpoints of ``stems`` (an interrupted run)."""
    shutil.copytree(serial_run, dest)
    for stem in stems:
        for path in (
            dest / "folds" / f"{stem}.json",
            dest / "folds" / f"{stem}.npz",
            dest / "checkpoints" / f"{stem}.pt",
        ):
            path.unlink()
    return dest


def _with_threads(config, n_threads):
    return dataclasses.replace(config, train=dataclasses.replace(config.train, num_threads=n_threads))


class _Bar:
    def __init__(self, total):
        self.total, self.n, self.closed = total, 0, False

    def update(self, n=1):
        self.n += n

    def close(self):
        self.closed = True


def _count_folds(monkeypatch) -> list[str]:
    """The stems of the folds trained from now on (``run_fold`` still runs)."""
    calls: list[str] = []
    real = executors.run_fold

    def counted(fold, *args, **kwargs):
        calls.append(fold.stem)
        return real(fold, *args, **kwargs)

    monkeypatch.setattr(executors, "run_fold", counted)
    return calls


# ---------------------------------------------------------------------------------------------- no training
def test_run_with_retry_records_a_fold_that_fails_twice(config, monkeypatch):
    calls = []

    def fails(fold, patient, config, *, checkpoint_path, resume):
        calls.append(resume)
        raise RuntimeError("boom")

    monkeypatch.setattr(executors, "run_fold", fails)
    result = run_with_retry(FoldTask(make_fold(30, 1), None, resume=False), None, config)
    assert (result.status, result.error) == ("failed", "RuntimeError: boom")
    assert calls == [False, True], "the second attempt resumes from the checkpoint"


def test_run_with_retry_reraises_bad_input(config, monkeypatch):
    calls = []

    def bad(fold, patient, config, **kw):
        calls.append(fold.stem)
        raise ConfigError("Invalid value for 'x': allowed 1; got 2.")

    monkeypatch.setattr(executors, "run_fold", bad)
    with pytest.raises(ConfigError, match="'x'"):
        run_with_retry(FoldTask(make_fold(30, 1)), None, config)
    assert calls == ["k030_sz001_r0"], "bad input is not retried"


def test_a_fold_runs_with_the_configured_threads(config, monkeypatch):
    seen = []

    def record(fold, patient, config, **kw):
        seen.append(torch.get_num_threads())
        return fold_result(preictal_min=fold.preictal_min, seizure_id=fold.seizure_id)

    monkeypatch.setattr(executors, "run_fold", record)
    before = torch.get_num_threads()
    run_with_retry(FoldTask(make_fold()), None, _with_threads(config, 3))
    assert seen == [3] and torch.get_num_threads() == before


def test_ray_worker_is_quiet_and_uses_its_threads(config, monkeypatch):
    """No per-worker progress bars: the worker silences itself before the fold, with the threads it was given."""
    seen = []

    def record(task, patient, config):
        seen.append((is_quiet(), torch.get_num_threads()))
        return fold_result(preictal_min=30, seizure_id=0)

    monkeypatch.setattr(ray_executor, "run_with_retry", record)
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    monkeypatch.delenv("SEIZUREPRED_QUIET", raising=False)
    before = torch.get_num_threads()
    try:
        set_quiet(False)
        assert not is_quiet()
        ray_executor._fold_in_worker(FoldTask(make_fold()), None, _with_threads(config, None), 1, {})
    finally:
        set_quiet(False)
        torch.set_num_threads(before)
    assert seen == [(True, 1)]


def test_make_executor_options():
    assert make_executor("serial").describe() == "serial"
    with pytest.raises(ConfigError, match="allowed 'serial', 'ray'; got 'dask'"):
        make_executor("dask")
    for option in ({"address": "auto"}, {"gpus_per_fold": 0.5}, {"cpus_per_fold": 2}):
        with pytest.raises(
            ConfigError, match="allowed only with executor 'ray'; got it with executor 'serial'"
        ):
            make_executor("serial", **option)


def test_without_ray_the_cli_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # "import ray" raises ImportError
    with pytest.raises(ConfigError, match="Ray is not installed"):
        make_executor("ray")
    out = tmp_path / "out"
    args = ["sweep", "--executor", "ray", "--data-root", str(tmp_path), "--out", str(out),
            "--cache-dir", str(tmp_path / "cache")]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [
        "Error: Invalid value for 'executor': allowed 'serial' (Ray is not installed: "
        'pip install -e ".[ray]" or pip install "ray>=2.9"); got \'ray\'.'
    ]
    assert not out.exists() and not (tmp_path / "cache").exists()


@pytest.mark.parametrize(
    "option", [["--address", "auto"], ["--gpus-per-fold", "0.25"], ["--cpus-per-fold", "2"]]
)
def test_ray_options_are_refused_with_serial(option, tmp_path):
    out = tmp_path / "out"
    args = ["sweep", "--data-root", str(tmp_path), "--out", str(out), *option]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    name = option[0][2:].replace("-", "_")
    assert f"Error: Invalid value for '{name}': allowed only with executor 'ray'" in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_sweep_help_describes_the_executors():
    result = CliRunner().invoke(cli, ["sweep", "--help"], terminal_width=400, max_content_width=400)
    text = " ".join(result.output.split())
    assert "--executor [serial|ray]" in text and "[default: serial]" in text
    assert 'pip install -e ".[ray]"' in text
    for option in ("--address TEXT", "--gpus-per-fold FLOAT", "--cpus-per-fold INTEGER"):
        assert option in text
    assert (
        "--cache-dir and --out must be on a file system every node of the cluster can read and write" in text
    )


# ---------------------------------------------------------------------------------------------- serial, trained
def test_serial_fold_failing_twice_is_recorded_and_the_others_finish(serial_run, patient, config, tmp_path,
                                                                     monkeypatch):  # fmt: skip
    out = _partial_copy(serial_run, tmp_path / "run", STEMS[1], STEMS[2])
    calls = []
    real = executors.run_fold

    def flaky(fold, *args, **kwargs):
        calls.append(fold.stem)
        if fold.stem == STEMS[1]:
            raise RuntimeError("simulated failure")
        return real(fold, *args, **kwargs)

    monkeypatch.setattr(executors, "run_fold", flaky)
    result = run_sweep(patient, config=config, out_dir=out)
    write_sweep(result, out)
    assert calls == [STEMS[1], STEMS[1], STEMS[2]]
    _check_failed(out, serial_run, STEMS[1], "RuntimeError: simulated failure")


def _check_failed(out: Path, serial_run: Path, stem: str, error: str) -> None:
    """``stem`` is listed as failed in segments.csv, summary.json and report.md; every other row is unchanged."""
    rows, reference = _rows(out / "segments.csv"), _rows(serial_run / "segments.csv")
    assert [r["status"] for r in rows] == ["failed" if s == stem else "ok" for s in STEMS]
    assert [r for r, s in zip(rows, STEMS) if s != stem] == [r for r, s in zip(reference, STEMS) if s != stem]
    k, sid = int(stem[1:4]), int(stem[7:10])
    (failed,) = json.loads((out / "summary.json").read_text())["failed"]
    assert (failed["preictal_min"], failed["seizure_id"], failed["repeat"]) == (k, sid, 0)
    assert failed["error"].startswith(error)
    report = (out / "report.md").read_text()
    assert "Failed folds" in report and f"{k} min, seizure {sid}, repeat 0: {error}" in report


def _damaged_cache(inputs, config, tmp_path):
    """The patient on a copy of its cache whose first entry's bytes changed after the sweep's preparation."""
    data_root, cache_dir, _ = inputs
    root = tmp_path / "cache"
    shutil.copytree(cache_dir, root)
    damaged = prepare_for_sweep(CASE, config, data_root=data_root, cache_dir=root)  # reused, verified
    entry = sorted(root.rglob("*.npy"))[0]
    data = bytearray(entry.read_bytes())
    data[-8:] = bytes(8) if data[-8:] != bytes(8) else b"\xff" * 8
    entry.write_bytes(bytes(data))
    return damaged, entry


def test_serial_bad_input_stops_the_pool(inputs, config, tmp_path):
    """A damaged cache entry is the project's own error (CacheError): the first fold stops the pool."""
    damaged, entry = _damaged_cache(inputs, config, tmp_path)
    out = tmp_path / "run"
    with pytest.raises(CacheError, match=re.escape(f"{entry}: cache entry of") + ".*fails its checksum"):
        run_sweep(damaged, config=config, out_dir=out)
    assert list(out.glob("folds/*.json")) == []


def test_a_damaged_checkpoint_is_named_and_its_fold_trained_again(serial_run, patient, config, tmp_path, caplog):
    """Damaged run state is not input: the checkpoint is named in a warning, dropped, and the fold retrained."""
    out = tmp_path / "run"
    (out / "checkpoints").mkdir(parents=True)
    (out / "checkpoints" / f"{STEMS[0]}.pt").write_bytes(b"not a checkpoint")
    with caplog.at_level("WARNING", logger="seizurepred.sweep.task"):
        write_sweep(run_sweep(patient, config=config, out_dir=out), out)
    assert f"{STEMS[0]}.pt: not a readable checkpoint" in caplog.text
    _same_tables(serial_run, out)


def test_serial_resume_runs_only_the_missing_fold(serial_run, patient, config, tmp_path, monkeypatch):
    out = _partial_copy(serial_run, tmp_path / "run", STEMS[3])
    calls = _count_folds(monkeypatch)
    write_sweep(run_sweep(patient, config=config, out_dir=out), out)
    assert calls == [STEMS[3]]
    _same_tables(serial_run, out)


# ---------------------------------------------------------------------------------------------- Ray
@pytest.mark.slow
def test_ray_gives_the_serial_tables_byte_for_byte(ray_session, serial_run, patient, config, tmp_path,
                                                    monkeypatch):  # fmt: skip
    bars = []

    def bar(*, total, desc, unit):
        bars.append(_Bar(total))
        return bars[-1]

    monkeypatch.setattr(ray_executor, "progress_bar", bar)
    executor = ray_executor.RayExecutor()
    assert executor.threads(config) == 1  # the default follows [train] num_threads, as the serial folds
    out = tmp_path / "run"
    write_sweep(run_sweep(patient, config=config, out_dir=out, executor=executor), out)
    _same_tables(serial_run, out)
    assert {r["device"] for r in _rows(out / "segments.csv")} == {"cpu (1 threads)"}
    assert [(b.total, b.n, b.closed) for b in bars] == [(4, 4, True)], "one progress bar for the whole pool"


@pytest.mark.slow
def test_cli_with_ray_gives_the_serial_tables(ray_session, inputs, serial_run, tmp_path):
    data_root, cache_dir, config_path = inputs
    out = tmp_path / "run"
    args = ["-q", "sweep", "--executor", "ray", "--data-root", str(data_root), "--patient", CASE,
            "--config", str(config_path), "--cache-dir", str(cache_dir), "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    _same_tables(serial_run, out)


@pytest.mark.slow
def test_a_killed_worker_is_retried_from_its_checkpoint(ray_session, serial_run, patient, config, tmp_path,
                                                         monkeypatch):  # fmt: skip
    out = _partial_copy(serial_run, tmp_path / "run", STEMS[0], STEMS[3])
    marker = tmp_path / "killed"
    monkeypatch.setenv(ray_executor.KILL_ONCE_ENV, str(marker))
    write_sweep(run_sweep(patient, config=config, out_dir=out, executor=ray_executor.RayExecutor()), out)
    _same_tables(serial_run, out)
    case, stem, *_ = marker.read_text().split()
    assert case == CASE and stem in (STEMS[0], STEMS[3])
    # the retry resumed: its first epoch is the one the killed worker had checkpointed (same wall time)
    from seizurepred.training.checkpoint import load_checkpoint

    saved = load_checkpoint(f"{marker}.pt")
    assert saved["epoch"] == 1
    history = json.loads((out / "folds" / f"{stem}.json").read_text())["history"]
    assert len(history) == 2 and history[0]["seconds"] == saved["history"][0]["seconds"]


@pytest.mark.slow
def test_a_fold_whose_worker_dies_twice_is_recorded_as_failed(ray_session, serial_run, patient, config, tmp_path,
                                                               monkeypatch):  # fmt: skip
    out = _partial_copy(serial_run, tmp_path / "run", STEMS[1], STEMS[2])
    monkeypatch.setenv(ray_executor.KILL_FOLD_ENV, STEMS[1])
    write_sweep(run_sweep(patient, config=config, out_dir=out, executor=ray_executor.RayExecutor()), out)
    _check_failed(out, serial_run, STEMS[1], "WorkerCrashedError: the fold's worker died twice")


@pytest.mark.slow
def test_ray_bad_input_stops_the_pool(ray_session, inputs, config, tmp_path):
    damaged, entry = _damaged_cache(inputs, config, tmp_path)
    out = tmp_path / "run"
    with pytest.raises(CacheError, match=re.escape(f"{entry}: cache entry of") + ".*fails its checksum"):
        run_sweep(damaged, config=config, out_dir=out, executor=ray_executor.RayExecutor())
    assert len(list(out.glob("folds/*.json"))) < 4, "the pending folds were cancelled"


@pytest.mark.slow
def test_a_fold_no_node_can_hold_is_refused_before_anything_runs(ray_session, patient, config, tmp_path):
    out = tmp_path / "run"
    with pytest.raises(
        ConfigError, match=r"'cpus_per_fold': allowed at most 2 \(the most CPUs of a Ray node\); got 3"
    ):
        run_sweep(patient, config=config, out_dir=out, executor=ray_executor.RayExecutor(cpus_per_fold=3))
    with pytest.raises(
        ConfigError, match=r"'gpus_per_fold': allowed at most 0 \(the most GPUs of a Ray node\); got 0.5"
    ):
        run_sweep(patient, config=config, out_dir=out, executor=ray_executor.RayExecutor(gpus_per_fold=0.5))
    assert list(out.glob("folds/*")) == []


@pytest.mark.slow
def test_ray_resume_runs_only_the_missing_fold(
    ray_session, serial_run, patient, config, tmp_path, monkeypatch
):
    out = _partial_copy(serial_run, tmp_path / "run", STEMS[2])
    executor = ray_executor.RayExecutor()
    submitted = []
    real = executor.run

    def run(tasks, **kwargs):
        submitted.extend(t.fold.stem for t in tasks)
        return real(tasks, **kwargs)

    monkeypatch.setattr(executor, "run", run)
    write_sweep(run_sweep(patient, config=config, out_dir=out, executor=executor), out)
    assert submitted == [STEMS[2]]
    _same_tables(serial_run, out)
    submitted.clear()
    write_sweep(run_sweep(patient, config=config, out_dir=out, executor=executor), out)
    assert submitted == []
    _same_tables(serial_run, out)
