"""Synthetic generator: config validation, file layout, summary format, determinism, round trip."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest
from _factories import TINY_SYNTH

import seizurepred.io.summary as summary
from seizurepred.errors import ConfigError
from seizurepred.synth import SynthConfig, generate_patient, plan_patient, plan_truth, summary_text
from seizurepred.synth.head import CHANGED_LABELS, PAPER_23

TINY = TINY_SYNTH


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth")
    truth = generate_patient(root, config=SynthConfig(seed=3, channel_change=True, **TINY))
    return root, truth


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"patient": "patient1"}, "patient"),
        ({"hours": -1}, "hours"),
        ({"n_seizures": 2.5}, "n_seizures"),
        ({"gap_s": (10, 3)}, "gap_s"),
        ({"seizure_s": (1, 3)}, "seizure_s[0]"),
        ({"hours": 3, "n_seizures": 4}, "hours"),
        ({"preictal_min": 400, "min_first_onset_h": 5}, "min_first_onset_h"),
        ({"null": "yes"}, "null"),
    ],
)
def test_config_rejects_bad_values(kwargs, name):
    with pytest.raises(ConfigError, match=re.escape(f"Invalid value for {name!r}")):
        SynthConfig(**kwargs)


def test_plan_spacing_first_onset_and_midnight():
    for seed in range(5):
        cfg = SynthConfig(hours=30, n_seizures=4, preictal_min=60, seed=seed)
        truth, _ = plan_truth(cfg)
        plans = truth.files
        onsets = [s.onset_clock_s for s in truth.seizures]
        assert len(onsets) == 4
        # recorded time before the first onset >= min_first_onset_h
        first = truth.seizures[0]
        recorded = sum(f.duration_s for f in plans if f.end_clock_s <= first.onset_clock_s)
        recorded += first.onset_s
        assert recorded >= cfg.min_first_onset_h * 3600
        assert np.all(np.diff(onsets) >= 1.5 * 3600)  # spacing 2 h, minus at most one file shift
        # every seizure inside its file
        for f in plans:
            for sz in f.seizures:
                assert 0 < sz.onset_s < sz.offset_s <= f.duration_s
                assert 15 <= sz.duration_s <= 90
        # at least one file runs past a midnight; gaps positive
        assert any(f.start_clock_s // 86400 != (f.end_clock_s - 1) // 86400 for f in plans)
        assert all(b.start_clock_s > a.end_clock_s for a, b in zip(plans, plans[1:]))


def test_summary_text_format():
    cfg = SynthConfig(hours=30, n_seizures=3, seed=1, channel_change=True)
    plans = plan_patient(cfg)
    text = summary_text(plans)
    assert text.startswith(
        "Data Sampling Rate: 256 Hz\n*************************\n\nChannels in EDF Files:\n"
    )
    assert "Channel 23: T8-P8\n\nFile Name: chb01_01.edf\nFile Start Time: " in text
    assert text.count("Channels changed:\n*****************\nChannel 1: FP1-F7\n") == 1
    assert "Channel 29: ECG\n\nFile Name:" in text
    assert text.endswith("\n") and not text.endswith("\n\n")
    starts = re.findall(r"File Start Time: (\S+)", text)
    ends = re.findall(r"File End Time: (\S+)", text)
    assert all(re.fullmatch(r"\d\d:\d\d:\d\d", s) and int(s[:2]) < 24 for s in starts)
    assert all(re.fullmatch(r"[1-9]?\d:\d\d:\d\d", e) for e in ends)
    assert any(int(e.split(":")[0]) >= 24 for e in ends)  # a file past midnight: clock 24:xx:xx
    assert any(len(e.split(":")[0]) == 1 for e in ends)  # end hour < 10 without leading zero
    assert len(re.findall(r"^Seizure (?:\d+ )?Start Time: \d+ seconds$", text, flags=re.M)) == 3


def test_written_layout_and_headers(tiny):
    root, truth = tiny
    folder = root / "chb01"
    names = sorted(p.name for p in folder.glob("*.edf"))
    assert names == [f.file_name for f in truth.files]
    assert (folder / "chb01-summary.txt").read_text() == summary_text(truth.files)
    pyedflib = pytest.importorskip("pyedflib")
    first = truth.files[0]
    with pyedflib.EdfReader(str(folder / first.file_name)) as rd:
        assert tuple(rd.getSignalLabels()) == PAPER_23
        assert all(rd.getSampleFrequency(i) == 256 for i in range(23))
        assert rd.getPhysicalMinimum(0) == -800 and rd.getPhysicalMaximum(0) == 800
        assert rd.getDigitalMinimum(0) == -2048 and rd.getDigitalMaximum(0) == 2047
        assert rd.getFileDuration() == first.duration_s
        start = rd.getStartdatetime()
    assert start.hour * 3600 + start.minute * 60 + start.second == first.start_clock_s % 86400


def test_changed_files_have_dummy_and_ecg(tiny):
    root, truth = tiny
    changed = [f for f in truth.files if f.channels == CHANGED_LABELS]
    assert changed and changed[0].channels_changed
    raw = (root / "chb01" / changed[0].file_name).read_bytes()
    n = int(raw[252:256])
    assert n == len(CHANGED_LABELS)
    labels = [raw[256 + 16 * i : 256 + 16 * (i + 1)].decode().strip() for i in range(n)]
    assert tuple(labels) == CHANGED_LABELS
    off = 256 + n * (16 + 80 + 8 + 8 + 8)
    dmin = [int(raw[off + 8 * i : off + 8 * i + 8]) for i in range(n)]
    dmax = [int(raw[off + 8 * n + 8 * i : off + 8 * n + 8 * i + 8]) for i in range(n)]
    for lab, lo, hi in zip(labels, dmin, dmax):
        assert (lo == hi) == (lab == "-")


def test_deterministic_by_seed(tmp_path, tiny):
    root, truth = tiny
    again = generate_patient(tmp_path / "a", config=SynthConfig(seed=3, channel_change=True, **TINY))
    assert _digest(tmp_path / "a" / "chb01") == _digest(root / "chb01")
    assert again == truth
    generate_patient(tmp_path / "p", config=SynthConfig(seed=3, channel_change=True, **TINY), n_jobs=2)
    assert _digest(tmp_path / "p" / "chb01") == _digest(root / "chb01")
    generate_patient(tmp_path / "b", config=SynthConfig(seed=4, channel_change=True, **TINY))
    a, b = _digest(tmp_path / "a" / "chb01"), _digest(tmp_path / "b" / "chb01")
    assert all(a[k] != b[k] for k in a if k in b and k.endswith(".edf"))


def test_summary_round_trip(tiny):
    root, truth = tiny
    parsed = summary.parse_summary(root / "chb01" / "chb01-summary.txt")
    expected = truth.truth_manifest()
    assert parsed.case == expected.case and parsed.sfreq == expected.sfreq
    assert [r.file_name for r in parsed.recordings] == [r.file_name for r in expected.recordings]
    for got, want in zip(parsed.recordings, expected.recordings):
        assert (got.start_clock_s, got.end_clock_s) == (want.start_clock_s, want.end_clock_s)
        assert got.channels == want.channels
        assert got.seizures == want.seizures
    assert parsed.recordings == expected.recordings
    assert [(s.file_name, s.onset_clock_s) for s in parsed.seizures] == [
        (s.file_name, s.onset_clock_s) for s in truth.seizures
    ]


def test_round_trip_past_midnight_and_long_patient():
    truth, _ = plan_truth(SynthConfig(hours=40, n_seizures=5, preictal_min=60, seed=7, long_gap_prob=0.3))
    parsed = summary.parse_summary_text(summary_text(truth.files), source="chb01-summary.txt")
    want = truth.truth_manifest()
    assert [(r.file_name, r.start_clock_s, r.end_clock_s, r.seizures) for r in parsed.recordings] == [
        (r.file_name, r.start_clock_s, r.end_clock_s, r.seizures) for r in want.recordings
    ]
    assert want.recordings[-1].end_clock_s > 86400 + 3600
