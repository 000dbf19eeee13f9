"""Figures of a sweep, written beside its tables (PNG, atomically). Figures of synthetic data say so.

Every figure has two functions: ``*_figure(...)`` builds and returns the :class:`matplotlib.figure.Figure`
(``None`` when its inputs are absent), and ``plot_*(..., path)`` writes it as a PNG through the one atomic-write
helper and returns the path (``None`` when there is nothing to draw). Figures are built without pyplot (no global
state, no figure left open, no backend switched under a notebook) and saved without the PNG's ``Software``
stamp, so rendering a run twice gives the same bytes.

This module holds the figures of the model outputs (:func:`plot_continuous`: CIOPR's input and fit;
:func:`plot_opp_evidence`: how the OPP was chosen; :func:`plot_roc`); the figures on the patient clock
(recordings, labels, alarms) are in :mod:`seizurepred.reporting.figures_timeline`.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from seizurepred._atomic import atomic_write
from seizurepred.evaluation.ciopr import ciopr_terms
from seizurepred.evaluation.ciopr_fit import LN19, logistic4
from seizurepred.sweep.ciopr_table import CIOPR_MIN_HOURS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "SYNTHETIC_TEXT",
    "continuous_figure",
    "opp_evidence_figure",
    "plot_continuous",
    "plot_opp_evidence",
    "plot_roc",
    "roc_figure",
    "save_figure",
]

#: What the title of every figure of synthetic data says.
SYNTHETIC_TEXT = "synthetic data"
_DPI = 110


# ---------------------------------------------------------------------------------------------------- helpers
def new_figure(width_in: float, height_in: float) -> Figure:
    """A pyplot-free figure with constrained layout (nothing global is registered; no need to close it)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width_in, height_in), layout="constrained")


def set_title(fig: Figure, title: str, *, synthetic: bool) -> None:
    """The figure's title, with ``(synthetic data)`` appended for synthetic data."""
    fig.suptitle(f"{title} ({SYNTHETIC_TEXT})" if synthetic else title, fontsize=11)


