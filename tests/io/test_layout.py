"""Data-root layouts: detection, loading either layout, and the path of a recording under each."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from seizurepred.errors import ConfigError, ManifestError
from seizurepred.io.bids import load_bids_patient, write_bids_patient
from seizurepred.io.layout import bids_path, detect_layout, is_bids_name, load_any, recording_path
from seizurepred.io.manifest import Manifest, Recording
from seizurepred.io.summary import load_patient
from seizurepred.synth import SynthConfig, generate_patient


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    """(physionet root, bids root) of a small seizure-free synthetic chb03 (two files)."""
    base = tmp_path_factory.mktemp("layout")
    generate_patient(base / "p", config=SynthConfig(patient="chb03", hours=0.2, file_hours=0.1, n_seizures=0))
    write_bids_patient(base / "p", "chb03", base / "b")
    return base / "p", base / "b"


def test_detect_layout(roots):
    phys, bids = roots
    assert (detect_layout(phys), detect_layout(bids)) == ("physionet", "bids")
    assert (detect_layout(phys, "chb03"), detect_layout(bids, "chb03"), detect_layout(bids, "sub-03")) == (
        "physionet",
        "bids",
        "bids",
    )


def test_detect_layout_refuses_what_it_cannot_tell(roots, tmp_path):
    phys, bids = roots
    mixed = tmp_path / "mixed"
    shutil.copytree(phys, mixed, copy_function=os.link)
    shutil.copytree(bids, mixed, copy_function=os.link, dirs_exist_ok=True)
    with pytest.raises(ConfigError, match="holds both the PhysioNet and the BIDS layout; pass layout="):
        detect_layout(mixed)
    with pytest.raises(ConfigError, match=r"\(case 'chb03'\): holds both"):
        detect_layout(mixed, "chb03")
    os.rename(mixed / "chb03", mixed / "chb04")  # chb04-summary.txt is absent: only BIDS has chb03 now
    assert detect_layout(mixed, "chb03") == "bids"
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="empty: neither the PhysioNet layout"):
        detect_layout(tmp_path / "empty")
    with pytest.raises(ConfigError, match=r"Invalid value for 'data_root': allowed an existing folder"):
        detect_layout(tmp_path / "absent")


def test_load_any(roots):
    phys, bids = roots
    assert load_any(phys, "chb03") == load_patient(phys, "chb03")
    assert load_any(bids, "chb03") == load_bids_patient(bids, "chb03")
    assert load_any(bids, "chb03", layout="bids") == load_bids_patient(bids, "chb03")
    with pytest.raises(
        ConfigError, match=r"Invalid value for 'layout': allowed 'auto', 'physionet', 'bids'; got 'edf'"
    ):
        load_any(phys, "chb03", layout="edf")
    with pytest.raises(ManifestError, match="chb03-summary.txt: no such summary file"):
        load_any(bids, "chb03", layout="physionet")


def test_recording_path_under_each_layout(roots):
    phys, bids = roots
    pm, bm = load_any(phys, "chb03"), load_any(bids, "chb03")
    p_paths = [recording_path(phys, pm, r.file_name) for r in pm]
    b_paths = [recording_path(bids, bm, r.file_name) for r in bm]
    assert p_paths == [phys / "chb03" / "chb03_01.edf", phys / "chb03" / "chb03_02.edf"]
    assert b_paths == [
        bids / "sub-03" / "ses-01" / "eeg" / f"sub-03_ses-01_task-szMonitoring_run-{k:02d}_eeg.edf"
        for k in (0, 1)
    ]
    assert all(p.is_file() for p in p_paths + b_paths)
    for p, b in zip(p_paths, b_paths):
        assert p.read_bytes() == b.read_bytes()
    assert recording_path(bids, bm, bm.recordings[0].file_name, layout="bids") == b_paths[0]
    assert recording_path(phys, pm, "chb03_01.edf", layout="physionet") == p_paths[0]


def test_recording_path_is_pure_and_validates():
    rec = Recording("sub-07_task-szMonitoring_run-00_eeg.edf", 0.0, 1.0, ("FP1-F7",))
    manifest = Manifest("chb07", 256.0, (rec, Recording("chb07_01.edf", 2.0, 3.0, ("FP1-F7",))))
    root = Path("/nowhere")
    assert recording_path(root, manifest, rec.file_name) == root / "sub-07" / "eeg" / rec.file_name
    assert recording_path(root, manifest, "chb07_01.edf") == root / "chb07" / "chb07_01.edf"
    with pytest.raises(ConfigError, match=r"Invalid value for 'file_name': allowed a BIDS name"):
        recording_path(root, manifest, "chb07_01.edf", layout="bids")
    with pytest.raises(ManifestError, match=r"chb07: no recording named 'chb07_02.edf'"):
        recording_path(root, manifest, "chb07_02.edf")
    assert is_bids_name("sub-01_ses-02_task-szMonitoring_run-00_eeg.edf") and not is_bids_name(
        "chb02_16+.edf"
    )
    assert bids_path(root, "sub-01_ses-02_task-x_run-3_eeg.edf") == root / "sub-01" / "ses-02" / "eeg" / (
        "sub-01_ses-02_task-x_run-3_eeg.edf"
    )
