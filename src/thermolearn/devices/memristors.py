"""Memristor compact models, vectorised over arrays of devices, each with a SPICE twin.

Every model holds a frozen, validated parameter dataclass (SI units) and implements the
:class:`~thermolearn.devices.base.MemristorModel` contract. The Python kernels mirror the
twin's B-source expressions term by term (``thermolearn/spice_models/*.lib``): the state used
inside I(V, x) and the window is clamped to the state bounds, and a hard stop zeroes any
velocity that would push the state out of them.

References
----------
.. [1] D. B. Strukov, G. S. Snider, D. R. Stewart and R. S. Williams, "The missing memristor
   found", Nature 453, 80 (2008).
.. [2] S. Kvatinsky, M. Ramadan, E. G. Friedman and A. Kolodny, "VTEAM: A general model for
   voltage-controlled memristors", IEEE TCAS-II 62, 786 (2015).
.. [3] C. Yakopcic, T. M. Taha, G. Subramanyam and R. E. Pino, "Generalized memristive device
   SPICE model and its application in circuit design", IEEE TCAD 32, 1201 (2013).
.. [4] X. Guan, S. Yu and H.-S. P. Wong, "A SPICE compact model of metal oxide resistive
   switching memory with variations", IEEE EDL 33, 1405 (2012); Z. Jiang et al., "A compact
   model for metal-oxide resistive random access memory with experiment verification",
   IEEE TED 63, 1884 (2016).
.. [5] I. Messaris et al., "A data-driven Verilog-A ReRAM model", IEEE TCAD 37, 3151 (2018).
"""

from __future__ import annotations

import math
from abc import abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike

from thermolearn.devices import windows as win
from thermolearn.devices.base import Array, MemristorModel
from thermolearn.devices.spice_lib import render_subckt
from thermolearn.errors import ParameterError
from thermolearn.physics import K_B, Q_E
from thermolearn.validation import (
    check_choice,
    check_finite,
    check_greater,
    check_nonnegative,
    check_positive,
    check_range,
)

_WIN_CODE = {"none": 0.0, "joglekar": 1.0, "biolek": 2.0, "prodromakis": 3.0, "kvatinsky": 4.0}


def _f(x: ArrayLike) -> Array:
    return np.asarray(x, dtype=float)


class _TwinFromLibrary(MemristorModel):
    """Mixin: the twin is a template subcircuit rendered with ``spice_params()``."""

    spice_file: ClassVar[str] = ""

    @abstractmethod
    def spice_params(self) -> dict[str, float]:
        """Parameter values of the twin's ``.subckt`` line (SPICE units, see the .lib)."""

    def spice_library(self) -> str:
        """Render the twin's ``.subckt`` with this instance's parameters."""
        return render_subckt(
            self.spice_file, self.spice_name, self.subckt_name, self.spice_params()
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params!r})"


# ---------------------------------------------------------------------------------------
# HP / Strukov linear ion drift
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class LinearIonDriftParams:
    """Parameters of the HP/Strukov linear ion drift memristor.

    Attributes
    ----------
    r_on : float
        Resistance (ohm) when fully doped (x = 1).
    r_off : float
        Resistance (ohm) when undoped (x = 0); must exceed ``r_on``.
    d : float
        Film thickness D (m).
    mu_v : float
        Dopant mobility (m^2 V^-1 s^-1).
    window : {"none", "joglekar", "biolek", "prodromakis"}
        Window function f(x).
    p : float
        Window exponent (Joglekar/Biolek use (.)^(2p); Prodromakis (.)^p).
    j : float
        Prodromakis window scale.
    """

    r_on: float = 100.0
    r_off: float = 16e3
    d: float = 10e-9
    mu_v: float = 1e-14
    window: str = "joglekar"
    p: float = 1.0
    j: float = 1.0

    def __post_init__(self) -> None:
        o = "LinearIonDrift"
        check_positive(self.r_on, "r_on", o, "ohm")
        check_positive(self.r_off, "r_off", o, "ohm")
        check_greater(self.r_off, "r_off", o, self.r_on, "r_on", "ohm")
        check_positive(self.d, "d", o, "m")
        check_positive(self.mu_v, "mu_v", o, "m^2/(V s)")
        check_choice(self.window, "window", o, win.WINDOWS)
        check_positive(self.p, "p", o)
        check_positive(self.j, "j", o)

    @property
    def k(self) -> float:
        """State rate per ampere mu_v r_on / D^2 (1/(A s))."""
        return self.mu_v * self.r_on / self.d**2


