"""Closed forms in thermolearn.physics against the numbers in shared/REFERENCES.md."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from thermolearn import ParameterError, physics


def test_kt_and_landauer_at_300k() -> None:
    # REFERENCES.md: kT = 4.142e-21 J, kT ln 2 = 2.871e-21 J at 300 K (4 significant figures).
    assert physics.thermal_energy(300.0) == pytest.approx(4.142e-21, rel=2e-4)
    assert physics.landauer_limit(300.0) == pytest.approx(2.871e-21, rel=2e-4)
    assert physics.joules_to_kt_ln2(2.871e-21) == pytest.approx(1.0, rel=2e-4)


def test_conductance_quantum() -> None:
    # REFERENCES.md: G0 = 2e^2/h = 77.5 µS.
    assert physics.G0 == pytest.approx(77.48e-6, rel=1e-3)


def test_johnson_noise_10k_1mhz() -> None:
    # REFERENCES.md: 10 kΩ over 1 MHz -> 12.9 µV rms (3 significant figures).
    assert physics.johnson_noise_vrms(10e3, 1e6) == pytest.approx(12.9e-6, rel=5e-3)
    # Current noise of the same resistor is the voltage noise divided by R (Norton equivalent).
    assert float(physics.johnson_noise_irms(1e-4, 1e6)) == pytest.approx(12.87e-6 / 10e3, rel=5e-3)


def test_ktc_noise_1ff() -> None:
    # REFERENCES.md: sqrt(kT/C) = 2.04 mV at 1 fF.
    assert physics.ktc_noise_vrms(1e-15) == pytest.approx(2.035e-3, rel=2e-3)


def test_shot_noise_1ua() -> None:
    # REFERENCES.md: sqrt(2qI) = 0.566 pA/sqrt(Hz) at 1 µA.
    assert physics.shot_noise_density(1e-6) == pytest.approx(0.566e-12, rel=2e-3)


def test_rc_step_and_ramp_loss() -> None:
    # REFERENCES.md: a step loses ½CV²; a ramp over T = 10 RC loses 0.09 CV² (to 1 %).
    c, v, r = 1e-12, 1.0, 1e3
    assert physics.rc_step_loss(c, v) == pytest.approx(0.5e-12, rel=1e-12)
    tau = r * c
    assert physics.rc_ramp_loss(r, c, v, 10 * tau) == pytest.approx(0.09 * c * v**2, rel=1e-3)
    # Limits: T -> 0 gives the step loss; T >> RC gives (RC/T) C V².
    assert physics.rc_ramp_loss(r, c, v, 1e-6 * tau) == pytest.approx(0.5 * c * v**2, rel=1e-5)
    assert physics.rc_ramp_loss(r, c, v, 1e4 * tau) == pytest.approx(1e-4 * c * v**2, rel=1e-3)


def test_rc_ramp_loss_against_numerical_integral() -> None:
    # Reference: direct quadrature of i²R during the ramp plus ½CΔV² of the settling tail.
    r, c, v, t_ramp = 2e3, 3e-12, 0.7, 4e-9
    tau = r * c
    t = np.linspace(0.0, t_ramp, 400_001)
    i = c * v / t_ramp * (1 - np.exp(-t / tau))
    during = np.trapezoid(i**2 * r, t)
    lag = v * tau / t_ramp * (1 - math.exp(-t_ramp / tau))
    assert physics.rc_ramp_loss(r, c, v, t_ramp) == pytest.approx(
        during + 0.5 * c * lag**2, rel=1e-6
    )


@given(st.floats(min_value=1e-3, max_value=1e3))
def test_ramp_loss_never_exceeds_step_loss(ratio: float) -> None:
    # Invariant: any ramp loses at most the step loss ½CV² and strictly more than 0.
    loss = physics.rc_ramp_loss(1.0, 1.0, 1.0, ratio)
    assert 0.0 < loss <= 0.5 + 1e-12


def test_binary_entropy() -> None:
    # H_b(1/2) = ln 2, H_b(0) = H_b(1) = 0 (nats).
    h = physics.binary_entropy_nats([0.0, 0.5, 1.0])
    np.testing.assert_allclose(h, [0.0, math.log(2), 0.0], atol=1e-15)


@pytest.mark.parametrize(
    ("func", "args", "name"),
    [
        (physics.thermal_energy, (-1.0,), "temperature"),
        (physics.johnson_noise_vrms, (0.0, 1e6), "resistance"),
        (physics.johnson_noise_vrms, (1e3, float("nan")), "bandwidth"),
        (physics.ktc_noise_vrms, (-1e-15,), "capacitance"),
        (physics.rc_ramp_loss, (1e3, 1e-12, 1.0, -1.0), "ramp_time"),
    ],
)
def test_bad_input_names_the_parameter(func, args, name) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ParameterError, match=f"'{name}'"):
        func(*args)
