"""Shared test fixtures: the real CHB-MIT metadata committed in ``data_manifests/metadata``, small helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: The real CHB-MIT metadata, committed (``data_manifests/metadata/README.md``): PhysioNet's index files
#: (RECORDS, RECORDS-WITH-SEIZURES, SUBJECT-INFO, SHA256SUMS.txt), ``summaries/``, ``annotations/``, ``signals/``.
CHBMIT_META = REPO / "data_manifests" / "metadata"
#: What the tests read from it; ``tests/test_self_contained.py`` checks that each is there.
CHBMIT_META_PARTS = ("RECORDS", "RECORDS-WITH-SEIZURES", "SUBJECT-INFO", "SHA256SUMS.txt", "summaries",
                     "annotations", "signals/MANIFEST.json", "signals/derived")  # fmt: skip
#: The paper's Table 1, committed beside the method notes.
PAPER_TABLE1 = REPO / "docs" / "paper_table1.csv"

os.environ.setdefault("SEIZUREPRED_QUIET", "1")


@pytest.fixture(scope="session")
def chbmit_dir() -> Path:
    """The committed real CHB-MIT metadata: the index files, ``summaries/``, ``annotations/``, ``signals/``.

    Never skips: the folder is part of the repository, so a missing part fails the test that needs it.
    """
    missing = [part for part in CHBMIT_META_PARTS if not (CHBMIT_META / part).exists()]
    if missing:
        pytest.fail(f"{CHBMIT_META}: missing committed CHB-MIT metadata: {', '.join(missing)}.")
    return CHBMIT_META


@pytest.fixture(scope="session")
def realdata_root() -> Path:
    """Root of the real CHB-MIT EDF files (``$SEIZUREPRED_CHBMIT_ROOT``); skips when absent."""
    root = os.environ.get("SEIZUREPRED_CHBMIT_ROOT")
    if not root or not Path(root).is_dir():
        pytest.skip("real CHB-MIT EDF files not available (set SEIZUREPRED_CHBMIT_ROOT)")
    return Path(root)
