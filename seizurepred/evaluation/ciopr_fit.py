"""Building blocks of CIOPR: 8-minute block averaging, the 4-parameter logistic fit and the SPC search.

Time axis: ``x`` = positive minutes before onset (x decreases as time runs towards the onset). The fitted curve is

    f(x) = a / (1 + exp(-b (x - c))) + d,     a >= 0,

so an output that *rises towards the onset* has ``b < 0``, the only sign CIOPR fits (:func:`fit_logistic4`); the
inflection point is ``c`` minutes before onset and the 5 %-95 % transition lasts ``2 ln 19 / |b|`` minutes, from
``c + ln 19 / |b|`` (start, earlier in time) to ``c - ln 19 / |b|`` (end).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit
from scipy.special import expit

from seizurepred.evaluation.metrics import warn_undefined

__all__ = ["LN19", "Blocks", "LogisticFit", "block_average", "logistic4", "fit_logistic4", "find_spc"]

LN19 = math.log(19.0)


@dataclass(frozen=True, eq=False)
class Blocks:
    """Block means of a continuous output, earliest block first.

    Attributes
    ----------
    start_min, center_min : ndarray of shape (n_blocks,)
        Start (earliest edge) and centre of each block in minutes before onset.
    y : ndarray of shape (n_blocks,)
        Mean output per block (``y_i``).
    """

    start_min: np.ndarray
    center_min: np.ndarray
    y: np.ndarray


def block_average(
    times_min_before_onset: np.ndarray,
    values: np.ndarray,
    *,
    window_s: float,
    block_min: float = 8.0,
    min_block_fraction: float = 0.75,
) -> Blocks:
    """Average window outputs in blocks of ``block_min`` minutes aligned to the onset.

    Block ``k`` (k = 0 is the last block before onset) covers ``[k block_min, (k + 1) block_min]`` minutes before
    onset; a window belongs to the block holding its centre (``t - window_s / 120`` with ``t`` its start in minutes
    before onset). With 5 s windows a full 8 min block holds 96 windows. A block holding fewer than
    ``min_block_fraction`` of a full block's windows is dropped: in practice the earliest, partial block of a record
    whose length is not a multiple of ``block_min``, or a block straddling a gap.

    Parameters
    ----------
    times_min_before_onset : ndarray of shape (n_windows,)
        Window starts in positive minutes before onset.
    values : ndarray of shape (n_windows,)
        Output per window (probabilities or rounded 0/1).
    window_s, block_min, min_block_fraction : float
        Window length (s), block length (min), smallest kept fraction of a full block.

    Returns
    -------
    Blocks
    """
    t = np.asarray(times_min_before_onset, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    centre = t - window_s / 120.0
    k = np.floor(centre / block_min + 1e-9).astype(np.int64)
    keep_w = k >= 0
    k, v = k[keep_w], v[keep_w]
    if k.size == 0:
        empty = np.empty(0)
        return Blocks(empty, empty, empty)
    uniq, inv = np.unique(k, return_inverse=True)
    counts = np.bincount(inv, minlength=uniq.size)
    sums = np.bincount(inv, weights=v, minlength=uniq.size)
    full = block_min * 60.0 / window_s
    ok = counts >= min_block_fraction * full - 1e-9
    uniq, means = uniq[ok][::-1], (sums[ok] / counts[ok])[::-1]  # earliest block first
    return Blocks(start_min=(uniq + 1) * block_min, center_min=(uniq + 0.5) * block_min, y=means)


def logistic4(x: np.ndarray, a: float, b: float, c: float, d: float) -> np.ndarray:
    """``f(x) = a / (1 + exp(-b (x - c))) + d`` evaluated without overflow (scipy's ``expit``)."""
    return a * expit(b * (np.asarray(x, dtype=np.float64) - c)) + d


def _logistic4_jac(x: np.ndarray, a: float, b: float, c: float, d: float) -> np.ndarray:
    """Jacobian of :func:`logistic4` with respect to (a, b, c, d): shape (n, 4)."""
    s = expit(b * (x - c))
    ds = a * s * (1.0 - s)
    return np.stack([s, ds * (x - c), -ds * b, np.ones_like(s)], axis=1)


@dataclass(frozen=True)
class LogisticFit:
    """Result of :func:`fit_logistic4`; parameters and ``rho`` are NaN when ``ok`` is False (``reason`` says why).

    ``rho`` is Pearson's correlation between the block outputs and the fitted curve at the block centres.
    """

    a: float
    b: float
    c: float
    d: float
    rho: float
    ok: bool
    reason: str = ""


def _failed(reason: str) -> LogisticFit:
    warn_undefined(f"CIOPR logistic fit failed: {reason}; its terms are NaN.", stacklevel=4)
    nan = math.nan
    return LogisticFit(nan, nan, nan, nan, nan, False, reason)


def _grid_start(
    x: np.ndarray, y: np.ndarray, lower, upper, b_max: float
) -> tuple[float, float, float, float]:
    """Best (a, b, c, d) on a (b, c) grid, with a and d solved by linear least squares for each grid point.

    The slopes are 12 magnitudes up to ``b_max``, negative only (a rise towards onset) unless ``upper[1] > 0``.
    """
    mags = np.geomspace(b_max / 150.0, b_max, 12)
    bs = (np.concatenate([-mags, mags]) if upper[1] > 0 else -mags)[:, None, None]
    cs = np.linspace(lower[2], upper[2], 241)[None, :, None]
    S = expit(bs * (x - cs))  # (n_b, n_c, n_blocks)
    s_mean = S.mean(axis=-1)
    Sc = S - s_mean[..., None]
    yc = y - y.mean()
    var = np.sum(Sc**2, axis=-1)
    a = np.clip(np.sum(Sc * yc, axis=-1) / np.where(var > 1e-12, var, np.inf), lower[0], upper[0])
    d = np.clip(y.mean() - a * s_mean, lower[3], upper[3])
    sse = np.sum((a[..., None] * S + d[..., None] - y) ** 2, axis=-1)
    ib, ic = np.unravel_index(int(np.argmin(sse)), sse.shape)
    return float(a[ib, ic]), float(bs[ib, 0, 0]), float(cs[0, ic, 0]), float(d[ib, ic])


def _starts(x: np.ndarray, y: np.ndarray, rising_only: bool) -> list[tuple[float, float, float, float]]:
    lo, hi = float(y.min()), float(y.max())
    third = max(1, y.size // 3)
    rises = rising_only or y[-third:].mean() >= y[:third].mean()
    sign = -1.0 if rises else 1.0  # x decreases along y: rise -> b < 0
    return [(max(hi - lo, 0.1), sign * b0, float(np.median(x)), lo) for b0 in (0.05, 0.5)]


def fit_logistic4(
    x: np.ndarray,
    y: np.ndarray,
    *,
    min_amplitude: float = 0.05,
    min_tp_min: float = 8.0,
    rising_only: bool = True,
) -> LogisticFit:
    """Least-squares fit of ``f(x) = a / (1 + exp(-b (x - c))) + d`` with :func:`scipy.optimize.curve_fit`.

    Bounds: ``0 <= a <= 2``; ``-2 ln 19 / min_tp_min <= b <= 0`` per minute (``rising_only``; ``|b|`` bounded
    on both sides otherwise); ``c`` within one record span of the data; ``-1 <= d <= 2``.

    * The sign [R, read from the paper]: the sigmoid is the output's transition *to preictal* (ND before it, SPC
      where the output converges to 1 after it; the paper's ``TP = 2 ln 19 / b`` is positive only for a rise
      with time running forward), so only a rise towards onset (``b <= 0`` here) is a transition; an output
      that falls towards onset has none and the fit is reported as failed, as a flat one is.
    * The slope bound [R; the paper states no bound]: a transition shorter than one block (``min_tp_min``, 8 min)
      cannot be resolved from block means; without the bound a step has no least-squares optimum (``|b| -> inf``)
      and any ``c`` between the two block centres around it fits equally, so ``Infl`` (and ``Infl_comp``) would
      be arbitrary. The bound is inactive for every transition longer than one block (those fits are the
      unbounded ones); a step reports TP = 8 min and ``c`` midway between the block centres.

    Start: the best point of a grid over (b, c) (12 slope magnitudes, 241 inflection points across the bounds)
    with a and d solved by linear least squares at each grid point; curve_fit (analytic Jacobian) refines it.
    Should that fail, two heuristic starts (c the median of x) are tried.

    Parameters
    ----------
    x : ndarray of shape (n_blocks,)
        Block centres in minutes before onset.
    y : ndarray of shape (n_blocks,)
        Block outputs.
    min_amplitude : float
        A fitted curve that changes by less than this over the blocks (``ptp`` of the fit at ``x``, at most
        ``a``) has no transition: the fit is reported as failed.
    min_tp_min : float
        Shortest transition period the fit may report, in minutes (the block length).
    rising_only : bool
        Fit only a rise towards onset (``b <= 0``; CIOPR). ``False``: either sign.

    Returns
    -------
    LogisticFit
        Failure (flat output, fewer than 5 blocks, no convergence, no rise of at least ``min_amplitude``) gives
        NaN parameters and an :class:`~seizurepred.evaluation.metrics.UndefinedMetricWarning`.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size < 5:
        return _failed(f"{x.size} blocks (need at least 5 for 4 parameters)")
    if float(np.ptp(y)) < 1e-12:
        return _failed("flat output")
    span = float(np.ptp(x)) or 1.0
    b_max = 2.0 * LN19 / min_tp_min
    lower = (0.0, -b_max, float(x.min()) - span, -1.0)
    upper = (2.0, 0.0 if rising_only else b_max, float(x.max()) + span, 2.0)
    best = None
    for p0 in [_grid_start(x, y, lower, upper, b_max), *_starts(x, y, rising_only)]:
        p0 = np.clip(p0, lower, upper)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", OptimizeWarning)
                popt, _ = curve_fit(
                    logistic4, x, y, p0=p0, bounds=(lower, upper), jac=_logistic4_jac, maxfev=1000
                )
        except (RuntimeError, ValueError):
            continue
        best = popt
        break  # the grid start is near the global optimum; the others are fall-backs
    if best is None:
        return _failed("curve_fit did not converge")
    a, b, c, d = (float(v) for v in best)
    fitted = logistic4(x, a, b, c, d)
    change = float(np.ptp(fitted))
    if change < max(min_amplitude, 1e-12) or abs(b) < 1e-9:
        what = "rise towards onset" if rising_only else "change"
        return _failed(f"fitted {what} {change:.3g} below {min_amplitude:g} (no transition)")
    rho = float(np.corrcoef(y, fitted)[0, 1])
    return LogisticFit(a, b, c, d, rho, True)


def find_spc(
    blocks: Blocks,
    *,
    mode: str = "sustained",
    level: float = 0.99,
    n_mean: int = 3,
    anchor: str = "run_centre",
) -> tuple[float, int | None]:
    """Seizure prediction convergence (SPC) from the block outputs (not from the fit).

    ``m_j`` = mean of ``y_j .. y_{j + n_mean - 1}`` (3 blocks = 24 min), ``M = max_j m_j``. The SPC block ``j*`` is

    * ``"first_crossing"`` (paper): the first ``j`` with ``m_j >= level * M``;
    * ``"sustained"``: the first ``j`` from which ``m_j' >= level * M`` holds for every later ``j'`` up to the last.
      When the last ``m_j`` is below ``level * M`` the output is not converged at onset: SPC = 0 and ``j*`` None.

    SPC (minutes before onset) = with ``anchor="run_centre"``, the centre of the run of ``n_mean`` blocks that
    starts at block ``j*`` (start edge of ``j*`` minus half the run's length: 12 min for the last 24-min run);
    with ``anchor="run_start"``, the start edge of block ``j*`` (at least ``n_mean`` blocks, 24 min).

    Returns
    -------
    spc_min : float
        NaN (with a warning) when fewer than ``n_mean`` blocks exist or ``M <= 0``.
    j : int or None
        Index of the first block of the converged run (``j*``), None when SPC is NaN or 0. The SPC region over
        which SPC_err is taken is ``[0, SPC]`` minutes before onset (:mod:`~seizurepred.evaluation.ciopr`):
        ``blocks.y[j:]`` with ``anchor="run_start"``, from the middle of block ``j + n_mean // 2`` with
        ``"run_centre"`` (odd ``n_mean``).
    """
    y = blocks.y
    if y.size < n_mean:
        return warn_undefined(f"SPC is undefined with {y.size} blocks (need {n_mean}); NaN."), None
    m = np.convolve(y, np.ones(n_mean) / n_mean, mode="valid")
    top = float(m.max())
    if top <= 0.0:
        return warn_undefined("SPC is undefined: the output is never positive; NaN."), None
    above = m >= level * top - 1e-12
    if mode == "first_crossing":
        j = int(np.argmax(above))
    else:
        if not above[-1]:
            return 0.0, None
        below = np.flatnonzero(~above)
        j = int(below[-1] + 1) if below.size else 0
    spc = float(blocks.start_min[j])
    if anchor == "run_centre":
        block_min = float(blocks.start_min[0] - blocks.center_min[0]) * 2.0
        spc -= 0.5 * n_mean * block_min
    return spc, j
