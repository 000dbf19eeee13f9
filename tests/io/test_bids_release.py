"""The real BIDS release of CHB-MIT (written by the ``epilepsy2bids`` converter) works with the defaults.

A synthetic patient in the PhysioNet layout is converted with the real converter
(``epilepsy2bids.bids.chbmit.convert2bids.convert``, a test dependency of the ``dev`` extra); the converted tree
must give the same recordings and seizures on the patient clock, match the 18 core channels, pick them under
``channels = "auto"`` and under the default, refuse an explicit ``"paper23"`` in one line, and sweep to a report
whose tables agree with the PhysioNet-layout sweep of the same patient (see :func:`test_release_sweep_agrees`
for what is compared and the tolerance). ``write_bids_patient(form="release")`` and ``synth --bids-form release``
must write what the converter writes.
"""

from __future__ import annotations

import csv
import json
import logging
import warnings
from pathlib import Path

import numpy as np
import pytest
from _factories import TINY_SYNTH
from click.testing import CliRunner

from seizurepred.cache.patient import choose_channel_set, settle_channels
from seizurepred.cli.main import cli
from seizurepred.errors import ConfigError
from seizurepred.io.bids import RELEASE_18, SYNTHETIC_DATASET_NAME, dataset_description, write_bids_patient
from seizurepred.io.layout import load_any
from seizurepred.io.manifest import Manifest, Recording
from seizurepred.io.montage import CORE_18, PAPER_23, canonical_label, missing_channels, resolve_channels
from seizurepred.io.montage_choice import choose_channel_config
from seizurepred.sweep import SweepConfig
from seizurepred.synth import SynthConfig, generate_patient
from seizurepred.synth.demo import short_synth_config

EEG = "sub-01/ses-01/eeg"
SUBJECT_INFO = "Case\tGender\tAge (years)\nchb01\tF\t11\n"


def _convert(physionet_root: Path, out: Path) -> Path:
    """Run the real converter (it prints a line per folder and pyedflib warns about rounded ranges)."""
    convert2bids = pytest.importorskip("epilepsy2bids.bids.chbmit.convert2bids")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        convert2bids.convert(physionet_root, out)
    return out


# ------------------------------------------------------------------------------------------- channel names
def test_release_names_map_to_the_core_channels():
    assert [canonical_label(n) for n in RELEASE_18] != list(CORE_18)  # another order ...
    assert sorted(canonical_label(n) for n in RELEASE_18) == sorted(CORE_18)  # ... the same 18 channels
    assert canonical_label(" t3-T5 ") == "T7-P7" and canonical_label("T4-T6") == "T8-P8"
    assert canonical_label("Fp1-F3") == "FP1-F3" and canonical_label("FT9-FT10") == "FT9-FT10"
    labels = (*RELEASE_18, "EDF Annotations")
    idx = resolve_channels(labels, "core18")
    assert [canonical_label(labels[i]) for i in idx] == list(CORE_18)  # canonical order, whatever the file's
    assert missing_channels(labels, "paper23") == ("P7-T7", "T7-FT9", "FT9-FT10", "FT10-T8")


def _release_manifest(n: int = 3) -> Manifest:
    recs = tuple(Recording(f"r{i}.edf", i * 3700.0, i * 3700.0 + 3600, RELEASE_18) for i in range(n))
    return Manifest("chb01", 256.0, recs)


def test_channel_set_choice_on_a_release_tree():
    m = _release_manifest()
    assert choose_channel_config(m, channels="core18").file_names == ("r0.edf", "r1.edf", "r2.edf")
    auto = choose_channel_set(m, "auto")
    assert auto.channels == "core18" and "'auto'" in auto.reason
    default = choose_channel_set(m, "paper23", given=False)
    assert default.channels == "core18" and "default 'paper23'" in default.reason
    with pytest.raises(ConfigError) as err:
        choose_channel_set(m, "paper23", given=True)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("Invalid value for 'channels'")
    assert '"core18"' in msg and '"auto"' in msg
    config, line = settle_channels(m, SweepConfig(), given=False)
    assert config.channels == "core18" and line.startswith("chb01: channels core18") and "\n" not in line
    config, _ = settle_channels(m, SweepConfig(channels="auto"), given=True)
    assert config.channels == "auto"  # left for prepare_for_sweep (the config hash does not change)


def test_physionet_trees_keep_their_channel_set():
    recs = (Recording("a.edf", 0.0, 3600.0, PAPER_23), Recording("b.edf", 3700.0, 4300.0, CORE_18))
    m = Manifest("chb01", 256.0, recs)
    for given in (True, False):
        assert choose_channel_set(m, "paper23", given=given).channels == "paper23"
    assert choose_channel_set(m, "auto").channels == "paper23"
    assert choose_channel_set(m, "core18").channels == "core18"