class LinearIonDrift(_TwinFromLibrary):
    """HP/Strukov linear ion drift memristor with a choice of window.

    ``v = [R_on x + R_off (1 - x)] i``, ``dx/dt = (mu_v R_on / D^2) i f(x)``, x = w/D in [0, 1].

    References
    ----------
    Strukov et al., Nature 453, 80 (2008); windows: Joglekar & Wolf (2009), Biolek et al.
    (2009), Prodromakis et al. (2011).
    """

    name = "linear_ion_drift"
    spice_name = "tl_linear_ion_drift"
    spice_file = "linear_ion_drift.lib"

    def __init__(self, params: LinearIonDriftParams | None = None, **kwargs: float | str) -> None:
        self.params = params if params is not None else LinearIonDriftParams(**kwargs)  # type: ignore[arg-type]

    @property
    def state_bounds(self) -> tuple[float, float]:
        """The state x = w/D lies in [0, 1]."""
        return (0.0, 1.0)

    def resistance(self, x: ArrayLike) -> Array:
        """Memristance R(x) = R_on x + R_off (1 - x) (ohm)."""
        xc = np.clip(_f(x), 0.0, 1.0)
        return np.asarray(self.params.r_on * xc + self.params.r_off * (1.0 - xc), dtype=np.float64)

    def current(self, v: ArrayLike, x: ArrayLike) -> Array:
        """Return the current (A): v / R(x)."""
        return _f(v) / self.resistance(x)

    def window(self, v: ArrayLike, x: ArrayLike) -> Array:
        """Evaluate the window f(x) (Biolek's depends on the sign of the current, i.e. of v)."""
        pr = self.params
        if pr.window == "joglekar":
            return win.joglekar(x, pr.p)
        if pr.window == "biolek":
            return win.biolek(x, pr.p, v)
        if pr.window == "prodromakis":
            return win.prodromakis(x, pr.p, pr.j)
        return np.ones(np.broadcast(_f(v), _f(x)).shape)

    def dxdt(self, v: ArrayLike, x: ArrayLike) -> Array:
        """State velocity (1/s): k i f(x), hard-stopped at 0 and 1."""
        rate = self.params.k * self.current(v, x) * self.window(v, x)
        return win.hard_bounds(rate, x, 0.0, 1.0)

    def spice_params(self) -> dict[str, float]:
        """Twin parameters (see ``linear_ion_drift.lib``)."""
        pr = self.params
        return {
            "ron": pr.r_on,
            "roff": pr.r_off,
            "k": pr.k,
            "pw": pr.p,
            "j": pr.j,
            "win": _WIN_CODE[pr.window],
        }


