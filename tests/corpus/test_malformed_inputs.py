"""A corpus of malformed inputs and faults, each run through the real command line.

Every case is built from one small valid synthetic patient (written once per session) by patching a copy of it,
then runs ``seizurepred`` in a subprocess and asserts the documented outcome:

* ``error``: exit status 2, stderr exactly one non-empty line, ``Error: <message>``, the message naming the file
  and line or the parameter (matched against the known text). A ``sweep`` that fails after building its cache
  also prints its one-line cache report (``chb01 cache ...``) and the clean run's warnings; those are allowed,
  except in the case that asks for the quiet form;
* ``warning``: exit status 0, the documented warning line(s) and nothing else new on stderr, and the numbers
  as documented (usually: identical to the clean patient's, because the documented resolution restores them);
* ``same``: a quirk the real data has, or a harmless variant: exit status 0, no message, identical numbers.

No case may print a traceback, and nothing in the case's folder outside its declared output folder may change
(inputs, config, default cache, home). Together these say that no input or fault in the corpus leads to exit 0
with changed numbers and no message. Cases whose fix lies in code being rewritten elsewhere are strict xfails.

Speed: every case's command runs in a child forked from one process that has imported the command line once
(:class:`_builders.Zygote`); ``SEIZUREPRED_CORPUS_FRESH=1`` starts a fresh interpreter per case instead (about
three times slower). The base patient, the clean sweep, the two-runs test and the concurrency test always use
fresh interpreters.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from _builders import (
    CASE,
    SUMMARY,
    TINY_SWEEP_TOML,
    BasePatient,
    Work,
    Zygote,
    cli_env,
    diff_snapshots,
    edf_channel_index,
    edf_n_signals,
    edf_read_field,
    edf_set,
    line_of,
    lines,
    link_tree,
    private,
    run_cli,
    snapshot,
    summary_blocks,
    table_files,
    truncate_private,
    write_private,
)


# ============================================================================================== session fixtures
@pytest.fixture(scope="session")
def base(tmp_path_factory) -> BasePatient:
    """The valid patient, its cache and its clean ``labels --json`` output; checked unchanged at the end."""
    from seizurepred.synth import generate_patient
    from seizurepred.synth.demo import short_synth_config

    root = tmp_path_factory.mktemp("corpus-base")
    home = root / "home"
    home.mkdir()
    data = root / "data"
    generate_patient(data, config=short_synth_config(hours=8, n_seizures=2))
    b = BasePatient(root=root, data=data, cache=root / "cache", home=home)
    env = cli_env(home, root)
    proc = run_cli(
        ["cache", "-p", CASE, "--data-root", str(data), "--cache-dir", str(b.cache)], cwd=root, env=env
    )
    assert proc.returncode == 0, proc.stderr
    proc = run_cli(["labels", "-p", CASE, "--data-root", str(data), "--json"], cwd=root, env=env)
    assert proc.returncode == 0 and not lines(proc.stderr), proc.stderr
    b.labels_json = proc.stdout
    before = snapshot(data), snapshot(b.cache)
    yield b
    assert diff_snapshots(before[0], snapshot(data)) == [], "a case changed the shared patient"
    assert diff_snapshots(before[1], snapshot(b.cache)) == [], "a case changed the shared cache"


@pytest.fixture(scope="session")
def zygote(base: BasePatient):
    """One process with the command line imported, forking a child per case (see :class:`_builders.Zygote`)."""
    scratch = base.root / "zygote"
    scratch.mkdir()
    z = Zygote(cli_env(base.home, base.root), scratch)
    yield z
    z.close()


def _normalise(text_lines: list[str], out: Path) -> list[str]:
    return [ln.replace(str(out), "<out>") for ln in text_lines]


@pytest.fixture(scope="session")
def clean_run(base: BasePatient) -> BasePatient:
    """The tiny sweep of the valid patient, run once (its tables are the known answer of the run-state cases)."""
    if base.run is None:
        run = base.root / "run-clean"
        cache = link_tree(base.cache, base.root / "cache-run")
        config = base.root / "tiny.toml"
        config.write_text(TINY_SWEEP_TOML, encoding="utf-8")
        args = ["sweep", "-p", CASE, "--data-root", str(base.data), "--config", str(config), "--out", str(run),
                "--cache-dir", str(cache)]  # fmt: skip
        proc = run_cli(args, cwd=base.root, env=cli_env(base.home, base.root))
        assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr
        base.run = run
        base.run_stderr = _normalise(lines(proc.stderr), run)
    return base


# ============================================================================================== the case table
@dataclass(frozen=True)
class Case:
    """One malformed input or fault.

    Attributes
    ----------
    id, category : str
        Name and group (summary, edf, config, name, path, run, cache).
    build : callable
        ``build(work) -> args``: writes the case's inputs into ``work`` and returns the command line.
    expect : {"error", "warning", "same"}
        The documented outcome (see the module docstring).
    message : str or tuple of str
        ``error``: regex the text after ``Error: `` must match in full. ``warning``: one regex per new stderr line,
        in order. Formatted with ``work.vars`` (values regex-escaped) first.
    outputs : tuple of str
        Paths (relative to the work folder) the command may write.
    check : callable or None
        ``check(work, proc)``: more assertions (the numbers).
    inject : str, callable or None
        Python run in the CLI's process before the command (a simulated fault); a callable ``inject(work)`` gives it
        once the case is built (when it names the case's own paths).
    needs_run : bool
        Needs the clean tiny sweep (its stderr is the baseline of ``warning`` and ``same``).
    xfail : str or None
        Reason of a known failure whose fix lies elsewhere (strict).
    quiet_only_error : bool
        A failing ``sweep -q`` must print the error line only (by default its cache report line is allowed).
    """

    id: str
    category: str
    build: Callable[[Work], list[str]]
    expect: str
    message: str | tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    check: Callable[[Work, subprocess.CompletedProcess], None] | None = None
    inject: str | Callable[[Work], str | None] | None = None
    needs_run: bool = False
    xfail: str | None = None
    quiet_only_error: bool = False


CASES: list[Case] = []


def case(id: str, category: str, expect: str, message=(), **kw) -> Callable:
    """Decorator registering a builder as a corpus case."""

    def register(build: Callable[[Work], list[str]]) -> Callable[[Work], list[str]]:
        CASES.append(Case(id, category, build, expect, message, **kw))
        return build

    return register


def _labels(work: Work, *extra: str) -> list[str]:
    return ["labels", "-p", CASE, "--data-root", str(work.root / "data"), "--json", *extra]


def _cache(work: Work, *extra: str) -> list[str]:
    return ["cache", "-p", CASE, "--data-root", str(work.root / "data"), "--cache-dir", str(work.root / "cache"),
            *extra]  # fmt: skip


def _summary_edit(work: Work, old: str, new: str, *, count: int = 1) -> str:
    """Replace ``old`` by ``new`` in the case's summary (``old`` must occur); returns the new text."""
    text = work.summary().read_text(encoding="utf-8")
    assert old in text, old
    text = text.replace(old, new, count)
    work.patch_summary(text)
    return text


def _same_labels(work: Work, proc) -> None:
    """The header wins / the quirk is harmless: the numbers equal the clean patient's."""
    got, want = json.loads(proc.stdout), json.loads(work.base.labels_json)
    assert {k: v for k, v in got.items() if k != "notes"} == {k: v for k, v in want.items() if k != "notes"}


# ---------------------------------------------------------------------------------------------- summaries
@case("missing-file-start-time", "summary", "error",
      r"{summary} line {line}: expected 'Number of Seizures in File', got 'File End Time: 19:31:48'")  # fmt: skip
def _(work):
    work.data()
    text = _summary_edit(work, "File Start Time: 18:31:48\n", "")
    work.vars.update(summary=SUMMARY, line=line_of(text, "File End Time: 19:31:48"))
    return _labels(work)


@case("bad-clock-minutes", "summary", "error",
      r"{summary} line {line}: malformed time '18:61:48' \(minutes and seconds must be below 60\)")  # fmt: skip
def _(work):
    work.data()
    text = _summary_edit(work, "File Start Time: 18:31:48", "File Start Time: 18:61:48")
    work.vars.update(summary=SUMMARY, line=line_of(text, "18:61:48"))
    return _labels(work)


@case("bad-clock-format", "summary", "error",
      r"{summary} line {line}: malformed time '7pm' \(expected h:mm:ss\)")  # fmt: skip
def _(work):
    work.data()
    text = _summary_edit(work, "File End Time: 19:31:48", "File End Time: 7pm")
    work.vars.update(summary=SUMMARY, line=line_of(text, "7pm"))
    return _labels(work)


@case("seizure-end-before-start", "summary", "error",
      r"{summary} line {line}: seizure end 1000 s is not after its start 1087 s in chb01_04\.edf")  # fmt: skip
def _(work):
    work.data()
    text = _summary_edit(work, "Seizure End Time: 1162 seconds", "Seizure End Time: 1000 seconds")
    work.vars.update(summary=SUMMARY, line=line_of(text, "Seizure End Time: 1000"))
    return _labels(work)


@case("seizure-outside-file", "summary", "error",
      r"{summary} line {line}: seizure starts at 2000 s, beyond the end of chb01_04\.edf "
      r"\(1370 s long per its EDF header\)")  # fmt: skip
def _(work):
    work.data()
    _summary_edit(work, "Seizure Start Time: 1087 seconds", "Seizure Start Time: 2000 seconds")
    text = _summary_edit(work, "Seizure End Time: 1162 seconds", "Seizure End Time: 2050 seconds")
    work.vars.update(summary=SUMMARY, line=line_of(text, "Seizure Start Time: 2000"))
    return _labels(work)


@case("seizure-outside-file-no-edf", "summary", "error",
      r"{summary} line {line}: seizure ends at 1400 s, beyond the end of chb01_04\.edf \(1370 s long\)")  # fmt: skip
def _(work):
    """The file is absent: the summary's own clock times decide."""
    work.data()
    text = _summary_edit(work, "Seizure End Time: 1162 seconds", "Seizure End Time: 1400 seconds")
    os.unlink(work.edf("chb01_04.edf"))
    work.vars.update(summary=SUMMARY, line=line_of(text, "Seizure End Time: 1400"))
    return _labels(work)


@case("duplicate-file-name", "summary", "error",
      r"{summary} line {line}: duplicate file name 'chb01_02\.edf' \(first at line {first}\)")  # fmt: skip
def _(work):
    work.data()
    text = _summary_edit(work, "File Name: chb01_03.edf", "File Name: chb01_02.edf")
    work.vars.update(
        summary=SUMMARY, first=line_of(text, "chb01_02.edf"), line=line_of(text, "chb01_02.edf", nth=2)
    )
    return _labels(work)


@case("unknown-line", "summary", "error",
      r"{summary} line {line}: expected 'File Name' or 'Channels changed:', got 'Recording Notes: FP1 loose'")  # fmt: skip
def _(work):
    work.data()
    text = _summary_edit(
        work, "File Name: chb01_03.edf", "Recording Notes: FP1 loose\nFile Name: chb01_03.edf"
    )
    work.vars.update(summary=SUMMARY, line=line_of(text, "Recording Notes"))
    return _labels(work)


@case("non-utf8-garbage", "summary", "error",
      r"{summary} line {line}: not UTF-8 text \(byte 0xff at column 1\)\.")  # fmt: skip
def _(work):
    work.data()
    raw = work.base.summary_text.encode()
    at = raw.index(b"File Name: chb01_03.edf")
    work.patch_summary(raw[:at] + b"\xff\xfe\x00\x81garbage\n" + raw[at:])
    work.vars.update(summary=str(work.summary()), line=raw[:at].count(b"\n") + 1)
    return _labels(work)


@case("non-ascii-line", "summary", "error",
      r"{summary} line {line}: expected 'File Name' or 'Channels changed:', got 'Fîlé Nàme: ☃\.edf'")  # fmt: skip
def _(work):
    work.data()
    text = _summary_edit(work, "File Name: chb01_03.edf", "Fîlé Nàme: ☃.edf\nFile Name: chb01_03.edf")
    work.vars.update(summary=SUMMARY, line=line_of(text, "Fîlé"))
    return _labels(work)


@case("empty-summary", "summary", "error",
      r"{summary} line 1 \(end of file\): expected 'Data Sampling Rate: N Hz', got end of file \(truncated summary\?\)")  # fmt: skip
def _(work):
    work.data()
    work.patch_summary("")
    work.vars.update(summary=SUMMARY)
    return _labels(work)


@case("truncated-summary", "summary", "error",
      r"{summary} line {line} \(end of file\): expected 'Seizure End Time', got end of file \(truncated summary\?\)")  # fmt: skip
def _(work):
    work.data()
    text = work.base.summary_text
    cut = text[: text.index("Seizure Start Time: 1087 seconds") + len("Seizure Start Time: 1087 seconds\n")]
    work.patch_summary(cut)
    work.vars.update(summary=SUMMARY, line=len(cut.splitlines()) + 1)
    return _labels(work)


@case("truncated-summary-mid-line", "summary", "error",
      r"{summary} line {line}: malformed time '20:3' \(expected h:mm:ss\)")  # fmt: skip
def _(work):
    work.data()
    text = work.base.summary_text
    cut = text[: text.index("File Start Time: 20:32:00") + len("File Start Time: 20:3")]
    work.patch_summary(cut)
    work.vars.update(summary=SUMMARY, line=len(cut.splitlines()))
    return _labels(work)


@case("seizure-count-exceeds-lines", "summary", "error",
      r"{summary} line {line}: expected 'Seizure Start Time', got 'File Name: chb01_05\.edf'")  # fmt: skip
def _(work):
    work.data()
    text = _summary_edit(work, "Number of Seizures in File: 1", "Number of Seizures in File: 2")
    work.vars.update(summary=SUMMARY, line=line_of(text, "File Name: chb01_05.edf"))
    return _labels(work)


@case("file-name-is-a-path", "summary", "error",
      r"{summary} line {line}: invalid file name '\.\./\.\./etc/chb01_03\.edf' \(expected a bare name like 'chb01_03\.edf'\)\.")  # fmt: skip
def _(work):
    work.data()
    text = _summary_edit(work, "File Name: chb01_03.edf", "File Name: ../../etc/chb01_03.edf")
    work.vars.update(summary=SUMMARY, line=line_of(text, "../../etc"))
    return _labels(work)


@case("zero-sampling-rate", "summary", "error",
      r"{summary} line 1: sampling rate must be positive, got 0 Hz")  # fmt: skip
def _(work):
    work.data()
    _summary_edit(work, "Data Sampling Rate: 256 Hz", "Data Sampling Rate: 0 Hz")
    work.vars.update(summary=SUMMARY)
    return _labels(work)


@case("channel-numbering-gap", "summary", "error",
      r"{summary} line {line}: expected 'Channel 3:', got 'Channel 4: T7-P7'")  # fmt: skip
def _(work):
    work.data()
    text = _summary_edit(work, "Channel 3: T7-P7", "Channel 4: T7-P7")
    work.vars.update(summary=SUMMARY, line=line_of(text, "Channel 4: T7-P7"))
    return _labels(work)


@case("summary-missing", "summary", "error", r"{summary}: no such summary file\.")
def _(work):
    work.data()
    os.unlink(work.summary())
    work.vars.update(summary=str(work.summary()))
    return _labels(work)


@case("summary-is-a-folder", "summary", "error",
      r"{summary}: cannot read summary \(IsADirectoryError: .*\)\.")  # fmt: skip
def _(work):
    work.data()
    os.unlink(work.summary())
    work.summary().mkdir()
    work.vars.update(summary=str(work.summary()))
    return _labels(work)


@case("summary-disagrees-with-header", "summary", "warning",
      (r"WARNING seizurepred: ManifestWarning: {summary} line {line}: chb01_03\.edf lasts 1800 s per the summary "
       r"but 3600 s per its EDF header \(3600 records of 1 s\); the header's duration is used\.",),
      check=_same_labels)  # fmt: skip
def _(work):
    """Header wins: chb01_03 holds preictal data of the seizure in chb01_04, so a shorter file would change it."""
    work.data()
    text = _summary_edit(work, "File End Time: 20:31:54", "File End Time: 20:01:54")
    work.vars.update(summary=SUMMARY, line=line_of(text, "File Name: chb01_03.edf"))
    return _labels(work)


@case("files-out-of-order", "summary", "warning",
      (r"WARNING seizurepred: ManifestWarning: {summary} line {line}: the summary's file order puts 6 file\(s\) on "
       r"another day than their EDF headers \(relative to chb01_01\.edf\), moved to the headers' day: chb01_02\.edf "
       r"\(-1 d\), chb01_04\.edf \(-1 d\), chb01_05\.edf \(-1 d\), chb01_06\.edf \(-1 d\), chb01_07\.edf \(-1 d\) and 1 "
       r"more\.",),
      check=_same_labels)  # fmt: skip
def _(work):
    """chb01_03 listed before chb01_02: the roll-over rule put chb01_02 and every later file a day late (the seizure
    of chb01_04 lost 70 % of its preictal period and the patient became eligible, silently); the headers' days win."""
    work.data()
    head, blocks = summary_blocks(work.base.summary_text)
    blocks[1], blocks[2] = blocks[2], blocks[1]
    text = head + "".join(blocks)
    work.patch_summary(text)
    work.vars.update(summary=SUMMARY, line=line_of(text, "File Name: chb01_02.edf"))
    return _labels(work)


@case("quirks-crlf-spacing-numbered-seizures", "summary", "same", check=_same_labels)
def _(work):
    """CRLF line ends, chb12's extra spaces, chb04's numbered seizure lines: the real formats."""
    work.data()
    text = work.base.summary_text
    text = text.replace("Seizure Start Time: 1087", "Seizure 1 Start Time:    1087").replace(
        "Seizure End Time: 1162", "Seizure 1 End Time:  1162"
    )
    work.patch_summary(text.replace("\n", "\r\n"))
    return _labels(work)


# ---------------------------------------------------------------------------------------------- EDF headers
def _edf_error(message: str) -> str:
    return r"{edf}: " + message


@case("edf-truncated-header", "edf", "error",
      _edf_error(r"truncated header \(1000 bytes; 23 signals need 6144\)\."))  # fmt: skip
def _(work):
    work.data()
    truncate_private(work.edf("chb01_02.edf"), 1000)
    work.vars.update(edf=str(work.edf("chb01_02.edf")))
    return _labels(work)


def _edf_field_case(id: str, field: str, value: str, message: str, channel: int | None = None) -> None:
    """A case whose ``chb01_02.edf`` has header ``field`` (of ``channel``) set to ``value``; ``labels`` reads it."""

    def build(work: Work) -> list[str]:
        work.data()
        edf = work.edf("chb01_02.edf")
        edf_set(edf, field, value, **({} if channel is None else {"channel": channel}))
        work.vars.update(edf=str(edf))
        return _labels(work)

    CASES.append(Case(id, "edf", build, "error", message))


_edf_field_case("edf-wrong-version", "version", "1",
                _edf_error(r"not an EDF file \(version field b'1       ', expected '0'\)\."))  # fmt: skip
_edf_field_case("edf-zero-signals", "n_signals", "0",
                _edf_error(r"header states 0 signals; expected at least 1\."))  # fmt: skip
_edf_field_case("edf-non-numeric-records", "n_records", "ten",
                _edf_error(r"header field 'number of data records' is not a number: 'ten'\."))  # fmt: skip
_edf_field_case("edf-non-numeric-physical-min", "physical_min", "-8OO",
                _edf_error(r"header field 'physical_min' is not a number: '-8OO'\."), channel=4)  # fmt: skip
_edf_field_case("edf-bad-start-date", "start_date", "31.02.90",
                _edf_error(r"header start date/time is invalid \(day is out of range for month\)\."))  # fmt: skip
_edf_field_case("edf-zero-record-duration", "record_duration", "0",
                _edf_error(r"header states a record duration of 0\.0 s; expected > 0\."))  # fmt: skip


@case("edf-empty-file", "edf", "error",
      _edf_error(r"not an EDF file \(only 0 bytes, the header needs 256\)\."))  # fmt: skip
def _(work):
    work.data()
    write_private(work.edf("chb01_02.edf"), b"")
    work.vars.update(edf=str(work.edf("chb01_02.edf")))
    return _labels(work)


_edf_field_case("edf-discontinuous", "reserved", "EDF+D",
                _edf_error(r"discontinuous EDF\+ \(EDF\+D\) is not supported\."))  # fmt: skip


@case("edf-flat-requested-channel", "edf", "error",
      _edf_error(r"channel 5 'FP1-F3': physical_min equals physical_max \(800 uV\), so every sample would read "
                 r"as that value; expected a positive gain \(physical_min < physical_max, digital_min < digital_max\)\."),
      outputs=("cache",))  # fmt: skip
def _(work):
    work.mini()
    path = work.edf("chb01_01.edf")
    assert edf_channel_index(path, "FP1-F3") == 4
    edf_set(path, "physical_min", "800", channel=4)
    work.vars.update(edf=str(path))
    return _cache(work)


@case("edf-swapped-digital-range", "edf", "error",
      _edf_error(r"channel 2 'F7-T7': digital_min > digital_max \(physical -800\.\.800 uV, digital 2047\.\.-2048\), "
                 r"so the signal would be read inverted; expected a positive gain .*"),
      outputs=("cache",))  # fmt: skip
def _(work):
    work.mini()
    path = work.edf("chb01_01.edf")
    lo, hi = edf_read_field(path, "digital_min", 1), edf_read_field(path, "digital_max", 1)
    assert (lo, hi) == ("-2048", "2047")
    edf_set(path, "digital_min", hi, channel=1)
    edf_set(path, "digital_max", lo, channel=1)
    work.vars.update(edf=str(path))
    return _cache(work)


@case("edf-requested-channel-missing", "edf", "error",
      _edf_error(r"missing 1 of 22 requested channels: FP1-F7\."), outputs=("cache",))  # fmt: skip
def _(work):
    work.mini()
    path = work.edf("chb01_01.edf")
    edf_set(path, "label", "FP1-XX", channel=0)
    work.vars.update(edf=str(path))
    return _cache(work, "--on-missing", "raise")


def _one_record_less(work: Work, proc) -> None:
    import numpy as np

    (entry,) = (work.root / "cache" / CASE).glob("*/chb01_01.npy")
    assert np.load(entry, mmap_mode="r").shape == (23, 3599 * 256)


@case("edf-data-shorter-than-header", "edf", "warning",
      (r"WARNING seizurepred: EDFWarning: {edf}: header states 3600 data records but the file holds a truncated "
       r"last data record \(11676 of 11776 bytes\); kept 3599 whole records\.",),
      outputs=("cache",), check=_one_record_less)  # fmt: skip
def _(work):
    work.mini()
    path = work.edf("chb01_01.edf")
    truncate_private(path, path.stat().st_size - 100)
    work.vars.update(edf=str(path))
    return _cache(work)


@case("edf-header-claims-more-records", "edf", "warning",
      (r"WARNING seizurepred: EDFWarning: {edf}: header states 7200 data records but the file holds only 3600 "
       r"whole data records; kept 3600 whole records\.",),
      check=_same_labels)  # fmt: skip
def _(work):
    work.data()
    edf_set(work.edf("chb01_02.edf"), "n_records", "7200")
    work.vars.update(edf=str(work.edf("chb01_02.edf")))
    return _labels(work)


@case("edf-header-claims-fewer-records", "edf", "warning",
      (r"WARNING seizurepred: EDFWarning: {edf}: header states 1800 data records but the file holds 3600; kept the "
       r"1800 the header states \(1800 records after them are not read\)\.",))  # fmt: skip
def _(work):
    """The summary agrees with the header (1800 s), so only the file size tells that 3600 records are there."""
    work.data()
    edf_set(work.edf("chb01_02.edf"), "n_records", "1800")
    _summary_edit(work, "File End Time: 19:31:48", "File End Time: 19:01:48")
    work.vars.update(edf=str(work.edf("chb01_02.edf")))
    return _labels(work)


@case("edf-unknown-record-count", "edf", "same", check=_same_labels)
def _(work):
    """``n_records = -1`` (allowed while recording): counted from the file size, silently, numbers unchanged."""
    work.data()
    edf_set(work.edf("chb01_02.edf"), "n_records", "-1")
    return _labels(work)


# ---------------------------------------------------------------------------------------------- configs
def _bad_config(toml: str | bytes, *cli: str) -> Callable[[Work], list[str]]:
    def build(work: Work) -> list[str]:
        config = work.config(toml)
        work.vars.update(name=config.name)
        return work.sweep_args(*cli, config=config)

    return build


def _config_case(id: str, toml: str | bytes, message: str, *cli: str, **kw) -> None:
    CASES.append(Case(id, "config", _bad_config(toml, *cli), "error", message, **kw))


_config_case("unknown-table", "[sweeep]\nrepeats = 1\n",
             r"{name}: unknown table \[sweeep\]; allowed \[sweep\], \[label\], \[window\], .*\.")  # fmt: skip
_config_case("unknown-key-sweep", "[sweep]\npreictal_min = 30\n",
             r"{name} \[sweep\]: unknown key 'preictal_min'; allowed .*\.")  # fmt: skip
_config_case("unknown-key-train", "[train]\nepochs = 3\n",
             r"{name} \[train\]: unknown key 'epochs' for TrainConfig; allowed .*\.")  # fmt: skip
_config_case("wrong-type-list", "[sweep]\npreictal_mins = \"30\"\n",
             r"{name} \[sweep\]: 'preictal_mins' must be a list of minutes; got '30'\.")  # fmt: skip
_config_case("wrong-type-epochs", "[train]\nmax_epochs = \"2\"\n",
             r"{name} \[train\]: Invalid value for 'max_epochs': allowed an integer; got '2'\.")  # fmt: skip
_config_case("wrong-type-float-for-int", "[sweep]\nmax_folds = 1.0\n",
             r"{name} \[sweep\]: Invalid value for 'max_folds': allowed an integer; got 1\.0\.")  # fmt: skip
_config_case("wrong-type-bool", "[window]\nbalance = \"yes\"\n",
             r"{name} \[window\]: Invalid value for 'balance': allowed True, False; got 'yes'\.")  # fmt: skip
_config_case("table-not-a-table", "label = 3\n",
             r"{name} \[label\]: expected a table of LabelConfig fields; got int\.")  # fmt: skip
_config_case("preictal-plus-sph-beyond-interictal",
             "[sweep]\npreictal_mins = [200]\n[label]\nsph_min = 60.0\n[alarms]\nsph_min = 60.0\n",
             r"Invalid value for 'preictal_min': allowed preictal_min \+ sph_min <= interictal_before_onset_min "
             r"\(240\); got 200 \+ 60 = 260\.")  # fmt: skip
_config_case("alarm-sph-shorter-than-label-sph", "[label]\nsph_min = 10.0\n[alarms]\nsph_min = 5.0\n",
             r"{name} \[sweep\]: Invalid value for 'alarms\.sph_min': allowed >= label\.sph_min \(10 min: .*\); "
             r"got 5\.")  # fmt: skip
_config_case("negative-epochs", "[train]\nmax_epochs = -1\n",
             r"{name} \[train\]: Invalid value for 'max_epochs': allowed an integer >= 1; got -1\.")  # fmt: skip
_config_case("unknown-model", "[sweep]\nmodel = \"resnet9000\"\n",
             r"{name} \[sweep\]: Invalid value for 'model': allowed .*'small'.*; got 'resnet9000'\.")  # fmt: skip
_config_case("nan-window", "[window]\nwindow_s = nan\n",
             r"{name} \[window\]: Invalid value for 'window_s': allowed a finite number; got nan\.")  # fmt: skip
_config_case("window-longer-than-data", TINY_SWEEP_TOML.replace("[window]\n", "[window]\nwindow_s = 7200.0\n"),
             r"{name} \[sweep\]: Invalid value for 'forecast.horizons_min': allowed >= one window \(\[window\] "
             r"window_s = 7200 s = 120 min\); got 60\.")  # fmt: skip
_config_case("toml-syntax-error", "[sweep\nrepeats = 1\n", r"{config}: invalid TOML: .*")
_config_case("toml-not-utf8", b"[sweep]\nmodel = \"sm\xe4ll\"\n",
             r"{config}: invalid TOML: not UTF-8 text \(byte 0xe4 at line 2, column 12\)\.")  # fmt: skip
_config_case("cli-seed-overflow", TINY_SWEEP_TOML,
             r"Invalid value for 'seed': allowed 0\.\.2147 with 1 repeat\(s\) \(derived training seeds must stay "
             r"below 2\*\*31\); got 2148\.", "--seed", "2148")  # fmt: skip
_config_case("cli-negative-epochs", TINY_SWEEP_TOML,
             r"Invalid value for 'max_epochs': allowed an integer >= 1; got -1\.", "--max-epochs", "-1")  # fmt: skip
_config_case("cli-unknown-model", TINY_SWEEP_TOML,
             r"Invalid value for 'model': allowed .*; got 'nosuch'\.", "--model", "nosuch")  # fmt: skip


@case("labels-preictal-plus-sph-beyond-interictal", "config", "error",
      r"cfg\.toml \[label\]: .*'preictal_min'.*")  # fmt: skip
def _(work):
    work.data()
    config = work.config("[label]\npreictal_min = 200.0\nsph_min = 60.0\n")
    return _labels(work, "--config", str(config))


@case("cache-bad-band", "config", "error", r"cfg\.toml \[preprocess\]: .*'h_freq_hz'.*", outputs=("cache",))
def _(work):
    work.mini()
    config = work.config("[preprocess]\nl_freq_hz = 50.0\nh_freq_hz = 45.0\n")
    return _cache(work, "--config", str(config))


@case("config-file-missing", "config", "error", r".*'--config'.*does not exist.*")  # fmt: skip
def _(work):
    return work.sweep_args(config=work.root / "nosuch.toml")


# ---------------------------------------------------------------------------------------------- names
_NAME_MSG = r"Invalid value for '--patient': allowed a case name of 1-64 letters, digits, '_', '\+' or '-', .*; got {got}\."


def _name_case(id: str, command: str, name: str) -> None:
    def build(work: Work) -> list[str]:
        work.vars["got"] = repr(name)
        data = str(work.base.data)
        if command == "sweep":
            args = work.sweep_args()
            return [args[0], "-p", name, *args[3:]]
        if command == "cache":
            return ["cache", "-p", name, "--data-root", data, "--cache-dir", str(work.root / "cache")]
        return ["labels", "-p", name, "--data-root", data]

    CASES.append(Case(id, "name", build, "error", _NAME_MSG))


_name_case("empty-labels", "labels", "")
_name_case("empty-sweep", "sweep", "")
_name_case("empty-cache", "cache", "")
_name_case("dotdot-labels", "labels", "../../x")
_name_case("dotdot-cache", "cache", "../x")
_name_case("inner-dotdot-sweep", "sweep", "chb01/../x")
_name_case("trailing-space-labels", "labels", "chb01 ")


@case("unknown-case-committed", "name", "error",
      r"Unknown case 'chb99': known cases are chb01, .*chb24\.")  # fmt: skip
def _(work):
    return ["labels", "-p", "chb99"]


@case("manifest-show-path", "name", "error",
      r"Invalid value for 'case': allowed a case name .*; got '\.\./chb01'\.")  # fmt: skip
def _(work):
    return ["manifest", "show", "../chb01"]


@case(
    "unknown-case-in-data-root", "name", "error",
    r"{data} \(case 'chb05'\): neither the PhysioNet layout .* nor the BIDS layout .* was found\.",
)
def _(work):
    work.vars["data"] = str(work.base.data)
    return [
        "cache",
        "-p",
        "chb05",
        "--data-root",
        str(work.base.data),
        "--cache-dir",
        str(work.root / "cache"),
    ]


@case("unknown-patient-without-data", "name", "error",
      r"no --data-root \(nor \$SEIZUREPRED_CHBMIT_ROOT\) for chb05: .* \(see seizurepred sweep --help\)")  # fmt: skip  # fmt: skip
def _(work):
    return ["sweep", "-p", "chb05", "--out", str(work.root / "out"), "--cache-dir", str(work.root / "cache")]


# ---------------------------------------------------------------------------------------------- paths
@case("out-below-a-file", "path", "error", r"{out}: cannot create folder \(Not a directory\)\.",
      outputs=("cache",))  # fmt: skip
def _(work):
    work.cache_copy()
    (work.root / "afile").write_text("x")
    args = work.sweep_args()
    out = work.root / "afile" / "run"
    work.vars["out"] = str(out)
    return [str(out) if a == str(work.root / "out") else a for a in args]


@case("quiet-sweep-prints-only-the-error", "path", "error", r"{out}: cannot create folder \(Not a directory\)\.",
      outputs=("cache",), quiet_only_error=True)  # fmt: skip
def _(work):
    work.cache_copy()
    (work.root / "afile").write_text("x")
    args = work.sweep_args()
    out = work.root / "afile" / "run"
    work.vars["out"] = str(out)
    return [str(out) if a == str(work.root / "out") else a for a in args]


@case(
    "cache-dir-below-a-file",
    "path",
    "error",
    r"{cache}.*: cannot (create folder|write) \(Not a directory\)\.",
)
def _(work):
    work.mini()
    (work.root / "afile").write_text("x")
    work.vars["cache"] = str(work.root / "afile" / "c")
    return [
        "cache",
        "-p",
        CASE,
        "--data-root",
        str(work.root / "data"),
        "--cache-dir",
        str(work.root / "afile" / "c"),
    ]


@case(
    "data-root-missing-sweep", "path", "error",
    r"Invalid value for 'data_root': allowed an existing folder; got '{missing}'\.",
)
def _(work):
    missing = work.root / "nosuch"
    work.vars["missing"] = str(missing)
    return work.sweep_args(data=missing)


@case("data-root-missing-labels", "path", "error", r".*'--data-root'.*does not exist.*")  # fmt: skip
def _(work):
    return ["labels", "-p", CASE, "--data-root", str(work.root / "nosuch")]


@case("data-root-is-a-file", "path", "error", r".*'--data-root'.*is a file\. \(see seizurepred sweep --help\)")  # fmt: skip
def _(work):
    (work.root / "afile").write_text("x")
    work.vars["summary"] = str(work.root / "afile" / CASE / SUMMARY)
    return work.sweep_args(data=work.root / "afile")


@case("out-not-writable", "path", "error", r"/proc/seizurepred-corpus/run: cannot create folder \(.*\)\.",
      outputs=("cache",))  # fmt: skip
def _(work):
    work.cache_copy()
    args = work.sweep_args()
    return ["/proc/seizurepred-corpus/run" if a == str(work.root / "out") else a for a in args]


_FAIL_REPLACE = """
import errno, os
_real = os.replace
def _replace(src, dst, *a, **k):
    if str(dst).endswith({suffix!r}):
        raise OSError(errno.{code}, os.strerror(errno.{code}), str(src))
    return _real(src, dst, *a, **k)
os.replace = _replace
"""


@case("table-write-fails-read-only", "path", "error", r"{out}/pooled\.csv: cannot write \(Read-only file system\)\.",
      outputs=("out", "cache"), needs_run=True,
      inject=_FAIL_REPLACE.format(suffix="pooled.csv", code="EROFS"))  # fmt: skip
def _(work):
    work.cache_copy()
    work.run_copy()
    return work.sweep_args()


@case("cache-write-fails-disk-full", "path", "error",
      r"{cache}/chb01/[0-9a-f]+/chb01_01\.npy: cannot write \(No space left on device: the disk is full\)\.",
      outputs=("cache",), inject=_FAIL_REPLACE.format(suffix=".npy", code="ENOSPC"))  # fmt: skip
def _(work):
    work.mini()
    work.vars["cache"] = str(work.root / "cache")
    return _cache(work)


# ---------------------------------------------------------------------------------------------- run state
def _same_tables(work: Work, proc) -> None:
    assert table_files(work.root / "out") == table_files(work.base.run)


def _fold(work: Work, suffix: str) -> Path:
    (path,) = (work.root / "out" / "folds").glob(f"*{suffix}")
    work.vars["fold"] = str(path.with_suffix(".json"))
    return path


def _run_case(id: str, damage: Callable[[Work], None], expect: str, message=(), **kw) -> None:
    def build(work: Work) -> list[str]:
        work.cache_copy()
        work.run_copy()
        damage(work)
        return work.sweep_args()

    CASES.append(Case(id, "run", build, expect, message, outputs=("out", "cache"), check=_same_tables,
                      needs_run=True, **kw))  # fmt: skip


_DAMAGED = r"WARNING seizurepred\.reporting\.run_store: {fold}: damaged run state \({why}\); computing this fold again"
_run_case("truncated-fold-json", lambda w: truncate_private(_fold(w, ".json"), 40), "warning",
          (_DAMAGED.replace("{why}", "Unterminated string.*|Expecting.*"),))  # fmt: skip
_run_case("missing-fold-npz", lambda w: os.unlink(_fold(w, ".npz")), "warning",
          (_DAMAGED.replace("{why}", "No such file or directory"),))  # fmt: skip
_run_case("garbage-fold-npz", lambda w: write_private(_fold(w, ".npz"), b"PK\x03\x04 not a zip"), "warning",
          (_DAMAGED.replace("{why}", ".*"),))  # fmt: skip


def _other_config_fold(work: Work) -> None:
    path = _fold(work, ".json")
    meta = json.loads(path.read_text())
    meta["config_hash"] = "0" * 16
    write_private(path, json.dumps(meta))


_run_case("fold-of-another-config", _other_config_fold, "warning",
          (_DAMAGED.replace("{why}", "made with another config"),))  # fmt: skip


def _truncate_config(work: Work) -> None:
    path = work.root / "out" / "sweep_config.json"
    truncate_private(path, 30)
    work.vars["config_json"] = str(path)


_run_case("truncated-sweep-config", _truncate_config, "warning",
          (r"WARNING seizurepred\.reporting\.run_store: {config_json}: unreadable \(.*\); writing it again",))  # fmt: skip


def _stale_lock(work: Work) -> None:
    (work.root / "out" / ".lock").write_text(
        "pid 999999 on nowhere since 2020-01-01 00:00:00: seizurepred sweep\n"
    )


_run_case("stale-lock-file", _stale_lock, "same")


def _stale_temp(work: Work) -> None:
    (work.root / "out" / ".pooled.csv.tmp-999999").write_text("half a table")


_run_case("stale-temp-file", _stale_temp, "same")


def _other_case_config(work: Work) -> None:
    path = work.root / "out" / "sweep_config.json"
    saved = json.loads(path.read_text())
    saved["case"] = "chb02"
    write_private(path, json.dumps(saved))
    work.vars["out"] = str(work.root / "out")


CASES.append(Case("run-of-another-case", "run", lambda w: (w.cache_copy(), w.run_copy(), _other_case_config(w),
                   w.sweep_args())[-1], "error",
                  r"{out}: holds a sweep of chb02, not chb01; choose another output folder or pass --no-resume to "
                  r"start over\.",
                  outputs=("out", "cache"), needs_run=True))  # fmt: skip


def _broken_checkpoint(work: Work) -> None:
    os.unlink(_fold(work, ".json"))
    (ckpt,) = (work.root / "out" / "checkpoints").glob("*.pt")
    truncate_private(ckpt, 100)
    work.vars["ckpt"] = str(ckpt)


_run_case("truncated-checkpoint", _broken_checkpoint, "warning", (r"WARNING .*{ckpt}.*",))  # fmt: skip


# ---------------------------------------------------------------------------------------------- cache state
def _cache_entry(work: Work, suffix: str) -> Path:
    (path,) = (work.root / "cache" / CASE).glob(f"*/chb01_01{suffix}")
    work.vars["entry"] = str(path)
    return path


def _flip_bytes(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1000:-996] = b"\x7f\x7f\x7f\x7f"
    write_private(path, bytes(data))


def _cache_state_case(id: str, damage: Callable[[Work], None], expect: str, message=()) -> None:
    def build(work: Work) -> list[str]:
        work.mini()
        work.cache_copy()
        damage(work)
        return _cache(work)

    def check(work: Work, proc) -> None:
        import numpy as np

        fresh = np.load(_cache_entry(work, ".npy"), mmap_mode="r")
        clean = np.load(next((work.base.cache / CASE).glob("*/chb01_01.npy")), mmap_mode="r")
        assert np.array_equal(fresh, clean)
        assert "chb01 cache" in proc.stdout

    CASES.append(Case(id, "cache", build, expect, message, outputs=("cache",), check=check))


_cache_state_case("corrupt-entry-bytes", lambda w: _flip_bytes(_cache_entry(w, ".npy")), "warning",
                  (r"WARNING seizurepred: CacheWarning: .*{entry}.*Rebuilding it from .*chb01_01\.edf\.",))  # fmt: skip
_cache_state_case(
    "truncated-entry-metadata", lambda w: truncate_private(_cache_entry(w, ".json"), 50), "same"
)
_cache_state_case("truncated-entry-data", lambda w: truncate_private(_cache_entry(w, ".npy"), 4096), "same")


# ---------------------------------------------------------------------------------------------- issue 21
# Each case below was a silent wrong number, a traceback or a write outside the output before issue 21.

# EDF calibration that overflows float32: the cache held NaN/inf with exit 0.
_CAL_SANE = r"expected a finite physical range within \+-1e\+09 uV \(1 kV\)\."


def _cal_case(id: str, value: str, why: str) -> None:
    def build(work: Work) -> list[str]:
        work.mini()
        path = work.edf("chb01_01.edf")
        edf_set(path, "physical_max", value, channel=4)
        work.vars.update(edf=str(path))
        return _cache(work)

    CASES.append(Case(id, "edf", build, "error", _edf_error(rf"channel 5 'FP1-F3': {why}; {_CAL_SANE}"),
                      outputs=("cache",)))  # fmt: skip


_cal_case("edf-physical-max-1e38", "1e38",
          r"physical range -800\.\.1e\+38 uV gives samples up to 8\.5e\+38 uV, beyond the 1e\+09 uV that float32 "
          r"preprocessing holds without overflowing to inf/NaN")  # fmt: skip
_cal_case("edf-physical-max-9e307", "9e307",
          r"its gain \(physical range / digital range\) 2\.2e\+304 uV per digital step overflows float32, so every "
          r"sample would read as inf or NaN")  # fmt: skip
_cal_case("edf-physical-max-not-finite", "1e400", r"physical_max is not a finite number \(inf\)")


@case("edf-sparse-200-gb", "edf", "error",
      _edf_error(r"23 channels x 4722\.2 h at 256 Hz need 372\.9 GiB, more than the 4 GiB one read may take "
                 r"\(17000000 records of 1 s\); a damaged or sparse file\? Read a part with start_s/stop_s\."),
      outputs=("cache",))  # fmt: skip
def _(work):
    """A header declaring 17 million records over a sparse 200-GB file: refused before allocating 373 GiB (it was a
    MemoryError traceback). The summary gives no times (a summary cannot state 4722 h), so no duration warning."""
    work.mini(1)
    head, blocks = summary_blocks(work.summary().read_text(encoding="utf-8"))
    block = re.sub(r"File (Start|End) Time: .*\n", "", blocks[0])
    work.patch_summary(head + block)
    path = private(work.edf("chb01_01.edf"))
    edf_set(path, "n_records", "17000000")
    try:
        os.truncate(path, 256 * 24 + 17_000_000 * 2 * 23 * 256)
    except OSError as exc:  # pragma: no cover - a file system without sparse files this large
        pytest.skip(f"cannot make a 200-GB sparse file here ({exc.strerror})")
    work.vars.update(edf=str(path))
    return _cache(work)


# BIDS events files: a lost run, a repeated or overlapping seizure row, an onset of nan.
_BIDS_EEG = "sub-01/ses-01/eeg"
_RUN03 = "sub-01_ses-01_task-szMonitoring_run-03"


def _bids(work: Work) -> Path:
    """A linked BIDS copy of the patient (written once per session) under ``work/bids``; returns its root."""
    from seizurepred.io.bids import write_bids_patient

    shared = work.base.root / "bids"
    if not shared.is_dir():
        write_bids_patient(work.base.data, CASE, shared, how="hardlink")
    root = link_tree(shared, work.root / "bids")
    eeg = root / _BIDS_EEG
    work.vars.update(tsv=str(eeg / f"{_RUN03}_events.tsv"), edf=str(eeg / f"{_RUN03}_eeg.edf"))
    return root


def _bids_labels(work: Work, *extra: str) -> list[str]:
    return ["labels", "-p", CASE, "--data-root", str(work.root / "bids"), *extra]


def _events_edit(work: Work, old: str, new: str) -> None:
    path = Path(str(work.vars["tsv"]))
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    write_private(path, text.replace(old, new, 1))


_SZ_ROW = "1087.00\t75.00\tsz\tn/a\tn/a\t"


def _one_seizure_left(work: Work, proc) -> None:
    """The run without events is read as seizure-free (documented): only chb01_08's seizure is left."""
    assert json.loads(proc.stdout)["n_seizures"] == 1


@case("bids-events-file-missing", "bids", "warning",
      (r"WARNING seizurepred: ManifestWarning: {edf}: no events file "
       r"sub-01_ses-01_task-szMonitoring_run-03_events\.tsv \(not even the 'bckg' row of a seizure-free run\); the run's seizures are unknown and it is read as "
       r"seizure-free\.",),
      check=_one_seizure_left)  # fmt: skip
def _(work):
    _bids(work)
    os.unlink(str(work.vars["tsv"]))
    return _bids_labels(work, "--json")


@case("bids-events-file-header-only", "bids", "warning",
      (r"WARNING seizurepred: ManifestWarning: {edf}: sub-01_ses-01_task-szMonitoring_run-03_events\.tsv holds no "
       r"event row \(not even the 'bckg' row of a seizure-free run\); the run's seizures are unknown and it is read "
       r"as seizure-free\.",),
      check=_one_seizure_left)  # fmt: skip
def _(work):
    _bids(work)
    text = Path(str(work.vars["tsv"])).read_text(encoding="utf-8")
    write_private(Path(str(work.vars["tsv"])), text.splitlines()[0] + "\n\n")
    return _bids_labels(work, "--json")


@case("bids-seizure-row-repeated", "bids", "error",
      r"{tsv} line 3: seizure at 1087-1162 s repeats the one at line 2 \(1087-1162 s\)\.")  # fmt: skip
def _(work):
    _bids(work)
    text = Path(str(work.vars["tsv"])).read_text(encoding="utf-8")
    row = next(ln for ln in text.splitlines() if ln.startswith(_SZ_ROW))
    _events_edit(work, row + "\n", row + "\n" + row + "\n")
    return _bids_labels(work, "--json")


@case("bids-seizure-rows-overlap", "bids", "error",
      r"{tsv} line 3: seizure at 1100-1130 s overlaps the one at line 2 \(1087-1162 s\)\.")  # fmt: skip
def _(work):
    _bids(work)
    text = Path(str(work.vars["tsv"])).read_text(encoding="utf-8")
    row = next(ln for ln in text.splitlines() if ln.startswith(_SZ_ROW))
    _events_edit(work, row + "\n", row + "\n" + row.replace("1087.00\t75.00", "1100.00\t30.00") + "\n")
    return _bids_labels(work, "--json")


for _id, _extra in (("bids-onset-nan-json", ("--json",)), ("bids-onset-nan-text", ())):

    def _build(work: Work, _extra: tuple[str, ...] = _extra) -> list[str]:
        _bids(work)
        _events_edit(work, _SZ_ROW, _SZ_ROW.replace("1087.00", "nan"))
        return _bids_labels(work, *_extra)

    CASES.append(Case(_id, "bids", _build, "error",
                      r"{tsv} line 2: column 'onset': expected a finite number, got 'nan'\."))  # fmt: skip


# Summary start times and sampling rate against the EDF headers (the header wins, as for durations).
@case("summary-start-disagrees-with-header", "summary", "warning",
      (r"WARNING seizurepred: ManifestWarning: {summary} line {line}: chb01_08\.edf starts at 00:55:14 per the "
       r"summary but at 23:55:14 per its EDF header \(3600 s apart\); the header's start is used\.",),
      check=_same_labels)  # fmt: skip
def _(work):
    """chb01_08 listed an hour late: its seizure moved an hour on the patient clock, silently."""
    work.data()
    _summary_edit(work, "File Start Time: 23:55:14", "File Start Time: 24:55:14")
    text = _summary_edit(work, "File End Time: 24:01:20", "File End Time: 25:01:20")
    work.vars.update(summary=SUMMARY, line=line_of(text, "File Name: chb01_08.edf"))
    return _labels(work)


@case("summary-rate-disagrees-with-header", "summary", "warning",
      (r"WARNING seizurepred: ManifestWarning: {summary} line 1: sampling rate 512 Hz per the summary but 256 Hz per "
       r"the EDF header of chb01_01\.edf, chb01_02\.edf, chb01_03\.edf and 5 more; the headers' rate is used\.",),
      check=_same_labels)  # fmt: skip
def _(work):
    work.data()
    _summary_edit(work, "Data Sampling Rate: 256 Hz", "Data Sampling Rate: 512 Hz")
    work.vars.update(summary=SUMMARY)
    return _labels(work)


# Unreadable inputs: one line each (they were tracebacks). Root ignores permissions, so for root the unreadability
# is emulated in the command's process: the calls a chmod 000 makes fail raise PermissionError (EACCES) instead.
_UNREADABLE = """
import builtins, errno, io, os
_TARGET = os.path.abspath({path!r})
def _hit(path, inside_only):
    if isinstance(path, int):
        return False
    try:
        p = os.path.abspath(os.fsdecode(os.fspath(path)))
    except TypeError:
        return False
    return p.startswith(_TARGET + os.sep) or (not inside_only and p == _TARGET)
def _guard(fn, inside_only):
    def wrapped(path, *a, **k):
        if _hit(path, inside_only):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))
        return fn(path, *a, **k)
    return wrapped
for _name, _inside in (("stat", True), ("lstat", True), ("open", {folder}), ("scandir", False), ("listdir", False)):
    setattr(os, _name, _guard(getattr(os, _name), _inside))
builtins.open = io.open = _guard(io.open, False)
"""


def _make_unreadable(path: Path, *, folder: bool) -> str | None:
    """Make ``path`` unreadable (chmod 000) or, for root, return the code that emulates it (relative to the work
    folder, the command's working folder)."""
    if os.geteuid() != 0:
        path.chmod(0)
        return None
    return _UNREADABLE.format(path=str(path), folder=folder)


def _unreadable_case(id: str, message: str, target: Callable[[Work], tuple[Path, bool]], *extra: str,
                     xfail: str | None = None) -> None:  # fmt: skip
    def build(work: Work) -> list[str]:
        work.data()
        path, folder = target(work)
        work.vars.update(path=str(path), inject=_make_unreadable(path, folder=folder))
        return _labels(work, *extra)

    CASES.append(Case(id, "path", build, "error", message, xfail=xfail, inject=lambda work: work.vars["inject"]))


def _records(work: Work) -> tuple[Path, bool]:
    path = work.root / "data" / "RECORDS"
    path.write_text("".join(f"{CASE}/{n}\n" for n in work.base.edf_names))
    return path, False


_unreadable_case("records-unreadable", r"{path}: cannot read RECORDS \(PermissionError: Permission denied\)\.",
                 _records)  # fmt: skip
_unreadable_case("case-folder-unsearchable-physionet", r"{path}/chb01-summary\.txt: cannot read summary "
                 r"\(PermissionError: Permission denied\)\.", lambda w: (w.root / "data" / CASE, True),
                 "--layout", "physionet")  # fmt: skip
_unreadable_case("case-folder-unsearchable", r"{path}: cannot search the case folder \(Permission denied\)\.",
                 lambda w: (w.root / "data" / CASE, True))  # fmt: skip


@case("summary-symlink-to-dev-zero", "summary", "error", r"{summary}: not a summary file but a character device\.")
def _(work):
    """It was read forever (until a MemoryError)."""
    work.data()
    os.unlink(work.summary())
    os.symlink("/dev/zero", work.summary())
    work.vars.update(summary=str(work.summary()))
    return _labels(work)


@case("cache-env-is-a-file", "path", "error",
      r"Invalid value for '\$SEIZUREPRED_CACHE': allowed a folder; got '{afile}'\.",
      inject="import os\nos.environ['SEIZUREPRED_CACHE'] = os.path.join(os.getcwd(), 'afile')\n")  # fmt: skip
def _(work):
    """The demo sweep (no --data-root) with $SEIZUREPRED_CACHE naming a file."""
    (work.root / "afile").write_text("x")
    work.vars.update(afile=str(work.root / "afile"))
    return ["sweep", "--max-epochs", "1", "--out", str(work.root / "out")]


# Empty path options meant the current folder.
_EMPTY = (r"Invalid value for '{opt}': allowed a path; got '' \(an empty path would mean the current folder\) "
          r"\(see seizurepred {cmd} --help\)")  # fmt: skip


@case("out-empty", "path", "error", _EMPTY.format(opt="--out", cmd="sweep"))
def _(work):
    args = work.sweep_args()
    return ["" if a == str(work.root / "out") else a for a in args]


@case("cache-dir-empty", "path", "error", _EMPTY.format(opt="--cache-dir", cmd="cache"))
def _(work):
    work.mini()
    return ["cache", "-p", CASE, "--data-root", str(work.root / "data"), "--cache-dir", ""]


@case("cache-write-fails-file-size-limit", "path", "error",
      r"{cache}/chb01/[0-9a-f]+/chb01_01\.npy: cannot write \(File too large: it reached this process's file-size "
      r"limit, ulimit -f = 1048576 bytes\)\.",
      outputs=("cache",),
      inject="import resource\nresource.setrlimit(resource.RLIMIT_FSIZE, (2**20, 2**20))\n")  # fmt: skip
def _(work):
    """It said only "(OSError)": numpy reports a short write without an errno."""
    work.mini()
    work.vars["cache"] = str(work.root / "cache")
    return _cache(work)


def _swapped_entry_rebuilt(work: Work, proc) -> None:
    import numpy as np

    assert "1 built, 1 reused" in proc.stdout, proc.stdout
    fresh = np.load(_cache_entry(work, ".npy"), mmap_mode="r")
    old = np.load(next((work.base.cache / CASE).glob("*/chb01_01.npy")), mmap_mode="r")
    assert fresh.shape == old.shape and not np.array_equal(fresh, old)


@case("cache-edf-swapped-same-size-and-mtime", "cache", "same", outputs=("cache",), check=_swapped_entry_rebuilt)
def _(work):
    """chb01_01.edf's data records replaced by chb01_02.edf's (header, size and mtime kept): the entry was reused."""
    work.mini()
    work.cache_copy()
    path, other = work.edf("chb01_01.edf"), work.edf("chb01_02.edf")
    st = path.stat()
    assert other.stat().st_size == st.st_size
    header_bytes = 256 * (edf_n_signals(path) + 1)
    write_private(path, path.read_bytes()[:header_bytes] + other.read_bytes()[header_bytes:])
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    return _cache(work)


@case("models-unknown-option", "config", "error",
      r"Invalid value for '--option': allowed an option of a registered model \(.*'pool_channels'.*\); "
      r"got 'foo'\.")  # fmt: skip
def _(work):
    return ["models", "-o", "foo=1", "-o", "pool_channels=false"]


# Reading a run folder back: damaged fold files, another run's folder as --out, the folder's lock, data.json.
def _report_case(id: str, damage: Callable[[Work], list[str] | None], expect: str, message=(), **kw) -> None:
    def build(work: Work) -> list[str]:
        work.run_copy()
        work.vars["out"] = str(work.root / "out")
        extra = damage(work) or []
        return ["report", str(work.root / "out"), *extra]

    kw.setdefault("outputs", ("out",))
    CASES.append(Case(id, "report", build, expect, message, needs_run=True, **kw))


_REPORT_DAMAGED = r"{fold}: damaged fold file \({why}\); rerun the sweep into this folder to compute that fold again\."


def _fold_json_not_object(work: Work) -> None:
    write_private(_fold(work, ".json"), "[1, 2, 3]\n")


def _fold_npz_garbage(work: Work) -> None:
    write_private(_fold(work, ".npz"), b"PK\x03\x04 not a zip")
    work.vars["fold"] = str(_fold(work, ".npz"))


def _fold_npz_bad_crc(work: Work) -> None:
    path = _fold(work, ".npz")
    data = bytearray(path.read_bytes())
    at = len(data) // 2
    data[at] ^= 0xFF
    write_private(path, bytes(data))
    work.vars["fold"] = str(path)


_report_case("report-fold-json-not-an-object", _fold_json_not_object, "error",
             _REPORT_DAMAGED.replace("{why}", r"not a JSON object but a JSON list"))  # fmt: skip
_report_case("report-fold-npz-not-a-zip", _fold_npz_garbage, "error",
             _REPORT_DAMAGED.replace("{why}", r"File is not a zip file"))  # fmt: skip
_report_case("report-fold-npz-bad-crc", _fold_npz_bad_crc, "error",
             _REPORT_DAMAGED.replace("{why}", r"Bad CRC-32 for file '.*'"))  # fmt: skip


def _other_run_as_out(work: Work) -> list[str]:
    shutil.copytree(work.base.run, work.root / "other")
    work.vars["other"] = str(work.root / "other")
    return ["--out", str(work.root / "other")]


_report_case("report-out-holds-another-run", _other_run_as_out, "error",
             r"{other}: holds another run's folder \(sweep_config\.json, run\.json\); its tables would be "
             r"overwritten\. Choose a new or empty --out, or leave it out to write into the run folder\.",
             outputs=())  # fmt: skip
_report_case("report-while-a-sweep-writes", lambda w: None, "error",
             r"{out}: another sweep is writing to this folder \(pid 4242 on elsewhere since 2030-01-01 00:00:00: "
             r"seizurepred sweep\); wait for it to finish or choose another --out\.",
             outputs=("out/.lock",),
             inject="import fcntl, sys\nsys.corpus_lock = open('out/.lock', 'a+')  # held until the process ends\n"
                    "fcntl.flock(sys.corpus_lock.fileno(), fcntl.LOCK_EX)\nsys.corpus_lock.truncate(0)\n"
                    "sys.corpus_lock.write('pid 4242 on elsewhere since 2030-01-01 00:00:00: seizurepred sweep\\n')\n"
                    "sys.corpus_lock.flush()\n")  # fmt: skip


def _damage_data_json(work: Work) -> None:
    path = work.root / "out" / "data.json"
    truncate_private(path, 10)
    work.vars["data_json"] = str(path)


def _tables_but_report_md(work: Work, proc) -> None:
    got, want = table_files(work.root / "out"), table_files(work.base.run)
    assert {k: v for k, v in got.items() if k != "report.md"} == {k: v for k, v in want.items() if k != "report.md"}


_report_case("report-damaged-data-json", _damage_data_json, "warning",
             (r"WARNING seizurepred\.reporting\.load: {data_json}: damaged \(.*\); the report has no Data line and "
              r"the data is not marked synthetic",),
             check=_tables_but_report_md)  # fmt: skip


# ============================================================================================== the tests
def _params():
    for c in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else []
        yield pytest.param(c, id=f"{c.category}-{c.id}", marks=marks)


def _format(pattern: str, values: dict[str, object]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: re.escape(str(values[m.group(1)])) if m.group(1) in values else m.group(0),
                  pattern)  # fmt: skip


@pytest.mark.parametrize("c", list(_params()))
def test_corpus_case(c: Case, base: BasePatient, zygote: Zygote, tmp_path: Path, request) -> None:
    if c.needs_run:
        request.getfixturevalue("clean_run")
    work = Work(tmp_path, base)
    args = c.build(work)
    before = snapshot(tmp_path, skip=c.outputs)
    inject = c.inject(work) if callable(c.inject) else c.inject
    proc = run_cli(args, cwd=tmp_path, env=cli_env(base.home, tmp_path), inject=inject, zygote=zygote)
    shown = f"$ seizurepred {' '.join(args)}\n--- exit {proc.returncode}; stderr:\n{proc.stderr}"
    assert "Traceback" not in proc.stderr + proc.stdout, shown
    err = lines(proc.stderr)
    # the sweep reports its cache build on stderr, even with -q
    if args[0] == "sweep" and not c.quiet_only_error:
        err = [ln for ln in err if not ln.startswith(f"{CASE} cache ")]
    if c.needs_run and c.expect == "error":  # ... and the clean run's warnings when it got that far
        err = [ln for ln in err if ln not in base.run_stderr]
    if c.expect == "error":
        assert proc.returncode == 2, shown
        assert len(err) == 1 and err[0].startswith("Error: "), shown
        matched = re.fullmatch(_format(c.message, work.vars), err[0][len("Error: ") :]) is not None
        assert matched, shown
    else:
        assert proc.returncode == 0, shown
        if c.needs_run:  # a sweep prints its cache report, the clean run's warnings and where it wrote
            out = Path(str(work.vars.get("out", tmp_path / "out")))
            baseline = set(base.run_stderr)
            err = [ln for ln in err if _normalise([ln], out)[0] not in baseline]
        wanted = [c.message] if isinstance(c.message, str) else list(c.message)
        assert len(err) == len(wanted), shown
        for got, pattern in zip(err, wanted):
            matched = re.fullmatch(_format(pattern, work.vars), got) is not None
            assert matched, f"{got!r}\n{shown}"
    if c.check is not None:
        c.check(work, proc)
    assert diff_snapshots(before, snapshot(tmp_path, skip=c.outputs)) == [], shown


def test_corpus_size_and_coverage():
    by_category: dict[str, int] = {}
    for c in CASES:
        by_category[c.category] = by_category.get(c.category, 0) + 1
    assert len(CASES) >= 40, by_category
    assert {"summary", "edf", "config", "name", "path", "run", "cache", "bids", "report"} <= set(by_category)
    assert len({(c.category, c.id) for c in CASES}) == len(CASES)


def test_two_runs_of_the_same_command_give_byte_identical_tables(
    clean_run: BasePatient, tmp_path: Path
) -> None:
    """A second, independent run (fresh data copy, fresh cache: everything recomputed) writes the same bytes; a
    third, the same command again into that folder, reuses every fold and writes the same bytes again."""
    base = clean_run
    work = Work(tmp_path, base)
    data = work.data()
    args = work.sweep_args(data=data)
    env = cli_env(base.home, tmp_path)
    first = run_cli(args, cwd=tmp_path, env=env)
    assert first.returncode == 0 and "Traceback" not in first.stderr, first.stderr
    entries = {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("*.npy")}
    assert len(entries) == 8  # the fresh cache was built (-q: no report line)
    tables = table_files(tmp_path / "out")
    assert set(tables) >= {
        "pooled.csv",
        "segments.csv",
        "ciopr.csv",
        "events.csv",
        "summary.json",
        "report.md",
    }
    assert {k: v for k, v in tables.items() if k != "report.md"} == {
        k: v for k, v in table_files(base.run).items() if k != "report.md"
    }
    again = run_cli(args, cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("*.npy")} == entries  # reused
    assert table_files(tmp_path / "out") == tables
    assert first.stdout == again.stdout


def test_concurrent_sweep_into_the_same_folder_is_refused(clean_run: BasePatient, tmp_path: Path) -> None:
    """The first writer holds the folder's lock; the second is refused naming the folder and the holder's pid."""
    base = clean_run
    work = Work(tmp_path, base)
    work.cache_copy()
    out = work.run_copy()
    holder_code = (
        "import sys, time\nfrom seizurepred.reporting.run_store import RunStore\n"
        "with RunStore(sys.argv[1]).lock():\n    print('locked', flush=True)\n    time.sleep(120)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", holder_code, str(out)], stdout=subprocess.PIPE, text=True,
                              env=cli_env(base.home, tmp_path), cwd=tmp_path)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        args = work.sweep_args()
        before = snapshot(tmp_path, skip=("cache",))
        proc = run_cli(args, cwd=tmp_path, env=cli_env(base.home, tmp_path))
    finally:
        holder.kill()
        holder.wait()
    err = [ln for ln in lines(proc.stderr) if not ln.startswith(f"{CASE} cache ")]
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert len(err) == 1, proc.stderr
    assert re.fullmatch(
        rf"Error: {re.escape(str(out))}: another sweep is writing to this folder \(pid {holder.pid} on .*\); wait "
        r"for it to finish or choose another --out\.",
        err[0],
    ), err[0]
    after = snapshot(tmp_path, skip=("cache",))
    changed = diff_snapshots(before, after)
    assert changed == [], changed


