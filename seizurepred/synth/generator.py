"""Write a synthetic patient in the real CHB-MIT layout and return its ground truth.

``generate_patient(out_dir, config=...)`` writes ``out_dir/<patient>/<patient>_NN.edf`` (plain EDF, 1-s records,
256 Hz, physical -800..800 µV over digital -2048..2047, the 23 real labels with the duplicated ``T8-P8``) and
``out_dir/<patient>/<patient>-summary.txt`` in the real format, plus ``<patient>-synth-truth.json``. Files are
generated one at a time (peak memory ~0.5 GB for a 1-h file), each from its own random streams derived from
the seed (one for background, artefacts and seizures, one for the preictal signature, one for the ECG, one for
auxiliary channels), so the output is byte-identical for the same config on the same platform, the signature
kind, strength and onset shape change nothing but the signature, and a file's bytes do not depend on which other
files are written (``files=``). Every channel label a real CHB-MIT file carries can be written
(:func:`seizurepred.synth.channels.channel_kind`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Collection, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from seizurepred._atomic import atomic_write_text, ensure_dir
from seizurepred._progress import progress
from seizurepred._validate import check_number
from seizurepred.config import config_to_dict
from seizurepred.errors import ConfigError
from seizurepred.io.edf_write import CHBMIT_DIGITAL_RANGE, write_edf
from seizurepred.io.manifest import Manifest, Recording
from seizurepred.synth.background import (
    PatientModel,
    StateTimeline,
    add_artefacts,
    background,
    build_timeline,
    make_patient_model,
)
from seizurepred.synth.channels import file_digital
from seizurepred.synth.config import SFREQ, SignatureKind, SynthConfig
from seizurepred.synth.events import seizure_field
from seizurepred.synth.head import bipolar_of
from seizurepred.synth.layout import FilePlan, plan_patient, summary_text
from seizurepred.synth.signatures import SIGNATURE_BANDS_HZ, add_signature, signature_channels, signature_ramp

logger = logging.getLogger(__name__)

#: Surrogate date of the patient clock's midnight (EDF keeps two-digit years, 1985-2084).
BASE_DATE = datetime(2076, 11, 6)


@dataclass(frozen=True)
class SynthSeizure:
    """One planted seizure.

    Attributes
    ----------
    seizure_id : int
        Chronological index from 0.
    file_name : str
        File holding it.
    onset_s, offset_s : float
        Seconds from the file start.
    onset_clock_s, offset_clock_s : float
        On the patient clock.
    preictal_min : float or None
        Planted length of the preictal signature before this onset, minutes (``SynthConfig.preictal_min``, or
        this seizure's from ``preictal_mins`` / ``preictal_jitter_min``); the change may start before the first
        file when the onset is early in the recording. ``None`` only for seizures not made by
        :func:`plan_truth`.
    """

    seizure_id: int
    file_name: str
    onset_s: float
    offset_s: float
    onset_clock_s: float
    offset_clock_s: float
    preictal_min: float | None = None


@dataclass(frozen=True)
class SynthTruth:
    """Ground truth of a generated patient.

    Attributes
    ----------
    patient : str
        Case name.
    config : SynthConfig
        The config it was generated with.
    files : tuple of FilePlan
        Every file (name, clock times, channels, seizures).
    seizures : tuple of SynthSeizure
        Every seizure, chronological.
    null : bool
        True when no preictal signature was planted (``null``, kind ``"none"`` or strength 0).
    focus : str
        Focus electrode of seizures and signature.
    focal_channels : tuple of str
        Bipolar labels (of the 23) that touch the focus: where seizures start.
    signature_kind : {"focal", "diffuse", "synchrony", "none"}
        Kind of the planted signature (``"none"`` exactly when ``null``).
    signature_band_hz : tuple of float or None
        Band of the signature (low, high) in Hz; None for ``"none"``.
    signature_channels : tuple of str
        Bipolar labels (of the 23) where the signature shows (see
        :func:`~seizurepred.synth.signatures.signature_channels`); empty for ``"none"``.
    written_files : tuple of str or None
        The EDF files :func:`generate_patient` wrote (all of ``files`` unless it was given a subset; the summary
        lists every file, as after a partial download of a real case); ``None`` from :func:`plan_truth`.
    """

    patient: str
    config: SynthConfig
    files: tuple[FilePlan, ...]
    seizures: tuple[SynthSeizure, ...]
    null: bool
    focus: str
    focal_channels: tuple[str, ...]
    signature_kind: SignatureKind
    signature_band_hz: tuple[float, float] | None
    signature_channels: tuple[str, ...]
    written_files: tuple[str, ...] | None = None

    def truth_manifest(self) -> Manifest:
        """The manifest that parsing the written summary must give (recordings, times, channels, seizures)."""
        recs = tuple(
            Recording(f.file_name, float(f.start_clock_s), float(f.end_clock_s), f.channels, f.seizures)
            for f in self.files
        )
        return Manifest(
            case=self.patient, sfreq=float(SFREQ), recordings=recs, source=f"{self.patient}-summary.txt"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (written next to the EDF files as ``<patient>-synth-truth.json``)."""
        return {
            "patient": self.patient,
            "config": config_to_dict(self.config),
            "null": self.null,
            "focus": self.focus,
            "focal_channels": list(self.focal_channels),
            "signature_kind": self.signature_kind,
            "signature_band_hz": None if self.signature_band_hz is None else list(self.signature_band_hz),
            "signature_channels": list(self.signature_channels),
            "seizures": [dataclasses.asdict(s) for s in self.seizures],
            "manifest": self.truth_manifest().to_dict(),
            "written_files": None if self.written_files is None else list(self.written_files),
        }


def _seizures(plans: tuple[FilePlan, ...]) -> tuple[SynthSeizure, ...]:
    out = []
    for f in plans:
        for sz in f.seizures:
            out.append((f.start_clock_s + sz.onset_s, f, sz))
    out.sort(key=lambda x: x[0])
    return tuple(
        SynthSeizure(i, f.file_name, sz.onset_s, sz.offset_s, on, f.start_clock_s + sz.offset_s)
        for i, (on, f, sz) in enumerate(out)
    )


def file_base_uv(
    plan: FilePlan, *, config: SynthConfig, model: PatientModel, timeline: StateTimeline
) -> np.ndarray:
    """Monopolar µV of one file without the preictal signature: background, artefacts, seizures.

    Returns
    -------
    ndarray of shape (n_electrodes, n_samples), float32
    """
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, 2, plan.index]))
    n = plan.n_samples
    mono = background(rng, model, timeline, start_clock_s=plan.start_clock_s, n_samples=n)
    if config.artefacts:
        add_artefacts(mono, rng, 1.0 - timeline.at("sleep", plan.start_clock_s, n))
    for sz in plan.seizures:
        a, b = int(sz.onset_s * SFREQ), int(sz.offset_s * SFREQ)
        mono[:, a:b] += seizure_field(rng, n_samples=b - a, focus=model.focus)
    return mono


