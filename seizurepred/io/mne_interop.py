"""MNE-Python interop: one recording of a manifest as an :class:`mne.io.RawArray`, seizures and labels annotated.

:func:`to_mne` reads the samples with the project's own reader (:func:`seizurepred.io.edf.read_recording`, the
same values the signal cache starts from), names the channels canonically, scales µV to V (MNE's unit for EEG),
sets the measurement date from the EDF header (UTC) and adds the seizures -- and, given a
:class:`~seizurepred.labels.segments.LabelConfig`, the preictal and interictal intervals -- as
:class:`mne.Annotations`, so ``raw.plot()`` shows what a model is trained on.

Channel names: the canonical labels of :mod:`seizurepred.io.montage` (upper case, ``FP1-F7``), with the old 10-20
names of the BIDS release (``T3``/``T4``/``T5``/``T6``, and the ``01`` typo for ``O1``) mapped to the new ones
(``T7``/``T8``/``P7``/``P8``) by :func:`canonical_label`. MNE needs unique names; a name repeated in the selection
is numbered as :func:`mne.io.read_raw_edf` numbers it, every occurrence from 0: the two ``T8-P8`` of ``"paper23"``
are ``T8-P8-0`` and ``T8-P8-1`` (the second's data equal the first's, as the project reads it). A name the
selection holds once keeps its plain form (``"core18"`` has ``T8-P8``).

Dates: an EDF header holds a two-digit year, read by the EDF rule (85-99 -> 19xx, 00-84 -> 20xx), so CHB-MIT's
surrogate ``dd.mm.76`` is 2076. A FIF file stores ``meas_date`` as signed 32-bit seconds from 1970, which ends
on 2038-01-19, and ``raw.save`` refuses a later date (MNE's own EDF reader gives the same 2076 date and the same
refusal). :func:`to_mne` therefore sets ``meas_date`` to :func:`fif_meas_date` of the header's start: a date after
2038-01-19 is moved back by whole centuries (2076-11-06 11:42:54 -> 1976-11-06 11:42:54), which keeps the day of
the year, the time of day and the intervals between the recordings of a case exactly (the two years have the
same leap days); the header's own date is kept in ``info["description"]``. The result saves to FIF and reloads
with the same data, channel names and annotations.
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


#: The last instant a FIF file can store as ``meas_date`` (signed 32-bit seconds from 1970-01-01 UTC).
FIF_MAX_DATE = datetime(2038, 1, 19, 3, 14, 7, tzinfo=UTC)


def fif_meas_date(start: datetime) -> datetime:
    """A measurement date FIF can store: ``start`` (UTC), moved back by whole centuries while after 2038-01-19.

    Parameters
    ----------
    start : datetime
        A recording's start (an EDF header's; naive values are taken as UTC).

    Returns
    -------
    datetime
        ``start`` itself when FIF can store it, else the same month, day and time of day 100 (or 200, ...) years
        earlier. Years ``y`` and ``y - 100`` in 2038-2099 have the same leap days, so intervals between shifted
        dates are exact.
    """
    date = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    while date > FIF_MAX_DATE:
        date = date.replace(year=date.year - 100)
    return date


def _unique(names: Sequence[str]) -> list[str]:
    """Names made unique as MNE's EDF reader does: every occurrence of a repeated ``X`` is ``X-0``, ``X-1``, ...

    Where ``X-k`` is already taken, the next free ``X-a``, ``X-b``, ... (MNE's rule).
    """
    out = list(names)
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    for stem in (n for n, k in counts.items() if k > 1):
        for idx, i in enumerate(j for j, n in enumerate(names) if n == stem):
            tries = (f"{stem}-{suffix}" for suffix in (idx, *"abcdefghijklmnopqrstuvwxyz"))
            name = next((t for t in tries if t not in out), None)
            if name is None:
                raise MontageError(f"Cannot name the repeated channel {stem!r} uniquely.")
            out[i] = name
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
        clock), moved back by whole centuries when FIF cannot store it (:func:`fif_meas_date`; CHB-MIT's 2076
        becomes 1976), the header's date and the file in ``info["description"]``; ``info["subject_info"]`` the
        case name (``his_id``) and sex; annotations ``"seizure"``, ``"preictal"``, ``"interictal"`` with onsets in
        seconds from the first sample. ``raw.save("x_raw.fif")`` works and reloads the same data, channel names
        and annotations.

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
    header_date = header.start_datetime.replace(tzinfo=UTC)
    meas_date = fif_meas_date(header_date)
    raw.set_meas_date(meas_date)
    moved = (
        "" if meas_date == header_date else f" (meas_date {meas_date:%Y-%m-%d}: FIF stores dates up to 2038)"
    )
    raw.info["description"] = (
        f"{manifest.case} {file_name}; EDF header start {header_date:%Y-%m-%d %H:%M:%S} UTC{moved}"
    )
    sex = {"M": 1, "F": 2}.get(manifest.sex or "", 0)
    raw.info["subject_info"] = {"his_id": manifest.case, "sex": sex}
    raw.set_annotations(_annotations(manifest, file_name, label_config, meas_date))
    return raw
