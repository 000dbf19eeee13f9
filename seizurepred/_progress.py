"""Progress bars for long work, silenced by ``--quiet``, by ``SEIZUREPRED_QUIET=1`` and under pytest."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")

_QUIET = False


def set_quiet(quiet: bool) -> None:
    """Turn progress bars off (``True``) or on for this process."""
    global _QUIET
    _QUIET = bool(quiet)


def is_quiet() -> bool:
    """Whether progress bars are off (``--quiet``, ``SEIZUREPRED_QUIET=1`` or running under pytest)."""
    return _QUIET or os.environ.get("SEIZUREPRED_QUIET") == "1" or "PYTEST_CURRENT_TEST" in os.environ


def progress(iterable: Iterable[T], *, desc: str, total: int | None = None, unit: str = "it") -> Iterator[T]:
    """Wrap ``iterable`` in a tqdm bar on stderr unless progress is silenced.

    Parameters
    ----------
    iterable : iterable
        Items to iterate over.
    desc : str
        Short label shown before the bar.
    total : int or None
        Number of items when ``iterable`` has no ``len``.
    unit : str
        Unit name shown by tqdm.
    """
    return iter(tqdm(iterable, desc=desc, total=total, unit=unit, disable=is_quiet(), leave=False, dynamic_ncols=True))


def progress_bar(*, total: int, desc: str, unit: str = "it", unit_scale: bool = False) -> tqdm:
    """A manually updated tqdm bar on stderr (``bar.update(n)``, ``bar.close()``), silenced like :func:`progress`.

    Parameters
    ----------
    total : int
        Number of units.
    desc : str
        Short label shown before the bar.
    unit : str
        Unit name (``"B"`` with ``unit_scale=True`` shows bytes as kB/MB/GB with rate and ETA).
    unit_scale : bool
        Scale the counts with SI prefixes.
    """
    return tqdm(
        total=total, desc=desc, unit=unit, unit_scale=unit_scale, disable=is_quiet(), leave=False, dynamic_ncols=True
    )
