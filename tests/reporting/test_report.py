"""seizurepred.reporting.report: files written by write_sweep, the Markdown report, the continuous-output figure."""

from __future__ import annotations

import csv
import dataclasses
import json
import math

import numpy as np
import pytest
from _factories import fold_result

from seizurepred.evaluation.continuous import ContinuousOutput
from seizurepred.io.manifest import Manifest, Recording, Seizure
from seizurepred.reporting.report import plot_continuous, render_report, write_sweep
from seizurepred.sweep.config import SweepConfig
from seizurepred.sweep.fold_result import FoldResult
from seizurepred.sweep.forecast_table import forecast_rows
from seizurepred.sweep.result import SweepResult

NAN = math.nan
NOTE = "Data: the built-in synthetic test patient (no real EEG)."


def _cont(seizure_id: int, step_min: float, n_win: int = 1440) -> ContinuousOutput:
    t = np.arange(n_win, 0, -1) * 5.0 / 60.0
    return ContinuousOutput(seizure_id, t, (t <= step_min).astype(float), n_win * 5.0 / 3600.0, 5.0)


def _manifest() -> Manifest:
    """Two 2-h recordings a day apart, a seizure near the end of each (the folds' training seizure rate)."""
    recs = tuple(
        Recording(f"chb97_{i + 1:02d}.edf", i * 86400.0, i * 86400.0 + 7300.0, ("FP1-F7",), (Seizure(7200.0, 7230.0),))
        for i in range(2)
    )
    return Manifest(case="chb97", sfreq=256.0, recordings=recs)


def _val(sid: int) -> dict:
    """Validation windows of the other seizure (the calibration set), scores separating the classes."""
    y = np.repeat(np.array([0, 1], np.int8), 50)
    score = np.clip(0.25 + 0.5 * y + np.linspace(-0.2, 0.2, 100), 0.01, 0.99).astype(np.float32)
    return {"val_true": y, "val_score": score, "val_seizure": np.where(y == 1, 1 - sid, -1).astype(np.int32)}


def _fold(k: int, sid: int, *, repeat: int = 0, continuous: bool = True) -> FoldResult:
    return fold_result(
        preictal_min=k,
        seizure_id=sid,
        repeat=repeat,
        protocol="paper",
        sizes={"train": 10, "val": 2, "test": 4},
        best_epoch=1,
        n_epochs=3,
        train_s=1.0,
        device="cpu",
        metrics={},
        y_true=np.array([0, 1, 0, 1], dtype=np.int8),
        y_score=np.array([0.2, 0.7, 0.4, 0.9], dtype=np.float32),
        continuous=_cont(sid, k) if continuous else None,
        **_val(sid),
    )


def _pooled(k: int, f1: float, ciopr: float) -> dict:
    return {
        "case": "chb97",
        "preictal_min": k,
        "n_folds": 2,
        "sensitivity": 0.5,
        "specificity": 0.875,
        "accuracy": 0.75,
        "f1": f1,
        "auc": NAN,
        "segment_far_per_h": 90.0,
        "spc_min_mean": 40.0,
        "ciopr_mean": ciopr,
        "n_ciopr_seizures": 2 if math.isfinite(ciopr) else 0,
    }


def _result(*, continuous: bool = True, skipped=()) -> SweepResult:
    cfg = SweepConfig(preictal_mins=(60, 15), n_surrogates=0)
    folds = tuple(_fold(k, sid, continuous=continuous) for k in (60, 15) for sid in (0, 1))
    segments = [
        {"case": "chb97", "preictal_min": f.preictal_min, "seizure_id": f.seizure_id, "auc": NAN, "f1": 0.5}
        for f in folds
    ]
    ciopr = []
    events = []
    if continuous:
        ciopr = [
            {"case": "chb97", "preictal_min": k, "seizure_id": sid, "repeat": 0, "spc_min": 40.0,
             "ciopr": 1.0 if k == 60 else 0.5, "rho": NAN, "reason": ""}
            for k in (60, 15)
            for sid in (0, 1)
        ]  # fmt: skip
        events = [
            {"case": "chb97", "preictal_min": k, "repeat": 0, "sop_min": 30.0, "sph_min": 5.0, "n_seizures": 2,
             "n_predicted": 1, "sensitivity": 0.5, "n_false_alarms": 1, "interictal_hours": 6.8,
             "fpr_per_h": 1 / 6.8, "p_random_predictor": 0.123456, "p_surrogate": NAN}
            for k in (60, 15)
        ]  # fmt: skip
    pooled = [_pooled(60, 0.6, 1.0 if continuous else NAN), _pooled(15, 0.8, 0.5 if continuous else NAN)]
    return SweepResult(
        case="chb97",
        config=cfg,
        segments=segments,
        pooled=pooled,
        ciopr=ciopr,
        events=events,
        opp_min=15 if continuous else None,
        opp_criterion="preictal-band test" if continuous else "no preictal period found",
        paper_opp_min=60 if continuous else 15,
        paper_opp_criterion="CIOPR" if continuous else "F1",
        opp_evidence=[_evidence(60, 0.6, False), _evidence(15, 0.001, True)] if continuous else [],
        opp_explanation="Paper CIOPR picks 60 min, but ..." if continuous else "",
        skipped=list(skipped),
        folds=folds,
        forecast=forecast_rows("chb97", folds, config=cfg, manifest=_manifest()) if continuous else [],
    )


