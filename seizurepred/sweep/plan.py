"""The plan of a sweep: every fold as a frozen, picklable :class:`Fold`, made without training anything.

A fold is one preictal length (with its full :class:`~seizurepred.labels.segments.LabelConfig`), one repeat and
one held-out seizure under one split protocol, with its seeds. Folds are independent: an executor may run them
in any order, in other processes or on other machines (:mod:`seizurepred.sweep.executors`), and the result does
not depend on it. The planner is a pure function of the patient (manifest + the cached recordings' lengths) and
the :class:`~seizurepred.sweep.config.SweepConfig`; :func:`fold_inputs` rebuilds a fold's window index and split
deterministically wherever the fold runs, so a fold never carries arrays.
"""

from __future__ import annotations

import logging
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from seizurepred.cache.patient import PatientData
from seizurepred.errors import ConfigError
from seizurepred.evaluation.reference import holdout_blocks, holdout_cuts
from seizurepred.io.manifest import Manifest
from seizurepred.labels.holdout import without_spans
from seizurepred.labels.segments import LabelConfig, Segments, label_segments
from seizurepred.sweep.config import SweepConfig
from seizurepred.windows.index import WindowIndex, build_window_index
from seizurepred.windows.splits import Split, make_splits

logger = logging.getLogger(__name__)

#: Largest seed a fold may derive (torch and numpy accept any 32-bit unsigned seed).
MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class Fold:
    """One model to train and evaluate.

    Attributes
    ----------
    case : str
        Patient.
    preictal_min : int
        Swept preictal length in minutes.
    label : LabelConfig
        The full labelling of this length (``label.preictal_min == preictal_min``).
    repeat : int
        Repeat number (0-based).
    seizure_id : int
        The held-out seizure (``SeizureEvent.seizure_id``).
    protocol : str
        ``"paper"`` or ``"chronological"``.
    split_seed : int
        Seed of the interictal subsample of the window index and of the split (``config.seed + repeat``).
    train_seed : int
        Seed of the model's initial weights and of its training order (:func:`training_seed`).
    position : int
        Position of the held-out seizure among the folds of this length and repeat (0-based).
    """

    case: str
    preictal_min: int
    label: LabelConfig
    repeat: int
    seizure_id: int
    protocol: str
    split_seed: int
    train_seed: int
    position: int

    @property
    def stem(self) -> str:
        """File stem of this fold's artefacts, e.g. ``k060_sz003_r0``."""
        return fold_stem(self.preictal_min, self.seizure_id, self.repeat)

    @property
    def key(self) -> tuple[str, int, int, int]:
        """``(case, preictal_min, seizure_id, repeat)``: the fold's identity within a pool of sweeps."""
        return (self.case, self.preictal_min, self.seizure_id, self.repeat)


@dataclass(frozen=True)
class Plan:
    """The folds of one or more patients, and the lengths that yield no fold.

    Attributes
    ----------
    folds : tuple of Fold
        In the order length, repeat, held-out seizure (per patient, patients in the order given).
    skipped : tuple of dict
        ``case``, ``preictal_min`` and ``reason`` for every length without a fold (patient not eligible, no
        split could be made).
    """

    folds: tuple[Fold, ...]
    skipped: tuple[dict[str, Any], ...] = ()

    def __len__(self) -> int:
        return len(self.folds)

    def for_case(self, case: str) -> Plan:
        """The part of the plan of one patient."""
        return Plan(
            tuple(f for f in self.folds if f.case == case), tuple(s for s in self.skipped if s["case"] == case)
        )


def fold_stem(preictal_min: int, seizure_id: int, repeat: int) -> str:
    """File stem of a fold's artefacts, e.g. ``k060_sz003_r0``."""
    return f"k{int(preictal_min):03d}_sz{int(seizure_id):03d}_r{int(repeat)}"


