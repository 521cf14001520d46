"""The circuit graph: nodes and elements, shared by the Python and ngspice engines.

A :class:`Circuit` is a :class:`networkx.MultiDiGraph` whose nodes are circuit nodes (ground is
``"0"``; ``"gnd"`` is an alias) and whose edges are two-terminal branches ``p -> n`` keyed by
element name. Each edge carries its :class:`Element`. Controlled sources keep their controlling
nodes or controlling source in the element, not as edges.

Sign convention (SPICE): the current of every element is the current flowing from its first
node ``p`` through the element to its second node ``n``. For a voltage source this is the SPICE
branch current (negative when the source delivers power).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from thermolearn.circuit.nodes import GROUND, GROUND_ALIASES, is_ground
from thermolearn.circuit.spice.expressions import CURRENT_REF, compile_expression
from thermolearn.circuit.waveforms import PWL, Exp, Pulse, Sine
from thermolearn.devices.base import MemristorModel
from thermolearn.devices.passive import DiodeParams
from thermolearn.devices.selector import SelectorParams
from thermolearn.devices.spice_diode import SpiceDiodeParams
from thermolearn.errors import NetlistError, ParameterError
from thermolearn.validation import check_finite, check_positive

_NODE_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:#\-\[\]<>!$%&*+/|~^]*$")
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:\-\[\]<>!$%&*+/|~^]*$")

#: Element kinds: SPICE letter (or internal tag) -> description.
KINDS = {
    "R": "resistor",
    "C": "capacitor",
    "L": "inductor",
    "V": "voltage source",
    "I": "current source",
    "D": "diode",
    "M": "memristor",
    "E": "VCVS",
    "G": "VCCS",
    "H": "CCVS",
    "F": "CCCS",
    "S": "switch",
    "Y": "selector",
    "B": "behavioural source",
}
#: Letter used for each kind in a netlist.
SPICE_LETTER = {
    "R": "R",
    "C": "C",
    "L": "L",
    "V": "V",
    "I": "I",
    "D": "D",
    "M": "X",
    "E": "E",
    "G": "G",
    "H": "H",
    "F": "F",
    "S": "R",
    "Y": "B",
    "B": "B",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Element:
    """One circuit element.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS` (``"R"``, ``"C"``, ... ``"M"`` memristor, ``"S"`` switch,
        ``"Y"`` selector, ``"B"`` behavioural source).
    name : str
        Unique (case-insensitive) element name.
    nodes : tuple of str
        ``(p, n)`` or, for E and G, ``(p, n, cp, cn)``.
    value : float
        Main value: ohm (R, S = present resistance), farad, henry, volt/ampere (DC value of
        sources), gain (E, F), siemens (G), ohm (H).
    waveform : Pulse, PWL, Sine or None
        Time dependence of an independent source.
    ic : float or None
        Initial condition (capacitor voltage, V).
    control : str or None
        Controlling voltage source of F and H.
    model : object or None
        DiodeParams (D), MemristorModel (M), SelectorParams (Y).
    x0 : float or None
        Initial memristor state.
    expr : str or None
        B-source expression (right-hand side of ``I=`` or ``V=``).
    mode : str or None
        B source: ``"i"`` or ``"v"``. Switch: ``"closed"`` or ``"open"``.
    extra : dict
        Kind-specific extras (switch ``r_on``/``r_off``).
    """

    kind: str
    name: str
    nodes: tuple[str, ...]
    value: float = 0.0
    waveform: Pulse | PWL | Sine | Exp | None = None
    ic: float | None = None
    control: str | None = None
    model: Any = None
    x0: float | None = None
    expr: str | None = None
    mode: str | None = None
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def p(self) -> str:
        """Positive node."""
        return self.nodes[0]

    @property
    def n(self) -> str:
        """Negative node."""
        return self.nodes[1]

    def source_value(self, t: float | None = None) -> float:
        """Value of an independent source at time ``t`` (``None``: operating point)."""
        if self.waveform is None:
            return self.value
        if t is None:
            return self.value
        return float(self.waveform.value(t))


class Circuit:
    """A circuit: nodes (ground ``"0"``) and named elements on a networkx MultiDiGraph.

    Parameters
    ----------
    title : str
        Title (first line of the exported netlist).

    Examples
    --------
    >>> c = Circuit("divider")
    >>> _ = c.add_vsource("V1", "in", "0", dc=1.0)
    >>> _ = c.add_resistor("R1", "in", "out", 1e3)
    >>> _ = c.add_resistor("R2", "out", "0", 1e3)
    >>> from thermolearn.circuit import operating_point
    >>> round(operating_point(c).v("out"), 6)
    0.5
    """

    def __init__(self, title: str = "thermolearn circuit") -> None:
        self.title = str(title).replace("\n", " ")
        self.graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self.graph.add_node(GROUND)
        self._elements: dict[str, Element] = {}
        self._lower: dict[str, str] = {}
        self._version = 0

    @property
    def version(self) -> int:
        """Edit counter: grows by one with every added, removed or changed element.

        Engines that compile a circuit (:mod:`thermolearn.circuit.mna`) key their caches on
        it; the circuit itself holds no engine state.
        """
        return self._version

    def _touch(self, node: str) -> None:
        self.graph.add_node(node)

    # -- bookkeeping -------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"Circuit({self.title!r}, {len(self.nodes)} nodes, {len(self._elements)} elements)"

    def __len__(self) -> int:
        return len(self._elements)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._lower

    @property
    def nodes(self) -> list[str]:
        """Node names; ground ``"0"`` first."""
        return list(self.graph.nodes)

    @property
    def elements(self) -> list[Element]:
        """Elements in insertion order."""
        return list(self._elements.values())

    def element(self, name: str) -> Element:
        """Return the element called ``name`` (case-insensitive)."""
        key = self._lower.get(str(name).lower())
        if key is None:
            raise ParameterError(f"Circuit {self.title!r} has no element named {name!r}.")
        return self._elements[key]

    def _node(self, node: Any, what: str, name: str) -> str:
        if isinstance(node, int | np.integer) and not isinstance(node, bool):
            node = str(int(node))
        if not isinstance(node, str) or not _NODE_RE.match(node):
            raise ParameterError(
                f"The '{what}' node of element {name!r} must be a non-empty name without "
                f"spaces, parentheses, commas or '='; got {node!r}."
            )
        return GROUND if node.lower() in GROUND_ALIASES else node

    def _add(self, el: Element) -> Element:
        if not isinstance(el.name, str) or not _NAME_RE.match(el.name):
            raise ParameterError(
                f"Element names must be non-empty without spaces, parentheses, commas or '='; "
                f"got {el.name!r}."
            )
        low = el.name.lower()
        if low in self._lower:
            raise ParameterError(
                f"Circuit {self.title!r} already has an element named {self._lower[low]!r} "
                f"(names are case-insensitive, as in SPICE); cannot add {el.name!r}."
            )
        self._elements[el.name] = el
        self._lower[low] = el.name
        for nd in el.nodes:
            self._touch(nd)
        self.graph.add_edge(el.p, el.n, key=el.name, element=el)
        self._version += 1
        return el

    def _two(self, name: str, n1: Any, n2: Any) -> tuple[str, str]:
        return self._node(n1, "first", name), self._node(n2, "second", name)

    def remove(self, name: str) -> None:
        """Remove the element called ``name``."""
        el = self.element(name)
        self.graph.remove_edge(el.p, el.n, key=el.name)
        del self._elements[el.name]
        del self._lower[el.name.lower()]
        self._version += 1

    # -- elements ----------------------------------------------------------------------
    def add_resistor(self, name: str, n1: Any, n2: Any, r: float) -> Element:
        """Add a resistor of ``r`` ohm between ``n1`` and ``n2``."""
        a, b = self._two(name, n1, n2)
        return self._add(
            Element(kind="R", name=name, nodes=(a, b), value=check_positive(r, "r", name, "ohm"))
        )

    def add_resistors(self, names: list[str], n1: list[Any], n2: list[Any], r: Any) -> None:
        """Add many resistors at once: the checks of :meth:`add_resistor`, done in bulk.

        All or nothing: if any resistor is invalid (name, node, value, duplicate name),
        nothing is added and the error names the first offender, as :meth:`add_resistor`
        would. Elements, nodes and edges are inserted in the given order, so the circuit is
        the one the element-by-element calls would build.
        """
        k = len(names)
        if len(n1) != k or len(n2) != k:
            raise ParameterError(
                f"Circuit.add_resistors needs as many first and second nodes as names ({k}); "
                f"got {len(n1)} and {len(n2)}."
            )
        vals = np.asarray(r, dtype=float).reshape(-1)
        if vals.size != k:
            raise ParameterError(
                f"Circuit.add_resistors needs one resistance per name ({k}); got {vals.size}."
            )
        bad = np.flatnonzero(~(np.isfinite(vals) & (vals > 0)))
        if bad.size:
            i = int(bad[0])
            check_positive(float(vals[i]), "r", names[i], "ohm")
            raise ParameterError(f"The 'r' parameter of {names[i]} must be finite; got {vals[i]}.")
        if not all(isinstance(nm, str) and _NAME_RE.match(nm) for nm in names):
            first = next(nm for nm in names if not (isinstance(nm, str) and _NAME_RE.match(nm)))
            self._add(Element(kind="R", name=first, nodes=("0", "0"), value=1.0))  # raises
        low = [nm.lower() for nm in names]
        if len(set(low)) != k or not self._lower.keys().isdisjoint(low):
            seen: set[str] = set()
            for nm, lo in zip(names, low, strict=True):
                if lo in self._lower or lo in seen:
                    prev = self._lower.get(lo, next(x for x in names if x.lower() == lo))
                    raise ParameterError(
                        f"Circuit {self.title!r} already has an element named {prev!r} (names "
                        f"are case-insensitive, as in SPICE); cannot add {nm!r}."
                    )
                seen.add(lo)
        canon: dict[Any, str] = {}
        a: list[str] = []
        b: list[str] = []
        for nm, x, y in zip(names, n1, n2, strict=True):
            p = canon.get(x)
            if p is None:
                p = canon[x] = self._node(x, "first", nm)
            q = canon.get(y)
            if q is None:
                q = canon[y] = self._node(y, "second", nm)
            a.append(p)
            b.append(q)
        els = [
            Element(kind="R", name=nm, nodes=(p, q), value=v)
            for nm, p, q, v in zip(names, a, b, vals.tolist(), strict=True)
        ]
        self._elements.update(zip(names, els, strict=True))
        self._lower.update(zip(low, names, strict=True))
        _insert_edges(self.graph, els)
        self._version += k

    def add_capacitor(
        self, name: str, n1: Any, n2: Any, c: float, ic: float | None = None
    ) -> Element:
        """Add a capacitor of ``c`` farad; ``ic`` is its initial voltage (V) for transients."""
        a, b = self._two(name, n1, n2)
        ic_v = None if ic is None else check_finite(ic, "ic", name)
        return self._add(
            Element(
                kind="C", name=name, nodes=(a, b), value=check_positive(c, "c", name, "F"), ic=ic_v
            )
        )

    def add_inductor(self, name: str, n1: Any, n2: Any, l: float) -> Element:  # noqa: E741
        """Add an inductor of ``l`` henry (a short circuit at DC)."""
        a, b = self._two(name, n1, n2)
        return self._add(
            Element(kind="L", name=name, nodes=(a, b), value=check_positive(l, "l", name, "H"))
        )

    def add_source(
        self, kind: str, name: str, n1: Any, n2: Any, dc: float, waveform: Any = None
    ) -> Element:
        """Add an independent source of kind ``"V"`` or ``"I"`` with exactly this DC value.

        Unlike :meth:`add_vsource` / :meth:`add_isource`, a ``dc`` of 0 is kept even with a
        waveform (a netlist's explicit ``DC 0``).
        """
        if kind not in ("V", "I"):
            raise ParameterError(
                f"The 'kind' parameter of Circuit.add_source must be 'V' or 'I'; got {kind!r}."
            )
        a, b = self._two(name, n1, n2)
        if waveform is not None and not isinstance(waveform, Pulse | PWL | Sine | Exp):
            raise ParameterError(
                f"The 'waveform' parameter of {name} must be a Pulse, PWL or Sine; "
                f"got {waveform!r}."
            )
        value = check_finite(dc, "dc", name)
        return self._add(
            Element(kind=kind, name=name, nodes=(a, b), value=value, waveform=waveform)
        )

    def add_vsource(
        self, name: str, np_: Any, nn: Any, dc: float = 0.0, waveform: Any = None
    ) -> Element:
        """Add an independent voltage source V(np) - V(nn) = dc (or the waveform in time).

        ``dc`` is the operating-point value; with a waveform, transients use the waveform
        (and the operating point its DC value ``dc``, as in SPICE's ``DC`` field).
        """
        if waveform is not None and dc == 0.0:
            dc = waveform.dc
        return self.add_source("V", name, np_, nn, dc, waveform)

    def add_isource(
        self, name: str, np_: Any, nn: Any, dc: float = 0.0, waveform: Any = None
    ) -> Element:
        """Add an independent current source: ``dc`` amperes flow np -> source -> nn."""
        if waveform is not None and dc == 0.0:
            dc = waveform.dc
        return self.add_source("I", name, np_, nn, dc, waveform)

    def add_diode(self, name: str, anode: Any, cathode: Any, params: Any = None) -> Element:
        """Add a junction diode (Shockley ``DiodeParams`` or SPICE level-1 ``SpiceDiodeParams``).

        :class:`thermolearn.devices.DiodeParams` has an exact series resistance;
        :class:`thermolearn.devices.spice_diode.SpiceDiodeParams` is an imported ``.model D``.
        """
        a, b = self._two(name, anode, cathode)
        if params is None:
            params = DiodeParams()
        if not isinstance(params, DiodeParams | SpiceDiodeParams):
            raise ParameterError(
                f"The 'params' parameter of diode {name} must be a DiodeParams or "
                f"SpiceDiodeParams; got {params!r}."
            )
        return self._add(Element(kind="D", name=name, nodes=(a, b), model=params))

    def add_memristor(self, name: str, np_: Any, nn: Any, model: Any, x0: float) -> Element:
        """Add a memristor of any :class:`~thermolearn.devices.base.MemristorModel` at state x0."""
        a, b = self._two(name, np_, nn)
        if not isinstance(model, MemristorModel):
            raise ParameterError(
                f"The 'model' parameter of memristor {name} must be a MemristorModel; "
                f"got {model!r}."
            )
        x = check_finite(x0, "x0", name)
        lo, hi = model.state_bounds
        if not lo <= x <= hi:
            raise ParameterError(
                f"The 'x0' parameter of memristor {name} must lie in [{lo}, {hi}]; got {x0!r}."
            )
        return self._add(Element(kind="M", name=name, nodes=(a, b), model=model, x0=x))

    def add_vcvs(self, name: str, np_: Any, nn: Any, ncp: Any, ncn: Any, gain: float) -> Element:
        """Add a VCVS (E): V(np) - V(nn) = gain (V(ncp) - V(ncn))."""
        a, b = self._two(name, np_, nn)
        c1, c2 = self._node(ncp, "ncp", name), self._node(ncn, "ncn", name)
        g = check_finite(gain, "gain", name)
        return self._add(Element(kind="E", name=name, nodes=(a, b, c1, c2), value=g))

    def add_vccs(self, name: str, np_: Any, nn: Any, ncp: Any, ncn: Any, gm: float) -> Element:
        """Add a VCCS (G): gm (V(ncp) - V(ncn)) amperes flow np -> source -> nn."""
        a, b = self._two(name, np_, nn)
        c1, c2 = self._node(ncp, "ncp", name), self._node(ncn, "ncn", name)
        g = check_finite(gm, "gm", name)
        return self._add(Element(kind="G", name=name, nodes=(a, b, c1, c2), value=g))

    def add_ccvs(self, name: str, np_: Any, nn: Any, vsense: str, r: float) -> Element:
        """Add a CCVS (H): V(np) - V(nn) = r I(vsense), vsense a voltage source name."""
        a, b = self._two(name, np_, nn)
        return self._add(
            Element(
                kind="H",
                name=name,
                nodes=(a, b),
                value=check_finite(r, "r", name),
                control=str(vsense),
            )
        )

    def add_cccs(self, name: str, np_: Any, nn: Any, vsense: str, gain: float) -> Element:
        """Add a CCCS (F): gain I(vsense) amperes flow np -> source -> nn."""
        a, b = self._two(name, np_, nn)
        return self._add(
            Element(
                kind="F",
                name=name,
                nodes=(a, b),
                value=check_finite(gain, "gain", name),
                control=str(vsense),
            )
        )

    def add_switch(
        self, name: str, n1: Any, n2: Any, r_on: float, r_off: float, closed: bool = True
    ) -> Element:
        """Add a switch (e.g. the access transistor of a 1T1R cell): r_on if closed else r_off."""
        a, b = self._two(name, n1, n2)
        ron = check_positive(r_on, "r_on", name, "ohm")
        roff = check_positive(r_off, "r_off", name, "ohm")
        return self._add(
            Element(
                kind="S",
                name=name,
                nodes=(a, b),
                value=ron if closed else roff,
                mode="closed" if closed else "open",
                extra={"r_on": ron, "r_off": roff},
            )
        )

    def set_switch(self, name: str, closed: bool) -> None:
        """Open or close a switch added with :meth:`add_switch`."""
        el = self.element(name)
        if el.kind != "S":
            raise ParameterError(f"Element {name!r} is not a switch.")
        self._replace(
            Element(
                kind="S",
                name=el.name,
                nodes=el.nodes,
                value=el.extra["r_on"] if closed else el.extra["r_off"],
                mode="closed" if closed else "open",
                extra=dict(el.extra),
            )
        )

    def add_selector(self, name: str, n1: Any, n2: Any, params: Any = None) -> Element:
        """Add a 1S1R selector, ``I = i0 sinh(V / v0)`` (:class:`SelectorParams`)."""
        a, b = self._two(name, n1, n2)
        if params is None:
            params = SelectorParams()
        if not isinstance(params, SelectorParams):
            raise ParameterError(
                f"The 'params' parameter of selector {name} must be SelectorParams; got {params!r}."
            )
        return self._add(Element(kind="Y", name=name, nodes=(a, b), model=params))

    def add_bsource(self, name: str, np_: Any, nn: Any, expr: str, mode: str = "i") -> Element:
        """Add a behavioural source: ``I=expr`` (mode "i") or ``V=expr`` (mode "v").

        ``expr`` uses node voltages ``V(a)``, ``V(a,b)``, numbers, + - * / ^ and the usual
        functions (exp, log, sqrt, sin, cos, tan, sinh, cosh, tanh, atan, abs, min, max, pow).
        """
        a, b = self._two(name, np_, nn)
        if mode not in ("i", "v"):
            raise ParameterError(
                f"The 'mode' parameter of {name} must be 'i' or 'v'; got {mode!r}."
            )
        compiled = compile_expression(str(expr), {})
        nodes = [nd for nd in compiled.nodes if not nd.startswith(CURRENT_REF)]
        for nd in nodes:
            self._node(nd, "expression", name)
        el = self._add(
            Element(kind="B", name=name, nodes=(a, b), expr=str(expr).strip(), mode=mode)
        )
        for nd in nodes:  # branch currents i(v) are not nodes
            self._touch(GROUND if nd.lower() in GROUND_ALIASES else nd)
        return el

    def set_memristor_state(self, name: str, x: float) -> None:
        """Set the state of memristor ``name`` (used between analyses)."""
        el = self.element(name)
        if el.kind != "M":
            raise ParameterError(f"Element {name!r} is not a memristor.")
        lo, hi = el.model.state_bounds
        xv = check_finite(x, "x", name)
        if not lo <= xv <= hi:
            raise ParameterError(
                f"The state of memristor {name} must lie in [{lo}, {hi}]; got {x!r}."
            )
        self._replace(Element(kind="M", name=el.name, nodes=el.nodes, model=el.model, x0=xv))

    def set_value(self, name: str, value: float) -> None:
        """Change the main value of an R, C, L, V, I, E, F, G or H element."""
        el = self.element(name)
        if el.kind not in "RCLVIEFGH":
            raise ParameterError(f"Element {name!r} ({KINDS[el.kind]}) has no settable value.")
        v = check_finite(value, "value", name)
        if el.kind in "RCL":
            check_positive(v, "value", name)
        self._replace(
            Element(
                kind=el.kind,
                name=el.name,
                nodes=el.nodes,
                value=v,
                waveform=el.waveform,
                ic=el.ic,
                control=el.control,
            )
        )

    def _replace(self, el: Element) -> None:
        self._elements[el.name] = el
        self.graph.edges[el.p, el.n, el.name]["element"] = el
        self._version += 1

    # -- checks ------------------------------------------------------------------------
    def validate(self) -> None:
        """Check cross references (controlling sources of F/H exist and are V sources)."""
        for el in self._elements.values():
            if el.kind in "FH":
                key = self._lower.get(str(el.control).lower())
                if key is None:
                    raise NetlistError(
                        f"{KINDS[el.kind]} {el.name!r} is controlled by unknown source "
                        f"{el.control!r}."
                    )
                if self._elements[key].kind != "V":
                    raise NetlistError(
                        f"{KINDS[el.kind]} {el.name!r} must be controlled by a voltage source; "
                        f"{key!r} is a {KINDS[self._elements[key].kind]}."
                    )

    def memristors(self) -> list[Element]:
        """Return the memristor elements."""
        return [e for e in self._elements.values() if e.kind == "M"]

    def has_dynamics(self) -> bool:
        """Return True if the circuit has capacitors, inductors or memristors."""
        return any(e.kind in "CLM" for e in self._elements.values())


def _insert_edges(graph: nx.MultiDiGraph, els: list[Element]) -> None:
    """Insert element edges into ``graph`` in order (what ``add_edge`` per element does).

    For a plain :class:`networkx.MultiDiGraph` (dict factories) the adjacency dicts are filled
    directly: networkx's own ``add_edge`` costs ~4 us per call, which dominates a bulk insert
    of millions of elements; the structure built is the same (one key dict shared by
    ``_succ[u][v]`` and ``_pred[v][u]``). Any other graph class goes through ``add_edges_from``.
    """
    plain = (
        type(graph) is nx.MultiDiGraph
        and graph.node_dict_factory is dict
        and graph.node_attr_dict_factory is dict
        and graph.adjlist_inner_dict_factory is dict
        and graph.edge_key_dict_factory is dict
        and graph.edge_attr_dict_factory is dict
    )
    if not plain:
        graph.add_edges_from((el.nodes[0], el.nodes[1], el.name, {"element": el}) for el in els)
        return
    succ, pred, node = graph._succ, graph._pred, graph._node
    for el in els:
        u, v = el.nodes[0], el.nodes[1]
        if u not in succ:
            succ[u], pred[u], node[u] = {}, {}, {}
        if v not in succ:
            succ[v], pred[v], node[v] = {}, {}, {}
        keydict = succ[u].get(v)
        if keydict is None:
            keydict = succ[u][v] = pred[v][u] = {}
        keydict[el.name] = {"element": el}
    nx._clear_cache(graph)


__all__ = ["Circuit", "Element", "GROUND", "KINDS", "SPICE_LETTER", "is_ground"]
