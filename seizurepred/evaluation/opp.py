"""The OPP selector: which preictal length is really there, tested against chance on held-out seizures (pure).

Question per swept length ``k``: *is the EEG at the start of the k-minute preictal period different from EEG that
is not preictal?* A preictal change that begins ``L`` minutes before onset and grows toward it (the literature
describes gradual changes, e.g. Bandarabadi et al. 2015; Leal et al. 2021) is weakest at its start, so the start
is where lengths differ: a model trained with labels longer than ``L`` has nothing to find between ``L`` and
``k``; a model trained with the right length has learned the weak start too.

For every length ``k`` (lengths sorted, ``k_prev`` the next shorter one, 0 for the shortest) its **band** is
``[SPH + k_prev, SPH + k]`` minutes before onset, of width ``w``. For each held-out seizure, the **contrast** of
the k-minute model of that fold (outputs averaged over repeats) is its mean output in the band minus its mean
output in the same number of recorded windows just before the band (``[SPH + k, SPH + k + w]`` where it is
recorded; a gap between files is skipped, as gaps are excluded from time everywhere, reaching back at most one
more band width): where a change begins at ``k``, the band rises above what precedes it. A band needs half its
windows recorded (``min_band_coverage``); the contrast then compares as many windows on each side. The contrast is ranked among the same model's contrasts between
adjacent stretches of width ``w`` on **reference EEG** (:mod:`seizurepred.evaluation.reference`: recorded EEG of
the patient that no model trained on and that no label touches), at every position (a step of ``w / 4``). Neighbouring positions share
most of their data, so the reference holds only about ``n`` independent contrasts (``n`` = the number of disjoint
stretches of width ``w`` it holds); the seizure's p-value is ``(1 + n f) / (1 + n)`` with ``f`` the fraction of
reference contrasts at least the seizure's (the smallest p-value is ``1 / (1 + n)``, however many positions are
ranked). On outputs that jump between states held for 20-90 min (tests/evaluation/test_opp.py) this keeps the
rate of naming a length on a null patient near alpha (at alpha 0.05 over 300 simulated patients: 5.3 % with the
default correction, 6.3 % with Holm's, both within the binomial 95 % interval of 2.7-7.8 %;
``benchmarks/selector_calibration.py``). The seizures' p-values are combined with Fisher's statistic, whose null
distribution (independent seizures,
each p uniform on its grid) is drawn by Monte Carlo (seeded). This is a seizure-time surrogate test (Andrzejak et
al. 2003) on the model output.

Why a contrast and not the band's level: a model's output drifts with slow changes of state (sleep, wakefulness,
amplitude), so the *level* of a band depends on the state the patient was in; reference EEG of a few hours holds
few states, and ranking a level among them is overconfident (on the benchmark's null patients a level test named
a length in 2 of 8). A contrast between adjacent stretches cancels the slow state, and contrasts of reference EEG
are many and nearly independent.

Decision: which lengths' bands are *null* (no change there) is not arbitrary. A change that begins ``L`` minutes
before onset leaves every band beyond ``L`` null and raises the bands from ``L`` toward onset, so the null bands
are the longest ones: with the tested lengths ``k_1 < ... < k_m``, the only sets of null bands are ``U_j`` = "no
band from ``k_j`` on holds a change". The lengths are tested by the **closed test of these sets, shortest first**:
``k_j`` is significant when every ``U_1 .. U_j`` is rejected, each by a weighted Bonferroni test that spends
``first_weight`` (0.9) of ``alpha`` on ``p_j`` and the rest, shared equally, on the longer lengths' p-values
(``p_m`` alone at ``alpha`` for the last). The adjusted p of a length is the largest local p-value up to it
(:func:`adjust_sequence`). A length that cannot be tested (too few seizures with its band recorded) is left out of
the order; which those are depends on the recordings, not on the outputs. The OPP is the **longest** significant
length; none: **no preictal period found**.

Guarantee: naming a length longer than the truth needs ``U`` of the first null band rejected, and naming any
length on a patient without a preictal change needs ``U_1`` rejected; every member of those sets is null, so each
happens with probability at most ``alpha``, whatever the dependence between the lengths' tests (closed testing,
Marcus et al. 1976; with ``first_weight = 1`` it is the fixed-sequence procedure, Maurer et al. 1995). Its errors
are toward *shorter* lengths or none: a shorter band that fails stops the order unless a longer length's p-value
is small enough for the tenth of ``alpha`` kept for it (an output that saturates near onset can leave the
shortest band without contrast; ``tests/evaluation/test_opp.py``). ``correction="holm"`` (Holm's step-down
procedure, every length a candidate of its own, valid without the ordering) is kept as an option; on the OPP
benchmark (``benchmarks/bench_opp.py``) its multiplicity factor cost answers whose bands were significant at
``alpha`` in order (README, "OPP recovery benchmark").
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from seizurepred._validate import check_number, check_option
from seizurepred.evaluation.continuous import ContinuousOutput
from seizurepred.evaluation.reference import ReferenceOutput

__all__ = [
    "NO_OPP",
    "LengthEvidence",
    "SelectorOptions",
    "adjust",
    "adjust_holm",
    "adjust_sequence",
    "band_evidence",
    "bands",
    "explain",
    "select_opp",
]

#: Criterion reported when no length is better than chance.
NO_OPP = "no preictal period found"
CRITERION = "preictal-band test"
#: Corrections for the lengths tried, and how reports name them.
CORRECTIONS = {"sequence": "ordered closed test, shortest first", "holm": "Holm-adjusted"}


@dataclass(frozen=True)
class SelectorOptions:
    """Options of the OPP selector.

    Attributes
    ----------
    alpha : float
        Family-wise error rate over the lengths tried (see ``correction``).
    margin_min : float
        Distance in minutes between reference EEG and any labelled stretch.
    min_band_coverage : float
        Least recorded fraction of a band for a seizure to count.
    min_seizures : int
        Least number of held-out seizures with a band and reference EEG for a length to be tested.
    n_null : int
        Monte Carlo draws of the null distribution of Fisher's statistic.
    correction : {"sequence", "holm"}
        How the lengths tried are corrected for: an ordered closed test, shortest first (default), or Holm's
        step-down procedure (see the module docstring).
    first_weight : float
        With ``correction="sequence"``: the share of ``alpha`` each step spends on its own length (the rest on the
        longer ones; 1 = the plain fixed sequence).
    """

    alpha: float = 0.05
    margin_min: float = 15.0
    min_band_coverage: float = 0.5
    min_seizures: int = 2
    n_null: int = 20000
    correction: str = "sequence"
    first_weight: float = 0.9

    def __post_init__(self) -> None:
        check_number("alpha", self.alpha, min_value=0.0, max_value=1.0, inclusive_min=False)
        check_number("margin_min", self.margin_min, min_value=0.0)
        check_number("min_band_coverage", self.min_band_coverage, min_value=0.0, max_value=1.0, inclusive_min=False)
        check_number("min_seizures", self.min_seizures, min_value=1, integer=True)
        check_number("n_null", self.n_null, min_value=100, integer=True)
        check_option("correction", self.correction, CORRECTIONS)
        check_number("first_weight", self.first_weight, min_value=0.0, max_value=1.0, inclusive_min=False)


@dataclass(frozen=True)
class LengthEvidence:
    """The selector's evidence for one preictal length (minutes before onset; p-values one-sided).

    ``band_mean`` and ``before_mean`` are the mean outputs in the band and in the stretch just before it, averaged
    over the seizures tested; ``contrast`` their mean difference; ``reference_sd`` the spread (SD) of the
    reference contrasts. ``per_seizure`` holds ``(seizure_id, contrast, n_independent_reference_contrasts, p)``.
    """

    preictal_min: int
    band_lo_min: float
    band_hi_min: float
    n_seizures: int
    band_mean: float
    before_mean: float
    contrast: float
    reference_sd: float
    p_value: float
    p_corrected: float
    significant: bool
    reason: str = ""
    per_seizure: tuple[tuple[int, float, int, float], ...] = ()

    def as_row(self) -> dict:
        """A flat row for tables."""
        return {
            "preictal_min": self.preictal_min,
            "band_lo_min": self.band_lo_min,
            "band_hi_min": self.band_hi_min,
            "n_seizures": self.n_seizures,
            "band_mean": self.band_mean,
            "before_mean": self.before_mean,
            "contrast": self.contrast,
            "reference_sd": self.reference_sd,
            "p_value": self.p_value,
            "p_corrected": self.p_corrected,
            "significant": self.significant,
            "reason": self.reason,
        }


def bands(preictal_mins: Sequence[int], *, sph_min: float = 0.0) -> dict[int, tuple[float, float]]:
    """``{k: (lo, hi)}``: each length's band in minutes before onset (see the module docstring)."""
    ks = sorted(int(k) for k in preictal_mins)
    return {k: (sph_min + (ks[i - 1] if i else 0.0), sph_min + k) for i, k in enumerate(ks)}