def training_seed(config: SweepConfig, *, repeat: int, seizure_id: int) -> int:
    """Seed of one fold's model: ``train.seed + seed * 1_000_003 + 1000 * repeat + seizure_id``.

    Every fold gets its own initialisation and training order; ``--seed`` changes all of them.
    """
    return int(config.train.seed + config.seed * 1_000_003 + 1000 * repeat + seizure_id)


def check_seeds(config: SweepConfig, *, max_seizure_id: int) -> None:
    """Refuse a config whose derived seeds would overflow, before anything is computed or written.

    Raises
    ------
    ConfigError
        Naming ``seed`` and the largest value that works with this config.
    """
    worst = training_seed(config, repeat=config.repeats - 1, seizure_id=max_seizure_id)
    if worst > MAX_SEED:
        limit = (MAX_SEED - config.train.seed - 1000 * (config.repeats - 1) - max_seizure_id) // 1_000_003
        raise ConfigError(
            f"Invalid value for 'seed': allowed 0..{max(limit, 0)} with {config.repeats} repeat(s) "
            f"(derived training seeds must stay below 2**31); got {config.seed}."
        )


# ------------------------------------------------------------------------------ window index and splits
def reference_holdout(manifest: Manifest, config: SweepConfig) -> tuple[tuple[float, float], ...]:
    """The interictal blocks every fold of this patient leaves out as the OPP selector's reference EEG (clock s).

    One function of the manifest and the config, so that training (:func:`fold_segments`) and the reference
    (:func:`seizurepred.sweep.task.reference_output`) agree in every process.
    """
    longest = max(config.preictal_mins)
    return holdout_blocks(manifest, label=config.label_for(longest), longest_preictal_min=longest,
                          margin_min=config.selector.margin_min, options=config.reference)  # fmt: skip


def fold_segments(manifest: Manifest, label: LabelConfig, config: SweepConfig) -> Segments:
    """The labels a fold trains and tests on: ``label``'s segments less the reference hold-out and its margins."""
    segments = label_segments(manifest, config=label)
    return without_spans(segments, holdout_cuts(reference_holdout(manifest, config), config.reference))


_INPUTS: OrderedDict[tuple, tuple[weakref.ref, WindowIndex, list[Split]]] = OrderedDict()
_INPUTS_MAX = 64  # lengths x repeats of a pool; each entry is a few MB


def _index_and_splits(
    patient: PatientData, label: LabelConfig, config: SweepConfig, seed: int
) -> tuple[WindowIndex, list[Split]]:
    """Window index and splits of one length and repeat (memoised per process: folds share them).

    The memo is keyed by the patient object's identity and checked through a weak reference: an ``id`` alone is
    reused by Python once an object is freed, and a process that sweeps one patient after another (a benchmark, a
    notebook) would otherwise be handed the previous patient's windows.
    """
    cache_key = getattr(getattr(patient, "cache", None), "key", None)
    key = (id(patient), patient.manifest.case, cache_key, label, config.window, config.protocol, seed)
    hit = _INPUTS.get(key)
    if hit is not None and hit[0]() is patient:
        _INPUTS.move_to_end(key)
        return hit[1], hit[2]
    segments = fold_segments(patient.manifest, label, config)
    index = build_window_index(
        segments,
        patient.manifest,
        config=config.window,
        sfreq=patient.sfreq,
        seed=seed,
        available=patient.available,
        n_samples=patient.n_samples,
    )
    splits = make_splits(index, protocol=config.protocol, seed=seed)
    _INPUTS[key] = (weakref.ref(patient), index, splits)
    while len(_INPUTS) > _INPUTS_MAX:
        _INPUTS.popitem(last=False)
    return index, splits


def fold_inputs(fold: Fold, patient: PatientData, config: SweepConfig) -> tuple[WindowIndex, Split]:
    """The window index and split of ``fold``, rebuilt deterministically from the patient and the config.

    Raises
    ------
    ConfigError
        The fold does not belong to this patient and config (its seizure has no split).
    """
    index, splits = _index_and_splits(patient, fold.label, config, fold.split_seed)
    for split in splits:
        if split.test_seizure_id == fold.seizure_id:
            return index, split
    raise ConfigError(
        f"Invalid value for 'fold': {fold.stem} of {fold.case} has no {fold.protocol} split with this config."
    )


