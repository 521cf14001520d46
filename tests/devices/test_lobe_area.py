"""``lobe_area`` is per period (issue 17): 1, 2 and 3 periods of a periodic drive agree.

Reference: the windowless HP/Strukov model has a closed form. With M(x) = R_off - (R_off -
R_on) x and dx/dt = k i, the flux phi = int v dt fixes the charge, and
i(t) = v(t) / sqrt(M0^2 - 2 (R_off - R_on) k phi(t)), phi(t) = (A / w)(1 - cos w t), which is
periodic: every period traces the same loop. Tolerances: the periods agree to 1e-6 (the same
loop, sampled identically); the simulated area matches the closed form sampled on the same grid
to 1e-4 (RK4 error of the state).
"""

from __future__ import annotations

import numpy as np
import pytest

from thermolearn.circuit.device_iv import simulate_iv
from thermolearn.devices import presets
from thermolearn.devices.simulate import IVResult, drive_period, lobe_area, sine_drive
from thermolearn.errors import ParameterError

AMP, FREQ, X0 = 1.0, 1.0, 0.1  # the hp_none catalogue drive


def _closed_form(periods: float, ppp: int = 400) -> IVResult:
    p = presets.strukov2008("none").params
    t, v = sine_drive(AMP, FREQ, periods, ppp)
    w = 2 * np.pi * FREQ
    phi = AMP / w * (1 - np.cos(w * t))
    dr = p.r_off - p.r_on
    m0 = p.r_on * X0 + p.r_off * (1 - X0)
    i = v / np.sqrt(m0**2 - 2 * dr * p.k * phi)
    return IVResult("closed-form", t, v, i, np.zeros_like(t))


def test_lobe_area_per_period_on_windowless_hp():
    model = presets.strukov2008("none")
    areas = []
    for n in (1, 2, 3):
        t, v = sine_drive(AMP, FREQ, n, 400)
        res = simulate_iv(model, X0, t, v, "python")
        assert 0.0 < res.state.min() and res.state.max() < 1.0  # no hard stop: closed form holds
        areas.append(lobe_area(res))
    exact = lobe_area(_closed_form(1))
    assert exact > 0.05  # a real loop
    np.testing.assert_allclose(areas, areas[0], rtol=1e-6)
    np.testing.assert_allclose(areas[0], exact, rtol=1e-4)
    # the closed form itself is periodic: 3 periods give the 1-period value
    np.testing.assert_allclose(lobe_area(_closed_form(3)), exact, rtol=1e-9)


def test_lobe_area_counts_only_the_last_period():
    # a loop that shrinks: the last period's area, not the sum or the first one
    t, v = sine_drive(1.0, 1.0, 2, 400)
    shrink = np.where(t < 1.0, 1.0, 0.5)
    i = (v + 0.3 * np.cos(2 * np.pi * t)) * shrink  # an ellipse, half as wide in period 2
    res = IVResult("synthetic", t, v, i, np.zeros_like(t))
    last = IVResult("synthetic", t[t >= 1.0] - 1.0, v[t >= 1.0], i[t >= 1.0], t[t >= 1.0])
    assert lobe_area(res) == pytest.approx(lobe_area(last), rel=1e-12)
    assert lobe_area(res, period=1.0) == pytest.approx(lobe_area(last), rel=1e-12)


def test_drive_period_from_zero_crossings():
    t, v = sine_drive(0.5, 250.0, 3, 64)
    assert drive_period(t, v) == pytest.approx(1 / 250.0, rel=1e-12)
    tt = np.linspace(0, 1, 101)
    assert drive_period(tt, np.sin(2 * np.pi * 2 * tt + 0.3)) == pytest.approx(0.5, rel=1e-3)
    with pytest.raises(ParameterError, match="zero crossings"):
        drive_period(tt, tt + 1.0)
