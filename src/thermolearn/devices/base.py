"""The device contract that circuits, crossbars and algorithms rely on.

A two-terminal device is described by a frozen parameter dataclass and a model object with
vectorised kernels. A memristor adds an internal state ``x`` (dimensionless unless the model
says otherwise) with bounds and dynamics. Every memristor model has a SPICE twin: a
subcircuit in ``thermolearn/spice_models/`` with ports ``(p, n)`` and a parameter ``x0``
(initial state), built from B sources and a 1 F state capacitor whose voltage *is* the state.

Sign convention: ``v`` is V(p) − V(n); ``current`` is the current flowing from p through the
device to n.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from thermolearn.numerics import central_difference

Array = NDArray[np.float64]


class TwoTerminalDevice(ABC):
    """A (possibly nonlinear) memoryless two-terminal device, vectorised over arrays."""

    #: Short name used in the catalogue and the CLI.
    name: ClassVar[str] = ""

    @abstractmethod
    def current(self, v: ArrayLike) -> Array:
        """Return the current (A) from p to n at voltage ``v`` (V)."""

    def didv(self, v: ArrayLike) -> Array:
        """Small-signal conductance dI/dV (S); default: central difference."""
        vv = np.asarray(v, dtype=float)
        return central_difference(self.current, vv, 1e-6 * np.maximum(1.0, np.abs(vv)))


class MemristorModel(ABC):
    """A memristive device: I = f(V, x), dx/dt = g(V, x), x within ``state_bounds``.

    Subclasses hold a frozen ``params`` dataclass and implement :meth:`current` and
    :meth:`dxdt`; everything is vectorised and broadcasts ``v`` against ``x``.
    """

    name: ClassVar[str] = ""
    #: Name of the SPICE subcircuit in spice_models/ (ports p n; parameter x0).
    spice_name: ClassVar[str] = ""
    #: The twin's state-capacitor voltage is ``x / spice_state_scale`` (1 V per unit of x by
    #: default; e.g. 1e-9 for a gap in metres held as nanometres, 1e3 for ohms as kΩ).
    spice_state_scale: ClassVar[float] = 1.0
    #: False when the twin has no state node (e.g. a fixed conductance: a plain resistor).
    spice_has_state: ClassVar[bool] = True
    params: Any

    # -- physics -------------------------------------------------------------------------
    @property
    @abstractmethod
    def state_bounds(self) -> tuple[float, float]:
        """Lower and upper bound of the state variable."""

    @abstractmethod
    def current(self, v: ArrayLike, x: ArrayLike) -> Array:
        """Return the current (A) from p to n at voltage ``v`` (V) and state ``x``."""

    @abstractmethod
    def dxdt(self, v: ArrayLike, x: ArrayLike) -> Array:
        """State derivative (1/s) at voltage ``v`` and state ``x``."""

    def didv(self, v: ArrayLike, x: ArrayLike) -> Array:
        """Small-signal conductance dI/dV (S) at fixed state; default: central difference."""
        vv = np.asarray(v, dtype=float)
        return central_difference(
            lambda u: self.current(u, x), vv, 1e-6 * np.maximum(1.0, np.abs(vv))
        )

    def conductance(self, x: ArrayLike, v_read: float = 0.1) -> Array:
        """Chord conductance I/V (S) at a read voltage ``v_read`` and state ``x``."""
        return self.current(v_read, x) / v_read

    def step(self, v: ArrayLike, x: ArrayLike, dt: float) -> Array:
        """Advance the state by ``dt`` at constant ``v`` (classical RK4, clipped to bounds)."""
        xx = np.asarray(x, dtype=float)
        k1 = self.dxdt(v, xx)
        k2 = self.dxdt(v, self.clip(xx + 0.5 * dt * k1))
        k3 = self.dxdt(v, self.clip(xx + 0.5 * dt * k2))
        k4 = self.dxdt(v, self.clip(xx + dt * k3))
        return self.clip(xx + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4))

    def clip(self, x: ArrayLike) -> Array:
        """Clip a state to ``state_bounds``."""
        lo, hi = self.state_bounds
        return np.asarray(np.clip(np.asarray(x, dtype=float), lo, hi), dtype=np.float64)

    # -- SPICE twin ----------------------------------------------------------------------
    @abstractmethod
    def spice_library(self) -> str:
        """Return the ``.subckt`` text (with this instance's parameters) of the SPICE twin."""

    def spice_instance(self, name: str, n_plus: str, n_minus: str, x0: float) -> str:
        """Return an ``X`` line instantiating the twin between ``n_plus`` and ``n_minus``."""
        x0_spice = float(x0) / self.spice_state_scale
        return f"X{name} {n_plus} {n_minus} {self.subckt_name} params: x0={x0_spice!r}"

    @property
    def subckt_name(self) -> str:
        """Name of this instance's subcircuit (unique per parameter set)."""
        import hashlib

        digest = hashlib.sha1(repr(self.params).encode()).hexdigest()[:8]
        return f"{self.spice_name}_{digest}"
