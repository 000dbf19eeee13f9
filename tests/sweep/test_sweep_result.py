"""seizurepred.sweep.aggregate on hand-built folds: pooled metrics, CIOPR rows, the OPP selector beside paper
CIOPR, summary.

The hand-built outputs reproduce the demo's failure of CIOPR: the 60-min model fires early (from 100 min before
onset) and, on reference EEG, in long bursts; the 15-min model fires only near onset. CIOPR reads the early firing
as early convergence and picks 60; the selector sees that the 60-min model's band is no higher than the stretch
before it (no change begins at 60 min) and picks 15."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from _factories import fold_result
from sklearn.metrics import f1_score, roc_auc_score

from seizurepred.evaluation.ciopr import ciopr_compare, ciopr_terms
from seizurepred.evaluation.continuous import ContinuousOutput
from seizurepred.evaluation.metrics import pool_folds
from seizurepred.evaluation.reference import ReferenceOutput
from seizurepred.io.manifest import Manifest, Recording, Seizure
from seizurepred.sweep.aggregate import aggregate
from seizurepred.sweep.config import SweepConfig
from seizurepred.sweep.fold_result import FoldResult
from seizurepred.sweep.result import SweepResult

N_WIN = 2880  # 4 h of 5 s windows
TIMES_MIN = np.arange(N_WIN, 0, -1) * 5.0 / 60.0
LENGTHS = (60, 15)
# the 60-min model converges 100 min before onset (early: CIOPR 1), the 15-min model only 20 min before
STEP_MIN = {60: 100.0, 15: 20.0}
CHANNELS = ("FP1-F7",)


def _manifest() -> Manifest:
    recs = (
        Recording("chb98_01.edf", 0.0, 18000.0, CHANNELS, (Seizure(14400.0, 14460.0),)),
        Recording("chb98_02.edf", 36000.0, 54000.0, CHANNELS, (Seizure(14400.0, 14430.0),)),
    )
    return Manifest(case="chb98", sfreq=256.0, recordings=recs)


def _cont(seizure_id: int, step_min: float) -> ContinuousOutput:
    return ContinuousOutput(
        seizure_id=seizure_id,
        times_min_before_onset=TIMES_MIN,
        probs=(TIMES_MIN <= step_min).astype(np.float64),
        record_hours=4.0,
        window_s=5.0,
    )


def _scores(k: int, seizure_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Test windows: the 15-min model is perfect, the 60-min one misses preictal windows (lower F1)."""
    rng = np.random.default_rng(100 * k + seizure_id)
    y_true = np.array([1] * 10 + [0] * 10, dtype=np.int8)
    if k == 15:
        y_score = np.where(y_true == 1, 0.9, 0.1) + rng.uniform(-0.05, 0.05, 20)
    else:
        y_score = np.where(y_true == 1, 0.6, 0.1) + rng.uniform(-0.05, 0.05, 20)
        y_score[:5] = 0.3  # five preictal windows missed
    return y_true, y_score.astype(np.float32)


N_REF = 2880  # 4 h of reference EEG


