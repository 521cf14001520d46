"""Energy models of the periphery: ADC, DAC and transimpedance amplifier (TIA).

These are figure-of-merit models, not simulations: what they book into an
:class:`~thermolearn.energy.EnergyLedger` carries ``source="model"``.

References
----------
.. [1] R. H. Walden, "Analog-to-digital converter survey and analysis", IEEE J. Sel. Areas
   Commun. 17, 539 (1999) (FOM_W = P / (2^ENOB f_s), J per conversion step).
.. [2] B. Murmann, "ADC Performance Survey 1997-2024", online, Stanford University
   (Walden FOM of published designs: best ~0.3-1 fJ/step, typical a few fJ/step to tens).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from thermolearn.validation import (
    check_converter_bits,
    check_int,
    check_nonnegative,
    check_positive,
)

#: Default Walden FOM (J per conversion step): 5 fJ/step, a typical moderate-resolution
#: design in Murmann's survey (the best reach ~0.3-1 fJ/step).
DEFAULT_FOM_WALDEN = 5e-15


@dataclass(frozen=True, slots=True)
class ADC:
    """Analog-to-digital converter: energy per conversion = FOM_Walden × 2^ENOB.

    Parameters
    ----------
    enob : float
        Effective number of bits, 1 to ``MAX_CONVERTER_BITS`` (24).
    fom_walden : float
        Walden figure of merit (J per conversion step), default 5 fJ/step [Murmann].
    """

    enob: float
    fom_walden: float = DEFAULT_FOM_WALDEN

    def __post_init__(self) -> None:
        check_converter_bits(self.enob, "enob", "ADC", integer=False)
        check_positive(self.fom_walden, "fom_walden", "ADC", "J/step")

    @property
    def energy_per_conversion(self) -> float:
        """J per conversion."""
        return float(self.fom_walden * 2.0**self.enob)

    def power(self, sample_rate: float) -> float:
        """Average power (W) at ``sample_rate`` (Hz)."""
        return self.energy_per_conversion * check_positive(sample_rate, "sample_rate", "ADC", "Hz")

    def book(self, ledger: Any, conversions: int) -> float:
        """Book ``conversions`` conversions as ``"adc"`` (source "model"); return joules."""
        n = check_int(conversions, "conversions", "ADC.book", minimum=0)
        joules = n * self.energy_per_conversion
        ledger.book("adc", joules, source="model", count=n)
        return joules


@dataclass(frozen=True, slots=True)
class DAC:
    """Digital-to-analog converter driving a capacitive line.

    Energy per conversion = ``activity`` × C_load × V_fs^2 (charging the line from the
    supply; ``activity`` is the mean fraction of full-scale swing, 0.5 for uniform codes)
    plus ``fom`` × 2^bits for the converter core.

    Parameters
    ----------
    bits : int
        Resolution, 1 to ``MAX_CONVERTER_BITS`` (24).
    v_full_scale : float
        Full-scale output (V).
    c_load : float
        Line capacitance (F).
    activity : float
        Mean fraction of C V^2 drawn per update.
    fom : float
        Core energy per step (J/step); default 1 fJ/step (assumption; check per design).
    """

    bits: int
    v_full_scale: float = 0.2
    c_load: float = 100e-15
    activity: float = 0.5
    fom: float = 1e-15

    def __post_init__(self) -> None:
        check_converter_bits(self.bits, "bits", "DAC")
        check_positive(self.v_full_scale, "v_full_scale", "DAC", "V")
        check_nonnegative(self.c_load, "c_load", "DAC", "F")
        check_nonnegative(self.activity, "activity", "DAC")
        check_nonnegative(self.fom, "fom", "DAC", "J/step")

    @property
    def energy_per_conversion(self) -> float:
        """J per update."""
        return self.activity * self.c_load * self.v_full_scale**2 + self.fom * 2.0**self.bits

    def book(self, ledger: Any, conversions: int) -> float:
        """Book ``conversions`` updates as ``"dac"`` (source "model"); return joules."""
        n = check_int(conversions, "conversions", "DAC.book", minimum=0)
        joules = n * self.energy_per_conversion
        ledger.book("dac", joules, source="model", count=n)
        return joules


@dataclass(frozen=True, slots=True)
class TIA:
    """Transimpedance amplifier with static bias power P = V_dd × I_bias.

    Parameters
    ----------
    gain : float
        Transimpedance (ohm).
    v_supply : float
        Supply voltage (V).
    i_bias : float
        Quiescent current (A).
    """

    gain: float = 1e5
    v_supply: float = 1.0
    i_bias: float = 10e-6

    def __post_init__(self) -> None:
        check_positive(self.gain, "gain", "TIA", "ohm")
        check_positive(self.v_supply, "v_supply", "TIA", "V")
        check_nonnegative(self.i_bias, "i_bias", "TIA", "A")

    @property
    def static_power(self) -> float:
        """W."""
        return self.v_supply * self.i_bias

    def energy(self, duration: float) -> float:
        """Return the static energy over ``duration`` seconds (J)."""
        return self.static_power * check_nonnegative(duration, "duration", "TIA", "s")

    def book(self, ledger: Any, duration: float, count: int = 1) -> float:
        """Book ``count`` amplifiers on for ``duration`` as ``"amplifier"``; return joules."""
        n = check_int(count, "count", "TIA.book", minimum=0)
        joules = n * self.energy(duration)
        ledger.book("amplifier", joules, source="model", count=n)
        return joules


__all__ = ["ADC", "DAC", "TIA", "DEFAULT_FOM_WALDEN"]
