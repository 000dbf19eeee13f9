"""Options shared by several commands.

Path options refuse an empty value (``--out ""`` would otherwise mean the current folder and write there):
:class:`NonEmptyPath` is the path type of the shared options, and :func:`add_options` gives it to every other path
option of a command it decorates.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import click

from seizurepred.errors import ConfigError

CACHE_ENV = "SEIZUREPRED_CACHE"


class NonEmptyPath(click.Path):
    """:class:`click.Path` that refuses an empty (or blank) value, naming the option."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str | bytes) and not value.strip():
            self.fail(
                f"allowed a path; got {value!r} (an empty path would mean the current folder)", param, ctx
            )
        return super().convert(value, param, ctx)

    @classmethod
    def like(cls, other: click.Path) -> NonEmptyPath:
        """A :class:`NonEmptyPath` with the settings of ``other``."""
        keys = (
            "exists",
            "file_okay",
            "dir_okay",
            "writable",
            "readable",
            "resolve_path",
            "allow_dash",
            "executable",
        )
        return cls(path_type=other.type, **{k: getattr(other, k) for k in keys})


def default_cache_dir() -> Path:
    """``$SEIZUREPRED_CACHE`` or ``~/.cache/seizurepred``.

    Raises
    ------
    ConfigError
        ``$SEIZUREPRED_CACHE`` names a file, or a path below one (not a folder that is or can be made).
    """
    env = os.environ.get(CACHE_ENV)
    if not env:
        return Path.home() / ".cache" / "seizurepred"
    path = Path(env)
    for p in (path, *path.parents):
        if p.exists():
            if not p.is_dir():
                below = "" if p == path else f" (below the file {p})"
                raise ConfigError(f"Invalid value for '${CACHE_ENV}': allowed a folder; got {env!r}{below}.")
            break
    return path


layout_option = click.option(
    "--layout",
    type=click.Choice(["auto", "physionet", "bids"]),
    default="auto",
    show_default=True,
    help="Layout of --data-root: PhysioNet (<case>/<case>-summary.txt + EDF) or the BIDS release "
    "(sub-XX/ses-XX/eeg/*_eeg.edf + *_events.tsv); auto detects it.",
)

cache_dir_option = click.option(
    "--cache-dir",
    type=NonEmptyPath(file_okay=False, path_type=Path),
    help="Signal cache (and synthetic data) folder [default: $SEIZUREPRED_CACHE or ~/.cache/seizurepred].",
)


def resolve_inputs(
    patient: str | None,
    data_root: Path | None,
    synthetic: bool,
    cache_dir: Path | None,
    config_path: Path | None,
    validate=None,
):
    """Shared set-up of ``sweep`` and ``train``: where the data is, which config, a note for the report.

    ``validate`` (called with the base config before the built-in patient is written) checks the command's own
    options, so that a bad value is reported before anything is written.

    The data root is ``--data-root``, else ``$SEIZUREPRED_CHBMIT_ROOT``. Without either (or with
    ``--synthetic``) the built-in synthetic patient (``chb01``) is written under ``<cache-dir>/synthetic`` on
    first use and its CPU-friendly demo config is the default; asking for another patient then is an error,
    never a silent switch to the synthetic one.

    Returns
    -------
    (patient, data_root, cache_dir, base_config, note)
    """
    from seizurepred.io.manifest import check_case_name
    from seizurepred.sweep import SweepConfig, load_sweep_config

    if patient is not None:
        check_case_name(patient, source="--patient")
    cache_dir = Path(cache_dir or default_cache_dir())
    if synthetic and data_root is not None:
        raise click.UsageError("--synthetic and --data-root exclude each other.")
    if data_root is None and not synthetic and os.environ.get("SEIZUREPRED_CHBMIT_ROOT"):
        data_root = Path(os.environ["SEIZUREPRED_CHBMIT_ROOT"])
    if data_root is None:
        from seizurepred.synth.demo import (
            DEMO_CASE,
            DEMO_SIGNATURE_MIN,
            demo_sweep_config,
            ensure_demo_patient,
        )

        if patient not in (None, DEMO_CASE):
            raise click.UsageError(
                f"no --data-root (nor $SEIZUREPRED_CHBMIT_ROOT) for {patient}: give the folder holding "
                f"{patient}/{patient}-summary.txt, or leave out --patient to use the built-in synthetic patient."
            )
        base = load_sweep_config(config_path) if config_path else demo_sweep_config()
        if validate is not None:
            validate(base)  # every option is checked before the demo patient (1.2 GB) is written
        click.echo(
            f"No --data-root: using the built-in synthetic patient {DEMO_CASE} under {cache_dir / 'synthetic'}.",
            err=True,
        )
        data_root = ensure_demo_patient(cache_dir / "synthetic")
        note = (
            f"Data: the built-in **synthetic** patient ({data_root / DEMO_CASE}); its preictal signature is "
            f"planted over the last {DEMO_SIGNATURE_MIN:g} min before each onset. No real EEG was used."
        )
        return DEMO_CASE, data_root, cache_dir, base, note
    patient = patient or "chb01"
    base = load_sweep_config(config_path) if config_path else SweepConfig()
    return patient, Path(data_root), cache_dir, base, f"Data: {Path(data_root) / patient}."


data_options = [
    click.option("-p", "--patient", default=None, help="Case (folder under --data-root) [default: chb01]."),
    click.option(
        "--data-root",
        type=NonEmptyPath(file_okay=False, path_type=Path),
        help="Root of the recordings: the PhysioNet CHB-MIT layout (<case>/<case>-summary.txt + EDF files) or "
        "its BIDS release (see --layout).",
    ),
    layout_option,
    click.option(
        "--synthetic",
        is_flag=True,
        help="Use the built-in synthetic patient (written on first use under the cache folder); "
        "implied when no --data-root is given.",
    ),
    click.option(
        "--config",
        "config_path",
        type=NonEmptyPath(dir_okay=False, exists=True, path_type=Path),
        help="TOML sweep config ([sweep], [label], [window], [preprocess], [train], [alarms], [ciopr], [selector]).",
    ),
    cache_dir_option,
]


def apply_overrides(config, *, max_epochs=None, device=None, **fields):
    """Copy of a ``SweepConfig`` with the command-line values that were given (``None`` means not given).

    ``max_epochs`` and ``device`` go to its ``TrainConfig``; every other keyword is a ``SweepConfig`` field.
    The copy is validated like any config.
    """
    train = dataclasses.replace(
        config.train,
        **{k: v for k, v in (("max_epochs", max_epochs), ("device", device)) if v is not None},
    )
    return dataclasses.replace(config, train=train, **{k: v for k, v in fields.items() if v is not None})


def add_options(options):
    """Decorator applying a list of click options in order; every path option of the command (those applied
    before it too, e.g. ``--out``) refuses an empty value (:class:`NonEmptyPath`)."""

    def wrap(func):
        for opt in reversed(options):
            func = opt(func)
        for param in getattr(func, "__click_params__", ()):
            if isinstance(param.type, click.Path) and not isinstance(param.type, NonEmptyPath):
                param.type = NonEmptyPath.like(param.type)
        return func

    return wrap
