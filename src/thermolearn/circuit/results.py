"""Results shared by both engines: :class:`OperatingPoint` and :class:`TransientResult`.

The Python (MNA) and ngspice engines fill the same result types, so a caller never needs to
know which engine ran.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    from thermolearn.circuit.circuit import Circuit

Array = NDArray[np.float64]


class NamedValues(Mapping[str, float]):
    """A read-only name -> value mapping over an array (no Python object per entry).

    A large circuit's operating point has millions of node voltages and element currents;
    building a ``dict`` of them costs about a microsecond per entry, more than the solve.
    This mapping keeps the names and an array of values and looks a name up through
    ``index`` (name -> position in ``values``), either given (shared, e.g. a compiled
    circuit's node index) or built on the first lookup. It behaves as a read-only ``dict``
    (``m[name]``, ``in``, iteration in order, ``items()``, ``len``, ``==`` with a dict);
    :meth:`copy` gives a real ``dict``.

    Parameters
    ----------
    names : list of str
        Keys, in order.
    values : ndarray (len(names),)
        Values (float).
    index : mapping of str to int, optional
        Name -> position in ``values`` (may hold extra names; those mapping outside
        ``values`` or to another name's position are not keys).
    offset : int
        Added to ``index``'s positions (e.g. 1 when ``index`` counts ground as -1 and
        ``values[0]`` is ground).
    """

    __slots__ = ("_names", "_values", "_index", "_offset")

    def __init__(
        self,
        names: list[str],
        values: Array,
        index: Mapping[str, int] | None = None,
        offset: int = 0,
    ) -> None:
        self._names = names
        self._values = np.asarray(values, dtype=float)
        self._index = index
        self._offset = offset
        if self._values.shape != (len(names),):
            raise ParameterError(
                f"NamedValues needs one value per name; got {self._values.shape} for "
                f"{len(names)} names."
            )

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle the names and values (the index is rebuilt on the first lookup)."""
        return (NamedValues, (self._names, self._values))

    def _position(self, key: Any) -> int:
        if self._index is None:
            self._index = dict(zip(self._names, range(len(self._names)), strict=True))
            self._offset = 0
        elif not isinstance(self._index, dict) and hasattr(self._index, "resolve"):
            self._index = self._index.resolve()  # a circuit's node index, completed once
        i = self._index.get(key) if isinstance(key, str) else None
        if i is None:
            raise KeyError(key)
        i += self._offset
        if not 0 <= i < len(self._names) or self._names[i] != key:
            raise KeyError(key)
        return i

    def __getitem__(self, key: str) -> float:
        return float(self._values[self._position(key)])

    def __contains__(self, key: object) -> bool:
        try:
            self._position(key)
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def items(self) -> Any:
        """Return (name, value) pairs in order."""
        return zip(self._names, self._values.tolist(), strict=True)

    def values(self) -> Any:
        """Return the values in order (a list of float)."""
        return self._values.tolist()

    def array(self) -> Array:
        """Return the values as a read-only array, in key order."""
        out = self._values.view()
        out.flags.writeable = False
        return out

    def copy(self) -> dict[str, float]:
        """Return a ``dict`` with the same entries."""
        return dict(self.items())

    def __repr__(self) -> str:
        head = ", ".join(
            f"{k!r}: {v!r}"
            for k, v in zip(self._names[:4], self._values[:4].tolist(), strict=False)
        )
        more = ", ..." if len(self._names) > 4 else ""
        return f"NamedValues({{{head}{more}}}, {len(self._names)} entries)"


@dataclass
class OperatingPoint:
    """A DC operating point.

    Attributes
    ----------
    voltages : mapping of str to float
        Node voltages, V (ground ``"0"`` included): a ``dict`` or, from the Python
        engine, a :class:`NamedValues` over the solution array.
    currents : mapping of str to float
        Every element's current from its first node to its second, A (voltage sources: the
        SPICE branch current); a ``dict`` or a :class:`NamedValues`.
    states : dict of str to float
        Memristor states used.
    engine : str
        ``"python"`` or ``"ngspice"``.
    iterations : int
        Newton iterations (0 for a direct linear solve; -1 if unknown).
    residual : float
        Largest KCL residual over the nodes, A (NaN when not computed).
    """

    voltages: Mapping[str, float]
    currents: Mapping[str, float]
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


__all__ = ["NamedValues", "OperatingPoint", "TransientResult"]
