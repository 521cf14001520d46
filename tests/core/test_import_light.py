"""`import thermolearn` must not import PySpice, matplotlib, dask or torch (STYLE.md)."""

from __future__ import annotations

import subprocess
import sys


def test_import_is_light() -> None:
    code = (
        "import sys, thermolearn, thermolearn.cli\n"
        "import thermolearn.devices, thermolearn.crossbar, thermolearn.algorithms\n"
        "heavy = [m for m in ('PySpice', 'matplotlib', 'dask', 'distributed', 'torch', 'pyamg',"
        " 'pypardiso')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"heavy modules imported: {out.stdout.strip()}"


def test_cli_help_lists_commands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "thermolearn.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "COMMAND" in out.stdout
