"""seizurepred.sweep.forecast_table on hand-built folds: planted forecasts whose scores are known by hand, the
calibration on each fold's validation windows (never the held-out seizure), old fold files without them, pooling
over folds and repeats, the summary's skill and the figures' data; the [forecast] config stage."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest
from _factories import fold_result

from seizurepred.errors import ConfigError
from seizurepred.evaluation.continuous import ContinuousOutput
from seizurepred.evaluation.forecast import (
    calibrate_output,
    fit_calibrator,
    forecasts_from_output,
    pool_forecasts,
)
from seizurepred.evaluation.forecast_scores import brier_score, forecast_metrics
from seizurepred.io.manifest import Manifest, Recording, Seizure
from seizurepred.sweep.aggregate import aggregate
from seizurepred.sweep.config import ForecastOptions, SweepConfig, sweep_config_from_dict
from seizurepred.sweep.fold_result import from_payload, to_payload
from seizurepred.sweep.forecast_table import (
    NO_VALIDATION,
    forecast_curves,
    forecast_rows,
    skill_p,
    training_prior,
)

DAY = 86400.0
CHANNELS = ("FP1-F7",)
N_WIN = 7200  # 10 h of 5-s windows before onset
U_MIN = np.arange(N_WIN, 0, -1) * 5.0 / 60.0  # window starts, minutes before onset
HI, LO = 0.75, 0.125  # exact in binary: block means are exactly these


def _manifest() -> Manifest:
    """Three 10-h recordings, one seizure each: 30 recorded hours; each fold's training data: 2 other seizures."""
    recs = tuple(
        Recording(
            f"chb98_{i + 1:02d}.edf", i * DAY, i * DAY + 36000.0, CHANNELS, (Seizure(34200.0, 34260.0),)
        )
        for i in range(3)
    )
    return Manifest(case="chb98", sfreq=256.0, recordings=recs)


def _planted(seizure_id: int) -> ContinuousOutput:
    """HI over the 60 min of output that forecast 0 (H 60, SPH 5) reads, i.e. 5-65 min before onset; LO elsewhere."""
    probs = np.where((U_MIN > 5.0) & (U_MIN <= 65.0), HI, LO)
    return ContinuousOutput(seizure_id, U_MIN, probs, N_WIN * 5.0 / 3600.0, 5.0)


def _flat(seizure_id: int, level: float = 0.25) -> ContinuousOutput:
    return ContinuousOutput(seizure_id, U_MIN, np.full(N_WIN, level), N_WIN * 5.0 / 3600.0, 5.0)


