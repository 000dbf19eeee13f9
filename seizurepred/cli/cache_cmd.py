"""``seizurepred cache``: build the preprocessed signal cache of one patient."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("cache")
@click.option("--patient", required=True, help="Case name, e.g. chb01.")
@click.option(
    "--data-root",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Data root in the CHB-MIT layout (DATA_ROOT/chbNN/chbNN_MM.edf).",
)
@click.option(
    "--cache-dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Cache root folder."
)
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
    cache_dir: Path,
    channels: str,
    on_missing: str,
    n_jobs: int,
    config_path: Path | None,
) -> None:
    """Read and preprocess every recording of PATIENT once and store it under CACHE_DIR."""
    from seizurepred.config import load_config_section
    from seizurepred.io.summary import load_patient
    from seizurepred.preprocess import PreprocessConfig
    from seizurepred.store import SignalCache

    config = PreprocessConfig()
    if config_path is not None:
        config = load_config_section(config_path, PreprocessConfig, "preprocess")
    manifest = load_patient(data_root, patient)
    signal_cache = SignalCache(cache_dir, preprocess=config, channels=channels)
    report = signal_cache.build(manifest, data_root, on_missing=on_missing, n_jobs=n_jobs)  # type: ignore[arg-type]
    for file_name, reason in report.skipped:
        click.echo(f"skipped {file_name}: {reason}", err=True)
    click.echo(f"{report.summary()} -> {signal_cache.entry_dir(patient)}")
