"""`import thermolearn` is light and its few public names load lazily (STYLE.md, issue 12)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("PySpice", "matplotlib", "dask", "distributed", "torch", "pyamg", "pypardiso")


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_import_is_light() -> None:
    """Bare import: not even networkx or scipy (the circuit stack loads on first use)."""
    code = (
        "import sys, thermolearn\n"
        "mods = {m.split('.')[0] for m in sys.modules}\n"
        f"print(','.join(sorted(mods & set({HEAVY!r} + ('networkx', 'scipy', 'sklearn')))))\n"
    )
    assert _run(code) == ""


def test_subpackages_and_cli_stay_light() -> None:
    code = (
        "import sys, thermolearn, thermolearn.cli\n"
        "import thermolearn.devices, thermolearn.circuit, thermolearn.crossbar\n"
        "import thermolearn.algorithms, thermolearn.hardware\n"
        "mods = {m.split('.')[0] for m in sys.modules}\n"
        f"print(','.join(sorted(mods & set({HEAVY!r}))))\n"
    )
    assert _run(code) == ""


def test_public_names_are_lazy_and_resolve() -> None:
    """Each public name is the object of its defining module; using them loads no heavy dep."""
    code = (
        "import sys, thermolearn as tl\n"
        "assert 'thermolearn.circuit' not in sys.modules\n"
        "from thermolearn.circuit import Circuit, operating_point, transient\n"
        "from thermolearn.crossbar.array import CrossbarArray\n"
        "from thermolearn.hardware import Hardware\n"
        "from thermolearn.experiments.ep_train import run_training, default_config\n"
        "from thermolearn.energy import EnergyLedger\n"
        "assert tl.Circuit is Circuit and tl.operating_point is operating_point\n"
        "assert tl.transient is transient and tl.CrossbarArray is CrossbarArray\n"
        "assert tl.Hardware is Hardware and tl.run_training is run_training\n"
        "assert tl.default_config is default_config and tl.EnergyLedger is EnergyLedger\n"
        "assert set(tl.__all__) <= set(dir(tl))\n"
        "c = tl.Circuit('d'); c.add_vsource('V1', 'a', '0', dc=2.0)\n"
        "c.add_resistor('R1', 'a', 'b', 1e3); c.add_resistor('R2', 'b', '0', 1e3)\n"
        "assert abs(tl.operating_point(c).v('b') - 1.0) < 1e-12\n"
        "mods = {m.split('.')[0] for m in sys.modules}\n"
        f"print(','.join(sorted(mods & set({HEAVY!r}))))\n"
    )
    assert _run(code) == ""


def test_unknown_name_raises_attribute_error() -> None:
    import pytest

    import thermolearn

    with pytest.raises(AttributeError, match="has no attribute 'Circuitt'"):
        _ = thermolearn.Circuitt  # type: ignore[attr-defined]


def test_cli_help_lists_commands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "thermolearn.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "COMMAND" in out.stdout
