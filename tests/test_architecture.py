"""The package's shape: folders by pipeline stage, no import cycle, no module over 500 lines, a lean root."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "seizurepred"

#: What the package root may hold: entry points and shared basics.
ROOT_MODULES = {"__init__", "_atomic", "_json", "_progress", "_validate", "_version", "config", "errors"}
STAGES = {"io", "cache", "labels", "windows", "models", "training", "evaluation", "sweep", "reporting", "synth", "cli"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG.parent).with_suffix("")
        name = ".".join(rel.parts)
        out[name.removesuffix(".__init__")] = path
    return out


def _top_level_imports(path: Path) -> set[str]:
    """Modules imported at module level (lazy imports inside functions are the way to break a cycle)."""
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return {m for m in found if m.startswith("seizurepred")}


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {name: {m for m in _top_level_imports(path) if m in mods and m != name} for name, path in mods.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m) :] + [m]
            if m not in state and (found := visit(m)):
                return found
        state[n] = 2
        stack.pop()
        return None

    for n in sorted(graph):
        if n not in state and (found := visit(n)):
            return found
    return None


def test_no_module_import_cycle():
    assert _cycle(_graph()) is None


def test_no_cycle_between_stages():
    """Stages depend one way (e.g. the sweep never imports the run store; reporting depends on the sweep)."""
    stage_graph: dict[str, set[str]] = defaultdict(set)
    for name, deps in _graph().items():
        parts = name.split(".")
        if len(parts) < 3 or parts[1] not in STAGES:
            continue
        for dep in deps:
            dparts = dep.split(".")
            if len(dparts) >= 2 and dparts[1] in STAGES and dparts[1] != parts[1]:
                stage_graph[parts[1]].add(dparts[1])
    assert _cycle(stage_graph) is None, dict(stage_graph)
    assert "reporting" not in stage_graph["sweep"]  # the sweep writes no file


def test_no_module_over_500_lines():
    long = {str(p.relative_to(PKG)): n for p in PKG.rglob("*.py") if (n := len(p.read_text().splitlines())) > 500}
    assert long == {}


def test_root_holds_only_entry_points_and_shared_basics():
    root = {p.stem for p in PKG.glob("*.py")}
    assert root <= ROOT_MODULES, root - ROOT_MODULES
    folders = {p.name for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert folders == STAGES
