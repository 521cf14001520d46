"""SPICE level-1 diode kernel: closed forms and self-consistency (references in each test)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from thermolearn.devices.spice_diode import (
    NGSPICE_BOLTZMANN,
    NGSPICE_CHARGE,
    SPICE_TNOM,
    SpiceDiode,
    SpiceDiodeParams,
)
from thermolearn.errors import ParameterError

VT27 = NGSPICE_BOLTZMANN / NGSPICE_CHARGE * SPICE_TNOM


def test_forward_is_shockley_at_27c() -> None:
    """Reference: I = IS (exp(V/(N VT)) - 1) + GMIN V at TEMP = TNOM = 27 degC; rtol 1e-12."""
    d = SpiceDiode(SpiceDiodeParams(i_s=1e-14, n=1.3))
    v = np.array([0.0, 0.3, 0.6, 0.75])
    ref = 1e-14 * np.expm1(v / (1.3 * VT27)) + 1e-12 * v
    np.testing.assert_allclose(d.current(v), ref, rtol=1e-12, atol=1e-30)


def test_saturation_current_temperature_law() -> None:
    """Reference: IS(T) = IS exp((T/TNOM-1) EG/(N VT(T))) (T/TNOM)^(XTI/N) (SPICE2); rtol 1e-12."""
    t = 373.15
    p = SpiceDiodeParams(i_s=2e-14, n=1.5, eg=1.11, xti=3.0, temperature=t)
    vt = NGSPICE_BOLTZMANN / NGSPICE_CHARGE * t
    ref = 2e-14 * math.exp((t / SPICE_TNOM - 1) * 1.11 / (1.5 * vt)) * (t / SPICE_TNOM) ** 2
    assert SpiceDiode(p).t_is == pytest.approx(ref, rel=1e-12)
    # measured at the device temperature: no rescaling at all
    same = SpiceDiode(SpiceDiodeParams(i_s=2e-14, n=1.5, tnom=t, temperature=t))
    assert same.t_is == pytest.approx(2e-14, rel=1e-15)


def test_breakdown_knee_matches_ibv() -> None:
    """Reference: SPICE2 fixes BV_eff so that I(-BV) = -IBV; tolerance 1e-3 relative (reltol)."""
    d = SpiceDiode(SpiceDiodeParams(i_s=1e-12, bv=22.0, ibv=10e-6))
    i = float(d.current(-22.0))
    assert i == pytest.approx(-10e-6 - 1e-12 * 22.0, rel=2e-3)
    # and the current grows exponentially below -BV with slope 1/(NBV VT)
    i1, i2 = d.current(np.array([-22.2, -22.3]))
    assert math.log(i2 / i1) == pytest.approx(0.1 / VT27, rel=1e-3)


@pytest.mark.parametrize(
    "params",
    [
        SpiceDiodeParams(),
        SpiceDiodeParams(i_s=1.5e-7, n=1.0, bv=22.0, ibv=10e-6, ikf=1e-3),
        SpiceDiodeParams(isr=1e-10, nr=2.0, m=0.4, vj=0.7),
    ],
)
def test_conductance_is_the_derivative(params: SpiceDiodeParams) -> None:
    """Reference: g = dI/dV by central differences (step 1e-7 V) away from region seams; 1e-5."""
    d = SpiceDiode(params)
    v = np.array([-30.0, -21.0, -5.0, -0.2, 0.05, 0.4, 0.65, 0.8])
    h = 1e-7
    fd = (d.current(v + h) - d.current(v - h)) / (2 * h)
    np.testing.assert_allclose(d.didv(v), fd, rtol=1e-5, atol=1e-13)


def test_capacitance_is_the_charge_derivative_and_depletion_law() -> None:
    """Reference: C = dQ/dV; below FC VJ, C = CJO (1 - V/VJ)^-M at TNOM; rtol 1e-6."""
    p = SpiceDiodeParams(cjo=1.01e-12, vj=0.44, m=0.5, fc=0.5, tt=100e-9, i_s=1.5e-7)
    d = SpiceDiode(p)
    v = np.array([-5.0, -1.0, 0.0, 0.1, 0.3, 0.5])
    h = 1e-7
    q1, _ = d.charge_and_capacitance(v + h)
    q0, _ = d.charge_and_capacitance(v - h)
    _, c = d.charge_and_capacitance(v)
    np.testing.assert_allclose(c, (q1 - q0) / (2 * h), rtol=1e-5)
    nodiff = SpiceDiode(SpiceDiodeParams(cjo=1.01e-12, vj=0.44, m=0.5, fc=0.5))
    _, c0 = nodiff.charge_and_capacitance(np.array([-1.0, 0.0]))
    np.testing.assert_allclose(c0, 1.01e-12 * (1 - np.array([-1.0, 0.0]) / 0.44) ** -0.5, rtol=1e-9)


def test_bad_parameters_name_the_field() -> None:
    """Errors name the parameter (STYLE.md)."""
    with pytest.raises(ParameterError, match="'fc'"):
        SpiceDiodeParams(fc=1.0)
    with pytest.raises(ParameterError, match="'i_s'"):
        SpiceDiodeParams(i_s=0.0)
