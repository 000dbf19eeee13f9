"""The CHB-MIT downloader against a local HTTP server in PhysioNet's layout, with injected faults.

The server (stdlib ``http.server`` on 127.0.0.1) serves a synthetic tree with its own checksum table and
honours ``Range``; faults are planted per file: drop the connection at a byte, serve corrupted bytes N times,
404, ignore ``Range``, or interrupt the test's main thread (a simulated Ctrl-C) half-way.
"""

from __future__ import annotations

import _thread
import hashlib
import json
import logging
import os
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from seizurepred.errors import ConfigError, ManifestError, SeizurepredError
from seizurepred.io.download import STAMP_NAME, DownloadError, download_files
from seizurepred.io.download_plan import (
    RemoteFile,
    default_checksums_path,
    edf_size_bytes,
    plan_download,
    read_checksums,
    select_cases,
    summarize_plan,
)
from seizurepred.io.manifest import manifests_dir

pytestmark = pytest.mark.timeout(60)

PREFIX = "files/chbmit/1.0.0/"


def _bytes(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


TREE = {
    "chb01/chb01-summary.txt": b"Data Sampling Rate: 256 Hz\n",
    "chb01/chb01_01.edf": _bytes(300_000, 1),
    "chb01/chb01_02.edf": _bytes(250_000, 2),
    "chb01/chb01_03.edf": _bytes(200_000, 3),
    "chb01/chb01_03.edf.seizures": _bytes(56, 4),
    "chb02/chb02_16+.edf": _bytes(180_000, 5),
    "RECORDS": b"chb01/chb01_01.edf\n",
}
SUMS = {rel: hashlib.sha256(data).hexdigest() for rel, data in TREE.items()}


@dataclass
class ServerState:
    files: dict[str, bytes]
    log: list[tuple[str, str | None, int]] = field(default_factory=list)
    drop_at: dict[str, int] = field(default_factory=dict)  # drop the connection at this byte, once
    corrupt: dict[str, int] = field(default_factory=dict)  # serve a flipped byte this many times
    interrupt_at: dict[str, int] = field(default_factory=dict)  # Ctrl-C the main thread at this byte, once
    ignore_range: bool = False

    def requests_for(self, rel: str) -> list[tuple[str | None, int]]:
        return [(rng, status) for path, rng, status in self.log if path == rel]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        state: ServerState = self.server.state  # type: ignore[attr-defined]
        path = unquote(urlsplit(self.path).path).lstrip("/")
        rel = path[len(PREFIX) :] if path.startswith(PREFIX) else "\0"
        rng = None if state.ignore_range else self.headers.get("Range")
        data = state.files.get(rel)
        if data is None:
            state.log.append((rel, rng, 404))
            return self._reply(404, b"not found")
        if state.corrupt.get(rel, 0) > 0:
            state.corrupt[rel] -= 1
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        start = int(rng.removeprefix("bytes=").rstrip("-")) if rng else 0
        if start >= len(data):
            state.log.append((rel, rng, 416))
            return self._reply(416, headers={"Content-Range": f"bytes */{len(data)}"})
        status = 206 if rng else 200
        state.log.append((rel, rng, status))
        body = data[start:]
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        if rng:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        drop, stop = state.drop_at.pop(rel, None), state.interrupt_at.pop(rel, None)
        cut = drop if drop is not None else stop
        if cut is not None and start < cut:
            self.wfile.write(body[: cut - start])
            self.wfile.flush()
            if drop is not None:
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return None
            _thread.interrupt_main()  # what Ctrl-C does; the client must stop and keep the .part
            time.sleep(0.6)
            body = body[cut - start :]
        self.wfile.write(body)
        return None


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # broken pipes after a simulated Ctrl-C
        pass


@pytest.fixture()
def server():
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    httpd.state = ServerState(files=dict(TREE))  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/{PREFIX}", httpd.state  # type: ignore[attr-defined]
    httpd.shutdown()
    httpd.server_close()


def _plan(cases=("chb01", "chb02")) -> tuple[RemoteFile, ...]:
    return plan_download(cases, checksums=SUMS, sizes={rel: len(data) for rel, data in TREE.items()})


def _get(files, dest, base_url, **kw):
    kw.setdefault("jobs", 3)
    kw.setdefault("backoff_s", 0.01)
    return download_files(files, dest, base_url=base_url, timeout_s=10, **kw)


def _tree_on_disk(dest: Path) -> dict[str, str]:
    """Every file under dest except the stamps -> its SHA-256."""
    return {
        p.relative_to(dest).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(dest.rglob("*"))
        if p.is_file() and p.name != STAMP_NAME
    }


EXPECTED = {rel: d for rel, d in SUMS.items() if "/" in rel}  # the case files; RECORDS is not fetched


# --------------------------------------------------------------------------------------------- the plan
def test_plan_lists_the_case_files_sorted_with_sizes():
    files = _plan()
    assert [f.path for f in files] == sorted(EXPECTED)
    assert all(f.sha256 == SUMS[f.path] and f.size_bytes == len(TREE[f.path]) for f in files)
    s = summarize_plan(files)
    assert (s.n_files, s.n_edf, s.n_seizures_files, s.n_summaries, s.n_unknown) == (6, 4, 1, 1, 0)
    assert s.known_bytes == sum(len(TREE[p]) for p in EXPECTED)


def test_committed_checksums_are_found_in_the_repository_and_match_records():
    path = default_checksums_path()
    assert path == manifests_dir() / "metadata" / "SHA256SUMS.txt" and path.is_file()
    table = read_checksums()
    assert len(table) == 856
    records = (path.parent / "RECORDS").read_text().split()
    assert sorted(records) == sorted(rel for rel in table if rel.endswith(".edf"))
    assert table["RECORDS"] == hashlib.sha256((path.parent / "RECORDS").read_bytes()).hexdigest()


def test_real_plan_sizes_from_manifests():
    table = read_checksums()
    assert edf_size_bytes(23, 3600) == 42_399_744  # chb01_01.edf: 256 + 256*23 header, 3600 records
    chb01 = {f.path: f for f in plan_download(["chb01"], checksums=table)}
    assert chb01["chb01/chb01_01.edf"].size_bytes == 42_399_744
    assert chb01["chb01/chb01-summary.txt"].size_bytes is None
    assert chb01["chb01/chb01_03.edf.seizures"].size_bytes is None
    chb24 = plan_download(["chb24"], checksums=table)
    assert len(chb24) == 35 and all(f.size_bytes is None for f in chb24)  # the summary has no times


def test_plan_sizes_only_when_the_manifest_digest_matches():
    table = read_checksums()
    other = {**table, "chb01/chb01_01.edf": "0" * 64}
    files = {f.path: f for f in plan_download(["chb01"], checksums=other)}
    assert files["chb01/chb01_01.edf"].size_bytes is None
    assert files["chb01/chb01_02.edf"].size_bytes == 42_399_744
    assert files["chb01/chb01_27.edf"].size_bytes == 256 * 24 + 600 * 23 * 256 * 2  # a 600-s file


def test_case_selection_errors_name_the_option():
    with pytest.raises(ConfigError, match=r"'--patient': allowed chb01 \.\. chb02; got 'chb03'"):
        select_cases(SUMS, patients=["chb03"])
    with pytest.raises(ConfigError, match="got neither"):
        select_cases(SUMS)
    with pytest.raises(ConfigError, match="got both"):
        select_cases(SUMS, patients=["chb01"], all_cases=True)
    assert select_cases(SUMS, all_cases=True) == ("chb01", "chb02")
    assert select_cases(SUMS, patients=["chb02", "chb02"]) == ("chb02",)


def test_unsafe_checksum_path_is_refused(tmp_path):
    bad = tmp_path / "SUMS.txt"
    bad.write_text(f"{'a' * 64}  chb01/../../etc/passwd\n")
    with pytest.raises(ManifestError, match=r"SUMS.txt: unsafe path"):
        read_checksums(bad)


# --------------------------------------------------------------------------------------------- downloads
def test_clean_download_then_a_rerun_fetches_nothing(server, tmp_path):
    base, state = server
    report = _get(_plan(), tmp_path, base)
    assert sorted(report.fetched) == sorted(EXPECTED) and report.already_verified == ()
    assert report.bytes_fetched == sum(len(TREE[p]) for p in EXPECTED)
    assert _tree_on_disk(tmp_path) == EXPECTED  # exactly the layout, no .part / .corrupt left
    assert (tmp_path / "chb02" / "chb02_16+.edf").read_bytes() == TREE["chb02/chb02_16+.edf"]
    stamp = json.loads((tmp_path / "chb01" / STAMP_NAME).read_text())
    assert stamp["chb01_01.edf"]["sha256"] == SUMS["chb01/chb01_01.edf"]
    n_requests = len(state.log)
    assert n_requests == len(EXPECTED)

    again = _get(_plan(), tmp_path, base)
    assert again.fetched == () and sorted(again.already_verified) == sorted(EXPECTED)
    assert again.bytes_fetched == 0 and len(state.log) == n_requests
    rehashed = _get(_plan(), tmp_path, base, rehash=True)  # hashing, still no request
    assert rehashed.fetched == () and len(state.log) == n_requests


def test_file_damaged_on_disk_is_moved_aside_and_fetched_again(server, tmp_path, caplog):
    base, state = server
    _get(_plan(), tmp_path, base)
    victim = tmp_path / "chb01" / "chb01_02.edf"
    victim.write_bytes(b"x" * 1000)  # size and mtime change: the stamp no longer vouches for it
    with caplog.at_level(logging.WARNING, logger="seizurepred"):
        report = _get(_plan(), tmp_path, base)
    assert report.fetched == ("chb01/chb01_02.edf",)
    assert _tree_on_disk(tmp_path) == EXPECTED  # the .corrupt copy is gone once the refetch verified
    assert "chb01/chb01_02.edf: SHA-256 mismatch; moved to chb01_02.edf.corrupt" in caplog.text


def test_corrupted_once_is_refetched_and_verified(server, tmp_path, caplog):
    base, state = server
    state.corrupt["chb01/chb01_01.edf"] = 1
    with caplog.at_level(logging.WARNING, logger="seizurepred"):
        report = _get(_plan(), tmp_path, base)
    assert "chb01/chb01_01.edf" in report.fetched
    assert state.requests_for("chb01/chb01_01.edf") == [(None, 200), (None, 200)]  # the 2nd from scratch
    assert _tree_on_disk(tmp_path) == EXPECTED
    assert "chb01/chb01_01.edf: SHA-256 mismatch after download" in caplog.text


def test_persistently_corrupted_file_is_a_one_line_error_naming_it(server, tmp_path):
    base, state = server
    state.corrupt["chb01/chb01_03.edf"] = 99
    files = [f for f in _plan() if f.path == "chb01/chb01_03.edf"]
    with pytest.raises(DownloadError) as info:
        _get(files, tmp_path, base)
    msg = str(info.value)
    assert isinstance(info.value, SeizurepredError) and "\n" not in msg
    assert msg.startswith("chb01/chb01_03.edf: SHA-256 mismatch after 2 downloads")
    assert len(state.requests_for("chb01/chb01_03.edf")) == 2
    assert _tree_on_disk(tmp_path) == {"chb01/chb01_03.edf.corrupt": hashlib.sha256(
        bytes([TREE["chb01/chb01_03.edf"][0] ^ 0xFF]) + TREE["chb01/chb01_03.edf"][1:]).hexdigest()}  # fmt: skip


def test_dropped_connection_resumes_with_range(server, tmp_path):
    base, state = server
    state.drop_at["chb01/chb01_01.edf"] = 123_457
    report = _get(_plan(), tmp_path, base)
    assert state.requests_for("chb01/chb01_01.edf") == [(None, 200), ("bytes=123457-", 206)]
    assert report.bytes_fetched == sum(len(TREE[p]) for p in EXPECTED)  # nothing received twice
    assert _tree_on_disk(tmp_path) == EXPECTED


def test_server_ignoring_range_restarts_the_file(server, tmp_path):
    base, state = server
    state.drop_at["chb01/chb01_02.edf"] = 100_000
    state.ignore_range = True
    _get(_plan(), tmp_path, base)
    assert [s for _, s in state.requests_for("chb01/chb01_02.edf")] == [200, 200]
    assert _tree_on_disk(tmp_path) == EXPECTED


def test_complete_part_file_is_verified_without_fetching(server, tmp_path):
    base, state = server
    (tmp_path / "chb02").mkdir()
    (tmp_path / "chb02" / "chb02_16+.edf.part").write_bytes(TREE["chb02/chb02_16+.edf"])
    files = [f for f in _plan() if f.case == "chb02"]
    report = _get(files, tmp_path, base)
    assert state.requests_for("chb02/chb02_16+.edf") == [("bytes=180000-", 416)]
    assert report.fetched == ("chb02/chb02_16+.edf",) and report.bytes_fetched == 0
    assert _tree_on_disk(tmp_path) == {"chb02/chb02_16+.edf": SUMS["chb02/chb02_16+.edf"]}


def test_404_is_a_one_line_error_naming_the_url(server, tmp_path):
    base, state = server
    del state.files["chb01/chb01_02.edf"]
    with pytest.raises(DownloadError) as info:
        _get(_plan(), tmp_path, base, jobs=1)
    msg = str(info.value)
    assert msg == f"{base}chb01/chb01_02.edf: HTTP 404 Not Found (no such file on the server)."
    assert not (tmp_path / "chb01" / "chb01_02.edf").exists()


def test_unreachable_server_is_a_one_line_error_naming_the_url(tmp_path):
    with socket.socket() as sock:  # a port that nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    files = [f for f in _plan() if f.path == "chb01/chb01_03.edf"]
    with pytest.raises(DownloadError) as info:
        _get(files, tmp_path, f"http://127.0.0.1:{port}/", max_attempts=2)
    msg = str(info.value)
    assert msg.startswith(f"http://127.0.0.1:{port}/chb01/chb01_03.edf: ConnectError") and "\n" not in msg
    assert msg.endswith("(gave up after 2 attempts).")


def test_ctrl_c_leaves_only_part_files_that_the_next_run_resumes(server, tmp_path):
    base, state = server
    state.interrupt_at["chb01/chb01_02.edf"] = 100_000
    with pytest.raises(KeyboardInterrupt):
        _get(_plan(), tmp_path, base, jobs=2)
    on_disk = _tree_on_disk(tmp_path)
    part = tmp_path / "chb01" / "chb01_02.edf.part"
    n_part = part.stat().st_size  # what arrived before the worker saw the stop (the chunks received are kept)
    assert 0 < n_part < 250_000 and part.read_bytes() == TREE["chb01/chb01_02.edf"][:n_part]
    for rel, digest in on_disk.items():  # every other file is either verified under its name or a .part
        assert rel.endswith(".part") or digest == EXPECTED[rel], rel
    assert not (tmp_path / "chb01" / "chb01_02.edf").exists()

    n_before = len(state.log)
    report = _get(_plan(), tmp_path, base, jobs=2)
    assert state.requests_for("chb01/chb01_02.edf")[-1] == (f"bytes={n_part}-", 206)
    assert _tree_on_disk(tmp_path) == EXPECTED
    finished_before = {rel for rel in on_disk if not rel.endswith(".part")}
    assert set(report.already_verified) == finished_before
    assert len(state.log) - n_before == len(EXPECTED) - len(finished_before)


def test_bad_arguments_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"'jobs': allowed integers >= 1; got 0"):
        download_files(_plan(), tmp_path, base_url="http://127.0.0.1:1/", jobs=0)
    with pytest.raises(ConfigError, match=r"'base_url'"):
        download_files(_plan(), tmp_path, base_url="ftp://example.org/")
    assert not os.listdir(tmp_path)


