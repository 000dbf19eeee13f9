"""experiments/: the sweep configs load and say what docs/method.md says, and reproduce_table1.py runs, refuses
to make numbers up without data, and plans the paper's models from the committed manifests."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import filecmp
import importlib.util
import io
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from seizurepred.io.manifest import known_cases
from seizurepred.labels.segments import label_segments
from seizurepred.sweep import load_sweep_config
from seizurepred.synth.demo import demo_sweep_config

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"
PAPER_TABLE1 = EXPERIMENTS.parent / "docs" / "paper_table1.csv"  # the paper's Table 1, committed
SCRIPT = EXPERIMENTS / "reproduce_table1.py"
NOT_RUN = "not run: the real CHB-MIT EDF files are not present"
#: The tiny end-to-end models give flat outputs: CIOPR fits are undefined (NaN with a warning), as expected.
pytestmark = pytest.mark.filterwarnings("ignore::seizurepred.evaluation.metrics.UndefinedMetricWarning")


@pytest.fixture(scope="module")
def rt():
    spec = importlib.util.spec_from_file_location("experiments_reproduce_table1", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def manifests():
    if len(known_cases()) < 24:
        pytest.skip("committed manifests (data_manifests/) not present")


# ---------------------------------------------------------------------------------------------- configs
def test_paper_toml_is_the_papers_protocol():
    c = load_sweep_config(EXPERIMENTS / "paper.toml")
    assert c.preictal_mins == (60, 45, 30, 15)
    assert (c.protocol, c.repeats, c.model, c.channels) == ("paper", 4, "cnn_transformer", "paper23")
    assert c.max_folds is None and c.max_train_windows is None
    lab = c.label
    assert (lab.sph_min, lab.interictal_before_onset_min, lab.interictal_after_end_min) == (0.0, 240.0, 60.0)
    assert (lab.postictal_exclusion_min, lab.min_preictal_min, lab.min_seizures) == (60.0, 1.0, 2)
    assert lab.leading_seizure_min is None
    t = c.train
    assert (t.lr, t.amsgrad, t.batch_size, t.max_epochs, t.patience) == (1e-3, True, 64, 100, 20)
    w = c.window
    assert (w.window_s, w.interictal_overlap, w.balance) == (5.0, 0.0, True)
    assert w.preictal_overlap == pytest.approx(2 / 3)
    p = c.preprocess
    assert (p.l_freq_hz, p.h_freq_hz, p.car, p.fir_design) == (0.5, 45.0, True, "firwin")
    assert (c.ciopr.output, c.ciopr.threshold, c.ciopr.block_min, c.ciopr.spc_level) == (
        "rounded",
        0.5,
        8.0,
        0.99,
    )
    assert c.ciopr.spc_n_mean == 3
    assert dict(c.model_options)["residual_layernorm"] is False


def test_chronological_differs_only_in_protocol():
    paper = load_sweep_config(EXPERIMENTS / "paper.toml")
    chrono = load_sweep_config(EXPERIMENTS / "chronological.toml")
    assert chrono.protocol == "chronological"
    assert dataclasses.replace(chrono, protocol="paper") == paper


def test_demo_toml_documents_the_builtin_demo():
    assert load_sweep_config(EXPERIMENTS / "demo.toml") == demo_sweep_config()


@pytest.mark.parametrize("name", ["paper.toml", "chronological.toml", "demo.toml"])
def test_every_setting_is_commented(name):
    for i, line in enumerate((EXPERIMENTS / name).read_text(encoding="utf-8").splitlines(), 1):
        if "=" in line and not line.lstrip().startswith("#"):
            assert "#" in line, f"{name} line {i} has no comment: {line}"


# ---------------------------------------------------------------------------------------------- paper table
def test_embedded_table_is_the_committed_one(rt):
    """The table reproduce_table1.py embeds is docs/paper_table1.csv, the paper's Table 1 as committed."""
    assert rt.PAPER_TABLE1_CSV.strip() == PAPER_TABLE1.read_text(encoding="utf-8").strip()


