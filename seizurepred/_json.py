"""Strict-JSON helpers: numpy scalars become Python numbers, NaN and infinities become ``null``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def json_safe(obj: Any) -> Any:
    """Return a copy of ``obj`` that ``json.dumps(..., allow_nan=False)`` accepts.

    Dicts, lists and tuples are copied recursively (tuples become lists), numpy scalars and 0-d arrays become
    Python numbers, and non-finite floats become ``None``.
    """
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.generic | np.ndarray) and np.ndim(obj) == 0:
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def nan_for_none(obj: Any) -> Any:
    """Inverse of :func:`json_safe` for flat number dicts: ``None`` values become NaN."""
    if isinstance(obj, dict):
        return {k: (math.nan if v is None else v) for k, v in obj.items()}
    return obj