def test_unwritable_destination_is_a_one_line_error_naming_the_file(server, tmp_path):
    base, state = server
    (tmp_path / "chb02").write_text("")  # a file where the case folder should be
    with pytest.raises(DownloadError) as info:
        _get(_plan(("chb02",)), tmp_path, base)
    msg = str(info.value)
    assert msg.startswith(f"{tmp_path / 'chb02' / 'chb02_16+.edf'}: FileExistsError") and "\n" not in msg
    assert state.log == []
    with pytest.raises(ConfigError, match=r"'dest': allowed a folder; got the file"):
        _get(_plan(("chb02",)), tmp_path / "chb02", base)


# --------------------------------------------------------------------------------------------- links out of dest
def test_part_file_linked_out_of_dest_is_refused_before_anything_is_fetched(server, tmp_path):
    """A .part symlink made the resumed transfer append the rest of the file to its target, outside dest."""
    base, state = server
    dest, outside = tmp_path / "dest", tmp_path / "outside.txt"
    (dest / "chb01").mkdir(parents=True)
    outside.write_bytes(TREE["chb01/chb01_01.edf"][:1000])
    part = dest / "chb01" / "chb01_01.edf.part"
    os.symlink(outside, part)
    with pytest.raises(DownloadError) as err:
        _get(_plan(), dest, base)
    assert str(err.value) == (
        f"{part}: a symbolic link (to {outside}); refusing to append through it to a file that may lie outside "
        "the destination. Remove it (the file is then fetched from the start)."
    )
    assert outside.read_bytes() == TREE["chb01/chb01_01.edf"][:1000]
    assert state.log == []