# ---------------------------------------------------------------------------------------
# VTEAM
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class VTEAMParams:
    """Parameters of the VTEAM threshold memristor, with a normalised state.

    The state is x = (w - w_on)/(w_off - w_on) in [0, 1] (0 = ON, 1 = OFF), so the paper's
    k_off and k_on (m/s) appear here divided by (w_off - w_on), in 1/s.

    Attributes
    ----------
    r_on, r_off : float
        ON and OFF resistances (ohm), r_off > r_on.
    k_off : float
        Rate (1/s, > 0) towards OFF for v > v_off.
    k_on : float
        Rate (1/s, < 0) towards ON for v < v_on.
    v_off : float
        OFF threshold (V, > 0).
    v_on : float
        ON threshold (V, < 0).
    alpha_off, alpha_on : float
        Exponents of the threshold nonlinearity (> 0).
    resistance : {"linear", "exponential"}
        R(x) = r_on + (r_off - r_on) x, or r_on exp(ln(r_off/r_on) x).
    window : {"none", "joglekar", "biolek", "prodromakis", "kvatinsky"}
        Window function; ``"kvatinsky"`` uses ``a_on``, ``a_off`` and ``w_c``.
    p, j : float
        Joglekar/Biolek/Prodromakis window exponent and scale.
    a_on, a_off, w_c : float
        Kvatinsky window positions and width (normalised units).
    """

    r_on: float = 50.0
    r_off: float = 1000.0
    k_off: float = 1e4
    k_on: float = -1e4
    v_off: float = 0.3
    v_on: float = -0.3
    alpha_off: float = 3.0
    alpha_on: float = 3.0
    resistance: str = "linear"
    window: str = "kvatinsky"
    p: float = 1.0
    j: float = 1.0
    a_on: float = 0.0
    a_off: float = 1.0
    w_c: float = 0.1

    def __post_init__(self) -> None:
        o = "VTEAM"
        check_positive(self.r_on, "r_on", o, "ohm")
        check_positive(self.r_off, "r_off", o, "ohm")
        check_greater(self.r_off, "r_off", o, self.r_on, "r_on", "ohm")
        check_positive(self.k_off, "k_off", o, "1/s")
        if not check_finite(self.k_on, "k_on", o) < 0:
            raise ParameterError(f"The 'k_on' parameter of {o} must be < 0 1/s; got {self.k_on!r}.")
        check_positive(self.v_off, "v_off", o, "V")
        if not check_finite(self.v_on, "v_on", o) < 0:
            raise ParameterError(f"The 'v_on' parameter of {o} must be < 0 V; got {self.v_on!r}.")
        check_positive(self.alpha_off, "alpha_off", o)
        check_positive(self.alpha_on, "alpha_on", o)
        check_choice(self.resistance, "resistance", o, ("linear", "exponential"))
        check_choice(self.window, "window", o, (*win.WINDOWS, "kvatinsky"))
        check_positive(self.p, "p", o)
        check_positive(self.j, "j", o)
        check_finite(self.a_on, "a_on", o)
        check_finite(self.a_off, "a_off", o)
        check_positive(self.w_c, "w_c", o)


