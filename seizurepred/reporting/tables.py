"""Write tidy tables as CSV and JSON (atomically, through :mod:`seizurepred._atomic`).

Missing values: ``None`` is an empty CSV cell and JSON ``null``; NaN is ``nan`` in CSV (what pandas and ``float()``
read back) and ``null`` in JSON (JSON has no NaN). Floats are written with ``repr`` (shortest round-trip form), so
the same numbers always give the same bytes.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seizurepred._atomic import atomic_write_json, atomic_write_text
from seizurepred.evaluation.tables import prepare_rows

__all__ = ["write_csv", "write_json"]


def _csv_cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return "nan" if math.isnan(v) else repr(v)
    return str(v)


def write_csv(rows: Sequence[Any], path: str | Path, *, columns: Sequence[str] | None = None) -> Path:
    """Write rows as CSV (header = ``columns`` or the rows' keys in first-seen order); returns the path.

    A key missing from a row is an empty cell; a key not in ``columns`` is dropped only when ``columns`` is given.
    """
    dict_rows, cols = prepare_rows(rows, columns)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols)
    for r in dict_rows:
        writer.writerow([_csv_cell(r.get(c)) for c in cols])
    return atomic_write_text(path, buf.getvalue())


def write_json(rows: Sequence[Any], path: str | Path, *, columns: Sequence[str] | None = None) -> Path:
    """Write rows as a JSON list of objects (keys in column order, NaN as ``null``); returns the path."""
    dict_rows, cols = prepare_rows(rows, columns)
    return atomic_write_json(path, [{c: r.get(c) for c in cols} for r in dict_rows], sort_keys=False)
