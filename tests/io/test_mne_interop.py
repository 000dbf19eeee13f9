"""MNE interop: channel names, units, date, data and annotations of to_mne against the reader and the truth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from _factories import TINY_SYNTH

from seizurepred.errors import MontageError
from seizurepred.io.bids import load_bids_patient, write_bids_patient
from seizurepred.io.edf import read_recording
from seizurepred.io.edf_write import write_edf
from seizurepred.io.layout import recording_path
from seizurepred.io.manifest import Manifest, Recording, Seizure
from seizurepred.io.mne_interop import (
    FIF_MAX_DATE,
    _unique,
    canonical_label,
    fif_meas_date,
    pick_channels,
    to_mne,
)
from seizurepred.io.montage import CORE_18, PAPER_23
from seizurepred.io.summary import load_patient
from seizurepred.labels.segments import LabelConfig, label_segments
from seizurepred.synth import SynthConfig, generate_patient
from seizurepred.synth.generator import BASE_DATE

TINY = TINY_SYNTH
LABELS = LabelConfig(
    preictal_min=3.0,
    interictal_before_onset_min=5.0,
    interictal_after_end_min=2.0,
    postictal_exclusion_min=2.0,
)
SAMPLE_S = 1 / 256
#: PAPER_23 as MNE names it: the two T8-P8 numbered from 0, as mne.io.read_raw_edf numbers them.
MNE_23 = [*PAPER_23[:14], "T8-P8-0", *PAPER_23[15:22], "T8-P8-1"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """(truth, {layout: (root, manifest)}) of a synthetic chb01 written in both layouts."""
    base = tmp_path_factory.mktemp("mne")
    truth = generate_patient(base / "p", config=SynthConfig(seed=3, channel_change=True, **TINY))
    names = write_bids_patient(base / "p", "chb01", base / "b")
    layouts = {"physionet": (base / "p", load_patient(base / "p", "chb01")), "bids": (base / "b", None)}
    layouts["bids"] = (base / "b", load_bids_patient(base / "b", "chb01"))
    return truth, names, layouts


@pytest.mark.parametrize("layout", ["physionet", "bids"])
def test_raw_matches_reader_names_units_and_date(data, layout):
    truth, names, layouts = data
    root, manifest = layouts[layout]
    plan = truth.files[2]  # after the channel change: dummy channels and an ECG in the file
    name = plan.file_name if layout == "physionet" else names[plan.file_name]
    raw = to_mne(manifest, name, data_root=root)
    assert raw.ch_names == MNE_23 and raw.info["sfreq"] == 256.0
    assert set(raw.get_channel_types()) == {"eeg"} and raw.n_times == plan.duration_s * 256
    expected = read_recording(recording_path(root, manifest, name), channels="paper23")
    np.testing.assert_allclose(raw.get_data(), expected.astype(np.float64) * 1e-6, rtol=1e-12, atol=0)
    header_date = (BASE_DATE + timedelta(seconds=plan.start_clock_s)).replace(tzinfo=UTC)
    assert raw.info["meas_date"] == header_date.replace(year=header_date.year - 100)  # 2076 -> 1976
    assert f"EDF header start {header_date:%Y-%m-%d %H:%M:%S}" in raw.info["description"]
    assert raw.info["subject_info"]["his_id"] == "chb01"


@pytest.mark.parametrize("layout", ["physionet", "bids"])
def test_seizure_annotations_match_manifest(data, layout):
    truth, names, layouts = data
    root, manifest = layouts[layout]
    for plan in truth.files:
        name = plan.file_name if layout == "physionet" else names[plan.file_name]
        raw = to_mne(manifest, name, data_root=root, channels="core18")
        ann = raw.annotations
        assert list(ann.description) == ["seizure"] * len(plan.seizures)
        np.testing.assert_allclose(ann.onset, [s.onset_s for s in plan.seizures], atol=SAMPLE_S)
        np.testing.assert_allclose(ann.duration, [s.duration_s for s in plan.seizures], atol=SAMPLE_S)
        assert ann.orig_time == raw.info["meas_date"]


def _overlap(a0, a1, b0, b1):
    return max(0.0, min(a1, b1) - max(a0, b0))


def test_label_annotations_match_segments(data):
    truth, names, layouts = data
    root, manifest = layouts["bids"]
    segments = label_segments(manifest, config=LABELS)
    preictal_clock = []
    n_interictal = 0
    for index, plan in enumerate(truth.files):
        raw = to_mne(manifest, names[plan.file_name], data_root=root, label_config=LABELS, channels="core18")
        expected = sorted(
            [(s.onset_s, s.duration_s, "seizure") for s in plan.seizures]
            + [(iv.start_s, iv.duration_s, iv.label) for iv in (*segments.preictal, *segments.interictal)
               if iv.recording_index == index]
        )  # fmt: skip
        ann = raw.annotations
        assert list(ann.description) == [d for _, _, d in expected]
        np.testing.assert_allclose(ann.onset, [o for o, _, _ in expected], atol=SAMPLE_S)
        np.testing.assert_allclose(ann.duration, [d for _, d, _ in expected], atol=SAMPLE_S)
        n_interictal += int(np.sum(ann.description == "interictal"))
        preictal_clock += [
            (plan.start_clock_s + o, plan.start_clock_s + o + d)
            for o, d, k in zip(ann.onset, ann.duration, ann.description)
            if k == "preictal"
        ]
    assert n_interictal >= 1
    for sz in truth.seizures:  # the planted answer: the recorded part of the 3 min before each onset (SPH 0)
        lo, hi = sz.onset_clock_s - 180.0, sz.onset_clock_s
        recorded = sum(_overlap(lo, hi, f.start_clock_s, f.end_clock_s) for f in truth.files)
        annotated = sum(_overlap(lo, hi, a, b) for a, b in preictal_clock)
        assert annotated == pytest.approx(recorded, abs=SAMPLE_S) and recorded > 100.0
        assert any(abs(b - hi) < SAMPLE_S for _, b in preictal_clock)
    assert sum(b - a for a, b in preictal_clock) == pytest.approx(
        sum(iv.duration_s for iv in segments.preictal), abs=SAMPLE_S
    )


def test_channel_choices(data):
    truth, names, layouts = data
    root, manifest = layouts["physionet"]
    name = truth.files[2].file_name
    full = to_mne(manifest, name, data_root=root).get_data()
    core = to_mne(manifest, name, data_root=root, channels="core18")
    assert core.ch_names == list(CORE_18)
    np.testing.assert_array_equal(core.get_data(), full[:18])
    every = to_mne(manifest, name, data_root=root, channels=None)
    labels = [lab for lab in manifest.recording(name).channels if lab not in ("-", "ECG")]
    numbered = [f"{lab}-{labels[:i].count(lab)}" if lab == "T8-P8" else lab for i, lab in enumerate(labels)]
    assert every.ch_names == numbered and len(numbered) == 23 and numbered.count("T8-P8-1") == 1
    picked = to_mne(manifest, name, data_root=root, channels=["cz-pz", "FP1-F7"])
    assert picked.ch_names == ["CZ-PZ", "FP1-F7"]
    np.testing.assert_array_equal(picked.get_data(), full[[17, 0]])


@pytest.mark.parametrize(
    "label, canonical",
    [("Fp1-F3", "FP1-F3"), ("F7-T3", "F7-T7"), ("T3-T5", "T7-P7"), ("T4-T6", "T8-P8"), ("T6-O2", "P8-O2"),
     ("P3-01", "P3-O1"), (" fz-cz ", "FZ-CZ"), ("T8-P8", "T8-P8")],
)  # fmt: skip
def test_canonical_label(label, canonical):
    assert canonical_label(label) == canonical


def test_release_style_labels_map_to_canonical_names(tmp_path):
    """The BIDS release's 18 channels (old 10-20 names, its own order) read as the canonical core18."""
    release = ["Fp1-F3", "F3-C3", "C3-P3", "P3-O1", "Fp1-F7", "F7-T3", "T3-T5", "T5-O1", "Fz-Cz", "Cz-Pz",
               "Fp2-F4", "F4-C4", "C4-P4", "P4-O2", "Fp2-F8", "F8-T4", "T4-T6", "T6-O2"]  # fmt: skip
    digital = (np.arange(18)[:, None] * 100 + np.arange(2560)[None, :] % 7).astype(np.int16)
    start = datetime(2076, 11, 6, 23, 59, 58)
    write_edf(tmp_path / "chb05" / "x.edf", digital, labels=release, sfreq=256, start=start)
    rec = Recording("x.edf", 86398.0, 86408.0, tuple(release), (Seizure(2.0, 4.0),))
    manifest = Manifest("chb05", 256.0, (rec,))
    raw = to_mne(manifest, "x.edf", data_root=tmp_path, channels="core18")
    assert raw.ch_names == list(CORE_18)
    order = [[canonical_label(lab) for lab in release].index(c) for c in CORE_18]
    np.testing.assert_allclose(
        raw.get_data(),
        read_recording(tmp_path / "chb05" / "x.edf", channels=release)[order].astype(np.float64) * 1e-6,
        rtol=1e-12,
    )
    assert raw.info["meas_date"] == datetime(1976, 11, 6, 23, 59, 58, tzinfo=UTC)
    with pytest.raises(
        MontageError, match=r"missing 4 of 22 requested channels: P7-T7, T7-FT9, FT9-FT10, FT10-T8"
    ):
        to_mne(manifest, "x.edf", data_root=tmp_path)
    assert pick_channels(release, ["F7-T7"]) == (["F7-T3"], ["F7-T7"])


