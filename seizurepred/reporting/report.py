"""Write a sweep's results: tidy CSV/JSON tables, a Markdown report and the figures.

Only this module, the CLI, the I/O layer, the cache and checkpoint saving touch the filesystem.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

from seizurepred._atomic import atomic_write_json, atomic_write_text
from seizurepred.evaluation.opp import CORRECTIONS
from seizurepred.evaluation.tables import to_markdown
from seizurepred.reporting.figures import plot_continuous, plot_opp_evidence, plot_roc
from seizurepred.reporting.figures_forecast import plot_reliability, plot_sen_tiw
from seizurepred.reporting.figures_timeline import plot_alarms
from seizurepred.reporting.tables import write_csv, write_json

DATA_FILE = "data.json"
"""The run's data note and synthetic flag (``write_sweep``), read back by ``seizurepred report``."""

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
    "train_overlap_h",
)
_FORECAST_COLS = (
    "preictal_min",
    "horizon_min",
    "n_folds",
    "n_forecasts",
    "n_seizures",
    "brier",
    "reliability",
    "resolution",
    "uncertainty",
    "reference_rate",
    "bss",
    "p_skill",
    "auc_sen_tiw",
    "time_in_warning",
    "sensitivity",
    "improvement_over_chance",
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


def _p_text(value: float, row: dict[str, Any]) -> str:
    """A p-value of an evidence row: ``<= v`` when the length's own p is at its floor (a bound, not an estimate)."""
    if not isinstance(value, float) or not math.isfinite(value):
        return "not tested"
    floor, raw = row.get("p_floor", math.nan), row.get("p_value", math.nan)
    at_floor = isinstance(floor, float) and math.isfinite(floor) and math.isfinite(raw) and raw <= floor * (1 + 1e-9)
    return f"<= {value:.2g}" if at_floor else f"{value:.2g}"


def _verdict_word(e: dict[str, Any]) -> str:
    if e["significant"]:
        return "change"
    if not e.get("testable", math.isfinite(e.get("p_value", math.nan))):
        return "not tested"
    return "no change"


def _evidence_rows(result) -> list[dict[str, Any]]:
    """The selection table: the selector's evidence per length beside paper CIOPR, F1, AUC and the alarms."""
    pooled = {r["preictal_min"]: r for r in result.pooled}
    events: dict[int, list[dict]] = {}
    for r in result.events:
        events.setdefault(r["preictal_min"], []).append(r)
    rows = []
    for e in result.opp_evidence:
        k = e["preictal_min"]
        p, ev = pooled.get(k, {}), events.get(k, [])
        n_sz = sum(r["n_seizures"] for r in ev)
        lo, hi = e.get("contrast_lo", math.nan), e.get("contrast_hi", math.nan)
        rows.append(
            {
                "preictal_min": k,
                "band_min": f"{e['band_lo_min']:g}-{e['band_hi_min']:g}",
                "n_seizures": e["n_seizures"],
                "support": f"{e.get('n_support', 0)}/{e['n_seizures']}",
                "band_output": e["band_mean"],
                "before_output": e["before_mean"],
                "contrast": e["contrast"],
                "contrast_95ci": f"{lo:.3g} to {hi:.3g}" if math.isfinite(lo) else "n/a",
                "reference_sd": e["reference_sd"],
                "p": _p_text(e["p_value"], e),
                "p_corrected": _p_text(e["p_corrected"], e),
                "verdict": _verdict_word(e),
                "paper_ciopr": p.get("ciopr_mean", math.nan),
                "f1": 100.0 * p["f1"] if math.isfinite(p.get("f1", math.nan)) else math.nan,
                "auc": 100.0 * p["auc"] if math.isfinite(p.get("auc", math.nan)) else math.nan,
                "alarms_predicted": f"{sum(r['n_predicted'] for r in ev)}/{n_sz}" if ev else "n/a",
                "fpr_per_h": ev[0]["fpr_per_h"] if len(ev) == 1 else math.nan,
            }
        )
    return rows


def _interval_sentence(result) -> str:
    """What the evidence says about where the change begins, and the guarantee as it truly is."""
    ev = {e["preictal_min"]: e for e in result.opp_evidence}
    opp, (lo, hi) = result.opp_min, result.opp_interval_min
    e = ev[opp]
    text = (f"A change in {e['band_lo_min']:g}-{e['band_hi_min']:g} min before onset (adjusted p "
            f"{_p_text(e['p_corrected'], e)}, {e.get('n_support', 0)} of {e['n_seizures']} seizures above the "
            f"reference's {100 * result.config.selector.support_quantile:g}th percentile)")  # fmt: skip
    longer = sorted(k for k in ev if k > opp)
    if longer:
        n = ev[longer[0]]
        seen = "not tested" if not n.get("testable", True) else f"adjusted p {_p_text(n['p_corrected'], n)}"
        text += f"; none seen in {n['band_lo_min']:g}-{n['band_hi_min']:g} min ({seen})"
    span = f"between {lo:g} and {hi:g} min" if hi is not None else f"more than {lo:g} min (nothing longer was swept)"
    return (
        f"{text}. **The change begins {span} before onset** (`opp_interval_min`). The test names a length whose "
        f"band lies wholly closer to onset than the true start with probability at most alpha; it can name one "
        f"swept length short of the truth when the change's first minutes are weak or it begins between two "
        f"swept lengths, which the interval allows for."
    )


def _headline(result) -> list[str]:
    cfg = result.config
    n = len(result.opp_evidence)
    how = f"alpha {cfg.selector.alpha:g} over {n} lengths, {CORRECTIONS[cfg.selector.correction]}"
    reason = result.opp_verdict_reason
    tested = any(e.get("testable", math.isfinite(e.get("p_value", math.nan))) for e in result.opp_evidence)
    if result.opp_min is None and result.opp_verdict != "no_change" and not tested:
        head = ("**Optimal preictal period (OPP): not testable** (`opp_verdict = \"not_testable\"`): no length could "
                "be tested against reference EEG, so this is no evidence for or against a preictal change"
                + (f" ({reason})." if reason else "."))  # fmt: skip
    elif result.opp_min is None:
        head = (f"**Optimal preictal period (OPP): no preictal period found** (`opp_verdict = \"no_change\"`: no "
                f"tested length's band beats reference EEG at {how}; {reason}).")  # fmt: skip
    else:
        head = (f"**Optimal preictal period (OPP): {result.opp_min} min** (`opp_verdict = \"opp\"`; criterion: "
                f"{result.opp_criterion}, {how}).")  # fmt: skip
    paper = "none" if result.paper_opp_min is None else f"{result.paper_opp_min} min"
    lines = [head, ""]
    if result.opp_min is not None and result.opp_interval_min is not None:
        lines += [_interval_sentence(result), ""]
        if reason:
            lines += [f"Lengths {reason}.", ""]
    lines += [f"Paper CIOPR (the paper's criterion, reported beside it): {paper} ({result.paper_opp_criterion}).", ""]
    if result.opp_explanation:
        lines += [result.opp_explanation, ""]
    lines += [
        f"Protocol: `{cfg.protocol}`; model `{cfg.model}`; repeats {cfg.repeats}; config hash `{cfg.hash()}`.",
        f"Bands are minutes before onset; the models were trained with label SPH {cfg.label.sph_min:g} min (bands "
        f"start there); alarms are scored with SPH {cfg.alarms.sph_min:g} min.",
        "",
    ]
    return lines


_EVIDENCE_TEXT = (
    "Each length's *band* is the start of its preictal period (from the next shorter length to it, minutes before "
    "onset), where a gradual preictal change is weakest and where lengths differ. For each held-out seizure, the "
    "*contrast* is that fold's model's mean output in the band minus its mean output in as much recorded EEG "
    "just before it (gaps between files skipped, and never within an earlier seizure's postictal exclusion); it is "
    "ranked among the same model's contrasts between adjacent stretches of reference EEG (EEG of the patient that "
    "no model trained or tested on: unlabelled EEG and interictal blocks held out from every fold). Every fold "
    "ranks among the same reference EEG, so seizures are combined with Fisher's statistic under the joint null of "
    "a shared reference; a length with too few seizures, or whose smallest attainable p exceeds alpha, is not "
    "tested, and a p printed as <= v is at that floor. `support` counts the seizures whose contrast exceeds the "
    "reference's 90th percentile; the contrast's 95 % interval uses the reference contrasts' spread. The lengths are tested in order, shortest first: a length is significant when its band and "
    "every shorter one pass (a change that begins L minutes before onset leaves the bands beyond L unchanged, "
    "so the null bands are the longest ones). Each step spends a share of alpha (first_weight, 0.9) on its own band and the rest on "
    "the longer ones, so a length's adjusted p can be below its own p when a longer band's evidence is strong (a change that "
    "begins earlier covers the shorter band too); the selector option correction = \"holm\" uses Holm's "
    "step-down procedure instead. The OPP is the "
    "longest length whose band is significant. Paper CIOPR, F1 and AUC are the paper's figures; on patients with a known answer "
    "F1 and AUC favour short lengths and CIOPR long ones (benchmarks/bench_opp.py)."
)


def _forecast_section(result) -> list[str]:
    """The forecasts' section: how they are made and scored, what was not calibrated, the pooled rows."""
    o, cfg = result.config.forecast, result.config
    pooled = [r for r in result.forecast if r["scope"] == "pooled"]
    if not pooled:
        return []
    folds = [r for r in result.forecast if r["scope"] == "fold" and r["horizon_min"] == o.horizons_min[0]]
    horizons = ", ".join(f"{h:g}" for h in o.horizons_min)
    if o.calibration == "none":
        how = "the raw output of each fold's model (`calibration = \"none\"`)"
    else:
        at = ("moved to the training data's preictal share (`prior`)" if o.prior == "training"
              else "at the validation windows' preictal share")  # fmt: skip
        how = (f"each fold's output calibrated ({o.calibration}) on that fold's validation windows, never on the "
               f"held-out seizure, {at}")  # fmt: skip
    lines = [
        f"## Seizure-likelihood forecasts (horizons {horizons} min, SPH {cfg.forecast_sph_min:g} min)",
        "",
        f"From {how}: a forecast of horizon H is the mean probability over the H minutes before it, the likelihood "
        f"of an onset in the H minutes that start SPH later (grid anchored on each onset, gaps not forecast). Pooled "
        f"over each length's folds: Brier score with its reliability (0 is perfect), resolution and uncertainty; "
        f"skill `bss` against the training data's seizure rate per horizon (`reference_rate`; > 0 beats that "
        f"constant forecast) and `p_skill`, its rank among {o.n_surrogates} surrogates with each onset moved to a "
        f"random forecast period of its record (small: the forecasts know when seizures come); area under "
        f"sensitivity vs time in warning (`auc_sen_tiw`, chance 0.5); and at time "
        f"in warning <= {o.tiw:g} the sensitivity, its improvement over chance and p-values against a random "
        f"predictor and {o.n_surrogates} seizure-time surrogates. Per-fold rows: `forecast.csv`; figures "
        f"`reliability.png` and `sen_tiw.png` show the first horizon ({o.horizons_min[0]:g} min).",
        "",
    ]
    raw = [r for r in folds if r["calibration"].startswith("uncalibrated")]
    if raw:
        why = "; ".join(sorted({r["calibration"] for r in raw}))
        lines += [f"**Not calibrated:** {len(raw)} of {len(folds)} folds give the raw output ({why}): their "
                  f"likelihoods are not probabilities, and the skill and reliability read accordingly.", ""]  # fmt: skip
    lines += [to_markdown(pooled, _FORECAST_COLS, float_format="{:.3g}"), ""]
    return lines


def render_report(result, *, data_note: str = "") -> str:
    """Markdown report of a sweep: the OPP and how it was chosen, segment metrics, CIOPR, alarms, forecasts, what
    failed.

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
    lines += _headline(result)
    if result.opp_evidence:
        lines += ["## How the OPP was chosen", "", _EVIDENCE_TEXT, "", to_markdown(_evidence_rows(result), float_format="{:.3g}"), ""]
    lines += [
        "## Segment metrics pooled over folds (percent; FAR is a *segment* rate per hour)",
        "",
        to_markdown(_pct(result.pooled), _POOLED_COLS),
        "",
    ]
    if result.ciopr:
        lines += ["## Paper CIOPR per seizure (minutes before onset)", "", to_markdown(result.ciopr, _CIOPR_COLS), ""]
    else:
        lines += ["## Paper CIOPR", "", "No held-out seizure had > 2.5 h of uninterrupted EEG before onset: no CIOPR.", ""]
    if result.opp_variants:
        lines += [
            "## Paper-CIOPR OPP under its open readings",
            "",
            "docs/method.md leaves these choices open [R]; an OPP that changes with them rests on a reading of the "
            "paper, not on the data.",
            "",
            to_markdown(
                [{**v, "used": "yes" if v["used"] else ""} for v in result.opp_variants],
                ("output", "spc_mode", "spc_anchor", "reconstruction", "opp_min", "criterion", "used"),
            ),
            "",
        ]
    if result.events:
        a = cfg.alarms
        lines += [
            f"## Event level (SOP {a.sop_min:g} min, SPH {a.sph_min:g} min, {a.mode}, {a.n_windows} outputs)",
            "",
            "Timelines: every recorded stretch within 10 h before each held-out seizure, under its fold's model "
            "(gaps excluded from time; the alarm state is reset after a gap). `train_overlap_h`: hours of these "
            "records covered by training or validation windows (their figures are optimistic there).",
            "",
            to_markdown(result.events, _EVENT_COLS, float_format="{:.3g}"),
            "",
        ]
    lines += _forecast_section(result)
    if result.failed:
        lines += ["## Failed folds (failed twice; left out of every pooled figure)", ""]
        lines += [f"- {f['preictal_min']} min, seizure {f['seizure_id']}, repeat {f['repeat']}: {f['error']}" for f in result.failed]
        lines += [""]
    if result.skipped:
        lines += ["## Skipped", ""] + [f"- {s['preictal_min']} min: {s['reason']}" for s in result.skipped] + [""]
    return "\n".join(lines)


def write_sweep(
    result, out_dir: str | Path, *, data_note: str = "", manifest=None, synthetic: bool = False
) -> dict[str, Path]:
    """Write every table (CSV + JSON), ``timings.csv``, ``summary.json``, ``data.json``, ``report.md``, figures.

    Every table is byte-reproducible: the same folds give the same bytes (wall-clock times go to
    ``timings.csv`` only). The figures (:mod:`seizurepred.reporting.figures`) are ``continuous.png`` (CIOPR's
    input and fit per held-out seizure and length), ``opp_evidence.png`` (how the OPP was chosen),
    ``roc.png``, ``alarms.png`` (the alarm timeline on the patient clock; needs ``manifest``), and, from the
    forecasts of the first horizon (:mod:`seizurepred.reporting.figures_forecast`), ``reliability.png`` (one
    panel per length, forecasts per bin) and ``sen_tiw.png``; a figure whose inputs are absent is not written.

    Parameters
    ----------
    result : SweepResult
        The aggregated sweep.
    out_dir : str or Path
        The run folder.
    data_note : str
        A sentence about the data, in the report and ``data.json`` (not in ``summary.json``: it names a
        folder of this machine, and the tables are compared byte for byte across machines).
    manifest : Manifest or None
        The patient the sweep ran on (``PatientData.manifest``, ``LoadedRun.manifest``); ``None`` skips the
        figures that need the patient clock.
    synthetic : bool
        The data is synthetic: every figure says so, and ``data.json`` records it.

    Returns
    -------
    dict of str to Path
        What was written.
    """
    from seizurepred.sweep.aggregate import timing_rows
    from seizurepred.sweep.forecast_table import forecast_curves

    out = Path(out_dir)
    written: dict[str, Path] = {}
    for name in ("segments", "pooled", "opp_evidence", "ciopr", "events", "events_by_seizure", "forecast"):
        rows = getattr(result, name)
        written[f"{name}.csv"] = write_csv(rows, out / f"{name}.csv")
        written[f"{name}.json"] = write_json(rows, out / f"{name}.json")
    written["timings.csv"] = write_csv(timing_rows(result.folds), out / "timings.csv")
    written["summary.json"] = atomic_write_json(out / "summary.json", result.summary())
    # About the data, not the result (the note names this machine's folder): kept out of the tables.
    written[DATA_FILE] = atomic_write_json(out / DATA_FILE, {"data_note": data_note, "synthetic": bool(synthetic)})
    written["report.md"] = atomic_write_text(out / "report.md", render_report(result, data_note=data_note))
    figures = {
        "continuous.png": lambda p: plot_continuous(result, p, synthetic=synthetic),
        "opp_evidence.png": lambda p: plot_opp_evidence(result, p, synthetic=synthetic),
        "roc.png": lambda p: plot_roc(result, p, synthetic=synthetic),
        "alarms.png": lambda p: plot_alarms(result, manifest, p, synthetic=synthetic),
    }
    curves = forecast_curves(result)
    if curves is not None:
        h = f"H = {curves.horizon_min:g} min"
        figures["reliability.png"] = lambda p: plot_reliability(
            curves.reliability, p, synthetic=synthetic, title=f"Reliability of the seizure-likelihood forecasts, {h}"
        )
        figures["sen_tiw.png"] = lambda p: plot_sen_tiw(
            curves.sen_tiw, p, synthetic=synthetic, title=f"Sen vs time in warning, {h}"
        )
    for name, plot in figures.items():
        path = plot(out / name)
        if path is not None:
            written[name] = path
    return written
