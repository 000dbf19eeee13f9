"""The OPP selector: which preictal length is really there, tested against chance on held-out seizures (pure).

Question per swept length ``k``: *is the EEG at the start of the k-minute preictal period different from EEG that
is not preictal?* A preictal change that begins ``L`` minutes before onset and grows toward it (the literature
describes gradual changes, e.g. Bandarabadi et al. 2015; Leal et al. 2021) is weakest at its start, so the start
is where lengths differ: a model trained with labels longer than ``L`` has nothing to find between ``L`` and
``k``; a model trained with the right length has learned the weak start too.

For every length ``k`` (lengths sorted, ``k_prev`` the next shorter one, 0 for the shortest) its **band** is
``[SPH + k_prev, SPH + k]`` minutes before onset, of width ``w``. For each held-out seizure, the **contrast** of
the k-minute model of that fold (outputs averaged over repeats) is its mean output in the band minus its mean
output in as many recorded windows just before the band (``[SPH + k, SPH + k + w]`` where it is recorded; a gap
between files is skipped, as gaps are excluded from time everywhere, reaching back at most one more band width;
at least half as many when a file starts shortly before the band): where a change begins at ``k``, the band rises
above what precedes it. A band needs half its windows recorded (``min_band_coverage``); the reference contrasts then have the same two lengths. No band or
stretch before it may lie in an earlier seizure or its postictal exclusion (``label.postictal_exclusion_min``):
such a seizure is not tested for that length (``n_postictal``).

The contrast is ranked among the same model's contrasts between adjacent stretches on **reference EEG**
(:mod:`seizurepred.evaluation.reference`: recorded EEG no fold trained or tested on), at every position (a step
of a quarter band). Neighbouring positions share data and a contrast spans two bands' worth of EEG, so the
reference holds ``n`` independent contrasts (disjoint runs of ``2 w``); the seizure's p-value is the rank
``(1 + ceil(n f)) / (1 + n)``, ``f`` the fraction of reference contrasts at least the seizure's. **Every fold ranks
among the same reference EEG**, so the seizures' p-values are positively dependent (a reference whose contrasts
happen to run low makes every seizure look high at once); Fisher's statistic is therefore referred to the joint
null of a shared reference (:func:`~seizurepred.evaluation.opp_null.combined_p`), not to independent seizures:
with 3 seizures and 3 reference contrasts all three top the reference with probability 1/20, not 1/64. The
smallest p-value the data can give (``p_floor``) is known in advance; a length whose floor exceeds alpha, or with
fewer than ``min_seizures`` testable seizures, is **not tested** and says why. On null outputs over the geometry
of the paper's 19 CHB-MIT cases (``benchmarks/selector_calibration.py``) a length is named on 2.8 % of patients
(95 % CI 2.3-3.3 %) at alpha 0.05. This is a seizure-time surrogate test (Andrzejak et al. 2003) on the output.

A contrast, not the band's level: the output drifts with slow states (sleep, wakefulness); adjacent stretches cancel them.

Decision: which lengths' bands are *null* (no change there) is not arbitrary. A change that begins ``L`` minutes
before onset leaves every band beyond ``L`` null and raises the bands from ``L`` toward onset, so the null bands
are the longest ones: with the tested lengths ``k_1 < ... < k_m``, the only sets of null bands are ``U_j`` = "no
band from ``k_j`` on holds a change". The lengths are tested by the **closed test of these sets, shortest first**:
``k_j`` is significant when every ``U_1 .. U_j`` is rejected, each by a weighted Bonferroni test that spends
``first_weight`` (0.9) of ``alpha`` on ``p_j`` and the rest, shared equally, on the longer lengths' p-values
(``p_m`` alone at ``alpha`` for the last). The adjusted p of a length is the largest local p-value up to it
(:func:`adjust_sequence`). A length that cannot be tested (too few seizures with its band recorded) is left out of
the order; which those are depends on the recordings, not on the outputs. The OPP is the **longest** significant
length; none: **no preictal period found** when some length was tested, **not testable** when none could be.

Guarantee, as it truly is: on a patient without a preictal change, a length is named with probability at most
alpha; with a change, the test names a length whose band lies *wholly* closer to onset than the change's true
start (``lo`` of the band beyond the truth) with probability at most alpha, whatever the dependence between the
lengths' tests (closed testing, Marcus et al. 1976; ``first_weight = 1`` is the fixed sequence, Maurer et al.
1995). It does *not* promise the grid length at or beyond the truth: a change that begins between two swept lengths
or rises slowly at first is often named one length short (a 40-min change as 30 or 45). The report therefore gives
the OPP as an interval of start times (:func:`opp_interval`). ``correction="holm"`` (Holm's step-down procedure,
valid without the ordering) is kept as an option. Verdicts: ``"opp"``, ``"no_change"`` (tested, none significant)
or ``"not_testable"`` (:func:`verdict`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from seizurepred._validate import check_number, check_option
from seizurepred.evaluation.continuous import ContinuousOutput
from seizurepred.evaluation.opp_null import _touches, combined_p, postictal_spans
from seizurepred.evaluation.reference import ReferenceOutput

__all__ = [
    "NO_OPP", "NOT_TESTABLE", "LengthEvidence", "SelectorOptions", "adjust", "adjust_holm", "adjust_sequence",
    "band_evidence", "bands", "combined_p", "explain", "format_p", "opp_interval", "postictal_spans", "select_opp",
    "verdict",
]

#: Criterion reported when lengths were tested and none is better than chance (verdict ``"no_change"``).
NO_OPP = "no preictal period found"
#: Criterion reported when no length could be tested (verdict ``"not_testable"``): not evidence of absence.
NOT_TESTABLE = "not testable"
#: The three verdicts of the selector (``summary.json`` key ``opp_verdict``).
VERDICTS = ("opp", "no_change", "not_testable")
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
    support_quantile : float
        A seizure *supports* a length when its contrast lies above this quantile of its reference contrasts
        (reported as ``n_support``; not used by the test).
    rule_out : float
        A band beyond the OPP rules a change out when the upper end of its contrast's 95 % interval lies below this
        share of the OPP band's contrast (:func:`opp_interval`; the interval, not the test).
    """

    alpha: float = 0.05
    margin_min: float = 15.0
    min_band_coverage: float = 0.5
    min_seizures: int = 2
    n_null: int = 20000
    correction: str = "sequence"
    first_weight: float = 0.9
    support_quantile: float = 0.9
    rule_out: float = 0.5

    def __post_init__(self) -> None:
        check_number("alpha", self.alpha, min_value=0.0, max_value=1.0, inclusive_min=False)
        check_number("margin_min", self.margin_min, min_value=0.0)
        check_number("min_band_coverage", self.min_band_coverage, min_value=0.0, max_value=1.0, inclusive_min=False)
        check_number("min_seizures", self.min_seizures, min_value=1, integer=True)
        check_number("n_null", self.n_null, min_value=100, integer=True)
        check_option("correction", self.correction, CORRECTIONS)
        check_number("first_weight", self.first_weight, min_value=0.0, max_value=1.0, inclusive_min=False)
        check_number("support_quantile", self.support_quantile, min_value=0.5, max_value=1.0, inclusive_max=False)
        check_number("rule_out", self.rule_out, min_value=0.0, max_value=1.0, inclusive_min=False)