def _ref(k: int) -> ReferenceOutput:
    """The 60-min model fires on reference EEG too, in 1-h bursts; the 15-min model does not."""
    probs = (np.arange(N_REF) // 720 % 2).astype(float) if k == 60 else np.zeros(N_REF)
    return ReferenceOutput(np.arange(N_REF) * 5.0, probs, np.zeros(N_REF, int), 5.0)


def _fold(k: int, seizure_id: int, *, repeat: int = 0, continuous: bool = True) -> FoldResult:
    y_true, y_score = _scores(k, seizure_id)
    return fold_result(
        preictal_min=k,
        seizure_id=seizure_id,
        repeat=repeat,
        protocol="paper",
        sizes={"train": 200, "train_used": 100, "val": 20, "test": 20},
        best_epoch=2,
        n_epochs=5,
        train_s=3.14159,
        device="cpu",
        metrics={"sensitivity": 1.0, "specificity": 1.0, "accuracy": 1.0, "f1": 1.0, "auc": math.nan},
        y_true=y_true,
        y_score=y_score,
        continuous=_cont(seizure_id, STEP_MIN[k]) if continuous else None,
        reference=_ref(k) if continuous else None,
    )


def _config(**kw) -> SweepConfig:
    return SweepConfig(preictal_mins=LENGTHS, n_surrogates=10, **kw)


def _aggregate(folds, *, config=None, skipped=()):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return aggregate(_manifest(), folds, config=config or _config(), skipped=list(skipped))


@pytest.fixture(scope="module")
def result() -> SweepResult:
    return _aggregate([_fold(k, sid) for k in LENGTHS for sid in (0, 1)])


def test_pooled_metrics_equal_pool_folds_on_the_concatenation(result):
    assert [r["preictal_min"] for r in result.pooled] == list(LENGTHS)
    for row in result.pooled:
        k = row["preictal_min"]
        pairs = [_scores(k, sid) for sid in (0, 1)]
        want = pool_folds(pairs, window_s=5.0)
        assert row["n_folds"] == 2
        for m in ("sensitivity", "specificity", "accuracy", "f1", "auc", "segment_far_per_h"):
            assert row[m] == pytest.approx(want[m]), m
        # independent reference for two of them
        yt = np.concatenate([p[0] for p in pairs])
        ys = np.concatenate([p[1] for p in pairs])
        assert row["f1"] == pytest.approx(f1_score(yt, ys >= 0.5))
        assert row["auc"] == pytest.approx(roc_auc_score(yt, ys))


def test_pooled_ignores_the_per_fold_metrics_dict(result):
    # the folds' stored metrics say f1 = 1.0 everywhere; pooled must come from y_true / y_score
    f1 = {r["preictal_min"]: r["f1"] for r in result.pooled}
    assert f1[15] == pytest.approx(1.0)
    assert f1[60] < 1.0


def test_ciopr_rows_for_every_length_and_seizure(result):
    keys = sorted((r["preictal_min"], r["seizure_id"], r["repeat"]) for r in result.ciopr)
    assert keys == sorted((k, sid, 0) for k in LENGTHS for sid in (0, 1))
    for r in result.ciopr:
        assert r["case"] == "chb98"
        assert r["record_hours"] == 4.0
        assert "reason" in r


def test_earlier_converging_output_gets_ciopr_one(result):
    by = {(r["preictal_min"], r["seizure_id"]): r for r in result.ciopr}
    for sid in (0, 1):
        assert by[(60, sid)]["ciopr"] == pytest.approx(1.0)
        assert 0.0 < by[(15, sid)]["ciopr"] < 1.0
        # the same numbers as the evaluation API applied directly
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            direct = ciopr_compare({k: ciopr_terms(_cont(sid, STEP_MIN[k])) for k in LENGTHS})
        for k in LENGTHS:
            assert by[(k, sid)]["ciopr"] == pytest.approx(direct[k].ciopr)
            assert by[(k, sid)]["spc_min"] == pytest.approx(direct[k].terms.spc_min)


def test_pooled_ciopr_columns(result):
    by = {r["preictal_min"]: r for r in result.pooled}
    assert by[60]["ciopr_mean"] == pytest.approx(1.0)
    assert by[60]["n_ciopr_seizures"] == 2 and by[15]["n_ciopr_seizures"] == 2
    spc = {(r["preictal_min"], r["seizure_id"]): r["spc_min"] for r in result.ciopr}
    assert by[15]["spc_min_mean"] == pytest.approx((spc[(15, 0)] + spc[(15, 1)]) / 2)
    assert by[60]["spc_min_mean"] > by[15]["spc_min_mean"]


def test_selector_and_paper_ciopr_side_by_side(result):
    f1 = {r["preictal_min"]: r["f1"] for r in result.pooled}
    assert f1[15] > f1[60]
    assert (result.paper_opp_min, result.paper_opp_criterion) == (60, "CIOPR")  # early firing = "convergence"
    assert (result.opp_min, result.opp_criterion) == (15, "preictal-band test")
    ev = {e["preictal_min"]: e for e in result.opp_evidence}
    assert (ev[60]["band_lo_min"], ev[60]["band_hi_min"]) == (15.0, 60.0) and not ev[60]["significant"]
    assert ev[60]["contrast"] == pytest.approx(1.0 - 40.0 / 45.0)  # the band vs the 45 min before it
    # 4 h of reference hold only 2 independent 90-min contrasts: the 60-min band cannot reach alpha, and says so
    assert not ev[60]["testable"] and math.isnan(ev[60]["p_corrected"]) and ev[60]["p_floor"] > 0.05
    assert ev[60]["reason"].startswith("p-value floor 0.17 above alpha 0.05: 2 seizure(s) against 2 independent")
    assert ev[15]["contrast"] == pytest.approx(2.0 / 3.0)
    # both seizures above all 8 shared reference contrasts: the floor 1 / C(10, 2) = 1/45, printed as a bound
    assert ev[15]["significant"] and ev[15]["p_floor"] == pytest.approx(1 / 45, abs=0.003)
    assert ev[15]["p_corrected"] == ev[15]["p_floor"] and ev[15]["n_support"] == 2
    assert (result.opp_verdict, result.opp_interval_min) == ("opp", [0.0, None])  # 60 untested: nothing rules it out
    assert result.opp_verdict_reason.startswith("not tested: 60 min: p-value floor")
    assert result.opp_explanation.startswith("Paper CIOPR picks 60 min, but its band 15-60 min before onset could not")


def test_paper_ciopr_falls_back_to_f1_and_selector_cannot_test_without_outputs():
    """Nothing to test is "not testable", never "no preictal period found" (which reads as evidence of absence)."""
    res = _aggregate([_fold(k, sid, continuous=False) for k in LENGTHS for sid in (0, 1)])
    assert res.ciopr == []
    assert res.events == []
    assert (res.paper_opp_min, res.paper_opp_criterion) == (15, "F1")
    assert (res.opp_min, res.opp_criterion, res.opp_verdict) == (None, "not testable", "not_testable")
    assert res.opp_interval_min is None and res.summary()["opp_verdict"] == "not_testable"
    assert res.opp_verdict_reason == "15 min: 0 held-out seizure(s) testable (need 2); 60 min: 0 held-out seizure(s) testable (need 2)"
    assert all("held-out seizure(s)" in e["reason"] for e in res.opp_evidence)
    for row in res.pooled:
        assert math.isnan(row["ciopr_mean"]) and math.isnan(row["spc_min_mean"])
        assert row["n_ciopr_seizures"] == 0


def test_no_folds_gives_no_opp():
    skipped = [{"preictal_min": 60, "reason": "not eligible: too few seizures"}]
    res = _aggregate([], skipped=skipped)
    assert res.pooled == [] and res.segments == [] and res.ciopr == []
    assert res.opp_min is None and res.opp_criterion == "not testable" and res.opp_verdict == "not_testable"
    assert res.paper_opp_min is None and res.paper_opp_criterion == "none"
    assert res.skipped == skipped
    json.dumps(res.summary())


def test_segments_table_one_row_per_fold(result):
    assert len(result.segments) == 4
    row = result.segments[0]
    assert row["case"] == "chb98"
    assert row["n_train"] == 100  # train_used wins over train
    assert row["n_val"] == 20 and row["n_test"] == 20
    assert "train_s" not in row and row["status"] == "ok"  # wall-clock time only in timings.csv
    assert math.isnan(row["auc"])  # from the fold's own metrics
    assert {(r["preictal_min"], r["seizure_id"]) for r in result.segments} == {
        (k, sid) for k in LENGTHS for sid in (0, 1)
    }


def test_timings_and_failed_folds_kept_out_of_pooled_figures():
    from _factories import make_fold

    from seizurepred.sweep.aggregate import timing_rows
    from seizurepred.sweep.fold_result import failed_result

    folds = [_fold(k, sid) for k in LENGTHS for sid in (0, 1)]
    bad = failed_result(make_fold(15, 1), "RuntimeError: out of\n memory")
    res = _aggregate(folds[:3] + [bad])
    assert [r["status"] for r in res.segments] == ["ok", "ok", "ok", "failed"]
    assert math.isnan(res.segments[-1]["f1"])
    assert res.failed == [
        {"preictal_min": 15, "seizure_id": 1, "repeat": 0, "error": "RuntimeError: out of memory"}
    ]
    assert {r["preictal_min"]: r["n_folds"] for r in res.pooled} == {15: 1, 60: 2}
    assert [t["train_s"] for t in timing_rows(folds[:2])] == [3.14, 3.14]


def test_events_rows_present(result):
    assert [(r["preictal_min"], r["repeat"]) for r in result.events] == [(15, 0), (60, 0)]
    for r in result.events:
        assert r["n_seizures"] == 2


def test_repeats_get_their_own_ciopr_rows():
    folds = [_fold(k, sid, repeat=rep) for k in LENGTHS for sid in (0, 1) for rep in (0, 1)]
    res = _aggregate(folds, config=_config(repeats=2))
    assert len(res.ciopr) == 8
    assert {r["n_folds"] for r in res.pooled} == {4}
    assert (res.paper_opp_min, res.opp_min) == (60, 15)


def test_summary_is_json_serialisable(result):
    s = result.summary()
    back = json.loads(json.dumps(s))
    assert back["case"] == "chb98"
    assert back["opp_min"] == 15 and back["opp_criterion"] == "preictal-band test"
    assert back["paper_opp_min"] == 60 and back["paper_opp_criterion"] == "CIOPR"
    assert [e["preictal_min"] for e in back["opp_evidence"]] == [60, 15]
    assert back["protocol"] == "paper"
    assert back["config_hash"] == _config().hash()
    assert len(back["pooled"]) == 2
    assert len(result.folds) == 4


def test_paper_ciopr_readings_table_and_selector_over_repeats():
    """The robustness table crosses output x SPC reading x reconstruction; the selector averages repeats."""
    from seizurepred.sweep.ciopr_table import CIOPR_READINGS, reading_variants
    from seizurepred.sweep.selection import opp_evidence

    folds = [_fold(k, sid, repeat=rep) for k in LENGTHS for sid in (0, 1) for rep in (0, 1)]
    config = _config(repeats=2)
    res = _aggregate(folds, config=config)
    assert len(res.opp_variants) == 16 == len(list(__import__("itertools").product(*CIOPR_READINGS.values())))
    assert sum(v["used"] for v in res.opp_variants) == 1
    again = reading_variants("chb98", folds, config.ciopr, res.pooled, res.ciopr, manifest=_manifest())
    assert again == res.opp_variants
    ev = {e.preictal_min: e for e in opp_evidence(folds, config)}
    assert ev[15].n_seizures == 2 and ev[15].significant and not ev[60].significant
