"""load_patient checks each present file's summary duration and seizures against its EDF header.

Beyond DURATION_TOLERANCE_S (5 s) the header's duration wins, with one ManifestWarning naming the summary line,
the file and both values (also kept as a manifest note); a seizure beyond a file's real end is a ManifestError at
the seizure's own summary line, raised by load_patient instead of failing deep inside a sweep.
"""

from __future__ import annotations

import warnings
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from seizurepred.errors import ManifestError, ManifestWarning
from seizurepred.io.edf_write import write_edf
from seizurepred.io.summary import load_patient
from seizurepred.io.summary_edf import DURATION_TOLERANCE_S

CH3 = ("FP1-F7", "F7-T7", "T8-P8")
CASE = "chb94"
DAY = datetime(2090, 3, 1)


def _summary(*blocks: str) -> str:
    head = "Data Sampling Rate: 4 Hz\n***\n\nChannels in EDF Files:\n***\n"
    return head + "".join(f"Channel {i}: {c}\n" for i, c in enumerate(CH3, 1)) + "\n" + "".join(blocks)


def _block(name: str, start: str, end: str, seizures=()) -> str:
    lines = [f"File Name: {name}", f"File Start Time: {start}", f"File End Time: {end}"]
    lines.append(f"Number of Seizures in File: {len(seizures)}")
    for on, off in seizures:
        lines += [f"Seizure Start Time: {on} seconds", f"Seizure End Time: {off} seconds"]
    return "\n".join(lines) + "\n\n"


def _patient(root: Path, text: str, files: dict[str, tuple[str, int]]) -> str:
    """Write the summary and tiny EDF files (4 Hz, 3 channels): name -> (start 'hh:mm:ss', seconds)."""
    case_dir = root / CASE
    case_dir.mkdir(parents=True)
    (case_dir / f"{CASE}-summary.txt").write_text(text)
    for name, (start, n_s) in files.items():
        h, m, s = (int(x) for x in start.split(":"))
        write_edf(case_dir / name, np.zeros((3, 4 * n_s), dtype=np.int16), labels=CH3, sfreq=4,
                  start=DAY.replace(hour=h, minute=m, second=s))  # fmt: skip
    return text


def _line(text: str, exact: str) -> int:
    return text.splitlines().index(exact) + 1


