"""Solvers for large symmetric positive-definite nodal systems, with a certified residual.

A resistive network without voltage sources (every ideal source folded into its node's
right-hand side through a series conductance) has a symmetric positive-definite (SPD) nodal
matrix ``A`` (siemens): row ``k`` of ``A v = b`` is Kirchhoff's current law at node ``k``,
and ``r = b - A v`` is the current (A) that the solution fails to balance there.
:class:`SPDSolver` factors or preconditions ``A`` once and then solves any number of
right-hand sides against it, choosing by size:

* ``"cholesky"``: dense Cholesky (small systems);
* ``"splu"``: SuperLU with a symmetric minimum-degree ordering and diagonal pivots;
* ``"pardiso"``: MKL PARDISO for SPD matrices through ``pypardiso`` (optional extra; only
  where installed, never chosen automatically);
* ``"cg"``: conjugate gradients preconditioned, for a conductance matrix in which
  :func:`find_lines` finds lines of dominant couplings covering most unknowns (a crossbar's
  wires), by :class:`LinePreconditioner` (exact line solves around a smoothed-aggregation
  coarse grid), otherwise by algebraic multigrid (``pyamg``: classical Ruge–Stüben for
  conductance matrices, smoothed aggregation otherwise), or by a preconditioner the caller
  gives (the crossbar solver's own line smoother).

Every solve returns a :class:`SolveReport` with the residual actually achieved, recomputed
from ``b - A x`` in float64 after the solve: its largest entry is the largest KCL residual
over the nodes. Conjugate gradients stop when that residual is within ``rtol`` of each
system's current scale ``‖|A||x| + |b|‖∞`` (default 64 ε: a few dozen roundings of float64's
own floor, so the voltages are as accurate as the conditioning allows, not just the
certificate); a right-hand side whose residual then exceeds ``atol`` amperes (or that stalls)
is solved again by the direct method (*fallback*), and the report says so. ``pyamg`` and
``pypardiso`` are imported only when those methods are used.

References
----------
.. [1] Y. Saad, *Iterative Methods for Sparse Linear Systems*, 2nd ed., SIAM (2003), §6.7
   (CG) and §7 (residual replacement for the true residual).
.. [2] L. N. Olson, J. B. Schroder, "PyAMG: algebraic multigrid solvers in Python,"
   J. Open Source Softw. 7(72), 4142 (2022).
.. [3] U. Trottenberg, C. W. Oosterlee, A. Schüller, *Multigrid*, Academic Press (2001):
   line relaxation for strongly anisotropic operators.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import NDArray

from thermolearn.errors import ConvergenceError, ParameterError
from thermolearn.validation import check_choice, check_int, check_positive

Array = NDArray[np.float64]
IntArray = NDArray[np.intp]

#: Methods accepted by :class:`SPDSolver`.
METHODS = ("auto", "cholesky", "splu", "pardiso", "cg")

#: Unknowns up to which ``"auto"`` factors densely.
DENSE_LIMIT = 600
#: Unknowns up to which ``"auto"`` factors with SuperLU (above: CG + AMG where pyamg exists).
DIRECT_LIMIT = 100_000
#: Unknowns above which a CG failure is reported instead of falling back to a direct solve
#: (a sparse LU of a 2-D grid this large needs tens of GB and minutes).
FALLBACK_LIMIT = 5_000_000


class Preconditioner(Protocol):
    """A symmetric positive-definite approximation of ``A⁻¹`` applied to residuals."""

    def apply(self, r: Array) -> Array:
        """Return ``M⁻¹ r`` for ``r`` of shape (n,) or (n, B)."""
        ...


@dataclass(frozen=True, slots=True)
class SolveReport:
    """What a solve did and the residual it certifies.

    Attributes
    ----------
    method : str
        The method that produced the answer (``"cg"``, ``"splu"``, ``"cholesky"``,
        ``"pardiso"``; ``"cg+splu"`` when some right-hand sides fell back).
    iterations : ndarray of int (B,)
        CG iterations per right-hand side (0 for a direct solve).
    residual : ndarray (B,)
        Largest KCL residual over the nodes, ``max_k |b - A x|_k`` (A), per right-hand side.
    relative_residual : ndarray (B,)
        The same divided by the system's current scale ``‖|A||x| + |b|‖∞``.
    worst_node : ndarray of int (B,)
        Index of the node with the largest residual.
    fallback : ndarray of bool (B,)
        Right-hand sides that CG did not certify and the direct method solved instead.
    atol : float
        The certified bound (A).
    """

    method: str
    iterations: NDArray[np.int64]
    residual: Array
    relative_residual: Array
    worst_node: IntArray
    fallback: NDArray[np.bool_]
    atol: float

    @property
    def certified(self) -> bool:
        """True when every residual is within ``atol``."""
        return bool(np.all(self.residual <= self.atol))


class AMGPreconditioner:
    """One symmetric V-cycle of pyamg algebraic multigrid per application.

    Forward Gauss–Seidel before and backward Gauss–Seidel after each coarse correction, with
    Galerkin coarse operators (R = Pᵀ), so the cycle is a symmetric positive-definite
    operator and may precondition CG. The cycle is run directly on pyamg's hierarchy
    (no residual norms are computed inside it).

    Parameters
    ----------
    a : sparse matrix (n, n)
        SPD matrix.
    kind : {"auto", "sa", "rs"}
        ``"sa"``: smoothed aggregation; ``"rs"``: classical Ruge–Stüben AMG, built for
        M-matrices such as conductance matrices (robust where the couplings span orders of
        magnitude: on a crossbar nodal matrix SA stalls, RS converges in ~12 CG iterations);
        ``"auto"``: RS for an M-matrix, SA otherwise.
    max_coarse : int
        Size of the coarsest level (solved by pseudo-inverse).

    References
    ----------
    .. [1] J. W. Ruge, K. Stüben, "Algebraic multigrid," in *Multigrid Methods*, SIAM
       Frontiers in Applied Mathematics 3, 73-130 (1987).
    """

    def __init__(
        self, a: sp.spmatrix, *, kind: str = "auto", max_coarse: int = 500, **options: Any
    ) -> None:
        try:
            import pyamg
        except ImportError as exc:  # pragma: no cover - pyamg is a dependency
            raise ParameterError(
                "AMGPreconditioner needs pyamg (pip install pyamg); or use method='splu'."
            ) from exc
        fw = ("gauss_seidel", {"sweep": "forward"})
        bw = ("gauss_seidel", {"sweep": "backward"})
        # pyamg starts its spectral-radius estimates (Jacobi weights of the prolongation
        # smoother) from numpy's global random state: seed it for the setup, so that the
        # hierarchy is reproducible bit for bit, and restore the caller's state afterwards
        check_choice(kind, "kind", "AMGPreconditioner", ("auto", "sa", "rs"))
        a = sp.csr_matrix(a)
        if kind == "auto":
            kind = "rs" if _is_m_matrix_pattern(a) else "sa"
        self.kind = kind
        smoothers = {"presmoother": fw, "postsmoother": bw} | options
        state = np.random.get_state()  # noqa: NPY002 - pyamg draws from the legacy global RNG
        np.random.seed(0)  # noqa: NPY002
        try:
            if kind == "rs":
                self.ml = pyamg.ruge_stuben_solver(a, max_coarse=max_coarse, **smoothers)
            else:
                self.ml = pyamg.smoothed_aggregation_solver(
                    a, symmetry="symmetric", max_coarse=max_coarse, **smoothers
                )
        finally:
            np.random.set_state(state)  # noqa: NPY002
        self.levels = self.ml.levels
        for level in self.levels:  # pyamg keeps BSR(1x1) levels; CSR kernels are faster
            level.A = sp.csr_matrix(level.A)
            if hasattr(level, "P"):
                level.P = sp.csr_matrix(level.P)
                level.R = sp.csr_matrix(level.R)

    @property
    def operator_complexity(self) -> float:
        """Nonzeros of all levels over those of the finest."""
        return float(self.ml.operator_complexity())

    def _cycle(self, b: Array, lvl: int) -> Array:
        level = self.levels[lvl]
        a = level.A
        if lvl == len(self.levels) - 1:
            return np.asarray(self.ml.coarse_solver(a, b), dtype=float).reshape(b.shape)
        x = np.zeros_like(b)
        level.presmoother(a, x, b)
        xc = self._cycle(np.asarray(level.R @ (b - a @ x)), lvl + 1)
        x += level.P @ xc
        level.postsmoother(a, x, b)
        return x

    def apply(self, r: Array) -> Array:
        """One V-cycle per column of ``r``."""
        if r.ndim == 1:
            return self._cycle(np.ascontiguousarray(r, dtype=float), 0)
        out = np.empty_like(r)
        for c in range(r.shape[1]):
            out[:, c] = self._cycle(np.ascontiguousarray(r[:, c], dtype=float), 0)
        return out


def _is_m_matrix_pattern(a: sp.csr_matrix) -> bool:
    """Tell whether every off-diagonal entry is <= 0 (a conductance matrix)."""
    d = a.diagonal()
    return bool(np.count_nonzero(a.data > 0) == np.count_nonzero(d > 0))


# -- line preconditioning -----------------------------------------------------------------
#: Strength threshold of :func:`find_lines`: a coupling is strong when its magnitude is at
#: least this fraction of the row's largest off-diagonal coupling.
LINE_THETA = 0.25
#: Fraction of the nodes that must lie on lines of at least three nodes for ``"auto"`` to
#: precondition with lines.
LINE_COVER = 0.5
#: Most colours (families of mutually uncoupled lines) a line structure may have.
LINE_MAX_COLORS = 8


@dataclass(frozen=True, slots=True)
class LineStructure:
    """Lines of strongly coupled unknowns, in the order :class:`LinePreconditioner` uses.

    Position ``p`` of the *line order* holds unknown ``order[p]`` of the matrix. Every line
    occupies consecutive positions, the lines of one colour (lines that share no coupling)
    form one block of positions, and each position belongs to one coarse aggregate.

    Attributes
    ----------
    order : ndarray of int (n,) or None
        Unknown at each position (None: the matrix is already in line order).
    linked : ndarray of bool (n - 1,)
        Positions ``p`` and ``p + 1`` are neighbours on one line.
    color_start : ndarray of int (C + 1,)
        First position of each colour block (``color_start[-1] == n``).
    aggregate : ndarray of int (n,)
        Coarse unknown of each position (0 .. ``n_coarse`` - 1).
    n_coarse : int
        Number of coarse unknowns.
    """

    order: IntArray | None
    linked: NDArray[np.bool_]
    color_start: IntArray
    aggregate: IntArray
    n_coarse: int

    @property
    def line_lengths(self) -> IntArray:
        """Length (unknowns) of every line, in line order."""
        starts = np.flatnonzero(np.concatenate(([True], ~self.linked)))
        return np.diff(np.append(starts, self.linked.size + 1)).astype(np.intp)


def _rows_of(a: sp.csr_matrix) -> IntArray:
    return np.repeat(np.arange(a.shape[0], dtype=np.intp), np.diff(a.indptr))


def _row_max(w: Array, indptr: NDArray[Any]) -> Array:
    """Largest entry of ``w`` in each CSR row (0 for an empty row)."""
    out = np.zeros(indptr.size - 1)
    full = np.flatnonzero(np.diff(indptr) > 0)
    if full.size:
        out[full] = np.maximum.reduceat(w, indptr[:-1][full])
    return out


def _two_coloring(q: sp.csr_matrix) -> IntArray | None:
    """Colours 0/1 of a bipartite graph (None when it has an odd cycle).

    Through the bipartite double cover: its components split every component of ``q`` into
    its two sides, so ``v`` is on side 0 when its first copy has the smaller label.
    """
    from scipy.sparse.csgraph import connected_components

    n = q.shape[0]
    q = sp.csr_matrix(q)
    m = q.indptr[-1]
    cover = sp.csr_matrix(  # [[0, q], [q, 0]], both blocks sharing q's index arrays
        (
            np.ones(2 * m),
            np.concatenate([q.indices[:m] + n, q.indices[:m]]),
            np.concatenate([q.indptr, q.indptr[1:] + m]),
        ),
        shape=(2 * n, 2 * n),
    )
    # q is symmetric, so is the cover: its strong components are its components (and
    # need no transposed copy)
    _, lab = connected_components(cover, directed=True, connection="strong")
    if np.any(lab[:n] == lab[n:]):
        return None
    return (lab[:n] > lab[n:]).astype(np.intp)


def _greedy_coloring(q: sp.csr_matrix, max_colors: int) -> IntArray | None:
    """Colours by rounds of independent sets (fixed priorities; None above ``max_colors``)."""
    n = q.shape[0]
    prio = np.random.default_rng(0).permutation(n) + 1.0  # fixed: reproducible colours
    color = np.full(n, -1, dtype=np.intp)
    rows = _rows_of(q)
    for c in range(max_colors):
        open_ = color < 0
        if not open_.any():
            return color
        w = np.where(open_[q.indices] & open_[rows], prio[q.indices], -1.0)
        best = _row_max(w, q.indptr)  # 0 where no neighbour is left
        color[open_ & (prio > best)] = c
    return color if np.all(color >= 0) else None


def _line_walk(nb: IntArray, n: int) -> tuple[IntArray, NDArray[np.bool_]] | None:
    """Walk the paths of a graph of degree <= 2 given as neighbour pairs (-1: none).

    Depth-first from a root joined to every path end: each path is visited end to end, so
    its unknowns are consecutive. Returns (order, starts: a path begins at that position),
    or None when some unknowns lie on cycles (not reached from the root).
    """
    from scipy.sparse.csgraph import depth_first_order

    deg = np.count_nonzero(nb >= 0, axis=1)
    ends = np.flatnonzero(deg <= 1)
    nbr = np.concatenate([nb, np.full((n, 1), -1, dtype=nb.dtype)], axis=1)
    nbr[ends, 2] = n  # every path end is joined to the root
    keep = nbr >= 0
    counts = np.concatenate([keep.sum(axis=1), [ends.size]])
    indptr = np.zeros(n + 2, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = np.concatenate([nbr[keep], ends])
    walk = sp.csr_matrix((np.ones(indices.size), indices, indptr), shape=(n + 1, n + 1))
    order, pred = depth_first_order(walk, n, directed=True, return_predecessors=True)
    order = order[1:].astype(np.intp)
    if order.size != n:
        return None
    starts = pred[order] == n
    # a depth-first walk from a path end runs to the other end: consecutive unknowns of one
    # path are neighbours (checked, so that the line solves are the lines found)
    a, b = order[:-1], order[1:]
    joined = ~starts[1:]
    if not np.all((nb[a[joined], 0] == b[joined]) | (nb[a[joined], 1] == b[joined])):
        return None  # pragma: no cover - scipy's depth-first order is a preorder
    return order, starts


def find_lines(
    a: sp.spmatrix,
    *,
    theta: float = LINE_THETA,
    min_cover: float = LINE_COVER,
    max_colors: int = LINE_MAX_COLORS,
) -> LineStructure | None:
    """Discover lines of strongly coupled unknowns in a symmetric matrix (None if too few).

    A coupling ``a_ij`` is *strong* for row ``i`` when ``|a_ij| >= theta · max_k |a_ik|``
    (``k != i``). An edge ``i - j`` joins a line when it is strong for both rows and neither
    row has more than two strong couplings (so every unknown has at most two line
    neighbours: the lines are paths or cycles; each cycle is cut at its lowest unknown).
    The paths are walked in order (depth-first from a root joined to their ends), the
    lines coloured so that lines of one colour share no coupling (two colours when the
    line graph is bipartite, as a crossbar's row and column lines are), and each unknown is
    paired with the unknown of another line it couples to most strongly when that choice is
    mutual (the coarse aggregates; for a crossbar, the row and column node of each cell).

    Returns None when fewer than ``min_cover`` of the unknowns lie on lines of three or
    more, or the lines need more than ``max_colors`` colours.

    Parameters
    ----------
    a : sparse matrix (n, n)
        Symmetric matrix (only the pattern and magnitudes are used).
    theta : float
        Strength threshold (0 < theta <= 1).
    min_cover : float
        Fraction of unknowns on lines of three or more required.
    max_colors : int
        Largest number of colours accepted.
    """
    from scipy.sparse.csgraph import connected_components

    a = sp.csr_matrix(a)
    n = a.shape[0]
    if n < 3:
        return None
    # every entry, the diagonal's magnitude taken as 0 (so it is never strong and never
    # between two lines); 32-bit indices where they fit (half the memory traffic)
    ix = np.int32 if n < 2**31 - 1 else np.intp
    r_off = np.repeat(np.arange(n, dtype=ix), np.diff(a.indptr))
    c_off = a.indices.astype(ix, copy=False)
    mag = np.abs(a.data)
    mag[r_off == c_off] = 0.0
    rmax = _row_max(mag, a.indptr)
    strong = np.flatnonzero((mag > 0) & (mag >= theta * rmax[r_off]))
    sr, sc = r_off[strong], c_off[strong]
    n_strong = np.bincount(sr, minlength=n)
    few = (n_strong[sr] <= 2) & (n_strong[sc] <= 2)
    sr, sc = sr[few], sc[few]
    # up to two strong neighbours per row (entries are in row order)
    nb = np.full((n, 2), -1, dtype=ix)
    second = np.zeros(sr.size, dtype=bool)
    second[1:] = sr[1:] == sr[:-1]
    nb[sr[~second], 0] = sc[~second]
    nb[sr[second], 1] = sc[second]
    # an edge joins a line only when it is strong both ways
    mutual = (nb[sc, 0] == sr) | (nb[sc, 1] == sr)
    nb[sr[~mutual & ~second], 0] = -1
    nb[sr[~mutual & second], 1] = -1
    walked = _line_walk(nb, n)
    if walked is None:  # cycles: cut each between its lowest unknown and that one's neighbour
        k = sp.csr_matrix(
            (np.ones(int(np.count_nonzero(nb >= 0))), (np.nonzero(nb >= 0)[0], nb[nb >= 0])),
            shape=(n, n),
        )
        n_comp, comp = connected_components(k, directed=False)
        deg = np.count_nonzero(nb >= 0, axis=1)
        size = np.bincount(comp, minlength=n_comp)
        cyclic = np.bincount(comp, weights=deg, minlength=n_comp) >= 2 * size
        _, first = np.unique(comp, return_index=True)
        u = first[cyclic]
        v = nb[u, 0]
        nb[u, 0] = -1
        nb[v, 0] = np.where(nb[v, 0] == u, -1, nb[v, 0])
        nb[v, 1] = np.where(nb[v, 1] == u, -1, nb[v, 1])
        walked = _line_walk(nb, n)
        if walked is None:  # pragma: no cover - every cycle was cut
            return None
    order, starts = walked
    line_at = np.cumsum(starts) - 1  # line of each position
    n_lines = int(line_at[-1]) + 1
    length = np.bincount(line_at, minlength=n_lines)
    if np.count_nonzero(length[line_at] >= 3) < min_cover * n:
        return None
    line = np.empty(n, dtype=np.intp)
    line[order] = line_at
    # colours of the lines: no two lines of one colour coupled (the diagonal is on its line)
    lr, lc = line[r_off], line[c_off]
    between = np.flatnonzero(lr != lc)
    q = sp.csr_matrix((np.ones(between.size), (lr[between], lc[between])), shape=(n_lines, n_lines))
    line_color = _two_coloring(q)
    if line_color is None:
        q.sum_duplicates()
        line_color = _greedy_coloring(q, max_colors)
        if line_color is None:
            return None
    pos_color = line_color[line_at]
    by_color = np.argsort(pos_color, kind="stable")
    order = order[by_color]
    starts = starts[by_color]
    pos_color = pos_color[by_color]
    n_colors = int(pos_color.max()) + 1
    color_start = np.searchsorted(pos_color, np.arange(n_colors + 1)).astype(np.intp)
    linked = ~starts[1:]
    # coarse aggregates: mutual strongest couplings to another line
    br, bc, bm = r_off[between], c_off[between], mag[between]
    indptr_b = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(br, minlength=n), out=indptr_b[1:])
    best = _row_max(bm, indptr_b)
    hit = np.flatnonzero((bm >= best[br]) & (bm > 0))
    hb = br[hit]  # in row order: the first hit of each row
    pick = np.flatnonzero(np.concatenate(([True], hb[1:] != hb[:-1]))) if hb.size else hb
    partner = np.full(n, -1, dtype=np.intp)
    partner[hb[pick]] = bc[hit[pick]]
    idx = np.arange(n, dtype=np.intp)
    pairs = (partner >= 0) & (partner[np.maximum(partner, 0)] == idx)
    pos = np.empty(n, dtype=np.intp)
    pos[order] = idx
    # one representative per aggregate: its first unknown in line order (so the coarse
    # unknowns follow the lines of the first colour, e.g. a crossbar's rows)
    key = np.where(pairs & (pos[np.maximum(partner, 0)] < pos), partner, idx)
    is_rep = np.zeros(n, dtype=np.intp)
    is_rep[pos[key == idx]] = 1
    rank = np.cumsum(is_rep) - 1  # aggregates numbered by their representative's position
    return LineStructure(
        order=order,
        linked=linked,
        color_start=color_start,
        aggregate=rank[pos[key[order]]],
        n_coarse=int(rank[-1]) + 1,
    )


def permute_symmetric(a: sp.csr_matrix, order: IntArray) -> sp.csr_matrix:
    """Return ``a[order][:, order]`` (CSR, sorted indices) in O(nnz) vector operations."""
    n = a.shape[0]
    inv = np.empty(n, dtype=np.intp)
    inv[order] = np.arange(n, dtype=np.intp)
    counts = np.diff(a.indptr)[order]
    indptr = np.zeros(n + 1, dtype=a.indptr.dtype)
    np.cumsum(counts, out=indptr[1:])
    src = np.repeat(a.indptr[order] - indptr[:-1], counts) + np.arange(indptr[-1])
    out = sp.csr_matrix(
        (a.data[src], inv[a.indices[src]].astype(a.indices.dtype), indptr), shape=a.shape
    )
    out.sort_indices()
    return out


class LinePreconditioner:
    """Exact line solves around a coarse grid: one symmetric two-level cycle per application.

    Where some couplings are much stiffer than the rest (a crossbar's wires are 10³–10⁵
    times stiffer than its cells) point smoothers stall and a plain algebraic multigrid
    coarsens badly. The lines of stiff couplings (:class:`LineStructure`, from
    :func:`find_lines` or from a builder that knows them) are solved exactly instead; one
    application is

    1. block Gauss–Seidel over the colours, first to last: the lines of one colour share no
       coupling, so each colour is one tridiagonal solve (LAPACK ``pttrf``/``pttrs``) of all
       its lines at once;
    2. a coarse correction on piecewise-constant aggregates (``P``), Galerkin operator
       ``PᵀAP``, solved approximately by one symmetric V-cycle of pyamg
       (:class:`AMGPreconditioner`);
    3. block Gauss–Seidel over the colours, last to first (the adjoint of step 1).

    The line smoother removes every error that varies along the stiff lines or between the
    unknowns of an aggregate; what it leaves is smooth over the coarse grid. With adjoint
    smoothers and a Galerkin coarse operator the cycle is symmetric positive definite, so it
    preconditions CG; its cost is linear in the number of nonzeros.

    Parameters
    ----------
    a : sparse matrix (n, n)
        SPD matrix, in its own order (``lines.order`` maps it to line order).
    lines : LineStructure
        The lines, colours and aggregates.
    coarse : sparse matrix (n_coarse, n_coarse), optional
        ``PᵀAP`` when the caller has it in closed form (default: summed from ``a``).
    coarse_kind : {"sa", "rs", "auto"}
        AMG of the coarse operator (:class:`AMGPreconditioner`).

    Raises
    ------
    ParameterError
        A line that is not positive definite (e.g. a floating line).
    """

    def __init__(
        self,
        a: sp.spmatrix,
        lines: LineStructure,
        *,
        coarse: sp.spmatrix | None = None,
        coarse_kind: str = "sa",
    ) -> None:
        from scipy.linalg import lapack

        self._lapack = lapack
        a = sp.csr_matrix(a)
        n = a.shape[0]
        self.n = n
        self.lines = lines
        self.order = lines.order
        ap = a if lines.order is None else permute_symmetric(a, lines.order)
        ap.sum_duplicates()  # canonical: sorted, one entry per position
        rows = _rows_of(ap)
        step = ap.indices - rows  # column minus row of every entry
        link = np.zeros(n + 1, dtype=bool)  # link[p + 1]: p and p + 1 on one line
        link[1:n] = lines.linked
        up = (step == 1) & link[rows + 1]
        tri = (step == 0) | up | ((step == -1) & link[rows])
        del step
        d = ap.diagonal()
        e = np.zeros(max(n - 1, 0))
        e[rows[up]] = ap.data[up]
        del up
        # the couplings off the lines, row by row (explicit zeros dropped)
        rest = sp.csr_matrix(  # own index arrays: eliminate_zeros compacts them in place
            (np.where(tri, 0.0, ap.data), ap.indices.copy(), ap.indptr.copy()), shape=ap.shape
        )
        del tri
        rest.eliminate_zeros()
        bounds = lines.color_start
        self._blocks: list[tuple[int, int]] = []
        self._factors: list[tuple[Array, Array]] = []
        self._couple: list[sp.csr_matrix] = []  # rows of a colour, line entries removed
        self._later: list[sp.csr_matrix | None] = []  # ... only columns of later colours
        for c in range(bounds.size - 1):
            s, t = int(bounds[c]), int(bounds[c + 1])
            df, ef, info = lapack.dpttrf(d[s:t], e[s : t - 1])
            if info != 0:
                raise ParameterError(
                    f"LinePreconditioner: a line of colour {c} is not positive definite "
                    f"(pttrf info {info}); is a group of unknowns connected to nothing?"
                )
            self._blocks.append((s, t))
            self._factors.append((df, ef))
            p0, p1 = int(rest.indptr[s]), int(rest.indptr[t])
            blk = sp.csr_matrix(  # rows s..t-1 of rest: views, no copy
                (rest.data[p0:p1], rest.indices[p0:p1], rest.indptr[s : t + 1] - p0),
                shape=(t - s, n),
            )
            self._couple.append(blk)
            # residual of an earlier colour after the forward sweep: only its couplings to
            # the colours solved after it (exact when the colour couples to none of its own)
            cols = blk.indices
            if np.any((cols >= s) & (cols < t)):
                self._later.append(None)
            elif cols.size == 0 or int(cols.min()) >= t:
                self._later.append(blk)
            else:
                later = sp.csr_matrix(
                    (np.where(cols >= t, blk.data, 0.0), cols.copy(), blk.indptr.copy()),
                    shape=blk.shape,
                )
                later.eliminate_zeros()
                self._later.append(later)
        self.a_lines = ap
        agg = lines.aggregate
        nc = lines.n_coarse
        # P (one 1 per row: its aggregate) is CSR as it stands; R = Pᵀ is its CSC transpose
        prolong = sp.csr_matrix(
            (np.ones(n), agg.astype(np.int64), np.arange(n + 1, dtype=np.int64)), shape=(n, nc)
        )
        self.restrict = prolong.T
        if coarse is None:
            coarse = sp.csr_matrix((ap.data, (agg[rows], agg[ap.indices])), shape=(nc, nc))
            coarse.sum_duplicates()
        self.coarse_matrix = sp.csr_matrix(coarse)
        self.coarse = AMGPreconditioner(self.coarse_matrix, kind=coarse_kind)

    def _line_solve(self, c: int, rhs: Array) -> Array:
        df, ef = self._factors[c]
        return np.asarray(self._lapack.dpttrs(df, ef, rhs)[0])

    def _sweep(self, x: Array, r: Array, colors: range | list[int]) -> None:
        for c in colors:
            s, t = self._blocks[c]
            x[s:t] = self._line_solve(c, r[s:t] - self._couple[c] @ x)

    def apply(self, r: Array) -> Array:
        """One two-level cycle on residuals ``r`` of shape (n,) or (n, B)."""
        rp = r if self.order is None else r[self.order]
        x = self.apply_in_line_order(rp)
        if self.order is None:
            return x
        out = np.empty_like(x)
        out[self.order] = x
        return out

    def apply_in_line_order(self, rp: Array) -> Array:
        """:meth:`apply` on residuals in line order (``r[lines.order]``), result in line order.

        A solver iterating on :attr:`a_lines` itself saves the two permutations per
        application.
        """
        rp = np.asarray(rp, dtype=float)
        x = np.zeros_like(rp)
        nb = len(self._blocks)
        s0, t0 = self._blocks[0]
        x[s0:t0] = self._line_solve(0, rp[s0:t0])
        self._sweep(x, rp, range(1, nb))
        if all(lt is not None for lt in self._later[:-1]) and self._later[-1] is not None:
            res = np.zeros_like(rp)
            for c in range(nb - 1):
                s, t = self._blocks[c]
                later = self._later[c]
                assert later is not None
                res[s:t] = -(later @ x)
        else:
            res = rp - self.a_lines @ x
        agg = self.lines.aggregate
        x += self.coarse.apply(np.asarray(self.restrict @ res))[agg]
        self._sweep(x, rp, range(nb - 1, -1, -1))
        return x


class SPDSolver:
    """Factor or precondition an SPD nodal matrix once; solve many right-hand sides.

    Parameters
    ----------
    a : sparse matrix (n, n)
        Symmetric positive-definite matrix (S). Not checked for symmetry.
    method : {"auto", "cholesky", "splu", "pardiso", "cg"}
        ``"auto"``: dense Cholesky up to :data:`DENSE_LIMIT` unknowns, SuperLU up to
        :data:`DIRECT_LIMIT`, CG + AMG above (SuperLU where pyamg is missing).
    preconditioner : Preconditioner, optional
        For ``"cg"``: replaces the default :class:`AMGPreconditioner` on ``a``.
    atol : float
        Certified bound on the largest KCL residual (A); CG right-hand sides that miss it
        fall back to a direct solve.
    rtol : float
        CG stopping tolerance relative to the current scale ``‖|A||x| + |b|‖∞``.
    maxiter : int
        CG iteration limit per right-hand side.

    Raises
    ------
    ParameterError
        Unknown method, a missing optional package, or a matrix that is not positive
        definite (the message says which).
    """

    def __init__(
        self,
        a: sp.spmatrix,
        *,
        method: str = "auto",
        preconditioner: Preconditioner | None = None,
        atol: float = 1e-12,
        rtol: float = 64 * np.finfo(float).eps,
        maxiter: int = 300,
    ) -> None:
        owner = "SPDSolver"
        check_choice(method, "method", owner, METHODS)
        self.atol = check_positive(atol, "atol", owner, "A")
        self.rtol = check_positive(rtol, "rtol", owner)
        self.maxiter = check_int(maxiter, "maxiter", owner, minimum=1)
        self.a = sp.csr_matrix(a)
        n = self.a.shape[0]
        if self.a.shape != (n, n):
            raise ParameterError(f"SPDSolver needs a square matrix; got shape {self.a.shape}.")
        self.n = n
        if method == "auto":
            if n <= DENSE_LIMIT:
                method = "cholesky"
            elif n <= DIRECT_LIMIT and preconditioner is None:
                method = "splu"
            else:
                method = "cg" if (preconditioner is not None or have_pyamg()) else "splu"
        self.method = method
        self._m_matrix = _is_m_matrix_pattern(self.a)
        self._diag = self.a.diagonal()
        self._abs: sp.csr_matrix | None = None
        self._direct: tuple[str, Any] | None = None
        self._precond: Preconditioner | None = None
        if method == "cg":
            self._precond = (
                preconditioner if preconditioner is not None else self._default_preconditioner()
            )
        else:
            self._direct = self._factor(method)

    def _default_preconditioner(self) -> Preconditioner:
        """:class:`LinePreconditioner` where :func:`find_lines` finds lines, else AMG."""
        if self._m_matrix:
            lines = find_lines(self.a)
            if lines is not None:
                try:
                    return LinePreconditioner(self.a, lines)
                except ParameterError:  # pragma: no cover - a line that is not SPD
                    pass
        return AMGPreconditioner(self.a)

    # -- direct factorisations -------------------------------------------------------------
    def _factor(self, method: str) -> tuple[str, Any]:
        a = self.a
        if method == "cholesky":
            try:
                return ("cholesky", np.linalg.cholesky(a.toarray()))
            except np.linalg.LinAlgError as exc:
                raise ParameterError(
                    "SPDSolver: the matrix is not positive definite (a group of nodes is "
                    "connected to no source or ground)."
                ) from exc
        if method == "pardiso":
            try:
                import pypardiso
            except ImportError as exc:
                raise ParameterError(
                    "SPDSolver method 'pardiso' needs pypardiso (pip install "
                    "'thermolearn[pardiso]'); use method='splu' or 'cg' instead."
                ) from exc
            solver = pypardiso.PyPardisoSolver(mtype=2)  # real SPD: upper triangle only
            upper = sp.triu(a, format="csr")
            upper.sort_indices()
            solver.factorize(upper)
            return ("pardiso", (solver, upper))
        try:
            lu = spla.splu(
                a.tocsc(),
                permc_spec="MMD_AT_PLUS_A",
                diag_pivot_thresh=0.0,
                options={"SymmetricMode": True},
            )
        except RuntimeError as exc:
            raise ParameterError(f"SPDSolver: singular matrix ({exc}).") from exc
        return ("splu", lu)

    def _direct_solve(self, rhs: Array) -> Array:
        if self._direct is None:
            self._direct = self._factor("splu")
        kind, f = self._direct
        if kind == "cholesky":
            import scipy.linalg as sla

            y = sla.solve_triangular(f, rhs, lower=True)
            return np.asarray(sla.solve_triangular(f.T, y, lower=False))
        if kind == "pardiso":
            solver, upper = f
            return np.asarray(solver.solve(upper, rhs)).reshape(rhs.shape)
        return np.asarray(f.solve(rhs))

    # -- residuals ------------------------------------------------------------------------
    def _scale(
        self, x: Array, b: Array, a: sp.csr_matrix | None = None, diag: Array | None = None
    ) -> Array:
        """Return the current scale per column, ``max_k (|A||x| + |b|)_k`` (A).

        ``a`` and ``diag``: the matrix permuted symmetrically and its diagonal, with ``x``
        and ``b`` in that order (the scale is a maximum over the unknowns: the same).
        """
        ax = np.abs(x)
        if self._m_matrix:  # |A| = 2 diag(A) - A for a conductance matrix
            m = self.a if a is None else a
            d = self._diag if diag is None else diag
            s = 2.0 * (d[:, None] * ax if ax.ndim == 2 else d * ax) - m @ ax
        elif a is not None and a is not self.a:
            s = sp.csr_matrix((np.abs(a.data), a.indices, a.indptr)) @ ax
        else:
            if self._abs is None:
                self._abs = sp.csr_matrix((np.abs(self.a.data), self.a.indices, self.a.indptr))
            s = self._abs @ ax
        return np.asarray(np.max(s + np.abs(b), axis=0))

    # -- conjugate gradients ----------------------------------------------------------------
    def _cg(self, b: Array) -> tuple[Array, NDArray[np.int64], NDArray[np.bool_]]:
        """Block CG (independent columns) with residual replacement; returns x, its, ok."""
        assert self._precond is not None
        prec = self._precond
        order = getattr(prec, "order", None)
        if isinstance(prec, LinePreconditioner) and order is not None:
            # iterate in the preconditioner's line order (its own permuted copy of the
            # matrix): no permutation of the residual and the correction per application
            xp, iters, done = self._cg_on(prec.a_lines, prec.apply_in_line_order, b[order])
            x = np.empty_like(xp)
            x[order] = xp
            return x, iters, done
        return self._cg_on(self.a, prec.apply, b)

    def _cg_on(
        self, a: sp.csr_matrix, apply: Any, b: Array
    ) -> tuple[Array, NDArray[np.int64], NDArray[np.bool_]]:
        """Block CG on ``a`` (this solver's matrix, maybe permuted) preconditioned by ``apply``."""
        diag = a.diagonal() if a is not self.a else self._diag
        nb = b.shape[1]
        x = np.zeros_like(b)
        r = b.copy()
        iters = np.zeros(nb, dtype=np.int64)
        done = np.zeros(nb, dtype=bool)
        scale = np.max(np.abs(b), axis=0)
        done |= scale == 0.0  # zero right-hand side: x = 0 exactly
        z = apply(r)
        p = z.copy()
        rz = np.sum(r * z, axis=0)
        best = np.full(nb, np.inf)
        stall = np.zeros(nb, dtype=np.int64)
        for _ in range(self.maxiter):
            act = ~done
            if not np.any(act):
                break
            q = a @ p
            pq = np.sum(p * q, axis=0)
            alpha = np.where(act & (pq > 0), rz / np.where(pq > 0, pq, 1.0), 0.0)
            x += alpha * p
            r -= alpha * q
            iters += act
            rmax = np.max(np.abs(r), axis=0)
            cand = act & (rmax <= self.rtol * scale)
            if np.any(cand):
                # the recursive residual drifts from b - A x: check and replace it
                cols = np.flatnonzero(cand)
                rt = b[:, cols] - a @ x[:, cols]
                r[:, cols] = rt
                scale[cols] = self._scale(x[:, cols], b[:, cols], a, diag)
                ok = np.max(np.abs(rt), axis=0) <= self.rtol * scale[cols]
                done[cols[ok]] = True
            # stagnation: no halving of the residual in 25 iterations
            improved = rmax < 0.5 * best
            best = np.where(improved, rmax, best)
            stall = np.where(improved | ~act, 0, stall + 1)
            stalled = act & ~done & (stall >= 25)
            if np.any(stalled):
                done |= stalled
            act = ~done
            if not np.any(act):
                break
            if np.all(act):
                z = apply(r)
            else:
                z = np.zeros_like(r)
                z[:, act] = apply(r[:, act])
            rz_new = np.sum(r * z, axis=0)
            beta = np.where(act & (rz != 0), rz_new / np.where(rz != 0, rz, 1.0), 0.0)
            p = z + beta * p
            rz = rz_new
        return x, iters, done

    # -- public ---------------------------------------------------------------------------
    def solve(self, b: Array) -> tuple[Array, SolveReport]:
        """Solve ``A x = b`` for one (n,) or many (n, B) right-hand sides.

        Returns
        -------
        x : ndarray, the shape of ``b``
        report : SolveReport

        Raises
        ------
        ConvergenceError
            CG missed ``atol`` on a system larger than :data:`FALLBACK_LIMIT` unknowns, where
            a direct fallback would not fit; the message gives the residual and the remedy.
        """
        bb = np.asarray(b, dtype=float)
        one = bb.ndim == 1
        b2 = bb[:, None] if one else bb
        if b2.shape[0] != self.n:
            raise ParameterError(
                f"SPDSolver.solve: right-hand side has {b2.shape[0]} rows; the matrix has {self.n}."
            )
        nb = b2.shape[1]
        iters = np.zeros(nb, dtype=np.int64)
        fallback = np.zeros(nb, dtype=bool)
        if self.method == "cg":
            x, iters, _ = self._cg(b2)
        else:
            x = self._direct_solve(b2)
        r = b2 - self.a @ x
        res = np.max(np.abs(r), axis=0)
        method = self.method
        if self.method == "cg" and np.any(res > self.atol):
            bad = np.flatnonzero(res > self.atol)
            if self.n > FALLBACK_LIMIT:
                raise ConvergenceError(
                    f"SPDSolver: CG left a KCL residual of {res[bad].max():.3e} A (atol "
                    f"{self.atol:.1e} A) after {int(iters[bad].max())} iterations on {self.n} "
                    "unknowns, too many for a direct fallback; raise maxiter or atol.",
                    residual=float(res[bad].max()),
                    worst_node=str(int(np.argmax(np.abs(r[:, bad[0]])))),
                )
            x[:, bad] = self._direct_solve(b2[:, bad])
            r[:, bad] = b2[:, bad] - self.a @ x[:, bad]
            fallback[bad] = True
            method = "cg+splu"
        elif self.method != "cg":
            # one step of iterative refinement in float64 where the factor left more than
            # the rounding floor
            scale = self._scale(x, b2)
            res = np.max(np.abs(r), axis=0)
            redo = np.flatnonzero(res > self.rtol * scale)
            if redo.size:
                x[:, redo] += self._direct_solve(r[:, redo])
                r[:, redo] = b2[:, redo] - self.a @ x[:, redo]
        res = np.max(np.abs(r), axis=0)
        scale = self._scale(x, b2)
        report = SolveReport(
            method=method,
            iterations=iters,
            residual=res,
            relative_residual=res / np.where(scale > 0, scale, 1.0),
            worst_node=np.argmax(np.abs(r), axis=0).astype(np.intp),
            fallback=fallback,
            atol=self.atol,
        )
        return (x[:, 0] if one else x), report


def nodal_solve(comp: Any, a_lin: sp.spmatrix | None, rhs: Array) -> Array | None:
    """Solve a large linear resistive MNA system as its SPD nodal system, or return None.

    Applies when the only branch unknowns are voltage sources with one terminal at ground
    (each fixes its node) and the node block is symmetric (resistors, switches, linear
    memristors, current sources: no E/F/G/H, inductors or B sources). The fixed nodes move
    to the right-hand side, the free nodes are solved by :class:`SPDSolver` (``"auto"``: CG
    with AMG or line preconditioning above :data:`DIRECT_LIMIT` unknowns, certified KCL
    residual, direct fallback), and each source's branch current is the KCL balance at its
    node. Returns the MNA unknowns ``z`` (node voltages, then branch currents), or None when
    the circuit does not qualify (the caller then factors the MNA matrix).

    Parameters
    ----------
    comp : CompiledCircuit
    a_lin : sparse matrix or None
        The MNA matrix; None: the nodal system is assembled from the compiled conductances
        (:meth:`CompiledCircuit.conductances`) without forming the MNA matrix.
    rhs : ndarray
        The MNA right-hand side.
    """
    if comp.ind or comp.vcvs or comp.ccvs or comp.bsrc_v or comp.bsrc_i or comp.vccs or comp.cccs:
        return None
    if comp.m != len(comp.vsrc) or comp.nonlinear:
        return None
    n = comp.n
    a_vs, b_vs = comp.vs_a, comp.vs_b
    if np.any((a_vs >= 0) == (b_vs >= 0)):  # a source between two nodes (or ground-ground)
        return None
    node = np.where(a_vs >= 0, a_vs, b_vs)
    sign = np.where(a_vs >= 0, 1.0, -1.0)  # V(node) = sign * value
    if np.unique(node).size != node.size:
        return None
    fixed = np.zeros(n, dtype=bool)
    fixed[node] = True
    free = np.flatnonzero(~fixed)
    x = np.zeros(n)
    x[node] = sign * rhs[n + np.arange(comp.m)]
    if a_lin is None:
        a_ff, b_free, g_times = _free_system(comp, free, x, rhs)
    else:
        ann = sp.csr_matrix(a_lin)[:n][:, :n].tocsr()
        if abs(ann - ann.T).max() > 1e-12 * abs(ann).max():  # pragma: no cover - no E-H here
            return None
        a_ff = ann[free][:, free]
        b_free = rhs[free] - ann[free][:, node] @ x[node]

        def g_times(v: Array) -> Array:
            return np.asarray(ann[node] @ v)

    if free.size:
        solver = SPDSolver(a_ff, method="auto")
        x[free], report = solver.solve(b_free)
        if not report.certified:
            return None
    z = np.zeros(comp.size)
    z[:n] = x
    # KCL at each fixed node: G x + incidence * i = b  ->  i = sign * (b - G x)
    z[n + np.arange(comp.m)] = sign * (rhs[node] - g_times(x))
    return z


def _free_system(
    comp: Any, free: IntArray, x: Array, rhs: Array
) -> tuple[sp.csr_matrix, Array, Any]:
    """Return the free-node block, its right-hand side and ``v -> (G v)[fixed nodes]``.

    Assembled from the conductances: each two-terminal conductance stamped once, ground
    and fixed nodes folded into the right-hand side (the same sums as the MNA stamps).
    """
    n = comp.n
    a, b, g = comp.conductances()
    nf = free.size
    # node -> free index; fixed nodes and ground (index n) -> nf, a dummy index
    pos = np.full(n + 1, nf, dtype=np.intp)
    pos[free] = np.arange(nf, dtype=np.intp)
    ia = np.where(a < 0, n, a)
    ib = np.where(b < 0, n, b)
    fa, fb = pos[ia], pos[ib]
    diag = np.bincount(fa, g, nf + 1)[:nf] + np.bincount(fb, g, nf + 1)[:nf]
    # a conductance to a fixed node or ground has no off-diagonal entry: its two entries go
    # to the free end's diagonal with value 0 (summed away), so no entry is masked out
    both = (fa < nf) & (fb < nf)
    ra = np.where(fa < nf, fa, np.where(fb < nf, fb, 0))
    rb = np.where(fb < nf, fb, ra)
    off = np.where(both, -g, 0.0)
    diag_i = np.arange(nf, dtype=np.intp)
    a_ff = sp.csr_matrix(
        (
            np.concatenate([off, off, diag]),
            (np.concatenate([ra, rb, diag_i]), np.concatenate([rb, ra, diag_i])),
        ),
        shape=(nf, nf),
    )
    del ra, rb, off
    a_ff.sum_duplicates()
    a_ff.eliminate_zeros()
    # the few conductances with an end at a fixed node or ground
    edge = np.flatnonzero(~both)
    ea, eb, eg = ia[edge], ib[edge], g[edge]
    xe = np.append(x, 0.0)  # fixed voltages (free ones still 0), ground 0
    b_free = rhs[free].copy()
    ga, gb = pos[ea], pos[eb]
    to_b = ga < nf  # the free end is a: g x_b flows in
    b_free += np.bincount(ga[to_b], eg[to_b] * xe[eb[to_b]], nf)
    to_a = gb < nf
    b_free += np.bincount(gb[to_a], eg[to_a] * xe[ea[to_a]], nf)

    def g_times(v: Array) -> Array:  # (G v) at the fixed nodes, in comp.vsrc order
        ve = np.append(v, 0.0)
        flow = eg * (ve[ea] - ve[eb])
        gv = np.bincount(ea, flow, n + 1) - np.bincount(eb, flow, n + 1)
        return np.asarray(gv[np.where(comp.vs_a >= 0, comp.vs_a, comp.vs_b)])

    return a_ff, b_free, g_times


def have_pyamg() -> bool:
    """Return True if the optional pyamg package is installed (it is imported only for CG)."""
    import importlib.util

    return importlib.util.find_spec("pyamg") is not None


__all__ = [
    "have_pyamg",
    "nodal_solve",
    "SPDSolver",
    "SolveReport",
    "AMGPreconditioner",
    "LinePreconditioner",
    "LineStructure",
    "find_lines",
    "permute_symmetric",
    "Preconditioner",
    "METHODS",
    "DENSE_LIMIT",
    "DIRECT_LIMIT",
    "FALLBACK_LIMIT",
]
