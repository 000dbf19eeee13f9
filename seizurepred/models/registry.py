"""A small name registry of models sharing one contract.

Every registered model is a :class:`torch.nn.Module` built as ``cls(n_chans, n_times, **options)`` that maps
``x`` of shape ``(batch, n_chans, n_times)`` (float32, µV) to one logit per window, shape ``(batch,)``, through
``forward_features(x)`` and ``forward_head(features)``.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import torch

from seizurepred._validate import check_number
from seizurepred.errors import ConfigError

M = TypeVar("M", bound=type[torch.nn.Module])

_REGISTRY: dict[str, type[torch.nn.Module]] = {}


def register_model(name: str) -> Callable[[M], M]:
    """Class decorator that registers a model under ``name``.

    Parameters
    ----------
    name : str
        Registry name, e.g. ``"cnn_transformer"``.
    """

    def decorate(cls: M) -> M:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ConfigError(f"Invalid value for 'name': model name {name!r} is already registered.")
        _REGISTRY[name] = cls
        return cls

    return decorate


def list_models() -> tuple[str, ...]:
    """Return the registered model names, sorted."""
    return tuple(sorted(_REGISTRY))


def get_model_class(name: str) -> type[torch.nn.Module]:
    """Return the class registered under ``name`` (:class:`ConfigError` listing the names otherwise)."""
    if name not in _REGISTRY:
        allowed = ", ".join(repr(n) for n in list_models())
        raise ConfigError(f"Invalid value for 'model': allowed {allowed}; got {name!r}.")
    return _REGISTRY[name]


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Which model to build and with which options (saved with every checkpoint).

    Parameters
    ----------
    name : str
        Registered model name (see :func:`list_models`).
    options : mapping
        Keyword options of that model's constructor (e.g. ``{"pool_channels": False}``).
    """

    name: str = "cnn_transformer"
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        get_model_class(self.name)
        if not isinstance(self.options, Mapping):
            raise ConfigError(
                f"Invalid value for 'options': allowed a table of model options; got {self.options!r}."
            )
        _check_option_names(self.name, self.options)
        object.__setattr__(self, "options", dict(self.options))


def model_options(name: str) -> tuple[str, ...]:
    """The option names the constructor of model ``name`` accepts (besides ``n_chans`` and ``n_times``)."""
    params = inspect.signature(get_model_class(name).__init__).parameters
    return tuple(p for p in params if p not in ("self", "n_chans", "n_times"))


def check_any_model_option(names: Iterable[str], *, source: str = "options") -> None:
    """Refuse option names that no registered model accepts.

    Parameters
    ----------
    names : iterable of str
        Option names.
    source : str
        The parameter as the user sees it (``"--option"``).

    Raises
    ------
    ConfigError
        ``Invalid value for SOURCE: allowed ...; got ...`` naming every unknown name.
    """
    known = sorted({o for m in list_models() for o in model_options(m)})
    unknown = [n for n in dict.fromkeys(names) if n not in known]
    if unknown:
        allowed = ", ".join(repr(k) for k in known)
        got = ", ".join(repr(u) for u in unknown)
        raise ConfigError(
            f"Invalid value for {source!r}: allowed an option of a registered model ({allowed}); got {got}."
        )


def _check_option_names(name: str, options: Mapping[str, Any]) -> None:
    allowed = model_options(name)
    for key in options:
        if key not in allowed:
            names = ", ".join(repr(a) for a in allowed)
            raise ConfigError(f"Invalid value for 'options' of model {name!r}: allowed {names}; got {key!r}.")


def build_model(name: str, *, n_chans: int, n_times: int, **options: Any) -> torch.nn.Module:
    """Build a registered model.

    Parameters
    ----------
    name : str
        Registered model name (see :func:`list_models`).
    n_chans : int
        Number of EEG channels of the input windows.
    n_times : int
        Number of samples per window.
    **options
        Model-specific options (validated; unknown names raise :class:`ConfigError`).

    Returns
    -------
    model : torch.nn.Module
        With attribute ``model_config`` (a :class:`ModelConfig`) and ``input_shape`` ``(n_chans, n_times)``.
    """
    cls = get_model_class(name)
    check_number("n_chans", n_chans, min_value=1, integer=True)
    check_number("n_times", n_times, min_value=1, integer=True)
    config = ModelConfig(name=name, options=options)
    model = cls(int(n_chans), int(n_times), **config.options)
    model.model_config = config
    model.input_shape = (int(n_chans), int(n_times))
    return model


def build_model_from_config(config: ModelConfig, *, n_chans: int, n_times: int) -> torch.nn.Module:
    """Build the model a :class:`ModelConfig` describes for inputs of shape ``(n_chans, n_times)``."""
    return build_model(config.name, n_chans=n_chans, n_times=n_times, **config.options)


def model_config_dict(model: torch.nn.Module) -> dict[str, Any]:
    """Return a JSON-ready description of ``model`` (name, options, input shape) for checkpoints.

    Models not built by :func:`build_model` are described by their class name only.
    """
    config = getattr(model, "model_config", None)
    if not isinstance(config, ModelConfig):
        return {"name": None, "class": type(model).__name__, "options": {}}
    n_chans, n_times = model.input_shape
    return {
        "name": config.name,
        "class": type(model).__name__,
        "options": dict(config.options),
        "n_chans": n_chans,
        "n_times": n_times,
    }


def count_parameters(model: torch.nn.Module, *, trainable_only: bool = True) -> int:
    """Return the number of (trainable) parameters of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
