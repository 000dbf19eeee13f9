"""Tests of seizurepred.cache.ingest (SignalCache.build) on small EDF files written with write_edf."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta

import numpy as np
import pyedflib
import pytest

import seizurepred.cache.store as store_mod
from seizurepred.cache.ingest import CacheWarning, build_cache
from seizurepred.cache.integrity import forget_verified
from seizurepred.cache.preprocess import PreprocessConfig, preprocess
from seizurepred.cache.store import SignalCache
from seizurepred.errors import CacheError, ConfigError, MontageError
from seizurepred.io.edf_write import uv_to_digital, write_edf
from seizurepred.io.manifest import Manifest, Recording

CHANNELS = ("FP1-F7", "F7-T7", "T7-P7", "P7-O1")
SFREQ = 256
DURATION_S = 40
T0 = datetime(2020, 1, 1, 10, 0, 0)


def _write_patient(root, n_files=3, *, missing_in=(), case="chb99", seed=0):
    rng = np.random.default_rng(seed)
    recs = []
    for i in range(n_files):
        labels = list(CHANNELS) + ["ECG"]
        if i in missing_in:
            labels[2] = "-"
        data = rng.normal(0.0, 40.0, (len(labels), SFREQ * DURATION_S)) + 20.0 * rng.normal(size=(1, 1))
        name = f"{case}_{i + 1:02d}.edf"
        write_edf(
            root / case / name, uv_to_digital(data), labels=labels, sfreq=SFREQ, start=T0 + timedelta(hours=i)
        )
        start = i * 3600.0 + 36000.0
        recs.append(Recording(name, start, start + DURATION_S, tuple(labels)))
    return Manifest(case, float(SFREQ), tuple(recs))


def _reference(path):
    """Independent read (pyedflib) of the CHANNELS, then the project's preprocessing."""
    with pyedflib.EdfReader(str(path)) as f:
        labels = f.getSignalLabels()
        data = np.stack([f.readSignal(labels.index(c)) for c in CHANNELS])
    return preprocess(data.astype(np.float32), sfreq=SFREQ, config=PreprocessConfig())


def _overwrite_data(npy, values, *, at=0):
    """Write float32 ``values`` into the data of ``npy`` at sample offset ``at`` (file size unchanged)."""
    size = npy.stat().st_size
    arr = np.load(npy, mmap_mode="r+")
    arr.reshape(-1)[at : at + len(values)] = values
    arr.flush()
    del arr
    assert npy.stat().st_size == size


@pytest.fixture()
def patient(tmp_path):
    data_root = tmp_path / "data"
    return data_root, _write_patient(data_root), tmp_path / "cache"


@pytest.fixture()
def checksums(monkeypatch):
    """Count the entry files whose bytes are checksummed (verifications)."""
    calls = []
    real = store_mod.file_checksum
    monkeypatch.setattr(store_mod, "file_checksum", lambda npy: (calls.append(npy.name), real(npy))[1])
    return calls


def test_build_stores_preprocessed_signal_and_second_build_reads_nothing(patient):
    data_root, manifest, cache_dir = patient
    cache = SignalCache(cache_dir, channels=CHANNELS)
    report = cache.build(manifest, data_root)
    sizes = sum((data_root / "chb99" / r.file_name).stat().st_size + 256 * 6 for r in manifest.recordings)
    assert report.built == tuple(r.file_name for r in manifest.recordings) and report.reused == ()
    assert report.bytes_read == sizes and "3 built, 0 reused" in report.summary() and report.repaired == ()
    for rec in manifest.recordings:
        sig = cache.signal(rec.file_name)
        assert isinstance(sig, np.memmap) and sig.dtype == np.float32 and sig.shape == (4, SFREQ * DURATION_S)
        np.testing.assert_allclose(sig, _reference(data_root / "chb99" / rec.file_name), atol=1e-3, rtol=1e-5)
        assert (cache.entry_dir("chb99") / f"{rec.stem}.npy").is_file()
        with pytest.raises(ValueError):
            sig[0, 0] = 1.0  # read-only
    assert cache.sfreq == SFREQ and cache.lengths() == {
        r.file_name: SFREQ * DURATION_S for r in manifest.recordings
    }

    again = SignalCache(cache_dir, channels=CHANNELS)
    report2 = build_cache(again, manifest, data_root)
    assert report2.bytes_read == 0 and report2.built == () and len(report2.reused) == 3
    np.testing.assert_array_equal(again.signal("chb99_02.edf"), cache.signal("chb99_02.edf"))


