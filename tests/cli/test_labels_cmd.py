"""``seizurepred labels``: text and JSON reports from a committed manifest and from a data root."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from seizurepred.cli.main import cli
from seizurepred.io.manifest import Manifest, Recording, Seizure, save_manifest

M = 60.0


@pytest.fixture
def manifests(tmp_path, monkeypatch):
    """A manifests folder with one hand-built case: seizures at 5 h, 5 h 30 min (dropped) and 25 h."""
    recs = (
        Recording(
            "chbzz_01.edf", 0.0, 600 * M, ("FP1-F7",), (Seizure(300 * M, 301 * M), Seizure(330 * M, 331 * M))
        ),
        Recording("chbzz_02.edf", 1200 * M, 1800 * M, ("FP1-F7",), (Seizure(300 * M, 301 * M),)),
        Recording("chbzz_03.edf", None, None, ("FP1-F7",), ()),
    )
    save_manifest(Manifest("chbzz", 256.0, recs), tmp_path / "m" / "chbzz.json")
    monkeypatch.setenv("SEIZUREPRED_MANIFESTS", str(tmp_path / "m"))
    return tmp_path / "m"


def test_text_report(manifests):
    res = CliRunner().invoke(cli, ["labels", "--patient", "chbzz", "--preictal-min", "60"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    row0 = next(line for line in lines if line.strip().startswith("0  chbzz_01.edf"))
    assert "60.0" in row0 and "100%" in row0 and row0.endswith("usable")
    row1 = next(line for line in lines if line.strip().startswith("1  chbzz_01.edf"))
    assert "dropped: only 0.0 min of preictal data" in row1 and "postictal_exclusion_min" in row1
    assert "usable seizures: 2 of 3" in res.output
    assert "interictal: 9.47 h" in res.output  # (60 + 209 + 60 + 239) min
    assert "eligible: 2 usable seizures" in res.output
    assert "chbzz_03.edf" in res.output  # unknown times are reported


def test_json_report_and_sph(manifests):
    res = CliRunner().invoke(
        cli, ["labels", "-p", "chbzz", "--preictal-min", "30", "--sph-min", "5", "--json"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["config"]["preictal_min"] == 30.0 and data["config"]["sph_min"] == 5.0
    assert [s["usable"] for s in data["seizures"]] == [True, False, True]
    assert data["seizures"][0]["preictal_available_min"] == 30.0
    assert data["eligible"] is True and data["n_usable_seizures"] == 2


def test_config_file_and_override(manifests, tmp_path):
    toml = tmp_path / "label.toml"
    toml.write_text("[label]\npostictal_exclusion_min = 0\nmin_seizures = 3\n")
    res = CliRunner().invoke(
        cli, ["labels", "-p", "chbzz", "--config", str(toml), "--preictal-min", "15", "--json"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["config"]["preictal_min"] == 15.0 and data["config"]["min_seizures"] == 3
    assert data["n_usable_seizures"] == 3 and data["eligible"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--preictal-min", "300"], "Invalid value for 'preictal_min'"),
        (["--sph-min", "-5"], "Invalid value for 'sph_min'"),
    ],
)
def test_bad_config_is_one_line_error(manifests, args, message):
    res = CliRunner().invoke(cli, ["labels", "-p", "chbzz", *args])
    assert res.exit_code == 2
    assert message in res.output and "Traceback" not in res.output


def test_unknown_case(manifests):
    res = CliRunner().invoke(cli, ["labels", "-p", "chb99"])
    assert res.exit_code == 2 and "Unknown case 'chb99'" in res.output


def test_data_root_matches_parsed_summary(chbmit_dir, tmp_path):
    from seizurepred.io.summary import parse_summary

    (tmp_path / "chb01").mkdir()
    shutil.copy(chbmit_dir / "summaries" / "chb01-summary.txt", tmp_path / "chb01")
    res = CliRunner().invoke(cli, ["labels", "-p", "chb01", "--data-root", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    m = parse_summary(chbmit_dir / "summaries" / "chb01-summary.txt")
    assert data["n_seizures"] == m.n_seizures == 7
    assert [s["file_name"] for s in data["seizures"]] == [e.file_name for e in m.seizures]
    assert data["eligible"] is True
