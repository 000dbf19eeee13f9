"""Tests of seizurepred.cache.store (the keyed store) and .integrity, with entries written directly (no EDF)."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import zlib

import numpy as np
import pytest

import seizurepred.cache.store as store_mod
from seizurepred.cache.integrity import forget_verified
from seizurepred.cache.preprocess import PreprocessConfig
from seizurepred.cache.store import CACHE_FORMAT, SignalCache
from seizurepred.errors import CacheError
from seizurepred.io.manifest import Manifest, Recording
from seizurepred.io.montage_choice import choose_channel_config

CHANNELS = ("FP1-F7", "F7-T7", "T7-P7")
SFREQ = 256.0


def _source(name):
    return {"file_name": name, "size": 1, "mtime_ns": 2, "sha256": None}


def _signal(seed, n_samples=5000):
    return np.random.default_rng(seed).normal(0.0, 30.0, (len(CHANNELS), n_samples)).astype(np.float32)


def _store(root, entries):
    """Write ``{(case, file_name): data}`` through a SignalCache; return it."""
    cache = SignalCache(root, channels=CHANNELS)
    for (case, name), data in entries.items():
        cache.write_entry(case, name, data, source=_source(name), sfreq=SFREQ)
    return cache


def _poke(npy, value, *, at):
    """Overwrite one float32 of ``npy``'s data in place (file size unchanged)."""
    arr = np.load(npy, mmap_mode="r+")
    arr.reshape(-1)[at] = value
    arr.flush()
    del arr


@pytest.fixture()
def two_cases(tmp_path):
    data = {("chb01", "chb01_01.edf"): _signal(0), ("chb01", "chb01_02.edf"): _signal(1, 3000)}
    data[("chb02", "chb02_01.edf")] = _signal(2)
    return tmp_path / "cache", data, _store(tmp_path / "cache", data)


@pytest.fixture()
def checksums(monkeypatch):
    """Count verifications (entry files whose bytes are checksummed)."""
    calls = []
    real = store_mod.file_checksum
    monkeypatch.setattr(store_mod, "file_checksum", lambda npy: (calls.append(npy.name), real(npy))[1])
    return calls


def test_entry_round_trip_layout_and_checksum(two_cases):
    root, data, cache = two_cases
    for (case, name), values in data.items():
        sig = cache.signal(name)
        assert isinstance(sig, np.memmap) and sig.dtype == np.float32 and not sig.flags.writeable
        np.testing.assert_array_equal(sig, values)
        npy, meta_path = cache.entry_paths(case, name)
        assert npy == root / case / cache.key / f"{name[:-4]}.npy" and meta_path == npy.with_suffix(".json")
        meta = json.loads(meta_path.read_text())
        assert meta["format"] == CACHE_FORMAT == 2 and meta["shape"] == list(values.shape)
        assert meta["checksum"] == f"crc32:{zlib.crc32(values.tobytes()):08x}"  # CRC-32 of the data bytes
    assert cache.lengths() == {name: v.shape[1] for (_, name), v in data.items()}
    assert cache.n_samples("chb01_02.edf") == 3000 and cache.n_chans == 3 and cache.sfreq == SFREQ
    other = SignalCache(root, channels=CHANNELS, preprocess=PreprocessConfig(h_freq_hz=40.0))
    assert other.key != cache.key and SignalCache(root, channels=CHANNELS[:2]).key != cache.key


def test_open_attaches_one_case_without_looking_at_others(two_cases):
    root, data, _ = two_cases
    fresh = SignalCache(root, channels=CHANNELS)
    with pytest.raises(CacheError, match=r"no entry for 'chb01_01\.edf'.*run build\(\) or open\(case\)"):
        fresh.signal("chb01_01.edf")
    assert fresh.open("chb01") is fresh
    assert set(fresh.lengths()) == {"chb01_01.edf", "chb01_02.edf"} and fresh.has("chb01_02.edf")
    np.testing.assert_array_equal(fresh.signal("chb01_02.edf"), data[("chb01", "chb01_02.edf")])
    assert not fresh.has("chb02_01.edf")
    with pytest.raises(CacheError, match=r"'chb02_01\.edf'.*cases known: \['chb01'\]"):
        fresh.signal("chb02_01.edf")
    with pytest.raises(CacheError, match="chb03.*build them first"):
        fresh.open("chb03")
    with pytest.raises(CacheError, match="chb01"):
        SignalCache(root, channels=CHANNELS[:2]).open("chb01")  # another key: another folder
    _store(root, {("chb01", "chb01_03.edf"): _signal(4)})  # written later by another instance
    np.testing.assert_array_equal(fresh.signal("chb01_03.edf"), _signal(4))  # looked up in the known case
    _store(root, {("chb03", "chb01_01.edf"): _signal(3)})
    with pytest.raises(CacheError, match="both 'chb01' and 'chb03'"):
        fresh.open("chb03")


