"""The ``seizurepred synth`` command: its own layout, onset shapes, and the patient folder (--overwrite)."""

from __future__ import annotations

import json

import pytest
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


TINY_ARGS = ["--patient", "chb05", "--hours", "0.25", "--file-hours", "0.25", "--seizures", "1"]
TINY_ARGS += ["--preictal-min", "3", "--min-first-onset-h", "0.1", "--seed", "2"]


def test_synth_refuses_a_non_empty_patient_folder_unless_overwrite(tmp_path):
    out = tmp_path / "data"
    first = CliRunner().invoke(cli, ["synth", "--out", str(out), *TINY_ARGS])
    assert first.exit_code == 0, first.output
    folder = out / "chb05"
    (folder / "stray.txt").write_text("old")
    (folder / "old_sub").mkdir()
    (folder / "old_sub" / "x.edf").write_text("old")
    keep = tmp_path / "outside.txt"
    keep.write_text("keep")
    (folder / "link_out").symlink_to(keep)
    (out / "chb06").mkdir()
    (out / "chb06" / "other.edf").write_text("other patient")
    again = CliRunner().invoke(cli, ["synth", "--out", str(out), *TINY_ARGS])
    assert again.exit_code == 2
    assert str(folder) in again.output and "--overwrite" in again.output and "not empty" in again.output
    assert len(again.output.strip().splitlines()) == 1 and "Traceback" not in again.output
    assert (folder / "stray.txt").is_file()  # nothing was touched
    done = CliRunner().invoke(cli, ["synth", "--out", str(out), *TINY_ARGS, "--overwrite"])
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in folder.iterdir()) == [
        "chb05-summary.txt",
        "chb05-synth-truth.json",
        "chb05_01.edf",
    ]
    assert keep.read_text() == "keep" and (out / "chb06" / "other.edf").read_text() == "other patient"


def test_synth_overwrite_refuses_a_symlinked_patient_folder(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "precious.edf").write_text("precious")
    out = tmp_path / "data"
    out.mkdir()
    (out / "chb05").symlink_to(target, target_is_directory=True)
    for extra in ([], ["--overwrite"]):
        result = CliRunner().invoke(cli, ["synth", "--out", str(out), *TINY_ARGS, *extra])
        assert (
            result.exit_code == 2 and "symbolic link" in result.output and str(out / "chb05") in result.output
        )
    assert sorted(p.name for p in target.iterdir()) == ["precious.edf"]


def test_synth_bids_patient_folder_is_the_session(tmp_path):
    args = ["synth", "--out", str(tmp_path), *TINY_ARGS, "--layout", "bids"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    refused = CliRunner().invoke(cli, args)
    assert refused.exit_code == 2 and str(tmp_path / "sub-05" / "ses-01") in refused.output, refused.output
    done = CliRunner().invoke(cli, [*args, "--overwrite"])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "sourcedata" / "chb05-synth-truth.json").is_file()


def test_prepare_patient_folder(tmp_path):
    from seizurepred.errors import ConfigError
    from seizurepred.synth.folder import prepare_patient_folder

    assert prepare_patient_folder(tmp_path / "new").is_dir()
    assert prepare_patient_folder(tmp_path / "new") == tmp_path / "new"  # empty: fine without overwrite
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="is a file"):
        prepare_patient_folder(tmp_path / "file", overwrite=True)
    assert (tmp_path / "file").read_text() == "x"


def test_synth_onset_shape_and_lengths_options(tmp_path):
    args = [
        "synth",
        "--out",
        str(tmp_path),
        *TINY_ARGS,
        "--onset-shape",
        "raised_cosine",
        "--preictal-mins",
        "4",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "onset shape raised_cosine" in result.output and "planted 4 min" in result.output
    truth = json.loads((tmp_path / "chb05" / "chb05-synth-truth.json").read_text())
    assert truth["config"]["onset_shape"] == "raised_cosine" and truth["config"]["preictal_mins"] == [4.0]
    assert truth["seizures"][0]["preictal_min"] == 4.0
