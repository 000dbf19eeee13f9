"""Tests of seizurepred.windows.index against a slow reference loop and hand-built timelines."""

from __future__ import annotations

import math

import numpy as np
import pytest

from seizurepred.errors import ConfigError
from seizurepred.io.manifest import Manifest, Recording, Seizure
from seizurepred.labels.segments import Interval, LabelConfig, Segments, label_segments
from seizurepred.windows.index import WindowConfig, WindowIndex, build_window_index

SFREQ = 8.0  # low rate keeps the arrays small; windows are 40 samples
H = 3600.0


def _manifest(
    n_files: int = 18, hours: float = 2.0, seizure_hours=(10.5, 20.5, 30.5), gap_s: float = 0.0
) -> Manifest:
    recs = []
    for i in range(n_files):
        start = i * (hours * H + gap_s)
        end = start + hours * H
        szs = tuple(
            Seizure(t * H - start, t * H - start + 60.0) for t in seizure_hours if start <= t * H < end
        )
        recs.append(Recording(f"syn_{i:02d}.edf", start, end, ("A", "B"), szs))
    return Manifest("syn", 256.0, tuple(recs))


def _segments(preictal, interictal, *, manifest=None) -> Segments:
    return Segments("syn", LabelConfig(), tuple(preictal), tuple(interictal), (), True, "")


def _iv(rec, start_s, stop_s, label, sid, manifest):
    return Interval(rec, start_s, stop_s, label, sid, manifest.recordings[rec].start_clock_s + start_s)


def _reference(intervals, manifest, *, sfreq, n_times, stride):
    """Slow loop: every window start of every interval."""
    rows = []
    for iv in intervals:
        n_samples = int(math.floor(manifest.recordings[iv.recording_index].duration_s * sfreq + 1e-6))
        s = math.ceil(iv.start_s * sfreq - 1e-6)
        stop = min(math.floor(iv.stop_s * sfreq + 1e-6), n_samples)
        while s + n_times <= stop:
            rows.append((iv.recording_index, s))
            s += stride
    return rows


def test_windows_match_reference_loop_and_stay_inside_intervals():
    m = _manifest(n_files=3)
    pre = [
        _iv(0, 100.3, 1900.0, "preictal", 0, m),
        _iv(1, 0.0, 2 * H + 500.0, "preictal", 1, m),
    ]  # runs past the end
    inter = [_iv(2, 10.0, 3000.0, "interictal", -1, m)]
    cfg = WindowConfig(balance=False)
    idx = build_window_index(_segments(pre, inter), m, config=cfg, sfreq=SFREQ, seed=0)
    n_times = 40
    ref_pre = _reference(pre, m, sfreq=SFREQ, n_times=n_times, stride=round(n_times / 3))
    ref_int = _reference(inter, m, sfreq=SFREQ, n_times=n_times, stride=n_times)
    got_pre = sorted(zip(idx.recording[idx.label == 1].tolist(), idx.start[idx.label == 1].tolist()))
    got_int = sorted(zip(idx.recording[idx.label == 0].tolist(), idx.start[idx.label == 0].tolist()))
    assert got_pre == sorted(ref_pre)
    assert got_int == sorted(ref_int)
    assert idx.n_times == n_times and idx.sfreq == SFREQ
    # never beyond the recording's last sample
    n_samples = int(2 * H * SFREQ)
    assert (idx.start + n_times <= n_samples).all()
    # clock of each window = recording start + start / sfreq
    starts_clock = np.array([m.recordings[r].start_clock_s for r in idx.recording])
    np.testing.assert_allclose(idx.clock_s, starts_clock + idx.start / SFREQ)


def test_preictal_overlap_oversamples_about_three_times():
    m = _manifest(n_files=1)
    pre = [_iv(0, 0.0, H, "preictal", 0, m)]
    dense = build_window_index(_segments(pre, []), m, config=WindowConfig(balance=False), sfreq=256.0, seed=0)
    sparse = build_window_index(
        _segments(pre, []), m, config=WindowConfig(preictal_overlap=0.0, balance=False), sfreq=256.0, seed=0
    )
    assert len(sparse) == 720
    assert 2.9 < len(dense) / len(sparse) <= 3.0
    assert np.diff(dense.start).tolist() == [427] * (len(dense) - 1)  # round(1280 / 3)


