"""Factories shared by tests: hand-built folds and fold results (no training)."""

from __future__ import annotations

from seizurepred.labels.segments import LabelConfig
from seizurepred.sweep.fold_result import FoldResult
from seizurepred.sweep.plan import Fold


def make_fold(preictal_min: int = 30, seizure_id: int = 0, repeat: int = 0, *, case: str = "chb97",
              protocol: str = "paper", position: int = 0, label: LabelConfig | None = None) -> Fold:  # fmt: skip
    """A fold of ``case`` with the paper's labelling at ``preictal_min``."""
    return Fold(
        case=case,
        preictal_min=int(preictal_min),
        label=label or LabelConfig(preictal_min=float(preictal_min)),
        repeat=int(repeat),
        seizure_id=int(seizure_id),
        protocol=protocol,
        split_seed=int(repeat),
        train_seed=1000 * int(repeat) + int(seizure_id),
        position=position,
    )


def fold_result(*, preictal_min: int, seizure_id: int, repeat: int = 0, protocol: str = "paper",
                case: str = "chb97", **fields) -> FoldResult:  # fmt: skip
    """A finished :class:`FoldResult` with the given fields (the fold is built from the identity arguments)."""
    return FoldResult(
        fold=make_fold(preictal_min, seizure_id, repeat, case=case, protocol=protocol), **fields
    )