@dataclass(frozen=True)
class LengthEvidence:
    """The selector's evidence for one preictal length (minutes before onset; p-values one-sided).

    ``band_mean`` and ``before_mean`` are the mean outputs in the band and in the stretch just before it, averaged
    over the seizures tested; ``contrast`` their mean difference (the effect size, in output units) with
    ``contrast_lo``/``contrast_hi`` its 95 % interval (the mean contrast +- 1.96 reference SD / sqrt(seizures): the
    reference contrasts are the noise of one contrast of this width); ``reference_sd`` the spread (SD) of the
    reference contrasts. ``n_support`` counts the seizures whose contrast lies above
    ``SelectorOptions.support_quantile`` of their reference contrasts. ``p_floor`` is the smallest combined
    p-value these seizures and this much reference EEG can give (all seizures above every reference contrast); a
    ``p_value`` at it is a bound, printed ``<= p_floor``. ``testable`` is False (``p_value`` NaN, ``reason`` says
    why) when too few seizures have the band, the stretch before it and reference EEG, or when ``p_floor`` exceeds
    ``alpha``. ``n_postictal`` counts the seizures left out because the band or the stretch before it lies within
    the postictal exclusion after an earlier seizure. ``per_seizure`` holds ``(seizure_id, contrast,
    n_independent_reference_contrasts, p)``.
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
    p_floor: float = math.nan
    contrast_lo: float = math.nan
    contrast_hi: float = math.nan
    n_support: int = 0
    n_postictal: int = 0
    n_reference_contrasts: int = 0

    @property
    def testable(self) -> bool:
        """Whether the length was tested (a finite ``p_value``)."""
        return math.isfinite(self.p_value)

    @property
    def at_floor(self) -> bool:
        """Whether ``p_value`` is at the smallest value the data can give (a bound, not an estimate)."""
        return self.testable and math.isfinite(self.p_floor) and self.p_value <= self.p_floor * (1 + 1e-9)

    def as_row(self) -> dict:
        """A flat row for tables."""
        return {
            "preictal_min": self.preictal_min,
            "band_lo_min": self.band_lo_min,
            "band_hi_min": self.band_hi_min,
            "n_seizures": self.n_seizures,
            "n_support": self.n_support,
            "n_postictal": self.n_postictal,
            "n_reference_contrasts": self.n_reference_contrasts,
            "band_mean": self.band_mean,
            "before_mean": self.before_mean,
            "contrast": self.contrast,
            "contrast_lo": self.contrast_lo,
            "contrast_hi": self.contrast_hi,
            "reference_sd": self.reference_sd,
            "p_value": self.p_value,
            "p_floor": self.p_floor,
            "p_corrected": self.p_corrected,
            "significant": self.significant,
            "testable": self.testable,
            "reason": self.reason,
        }


def bands(preictal_mins: Sequence[int], *, sph_min: float = 0.0) -> dict[int, tuple[float, float]]:
    """``{k: (lo, hi)}``: each length's band in minutes before onset (see the module docstring)."""
    ks = sorted(int(k) for k in preictal_mins)
    return {k: (sph_min + (ks[i - 1] if i else 0.0), sph_min + k) for i, k in enumerate(ks)}


