"""seizurepred.reporting.figures and figures_timeline: what each figure shows, when it is skipped, that synthetic
data says so, and that ``seizurepred report RUN_DIR`` renders a finished run again (tables byte for byte).

The hand-built patient: two 5-h recordings with a 1-h gap, a seizure 4 h into each (clock 4 h and 10 h). Each
fold's output covers the 4 h before its seizure. Alarm rule: 6 of the last 12 outputs >= 0.5, SOP 30 min, SPH
5 min. Planted outputs (``n`` = windows before onset; an output stands at the end of its window):

* ``planted``: positive for n <= 240 (last 20 min): one alarm 19.5 min before onset, correct;
* ``burst``: 12 positive windows 3 h before onset as well: one more alarm, false;
* ``late``: positive for n <= 30 only: one alarm 2 min before onset, inside SPH: neither correct nor false;
* ``quiet``: never positive: no alarm.
"""

from __future__ import annotations

import dataclasses
import filecmp
import math
import warnings

import numpy as np
import pytest
from _factories import fold_result
from click.testing import CliRunner

from seizurepred.evaluation.alarms import AlarmConfig
from seizurepred.evaluation.continuous import ContinuousOutput
from seizurepred.evaluation.metrics import UndefinedMetricWarning
from seizurepred.io.manifest import Manifest, Recording, Seizure
from seizurepred.reporting import load_run, run_sweep, write_sweep
from seizurepred.reporting.figures import (
    SYNTHETIC_TEXT,
    continuous_figure,
    opp_evidence_figure,
    plot_continuous,
    plot_opp_evidence,
    plot_roc,
    roc_figure,
)
from seizurepred.reporting.figures_timeline import (
    alarm_marks,
    alarms_figure,
    labels_figure,
    plot_alarms,
    recordings_figure,
)
from seizurepred.sweep.aggregate import aggregate
from seizurepred.sweep.config import SweepConfig

PNG = b"\x89PNG\r\n\x1a\n"
H = 3600.0
N_WIN = 2880  # 4 h of 5 s windows
ALARMS = AlarmConfig(sop_min=30, sph_min=5, n_windows=12, fp_threshold=0.5)
CHANNELS = ("FP1-F7", "F7-T7")
FIGURES = ("continuous.png", "opp_evidence.png", "roc.png", "alarms.png")


def _manifest() -> Manifest:
    recs = (
        Recording("chb97_01.edf", 0.0, 5 * H, CHANNELS, (Seizure(4 * H, 4 * H + 60.0),)),
        Recording("chb97_02.edf", 6 * H, 11 * H, CHANNELS, (Seizure(4 * H, 4 * H + 40.0),)),
    )
    return Manifest(case="chb97", sfreq=256.0, recordings=recs)


def _n() -> np.ndarray:
    return np.arange(N_WIN, 0, -1)


_PROBS = {
    "planted": lambda n: (n <= 240).astype(float),
    "burst": lambda n: ((n <= 240) | ((n > 2148) & (n <= 2160))).astype(float),
    "late": lambda n: (n <= 30).astype(float),
    "quiet": lambda n: np.zeros(n.size),
}
#: (length, seizure) -> (outputs, the alarms' kinds in time order)
PLAN = {
    (30, 0): ("burst", ["false", "correct"]),
    (30, 1): ("planted", ["correct"]),
    (15, 0): ("late", ["neither"]),
    (15, 1): ("quiet", []),
}
#: test windows per length: 30 min ranks every preictal window first (AUC 1), 15 min three pairs of four
SCORES = {30: [0.2, 0.7, 0.4, 0.9], 15: [0.6, 0.7, 0.4, 0.5]}


def _fold(k: int, sid: int, *, n_win: int = N_WIN, continuous: bool = True):
    n = np.arange(n_win, 0, -1)
    cont = ContinuousOutput(sid, n * 5.0 / 60.0, _PROBS[PLAN[(k, sid)][0]](n), n_win * 5.0 / H, 5.0)
    return fold_result(
        preictal_min=k, seizure_id=sid, sizes={"train": 10, "val": 2, "test": 4}, best_epoch=1, n_epochs=2,
        train_s=1.0, device="cpu", metrics={},
        y_true=np.array([0, 1, 0, 1], dtype=np.int8), y_score=np.array(SCORES[k], dtype=np.float32),
        continuous=cont if continuous else None,
    )  # fmt: skip


