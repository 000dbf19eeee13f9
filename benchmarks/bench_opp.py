"""OPP recovery benchmark: does each criterion find the preictal length that was planted?

A population of synthetic patients in the real CHB-MIT layout (EDF files with gaps between them, a summary):
every signature kind (focal theta, diffuse beta, hemispheric synchrony) x planted length (15, 30, 45, 60 min) x
strength (two per mode), plus null patients (no signature). Each is swept over 60/45/30/15 min with a CPU config,
and every criterion's choice is compared with the planted length:

* the OPP selector (``seizurepred.evaluation.opp``, the default of ``seizurepred sweep``), and the same selector
  with its lengths corrected by Holm's procedure instead of the ordered test (``correction="holm"``);
* paper CIOPR under each of its open readings (rounded/probability outputs x sustained/first-crossing SPC x
  reconstructed/no unpublished terms);
* the highest pooled F1 and the highest pooled AUC.

It prints the recovery rate of every criterion (with counts), per kind and strength, and the null false-finding
rate (a criterion that names a length on a null patient has made a false finding). Each patient's outcome is
kept in ``--out`` (one JSON file), so an interrupted run resumes where it stopped.

Usage::

    python benchmarks/bench_opp.py --mode fast --out /tmp/bench_opp        # <= 60 min on 2 CPU cores
    python benchmarks/bench_opp.py --mode full --out /tmp/bench_opp_full   # small CNN, a third strength
    python benchmarks/bench_opp.py --mode fast --n-null 8 --out /tmp/b     # 24 signature + 8 null patients
    python benchmarks/bench_opp.py --mode fast --only 2 --out /tmp/b        # one signature + one null patient
    python benchmarks/bench_opp.py --mode fast --n-null 8 --keep-runs --out /tmp/b   # keep the fold outputs
    python benchmarks/bench_opp.py --mode fast --n-null 8 --rescore --out /tmp/b     # re-apply the criteria
    python benchmarks/bench_opp.py --mode fast --n-null 8 --population-seed 1 --out /tmp/b1  # a fresh population

``--geometry real`` runs the selector on synthetic patients with each real case's geometry instead
(``benchmarks/opp_real.py``; ``--cases chb16,chb20``, ``--per-case N``, ``--max-hours H`` to leave out long cases)::

    python benchmarks/bench_opp.py --geometry real --per-case 2 --out /tmp/bench_real

``--rescore`` re-applies every criterion (selector, CIOPR, F1, AUC) to the kept fold outputs with the installed
code, without training: a change to a criterion is measured on the same models.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import shutil
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from seizurepred._progress import set_quiet
from seizurepred.cache.patient import prepare_patient
from seizurepred.evaluation.metrics import UndefinedMetricWarning
from seizurepred.evaluation.opp import LengthEvidence, adjust_holm, select_opp
from seizurepred.labels.segments import LabelConfig
from seizurepred.reporting.runner import run_sweep
from seizurepred.sweep.config import SweepConfig
from seizurepred.synth import SynthConfig, generate_patient
from seizurepred.training import TrainConfig

KINDS = ("focal", "diffuse", "synchrony")
LENGTHS = (15, 30, 45, 60)
#: Strengths per mode and kind (power of the change at onset, linear; synchrony: shared fraction). Calibration
#: of what they mean: seizurepred/synth/signatures.py.
STRENGTHS = {
    "fast": {"strong": {"focal": 1.0, "diffuse": 1.0, "synchrony": 1.0},
             "moderate": {"focal": 0.3, "diffuse": 0.3, "synchrony": 0.75}},
    "full": {"strong": {"focal": 1.0, "diffuse": 1.0, "synchrony": 1.0},
             "moderate": {"focal": 0.3, "diffuse": 0.3, "synchrony": 0.75},
             "subtle": {"focal": 0.1, "diffuse": 0.1, "synchrony": 0.5}},
}  # fmt: skip
#: Null patients: enough that ">= 95 % say no preictal period" allows one false finding (19/20).
N_NULL = {"fast": 20, "full": 20}

#: Labelling of the benchmark patients: the paper's rules with interictal distances scaled to ~15-h patients
#: (interictal >= 3 h before any onset and >= 30 min after any end), so that each seizure has 3 h of recorded
#: EEG before it of which 1.5 h is reference EEG for the selector.
BENCH_LABELS = LabelConfig(interictal_before_onset_min=180.0, interictal_after_end_min=30.0,
                           postictal_exclusion_min=30.0)  # fmt: skip


@dataclass(frozen=True)
class Case:
    """One benchmark patient."""

    name: str
    kind: str
    planted_min: int | None
    strength_name: str
    strength: float
    seed: int


def population(mode: str, n_null: int | None = None, population_seed: int = 0) -> list[Case]:
    """Every signature patient (kind x length x strength) and ``n_null`` null patients (default ``N_NULL[mode]``),
    with their seeds (a null patient's seed does not depend on how many there are). ``population_seed`` draws
    another population of the same design (every seed moved by ``1000 * population_seed``; 0 is the population
    the selector was developed on, so another one is an out-of-sample check)."""
    cases = []
    base = 1000 * population_seed
    seed = base + 100
    for strength_name, per_kind in STRENGTHS[mode].items():
        for kind in KINDS:
            for length in LENGTHS:
                seed += 1
                cases.append(Case(f"{kind}-{strength_name}-{length}", kind, length, strength_name, per_kind[kind], seed))
    for i in range(N_NULL[mode] if n_null is None else n_null):
        cases.append(Case(f"null-{i}", "none", None, "none", 0.0, base + 500 + i))
    return cases


def synth_config(case: Case, mode: str) -> SynthConfig:
    """A patient of ~15 h in 1-h files with realistic gaps (most a few seconds, 10 % of 5-30 min), 3 seizures."""
    return SynthConfig(
        patient="chb01",
        hours=15.5 if mode == "fast" else 21.0,
        n_seizures=3 if mode == "fast" else 4,
        preictal_min=float(case.planted_min or 30),
        signature_kind=case.kind if case.kind != "none" else "focal",
        signature_strength=case.strength if case.kind != "none" else 1.0,
        null=case.kind == "none",
        seed=case.seed,
        min_first_onset_h=4.0,
        min_onset_spacing_h=5.0,
        gap_s=(3.0, 10.0),
        long_gap_prob=0.1,
        long_gap_s=(300.0, 1800.0),
    )


def sweep_config(mode: str) -> SweepConfig:
    """The CPU sweep, every seizure held out once: fast = logistic regression on band power and band coherence
    (``bandpower_logreg`` with ``coherence=True``: synchrony changes no power of its own), full = the small CNN."""
    if mode == "fast":
        # logistic regression: a larger step than the deep models' 1e-3 (it is convex and has 231 weights)
        train = TrainConfig(lr=1e-2, max_epochs=15, patience=4, seed=0, device="cpu")
        model, options, max_windows = "bandpower_logreg", (("coherence", True),), 1500
    else:
        train = TrainConfig(max_epochs=12, patience=4, seed=0, device="cpu")
        model, options, max_windows = "small", (), 3000
    return SweepConfig(preictal_mins=(60, 45, 30, 15), protocol="paper", repeats=1, model=model,
                       model_options=options, max_train_windows=max_windows, n_surrogates=50, label=BENCH_LABELS,
                       train=train)  # fmt: skip


def _argmax(rows: list[dict], key: str) -> int | None:
    good = [r for r in rows if isinstance(r.get(key), float) and math.isfinite(r[key])]
    return max(good, key=lambda r: (r[key], -r["preictal_min"]))["preictal_min"] if good else None


def _holm_choice(rows: list[dict], alpha: float) -> int | None:
    """The selector's choice had its lengths been corrected by Holm's procedure (``correction="holm"``)."""
    names = {f.name for f in dataclasses.fields(LengthEvidence)}
    evidence = [LengthEvidence(**{k: v for k, v in r.items() if k in names}) for r in rows]
    return select_opp(adjust_holm(evidence, alpha=alpha))[0]


def outcome(case: Case, result, seconds: float) -> dict:
    """Every criterion's choice on one swept patient (``result``: a :class:`~seizurepred.sweep.result.SweepResult`)."""
    out = {
        "case": case.name,
        "kind": case.kind,
        "strength": case.strength_name,
        "planted_min": case.planted_min,
        "selector": result.opp_min,
        "selector:holm": _holm_choice(result.opp_evidence, result.config.selector.alpha),
        "f1": _argmax(result.pooled, "f1"),
        "auc": _argmax(result.pooled, "auc"),
        "evidence": result.opp_evidence,
        "seconds": round(seconds, 1),
    }
    for v in result.opp_variants:
        out[f"ciopr:{v['output']}/{v['spc_mode']}/{v.get('spc_anchor', 'run_centre')}/{v['reconstruction']}"] = v["opp_min"] if v["criterion"] == "CIOPR" else None
    return out


def run_case(case: Case, mode: str, work: Path, keep: Path | None = None) -> dict:
    """Generate, cache and sweep one patient; return every criterion's choice. With ``keep``, the sweep's run
    folder (fold outputs, ~2 MB) is moved there, so that :func:`rescore` can recompute the outcome later."""
    root = work / case.name
    shutil.rmtree(root, ignore_errors=True)
    t0 = time.perf_counter()
    generate_patient(root / "data", config=synth_config(case, mode), n_jobs=2)
    patient = prepare_patient("chb01", data_root=root / "data", cache_dir=root / "cache", n_jobs=2)
    result = run_sweep(patient, config=sweep_config(mode), out_dir=root / "run")
    out = outcome(case, result, time.perf_counter() - t0)
    if keep is not None:
        shutil.rmtree(keep, ignore_errors=True)
        keep.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(root / "run"), str(keep))
    shutil.rmtree(root, ignore_errors=True)  # keep only the outcome
    return out


