"""Shared test fixtures: paths to the real CHB-MIT metadata in ``../shared`` and small helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SEIZUREPRED_SHARED", REPO.parent / "shared"))
CHBMIT_META = SHARED / "chbmit"

os.environ.setdefault("SEIZUREPRED_QUIET", "1")


@pytest.fixture(scope="session")
def chbmit_dir() -> Path:
    """The real CHB-MIT metadata folder (summaries, meta, annotations, signals); skips when absent."""
    if not (CHBMIT_META / "summaries").is_dir():
        pytest.skip(f"real CHB-MIT metadata not found at {CHBMIT_META}")
    return CHBMIT_META


@pytest.fixture(scope="session")
def realdata_root() -> Path:
    """Root of the real CHB-MIT EDF files (``$SEIZUREPRED_CHBMIT_ROOT``); skips when absent."""
    root = os.environ.get("SEIZUREPRED_CHBMIT_ROOT")
    if not root or not Path(root).is_dir():
        pytest.skip("real CHB-MIT EDF files not available (set SEIZUREPRED_CHBMIT_ROOT)")
    return Path(root)
