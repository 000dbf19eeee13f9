"""The ``seizurepred`` root command: every registered sub-command imports and has --help; errors are one line."""

from __future__ import annotations

import importlib
import logging
import os
import subprocess
import sys
import warnings
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from seizurepred import __version__
from seizurepred.cli.main import COMMANDS, _WarningPrinter, cli
from seizurepred.io.edf import EDFWarning
from seizurepred.io.edf_write import write_edf
from seizurepred.io.montage import PAPER_23


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_module_imports_and_has_help(name):
    module, attr, _ = COMMANDS[name]  # manifest_cmd, synth_cmd, labels_cmd, cache_cmd, train_cmd, sweep_cmd
    assert hasattr(importlib.import_module(module), attr)
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_version_and_root_help():
    runner = CliRunner()
    assert __version__ in runner.invoke(cli, ["--version"]).output
    out = runner.invoke(cli, ["--help"]).output
    for name in COMMANDS:
        assert name in out


def test_project_error_is_one_line_exit_2():
    result = CliRunner().invoke(cli, ["manifest", "show", "chb99"])
    assert result.exit_code == 2
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Unknown case 'chb99'" in lines[0] and "chb01" in lines[0]
    assert "Traceback" not in result.output


def test_unknown_command_is_a_usage_error():
    result = CliRunner().invoke(cli, ["sweeep"])
    assert result.exit_code == 2
    assert "No such command" in result.output


def test_models_lists_parameter_counts():
    """models_cmd: every registered model with its count at 23 x 1280; options reach the models that take them."""
    runner = CliRunner()
    out = runner.invoke(cli, ["models"]).output
    for name in ("cnn_transformer", "small", "bandpower_logreg"):
        assert name in out
    assert "782,721" in out
    wide = runner.invoke(cli, ["models", "-o", "pool_channels=false"]).output
    assert "6,462,465" in wide and "pool_channels=False" in wide
    bad = runner.invoke(cli, ["models", "-o", "pool_channels"])
    assert bad.exit_code == 2 and "NAME=VALUE" in bad.output


# ------------------------------------------------------------------ warnings once, errors in one line
def _tiny_patient(root: Path, *, flat_t7p7: bool = False, truncate: bool = False) -> Path:
    """chb93: two 30-s files of the 23 real channels; optionally T7-P7 flat (physical min == max) or a cut file."""
    case_dir = root / "chb93"
    case_dir.mkdir(parents=True)
    labels = "".join(f"Channel {i}: {c}\n" for i, c in enumerate(PAPER_23, 1))
    blocks = "".join(
        f"File Name: chb93_0{k}.edf\nFile Start Time: 10:0{m}:00\nFile End Time: 10:0{m}:30\n"
        "Number of Seizures in File: 0\n\n"
        for k, m in ((1, 0), (2, 1))
    )
    (case_dir / "chb93-summary.txt").write_text(
        f"Data Sampling Rate: 256 Hz\n***\n\nChannels in EDF Files:\n***\n{labels}\n{blocks}"
    )
    rng = np.random.default_rng(0)
    pmin = [800.0 if flat_t7p7 and lab == "T7-P7" else -800.0 for lab in PAPER_23]
    for k, m in ((1, 0), (2, 1)):
        digital = rng.integers(-200, 200, size=(23, 30 * 256)).astype(np.int16)
        write_edf(case_dir / f"chb93_0{k}.edf", digital, labels=PAPER_23, sfreq=256,
                  start=datetime(2090, 1, 1, 10, m), physical_min=pmin)  # fmt: skip
    if truncate:
        path = case_dir / "chb93_02.edf"
        os.truncate(path, path.stat().st_size - 100)
    return root


def test_each_warning_is_shown_once_as_one_line_without_source_echo(tmp_path):
    """The manifest, the cache and the reader each read the cut file's header: one line, not three with code."""
    root = _tiny_patient(tmp_path / "data", truncate=True)
    cmd = [sys.executable, "-m", "seizurepred.cli.main", "-q", "cache", "-p", "chb93", "--data-root", str(root),
           "--cache-dir", str(tmp_path / "c")]  # fmt: skip
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONWARNINGS": ""}
    )
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    cut = f"{root / 'chb93' / 'chb93_02.edf'}: header states 30 data records but the file holds a truncated last"
    assert [ln for ln in lines if "truncated" in ln] == [
        f"WARNING seizurepred: EDFWarning: {cut} data record (11676 of 11776 bytes); kept 29 whole records."
    ]
    assert not [ln for ln in lines if "read_header(" in ln or ".py:" in ln], proc.stderr


def test_warning_printer_shows_each_message_once(caplog):
    printer = _WarningPrinter()
    with caplog.at_level(logging.WARNING):
        for lineno in (10, 20):
            printer(EDFWarning("x.edf: cut"), EDFWarning, f"/src/m{lineno}.py", lineno, None, "code()")
        printer(UserWarning("two\nlines"), UserWarning, "/lib.py", 1)
    got = [(r.name, r.getMessage()) for r in caplog.records]
    assert got == [("seizurepred", "EDFWarning: x.edf: cut"), ("py.warnings", "UserWarning: two lines")]


def test_cli_restores_the_warning_hook():
    before = warnings.showwarning
    assert CliRunner().invoke(cli, ["models"]).exit_code == 0
    assert warnings.showwarning is before


def test_flat_requested_channel_stops_the_cache_with_one_line(tmp_path):
    """Was: exit 0, every channel shifted by the flat one through the common average."""
    root = _tiny_patient(tmp_path / "data", flat_t7p7=True)
    args = ["cache", "-p", "chb93", "--data-root", str(root), "--cache-dir", str(tmp_path / "c")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    errors = [ln for ln in result.output.splitlines() if ln.startswith("Error:")]
    assert errors == [
        f"Error: {root / 'chb93' / 'chb93_01.edf'}: channel 3 'T7-P7': physical_min equals physical_max (800 uV), "
        "so every sample would read as that value; expected a positive gain (physical_min < physical_max, "
        "digital_min < digital_max)."
    ]
