"""Invariants of the Python engine as Hypothesis property tests, and batched solves.

References: Kirchhoff's current law (residual < 1e-12 A per node) and Tellegen's theorem
(B. D. H. Tellegen, Philips Res. Rep. 7, 259 (1952)): the power delivered by the sources
equals the power dissipated, to 1e-9 relative.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from thermolearn.circuit import Circuit, LinearSolver, op_batch, operating_point
from thermolearn.circuit.spice import runner as ngspice_runner
from thermolearn.devices import (
    DiodeParams,
    LinearIonDrift,
    LinearIonDriftParams,
    Yakopcic,
    YakopcicParams,
)
from thermolearn.devices.selector import SelectorParams
from thermolearn.errors import ConvergenceError, SpiceError

SOURCES = "VIEFGHB"
DISSIPATIVE = "RSDYM"


def _random_circuit(seed: int, n_nodes: int, n_extra: int) -> Circuit:
    rng = np.random.default_rng(seed)
    c = Circuit(f"random {seed}")
    nodes = ["0"] + [f"n{k}" for k in range(1, n_nodes + 1)]
    # spanning tree of resistors keeps every node on a DC path to ground
    for k in range(1, n_nodes + 1):
        parent = nodes[int(rng.integers(0, k))]
        c.add_resistor(f"Rt{k}", nodes[k], parent, float(10 ** rng.uniform(1, 5)))
    driven = rng.choice(np.arange(1, n_nodes + 1), size=min(2, n_nodes), replace=False)
    for k, nd in enumerate(driven):
        c.add_vsource(f"V{k}", nodes[int(nd)], "0", dc=float(rng.uniform(-1.5, 1.5)))
    diode = DiodeParams(i_s=1e-13, n=1.2, r_s=2.0)
    sel = SelectorParams(i0=1e-6, v0=0.2)
    lid = LinearIonDrift(LinearIonDriftParams())
    yak = Yakopcic(YakopcicParams())
    for k in range(n_extra):
        a, b = rng.choice(len(nodes), size=2, replace=False)
        na, nb = nodes[int(a)], nodes[int(b)]
        kind = int(rng.integers(0, 7))
        if kind == 0:
            c.add_resistor(f"Rx{k}", na, nb, float(10 ** rng.uniform(1, 5)))
        elif kind == 1:
            c.add_diode(f"Dx{k}", na, nb, diode)
        elif kind == 2:
            c.add_selector(f"Yx{k}", na, nb, sel)
        elif kind == 3:
            c.add_isource(f"Ix{k}", na, nb, dc=float(rng.uniform(-1e-3, 1e-3)))
        elif kind == 5:  # linear in V at fixed state
            c.add_memristor(f"Mx{k}", na, nb, lid, float(rng.uniform(0, 1)))
        elif kind == 6:  # sinh I-V at fixed state
            lo, hi = yak.state_bounds
            c.add_memristor(f"My{k}", na, nb, yak, float(rng.uniform(lo, hi)))
        else:
            cp, cn = rng.choice(len(nodes), size=2, replace=False)
            c.add_vccs(
                f"Gx{k}", na, nb, nodes[int(cp)], nodes[int(cn)], float(rng.uniform(-1e-4, 1e-4))
            )
    return c


def kcl_residuals(c: Circuit, op) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Sum of currents leaving each node, from the element currents alone (controlling
    terminals of E/G draw no current)."""
    res = dict.fromkeys(c.nodes, 0.0)
    for el in c.elements:
        i = op.currents[el.name]
        res[el.p] += i
        res[el.n] -= i
    res.pop("0")
    return res


def powers(c: Circuit, op) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    p = op.element_power(c)
    delivered = -sum(v for k, v in p.items() if c.element(k).kind in SOURCES)
    dissipated = sum(v for k, v in p.items() if c.element(k).kind in DISSIPATIVE)
    return delivered, dissipated


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**31 - 1),
    n_nodes=st.integers(1, 12),
    n_extra=st.integers(0, 25),
)
def test_kcl_and_tellegen_random_networks(seed: int, n_nodes: int, n_extra: int) -> None:
    """KCL and Tellegen at the operating point of random nonlinear networks (1e-12 A, 1e-9).

    The generator can draw networks without a reachable DC solution (e.g. seed 248087, 11
    nodes, 12 extras: a 0.7 mA current source into ~180 kohm with reverse diodes and
    negative-gain VCCS feedback, where ngspice's gmin and source stepping fail as well). When
    the MNA engine gives up, ngspice is the reference: an example is discarded only when
    ngspice fails too; where ngspice converges, the MNA failure fails the test.
    """
    c = _random_circuit(seed, n_nodes, n_extra)
    try:
        op = operating_point(c)
    except ConvergenceError:
        ok, reason = ngspice_runner.available()
        if not ok:
            raise
        try:
            operating_point(c, engine="ngspice")
        except SpiceError:
            assume(False)  # no engine reaches a DC solution: not a network the property covers
        raise
    res = kcl_residuals(c, op)
    assert max(abs(v) for v in res.values()) < 1e-12
    delivered, dissipated = powers(c, op)
    assert abs(delivered - dissipated) <= 1e-9 * max(abs(delivered), abs(dissipated)) + 1e-21
    assert op.residual < 1e-12