CONFIG = SweepConfig(preictal_mins=(30, 15), n_surrogates=0, alarms=ALARMS)


def _result(folds=None, **replace):
    folds = [_fold(k, sid) for k in (30, 15) for sid in (0, 1)] if folds is None else folds
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)  # the quiet fold has no CIOPR, no lead time
        res = aggregate(_manifest(), folds, config=CONFIG)
    return dataclasses.replace(res, **replace) if replace else res


@pytest.fixture(scope="module")
def result():
    return _result()


def _texts(fig) -> list[str]:
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text)]


def _by_gid(fig, gid: str) -> list:
    return [a for a in fig.findobj() if getattr(a, "get_gid", lambda: None)() == gid]


# ------------------------------------------------------------------------------------------- what they show
def test_alarm_marks_are_the_event_tables_alarms(result):
    marks = alarm_marks(result, _manifest())
    for (k, sid), (_, kinds) in PLAN.items():
        assert [m["kind"] for m in marks if (m["preictal_min"], m["seizure_id"]) == (k, sid)] == kinds
        row = next(r for r in result.events_by_seizure if (r["preictal_min"], r["seizure_id"]) == (k, sid))
        assert row["n_alarms"] == len(kinds)
        assert row["n_false_alarms"] == kinds.count("false")
        assert row["predicted"] == ("correct" in kinds)
    onset0 = 4 * H
    correct = next(m for m in marks if (m["preictal_min"], m["seizure_id"], m["kind"]) == (30, 0, "correct"))
    assert correct["clock_s"] == pytest.approx(onset0 - 19.5 * 60.0)  # 6th positive output: n = 235
    late = next(m for m in marks if m["kind"] == "neither")
    assert late["clock_s"] == pytest.approx(onset0 - 120.0)  # n = 25


def test_alarms_figure_rows_and_markers(result):
    fig = alarms_figure(result, _manifest())
    axes = fig.get_axes()
    assert len(axes) == 3  # recordings + one row per length
    assert [ax.get_ylabel().split("\n")[0] for ax in axes[1:]] == ["30 min", "15 min"]
    # the recordings: two bars with the gap between them on the patient clock (hours)
    bars = axes[0].collections[0].get_paths()
    extents = sorted((round(p.get_extents().x0, 6), round(p.get_extents().x1, 6)) for p in bars)
    assert extents == [(0.0, 5.0), (6.0, 11.0)]
    assert [len(m.get_xdata()) for m in _by_gid(fig, "alarm-false")] == [1]
    correct = np.concatenate([m.get_xdata() for m in _by_gid(fig, "alarm-correct")])
    assert sorted(np.round(correct, 4)) == sorted(np.round([(4 * H - 1170) / H, (10 * H - 1170) / H], 4))
    assert axes[-1].get_xlim() == (0.0, 11.0)


def test_continuous_figure_marks_spc_of_the_ciopr_table(result):
    fig = continuous_figure(result)
    axes = fig.get_axes()
    assert len(axes) == 4  # 2 seizures x 2 lengths
    assert [ax.get_title().split(" | ")[0] for ax in axes[:2]] == ["30 min", "15 min"]
    assert axes[3].get_title() == "15 min | no sigmoid fit"  # the quiet fold: flat output, no SPC
    spc = {(r["preictal_min"], r["seizure_id"]): r["spc_min"] for r in result.ciopr}
    lines = _by_gid(fig, "spc")
    drawn = sorted(float(line.get_xdata()[0]) for line in lines)
    want = sorted(-v for v in spc.values() if math.isfinite(v) and v > 0)
    assert drawn == pytest.approx(want) and len(want) == 3  # the quiet fold has no SPC


def test_continuous_panel_without_eligible_tail_says_so(result):
    short = [_fold(k, sid, n_win=1000) if sid == 1 else _fold(k, sid) for k in (30, 15) for sid in (0, 1)]
    fig = continuous_figure(_result(short))
    texts = _texts(fig)
    assert sum("no uninterrupted EEG > 2.5 h" in t for t in texts) == 2  # seizure 1 at both lengths


