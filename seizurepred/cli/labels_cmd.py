"""``seizurepred labels``: per-seizure preictal coverage, interictal hours and eligibility of one patient."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import click

from seizurepred.cli.options import layout_option
from seizurepred.config import load_config_section
from seizurepred.io.manifest import Manifest, check_case_name, load_manifest
from seizurepred.labels.report import format_segments, segments_to_dict
from seizurepred.labels.segments import LabelConfig, label_segments


def _load(patient: str, data_root: Path | None, layout: str) -> Manifest:
    if data_root is None:
        return load_manifest(patient)
    from seizurepred.io.layout import load_any  # lazy: reads EDF headers

    return load_any(data_root, patient, layout=layout)


@click.command("labels")
@click.option("--patient", "-p", required=True, help="Case name, e.g. chb01.")
@click.option("--preictal-min", type=float, default=None, help="Preictal length in minutes [default: 60].")
@click.option(
    "--sph-min", type=float, default=None, help="Seizure prediction horizon in minutes [default: 0]."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="TOML file whose [label] table gives the LabelConfig (the options above override it).",
)
@click.option(
    "--data-root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Read the patient from DATA_ROOT (summary or BIDS events, and EDF headers) instead of the committed "
    "manifest.",
)
@layout_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of the text report.")
def labels(
    patient: str,
    preictal_min: float | None,
    sph_min: float | None,
    config_path: Path | None,
    data_root: Path | None,
    layout: str,
    as_json: bool,
) -> None:
    """List each seizure's usable preictal minutes and coverage, why any is dropped, the interictal hours and
    whether PATIENT is eligible under the paper's rules (or those of --config)."""
    check_case_name(patient, source="--patient")
    config = LabelConfig() if config_path is None else load_config_section(config_path, LabelConfig, "label")
    overrides = {k: v for k, v in (("preictal_min", preictal_min), ("sph_min", sph_min)) if v is not None}
    if overrides:
        config = dataclasses.replace(config, **overrides)
    manifest = _load(patient, data_root, layout)
    segments = label_segments(manifest, config=config)
    if as_json:
        click.echo(json.dumps(segments_to_dict(segments, manifest), indent=1, sort_keys=True))
    else:
        click.echo(format_segments(segments, manifest))
