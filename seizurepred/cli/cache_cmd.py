"""``seizurepred cache``: read and preprocess a patient's recordings once into the signal cache."""

from __future__ import annotations

from pathlib import Path

import click

from seizurepred.cli.options import cache_dir_option, default_cache_dir, layout_option


@click.command("cache")
@click.option("-p", "--patient", required=True, help="Case name, e.g. chb01.")
@click.option(
    "--data-root",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Data root in the CHB-MIT layout (DATA_ROOT/chbNN/chbNN_MM.edf) or its BIDS release.",
)
@layout_option
@cache_dir_option
@click.option(
    "--channels",
    type=click.Choice(["paper23", "core18"]),
    default="paper23",
    show_default=True,
    help="Channel set.",
)
@click.option(
    "--on-missing",
    type=click.Choice(["raise", "skip"]),
    default="raise",
    show_default=True,
    help="Recording lacking a channel: stop with an error, or skip it and report it.",
)
@click.option(
    "--n-jobs", type=click.IntRange(min=1), default=1, show_default=True, help="Files processed at once."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="TOML file whose [preprocess] table sets PreprocessConfig fields.",
)
def cache(
    patient: str,
    data_root: Path,
    layout: str,
    cache_dir: Path | None,
    channels: str,
    on_missing: str,
    n_jobs: int,
    config_path: Path | None,
) -> None:
    """Read and preprocess every recording of PATIENT present under DATA_ROOT once and store it in the cache.

    A later ``train`` or ``sweep`` with the same --cache-dir, channels and preprocessing reads no EDF again.
    """
    from seizurepred.cache.patient import prepare_patient
    from seizurepred.cache.preprocess import PreprocessConfig
    from seizurepred.config import load_config_section
    from seizurepred.io.manifest import check_case_name

    check_case_name(patient, source="--patient")
    config = PreprocessConfig()
    if config_path is not None:
        config = load_config_section(config_path, PreprocessConfig, "preprocess")
    data = prepare_patient(
        patient,
        data_root=data_root,
        cache_dir=cache_dir or default_cache_dir(),
        channels=channels,
        preprocess=config,
        on_missing=on_missing,
        n_jobs=n_jobs,
        layout=layout,
    )
    click.echo(f"{data.report.summary()} -> {data.cache.entry_dir(data.manifest.case)}")
