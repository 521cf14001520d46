"""DC operating point of the Python engine: Newton-Raphson with gmin and source stepping.

Nonlinear circuits (diodes, selectors, nonlinear memristors, B sources) use Newton-Raphson on
the companion (linearised) network with SPICE-style junction limiting; if plain Newton fails,
gmin stepping and then source stepping are tried; if all fail a
:class:`~thermolearn.errors.ConvergenceError` reports the last KCL residual and worst node.
In DC a memristor is a (possibly nonlinear) resistor at its present state.

References
----------
.. [1] L. W. Nagel, "SPICE2: A computer program to simulate semiconductor circuits,"
   UCB/ERL M520 (1975) -- junction voltage limiting (pnjlim), gmin and source stepping.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from thermolearn.circuit.circuit import Circuit
from thermolearn.circuit.elements import (
    NonlinearStamps,
    element_current_array,
    kcl_residual,
    node_voltage,
    residual_vector,
)
from thermolearn.circuit.mna.compile import CompiledCircuit, compiled, node_voltages
from thermolearn.circuit.mna.guards import check_currents, check_solution, worst_index
from thermolearn.circuit.mna.linear import factor
from thermolearn.circuit.mna.spd import DIRECT_LIMIT as SPD_LIMIT
from thermolearn.circuit.mna.spd import nodal_solve
from thermolearn.circuit.results import NamedValues, OperatingPoint
from thermolearn.errors import ConvergenceError, NetlistError
from thermolearn.validation import check_positive

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True, kw_only=True)
class NewtonOptions:
    """Tolerances of the Newton solver.

    Attributes
    ----------
    reltol : float
        Relative tolerance on the update of every unknown.
    vntol : float
        Absolute tolerance on node voltage updates, V.
    abstol : float
        Absolute tolerance on branch current updates, A.
    max_iter : int
        Iterations per Newton solve.
    """

    reltol: float = 1e-10
    vntol: float = 1e-12
    abstol: float = 1e-15
    max_iter: int = 150

    def __post_init__(self) -> None:
        check_positive(self.reltol, "reltol", "NewtonOptions")
        check_positive(self.vntol, "vntol", "NewtonOptions", "V")
        check_positive(self.abstol, "abstol", "NewtonOptions", "A")


def newton(
    comp: CompiledCircuit,
    a_lin: sp.csc_matrix,
    rhs_lin: Array,
    z0: Array,
    opts: NewtonOptions,
    *,
    gmin: float = 0.0,
) -> tuple[Array, int, Array]:
    """Damped Newton on the companion network; returns (z, iterations, residual vector)."""
    nl = NonlinearStamps(comp)
    z = z0.copy()
    nl.reset(z)
    tol_abs = np.full(comp.size, opts.abstol)
    tol_abs[: comp.n] = opts.vntol
    gextra: tuple[Any, Any, Any] | None = None
    if gmin > 0 and comp.n:
        ii = np.arange(comp.n, dtype=np.intp)
        gextra = (ii, ii, np.full(comp.n, gmin))
    last_res = np.full(comp.size, np.inf)
    for it in range(1, opts.max_iter + 1):
        (r, c, d), rhs_nl, limited = nl.stamps(z, limit=True)
        if gextra is not None:
            r = np.concatenate([r, gextra[0]])
            c = np.concatenate([c, gextra[1]])
            d = np.concatenate([d, gextra[2]])
        jac = a_lin + sp.csc_matrix((d, (r, c)), shape=a_lin.shape)
        try:
            lu = factor(jac.tocsc(), comp)
        except NetlistError:
            break  # singular Jacobian: report as non-convergence below
        znew = lu.solve(rhs_lin + rhs_nl)
        if not np.all(np.isfinite(znew)):
            break
        dz = np.abs(znew - z)
        z = znew
        if limited:
            continue
        if np.all(dz <= opts.reltol * np.abs(z) + tol_abs):
            last_res = residual_vector(comp, a_lin, rhs_lin, z, nl, gmin=gmin)
            return z, it, last_res
        if it > 20 and np.all(dz <= 1e-7 * (np.abs(z) + 1e-3)):
            # linear convergence (kinks, finite-difference B-source Jacobians): accept once
            # KCL holds to 1e-13 A at every node
            last_res = residual_vector(comp, a_lin, rhs_lin, z, nl, gmin=gmin)
            if np.max(np.abs(last_res[: comp.n]), initial=0.0) < 1e-13:
                return z, it, last_res
    with np.errstate(all="ignore"):
        last_res = residual_vector(comp, a_lin, rhs_lin, z, nl, gmin=gmin)
    worst = worst_index(last_res[: comp.n]) if comp.n else 0
    worst_res = float(np.abs(last_res[worst])) if comp.n else float("nan")
    raise ConvergenceError(
        f"Newton did not converge in {opts.max_iter} iterations; last KCL residual "
        f"{worst_res:.3e} A at node {comp.node_name(worst)!r}"
        + (" (a behavioural expression evaluates to NaN or inf there)"
           if not math.isfinite(worst_res) else "") + ".",
        residual=worst_res,
        worst_node=comp.node_name(worst),
    )


def _linear_guess(comp: CompiledCircuit, a_lin: sp.csc_matrix, rhs: Array, z0: Array) -> Array:
    """Start Newton on a circuit with B sources from its linear part's solution.

    Sources then fix their nodes before the first expression is evaluated (an expression such
    as ``ln(V(a))`` or ``V(p,n)/V(x)`` has no value at the all-zero start). Only for a zero
    start; a singular linear part keeps the zero start.
    """
    import scipy.sparse.linalg as spla

    if not (comp.bsrc_i or comp.bsrc_v) or np.any(z0):
        return z0
    size = a_lin.shape[0]
    gdiag = np.zeros(size)
    gdiag[: comp.n] = 1e-9
    try:
        with np.errstate(all="ignore"):
            z = spla.splu((a_lin + sp.diags(gdiag)).tocsc()).solve(rhs)
    except RuntimeError:
        return z0
    return z if np.all(np.isfinite(z)) else z0


def bsource_guess(comp: CompiledCircuit, z0: Array) -> Array:
    """Return an initial guess with grounded ``V=`` B sources evaluated a few times.

    Behavioural twins often divide by an internal node (e.g. ``I = V(p,n)/V(rs)``); starting
    Newton with those nodes at their own expressions instead of 0 V avoids 1/0.
    """
    if not comp.bsrc_v:
        return z0
    z = z0.copy()
    for _ in range(4):
        for e in comp.bsrc_v:
            ia, ib = comp.index[e.p], comp.index[e.n]
            if ia < 0 or ib >= 0:
                continue
            fexp = comp.bexpr[e.name]
            val = fexp.value({nd: node_voltage(z, comp.index[nd]) for nd in fexp.node_set()})
            if math.isfinite(val):
                z[ia] = val
    return z


def solve_dc(
    comp: CompiledCircuit,
    a_lin: sp.csc_matrix,
    rhs: Array,
    z0: Array,
    opts: NewtonOptions,
    rhs_of_scale: Callable[[float], Array] | None = None,
) -> tuple[Array, int]:
    """Linear solve, or Newton with gmin stepping and source stepping fallbacks."""
    if not comp.nonlinear:
        # a large resistive circuit with grounded sources: its SPD nodal system (CG + AMG)
        z_spd = nodal_solve(comp, a_lin, rhs) if comp.size > SPD_LIMIT else None
        if z_spd is not None:
            z = z_spd
        else:
            lu = factor(a_lin, comp)
            with np.errstate(all="ignore"):
                z = lu.solve(rhs)
        check_solution(comp, z, "DC operating point", a=a_lin, rhs=rhs)
        return z, 0
    z0 = bsource_guess(comp, _linear_guess(comp, a_lin, rhs, z0))
    try:
        z, it, _ = newton(comp, a_lin, rhs, z0, opts)
        return z, it
    except ConvergenceError as exc:
        first = exc
    err = first
    total = 0
    # gmin stepping
    try:
        z = z0.copy()
        for gmin in [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 0.0]:
            z, it, _ = newton(comp, a_lin, rhs, z, opts, gmin=gmin)
            total += it
        return z, total
    except ConvergenceError as exc:
        err = exc
    # source stepping
    if rhs_of_scale is not None:
        try:
            z = np.zeros_like(z0)
            for s in np.linspace(0.05, 1.0, 20):
                z, it, _ = newton(comp, a_lin, rhs_of_scale(float(s)), z, opts)
                total += it
            return z, total
        except ConvergenceError as exc:
            err = exc
    raise ConvergenceError(
        f"DC operating point failed (plain Newton, gmin stepping and source stepping). "
        f"Plain Newton: {first} Last fallback: {err}",
        residual=first.residual,
        worst_node=first.worst_node,
    ) from err


# ---------------------------------------------------------------------------------------
# operating point
# ---------------------------------------------------------------------------------------
def operating_point(
    circuit: Circuit,
    *,
    options: NewtonOptions | None = None,
    initial: dict[str, float] | None = None,
) -> OperatingPoint:
    """DC operating point with the Python engine.

    Capacitors are open, inductors short, memristors resistors at their present state,
    independent sources at their DC values.

    Parameters
    ----------
    circuit : Circuit
        The circuit.
    options : NewtonOptions, optional
        Newton tolerances.
    initial : dict of str to float, optional
        Initial guess of node voltages (V) for nonlinear circuits.

    Returns
    -------
    OperatingPoint

    Raises
    ------
    NetlistError
        A floating node, a voltage-source loop or a singular matrix (the message names the
        node or element).
    ConvergenceError
        Newton, gmin stepping and source stepping all failed.
    """
    opts = options or NewtonOptions()
    comp = compiled(circuit)
    comp.check_topology()
    rhs = comp.source_rhs(None)
    # a large resistive circuit with grounded sources: its SPD nodal system, assembled from
    # the conductances (no MNA matrix); the KCL residual from the element currents
    z = nodal_solve(comp, None, rhs) if not comp.nonlinear and comp.size > SPD_LIMIT else None
    if z is not None:
        iters = 0
        check_solution(comp, z, "DC operating point")
        cur = element_current_array(comp, z)
        res = kcl_residual(comp, cur)
    else:
        a_lin = comp.matrix()
        z0 = np.zeros(comp.size)
        if initial:
            for nd, val in initial.items():
                i = comp.index.get(nd, -1)
                if i >= 0:
                    z0[i] = val
        z, iters = solve_dc(comp, a_lin, rhs, z0, opts, lambda s: comp.source_rhs(None, s))
        check_solution(comp, z, "DC operating point")
        res = residual_vector(comp, a_lin, rhs, z)[: comp.n]
        cur = element_current_array(comp, z)
    currents = NamedValues(comp.order, cur)
    check_currents(currents, "DC operating point")
    return OperatingPoint(
        voltages=node_voltages(comp, z, circuit.node_index()),
        currents=currents,
        states={e.name: float(e.x0) for e in comp.mem},  # type: ignore[arg-type]
        engine="python",
        iterations=iters,
        residual=float(np.max(np.abs(res))) if comp.n else 0.0,
    )


__all__ = ["NewtonOptions", "newton", "operating_point", "solve_dc"]
