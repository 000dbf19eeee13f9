"""``seizurepred sweep``: sweep preictal lengths for one patient, compute CIOPR and pick the OPP."""

from __future__ import annotations

import os
from pathlib import Path

import click

from seizurepred.cli.options import add_options, apply_overrides, data_options, resolve_inputs


@click.command("sweep")
@add_options(data_options)
@click.option(
    "-k", "--preictal-min", type=int, multiple=True, help="Preictal length in minutes (repeatable)."
)
@click.option("--protocol", type=click.Choice(["paper", "chronological"]), help="Split protocol.")
@click.option("--model", help="Registered model name (small, cnn_transformer, bandpower_logreg).")
@click.option("--repeats", type=int, help="Repetitions of every fold (the paper: 4).")
@click.option("--max-folds", type=int, help="Only the first N held-out seizures per length (quick runs).")
@click.option("--max-epochs", type=int, help="Override the training epochs.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), help="Training device.")
@click.option("--seed", type=int, help="Base seed.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder [default: runs/<patient>-<protocol>].",
)
@click.option(
    "--executor",
    type=click.Choice(["serial", "ray"]),
    default="serial",
    show_default=True,
    help="Who runs the folds: this process, or a Ray cluster (pip install -e \".[ray]\").",
)
@click.option("--address", help="Ray cluster address (auto or HOST:PORT) [default: a local Ray].")
@click.option(
    "--gpus-per-fold", type=float, help="GPUs per fold under Ray (0.25 packs four folds on a GPU) [default: 0, CPUs]."
)
@click.option(
    "--cpus-per-fold",
    type=int,
    help="CPUs (torch threads) per fold under Ray [default: [train] num_threads, else this process's threads; "
    "the same threads as a serial run give byte-identical tables].",
)
@click.option(
    "--resume/--no-resume",
    default=True,
    show_default=True,
    help="Reuse finished folds in --out (refused if made with another config).",
)
def sweep(
    patient,
    data_root,
    layout,
    synthetic,
    config_path,
    preictal_min,
    protocol,
    model,
    repeats,
    max_folds,
    max_epochs,
    device,
    seed,
    out_dir,
    cache_dir,
    executor,
    address,
    gpus_per_fold,
    cpus_per_fold,
    resume,
) -> None:
    """Sweep preictal lengths for a patient, compute CIOPR per seizure and pick the OPP.

    Writes the tables (segments, pooled, opp_evidence, ciopr, events, events_by_seizure; CSV + JSON), timings.csv,
    summary.json, report.md and the figures (continuous, opp_evidence, roc, alarms) to --out. Interrupted runs continue where they stopped when run again. Under --executor ray,
    --cache-dir and --out must be on a file system every node of the cluster can read and write.

    \b
    Examples:
      seizurepred sweep --synthetic
      seizurepred sweep --patient chb01 --data-root /data/chbmit --config experiments/paper.toml
      seizurepred sweep --patient chb01 --executor ray --address auto --gpus-per-fold 0.25
    """
    from seizurepred._atomic import ensure_dir
    from seizurepred.cache.patient import channels_set_in, settle_channels
    from seizurepred.io.layout import load_any
    from seizurepred.reporting import render_report, run_sweep, write_sweep
    from seizurepred.sweep import prepare_for_sweep
    from seizurepred.sweep.executors import make_executor
    from seizurepred.sweep.plan import preflight

    runner = make_executor(executor, address=address, gpus_per_fold=gpus_per_fold, cpus_per_fold=cpus_per_fold)
    overrides = dict(
        preictal_mins=tuple(int(k) for k in preictal_min) or None,
        protocol=protocol,
        model=model,
        repeats=repeats,
        max_folds=max_folds,
        seed=seed,
        max_epochs=max_epochs,
        device=device,
    )
    patient, data_root, cache_dir, base, note = resolve_inputs(
        patient, data_root, synthetic, cache_dir, config_path, validate=lambda c: apply_overrides(c, **overrides)
    )
    config = apply_overrides(base, **overrides)
    out_dir = out_dir or Path("runs") / f"{patient}-{config.protocol}"
    manifest = load_any(data_root, patient, layout=layout)
    configured = config.channels
    config, channel_line = settle_channels(manifest, config, given=channels_set_in(config_path))
    if configured == "auto" or config.channels != configured:  # which channel set, and why (BIDS release: 18)
        click.echo(channel_line, err=True)
    preflight(manifest, config)  # nothing is read or written before the config is known to plan folds
    ensure_dir(out_dir)  # an unwritable --out fails now, not after the cache build
    data = prepare_for_sweep(patient, config, data_root=data_root, cache_dir=cache_dir, manifest=manifest)
    result = run_sweep(data, config=config, out_dir=out_dir, resume=resume, executor=runner)
    synthetic = any(
        (Path(data_root) / sub / f"{patient}-synth-truth.json").is_file() for sub in (patient, "sourcedata")
    )
    if synthetic and "synthetic" not in note.lower():  # data written by `seizurepred synth`, given as --data-root
        note = (f"Data: a **synthetic** patient written by `seizurepred synth` ({patient}-synth-truth.json beside "
                f"its files holds the planted truth). No real EEG was used. {note}").strip()  # fmt: skip
    written = write_sweep(result, out_dir, data_note=note, manifest=data.manifest, synthetic=synthetic)
    click.echo(render_report(result, data_note=note))
    click.echo(f"Wrote {', '.join(sorted(written))} to {out_dir}{os.sep}", err=True)
