"""The run store: fold files round trip, damaged run state recomputed (never fatal), one writer per folder."""

from __future__ import annotations

import dataclasses
import fcntl
import json
import logging
import math

import numpy as np
import pytest
from _factories import make_fold

from seizurepred.errors import ConfigError, StorageError
from seizurepred.evaluation.continuous import ContinuousOutput
from seizurepred.evaluation.opp import SelectorOptions
from seizurepred.reporting.run_store import RunStore
from seizurepred.sweep.config import SweepConfig
from seizurepred.sweep.fold_result import FoldResult, failed_result

HASH = "abc123"


def _result(*, with_continuous: bool = True, seizure_id: int = 3, preictal_min: int = 60) -> FoldResult:
    rng = np.random.default_rng(0)
    cont = None
    if with_continuous:
        n = 40
        cont = ContinuousOutput(
            seizure_id=seizure_id,
            times_min_before_onset=np.arange(n, 0, -1) * 5.0 / 60.0,
            probs=rng.random(n),
            record_hours=n * 5.0 / 3600.0,
            window_s=5.0,
        )
    return FoldResult(
        fold=make_fold(preictal_min, seizure_id, 1),
        sizes={"protocol": "paper", "test_seizure_id": seizure_id, "train": 120, "val": 12, "test": 6},
        best_epoch=4,
        n_epochs=9,
        train_s=12.5,
        device="cpu",
        metrics={"sensitivity": 0.5, "auc": math.nan, "f1": 2.0 / 3.0},
        y_true=np.array([1, 1, 0, 0, 0, 1], dtype=np.int8),
        y_score=rng.random(6).astype(np.float32),
        continuous=cont,
        history=({"epoch": 1, "train_loss": 0.7, "val_loss": 0.69, "val_auc": math.nan},),
    )


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b)
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if dataclasses.is_dataclass(a) and isinstance(a, ContinuousOutput):
        return all(_same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    return a == b


@pytest.mark.parametrize("with_continuous", [True, False])
def test_fold_round_trip(tmp_path, with_continuous):
    store, want = RunStore(tmp_path), _result(with_continuous=with_continuous)
    path = store.save_fold(want, config_hash=HASH)
    assert path == tmp_path / "folds" / "k060_sz003_r1.json"
    got = store.load_fold(want.fold, config_hash=HASH)
    for f in dataclasses.fields(FoldResult):
        assert _same(getattr(got, f.name), getattr(want, f.name)), f.name
    assert sorted(p.name for p in (tmp_path / "folds").iterdir()) == [
        "k060_sz003_r1.json",
        "k060_sz003_r1.npz",
    ]


def _damage_json(store, fold):
    path = store.fold_paths(fold)[0]
    path.write_text(path.read_text()[:50])


def _remove_npz(store, fold):
    store.fold_paths(fold)[1].unlink()


def _truncate_npz(store, fold):
    p = store.fold_paths(fold)[1]
    p.write_bytes(p.read_bytes()[:100])


@pytest.mark.parametrize("damage", [_damage_json, _remove_npz, _truncate_npz])
def test_damaged_fold_is_named_and_recomputed(tmp_path, caplog, damage):
    store, res = RunStore(tmp_path), _result()
    store.save_fold(res, config_hash=HASH)
    damage(store, res.fold)
    with caplog.at_level(logging.WARNING):
        assert store.load_fold(res.fold, config_hash=HASH) is None
    assert (
        "k060_sz003_r1.json: damaged run state" in caplog.text and "computing this fold again" in caplog.text
    )
    assert not store.fold_paths(res.fold)[0].exists()  # removed: the next save writes it afresh


def test_other_config_or_failed_fold_is_run_again(tmp_path):
    store, res = RunStore(tmp_path), _result()
    store.save_fold(res, config_hash=HASH)
    assert store.load_fold(res.fold, config_hash="other") is None
    store.save_fold(failed_result(res.fold, "RuntimeError: boom"), config_hash=HASH)
    assert store.load_fold(res.fold, config_hash=HASH) is None
    meta = json.loads(store.fold_paths(res.fold)[0].read_text())
    assert meta["status"] == "failed" and meta["error"] == "RuntimeError: boom"


def test_fold_file_of_another_fold_is_refused(tmp_path, caplog):
    store, res = RunStore(tmp_path), _result()
    store.save_fold(res, config_hash=HASH)
    other = make_fold(60, 3, 1, case="chb55")
    with caplog.at_level(logging.WARNING):
        assert store.load_fold(other, config_hash=HASH) is None
    assert "not this one" in caplog.text


def test_config_check(tmp_path, caplog):
    store, config = RunStore(tmp_path), SweepConfig(preictal_mins=(30,))
    store.check_config(config, case="chb01", resume=True)
    saved = json.loads((tmp_path / "sweep_config.json").read_text())
    assert saved["hash"] == config.hash() and saved["case"] == "chb01"
    store.check_config(config, case="chb01", resume=True)  # same: fine
    with pytest.raises(ConfigError, match="holds a sweep of chb01 with another config"):
        store.check_config(SweepConfig(preictal_mins=(15,)), case="chb01", resume=True)
    with pytest.raises(ConfigError, match="holds a sweep of chb01, not chb02; choose another output folder"):
        store.check_config(config, case="chb02", resume=True)  # same config, another case
    store.check_config(
        SweepConfig(preictal_mins=(15,)), case="chb01", resume=False
    )  # --no-resume starts over
    (tmp_path / "sweep_config.json").write_text('{"case": "chb0')
    with caplog.at_level(logging.WARNING):
        store.check_config(config, case="chb01", resume=True)
    assert "sweep_config.json: unreadable" in caplog.text
    assert json.loads((tmp_path / "sweep_config.json").read_text())["hash"] == config.hash()


def test_resuming_with_other_selector_options_keeps_the_folds_and_saves_the_new_config(tmp_path):
    store, config = RunStore(tmp_path), SweepConfig(preictal_mins=(30,))
    store.check_config(config, case="chb01", resume=True)
    stricter = dataclasses.replace(config, selector=SelectorOptions(alpha=0.01, correction="holm"))
    assert stricter.fold_hash() == config.fold_hash() and stricter.hash() != config.hash()
    store.check_config(stricter, case="chb01", resume=True)  # the selector changes no fold
    saved = json.loads((tmp_path / "sweep_config.json").read_text())
    assert saved["hash"] == stricter.hash() and saved["config"]["selector"]["alpha"] == 0.01
    # a file of an earlier version (no fold hash) is compared by its whole-config hash
    del saved["fold_hash"]
    saved["hash"] = "0123456789abcdef"
    (tmp_path / "sweep_config.json").write_text(json.dumps(saved))
    with pytest.raises(ConfigError, match="with another config \\(hash 0123456789abcdef"):
        store.check_config(stricter, case="chb01", resume=True)


def test_second_writer_is_refused_naming_the_first(tmp_path):
    store = RunStore(tmp_path / "run")
    with store.lock():
        with pytest.raises(StorageError, match=r"run: another sweep is writing to this folder \(pid \d+ on "):
            with RunStore(tmp_path / "run").lock():
                pass
        with open(tmp_path / "run" / ".lock") as fh:  # a real flock, which other processes see
            with pytest.raises(BlockingIOError):
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    with RunStore(tmp_path / "run").lock():  # released
        pass


def test_out_dir_below_a_file_is_one_line_error(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(StorageError, match="cannot create folder"):
        with RunStore(tmp_path / "f" / "run").lock():
            pass
