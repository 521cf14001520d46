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


class UnphysicalHardwareError(ParameterError):
    """A hardware description outside what real devices and circuits can do.

    Raised at construction (device resistance range, settling time against the RC time of
    the nodes, thermal noise that a noiseless simulation would ignore); the message lists
    every violated limit with its parameter, value, limit and remedy.

    Attributes
    ----------
    violations : list of str
        One line per violated limit.
    """

    def __init__(self, message: str, *, violations: list[str] | None = None) -> None:
        super().__init__(message)
        self.violations = list(violations or [])


class LandauerViolationError(ThermolearnError):
    """A run dissipated less than kT ln 2 per erased or learned bit: a modelling error.

    The message names the figure that fell below the bound and the hardware parameters
    that make the simulated hardware unphysical.
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


class SolverError(ConvergenceError):
    """A solve produced non-finite values (overflow) or a numerically singular system.

    Never a silent NaN or inf: the message names the worst node (or branch) and its value;
    ``worst_node`` and ``residual`` are set as for :class:`ConvergenceError`.
    """


class SpiceError(ThermolearnError):
    """ngspice is missing, failed to run a netlist, or returned something unreadable."""


class NetlistError(ThermolearnError):
    """A netlist could not be parsed or built; the message names the file and line."""

    #: Longest message kept; a hostile netlist must not make the message itself huge.
    MAX_MESSAGE = 600

    def __init__(self, message: str, *, line: int | None = None, source: str | None = None):
        if len(message) > self.MAX_MESSAGE:  # keep the start and the end (often the cause)
            half = self.MAX_MESSAGE // 2
            message = (f"{message[:half]} …[{len(message) - 2 * half:,} characters cut]… "
                       f"{message[-half:]}")
        where = ""
        if source is not None or line is not None:
            where = f"{source or '<netlist>'}:{line if line is not None else '?'}: "
        super().__init__(where + message)
        self.line = line
        self.source = source


class CheckpointError(ThermolearnError):
    """A checkpoint, cache or run file is missing, damaged or from another run.

    The message names the file, what is wrong with it and what to do (e.g. resume from the
    other kept checkpoint, or start afresh with ``--force``).

    Attributes
    ----------
    path : str or None
        The offending file, when there is one.
    """

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class CheckpointWarning(UserWarning):
    """A damaged checkpoint or cache file was set aside and an older or recomputed one used."""


class RunDirectoryError(ThermolearnError):
    """A run directory is owned by another live run, or already holds a run.

    The message names the owner (PID and host) or the files found, and the remedy
    (``--resume``, ``--force``, another ``--out``).
    """


class RunDirectoryWarning(UserWarning):
    """A stale lock of a dead run was taken over (the message names the dead owner)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived; unwinds like Ctrl-C so that finished work and checkpoints are kept.

    The console script exits with ``128 + signum`` (143 for SIGTERM).
    """

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum


__all__ = [
    "ThermolearnError",
    "CheckpointError",
    "CheckpointWarning",
    "RunDirectoryError",
    "RunDirectoryWarning",
    "Terminated",
    "ParameterError",
    "UnphysicalHardwareError",
    "LandauerViolationError",
    "ConvergenceError",
    "SolverError",
    "SpiceError",
    "NetlistError",
]