def test_nans_or_one_changed_sample_fail_verification_on_first_use(two_cases):
    root, data, _ = two_cases
    writer = SignalCache(root, channels=CHANNELS).open("chb01")
    npy, _ = writer.entry_paths("chb01", "chb01_01.edf")
    size = npy.stat().st_size
    _poke(npy, np.nan, at=123)
    forget_verified()  # as a new process
    worker = SignalCache(root, channels=CHANNELS).open("chb01")
    assert npy.stat().st_size == size and worker.has("chb01_01.edf")  # size and header still fine
    with pytest.raises(CacheError) as err:
        worker.signal("chb01_01.edf")
    msg = str(err.value)
    assert (
        str(npy) in msg and "'chb01_01.edf' (chb01) fails its checksum" in msg and "Rerun the command" in msg
    )
    _poke(npy, data[("chb01", "chb01_01.edf")].reshape(-1)[123], at=123)
    np.testing.assert_array_equal(worker.signal("chb01_01.edf"), data[("chb01", "chb01_01.edf")])  # restored
    npy2, _ = worker.entry_paths("chb01", "chb01_02.edf")
    _poke(npy2, data[("chb01", "chb01_02.edf")][2, 2999] + np.float32(1.0), at=3 * 3000 - 1)  # +1 µV
    forget_verified()
    with pytest.raises(CacheError, match="chb01_02.*fails its checksum"):
        SignalCache(root, channels=CHANNELS).open("chb01").signal("chb01_02.edf")


def test_a_fresh_instance_verifies_each_entry_once(two_cases, checksums):
    root, data, cache = two_cases
    names = [name for _, name in data]
    for name in names:
        cache.signal(name)
    assert checksums == []  # written by this process: verified already
    forget_verified()  # as a new process
    fresh = SignalCache(root, channels=CHANNELS).open("chb01").open("chb02")
    for _ in range(3):
        for name in names:
            fresh.signal(name)
            fresh.n_samples(name)
            fresh.has(name)
    assert sorted(checksums) == ["chb01_01.npy", "chb01_02.npy", "chb02_01.npy"]
    fresh.write_entry("chb02", "chb02_01.edf", _signal(9), source=_source("chb02_01.edf"), sfreq=SFREQ)
    np.testing.assert_array_equal(cache.signal("chb02_01.edf"), _signal(9))  # rewritten by this process
    assert len(checksums) == 3


def test_a_pickled_cache_verifies_in_another_process_and_refuses_a_corrupt_entry(two_cases, tmp_path):
    root, data, cache = two_cases
    npy, _ = cache.entry_paths("chb02", "chb02_01.edf")
    _poke(npy, 1e6, at=7)
    (tmp_path / "cache.pkl").write_bytes(pickle.dumps(cache))
    code = f"""
import json, pickle
import seizurepred.cache.store as s
calls = []
real = s.file_checksum
s.file_checksum = lambda p: (calls.append(p.name), real(p))[1]
cache = pickle.loads(open({str(tmp_path / "cache.pkl")!r}, "rb").read())
sums = {{n: float(cache.signal(n).sum()) for n in ("chb01_01.edf", "chb01_02.edf") for _ in range(3)}}
try:
    cache.signal("chb02_01.edf")
    error = None
except s.CacheError as exc:
    error = str(exc)
print(json.dumps({{"calls": sorted(calls), "sums": sums, "error": error}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["calls"] == ["chb01_01.npy", "chb01_02.npy", "chb02_01.npy"]
    for name in ("chb01_01.edf", "chb01_02.edf"):
        assert got["sums"][name] == float(data[("chb01", name)].sum())
    assert "chb02_01.npy" in got["error"] and "fails its checksum" in got["error"] and "Rerun" in got["error"]


def test_metadata_that_is_not_trusted(two_cases):
    root, _, cache = two_cases
    npy, meta_path = cache.entry_paths("chb01", "chb01_01.edf")
    meta = json.loads(meta_path.read_text())
    assert cache.read_meta("chb01", "chb01_01.edf", source=_source("chb01_01.edf")) == meta
    assert cache.read_meta("chb01", "chb01_01.edf", source=_source("other.edf")) is None
    old = {k: v for k, v in meta.items() if k != "checksum"} | {"format": 1}
    meta_path.write_text(json.dumps(old))
    assert cache.read_meta("chb01", "chb01_01.edf") is None
    assert "chb01_01.edf" not in SignalCache(root, channels=CHANNELS).open("chb01").lengths()
    meta_path.write_text(json.dumps(meta))
    with npy.open("r+b") as fh:
        fh.truncate(npy.stat().st_size - 4)
    assert cache.read_meta("chb01", "chb01_01.edf") is None and not cache.has("chb01_01.edf")


def test_discard_removes_metadata_and_dead_temporaries(two_cases):
    root, _, cache = two_cases
    npy, meta_path = cache.entry_paths("chb01", "chb01_01.edf")
    dead = npy.with_name(".chb01_01.npy.tmp-999999999")
    dead.write_bytes(b"half")
    cache.discard("chb01", "chb01_01.edf")
    assert not meta_path.exists() and not dead.exists() and not cache.has("chb01_01.edf")
    with pytest.raises(CacheError, match="chb01_01.edf"):
        cache.signal("chb01_01.edf")


def test_choose_channel_config():
    full = ("FP1-F7", "F7-T7", "T7-P7", "ECG")
    other = ("FP1-F7", "F7-T7", "X-CS2")
    recs = (
        Recording("a_01.edf", 0.0, 3600.0, full),
        Recording("a_02.edf", 3600.0, 3 * 3600.0, other),
        Recording("a_03.edf", 3 * 3600.0, 4 * 3600.0, full),
        Recording("a_04.edf", None, None, full),
    )
    choice = choose_channel_config(Manifest("a", 256.0, recs), channels=("FP1-F7", "F7-T7", "T7-P7"))
    assert choice.file_names == ("a_01.edf", "a_03.edf", "a_04.edf") and choice.hours == pytest.approx(2.0)
    assert choice.montages[0][1] == pytest.approx(2.0) and choice.montages[0][2] == 3
