"""Synthetic CHB-MIT patients: EDF files and a summary in the real layout, with known seizures and a planted,
controllable preictal signature of one of several kinds (see :mod:`seizurepred.synth.background`,
:mod:`seizurepred.synth.events` and :mod:`seizurepred.synth.signatures` for the signal model and its calibration
against real CHB-MIT excerpts; ``python benchmarks/synth_calibration.py`` measures what the strengths mean)."""

from seizurepred.synth.config import SFREQ, SynthConfig
from seizurepred.synth.generator import SynthSeizure, SynthTruth, generate_patient, plan_truth
from seizurepred.synth.layout import FilePlan, plan_patient, summary_text

__all__ = [
    "SFREQ",
    "FilePlan",
    "SynthConfig",
    "SynthSeizure",
    "SynthTruth",
    "generate_patient",
    "plan_patient",
    "plan_truth",
    "summary_text",
]
