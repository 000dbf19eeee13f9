"""``seizurepred report RUN_DIR``: re-render a finished sweep's tables, report and figures from its run folder."""

from __future__ import annotations

import os
from pathlib import Path

import click

from seizurepred.cli.options import NonEmptyPath


@click.command("report")
@click.argument("run_dir", type=NonEmptyPath(file_okay=False, exists=True, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=NonEmptyPath(file_okay=False, path_type=Path),
    help="Write the tables, report and figures here [default: RUN_DIR itself]; not another run's folder.",
)
def report(run_dir: Path, out_dir: Path | None) -> None:
    """Read a finished sweep (RUN_DIR, the sweep's --out) and write its tables, report and figures again.

    Nothing is trained or read from the data: the run folder holds the config, the manifest and every fold's
    outputs. The tables are the ones the sweep wrote, byte for byte. The folder written to is locked as a sweep
    locks it (a sweep or report writing there meanwhile is refused, and this one is refused while one does).

    \b
    Example:
      seizurepred report runs/chb01-paper
    """
    from seizurepred.reporting import RunStore, load_run, render_report, write_sweep

    target = out_dir or run_dir
    RunStore(target).check_report_target(run_dir)
    with RunStore(target).lock():
        run = load_run(run_dir)
        written = write_sweep(
            run.result, target, data_note=run.data_note, manifest=run.manifest, synthetic=run.synthetic
        )
    click.echo(render_report(run.result, data_note=run.data_note))
    click.echo(f"Wrote {', '.join(sorted(written))} to {target}{os.sep}", err=True)
