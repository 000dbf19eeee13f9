"""The OPP selector on the real CHB-MIT cases' own geometry: false findings on null patients, and where the
reported interval puts a planted change (no EEG, no training: simulated model outputs).

For every eligible case of the committed manifests (``--cases paper``: the paper's 19), the geometry a sweep of
``--config`` hands the selector is taken from the manifest (:func:`seizurepred.sweep.opp_sim.selector_geometry`:
the held-out seizures of each length, their pre-onset records with the real gaps, earlier seizures' postictal
hours, and the reference EEG every fold shares, topped up by the ``[reference]`` hold-out), and the selector is
run on outputs drawn over it (:func:`seizurepred.sweep.opp_sim.simulate_selector`: slow states shared by all
folds, each fold's own deviations, window noise; one reference scored by every fold, as in a sweep).

* ``--mode null``: the rate of null patients named a length, with its exact (Clopper-Pearson) 95 % interval,
  per case and pooled; the calibration claim is the pooled rate <= 5 % with the upper bound <= 6 %.
* ``--mode planted``: changes planted on the grid (15/30/45/60 min) and off it (20/40/90), with onset shapes
  linear, raised cosine (slow start) and step, and one population whose seizures each begin at a different
  length around the patient's median (30 min +- 15); reported: the verdicts, and among "opp" verdicts how often
  ``opp_interval_min`` contains the true start.

Usage::

    python benchmarks/selector_calibration.py --mode null --n 200        # about 3 min on 2 cores
    python benchmarks/selector_calibration.py --mode planted --n 10      # about 5 min
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import beta

from seizurepred.io.manifest import load_manifest
from seizurepred.sweep.config import load_sweep_config
from seizurepred.sweep.opp_sim import selector_geometry, simulate_selector

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "experiments"))
from reproduce_table1 import PAPER_CASES  # noqa: E402

STARTS = (15, 30, 45, 60, 20, 40, 90)
SHAPES = ("linear", "raised_cosine", "step")


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact binomial interval of ``k`` successes in ``n``."""
    a = (1.0 - level) / 2.0
    lo = 0.0 if k == 0 else float(beta.ppf(a, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1.0 - a, k + 1, n - k))
    return lo, hi


def covers(interval, start: float) -> bool:
    """Whether ``(lo, hi]`` (``hi`` None: unbounded) contains ``start``."""
    if interval is None:
        return False
    lo, hi = interval
    return start > lo and (hi is None or start <= hi)


def run_null(geoms, config, n: int, seed: int) -> None:
    named = total = untestable = 0
    print(f"{'case':6} {'ref h':>6} {'named':>8} {'not testable':>13}  testable lengths")
    for g in geoms:
        rng = np.random.default_rng([seed, int(g.case[3:])])
        out = [simulate_selector(g, rng, config, seed=i) for i in range(n)]
        k = sum(o.opp_min is not None for o in out)
        nt = sum(o.verdict == "not_testable" for o in out)
        lengths = sorted({e.preictal_min for o in out for e in o.evidence if e.testable})
        named, total, untestable = named + k, total + n, untestable + nt
        print(f"{g.case:6} {g.reference_h:6.1f} {k:4d}/{n:<4d} {nt:9d}/{n:<4d} {lengths}", flush=True)
    lo, hi = clopper_pearson(named, total)
    tested = total - untestable
    lo_t, hi_t = clopper_pearson(named, tested) if tested else (float("nan"), float("nan"))
    print(f"\nnull patients named a length: {named}/{total} = {100 * named / total:.2f} % "
          f"(95 % CI {100 * lo:.2f}-{100 * hi:.2f} %); alpha {config.selector.alpha:g}")  # fmt: skip
    if tested:
        print(f"  of the {tested} with some length testable: {100 * named / tested:.2f} % "
              f"(95 % CI {100 * lo_t:.2f}-{100 * hi_t:.2f} %)")  # fmt: skip


def run_planted(geoms, config, n: int, seed: int, lift: float) -> None:
    rows = []
    for g in geoms:
        rng = np.random.default_rng([seed, int(g.case[3:]), 7])
        n_sz = len(g.onsets_s)
        for shape in SHAPES:
            for start in STARTS:
                for i in range(n):
                    o = simulate_selector(g, rng, config, start_min=start, shape=shape, lift=lift, seed=i)
                    rows.append((g.case, shape, str(start), start, o))
        for i in range(n):  # each seizure's change begins at its own length around a median of 30 min
            starts = list(np.clip(rng.normal(30.0, 15.0, n_sz), 10.0, 80.0))
            o = simulate_selector(g, rng, config, start_min=starts, shape="linear", lift=lift, seed=i)
            rows.append((g.case, "linear", "jitter 30+-15", float(np.median(starts)), o))
    print(f"{'shape':14} {'start':>14} {'opp':>6} {'no change':>10} {'not testable':>13} {'interval covers':>16} "
          f"{'open-ended':>10}")  # fmt: skip
    keys = sorted({(r[1], r[2]) for r in rows}, key=lambda x: (SHAPES.index(x[0]), x[1]))
    all_opp = all_cov = 0
    for shape, label in keys:
        sel = [r for r in rows if r[1] == shape and r[2] == label]
        v = [r[4].verdict for r in sel]
        cov = [covers(r[4].interval, r[3]) for r in sel if r[4].verdict == "opp"]
        open_ended = sum(r[4].interval[1] is None for r in sel if r[4].verdict == "opp")
        all_opp, all_cov = all_opp + len(cov), all_cov + sum(cov)
        pct = f"{sum(cov)}/{len(cov)} ({100 * sum(cov) / len(cov):.0f} %)" if cov else "n/a"
        print(f"{shape:14} {label:>14} {v.count('opp'):6d} {v.count('no_change'):10d} "
              f"{v.count('not_testable'):13d} {pct:>16} {open_ended:10d}", flush=True)  # fmt: skip
    if all_opp:
        lo, hi = clopper_pearson(all_cov, all_opp)
        print(f"\ninterval contains the true start in {all_cov}/{all_opp} = {100 * all_cov / all_opp:.1f} % of "
              f"'opp' verdicts (95 % CI {100 * lo:.1f}-{100 * hi:.1f} %)")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("null", "planted"), default="null")
    parser.add_argument("--n", type=int, default=200, help="Simulated patients per case (per setting: planted).")
    parser.add_argument("--cases", default="paper", help="'paper' (the paper's 19), 'all' (every eligible case) "
                        "or a comma-separated list.")  # fmt: skip
    parser.add_argument("--config", default=str(ROOT / "experiments" / "paper.toml"))
    parser.add_argument("--n-null", type=int, default=2000, help="Monte Carlo draws of the selector's null.")
    parser.add_argument("--lift", type=float, default=0.3, help="Output lift at onset of a planted change.")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    config = load_sweep_config(args.config)
    config = dataclasses.replace(config, selector=dataclasses.replace(config.selector, n_null=args.n_null))
    if args.cases == "paper":
        cases = list(PAPER_CASES)
    elif args.cases == "all":
        cases = [f"chb{i:02d}" for i in range(1, 25)]
    else:
        cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    t0 = time.perf_counter()
    geoms = []
    for case in cases:
        g = selector_geometry(load_manifest(case), config)
        if any(g.folds.values()):
            geoms.append(g)
    print(f"{len(geoms)} eligible case(s) of {len(cases)}; config {Path(args.config).name}; "
          f"n_null {args.n_null}\n")  # fmt: skip
    if args.mode == "null":
        run_null(geoms, config, args.n, args.seed)
    else:
        run_planted(geoms, config, args.n, args.seed, args.lift)
    print(f"\n{time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
