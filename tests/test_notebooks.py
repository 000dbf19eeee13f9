"""The notebooks in ``experiments/notebooks`` run: every code cell is executed in order, in a temporary folder.

Each notebook makes its own small synthetic patient there (``SEIZUREPRED_NOTEBOOK_DIR``); what it must leave
behind is checked per notebook.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "experiments" / "notebooks").glob("*.ipynb"))
PNG = b"\x89PNG\r\n\x1a\n"


def _quickstart(work: Path, ns: dict) -> None:
    work = work / "quickstart"  # each notebook writes to its own folder
    assert ns["WORK"] == work and (work / "run" / "report.md").is_file()
    assert {"report.md", "summary.json"} <= set(ns["written"])
    assert {r["preictal_min"] for r in ns["result"].pooled} == {30, 15}


def _patient_analysis(work: Path, ns: dict) -> None:
    work = work / "patient_analysis"
    run = ns["run"]
    assert (run.result.opp_verdict, run.result.opp_min) == ("opp", 30)  # the planted answer
    assert run.out_dir == work / "run"
    assert run.synthetic is True and run.data_note.startswith("Synthetic patient")
    assert {f.preictal_min for f in run.result.folds} == {30, 15}
    for name in ("recordings", "labels", "continuous", "roc", "alarms", "opp_evidence"):
        assert (work / "figures" / f"{name}.png").read_bytes()[:8] == PNG, name
    # the run folder the sweep wrote holds the same figures, titled as synthetic data
    for name in ("continuous", "roc", "alarms", "opp_evidence"):
        assert (work / "run" / f"{name}.png").is_file(), name


CHECKS = {"quickstart": _quickstart, "patient_analysis": _patient_analysis}


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("SEIZUREPRED_NOTEBOOK_DIR", str(tmp_path))
    monkeypatch.delenv("SEIZUREPRED_RUN_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    namespace: dict = {"__name__": "__notebook__"}
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            exec(compile(source, f"{path.name}[cell {i}]", "exec"), namespace)  # noqa: S102 - our own notebook
    CHECKS[path.stem](tmp_path, namespace)


def test_there_is_a_notebook():
    assert NOTEBOOKS, "experiments/notebooks/ holds no notebook"


def test_every_notebook_has_its_checks():
    assert {p.stem for p in NOTEBOOKS} == set(CHECKS)
