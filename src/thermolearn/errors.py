"""The one exception module of thermolearn.

Every error that thermolearn raises on purpose derives from :class:`ThermolearnError`.
Invalid parameters raise :class:`ParameterError`, which is also a ``ValueError`` so that
callers who catch ``ValueError`` keep working.
"""

from __future__ import annotations


class ThermolearnError(Exception):
    """Base class of every error raised by thermolearn."""


class ParameterError(ThermolearnError, ValueError):
    """An invalid parameter or input, reported at the point of the mistake.

    The message names the parameter, the object it belongs to and the offending value.
    """


class ConvergenceError(ThermolearnError):
    """A nonlinear solve (Newton, relaxation) did not converge.

    Attributes
    ----------
    residual : float or None
        The last residual norm (A for KCL residuals), when known.
    worst_node : str or None
        The node with the largest residual, when known.
    """

    def __init__(
        self, message: str, *, residual: float | None = None, worst_node: str | None = None
    ) -> None:
        super().__init__(message)
        self.residual = residual
        self.worst_node = worst_node


class SpiceError(ThermolearnError):
    """ngspice is missing, failed to run a netlist, or returned something unreadable."""


class NetlistError(ThermolearnError):
    """A netlist could not be parsed or built; the message names the file and line."""

    def __init__(self, message: str, *, line: int | None = None, source: str | None = None):
        where = ""
        if source is not None or line is not None:
            where = f"{source or '<netlist>'}:{line if line is not None else '?'}: "
        super().__init__(where + message)
        self.line = line
        self.source = source


__all__ = [
    "ThermolearnError",
    "ParameterError",
    "ConvergenceError",
    "SpiceError",
    "NetlistError",
]
