"""BIDS layout: a synthetic patient converted with write_bids_patient loads to the same manifest as PhysioNet's."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from datetime import datetime, timedelta

import pytest
from _factories import TINY_SYNTH

from seizurepred.errors import ConfigError, ManifestError, ManifestWarning
from seizurepred.io.bids import events_tsv_text, load_bids_patient, write_bids_patient
from seizurepred.io.layout import bids_ids, case_of
from seizurepred.io.manifest import Seizure
from seizurepred.io.summary import load_patient
from seizurepred.synth import SynthConfig, generate_patient
from seizurepred.synth.generator import BASE_DATE

TINY = TINY_SYNTH
SUBJECT_INFO = "Case\tGender\tAge (years)\n\nchb01\tF\t11\nchb21\tF\t13\n"
EEG = "sub-01/ses-01/eeg"


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """(physionet root, bids root, truth, name map) of a synthetic chb01 (crosses midnight, channels change)."""
    base = tmp_path_factory.mktemp("bids")
    phys, bids = base / "physionet", base / "bids"
    truth = generate_patient(phys, config=SynthConfig(seed=3, channel_change=True, **TINY))
    (phys / "SUBJECT-INFO").write_text(SUBJECT_INFO)
    names = write_bids_patient(phys, "chb01", bids)
    return phys, bids, truth, names


def _link_tree(src, dst):
    shutil.copytree(src, dst, copy_function=os.link)
    return dst


def _same_apart_from_names(bids_manifest, physionet_manifest, names):
    assert [names[r.file_name] for r in physionet_manifest] == [r.file_name for r in bids_manifest]
    for p_rec, b_rec in zip(physionet_manifest, bids_manifest):
        assert dataclasses.replace(p_rec, file_name=b_rec.file_name) == b_rec
    assert (bids_manifest.case, bids_manifest.sfreq) == (physionet_manifest.case, physionet_manifest.sfreq)


def test_both_layouts_give_the_planted_manifest(pair):
    phys, bids, truth, names = pair
    physionet = load_patient(phys, "chb01")
    loaded = load_bids_patient(bids, "chb01")
    _same_apart_from_names(loaded, physionet, names)
    _same_apart_from_names(loaded, truth.truth_manifest(), names)
    assert len(loaded) == 4 and loaded.recordings[0].start_clock_s == truth.files[0].start_clock_s
    assert [s.onset_clock_s for s in loaded.seizures] == [s.onset_clock_s for s in truth.seizures]
    assert "ECG" in loaded.recordings[-1].channels and "ECG" not in loaded.recordings[0].channels
    assert (loaded.sex, loaded.age_years, loaded.source) == ("F", 11.0, "sub-01/ses-01 (BIDS)")
    assert load_bids_patient(bids, "sub-01") == loaded


def test_files_are_the_release_layout(pair):
    phys, bids, truth, names = pair
    stems = [f"sub-01_ses-01_task-szMonitoring_run-{k:02d}" for k in range(4)]
    assert list(names) == [f.file_name for f in truth.files]
    assert list(names.values()) == [f"{s}_eeg.edf" for s in stems]
    expected = {f"{EEG}/{s}{suffix}" for s in stems for suffix in ("_eeg.edf", "_eeg.json", "_events.tsv")}
    expected |= {"README", "dataset_description.json", "participants.json", "participants.tsv", "events.json"}
    written = {p.relative_to(bids).as_posix() for p in bids.rglob("*") if p.is_file()}
    assert written == expected
    for src, dst in names.items():
        assert (bids / EEG / dst).read_bytes() == (phys / "chb01" / src).read_bytes()
    description = json.loads((bids / "dataset_description.json").read_text())
    assert description["Name"] == "BIDS CHB-MIT Scalp EEG Database" and description["BIDSVersion"] == "1.8.0"
    sidecar = json.loads((bids / EEG / f"{stems[0]}_eeg.json").read_text())
    assert sidecar["TaskName"] == "szMonitoring" and sidecar["SamplingFrequency"] == 256
    assert sidecar["RecordingDuration"] == truth.files[0].duration_s and sidecar["EEGChannelCount"] == 23


def test_events_tsv_text_is_the_release_format(pair):
    phys, bids, truth, names = pair
    f1 = truth.files[1]
    when = (BASE_DATE + timedelta(seconds=f1.start_clock_s)).strftime("%Y-%m-%d %H:%M:%S")
    (sz,) = f1.seizures
    text = (bids / EEG / names[f1.file_name].replace("_eeg.edf", "_events.tsv")).read_text()
    assert text == (
        "onset\tduration\teventType\tconfidence\tchannels\tdateTime\trecordingDuration\n"
        f"{sz.onset_s:.2f}\t{sz.duration_s:.2f}\tsz\tn/a\tn/a\t{when}\t{f1.duration_s:.2f}\n"
    )
    free = events_tsv_text((), start=datetime(2076, 11, 6, 23, 59, 58), recording_duration_s=3600.0)
    assert free.splitlines()[1] == "0.00\t3600.00\tbckg\tn/a\tn/a\t2076-11-06 23:59:58\t3600.00"


def test_edf_is_hard_linked_or_copied(pair, tmp_path):
    phys, bids, truth, names = pair
    src, dst = phys / "chb01" / "chb01_01.edf", bids / EEG / names["chb01_01.edf"]
    assert os.path.samefile(src, dst)  # "auto" on one file system: a hard link
    copied = write_bids_patient(phys, "chb01", tmp_path / "copy", how="copy")
    out = tmp_path / "copy" / EEG / copied["chb01_01.edf"]
    assert not os.path.samefile(src, out) and out.read_bytes() == src.read_bytes()
    with pytest.raises(ConfigError, match=r"Invalid value for 'how': allowed 'auto', 'hardlink', 'copy'"):
        write_bids_patient(phys, "chb01", tmp_path / "x", how="symlink")


@pytest.mark.parametrize(
    "case, ids",
    [("chb01", ("01", "01")), ("chb21", ("01", "02")), ("chb24", ("24", "01")), ("sub-05", ("05", "01")),
     ("sub-01_ses-02", ("01", "02")), ("sub-ab1", ("ab1", "01"))],
)  # fmt: skip
def test_case_subject_session_mapping(case, ids):
    assert bids_ids(case) == ids
    assert bids_ids(case_of(*ids)) == ids


def test_case_of_gives_physionet_names():
    assert [case_of("01", "01"), case_of("01", "02"), case_of("24", "01")] == ["chb01", "chb21", "chb24"]
    assert [case_of("ab1", "01"), case_of("07", "03")] == ["sub-ab1", "sub-07_ses-03"]
    with pytest.raises(ConfigError, match=r"Invalid value for 'case': allowed 'chbNN'.*; got 'patient1'"):
        bids_ids("patient1")


def test_chb21_is_second_session_of_sub01(pair, tmp_path):
    phys, bids, truth, names = pair
    root, out = _link_tree(phys, tmp_path / "physionet"), _link_tree(bids, tmp_path / "bids")
    generate_patient(root, config=SynthConfig(patient="chb21", hours=0.2, file_hours=0.1, n_seizures=0))
    written = write_bids_patient(root, "chb21", out)
    assert list(written.values())[0] == "sub-01_ses-02_task-szMonitoring_run-00_eeg.edf"
    manifest = load_bids_patient(out, "sub-01_ses-02")
    assert manifest == load_bids_patient(out, "chb21")
    assert (manifest.case, manifest.sex, manifest.age_years) == ("chb21", "F", None)
    _same_apart_from_names(manifest, load_patient(root, "chb21"), written)
    assert (out / "participants.tsv").read_text().splitlines() == [
        "participant_id\tage\tsex\tcomment",
        "sub-01\t11\tf\tses-02 recorded at 13 years old",
    ]
    assert load_bids_patient(out, "chb01") == load_bids_patient(bids, "chb01")


def test_runs_follow_name_order_recordings_follow_time(pair, tmp_path):
    """Like chb02_16+.edf sorting before chb02_16.edf: run 00 is the last recording; the manifest is by time."""
    phys, _, _, _ = pair
    root = _link_tree(phys, tmp_path / "physionet")
    os.rename(root / "chb01" / "chb01_04.edf", root / "chb01" / "chb01_00.edf")
    summary = root / "chb01" / "chb01-summary.txt"
    summary.unlink()  # a hard link: write a new file, not through the link
    summary.write_text((phys / "chb01" / "chb01-summary.txt").read_text().replace("chb01_04", "chb01_00"))
    names = write_bids_patient(root, "chb01", tmp_path / "bids")
    assert names["chb01_00.edf"].endswith("_run-00_eeg.edf") and names["chb01_01.edf"].endswith(
        "_run-01_eeg.edf"
    )
    loaded = load_bids_patient(tmp_path / "bids", "chb01")
    assert loaded.recordings[-1].file_name.endswith("_run-00_eeg.edf")
    _same_apart_from_names(loaded, load_patient(root, "chb01"), names)


def test_stale_runs_are_removed(pair, tmp_path):
    phys, _, _, _ = pair
    root = _link_tree(phys, tmp_path / "physionet")
    write_bids_patient(root, "chb01", tmp_path / "bids")
    (root / "chb01" / "chb01_04.edf").unlink()
    names = write_bids_patient(root, "chb01", tmp_path / "bids")
    assert len(names) == 3 and not list((tmp_path / "bids" / EEG).glob("*run-03*"))
    assert len(load_bids_patient(tmp_path / "bids", "chb01")) == 3


def test_missing_edf_uses_events_times(pair, tmp_path):
    phys, bids, truth, names = pair
    out = _link_tree(bids, tmp_path / "bids")
    (out / EEG / names["chb01_02.edf"]).unlink()
    loaded = load_bids_patient(out, "chb01")
    rec = loaded.recording(names["chb01_02.edf"])
    assert (rec.start_clock_s, rec.end_clock_s) == (truth.files[1].start_clock_s, truth.files[1].end_clock_s)
    assert rec.channels == () and rec.seizures == truth.files[1].seizures
    assert any("no EDF file" in n for n in loaded.notes)


def test_datetime_disagreeing_with_header_warns_and_header_wins(pair, tmp_path):
    phys, bids, truth, names = pair
    out = _link_tree(bids, tmp_path / "bids")
    tsv = out / EEG / names["chb01_02.edf"].replace("_eeg.edf", "_events.tsv")
    text = tsv.read_text()
    tsv.unlink()
    tsv.write_text(re.sub(r"\d\d:\d\d:\d\d", "12:00:00", text))
    with pytest.warns(ManifestWarning, match="differs from its EDF header's start"):
        loaded = load_bids_patient(out, "chb01")
    assert loaded.recording(names["chb01_02.edf"]).start_clock_s == truth.files[1].start_clock_s


def _with_events(bids, names, tmp_path, text):
    out = _link_tree(bids, tmp_path / "bids")
    tsv = out / EEG / names["chb01_02.edf"].replace("_eeg.edf", "_events.tsv")
    tsv.unlink()
    tsv.write_text(text)
    return out, tsv.name


def test_events_extra_columns_and_trial_type_are_read(pair, tmp_path):
    phys, bids, truth, names = pair
    text = "onset\tduration\teventType\tlateralization\tlocalization\tvigilance\tconfidence\tchannels\n"
    text += "10.00\t5.00\tsz_foc_ia\tleft\ttemporal\tawake\t0.90\tF7-T7,T7-P7\n"
    text += "20.00\t5.00\tbckg\tn/a\tn/a\tn/a\tn/a\tn/a\n"
    out, _ = _with_events(bids, names, tmp_path / "a", text)
    assert load_bids_patient(out, "chb01").recording(names["chb01_02.edf"]).seizures == (Seizure(10.0, 15.0),)
    out, _ = _with_events(bids, names, tmp_path / "b", "onset\tduration\ttrial_type\n30\t4\tseizure\n")
    assert load_bids_patient(out, "chb01").recording(names["chb01_02.edf"]).seizures == (Seizure(30.0, 34.0),)


@pytest.mark.parametrize(
    "text, message",
    [
        ("onset\tduration\n1\t2\n", r"line 1: missing column\(s\) eventType"),
        ("onset\tduration\teventType\n1\tx\tsz\n", r"line 2: column 'duration': expected a number, got 'x'"),
        ("onset\tduration\teventType\n1\t2\n", r"line 2: expected 3 tab-separated fields, got 2"),
        ("onset\tduration\teventType\n\n300\t100\tsz\n", r"line 3: seizure ends at 400 s, beyond the end"),
        ("onset\tduration\teventType\n-1\t5\tsz\n", r"line 2: seizure needs onset >= 0 and duration > 0"),
        ("onset\tduration\teventType\nnan\t5\tsz\n", r"line 2: column 'onset': expected a finite number, got 'nan'\."),
        ("onset\tduration\teventType\n1\tinf\tsz\n", r"line 2: column 'duration': expected a finite number, got 'inf'"),
        ("onset\tduration\teventType\n10\t5\tsz\n10\t5\tsz\n",
         r"line 3: seizure at 10-15 s repeats the one at line 2 \(10-15 s\)\."),
        ("onset\tduration\teventType\n30\t5\tsz\n10\t25\tsz\n",
         r"line 3: seizure at 10-35 s overlaps the one at line 2 \(30-35 s\)\."),
    ],
)
def test_malformed_events_name_file_and_line(pair, tmp_path, text, message):
    phys, bids, truth, names = pair
    out, name = _with_events(bids, names, tmp_path, text)
    with pytest.raises(ManifestError, match=re.escape(name) + " " + message):
        load_bids_patient(out, "chb01")


def test_absent_subject_and_bad_case(pair):
    phys, bids, truth, names = pair
    with pytest.raises(ManifestError, match=r"sub-02/ses-01/eeg: no such folder \('chb02' is sub-02/ses-01"):
        load_bids_patient(bids, "chb02")
    with pytest.raises(ConfigError, match=r"Invalid value for 'case'"):
        load_bids_patient(bids, "../chb01")


@pytest.mark.parametrize("how", ["missing", "header only"])
def test_run_without_events_warns_naming_the_run(pair, tmp_path, how):
    """The run's seizures were dropped silently; now a warning names the run (it is read as seizure-free)."""
    phys, bids, truth, names = pair
    out = _link_tree(bids, tmp_path / "bids")
    edf = out / EEG / names["chb01_02.edf"]
    tsv = edf.with_name(edf.name.replace("_eeg.edf", "_events.tsv"))
    header = tsv.read_text().splitlines()[0]
    tsv.unlink()
    if how == "header only":
        tsv.write_text(header + "\n")
    what = f"no events file {tsv.name}" if how == "missing" else f"{tsv.name} holds no event row"
    with pytest.warns(ManifestWarning) as caught:
        loaded = load_bids_patient(out, "chb01")
    expected = (
        f"{edf}: {what} (not even the 'bckg' row of a seizure-free run); the run's seizures are unknown and it is "
        "read as seizure-free."
    )
    assert [str(w.message) for w in caught] == [expected]
    assert expected in loaded.notes and loaded.recording(names["chb01_02.edf"]).seizures == ()
