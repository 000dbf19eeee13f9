"""Tidy tables: CSV / JSON round trips, stable column order, Markdown."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

from seizurepred.errors import ConfigError
from seizurepred.evaluation.ciopr import ciopr_compare, ciopr_terms
from seizurepred.evaluation.metrics import UndefinedMetricWarning
from seizurepred.evaluation.tables import (
    CioprRow,
    EventRow,
    SegmentRow,
    ciopr_row,
    columns_of,
    to_markdown,
)
from seizurepred.reporting.tables import write_json


def _seg(seizure_id, auc):
    return SegmentRow("chb01", 60, seizure_id, 0, "paper", 100, 0.99, 0.95, 0.97, 0.97, auc, 36.0)


def test_ciopr_row_from_result(tmp_path):
    t = np.arange(7200, 0, -1) * (5.0 / 60.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        terms = {60: ciopr_terms((t, (t < 96).astype(float))), 30: ciopr_terms((t, (t < 40).astype(float)))}
    res = ciopr_compare(terms)
    rows = [ciopr_row(r, case="chb01", repeat=0, record_hours=10.0) for r in res.values()]
    assert isinstance(rows[0], CioprRow) and rows[0].ciopr == 1.0
    data = json.loads(write_json(rows, tmp_path / "c.json").read_text())
    assert list(data[0]) == list(columns_of(CioprRow))


def test_markdown_table():
    md = to_markdown([{"case": "chb01", "f1": 0.98765, "auc": math.nan}], ["case", "f1", "auc"])
    assert md.splitlines() == ["| case | f1 | auc |", "|---|---|---|", "| chb01 | 0.99 | n/a |"]
    assert "p_surrogate" in to_markdown([], columns_of(EventRow))


def test_bad_rows():
    with pytest.raises(ConfigError, match="rows"):
        to_markdown([1, 2])