class VTEAM(_TwinFromLibrary):
    """VTEAM voltage-threshold memristor (linear or exponential R(x)).

    Below both thresholds (v_on < v < v_off) the state does not move at all, so reads at a
    voltage inside that band never disturb it.

    References
    ----------
    Kvatinsky, Ramadan, Friedman, Kolodny, IEEE TCAS-II 62, 786 (2015).
    """

    name = "vteam"
    spice_name = "tl_vteam"
    spice_file = "vteam.lib"

    def __init__(self, params: VTEAMParams | None = None, **kwargs: float | str) -> None:
        self.params = params if params is not None else VTEAMParams(**kwargs)  # type: ignore[arg-type]

    @property
    def state_bounds(self) -> tuple[float, float]:
        """The normalised state lies in [0, 1] (0 = ON)."""
        return (0.0, 1.0)

    def resistance(self, x: ArrayLike) -> Array:
        """R(x) (ohm), linear or exponential in x."""
        pr = self.params
        xc = np.clip(_f(x), 0.0, 1.0)
        if pr.resistance == "exponential":
            return np.asarray(pr.r_on * np.exp(math.log(pr.r_off / pr.r_on) * xc), dtype=np.float64)
        return np.asarray(pr.r_on + (pr.r_off - pr.r_on) * xc, dtype=np.float64)

    def current(self, v: ArrayLike, x: ArrayLike) -> Array:
        """Return the current (A): v / R(x)."""
        return _f(v) / self.resistance(x)

    def state_at_conductance(self, g: ArrayLike, v_read: float = 0.1) -> Array:
        """Return the state whose chord conductance is ``g`` (S): R(x) = 1/g in closed form.

        VTEAM is ohmic at fixed state, so ``v_read`` does not enter; targets outside
        [1/r_off, 1/r_on] end at the state bounds. (Replaces a 50-step bisection when the EP
        controller writes 157,000 devices per update.)
        """
        pr = self.params
        r = 1.0 / np.asarray(g, dtype=np.float64)
        if pr.resistance == "exponential":
            x = np.log(r / pr.r_on) / math.log(pr.r_off / pr.r_on)
        else:
            x = (r - pr.r_on) / (pr.r_off - pr.r_on)
        return np.asarray(np.clip(x, 0.0, 1.0), dtype=np.float64)

    def _g(self, v: Array) -> Array:
        pr = self.params
        # evaluated only above the thresholds (reads below them are most of the calls)
        out = np.zeros(np.shape(v))
        vv = np.broadcast_to(v, out.shape)
        up = vv > pr.v_off
        if np.any(up):
            out[up] = pr.k_off * (vv[up] / pr.v_off - 1.0) ** pr.alpha_off
        down = vv < pr.v_on
        if np.any(down):
            out[down] = pr.k_on * (vv[down] / pr.v_on - 1.0) ** pr.alpha_on
        return out

    def window(self, v: ArrayLike, x: ArrayLike) -> Array:
        """Evaluate the window for the direction set by the sign of v (positive v raises x)."""
        pr = self.params
        vv = _f(v)
        if pr.window == "kvatinsky" and np.ndim(vv) == 0:
            # one drive for every device (a programming pulse): only its direction's window
            x_arr = _f(x)
            return np.asarray(win.kvatinsky_off(x_arr, pr.a_off, pr.w_c) if vv > 0.0
                              else win.kvatinsky_on(x_arr, pr.a_on, pr.w_c), dtype=np.float64)
        if pr.window == "kvatinsky":
            return np.where(
                vv > 0.0,
                win.kvatinsky_off(x, pr.a_off, pr.w_c),
                win.kvatinsky_on(x, pr.a_on, pr.w_c),
            )
        if pr.window == "joglekar":
            return win.joglekar(x, pr.p)
        if pr.window == "biolek":
            return win.biolek(x, pr.p, vv)
        if pr.window == "prodromakis":
            return win.prodromakis(x, pr.p, pr.j)
        return np.ones(np.broadcast(vv, _f(x)).shape)

    def dxdt(self, v: ArrayLike, x: ArrayLike) -> Array:
        """State velocity (1/s); exactly zero for v_on <= v <= v_off."""
        vv = _f(v)
        g = self._g(vv)
        if not np.any(g):
            # every drop inside the threshold band (an admissible read): the window and the
            # bounds cannot change a zero velocity, so skip them (the same zeros, computed
            # once; a read of a large crossbar is millions of drops)
            return np.zeros(np.broadcast(vv, _f(x)).shape)
        return win.hard_bounds(g * self.window(vv, x), x, 0.0, 1.0)

    def spice_params(self) -> dict[str, float]:
        """Twin parameters (see ``vteam.lib``)."""
        pr = self.params
        return {
            "ron": pr.r_on,
            "roff": pr.r_off,
            "koff": pr.k_off,
            "kon": pr.k_on,
            "voff": pr.v_off,
            "von": pr.v_on,
            "aoff": pr.alpha_off,
            "aon": pr.alpha_on,
            "rexp": 1.0 if pr.resistance == "exponential" else 0.0,
            "win": _WIN_CODE[pr.window],
            "pw": pr.p,
            "j": pr.j,
            "awon": pr.a_on,
            "awoff": pr.a_off,
            "wc": pr.w_c,
        }


# ---------------------------------------------------------------------------------------
# Yakopcic
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class YakopcicParams:
    """Parameters of the Yakopcic generalised memristor model (state x in [0, 1]).

    Attributes
    ----------
    a1, a2 : float
        Current prefactors (A) for V >= 0 and V < 0.
    b : float
        sinh slope (1/V).
    v_p, v_n : float
        Positive and negative switching thresholds (V, >= 0).
    a_p, a_n : float
        Switching rate magnitudes (1/s).
    x_p, x_n : float
        State where the positive/negative motion starts to slow, in [0, 1).
    alpha_p, alpha_n : float
        Decay constants of the state-dependent motion (>= 0).
    eta : float
        Direction of motion relative to the voltage sign (+1 or -1).
    """

    a1: float = 0.17
    a2: float = 0.17
    b: float = 0.05
    v_p: float = 0.16
    v_n: float = 0.15
    a_p: float = 4000.0
    a_n: float = 4000.0
    x_p: float = 0.3
    x_n: float = 0.5
    alpha_p: float = 1.0
    alpha_n: float = 5.0
    eta: float = 1.0

    def __post_init__(self) -> None:
        o = "Yakopcic"
        check_positive(self.a1, "a1", o, "A")
        check_positive(self.a2, "a2", o, "A")
        check_positive(self.b, "b", o, "1/V")
        check_nonnegative(self.v_p, "v_p", o, "V")
        check_nonnegative(self.v_n, "v_n", o, "V")
        check_nonnegative(self.a_p, "a_p", o, "1/s")
        check_nonnegative(self.a_n, "a_n", o, "1/s")
        check_range(self.x_p, "x_p", o, 0.0, 1.0, inclusive=(True, False))
        check_range(self.x_n, "x_n", o, 0.0, 1.0, inclusive=(True, False))
        check_nonnegative(self.alpha_p, "alpha_p", o)
        check_nonnegative(self.alpha_n, "alpha_n", o)
        if self.eta not in (1.0, -1.0):
            raise ParameterError(f"The 'eta' parameter of {o} must be +1 or -1; got {self.eta!r}.")


