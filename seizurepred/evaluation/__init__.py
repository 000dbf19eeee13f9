"""Evaluation: segment metrics, continuous output, CIOPR, alarms, significance against chance, tidy tables.

Submodules: :mod:`.metrics` (segment level), :mod:`.continuous` (a seizure's pre-onset record and the output over it),
:mod:`.reference` and :mod:`.opp` (the OPP selector's reference EEG and band test),
:mod:`.ciopr` / :mod:`.ciopr_fit` (Koutsouvelis et al. 2024), :mod:`.alarms` (event level), :mod:`.significance`
(random predictor, seizure-time surrogates), :mod:`.tables` (CSV / JSON / Markdown). All but ``tables`` are pure.
"""

from seizurepred.evaluation.alarms import AlarmConfig, EventMetrics, event_metrics, raise_alarms
from seizurepred.evaluation.ciopr import (
    CioprOptions,
    CioprResult,
    CioprTerms,
    choose_opp,
    ciopr_compare,
    ciopr_terms,
)
from seizurepred.evaluation.continuous import ContinuousOutput, record_windows, uninterrupted_pre_onset
from seizurepred.evaluation.metrics import UndefinedMetricWarning, pool_folds, segment_metrics
from seizurepred.evaluation.opp import SelectorOptions, band_evidence, select_opp
from seizurepred.evaluation.reference import ReferenceOutput, reference_pieces
from seizurepred.evaluation.significance import critical_sensitivity, random_predictor_p, surrogate_test

__all__ = [
    "AlarmConfig",
    "CioprOptions",
    "CioprResult",
    "CioprTerms",
    "ContinuousOutput",
    "EventMetrics",
    "UndefinedMetricWarning",
    "choose_opp",
    "ciopr_compare",
    "ciopr_terms",
    "record_windows",
    "band_evidence",
    "select_opp",
    "SelectorOptions",
    "ReferenceOutput",
    "reference_pieces",
    "critical_sensitivity",
    "event_metrics",
    "pool_folds",
    "raise_alarms",
    "random_predictor_p",
    "segment_metrics",
    "surrogate_test",
    "uninterrupted_pre_onset",
]
