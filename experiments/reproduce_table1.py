"""Reproduce the paper's Table 1 (per-patient figures at the optimal preictal period) with seizurepred's own sweep.

For each of the paper's 19 CHB-MIT cases whose EDF files are under ``--data-root``, run the preictal-length sweep
of ``--config`` (default ``experiments/paper.toml``: 60/45/30/15 min, leave-one-seizure-out, 4 repeats, the
CNN-Transformer). Every case is prepared first (manifest, eligibility, run folder, signal cache built once per
patient); then the folds of all cases run as **one pool** (:func:`seizurepred.reporting.run_pool`) on the chosen
executor (``--executor serial``: this process; ``--executor ray``: a Ray cluster, every fold a task), and each
case's tables are written with :func:`seizurepred.reporting.write_sweep` to ``<out>/<case>/``. Finally
``<out>/table1.md``, ``<out>/table1.csv`` (one row per case) and ``<out>/table1_summary.csv`` (mean and population
SD per column, over the cases where both sides have a value) compare ours with the paper's values, twice: ours
at our OPP (chosen by the paper's criterion: highest mean CIOPR, else highest F1) and ours at the paper's OPP
(the length the paper chose for the case). Sweeps resume: finished folds in ``<out>/<case>/folds/`` are not
trained again.

Without the EDF files nothing is run and nothing is made up: the script says "not run: ..." and exits 0
(2 with ``--require-data``). ``--dry-run`` needs no signals: from the committed manifests it lists, per case, the
usable seizures and folds per preictal length and the number of models the config would train.

On a Ray cluster, ``--cache-dir`` and ``--out`` must be the same path on every node, on a file system they all read
and write (workers read the cache and write checkpoints); the EDF files are read by this process alone (see
:mod:`seizurepred.sweep.ray_executor`).

Exit codes: 0 done (or not run); 1 a case failed (listed under the table; the others are in it) or the pool
stopped on bad input (rerun after fixing it: finished folds are kept); 2 a bad config or option, or no data with
``--require-data``.

Usage::

    python experiments/reproduce_table1.py --dry-run
    python experiments/reproduce_table1.py --data-root /data/chbmit [--config experiments/paper.toml]
        [--cases chb01,chb02] [--out runs/table1] [--cache-dir DIR] [--require-data]
        [--executor ray [--address auto] [--gpus-per-fold 0.25] [--cpus-per-fold 4]]
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import math
import os
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seizurepred.errors import SeizurepredError
from seizurepred.io.manifest import Manifest, load_manifest
from seizurepred.io.montage import has_channels
from seizurepred.labels.segments import label_segments
from seizurepred.sweep import SweepConfig, load_sweep_config, plan_folds
from seizurepred.sweep.plan import fold_inputs

logger = logging.getLogger("reproduce_table1")

HERE = Path(__file__).resolve().parent
DEFAULT_CONFIG = HERE / "paper.toml"
DATA_ENV = "SEIZUREPRED_CHBMIT_ROOT"
PAPER_MIN_PER_MODEL_A100 = 8.1  # docs/method.md section 3

#: The paper's Table 1 (Koutsouvelis et al. 2024, CC BY 4.0; docs/paper_table1.csv). Rates in percent, ``far``
#: = segment false-alarm rate per hour ((1 - spec) x 720), ``spc`` = "prediction time" in minutes (blank: the OPP
#: was chosen by F1 because no seizure qualified for CIOPR), ``opp`` in minutes.
PAPER_TABLE1_CSV = """case,sens,spec,far,acc,f1,auc,spc,opp,criterion
chb01,100.0,99.85,1.06,99.93,99.93,99.99,61.8,45,CIOPR
chb02,99.76,96.32,26.5,98.04,98.08,99.86,66.7,60,CIOPR
chb03,99.87,97.56,17.6,98.71,98.73,99.93,,30,F1
chb04,99.84,99.19,5.83,99.52,99.40,99.99,175.5,45,CIOPR
chb05,99.62,96.66,24.1,98.14,98.16,99.87,54.9,60,CIOPR
chb06,94.76,73.54,190,84.15,85.71,92.90,52.9,60,CIOPR
chb07,99.54,97.74,16.2,98.64,98.66,99.72,61.5,60,CIOPR
chb09,99.72,98.85,8.30,99.28,99.29,99.98,93.5,60,CIOPR
chb10,98.40,92.84,51.6,95.62,95.76,99.54,68.8,60,CIOPR
chb11,99.86,99.81,1.37,99.83,99.83,99.99,,45,F1
chb14,97.85,86.81,95.0,92.33,92.73,97.68,52.1,60,CIOPR
chb16,99.64,97.00,21.6,98.32,98.33,99.82,62.5,60,CIOPR
chb17,99.45,97.57,17.5,98.51,98.51,99.82,,60,F1
chb18,99.59,96.40,25.9,98.00,98.02,99.43,56.3,60,CIOPR
chb19,100.0,99.64,2.60,99.82,99.82,100.0,,30,F1
chb20,100.0,98.84,8.37,99.39,99.42,99.99,,15,F1
chb21,99.74,97.03,21.4,98.37,98.41,99.82,139.6,45,CIOPR
chb22,99.19,86.38,98.1,92.79,93.23,99.38,50.0,45,CIOPR
chb23,100.0,99.36,4.60,99.68,99.68,99.99,,60,F1
"""

#: Metric columns of Table 1 (ours and the paper's), with the pooled-row key they come from and the decimals shown.
METRICS: tuple[tuple[str, str, str, int], ...] = (
    ("sens", "sensitivity", "sens %", 2),
    ("spec", "specificity", "spec %", 2),
    ("acc", "accuracy", "acc %", 2),
    ("f1", "f1", "F1 %", 2),
    ("auc", "auc", "AUC %", 2),
    ("far", "segment_far_per_h", "FAR /h", 2),
    ("spc", "spc_min_mean", "SPC min", 1),
)
_PERCENT = ("sensitivity", "specificity", "accuracy", "f1", "auc")


def paper_table() -> dict[str, dict[str, Any]]:
    """The paper's Table 1 as ``{case: row}``; numbers as float (NaN when blank), ``opp`` as int."""
    rows = {}
    for r in csv.DictReader(io.StringIO(PAPER_TABLE1_CSV)):
        row: dict[str, Any] = {
            k: (float(v) if v else math.nan) for k, v in r.items() if k not in ("case", "criterion")
        }
        row["opp"] = int(row["opp"])
        row["criterion"] = r["criterion"]
        rows[r["case"]] = row
    return rows


