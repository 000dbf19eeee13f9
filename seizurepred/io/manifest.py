"""The Manifest: one patient's recordings on one continuous patient clock, with channels and seizures.

A manifest is the single, versioned description of one CHB-MIT case (or of a user's recordings in the same
layout). It is built from ``chbNN-summary.txt`` (see :mod:`seizurepred.io.summary`), stored as JSON in
``data_manifests/`` and loaded from there without the raw data being present.

Patient clock: seconds since midnight of the day the first recording started. Clock values of 24 h and more
are normal (multi-day cases). Recording times that the summary does not give (chb24) are ``None`` until they are
filled from the EDF headers (:func:`Manifest.with_times`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seizurepred.errors import ConfigError, ManifestError

SCHEMA_VERSION = 1

_CASE_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_+-]{0,63}")


def check_case_name(name: str, *, source: str = "patient") -> str:
    """Return ``name`` if it is a bare case name, else raise :class:`ConfigError` naming ``source``.

    A case name becomes a file name (``data_manifests/NAME.json``) and a folder (``DATA_ROOT/NAME/``), so it must
    not be able to point anywhere else: 1 to 64 characters from ``[A-Za-z0-9_+-]``, the first a letter or digit
    (no path separators, no dots, hence no ``..``; no leading ``-`` that a shell or CLI would read as an option).
    Every real name passes: ``chb01`` .. ``chb24``, and the file stems ``chb17a_03``, ``chb02_16+``.

    Parameters
    ----------
    name : str
        The name to check, e.g. ``"chb01"``.
    source : str
        The parameter or option it came from, named in the message (``"patient"`` for the CLI's ``-p``).

    Returns
    -------
    str
        ``name``, unchanged.

    Raises
    ------
    ConfigError
        ``Invalid value for 'patient': allowed a case name of 1-64 letters, digits, '_', '+' or '-' ...; got ...``.
    """
    if not isinstance(name, str) or not _CASE_NAME_RE.fullmatch(name):
        raise ConfigError(
            f"Invalid value for {source!r}: allowed a case name of 1-64 letters, digits, '_', '+' or '-', starting "
            f"with a letter or digit (e.g. 'chb01'); got {name!r}."
        )
    return name


@dataclass(frozen=True)
class Seizure:
    """One seizure, in seconds from the start of its recording file.

    Attributes
    ----------
    onset_s, offset_s : float
        Onset and end, seconds from the start of the file (as the summary gives them).
    """

    onset_s: float
    offset_s: float

    @property
    def duration_s(self) -> float:
        """Seizure duration in seconds."""
        return self.offset_s - self.onset_s


@dataclass(frozen=True)
class Recording:
    """One EDF file of a case.

    Attributes
    ----------
    file_name : str
        Bare file name, e.g. ``"chb01_03.edf"`` (never a path).
    start_clock_s, end_clock_s : float or None
        Start and end on the patient clock in seconds; ``None`` when unknown (chb24 before EDF headers are read).
    channels : tuple of str
        Channel labels in file order (duplicates and dummy channels kept as the file has them).
    seizures : tuple of Seizure
        Seizures in this file, in onset order.
    sha256 : str or None
        PhysioNet's SHA-256 of the EDF file, when known.
    """

    file_name: str
    start_clock_s: float | None
    end_clock_s: float | None
    channels: tuple[str, ...]
    seizures: tuple[Seizure, ...] = ()
    sha256: str | None = None

    @property
    def duration_s(self) -> float | None:
        """Recording length in seconds, or ``None`` when the times are unknown."""
        if self.start_clock_s is None or self.end_clock_s is None:
            return None
        return self.end_clock_s - self.start_clock_s

    @property
    def has_times(self) -> bool:
        """Whether start and end on the patient clock are known."""
        return self.start_clock_s is not None and self.end_clock_s is not None

    @property
    def stem(self) -> str:
        """File name without ``.edf``, e.g. ``"chb01_03"``."""
        return self.file_name[:-4] if self.file_name.lower().endswith(".edf") else self.file_name


@dataclass(frozen=True)
class SeizureEvent:
    """A seizure placed on the patient clock (derived view, not stored).

    Attributes
    ----------
    seizure_id : int
        Index of the seizure in the case, in chronological order, from 0.
    recording_index : int
        Index of its recording in ``Manifest.recordings``.
    file_name : str
        Its recording's file name.
    onset_s, offset_s : float
        Seconds from the start of the file.
    onset_clock_s, offset_clock_s : float or None
        On the patient clock; ``None`` when the recording's times are unknown.
    """

    seizure_id: int
    recording_index: int
    file_name: str
    onset_s: float
    offset_s: float
    onset_clock_s: float | None
    offset_clock_s: float | None


@dataclass(frozen=True)
class Manifest:
    """All recordings of one case.

    Attributes
    ----------
    case : str
        Case name, e.g. ``"chb01"``.
    sfreq : float
        Sampling rate in Hz stated by the summary.
    recordings : tuple of Recording
        In recording order (the summary's order, then files known only from ``RECORDS``).
    sex : str or None
        ``"F"`` / ``"M"`` from ``SUBJECT-INFO``.
    age_years : float or None
        Age from ``SUBJECT-INFO``.
    notes : tuple of str
        Recorded disagreements between sources (e.g. ``RECORDS-WITH-SEIZURES`` vs the summary) and other facts a
        user should know. Never silently dropped.
    source : str
        Where the manifest came from (e.g. ``"chb01-summary.txt"``).
    schema_version : int
        Version of the JSON schema.
    """

    case: str
    sfreq: float
    recordings: tuple[Recording, ...]
    sex: str | None = None
    age_years: float | None = None
    notes: tuple[str, ...] = ()
    source: str = ""
    schema_version: int = SCHEMA_VERSION
    _index: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {rec.file_name: i for i, rec in enumerate(self.recordings)}
        object.__setattr__(self, "_index", index)

    # ------------------------------------------------------------------ views
    def __iter__(self) -> Iterator[Recording]:
        return iter(self.recordings)

    def __len__(self) -> int:
        return len(self.recordings)

    def recording(self, file_name: str) -> Recording:
        """Return the recording called ``file_name`` (raises :class:`ManifestError` if absent)."""
        try:
            return self.recordings[self._index[file_name]]
        except KeyError:
            raise ManifestError(f"{self.case}: no recording named {file_name!r}.") from None

    def recording_index(self, file_name: str) -> int:
        """Return the position of ``file_name`` in :attr:`recordings`."""
        try:
            return self._index[file_name]
        except KeyError:
            raise ManifestError(f"{self.case}: no recording named {file_name!r}.") from None

    @property
    def seizures(self) -> tuple[SeizureEvent, ...]:
        """Every seizure of the case on the patient clock, in chronological (recording, onset) order."""
        events = []
        for ri, rec in enumerate(self.recordings):
            for sz in rec.seizures:
                on = None if rec.start_clock_s is None else rec.start_clock_s + sz.onset_s
                off = None if rec.start_clock_s is None else rec.start_clock_s + sz.offset_s
                events.append((ri, rec.file_name, sz, on, off))
        events.sort(key=lambda e: (e[3] if e[3] is not None else float("inf"), e[0], e[2].onset_s))
        return tuple(
            SeizureEvent(i, ri, fn, sz.onset_s, sz.offset_s, on, off) for i, (ri, fn, sz, on, off) in enumerate(events)
        )

    @property
    def n_seizures(self) -> int:
        """Number of seizures listed."""
        return sum(len(r.seizures) for r in self.recordings)

    @property
    def total_hours(self) -> float:
        """Recorded hours over the recordings whose times are known."""
        return sum(r.duration_s or 0.0 for r in self.recordings) / 3600.0

    @property
    def has_all_times(self) -> bool:
        """Whether every recording has known start and end times."""
        return all(r.has_times for r in self.recordings)

    # ------------------------------------------------------------------ derived copies
    def with_times(self, times: Mapping[str, tuple[float, float]]) -> Manifest:
        """Return a copy with recording times filled in from ``{file_name: (start_clock_s, end_clock_s)}``.

        Used for chb24, whose summary has no times: the caller reads them from the EDF headers.
        """
        recs = tuple(
            dataclasses.replace(r, start_clock_s=times[r.file_name][0], end_clock_s=times[r.file_name][1])
            if r.file_name in times
            else r
            for r in self.recordings
        )
        return dataclasses.replace(self, recordings=recs)

    def subset(self, file_names: set[str] | frozenset[str]) -> Manifest:
        """Return a copy holding only the named recordings (order kept)."""
        return dataclasses.replace(self, recordings=tuple(r for r in self.recordings if r.file_name in file_names))

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready dict of this manifest (the committed file format)."""
        return {
            "schema_version": self.schema_version,
            "case": self.case,
            "source": self.source,
            "sfreq": self.sfreq,
            "sex": self.sex,
            "age_years": self.age_years,
            "notes": list(self.notes),
            "recordings": [
                {
                    "file_name": r.file_name,
                    "start_clock_s": r.start_clock_s,
                    "end_clock_s": r.end_clock_s,
                    "channels": list(r.channels),
                    "seizures": [{"onset_s": s.onset_s, "offset_s": s.offset_s} for s in r.seizures],
                    "sha256": r.sha256,
                }
                for r in self.recordings
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "manifest") -> Manifest:
        """Build a manifest from :meth:`to_dict` output; a malformed dict raises :class:`ManifestError`."""
        try:
            version = int(data["schema_version"])
            if version != SCHEMA_VERSION:
                raise ManifestError(f"{source}: schema_version {version} is not supported (expected {SCHEMA_VERSION}).")
            recs = tuple(
                Recording(
                    file_name=str(r["file_name"]),
                    start_clock_s=None if r["start_clock_s"] is None else float(r["start_clock_s"]),
                    end_clock_s=None if r["end_clock_s"] is None else float(r["end_clock_s"]),
                    channels=tuple(str(c) for c in r["channels"]),
                    seizures=tuple(Seizure(float(s["onset_s"]), float(s["offset_s"])) for s in r["seizures"]),
                    sha256=r.get("sha256"),
                )
                for r in data["recordings"]
            )
            return cls(
                case=str(data["case"]),
                sfreq=float(data["sfreq"]),
                recordings=recs,
                sex=data.get("sex"),
                age_years=None if data.get("age_years") is None else float(data["age_years"]),
                notes=tuple(str(n) for n in data.get("notes", ())),
                source=str(data.get("source", "")),
                schema_version=version,
            )
        except ManifestError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise ManifestError(f"{source}: malformed manifest ({type(exc).__name__}: {exc}).") from None

    def to_json(self) -> str:
        """Return the canonical JSON text (sorted keys, 1-space indent, trailing newline)."""
        return json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n"


def save_manifest(manifest: Manifest, path: str | Path) -> Path:
    """Write ``manifest`` as canonical JSON to ``path`` atomically and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(manifest.to_json(), encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_manifest(path: str | Path) -> Manifest:
    """Read a manifest JSON file; a malformed file raises :class:`ManifestError` naming it."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"{path}: no such manifest file.") from None
    except json.JSONDecodeError as exc:
        raise ManifestError(f"{path} line {exc.lineno}: invalid JSON ({exc.msg}).") from None
    return Manifest.from_dict(data, source=str(path))


def manifests_dir() -> Path:
    """Directory of the committed manifests: ``$SEIZUREPRED_MANIFESTS`` or the repository's ``data_manifests/``."""
    env = os.environ.get("SEIZUREPRED_MANIFESTS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "data_manifests"


def known_cases() -> tuple[str, ...]:
    """Names of the cases with a committed manifest, sorted."""
    d = manifests_dir()
    return tuple(sorted(p.stem for p in d.glob("chb*.json"))) if d.is_dir() else ()


def load_manifest(case: str) -> Manifest:
    """Load the committed manifest of ``case`` (e.g. ``"chb01"``); an unknown case lists the known ones.

    Parameters
    ----------
    case : str
        Case name (see :func:`check_case_name`; a name that is a path is refused before any file is opened).

    Raises
    ------
    ConfigError
        ``case`` is not a bare case name.
    ManifestError
        No manifest for ``case``, or a malformed one.
    """
    path = manifests_dir() / f"{check_case_name(case, source='case')}.json"
    if not path.is_file():
        known = ", ".join(known_cases()) or "none (data_manifests/ is empty)"
        raise ManifestError(f"Unknown case {case!r}: known cases are {known}.")
    return read_manifest(path)
