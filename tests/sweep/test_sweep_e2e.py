"""End to end on small synthetic patients written as real EDF files in the CHB-MIT layout.

A patient with a preictal signature planted 30 min before each onset is generated, cached, labelled for two
preictal lengths, trained with the small model (one fold per held-out seizure), run continuously over each
seizure's pre-onset record and its reference EEG, and evaluated: the OPP selector must give the planted 30 min
exactly; segment metrics, paper CIOPR and the event-level tables come with it. A null patient (no signature) must
give "no preictal period found". The slow cases check that the small model finds a strong signature (AUC > 0.9 on
a held-out seizure) and does not beat chance on a null patient under the chronological protocol.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from seizurepred.reporting import run_sweep, write_sweep
from seizurepred.sweep import SweepConfig, prepare_patient
from seizurepred.synth import generate_patient
from seizurepred.synth.demo import SHORT_RECORD_LABELS, short_synth_config
from seizurepred.training import TrainConfig

SHORT_LABELS = SHORT_RECORD_LABELS


def _patient(root, *, hours, n_seizures, null=False, seed=3):
    generate_patient(
        root, config=short_synth_config(hours=hours, n_seizures=n_seizures, null=null, seed=seed)
    )
    return root


@pytest.fixture(scope="module")
def signature_patient(tmp_path_factory):
    # 12 h and 3 seizures: the least that leaves both lengths testable against the reference every fold shares
    # (2 seizures in 8 h hold 2 independent 30-min reference contrasts: the smallest p would be 0.09 > alpha)
    root = _patient(tmp_path_factory.mktemp("sig"), hours=12.0, n_seizures=3)
    return prepare_patient("chb01", data_root=root, cache_dir=root / "cache")


def _config(**overrides):
    base = dict(
        preictal_mins=(30, 15),
        protocol="paper",
        model="small",
        max_train_windows=1000,
        seed=0,
        label=SHORT_LABELS,
        n_surrogates=20,
        train=TrainConfig(max_epochs=4, patience=2, seed=0, device="cpu"),
    )
    base.update(overrides)
    return SweepConfig(**base)


@pytest.fixture(scope="module")
def sweep_result(signature_patient, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    return run_sweep(signature_patient, config=_config(), out_dir=out), out


def test_cache_reads_each_file_once(signature_patient):
    again = prepare_patient(
        "chb01", data_root=signature_patient.cache.root.parent, cache_dir=signature_patient.cache.root
    )
    assert again.report.built == ()
    assert again.report.bytes_read < 100_000  # headers only
    assert set(again.available) == set(signature_patient.available)


def test_sweep_tables_ciopr_and_opp(sweep_result):
    result, _ = sweep_result
    assert {r["preictal_min"] for r in result.segments} == {30, 15}
    assert len(result.segments) == 6  # 2 lengths x 3 held-out seizures
    for row in result.pooled:
        for m in ("sensitivity", "specificity", "accuracy", "f1", "auc"):
            assert 0.0 <= row[m] <= 1.0
    assert result.ciopr, "every seizure has > 2.5 h before onset: CIOPR rows expected"
    finite = [r for r in result.ciopr if math.isfinite(r["ciopr"])]
    assert finite and max(r["ciopr"] for r in finite) == pytest.approx(1.0)
    # the planted length, by the selector (the default criterion), with the evidence for it
    assert (result.opp_min, result.opp_criterion, result.opp_verdict) == (30, "preictal-band test", "opp")
    assert result.opp_interval_min[0] == 15.0  # begins beyond the 15-min band (30 is the longest swept here)
    ev = {e["preictal_min"]: e for e in result.opp_evidence}
    assert ev[30]["significant"] and (ev[30]["band_lo_min"], ev[30]["band_hi_min"]) == (15.0, 30.0)
    assert ev[30]["n_seizures"] == 3 and ev[30]["band_mean"] > ev[30]["before_mean"] and ev[30]["contrast"] > 0
    # paper CIOPR beside it, under each reading; the configured one is marked
    variants = result.opp_variants
    assert len(variants) == 16 and {v["reconstruction"] for v in variants} == {"koutsouvelis_r1", "none"}
    (used,) = [v for v in variants if v["used"]]
    assert (used["output"], used["spc_mode"], used["reconstruction"]) == ("rounded", "sustained", "koutsouvelis_r1")
    assert used["opp_min"] == result.paper_opp_min
    assert {r["preictal_min"] for r in result.events} == {30, 15}
    assert len(result.events_by_seizure) == 6
    assert {(r["preictal_min"], r["seizure_id"]) for r in result.events_by_seizure} == {
        (k, sid) for k in (30, 15) for sid in (0, 1, 2)
    }
    for row in result.events:
        assert row["n_seizures"] == 3
        mine = [r for r in result.events_by_seizure if r["preictal_min"] == row["preictal_min"]]
        assert row["n_predicted"] == sum(r["predicted"] for r in mine)
        assert row["n_false_alarms"] == sum(r["n_false_alarms"] for r in mine)
        assert 0.0 <= row["sensitivity"] <= 1.0
        assert row["interictal_hours"] > 0


def test_sweep_resumes_without_training(sweep_result, signature_patient, monkeypatch):
    result, out = sweep_result
    import seizurepred.sweep.executors as executors

    def boom(*args, **kwargs):
        raise AssertionError("a finished fold was trained again")

    monkeypatch.setattr(executors, "run_fold", boom)
    again = run_sweep(signature_patient, config=_config(), out_dir=out)
    assert again.segments == result.segments


def test_sweep_refuses_other_config_in_same_folder(sweep_result, signature_patient):
    from seizurepred.errors import ConfigError

    _, out = sweep_result
    with pytest.raises(ConfigError, match="another config"):
        run_sweep(signature_patient, config=_config(seed=1), out_dir=out)


def test_reports_written(sweep_result, tmp_path):
    result, _ = sweep_result
    written = write_sweep(result, tmp_path, data_note="synthetic test patient")
    for name in (
        "segments.csv",
        "pooled.csv",
        "ciopr.csv",
        "events.csv",
        "events_by_seizure.csv",
        "forecast.csv",
        "summary.json",
        "report.md",
    ):
        assert (tmp_path / name).is_file(), name
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["opp_min"] == 30 and summary["paper_opp_min"] == result.paper_opp_min
    assert {"continuous.png", "forecast.csv", "reliability.png", "sen_tiw.png"} <= set(written)
    # forecasts calibrated on each fold's validation windows, the pooled skill per length in the summary
    assert {r["calibration"] for r in result.forecast} == {"platt"}
    assert set(summary["brier_skill"]) == {"30", "15"}
    report = (tmp_path / "report.md").read_text()
    assert '**Optimal preictal period (OPP): 30 min** (`opp_verdict = "opp"`; criterion: preictal-band test' in report
    assert summary["opp_verdict"] == "opp" and summary["opp_interval_min"] == result.opp_interval_min
    assert f"Paper CIOPR (the paper's criterion, reported beside it): {result.paper_opp_min} min" in report


@pytest.mark.slow
def test_null_patient_has_no_preictal_period(tmp_path_factory):
    """Without a signature the sweep names no OPP, with the p-values that say so (paper protocol: its segment
    AUC is inflated by the protocol's leakage, the selector is not)."""
    root = _patient(tmp_path_factory.mktemp("null0"), hours=12.0, n_seizures=3, null=True)
    patient = prepare_patient("chb01", data_root=root, cache_dir=root / "cache")
    result = run_sweep(patient, config=_config(), out_dir=root / "run")
    assert (result.opp_min, result.opp_criterion, result.opp_verdict) == (None, "no preictal period found", "no_change")
    assert all(not e["significant"] and e["p_corrected"] > 0.05 for e in result.opp_evidence)
    assert result.paper_opp_min in (30, 15)  # paper CIOPR names a length anyway
    # nor is the forecasts' skill more than chance: p_skill of every pooled row above 0.05 (Bonferroni over rows)
    pooled = [r for r in result.forecast if r["scope"] == "pooled"]
    assert len(pooled) == 4 and all(r["calibration"] == "platt" for r in pooled)
    assert all(r["p_skill"] * len(pooled) > 0.05 for r in pooled), [(r["preictal_min"], r["horizon_min"],
                                                                       r["bss"], r["p_skill"]) for r in pooled]


@pytest.mark.slow
def test_small_model_finds_strong_signature(signature_patient, tmp_path):
    """Issue 5: AUC > 0.9 on a held-out seizure within a CPU-friendly budget."""
    config = _config(
        preictal_mins=(30,),
        max_train_windows=1500,
        train=TrainConfig(max_epochs=6, patience=3, seed=0, device="cpu"),
    )
    result = run_sweep(signature_patient, config=config, out_dir=tmp_path)
    aucs = [r["auc"] for r in result.segments]
    assert max(aucs) > 0.9, aucs


@pytest.mark.slow
def test_null_patient_does_not_beat_chance_chronologically(tmp_path_factory):
    """Issue 5: without a preictal signature the chronological protocol gives chance-level AUC."""
    root = _patient(tmp_path_factory.mktemp("null"), hours=11.0, n_seizures=3, null=True, seed=5)
    patient = prepare_patient("chb01", data_root=root, cache_dir=root / "cache")
    config = _config(
        preictal_mins=(30,),
        protocol="chronological",
        max_train_windows=1500,
        train=TrainConfig(max_epochs=6, patience=3, seed=0, device="cpu"),
    )
    result = run_sweep(patient, config=config, out_dir=root / "run")
    aucs = np.array([r["auc"] for r in result.segments])
    assert aucs.size >= 1
    assert np.nanmean(aucs) < 0.8, aucs


def test_load_run_reproduces_the_tables_without_training(sweep_result, tmp_path, monkeypatch):
    """A finished run folder read back (no data, no cache, no training) writes the same tables, byte for byte."""
    import filecmp

    import seizurepred.sweep.executors as executors
    from seizurepred.reporting import load_run

    result, out = sweep_result
    monkeypatch.setattr(executors, "run_fold", lambda *a, **k: pytest.fail("load_run must not train"))
    first = write_sweep(result, tmp_path / "a", data_note="note")
    run = load_run(out)
    assert run.manifest.case == "chb01" and run.result.opp_min == result.opp_min == 30
    again = write_sweep(run.result, tmp_path / "b", data_note="note")
    tables = [n for n in first if n.endswith((".csv", ".json"))]
    assert set(tables) == {n for n in again if n.endswith((".csv", ".json"))}
    for name in tables:
        assert filecmp.cmp(first[name], again[name], shallow=False), name
