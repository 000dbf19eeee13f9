"""The signal cache: each recording read and preprocessed once, stored as a float32 ``.npy`` memmap.

Layout::

    ROOT/<case>/<key>/<file_stem>.npy    float32, shape (n_chans, n_samples), CAR + band-pass, µV
    ROOT/<case>/<key>/<file_stem>.json   metadata, written last: source identity, shape, sfreq, config

``key`` hashes the :class:`~seizurepred.cache.preprocess.PreprocessConfig`, the channel set and
:data:`READER_VERSION`, so a different preprocessing never reuses an entry. The metadata records the source EDF's
identity (size, ``mtime_ns`` and the manifest's SHA-256 when known); a changed source invalidates the entry.

Writes are atomic: data and metadata are each written to a temporary name in the same folder and moved into place
with :func:`os.replace`, metadata last. An entry without complete, matching metadata (a run killed half-way) is
never trusted and is rebuilt. A killed process cannot leave a torn entry this way; against a power cut or an
operating-system crash, ``durable=True`` also fsyncs every file and its folder before the rename (about 0.15 s
more per 1-h file on the development machine's disk, which is why it is off by default). Recordings skipped for a missing channel leave a metadata-only
``"skipped"`` entry, so that a second build reads no EDF byte at all.

Window indices, splits and datasets only read the cache: a sweep over preictal lengths, SPH values or splits
never touches the EDF files again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from seizurepred._progress import progress
from seizurepred._validate import check_number, check_option
from seizurepred.cache.preprocess import PreprocessConfig, preprocess
from seizurepred.config import config_hash, config_to_dict
from seizurepred.errors import CacheError, MontageError
from seizurepred.io.edf import read_header, read_recording
from seizurepred.io.manifest import Manifest, Recording
from seizurepred.io.montage import channel_set, resolve_channels

logger = logging.getLogger(__name__)

#: Bump when the EDF reader or the preprocessing changes its output for the same config (invalidates caches).
READER_VERSION = "edf-1"
#: Version of the metadata format.
CACHE_FORMAT = 1
_TMP_TAG = ".tmp-"


@dataclass(frozen=True)
class CacheReport:
    """What one :meth:`SignalCache.build` did.

    Attributes
    ----------
    case : str
        The patient.
    key : str
        The cache key (preprocessing, channels, reader version).
    built, reused : tuple of str
        File names read and stored now / found valid in the cache.
    skipped : tuple of (str, str)
        ``(file_name, reason)`` of recordings left out (missing channel, ``on_missing="skip"``).
    bytes_read : int
        Bytes of EDF files read by this build (header + whole file for built entries, header for skip checks).
    """

    case: str
    key: str
    built: tuple[str, ...]
    reused: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]
    bytes_read: int

    @property
    def available(self) -> tuple[str, ...]:
        """File names whose signal is in the cache (built or reused)."""
        return self.built + self.reused

    def summary(self) -> str:
        """One line: counts and bytes read."""
        return (
            f"{self.case} cache {self.key}: {len(self.built)} built, {len(self.reused)} reused, "
            f"{len(self.skipped)} skipped; {self.bytes_read / 1e6:.1f} MB of EDF read"
        )


def _fsync_replace(tmp: Path, final: Path, *, durable: bool = True) -> None:
    if not durable:
        os.replace(tmp, final)
        return
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, final)
    try:
        dfd = os.open(final.parent, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def _tmp_name(final: Path) -> Path:
    return final.with_name(f".{final.name}{_TMP_TAG}{os.getpid()}")


def _write_json_atomic(path: Path, data: dict[str, Any], *, durable: bool = True) -> None:
    tmp = _tmp_name(path)
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    _fsync_replace(tmp, path, durable=durable)


def _write_npy_atomic(path: Path, data: np.ndarray, *, durable: bool = True) -> int:
    """Write ``data`` as a float32 ``.npy`` through a temporary file (one sequential write, no memmap)."""
    tmp = _tmp_name(path)
    with open(tmp, "wb") as fh:
        np.lib.format.write_array(fh, np.ascontiguousarray(data, dtype=np.float32), allow_pickle=False)
    _fsync_replace(tmp, path, durable=durable)
    return path.stat().st_size


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's live process
        return True
    return True


def _remove_stale_temps(folder: Path, stem: str) -> None:
    """Delete temporary files of ``stem`` left by dead processes (a killed build)."""
    for tmp in folder.glob(f".{stem}.*{_TMP_TAG}*"):
        pid_text = tmp.name.rsplit(_TMP_TAG, 1)[-1]
        if pid_text.isdigit() and (int(pid_text) == os.getpid() or not _pid_alive(int(pid_text))):
            logger.info("removing stale temporary cache file %s", tmp)
            tmp.unlink(missing_ok=True)


def _npy_shape(path: Path) -> tuple[tuple[int, ...], str] | None:
    try:
        with path.open("rb") as fh:
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
    except (OSError, ValueError):
        return None
    if fortran:
        return None
    return tuple(shape), np.dtype(dtype).str


class SignalCache:
    """Preprocessed continuous signals of a patient's recordings, stored once on disk.

    Parameters
    ----------
    root : Path
        Cache root folder (created on the first build).
    preprocess : PreprocessConfig
        Re-referencing and band-pass settings (part of the key).
    channels : str or sequence of str
        Channel set name (``"paper23"``, ``"core18"``) or labels (part of the key).
    durable : bool
        Also fsync every written file and its folder (survives power cuts, slower); renames are atomic either way.

    Notes
    -----
    The constructor does no I/O. :meth:`build` checks or creates every entry of a manifest; afterwards
    :meth:`signal` returns read-only memmaps. A fresh instance can also open entries built earlier (by another
    process) without a build, trusting their metadata but not re-checking the source files.
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
        self.key = self._make_key()
        self._entries: dict[str, tuple[Path, dict[str, Any]]] = {}

    def _make_key(self) -> str:
        payload = {
            "preprocess": config_hash(self.preprocess),
            "channels": list(self.channels),
            "reader": READER_VERSION,
            "format": CACHE_FORMAT,
        }
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"SignalCache({str(self.root)!r}, key={self.key!r}, n_chans={len(self.channels)})"

    # ------------------------------------------------------------------ paths
    def entry_dir(self, case: str) -> Path:
        """Folder of this cache key for ``case``: ``root/<case>/<key>``."""
        return self.root / case / self.key

    # ------------------------------------------------------------------ build
    def build(
        self,
        manifest: Manifest,
        data_root: str | Path,
        *,
        on_missing: Literal["raise", "skip"] = "raise",
        n_jobs: int = 1,
    ) -> CacheReport:
        """Make sure every recording of ``manifest`` is in the cache; read and preprocess only what is not.

        Parameters
        ----------
        manifest : Manifest
            The patient's recordings; files are looked up at ``data_root/<case>/<file_name>``.
        data_root : Path
            Root of the data (CHB-MIT layout).
        on_missing : {"raise", "skip"}
            What to do with a recording lacking a channel of the set: raise :class:`MontageError`, or log it,
            leave it out and report it.
        n_jobs : int
            Recordings processed at the same time by threads (reading and the FFT filtering release the GIL).
            Memory grows with it: about 4 float32 copies of one recording per job.

        Returns
        -------
        CacheReport

        Raises
        ------
        CacheError
            An EDF file of the manifest does not exist.
        MontageError
            A recording lacks a channel and ``on_missing="raise"``.
        """
        check_option("on_missing", on_missing, ("raise", "skip"))
        check_number("n_jobs", n_jobs, min_value=1, integer=True)
        folder = self.entry_dir(manifest.case)
        folder.mkdir(parents=True, exist_ok=True)
        built: list[str] = []
        reused: list[str] = []
        skipped: list[tuple[str, str]] = []
        bytes_read = 0
        for rec, (status, reason, n_read) in self._run(
            manifest, Path(data_root), folder, on_missing, int(n_jobs)
        ):
            bytes_read += n_read
            if status == "built":
                built.append(rec.file_name)
            elif status == "reused":
                reused.append(rec.file_name)
            else:
                skipped.append((rec.file_name, reason))
        report = CacheReport(manifest.case, self.key, tuple(built), tuple(reused), tuple(skipped), bytes_read)
        logger.info("%s", report.summary())
        return report

    def _run(
        self, manifest: Manifest, data_root: Path, folder: Path, on_missing: str, n_jobs: int
    ) -> Iterator[tuple[Recording, tuple[str, str, int]]]:
        """Yield (recording, result of :meth:`_ensure`) in manifest order, with a progress bar."""
        recs = manifest.recordings
        desc = f"cache {manifest.case}"

        def job(rec: Recording) -> tuple[str, str, int]:
            return self._ensure(rec, data_root / manifest.case / rec.file_name, folder, on_missing=on_missing)

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

    def _source_identity(self, rec: Recording, path: Path) -> dict[str, Any]:
        try:
            st = path.stat()
        except FileNotFoundError:
            raise CacheError(f"{path}: EDF file of recording {rec.file_name!r} not found.") from None
        return {
            "file_name": rec.file_name,
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
            "sha256": rec.sha256,
        }

    def _ensure(self, rec: Recording, path: Path, folder: Path, *, on_missing: str) -> tuple[str, str, int]:
        """Return (status, skip reason, bytes read) for one recording; status "built", "reused" or "skipped"."""
        source = self._source_identity(rec, path)
        npy, meta_path = folder / f"{rec.stem}.npy", folder / f"{rec.stem}.json"
        meta = self._valid_meta(meta_path, npy, source)
        if meta is not None and meta["status"] == "ok":
            self._entries[rec.file_name] = (npy, meta)
            return "reused", "", 0
        if meta is not None and meta["status"] == "skipped":
            if on_missing == "raise":
                raise MontageError(meta["reason"])
            logger.warning("skipping %s: %s", rec.file_name, meta["reason"])
            return "skipped", meta["reason"], 0
        _remove_stale_temps(folder, rec.stem)
        meta_path.unlink(missing_ok=True)  # an entry without trusted metadata is rebuilt from scratch
        header = read_header(path)
        try:
            resolve_channels(header.labels, self.channels, source=str(path))
            data = read_recording(path, channels=self.channels)
        except MontageError as exc:
            if on_missing == "raise":
                raise
            logger.warning("skipping %s: %s", rec.file_name, exc)
            _write_json_atomic(
                meta_path, self._meta(source, status="skipped", reason=str(exc)), durable=self.durable
            )
            return "skipped", str(exc), header.header_bytes
        clean = preprocess(data, sfreq=header.sfreq, config=self.preprocess)
        del data
        npy_bytes = _write_npy_atomic(npy, clean, durable=self.durable)
        meta = self._meta(
            source, status="ok", sfreq=float(header.sfreq), shape=list(clean.shape), npy_bytes=npy_bytes
        )
        _write_json_atomic(meta_path, meta, durable=self.durable)
        self._entries[rec.file_name] = (npy, meta)
        return "built", "", source["size"] + header.header_bytes

    def _meta(self, source: dict[str, Any], *, status: str, **extra: Any) -> dict[str, Any]:
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

    def _valid_meta(self, meta_path: Path, npy: Path, source: dict[str, Any] | None) -> dict[str, Any] | None:
        """Return the entry's metadata if it is complete and matches ``source`` (None: don't check), else None."""
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or meta.get("format") != CACHE_FORMAT or meta.get("key") != self.key:
            return None
        if source is not None and meta.get("source") != source:
            logger.info("cache entry %s is stale (source changed); rebuilding", meta_path)
            return None
        if meta.get("status") == "skipped":
            return meta if isinstance(meta.get("reason"), str) else None
        if meta.get("status") != "ok":
            return None
        try:
            if npy.stat().st_size != meta["npy_bytes"]:
                return None
        except (OSError, KeyError):
            return None
        found = _npy_shape(npy)
        if found is None or list(found[0]) != meta.get("shape") or found[1] != np.dtype(np.float32).str:
            return None
        return meta

    # ------------------------------------------------------------------ read
    def _lookup(self, file_name: str) -> tuple[Path, dict[str, Any]]:
        if file_name in self._entries:
            return self._entries[file_name]
        stem = file_name[:-4] if file_name.lower().endswith(".edf") else file_name
        hits = []
        for meta_path in sorted(self.root.glob(f"*/{self.key}/{stem}.json")):
            npy = meta_path.with_suffix(".npy")
            meta = self._valid_meta(meta_path, npy, None)
            if meta is not None and meta["status"] == "ok":
                hits.append((npy, meta))
        if len(hits) != 1:
            what = "no valid entry" if not hits else f"{len(hits)} entries"
            raise CacheError(
                f"{self.root}: {what} for {file_name!r} under key {self.key}; run build() first."
            )
        self._entries[file_name] = hits[0]
        return hits[0]

    def has(self, file_name: str) -> bool:
        """Whether ``file_name`` has a valid entry (built, reused, or found on disk)."""
        try:
            self._lookup(file_name)
        except CacheError:
            return False
        return True

    def signal(self, file_name: str) -> np.memmap:
        """Return the preprocessed signal of ``file_name`` as a read-only memmap.

        Returns
        -------
        np.memmap of shape (n_chans, n_samples), float32, µV
        """
        npy, meta = self._lookup(file_name)
        try:
            arr = np.load(npy, mmap_mode="r")
        except (OSError, ValueError) as exc:
            raise CacheError(f"{npy}: cache entry of {file_name!r} cannot be read ({exc}).") from None
        if list(arr.shape) != meta["shape"]:
            raise CacheError(f"{npy}: shape {arr.shape} differs from its metadata {meta['shape']}; rebuild.")
        return arr

    def n_samples(self, file_name: str) -> int:
        """Number of samples of ``file_name``'s cached signal."""
        return int(self._lookup(file_name)[1]["shape"][1])

    def lengths(self) -> dict[str, int]:
        """``{file_name: n_samples}`` of every entry this instance knows (after :meth:`build`)."""
        return {name: int(meta["shape"][1]) for name, (_, meta) in self._entries.items()}

    @property
    def n_chans(self) -> int:
        """Number of channels of every entry."""
        return len(self.channels)

    @property
    def sfreq(self) -> float:
        """Sampling rate in Hz of the known entries (CacheError if none is known or they differ)."""
        rates = {float(meta["sfreq"]) for _, meta in self._entries.values()}
        if len(rates) != 1:
            what = (
                "no entry is known (run build() first)" if not rates else f"entries differ: {sorted(rates)}"
            )
            raise CacheError(f"{self.root}: no single sampling rate: {what}.")
        return rates.pop()