def _val(seed: int, *, sid: int = 2, n: int = 600):
    """Balanced validation windows whose scores separate the classes (preictal ones of seizure ``sid``)."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.array([0, 1], np.int8), n // 2)
    score = np.clip(0.3 + 0.4 * y + rng.normal(0, 0.15, n), 0.01, 0.99).astype(np.float32)
    return {"val_true": y, "val_score": score, "val_seizure": np.where(y == 1, sid, -1).astype(np.int32)}


def _fold(k: int, sid: int, cont: ContinuousOutput | None, *, repeat: int = 0, val: dict | None = None):
    return fold_result(preictal_min=k, seizure_id=sid, repeat=repeat, continuous=cont, **(val or {}))


def _config(**forecast) -> SweepConfig:
    opts = {"horizons_min": (60.0, 10.0), "calibration": "none", "n_surrogates": 200, **forecast}
    return SweepConfig(preictal_mins=(30, 15), n_surrogates=0, forecast=ForecastOptions(**opts))


def _rows(folds, config=None):
    return forecast_rows("chb98", folds, config=config or _config(), manifest=_manifest())


def _pick(rows, *, scope="pooled", k=30, h=60.0, sid=None):
    return [r for r in rows if r["scope"] == scope and r["preictal_min"] == k and r["horizon_min"] == h
            and (sid is None or r["seizure_id"] == sid)]  # fmt: skip


def _bss(f, y, r):
    f, y = np.asarray(f, float), np.asarray(y, float)
    return 1.0 - np.mean((f - y) ** 2) / np.mean((r - y) ** 2)


# ------------------------------------------------------------------------------------------ planted truths
def test_planted_forecasts_have_the_hand_computed_scores():
    """Raw output (no calibration): H 60 gives 9 interictal forecasts at LO and the onset's at HI; H 10 gives the
    onset's and 5 false ones at HI (the output is high 5-65 min before onset) and 54 at LO."""
    rows = _rows(
        [_fold(30, sid, _planted(sid)) for sid in (0, 1)] + [_fold(15, sid, _flat(sid)) for sid in (0, 1)]
    )
    r60 = -math.expm1(-2 / 30)  # the other 2 seizures over 30 recorded hours, per 60 min
    r10 = -math.expm1(-2 / 30 / 6)
    want = {
        60.0: ([LO] * 9 + [HI], [0] * 9 + [1], r60),
        10.0: ([LO] * 54 + [HI] * 6, [0] * 59 + [1], r10),
    }
    for h, (f, y, r) in want.items():
        (fold0,) = _pick(_rows([_fold(30, 0, _planted(0))]), scope="fold", h=h)
        (pooled,) = _pick(rows, h=h)
        for row in (fold0, pooled):
            assert row["n_forecasts"] == len(f) * row["n_folds"] and row["n_positive"] == row["n_folds"]
            assert row["brier"] == pytest.approx(np.mean((np.array(f) - np.array(y)) ** 2))
            assert row["reference_rate"] == pytest.approx(r)
            assert row["bss"] == pytest.approx(_bss(f, y, r))
            assert row["brier"] == pytest.approx(
                row["reliability"] - row["resolution"] + row["uncertainty"], abs=1e-12
            )
            assert row["calibration"] == "none" and math.isnan(row["prior"])
        assert pooled["n_seizures"] == 2 and pooled["n_folds"] == 2
    assert (
        _pick(rows, h=60.0)[0]["bss"] > 0.5 and _pick(rows, h=10.0)[0]["bss"] < 0
    )  # H 10: 5 false highs each
    # the onset's forecast is above every other at H 60: Sen 1 at TiW 0.1 (2 of 20 periods), both onsets by chance
    # in (1/10)^2 of the surrogates
    p60 = _pick(rows, h=60.0)[0]
    assert (p60["time_in_warning"], p60["sensitivity"], p60["improvement_over_chance"]) == pytest.approx(
        (0.1, 1, 0.9)
    )
    assert p60["p_random_predictor"] == pytest.approx(0.1**2)
    assert p60["p_skill"] < 0.05 and p60["auc_sen_tiw"] == pytest.approx(1 - 0.1 / 2)
    # a flat output knows nothing: every surrogate ties, p_skill = 1; AUC at chance
    flat = _pick(rows, k=15, h=60.0)[0]
    assert flat["p_skill"] == 1.0 and flat["auc_sen_tiw"] == pytest.approx(0.5)
    assert flat["bss"] == pytest.approx(_bss([0.25] * 10, [0] * 9 + [1], r60))


def test_rows_are_tidy_and_ordered():
    rows = _rows([_fold(k, sid, _planted(sid)) for k in (30, 15) for sid in (1, 0)])
    keys = [(r["preictal_min"], r["horizon_min"], r["scope"], r["seizure_id"]) for r in rows]
    assert keys == [(k, h, s, sid) for k in (30, 15) for h in (60.0, 10.0)
                    for s, sid in (("fold", 0), ("fold", 1), ("pooled", None))]  # fmt: skip
    assert len({tuple(r) for r in rows}) == 1  # one set of columns
    assert all(r["case"] == "chb98" and r["sph_min"] == 5.0 for r in rows)  # SPH: the alarms' by default


def test_skill_p_is_valid_for_forecasts_unrelated_to_the_onsets():
    """Six records of 10 forecasts, drawn independently of the onsets: p_skill <= alpha about alpha of the time."""
    rng = np.random.default_rng(3)
    one = forecasts_from_output(_planted(0), horizon_min=60.0, sph_min=5.0)
    ps = []
    for i in range(400):
        records = [dataclasses.replace(one, probs=rng.uniform(0, 1, len(one)),
                                       seizure_id=np.full(len(one), sid)) for sid in range(6)]  # fmt: skip
        ps.append(skill_p(pool_forecasts(records), n_surrogates=199, seed=i)[0])
    ps = np.array(ps)
    assert np.mean(ps <= 0.05) < 0.08 and np.mean(ps <= 0.2) < 0.26 and 0.4 < np.mean(ps <= 0.5) < 0.6
    assert skill_p(one, n_surrogates=199)[0] == pytest.approx(
        1 / 10, abs=0.04
    )  # HI at the onset: 1 in 10 by chance
    assert math.isnan(skill_p(one, n_surrogates=0)[0])


