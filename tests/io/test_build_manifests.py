"""Tests of the committed-manifest builder: real metadata totals, notes, and byte-for-byte regeneration."""

from __future__ import annotations

from pathlib import Path

import pytest

from seizurepred.errors import ManifestError
from seizurepred.io.build_manifests import build_all, build_case_manifest, read_records, read_subject_info
from seizurepred.io.manifest import read_manifest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built(chbmit_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("manifests")
    paths = build_all(chbmit_dir / "summaries", chbmit_dir, out)
    return out, paths


def test_totals(built):
    _, paths = built
    ms = {p.stem: read_manifest(p) for p in paths}
    assert len(ms) == 24
    n_files = sum(len(m) for m in ms.values())
    n_with = sum(bool(r.seizures) for m in ms.values() for r in m)
    n_sz = sum(m.n_seizures for m in ms.values())
    assert (n_files, n_with, n_sz) == (686, 141, 198)
    first23 = [m for c, m in ms.items() if c != "chb24"]
    assert (sum(len(m) for m in first23), sum(bool(r.seizures) for m in first23 for r in m)) == (664, 129)
    assert sum(m.n_seizures for m in first23) == 182
    assert all(r.sha256 is not None and len(r.sha256) == 64 for m in ms.values() for r in m)


def test_committed_manifests_equal_regenerated(built):
    out, paths = built
    committed = REPO / "data_manifests"
    assert sorted(p.name for p in committed.glob("chb*.json")) == sorted(p.name for p in paths)
    for p in paths:
        assert (committed / p.name).read_bytes() == p.read_bytes(), p.name


def test_sha256_and_records_match_meta_files(chbmit_dir, built):
    out, _ = built
    sums = {}
    for line in (chbmit_dir / "SHA256SUMS.txt").read_text().splitlines():
        digest, rel = line.split()
        sums[rel] = digest
    records = read_records(chbmit_dir / "RECORDS")
    for case, names in records.items():
        m = read_manifest(out / f"{case}.json")
        assert sorted(r.file_name for r in m) == sorted(names)
        assert all(r.sha256 == sums[f"{case}/{r.file_name}"] for r in m)


def test_notes_and_subject_info(built):
    out, _ = built
    chb07 = read_manifest(out / "chb07.json")
    assert chb07.recording("chb07_19.edf").seizures[0].onset_s == 13688
    assert not chb07.recording("chb07_18.edf").seizures
    assert any("lists chb07_18.edf" in n for n in chb07.notes)
    assert any("does not list chb07_19.edf" in n for n in chb07.notes)
    chb24 = read_manifest(out / "chb24.json")
    assert chb24.sex is None and chb24.age_years is None and len(chb24) == 22
    assert any("no row for chb24" in n for n in chb24.notes)
    assert any("chb24_04.edf and chb24_09.edf" in n for n in chb24.notes)
    assert sum(r.seizures == () for r in chb24) == 10
    chb12 = read_manifest(out / "chb12.json")
    assert any(n.startswith("chb12_27.edf, chb12_28.edf, chb12_29.edf lack") for n in chb12.notes)
    chb06 = read_manifest(out / "chb06.json")
    assert (chb06.sex, chb06.age_years) == ("F", 1.5)
    assert any("chb21" in n for n in read_manifest(out / "chb01.json").notes)


def _meta(
    tmp_path: Path, *, records: str, subject: str = "Case\tGender\tAge (years)\n\nchb90\tM\t 7\n"
) -> Path:
    meta = tmp_path / "meta"
    meta.mkdir()
    (meta / "RECORDS").write_text(records)
    (meta / "RECORDS-WITH-SEIZURES").write_text("chb90/chb90_02.edf\n")
    (meta / "SUBJECT-INFO").write_text(subject)
    (meta / "SHA256SUMS.txt").write_text(
        f"{'a' * 64} chb90/chb90_01.edf\n{'b' * 64} chb90/chb90_01.edf.seizures\n"
    )
    return meta


def test_synthetic_case(tmp_path):
    summaries = tmp_path / "summaries"
    summaries.mkdir()
    (summaries / "chb90-summary.txt").write_text(
        "Data Sampling Rate: 256 Hz\n\nChannels in EDF Files:\n**\nChannel 1: FP1-F7\n\n"
        "File Name: chb90_01.edf\nFile Start Time: 10:00:00\nFile End Time: 11:00:00\n"
        "Number of Seizures in File: 1\nSeizure Start Time: 5 seconds\nSeizure End Time: 9 seconds\n"
    )
    meta = _meta(tmp_path, records="chb90/chb90_01.edf\nchb90/chb90_02.edf\n")
    m = build_case_manifest("chb90", summaries_dir=summaries, meta_dir=meta)
    assert (m.sex, m.age_years) == ("M", 7.0)
    assert m.recording("chb90_01.edf").sha256 == "a" * 64 and m.recording("chb90_02.edf").sha256 is None
    notes = "\n".join(m.notes)
    assert "RECORDS-WITH-SEIZURES lists chb90_02.edf" in notes
    assert "RECORDS-WITH-SEIZURES does not list chb90_01.edf" in notes
    assert "No SHA-256 in SHA256SUMS.txt for: chb90_02.edf" in notes
    assert "lack 21 of the paper-23 channel labels: F7-T7," in notes
    paths = build_all(summaries, meta, tmp_path / "out")
    assert [p.name for p in paths] == ["chb90.json"] and read_manifest(paths[0]) == m


def test_errors(tmp_path):
    summaries = tmp_path / "summaries"
    summaries.mkdir()
    meta = _meta(tmp_path, records="chb90/chb90_01.edf\n")
    with pytest.raises(ManifestError, match="no '\\*-summary.txt' files"):
        build_all(summaries, meta, tmp_path / "out")
    (summaries / "chb91-summary.txt").write_text("x")
    with pytest.raises(ManifestError, match="no summary for case\\(s\\) listed in RECORDS: chb90"):
        build_all(summaries, meta, tmp_path / "out")
    with pytest.raises(ManifestError, match="R1 line 1: invalid file name"):
        read_records(_write(tmp_path / "R1", "chb90/../x.edf\n"))
    with pytest.raises(ManifestError, match="SUBJECT-INFO line 2: expected sex"):
        read_subject_info(_write(tmp_path / "SUBJECT-INFO", "Case Gender Age\nchb01 X 3\n"))


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
