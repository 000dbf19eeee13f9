"""The OPP recovery benchmark, in its 2-patient CI version: one signature patient and one null patient.

``python benchmarks/bench_opp.py --mode fast --only 2`` sweeps a focal-signature patient (planted at 15 min) and a
null patient with the fast CPU config: the selector must give the planted length on the first and "no preictal
period found" on the second; the table must report every criterion.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_opp.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_opp", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_opp", module)  # its dataclasses resolve their annotations through it
    spec.loader.exec_module(sys.modules["bench_opp"])
    return sys.modules["bench_opp"]


def test_population_covers_every_kind_length_and_strength():
    bench = _bench()
    cases = bench.population("fast")
    sig = [c for c in cases if c.planted_min is not None]
    assert len(sig) == 24 and len(cases) - len(sig) == 20
    assert {(c.kind, c.planted_min, c.strength_name) for c in sig} == {
        (k, length, s) for k in bench.KINDS for length in bench.LENGTHS for s in ("strong", "moderate")
    }
    assert len({c.seed for c in cases}) == len(cases)
    # another population has the same design and none of the seeds
    other = bench.population("fast", population_seed=1)
    assert [(c.name, c.kind, c.planted_min, c.strength) for c in other] == [
        (c.name, c.kind, c.planted_min, c.strength) for c in cases
    ]
    assert not {c.seed for c in other} & {c.seed for c in cases}


@pytest.mark.slow
def test_two_patient_benchmark_recovers_the_planted_length_and_finds_nothing_on_a_null(tmp_path, capsys):
    bench = _bench()
    assert bench.main(["--mode", "fast", "--only", "2", "--keep-runs", "--out", str(tmp_path)]) == 0
    outcomes = {p.stem: json.loads(p.read_text()) for p in tmp_path.glob("*.json")}
    sig, null = outcomes["focal-strong-15"], outcomes["null-0"]
    assert sig["selector"] == sig["planted_min"] == 15
    assert null["selector"] is None and null["planted_min"] is None
    table = capsys.readouterr().out
    assert "| selector | 1/1 (100 %) |" in table and "paper CIOPR rounded/sustained/run_centre/koutsouvelis_r1" in table
    rows = table.rstrip().splitlines()
    assert rows[-2].startswith("| auc |") and rows[-1] == "Selector missed: none"
    # --rescore re-applies every criterion to the kept fold outputs, without training: the same outcomes
    assert {p.name for p in (tmp_path / "runs").iterdir()} == {"focal-strong-15", "null-0"}
    before = {p.name: p.read_text() for p in tmp_path.glob("*.json")}
    assert bench.main(["--mode", "fast", "--only", "2", "--rescore", "--out", str(tmp_path)]) == 0
    assert {p.name: p.read_text() for p in tmp_path.glob("*.json")} == before
    assert capsys.readouterr().out.splitlines()[1:] == table.splitlines()[1:]