# ------------------------------------------------------------------------------------------ calibration
@pytest.mark.parametrize("method", ["platt", "isotonic"])
@pytest.mark.parametrize("prior", ["training", "validation"])
def test_calibrated_on_the_folds_validation_windows_at_the_stated_prior(method, prior):
    config = _config(calibration=method, prior=prior)
    folds = [_fold(30, sid, _planted(sid), val=_val(sid)) for sid in (0, 1)]
    rows = _rows(folds, config)
    pi = training_prior(_manifest(), 30, 0.0)
    assert pi == pytest.approx(2 * 0.5 / 30)  # 2 other seizures x 30 min over 30 h
    fcs = []
    for f in folds:
        cal = fit_calibrator(f.val_score, f.val_true, method=method)
        cont = calibrate_output(f.continuous, cal, prevalence=pi if prior == "training" else None)
        fcs.append(forecasts_from_output(cont, horizon_min=60.0, sph_min=5.0))
        (row,) = _pick(rows, scope="fold", sid=f.seizure_id)
        assert row["calibration"] == method
        assert row["prior"] == pytest.approx(pi if prior == "training" else 0.5)
        assert row["brier"] == pytest.approx(brier_score(fcs[-1].probs, fcs[-1].outcomes))
    (pooled,) = _pick(rows)
    want = forecast_metrics(pool_forecasts(fcs), reference=-math.expm1(-2 / 30), n_surrogates=200, seed=0)
    for key in ("brier", "bss", "reliability", "resolution", "auc_sen_tiw", "sensitivity", "p_surrogate"):
        assert pooled[key] == pytest.approx(want[key], nan_ok=True), key


def test_the_training_prior_lowers_the_interictal_forecasts():
    """An ambiguous output (0.5, between the validation classes) is a 1-in-2 chance at the validation windows'
    balance, 1 in 30 at the training data's preictal share: the interictal forecasts, 9 in 10, gain."""
    cont = dataclasses.replace(_planted(0), probs=np.where(_planted(0).probs == HI, HI, 0.5))
    folds = [_fold(30, 0, cont, val=_val(0))]
    shifted = _pick(_rows(folds, _config(calibration="platt")), scope="fold")[0]
    balanced = _pick(_rows(folds, _config(calibration="platt", prior="validation")), scope="fold")[0]
    assert shifted["brier"] < balanced["brier"] and shifted["bss"] > balanced["bss"] > -10


def test_calibration_set_of_the_held_out_seizure_is_refused():
    fold = _fold(30, 1, _planted(1), val=_val(0, sid=1))  # preictal validation windows of seizure 1 itself
    with pytest.raises(ConfigError, match="windows of other seizures than the held-out one"):
        _rows([fold], _config(calibration="platt"))


def test_old_fold_files_fall_back_to_uncalibrated_and_the_report_says_so():
    from seizurepred.reporting.report import render_report

    new = _fold(30, 0, _planted(0), val=_val(0))
    meta, arrays = to_payload(new)
    assert {"val_true", "val_score", "val_seizure"} <= set(arrays)
    back = from_payload(meta, arrays)
    for name in ("val_true", "val_score", "val_seizure"):
        np.testing.assert_array_equal(getattr(back, name), getattr(new, name))
    old = from_payload(meta, {k: v for k, v in arrays.items() if not k.startswith("val_")})
    assert old.val_score is None and old.val_true is None and old.val_seizure is None
    config = dataclasses.replace(_config(calibration="platt"), preictal_mins=(30,))
    rows = _rows([back, dataclasses.replace(old, fold=_fold(30, 1, None).fold)], config)
    by = {r["seizure_id"]: r for r in _pick(rows, scope="fold")}
    assert by[0]["calibration"] == "platt" and by[1]["calibration"] == NO_VALIDATION
    assert _pick(rows)[0]["calibration"] == f"platt (1); {NO_VALIDATION} (1)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = aggregate(
            _manifest(), [back, dataclasses.replace(old, fold=_fold(30, 1, None).fold)], config=config
        )
    text = render_report(result)
    assert "## Seizure-likelihood forecasts (horizons 60, 10 min, SPH 5 min)" in text
    assert f"**Not calibrated:** 1 of 2 folds give the raw output ({NO_VALIDATION})" in text


