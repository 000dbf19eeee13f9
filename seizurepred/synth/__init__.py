"""Synthetic CHB-MIT patients: EDF files and a summary in the real layout, with known seizures and a planted,
controllable preictal signature of one of several kinds (see :mod:`seizurepred.synth.background`,
:mod:`seizurepred.synth.events` and :mod:`seizurepred.synth.signatures` for the signal model and its calibration
against real CHB-MIT excerpts; ``python benchmarks/synth_calibration.py`` measures what the strengths mean).
:func:`synth_like` writes one with the exact geometry of a real case (:mod:`seizurepred.synth.like`)."""

from seizurepred.synth.config import ONSET_SHAPES, SFREQ, SynthConfig
from seizurepred.synth.generator import SynthSeizure, SynthTruth, generate_patient, plan_truth
from seizurepred.synth.layout import FilePlan, plan_patient, plans_from_manifest, summary_text
from seizurepred.synth.like import like_config, synth_like

__all__ = [
    "ONSET_SHAPES",
    "SFREQ",
    "FilePlan",
    "SynthConfig",
    "SynthSeizure",
    "SynthTruth",
    "generate_patient",
    "like_config",
    "plan_patient",
    "plan_truth",
    "plans_from_manifest",
    "summary_text",
    "synth_like",
]