def _resistive_grid(n: int, rng: np.random.Generator) -> Circuit:
    c = Circuit("grid")
    for i in range(n):
        c.add_vsource(f"Vr{i}", f"r{i}_0", "0", dc=0.0)
        c.add_vsource(f"Vc{i}", f"c{n - 1}_{i}", "0", dc=0.0)
    for i in range(n):
        for j in range(n):
            if j + 1 < n:
                c.add_resistor(f"Rr{i}_{j}", f"r{i}_{j}", f"r{i}_{j + 1}", 1.5)
            if i + 1 < n:
                c.add_resistor(f"Rc{i}_{j}", f"c{i}_{j}", f"c{i + 1}_{j}", 1.5)
            c.add_resistor(f"G{i}_{j}", f"r{i}_{j}", f"c{i}_{j}", float(rng.uniform(1e4, 1e6)))
    return c


def test_linear_solver_batch_matches_single_solves(rng: np.random.Generator) -> None:
    """Factor once / solve many equals one operating point per input (1e-12 relative)."""
    n = 8
    c = _resistive_grid(n, rng)
    rows = [f"Vr{i}" for i in range(n)]
    cols = [f"Vc{j}" for j in range(n)]
    x = rng.uniform(-0.3, 0.3, size=(5, n))
    solver = LinearSolver(c, sources=rows)
    assert solver.symmetric  # R + grounded V sources: a reciprocal network
    batch = solver.solve(x, outputs=cols)
    full = solver.solve(x)
    assert batch.shape == (5, n)
    for b in range(5):
        for i in range(n):
            c.set_value(f"Vr{i}", float(x[b, i]))
        op = operating_point(c)
        ref = np.array([op.i(name) for name in cols])
        np.testing.assert_allclose(batch[b], ref, rtol=1e-10, atol=1e-18)
        np.testing.assert_allclose(full[b, solver.output_rows(cols)], ref, rtol=1e-10, atol=1e-18)
    np.testing.assert_allclose(op_batch(c, x, rows, cols), batch, rtol=1e-12)


def test_linear_solver_rejects_nonlinear() -> None:
    c = Circuit()
    c.add_vsource("V1", "a", "0", dc=1.0)
    c.add_selector("Y1", "a", "0")
    with pytest.raises(ValueError, match="linear circuit"):
        LinearSolver(c)


def test_memristor_is_resistor_at_its_state_in_dc() -> None:
    """A linear-ion-drift memristor at state x is R = r_on x + r_off (1 - x) in DC."""
    from thermolearn.devices import LinearIonDrift, LinearIonDriftParams

    m = LinearIonDrift(LinearIonDriftParams(r_on=100.0, r_off=16e3))
    c = Circuit()
    c.add_vsource("V1", "a", "0", dc=0.5)
    c.add_memristor("M1", "a", "0", m, x0=0.25)
    op = operating_point(c)
    assert op.i("M1") == pytest.approx(0.5 / (100 * 0.25 + 16e3 * 0.75), rel=1e-12)
    assert op.states == {"M1": 0.25}


@pytest.mark.parametrize("n_src, n_out", [(3, 1), (1, 3), (3, 3)])
def test_linear_solver_nonreciprocal_transfer(n_src: int, n_out: int) -> None:
    """A VCCS makes the MNA matrix unsymmetric: adjoint (A^T) and forward transfer paths
    must both equal direct solves (1e-12 relative)."""
    rng = np.random.default_rng(n_src * 10 + n_out)
    c = Circuit("nonreciprocal")
    for k in range(3):
        c.add_vsource(f"V{k}", f"in{k}", "0", dc=0.1 * k)
        c.add_resistor(f"Ri{k}", f"in{k}", "x", float(rng.uniform(1e3, 1e4)))
        c.add_resistor(f"Ro{k}", "y", f"out{k}", float(rng.uniform(1e3, 1e4)))
        c.add_vsource(f"Vo{k}", f"out{k}", "0")
    c.add_resistor("Rx", "x", "0", 2e3)
    c.add_vccs("G1", "0", "y", "x", "0", 3e-3)
    c.add_resistor("Ry", "y", "0", 5e3)
    srcs = [f"V{k}" for k in range(n_src)]
    outs = [f"Vo{k}" for k in range(n_out)]
    solver = LinearSolver(c, sources=srcs)
    assert not solver.symmetric
    x = rng.uniform(-1, 1, size=(4, n_src))
    got = solver.solve(x, outputs=outs)
    ref = solver.solve(x)[:, solver.output_rows(outs)]
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-18)
