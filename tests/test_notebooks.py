"""The notebooks in ``experiments/notebooks`` run: every code cell is executed in order, in a temporary folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "experiments" / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("SEIZUREPRED_NOTEBOOK_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    namespace: dict = {"__name__": "__notebook__"}
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            exec(compile(source, f"{path.name}[cell {i}]", "exec"), namespace)  # noqa: S102 - our own notebook
    assert (tmp_path / "run" / "report.md").is_file()
    assert namespace["result"].opp_min in (30, 15)


def test_there_is_a_notebook():
    assert NOTEBOOKS, "experiments/notebooks/ holds no notebook"
