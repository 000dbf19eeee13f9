"""``seizurepred synth``: write a synthetic patient as EDF files and a summary in the CHB-MIT layout.

Two modes: the generator's own layout (``--patient``, ``--hours``, ``--seizures``, ...), or a real case's
geometry (``--like chb03``: its files, clock times, channels and seizures from the committed manifest). Either
way a non-empty patient folder is refused unless ``--overwrite``, which clears that folder (and nothing else).
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from seizurepred.cli.options import NonEmptyPath
from seizurepred.synth import SynthConfig, generate_patient
from seizurepred.synth.config import ONSET_SHAPES, SIGNATURE_KINDS

#: Options that define the generator's own layout, refused with ``--like`` (the case gives the layout).
_LAYOUT_OPTIONS = (
    "patient", "hours", "n_seizures", "file_hours", "min_first_onset_h", "min_spacing_h", "channel_change",
)  # fmt: skip


def _parse_minutes(value: str | None) -> tuple[float, ...] | None:
    """``"20,30,45"`` -> ``(20.0, 30.0, 45.0)``; a malformed list is a usage error naming the option."""
    if value is None:
        return None
    try:
        return tuple(float(v) for v in value.split(",") if v.strip())
    except ValueError:
        raise click.BadParameter(
            f"allowed comma-separated minutes like 20,30,45; got {value!r}", param_hint="'--preictal-mins'"
        ) from None


@click.command("synth")
@click.option(
    "--out", "out_dir", required=True, type=NonEmptyPath(file_okay=False, path_type=Path), help="Data root."
)
@click.option(
    "--like",
    "like",
    metavar="CASE",
    help="Copy the geometry of a real case (e.g. chb03): its files, start times, durations, gaps, channels "
    "and seizures from the committed manifest; only the signal is synthetic. Excludes --patient, --hours, "
    "--seizures, --file-hours, --min-first-onset-h, --min-spacing-h, --channel-change.",
)
@click.option(
    "--only-near-seizures",
    "only_near_seizures_h",
    type=float,
    metavar="H",
    help="With --like: write only the EDF files within H hours of some seizure onset (the summary still lists "
    "every file, as after a partial download).",
)
@click.option("--patient", default="chb01", show_default=True, help="Case name; files are PATIENT_NN.edf.")
@click.option("--hours", default=24.0, show_default=True, type=float, help="Recorded hours.")
@click.option("--seizures", "n_seizures", default=4, show_default=True, type=int, help="Number of seizures.")
@click.option(
    "--preictal-min", default=30.0, show_default=True, type=float, help="Planted signature length (min)."
)
@click.option(
    "--preictal-mins",
    "preictal_mins_text",
    metavar="M1,M2,...",
    help="Planted length before each seizure (min, chronological, one per seizure); overrides --preictal-min.",
)
@click.option(
    "--preictal-jitter-min",
    default=0.0,
    show_default=True,
    type=float,
    help="Draw each seizure's planted length from --preictal-min +- this (min).",
)
@click.option(
    "--onset-shape",
    default="linear",
    show_default=True,
    type=click.Choice(ONSET_SHAPES),
    help="How the change's power grows from its start to onset: linear ramp, raised cosine (slow start), "
    "sigmoid, or step (full strength from the start).",
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
@click.option(
    "--bids-form",
    type=click.Choice(["full", "release"]),
    default="full",
    show_default=True,
    help="With --layout bids: 'release' writes the form of the real BIDS release (its converter, epilepsy2bids, "
    "keeps the 18 double-banana channels, re-quantised, as EDF+; sweep it with channels 'core18' or 'auto'); "
    "'full' keeps the generated EDF files with all 23 channels.",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Clear the patient folder (OUT/PATIENT, or OUT/sub-NN/ses-NN) first if it is not empty; nothing "
    "outside it is touched, and a folder that is a symbolic link is refused.",
)
@click.pass_context
def synth(
    ctx: click.Context,
    out_dir: Path,
    like: str | None,
    only_near_seizures_h: float | None,
    patient: str,
    hours: float,
    n_seizures: int,
    preictal_min: float,
    preictal_mins_text: str | None,
    preictal_jitter_min: float,
    onset_shape: str,
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
    bids_form: str,
    overwrite: bool,
) -> None:
    """Write a synthetic patient as EDF files in the CHB-MIT layout (OUT/PATIENT/...) or its BIDS release."""
    preictal_mins = _parse_minutes(preictal_mins_text)
    files = None
    if like is not None:
        from seizurepred.io.manifest import load_manifest
        from seizurepred.synth.like import files_near_seizures, like_config

        source = ctx.get_parameter_source
        given = [n for n in _LAYOUT_OPTIONS if source(n) is not click.core.ParameterSource.DEFAULT]
        if given:
            flag = "--" + {"n_seizures": "seizures"}.get(given[0], given[0]).replace("_", "-")
            raise click.UsageError(f"{flag} cannot be used with --like (the case gives the layout).")
        config = like_config(
            like,
            signature="none" if null else signature_kind,
            preictal_min=preictal_min,
            strength=strength,
            seed=seed,
            onset_shape=onset_shape,
            preictal_mins=preictal_mins,
            preictal_jitter_min=preictal_jitter_min,
        )
        if only_near_seizures_h is not None:
            files = files_near_seizures(load_manifest(like), only_near_seizures_h)
        patient = like
    else:
        if only_near_seizures_h is not None:
            raise click.UsageError("--only-near-seizures needs --like.")
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
            onset_shape=onset_shape,
            preictal_mins=preictal_mins,
            preictal_jitter_min=preictal_jitter_min,
        )
    if layout != "bids" and ctx.get_parameter_source("bids_form") is not click.core.ParameterSource.DEFAULT:
        raise click.UsageError("--bids-form needs --layout bids.")
    _prepare_folder(Path(out_dir), patient, layout, overwrite)
    t0 = time.perf_counter()
    if layout == "bids":
        truth, folder = _write_bids(Path(out_dir), config, n_jobs, files, form=bids_form)
    else:
        truth = generate_patient(out_dir, config=config, n_jobs=n_jobs, files=files)
        folder = Path(out_dir) / patient
    _report(truth, config, folder, layout, time.perf_counter() - t0)


def _prepare_folder(out_dir: Path, patient: str, layout: str, overwrite: bool) -> None:
    """Refuse a non-empty patient folder unless ``overwrite`` (then clear it); see ``prepare_patient_folder``."""
    from seizurepred.synth.folder import prepare_patient_folder

    if layout == "bids":
        from seizurepred.io.layout import bids_ids

        sub, ses = bids_ids(patient)
        prepare_patient_folder(out_dir / f"sub-{sub}" / f"ses-{ses}", overwrite=overwrite)
    else:
        prepare_patient_folder(out_dir / patient, overwrite=overwrite)


def _report(truth, config: SynthConfig, folder: Path, layout: str, seconds: float) -> None:
    written = set(truth.written_files or ())
    n_written = len(written)
    hours_written = sum(f.duration_s for f in truth.files if f.file_name in written) / 3600.0
    of = f" of {len(truth.files)}" if n_written != len(truth.files) else ""
    signature = "none (null)" if truth.null else f"{truth.signature_kind}, strength {config.strength:g}"
    if not truth.null and config.onset_shape != "linear":
        signature += f", onset shape {config.onset_shape}"
    like = f"; geometry of {config.like} (committed manifest)" if config.like else ""
    click.echo(
        f"Wrote {n_written}{of} EDF files ({hours_written:.2f} h) and {_index_name(layout, config.patient)} to "
        f"{folder} in {seconds:.1f} s{like}; signature: {signature}."
    )
    for sz in truth.seizures:
        planted = (
            f", planted {sz.preictal_min:g} min" if not truth.null and sz.preictal_min is not None else ""
        )
        click.echo(
            f"  seizure {sz.seizure_id}: {sz.file_name} {sz.onset_s:g}-{sz.offset_s:g} s "
            f"(clock {sz.onset_clock_s:g} s), focus {truth.focus}{planted}"
        )


def _write_bids(out_dir: Path, config: SynthConfig, n_jobs: int, files=None, *, form: str = "full"):
    """Generate in the PhysioNet layout in a temporary folder of ``out_dir``, then convert it to BIDS there.

    ``form``: ``"release"`` (the real release's 18 channels) or ``"full"`` (the generated files); the dataset
    files name the data as synthetic.
    """
    import shutil

    from seizurepred.io.bids import write_bids_patient
    from seizurepred.io.layout import bids_ids

    tmp = out_dir / ".physionet-tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        truth = generate_patient(tmp, config=config, n_jobs=n_jobs, files=files)
        write_bids_patient(tmp, config.patient, out_dir, how="auto", form=form, synthetic=True)
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
