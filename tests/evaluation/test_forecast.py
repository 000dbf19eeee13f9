"""Seizure-likelihood forecasts (seizurepred.evaluation.forecast) and their scores (forecast_scores).

Oracle: the ``sefef`` package (Seizure Forecasting Evaluation Framework, Carmo et al.; in the ``dev`` extra). Where
its definitions match ours the two agree to float rounding (Brier score, reliability, resolution with quantile
binning, skill against the sample climatology, Sen/TiW AUC, Sen and TiW at a threshold, the forecasts of
``Forecast.postprocess``); where they differ (uniform binning, the reference forecast, the SPH in the alignment,
gaps) the documented relation is checked. Planted truths: a calibrated forecast is reliable and skilful, a constant
forecast at the reference rate has skill 0, a shuffled one is no better than chance, gaps are not forecast.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.stats import binom

from seizurepred.errors import ConfigError
from seizurepred.evaluation.continuous import ContinuousOutput
from seizurepred.evaluation.forecast import (
    calibrate_output,
    fit_calibrator,
    forecasts_from_output,
    pool_forecasts,
    reference_rate,
)
from seizurepred.evaluation.forecast_scores import (
    bin_edges,
    brier_decomposition,
    brier_score,
    brier_skill_score,
    chance_point,
    forecast_metrics,
    reliability_bins,
    sen_tiw_curve,
)
from seizurepred.evaluation.metrics import UndefinedMetricWarning

W = 5.0  # window length, s
MIDNIGHT = 1_700_006_400  # a UTC midnight: sefef's clock-time grid is anchored there


def _record(
    hours: float = 10.0, *, probs=None, drop=None, seizure_id: int = 0, seed: int = 0
) -> ContinuousOutput:
    """Windows starting n * 5 s before onset (n = N .. 1); ``drop(u) -> bool`` removes windows (a gap)."""
    n = np.arange(int(round(hours * 3600 / W)), 0, -1)
    u = n * W / 60.0
    p = np.random.default_rng(seed).random(u.size) if probs is None else np.asarray(probs(u), dtype=float)
    keep = np.ones(u.size, bool) if drop is None else ~np.asarray(drop(u), bool)
    stretch = np.cumsum(np.concatenate([[0], np.diff(np.flatnonzero(keep)) > 1]))
    return ContinuousOutput(seizure_id, u[keep], p[keep], float(keep.sum() * W / 3600), W, stretch=stretch)


def _calibrated(n: int, seed: int, a: float = 1.0, b: float = 6.0) -> tuple[np.ndarray, np.ndarray]:
    """Forecasts ~ Beta(a, b) and outcomes drawn as Bernoulli(forecast): perfectly calibrated."""
    rng = np.random.default_rng(seed)
    f = rng.beta(a, b, n)
    return f, (rng.random(n) < f).astype(np.int8)


# ------------------------------------------------------------------------------------------ forecasts
def test_alignment_hand_computed():
    """H = 10, SPH = 5: forecast m uses the windows starting in (5 + 10 m, 15 + 10 m] min before onset."""
    out = _record(2.0, probs=lambda u: u)  # output = minutes before onset: block means are easy
    fc = forecasts_from_output(out, horizon_min=10, sph_min=5)
    # blocks m = 0 .. 11 (the earliest, (115, 125], has 60 of 120 windows: exactly half, kept)
    assert len(fc) == 12 and fc.n_seizures == 1
    np.testing.assert_allclose(fc.issue_min_before_onset, 5.0 + 10.0 * np.arange(11, -1, -1))
    np.testing.assert_array_equal(fc.outcomes, [0] * 11 + [1])
    for tau, p, frac in zip(fc.issue_min_before_onset, fc.probs, fc.recorded_fraction):
        u = out.times_min_before_onset
        inside = u[(u > tau + 1e-9) & (u <= tau + 10 + 1e-9)]
        assert p == pytest.approx(inside.mean(), rel=1e-12)
        assert frac == pytest.approx(inside.size / 120)
    start, stop = fc.period_min_before_onset
    assert (start[-1], stop[-1]) == (0.0, -10.0)  # forecast 0's period starts at the onset
    assert fc.recorded_fraction[0] == pytest.approx(0.5)


def test_offset_puts_the_onset_inside_the_first_period():
    fc = forecasts_from_output(_record(2.0), horizon_min=10, sph_min=5, offset_min=4)
    start, stop = fc.period_min_before_onset
    assert fc.outcomes.sum() == 1
    i = int(np.flatnonzero(fc.outcomes)[0])
    assert start[i] >= 0.0 > stop[i] and start[i] == pytest.approx(4.0)
    assert np.all((start[fc.outcomes == 0] <= 0) | (stop[fc.outcomes == 0] >= 0))  # no other period holds it
    with pytest.raises(ConfigError, match="offset_min"):
        forecasts_from_output(_record(1.0), horizon_min=10, offset_min=10)


def _slow_forecasts(out, h, sph, min_rec):
    """Slow reference of the documented rule, one block at a time."""
    u = out.times_min_before_onset
    expected = h * 60 / W
    rows = []
    for m in range(int(u.max() // h) + 2):
        lo = sph + m * h
        inp = (u > lo + 1e-9) & (u <= lo + h + 1e-9)
        tgt = (u > (m - 1) * h + 1e-9) & (u <= m * h + 1e-9)
        if inp.sum() >= min_rec * expected - 1e-9 and (m == 0 or tgt.sum() >= min_rec * expected - 1e-9):
            rows.append((lo, out.probs[inp].mean(), int(m == 0)))
    return rows[::-1]


@pytest.mark.parametrize("gap", [(100.0, 125.0), (30.0, 95.0), (4.0, 40.0), (0.0, 12.0)])
def test_gaps_are_not_forecast(gap):
    """A gap (minutes before onset) removes the forecasts whose input or period is less than half recorded."""
    out = _record(4.0, drop=lambda u: (u > gap[0]) & (u <= gap[1]), seed=3)
    fc = forecasts_from_output(out, horizon_min=10, sph_min=5)
    slow = _slow_forecasts(out, 10, 5, 0.5)
    np.testing.assert_allclose(fc.issue_min_before_onset, [r[0] for r in slow])
    np.testing.assert_allclose(fc.probs, [r[1] for r in slow], rtol=1e-12)
    np.testing.assert_array_equal(fc.outcomes, [r[2] for r in slow])
    assert np.all(fc.recorded_fraction >= 0.5)
    # no forecast whose input lies inside the gap
    inside = (fc.issue_min_before_onset >= gap[0]) & (fc.issue_min_before_onset + 10 <= gap[1])
    assert not inside.any()
    # nor one whose forecast period lies inside it
    start, stop = fc.period_min_before_onset
    assert not np.any((stop >= gap[0]) & (start <= gap[1]) & (fc.outcomes == 0))


def test_gap_before_onset_leaves_the_seizure_unforecast_and_missed():
    out = _record(3.0, drop=lambda u: u <= 30.0)
    fc = forecasts_from_output(out, horizon_min=10, sph_min=5)
    assert fc.outcomes.sum() == 0 and fc.n_seizures == 1 and fc.issue_min_before_onset.min() > 30
    curve = sen_tiw_curve(fc.probs, fc.outcomes, n_seizures=fc.n_seizures)
    assert np.all(curve.sensitivity == 0.0)


def test_max_aggregate_and_pooling():
    out = _record(2.0, probs=lambda u: (np.abs(u - 50.0) < 0.05).astype(float))  # one spike 50 min before
    mean = forecasts_from_output(out, horizon_min=10, sph_min=0)
    peak = forecasts_from_output(out, horizon_min=10, sph_min=0, aggregate="max")
    smooth = forecasts_from_output(out, horizon_min=10, sph_min=0, aggregate="max", smooth_min=1)
    i = int(np.flatnonzero(peak.probs > 0)[0])
    assert (
        peak.probs[i] == 1.0
        and smooth.probs[i] == pytest.approx(1 / 12)
        and mean.probs[i] == pytest.approx(1 / 120)
    )
    pooled = pool_forecasts(
        [mean, forecasts_from_output(_record(1.0, seizure_id=7), horizon_min=10, sph_min=0)]
    )
    assert pooled.n_seizures == 2 and pooled.outcomes.sum() == 2 and set(pooled.seizure_id) == {0, 7}
    with pytest.raises(ConfigError, match="items"):
        pool_forecasts([mean, peak, forecasts_from_output(out, horizon_min=20, sph_min=0)])


def test_reference_rate():
    assert reference_rate(3, 30.0, 60) == pytest.approx(1 - math.exp(-0.1))
    assert reference_rate(0, 30.0, 60) == 0.0
    with pytest.raises(ConfigError):
        reference_rate(1, 0.0, 60)


# ------------------------------------------------------------------------------------------ calibration
def test_platt_and_isotonic_calibrate_on_held_out_data():
    """A miscalibrated raw output (true odds = raw odds^2 / e) becomes reliable on fresh data."""
    rng = np.random.default_rng(0)

    def draw(n):
        z = rng.normal(0.0, 1.5, n)
        return 1 / (1 + np.exp(-z)), (rng.random(n) < 1 / (1 + np.exp(-(2 * z - 1)))).astype(np.int8)

    s_cal, y_cal = draw(20000)
    s_new, y_new = draw(20000)
    raw_rel = brier_decomposition(s_new, y_new).reliability
    for method in ("platt", "isotonic"):
        cal = fit_calibrator(s_cal, y_cal, method=method)
        q = cal(s_new)
        assert q.shape == s_new.shape and q.min() >= 0 and q.max() <= 1
        assert np.all(np.diff(q[np.argsort(s_new)]) >= -1e-12)  # monotone in the raw output
        rel = brier_decomposition(q, y_new).reliability
        assert rel < raw_rel / 5 and rel < 2e-3
    platt = fit_calibrator(s_cal, y_cal, method="platt")
    assert platt.model.coef_[0, 0] == pytest.approx(2.0, abs=0.1)
    assert platt.model.intercept_[0] == pytest.approx(-1.0, abs=0.1)


def test_prevalence_shift_multiplies_the_odds():
    s = np.linspace(0.01, 0.99, 200)
    y = (s > 0.5).astype(np.int8)
    y[::7] ^= 1
    cal = fit_calibrator(s, y, method="platt")
    q, q2 = cal(s), cal(s, prevalence=0.05)
    ratio = (0.05 / 0.95) / (cal.prevalence / (1 - cal.prevalence))
    np.testing.assert_allclose(q2 / (1 - q2), q / (1 - q) * ratio, rtol=1e-9)


def test_calibrator_refuses_the_test_seizure_and_one_class():
    s, y = np.array([0.1, 0.8, 0.3, 0.9]), np.array([0, 1, 0, 1])
    with pytest.raises(ConfigError, match="held-out"):
        fit_calibrator(s, y, seizure_ids=[-1, 2, -1, 3], test_seizure_id=3)
    fit_calibrator(s, y, seizure_ids=[-1, 2, -1, 2], test_seizure_id=3)
    with pytest.raises(ConfigError, match="both classes"):
        fit_calibrator(s, np.zeros(4, int))


def test_calibrate_output_changes_only_the_probabilities():
    out = _record(1.0, drop=lambda u: (u > 20) & (u <= 25))
    cal = fit_calibrator([0.2, 0.4, 0.6, 0.8], [0, 0, 1, 1], method="isotonic")
    new = calibrate_output(out, cal)
    np.testing.assert_array_equal(new.probs, cal(out.probs))
    assert np.all(new.probs[out.probs <= 0.4] == 0.0) and np.all(new.probs[out.probs >= 0.6] == 1.0)
    np.testing.assert_array_equal(new.times_min_before_onset, out.times_min_before_onset)
    np.testing.assert_array_equal(new.stretch, out.stretch)


# ------------------------------------------------------------------------------------------ scores
def test_decomposition_hand_computed_and_exact():
    f, y = np.array([0.1, 0.1, 0.9, 0.9]), np.array([0, 1, 1, 1])
    d = brier_decomposition(f, y, binning="uniform", n_bins=10)
    # bins: {0.1: y 0,1 -> 0.5}, {0.9: y 1,1 -> 1}; base rate 3/4
    assert d.brier == pytest.approx((0.01 + 0.81 + 0.01 + 0.01) / 4)
    assert d.reliability == pytest.approx((2 * 0.4**2 + 2 * 0.1**2) / 4)
    assert d.resolution == pytest.approx((2 * 0.25**2 + 2 * 0.25**2) / 4)
    assert d.uncertainty == pytest.approx(0.75 * 0.25)
    assert d.within_bin_variance == 0.0 and d.within_bin_covariance == 0.0
    for seed in range(5):
        f, y = _calibrated(300, seed)
        for binning in ("uniform", "quantile"):
            d = brier_decomposition(f, y, binning=binning, n_bins=7)
            total = (
                d.reliability - d.resolution + d.uncertainty + d.within_bin_variance - d.within_bin_covariance
            )
            assert total == pytest.approx(d.brier, abs=1e-14)
            assert d.brier == pytest.approx(brier_score(f, y), abs=1e-15)


def test_reliability_bins_match_the_decomposition():
    f, y = _calibrated(500, 4)
    rb = reliability_bins(f, y, n_bins=10)
    d = brier_decomposition(f, y, n_bins=10)
    ok = rb.count > 0
    assert rb.count.sum() == 500 and rb.edges.size == 11 and np.isnan(rb.observed[~ok]).all()
    rel = np.sum(rb.count[ok] * (rb.mean_forecast[ok] - rb.observed[ok]) ** 2) / 500
    assert rel == pytest.approx(d.reliability, rel=1e-12)
    for k in np.flatnonzero(ok):
        lo, hi = rb.edges[k], rb.edges[k + 1]
        assert lo - 1e-12 <= rb.mean_forecast[k] <= hi + 1e-12


def _slow_curve(f, y, k):
    pts = [(0.0, 0.0)]
    for t in sorted(set(f), reverse=True):
        pts.append((np.mean(f >= t), np.sum((f >= t) & (y == 1)) / k))
    return np.array(pts)


def test_sen_tiw_curve_against_a_slow_loop():
    f, y = _calibrated(200, 9)
    f = np.round(f, 2)  # ties
    c = sen_tiw_curve(f, y)
    slow = _slow_curve(f, y, y.sum())
    np.testing.assert_allclose(np.c_[c.time_in_warning, c.sensitivity], slow, rtol=1e-12)
    assert c.time_in_warning[0] == 0 and c.time_in_warning[-1] == 1 and c.sensitivity[-1] == 1
    auc = sum((slow[i + 1, 0] - slow[i, 0]) * (slow[i + 1, 1] + slow[i, 1]) / 2 for i in range(len(slow) - 1))
    assert c.auc == pytest.approx(auc, rel=1e-12)
    c2 = sen_tiw_curve(f, y, n_seizures=int(y.sum()) + 3)  # three unforecast seizures: missed
    np.testing.assert_allclose(c2.sensitivity * c2.n_seizures, c.sensitivity * c.n_seizures)


def test_chance_point_of_a_perfect_forecaster():
    """10 records x 10 periods, the seizure period forecast 0.9, the others 0.1: TiW 0.1, Sen 1."""
    y = np.tile(np.r_[np.zeros(9), 1], 10).astype(np.int8)
    f = np.where(y == 1, 0.9, 0.1)
    cp = chance_point(f, y, tiw=0.2, n_surrogates=500, seed=1)
    assert (cp.threshold, cp.time_in_warning, cp.sensitivity) == (0.9, 0.1, 1.0)
    assert cp.improvement == pytest.approx(0.9) and cp.n_predicted == 10
    assert cp.p_random_predictor == pytest.approx(binom.sf(9, 10, 0.1), rel=1e-9)
    assert cp.p_surrogate == pytest.approx(1 / 501) and cp.n_surrogates == 500
    assert sen_tiw_curve(f, y).auc == pytest.approx(1 - 0.1 / 2)  # the best possible with 10 % positives


def test_planted_calibrated_forecast_is_reliable_and_skilful():
    f, y = _calibrated(20000, 11)
    d = brier_decomposition(f, y, binning="uniform", n_bins=10)
    assert d.reliability < 5e-4 and d.reliability < d.resolution / 10
    assert brier_skill_score(f, y) > 0.05  # against the sample climatology
    assert brier_skill_score(f, y, reference=float(f.mean())) > 0.05  # against the (true) mean rate
    assert sen_tiw_curve(f, y).auc > 0.65


@pytest.mark.parametrize("rate", [0.03, 0.1, 0.25])
def test_constant_forecast_at_the_reference_rate_has_zero_skill(rate):
    _, y = _calibrated(1000, 5)
    f = np.full(y.size, rate)
    assert brier_skill_score(f, y, reference=rate) == pytest.approx(0.0, abs=1e-15)
    base = np.full(y.size, y.mean())
    assert brier_skill_score(base, y) == pytest.approx(0.0, abs=1e-15)
    assert sen_tiw_curve(f, y).auc == pytest.approx(0.5)  # one threshold: (0, 0) to (1, 1)


def test_shuffled_forecast_is_not_better_than_chance():
    f, y = _calibrated(400, 2)
    rng = np.random.default_rng(0)
    skills, ps, aucs = [], [], []
    for _ in range(20):
        g = rng.permutation(f)
        skills.append(brier_skill_score(g, y))
        ps.append(chance_point(g, y, tiw=0.2, n_surrogates=200, seed=int(rng.integers(1e6))).p_surrogate)
        aucs.append(sen_tiw_curve(g, y).auc)
    assert max(skills) < 0.02 and np.mean(skills) < 0
    assert np.mean(np.array(ps) < 0.05) <= 0.2 and np.median(ps) > 0.2
    assert abs(np.mean(aucs) - 0.5) < 0.05


def test_undefined_scores_are_nan_with_a_warning():
    with pytest.warns(UndefinedMetricWarning):
        assert math.isnan(brier_score([], []))
    with pytest.warns(UndefinedMetricWarning):
        assert math.isnan(brier_skill_score([0.2, 0.3], [0, 0], reference=0.0))
    with pytest.warns(UndefinedMetricWarning):
        assert math.isnan(sen_tiw_curve([0.2, 0.3], [0, 0]).auc)
    with pytest.raises(ConfigError, match="probs"):
        brier_score([1.2], [1])


def test_forecast_metrics_row():
    outs = [
        _record(10.0, probs=lambda u, s=s: 0.125 + 0.5 * (u <= 65) * (s != 2), seizure_id=s) for s in range(3)
    ]
    fc = pool_forecasts([forecasts_from_output(o, horizon_min=60, sph_min=5) for o in outs])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        row = forecast_metrics(fc, reference=reference_rate(3, 30.0, 60), n_surrogates=100)
    assert row["n_forecasts"] == 30 and row["n_seizures"] == 3 and row["n_positive"] == 3
    assert (row["sensitivity"], row["time_in_warning"], row["n_predicted"]) == (
        pytest.approx(2 / 3),
        2 / 30,
        2,
    )
    assert row["improvement_over_chance"] == pytest.approx(2 / 3 - 2 / 30)
    assert row["brier"] == pytest.approx(brier_score(fc.probs, fc.outcomes))
    assert row["bss"] == pytest.approx(
        brier_skill_score(fc.probs, fc.outcomes, reference=row["reference_rate"])
    )


# ------------------------------------------------------------------------------------------ sefef oracle
@pytest.fixture(scope="module")
def sefef():
    return pytest.importorskip("sefef.scoring")


def _sefef_scores(f, y, *, threshold=0.5, binning="quantile", n_bins=10, horizon_s=3600, seed=0):
    """sefef's Scorer on periods [t_i, t_i + H) with one onset at a random time inside each positive period."""
    from sefef.scoring import Scorer

    rng = np.random.default_rng(seed)
    ts = MIDNIGHT + np.arange(f.size, dtype=np.int64) * horizon_s
    onsets = ts[y == 1] + rng.integers(0, horizon_s, int(y.sum()))
    scorer = Scorer(["reliability", "resolution", "BS", "skill", "AUC_TiW", "Sen", "TiW"], onsets, horizon_s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return scorer.compute_metrics(f, ts, threshold=threshold, binning_method=binning, num_bins=n_bins,
                                      draw_diagram=False)  # fmt: skip


@pytest.mark.parametrize("seed", range(4))
def test_agrees_with_sefef_where_definitions_match(sefef, seed):
    f, y = _calibrated(600, 100 + seed, a=0.8, b=5.0)
    perf = _sefef_scores(f, y, threshold=0.2, seed=seed)
    d = brier_decomposition(f, y, binning="quantile", n_bins=10)
    assert d.brier == pytest.approx(perf["BS"], rel=1e-12, abs=1e-15)
    assert d.reliability == pytest.approx(perf["reliability"], rel=1e-10, abs=1e-15)
    assert d.resolution == pytest.approx(perf["resolution"], rel=1e-10, abs=1e-15)
    assert brier_skill_score(f, y) == pytest.approx(perf["skill"], rel=1e-12, abs=1e-15)
    curve = sen_tiw_curve(f, y)
    assert curve.auc == pytest.approx(perf["AUC_TiW"], rel=1e-12)
    i = int(np.flatnonzero(curve.thresholds >= 0.2)[-1])  # the curve point of threshold 0.2
    assert curve.sensitivity[i] == pytest.approx(perf["Sen"], rel=1e-12)
    assert curve.time_in_warning[i] == pytest.approx(perf["TiW"], rel=1e-12)


def test_sefef_uniform_binning_and_reference_relations(sefef):
    f, y = _calibrated(400, 21)
    perf = _sefef_scores(f, y, binning="uniform", n_bins=8)
    # sefef's "uniform": 8 equal bins on [min f, max f] plus a bin of the forecasts equal to the minimum
    edges = np.concatenate([[f.min() - 1.0], np.linspace(f.min(), f.max(), 9)])
    d = brier_decomposition(f, y, edges=edges)
    assert d.reliability == pytest.approx(perf["reliability"], rel=1e-10)
    assert d.resolution == pytest.approx(perf["resolution"], rel=1e-10)
    ours_uniform = brier_decomposition(f, y, binning="uniform", n_bins=8)  # on [0, 1]: other bins, same BS
    assert ours_uniform.reliability != pytest.approx(perf["reliability"], rel=1e-6)
    assert ours_uniform.brier == pytest.approx(perf["BS"], rel=1e-12)
    # reference r instead of the sample climatology: 1 - BSS = (1 - BSS_sefef) UNC / (UNC + (r - ybar)^2)
    for r in (0.02, 0.1, 0.3):
        unc, ybar = y.mean() * (1 - y.mean()), y.mean()
        expected = 1 - (1 - perf["skill"]) * unc / (unc + (r - ybar) ** 2)
        assert brier_skill_score(f, y, reference=r) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("aggregate", "smooth_min", "smooth_s"), [("mean", None, 3600), ("max", None, 5),
                                                                    ("max", 10.0, 600)])  # fmt: skip
