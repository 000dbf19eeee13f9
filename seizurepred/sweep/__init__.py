"""Preictal-length sweeps: one patient, every length x held-out seizure x repeat, CIOPR and the OPP."""

from seizurepred.cache.patient import PatientData, prepare_for_sweep, prepare_patient
from seizurepred.sweep.config import SweepConfig, load_sweep_config, sweep_config_from_dict
from seizurepred.sweep.result import SweepResult
from seizurepred.sweep.runner import plan_folds, run_sweep

__all__ = [
    "SweepConfig",
    "SweepResult",
    "PatientData",
    "load_sweep_config",
    "sweep_config_from_dict",
    "prepare_patient",
    "prepare_for_sweep",
    "plan_folds",
    "run_sweep",
]
