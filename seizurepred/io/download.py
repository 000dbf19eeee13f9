"""A verified, resumable downloader of the CHB-MIT files in PhysioNet's layout (``DEST/CASE/FILE``).

Every file is written to ``FILE.part``, hashed while it streams, and renamed to its final name only when its
SHA-256 equals the reference: a file under its final name has been verified. A ``.part`` left by a dropped
connection, an error or Ctrl-C is resumed with an HTTP ``Range`` request (within a run up to ``max_attempts``
times per file; across runs always). A digest mismatch moves the file aside to ``FILE.corrupt`` and fetches it
once more from scratch; a second mismatch is a :class:`DownloadError` naming the file (the ``.corrupt`` copy
is kept for inspection, and removed once a later download verifies).

Verified files are remembered in ``DEST/CASE/.seizurepred-verified.json``: name -> size, mtime (ns) and
digest. A rerun trusts a file whose size and mtime still match its stamp and hashes every other file, so a
rerun over 43 GB of verified data fetches and hashes nothing; ``rehash=True`` ignores the stamps. The first
error stops the run (other transfers stop at their next chunk, leaving ``.part`` files to resume).

Nothing is written outside ``DEST``: a case folder that is a symbolic link leading out of it, and a ``.part`` file
that is a symbolic link at all (appending to it would append to its target), are refused before anything is
fetched, and ``.part`` files are opened without following links.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

from seizurepred._progress import progress_bar
from seizurepred._version import __version__
from seizurepred.errors import ConfigError, DownloadError
from seizurepred.io.download_plan import DEFAULT_BASE_URL, RemoteFile

logger = logging.getLogger(__name__)

STAMP_NAME = ".seizurepred-verified.json"
_CHUNK_BYTES = 1 << 20


class _Stopped(Exception):
    """Raised inside a worker when the run is being stopped (Ctrl-C or another file's error)."""


class _Retry(Exception):
    """A transient failure of one request (5xx, inconsistent range); the transfer is retried."""


@dataclass(frozen=True)
class DownloadReport:
    """What a run did.

    Attributes
    ----------
    fetched : tuple of str
        Paths (``"CASE/FILE"``) downloaded and verified in this run.
    already_verified : tuple of str
        Paths that were already present and verified (by stamp or by hash); nothing fetched.
    bytes_fetched : int
        Bytes received over the network in this run.
    """

    fetched: tuple[str, ...]
    already_verified: tuple[str, ...]
    bytes_fetched: int


def _one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split()) or 'no details'}"


