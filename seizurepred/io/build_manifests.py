"""Build the committed CHB-MIT manifests (``data_manifests/chbNN.json``) from the real metadata files.

Sources: ``summaries/chbNN-summary.txt`` (recordings, times, channels, seizures: the authority), and from the
PhysioNet ``meta/`` folder ``RECORDS`` (every EDF file), ``RECORDS-WITH-SEIZURES``, ``SUBJECT-INFO`` (sex, age)
and ``SHA256SUMS.txt`` (checksums of every file, including the ``.edf.seizures`` annotation files). Every
disagreement between the sources is written into the manifest's ``notes``; nothing is dropped silently.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Sequence
from pathlib import Path

from seizurepred.errors import ManifestError
from seizurepred.io.manifest import Manifest, save_manifest
from seizurepred.io.summary import check_file_name, parse_summary

logger = logging.getLogger(__name__)

#: Facts from the PhysioNet description of the database that no metadata file states.
KNOWN_FACTS: dict[str, str] = {
    "chb01": "chb21 is the same subject as chb01, recorded 1.5 years later (PhysioNet chbmit description).",
    "chb21": "chb21 is the same subject as chb01, recorded 1.5 years later (PhysioNet chbmit description).",
}

_SHA_RE = re.compile(r"^([0-9a-fA-F]{64})\s+\*?(\S+)$")
_SUMMARY_SUFFIX = "-summary.txt"


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ManifestError(f"{path}: no such file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read ({type(exc).__name__}: {exc}).") from None


def read_records(path: str | Path) -> dict[str, list[str]]:
    """Read a PhysioNet ``RECORDS`` / ``RECORDS-WITH-SEIZURES`` file.

    Parameters
    ----------
    path : str or Path
        Lines like ``chb01/chb01_03.edf``.

    Returns
    -------
    dict of str to list of str
        Case -> bare EDF file names in file order.
    """
    path = Path(path)
    out: dict[str, list[str]] = {}
    for i, raw in enumerate(_read_lines(path), start=1):
        line = raw.strip()
        if not line:
            continue
        case, sep, name = line.partition("/")
        if not sep or not case:
            raise ManifestError(f"{path.name} line {i}: expected 'CASE/FILE.edf', got {line[:60]!r}.")
        out.setdefault(case, []).append(check_file_name(name, source=f"{path.name} line {i}"))
    return out


def read_subject_info(path: str | Path) -> dict[str, tuple[str, float]]:
    """Read ``SUBJECT-INFO`` (tab-separated ``Case  Gender  Age (years)``).

    Returns
    -------
    dict of str to (str, float)
        Case -> (sex ``"F"``/``"M"``, age in years).
    """
    path = Path(path)
    out: dict[str, tuple[str, float]] = {}
    for i, raw in enumerate(_read_lines(path), start=1):
        fields = raw.split()
        if not fields or fields[0] == "Case":
            continue
        try:
            case, sex, age = fields
            out[case] = (sex.upper(), float(age))
        except ValueError:
            raise ManifestError(
                f"{path.name} line {i}: expected 'CASE SEX AGE', got {raw.strip()[:60]!r}."
            ) from None
        if out[case][0] not in ("F", "M"):
            raise ManifestError(f"{path.name} line {i}: expected sex 'F' or 'M', got {sex!r}.")
    return out


def read_sha256sums(path: str | Path) -> dict[str, str]:
    """Read ``SHA256SUMS.txt`` (``HEX  relative/path`` per line).

    Returns
    -------
    dict of str to str
        Relative path (e.g. ``"chb01/chb01_03.edf"``) -> lower-case hex digest.
    """
    path = Path(path)
    out: dict[str, str] = {}
    for i, raw in enumerate(_read_lines(path), start=1):
        if not raw.strip():
            continue
        match = _SHA_RE.match(raw.strip())
        if match is None:
            raise ManifestError(f"{path.name} line {i}: expected 'SHA256  PATH', got {raw.strip()[:60]!r}.")
        out[match.group(2)] = match.group(1).lower()
    return out


def _seizure_list_notes(manifest: Manifest, listed: Sequence[str], source: str) -> list[str]:
    """Notes where ``listed`` (files with seizures per another source) disagrees with the summary."""
    with_seizures = {r.file_name for r in manifest.recordings if r.seizures}
    notes = []
    for name in sorted(set(listed) - with_seizures):
        notes.append(
            f"{source} lists {name} as a file with seizures, but the summary lists none in it; kept the summary."
        )
    for name in sorted(with_seizures - set(listed)):
        notes.append(
            f"{source} does not list {name}, but the summary lists seizures in it; kept the summary."
        )
    return notes


def _channel_notes(manifest: Manifest) -> list[str]:
    """Notes for files whose channels lack some of the paper's 23 channels (grouped by what they lack)."""
    from seizurepred.io.montage import missing_channels

    groups: dict[tuple[str, ...], list[str]] = {}
    for rec in manifest.recordings:
        missing = missing_channels(rec.channels, "paper23")
        if missing:
            groups.setdefault(missing, []).append(rec.file_name)
    return [
        f"{', '.join(names)} lack {len(missing)} of the paper-23 channel labels: {', '.join(missing)}."
        for missing, names in groups.items()
    ]


