"""Library layers do not plot: no module of algorithms/, crossbar/, circuit/, devices/ or
stochastic/ imports matplotlib.

Plotting lives in experiments/ and reporting.py (issue 12). The check reads each module's
import statements (AST), including imports inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "thermolearn"
LIBRARY = ("algorithms", "crossbar", "circuit", "devices", "stochastic")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(
    "path",
    sorted(p for layer in LIBRARY for p in (SRC / layer).rglob("*.py")),
    ids=lambda p: str(p.relative_to(SRC)),
)
def test_library_module_does_not_import_matplotlib(path: Path) -> None:
    assert "matplotlib" not in _imports(path)