class Yakopcic(_TwinFromLibrary):
    """Yakopcic generalised memristor: sinh I-V, exponential thresholds, state-dependent motion.

    References
    ----------
    Yakopcic, Taha, Subramanyam, Pino, IEEE TCAD 32, 1201 (2013).
    """

    name = "yakopcic"
    spice_name = "tl_yakopcic"
    spice_file = "yakopcic.lib"

    def __init__(self, params: YakopcicParams | None = None, **kwargs: float) -> None:
        self.params = params if params is not None else YakopcicParams(**kwargs)

    @property
    def state_bounds(self) -> tuple[float, float]:
        """The state lies in [0, 1]."""
        return (0.0, 1.0)

    def current(self, v: ArrayLike, x: ArrayLike) -> Array:
        """Return the current (A): a1 x sinh(bV) for V >= 0, a2 x sinh(bV) for V < 0."""
        pr = self.params
        vv = _f(v)
        xc = np.clip(_f(x), 0.0, 1.0)
        return np.asarray(
            np.where(vv >= 0.0, pr.a1, pr.a2) * xc * np.sinh(pr.b * vv), dtype=np.float64
        )

    def g(self, v: ArrayLike) -> Array:
        """Threshold function g(V) (1/s)."""
        pr = self.params
        vv = _f(v)
        pos = pr.a_p * (np.exp(vv) - math.exp(pr.v_p))
        neg = -pr.a_n * (np.exp(-vv) - math.exp(pr.v_n))
        return np.where(vv > pr.v_p, pos, np.where(vv < -pr.v_n, neg, 0.0))

    def f(self, v: ArrayLike, x: ArrayLike) -> Array:
        """State-dependent motion factor f(x) for the direction of eta g(V)."""
        pr = self.params
        xc = np.clip(_f(x), 0.0, 1.0)
        rising = pr.eta * self.g(v) > 0.0
        f_up = np.where(
            xc >= pr.x_p,
            np.exp(-pr.alpha_p * (xc - pr.x_p)) * ((pr.x_p - xc) / (1.0 - pr.x_p) + 1.0),
            1.0,
        )
        f_dn = np.where(
            xc <= 1.0 - pr.x_n,
            np.exp(pr.alpha_n * (xc + pr.x_n - 1.0)) * xc / (1.0 - pr.x_n),
            1.0,
        )
        return np.where(rising, f_up, f_dn)

    def dxdt(self, v: ArrayLike, x: ArrayLike) -> Array:
        """State velocity (1/s): eta g(V) f(x), hard-stopped at 0 and 1."""
        rate = self.params.eta * self.g(v) * self.f(v, x)
        return win.hard_bounds(rate, x, 0.0, 1.0)

    def spice_params(self) -> dict[str, float]:
        """Twin parameters (see ``yakopcic.lib``)."""
        pr = self.params
        return {
            "a1": pr.a1, "a2": pr.a2, "b": pr.b, "vp": pr.v_p, "vn": pr.v_n,
            "ap": pr.a_p, "an": pr.a_n, "xp": pr.x_p, "xn": pr.x_n,
            "alp": pr.alpha_p, "aln": pr.alpha_n, "eta": pr.eta,
        }  # fmt: skip