def test_opp_evidence_figure_marks_the_opp_and_names_both_criteria(result):
    row = {
        "case": "chb97",
        "n_seizures": 2,
        "band_mean": 0.5,
        "before_mean": 0.2,
        "contrast": 0.3,
        "reference_sd": 0.05,
        "p_value": 0.01,
        "p_corrected": 0.02,
        "significant": True,
        "reason": "",
    }
    evidence = [
        {**row, "preictal_min": 30, "band_lo_min": 15.0, "band_hi_min": 30.0},
        {**row, "preictal_min": 15, "band_lo_min": 0.0, "band_hi_min": 15.0, "p_corrected": 0.4, "significant": False},
    ]  # fmt: skip
    res = dataclasses.replace(result, opp_evidence=evidence, opp_min=30, opp_criterion="preictal-band test",
                              paper_opp_min=15, paper_opp_criterion="CIOPR")  # fmt: skip
    fig = opp_evidence_figure(res)
    assert fig.get_suptitle() == "chb97: OPP: 30 min (preictal-band test); paper CIOPR: 15 min (CIOPR)"
    (span,) = _by_gid(fig, "opp")
    assert span.get_x() == pytest.approx(1 - 0.4)  # lengths ascending: 15, 30 -> 30 is the second
    assert "p=0.02 *" in _texts(fig) and "p=0.4" in _texts(fig)
    assert [ax.get_title() for ax in fig.get_axes()][1:] == [
        "the selector's test",
        "paper CIOPR: 15 min (CIOPR)",
    ]


def test_opp_evidence_untested_lengths_say_so(result):
    fig = opp_evidence_figure(result)  # no reference EEG: the selector tested nothing
    assert fig.get_suptitle().startswith("chb97: OPP: not testable; paper CIOPR: ")
    assert _texts(fig).count("not tested") == 2
    assert not _by_gid(fig, "opp")


def test_roc_figure_one_curve_per_length_with_the_pooled_auc(result):
    fig = roc_figure(result)
    labels = fig.get_axes()[0].get_legend_handles_labels()[1]
    assert labels == ["chance", "30 min (AUC 1.000)", "15 min (AUC 0.750)"]


def test_roc_one_class_has_no_curve(result):
    folds = [dataclasses.replace(f, y_true=np.zeros(4, dtype=np.int8)) if f.preictal_min == 15 else f
             for f in result.folds]  # fmt: skip
    labels = (
        roc_figure(dataclasses.replace(result, folds=tuple(folds)))
        .get_axes()[0]
        .get_legend_handles_labels()[1]
    )
    assert labels[-1] == "15 min (one class only: no ROC)"


def test_labels_and_recordings_figures():
    m = _manifest()
    fig = labels_figure(m, [CONFIG.label_for(k) for k in CONFIG.preictal_mins])
    assert [ax.get_ylabel() for ax in fig.get_axes()] == ["recorded", "30 min", "15 min"]
    assert "chb97: 2 recordings, 10.0 h, 2 seizures" == recordings_figure(m).get_suptitle()


# ------------------------------------------------------------------------------------ synthetic and skipped
@pytest.mark.parametrize("synthetic", [True, False])
def test_every_figure_says_synthetic_only_when_synthetic(result, synthetic):
    m = _manifest()
    figs = [
        continuous_figure(result, synthetic=synthetic),
        opp_evidence_figure(result, synthetic=synthetic),
        roc_figure(result, synthetic=synthetic),
        alarms_figure(result, m, synthetic=synthetic),
        recordings_figure(m, synthetic=synthetic),
        labels_figure(m, [CONFIG.label], synthetic=synthetic),
    ]
    for fig in figs:
        assert any(SYNTHETIC_TEXT in t for t in _texts(fig)) is synthetic, fig.get_suptitle()


