"""The ``seizurepred synth`` command."""

from __future__ import annotations

import json

from click.testing import CliRunner

from seizurepred.cli.main import cli


def test_synth_command_writes_patient(tmp_path):
    args = ["synth", "--out", str(tmp_path), "--patient", "chb05", "--hours", "0.5", "--file-hours", "0.25"]
    args += ["--seizures", "1", "--preictal-min", "3", "--min-first-onset-h", "0.1", "--seed", "2", "--null"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "Wrote 2 EDF files" in result.output and "none (null)" in result.output
    assert sorted(p.name for p in (tmp_path / "chb05").glob("*.edf")) == ["chb05_01.edf", "chb05_02.edf"]
    assert (tmp_path / "chb05" / "chb05-summary.txt").is_file()


def test_synth_command_bad_value_is_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["synth", "--out", str(tmp_path), "--hours", "2", "--seizures", "9"])
    assert result.exit_code == 2
    assert "Invalid value for 'hours'" in result.output
    assert "Traceback" not in result.output


def test_synth_command_signature_kind_and_strength(tmp_path):
    args = ["synth", "--out", str(tmp_path), "--patient", "chb05", "--hours", "0.25", "--file-hours", "0.25"]
    args += ["--seizures", "1", "--preictal-min", "3", "--min-first-onset-h", "0.1", "--seed", "2"]
    result = CliRunner().invoke(cli, [*args, "--signature", "synchrony", "--strength", "0.5"])
    assert result.exit_code == 0, result.output
    assert "signature: synchrony, strength 0.5." in result.output
    truth = json.loads((tmp_path / "chb05" / "chb05-synth-truth.json").read_text())
    assert truth["signature_kind"] == "synchrony" and truth["config"]["signature_strength"] == 0.5
    assert truth["signature_band_hz"] == [5.0, 9.0] and not truth["null"]
    bad = CliRunner().invoke(cli, [*args, "--signature", "synchrony", "--strength", "2"])
    assert bad.exit_code == 2 and "Invalid value for 'signature_strength'" in bad.output
    assert "Traceback" not in bad.output