def test_case_folder_linked_out_of_dest_is_refused(server, tmp_path):
    base, state = server
    dest, elsewhere = tmp_path / "dest", tmp_path / "elsewhere"
    dest.mkdir()
    elsewhere.mkdir()
    os.symlink(elsewhere, dest / "chb02")
    with pytest.raises(DownloadError, match=r"dest/chb02: leads out of the destination .* through a symbolic link"):
        _get(_plan(), dest, base)
    assert list(elsewhere.iterdir()) == [] and state.log == []


def test_links_inside_dest_are_followed(server, tmp_path):
    """A case folder that links to another folder of dest is fine (e.g. a second name for one copy)."""
    base, _ = server
    (tmp_path / "store" / "chb02").mkdir(parents=True)
    os.symlink(tmp_path / "store" / "chb02", tmp_path / "chb02")
    _get(_plan(), tmp_path, base)
    assert (tmp_path / "store" / "chb02" / "chb02_16+.edf").read_bytes() == TREE["chb02/chb02_16+.edf"]


def test_part_file_is_opened_without_following_a_link(server, tmp_path, monkeypatch):
    """A link made after the check (a race) is not followed either: the open fails and names the .part."""
    import seizurepred.io.download as dl

    base, _ = server
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"")
    monkeypatch.setattr(dl, "check_inside", lambda dest, final: None)
    (tmp_path / "d" / "chb01").mkdir(parents=True)
    os.symlink(outside, tmp_path / "d" / "chb01" / "chb01_01.edf.part")
    with pytest.raises(DownloadError, match=r"chb01_01\.edf\.part: cannot write \(OSError: .*\)"):
        _get(_plan(("chb01",)), tmp_path / "d", base, jobs=1)
    assert outside.read_bytes() == b""