def test_figures_are_skipped_without_their_inputs(tmp_path, result):
    bare = _result([_fold(k, sid, continuous=False) for k in (30, 15) for sid in (0, 1)])
    assert plot_continuous(bare, tmp_path / "c.png") is None
    assert plot_alarms(bare, _manifest(), tmp_path / "a.png") is None
    assert plot_alarms(result, None, tmp_path / "a.png") is None
    empty = dataclasses.replace(bare, folds=(), pooled=[], opp_evidence=[])
    assert plot_roc(empty, tmp_path / "r.png") is None
    assert plot_opp_evidence(empty, tmp_path / "o.png") is None
    assert list(tmp_path.iterdir()) == []
    written = write_sweep(bare, tmp_path / "run")  # no manifest, no continuous output
    assert {n for n in written if n.endswith(".png")} == {"opp_evidence.png", "roc.png"}
    assert {p.name for p in (tmp_path / "run").iterdir() if p.suffix == ".png"} == {
        "opp_evidence.png",
        "roc.png",
    }


def test_write_sweep_writes_every_figure_the_same_bytes_twice(tmp_path, result):
    a = write_sweep(result, tmp_path / "a", manifest=_manifest(), synthetic=True)
    b = write_sweep(result, tmp_path / "b", manifest=_manifest(), synthetic=True)
    for name in FIGURES:
        assert a[name].read_bytes()[:8] == PNG
        assert a[name].read_bytes() == b[name].read_bytes(), name
    assert not [p for p in (tmp_path / "a").iterdir() if p.name.startswith(".")]  # no temporary file left


# --------------------------------------------------------------------------------- a real run, rendered again
@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished small sweep of the short synthetic patient (2 lengths x 2 seizures, one epoch)."""
    from seizurepred.sweep import prepare_patient
    from seizurepred.synth import generate_patient
    from seizurepred.synth.demo import SHORT_RECORD_LABELS, short_synth_config
    from seizurepred.training import TrainConfig

    root = tmp_path_factory.mktemp("figs")
    generate_patient(root / "data", config=short_synth_config())
    patient = prepare_patient("chb01", data_root=root / "data", cache_dir=root / "cache")
    config = SweepConfig(
        preictal_mins=(30, 15), model="small", max_train_windows=200, n_surrogates=0, label=SHORT_RECORD_LABELS,
        train=TrainConfig(max_epochs=1, patience=1, seed=0, device="cpu"),
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)  # one epoch: flat outputs have no CIOPR fit
        result = run_sweep(patient, config=config, out_dir=root / "run")
        written = write_sweep(
            result, root / "run", data_note="Synthetic.", manifest=patient.manifest, synthetic=True
        )
    return root / "run", result, patient.manifest, written


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::seizurepred.evaluation.metrics.UndefinedMetricWarning")
def test_sweep_writes_every_figure(finished_run):
    run_dir, result, manifest, written = finished_run
    for name in FIGURES:
        assert written[name] == run_dir / name and (run_dir / name).read_bytes()[:8] == PNG
    marks = alarm_marks(result, manifest)
    for row in (r for r in result.events_by_seizure if r["repeat"] == 0):
        mine = [
            m
            for m in marks
            if (m["preictal_min"], m["seizure_id"]) == (row["preictal_min"], row["seizure_id"])
        ]
        assert len(mine) == row["n_alarms"]
        assert sum(m["kind"] == "false" for m in mine) == row["n_false_alarms"]
    loaded = load_run(run_dir)
    assert loaded.synthetic is True and loaded.data_note == "Synthetic."


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::seizurepred.evaluation.metrics.UndefinedMetricWarning")
def test_report_renders_the_run_again(finished_run, tmp_path):
    from seizurepred.cli.main import cli

    run_dir, _, _, written = finished_run
    before = {name: path.read_bytes() for name, path in written.items() if name != "timings.csv"}
    res = CliRunner().invoke(cli, ["report", str(run_dir), "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    for name in written:
        if name == "timings.csv":
            continue
        assert filecmp.cmp(run_dir / name, tmp_path / name, shallow=False), name
    res = CliRunner().invoke(cli, ["report", str(run_dir)])  # in place: the same files, the same bytes
    assert res.exit_code == 0, res.output
    assert {name: (run_dir / name).read_bytes() for name in before} == before