def test_threads_give_the_same_cache(patient, tmp_path):
    data_root, manifest, cache_dir = patient
    serial = SignalCache(cache_dir, channels=CHANNELS)
    serial.build(manifest, data_root)
    threaded = SignalCache(tmp_path / "threaded", channels=CHANNELS)
    report = threaded.build(manifest, data_root, n_jobs=2)
    assert report.built == tuple(r.file_name for r in manifest.recordings)
    for rec in manifest.recordings:
        np.testing.assert_array_equal(threaded.signal(rec.file_name), serial.signal(rec.file_name))
    with pytest.raises(ConfigError, match="'n_jobs'"):
        threaded.build(manifest, data_root, n_jobs=0)


def test_changed_source_invalidates_entry(patient):
    data_root, manifest, cache_dir = patient
    cache = SignalCache(cache_dir, channels=CHANNELS)
    cache.build(manifest, data_root)
    path = data_root / "chb99" / "chb99_02.edf"
    _write_patient(data_root, n_files=3, seed=7)  # same sizes, new content and mtimes
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    report = SignalCache(cache_dir, channels=CHANNELS).build(manifest, data_root)
    assert set(report.built) == {r.file_name for r in manifest.recordings}
    np.testing.assert_allclose(cache.signal("chb99_02.edf"), _reference(path), atol=1e-3, rtol=1e-5)
    # a new sha256 in the manifest invalidates too
    recs = list(manifest.recordings)
    recs[0] = Recording(
        recs[0].file_name, recs[0].start_clock_s, recs[0].end_clock_s, recs[0].channels, (), "ab" * 32
    )
    report = SignalCache(cache_dir, channels=CHANNELS).build(Manifest("chb99", 256.0, tuple(recs)), data_root)
    assert report.built == ("chb99_01.edf",) and len(report.reused) == 2


def test_file_swapped_with_same_size_and_mtime_is_rebuilt(patient, tmp_path):
    """Another recording's bytes under the old size and mtime (``cp -p``, a restore): the entry was reused."""
    data_root, manifest, cache_dir = patient
    SignalCache(cache_dir, channels=CHANNELS).build(manifest, data_root)
    path = data_root / "chb99" / "chb99_02.edf"
    _write_patient(tmp_path / "other", n_files=3, seed=7)
    other = tmp_path / "other" / "chb99" / "chb99_02.edf"
    st = path.stat()
    assert other.stat().st_size == st.st_size
    path.write_bytes(other.read_bytes())
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    cache = SignalCache(cache_dir, channels=CHANNELS)
    report = cache.build(manifest, data_root)
    assert report.built == ("chb99_02.edf",) and len(report.reused) == 2
    np.testing.assert_allclose(cache.signal("chb99_02.edf"), _reference(path), atol=1e-3, rtol=1e-5)


def test_entry_of_an_earlier_version_without_fingerprint_is_adopted(patient):
    """Entries built before the fingerprint existed are not rebuilt (hours for all of CHB-MIT): the fingerprint is
    added to their metadata when size and mtime match, as those entries were trusted before."""
    data_root, manifest, cache_dir = patient
    cache = SignalCache(cache_dir, channels=CHANNELS)
    cache.build(manifest, data_root)
    meta_path = cache.entry_paths("chb99", "chb99_01.edf")[1]
    meta = json.loads(meta_path.read_text())
    fingerprint = meta["source"].pop("fingerprint")
    meta_path.write_text(json.dumps(meta))
    report = SignalCache(cache_dir, channels=CHANNELS).build(manifest, data_root)
    assert report.built == () and len(report.reused) == 3
    assert json.loads(meta_path.read_text())["source"]["fingerprint"] == fingerprint