def _band_and_before(
    cont: ContinuousOutput, lo: float, hi: float, coverage: float
) -> tuple[float, float, int, int, float]:
    """``(band mean, before mean, n, n_before, reach)``: the mean output of the ``n`` windows inside ``[lo, hi]``
    minutes before onset and of up to ``n`` recorded windows just before them (gaps skipped, reaching back at most
    one band width beyond the stretch of equal length; at least ``coverage`` of ``n``); ``reach`` is how far
    before onset (minutes) the earliest of them ends. NaN means when the band holds under ``coverage`` of its
    windows or too little EEG before it is recorded."""
    w_min = cont.window_s / 60.0
    order = np.argsort(cont.times_min_before_onset, kind="stable")
    t = cont.times_min_before_onset[order]  # window starts, nearest to onset first
    probs = cont.probs[order]
    inside = (t - w_min >= lo - 1e-9) & (t <= hi + 1e-9)
    n = int(np.count_nonzero(inside))
    n_full = int(round((hi - lo) / w_min))
    if n == 0 or n < coverage * n_full:
        return math.nan, math.nan, n, 0, hi
    mask = (t - w_min >= hi - 1e-9) & (t <= hi + 2.0 * (hi - lo) + 1e-9)
    earlier, t_earlier = probs[mask][:n], t[mask][:n]
    if earlier.size == 0 or earlier.size < coverage * n:
        return math.nan, math.nan, n, int(earlier.size), hi
    return float(probs[inside].mean()), float(earlier.mean()), n, int(earlier.size), float(t_earlier[-1])


