"""Sparse LU factorisation and batched linear solves (:class:`LinearSolver`, :func:`op_batch`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import ArrayLike, NDArray

from thermolearn.circuit.circuit import GROUND, Circuit
from thermolearn.circuit.elements import element_currents
from thermolearn.circuit.mna.compile import CompiledCircuit, compiled, node_voltages
from thermolearn.circuit.results import OperatingPoint
from thermolearn.errors import NetlistError, ParameterError, SolverError

Array = NDArray[np.float64]


def factor(a: sp.csc_matrix, comp: CompiledCircuit, **options: Any) -> Any:
    """Sparse LU of ``a``; a singular matrix raises NetlistError naming the suspect node."""
    try:
        with np.errstate(all="ignore"):
            # minimum degree on A^T + A: MNA matrices are structurally almost symmetric, and
            # on crossbars this gives ~2x less fill than COLAMD (measured in bench_mna.py)
            lu = spla.splu(a, permc_spec="MMD_AT_PLUS_A", **options)
    except RuntimeError as exc:
        diag = np.abs(a.diagonal())
        row = int(np.argmin(diag)) if diag.size else 0
        raise NetlistError(
            f"the MNA matrix is singular ({exc}); check {comp.node_name(row)!r} for a floating "
            "node, a current-source cutset or a voltage-source loop."
        ) from exc
    return lu


#: Right-hand sides per SuperLU solve call: scipy's SuperLU is fastest per column for small
#: blocks (measured: 4 columns ~2x faster per column than 1 or 16 on a 256x256 crossbar).
BLOCK = 4

#: Most "terminal" unknowns (varied sources, V-source branches and the nodes they touch) that
#: :class:`LinearSolver` orders last in its factorisation; also the largest trailing block it
#: densifies for a transfer matrix (above, it falls back to one LU solve per source).
TERMINAL_LIMIT = 2048


def _terminal_unknowns(comp: CompiledCircuit, a: sp.csc_matrix, source_map: sp.csc_matrix) -> Any:
    """Unknowns to eliminate last in :class:`LinearSolver`'s factorisation.

    These are the rows the varied sources drive, every V-source branch (the usual outputs)
    and, for these branch rows, the node columns they touch (so that their ±1 entries are
    never candidate pivots for an interior column).
    """
    src_rows = np.unique(source_map.tocsc().indices)
    br = np.array([comp.branch_row[e.name] for e in comp.vsrc], dtype=np.intp)
    k = np.union1d(src_rows, br).astype(np.intp)
    branch = k[k >= comp.n]
    if branch.size:
        k = np.union1d(k, a.tocsr()[branch].indices).astype(np.intp)
    return k


def _factor_terminals_last(a: sp.csc_matrix, comp: CompiledCircuit, terminals: Any) -> Any:
    """Sparse LU of ``a`` whose fill-reducing ordering eliminates ``terminals`` last.

    The terminal set is made a clique of explicit structural zeros (the matrix values are
    unchanged), so minimum degree orders every interior unknown before it. The trailing
    block of the factors is then the LU of the Schur complement onto the terminals, from
    which :meth:`LinearSolver.transfer_matrix` takes the exact transfer matrix with dense
    algebra instead of one sparse solve per source.
    """
    kk = np.repeat(terminals, terminals.size)
    ll = np.tile(terminals, terminals.size)
    coo = a.tocoo()
    padded = sp.csc_matrix(
        (
            np.concatenate([coo.data, np.zeros(kk.size)]),
            (np.concatenate([coo.row, kk]), np.concatenate([coo.col, ll])),
        ),
        shape=a.shape,
    )
    return factor(padded, comp, options={"SymmetricMode": True})


class LinearSolver:
    """Factor a linear circuit once; solve it for many source vectors.

    The circuit's MNA matrix depends only on its passive elements; the independent sources
    enter only the right-hand side. ``LinearSolver`` factors the matrix once (sparse LU) and
    then maps batches of source values to node voltages or branch currents.

    The factorisation's minimum-degree ordering is constrained to eliminate the "terminal"
    unknowns last (the varied sources, every V-source branch and the nodes those touch, up to
    :data:`TERMINAL_LIMIT`), so the trailing block of the factors is the LU of the Schur
    complement onto the terminals and :meth:`transfer_matrix` needs only dense triangular
    solves on it: on a 256x256 crossbar with line resistance, factor + transfer matrix +
    1000 input vectors take ~0.8 s instead of ~2.5 s with one sparse solve per source
    (``benchmarks/bench_mna.py``). The factor is of the same matrix (only the ordering
    differs), so results are exact to rounding.

    Parameters
    ----------
    circuit : Circuit
        A linear circuit (R, switches, linear memristors, L, V, I, E, F, G, H). Capacitors are
        open (DC).
    sources : sequence of str, optional
        The independent V/I sources whose values vary (default: all, in circuit order); the
        others keep their DC values.

    Examples
    --------
    >>> solver = LinearSolver(circuit, sources=["V0", "V1"])      # doctest: +SKIP
    >>> i_out = solver.solve(values, outputs=["Vcol0", "Vcol1"])  # (B, 2) branch currents
    """

    def __init__(self, circuit: Circuit, sources: Sequence[str] | None = None) -> None:
        comp = compiled(circuit)
        if comp.nonlinear:
            raise ParameterError(
                "LinearSolver needs a linear circuit; this one has diodes, selectors, "
                "nonlinear memristors or B sources. Use operating_point instead."
            )
        comp.check_topology()
        self.comp = comp
        self.circuit = circuit
        all_src = comp.vsrc + comp.isrc
        if sources is None:
            chosen = all_src
        else:
            by = {e.name.lower(): e for e in all_src}
            chosen = []
            for s in sources:
                if s.lower() not in by:
                    raise ParameterError(f"LinearSolver: {s!r} is not an independent source.")
                chosen.append(by[s.lower()])
        self.sources = [e.name for e in chosen]
        self.matrix = comp.matrix()
        asym = self.matrix - self.matrix.T
        #: True for reciprocal circuits (no controlled sources): A^T = A
        self.symmetric = bool(asym.nnz == 0 or np.max(np.abs(asym.data)) == 0.0)
        # constant part of the RHS (sources not varied)
        fixed = comp.source_rhs(None)
        cols_r: list[int] = []
        cols_c: list[int] = []
        vals: list[float] = []
        for k, e in enumerate(chosen):
            if e.kind == "V":
                row = comp.branch_row[e.name]
                fixed[row] = 0.0
                cols_r.append(row)
                cols_c.append(k)
                vals.append(1.0)
            else:
                a, b = comp.index[e.p], comp.index[e.n]
                if a >= 0:
                    fixed[a] += e.value
                    cols_r.append(a)
                    cols_c.append(k)
                    vals.append(-1.0)
                if b >= 0:
                    fixed[b] -= e.value
                    cols_r.append(b)
                    cols_c.append(k)
                    vals.append(1.0)
        self.rhs_fixed = fixed
        self.source_map = sp.csc_matrix((vals, (cols_r, cols_c)), shape=(comp.size, len(chosen)))
        terminals = _terminal_unknowns(comp, self.matrix, self.source_map)
        if 0 < terminals.size <= TERMINAL_LIMIT and terminals.size < comp.size:
            self.lu = _factor_terminals_last(self.matrix, comp, terminals)
        else:
            self.lu = factor(self.matrix, comp)
        self.z_fixed = self.lu.solve(fixed)
        self._transfer: dict[tuple[int, ...], Array] = {}
        self._tail: tuple[int, Array, Array] | None = None

    def output_rows(self, outputs: Sequence[str]) -> NDArray[np.intp]:
        """Rows of the unknown vector for node names or branch-element names."""
        rows = []
        for o in outputs:
            if o in self.comp.index and o != GROUND:
                rows.append(self.comp.index[o])
            elif o.lower() in self.comp.branch_row_lower:
                rows.append(self.comp.branch_row_lower[o.lower()])
            else:
                raise ParameterError(
                    f"LinearSolver: {o!r} is neither a node nor a V/L/E/H element."
                )
        return np.asarray(rows, dtype=np.intp)

    def _tail_factors(self, p0: int) -> tuple[int, Array, Array]:
        """Dense trailing blocks ``L[q:, q:]``, ``U[q:, q:]`` of the factors, ``q <= p0``."""
        if self._tail is None or self._tail[0] > p0:
            lower = self.lu.L.tocsc()[p0:, p0:].toarray()
            upper = self.lu.U.tocsc()[p0:, p0:].toarray()
            self._tail = (p0, lower, upper)
        return self._tail

    def _transfer_from_tail(self, rows: NDArray[np.intp]) -> Array | None:
        """Exact transfer matrix from the trailing blocks of the factors (None if too big).

        SuperLU factors ``Pr A Pc = L U``, so ``A^-1 = Pc U^-1 L^-1 Pr``. When every row the
        sources drive and every output sits at a factor position >= p0, the forward solve
        of ``Pr S`` stays in the trailing rows and the outputs need only the trailing rows
        of the back solve: ``T = (U_tt^-1 L_tt^-1 (Pr S)_t)[Pc^-1 outputs]`` — dense
        algebra on the (small) trailing block, with no sparse solve.
        """
        import scipy.linalg as sla

        smap = self.source_map.tocoo()
        pos_src = self.lu.perm_r[smap.row]
        pos_out = self.lu.perm_c[rows]
        if pos_src.size == 0 or pos_out.size == 0:
            return None
        p0 = int(min(pos_src.min(), pos_out.min()))
        if self.comp.size - p0 > TERMINAL_LIMIT:
            return None
        q, lower, upper = self._tail_factors(p0)
        rhs = np.zeros((self.comp.size - q, len(self.sources)))
        np.add.at(rhs, (pos_src - q, smap.col), smap.data)
        x = sla.solve_triangular(lower, rhs, lower=True, unit_diagonal=True, check_finite=False)
        w = sla.solve_triangular(upper, x, lower=False, check_finite=False)
        return np.ascontiguousarray(w[pos_out - q])

    def transfer_matrix(self, outputs: Sequence[str]) -> Array:
        """Matrix T (n_out, n_sources) with outputs = T @ values + offset (exact, via LU).

        The factorisation orders the varied sources and the V-source branches last, so T
        normally comes from dense triangular solves on the trailing block of the LU factors
        (the Schur complement onto those terminals). Otherwise it is built from ``min``
        over n_sources forward solves and n_out adjoint solves (A^T y = e_k; a plain solve
        when the circuit is reciprocal), in blocks of :data:`BLOCK` right-hand sides.
        Cached per output list.
        """
        rows = self.output_rows(outputs)
        key = tuple(rows.tolist())
        if key not in self._transfer:
            tail = self._transfer_from_tail(rows)
            if tail is not None:
                self._transfer[key] = tail
                return tail
            n_src = len(self.sources)
            # SuperLU's transposed solve is ~2x slower per column than the plain one
            # (measured on a 256x256 crossbar), so the adjoint pays only for few outputs;
            # reciprocal circuits (symmetric MNA matrix) get the adjoint at the plain price.
            adj_cost = len(rows) * (1.0 if self.symmetric else 2.0)
            if adj_cost < n_src:
                # adjoint: A^T y_k = e_k, then T[k, :] = y_k^T S
                t = np.empty((len(rows), n_src))
                trans = "N" if self.symmetric else "T"
                for s0 in range(0, len(rows), BLOCK):
                    blk = rows[s0 : s0 + BLOCK]
                    sel = np.zeros((self.comp.size, len(blk)), order="F")
                    sel[blk, np.arange(len(blk))] = 1.0
                    y = self.lu.solve(sel, trans=trans)
                    t[s0 : s0 + len(blk)] = (self.source_map.T @ y).T
            else:
                t = np.empty((len(rows), n_src))
                for s0 in range(0, n_src, BLOCK):
                    cols = self.source_map[:, s0 : s0 + BLOCK].toarray(order="F")
                    t[:, s0 : s0 + cols.shape[1]] = self.lu.solve(cols)[rows, :]
            self._transfer[key] = np.ascontiguousarray(t)
        return self._transfer[key]

    def solve(
        self, values: ArrayLike, outputs: Sequence[str] | None = None, *, chunk: int = 4
    ) -> Array:
        """Solve for a batch of source values.

        Parameters
        ----------
        values : array_like, shape (n_sources,) or (B, n_sources)
            Values of :attr:`sources` (V or A).
        outputs : sequence of str, optional
            Node names (voltages) and/or V/L/E/H element names (branch currents). With
            outputs, a transfer matrix is computed once (``min(n_out, n_sources)`` LU solves)
            and each batch is a dense matrix product. Without, every unknown is returned.
        chunk : int
            Right-hand sides per LU solve when ``outputs`` is None.

        Returns
        -------
        ndarray, shape (B, n_outputs) or (B, size)
            Requested quantities (V, A); 1-D input gives 1-D output.
        """
        vals = np.asarray(values, dtype=float)
        one = vals.ndim == 1
        vals2 = np.atleast_2d(vals)
        if vals2.shape[1] != len(self.sources):
            raise ParameterError(
                f"The 'values' argument of LinearSolver.solve must have {len(self.sources)} "
                f"columns (one per source); got shape {vals.shape}."
            )
        if outputs is not None:
            rows = self.output_rows(outputs)
            t = self.transfer_matrix(outputs)
            with np.errstate(over="ignore", invalid="ignore"):  # checked below
                out = vals2 @ t.T + self.z_fixed[rows][None, :]
        else:
            out = np.empty((vals2.shape[0], self.comp.size))
            for s in range(0, vals2.shape[0], chunk):
                blk = vals2[s : s + chunk]
                rhs = np.asfortranarray(self.source_map @ blk.T)
                with np.errstate(over="ignore", invalid="ignore"):  # checked below
                    out[s : s + chunk] = self.lu.solve(rhs).T + self.z_fixed[None, :]
        if not np.all(np.isfinite(out)):  # never a silent NaN/inf (see mna.guards)

            if not np.all(np.isfinite(vals2)):
                raise ParameterError(
                    "The 'values' argument of LinearSolver.solve must be finite; got NaN or inf."
                )
            b_row, col = (int(v[0]) for v in np.nonzero(~np.isfinite(out)))
            name = outputs[col] if outputs is not None else self.comp.node_name(col)
            raise SolverError(
                f"LinearSolver: the solution is not finite ({name} = {out[b_row, col]}) for "
                f"batch row {b_row}: source values overflow float64 through this circuit.",
                residual=float("inf"),
                worst_node=str(name),
            )
        result: Array = out[0] if one else out
        return result

    def operating_point(self, values: ArrayLike) -> OperatingPoint:
        """Full operating point for one source vector."""
        z = self.solve(np.asarray(values, dtype=float).ravel())
        return OperatingPoint(
            voltages=node_voltages(self.comp, z),
            currents=element_currents(self.comp, z),
            engine="python",
        )


def op_batch(
    circuit: Circuit, values: ArrayLike, sources: Sequence[str], outputs: Sequence[str]
) -> Array:
    """Batched operating points of a linear circuit: factor once, solve many.

    Parameters
    ----------
    circuit : Circuit
        Linear circuit.
    values : array_like, shape (B, len(sources))
        Source values per batch item (V or A).
    sources : sequence of str
        Independent sources to vary.
    outputs : sequence of str
        Node names and/or V/L/E/H branch names to return.

    Returns
    -------
    ndarray, shape (B, len(outputs))
    """
    return LinearSolver(circuit, sources).solve(values, outputs)


__all__ = ["BLOCK", "TERMINAL_LIMIT", "LinearSolver", "factor", "op_batch"]
