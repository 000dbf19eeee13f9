"""``bench_opp.py --geometry real``: the OPP selector on synthetic patients with each real case's geometry, trained.

For every chosen case of the paper's 19 (``--cases``; default all), ``--per-case`` patients are written with
``seizurepred.synth.synth_like`` (the case's files, clock times, gaps, channel lists and seizures; only the signal
is synthetic), cached and swept over 60/45/30/15 min with the fast CPU config of ``bench_opp.py`` and the paper's
labels (``experiments/paper.toml``'s ``[label]``; the reference hold-out of ``[reference]``). The first patient
of each case is a null patient (no signature); the others cycle through planted changes: on the grid (15/30/45/60
min) and off it (20/40/90), with onset shapes linear, raised cosine (slow start) and step, and a population whose
seizures each begin at their own length (30 +- 15 min). Focal signatures of strength 1.

Pass criteria, written before the run (README, "The OPP on real patients' geometry"): null patients named a length
in <= 5 %; on planted patients that are testable, the reported interval (``opp_interval_min``) contains the true
start (the median of the seizures' starts) in >= 90 %; the not-testable ones are counted and listed.
"""

from __future__ import annotations

import dataclasses
import shutil
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from seizurepred.cache.patient import prepare_patient
from seizurepred.io.manifest import load_manifest
from seizurepred.labels.segments import LabelConfig
from seizurepred.reporting.runner import run_sweep
from seizurepred.synth.like import synth_like

STARTS = (15, 30, 45, 60, 20, 40, 90)
SHAPES = ("linear", "raised_cosine", "step")
COMBOS: tuple[tuple[str, str], ...] = tuple((str(s), sh) for sh in SHAPES for s in STARTS) + (("jitter", "linear"),)


@dataclass(frozen=True)
class RealCase:
    """One benchmark patient in a real case's geometry."""

    name: str
    like: str
    start: str | None  # minutes as text, "jitter", or None (null patient)
    shape: str
    seed: int


def population(cases: list[str], per_case: int, population_seed: int = 0) -> list[RealCase]:
    """A null patient per case, then planted ones cycling through :data:`COMBOS` across the cases."""
    out, k = [], 0
    for ci, case in enumerate(cases):
        seed = 10_000 + 1000 * population_seed + 10 * ci
        out.append(RealCase(f"{case}-null", case, None, "linear", seed))
        for j in range(1, per_case):
            start, shape = COMBOS[k % len(COMBOS)]
            k += 1
            out.append(RealCase(f"{case}-{shape}-{start}", case, start, shape, seed + j))
    return out


def sweep_config(fast_config):
    """The fast config of ``bench_opp.py`` with the paper's labels (real cases are long enough for them)."""
    return dataclasses.replace(fast_config, label=LabelConfig())


def run_case(case: RealCase, fast_config, work: Path) -> dict:
    """Write, cache and sweep one patient; return the selector's verdict, OPP, interval and the planted truth."""
    root = work / case.name
    shutil.rmtree(root, ignore_errors=True)
    t0 = time.perf_counter()
    kw = dict(signature="focal", strength=1.0, seed=case.seed, onset_shape=case.shape)
    if case.start is None:
        kw["signature"] = "none"
    elif case.start == "jitter":
        kw.update(preictal_min=30.0, preictal_jitter_min=15.0)
    else:
        kw["preictal_min"] = float(case.start)
    truth = synth_like(case.like, root / "data", n_jobs=2, **kw)
    patient = prepare_patient(case.like, data_root=root / "data", cache_dir=root / "cache", n_jobs=2)
    result = run_sweep(patient, config=sweep_config(fast_config), out_dir=root / "run")
    starts = [s.preictal_min for s in truth.seizures if getattr(s, "preictal_min", None) is not None]
    planted = None if case.start is None else float(statistics.median(starts) if starts else float(case.start))
    shutil.rmtree(root, ignore_errors=True)
    return {
        "case": case.name,
        "like": case.like,
        "shape": case.shape,
        "start": case.start,
        "planted_min": planted,
        "selector": result.opp_min,
        "verdict": result.opp_verdict,
        "interval": result.opp_interval_min,
        "reason": result.opp_verdict_reason,
        "testable": sorted(e["preictal_min"] for e in result.opp_evidence if e.get("testable")),
        "seconds": round(time.perf_counter() - t0, 1),
    }


def covers(interval, start: float) -> bool:
    """Whether ``(lo, hi]`` (``hi`` None: unbounded) contains ``start``."""
    if not interval:
        return False
    lo, hi = interval
    return start > lo and (hi is None or start <= hi)


def summary(outcomes: list[dict]) -> str:
    """Null false findings, verdicts and the interval's coverage."""
    null = [o for o in outcomes if o["planted_min"] is None]
    sig = [o for o in outcomes if o["planted_min"] is not None]
    testable = [o for o in sig if o["verdict"] != "not_testable"]
    found = [o for o in sig if o["verdict"] == "opp"]
    cov = [covers(o["interval"], o["planted_min"]) for o in found]
    lines = [
        f"null patients named a length: {sum(o['selector'] is not None for o in null)}/{len(null)} "
        f"(not testable: {sum(o['verdict'] == 'not_testable' for o in null)})",
        f"planted patients: {len(sig)}; verdict opp {len(found)}, no_change "
        f"{sum(o['verdict'] == 'no_change' for o in sig)}, not_testable {len(sig) - len(testable)}",
        f"interval contains the true start: {sum(cov)}/{len(found)} of 'opp' verdicts; "
        f"{sum(cov)}/{len(testable)} of the testable planted patients (no_change counts as a miss)",
        "",
        "| patient | planted | verdict | OPP | interval | testable lengths |",
        "|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        lines.append(f"| {o['case']} | {o['planted_min']} | {o['verdict']} | {o['selector']} | {o['interval']} | "
                     f"{o['testable']} |")  # fmt: skip
    not_testable = [o["case"] for o in outcomes if o["verdict"] == "not_testable"]
    lines += ["", f"not testable: {', '.join(not_testable) or 'none'}"]
    return "\n".join(lines)


def case_hours(case: str) -> float:
    """Recorded hours of a real case (committed manifest)."""
    return load_manifest(case).total_hours