# ---------------------------------------------------------------------------------------
# Stanford-PKU RRAM
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class StanfordPKUParams:
    """Parameters of the Stanford-PKU oxide RRAM gap model (state: gap g in metres).

    Attributes
    ----------
    i0 : float
        Current prefactor (A).
    g0 : float
        Current decay length of the gap (m).
    v0 : float
        Voltage scale of the sinh I-V (V).
    vel0 : float
        Attempt velocity of the gap (m/s).
    activation_energy : float
        Activation energy of oxygen-vacancy motion (eV).
    a0 : float
        Atomic hopping distance (m).
    tox : float
        Oxide thickness (m).
    gamma0, beta : float
        Field-enhancement factor gamma = gamma0 - beta (g/g1)^3.
    g1 : float
        Gap scale of the enhancement factor (m).
    t0 : float
        Ambient temperature (K).
    r_th : float
        Effective thermal resistance (K/W): T = t0 + |V I| r_th.
    g_min, g_max : float
        Gap bounds (m).
    """

    i0: float = 1e-3
    g0: float = 0.25e-9
    v0: float = 0.25
    vel0: float = 10.0
    activation_energy: float = 0.6
    a0: float = 0.25e-9
    tox: float = 5e-9
    gamma0: float = 16.0
    beta: float = 0.8
    g1: float = 1e-9
    t0: float = 298.0
    r_th: float = 2.1e3
    g_min: float = 0.1e-9
    g_max: float = 1.7e-9

    def __post_init__(self) -> None:
        o = "StanfordPKU"
        check_positive(self.i0, "i0", o, "A")
        check_positive(self.g0, "g0", o, "m")
        check_positive(self.v0, "v0", o, "V")
        check_positive(self.vel0, "vel0", o, "m/s")
        check_positive(self.activation_energy, "activation_energy", o, "eV")
        check_positive(self.a0, "a0", o, "m")
        check_positive(self.tox, "tox", o, "m")
        check_finite(self.gamma0, "gamma0", o)
        check_nonnegative(self.beta, "beta", o)
        check_positive(self.g1, "g1", o, "m")
        check_positive(self.t0, "t0", o, "K")
        check_nonnegative(self.r_th, "r_th", o, "K/W")
        check_positive(self.g_min, "g_min", o, "m")
        check_positive(self.g_max, "g_max", o, "m")
        check_greater(self.g_max, "g_max", o, self.g_min, "g_min", "m")


class StanfordPKU(_TwinFromLibrary):
    """Stanford-PKU oxide RRAM: tunnelling gap with Arrhenius motion and local Joule heating.

    ``I = I0 exp(-g/g0) sinh(V/V0)``; ``T = T0 + |V I| R_th``;
    ``dg/dt = -v0 exp(-Ea/kT) sinh(gamma a0 q V/(tox k T))``. Positive V closes the gap (SET).
    The state is the gap in metres; the twin holds it in nanometres.

    References
    ----------
    Guan, Yu, Wong, IEEE EDL 33, 1405 (2012); Jiang et al., IEEE TED 63, 1884 (2016).
    """

    name = "stanford_pku"
    spice_name = "tl_stanford_pku"
    spice_file = "stanford_pku.lib"
    spice_state_scale = 1e-9

    def __init__(self, params: StanfordPKUParams | None = None, **kwargs: float) -> None:
        self.params = params if params is not None else StanfordPKUParams(**kwargs)

    @property
    def state_bounds(self) -> tuple[float, float]:
        """Gap bounds (m)."""
        return (self.params.g_min, self.params.g_max)

    def current(self, v: ArrayLike, x: ArrayLike) -> Array:
        """Tunnelling current (A)."""
        pr = self.params
        g = np.clip(_f(x), pr.g_min, pr.g_max)
        return np.asarray(pr.i0 * np.exp(-g / pr.g0) * np.sinh(_f(v) / pr.v0), dtype=np.float64)

    def temperature(self, v: ArrayLike, x: ArrayLike) -> Array:
        """Local filament temperature (K) with Joule heating."""
        return np.asarray(
            self.params.t0 + np.abs(_f(v) * self.current(v, x)) * self.params.r_th, dtype=np.float64
        )

    def dxdt(self, v: ArrayLike, x: ArrayLike) -> Array:
        """Gap velocity (m/s), hard-stopped at g_min and g_max."""
        pr = self.params
        vv = _f(v)
        g = np.clip(_f(x), pr.g_min, pr.g_max)
        t = self.temperature(vv, x)
        gamma = pr.gamma0 - pr.beta * (g / pr.g1) ** 3
        rate = (
            -pr.vel0
            * np.exp(-pr.activation_energy * Q_E / (K_B * t))
            * np.sinh(gamma * pr.a0 * Q_E * vv / (pr.tox * K_B * t))
        )
        return win.hard_bounds(rate, x, pr.g_min, pr.g_max)

    def spice_params(self) -> dict[str, float]:
        """Twin parameters (see ``stanford_pku.lib``)."""
        pr = self.params
        return {
            "i0": pr.i0, "g0nm": pr.g0 * 1e9, "v0": pr.v0, "vel0nm": pr.vel0 * 1e9,
            "eak": pr.activation_energy * Q_E / K_B, "hop": pr.a0 * Q_E / (pr.tox * K_B),
            "gam0": pr.gamma0, "beta": pr.beta, "g1nm": pr.g1 * 1e9, "t0": pr.t0,
            "rth": pr.r_th, "gminnm": pr.g_min * 1e9, "gmaxnm": pr.g_max * 1e9,
        }  # fmt: skip


