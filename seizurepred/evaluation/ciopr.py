"""CIOPR: Continuous Input-Output Performance Ratio (Koutsouvelis et al. 2024; docs/method.md section 4).

For one seizure and one trained model (preictal length k), :func:`ciopr_terms` turns the continuous output into

1. outputs rounded at ``threshold`` (paper) or raw probabilities, averaged in 8 min blocks -> ``y_i``;
2. the fit ``f(x) = a / (1 + exp(-b (x - c))) + d`` over ``x`` = minutes before onset
   (:mod:`~seizurepred.evaluation.ciopr_fit`). [R] Only a rise towards onset (``b <= 0``) is fitted: the sigmoid
   is the output's transition to preictal (ND before it, convergence after it; and the paper's ``TP = 2 ln 19 / b``
   is a duration only for a rise, ``b > 0`` with time running forward), so an output that falls towards onset
   has no transition and its terms are NaN, as a flat output's are;
3. ``Infl = c`` (minutes before onset), ``TP = 2 ln 19 / |b|`` (5 %-95 % of the amplitude). [R] The fit bounds
   ``|b|`` so that TP is at least one block, 8 min (the paper states no bound): a shorter transition cannot be
   resolved from block means, and on a step the unbounded fit has no optimum and leaves ``c`` anywhere between
   two block centres; longer transitions are fitted exactly as without the bound. A step reports TP = 8 min;
4. ``ND`` = from the first output (start of the earliest block) to the start of TP, ``c + ln 19 / |b|``,
   clipped to ``[0, record]``; the ND region is the blocks starting before the start of TP;
5. ``SPC`` (minutes before onset where the output converges: its 3-block mean reaches 99 % of its maximum; from
   the output, not the fit). The run: ``spc_mode="sustained"`` [R, default] the first 3-block run from which
   the mean stays >= 0.99 x the largest 3-block mean up to onset (the paper places SPC where the output
   *converges*); ``"first_crossing"`` the first run that reaches it once. The anchor [R]: ``"run_centre"``
   (default) the centre of that 24-min run (SPC can then go down to 12 min, as the paper's published SPCs do,
   down to 16.7 min); ``"run_start"`` its earliest edge (SPC >= 24 min, which cannot reproduce them). Both are
   readings of the paper's "means of 3 consecutive values", crossed in the robustness table;
6. ``SPC_err = mean |1 - y_i|`` over the SPC region, which is ``[0, SPC]`` minutes before onset whatever the
   anchor: the block outputs weighted by the minutes each block spends in it (with ``"run_centre"`` the run's
   middle block counts half, its first block not at all; with ``"run_start"`` every block from the run on counts
   once, the plain mean). So ``SPC_eff = SPC (1 - SPC_err)`` is the converged time from SPC to onset, with SPC
   and its error taken over the same minutes. ``ND_err = mean |y_i|`` over the ND region;
   ``ND_eff = ND (1 - ND_err)``;
7. Pearson ``rho`` between ``y_i`` and the fitted curve.

:func:`ciopr_compare` then combines the lengths of one seizure:

* ``reconstruction="koutsouvelis_r1"`` [R] (our reconstruction of two unpublished terms):
  ``Infl_comp_k = (Infl_k - min_k' Infl_k') (1 - ND_err_k)`` and
  ``eta = min(1, min_k SPC_eff_k / max_k (ND_eff_k + Infl_comp_k))``; ``reconstruction="none"``: ``eta = 1``,
  ``Infl_comp = 0``;
* ``CIOPC_k = SPC_eff_k + eta (ND_eff_k + Infl_comp_k)``; ``CIOPR_k = CIOPC_k / max_k CIOPC_k``.

An empty ND region (the transition starts before the first output) gives ``ND = 0``, ``ND_eff = 0``,
``ND_err = NaN`` (warned) and a zero ``Infl_comp`` factor. Any undefined term is NaN with an
:class:`~seizurepred.evaluation.metrics.UndefinedMetricWarning`; a NaN term makes that length's CIOPC and CIOPR
NaN, and the other lengths are compared among themselves. :func:`choose_opp` averages each length's CIOPR over
the seizures it is given: the caller passes the same seizures for every length
(:func:`seizurepred.sweep.ciopr_table.paper_opp`: those with a finite CIOPR under every length compared).
The input (:mod:`seizurepred.sweep.ciopr_table`) is the uninterrupted record before onset, without the EEG
within the labels' postictal exclusion after a previous seizure [R].
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from seizurepred._validate import check_number, check_option
from seizurepred.errors import ConfigError
from seizurepred.evaluation.ciopr_fit import LN19, Blocks, block_average, find_spc, fit_logistic4
from seizurepred.evaluation.continuous import ContinuousOutput
from seizurepred.evaluation.metrics import warn_undefined

__all__ = [
    "CioprOptions",
    "CioprTerms",
    "CioprResult",
    "ciopr_terms",
    "with_spc_reading",
    "ciopr_compare",
    "choose_opp",
]

_NAN = math.nan


@dataclass(frozen=True)
class CioprOptions:
    """Options of the CIOPR computation (paper defaults).

    Attributes
    ----------
    output : {"rounded", "probability"}
        Block-average 0/1 outputs (``prob >= threshold``; paper) or the raw probabilities.
    threshold : float
        Rounding threshold.
    block_min : float
        Block length in minutes (8).
    min_block_fraction : float
        Smallest fraction of a full block's windows for the block to be kept (see ``block_average``).
    spc_mode : {"sustained", "first_crossing"}
        SPC at the start of sustained convergence [R, default] or at the first crossing of ``spc_level`` x
        maximum.
    spc_anchor : {"run_centre", "run_start"}
        Where in the converged 3-block run SPC lies: its centre [R, default] or its earliest edge. SPC_err is
        taken over ``[0, SPC]`` minutes before onset under either anchor.
    spc_level : float
        Fraction of the maximum 3-block mean (0.99).
    spc_n_mean : int
        Number of consecutive blocks averaged for SPC (3 = 24 min).
    reconstruction : {"koutsouvelis_r1", "none"}
        Infl_comp and eta as reconstructed in docs/method.md, or switched off (eta = 1, Infl_comp = 0).
    min_amplitude : float
        Smallest rise of the fitted curve over the blocks that counts as a transition (a falling output has none).
    """

    output: Literal["rounded", "probability"] = "rounded"
    threshold: float = 0.5
    block_min: float = 8.0
    min_block_fraction: float = 0.75
    spc_mode: Literal["first_crossing", "sustained"] = "sustained"
    spc_anchor: Literal["run_centre", "run_start"] = "run_centre"
    spc_level: float = 0.99
    spc_n_mean: int = 3
    reconstruction: Literal["koutsouvelis_r1", "none"] = "koutsouvelis_r1"
    min_amplitude: float = 0.05

    def __post_init__(self) -> None:
        check_option("output", self.output, ("rounded", "probability"))
        check_number("threshold", self.threshold, min_value=0.0, max_value=1.0)
        check_number("block_min", self.block_min, min_value=0.0, inclusive_min=False)
        check_number("min_block_fraction", self.min_block_fraction, min_value=0.0, max_value=1.0)
        check_option("spc_mode", self.spc_mode, ("first_crossing", "sustained"))
        check_option("spc_anchor", self.spc_anchor, ("run_centre", "run_start"))
        check_number("spc_level", self.spc_level, min_value=0.0, max_value=1.0, inclusive_min=False)
        check_number("spc_n_mean", self.spc_n_mean, min_value=1, integer=True)
        check_option("reconstruction", self.reconstruction, ("koutsouvelis_r1", "none"))
        check_number("min_amplitude", self.min_amplitude, min_value=0.0)


@dataclass(frozen=True, eq=False)
class CioprTerms:
    """The per-length CIOPR terms of one seizure; minutes, positive before onset (see module docstring).

    ``a, b, c, d`` are the fitted parameters, ``tp_start_min = c + ln 19 / |b|``, ``record_min`` the start of
    the earliest block, ``fit_ok`` whether the fit succeeded (``reason`` otherwise), ``blocks`` the block outputs.
    """

    seizure_id: int
    n_blocks: int
    record_min: float
    a: float
    b: float
    c: float
    d: float
    infl_min: float
    tp_min: float
    tp_start_min: float
    nd_min: float
    nd_err: float
    nd_eff: float
    spc_min: float
    spc_err: float
    spc_eff: float
    rho: float
    fit_ok: bool
    reason: str = ""
    blocks: Blocks | None = field(default=None, repr=False)


@dataclass(frozen=True)
class CioprResult:
    """CIOPR of one length of one seizure: the terms, ``infl_comp``, ``eta``, ``ciopc`` and ``ciopr``."""

    preictal_min: int
    terms: CioprTerms
    infl_comp: float
    eta: float
    ciopc: float
    ciopr: float


def _as_arrays(output) -> tuple[int, np.ndarray, np.ndarray, float]:
    if isinstance(output, ContinuousOutput):
        return output.seizure_id, output.times_min_before_onset, output.probs, output.window_s
    try:
        times, probs = output
    except (TypeError, ValueError):
        raise ConfigError(
            "Invalid value for 'output': allowed a ContinuousOutput or (times_min_before_onset, probs); "
            f"got {type(output).__name__}."
        ) from None
    times = np.asarray(times, dtype=np.float64)
    window_s = float(np.median(np.abs(np.diff(times)))) * 60.0 if times.size > 1 else 5.0
    return -1, times, np.asarray(probs, dtype=np.float64), window_s


def _nd_terms(blocks: Blocks, tp_start: float) -> tuple[float, float, float]:
    record = float(blocks.start_min[0])
    nd = float(np.clip(record - tp_start, 0.0, record))
    region = blocks.y[blocks.start_min > tp_start]
    if region.size == 0:
        nd_err = warn_undefined("ND_err is undefined (the transition starts before the first output); NaN.")
        return 0.0, nd_err, 0.0
    nd_err = float(np.mean(np.abs(region)))
    return nd, nd_err, nd * (1.0 - nd_err)


def _region_mean(blocks: Blocks, values: np.ndarray, *, hi_min: float, block_min: float) -> float:
    """Time-weighted mean of per-block ``values`` over ``[0, hi_min]`` minutes before onset (blocks cut there)."""
    overlap = np.minimum(blocks.start_min, hi_min) - np.maximum(blocks.start_min - block_min, 0.0)
    weights = np.clip(overlap, 0.0, None)
    total = float(weights.sum())
    return float(np.sum(weights * values) / total) if total > 0 else _NAN


def _spc_terms(blocks: Blocks, options: CioprOptions) -> tuple[float, float, float]:
    """``(SPC, SPC_err, SPC_eff)``; the SPC region is ``[0, SPC]`` minutes before onset (see the module docstring)."""
    spc, j = find_spc(
        blocks,
        mode=options.spc_mode,
        level=options.spc_level,
        n_mean=options.spc_n_mean,
        anchor=options.spc_anchor,
    )
    if j is None:
        spc_err = warn_undefined("SPC_err is undefined (no SPC region); NaN.") if spc == 0.0 else _NAN
        return spc, spc_err, 0.0 if spc == 0.0 else _NAN
    spc_err = _region_mean(blocks, np.abs(1.0 - blocks.y), hi_min=spc, block_min=options.block_min)
    return spc, spc_err, spc * (1.0 - spc_err)


def ciopr_terms(output, *, options: CioprOptions = CioprOptions()) -> CioprTerms:
    """Per-length CIOPR terms of one seizure's continuous output (formulas in the module docstring).

    Parameters
    ----------
    output : ContinuousOutput or (times_min_before_onset, probs)
        Window outputs; with a tuple the window length is the median spacing of the times.
    options : CioprOptions

    Returns
    -------
    CioprTerms
        Undefined terms are NaN with an ``UndefinedMetricWarning`` (never an exception).
    """
    seizure_id, times, probs, window_s = _as_arrays(output)
    values = (probs >= options.threshold).astype(np.float64) if options.output == "rounded" else probs
    blocks = block_average(
        times,
        values,
        window_s=window_s,
        block_min=options.block_min,
        min_block_fraction=options.min_block_fraction,
    )
    spc, spc_err, spc_eff = _spc_terms(blocks, options)
    fit = fit_logistic4(
        blocks.center_min, blocks.y, min_amplitude=options.min_amplitude, min_tp_min=options.block_min
    )
    if fit.ok:
        half = LN19 / abs(fit.b)
        tp, tp_start = 2.0 * half, fit.c + half
        nd, nd_err, nd_eff = _nd_terms(blocks, tp_start)
    else:
        tp = tp_start = nd = nd_err = nd_eff = _NAN
    return CioprTerms(
        seizure_id=seizure_id,
        n_blocks=int(blocks.y.size),
        record_min=float(blocks.start_min[0]) if blocks.y.size else _NAN,
        a=fit.a,
        b=fit.b,
        c=fit.c,
        d=fit.d,
        infl_min=fit.c,
        tp_min=tp,
        tp_start_min=tp_start,
        nd_min=nd,
        nd_err=nd_err,
        nd_eff=nd_eff,
        spc_min=spc,
        spc_err=spc_err,
        spc_eff=spc_eff,
        rho=fit.rho,
        fit_ok=fit.ok,
        reason=fit.reason,
        blocks=blocks,
    )


def with_spc_reading(terms: CioprTerms, options: CioprOptions) -> CioprTerms:
    """``terms`` with SPC, SPC_err and SPC_eff recomputed under ``options``' SPC reading (the fit is kept).

    The fit and the ND terms do not depend on ``spc_mode``, ``spc_anchor``, ``spc_level`` or ``spc_n_mean``:
    the robustness table (:mod:`seizurepred.sweep.ciopr_table`) fits each output once and rereads SPC from
    ``terms.blocks``, which must come from the same ``output``, ``threshold`` and ``block_min``.
    """
    if terms.blocks is None:
        raise ConfigError("Invalid value for 'terms': allowed CioprTerms with blocks; got blocks=None.")
    spc, spc_err, spc_eff = _spc_terms(terms.blocks, options)
    return dataclasses.replace(terms, spc_min=spc, spc_err=spc_err, spc_eff=spc_eff)


def _finite(t: CioprTerms) -> bool:
    return all(math.isfinite(v) for v in (t.spc_eff, t.nd_eff, t.infl_min))


def ciopr_compare(
    terms_by_length: Mapping[int, CioprTerms], *, options: CioprOptions = CioprOptions()
) -> dict[int, CioprResult]:
    """CIOPC and CIOPR of one seizure across preictal lengths (formulas in the module docstring).

    Parameters
    ----------
    terms_by_length : mapping of int to CioprTerms
        Preictal length in minutes -> terms of that length's model on this seizure.
    options : CioprOptions
        ``reconstruction`` selects Infl_comp and eta.

    Returns
    -------
    dict of int to CioprResult
        The best length has ``ciopr == 1``; lengths with undefined terms get NaN.
    """
    ok = {k: t for k, t in terms_by_length.items() if _finite(t)}
    comp: dict[int, float] = {}
    eta = 1.0
    if ok and options.reconstruction == "koutsouvelis_r1":
        infl_min = min(t.infl_min for t in ok.values())
        for k, t in ok.items():
            factor = 0.0 if math.isnan(t.nd_err) else 1.0 - t.nd_err
            comp[k] = (t.infl_min - infl_min) * factor
        denom = max(t.nd_eff + comp[k] for k, t in ok.items())
        if denom > 0:
            eta = min(1.0, min(t.spc_eff for t in ok.values()) / denom)
    ciopc = {k: t.spc_eff + eta * (t.nd_eff + comp.get(k, 0.0)) for k, t in ok.items()}
    top = max(ciopc.values(), default=_NAN)
    if ok and not top > 0:
        warn_undefined("CIOPR is undefined (every CIOPC <= 0); NaN.")
    out = {}
    for k, t in terms_by_length.items():
        c = ciopc.get(k, _NAN)
        ratio = c / top if top > 0 else _NAN
        out[k] = CioprResult(
            k, t, comp.get(k, _NAN if k not in ok else 0.0), eta if k in ok else _NAN, c, ratio
        )
    return out


def choose_opp(
    ciopr_by_length: Mapping[int, Sequence[float]], f1_by_length: Mapping[int, float]
) -> tuple[int | None, Literal["CIOPR", "F1", "none"]]:
    """The paper's optimal preictal period (OPP) of one patient ("paper CIOPR").

    The length with the highest mean CIOPR over the patient's eligible seizures (NaN values ignored); if no
    length has a finite mean CIOPR (no eligible seizure), the length with the highest F1. The means compare
    lengths only if every sequence holds the same seizures: pass the common set (seizures with a finite CIOPR
    under every compared length; :func:`seizurepred.sweep.ciopr_table.paper_opp` does). Ties go to the
    **shorter** length [R]: the paper's footnote on chb21 (60 and 45 min identical, 45 chosen).

    Parameters
    ----------
    ciopr_by_length : mapping of int to sequence of float
        Preictal length (min) -> CIOPR of each seizure of the common set (may be empty).
    f1_by_length : mapping of int to float
        Preictal length (min) -> pooled segment F1.

    Returns
    -------
    (opp_length, criterion)
        ``criterion`` is ``"CIOPR"`` or ``"F1"`` as in ``table1.csv``; ``(None, "none")`` with a warning when
        neither is available.
    """
    means = {}
    for k, vals in ciopr_by_length.items():
        arr = np.asarray(list(vals), dtype=np.float64)
        arr = arr[np.isfinite(arr)]
        if arr.size:
            means[k] = float(arr.mean())
    if means:
        return max(means, key=lambda k: (means[k], -k)), "CIOPR"
    f1 = {k: float(v) for k, v in f1_by_length.items() if math.isfinite(float(v))}
    if f1:
        return max(f1, key=lambda k: (f1[k], -k)), "F1"
    warn_undefined("OPP is undefined: no finite CIOPR and no finite F1.")
    return None, "none"
