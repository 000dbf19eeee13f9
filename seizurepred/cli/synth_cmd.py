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
@click.option(
    "--layout",
    type=click.Choice(["physionet", "bids"]),
    default="physionet",
    show_default=True,
    help="PhysioNet layout (OUT/PATIENT/PATIENT_NN.edf + summary) or the BIDS layout of the epilepsy2bids "
    "release (OUT/sub-NN/ses-NN/eeg/..., the truth JSON under OUT/sourcedata/).",
)
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
    layout: str,
) -> None:
    """Write a synthetic patient as EDF files in the CHB-MIT layout (OUT/PATIENT/...) or its BIDS release."""
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
    if layout == "bids":
        truth, folder = _write_bids(Path(out_dir), config, n_jobs)
    else:
        truth = generate_patient(out_dir, config=config, n_jobs=n_jobs)
        folder = Path(out_dir) / patient
    hours_written = sum(f.duration_s for f in truth.files) / 3600.0
    signature = "none (null)" if truth.null else f"{truth.signature_kind}, strength {config.strength:g}"
    click.echo(
        f"Wrote {len(truth.files)} EDF files ({hours_written:.2f} h) and {_index_name(layout, patient)} to {folder} "
        f"in {time.perf_counter() - t0:.1f} s; signature: {signature}."
    )
    for sz in truth.seizures:
        click.echo(
            f"  seizure {sz.seizure_id}: {sz.file_name} {sz.onset_s:g}-{sz.offset_s:g} s "
            f"(clock {sz.onset_clock_s:g} s), focus {truth.focus}"
        )


def _write_bids(out_dir: Path, config: SynthConfig, n_jobs: int):
    """Generate in the PhysioNet layout in a temporary folder of ``out_dir``, then convert it to BIDS there."""
    import shutil

    from seizurepred.io.bids import write_bids_patient
    from seizurepred.io.layout import bids_ids

    tmp = out_dir / ".physionet-tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        truth = generate_patient(tmp, config=config, n_jobs=n_jobs)
        write_bids_patient(tmp, config.patient, out_dir, how="auto")
        sourcedata = out_dir / "sourcedata"
        sourcedata.mkdir(parents=True, exist_ok=True)
        name = f"{config.patient}-synth-truth.json"
        shutil.move(str(tmp / config.patient / name), str(sourcedata / name))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sub, ses = bids_ids(config.patient)
    return truth, out_dir / f"sub-{sub}" / f"ses-{ses}"


def _index_name(layout: str, patient: str) -> str:
    return "their events files" if layout == "bids" else f"{patient}-summary.txt"
