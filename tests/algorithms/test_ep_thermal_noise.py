"""Langevin node dynamics of the EP circuit: equipartition variance kT/C (tolerance 5 %).

Reference: for C dV = −L(V − V*) dt + √(2kT) L^{1/2} dW (noise covariance 2kT × conductance
matrix, fluctuation–dissipation) the stationary covariance is kT C^{-1} (Gardiner, §4.5).
"""

from __future__ import annotations

import numpy as np
import pytest

from thermolearn.algorithms.ep_circuit import EPCircuit, EPCircuitParams
from thermolearn.algorithms.thermal_noise import ThermalNoiseParams, ktc_variance, simulate_langevin
from thermolearn.errors import ParameterError


def test_node_variance_is_kt_over_c() -> None:
    rng = np.random.default_rng(7)
    # gain 1 and weakly biased diodes keep the node time constants within a factor ~2, so
    # every node is sampled about equally well at the common time step
    p = EPCircuitParams(layer_sizes=(3, 4, 2), input_amplitude=1.0, gain=1.0, v_up=-0.3, v_down=0.3)
    net = EPCircuit(p, rng=rng)
    x = np.tile(rng.random((1, 3)), (700, 1))
    tn = ThermalNoiseParams(capacitance=1e-13, temperature=300.0, dt_fraction=0.02)
    r = simulate_langevin(net, x, params=tn, n_steps=1600, burn_in=300, record_every=10, rng=rng)
    target = ktc_variance(1e-13, 300.0)
    for traj, op in zip(r.layers, r.operating_point, strict=True):
        var = traj.var(axis=(0, 1))
        np.testing.assert_allclose(var, target, rtol=0.05)
        # the mean stays at the operating point (within 20 % of the noise rms)
        assert np.all(np.abs(traj.mean(axis=(0, 1)) - op[0]) < 0.2 * np.sqrt(target))


def test_thermal_noise_bad_params() -> None:
    with pytest.raises(ParameterError, match="capacitance"):
        ThermalNoiseParams(capacitance=0.0)
    with pytest.raises(ParameterError, match="dt_fraction"):
        ThermalNoiseParams(dt_fraction=0.5)
