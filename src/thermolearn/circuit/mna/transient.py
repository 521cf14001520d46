"""Transient analysis of the Python engine.

Backward Euler or the trapezoidal rule, with a fixed step or an adaptive step controlled by a
local-truncation-error estimate; memristor states are integrated alongside (the circuit is
solved at the present state, the state is advanced with the same rule, and the circuit is
solved again).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from thermolearn.circuit.circuit import GROUND, Circuit
from thermolearn.circuit.elements import branch_voltage, element_currents
from thermolearn.circuit.mna.compile import CompiledCircuit, compiled
from thermolearn.circuit.mna.dc import NewtonOptions, solve_dc
from thermolearn.circuit.mna.guards import check_currents, check_solution
from thermolearn.circuit.mna.linear import factor
from thermolearn.circuit.results import TransientResult
from thermolearn.circuit.stamps import stamp_conductance, stamp_pair
from thermolearn.errors import ConvergenceError, ParameterError
from thermolearn.validation import check_choice, check_positive

Array = NDArray[np.float64]


# ---------------------------------------------------------------------------------------
# transient
# ---------------------------------------------------------------------------------------
def transient(
    circuit: Circuit,
    t_stop: float,
    dt: float,
    *,
    method: str = "be",
    adaptive: bool = False,
    uic: bool | None = None,
    reltol: float = 1e-3,
    vabstol: float = 1e-6,
    max_step: float | None = None,
    options: NewtonOptions | None = None,
) -> TransientResult:
    """Transient analysis with the Python engine.

    Parameters
    ----------
    circuit : Circuit
        The circuit.
    t_stop : float
        End time, s.
    dt : float
        Fixed step (and output spacing) in fixed-step mode; in adaptive mode the largest
        step is ``min(dt, t_stop / 50)`` (ngspice's default TMAX) unless ``max_step`` is
        given, s. Source breakpoints (pulse corners, PWL
        points) are added to the time grid, and a step whose Newton solve fails is cut to a
        quarter (SPICE-style) and the extra points are kept.
    method : {"be", "trap"}
        Backward Euler or trapezoidal integration of capacitors and inductors.
    adaptive : bool
        Adaptive step from a local-truncation-error estimate (predictor-corrector difference),
        landing on source breakpoints.
    uic : bool, optional
        Use initial conditions: capacitors start at their ``ic`` (0 if unset) and inductors at
        0 A, instead of the DC operating point. Default: True if the circuit has memristors or
        any capacitor ``ic`` (mirrors the ngspice engine, which runs memristor twins with uic).
    reltol, vabstol : float
        LTE tolerances (relative; absolute in V or state units) of the adaptive step.
    max_step : float, optional
        Largest adaptive step, s (default ``min(dt, t_stop / 50)``).
    options : NewtonOptions, optional
        Newton tolerances for nonlinear circuits.

    Returns
    -------
    TransientResult
    """
    check_positive(t_stop, "t_stop", "transient", "s")
    check_positive(dt, "dt", "transient", "s")
    check_choice(method, "method", "transient", ("be", "trap"))
    if dt > t_stop:
        raise ParameterError(f"The 'dt' parameter of transient must be <= t_stop; got {dt!r}.")
    opts = options or NewtonOptions()
    comp = compiled(circuit)
    if uic is None:
        uic = bool(comp.mem) or any(e.ic is not None for e in comp.cap)
    comp.check_topology(caps_conduct=uic)
    h_max = max_step if max_step is not None else (min(dt, t_stop / 50) if adaptive else dt)

    mem_states = comp.mem_state_arrays()
    try:
        return _run_transient(
            comp, opts, t_stop, dt, method, adaptive, uic, reltol, vabstol, h_max, mem_states
        )
    finally:
        comp.set_mem_states(mem_states)


def _run_transient(
    comp: CompiledCircuit,
    opts: NewtonOptions,
    t_stop: float,
    dt: float,
    method: str,
    adaptive: bool,
    uic: bool,
    reltol: float,
    vabstol: float,
    h_max: float,
    mem_states: dict[str, Array],
) -> TransientResult:
    comp.set_mem_states(mem_states)
    z, icap = initial_solution(comp, opts, uic, mem_states)

    times = [0.0]
    zs = [z.copy()]
    caps = [icap.copy()]
    xs = [_flat_states(comp, mem_states)]
    breaks = sorted(
        {
            b
            for e in comp.vsrc + comp.isrc
            if e.waveform is not None
            for b in e.waveform.breakpoints(t_stop)
        }
        | {t_stop}
    )
    t = 0.0
    h = dt * 1e-3 if adaptive else dt  # adaptive: start small, grow by LTE control
    z_prev_prev: Array | None = None
    t_prev_prev = 0.0
    static_cache: dict[Any, Any] = {}
    eps_t = 1e-12 * t_stop
    n_rejects = 0
    while t < t_stop - eps_t:
        nb = next((b for b in breaks if b > t + eps_t), t_stop)
        h_try = min(h, h_max, nb - t)
        if nb - t - h_try < 1e-3 * h_try:  # avoid a sliver before a breakpoint
            h_try = nb - t
        try:
            z_new, icap_new, x_new = _step(
                comp, opts, z, icap, mem_states, t, h_try, method, static_cache
            )
        except ConvergenceError as exc:
            # SPICE-style time-step cut: retry the step at a quarter of its length
            comp.set_mem_states(mem_states)
            if h_try <= 1e-9 * dt:
                raise ConvergenceError(
                    f"transient: Newton failed at t = {t:.6g} s even with step {h_try:.3g} s: "
                    f"{exc}",
                    residual=exc.residual,
                    worst_node=exc.worst_node,
                ) from exc
            h = h_try / 4
            continue
        check_solution(comp, z_new, f"transient at t = {t + h_try:.6g} s")
        if not adaptive:
            h = dt
        if adaptive and z_prev_prev is not None:
            h_prev = t - t_prev_prev
            pred = z + (z - z_prev_prev) * (h_try / h_prev)
            nv = comp.n
            err_v = np.abs(z_new[:nv] - pred[:nv]) / (
                vabstol + reltol * np.maximum(np.abs(z_new[:nv]), np.abs(z[:nv]))
            )
            err = float(np.max(err_v)) * 0.5 if nv else 0.0
            if err > 1.0 and h_try > 1e-9 * t_stop:
                h = h_try * max(0.2, 0.9 / math.sqrt(err))
                n_rejects += 1
                if n_rejects > 10000:
                    raise ConvergenceError("transient: time step too small", residual=err)
                continue
            h = h_try * min(2.0, max(0.3, 0.9 / math.sqrt(max(err, 1e-12))))
        t_prev_prev = t
        z_prev_prev = z
        t = t + h_try
        if abs(t - nb) <= eps_t:
            t = nb
        z, icap, mem_states = z_new, icap_new, x_new
        times.append(t)
        zs.append(z.copy())
        caps.append(icap.copy())
        xs.append(_flat_states(comp, mem_states))
    return _pack_transient(comp, np.asarray(times), zs, caps, xs, method)


def _flat_states(comp: CompiledCircuit, states: dict[str, Array]) -> dict[str, float]:
    out: dict[str, float] = {}
    for _model, els, _a, _b in comp.mem_lin:
        out.update(zip([e.name for e in els], states[els[0].name].tolist(), strict=True))
    for g in comp.mem_nl:
        out.update(zip(g.names, states[g.names[0]].tolist(), strict=True))
    return out


def _pack_transient(
    comp: CompiledCircuit,
    times: Array,
    zs: list[Array],
    caps: list[Array],
    xs: list[dict[str, float]],
    method: str,
) -> TransientResult:
    zmat = np.array(zs)
    volts = {GROUND: np.zeros(len(times))}
    for i, nd in enumerate(comp.node_names):
        volts[nd] = zmat[:, i]
    cur_rows: dict[str, list[float]] = {name: [] for name in comp.order}
    for k, z in enumerate(zs):
        cur = element_currents(comp, z, cap_currents=caps[k], t=float(times[k]), mem_x=xs[k])
        check_currents(cur, f"transient at t = {float(times[k]):.6g} s")
        for name, val in cur.items():
            cur_rows[name].append(val)
    states = {name: np.array([x[name] for x in xs]) for name in (xs[0] if xs else {})}
    return TransientResult(
        time=times,
        voltages=volts,
        currents={k: np.asarray(v) for k, v in cur_rows.items()},
        states=states,
        engine="python",
        method=method,
        element_nodes=dict(comp.element_nodes),
    )


def _cap_branch_triplets(
    comp: CompiledCircuit, start_row: int
) -> tuple[tuple[Any, Any, Any], NDArray[np.intp]]:
    """Stamps holding every capacitor at a fixed voltage via extra branch rows (uic start)."""
    k = len(comp.cap)
    rows_b = np.arange(start_row, start_row + k, dtype=np.intp)
    rows: list[Any] = []
    cols: list[Any] = []
    data: list[Any] = []
    one = np.ones(k)
    stamp_pair(rows, cols, data, comp.cap_a, rows_b, one)
    stamp_pair(rows, cols, data, comp.cap_b, rows_b, -one)
    stamp_pair(rows, cols, data, rows_b, comp.cap_a, one)
    stamp_pair(rows, cols, data, rows_b, comp.cap_b, -one)
    if not rows:
        return (np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0)), rows_b
    return (np.concatenate(rows), np.concatenate(cols), np.concatenate(data)), rows_b


def initial_solution(
    comp: CompiledCircuit, opts: NewtonOptions, uic: bool, states: dict[str, Array]
) -> tuple[Array, Array]:
    """Solution vector at t = 0 and the capacitor currents there.

    Without ``uic`` it is the DC operating point (capacitors open, no current). With ``uic``
    every capacitor is a source at its ``ic`` (0 V if unset) and every inductor carries 0 A;
    memristors sit at ``states``. The ngspice engine uses it for its t = 0 row too, because
    ngspice writes no t = 0 point under UIC.
    """
    rhs = comp.source_rhs(0.0)
    a_lin = comp.matrix(mem_x=states)
    n_cap = len(comp.cap)
    if not uic:
        z, _ = solve_dc(
            comp, a_lin, rhs, np.zeros(comp.size), opts, lambda s: comp.source_rhs(0.0, s)
        )
        return z, np.zeros(n_cap)
    # uic: capacitors are sources at ic, inductors carry 0 A
    size = comp.size + n_cap
    trip, rows_b = _cap_branch_triplets(comp, comp.size)
    base = a_lin.tocoo()
    r = np.concatenate([base.row, trip[0]])
    c = np.concatenate([base.col, trip[1]])
    d = np.concatenate([base.data, trip[2]])
    # inductor rows: replace V(a)-V(b) = 0 by i = 0
    if len(comp.ind):
        keep = ~np.isin(r, comp.ind_rows)
        r, c, d = r[keep], c[keep], d[keep]
        r = np.concatenate([r, comp.ind_rows])
        c = np.concatenate([c, comp.ind_rows])
        d = np.concatenate([d, np.ones(len(comp.ind_rows))])
    a_big = sp.csc_matrix((d, (r, c)), shape=(size, size))
    rhs_big = np.concatenate([rhs, comp.cap_ic])
    big = _Augmented(comp, size)
    z_big, _ = solve_dc(big, a_big, rhs_big, np.zeros(size), opts)  # type: ignore[arg-type]
    return z_big[: comp.size], z_big[comp.size :]


class _Augmented:
    """A view of a compiled circuit with extra branch rows (uic start)."""

    def __init__(self, comp: CompiledCircuit, size: int) -> None:
        self._comp = comp
        self.size = size

    def __getattr__(self, name: str) -> Any:
        return getattr(self._comp, name)

    def node_name(self, row: int) -> str:
        if row < self._comp.size:
            return self._comp.node_name(row)
        return f"capacitor {self._comp.cap[row - self._comp.size].name}"


def _step(
    comp: CompiledCircuit,
    opts: NewtonOptions,
    z: Array,
    icap: Array,
    states: dict[str, Array],
    t: float,
    h: float,
    method: str,
    cache: dict[Any, Any],
) -> tuple[Array, Array, dict[str, Array]]:
    """One time step t -> t + h; returns (z, capacitor currents, memristor states).

    Memristor states are integrated with the same rule as the circuit (backward Euler or
    trapezoidal), solved jointly with the circuit by fixed-point iteration: solve the circuit
    at the guessed end state, update the state from the end voltage, repeat.
    """
    if not comp.mem:
        z1, ic1 = _solve_step(comp, opts, z, icap, states, t, h, method, cache)
        return z1, ic1, states
    groups = _mem_groups(comp)
    f0 = {
        key: np.asarray(model.dxdt(branch_voltage(z, a, b), states[key]), dtype=float)
        for key, model, a, b in groups
    }
    guess = {key: model.clip(states[key] + h * f0[key]) for key, model, _a, _b in groups}
    z1, ic1 = z, icap
    for _ in range(25):
        comp.set_mem_states(guess)
        z1, ic1 = _solve_step(comp, opts, z1, icap, guess, t, h, method, cache, z_prev=z)
        new: dict[str, Array] = {}
        delta = 0.0
        for key, model, a, b in groups:
            f1 = np.asarray(model.dxdt(branch_voltage(z1, a, b), guess[key]), dtype=float)
            if method == "trap":
                xn = model.clip(states[key] + 0.5 * h * (f0[key] + f1))
            else:
                xn = model.clip(states[key] + h * f1)
            delta = max(delta, float(np.max(np.abs(xn - guess[key]) / (1.0 + np.abs(xn)))))
            new[key] = xn
        guess = new
        if delta <= 1e-10:
            comp.set_mem_states(guess)
            return z1, ic1, guess
    comp.set_mem_states(guess)
    z2, ic2 = _solve_step(comp, opts, z1, icap, guess, t, h, method, cache, z_prev=z)
    return z2, ic2, guess


def _mem_groups(comp: CompiledCircuit) -> list[tuple[str, Any, NDArray[np.intp], NDArray[np.intp]]]:
    out = [(els[0].name, model, a, b) for model, els, a, b in comp.mem_lin]
    out += [(g.names[0], g.model, g.a, g.b) for g in comp.mem_nl]
    return out


def _charge_companions(
    comp: CompiledCircuit, zp: Array, h: float, trap: bool
) -> tuple[list[tuple[Any, Any, Any]], list[tuple[Any, Array, Any]]]:
    """Add the junction/diffusion charge of imported SPICE diodes to their Newton laws.

    Trapezoidal rule (as ngspice): i = I_dc(v) + 2 (Q(v) - Q_prev)/h - i_q,prev, conductance
    g_dc + 2 C(v)/h; backward Euler with ``trap=False``: i = I_dc(v) + (Q(v) - Q_prev)/h.
    ``i_q,prev`` is the charge current at the accepted point ``zp`` (0 at the initial
    operating point). Returns what to restore after the step and what to record.
    """
    saved: list[tuple[Any, Any, Any]] = []
    pending: list[tuple[Any, Array, Any]] = []
    hist = comp.__dict__.setdefault("_charge_history", [])
    for g in comp.groups:
        dev = g.model
        if g.kind != "D" or not getattr(dev, "has_charge", False):
            continue
        q_prev, _c = dev.charge_and_capacitance(branch_voltage(zp, g.a, g.b))
        iq_prev = next((iq for z0, gg, iq in hist if z0 is zp and gg is g), None)
        if iq_prev is None or not trap:
            iq_prev = np.zeros_like(q_prev)
        k = 2.0 / h if trap else 1.0 / h
        sub = iq_prev if trap else 0.0 * iq_prev

        def cur(
            v: Array, dev: Any = dev, q_prev: Array = q_prev, sub: Array = sub, k: float = k
        ) -> Array:
            q, _ = dev.charge_and_capacitance(v)
            return np.asarray(dev.current(v) + k * (q - q_prev) - sub)

        def didv(v: Array, dev: Any = dev, k: float = k) -> Array:
            _q, c = dev.charge_and_capacitance(v)
            return np.asarray(dev.didv(v) + k * c)

        saved.append((g, g.current, g.didv))
        pending.append((g, q_prev, (k, sub)))
        g.current, g.didv = cur, didv
    return saved, pending


def _record_charge(
    comp: CompiledCircuit, znew: Array, pending: list[tuple[Any, Array, Any]]
) -> None:
    """Remember the charge current at the candidate point ``znew`` (used if it is accepted)."""
    if not pending:
        return
    hist = comp.__dict__.setdefault("_charge_history", [])
    for g, q_prev, (k, sub) in pending:
        q, _ = g.model.charge_and_capacitance(branch_voltage(znew, g.a, g.b))
        hist.append((znew, g, k * (q - q_prev) - sub))
    del hist[: max(0, len(hist) - 8 * len(pending))]


def _solve_step(
    comp: CompiledCircuit,
    opts: NewtonOptions,
    z_guess: Array,
    icap: Array,
    states: dict[str, Array],
    t: float,
    h: float,
    method: str,
    cache: dict[Any, Any],
    z_prev: Array | None = None,
) -> tuple[Array, Array]:
    zp = z_guess if z_prev is None else z_prev
    trap = method == "trap"
    gcap = (2.0 if trap else 1.0) * comp.cap_c / h
    rows: list[Any] = []
    cols: list[Any] = []
    data: list[Any] = []
    stamp_conductance(rows, cols, data, comp.cap_a, comp.cap_b, gcap)
    lfac = (2.0 if trap else 1.0) * comp.ind_l / h
    stamp_pair(rows, cols, data, comp.ind_rows, comp.ind_rows, -lfac)
    extra = (np.concatenate(rows), np.concatenate(cols), np.concatenate(data)) if rows else None
    if comp.mem_lin:
        a_lin = comp.matrix(extra=extra, mem_x=states)
    else:
        key = (h, method)
        if key not in cache:
            cache.clear()
            cache[key] = comp.matrix(extra=extra)
        a_lin = cache[key]
    rhs = comp.source_rhs(t + h)
    vcap_prev = branch_voltage(zp, comp.cap_a, comp.cap_b)
    hist = gcap * vcap_prev + (icap if trap else 0.0)
    m = comp.cap_a >= 0
    np.add.at(rhs, comp.cap_a[m], hist[m])
    m = comp.cap_b >= 0
    np.add.at(rhs, comp.cap_b[m], -hist[m])
    if len(comp.ind):
        i_prev = zp[comp.ind_rows]
        rhs[comp.ind_rows] = -lfac * i_prev
        if trap:
            rhs[comp.ind_rows] -= branch_voltage(zp, comp.ind_a, comp.ind_b)
    if comp.nonlinear:
        restore, pending = _charge_companions(comp, zp, h, trap)
        try:
            znew, _ = solve_dc(comp, a_lin, rhs, z_guess, opts)
        finally:
            for g, cur, didv in restore:
                g.current, g.didv = cur, didv
        _record_charge(comp, znew, pending)
    else:
        lu = cache.get(("lu", id(a_lin)))
        if lu is None or comp.mem_lin:
            lu = factor(a_lin, comp)
            if not comp.mem_lin:
                cache[("lu", id(a_lin))] = lu
        znew = lu.solve(rhs)
    vcap = branch_voltage(znew, comp.cap_a, comp.cap_b)
    icap_new = gcap * (vcap - vcap_prev) - (icap if trap else 0.0)
    return znew, icap_new


__all__ = ["transient"]
