"""Alarms and event metrics against plain-loop references and constructed timelines."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from seizurepred.errors import ConfigError
from seizurepred.evaluation.alarms import AlarmConfig, event_metrics, firing_power, raise_alarms
from seizurepred.evaluation.metrics import UndefinedMetricWarning


def _slow_alarms(segments, cfg):
    cand = []
    n = cfg.n_windows
    for t, p in segments:
        for i in range(len(p)):
            if i < n - 1:
                continue
            cnt = sum(1 for j in range(i - n + 1, i + 1) if p[j] >= cfg.output_threshold)
            ok = cnt >= cfg.k if cfg.mode == "k_of_n" else cnt / n >= cfg.fp_threshold
            if ok:
                cand.append(t[i])
    alarms = []
    for c in sorted(cand):
        if not alarms or c >= alarms[-1] + cfg.refractory_s:
            alarms.append(c)
    return alarms


def _slow_events(segments, onsets, offsets, cfg, step_s):
    sop, sph, r = cfg.sop_min * 60, cfg.sph_min * 60, cfg.refractory_s
    alarms = _slow_alarms(segments, cfg)

    def excluded(x):
        return any(o - r <= x <= f + cfg.postictal_min * 60 for o, f in zip(onsets, offsets))

    correct = [any(a + sph <= o <= a + sph + sop for o in onsets) for a in alarms]
    false = [a for a, c in zip(alarms, correct) if not c and not excluded(a)]
    times = [x for t, _ in segments for x in t]
    inter = [x for x in times if not excluded(x)]
    if cfg.exclude_warning_time:
        inter = [x for x in inter if not any(a <= x < a + r for a in false)]
    leads = []
    for o in onsets:
        hits = [a for a in alarms if o - sph - sop <= a <= o - sph]
        leads.append((o - min(hits)) / 60 if hits else math.nan)
    tiw = sum(any(a <= x < a + r for a in alarms) for x in times) / len(times)
    hours = len(inter) * step_s / 3600
    return alarms, len(false), hours, leads, tiw


def _random_timeline(rng):
    segments, clock = [], 0.0
    for _ in range(rng.integers(1, 4)):
        n = int(rng.integers(0, 400))
        runs = np.repeat(rng.random(max(1, n // 10 + 1)), 10)[:n]
        probs = np.clip(runs + rng.normal(0, 0.2, n), 0, 1)
        segments.append((clock + 5.0 * np.arange(n), probs))
        clock += 5.0 * n + float(rng.integers(5, 3000))
    return segments, clock


@pytest.mark.parametrize("seed", range(25))
def test_event_metrics_match_slow_reference(seed):
    rng = np.random.default_rng(seed)
    segments, end = _random_timeline(rng)
    onsets = np.sort(rng.uniform(0, end, rng.integers(1, 5)))
    offsets = onsets + rng.uniform(0, 120, onsets.size)
    mode = "k_of_n" if seed % 2 else "firing_power"
    n = int(rng.integers(1, 13))
    cfg = AlarmConfig(
        sop_min=float(rng.uniform(2, 20)),
        sph_min=float(rng.uniform(0, 3)),
        mode=mode,
        n_windows=n,
        k=int(rng.integers(1, n + 1)),
        fp_threshold=float(rng.choice([0.3, 0.5, 0.7, 1.0])),
        postictal_min=float(rng.choice([0.0, 10.0])),
        exclude_warning_time=bool(seed % 3 == 0),
    )
    alarms, n_false, hours, leads, tiw = _slow_events(segments, onsets, offsets, cfg, 5.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)  # e.g. no seizure predicted
        res = event_metrics(segments, onsets, offsets_s=offsets, config=cfg)
    np.testing.assert_allclose(res.alarm_times_s, alarms)
    assert res.n_false_alarms == n_false
    assert res.interictal_hours == pytest.approx(hours)
    np.testing.assert_allclose(res.lead_times_min, leads)
    assert res.n_predicted == sum(not math.isnan(v) for v in leads)
    assert res.sensitivity == pytest.approx(res.n_predicted / onsets.size)
    if any(len(t) for t, _ in segments):
        assert res.time_in_warning == pytest.approx(tiw)
    if hours > 0:
        assert res.fpr_per_h == pytest.approx(n_false / hours)


def test_constructed_timeline_known_answers():
    t = 5.0 * np.arange(1440)  # 2 h
    p = np.zeros(t.size)
    p[(t >= 3000) & (t < 3300)] = 0.9
    p[(t >= 6000) & (t < 6300)] = 0.9
    cfg = AlarmConfig(sop_min=30, sph_min=5, n_windows=12, fp_threshold=0.5)
    res = event_metrics([(t, p)], [3625.0], config=cfg)
    assert res.alarm_times_s == (3025.0, 6025.0)  # the 6th positive of 12
    assert res.n_predicted == 1 and res.sensitivity == 1.0
    assert res.lead_times_min == (10.0,)
    assert res.n_false_alarms == 1
    assert res.interictal_hours == pytest.approx((1440 - 421) * 5 / 3600)
    assert res.fpr_per_h == pytest.approx(1 / ((1440 - 421) * 5 / 3600))
    assert res.time_in_warning == pytest.approx((420 + 235) / 1440)
    excl = event_metrics(
        [(t, p)], [3625.0], config=AlarmConfig(sop_min=30, sph_min=5, exclude_warning_time=True)
    )
    assert excl.interictal_hours == pytest.approx((1440 - 421 - 235) * 5 / 3600)


def test_firing_power_never_crosses_a_gap():
    cfg = AlarmConfig(n_windows=12, fp_threshold=0.5)
    a = (5.0 * np.arange(20), np.r_[np.zeros(15), np.ones(5)])
    b = (200.0 + 5.0 * np.arange(20), np.r_[np.ones(5), np.zeros(15)])
    assert raise_alarms([a, b], config=cfg).size == 0
    merged = (5.0 * np.arange(40), np.r_[a[1], b[1]])
    assert raise_alarms([merged], config=cfg).size == 1


def test_firing_power_values():
    fp = firing_power(np.array([1, 0, 1, 1, 0.2]), n_windows=3)
    np.testing.assert_allclose(fp, [np.nan, np.nan, 2 / 3, 2 / 3, 2 / 3])


def test_no_seizures_gives_nan_with_warning():
    t = 5.0 * np.arange(100)
    with pytest.warns(UndefinedMetricWarning):
        res = event_metrics([(t, np.zeros(100))], [])
    assert math.isnan(res.sensitivity) and res.fpr_per_h == 0.0


def test_bad_inputs():
    with pytest.raises(ConfigError, match="k"):
        AlarmConfig(n_windows=3, k=4)
    with pytest.raises(ConfigError, match="segments"):
        event_metrics([(np.array([0.0, 0.0]), np.array([0.1, 0.2]))], [1.0])
