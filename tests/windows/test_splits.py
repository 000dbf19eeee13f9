"""Tests of seizurepred.windows.splits: disjointness, the paper's test sets, and no time overlap in the chronological one."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seizurepred.errors import ConfigError
from seizurepred.io.manifest import Manifest, Recording, Seizure
from seizurepred.labels.segments import LabelConfig, label_segments
from seizurepred.windows.index import WindowConfig, build_window_index
from seizurepred.windows.splits import (
    Split,
    chronological_report,
    chronological_splits,
    leave_one_seizure_out,
    make_splits,
)

H = 3600.0
SFREQ = 4.0


def _index(seizure_hours=(10.5, 20.5, 30.5, 40.5), n_files=24, hours=2.0, seed=0):
    recs = []
    for i in range(n_files):
        start, end = i * hours * H, (i + 1) * hours * H
        szs = tuple(
            Seizure(t * H - start, t * H - start + 60.0) for t in seizure_hours if start <= t * H < end
        )
        recs.append(Recording(f"syn_{i:02d}.edf", start, end, ("A",), szs))
    m = Manifest("syn", 256.0, tuple(recs))
    seg = label_segments(m, config=LabelConfig(preictal_min=30.0))
    return build_window_index(seg, m, config=WindowConfig(), sfreq=SFREQ, seed=seed)


INDEX = _index()


def _check_partition(split: Split, n: int) -> None:
    parts = [split.train, split.val, split.test]
    for p in parts:
        assert p.dtype == np.int64 and (np.diff(p) > 0).all() and (p >= 0).all() and (p < n).all()
    allrows = np.concatenate(parts)
    assert len(np.unique(allrows)) == len(allrows), "a row is in two parts"


def _intervals(index, rows):
    t0 = index.clock_s[rows]
    return t0, t0 + index.window_s


def _overlaps(index, a, b) -> bool:
    """Whether any window of rows a overlaps in time any window of rows b (slow reference)."""
    a0, a1 = _intervals(index, a)
    b0, b1 = _intervals(index, b)
    return bool(((a0[:, None] < b1[None, :]) & (b0[None, :] < a1[:, None])).any())


def test_paper_protocol_test_preictal_is_the_held_out_seizure():
    splits = leave_one_seizure_out(INDEX, seed=3)
    assert [s.test_seizure_id for s in splits] == [0, 1, 2, 3]
    for s in splits:
        _check_partition(s, len(INDEX))
        pre = s.test[INDEX.label[s.test] == 1]
        expected = np.flatnonzero((INDEX.label == 1) & (INDEX.seizure_id == s.test_seizure_id))
        np.testing.assert_array_equal(pre, expected)
        sizes = s.sizes()
        assert sizes["protocol"] == "paper"
        assert sizes["test_interictal"] == sizes["test_preictal"] == len(expected)
        assert sizes["train"] + sizes["val"] + sizes["test"] == len(INDEX)  # everything else is used
        assert sizes["val"] == round(0.1 * (len(INDEX) - sizes["test"]))
        assert sizes["train_preictal"] > 0 and sizes["val_interictal"] > 0


def test_paper_protocol_is_seeded():
    a = leave_one_seizure_out(INDEX, seed=1)
    b = leave_one_seizure_out(INDEX, seed=1)
    c = leave_one_seizure_out(INDEX, seed=2)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.val, y.val)
        np.testing.assert_array_equal(x.test, y.test)
    assert not np.array_equal(a[0].val, c[0].val)


def test_paper_protocol_leaks_in_time():
    """Documents the leak the chronological protocol removes: test interictal windows touch training ones."""
    s = leave_one_seizure_out(INDEX, seed=0)[1]
    gaps = []
    train_t = np.sort(INDEX.clock_s[s.train])
    for t in INDEX.clock_s[s.test[INDEX.label[s.test] == 0]]:
        k = np.searchsorted(train_t, t)
        gaps.append(min(abs(train_t[max(k - 1, 0)] - t), abs(train_t[min(k, len(train_t) - 1)] - t)))
    assert min(gaps) <= 3 * INDEX.window_s


def test_chronological_no_time_overlap_and_skips_first_seizure():
    splits, skipped = chronological_report(INDEX, seed=0, guard_min=60.0)
    assert 0 in skipped and "not enough data" in skipped[0]
    assert [s.test_seizure_id for s in splits] == [1, 2, 3]
    for s in splits:
        _check_partition(s, len(INDEX))
        assert s.protocol == "chronological"
        assert not _overlaps(INDEX, s.test, s.train)
        assert not _overlaps(INDEX, s.test, s.val)
        assert not _overlaps(INDEX, s.train, s.val)
        pre_start = INDEX.clock_s[(INDEX.label == 1) & (INDEX.seizure_id == s.test_seizure_id)].min()
        train_val = np.concatenate([s.train, s.val])
        assert (INDEX.clock_s[train_val] + INDEX.window_s <= pre_start - 3600.0 + 1e-9).all()
        # validation holds both classes: the latest windows of each class before the test seizure
        assert set(INDEX.label[s.val].tolist()) == {0, 1}
        for label in (0, 1):
            v, tr = s.val[INDEX.label[s.val] == label], s.train[INDEX.label[s.train] == label]
            assert INDEX.clock_s[v].min() >= INDEX.clock_s[tr].max() - 1e-9
        # test interictal: after the training data plus the guard band, never adjacent
        test_int = s.test[INDEX.label[s.test] == 0]
        assert (
            INDEX.clock_s[test_int].min() >= (INDEX.clock_s[train_val] + INDEX.window_s).max() + 3600.0 - 1e-9
        )
        np.testing.assert_array_equal(
            s.test[INDEX.label[s.test] == 1],
            np.flatnonzero((INDEX.label == 1) & (INDEX.seizure_id == s.test_seizure_id)),
        )
        sizes = s.sizes()
        assert sizes["train_preictal"] > 0 and sizes["train_interictal"] > 0 and sizes["test_interictal"] > 0


def test_chronological_validation_is_not_one_class():
    """Review finding: the latest 10 % of the training pool was interictal only (0 preictal / 633 interictal)."""
    pool_latest = []
    for s in chronological_splits(INDEX, seed=0, guard_min=60.0):
        train_val = np.sort(np.concatenate([s.train, s.val]))
        latest = train_val[np.argsort(INDEX.clock_s[train_val])][-len(s.val) :]
        pool_latest.append(set(INDEX.label[latest].tolist()))
        assert set(INDEX.label[s.val].tolist()) == {0, 1}
    assert {0} in pool_latest  # the old rule would have validated on interictal windows alone here


def test_chronological_guard_band_skips_when_too_large():
    splits, skipped = chronological_report(INDEX, seed=0, guard_min=24 * 60.0)
    # 24 h before seizures 1 and 2's preictal periods (at 20 h and 30 h) no preictal data exists; seizure 3 has 0's
    assert [s.test_seizure_id for s in splits] == [3]
    assert set(skipped) == {0, 1, 2}
    none, skipped = chronological_report(INDEX, seed=0, guard_min=30 * 24 * 60.0)
    assert none == [] and set(skipped) == {0, 1, 2, 3}


def test_chronological_last_seizure_without_later_interictal_is_skipped():
    idx = _index(seizure_hours=(10.5, 20.5, 47.5), n_files=24)  # nothing interictal after the last seizure
    splits, skipped = chronological_report(idx, seed=0)
    assert 2 in skipped and "after the training data" in skipped[2]
    assert [s.test_seizure_id for s in splits] == [1]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31), guard_min=st.floats(0.0, 600.0), val_fraction=st.floats(0.0, 0.5))
def test_chronological_property(seed, guard_min, val_fraction):
    for s in chronological_splits(INDEX, seed=seed, guard_min=guard_min, val_fraction=val_fraction):
        _check_partition(s, len(INDEX))
        assert not _overlaps(INDEX, s.test, np.concatenate([s.train, s.val]))


def test_make_splits_dispatch_and_errors():
    assert len(make_splits(INDEX, protocol="paper", seed=0)) == 4
    assert len(make_splits(INDEX, protocol="chronological", seed=0, guard_min=30.0)) == 3
    with pytest.raises(ConfigError, match="'protocol'"):
        make_splits(INDEX, protocol="random", seed=0)
    with pytest.raises(ConfigError, match="guard_min"):
        make_splits(INDEX, protocol="paper", seed=0, guard_min=5.0)
    with pytest.raises(ConfigError, match="'val_fraction'"):
        leave_one_seizure_out(INDEX, seed=0, val_fraction=1.0)
    with pytest.raises(ConfigError, match="'guard_min'"):
        chronological_splits(INDEX, seed=0, guard_min=-1.0)
    with pytest.raises(ConfigError, match="'seed'"):
        leave_one_seizure_out(INDEX, seed=-1)
