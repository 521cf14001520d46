"""The circuit description: nodes and elements, shared by the Python and ngspice engines.

A :class:`Circuit` holds nodes (ground is ``"0"``; ``"gnd"`` is an alias) and two-terminal
branches ``p -> n`` named by element. Storage is columnar: one row per element in insertion
order (kind, first and second node as positions in :attr:`Circuit.nodes`, main value, name),
and an :class:`Element` object only for elements with more than a name, two nodes and a value
(waveforms, models, controls, initial conditions). Plain R, C, L, V and I elements -- almost
all of a large crossbar -- are rows only, so building, exporting, parsing and compiling a
circuit of millions of elements costs no Python object per element. The object view
(:attr:`Circuit.elements`, :meth:`Circuit.element`) and the :class:`networkx.MultiDiGraph`
view (:attr:`Circuit.graph`) are made on request. Controlled sources keep their controlling
nodes or controlling source in the element, not as edges.

Sign convention (SPICE): the current of every element is the current flowing from its first
node ``p`` through the element to its second node ``n``. For a voltage source this is the SPICE
branch current (negative when the source delivers power).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product, repeat
from typing import Any

import networkx as nx
import numpy as np
from numpy.typing import NDArray

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


#: Kind codes of the columnar element table: code ``i`` is ``KIND_CODES[i]``.
KIND_CODES = "RCLVIDMEGHFSYB"
_CODE = {k: i for i, k in enumerate(KIND_CODES)}
#: Kinds that may be stored as a row only (name, two nodes, one value).
ROW_KINDS = "RCLVI"
#: Kinds whose main value must be > 0 (ohm, farad, henry).
_POSITIVE = "RCL"
#: One regular-expression pass checks a whole column of names (one name per line).
_NAMES_RE = re.compile(r"(?:[A-Za-z0-9_][A-Za-z0-9_.:\-\[\]<>!$%&*+/|~^]*\n)*")
#: Every spelling of a ground alias (``"0"``, ``"gnd"`` in any case).
_GROUND_SPELLINGS = frozenset(
    "".join(c)
    for alias in GROUND_ALIASES
    for c in product(*((x.lower(), x.upper()) for x in alias))
)
_NODES_RE = re.compile(r"(?:[A-Za-z0-9_][A-Za-z0-9_.:#\-\[\]<>!$%&*+/|~^]*\n)*")


def is_row(el: Element) -> bool:
    """Return True if ``el`` is fully described by its kind, name, two nodes and value."""
    k = el.kind
    if k not in ROW_KINDS or len(el.nodes) != 2:
        return False
    if k in "VI":
        return el.waveform is None
    if k == "C":
        return el.ic is None
    return True


class _Column:
    """A growable numpy column: single appends go to a list, blocks to a list of arrays.

    :meth:`array` joins them once and returns a read-only array (callers never write into
    it; :meth:`set` copies before writing), so an array handed out stays valid.
    """

    __slots__ = ("_arr", "_parts", "_pend", "dtype")

    def __init__(self, dtype: Any) -> None:
        self.dtype = np.dtype(dtype)
        self._arr = np.zeros(0, self.dtype)
        self._arr.flags.writeable = False
        self._parts: list[np.ndarray] = []
        self._pend: list[Any] = []

    def append(self, x: Any) -> None:
        self._pend.append(x)

    def extend(self, arr: np.ndarray) -> None:
        self._settle()
        self._parts.append(np.asarray(arr, dtype=self.dtype))

    def _settle(self) -> None:
        if self._pend:
            self._parts.append(np.array(self._pend, dtype=self.dtype))
            self._pend = []

    def array(self) -> np.ndarray:
        self._settle()
        if self._parts:
            arr = np.concatenate([self._arr, *self._parts])
            arr.flags.writeable = False
            self._arr, self._parts = arr, []
        return self._arr

    def get(self, i: int) -> Any:
        n = len(self._arr)
        if i < n:
            return self._arr[i]
        if not self._parts:
            return self._pend[i - n]
        return self.array()[i]

    def set(self, i: int, x: Any) -> None:
        arr = self.array().copy()
        arr[i] = x
        arr.flags.writeable = False
        self._arr = arr

    def delete(self, i: int) -> None:
        arr = np.delete(self.array(), i)
        arr.flags.writeable = False
        self._arr = arr


class Circuit:
    """A circuit: nodes (ground ``"0"``) and named elements, stored as columns.

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
        #: node names in insertion order, ground first; _node_ix: name -> position of the
        #: first _ix_n of them (and ground aliases -> 0); the rest (appended in bulk by
        #: _append_new_nodes) enter it on the next look-up (_index)
        self._node_names: list[str] = [GROUND]
        self._node_ix: dict[str, int] = {GROUND: 0}
        self._ix_n = 1
        #: the element table: one row per element, in insertion order
        self._names: list[str] = []
        self._kind = _Column(np.uint8)
        self._a = _Column(np.intp)
        self._b = _Column(np.intp)
        self._value = _Column(np.float64)
        #: Element objects of the rows that need more than a row (by row position)
        self._obj: dict[int, Element] = {}
        #: lower-case name -> row position (None: made on first use, see _lower_map)
        self._lower: dict[str, int] | None = {}
        #: sorted hashes of all lower-case names while _lower is None after a bulk add
        self._hashes: NDArray[np.int64] | None = None
        self._version = 0
        self._views: dict[str, tuple[int, Any]] = {}

    @property
    def version(self) -> int:
        """Edit counter: grows by one with every added, removed or changed element.

        Engines that compile a circuit (:mod:`thermolearn.circuit.mna`) key their caches on
        it; the circuit itself holds no engine state.
        """
        return self._version

    def _index(self) -> dict[str, int]:
        """Return the node look-up, first completed with the nodes appended in bulk since."""
        names, done = self._node_names, self._ix_n
        if done < len(names):
            ix = self._node_ix
            before = len(ix)
            ix.update(zip(names[done:], range(done, len(names)), strict=True))
            self._ix_n = len(names)
            if len(ix) != before + len(names) - done:  # pragma: no cover - a caller broke
                raise ParameterError(  # _append_new_nodes' promise (new, distinct names)
                    "Circuit: nodes appended as new repeat a node name; the circuit is "
                    "inconsistent (a bug in the code that built it)."
                )
        return self._node_ix

    def _touch(self, node: str) -> int:
        ix = self._index()
        pos = ix.get(node)
        if pos is None:
            pos = ix[node] = len(self._node_names)
            self._node_names.append(node)
            self._ix_n += 1
        return pos

    def _indexed(self, name: str) -> int | None:
        """Position of ``name`` if the node look-up has it, without completing it first.

        For a reader that tracks the nodes it appended with :meth:`_append_new_nodes`
        itself (they may be missing here).
        """
        return self._node_ix.get(name)

    def node_at(self, pos: int) -> str:
        """Return the name of the node at position ``pos`` of :attr:`nodes` (no copy)."""
        return self._node_names[pos]

    def _lower_map(self) -> dict[str, int]:
        """Lower-case name -> row position (made when first needed after a bulk add)."""
        if self._lower is None:
            names = self._names
            self._lower = dict(zip(map(str.lower, names), range(len(names)), strict=True))
            self._hashes = None
        return self._lower

    def _has_lower(self, low: list[str]) -> bool:
        """Return True if any of the lower-case names ``low`` is an element's name."""
        if self._lower is not None or self._hashes is None:
            return not self._lower_map().keys().isdisjoint(low)
        h = np.sort(np.fromiter(map(hash, low), dtype=np.int64, count=len(low)))
        if not _hits(self._hashes, h).any():
            return False
        return not self._lower_map().keys().isdisjoint(low)  # a hit or a hash collision

    def _view(self, key: str, make: Any) -> Any:
        hit = self._views.get(key)
        if hit is not None and hit[0] == self._version:
            return hit[1]
        val = make()
        self._views[key] = (self._version, val)
        return val

    # -- bookkeeping -------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"Circuit({self.title!r}, {len(self._node_names)} nodes, {len(self)} elements)"

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._lower_map()

    @property
    def nodes(self) -> list[str]:
        """Node names; ground ``"0"`` first."""
        return list(self._node_names)

    def node_index(self) -> Mapping[str, int]:
        """Return the read-only map of node name -> position in :attr:`nodes`.

        It also maps the ground spellings used so far to 0; it is live (later nodes appear
        in it), and costs nothing to get (no copy). The look-up of nodes added in bulk
        (a parsed netlist's columns) is completed on the first look-up through it.
        """
        return _NodeIndex(self)

    @property
    def elements(self) -> list[Element]:
        """Elements in insertion order (objects made on request for row-only elements)."""
        return list(self._view("elements", self._make_elements))

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The circuit as a :class:`networkx.MultiDiGraph` (a view made on request).

        Nodes are the circuit nodes (ground first), edges ``p -> n`` keyed by element name
        with the :class:`Element` as attribute ``element``. Editing the graph does not edit
        the circuit.
        """
        return self._view("graph", self._make_graph)

    def _make_graph(self) -> nx.MultiDiGraph:
        g = nx.MultiDiGraph()
        g.add_nodes_from(self._node_names)
        _insert_edges(g, self.elements)
        return g

    def _make_elements(self) -> list[Element]:
        names = self._names
        if not names:
            return []
        kinds = self._kind.array().tolist()
        a = self._a.array().tolist()
        b = self._b.array().tolist()
        vals = self._value.array().tolist()
        nn = self._node_names
        obj = self._obj
        out = []
        for i, (nm, k, p, q, v) in enumerate(zip(names, kinds, a, b, vals, strict=True)):
            el = obj.get(i)
            if el is None:
                el = Element(kind=KIND_CODES[k], name=nm, nodes=(nn[p], nn[q]), value=v)
            out.append(el)
        return out

    def _element_at(self, i: int) -> Element:
        el = self._obj.get(i)
        if el is not None:
            return el
        nn = self._node_names
        return Element(
            kind=KIND_CODES[int(self._kind.get(i))],
            name=self._names[i],
            nodes=(nn[int(self._a.get(i))], nn[int(self._b.get(i))]),
            value=float(self._value.get(i)),
        )

    def element(self, name: str) -> Element:
        """Return the element called ``name`` (case-insensitive)."""
        i = self._lower_map().get(str(name).lower())
        if i is None:
            raise ParameterError(f"Circuit {self.title!r} has no element named {name!r}.")
        return self._element_at(i)

    def columns(self) -> dict[str, Any]:
        """Return the element table as read-only columns (for engines and writers; no objects).

        Returns
        -------
        dict
            ``kind`` (uint8 codes into :data:`KIND_CODES`), ``a`` and ``b`` (positions of
            the first and second node in :attr:`nodes`), ``value`` (the element's main
            value, 0 for kinds without one), ``names`` (list of str), ``nodes`` (list of
            node names), ``objects`` (row position -> :class:`Element` for rows that need
            more than a row: waveforms, models, controls, initial conditions). Treat all of
            them as read-only.
        """
        return {
            "kind": self._kind.array(),
            "a": self._a.array(),
            "b": self._b.array(),
            "value": self._value.array(),
            "names": self._names,
            "nodes": self._node_names,
            "objects": self._obj,
        }

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
        lower = self._lower_map()
        if low in lower:
            raise ParameterError(
                f"Circuit {self.title!r} already has an element named "
                f"{self._names[lower[low]]!r} (names are case-insensitive, as in SPICE); "
                f"cannot add {el.name!r}."
            )
        ix = [self._touch(nd) for nd in el.nodes]
        pos = len(self._names)
        self._names.append(el.name)
        lower[low] = pos
        self._kind.append(_CODE[el.kind])
        self._a.append(ix[0])
        self._b.append(ix[1])
        self._value.append(float(el.value))
        if not is_row(el):
            self._obj[pos] = el
        self._version += 1
        return el

    def _two(self, name: str, n1: Any, n2: Any) -> tuple[str, str]:
        return self._node(n1, "first", name), self._node(n2, "second", name)

    def remove(self, name: str) -> None:
        """Remove the element called ``name``."""
        i = self._lower_map().get(str(name).lower())
        if i is None:
            raise ParameterError(f"Circuit {self.title!r} has no element named {name!r}.")
        del self._names[i]
        for col in (self._kind, self._a, self._b, self._value):
            col.delete(i)
        self._obj = {(k if k < i else k - 1): e for k, e in self._obj.items() if k != i}
        self._lower = None
        self._version += 1

    # -- bulk --------------------------------------------------------------------------
    def add_nodes(self, names: Sequence[str], *, new: bool = False) -> NDArray[np.intp]:
        """Add nodes (if new) and return their positions in :attr:`nodes`.

        Ground aliases (``"0"``, ``"gnd"``, any case) give position 0. All or nothing: an
        invalid name raises :class:`~thermolearn.errors.ParameterError` (naming it) before
        any node is added. New nodes are appended in order of first appearance.

        ``new=True`` says that the caller expects every name to be a distinct new node (a
        reader that tracks its nodes): they are then inserted without being looked up
        first, and if the expectation was wrong the lookup is restored and the names are
        added as usual (same result, slower).
        """
        ix = self._index()
        start = len(self._node_names)
        if (
            isinstance(names, list)
            and _GROUND_SPELLINGS.isdisjoint(names)
            and (new or ix.keys().isdisjoint(names))
            and all(map(isinstance, names, repeat(str)))
            and _NODES_RE.fullmatch("\n".join(names) + "\n")
        ):
            # the usual bulk case, all new: one dict update, undone if names repeat
            before = len(ix)
            ix.update(zip(names, range(start, start + len(names)), strict=True))
            if len(ix) == before + len(names):
                self._node_names.extend(names)
                self._ix_n = len(self._node_names)
                return np.arange(start, start + len(names), dtype=np.intp)
            # a name repeats or was a node: rebuild the lookup of the nodes there were
            aliases = [k for k, v in ix.items() if v == 0]
            ix.clear()
            ix.update(zip(self._node_names, range(start), strict=True))
            ix.update(dict.fromkeys(aliases, 0))
        uniq = list(dict.fromkeys(names))
        found = list(map(ix.get, uniq))
        new = [nm for nm, p in zip(uniq, found, strict=True) if p is None]
        if not new:
            get = ix.__getitem__
        else:
            if not all(map(isinstance, new, repeat(str))) or not _NODES_RE.fullmatch(
                "\n".join(new) + "\n"
            ):
                bad = next(nm for nm in new if not (isinstance(nm, str) and _NODE_RE.match(nm)))
                raise ParameterError(
                    f"Node names must be non-empty without spaces, parentheses, commas or "
                    f"'='; got {bad!r}."
                )
            aliases = _GROUND_SPELLINGS.intersection(new)
            for nm in aliases:
                ix[nm] = 0  # an alias: a key of the lookup only, not a node
            fresh = [nm for nm in new if nm not in aliases] if aliases else new
            self._node_names.extend(fresh)
            ix.update(zip(fresh, range(start, start + len(fresh)), strict=True))
            self._ix_n = len(self._node_names)
            if len(fresh) == len(names):  # all new, distinct: in order
                return np.arange(start, start + len(fresh), dtype=np.intp)
            get = ix.__getitem__
        return np.fromiter(map(get, names), dtype=np.intp, count=len(names))

    def _append_new_nodes(self, names: list[str]) -> NDArray[np.intp]:
        """Append nodes the caller knows to be new and distinct; return their positions.

        For a reader that tracks every node it has added (the netlist parser's column
        reader, by checked hashes): the names are validated as :meth:`add_nodes` does (all
        or nothing) but not looked up, and enter the node look-up only when it is next used
        (:meth:`node_index`, :meth:`add_nodes`, element insertion), so a circuit of
        millions of nodes whose names are never looked up builds no name dict. Names that
        turn out not to be new raise there (a bug in the caller, not a user error).
        """
        if not (
            _GROUND_SPELLINGS.isdisjoint(names)
            and all(map(isinstance, names, repeat(str)))
            and _NODES_RE.fullmatch("\n".join(names) + "\n")
        ):
            return self.add_nodes(names)  # raises for the invalid name (or a ground alias)
        start = len(self._node_names)
        self._node_names.extend(names)
        return np.arange(start, start + len(names), dtype=np.intp)

    def add_rows(self, kinds: str, names: list[str], a: Any, b: Any, values: Any) -> None:
        """Add many plain R, C, L, V or I elements at once, given node positions.

        All or nothing: any invalid name, node, value or duplicate raises a ParameterError
        naming the first offender, as the element-by-element methods would, and nothing is
        added. The elements are rows only: no per-element object is made.

        Parameters
        ----------
        kinds : str
            One kind letter for all elements, or one letter per element (``"RRCV..."``).
        names : list of str
            Element names (unique, case-insensitive, also against the circuit's own).
        a, b : array of int
            Positions in :attr:`nodes` of each element's first and second node (e.g. from
            :meth:`add_nodes`).
        values : array of float
            Ohm (R, > 0), farad (C, > 0), henry (L, > 0), volt or ampere (V, I: DC value).

        Raises
        ------
        ParameterError
            An invalid name, node position or value, or a duplicate name.
        """
        checked = self._row_columns(kinds, names, a, b, values)
        if checked is None:
            return
        codes, ia, ib, vals = checked
        k = len(names)
        if not all(map(isinstance, names, repeat(str))) or not _NAMES_RE.fullmatch(
            "\n".join(names) + "\n"
        ):
            first = next(nm for nm in names if not (isinstance(nm, str) and _NAME_RE.match(nm)))
            self._add(Element(kind="R", name=first, nodes=("0", "0"), value=1.0))  # raises
        low = list(map(str.lower, names))
        start = len(self._names)
        if self._lower is not None and start + k < _BULK_INDEX:
            lower = self._lower
            lower.update(zip(low, range(start, start + k), strict=True))
            unique = len(lower) == start + k
        else:
            # large circuits: no name dict while building (made on first lookup); duplicate
            # names found through the sorted hashes of the lower-case names
            if self._hashes is None:
                old_low = map(str.lower, self._names)
                self._hashes = np.sort(np.fromiter(map(hash, old_low), np.int64, start))
                self._lower = None
            h = np.sort(np.fromiter(map(hash, low), dtype=np.int64, count=k))
            unique = not (h[1:] == h[:-1]).any() and not _hits(self._hashes, h).any()
            if unique:
                self._hashes = np.sort(np.concatenate([self._hashes, h]), kind="stable")
        if not unique:  # a duplicate (or a hash collision): exact check, naming the first one
            self._lower = None
            old = self._lower_map()
            if len(set(low)) == k and old.keys().isdisjoint(low):  # a hash collision only
                old.update(zip(low, range(start, start + k), strict=True))
                self._append_rows(names, codes, ia, ib, vals)
                return
            self._raise_duplicate(names, low, old)
        self._append_rows(names, codes, ia, ib, vals)

    def _add_unique_rows(self, kinds: str, names: list[str], a: Any, b: Any, values: Any) -> None:
        """:meth:`add_rows` for a caller that has checked the names itself.

        The caller guarantees that every name is valid (as :meth:`add_rows` checks) and
        that no two of them, nor any of them and an element's name, are equal ignoring
        case (the netlist parser's column reader, by exactly checked hashes). Kinds, node
        positions and values are checked as :meth:`add_rows` does; the names are neither
        checked nor lowered nor hashed, and the name look-up is made on first use.
        """
        checked = self._row_columns(kinds, names, a, b, values)
        if checked is None:
            return
        self._lower = None
        self._hashes = None
        self._append_rows(names, *checked)

    def _row_columns(
        self, kinds: str, names: list[str], a: Any, b: Any, values: Any
    ) -> tuple[NDArray[np.uint8], NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]] | None:
        """Kind codes, node positions and values of rows to add, checked (None: no rows)."""
        k = len(names)
        vals = np.asarray(values, dtype=np.float64).reshape(-1)
        ia = np.asarray(a, dtype=np.intp).reshape(-1)
        ib = np.asarray(b, dtype=np.intp).reshape(-1)
        if not (vals.size == ia.size == ib.size == k) or (len(kinds) not in (1, k)):
            raise ParameterError(
                f"Circuit.add_rows needs one kind, first node, second node and value per "
                f"name ({k}); got {len(kinds)}, {ia.size}, {ib.size} and {vals.size}."
            )
        if k == 0:
            return None
        if not set(kinds) <= set(ROW_KINDS):
            raise ParameterError(
                f"The 'kinds' parameter of Circuit.add_rows must use the letters "
                f"{ROW_KINDS!r}; got {sorted(set(kinds) - set(ROW_KINDS))}."
            )
        n_nodes = len(self._node_names)
        if ia.min() < 0 or ib.min() < 0 or ia.max() >= n_nodes or ib.max() >= n_nodes:
            raise ParameterError(
                f"Circuit.add_rows: node positions must lie in [0, {n_nodes - 1}] (positions "
                "in Circuit.nodes, e.g. from Circuit.add_nodes)."
            )
        codes = (
            np.full(k, _CODE[kinds], np.uint8)
            if len(kinds) == 1
            else _KIND_LUT[np.frombuffer(kinds.encode("ascii"), np.uint8)]
        )
        positive = np.isin(codes, _POSITIVE_CODES)
        bad = np.flatnonzero(~np.isfinite(vals) | (positive & ~(vals > 0)))
        if bad.size:
            i = int(bad[0])
            kind = KIND_CODES[codes[i]]
            what = {"R": "r", "C": "c", "L": "l", "V": "dc", "I": "dc"}[kind]
            if kind in _POSITIVE:
                unit = {"R": "ohm", "C": "F", "L": "H"}[kind]
                check_positive(float(vals[i]), what, names[i], unit)
            check_finite(float(vals[i]), what, names[i])
            raise ParameterError(f"The '{what}' parameter of {names[i]} must be finite.")
        return codes, ia, ib, vals

    def _raise_duplicate(
        self, names: Sequence[str], low: Sequence[str], existing: dict[str, int]
    ) -> None:
        """Raise for the first of ``names`` that repeats an existing or an earlier new name."""
        seen: set[str] = set()
        for nm, lo in zip(names, low, strict=True):
            if lo in existing or lo in seen:
                prev = (
                    self._names[existing[lo]]
                    if lo in existing
                    else next(x for x in names if x.lower() == lo)
                )
                raise ParameterError(
                    f"Circuit {self.title!r} already has an element named {prev!r} (names "
                    f"are case-insensitive, as in SPICE); cannot add {nm!r}."
                )
            seen.add(lo)

    def _append_rows(
        self,
        names: list[str],
        codes: NDArray[np.uint8],
        ia: NDArray[np.intp],
        ib: NDArray[np.intp],
        vals: NDArray[np.float64],
    ) -> None:
        self._names.extend(names)
        self._kind.extend(codes)
        self._a.extend(ia)
        self._b.extend(ib)
        self._value.extend(vals)
        self._version += len(names)

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
        would. Elements and nodes are inserted in the given order, so the circuit is the
        one the element-by-element calls would build.
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
        lower = self._lower_map()
        if len(set(low)) != k or not lower.keys().isdisjoint(low):
            self._raise_duplicate(names, low, lower)
        canon: dict[Any, str] = {}
        inter: list[str] = []
        for nm, x, y in zip(names, n1, n2, strict=True):
            p = canon.get(x)
            if p is None:
                p = canon[x] = self._node(x, "first", nm)
            q = canon.get(y)
            if q is None:
                q = canon[y] = self._node(y, "second", nm)
            inter.append(p)
            inter.append(q)
        pos = self.add_nodes(inter)
        self.add_rows("R", list(names), pos[0::2], pos[1::2], vals)

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
        i = self._lower_map()[el.name.lower()]
        if float(el.value) != float(self._value.get(i)):
            self._value.set(i, float(el.value))
        if is_row(el):
            self._obj.pop(i, None)
        else:
            self._obj[i] = el
        self._version += 1

    # -- checks ------------------------------------------------------------------------
    def validate(self) -> None:
        """Check cross references (controlling sources of F/H exist and are V sources)."""
        for el in self._obj.values():
            if el.kind in "FH":
                i = self._lower_map().get(str(el.control).lower())
                if i is None:
                    raise NetlistError(
                        f"{KINDS[el.kind]} {el.name!r} is controlled by unknown source "
                        f"{el.control!r}."
                    )
                kind = KIND_CODES[int(self._kind.get(i))]
                if kind != "V":
                    raise NetlistError(
                        f"{KINDS[el.kind]} {el.name!r} must be controlled by a voltage source; "
                        f"{self._names[i]!r} is a {KINDS[kind]}."
                    )

    def memristors(self) -> list[Element]:
        """Return the memristor elements."""
        return [e for _, e in sorted(self._obj.items()) if e.kind == "M"]

    def has_dynamics(self) -> bool:
        """Return True if the circuit has capacitors, inductors or memristors."""
        return bool(np.isin(self._kind.array(), _DYNAMIC_CODES).any())


class _NodeIndex(Mapping[str, int]):
    """Read-only live view of a circuit's node look-up (completed on first use)."""

    __slots__ = ("_circuit",)

    def __init__(self, circuit: Circuit) -> None:
        self._circuit = circuit

    def __getitem__(self, key: str) -> int:
        return self._circuit._index()[key]

    def get(self, key: str, default: Any = None) -> Any:  # noqa: D102 - Mapping.get
        return self._circuit._index().get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._circuit._index()

    def __iter__(self) -> Any:
        return iter(self._circuit._index())

    def __len__(self) -> int:
        return len(self._circuit._index())

    def __repr__(self) -> str:
        return f"node_index({self._circuit.title!r})"

    def resolve(self) -> dict[str, int]:
        """Return the circuit's (live, append-only) look-up dict itself, completed."""
        return self._circuit._index()


def _hits(sorted_h: NDArray[np.int64], h: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Entries of ``h`` that occur in the sorted array ``sorted_h``."""
    if sorted_h.size == 0:
        return np.zeros(h.size, dtype=bool)
    i = np.minimum(np.searchsorted(sorted_h, h), sorted_h.size - 1)
    return np.asarray(sorted_h[i] == h)


#: Element count from which add_rows keeps no name dict while building (see _lower_map).
_BULK_INDEX = 100_000
_KIND_LUT = np.full(256, 255, np.uint8)
for _i, _k in enumerate(KIND_CODES):
    _KIND_LUT[ord(_k)] = _i
_POSITIVE_CODES = np.array([_CODE[k] for k in _POSITIVE], np.uint8)
_DYNAMIC_CODES = np.array([_CODE[k] for k in "CLM"], np.uint8)


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


__all__ = [
    "Circuit",
    "Element",
    "GROUND",
    "KINDS",
    "KIND_CODES",
    "ROW_KINDS",
    "SPICE_LETTER",
    "is_ground",
    "is_row",
]
