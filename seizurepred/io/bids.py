"""CHB-MIT in the BIDS layout of the EPFL ``epilepsy2bids`` release (SzCORE): load a case, or write one.

The release (Dan et al., *SzCORE*, Epilepsia 2025; converter ``esl-epfl/epilepsy2bids``,
``bids/chbmit/convert2bids.py``; data ``zenodo.org/records/10259996``) looks like this::

    BIDS_ROOT/  dataset_description.json  participants.tsv  participants.json  events.json  README
    BIDS_ROOT/sub-01/ses-01/eeg/sub-01_ses-01_task-szMonitoring_run-00_eeg.edf
                                sub-01_ses-01_task-szMonitoring_run-00_eeg.json    (sidecar)
                                sub-01_ses-01_task-szMonitoring_run-00_events.tsv  (annotations)

* Case <-> subject/session: ``chbNN`` is ``sub-NN/ses-01``, except ``chb21`` (chb01 recorded 1.5 years later),
  which is ``sub-01/ses-02``. :func:`~seizurepred.io.layout.bids_ids` accepts ``"chb01"``, ``"sub-01"``
  (= ses-01, i.e. chb01) and ``"sub-01_ses-02"`` (= chb21); :func:`~seizurepred.io.layout.case_of` maps back,
  so a BIDS manifest carries the PhysioNet case name.
* Runs: the case folder's ``*.edf`` files in sorted name order, numbered from ``00``. Run order is not always
  recording order (``chb02_16+.edf`` sorts before ``chb02_16.edf``), so the loader orders runs by start time.
* ``*_events.tsv``: one row per seizure, tab-separated, columns ``onset duration eventType confidence channels
  dateTime recordingDuration`` (seconds with two decimals; ``eventType`` ``sz`` or a finer ``sz_*`` type;
  ``confidence``/``channels`` ``n/a``; ``dateTime`` the EDF header start ``%Y-%m-%d %H:%M:%S``). A run without
  seizures has one ``bckg`` row spanning the whole recording. Extra columns (``lateralization``, ...) are ignored;
  ``trial_type`` is read where ``eventType`` is absent. A run whose events file is missing or holds no row gets a
  ``ManifestWarning`` naming it (its seizures are unknown: it is read as seizure-free); a non-finite number
  (``nan``) and a seizure row repeating or overlapping another are errors naming the file and line.
* ``participants.tsv``: ``participant_id age sex comment`` (sex ``f``/``m``; sub-01: "ses-02 recorded at 13 years
  old"; sub-24 ``n/a``).

The release rewrites every EDF (``epilepsy2bids`` 0.0.7, ``Eeg.loadEdf`` / ``standardize`` / ``saveEdf``): the 18
double-banana channels in its own order (:data:`RELEASE_18`: ``Fp1-F3, F3-C3, C3-P3, P3-O1, Fp1-F7, F7-T3, ...,
Fz-Cz, Cz-Pz, Fp2-F4, ..., T4-T6, T6-O2``), each under the file's own label where the file has it (so a CHB-MIT
file gives ``FP1-F3``, ``F7-T7``, ...; the old 10-20 names ``T3/T4/T5/T6`` appear only where it had to build or
zero-fill a channel: chb12_27-29, re-referenced from monopolar, and missing channels), each channel's physical
range set to the floor/ceil of its own signal over the file's digital range (re-quantised), as EDF+ with an
annotation channel. The 5 other channels (``P7-T7``, ``T7-FT9``, ``FT9-FT10``, ``FT10-T8``, the second ``T8-P8``)
are dropped, so a sweep of the release uses ``channels = "core18"`` (``"auto"`` picks it).

:func:`write_bids_patient` writes either form: ``form="release"`` re-montages and re-quantises as the converter
does (:func:`write_release_edf`); ``form="full"`` keeps the original bytes (a copy or hard link under the BIDS
name, all 23 channels), so both layouts of one patient give the same channels and identical sweep tables.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import re
import shutil
import warnings
from datetime import datetime
from pathlib import Path
from typing import Literal

from seizurepred._atomic import atomic_write_json, atomic_write_text, ensure_dir, temp_path
from seizurepred._validate import check_option
from seizurepred.errors import ManifestError, ManifestWarning, StorageError
from seizurepred.io.bids_release import (  # noqa: F401 - RELEASE_18, SYNTHETIC_DATASET_NAME, dataset_description re-exported
    BIDS_FORMS,
    RELEASE_18,
    SYNTHETIC_DATASET_NAME,
    _write_dataset_files,
    dataset_description,
    write_release_edf,
)
from seizurepred.io.edf_header import EdfHeader, read_header
from seizurepred.io.layout import TASK, bids_ids, bids_stem, case_of
from seizurepred.io.manifest import Manifest, Recording, Seizure, check_case_name
from seizurepred.io.montage import is_matchable
from seizurepred.io.summary_edf import read_input_file

logger = logging.getLogger(__name__)

#: A start in ``dateTime`` further than this from the EDF header's start gives a warning (the header wins).
START_TOLERANCE_S = 1.0
#: The release's channels in its order, under the converter's names (``Eeg.BIPOLAR_DBANANA`` of ``epilepsy2bids``).
_EVENT_COLUMNS = ("onset", "duration", "eventType", "confidence", "channels", "dateTime", "recordingDuration")


# ---------------------------------------------------------------------------------------------- reading
def _tsv_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    try:
        lines = read_input_file(path, what="TSV").decode("utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read ({type(exc).__name__}: {exc}).") from None
    if not lines:
        raise ManifestError(f"{path} line 1: expected a header row, got an empty file.")
    header = [c.strip() for c in lines[0].split("\t")]
    rows = []
    for k, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) != len(header):
            raise ManifestError(
                f"{path} line {k}: expected {len(header)} tab-separated fields, got {len(fields)}."
            )
        rows.append((k, dict(zip(header, fields))))
    return header, rows


def _number(value: str, path: Path, line: int, column: str) -> float | None:
    if value.lower() in ("n/a", ""):
        return None
    try:
        number = float(value)
    except ValueError:
        raise ManifestError(
            f"{path} line {line}: column {column!r}: expected a number, got {value!r}."
        ) from None
    if not math.isfinite(number):
        raise ManifestError(
            f"{path} line {line}: column {column!r}: expected a finite number, got {value!r}."
        )
    return number


def _read_events(path: Path) -> tuple[list[tuple[int, Seizure]], datetime | None, float | None, int]:
    """(line, seizure) pairs, start, duration and number of rows of one ``*_events.tsv`` (see the module docstring).

    A seizure row repeating or overlapping another is an error (as in the PhysioNet summary).
    """
    header, rows = _tsv_rows(path)
    kind = "eventType" if "eventType" in header else "trial_type"
    missing = [c for c in ("onset", "duration") if c not in header]
    missing += [] if kind in header else ["eventType (or trial_type)"]
    if missing:
        raise ManifestError(
            f"{path} line 1: missing column(s) {', '.join(missing)} (have {', '.join(header)})."
        )
    seizures, start, duration = [], None, None
    for line, row in rows:
        if start is None and row.get("dateTime", "n/a").lower() != "n/a":
            try:
                start = datetime.fromisoformat(row["dateTime"]).replace(tzinfo=None)
            except ValueError:
                raise ManifestError(
                    f"{path} line {line}: column 'dateTime': expected '%Y-%m-%d %H:%M:%S', got {row['dateTime']!r}."
                ) from None
        if duration is None and "recordingDuration" in row:
            duration = _number(row["recordingDuration"], path, line, "recordingDuration")
        label = row[kind].lower()
        if not (label.startswith("sz") or label == "seizure"):
            continue
        onset, length = (_number(row[c], path, line, c) for c in ("onset", "duration"))
        if onset is None or length is None or onset < 0 or length <= 0:
            raise ManifestError(f"{path} line {line}: seizure needs onset >= 0 and duration > 0.")
        seizures.append((line, Seizure(onset, onset + length)))
    seizures.sort(key=lambda s: (s[1].onset_s, s[0]))
    for (line0, a), (line1, b) in zip(seizures, seizures[1:]):
        if b.onset_s < a.offset_s:
            what = "repeats" if a == b else "overlaps"
            (at, this), (first, other) = sorted(((line0, a), (line1, b)), key=lambda x: x[0], reverse=True)
            raise ManifestError(
                f"{path} line {at}: seizure at {this.onset_s:g}-{this.offset_s:g} s {what} the one at line {first} "
                f"({other.onset_s:g}-{other.offset_s:g} s)."
            )
    return seizures, start, duration, len(rows)


@dataclasses.dataclass(frozen=True)
class _Run:
    file_name: str
    start: datetime | None
    duration_s: float | None
    channels: tuple[str, ...]
    seizures: tuple[Seizure, ...]
    sfreq: float | None
    notes: tuple[str, ...]


def _read_run(eeg_dir: Path, stem: str) -> _Run:
    """One run from its EDF header (start, duration, channels, rate) and events file (seizures)."""
    edf, tsv = eeg_dir / f"{stem}_eeg.edf", eeg_dir / f"{stem}_events.tsv"
    header = read_header(edf) if edf.is_file() else None
    seizures, start, duration, n_rows = _read_events(tsv) if tsv.is_file() else ([], None, None, -1)
    notes = []
    if n_rows <= 0:  # the release writes one 'bckg' row even for a run without seizures
        what = f"no events file {tsv.name}" if n_rows < 0 else f"{tsv.name} holds no event row"
        message = (
            f"{edf}: {what} (not even the 'bckg' row of a seizure-free run); the run's seizures are "
            "unknown and it is read as seizure-free."
        )
        warnings.warn(message, ManifestWarning, stacklevel=3)
        notes.append(message)
    if header is not None:
        if start is not None and abs((header.start_datetime - start).total_seconds()) > START_TOLERANCE_S:
            message = (
                f"{tsv.name}: dateTime {start} differs from its EDF header's start {header.start_datetime}; "
                "the header's is used."
            )
            warnings.warn(message, ManifestWarning, stacklevel=3)
            notes.append(message)
        start, duration = header.start_datetime, float(header.duration_s)
    else:
        notes.append(f"{edf.name}: no EDF file; start and duration from {tsv.name}, channels unknown.")
    for line, sz in seizures:
        if duration is not None and sz.offset_s > duration + 0.01:
            raise ManifestError(
                f"{tsv} line {line}: seizure ends at {sz.offset_s:g} s, beyond the end of {edf.name} "
                f"({duration:g} s long)."
            )
    sfreq = header.sfreq if header is not None else None
    channels = header.labels if header is not None else ()
    return _Run(edf.name, start, duration, channels, tuple(s for _, s in seizures), sfreq, tuple(notes))


def _participants(bids_root: Path) -> dict[str, tuple[int, dict[str, str]]]:
    """``{participant_id: (line, row)}`` of ``participants.tsv`` (empty when absent)."""
    path = bids_root / "participants.tsv"
    if not path.is_file():
        return {}
    return {row.get("participant_id", ""): (line, row) for line, row in _tsv_rows(path)[1]}


def load_bids_patient(bids_root: str | Path, case: str) -> Manifest:
    """Build the manifest of ``case`` from a data root in the BIDS layout (the release, or :func:`write_bids_patient`).

    Recordings are the runs of ``sub-X/ses-Y/eeg/`` (an ``*_eeg.edf`` or an ``*_events.tsv``), ordered by start and
    placed on one patient clock: seconds since midnight of the earliest start's day, as the PhysioNet loader does.
    Start, duration and channels come from the EDF header (start and duration from ``dateTime`` /
    ``recordingDuration`` when the EDF is absent); seizures are the ``sz*`` rows of the events file; sex and age
    from ``participants.tsv`` (age for session 01 only). File names are the BIDS names.

    Parameters
    ----------
    bids_root : str or Path
        The folder holding ``sub-*/`` (and ``dataset_description.json``).
    case : str
        ``"chb01"``, ``"chb21"``, ``"sub-01"`` (= chb01) or ``"sub-01_ses-02"`` (= chb21); see
        :func:`~seizurepred.io.layout.bids_ids`.

    Returns
    -------
    Manifest
        ``case`` is the PhysioNet name (:func:`~seizurepred.io.layout.case_of`), ``sfreq`` the EDF headers'
        EEG rate.

    Raises
    ------
    ConfigError
        Invalid case name.
    ManifestError
        No such subject/session, no runs, a malformed events file (file and line), a seizure beyond its run's end.
    EDFError
        A malformed EDF header.
    """
    check_case_name(case, source="case")
    subject, session = bids_ids(case)
    eeg_dir = Path(bids_root, f"sub-{subject}", f"ses-{session}", "eeg")
    if not eeg_dir.is_dir():
        raise ManifestError(f"{eeg_dir}: no such folder ({case!r} is sub-{subject}/ses-{session} in BIDS).")
    prefix = f"sub-{subject}_ses-{session}_"
    stems = sorted(
        {p.name[: -len(s)] for s in ("_eeg.edf", "_events.tsv") for p in eeg_dir.glob(f"{prefix}*{s}")}
    )
    if not stems:
        raise ManifestError(f"{eeg_dir}: no '*_eeg.edf' or '*_events.tsv' run.")
    runs = [_read_run(eeg_dir, stem) for stem in stems]
    notes = [
        f"Read {len(runs)} run(s) of sub-{subject}/ses-{session} from the BIDS layout; file names are BIDS names."
    ]
    notes += [n for run in runs for n in run.notes]
    starts = [run.start for run in runs if run.start is not None and run.duration_s is not None]
    ref = min(starts).replace(hour=0, minute=0, second=0, microsecond=0) if starts else None
    recs = []
    for run in runs:
        t0 = None
        if ref is not None and run.start is not None and run.duration_s is not None:
            t0 = (run.start - ref).total_seconds()
        else:
            notes.append(f"{run.file_name}: start or duration unknown; its times are left unknown.")
        end = None if t0 is None else t0 + run.duration_s
        recs.append(Recording(run.file_name, t0, end, run.channels, run.seizures))
    recs.sort(key=lambda r: (r.start_clock_s is None, r.start_clock_s or 0.0, r.file_name))
    sfreq = next((run.sfreq for run in runs if run.sfreq is not None), None)
    if sfreq is None:
        raise ManifestError(f"{eeg_dir}: no EDF file, so no sampling rate.")
    line, row = _participants(Path(bids_root)).get(f"sub-{subject}", (0, {}))
    sex = {"f": "F", "m": "M"}.get(row.get("sex", "").lower())
    age = _number(row.get("age", "n/a"), Path(bids_root, "participants.tsv"), line, "age")
    age = age if session == "01" else None
    return Manifest(
        case=case_of(subject, session), sfreq=float(sfreq), recordings=tuple(recs), sex=sex, age_years=age,
        notes=tuple(notes), source=f"sub-{subject}/ses-{session} (BIDS)",
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------- writing
def events_tsv_text(seizures: tuple[Seizure, ...], *, start: datetime, recording_duration_s: float) -> str:
    """The ``*_events.tsv`` text of one run, as the release writes it (one ``bckg`` row when seizure-free)."""
    when = start.strftime("%Y-%m-%d %H:%M:%S")
    rows = [(s.onset_s, s.duration_s, "sz") for s in seizures] or [(0.0, recording_duration_s, "bckg")]
    lines = ["\t".join(_EVENT_COLUMNS)]
    lines += [
        f"{on:.2f}\t{dur:.2f}\t{kind}\tn/a\tn/a\t{when}\t{recording_duration_s:.2f}" for on, dur, kind in rows
    ]
    return "\n".join(lines) + "\n"


def _sidecar(header: EdfHeader, *, synthetic: bool = False) -> dict[str, object]:
    """``*_eeg.json`` in the release's shape (its template's fields; the montage as the EDF has it)."""
    return {
        "TaskName": TASK,
        "TaskDescription": "Synthetic EEG written by seizurepred synth (no real recording)."
        if synthetic
        else "Continuous scalp EEG monitoring of pediatric subjects with intractable seizures.",
        "InstitutionName": "n/a (synthetic data)" if synthetic else "Children's Hospital Boston",
        "EEGReference": "bipolar",
        "SamplingFrequency": header.sfreq,
        "PowerLineFrequency": 60,
        "SoftwareFilters": "n/a",
        "HardwareFilters": "n/a",
        "EEGChannelCount": sum(is_matchable(lab) for lab in header.labels),
        "EEGPlacementScheme": "10-20",
        "RecordingType": "continuous",
        "RecordingDuration": round(float(header.duration_s), 2),
    }


def _place_file(src: Path, dst: Path, how: str) -> None:
    """Hard-link or copy ``src`` to ``dst`` atomically (``how="auto"``: link, copy where linking fails)."""
    if dst.exists() and os.path.samefile(src, dst):
        return
    tmp = temp_path(dst)
    tmp.unlink(missing_ok=True)
    try:
        if how in ("auto", "hardlink"):
            try:
                os.link(src, tmp)
            except OSError as exc:
                if how == "hardlink":
                    raise StorageError(f"{dst}: cannot hard-link {src} ({exc.strerror or exc}).") from None
                logger.info("cannot hard-link %s (%s); copying", src, exc.strerror or exc)
                shutil.copyfile(src, tmp)
        else:
            shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, StorageError):
            raise
        raise StorageError(f"{dst}: cannot write ({exc.strerror or exc}).") from None


def _subject_info(physionet_root: Path) -> dict[str, tuple[str, str]]:
    """``{case: (sex, age)}`` from ``SUBJECT-INFO`` (``Case Gender Age (years)``), when present."""
    path = physionet_root / "SUBJECT-INFO"
    if not path.is_file():
        return {}
    rows = (line.split() for line in path.read_text(encoding="utf-8", errors="replace").splitlines()[1:])
    return {r[0]: (r[1].lower(), r[2]) for r in rows if len(r) >= 3}


def _write_participants(bids_root: Path, physionet_root: Path, case: str, subject: str, session: str) -> None:
    path, pid = bids_root / "participants.tsv", f"sub-{subject}"
    rows = {p: row for p, (_, row) in _participants(bids_root).items() if p}
    sex, age = _subject_info(physionet_root).get(case, ("n/a", "n/a"))
    row = rows.get(pid, {"participant_id": pid, "age": "n/a", "sex": "n/a", "comment": "n/a"})
    if session == "01":
        row = {**row, "age": age, "sex": sex}
    elif age != "n/a":
        row = {**row, "comment": f"ses-{session} recorded at {age} years old"}
    rows[pid] = row
    cols = ("participant_id", "age", "sex", "comment")
    lines = ["\t".join(cols)] + ["\t".join(rows[p].get(c, "n/a") for c in cols) for p in sorted(rows)]
    atomic_write_text(path, "\n".join(lines) + "\n")


def write_bids_patient(
    physionet_root: str | Path,
    case: str,
    bids_root: str | Path,
    *,
    how: Literal["auto", "hardlink", "copy"] = "auto",
    form: Literal["full", "release"] = "full",
    synthetic: bool = False,
) -> dict[str, str]:
    """Convert one case from the PhysioNet layout into the BIDS layout of the release.

    The case folder's ``*.edf`` files become runs ``00, 01, ...`` in sorted name order (as in the release), each
    with its ``*_events.tsv`` (seizures from the summary, via :func:`~seizurepred.io.summary.load_patient`) and
    ``*_eeg.json``. With ``form="full"`` the EDF bytes are kept (hard link or copy); with ``form="release"`` each
    file is re-montaged to the release's 18 channels and re-quantised as the converter does
    (:func:`write_release_edf`). The session folder is made to mirror the case folder: run files of that session not written now are removed.
    ``participants.tsv`` gains (or updates) the subject's row, from ``PHYSIONET_ROOT/SUBJECT-INFO`` when present;
    the dataset files are written where absent.

    Parameters
    ----------
    physionet_root : str or Path
        Data root holding ``<case>/<case>-summary.txt`` and the EDF files.
    case : str
        ``"chbNN"`` (``chb21`` goes to ``sub-01/ses-02``).
    bids_root : str or Path
        Target root; created if needed.
    how : {"auto", "hardlink", "copy"}
        ``"hardlink"`` (no extra disk; source and target on one file system), ``"copy"``, or ``"auto"``: a hard
        link where the file system allows it, else a copy (logged). Ignored with ``form="release"``.
    form : {"full", "release"}
        ``"full"``: the original files, 23 channels; ``"release"``: the 18 channels of the real release.
    synthetic : bool
        The data is synthetic (``seizurepred synth``): the dataset files say so (:func:`dataset_description`)
        instead of naming the real database.

    Returns
    -------
    dict of str to str
        PhysioNet file name -> BIDS file name, in run order.

    Raises
    ------
    ConfigError, ManifestError, EDFError
        As :func:`~seizurepred.io.summary.load_patient`; a case folder without EDF files.
    StorageError
        A file cannot be written (or hard-linked with ``how="hardlink"``).
    """
    from seizurepred.io.summary import load_patient

    check_option("how", how, ("auto", "hardlink", "copy"))
    check_option("form", form, BIDS_FORMS)
    subject, session = bids_ids(case)
    manifest = load_patient(physionet_root, case)
    case_dir = Path(physionet_root) / case
    names = sorted(p.name for p in case_dir.glob("*.edf") if p.is_file())
    if not names:
        raise ManifestError(f"{case_dir}: no EDF file to convert.")
    eeg_dir = ensure_dir(Path(bids_root, f"sub-{subject}", f"ses-{session}", "eeg"))
    mapping: dict[str, str] = {}
    for run, name in enumerate(names):
        stem = bids_stem(subject, session, run)
        header = read_header(case_dir / name)
        if form == "release":
            write_release_edf(case_dir / name, eeg_dir / f"{stem}_eeg.edf")
        else:
            _place_file(case_dir / name, eeg_dir / f"{stem}_eeg.edf", how)
        text = events_tsv_text(
            manifest.recording(name).seizures,
            start=header.start_datetime,
            recording_duration_s=header.duration_s,
        )
        atomic_write_text(eeg_dir / f"{stem}_events.tsv", text)
        written = read_header(eeg_dir / f"{stem}_eeg.edf") if form == "release" else header
        atomic_write_json(
            eeg_dir / f"{stem}_eeg.json", _sidecar(written, synthetic=synthetic), sort_keys=False
        )
        mapping[name] = f"{stem}_eeg.edf"
    keep = {v[: -len("_eeg.edf")] for v in mapping.values()}
    for p in eeg_dir.glob(f"sub-{subject}_ses-{session}_task-{TASK}_run-*"):
        if re.sub(r"_(eeg|events)\.\w+$", "", p.name) not in keep:
            logger.info("removing %s (no longer in %s)", p, case_dir)
            p.unlink()
    _write_participants(Path(bids_root), Path(physionet_root), case, subject, session)
    _write_dataset_files(Path(bids_root), synthetic=synthetic, form=form)
    return mapping
