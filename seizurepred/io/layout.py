"""Where a case's files lie: the PhysioNet layout or the BIDS layout, chosen or detected, and BIDS names.

Two layouts of one data root are supported:

``"physionet"``
    ``ROOT/chbNN/chbNN-summary.txt`` and ``ROOT/chbNN/<file_name>`` (the PhysioNet release, and what
    :func:`~seizurepred.synth.generate_patient` writes); loaded by :func:`~seizurepred.io.summary.load_patient`.
``"bids"``
    ``ROOT/sub-NN/ses-MM/eeg/sub-NN_ses-MM_task-szMonitoring_run-KK_eeg.edf`` with ``*_events.tsv`` and
    ``*_eeg.json`` (the SzCORE release of CHB-MIT, see :mod:`seizurepred.io.bids`); loaded by
    :func:`~seizurepred.io.bids.load_bids_patient`.

A manifest's file names tell the layout apart: BIDS names start with ``sub-`` and end with ``_eeg.edf``, CHB-MIT
names never do. :func:`recording_path` is the one place that turns a recording into a path, for both layouts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from seizurepred._validate import check_option
from seizurepred.errors import ConfigError, ManifestError
from seizurepred.io.manifest import Manifest, check_case_name

Layout = Literal["physionet", "bids"]
LAYOUTS: tuple[str, ...] = ("physionet", "bids")
#: BIDS task label of the release.
TASK = "szMonitoring"

_CASE_RE = re.compile(r"chb(\d{2})")
_ID_RE = re.compile(r"sub-([A-Za-z0-9]+)(?:_ses-([A-Za-z0-9]+))?")
_NAME_RE = re.compile(r"sub-([A-Za-z0-9]+)(?:_ses-([A-Za-z0-9]+))?(?:_[A-Za-z]+-[A-Za-z0-9]+)*_eeg\.edf")


# ---------------------------------------------------------------------------------------------- BIDS names
def bids_ids(case: str) -> tuple[str, str]:
    """Subject and session labels of a case.

    ``"chbNN"`` -> ``("NN", "01")``, except ``"chb21"`` (chb01 recorded 1.5 years later) -> ``("01", "02")``;
    ``"sub-NN"`` -> ``("NN", "01")``; ``"sub-NN_ses-MM"`` -> ``("NN", "MM")``.

    Raises
    ------
    ConfigError
        Any other name.
    """
    if m := _CASE_RE.fullmatch(str(case)):
        return ("01", "02") if m.group(1) == "21" else (m.group(1), "01")
    if m := _ID_RE.fullmatch(str(case)):
        return m.group(1), m.group(2) or "01"
    raise ConfigError(
        f"Invalid value for 'case': allowed 'chbNN', 'sub-<label>' or 'sub-<label>_ses-<label>'; got {case!r}."
    )


def case_of(subject: str, session: str) -> str:
    """The case name of a subject and session: ``("01", "02")`` -> ``"chb21"``, ``("05", "01")`` -> ``"chb05"``.

    Labels other than two digits give ``"sub-<subject>"`` (session 01) or ``"sub-<subject>_ses-<session>"``.
    """
    if re.fullmatch(r"\d{2}", subject):
        if (subject, session) == ("01", "02"):
            return "chb21"
        if session == "01":
            return f"chb{subject}"
    return f"sub-{subject}" + ("" if session == "01" else f"_ses-{session}")


def bids_stem(subject: str, session: str, run: int) -> str:
    """``sub-<subject>_ses-<session>_task-szMonitoring_run-<NN>``; add ``_eeg.edf``, ``_events.tsv``, ..."""
    return f"sub-{subject}_ses-{session}_task-{TASK}_run-{run:02d}"


def is_bids_name(file_name: str) -> bool:
    """Whether ``file_name`` is a BIDS EEG file name (``sub-<label>[_ses-<label>]..._eeg.edf``)."""
    return _NAME_RE.fullmatch(file_name) is not None


def bids_path(bids_root: str | Path, file_name: str) -> Path:
    """``BIDS_ROOT/sub-X/ses-Y/eeg/<file_name>`` for a BIDS EEG file name (a ConfigError for any other name)."""
    m = _NAME_RE.fullmatch(file_name)
    if m is None:
        raise ConfigError(
            "Invalid value for 'file_name': allowed a BIDS name 'sub-<label>[_ses-<label>]_..._eeg.edf'; "
            f"got {file_name!r}."
        )
    session = () if m.group(2) is None else (f"ses-{m.group(2)}",)
    return Path(bids_root, f"sub-{m.group(1)}", *session, "eeg", file_name)


# ---------------------------------------------------------------------------------------------- layouts
def _markers(root: Path, case: str | None) -> tuple[bool, bool]:
    """(PhysioNet layout found, BIDS layout found) in ``root``, for ``case`` when given."""
    if case is None:
        physionet = any(root.glob("*/*-summary.txt"))
        bids = (root / "dataset_description.json").is_file() or any(p.is_dir() for p in root.glob("sub-*"))
        return physionet, bids
    try:
        physionet = (root / case / f"{case}-summary.txt").is_file()
    except PermissionError:
        raise ManifestError(f"{root / case}: cannot search the case folder (Permission denied).") from None
    try:
        subject, session = bids_ids(case)
    except ConfigError:
        return physionet, False
    return physionet, (root / f"sub-{subject}" / f"ses-{session}" / "eeg").is_dir()


def detect_layout(root: str | Path, case: str | None = None) -> Layout:
    """Tell the layout of a data root: ``"physionet"`` or ``"bids"``.

    Parameters
    ----------
    root : str or Path
        The data root.
    case : str or None
        When given, only that case's files count (``ROOT/<case>/<case>-summary.txt`` vs
        ``ROOT/sub-X/ses-Y/eeg/``), so a root holding both layouts of different cases still works.

    Returns
    -------
    {"physionet", "bids"}

    Raises
    ------
    ConfigError
        ``root`` is not a folder, holds neither layout, or holds both (pass the layout explicitly).
    """
    root = Path(root)
    if not root.is_dir():
        raise ConfigError(f"Invalid value for 'data_root': allowed an existing folder; got {str(root)!r}.")
    if case is not None:
        check_case_name(case, source="case")
    physionet, bids = _markers(root, case)
    what = f"{root}" + ("" if case is None else f" (case {case!r})")
    if physionet and bids:
        raise ConfigError(
            f"{what}: holds both the PhysioNet and the BIDS layout; pass layout='physionet' or layout='bids'."
        )
    if not (physionet or bids) and case is not None and (root / case).is_dir() and not any(root.glob("sub-*")):
        return "physionet"  # a case folder without its summary: the PhysioNet loader names the missing file
    if not (physionet or bids):
        raise ConfigError(
            f"{what}: neither the PhysioNet layout (<case>/<case>-summary.txt) nor the BIDS layout "
            "(sub-*/ses-*/eeg/, dataset_description.json) was found."
        )
    return "physionet" if physionet else "bids"


def _check_layout(layout: str) -> str:
    return check_option("layout", layout, ("auto", *LAYOUTS))


def load_any(
    root: str | Path, case: str, *, layout: Literal["auto", "physionet", "bids"] = "auto"
) -> Manifest:
    """Load the manifest of ``case`` from a data root in either layout.

    Parameters
    ----------
    root : str or Path
        The data root.
    case : str
        Case name, e.g. ``"chb01"`` (for BIDS also ``"sub-01"``; see :func:`bids_ids`).
    layout : {"auto", "physionet", "bids"}
        ``"auto"``: :func:`detect_layout` for this case.

    Returns
    -------
    Manifest
        The same recordings, clock times, channels and seizures from either layout of one patient; only the
        file names (and ``source``, ``notes``) differ.
    """
    _check_layout(layout)
    if layout == "auto":
        layout = detect_layout(root, case)
    if layout == "bids":
        from seizurepred.io.bids import load_bids_patient

        return load_bids_patient(root, case)
    from seizurepred.io.summary import load_patient

    return load_patient(root, case)


def recording_path(
    root: str | Path,
    manifest: Manifest,
    file_name: str,
    *,
    layout: Literal["auto", "physionet", "bids"] = "auto",
) -> Path:
    """The EDF file of one recording of ``manifest`` under ``root``.

    Parameters
    ----------
    root : str or Path
        The data root the manifest was loaded from.
    manifest : Manifest
        The case.
    file_name : str
        A recording of ``manifest``.
    layout : {"auto", "physionet", "bids"}
        ``"auto"``: from the file name (pure, no file system access): a BIDS name (:func:`is_bids_name`) lies
        at ``ROOT/sub-X/ses-Y/eeg/<file_name>``, any other at ``ROOT/<case>/<file_name>``.

    Returns
    -------
    Path
        Whether the file exists is not checked.

    Raises
    ------
    ManifestError
        ``file_name`` is not a recording of ``manifest``.
    ConfigError
        Invalid ``layout``, or ``layout="bids"`` with a name that is not a BIDS name.
    """
    _check_layout(layout)
    manifest.recording(file_name)
    if layout == "bids" or (layout == "auto" and is_bids_name(file_name)):
        return bids_path(root, file_name)
    return Path(root) / manifest.case / file_name