def test_forecasts_agree_with_sefef_postprocess(sefef, aggregate, smooth_min, smooth_s):
    """sefef's forecast at t uses the hour before t; ours issued at tau = t (SPH = 5 min: onset = midnight + 5)."""
    from sefef.postprocessing import Forecast

    sph = 5.0
    onset = MIDNIGHT + int(sph * 60)
    out = _record(10.0, seed=8)
    ts = (onset - np.rint(out.times_min_before_onset * 60)).astype(np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pr, t = Forecast(out.probs, ts).postprocess(3600, smooth_s, origin="clock-time")
    fc = forecasts_from_output(out, horizon_min=60, sph_min=sph, aggregate=aggregate, smooth_min=smooth_min)
    # sefef has one more forecast: the windows of the SPH before onset (a period after the onset)
    assert len(fc) == 10 and pr.size == 11 and not np.isnan(pr).any()
    np.testing.assert_allclose(fc.probs, pr[:10], rtol=1e-12)
    np.testing.assert_array_equal(onset - fc.issue_min_before_onset * 60, t[:10])


def test_sph_alignment_relation_with_sefef_scorer(sefef):
    """Our forecast issued at tau concerns [tau + SPH, tau + SPH + H): sefef's forecast of timestamp tau + SPH.

    With the onset 58 min into forecast 0's period (``offset_min=58``) and SPH = 5 min, sefef given the issue
    times themselves looks at the wrong hours and finds no seizure in any of them.
    """
    from sefef.scoring import Scorer

    sph, off = 5.0, 58.0
    items, ts_all, onsets = [], [], []
    for s in range(6):
        onset = MIDNIGHT + 86400 * s
        out = _record(10.0, probs=lambda u, s=s: 0.05 + 0.5 * (u <= 125) * (s % 3 != 0) + 0.02 * np.sin(u),
                      seizure_id=s)  # fmt: skip
        fc = forecasts_from_output(out, horizon_min=60, sph_min=sph, offset_min=off)
        items.append(fc)
        ts_all.append(np.rint(onset - fc.issue_min_before_onset * 60).astype(np.int64))
        onsets.append(onset)
    fc = pool_forecasts(items)
    issue = np.concatenate(ts_all)
    metrics = ["BS", "skill", "AUC_TiW", "reliability", "Sen"]

    def score(ts):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return Scorer(metrics, np.array(onsets), 3600).compute_metrics(
                fc.probs, ts, threshold=0.0, binning_method="quantile", num_bins=5, draw_diagram=False
            )

    perf = score(issue + int(sph * 60))
    assert fc.outcomes.sum() == 6
    assert brier_score(fc.probs, fc.outcomes) == pytest.approx(perf["BS"], rel=1e-12)
    assert brier_skill_score(fc.probs, fc.outcomes) == pytest.approx(perf["skill"], rel=1e-12)
    assert sen_tiw_curve(fc.probs, fc.outcomes).auc == pytest.approx(perf["AUC_TiW"], rel=1e-12)
    rel = brier_decomposition(fc.probs, fc.outcomes, binning="quantile", n_bins=5).reliability
    assert rel == pytest.approx(perf["reliability"], rel=1e-10)
    assert perf["Sen"] == 1.0 and score(issue)["Sen"] == 0.0


def test_gap_differs_from_sefef_by_the_half_recorded_rule(sefef):
    """With a gap sefef forecasts every hour with any data; ours keeps those at least half recorded."""
    from sefef.postprocessing import Forecast

    onset = MIDNIGHT
    out = _record(10.0, drop=lambda u: (u > 100) & (u <= 235), seed=5)  # 135-min gap
    ts = (onset - np.rint(out.times_min_before_onset * 60)).astype(np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pr, t = Forecast(out.probs, ts).postprocess(3600, 3600, origin="clock-time")
    fc = forecasts_from_output(out, horizon_min=60, sph_min=0)
    ok = ~np.isnan(pr)
    ours_t = onset - fc.issue_min_before_onset * 60
    assert set(ours_t) < set(t[ok])  # a strict subset: sefef forecasts the partly recorded hours too
    np.testing.assert_allclose(fc.probs, pr[np.isin(t, ours_t)], rtol=1e-12)
    assert bin_edges(fc.probs, binning="quantile", n_bins=4).size == 5
