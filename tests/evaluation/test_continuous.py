"""The pre-onset record: onset-aligned windows over every recorded stretch, stretches split at gaps, the CIOPR tail."""

from __future__ import annotations

import numpy as np
import pytest

from seizurepred.errors import ManifestError
from seizurepred.evaluation.continuous import (
    ContinuousOutput,
    continuous_from_plan,
    pre_onset_pieces,
    record_windows,
    uninterrupted_pre_onset,
)
from seizurepred.io.manifest import Manifest, Recording, Seizure

SFREQ = 4.0
CH = ("A", "B")


def _manifest(extra_seizure_in_a=False, gap_s=30.0):
    sz_a = (Seizure(1000.0, 1050.0),) if extra_seizure_in_a else ()
    a = Recording("p_01.edf", 0.0, 7200.0, CH, sz_a)
    b = Recording("p_02.edf", 7200.0 + gap_s, 14400.0, CH, (Seizure(3000.0, 3060.0),))
    return Manifest("p", SFREQ, (a, b))


def test_uninterrupted_chain_and_its_limits():
    m = _manifest()
    sid = m.seizures[0].seizure_id
    assert uninterrupted_pre_onset(m, sid) == [("p_01.edf", 0.0, 7200.0), ("p_02.edf", 0.0, 3000.0)]
    assert uninterrupted_pre_onset(m, sid, max_gap_s=10.0) == [("p_02.edf", 0.0, 3000.0)]
    m2 = _manifest(extra_seizure_in_a=True)
    second = m2.seizures[1].seizure_id
    assert uninterrupted_pre_onset(m2, second) == [("p_01.edf", 1050.0, 7200.0), ("p_02.edf", 0.0, 3000.0)]
    assert uninterrupted_pre_onset(m2, second, stop_at_previous_seizure=False)[0] == ("p_01.edf", 0.0, 7200.0)
    with pytest.raises(ManifestError, match="no seizure"):
        uninterrupted_pre_onset(m, 99)


def test_pre_onset_pieces_keep_every_stretch_within_max_hours():
    m = _manifest(gap_s=1800.0)  # a 30-min gap: two stretches
    onset = m.seizures[0].onset_clock_s
    assert pre_onset_pieces(m, 0) == [("p_01.edf", 0.0, 7200.0), ("p_02.edf", 0.0, 3000.0)]
    assert pre_onset_pieces(m, 0, max_hours=1.0) == [("p_02.edf", 0.0, 3000.0)]  # the last hour only
    assert pre_onset_pieces(m, 0, max_hours=1.5) == [("p_01.edf", 6600.0, 7200.0), ("p_02.edf", 0.0, 3000.0)]
    assert onset == 12000.0


def _slow_grid(m, onset, window_s, floor):
    """Slow reference: every onset-aligned grid window fully inside one file's used part."""
    out, n = [], 1
    while onset - n * window_s >= floor - 1e-9:
        w = onset - n * window_s
        for rec in m.recordings:
            if rec.start_clock_s - 1e-9 <= w and w + window_s <= min(rec.end_clock_s, onset) + 1e-9:
                out.append(w)
        n += 1
    return np.array(sorted(out))


@pytest.mark.parametrize("gap_s", [30.0, 1800.0])
def test_record_windows_on_the_onset_grid_with_stretches(gap_s):
    m = _manifest(gap_s=gap_s)
    onset = m.seizures[0].onset_clock_s
    plan = record_windows(m, 0, sfreq=SFREQ, window_s=5.0)
    np.testing.assert_allclose(plan.clock_s, _slow_grid(m, onset, 5.0, 0.0), atol=1e-6)
    assert np.all(np.diff(plan.clock_s) > 0)
    n_stretches = 1 if gap_s <= 60.0 else 2
    assert len(plan.stretch_hours) == n_stretches and set(plan.stretch.tolist()) == set(range(n_stretches))
    assert sum(plan.stretch_hours) == pytest.approx(10200.0 / 3600.0)
    # starts are the window's first sample in its file
    for name, rows in plan.by_file():
        start = m.recording(name).start_clock_s
        np.testing.assert_array_equal(plan.starts[rows], np.round((plan.clock_s[rows] - start) * SFREQ))
    cont = continuous_from_plan(plan, plan.clock_s, onset_clock_s=onset, seizure_id=0, window_s=5.0)
    assert cont.times_min_before_onset[-1] == pytest.approx(5.0 / 60.0)  # the last window ends at onset
    assert len(cont.stretches()) == n_stretches


def test_record_windows_respect_cached_lengths_and_missing_files():
    m = _manifest()
    full = record_windows(m, 0, sfreq=SFREQ, window_s=5.0)
    only_b = record_windows(m, 0, sfreq=SFREQ, window_s=5.0, n_samples={"p_02.edf": 14400 * 4})
    assert only_b.file_names == ("p_02.edf",) and len(only_b) < len(full)
    short = record_windows(m, 0, sfreq=SFREQ, window_s=5.0, n_samples={"p_01.edf": 4000 * 4, "p_02.edf": 14400 * 4})
    assert (short.starts[short.file_index == 0] + short.n_times <= 4000 * 4).all()
    assert len(short.stretch_hours) == 2  # the missing end of p_01 is a gap


def test_tail_is_the_uninterrupted_stretch_ending_at_onset():
    t = np.arange(360, 0, -1) * 5.0 / 60.0  # 30 min
    stretch = (t < 20.0).astype(int)  # a gap at 20 min
    cont = ContinuousOutput(0, t, np.ones(t.size), 0.5, 5.0, stretch, (10.0 / 60, 20.0 / 60))
    assert cont.tail(min_hours=0.1).probs.size == np.count_nonzero(t < 20.0)
    assert cont.tail(min_hours=0.5) is None  # 20 min is not enough
    no_end = ContinuousOutput(0, t + 30.0, np.ones(t.size), 0.5, 5.0)
    assert no_end.tail(min_hours=0.1) is None  # does not reach the onset
