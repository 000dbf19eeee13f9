"""Tests of ``seizurepred manifest build`` / ``show`` through click's CliRunner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from seizurepred.cli.main import cli
from seizurepred.io.manifest import Manifest, Recording, Seizure, load_manifest, manifests_dir, save_manifest


@pytest.fixture
def runner():
    return CliRunner()


@pytest.mark.parametrize(
    "args", [["manifest", "--help"], ["manifest", "build", "--help"], ["manifest", "show", "--help"]]
)
def test_help(runner, args):
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_show_committed_chb01(runner):
    result = runner.invoke(cli, ["manifest", "show", "chb01"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "chb01_03.edf" in out and "13:43:04" in out and "24:44:29" in out  # chb01_13 end past midnight
    assert "Totals: 42 recordings (7 with seizures, 0 with unknown times)" in out and "7 seizures" in out
    assert "A (23 channels" in out
    # chb01_03 seizure at 2996 s: clock 13:43:04 + 2996 s = 14:33:00
    assert "14:33:00" in out


def test_show_json(runner):
    result = runner.invoke(cli, ["manifest", "show", "chb24", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["case"] == "chb24" and len(data["recordings"]) == 22
    assert data["derived"]["n_seizures"] == 16
    assert Manifest.from_dict(data) == load_manifest("chb24")


def test_show_unknown_case_is_one_line(runner):
    result = runner.invoke(cli, ["manifest", "show", "chb99"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "known cases are chb01" in result.output


def test_show_synthetic_manifest_with_gaps_and_changes(runner, tmp_path, monkeypatch):
    recs = (
        Recording("x_01.edf", 82800.0, 86400.0, ("A", "B")),
        Recording("x_02.edf", 86410.0, 90010.0, ("A", "C"), (Seizure(100.0, 160.0),)),
        Recording("x_03.edf", None, None, ("A", "C")),
    )
    save_manifest(Manifest("chb90", 256.0, recs, notes=("a note",)), tmp_path / "chb90.json")
    monkeypatch.setenv("SEIZUREPRED_MANIFESTS", str(tmp_path))
    result = runner.invoke(cli, ["manifest", "show", "chb90"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    row2 = next(ln for ln in lines if ln.strip().startswith("1  x_02.edf"))
    assert "24:00:10" in row2 and "25:00:10" in row2 and "10 s" in row2 and " B " in row2
    assert "24:01:50" in result.output  # seizure onset on the clock
    assert "1 with unknown times" in result.output and "- a note" in result.output
    assert "B (2 channels, from x_02.edf): A C" in result.output


def test_build_matches_committed(runner, chbmit_dir, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(
        cli,
        [
            "-q",
            "manifest",
            "build",
            "--summaries",
            str(chbmit_dir / "summaries"),
            "--meta",
            str(chbmit_dir),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Wrote 24 manifests" in result.output
    assert (out / "chb07.json").read_text() == load_manifest("chb07").to_json()


def test_build_defaults_to_the_committed_metadata(runner, tmp_path):
    """Without --summaries and --meta, the build reads data_manifests/metadata and rewrites every committed
    manifest byte for byte."""
    out = tmp_path / "out"
    result = runner.invoke(cli, ["-q", "manifest", "build", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote 24 manifests" in result.output
    committed = sorted(manifests_dir().glob("chb*.json"))
    assert [p.name for p in committed] == sorted(p.name for p in out.glob("*.json")) and len(committed) == 24
    assert all((out / p.name).read_bytes() == p.read_bytes() for p in committed)


def test_build_bad_summary_is_one_line_error(runner, tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "RECORDS").write_text("chb90/chb90_01.edf\n")
    (tmp_path / "s" / "chb90-summary.txt").write_text("Data Sampling Rate: 256 Hz\nFile Name: chb90_01.edf\n")
    result = runner.invoke(
        cli,
        [
            "manifest",
            "build",
            "--summaries",
            str(tmp_path / "s"),
            "--meta",
            str(tmp_path / "m"),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 2
    assert "chb90-summary.txt line 2: expected 'Channels in EDF Files:'" in result.output