def _plan_one(patient: PatientData, config: SweepConfig) -> tuple[list[Fold], list[dict[str, Any]]]:
    case = patient.manifest.case
    folds: list[Fold] = []
    skipped: list[dict[str, Any]] = []
    for k in config.preictal_mins:
        label = config.label_for(k)
        segments = fold_segments(patient.manifest, label, config)
        if not segments.eligible:
            skipped.append({"case": case, "preictal_min": k, "reason": segments.reason})
            continue
        for repeat in range(config.repeats):
            seed = config.seed + repeat
            _, splits = _index_and_splits(patient, label, config, seed)
            if not splits and repeat == 0:
                skipped.append(
                    {"case": case, "preictal_min": k, "reason": f"no {config.protocol} split could be made"}
                )
            for position, split in enumerate(splits[: config.max_folds]):
                sid = int(split.test_seizure_id)
                folds.append(
                    Fold(
                        case=case,
                        preictal_min=int(k),
                        label=label,
                        repeat=repeat,
                        seizure_id=sid,
                        protocol=config.protocol,
                        split_seed=seed,
                        train_seed=training_seed(config, repeat=repeat, seizure_id=sid),
                        position=position,
                    )
                )
    return folds, skipped


def plan_folds(patients: PatientData | Sequence[PatientData], *, config: SweepConfig) -> Plan:
    """Every fold of one patient (or of several, as one pool), without training anything.

    Parameters
    ----------
    patients : PatientData or sequence of PatientData
        Patients with their built caches (anything with ``manifest``, ``available``, ``sfreq`` and
        ``n_samples`` plans: e.g. a committed manifest without signals, for a dry run).
    config : SweepConfig
        The sweep.

    Returns
    -------
    Plan
    """
    many: Iterable[PatientData] = [patients] if hasattr(patients, "manifest") else patients
    folds: list[Fold] = []
    skipped: list[dict[str, Any]] = []
    for patient in many:
        ids = [ev.seizure_id for ev in patient.manifest.seizures] or [0]
        check_seeds(config, max_seizure_id=max(ids))
        f, s = _plan_one(patient, config)
        folds += f
        skipped += s
    return Plan(tuple(folds), tuple(skipped))


def preflight(manifest, config: SweepConfig) -> int:
    """Check, from the manifest alone (before any EDF is read or any file written), that ``config`` plans folds.

    The window index is cut over the manifest's recording durations (the cache may later find a file shorter,
    or skip one for a missing channel, so the real plan can only be smaller).

    Returns
    -------
    int
        Number of folds the config would plan with every recording available.

    Raises
    ------
    ConfigError
        The config plans no fold; the message gives the reason for every length.
    """
    ids = [ev.seizure_id for ev in manifest.seizures] or [0]
    check_seeds(config, max_seizure_id=max(ids))
    n, reasons = 0, []
    for k in config.preictal_mins:
        segments = fold_segments(manifest, config.label_for(k), config)
        if not segments.eligible:
            reasons.append(f"{k} min: {segments.reason}")
            continue
        index = build_window_index(segments, manifest, config=config.window, sfreq=manifest.sfreq, seed=config.seed)
        splits = make_splits(index, protocol=config.protocol, seed=config.seed)
        if not splits:
            reasons.append(
                f"{k} min: no {config.protocol} split ({index.n_preictal} preictal and {index.n_interictal} "
                f"interictal windows of {config.window.window_s:g} s)"
            )
        n += len(splits[: config.max_folds]) * config.repeats
    if n == 0:
        raise ConfigError(f"{manifest.case}: the config plans no fold to train ({'; '.join(reasons)}).")
    return n
