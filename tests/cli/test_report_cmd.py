"""``seizurepred report RUN_DIR`` (:mod:`seizurepred.cli.report_cmd`): a finished run folder rendered again,
tables byte for byte, figures included.

The run folder is written by hand through the run store (no training): a 10-h patient with a 1-h gap and two
seizures, two lengths x two held-out seizures whose outputs cover the 4 h before each onset.
"""

from __future__ import annotations

import json
import os
import re
import warnings

import numpy as np
import pytest
from _factories import make_fold
from click.testing import CliRunner

from seizurepred.cli.main import cli
from seizurepred.evaluation.continuous import ContinuousOutput
from seizurepred.evaluation.metrics import UndefinedMetricWarning
from seizurepred.io.manifest import Manifest, Recording, Seizure
from seizurepred.reporting import RunStore, load_run, write_sweep
from seizurepred.sweep.aggregate import aggregate
from seizurepred.sweep.config import SweepConfig
from seizurepred.sweep.fold_result import FoldResult

H = 3600.0
N_WIN = 2880
CONFIG = SweepConfig(preictal_mins=(30, 15), n_surrogates=0)
FIGURES = {"continuous.png", "opp_evidence.png", "roc.png", "alarms.png", "reliability.png", "sen_tiw.png"}
TABLES = {f"{t}.{e}" for t in ("segments", "pooled", "opp_evidence", "ciopr", "events", "events_by_seizure", "forecast")
          for e in ("csv", "json")} | {"summary.json", "data.json", "report.md"}  # fmt: skip


def _manifest() -> Manifest:
    ch = ("FP1-F7", "F7-T7")
    recs = (
        Recording("chb97_01.edf", 0.0, 5 * H, ch, (Seizure(4 * H, 4 * H + 60.0),)),
        Recording("chb97_02.edf", 6 * H, 11 * H, ch, (Seizure(4 * H, 4 * H + 40.0),)),
    )
    return Manifest(case="chb97", sfreq=256.0, recordings=recs)


def _folds() -> list[FoldResult]:
    n = np.arange(N_WIN, 0, -1)
    out = []
    for i, (k, sid) in enumerate((k, sid) for k in (30, 15) for sid in (0, 1)):
        probs = (n <= 12 * k).astype(float)  # positive over the last k minutes
        out.append(FoldResult(
            fold=make_fold(k, sid, position=i), sizes={"train": 10, "val": 2, "test": 4}, best_epoch=1,
            n_epochs=2, train_s=1.0, device="cpu", y_true=np.array([0, 1, 0, 1], dtype=np.int8),
            y_score=np.array([0.2, 0.7, 0.4, 0.9], dtype=np.float32),
            continuous=ContinuousOutput(sid, n * 5.0 / 60.0, probs, N_WIN * 5.0 / H, 5.0),
        ))  # fmt: skip
    return out


def _run_folder(path, *, synthetic: bool, summary: bool = True):
    """A finished run folder as a sweep leaves it (``summary=False``: one written before figures existed)."""
    store = RunStore(path)
    folds = _folds()
    with store.lock():
        store.check_config(CONFIG, case="chb97", resume=False)
        store.save_run_info(manifest=_manifest(), skipped=[])
        for f in folds:
            store.save_fold(f, config_hash=CONFIG.fold_hash())
    if summary:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            result = aggregate(_manifest(), folds, config=CONFIG)
            write_sweep(result, path, data_note="Hand-built.", manifest=_manifest(), synthetic=synthetic)
    return path


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return _run_folder(tmp_path_factory.mktemp("report") / "run", synthetic=True)


