"""Architecture as a checked contract (issue 12, docs/architecture.md).

* the import-linter layers contract of pyproject.toml holds (lint-imports exits 0);
* no import cycle between thermolearn's modules, counting every import (function-local and
  ``TYPE_CHECKING`` ones too);
* no module imports a private (underscore) name from another package.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PKG = SRC / "thermolearn"


def _modules() -> dict[str, Path]:
    out = {}
    for p in PKG.rglob("*.py"):
        name = ".".join(p.relative_to(SRC).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = p
    return out


def _imports(mods: dict[str, Path]) -> list[tuple[str, str, str | None, int]]:
    """(importer, imported module, imported name or None, line) for every thermolearn import."""
    out = []
    for m, p in mods.items():
        package = m if p.name == "__init__.py" else m.rpartition(".")[0]
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                out += [(m, a.name, None, node.lineno) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    head = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{head}.{base}" if base else head
                out += [(m, base, a.name, node.lineno) for a in node.names]
    return [x for x in out if x[1] == "thermolearn" or x[1].startswith("thermolearn.")]


def _resolve(name: str, mods: dict[str, Path]) -> str:
    while name and name not in mods:
        name = name.rpartition(".")[0]
    return name


def _graph(mods: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, mod, name, _ in _imports(mods):
        target = f"{mod}.{name}" if name and f"{mod}.{name}" in mods else mod
        dep = _resolve(target, mods)
        if dep and dep != m:
            graph[m].add(dep)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in graph:  # depth <= number of modules (~120): the default recursion limit suffices
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_between_modules() -> None:
    mods = _modules()
    assert len(mods) > 50
    assert _cycles(_graph(mods)) == []


def test_cycle_finder_finds_a_cycle() -> None:
    """The checker itself can fail: a two-module loop and a three-module loop are found."""
    g = {"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"e"}, "e": {"c"}, "f": {"a"}}
    assert sorted(_cycles(g)) == [["a", "b"], ["c", "d", "e"]]


def test_no_private_name_imported_from_another_package() -> None:
    mods = _modules()
    bad = []
    for m, mod, name, line in _imports(mods):
        if name is None or not name.startswith("_") or name.startswith("__"):
            continue
        owner = _resolve(mod, mods)
        same_pkg = owner.rpartition(".")[0] == m.rpartition(".")[0] or owner == m.rpartition(".")[0]
        if not same_pkg:
            bad.append(f"{m}:{line} imports {name} from {mod}")
    assert bad == []


def test_layers_contract_holds() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:  # the test extra installs import-linter; without it this is a set-up error
        pytest.fail("lint-imports is not installed: pip install -e '.[test]' (import-linter)")
    env = dict(os.environ, PYTHONPATH=str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [exe, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "KEPT" in proc.stdout and "BROKEN" not in proc.stdout
