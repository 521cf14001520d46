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
* ``"cg"``: conjugate gradients preconditioned by algebraic multigrid (``pyamg``: classical
  Ruge–Stüben for conductance matrices, smoothed aggregation otherwise), or by a
  problem-specific preconditioner such as the crossbar's line smoother around an AMG coarse
  grid.

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
                preconditioner if preconditioner is not None else AMGPreconditioner(self.a)
            )
        else:
            self._direct = self._factor(method)

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
    def _scale(self, x: Array, b: Array) -> Array:
        """Return the current scale per column, ``max_k (|A||x| + |b|)_k`` (A)."""
        ax = np.abs(x)
        if self._m_matrix:  # |A| = 2 diag(A) - A for a conductance matrix
            d = self._diag
            s = 2.0 * (d[:, None] * ax if ax.ndim == 2 else d * ax) - self.a @ ax
        else:
            if self._abs is None:
                self._abs = sp.csr_matrix((np.abs(self.a.data), self.a.indices, self.a.indptr))
            s = self._abs @ ax
        return np.asarray(np.max(s + np.abs(b), axis=0))

    # -- conjugate gradients ----------------------------------------------------------------
    def _cg(self, b: Array) -> tuple[Array, NDArray[np.int64], NDArray[np.bool_]]:
        """Block CG (independent columns) with residual replacement; returns x, its, ok."""
        assert self._precond is not None
        a, prec = self.a, self._precond
        nb = b.shape[1]
        x = np.zeros_like(b)
        r = b.copy()
        iters = np.zeros(nb, dtype=np.int64)
        done = np.zeros(nb, dtype=bool)
        scale = np.max(np.abs(b), axis=0)
        done |= scale == 0.0  # zero right-hand side: x = 0 exactly
        z = prec.apply(r)
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
                scale[cols] = self._scale(x[:, cols], b[:, cols])
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
                z = prec.apply(r)
            else:
                z = np.zeros_like(r)
                z[:, act] = prec.apply(r[:, act])
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


def nodal_solve(comp: Any, a_lin: sp.spmatrix, rhs: Array) -> Array | None:
    """Solve a large linear resistive MNA system as its SPD nodal system, or return None.

    Applies when the only branch unknowns are voltage sources with one terminal at ground
    (each fixes its node) and the node block is symmetric (resistors, switches, linear
    memristors, current sources: no E/F/G/H, inductors or B sources). The fixed nodes move
    to the right-hand side, the free nodes are solved by :class:`SPDSolver` (``"auto"``: CG
    with AMG above :data:`DIRECT_LIMIT` unknowns, certified KCL residual, direct fallback),
    and each source's branch current is the KCL balance at its node. Returns the MNA
    unknowns ``z`` (node voltages, then branch currents), or None when the circuit does not
    qualify (the caller then factors the MNA matrix).

    Parameters
    ----------
    comp : CompiledCircuit
    a_lin : sparse matrix
        The MNA matrix.
    rhs : ndarray
        Its right-hand side.
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
    a = sp.csr_matrix(a_lin)
    ann = a[:n][:, :n].tocsr()
    if abs(ann - ann.T).max() > 1e-12 * abs(ann).max():  # pragma: no cover - no E/F/G/H here
        return None
    fixed = np.zeros(n, dtype=bool)
    fixed[node] = True
    free = np.flatnonzero(~fixed)
    x = np.zeros(n)
    x[node] = sign * rhs[n + np.arange(comp.m)]
    b_free = rhs[free] - ann[free][:, node] @ x[node]
    if free.size:
        solver = SPDSolver(ann[free][:, free], method="auto")
        x[free], report = solver.solve(b_free)
        if not report.certified:
            return None
    z = np.zeros(comp.size)
    z[:n] = x
    # KCL at each fixed node: G x + incidence * i = b  ->  i = sign * (b - G x)
    z[n + np.arange(comp.m)] = sign * (rhs[node] - ann[node] @ x)
    return z


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
    "Preconditioner",
    "METHODS",
    "DENSE_LIMIT",
    "DIRECT_LIMIT",
    "FALLBACK_LIMIT",
]