def build_case_manifest(case: str, *, summaries_dir: str | Path, meta_dir: str | Path) -> Manifest:
    """Build the manifest of one CHB-MIT case from its summary and the PhysioNet metadata files.

    Parameters
    ----------
    case : str
        E.g. ``"chb07"``.
    summaries_dir : str or Path
        Folder with ``chbNN-summary.txt``.
    meta_dir : str or Path
        Folder with ``RECORDS``, ``RECORDS-WITH-SEIZURES``, ``SUBJECT-INFO`` and ``SHA256SUMS.txt``.

    Returns
    -------
    Manifest
        Every file of ``RECORDS`` (those only in RECORDS with unknown times), sex/age (``None`` when
        SUBJECT-INFO has no row), each EDF's SHA-256, and notes for every disagreement between the sources.

    Raises
    ------
    ManifestError
        Missing or malformed input file.
    """
    summaries_dir, meta_dir = Path(summaries_dir), Path(meta_dir)
    records = read_records(meta_dir / "RECORDS")
    if case not in records:
        raise ManifestError(f"{meta_dir / 'RECORDS'}: no files listed for case {case!r}.")
    manifest = parse_summary(summaries_dir / f"{case}{_SUMMARY_SUFFIX}", records=records[case], case=case)
    notes = list(manifest.notes)
    with_seizures = read_records(meta_dir / "RECORDS-WITH-SEIZURES").get(case, [])
    notes += _seizure_list_notes(manifest, with_seizures, "RECORDS-WITH-SEIZURES")
    sums = read_sha256sums(meta_dir / "SHA256SUMS.txt")
    annotated = [
        p.split("/", 1)[1][: -len(".seizures")]
        for p in sums
        if p.startswith(f"{case}/") and p.endswith(".seizures")
    ]
    notes += _seizure_list_notes(manifest, annotated, "SHA256SUMS.txt (.edf.seizures files)")
    no_sum = [r.file_name for r in manifest.recordings if f"{case}/{r.file_name}" not in sums]
    if no_sum:
        notes.append(f"No SHA-256 in SHA256SUMS.txt for: {', '.join(no_sum)}.")
    notes += _channel_notes(manifest)
    info = read_subject_info(meta_dir / "SUBJECT-INFO")
    sex, age = info.get(case, (None, None))
    if case not in info:
        notes.append(f"SUBJECT-INFO has no row for {case}: sex and age unknown.")
    if case in KNOWN_FACTS:
        notes.append(KNOWN_FACTS[case])
    recs = tuple(
        dataclasses.replace(r, sha256=sums.get(f"{case}/{r.file_name}")) for r in manifest.recordings
    )
    return dataclasses.replace(manifest, recordings=recs, sex=sex, age_years=age, notes=tuple(notes))


def build_all(summaries_dir: str | Path, meta_dir: str | Path, out_dir: str | Path) -> list[Path]:
    """Build and write the manifest of every case that has a summary in ``summaries_dir``.

    Parameters
    ----------
    summaries_dir, meta_dir : str or Path
        As for :func:`build_case_manifest`.
    out_dir : str or Path
        Output folder; one ``CASE.json`` per case is written (canonical JSON, via
        :func:`~seizurepred.io.manifest.save_manifest`).

    Returns
    -------
    list of Path
        The written files, in case order.

    Raises
    ------
    ManifestError
        No summaries found, a case of ``RECORDS`` without a summary, or any malformed input.
    """
    summaries_dir, out_dir = Path(summaries_dir), Path(out_dir)
    cases = sorted(p.name[: -len(_SUMMARY_SUFFIX)] for p in summaries_dir.glob(f"*{_SUMMARY_SUFFIX}"))
    if not cases:
        raise ManifestError(f"{summaries_dir}: no '*{_SUMMARY_SUFFIX}' files found.")
    without = sorted(set(read_records(Path(meta_dir) / "RECORDS")) - set(cases))
    if without:
        raise ManifestError(
            f"{summaries_dir}: no summary for case(s) listed in RECORDS: {', '.join(without)}."
        )
    written = []
    for case in cases:
        manifest = build_case_manifest(case, summaries_dir=summaries_dir, meta_dir=meta_dir)
        written.append(save_manifest(manifest, out_dir / f"{case}.json"))
        logger.info(
            "%s: %d recordings, %d seizures -> %s", case, len(manifest), manifest.n_seizures, written[-1]
        )
    return written
