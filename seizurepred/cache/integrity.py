"""Integrity of signal-cache entry files: structure, content checksum, leftovers of killed writes.

:func:`data_file_ok` checks an entry's ``.npy`` header and size against its metadata without reading the data;
:func:`remove_stale_temps` deletes temporary files that killed processes left behind.

The checksum is a CRC-32 (:func:`zlib.crc32`) of the ``.npy`` data bytes after the header, written as
``"crc32:<8 hex digits>"``. It catches any change of one to four consecutive bytes and all but about one in 4e9
larger ones (NaNs or plausible values written into an entry without changing its size); it guards against
accidents, not against someone who wants to forge an entry. Of the checksums available without a dependency it is
the fastest together with Adler-32, which misses more error patterns (``benchmarks/bench_ingest.py`` prints the
figures; on a busy 2-core machine: CRC-32 1.3-2.2 GB/s, Adler-32 1.2-1.5, SHA-256 0.6-0.8, BLAKE2b 0.3-0.45 GB/s).

A source EDF is identified by its size, ``mtime_ns`` and :func:`source_fingerprint`, a SHA-256 of its first, middle
and last 64 KiB (the header, with its start date and time, and samples): a file swapped for another of the same
size and mtime (a copy with ``cp -p``, a restore from a backup) is then not mistaken for the one an entry was built
from, while a build still reads 192 KiB per file, not the file.

Verified entries are remembered per process by path, checksum, size, ``mtime_ns``, inode and device: a file
replaced or rewritten since is verified again. A forked child inherits its parent's record (same files); a new
process (a Ray worker given a pickled cache) starts with an empty one and verifies each entry once, however many
tasks it runs.
"""

from __future__ import annotations

import hashlib
import logging
import mmap
import os
import zlib
from pathlib import Path
from typing import IO, Any

import numpy as np

from seizurepred._atomic import TMP_TAG
from seizurepred.errors import CacheError

__all__ = [
    "FINGERPRINT_BYTES",
    "array_checksum",
    "data_file_ok",
    "file_checksum",
    "forget_verified",
    "is_verified",
    "mark_verified",
    "read_npy_header",
    "remove_stale_temps",
    "source_fingerprint",
]

logger = logging.getLogger(__name__)

#: Bytes handed to zlib.crc32 at a time (it releases the GIL, so threads checksum in parallel).
_CHUNK_BYTES = 4 * 2**20
#: Bytes of a source file hashed at each of its start, middle and end by :func:`source_fingerprint`.
FINGERPRINT_BYTES = 64 * 2**10
#: Entries this process verified: (path, checksum, size, mtime_ns, inode, device).
_VERIFIED: set[tuple[Any, ...]] = set()


def _format(crc: int) -> str:
    return f"crc32:{crc:08x}"


def array_checksum(data: np.ndarray) -> str:
    """Checksum of the C-order bytes of ``data`` (what :func:`file_checksum` finds once it is stored)."""
    view = memoryview(np.ascontiguousarray(data)).cast("B")
    crc = 0
    for lo in range(0, view.nbytes, _CHUNK_BYTES):
        crc = zlib.crc32(view[lo : lo + _CHUNK_BYTES], crc)
    return _format(crc)


def read_npy_header(fh: IO[bytes]) -> tuple[tuple[int, ...], str, int] | None:
    """``(shape, dtype str, data offset)`` of the C-order ``.npy`` open in ``fh``, or None if it is not one."""
    try:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
    except (OSError, ValueError):
        return None
    return None if fortran else (tuple(shape), np.dtype(dtype).str, fh.tell())


def _stamp(path: Path, st: os.stat_result, checksum: str) -> tuple[Any, ...]:
    return (str(path), checksum, st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)


def file_checksum(npy: Path) -> tuple[str, tuple[Any, ...]]:
    """Checksum of the data bytes of ``npy`` and the file's identity stamp (for :func:`mark_verified`).

    Both come from one open file, so a file replaced meanwhile is never stamped with another file's checksum.

    Raises
    ------
    CacheError
        The file cannot be read or is not a C-order ``.npy``.
    """
    try:
        with open(npy, "rb") as fh:
            header = read_npy_header(fh)
            if header is None:
                raise CacheError(f"{npy}: not a readable C-order .npy file.")
            st = os.fstat(fh.fileno())
            crc = 0
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm, memoryview(mm) as view:
                for lo in range(header[2], len(mm), _CHUNK_BYTES):
                    crc = zlib.crc32(view[lo : lo + _CHUNK_BYTES], crc)
    except CacheError:
        raise
    except OSError as exc:
        raise CacheError(f"{npy}: cache entry cannot be read ({exc.strerror or exc}).") from None
    checksum = _format(crc)
    return checksum, _stamp(npy, st, checksum)


def source_fingerprint(path: Path) -> str:
    """``"sha256:<32 hex digits>"`` of the size and the first, middle and last :data:`FINGERPRINT_BYTES` of ``path``.

    Raises
    ------
    OSError
        The file cannot be read.
    """
    hasher = hashlib.sha256()
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        hasher.update(str(size).encode())
        for at in sorted({0, max(0, size // 2 - FINGERPRINT_BYTES // 2), max(0, size - FINGERPRINT_BYTES)}):
            fh.seek(at)
            hasher.update(fh.read(FINGERPRINT_BYTES))
    return "sha256:" + hasher.hexdigest()[:32]


def mark_verified(npy: Path, checksum: str, stamp: tuple[Any, ...] | None = None) -> None:
    """Remember that ``npy`` as it is now (or as ``stamp`` saw it) holds bytes matching ``checksum``."""
    _VERIFIED.add(stamp if stamp is not None else _stamp(npy, npy.stat(), checksum))


def is_verified(npy: Path, checksum: str) -> bool:
    """Whether this process verified ``npy`` with ``checksum`` and the file has not changed since."""
    try:
        st = npy.stat()
    except OSError:
        return False
    return _stamp(npy, st, checksum) in _VERIFIED


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's live process
        return True
    return True


def remove_stale_temps(folder: Path, stem: str) -> None:
    """Delete temporary files of ``stem`` left by dead processes (a killed build)."""
    for tmp in folder.glob(f".{stem}.*{TMP_TAG}*"):
        pid_text = tmp.name.rsplit(TMP_TAG, 1)[-1]
        if pid_text.isdigit() and (int(pid_text) == os.getpid() or not _pid_alive(int(pid_text))):
            logger.info("removing stale temporary cache file %s", tmp)
            tmp.unlink(missing_ok=True)


def data_file_ok(npy: Path, meta: dict[str, Any]) -> bool:
    """The ``.npy`` has the size, shape and dtype its metadata records (its bytes are not read)."""
    try:
        with open(npy, "rb") as fh:
            found = read_npy_header(fh)
        size = npy.stat().st_size
    except OSError:
        return False
    return (
        found is not None
        and size == meta.get("npy_bytes")
        and list(found[0]) == meta.get("shape")
        and found[1] == np.dtype("<f4").str
    )


def forget_verified() -> None:
    """Forget every verification, as a new process would (for tests and benchmarks)."""
    _VERIFIED.clear()
