"""Compilation of a :class:`~thermolearn.circuit.Circuit` into MNA index arrays.

Unknowns are the non-ground node voltages followed by the branch currents of elements that
fix a voltage (V, L, E, H and ``V=`` B sources). Linear stamps are assembled vectorised from
COO index arrays, so a 128x128 crossbar with ~50k elements assembles in milliseconds.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components

from thermolearn.circuit.circuit import GROUND, KIND_CODES, KINDS, Circuit, Element
from thermolearn.circuit.results import NamedValues
from thermolearn.circuit.spice.expressions import CURRENT_REF, compile_expression
from thermolearn.circuit.stamps import (
    NLGroup,
    bind_state,
    is_linear_iv,
    stamp_conductance,
    stamp_list,
    stamp_pair,
)
from thermolearn.devices.passive import Diode
from thermolearn.devices.spice_diode import SpiceDiode, SpiceDiodeParams
from thermolearn.errors import NetlistError
from thermolearn.physics import K_B, Q_E

Array = NDArray[np.float64]


class _KindLists(Mapping[str, list[Element]]):
    """Element objects of each kind, in circuit order, made on first access of a kind.

    A compiled circuit reads the circuit's columns; the objects of a kind (e.g. the millions
    of resistors of a crossbar, which the matrix assembly never needs as objects) are only
    made when some caller asks for that kind's list.
    """

    def __init__(
        self,
        gpos: dict[str, NDArray[np.intp]],
        names: list[str],
        nodes: list[str],
        a: NDArray[np.intp],
        b: NDArray[np.intp],
        value: Array,
        objects: dict[int, Element],
    ) -> None:
        self._gpos, self._names, self._nodes = gpos, names, nodes
        self._a, self._b, self._value, self._objects = a, b, value, objects
        self._made: dict[str, list[Element]] = {}

    def __getitem__(self, kind: str) -> list[Element]:
        els = self._made.get(kind)
        if els is None:
            pos = self._gpos[kind]
            names, nodes, obj = self._names, self._nodes, self._objects
            els = [
                obj[g]
                if g in obj
                else Element(kind=kind, name=names[g], nodes=(nodes[p], nodes[q]), value=v)
                for g, p, q, v in zip(
                    pos.tolist(),
                    self._a[pos].tolist(),
                    self._b[pos].tolist(),
                    self._value[pos].tolist(),
                    strict=True,
                )
            ]
            self._made[kind] = els
        return els

    def __iter__(self) -> Iterator[str]:
        return iter(self._gpos)

    def __len__(self) -> int:
        return len(self._gpos)


class CompiledCircuit:
    """A circuit turned into index arrays (built once per circuit version)."""

    def __init__(self, circuit: Circuit) -> None:
        circuit.validate()
        #: the circuit's edit counter when compiled
        self.version = circuit.version
        # the circuit's columns (read-only arrays; lists and dicts copied: a snapshot)
        cols = circuit.columns()
        all_nodes: list[str] = list(cols["nodes"])  # ground first
        #: every node name, ground first (the circuit's node order)
        self.all_nodes = all_nodes
        self.node_names = all_nodes[1:]
        self.n = len(self.node_names)
        #: element names in circuit order
        self.order: list[str] = list(cols["names"])
        codes = cols["kind"]
        values = cols["value"]
        # unknown index of each element's first and second node (circuit position - 1)
        ua = cols["a"] - 1
        ub = cols["b"] - 1
        sort = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[sort], np.arange(len(KIND_CODES) + 1))
        self.gpos = {
            k: sort[bounds[c] : bounds[c + 1]].astype(np.intp) for c, k in enumerate(KIND_CODES)
        }
        self._ua, self._ub = ua, ub
        self.kind_ab = {k: (ua[g], ub[g]) for k, g in self.gpos.items()}
        objects = dict(cols["objects"])
        self.by_kind = _KindLists(
            self.gpos, self.order, all_nodes, cols["a"], cols["b"], values, objects
        )
        by_kind = self.by_kind

        def vals(kind: str) -> Array:
            return np.asarray(values[self.gpos[kind]], dtype=float)

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

        # conductances: R and switches (+ linear memristors, below), from the columns
        self.res_a = np.concatenate([self.kind_ab["R"][0], self.kind_ab["S"][0]])
        self.res_b = np.concatenate([self.kind_ab["R"][1], self.kind_ab["S"][1]])
        self.res_gpos = np.concatenate([self.gpos["R"], self.gpos["S"]])
        r_vals = np.concatenate([vals("R"), vals("S")])
        with np.errstate(over="ignore", divide="ignore"):
            self.res_g = 1.0 / r_vals
        if not np.all(np.isfinite(self.res_g)):  # e.g. R = 1e-320 ohm: 1/R overflows float64
            i = int(np.flatnonzero(~np.isfinite(self.res_g))[0])
            raise NetlistError(
                f"the conductance of {self.order[int(self.res_gpos[i])]} (1 / "
                f"{float(r_vals[i])!r} ohm) overflows float64; use a resistance above 1e-300 "
                "ohm or a voltage source for an ideal short."
            )
        bmode_v = np.array([e.mode == "v" for e in by_kind["B"]], dtype=bool)
        self.branch_gpos = np.concatenate(
            [self.gpos["V"], self.gpos["L"], self.gpos["E"], self.gpos["H"],
             self.gpos["B"][bmode_v]]
        ).astype(np.intp)
        self.branch_rows = np.arange(self.n, self.n + self.m, dtype=np.intp)

        self.cap = by_kind["C"]
        self.cap_a, self.cap_b = self.kind_ab["C"]
        self.cap_c = vals("C")
        self.cap_ic = np.array([0.0 if e.ic is None else e.ic for e in self.cap], dtype=float)

        self.vs_a, self.vs_b = self.kind_ab["V"]
        self.vs_rows = np.arange(self.n, self.n + len(self.vsrc), dtype=np.intp)
        self.ind_a, self.ind_b = self.kind_ab["L"]
        self.ind_rows = np.array([self.branch_row[e.name] for e in self.ind], dtype=np.intp)
        self.ind_l = vals("L")

        self.isrc = by_kind["I"]
        self.is_a, self.is_b = self.kind_ab["I"]
        self.vccs = by_kind["G"]
        self.cccs = by_kind["F"]

        # nonlinear groups and memristors
        self.groups: list[NLGroup] = []
        self._build_diodes(by_kind["D"])
        self._build_selectors(by_kind["Y"])
        self.mem = by_kind["M"]
        self.mem_lin: list[tuple[Any, list[Element], NDArray[np.intp], NDArray[np.intp]]] = []
        self.mem_nl: list[NLGroup] = []
        self._build_memristors(self.mem)
        self.bexpr: dict[str, Any] = {}
        if by_kind["B"]:
            for e in by_kind["B"]:
                self.bexpr[e.name] = compile_expression(e.expr or "0", {})
                for nd in self.bexpr[e.name].nodes:  # i(vname): the branch current unknown
                    if nd.startswith(CURRENT_REF) and nd not in self.index:
                        src = nd[len(CURRENT_REF) :].lower()
                        if src not in self.branch_row_lower:
                            raise NetlistError(
                                f"B source {e.name!r} uses i({src}), but {src!r} is not a "
                                "voltage source or another element with a branch current."
                            )
                        self.index[nd] = self.branch_row_lower[src]
        self.nonlinear = bool(self.groups or self.mem_nl or self.bsrc_i or self.bsrc_v)

    # -- element groups ----------------------------------------------------------------
    def _build_diodes(self, diodes: list[Element]) -> None:
        if not diodes:
            return
        groups: dict[Any, list[Element]] = {}
        for e in diodes:
            groups.setdefault(e.model, []).append(e)
        for params, els in groups.items():
            a = np.array([self.index[e.p] for e in els], dtype=np.intp)
            b = np.array([self.index[e.n] for e in els], dtype=np.intp)
            if isinstance(params, SpiceDiodeParams):  # an imported SPICE level-1 diode
                dev: Any = SpiceDiode(params)
                vt, vcrit = dev.vte, dev.vcrit
            else:
                dev = Diode(params)
                vt = params.n * K_B * params.temperature / Q_E
                vcrit = vt * math.log(vt / (math.sqrt(2.0) * params.i_s))
            self.groups.append(
                NLGroup("D", [e.name for e in els], a, b, dev.current, dev.didv, vt, vcrit, dev)
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
                NLGroup(
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
            if is_linear_iv(model, x, probe):
                self.mem_lin.append((model, els, a, b))
            else:
                self.mem_nl.append(
                    NLGroup(
                        "M",
                        [e.name for e in els],
                        a,
                        b,
                        bind_state(model.current, x),
                        bind_state(model.didv, x),
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
            g.current = bind_state(g.model.current, x)
            g.didv = bind_state(g.model.didv, x)

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
        for a, b, g in self._mem_lin_conductances(mem_x):
            stamp_conductance(rows, cols, data, a, b, g)
        return np.concatenate(rows), np.concatenate(cols), np.concatenate(data)

    def _mem_lin_conductances(
        self, mem_x: dict[str, Array] | None = None
    ) -> list[tuple[NDArray[np.intp], NDArray[np.intp], Array]]:
        out = []
        for model, els, a, b in self.mem_lin:
            x = np.array([e.x0 for e in els]) if mem_x is None else mem_x[els[0].name]
            out.append((a, b, np.asarray(model.didv(0.0, x), dtype=float) * np.ones(len(els))))
        return out

    def conductances(self) -> tuple[NDArray[np.intp], NDArray[np.intp], Array]:
        """Return every linear two-terminal conductance (R, S, linear memristors).

        First node, second node (unknown index, ground -1) and conductance (S).
        """
        parts = [(self.res_a, self.res_b, self.res_g), *self._mem_lin_conductances()]
        if len(parts) == 1:
            return parts[0]
        return (
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
        )

    def static_coo(self) -> tuple[NDArray[np.intp], NDArray[np.intp], Array]:
        """COO triplets of the state-independent linear stamps (cached)."""
        cached = self.__dict__.get("_static")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        rows: list[NDArray[np.intp]] = []
        cols: list[NDArray[np.intp]] = []
        data: list[Array] = []
        stamp_conductance(rows, cols, data, self.res_a, self.res_b, self.res_g)
        # branch KCL and branch equations V(a) - V(b) = ... for V, L, E, H, B(v)
        for els in (self.vsrc, self.ind, self.vcvs, self.ccvs, self.bsrc_v):
            if not els:
                continue
            a = np.fromiter((self.index[e.p] for e in els), dtype=np.intp, count=len(els))
            b = np.fromiter((self.index[e.n] for e in els), dtype=np.intp, count=len(els))
            r = np.array([self.branch_row[e.name] for e in els], dtype=np.intp)
            one = np.ones(len(els))
            stamp_pair(rows, cols, data, a, r, one)
            stamp_pair(rows, cols, data, b, r, -one)
            stamp_pair(rows, cols, data, r, a, one)
            stamp_pair(rows, cols, data, r, b, -one)
        for e in self.vcvs:
            br = self.branch_row[e.name]
            c1, c2 = self.index[e.nodes[2]], self.index[e.nodes[3]]
            stamp_list(rows, cols, data, [(br, c1, -e.value), (br, c2, e.value)])
        for e in self.ccvs:
            br = self.branch_row[e.name]
            rc = self.branch_row_lower[str(e.control).lower()]
            stamp_list(rows, cols, data, [(br, rc, -e.value)])
        for e in self.cccs:
            ia, ib = self.index[e.p], self.index[e.n]
            rc = self.branch_row_lower[str(e.control).lower()]
            stamp_list(rows, cols, data, [(ia, rc, e.value), (ib, rc, -e.value)])
        for e in self.vccs:
            ia, ib = self.index[e.p], self.index[e.n]
            c1, c2 = self.index[e.nodes[2]], self.index[e.nodes[3]]
            stamp_list(
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
        if self.__dict__.get(f"_topology_ok_{caps_conduct}"):
            return
        ea: list[NDArray[np.intp]] = []
        eb: list[NDArray[np.intp]] = []
        kinds = "RSLVEHDYMB" + ("C" if caps_conduct else "")
        for k in kinds:
            if not self.gpos[k].size:
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
        parent: dict[int, int] = {}  # only the branch nodes (a list of all n costs ~n)

        def find(i: int) -> int:
            while parent.get(i, i) != i:
                parent[i] = parent.get(parent[i], parent[i])
                i = parent[i]
            return i

        branches = []
        for kind, els in (("V", self.vsrc), ("L", self.ind), ("E", self.vcvs), ("H", self.ccvs)):
            branches += zip(els, *(x.tolist() for x in self.kind_ab[kind]), strict=True)
        branches += [(e, self.index[e.p], self.index[e.n]) for e in self.bsrc_v]
        for e, i, j in branches:
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

    @cached_property
    def index(self) -> dict[str, int]:
        """Node -> unknown index (ground -1), in the circuit's node order (made on first use).

        A dict of every node costs about a microsecond per node; a large linear operating
        point never needs it.
        """
        nodes = self.all_nodes
        return dict(zip(nodes, range(-1, len(nodes) - 1), strict=True))

    @cached_property
    def kind_pos(self) -> dict[str, tuple[str, int]]:
        """Element name -> (kind, position within its kind) (made on first use)."""
        out: dict[str, tuple[str, int]] = {}
        order = self.order
        for k, g in self.gpos.items():
            out.update((order[i], (k, j)) for j, i in enumerate(g.tolist()))
        return out

    @cached_property
    def element_nodes(self) -> dict[str, tuple[str, str]]:
        """Element name -> (first node, second node) (made on first use)."""
        names = [GROUND, *self.node_names]
        p = [names[i + 1] for i in self._ua.tolist()]
        q = [names[i + 1] for i in self._ub.tolist()]
        return dict(zip(self.order, zip(p, q, strict=True), strict=True))

    def _kind_index(self, kind: str) -> dict[str, int]:
        """Element name -> position within its kind, for one kind (cached)."""
        cache = self.__dict__.setdefault("_kind_index_cache", {})
        if kind not in cache:
            order = self.order
            cache[kind] = {order[i]: j for j, i in enumerate(self.gpos[kind].tolist())}
        out: dict[str, int] = cache[kind]
        return out

    def gpos_of_names(self, kind: str, names: Sequence[str]) -> NDArray[np.intp]:
        """Positions (in circuit order) of the named elements of one kind."""
        key = (kind, tuple(names))
        cache = self.__dict__.setdefault("_gpos_cache", {})
        if key not in cache:
            kp = self._kind_index(kind)
            gp = self.gpos[kind]
            cache[key] = gp[np.array([kp[n] for n in names], dtype=np.intp)]
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


#: One compiled form per live circuit, rebuilt when the circuit's version moves on. Weak keys:
#: a circuit that is gone takes its compiled form with it (the compiled form does not refer
#: back to the circuit).
_COMPILED: weakref.WeakKeyDictionary[Circuit, CompiledCircuit] = weakref.WeakKeyDictionary()


def compiled(circuit: Circuit) -> CompiledCircuit:
    """Return the cached compiled form of ``circuit`` (rebuilt when it changes)."""
    comp = _COMPILED.get(circuit)
    if comp is None or comp.version != circuit.version:
        comp = CompiledCircuit(circuit)
        _COMPILED[circuit] = comp
    return comp


def clear_compiled(circuit: Circuit | None = None) -> None:
    """Drop the cached compiled form of ``circuit`` (of every circuit if None).

    Only benchmarks need this (to time a cold compile); edits to a circuit already invalidate
    its compiled form through :attr:`Circuit.version`.
    """
    if circuit is None:
        _COMPILED.clear()
    else:
        _COMPILED.pop(circuit, None)


def node_voltages(
    comp: CompiledCircuit, z: Array, lookup: Mapping[str, int] | None = None
) -> NamedValues:
    """Node voltages (V, ground first) from the unknowns ``z``, keyed by node name.

    A :class:`~thermolearn.circuit.results.NamedValues` over a copy of ``z``'s node part,
    looked up through ``lookup`` (the compiled circuit's :meth:`Circuit.node_index`: node
    -> position, append-only, so it stays valid) or else :attr:`CompiledCircuit.index`; no
    dict is built per result.
    """
    values = np.concatenate(([0.0], np.asarray(z[: comp.n], dtype=float)))
    if lookup is None:
        return NamedValues(comp.all_nodes, values, comp.index, offset=1)
    return NamedValues(comp.all_nodes, values, lookup)


__all__ = ["CompiledCircuit", "clear_compiled", "compiled", "node_voltages"]
