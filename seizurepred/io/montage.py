"""Canonical CHB-MIT channel sets and the mapping of a file's labels onto them.

CHB-MIT uses a bipolar 10-20 "double banana" montage. Files differ in what else they carry: a second, identical
``T8-P8``, dummy channels named ``-`` or ``.`` (digital minimum equal to maximum), non-EEG channels (``ECG``,
``VNS``, ``LOC-ROC``, ...), and in chb12 referential (``X-CS2``) or monopolar files that lack the bipolar channels.

Two canonical sets are defined:

``"paper23"`` (:data:`PAPER_23`)
    The 23-label list in the real file order, including the duplicated ``T8-P8`` (slots 14 and 22).
``"core18"`` (:data:`CORE_18`)
    The 18 core double-banana channels. They are the first 18 labels of :data:`PAPER_23`, in that order, so that
    ``paper23_data[:18]`` equals ``core18_data``.

Label matching is case-insensitive, ignores whitespace and knows the old 10-20 names of four electrodes
(:data:`ELECTRODE_ALIASES`: ``T3``/``T4``/``T5``/``T6`` for ``T7``/``T8``/``P7``/``P8``), so the 18 channels of the BIDS
release written by ``epilepsy2bids`` (``Fp1-F3``, ..., ``F7-T3``, ``T3-T5``, ...) match :data:`CORE_18`. Dummy and
non-EEG channels of a file are never matched. A file that lacks a requested channel raises :class:`~seizurepred.errors.MontageError`; skipping
such a recording (as the paper did when it chose, per patient, the channel configuration with the most data) is
the caller's decision: catch the error, log it and go on, or test first with :func:`has_channels`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from seizurepred.errors import ConfigError, MontageError

#: The 23 channel labels in the real CHB-MIT order (the second ``T8-P8`` duplicates the first).
PAPER_23: tuple[str, ...] = (
    "FP1-F7",
    "F7-T7",
    "T7-P7",
    "P7-O1",
    "FP1-F3",
    "F3-C3",
    "C3-P3",
    "P3-O1",
    "FP2-F4",
    "F4-C4",
    "C4-P4",
    "P4-O2",
    "FP2-F8",
    "F8-T8",
    "T8-P8",
    "P8-O2",
    "FZ-CZ",
    "CZ-PZ",
    "P7-T7",
    "T7-FT9",
    "FT9-FT10",
    "FT10-T8",
    "T8-P8",
)

#: The 18 core double-banana channels (the first 18 labels of :data:`PAPER_23`).
CORE_18: tuple[str, ...] = PAPER_23[:18]

CHANNEL_SETS: dict[str, tuple[str, ...]] = {"paper23": PAPER_23, "core18": CORE_18}

#: Labels of channels that are never EEG of the montage (normalised: upper case, stripped).
NON_EEG_LABELS: frozenset[str] = frozenset(
    {
        "ECG",
        "VNS",
        "LOC-ROC",
        "LUE-RAE",
        "EKG1-EKG2",
        "EKG1-CHIN",
        "PZ-OZ",
        "EDF ANNOTATIONS",
        "BDF ANNOTATIONS",
    }
)
#: Old 10-20 names of electrodes and the names CHB-MIT (and :data:`PAPER_23`) uses for them.
ELECTRODE_ALIASES: dict[str, str] = {"T3": "T7", "T4": "T8", "T5": "P7", "T6": "P8"}
_DUMMY_RE = re.compile(r"^[\s\-.]*$")
_REF_RE = re.compile(r"-REF$")


def normalize_label(label: str) -> str:
    """Return the matching key of a channel label: stripped, upper case, inner whitespace removed.

    Parameters
    ----------
    label : str
        A label as a file or a user gives it, e.g. ``" fp1-f7 "``.

    Returns
    -------
    str
        E.g. ``"FP1-F7"``.
    """
    return re.sub(r"\s+", "", str(label)).upper()


def canonical_label(label: str) -> str:
    """Return the key under which a channel label is matched to a canonical channel.

    :func:`normalize_label`, then each electrode of a bipolar pair under its modern name
    (:data:`ELECTRODE_ALIASES`), so that the release's ``"F7-T3"`` and ``"t3-t5"`` match ``"F7-T7"`` and
    ``"T7-P7"``.

    Parameters
    ----------
    label : str
        A label as a file or a user gives it.

    Returns
    -------
    str
        E.g. ``"FP1-F3"`` for ``"Fp1-F3"``, ``"T8-P8"`` for ``"T4-T6"``.
    """
    return "-".join(ELECTRODE_ALIASES.get(part, part) for part in normalize_label(label).split("-"))


def is_dummy(label: str) -> bool:
    """Whether ``label`` names a CHB-MIT dummy channel (``-``, ``.``, empty)."""
    return bool(_DUMMY_RE.match(str(label)))


def is_non_eeg(label: str) -> bool:
    """Whether ``label`` names a non-EEG channel (ECG, VNS, ``*-Ref``, ``PZ-OZ``, EDF+ annotations, ...)."""
    key = normalize_label(label)
    return key in NON_EEG_LABELS or bool(_REF_RE.search(key)) or key.startswith("EDFANNOTATION")


def is_matchable(label: str) -> bool:
    """Whether a file channel with this label may be matched to a canonical channel (not dummy, not non-EEG)."""
    return not is_dummy(label) and not is_non_eeg(label)


def channel_set(name_or_labels: str | Sequence[str]) -> tuple[str, ...]:
    """Return a channel set as a tuple of labels.

    Parameters
    ----------
    name_or_labels : str or sequence of str
        ``"paper23"`` or ``"core18"``, or an explicit sequence of labels (returned as :func:`canonical_label`
        gives them, in the given order; duplicates allowed).

    Returns
    -------
    tuple of str
        The labels, in canonical order.

    Raises
    ------
    ConfigError
        Unknown name, empty sequence, or a dummy / non-EEG label.
    """
    if isinstance(name_or_labels, str):
        key = name_or_labels.strip().lower()
        if key not in CHANNEL_SETS:
            allowed = ", ".join(repr(k) for k in CHANNEL_SETS)
            raise ConfigError(
                f"Invalid value for 'channels': allowed {allowed} or a sequence of labels; got {name_or_labels!r}."
            )
        return CHANNEL_SETS[key]
    labels = tuple(canonical_label(lab) for lab in name_or_labels)
    if not labels:
        raise ConfigError("Invalid value for 'channels': allowed a non-empty sequence of labels; got ().")
    bad = [lab for lab in labels if not is_matchable(lab)]
    if bad:
        raise ConfigError(
            f"Invalid value for 'channels': allowed EEG channel labels; got dummy/non-EEG {bad!r}."
        )
    return labels


def _index_of_labels(labels: Sequence[str]) -> dict[str, int]:
    """Map each matchable label's :func:`canonical_label` to its first index in ``labels``."""
    index: dict[str, int] = {}
    for i, lab in enumerate(labels):
        if is_matchable(lab):
            index.setdefault(canonical_label(lab), i)
    return index


