"""The crossbar's line preconditioner and the general one on the same lines are one operator.

:class:`~thermolearn.crossbar.array_solver.CrossbarLinePreconditioner` is a deliberate
duplicate of :class:`~thermolearn.circuit.mna.spd.LinePreconditioner` specialised to a
wired crossbar (lines known, the coarse operator in closed form, no coupling matrices: it is
the faster of the two on the crossbar solver's path). Both define the same symmetric
two-level cycle: block Gauss-Seidel rows then columns, a Galerkin coarse correction on one
aggregate per cell (its row node and its column node), columns then rows. Given the grid's
known lines, colours and aggregates, the general class must therefore produce the same
preconditioned vector.

Reference and tolerance: on small crossbars in chain order (row nodes ``i*N + j``, column
nodes ``MN + j*M + i``; cells 1e-6-1e-4 S with a stuck-off cell, wires 2 ohm, row and column
terminals), ``apply`` of both agrees to 1e-12 relative (2-norm), for single and batched
right-hand sides, and both coarse operators (closed form vs summed ``PᵀAP``) agree to 1e-14
relative. The only differences allowed are rounding (the coarse diagonal is summed in a
different order); a change to either cycle's order, coupling or coarse space shows up at
O(1e-3) or more. CG preconditioned by each reaches the same solution in the same number of
iterations.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from thermolearn.circuit.mna.spd import LinePreconditioner, LineStructure, SPDSolver
from thermolearn.crossbar.array_solver import CrossbarLinePreconditioner, CrossbarNetwork

pytest.importorskip("pyamg")


def _known_lines(m: int, n: int) -> LineStructure:
    """The crossbar's lines in chain order: M row chains of N, then N column chains of M."""
    mn = m * n
    p = np.arange(2 * mn - 1)
    linked = np.where(p < mn, (p + 1) % n != 0, (p + 1 - mn) % m != 0)
    linked[mn - 1] = False  # last row node | first column node
    q = np.arange(mn)  # column-chain position j*M + i -> cell i*N + j
    aggregate = np.concatenate([q, (q % m) * n + q // m])
    return LineStructure(
        order=None,
        linked=linked,
        color_start=np.array([0, mn, 2 * mn]),
        aggregate=aggregate,
        n_coarse=mn,
    )


def _pair(
    m: int, n: int, seed: int
) -> tuple[sp.csr_matrix, CrossbarLinePreconditioner, LinePreconditioner]:
    rng = np.random.default_rng(seed)
    g = rng.uniform(1e-6, 1e-4, (m, n))
    g[1, 2] = 0.0  # a stuck-off cell
    net = CrossbarNetwork(
        g,
        r_wire=2.0,
        row_r_term=rng.uniform(5.0, 20.0, m),
        col_r_term=np.full(n, 3.0),
    )
    a = net._grid_matrix(net.g_cell, chain_order=True)
    xbar = CrossbarLinePreconditioner(m, n, net.r_wire, a)
    general = LinePreconditioner(a, _known_lines(m, n))
    return a, xbar, general


@pytest.mark.parametrize(("m", "n"), [(12, 9), (7, 16)])
def test_crossbar_and_general_line_preconditioners_agree(m: int, n: int) -> None:
    a, xbar, general = _pair(m, n, seed=m * n)
    ca, cg = sp.csr_matrix(xbar.coarse.levels[0].A), general.coarse_matrix
    assert abs(ca - cg).max() <= 1e-14 * abs(ca).max()
    rng = np.random.default_rng(0)
    r = rng.standard_normal((2 * m * n, 3))
    for k in range(3):  # one right-hand side at a time
        x1, x2 = xbar.apply(r[:, k]), general.apply(r[:, k])
        assert np.linalg.norm(x1 - x2) <= 1e-12 * np.linalg.norm(x1)
    y1, y2 = xbar.apply(r), general.apply(r)  # batched
    assert np.linalg.norm(y1 - y2) <= 1e-12 * np.linalg.norm(y1)


def test_cg_iterates_agree_with_either_preconditioner() -> None:
    m, n = 16, 12
    a, xbar, general = _pair(m, n, seed=5)
    b = np.random.default_rng(1).uniform(-1e-3, 1e-3, 2 * m * n)
    x1, rep1 = SPDSolver(a, method="cg", preconditioner=xbar).solve(b)
    x2, rep2 = SPDSolver(a, method="cg", preconditioner=general).solve(b)
    assert rep1.method == rep2.method == "cg"
    np.testing.assert_array_equal(rep1.iterations, rep2.iterations)
    assert np.max(np.abs(x1 - x2)) <= 1e-12 * np.max(np.abs(x1))
