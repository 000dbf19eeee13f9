"""Reproduce the paper's Table 1 (per-patient figures at the optimal preictal period) with seizurepred's own sweep.

For each of the paper's 19 CHB-MIT cases whose EDF files are under ``--data-root``, run the preictal-length sweep
of ``--config`` (default ``experiments/paper.toml``: 60/45/30/15 min, leave-one-seizure-out, 4 repeats, the
CNN-Transformer) with :func:`seizurepred.sweep.prepare_patient` + :func:`seizurepred.sweep.run_sweep`, write each
case's tables with :func:`seizurepred.reporting.write_sweep` to ``<out>/<case>/``, and write ``<out>/table1.md``
and ``<out>/table1.csv``: our sensitivity, specificity, accuracy, F1, AUC, segment FAR, SPC, OPP and criterion
next to the paper's values, with mean +- population SD rows as in the paper. Sweeps resume: finished folds in
``<out>/<case>/folds/`` are not trained again.

Without the EDF files nothing is run and nothing is made up: the script says "not run: ..." and exits 0
(2 with ``--require-data``). ``--dry-run`` needs no signals: from the committed manifests it lists, per case, the
usable seizures and folds per preictal length and the number of models the config would train.

Usage::

    python experiments/reproduce_table1.py --dry-run
    python experiments/reproduce_table1.py --data-root /data/chbmit [--config experiments/paper.toml]
        [--cases chb01,chb02] [--out runs/table1] [--cache-dir DIR] [--require-data]
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
PAPER_MIN_PER_MODEL_A100 = 8.1  # METHOD.md section 3

#: The paper's Table 1 (Koutsouvelis et al. 2024, CC BY 4.0; ../shared/paper/table1.csv). Rates in percent, ``far``
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


# ---------------------------------------------------------------------------------------------- running
def opp_row(result, *, n_files: int, n_files_total: int) -> dict[str, Any]:
    """Our Table 1 row of one swept case: pooled figures at its OPP (rates in percent, as the paper)."""
    pooled = {r["preictal_min"]: r for r in result.pooled}
    at = pooled.get(result.opp_min, {})
    row: dict[str, Any] = {
        "case": result.case,
        "files": f"{n_files}/{n_files_total}",
        "n_models": len(result.segments),
        "opp": result.opp_min,
        "criterion": result.opp_criterion,
    }
    for short, key, _, _ in METRICS:
        value = float(at.get(key, math.nan))
        row[short] = 100.0 * value if key in _PERCENT else value
    return row


def run_case(
    case: str, *, data_root: Path, cache_dir: Path, config: SweepConfig, out_dir: Path
) -> dict[str, Any]:
    """Sweep one case (resumable) and write its tables to ``out_dir/<case>/``; return its Table 1 row."""
    from seizurepred.reporting import run_sweep, write_sweep
    from seizurepred.sweep import prepare_for_sweep

    patient = prepare_for_sweep(case, config, data_root=data_root, cache_dir=cache_dir)
    result = run_sweep(patient, config=config, out_dir=out_dir / case)
    n, total = len(patient.available), len(patient.manifest)
    write_sweep(
        result,
        out_dir / case,
        data_note=f"Data: {data_root / case} ({n} of {total} EDF files of the case used).",
    )
    return opp_row(result, n_files=n, n_files_total=total)


# ---------------------------------------------------------------------------------------------- the table
def _mean_sd(values: list[float]) -> tuple[float, float, int]:
    """Mean, population SD (ddof 0, as the paper) and count of the finite values."""
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[np.isfinite(arr)]
    if not arr.size:
        return math.nan, math.nan, 0
    return float(arr.mean()), float(arr.std(ddof=0)), int(arr.size)


def comparison_rows(ours: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tidy rows: each of our case rows with the paper's values as ``paper_<col>``, then ``mean`` and ``sd`` rows.

    The ``mean``/``sd`` rows summarise ours and the paper's over the same cases (those in ``ours``).
    """
    paper = paper_table()
    rows = []
    for r in ours:
        p = paper.get(r["case"], {})
        row = dict(r)
        row.update({f"paper_{k}": p.get(k, math.nan) for k, *_ in METRICS})
        row["paper_opp"], row["paper_criterion"] = p.get("opp"), p.get("criterion", "")
        rows.append(row)
    summaries = []
    for stat, pick in (("mean", 0), ("sd", 1)):
        summary: dict[str, Any] = {"case": stat}
        for short, *_ in METRICS:
            for col in (short, f"paper_{short}"):
                summary[col] = _mean_sd([r[col] for r in rows])[pick]
        summaries.append(summary)
    return rows + summaries


CSV_COLUMNS = (
    ("case", "files", "n_models", "opp", "criterion")
    + tuple(m[0] for m in METRICS)
    + ("paper_opp", "paper_criterion")
    + tuple(f"paper_{m[0]}" for m in METRICS)
)


def _fmt(value: Any, decimals: int) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.{decimals}f}" if isinstance(value, float) else str(value)


def _opp_tally(values: list[Any]) -> str:
    counts = Counter(v for v in values if v is not None)
    return ", ".join(f"{k} min x{n}" for k, n in sorted(counts.items(), key=lambda kv: -kv[0])) or "none"


