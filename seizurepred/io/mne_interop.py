"""MNE-Python interop: one recording of a manifest as an :class:`mne.io.RawArray`, seizures and labels annotated.

:func:`to_mne` reads the samples with the project's own reader (:func:`seizurepred.io.edf.read_recording`, the
same values the signal cache starts from), names the channels canonically, scales µV to V (MNE's unit for EEG),
sets the measurement date from the EDF header (UTC) and adds the seizures -- and, given a
:class:`~seizurepred.labels.segments.LabelConfig`, the preictal and interictal intervals -- as
:class:`mne.Annotations`, so ``raw.plot()`` shows what a model is trained on.

Channel names: the canonical labels of :mod:`seizurepred.io.montage` (upper case, ``FP1-F7``), with the old 10-20
names of the BIDS release (``T3``/``T4``/``T5``/``T6``, and the ``01`` typo for ``O1``) mapped to the new ones
(``T7``/``T8``/``P7``/``P8``) by :func:`canonical_label`. MNE needs unique names, so a repeated channel (the second
``T8-P8`` of ``"paper23"``) is called ``T8-P8-1``; its data equal the first ``T8-P8``'s, as the project reads it.

Dates: CHB-MIT's surrogate dates lie in the 2070s. MNE holds them in memory, but cannot save such a date to a FIF
file (its limit is 2038); call ``raw.set_meas_date(None)`` (or ``raw.anonymize()``) before ``raw.save``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from seizurepred.errors import MontageError
from seizurepred.io.edf import read_header, read_recording
from seizurepred.io.layout import recording_path
from seizurepred.io.manifest import Manifest
from seizurepred.io.montage import channel_set, is_matchable, normalize_label, resolve_channels

if TYPE_CHECKING:
    import mne

    from seizurepred.labels.segments import LabelConfig

#: Old 10-20 electrode names (used by the BIDS release's channel list) and the CHB-MIT ones they stand for.
OLD_TO_NEW_10_20: dict[str, str] = {"T3": "T7", "T4": "T8", "T5": "P7", "T6": "P8", "01": "O1"}


def canonical_label(label: str) -> str:
    """The canonical form of a channel label: ``"Fp1-F3"`` -> ``"FP1-F3"``, ``"F7-T3"`` -> ``"F7-T7"``.

    :func:`~seizurepred.io.montage.normalize_label`, then each electrode of the (bipolar) label renamed by
    :data:`OLD_TO_NEW_10_20`.
    """
    return "-".join(OLD_TO_NEW_10_20.get(e, e) for e in normalize_label(label).split("-"))


def _unique(names: Sequence[str]) -> list[str]:
    """Names made unique MNE-style: the second ``X`` becomes ``X-1``, the third ``X-2``."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        k = seen.get(name, 0)
        out.append(name if k == 0 else f"{name}-{k}")
        seen[name] = k + 1
    return out


def pick_channels(
    labels: Sequence[str], channels: str | Sequence[str] | None, *, source: str = ""
) -> tuple[list[str], list[str]]:
    """Match a channel set onto a file's labels through :func:`canonical_label`.

    Parameters
    ----------
    labels : sequence of str
        The file's labels in file order.
    channels : str, sequence of str or None
        ``"paper23"``, ``"core18"``, explicit labels, or ``None``: every EEG channel of the file in file order
        (dummy and non-EEG channels, which the project's reader never reads, left out).
    source : str
        The file, named in errors.

    Returns
    -------
    file_labels : list of str
        The file's own label for each channel, to read with :func:`~seizurepred.io.edf.read_recording`.
    names : list of str
        Their unique canonical names.

    Raises
    ------
    MontageError
        The file lacks requested channels (all named).
    ConfigError
        Invalid ``channels``.
    """
    canon = [canonical_label(lab) if is_matchable(lab) else None for lab in labels]
    if channels is None:
        pairs = [(lab, c) for lab, c in zip(labels, canon) if c is not None]
    else:
        first: dict[str, str] = {}
        for lab, c in zip(labels, canon):
            if c is not None:
                first.setdefault(c, lab)
        wanted = [canonical_label(w) for w in channel_set(channels)]
        missing = [w for w in dict.fromkeys(wanted) if w not in first]
        if missing:
            where = f"{source}: " if source else ""
            raise MontageError(
                f"{where}missing {len(missing)} of {len(set(wanted))} requested channels: {', '.join(missing)}."
            )
        pairs = [(first[w], w) for w in wanted]
    if not pairs:
        raise MontageError(f"{source + ': ' if source else ''}no EEG channel.")
    return [lab for lab, _ in pairs], _unique([c for _, c in pairs])


