"""``seizurepred synth``: write a synthetic patient as EDF files and a summary in the CHB-MIT layout."""

from __future__ import annotations

import time
from pathlib import Path

import click

from seizurepred.synth import SynthConfig, generate_patient
from seizurepred.synth.config import SIGNATURE_KINDS


@click.command("synth")
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Data root."
)
@click.option("--patient", default="chb01", show_default=True, help="Case name; files are PATIENT_NN.edf.")
@click.option("--hours", default=24.0, show_default=True, type=float, help="Recorded hours.")
@click.option("--seizures", "n_seizures", default=4, show_default=True, type=int, help="Number of seizures.")
@click.option(
    "--preictal-min", default=30.0, show_default=True, type=float, help="Planted signature length (min)."
)
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed (same seed, same bytes).")
@click.option(
    "--signature",
    "signature_kind",
    default="focal",
    show_default=True,
    type=click.Choice(SIGNATURE_KINDS),
    help="Preictal signature kind: focal theta power, diffuse beta power, hemispheric synchrony, or none.",
)
@click.option(
    "--strength",
    default=1.0,
    show_default=True,
    type=float,
    help="Signature strength (power of the change at onset, linear; synchrony: shared fraction, <= 1).",
)
@click.option(
    "--null", is_flag=True, help="No preictal signature at all (null patient; same as --signature none)."
)
@click.option(
    "--channel-change", is_flag=True, help="Add a 'Channels changed:' block with dummy and ECG channels."
)
@click.option("--file-hours", default=1.0, show_default=True, type=float, help="Nominal file length (h).")
@click.option(
    "--min-first-onset-h", default=5.0, show_default=True, type=float, help="Earliest first onset (h)."
)
@click.option("--min-spacing-h", default=2.0, show_default=True, type=float, help="Least onset spacing (h).")
@click.option("--jobs", "n_jobs", default=1, show_default=True, type=int, help="Files written in parallel.")
def synth(
    out_dir: Path,
    patient: str,
    hours: float,
    n_seizures: int,
    preictal_min: float,
    seed: int,
    signature_kind: str,
    strength: float,
    null: bool,
    channel_change: bool,
    file_hours: float,
    min_first_onset_h: float,
    min_spacing_h: float,
    n_jobs: int,
) -> None:
    """Write a synthetic patient as EDF files in the CHB-MIT layout (OUT/PATIENT/...)."""
    config = SynthConfig(
        patient=patient,
        hours=hours,
        n_seizures=n_seizures,
        preictal_min=preictal_min,
        signature_kind=signature_kind,
        signature_strength=strength,
        null=null,
        seed=seed,
        file_hours=file_hours,
        channel_change=channel_change,
        min_first_onset_h=min_first_onset_h,
        min_onset_spacing_h=min_spacing_h,
    )
    t0 = time.perf_counter()
    truth = generate_patient(out_dir, config=config, n_jobs=n_jobs)
    folder = Path(out_dir) / patient
    hours_written = sum(f.duration_s for f in truth.files) / 3600.0
    signature = "none (null)" if truth.null else f"{truth.signature_kind}, strength {config.strength:g}"
    click.echo(
        f"Wrote {len(truth.files)} EDF files ({hours_written:.2f} h) and {patient}-summary.txt to {folder} "
        f"in {time.perf_counter() - t0:.1f} s; signature: {signature}."
    )
    for sz in truth.seizures:
        click.echo(
            f"  seizure {sz.seizure_id}: {sz.file_name} {sz.onset_s:g}-{sz.offset_s:g} s "
            f"(clock {sz.onset_clock_s:g} s), focus {truth.focus}"
        )
