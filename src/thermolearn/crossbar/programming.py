"""Pulse-level programming of crossbar cells: V/2 and V/3 schemes, disturb, write-verify.

To write cell (i, j) of a passive array, its row is driven to V_p and its column to 0; the
other lines are biased so that no other cell sees the full V_p:

- **V/2**: unselected rows and columns at V_p/2. Half-selected cells (same row or column)
  see V_p/2; the others 0.
- **V/3**: unselected rows at V_p/3, unselected columns at 2V_p/3. Half-selected cells see
  V_p/3; the others −V_p/3.

With line resistance the bias each cell sees is found by solving the array's network
(:class:`~thermolearn.crossbar.array_solver.CrossbarNetwork`) with the device conductances at
that moment. During a pulse every cell's state evolves under its own voltage through the
device model (``model.step``), so a threshold device (VTEAM) whose half-select bias is below
threshold is not disturbed, while a device without a threshold drifts: the half-select
disturb. The dissipated energy Σ I·V·dt over all cells, wires and drivers is booked under
``"program"`` (simulated).

References
----------
.. [1] A. Chen, "A comprehensive crossbar array model with solutions for line resistance and
   nonlinear device characteristics," IEEE Trans. Electron Devices 60(4), 1318 (2013).
.. [2] S. Kvatinsky et al., "VTEAM: a general model for voltage-controlled memristors,"
   IEEE TCAS-II 62(8), 786 (2015).
.. [3] F. Alibart, L. Gao, B. D. Hoskins, D. B. Strukov, "High precision tuning of state for
   memristive devices by adaptable variation-tolerant algorithm," Nanotechnology 23,
   075201 (2012) (write-verify).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from thermolearn.crossbar.array_solver import CrossbarNetwork
from thermolearn.errors import ParameterError
from thermolearn.validation import check_choice, check_int, check_positive, finite_array

Array = NDArray[np.float64]

SCHEMES = ("v/2", "v/3", "floating")
#: Most fixed-point iterations per sub-step for the chord conductances of nonlinear devices
#: (linear devices converge in the second).
_CHORD_ITERATIONS = 20


def scheme_biases(
    rows: int, cols: int, i: int, j: int, v_p: float, scheme: str
) -> tuple[Array, Array, Array, Array]:
    """Terminal voltages and terminal resistances-to-use for selecting cell (i, j).

    Returns
    -------
    u_row, u_col : ndarray (rows,), (cols,)
        Terminal voltages, V.
    row_float, col_float : ndarray of bool
        Lines left floating (scheme "floating": only the selected lines are driven).
    """
    check_choice(scheme, "scheme", "scheme_biases", SCHEMES)
    u_row = np.zeros(rows)
    u_col = np.zeros(cols)
    row_float = np.zeros(rows, dtype=bool)
    col_float = np.zeros(cols, dtype=bool)
    if scheme == "v/2":
        u_row[:] = v_p / 2
        u_col[:] = v_p / 2
    elif scheme == "v/3":
        u_row[:] = v_p / 3
        u_col[:] = 2 * v_p / 3
    else:
        row_float[:] = True
        col_float[:] = True
        row_float[i] = False
        col_float[j] = False
    u_row[i] = v_p
    u_col[j] = 0.0
    return u_row, u_col, row_float, col_float


@dataclass
class PulseResult:
    """Outcome of one programming pulse.

    Attributes
    ----------
    state : ndarray (rows, cols)
        Device states after the pulse.
    v_cell_max : ndarray (rows, cols)
        Largest |cell voltage| (V) seen during the pulse.
    energy : float
        Joules dissipated (cells + wires + drivers).
    """

    state: Array
    v_cell_max: Array
    energy: float


def _chord(model: Any, v: Array, x: Array, v_read: float) -> Array:
    """Chord conductances I(v, x)/v (S) of the devices at their voltages (v_read where v = 0)."""
    v_c = np.where(np.abs(v) > 1e-9, v, v_read)
    return np.maximum(np.asarray(model.current(v_c, x), dtype=float) / v_c, 0.0)


def apply_pulse(
    xb: Any,
    i: int,
    j: int,
    v_p: float,
    width: float,
    *,
    scheme: str = "v/2",
    substeps: int = 10,
    book: bool = True,
) -> PulseResult:
    """Apply one programming pulse to cell (i, j) of ``xb`` with the chosen biasing scheme.

    The network is re-solved at each of ``substeps`` sub-intervals with the present chord
    conductances I(V, x)/V of the devices *at the voltage each one sees* (found by fixed-point
    iteration, so sinh-type devices conduct as they do at V_p, not at v_read); every cell's
    state is advanced with ``model.step`` under its own voltage.

    Parameters
    ----------
    xb : CrossbarArray
        The array (its ``state`` is updated in place).
    i, j : int
        Selected cell.
    v_p : float
        Pulse amplitude, V (negative to reset).
    width : float
        Pulse width, s.
    scheme : {"v/2", "v/3", "floating"}
        Bias of the unselected lines.
    substeps : int
        Network solves per pulse.
    book : bool
        Book the energy under ``"program"`` in ``xb.ledger``.
    """
    m, n = xb.rows, xb.cols
    i = check_int(i, "i", "apply_pulse", minimum=0)
    j = check_int(j, "j", "apply_pulse", minimum=0)
    if i >= m or j >= n:
        raise ParameterError(
            f"The cell ('i', 'j') = ({i}, {j}) given to apply_pulse is outside the {m}x{n} array."
        )
    width = check_positive(width, "width", "apply_pulse", "s")
    substeps = check_int(substeps, "substeps", "apply_pulse", minimum=1)
    u_row, u_col, rf, cf = scheme_biases(m, n, i, j, float(v_p), scheme)
    rr = np.where(rf, np.inf, xb.r_driver)
    cr = np.where(cf, np.inf, xb.r_driver)
    dt = width / substeps
    x = np.array(xb.state, dtype=float)
    vmax = np.zeros((m, n))
    energy = 0.0
    model = xb.model
    r_series = None
    if xb.cell == "1T1R":
        sel = np.zeros((m, n), dtype=bool)
        sel[i, :] = True  # the word line of row i opens its transistors
        r_series = np.where(sel, xb.r_access, xb.r_access_off)
    # first guess of each memristor's voltage: the scheme's nominal cell bias
    v_dev = np.subtract.outer(np.where(rf, 0.0, u_row), np.where(cf, 0.0, u_col))
    for _ in range(substeps):
        # Linearise each device at the bias it actually sees (chord conductance I(V)/V), by
        # fixed-point iteration on the cell voltages: a nonlinear device (sinh I-V) conducts
        # far more at V_p than at v_read, and its programming energy must be the one at V_p.
        g = _chord(model, v_dev, x, xb.v_read)
        for _it in range(_CHORD_ITERATIONS):
            if r_series is not None:
                g_eff = 1.0 / (1.0 / np.maximum(g, 1e-300) + r_series)
            else:
                g_eff = g
            net = CrossbarNetwork(g_eff, r_wire=xb.r_wire, row_r_term=rr, col_r_term=cr)
            sol = net.solve(u_row, u_col)
            vcell = sol.v_cell[0]
            if r_series is not None:
                vcell = vcell * g_eff / np.maximum(g, 1e-300)  # voltage across the memristor
            change = float(np.max(np.abs(vcell - v_dev)))
            v_dev = vcell
            g_next = _chord(model, vcell, x, xb.v_read)
            # converged when the chords no longer move (at once for a linear device) or the
            # cell voltages settle
            same = np.allclose(g_next, g, rtol=1e-9, atol=0.0)
            g = g_next
            if same or change <= 1e-6 * max(abs(float(v_p)), 1e-3):
                break
        vmax = np.maximum(vmax, np.abs(vcell))
        energy += float(sol.p_source[0]) * dt
        x = np.asarray(model.step(vcell, x, dt), dtype=float)
    xb.state = x
    if book:
        xb.ledger.book("program", energy)
    return PulseResult(state=x, v_cell_max=vmax, energy=energy)


@dataclass
class WriteVerifyResult:
    """Outcome of a write-verify loop.

    Attributes
    ----------
    conductances : ndarray (rows, cols)
        Conductances reached, S.
    pulses : ndarray of int (rows, cols)
        Pulses applied per cell.
    converged : ndarray of bool (rows, cols)
        Cells within tolerance of their target.
    energy : float
        Joules of all pulses and verify reads.
    disturb : ndarray (rows, cols)
        Largest relative conductance change of each cell while *other* cells were written.
    """

    conductances: Array
    pulses: NDArray[np.int_]
    converged: NDArray[np.bool_]
    energy: float
    disturb: Array = field(default_factory=lambda: np.zeros(0))


def write_verify(
    xb: Any,
    targets: ArrayLike,
    *,
    v_set: float = 1.0,
    v_reset: float = -1.0,
    width: float = 10e-9,
    rtol: float = 0.02,
    max_pulses: int = 50,
    scheme: str = "v/2",
    substeps: int = 4,
) -> WriteVerifyResult:
    """Program cells one at a time to ``targets`` (S) by pulse / verify-read iterations.

    For each cell: read its conductance; if outside ``rtol`` of the target, apply a pulse in
    the direction that moves towards it (``v_set`` is the pulse that *raises* the conductance
    and ``v_reset`` the one that lowers it; for VTEAM, whose positive bias moves towards OFF,
    that is ``v_set < 0``) and repeat up to ``max_pulses``; the pulse width halves whenever
    the cell overshoots. Every pulse is a full-array :func:`apply_pulse` (so half-selected cells are
    disturbed), every verify read books ``v_read² G t_read``. Cells whose target is NaN are
    skipped.
    """
    tg = np.asarray(targets, dtype=float)
    if tg.shape != (xb.rows, xb.cols):
        raise ParameterError(
            f"The 'targets' argument of write_verify must have shape {(xb.rows, xb.cols)}; "
            f"got {tg.shape}."
        )
    finite_array(np.nan_to_num(tg, nan=0.0), "targets", "write_verify")
    if np.any(tg[np.isfinite(tg)] <= 0):
        bad = float(tg[np.isfinite(tg) & (tg <= 0)].ravel()[0])
        raise ParameterError(
            f"The 'targets' argument of write_verify must be > 0 S (or NaN to skip); got {bad!r}."
        )
    max_pulses = check_int(max_pulses, "max_pulses", "write_verify", minimum=1)
    check_positive(rtol, "rtol", "write_verify")
    pulses = np.zeros(tg.shape, dtype=int)
    conv = np.zeros(tg.shape, dtype=bool)
    energy = 0.0
    disturb = np.zeros(tg.shape)
    for i in range(xb.rows):
        for j in range(xb.cols):
            if not np.isfinite(tg[i, j]):
                conv[i, j] = True
                continue
            g_before = xb.conductances
            w = width
            last_sign = 0
            for _ in range(max_pulses + 1):
                g = float(xb.conductances[i, j])
                e_read = xb.v_read**2 * g * xb.t_read
                xb.ledger.book("program", e_read)
                energy += e_read
                err = (g - tg[i, j]) / tg[i, j]
                if abs(err) <= rtol:
                    conv[i, j] = True
                    break
                if pulses[i, j] >= max_pulses:
                    break
                sign = 1 if err < 0 else -1  # +1: need more conductance
                if last_sign and sign != last_sign:
                    w *= 0.5
                last_sign = sign
                v = v_set if sign > 0 else v_reset
                res = apply_pulse(xb, i, j, v, w, scheme=scheme, substeps=substeps)
                energy += res.energy
                pulses[i, j] += 1
            g_after = xb.conductances
            rel = np.abs(g_after - g_before) / np.maximum(g_before, 1e-300)
            rel[i, j] = 0.0
            disturb = np.maximum(disturb, rel)
    return WriteVerifyResult(
        conductances=xb.conductances, pulses=pulses, converged=conv, energy=energy, disturb=disturb
    )


__all__ = [
    "SCHEMES",
    "scheme_biases",
    "apply_pulse",
    "PulseResult",
    "write_verify",
    "WriteVerifyResult",
]
