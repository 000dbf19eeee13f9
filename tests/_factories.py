"""Factories shared by tests: hand-built folds and fold results (no training), a tiny synthetic patient."""

from __future__ import annotations

from seizurepred.labels.segments import LabelConfig
from seizurepred.sweep.fold_result import FoldResult
from seizurepred.sweep.plan import Fold

#: ``SynthConfig`` fields of a tiny patient (0.8 h in 4 files, 2 seizures, 3-min signature): a few seconds to write.
TINY_SYNTH = dict(
    hours=0.8,
    file_hours=0.2,
    n_seizures=2,
    preictal_min=3.0,
    min_first_onset_h=0.2,
    min_onset_spacing_h=0.15,
    seizure_s=(10.0, 20.0),
)


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
