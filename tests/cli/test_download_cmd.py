"""``seizurepred download``: dry run on the committed CHB-MIT metadata, errors, and a download from 127.0.0.1."""

from __future__ import annotations

import functools
import hashlib
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from seizurepred.cli.main import cli

pytestmark = pytest.mark.timeout(60)

CHB01_LINE = (
    "chb01: 50 files (42 .edf, 7 .edf.seizures, 1 summary), 1.72 GB (1,719,412,736 bytes) "
    "+ 8 files of unknown size"
)


@pytest.fixture(autouse=True)
def _no_root(monkeypatch):
    monkeypatch.delenv("SEIZUREPRED_CHBMIT_ROOT", raising=False)


def _invoke(*args: str):
    return CliRunner().invoke(cli, ["download", *args])


def _one_error_line(result) -> str:
    """The error: exit status 2, no traceback, one line starting with 'Error:' (after any progress notes)."""
    errors = [ln for ln in result.output.splitlines() if ln.startswith("Error")]
    assert result.exit_code == 2 and len(errors) == 1 and "Traceback" not in result.output, result.output
    assert result.output.rstrip("\n").endswith(errors[0])
    return errors[0]


def test_dry_run_chb01_from_the_committed_metadata():
    result = _invoke("--patient", "chb01", "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    files = [ln.split()[0] for ln in lines if ln.startswith("chb01/")]
    assert len(files) == 50 and sum(f.endswith(".edf") for f in files) == 42
    assert sum(f.endswith(".edf.seizures") for f in files) == 7 and "chb01/chb01-summary.txt" in files
    assert "chb01/chb01_01.edf                      42,399,744" in lines  # 3600 s x 23 signals
    assert CHB01_LINE in lines
    assert "Dry run: nothing fetched." in result.stdout


def test_dry_run_all_cases():
    result = _invoke("--all", "--dry-run")
    assert result.exit_code == 0, result.output
    assert (
        "Total (24 cases): 851 files (686 .edf, 141 .edf.seizures, 24 summaries), 44.85 GB "
        "(44,854,028,288 bytes) + 187 files of unknown size"
    ) in result.stdout  # the unknown: 141 .seizures, 24 summaries and the 22 chb24 EDF files without times
    assert "chb24: 35 files (22 .edf, 12 .edf.seizures, 1 summary), size unknown" in result.stdout


def test_missing_destination_is_one_line():
    line = _one_error_line(_invoke("--patient", "chb01"))
    assert len(_invoke("--patient", "chb01").output.splitlines()) == 1
    assert "give --dest DIR or set $SEIZUREPRED_CHBMIT_ROOT" in line


def test_case_choice_errors_are_one_line():
    assert "got neither" in _one_error_line(_invoke("--dry-run"))
    assert "'--patient': allowed chb01 .. chb24; got 'chb99'" in _one_error_line(
        _invoke("-p", "chb99", "--dry-run")
    )


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def mirror(tmp_path):
    """A mirror of two tiny chb01 files served from tmp_path/mirror, and its SHA256SUMS file."""
    root = tmp_path / "mirror"
    (root / "chb01").mkdir(parents=True)
    files = {"chb01/chb01_01.edf": b"0" * 70_000, "chb01/chb01-summary.txt": b"File Name: chb01_01.edf\n"}
    for rel, data in files.items():
        (root / rel).write_bytes(data)
    sums = tmp_path / "SHA256SUMS.txt"
    sums.write_text("".join(f"{hashlib.sha256(d).hexdigest()}  {rel}\n" for rel, d in files.items()))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", sums, files
    httpd.shutdown()
    httpd.server_close()


def test_download_from_a_mirror_then_rerun_from_the_environment(mirror, tmp_path, monkeypatch):
    base, sums, files = mirror
    dest = tmp_path / "data"
    args = ["--patient", "chb01", "--base-url", base, "--checksums", str(sums), "--jobs", "2"]
    result = _invoke(*args, "--dest", str(dest))
    assert result.exit_code == 0, result.output
    assert "Done: 2 fetched (0.1 MB received), 0 already verified" in result.stderr
    for rel, data in files.items():
        assert (dest / rel).read_bytes() == data
    assert sorted(p.name for p in (dest / "chb01").iterdir() if not p.name.startswith(".")) == [
        "chb01-summary.txt",
        "chb01_01.edf",
    ]
    monkeypatch.setenv("SEIZUREPRED_CHBMIT_ROOT", str(dest))
    again = _invoke(*args)
    assert again.exit_code == 0, again.output
    assert "Done: 0 fetched (0.0 MB received), 2 already verified" in again.stderr


def test_missing_file_on_the_mirror_is_one_line_naming_the_url(mirror, tmp_path):
    base, sums, _ = mirror
    sums.write_text(sums.read_text() + f"{'0' * 64}  chb01/chb01_02.edf\n")
    result = _invoke(
        "-p", "chb01", "--base-url", base, "--checksums", str(sums), "--dest", str(tmp_path / "d")
    )
    line = _one_error_line(result)
    assert line == f"Error: {base}chb01/chb01_02.edf: HTTP 404 Not Found (no such file on the server)."
