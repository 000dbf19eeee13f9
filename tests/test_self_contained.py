"""The repository is self-contained: the real CHB-MIT metadata the tests use is committed (so no test skips for
want of it), it is what PhysioNet published, and no file points outside the clone."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest
from conftest import CHBMIT_META, CHBMIT_META_PARTS, PAPER_TABLE1, REPO

from seizurepred.io.build_manifests import read_records, read_sha256sums
from seizurepred.io.download_plan import metadata_dir
from seizurepred.io.manifest import known_cases

#: References to files outside the repository (the old notes folder beside the clone and the notes it held).
#: Written with escapes so that this file does not match itself.
OUTSIDE = re.compile(rb"\.\./shared\b|/work/share[d]\b|\bshared/(?:chbmit|paper)\b|\bMETHOD\.md|\bDESIGN\.md")
#: The one file allowed to name them: CHANGELOG.md, whose released entries are history and are not rewritten.
HISTORY = {"CHANGELOG.md"}
BINARY = {".npy", ".npz", ".png", ".jpg", ".pdf", ".edf", ".fif", ".seizures", ".pt"}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=False)


def _is_git_checkout() -> bool:
    return (REPO / ".git").exists() and _git("rev-parse", "--show-toplevel").returncode == 0


def _repository_files() -> list[Path]:
    """Tracked files plus new ones git would add (not ignored); without git, every file outside caches."""
    if _is_git_checkout():
        listed = _git("ls-files", "--cached", "--others", "--exclude-standard", "-z").stdout.split("\0")
        return [REPO / rel for rel in listed if rel and (REPO / rel).is_file()]
    skip = {".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis", "build", "dist"}
    return [
        p
        for p in REPO.rglob("*")
        if p.is_file() and not skip & set(p.relative_to(REPO).parts) and ".egg-info" not in str(p)
    ]


def test_metadata_the_tests_read_is_in_the_repository(monkeypatch):
    """What ``chbmit_dir`` and the other fixtures point at exists inside the clone (else those tests would fail,
    not skip), and nothing of it is ignored by git, so a fresh clone has it."""
    monkeypatch.delenv("SEIZUREPRED_MANIFESTS", raising=False)
    assert CHBMIT_META.resolve().is_relative_to(REPO.resolve())
    assert metadata_dir() == CHBMIT_META  # what `seizurepred manifest build` and `download` read by default
    paths = [CHBMIT_META / part for part in CHBMIT_META_PARTS] + [PAPER_TABLE1]
    assert [p for p in paths if not p.exists()] == []
    assert len(list((CHBMIT_META / "summaries").glob("chb*-summary.txt"))) == 24
    assert len(list((CHBMIT_META / "annotations").glob("chb01_*.edf.seizures"))) == 7
    assert len(list((CHBMIT_META / "signals").rglob("*.npy"))) == 20
    assert len(known_cases()) == 24  # the committed manifests (tests/labels, tests/test_experiments use them)
    for doc in ("docs/method.md", "docs/design.md", "data_manifests/metadata/ATTRIBUTION.md"):
        assert (REPO / doc).is_file(), doc
    if _is_git_checkout():
        files = [str(p.relative_to(REPO)) for p in paths] + [
            str(p.relative_to(REPO)) for p in CHBMIT_META.rglob("*") if p.is_file()
        ]
        ignored = _git("check-ignore", "--no-index", *files).stdout.split()
        assert ignored == [], f"ignored by git, so missing from a clone: {ignored}"


def test_metadata_is_what_physionet_published():
    """Every copied summary, index and annotation file has the SHA-256 of PhysioNet's own list."""
    sums = read_sha256sums(CHBMIT_META / "SHA256SUMS.txt")
    copies = {f"{p.name.split('-')[0]}/{p.name}": p for p in (CHBMIT_META / "summaries").glob("*.txt")}
    copies |= {f"chb01/{p.name}": p for p in (CHBMIT_META / "annotations").glob("*.seizures")}
    copies |= {name: CHBMIT_META / name for name in ("RECORDS", "RECORDS-WITH-SEIZURES", "SUBJECT-INFO")}
    assert len(copies) == 34
    assert {rel: _sha256(p) for rel, p in copies.items()} == {rel: sums[rel] for rel in copies}
    records = read_records(CHBMIT_META / "RECORDS")
    assert sum(len(files) for files in records.values()) == 686 and len(records) == 24


def test_signal_excerpts_match_their_provenance():
    """The excerpts are the bytes MANIFEST.json describes (source repository, commit, record, span)."""
    signals = CHBMIT_META / "signals"
    entries = json.loads((signals / "MANIFEST.json").read_text(encoding="utf-8"))
    assert len(entries) == 20
    for e in entries:
        assert _sha256(signals / e["file"]) == e["sha256"], e["file"]
        assert e["source_repo"] == "m-nguyen98/bsc_project" and len(e["source_commit"]) == 40
        assert e["record"].startswith(("chb01_", "chb02_", "chb03_"))
        assert len(e["time_span_s_in_record_inclusive"]) == 2
    attribution = (CHBMIT_META / "ATTRIBUTION.md").read_text(encoding="utf-8")
    for needed in ("Open Data Commons Attribution License v1.0", "10.13026/C2K01R", "Shoeb", "Goldberger",
                   "m-nguyen98/bsc_project"):  # fmt: skip
        assert needed in attribution, needed


def test_no_file_refers_outside_the_repository():
    """No file of the repository names the notes folder beside the clone or the notes it held (their content is
    in docs/ and data_manifests/metadata/ now). CHANGELOG.md's history is exempt."""
    files = _repository_files()
    assert any(p.name == "conftest.py" for p in files)  # the listing works
    found = []
    for path in files:
        rel = path.relative_to(REPO).as_posix()
        if rel in HISTORY or path.suffix in BINARY:
            continue
        for i, line in enumerate(path.read_bytes().splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{rel}:{i}: {line.decode('utf-8', 'replace').strip()[:100]}")
    assert found == [], "\n".join(found)


@pytest.mark.parametrize(
    "text",
    [
        b"see ../" + b"shared/x",
        b"/work/" + b"shared",
        b"in sha" + b"red/paper",
        b"as METHOD" + b".md says",
        b"(DESIGN" + b".md)",
    ],
)
def test_the_reference_check_catches_what_it_looks_for(text):
    assert OUTSIDE.search(text)
    assert not OUTSIDE.search(b"docs/method.md section 4, docs/design.md, --cache-dir /shared/cache")