class _Stamps:
    """The per-case ``.seizurepred-verified.json`` files (thread-safe, written atomically)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._books: dict[Path, dict[str, dict]] = {}

    def _book(self, folder: Path) -> dict[str, dict]:
        if folder not in self._books:
            try:
                data = json.loads((folder / STAMP_NAME).read_text(encoding="utf-8"))
                self._books[folder] = data if isinstance(data, dict) else {}
            except (OSError, ValueError):  # absent or damaged: it is only a cache, so files get hashed again
                self._books[folder] = {}
        return self._books[folder]

    def matches(self, path: Path, sha256: str) -> bool:
        """Whether ``path`` was verified as ``sha256`` and its size and mtime are unchanged since."""
        try:
            st = path.stat()
        except OSError:
            return False
        with self._lock:
            entry = self._book(path.parent).get(path.name)
        return entry == {"size_bytes": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}

    def record(self, path: Path, sha256: str) -> None:
        """Stamp ``path`` as verified with its current size and mtime."""
        st = path.stat()
        with self._lock:
            book = self._book(path.parent)
            book[path.name] = {"size_bytes": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}
            tmp = path.parent / (STAMP_NAME + ".tmp")
            tmp.unlink(missing_ok=True)  # never write through a link left under that name
            tmp.write_text(json.dumps(book, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            os.replace(tmp, path.parent / STAMP_NAME)


class _Meter:
    """One byte progress bar over everything hashed or fetched in this run, with a budget per file."""

    def __init__(self, budgets: dict[str, int]) -> None:
        self._lock = threading.Lock()
        self._left = dict(budgets)
        self.bytes_fetched = 0
        self.bar = progress_bar(total=sum(budgets.values()), desc="CHB-MIT", unit="B", unit_scale=True)

    def need(self, key: str, n_bytes: int) -> None:
        """From now on ``key`` will process ``n_bytes`` more bytes (adjusts the bar's total)."""
        with self._lock:
            delta = n_bytes - self._left.get(key, 0)
            self._left[key] = n_bytes
            if delta and self.bar.total is not None:
                self.bar.total = max(self.bar.n, self.bar.total + delta)
                self.bar.refresh()

    def advance(self, key: str, n_bytes: int, *, fetched: bool) -> None:
        """Count ``n_bytes`` hashed (``fetched=False``) or received for ``key``."""
        with self._lock:
            self._left[key] = max(0, self._left.get(key, 0) - n_bytes)
            self.bytes_fetched += n_bytes if fetched else 0
            self.bar.update(n_bytes)


@dataclass
class _Part:
    """A ``.part`` file being written: its length and how much of it the digest covers."""

    path: Path
    offset: int = 0
    hashed: int = 0

    def __post_init__(self) -> None:
        self.offset = self.path.lstat().st_size if self.path.exists() else 0
        self.hasher = hashlib.sha256()

    def reset(self) -> None:
        self.path.unlink(missing_ok=True)
        self.offset = self.hashed = 0
        self.hasher = hashlib.sha256()


@dataclass(kw_only=True)
class _Fetcher:
    """Brings one file to its verified final state (shared by the worker threads)."""

    client: httpx.Client
    base_url: str  # ends with "/"
    dest: Path
    meter: _Meter
    stamps: _Stamps
    stop: threading.Event
    rehash: bool
    max_attempts: int
    backoff_s: float

    def url(self, rf: RemoteFile) -> str:
        return self.base_url + quote(rf.path, safe="/+")

    def _check_stop(self) -> None:
        if self.stop.is_set():
            raise _Stopped

    def ensure(self, rf: RemoteFile) -> bool:
        """Make ``DEST/rf.path`` a verified copy; return ``True`` if it had to be fetched."""
        try:
            return self._ensure(rf)
        except DownloadError:
            raise
        except OSError as exc:  # a folder that cannot be made, a stamp that cannot be written, a full disk
            raise DownloadError(f"{self.dest / rf.path}: {_one_line(exc)}.") from None

    def _ensure(self, rf: RemoteFile) -> bool:
        final = self.dest / rf.path
        check_inside(self.dest, final)
        final.parent.mkdir(parents=True, exist_ok=True)
        aside = final.with_name(final.name + ".corrupt")
        if final.exists():
            if not self.rehash and self.stamps.matches(final, rf.sha256):
                return False
            if self._hash_file(final, rf.path) == rf.sha256:
                self.stamps.record(final, rf.sha256)
                return False
            os.replace(final, aside)
            logger.warning("%s: SHA-256 mismatch; moved to %s and fetching it again.", rf.path, aside.name)
        part = _Part(final.with_name(final.name + ".part"))
        for n_fetch in (1, 2):
            digest = self._fetch(rf, part)
            if digest == rf.sha256:
                os.replace(part.path, final)
                self.stamps.record(final, rf.sha256)
                aside.unlink(missing_ok=True)
                return True
            os.replace(part.path, aside)
            part.reset()
            if n_fetch == 1:
                logger.warning(
                    "%s: SHA-256 mismatch after download; moved to %s, fetching again.", rf.path, aside.name
                )
        raise DownloadError(
            f"{rf.path}: SHA-256 mismatch after 2 downloads from {self.url(rf)} (expected {rf.sha256[:16]}..., "
            f"got {digest[:16]}...); the bad copy is {aside}."
        )

    def _hash_file(self, path: Path, key: str) -> str:
        hasher = hashlib.sha256()
        self.meter.need(key, path.stat().st_size)
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK_BYTES):
                self._check_stop()
                hasher.update(chunk)
                self.meter.advance(key, len(chunk), fetched=False)
        return hasher.hexdigest()

    def _hash_prefix(self, part: _Part, key: str) -> None:
        """Feed the bytes of ``part`` already on disk but not yet in its digest (a ``.part`` from a past run)."""
        if part.hashed >= part.offset:
            return
        with open(part.path, "rb") as fh:
            fh.seek(part.hashed)
            while part.hashed < part.offset and (
                chunk := fh.read(min(_CHUNK_BYTES, part.offset - part.hashed))
            ):
                self._check_stop()
                part.hasher.update(chunk)
                part.hashed += len(chunk)
                self.meter.advance(key, len(chunk), fetched=False)

    def _fetch(self, rf: RemoteFile, part: _Part) -> str:
        """Download into ``part`` (resuming it), retrying transient failures; return the SHA-256 of the result."""
        url = self.url(rf)
        for attempt in range(1, self.max_attempts + 1):
            self._check_stop()
            try:
                return self._transfer(rf, url, part)
            except DownloadError:
                raise
            except (httpx.TransportError, _Retry) as exc:
                if attempt == self.max_attempts:
                    raise DownloadError(
                        f"{url}: {_one_line(exc)} (gave up after {attempt} attempts)."
                    ) from None
                logger.warning("%s: %s; resuming at byte %d.", url, _one_line(exc), part.offset)
                self.stop.wait(self.backoff_s * 2 ** (attempt - 1))
            except httpx.HTTPError as exc:
                raise DownloadError(f"{url}: {_one_line(exc)}.") from None
            except OSError as exc:
                raise DownloadError(f"{part.path}: cannot write ({_one_line(exc)}).") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _transfer(self, rf: RemoteFile, url: str, part: _Part) -> str:
        """One HTTP request: append to ``part`` from its current length (206) or rewrite it (200)."""
        headers = {"Range": f"bytes={part.offset}-"} if part.offset else {}
        with self.client.stream("GET", url, headers=headers) as resp:
            status = resp.status_code
            if status == 416 and part.offset:
                total = resp.headers.get("Content-Range", "").rpartition("/")[2]
                if total.isdigit() and int(total) != part.offset:
                    part.reset()
                    raise _Retry(f"HTTP 416: the partial file is longer than the remote one ({total} bytes)")
                self.meter.need(rf.path, part.offset - part.hashed)
                self._hash_prefix(part, rf.path)
                return part.hasher.hexdigest()
            if status == 404:
                raise DownloadError(f"{url}: HTTP 404 Not Found (no such file on the server).")
            if status >= 500 or status == 429:
                raise _Retry(f"HTTP {status} {resp.reason_phrase}")
            if status not in (200, 206):
                raise DownloadError(f"{url}: HTTP {status} {resp.reason_phrase}.")
            if status == 206 and _range_start(resp) != part.offset:
                part.reset()
                raise _Retry(f"HTTP 206 with Content-Range {resp.headers.get('Content-Range')!r}")
            if status == 200 and part.offset:
                part.reset()  # the server ignored the Range: start over
            length = int(resp.headers.get("Content-Length", 0) or 0)
            self.meter.need(rf.path, part.offset - part.hashed + length)
            self._hash_prefix(part, rf.path)
            fd = os.open(
                part.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644
            )
            with os.fdopen(fd, "ab") as fh:
                for chunk in resp.iter_raw():  # as the network delivers it; kept even when stopping
                    fh.write(chunk)
                    part.hasher.update(chunk)
                    part.offset += len(chunk)
                    part.hashed = part.offset
                    self.meter.advance(rf.path, len(chunk), fetched=True)
                    self._check_stop()
        self.meter.need(rf.path, 0)
        return part.hasher.hexdigest()


