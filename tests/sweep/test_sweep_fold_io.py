"""Fold persistence: save_fold / load_fold round trip, write order (JSON last), no temporary files, fold_stem."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from seizurepred.evaluation.continuous import ContinuousOutput
from seizurepred.sweep import fold as fold_mod
from seizurepred.sweep.fold import FoldOutcome, fold_stem, load_fold, save_fold


def _outcome(*, with_continuous: bool = True, seizure_id: int = 3, preictal_min: int = 60) -> FoldOutcome:
    rng = np.random.default_rng(0)
    y_true = np.array([1, 1, 0, 0, 0, 1], dtype=np.int8)
    y_score = rng.random(6).astype(np.float32)
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
    return FoldOutcome(
        preictal_min=preictal_min,
        seizure_id=seizure_id,
        repeat=1,
        protocol="paper",
        sizes={"protocol": "paper", "test_seizure_id": seizure_id, "train": 120, "val": 12, "test": 6},
        best_epoch=4,
        n_epochs=9,
        train_s=12.5,
        device="cpu",
        metrics={"sensitivity": 0.5, "auc": math.nan, "f1": 2.0 / 3.0, "segment_far_per_h": 240.0},
        y_true=y_true,
        y_score=y_score,
        continuous=cont,
        history=(
            {"epoch": 0, "train_loss": 0.7, "val_loss": 0.69, "val_auc": math.nan, "seconds": 1.5},
            {"epoch": 1, "train_loss": 0.6, "val_loss": 0.65, "val_auc": 0.75, "seconds": 1.4},
        ),
    )


def _same_value(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def _assert_same_outcome(got: FoldOutcome, want: FoldOutcome) -> None:
    for f in dataclasses.fields(FoldOutcome):
        g, w = getattr(got, f.name), getattr(want, f.name)
        if f.name in ("y_true", "y_score"):
            assert g.dtype == w.dtype, f.name
            np.testing.assert_array_equal(g, w)
        elif f.name == "continuous":
            if w is None:
                assert g is None
                continue
            assert g.seizure_id == w.seizure_id
            assert g.record_hours == w.record_hours and g.window_s == w.window_s
            np.testing.assert_array_equal(g.times_min_before_onset, w.times_min_before_onset)
            np.testing.assert_array_equal(g.probs, w.probs)
        elif f.name == "metrics":
            assert set(g) == set(w)
            for k in w:
                assert _same_value(g[k], w[k]), k
        elif f.name == "history":
            assert isinstance(g, tuple) and len(g) == len(w)
            for rg, rw in zip(g, w):
                assert set(rg) == set(rw)
                assert all(_same_value(rg[k], rw[k]) for k in rw)
        else:
            assert g == w, f.name
            assert type(g) is type(w), f.name


@pytest.mark.parametrize("with_continuous", [True, False])
def test_save_load_round_trip(tmp_path, with_continuous):
    want = _outcome(with_continuous=with_continuous)
    path = save_fold(want, tmp_path / "folds")
    assert path == tmp_path / "folds" / "k060_sz003_r1.json"
    got = load_fold(path)
    _assert_same_outcome(got, want)
    assert math.isnan(got.metrics["auc"])
    assert math.isnan(got.history[0]["val_auc"])


def test_round_trip_empty_history_and_empty_test(tmp_path):
    want = dataclasses.replace(
        _outcome(with_continuous=False),
        history=(),
        y_true=np.zeros(0, dtype=np.int8),
        y_score=np.zeros(0, dtype=np.float32),
    )
    got = load_fold(save_fold(want, tmp_path))
    _assert_same_outcome(got, want)


def test_saved_json_is_readable_metadata(tmp_path):
    path = save_fold(_outcome(), tmp_path)
    meta = json.loads(path.read_text(encoding="utf-8"))
    assert meta["preictal_min"] == 60 and meta["seizure_id"] == 3 and meta["repeat"] == 1
    assert "y_true" not in meta and "y_score" not in meta
    assert meta["continuous"]["window_s"] == 5.0
    with np.load(path.with_suffix(".npz")) as z:
        assert set(z.files) == {"y_true", "y_score", "cont_times_min", "cont_probs"}


def test_no_temporary_files_left(tmp_path):
    save_fold(_outcome(), tmp_path)
    save_fold(_outcome(with_continuous=False, seizure_id=4), tmp_path)
    # a second save of the same fold overwrites in place
    save_fold(_outcome(), tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["k060_sz003_r1.json", "k060_sz003_r1.npz", "k060_sz004_r1.json", "k060_sz004_r1.npz"]


def test_overwrite_replaces_content(tmp_path):
    save_fold(_outcome(), tmp_path)
    newer = dataclasses.replace(_outcome(with_continuous=False), best_epoch=7)
    got = load_fold(save_fold(newer, tmp_path))
    assert got.best_epoch == 7 and got.continuous is None


def test_json_written_last_when_npz_write_fails(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(fold_mod.np, "savez", boom)
    with pytest.raises(OSError, match="disk full"):
        save_fold(_outcome(), tmp_path)
    assert not (tmp_path / "k060_sz003_r1.json").exists()
    assert not (tmp_path / "k060_sz003_r1.npz").exists()
    assert list(tmp_path.iterdir()) == []


def test_failed_json_write_leaves_no_json(tmp_path, monkeypatch):
    real_dumps = json.dumps

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(fold_mod.json, "dumps", boom)
    with pytest.raises(OSError):
        save_fold(_outcome(), tmp_path)
    monkeypatch.setattr(fold_mod.json, "dumps", real_dumps)
    assert not (tmp_path / "k060_sz003_r1.json").exists()
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


def test_partial_npz_is_cleaned_up_on_failure(tmp_path, monkeypatch):
    def partial(file, **arrays):
        with open(file, "wb") as fh:
            fh.write(b"PK\x03\x04 truncated")
        raise OSError("disk full")

    monkeypatch.setattr(fold_mod.np, "savez", partial)
    with pytest.raises(OSError):
        save_fold(_outcome(), tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "want"),
    [
        ((60, 3, 0), "k060_sz003_r0"),
        ((5, 12, 3), "k005_sz012_r3"),
        ((120, 0, 10), "k120_sz000_r10"),
        ((30.0, 1, 0), "k030_sz001_r0"),
    ],
)
def test_fold_stem_format(args, want):
    assert fold_stem(*args) == want


def test_outcome_stem_matches_fold_stem():
    out = _outcome(seizure_id=7, preictal_min=15)
    assert out.stem == fold_stem(15, 7, 1) == "k015_sz007_r1"
