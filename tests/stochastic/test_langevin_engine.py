"""Tests of the overdamped Langevin engine against closed forms (natural units)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from thermolearn.errors import ConvergenceError, ParameterError
from thermolearn.stochastic.langevin import (
    NaturalUnits,
    berut_units,
    equilibrium_sample,
    free_energy,
    simulate,
)
from thermolearn.stochastic.potentials import Schedule, double_well, harmonic_trap


def test_equilibrium_variance_harmonic(rng: np.random.Generator) -> None:
    """<x^2> = kT/kappa (equipartition) within 2 %; 1e5 particles -> SE 0.45 %."""
    from thermolearn.stochastic.jarzynski import harmonic_equilibrium

    r = harmonic_equilibrium(100_000, rng, stiffness=2.0, t_relax=4.0, dt=1e-3)
    assert abs(r["relative_error"]) < 0.02
    assert abs(r["mean_x2"] - r["em_expected"]) < 4 * r["se_x2"]


def test_ou_mean_relaxation(rng: np.random.Generator) -> None:
    """<x(t)> = x0 exp(-kappa t) for the Ornstein–Uhlenbeck process (closed form), 4 SE."""
    pot = harmonic_trap(3.0, duration=0.5)
    r = simulate(pot, np.full(40_000, 1.5), dt=1e-3, rng=rng)
    se = r.x.std() / math.sqrt(r.n)
    assert abs(r.x.mean() - 1.5 * math.exp(-1.5)) < 4 * se + 3e-3  # + O(dt) bias


def test_dragged_trap_mean_work_closed_form(rng: np.random.Generator) -> None:
    """<W> = v^2 [tau - (1 - e^{-kappa tau})/kappa] (Mazonka & Jarzynski 1999), 4 SE."""
    from thermolearn.stochastic.jarzynski import dragged_trap

    r = dragged_trap(40_000, rng, stiffness=1.0, distance=2.0, tau=2.0, dt=1e-3)
    assert abs(r.mean_work - r.expected_mean_work) < 4 * r.mean_work_se + 5e-3


def test_static_potential_books_no_work(rng: np.random.Generator) -> None:
    """A time-independent potential does no work; Q = -Delta U exactly (first law)."""
    pot = double_well(10.0, duration=1.0)
    x0 = equilibrium_sample(pot, 500, rng)
    r = simulate(pot, x0, dt=1e-3, rng=rng)
    assert np.all(r.work == 0.0)
    np.testing.assert_allclose(r.heat, -r.delta_u, rtol=0, atol=1e-12)


def test_work_telescopes_for_frozen_particle(rng: np.random.Generator) -> None:
    """A protocol much faster than the motion (1e-6 tau_0) gives W = U(x0, t_end) - U(x0, 0),
    the sudden-quench limit of Sekimoto's work; 2 % tolerance for the residual motion."""
    g = Schedule.ramp(1.0, 0.2, 0.0, 1e-6)
    f = Schedule.ramp(0.0, -3.0, 0.0, 1e-6)
    pot = double_well(10.0, g, f)
    x0 = np.array([-1.0, 0.3, 1.1])
    r = simulate(pot, x0, dt=1e-8, rng=rng)
    exact = pot.energy(x0, 1e-6) - pot.energy(x0, 0.0)
    np.testing.assert_allclose(r.work, exact, rtol=2e-2, atol=2e-3)


def test_deterministic_given_seed_and_thread_independent() -> None:
    pot = double_well(10.0, g=Schedule.ramp(1.0, 0.0, 0.0, 0.2))
    x0 = np.linspace(-1.2, 1.2, 3000)
    a = simulate(pot, x0, dt=1e-3, rng=np.random.default_rng(7), chunk=1000, threads=1)
    b = simulate(pot, x0, dt=1e-3, rng=np.random.default_rng(7), chunk=1000, threads=2)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.work, b.work)


def test_coupled_noise_substeps_follow_same_path() -> None:
    """Coarse run built from the fine increments stays within O(dt) of the fine path."""
    pot = harmonic_trap(1.0, Schedule.ramp(0.0, 1.0, 0.0, 1.0))
    x0 = np.zeros(200)
    a = simulate(pot, x0, dt=1e-3, rng=np.random.default_rng(3))
    b = simulate(pot, x0, dt=2e-3, rng=np.random.default_rng(3), noise_substeps=2)
    assert np.max(np.abs(a.x - b.x)) < 0.01
    c = simulate(pot, x0, dt=2e-3, rng=np.random.default_rng(4), noise_substeps=2)
    assert np.max(np.abs(a.x - c.x)) > 0.3  # independent noise is far off


def test_recorded_paths(rng: np.random.Generator) -> None:
    pot = harmonic_trap(1.0, duration=1.0)
    r = simulate(pot, np.zeros(10), dt=1e-2, rng=rng, n_record=3, record_every=10)
    assert r.paths.shape == (3, 11)
    np.testing.assert_allclose(r.record_times[[0, -1]], [0.0, 1.0])
    np.testing.assert_array_equal(r.paths[:, 0], 0.0)
    np.testing.assert_allclose(r.paths[:, -1], r.x[:3])


def test_equilibrium_sample_and_free_energy(rng: np.random.Generator) -> None:
    """Harmonic: F = -ln sqrt(2 pi / kappa); samples have variance 1/kappa (4 SE)."""
    pot = harmonic_trap(4.0)
    assert free_energy(pot, 0.0) == pytest.approx(-0.5 * math.log(2 * math.pi / 4.0), abs=1e-9)
    x = equilibrium_sample(pot, 200_000, rng)
    assert abs(np.var(x) - 0.25) < 4 * 0.25 * math.sqrt(2 / x.size)
    dw = double_well(10.0)
    xs = equilibrium_sample(dw, 100_000, rng)
    assert abs(np.mean(xs > 0) - 0.5) < 4 * 0.5 / math.sqrt(xs.size)


def test_units_and_validation() -> None:
    u = berut_units()
    assert 0.5 < u.tau0 < 2.0  # about 1.1 s for a 1 µm-radius bead, x_m = 0.5 µm
    assert float(u.energy_si(1.0)) == pytest.approx(1.380649e-23 * 300.0)
    with pytest.raises(ParameterError, match="'length' parameter of NaturalUnits"):
        NaturalUnits(length=-1.0, friction=1.0)
    with pytest.raises(ParameterError, match="'dt'"):
        simulate(harmonic_trap(1.0, duration=1.0), [0.0], dt=0.0, rng=np.random.default_rng(0))
    with pytest.raises(ParameterError, match="x0"):
        simulate(harmonic_trap(1.0, duration=1.0), [np.nan], dt=0.1,
                 rng=np.random.default_rng(0))
    with np.errstate(over="ignore", invalid="ignore"), pytest.raises(ConvergenceError):
        simulate(double_well(10.0, duration=1.0), [3.0], dt=0.1, rng=np.random.default_rng(0))
    with pytest.raises(ParameterError, match="stiffness"):
        harmonic_trap(-1.0)
    with pytest.raises(ParameterError, match="non-decreasing"):
        Schedule(times=np.array([1.0, 0.0]), values=np.array([0.0, 1.0]))