PAPER_CASES: tuple[str, ...] = tuple(paper_table())


# ---------------------------------------------------------------------------------------------- data discovery
def present_cases(data_root: Path | None, cases: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Split ``cases`` into those with a folder holding at least one ``.edf`` file under ``data_root`` and the rest."""
    if data_root is None:
        return [], list(cases)
    present = [c for c in cases if (data_root / c).is_dir() and any((data_root / c).glob("*.edf"))]
    return present, [c for c in cases if c not in present]


def not_run_message(data_root: Path | None, cases: tuple[str, ...]) -> str:
    """The plain statement printed when no EDF file is found (nothing is fabricated)."""
    where = (
        f"no --data-root given and ${DATA_ENV} is not set"
        if data_root is None
        else f"{data_root} for folders {', '.join(cases)} holding .edf files"
    )
    return f"not run: the real CHB-MIT EDF files are not present (looked in {where})"


# ---------------------------------------------------------------------------------------------- preparing
def reasons_once(skipped: Iterable[dict[str, Any]]) -> str:
    """Each distinct reason once, after the lengths it applies to: ``"60/45 min: not eligible: ..."``."""
    by_reason: dict[str, list[str]] = {}
    for s in skipped:
        by_reason.setdefault(str(s["reason"]), []).append(str(s["preictal_min"]))
    return (
        "; ".join(f"{'/'.join(ks)} min: {reason}" for reason, ks in by_reason.items()) or "no length to sweep"
    )


def ineligible_reason(manifest: Manifest, config: SweepConfig) -> str | None:
    """``None`` when some swept length is eligible under the config's labelling, else why none is (labels only)."""
    skipped = []
    for k in config.preictal_mins:
        segments = label_segments(manifest, config=config.label_for(k))
        if segments.eligible:
            return None
        skipped.append({"preictal_min": k, "reason": segments.reason})
    return reasons_once(skipped)


@dataclass
class Prepared:
    """The cases ready to sweep, and those left out: ``no_fold`` (case -> why) and ``failed`` (case -> error)."""

    patients: list[Any]
    no_fold: dict[str, str]
    failed: dict[str, str]


def prepare_cases(
    cases: list[str], *, data_root: Path, cache_dir: Path, config: SweepConfig, out_dir: Path
) -> Prepared:
    """Prepare every case before any fold is submitted: eligibility, run folder, signal cache (once per patient).

    A case with no eligible length is not cached; a run folder made with another config is refused here (that
    case fails, the others go on), not in the middle of the pool.
    """
    from seizurepred.cache.patient import prepare_for_sweep
    from seizurepred.io.summary import load_patient
    from seizurepred.reporting.run_store import RunStore

    out = Prepared([], {}, {})
    for case in cases:
        try:
            manifest = load_patient(data_root, case)
            reason = ineligible_reason(manifest, config)
            if reason is not None:
                out.no_fold[case] = reason
                continue
            with RunStore(out_dir / case).lock() as store:
                store.check_config(config, case=case, resume=True)
            logger.info("%s: preparing the signal cache", case)
            patient = prepare_for_sweep(
                case, config, data_root=data_root, cache_dir=cache_dir, manifest=manifest
            )
        except SeizurepredError as exc:
            logger.error("%s: %s", case, exc)
            out.failed[case] = str(exc)
            continue
        plan = plan_folds(patient, config=config)
        if plan.folds:
            out.patients.append(patient)
        else:
            out.no_fold[case] = reasons_once(plan.skipped)
    return out


# ---------------------------------------------------------------------------------------------- running
def _at(pooled_row: dict[str, Any] | None, suffix: str) -> dict[str, float]:
    """The metric columns (rates in percent, as the paper) of one pooled row, NaN without it."""
    row = {}
    for short, key, _, _ in METRICS:
        value = math.nan if pooled_row is None else float(pooled_row.get(key, math.nan))
        row[short + suffix] = 100.0 * value if key in _PERCENT else value
    return row


def case_row(result, *, n_files: int, n_files_total: int) -> dict[str, Any]:
    """One case's Table 1 row: ours at our OPP, ours at the paper's OPP, and the paper's values.

    Our OPP is the one the paper's criterion picks on our sweep (``paper_opp_min``: highest mean CIOPR, else
    highest pooled F1). Rates in percent; NaN where there is no value (e.g. the paper's OPP was not swept).
    """
    pooled = {r["preictal_min"]: r for r in result.pooled}
    paper = paper_table().get(result.case, {})
    row: dict[str, Any] = {
        "case": result.case,
        "files": f"{n_files}/{n_files_total}",
        "n_models": len(result.segments),
        "opp": result.paper_opp_min,
        "criterion": result.paper_opp_criterion,
        "paper_opp": paper.get("opp"),
        "paper_criterion": paper.get("criterion", ""),
    }
    row.update(_at(pooled.get(row["opp"]), ""))
    row.update(_at(pooled.get(row["paper_opp"]), "_at_paper_opp"))
    row.update({f"paper_{short}": paper.get(short, math.nan) for short, *_ in METRICS})
    return row


def sweep_cases(
    patients: list[Any], *, config: SweepConfig, out_dir: Path, executor, data_root: Path
) -> list[dict]:
    """Run the folds of every case as one pool, write each case's tables; return the Table 1 rows."""
    from seizurepred.reporting import run_pool, write_sweep

    out_dirs = {p.manifest.case: out_dir / p.manifest.case for p in patients}
    results = run_pool(patients, config=config, out_dirs=out_dirs, executor=executor, desc="table 1 folds")
    rows = []
    for patient in patients:
        case = patient.manifest.case
        n, total = len(patient.available), len(patient.manifest)
        note = f"Data: {data_root / case} ({n} of {total} EDF files of the case used)."
        write_sweep(results[case], out_dirs[case], data_note=note)
        rows.append(case_row(results[case], n_files=n, n_files_total=total))
    return rows


# ---------------------------------------------------------------------------------------------- the table
#: The two comparisons: (name, label, suffix of our columns).
COMPARISONS = (("our_opp", "ours at our OPP", ""), ("paper_opp", "ours at the paper's OPP", "_at_paper_opp"))


def _finite(v: Any) -> bool:
    return isinstance(v, int | float) and math.isfinite(v)


def _mean_sd(values: list[float]) -> tuple[float, float]:
    """Mean and population SD (ddof 0, as the paper); NaN for no values."""
    arr = np.asarray(values, dtype=np.float64)
    return (float(arr.mean()), float(arr.std(ddof=0))) if arr.size else (math.nan, math.nan)


def summary_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean +- population SD of ours and the paper's per comparison and column, over the same cases.

    For each column, only the cases where both ours and the paper's value exist count (the paper has no SPC where
    it chose the OPP by F1; we may have none where no seizure qualified for CIOPR), so both sides always average
    the same cases; ``n_cases`` and ``cases`` say which.
    """
    out = []
    for name, _, suffix in COMPARISONS:
        for short, *_ in METRICS:
            both = [r for r in rows if _finite(r[short + suffix]) and _finite(r[f"paper_{short}"])]
            ours, paper = (_mean_sd([r[c] for r in both]) for c in (short + suffix, f"paper_{short}"))
            out.append({"comparison": name, "metric": short, "n_cases": len(both),
                        "cases": " ".join(r["case"] for r in both), "ours_mean": ours[0], "ours_sd": ours[1],
                        "paper_mean": paper[0], "paper_sd": paper[1]})  # fmt: skip
    return out


CSV_COLUMNS = (
    ("case", "files", "n_models", "opp", "criterion")
    + tuple(m[0] for m in METRICS)
    + ("paper_opp",)
    + tuple(f"{m[0]}_at_paper_opp" for m in METRICS)
    + ("paper_criterion",)
    + tuple(f"paper_{m[0]}" for m in METRICS)
)
SUMMARY_COLUMNS = (
    "comparison",
    "metric",
    "n_cases",
    "cases",
    "ours_mean",
    "ours_sd",
    "paper_mean",
    "paper_sd",
)


def _fmt(value: Any, decimals: int) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.{decimals}f}" if isinstance(value, float) else str(value)


def _opp_tally(values: list[Any]) -> str:
    counts = Counter(v for v in values if v is not None)
    return ", ".join(f"{k} min x{n}" for k, n in sorted(counts.items(), key=lambda kv: -kv[0])) or "none"


def _comparison_table(
    rows: list[dict[str, Any]], summary: list[dict[str, Any]], name: str, suffix: str
) -> list[str]:
    """One Markdown table: cells "ours / paper", then the mean +- SD row over the cases where both exist."""
    first = ["case", "files", "models"] if name == "our_opp" else ["case", "paper's OPP min"]
    last = ["OPP min", "criterion"] if name == "our_opp" else []
    head = [*first, *(m[2] for m in METRICS), *last]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = (
            [r["case"], r["files"], str(r["n_models"])]
            if name == "our_opp"
            else [r["case"], _fmt(r["paper_opp"], 0)]
        )
        cells += [f"{_fmt(r[s + suffix], d)} / {_fmt(r[f'paper_{s}'], d)}" for s, _, _, d in METRICS]
        if name == "our_opp":
            cells += [
                f"{_fmt(r['opp'], 0)} / {_fmt(r['paper_opp'], 0)}",
                f"{r['criterion']} / {r['paper_criterion']}",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    cells = ["**mean ± SD** (n: cases with both)"] + [""] * (len(first) - 1)
    by_metric = {s["metric"]: s for s in summary if s["comparison"] == name}
    for short, _, _, d in METRICS:
        s = by_metric[short]
        cells.append(f"{_fmt(s['ours_mean'], d)} ± {_fmt(s['ours_sd'], d)} / "
                     f"{_fmt(s['paper_mean'], d)} ± {_fmt(s['paper_sd'], d)} (n={s['n_cases']})")  # fmt: skip
    lines.append("| " + " | ".join(cells + [""] * len(last)) + " |")
    return lines


def render_markdown(rows: list[dict[str, Any]], *, header: list[str], notes: list[str]) -> str:
    """Markdown of the case rows: the two comparisons, each with its mean +- SD row, the OPP tallies, the notes."""
    summary = summary_rows(rows)
    lines = [*header, ""]
    for name, label, suffix in COMPARISONS:
        lines += [
            f"## {label[0].upper()}{label[1:]} / the paper's",
            "",
            *_comparison_table(rows, summary, name, suffix),
            "",
        ]
    lines += [
        f"OPP chosen, ours: {_opp_tally([r['opp'] for r in rows])}; "
        f"paper (same cases): {_opp_tally([r['paper_opp'] for r in rows])}.",
        "",
        *notes,
    ]
    return "\n".join(lines).rstrip() + "\n"


def paper_summary_line() -> str:
    """The paper's mean +- population SD over all 19 cases, computed from its table."""
    paper = list(paper_table().values())
    parts = []
    for short, _, label, d in METRICS:
        values = [r[short] for r in paper if _finite(r[short])]
        mean, sd = _mean_sd(values)
        parts.append(
            f"{label} {mean:.{d}f} ± {sd:.{d}f}"
            + (f" (n={len(values)})" if len(values) != len(paper) else "")
        )
    return "Paper, all 19 cases: " + "; ".join(parts) + "."


