"""SweepConfig: validation, loading from dicts and TOML files, label_for, hash and to_dict."""

from __future__ import annotations

import dataclasses
import json

import pytest

from seizurepred.cache.preprocess import PreprocessConfig
from seizurepred.errors import ConfigError
from seizurepred.evaluation.alarms import AlarmConfig
from seizurepred.evaluation.ciopr import CioprOptions
from seizurepred.evaluation.opp import SelectorOptions
from seizurepred.labels.segments import LabelConfig
from seizurepred.sweep.config import SweepConfig, load_sweep_config, sweep_config_from_dict
from seizurepred.training import TrainConfig
from seizurepred.windows.index import WindowConfig


def test_defaults_are_valid_and_paper_like():
    cfg = SweepConfig()
    assert cfg.preictal_mins == (60, 45, 30, 15)
    assert cfg.protocol == "paper"
    assert cfg.repeats >= 1
    assert isinstance(cfg.label, LabelConfig)
    assert isinstance(cfg.window, WindowConfig)
    assert isinstance(cfg.preprocess, PreprocessConfig)
    assert isinstance(cfg.train, TrainConfig)
    assert isinstance(cfg.alarms, AlarmConfig)
    assert isinstance(cfg.ciopr, CioprOptions)


@pytest.mark.parametrize(
    ("changes", "name"),
    [
        ({"preictal_mins": ()}, "preictal_mins"),
        ({"preictal_mins": (60, 30, 60)}, "preictal_mins"),
        ({"preictal_mins": (60, 30.5)}, "preictal_mins"),
        ({"preictal_mins": (60, "30")}, "preictal_mins"),
        ({"preictal_mins": (0,)}, "preictal_mins"),
        ({"preictal_mins": (-15,)}, "preictal_mins"),
        ({"preictal_mins": (True,)}, "preictal_mins"),
        ({"protocol": "kfold"}, "protocol"),
        ({"repeats": 0}, "repeats"),
        ({"repeats": 1.5}, "repeats"),
        ({"channels": "all"}, "channels"),
        ({"channels": ("FP1-F7",)}, "channels"),
        ({"on_missing": "ignore"}, "on_missing"),
        ({"seed": -1}, "seed"),
        ({"max_folds": 0}, "max_folds"),
        ({"max_folds": 2.5}, "max_folds"),
        ({"max_train_windows": 1}, "max_train_windows"),
        ({"max_train_windows": 100.5}, "max_train_windows"),
        ({"n_surrogates": -1}, "n_surrogates"),
        ({"n_surrogates": 1.5}, "n_surrogates"),
    ],
)
def test_invalid_values_raise_config_error_naming_the_parameter(changes, name):
    with pytest.raises(ConfigError, match=f"'{name}'"):
        SweepConfig(**changes)


def test_optional_limits_accept_none_and_valid_values():
    cfg = SweepConfig(max_folds=None, max_train_windows=None, n_surrogates=0)
    assert cfg.max_folds is None and cfg.n_surrogates == 0
    cfg = SweepConfig(
        max_folds=1, max_train_windows=2, preictal_mins=(5,), repeats=4, protocol="chronological"
    )
    assert cfg.max_folds == 1 and cfg.max_train_windows == 2


def test_label_for_overrides_only_the_preictal_length():
    base = LabelConfig(sph_min=5.0, interictal_before_onset_min=120.0)
    cfg = SweepConfig(label=base)
    got = cfg.label_for(15)
    assert got.preictal_min == 15.0 and isinstance(got.preictal_min, float)
    assert dataclasses.replace(got, preictal_min=base.preictal_min) == base
    assert cfg.label == base  # not mutated


def test_hash_stable_and_sensitive():
    a, b = SweepConfig(), SweepConfig()
    assert a.hash() == b.hash()
    assert isinstance(a.hash(), str) and len(a.hash()) >= 8
    others = [
        SweepConfig(preictal_mins=(60, 30)),
        SweepConfig(protocol="chronological"),
        SweepConfig(repeats=2),
        SweepConfig(train=TrainConfig(max_epochs=3)),
        SweepConfig(alarms=AlarmConfig(sop_min=20.0)),
        SweepConfig(model_options=(("dropout", 0.1),)),
    ]
    hashes = {a.hash()} | {c.hash() for c in others}
    assert len(hashes) == len(others) + 1


