"""Property test: mutated summaries never raise anything but ManifestError (and parse to sane manifests)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seizurepred.errors import ManifestError
from seizurepred.io.summary import parse_summary_text

BASE = """Data Sampling Rate: 256 Hz
*************************

Channels in EDF Files:
**********************
Channel 1: FP1-F7
Channel 2: F7-T7
Channel 3: T8-P8

File Name: chb90_01.edf
File Start Time: 23:44:29
File End Time: 24:44:29
Number of Seizures in File: 2
Seizure 1 Start Time: 916 seconds
Seizure 1 End Time:  951 seconds
Seizure Start Time: 1097 seconds
Seizure End Time: 1124 seconds

Channels changed:
*****************
Channel 1: F7
Channel 2: -
Channel 3: 01

File Name: chb90_02.edf
File Start Time: 00:44:36
File End Time: 4:44:36
Number of Seizures in File: 1
Seizure Start Time: 7804 seconds
Seizure End Time: 7853 seconds

File Name: chb90_03.edf
Number of Seizures in File: 0
"""

LINES = BASE.splitlines()
GARBAGE = st.sampled_from(
    [
        "",
        "File Name: ../x.edf",
        "File Name: chb90_01.edf",
        "Seizure Start Time: 5 seconds",
        "Seizure 9 End Time: -3 seconds",
        "Number of Seizures in File: 99",
        "Channels changed:",
        "Channel 1:",
        "File Start Time: 99:99:99",
        "\x00\x01",
        "***",
    ]
) | st.text(max_size=30)


@st.composite
def mutated(draw):
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "digit", "insert"]))
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "digit":
            digits = [k for k, c in enumerate(lines[i]) if c.isdigit()]
            if digits:
                k = draw(st.sampled_from(digits))
                new = draw(st.sampled_from("0123456789"))
                lines[i] = lines[i][:k] + new + lines[i][k + 1 :]
        else:
            lines.insert(i, draw(GARBAGE))
    return "\n".join(lines) + "\n"


def test_base_parses():
    m = parse_summary_text(BASE, source="chb90-summary.txt")
    assert len(m) == 3 and m.n_seizures == 3


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_summaries_only_raise_manifest_error(text):
    try:
        m = parse_summary_text(text, source="chb90-summary.txt", records=["chb90_01.edf", "chb90_04.edf"])
    except ManifestError as exc:
        msg = str(exc)
        assert "\n" not in msg and msg.startswith("chb90-summary.txt")
        return
    # whatever parses is internally consistent
    timed = [r for r in m if r.has_times]
    for a, b in zip(timed, timed[1:]):
        assert b.start_clock_s >= a.end_clock_s
    for r in m:
        assert all(0 <= s.onset_s < s.offset_s for s in r.seizures)
        if r.has_times:
            assert all(s.offset_s <= r.duration_s for s in r.seizures)
    assert len({r.file_name for r in m}) == len(m)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_only_raises_manifest_error(text):
    try:
        parse_summary_text(text, source="x-summary.txt")
    except ManifestError:
        pass