def _csv_text(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: _csv_value(r.get(k)) for k in columns})
    return buf.getvalue()


def write_table(
    rows: list[dict[str, Any]], out_dir: Path, *, header: list[str], notes: list[str]
) -> list[Path]:
    """Write ``table1.csv``, ``table1_summary.csv`` and ``table1.md`` to ``out_dir`` (atomically); return their paths."""
    from seizurepred._atomic import atomic_write_text

    texts = {
        "table1.csv": _csv_text(rows, CSV_COLUMNS),
        "table1_summary.csv": _csv_text(summary_rows(rows), SUMMARY_COLUMNS),
        "table1.md": render_markdown(rows, header=header, notes=notes),
    }
    return [atomic_write_text(out_dir / name, text) for name, text in texts.items()]


def _csv_value(v: Any) -> Any:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    return v


# ---------------------------------------------------------------------------------------------- dry run
@dataclass(frozen=True)
class ManifestPatient:
    """What :func:`seizurepred.sweep.plan_folds` reads of a patient, made from a committed manifest (no signals).

    ``available`` = the recordings with known times and every channel of the set (what the cache keeps with
    ``on_missing="skip"``); ``n_samples`` from the manifest's durations.
    """

    manifest: Manifest
    available: tuple[str, ...]
    sfreq: float
    n_samples: dict[str, int]

    @classmethod
    def from_manifest(cls, manifest: Manifest, *, channels: str) -> ManifestPatient:
        keep = [r for r in manifest.recordings if r.has_times and has_channels(r.channels, channels)]
        return cls(
            manifest=manifest,
            available=tuple(r.file_name for r in keep),
            sfreq=float(manifest.sfreq),
            n_samples={r.file_name: int(round(r.duration_s * manifest.sfreq)) for r in keep},
        )