def rescore(case: Case, run_dir: Path, seconds: float) -> dict:
    """The outcome recomputed from a kept run folder with the installed code (no training: every criterion is a
    pure function of the folds' outputs, :func:`seizurepred.reporting.load.load_run`)."""
    from seizurepred.reporting.load import load_run

    return outcome(case, load_run(run_dir).result, seconds)


def criteria(outcomes: list[dict]) -> list[str]:
    keys = ["selector", "selector:holm"] + sorted(k for k in outcomes[0] if k.startswith("ciopr:")) + ["f1", "auc"]
    return [k for k in keys if any(k in o for o in outcomes)]


def summary(outcomes: list[dict]) -> str:
    """The table: recovery per criterion (signature patients) and false findings (null patients)."""
    sig = [o for o in outcomes if o["planted_min"] is not None]
    null = [o for o in outcomes if o["planted_min"] is None]
    groups = sorted({(o["kind"], o["strength"]) for o in sig})
    head = ["criterion", "recovered", *[f"{k} {s}" for k, s in groups], "null: length named"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for c in criteria(outcomes):
        name = "selector (Holm)" if c == "selector:holm" else c.replace("ciopr:", "paper CIOPR ")
        cells = [name, _rate([o.get(c) == o["planted_min"] for o in sig])]
        for g in groups:
            mine = [o for o in sig if (o["kind"], o["strength"]) == g]
            cells.append(_rate([o.get(c) == o["planted_min"] for o in mine]))
        cells.append(_rate([o.get(c) is not None for o in null]))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _rate(hits: list[bool]) -> str:
    return f"{sum(hits)}/{len(hits)} ({100.0 * sum(hits) / len(hits):.0f} %)" if hits else "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("fast", "full"), default="fast")
    parser.add_argument("--out", type=Path, required=True, help="Folder for the per-patient outcomes (resumable).")
    parser.add_argument("--n-null", type=int, help="Null patients (default 20; the issue's minimum is 8).")
    parser.add_argument("--population-seed", type=int, default=0,
                        help="Draw another population of the same design (0: the one the selector was developed on).")
    parser.add_argument("--only", type=int, help="Run only N patients (half signature, half null; CI).")
    parser.add_argument("--keep-runs", action="store_true", help="Keep each sweep's run folder in OUT/runs.")
    parser.add_argument("--rescore", action="store_true",
                        help="Recompute every outcome from the run folders kept in OUT/runs (no training).")
    parser.add_argument("--verbose", action="store_true", help="Progress bars and logs.")
    parser.add_argument("--geometry", choices=("synthetic", "real"), default="synthetic",
                        help="'real': patients with the geometry of the paper's CHB-MIT cases (benchmarks/opp_real.py).")
    parser.add_argument("--cases", help="With --geometry real: comma-separated cases (default: the paper's 19).")
    parser.add_argument("--per-case", type=int, default=2, help="With --geometry real: patients per case (1 null).")
    parser.add_argument("--max-hours", type=float, help="With --geometry real: leave out cases recorded longer.")
    args = parser.parse_args(argv)
    set_quiet(not args.verbose)
    if not args.verbose:  # a metric undefined on one fold (a CIOPR fit without transition) is in its tables
        warnings.simplefilter("ignore", UndefinedMetricWarning)
    if args.population_seed < 0:
        parser.error(f"--population-seed: must be >= 0; got {args.population_seed}")
    if args.geometry == "real":
        return _main_real(args)
    cases = population(args.mode, args.n_null, args.population_seed)
    if args.only:
        sig = [c for c in cases if c.planted_min is not None]
        null = [c for c in cases if c.planted_min is None]
        cases = sig[: args.only - args.only // 2] + null[: args.only // 2]
    args.out.mkdir(parents=True, exist_ok=True)
    outcomes, t0 = [], time.perf_counter()
    for i, case in enumerate(cases):
        path, kept = args.out / f"{case.name}.json", args.out / "runs" / case.name
        if args.rescore:
            if not (kept / "run.json").is_file():
                parser.error(f"--rescore: {kept} holds no finished run (run first with --keep-runs)")
            seconds = json.loads(path.read_text())["seconds"] if path.is_file() else math.nan
            got = rescore(case, kept, seconds)
            path.write_text(json.dumps(got, indent=1) + "\n")
        elif path.is_file():
            got = json.loads(path.read_text())
        else:
            got = run_case(case, args.mode, args.out / "work", kept if args.keep_runs else None)
            path.write_text(json.dumps(got, indent=1) + "\n")
        outcomes.append(got)
        print(f"[{i + 1}/{len(cases)}] {case.name}: planted {case.planted_min}, selector {got['selector']}, "
              f"F1 {got['f1']} ({got['seconds']:.0f} s)", file=sys.stderr, flush=True)  # fmt: skip
    print(f"OPP recovery, mode {args.mode}, population {args.population_seed}: {len(outcomes)} patients, {time.perf_counter() - t0:.0f} s in this run")
    print(summary(outcomes))
    missed = [f"{o['case']} -> {o['selector']}" for o in outcomes if o["selector"] != o["planted_min"]]
    print(f"Selector missed: {', '.join(missed) or 'none'}")
    return 0


def _main_real(args) -> int:
    """``--geometry real``: see ``benchmarks/opp_real.py``."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "experiments"))
    import opp_real
    from reproduce_table1 import PAPER_CASES

    names = [c.strip() for c in args.cases.split(",")] if args.cases else list(PAPER_CASES)
    skipped = [c for c in names if args.max_hours is not None and opp_real.case_hours(c) > args.max_hours]
    names = [c for c in names if c not in skipped]
    cases = opp_real.population(names, args.per_case, args.population_seed)
    if args.only:
        cases = cases[: args.only]
    args.out.mkdir(parents=True, exist_ok=True)
    outcomes, t0 = [], time.perf_counter()
    for i, case in enumerate(cases):
        path = args.out / f"{case.name}.json"
        got = json.loads(path.read_text()) if path.is_file() else opp_real.run_case(case, sweep_config("fast"), args.out / "work")
        path.write_text(json.dumps(got, indent=1) + "\n")
        outcomes.append(got)
        print(f"[{i + 1}/{len(cases)}] {case.name}: planted {got['planted_min']}, {got['verdict']} {got['selector']} "
              f"{got['interval']} ({got['seconds']:.0f} s)", file=sys.stderr, flush=True)  # fmt: skip
    print(f"OPP on real geometry, fast mode: {len(outcomes)} patients of {len(names)} case(s), "
          f"{time.perf_counter() - t0:.0f} s in this run" + (f"; left out (> {args.max_hours:g} h): {skipped}" if skipped else ""))
    print(opp_real.summary(outcomes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
