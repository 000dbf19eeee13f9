"""Preictal-length sweeps as a plan of independent folds (pure: no file is written here).

:mod:`.plan` turns patients and a :class:`SweepConfig` into frozen, picklable folds; :mod:`.task` runs one fold;
:mod:`.executors` (and :mod:`.ray_executor`) run a pool of them; :mod:`.aggregate` turns the fold results into a
:class:`SweepResult`. :func:`seizurepred.reporting.run_sweep` wires them to a run folder.
"""

from seizurepred.cache.patient import PatientData, prepare_for_sweep, prepare_patient
from seizurepred.sweep.aggregate import aggregate
from seizurepred.sweep.config import SweepConfig, load_sweep_config, sweep_config_from_dict
from seizurepred.sweep.fold_result import FoldResult
from seizurepred.sweep.plan import Fold, Plan, plan_folds
from seizurepred.sweep.result import SweepResult

__all__ = [
    "Fold",
    "FoldResult",
    "PatientData",
    "Plan",
    "SweepConfig",
    "SweepResult",
    "aggregate",
    "load_sweep_config",
    "plan_folds",
    "prepare_for_sweep",
    "prepare_patient",
    "sweep_config_from_dict",
]
