"""The ngspice engine: export the circuit, run it in ngspice, read results back.

The netlist is exactly :func:`~thermolearn.circuit.spice.export.export_netlist` plus an
``.options`` card with tight tolerances, run through
:func:`~thermolearn.circuit.spice.runner.run_netlist` (PySpice shared mode).
Node voltages and branch currents of V, L, E, H and ``V=`` B sources come from ngspice; the
currents of the other elements are computed from those voltages with the same element laws
the Python engine uses, so both engines fill the same :class:`OperatingPoint` /
:class:`TransientResult`.

For an operating point, memristors are exported as their DC I-V at fixed state (a memristor is
a resistor at its state in DC; the twin's state integrator is ill-posed at ``.op``). For a
transient, the dynamic twins are used with ``uic`` so that each state capacitor starts at x0.
ngspice integrates with its default trapezoidal method and variable step, limited to ``dt``.

Under ``uic`` ngspice writes no t = 0 point (its ``dctran.c`` dumps a UIC time point only when
``CKTtime > 0``), so its first row is its first step. The engine puts the t = 0 row in front:
the UIC initial solution, with capacitors at their ``ic``, inductors at 0 A and memristor
states at x0 -- the same definition, and the same MNA solve, as the Python engine's t = 0 row
(:func:`~thermolearn.circuit.mna.transient.initial_solution`). Every later row is ngspice's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from thermolearn.circuit.circuit import GROUND, Circuit
from thermolearn.circuit.elements import element_currents, residual_vector
from thermolearn.circuit.mna.compile import compiled
from thermolearn.circuit.mna.dc import NewtonOptions
from thermolearn.circuit.mna.transient import initial_solution
from thermolearn.circuit.results import OperatingPoint, TransientResult
from thermolearn.circuit.spice import runner
from thermolearn.circuit.spice.export import export_netlist, spice_name, state_node
from thermolearn.errors import SpiceError
from thermolearn.validation import check_positive

#: Tolerances for operating points (tight enough for 1e-6 V agreement with the Python engine).
OP_OPTIONS = ".options reltol=1e-9 abstol=1e-15 vntol=1e-12 itl1=500 itl2=500"
#: Tolerances for transients.
TRAN_OPTIONS = ".options reltol=1e-5 abstol=1e-14 vntol=1e-9 itl4=100"


def _vec(res: Any, key: str) -> np.ndarray:
    low = key.lower()
    for name in (low, f"v({low})"):  # ngspice names numeric nodes v(1), v(2), ...
        if name in res.vectors:
            return np.asarray(res.vectors[name], dtype=float)
    raise SpiceError(f"ngspice returned no vector {key!r}; it has {sorted(res.vectors)[:20]} ...")


def operating_point(circuit: Circuit, *, options: str = OP_OPTIONS) -> OperatingPoint:
    """DC operating point computed by ngspice (``.op``)."""
    comp = compiled(circuit)
    text = export_netlist(circuit, ".op", options=options)
    res = runner.run_netlist(text)
    z = np.zeros(comp.size)
    for i, nd in enumerate(comp.node_names):
        z[i] = float(_vec(res, nd)[0])
    for name in comp.branch_names:
        row = comp.branch_row[name]
        z[row] = float(_vec(res, spice_name(circuit.element(name)) + "#branch")[0])
    a_lin = comp.matrix()
    rhs = comp.source_rhs(None)
    r = residual_vector(comp, a_lin, rhs, z)
    volts = {GROUND: 0.0}
    volts.update(zip(comp.node_names, z[: comp.n].tolist(), strict=True))
    return OperatingPoint(
        voltages=volts,
        currents=element_currents(comp, z),
        states={e.name: float(e.x0) for e in comp.mem},  # type: ignore[arg-type]
        engine="ngspice",
        iterations=-1,
        residual=float(np.max(np.abs(r[: comp.n]))) if comp.n else 0.0,
    )


def transient(
    circuit: Circuit,
    t_stop: float,
    dt: float,
    *,
    uic: bool | None = None,
    options: str = TRAN_OPTIONS,
) -> TransientResult:
    """Transient computed by ngspice (``.tran dt t_stop 0 dt [uic]``)."""
    check_positive(t_stop, "t_stop", "transient", "s")
    check_positive(dt, "dt", "transient", "s")
    comp = compiled(circuit)
    if uic is None:
        uic = bool(comp.mem) or any(e.ic is not None for e in comp.cap)
    card = f".tran {dt!r} {t_stop!r} 0 {dt!r}" + (" uic" if uic else "")
    text = export_netlist(circuit, card, options=options)
    res = runner.run_netlist(text)
    time = np.asarray(_vec(res, "time"), dtype=float)
    nt = time.size
    zmat = np.zeros((nt, comp.size))
    for i, nd in enumerate(comp.node_names):
        zmat[:, i] = _vec(res, nd)
    for name in comp.branch_names:
        zmat[:, comp.branch_row[name]] = _vec(res, spice_name(circuit.element(name)) + "#branch")
    # ngspice writes no t = 0 row under uic: prepend the UIC initial solution (module doc)
    first: tuple[np.ndarray, np.ndarray] | None = None
    if uic and (nt == 0 or time[0] > 0.0):
        first = initial_solution(comp, NewtonOptions(), True, comp.mem_state_arrays())
        time = np.concatenate([[0.0], time])
        zmat = np.vstack([first[0][None, :], zmat])
        nt += 1
    states: dict[str, np.ndarray] = {}
    for el in comp.mem:
        lib = el.model.spice_library() or ""
        node = state_node(lib)
        inst = el.model.spice_instance(el.name, el.p, el.n, el.x0).split()[0]
        scale = float(getattr(el.model, "spice_state_scale", 1.0))
        if node is None or not getattr(el.model, "spice_has_state", True):
            states[el.name] = np.full(nt, float(el.x0))  # type: ignore[arg-type]
        else:
            x = np.asarray(_vec(res, f"{inst}.{node}"), dtype=float) * scale
            if first is not None:
                x = np.concatenate([[float(el.x0)], x])  # type: ignore[arg-type]
            states[el.name] = x
    icap = np.zeros((nt, len(comp.cap)))
    if comp.cap and nt > 1:
        for k, e in enumerate(comp.cap):
            va = zmat[:, comp.index[e.p]] if comp.index[e.p] >= 0 else np.zeros(nt)
            vb = zmat[:, comp.index[e.n]] if comp.index[e.n] >= 0 else np.zeros(nt)
            icap[:, k] = e.value * np.gradient(va - vb, time)
        if first is not None:
            icap[0] = first[1]  # the UIC solve's own capacitor currents at t = 0
    volts = {GROUND: np.zeros(nt)}
    for i, nd in enumerate(comp.node_names):
        volts[nd] = zmat[:, i]
    cur_rows: dict[str, list[float]] = {e.name: [] for e in circuit.elements}
    for k in range(nt):
        flat = {name: float(arr[k]) for name, arr in states.items()}
        cur = element_currents(
            comp,
            zmat[k],
            cap_currents=icap[k],
            t=float(time[k]),
            mem_x=flat if comp.mem else None,
        )
        for name, val in cur.items():
            cur_rows[name].append(val)
    return TransientResult(
        time=time,
        voltages=volts,
        currents={k: np.asarray(v) for k, v in cur_rows.items()},
        states=states,
        engine="ngspice",
        method="trap",
        element_nodes={e.name: (e.p, e.n) for e in circuit.elements},
    )


__all__ = ["operating_point", "transient", "OP_OPTIONS", "TRAN_OPTIONS"]