# ------------------------------------------------------------------------------------------ pooling
def test_a_fold_without_output_is_a_missed_seizure():
    rows = _rows([_fold(30, 0, _planted(0)), _fold(30, 1, None)])
    (missing,) = _pick(rows, scope="fold", sid=1)
    assert missing["n_forecasts"] == 0 and missing["n_seizures"] == 1 and math.isnan(missing["bss"])
    (pooled,) = _pick(rows)
    assert (pooled["n_forecasts"], pooled["n_seizures"], pooled["n_positive"]) == (10, 2, 1)
    assert pooled["sensitivity"] == 0.5  # the forecast seizure is caught, the other missed


def test_repeats_pool_forecasts_and_take_the_largest_p_values():
    folds = [
        _fold(30, sid, _planted(sid) if r == 0 else _flat(sid), repeat=r) for r in (0, 1) for sid in (0, 1)
    ]
    rows = _rows(folds)
    (pooled,) = _pick(rows)
    per_repeat = [_pick(_rows([f for f in folds if f.repeat == r]))[0] for r in (0, 1)]
    assert pooled["n_folds"] == 4 and pooled["n_seizures"] == 4 and pooled["n_forecasts"] == 40
    for key in ("p_random_predictor", "p_surrogate", "p_skill"):
        assert pooled[key] == pytest.approx(max(r[key] for r in per_repeat)), key
    assert pooled["p_skill"] == 1.0  # the flat repeat knows nothing
    # the skill is that of every forecast pooled
    assert pooled["brier"] == pytest.approx(np.mean([r["brier"] for r in per_repeat]))


def test_sweep_result_summary_and_figure_data():
    config = _config(calibration="platt")
    folds = [_fold(k, sid, _planted(sid), val=_val(sid)) for k in (30, 15) for sid in (0, 1)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = aggregate(_manifest(), folds, config=config)
    pooled = {(r["preictal_min"], r["horizon_min"]): r for r in result.forecast if r["scope"] == "pooled"}
    summary = result.summary()
    assert summary["forecast_horizon_min"] == 60.0
    assert summary["brier_skill"] == {"30": pooled[(30, 60.0)]["bss"], "15": pooled[(15, 60.0)]["bss"]}
    assert summary["brier_skill"]["30"] > 0
    curves = forecast_curves(result)
    assert curves.horizon_min == 60.0 and set(curves.reliability) == set(curves.sen_tiw) == {30, 15}
    for k in (30, 15):
        assert curves.reliability[k].count.sum() == pooled[(k, 60.0)]["n_forecasts"]
        assert curves.sen_tiw[k].auc == pytest.approx(pooled[(k, 60.0)]["auc_sen_tiw"])
    assert forecast_curves(result, 10.0).sen_tiw[30].auc == pytest.approx(pooled[(30, 10.0)]["auc_sen_tiw"])
    assert forecast_curves(dataclasses.replace(result, forecast=[])) is None


# ------------------------------------------------------------------------------------------ config
def test_forecast_stage_loads_validates_and_stays_out_of_the_fold_hash():
    c = sweep_config_from_dict(
        {"forecast": {"horizons_min": [10, 60], "sph_min": 10, "calibration": "isotonic"}}
    )
    assert c.forecast.horizons_min == (10.0, 60.0) and c.forecast_sph_min == 10.0
    assert SweepConfig().forecast_sph_min == SweepConfig().alarms.sph_min == 5.0
    assert c.fold_hash() == SweepConfig().fold_hash() and c.hash() != SweepConfig().hash()
    with pytest.raises(ConfigError, match=r"\[forecast\]: unknown key 'horizon'"):
        sweep_config_from_dict({"forecast": {"horizon": 10}})
    for bad, match in [
        ({"horizons_min": []}, "horizons_min"),
        ({"horizons_min": [10, 10.0]}, "distinct"),
        ({"calibration": "beta"}, "calibration"),
        ({"prior": "uniform"}, "prior"),
        ({"tiw": 0}, "tiw"),
        ({"n_bins": 0}, "n_bins"),
        ({"n_surrogates": -1}, "n_surrogates"),
        ({"horizons_min": [0.05]}, "forecast.horizons_min"),  # under one 5-s window
    ]:
        with pytest.raises(ConfigError, match=match):
            sweep_config_from_dict({"forecast": bad})
    with pytest.raises(ConfigError, match="forecast.sph_min"):
        sweep_config_from_dict({"label": {"sph_min": 2.0}, "forecast": {"sph_min": 1.0}})
