"""CLI set-up shared by ``sweep`` and ``train`` (resolve_inputs) and their --help / early errors.

Synthetic generation (30 h of EDF) is never triggered: ``ensure_demo_patient`` is replaced by a stub that either
fails the test or returns a folder without writing anything.
"""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from seizurepred.cli.main import cli
from seizurepred.cli.options import default_cache_dir, resolve_inputs
from seizurepred.errors import ConfigError
from seizurepred.sweep.config import SweepConfig
from seizurepred.synth import demo

_TOML = "[sweep]\npreictal_mins = [45, 15]\nrepeats = 2\n\n[train]\nmax_epochs = 3\n"


@pytest.fixture
def no_synthetic(monkeypatch):
    """Fail the test if the synthetic patient would be generated."""

    def refuse(*args, **kwargs):
        raise AssertionError("synthetic generation must not run in this test")

    monkeypatch.setattr(demo, "ensure_demo_patient", refuse)


@pytest.fixture
def toml_file(tmp_path) -> Path:
    path = tmp_path / "sweep.toml"
    path.write_text(_TOML, encoding="utf-8")
    return path


def test_data_root_gives_default_config(tmp_path, no_synthetic):
    root = tmp_path / "data"
    patient, data_root, cache_dir, base, note = resolve_inputs("chb05", root, False, tmp_path / "cache", None)
    assert patient == "chb05"
    assert data_root == root and isinstance(data_root, Path)
    assert cache_dir == tmp_path / "cache"
    assert base == SweepConfig()
    assert str(root / "chb05") in note
    assert not root.exists()  # nothing written


def test_data_root_as_string_and_loaded_toml(tmp_path, toml_file, no_synthetic):
    patient, data_root, _, base, _ = resolve_inputs("chb02", str(tmp_path), False, tmp_path, toml_file)
    assert patient == "chb02" and data_root == tmp_path
    assert base.preictal_mins == (45, 15) and base.repeats == 2 and base.train.max_epochs == 3


def test_default_cache_dir_from_environment(tmp_path, monkeypatch, no_synthetic):
    monkeypatch.setenv("SEIZUREPRED_CACHE", str(tmp_path / "envcache"))
    assert default_cache_dir() == tmp_path / "envcache"
    _, _, cache_dir, _, _ = resolve_inputs("chb01", tmp_path, False, None, None)
    assert cache_dir == tmp_path / "envcache"
    monkeypatch.delenv("SEIZUREPRED_CACHE")
    assert default_cache_dir() == Path.home() / ".cache" / "seizurepred"


def test_synthetic_with_data_root_is_a_usage_error(tmp_path, no_synthetic):
    with pytest.raises(click.UsageError, match="--synthetic and --data-root"):
        resolve_inputs("chb01", tmp_path, True, tmp_path / "cache", None)


def test_without_data_root_uses_the_demo_patient(tmp_path, monkeypatch, toml_file):
    calls = []

    def fake_ensure(root, **kwargs):
        calls.append(Path(root))
        return Path(root)

    monkeypatch.setattr(demo, "ensure_demo_patient", fake_ensure)
    monkeypatch.delenv("SEIZUREPRED_CHBMIT_ROOT", raising=False)
    patient, data_root, cache_dir, base, note = resolve_inputs(None, None, False, tmp_path, None)
    assert calls == [tmp_path / "synthetic"]
    assert patient == demo.DEMO_CASE and data_root == tmp_path / "synthetic" and cache_dir == tmp_path
    assert base == demo.demo_sweep_config()
    assert "synthetic" in note and "No real EEG" in note
    # --synthetic with an explicit config keeps the config
    _, _, _, base, _ = resolve_inputs("chb01", None, True, tmp_path, toml_file)
    assert base.preictal_mins == (45, 15)
    # another patient without data is an error, never a silent switch to the synthetic one
    with pytest.raises(click.UsageError, match="chb05"):
        resolve_inputs("chb05", None, False, tmp_path, None)


def test_environment_data_root_is_used(tmp_path, monkeypatch, no_synthetic):
    monkeypatch.setenv("SEIZUREPRED_CHBMIT_ROOT", str(tmp_path / "real"))
    patient, data_root, _, base, note = resolve_inputs(None, None, False, tmp_path, None)
    assert (patient, data_root) == ("chb01", tmp_path / "real")
    assert base == SweepConfig() and "synthetic" not in note


# ------------------------------------------------------------------------------------------------ CLI
@pytest.mark.parametrize("command", ["sweep", "train"])
def test_help(command):
    res = CliRunner().invoke(cli, [command, "--help"])
    assert res.exit_code == 0, res.output
    for opt in ("--data-root", "--synthetic", "--config", "--cache-dir", "--preictal-min", "--out"):
        assert opt in res.output
    assert "Examples:" in res.output