def missing_channels(labels: Sequence[str], channels: str | Sequence[str] = "paper23") -> tuple[str, ...]:
    """Return the requested channels that a file's labels lack, in canonical order, without duplicates.

    Parameters
    ----------
    labels : sequence of str
        The file's channel labels in file order.
    channels : str or sequence of str
        Channel set name or labels (see :func:`channel_set`).

    Returns
    -------
    tuple of str
        Missing canonical labels; empty when the file has them all.
    """
    index = _index_of_labels(labels)
    wanted = channel_set(channels)
    return tuple(dict.fromkeys(lab for lab in wanted if lab not in index))


def has_channels(labels: Sequence[str], channels: str | Sequence[str] = "paper23") -> bool:
    """Whether a file's labels hold every channel of ``channels`` (see :func:`resolve_channels`)."""
    return not missing_channels(labels, channels)


def resolve_channels(
    labels: Sequence[str], channels: str | Sequence[str] = "paper23", *, source: str = ""
) -> np.ndarray:
    """Map a canonical channel set onto a file's channels.

    Parameters
    ----------
    labels : sequence of str
        The file's channel labels in file order (duplicates, dummy and non-EEG channels included).
    channels : str or sequence of str
        ``"paper23"``, ``"core18"`` or explicit labels.
    source : str
        Name of the file, used in the error message.

    Returns
    -------
    ndarray of shape (n_chans,), int64
        For each requested channel, the index of the first file channel with that label. Both ``T8-P8`` slots of
        ``"paper23"`` map to the first ``T8-P8`` of the file (the two are identical in CHB-MIT).

    Raises
    ------
    MontageError
        The file lacks requested channels; the message names ``source`` and every missing label. Skipping the
        recording is the caller's choice.
    """
    index = _index_of_labels(labels)
    wanted = channel_set(channels)
    missing = tuple(dict.fromkeys(lab for lab in wanted if lab not in index))
    if missing:
        where = f"{source}: " if source else ""
        raise MontageError(
            f"{where}missing {len(missing)} of {len(set(wanted))} requested channels: {', '.join(missing)}."
        )
    return np.array([index[lab] for lab in wanted], dtype=np.int64)