# ------------------------------------------------------------------------------------- the real converter
@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """(physionet root, converted root) of a tiny synthetic chb01 whose files change channels."""
    base = tmp_path_factory.mktemp("release")
    phys = base / "physionet"
    generate_patient(phys, config=SynthConfig(seed=3, channel_change=True, **TINY_SYNTH))
    (phys / "SUBJECT-INFO").write_text(SUBJECT_INFO)
    return phys, _convert(phys, base / "release")


def test_converted_tree_has_the_same_seizures_on_the_patient_clock(tiny):
    phys, release = tiny
    a, b = load_any(phys, "chb01"), load_any(release, "chb01")
    assert b.case == a.case and b.sfreq == a.sfreq == 256.0 and len(b) == len(a)
    for ra, rb in zip(a.recordings, b.recordings):  # runs in sorted name order = recording order here
        assert (rb.start_clock_s, rb.end_clock_s) == (ra.start_clock_s, ra.end_clock_s)
        assert rb.seizures == ra.seizures
        assert [canonical_label(c) for c in rb.channels if c != "EDF Annotations"] == [
            canonical_label(n) for n in RELEASE_18
        ]
    clock = [[(s.onset_clock_s, s.offset_clock_s) for s in m.seizures] for m in (a, b)]
    assert clock[0] == clock[1] and len(clock[0]) == a.n_seizures >= 2
    assert choose_channel_set(b, "auto").channels == "core18"
    assert choose_channel_config(b, channels="paper23").file_names == ()


def test_release_form_writes_what_the_converter_writes(tiny, tmp_path):
    phys, release = tiny
    write_bids_patient(phys, "chb01", tmp_path / "ours", form="release", synthetic=True)
    theirs = sorted((release / EEG).glob("*_eeg.edf"))
    assert [p.name for p in sorted((tmp_path / "ours" / EEG).glob("*_eeg.edf"))] == [p.name for p in theirs]
    for edf in theirs:
        assert (tmp_path / "ours" / EEG / edf.name).read_bytes() == edf.read_bytes(), edf.name
        tsv = edf.name.replace("_eeg.edf", "_events.tsv")
        assert (tmp_path / "ours" / EEG / tsv).read_text() == (release / EEG / tsv).read_text(), tsv
    sidecar = json.loads(next((tmp_path / "ours" / EEG).glob("*_eeg.json")).read_text())
    assert sidecar["EEGChannelCount"] == 18


def test_synthetic_bids_says_synthetic(tmp_path):
    description = dataset_description(synthetic=True)
    assert description["Name"] == SYNTHETIC_DATASET_NAME and "synthetic" in description["Name"].lower()
    assert not {"Authors", "DatasetDOI", "License", "HowToAcknowledge"} & set(description)
    assert description["GeneratedBy"][0]["Name"] == "seizurepred"
    args = ["synth", "--out", str(tmp_path), "--layout", "bids", "--bids-form", "release", "--seed", "3"]
    args += ["--hours", "0.8", "--file-hours", "0.2", "--seizures", "2", "--preictal-min", "3"]
    args += ["--min-first-onset-h", "0.2", "--min-spacing-h", "0.15"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "dataset_description.json").read_text())
    assert (
        written["Name"] == SYNTHETIC_DATASET_NAME and "DatasetDOI" not in written and "Authors" not in written
    )
    assert "CHB-MIT Scalp EEG Database" not in json.dumps(written)
    assert "synthetic" in (tmp_path / "README").read_text().lower()
    manifest = load_any(tmp_path, "chb01")
    assert all(
        tuple(r.channels[:18]) == tuple(canonical_label(n) for n in RELEASE_18) for r in manifest.recordings
    )
    sidecar = json.loads(next((tmp_path / EEG).glob("*_eeg.json")).read_text())
    assert "Boston" not in sidecar["InstitutionName"]
    bad = CliRunner().invoke(cli, ["synth", "--out", str(tmp_path / "p"), "--bids-form", "release"])
    assert bad.exit_code != 0 and "--layout bids" in bad.output


def test_converted_real_data_keeps_the_release_description():
    description = dataset_description()
    assert description["Name"] == "BIDS CHB-MIT Scalp EEG Database" and description["DatasetDOI"]