def test_paper_table_gives_the_published_summary(rt):
    """docs/method.md section 3: the paper's means +- population SD and the OPP counts."""
    table = rt.paper_table()
    assert len(table) == 19 and "chb08" not in table
    published = {
        "sens": (99.31, 1.20),
        "spec": (95.34, 6.38),
        "acc": (97.32, 3.76),
        "f1": (97.46, 3.41),
        "auc": (99.35, 1.61),
    }
    for col, (mean, sd) in published.items():
        values = np.array([r[col] for r in table.values()])
        assert values.mean() == pytest.approx(mean, abs=0.006)
        assert values.std() == pytest.approx(sd, abs=0.006)
    spc = np.array([r["spc"] for r in table.values()])
    spc = spc[np.isfinite(spc)]
    # the paper prints 76.8 +- 36.8 (13 patients); its rounded per-patient values give 76.6
    assert (
        spc.size == 13
        and spc.mean() == pytest.approx(76.8, abs=0.3)
        and spc.std() == pytest.approx(36.8, abs=0.1)
    )
    opp = sorted((r["opp"] for r in table.values()), reverse=True)
    assert {k: opp.count(k) for k in opp} == {60: 11, 45: 5, 30: 2, 15: 1}
    assert "sens % 99.31 ± 1.20" in rt.paper_summary_line()


def _row(rt, case, **values):
    """A case row as :func:`case_row` makes it, with the paper's values of ``case`` and ours from ``values``."""
    paper = rt.paper_table()[case]
    row = {"case": case, "files": "1/1", "n_models": 4, "opp": 30, "criterion": "F1"}
    row.update({"paper_opp": paper["opp"], "paper_criterion": paper["criterion"]})
    for short, *_ in rt.METRICS:
        row[short] = values.get(short, 90.0)
        row[f"{short}_at_paper_opp"] = values.get(f"{short}_at_paper_opp", 80.0)
        row[f"paper_{short}"] = paper[short]
    return row


def test_summary_rows_average_the_same_cases_on_both_sides(rt):
    rows = [
        _row(rt, "chb01", sens=90.0, spc=40.0),
        _row(
            rt, "chb02", sens=80.0, spc=math.nan, sens_at_paper_opp=math.nan
        ),  # no CIOPR; paper's OPP not swept
        _row(rt, "chb03", sens=70.0, spc=30.0),  # the paper has no SPC for chb03 (OPP by F1)
    ]
    before = [dict(r) for r in rows]
    summary = {(s["comparison"], s["metric"]): s for s in rt.summary_rows(rows)}
    assert rows == before, "inputs must not be mutated"
    assert len(summary) == 2 * len(rt.METRICS)
    sens = summary[("our_opp", "sens")]
    assert (sens["n_cases"], sens["cases"]) == (3, "chb01 chb02 chb03")
    assert sens["ours_mean"] == pytest.approx(80.0) and sens["ours_sd"] == pytest.approx(math.sqrt(200 / 3))
    assert sens["paper_mean"] == pytest.approx((100.0 + 99.76 + 99.87) / 3)
    # SPC: chb02 has none of ours, chb03 none of the paper's: both sides average chb01 alone
    spc = summary[("our_opp", "spc")]
    assert (spc["n_cases"], spc["cases"], spc["ours_mean"], spc["paper_mean"]) == (1, "chb01", 40.0, 61.8)
    assert spc["ours_sd"] == 0.0 and spc["paper_sd"] == 0.0
    at = summary[("paper_opp", "sens")]
    assert (at["n_cases"], at["cases"], at["ours_mean"]) == (2, "chb01 chb03", 80.0)
    assert at["paper_mean"] == pytest.approx((100.0 + 99.87) / 2)
    none = rt.summary_rows([_row(rt, "chb03", spc=30.0)])
    spc3 = next(s for s in none if (s["comparison"], s["metric"]) == ("our_opp", "spc"))
    assert spc3["n_cases"] == 0 and math.isnan(spc3["ours_mean"]) and math.isnan(spc3["paper_mean"])


def test_case_row_at_our_opp_and_at_the_papers(rt):
    """chb01: our OPP (the paper's criterion on our sweep) 30 min; the paper's OPP 45 min; 60 min not swept."""
    from types import SimpleNamespace

    def pooled(k, sens):
        return {"preictal_min": k, "sensitivity": sens, "specificity": 0.5, "accuracy": 0.6, "f1": 0.7,
                "auc": 0.8, "segment_far_per_h": 360.0, "spc_min_mean": float(k)}  # fmt: skip

    result = SimpleNamespace(case="chb01", segments=[{}] * 8, pooled=[pooled(45, 0.25), pooled(30, 0.75)],
                             paper_opp_min=30, paper_opp_criterion="CIOPR")  # fmt: skip
    row = rt.case_row(result, n_files=40, n_files_total=42)
    assert (row["files"], row["n_models"], row["opp"], row["criterion"]) == ("40/42", 8, 30, "CIOPR")
    assert (row["sens"], row["spec"], row["far"], row["spc"]) == (75.0, 50.0, 360.0, 30.0)
    assert (row["paper_opp"], row["sens_at_paper_opp"], row["spc_at_paper_opp"]) == (45, 25.0, 45.0)
    assert (row["paper_sens"], row["paper_spc"], row["paper_criterion"]) == (100.0, 61.8, "CIOPR")
    chb05 = rt.case_row(SimpleNamespace(**{**vars(result), "case": "chb05"}), n_files=1, n_files_total=1)
    assert chb05["paper_opp"] == 60 and math.isnan(chb05["sens_at_paper_opp"])  # 60 min was not swept


