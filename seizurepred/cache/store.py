"""The signal cache's keyed store: one float32 ``.npy`` entry per recording, its metadata, reading it back.

Layout::

    ROOT/<case>/<key>/<file_stem>.npy    float32, shape (n_chans, n_samples), CAR + band-pass, µV
    ROOT/<case>/<key>/<file_stem>.json   metadata, written last: source identity, shape, sfreq, config, checksum

``key`` hashes what decides the stored values (preprocessing, channel set, :data:`READER_VERSION`).
:data:`CACHE_FORMAT` versions the metadata; an entry of another format is rebuilt in place by the next build.
Files are written through :mod:`seizurepred._atomic`, data first and metadata last, so an entry without complete,
matching metadata (a run killed half-way) is never trusted; ``durable=True`` also fsyncs each file and its folder
(survives a power cut; about 0.15 s more per 1-h file).

Integrity (:mod:`.integrity`): the metadata holds a CRC-32 of the signal bytes, verified the first time a
process uses the entry. A build verifies every entry it reuses and rebuilds one that fails (:mod:`.ingest`);
:meth:`SignalCache.signal` verifies an entry this process has not verified yet and raises
:class:`~seizurepred.errors.CacheError` when it fails. Entries are built by :mod:`seizurepred.cache.ingest`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from seizurepred._atomic import atomic_write, atomic_write_json
from seizurepred.cache.integrity import (
    array_checksum,
    data_file_ok,
    file_checksum,
    is_verified,
    mark_verified,
    remove_stale_temps,
)
from seizurepred.cache.preprocess import PreprocessConfig
from seizurepred.config import config_hash, config_to_dict
from seizurepred.errors import CacheError, StorageError
from seizurepred.io.montage import channel_set

if TYPE_CHECKING:
    from seizurepred.cache.ingest import CacheReport
    from seizurepred.io.manifest import Manifest

logger = logging.getLogger(__name__)

#: Bump when the EDF reader or the preprocessing changes its output for the same config (invalidates caches).
READER_VERSION = "edf-1"
#: Metadata format (2 adds the checksum); not part of the key, so older entries are rebuilt in place.
CACHE_FORMAT = 2
_KEY_FORMAT = 1


def cache_key(preprocess: PreprocessConfig, channels: Sequence[str]) -> str:
    """16 hex digits naming the preprocessing, the channel labels and the reader version."""
    payload = {
        "preprocess": config_hash(preprocess),
        "channels": list(channels),
        "reader": READER_VERSION,
        "format": _KEY_FORMAT,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class _Entry:
    case: str
    npy: Path
    meta: dict[str, Any]


class SignalCache:
    """Preprocessed continuous signals of recordings, stored once on disk under a key.

    Parameters
    ----------
    root : Path
        Cache root folder (created on the first write).
    preprocess : PreprocessConfig
        Re-referencing and band-pass settings (part of the key).
    channels : str or sequence of str
        Channel set name (``"paper23"``, ``"core18"``) or labels (part of the key).
    durable : bool
        Also fsync every written file and its folder (survives power cuts, slower); renames are atomic either way.

    Notes
    -----
    The constructor does no I/O. An instance knows the entries it built (:meth:`build`) or opened
    (:meth:`open`: a case's entries built earlier, e.g. by another process) and looks each up by its case and
    file name; :meth:`signal` returns read-only memmaps. It pickles with what it knows; a process receiving it
    verifies each entry on its first :meth:`signal`.
    """

    def __init__(
        self,
        root: str | Path,
        *,
        preprocess: PreprocessConfig = PreprocessConfig(),  # noqa: B008 - frozen, immutable default
        channels: str | Sequence[str] = "paper23",
        durable: bool = False,
    ) -> None:
        self.root = Path(root)
        self.durable = bool(durable)
        self.preprocess = preprocess
        self.channels: tuple[str, ...] = channel_set(channels)
        self.key = cache_key(self.preprocess, self.channels)
        self._entries: dict[str, _Entry] = {}
        self._cases: list[str] = []  # cases built or opened: where a file name not known yet is looked up

    def __repr__(self) -> str:
        return f"SignalCache({str(self.root)!r}, key={self.key!r}, n_chans={len(self.channels)})"

    # ------------------------------------------------------------------ entries on disk
    def entry_dir(self, case: str) -> Path:
        """Folder of this cache key for ``case``: ``root/<case>/<key>``."""
        return self.root / case / self.key

    def entry_paths(self, case: str, file_name: str) -> tuple[Path, Path]:
        """``(data .npy, metadata .json)`` of ``file_name`` of ``case``."""
        stem = file_name[:-4] if file_name.lower().endswith(".edf") else file_name
        return self.entry_dir(case) / f"{stem}.npy", self.entry_dir(case) / f"{stem}.json"

    def read_meta(self, case: str, file_name: str, *, source: dict | None = None) -> dict[str, Any] | None:
        """The entry's metadata if complete, of this format and key, and matching ``source``; else None.

        ``source`` is the EDF file's identity (None: not checked). For an ``"ok"`` entry the data file's size,
        shape and dtype must match too; its bytes are not read (:meth:`verify` does).
        """
        npy, meta_path = self.entry_paths(case, file_name)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or meta.get("key") != self.key:
            return None
        if meta.get("format") != CACHE_FORMAT:
            logger.info("cache entry %s has format %r, not %d", meta_path, meta.get("format"), CACHE_FORMAT)
            return None
        if source is not None and meta.get("source") != source:
            logger.info("cache entry %s is stale (source changed)", meta_path)
            return None
        if meta.get("status") == "skipped":
            return meta if isinstance(meta.get("reason"), str) else None
        ok = meta.get("status") == "ok" and isinstance(meta.get("checksum"), str)
        return meta if ok and data_file_ok(npy, meta) else None

    def write_entry(self, case: str, file_name: str, data: np.ndarray, *, source: dict, sfreq: float) -> None:
        """Store ``data`` (n_chans, n_samples) as the entry of ``file_name``: data, then metadata with checksum.

        The entry counts as verified in this process and is known to this instance afterwards.
        """
        npy, meta_path = self.entry_paths(case, file_name)
        arr = np.ascontiguousarray(data, dtype="<f4")
        checksum = array_checksum(arr)
        atomic_write(
            npy, lambda fh: np.lib.format.write_array(fh, arr, allow_pickle=False), durable=self.durable
        )
        shape, size = list(arr.shape), npy.stat().st_size
        meta = self._meta(source, "ok", sfreq=float(sfreq), shape=shape, npy_bytes=size, checksum=checksum)
        atomic_write_json(meta_path, meta, durable=self.durable)
        mark_verified(npy, checksum)
        self._remember(case, file_name, meta)

    def adopt_source(
        self, case: str, file_name: str, meta: dict[str, Any], *, source: dict
    ) -> dict[str, Any]:
        """Rewrite an entry's metadata with a new ``source`` identity (its data untouched); returns the new metadata.

        Used to give an entry of an earlier version, whose identity lacked the source fingerprint, the fingerprint
        of the file it matches by size and mtime.
        """
        new = {**meta, "source": source}
        atomic_write_json(self.entry_paths(case, file_name)[1], new, durable=self.durable)
        return new

    def write_skipped(self, case: str, file_name: str, *, source: dict, reason: str) -> None:
        """Record that ``file_name`` is left out (metadata only), so that a later build reads none of its EDF."""
        meta = self._meta(source, "skipped", reason=reason)
        atomic_write_json(self.entry_paths(case, file_name)[1], meta, durable=self.durable)

    def discard(self, case: str, file_name: str) -> None:
        """Untrust an entry before its rebuild: remove its metadata and temporary files of dead processes."""
        npy, meta_path = self.entry_paths(case, file_name)
        remove_stale_temps(npy.parent, npy.stem)
        try:
            meta_path.unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(
                f"{meta_path}: cannot remove the untrusted cache entry ({exc.strerror or exc})."
            ) from None
        self._entries.pop(file_name, None)
        self._add_case(case)

    def verify(self, case: str, file_name: str, meta: dict[str, Any]) -> None:
        """Read the entry's data bytes and compare their checksum with ``meta["checksum"]`` (always reads).

        On success the entry counts as verified in this process and is known to this instance.

        Raises
        ------
        CacheError
            The bytes do not match (or cannot be read); the message names the entry.
        """
        npy, _ = self.entry_paths(case, file_name)
        found, stamp = file_checksum(npy)
        if found != meta["checksum"]:
            raise CacheError(
                f"{npy}: cache entry of {file_name!r} ({case}) fails its checksum (stored {meta['checksum']}, "
                f"found {found}): its bytes changed after it was written."
            )
        mark_verified(npy, found, stamp)
        self._remember(case, file_name, meta)

    def _meta(self, source: dict, status: str, **extra: Any) -> dict[str, Any]:
        return {
            "format": CACHE_FORMAT,
            "key": self.key,
            "status": status,
            "source": source,
            "channels": list(self.channels),
            "preprocess": config_to_dict(self.preprocess),
            "reader": READER_VERSION,
            "dtype": "float32",
            **extra,
        }

    # ------------------------------------------------------------------ entries this instance knows
    def _remember(self, case: str, file_name: str, meta: dict[str, Any]) -> None:
        known = self._entries.get(file_name)
        if known is not None and known.case != case:
            raise CacheError(
                f"{self.root}: {file_name!r} is an entry of both {known.case!r} and {case!r}; use one "
                "SignalCache per case when file names repeat across cases."
            )
        self._entries[file_name] = _Entry(case, self.entry_paths(case, file_name)[0], meta)
        self._add_case(case)

    def _add_case(self, case: str) -> None:
        if case not in self._cases:
            self._cases.append(case)

    def open(self, case: str) -> SignalCache:
        """Know the valid entries of ``case`` under this key, built earlier (e.g. by another process); returns self.

        Reads metadata and ``.npy`` headers only; each entry's bytes are verified on its first :meth:`signal`.
        """
        folder = self.entry_dir(case)
        if not folder.is_dir():
            raise CacheError(
                f"{folder}: no cache entries of {case!r} under key {self.key}; build them first."
            )
        self._add_case(case)
        for meta_path in sorted(folder.glob("[!.]*.json")):
            try:
                file_name = json.loads(meta_path.read_text(encoding="utf-8"))["source"]["file_name"]
            except (OSError, ValueError, KeyError, TypeError):
                continue
            meta = self.read_meta(case, file_name)
            if meta is not None and meta["status"] == "ok":
                self._remember(case, file_name, meta)
        return self

    def _entry(self, file_name: str) -> _Entry:
        if file_name not in self._entries:  # e.g. written by another instance: look in the known cases
            hits = [
                (c, m) for c in self._cases if (m := self.read_meta(c, file_name)) and m["status"] == "ok"
            ]
            if len(hits) != 1:
                what = f"entries in cases {[c for c, _ in hits]}" if hits else "no entry"
                raise CacheError(
                    f"{self.root}: {what} for {file_name!r} under key {self.key} (cases known: "
                    f"{self._cases or 'none'}); run build() or open(case) first."
                )
            self._remember(hits[0][0], file_name, hits[0][1])
        return self._entries[file_name]

    def _verified_entry(self, file_name: str) -> _Entry:
        entry = self._entry(file_name)
        if is_verified(entry.npy, entry.meta["checksum"]):
            return entry
        try:  # first use in this process (or rewritten since): valid metadata on disk, intact bytes
            meta = self.read_meta(entry.case, file_name)
            if meta is None or meta["status"] != "ok":
                raise CacheError(
                    f"{entry.npy}: cache entry of {file_name!r} ({entry.case}) is missing or invalid."
                )
            if is_verified(entry.npy, meta["checksum"]):  # rebuilt by this process through another instance
                self._remember(entry.case, file_name, meta)
            else:
                self.verify(entry.case, file_name, meta)
        except CacheError as exc:
            raise CacheError(
                f"{exc} Rerun the command: its cache build rebuilds the entry from the EDF."
            ) from None
        return self._entries[file_name]

    def has(self, file_name: str) -> bool:
        """Whether ``file_name`` has valid metadata in a case this instance knows (its bytes are not read)."""
        try:
            return self.read_meta(self._entry(file_name).case, file_name) is not None
        except CacheError:
            return False

    def signal(self, file_name: str) -> np.memmap:
        """Return the preprocessed signal of ``file_name`` as a read-only memmap (verified on first use).

        Returns
        -------
        np.memmap of shape (n_chans, n_samples), float32, µV

        Raises
        ------
        CacheError
            Unknown to this instance, unreadable, or failing its checksum (rerun the command to rebuild it).
        """
        entry = self._verified_entry(file_name)
        try:
            arr = np.load(entry.npy, mmap_mode="r")
        except (OSError, ValueError) as exc:
            raise CacheError(f"{entry.npy}: cache entry of {file_name!r} cannot be read ({exc}).") from None
        if list(arr.shape) != entry.meta["shape"]:
            raise CacheError(
                f"{entry.npy}: shape {arr.shape} differs from its metadata; rerun to rebuild it."
            )
        return arr

    def n_samples(self, file_name: str) -> int:
        """Number of samples of ``file_name``'s cached signal."""
        return int(self._entry(file_name).meta["shape"][1])

    def lengths(self) -> dict[str, int]:
        """``{file_name: n_samples}`` of every entry this instance knows (after :meth:`build` or :meth:`open`)."""
        return {name: int(e.meta["shape"][1]) for name, e in self._entries.items()}

    @property
    def n_chans(self) -> int:
        """Number of channels of every entry."""
        return len(self.channels)

    @property
    def sfreq(self) -> float:
        """Sampling rate in Hz of the known entries (CacheError if none is known or they differ)."""
        rates = {float(e.meta["sfreq"]) for e in self._entries.values()}
        if len(rates) != 1:
            what = f"entries differ: {sorted(rates)}" if rates else "no entry is known (run build() first)"
            raise CacheError(f"{self.root}: no single sampling rate: {what}.")
        return rates.pop()

    def build(
        self,
        manifest: Manifest,
        data_root: str | Path,
        *,
        on_missing: Literal["raise", "skip"] = "raise",
        n_jobs: int = 1,
    ) -> CacheReport:
        """Give every recording of ``manifest`` a verified entry: :func:`seizurepred.cache.ingest.build_cache`."""
        from seizurepred.cache.ingest import build_cache

        return build_cache(self, manifest, data_root, on_missing=on_missing, n_jobs=n_jobs)