def test_balance_subsamples_interictal_seeded_and_sorted():
    m = _manifest(n_files=4)
    pre = [_iv(0, 0.0, 600.0, "preictal", 0, m)]
    inter = [_iv(i, 0.0, 2 * H, "interictal", -1, m) for i in (1, 2, 3)]
    a = build_window_index(_segments(pre, inter), m, config=WindowConfig(), sfreq=SFREQ, seed=1)
    b = build_window_index(_segments(pre, inter), m, config=WindowConfig(), sfreq=SFREQ, seed=1)
    c = build_window_index(_segments(pre, inter), m, config=WindowConfig(), sfreq=SFREQ, seed=2)
    assert a.n_preictal == a.n_interictal > 0
    np.testing.assert_array_equal(a.start, b.start)
    assert not np.array_equal(a.start[a.label == 0], c.start[c.label == 0])
    assert (np.diff(a.clock_s) >= 0).all()  # chronological
    # the kept interictal windows are a subset of the unbalanced ones
    full = build_window_index(
        _segments(pre, inter), m, config=WindowConfig(balance=False), sfreq=SFREQ, seed=1
    )
    full_rows = set(zip(full.recording.tolist(), full.start.tolist()))
    assert set(zip(a.recording.tolist(), a.start.tolist())) <= full_rows


def test_unavailable_recordings_are_dropped_and_logged(caplog):
    m = _manifest(n_files=3)
    inter = [_iv(i, 0.0, 2 * H, "interictal", -1, m) for i in range(3)]
    pre = [_iv(2, 0.0, 600.0, "preictal", 0, m)]
    cfg = WindowConfig(balance=False)
    idx = build_window_index(
        _segments(pre, inter), m, config=cfg, sfreq=SFREQ, seed=0, available={"syn_00.edf", "syn_02.edf"}
    )
    assert set(idx.recording.tolist()) == {0, 2}
    assert "syn_01.edf" in caplog.text


def test_true_lengths_limit_windows():
    m = _manifest(n_files=1)
    inter = [_iv(0, 0.0, 2 * H, "interictal", -1, m)]
    idx = build_window_index(
        _segments([], inter),
        m,
        config=WindowConfig(balance=False),
        sfreq=SFREQ,
        seed=0,
        n_samples={"syn_00.edf": 1000},
    )
    assert (idx.start + idx.n_times <= 1000).all() and len(idx) == 25


def test_end_to_end_with_label_segments_never_both_labels():
    m = _manifest()
    seg = label_segments(m, config=LabelConfig(preictal_min=60.0))
    idx = build_window_index(seg, m, config=WindowConfig(), sfreq=SFREQ, seed=0)
    assert idx.seizure_ids == seg.usable_seizure_ids == (0, 1, 2)
    assert (idx.seizure_id[idx.label == 0] == -1).all() and (idx.seizure_id[idx.label == 1] >= 0).all()
    # no preictal window overlaps an interictal one in time
    pre = np.sort(idx.clock_s[idx.label == 1])
    inter = idx.clock_s[idx.label == 0]
    pos = np.searchsorted(pre, inter)
    for p, t in zip(pos, inter):
        for q in (p - 1, p):
            if 0 <= q < len(pre):
                assert abs(pre[q] - t) >= idx.window_s
    # each preictal window lies within the hour before its seizure's onset
    onsets = {e.seizure_id: e.onset_clock_s for e in m.seizures}
    for sid, t in zip(idx.seizure_id[idx.label == 1], idx.clock_s[idx.label == 1]):
        assert onsets[sid] - H - 1e-6 <= t and t + idx.window_s <= onsets[sid] + 1e-6


def test_select_and_immutability():
    m = _manifest(n_files=2)
    idx = build_window_index(
        _segments([_iv(0, 0, 600, "preictal", 0, m)], [_iv(1, 0, 2 * H, "interictal", -1, m)]),
        m,
        config=WindowConfig(),
        sfreq=SFREQ,
        seed=0,
    )
    sub = idx.select(idx.label == 1)
    assert len(sub) == idx.n_preictal and isinstance(sub, WindowIndex)
    assert len(idx.select([0, 2, 4])) == 3
    with pytest.raises(ValueError):
        idx.start[0] = 5
    with pytest.raises(ConfigError, match="mask_or_indices"):
        idx.select(np.ones(3, bool))
    with pytest.raises(ConfigError, match="mask_or_indices"):
        idx.select([len(idx)])


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"window_s": 0.0}, "window_s"),
        ({"window_s": -5.0}, "window_s"),
        ({"preictal_overlap": 1.0}, "preictal_overlap"),
        ({"interictal_overlap": -0.1}, "interictal_overlap"),
        ({"balance": "yes"}, "balance"),
    ],
)
def test_window_config_validation(kwargs, name):
    with pytest.raises(ConfigError, match=f"'{name}'"):
        WindowConfig(**kwargs)


def test_bad_sfreq_names_parameter():
    m = _manifest(n_files=1)
    with pytest.raises(ConfigError, match="'sfreq'"):
        build_window_index(_segments([], []), m, config=WindowConfig(), sfreq=0.0, seed=0)
