"""``SweepConfig``: everything one preictal-length sweep of one patient depends on, in one frozen object.

A sweep config nests the per-stage configs (labelling, windows, preprocessing, model, training) plus the sweep's
own choices: which preictal lengths, which split protocol, how many repeats, CIOPR and alarm options. It loads
from a TOML file whose tables are named after the stages::

    [sweep]
    preictal_mins = [60, 45, 30, 15]
    protocol = "paper"
    repeats = 4
    model = "cnn_transformer"
    [label]
    sph_min = 0
    [train]
    max_epochs = 100
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from seizurepred._validate import check_number, check_option
from seizurepred.cache.preprocess import PreprocessConfig
from seizurepred.config import config_from_dict, config_hash, config_to_dict, content_hash, load_toml
from seizurepred.errors import ConfigError
from seizurepred.evaluation.alarms import AlarmConfig
from seizurepred.evaluation.ciopr import CioprOptions
from seizurepred.evaluation.opp import SelectorOptions
from seizurepred.evaluation.reference import ReferenceOptions
from seizurepred.labels.segments import LabelConfig
from seizurepred.training import TrainConfig
from seizurepred.windows.index import WindowConfig

Protocol = Literal["paper", "chronological"]


@dataclass(frozen=True)
class ForecastOptions:
    """Seizure-likelihood forecasts from each fold's continuous output (:mod:`seizurepred.sweep.forecast_table`).

    They read finished folds and change none (not in :meth:`SweepConfig.fold_hash`).

    Attributes
    ----------
    horizons_min : tuple of float
        Forecast horizons ``H`` in minutes: each forecast is about the next ``H`` minutes (after the SPH) and uses
        the ``H`` minutes of output before it. The first one is the report's, the figures' and ``summary.json``'s:
        60 min, at least every length the paper sweeps (with ``H`` shorter than the preictal length, a model that
        recognises the preictal state cannot tell which ``H`` minutes of it precede the onset, and its forecasts
        before the last one are false by construction).
    sph_min : float or None
        Minutes between the end of a forecast's input and the start of its period; ``None``: the alarms' SPH
        (``[alarms] sph_min``), so that forecasts and alarms are scored at one horizon.
    calibration : {"platt", "isotonic", "none"}
        Map from the raw window output to a probability, fitted per fold on its validation windows (never on the
        held-out seizure); ``"none"``: the raw output.
    prior : {"training", "validation"}
        The preictal prior the calibrated output is stated at: ``"training"``, the share of the recorded hours
        that the other seizures' preictal periods take (the odds are moved there from the validation windows',
        usually balanced, share); ``"validation"``: the validation windows' share (no shift).
    n_bins : int
        Bins of the reliability diagram and of the Brier decomposition (uniform on [0, 1]).
    tiw : float
        The stated time in warning (fraction of forecast periods) at which sensitivity is compared with chance.
    n_surrogates : int
        Surrogates of that comparison and of the skill's p-value ``p_skill`` (0: none).
    """

    horizons_min: tuple[float, ...] = (60.0, 10.0)
    sph_min: float | None = None
    calibration: Literal["platt", "isotonic", "none"] = "platt"
    prior: Literal["training", "validation"] = "training"
    n_bins: int = 10
    tiw: float = 0.2
    n_surrogates: int = 200

    def __post_init__(self) -> None:
        if not isinstance(self.horizons_min, tuple | list) or not self.horizons_min:
            raise ConfigError(
                f"Invalid value for 'horizons_min': allowed a non-empty list of minutes; got {self.horizons_min!r}."
            )
        for h in self.horizons_min:
            check_number("horizons_min", h, min_value=0.0, inclusive_min=False)
        horizons = tuple(float(h) for h in self.horizons_min)  # 60 and 60.0: one config, one hash
        if len(set(horizons)) != len(horizons):
            raise ConfigError(
                f"Invalid value for 'horizons_min': allowed distinct horizons; got {list(horizons)}."
            )
        object.__setattr__(self, "horizons_min", horizons)
        if self.sph_min is not None:
            check_number("sph_min", self.sph_min, min_value=0.0)
        check_option("calibration", self.calibration, ("platt", "isotonic", "none"))
        check_option("prior", self.prior, ("training", "validation"))
        check_number("n_bins", self.n_bins, min_value=1, integer=True)
        check_number("tiw", self.tiw, min_value=0.0, max_value=1.0, inclusive_min=False)
        check_number("n_surrogates", self.n_surrogates, min_value=0, integer=True)


#: Largest seizure id the seed-range check allows for (``SeizureEvent.seizure_id`` counts from 0 per patient).
MAX_SEIZURE_ID = 999


@dataclass(frozen=True)
class SweepConfig:
    """One patient's preictal-length sweep.

    Attributes
    ----------
    preictal_mins : tuple of int
        Preictal lengths to compare, in whole minutes (the paper: 60, 45, 30, 15).
    protocol : {"paper", "chronological"}
        Split protocol: the paper's leave-one-seizure-out, or the leakage-free chronological variant.
    repeats : int
        Repetitions of every fold with different seeds (the paper: 4).
    model : str
        Registered model name.
    model_options : tuple of (str, value) pairs
        Extra model options (hashable form of a dict).
    channels : str
        Canonical channel set: "paper23", "core18", or "auto" (the paper's "channel configuration with the most
        data": core18 when it covers at least 25 % more recorded hours, else paper23; see
        :func:`~seizurepred.cache.patient.resolve_channel_set`).
    on_missing : {"raise", "skip"}
        What to do with recordings that lack a channel of the set.
    seed : int
        Base seed: repeat ``r`` draws its interictal subsample and splits with ``seed + r``; each fold's model is
        seeded by :func:`~seizurepred.sweep.plan.training_seed` (``train.seed`` + this seed + repeat + seizure).
    max_folds : int or None
        Evaluate only the first N held-out seizures (quick runs); ``None`` = all.
    max_train_windows : int or None
        Seeded, class-balanced subsample of the training windows (quick CPU runs); ``None`` = all.
    n_surrogates : int
        Seizure-time surrogates for the event-level significance test (0 skips it).
    label, window, preprocess, train, alarms, ciopr, selector, reference, forecast : stage configs
        ``label.preictal_min`` is overridden by each swept length; ``selector`` holds the OPP selector's options
        (:mod:`seizurepred.evaluation.opp`); ``reference`` which interictal EEG is held out from every fold as the
        selector's reference (:class:`~seizurepred.evaluation.reference.ReferenceOptions`; it changes the folds);
        ``forecast`` the seizure-likelihood forecasts (:class:`ForecastOptions`).
    """

    preictal_mins: tuple[int, ...] = (60, 45, 30, 15)
    protocol: Protocol = "paper"
    repeats: int = 1
    model: str = "small"
    model_options: tuple[tuple[str, Any], ...] = ()
    channels: str = "paper23"
    on_missing: Literal["raise", "skip"] = "skip"
    seed: int = 0
    max_folds: int | None = None
    max_train_windows: int | None = None
    n_surrogates: int = 200
    label: LabelConfig = field(default_factory=LabelConfig)
    window: WindowConfig = field(default_factory=WindowConfig)
    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    alarms: AlarmConfig = field(default_factory=AlarmConfig)
    ciopr: CioprOptions = field(default_factory=CioprOptions)
    selector: SelectorOptions = field(default_factory=SelectorOptions)
    reference: ReferenceOptions = field(default_factory=ReferenceOptions)
    forecast: ForecastOptions = field(default_factory=ForecastOptions)

    def __post_init__(self) -> None:
        if not self.preictal_mins:
            raise ConfigError(
                "Invalid value for 'preictal_mins': allowed a non-empty list of minutes; got []."
            )
        for k in self.preictal_mins:
            check_number("preictal_mins", k, min_value=1, integer=True)
        if len(set(self.preictal_mins)) != len(self.preictal_mins):
            raise ConfigError(
                f"Invalid value for 'preictal_mins': allowed distinct lengths; got {list(self.preictal_mins)}."
            )
        check_option("protocol", self.protocol, ("paper", "chronological"))
        check_option("on_missing", self.on_missing, ("raise", "skip"))
        check_option("channels", self.channels, ("paper23", "core18", "auto"))
        check_number("repeats", self.repeats, min_value=1, integer=True)
        check_number("seed", self.seed, min_value=0, integer=True)
        if self.max_folds is not None:
            check_number("max_folds", self.max_folds, min_value=1, integer=True)
        check_number("n_surrogates", self.n_surrogates, min_value=0, integer=True)
        if self.max_train_windows is not None:
            check_number("max_train_windows", self.max_train_windows, min_value=2, integer=True)
        self._check_model()
        self._check_seed_range()
        self._check_horizons()
        self._check_forecast()

    @property
    def forecast_sph_min(self) -> float:
        """The forecasts' SPH in minutes (``forecast.sph_min``, else the alarms')."""
        return self.alarms.sph_min if self.forecast.sph_min is None else float(self.forecast.sph_min)

    def _check_forecast(self) -> None:
        """Forecast horizons hold at least one window; their SPH is at least the labels' (as the alarms')."""
        window_min = self.window.window_s / 60.0
        for h in self.forecast.horizons_min:
            if h < window_min:
                raise ConfigError(
                    f"Invalid value for 'forecast.horizons_min': allowed >= one window ([window] window_s = "
                    f"{self.window.window_s:g} s = {window_min:g} min); got {h:g}."
                )
        if self.forecast_sph_min < self.label.sph_min:
            raise ConfigError(
                f"Invalid value for 'forecast.sph_min': allowed >= label.sph_min ({self.label.sph_min:g} min); got "
                f"{self.forecast_sph_min:g}."
            )

    def _check_horizons(self) -> None:
        """The labels' SPH and the alarms' SPH are one idea in two places; their relation is checked.

        ``label.sph_min`` (paper: 0) ends the preictal labels that long before onset; ``alarms.sph_min``
        (default 5, as Truong 2018) is the least time between a correct alarm and the onset. Alarms are scored at a
        horizon at least as long as the one the models were trained for: ``alarms.sph_min >= label.sph_min``.
        """
        if self.alarms.sph_min < self.label.sph_min:
            raise ConfigError(
                f"Invalid value for 'alarms.sph_min': allowed >= label.sph_min ({self.label.sph_min:g} min: the "
                f"models are trained to stop {self.label.sph_min:g} min before onset); got {self.alarms.sph_min:g}."
            )

    def _check_model(self) -> None:
        """The model name and options must be registered ones (checked now, not after the cache is built)."""
        from seizurepred.models.registry import ModelConfig

        ModelConfig(self.model, dict(self.model_options))

    def _check_seed_range(self) -> None:
        """Derived training seeds (``train.seed + seed * 1_000_003 + 1000 * repeat + seizure``) stay < 2**31.

        Checked for seizure ids up to :data:`MAX_SEIZURE_ID` (no CHB-MIT case has more than 40 seizures).
        """
        worst = self.train.seed + self.seed * 1_000_003 + 1000 * (self.repeats - 1) + MAX_SEIZURE_ID
        if worst > 2**31 - 1:
            limit = (2**31 - 1 - self.train.seed - 1000 * (self.repeats - 1) - MAX_SEIZURE_ID) // 1_000_003
            raise ConfigError(
                f"Invalid value for 'seed': allowed 0..{max(limit, 0)} with {self.repeats} repeat(s) (derived "
                f"training seeds must stay below 2**31); got {self.seed}."
            )

    def label_for(self, preictal_min: float) -> LabelConfig:
        """The label config of one swept length."""
        return dataclasses.replace(self.label, preictal_min=float(preictal_min))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (saved with every artefact)."""
        return config_to_dict(self)

    def hash(self) -> str:
        """Stable content hash of the whole config (reports and ``summary.json`` name the run by it)."""
        return config_hash(self)

    def fold_hash(self) -> str:
        """Stable content hash of what a fold's result depends on: the config without ``selector`` and
        ``forecast`` (the OPP selector and the forecasts read finished folds and change none). Fold files carry it,
        so that a sweep resumed or a run re-reported with other selector or forecast options reuses its folds, and a
        run with another config refuses them."""
        data = config_to_dict(self)
        data.pop("selector", None)
        data.pop("forecast", None)
        return content_hash("SweepConfig folds", data)


