"""The selector's null under a reference shared by every fold, and the postictal stretches it may not test."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest

from seizurepred.evaluation.opp_null import combined_p, postictal_spans


def test_shared_reference_floor_is_one_over_the_number_of_rankings():
    p, floor = combined_p(np.full(2, 1.0 / 6), np.full(2, 5), 40000, seed=3)
    assert floor == pytest.approx(1.0 / comb(7, 2), rel=0.15) and p == floor


def test_uniform_p_values_are_not_significant_and_the_seed_repeats():
    p1 = combined_p(np.array([0.5, 0.6, 0.4]), np.array([10, 10, 10]), 5000, seed=1)
    assert p1 == combined_p(np.array([0.5, 0.6, 0.4]), np.array([10, 10, 10]), 5000, seed=1)
    assert p1[0] > 0.3


def test_postictal_spans_cover_the_earlier_seizure_and_its_exclusion():
    onset = 100_000.0
    spans = postictal_spans(onset, [(onset - 7200.0, onset - 7140.0), (onset + 60.0, onset + 120.0)], postictal_min=60.0)
    assert spans == [pytest.approx((119.0 - 60.0, 120.0))]  # later seizures are ignored
