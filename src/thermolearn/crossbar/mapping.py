"""Weight <-> conductance mapping for crossbar arrays: ranges, finite levels, differential pairs.

A memristor holds a conductance between ``g_min`` and ``g_max``; a signed weight is held by a
*differential pair* of cells, W ∝ G⁺ − G⁻, with the larger of the two carrying |W| above
``g_min`` and the other sitting at ``g_min``. Devices with a finite number of programmable
states (``levels``) are modelled by rounding to ``levels`` evenly spaced conductances.

All functions are stateless kernels on arrays; :class:`ConductanceRange` holds the parameters.

References
----------
.. [1] M. Hu et al., "Dot-product engine for neuromorphic computing: programming 1T1M
   crossbar to accelerate matrix-vector multiplication," DAC 2016 (differential mapping).
.. [2] M. Rao et al., "Thousands of conductance levels in memristors integrated on CMOS,"
   Nature 615, 823 (2023) (finite levels, 2048 states).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from thermolearn.errors import ParameterError
from thermolearn.validation import check_greater, check_int, check_positive, finite_array

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConductanceRange:
    """The programmable conductance window of a crossbar cell.

    Attributes
    ----------
    g_min : float
        Lowest programmable conductance, S (> 0).
    g_max : float
        Highest programmable conductance, S (> g_min).
    levels : int or None
        Number of programmable states (>= 2), evenly spaced in conductance; None = analog.
    """

    g_min: float = 1e-6
    g_max: float = 1e-4
    levels: int | None = None

    def __post_init__(self) -> None:
        o = "ConductanceRange"
        check_positive(self.g_min, "g_min", o, "S")
        check_positive(self.g_max, "g_max", o, "S")
        check_greater(self.g_max, "g_max", o, self.g_min, "g_min", "S")
        if self.levels is not None:
            check_int(self.levels, "levels", o, minimum=2)

    @property
    def span(self) -> float:
        """g_max − g_min (S)."""
        return self.g_max - self.g_min

    @property
    def step(self) -> float:
        """Conductance step between adjacent levels (S); 0 for an analog device."""
        return 0.0 if self.levels is None else self.span / (self.levels - 1)

    def quantize(self, g: ArrayLike) -> Array:
        """Clip ``g`` (S) to [g_min, g_max] and round it to the nearest level."""
        return quantize_conductance(g, self.g_min, self.g_max, self.levels)

    def level_values(self) -> Array:
        """Return the programmable conductances (S); raise ParameterError for an analog range."""
        if self.levels is None:
            raise ParameterError("ConductanceRange.level_values needs 'levels'; got None.")
        return np.linspace(self.g_min, self.g_max, self.levels)


def check_conductances(g: ArrayLike, name: str, owner: str) -> Array:
    """Return ``g`` as a float array, raising ParameterError for negative or non-finite values."""
    arr = finite_array(g, name, owner)
    if np.any(arr < 0):
        bad = arr[arr < 0].ravel()[0]
        raise ParameterError(
            f"The '{name}' argument of {owner} must be >= 0 S everywhere; found {bad!r}."
        )
    return arr


def quantize_conductance(
    g: ArrayLike, g_min: float, g_max: float, levels: int | None = None
) -> Array:
    """Clip conductances to [g_min, g_max] (S) and round to ``levels`` evenly spaced values.

    Parameters
    ----------
    g : array_like
        Target conductances, S (>= 0).
    g_min, g_max : float
        Conductance window, S.
    levels : int or None
        Number of states (>= 2); None leaves the clipped values analog.

    Returns
    -------
    ndarray
        Programmable conductances, S.
    """
    rng_ = ConductanceRange(g_min=g_min, g_max=g_max, levels=levels)
    gg = np.clip(check_conductances(g, "g", "quantize_conductance"), rng_.g_min, rng_.g_max)
    if levels is None:
        return gg
    k = np.rint((gg - g_min) / rng_.step)
    return np.clip(g_min + k * rng_.step, g_min, g_max)


def differential_scale(g_min: float, g_max: float, w_max: float) -> float:
    """Siemens per unit weight of a differential pair: (g_max − g_min) / w_max."""
    check_positive(w_max, "w_max", "differential_scale")
    return (g_max - g_min) / w_max


def weights_to_differential(
    w: ArrayLike, crange: ConductanceRange, w_max: float
) -> tuple[Array, Array]:
    """Map signed weights to a differential pair (G⁺, G⁻), S.

    G⁺ = g_min + s·max(W, 0), G⁻ = g_min + s·max(−W, 0) with s = (g_max − g_min)/w_max, then
    both are clipped and rounded to the range's levels. Weights beyond ±w_max saturate.

    Returns
    -------
    g_plus, g_minus : ndarray
        Same shape as ``w``.
    """
    ww = finite_array(w, "W", "weights_to_differential")
    s = differential_scale(crange.g_min, crange.g_max, w_max)
    gp = crange.g_min + s * np.maximum(ww, 0.0)
    gm = crange.g_min + s * np.maximum(-ww, 0.0)
    return crange.quantize(np.minimum(gp, crange.g_max)), crange.quantize(
        np.minimum(gm, crange.g_max)
    )


def differential_to_weights(
    g_plus: ArrayLike, g_minus: ArrayLike, crange: ConductanceRange, w_max: float
) -> Array:
    """Effective weights (G⁺ − G⁻)/s of a differential pair, with s as in the forward map."""
    s = differential_scale(crange.g_min, crange.g_max, w_max)
    diff = np.asarray(g_plus, dtype=float) - np.asarray(g_minus, dtype=float)
    return np.asarray(diff / s, dtype=float)


def weights_to_conductance(w: ArrayLike, crange: ConductanceRange, w_max: float) -> Array:
    """Map non-negative weights in [0, w_max] to single cells: g_min + s·W (S)."""
    ww = finite_array(w, "W", "weights_to_conductance")
    if np.any(ww < 0):
        raise ParameterError(
            "The 'W' argument of weights_to_conductance must be >= 0 (use a differential "
            f"pair for signed weights); found {ww[ww < 0].ravel()[0]!r}."
        )
    s = differential_scale(crange.g_min, crange.g_max, w_max)
    return crange.quantize(np.minimum(crange.g_min + s * ww, crange.g_max))


__all__ = [
    "ConductanceRange",
    "check_conductances",
    "quantize_conductance",
    "differential_scale",
    "weights_to_differential",
    "differential_to_weights",
    "weights_to_conductance",
]
