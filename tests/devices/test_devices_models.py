"""Device models without ngspice: validation, windows, bounds, vectorisation, closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from thermolearn.circuit.device_iv import simulate_iv
from thermolearn.devices import (
    VTEAM,
    DataDrivenTiOx,
    DataDrivenTiOxParams,
    Diode,
    DiodeParams,
    LinearConductance,
    LinearConductanceParams,
    LinearIonDrift,
    LinearIonDriftParams,
    StanfordPKU,
    StanfordPKUParams,
    VTEAMParams,
    Yakopcic,
    YakopcicParams,
    presets,
    sine_drive,
)
from thermolearn.devices import windows as w
from thermolearn.errors import ParameterError

# (params class, owner name in the message, field, bad value)
BAD = [
    (LinearIonDriftParams, "LinearIonDrift", "r_on", -1.0),
    (LinearIonDriftParams, "LinearIonDrift", "r_off", 50.0),
    (LinearIonDriftParams, "LinearIonDrift", "d", 0.0),
    (LinearIonDriftParams, "LinearIonDrift", "mu_v", math.nan),
    (LinearIonDriftParams, "LinearIonDrift", "window", "hann"),
    (LinearIonDriftParams, "LinearIonDrift", "p", -2.0),
    (LinearIonDriftParams, "LinearIonDrift", "j", 0.0),
    (VTEAMParams, "VTEAM", "r_on", 0.0),
    (VTEAMParams, "VTEAM", "r_off", 10.0),
    (VTEAMParams, "VTEAM", "k_off", -1.0),
    (VTEAMParams, "VTEAM", "k_on", 5.0),
    (VTEAMParams, "VTEAM", "v_off", -0.2),
    (VTEAMParams, "VTEAM", "v_on", 0.2),
    (VTEAMParams, "VTEAM", "alpha_off", 0.0),
    (VTEAMParams, "VTEAM", "alpha_on", math.inf),
    (VTEAMParams, "VTEAM", "resistance", "quadratic"),
    (VTEAMParams, "VTEAM", "window", "hann"),
    (VTEAMParams, "VTEAM", "w_c", 0.0),
    (YakopcicParams, "Yakopcic", "a1", 0.0),
    (YakopcicParams, "Yakopcic", "a2", -0.1),
    (YakopcicParams, "Yakopcic", "b", 0.0),
    (YakopcicParams, "Yakopcic", "v_p", -0.1),
    (YakopcicParams, "Yakopcic", "v_n", -0.1),
    (YakopcicParams, "Yakopcic", "a_p", -1.0),
    (YakopcicParams, "Yakopcic", "a_n", math.nan),
    (YakopcicParams, "Yakopcic", "x_p", 1.0),
    (YakopcicParams, "Yakopcic", "x_n", -0.1),
    (YakopcicParams, "Yakopcic", "alpha_p", -1.0),
    (YakopcicParams, "Yakopcic", "alpha_n", -1.0),
    (YakopcicParams, "Yakopcic", "eta", 0.5),
    (StanfordPKUParams, "StanfordPKU", "i0", 0.0),
    (StanfordPKUParams, "StanfordPKU", "g0", -1e-9),
    (StanfordPKUParams, "StanfordPKU", "v0", 0.0),
    (StanfordPKUParams, "StanfordPKU", "vel0", -1.0),
    (StanfordPKUParams, "StanfordPKU", "activation_energy", 0.0),
    (StanfordPKUParams, "StanfordPKU", "a0", 0.0),
    (StanfordPKUParams, "StanfordPKU", "tox", 0.0),
    (StanfordPKUParams, "StanfordPKU", "gamma0", math.nan),
    (StanfordPKUParams, "StanfordPKU", "beta", -1.0),
    (StanfordPKUParams, "StanfordPKU", "g1", 0.0),
    (StanfordPKUParams, "StanfordPKU", "t0", 0.0),
    (StanfordPKUParams, "StanfordPKU", "r_th", -1.0),
    (StanfordPKUParams, "StanfordPKU", "g_min", 0.0),
    (StanfordPKUParams, "StanfordPKU", "g_max", 0.05e-9),
    (DataDrivenTiOxParams, "DataDrivenTiOx", "a_p", 0.0),
    (DataDrivenTiOxParams, "DataDrivenTiOx", "a_n", -1.0),
    (DataDrivenTiOxParams, "DataDrivenTiOx", "t_p", 0.0),
    (DataDrivenTiOxParams, "DataDrivenTiOx", "t_n", math.inf),
    (DataDrivenTiOxParams, "DataDrivenTiOx", "a0_p", -1.0),
    (DataDrivenTiOxParams, "DataDrivenTiOx", "a1_p", math.nan),
    (DataDrivenTiOxParams, "DataDrivenTiOx", "a0_n", 0.0),
    (DataDrivenTiOxParams, "DataDrivenTiOx", "a1_n", math.inf),
    (DataDrivenTiOxParams, "DataDrivenTiOx", "r_min", 0.0),
    (DataDrivenTiOxParams, "DataDrivenTiOx", "r_max", 10.0),
    (LinearConductanceParams, "LinearConductance", "g_min", -1e-6),
    (LinearConductanceParams, "LinearConductance", "g_max", 1e-7),
    (DiodeParams, "Diode", "i_s", 0.0),
    (DiodeParams, "Diode", "n", -1.0),
    (DiodeParams, "Diode", "r_s", -1.0),
    (DiodeParams, "Diode", "temperature", 0.0),
]


@pytest.mark.parametrize(("cls", "owner", "field", "bad"), BAD)
def test_invalid_parameter_names_parameter_model_and_value(cls, owner, field, bad) -> None:
    with pytest.raises(ParameterError) as exc:
        cls(**{field: bad})
    msg = str(exc.value)
    assert f"'{field}'" in msg
    assert owner in msg
    assert repr(bad) in msg


ALL_MODELS = [
    (presets.strukov2008("none"), 0.3),
    (presets.strukov2008("joglekar"), 0.3),
    (presets.strukov2008("biolek"), 0.3),
    (presets.strukov2008("prodromakis"), 0.3),
    (presets.kvatinsky2015("linear"), 0.3),
    (presets.kvatinsky2015("exponential"), 0.3),
    (presets.yakopcic2013(), 0.3),
    (presets.stanford_pku2014(), 1e-9),
    (presets.messaris2018(), 14e3),
    (presets.ideal(), 1e-5),
]


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize(("model", "x0"), ALL_MODELS[:1] + ALL_MODELS[6:7])
def test_non_finite_drive_rejected(model, x0, bad) -> None:
    t = np.array([0.0, 1e-3, 2e-3])
    with pytest.raises(ParameterError, match="finite"):
        simulate_iv(model, x0, t, np.array([0.0, bad, 0.0]))
    with pytest.raises(ParameterError, match="finite"):
        simulate_iv(model, x0, np.array([0.0, bad, 2e-3]), np.zeros(3))
    with pytest.raises(ParameterError, match="finite"):
        simulate_iv(model, bad, t, np.zeros(3))


def test_malformed_drive_rejected() -> None:
    m = presets.strukov2008()
    with pytest.raises(ParameterError, match="strictly increasing"):
        simulate_iv(m, 0.1, np.array([0.0, 2.0, 1.0]), np.zeros(3))
    with pytest.raises(ParameterError, match="engine"):
        simulate_iv(m, 0.1, np.array([0.0, 1.0]), np.zeros(2), engine="hspice")


def test_windows_edges_and_centres() -> None:
    # Closed forms: Joglekar 1-(2x-1)^2p; Prodromakis j(1-((x-.5)^2+.75)^p) is 0 at both
    # edges (x=0: (0.25+0.75)^p = 1) and j(1-0.75^p) at x=0.5; Biolek depends on direction.
    x = np.array([0.0, 0.5, 1.0])
    np.testing.assert_allclose(w.joglekar(x, 2), [0.0, 1.0, 0.0], atol=1e-15)
    for p in (1.0, 2.5, 7.0):
        np.testing.assert_allclose(
            w.prodromakis(x, p, 2.0), [0.0, 2.0 * (1 - 0.75**p), 0.0], atol=1e-14
        )
    np.testing.assert_allclose(w.biolek(x, 1, +1.0), [1.0, 0.75, 0.0], atol=1e-15)
    np.testing.assert_allclose(w.biolek(x, 1, -1.0), [0.0, 0.75, 1.0], atol=1e-15)
    np.testing.assert_allclose(w.hard_bounds([1.0, -1.0, 1.0, -1.0], [1.0, 1.0, 0.0, 0.0], 0, 1),
                               [0.0, -1.0, 1.0, 0.0])  # fmt: skip


@pytest.mark.parametrize(("model", "x0"), ALL_MODELS)
def test_pinched_at_zero_volts_and_vectorised(model, x0) -> None:
    # A memristor's current vanishes at V = 0 for every state (pinched hysteresis).
    lo, hi = model.state_bounds
    xs = np.linspace(lo, hi, 7)
    assert np.all(model.current(0.0, xs) == 0.0)
    v = np.array([-0.3, 0.0, 0.2, 0.45])[:, None]
    batch = model.current(v, xs[None, :])
    loop = np.array([[float(model.current(vi, xi)) for xi in xs] for vi in v[:, 0]])
    np.testing.assert_allclose(batch, loop, rtol=0, atol=0)
    dx = model.dxdt(v, xs[None, :])
    assert dx.shape == (4, 7)
    assert np.all(np.isfinite(dx))
    assert np.all(model.dxdt(0.0, xs) == 0.0)


@pytest.mark.parametrize(("model", "x0"), ALL_MODELS[:9])
def test_hard_bounds_hold_under_strong_drive(model, x0) -> None:
    # A drive far beyond the preset's carries the state to a bound and no further.
    lo, hi = model.state_bounds
    entry = {type(e.factory()).__name__: e for e in presets.CATALOGUE.values()}[
        type(model).__name__
    ]
    t, v = sine_drive(3 * entry.amplitude, entry.frequencies[0] / 20, 1, 200)
    if isinstance(model, StanfordPKU):
        v = np.clip(v, -0.9, 0.9)
    r = simulate_iv(model, x0, t, v, max_step=t[-1] / 4000)
    assert r.state.min() >= lo and r.state.max() <= hi


def test_linear_ion_drift_closed_form_no_window() -> None:
    # Strukov 2008 with f = 1: dx/dt = k i, so x(T) - x0 = k q(T), q = ∫ i dt, exact for
    # any drive as long as x stays inside; check against the charge integrated from I(t).
    m = LinearIonDrift(window="none")
    t, v = sine_drive(1.0, 1.0, 0.5, 2000)
    r = simulate_iv(m, 0.1, t, v, max_step=1e-4)
    q = np.trapezoid(r.current, r.time)
    assert r.state[-1] - 0.1 == pytest.approx(m.params.k * q, rel=1e-6)


def test_vteam_zero_between_thresholds_and_direction() -> None:
    m = VTEAM()
    xs = np.linspace(0, 1, 11)
    for v in (-0.3, -0.1, 0.0, 0.29, 0.3):
        assert np.all(m.dxdt(v, xs) == 0.0)
    assert np.all(m.dxdt(0.6, xs[:-1]) > 0) and np.all(m.dxdt(-0.6, xs[1:]) < 0)
    # Closed form g(V) of Kvatinsky 2015 at x = 0.5 (Kvatinsky window with a_off = 1, w_c = 0.1)
    f_off = math.exp(-math.exp((0.5 - 1.0) / 0.1))
    assert m.dxdt(0.6, 0.5) == pytest.approx(1e4 * (0.6 / 0.3 - 1) ** 3 * f_off, rel=1e-12)
    me = VTEAM(resistance="exponential")
    assert me.resistance(0.0) == pytest.approx(50.0) and me.resistance(1.0) == pytest.approx(1000.0)
    assert me.resistance(0.5) == pytest.approx(math.sqrt(50.0 * 1000.0))


def test_yakopcic_threshold_and_closed_form() -> None:
    m = Yakopcic()
    assert m.dxdt(0.15, 0.2) == 0.0 and m.dxdt(-0.14, 0.2) == 0.0
    # x < x_p: f = 1, dx/dt = A_p (e^V - e^Vp)
    assert m.dxdt(0.3, 0.2) == pytest.approx(4000 * (math.exp(0.3) - math.exp(0.16)), rel=1e-12)
    assert m.current(0.2, 0.5) == pytest.approx(0.17 * 0.5 * math.sinh(0.05 * 0.2), rel=1e-12)


def test_stanford_pku_heating_and_direction() -> None:
    m = StanfordPKU()
    g = 1e-9
    i = m.current(0.5, g)
    assert m.temperature(0.5, g) == pytest.approx(298.0 + 0.5 * i * 2.1e3, rel=1e-12)
    assert m.dxdt(0.5, g) < 0 < m.dxdt(-0.5, g)  # positive bias closes the gap (SET)


def test_tiox_threshold_lines() -> None:
    # Messaris 2018 eq. (4)-(5): no motion beyond r_p(v) for v > 0 or below r_n(v) for v < 0.
    m = DataDrivenTiOx()
    assert m.dxdt(0.5, 17.16e3 + 0.15e3 * 0.5 + 1.0) == 0.0
    assert m.dxdt(0.5, 12e3) > 0
    assert m.dxdt(-0.5, 24.81e3 - 17.91e3 * 0.5 - 1.0) == 0.0
    assert m.dxdt(-0.5, 16.5e3) < 0
    s = 4.86e-5 * math.expm1(0.5 / 0.12)
    assert m.dxdt(0.5, 12e3) == pytest.approx(s * (17.16e3 + 75.0 - 12e3) ** 2, rel=1e-12)


def test_linear_conductance() -> None:
    m = LinearConductance(g_min=1e-6, g_max=1e-4)
    assert m.current(0.2, 5e-5) == pytest.approx(1e-5)
    assert m.program_to(1.0) == pytest.approx(1e-4)
    assert np.all(m.dxdt(1.0, [1e-6, 1e-5]) == 0.0)
    np.testing.assert_allclose(m.didv(0.3, [2e-6, 3e-5]), [2e-6, 3e-5])


def test_diode_series_resistance_solves_implicit_equation() -> None:
    # Reference: I = Is (exp((V - I Rs)/(n Vt)) - 1) must hold to rounding for every V.
    d = Diode(i_s=1e-14, n=1.2, r_s=25.0, temperature=300.0)
    v = np.linspace(-2.0, 3.0, 501)
    i = d.current(v)
    nvt = 1.2 * d.params.v_t
    resid = i - 1e-14 * np.expm1((v - i * 25.0) / nvt)
    assert np.max(np.abs(resid) / (np.abs(i) + 1e-14)) < 1e-9
    assert i[-1] == pytest.approx((3.0 - 0.9) / 25.0, rel=0.05)  # series-limited at high V
    num = (d.current(v + 1e-7) - d.current(v - 1e-7)) / 2e-7
    np.testing.assert_allclose(d.didv(v), num, rtol=1e-5, atol=1e-15)
    assert Diode(r_s=0.0).current(0.6) == pytest.approx(1e-14 * math.expm1(0.6 / d.params.v_t))
    assert "IS=1e-14" in d.spice_model_card("dm") and "RS=25.0" in d.spice_model_card("dm")


def test_resistor_capacitor() -> None:
    from thermolearn.devices import Capacitor, Resistor

    assert Resistor(1e3).current(2.0) == pytest.approx(2e-3)
    assert Capacitor(1e-12).stored_energy(1.0) == pytest.approx(0.5e-12)
    with pytest.raises(ParameterError, match="'r' parameter of Resistor"):
        Resistor(0.0)
    with pytest.raises(ParameterError, match="'c' parameter of Capacitor"):
        Capacitor(-1.0)


def test_passivity_and_bounded_velocity_property() -> None:
    # Invariants for every model (Hypothesis): memristors are passive, V·I >= 0 for any state
    # and voltage, and the hard stop never lets a velocity push a state out of its bounds.
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=150, deadline=None)
    @given(
        k=st.integers(0, len(ALL_MODELS) - 1),
        u=st.floats(-0.2, 1.2),
        v=st.floats(-1.5, 1.5, allow_subnormal=False),
    )
    def check(k: int, u: float, v: float) -> None:
        model = ALL_MODELS[k][0]
        lo, hi = model.state_bounds
        x = lo + u * (hi - lo)
        assert float(v * model.current(v, x)) >= 0.0
        r = float(model.dxdt(v, x))
        assert np.isfinite(r)
        if x >= hi:
            assert r <= 0.0
        if x <= lo:
            assert r >= 0.0

    check()


def test_vteam_zero_band_fast_path_keeps_shape_and_values() -> None:
    """The all-below-threshold fast path returns the broadcast shape of (v, x) and the same
    values as the general path (reference: the general path on a batch with one drop above
    v_off, where the fast path cannot be taken)."""
    from thermolearn.devices import Variability, VariabilityParams

    m = VTEAM()
    rng = np.random.default_rng(3)
    x = rng.random((5, 4))
    v = rng.uniform(-0.25, 0.25, size=(3, 5, 4))  # a batch of reads, all inside the band
    r = m.dxdt(v, x)
    assert r.shape == (3, 5, 4) and np.all(r == 0.0)
    v2 = v.copy()
    v2[0, 0, 0] = 0.6
    r2 = m.dxdt(v2, x)
    assert r2.shape == (3, 5, 4) and r2[0, 0, 0] > 0 and np.all(r2.ravel()[1:] == 0.0)
    var = Variability(m, (5, 4), VariabilityParams(d2d_rate_sigma=0.2), rng=rng)
    assert var.dxdt(v, x).shape == (3, 5, 4) and np.all(var.dxdt(v, x) == 0.0)
    assert var.dxdt(v2, x)[0, 0, 0] == pytest.approx(var.rate_gain[0, 0] * r2[0, 0, 0])


@pytest.mark.parametrize("resistance", ["linear", "exponential"])
def test_vteam_state_at_conductance_inverts_the_chord_conductance(resistance: str) -> None:
    """Reference: the forward chord conductance G(x) = 1/R(x) (round trip to 1e-12 in x);
    targets outside [1/r_off, 1/r_on] end at the state bounds."""
    m = VTEAM(resistance=resistance)
    x = np.linspace(0.0, 1.0, 101)
    g = m.conductance(x, 0.1)
    np.testing.assert_allclose(m.state_at_conductance(g, 0.1), x, rtol=0, atol=1e-12)
    assert m.state_at_conductance(2.0 / m.params.r_on) == 0.0
    assert m.state_at_conductance(0.5 / m.params.r_off) == 1.0
