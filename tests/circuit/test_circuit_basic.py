"""Circuit construction, validation and closed-form DC solutions (Python engine).

References: Ohm's and Kirchhoff's laws (closed forms computed by hand in each test);
tolerances 1e-12 relative unless stated.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from thermolearn.circuit import PWL, Circuit, Pulse, Sine, operating_point
from thermolearn.devices.selector import SelectorParams
from thermolearn.errors import ConvergenceError, NetlistError, ParameterError


def test_divider_closed_form() -> None:
    c = Circuit("divider")
    c.add_vsource("V1", "in", "0", dc=2.0)
    c.add_resistor("R1", "in", "out", 1e3)
    c.add_resistor("R2", "out", "gnd", 3e3)  # "gnd" is ground
    op = operating_point(c)
    assert op.v("out") == pytest.approx(1.5, rel=1e-12)
    # SPICE sign: the source delivers 0.5 mA, so its branch current is -0.5 mA
    assert op.i("V1") == pytest.approx(-0.5e-3, rel=1e-12)
    assert op.i("R1") == pytest.approx(0.5e-3, rel=1e-12)
    assert op.iterations == 0
    assert set(c.nodes) == {"0", "in", "out"}
    assert c.graph.number_of_edges() == 3


def test_controlled_sources_closed_form() -> None:
    """E, F, G, H and an I source, each checked against its defining equation."""
    c = Circuit("controlled")
    c.add_isource("I1", "0", "a", dc=1e-3)  # 1 mA into node a
    c.add_resistor("Ra", "a", "0", 2e3)  # V(a) = 2 V
    c.add_vcvs("E1", "e", "0", "a", "0", 3.0)  # V(e) = 6 V
    c.add_resistor("Re", "e", "s", 1e3)
    c.add_vsource("Vs", "s", "0", dc=0.0)  # senses 6 mA
    c.add_cccs("F1", "0", "f", "Vs", 2.0)  # 12 mA into f
    c.add_resistor("Rf", "f", "0", 100.0)  # V(f) = 1.2 V
    c.add_ccvs("H1", "h", "0", "Vs", 50.0)  # V(h) = 0.3 V
    c.add_resistor("Rh", "h", "0", 1e3)
    c.add_vccs("G1", "0", "g", "a", "0", 1e-3)  # 2 mA into g
    c.add_resistor("Rg", "g", "0", 500.0)  # V(g) = 1 V
    c.add_inductor("L1", "g", "gl", 1e-3)  # DC short
    c.add_resistor("Rgl", "gl", "0", 1e9)
    c.add_capacitor("C1", "a", "0", 1e-9)  # DC open
    op = operating_point(c)
    assert op.v("a") == pytest.approx(2.0, rel=1e-12)
    assert op.v("e") == pytest.approx(6.0, rel=1e-12)
    assert op.i("Vs") == pytest.approx(6e-3, rel=1e-12)
    assert op.v("f") == pytest.approx(1.2, rel=1e-12)
    assert op.v("h") == pytest.approx(0.3, rel=1e-12)
    assert op.v("gl") == pytest.approx(op.v("g"), rel=1e-12)
    assert op.v("g") == pytest.approx(2e-3 / (1 / 500 + 1e-9), rel=1e-12)
    assert op.i("C1") == 0.0


def test_selector_and_switch() -> None:
    """1S1R: selector I = i0 sinh(V/v0) in series with a resistor (solve by bisection)."""
    sp = SelectorParams(i0=1e-6, v0=0.1)
    c = Circuit("1s1r")
    c.add_vsource("V1", "in", "0", dc=1.0)
    c.add_switch("S1", "in", "a", r_on=1e3, r_off=1e9, closed=True)
    c.add_selector("Y1", "a", "b", sp)
    c.add_resistor("R1", "b", "0", 1e4)
    op = operating_point(c)
    lo, hi = 0.0, 1.0  # selector voltage vs, f(vs) = I_sel(vs) - (1 - vs)/(R_on + R) = 0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if sp.current(mid) - (1.0 - mid) / 1.1e4 > 0:
            hi = mid
        else:
            lo = mid
    assert op.v("a") - op.v("b") == pytest.approx(lo, abs=1e-12)
    assert op.residual < 1e-15
    c.set_switch("S1", closed=False)
    op2 = operating_point(c)
    assert abs(op2.i("R1")) < 1e-9


def test_waveforms() -> None:
    p = Pulse(v1=0.0, v2=1.0, td=1.0, tr=1.0, tf=1.0, pw=2.0, per=10.0)
    t = np.array([0.0, 1.5, 2.5, 4.5, 5.5, 11.5])
    np.testing.assert_allclose(p.value(t), [0, 0.5, 1, 0.5, 0, 0.5])
    assert p.spice() == "PULSE(0 1 1 1 1 2 10)"
    s = Sine(vo=1.0, va=2.0, freq=0.25)
    assert float(s.value(1.0)) == pytest.approx(3.0)
    w = PWL(times=(0.0, 1.0), values=(0.0, 2.0))
    assert float(w.value(0.25)) == pytest.approx(0.5)
    with pytest.raises(ParameterError, match="per"):
        Pulse(tr=1.0, pw=1.0, per=1.5)
    with pytest.raises(ParameterError, match="increasing"):
        PWL(times=(1.0, 0.5), values=(0.0, 1.0))


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda c: c.add_resistor("R1", "a", "0", -1.0), "'r' parameter of R1"),
        (lambda c: c.add_resistor("R1", "a b", "0", 1.0), "node"),
        (lambda c: c.add_resistor("bad name", "a", "0", 1.0), "names"),
        (lambda c: c.add_capacitor("C1", "a", "0", 0.0), "'c' parameter"),
        (lambda c: c.add_vsource("V1", "a", "0", dc=math.nan), "finite"),
        (lambda c: c.add_selector("Y1", "a", "0", params=3), "SelectorParams"),
        (lambda c: c.add_memristor("M1", "a", "0", model=None, x0=0.5), "MemristorModel"),
    ],
)
def test_bad_parameters_raise(build, match) -> None:  # type: ignore[no-untyped-def]
    c = Circuit()
    with pytest.raises(ParameterError, match=match):
        build(c)


def test_duplicate_names_case_insensitive() -> None:
    c = Circuit()
    c.add_resistor("R1", "a", "0", 1.0)
    with pytest.raises(ParameterError, match="already has an element"):
        c.add_resistor("r1", "a", "0", 2.0)


def test_unknown_controlling_source() -> None:
    c = Circuit()
    c.add_resistor("R1", "a", "0", 1.0)
    c.add_cccs("F1", "a", "0", "Vnope", 1.0)
    with pytest.raises(NetlistError, match="Vnope"):
        operating_point(c)


def test_floating_node_named() -> None:
    c = Circuit()
    c.add_vsource("V1", "a", "0", dc=1.0)
    c.add_resistor("R1", "a", "b", 1.0)
    c.add_capacitor("C1", "b", "island", 1e-12)
    c.add_resistor("R2", "island", "island2", 1.0)
    with pytest.raises(NetlistError, match="'island'"):
        operating_point(c)


def test_current_source_cutset_named() -> None:
    c = Circuit()
    c.add_isource("I1", "0", "x", dc=1e-3)
    with pytest.raises(NetlistError, match="'x'.*no DC path"):
        operating_point(c)


def test_voltage_source_loop_named() -> None:
    c = Circuit()
    c.add_vsource("V1", "a", "0", dc=1.0)
    c.add_vsource("V2", "a", "0", dc=2.0)
    c.add_resistor("R1", "a", "0", 1.0)
    with pytest.raises(NetlistError, match="V2.*loop"):
        operating_point(c)


def test_newton_failure_reports_residual_and_node() -> None:
    """1 mA forced into a reverse-biased selector-free node: no DC solution exists.

    A B source sinks at most 1 uA (bounded tanh), so KCL at node 'x' cannot be satisfied.
    """
    c = Circuit()
    c.add_isource("I1", "0", "x", dc=1e-3)
    c.add_bsource("B1", "x", "0", "1u*tanh(V(x))", mode="i")
    with pytest.raises(ConvergenceError) as info:
        operating_point(c)
    assert info.value.worst_node == "x"
    assert info.value.residual is not None and info.value.residual > 1e-4