def test_header_duration_wins_beyond_tolerance_with_one_warning(tmp_path):
    """A summary end time that wraps a 558-s file to 23.9 h: the header's 558 s is used, later files follow it."""
    text = _patient(
        tmp_path,
        _summary(
            _block("chb94_01.edf", "10:00:00", "9:54:00"), _block("chb94_02.edf", "10:10:00", "11:10:00")
        ),
        {"chb94_01.edf": ("10:00:00", 558), "chb94_02.edf": ("10:10:00", 3600)},
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = load_patient(tmp_path, CASE)
    ours = [w for w in caught if issubclass(w.category, ManifestWarning)]
    assert len(ours) == 1 and len(caught) == 1
    expected = (
        f"{CASE}-summary.txt line {_line(text, 'File Name: chb94_01.edf')}: chb94_01.edf lasts 86040 s per the "
        "summary but 558 s per its EDF header (558 records of 1 s); the header's duration is used."
    )
    assert str(ours[0].message) == expected
    assert expected in m.notes
    clock = {r.file_name: (r.start_clock_s, r.end_clock_s) for r in m}
    assert clock == {"chb94_01.edf": (36000, 36558), "chb94_02.edf": (36600, 40200)}
    assert m.total_hours == pytest.approx((558 + 3600) / 3600)


def test_disagreement_within_tolerance_keeps_the_summary_silently(tmp_path):
    assert DURATION_TOLERANCE_S == 5.0
    _patient(
        tmp_path,
        _summary(_block("chb94_01.edf", "10:00:00", "11:00:00")),
        {"chb94_01.edf": ("10:00:00", 3595)},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = load_patient(tmp_path, CASE)
    assert (m.recordings[0].start_clock_s, m.recordings[0].end_clock_s) == (36000, 39600)


def test_disagreement_just_beyond_tolerance_warns(tmp_path):
    _patient(
        tmp_path,
        _summary(_block("chb94_01.edf", "10:00:00", "11:00:00")),
        {"chb94_01.edf": ("10:00:00", 3594)},
    )
    with pytest.warns(ManifestWarning, match="lasts 3600 s per the summary but 3594 s per its EDF header"):
        m = load_patient(tmp_path, CASE)
    assert m.recordings[0].end_clock_s == 36000 + 3594


def test_absent_edf_keeps_the_summary_duration(tmp_path):
    _patient(tmp_path, _summary(_block("chb94_01.edf", "10:00:00", "9:54:00")), {})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = load_patient(tmp_path, CASE)
    assert m.recordings[0].duration_s == 86040


def test_seizure_beyond_the_header_end_is_an_error_at_the_seizure_line(tmp_path):
    """The summary says 1 h, the file holds 558 s, the seizure is at 600-650 s: no usable label, so an error now."""
    text = _patient(
        tmp_path,
        _summary(_block("chb94_01.edf", "10:00:00", "11:00:00", [(100, 120), (600, 650)])),
        {"chb94_01.edf": ("10:00:00", 558)},
    )
    line = _line(text, "Seizure Start Time: 600 seconds")
    expected = (
        rf"^{CASE}-summary.txt line {line}: seizure starts at 600 s, beyond the end of chb94_01.edf "
        r"\(558 s long per its EDF header\)$"
    )
    with pytest.warns(ManifestWarning), pytest.raises(ManifestError, match=expected):
        load_patient(tmp_path, CASE)


def test_seizure_end_past_the_header_end_within_tolerance_is_still_an_error(tmp_path):
    """The header is the file's real end: a seizure ending 2 s after it cannot be labelled, whatever the summary."""
    text = _patient(
        tmp_path,
        _summary(_block("chb94_01.edf", "10:00:00", "11:00:00", [(3500, 3599)])),
        {"chb94_01.edf": ("10:00:00", 3597)},
    )
    line = _line(text, "Seizure End Time: 3599 seconds")
    with pytest.raises(
        ManifestError, match=rf"line {line}: seizure ends at 3599 s, beyond the end of chb94_01"
    ):
        load_patient(tmp_path, CASE)


# ------------------------------------------------------------------ start times and rate (the header wins too)
def test_start_time_off_by_an_hour_takes_the_headers_with_one_warning(tmp_path):
    """A file listed an hour late moved its seizure an hour on the patient clock, silently."""
    text = _patient(
        tmp_path,
        _summary(_block("chb94_01.edf", "10:00:00", "10:10:00"),
                 _block("chb94_02.edf", "11:20:00", "11:30:00", [(100, 120)])),  # fmt: skip
        {"chb94_01.edf": ("10:00:00", 600), "chb94_02.edf": ("10:20:00", 600)},
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = load_patient(tmp_path, CASE)
    expected = (
        f"{CASE}-summary.txt line {_line(text, 'File Name: chb94_02.edf')}: chb94_02.edf starts at 11:20:00 per "
        "the summary but at 10:20:00 per its EDF header (3600 s apart); the header's start is used."
    )
    assert [str(w.message) for w in caught] == [expected]
    assert expected in m.notes
    assert m.recording("chb94_02.edf").start_clock_s == 10 * 3600 + 1200
    assert m.seizures[0].onset_clock_s == 10 * 3600 + 1200 + 100


def test_start_time_within_tolerance_and_past_midnight_is_silent(tmp_path):
    """A 24:00:03 start is 00:00:03 of the next day; 4 s off the header is within the tolerance."""
    _patient(
        tmp_path,
        _summary(_block("chb94_01.edf", "23:50:00", "24:00:00"), _block("chb94_02.edf", "24:00:03", "24:10:03")),
        {"chb94_01.edf": ("23:50:00", 600)},
    )
    write_edf(tmp_path / CASE / "chb94_02.edf", np.zeros((3, 4 * 600), dtype=np.int16), labels=CH3, sfreq=4,
              start=datetime(2090, 3, 2, 0, 0, 7))  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = load_patient(tmp_path, CASE)
    assert m.recording("chb94_02.edf").start_clock_s == 86403


def test_summary_rate_other_than_the_headers_takes_the_headers(tmp_path):
    text = _summary(_block("chb94_01.edf", "10:00:00", "10:10:00")).replace("Rate: 4 Hz", "Rate: 256 Hz")
    _patient(tmp_path, text, {"chb94_01.edf": ("10:00:00", 600)})
    with pytest.warns(ManifestWarning) as caught:
        m = load_patient(tmp_path, CASE)
    assert [str(w.message) for w in caught] == [
        f"{CASE}-summary.txt line 1: sampling rate 256 Hz per the summary but 4 Hz per the EDF header of "
        "chb94_01.edf; the headers' rate is used."
    ]
    assert m.sfreq == 4.0


def test_unreadable_records_and_a_device_summary_are_one_line_errors(tmp_path, monkeypatch):
    text = _summary(_block("chb94_01.edf", "10:00:00", "10:10:00"))
    _patient(tmp_path, text, {"chb94_01.edf": ("10:00:00", 600)})
    records = tmp_path / "RECORDS"
    records.write_text(f"{CASE}/chb94_01.edf\n")
    real_open = Path.open

    def no_records(self, *a, **k):
        if self == records:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *a, **k)

    with monkeypatch.context() as m:
        m.setattr(Path, "open", no_records)
        expected = rf"^{records}: cannot read RECORDS \(PermissionError: Permission denied\)\.$"
        with pytest.raises(ManifestError, match=expected):
            load_patient(tmp_path, CASE)
    summary = tmp_path / CASE / f"{CASE}-summary.txt"
    summary.unlink()
    summary.symlink_to("/dev/zero")
    with pytest.raises(ManifestError, match=rf"^{summary}: not a summary file but a character device\.$"):
        load_patient(tmp_path, CASE)
