"""Adapters of the reversible layers: crossbar-executed linear maps and the digital op model.

Every linear map of a reversible layer is a :class:`~thermolearn.crossbar.linear_map.
CrossbarLinearMap` (the adapter shared with the active-inference agents) built by
:func:`make_map`; the elementwise steps are digital, with the energy model
:class:`DigitalOpEnergy`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from thermolearn.crossbar.linear_map import SOFTWARE, CrossbarLinearMap, MapErrors
from thermolearn.energy import EnergyLedger
from thermolearn.hardware import Hardware
from thermolearn.physics import T_ROOM
from thermolearn.validation import check_int, check_nonnegative

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True, kw_only=True)
class DigitalOpEnergy:
    """Energy model of the digital elementwise operations (45 nm CMOS, 32-bit float).

    Parameters
    ----------
    e_add : float
        Energy of one addition/comparison, J (0.9 pJ, Horowitz 2014 (M. Horowitz, ISSCC 2014)).
    e_mul : float
        Energy of one multiplication, J (3.7 pJ, Horowitz 2014 (M. Horowitz, ISSCC 2014)).
    transcendental_ops : int
        Multiply-add pairs of one ``exp``/``tanh``/``atanh``/``log`` evaluation (a degree-~8
        rational/polynomial approximation; dimensionless).
    """

    e_add: float = 0.9e-12
    e_mul: float = 3.7e-12
    transcendental_ops: int = 8

    def __post_init__(self) -> None:
        check_nonnegative(self.e_add, "e_add", "DigitalOpEnergy", "J")
        check_nonnegative(self.e_mul, "e_mul", "DigitalOpEnergy", "J")
        check_int(self.transcendental_ops, "transcendental_ops", "DigitalOpEnergy", minimum=0)

    def energy(
        self, *, adds: float = 0.0, muls: float = 0.0, transcendentals: float = 0.0
    ) -> float:
        """Joules of ``adds`` additions, ``muls`` multiplications and ``transcendentals``."""
        t = float(transcendentals) * self.transcendental_ops
        return (float(adds) + t) * self.e_add + (float(muls) + t) * self.e_mul


def make_map(
    W: ArrayLike,
    hardware: Hardware | str,
    *,
    rng: np.random.Generator,
    ledger: EnergyLedger,
    errors: MapErrors | None = None,
    w_max: float | None = None,
) -> CrossbarLinearMap:
    """Return ``W`` (out, in) as a crossbar-executed map (exact float64 for ``SOFTWARE``)."""
    return CrossbarLinearMap(W, hardware, rng=rng, ledger=ledger, errors=errors, w_max=w_max)


def hardware_temperature(hardware: Hardware | str) -> float:
    """Temperature of ``hardware`` (K); T_ROOM for ``SOFTWARE``."""
    return hardware.temperature if isinstance(hardware, Hardware) else T_ROOM


def with_one(x: Array) -> Array:
    """Append a constant-1 input column (the bias row of a crossbar)."""
    return np.concatenate([x, np.ones((x.shape[0], 1))], axis=1)


__all__ = [
    "CrossbarLinearMap",
    "DigitalOpEnergy",
    "MapErrors",
    "SOFTWARE",
    "hardware_temperature",
    "make_map",
    "with_one",
]
