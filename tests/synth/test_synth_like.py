"""Synthetic patients with a real case's geometry (``synth --like``): the rebuilt manifest equals the committed one."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from datetime import timedelta

import numpy as np
import pytest
from click.testing import CliRunner

from seizurepred.cli.main import cli
from seizurepred.errors import ConfigError
from seizurepred.io.edf_header import read_header
from seizurepred.io.manifest import known_cases, load_manifest
from seizurepred.io.summary import load_patient
from seizurepred.synth import plan_truth
from seizurepred.synth.channels import channel_kind, file_digital
from seizurepred.synth.generator import BASE_DATE
from seizurepred.synth.layout import plans_from_manifest, summary_text
from seizurepred.synth.like import compare_to_committed, files_near_seizures, like_config, synth_like

TIMED = [c for c in known_cases() if load_manifest(c).has_all_times]
DAY_S = 86400


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _strip(manifest):
    return tuple(dataclasses.replace(r, sha256=None) for r in manifest.recordings)


@pytest.mark.parametrize("case", TIMED)
def test_every_timed_case_round_trips_through_its_summary(tmp_path, case):
    """The whole geometry of every case: the summary the writer makes rebuilds the committed manifest."""
    plans = plans_from_manifest(load_manifest(case))
    (tmp_path / case).mkdir()
    (tmp_path / case / f"{case}-summary.txt").write_text(summary_text(plans))
    assert compare_to_committed(tmp_path, case) == ()
    got, want = load_patient(tmp_path, case), load_manifest(case)
    assert _strip(got) == _strip(want)
    assert set(got.notes) <= set(want.notes)


def test_the_cases_cover_rollovers_and_montage_changes():
    """What the round trip above covers: multi-day clocks, files past midnight, channel changes, dummies."""
    plans = {c: plans_from_manifest(load_manifest(c)) for c in ("chb09", "chb12", "chb15")}
    assert all(p[-1].end_clock_s > 2 * DAY_S for p in plans.values())
    assert any(f.start_clock_s // DAY_S != (f.end_clock_s - 1) // DAY_S for f in plans["chb15"])
    assert sum(f.channels_changed for f in plans["chb12"]) == 3
    kinds = {channel_kind(lab) for f in plans["chb12"] + plans["chb15"] for lab in f.channels}
    assert kinds == {"bipolar", "referential", "dummy", "ecg", "aux"}


def test_chb24_has_no_times_and_is_refused():
    with pytest.raises(ConfigError, match=re.escape("Invalid value for 'like'")) as err:
        like_config("chb24")
    assert "chb24" in str(err.value) and "\n" not in str(err.value)


def test_like_config_and_truth_use_the_real_seizures():
    config = like_config("chb03", preictal_min=20.0, preictal_jitter_min=5.0, seed=4)
    manifest = load_manifest("chb03")
    assert config.patient == config.like == "chb03" and config.n_seizures == manifest.n_seizures == 7
    assert config.hours == pytest.approx(manifest.total_hours)
    truth, _ = plan_truth(config)
    assert [(s.file_name, s.onset_s, s.offset_s, s.onset_clock_s) for s in truth.seizures] == [
        (e.file_name, e.onset_s, e.offset_s, e.onset_clock_s) for e in manifest.seizures
    ]
    lengths = [s.preictal_min for s in truth.seizures]
    assert all(15.0 <= m <= 25.0 for m in lengths) and len(set(lengths)) == 7
    assert _strip(truth.truth_manifest()) == _strip(manifest)
    with pytest.raises(ConfigError, match=re.escape("Invalid value for 'preictal_mins'")):
        like_config("chb03", preictal_mins=[10, 20])
    exact = like_config("chb03", preictal_mins=[10, 20, 30, 40, 50, 60, 70])
    assert [s.preictal_min for s in plan_truth(exact)[0].seizures] == [10, 20, 30, 40, 50, 60, 70]


def test_files_near_seizures():
    manifest = load_manifest("chb03")
    holding = tuple(r.file_name for r in manifest.recordings if r.seizures)
    assert files_near_seizures(manifest, 0) == holding
    wider = files_near_seizures(manifest, 2.0)
    assert set(holding) < set(wider) and len(wider) < len(manifest)
    onsets = [e.onset_clock_s for e in manifest.seizures]
    for rec in manifest.recordings:
        near = any(rec.start_clock_s - 7200 <= on <= rec.end_clock_s + 7200 for on in onsets)
        assert (rec.file_name in wider) == near
    assert files_near_seizures(manifest, 1000) == tuple(r.file_name for r in manifest.recordings)
    with pytest.raises(ConfigError, match=re.escape("Invalid value for 'only_near_seizures_h'")):
        files_near_seizures(manifest, -1)


# A few hours of real signal: chb12_27 (referential X-CS2 channels, 6 seizures, day 2) and chb12_28 (monopolar,
# '01', EKG1-CHIN; a "Channels changed" block between them); chb15_06 (runs past midnight; 38 channels with
# dummies, PZ-OZ and FC1-Ref ... CP6-Ref); chb02_16 (959 s).
SUBSETS = {
    "chb12": ("chb12_27.edf", "chb12_28.edf"),
    "chb15": ("chb15_06.edf",),
    "chb02": ("chb02_16.edf",),
}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    root = tmp_path_factory.mktemp("like")
    truths = {
        case: synth_like(case, root, files=names, seed=1, signature="focal", strength=0.5)
        for case, names in SUBSETS.items()
    }
    return root, truths


@pytest.mark.parametrize("case", sorted(SUBSETS))
def test_rebuilt_manifest_equals_the_committed_one(written, case):
    root, truths = written
    assert compare_to_committed(root, case) == ()
    got, want = load_patient(root, case), load_manifest(case)
    assert _strip(got) == _strip(want)
    assert (got.case, got.sfreq, got.source) == (want.case, want.sfreq, want.source)
    assert set(got.notes) <= set(want.notes)
    present = {p.name for p in (root / case).glob("*.edf")}
    assert present == set(SUBSETS[case]) == set(truths[case].written_files)
    assert _strip(got.subset(present)) == _strip(want.subset(present))


@pytest.mark.parametrize("case", sorted(SUBSETS))
def test_edf_headers_agree_with_the_committed_manifest(written, case):
    root, _ = written
    want = load_manifest(case)
    for name in SUBSETS[case]:
        rec, header = want.recording(name), read_header(root / case / name)
        assert header.labels == rec.channels
        assert header.duration_s == rec.duration_s
        assert header.start_datetime == BASE_DATE + timedelta(seconds=rec.start_clock_s)
        assert set(header.samples_per_record) == {256}


def test_truth_json_records_the_case_and_the_written_files(written):
    root, truths = written
    saved = json.loads((root / "chb12" / "chb12-synth-truth.json").read_text())
    assert saved["config"]["like"] == "chb12" and saved["config"]["patient"] == "chb12"
    assert saved["written_files"] == list(SUBSETS["chb12"])
    assert [r["file_name"] for r in saved["manifest"]["recordings"]] == [
        r.file_name for r in load_manifest("chb12")
    ]
    assert len(saved["seizures"]) == 40 and all(s["preictal_min"] == 30.0 for s in saved["seizures"])
    assert truths["chb12"].seizures[0].onset_clock_s == load_manifest("chb12").seizures[0].onset_clock_s


def test_channel_kinds_are_filled_as_documented():
    labels = ("FP1-F7", "F7-CS2", "01", "-", ".", "EKG1-CHIN", "PZ-OZ", "FC1-Ref", "VNS", "T8-P8", "T8-P8")
    kinds = [channel_kind(lab) for lab in labels]
    assert (
        kinds
        == ["bipolar", "referential", "aux", "dummy", "dummy", "ecg", "referential", "aux", "aux"]
        + ["bipolar"] * 2
    )
    mono = np.random.default_rng(0).normal(0, 20, (21, 2560)).astype(np.float32)
    digital, dmins = file_digital(labels, mono, np.random.default_rng(1), np.random.default_rng(2))
    assert digital.shape == (11, 2560) and digital.dtype == np.int16
    assert [d == 0 for d in dmins] == [k == "dummy" for k in kinds]
    assert not digital[3].any() and not digital[4].any()
    np.testing.assert_array_equal(digital[9], digital[10])  # the duplicated T8-P8
    assert all(digital[i].std() > 0 for i, k in enumerate(kinds) if k != "dummy")


def test_a_file_has_the_same_bytes_whichever_subset_is_written(written, tmp_path):
    root, _ = written
    synth_like("chb02", tmp_path, files=["chb02_16.edf"], seed=1, strength=0.5)
    assert _sha(tmp_path / "chb02" / "chb02_16.edf") == _sha(root / "chb02" / "chb02_16.edf")
    assert (tmp_path / "chb02" / "chb02-summary.txt").read_text() == (
        root / "chb02" / "chb02-summary.txt"
    ).read_text()


def test_synth_like_refuses_a_non_empty_folder(written):
    root, _ = written
    with pytest.raises(ConfigError, match="not empty") as err:
        synth_like("chb02", root, files=["chb02_16.edf"])
    assert str(root / "chb02") in str(err.value)
    with pytest.raises(ConfigError, match=re.escape("Invalid value for 'files'")):
        synth_like("chb02", root / "other", files=["chb02_99.edf"])
    with pytest.raises(ConfigError, match=re.escape("Invalid value for 'files'")):
        synth_like("chb02", root / "other", files=["chb02_16.edf"], only_near_seizures_h=1)


def test_cli_like_near_seizures(tmp_path):
    args = ["synth", "--like", "chb02", "--out", str(tmp_path), "--only-near-seizures", "0", "--seed", "3"]
    result = CliRunner().invoke(
        cli, [*args, "--onset-shape", "step", "--signature", "diffuse", "--strength", "0.3"]
    )
    assert result.exit_code == 0, result.output
    assert "Wrote 3 of 36 EDF files" in result.output and "geometry of chb02" in result.output
    assert "signature: diffuse, strength 0.3, onset shape step." in result.output
    assert result.output.count("planted 30 min") == 3
    assert sorted(p.name for p in (tmp_path / "chb02").glob("*.edf")) == [
        "chb02_16+.edf",
        "chb02_16.edf",
        "chb02_19.edf",
    ]
    assert compare_to_committed(tmp_path, "chb02") == ()
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 2 and "not empty" in again.output and str(tmp_path / "chb02") in again.output
    assert "Traceback" not in again.output and len(again.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--hours", "3"], "--hours cannot be used with --like"),
        (["--seizures", "3"], "--seizures cannot be used with --like"),
        (["--preictal-mins", "10,20"], "Invalid value for 'preictal_mins'"),
        (["--preictal-mins", "10,x"], "--preictal-mins"),
        (["--preictal-jitter-min", "30"], "Invalid value for 'preictal_jitter_min'"),
        (["--onset-shape", "cubic"], "--onset-shape"),
    ],
)
def test_cli_like_bad_options_are_one_line(tmp_path, extra, message):
    result = CliRunner().invoke(cli, ["synth", "--like", "chb02", "--out", str(tmp_path), *extra])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "chb02").exists()


def test_cli_like_unknown_case_and_chb24(tmp_path):
    for case, message in (("chb99", "Unknown case 'chb99'"), ("chb24", "Invalid value for 'like'")):
        result = CliRunner().invoke(cli, ["synth", "--like", case, "--out", str(tmp_path)])
        assert result.exit_code == 2 and message in result.output, result.output
    result = CliRunner().invoke(cli, ["synth", "--out", str(tmp_path), "--only-near-seizures", "1"])
    assert result.exit_code == 2 and "--only-near-seizures needs --like" in result.output
