"""The Shockley diode with series resistance: one vectorised kernel for every layer.

``I = I_s (exp((V - I R_s)/(n V_T)) - 1)`` is solved in closed form with the Wright omega
function ω(z) = W(e^z) (a Lambert-W branch that does not overflow):
``I = (n V_T / R_s) ω(ln(I_s R_s/(n V_T)) + (V + I_s R_s)/(n V_T)) - I_s`` (R_s > 0), or the
explicit law for R_s = 0; V_T = k T / q. :class:`~thermolearn.devices.passive.Diode` (and with it
the MNA engine's diode stamps) evaluates these functions, and the exporter writes the same
IS, N, RS and temperature into the ngspice ``.model`` card.

References
----------
.. [1] W. Shockley, Bell Syst. Tech. J. 28, 435 (1949).
.. [2] T. C. Banwell and A. Jayakumar, "Exact analytical solution for current flow through
   diode with series resistance", Electron. Lett. 36, 291 (2000).
.. [3] F. N. Fritsch, R. E. Shafer, W. P. Crowley, "Algorithm 443: Solution of the
   transcendental equation w e^w = x", Commun. ACM 16, 123 (1973) -- the iteration refining ω.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from thermolearn.physics import K_B, Q_E

Array = NDArray[np.float64]


def wright_omega(z: ArrayLike) -> Array:
    """Wright omega function ω(z), the solution of ω + ln ω = z, vectorised.

    ω = e^z to machine precision for z < −40; otherwise a start e^z (z < 1) or z − ln z
    (z ≥ 1) is refined by two Fritsch–Shafer–Crowley iterations (quartic convergence), accurate
    to a few ulp (checked against :func:`scipy.special.wrightomega` in the tests).
    """
    z = np.asarray(z, dtype=np.float64)
    w = np.exp(np.minimum(z, -40.0))
    act = z >= -40.0
    if np.any(act):
        za = z[act]
        big = za >= 1.0
        wa = np.where(big, za - np.log(np.maximum(za, 1.0)), np.exp(np.minimum(za, 1.0)))
        for _ in range(3):
            r = za - wa - np.log(wa)
            zz = 2.0 * (1.0 + wa) * (1.0 + wa + (2.0 / 3.0) * r)
            wa = wa * (1.0 + r / (1.0 + wa) * (zz - r) / (zz - 2.0 * r))
        w[act] = wa
    return np.asarray(w, dtype=np.float64)


def shockley_current(v: ArrayLike, i_s: float, n: float, r_s: float, temperature: float) -> Array:
    """Return the current (A) of a Shockley diode with series resistance ``r_s`` at ``v``.

    Parameters
    ----------
    v : array_like
        Terminal voltage anode - cathode, V.
    i_s : float
        Saturation current, A.
    n : float
        Emission coefficient.
    r_s : float
        Series resistance, ohm (0: the explicit law).
    temperature : float
        Junction temperature, K (V_T = k T / q).

    Returns
    -------
    ndarray
        ``I`` solving ``I = I_s (exp((v - I r_s)/(n V_T)) - 1)`` exactly, A.
    """
    vv = np.asarray(v, dtype=np.float64)
    phi = n * K_B * temperature / Q_E
    if r_s == 0.0:
        return np.asarray(i_s * np.expm1(np.minimum(vv / phi, 700.0)), dtype=np.float64)
    z = math.log(i_s * r_s / phi) + (vv + i_s * r_s) / phi
    return np.asarray(phi / r_s * wright_omega(z) - i_s, dtype=np.float64)


def shockley_conductance(
    v: ArrayLike, i_s: float, n: float, r_s: float, temperature: float
) -> Array:
    """Return the exact small-signal conductance 1/(r_s + n V_T/(I + I_s)) at ``v``, S."""
    return shockley_current_and_conductance(v, i_s, n, r_s, temperature)[1]


def shockley_current_and_conductance(
    v: ArrayLike, i_s: float, n: float, r_s: float, temperature: float
) -> tuple[Array, Array]:
    """Return (current A, conductance S) at ``v`` from one evaluation of the law."""
    i = shockley_current(v, i_s, n, r_s, temperature)
    gd = (i + i_s) / (n * K_B * temperature / Q_E)
    return i, np.asarray(gd / (1.0 + r_s * gd), dtype=np.float64)


__all__ = [
    "shockley_conductance",
    "shockley_current",
    "shockley_current_and_conductance",
    "wright_omega",
]
