"""CSV and JSON files of tidy tables: round trips, stable column order, NaN handling."""

from __future__ import annotations

import csv
import json
import math

import numpy as np

from seizurepred.evaluation.tables import SegmentRow, columns_of
from seizurepred.reporting.tables import write_csv, write_json


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
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["seg.csv"]  # no temporary file left


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