def _evidence(k: int, p: float, significant: bool) -> dict:
    lo = 15.0 if k == 60 else 0.0
    return {"case": "chb97", "preictal_min": k, "band_lo_min": lo, "band_hi_min": float(k), "n_seizures": 2,
            "band_mean": 0.4, "before_mean": 0.3, "contrast": 0.1, "reference_sd": 0.05, "p_value": p,
            "p_corrected": min(1.0, 2 * p),
            "significant": significant, "reason": ""}  # fmt: skip


def _strict_json(path):
    def no_constants(name):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=no_constants)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """One write_sweep of the full result, shared by the file checks (plotting is the slow part)."""
    out = tmp_path_factory.mktemp("sweep") / "run"
    return out, write_sweep(_result(), out, data_note=NOTE)


def test_write_sweep_writes_every_file(written):
    out, written = written
    tables = ("segments", "pooled", "opp_evidence", "ciopr", "events", "events_by_seizure", "forecast")
    want = {f"{t}.{ext}" for t in tables for ext in ("csv", "json")}
    want |= {"summary.json", "data.json", "report.md", "continuous.png", "opp_evidence.png", "roc.png", "timings.csv"}
    want |= {"reliability.png", "sen_tiw.png"}
    assert set(written) == want
    for name, path in written.items():
        assert path == out / name
        assert path.is_file() and path.stat().st_size > 0, name
    # nothing else (no temporary files) in the folder
    assert {p.name for p in out.iterdir()} == want
    assert (out / "continuous.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_tables_round_trip(written):
    tmp_path = written[0]
    res = _result()
    for name in ("segments", "pooled", "ciopr", "events", "events_by_seizure", "forecast"):
        rows = _strict_json(tmp_path / f"{name}.json")
        assert len(rows) == len(getattr(res, name))
        with open(tmp_path / f"{name}.csv", newline="", encoding="utf-8") as fh:
            csv_rows = list(csv.DictReader(fh))
        assert len(csv_rows) == len(rows)
    pooled = _strict_json(tmp_path / "pooled.json")
    assert pooled[0]["auc"] is None  # NaN -> null
    assert pooled[0]["f1"] == 0.6
    with open(tmp_path / "pooled.csv", newline="", encoding="utf-8") as fh:
        first = next(csv.DictReader(fh))
    assert math.isnan(float(first["auc"])) and float(first["f1"]) == 0.6


def test_summary_json_is_strict_json_with_nan_as_null(written):
    tmp_path = written[0]
    res = _result()
    summary = _strict_json(tmp_path / "summary.json")
    assert summary["opp_min"] == 15 and summary["opp_criterion"] == "preictal-band test"
    assert summary["paper_opp_min"] == 60 and summary["paper_opp_criterion"] == "CIOPR"
    assert summary["case"] == "chb97"
    assert summary["config_hash"] == res.config.hash()
    assert summary["pooled"][0]["auc"] is None
    assert summary["pooled"][1]["f1"] == 0.8
    # the pooled forecasts' skill per length, first horizon (60 min): the forecast table's pooled rows
    assert summary["forecast_horizon_min"] == 60.0
    pooled = {str(r["preictal_min"]): r["bss"] for r in res.forecast if r["scope"] == "pooled" and r["horizon_min"] == 60}
    assert set(summary["brier_skill"]) == {"60", "15"} and set(pooled) == {"60", "15"}
    for k, bss in summary["brier_skill"].items():
        assert bss == pytest.approx(pooled[k]) if math.isfinite(pooled[k]) else bss is None


def test_forecast_table_and_section(written):
    tmp_path = written[0]
    res = _result()
    rows = _strict_json(tmp_path / "forecast.json")
    assert {(r["scope"], r["preictal_min"], r["horizon_min"]) for r in rows} == {
        (s, k, h) for s in ("fold", "pooled") for k in (60, 15) for h in (60.0, 10.0)
    }
    assert len(rows) == 2 * 2 * (2 + 1)  # lengths x horizons x (2 folds + pooled)
    assert {r["calibration"] for r in rows} == {"platt"}
    with open(tmp_path / "forecast.csv", newline="", encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == len(rows)
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    head = "## Seizure-likelihood forecasts (horizons 60, 10 min, SPH 5 min)"
    assert head in text and text.index("## Event level") < text.index(head)
    assert "calibrated (platt) on that fold's validation windows, never on the held-out seizure" in text
    assert "**Not calibrated:**" not in text
    for r in res.forecast:
        if r["scope"] == "pooled":
            assert f"| {r['preictal_min']} | {r['horizon_min']:.3g} | 2 | {r['n_forecasts']} |" in text
    assert (tmp_path / "reliability.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # a result whose folds carry no validation scores (fold files of an earlier version) says so
    old = tuple(dataclasses.replace(f, val_true=None, val_score=None, val_seizure=None) for f in res.folds)
    rows = forecast_rows("chb97", old, config=res.config, manifest=_manifest())
    text = render_report(dataclasses.replace(res, folds=old, forecast=rows))
    assert "**Not calibrated:** 4 of 4 folds give the raw output (uncalibrated (no validation scores in the fold" in text


def test_report_md_has_opp_line_and_data_note(written):
    tmp_path = written[0]
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert text.startswith("# Preictal-period sweep: chb97")
    assert ('**Optimal preictal period (OPP): 15 min** (`opp_verdict = "opp"`; criterion: preictal-band test, alpha '
            "0.05 over 2 lengths, ordered closed test, shortest first)." in text)

    assert "Paper CIOPR (the paper's criterion, reported beside it): 60 min (CIOPR)." in text
    assert "Paper CIOPR picks 60 min, but ..." in text
    assert NOTE in text


def test_render_report_content():
    res = _result(skipped=[{"preictal_min": 45, "reason": "not eligible: too few seizures"}])
    text = render_report(res, data_note=NOTE)
    assert "segment* rate" in text or "segment rate" in text
    assert "## Paper CIOPR per seizure" in text
    assert "## How the OPP was chosen" in text
    evidence = [ln for ln in text.splitlines() if ln.startswith("| 15 | 0-15 |")]
    assert evidence and "| change |" in evidence[0]
    assert "| 60 | 15-60 | 2 |" in text and "| no change |" in text
    assert "## Event level (SOP 30 min, SPH 5 min" in text
    assert "- 45 min: not eligible: too few seizures" in text
    assert f"`{res.config.hash()}`" in text
    # rates in percent, NaN shown as n/a
    pooled_lines = [ln for ln in text.splitlines() if ln.startswith("| 60 | 2 |")]
    assert pooled_lines and "50.00" in pooled_lines[0] and "n/a" in pooled_lines[0]
    # the result itself is not changed by the percent conversion
    assert res.pooled[0]["sensitivity"] == 0.5


def test_render_report_without_ciopr_or_opp():
    res = _result(continuous=False)
    text = render_report(res)
    assert "no CIOPR" in text
    assert '**Optimal preictal period (OPP): not testable** (`opp_verdict = "not_testable"`): no length could' in text
    assert "no preictal period found" not in text
    assert "Paper CIOPR (the paper's criterion, reported beside it): 15 min (F1)." in text
    assert "## Event level" not in text and "## Seizure-likelihood forecasts" not in text
    none = SweepResult(
        case="chb97", config=res.config, segments=[], pooled=[], ciopr=[], events=[], opp_min=None,
        opp_criterion="none",
    )  # fmt: skip
    assert "**Optimal preictal period (OPP): not testable**" in render_report(none)  # no evidence at all


def test_plot_continuous_returns_none_without_continuous_outputs(tmp_path):
    assert plot_continuous(_result(continuous=False), tmp_path / "c.png") is None
    assert not (tmp_path / "c.png").exists()
    written = write_sweep(_result(continuous=False), tmp_path / "out", data_note=NOTE)
    assert "continuous.png" not in written
    assert not (tmp_path / "out" / "continuous.png").exists()
    assert (tmp_path / "out" / "summary.json").is_file()


def test_plot_continuous_writes_png(tmp_path):
    path = plot_continuous(_result(), tmp_path / "fig.png", max_seizures=1)
    assert path == tmp_path / "fig.png" and path.is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig.png"]


@pytest.mark.parametrize("n_win", [1, 97])
def test_plot_continuous_short_outputs(tmp_path, n_win):
    res = _result()
    short = tuple(dataclasses.replace(f, continuous=_cont(f.seizure_id, 5.0, n_win=n_win)) for f in res.folds)
    res = SweepResult(**{**res.__dict__, "folds": short})
    assert plot_continuous(res, tmp_path / "s.png") == tmp_path / "s.png"
