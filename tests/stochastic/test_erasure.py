"""Landauer erasure in the double well (Bérut et al., Nature 483, 187 (2012)).

References and tolerances per test: the 1/tau fit asymptote vs kT ln 2 (0.05 kT in the slow
run with 1e4 trajectories per point; 0.05 kT + 2 SE in the reduced default run), the
generalised bound ln 2 - H_b(P) (Bérut 2012 Eq. 2) at every tau, the control cycle's fitted
W_inf (2 SE of 0), and the detailed Jarzynski relation <e^{-W} 1[x_tau<0]> = ½ (Bérut,
Petrosyan, Ciliberto, EPL 103, 60002 (2013)) within 3 SE.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from thermolearn.errors import ParameterError
from thermolearn.physics import LN2
from thermolearn.stochastic.erasure import (
    ErasureProtocol,
    ErasureSweep,
    discretisation_bias,
    erasure_sweep,
    fit_inverse_tau,
    generalised_landauer_bound,
    run_erasure,
)


def _check_sweep(sw: ErasureSweep, q_tol: float) -> None:
    assert abs(sw.q_inf - LN2) < q_tol, (sw.q_inf, sw.q_inf_se)
    for r in sw.runs:
        assert r.mean_heat > r.bound  # generalised Landauer bound at every tau
        assert r.mean_heat > LN2  # finite-time cost on top of kT ln 2
        assert abs(r.jarzynski_target - 0.5) < 3 * r.jarzynski_target_se
    # single trajectories can release less than kT ln 2 (even negative heat)
    assert any(r.frac_heat_below_ln2 > 0.05 for r in sw.runs)
    # success improves towards complete erasure for slow cycles
    assert sw.runs[-1].success > 0.995
    # the control cycle erases nothing: its <W> extrapolates to 0
    assert abs(sw.w_inf_control) < 2 * sw.w_inf_control_se + 0.01
    # ... and its finite-time dissipation decreases with tau
    w = [c.mean_work for c in sw.controls]
    assert w[0] > w[-1]


@pytest.fixture(scope="module")
def small_sweep() -> ErasureSweep:
    rng = np.random.default_rng(2012)
    return erasure_sweep(ErasureProtocol(), [4.0, 8.0, 16.0, 32.0, 64.0], 3000, rng, threads=2)


def test_erasure_reduced(small_sweep: ErasureSweep) -> None:
    """Reduced run: 3000 trajectories per tau, tau up to 64 tau_0."""
    _check_sweep(small_sweep, 0.05 + 2 * small_sweep.q_inf_se)
    d = small_sweep.to_dict()
    assert d["above_bound_every_tau"] and d["some_trajectories_below_ln2"]


@pytest.mark.slow
def test_erasure_full() -> None:
    """Slow run: 1e4 trajectories per tau, tau up to 128 tau_0; Q_inf within 0.05 kT."""
    rng = np.random.default_rng(1961)
    sw = erasure_sweep(ErasureProtocol(), [4.0, 8.0, 16.0, 32.0, 64.0, 128.0], 10_000, rng,
                       threads=2)
    _check_sweep(sw, 0.05)  # every check of the reduced run, at the full run's tolerance
    assert abs(sw.q_inf - LN2) < 0.05  # issue 7: Q_inf within 0.05 kT of ln 2


def test_full_jarzynski_on_incomplete_erasure() -> None:
    """<e^{-W}> = e^{-Delta F} = 1 over the whole cycle (the potential returns to itself).

    With the default tilt the failures that dominate the average are too rare to sample,
    so this uses a weak tilt (P ~ 0.8) where both halves are sampled; 3 SE.
    """
    r = run_erasure(ErasureProtocol(tilt=1.5), 8.0, 4000, np.random.default_rng(5), threads=2)
    assert 0.6 < r.success < 0.95
    assert abs(r.jarzynski_all - 1.0) < 3 * r.jarzynski_all_se
    assert r.mean_heat > r.bound


def test_discretisation_bias_is_small() -> None:
    """Coupled-path estimate of the Euler–Maruyama bias of <Q> at the default step."""
    b = discretisation_bias(ErasureProtocol(), 8.0, 5e-4, 1500, np.random.default_rng(1),
                            threads=2)
    assert abs(b["bias_kT"]) < 0.01 + 3 * b["bias_se_kT"]


def test_generalised_bound_and_fit() -> None:
    assert float(generalised_landauer_bound(1.0)) == pytest.approx(LN2)
    assert float(generalised_landauer_bound(0.5)) == pytest.approx(0.0, abs=1e-12)
    p = 0.9
    expected = LN2 + p * math.log(p) + (1 - p) * math.log(1 - p)
    assert float(generalised_landauer_bound(p)) == pytest.approx(expected)
    tau = np.array([2.0, 4.0, 8.0, 16.0])
    qi, b, qse, _ = fit_inverse_tau(tau, 0.7 + 3.0 / tau, np.full(4, 0.01))
    assert qi == pytest.approx(0.7) and b == pytest.approx(3.0)
    assert qse < 0.02


def test_protocol_validation() -> None:
    with pytest.raises(ParameterError, match="'barrier' parameter of ErasureProtocol"):
        ErasureProtocol(barrier=0.0)
    with pytest.raises(ParameterError, match="'g_low'"):
        ErasureProtocol(g_low=2.0)
    pot = ErasureProtocol().potential(8.0)
    # quarters: barrier down at tau/4, tilt on at tau/2, barrier up at 3tau/4, untilted at tau
    assert float(pot.energy(0.0, 0.0)) == 0.0
    assert float(pot.energy(-1.0, 4.0)) < float(pot.energy(1.0, 4.0))
    np.testing.assert_allclose(pot.energy(np.array([-1.0, 1.0]), 8.0), [-10.0, -10.0])


@pytest.mark.slow
def test_slow_control_cycle_work_is_zero_within_its_error() -> None:
    """Issue 7: the control cycle (no tilt) erases nothing, so <W> = 0 within its error.

    At finite speed lowering and raising the barrier costs ~4.4/tau kT (see the sweep above),
    so the literal check needs a slow cycle: tau = 2048 tau_0, 512 trajectories (~40 s),
    where the expected finite-time cost (~0.002 kT) is below one standard error (~0.003 kT).
    Measured: <W> = -0.0012 +- 0.0028 kT (seed 7).
    """
    rng = np.random.default_rng(7)
    r = run_erasure(ErasureProtocol(), 2048.0, 512, rng, control=True, threads=2)
    assert abs(r.mean_work) <= r.se_work + 1e-12
    assert 0.4 < r.success < 0.6  # nothing erased: the bit stays a fair coin
