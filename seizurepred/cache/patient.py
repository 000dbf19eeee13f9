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
from seizurepred.errors import CacheError, ConfigError
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


@dataclass(frozen=True)
class ChannelSetChoice:
    """The channel set a sweep uses for a case, and why.

    Attributes
    ----------
    channels : str
        ``"paper23"`` or ``"core18"``.
    reason : str
        One sentence for the user, e.g. ``"core18 (channels 'auto': 8.0 h with the 18 core channels, 0.0 h
        with all 23)"``.
    """

    channels: str
    reason: str


def choose_channel_set(
    manifest: Manifest, channels: str, *, given: bool = True, min_gain: float = 0.25
) -> ChannelSetChoice:
    """The canonical channel set to use for ``manifest``, and the reason, in one line.

    * ``"auto"`` applies the paper's rule: it keeps "the channel configuration with the most data" [R: our
      reading], i.e. ``"core18"`` when the recordings carrying the 18 core channels hold at least ``min_gain``
      (25 %) more hours than those carrying all 23, else ``"paper23"``. On the committed manifests this switches
      chb13 only (11.0 h with 23 channels, 33.0 h with the core 18). On the BIDS release of ``epilepsy2bids``,
      whose files keep the 18 core channels only, it gives ``"core18"``.
    * ``"core18"`` is kept.
    * ``"paper23"`` is kept where some recording carries all 23 channels. Where none does but some carry the 18
      core channels (the BIDS release), a ``"paper23"`` the user set (``given``) is refused, and the default
      (``given=False``) becomes ``"core18"``, which the reason says.

    Parameters
    ----------
    manifest : Manifest
        The case.
    channels : str
        ``"auto"``, ``"paper23"`` or ``"core18"``.
    given : bool
        Whether ``channels`` was set by the user (a config file) rather than left at its default.
    min_gain : float
        Relative gain in recorded hours that makes ``"auto"`` give up the 5 extra channels.

    Returns
    -------
    ChannelSetChoice

    Raises
    ------
    ConfigError
        ``"paper23"`` set by the user on a case none of whose recordings carries the 23 channels, while some
        carry the 18 core ones (one line naming ``channels`` and the fix).
    """
    from seizurepred.io.montage_choice import choose_channel_config

    c23 = choose_channel_config(manifest, channels="paper23")
    c18 = choose_channel_config(manifest, channels="core18")
    counts = (
        f"{c23.hours:.1f} h in {len(c23.file_names)} of {len(manifest)} files with all 23 channels, "
        f"{c18.hours:.1f} h in {len(c18.file_names)} with the 18 core channels"
    )
    origin = "as configured" if given else "the default"
    if channels == "auto":
        chosen = "core18" if c18.hours > (1.0 + min_gain) * c23.hours else "paper23"
        if not c23.file_names and c18.file_names:
            chosen = "core18"
        return ChannelSetChoice(chosen, f"{chosen} (channels 'auto': {counts}).")
    if channels == "paper23" and not c23.file_names and c18.file_names:
        if given:
            raise ConfigError(
                f"Invalid value for 'channels': 'paper23' needs the 23 channels of the PhysioNet files, but none of "
                f"the {len(manifest)} recordings of {manifest.case} has them ({len(c18.file_names)} have the 18 core "
                'channels, as the BIDS release writes them); set channels = "core18" or "auto".'
            )
        return ChannelSetChoice(
            "core18",
            f"core18 (the default 'paper23' needs 23 channels and no recording of {manifest.case} has them, as in "
            f"the BIDS release; {counts}).",
        )
    return ChannelSetChoice(channels, f"{channels} ({origin}; {counts}).")


def resolve_channel_set(
    manifest: Manifest, channels: str, *, min_gain: float = 0.25, given: bool = True
) -> str:
    """The canonical channel set to use for ``manifest``: :func:`choose_channel_set`, logged, without the reason.

    Parameters
    ----------
    manifest : Manifest
        The case.
    channels : str
        ``"auto"``, ``"paper23"`` or ``"core18"``.
    min_gain : float
        Relative gain in recorded hours that makes ``"auto"`` give up the 5 extra channels.
    given : bool
        Whether ``channels`` was set by the user (see :func:`choose_channel_set`).

    Returns
    -------
    str
        ``"paper23"`` or ``"core18"``.

    Raises
    ------
    ConfigError
        As :func:`choose_channel_set`.
    """
    choice = choose_channel_set(manifest, channels, given=given, min_gain=min_gain)
    if choice.channels != channels:
        logger.info("%s: channels %r -> %s", manifest.case, channels, choice.reason)
    return choice.channels


def channels_set_in(config_path: str | Path | None) -> bool:
    """Whether the sweep config file at ``config_path`` sets ``[sweep] channels`` (``None``: no file, so no).

    Tells a ``channels = "paper23"`` the user wrote (refused on a tree without the 23 channels) from the
    default, which :func:`choose_channel_set` may replace by ``"core18"``.
    """
    if config_path is None:
        return False
    from seizurepred.config import load_toml

    table = load_toml(config_path).get("sweep", {})
    return isinstance(table, dict) and "channels" in table


def settle_channels(manifest: Manifest, config, *, given: bool):
    """The config with its channel set settled for ``manifest``, and the one line that says which and why.

    ``"auto"`` is left as it is (:func:`prepare_for_sweep` resolves it; the config and its hash do not change);
    a default ``"paper23"`` that :func:`choose_channel_set` replaces becomes ``"core18"`` in the returned config.

    Parameters
    ----------
    manifest : Manifest
        The case.
    config : SweepConfig
        The sweep's config.
    given : bool
        Whether ``config.channels`` was set by the user (:func:`channels_set_in`).

    Returns
    -------
    (SweepConfig, str)
        The config, and e.g. ``"chb01: channels core18 (channels 'auto': ...)."``.

    Raises
    ------
    ConfigError
        As :func:`choose_channel_set`.
    """
    import dataclasses

    choice = choose_channel_set(manifest, config.channels, given=given)
    if config.channels != "auto" and choice.channels != config.channels:
        config = dataclasses.replace(config, channels=choice.channels)
    return config, f"{manifest.case}: channels {choice.reason}"


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
