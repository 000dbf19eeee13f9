"""Tests of the CHB-MIT summary parser (synthetic summaries in the real format, then the 24 real files)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from seizurepred.errors import ConfigError, ManifestError
from seizurepred.io.manifest import load_manifest
from seizurepred.io.summary import load_patient, parse_summary

CH3 = ("FP1-F7", "F7-T7", "T8-P8")


def channel_block(channels, header="Channels in EDF Files:"):
    stars = "*" * len(header)
    return "\n".join([header, stars] + [f"Channel {i}: {c}" for i, c in enumerate(channels, 1)]) + "\n\n"


def file_block(name, start=None, end=None, seizures=(), numbered=False):
    out = [f"File Name: {name}"]
    if start is not None:
        out += [f"File Start Time: {start}", f"File End Time: {end}"]
    out.append(f"Number of Seizures in File: {len(seizures)}")
    for k, (on, off) in enumerate(seizures, 1):
        tag = f"Seizure {k}" if numbered else "Seizure"
        out += [f"{tag} Start Time: {on} seconds", f"{tag} End Time: {off} seconds"]
    return "\n".join(out) + "\n\n"


def summary(*blocks, channels=CH3, rate="256"):
    return (
        f"Data Sampling Rate: {rate} Hz\n*************************\n\n"
        + channel_block(channels)
        + "".join(blocks)
    )


def write(tmp_path: Path, text: str, name: str = "chb90-summary.txt") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ------------------------------------------------------------------ synthetic: the clock
def test_clock_rollover_over_24h_and_gaps(tmp_path):
    text = summary(
        file_block("x_01.edf", "22:00:00", "23:00:00"),
        file_block("x_02.edf", "23:00:05", "24:00:05"),  # end >= 24 h
        file_block("x_03.edf", "00:00:12", "1:00:12"),  # rolls over midnight
        file_block("x_04.edf", "05:30:00", "9:30:00"),  # gap of 4.5 h
        file_block("x_05.edf", "23:10:00", "27:10:00"),  # 4 h file past midnight
        file_block("x_06.edf", "03:10:07", "4:10:07"),
    )
    m = parse_summary(write(tmp_path, text))
    starts = [r.start_clock_s for r in m]
    ends = [r.end_clock_s for r in m]
    day = 86400
    assert starts == [79200, 82805, day + 12, day + 19800, day + 83400, 2 * day + 11407]
    assert ends == [82800, day + 5, day + 3612, day + 34200, 2 * day + 11400, 2 * day + 15007]
    assert m.case == "chb90" and m.sfreq == 256.0 and m.notes == ()


def test_start_earlier_than_previous_end_rolls_to_next_day_with_note(tmp_path):
    text = summary(
        file_block("x_01.edf", "10:00:00", "11:00:00"),
        file_block("x_02.edf", "12:00:00", "13:00:00"),
        file_block("x_03.edf", "11:00:10", "11:59:50"),  # fits the gap one day earlier
    )
    m = parse_summary(write(tmp_path, text))
    assert m.recording("x_03.edf").start_clock_s == 86400 + 39610
    assert len(m.notes) == 1
    assert "x_03.edf starts at 11:00:10" in m.notes[0]
    assert "fit the gap between x_01.edf and x_02.edf" in m.notes[0]


def test_channels_changed_applies_to_every_later_file(tmp_path):
    other = ("FP1-F7", "-", "ECG")
    third = ("A", ".")
    text = summary(
        file_block("x_01.edf", "10:00:00", "11:00:00"),
        channel_block(other, "Channels changed:"),
        file_block("x_02.edf", "11:00:05", "12:00:05"),
        file_block("x_03.edf", "12:00:10", "13:00:10"),
        channel_block(third, "Channels changed:"),
        file_block("x_04.edf", "13:00:15", "14:00:15"),
    )
    m = parse_summary(write(tmp_path, text))
    assert [r.channels for r in m] == [CH3, other, other, third]


def test_both_seizure_formats_odd_spacing_and_mixing(tmp_path):
    text = summary(
        file_block("x_01.edf", "10:00:00", "11:00:00", [(10, 20), (30, 45)]),
        file_block("x_02.edf", "11:00:05", "12:00:05", [(100, 150), (200, 260)], numbered=True),
        "File Name: x_03.edf\nFile Start Time: 12:00:10\nFile End Time: 13:00:10\n"
        "Number of Seizures in File: 2\nSeizure 1 Start Time:  5 seconds\nSeizure 1 End Time:   9 seconds\n"
        "Seizure Start Time: 700 seconds\nSeizure End Time: 712 seconds\n",
    )
    m = parse_summary(write(tmp_path, text))
    got = [[(s.onset_s, s.offset_s) for s in r.seizures] for r in m]
    assert got == [[(10, 20), (30, 45)], [(100, 150), (200, 260)], [(5, 9), (700, 712)]]
    events = m.seizures
    assert [e.onset_clock_s for e in events][-1] == 43210 + 700


def test_misnumbered_seizure_line_is_read_in_order_with_note(tmp_path):
    text = summary(
        "File Name: x_01.edf\nFile Start Time: 10:00:00\nFile End Time: 14:00:00\nNumber of Seizures in File: 2\n"
        "Seizure 1 Start Time: 10 seconds\nSeizure 1 End Time: 20 seconds\n"
        "Seizure 2 Start Time: 9196 seconds\nSeizure 1 End Time: 9267 seconds\n"
    )
    m = parse_summary(write(tmp_path, text))
    assert m.recordings[0].seizures[1].offset_s == 9267
    assert "line 17" in m.notes[0] and "numbered 1" in m.notes[0]


def test_no_times_and_records_only_files(tmp_path):
    text = summary(
        file_block("chb90_01.edf", seizures=[(480, 505)]),
        file_block("chb90_03.edf", seizures=[(1745, 1764)]),
        file_block("chb90_04.edf", seizures=[(1745, 1764)]),
    )
    records = ["chb90_01.edf", "chb90_02.edf", "chb90_03.edf", "chb90_04.edf", "chb90_05.edf"]
    m = parse_summary(write(tmp_path, text), records=records)
    assert [r.file_name for r in m] == [
        "chb90_01.edf",
        "chb90_03.edf",
        "chb90_04.edf",
        "chb90_02.edf",
        "chb90_05.edf",
    ]
    assert all(r.start_clock_s is None and r.end_clock_s is None for r in m)
    assert m.recording("chb90_05.edf").channels == CH3
    assert any("chb90_02.edf, chb90_05.edf" in n for n in m.notes)
    assert any("1745-1764 s is listed in chb90_03.edf and chb90_04.edf" in n for n in m.notes)
    assert m.n_seizures == 3


def test_crlf_and_trailing_spaces(tmp_path):
    text = summary(file_block("x_01.edf", "10:00:00", "11:00:00", [(1, 2)]))
    text = "\r\n".join(line + "  " for line in text.split("\n"))
    m = parse_summary(write(tmp_path, text))
    assert m.recordings[0].seizures[0].offset_s == 2


# ------------------------------------------------------------------ synthetic: errors
def _error(tmp_path, text) -> str:
    with pytest.raises(ManifestError) as info:
        parse_summary(write(tmp_path, text))
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith("chb90-summary.txt")
    return msg


def test_truncated_seizure_count(tmp_path):
    text = summary(file_block("x_01.edf", "10:00:00", "11:00:00", [(10, 20)])).replace(
        "Number of Seizures in File: 1", "Number of Seizures in File: 2"
    )
    msg = _error(tmp_path, text)
    assert "expected 'Seizure Start Time'" in msg and "end of file" in msg
    text2 = text + file_block("x_02.edf", "11:00:05", "12:00:05")
    msg2 = _error(tmp_path, text2)
    lineno = text2.splitlines().index("File Name: x_02.edf") + 1
    assert f"line {lineno}: expected 'Seizure Start Time'" in msg2


def test_seizure_end_before_start(tmp_path):
    text = summary(file_block("x_01.edf", "10:00:00", "11:00:00", [(30, 20)]))
    msg = _error(tmp_path, text)
    lineno = text.splitlines().index("Seizure End Time: 20 seconds") + 1
    assert f"line {lineno}:" in msg and "not after its start" in msg


def test_seizure_beyond_file_end(tmp_path):
    """Reported at the seizure's own line (its end time here), not at the file's 'File Name' line."""
    text = summary(file_block("x_01.edf", "10:00:00", "11:00:00", [(100, 200), (3500, 3601)]))
    msg = _error(tmp_path, text)
    lineno = text.splitlines().index("Seizure End Time: 3601 seconds") + 1
    assert (
        f"chb90-summary.txt line {lineno}: seizure ends at 3601 s, beyond the end of x_01.edf (3600 s long)"
        in msg
    )


def test_seizure_starting_beyond_file_end_is_reported_at_its_start_line(tmp_path):
    text = summary(file_block("x_01.edf", "10:00:00", "11:00:00", [(3700, 3710)]))
    lineno = text.splitlines().index("Seizure Start Time: 3700 seconds") + 1
    assert f"line {lineno}: seizure starts at 3700 s, beyond the end of x_01.edf" in _error(tmp_path, text)


@pytest.mark.parametrize(
    "name", ["../x_01.edf", "sub/x_01.edf", "a\\b.edf", "x..edf", "x 01.edf", "x_01.txt"]
)
def test_bad_file_names(tmp_path, name):
    msg = _error(tmp_path, summary(file_block(name, "10:00:00", "11:00:00")))
    assert "invalid file name" in msg and "line 10" in msg


def test_duplicate_file_name(tmp_path):
    text = summary(
        file_block("x_01.edf", "10:00:00", "11:00:00"), file_block("x_01.edf", "11:00:05", "12:00:05")
    )
    assert "duplicate file name 'x_01.edf' (first at line 10)" in _error(tmp_path, text)


@pytest.mark.parametrize("bad", ["10:61:00", "10:00", "ab:cd:ef", "10:00:60", "1000:00:00"])
def test_malformed_times(tmp_path, bad):
    msg = _error(tmp_path, summary(file_block("x_01.edf", bad, "11:00:00")))
    assert "line 11: malformed time" in msg


def test_other_structural_errors(tmp_path):
    assert "line 1: expected 'Data Sampling Rate" in _error(tmp_path, "hello\n")
    no_channels = "Data Sampling Rate: 256 Hz\n\n" + file_block("x_01.edf", "10:00:00", "11:00:00")
    assert "expected 'Channels in EDF Files:'" in _error(tmp_path, no_channels)
    skipped = summary(file_block("x_01.edf", "10:00:00", "11:00:00")).replace("Channel 2:", "Channel 3:")
    assert "expected 'Channel 2:'" in _error(tmp_path, skipped)
    assert "expected at least one 'File Name'" in _error(tmp_path, summary())
    same = summary(file_block("x_01.edf", "10:00:00", "10:00:00"))
    assert "end time equals its start" in _error(tmp_path, same)
    garbage = summary(file_block("x_01.edf", "10:00:00", "11:00:00")) + "what is this\n"
    assert "expected 'File Name' or 'Channels changed:'" in _error(tmp_path, garbage)
    assert "sampling rate must be positive" in _error(
        tmp_path, summary(file_block("x.edf", "1:00:00", "2:00:00"), rate="0")
    )


def test_missing_file_and_unknown_case(tmp_path):
    with pytest.raises(ManifestError, match="no such summary file"):
        parse_summary(tmp_path / "nope-summary.txt")
    with pytest.raises(ManifestError, match=r"Unknown case 'chb99': known cases are chb01, chb02"):
        load_manifest("chb99")


# ------------------------------------------------------------------ load_patient with EDF headers
def _write_edf(path: Path, start: datetime, n_s: int, labels=CH3) -> None:
    from seizurepred.io.edf_write import write_edf

    write_edf(path, np.zeros((len(labels), 4 * n_s), dtype=np.int16), labels=labels, sfreq=4, start=start)


def test_load_patient_fills_times_from_edf_headers(tmp_path):
    case_dir = tmp_path / "chb90"
    case_dir.mkdir()
    write(case_dir, summary(file_block("chb90_01.edf", seizures=[(10, 20)]), file_block("chb90_03.edf"), rate="4"))
    t0 = datetime(2090, 5, 1, 23, 50, 0)
    _write_edf(case_dir / "chb90_01.edf", t0, 300)
    _write_edf(case_dir / "chb90_02.edf", t0 + timedelta(seconds=305), 100, labels=("FP1-F7", "ECG"))
    _write_edf(case_dir / "chb90_03.edf", t0 + timedelta(days=1, seconds=5), 60)
    (tmp_path / "RECORDS").write_text("chb90/chb90_01.edf\nchb90/chb90_04.edf\n")  # 04 listed but absent
    m = load_patient(tmp_path, "chb90")
    assert [r.file_name for r in m] == ["chb90_01.edf", "chb90_03.edf", "chb90_04.edf", "chb90_02.edf"]
    clock = {r.file_name: (r.start_clock_s, r.end_clock_s) for r in m}
    base = 23 * 3600 + 50 * 60
    assert clock["chb90_01.edf"] == (base, base + 300)
    assert clock["chb90_02.edf"] == (base + 305, base + 405)
    assert clock["chb90_03.edf"] == (base + 86405, base + 86465)
    assert clock["chb90_04.edf"] == (None, None)
    assert m.recording("chb90_02.edf").channels == ("FP1-F7", "ECG")
    assert any("chb90_04.edf" in n and "no EDF file" in n for n in m.notes)
    assert m.seizures[0].onset_clock_s == base + 10


def test_load_patient_anchors_header_times_on_summary_clock(tmp_path):
    case_dir = tmp_path / "chb91"
    case_dir.mkdir()
    write(case_dir, summary(file_block("chb91_01.edf", "23:00:00", "23:01:40"), rate="4"), "chb91-summary.txt")
    t0 = datetime(2090, 5, 1, 23, 0, 0)
    _write_edf(case_dir / "chb91_01.edf", t0, 100)
    _write_edf(case_dir / "chb91_02.edf", t0 + timedelta(hours=2), 50)
    m = load_patient(tmp_path, "chb91")
    assert m.recording("chb91_02.edf").start_clock_s == 23 * 3600 + 7200
    assert m.recording("chb91_02.edf").end_clock_s == 23 * 3600 + 7250


def test_load_patient_seizure_beyond_header_end(tmp_path):
    """chb24-like (no summary times): the header's length judges the seizure, reported at the seizure's line."""
    case_dir = tmp_path / "chb92"
    case_dir.mkdir()
    text = summary(file_block("chb92_01.edf", seizures=[(50, 120)]), rate="4")
    write(case_dir, text, "chb92-summary.txt")
    _write_edf(case_dir / "chb92_01.edf", datetime(2090, 1, 1, 8), 100)
    lineno = text.splitlines().index("Seizure End Time: 120 seconds") + 1
    msg = (
        rf"chb92-summary.txt line {lineno}: seizure ends at 120 s, beyond the end of chb92_01.edf "
        r"\(100 s long per its EDF header\)"
    )
    with pytest.raises(ManifestError, match=msg):
        load_patient(tmp_path, "chb92")


def test_load_patient_bad_case(tmp_path):
    with pytest.raises(ConfigError, match=r"Invalid value for 'case': .*; got '\.\./etc'\."):
        load_patient(tmp_path, "../etc")
    with pytest.raises(ManifestError, match="no such summary file"):
        load_patient(tmp_path, "chb01")


# ------------------------------------------------------------------ the 24 real summaries
def _all_real(chbmit_dir):
    return {p.name[:5]: parse_summary(p) for p in sorted((chbmit_dir / "summaries").glob("*-summary.txt"))}


def test_real_summaries_totals(chbmit_dir):
    ms = _all_real(chbmit_dir)
    assert len(ms) == 24
    files = sum(len(m) for m in ms.values())
    with_sz = sum(bool(r.seizures) for m in ms.values() for r in m)
    n_sz = sum(m.n_seizures for m in ms.values())
    assert (files, with_sz, n_sz) == (676, 141, 198)  # chb24's 10 RECORDS-only files come from RECORDS
    first23 = [m for c, m in ms.items() if c != "chb24"]
    assert sum(len(m) for m in first23) == 664
    assert sum(bool(r.seizures) for m in first23 for r in m) == 129
    assert sum(m.n_seizures for m in first23) == 182


def test_real_summaries_against_independent_regex_reading(chbmit_dir):
    """Seizure times and file names equal a plain regex scan of the text; clocks never go backwards."""
    for case, m in _all_real(chbmit_dir).items():
        text = (chbmit_dir / "summaries" / f"{case}-summary.txt").read_text()
        names = re.findall(r"^File Name:\s*(\S+)", text, flags=re.M)
        on = [float(x) for x in re.findall(r"^Seizure.*Start Time:\s*(\d+)", text, flags=re.M)]
        off = [float(x) for x in re.findall(r"^Seizure.*End Time:\s*(\d+)", text, flags=re.M)]
        assert [r.file_name for r in m] == names
        assert [s.onset_s for r in m for s in r.seizures] == on
        assert [s.offset_s for r in m for s in r.seizures] == off
        timed = [r for r in m if r.has_times]
        for a, b in zip(timed, timed[1:]):
            assert b.start_clock_s >= a.end_clock_s, (case, b.file_name)
        for r in timed:
            assert 0 < r.duration_s <= 4 * 3600 + 60 and all(s.offset_s <= r.duration_s for s in r.seizures)


def test_real_quirks(chbmit_dir):
    ms = _all_real(chbmit_dir)
    day = 86400
    chb01 = ms["chb01"]
    assert chb01.recordings[0].start_clock_s == 11 * 3600 + 42 * 60 + 54
    r13 = chb01.recording("chb01_13.edf")
    assert (r13.start_clock_s, r13.end_clock_s) == (23 * 3600 + 44 * 60 + 29, day + 44 * 60 + 29)  # 24:44:29
    chb07 = ms["chb07"]
    r10 = chb07.recording("chb07_10.edf")
    assert r10.end_clock_s - r10.start_clock_s == 4 * 3600 and r10.end_clock_s % day == 3 * 3600 + 46 * 60 + 6
    chb04 = ms["chb04"]
    assert chb04.recording("chb04_03.edf").start_clock_s == day + 2 * 3600 + 2 * 60 + 23
    assert len({r.channels for r in ms["chb13"]}) == 3 and len({r.channels for r in ms["chb12"]}) == 4
    assert ms["chb12"].recording("chb12_28.edf").channels[8] == "01"
    assert ms["chb12"].recording("chb12_27.edf").seizures[0].offset_s == 951  # "End Time:  951"
    assert all(not r.has_times for r in ms["chb24"]) and len(ms["chb24"]) == 12
    assert ms["chb02"].recording("chb02_16+.edf").start_clock_s is not None
    assert any("chb03_25.edf" in n for n in ms["chb03"].notes)
    assert ms["chb11"].recording("chb11_99.edf").seizures[0].duration_s == 752
