"""Fast exact transfer matrices: LinearSolver (trailing LU block) and CrossbarNetwork.

The factorisation orders the varied sources and the V-source branches last, and
``transfer_matrix`` then uses dense triangular solves on the trailing block instead of one
sparse solve per source. Reference: a direct ``scipy.sparse.linalg.spsolve`` of the same MNA
system for every unit source vector (an independent factorisation), agreement to 1e-11
relative; and the per-source-solve fallback (forced by a tiny terminal limit) to 1e-12.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse.linalg as spla

from thermolearn.circuit import Circuit, LinearSolver
from thermolearn.circuit.mna import linear


def _grid(n: int, rng: np.random.Generator) -> Circuit:
    """Small crossbar: driven rows (10 ohm drivers), columns at virtual ground, 1 ohm wires,
    plus one current source injecting into a column wire."""
    c = Circuit("grid")
    for i in range(n):
        c.add_vsource(f"Vr{i}", f"d{i}", "0", dc=0.1)
        c.add_resistor(f"Rd{i}", f"d{i}", f"r{i}_0", 10.0)
    for j in range(n):
        c.add_vsource(f"Vc{j}", f"c{n - 1}_{j}", "0", dc=0.0)
    for i in range(n):
        for j in range(n):
            if j + 1 < n:
                c.add_resistor(f"Rr{i}_{j}", f"r{i}_{j}", f"r{i}_{j + 1}", 1.0)
            if i + 1 < n:
                c.add_resistor(f"Rc{i}_{j}", f"c{i}_{j}", f"c{i + 1}_{j}", 1.0)
            c.add_resistor(f"G{i}_{j}", f"r{i}_{j}", f"c{i}_{j}", float(rng.uniform(1e4, 1e6)))
    c.add_isource("I1", "0", "c0_1", dc=1e-6)
    return c


def _reference(solver: LinearSolver, rows: np.ndarray) -> np.ndarray:
    a = solver.matrix.tocsc()
    smap = solver.source_map.toarray()
    z = np.column_stack([spla.spsolve(a, smap[:, k]) for k in range(smap.shape[1])])
    return z[rows]


@pytest.mark.parametrize("outputs", ["branches", "nodes"])
def test_tail_transfer_matches_direct_solves(outputs: str) -> None:
    rng = np.random.default_rng(7)
    n = 6
    c = _grid(n, rng)
    sources = [f"Vr{i}" for i in range(n)] + ["I1"]
    outs = (
        [f"Vc{j}" for j in range(n)]
        if outputs == "branches"
        else [f"r{i}_{n - 1}" for i in range(n)]  # interior nodes: not ordered last
    )
    solver = LinearSolver(c, sources=sources)
    t = solver.transfer_matrix(outs)
    assert solver._tail is not None  # the trailing-block path was taken
    ref = _reference(solver, solver.output_rows(outs))
    np.testing.assert_allclose(t, ref, rtol=1e-11, atol=1e-11 * np.max(np.abs(ref)))
    # and the batch is T @ values + the offset of the sources that are not varied
    x = rng.uniform(-0.2, 0.2, size=(3, len(sources)))
    full = solver.solve(x)[:, solver.output_rows(outs)]
    np.testing.assert_allclose(solver.solve(x, outputs=outs), full, rtol=1e-10, atol=1e-16)


def test_tail_and_per_source_paths_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(8)
    n = 5
    c = _grid(n, rng)
    rows = [f"Vr{i}" for i in range(n)]
    cols = [f"Vc{j}" for j in range(n)]
    fast = LinearSolver(c, sources=rows).transfer_matrix(cols)
    monkeypatch.setattr(linear, "TERMINAL_LIMIT", 2)  # plain ordering, one solve per source
    slow_solver = LinearSolver(c, sources=rows)
    slow = slow_solver.transfer_matrix(cols)
    assert slow_solver._tail is None
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12 * np.max(np.abs(slow)))


@pytest.mark.parametrize(
    "row_r_term, col_r_term",
    [(10.0, 0.0), (np.inf, 100.0), (np.array([1.0, np.inf, 3.0, 4.0, 5.0, 6.0]), 0.0)],
)
def test_crossbar_network_transfer_matches_sparse_solves(
    row_r_term: float | np.ndarray, col_r_term: float
) -> None:
    """CrossbarNetwork.transfer (line-wise Schur complements when r_wire > 0) equals the
    terminal currents of sparse-LU solves with unit inputs (1e-10 of the largest entry)."""
    from thermolearn.crossbar.array_solver import CrossbarNetwork

    rng = np.random.default_rng(3)
    m, n = 6, 5
    net = CrossbarNetwork(
        rng.uniform(1e-6, 1e-4, (m, n)), r_wire=1.5, row_r_term=row_r_term, col_r_term=col_r_term
    )
    ins = np.array([0, 2, m + 1])
    outs = np.arange(m + n)
    fast = net.transfer(ins, outs)
    u = np.zeros((ins.size, m + n))
    u[np.arange(ins.size), ins] = 1.0
    sol = net.solve(u[:, :m], u[:, m:])
    ref = np.concatenate([sol.i_row, sol.i_col], axis=1)[:, outs].T
    assert np.max(np.abs(ref)) > 0
    np.testing.assert_allclose(fast, ref, rtol=0, atol=1e-10 * np.max(np.abs(ref)))