def render_markdown(rows: list[dict[str, Any]], *, header: list[str], notes: list[str]) -> str:
    """Markdown of :func:`comparison_rows`: cells "ours / paper", mean +- SD over the cases shown."""
    cases = [r for r in rows if r["case"] not in ("mean", "sd")]
    head = ["case", "files", "models", *(m[2] for m in METRICS), "OPP min", "criterion"]
    lines = [*header, "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in cases:
        cells = [r["case"], r["files"], str(r["n_models"])]
        cells += [f"{_fmt(r[s], d)} / {_fmt(r[f'paper_{s}'], d)}" for s, _, _, d in METRICS]
        cells += [
            f"{_fmt(r['opp'], 0)} / {_fmt(r['paper_opp'], 0)}",
            f"{r['criterion']} / {r['paper_criterion']}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    cells = ["**mean ± SD**", "", ""]
    for short, _, _, d in METRICS:
        ours, paper = (_mean_sd([r[c] for r in cases]) for c in (short, f"paper_{short}"))
        cells.append(f"{_fmt(ours[0], d)} ± {_fmt(ours[1], d)} / {_fmt(paper[0], d)} ± {_fmt(paper[1], d)}")
    lines.append("| " + " | ".join(cells + ["", ""]) + " |")
    lines += [
        "",
        f"OPP chosen, ours: {_opp_tally([r['opp'] for r in cases])}; "
        f"paper (same cases): {_opp_tally([r['paper_opp'] for r in cases])}.",
        "",
        *notes,
    ]
    return "\n".join(lines).rstrip() + "\n"


def paper_summary_line() -> str:
    """The paper's mean +- population SD over all 19 cases, computed from its table."""
    paper = list(paper_table().values())
    parts = []
    for short, _, label, d in METRICS:
        mean, sd, n = _mean_sd([r[short] for r in paper])
        parts.append(f"{label} {mean:.{d}f} ± {sd:.{d}f}" + (f" (n={n})" if n != len(paper) else ""))
    return "Paper, all 19 cases: " + "; ".join(parts) + "."


def write_table(
    rows: list[dict[str, Any]], out_dir: Path, *, header: list[str], notes: list[str]
) -> list[Path]:
    """Write ``table1.csv`` and ``table1.md`` to ``out_dir`` (atomically); return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: _csv_value(r.get(k)) for k in CSV_COLUMNS})
    paths = []
    for name, text in (
        ("table1.csv", buf.getvalue()),
        ("table1.md", render_markdown(rows, header=header, notes=notes)),
    ):
        path = out_dir / name
        tmp = path.with_name(f".{name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        paths.append(path)
    return paths


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
        f"dry run of {config_path} (protocol {config.protocol}, model {config.model}, {config.repeats} repeats, "
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
    args = parser.parse_args(argv)
    args.cases = tuple(c.strip() for c in args.cases.split(",") if c.strip()) if args.cases else PAPER_CASES
    args.data_root = Path(args.data_root) if args.data_root else None
    return args


def run_all(args: argparse.Namespace, config: SweepConfig, present: list[str], absent: list[str]) -> int:
    """Sweep the present cases, write the comparison table; 1 if a case failed, else 0."""
    from seizurepred.cli.options import default_cache_dir

    cache_dir = args.cache_dir or default_cache_dir()
    ours, failed = [], []
    for case in present:
        logger.info("%s: sweeping (%s)", case, args.config)
        try:
            ours.append(
                run_case(case, data_root=args.data_root, cache_dir=cache_dir, config=config, out_dir=args.out)
            )
        except SeizurepredError as exc:
            logger.error("%s: failed: %s", case, exc)
            failed.append(f"{case}: {exc}")
    header = [
        "# Table 1 reproduction: per-patient figures at the optimal preictal period (OPP)",
        "",
        f"Config `{args.config.name}` (protocol `{config.protocol}`, model `{config.model}`, {config.repeats} repeats, "
        f"hash `{config.hash()}`); data {args.data_root}. Cells: **ours / paper**. Rates in percent; FAR is the "
        "paper's *segment* false-alarm rate per hour ((1 - specificity) x 720), not an alarm rate; SPC is the "
        "paper's prediction time in minutes (mean over seizures with a CIOPR); the mean ± population SD row is "
        "over the cases shown, for both columns. Per-case sweeps: `<case>/report.md`.",
    ]
    notes = [paper_summary_line()]
    if absent:
        notes.append(f"Not run (no .edf files under {args.data_root}): {', '.join(absent)}.")
    if failed:
        notes += ["", "Failed:", *(f"- {f}" for f in failed)]
    paths = write_table(comparison_rows(ours), args.out, header=header, notes=notes)
    print((args.out / "table1.md").read_text(encoding="utf-8"))
    print("wrote " + ", ".join(str(p) for p in paths), file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = load_sweep_config(args.config)
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
    return run_all(args, config, present, absent)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for name in ("reproduce_table1", "seizurepred.sweep"):  # per-case and per-fold progress
        logging.getLogger(name).setLevel(logging.INFO)
    sys.exit(main())
