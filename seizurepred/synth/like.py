"""Synthetic patients with a real case's geometry: ``seizurepred synth --like chb03``.

:func:`synth_like` writes a synthetic patient whose files, start times, durations, gaps, midnight roll-overs,
channel lists (dummy and non-EEG channels included) and seizure onsets and durations are exactly those of the
committed manifest of a real case (``data_manifests/chbNN.json``), in the real PhysioNet layout
(``OUT/chbNN/chbNN_MM.edf`` + ``chbNN-summary.txt``, plus ``chbNN-synth-truth.json``), with the chosen preictal
signature planted before each seizure. Only the signal is synthetic (:mod:`seizurepred.synth.generator`).

What equals the committed manifest: the manifest that the project's own builder rebuilds from the written
folder (:func:`seizurepred.io.summary.load_patient`) has the same case, sampling rate, source name and
recordings: file names, order, start and end on the patient clock, channel labels, seizures
(:func:`compare_to_committed` checks it). What cannot: each recording's ``sha256`` (PhysioNet's checksum of the
real EDF file; ``None`` for the synthetic one), and ``sex``, ``age_years`` and the notes that come from the
PhysioNet metadata files outside the case folder (``SUBJECT-INFO``, ``RECORDS``, ``SHA256SUMS.txt``; the
rebuilt notes are a subset of the committed ones: the summary's own roll-over notes). A case whose summary
gives no clock times (chb24) is refused: its durations and times are unknown.

Real cases hold 19-156 recorded hours (a full write takes about 1 s of CPU per recorded hour and 48 MB of disk
per hour; a 4-h file needs ~1.1 GB of memory while written). ``only_near_seizures_h=H`` writes only the
EDF files within ``H`` hours of some seizure onset (a file's span, widened by ``H`` h on each side, holds an
onset); the summary still lists every file with its real name and times, as after a partial download of the real
case, so the rebuilt manifest still equals the committed one and the files present are the committed manifest
restricted to them (:meth:`~seizurepred.io.manifest.Manifest.subset`); the pipeline reads the files present and
labels with the whole manifest (:func:`seizurepred.cache.patient.prepare_patient` does this for real partial
downloads). A written file has the same bytes whichever subset is written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from pathlib import Path

from seizurepred._validate import check_number
from seizurepred.errors import ConfigError
from seizurepred.io.manifest import Manifest, load_manifest
from seizurepred.synth.config import OnsetShape, SignatureKind, SynthConfig
from seizurepred.synth.folder import prepare_patient_folder
from seizurepred.synth.generator import SynthTruth, generate_patient
from seizurepred.synth.layout import plans_from_manifest

__all__ = ["compare_to_committed", "files_near_seizures", "like_config", "synth_like"]


def like_config(
    case: str,
    *,
    signature: SignatureKind = "focal",
    preictal_min: float = 30.0,
    strength: float = 1.0,
    seed: int = 0,
    onset_shape: OnsetShape = "linear",
    preictal_mins: Sequence[float] | None = None,
    preictal_jitter_min: float = 0.0,
    artefacts: bool = True,
) -> SynthConfig:
    """The :class:`~seizurepred.synth.SynthConfig` of a synthetic patient with the geometry of ``case``.

    ``patient`` and ``like`` are ``case``; ``hours`` and ``n_seizures`` are the case's recorded hours and seizure
    count (for the record: the geometry comes from the manifest); ``channel_change`` says whether the case's
    channels change; the other layout fields keep their defaults and are not used.

    Parameters
    ----------
    case : str
        A case with a committed manifest whose recordings all have clock times (chb01-chb23).
    signature : {"focal", "diffuse", "synchrony", "none"}
        Kind of the planted preictal signature.
    preictal_min : float
        Planted length before each onset, minutes (the median when jittered).
    strength : float
        Signature strength (``SynthConfig.signature_strength``).
    seed : int
        Seed of the signal (the geometry is the case's whatever the seed).
    onset_shape : {"linear", "raised_cosine", "sigmoid", "step"}
        How the change grows from its start to onset.
    preictal_mins : sequence of float or None
        One planted length per seizure of the case (chronological), minutes.
    preictal_jitter_min : float
        Per-seizure planted lengths drawn from ``preictal_min +- preictal_jitter_min``.
    artefacts : bool
        Eye blinks, muscle bursts, electrode pops.

    Returns
    -------
    SynthConfig

    Raises
    ------
    ConfigError
        An invalid value, or a case that cannot be written (:func:`~seizurepred.synth.layout.plans_from_manifest`),
        or ``preictal_mins`` without one length per seizure of the case.
    ManifestError
        No committed manifest for ``case``.
    """
    manifest = load_manifest(case)
    plans = plans_from_manifest(manifest)
    config = SynthConfig(
        patient=case,
        like=case,
        hours=sum(p.duration_s for p in plans) / 3600.0,
        n_seizures=manifest.n_seizures,
        preictal_min=preictal_min,
        signature_kind=signature,
        signature_strength=strength,
        seed=seed,
        channel_change=any(p.channels_changed for p in plans),
        artefacts=artefacts,
        onset_shape=onset_shape,
        preictal_mins=None if preictal_mins is None else tuple(preictal_mins),
        preictal_jitter_min=preictal_jitter_min,
    )
    config.planted_preictal_mins(manifest.n_seizures)  # one length per seizure of the case
    return config


def files_near_seizures(manifest: Manifest, hours: float) -> tuple[str, ...]:
    """Recordings within ``hours`` of some seizure onset, in manifest order.

    A recording is kept when ``start - hours <= onset <= end + hours`` for some onset on the patient clock (with
    ``hours = 0``: the files that hold an onset).

    Parameters
    ----------
    manifest : Manifest
        With clock times.
    hours : float
        Distance in hours, >= 0.

    Returns
    -------
    tuple of str
        File names.
    """
    check_number("only_near_seizures_h", hours, min_value=0.0, max_value=1000.0)
    onsets = [ev.onset_clock_s for ev in manifest.seizures if ev.onset_clock_s is not None]
    pad_s = float(hours) * 3600.0
    return tuple(
        r.file_name
        for r in manifest.recordings
        if r.has_times and any(r.start_clock_s - pad_s <= on <= r.end_clock_s + pad_s for on in onsets)
    )


def synth_like(
    case: str,
    out_dir: str | Path,
    *,
    signature: SignatureKind = "focal",
    preictal_min: float = 30.0,
    strength: float = 1.0,
    seed: int = 0,
    onset_shape: OnsetShape = "linear",
    preictal_mins: Sequence[float] | None = None,
    preictal_jitter_min: float = 0.0,
    only_near_seizures_h: float | None = None,
    files: Collection[str] | None = None,
    artefacts: bool = True,
    overwrite: bool = False,
    n_jobs: int = 1,
) -> SynthTruth:
    """Write a synthetic patient with the geometry of a real case to ``out_dir/<case>/``.

    Parameters
    ----------
    case : str
        E.g. ``"chb03"`` (a case with a committed manifest and clock times: not chb24).
    out_dir : str or Path
        Data root; the patient folder ``out_dir/<case>`` must be absent or empty unless ``overwrite``.
    signature, preictal_min, strength, seed, onset_shape, preictal_mins, preictal_jitter_min, artefacts
        As for :func:`like_config`.
    only_near_seizures_h : float or None
        Write only the EDF files within this many hours of some seizure onset (:func:`files_near_seizures`);
        ``None``: every file. The summary and truth list every file.
    files : collection of str or None
        Write only these EDF files (not with ``only_near_seizures_h``).
    overwrite : bool
        Clear a non-empty patient folder first (:func:`~seizurepred.synth.folder.prepare_patient_folder`:
        nothing outside it; a folder that is a symbolic link is refused).
    n_jobs : int
        Files written in parallel (the bytes do not depend on it).

    Returns
    -------
    SynthTruth
        The truth (also written as ``<case>-synth-truth.json``), with ``written_files``.

    Raises
    ------
    ConfigError
        An invalid value; a non-empty patient folder without ``overwrite``; a patient folder that is a symbolic
        link.
    ManifestError
        No committed manifest for ``case``.
    """
    config = like_config(
        case,
        signature=signature,
        preictal_min=preictal_min,
        strength=strength,
        seed=seed,
        onset_shape=onset_shape,
        preictal_mins=preictal_mins,
        preictal_jitter_min=preictal_jitter_min,
        artefacts=artefacts,
    )
    if only_near_seizures_h is not None:
        if files is not None:
            raise ConfigError(
                f"Invalid value for 'files': allowed None when 'only_near_seizures_h' is given; got {files!r}."
            )
        files = files_near_seizures(load_manifest(case), only_near_seizures_h)
    prepare_patient_folder(Path(out_dir) / case, overwrite=overwrite)
    return generate_patient(out_dir, config=config, n_jobs=n_jobs, files=files)


def compare_to_committed(data_root: str | Path, case: str) -> tuple[str, ...]:
    """Differences between the manifest rebuilt from ``data_root/<case>`` and the committed one of ``case``.

    The rebuilt manifest is :func:`seizurepred.io.summary.load_patient`'s (the summary, checked against the EDF
    headers of the files present). Compared: case, sampling rate, source name, and every recording's file name,
    position, start and end on the patient clock, channel labels and seizures; and every note of the rebuilt
    manifest must be one of the committed manifest's. Not compared: ``sha256`` (PhysioNet's checksum of the real
    file), ``sex``, ``age_years`` and the committed notes from PhysioNet metadata outside the case folder.

    Parameters
    ----------
    data_root : str or Path
        Data root holding ``<case>/``.
    case : str
        Case name.

    Returns
    -------
    tuple of str
        One line per difference; empty when they agree.
    """
    from seizurepred.io.summary import load_patient

    got, want = load_patient(data_root, case), load_manifest(case)
    out = [
        f"{name}: {getattr(got, name)!r} != {getattr(want, name)!r}"
        for name in ("case", "sfreq", "source")
        if getattr(got, name) != getattr(want, name)
    ]
    got_names, want_names = [r.file_name for r in got], [r.file_name for r in want]
    if got_names != want_names:
        out.append(
            f"recordings: {len(got_names)} rebuilt != {len(want_names)} committed (or in another order)"
        )
    for a, b in zip(got.recordings, want.recordings):
        a, b = dataclasses.replace(a, sha256=None), dataclasses.replace(b, sha256=None)
        for name in ("file_name", "start_clock_s", "end_clock_s", "channels", "seizures"):
            if getattr(a, name) != getattr(b, name):
                out.append(f"{b.file_name} {name}: {getattr(a, name)!r} != {getattr(b, name)!r}")
    out += [f"note not in the committed manifest: {note}" for note in got.notes if note not in want.notes]
    return tuple(out)