def test_to_dict_is_json_serialisable_and_nested():
    cfg = SweepConfig(model_options=(("dropout", 0.25), ("width", 8)), max_folds=2)
    d = cfg.to_dict()
    text = json.dumps(d, allow_nan=False)
    back = json.loads(text)
    assert back["preictal_mins"] == [60, 45, 30, 15]
    assert back["max_folds"] == 2
    assert back["train"]["max_epochs"] == cfg.train.max_epochs
    assert back["label"]["preictal_min"] == cfg.label.preictal_min
    for stage in ("label", "window", "preprocess", "train", "alarms", "ciopr"):
        assert isinstance(back[stage], dict)


# ------------------------------------------------------------------------------------------------- from dict
def test_from_empty_dict_gives_defaults():
    assert sweep_config_from_dict({}) == SweepConfig()


def test_from_dict_nested_stage_tables_and_model_options():
    data = {
        "sweep": {
            "preictal_mins": [45, 15],
            "protocol": "chronological",
            "repeats": 2,
            "model": "small",
            "model_options": {"width": 8, "dropout": 0.5},
            "max_folds": 3,
        },
        "label": {"sph_min": 5.0},
        "window": {"window_s": 4.0},
        "train": {"max_epochs": 7, "patience": 2},
        "alarms": {"sop_min": 20.0, "sph_min": 6.0},
        "ciopr": {"block_min": 4.0},
        "preprocess": {"h_freq_hz": 40.0},
    }
    cfg = sweep_config_from_dict(data)
    assert cfg.preictal_mins == (45, 15)
    assert cfg.protocol == "chronological" and cfg.repeats == 2 and cfg.model == "small"
    assert dict(cfg.model_options) == {"width": 8, "dropout": 0.5}
    assert cfg.max_folds == 3
    assert cfg.label.sph_min == 5.0
    assert cfg.window.window_s == 4.0
    assert cfg.train.max_epochs == 7 and cfg.train.patience == 2
    assert cfg.alarms.sop_min == 20.0 and cfg.alarms.sph_min == 6.0
    assert cfg.ciopr.block_min == 4.0
    assert cfg.preprocess.h_freq_hz == 40.0
    # the input dict is not mutated (house rule: never mutate arguments)
    assert data["sweep"]["preictal_mins"] == [45, 15]
    assert data["sweep"]["model_options"] == {"width": 8, "dropout": 0.5}


def test_fold_hash_ignores_only_the_selector():
    base = SweepConfig()
    other_selector = SweepConfig(selector=SelectorOptions(alpha=0.01, correction="holm", first_weight=0.5))
    assert other_selector.fold_hash() == base.fold_hash() and other_selector.hash() != base.hash()
    others = [SweepConfig(preictal_mins=(60, 30)), SweepConfig(train=TrainConfig(max_epochs=3)),
              SweepConfig(alarms=AlarmConfig(sop_min=20.0))]  # fmt: skip
    assert len({base.fold_hash()} | {c.fold_hash() for c in others}) == len(others) + 1


def test_model_options_order_does_not_change_the_hash():
    a = sweep_config_from_dict({"sweep": {"model_options": {"width": 8, "dropout": 0.2}}})
    b = sweep_config_from_dict({"sweep": {"model_options": {"dropout": 0.2, "width": 8}}})
    assert a.hash() == b.hash()


@pytest.mark.parametrize(
    ("data", "pattern"),
    [
        ({"sweep": {"model": "resnet"}}, r"\[sweep\]: Invalid value for 'model': allowed 'bandpower_logreg', "),
        ({"sweep": {"model_options": {"depth": 3}}}, r"options' of model 'small': allowed .*got 'depth'"),
        ({"sweep": {"seed": 2148}}, r"Invalid value for 'seed': allowed 0..2147 with 1 repeat\(s\)"),
        ({"sweep": {"seed": 2148, "repeats": 4}}, r"allowed 0..2147 with 4 repeat"),
    ],
)
def test_model_and_seed_range_checked_at_construction(data, pattern):
    """Checked when the config is made, so nothing is built or written before a bad model or seed is refused."""
    with pytest.raises(ConfigError, match=pattern):
        sweep_config_from_dict(data, source="x.toml")


