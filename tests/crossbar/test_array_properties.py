"""Invariants of the crossbar solver (Hypothesis) and the statistics of read noise."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from thermolearn.crossbar import CrossbarArray
from thermolearn.crossbar.array_solver import CrossbarNetwork
from thermolearn.physics import K_B


@settings(max_examples=25, deadline=None)
@given(
    m=st.integers(1, 6),
    n=st.integers(1, 6),
    r_wire=st.sampled_from([0.0, 0.3, 5.0]),
    seed=st.integers(0, 2**31),
)
def test_tellegen_and_kcl(m: int, n: int, r_wire: float, seed: int) -> None:
    """Tellegen: source power = Σ dissipation (1e-9 rel); KCL: terminal currents sum to 0."""
    rng = np.random.default_rng(seed)
    g = rng.uniform(1e-6, 1e-4, (m, n))
    rr = rng.choice([0.0, 10.0, np.inf], size=m)
    cr = rng.choice([0.0, 100.0], size=n)
    net = CrossbarNetwork(g, r_wire=r_wire, row_r_term=rr, col_r_term=cr)
    sol = net.solve(rng.uniform(-1, 1, (2, m)), rng.uniform(-1, 1, (2, n)))
    # rounding scale: terminal currents are (largest conductance) x (voltage rounding ~1e-16 V)
    i_scale = float(g.sum()) + (1.0 / r_wire if r_wire > 0 else 0.0) + 0.1
    diss = sol.p_device + sol.p_wire + sol.p_row_term.sum(1) + sol.p_col_term.sum(1)
    np.testing.assert_allclose(sol.p_source, diss, rtol=1e-9, atol=1e-13 * i_scale)
    total = sol.i_row.sum(1) + sol.i_col.sum(1)
    assert np.all(np.abs(total) <= 1e-13 * i_scale)


@settings(max_examples=15, deadline=None)
@given(m=st.integers(1, 5), n=st.integers(1, 5), seed=st.integers(0, 2**31))
def test_reciprocity_of_read_and_transposed_read(m: int, n: int, seed: int) -> None:
    """A passive resistive network is reciprocal: with TIAs on both sides, the current at
    column j per volt on row i equals the current at row i per volt on column j."""
    rng = np.random.default_rng(seed)
    xb = CrossbarArray(m, n, r_wire=1.7, adc=False, dac=False, tia=False)
    xb.program_conductances(rng.uniform(1e-6, 1e-4, (m, n)), verify=False)
    t_read = xb.read(np.eye(m))  # (m, n): [i, j] = column j current for row i
    t_tr = xb.read_transposed(np.eye(n))  # (n, m): [j, i] = row i current for column j
    np.testing.assert_allclose(t_read, t_tr.T, rtol=1e-9)


def test_read_noise_is_johnson_noise() -> None:
    """Reference: Johnson noise sqrt(4kT ΣG B), B = 1/(2 t_read), per column; 2000 reads give
    the standard deviation to ~1.6 % (1 sigma); tolerance 6 %."""
    from thermolearn.devices.variability import VariabilityParams

    xb = CrossbarArray(
        8, 3, variability=VariabilityParams(read_noise=True), rng=np.random.default_rng(5)
    )
    g = np.random.default_rng(6).uniform(1e-6, 1e-4, (8, 3))
    xb.program_conductances(g, verify=False)
    out = xb.read(np.zeros((2000, 8)))
    expected = np.sqrt(4 * K_B * 300.0 * g.sum(axis=0) / (2 * xb.t_read))
    np.testing.assert_allclose(out.std(axis=0), expected, rtol=0.06)
    assert np.all(np.abs(out.mean(axis=0)) < 4 * expected / np.sqrt(2000))
