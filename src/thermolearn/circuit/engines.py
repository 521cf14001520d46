"""Engines behind one factory keyed by name: ``"python"`` (sparse MNA) or ``"ngspice"``.

``operating_point(circuit, engine=..., **options)`` and
``transient(circuit, t_stop, dt, engine=..., **options)`` return the same result types whichever
engine runs. Each engine owns and checks its options: an option the engine does not have, or a
value it cannot honour (ngspice has no backward-Euler or fixed-step mode), raises
:class:`~thermolearn.errors.ParameterError` naming the option, instead of being dropped.

=================  ===========================================  =========================
analysis           ``"python"`` options                         ``"ngspice"`` options
=================  ===========================================  =========================
operating point    ``options`` (NewtonOptions), ``initial``     ``options`` (.options card)
transient          ``method`` ("be" | "trap"), ``adaptive``,    ``method`` ("trap"),
                   ``uic``, ``reltol``, ``vabstol``,            ``adaptive`` (True), ``uic``,
                   ``max_step``, ``options`` (NewtonOptions)    ``options`` (.options card)
=================  ===========================================  =========================

PySpice is imported only by the ngspice engine's runner, and only when a netlist runs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

import numpy as np

from thermolearn.circuit import mna
from thermolearn.circuit.circuit import Circuit
from thermolearn.circuit.results import OperatingPoint, TransientResult
from thermolearn.circuit.spice import ngspice_engine
from thermolearn.errors import ParameterError
from thermolearn.validation import check_choice

#: Engine names.
ENGINES = ("python", "ngspice")


def check_options(
    given: dict[str, Any], allowed: Iterable[str], engine: str, analysis: str
) -> None:
    """Raise ParameterError naming the first option in ``given`` that is not in ``allowed``."""
    allowed = sorted(allowed)
    for key in given:
        if key not in allowed:
            raise ParameterError(
                f"The {key!r} option is not an option of the {engine} engine's {analysis}; "
                f"its options are {', '.join(allowed)}. Remove it, or choose the engine that "
                "has it."
            )


class Engine(ABC):
    """An engine: a name, the options it takes, and the two analyses."""

    #: name used by :func:`get_engine`
    name: str = ""
    #: option names of :meth:`operating_point`
    op_options: frozenset[str] = frozenset()
    #: option names of :meth:`transient`
    tran_options: frozenset[str] = frozenset()

    def operating_point(self, circuit: Circuit, **options: Any) -> OperatingPoint:
        """DC operating point; unknown options raise ParameterError."""
        check_options(options, self.op_options, self.name, "operating_point")
        return self._operating_point(circuit, **options)

    def transient(
        self, circuit: Circuit, t_stop: float, dt: float, **options: Any
    ) -> TransientResult:
        """Transient analysis; unknown or unsupported options raise ParameterError."""
        check_options(options, self.tran_options, self.name, "transient")
        for flag in ("uic", "adaptive"):
            # a string such as "false" is truthy: only real booleans are accepted
            if flag in options and not isinstance(options[flag], bool | np.bool_):
                raise ParameterError(
                    f"The '{flag}' option of the {self.name} engine's transient must be True or "
                    f"False; got {options[flag]!r}."
                )
        return self._transient(circuit, t_stop, dt, **options)

    @abstractmethod
    def _operating_point(self, circuit: Circuit, **options: Any) -> OperatingPoint: ...

    @abstractmethod
    def _transient(
        self, circuit: Circuit, t_stop: float, dt: float, **options: Any
    ) -> TransientResult: ...


class PythonEngine(Engine):
    """Sparse MNA engine (:mod:`thermolearn.circuit.mna`)."""

    name = "python"
    op_options = frozenset({"options", "initial"})
    tran_options = frozenset(
        {"method", "adaptive", "uic", "reltol", "vabstol", "max_step", "options"}
    )

    def _operating_point(self, circuit: Circuit, **options: Any) -> OperatingPoint:
        opts = options.get("options")
        if opts is not None and not isinstance(opts, mna.NewtonOptions):
            raise ParameterError(
                "The 'options' option of the python engine must be a NewtonOptions; "
                f"got {opts!r}."
            )
        return mna.operating_point(circuit, **options)

    def _transient(
        self, circuit: Circuit, t_stop: float, dt: float, **options: Any
    ) -> TransientResult:
        opts = options.get("options")
        if opts is not None and not isinstance(opts, mna.NewtonOptions):
            raise ParameterError(
                "The 'options' option of the python engine must be a NewtonOptions; "
                f"got {opts!r}."
            )
        return mna.transient(circuit, t_stop, dt, **options)


class NgspiceEngine(Engine):
    """ngspice through PySpice (:mod:`thermolearn.circuit.spice.ngspice_engine`)."""

    name = "ngspice"
    op_options = frozenset({"options"})
    tran_options = frozenset({"method", "adaptive", "uic", "options"})

    def _operating_point(self, circuit: Circuit, **options: Any) -> OperatingPoint:
        _check_card(options)
        return ngspice_engine.operating_point(circuit, **options)

    def _transient(
        self, circuit: Circuit, t_stop: float, dt: float, **options: Any
    ) -> TransientResult:
        _check_card(options)
        method = options.pop("method", "trap")
        if method != "trap":
            raise ParameterError(
                f"The 'method' option of the ngspice engine's transient must be 'trap' "
                f"(ngspice integrates with its trapezoidal rule); got {method!r}. Use "
                "engine='python' for backward Euler."
            )
        adaptive = options.pop("adaptive", True)
        if adaptive is not True:
            raise ParameterError(
                f"The 'adaptive' option of the ngspice engine's transient must be True "
                f"(ngspice always adapts its step, at most dt); got {adaptive!r}. Use "
                "engine='python' for a fixed step."
            )
        return ngspice_engine.transient(circuit, t_stop, dt, **options)


def _check_card(options: dict[str, Any]) -> None:
    card = options.get("options")
    if card is not None and not (isinstance(card, str) and card.lstrip().lower().startswith(".op")):
        raise ParameterError(
            "The 'options' option of the ngspice engine must be an '.options ...' card (str); "
            f"got {card!r}."
        )


_ENGINES: dict[str, type[Engine]] = {"python": PythonEngine, "ngspice": NgspiceEngine}


def get_engine(name: str) -> Engine:
    """Return the engine called ``name`` (``"python"`` or ``"ngspice"``)."""
    check_choice(name, "engine", "get_engine", ENGINES)
    return _ENGINES[name]()


def operating_point(circuit: Circuit, engine: str = "python", **options: Any) -> OperatingPoint:
    """DC operating point of ``circuit`` with the named engine.

    Parameters
    ----------
    circuit : Circuit
        The circuit.
    engine : {"python", "ngspice"}
        Which engine solves it.
    **options
        Options of that engine (python: ``options`` = NewtonOptions, ``initial`` = dict of
        node voltages; ngspice: ``options`` = ``.options`` card).

    Returns
    -------
    OperatingPoint

    Raises
    ------
    ParameterError
        An option the engine does not have.
    """
    return get_engine(engine).operating_point(circuit, **options)


def transient(
    circuit: Circuit, t_stop: float, dt: float, engine: str = "python", **options: Any
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
    **options
        Options of that engine. Python (:func:`thermolearn.circuit.mna.transient`):
        ``method`` ("be", default, or "trap"), ``adaptive`` (default False), ``uic``,
        ``reltol``, ``vabstol``, ``max_step``, ``options``. ngspice: ``method`` ("trap" only),
        ``adaptive`` (True only: ngspice always adapts, with step <= dt), ``uic``,
        ``options`` (``.options`` card).

    Returns
    -------
    TransientResult

    Raises
    ------
    ParameterError
        An option the engine does not have, or a value it cannot honour (e.g.
        ``engine="ngspice", method="be"``).
    """
    return get_engine(engine).transient(circuit, t_stop, dt, **options)


__all__ = [
    "ENGINES",
    "Engine",
    "NgspiceEngine",
    "PythonEngine",
    "check_options",
    "get_engine",
    "operating_point",
    "transient",
]