def check_inside(dest: Path, final: Path) -> None:
    """Refuse to write ``final`` (or its ``.part``) when that would write outside ``dest`` through a link.

    Raises
    ------
    DownloadError
        ``final``'s folder is (below) a symbolic link that leads out of ``dest``, or ``final.part`` is a symbolic
        link; the message names the link and its target.
    """
    root = os.path.realpath(dest)
    folder = os.path.realpath(final.parent)
    if os.path.commonpath([root, folder]) != root:
        raise DownloadError(
            f"{final.parent}: leads out of the destination {dest} (to {folder}) through a symbolic link; refusing "
            "to write there. Remove the link or choose another --dest."
        )
    part = final.with_name(final.name + ".part")
    if part.is_symlink():
        raise DownloadError(
            f"{part}: a symbolic link (to {os.readlink(part)}); refusing to append through it to a file "
            "that may lie outside the destination. Remove it (the file is then fetched from the start)."
        )


def _range_start(resp: httpx.Response) -> int | None:
    """First byte of a ``Content-Range: bytes START-END/TOTAL`` header, or ``None``."""
    unit, _, spec = resp.headers.get("Content-Range", "").partition(" ")
    start = spec.partition("-")[0]
    return int(start) if unit == "bytes" and start.isdigit() else None


def make_client(*, jobs: int = 4, timeout_s: float = 60.0) -> httpx.Client:
    """An :class:`httpx.Client` for downloads: redirects followed, no content encoding, ``jobs`` connections."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 20.0)),
        follow_redirects=True,
        headers={"User-Agent": f"seizurepred/{__version__} (httpx)", "Accept-Encoding": "identity"},
        limits=httpx.Limits(max_connections=jobs, max_keepalive_connections=jobs),
    )


def download_files(
    files: Sequence[RemoteFile],
    dest: str | Path,
    *,
    base_url: str = DEFAULT_BASE_URL,
    jobs: int = 4,
    rehash: bool = False,
    max_attempts: int = 3,
    backoff_s: float = 1.0,
    timeout_s: float = 60.0,
    client: httpx.Client | None = None,
) -> DownloadReport:
    """Fetch ``files`` into ``dest`` (``dest/CASE/FILE``), verifying each against its SHA-256.

    Parameters
    ----------
    files : sequence of RemoteFile
        What to fetch (see :func:`seizurepred.io.download_plan.plan_download`).
    dest : str or Path
        Destination root; created if missing.
    base_url : str
        Mirror root; a file is fetched from ``<base_url>/<CASE>/<FILE>``.
    jobs : int
        Parallel connections (threads), at least 1.
    rehash : bool
        Hash existing files even when their ``.seizurepred-verified.json`` stamp matches.
    max_attempts : int
        Requests per file before a network error is final (each resumes the ``.part``).
    backoff_s : float
        Wait before the first retry in seconds, doubled for each further one.
    timeout_s : float
        Network timeout in seconds (connect, and between two reads).
    client : httpx.Client or None
        Client to use (closed by the caller); ``None`` makes one with :func:`make_client`.

    Returns
    -------
    DownloadReport
    """
    if jobs < 1 or max_attempts < 1:
        name, value = ("jobs", jobs) if jobs < 1 else ("max_attempts", max_attempts)
        raise ConfigError(f"Invalid value for {name!r}: allowed integers >= 1; got {value!r}.")
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"Invalid value for 'base_url': allowed an http:// or https:// URL; got {base_url!r}."
        )
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise ConfigError(f"Invalid value for 'dest': allowed a folder; got the file {dest}.")
    for rf in files:  # before anything is fetched: nothing may be written outside dest
        check_inside(dest, dest / rf.path)
    stamps = _Stamps()
    budgets = {rf.path: _budget(dest / rf.path, rf, stamps, rehash) for rf in files}
    own_client = client is None
    client = client or make_client(jobs=jobs, timeout_s=timeout_s)
    meter, stop = _Meter(budgets), threading.Event()
    fetcher = _Fetcher(
        client=client,
        base_url=base_url.rstrip("/") + "/",
        dest=dest,
        meter=meter,
        stamps=stamps,
        stop=stop,
        rehash=rehash,
        max_attempts=max_attempts,
        backoff_s=backoff_s,
    )
    t0 = time.monotonic()
    try:
        outcome = _run_all(fetcher, files, jobs=jobs, stop=stop)
    finally:
        meter.bar.close()
        if own_client:
            client.close()
    fetched = tuple(rf.path for rf in files if outcome[rf.path])
    report = DownloadReport(
        fetched, tuple(rf.path for rf in files if not outcome[rf.path]), meter.bytes_fetched
    )
    logger.info(
        "%d files fetched (%.1f MB in %.0f s), %d already verified, under %s",
        len(report.fetched),
        report.bytes_fetched / 1e6,
        time.monotonic() - t0,
        len(report.already_verified),
        dest,
    )
    return report


def _budget(final: Path, rf: RemoteFile, stamps: _Stamps, rehash: bool) -> int:
    """Bytes this run expects to hash or fetch for ``rf`` (0 when its stamp already vouches for it)."""
    if final.exists():
        return 0 if (not rehash and stamps.matches(final, rf.sha256)) else final.stat().st_size
    return rf.size_bytes or 0


def _run_all(
    fetcher: _Fetcher, files: Sequence[RemoteFile], *, jobs: int, stop: threading.Event
) -> dict[str, bool]:
    """Run :meth:`_Fetcher.ensure` over ``files`` on ``jobs`` threads; the first error (or Ctrl-C) stops all."""
    outcome: dict[str, bool] = {}
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="seizurepred-download") as pool:
        futures: dict[Future, RemoteFile] = {}
        try:
            for rf in files:
                futures[pool.submit(fetcher.ensure, rf)] = rf
            pending = set(futures)
            while pending:  # short waits so that Ctrl-C reaches the main thread promptly
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for fut in done:
                    outcome[futures[fut].path] = fut.result()
        except BaseException as exc:
            stop.set()
            if isinstance(exc, KeyboardInterrupt):
                logger.warning("interrupted: unfinished files are kept as .part and resumed by the next run")
            for fut in futures:
                fut.cancel()
            wait(futures)
            raise
    return outcome
