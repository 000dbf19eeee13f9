"""The one atomic-write helper: complete files or nothing, one-line errors naming the path."""

from __future__ import annotations

import errno
import json
import math
import os

import numpy as np
import pytest

from seizurepred import _atomic
from seizurepred._atomic import atomic_write, atomic_write_json, atomic_write_text, ensure_dir
from seizurepred.errors import StorageError


def test_text_and_json_written_completely(tmp_path):
    p = atomic_write_text(tmp_path / "a" / "x.txt", "hello\n")
    assert p.read_text() == "hello\n"
    q = atomic_write_json(tmp_path / "y.json", {"b": math.nan, "a": np.float32(1.5), "c": (1, 2)})
    assert json.loads(q.read_text()) == {"a": 1.5, "b": None, "c": [1, 2]}
    assert q.read_text().startswith('{\n "a"')  # sorted keys, indent 1
    assert sorted(os.listdir(tmp_path)) == ["a", "y.json"]


def test_failed_write_keeps_old_file_and_leaves_no_temp(tmp_path):
    target = atomic_write_text(tmp_path / "t.txt", "old\n")

    def boom(fh):
        fh.write(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, boom)
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["t.txt"]


def test_below_a_file_is_one_line_storage_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match=r"file/sub: cannot create folder \(.+\)\.$"):
        atomic_write_text(blocker / "sub" / "t.txt", "x")
    with pytest.raises(StorageError, match="cannot create folder"):
        ensure_dir(blocker)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_folder_is_storage_error(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(StorageError, match=r"ro/t.txt: cannot write \(Permission denied\)\."):
            atomic_write_text(ro / "t.txt", "x")
    finally:
        ro.chmod(0o700)
    assert os.listdir(ro) == []


def test_os_error_during_write_is_storage_error_without_temp(tmp_path):
    def full(fh):
        raise OSError(28, "No space left on device")

    with pytest.raises(StorageError, match=r"t.bin: cannot write \(No space left on device: the disk is full\)\.$"):
        atomic_write(tmp_path / "t.bin", full)
    assert os.listdir(tmp_path) == []


def _short_write(fh):
    """What numpy's tofile raises on a short write: a bare OSError, no errno, after part of the data is on disk."""
    fh.write(b"0123456789")
    fh.flush()
    raise OSError("100 requested and 10 written")


def test_short_write_at_the_file_size_limit_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(_atomic, "_file_size_limit", lambda: 10)
    with pytest.raises(StorageError) as err:
        atomic_write(tmp_path / "t.npy", _short_write)
    assert str(err.value) == (
        f"{tmp_path / 't.npy'}: cannot write (File too large: it reached this process's file-size limit, "
        "ulimit -f = 10 bytes)."
    )
    assert os.listdir(tmp_path) == []


def test_short_write_on_a_full_disk_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(_atomic, "_file_size_limit", lambda: None)
    full = os.statvfs_result((4096, 4096, 100, 0, 0, 10, 0, 0, 0, 255))
    monkeypatch.setattr(_atomic.os, "statvfs", lambda path: full)
    with pytest.raises(StorageError, match=r"t.npy: cannot write \(No space left on device: the disk is full\)\.$"):
        atomic_write(tmp_path / "t.npy", _short_write)


def test_short_write_for_another_reason_keeps_its_text(tmp_path, monkeypatch):
    monkeypatch.setattr(_atomic, "_file_size_limit", lambda: None)
    with pytest.raises(StorageError, match=r"t.npy: cannot write \(OSError: 100 requested and 10 written\)\.$"):
        atomic_write(tmp_path / "t.npy", _short_write)


def test_errno_efbig_and_edquot_are_explained(tmp_path):
    def big(fh):
        raise OSError(errno.EFBIG, os.strerror(errno.EFBIG))

    with pytest.raises(StorageError, match=r"cannot write \(File too large: it reached .*\)\.$"):
        atomic_write(tmp_path / "t.bin", big)

    def quota(fh):
        raise OSError(errno.EDQUOT, os.strerror(errno.EDQUOT))

    with pytest.raises(StorageError, match=r"cannot write \(Disk quota exceeded: .*\)\.$"):
        atomic_write(tmp_path / "t.bin", quota)
