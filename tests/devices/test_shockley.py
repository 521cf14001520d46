"""The one Shockley-with-series-R kernel (thermolearn.devices.shockley).

References: the implicit law I = I_s (exp((V - I R_s)/(n V_T)) - 1) (residual to 1e-12
relative), scipy.special.wrightomega (rtol 1e-13), the exact dI/dV of the implicit law, and the
MNA engine's diode (same kernel) against the series-R closed form.
"""

from __future__ import annotations

import numpy as np
from scipy.special import wrightomega

from thermolearn.circuit import Circuit, operating_point
from thermolearn.devices import Diode, DiodeParams
from thermolearn.devices.shockley import shockley_conductance, shockley_current, wright_omega
from thermolearn.physics import K_B, Q_E

I_S, N, R_S, T = 1e-14, 1.3, 50.0, 310.0
VT = N * K_B * T / Q_E


def test_wright_omega_matches_scipy() -> None:
    z = np.concatenate([np.linspace(-60.0, 60.0, 2001), [-700.0, 1e3, 1e6]])
    np.testing.assert_allclose(wright_omega(z), np.real(wrightomega(z)), rtol=1e-13, atol=1e-300)


def test_closed_form_solves_the_implicit_law() -> None:
    v = np.linspace(-1.0, 2.0, 301)
    i = shockley_current(v, I_S, N, R_S, T)
    rhs = I_S * np.expm1((v - i * R_S) / VT)
    np.testing.assert_allclose(i, rhs, rtol=1e-12, atol=1e-27)
    # R_s = 0: the explicit law
    np.testing.assert_allclose(
        shockley_current(v, I_S, N, 0.0, T), I_S * np.expm1(v / VT), rtol=1e-15, atol=0
    )


def test_conductance_is_the_derivative_of_the_current() -> None:
    """dI/dV of the implicit law = 1/(R_s + n V_T/(I + I_s)); check by central difference."""
    v = np.linspace(0.2, 1.2, 11)
    h = 1e-7
    fd = (shockley_current(v + h, I_S, N, R_S, T) - shockley_current(v - h, I_S, N, R_S, T)) / (
        2 * h
    )
    np.testing.assert_allclose(shockley_conductance(v, I_S, N, R_S, T), fd, rtol=1e-6)


def test_diode_device_and_mna_engine_use_the_kernel() -> None:
    """Diode.current is the kernel bit for bit; MNA: V source -> diode, current = kernel(V)."""
    d = Diode(DiodeParams(i_s=I_S, n=N, r_s=R_S, temperature=T))
    v = np.linspace(-0.5, 1.5, 41)
    np.testing.assert_array_equal(d.current(v), shockley_current(v, I_S, N, R_S, T))
    # the batched Newton's one-evaluation form is the same two laws, bit for bit
    i, g = d.current_and_didv(v)
    np.testing.assert_array_equal(i, d.current(v))
    np.testing.assert_array_equal(g, d.didv(v))
    c = Circuit("diode")
    c.add_vsource("V1", "a", "0", dc=0.9)
    c.add_diode("D1", "a", "0", DiodeParams(i_s=I_S, n=N, r_s=R_S, temperature=T))
    op = operating_point(c)
    expect = float(shockley_current(np.array([0.9]), I_S, N, R_S, T)[0])
    assert abs(op.i("D1") - expect) <= 1e-9 * expect