def _band_and_before(cont: ContinuousOutput, lo: float, hi: float, coverage: float) -> tuple[float, float, int]:
    """``(band mean, before mean, n)``: the mean output of the ``n`` windows inside ``[lo, hi]`` minutes before
    onset and of the ``n`` recorded windows just before them (gaps skipped, reaching back at most one band width
    beyond the stretch of equal length). NaN means when the band holds under ``coverage`` of its windows or the
    EEG before it is not recorded."""
    w_min = cont.window_s / 60.0
    order = np.argsort(cont.times_min_before_onset, kind="stable")
    t = cont.times_min_before_onset[order]  # window starts, nearest to onset first
    probs = cont.probs[order]
    inside = (t - w_min >= lo - 1e-9) & (t <= hi + 1e-9)
    n = int(np.count_nonzero(inside))
    n_full = int(round((hi - lo) / w_min))
    if n == 0 or n < coverage * n_full:
        return math.nan, math.nan, n
    earlier = probs[(t - w_min >= hi - 1e-9) & (t <= hi + 2.0 * (hi - lo) + 1e-9)][:n]
    if earlier.size < n:
        return math.nan, math.nan, n
    return float(probs[inside].mean()), float(earlier.mean()), n


def _fisher_p(p: np.ndarray, n_ref: np.ndarray, n_null: int, seed: int) -> float:
    """Monte Carlo p-value of Fisher's statistic for discrete-uniform p-values on grids ``1/(n+1) .. 1``."""
    stat = -2.0 * np.log(p).sum()
    rng = np.random.default_rng([seed, p.size, int(n_ref.sum())])
    j = rng.integers(0, n_ref + 1, size=(n_null, p.size))
    null = -2.0 * np.log((1.0 + j) / (1.0 + n_ref)).sum(axis=1)
    return float((1.0 + np.count_nonzero(null >= stat - 1e-9)) / (1.0 + n_null))