def add_file_signature(
    mono: np.ndarray,
    plan: FilePlan,
    *,
    config: SynthConfig,
    focus: str,
    onsets: tuple[float, ...],
    preictal_mins: Sequence[float] | None = None,
) -> None:
    """Add the preictal signature of ``config`` to the monopolar µV ``mono`` of ``plan`` in place.

    The signature has its own random stream per file, so ``mono`` before ``onset - preictal_min`` is the same
    for every kind, strength and onset shape (and for a synchrony patient, the same for every strength).
    ``preictal_mins`` gives each onset's planted length in minutes (default: ``config.preictal_min`` for all).
    """
    preictal_s = (
        config.preictal_min * 60.0 if preictal_mins is None else tuple(m * 60.0 for m in preictal_mins)
    )
    ramp = signature_ramp(
        plan.start_clock_s,
        plan.n_samples,
        onsets_clock_s=onsets,
        preictal_s=preictal_s,
        strength=config.strength,
        shape=config.onset_shape,
    )
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, 5, plan.index]))
    add_signature(mono, rng, ramp, kind=config.kind, focus=focus)


def _file_uv(
    plan: FilePlan,
    *,
    config: SynthConfig,
    model: PatientModel,
    timeline: StateTimeline,
    onsets: tuple[float, ...],
    preictal_mins: Sequence[float] | None = None,
) -> np.ndarray:
    """Monopolar µV of one file, shape (n_electrodes, n_samples), float32."""
    mono = file_base_uv(plan, config=config, model=model, timeline=timeline)
    add_file_signature(
        mono, plan, config=config, focus=model.focus, onsets=onsets, preictal_mins=preictal_mins
    )
    return mono


def _write_file(path: Path, plan: FilePlan, digital: np.ndarray, dmins: list[int], patient: str) -> None:
    dmaxs = [CHBMIT_DIGITAL_RANGE[1] if d != 0 else 0 for d in dmins]
    write_edf(
        path,
        digital,
        labels=plan.channels,
        sfreq=SFREQ,
        start=BASE_DATE + timedelta(seconds=plan.start_clock_s),
        digital_min=dmins,
        digital_max=dmaxs,
        patient_id=patient,
        recording_id="seizurepred synthetic",
    )


