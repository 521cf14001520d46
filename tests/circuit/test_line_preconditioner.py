"""Line discovery and the general line preconditioner of the SPD solver layer.

References and tolerances:
- :func:`find_lines` on a crossbar's nodal matrix (wires 2 ohm, cells 1e4-1e6 ohm, nodes in
  the crossbar's own numbering) returns exactly the crossbar's row lines and column lines
  (each line's unknowns in wire order), two colours (rows / columns) and one coarse
  aggregate per cell (its row node and its column node): an exact structural check against
  the array's known topology;
- on a matrix without stiff lines (isotropic 5-point grid) it finds none, and the solver
  falls back to algebraic multigrid;
- the preconditioner is symmetric positive definite (required by CG): bilinear symmetry to
  1e-12 relative;
- CG with it agrees with SuperLU on the same system to 1e-9 V and its certified KCL residual
  (<= 1e-12 A) is the residual recomputed independently from ``b - A x``;
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from thermolearn.circuit.mna.spd import (
    AMGPreconditioner,
    LinePreconditioner,
    SPDSolver,
    find_lines,
    permute_symmetric,
)
from thermolearn.crossbar.array_solver import CrossbarNetwork

pytest.importorskip("pyamg")


def _crossbar(m: int, n: int, seed: int) -> CrossbarNetwork:
    rng = np.random.default_rng(seed)
    g = 1.0 / rng.uniform(1e4, 1e6, (m, n))
    return CrossbarNetwork(g, r_wire=2.0, row_r_term=5.0, col_r_term=0.0, solver="splu")


def _lines(order: np.ndarray, linked: np.ndarray) -> list[list[int]]:
    cut = np.flatnonzero(~linked) + 1
    return [seg.tolist() for seg in np.split(order, cut)]


def test_find_lines_recovers_the_row_and_column_lines_of_a_crossbar() -> None:
    m, n = 9, 7
    net = _crossbar(m, n, 1)
    free = net.free_nodes
    a = net.matrix[free][:, free].tocsr()
    lines = find_lines(a)
    assert lines is not None and lines.order is not None
    # free-block index -> the network's node number
    found = [[int(free[k]) for k in line] for line in _lines(lines.order, lines.linked)]
    rows = [net.rnode[i, :].tolist() for i in range(m)]
    cols = [net.cnode[:, j].tolist() for j in range(n)]
    canon = sorted(x if x[0] < x[-1] else x[::-1] for x in found)
    assert canon == sorted(rows + cols)
    # two colours: all row lines in one block, all column lines in the other
    assert lines.color_start.size == 3
    s = int(lines.color_start[1])
    blocks = {
        frozenset(int(free[k]) < m * n for k in lines.order[:s]),
        frozenset(int(free[k]) < m * n for k in lines.order[s:]),
    }
    assert blocks == {frozenset({True}), frozenset({False})}
    # aggregates: the row node and the column node of every cell
    assert lines.n_coarse == m * n
    node_at = free[lines.order]
    agg = lines.aggregate
    for i, j in [(0, 0), (3, 4), (m - 1, n - 1)]:
        pr = int(np.flatnonzero(node_at == net.rnode[i, j])[0])
        pc = int(np.flatnonzero(node_at == net.cnode[i, j])[0])
        assert agg[pr] == agg[pc]
        assert np.count_nonzero(agg == agg[pr]) == 2


def test_no_lines_on_an_isotropic_grid_and_amg_is_used() -> None:
    k = 40
    t = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(k, k))
    a = (sp.kron(sp.eye(k), t) + sp.kron(t, sp.eye(k))).tocsr() * 1e-3
    assert find_lines(a) is None
    solver = SPDSolver(a, method="cg")
    assert isinstance(solver._precond, AMGPreconditioner)


def test_permute_symmetric_equals_fancy_indexing() -> None:
    a = _crossbar(5, 6, 2).matrix
    order = np.random.default_rng(3).permutation(a.shape[0])
    ref = a[order][:, order]
    got = permute_symmetric(a, order)
    assert abs(got - ref).max() == 0.0 and got.has_sorted_indices


def test_line_preconditioner_is_symmetric_positive_definite() -> None:
    net = _crossbar(12, 10, 4)
    free = net.free_nodes
    a = net.matrix[free][:, free].tocsr()
    lines = find_lines(a)
    assert lines is not None
    pre = LinePreconditioner(a, lines)
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((2, a.shape[0]))
    mx, my = pre.apply(x), pre.apply(y)
    assert abs(y @ mx - x @ my) <= 1e-12 * abs(x @ mx)
    assert x @ mx > 0 and y @ my > 0
    both = pre.apply(np.stack([x, y], axis=1))
    np.testing.assert_allclose(both[:, 1], my, rtol=1e-14, atol=0)


def test_cg_with_discovered_lines_matches_superlu_and_certifies_kcl() -> None:
    net = _crossbar(30, 25, 6)
    free = net.free_nodes
    a = net.matrix[free][:, free].tocsr()
    rng = np.random.default_rng(7)
    b = np.zeros((a.shape[0], 2))
    b[:30] = rng.uniform(0, 0.2, (30, 2)) / 7.0  # the row drivers through 5 + 2 ohm
    b[5, 1] += 1e-5  # and a current injected inside the array
    solver = SPDSolver(a, method="cg")
    assert isinstance(solver._precond, LinePreconditioner)
    x, rep = solver.solve(b)
    assert rep.method == "cg" and rep.certified and not np.any(rep.fallback)
    assert np.all(rep.iterations > 0) and np.all(rep.iterations < 40)
    ref = spla.splu(a.tocsc()).solve(b)
    np.testing.assert_allclose(x, ref, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(rep.residual, np.max(np.abs(b - a @ x), axis=0))
    assert np.all(rep.residual <= 1e-12)


def test_rings_of_stiff_couplings_are_cut_into_lines() -> None:
    """Six rings of eight nodes (1 S around each ring, 1e-4 S between rings, 1e-3 S to
    ground): each ring becomes one line, cut once, its nodes in ring order."""
    k, r = 8, 6
    node = np.arange(k * r).reshape(r, k)
    ia = np.concatenate([node.ravel(), node[:-1].ravel()])
    ib = np.concatenate([np.roll(node, -1, axis=1).ravel(), node[1:].ravel()])
    g = np.concatenate([np.full(k * r, 1.0), np.full(k * (r - 1), 1e-4)])
    nn = k * r
    lap = sp.csr_matrix(
        (np.concatenate([-g, -g]), (np.concatenate([ia, ib]), np.concatenate([ib, ia]))),
        shape=(nn, nn),
    )
    a = (lap + sp.diags(1e-3 - np.asarray(lap.sum(axis=1)).ravel())).tocsr()
    lines = find_lines(a)
    assert lines is not None and lines.order is not None
    found = _lines(lines.order, lines.linked)
    assert sorted(sorted(x) for x in found) == [sorted(row) for row in node.tolist()]
    for line in found:
        steps = {(b - a_) % k for a_, b in zip(line[:-1], line[1:], strict=True)}
        assert steps in ({1}, {k - 1})  # walked around the ring in one direction
    pre = LinePreconditioner(a, lines)
    b = np.random.default_rng(9).uniform(0, 1e-3, nn)
    x, rep = SPDSolver(a, method="cg", preconditioner=pre).solve(b)
    assert rep.certified
    np.testing.assert_allclose(x, spla.spsolve(a.tocsc(), b), rtol=0, atol=1e-9)
