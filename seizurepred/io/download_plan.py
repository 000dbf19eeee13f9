"""What ``seizurepred download`` fetches: the CHB-MIT files of the chosen cases, their checksums and sizes.

The reference is PhysioNet's ``SHA256SUMS.txt`` of ``chbmit`` 1.0.0, committed under
``data_manifests/metadata/``: every ``CASE/FILE`` entry of a chosen case is fetched (the EDF recordings, the
``CASE-summary.txt`` and the ``.edf.seizures`` annotation files) and verified against its digest. The table
has no sizes. EDF sizes follow from the committed manifests: a CHB-MIT EDF file is a 256-byte header, 256
bytes per signal, then one 1-s data record per second of ``n_signals x 256`` 16-bit samples. A size is given
only where the manifest's ``sha256`` of the recording equals the table's digest (so it describes the same
file) and its start and end times are known; every other size is ``None`` (unknown), never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from seizurepred.errors import ConfigError, ManifestError
from seizurepred.io.build_manifests import read_sha256sums
from seizurepred.io.manifest import known_cases, load_manifest, manifests_dir

#: Where PhysioNet serves CHB-MIT 1.0.0; a file is at ``<base>/<case>/<file>``.
DEFAULT_BASE_URL = "https://physionet.org/files/chbmit/1.0.0/"

#: Samples per second and bytes per sample of every CHB-MIT EDF file (one 1-s data record per second).
CHBMIT_SFREQ = 256
EDF_SAMPLE_BYTES = 2

_PART_RE = re.compile(r"^[A-Za-z0-9_+-][A-Za-z0-9_.+-]*$")


@dataclass(frozen=True)
class RemoteFile:
    """One file to fetch.

    Attributes
    ----------
    path : str
        Path relative to the base URL and to the destination, ``"CASE/FILE"`` (e.g. ``"chb01/chb01_03.edf"``).
    sha256 : str
        Expected lower-case hex SHA-256.
    size_bytes : int or None
        Expected size in bytes when the committed metadata determines it, else ``None``.
    """

    path: str
    sha256: str
    size_bytes: int | None = None

    @property
    def case(self) -> str:
        """The case folder, e.g. ``"chb01"``."""
        return self.path.split("/", 1)[0]

    @property
    def name(self) -> str:
        """The bare file name, e.g. ``"chb01_03.edf"``."""
        return self.path.split("/", 1)[1]


@dataclass(frozen=True)
class PlanSummary:
    """Counts and bytes of a list of :class:`RemoteFile`.

    Attributes
    ----------
    n_files, n_edf, n_seizures_files, n_summaries, n_other : int
        All files, and how many are ``.edf``, ``.edf.seizures``, ``-summary.txt`` or anything else.
    n_known : int
        Files whose size is known.
    known_bytes : int
        Sum of the known sizes in bytes.
    """

    n_files: int
    n_edf: int
    n_seizures_files: int
    n_summaries: int
    n_other: int
    n_known: int
    known_bytes: int

    @property
    def n_unknown(self) -> int:
        """Files whose size is not known."""
        return self.n_files - self.n_known


def metadata_dir() -> Path:
    """Folder of the committed PhysioNet index files: ``data_manifests/metadata/`` next to the manifests."""
    return manifests_dir() / "metadata"


def default_checksums_path() -> Path:
    """The committed PhysioNet ``SHA256SUMS.txt`` of CHB-MIT 1.0.0."""
    return metadata_dir() / "SHA256SUMS.txt"


def read_checksums(path: str | Path | None = None) -> dict[str, str]:
    """Read a ``SHA256SUMS`` file (``HEX  relative/path`` per line; sha256sum's ``*`` binary marker allowed).

    Parameters
    ----------
    path : str or Path or None
        The file; ``None`` reads the committed CHB-MIT 1.0.0 list (:func:`default_checksums_path`).

    Returns
    -------
    dict of str to str
        Relative path (e.g. ``"chb01/chb01_03.edf"``) -> lower-case hex digest.
    """
    path = Path(path) if path is not None else default_checksums_path()
    table = read_sha256sums(path)
    for rel in table:
        if not all(_PART_RE.match(part) for part in rel.split("/")):
            raise ManifestError(f"{path.name}: unsafe path {rel[:60]!r} (expected 'CASE/FILE' or 'FILE').")
    return table


def cases_in(checksums: Mapping[str, str]) -> tuple[str, ...]:
    """Sorted case folders of a checksum table (first component of every ``CASE/FILE`` entry)."""
    return tuple(sorted({rel.split("/", 1)[0] for rel in checksums if rel.count("/") == 1}))


def select_cases(
    checksums: Mapping[str, str], *, patients: Sequence[str] = (), all_cases: bool = False
) -> tuple[str, ...]:
    """Return the cases to fetch: ``patients`` (checked against the table) or every case when ``all_cases``.

    Exactly one of the two must be given; a case absent from the table raises :class:`ConfigError`.
    """
    available = cases_in(checksums)
    if bool(patients) == bool(all_cases):
        got = "both" if patients else "neither"
        raise ConfigError(
            f"Invalid value for '--patient'/'--all': give one of them (e.g. --patient chb01); got {got}."
        )
    if all_cases:
        return available
    for case in patients:
        if case not in available:
            allowed = f"{available[0]} .. {available[-1]}" if available else "none"
            raise ConfigError(f"Invalid value for '--patient': allowed {allowed}; got {case!r}.")
    return tuple(dict.fromkeys(patients))


def edf_size_bytes(n_signals: int, duration_s: int) -> int:
    """Size of a CHB-MIT EDF file: header ``256 + 256 * n_signals``, then ``duration_s`` 1-s data records.

    Parameters
    ----------
    n_signals : int
        Signals in the file (dummy and duplicate channels included).
    duration_s : int
        Number of 1-s data records.
    """
    return 256 + 256 * n_signals + duration_s * n_signals * CHBMIT_SFREQ * EDF_SAMPLE_BYTES


def manifest_sizes(cases: Iterable[str], checksums: Mapping[str, str]) -> dict[str, int]:
    """EDF sizes in bytes that the committed manifests determine, keyed by ``"CASE/FILE"``.

    A recording counts only if its manifest ``sha256`` equals the table's digest and its times are known
    (not so for the 10 chb24 files known only from ``RECORDS``). Cases without a manifest give nothing.
    """
    have = set(known_cases())
    sizes: dict[str, int] = {}
    for case in cases:
        if case not in have:
            continue
        for rec in load_manifest(case).recordings:
            rel = f"{case}/{rec.file_name}"
            if rec.duration_s is None or rec.sha256 is None or checksums.get(rel) != rec.sha256:
                continue
            sizes[rel] = edf_size_bytes(len(rec.channels), int(round(rec.duration_s)))
    return sizes


def plan_download(
    cases: Iterable[str], *, checksums: Mapping[str, str], sizes: Mapping[str, int] | None = None
) -> tuple[RemoteFile, ...]:
    """List the files of ``cases`` in ``checksums``, sorted by path, with the sizes that are known.

    Parameters
    ----------
    cases : iterable of str
        Case folders, e.g. ``["chb01"]``.
    checksums : mapping of str to str
        ``"CASE/FILE"`` -> hex SHA-256 (see :func:`read_checksums`).
    sizes : mapping of str to int or None
        Known sizes by path; ``None`` uses :func:`manifest_sizes`.
    """
    cases = tuple(cases)
    if sizes is None:
        sizes = manifest_sizes(cases, checksums)
    wanted = set(cases)
    return tuple(
        RemoteFile(rel, digest, sizes.get(rel))
        for rel, digest in sorted(checksums.items())
        if rel.count("/") == 1 and rel.split("/", 1)[0] in wanted
    )


def summarize_plan(files: Sequence[RemoteFile]) -> PlanSummary:
    """Count ``files`` by kind and sum the known sizes."""
    names = [f.name for f in files]
    n_edf = sum(n.endswith(".edf") for n in names)
    n_sz = sum(n.endswith(".edf.seizures") for n in names)
    n_sum = sum(n.endswith("-summary.txt") for n in names)
    known = [f.size_bytes for f in files if f.size_bytes is not None]
    return PlanSummary(
        len(files), n_edf, n_sz, n_sum, len(files) - n_edf - n_sz - n_sum, len(known), sum(known)
    )
