"""The ``seizurepred`` root command: every registered sub-command imports and has --help; errors are one line."""

from __future__ import annotations

import importlib

import pytest
from click.testing import CliRunner

from seizurepred import __version__
from seizurepred.cli.main import COMMANDS, cli


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
