"""Shared machinery for the per-stage frozen dataclass configs.

Every stage has one frozen dataclass config (``LabelConfig``, ``WindowConfig``, ``ModelConfig``, ``TrainConfig``,
``SweepConfig``, ...) that validates itself in ``__post_init__``. This module turns such a config into a plain
dict, a stable hash (used as a cache key and saved with every artefact), and loads it from a dict or a TOML
table, rejecting unknown keys with a one-line :class:`~seizurepred.errors.ConfigError`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from seizurepred._validate import utf8_error_at
from seizurepred.errors import ConfigError

C = TypeVar("C")


def config_to_dict(config: Any) -> dict[str, Any]:
    """Return a JSON-ready dict of a dataclass config (tuples become lists).

    Parameters
    ----------
    config : dataclass instance
        A frozen config.
    """
    if not dataclasses.is_dataclass(config):
        raise ConfigError(f"Invalid value for 'config': allowed a dataclass config; got {type(config).__name__}.")
    return json.loads(json.dumps(dataclasses.asdict(config), default=_json_default))


def _json_default(obj: Any) -> Any:
    if isinstance(obj, tuple | set | frozenset):
        return list(obj)
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def config_hash(config: Any, *, n_chars: int = 16) -> str:
    """Return a stable hex digest of a config's content (class name included).

    Parameters
    ----------
    config : dataclass instance
        A frozen config.
    n_chars : int
        Length of the returned prefix of the SHA-256 digest.
    """
    return content_hash(type(config).__name__, config_to_dict(config), n_chars=n_chars)


def content_hash(name: str, fields: dict[str, Any], *, n_chars: int = 16) -> str:
    """Return a stable hex digest of a name and a JSON-ready dict (what :func:`config_hash` hashes).

    Parameters
    ----------
    name : str
        What the fields are (a config class name).
    fields : dict
        JSON-ready content.
    n_chars : int
        Length of the returned prefix of the SHA-256 digest.
    """
    payload = {"class": name, "fields": fields}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:n_chars]


def config_from_dict(cls: type[C], data: dict[str, Any], *, source: str = "config") -> C:
    """Build a config of type ``cls`` from a dict, rejecting unknown keys.

    Parameters
    ----------
    cls : type
        The dataclass config type.
    data : dict
        Field values; lists are converted to tuples where the field default is a tuple.
    source : str
        Where the values came from, for error messages (e.g. ``"sweep.toml [label]"``).
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a table of {cls.__name__} fields; got {type(data).__name__}.")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        allowed = ", ".join(repr(f) for f in fields)
        raise ConfigError(f"{source}: unknown key {unknown[0]!r} for {cls.__name__}; allowed {allowed}.")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    try:
        return cls(**values)
    except ConfigError as exc:  # a value rejected by __post_init__: say where it came from
        raise ConfigError(f"{source}: {exc}") from None
    except TypeError as exc:  # wrong call shape, e.g. a missing required field
        raise ConfigError(f"{source}: {exc}") from None


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file into a dict; a syntax error becomes a one-line :class:`ConfigError` naming the file.

    Parameters
    ----------
    path : str or Path
        The TOML file.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file.") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror or type(exc).__name__}).") from None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line, column, byte = utf8_error_at(data, exc)
        raise ConfigError(
            f"{path}: invalid TOML: not UTF-8 text (byte 0x{byte:02x} at line {line}, column {column})."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def load_config_section(path: str | Path, cls: type[C], section: str) -> C:
    """Load one table of a TOML file as a config of type ``cls`` (defaults when the table is absent).

    Parameters
    ----------
    path : str or Path
        The TOML file.
    cls : type
        The dataclass config type.
    section : str
        The table name, e.g. ``"label"``.
    """
    data = load_toml(path)
    return config_from_dict(cls, data.get(section, {}), source=f"{Path(path).name} [{section}]")
