"""Memoryless two-terminal devices: Shockley diode with series resistance, resistor, capacitor.

The diode with series resistance ``I = I_s (exp((V - I R_s)/(n V_T)) - 1)`` is solved in
closed form by the kernel of :mod:`thermolearn.devices.shockley` (Wright omega function).

References
----------
.. [1] W. Shockley, Bell Syst. Tech. J. 28, 435 (1949).
.. [2] T. C. Banwell and A. Jayakumar, "Exact analytical solution for current flow through
   diode with series resistance", Electron. Lett. 36, 291 (2000).
"""

from __future__ import annotations

from dataclasses import dataclass

from numpy.typing import ArrayLike

from thermolearn.devices.base import Array, TwoTerminalDevice
from thermolearn.devices.shockley import (
    shockley_conductance,
    shockley_current,
    shockley_current_and_conductance,
)
from thermolearn.devices.spice_lib import render_subckt
from thermolearn.physics import K_B, Q_E, T_ROOM
from thermolearn.validation import check_nonnegative, check_positive, finite_array


@dataclass(frozen=True, slots=True, kw_only=True)
class DiodeParams:
    """Shockley diode parameters.

    Attributes
    ----------
    i_s : float
        Saturation current (A).
    n : float
        Emission (ideality) coefficient.
    r_s : float
        Series resistance (ohm, >= 0).
    temperature : float
        Device temperature (K); V_T = k T / q.
    """

    i_s: float = 1e-14
    n: float = 1.0
    r_s: float = 0.0
    temperature: float = T_ROOM

    def __post_init__(self) -> None:
        check_positive(self.i_s, "i_s", "Diode", "A")
        check_positive(self.n, "n", "Diode")
        check_nonnegative(self.r_s, "r_s", "Diode", "ohm")
        check_positive(self.temperature, "temperature", "Diode", "K")

    @property
    def v_t(self) -> float:
        """Thermal voltage k T / q (V)."""
        return K_B * self.temperature / Q_E


class Diode(TwoTerminalDevice):
    """Shockley diode with series resistance, vectorised; anode = p, cathode = n."""

    name = "diode"
    spice_name = "tl_diode"

    def __init__(self, params: DiodeParams | None = None, **kwargs: float) -> None:
        self.params = params if params is not None else DiodeParams(**kwargs)

    def current(self, v: ArrayLike) -> Array:
        """Return the current (A) at voltage ``v`` (V), series resistance solved exactly.

        Evaluates the shared kernel :func:`thermolearn.devices.shockley.shockley_current`.
        """
        pr = self.params
        vv = finite_array(v, "v", "Diode.current")
        return shockley_current(vv, pr.i_s, pr.n, pr.r_s, pr.temperature)

    def didv(self, v: ArrayLike) -> Array:
        """Exact small-signal conductance 1/(R_s + n V_T/(I + I_s)) (S)."""
        pr = self.params
        vv = finite_array(v, "v", "Diode.didv")
        return shockley_conductance(vv, pr.i_s, pr.n, pr.r_s, pr.temperature)

    def current_and_didv(self, v: ArrayLike) -> tuple[Array, Array]:
        """Return :meth:`current` and :meth:`didv` at ``v`` from one evaluation of the law."""
        pr = self.params
        vv = finite_array(v, "v", "Diode.current_and_didv")
        return shockley_current_and_conductance(vv, pr.i_s, pr.n, pr.r_s, pr.temperature)

    def spice_model_card(self, name: str = "tl_dmod") -> str:
        """Return an ngspice ``.model`` card with this diode's IS, N and RS."""
        pr = self.params
        return f".model {name} D(IS={pr.i_s!r} N={pr.n!r} RS={pr.r_s!r})"

    def spice_library(self) -> str:
        """Render the twin subcircuit ``tl_diode`` (ports a k) with this diode's parameters.

        Simulate it with ``.options temp=T tnom=T`` (T in Celsius) so IS is not rescaled.
        """
        import hashlib

        pr = self.params
        name = "tl_diode_" + hashlib.sha1(repr(pr).encode()).hexdigest()[:8]
        text = render_subckt("diode.lib", "tl_diode", name, {"is": pr.i_s, "n": pr.n, "rs": pr.r_s})
        return text.replace("tl_dmod", name + "_d")


@dataclass(frozen=True, slots=True)
class Resistor:
    """A linear resistor ``r`` (ohm)."""

    r: float

    def __post_init__(self) -> None:
        check_positive(self.r, "r", "Resistor", "ohm")

    @property
    def conductance(self) -> float:
        """1/r (S)."""
        return 1.0 / self.r

    def current(self, v: ArrayLike) -> Array:
        """Ohm's law (A)."""
        return finite_array(v, "v", "Resistor.current") / self.r

    def power(self, v: ArrayLike) -> Array:
        """Dissipated power V^2/R (W)."""
        vv = finite_array(v, "v", "Resistor.power")
        return vv * vv / self.r


@dataclass(frozen=True, slots=True)
class Capacitor:
    """A linear capacitor ``c`` (F)."""

    c: float

    def __post_init__(self) -> None:
        check_positive(self.c, "c", "Capacitor", "F")

    def charge(self, v: ArrayLike) -> Array:
        """Charge C V (C)."""
        return self.c * finite_array(v, "v", "Capacitor.charge")

    def stored_energy(self, v: ArrayLike) -> Array:
        """Return the stored energy C V^2 / 2 (J) (recoverable, not dissipated)."""
        vv = finite_array(v, "v", "Capacitor.stored_energy")
        return 0.5 * self.c * vv * vv


__all__ = ["DiodeParams", "Diode", "Resistor", "Capacitor"]