def test_root_help_lists_commands():
    res = CliRunner().invoke(cli, ["-h"])
    assert res.exit_code == 0
    assert "sweep" in res.output and "train" in res.output


@pytest.mark.parametrize("command", ["sweep", "train"])
def test_cli_synthetic_and_data_root_exclusive(tmp_path, command, no_synthetic):
    res = CliRunner().invoke(cli, [command, "--synthetic", "--data-root", str(tmp_path)])
    assert res.exit_code == 2
    assert "--synthetic and --data-root exclude each other" in res.output


def test_cli_sweep_bad_config_is_one_line_error(tmp_path, no_synthetic):
    bad = tmp_path / "bad.toml"
    bad.write_text("[sweep]\nrepeat = 2\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["sweep", "--data-root", str(tmp_path), "--config", str(bad)])
    assert res.exit_code == 2
    assert "unknown key 'repeat'" in res.output
    assert "Traceback" not in res.output


def test_cli_sweep_invalid_override_is_one_line_error(tmp_path, no_synthetic):
    res = CliRunner().invoke(
        cli, ["sweep", "--data-root", str(tmp_path), "--cache-dir", str(tmp_path / "c"), "--repeats", "0"]
    )
    assert res.exit_code == 2
    assert "Invalid value for 'repeats'" in res.output


def test_overrides_apply_on_top_of_the_config():
    from seizurepred.cli.options import apply_overrides

    base = SweepConfig(preictal_mins=(60, 30), repeats=3)
    got = apply_overrides(
        base, preictal_mins=(20, 10), protocol="chronological", model=None, repeats=None, max_folds=1,
        max_epochs=2, device="cpu", seed=None,
    )  # fmt: skip
    assert got.preictal_mins == (20, 10) and got.protocol == "chronological" and got.max_folds == 1
    assert got.repeats == 3 and got.model == base.model and got.seed == base.seed
    assert got.train.max_epochs == 2 and got.train.device == "cpu"
    assert base.preictal_mins == (60, 30)  # not mutated
    assert apply_overrides(base, preictal_mins=None, protocol=None, max_epochs=None, device=None) == base
    with pytest.raises(ConfigError, match="'repeats'"):
        apply_overrides(base, repeats=0)


# ------------------------------------------------------------------ empty paths, a cache variable naming a file
@pytest.mark.parametrize(
    ("args", "option", "command"),
    [
        (["sweep", "--out", ""], "--out", "sweep"),
        (["train", "--out", " "], "--out", "train"),
        (["sweep", "--cache-dir", ""], "--cache-dir", "sweep"),
        (["cache", "-p", "chb01", "--data-root", ".", "--cache-dir", ""], "--cache-dir", "cache"),
        (["sweep", "--data-root", ""], "--data-root", "sweep"),
        (["report", ".", "--out", ""], "--out", "report"),
    ],
)
def test_empty_path_options_are_refused_naming_the_option(tmp_path, monkeypatch, no_synthetic, args, option,
                                                           command):  # fmt: skip
    """``--out ""`` meant the current folder, and the command wrote there."""
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2, res.output
    got = repr(args[args.index(option) + 1])
    assert res.output.strip() == (
        f"Error: Invalid value for '{option}': allowed a path; got {got} (an empty path would mean the current "
        f"folder) (see seizurepred {command} --help)"
    )
    assert list(tmp_path.iterdir()) == []


def test_cache_variable_naming_a_file_is_refused(tmp_path, monkeypatch, no_synthetic):
    afile = tmp_path / "afile"
    afile.write_text("x")
    for value, below in ((afile, ""), (afile / "sub", f" (below the file {afile})")):
        monkeypatch.setenv("SEIZUREPRED_CACHE", str(value))
        with pytest.raises(ConfigError) as err:
            default_cache_dir()
        assert str(err.value) == f"Invalid value for '$SEIZUREPRED_CACHE': allowed a folder; got {str(value)!r}{below}."
    monkeypatch.setenv("SEIZUREPRED_CACHE", str(tmp_path / "new" / "cache"))
    assert default_cache_dir() == tmp_path / "new" / "cache"


def test_a_bad_value_is_reported_before_the_demo_patient_is_written(tmp_path, monkeypatch):
    """`sweep -k 0` / `train -k 0` on the built-in patient: one line, and nothing written under the cache folder."""
    from click.testing import CliRunner

    from seizurepred.cli.main import cli

    monkeypatch.delenv("SEIZUREPRED_CHBMIT_ROOT", raising=False)
    for cmd in (["sweep", "-k", "0"], ["train", "-k", "0"]):
        res = CliRunner().invoke(cli, [*cmd, "--cache-dir", str(tmp_path / "cache")])
        assert res.exit_code == 2 and "Invalid value for 'preictal_mins'" in res.output, res.output
        assert not (tmp_path / "cache").exists()
