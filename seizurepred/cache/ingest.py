"""Building signal-cache entries: each EDF read once, its channel set kept, preprocessed, stored.

:func:`build_cache` (also :meth:`SignalCache.build <seizurepred.cache.store.SignalCache.build>`) walks a manifest:
an entry whose metadata matches the EDF file's identity (size, ``mtime_ns``, a fingerprint of its header and
samples -- :func:`~seizurepred.cache.integrity.source_fingerprint` --, the manifest's SHA-256 when known) is verified
against its checksum and reused (an entry of an earlier version, without a fingerprint, is adopted when the rest
matches and given the fingerprint); one that fails is rebuilt with a :class:`CacheWarning` naming it; any
other recording is read with :mod:`seizurepred.io.edf`, preprocessed and written through the store. Recordings
lacking a channel of the set raise :class:`~seizurepred.errors.MontageError` or, with ``on_missing="skip"``, leave
a metadata-only ``"skipped"`` entry so that a second build reads no EDF byte at all.

Threads (``n_jobs``) process several recordings at once: reading, the FFT filtering and the CRC all release the
GIL. Results are reported in manifest order, behind a progress bar.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from seizurepred._atomic import ensure_dir
from seizurepred._progress import progress
from seizurepred._validate import check_number, check_option
from seizurepred.cache.integrity import source_fingerprint
from seizurepred.cache.preprocess import preprocess
from seizurepred.cache.store import SignalCache
from seizurepred.errors import CacheError, MontageError, SeizurepredWarning
from seizurepred.io.edf import read_header, read_recording
from seizurepred.io.layout import recording_path
from seizurepred.io.manifest import Manifest, Recording
from seizurepred.io.montage import resolve_channels

logger = logging.getLogger(__name__)

__all__ = ["CacheReport", "CacheWarning", "build_cache"]


class CacheWarning(SeizurepredWarning):
    """A cache entry failed its checksum and was rebuilt from its EDF file."""


@dataclass(frozen=True)
class CacheReport:
    """What one build did.

    Attributes
    ----------
    case : str
        The patient.
    key : str
        The cache key (preprocessing, channels, reader version).
    built, reused : tuple of str
        File names read and stored now / found valid (checksum verified) in the cache.
    skipped : tuple of (str, str)
        ``(file_name, reason)`` of recordings left out (missing channel, ``on_missing="skip"``).
    bytes_read : int
        Bytes of EDF files read by this build (header + whole file for built entries, header for skip checks).
    repaired : tuple of str
        File names among ``built`` whose entry failed its checksum and was rebuilt.
    """

    case: str
    key: str
    built: tuple[str, ...]
    reused: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]
    bytes_read: int
    repaired: tuple[str, ...] = ()

    @property
    def available(self) -> tuple[str, ...]:
        """File names whose signal is in the cache (built or reused)."""
        return self.built + self.reused

    def summary(self) -> str:
        """One line: counts and bytes read."""
        fixed = f" ({len(self.repaired)} after a checksum mismatch)" if self.repaired else ""
        return (
            f"{self.case} cache {self.key}: {len(self.built)} built{fixed}, {len(self.reused)} reused, "
            f"{len(self.skipped)} skipped; {self.bytes_read / 1e6:.1f} MB of EDF read"
        )


@dataclass(frozen=True)
class _Outcome:
    status: Literal["built", "reused", "skipped"]
    reason: str = ""
    bytes_read: int = 0
    repaired: bool = False


def build_cache(
    cache: SignalCache,
    manifest: Manifest,
    data_root: str | Path,
    *,
    on_missing: Literal["raise", "skip"] = "raise",
    n_jobs: int = 1,
) -> CacheReport:
    """Make sure every recording of ``manifest`` has a verified entry in ``cache``; read and preprocess only the rest.

    Parameters
    ----------
    cache : SignalCache
        The store (root, key, channels, preprocessing); it knows the entries afterwards.
    manifest : Manifest
        The patient's recordings; files are looked up under ``data_root`` in either layout
        (:func:`~seizurepred.io.layout.recording_path`: PhysioNet ``<case>/<file_name>`` or BIDS).
    data_root : Path
        Root of the data (CHB-MIT layout).
    on_missing : {"raise", "skip"}
        A recording lacking a channel of the set: raise :class:`MontageError`, or log it, leave it out, report it.
    n_jobs : int
        Recordings processed at the same time by threads. Memory grows with it: about 4 float32 copies of one
        recording per job.

    Returns
    -------
    CacheReport

    Raises
    ------
    CacheError
        An EDF file of the manifest does not exist.
    StorageError
        The cache folder cannot be created or written (named, with the operating system's reason).
    MontageError
        A recording lacks a channel and ``on_missing="raise"``.
    """
    check_option("on_missing", on_missing, ("raise", "skip"))
    check_number("n_jobs", n_jobs, min_value=1, integer=True)
    ensure_dir(cache.entry_dir(manifest.case))  # an unwritable cache folder is named before any EDF is read
    built: list[str] = []
    reused: list[str] = []
    skipped: list[tuple[str, str]] = []
    repaired: list[str] = []
    bytes_read = 0
    for rec, out in _run(cache, manifest, Path(data_root), on_missing, int(n_jobs)):
        bytes_read += out.bytes_read
        if out.status == "built":
            built.append(rec.file_name)
            if out.repaired:
                repaired.append(rec.file_name)
        elif out.status == "reused":
            reused.append(rec.file_name)
        else:
            skipped.append((rec.file_name, out.reason))
    report = CacheReport(
        manifest.case, cache.key, tuple(built), tuple(reused), tuple(skipped), bytes_read, tuple(repaired)
    )
    logger.info("%s", report.summary())
    return report


def _run(
    cache: SignalCache, manifest: Manifest, data_root: Path, on_missing: str, n_jobs: int
) -> Iterator[tuple[Recording, _Outcome]]:
    """Yield (recording, outcome) in manifest order, with a progress bar."""
    recs = manifest.recordings
    desc = f"cache {manifest.case}"

    def job(rec: Recording) -> _Outcome:
        path = recording_path(data_root, manifest, rec.file_name)
        return _ensure(cache, manifest.case, rec, path, on_missing=on_missing)

    if n_jobs == 1:
        for rec in progress(recs, desc=desc, unit="file"):
            yield rec, job(rec)
        return
    with ThreadPoolExecutor(max_workers=n_jobs) as pool:
        futures = [pool.submit(job, rec) for rec in recs]
        try:
            for rec, fut in zip(recs, progress(futures, desc=desc, unit="file")):
                yield rec, fut.result()
        finally:
            for fut in futures:
                fut.cancel()


def _source_identity(rec: Recording, path: Path) -> dict[str, Any]:
    try:
        st = path.stat()
        fingerprint = source_fingerprint(path)
    except FileNotFoundError:
        raise CacheError(f"{path}: EDF file of recording {rec.file_name!r} not found.") from None
    except OSError as exc:
        raise CacheError(
            f"{path}: EDF file of recording {rec.file_name!r} cannot be read ({exc.strerror or exc})."
        ) from None
    return {"file_name": rec.file_name, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": rec.sha256,
            "fingerprint": fingerprint}  # fmt: skip


def _ensure(cache: SignalCache, case: str, rec: Recording, path: Path, *, on_missing: str) -> _Outcome:
    """Reuse ``rec``'s entry if valid and intact, else build it; "skipped" for a missing channel."""
    source = _source_identity(rec, path)
    meta = cache.read_meta(case, rec.file_name, source=source)
    if meta is None:  # an entry of an earlier version (no fingerprint) whose size and mtime match: adopted
        legacy = {k: v for k, v in source.items() if k != "fingerprint"}
        meta = cache.read_meta(case, rec.file_name, source=legacy)
        if meta is not None:
            meta = cache.adopt_source(case, rec.file_name, meta, source=source)
    repaired = False
    if meta is not None and meta["status"] == "ok":
        try:
            cache.verify(case, rec.file_name, meta)
            return _Outcome("reused")
        except CacheError as exc:
            warnings.warn(f"{exc} Rebuilding it from {path}.", CacheWarning, stacklevel=2)
            repaired = True
    elif meta is not None:  # "skipped"
        if on_missing == "raise":
            raise MontageError(meta["reason"])
        logger.warning("skipping %s: %s", rec.file_name, meta["reason"])
        return _Outcome("skipped", meta["reason"])
    cache.discard(case, rec.file_name)  # an entry without trusted metadata is rebuilt from scratch
    return _build_entry(cache, case, rec, path, source, on_missing=on_missing, repaired=repaired)


def _build_entry(
    cache: SignalCache,
    case: str,
    rec: Recording,
    path: Path,
    source: dict[str, Any],
    *,
    on_missing: str,
    repaired: bool,
) -> _Outcome:
    header = read_header(path)
    try:
        resolve_channels(header.labels, cache.channels, source=str(path))
        data = read_recording(path, channels=cache.channels)
    except MontageError as exc:
        if on_missing == "raise":
            raise
        logger.warning("skipping %s: %s", rec.file_name, exc)
        cache.write_skipped(case, rec.file_name, source=source, reason=str(exc))
        return _Outcome("skipped", str(exc), header.header_bytes)
    clean = preprocess(data, sfreq=header.sfreq, config=cache.preprocess)
    del data
    cache.write_entry(case, rec.file_name, clean, source=source, sfreq=float(header.sfreq))
    return _Outcome("built", "", source["size"] + header.header_bytes, repaired)
