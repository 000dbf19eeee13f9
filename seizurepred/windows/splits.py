"""Train / validation / test splits of a :class:`~seizurepred.windows.index.WindowIndex` (row indices, never copies).

Two protocols:

``"paper"`` (:func:`leave_one_seizure_out`)
    The paper's: for each seizure, test = its preictal windows plus as many interictal windows drawn at random;
    the rest is shuffled and split 90/10 into training and validation. Later seizures train the model that
    predicts earlier ones, and test interictal windows neighbour training ones: the protocol leaks (docs/method.md section 5).
``"chronological"`` (:func:`chronological_splits`)
    Leakage-free: training and validation use only windows that end before the test seizure's preictal period
    starts minus a guard band; validation is the latest part of that data of each class (both classes, so early
    stopping does not run on an interictal-only loss), not a random draw; test interictal windows come from
    after the training data plus the guard band (too few of them: a warning, as the paper protocol gives). Seizures without earlier data of both
    classes are skipped with a reason (:func:`chronological_report`).

Every random draw is seeded per fold from ``(seed, seizure_id)``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from seizurepred._validate import check_number, check_option
from seizurepred.errors import ConfigError
from seizurepred.windows.index import INTERICTAL, PREICTAL, WindowIndex

logger = logging.getLogger(__name__)

PROTOCOLS = ("paper", "chronological")


@dataclass(frozen=True, eq=False)
class Split:
    """One fold: row indices into a :class:`WindowIndex`, each array sorted and disjoint from the others.

    Attributes
    ----------
    protocol : str
        ``"paper"`` or ``"chronological"``.
    test_seizure_id : int
        The held-out seizure.
    train, val, test : ndarray of int64
        Row indices.
    labels : ndarray of int8 or None
        The index's label column (a reference, for :meth:`sizes`).
    """

    protocol: str
    test_seizure_id: int
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    labels: np.ndarray | None = field(default=None, repr=False)

    def sizes(self) -> dict[str, Any]:
        """Counts per part and class, with the protocol name and the test seizure.

        Returns
        -------
        dict
            ``protocol``, ``test_seizure_id``, and for each part ``train``, ``val``, ``test``: ``<part>`` (total),
            ``<part>_preictal``, ``<part>_interictal`` (the last two only when labels are known).
        """
        out: dict[str, Any] = {"protocol": self.protocol, "test_seizure_id": self.test_seizure_id}
        for part in ("train", "val", "test"):
            rows = getattr(self, part)
            out[part] = len(rows)
            if self.labels is not None:
                lab = self.labels[rows]
                out[f"{part}_preictal"] = int(np.count_nonzero(lab == PREICTAL))
                out[f"{part}_interictal"] = int(np.count_nonzero(lab == INTERICTAL))
        return out


def _check_common(seed: int, val_fraction: float) -> None:
    check_number("seed", int(seed) if isinstance(seed, np.integer) else seed, min_value=0, integer=True)
    check_number("val_fraction", val_fraction, min_value=0.0, max_value=1.0, inclusive_max=False)


def _rng(seed: int, seizure_id: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), int(seizure_id)])


def _preictal_rows(index: WindowIndex, seizure_id: int) -> np.ndarray:
    return np.flatnonzero((index.label == PREICTAL) & (index.seizure_id == seizure_id))


def _draw(rng: np.random.Generator, pool: np.ndarray, n: int) -> np.ndarray:
    return np.sort(rng.choice(pool, size=min(n, len(pool)), replace=False)).astype(np.int64)


def leave_one_seizure_out(index: WindowIndex, *, seed: int, val_fraction: float = 0.1) -> list[Split]:
    """The paper's leave-one-seizure-out folds.

    Parameters
    ----------
    index : WindowIndex
        Windows of one patient and one preictal length.
    seed : int
        Seed of the interictal draw and the shuffle (combined with the seizure id per fold).
    val_fraction : float
        Fraction of the non-test windows used for validation (the paper: 0.1).

    Returns
    -------
    list of Split
        One per seizure with preictal windows, in seizure order.
    """
    _check_common(seed, val_fraction)
    interictal = np.flatnonzero(index.label == INTERICTAL)
    all_rows = np.arange(len(index), dtype=np.int64)
    splits = []
    for sid in index.seizure_ids:
        rng = _rng(seed, sid)
        test_pre = _preictal_rows(index, sid)
        test_int = _draw(rng, interictal, len(test_pre))
        if len(test_int) < len(test_pre):
            logger.warning(
                "seizure %d: only %d interictal windows for %d test preictal",
                sid,
                len(test_int),
                len(test_pre),
            )
        test = np.sort(np.concatenate([test_pre, test_int]))
        rest = rng.permutation(np.setdiff1d(all_rows, test, assume_unique=True))
        n_val = int(round(val_fraction * len(rest)))
        split = Split("paper", sid, np.sort(rest[n_val:]), np.sort(rest[:n_val]), test, index.label)
        if split.sizes()["train_preictal"] == 0:
            logger.warning("seizure %d: no preictal windows of other seizures to train on", sid)
        splits.append(split)
    return splits


def _latest_validation(
    index: WindowIndex, pool: np.ndarray, val_fraction: float
) -> tuple[np.ndarray, np.ndarray]:
    """Split ``pool`` into training rows and validation rows that hold both classes.

    Validation = the latest ``val_fraction`` of the pool's windows *of each class* (so early stopping sees both:
    the latest part of the pool as a whole is nearly always interictal only). Training = the rest, minus any
    window that overlaps a validation window in time.
    """
    if val_fraction <= 0:
        return np.sort(pool), np.empty(0, np.int64)
    val_parts = []
    for label in (PREICTAL, INTERICTAL):
        rows = pool[index.label[pool] == label]
        rows = rows[np.argsort(index.clock_s[rows], kind="stable")]
        n_val = int(math.ceil(val_fraction * len(rows)))
        val_parts.append(rows[len(rows) - n_val :])
    val = np.sort(np.concatenate(val_parts))
    rest = np.setdiff1d(pool, val, assume_unique=True)
    v_start = np.sort(index.clock_s[val])
    v_end = v_start + index.window_s
    r_start = index.clock_s[rest]
    j = np.searchsorted(v_start, r_start + index.window_s, side="left") - 1  # last validation window starting before
    overlaps = (j >= 0) & (np.maximum.accumulate(v_end)[np.clip(j, 0, None)] > r_start)
    return np.sort(rest[~overlaps]), val


def _chronological_fold(
    index: WindowIndex, sid: int, *, seed: int, guard_s: float, val_fraction: float, min_windows: int
) -> Split | str:
    """One chronological fold, or the reason it cannot be made."""
    end = index.clock_s + index.window_s
    test_pre = _preictal_rows(index, sid)
    cutoff = index.clock_s[test_pre].min() - guard_s
    pool = np.flatnonzero(end <= cutoff)
    n_pre, n_int = (int(np.count_nonzero(index.label[pool] == c)) for c in (PREICTAL, INTERICTAL))
    if n_pre < min_windows or n_int < min_windows:
        return (
            f"not enough data before the preictal period minus the guard band: {n_pre} preictal and {n_int} "
            f"interictal windows (need {min_windows} of each)"
        )
    train, val = _latest_validation(index, pool, val_fraction)
    lab = index.label[train]
    if np.count_nonzero(lab == PREICTAL) < min_windows or np.count_nonzero(lab == INTERICTAL) < min_windows:
        return "training data lacks a class once the latest part is held out for validation"
    if val_fraction > 0 and len(np.unique(index.label[val])) < 2:
        return "validation data (the latest windows of each class) lacks a class"
    pool_end = end[pool].max()
    later = np.flatnonzero((index.label == INTERICTAL) & (index.clock_s >= pool_end + guard_s))
    if len(later) == 0:
        return "no interictal windows after the training data plus the guard band"
    test_int = _draw(_rng(seed, sid), later, len(test_pre))
    if len(test_int) < len(test_pre):
        logger.warning(
            "seizure %d: only %d interictal windows after the training data for %d test preictal (unbalanced test "
            "set; sensitivity and specificity are per class, accuracy and F1 are not)",
            sid,
            len(test_int),
            len(test_pre),
        )
    test = np.sort(np.concatenate([test_pre, test_int]))
    return Split("chronological", sid, train, val, test, index.label)


def chronological_report(
    index: WindowIndex,
    *,
    seed: int,
    guard_min: float = 60.0,
    val_fraction: float = 0.1,
    min_windows: int = 1,
) -> tuple[list[Split], dict[int, str]]:
    """Leakage-free chronological folds, and the seizures that had to be skipped with the reason.

    Parameters
    ----------
    index : WindowIndex
        Windows of one patient and one preictal length.
    seed : int
        Seed of the test interictal draw (combined with the seizure id per fold).
    guard_min : float
        Guard band in minutes between the end of the training data and the test seizure's preictal period, and
        between the end of the training data and the first test interictal window.
    val_fraction : float
        Fraction of the training windows, the latest in time, used for validation.
    min_windows : int
        Least number of training windows of each class for a fold to be made.

    Returns
    -------
    splits : list of Split
    skipped : dict of int to str
        ``{seizure_id: reason}``.
    """
    _check_common(seed, val_fraction)
    check_number("guard_min", guard_min, min_value=0.0)
    check_number("min_windows", min_windows, min_value=1, integer=True)
    splits: list[Split] = []
    skipped: dict[int, str] = {}
    for sid in index.seizure_ids:
        fold = _chronological_fold(
            index,
            sid,
            seed=seed,
            guard_s=guard_min * 60.0,
            val_fraction=val_fraction,
            min_windows=min_windows,
        )
        if isinstance(fold, Split):
            splits.append(fold)
        else:
            skipped[sid] = fold
            logger.info("chronological split: seizure %d skipped: %s", sid, fold)
    return splits, skipped


def chronological_splits(
    index: WindowIndex, *, seed: int, guard_min: float = 60.0, val_fraction: float = 0.1, min_windows: int = 1
) -> list[Split]:
    """Leakage-free chronological folds (see :func:`chronological_report` for the parameters and skips)."""
    return chronological_report(
        index, seed=seed, guard_min=guard_min, val_fraction=val_fraction, min_windows=min_windows
    )[0]


def make_splits(
    index: WindowIndex, *, protocol: Literal["paper", "chronological"], seed: int, **options: Any
) -> list[Split]:
    """Folds of ``index`` under ``protocol``.

    Parameters
    ----------
    index : WindowIndex
        Windows of one patient and one preictal length.
    protocol : {"paper", "chronological"}
        Which protocol.
    seed : int
        Seed.
    **options
        ``val_fraction`` for both; ``guard_min`` and ``min_windows`` for ``"chronological"``.

    Returns
    -------
    list of Split
    """
    check_option("protocol", protocol, PROTOCOLS)
    allowed = ("val_fraction",) if protocol == "paper" else ("val_fraction", "guard_min", "min_windows")
    for name in options:
        if name not in allowed:
            raise ConfigError(
                f"Invalid value for 'options': allowed {', '.join(map(repr, allowed))} for protocol {protocol!r}; "
                f"got {name!r}."
            )
    if protocol == "paper":
        return leave_one_seizure_out(index, seed=seed, **options)
    return chronological_splits(index, seed=seed, **options)