def band_evidence(
    k: int,
    band: tuple[float, float],
    records: Mapping[int, ContinuousOutput],
    references: Mapping[int, ReferenceOutput],
    *,
    options: SelectorOptions = SelectorOptions(),
    seed: int = 0,
) -> LengthEvidence:
    """The band test of one length over its held-out seizures.

    Parameters
    ----------
    k : int
        Preictal length in minutes.
    band : (lo, hi)
        The band in minutes before onset (:func:`bands`).
    records : mapping of int to ContinuousOutput
        Held-out seizure -> output of that fold's k-minute model over its pre-onset record (mean over repeats).
    references : mapping of int to ReferenceOutput
        Held-out seizure -> output of the same model over the reference EEG.
    options : SelectorOptions
    seed : int
        Seed of the Monte Carlo null.

    Returns
    -------
    LengthEvidence
        ``p_value`` NaN (with ``reason``) when fewer than ``options.min_seizures`` seizures can be tested.
    """
    lo, hi = band
    rows, means, sds = [], [], []
    for sid in sorted(records):
        ref = references.get(sid)
        if ref is None:
            continue
        band_m, before_m, n_band = _band_and_before(records[sid], lo, hi, options.min_band_coverage)
        n_win = max(n_band, 1)
        null = ref.local_contrasts(n_win, step=max(n_win // 4, 1))
        n_eff = ref.n_disjoint(n_win)
        if not (math.isfinite(band_m) and math.isfinite(before_m)) or null.size == 0 or n_eff == 0:
            continue
        d = band_m - before_m
        tail = np.count_nonzero(null >= d - 1e-12) / null.size
        p = (1.0 + n_eff * tail) / (1.0 + n_eff)
        rows.append((int(sid), d, int(n_eff), float(p)))
        means.append((band_m, before_m))
        sds.append(float(null.std()))
    base = dict(preictal_min=int(k), band_lo_min=float(lo), band_hi_min=float(hi), n_seizures=len(rows))
    if len(rows) < options.min_seizures:
        why = (
            f"{len(rows)} held-out seizure(s) with the band {lo:g}-{hi:g} min before onset and the stretch before it "
            f"recorded, and reference EEG to compare with (need {options.min_seizures})"
        )
        nan = math.nan
        return LengthEvidence(**base, band_mean=nan, before_mean=nan, contrast=nan, reference_sd=nan, p_value=nan,
                              p_corrected=nan, significant=False, reason=why, per_seizure=tuple(rows))  # fmt: skip
    p = _fisher_p(np.array([r[3] for r in rows]), np.array([r[2] for r in rows]), options.n_null, seed)
    return LengthEvidence(
        **base,
        band_mean=float(np.mean([m[0] for m in means])),
        before_mean=float(np.mean([m[1] for m in means])),
        contrast=float(np.mean([r[1] for r in rows])),
        reference_sd=float(np.mean(sds)),
        p_value=p,
        p_corrected=p,
        significant=p <= options.alpha,
        per_seizure=tuple(rows),
    )


def _with_adjusted(evidence: Sequence[LengthEvidence], adjusted: dict[int, float], alpha: float) -> list[LengthEvidence]:
    """The evidence in the order given, with the adjusted p-values of the tested lengths and their verdicts set."""
    return [
        dataclasses.replace(e, p_corrected=adjusted[e.preictal_min], significant=adjusted[e.preictal_min] <= alpha)
        if e.preictal_min in adjusted
        else e
        for e in evidence
    ]


def adjust_holm(evidence: Sequence[LengthEvidence], *, alpha: float) -> list[LengthEvidence]:
    """Holm's step-down adjustment over the tested lengths (untested ones keep NaN and do not count).

    Adjusted p of the ``i``-th smallest p-value of ``m`` = ``max over j <= i of min(1, (m - j + 1) p_(j))``.
    Returns the evidence in the order given, with ``p_corrected`` and ``significant`` set.
    """
    tested = sorted((e for e in evidence if math.isfinite(e.p_value)), key=lambda e: e.p_value)
    m, running, adjusted = len(tested), 0.0, {}
    for j, e in enumerate(tested):
        running = max(running, min(1.0, (m - j) * e.p_value))
        adjusted[e.preictal_min] = running
    return _with_adjusted(evidence, adjusted, alpha)


def adjust_sequence(
    evidence: Sequence[LengthEvidence], *, alpha: float, first_weight: float = 0.9
) -> list[LengthEvidence]:
    """The ordered closed test over the tested lengths, shortest first (untested ones keep NaN and are left out).

    With the tested lengths ``k_1 < ... < k_m``, ``U_j`` is the hypothesis "no band from ``k_j`` on holds a
    change". Its local p-value is ``min(p_j / w, min over i > j of p_i * (m - j) / (1 - w))`` (a weighted
    Bonferroni test, ``w = first_weight``; ``p_m`` alone for the last), and the adjusted p of ``k_j`` is the
    largest local p-value of ``U_1 .. U_j``. ``first_weight=1`` is the plain fixed sequence (adjusted p = the
    largest raw p up to the length). Returns the evidence in the order given, with ``p_corrected`` and
    ``significant`` set.
    """
    check_number("first_weight", first_weight, min_value=0.0, max_value=1.0, inclusive_min=False)
    tested = sorted((e for e in evidence if math.isfinite(e.p_value)), key=lambda e: e.preictal_min)
    running, adjusted = 0.0, {}
    for j, e in enumerate(tested):
        later = [t.p_value for t in tested[j + 1 :]]
        local = e.p_value if not later else e.p_value / first_weight
        if later and first_weight < 1.0:
            local = min(local, min(later) * len(later) / (1.0 - first_weight))
        running = max(running, min(1.0, local))
        adjusted[e.preictal_min] = running
    return _with_adjusted(evidence, adjusted, alpha)


def adjust(evidence: Sequence[LengthEvidence], options: SelectorOptions = SelectorOptions()) -> list[LengthEvidence]:
    """The correction for the lengths tried that ``options.correction`` names (:func:`adjust_sequence` or
    :func:`adjust_holm`) at ``options.alpha``."""
    if options.correction == "sequence":
        return adjust_sequence(evidence, alpha=options.alpha, first_weight=options.first_weight)
    return adjust_holm(evidence, alpha=options.alpha)


def select_opp(evidence: Sequence[LengthEvidence]) -> tuple[int | None, str]:
    """``(opp_min, criterion)``: the longest length with a significant band, else ``(None, NO_OPP)``."""
    hits = [e.preictal_min for e in evidence if e.significant]
    if hits:
        return max(hits), CRITERION
    return None, NO_OPP


def explain(evidence: Sequence[LengthEvidence], opp: int | None, paper_opp: int | None) -> str:
    """One sentence saying why the selector's OPP differs from the paper's CIOPR OPP ("" when they agree)."""
    if opp == paper_opp:
        return ""
    by_k = {e.preictal_min: e for e in evidence}

    def band(k: int) -> str:
        e = by_k[k]
        return f"{e.band_lo_min:g}-{e.band_hi_min:g} min before onset (adjusted p = {e.p_corrected:.2g})"

    if opp is None:
        tested = [e for e in evidence if math.isfinite(e.p_corrected)]
        best = min(tested, key=lambda e: e.p_corrected, default=None)
        tail = f"; the smallest adjusted p is {best.p_corrected:.2g} ({best.preictal_min} min)" if best else ""
        paper = f"paper CIOPR would pick {paper_opp} min" if paper_opp is not None else "paper CIOPR picks none"
        return f"No length's model beats reference EEG in its band{tail}, so no OPP is named; {paper}."
    if paper_opp is None:
        return f"Paper CIOPR names no OPP (no eligible seizure); the band test finds a change from {band(opp)}."
    if paper_opp in by_k and paper_opp > opp:
        return (
            f"Paper CIOPR picks {paper_opp} min, but its model's output in {band(paper_opp)} is no different "
            f"from reference EEG: early positives count as early convergence in CIOPR."
        )
    return (
        f"Paper CIOPR picks {paper_opp} min, but the {opp}-min model's output is already raised "
        f"{band(opp)}, so the change begins before {paper_opp} min."
    )
