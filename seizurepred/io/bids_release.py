"""The 18-channel form of the BIDS release of CHB-MIT, as the ``epilepsy2bids`` converter writes it, and the
dataset-level files of a BIDS root (real or synthetic).

:func:`write_release_edf` re-writes a bipolar CHB-MIT EDF file the way the release does (its 18 double-banana
channels, re-quantised, EDF+); :mod:`seizurepred.io.bids` uses it for ``synth --layout bids --bids-form release``.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from seizurepred._atomic import atomic_write_json, atomic_write_text
from seizurepred.errors import ManifestError, StorageError
from seizurepred.io.montage import canonical_label, is_matchable

__all__ = ["BIDS_FORMS", "RELEASE_18", "SYNTHETIC_DATASET_NAME", "dataset_description", "write_release_edf"]

#: ``dataset_description.json`` ``Name`` of synthetic data (never the real database's name).
SYNTHETIC_DATASET_NAME = "Synthetic patients in the layout of the BIDS CHB-MIT release (seizurepred synth)"

#: The release's 18 double-banana channels, in its order.
RELEASE_18: tuple[str, ...] = (
    "Fp1-F3", "F3-C3", "C3-P3", "P3-O1", "Fp1-F7", "F7-T3", "T3-T5", "T5-O1", "Fz-Cz", "Cz-Pz",
    "Fp2-F4", "F4-C4", "C4-P4", "P4-O2", "Fp2-F8", "F8-T4", "T4-T6", "T6-O2",
)  # fmt: skip
#: Forms of :func:`write_bids_patient`: the release's 18 re-quantised channels, or the original files unchanged.
BIDS_FORMS = ("release", "full")


def write_release_edf(src: str | Path, dst: str | Path) -> tuple[str, ...]:
    """Write ``src`` as the BIDS release does: its 18 double-banana channels, re-quantised, as EDF+.

    Mirrors ``epilepsy2bids`` 0.0.7 (``Eeg.loadEdf(..., BIPOLAR, BIPOLAR_DBANANA)``, ``standardize(256, ...,
    "bipolar")``, ``saveEdf``) for a bipolar file at 256 Hz: the channels of :data:`RELEASE_18` in that order,
    each under the file's own label (the first file channel that matches, by :func:`canonical_label`); the
    physical values as read; each channel's physical range the floor and ceiling of its signal, over the digital
    range, dimension and file header of the source (pyedflib's ``highlevel.write_edf``, EDF+).

    Parameters
    ----------
    src : str or Path
        A bipolar CHB-MIT EDF file at 256 Hz (all 18 core channels).
    dst : str or Path
        Target file, written atomically.

    Returns
    -------
    tuple of str
        The labels written.

    Raises
    ------
    ManifestError
        ``src`` lacks a channel of the 18, or is not at 256 Hz.
    StorageError
        ``dst`` cannot be written.
    """
    import numpy as np
    import pyedflib
    from pyedflib import highlevel

    src, dst = Path(src), Path(dst)
    with pyedflib.EdfReader(str(src)) as edf:
        labels = edf.getSignalLabels()
        keys = [canonical_label(lab) if is_matchable(lab) else None for lab in labels]
        index = []
        for name in RELEASE_18:
            key = canonical_label(name)
            if key not in keys:
                raise ManifestError(f"{src}: no channel {name} (as {key}); the release form needs all 18.")
            index.append(keys.index(key))
        rates = {float(edf.getSampleFrequency(i)) for i in index}
        if rates != {256.0}:
            raise ManifestError(f"{src}: the release form is written at 256 Hz; got {sorted(rates)} Hz.")
        data = np.array([edf.readSignal(i) for i in index])
        template = edf.getSignalHeader(index[-1])
        file_header = edf.getHeader()
    headers = []
    for i, k in enumerate(index):
        h = dict(template, label=labels[k], sample_frequency=256)
        h["physical_min"], h["physical_max"] = int(np.floor(data[i].min())), int(np.ceil(data[i].max()))
        if h["physical_min"] == h["physical_max"]:  # a flat channel: keep a valid calibration
            h["physical_max"] = h["physical_min"] + 1
        headers.append(h)
    tmp = dst.with_name(f".{dst.stem}.tmp{os.getpid()}.edf")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # pyedflib: signal slightly inside its rounded range
            highlevel.write_edf(str(tmp), data, headers, file_header)
        os.replace(tmp, dst)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StorageError(f"{dst}: cannot write ({exc.strerror or exc}).") from None
    return tuple(labels[k] for k in index)


def dataset_description(*, synthetic: bool = False) -> dict[str, object]:
    """``dataset_description.json`` of a root written by :func:`write_bids_patient`.

    Converted real data keeps the release's name, authors and DOI; synthetic data (``seizurepred synth``) is named
    as synthetic (:data:`SYNTHETIC_DATASET_NAME`), without authors, DOI or licence of the real database, and
    ``GeneratedBy`` seizurepred.
    """
    from seizurepred._version import __version__

    generated = [{"Name": "seizurepred", "Version": __version__}]
    if synthetic:
        return {
            "Name": SYNTHETIC_DATASET_NAME, "BIDSVersion": "1.8.0", "HEDVersion": "score_1.1.0",
            "DatasetType": "raw",
            "GeneratedBy": [{**generated[0], "Description": "seizurepred synth: synthetic EEG, no real recording"}],
        }  # fmt: skip
    return {
        "Name": "BIDS CHB-MIT Scalp EEG Database", "BIDSVersion": "1.8.0", "HEDVersion": "score_1.1.0",
        "DatasetType": "raw", "License": "Open Data Commons Attribution License v1.0",
        "Authors": ["Jonathan Dan", "Ali Shoeb"], "DatasetDOI": "doi:10.13026/C2K01R",
        "GeneratedBy": generated,
    }  # fmt: skip


def _write_dataset_files(bids_root: Path, *, synthetic: bool = False, form: str = "full") -> None:
    """``dataset_description.json``, ``participants.json``, ``events.json`` and ``README``, where absent."""
    files = {
        "dataset_description.json": dataset_description(synthetic=synthetic),
        "participants.json": {
            "age": {"Description": "age of the participant at the time of recording", "Units": "years"},
            "sex": {"Description": "sex of the participant", "Levels": {"m": "male", "f": "female"}},
            "comment": {"Description": "additional comments related to the participant"},
        },
        "events.json": {
            "onset": {"Description": "Start time of the event relative to the beginning of the recording in seconds."},
            "duration": {"Description": "Duration of the event in seconds."},
            "eventType": {"Description": "description of the event", "Levels": {
                "bckg": "Refers to an epoch of data that does not contain an epileptic seizure.",
                "sz": "Unclassified epileptic seizure."}},
        },
    }  # fmt: skip
    for name, obj in files.items():
        if not (bids_root / name).exists():
            atomic_write_json(bids_root / name, obj, sort_keys=False)
    what = (
        "EDF files re-montaged to the release's 18 channels and re-quantised, as epilepsy2bids does"
        if form == "release"
        else "EDF files unchanged"
    )
    if synthetic:
        text = (
            "Synthetic data: patients generated by seizurepred synth, written in the BIDS layout of the SzCORE "
            f"CHB-MIT release ({what}). No real EEG; not the CHB-MIT Scalp EEG Database. The planted truth is "
            "under sourcedata/.\n"
        )
    else:
        text = (
            "CHB-MIT Scalp EEG Database in the BIDS layout of the SzCORE release, written by seizurepred from the "
            f"PhysioNet layout ({what}).\n"
        )
    if not (bids_root / "README").exists():
        atomic_write_text(bids_root / "README", text)
