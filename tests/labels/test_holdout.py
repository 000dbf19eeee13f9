"""Interictal EEG held out as reference: removed from the labels every fold trains and tests on."""

from __future__ import annotations

import pytest

from seizurepred.io.manifest import load_manifest
from seizurepred.labels.holdout import without_spans
from seizurepred.labels.segments import LabelConfig, label_segments


def test_spans_are_cut_out_of_interictal_intervals_only():
    seg = label_segments(load_manifest("chb01"), config=LabelConfig())
    iv = seg.interictal[0]
    mid = iv.start_clock_s + 600.0
    cut = without_spans(seg, [(mid, mid + 300.0)])
    assert seg.interictal_hours - cut.interictal_hours == pytest.approx(300.0 / 3600.0)
    assert cut.preictal == seg.preictal and cut.seizures == seg.seizures and cut.eligible
    left, right = cut.interictal[0], cut.interictal[1]
    assert (left.start_clock_s, left.stop_clock_s) == (iv.start_clock_s, mid)
    assert (right.start_clock_s, right.stop_s - right.start_s) == (mid + 300.0, iv.stop_clock_s - mid - 300.0)
    assert right.start_s == pytest.approx(iv.start_s + 900.0)  # file seconds follow the clock
    assert cut.notes[-1].startswith("0.08 interictal h held out")
    assert without_spans(seg, []) is seg


def test_a_patient_left_without_interictal_data_is_not_eligible():
    seg = label_segments(load_manifest("chb01"), config=LabelConfig())
    cut = without_spans(seg, [(-1e12, 1e12)])
    assert not cut.eligible and cut.interictal == () and "reference hold-out" in cut.reason
