"""Physical plausibility of a hardware description, and the Landauer guard of a run.

Two checks keep thermolearn's joules-per-bit figures physical:

* :func:`check_hardware_plausible`, called when a hardware description is built: device
  resistances inside the range of real resistive devices, every node settling within the
  phase time given its RC time constant, and, when the simulation leaves thermal noise out,
  that noise negligible at the operating point (otherwise a noiseless simulation computes
  with signals that a real circuit would drown in Johnson noise). Every violated limit is
  listed in one :class:`~thermolearn.errors.UnphysicalHardwareError`, with its parameter,
  value, limit and remedy.
* :func:`landauer_guard`, called when a run ends: dissipated energy per erased bit and per
  learned bit must be at least kT ln 2 at the run's temperature [1]_. A run below is a
  modelling error (:class:`~thermolearn.errors.LandauerViolationError`), never a result.

A circuit scaled so that its devices are 1e22-Ω resistors fails the first check on three
counts (resistance, settling, noise); the guard catches whatever slips through.

References
----------
.. [1] R. Landauer, IBM J. Res. Dev. 5, 183 (1961); T. Sagawa, J. Stat. Mech. (2014) P03025.
.. [2] D. Ielmini, H.-S. P. Wong, "In-memory computing with resistive switching devices",
   Nat. Electron. 1, 333 (2018) (device resistances from tens of Ω to ~1 GΩ).
.. [3] J. B. Johnson, Phys. Rev. 32, 97 (1928); H. Nyquist, Phys. Rev. 32, 110 (1928).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from thermolearn.errors import LandauerViolationError, UnphysicalHardwareError
from thermolearn.physics import K_B, landauer_limit
from thermolearn.validation import check_nonnegative, check_positive

#: Envelope of device resistances (ohm): a decade beyond each end of the range of resistive
#: switching devices [2]_ (metallic-filament on-states of ~10 Ω to off-states of ~1 GΩ).
DEVICE_RESISTANCE_RANGE: tuple[float, float] = (1.0, 1.0e10)
#: Smallest capacitance of a circuit node (F): a single nanoscale cell with its contact and
#: a short wire (a 100-cell crossbar line has ~20 fF, see ProgrammingLine).
MIN_NODE_CAPACITANCE: float = 1.0e-15
#: A phase must last at least this many RC time constants of its slowest node.
SETTLING_TIME_CONSTANTS: float = 5.0
#: Smallest signal-to-noise ratio at which leaving Johnson noise out of a simulation is allowed.
MIN_NOISE_SNR: float = 10.0


@dataclass(frozen=True, slots=True)
class Violation:
    """One violated plausibility limit."""

    parameter: str
    value: float
    unit: str
    limit: str
    remedy: str

    def line(self) -> str:
        """One line for the error message."""
        return f"{self.parameter} = {self.value:.3g} {self.unit}: {self.limit}; {self.remedy}"


def hardware_violations(
    *,
    g_min: float,
    g_max: float,
    temperature: float,
    settling_time: float | None = None,
    node_conductance: float | None = None,
    node_capacitance: float = MIN_NODE_CAPACITANCE,
    signal_voltage: float | None = None,
    noise_simulated: bool = False,
    resistance_range: tuple[float, float] = DEVICE_RESISTANCE_RANGE,
) -> list[Violation]:
    """Return the plausibility limits that a hardware description violates (empty if none).

    Parameters
    ----------
    g_min, g_max : float
        Device conductance range, S.
    temperature : float
        K.
    settling_time : float, optional
        Time each phase (settle, read) is held, s.
    node_conductance : float, optional
        Smallest total conductance to a circuit node (e.g. fan-in × g_min), S; with
        ``node_capacitance`` it sets the slowest RC time constant.
    node_capacitance : float
        Capacitance of that node, F (default and floor: :data:`MIN_NODE_CAPACITANCE`).
    signal_voltage : float, optional
        Smallest voltage difference the computation must resolve, V.
    noise_simulated : bool
        True when the simulation draws Johnson noise itself; otherwise the ignored noise
        must leave SNR = V_sig sqrt(G_node t / (2kT)) >= :data:`MIN_NOISE_SNR` (Johnson
        current noise 4kTGΔf over Δf = 1/(2t) against the signal current G V_sig) [3]_.
    resistance_range : (float, float)
        Allowed device resistances, ohm.
    """
    owner = "hardware_violations"
    gmin = check_positive(g_min, "g_min", owner, "S")
    gmax = check_positive(g_max, "g_max", owner, "S")
    temp = check_positive(temperature, "temperature", owner, "K")
    r_lo, r_hi = (float(v) for v in resistance_range)
    out: list[Violation] = []
    for name, g in (("g_min", gmin), ("g_max", gmax)):
        r = 1.0 / g
        if not r_lo <= r <= r_hi:
            out.append(Violation(
                name, g, "S",
                f"a device resistance of {r:.3g} ohm lies outside the range of real resistive "
                f"devices [{r_lo:.3g}, {r_hi:.3g}] ohm",
                f"use conductances in [{1 / r_hi:.3g}, {1 / r_lo:.3g}] S"))
    c = max(float(node_capacitance), MIN_NODE_CAPACITANCE)
    if settling_time is not None and node_conductance is not None:
        t = check_positive(settling_time, "settling_time", owner, "s")
        gn = check_positive(node_conductance, "node_conductance", owner, "S")
        tau = c / gn
        if t < SETTLING_TIME_CONSTANTS * tau:
            out.append(Violation(
                "settling_time", t, "s",
                f"the slowest node (conductance {gn:.3g} S, capacitance >= {c:.3g} F) has "
                f"RC = {tau:.3g} s, so a phase needs >= {SETTLING_TIME_CONSTANTS:g} RC = "
                f"{SETTLING_TIME_CONSTANTS * tau:.3g} s to settle",
                "lengthen settling_time or raise the device conductances"))
        if not noise_simulated and signal_voltage is not None:
            v = check_nonnegative(signal_voltage, "signal_voltage", owner, "V")
            snr = v * math.sqrt(gn * t / (2.0 * K_B * temp))
            if snr < MIN_NOISE_SNR:
                out.append(Violation(
                    "node_conductance", gn, "S",
                    f"the simulation leaves Johnson noise out, but at {temp:g} K, "
                    f"t = {t:.3g} s and V_sig = {v:.3g} V the signal-to-noise ratio "
                    f"V_sig sqrt(G t / 2kT) is {snr:.3g} < {MIN_NOISE_SNR:g}",
                    "raise the conductances, the settling time or the signal voltage, or "
                    "simulate the noise"))
    return out


def check_hardware_plausible(owner: str, **limits: Any) -> None:
    """Raise :class:`UnphysicalHardwareError` if :func:`hardware_violations` finds any.

    ``owner`` names the hardware description (e.g. ``"EPCircuitParams"``) in the message;
    the keyword arguments are those of :func:`hardware_violations`.

    Examples
    --------
    >>> check_hardware_plausible("demo", g_min=1e-8, g_max=1e-6, temperature=300.0)
    >>> try:
    ...     check_hardware_plausible("demo", g_min=1e-24, g_max=1e-22, temperature=300.0)
    ... except UnphysicalHardwareError as err:
    ...     print(str(err).splitlines()[0])
    The hardware of demo is unphysical (2 limits violated):
    """
    bad = hardware_violations(**limits)
    if bad:
        lines = [v.line() for v in bad]
        raise UnphysicalHardwareError(
            f"The hardware of {owner} is unphysical ({len(bad)} limit"
            f"{'s' if len(bad) > 1 else ''} violated):\n  " + "\n  ".join(lines),
            violations=lines)


def landauer_guard(
    *,
    energy_joules: float,
    temperature: float,
    bits_erased: float = 0.0,
    bits_learned: float | None = None,
    learned_estimator: str = "bits learned",
    parameters: Mapping[str, float] | None = None,
    violations: list[Violation] | None = None,
) -> dict[str, Any]:
    """Check that a run dissipated at least kT ln 2 per erased bit and per learned bit.

    Parameters
    ----------
    energy_joules : float
        Irreversible energy the run dissipated (J; bounds excluded).
    temperature : float
        K.
    bits_erased : float
        Bits erased in the weight memory (H(old | new) summed over the updates).
    bits_learned : float, optional
        Information learned (bits) by the run's default estimator.
    learned_estimator : str
        Its name, for the message.
    parameters : mapping, optional
        The hardware parameters that set the energy scale (name -> value), quoted in the
        message when no plausibility limit explains the violation.
    violations : list of Violation, optional
        Plausibility violations of the hardware (:func:`hardware_violations`).

    Returns
    -------
    dict
        ``joules_per_erased_bit``, ``erased_ratio_to_kt_ln2``, ``joules_per_learned_bit``,
        ``learned_ratio_to_kt_ln2`` (None where the bits are 0), ``kt_ln2_joules``.

    Raises
    ------
    LandauerViolationError
        If either ratio is below 1.
    """
    owner = "landauer_guard"
    e = check_nonnegative(energy_joules, "energy_joules", owner, "J")
    kt = landauer_limit(check_positive(temperature, "temperature", owner, "K"))
    be = check_nonnegative(bits_erased, "bits_erased", owner)
    audit: dict[str, Any] = {"kt_ln2_joules": kt, "energy_joules": e, "bits_erased": be,
                             "joules_per_erased_bit": None, "erased_ratio_to_kt_ln2": None,
                             "bits_learned": bits_learned, "joules_per_learned_bit": None,
                             "learned_ratio_to_kt_ln2": None}
    failures = []
    if be > 0:
        audit["joules_per_erased_bit"] = e / be
        audit["erased_ratio_to_kt_ln2"] = e / be / kt
        if e / be < kt:
            failures.append(f"{e:.3g} J for {be:.4g} erased bits = {e / be:.3g} J per erased "
                            "bit")
    if bits_learned is not None and bits_learned > 0:
        audit["joules_per_learned_bit"] = e / bits_learned
        audit["learned_ratio_to_kt_ln2"] = e / bits_learned / kt
        if e / bits_learned < kt:
            failures.append(f"{e:.3g} J for {bits_learned:.4g} bits ({learned_estimator}) = "
                            f"{e / bits_learned:.3g} J per learned bit")
    if failures:
        if violations:
            why = "unphysical hardware parameters:\n  " + "\n  ".join(v.line() for v in violations)
        elif parameters:
            why = ("no plausibility limit is violated, so the energy model misses dissipation; "
                   "the parameters that set its scale are " +
                   ", ".join(f"{k} = {v:.3g}" for k, v in parameters.items()))
        else:
            why = "the energy model misses dissipation"
        raise LandauerViolationError(
            f"The run dissipated {' and '.join(failures)}, below kT ln 2 = {kt:.3g} J at "
            f"{temperature:g} K: a modelling error, not a result. Cause: {why}")
    return audit


__all__ = [
    "DEVICE_RESISTANCE_RANGE",
    "MIN_NODE_CAPACITANCE",
    "MIN_NOISE_SNR",
    "SETTLING_TIME_CONSTANTS",
    "Violation",
    "check_hardware_plausible",
    "hardware_violations",
    "landauer_guard",
]