def _invoke(*args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        return CliRunner().invoke(cli, ["report", *map(str, args)])


def test_report_in_place_gives_the_same_bytes(run_dir):
    before = {p.name: p.read_bytes() for p in run_dir.iterdir() if p.name in TABLES | FIGURES}
    assert set(before) == TABLES | FIGURES
    res = _invoke(run_dir)
    assert res.exit_code == 0, res.output
    assert "# Preictal-period sweep: chb97" in res.output
    assert {name: (run_dir / name).read_bytes() for name in before} == before


def test_report_to_another_folder_writes_tables_and_figures(run_dir, tmp_path):
    res = _invoke(run_dir, "--out", tmp_path / "again")
    assert res.exit_code == 0, res.output
    names = {p.name for p in (tmp_path / "again").iterdir()}
    assert TABLES | FIGURES | {"timings.csv", ".lock"} == names  # the lock, as in a sweep's folder
    for name in TABLES | FIGURES:
        assert (tmp_path / "again" / name).read_bytes() == (run_dir / name).read_bytes(), name
    assert json.loads((tmp_path / "again" / "data.json").read_text(encoding="utf-8"))["synthetic"] is True
    assert json.loads((tmp_path / "again" / "data.json").read_text(encoding="utf-8"))["data_note"] == "Hand-built."


def test_synthetic_flag_round_trips(tmp_path, run_dir):
    assert load_run(run_dir).synthetic is True
    real = _run_folder(tmp_path / "real", synthetic=False)
    assert load_run(real).synthetic is False
    # a run folder without data.json (interrupted before the tables): not synthetic, rendered all the same
    bare = _run_folder(tmp_path / "bare", synthetic=False, summary=False)
    loaded = load_run(bare)
    assert (loaded.synthetic, loaded.data_note) == (False, "")
    res = _invoke(bare)
    assert res.exit_code == 0, res.output
    assert FIGURES <= {p.name for p in bare.iterdir()}
    assert json.loads((bare / "data.json").read_text(encoding="utf-8"))["synthetic"] is False


def test_a_run_folder_of_an_earlier_version_is_reported(tmp_path, run_dir):
    """Earlier versions marked fold files with the whole-config hash and saved no fold hash: still this run's."""
    old = _run_folder(tmp_path / "old", synthetic=True)
    saved = json.loads((old / "sweep_config.json").read_text(encoding="utf-8"))
    del saved["fold_hash"]
    (old / "sweep_config.json").write_text(json.dumps(saved), encoding="utf-8")
    for path in (old / "folds").glob("*.json"):
        meta = json.loads(path.read_text(encoding="utf-8"))
        meta["config_hash"] = saved["hash"]
        path.write_text(json.dumps(meta), encoding="utf-8")
    assert len(load_run(old).result.folds) == len(_folds())
    assert load_run(old).result.opp_evidence == load_run(run_dir).result.opp_evidence


def test_not_a_run_folder_is_one_line(tmp_path):
    res = _invoke(tmp_path)
    assert res.exit_code != 0
    assert "not a run folder" in res.output
    assert "Traceback" not in res.output


# ------------------------------------------------------------------ damaged run folders, locks, another run's folder
def _copy(run_dir, tmp_path):
    import shutil

    return shutil.copytree(run_dir, tmp_path / "run")


def _one_error_line(res) -> str:
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    (line,) = [ln for ln in res.output.splitlines() if ln.strip()]
    assert line.startswith("Error: ")
    return line[len("Error: ") :]


@pytest.mark.parametrize(
    ("suffix", "damage", "why"),
    [
        (".json", lambda p: p.write_text("[1, 2]"), "not a JSON object but a JSON list"),
        (".json", lambda p: p.write_text('{"status": "ok"'), "Expecting ',' delimiter: line 1 column 16 (char 15)"),
        (".npz", lambda p: p.write_bytes(b"PK\x03\x04 not a zip"), "File is not a zip file"),
        (".npz", lambda p: p.write_bytes(p.read_bytes()[:-200]), "File is not a zip file"),
        (".npz", lambda p: p.unlink(), "No such file or directory"),
    ],
)
def test_damaged_fold_file_is_one_line_naming_it(run_dir, tmp_path, suffix, damage, why):
    """They were tracebacks (a JSON list: AttributeError; a bad zip: BadZipFile)."""
    run = _copy(run_dir, tmp_path)
    path = sorted((run / "folds").glob(f"*{suffix}"))[0]
    damage(path)
    assert _one_error_line(_invoke(run)) == (
        f"{path}: damaged fold file ({why}); rerun the sweep into this folder to compute that fold again."
    )


def test_fold_arrays_failing_their_crc_are_one_line(run_dir, tmp_path):
    run = _copy(run_dir, tmp_path)
    path = sorted((run / "folds").glob("*.npz"))[0]
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0xFF
    path.write_bytes(bytes(data))
    assert re.fullmatch(
        rf"{re.escape(str(path))}: damaged fold file \(Bad CRC-32 for file '.*'\); rerun the sweep into this "
        r"folder to compute that fold again\.",
        _one_error_line(_invoke(run)),
    )


def test_out_holding_another_run_is_refused_and_left_alone(run_dir, tmp_path):
    other = _run_folder(tmp_path / "other", synthetic=False)
    before = {p: p.read_bytes() for p in other.rglob("*") if p.is_file()}
    assert _one_error_line(_invoke(run_dir, "--out", other)) == (
        f"{other}: holds another run's folder (sweep_config.json, run.json); its tables would be overwritten. "
        "Choose a new or empty --out, or leave it out to write into the run folder."
    )
    assert {p: p.read_bytes() for p in other.rglob("*") if p.is_file()} == before


def test_report_takes_the_run_folders_lock(run_dir, tmp_path):
    """A sweep (or another report) writing the folder holds its lock: the report is refused, nothing written."""
    run = _copy(run_dir, tmp_path)
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file() and p.name != ".lock"}
    with RunStore(run).lock():
        message = _one_error_line(_invoke(run))
    assert re.fullmatch(
        rf"{re.escape(str(run))}: another sweep is writing to this folder \(pid {os.getpid()} on .*\); wait for it "
        r"to finish or choose another --out\.",
        message,
    )
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file() and p.name != ".lock"} == before


def test_damaged_data_json_is_named_in_a_warning(run_dir, tmp_path, caplog):
    run = _copy(run_dir, tmp_path)
    (run / "data.json").write_text('{"data_note": "Hand')
    with caplog.at_level("WARNING", logger="seizurepred.reporting.load"):
        loaded = load_run(run)
    assert (loaded.data_note, loaded.synthetic) == ("", False)
    assert re.fullmatch(
        rf"{re.escape(str(run / 'data.json'))}: damaged \(Unterminated string .*\); the report has no Data line and "
        r"the data is not marked synthetic",
        caplog.records[-1].getMessage(),
    )
