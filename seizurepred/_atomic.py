"""The one atomic-write helper: every file the package writes goes through a temporary file and a rename.

A reader never sees a half-written file: data goes to ``.<name>.<pid>.tmp`` in the target's folder, then
:func:`os.replace` moves it into place. A failed write (full disk, read-only folder, a folder that is a file,
Ctrl-C) removes the temporary file and, for operating-system errors, raises :class:`~seizurepred.errors.StorageError`
naming the path and the reason, so the command line shows one line instead of a traceback. The reason says what
happened even when the error carries no errno (numpy's ``tofile`` reports a short write as a bare ``OSError``): a
full disk, a quota, or the file-size limit (``ulimit -f``) is recognised and named. ``durable=True`` also fsyncs the
file and its folder (survives a power cut; slower).
"""

from __future__ import annotations

import errno
import json
import os
import resource
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from seizurepred._json import json_safe
from seizurepred.errors import StorageError

__all__ = [
    "TMP_TAG",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "ensure_dir",
    "temp_path",
]

#: Marker in temporary file names (``.<name>.tmp-<pid>``); stale ones of dead processes may be removed.
TMP_TAG = ".tmp-"


#: Free space (bytes) below which a write error without errno is taken for a full disk.
_NEARLY_FULL_BYTES = 1 << 20


def _reason(exc: OSError, written: Path | None = None, *, size: int | None = None) -> str:
    """What happened, in words: the OS reason, explained for a full disk, a quota or the file-size limit.

    ``written`` is the file being written (its folder is examined when the error has no errno); ``size`` the bytes
    it had reached when the write failed.
    """
    code = exc.errno
    if code is None and written is not None:
        code = _diagnose(written, size)
    if code == errno.ENOSPC:
        return "No space left on device: the disk is full"
    if code == getattr(errno, "EDQUOT", None):
        return "Disk quota exceeded: the user's quota on that file system is used up"
    if code == errno.EFBIG:
        limit = _file_size_limit()
        where = (
            f"this process's file-size limit, ulimit -f = {limit} bytes" if limit else "the largest file size"
        )
        return f"File too large: it reached {where}"
    if exc.strerror:
        return exc.strerror
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _file_size_limit() -> int | None:
    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    return None if soft == resource.RLIM_INFINITY else int(soft)


def _diagnose(path: Path, size: int | None) -> int | None:
    """The errno a write error without one most likely stands for (EFBIG, ENOSPC), or None."""
    limit = _file_size_limit()
    if limit is not None and size is not None and size >= limit:
        return errno.EFBIG
    try:
        st = os.statvfs(path.parent)
    except OSError:
        return None
    return errno.ENOSPC if st.f_bavail * st.f_frsize < _NEARLY_FULL_BYTES else None


def ensure_dir(path: str | Path) -> Path:
    """Create ``path`` (and parents) if needed; a failure is a :class:`StorageError` naming the folder."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"{path}: cannot create folder ({_reason(exc)}).") from None
    if not path.is_dir():  # pragma: no cover - mkdir(exist_ok=True) raises for files already
        raise StorageError(f"{path}: cannot create folder (a file of that name exists).")
    return path


def temp_path(final: Path) -> Path:
    """Temporary name of ``final`` for this process, in the same folder."""
    return final.with_name(f".{final.name}{TMP_TAG}{os.getpid()}")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(
    path: str | Path, write: Callable[[IO[bytes]], Any], *, durable: bool = False, mkdir: bool = True
) -> Path:
    """Write ``path`` atomically: ``write(fh)`` fills a binary temporary file, which then replaces ``path``.

    Parameters
    ----------
    path : str or Path
        Final file.
    write : callable
        Called with the open binary file handle.
    durable : bool
        fsync the file before the rename and the folder after it.
    mkdir : bool
        Create the folder first.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    StorageError
        The folder or file cannot be written (the message names the path and the OS reason); no temporary
        file is left behind.
    """
    path = Path(path)
    if mkdir:
        ensure_dir(path.parent)
    tmp = temp_path(path)
    try:
        with open(tmp, "wb") as fh:
            write(fh)
        if durable:
            _fsync(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        if isinstance(exc, StorageError):
            tmp.unlink(missing_ok=True)
            raise
        try:
            size: int | None = tmp.stat().st_size
        except OSError:
            size = None
        tmp.unlink(missing_ok=True)
        raise StorageError(f"{path}: cannot write ({_reason(exc, path, size=size)}).") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        try:
            _fsync(path.parent)
        except OSError:  # pragma: no cover - platforms without directory fds
            pass
    return path


def atomic_write_bytes(path: str | Path, data: bytes, *, durable: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write(path, lambda fh: fh.write(data), durable=durable)


def atomic_write_text(path: str | Path, text: str, *, durable: bool = False) -> Path:
    """Write UTF-8 ``text`` (``\\n`` line ends as given) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"), durable=durable)


def atomic_write_json(path: str | Path, obj: Any, *, durable: bool = False, sort_keys: bool = True) -> Path:
    """Write strict JSON (NaN as ``null``, numpy numbers as Python numbers, indent 1, trailing newline)."""
    text = json.dumps(json_safe(obj), indent=1, sort_keys=sort_keys, allow_nan=False) + "\n"
    return atomic_write_text(path, text, durable=durable)
