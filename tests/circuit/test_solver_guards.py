"""Solvers never return NaN or inf silently: overflow, singular systems, NaN expressions.

Reference: float64 limits (1.8e308) and exact arithmetic of the tiny circuits below (e.g.
V = I R = 1e10 A x 1e300 ohm = 1e310 V overflows); each case must raise a named error whose
``worst_node`` is the node that overflowed, never return a non-finite voltage or current.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from thermolearn.circuit import operating_point, transient
from thermolearn.circuit.mna.guards import RESIDUAL_RTOL, check_solution
from thermolearn.circuit.spice.parser import parse_netlist
from thermolearn.errors import ConvergenceError, NetlistError, SolverError


def _op(text: str):  # type: ignore[no-untyped-def]
    return operating_point(parse_netlist("t\n" + text + "\n.end\n").circuit)


def test_dc_overflow_is_a_solver_error_naming_the_node() -> None:
    with pytest.raises(SolverError, match=r"not finite \(a = inf\).*'a'") as info:
        _op("I1 0 a 1e10\nR1 a 0 1e300")
    assert info.value.worst_node == "a"
    with pytest.raises(SolverError) as info:  # 1e308 + 1e308 V in series
        _op("V1 1 0 1e308\nV2 2 1 1e308\nR1 2 0 1")
    assert info.value.worst_node == "1"


def test_nan_behavioural_source_is_a_convergence_error_not_a_raw_numpy_error() -> None:
    # previously: ValueError "All-NaN slice encountered" from numpy's nanargmax
    with pytest.raises(ConvergenceError, match=r"residual nan A at node '1'.*NaN or inf") as info:
        _op("V1 1 0 1\nB1 1 0 I=sqrt(-1-V(1))")
    assert info.value.worst_node == "1"


def test_transient_overflow_names_the_time_and_node() -> None:
    # TR = 0 means TSTEP (1 s) in ngspice's PULSE: the source reaches 1e300 A at t = 2 s
    p = parse_netlist("t\nI1 0 a PULSE(0 1e300 1 0 0 5)\nC1 a 0 1e-300\nR1 a 0 1e10\n"
                      ".tran 1 10\n.end\n")
    with pytest.raises(SolverError, match=r"transient at t = 2 s.*\(a = inf\)"):
        transient(p.circuit, 10.0, 1.0)


def test_conductance_overflow_and_singular_matrix_are_named() -> None:
    with pytest.raises(NetlistError, match=r"conductance of R2 .*overflows"):
        _op("V1 1 0 1\nR1 1 2 1\nR2 2 3 1e-320\nI1 3 0 1")
    with pytest.raises(NetlistError, match="singular|floating|cutset"):
        _op("V1 1 0 1\nR1 1 0 1\nI1 0 3 1\nC1 3 0 1p")


class _Comp:
    n = 2

    def node_name(self, row: int) -> str:
        return ["x", "y"][row]


def test_residual_check_flags_a_solution_that_does_not_solve_the_system() -> None:
    """A = [[1, 1], [1, 1 + 1e-12]]: cond ~ 4e12; a 'solution' off by 1e-3 relative."""
    a = sp.csc_matrix(np.array([[1.0, 1.0], [1.0, 1.0 + 1e-12]]))
    z_true = np.array([1.0, 2.0])
    b = a @ z_true
    check_solution(_Comp(), z_true, "test", a=a, rhs=b)  # exact: accepted
    with pytest.raises(SolverError, match=r"numerically singular .* at 'x'"):
        check_solution(_Comp(), z_true * (1 + 1e-3) + np.array([1e-3, 0.0]), "test", a=a, rhs=b)
    assert RESIDUAL_RTOL <= 1e-6
    with pytest.raises(SolverError, match=r"\(y = nan\)"):
        check_solution(_Comp(), np.array([1.0, np.nan]), "test")


def test_linear_solver_batch_overflow_is_named() -> None:
    from thermolearn.circuit import Circuit, LinearSolver

    c = Circuit("divider")
    c.add_isource("I1", "0", "a", 1.0)
    c.add_resistor("R1", "a", "0", 1e300)
    solver = LinearSolver(c, ["I1"])
    assert solver.solve([1.0], ["a"])[0] == pytest.approx(1e300, rel=1e-12)
    with pytest.raises(SolverError, match=r"\(a = inf\) for batch row 1"):
        solver.solve([[1.0], [1e10]], ["a"])
    with pytest.raises(SolverError, match="batch row 0"):
        solver.solve([1e10])


def test_residual_check_judges_a_zero_row_against_the_system_scale() -> None:
    """CI on scipy 1.17 (session 7): a row with a zero right-hand side and a solution at
    roundoff (residual 3e-21 against a row scale of 3e-21) read as relative residual 1 and
    failed a correct 1T1R solve. Reference: A = diag(1, 1), b = (1, 0); z = (1, 1e-20) is
    accepted (1e-20 against the system's scale 1), z = (1, 1e-3) still raises. Red without
    the floor (RESIDUAL_FLOOR)."""
    a = sp.csc_matrix(np.eye(2))
    b = np.array([1.0, 0.0])
    check_solution(_Comp(), np.array([1.0, 1e-20]), "test", a=a, rhs=b)
    for bad in (1e-3, 1e-17):  # 1e-17 is 1e-5 of the floor: red if the floor is >= 1e-11
        with pytest.raises(SolverError, match=r"numerically singular .* at 'y'"):
            check_solution(_Comp(), np.array([1.0, bad]), "test", a=a, rhs=b)


def test_residual_floor_still_checks_a_row_of_vanishing_conductances() -> None:
    """Reviewer's case (session 8): A = diag(1e3, 1e-15), b = (1e3, 1e-15), exact z = (1, 1).
    z = (1, 0) and (1, -1) are 100 % wrong in the second unknown and must raise; a floor taken
    from the system's largest row (2e3 x 1e-12 = 2e-9 against a residual of 1e-15) accepted
    both. The exact solution with roundoff (1, 1 + 1e-15) is accepted."""
    a = sp.csc_matrix(np.diag([1e3, 1e-15]))
    b = np.array([1e3, 1e-15])
    check_solution(_Comp(), np.array([1.0, 1.0 + 1e-15]), "test", a=a, rhs=b)
    for bad in (0.0, -1.0):
        with pytest.raises(SolverError, match=r"numerically singular .* at 'y'"):
            check_solution(_Comp(), np.array([1.0, bad]), "test", a=a, rhs=b)
