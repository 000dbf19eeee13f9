"""File layout of a synthetic patient: file lengths, gaps, clock times, seizure placement, the summary text.

Everything here is decided before any signal is generated, from one random stream derived from the seed, so the
plan (and so the summary) does not depend on how the signals are produced. With ``SynthConfig.like`` the plan is
instead a real case's geometry, taken from its committed manifest (:func:`plans_from_manifest`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seizurepred.errors import ConfigError
from seizurepred.io.manifest import Manifest, Seizure, load_manifest
from seizurepred.synth.config import SFREQ, SynthConfig
from seizurepred.synth.head import CHANGED_LABELS, PAPER_23

DAY_S = 86400
_EDGE_S = 60  # least distance of an onset from the start of its file
_TAIL_S = 120  # least recorded time after a seizure's end within its file


@dataclass(frozen=True)
class FilePlan:
    """One EDF file of the synthetic patient.

    Attributes
    ----------
    index : int
        Position in the patient, from 0.
    file_name : str
        ``<patient>_NN.edf``.
    start_clock_s : int
        Start on the patient clock (seconds since midnight of the first file's day).
    duration_s : int
        Length in whole seconds.
    channels : tuple of str
        Labels in file order.
    seizures : tuple of Seizure
        Seizures in seconds from the file start (whole seconds).
    channels_changed : bool
        Whether the summary has a ``Channels changed:`` block right before this file.
    """

    index: int
    file_name: str
    start_clock_s: int
    duration_s: int
    channels: tuple[str, ...]
    seizures: tuple[Seizure, ...]
    channels_changed: bool = False

    @property
    def end_clock_s(self) -> int:
        """End on the patient clock."""
        return self.start_clock_s + self.duration_s

    @property
    def n_samples(self) -> int:
        """Samples per channel."""
        return self.duration_s * SFREQ


def _durations(config: SynthConfig) -> list[int]:
    file_s, total_s = config.file_s, config.total_s
    n_full, rem = divmod(total_s, file_s)
    durs = [file_s] * n_full
    if rem >= 60 or not durs:
        durs.append(max(rem, 1))
    elif rem:
        durs[-1] += rem
    return durs


def _place_onsets(config: SynthConfig, total_s: int, rng: np.random.Generator) -> np.ndarray:
    """Onsets on the recorded-time axis (gaps excluded), spread out with the configured spacing."""
    n = config.n_seizures
    lo = config.min_first_onset_h * 3600.0
    hi = total_s - config.seizure_s[1] - 300.0
    spacing = config.min_onset_spacing_h * 3600.0
    free = max(hi - lo - (n - 1) * spacing, 0.0)
    return lo + np.sort(rng.uniform(0.0, free, n)) + np.arange(n) * spacing


def _seizures_in_files(
    config: SynthConfig, durs: list[int], rng: np.random.Generator
) -> dict[int, list[Seizure]]:
    starts = np.concatenate([[0], np.cumsum(durs)])
    out: dict[int, list[Seizure]] = {}
    for onset in _place_onsets(config, int(starts[-1]), rng):
        dur = int(round(rng.uniform(*config.seizure_s)))
        fi = int(np.searchsorted(starts, onset, side="right") - 1)
        off = int(round(onset - starts[fi]))
        prev = out.get(fi, [])
        if prev:
            off = max(off, int(prev[-1].offset_s) + _EDGE_S)
        fits_next = fi + 1 < len(durs) and _EDGE_S + dur + _TAIL_S <= durs[fi + 1]
        if off + dur + _TAIL_S > durs[fi] and fits_next:
            fi, off = fi + 1, _EDGE_S  # does not fit: move it to the start of the next file
        off = min(max(off, _EDGE_S), durs[fi] - dur - _TAIL_S)
        out.setdefault(fi, []).append(Seizure(float(off), float(off + dur)))
    return out


def _gaps(n_files: int, config: SynthConfig, rng: np.random.Generator) -> list[int]:
    gaps = []
    for _ in range(max(n_files - 1, 0)):
        long = rng.uniform() < config.long_gap_prob
        gaps.append(int(round(rng.uniform(*(config.long_gap_s if long else config.gap_s)))))
    return gaps


def _first_start(durs: list[int], gaps: list[int], rng: np.random.Generator) -> int:
    """Time of day of the first file, chosen so that midnight falls inside a file (not in a gap)."""
    rel = np.concatenate([[0], np.cumsum(np.asarray(durs[:-1]) + np.asarray(gaps))]).astype(np.int64)
    u = rng.uniform(0.2, 0.8)
    starts = DAY_S - rel - np.floor(u * np.asarray(durs)).astype(np.int64)
    ok = np.flatnonzero(starts >= 0)
    if ok.size == 0:  # pragma: no cover - a first file longer than a day cannot happen (file_hours <= 24)
        return 0
    daytime = ok[(starts[ok] >= 7 * 3600) & (starts[ok] <= 16 * 3600)]
    pool = daytime if daytime.size else ok
    return int(starts[pool[rng.integers(pool.size)]])


def plan_patient(config: SynthConfig) -> tuple[FilePlan, ...]:
    """Decide every file of the patient: name, clock times, channels and seizures.

    Parameters
    ----------
    config : SynthConfig
        What to generate; with ``config.like`` the committed manifest of that case gives every file
        (:func:`plans_from_manifest`).

    Returns
    -------
    tuple of FilePlan
        In recording order; clock times on the patient clock, seizures in whole seconds.
    """
    if config.like is not None:
        return plans_from_manifest(load_manifest(config.like))
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, 0]))
    durs = _durations(config)
    seizures = _seizures_in_files(config, durs, rng)
    if config.short_seizure_files:
        for fi, szs in seizures.items():
            cut = int(szs[-1].offset_s) + int(rng.integers(180, 900))
            if rng.uniform() < 0.5 and cut < durs[fi]:
                durs[fi] = cut
    gaps = _gaps(len(durs), config, rng)
    clock = _first_start(durs, gaps, rng)
    change_at = len(durs) // 2 if config.channel_change and len(durs) > 1 else -1
    plans = []
    for i, dur in enumerate(durs):
        plans.append(
            FilePlan(
                index=i,
                file_name=f"{config.patient}_{i + 1:02d}.edf",
                start_clock_s=clock,
                duration_s=dur,
                channels=CHANGED_LABELS if 0 <= change_at <= i else PAPER_23,
                seizures=tuple(seizures.get(i, ())),
                channels_changed=i == change_at,
            )
        )
        clock += dur + (gaps[i] if i < len(gaps) else 0)
    return tuple(plans)


def _whole(value: float | None, what: str, case: str) -> int:
    if value is None or not float(value).is_integer():
        raise ConfigError(
            f"Invalid value for 'like': allowed a case whose {what} are whole seconds (the synthetic files have "
            f"1-s records); got {case!r} ({value!r})."
        )
    return int(value)


def plans_from_manifest(manifest: Manifest) -> tuple[FilePlan, ...]:
    """The files of a real case as synthetic file plans: names, clock times, durations, channels, seizures.

    Each recording becomes one :class:`FilePlan` with its file name, start on the patient clock, duration,
    channel labels (dummy and non-EEG channels included, in file order) and seizures, in the manifest's order.
    A ``Channels changed:`` block is planned before every file whose channels differ from the previous file's,
    so the summary that :func:`summary_text` writes parses back to the same channels.

    Parameters
    ----------
    manifest : Manifest
        E.g. ``load_manifest("chb03")``.

    Returns
    -------
    tuple of FilePlan

    Raises
    ------
    ConfigError
        The case cannot be written as a summary that parses back to it: a recording without clock times (chb24,
        whose summary has none), a rate other than the synthetic files' 256 Hz, times or seizure bounds that
        are not whole seconds, a first file that starts on a later day, or files that overlap or are a day or
        more apart (the summary's times of day could not place them).
    """
    case = manifest.case
    if manifest.sfreq != SFREQ:
        raise ConfigError(
            f"Invalid value for 'like': allowed a case recorded at {SFREQ} Hz; got {case!r} ({manifest.sfreq:g} Hz)."
        )
    untimed = [r.file_name for r in manifest.recordings if not r.has_times]
    if untimed or not manifest.recordings:
        raise ConfigError(
            f"Invalid value for 'like': allowed a case whose committed manifest gives every recording's clock "
            f"times; got {case!r} ({len(untimed)} of {len(manifest)} recordings without times)."
        )
    plans: list[FilePlan] = []
    for i, rec in enumerate(manifest.recordings):
        start = _whole(rec.start_clock_s, "recording times", case)
        end = _whole(rec.end_clock_s, "recording times", case)
        seizures = tuple(
            Seizure(
                float(_whole(sz.onset_s, "seizure times", case)),
                float(_whole(sz.offset_s, "seizure times", case)),
            )
            for sz in rec.seizures
        )
        prev = plans[-1] if plans else None
        placeable = (
            0 <= start < DAY_S if prev is None else prev.end_clock_s <= start < prev.end_clock_s + DAY_S
        )
        if not placeable or end <= start:
            raise ConfigError(
                f"Invalid value for 'like': allowed a case whose recordings follow one another by less than a day "
                f"(a summary gives times of day only); got {case!r} ({rec.file_name} at {start}-{end} s)."
            )
        plans.append(
            FilePlan(
                index=i,
                file_name=rec.file_name,
                start_clock_s=start,
                duration_s=end - start,
                channels=tuple(rec.channels),
                seizures=seizures,
                channels_changed=prev is not None and tuple(rec.channels) != prev.channels,
            )
        )
    return tuple(plans)


# ---------------------------------------------------------------------------------------------------- summary
def _start_text(clock_s: int) -> str:
    tod = clock_s % DAY_S
    return f"{tod // 3600:02d}:{tod % 3600 // 60:02d}:{tod % 60:02d}"


def _end_text(start_clock_s: int, duration_s: int) -> str:
    end = start_clock_s % DAY_S + duration_s  # hours may reach 24 and more; no leading zero below 10
    return f"{end // 3600}:{end % 3600 // 60:02d}:{end % 60:02d}"


def _channel_block(title: str, channels: tuple[str, ...]) -> str:
    lines = [title, "*" * len(title)] + [f"Channel {i + 1}: {lab}" for i, lab in enumerate(channels)]
    return "\n".join(lines) + "\n"


def _file_block(plan: FilePlan) -> str:
    lines = [
        f"File Name: {plan.file_name}",
        f"File Start Time: {_start_text(plan.start_clock_s)}",
        f"File End Time: {_end_text(plan.start_clock_s, plan.duration_s)}",
        f"Number of Seizures in File: {len(plan.seizures)}",
    ]
    numbered = len(plan.seizures) > 1
    for k, sz in enumerate(plan.seizures, start=1):
        tag = f"Seizure {k}" if numbered else "Seizure"
        lines.append(f"{tag} Start Time: {int(sz.onset_s)} seconds")
        lines.append(f"{tag} End Time: {int(sz.offset_s)} seconds")
    return "\n".join(lines) + "\n"


def summary_text(plans: tuple[FilePlan, ...]) -> str:
    """The ``<patient>-summary.txt`` text in the real CHB-MIT format.

    Parameters
    ----------
    plans : tuple of FilePlan
        The patient's files.

    Returns
    -------
    str
        Header, channel list, one block per file (and a ``Channels changed:`` block where the channels change).
    """
    rate = f"Data Sampling Rate: {SFREQ} Hz"
    blocks = [f"{rate}\n{'*' * 25}\n", _channel_block("Channels in EDF Files:", plans[0].channels)]
    for plan in plans:
        if plan.channels_changed:
            blocks.append(_channel_block("Channels changed:", plan.channels))
        blocks.append(_file_block(plan))
    return "\n".join(blocks)