def plan_truth(config: SynthConfig) -> tuple[SynthTruth, PatientModel]:
    """The ground truth and the patient model of ``config`` without writing anything.

    Raises
    ------
    ConfigError
        ``config.preictal_mins`` does not give one length per seizure; a ``like`` case that cannot be written
        (:func:`~seizurepred.synth.layout.plans_from_manifest`).
    ManifestError
        No committed manifest for ``config.like``.
    """
    plans = plan_patient(config)
    seizures = _seizures(plans)
    lengths = config.planted_preictal_mins(len(seizures))
    seizures = tuple(dataclasses.replace(sz, preictal_min=m) for sz, m in zip(seizures, lengths))
    model = make_patient_model(np.random.default_rng(np.random.SeedSequence([config.seed, 1])))
    truth = SynthTruth(
        patient=config.patient,
        config=config,
        files=plans,
        seizures=seizures,
        null=config.kind == "none",
        focus=model.focus,
        focal_channels=bipolar_of((model.focus,)),
        signature_kind=config.kind,
        signature_band_hz=SIGNATURE_BANDS_HZ.get(config.kind),
        signature_channels=signature_channels(config.kind, model.focus),
    )
    return truth, model


def _write_one(
    plan: FilePlan, config: SynthConfig, model: PatientModel, timeline: StateTimeline, onsets: tuple[float, ...],
    preictal_mins: tuple[float, ...], folder: Path,
) -> str:  # fmt: skip
    """Generate and write one file (top level so that worker processes can run it)."""
    mono = _file_uv(
        plan, config=config, model=model, timeline=timeline, onsets=onsets, preictal_mins=preictal_mins
    )
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, 4, plan.index]))
    aux_rng = np.random.default_rng(np.random.SeedSequence([config.seed, 6, plan.index]))
    digital, dmins = file_digital(plan.channels, mono, rng, aux_rng)
    del mono
    _write_file(folder / plan.file_name, plan, digital, dmins, config.patient)
    return plan.file_name


def _chosen(plans: tuple[FilePlan, ...], files: Collection[str] | None, patient: str) -> tuple[FilePlan, ...]:
    if files is None:
        return plans
    if isinstance(files, str):
        files = (files,)
    names = {f.file_name for f in plans}
    unknown = sorted(set(files) - names)
    if unknown:
        listed = ", ".join(repr(f.file_name) for f in plans[:3]) + (", ..." if len(plans) > 3 else "")
        raise ConfigError(
            f"Invalid value for 'files': allowed file names of {patient} ({listed}); got {unknown[0]!r}."
        )
    return tuple(f for f in plans if f.file_name in set(files))


def generate_patient(
    out_dir: str | Path, *, config: SynthConfig, n_jobs: int = 1, files: Collection[str] | None = None
) -> SynthTruth:
    """Write a synthetic patient under ``out_dir/<patient>/`` and return its ground truth.

    Parameters
    ----------
    out_dir : str or Path
        Data root; the patient folder is created in it (existing files of the same names are replaced; see
        :func:`~seizurepred.synth.folder.prepare_patient_folder` to refuse or clear a non-empty one first).
    config : SynthConfig
        What to generate.
    n_jobs : int
        Worker processes writing files in parallel (each needs ~0.6 GB for 1-h files). The bytes written do
        not depend on it: every file has its own random stream.
    files : collection of str or None
        Write only these EDF files (names of the plan); ``None``: all. The summary and the truth still list
        every file (as a real case of which only some files were downloaded), and each written file has the
        same bytes as in a full write.

    Returns
    -------
    SynthTruth
        With ``written_files`` set.
    """
    check_number("n_jobs", n_jobs, min_value=1, max_value=64, integer=True)
    truth, model = plan_truth(config)
    plans = truth.files
    chosen = _chosen(plans, files, config.patient)
    truth = dataclasses.replace(truth, written_files=tuple(f.file_name for f in chosen))
    folder = ensure_dir(Path(out_dir) / config.patient)
    t0 = plans[0].start_clock_s
    timeline = build_timeline(
        np.random.default_rng(np.random.SeedSequence([config.seed, 3])),
        t0_clock_s=t0,
        span_s=plans[-1].end_clock_s - t0,
        seizure_ends_clock_s=tuple(s.offset_clock_s for s in truth.seizures),
    )
    onsets = tuple(s.onset_clock_s for s in truth.seizures)
    lengths = tuple(float(s.preictal_min) for s in truth.seizures)  # type: ignore[arg-type]
    logger.info(
        "synth %s: %d of %d files, %d seizures, seed %d",
        config.patient, len(chosen), len(plans), len(onsets), config.seed,
    )  # fmt: skip
    args = (config, model, timeline, onsets, lengths, folder)
    desc = f"synth {config.patient}"
    if n_jobs == 1 or len(chosen) <= 1:
        for plan in progress(chosen, desc=desc, unit="file"):
            _write_one(plan, *args)
    else:
        with ProcessPoolExecutor(max_workers=min(n_jobs, len(chosen))) as pool:
            futures = [pool.submit(_write_one, plan, *args) for plan in chosen]
            for fut in progress(as_completed(futures), desc=desc, total=len(futures), unit="file"):
                fut.result()
    atomic_write_text(folder / f"{config.patient}-summary.txt", summary_text(plans))
    truth_path = folder / f"{config.patient}-synth-truth.json"
    atomic_write_text(truth_path, json.dumps(truth.to_dict(), indent=1, sort_keys=True) + "\n")
    return truth