# ------------------------------------------------------------------------------------------------- FIF round trip
def _read_raw_edf(path):
    import mne

    return mne.io.read_raw_edf(path, preload=True, verbose="error")  # quiet: it warns that it numbers T8-P8


# 1: the 23 channels only; 2: dummy channels and an ECG in the file too
@pytest.mark.parametrize("index", [1, 2])
def test_saves_to_fif_and_reloads_as_mne_reads_the_edf(data, tmp_path, index):
    """to_mne -> raw.save -> read_raw_fif: the data, names and annotations of to_mne, the data and names that
    MNE's own EDF reader gives for the same file, the seizures where the synthetic truth planted them."""
    import mne

    truth, _, layouts = data
    root, manifest = layouts["physionet"]
    plan = truth.files[index]
    assert plan.seizures  # a file with a seizure to annotate
    raw = to_mne(manifest, plan.file_name, data_root=root, channels=None, label_config=LABELS)
    raw.save(tmp_path / "x_raw.fif", verbose="error")
    back = mne.io.read_raw_fif(tmp_path / "x_raw.fif", preload=True, verbose="error")
    edf = _read_raw_edf(recording_path(root, manifest, plan.file_name))

    # channel names: to_mne's, and MNE's for the same channels (MNE keeps the file's dummy '-' and ECG too)
    assert back.ch_names == raw.ch_names
    assert back.ch_names == [n for n in edf.ch_names if not n.startswith("-") and n != "ECG"]
    assert [n for n in back.ch_names if n.startswith("T8-P8")] == ["T8-P8-0", "T8-P8-1"]
    # data: what read_raw_edf reads, to float32 rounding of the FIF file (one LSB is 0.39 µV)
    np.testing.assert_allclose(back.get_data(), raw.get_data(), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(back.get_data(), edf.get_data(picks=back.ch_names), rtol=0, atol=1e-9)
    # annotations: onsets in seconds from the first sample, as in memory and as planted
    np.testing.assert_array_equal(back.annotations.description, raw.annotations.description)
    np.testing.assert_allclose(back.annotations.onset, raw.annotations.onset, rtol=0, atol=1e-9)
    np.testing.assert_allclose(back.annotations.duration, raw.annotations.duration, rtol=0, atol=1e-9)
    seizures = back.annotations.description == "seizure"
    planted = np.array([(s.onset_s, s.duration_s) for s in plan.seizures])
    np.testing.assert_allclose(back.annotations.onset[seizures], planted[:, 0], atol=SAMPLE_S)
    np.testing.assert_allclose(back.annotations.duration[seizures], planted[:, 1], atol=SAMPLE_S)
    assert {"preictal", "seizure"} <= set(back.annotations.description)
    assert len(edf.annotations) == 0  # the EDF carries no annotations: the seizures come from the summary
    # the date: the header's (2076, what read_raw_edf gives) a century back, time of day kept; the header's in text
    assert edf.info["meas_date"].year == 2076
    assert back.info["meas_date"] == edf.info["meas_date"].replace(year=1976) == raw.info["meas_date"]
    assert back.annotations.orig_time == back.info["meas_date"]
    assert back.info["description"] == raw.info["description"]
    assert f"EDF header start {edf.info['meas_date']:%Y-%m-%d %H:%M:%S} UTC" in back.info["description"]
    assert back.info["subject_info"]["his_id"] == "chb01"
    with pytest.raises(RuntimeError, match="meas_date"):  # why: MNE's own reading of the file cannot be saved
        edf.save(tmp_path / "edf_raw.fif", verbose="error")


def test_fif_meas_date_keeps_the_clock():
    a = datetime(2076, 11, 6, 23, 59, 58, tzinfo=UTC)
    b = datetime(2076, 11, 7, 1, 0, 8, tzinfo=UTC)
    assert fif_meas_date(a) == datetime(1976, 11, 6, 23, 59, 58, tzinfo=UTC)
    assert fif_meas_date(b) - fif_meas_date(a) == b - a
    leap = datetime(2076, 2, 29, 12, tzinfo=UTC)  # 2076 and 1976 are both leap years
    assert fif_meas_date(leap) == datetime(1976, 2, 29, 12, tzinfo=UTC)
    assert fif_meas_date(leap) - fif_meas_date(a) == leap - a
    assert fif_meas_date(FIF_MAX_DATE) == FIF_MAX_DATE
    assert fif_meas_date(datetime(2004, 5, 1, 8)) == datetime(2004, 5, 1, 8, tzinfo=UTC)  # naive is UTC, kept
    assert fif_meas_date(FIF_MAX_DATE + timedelta(seconds=1)).year == 1938


@pytest.mark.parametrize(
    "names, unique",
    [(["T8-P8", "X", "T8-P8", "T8-P8"], ["T8-P8-0", "X", "T8-P8-1", "T8-P8-2"]),
     (["A", "B", "A", "A-0"], ["A-a", "B", "A-1", "A-0"]),  # A-0 taken: MNE moves on to letters
     (["FP1-F7", "T8-P8"], ["FP1-F7", "T8-P8"])],
)  # fmt: skip
def test_repeated_names_numbered_as_mne_numbers_them(names, unique):
    """The answers of MNE 1.13's ``_unique_channel_names`` (what read_raw_edf applies) for the same lists."""
    assert _unique(names) == unique
