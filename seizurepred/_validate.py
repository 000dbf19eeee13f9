"""Validation helpers that produce the project's one message grammar.

``Invalid value for 'reader': allowed 'pyedflib', 'mne'; got 'edflib'.``
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from seizurepred.errors import ConfigError


def _fmt(value: Any) -> str:
    return repr(value)


def check_option(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``, else raise :class:`ConfigError`.

    Parameters
    ----------
    name : str
        Parameter name as the user sees it.
    value : object
        Received value.
    allowed : iterable
        Allowed values.
    """
    allowed = tuple(allowed)
    if value not in allowed:
        options = ", ".join(_fmt(a) for a in allowed)
        raise ConfigError(f"Invalid value for {name!r}: allowed {options}; got {_fmt(value)}.")
    return value


def check_number(
    name: str,
    value: Any,
    *,
    min_value: float | None = None,
    max_value: float | None = None,
    inclusive_min: bool = True,
    inclusive_max: bool = True,
    integer: bool = False,
) -> float:
    """Return ``value`` if it is a finite number within the bounds, else raise :class:`ConfigError`.

    Parameters
    ----------
    name : str
        Parameter name as the user sees it.
    value : object
        Received value.
    min_value, max_value : float or None
        Bounds; ``None`` means unbounded.
    inclusive_min, inclusive_max : bool
        Whether the bounds themselves are allowed.
    integer : bool
        Require an ``int`` (a float such as ``2.0`` is refused: TOML and JSON keep the two apart, and a float
        count would fail later, e.g. as a slice bound, far from the config that gave it).
    """
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"Invalid value for {name!r}: allowed {kind}; got {_fmt(value)}.")
    if integer and not isinstance(value, int):  # 2.0 too: a count or seed given as a float is a typing slip
        raise ConfigError(f"Invalid value for {name!r}: allowed {kind}; got {_fmt(value)}.")
    if not math.isfinite(value):
        raise ConfigError(f"Invalid value for {name!r}: allowed a finite number; got {_fmt(value)}.")
    lo_ok = min_value is None or (value >= min_value if inclusive_min else value > min_value)
    hi_ok = max_value is None or (value <= max_value if inclusive_max else value < max_value)
    if not (lo_ok and hi_ok):
        lo = "" if min_value is None else f"{'>=' if inclusive_min else '>'} {min_value:g}"
        hi = "" if max_value is None else f"{'<=' if inclusive_max else '<'} {max_value:g}"
        rng = " and ".join(p for p in (lo, hi) if p)
        raise ConfigError(f"Invalid value for {name!r}: allowed {kind} {rng}; got {_fmt(value)}.")
    return value


def utf8_error_at(data: bytes, exc: UnicodeDecodeError) -> tuple[int, int, int]:
    """Where ``data`` stops being UTF-8, for a message that names the line: ``(line, column, byte value)``.

    Parameters
    ----------
    data : bytes
        The bytes that failed to decode.
    exc : UnicodeDecodeError
        The error ``data.decode("utf-8")`` raised.

    Returns
    -------
    line, column : int
        1-based line and column (in bytes) of the first byte that is not UTF-8.
    byte : int
        Its value.
    """
    line = data.count(b"\n", 0, exc.start) + 1
    column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
    return line, column, data[exc.start]