# ---------------------------------------------------------------------------------------
# Data-driven TiOx
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class DataDrivenTiOxParams:
    """Parameters of the data-driven TiOx model (state: resistance R in ohms).

    ``dR/dt = s(v) (r(v) - R)^2`` on the active side of the threshold line r(v), with
    ``s(v) = A (e^{|v|/t} - 1)`` and ``r(v) = a0 + a1 v`` per polarity.

    Attributes
    ----------
    a_p, a_n : float
        Switching sensitivity magnitudes (1/(ohm s)).
    t_p, t_n : float
        Voltage scales of the sensitivity (V).
    a0_p, a1_p : float
        Positive threshold line r_p(v) = a0_p + a1_p v (ohm, ohm/V).
    a0_n, a1_n : float
        Negative threshold line r_n(v) = a0_n + a1_n v (ohm, ohm/V).
    r_min, r_max : float
        Resistance bounds (ohm).
    """

    a_p: float = 4.86e-5
    a_n: float = 1.09e-3
    t_p: float = 0.12
    t_n: float = 0.18
    a0_p: float = 17.16e3
    a1_p: float = 0.15e3
    a0_n: float = 24.81e3
    a1_n: float = 17.91e3
    r_min: float = 1e3
    r_max: float = 1e5

    def __post_init__(self) -> None:
        o = "DataDrivenTiOx"
        check_positive(self.a_p, "a_p", o, "1/(ohm s)")
        check_positive(self.a_n, "a_n", o, "1/(ohm s)")
        check_positive(self.t_p, "t_p", o, "V")
        check_positive(self.t_n, "t_n", o, "V")
        check_positive(self.a0_p, "a0_p", o, "ohm")
        check_finite(self.a1_p, "a1_p", o)
        check_positive(self.a0_n, "a0_n", o, "ohm")
        check_finite(self.a1_n, "a1_n", o)
        check_positive(self.r_min, "r_min", o, "ohm")
        check_positive(self.r_max, "r_max", o, "ohm")
        check_greater(self.r_max, "r_max", o, self.r_min, "r_min", "ohm")


class DataDrivenTiOx(_TwinFromLibrary):
    """Data-driven TiOx ReRAM (Messaris et al.): the state is the resistance R (ohm).

    Positive bias drives R up towards the threshold line r_p(v); negative bias drives it
    down towards r_n(v); beyond its line a polarity does nothing. The read is ohmic,
    I = V/R (the paper defines R as V/I at a 0.2 V read). The fitted magnitudes are the
    paper's eq. (9)-(10); its printed sign of A_p contradicts the direction its text and
    Fig. 2 give, and we follow the text.

    References
    ----------
    Messaris et al., IEEE TCAD 37, 3151 (2018).
    """

    name = "tiox_data_driven"
    spice_name = "tl_tiox_data_driven"
    spice_file = "tiox_data_driven.lib"
    spice_state_scale = 1e3

    def __init__(self, params: DataDrivenTiOxParams | None = None, **kwargs: float) -> None:
        self.params = params if params is not None else DataDrivenTiOxParams(**kwargs)

    @property
    def state_bounds(self) -> tuple[float, float]:
        """Resistance bounds (ohm)."""
        return (self.params.r_min, self.params.r_max)

    def current(self, v: ArrayLike, x: ArrayLike) -> Array:
        """Ohmic current V/R (A)."""
        pr = self.params
        return _f(v) / np.clip(_f(x), pr.r_min, pr.r_max)

    def dxdt(self, v: ArrayLike, x: ArrayLike) -> Array:
        """dR/dt (ohm/s), hard-stopped at r_min and r_max."""
        pr = self.params
        vv = _f(v)
        r = np.clip(_f(x), pr.r_min, pr.r_max)
        up = pr.a_p * np.expm1(vv / pr.t_p) * np.maximum(pr.a0_p + pr.a1_p * vv - r, 0.0) ** 2
        down = -pr.a_n * np.expm1(-vv / pr.t_n) * np.maximum(r - pr.a0_n - pr.a1_n * vv, 0.0) ** 2
        return win.hard_bounds(np.where(vv > 0.0, up, down), x, pr.r_min, pr.r_max)

    def spice_params(self) -> dict[str, float]:
        """Twin parameters (see ``tiox_data_driven.lib``)."""
        pr = self.params
        return {
            "ap": pr.a_p, "an": pr.a_n, "tp": pr.t_p, "tn": pr.t_n,
            "a0p": pr.a0_p, "a1p": pr.a1_p, "a0n": pr.a0_n, "a1n": pr.a1_n,
            "rmin": pr.r_min, "rmax": pr.r_max,
        }  # fmt: skip


