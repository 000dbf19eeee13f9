"""Tidy tables: CSV / JSON round trips, stable column order, Markdown."""

from __future__ import annotations

import csv
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
    write_csv,
    write_json,
)


def _seg(seizure_id, auc):
    return SegmentRow("chb01", 60, seizure_id, 0, "paper", 100, 0.99, 0.95, 0.97, 0.97, auc, 36.0)


def test_csv_round_trip_keeps_order_and_nan(tmp_path):
    rows = [_seg(0, 0.99), _seg(1, math.nan)]
    path = write_csv(rows, tmp_path / "sub" / "seg.csv")
    with open(path, newline="") as fh:
        read = list(csv.reader(fh))
    assert tuple(read[0]) == columns_of(SegmentRow)
    assert read[1][columns_of(SegmentRow).index("auc")] == "0.99"
    assert math.isnan(float(read[2][columns_of(SegmentRow).index("auc")]))
    assert not list(tmp_path.glob("sub/.*tmp"))  # atomic write leaves no temporary file


def test_dict_rows_use_first_seen_column_order(tmp_path):
    rows = [{"b": 1, "a": 2.5}, {"a": None, "c": "x"}]
    path = write_csv(rows, tmp_path / "t.csv")
    assert path.read_text().splitlines() == ["b,a,c", "1,2.5,", ",,x"]
    path = write_csv(rows, tmp_path / "t2.csv", columns=["c", "a"])
    assert path.read_text().splitlines() == ["c,a", ",2.5", "x,"]


def test_json_uses_null_for_nan_and_numpy_scalars(tmp_path):
    rows = [{"x": np.float64("nan"), "n": np.int64(3), "ok": np.bool_(True), "v": 1.5}]
    data = json.loads(write_json(rows, tmp_path / "t.json").read_text())
    assert data == [{"x": None, "n": 3, "ok": True, "v": 1.5}]


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