def band_evidence(
    k: int,
    band: tuple[float, float],
    records: Mapping[int, ContinuousOutput],
    references: Mapping[int, ReferenceOutput],
    *,
    options: SelectorOptions = SelectorOptions(),
    seed: int = 0,
    excluded: Mapping[int, Sequence[tuple[float, float]]] | None = None,
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
    excluded : mapping of int to sequence of (lo, hi) or None
        Held-out seizure -> stretches in minutes before its onset that no band or stretch before it may touch
        (the postictal exclusion after earlier seizures; :func:`postictal_spans`). Such seizures are not tested
        for this length (counted in ``n_postictal``).

    Returns
    -------
    LengthEvidence
        ``p_value`` NaN (with ``reason``) when the length cannot be tested (see :class:`LengthEvidence`).
    """
    lo, hi = band
    rows, means, sds = [], [], []
    dropped = {"band": 0, "postictal": 0, "reference": 0}
    n_support = 0
    for sid in sorted(records):
        ref = references.get(sid)
        band_m, before_m, n_band, n_before, reach = _band_and_before(records[sid], lo, hi, options.min_band_coverage)
        if not (math.isfinite(band_m) and math.isfinite(before_m)):
            dropped["band"] += 1
            continue
        if excluded and _touches(excluded.get(sid, ()), lo, reach):
            dropped["postictal"] += 1
            continue
        step = max(n_band // 4, 1)
        null = ref.local_contrasts(n_band, step=step, n_before=n_before) if ref is not None else np.empty(0)
        n_eff = ref.n_contrasts(n_band, n_before) if ref is not None else 0
        if null.size == 0 or n_eff == 0:
            dropped["reference"] += 1
            continue
        d = band_m - before_m
        tail = np.count_nonzero(null >= d - 1e-12) / null.size
        p = (1.0 + math.ceil(n_eff * tail - 1e-9)) / (1.0 + n_eff)  # on the grid its null assumes
        rows.append((int(sid), d, int(n_eff), float(p)))
        means.append((band_m, before_m))
        sds.append(float(null.std()))
        n_support += bool(d > np.quantile(null, options.support_quantile))
    n_ref = int(min((r[2] for r in rows), default=0))
    base = dict(preictal_min=int(k), band_lo_min=float(lo), band_hi_min=float(hi), n_seizures=len(rows),
                n_postictal=dropped["postictal"], n_reference_contrasts=n_ref)  # fmt: skip
    nan = math.nan
    untested = dict(band_mean=nan, before_mean=nan, contrast=nan, reference_sd=nan, p_value=nan, p_corrected=nan,
                    significant=False, per_seizure=tuple(rows))  # fmt: skip
    if len(rows) < options.min_seizures:
        parts = [f"{len(rows)} held-out seizure(s) testable (need {options.min_seizures})"]
        parts += [f"{n} {what}" for what, n in (
            ("without the band and the stretch before it recorded", dropped["band"]),
            ("with the band or the stretch before it in an earlier seizure's postictal exclusion", dropped["postictal"]),
            ("without reference EEG to compare with", dropped["reference"])) if n]  # fmt: skip
        return LengthEvidence(**base, **untested, reason="; ".join(parts))
    p_arr, n_arr = np.array([r[3] for r in rows]), np.array([r[2] for r in rows])
    p, floor = combined_p(p_arr, n_arr, options.n_null, seed)
    contrast, sd = float(np.mean([r[1] for r in rows])), float(np.mean(sds))
    half = 1.96 * sd / math.sqrt(len(rows))
    effect = dict(band_mean=float(np.mean([m[0] for m in means])), before_mean=float(np.mean([m[1] for m in means])),
                  contrast=contrast, reference_sd=sd, per_seizure=tuple(rows), p_floor=floor,
                  contrast_lo=contrast - half, contrast_hi=contrast + half, n_support=n_support)  # fmt: skip
    if floor > options.alpha:
        why = (f"p-value floor {floor:.2g} above alpha {options.alpha:g}: {len(rows)} seizure(s) against "
               f"{n_ref} independent reference contrast(s) of {2 * (hi - lo):g} min")  # fmt: skip
        return LengthEvidence(**base, **{**effect, "p_value": nan, "p_corrected": nan, "significant": False},
                              reason=why)  # fmt: skip
    return LengthEvidence(**base, **effect, p_value=p, p_corrected=p, significant=p <= options.alpha)


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
    """``(opp_min, criterion)``: the longest length with a significant band, else ``(None, NO_OPP)`` when some
    length was tested, ``(None, NOT_TESTABLE)`` when none could be."""
    hits = [e.preictal_min for e in evidence if e.significant]
    if hits:
        return max(hits), CRITERION
    if any(e.testable for e in evidence):
        return None, NO_OPP
    return None, NOT_TESTABLE


def verdict(evidence: Sequence[LengthEvidence]) -> tuple[str, str]:
    """``(verdict, reason)``: ``"opp"`` (a length is significant), ``"no_change"`` (lengths were tested and none
    is) or ``"not_testable"`` (none could be tested); ``reason`` names the lengths not tested and why."""
    untested = "; ".join(f"{e.preictal_min} min: {e.reason}" for e in sorted(evidence, key=lambda e: e.preictal_min)
                         if not e.testable)  # fmt: skip
    if any(e.significant for e in evidence):
        return "opp", (f"not tested: {untested}" if untested else "")
    if any(e.testable for e in evidence):
        tested = ", ".join(str(e.preictal_min) for e in sorted(evidence, key=lambda e: e.preictal_min) if e.testable)
        return "no_change", f"tested {tested} min; none significant" + (f"; not tested: {untested}" if untested else "")
    return "not_testable", untested or "no length was swept"


def opp_interval(
    evidence: Sequence[LengthEvidence], opp: int | None, *, rule_out: float = 0.5
) -> tuple[float, float | None] | None:
    """Where the evidence puts the start of the change, in minutes before onset: ``(lo, hi)``; ``None`` without
    an OPP.

    ``lo`` is the start of the OPP's band. Naming a length whose band lies wholly closer to onset than the true
    start is the error the ordered test controls (probability <= alpha), so the change begins further from onset
    than ``lo``. Beyond the OPP, a band without a *significant* change is no proof of none (a change's first
    minutes are weak; a slow start is missed), so the interval runs on through every longer band whose contrast
    could still be ``rule_out`` times the OPP band's (the upper end of its 95 % interval reaches that), and
    through the first band where it could not: that band can hold the faint first minutes. ``hi`` is None
    (unbounded) when no band up to the longest swept rules a change out, or one on the way could not be tested.
    """
    if opp is None:
        return None
    ordered = sorted(evidence, key=lambda e: e.preictal_min)
    i = next(j for j, e in enumerate(ordered) if e.preictal_min == opp)
    size = rule_out * ordered[i].contrast
    for e in ordered[i + 1 :]:
        if not e.testable or not math.isfinite(e.contrast_hi):
            return float(ordered[i].band_lo_min), None
        if e.contrast_hi < size:
            return float(ordered[i].band_lo_min), float(e.band_hi_min)
    return float(ordered[i].band_lo_min), None


def format_p(e: LengthEvidence, *, raw: bool = False) -> str:
    """The adjusted (or ``raw``) p-value as reports print it: ``<= v`` when the length's p-value is at the smallest
    value its seizures and reference EEG can give (:attr:`LengthEvidence.at_floor`: a finer reference could give
    less), ``not tested`` when NaN."""
    v = e.p_value if raw else e.p_corrected
    if not math.isfinite(v):
        return "not tested"
    return f"<= {v:.2g}" if e.at_floor else f"{v:.2g}"


def explain(evidence: Sequence[LengthEvidence], opp: int | None, paper_opp: int | None) -> str:
    """One sentence saying why the selector's OPP differs from the paper's CIOPR OPP ("" when they agree)."""
    if opp == paper_opp:
        return ""
    by_k = {e.preictal_min: e for e in evidence}

    def band(k: int) -> str:
        e = by_k[k]
        return f"{e.band_lo_min:g}-{e.band_hi_min:g} min before onset (adjusted p {_p_words(e)})"

    paper = f"paper CIOPR would pick {paper_opp} min" if paper_opp is not None else "paper CIOPR picks none"
    if opp is None and not any(e.testable for e in evidence):
        return f"No length could be tested against reference EEG, so the data cannot say; {paper}."
    if opp is None:
        tested = [e for e in evidence if math.isfinite(e.p_corrected)]
        best = min(tested, key=lambda e: e.p_corrected, default=None)
        tail = f"; the smallest adjusted p is {_p_words(best)} ({best.preictal_min} min)" if best else ""
        return f"No length's model beats reference EEG in its band{tail}, so no OPP is named; {paper}."
    if paper_opp is None:
        return f"Paper CIOPR names no OPP (no eligible seizure); the band test finds a change from {band(opp)}."
    if paper_opp in by_k and paper_opp > opp and not by_k[paper_opp].testable:
        return (
            f"Paper CIOPR picks {paper_opp} min, but its band {by_k[paper_opp].band_lo_min:g}-"
            f"{by_k[paper_opp].band_hi_min:g} min before onset could not be tested ({by_k[paper_opp].reason}); "
            f"the band test shows a change only from {band(opp)}."
        )
    if paper_opp in by_k and paper_opp > opp:
        return (
            f"Paper CIOPR picks {paper_opp} min, but its model's output in {band(paper_opp)} is no different "
            f"from reference EEG: early positives count as early convergence in CIOPR."
        )
    return (
        f"Paper CIOPR picks {paper_opp} min, but the {opp}-min model's output is already raised "
        f"{band(opp)}, so the change begins before {paper_opp} min."
    )


def _p_words(e: LengthEvidence) -> str:
    """``"= 0.034"`` or ``"<= 0.0002"`` (at the floor) for sentences."""
    text = format_p(e)
    return text if text.startswith("<=") else f"= {text}"
