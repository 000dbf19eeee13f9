"""How often the OPP selector names a length on simulated null patients (its false-finding rate), per correction.

The null patients are the ones of ``tests/evaluation/test_opp.py`` (3 held-out seizures, 2-h records and 4.5 h of
reference EEG of model outputs that jump between states held for 20-90 min, as sleep and wakefulness, plus noise);
the selector is run with each correction for the lengths tried (``sequence``, the default, and ``holm``). A rate
near ``alpha`` is calibrated; the 95 % binomial interval for 300 patients at 5 % is 2.7-7.8 %.

Usage::

    python benchmarks/selector_calibration.py --n 300     # about 1 min
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import numpy as np

from seizurepred.evaluation.opp import select_opp
from seizurepred.evaluation.reference import ReferenceOutput

SIM = Path(__file__).resolve().parents[1] / "tests" / "evaluation" / "test_opp.py"


def _simulator():
    spec = importlib.util.spec_from_file_location("selector_sim", SIM)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="Simulated null patients per correction.")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    sim = _simulator()
    for correction in ("sequence", "holm"):
        rng, found = np.random.default_rng(args.seed), 0
        for i in range(args.n):
            records = {sid: sim._record(sid, sim._states(rng, sim.N_REC)) for sid in range(3)}
            refs = {sid: ReferenceOutput(np.arange(sim.N_REF) * sim.W, sim._states(rng, sim.N_REF),
                                         np.arange(sim.N_REF) // 1080, sim.W) for sid in range(3)}  # fmt: skip
            found += select_opp(sim._evidence(records, refs, seed=i, correction=correction))[0] is not None
        print(f"correction {correction}: a length named on {found}/{args.n} null patients "
              f"({100.0 * found / args.n:.1f} %; alpha 5 %)", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
