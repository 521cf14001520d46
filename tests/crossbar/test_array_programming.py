"""Programming schemes: V/2 and V/3 biasing, half-select disturb through VTEAM, write-verify."""

from __future__ import annotations

import numpy as np
import pytest

from thermolearn.crossbar import CrossbarArray
from thermolearn.crossbar.programming import apply_pulse, scheme_biases, write_verify
from thermolearn.devices import VTEAM
from thermolearn.errors import ParameterError


def _vteam_array(m: int = 3, n: int = 3, **kw: object) -> CrossbarArray:
    # VTEAM defaults: R 50..1000 ohm, thresholds -0.3 / +0.3 V; reads at 0.1 V never disturb
    xb = CrossbarArray(
        m,
        n,
        device=VTEAM(),
        g_min=1e-3,
        g_max=2e-2,
        v_read=0.1,
        **kw,  # type: ignore[arg-type]
    )
    xb.program_conductances(np.full((m, n), 5e-3), verify=False)
    return xb


def test_scheme_biases_half_select_voltages() -> None:
    """V/2: half-selected cells at V/2, others 0; V/3: half-selected V/3, others -V/3."""
    for scheme, half, other in (("v/2", 0.5, 0.0), ("v/3", 1 / 3, -1 / 3)):
        ur, uc, _, _ = scheme_biases(3, 4, 1, 2, 1.2, scheme)
        vcell = ur[:, None] - uc[None, :]
        assert vcell[1, 2] == pytest.approx(1.2)
        assert vcell[1, 0] == pytest.approx(half * 1.2)
        assert vcell[0, 2] == pytest.approx(half * 1.2)
        assert vcell[0, 0] == pytest.approx(other * 1.2)


def test_v2_half_selected_threshold_device_not_disturbed() -> None:
    """VTEAM below threshold has dx/dt = 0 exactly (Kvatinsky 2015): V/2 at 0.5 V (0.25 V <
    0.3 V) moves only the selected cell; energy = Σ G V² t within 1 % (ideal wires)."""
    xb = _vteam_array()
    x0 = xb.state.copy()
    g0 = xb.conductances
    xb.ledger.clear()
    res = apply_pulse(xb, 1, 1, 0.5, 1e-7, scheme="v/2")
    moved = xb.state != x0
    assert moved[1, 1] and np.count_nonzero(moved) == 1
    assert np.max(res.v_cell_max[1, :]) == pytest.approx(0.5)
    assert res.v_cell_max[0, 1] == pytest.approx(0.25)
    vcell = np.full((3, 3), 0.0)
    vcell[1, :] = 0.25
    vcell[:, 1] = 0.25
    vcell[1, 1] = 0.5
    expected = float(np.sum(g0 * vcell**2)) * 1e-7
    assert xb.ledger.breakdown()["program"] == pytest.approx(expected, rel=0.01)


def test_v2_above_threshold_disturbs_but_v3_does_not() -> None:
    """At 0.8 V, V/2 puts 0.4 V (> 0.3 V threshold) on half-selected cells: they drift; V/3
    puts 0.267 V: they do not."""
    xb = _vteam_array()
    x0 = xb.state.copy()
    apply_pulse(xb, 0, 0, 0.8, 5e-6, scheme="v/2")
    assert xb.state[0, 1] != x0[0, 1] and xb.state[1, 0] != x0[1, 0]
    assert xb.state[1, 1] == x0[1, 1]
    xb = _vteam_array()
    x0 = xb.state.copy()
    apply_pulse(xb, 0, 0, 0.8, 5e-6, scheme="v/3")
    moved = xb.state != x0
    assert moved[0, 0] and np.count_nonzero(moved) == 1


def test_line_resistance_lowers_selected_voltage() -> None:
    """With wire resistance the selected cell sees less than V_p (IR drop)."""
    xb = _vteam_array(4, 4, r_wire=5.0)
    res = apply_pulse(xb, 3, 3, 0.5, 1e-9, scheme="v/2", substeps=1)
    assert 0.3 < res.v_cell_max[3, 3] < 0.5


