"""Results shared by both engines: :class:`OperatingPoint` and :class:`TransientResult`.

The Python (MNA) and ngspice engines fill the same result types, so a caller never needs to
know which engine ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from thermolearn.errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    from thermolearn.circuit.circuit import Circuit

Array = NDArray[np.float64]


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


__all__ = ["OperatingPoint", "TransientResult"]