def say(ax, text: str) -> None:
    """An empty panel that says why it is empty."""
    ax.text(
        0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=8, color="0.3", wrap=True
    )
    ax.set_xticks([])
    ax.set_yticks([])


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` as a PNG atomically (no ``Software`` stamp: the same figure gives the same bytes)."""
    return atomic_write(path, lambda fh: fig.savefig(fh, format="png", dpi=_DPI, metadata={"Software": None}))


def _save_or_none(fig, path: str | Path) -> Path | None:
    return None if fig is None else save_figure(fig, path)


def _first_repeat(result) -> list:
    """The finished folds of the first repeat."""
    return [f for f in result.folds if f.ok and f.repeat == 0]


# -------------------------------------------------------------------------------------------- continuous.png
def _continuous_panel(ax, fold, options, row) -> str:
    """CIOPR's input of one fold: 8-min blocks, the fitted sigmoid, TP shaded, SPC marked; returns its note."""
    if fold is None:
        say(ax, "no finished fold")
        return ""
    tail = fold.continuous.tail(min_hours=CIOPR_MIN_HOURS)
    if tail is None:
        say(ax, f"no uninterrupted EEG > {CIOPR_MIN_HOURS:g} h\nending at onset: no CIOPR")
        return ""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        terms = ciopr_terms(tail, options=options)
    blocks = terms.blocks
    ax.plot(-blocks.center_min, blocks.y, "o", ms=3, color="C0", label="8-min blocks")
    notes = []
    if terms.fit_ok:
        x = np.linspace(0.0, terms.record_min, 400)
        ax.plot(-x, logistic4(x, terms.a, terms.b, terms.c, terms.d), color="C1", lw=1.2, label="sigmoid fit")
        half = LN19 / abs(terms.b)
        lo, hi = max(terms.c - half, 0.0), min(terms.c + half, terms.record_min)
        if hi > lo:
            ax.axvspan(-hi, -lo, color="C1", alpha=0.15, lw=0, label="TP (5-95 %)")
        notes.append(f"TP {terms.tp_min:.0f} min")
    else:
        notes.append("no sigmoid fit")  # why: ciopr.csv, column reason
    if math.isfinite(terms.spc_min) and terms.spc_min > 0:
        ax.axvline(-terms.spc_min, color="C2", ls="--", lw=1.2, label="SPC", gid="spc")
        notes.append(f"SPC {terms.spc_min:.0f} min")
    if row is not None and math.isfinite(row.get("ciopr", math.nan)):
        notes.append(f"CIOPR {row['ciopr']:.2f}")
    ax.set_xlim(-terms.record_min, 0.0)
    ax.set_ylim(-0.05, 1.05)
    return ", ".join(notes)


def continuous_figure(result, *, max_seizures: int = 4, synthetic: bool = False) -> Figure | None:
    """CIOPR's input per held-out seizure (rows, at most ``max_seizures``) and preictal length (columns).

    Each panel shows the 8-min block outputs of the uninterrupted record that ends at onset (> 2.5 h; the first
    repeat's model), the fitted 4-parameter sigmoid (recomputed with ``result.config.ciopr``), its transition
    period TP (5 %-95 % of the amplitude) shaded and SPC marked; seizures without such a record say so.

    Parameters
    ----------
    result : SweepResult
        The aggregated sweep (``result.folds`` hold the outputs).
    max_seizures : int
        The first held-out seizures shown (in clock order).
    synthetic : bool
        Say "synthetic data" in the title.

    Returns
    -------
    matplotlib.figure.Figure or None
        ``None`` when no fold has a continuous output.
    """
    folds = {(f.preictal_min, f.seizure_id): f for f in _first_repeat(result) if f.continuous is not None}
    if not folds:
        return None
    seizures = sorted({sid for _, sid in folds})[:max_seizures]
    lengths = sorted({k for k, _ in folds}, reverse=True)
    rows = {(r["preictal_min"], r["seizure_id"]): r for r in result.ciopr if r.get("repeat", 0) == 0}
    fig = new_figure(max(6.0, 0.6 + 2.8 * len(lengths)), 1.0 + 2.1 * len(seizures))
    axes = fig.subplots(len(seizures), len(lengths), squeeze=False)
    legend: dict[str, object] = {}
    for i, sid in enumerate(seizures):
        for j, k in enumerate(lengths):
            ax = axes[i, j]
            note = _continuous_panel(ax, folds.get((k, sid)), result.config.ciopr, rows.get((k, sid)))
            handles, labels = ax.get_legend_handles_labels()
            legend.update({lab: h for h, lab in zip(handles, labels) if lab not in legend})
            ax.set_title(f"{k} min | {note}" if note else f"{k} min", fontsize=7.5)
            if j == 0:
                ax.set_ylabel(f"seizure {sid}", fontsize=9)
            if i == len(seizures) - 1:
                ax.set_xlabel("minutes relative to onset", fontsize=8)
            ax.tick_params(labelsize=7)
    if legend:
        fig.legend(
            list(legend.values()), list(legend), loc="outside lower center", ncol=len(legend), fontsize=8
        )
    output = "rounded outputs" if result.config.ciopr.output == "rounded" else "probabilities"
    fig.supylabel(f"8-min means of {output}", fontsize=8)
    set_title(fig, f"{result.case}: CIOPR input and its sigmoid fit", synthetic=synthetic)
    return fig


def plot_continuous(
    result, path: str | Path, *, max_seizures: int = 4, synthetic: bool = False
) -> Path | None:
    """Write :func:`continuous_figure` to ``path``; ``None`` (nothing written) when no fold has an output."""
    return _save_or_none(continuous_figure(result, max_seizures=max_seizures, synthetic=synthetic), path)


# ------------------------------------------------------------------------------------------ opp_evidence.png
def _fmt_opp(k, criterion: str) -> str:
    return f"{criterion}" if k is None else f"{k} min ({criterion})"


def _length_axis(ax, ev) -> np.ndarray:
    """Lengths (ascending) on the x axis, each with its band in minutes before onset."""
    x = np.arange(len(ev))
    ax.set_xticks(x, [f"{e['preictal_min']}\n({e['band_lo_min']:g}-{e['band_hi_min']:g})" for e in ev])
    ax.set_xlim(-0.6, len(ev) - 0.4)
    ax.set_xlabel("preictal length, min (band, min before onset)", fontsize=8)
    return x


def _levels_panel(ax, ev) -> None:
    """Mean output in each band and in as much recorded EEG just before it (held-out seizures)."""
    x = _length_axis(ax, ev)
    band = np.array([e["band_mean"] for e in ev], dtype=float)
    before = np.array([e["before_mean"] for e in ev], dtype=float)
    ax.vlines(x, np.fmin(band, before), np.fmax(band, before), color="0.7", lw=1)
    ax.plot(x, before, "s", color="C0", label="just before the band")
    ax.plot(x, band, "o", color="C3", label="in the band")
    ax.set_ylim(0.0, 1.05)
    ax.set_ylabel("mean model output (held-out seizures)", fontsize=8)
    ax.set_title("outputs at the start of each length", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")


def _contrast_panel(ax, ev, opp_min) -> None:
    """The selector's statistic: each band's contrast against the spread of reference contrasts."""
    x = _length_axis(ax, ev)
    contrast = np.array([e["contrast"] for e in ev], dtype=float)
    sd = np.array([e["reference_sd"] for e in ev], dtype=float)
    ax.bar(x, 4.0 * np.nan_to_num(sd), bottom=-2.0 * np.nan_to_num(sd), width=0.5, color="0.85",
           label="reference EEG: ±2 SD")  # fmt: skip
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.plot(x, contrast, "D", color="C3", label="held-out seizures")
    top = float(np.nanmax(np.r_[contrast, 2.0 * sd, 0.05]))
    for i, e in enumerate(ev):
        p = e["p_corrected"]
        at_floor = math.isfinite(e.get("p_floor", math.nan)) and e["p_value"] <= e["p_floor"] * (1 + 1e-9)
        text = (
            "not tested"
            if not math.isfinite(p)
            else (f"p<={p:.2g}" if at_floor else f"p={p:.2g}") + (" *" if e["significant"] else "")
        )
        y = np.nanmax([contrast[i], 2.0 * sd[i], 0.0])
        ax.annotate(text, (i, y), textcoords="offset points", xytext=(0, 5), ha="center", fontsize=7)
        if e["preictal_min"] == opp_min:
            ax.axvspan(i - 0.4, i + 0.4, color="C2", alpha=0.15, lw=0, label="OPP", gid="opp")
    bottom = float(np.nanmin(np.r_[contrast, -2.0 * sd, -0.05]))
    ax.set_ylim(bottom - 0.1 * (top - bottom), top + 0.25 * (top - bottom))
    ax.set_ylabel("contrast: band - before (corrected p)", fontsize=8)
    ax.set_title("the selector's test", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")


def _paper_panel(ax, result) -> None:
    pooled = sorted(result.pooled, key=lambda r: r["preictal_min"])
    if not pooled:
        say(ax, "no pooled metrics")
        return
    ciopr = np.array([r.get("ciopr_mean", math.nan) for r in pooled], dtype=float)
    if np.isfinite(ciopr).any():
        values, what = ciopr, "mean CIOPR over eligible seizures"
    else:
        values, what = np.array([r.get("f1", math.nan) for r in pooled], dtype=float), "pooled F1 (no CIOPR)"
    x = np.arange(len(pooled))
    colors = ["C1" if r["preictal_min"] == result.paper_opp_min else "0.75" for r in pooled]
    ax.bar(x, np.nan_to_num(values), color=colors, width=0.6)
    for i, v in enumerate(values):
        label = "n/a" if not math.isfinite(v) else f"{v:.2f}"
        ax.annotate(label, (i, 0.0 if not math.isfinite(v) else v), textcoords="offset points", xytext=(0, 3),
                    ha="center", fontsize=7)  # fmt: skip
    ax.set_xticks(x, [str(r["preictal_min"]) for r in pooled])
    ax.set_ylim(0.0, 1.15)
    ax.set_xlabel("preictal length, min", fontsize=8)
    ax.set_ylabel(what, fontsize=8)
    ax.set_title(f"paper CIOPR: {_fmt_opp(result.paper_opp_min, result.paper_opp_criterion)}", fontsize=9)


def opp_evidence_figure(result, *, synthetic: bool = False) -> Figure | None:
    """How the OPP was chosen: the selector's evidence per length beside paper CIOPR.

    Left: per length, the mean output of the held-out seizures' models in its band and in as much recorded
    EEG just before it. Middle: their difference (the contrast the selector tests) against the spread of the
    same models' contrasts on reference EEG (±2 SD), with the corrected p-value (``*``: significant) and the OPP
    shaded. Right: paper CIOPR (mean over eligible seizures; pooled F1 when no seizure is eligible) with the
    paper's OPP highlighted. The title says which criterion chose what.

    Parameters
    ----------
    result : SweepResult
        The aggregated sweep (``opp_evidence``, ``pooled`` and both OPPs).
    synthetic : bool
        Say "synthetic data" in the title.

    Returns
    -------
    matplotlib.figure.Figure or None
        ``None`` when the result has neither evidence nor pooled metrics.
    """
    if not result.opp_evidence and not result.pooled:
        return None
    fig = new_figure(13.0, 4.2)
    levels, contrast, paper = fig.subplots(1, 3)
    ev = sorted(result.opp_evidence, key=lambda e: e["preictal_min"])
    if ev:
        _levels_panel(levels, ev)
        _contrast_panel(contrast, ev, result.opp_min)
    else:
        say(levels, "no selector evidence")
        say(contrast, "no length was tested")
    _paper_panel(paper, result)
    for ax in (levels, contrast, paper):
        ax.tick_params(labelsize=7)
    interval = getattr(result, "opp_interval_min", None)
    where = ""
    if interval is not None:
        lo, hi = interval
        where = f", change begins {lo:g}-{hi:g} min before onset" if hi is not None else f", change begins > {lo:g} min"
    title = (f"{result.case}: OPP: {_fmt_opp(result.opp_min, result.opp_criterion)}{where}; "
             f"paper CIOPR: {_fmt_opp(result.paper_opp_min, result.paper_opp_criterion)}")  # fmt: skip
    set_title(fig, title, synthetic=synthetic)
    return fig


def plot_opp_evidence(result, path: str | Path, *, synthetic: bool = False) -> Path | None:
    """Write :func:`opp_evidence_figure` to ``path`` (``None`` when there is nothing to draw)."""
    return _save_or_none(opp_evidence_figure(result, synthetic=synthetic), path)


# --------------------------------------------------------------------------------------------------- roc.png
def roc_figure(result, *, synthetic: bool = False) -> Figure | None:
    """ROC curve per preictal length of the test windows of all its folds pooled (every repeat).

    The AUC in the legend is the pooled table's (the same windows). A length whose pooled windows hold one
    class only has no curve and says so in the legend.

    Parameters
    ----------
    result : SweepResult
        The aggregated sweep (``result.folds`` hold the outputs).
    synthetic : bool
        Say "synthetic data" in the title.

    Returns
    -------
    matplotlib.figure.Figure or None
        ``None`` when no fold has test windows.
    """
    from sklearn.metrics import roc_curve

    by_k: dict[int, list] = {}
    for f in result.folds:
        if f.ok and f.y_true.size:
            by_k.setdefault(f.preictal_min, []).append(f)
    if not by_k:
        return None
    auc = {r["preictal_min"]: r.get("auc", math.nan) for r in result.pooled}
    fig = new_figure(5.0, 4.6)
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], color="0.6", ls=":", lw=1, label="chance")
    for i, k in enumerate(sorted(by_k, reverse=True)):
        yt = np.concatenate([f.y_true for f in by_k[k]]).astype(int)
        ys = np.concatenate([f.y_score for f in by_k[k]]).astype(float)
        if np.unique(yt).size < 2:
            ax.plot([], [], color=f"C{i}", label=f"{k} min (one class only: no ROC)")
            continue
        fpr, tpr, _ = roc_curve(yt, ys)
        a = auc.get(k, math.nan)
        ax.plot(
            fpr,
            tpr,
            color=f"C{i}",
            lw=1.4,
            label=f"{k} min (AUC {a:.3f})" if math.isfinite(a) else f"{k} min",
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_aspect("equal")
    ax.set_xlabel("false positive rate (interictal windows)", fontsize=8)
    ax.set_ylabel("true positive rate (preictal windows)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=8, loc="lower right", title="preictal length", title_fontsize=8)
    set_title(fig, f"{result.case}: ROC of the pooled test windows", synthetic=synthetic)
    return fig


def plot_roc(result, path: str | Path, *, synthetic: bool = False) -> Path | None:
    """Write :func:`roc_figure` to ``path`` (``None`` when no fold has test windows)."""
    return _save_or_none(roc_figure(result, synthetic=synthetic), path)
