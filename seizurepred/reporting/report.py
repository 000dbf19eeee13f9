"""Write a sweep's results: tidy CSV/JSON tables, a Markdown report and a figure of the continuous outputs.

Only this module, the CLI, the I/O layer, the cache and checkpoint saving touch the filesystem.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

from seizurepred._atomic import atomic_write, atomic_write_json, atomic_write_text
from seizurepred.evaluation.tables import to_markdown
from seizurepred.reporting.tables import write_csv, write_json

logger = logging.getLogger(__name__)

_POOLED_COLS = (
    "preictal_min",
    "n_folds",
    "sensitivity",
    "specificity",
    "accuracy",
    "f1",
    "auc",
    "segment_far_per_h",
    "spc_min_mean",
    "ciopr_mean",
    "n_ciopr_seizures",
)
_EVENT_COLS = (
    "preictal_min",
    "repeat",
    "sop_min",
    "sph_min",
    "n_seizures",
    "n_predicted",
    "sensitivity",
    "n_false_alarms",
    "interictal_hours",
    "fpr_per_h",
    "time_in_warning",
    "mean_lead_time_min",
    "p_random_predictor",
    "p_surrogate",
)
_CIOPR_COLS = (
    "preictal_min",
    "seizure_id",
    "repeat",
    "infl_min",
    "tp_min",
    "nd_min",
    "spc_min",
    "spc_eff",
    "nd_eff",
    "eta",
    "ciopc",
    "ciopr",
    "rho",
)


def _pct(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of the pooled rows with rates in percent, as the paper's Table 1."""
    out = []
    for r in rows:
        r = dict(r)
        for m in ("sensitivity", "specificity", "accuracy", "f1", "auc"):
            if isinstance(r.get(m), float) and math.isfinite(r[m]):
                r[m] = 100.0 * r[m]
        out.append(r)
    return out


def render_report(result, *, data_note: str = "") -> str:
    """Markdown report of a sweep: OPP, pooled segment metrics, CIOPR, event-level metrics, what was skipped.

    Parameters
    ----------
    result : SweepResult
        The aggregated sweep.
    data_note : str
        A sentence about the data (e.g. that it is synthetic).
    """
    cfg = result.config
    lines = [f"# Preictal-period sweep: {result.case}", ""]
    if data_note:
        lines += [data_note, ""]
    opp = "none" if result.opp_min is None else f"{result.opp_min} min"
    lines += [
        f"**Optimal preictal period (OPP): {opp}** (criterion: {result.opp_criterion}). "
        f"Protocol: `{cfg.protocol}`; model `{cfg.model}`; repeats {cfg.repeats}; config hash "
        f"`{cfg.hash()}`.",
        "",
    ]
    lines += [
        "## Segment metrics pooled over folds (percent; FAR is a *segment* rate per hour)",
        "",
        to_markdown(_pct(result.pooled), _POOLED_COLS),
        "",
    ]
    if result.ciopr:
        lines += [
            "## CIOPR per seizure (minutes before onset)",
            "",
            to_markdown(result.ciopr, _CIOPR_COLS),
            "",
        ]
    else:
        lines += [
            "## CIOPR",
            "",
            "No held-out seizure had > 2.5 h of uninterrupted EEG before onset: no CIOPR.",
            "",
        ]
    if result.opp_variants:
        lines += [
            "## OPP under CIOPR's ambiguous choices",
            "",
            "METHOD.md leaves two choices open; an OPP that changes with them rests on a reading of the paper, "
            "not on the data.",
            "",
            to_markdown(
                [{**v, "used": "yes" if v["used"] else ""} for v in result.opp_variants],
                ("output", "spc_mode", "opp_min", "criterion", "used"),
            ),
            "",
        ]
    if result.events:
        a = cfg.alarms
        lines += [
            f"## Event level (SOP {a.sop_min:g} min, SPH {a.sph_min:g} min, {a.mode}, {a.n_windows} outputs)",
            "",
            "Timelines: each held-out seizure's pre-onset record (up to 10 h) under its fold's model.",
            "",
            to_markdown(result.events, _EVENT_COLS, float_format="{:.3g}"),
            "",
        ]
    if result.skipped:
        lines += (
            ["## Skipped", ""] + [f"- {s['preictal_min']} min: {s['reason']}" for s in result.skipped] + [""]
        )
    return "\n".join(lines)


def plot_continuous(result, path: str | Path, *, max_seizures: int = 4) -> Path | None:
    """PNG of each held-out seizure's 8-min block-averaged output per preictal length (first repeat).

    Returns the path, or ``None`` when no fold has a continuous output.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folds = [f for f in result.folds if f.continuous is not None and f.repeat == 0]
    seizures = sorted({f.seizure_id for f in folds})[:max_seizures]
    if not seizures:
        return None
    fig, axes = plt.subplots(len(seizures), 1, figsize=(8, 2.4 * len(seizures)), sharex=True, squeeze=False)
    for ax, sid in zip(axes[:, 0], seizures):
        for f in sorted((f for f in folds if f.seizure_id == sid), key=lambda f: -f.preictal_min):
            t, p = f.continuous.times_min_before_onset, f.continuous.probs
            n = max(1, int(round(8 * 60 / f.continuous.window_s)))
            m = (len(p) // n) * n
            tb = t[len(p) - m :].reshape(-1, n).mean(axis=1)
            pb = (p[len(p) - m :] >= 0.5).reshape(-1, n).mean(axis=1)
            ax.plot(-tb, pb, marker="o", ms=3, label=f"{f.preictal_min} min")
        ax.set_ylim(-0.05, 1.05)
        ax.set_ylabel(f"seizure {sid}")
        ax.axvline(0, color="k", lw=0.8)
    axes[0, 0].legend(title="preictal", fontsize=8, ncol=4)
    axes[-1, 0].set_xlabel("minutes relative to onset (8-min means of rounded outputs)")
    fig.suptitle(f"{result.case}: continuous output before onset")
    fig.tight_layout()
    path = atomic_write(path, lambda fh: fig.savefig(fh, format="png", dpi=110))
    plt.close(fig)
    return path


def write_sweep(result, out_dir: str | Path, *, data_note: str = "") -> dict[str, Path]:
    """Write every table (CSV + JSON), ``timings.csv``, ``summary.json``, ``report.md`` and the figure.

    Every table is byte-reproducible: the same folds give the same bytes (wall-clock times go to
    ``timings.csv`` only).

    Returns
    -------
    dict of str to Path
        What was written.
    """
    from seizurepred.sweep.aggregate import timing_rows

    out = Path(out_dir)
    written: dict[str, Path] = {}
    for name in ("segments", "pooled", "ciopr", "events", "events_by_seizure"):
        rows = getattr(result, name)
        written[f"{name}.csv"] = write_csv(rows, out / f"{name}.csv")
        written[f"{name}.json"] = write_json(rows, out / f"{name}.json")
    written["timings.csv"] = write_csv(timing_rows(result.folds), out / "timings.csv")
    written["summary.json"] = atomic_write_json(out / "summary.json", result.summary())
    written["report.md"] = atomic_write_text(out / "report.md", render_report(result, data_note=data_note))
    fig = plot_continuous(result, out / "continuous.png")
    if fig is not None:
        written["continuous.png"] = fig
    return written
