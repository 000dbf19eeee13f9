"""``seizurepred train``: train one model for one preictal length and one held-out seizure (fold)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from seizurepred.cli.options import add_options, apply_overrides, data_options, resolve_inputs


@click.command("train")
@add_options(data_options)
@click.option("-k", "--preictal-min", type=int, default=60, show_default=True, help="Preictal length (min).")
@click.option(
    "--fold", type=int, default=0, show_default=True, help="Fold number (held-out seizure, 0-based)."
)
@click.option("--repeat", type=int, default=0, show_default=True, help="Repeat number (seeds the split).")
@click.option("--protocol", type=click.Choice(["paper", "chronological"]), help="Split protocol.")
@click.option("--model", help="Registered model name (small, cnn_transformer, bandpower_logreg).")
@click.option("--max-epochs", type=int, help="Override the training epochs.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), help="Training device.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder [default: runs/<patient>-train].",
)
def train(
    patient,
    data_root,
    layout,
    synthetic,
    config_path,
    cache_dir,
    preictal_min,
    fold,
    repeat,
    protocol,
    model,
    max_epochs,
    device,
    out_dir,
) -> None:
    """Train one model for one preictal length and one fold, with a progress bar per epoch.

    Writes the checkpoint (checkpoints/<fold>.pt, resumable), the fold's results (folds/<fold>.json + .npz) and
    the training history (<fold>-history.csv) to --out.

    \b
    Examples:
      seizurepred train --synthetic -k 30 --fold 0
      seizurepred train --patient chb01 --data-root /data/chbmit -k 60 --fold 0 --model cnn_transformer
    """
    from seizurepred.io.layout import load_any
    from seizurepred.reporting import RunStore
    from seizurepred.reporting.tables import write_csv
    from seizurepred.sweep import plan_folds, prepare_for_sweep
    from seizurepred.sweep.plan import preflight
    from seizurepred.sweep.task import run_fold

    overrides = dict(
        preictal_mins=(preictal_min,),
        repeats=repeat + 1,
        protocol=protocol,
        model=model,
        max_epochs=max_epochs,
        device=device,
    )

    def configure(base):
        return apply_overrides(dataclasses.replace(base, max_folds=None), **overrides)

    patient, data_root, cache_dir, base, _ = resolve_inputs(
        patient, data_root, synthetic, cache_dir, config_path, validate=configure
    )
    config = configure(base)
    manifest = load_any(data_root, patient, layout=layout)
    preflight(manifest, config)
    data = prepare_for_sweep(patient, config, data_root=data_root, cache_dir=cache_dir, manifest=manifest)
    plan = plan_folds(data, config=config)
    mine = [f for f in plan.folds if f.repeat == repeat]
    if not mine:
        reason = "; ".join(s["reason"] for s in plan.skipped) or "no fold"
        raise click.ClickException(f"{patient} at {preictal_min} min: nothing to train ({reason}).")
    if not 0 <= fold < len(mine):
        raise click.BadParameter(
            f"allowed 0..{len(mine) - 1} for {patient} at {preictal_min} min; got {fold}.",
            param_hint="'--fold'",
        )
    chosen = mine[fold]
    out_dir = out_dir or Path("runs") / f"{patient}-train"
    store = RunStore(out_dir)
    with store.lock():
        click.echo(f"{patient}, {chosen.preictal_min} min, fold {fold} (held-out seizure {chosen.seizure_id})", err=True)
        result = run_fold(chosen, data, config, checkpoint_path=store.checkpoint_path(chosen))
        path = store.save_fold(result, config_hash=config.fold_hash())
        write_csv(list(result.history), out_dir / f"{chosen.stem}-history.csv")
    m = result.metrics
    click.echo(
        f"best epoch {result.best_epoch}/{result.n_epochs} ({result.train_s:.0f} s on {result.device}); "
        f"test AUC {m['auc']:.3f}, sensitivity {m['sensitivity']:.3f}, specificity {m['specificity']:.3f}, "
        f"F1 {m['f1']:.3f}"
    )
    click.echo(f"Wrote {path} and {chosen.stem}-history.csv", err=True)
