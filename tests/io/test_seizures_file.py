"""Tests of the binary MIT/WFDB ``.edf.seizures`` reader: an independent encoder, the 7 real files, bad bytes."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seizurepred.errors import ManifestError
from seizurepred.io.seizures_file import read_seizures_bytes, read_seizures_file
from seizurepred.io.summary import parse_summary


def word(code: int, inc: int) -> bytes:
    return struct.pack("<H", (code << 10) | inc)


def skip(ticks: int) -> bytes:
    value = ticks & 0xFFFFFFFF
    return word(59, 0) + struct.pack("<HH", value >> 16, value & 0xFFFF)


def aux(text: bytes) -> bytes:
    return word(63, len(text)) + text + (b"\0" if len(text) % 2 else b"")


def encode(seizures_ticks, *, resolution=b"## time resolution: 256", modifiers=False) -> bytes:
    """Write an annotation file the way WFDB does: NOTE + AUX, then SKIP + code for each event, then EOF."""
    out = word(22, 0) + aux(resolution) + skip(-1) + word(0, 1)
    tick = 0
    for on, off in seizures_ticks:
        for code, t in ((32, on), (33, off)):
            delta = t - tick
            out += word(code, delta) if 0 <= delta < 1024 else skip(delta) + word(code, 0)
            if modifiers:
                out += word(60, 3) + word(61, 1) + word(62, 2) + aux(b"abc")
            tick = t
    return out + word(0, 0)


def test_roundtrip_with_small_and_large_increments_and_modifiers():
    ticks = [(100, 300), (300 + 5000, 300 + 5000 + 1023), (2**20, 2**20 + 7)]
    for mods in (False, True):
        got = read_seizures_bytes(encode(ticks, modifiers=mods))
        assert [(s.onset_s, s.offset_s) for s in got] == [(a / 256, b / 256) for a, b in ticks]


def test_time_resolution_from_note_and_override():
    data = encode([(512, 1024)], resolution=b"## time resolution: 512")
    assert read_seizures_bytes(data)[0].onset_s == 1.0
    assert read_seizures_bytes(data, ticks_per_s=256)[0].onset_s == 2.0
    no_note = word(32, 0) + skip(2560) + word(33, 0) + word(0, 0)
    assert [(s.onset_s, s.offset_s) for s in read_seizures_bytes(no_note)] == [(0.0, 10.0)]


def test_real_files_equal_summary(chbmit_dir):
    summary = parse_summary(chbmit_dir / "summaries" / "chb01-summary.txt")
    files = sorted((chbmit_dir / "annotations").glob("*.edf.seizures"))
    assert len(files) == 7
    for path in files:
        rec = summary.recording(path.name[: -len(".seizures")])
        assert read_seizures_file(path) == rec.seizures
        assert len(rec.seizures) >= 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00", "odd number of bytes"),
        (b"", "empty file"),
        (word(59, 0) + b"\x01\x00", "truncated SKIP"),
        (word(63, 10) + b"abcd", "truncated AUX"),
        (word(32, 5) + word(0, 0), "has no end"),
        (word(33, 5) + word(0, 0), "without an onset"),
        (word(32, 5) + word(32, 5) + word(0, 0), "before the previous one ended"),
        (word(32, 5) + word(33, 0) + word(0, 0), "not after its onset"),
        (skip(-100) + word(32, 0) + word(33, 5) + word(0, 0), "negative time"),
    ],
)
def test_bad_bytes(tmp_path, data, message):
    path = tmp_path / "chb90_01.edf.seizures"
    path.write_bytes(data)
    with pytest.raises(ManifestError, match=message) as info:
        read_seizures_file(path)
    assert str(info.value).startswith("chb90_01.edf.seizures")


def test_missing_file(tmp_path):
    with pytest.raises(ManifestError, match="cannot read annotation file"):
        read_seizures_file(tmp_path / "nope.edf.seizures")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_random_bytes_only_raise_manifest_error(data):
    try:
        seizures = read_seizures_bytes(data, name="x.edf.seizures")
    except ManifestError:
        return
    assert all(0 <= s.onset_s < s.offset_s for s in seizures)