def plan_case(case: str, config: SweepConfig) -> dict[str, Any]:
    """Usable seizures and folds per preictal length and the models to train for one case (committed manifest)."""
    manifest = load_manifest(case)
    patient = ManifestPatient.from_manifest(manifest, channels=config.channels)
    plan = plan_folds(patient, config=config)
    usable = {
        k: len(label_segments(manifest, config=config.label_for(k)).usable_seizure_ids)
        for k in config.preictal_mins
    }
    per_k = Counter(f.preictal_min for f in plan.folds)
    return {
        "case": case,
        "n_seizures": manifest.n_seizures,
        "usable": usable,
        "folds": {k: per_k.get(k, 0) // config.repeats for k in config.preictal_mins},
        "n_models": len(plan.folds),
        "n_train_windows": sum(len(fold_inputs(f, patient, config)[1].train) for f in plan.folds),
        "skipped": sorted({s["reason"] for s in plan.skipped}),
    }


def render_plan(plans: list[dict[str, Any]], config: SweepConfig, *, config_path: Path) -> str:
    """Text of the dry run: one line per case and the total."""
    ks = "/".join(str(k) for k in config.preictal_mins)
    lines = [
        f"dry run of {config_path} (protocol {config.protocol}, model {config.model}, {config.repeats} repeat(s), "
        f"preictal {ks} min) from the committed manifests; no signal is read",
    ]
    for p in plans:
        usable = "/".join(str(p["usable"][k]) for k in config.preictal_mins)
        folds = "/".join(str(p["folds"][k]) for k in config.preictal_mins)
        line = (
            f"{p['case']}: {p['n_seizures']} seizures; usable at {ks} min: {usable}; folds: {folds}; "
            f"models: {p['n_models']}; training windows (sum over models): {p['n_train_windows']:,d}"
        )
        if p["skipped"]:
            line += " (" + "; ".join(p["skipped"]) + ")"
        lines.append(line)
    total = sum(p["n_models"] for p in plans)
    windows = sum(p["n_train_windows"] for p in plans)
    hours = total * PAPER_MIN_PER_MODEL_A100 / 60.0
    lines.append(
        f"total: {total} models for {len(plans)} cases, {windows:,d} training windows per epoch summed over "
        f"models (at the paper's {PAPER_MIN_PER_MODEL_A100} min per model on an A100: {hours:.0f} GPU-hours)"
    )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------- main
class LogOnce(logging.Filter):
    """Let each distinct log message through once (the dry run plans every length x repeat of a case, and each
    window index it builds repeats the same warning about that case)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[tuple[str, int, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, record.getMessage())
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


def configure_logging() -> None:
    """Warnings and this script's progress on stderr, each distinct message once."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(LogOnce())
    # per-case and per-fold progress
    for name in ("reproduce_table1", "seizurepred.sweep", "seizurepred.reporting"):
        logging.getLogger(name).setLevel(logging.INFO)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-root",
        type=Path,
        default=os.environ.get(DATA_ENV) or None,
        help=f"root of the CHB-MIT EDF files (<case>/<case>_NN.edf) [default: ${DATA_ENV}]",
    )
    parser.add_argument(
        "--config", type=Path, default=DEFAULT_CONFIG, help="sweep config (default: %(default)s)"
    )
    parser.add_argument("--cases", help="comma-separated cases (default: the paper's 19)")
    parser.add_argument(
        "--out", type=Path, default=Path("runs/table1"), help="output folder (default: %(default)s)"
    )
    parser.add_argument(
        "--cache-dir", type=Path, help="signal cache [default: $SEIZUREPRED_CACHE or ~/.cache/seizurepred]"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="list what would be trained (committed manifests)"
    )
    parser.add_argument(
        "--require-data", action="store_true", help="exit 2 instead of 0 when the EDF files are absent"
    )
    parser.add_argument(
        "--executor",
        choices=("serial", "ray"),
        default="serial",
        help="who runs the folds of all cases, as one pool: this process, or a Ray cluster "
        '(pip install -e ".[ray]") (default: %(default)s)',
    )
    parser.add_argument("--address", help="Ray cluster address (auto or HOST:PORT) [default: a local Ray]")
    parser.add_argument(
        "--gpus-per-fold", type=float, help="GPUs per fold under Ray (0.25 packs four folds on a GPU)"
    )
    parser.add_argument(
        "--cpus-per-fold",
        type=int,
        help="CPUs (torch threads) per fold under Ray [default: [train] num_threads, else this process's threads]",
    )
    args = parser.parse_args(argv)
    args.cases = tuple(c.strip() for c in args.cases.split(",") if c.strip()) if args.cases else PAPER_CASES
    args.data_root = Path(args.data_root) if args.data_root else None
    return args


