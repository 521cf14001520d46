"""Variability wrapper: statistics against theory (Johnson 4kTGB, lognormal spread, ...)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from thermolearn.devices import Pulse, Variability, VariabilityParams, presets, program, read
from thermolearn.errors import ParameterError, ThermolearnError
from thermolearn.physics import K_B


def test_reproducible_for_a_seed() -> None:
    m = presets.kvatinsky2015()
    a = Variability(m, 50, rng=np.random.default_rng(1), d2d_sigma=0.2, c2c_floor=0.01)
    b = Variability(m, 50, rng=np.random.default_rng(1), d2d_sigma=0.2, c2c_floor=0.01)
    np.testing.assert_array_equal(a.current_gain, b.current_gain)
    xa = program(a, np.full(50, 0.5), Pulse(0.8, 1e-6)).x_new
    xb = program(b, np.full(50, 0.5), Pulse(0.8, 1e-6)).x_new
    np.testing.assert_array_equal(xa, xb)


def test_d2d_gain_is_lognormal_with_given_sigma(rng: np.random.Generator) -> None:
    # ln(gain) ~ N(0, σ²): sample std within 5 % for n = 20000 (SE ≈ 0.5 %).
    v = Variability(presets.ideal(), 20000, rng=rng, d2d_sigma=0.3)
    assert np.std(np.log(v.current_gain)) == pytest.approx(0.3, rel=0.05)
    assert abs(np.mean(np.log(v.current_gain))) < 0.01
    i = v.current(0.2, 1e-5)
    np.testing.assert_allclose(i, 0.2 * 1e-5 * v.current_gain)


def test_johnson_read_noise_variance(rng: np.random.Generator) -> None:
    # Reference: σ_I² = 4 k T G B with B = 1/(2 t_read); sample variance within 5 % (n=20000).
    g, t_read, temp = 1e-4, 1e-8, 300.0
    v = Variability(presets.ideal(), 20000, rng=rng, read_noise=True, temperature=temp)
    r = read(v, np.full(20000, g), 0.2, duration=t_read)
    var = 4 * K_B * temp * g / (2 * t_read)
    assert np.var(r.current) == pytest.approx(var, rel=0.05)
    assert np.mean(r.current) == pytest.approx(0.2 * g, rel=1e-4)


def test_flicker_noise_adds_kf_i2_ln_band(rng: np.random.Generator) -> None:
    v = Variability(presets.ideal(), 4, rng=rng, read_noise=True, flicker_coefficient=1e-10,
                    flicker_f_min=10.0)  # fmt: skip
    s = v.read_noise_sigma(0.2, np.full(4, 1e-4), 1e-6)
    i = 2e-5
    b = 1 / 2e-6
    expect = math.sqrt(4 * K_B * 300 * 1e-4 * b + 1e-10 * i**2 * math.log(b / 10.0))
    np.testing.assert_allclose(s, expect, rtol=1e-12)


def test_stuck_fractions_and_frozen(rng: np.random.Generator) -> None:
    m = presets.kvatinsky2015()
    n = 20000
    v = Variability(m, n, rng=rng, stuck_low_fraction=0.1, stuck_high_fraction=0.05)
    # binomial: 4-sigma bands
    assert abs(v.stuck_low.mean() - 0.1) < 4 * math.sqrt(0.09 / n)
    assert abs(v.stuck_high.mean() - 0.05) < 4 * math.sqrt(0.0475 / n)
    x = np.full(n, 0.5)
    x_new = program(v, x, Pulse(1.0, 1e-6), dt=2e-8).x_new
    assert np.all(x_new[v.stuck_low] == 0.0) and np.all(x_new[v.stuck_high] == 1.0)
    free = ~v.stuck
    assert np.all(x_new[free] > 0.5)


def test_c2c_noise_scales_with_change(rng: np.random.Generator) -> None:
    # σ = c2c_sigma |Δx|: the spread of programmed states over identical devices.
    m = presets.kvatinsky2015()
    n = 20000
    v = Variability(m, n, rng=rng, c2c_sigma=0.2)
    x0 = np.full(n, 0.3)
    nominal = float(program(m, 0.3, Pulse(0.8, 1e-6), dt=2e-8).x_new)
    got = program(v, x0, Pulse(0.8, 1e-6), dt=2e-8).x_new
    assert np.std(got) == pytest.approx(0.2 * (nominal - 0.3), rel=0.05)
    assert np.mean(got) == pytest.approx(nominal, abs=0.01 * (nominal - 0.3))


def test_levels_quantize(rng: np.random.Generator) -> None:
    v = Variability(presets.ideal(1e-6, 1e-4), 5, rng=rng, levels=5)
    q = v.quantize(np.array([1e-6, 2.0e-5, 5.0e-5, 9.9e-5, 1e-4]))
    step = (1e-4 - 1e-6) / 4
    np.testing.assert_allclose(q, 1e-6 + np.array([0, 1, 2, 4, 4]) * step)


def test_drift_is_exponential_relaxation(rng: np.random.Generator) -> None:
    v = Variability(presets.kvatinsky2015(), 3, rng=rng, retention_tau=10.0, x_rest=0.2)
    out = v.drift(np.array([0.2, 0.6, 1.0]), 5.0)
    np.testing.assert_allclose(out, 0.2 + (np.array([0.0, 0.4, 0.8])) * math.exp(-0.5))


def test_validation_and_no_spice_twin(rng: np.random.Generator) -> None:
    with pytest.raises(ParameterError, match="'d2d_sigma' parameter of Variability"):
        VariabilityParams(d2d_sigma=-0.1)
    with pytest.raises(ParameterError, match="'levels' parameter of Variability"):
        VariabilityParams(levels=1)
    with pytest.raises(ParameterError, match="stuck fractions"):
        VariabilityParams(stuck_low_fraction=0.7, stuck_high_fraction=0.7)
    with pytest.raises(ParameterError, match="retention_tau"):
        VariabilityParams(retention_tau=0.0)
    with pytest.raises(ParameterError, match="rng"):
        Variability(presets.ideal(), 3, rng=None)  # type: ignore[arg-type]
    with pytest.raises(ThermolearnError, match="no single SPICE twin"):
        Variability(presets.ideal(), 3, rng=rng).spice_library()