def _annotations(
    manifest: Manifest, file_name: str, label_config: LabelConfig | None, orig_time: datetime
) -> mne.Annotations:
    """Seizures (``"seizure"``) and, with a label config, ``"preictal"`` / ``"interictal"`` intervals of one file."""
    import mne

    rec = manifest.recording(file_name)
    rows = [(sz.onset_s, sz.duration_s, "seizure") for sz in rec.seizures]
    if label_config is not None:
        from seizurepred.labels.segments import label_segments

        index = manifest.recording_index(file_name)
        segments = label_segments(manifest, config=label_config)
        rows += [
            (iv.start_s, iv.duration_s, iv.label)
            for iv in (*segments.preictal, *segments.interictal)
            if iv.recording_index == index
        ]
    rows.sort()
    onsets, durations, descriptions = zip(*rows) if rows else ((), (), ())
    return mne.Annotations(list(onsets), list(durations), list(descriptions), orig_time=orig_time)


def to_mne(
    manifest: Manifest,
    file_name: str,
    *,
    data_root: str | Path,
    layout: Literal["auto", "physionet", "bids"] = "auto",
    label_config: LabelConfig | None = None,
    channels: str | Sequence[str] | None = "paper23",
) -> mne.io.RawArray:
    """One recording as an MNE raw object with canonical channel names and annotated seizures.

    Parameters
    ----------
    manifest : Manifest
        The case (from either layout).
    file_name : str
        A recording of ``manifest``.
    data_root : str or Path
        The data root the manifest was loaded from.
    layout : {"auto", "physionet", "bids"}
        How to find the file (see :func:`~seizurepred.io.layout.recording_path`).
    label_config : LabelConfig or None
        When given, the file's preictal and interictal intervals under it
        (:func:`~seizurepred.labels.segments.label_segments` over the whole manifest) are annotated too.
    channels : str, sequence of str or None
        ``"paper23"`` (default), ``"core18"``, explicit labels, or ``None`` for every EEG channel of the file (see
        :func:`pick_channels`).

    Returns
    -------
    mne.io.RawArray
        Data of shape (n_chans, n_samples) in V (float64; the reader's float32 µV times 1e-6), channel type
        ``eeg``; ``info["meas_date"]`` the EDF header's start in UTC (the recording's start on the patient
        clock); ``info["subject_info"]`` the case name (``his_id``) and sex; annotations ``"seizure"``,
        ``"preictal"``, ``"interictal"`` with onsets in seconds from the first sample.

    Raises
    ------
    ManifestError
        ``file_name`` is not a recording of ``manifest``.
    EDFError
        The file is missing or malformed.
    MontageError
        The file lacks requested channels.
    """
    import mne

    manifest.recording(file_name)
    path = recording_path(data_root, manifest, file_name, layout=layout)
    header = read_header(path)
    file_labels, names = pick_channels(header.labels, channels, source=str(path))
    data_uv = read_recording(path, channels=file_labels, header=header)
    first = int(resolve_channels(header.labels, file_labels[:1])[0])
    sfreq = header.samples_per_record[first] / header.record_duration_s
    info = mne.create_info(names, sfreq=sfreq, ch_types="eeg")
    raw = mne.io.RawArray(np.multiply(data_uv, 1e-6, dtype=np.float64), info, verbose=False)  # µV -> V
    meas_date = header.start_datetime.replace(tzinfo=UTC)
    raw.set_meas_date(meas_date)
    sex = {"M": 1, "F": 2}.get(manifest.sex or "", 0)
    raw.info["subject_info"] = {"his_id": manifest.case, "sex": sex}
    raw.set_annotations(_annotations(manifest, file_name, label_config, meas_date))
    return raw
