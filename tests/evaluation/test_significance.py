"""Random-predictor test and seizure-time surrogates against plain references."""

from __future__ import annotations

import math

import numpy as np
import pytest

from seizurepred.errors import ConfigError
from seizurepred.evaluation.metrics import UndefinedMetricWarning
from seizurepred.evaluation.significance import (
    chance_prediction_probability,
    critical_sensitivity,
    random_predictor_p,
    seizure_time_surrogates,
    surrogate_test,
)


def _binom_sf_slow(k, n, p):
    return sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k, n + 1))


def test_chance_probability_formula():
    assert chance_prediction_probability(0.15, 30.0) == pytest.approx(1 - math.exp(-0.15 * 0.5))
    assert chance_prediction_probability(0.0, 30.0) == 0.0


@pytest.mark.parametrize(
    ("k", "n", "fpr", "sop", "d"), [(3, 5, 0.2, 30, 1), (0, 4, 0.1, 60, 1), (7, 10, 1.0, 15, 3)]
)
def test_random_predictor_p_matches_binomial_sum(k, n, fpr, sop, d):
    p_one = _binom_sf_slow(k, n, 1 - math.exp(-fpr * sop / 60))
    expected = 1 - (1 - p_one) ** d
    assert random_predictor_p(k, n, fpr_per_h=fpr, sop_min=sop, n_settings=d) == pytest.approx(
        expected, abs=1e-12
    )


@pytest.mark.parametrize(("n", "fpr", "d"), [(5, 0.2, 1), (10, 0.5, 1), (10, 0.5, 20), (20, 0.05, 5)])
def test_critical_sensitivity_is_smallest_significant(n, fpr, d):
    crit = critical_sensitivity(n, fpr_per_h=fpr, sop_min=30.0, n_settings=d)
    k = round(crit * n)
    p = 1 - math.exp(-fpr * 0.5)
    assert 1 - (1 - _binom_sf_slow(k, n, p)) ** d <= 0.05
    if k > 0:
        assert 1 - (1 - _binom_sf_slow(k - 1, n, p)) ** d > 0.05


def test_undefined_cases_are_nan_with_warning():
    with pytest.warns(UndefinedMetricWarning):
        assert math.isnan(random_predictor_p(0, 0, fpr_per_h=0.1, sop_min=30))
    with pytest.warns(UndefinedMetricWarning):
        assert math.isnan(critical_sensitivity(2, fpr_per_h=50.0, sop_min=30))
    with pytest.raises(ConfigError, match="n_predicted"):
        random_predictor_p(3, 2, fpr_per_h=0.1, sop_min=30)


RECORDED = [(0.0, 36000.0), (40000.0, 80000.0)]
ONSETS = np.array([10000.0, 30000.0, 50000.0, 70000.0])
OFFSETS = ONSETS + 100.0


@pytest.mark.parametrize("method", ["random", "intervals"])
def test_surrogates_are_seeded_and_constrained(method):
    a = seizure_time_surrogates(ONSETS, RECORDED, offsets_s=OFFSETS, n_surrogates=50, method=method, seed=4)
    b = seizure_time_surrogates(ONSETS, RECORDED, offsets_s=OFFSETS, n_surrogates=50, method=method, seed=4)
    assert len(a) == 50
    for s, s2 in zip(a, b):
        np.testing.assert_array_equal(s, s2)
        for x in s:
            assert any(lo <= x < hi for lo, hi in RECORDED)
            assert not any(o <= x < f for o, f in zip(ONSETS, OFFSETS))
        if method == "intervals":
            np.testing.assert_allclose(np.sort(np.diff(s)), np.sort(np.diff(ONSETS)))


def test_surrogate_p_value_against_loop():
    alarms = np.concatenate([ONSETS - 600.0, [20000.0]])  # 10 min before every onset, one false alarm
    res = surrogate_test(
        alarms, ONSETS, RECORDED, offsets_s=OFFSETS, sop_min=30, sph_min=5, n_surrogates=200, seed=1
    )
    surr = seizure_time_surrogates(ONSETS, RECORDED, offsets_s=OFFSETS, n_surrogates=200, seed=1)
    sens = [np.mean([any(a + 300 <= o <= a + 2100 for a in alarms) for o in s]) for s in surr]
    assert res["observed"] == 1.0
    assert res["p_value"] == pytest.approx((1 + sum(v >= 1.0 for v in sens)) / 201)
    assert res["p_value"] < 0.05
    always = np.arange(-3600.0, 80000.0, 600.0)  # an alarm every 10 min predicts everything
    assert surrogate_test(always, ONSETS, RECORDED, sop_min=30, sph_min=5, n_surrogates=50)["p_value"] == 1.0