def test_download_refuses_a_part_file_linked_out_of_dest(base: BasePatient, zygote: Zygote, tmp_path: Path) -> None:
    """Issue 21: a ``.part`` symlink made ``download`` append to a file outside --dest. Refused before any request
    (the mirror named here does not exist), naming the link and its target; nothing anywhere changes. The command's
    "Fetching ..." line comes first, as always."""
    dest, outside = tmp_path / "dest", tmp_path / "outside.txt"
    (dest / CASE).mkdir(parents=True)
    outside.write_text("precious\n")
    part = dest / CASE / "chb01_01.edf.part"
    os.symlink(outside, part)
    args = ["download", "-p", CASE, "--dest", str(dest), "--base-url", "http://127.0.0.1:9/nowhere"]
    before = snapshot(tmp_path)
    proc = run_cli(args, cwd=tmp_path, env=cli_env(base.home, tmp_path), zygote=zygote)
    err = lines(proc.stderr)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert err[0].startswith("Fetching ") and len(err) == 2, proc.stderr
    assert err[1] == (
        f"Error: {part}: a symbolic link (to {outside}); refusing to append through it to a file that may lie "
        "outside the destination. Remove it (the file is then fetched from the start)."
    )
    assert diff_snapshots(before, snapshot(tmp_path)) == []