def run_all(
    args: argparse.Namespace, config: SweepConfig, executor, present: list[str], absent: list[str]
) -> int:
    """Prepare the present cases, sweep them as one pool, write the comparison table; 1 if anything failed."""
    from seizurepred.cli.options import default_cache_dir

    cache_dir = args.cache_dir or default_cache_dir()
    prepared = prepare_cases(
        present, data_root=args.data_root, cache_dir=cache_dir, config=config, out_dir=args.out
    )
    failed = [f"{case}: {error}" for case, error in prepared.failed.items()]
    rows: list[dict[str, Any]] = []
    if prepared.patients:
        cases = ", ".join(p.manifest.case for p in prepared.patients)
        logger.info("sweeping %s as one pool (%s, %s)", cases, args.config.name, executor.describe())
        try:
            rows = sweep_cases(prepared.patients, config=config, out_dir=args.out, executor=executor,
                               data_root=args.data_root)  # fmt: skip
        except SeizurepredError as exc:
            logger.error("the pool stopped: %s", exc)
            failed.append(f"the pool stopped ({cases}; finished folds are kept, rerun to resume): {exc}")
    header = [
        "# Table 1 reproduction: per-patient figures at the optimal preictal period (OPP)",
        "",
        f"Config `{args.config.name}` (protocol `{config.protocol}`, model `{config.model}`, {config.repeats} repeat(s), "
        f"hash `{config.hash()}`); data {args.data_root}. Cells: **ours / paper**. Rates in percent; FAR is the "
        "paper's *segment* false-alarm rate per hour ((1 - specificity) x 720), not an alarm rate; SPC is the "
        "paper's prediction time in minutes (mean over seizures with a CIOPR). Each mean ± population SD is over "
        "the cases where both ours and the paper's value exist (n per cell), so both sides average the same cases. "
        "Per-case sweeps: `<case>/report.md`.",
        "",
        "*Ours at our OPP*: our pooled figures at the length the paper's criterion picks on our sweep (highest mean "
        "CIOPR, else highest F1). *Ours at the paper's OPP*: at the length the paper chose for that case (n/a when "
        "we did not sweep it). Both sides choose the OPP on the test seizures (the held-out seizures whose figures "
        "are reported; no nested selection, docs/method.md section 5), so the figures at either OPP are optimistic.",
    ]
    notes = [paper_summary_line()]
    if absent:
        notes += ["", f"Not run (no .edf files under {args.data_root}): {', '.join(absent)}."]
    if prepared.no_fold:
        notes += ["", "No fold to train:", *(f"- {case}: {why}" for case, why in prepared.no_fold.items())]
    if failed:
        notes += ["", "Failed:", *(f"- {f}" for f in failed)]
    paths = write_table(rows, args.out, header=header, notes=notes)
    print((args.out / "table1.md").read_text(encoding="utf-8"))
    print("wrote " + ", ".join(str(p) for p in paths), file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    from seizurepred.sweep.executors import make_executor

    args = parse_args(argv)
    try:
        config = load_sweep_config(args.config)
        executor = make_executor(args.executor, address=args.address, gpus_per_fold=args.gpus_per_fold,
                                 cpus_per_fold=args.cpus_per_fold)  # fmt: skip
        if args.dry_run:
            print(
                render_plan([plan_case(c, config) for c in args.cases], config, config_path=args.config),
                end="",
            )
            return 0
    except SeizurepredError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    present, absent = present_cases(args.data_root, args.cases)
    if not present:
        print(not_run_message(args.data_root, args.cases))
        return 2 if args.require_data else 0
    return run_all(args, config, executor, present, absent)


if __name__ == "__main__":
    configure_logging()
    sys.exit(main())
