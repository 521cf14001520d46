"""Programming and read API: closed-form energies, read disturb, ledger booking, validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from thermolearn.devices import LinearConductance, Pulse, Waveform, presets, program, read
from thermolearn.energy import EnergyLedger
from thermolearn.errors import ParameterError


def test_pulse_energy_on_fixed_conductance_closed_form() -> None:
    # Reference: E = G ∫V² dt = G A² (width + rise/3 + fall/3) for a trapezoid; rtol 1e-9.
    g, a = 3e-5, 1.5
    p = Pulse(a, 1e-6, rise=1e-7, fall=2e-7)
    led = EnergyLedger()
    res = program(LinearConductance(), np.array([g, 2 * g]), p, ledger=led)
    expect = g * a**2 * (1e-6 + 1e-7 / 3 + 2e-7 / 3)
    np.testing.assert_allclose(res.energy_joules, [expect, 2 * expect], rtol=1e-9)
    assert led.total() == pytest.approx(3 * expect, rel=1e-9)
    assert led.counts()["program"] == 2
    np.testing.assert_array_equal(res.x_new, [g, 2 * g])


def test_ideal_edges_are_short_ramps() -> None:
    t, v = Pulse(1.0, 1e-6).pwl()
    np.testing.assert_allclose(t, [0, 1e-9, 1.001e-6, 1.002e-6])
    np.testing.assert_array_equal(v, [0, 1, 1, 0])


def test_vteam_no_state_change_after_1e6_reads_below_threshold() -> None:
    # Reference: VTEAM has dx/dt = 0 exactly for v_on < v < v_off (Kvatinsky 2015).
    # 1e6 reads of 10 ns at 0.2 V (< v_off = 0.3 V) and at -0.2 V leave every state bitwise
    # unchanged; the same reads on the threshold-less HP model measurably move it.
    m = presets.kvatinsky2015()
    x = np.linspace(0.05, 0.95, 10)
    for v in (0.2, 0.29, -0.2):
        r = read(m, x, v, duration=10e-9, n_reads=10**6)
        np.testing.assert_array_equal(r.x_new, x)
        assert np.all(r.energy_joules > 0)
    hp = presets.strukov2008("none")
    moved = read(hp, 0.5, 0.2, duration=10e-9, n_reads=10**6).x_new
    assert abs(float(moved) - 0.5) > 1e-3


@pytest.mark.slow
def test_vteam_1e6_literal_read_steps() -> None:
    # The same claim, one step per read, 1e6 sequential RK4 steps on 16 devices.
    m = presets.kvatinsky2015()
    x0 = np.linspace(0.0, 1.0, 16)
    x = x0.copy()
    for _ in range(10**6):
        x = m.step(0.25, x, 10e-9)
    np.testing.assert_array_equal(x, x0)


def test_read_current_energy_and_validation() -> None:
    m = presets.kvatinsky2015()
    led = EnergyLedger()
    r = read(m, 0.5, 0.1, duration=1e-8, n_reads=3, ledger=led)
    assert float(r.current) == pytest.approx(0.1 / (50 + 950 * 0.5))
    assert float(r.energy_joules) == pytest.approx(0.1 * float(r.current) * 3e-8, rel=1e-12)
    assert led.breakdown()["read"] == pytest.approx(float(r.energy_joules))
    with pytest.raises(ParameterError, match="v_read"):
        read(m, 0.5, 0.0)
    with pytest.raises(ParameterError, match="finite"):
        read(m, 0.5, math.nan)
    with pytest.raises(ParameterError, match="finite"):
        read(m, [0.5, math.inf], 0.1)
    with pytest.raises(ParameterError, match="n_reads"):
        read(m, 0.5, 0.1, n_reads=0)


def test_pulse_and_waveform_validation() -> None:
    with pytest.raises(ParameterError, match="'width' parameter of Pulse"):
        Pulse(1.0, 0.0)
    with pytest.raises(ParameterError, match="'amplitude' parameter of Pulse"):
        Pulse(math.nan, 1e-6)
    with pytest.raises(ParameterError, match="'rise' parameter of Pulse"):
        Pulse(1.0, 1e-6, rise=-1e-9)
    with pytest.raises(ParameterError, match="finite"):
        Waveform(np.array([0.0, 1.0]), np.array([0.0, math.inf]))
    with pytest.raises(ParameterError, match="start at 0"):
        Waveform(np.array([1.0, 2.0]), np.array([0.0, 1.0]))
    with pytest.raises(ParameterError, match="Pulse or a Waveform"):
        program(presets.kvatinsky2015(), 0.5, (np.array([0, 1.0]), np.array([0, 1.0])))  # type: ignore[arg-type]


def test_pulse_train_equals_pulses_one_by_one() -> None:
    # Three pulses with 0 V gaps = three separate program() calls (no dynamics at 0 V).
    m = presets.kvatinsky2015()
    p = Pulse(0.8, 1e-6, rise=1e-8, fall=1e-8)
    train = program(m, 0.2, Waveform.train(p, 3, 2e-6), dt=1e-9)
    x, e = 0.2, 0.0
    for _ in range(3):
        r = program(m, x, p, dt=1e-9)
        x, e = float(r.x_new), e + float(r.energy_joules)
    assert float(train.x_new) == pytest.approx(x, abs=1e-6)
    assert float(train.energy_joules) == pytest.approx(e, rel=1e-5)
    assert x > 0.25


def test_set_and_reset_move_state_opposite_ways() -> None:
    m = presets.kvatinsky2015()
    up = program(m, 0.5, Pulse(0.8, 1e-6)).x_new
    down = program(m, 0.5, Pulse(-0.8, 1e-6)).x_new
    assert float(down) < 0.5 < float(up)