# ---------------------------------------------------------------------------------------
# Ideal programmable conductance
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class LinearConductanceParams:
    """Bounds of an ideal programmable conductance (S)."""

    g_min: float = 1e-6
    g_max: float = 1e-4

    def __post_init__(self) -> None:
        o = "LinearConductance"
        check_positive(self.g_min, "g_min", o, "S")
        check_positive(self.g_max, "g_max", o, "S")
        check_greater(self.g_max, "g_max", o, self.g_min, "g_min", "S")


class LinearConductance(_TwinFromLibrary):
    """An ideal memristor-like device whose state x *is* its conductance (S).

    I = x V; dx/dt = 0 (the state changes only when programmed: :meth:`program_to`).
    The SPICE twin is a plain resistor of 1/x0 ohms.
    """

    name = "linear_conductance"
    spice_name = "tl_linear_conductance"
    spice_file = "linear_conductance.lib"
    spice_has_state = False

    def __init__(self, params: LinearConductanceParams | None = None, **kwargs: float) -> None:
        self.params = params if params is not None else LinearConductanceParams(**kwargs)

    @property
    def state_bounds(self) -> tuple[float, float]:
        """Conductance bounds (S)."""
        return (self.params.g_min, self.params.g_max)

    def current(self, v: ArrayLike, x: ArrayLike) -> Array:
        """Ohmic current x V (A), x clipped to [g_min, g_max]."""
        return self.clip(x) * _f(v)

    def didv(self, v: ArrayLike, x: ArrayLike) -> Array:
        """dI/dV = x (S), exact (x clipped to [g_min, g_max])."""
        return np.broadcast_to(self.clip(x), np.broadcast(_f(v), _f(x)).shape).astype(float)

    def spice_instance(self, name: str, n_plus: str, n_minus: str, x0: float) -> str:
        """Return the ``X`` line of the twin with x0 clipped to [g_min, g_max]."""
        return super().spice_instance(name, n_plus, n_minus, float(self.clip(x0)))

    def dxdt(self, v: ArrayLike, x: ArrayLike) -> Array:
        """Zero: the conductance does not drift under a read or any bias."""
        return np.zeros(np.broadcast(_f(v), _f(x)).shape)

    def program_to(self, target: ArrayLike) -> Array:
        """Set the conductance to ``target`` (S), clipped to [g_min, g_max]."""
        return self.clip(target)

    def spice_params(self) -> dict[str, float]:
        """Return no parameters: the twin has none besides x0."""
        return {}


MEMRISTOR_MODELS: dict[str, type[MemristorModel]] = {
    cls.name: cls
    for cls in (LinearIonDrift, VTEAM, Yakopcic, StanfordPKU, DataDrivenTiOx, LinearConductance)
}

__all__ = [
    "LinearIonDriftParams",
    "LinearIonDrift",
    "VTEAMParams",
    "VTEAM",
    "YakopcicParams",
    "Yakopcic",
    "StanfordPKUParams",
    "StanfordPKU",
    "DataDrivenTiOxParams",
    "DataDrivenTiOx",
    "LinearConductanceParams",
    "LinearConductance",
    "MEMRISTOR_MODELS",
]
