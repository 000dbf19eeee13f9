"""Shared helpers: the validation message grammar (_validate), config hashing and TOML loading (config),
strict JSON (_json), and the error hierarchy (errors)."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from seizurepred import errors
from seizurepred._json import json_safe, nan_for_none
from seizurepred._validate import check_number, check_option
from seizurepred.config import config_from_dict, config_hash, config_to_dict, load_config_section, load_toml


@dataclasses.dataclass(frozen=True)
class _Cfg:
    length_min: float = 60.0
    names: tuple[str, ...] = ("a",)

    def __post_init__(self) -> None:
        check_number("length_min", self.length_min, min_value=0, inclusive_min=False)


def test_check_option_message_grammar():
    with pytest.raises(errors.ConfigError) as exc:
        check_option("reader", "edflib", ("pyedflib", "mne"))
    assert str(exc.value) == "Invalid value for 'reader': allowed 'pyedflib', 'mne'; got 'edflib'."
    assert check_option("reader", "mne", ("pyedflib", "mne")) == "mne"


@pytest.mark.parametrize(
    ("value", "kwargs", "fragment"),
    [
        (-1, {"min_value": 0}, "allowed a number >= 0; got -1"),
        (0, {"min_value": 0, "inclusive_min": False}, "allowed a number > 0"),
        (2.5, {"integer": True}, "allowed an integer; got 2.5"),
        (math.nan, {}, "allowed a finite number"),
        (True, {}, "allowed a number; got True"),
        ("3", {}, "allowed a number; got '3'"),
        (11, {"max_value": 10}, "<= 10"),
    ],
)
def test_check_number_rejects(value, kwargs, fragment):
    with pytest.raises(errors.ConfigError, match="'x'") as exc:
        check_number("x", value, **kwargs)
    assert fragment in str(exc.value)


def test_config_hash_roundtrip_and_unknown_keys(tmp_path):
    cfg = _Cfg(30.0, ("a", "b"))
    assert config_to_dict(cfg) == {"length_min": 30.0, "names": ["a", "b"]}
    assert config_hash(cfg) == config_hash(_Cfg(30.0, ("a", "b")))
    assert config_hash(cfg) != config_hash(_Cfg(45.0, ("a", "b")))
    assert config_from_dict(_Cfg, {"length_min": 30.0, "names": ["a", "b"]}) == cfg
    with pytest.raises(errors.ConfigError, match="unknown key 'lenght_min'"):
        config_from_dict(_Cfg, {"lenght_min": 3})
    path = tmp_path / "c.toml"
    path.write_text("[stage]\nlength_min = 15\n", encoding="utf-8")
    assert load_config_section(path, _Cfg, "stage").length_min == 15
    assert load_config_section(path, _Cfg, "other") == _Cfg()
    with pytest.raises(errors.ConfigError, match=r"c\.toml \[stage\].*'length_min'"):
        path.write_text("[stage]\nlength_min = -5\n", encoding="utf-8")
        load_config_section(path, _Cfg, "stage")


def test_load_toml_errors_name_the_file(tmp_path):
    with pytest.raises(errors.ConfigError, match="no such config file"):
        load_toml(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[x\n", encoding="utf-8")
    with pytest.raises(errors.ConfigError, match="bad.toml: invalid TOML"):
        load_toml(bad)


def test_json_safe_is_strict_and_reversible():
    data = {"a": np.float32(1.5), "b": math.nan, "c": [np.int64(3), math.inf], "d": (1, 2)}
    text = json.dumps(json_safe(data), allow_nan=False)
    back = json.loads(text)
    assert back == {"a": 1.5, "b": None, "c": [3, None], "d": [1, 2]}
    assert math.isnan(nan_for_none({"b": None})["b"])


def test_every_project_error_is_a_seizurepred_error():
    for cls in (
        errors.ConfigError,
        errors.ManifestError,
        errors.EDFError,
        errors.MontageError,
        errors.CacheError,
    ):
        assert issubclass(cls, errors.SeizurepredError)
    assert issubclass(errors.ConfigError, ValueError) and issubclass(errors.EDFError, OSError)
