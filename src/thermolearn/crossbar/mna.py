"""The Python circuit engine: modified nodal analysis on scipy.sparse.

Unknowns are the non-ground node voltages followed by the branch currents of elements that
fix a voltage (V, L, E, H and ``V=`` B sources). Linear stamps are assembled vectorised from
COO index arrays, so a 128x128 crossbar with ~50k elements assembles in milliseconds and the
sparse LU (SuperLU through :func:`scipy.sparse.linalg.splu`) dominates.

* Linear circuits are solved directly.
* Nonlinear circuits (diodes, selectors, nonlinear memristors, B sources) use Newton-Raphson
  on the companion (linearised) network with SPICE-style junction limiting; if plain Newton
  fails, gmin stepping and then source stepping are tried; if all fail a
  :class:`~thermolearn.errors.ConvergenceError` reports the last KCL residual and worst node.
* Transients use backward Euler or the trapezoidal rule, with a fixed step or an adaptive step
  controlled by a local-truncation-error estimate; memristor states are integrated alongside
  (the circuit is solved at the present state, the state is advanced with the device's own
  ``step`` at the mid-step voltage, and the circuit is solved again).
* :class:`LinearSolver` factors a linear circuit once and solves many source vectors.

In DC a memristor is a (possibly nonlinear) resistor at its present state.

References
----------
.. [1] C.-W. Ho, A. Ruehli, P. Brennan, "The modified nodal approach to network analysis,"
   IEEE Trans. Circuits Syst. 22(6), 504-509 (1975).
.. [2] L. W. Nagel, "SPICE2: A computer program to simulate semiconductor circuits,"
   UCB/ERL M520 (1975) -- junction voltage limiting (pnjlim), gmin and source stepping.
.. [3] B. D. H. Tellegen, "A general network theorem, with applications," Philips Res. Rep. 7,
   259-269 (1952).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import ArrayLike, NDArray

from thermolearn.crossbar.circuit import GROUND, KINDS, Circuit, Element
from thermolearn.errors import ConvergenceError, NetlistError, ParameterError
from thermolearn.validation import check_choice, check_positive

Array = NDArray[np.float64]
_K_B = 1.380649e-23
_Q_E = 1.602176634e-19


# ---------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------
@dataclass
class OperatingPoint:
    """A DC operating point.

    Attributes
    ----------
    voltages : dict of str to float
        Node voltages, V (ground ``"0"`` included).
    currents : dict of str to float
        Every element's current from its first node to its second, A (voltage sources: the
        SPICE branch current).
    states : dict of str to float
        Memristor states used.
    engine : str
        ``"python"`` or ``"ngspice"``.
    iterations : int
        Newton iterations (0 for a direct linear solve; -1 if unknown).
    residual : float
        Largest KCL residual over the nodes, A (NaN when not computed).
    """

    voltages: dict[str, float]
    currents: dict[str, float]
    states: dict[str, float] = field(default_factory=dict)
    engine: str = "python"
    iterations: int = 0
    residual: float = float("nan")

    def v(self, node: str) -> float:
        """Voltage of ``node`` (V)."""
        if node.lower() in ("0", "gnd"):
            return 0.0
        try:
            return self.voltages[node]
        except KeyError:
            raise ParameterError(f"The operating point has no node {node!r}.") from None

    def i(self, name: str) -> float:
        """Return the current of element ``name`` (A, first node -> second node)."""
        try:
            return self.currents[name]
        except KeyError:
            raise ParameterError(f"The operating point has no element {name!r}.") from None

    def element_power(self, circuit: Circuit) -> dict[str, float]:
        """Return the power absorbed by each element, ``(V(p) - V(n)) I`` in W.

        Sources come out negative when they deliver power.
        """
        out = {}
        for el in circuit.elements:
            out[el.name] = (self.v(el.p) - self.v(el.n)) * self.currents[el.name]
        return out


@dataclass
class TransientResult:
    """A transient analysis.

    Attributes
    ----------
    time : ndarray
        Time points, s.
    voltages : dict of str to ndarray
        Node voltage waveforms, V.
    currents : dict of str to ndarray
        Element current waveforms (first node -> second node), A.
    states : dict of str to ndarray
        Memristor state waveforms.
    engine : str
        ``"python"`` or ``"ngspice"``.
    """

    time: Array
    voltages: dict[str, Array]
    currents: dict[str, Array]
    states: dict[str, Array] = field(default_factory=dict)
    engine: str = "python"
    method: str = "be"
    element_nodes: dict[str, tuple[str, str]] = field(default_factory=dict)

    def element_energy(self) -> dict[str, float]:
        """Energy absorbed by each element over the run, J (trapezoidal integral of V I dt).

        Sources come out negative when they deliver energy; the sum over all elements is the
        energy stored in capacitors and inductors at the end minus at the start, and is 0 for
        a resistive circuit (Tellegen's theorem). Source: ``"simulated"``.
        """
        out = {}
        for name, (p, n) in self.element_nodes.items():
            pw = (self.v(p) - self.v(n)) * self.currents[name]
            out[name] = float(np.sum(0.5 * (pw[1:] + pw[:-1]) * np.diff(self.time)))
        return out

    def v(self, node: str) -> Array:
        """Voltage waveform of ``node`` (V)."""
        if node.lower() in ("0", "gnd"):
            return np.zeros_like(self.time)
        return self.voltages[node]

    def i(self, name: str) -> Array:
        """Return the current waveform of element ``name`` (A)."""
        return self.currents[name]


# ---------------------------------------------------------------------------------------
# compilation of a circuit into index arrays
# ---------------------------------------------------------------------------------------
@dataclass
class _NLGroup:
    """Nonlinear two-terminal elements sharing one model: i = f(V(a) - V(b))."""

    kind: str
    names: list[str]
    a: NDArray[np.intp]
    b: NDArray[np.intp]
    current: Callable[[Array], Array]
    didv: Callable[[Array], Array]
    vt: float  # exponential voltage scale for limiting (0: plain clamp)
    vcrit: float
    model: Any = None
    x: Array | None = None  # memristor states


class _Compiled:
    """A circuit turned into index arrays (built once per circuit version)."""

    def __init__(self, circuit: Circuit) -> None:
        circuit.validate()
        self.circuit = circuit
        self.index: dict[str, int] = dict(circuit._node_id)
        nodes = list(self.index)[1:]  # ground (-1) comes first
        self.node_names = nodes
        self.n = len(nodes)
        idx = self.index
        self.order = list(circuit._order)
        self.kind_pos = dict(circuit._kind_pos)

        by_kind: dict[str, list[Element]] = {k: list(v) for k, v in circuit._kind_elems.items()}
        self.by_kind = by_kind
        self.kind_ab = {
            k: (
                np.array(circuit._kind_a[k], dtype=np.intp),
                np.array(circuit._kind_b[k], dtype=np.intp),
            )
            for k in KINDS
        }
        self.gpos = {k: np.array(circuit._kind_gpos[k], dtype=np.intp) for k in KINDS}

        def ab(els: Sequence[Element]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
            a = np.fromiter((idx[e.nodes[0]] for e in els), dtype=np.intp, count=len(els))
            b = np.fromiter((idx[e.nodes[1]] for e in els), dtype=np.intp, count=len(els))
            return a, b

        def vals(els: Sequence[Element]) -> Array:
            return np.fromiter((e.value for e in els), dtype=float, count=len(els))

        # branch unknowns: V, L, E, H, B(v)
        self.vsrc = by_kind["V"]
        self.ind = by_kind["L"]
        self.vcvs = by_kind["E"]
        self.ccvs = by_kind["H"]
        self.bsrc_v = [e for e in by_kind["B"] if e.mode == "v"]
        self.bsrc_i = [e for e in by_kind["B"] if e.mode == "i"]
        branch_els = self.vsrc + self.ind + self.vcvs + self.ccvs + self.bsrc_v
        self.branch_names = [e.name for e in branch_els]
        self.branch_row = {e.name: self.n + k for k, e in enumerate(branch_els)}
        self.branch_row_lower = {e.name.lower(): self.n + k for k, e in enumerate(branch_els)}
        self.m = len(branch_els)
        self.size = self.n + self.m

        # conductances: R and switches (+ linear memristors, below)
        res = by_kind["R"] + by_kind["S"]
        self.res_a = np.concatenate([self.kind_ab["R"][0], self.kind_ab["S"][0]])
        self.res_b = np.concatenate([self.kind_ab["R"][1], self.kind_ab["S"][1]])
        self.res_gpos = np.concatenate([self.gpos["R"], self.gpos["S"]])
        self.res_g = 1.0 / vals(res)
        self.branch_gpos = np.array(
            [circuit._kind_gpos[e.kind][self.kind_pos[e.name][1]] for e in branch_els],
            dtype=np.intp,
        )
        self.branch_rows = np.arange(self.n, self.n + self.m, dtype=np.intp)

        self.cap = by_kind["C"]
        self.cap_a, self.cap_b = self.kind_ab["C"]
        self.cap_c = vals(self.cap)
        self.cap_ic = np.array([0.0 if e.ic is None else e.ic for e in self.cap], dtype=float)

        self.vs_a, self.vs_b = ab(self.vsrc)
        self.vs_rows = np.arange(self.n, self.n + len(self.vsrc), dtype=np.intp)
        self.ind_a, self.ind_b = ab(self.ind)
        self.ind_rows = np.array([self.branch_row[e.name] for e in self.ind], dtype=np.intp)
        self.ind_l = vals(self.ind)

        self.isrc = by_kind["I"]
        self.is_a, self.is_b = ab(self.isrc)
        self.vccs = by_kind["G"]
        self.cccs = by_kind["F"]

        # nonlinear groups and memristors
        self.groups: list[_NLGroup] = []
        self._build_diodes(by_kind["D"])
        self._build_selectors(by_kind["Y"])
        self.mem = by_kind["M"]
        self.mem_lin: list[tuple[Any, list[Element], NDArray[np.intp], NDArray[np.intp]]] = []
        self.mem_nl: list[_NLGroup] = []
        self._build_memristors(self.mem)
        self.bexpr: dict[str, Any] = {}
        if by_kind["B"]:
            from thermolearn.crossbar.netlist import compile_expression

            for e in by_kind["B"]:
                self.bexpr[e.name] = compile_expression(e.expr or "0", {})
        self.nonlinear = bool(self.groups or self.mem_nl or self.bsrc_i or self.bsrc_v)

    # -- element groups ----------------------------------------------------------------
    def _build_diodes(self, diodes: list[Element]) -> None:
        if not diodes:
            return
        from thermolearn.devices import Diode

        groups: dict[Any, list[Element]] = {}
        for e in diodes:
            groups.setdefault(e.model, []).append(e)
        for params, els in groups.items():
            dev = Diode(params)
            a = np.array([self.index[e.p] for e in els], dtype=np.intp)
            b = np.array([self.index[e.n] for e in els], dtype=np.intp)
            vt = params.n * _K_B * params.temperature / _Q_E
            vcrit = vt * math.log(vt / (math.sqrt(2.0) * params.i_s))
            self.groups.append(
                _NLGroup("D", [e.name for e in els], a, b, dev.current, dev.didv, vt, vcrit, dev)
            )

    def _build_selectors(self, sels: list[Element]) -> None:
        groups: dict[Any, list[Element]] = {}
        for e in sels:
            groups.setdefault(e.model, []).append(e)
        for params, els in groups.items():
            a = np.array([self.index[e.p] for e in els], dtype=np.intp)
            b = np.array([self.index[e.n] for e in els], dtype=np.intp)
            vt = params.v0
            vcrit = vt * math.log(vt / (math.sqrt(2.0) * params.i0 / 2))
            self.groups.append(
                _NLGroup(
                    "Y", [e.name for e in els], a, b, params.current, params.didv, vt, vcrit, params
                )
            )

    def _build_memristors(self, mems: list[Element]) -> None:
        groups: dict[int, list[Element]] = {}
        models: dict[int, Any] = {}
        for e in mems:
            groups.setdefault(id(e.model), []).append(e)
            models[id(e.model)] = e.model
        probe = np.array([-1.0, -0.3, 0.05, 0.2, 0.7, 1.3])
        for key, els in groups.items():
            model = models[key]
            a = np.array([self.index[e.p] for e in els], dtype=np.intp)
            b = np.array([self.index[e.n] for e in els], dtype=np.intp)
            x = np.array([e.x0 for e in els], dtype=float)
            if _is_linear_iv(model, x, probe):
                self.mem_lin.append((model, els, a, b))
            else:
                self.mem_nl.append(
                    _NLGroup(
                        "M",
                        [e.name for e in els],
                        a,
                        b,
                        _bind_x(model.current, x),
                        _bind_x(model.didv, x),
                        0.0,
                        0.0,
                        model,
                        x,
                    )
                )

    def set_mem_states(self, states: dict[str, Array]) -> None:
        """Install memristor states (arrays per group, keyed by first element name)."""
        for g in self.mem_nl:
            x = states[g.names[0]]
            g.x = x
            g.current = _bind_x(g.model.current, x)
            g.didv = _bind_x(g.model.didv, x)

    def mem_state_arrays(self, x_by_name: dict[str, float] | None = None) -> dict[str, Array]:
        """Return the current states per group: {first name: array}."""
        out: dict[str, Array] = {}
        for model, els, _a, _b in self.mem_lin:
            del model
            out[els[0].name] = np.array(
                [e.x0 if x_by_name is None else x_by_name[e.name] for e in els], dtype=float
            )
        for g in self.mem_nl:
            out[g.names[0]] = (
                np.array([x_by_name[nm] for nm in g.names]) if x_by_name else np.asarray(g.x)
            )
        return out

    # -- assembly ----------------------------------------------------------------------
    def linear_coo(
        self, *, mem_x: dict[str, Array] | None = None, dc: bool = True
    ) -> tuple[NDArray[np.intp], NDArray[np.intp], Array]:
        """COO triplets of the linear part (R, S, linear memristors, sources, E-H)."""
        del dc
        r0, c0, d0 = self.static_coo()
        if not self.mem_lin:
            return r0, c0, d0
        rows: list[Any] = [r0]
        cols: list[Any] = [c0]
        data: list[Any] = [d0]
        for model, els, a, b in self.mem_lin:
            x = np.array([e.x0 for e in els]) if mem_x is None else mem_x[els[0].name]
            g = np.asarray(model.didv(0.0, x), dtype=float) * np.ones(len(els))
            _stamp_g(rows, cols, data, a, b, g)
        return np.concatenate(rows), np.concatenate(cols), np.concatenate(data)

    def static_coo(self) -> tuple[NDArray[np.intp], NDArray[np.intp], Array]:
        """COO triplets of the state-independent linear stamps (cached)."""
        cached = self.__dict__.get("_static")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        rows: list[NDArray[np.intp]] = []
        cols: list[NDArray[np.intp]] = []
        data: list[Array] = []
        _stamp_g(rows, cols, data, self.res_a, self.res_b, self.res_g)
        # branch KCL and branch equations V(a) - V(b) = ... for V, L, E, H, B(v)
        for els in (self.vsrc, self.ind, self.vcvs, self.ccvs, self.bsrc_v):
            if not els:
                continue
            a = np.fromiter((self.index[e.p] for e in els), dtype=np.intp, count=len(els))
            b = np.fromiter((self.index[e.n] for e in els), dtype=np.intp, count=len(els))
            r = np.array([self.branch_row[e.name] for e in els], dtype=np.intp)
            one = np.ones(len(els))
            _stamp_pair(rows, cols, data, a, r, one)
            _stamp_pair(rows, cols, data, b, r, -one)
            _stamp_pair(rows, cols, data, r, a, one)
            _stamp_pair(rows, cols, data, r, b, -one)
        for e in self.vcvs:
            br = self.branch_row[e.name]
            c1, c2 = self.index[e.nodes[2]], self.index[e.nodes[3]]
            _stamp_list(rows, cols, data, [(br, c1, -e.value), (br, c2, e.value)])
        for e in self.ccvs:
            br = self.branch_row[e.name]
            rc = self.branch_row_lower[str(e.control).lower()]
            _stamp_list(rows, cols, data, [(br, rc, -e.value)])
        for e in self.cccs:
            ia, ib = self.index[e.p], self.index[e.n]
            rc = self.branch_row_lower[str(e.control).lower()]
            _stamp_list(rows, cols, data, [(ia, rc, e.value), (ib, rc, -e.value)])
        for e in self.vccs:
            ia, ib = self.index[e.p], self.index[e.n]
            c1, c2 = self.index[e.nodes[2]], self.index[e.nodes[3]]
            _stamp_list(
                rows,
                cols,
                data,
                [(ia, c1, e.value), (ia, c2, -e.value), (ib, c1, -e.value), (ib, c2, e.value)],
            )
        if not rows:
            out = (np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0))
        else:
            out = (np.concatenate(rows), np.concatenate(cols), np.concatenate(data))
        self.__dict__["_static"] = out
        return out

    def source_rhs(self, t: float | None, scale: float = 1.0) -> Array:
        """Right-hand side from independent sources at time ``t`` (None: DC values)."""
        rhs = np.zeros(self.size)
        if self.vsrc:
            vv = np.fromiter((e.source_value(t) for e in self.vsrc), float, len(self.vsrc))
            rhs[self.vs_rows] = vv * scale
        if self.isrc:
            iv = np.fromiter((e.source_value(t) for e in self.isrc), float, len(self.isrc)) * scale
            m = self.is_a >= 0
            np.add.at(rhs, self.is_a[m], -iv[m])
            m = self.is_b >= 0
            np.add.at(rhs, self.is_b[m], iv[m])
        return rhs

    def matrix(self, extra: tuple[Any, Any, Any] | None = None, **kw: Any) -> sp.csc_matrix:
        """Return the linear MNA matrix (CSC), plus optional extra COO triplets."""
        r, c, d = self.linear_coo(**kw)
        if extra is not None:
            r = np.concatenate([r, extra[0]])
            c = np.concatenate([c, extra[1]])
            d = np.concatenate([d, extra[2]])
        return sp.csc_matrix((d, (r, c)), shape=(self.size, self.size))

    # -- connectivity ------------------------------------------------------------------
    def check_topology(self, *, caps_conduct: bool = False) -> None:
        """Raise NetlistError naming a node with no DC path to ground or a V-source loop."""
        from scipy.sparse.csgraph import connected_components

        if self.__dict__.get(f"_topology_ok_{caps_conduct}"):
            return
        ea: list[NDArray[np.intp]] = []
        eb: list[NDArray[np.intp]] = []
        kinds = "RSLVEHDYMB" + ("C" if caps_conduct else "")
        for k in kinds:
            if not self.by_kind[k]:
                continue
            a, b = self.kind_ab[k]
            ea.append(a)
            eb.append(b)
        n = self.n + 1  # index n stands for ground
        if ea:
            a = np.concatenate(ea)
            b = np.concatenate(eb)
            a = np.where(a < 0, self.n, a)
            b = np.where(b < 0, self.n, b)
        else:
            a = b = np.zeros(0, np.intp)
        adj = sp.coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
        _, labels = connected_components(adj, directed=False)
        bad = np.flatnonzero(labels[: self.n] != labels[self.n])
        if bad.size:
            names = [self.node_names[i] for i in bad[:5]]
            raise NetlistError(
                f"node {names[0]!r} has no DC path to ground (floating node"
                + (f"; also {', '.join(map(repr, names[1:]))}" if len(names) > 1 else "")
                + f"{' ...' if bad.size > 5 else ''}); connect it through a resistor or source."
            )
        # loops of zero-impedance branches (V, E, H, L, B=v)
        parent = list(range(n))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for e in self.vsrc + self.ind + self.vcvs + self.ccvs + self.bsrc_v:
            i, j = self.index[e.p], self.index[e.n]
            i = self.n if i < 0 else i
            j = self.n if j < 0 else j
            ri, rj = find(i), find(j)
            if ri == rj:
                node = e.p if e.p != GROUND else e.n
                raise NetlistError(
                    f"{KINDS[e.kind]} {e.name!r} closes a loop of voltage sources/inductors "
                    f"at node {node!r}; the MNA matrix is singular."
                )
            parent[ri] = rj
        self.__dict__[f"_topology_ok_{caps_conduct}"] = True

    def gpos_of_names(self, kind: str, names: Sequence[str]) -> NDArray[np.intp]:
        """Positions (in circuit order) of the named elements of one kind."""
        key = (kind, tuple(names))
        cache = self.__dict__.setdefault("_gpos_cache", {})
        if key not in cache:
            kp = self.kind_pos
            gp = self.gpos[kind]
            cache[key] = gp[np.array([kp[n][1] for n in names], dtype=np.intp)]
        out: NDArray[np.intp] = cache[key]
        return out

    def gpos_of(self, els: Sequence[Element]) -> NDArray[np.intp]:
        """Positions (in circuit order) of elements of one kind."""
        return self.gpos_of_names(els[0].kind, [e.name for e in els])

    def node_name(self, row: int) -> str:
        """Name of the node (or branch) of an unknown's row."""
        if row < self.n:
            return str(self.node_names[row])
        return f"branch current of {self.branch_names[row - self.n]}"


def _bind_x(fn: Callable[..., Any], x: Array) -> Callable[[Array], Array]:
    def f(v: Array) -> Array:
        return np.asarray(fn(v, x), dtype=float) * np.ones_like(v)

    return f


def _is_linear_iv(model: Any, x: Array, probe: Array) -> bool:
    """Return True if ``model.current(v, x)`` is linear in v at these states."""
    xs = np.unique(x)[:8]
    vv = probe[:, None] * np.ones((1, xs.size))
    try:
        i = np.asarray(model.current(vv, xs[None, :]), dtype=float)
        g = np.asarray(model.didv(0.0, xs), dtype=float)
    except Exception:  # noqa: BLE001 - a model that cannot broadcast is treated as nonlinear
        return False
    ref = g[None, :] * vv
    return bool(np.all(np.abs(i - ref) <= 1e-9 * np.abs(ref) + 1e-30))


def _stamp_g(
    rows: list[Any],
    cols: list[Any],
    data: list[Any],
    a: NDArray[np.intp],
    b: NDArray[np.intp],
    g: Array,
) -> None:
    """Vectorised conductance stamps between a and b (index -1 = ground)."""
    if len(a) == 0:
        return
    g = np.broadcast_to(np.asarray(g, dtype=float), a.shape)
    _stamp_pair(rows, cols, data, a, a, g)
    _stamp_pair(rows, cols, data, b, b, g)
    _stamp_pair(rows, cols, data, a, b, -g)
    _stamp_pair(rows, cols, data, b, a, -g)


def _stamp_pair(
    rows: list[Any],
    cols: list[Any],
    data: list[Any],
    r: NDArray[np.intp],
    c: NDArray[np.intp],
    v: Array,
) -> None:
    m = (r >= 0) & (c >= 0)
    rows.append(r[m])
    cols.append(c[m])
    data.append(np.asarray(v, dtype=float)[m])


def _stamp_list(
    rows: list[Any], cols: list[Any], data: list[Any], items: list[tuple[int, int, float]]
) -> None:
    for r, c, v in items:
        if r >= 0 and c >= 0:
            rows.append(np.array([r], dtype=np.intp))
            cols.append(np.array([c], dtype=np.intp))
            data.append(np.array([v], dtype=float))


def compiled(circuit: Circuit) -> _Compiled:
    """Return the cached compiled form of ``circuit`` (rebuilt when it changes)."""
    key = f"compiled:{circuit._version}"
    comp = circuit._cache.get(key)
    if comp is None:
        comp = _Compiled(circuit)
        circuit._cache.clear()
        circuit._cache[key] = comp
    return comp


def _factor(a: sp.csc_matrix, comp: _Compiled, **options: Any) -> Any:
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


# ---------------------------------------------------------------------------------------
# nonlinear evaluation
# ---------------------------------------------------------------------------------------
def _pnjlim(vnew: Array, vold: Array, vt: float, vcrit: float) -> tuple[Array, bool]:
    """SPICE junction limiting, applied symmetrically for odd devices when needed."""
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
    return out, bool(np.any(big))


def _limit(g: _NLGroup, vnew: Array, vold: Array) -> tuple[Array, bool]:
    if g.kind == "D":
        return _pnjlim(vnew, vold, g.vt, g.vcrit)
    if g.kind == "Y":
        s = np.sign(vnew)
        same = np.sign(vold) == s
        lim_pos, f1 = _pnjlim(np.abs(vnew), np.where(same, np.abs(vold), 0.0), g.vt, g.vcrit)
        return s * lim_pos, f1
    # memristors and anything else: clamp the step
    d = np.clip(vnew - vold, -0.5, 0.5)
    out = vold + d
    return out, bool(np.any(out != vnew))


def _branch_v(z: Array, a: NDArray[np.intp], b: NDArray[np.intp]) -> Array:
    za = np.where(a >= 0, z[np.maximum(a, 0)], 0.0)
    zb = np.where(b >= 0, z[np.maximum(b, 0)], 0.0)
    return za - zb


def _node_v(z: Array, i: int) -> float:
    return 0.0 if i < 0 else float(z[i])


class _Nonlinear:
    """Companion-model stamps of all nonlinear elements around a linearisation point."""

    def __init__(self, comp: _Compiled) -> None:
        self.comp = comp
        self.vlast: list[Array] = []

    def groups(self) -> list[_NLGroup]:
        return self.comp.groups + self.comp.mem_nl

    def reset(self, z: Array) -> None:
        self.vlast = [_branch_v(z, g.a, g.b) for g in self.groups()]

    def stamps(self, z: Array, limit: bool) -> tuple[Any, Array, bool]:
        """COO triplets of the linearised conductances and the equivalent-current RHS."""
        comp = self.comp
        rows: list[Any] = []
        cols: list[Any] = []
        data: list[Any] = []
        rhs = np.zeros(comp.size)
        limited = False
        for k, g in enumerate(self.groups()):
            v = _branch_v(z, g.a, g.b)
            if limit:
                v, lim = _limit(g, v, self.vlast[k])
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
            _stamp_g(rows, cols, data, g.a, g.b, gd)
            ieq = i - gd * v
            m = g.a >= 0
            np.add.at(rhs, g.a[m], -ieq[m])
            m = g.b >= 0
            np.add.at(rhs, g.b[m], ieq[m])
        for e in comp.bsrc_i + comp.bsrc_v:
            fexp = comp.bexpr[e.name]
            vals = {nd: _node_v(z, comp.index[nd]) for nd in fexp.node_set()}
            f0, grads = fexp.value_and_grad(vals)
            if e.mode == "i":
                a, b = comp.index[e.p], comp.index[e.n]
                ieq = f0 - sum(grads[nd] * vals[nd] for nd in grads)
                items = []
                for nd, gk in grads.items():
                    c = comp.index[nd]
                    items += [(a, c, gk), (b, c, -gk)]
                _stamp_list(rows, cols, data, items)
                if a >= 0:
                    rhs[a] -= ieq
                if b >= 0:
                    rhs[b] += ieq
            else:
                r = comp.branch_row[e.name]
                veq = f0 - sum(grads[nd] * vals[nd] for nd in grads)
                _stamp_list(
                    rows, cols, data, [(r, comp.index[nd], -gk) for nd, gk in grads.items()]
                )
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
            v = _branch_v(z, g.a, g.b)
            with np.errstate(over="ignore"):
                i = g.current(v)
            m = g.a >= 0
            np.add.at(f, g.a[m], i[m])
            m = g.b >= 0
            np.add.at(f, g.b[m], -i[m])
        for e in comp.bsrc_i + comp.bsrc_v:
            fexp = comp.bexpr[e.name]
            vals = {nd: _node_v(z, comp.index[nd]) for nd in fexp.node_set()}
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


def _newton(
    comp: _Compiled,
    a_lin: sp.csc_matrix,
    rhs_lin: Array,
    z0: Array,
    opts: NewtonOptions,
    *,
    gmin: float = 0.0,
) -> tuple[Array, int, Array]:
    """Damped Newton on the companion network; returns (z, iterations, residual vector)."""
    nl = _Nonlinear(comp)
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
            lu = _factor(jac.tocsc(), comp)
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
    last_res = residual_vector(comp, a_lin, rhs_lin, z, nl, gmin=gmin)
    worst = int(np.nanargmax(np.abs(last_res[: comp.n]))) if comp.n else 0
    raise ConvergenceError(
        f"Newton did not converge in {opts.max_iter} iterations; last KCL residual "
        f"{float(np.nanmax(np.abs(last_res[: comp.n]))):.3e} A at node "
        f"{comp.node_name(worst)!r}.",
        residual=float(np.nanmax(np.abs(last_res[: comp.n]))) if comp.n else float("nan"),
        worst_node=comp.node_name(worst),
    )


def residual_vector(
    comp: _Compiled,
    a_lin: sp.spmatrix,
    rhs_lin: Array,
    z: Array,
    nl: _Nonlinear | None = None,
    *,
    gmin: float = 0.0,
) -> Array:
    """F(z) = A z + f_nl(z) - b: KCL residuals (A) of node rows, constraint residuals after."""
    f = a_lin @ z - rhs_lin
    if nl is None:
        nl = _Nonlinear(comp)
    if comp.nonlinear:
        f = f + nl.currents_into_rows(z)
    if gmin:
        f[: comp.n] += gmin * z[: comp.n]
    return np.asarray(f)


def _bsource_guess(comp: _Compiled, z0: Array) -> Array:
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
            val = fexp.value({nd: _node_v(z, comp.index[nd]) for nd in fexp.node_set()})
            if math.isfinite(val):
                z[ia] = val
    return z


def _solve_dc(
    comp: _Compiled,
    a_lin: sp.csc_matrix,
    rhs: Array,
    z0: Array,
    opts: NewtonOptions,
    rhs_of_scale: Callable[[float], Array] | None = None,
) -> tuple[Array, int]:
    """Linear solve, or Newton with gmin stepping and source stepping fallbacks."""
    if not comp.nonlinear:
        lu = _factor(a_lin, comp)
        return lu.solve(rhs), 0
    z0 = _bsource_guess(comp, z0)
    try:
        z, it, _ = _newton(comp, a_lin, rhs, z0, opts)
        return z, it
    except ConvergenceError as exc:
        first = exc
    err = first
    total = 0
    # gmin stepping
    try:
        z = z0.copy()
        for gmin in [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 0.0]:
            z, it, _ = _newton(comp, a_lin, rhs, z, opts, gmin=gmin)
            total += it
        return z, total
    except ConvergenceError as exc:
        err = exc
    # source stepping
    if rhs_of_scale is not None:
        try:
            z = np.zeros_like(z0)
            for s in np.linspace(0.05, 1.0, 20):
                z, it, _ = _newton(comp, a_lin, rhs_of_scale(float(s)), z, opts)
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
# currents of every element
# ---------------------------------------------------------------------------------------
def element_currents(
    comp: _Compiled,
    z: Array,
    *,
    cap_currents: Array | None = None,
    t: float | None = None,
    mem_x: dict[str, float] | None = None,
) -> dict[str, float]:
    """Return every element's current (first node -> second node) from the unknowns ``z``.

    ``mem_x`` overrides memristor states (default: the elements' ``x0``).
    """
    cur = np.zeros(len(comp.order))
    cur[comp.res_gpos] = _branch_v(z, comp.res_a, comp.res_b) * comp.res_g
    for model, els, a, b in comp.mem_lin:
        x = np.array([e.x0 if mem_x is None else mem_x[e.name] for e in els])
        g = np.asarray(model.didv(0.0, x), dtype=float)
        cur[comp.gpos_of(els)] = g * _branch_v(z, a, b)
    for grp in comp.groups + comp.mem_nl:
        cur[comp.gpos_of_names(grp.kind, grp.names)] = grp.current(_branch_v(z, grp.a, grp.b))
    cur[comp.branch_gpos] = z[comp.branch_rows]
    if comp.isrc:
        cur[comp.gpos["I"]] = [e.source_value(t) for e in comp.isrc]
    for k, e in enumerate(comp.vccs):
        vc = _node_v(z, comp.index[e.nodes[2]]) - _node_v(z, comp.index[e.nodes[3]])
        cur[comp.gpos["G"][k]] = e.value * vc
    for k, e in enumerate(comp.cccs):
        cur[comp.gpos["F"][k]] = e.value * float(z[comp.branch_row_lower[str(e.control).lower()]])
    for e in comp.bsrc_i:
        fexp = comp.bexpr[e.name]
        cur[comp.gpos_of_names("B", [e.name])[0]] = fexp.value(
            {nd: _node_v(z, comp.index[nd]) for nd in fexp.node_set()}
        )
    if comp.cap:
        cur[comp.gpos["C"]] = cap_currents if cap_currents is not None else 0.0
    return dict(zip(comp.order, cur.tolist(), strict=True))


def _voltages(comp: _Compiled, z: Array) -> dict[str, float]:
    out = {GROUND: 0.0}
    out.update(zip(comp.node_names, z[: comp.n].tolist(), strict=True))
    return out


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
    a_lin = comp.matrix()
    rhs = comp.source_rhs(None)
    z0 = np.zeros(comp.size)
    if initial:
        for nd, val in initial.items():
            i = comp.index.get(nd, -1)
            if i >= 0:
                z0[i] = val
    z, iters = _solve_dc(comp, a_lin, rhs, z0, opts, lambda s: comp.source_rhs(None, s))
    res = residual_vector(comp, a_lin, rhs, z)
    return OperatingPoint(
        voltages=_voltages(comp, z),
        currents=element_currents(comp, z),
        states={e.name: float(e.x0) for e in comp.mem},  # type: ignore[arg-type]
        engine="python",
        iterations=iters,
        residual=float(np.max(np.abs(res[: comp.n]))) if comp.n else 0.0,
    )


# ---------------------------------------------------------------------------------------
# batched linear solves
# ---------------------------------------------------------------------------------------
#: Right-hand sides per SuperLU solve call: scipy's SuperLU is fastest per column for small
#: blocks (measured: 4 columns ~2x faster per column than 1 or 16 on a 256x256 crossbar).
_BLOCK = 4

#: Most "terminal" unknowns (varied sources, V-source branches and the nodes they touch) that
#: :class:`LinearSolver` orders last in its factorisation; also the largest trailing block it
#: densifies for a transfer matrix (above, it falls back to one LU solve per source).
_TERMINAL_LIMIT = 2048


def _terminal_unknowns(comp: _Compiled, a: sp.csc_matrix, source_map: sp.csc_matrix) -> Any:
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


def _factor_terminals_last(a: sp.csc_matrix, comp: _Compiled, terminals: Any) -> Any:
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
    return _factor(padded, comp, options={"SymmetricMode": True})


class LinearSolver:
    """Factor a linear circuit once; solve it for many source vectors.

    The circuit's MNA matrix depends only on its passive elements; the independent sources
    enter only the right-hand side. ``LinearSolver`` factors the matrix once (sparse LU) and
    then maps batches of source values to node voltages or branch currents.

    The factorisation's minimum-degree ordering is constrained to eliminate the "terminal"
    unknowns last (the varied sources, every V-source branch and the nodes those touch, up to
    :data:`_TERMINAL_LIMIT`), so the trailing block of the factors is the LU of the Schur
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
        if 0 < terminals.size <= _TERMINAL_LIMIT and terminals.size < comp.size:
            self.lu = _factor_terminals_last(self.matrix, comp, terminals)
        else:
            self.lu = _factor(self.matrix, comp)
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
        if self.comp.size - p0 > _TERMINAL_LIMIT:
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
        when the circuit is reciprocal), in blocks of :data:`_BLOCK` right-hand sides.
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
                for s0 in range(0, len(rows), _BLOCK):
                    blk = rows[s0 : s0 + _BLOCK]
                    sel = np.zeros((self.comp.size, len(blk)), order="F")
                    sel[blk, np.arange(len(blk))] = 1.0
                    y = self.lu.solve(sel, trans=trans)
                    t[s0 : s0 + len(blk)] = (self.source_map.T @ y).T
            else:
                t = np.empty((len(rows), n_src))
                for s0 in range(0, n_src, _BLOCK):
                    cols = self.source_map[:, s0 : s0 + _BLOCK].toarray(order="F")
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
            out = vals2 @ t.T + self.z_fixed[rows][None, :]
        else:
            out = np.empty((vals2.shape[0], self.comp.size))
            for s in range(0, vals2.shape[0], chunk):
                blk = vals2[s : s + chunk]
                rhs = np.asfortranarray(self.source_map @ blk.T)
                out[s : s + chunk] = self.lu.solve(rhs).T + self.z_fixed[None, :]
        result: Array = out[0] if one else out
        return result

    def operating_point(self, values: ArrayLike) -> OperatingPoint:
        """Full operating point for one source vector."""
        z = self.solve(np.asarray(values, dtype=float).ravel())
        return OperatingPoint(
            voltages=_voltages(self.comp, z),
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
    comp: _Compiled,
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
    z, icap = _initial_solution(comp, opts, uic, mem_states)

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


def _flat_states(comp: _Compiled, states: dict[str, Array]) -> dict[str, float]:
    out: dict[str, float] = {}
    for _model, els, _a, _b in comp.mem_lin:
        out.update(zip([e.name for e in els], states[els[0].name].tolist(), strict=True))
    for g in comp.mem_nl:
        out.update(zip(g.names, states[g.names[0]].tolist(), strict=True))
    return out


def _pack_transient(
    comp: _Compiled,
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
    cur_rows: dict[str, list[float]] = {e.name: [] for e in comp.circuit._elements.values()}
    for k, z in enumerate(zs):
        comp.set_mem_states(_group_states(comp, xs[k]))
        cur = element_currents(comp, z, cap_currents=caps[k], t=float(times[k]), mem_x=xs[k])
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
        element_nodes={e.name: (e.p, e.n) for e in comp.circuit.elements},
    )


def _group_states(comp: _Compiled, flat: dict[str, float]) -> dict[str, Array]:
    out: dict[str, Array] = {}
    for _model, els, _a, _b in comp.mem_lin:
        out[els[0].name] = np.array([flat[e.name] for e in els])
    for g in comp.mem_nl:
        out[g.names[0]] = np.array([flat[n] for n in g.names])
    return out


def _cap_branch_triplets(
    comp: _Compiled, start_row: int
) -> tuple[tuple[Any, Any, Any], NDArray[np.intp]]:
    """Stamps holding every capacitor at a fixed voltage via extra branch rows (uic start)."""
    k = len(comp.cap)
    rows_b = np.arange(start_row, start_row + k, dtype=np.intp)
    rows: list[Any] = []
    cols: list[Any] = []
    data: list[Any] = []
    one = np.ones(k)
    _stamp_pair(rows, cols, data, comp.cap_a, rows_b, one)
    _stamp_pair(rows, cols, data, comp.cap_b, rows_b, -one)
    _stamp_pair(rows, cols, data, rows_b, comp.cap_a, one)
    _stamp_pair(rows, cols, data, rows_b, comp.cap_b, -one)
    if not rows:
        return (np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0)), rows_b
    return (np.concatenate(rows), np.concatenate(cols), np.concatenate(data)), rows_b


def _initial_solution(
    comp: _Compiled, opts: NewtonOptions, uic: bool, states: dict[str, Array]
) -> tuple[Array, Array]:
    """Solution at t = 0 and capacitor currents."""
    rhs = comp.source_rhs(0.0)
    a_lin = comp.matrix(mem_x=states)
    n_cap = len(comp.cap)
    if not uic:
        z, _ = _solve_dc(
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
    z_big, _ = _solve_dc(big, a_big, rhs_big, np.zeros(size), opts)  # type: ignore[arg-type]
    return z_big[: comp.size], z_big[comp.size :]


class _Augmented:
    """A view of a compiled circuit with extra branch rows (uic start)."""

    def __init__(self, comp: _Compiled, size: int) -> None:
        self._comp = comp
        self.size = size

    def __getattr__(self, name: str) -> Any:
        return getattr(self._comp, name)

    def node_name(self, row: int) -> str:
        if row < self._comp.size:
            return self._comp.node_name(row)
        return f"capacitor {self._comp.cap[row - self._comp.size].name}"


def _step(
    comp: _Compiled,
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
        key: np.asarray(model.dxdt(_branch_v(z, a, b), states[key]), dtype=float)
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
            f1 = np.asarray(model.dxdt(_branch_v(z1, a, b), guess[key]), dtype=float)
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


def _mem_groups(comp: _Compiled) -> list[tuple[str, Any, NDArray[np.intp], NDArray[np.intp]]]:
    out = [(els[0].name, model, a, b) for model, els, a, b in comp.mem_lin]
    out += [(g.names[0], g.model, g.a, g.b) for g in comp.mem_nl]
    return out


def _solve_step(
    comp: _Compiled,
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
    _stamp_g(rows, cols, data, comp.cap_a, comp.cap_b, gcap)
    lfac = (2.0 if trap else 1.0) * comp.ind_l / h
    _stamp_pair(rows, cols, data, comp.ind_rows, comp.ind_rows, -lfac)
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
    vcap_prev = _branch_v(zp, comp.cap_a, comp.cap_b)
    hist = gcap * vcap_prev + (icap if trap else 0.0)
    m = comp.cap_a >= 0
    np.add.at(rhs, comp.cap_a[m], hist[m])
    m = comp.cap_b >= 0
    np.add.at(rhs, comp.cap_b[m], -hist[m])
    if len(comp.ind):
        i_prev = zp[comp.ind_rows]
        rhs[comp.ind_rows] = -lfac * i_prev
        if trap:
            rhs[comp.ind_rows] -= _branch_v(zp, comp.ind_a, comp.ind_b)
    if comp.nonlinear:
        znew, _ = _solve_dc(comp, a_lin, rhs, z_guess, opts)
    else:
        lu = cache.get(("lu", id(a_lin)))
        if lu is None or comp.mem_lin:
            lu = _factor(a_lin, comp)
            if not comp.mem_lin:
                cache[("lu", id(a_lin))] = lu
        znew = lu.solve(rhs)
    vcap = _branch_v(znew, comp.cap_a, comp.cap_b)
    icap_new = gcap * (vcap - vcap_prev) - (icap if trap else 0.0)
    return znew, icap_new


__all__ = [
    "OperatingPoint",
    "TransientResult",
    "NewtonOptions",
    "LinearSolver",
    "op_batch",
    "operating_point",
    "transient",
    "element_currents",
    "residual_vector",
    "compiled",
]
