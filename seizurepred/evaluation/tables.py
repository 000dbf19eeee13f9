"""Tidy result tables: one row per patient x preictal length x seizure x repeat (pure; no file is written here).

Rows are plain dicts (or the row dataclasses below, converted with :func:`as_row`); no pandas. Column order is
stable: the row spec's field order, or the first-seen order of keys over the rows. :func:`to_markdown` renders a
table as text; :mod:`seizurepred.reporting.tables` writes CSV and JSON.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from seizurepred.errors import ConfigError
from seizurepred.evaluation.ciopr import CioprResult

__all__ = [
    "SegmentRow",
    "CioprRow",
    "EventRow",
    "ciopr_row",
    "columns_of",
    "as_row",
    "table_columns",
    "to_markdown",
]


@dataclass(frozen=True)
class SegmentRow:
    """Segment metrics of one test fold (``seizure_id`` the held-out seizure; -1 for a patient's pooled row)."""

    case: str
    preictal_min: int
    seizure_id: int
    repeat: int
    protocol: str
    n_test: int
    sensitivity: float
    specificity: float
    accuracy: float
    f1: float
    auc: float
    segment_far_per_h: float


@dataclass(frozen=True)
class CioprRow:
    """CIOPR terms of one seizure under one preictal length (minutes before onset)."""

    case: str
    preictal_min: int
    seizure_id: int
    repeat: int
    record_hours: float
    n_blocks: int
    infl_min: float
    tp_min: float
    nd_min: float
    nd_err: float
    nd_eff: float
    spc_min: float
    spc_err: float
    spc_eff: float
    infl_comp: float
    eta: float
    ciopc: float
    ciopr: float
    rho: float
    fit_ok: bool


@dataclass(frozen=True)
class EventRow:
    """Event metrics of one timeline (``seizure_id`` -1: all of the patient's seizures)."""

    case: str
    preictal_min: int
    seizure_id: int
    repeat: int
    sop_min: float
    sph_min: float
    n_seizures: int
    n_predicted: int
    sensitivity: float
    n_false_alarms: int
    interictal_hours: float
    fpr_per_h: float
    time_in_warning: float
    mean_lead_time_min: float
    p_random_predictor: float
    p_surrogate: float


def ciopr_row(result: CioprResult, *, case: str, repeat: int, record_hours: float) -> CioprRow:
    """The :class:`CioprRow` of one :class:`~seizurepred.evaluation.ciopr.CioprResult`."""
    t = result.terms
    return CioprRow(
        case=case,
        preictal_min=int(result.preictal_min),
        seizure_id=int(t.seizure_id),
        repeat=int(repeat),
        record_hours=float(record_hours),
        n_blocks=t.n_blocks,
        infl_min=t.infl_min,
        tp_min=t.tp_min,
        nd_min=t.nd_min,
        nd_err=t.nd_err,
        nd_eff=t.nd_eff,
        spc_min=t.spc_min,
        spc_err=t.spc_err,
        spc_eff=t.spc_eff,
        infl_comp=result.infl_comp,
        eta=result.eta,
        ciopc=result.ciopc,
        ciopr=result.ciopr,
        rho=t.rho,
        fit_ok=t.fit_ok,
    )


def columns_of(spec: type) -> tuple[str, ...]:
    """Column names of a row dataclass, in field order."""
    return tuple(f.name for f in dataclasses.fields(spec))


def as_row(obj: Any) -> dict[str, Any]:
    """A row dict from a row dataclass instance or a mapping (a shallow copy; the input is not changed)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return dict(obj)
    raise ConfigError(
        f"Invalid value for 'rows': allowed dicts or row dataclasses; got {type(obj).__name__}."
    )


def table_columns(rows: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """Union of the rows' keys in first-seen order."""
    seen: dict[str, None] = {}
    for r in rows:
        seen.update(dict.fromkeys(r))
    return tuple(seen)


def prepare_rows(rows: Sequence[Any], columns: Sequence[str] | None) -> tuple[list[dict], tuple[str, ...]]:
    dict_rows = [as_row(r) for r in rows]
    cols = tuple(columns) if columns is not None else table_columns(dict_rows)
    return dict_rows, cols


def _md_cell(v: Any, float_format: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if isinstance(v, float):
        return float_format.format(v)
    return str(v).replace("|", "\\|")


def to_markdown(
    rows: Sequence[Any], columns: Sequence[str] | None = None, *, float_format: str = "{:.2f}"
) -> str:
    """A GitHub-flavoured Markdown table of ``rows`` (NaN and missing values shown as ``n/a``).

    Parameters
    ----------
    rows : sequence of dict or row dataclass
    columns : sequence of str or None
        Columns to show, in order (default: every key, first-seen order).
    float_format : str
        ``str.format`` pattern for floats.
    """
    dict_rows, cols = prepare_rows(rows, columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for r in dict_rows:
        lines.append("| " + " | ".join(_md_cell(r.get(c), float_format) for c in cols) + " |")
    return "\n".join(lines) + "\n"
