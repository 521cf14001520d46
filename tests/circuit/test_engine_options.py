"""One engine interface: each engine checks its own options (issue 12).

Reference: the option tables of :mod:`thermolearn.circuit.engines`. Before issue 12,
``transient(..., engine="ngspice", method="be", uic=True)`` silently ran ngspice's trapezoidal
rule and unknown options were swallowed by ``**_ignored``; now both engines raise
``ParameterError`` naming the option.
"""

from __future__ import annotations

import numpy as np
import pytest

from thermolearn.circuit import Circuit, NewtonOptions, get_engine, operating_point, transient
from thermolearn.circuit.mna.compile import compiled
from thermolearn.devices import presets
from thermolearn.errors import ParameterError


def _rc() -> Circuit:
    c = Circuit("rc")
    c.add_vsource("V1", "in", "0", dc=1.0)
    c.add_resistor("R1", "in", "out", 1e3)
    c.add_capacitor("C1", "out", "0", 1e-9, ic=0.0)
    return c


@pytest.mark.parametrize("engine", ["python", "ngspice"])
def test_unknown_transient_option_raises_naming_it(engine: str) -> None:
    with pytest.raises(ParameterError, match=r"'uci' option is not an option of the "):
        transient(_rc(), 1e-6, 1e-8, engine=engine, uci=True)


@pytest.mark.parametrize("engine", ["python", "ngspice"])
def test_unknown_operating_point_option_raises_naming_it(engine: str) -> None:
    with pytest.raises(ParameterError, match=rf"'gmin' option is not an option of the {engine}"):
        operating_point(_rc(), engine=engine, gmin=1e-12)


def test_python_only_options_raise_on_ngspice() -> None:
    for key, value in (("reltol", 1e-4), ("vabstol", 1e-7), ("max_step", 1e-8)):
        with pytest.raises(ParameterError, match=rf"'{key}' option .* ngspice engine"):
            transient(_rc(), 1e-6, 1e-8, engine="ngspice", **{key: value})
    with pytest.raises(ParameterError, match=r"'initial' option .* ngspice engine"):
        operating_point(_rc(), engine="ngspice", initial={"out": 0.5})


def test_ngspice_refuses_backward_euler_and_fixed_step() -> None:
    """The issue's example: method='be' on ngspice used to run trapezoidal silently."""
    with pytest.raises(ParameterError, match=r"'method' option of the ngspice .* got 'be'"):
        transient(_rc(), 1e-6, 1e-8, engine="ngspice", method="be", uic=True)
    with pytest.raises(ParameterError, match=r"'adaptive' option of the ngspice .* got False"):
        transient(_rc(), 1e-6, 1e-8, engine="ngspice", adaptive=False)


def test_option_types_are_checked_per_engine() -> None:
    with pytest.raises(ParameterError, match=r"'options' option of the python engine"):
        operating_point(_rc(), engine="python", options=".options reltol=1e-9")
    with pytest.raises(ParameterError, match=r"'options' option of the ngspice engine"):
        operating_point(_rc(), engine="ngspice", options=NewtonOptions())
    with pytest.raises(ParameterError, match=r"'method' parameter of transient"):
        transient(_rc(), 1e-6, 1e-8, engine="python", method="gear")


def test_engine_option_sets_are_the_documented_ones() -> None:
    assert get_engine("python").tran_options == {
        "method", "adaptive", "uic", "reltol", "vabstol", "max_step", "options"
    }
    assert get_engine("ngspice").tran_options == {"method", "adaptive", "uic", "options"}
    assert get_engine("ngspice").op_options == {"options"}


def test_valid_python_options_still_run() -> None:
    """RC charging from 0 V (uic): v(out) = 1 - exp(-t/RC); trapezoidal, 1e-3 relative."""
    tr = transient(_rc(), 2e-6, 1e-8, engine="python", method="trap", uic=True)
    expect = 1.0 - np.exp(-tr.time / 1e-6)
    np.testing.assert_allclose(tr.v("out"), expect, rtol=0, atol=1e-3)


@pytest.mark.ngspice
def test_valid_ngspice_options_run_and_leave_the_compiled_circuit_alone() -> None:
    """ngspice 'trap' with uic on an RC + memristor: RC matches 1 - exp(-t/RC) to 1e-3 V.

    The ngspice engine reads MNA's compiled index arrays to compute element currents; it must
    not change them (before issue 12 it swapped the memristor states inside them).
    """
    c = _rc()
    c.add_vsource("V2", "m", "0", dc=0.5)
    model = presets.yakopcic2013()  # nonlinear I-V: a compiled Newton group with bound states
    lo, hi = model.state_bounds
    c.add_memristor("M1", "m", "0", model, x0=lo + 0.3 * (hi - lo))
    comp = compiled(c)
    assert len(comp.mem_nl) == 1
    groups_before = [(g.names, np.array(g.x, copy=True), g.current) for g in comp.mem_nl]
    tr = transient(c, 2e-6, 1e-8, engine="ngspice", method="trap", adaptive=True, uic=True)
    assert tr.method == "trap"
    np.testing.assert_allclose(tr.v("out"), 1.0 - np.exp(-tr.time / 1e-6), rtol=0, atol=1e-3)
    assert compiled(c) is comp
    for (names, x, fn), g in zip(groups_before, comp.mem_nl, strict=True):
        assert g.names == names and g.current is fn
        np.testing.assert_array_equal(g.x, x)


@pytest.mark.parametrize("engine", ["python", "ngspice"])
@pytest.mark.parametrize("flag,value", [("uic", "false"), ("uic", "no"), ("adaptive", "no")])
def test_boolean_options_refuse_strings(engine: str, flag: str, value: str) -> None:
    """A string is truthy: uic="false" used to switch UIC on silently (review of issue 12)."""
    with pytest.raises(ParameterError, match=rf"'{flag}' option of the {engine} engine"):
        transient(_rc(), 1e-6, 1e-8, engine=engine, **{flag: value})