def test_write_verify_reaches_targets() -> None:
    """Write-verify (Alibart 2012) brings every cell within 2 % without disturbing others
    (V/3 keeps half-selected cells below the VTEAM threshold)."""
    xb = _vteam_array(2, 2)
    targets = np.array([[3e-3, 8e-3], [1.5e-3, 1.2e-2]])
    res = write_verify(xb, targets, v_set=-0.8, v_reset=0.8, width=2e-6, scheme="v/3", rtol=0.02)
    assert np.all(res.converged)
    np.testing.assert_allclose(res.conductances, targets, rtol=0.02)
    assert np.all(res.disturb == 0.0)
    assert res.energy > 0 and xb.ledger.breakdown()["program"] >= res.energy * 0.999


def test_programming_bad_input() -> None:
    xb = _vteam_array(2, 2)
    with pytest.raises(ParameterError):
        apply_pulse(xb, 2, 0, 0.5, 1e-6)
    with pytest.raises(ParameterError):
        apply_pulse(xb, 0, 0, 0.5, 1e-6, scheme="v/4")
    with pytest.raises(ParameterError):
        write_verify(xb, np.ones((3, 3)))


def test_pulse_energy_of_a_nonlinear_device_uses_its_iv_at_the_pulse() -> None:
    """A sinh-I-V device (Stanford-PKU) programmed at 0.5 V conducts sinh(2)/0.5 / (sinh(0.8)/0.2)
    = 1.63x more than its chord conductance at v_read = 0.2 V: the booked pulse energy must be
    the device's own ∫V·I dt. Reference: thermolearn.devices.program (RK4 of the same pulse,
    ideal wires, one cell, so the cell sees exactly V_p); tolerance 2 % (the reference's
    ideal edges are ramps of 1e-3 of the width; 20 sub-steps of the array's state update).
    """
    from thermolearn.devices import Pulse, StanfordPKU, program

    dev = StanfordPKU()
    xb = CrossbarArray(1, 1, device=dev, g_min=1e-5, g_max=1e-3)
    xb.program_conductances(np.array([[1e-4]]), verify=False)
    x0 = xb.state.copy()
    res = apply_pulse(xb, 0, 0, 0.5, 10e-9, scheme="v/2", substeps=20, book=False)
    ref = program(dev, x0, Pulse(0.5, 10e-9))
    assert res.energy == pytest.approx(ref.total_energy, rel=0.02)
    assert res.state[0, 0] == pytest.approx(float(ref.x_new[0, 0]), rel=0.02)


def test_pulse_cell_voltage_of_a_nonlinear_device_behind_driver_resistance() -> None:
    """One Stanford-PKU cell behind two 200 ohm drivers (row and column): the cell voltage
    solves v + 2 R I(v, x) = V_p (Kirchhoff, solved by brentq); the chord fixed point of
    apply_pulse must reach it to 1e-6 V (pulse of 1 ps: the state does not move)."""
    from scipy.optimize import brentq

    from thermolearn.devices import StanfordPKU

    dev = StanfordPKU()
    r = 200.0
    xb = CrossbarArray(1, 1, device=dev, g_min=1e-5, g_max=1e-3, r_driver=r)
    xb.program_conductances(np.array([[1e-3]]), verify=False)
    x0 = xb.state.copy()
    res = apply_pulse(xb, 0, 0, 0.8, 1e-12, scheme="v/2", substeps=1, book=False)
    v_ref = brentq(lambda v: v + 2 * r * float(dev.current(v, x0[0, 0])) - 0.8, 0.0, 0.8,
                   xtol=1e-12)
    assert v_ref < 0.7  # the drivers take a real share of V_p (the test is not vacuous)
    assert res.v_cell_max[0, 0] == pytest.approx(v_ref, abs=1e-6)
