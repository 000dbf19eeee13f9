"""``seizurepred cache`` and ``seizurepred train`` on a small synthetic patient written as real EDF files."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from seizurepred.cli.main import cli
from seizurepred.synth import generate_patient
from seizurepred.synth.demo import short_synth_config

# cache_cmd + train_cmd: a tiny training budget and short interictal distances for an 8-h patient
_TOML = """
[sweep]
model = "small"
max_train_windows = 300
[label]
interictal_before_onset_min = 90.0
interictal_after_end_min = 30.0
postictal_exclusion_min = 30.0
[train]
max_epochs = 2
patience = 2
device = "cpu"
"""


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    config = short_synth_config(seed=11)
    generate_patient(root, config=config)
    return root


def test_cache_then_reuse(data_root, tmp_path):
    runner = CliRunner()
    args = ["cache", "-p", "chb01", "--data-root", str(data_root), "--cache-dir", str(tmp_path / "c")]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "0 reused" in first.output and "0 skipped" in first.output
    second = runner.invoke(cli, args)
    assert second.exit_code == 0, second.output
    assert "0 built" in second.output


def test_cache_missing_data_root_is_usage_error(tmp_path):
    result = CliRunner().invoke(cli, ["cache", "-p", "chb01", "--data-root", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def _train_args(data_root, tmp_path, *, fold: int) -> list[str]:
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(_TOML, encoding="utf-8")
    return [
        "train",
        "-p",
        "chb01",
        "--data-root",
        str(data_root),
        "--cache-dir",
        str(tmp_path / "c"),
        "--config",
        str(cfg),
        "-k",
        "30",
        "--fold",
        str(fold),
    ]


def test_train_one_fold_writes_checkpoint_history_and_fold(data_root, tmp_path):
    out = tmp_path / "run"
    args = _train_args(data_root, tmp_path, fold=1) + ["--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "test AUC" in result.output
    fold = json.loads((out / "folds" / "k030_sz001_r0.json").read_text())
    assert fold["fold"]["seizure_id"] == 1 and fold["n_epochs"] >= 1 and fold["status"] == "ok"
    assert (out / "checkpoints" / "k030_sz001_r0.pt").is_file()
    history = (out / "k030_sz001_r0-history.csv").read_text().splitlines()
    assert history[0].startswith("epoch") and len(history) == 1 + fold["n_epochs"]


def test_train_fold_out_of_range_names_the_option(data_root, tmp_path):
    args = _train_args(data_root, tmp_path, fold=7)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "--fold" in result.output and "0..1" in result.output