_STAGES = {
    "label": LabelConfig,
    "window": WindowConfig,
    "preprocess": PreprocessConfig,
    "train": TrainConfig,
    "alarms": AlarmConfig,
    "ciopr": CioprOptions,
    "selector": SelectorOptions,
    "reference": ReferenceOptions,
    "forecast": ForecastOptions,
}


def sweep_config_from_dict(data: dict[str, Any], *, source: str = "config") -> SweepConfig:
    """Build a :class:`SweepConfig` from a dict shaped like the TOML file (``[sweep]`` + stage tables).

    Parameters
    ----------
    data : dict
        Parsed TOML.
    source : str
        Name for error messages.
    """
    unknown = sorted(set(data) - set(_STAGES) - {"sweep"})
    if unknown:
        raise ConfigError(
            f"{source}: unknown table [{unknown[0]}]; allowed [sweep], "
            + ", ".join(f"[{s}]" for s in _STAGES)
            + "."
        )
    stages = {
        name: config_from_dict(cls, data.get(name, {}), source=f"{source} [{name}]")
        for name, cls in _STAGES.items()
    }
    sweep_table = data.get("sweep", {})
    if not isinstance(sweep_table, dict):
        raise ConfigError(f"{source}: [sweep] must be a table; got {type(sweep_table).__name__}.")
    top = dict(sweep_table)
    if "model_options" in top:
        opts = top["model_options"]
        if not isinstance(opts, dict):
            raise ConfigError(
                f"{source} [sweep]: 'model_options' must be a table; got {type(opts).__name__}."
            )
        top["model_options"] = tuple(
            sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in opts.items())
        )
    if "preictal_mins" in top:
        mins = top["preictal_mins"]
        if not isinstance(mins, list | tuple):
            raise ConfigError(f"{source} [sweep]: 'preictal_mins' must be a list of minutes; got {mins!r}.")
        top["preictal_mins"] = tuple(mins)
    stage_fields = {f.name for f in dataclasses.fields(SweepConfig)} - set(_STAGES)
    bad = sorted(set(top) - stage_fields)
    if bad:
        raise ConfigError(
            f"{source} [sweep]: unknown key {bad[0]!r}; allowed " + ", ".join(sorted(stage_fields)) + "."
        )
    try:
        return SweepConfig(**top, **stages)
    except ConfigError as exc:  # a [sweep] value rejected by __post_init__: say where it came from
        raise ConfigError(f"{source} [sweep]: {exc}") from None
    except TypeError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def load_sweep_config(path: str | Path) -> SweepConfig:
    """Load a sweep config from a TOML file (see the module docstring for its layout)."""
    return sweep_config_from_dict(load_toml(path), source=Path(path).name)


def sweep_config_from_saved(data: dict[str, Any], *, source: str = "sweep_config.json") -> SweepConfig:
    """Rebuild the :class:`SweepConfig` that :meth:`SweepConfig.to_dict` saved (stage configs nested)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a JSON object of a sweep config; got {type(data).__name__}.")
    top = {k: v for k, v in data.items() if k not in _STAGES}
    if "model_options" in top:
        top["model_options"] = {str(k): v for k, v in top["model_options"]}
    tables = {name: data[name] for name in _STAGES if name in data}
    return sweep_config_from_dict({"sweep": top, **tables}, source=source)
