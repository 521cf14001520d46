"""Window functions of memristor state equations: pure, vectorised array kernels.

A window ``f(x)`` multiplies the state velocity of a drift model so that the state ``x`` in
[0, 1] slows down (or stops) near its edges. Every kernel here clamps ``x`` to [0, 1] before
evaluating, exactly as the SPICE twins do, so Python and ngspice see the same function.

References
----------
.. [1] Y. N. Joglekar and S. J. Wolf, "The elusive memristor: properties of basic electrical
   circuits", Eur. J. Phys. 30, 661 (2009).
.. [2] Z. Biolek, D. Biolek and V. Biolkova, "SPICE model of memristor with nonlinear dopant
   drift", Radioengineering 18, 210 (2009).
.. [3] T. Prodromakis, B. P. Peh, C. Papavassiliou and C. Toumazou, "A versatile memristor
   model with nonlinear dopant kinetics", IEEE Trans. Electron Devices 58, 3099 (2011).
.. [4] S. Kvatinsky, E. G. Friedman, A. Kolodny and U. C. Weiser, "TEAM: ThrEshold Adaptive
   Memristor model", IEEE TCAS-I 60, 211 (2013).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]

#: Window names understood by the drift models (``"kvatinsky"`` only by VTEAM).
WINDOWS = ("none", "joglekar", "biolek", "prodromakis")


def _unit(x: ArrayLike) -> Array:
    return np.asarray(np.clip(np.asarray(x, dtype=float), 0.0, 1.0), dtype=np.float64)


def joglekar(x: ArrayLike, p: float) -> Array:
    """Joglekar window ``1 - (2x - 1)^(2p)``: zero at both edges, 1 at x = 0.5."""
    return 1.0 - np.abs(2.0 * _unit(x) - 1.0) ** (2.0 * p)


def biolek(x: ArrayLike, p: float, direction: ArrayLike) -> Array:
    """Biolek window ``1 - (x - stp(-direction))^(2p)``.

    ``direction`` is the sign of the drive (the current for the HP model): for a drive that
    raises ``x`` the window is ``1 - x^(2p)`` (zero at x = 1); for one that lowers it,
    ``1 - (x - 1)^(2p)`` (zero at x = 0). ``stp(0) = 0`` as ngspice's ``u()``.
    """
    s = np.where(np.asarray(direction, dtype=float) < 0.0, 1.0, 0.0)
    return 1.0 - np.abs(_unit(x) - s) ** (2.0 * p)


def prodromakis(x: ArrayLike, p: float, j: float) -> Array:
    """Prodromakis window ``j (1 - ((x - 0.5)^2 + 0.75)^p)``: zero at x = 0 and x = 1."""
    u = _unit(x)
    return j * (1.0 - ((u - 0.5) ** 2 + 0.75) ** p)


def kvatinsky_off(x: ArrayLike, a_off: float, w_c: float) -> Array:
    """TEAM/VTEAM window for motion towards x = 1: ``exp(-exp((x - a_off)/w_c))``."""
    return np.exp(-np.exp((_unit(x) - a_off) / w_c))


def kvatinsky_on(x: ArrayLike, a_on: float, w_c: float) -> Array:
    """TEAM/VTEAM window for motion towards x = 0: ``exp(-exp(-(x - a_on)/w_c))``."""
    return np.exp(-np.exp(-(_unit(x) - a_on) / w_c))


def hard_bounds(rate: ArrayLike, x: ArrayLike, low: float, high: float) -> Array:
    """Zero a state velocity that would push ``x`` past ``[low, high]``.

    This is the hard stop that every model (and its SPICE twin, with a ternary) applies on
    top of its own window, so that no drive can carry a state out of its physical range.
    """
    r = np.asarray(rate, dtype=float)
    xx = np.asarray(x, dtype=float)
    stop = ((xx >= high) & (r > 0.0)) | ((xx <= low) & (r < 0.0))
    return np.where(stop, 0.0, r)


__all__ = [
    "WINDOWS",
    "joglekar",
    "biolek",
    "prodromakis",
    "kvatinsky_off",
    "kvatinsky_on",
    "hard_bounds",
]
