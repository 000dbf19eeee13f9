"""Reference EEG of the OPP selector: unlabelled, never trained on, at a margin from every labelled stretch."""

from __future__ import annotations

import numpy as np
import pytest

from seizurepred.evaluation.reference import ReferenceOutput, reference_pieces, reference_windows
from seizurepred.io.manifest import Manifest, Recording, Seizure
from seizurepred.labels.segments import LabelConfig, label_segments

H = 3600.0
CH = ("A",)


def _manifest():
    """24 h in 2-h files, seizures at 8 h and 18 h (60 s each)."""
    recs = []
    for i in range(12):
        start = i * 2 * H
        szs = tuple(Seizure(t * H - start, t * H - start + 60.0) for t in (8.0, 18.0) if start <= t * H < start + 2 * H)
        recs.append(Recording(f"r_{i:02d}.edf", start, start + 2 * H, CH, szs))
    return Manifest("r", 256.0, tuple(recs))


def _clock(m, pieces):
    return [(m.recording(n).start_clock_s + a, m.recording(n).start_clock_s + b) for n, a, b in pieces]


def test_reference_lies_between_interictal_and_preictal_with_margins():
    m = _manifest()
    label = LabelConfig(preictal_min=60.0)
    spans = _clock(m, reference_pieces(m, label=label, longest_preictal_min=60.0, margin_min=15.0))
    # before each onset: from 240 - 15 to 60 + 15 minutes before it (split at file boundaries)
    merged = []
    for a, b in spans:
        if merged and abs(merged[-1][1] - a) < 1e-6:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    assert merged == [(8 * H - 225 * 60, 8 * H - 75 * 60), (18 * H - 225 * 60, 18 * H - 75 * 60)]
    seg = label_segments(m, config=label)
    for a, b in spans:  # no labelled stretch within the margin
        for iv in list(seg.interictal) + list(seg.preictal):
            assert b <= iv.start_clock_s - 15 * 60 + 1e-6 or a >= iv.stop_clock_s + 15 * 60 - 1e-6


def test_no_reference_between_seizures_too_close_for_it():
    recs = (Recording("c_01.edf", 0.0, 6 * H, CH, (Seizure(2 * H, 2 * H + 60), Seizure(3 * H, 3 * H + 60))),)
    m = Manifest("c", 256.0, recs)
    spans = _clock(m, reference_pieces(m, label=LabelConfig(), longest_preictal_min=60.0))
    # nothing after the first seizure (its postictal hour runs into the second's preictal zone)
    assert spans == [(0.0, 2 * H - 75 * 60)]


def test_windows_back_to_back_and_local_contrasts():
    m = _manifest()
    pieces = reference_pieces(m, label=LabelConfig(), longest_preictal_min=60.0)
    plan = reference_windows(m, pieces, sfreq=256.0, window_s=5.0)
    assert len(plan) == sum(int((b - a) // 5.0) for _, a, b in pieces)
    assert len(plan.stretch_hours) == 2  # one stretch before each seizure, across the file boundary inside it
    for stretch in np.unique(plan.stretch):
        np.testing.assert_allclose(np.diff(plan.clock_s[plan.stretch == stretch]), 5.0)
    ramp = np.arange(len(plan), dtype=float)  # output rising by 1 per window
    ref = ReferenceOutput(plan.clock_s, ramp, plan.stretch, 5.0)
    contrasts = ref.local_contrasts(180, step=45)  # 15-min stretch minus the 15 min before it
    np.testing.assert_allclose(contrasts, 180.0)  # a constant slope gives one contrast everywhere
    per_stretch = [np.count_nonzero(plan.stretch == s) for s in np.unique(plan.stretch)]
    assert contrasts.size == sum((n - 360) // 45 + 1 for n in per_stretch)
    assert ref.n_disjoint(360) == sum(n // 360 for n in per_stretch)
    assert ref.hours == pytest.approx(len(plan) * 5.0 / H)


# --------------------------------------------------------------------- interictal hold-out (issue 19, deliverable 3)
def test_holdout_tops_up_a_case_without_natural_reference():
    from seizurepred.evaluation.reference import (
        ReferenceOptions,
        holdout_blocks,
        holdout_cuts,
        reference_pieces,
    )
    from seizurepred.io.manifest import load_manifest
    from seizurepred.labels.segments import LabelConfig, label_segments

    m, label = load_manifest("chb11"), LabelConfig()
    assert reference_pieces(m, label=label, longest_preictal_min=60) == []  # chb11: no natural reference
    opts = ReferenceOptions(target_h=6.0, block_min=60.0, margin_min=10.0)
    blocks = holdout_blocks(m, label=label, longest_preictal_min=60, options=opts)
    assert len(blocks) == 6 and all(b - a == 3600.0 for a, b in blocks)
    interictal = [(iv.start_clock_s, iv.stop_clock_s) for iv in label_segments(m, config=label).interictal]
    for a, b in holdout_cuts(blocks, opts):  # each block and its margins lie in interictal EEG of consecutive files
        assert any(lo - 60 <= a < hi for lo, hi in interictal) and any(lo < b <= hi + 60 for lo, hi in interictal)
    pieces = reference_pieces(m, label=label, longest_preictal_min=60, holdout=blocks)
    assert sum(b - a for _, a, b in pieces) == pytest.approx(6 * 3600.0, abs=120.0)  # less the seconds between files
    assert holdout_blocks(m, label=label, longest_preictal_min=60, options=ReferenceOptions(holdout="off")) == ()
    # at most max_fraction of the interictal hours
    capped = holdout_blocks(m, label=label, longest_preictal_min=60,
                            options=ReferenceOptions(target_h=100.0, max_fraction=0.1))  # fmt: skip
    assert len(capped) == int(0.1 * label_segments(m, config=label).interictal_hours)


def test_holdout_is_not_used_where_the_natural_reference_suffices():
    from seizurepred.evaluation.reference import ReferenceOptions, holdout_blocks
    from seizurepred.io.manifest import load_manifest
    from seizurepred.labels.segments import LabelConfig

    m = load_manifest("chb06")  # 12.6 h of natural reference
    assert holdout_blocks(m, label=LabelConfig(), longest_preictal_min=60, options=ReferenceOptions(target_h=6.0)) == ()


def test_reference_options_validated():
    from seizurepred.evaluation.reference import ReferenceOptions

    with pytest.raises(Exception, match="holdout"):
        ReferenceOptions(holdout="sometimes")
    with pytest.raises(Exception, match="max_fraction"):
        ReferenceOptions(max_fraction=0.95)
