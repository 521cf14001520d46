"""Engines behind one factory keyed by name: ``"python"`` (sparse MNA) or ``"ngspice"``.

``operating_point(circuit, engine=...)`` and ``transient(circuit, t_stop, dt, engine=...)``
return the same result types whichever engine runs; PySpice is imported only by the ngspice
engine, and only when it runs.
"""

from __future__ import annotations

from typing import Any, Protocol

from thermolearn.circuit import mna
from thermolearn.circuit.circuit import Circuit
from thermolearn.circuit.results import OperatingPoint, TransientResult
from thermolearn.circuit.spice import ngspice_engine
from thermolearn.validation import check_choice

ENGINES = ("python", "ngspice")


class Engine(Protocol):
    """What an engine provides."""

    name: str

    def operating_point(self, circuit: Circuit, **kwargs: Any) -> OperatingPoint:
        """DC operating point."""

    def transient(
        self, circuit: Circuit, t_stop: float, dt: float, **kwargs: Any
    ) -> TransientResult:
        """Transient analysis."""


class PythonEngine:
    """Sparse MNA engine (:mod:`thermolearn.circuit.mna`)."""

    name = "python"

    def operating_point(self, circuit: Circuit, **kwargs: Any) -> OperatingPoint:
        """DC operating point."""
        return mna.operating_point(circuit, **kwargs)

    def transient(
        self, circuit: Circuit, t_stop: float, dt: float, **kwargs: Any
    ) -> TransientResult:
        """Transient analysis."""
        return mna.transient(circuit, t_stop, dt, **kwargs)


class NgspiceEngine:
    """ngspice through PySpice (:mod:`thermolearn.circuit.spice.ngspice_engine`)."""

    name = "ngspice"

    def operating_point(self, circuit: Circuit, **kwargs: Any) -> OperatingPoint:
        """DC operating point."""
        return ngspice_engine.operating_point(circuit, **kwargs)

    def transient(
        self, circuit: Circuit, t_stop: float, dt: float, **kwargs: Any
    ) -> TransientResult:
        """Transient analysis."""
        kwargs.pop("adaptive", None)
        return ngspice_engine.transient(circuit, t_stop, dt, **kwargs)


def get_engine(name: str) -> Engine:
    """Return the engine called ``name`` (``"python"`` or ``"ngspice"``)."""
    check_choice(name, "engine", "get_engine", ENGINES)
    return PythonEngine() if name == "python" else NgspiceEngine()


def operating_point(circuit: Circuit, engine: str = "python", **kwargs: Any) -> OperatingPoint:
    """DC operating point of ``circuit`` with the named engine.

    Parameters
    ----------
    circuit : Circuit
        The circuit.
    engine : {"python", "ngspice"}
        Which engine solves it.
    **kwargs
        Engine options (Python: ``options``, ``initial``; ngspice: ``options``).

    Returns
    -------
    OperatingPoint
    """
    return get_engine(engine).operating_point(circuit, **kwargs)


def transient(
    circuit: Circuit,
    t_stop: float,
    dt: float,
    engine: str = "python",
    method: str = "be",
    adaptive: bool = False,
    **kwargs: Any,
) -> TransientResult:
    """Transient analysis of ``circuit`` from 0 to ``t_stop`` with step ``dt`` (s).

    Parameters
    ----------
    circuit : Circuit
        The circuit.
    t_stop, dt : float
        End time and (maximum) step, s.
    engine : {"python", "ngspice"}
        Which engine solves it.
    method : {"be", "trap"}
        Integration method of the Python engine (ngspice uses its default, trapezoidal).
    adaptive : bool
        Adaptive LTE-controlled step (Python engine; ngspice always adapts, with step <= dt).
    **kwargs
        Engine options (``uic``, tolerances).

    Returns
    -------
    TransientResult
    """
    eng = get_engine(engine)
    if engine == "python":
        return eng.transient(circuit, t_stop, dt, method=method, adaptive=adaptive, **kwargs)
    return eng.transient(circuit, t_stop, dt, **kwargs)


__all__ = ["ENGINES", "Engine", "get_engine", "operating_point", "transient"]
