"""A fast nodal solver for crossbar arrays with line resistance.

The array is an M×N grid: row (word) line ``i`` runs along the cells ``(i, 0..N-1)`` and is
reached from its periphery at column 0; column (bit) line ``j`` runs along ``(0..M-1, j)``
and is reached from its periphery below row ``M-1``. Every line is split into one wire
segment of ``r_wire`` ohms per cell pitch (the first segment joins the periphery to the first
cell), and every line ends in a *terminal*: an ideal voltage (a driver, a virtual ground of
a TIA, or ground behind a sense resistor) reached through a series resistance ``r_term``
(driver source resistance, 0 for a TIA, the sense resistor). A line may also float.

Cells are linear conductances between the row node and the column node of their crossing.
The conductance matrix of the wire grid is assembled directly in CSR form from the grid's
stencil; on the first solve its free part (symmetric positive definite) goes to
:class:`~thermolearn.circuit.mna.spd.SPDSolver`, which factors it once (dense Cholesky,
or SuperLU with minimum degree on Aᵀ+A and diagonal pivots) or, above
:data:`LINE_CG_LIMIT` unknowns, preconditions it once for
conjugate gradients with :class:`CrossbarLinePreconditioner` (exact row-line and column-line solves
around an algebraic-multigrid coarse grid); batches of terminal voltages are then solved
against the factor or preconditioner, and every solution carries its largest KCL residual
(:attr:`NetworkSolution.kcl_residual`). The exact read response of a whole array
(transfer matrix and energy quadratic forms) comes instead from
:func:`line_schur_response`, which needs no sparse factor. With ideal wires
(``r_wire = 0``) each line collapses to one node; when every line is then tied directly to
its terminal the solution is the closed form ``I_col = Gᵀ v`` with no solve at all.

Nonlinear cells (a selector in series, 1S1R) are solved by damped Newton on the same grid,
each iteration re-factoring the linearised matrix (:meth:`CrossbarNetwork.solve_nonlinear`).

References
----------
.. [1] A. Chen, "A comprehensive crossbar array model with solutions for line resistance and
   nonlinear device characteristics," IEEE Trans. Electron Devices 60(4), 1318 (2013).
.. [2] J. Zhou, K.-H. Kim, W. Lu, "Crossbar RRAM arrays: selector device requirements
   during read operation," IEEE Trans. Electron Devices 61(5), 1369 (2014).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import ArrayLike, NDArray

from thermolearn.circuit.mna.spd import (
    DENSE_LIMIT,
    DIRECT_LIMIT,
    METHODS,
    AMGPreconditioner,
    SolveReport,
    SPDSolver,
    have_pyamg,
)
from thermolearn.crossbar.mapping import check_conductances
from thermolearn.errors import ConvergenceError, ParameterError
from thermolearn.validation import check_choice, check_nonnegative, finite_array

Array = NDArray[np.float64]
IntArray = NDArray[np.intp]

#: Free-node count up to which the network is factored densely (Cholesky).
_DENSE_LIMIT = 600
#: Free nodes above which ``solver="auto"`` runs CG with :class:`CrossbarLinePreconditioner` on a
#: wired network (measured crossover with SuperLU for one right-hand side: ~5,000 nodes,
#: 50 x 50 cells; benchmarks/bench_crossbar_solvers.py).
LINE_CG_LIMIT = 5_000
#: Right-hand sides in the first solve from which a network of at most DIRECT_LIMIT free nodes
#: is factored instead.
BATCH_DIRECT = 8

#: A nonlinear cell law: cell voltage (V, row minus column) -> (current A, dI/dV S).
CellLaw = Callable[[Array], tuple[Array, Array]]


@dataclass(frozen=True, slots=True)
class NetworkSolution:
    """Solution of a batch of B terminal-voltage vectors.

    Attributes
    ----------
    v_row, v_col : ndarray (B, M, N)
        Voltage (V) of the row and of the column node at every cell.
    i_row, i_col : ndarray (B, M), (B, N)
        Current (A) flowing from each line *into* its terminal (a TIA's input current; minus
        the current a driver delivers). Zero for floating lines.
    p_device : ndarray (B,)
        Power (W) dissipated in the cells, Σ I·V over cells.
    p_wire : ndarray (B,)
        Power (W) dissipated in the wire segments.
    p_row_term, p_col_term : ndarray (B, M), (B, N)
        Power (W) dissipated in each line's terminal resistance (driver or sense resistor).
    p_source : ndarray (B,)
        Power (W) delivered by the ideal terminal sources, −Σ u·i (Tellegen: equals the sum
        of the dissipated powers).
    kcl_residual : ndarray (B,)
        Largest KCL residual over the free nodes (A): the current the solution leaves
        unbalanced, recomputed from the solution (NaN where not computed).
    """

    v_row: Array
    v_col: Array
    i_row: Array
    i_col: Array
    p_device: Array
    p_wire: Array
    p_row_term: Array
    p_col_term: Array
    p_source: Array
    kcl_residual: Array

    @property
    def v_cell(self) -> Array:
        """Cell voltages (B, M, N), row minus column (V)."""
        return self.v_row - self.v_col


class CrossbarNetwork:
    """The linear resistive network of a crossbar: cells, wire segments and terminals.

    Parameters
    ----------
    g_cell : array_like (M, N)
        Cell conductances, S (>= 0). For a nonlinear solve these are only the initial guess.
    r_wire : float
        Wire resistance per segment (ohm, >= 0), the same on rows and columns.
    row_r_term : array_like (M,)
        Series resistance (ohm) from each row line's end to its terminal source; ``inf`` for a
        floating line. 0 with ``r_wire = 0`` ties the line to its terminal voltage.
    col_r_term : array_like (N,)
        The same for the columns.
    solver : {"auto", "cholesky", "splu", "pardiso", "cg"}
        Linear solver of the free block (:class:`~thermolearn.circuit.mna.spd.SPDSolver`);
        ``"auto"`` picks by size, and with line resistance above :data:`LINE_CG_LIMIT` free
        nodes CG with :class:`CrossbarLinePreconditioner` (see :meth:`_uses_cg`).

    Raises
    ------
    ParameterError
        Shape mismatches, negative conductances or resistances, or a line that is floating
        and connected to nothing (a singular node).
    """

    def __init__(
        self,
        g_cell: ArrayLike,
        *,
        r_wire: float = 0.0,
        row_r_term: ArrayLike,
        col_r_term: ArrayLike,
        solver: str = "auto",
    ) -> None:
        owner = "CrossbarNetwork"
        self.solver = check_choice(solver, "solver", owner, METHODS)
        g = check_conductances(g_cell, "g_cell", owner)
        if g.ndim != 2 or g.shape[0] < 1 or g.shape[1] < 1:
            raise ParameterError(
                f"The 'g_cell' argument of {owner} must be a non-empty (M, N) matrix; "
                f"got shape {g.shape}."
            )
        self.m, self.n = g.shape
        self.r_wire = check_nonnegative(r_wire, "r_wire", owner, "ohm")
        self.row_r_term = _terminal_array(row_r_term, self.m, "row_r_term", owner)
        self.col_r_term = _terminal_array(col_r_term, self.n, "col_r_term", owner)
        self.g_cell = g
        self._build()
        self._spd: SPDSolver | None = None
        self._order: IntArray | None = None
        #: Report of the last linear solve (method, iterations, residuals).
        self.last_report: SolveReport | None = None
        self._factor_linear()

    # -- topology ------------------------------------------------------------------------
    def _build(self) -> None:
        m, n = self.m, self.n
        ii, jj = np.meshgrid(np.arange(m), np.arange(n), indexing="ij")
        wired = self.r_wire > 0
        if wired:
            self.rnode: IntArray = (ii * n + jj).astype(np.intp)
            self.cnode: IntArray = (m * n + ii * n + jj).astype(np.intp)
            self.size = 2 * m * n
            gw = 1.0 / self.r_wire
            wa = np.concatenate([self.rnode[:, :-1].ravel(), self.cnode[:-1, :].ravel()])
            wb = np.concatenate([self.rnode[:, 1:].ravel(), self.cnode[1:, :].ravel()])
            self.wire_a, self.wire_b = wa, wb
            self.wire_g: Array = np.full(wa.shape, gw)
            row_end = self.rnode[:, 0]
            col_end = self.cnode[m - 1, :]
        else:
            self.rnode = np.broadcast_to(np.arange(m)[:, None], (m, n)).astype(np.intp)
            self.cnode = np.broadcast_to(m + np.arange(n)[None, :], (m, n)).astype(np.intp)
            self.size = m + n
            self.wire_a = np.zeros(0, dtype=np.intp)
            self.wire_b = np.zeros(0, dtype=np.intp)
            self.wire_g = np.zeros(0)
            row_end = np.arange(m, dtype=np.intp)
            col_end = (m + np.arange(n)).astype(np.intp)
        # terminals: input k (rows 0..M-1, then columns) -> end node, conductance, wire share
        r_term = np.concatenate([self.row_r_term, self.col_r_term])
        end = np.concatenate([row_end, col_end]).astype(np.intp)
        r_series = r_term + self.r_wire
        floating = ~np.isfinite(r_term)
        fixed = (~floating) & (r_series == 0.0)
        edge = (~floating) & (r_series > 0.0)
        self.end_node = end
        self.term_edge = np.flatnonzero(edge)
        self.term_g = 1.0 / r_series[edge]
        self.term_wire_share = np.where(
            np.isfinite(r_term[edge]), self.r_wire / r_series[edge], 0.0
        )
        self.term_fixed = np.flatnonzero(fixed)
        self.n_inputs = m + n
        is_fixed = np.zeros(self.size, dtype=bool)
        is_fixed[end[fixed]] = True
        self.fixed_nodes = end[fixed]
        self.free_nodes = np.flatnonzero(~is_fixed).astype(np.intp)
        self._free_pos = np.full(self.size, -1, dtype=np.intp)
        self._free_pos[self.free_nodes] = np.arange(self.free_nodes.size)

    def _matrix(self, g_cell: Array) -> sp.csr_matrix:
        """Full nodal matrix: Laplacian of wires and cells plus terminal conductances."""
        if self.r_wire > 0:
            return self._grid_matrix(g_cell)
        ca = self.rnode.ravel()
        cb = self.cnode.ravel()
        a = np.concatenate([self.wire_a, ca])
        b = np.concatenate([self.wire_b, cb])
        g = np.concatenate([self.wire_g, g_cell.ravel()])
        diag = np.zeros(self.size)
        np.add.at(diag, a, g)
        np.add.at(diag, b, g)
        np.add.at(diag, self.end_node[self.term_edge], self.term_g)
        rows = np.concatenate([a, b, np.arange(self.size)])
        cols = np.concatenate([b, a, np.arange(self.size)])
        vals = np.concatenate([-g, -g, diag])
        return sp.csr_matrix((vals, (rows, cols)), shape=(self.size, self.size))

    def _grid_matrix(self, g_cell: Array, *, chain_order: bool = False) -> sp.csr_matrix:
        """Build the wired nodal matrix row by row from the grid stencil (sorted CSR).

        Row node ``k = i·N + j`` couples to ``k ∓ 1`` (its row wire) and to the column node of
        its crossing (its cell); column node ``(i, j)`` to its row node and to ``(i ∓ 1, j)``
        (its column wire). Column nodes are numbered ``MN + i·N + j`` (:attr:`cnode`), or
        with ``chain_order`` ``MN + j·M + i``, so that every column line is contiguous (the
        order :class:`CrossbarLinePreconditioner` works in). O(MN) vector operations; no COO sort.
        """
        m, n = self.m, self.n
        mn = m * n
        gw = 1.0 / self.r_wire
        idx = np.int64 if 2 * mn * 4 >= 2**31 else np.int32
        g = np.ascontiguousarray(g_cell, dtype=float).reshape(mn)
        k = np.arange(mn, dtype=idx)
        # column-node number of each crossing, in row-major crossing order
        cnum = (mn + k) if not chain_order else (mn + (k % n) * m + k // n).astype(idx)
        rows = np.empty((mn, 4), dtype=idx)
        rvals = np.empty((mn, 4))
        rkeep = np.ones((mn, 4), dtype=bool)
        # row nodes: [k-1, k, k+1, cell]
        jj = (k % n).reshape(m, n)
        has_l = (jj > 0).ravel()
        has_r = (jj < n - 1).ravel()
        rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3] = k - 1, k, k + 1, cnum
        rvals[:, 0], rvals[:, 2], rvals[:, 3] = -gw, -gw, -g
        rvals[:, 1] = g + gw * (has_l.astype(float) + has_r)
        rkeep[:, 0], rkeep[:, 2] = has_l, has_r
        # column nodes in their own numbering q: [cell, q - step, q, q + step]
        if chain_order:
            order = (k % m) * n + k // m  # crossing (row-major) of column node q = MN + k
            step = 1
        else:
            order = k
            step = n
        ii = (order // n).astype(idx)
        q = mn + k
        cols = np.empty((mn, 4), dtype=idx)
        cvals = np.empty((mn, 4))
        ckeep = np.ones((mn, 4), dtype=bool)
        has_u, has_d = ii > 0, ii < m - 1
        gq = g[order]
        cols[:, 0], cols[:, 1], cols[:, 2], cols[:, 3] = order, q - step, q, q + step
        cvals[:, 0], cvals[:, 1], cvals[:, 3] = -gq, -gw, -gw
        cvals[:, 2] = gq + gw * (has_u.astype(float) + has_d)
        ckeep[:, 1], ckeep[:, 3] = has_u, has_d
        # terminal conductances on the line ends' diagonals
        ends = self.end_node[self.term_edge]
        at_row = ends < mn
        rvals[ends[at_row], 1] += self.term_g[at_row]
        ce = ends[~at_row] - mn  # natural crossing index i*N + j of a column end
        cq = ce if not chain_order else (ce % n) * m + ce // n
        cvals[cq, 2] += self.term_g[~at_row]
        keep = np.concatenate([rkeep, ckeep])
        indptr = np.zeros(2 * mn + 1, dtype=idx)
        np.cumsum(keep.sum(axis=1), out=indptr[1:])
        data = np.concatenate([rvals[rkeep], cvals[ckeep]])
        indices = np.concatenate([rows[rkeep], cols[ckeep]])
        mat = sp.csr_matrix((data, indices, indptr), shape=(self.size, self.size))
        mat.has_sorted_indices = True
        return mat

    @property
    def matrix(self) -> sp.csr_matrix:
        """The full nodal matrix (S) in node order (built on first use, cached)."""
        if self._matrix_cache is None:
            self._matrix_cache = self._matrix(self.g_cell)
        return self._matrix_cache

    def _uses_cg(self, batch: int = 1) -> bool:
        """Whether the linear solves run CG with :class:`CrossbarLinePreconditioner`.

        ``"auto"``: above :data:`LINE_CG_LIMIT` free nodes, unless the first solve has
        :data:`BATCH_DIRECT` or more right-hand sides and the network has at most
        :data:`~thermolearn.circuit.mna.spd.DIRECT_LIMIT` free nodes (a factor then
        pays for itself over the batch).
        """
        size = self.free_nodes.size
        wants = self.solver == "cg" or (
            self.solver == "auto"
            and size > LINE_CG_LIMIT
            and (batch < BATCH_DIRECT or size > DIRECT_LIMIT)
        )
        return self.r_wire > 0 and wants and have_pyamg()

    def _factor_linear(self) -> None:
        self._matrix_cache: sp.csr_matrix | None = None
        f = self.free_nodes
        if f.size and f.size <= _DENSE_LIMIT:
            self._spd = self._make_solver()
        elif self._uses_cg() and self.m * self.n > 1:
            # every node has a wire to a neighbour (diagonal >= 1/r_wire > 0); the matrix
            # in node order is not needed (CG works in chain order)
            pass
        else:
            # the factor or preconditioner is deferred to the first solve (it costs seconds
            # on large arrays and is not needed for line_schur_response); the floating-node
            # check is not
            self._check_diagonal(self.matrix.diagonal()[f])

    def _free_block(self, a: sp.csr_matrix) -> sp.csr_matrix:
        f = self.free_nodes
        return a if f.size == self.size else a[f][:, f].tocsr()

    def _make_solver(self, batch: int = 1) -> SPDSolver:
        method = self.solver
        pre = None
        self._order = None
        if self._uses_cg(batch):
            # every node is free with line resistance: CG with the crossbar's own
            # preconditioner, in the order where every line is contiguous
            m, n = self.m, self.n
            q = np.arange(m * n)
            self._order = np.concatenate([q, m * n + (q % m) * n + q // m])
            aff = self._grid_matrix(self.g_cell, chain_order=True)
            pre = CrossbarLinePreconditioner(m, n, self.r_wire, aff)
            method = "cg"
        else:
            aff = self._free_block(self.matrix)
            self._check_diagonal(aff.diagonal())
            if method == "auto" and aff.shape[0] > DENSE_LIMIT:
                method = "splu"
        try:
            return SPDSolver(aff, method=method, preconditioner=pre)
        except ParameterError as exc:
            raise ParameterError(
                f"CrossbarNetwork: {exc} (a group of floating lines is connected to no terminal?)"
            ) from exc

    @property
    def linear_solver(self) -> SPDSolver | None:
        """Solver of the free block of :attr:`matrix` (built on first use, cached)."""
        if self._spd is None and self.free_nodes.size:
            self._spd = self._make_solver()
        return self._spd

    def _linear_solve(self, rhs: Array) -> tuple[Array, Array]:
        if self._spd is None and self.free_nodes.size:
            self._spd = self._make_solver(batch=rhs.shape[1])
        solver = self.linear_solver
        assert solver is not None
        if self._order is None:
            x, report = solver.solve(rhs)
        else:  # the solver works with every column line contiguous
            xq, report = solver.solve(rhs[self._order])
            x = np.empty_like(xq)
            x[self._order] = xq
            report = dataclasses.replace(report, worst_node=self._order[report.worst_node])
        self.last_report = report
        return x, report.residual

    def _check_diagonal(self, d: Array) -> None:
        if np.any(d <= 0):
            k = int(self.free_nodes[np.flatnonzero(d <= 0)[0]])
            raise ParameterError(
                f"CrossbarNetwork: node {self.node_label(k)} is floating (connected to "
                "nothing); give its line a terminal or a non-zero cell."
            )

    def _factor_matrix(self, a: sp.csr_matrix) -> tuple[str, Any] | None:
        f = self.free_nodes
        if f.size == 0:
            return None
        aff = a[f][:, f].tocsc()
        self._check_diagonal(aff.diagonal())
        if aff.shape[0] <= _DENSE_LIMIT:
            try:
                return ("dense", np.linalg.cholesky(aff.toarray()))
            except np.linalg.LinAlgError as exc:
                raise ParameterError(
                    "CrossbarNetwork: singular network (a group of floating lines is connected "
                    "to no terminal)."
                ) from exc
        try:
            # the free block is symmetric positive definite: minimum degree on A^T + A with
            # diagonal pivots keeps SuperLU's symmetric ordering (less fill than COLAMD)
            return (
                "lu",
                spla.splu(
                    aff,
                    permc_spec="MMD_AT_PLUS_A",
                    diag_pivot_thresh=0.0,
                    options={"SymmetricMode": True},
                ),
            )
        except RuntimeError as exc:  # pragma: no cover - singular despite the diagonal check
            raise ParameterError(f"CrossbarNetwork: singular network ({exc}).") from exc

    def node_label(self, k: int) -> str:
        """Human-readable name of node ``k`` (e.g. ``row 3 at column 5``)."""
        m, n = self.m, self.n
        if self.r_wire > 0:
            if k < m * n:
                return f"row {k // n} at column {k % n}"
            k -= m * n
            return f"column {k % n} at row {k // n}"
        return f"row line {k}" if k < m else f"column line {k - m}"

    # -- linear solves -------------------------------------------------------------------
    def _inputs(self, u_row: ArrayLike, u_col: ArrayLike) -> Array:
        ur = finite_array(u_row, "u_row", "CrossbarNetwork.solve")
        uc = finite_array(u_col, "u_col", "CrossbarNetwork.solve")
        ur2 = np.atleast_2d(ur)
        uc2 = np.atleast_2d(uc)
        if ur2.shape[-1] != self.m or uc2.shape[-1] != self.n or ur2.ndim != 2 or uc2.ndim != 2:
            raise ParameterError(
                f"CrossbarNetwork.solve needs u_row of shape (B, {self.m}) and u_col of shape "
                f"(B, {self.n}); got {ur.shape} and {uc.shape}."
            )
        b = max(ur2.shape[0], uc2.shape[0])
        if ur2.shape[0] not in (1, b) or uc2.shape[0] not in (1, b):
            raise ParameterError(
                f"CrossbarNetwork.solve: batch sizes of u_row {ur.shape} and u_col {uc.shape} "
                "do not match."
            )
        return np.concatenate(
            [np.broadcast_to(ur2, (b, self.m)), np.broadcast_to(uc2, (b, self.n))], axis=1
        )

    def _solve_free(self, factor: tuple[str, Any], rhs: Array) -> Array:
        kind, f = factor
        if kind == "dense":
            import scipy.linalg as sla

            y = sla.solve_triangular(f, rhs, lower=True)
            return np.asarray(sla.solve_triangular(f.T, y, lower=False))
        return np.asarray(f.solve(rhs))

    def _node_voltages(
        self,
        u: Array,
        a: sp.csr_matrix | None,
        solve: Callable[[Array], tuple[Array, Array]],
        extra_rhs: Array | None = None,
    ) -> tuple[Array, Array]:
        """All node voltages (B, size) for inputs u (B, M+N), and the KCL residuals (B,)."""
        bsz = u.shape[0]
        v = np.zeros((bsz, self.size))
        v[:, self.fixed_nodes] = u[:, self.term_fixed]
        if self.free_nodes.size == 0:
            return v, np.zeros(bsz)
        rhs = np.zeros((self.size, bsz))
        np.add.at(
            rhs, self.end_node[self.term_edge], (self.term_g[:, None] * u[:, self.term_edge].T)
        )
        if extra_rhs is not None:
            rhs += extra_rhs.T
        f = self.free_nodes
        rhs_f = rhs if f.size == self.size else rhs[f]
        if self.fixed_nodes.size:
            a = self.matrix if a is None else a
            rhs_f -= a[f][:, self.fixed_nodes] @ v[:, self.fixed_nodes].T
        x, residual = solve(rhs_f)
        v[:, f] = x.T
        return v, residual

    def _pack(
        self, u: Array, v: Array, residual: Array, i_cell: Array | None = None
    ) -> NetworkSolution:
        """Derive currents and powers from node voltages v (B, size)."""
        bsz = u.shape[0]
        vr = v[:, self.rnode]
        vc = v[:, self.cnode]
        vcell = vr - vc
        icell = self.g_cell[None] * vcell if i_cell is None else i_cell
        p_dev = np.sum(icell * vcell, axis=(1, 2))
        dw = v[:, self.wire_a] - v[:, self.wire_b]
        p_wire = (dw**2) @ self.wire_g if self.wire_g.size else np.zeros(bsz)
        i_term = np.zeros((bsz, self.n_inputs))
        p_term = np.zeros((bsz, self.n_inputs))
        if self.term_edge.size:
            dv = v[:, self.end_node[self.term_edge]] - u[:, self.term_edge]
            i_term[:, self.term_edge] = self.term_g * dv
            p_all = self.term_g * dv**2
            p_wire = p_wire + p_all @ self.term_wire_share
            p_term[:, self.term_edge] = p_all * (1.0 - self.term_wire_share)
        if self.term_fixed.size:
            # current into a tied terminal = total cell current leaving its line
            for k in self.term_fixed:
                if k < self.m:  # cells draw current out of a row line
                    i_term[:, k] = -np.sum(icell[:, k, :], axis=1)
                else:  # and deliver it into a column line
                    i_term[:, k] = np.sum(icell[:, :, k - self.m], axis=1)
        p_src = -np.sum(u * i_term, axis=1)
        return NetworkSolution(
            v_row=vr,
            v_col=vc,
            i_row=i_term[:, : self.m],
            i_col=i_term[:, self.m :],
            p_device=p_dev,
            p_wire=p_wire,
            p_row_term=p_term[:, : self.m],
            p_col_term=p_term[:, self.m :],
            p_source=p_src,
            kcl_residual=np.asarray(residual, dtype=float).reshape(bsz),
        )

    def solve(self, u_row: ArrayLike, u_col: ArrayLike, *, chunk: int = 256) -> NetworkSolution:
        """Solve the linear network for a batch of terminal voltages.

        Parameters
        ----------
        u_row : array_like (M,) or (B, M)
            Terminal voltages of the row lines, V (ignored for floating lines).
        u_col : array_like (N,) or (B, N)
            Terminal voltages of the column lines, V (0 for a TIA's virtual ground).
        chunk : int
            Right-hand sides per triangular solve (bounds the memory of large batches).

        Returns
        -------
        NetworkSolution
        """
        u = self._inputs(u_row, u_col)
        parts = []
        for s in range(0, u.shape[0], chunk):
            us = u[s : s + chunk]
            v, residual = self._node_voltages(us, None, self._linear_solve)
            parts.append(self._pack(us, v, residual))
        if len(parts) == 1:
            return parts[0]
        return NetworkSolution(
            *[np.concatenate([getattr(p, f) for p in parts]) for f in NetworkSolution.__slots__]
        )

    def transfer(self, inputs: ArrayLike, outputs: ArrayLike) -> Array:
        """Exact linear map from terminal voltages to terminal currents.

        Parameters
        ----------
        inputs, outputs : array_like of int
            Terminal indices (rows 0..M-1, then columns M..M+N-1).

        Returns
        -------
        ndarray (n_outputs, n_inputs)
            ``i[outputs] = T @ u[inputs]`` when every other terminal voltage is zero (A/V).
        """
        ins = np.asarray(inputs, dtype=np.intp)
        outs = np.asarray(outputs, dtype=np.intp)
        if self.r_wire > 0 and ins.size:
            # line-wise Schur complements: dense block algebra, no sparse solve per input
            return np.ascontiguousarray(line_schur_response(self, ins).current[outs])
        u = np.zeros((ins.size, self.n_inputs))
        u[np.arange(ins.size), ins] = 1.0
        sol = self.solve(u[:, : self.m], u[:, self.m :])
        i_all = np.concatenate([sol.i_row, sol.i_col], axis=1)
        return np.ascontiguousarray(i_all[:, outs].T)

    # -- nonlinear cells -----------------------------------------------------------------
    def solve_nonlinear(
        self,
        u_row: ArrayLike,
        u_col: ArrayLike,
        law: CellLaw,
        *,
        tol: float = 1e-12,
        max_iter: int = 100,
        v_limit: float = 0.5,
    ) -> NetworkSolution:
        """Solve with nonlinear cells ``I = law(V)`` by damped Newton (one vector at a time).

        Each iteration linearises every cell at its present voltage (companion model
        G = dI/dV, J = I − G·V), re-factors and solves; cell-voltage updates are limited to
        ``v_limit`` volts per iteration. Converged when the largest KCL residual is below
        ``tol`` amperes.

        Raises
        ------
        ConvergenceError
            With the last residual and the worst node.
        """
        u = self._inputs(u_row, u_col)
        sols = [self._newton(u[k : k + 1], law, tol, max_iter, v_limit) for k in range(u.shape[0])]
        return NetworkSolution(
            *[np.concatenate([getattr(p, f) for p in sols]) for f in NetworkSolution.__slots__]
        )

    def _newton(
        self, u: Array, law: CellLaw, tol: float, max_iter: int, v_limit: float
    ) -> NetworkSolution:
        v, _ = self._node_voltages(u, None, self._linear_solve)  # linear initial guess
        ca, cb = self.rnode.ravel(), self.cnode.ravel()
        res_norm = np.inf
        worst = 0
        for _ in range(max_iter):
            vcell = v[0, ca] - v[0, cb]
            i, g = law(vcell)
            g = np.maximum(g, 1e-30)
            # KCL residual with the true cell currents
            res = self._kcl_residual(u[0], v[0], i)
            f = self.free_nodes
            res_f = res[f]
            res_norm = float(np.max(np.abs(res_f))) if f.size else 0.0
            worst = int(f[np.argmax(np.abs(res_f))]) if f.size else 0
            if res_norm < tol:
                break
            a = self._matrix(g.reshape(self.m, self.n))
            fac = self._factor_matrix(a)
            j_eq = i - g * vcell
            extra = np.zeros((1, self.size))
            np.add.at(extra[0], ca, -j_eq)
            np.add.at(extra[0], cb, j_eq)
            assert fac is not None

            def direct(rhs: Array, fac: tuple[str, Any] = fac) -> tuple[Array, Array]:
                return self._solve_free(fac, rhs), np.full(rhs.shape[1], np.nan)

            v_new, _ = self._node_voltages(u, a, direct, extra)
            dv = v_new - v
            step = np.max(np.abs(dv))
            if step > v_limit:
                dv *= v_limit / step
            v = v + dv
        else:
            raise ConvergenceError(
                f"CrossbarNetwork: Newton did not converge in {max_iter} iterations; "
                f"residual {res_norm:.3e} A at {self.node_label(worst)}.",
                residual=res_norm,
                worst_node=self.node_label(worst),
            )
        vcell = v[0, ca] - v[0, cb]
        i, _ = law(vcell)
        res = self._kcl_residual(u[0], v[0], i)[self.free_nodes]
        residual = np.array([np.max(np.abs(res)) if res.size else 0.0])
        return self._pack(u, v, residual, i.reshape(1, self.m, self.n))

    def _kcl_residual(self, u: Array, v: Array, i_cell: Array) -> Array:
        """Net current (A) leaving each node (zero at a solution; fixed nodes excluded)."""
        r = np.zeros(self.size)
        dw = v[self.wire_a] - v[self.wire_b]
        np.add.at(r, self.wire_a, self.wire_g * dw)
        np.add.at(r, self.wire_b, -self.wire_g * dw)
        np.add.at(r, self.rnode.ravel(), i_cell)
        np.add.at(r, self.cnode.ravel(), -i_cell)
        e = self.end_node[self.term_edge]
        np.add.at(r, e, self.term_g * (v[e] - u[self.term_edge]))
        return r


class CrossbarLinePreconditioner:
    """Preconditioner of a wired crossbar: line solves around an AMG coarse grid.

    The crossbar's own case of :class:`~thermolearn.circuit.mna.spd.LinePreconditioner`
    (which finds the lines, colours and aggregates of any matrix, as it does for an imported
    crossbar netlist): here they are known, so the cycle works on the grid's vectors (cells
    as a vector, column lines by transposition, the coarse operator in closed form) with no
    sparse coupling matrices; at 1024 × 1024 the general class on the same lines costs
    ~0.7 s more to set up and ~25 % more per application (measured), so the crossbar
    solver keeps this one.

    With line resistance the nodal matrix is ``[[T_r, −G], [−G, T_c]]``: ``T_r`` holds the
    row lines (M tridiagonal chains, wire conductance ``1/r_wire`` between neighbours, the
    cells and the row terminal on the diagonal), ``T_c`` the column lines, and ``G`` the
    cell conductances coupling each row node to the column node of its crossing. Wires are
    usually 10³–10⁵ times stiffer than cells, so point smoothers stall; one application here
    is a two-level cycle:

    1. block Gauss–Seidel, rows then columns (each family of chains solved exactly by
       LAPACK ``pttrs``);
    2. a coarse correction on the space ``v_row = v_col`` (one unknown per crossing):
       its Galerkin operator ``PᵀAP`` is the 5-point grid Laplacian of the merged row and
       column wires plus the terminals (the cells cancel), solved approximately by one
       symmetric V-cycle of pyamg smoothed aggregation (:class:`AMGPreconditioner`);
    3. block Gauss–Seidel, columns then rows (the adjoint of step 1).

    The line smoother removes every error that varies along or across lines faster than
    the wires relax into the cells; the errors it leaves are common to a crossing's row
    and column node and smooth over the grid, which is what the coarse space holds. The
    cycle is symmetric positive definite (adjoint smoothers, Galerkin coarse operator), so
    it preconditions CG; its cost is linear in the cell count.

    Parameters
    ----------
    m, n : int
        Rows and columns of the array.
    r_wire : float
        Wire resistance per segment (ohm, > 0).
    a : sparse matrix (2MN, 2MN)
        The nodal matrix in chain order: row nodes ``i·N + j``, then column nodes
        ``MN + j·M + i`` (:meth:`CrossbarNetwork._grid_matrix` with ``chain_order``).
    """

    def __init__(self, m: int, n: int, r_wire: float, a: sp.csr_matrix) -> None:
        from scipy.linalg import lapack

        if r_wire <= 0 or a.shape != (2 * m * n, 2 * m * n):
            raise ParameterError(
                f"CrossbarLinePreconditioner needs r_wire > 0 and a ({2 * m * n}, "
                f"{2 * m * n}) matrix; got r_wire={r_wire} and shape {a.shape}."
            )
        mn = m * n
        self.m, self.n, self.mn = m, n, mn
        gw = 1.0 / r_wire
        d = a.diagonal()
        # the cell couplings as stored in the matrix: row node k = i*N + j <-> column node
        # MN + j*M + i
        k = np.arange(mn)
        to_chain = (k % n) * m + k // n
        self.g = -np.asarray(a[k, mn + to_chain]).ravel()
        self.g_chain = self._chain(self.g)  # the cells, in column-node order
        off_r = np.full(max(mn - 1, 0), -gw)
        off_r[n - 1 :: n] = 0.0  # no wire between the end of one row and the next row
        off_c = np.full(max(mn - 1, 0), -gw)
        off_c[m - 1 :: m] = 0.0
        d_r = d[:mn]
        d_c = d[mn:]  # chain order
        self._lapack = lapack
        self.row_factor = self._pttrf(d_r, off_r, "row")
        self.col_factor = self._pttrf(d_c, off_c, "column")
        # Galerkin coarse operator on v_row = v_col: the merged wire grid (cells cancel),
        # on the crossings in row-major order
        diags = [d_r + self._unchain(d_c) - 2.0 * self.g]
        offsets = [0]
        if n > 1:
            diags += [off_r, off_r]
            offsets += [-1, 1]
        if m > 1:
            off_i = np.full(mn - n, -gw)
            diags += [off_i, off_i]
            offsets += [-n, n]
        coarse = sp.diags(diags, offsets, shape=(mn, mn), format="csr")
        coarse.eliminate_zeros()
        self.coarse = AMGPreconditioner(coarse, kind="sa")  # 5-point grid: SA, opc ~1.3

    def _pttrf(self, d: Array, e: Array, what: str) -> tuple[Array, Array]:
        df, ef, info = self._lapack.dpttrf(d, e)
        if info != 0:
            raise ParameterError(
                f"CrossbarLinePreconditioner: a {what} line is not positive definite (pttrf info "
                f"{info}); is a floating line connected to nothing?"
            )
        return df, ef

    def _rows(self, rhs: Array) -> Array:
        df, ef = self.row_factor
        return np.asarray(self._lapack.dpttrs(df, ef, rhs)[0])

    def _cols(self, rhs: Array) -> Array:
        df, ef = self.col_factor
        return np.asarray(self._lapack.dpttrs(df, ef, rhs)[0])

    def _chain(self, x: Array) -> Array:
        """Crossing order (i·N + j) -> column-chain order (j·M + i)."""
        m, n = self.m, self.n
        return np.ascontiguousarray(x.reshape((m, n, *x.shape[1:])).swapaxes(0, 1)).reshape(x.shape)

    def _unchain(self, x: Array) -> Array:
        """Column-chain order (j·M + i) -> crossing order (i·N + j)."""
        m, n = self.m, self.n
        return np.ascontiguousarray(x.reshape((n, m, *x.shape[1:])).swapaxes(0, 1)).reshape(x.shape)

    def apply(self, r: Array) -> Array:
        """One two-level cycle on residuals ``r`` (chain order) of shape (2MN,) or (2MN, B)."""
        mn = self.mn
        batched = r.ndim == 2
        g = self.g[:, None] if batched else self.g
        gc = self.g_chain[:, None] if batched else self.g_chain
        r_row, r_col = r[:mn], r[mn:]
        v_row = self._rows(r_row)
        v_col = self._cols(r_col + gc * self._chain(v_row))
        # after the sweep the column equations hold; the row residual is G·v_col
        e = self.coarse.apply(g * self._unchain(v_col))
        v_row += e
        v_col = self._cols(r_col + gc * self._chain(v_row))
        v_row = self._rows(r_row + g * self._unchain(v_col))
        return np.concatenate([v_row, v_col])


@dataclass(frozen=True, slots=True)
class LinearResponse:
    """The exact linear response of a crossbar network to a set of terminal inputs.

    For inputs ``u`` (B, n_in) applied to the terminals ``inputs`` (all other terminal
    voltages zero): terminal currents ``i = u @ current.T`` and powers ``p = Σ (u @ Q) * u``.

    Attributes
    ----------
    inputs : ndarray of int (n_in,)
        Terminal indices (rows 0..M-1, then columns M..M+N-1).
    current : ndarray (M+N, n_in)
        Current from each line into its terminal per volt of each input, S.
    q_device, q_wire, q_term_row, q_term_col, q_extra : ndarray (n_in, n_in)
        Quadratic forms of the cell, wire, row-terminal and column-terminal dissipation (W/V²)
        and of the optional extra cell weighting (see :meth:`CrossbarNetwork.response`).
    """

    inputs: IntArray
    current: Array
    q_device: Array
    q_wire: Array
    q_term_row: Array
    q_term_col: Array
    q_extra: Array


def _spd_inverse(a: Array) -> Array:
    """Inverse of a symmetric positive-definite matrix by Cholesky.

    ``a = L Lᵀ`` (LAPACK potrf, reading only the lower triangle of ``a``, which it
    overwrites), ``L⁻¹`` by trtri, then ``a⁻¹ = L⁻ᵀ L⁻¹`` as one matrix product (faster than
    potri with OpenBLAS).
    """
    from scipy.linalg import lapack

    c, info = lapack.dpotrf(a, lower=1, clean=1, overwrite_a=1)
    if info != 0:
        raise ParameterError(
            f"line_schur_response: reduced matrix not positive definite (potrf info {info}); "
            "is a group of lines connected to no terminal?"
        )
    c_inv, info = lapack.dtrtri(c, lower=1, overwrite_c=1)
    if info != 0:  # pragma: no cover - potrf succeeded, so the factor is nonsingular
        raise ParameterError(f"line_schur_response: trtri failed (info {info}).")
    return np.asarray(c_inv.T @ c_inv)


def line_schur_response(
    net: CrossbarNetwork, inputs: ArrayLike, extra_weight: Array | None = None
) -> LinearResponse:
    """Exact linear response of a wired network by line-wise Schur complements.

    Each row line is a tridiagonal chain; eliminating it leaves a dense N×N coupling among
    the column nodes of that row, and the column lines make the reduced system block
    tridiagonal in the row index. A block-Thomas sweep (one N×N Cholesky inverse per row)
    then gives every node voltage per unit input, O(M·N²·(N + n_in)) flops and
    O(M·N·(N + n_in)) memory, with no sparse fill-in — much faster than a sparse LU with
    many right-hand sides. The row chains are solved with LAPACK's tridiagonal
    ``pttrf``/``pttrs`` (no dense chain inverse is multiplied), the blocks by Cholesky
    ``potrf``/``potri``, and right-hand sides that are still zero are skipped.

    Parameters
    ----------
    net : CrossbarNetwork
        A network with ``r_wire > 0``.
    inputs : array_like of int
        Terminal indices whose voltages vary (e.g. all rows for a read).
    extra_weight : ndarray (M, N), optional
        Per-cell weights w for an extra quadratic form Σ w V_cell² (e.g. the memristor part of
        a 1T1R branch).
    """
    from scipy.linalg import lapack

    if net.r_wire <= 0:
        raise ParameterError("line_schur_response needs r_wire > 0.")
    m, n = net.m, net.n
    ins = np.asarray(inputs, dtype=np.intp)
    nin = ins.size
    gw = 1.0 / net.r_wire
    g_term = np.zeros(m + n)
    g_term[net.term_edge] = net.term_g
    share = np.zeros(m + n)
    share[net.term_edge] = net.term_wire_share
    g_rt, g_ct = g_term[:m], g_term[m:]
    col_of = {int(k): c for c, k in enumerate(ins)}
    G = net.g_cell
    w_extra = np.zeros((m, n)) if extra_weight is None else np.asarray(extra_weight, dtype=float)
    # input columns fed by each row's terminal and by the column terminals (at row M-1)
    col_inputs = np.array([col_of.get(m + j, -1) for j in range(n)], dtype=np.intp)
    has_col_in = col_inputs >= 0
    # row-line elimination (forward block-Thomas sweep)
    row_diag_base = np.full(n, 2.0 * gw)
    row_diag_base[-1] = gw
    row_diag_base[0] = gw
    off = np.full(max(n - 1, 0), -gw)
    eye = np.eye(n)
    chain: list[tuple[Array, Array]] = []
    dinv: list[Array] = []
    bp: list[Array] = []
    hi: list[int] = []  # columns >= hi[i] of bp[i] are zero
    hi_prev = 0
    for i in range(m):
        d = row_diag_base + G[i]
        d[0] += g_rt[i]
        if n == 1:
            df, ef = d, off
            h = 1.0 / d[:, None]
        else:
            df, ef, info = lapack.dpttrf(d, off)
            if info != 0:  # pragma: no cover - d > 0 and diagonally dominant
                raise ParameterError(f"line_schur_response: row {i} chain not SPD ({info}).")
            h, info = lapack.dpttrs(df, ef, eye)
        chain.append((df, ef))
        s_mat = -(G[i][:, None] * h * G[i][None, :])
        nb = (1 if i > 0 else 0) + (1 if i < m - 1 else 0)
        diag = G[i] + gw * nb
        if i == m - 1:
            diag = diag + g_ct
        s_mat[np.diag_indices(n)] += diag
        b = np.zeros((n, nin))
        hi_i = hi_prev
        if i in col_of and g_rt[i] > 0:
            b[:, col_of[i]] = G[i] * h[:, 0] * g_rt[i]
            hi_i = max(hi_i, col_of[i] + 1)
        if i == m - 1 and np.any(has_col_in):
            b[np.flatnonzero(has_col_in), col_inputs[has_col_in]] += g_ct[has_col_in]
            hi_i = max(hi_i, int(col_inputs.max()) + 1)
        if i > 0:
            s_mat -= (gw * gw) * dinv[-1]
            if hi_prev > 0:
                b[:, :hi_prev] += gw * (dinv[-1] @ bp[-1][:, :hi_prev])
        dinv.append(_spd_inverse(s_mat))
        bp.append(b)
        hi.append(hi_i)
        hi_prev = hi_i
    # back substitution and accumulation of the quadratic forms (lower triangles)
    cur = np.zeros((m + n, nin))
    q_dev = np.zeros((nin, nin))
    q_wire = np.zeros((nin, nin))
    q_tr = np.zeros((nin, nin))
    q_tc = np.zeros((nin, nin))
    q_x = np.zeros((nin, nin))
    vc_next: Array | None = None
    for i in range(m - 1, -1, -1):
        rhs = bp[i] if vc_next is None else bp[i] + gw * vc_next
        if vc_next is None and hi[i] < nin:
            vc = np.zeros((n, nin))
            if hi[i] > 0:
                vc[:, : hi[i]] = dinv[i] @ rhs[:, : hi[i]]
        else:
            vc = dinv[i] @ rhs
        src = G[i][:, None] * vc
        e_i = np.zeros(nin)
        if i in col_of:
            e_i[col_of[i]] = 1.0
            src[0] += g_rt[i] * e_i
        df, ef = chain[i]
        vr = src / df[0] if n == 1 else lapack.dpttrs(df, ef, src)[0]
        k = vr - vc
        q_dev += k.T @ (G[i][:, None] * k)
        if extra_weight is not None:
            q_x += k.T @ (w_extra[i][:, None] * k)
        parts = []
        if n > 1:
            parts.append(vr[:-1] - vr[1:])
        if vc_next is not None:
            parts.append(vc - vc_next)
        if parts:
            dw = parts[0] if len(parts) == 1 else np.concatenate(parts)
            q_wire += gw * (dw.T @ dw)
        if g_rt[i] > 0:
            dv = vr[0] - e_i
            cur[i] = g_rt[i] * dv
            outer = g_rt[i] * np.outer(dv, dv)
            q_wire += share[i] * outer
            q_tr += (1.0 - share[i]) * outer
        if i == m - 1:
            dv_c = vc.copy()
            dv_c[np.flatnonzero(has_col_in), col_inputs[has_col_in]] -= 1.0
            on = g_ct > 0
            cur[m:][on] = g_ct[on, None] * dv_c[on]
            wc = g_ct * share[m:]
            tc = g_ct * (1.0 - share[m:])
            q_wire += dv_c.T @ (wc[:, None] * dv_c)
            q_tc += dv_c.T @ (tc[:, None] * dv_c)
        vc_next = vc
    return LinearResponse(
        inputs=ins,
        current=cur,
        q_device=q_dev,
        q_wire=q_wire,
        q_term_row=q_tr,
        q_term_col=q_tc,
        q_extra=q_x,
    )


def _terminal_array(value: ArrayLike, size: int, name: str, owner: str) -> Array:
    arr: Array = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        arr = np.full(size, float(arr))
    if arr.shape != (size,):
        raise ParameterError(
            f"The '{name}' argument of {owner} must have shape ({size},); got {arr.shape}."
        )
    if np.any(np.isnan(arr)) or np.any(arr < 0):
        raise ParameterError(
            f"The '{name}' argument of {owner} must be >= 0 ohm (inf = floating); got {arr!r}."
        )
    return arr


__all__ = [
    "CrossbarNetwork",
    "NetworkSolution",
    "CellLaw",
    "LinearResponse",
    "CrossbarLinePreconditioner",
    "line_schur_response",
]