@pytest.mark.parametrize(
    ("data", "pattern"),
    [
        ({"model": {"width": 3}}, r"unknown table \[model\]"),
        ({"sweep": {"preictal_min": [60]}}, r"\[sweep\]: unknown key 'preictal_min'"),
        ({"sweep": {"label": {}}}, r"\[sweep\]: unknown key 'label'"),
        ({"label": {"preictal_mins": 60}}, r"\[label\].*unknown key 'preictal_mins'"),
        ({"train": {"epochs": 3}}, r"\[train\].*unknown key 'epochs'"),
        ({"sweep": {"model_options": 3}}, r"model_options"),
        ({"sweep": {"repeats": 0}}, r"'repeats'"),
        ({"sweep": {"preictal_mins": []}}, r"'preictal_mins'"),
        ({"sweep": {"preictal_mins": [60, 60]}}, r"'preictal_mins'"),
        ({"label": 5}, r"\[label\]"),
    ],
)
def test_from_dict_errors(data, pattern):
    with pytest.raises(ConfigError, match=pattern):
        sweep_config_from_dict(data, source="my.toml")


def test_from_dict_error_names_the_source():
    with pytest.raises(ConfigError, match=r"^my\.toml"):
        sweep_config_from_dict({"bogus": {}}, source="my.toml")


def test_scalar_preictal_mins_is_a_config_error():
    with pytest.raises(ConfigError, match="preictal_mins"):
        sweep_config_from_dict({"sweep": {"preictal_mins": 60}})


def test_non_table_sweep_is_a_config_error():
    with pytest.raises(ConfigError, match="sweep"):
        sweep_config_from_dict({"sweep": 3})


# ------------------------------------------------------------------------------------------------- TOML files
_TOML = """
[sweep]
preictal_mins = [60, 30]
protocol = "paper"
repeats = 2
model = "small"
n_surrogates = 0

[sweep.model_options]
dropout = 0.1

[label]
sph_min = 2.0

[train]
max_epochs = 5
device = "cpu"

[alarms]
sop_min = 25.0
"""


def test_load_sweep_config_from_toml(tmp_path):
    path = tmp_path / "sweep.toml"
    path.write_text(_TOML, encoding="utf-8")
    cfg = load_sweep_config(path)
    assert cfg.preictal_mins == (60, 30)
    assert cfg.repeats == 2 and cfg.n_surrogates == 0
    assert cfg.model_options == (("dropout", 0.1),)
    assert cfg.label.sph_min == 2.0
    assert cfg.train.max_epochs == 5 and cfg.train.device == "cpu"
    assert cfg.alarms.sop_min == 25.0
    assert cfg.window == WindowConfig()
    assert load_sweep_config(str(path)) == cfg


def test_load_sweep_config_unknown_key_names_file_and_table(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[sweep]\nrepeats = 1\n\n[window]\nwindow_len = 4.0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.toml \[window\].*'window_len'"):
        load_sweep_config(path)


def test_load_sweep_config_unknown_sweep_key(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[sweep]\nrepeat = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.toml \[sweep\]: unknown key 'repeat'"):
        load_sweep_config(path)


def test_load_sweep_config_unknown_table(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[sweeps]\nrepeats = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.toml: unknown table \[sweeps\]"):
        load_sweep_config(path)


def test_load_sweep_config_invalid_value_and_syntax(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[sweep]\nprotocol = "kfold"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="'protocol'"):
        load_sweep_config(path)
    path.write_text("[sweep\nrepeats = ", encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.toml"):
        load_sweep_config(path)
    with pytest.raises(ConfigError, match="no such config file"):
        load_sweep_config(tmp_path / "absent.toml")


def test_invalid_sweep_value_names_the_file_and_table(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[sweep]\nprotocol = "loso"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^bad\.toml \[sweep\]: Invalid value for 'protocol'"):
        load_sweep_config(path)


def test_label_and_alarm_horizons_are_checked_together():
    """One SPH idea in two places: alarms are scored at a horizon at least the labels' (Truong 2018: SPH 5)."""
    from seizurepred.evaluation.alarms import AlarmConfig

    ok = SweepConfig(label=LabelConfig(sph_min=5.0), alarms=AlarmConfig(sph_min=5.0))
    assert ok.alarms.sph_min == ok.label.sph_min == 5.0
    with pytest.raises(ConfigError, match=r"'alarms.sph_min': allowed >= label.sph_min \(10 min"):
        SweepConfig(label=LabelConfig(sph_min=10.0))
    with pytest.raises(ConfigError, match="alarms.sph_min"):
        sweep_config_from_dict({"label": {"sph_min": 10.0}}, source="x.toml")
