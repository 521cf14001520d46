"""Guards that turn non-finite or numerically meaningless solutions into named errors.

A float64 solve can overflow (a source or element value too large: ``V = I R`` beyond 1.8e308)
or be numerically singular (SuperLU only detects exact zero pivots; a pivot of 1e-300 gives a
"solution" whose KCL residual is as large as the currents themselves). Both raise
:class:`~thermolearn.errors.SolverError` naming the worst node or branch, never a silent NaN
or inf.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.errors import SolverError

__all__ = ["worst_index", "check_solution", "check_currents", "RESIDUAL_RTOL"]

#: Largest accepted relative KCL residual |A z - b| / (|A| |z| + |b|) of a linear solve. A
#: backward-stable LU reaches ~1e-16 times a growth factor; 1e-6 leaves ten orders of margin
#: and still flags a numerically singular system, whose relative residual is of order 1.
RESIDUAL_RTOL = 1e-6
#: Smallest scale a row's residual is divided by, as a fraction of |a_i|_1 * max|z| (what
#: roundoff in z can put into row i): without it a row with a zero right-hand side and a
#: solution at roundoff (residual 3e-21 against a row scale of 3e-21: a 1T1R crossbar's
#: virtual-ground branch, seen with numpy 2.4.6 and scipy 1.17.1) reads as a relative residual
#: of 1. The floor is per row, so a row of vanishing conductances is still judged on its own
#: coefficients, not against the system's largest row.
RESIDUAL_FLOOR = 1e-12


def worst_index(values: NDArray[np.float64]) -> int:
    """Index of the worst entry: the first non-finite one, else the largest magnitude."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return 0
    bad = np.flatnonzero(~np.isfinite(v))
    if bad.size:
        return int(bad[0])
    return int(np.argmax(np.abs(v)))


def check_solution(
    comp: Any,
    z: NDArray[np.float64],
    what: str,
    *,
    a: Any = None,
    rhs: NDArray[np.float64] | None = None,
) -> None:
    """Raise SolverError if ``z`` is not finite or (given ``a``, ``rhs``) does not solve A z = b.

    Parameters
    ----------
    comp : CompiledCircuit
        Names the unknowns (``comp.node_name(row)``).
    z : ndarray
        The solution (node voltages, then branch currents).
    what : str
        The analysis, for the message ("DC operating point", "transient at t = ...").
    a, rhs : sparse matrix and ndarray, optional
        The linear system; its relative residual must be below :data:`RESIDUAL_RTOL`.
    """
    finite = np.isfinite(z)
    if not finite.all():
        row = worst_index(z)
        name = comp.node_name(row)
        raise SolverError(
            f"{what}: the solution is not finite ({name} = {float(z[row])}): a source or element "
            "value overflows float64 (e.g. V = I R above 1.8e308) or the circuit is "
            f"numerically singular; check the element values at {name!r}.",
            residual=float("inf"),
            worst_node=name,
        )
    if a is None or rhs is None:
        return
    with np.errstate(all="ignore"):
        res = a @ z - rhs
        absa = abs(a)
        scale = absa @ np.abs(z) + np.abs(rhs)
        # a row whose own scale is ~0 (a zero right-hand side and a solution at roundoff, e.g.
        # a TIA's virtual-ground branch) is judged against what roundoff in z can put in that
        # row, |a_i|_1 * |z|_inf (normwise backward error), not against other rows: a row of
        # vanishing conductances must still be checked on its own scale
        zmax = float(np.max(np.abs(z))) if z.size else 0.0
        floor = RESIDUAL_FLOOR * np.asarray(absa.sum(axis=1)).ravel() * zmax
        scale = np.maximum(scale, floor)
        rel = np.abs(res) / np.where(scale > 0, scale, 1.0)
    if not np.all(np.isfinite(rel)) or (rel.size and float(np.max(rel)) > RESIDUAL_RTOL):
        row = worst_index(rel)
        name = comp.node_name(row)
        raise SolverError(
            f"{what}: the linear system is numerically singular (relative KCL residual "
            f"{float(rel[row]):.2e} at {name!r}, above {RESIDUAL_RTOL:g}): element values "
            "span too many orders of magnitude for float64, or a node is connected only "
            "through vanishing conductances; check the elements at that node.",
            residual=float(np.abs(res[row])),
            worst_node=name,
        )


def check_currents(currents: Any, what: str) -> None:
    """Raise SolverError if an element current is not finite (names the element).

    ``currents`` is a name -> current mapping (a ``dict``, or a
    :class:`~thermolearn.circuit.results.NamedValues`, whose array is checked directly).
    """
    values = (
        currents.array()
        if hasattr(currents, "array")
        else np.fromiter(currents.values(), dtype=float, count=len(currents))
    )
    if np.isfinite(values).all():
        return
    for name, val in currents.items():
        if not np.isfinite(val):
            raise SolverError(
                f"{what}: the current of {name} is {val!r} (overflow); check its value and the "
                "voltages across it.",
                residual=float("inf"),
                worst_node=f"current of {name}",
            )