# ------------------------------------------------------------------------------ a sweep of the release
TINY_TOML = """
[sweep]
preictal_mins = [30]
model = "small"
max_train_windows = 300
n_surrogates = 10
{channels}
[label]
interictal_before_onset_min = 120.0
interictal_after_end_min = 30.0
postictal_exclusion_min = 30.0

[train]
max_epochs = 1
patience = 1
seed = 0
device = "cpu"
num_threads = 1
"""


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def _close(a: str, b: str, tol: float) -> bool:
    x, y = float(a), float(b)
    return (np.isnan(x) and np.isnan(y)) or abs(x - y) <= tol


@pytest.mark.slow
def test_release_sweep_agrees(tmp_path, caplog):
    """The default sweep of the converted tree runs (core18) and agrees with the PhysioNet sweep at core18.

    The converter keeps the 18 core channels (the PhysioNet run is given ``channels = "core18"``, so both train
    on the same channels in the same order) and re-quantises each channel to its own physical range: a sample
    moves by at most half the new step, (max - min) / 4095 / 2, about 0.06 uV against a signal SD of ~35 uV
    (0.2 %). Compared exactly: the recordings and seizures, the folds (held-out seizures, window counts of
    train/val/test), the CIOPR geometry (record hours, blocks), the event-level counts of seizures and
    interictal hours, and the selector's verdict. Compared within 0.05 (absolute; probabilities and rates in
    [0, 1]): sensitivity, specificity, accuracy, F1 and AUC of every fold, and the pooled ones; a 0.2 % change
    of the input moves a one-epoch model's outputs far less than that (observed: < 0.01).
    """
    phys = tmp_path / "physionet"
    generate_patient(phys, config=short_synth_config())
    (phys / "SUBJECT-INFO").write_text(SUBJECT_INFO)
    release = _convert(phys, tmp_path / "release")
    (tmp_path / "default.toml").write_text(TINY_TOML.format(channels=""))
    (tmp_path / "core18.toml").write_text(TINY_TOML.format(channels='channels = "core18"'))
    (tmp_path / "paper23.toml").write_text(TINY_TOML.format(channels='channels = "paper23"'))
    runner = CliRunner()

    def sweep(root: Path, layout: str, config: str, out: str):
        args = ["sweep", "-p", "chb01", "--data-root", str(root), "--layout", layout, "--config"]
        args += [str(tmp_path / config), "--out", str(tmp_path / out), "--cache-dir", str(tmp_path / "cache")]
        return runner.invoke(cli, args)

    refused = sweep(release, "bids", "paper23.toml", "run-paper23")
    assert refused.exit_code != 0
    lines = [line for line in refused.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "'channels'" in lines[0] and '"core18"' in lines[0] and '"auto"' in lines[0]
    assert not (tmp_path / "run-paper23").exists()

    with caplog.at_level(logging.WARNING):
        done = sweep(release, "bids", "default.toml", "run-release")
    assert done.exit_code == 0, done.output
    assert "chb01: channels core18 (the default 'paper23'" in done.output
    assert (tmp_path / "run-release" / "report.md").is_file()
    saved = json.loads((tmp_path / "run-release" / "sweep_config.json").read_text())
    assert json.dumps(saved).count('"core18"') >= 1
    assert not any("left out" in r.getMessage() for r in caplog.records)  # no recording skipped

    ref = sweep(phys, "physionet", "core18.toml", "run-physionet")
    assert ref.exit_code == 0, ref.output
    a, b = tmp_path / "run-physionet", tmp_path / "run-release"
    exact = {
        "segments.csv": ("preictal_min", "seizure_id", "repeat", "n_train", "n_val", "n_test", "status"),
        "ciopr.csv": ("preictal_min", "seizure_id", "repeat", "record_hours", "n_blocks"),
        "events.csv": ("preictal_min", "repeat", "n_seizures", "interictal_hours"),
        "pooled.csv": ("preictal_min", "n_folds"),
    }
    metrics = ("sensitivity", "specificity", "accuracy", "f1", "auc")
    for name, columns in exact.items():
        rows_a, rows_b = _rows(a / name), _rows(b / name)
        assert len(rows_a) == len(rows_b) > 0, name
        for ra, rb in zip(rows_a, rows_b):
            assert {c: ra[c] for c in columns} == {c: rb[c] for c in columns}, name
            if name in ("segments.csv", "pooled.csv"):
                for c in metrics:
                    assert _close(ra[c], rb[c], 0.05), (name, c, ra[c], rb[c])
    sa, sb = (json.loads((d / "summary.json").read_text()) for d in (a, b))
    assert sa["opp_verdict"] == sb["opp_verdict"]
