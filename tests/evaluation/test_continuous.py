"""Continuous output over the uninterrupted pre-onset record, with a fake cache and a fake model."""

from __future__ import annotations

import numpy as np
import pytest

from seizurepred.errors import ConfigError, ManifestError
from seizurepred.evaluation.continuous import continuous_output, uninterrupted_pre_onset
from seizurepred.io.manifest import Manifest, Recording, Seizure

SFREQ = 4.0
CH = ("A", "B")


def _manifest(extra_seizure_in_a=False, gap_s=30.0):
    sz_a = (Seizure(1000.0, 1050.0),) if extra_seizure_in_a else ()
    a = Recording("p_01.edf", 0.0, 7200.0, CH, sz_a)
    b = Recording("p_02.edf", 7200.0 + gap_s, 14400.0, CH, (Seizure(3000.0, 3060.0),))
    return Manifest("p", SFREQ, (a, b))


class FakeCache:
    """signal(file): channel 0 = sample index in the file, channel 1 = file number."""

    def __init__(self, manifest):
        self.arrays = {}
        for i, rec in enumerate(manifest.recordings):
            n = int(round(rec.duration_s * SFREQ))
            self.arrays[rec.file_name] = np.stack([np.arange(n, dtype=np.float32), np.full(n, i, np.float32)])

    def signal(self, name):
        return self.arrays[name]


def _clock_of_window(X, manifest):
    """Fake model output: the clock time (s) of each window's first sample."""
    starts = np.array([manifest.recordings[int(f)].start_clock_s for f in X[:, 1, 0]])
    return starts + X[:, 0, 0].astype(np.float64) / SFREQ


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


def _reference_window_clocks(m, onset, first_clock, window_s):
    """Slow reference: every onset-aligned grid window fully inside one file's used part."""
    out = []
    n = 1
    while onset - n * window_s >= first_clock - 1e-9:
        w = onset - n * window_s
        for rec in m.recordings:
            if rec.start_clock_s - 1e-9 <= w and w + window_s <= min(rec.end_clock_s, onset) + 1e-9:
                out.append(w)
        n += 1
    return np.array(sorted(out))


@pytest.mark.parametrize("batch_size", [1, 7, 256])
def test_windows_cover_the_record_aligned_to_onset(batch_size):
    m = _manifest()
    cache = FakeCache(m)
    onset = m.seizures[0].onset_clock_s
    out = continuous_output(
        lambda X: _clock_of_window(X, m), cache, m, 0, sfreq=SFREQ, window_s=5.0, batch_size=batch_size
    )
    assert out is not None and out.seizure_id == 0
    clocks = out.probs
    np.testing.assert_allclose(onset - out.times_min_before_onset * 60.0, clocks, atol=1e-6)
    np.testing.assert_allclose(clocks, _reference_window_clocks(m, onset, 0.0, 5.0), atol=1e-6)
    assert np.all(np.diff(out.times_min_before_onset) < 0)  # earliest first
    assert out.times_min_before_onset[-1] == pytest.approx(5.0 / 60.0)  # last window ends at onset
    assert out.record_hours == pytest.approx(10200.0 / 3600.0)


def test_max_hours_trims_and_min_hours_excludes():
    m = _manifest()
    cache = FakeCache(m)
    out = continuous_output(
        lambda X: _clock_of_window(X, m), cache, m, 0, sfreq=SFREQ, min_hours=1.0, max_hours=2.0
    )
    assert out.times_min_before_onset.max() <= 120.0 + 1e-9
    assert out.record_hours == pytest.approx((7200.0 - 30.0) / 3600.0)  # last 2 h of clock, minus the gap
    assert (
        continuous_output(lambda X: _clock_of_window(X, m), cache, m, 0, sfreq=SFREQ, max_gap_s=10.0) is None
    )


def test_predict_fn_with_wrong_shape_is_an_error():
    m = _manifest()
    with pytest.raises(ConfigError, match="predict_fn"):
        continuous_output(lambda X: np.zeros(3), FakeCache(m), m, 0, sfreq=SFREQ)
