"""Element laws shared by both engines: nonlinear companions, residuals, element currents.

Every element's current law (first node -> second node, SPICE sign) is written once here.
The Python engine stamps it into the MNA matrix (:mod:`thermolearn.circuit.mna`); the ngspice
engine evaluates the same laws on ngspice's node voltages to fill every element current and
the KCL residual, so both engines return the same
:class:`~thermolearn.circuit.results.OperatingPoint`.

Functions take a :class:`~thermolearn.circuit.mna.compile.CompiledCircuit` (index arrays of a
circuit); ``z`` is the MNA unknown vector (node voltages, then branch currents). The COO
stamp helpers and element groups the compiler builds are in :mod:`thermolearn.circuit.stamps`.

References
----------
.. [1] L. W. Nagel, "SPICE2: A computer program to simulate semiconductor circuits,"
   UCB/ERL M520 (1975) -- junction voltage limiting (pnjlim).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from thermolearn.circuit.circuit import KINDS
from thermolearn.circuit.mna.compile import CompiledCircuit
from thermolearn.circuit.stamps import NLGroup, stamp_conductance, stamp_list
from thermolearn.errors import ConvergenceError

Array = NDArray[np.float64]


def pnjlim(vnew: Array, vold: Array, vt: float, vcrit: float) -> tuple[Array, bool]:
    """SPICE junction limiting, applied symmetrically for odd devices when needed."""
    out, big = pnjlim_mask(vnew, vold, vt, vcrit)
    return out, bool(np.any(big))


def pnjlim_mask(vnew: Array, vold: Array, vt: float, vcrit: float) -> tuple[Array, Array]:
    """:func:`pnjlim` elementwise on arrays of any shape; returns (limited V, mask limited)."""
    out = vnew.copy()
    big = (vnew > vcrit) & (np.abs(vnew - vold) > 2 * vt)
    if np.any(big):
        vo = vold[big]
        vn = vnew[big]
        arg = 1.0 + (vn - vo) / vt
        lim = np.where(
            vo > 0,
            np.where(arg > 0, vo + vt * np.log(np.maximum(arg, 1e-300)), vcrit),
            vt * np.log(np.maximum(vn / vt, 1e-300)),
        )
        out[big] = lim
    return out, big


def limit_step(g: NLGroup, vnew: Array, vold: Array) -> tuple[Array, bool]:
    """Limit a Newton update of branch voltages (pnjlim for D and Y, else a 0.5 V clamp)."""
    out, mask = limit_step_mask(g, vnew, vold)
    return out, bool(np.any(mask))


def limit_step_mask(g: NLGroup, vnew: Array, vold: Array) -> tuple[Array, Array]:
    """:func:`limit_step` elementwise (any shape, e.g. samples x elements); (V, mask limited)."""
    if g.kind == "D":
        return pnjlim_mask(vnew, vold, g.vt, g.vcrit)
    if g.kind == "Y":
        s = np.sign(vnew)
        same = np.sign(vold) == s
        lim_pos, m = pnjlim_mask(np.abs(vnew), np.where(same, np.abs(vold), 0.0), g.vt, g.vcrit)
        return s * lim_pos, m
    # memristors and anything else: clamp the step
    d = np.clip(vnew - vold, -0.5, 0.5)
    out = vold + d
    return out, out != vnew


def branch_voltage(z: Array, a: NDArray[np.intp], b: NDArray[np.intp]) -> Array:
    """Branch voltages ``V(a) - V(b)`` from the unknowns ``z`` (index -1 = ground)."""
    za = np.where(a >= 0, z[np.maximum(a, 0)], 0.0)
    zb = np.where(b >= 0, z[np.maximum(b, 0)], 0.0)
    return za - zb


def node_voltage(z: Array, i: int) -> float:
    """Voltage of the node with unknown index ``i`` (ground: -1 -> 0 V)."""
    return 0.0 if i < 0 else float(z[i])


class NonlinearStamps:
    """Companion-model stamps of all nonlinear elements around a linearisation point."""

    def __init__(self, comp: CompiledCircuit) -> None:
        self.comp = comp
        self.vlast: list[Array] = []

    def groups(self) -> list[NLGroup]:
        """Nonlinear element groups: junctions (D, Y), then nonlinear memristors."""
        return self.comp.groups + self.comp.mem_nl

    def reset(self, z: Array) -> None:
        """Start limiting from the branch voltages at ``z``."""
        self.vlast = [branch_voltage(z, g.a, g.b) for g in self.groups()]

    def stamps(self, z: Array, limit: bool) -> tuple[Any, Array, bool]:
        """COO triplets of the linearised conductances and the equivalent-current RHS."""
        comp = self.comp
        rows: list[Any] = []
        cols: list[Any] = []
        data: list[Any] = []
        rhs = np.zeros(comp.size)
        limited = False
        for k, g in enumerate(self.groups()):
            v = branch_voltage(z, g.a, g.b)
            if limit:
                v, lim = limit_step(g, v, self.vlast[k])
                limited |= lim
            self.vlast[k] = v
            with np.errstate(over="ignore"):
                i = g.current(v)
                gd = g.didv(v)
            if not (np.all(np.isfinite(i)) and np.all(np.isfinite(gd))):
                raise ConvergenceError(
                    f"{KINDS[g.kind]} current overflowed during Newton iteration",
                    residual=float("inf"),
                    worst_node=None,
                )
            stamp_conductance(rows, cols, data, g.a, g.b, gd)
            ieq = i - gd * v
            m = g.a >= 0
            np.add.at(rhs, g.a[m], -ieq[m])
            m = g.b >= 0
            np.add.at(rhs, g.b[m], ieq[m])
        for e in comp.bsrc_i + comp.bsrc_v:
            fexp = comp.bexpr[e.name]
            vals = {nd: node_voltage(z, comp.index[nd]) for nd in fexp.node_set()}
            f0, grads = fexp.value_and_grad(vals)
            if e.mode == "i":
                a, b = comp.index[e.p], comp.index[e.n]
                ieq = f0 - sum(grads[nd] * vals[nd] for nd in grads)
                items = []
                for nd, gk in grads.items():
                    c = comp.index[nd]
                    items += [(a, c, gk), (b, c, -gk)]
                stamp_list(rows, cols, data, items)
                if a >= 0:
                    rhs[a] -= ieq
                if b >= 0:
                    rhs[b] += ieq
            else:
                r = comp.branch_row[e.name]
                veq = f0 - sum(grads[nd] * vals[nd] for nd in grads)
                stamp_list(rows, cols, data, [(r, comp.index[nd], -gk) for nd, gk in grads.items()])
                rhs[r] += veq
        trip = (
            (np.concatenate(rows), np.concatenate(cols), np.concatenate(data))
            if rows
            else (np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0))
        )
        return trip, rhs, limited

    def currents_into_rows(self, z: Array) -> Array:
        """Exact nonlinear contribution to each KCL / branch row at ``z`` (no limiting)."""
        comp = self.comp
        f = np.zeros(comp.size)
        for g in self.groups():
            v = branch_voltage(z, g.a, g.b)
            with np.errstate(over="ignore"):
                i = g.current(v)
            m = g.a >= 0
            np.add.at(f, g.a[m], i[m])
            m = g.b >= 0
            np.add.at(f, g.b[m], -i[m])
        for e in comp.bsrc_i + comp.bsrc_v:
            fexp = comp.bexpr[e.name]
            vals = {nd: node_voltage(z, comp.index[nd]) for nd in fexp.node_set()}
            f0 = fexp.value(vals)
            if e.mode == "i":
                a, b = comp.index[e.p], comp.index[e.n]
                if a >= 0:
                    f[a] += f0
                if b >= 0:
                    f[b] -= f0
            else:
                f[comp.branch_row[e.name]] -= f0
        return f


def residual_vector(
    comp: CompiledCircuit,
    a_lin: sp.spmatrix,
    rhs_lin: Array,
    z: Array,
    nl: NonlinearStamps | None = None,
    *,
    gmin: float = 0.0,
) -> Array:
    """F(z) = A z + f_nl(z) - b: KCL residuals (A) of node rows, constraint residuals after."""
    f = a_lin @ z - rhs_lin
    if nl is None:
        nl = NonlinearStamps(comp)
    if comp.nonlinear:
        f = f + nl.currents_into_rows(z)
    if gmin:
        f[: comp.n] += gmin * z[: comp.n]
    return np.asarray(f)


def element_currents(
    comp: CompiledCircuit,
    z: Array,
    *,
    cap_currents: Array | None = None,
    t: float | None = None,
    mem_x: dict[str, float] | None = None,
) -> dict[str, float]:
    """Return every element's current (first node -> second node) from the unknowns ``z``.

    ``mem_x`` gives memristor states by element name (default: the compiled states, i.e.
    the elements' ``x0``); the compiled circuit is not modified.
    """
    cur = element_current_array(comp, z, cap_currents=cap_currents, t=t, mem_x=mem_x)
    return dict(zip(comp.order, cur.tolist(), strict=True))


def kcl_residual(comp: CompiledCircuit, cur: Array) -> Array:
    """Net current (A) leaving each node through the two-terminal elements (KCL residual).

    ``cur`` is :func:`element_current_array` (first node -> second node); the sum at every
    node is zero at a solution. Independent of any matrix: it checks the solution against
    the element laws themselves. Only for circuits of two-terminal elements (no E/F/G/H).
    """
    n = comp.n
    ua = np.where(comp._ua < 0, n, comp._ua)
    ub = np.where(comp._ub < 0, n, comp._ub)
    out = np.bincount(ua, cur, n + 1) - np.bincount(ub, cur, n + 1)
    return np.asarray(out[:n])


def element_current_array(
    comp: CompiledCircuit,
    z: Array,
    *,
    cap_currents: Array | None = None,
    t: float | None = None,
    mem_x: dict[str, float] | None = None,
) -> Array:
    """Return :func:`element_currents` as an array in circuit element order (A)."""
    cur = np.zeros(len(comp.order))
    cur[comp.res_gpos] = branch_voltage(z, comp.res_a, comp.res_b) * comp.res_g
    for model, els, a, b in comp.mem_lin:
        x = np.array([e.x0 if mem_x is None else mem_x[e.name] for e in els])
        g = np.asarray(model.didv(0.0, x), dtype=float)
        cur[comp.gpos_of(els)] = g * branch_voltage(z, a, b)
    for grp in comp.groups:
        cur[comp.gpos_of_names(grp.kind, grp.names)] = grp.current(branch_voltage(z, grp.a, grp.b))
    for grp in comp.mem_nl:
        v = branch_voltage(z, grp.a, grp.b)
        if mem_x is None:
            i_m = grp.current(v)
        else:  # the law at the given states (the compiled group is left as it is)
            x = np.array([mem_x[nm] for nm in grp.names], dtype=float)
            i_m = np.asarray(grp.model.current(v, x), dtype=float) * np.ones_like(v)
        cur[comp.gpos_of_names(grp.kind, grp.names)] = i_m
    cur[comp.branch_gpos] = z[comp.branch_rows]
    if comp.isrc:
        cur[comp.gpos["I"]] = [e.source_value(t) for e in comp.isrc]
    for k, e in enumerate(comp.vccs):
        vc = node_voltage(z, comp.index[e.nodes[2]]) - node_voltage(z, comp.index[e.nodes[3]])
        cur[comp.gpos["G"][k]] = e.value * vc
    for k, e in enumerate(comp.cccs):
        cur[comp.gpos["F"][k]] = e.value * float(z[comp.branch_row_lower[str(e.control).lower()]])
    for e in comp.bsrc_i:
        fexp = comp.bexpr[e.name]
        cur[comp.gpos_of_names("B", [e.name])[0]] = fexp.value(
            {nd: node_voltage(z, comp.index[nd]) for nd in fexp.node_set()}
        )
    if comp.cap:
        cur[comp.gpos["C"]] = cap_currents if cap_currents is not None else 0.0
    return cur


__all__ = [
    "NonlinearStamps",
    "branch_voltage",
    "element_current_array",
    "kcl_residual",
    "element_currents",
    "limit_step",
    "limit_step_mask",
    "node_voltage",
    "pnjlim",
    "pnjlim_mask",
    "residual_vector",
]
