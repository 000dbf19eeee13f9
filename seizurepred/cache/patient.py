"""One patient made ready for training: manifest, built signal cache, and the recordings that are usable.

This is the only step of a sweep that reads EDF files, and it reads each one once per preprocessing config: the
:class:`~seizurepred.cache.store.SignalCache` reuses its entries for every preictal length, SPH and split.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from seizurepred.cache.ingest import CacheReport
from seizurepred.cache.store import SignalCache
from seizurepred.errors import CacheError
from seizurepred.io.manifest import Manifest

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PatientData:
    """A patient whose signals are in the cache.

    Attributes
    ----------
    manifest : Manifest
        Recordings and seizures on the patient clock.
    cache : SignalCache
        The built cache (``cache.signal(file_name)`` gives the preprocessed signal).
    report : CacheReport
        What the build did (built, reused, skipped with reasons).
    """

    manifest: Manifest
    cache: SignalCache
    report: CacheReport

    @property
    def available(self) -> tuple[str, ...]:
        """File names whose signal is in the cache."""
        return self.report.available

    @property
    def sfreq(self) -> float:
        """Sampling rate of the cached signals in Hz."""
        return self.cache.sfreq

    @property
    def n_samples(self) -> dict[str, int]:
        """Cached length of every available recording, in samples."""
        return {name: self.cache.n_samples(name) for name in self.available}


def prepare_patient(
    case: str,
    *,
    data_root: str | Path,
    cache_dir: str | Path,
    channels: str = "paper23",
    preprocess=None,
    on_missing: str = "skip",
    manifest: Manifest | None = None,
    n_jobs: int = 1,
    layout: str = "auto",
) -> PatientData:
    """Load a patient's manifest from ``data_root`` and build (or reuse) its signal cache.

    Parameters
    ----------
    case : str
        Patient, e.g. ``"chb01"``.
    data_root : str or Path
        Root of the recordings in the PhysioNet CHB-MIT layout (``<case>/<case>-summary.txt`` and the EDF files)
        or in the BIDS layout of the ``epilepsy2bids`` release (:mod:`seizurepred.io.bids`).
    cache_dir : str or Path
        Root of the signal cache.
    channels : str
        Canonical channel set.
    preprocess : PreprocessConfig or None
        Preprocessing; ``None`` = the paper's (CAR + 0.5-45 Hz FIR).
    on_missing : {"raise", "skip"}
        Recordings lacking a channel of the set: error, or logged and left out.
    manifest : Manifest or None
        Use this manifest instead of parsing ``data_root/<case>/<case>-summary.txt``.
    n_jobs : int
        Recordings read and preprocessed at once (threads).
    layout : {"auto", "physionet", "bids"}
        Layout of ``data_root`` (``"auto"``: detected).

    Returns
    -------
    PatientData
    """
    from seizurepred.cache.preprocess import PreprocessConfig
    from seizurepred.io.layout import load_any, recording_path

    if manifest is None:
        manifest = load_any(data_root, case, layout=layout)
    cache = SignalCache(cache_dir, preprocess=preprocess or PreprocessConfig(), channels=channels)
    present = frozenset(
        r.file_name for r in manifest.recordings if recording_path(data_root, manifest, r.file_name).is_file()
    )
    absent = [r.file_name for r in manifest.recordings if r.file_name not in present]
    if not present:
        raise CacheError(f"{data_root}: none of the {len(manifest)} EDF files of {manifest.case} is there.")
    if absent:
        # the full manifest still drives labelling (seizures in absent files keep protecting interictal data)
        logger.warning(
            "%s: %d of %d EDF files are not in %s and are left out: %s",
            manifest.case,
            len(absent),
            len(manifest),
            data_root,
            ", ".join(absent[:5]) + (" ..." if len(absent) > 5 else ""),
        )
    report = cache.build(manifest.subset(present), data_root, on_missing=on_missing, n_jobs=n_jobs)
    for name, reason in report.skipped:
        logger.warning("%s: %s left out: %s", case, name, reason)
    return PatientData(manifest=manifest, cache=cache, report=report)


def resolve_channel_set(manifest: Manifest, channels: str, *, min_gain: float = 0.25) -> str:
    """The canonical channel set to use for ``manifest``; ``"auto"`` applies the paper's rule.

    The paper kept, per case, "the channel configuration with the most data" [R: our reading]. ``"auto"`` picks
    ``"core18"`` when the recordings carrying the 18 core channels hold at least ``min_gain`` (25 %) more hours
    than those carrying all 23, else ``"paper23"``. On the committed manifests this switches chb13 only
    (11.0 h with 23 channels, 33.0 h with the core 18); chb15-chb19 lose 1-2 h at most with 23 channels and keep
    them. Any other value is returned unchanged.

    Parameters
    ----------
    manifest : Manifest
        The case.
    channels : str
        ``"auto"``, ``"paper23"`` or ``"core18"``.
    min_gain : float
        Relative gain in recorded hours that makes ``"auto"`` give up the 5 extra channels.
    """
    if channels != "auto":
        return channels
    from seizurepred.io.montage_choice import choose_channel_config

    h23 = choose_channel_config(manifest, channels="paper23").hours
    h18 = choose_channel_config(manifest, channels="core18").hours
    chosen = "core18" if h18 > (1.0 + min_gain) * h23 else "paper23"
    logger.info(
        "%s: channels 'auto' -> %s (%.1f h with all 23 channels, %.1f h with the 18 core channels)",
        manifest.case,
        chosen,
        h23,
        h18,
    )
    return chosen


def prepare_for_sweep(
    case: str,
    config,
    *,
    data_root: str | Path,
    cache_dir: str | Path,
    n_jobs: int = 1,
    manifest: Manifest | None = None,
    layout: str = "auto",
) -> PatientData:
    """:func:`prepare_patient` with the channel set, preprocessing and missing-channel rule of a ``SweepConfig``.

    Parameters
    ----------
    case : str
        Patient.
    config : SweepConfig
        Supplies ``channels`` (``"auto"`` resolved by :func:`resolve_channel_set`), ``preprocess`` and
        ``on_missing``.
    data_root, cache_dir : str or Path
        As in :func:`prepare_patient`.
    n_jobs : int
        Recordings processed at once.
    manifest : Manifest or None
        The patient's manifest when already loaded (else parsed from ``data_root``).
    layout : {"auto", "physionet", "bids"}
        Layout of ``data_root``.
    """
    from seizurepred.io.layout import load_any

    if manifest is None:
        manifest = load_any(data_root, case, layout=layout)
    return prepare_patient(
        case,
        data_root=data_root,
        cache_dir=cache_dir,
        channels=resolve_channel_set(manifest, config.channels),
        preprocess=config.preprocess,
        on_missing=config.on_missing,
        n_jobs=n_jobs,
        manifest=manifest,
        layout=layout,
    )
