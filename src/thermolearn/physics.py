"""Physical constants and closed forms used across thermolearn.

All quantities are SI. Every function here is a pure function on floats or arrays; the
tests hold each to the numbers in the team's reference sheet (``shared/REFERENCES.md``).

References
----------
.. [1] R. Landauer, "Irreversibility and heat generation in the computing process",
   IBM J. Res. Dev. 5, 183 (1961).
.. [2] J. B. Johnson, Phys. Rev. 32, 97 (1928); H. Nyquist, Phys. Rev. 32, 110 (1928).
.. [3] W. Schottky, Ann. Phys. 362, 541 (1918) (shot noise).
.. [4] Adiabatic charging: a linear ramp of duration T through R into C dissipates
   (RC/T) C V^2 [1 - (RC/T)(1 - exp(-T/RC))]; e.g. W. C. Athas et al., IEEE Trans. VLSI
   Syst. 2, 398 (1994).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from thermolearn.errors import ParameterError
from thermolearn.validation import check_nonnegative, check_positive

#: Boltzmann constant, J/K (exact, SI 2019).
K_B: float = 1.380649e-23
#: Elementary charge, C (exact, SI 2019).
Q_E: float = 1.602176634e-19
#: Planck constant, J s (exact, SI 2019).
H_PLANCK: float = 6.62607015e-34
#: Conductance quantum 2e^2/h, S.
G0: float = 2 * Q_E**2 / H_PLANCK
#: Default temperature, K.
T_ROOM: float = 300.0
LN2: float = math.log(2.0)


def thermal_energy(temperature: float = T_ROOM) -> float:
    """Return kT in joules at ``temperature`` (K)."""
    return K_B * check_positive(temperature, "temperature", "thermal_energy", "K")


def landauer_limit(temperature: float = T_ROOM) -> float:
    """Return the Landauer bound kT ln 2 in joules per erased bit at ``temperature`` (K)."""
    return thermal_energy(temperature) * LN2


def joules_to_kt_ln2(joules: ArrayLike, temperature: float = T_ROOM) -> NDArray[np.float64]:
    """Express an energy (J) in units of kT ln 2 at ``temperature``."""
    return np.asarray(joules, dtype=float) / landauer_limit(temperature)


def johnson_noise_vrms(resistance: float, bandwidth: float, temperature: float = T_ROOM) -> float:
    """RMS open-circuit Johnson voltage noise sqrt(4 k T R B) in volts.

    10 kΩ over 1 MHz at 300 K gives 12.9 µV.
    """
    r = check_positive(resistance, "resistance", "johnson_noise_vrms", "ohm")
    b = check_positive(bandwidth, "bandwidth", "johnson_noise_vrms", "Hz")
    return math.sqrt(4 * thermal_energy(temperature) * r * b)


def johnson_noise_irms(
    conductance: ArrayLike, bandwidth: float, temperature: float = T_ROOM
) -> NDArray[np.float64]:
    """RMS short-circuit Johnson current noise sqrt(4 k T G B) in amperes."""
    g = np.asarray(conductance, dtype=float)
    if np.any(g < 0) or not np.all(np.isfinite(g)):
        raise_param("conductance", "johnson_noise_irms", g, ">= 0 S and finite")
    b = check_positive(bandwidth, "bandwidth", "johnson_noise_irms", "Hz")
    return np.sqrt(4 * thermal_energy(temperature) * g * b)


def ktc_noise_vrms(capacitance: float, temperature: float = T_ROOM) -> float:
    """RMS equilibrium voltage on a capacitor, sqrt(kT/C), in volts (2.04 mV at 1 fF, 300 K)."""
    c = check_positive(capacitance, "capacitance", "ktc_noise_vrms", "F")
    return math.sqrt(thermal_energy(temperature) / c)


def shot_noise_density(current: float) -> float:
    """One-sided shot-noise current density sqrt(2 q |I|) in A/sqrt(Hz) (0.566 pA/√Hz at 1 µA)."""
    i = abs(float(current))
    if not math.isfinite(i):
        raise_param("current", "shot_noise_density", current, "finite")
    return math.sqrt(2 * Q_E * i)


def rc_step_loss(capacitance: float, voltage: float) -> float:
    """Energy (J) dissipated charging C from 0 to V by a voltage step through any R: ½CV²."""
    c = check_positive(capacitance, "capacitance", "rc_step_loss", "F")
    return 0.5 * c * float(voltage) ** 2


def rc_ramp_loss(resistance: float, capacitance: float, voltage: float, ramp_time: float) -> float:
    """Energy (J) dissipated in R while a linear ramp 0→V over ``ramp_time`` charges C.

    E = (τ/T) C V² [1 − (τ/T)(1 − e^{−T/τ})] with τ = RC, measured until the end of the ramp
    plus the tail in which C settles to V. For T ≫ RC this tends to (RC/T) C V²
    (0.09 CV² at T = 10 RC); for T → 0 it tends to ½CV².
    """
    r = check_positive(resistance, "resistance", "rc_ramp_loss", "ohm")
    c = check_positive(capacitance, "capacitance", "rc_ramp_loss", "F")
    t = check_nonnegative(ramp_time, "ramp_time", "rc_ramp_loss", "s")
    v2 = float(voltage) ** 2
    if t == 0.0:
        return 0.5 * c * v2
    a = r * c / t
    return a * c * v2 * (1.0 - a * (-math.expm1(-1.0 / a)))


def rc_step_response(
    t: ArrayLike, resistance: float, capacitance: float, voltage: float
) -> NDArray[np.float64]:
    """Capacitor voltage V(1 − e^{−t/RC}) after a step at t = 0 (zero for t < 0)."""
    tau = check_positive(resistance, "resistance", "rc_step_response", "ohm") * check_positive(
        capacitance, "capacitance", "rc_step_response", "F"
    )
    tt = np.asarray(t, dtype=float)
    return np.where(tt < 0, 0.0, float(voltage) * -np.expm1(-np.maximum(tt, 0) / tau))


def binary_entropy_nats(p: ArrayLike) -> NDArray[np.float64]:
    """Binary entropy H_b(p) in nats, with 0 ln 0 = 0."""
    pp = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -(
            np.where(pp > 0, pp * np.log(pp), 0.0) + np.where(pp < 1, (1 - pp) * np.log1p(-pp), 0.0)
        )
    return np.asarray(h, dtype=float)


def raise_param(name: str, owner: str, value: object, requirement: str) -> None:
    """Raise ParameterError for ``name`` of ``owner`` that must satisfy ``requirement``."""
    raise ParameterError(f"The '{name}' parameter of {owner} must be {requirement}; got {value!r}.")