def test_killed_build_leaves_no_trusted_entry(patient, monkeypatch):
    data_root, manifest, cache_dir = patient
    cache = SignalCache(cache_dir, channels=CHANNELS)
    real_write = store_mod.atomic_write_json
    calls = {"n": 0}

    def die_on_second(path, data, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # "killed" after the second .npy was written, before its metadata
        return real_write(path, data, **kwargs)

    monkeypatch.setattr(store_mod, "atomic_write_json", die_on_second)
    with pytest.raises(KeyboardInterrupt):
        cache.build(manifest, data_root)
    monkeypatch.setattr(store_mod, "atomic_write_json", real_write)
    folder = cache.entry_dir("chb99")
    assert (folder / "chb99_02.npy").is_file() and not (folder / "chb99_02.json").exists()
    opened = SignalCache(cache_dir, channels=CHANNELS).open("chb99")
    assert opened.has("chb99_01.edf") and not opened.has("chb99_02.edf")  # never trusted
    # also a half-written temp file of a dead process and a truncated .npy without metadata
    (folder / ".chb99_03.npy.tmp-999999999").write_bytes(b"\x93NUMPY half")
    (folder / "chb99_03.npy").write_bytes(b"\x93NUMPY truncated")
    report = SignalCache(cache_dir, channels=CHANNELS).build(manifest, data_root)
    assert report.reused == ("chb99_01.edf",) and report.built == ("chb99_02.edf", "chb99_03.edf")
    assert not list(folder.glob(".*tmp-*"))
    for name in ("chb99_02.edf", "chb99_03.edf"):
        np.testing.assert_allclose(
            cache.signal(name), _reference(data_root / "chb99" / name), atol=1e-3, rtol=1e-5
        )


def test_corrupt_metadata_or_data_is_rebuilt(patient):
    data_root, manifest, cache_dir = patient
    cache = SignalCache(cache_dir, channels=CHANNELS)
    cache.build(manifest, data_root)
    folder = cache.entry_dir("chb99")
    (folder / "chb99_01.json").write_text("{not json")
    with (folder / "chb99_02.npy").open("r+b") as fh:  # truncate the data, metadata intact
        fh.truncate(1000)
    report = SignalCache(cache_dir, channels=CHANNELS).build(manifest, data_root)
    assert report.built == ("chb99_01.edf", "chb99_02.edf") and report.repaired == ()
    meta = json.loads((folder / "chb99_01.json").read_text())
    assert meta["status"] == "ok" and meta["source"]["size"] > 0 and "mtime_ns" in meta["source"]


def test_nans_written_into_an_entry_are_detected_and_rebuilt(patient, tmp_path, checksums):
    data_root, manifest, cache_dir = patient
    SignalCache(cache_dir, channels=CHANNELS).build(manifest, data_root)
    npy = SignalCache(cache_dir, channels=CHANNELS).entry_dir("chb99") / "chb99_02.npy"
    _overwrite_data(npy, np.full(SFREQ, np.nan, dtype=np.float32), at=3 * SFREQ)
    checksums.clear()
    cache = SignalCache(cache_dir, channels=CHANNELS)
    with pytest.warns(CacheWarning, match=r"chb99_02\.npy.*'chb99_02\.edf'.*fails its checksum.*Rebuilding"):
        report = cache.build(manifest, data_root)
    assert report.built == ("chb99_02.edf",) and report.repaired == ("chb99_02.edf",)
    assert (
        report.reused == ("chb99_01.edf", "chb99_03.edf")
        and "1 after a checksum mismatch" in report.summary()
    )
    assert report.bytes_read == (data_root / "chb99" / "chb99_02.edf").stat().st_size + 256 * 6
    assert sorted(checksums) == ["chb99_01.npy", "chb99_02.npy", "chb99_03.npy"]  # each read once
    fresh = SignalCache(tmp_path / "fresh", channels=CHANNELS)
    fresh.build(manifest, data_root)
    for rec in manifest.recordings:  # bit for bit what a fresh build stores
        np.testing.assert_array_equal(cache.signal(rec.file_name), fresh.signal(rec.file_name))
    assert np.isfinite(np.asarray(cache.signal("chb99_02.edf"))).all() and len(checksums) == 3


def test_one_sample_off_by_one_microvolt_is_detected(patient):
    data_root, manifest, cache_dir = patient
    built = SignalCache(cache_dir, channels=CHANNELS)
    built.build(manifest, data_root)
    npy = built.entry_dir("chb99") / "chb99_03.npy"
    original = np.array(built.signal("chb99_03.edf"))
    _overwrite_data(npy, original.reshape(-1)[5000:5001] + np.float32(1.0), at=5000)
    forget_verified()  # as a new process
    worker = SignalCache(cache_dir, channels=CHANNELS).open("chb99")
    np.testing.assert_array_equal(worker.signal("chb99_01.edf"), built.signal("chb99_01.edf"))
    with pytest.raises(CacheError, match=r"chb99_03\.npy.*fails its checksum.*Rerun the command"):
        worker.signal("chb99_03.edf")
    with pytest.warns(CacheWarning, match="chb99_03"):
        report = SignalCache(cache_dir, channels=CHANNELS).build(manifest, data_root)
    assert report.repaired == ("chb99_03.edf",) and len(report.reused) == 2
    np.testing.assert_array_equal(worker.signal("chb99_03.edf"), original)  # rerun: the worker reads it again


def test_every_build_verifies_the_entries_it_reuses(patient, checksums):
    data_root, manifest, cache_dir = patient
    cache = SignalCache(cache_dir, channels=CHANNELS)
    cache.build(manifest, data_root)
    assert checksums == []  # entries written now are not read back
    for _ in range(2):
        cache.build(manifest, data_root)
    assert len(checksums) == 2 * len(manifest)
    for rec in manifest.recordings:
        cache.signal(rec.file_name)
    assert len(checksums) == 2 * len(manifest)  # verified by the builds of this process already


def test_entry_of_the_older_format_is_rebuilt_in_place(patient):
    data_root, manifest, cache_dir = patient
    cache = SignalCache(cache_dir, channels=CHANNELS)
    cache.build(manifest, data_root)
    meta_path = cache.entry_dir("chb99") / "chb99_01.json"
    meta = json.loads(meta_path.read_text())
    old = {k: v for k, v in meta.items() if k != "checksum"} | {"format": 1}  # what format 1 wrote
    meta_path.write_text(json.dumps(old))
    report = SignalCache(cache_dir, channels=CHANNELS).build(manifest, data_root)
    assert report.built == ("chb99_01.edf",) and report.repaired == ()
    assert json.loads(meta_path.read_text()) == meta


def test_missing_channel_raise_or_skip(tmp_path):
    data_root = tmp_path / "data"
    manifest = _write_patient(data_root, missing_in=(1,))
    with pytest.raises(MontageError, match="T7-P7"):
        SignalCache(tmp_path / "c", channels=CHANNELS).build(manifest, data_root)
    cache = SignalCache(tmp_path / "c", channels=CHANNELS)
    report = cache.build(manifest, data_root, on_missing="skip")
    assert report.reused == ("chb99_01.edf",)  # built before the raise
    assert report.built == ("chb99_03.edf",)
    assert [s[0] for s in report.skipped] == ["chb99_02.edf"] and "T7-P7" in report.skipped[0][1]
    assert set(report.available) == {"chb99_01.edf", "chb99_03.edf"} and not cache.has("chb99_02.edf")
    assert not SignalCache(tmp_path / "c", channels=CHANNELS).open("chb99").has("chb99_02.edf")
    again = SignalCache(tmp_path / "c", channels=CHANNELS).build(manifest, data_root, on_missing="skip")
    assert again.bytes_read == 0 and again.skipped == report.skipped
    with pytest.raises(MontageError):
        SignalCache(tmp_path / "c", channels=CHANNELS).build(manifest, data_root, on_missing="raise")


def test_missing_file_and_bad_option(patient):
    data_root, manifest, cache_dir = patient
    (data_root / "chb99" / "chb99_03.edf").unlink()
    with pytest.raises(CacheError, match="chb99_03.edf"):
        SignalCache(cache_dir, channels=CHANNELS).build(manifest, data_root)
    with pytest.raises(ConfigError, match="'on_missing'"):
        SignalCache(cache_dir, channels=CHANNELS).build(manifest, data_root, on_missing="ignore")
    with pytest.raises(CacheError, match="build"):
        _ = SignalCache(cache_dir, channels=CHANNELS).sfreq


def test_cache_cli_builds_then_reuses(tmp_path):
    from click.testing import CliRunner

    from seizurepred.cli.main import cli
    from seizurepred.synth import SynthConfig, generate_patient

    generate_patient(
        tmp_path / "data", config=SynthConfig(patient="chb05", hours=0.25, n_seizures=0, file_hours=0.125)
    )
    args = [
        "cache",
        "--patient",
        "chb05",
        "--data-root",
        str(tmp_path / "data"),
        "--cache-dir",
        str(tmp_path / "c"),
    ]
    first = CliRunner().invoke(cli, [*args, "--channels", "core18"])
    assert first.exit_code == 0, first.output
    assert "2 built, 0 reused, 0 skipped" in first.output
    second = CliRunner().invoke(cli, [*args, "--channels", "core18", "--on-missing", "skip"])
    assert (
        second.exit_code == 0
        and "0 built, 2 reused" in second.output
        and "0.0 MB of EDF read" in second.output
    )
    bad = CliRunner().invoke(cli, ["cache", "--patient", "chb06", *args[3:]])
    assert bad.exit_code == 2 and "chb06" in bad.output


def test_durable_cache_fsyncs_and_matches(patient, monkeypatch):
    """``durable=True`` fsyncs every written file; the entries are the same as without it."""
    data_root, manifest, cache_dir = patient
    calls = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real_fsync(fd)))
    durable = SignalCache(cache_dir / "durable", channels=CHANNELS, durable=True)
    durable.build(manifest, data_root)
    assert len(calls) >= 2 * 2 * len(manifest)  # data + metadata, each file and its folder
    calls.clear()
    plain = SignalCache(cache_dir / "plain", channels=CHANNELS)
    plain.build(manifest, data_root)
    assert calls == []
    for rec in manifest.recordings:
        np.testing.assert_array_equal(durable.signal(rec.file_name), plain.signal(rec.file_name))
