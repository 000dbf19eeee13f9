"""Figures of seizure-likelihood forecasts: ``reliability.png`` and ``sen_tiw.png`` (conventions of the
``*_figure`` / ``plot_*`` pairs: :mod:`seizurepred.reporting.figures`).

Both take plain per-length data, a mapping from the preictal length (minutes) to the data of that length:

* reliability: :class:`~seizurepred.evaluation.forecast_scores.ReliabilityBins` or a mapping with the keys
  ``edges`` (``n_bins + 1``), ``mean_forecast``, ``observed`` and ``count`` (``n_bins`` each; NaN for empty bins);
* Sen/TiW: :class:`~seizurepred.evaluation.forecast_scores.SenTiwCurve` or a mapping with the keys
  ``time_in_warning`` and ``sensitivity`` (and optionally ``auc``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from seizurepred.reporting.figures import new_figure, save_figure, say, set_title

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_reliability", "plot_sen_tiw", "reliability_figure", "sen_tiw_figure"]


def _field(data: Any, name: str, default: Any = None) -> Any:
    if isinstance(data, Mapping):
        return data.get(name, default)
    return getattr(data, name, default)


def _array(data: Any, name: str) -> np.ndarray:
    value = _field(data, name)
    return np.asarray([] if value is None else value, dtype=np.float64)


def _reliability_panel(ax, data: Any) -> None:
    edges = _array(data, "edges")
    fbar, obs, count = _array(data, "mean_forecast"), _array(data, "observed"), _array(data, "count")
    if count.size == 0 or np.nansum(count) == 0:
        say(ax, "no forecasts")
        return
    ax.plot([0, 1], [0, 1], ls="--", color="0.6", lw=1, label="perfect reliability")
    ok = count > 0
    ax.plot(fbar[ok], obs[ok], "o-", color="C0", ms=4, lw=1.2, label="bins")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("forecast probability (bin mean)", fontsize=8)
    ax.tick_params(labelsize=7)
    if edges.size == count.size + 1:  # counts per bin as bars on a second axis
        bars = ax.twinx()
        bars.bar(edges[:-1], count, width=np.diff(edges), align="edge", color="C1", alpha=0.25, lw=0,
                 label="forecasts per bin")  # fmt: skip
        bars.set_yscale("symlog", linthresh=1.0)
        bars.set_ylabel("forecasts per bin", fontsize=7, color="C1")
        bars.tick_params(labelsize=6, colors="C1")
        ax.set_zorder(bars.get_zorder() + 1)
        ax.patch.set_visible(False)
    for x, y, n in zip(fbar[ok], obs[ok], count[ok]):
        ax.annotate(f"{int(n)}", (x, y), textcoords="offset points", xytext=(3, 3), fontsize=6, color="0.3")


def reliability_figure(bins_by_length: Mapping[int, Any], *, synthetic: bool = False,
                       title: str | None = None) -> Figure | None:  # fmt: skip
    """Reliability diagram per preictal length (one panel each): observed frequency vs mean forecast per bin,
    the diagonal, and the forecasts per bin (bars and labels). ``None`` when there is no length."""
    if not bins_by_length:
        return None
    lengths = sorted(bins_by_length)
    fig = new_figure(3.0 * len(lengths) + 0.6, 3.2)
    axes = np.atleast_1d(fig.subplots(1, len(lengths), squeeze=False)[0])
    for ax, k in zip(axes, lengths):
        _reliability_panel(ax, bins_by_length[k])
        ax.set_title(f"preictal {k} min", fontsize=9)
    axes[0].set_ylabel("observed frequency", fontsize=8)
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        axes[0].legend(handles, labels, fontsize=6, loc="upper left")
    set_title(fig, title or "Reliability of the seizure-likelihood forecasts", synthetic=synthetic)
    return fig


def sen_tiw_figure(curves_by_length: Mapping[int, Any], *, synthetic: bool = False,
                   title: str | None = None) -> Figure | None:  # fmt: skip
    """Sensitivity vs time in warning, one curve per preictal length (AUC in the legend), with chance (the
    diagonal: a random warning of the same duration). ``None`` when there is no length."""
    if not curves_by_length:
        return None
    fig = new_figure(4.6, 4.0)
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], ls="--", color="0.6", lw=1, label="chance (Sen = TiW)")
    drawn = 0
    for i, k in enumerate(sorted(curves_by_length)):
        data = curves_by_length[k]
        tiw, sen = _array(data, "time_in_warning"), _array(data, "sensitivity")
        if tiw.size == 0 or not np.isfinite(sen).any():
            continue
        auc = _field(data, "auc", math.nan)
        label = f"{k} min" + (f" (AUC {auc:.2f})" if auc is not None and math.isfinite(auc) else "")
        ax.plot(tiw, sen, drawstyle="default", color=f"C{i}", lw=1.4, label=label)
        drawn += 1
    if not drawn:
        say(ax, "no seizure forecast")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("time in warning (fraction of forecast periods)", fontsize=8)
    ax.set_ylabel("sensitivity", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, loc="lower right")
    set_title(fig, title or "Sensitivity vs time in warning", synthetic=synthetic)
    return fig


def plot_reliability(bins_by_length: Mapping[int, Any], path: str | Path, *, synthetic: bool = False,
                     title: str | None = None) -> Path | None:  # fmt: skip
    """Write :func:`reliability_figure` as a PNG (``reliability.png``); ``None`` when there is nothing to draw."""
    fig = reliability_figure(bins_by_length, synthetic=synthetic, title=title)
    return None if fig is None else save_figure(fig, path)


def plot_sen_tiw(curves_by_length: Mapping[int, Any], path: str | Path, *, synthetic: bool = False,
                 title: str | None = None) -> Path | None:  # fmt: skip
    """Write :func:`sen_tiw_figure` as a PNG (``sen_tiw.png``); ``None`` when there is nothing to draw."""
    fig = sen_tiw_figure(curves_by_length, synthetic=synthetic, title=title)
    return None if fig is None else save_figure(fig, path)
