"""The built-in synthetic patient and the CPU-friendly sweep config that goes with it.

``seizurepred sweep --synthetic`` writes this patient (deterministic by seed) and sweeps it. Its preictal
signature is planted over the last :data:`DEMO_SIGNATURE_MIN` minutes before each onset, so a sweep that works
should find that optimal preictal period: a known answer, unlike real data (the main job's tests assert it).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

from seizurepred._atomic import atomic_write_text
from seizurepred.config import config_to_dict
from seizurepred.labels.segments import LabelConfig
from seizurepred.sweep.config import SweepConfig
from seizurepred.training import TrainConfig
from seizurepred.windows.index import WindowConfig

logger = logging.getLogger(__name__)

#: Length of the planted preictal signature of the demo patient, minutes.
DEMO_SIGNATURE_MIN = 30.0
DEMO_CASE = "chb01"


def demo_synth_config(*, seed: int = 7, null: bool = False):
    """The built-in synthetic patient: 30 h in 1-h files, 3 seizures at least 8 h apart, a 30-min signature.

    Long gaps between files are switched off so that every seizure has the > 2.5 h of uninterrupted pre-onset
    EEG that CIOPR needs (real cases are less kind).

    Parameters
    ----------
    seed : int
        Generator seed.
    null : bool
        No preictal signature at all (a model should then not beat chance).
    """
    from seizurepred.synth import SynthConfig

    return SynthConfig(
        patient=DEMO_CASE,
        hours=30.0,
        n_seizures=3,
        preictal_min=DEMO_SIGNATURE_MIN,
        signature_strength=1.0,
        null=null,
        seed=seed,
        min_first_onset_h=6.0,
        min_onset_spacing_h=8.0,
        long_gap_prob=0.0,
    )


#: Interictal distances for patients of a few hours (the paper's 4 h / 1 h would leave no interictal data):
#: interictal >= 2 h before any onset and >= 30 min after any end. With lengths up to 30 min this leaves 1 h of
#: reference EEG before each seizure (45-105 min before onset), which the OPP selector compares the bands with.
SHORT_RECORD_LABELS = LabelConfig(
    interictal_before_onset_min=120.0, interictal_after_end_min=30.0, postictal_exclusion_min=30.0
)


def short_synth_config(*, hours: float = 8.0, n_seizures: int = 2, seed: int = 3, null: bool = False):
    """A small synthetic patient for tests, notebooks and benchmarks: 8 h, 2 seizures >= 3.5 h apart.

    Pair it with :data:`SHORT_RECORD_LABELS`. Every seizure has > 2.5 h of uninterrupted EEG before it (no long
    gaps), so CIOPR is defined; the 30-min preictal signature has the default strength.

    Parameters
    ----------
    hours, n_seizures, seed, null
        As in :class:`~seizurepred.synth.SynthConfig`.
    """
    return dataclasses.replace(
        demo_synth_config(seed=seed, null=null),
        hours=hours,
        n_seizures=n_seizures,
        min_first_onset_h=3.2,
        min_onset_spacing_h=3.5,
    )


def demo_sweep_config() -> SweepConfig:
    """A sweep of 60/30/15 min with the small model that runs in minutes on a 2-core CPU (every seizure held out)."""
    return SweepConfig(
        preictal_mins=(60, 30, 15),
        protocol="paper",
        repeats=1,
        model="small",
        max_folds=None,
        max_train_windows=2000,
        window=WindowConfig(),
        label=LabelConfig(),
        train=TrainConfig(max_epochs=8, patience=3),
        n_surrogates=200,
    )


def ensure_demo_patient(data_root: str | Path, *, seed: int = 7, null: bool = False) -> Path:
    """Write the demo patient under ``data_root`` unless an identical one is already there; return the root.

    A ``synth_config.json`` beside the files records what was generated; a different config regenerates.
    """
    from seizurepred.synth import generate_patient

    data_root = Path(data_root)
    config = demo_synth_config(seed=seed, null=null)
    stamp = data_root / DEMO_CASE / "synth_config.json"
    wanted = json.dumps(config_to_dict(config), sort_keys=True)
    if stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == wanted:
        logger.info("synthetic patient already at %s", data_root / DEMO_CASE)
        return data_root
    logger.info("writing the built-in synthetic patient to %s", data_root / DEMO_CASE)
    generate_patient(data_root, config=config)
    atomic_write_text(stamp, wanted + "\n")
    return data_root


__all__ = [
    "DEMO_SIGNATURE_MIN",
    "DEMO_CASE",
    "SHORT_RECORD_LABELS",
    "demo_synth_config",
    "demo_sweep_config",
    "ensure_demo_patient",
    "short_synth_config",
]
