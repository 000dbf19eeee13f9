"""``FoldResult``: everything one fold produced, and its serialisable form (a JSON-ready dict + named arrays).

The conversion is pure; the run store (:mod:`seizurepred.reporting.run_store`) writes and reads the files.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from seizurepred._json import json_safe, nan_for_none
from seizurepred.errors import ConfigError
from seizurepred.evaluation.continuous import ContinuousOutput
from seizurepred.evaluation.reference import ReferenceOutput
from seizurepred.labels.segments import LabelConfig
from seizurepred.sweep.plan import Fold

#: Version of the fold file format (bump when a field changes meaning; a new optional array needs no bump).
FOLD_FORMAT = 3
#: The validation arrays (optional: older fold files lack them).
_VAL_ARRAYS = ("val_true", "val_score", "val_seizure")


@dataclass(frozen=True)
class FoldResult:
    """The outcome of one fold.

    Attributes
    ----------
    fold : Fold
        Which fold.
    status : {"ok", "failed"}
        ``"failed"``: the fold raised twice (``error`` says what); every other field is empty.
    error : str
        One line: why the fold failed.
    sizes : dict
        Window counts per part and class (``Split.sizes()``) and ``train_used``.
    best_epoch, n_epochs : int
        Early-stopping outcome.
    train_s : float
        Wall time of training in seconds (reported in ``timings.csv`` only, never in a results table).
    device : str
        Where it trained.
    metrics : dict
        Segment metrics of the test windows.
    y_true, y_score : ndarray of shape (n_test,)
        Test labels and probabilities.
    continuous : ContinuousOutput or None
        Output over the held-out seizure's pre-onset record (every recorded stretch within 10 h before onset).
    reference : ReferenceOutput or None
        Output over the patient's reference EEG (unlabelled, never trained on): the OPP selector's null.
    train_overlap_h : float
        Hours of the pre-onset record covered by this fold's training or validation windows (the paper
        protocol's interictal training data lies there; flagged in the event tables).
    history : tuple of dict
        One row per training epoch.
    val_true, val_score, val_seizure : ndarray of shape (n_val,) or None
        The validation windows' labels, the trained model's probabilities of them and their seizures (-1
        interictal): the calibration set of the fold's forecasts (:mod:`seizurepred.sweep.forecast_table`), never
        tested on. ``None`` in fold files written before they were kept (the forecasts are then uncalibrated).
    """

    fold: Fold
    status: Literal["ok", "failed"] = "ok"
    error: str = ""
    sizes: dict[str, Any] = field(default_factory=dict)
    best_epoch: int = 0
    n_epochs: int = 0
    train_s: float = math.nan
    device: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    y_true: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8), repr=False)
    y_score: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32), repr=False)
    continuous: ContinuousOutput | None = field(default=None, repr=False)
    reference: ReferenceOutput | None = field(default=None, repr=False)
    train_overlap_h: float = 0.0
    history: tuple[dict[str, float], ...] = field(default=(), repr=False)
    val_true: np.ndarray | None = field(default=None, repr=False)
    val_score: np.ndarray | None = field(default=None, repr=False)
    val_seizure: np.ndarray | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """Whether the fold finished."""
        return self.status == "ok"

    # the fold's identity, for the tables
    @property
    def preictal_min(self) -> int:
        return self.fold.preictal_min

    @property
    def seizure_id(self) -> int:
        return self.fold.seizure_id

    @property
    def repeat(self) -> int:
        return self.fold.repeat

    @property
    def protocol(self) -> str:
        return self.fold.protocol

    @property
    def stem(self) -> str:
        return self.fold.stem


def failed_result(fold: Fold, error: str) -> FoldResult:
    """The result recorded for a fold that could not be run (``error``: one line)."""
    return FoldResult(fold=fold, status="failed", error=" ".join(str(error).split())[:500])


# ------------------------------------------------------------------------------------------ serialisation
def _fold_to_dict(fold: Fold) -> dict[str, Any]:
    d = {f.name: getattr(fold, f.name) for f in dataclasses.fields(fold) if f.name != "label"}
    d["label"] = {f.name: getattr(fold.label, f.name) for f in dataclasses.fields(fold.label)}
    return d


def _fold_from_dict(d: dict[str, Any]) -> Fold:
    return Fold(**{**d, "label": LabelConfig(**d["label"])})


def to_payload(result: FoldResult) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``(meta, arrays)``: a strict-JSON-ready dict and the named arrays of ``result``."""
    arrays = {"y_true": result.y_true, "y_score": result.y_score}
    arrays.update({name: getattr(result, name) for name in _VAL_ARRAYS if getattr(result, name) is not None})
    cont = result.continuous
    if cont is not None:
        arrays["cont_times_min"] = cont.times_min_before_onset
        arrays["cont_probs"] = cont.probs
        if cont.stretch is not None:
            arrays["cont_stretch"] = cont.stretch
    ref = result.reference
    if ref is not None:
        arrays["ref_clock_s"] = ref.clock_s
        arrays["ref_probs"] = ref.probs
        arrays["ref_piece"] = ref.piece
    meta = {
        "format": FOLD_FORMAT,
        "fold": _fold_to_dict(result.fold),
        "status": result.status,
        "error": result.error,
        "sizes": result.sizes,
        "best_epoch": result.best_epoch,
        "n_epochs": result.n_epochs,
        "train_s": result.train_s,
        "device": result.device,
        "metrics": result.metrics,
        "train_overlap_h": result.train_overlap_h,
        "history": list(result.history),
        "continuous": None
        if cont is None
        else {
            "record_hours": cont.record_hours,
            "window_s": cont.window_s,
            "seizure_id": cont.seizure_id,
            "stretch_hours": list(cont.stretch_hours),
        },
        "reference": None if ref is None else {"window_s": ref.window_s},
    }
    return json_safe(meta), arrays


