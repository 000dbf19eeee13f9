"""Which recordings of a case have a channel set, and which montage holds the most data.

The paper kept, per case, "the channel configuration with the most data"; :func:`choose_channel_config` tells
how many hours each montage of a manifest covers and which recordings have every channel of a set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from seizurepred.io.manifest import Manifest, Recording
from seizurepred.io.montage import canonical_label, channel_set, has_channels, is_matchable


def _montage_key(rec: Recording) -> tuple[str, ...]:
    return tuple(canonical_label(c) for c in rec.channels if is_matchable(c))


@dataclass(frozen=True)
class ChannelChoice:
    """Recordings that carry a channel set, and the montages of a case ranked by recorded hours.

    Attributes
    ----------
    channels : tuple of str
        The requested channel set.
    file_names : tuple of str
        Recordings that carry every channel of the set.
    hours : float
        Their recorded hours (recordings with unknown times count 0).
    montages : tuple of (tuple of str, float, int)
        Each distinct montage (EEG labels) with its hours and number of files, most data first.
    """

    channels: tuple[str, ...]
    file_names: tuple[str, ...]
    hours: float
    montages: tuple[tuple[tuple[str, ...], float, int], ...]


def choose_channel_config(manifest: Manifest, *, channels: str | Sequence[str] = "paper23") -> ChannelChoice:
    """Which recordings carry ``channels``, and which montage of the case has the most data.

    The paper kept, per patient, "the channel configuration with the most data"; this lists the montages by
    recorded hours and the recordings usable with ``channels`` (pass ``file_names`` to :meth:`Manifest.subset`).

    Parameters
    ----------
    manifest : Manifest
        The case.
    channels : str or sequence of str
        Channel set name or labels.

    Returns
    -------
    ChannelChoice
    """
    wanted = channel_set(channels)
    groups: dict[tuple[str, ...], list[float]] = {}
    usable, hours = [], 0.0
    for rec in manifest.recordings:
        h = (rec.duration_s or 0.0) / 3600.0
        groups.setdefault(_montage_key(rec), []).append(h)
        if has_channels(rec.channels, wanted):
            usable.append(rec.file_name)
            hours += h
    montages = sorted(((k, sum(v), len(v)) for k, v in groups.items()), key=lambda m: (-m[1], -m[2]))
    return ChannelChoice(wanted, tuple(usable), hours, tuple(montages))