def test_reasons_are_given_once(rt):
    skipped = [{"preictal_min": k, "reason": "not eligible: 1 usable seizure(s) (< min_seizures = 2)"}
               for k in (60, 45)] + [{"preictal_min": 15, "reason": "no paper split could be made"}]  # fmt: skip
    assert rt.reasons_once(skipped) == (
        "60/45 min: not eligible: 1 usable seizure(s) (< min_seizures = 2); 15 min: no paper split could be made"
    )


# ---------------------------------------------------------------------------------------------- no data
@pytest.fixture
def no_env(monkeypatch):
    monkeypatch.delenv("SEIZUREPRED_CHBMIT_ROOT", raising=False)


def test_not_run_without_data_root(rt, no_env, tmp_path, capsys):
    assert rt.main(["--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert out.startswith(NOT_RUN) and "no --data-root" in out
    assert not (tmp_path / "out").exists(), "nothing may be written when nothing ran"
    assert rt.main(["--out", str(tmp_path / "out"), "--require-data"]) == 2


def test_not_run_with_empty_root(rt, no_env, tmp_path, capsys):
    root = tmp_path / "data"
    (root / "chb01").mkdir(parents=True)
    (root / "chb01" / "chb01-summary.txt").write_text("no EDF here\n")
    code = rt.main(["--data-root", str(root), "--out", str(tmp_path / "out"), "--require-data"])
    out = capsys.readouterr().out
    assert code == 2 and NOT_RUN in out and str(root) in out
    assert not (tmp_path / "out").exists()


def test_data_root_from_environment(rt, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("SEIZUREPRED_CHBMIT_ROOT", str(tmp_path))
    assert rt.main(["--out", str(tmp_path / "out")]) == 0
    assert f"looked in {tmp_path} for folders chb01" in capsys.readouterr().out


def test_bad_config_is_one_line_error(rt, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[sweep]\nrepeat = 4\n")
    assert rt.main(["--config", str(bad), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'repeat'" in err and len(err.strip().splitlines()) == 1


def test_ray_options_are_refused_with_the_serial_executor(rt, capsys):
    assert rt.main(["--dry-run", "--cases", "chb01", "--address", "auto"]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == "error: Invalid value for 'address': allowed only with executor 'ray'; got it with executor 'serial'.\n"
    )


def test_ray_executor_without_ray_says_how_to_install_it(rt, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # "import ray" raises ImportError
    assert rt.main(["--dry-run", "--cases", "chb01", "--executor", "ray"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and 'Ray is not installed: pip install -e ".[ray]"' in err


# ---------------------------------------------------------------------------------------------- dry run
def _plan_lines(text: str) -> dict[str, str]:
    return {m.group(1): line for line in text.splitlines() if (m := re.match(r"(chb\d\d): ", line))}


def test_dry_run_from_committed_manifests(rt, manifests, capsys):
    assert rt.main(["--dry-run"]) == 0
    text = capsys.readouterr().out
    lines = _plan_lines(text)
    assert tuple(lines) == rt.PAPER_CASES
    assert lines["chb01"].startswith("chb01: 7 seizures;")
    models = {c: int(re.search(r"models: (\d+)", line).group(1)) for c, line in lines.items()}
    total = int(re.search(r"total: (\d+) models for 19 cases", text).group(1))
    assert total == sum(models.values())
    # paper protocol: one fold per usable seizure, for each of 4 lengths and 4 repeats (independent count)
    paper = load_sweep_config(EXPERIMENTS / "paper.toml")
    for case in ("chb01", "chb06", "chb16"):
        usable = [
            len(label_segments(rt.load_manifest(case), config=paper.label_for(k)).usable_seizure_ids)
            for k in paper.preictal_mins
        ]
        assert models[case] == sum(usable) * paper.repeats, case
        assert f"usable at 60/45/30/15 min: {'/'.join(map(str, usable))}" in lines[case]
    assert models["chb01"] == 5 * 4 * 4  # eligibility.md: 5 of chb01's 7 seizures usable at 60 min


def test_dry_run_chronological_trains_fewer(rt, manifests, capsys):
    args = ["--dry-run", "--cases", "chb01,chb06"]
    rt.main(args)
    paper = _plan_lines(capsys.readouterr().out)
    rt.main([*args, "--config", str(EXPERIMENTS / "chronological.toml")])
    chrono = _plan_lines(capsys.readouterr().out)
    assert set(chrono) == {"chb01", "chb06"}
    for case in chrono:
        n_paper, n_chrono = (int(re.search(r"models: (\d+)", d[case]).group(1)) for d in (paper, chrono))
        assert 0 < n_chrono < n_paper  # the first seizure has no past to train on


def test_dry_run_shows_each_warning_once(manifests):
    """Planning builds a window index per length x repeat (and again per fold); each says the same thing."""
    proc = subprocess.run([sys.executable, str(SCRIPT), "--dry-run", "--cases", "chb14,chb16"],
                          capture_output=True, text=True, timeout=300, check=True)  # fmt: skip
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == len(set(warnings)), proc.stderr
    chb14 = [line for line in warnings if "chb14: only" in line and "cannot balance" in line]
    # one message per length that cannot balance (60 and 45 min since 1 h of chb14's 10 interictal hours is held out
    # as the selector's reference), not one per length x repeat (16 window indexes)
    assert len(chb14) == 2, proc.stderr
    assert set(_plan_lines(proc.stdout)) == {"chb14", "chb16"}


# ---------------------------------------------------------------------------------------------- end to end
TINY_TOML = """
[sweep]
preictal_mins = [45, 15]
repeats = 1
model = "small"
max_train_windows = 200
n_surrogates = 10
[label]
interictal_before_onset_min = 90.0
interictal_after_end_min = 30.0
[train]
max_epochs = 1
patience = 1
device = "cpu"
num_threads = 1
"""
#: Two eligible synthetic cases (8 h, 2 seizures), one with a single seizure (not eligible), one absent.
SWEPT, INELIGIBLE, ABSENT = ("chb01", "chb05"), "chb02", "chb03"
NOT_ELIGIBLE = "45/15 min: not eligible: 1 usable seizure(s) (< min_seizures = 2)"


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """``(argv, out)`` of a table 1 run over three synthetic cases and an absent one (nothing run yet)."""
    from seizurepred.synth import generate_patient
    from seizurepred.synth.demo import short_synth_config

    tmp = tmp_path_factory.mktemp("table1")
    for case, seed in zip(SWEPT, (3, 4)):
        generate_patient(
            tmp / "data", config=dataclasses.replace(short_synth_config(seed=seed), patient=case)
        )
    one = dataclasses.replace(short_synth_config(hours=4.0, n_seizures=1), patient=INELIGIBLE)
    generate_patient(tmp / "data", config=one)
    (tmp / "tiny.toml").write_text(TINY_TOML)
    cases = ",".join([*SWEPT, INELIGIBLE, ABSENT])
    argv = ["--data-root", str(tmp / "data"), "--config", str(tmp / "tiny.toml"), "--cases", cases,
            "--cache-dir", str(tmp / "cache")]  # fmt: skip
    return argv, tmp


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def serial_table(rt, synthetic):
    """Run the script serially: ``(exit code, pools, out, stdout, stderr)``; ``pools`` records each executor call."""
    import seizurepred.sweep.executors as executors

    argv, tmp = synthetic
    pools = []
    real = executors.SerialExecutor.run

    def run(self, tasks, *, patients, **kwargs):
        pools.append((sorted({t.fold.case for t in tasks}), sorted(patients), len(tasks)))
        return real(self, tasks, patients=patients, **kwargs)

    stdout, stderr = io.StringIO(), io.StringIO()
    executors.SerialExecutor.run = run
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = rt.main([*argv, "--out", str(tmp / "serial")])
    finally:
        executors.SerialExecutor.run = real
    return code, pools, tmp / "serial", stdout.getvalue(), stderr.getvalue()


@pytest.mark.slow
def test_end_to_end_on_synthetic_patients(serial_table):
    code, pools, out, printed, errors = serial_table
    assert code == 0
    assert pools == [(list(SWEPT), list(SWEPT), 8)], "one pool: 2 cases x 2 lengths x 2 held-out seizures"
    rows = {r["case"]: r for r in _csv(out / "table1.csv")}
    assert list(rows) == list(SWEPT)  # chb02 has no fold, chb03 no files: no row for either
    for case in SWEPT:
        row = rows[case]
        assert row["files"] == "8/8" and row["n_models"] == "4"  # 2 lengths x 2 held-out seizures x 1 repeat
        summary = json.loads((out / case / "summary.json").read_text())
        pooled = {int(r["preictal_min"]): r for r in _csv(out / case / "pooled.csv")}
        # ours at our OPP: the paper's criterion on our sweep, and the pooled figures at that length
        assert (int(row["opp"]), row["criterion"]) == (
            summary["paper_opp_min"],
            summary["paper_opp_criterion"],
        )
        at_ours, at_paper = pooled[int(row["opp"])], pooled.get(int(row["paper_opp"]))
        assert float(row["sens"]) == pytest.approx(100 * float(at_ours["sensitivity"]))
        assert float(row["far"]) == pytest.approx(float(at_ours["segment_far_per_h"]))
        if case == "chb01":  # the paper's OPP, 45 min, was swept: ours at it
            assert (row["paper_opp"], row["paper_criterion"], row["paper_sens"]) == ("45", "CIOPR", "100.0")
            assert float(row["auc_at_paper_opp"]) == pytest.approx(100 * float(at_paper["auc"]))
        else:  # chb05's OPP in the paper is 60 min: not swept, no figure
            assert row["paper_opp"] == "60" and at_paper is None and row["auc_at_paper_opp"] == ""
    summary = {(s["comparison"], s["metric"]): s for s in _csv(out / "table1_summary.csv")}
    auc = summary[("our_opp", "auc")]
    assert (auc["n_cases"], auc["cases"]) == ("2", "chb01 chb05")
    assert float(auc["ours_mean"]) == pytest.approx(np.mean([float(rows[c]["auc"]) for c in SWEPT]))
    assert float(auc["paper_mean"]) == pytest.approx((99.99 + 99.87) / 2)
    at = summary[("paper_opp", "auc")]
    assert (at["n_cases"], at["cases"], float(at["paper_mean"]), float(at["paper_sd"])) == (
        "1",
        "chb01",
        99.99,
        0.0,
    )
    md = (out / "table1.md").read_text(encoding="utf-8")
    assert md in printed
    assert "| chb01 | 8/8 | 4 |" in md and "| chb01 | 45 |" in md and "| chb05 | 60 |" in md
    assert "(n=2)" in md and "(n=1)" in md and "no nested selection" in md
    assert f"Not run (no .edf files under {out.parent / 'data'}): {ABSENT}." in md
    assert f"- {INELIGIBLE}: {NOT_ELIGIBLE}" in md
    for text in (md, printed, errors):
        assert "not eligible: not eligible" not in text and text.count("not eligible") <= 1
    for name in ("report.md", "pooled.csv", "summary.json", "sweep_config.json"):
        assert (out / "chb01" / name).is_file(), name
    assert not (out / INELIGIBLE).exists(), "an ineligible case is neither cached nor given a run folder"


@pytest.mark.slow
def test_end_to_end_resumes_without_training(rt, serial_table, synthetic, monkeypatch):
    import seizurepred.sweep.executors as executors

    argv, _ = synthetic
    out = serial_table[2]
    md = (out / "table1.md").read_text(encoding="utf-8")

    def boom(*args, **kwargs):
        raise AssertionError("a finished fold was trained again")

    monkeypatch.setattr(executors, "run_fold", boom)
    assert rt.main([*argv, "--out", str(out)]) == 0
    assert (out / "table1.md").read_text(encoding="utf-8") == md


@pytest.mark.slow
def test_end_to_end_on_ray_gives_the_same_tables(rt, serial_table, synthetic):
    """--executor ray: one pool of both cases' folds on a local Ray; every table byte for byte as the serial run."""
    ray = pytest.importorskip("ray")
    argv, tmp = synthetic
    serial = serial_table[2]
    out = tmp / "ray"
    try:
        assert rt.main([*argv, "--out", str(out), "--executor", "ray"]) == 0
    finally:
        ray.shutdown()
    names = ["table1.csv", "table1_summary.csv"]
    names += [
        f"{case}/{n}" for case in SWEPT for n in ("segments.csv", "pooled.csv", "ciopr.csv", "events.csv")
    ]
    match, mismatch, errors = filecmp.cmpfiles(serial, out, names, shallow=False)
    assert (mismatch, errors) == ([], [])