def _val_arrays(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray | None]:
    """The validation arrays of a payload: all three, or none (a fold file written before they were kept)."""
    if not all(name in arrays for name in _VAL_ARRAYS):
        return dict.fromkeys(_VAL_ARRAYS)
    out = {name: np.asarray(arrays[name]) for name in _VAL_ARRAYS}
    if len({a.shape for a in out.values()}) != 1 or out["val_true"].ndim != 1:
        raise ValueError(f"validation arrays of different shapes {[a.shape for a in out.values()]}")
    return out


def from_payload(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> FoldResult:
    """Inverse of :func:`to_payload` (``null`` numbers back to NaN).

    Raises
    ------
    ConfigError
        The payload is not a fold result of this format (missing or wrong fields): the caller names the file.
    """
    try:
        if meta.get("format") != FOLD_FORMAT:
            raise KeyError(f"format {meta.get('format')!r} (expected {FOLD_FORMAT})")
        cont_meta = meta["continuous"]
        cont = None
        if cont_meta is not None:
            cont = ContinuousOutput(
                seizure_id=int(cont_meta["seizure_id"]),
                times_min_before_onset=arrays["cont_times_min"],
                probs=arrays["cont_probs"],
                record_hours=float(cont_meta["record_hours"]),
                window_s=float(cont_meta["window_s"]),
                stretch=arrays.get("cont_stretch"),
                stretch_hours=tuple(float(h) for h in cont_meta["stretch_hours"]),
            )
        ref = None
        if meta["reference"] is not None:
            ref = ReferenceOutput(arrays["ref_clock_s"], arrays["ref_probs"], arrays["ref_piece"],
                                  float(meta["reference"]["window_s"]))  # fmt: skip
        return FoldResult(
            fold=_fold_from_dict(meta["fold"]),
            status=meta["status"],
            error=meta["error"],
            sizes=dict(meta["sizes"]),
            best_epoch=int(meta["best_epoch"]),
            n_epochs=int(meta["n_epochs"]),
            train_s=math.nan if meta["train_s"] is None else float(meta["train_s"]),
            device=str(meta["device"]),
            metrics={k: (math.nan if v is None else float(v)) for k, v in meta["metrics"].items()},
            y_true=arrays["y_true"],
            y_score=arrays["y_score"],
            continuous=cont,
            reference=ref,
            train_overlap_h=float(meta["train_overlap_h"]),
            history=tuple(nan_for_none(row) for row in meta["history"]),
            **_val_arrays(arrays),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"not a fold result of this version ({exc})") from None
