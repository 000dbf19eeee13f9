"""``SweepResult``: the aggregated outcome of one patient's sweep (tables, OPP, the folds themselves).

Tables (one row per ...):

* ``segments``: fold (length x held-out seizure x repeat): sizes, training outcome, segment metrics;
* ``pooled``: preictal length: segment metrics pooled over every fold and repeat (the paper's per-patient
  figures), mean SPC ("prediction time") and mean CIOPR;
* ``ciopr``: length x seizure x repeat: every CIOPR term (``seizurepred.evaluation.ciopr``);
* ``events``: length x repeat: alarms on the folds' continuous outputs, pooled (SOP/SPH, FPR/h, time in
  warning, p-values against chance; :mod:`seizurepred.sweep.events`);
* ``forecast``: length x horizon x fold, and length x horizon pooled: seizure-likelihood forecasts from the folds'
  calibrated continuous outputs (Brier score and decomposition, skill against the training seizure rate, Sen/TiW
  area, improvement over chance; :mod:`seizurepred.sweep.forecast_table`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from seizurepred.sweep.config import SweepConfig
from seizurepred.sweep.fold_result import FoldResult


@dataclass(frozen=True)
class SweepResult:
    """The outcome of one patient's sweep.

    Attributes
    ----------
    case : str
        Patient.
    config : SweepConfig
        The sweep's config.
    segments, pooled, ciopr, events : list of dict
        Tidy tables (see the module docstring).
    events_by_seizure : list of dict
        The alarms of each fold's timeline alone (one row per length x held-out seizure x repeat).
    forecast : list of dict
        The forecast table (see the module docstring); ``summary()["brier_skill"]`` holds its pooled skill scores
        of the first horizon.
    opp_min : int or None
        Optimal preictal period in minutes, from the OPP selector (:mod:`seizurepred.evaluation.opp`); ``None``
        when no length is better than chance.
    opp_criterion : str
        ``"preictal-band test"``, ``"no preictal period found"`` or ``"not testable"``.
    opp_verdict : {"opp", "no_change", "not_testable"}
        ``"opp"``: a length is significant; ``"no_change"``: lengths were tested and none is; ``"not_testable"``:
        none could be tested (too little reference EEG, too few seizures with the band recorded...), which is no
        evidence of absence.
    opp_verdict_reason : str
        Which lengths were not tested and why ("" when every length was).
    opp_interval_min : [lo, hi] or None
        Where the change begins, in minutes before onset (:func:`~seizurepred.evaluation.opp.opp_interval`;
        ``hi`` None when the OPP is the longest length swept); ``None`` unless the verdict is ``"opp"``.
    paper_opp_min : int or None
        The paper's OPP ("paper CIOPR": highest mean CIOPR, else highest F1), reported beside it.
    paper_opp_criterion : str
        ``"CIOPR"``, ``"F1"`` or ``"none"``.
    opp_evidence : list of dict
        The selector's evidence per length (band, band and reference means, p-values, verdict).
    opp_explanation : str
        One sentence when the selector and paper CIOPR differ ("" otherwise).
    opp_variants : list of dict
        The paper-CIOPR OPP under each combination of CIOPR's open readings (``output`` x ``spc_mode`` x
        ``reconstruction``); ``used`` marks the configured one. An OPP that changes with them rests on a
        reading of the paper, not on the data.
    skipped : list of dict
        Lengths that yield no fold, with reasons.
    folds : tuple of FoldResult
        The finished folds.
    failed : list of dict
        Folds that failed twice (``preictal_min``, ``seizure_id``, ``repeat``, ``error``).
    """

    case: str
    config: SweepConfig
    segments: list[dict[str, Any]]
    pooled: list[dict[str, Any]]
    ciopr: list[dict[str, Any]]
    events: list[dict[str, Any]]
    opp_min: int | None
    opp_criterion: str
    paper_opp_min: int | None = None
    paper_opp_criterion: str = "none"
    opp_evidence: list[dict[str, Any]] = field(default_factory=list)
    opp_explanation: str = ""
    opp_verdict: str = "not_testable"
    opp_verdict_reason: str = ""
    opp_interval_min: list[float | None] | None = None
    opp_variants: list[dict[str, Any]] = field(default_factory=list)
    events_by_seizure: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    folds: tuple[FoldResult, ...] = field(default=(), repr=False)
    failed: list[dict[str, Any]] = field(default_factory=list)
    forecast: list[dict[str, Any]] = field(default_factory=list)

    def brier_skill(self) -> dict[str, float]:
        """Brier skill score of the pooled forecasts per length (key: minutes as text), first horizon only."""
        first = self.config.forecast.horizons_min[0]
        return {
            str(r["preictal_min"]): float(r["bss"])
            for r in self.forecast
            if r["scope"] == "pooled" and r["horizon_min"] == first
        }

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary: OPP, criterion, the pooled table, the forecasts' skill and what was skipped.

        ``brier_skill``: the pooled Brier skill score per length (``{"30": 0.2, ...}``; NaN, written ``null``, when
        undefined) at ``forecast_horizon_min``, the first horizon of ``[forecast]``.
        """
        return {
            "case": self.case,
            "protocol": self.config.protocol,
            "opp_min": self.opp_min,
            "opp_criterion": self.opp_criterion,
            "opp_verdict": self.opp_verdict,
            "opp_verdict_reason": self.opp_verdict_reason,
            "opp_interval_min": self.opp_interval_min,
            "paper_opp_min": self.paper_opp_min,
            "paper_opp_criterion": self.paper_opp_criterion,
            "opp_explanation": self.opp_explanation,
            "opp_evidence": self.opp_evidence,
            "opp_variants": self.opp_variants,
            "pooled": self.pooled,
            "forecast_horizon_min": self.config.forecast.horizons_min[0],
            "brier_skill": self.brier_skill(),
            "skipped": self.skipped,
            "failed": self.failed,
            "config_hash": self.config.hash(),
        }
