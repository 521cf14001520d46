"""What a physical EP phase costs and what its readout really sees: noise, settling, converters.

The layer-wise solver gives the exact operating point V* of a phase. A real circuit only
approaches it and is read through noise and a converter. This module puts those effects into
the learning loop and books their energy:

* **Node capacitance and settling.** Every solved node has a capacitance C to ground, so the
  node voltages relax as ``C dV/dt = −H (V − V*)`` with H the conductance matrix (Hessian of
  the co-content: crossbars, mirrored amplifier loads, diode small-signal conductances, the
  nudging conductance). The slowest time constant is ``τ_slow = C / λ_min(H)``; a phase held
  for ``settling_time`` leaves an error ``≤ |ΔV| e^{−t/τ_slow}``. The audit requires that error
  below a quarter of the ADC step (the settling margin); :func:`slowest_time_constant`
  computes λ_min exactly (dense eigenvalues) and the tests hold it to an MNA transient.
* **Thermal and shot noise, averaged over an integration time T.** Each conductance G carries
  a Johnson current of one-sided density 4kTG, each diode a shot current 2q(I + 2I_s) (the
  forward-biased junction is not at equilibrium, so not 4kT·g_d). Averaged over a window T
  much longer than every node time constant the current noise has variance S/(2T), i.e. 2kTG/T
  (Johnson) and q(I + 2I_s)/T (shot), and the averaged node voltages are ``H^{-1} ξ``; for a
  purely thermal network their covariance is ``2kT H^{-1}/T`` — kT/C of a snapshot reduced by
  the averaging factor 2τ/T (the exact finite-T law, ``(kT/C)(2τ/T)[1 − (τ/T)(1 − e^{−T/τ})]``
  per mode, is checked against a Langevin simulation in the tests). :func:`read_noise` draws
  ξ element by element (so its covariance is the physical one, correlations included) and
  solves the block-tridiagonal system exactly.
* **ADC quantisation at the booked resolution.** Hidden units are digitised at their amplified
  node u = a·V (range ±``adc_range_hidden``), outputs directly (±``adc_range_output``); the
  codes are rounded to ``adc_bits`` and clipped. The energy booked per conversion is the Walden
  figure of merit at that ENOB, ``FOM·2^bits`` (:class:`thermolearn.devices.ADC`).
* **DACs for the inputs**: features are rounded to ``dac_bits`` before they drive the sources.
* **Amplifiers: stability, settling, noise and power (cited parts, [6], [7]).** Every
  amplifier is a single-pole voltage-feedback stage of gain-bandwidth product GBW: at
  closed-loop (noise) gain G its time constant is ``τ_a = G / (2π GBW)`` and it needs
  ``ln(4·2^bits) τ_a`` to settle a full-scale step within a quarter ADC step (the network's
  criterion); the network and the amplifier are in cascade, so the audit requires the phase's
  ``settling_time`` to cover the settling of the two-pole cascade of the network's slowest
  mode and the slowest stage (:func:`cascade_settling_time`), not the slower one. A stage is
  built from the decompensated OPA855 [6] (8 GHz, 0.98 nV/√Hz, 89 mW, stable only for G ≥ 7)
  where its gain allows, from the unity-gain-stable OPA859 [7] (900 MHz, 3.3 nV/√Hz, 104.5 mW)
  below (:meth:`PhysicsParams.stage`): the ±a crossbar drives (G = a = 3 and 1 + a = 4), the
  input-row drivers behind the DACs and the hidden ADC preamps are OPA859s, the gain-30 diode
  amplifiers and the gain-50 output ADC preamps OPA855s; the audit refuses a stage below its
  part's minimum stable gain. Each read passes its amplifiers (input noise e_n, averaged over
  T: ``e_n² / (2T)`` referred to the node); the drivers' and drive amplifiers' output noise
  also drives the network (see :func:`read_noise`). The amplifiers are powered for the whole
  phase: count × quiescent power × (settling + integration) is booked, and each output stage's
  loss ``V_rail |I| − V I`` at the simulated line currents.
* **Amplifier input currents (input current noise i_n, input bias current I_b).** The
  non-inverting inputs of the +a crossbar drive and of the diode / read amplifier sit on
  every hidden node, that of the ADC preamp on every output node (:func:`input_loads`; the
  −a drive is inverting, its inputs at a virtual ground; the hidden ADC preamp reads the
  diode amplifier's low-impedance output). Each such input injects N(0, i_n²/(2T)) into its
  node in :func:`read_noise` (one-sided density averaged over T, like e_n) and draws I_b
  from it, a DC current every engine solves into the phases once booked
  (:func:`apply_bias_currents`: the layer-wise KCL, a current source per node in the MNA and
  ngspice circuit), to first order a shift H^{-1}(−Σ I_b) of the operating point
  (:func:`bias_current_offsets`, reported by the audit). **No data-sheet figure
  of i_n or I_b is booked for either part** (the electrical-characteristics tables of
  SBOS622 / SBOS852A were not readable in the copies available here; none is invented), so
  both default to 0 (``amplifier_current_noise``, ``buffer_current_noise``,
  ``amplifier_bias_current``, ``buffer_bias_current``) and the audit's
  ``amplifier_input_currents`` reports the sensitivity instead. At the digits default
  (64-128-10, vteam_highr, initial weights) a hidden node's conductance is ~4.4 mS and an
  output's ~3.6 mS: 1 µA drawn by each input moves a hidden node by ~0.42 mV (two inputs;
  max 0.51 mV, ~125 ADC steps at the diode node, a_d = 30, against a median learning signal
  of ~1.6 steps and a knee width n V_T / a_d = 0.86 mV) and an output by ~0.28 mV (max
  0.35 mV, ~35 steps of the ±20 mV ADC, against the 4 mV target span): one ADC step is
  reached at ~8 nA per input (hidden) and ~28 nA (outputs). A µA-class bias current (bipolar
  inputs) would therefore be tens to hundreds of steps; a pA-class one (FET inputs) 1e-4
  step. The current noise adds ~2.5 % (hidden) and ~1.7 % (outputs) of the network's
  thermal variance per (1 pA/√Hz)² on every input.
* **ADC preamps.** An ADC core has a fixed input range (``adc_input_range``, ±1 V); a node
  read over ±``adc_range_*`` needs a preamp of gain ``adc_input_range / adc_range_*`` in front
  of it (output reads: ±20 mV → gain 50; hidden reads at the diode node: ±0.25 V → gain 4).

References
----------
.. [1] J. B. Johnson, Phys. Rev. 32, 97 (1928); H. Nyquist, Phys. Rev. 32, 110 (1928).
.. [2] W. Schottky, Ann. Phys. 57, 541 (1918) (shot noise 2qI).
.. [3] C. W. Gardiner, *Stochastic Methods*, 4th ed. (2009), §4.5 (OU process; variance of a
   time average).
.. [4] R. H. Walden, IEEE J. Sel. Areas Commun. 17, 539 (1999); B. Murmann, "ADC Performance
   Survey 1997–2024" (Walden FOM of published converters).
.. [5] M. Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014,
   pp. 10–14 (45 nm: 32-bit int multiply 3.1 pJ, add 0.1 pJ; 64-bit read from an 8 kB SRAM
   10 pJ).
.. [6] Texas Instruments, "OPA855 8-GHz Gain Bandwidth Product, Gain of 7-V/V Stable, Bipolar
   Input Amplifier", data sheet SBOS622 (2018, rev. 2023): gain-bandwidth product 8 GHz,
   input voltage noise 0.98 nV/√Hz, quiescent current 17.8 mA, supply 3.3 V to 5.25 V
   (booked at 5 V: 89 mW per amplifier), stable for gains ≥ 7 V/V.
.. [7] Texas Instruments, "OPA859 1.8-GHz Unity-Gain Bandwidth, 3.3-nV/√Hz, FET Input
   Amplifier", data sheet SBOS852A (2018, rev. 2025): gain-bandwidth product 900 MHz,
   unity-gain stable, input voltage noise 3.3 nV/√Hz, quiescent current 20.9 mA (booked at
   5 V: 104.5 mW).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.algorithms.ep_circuit import PhaseResult
from thermolearn.devices.peripherals import DEFAULT_FOM_WALDEN
from thermolearn.devices.shockley import shockley_conductance
from thermolearn.errors import ParameterError
from thermolearn.hardware import OPA855, OPA859
from thermolearn.physics import K_B, Q_E
from thermolearn.validation import (
    check_converter_bits,
    check_nonnegative,
    check_positive,
)

Array = NDArray[np.float64]

#: Horowitz (ISSCC 2014, 45 nm): 32-bit integer multiply 3.1 pJ + add 0.1 pJ per MAC.
MAC_ENERGY_INT32 = 3.2e-12
#: Horowitz (ISSCC 2014): 64-bit read of an 8 kB SRAM 10 pJ, i.e. 5 pJ per 32-bit word.
SRAM_ENERGY_PER_WORD = 5e-12
#: TI OPA855 data sheet (SBOS622): gain-bandwidth product 8 GHz.
AMPLIFIER_GBW_CITED = OPA855.gbw
#: TI OPA855 data sheet (SBOS622): input voltage noise density 0.98 nV/√Hz (one-sided).
AMPLIFIER_NOISE_CITED = OPA855.noise
#: TI OPA855 data sheet (SBOS622): quiescent current 17.8 mA at a 5 V supply (the top of its
#: 3.3–5.25 V range; its electrical characteristics are specified at ±2.5 V): 89 mW.
AMPLIFIER_POWER_CITED = OPA855.power
#: Supply rail magnitude of every amplifier and driver, V: the 5 V both parts are booked at,
#: split ±2.5 V (the OPA855's electrical characteristics are specified at ±2.5 V).
SUPPLY_RAIL = 0.5 * OPA855.supply_voltage

#: Bulk copper resistivity at 20 °C, ohm·m (CRC Handbook of Chemistry and Physics, 97th ed.,
#: "Electrical resistivity of pure metals": 1.68e-8 ohm·m).
RHO_CU_BULK = 1.68e-8
#: Resistance of one cell pitch of a crossbar line at a 22 nm half-pitch F, ohm: a copper
#: wire of width F and thickness 2F (aspect ratio 2) over a cell pitch of 2F is ρ·2F/(F·2F)
#: = ρ/F = 0.76 ohm with the *bulk* resistivity. A lower bound: at these widths surface and
#: grain-boundary scattering raise copper's resistivity severalfold (W. Steinhögl et al.,
#: Phys. Rev. B 66, 075414 (2002)), and liners take part of the cross-section.
WIRE_RESISTANCE_BOUND = RHO_CU_BULK / 22e-9


@dataclass(frozen=True, slots=True)
class Stage:
    """One kind of amplifier stage of the EP circuit and the part it is built from."""

    name: str
    gain: float
    """Noise gain (V/V, >= 1)."""
    count: int
    """Stages of this kind in the network."""
    part: str
    """``"amplifier"`` (the decompensated high-speed part) or ``"buffer"`` (unity-gain
    stable)."""
    gbw: float
    noise: float
    power: float
    min_stable_gain: float
    current_noise: float = 0.0
    """Input current noise density of the part, A/√Hz one-sided (0: none booked)."""
    bias_current: float = 0.0
    """Input bias current of the part, A, drawn from the node its input sits on (0: none
    booked)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PhysicsParams:
    """Readout, timing and periphery of a physical EP phase (SI units).

    Attributes
    ----------
    capacitance : float
        Capacitance of every solved node to ground, F.
    settling_time : float
        Time each phase is held before its integration window starts, s.
    integration_time : float
        Length T of the averaging window of each read, s.
    read_noise : bool
        Draw Johnson and shot noise into every read (False: noiseless reads, a control).
    adc_bits : int
        Resolution of every node ADC; its Walden energy FOM·2^bits is what is booked.
    adc_range_hidden, adc_range_output : float
        Full-scale ± range of the hidden ADCs (at the amplified node u = a·V) and of the output
        ADCs, V.
    dac_bits : int
        Resolution of the input DACs.
    dac_bipolar : bool
        Input DAC codes span [−1, 1] (standardised inputs, see
        :mod:`~thermolearn.algorithms.ep_inputs`) instead of [0, 1]; same bit count.
    fom_walden : float
        ADC Walden figure of merit, J per conversion step (Murmann's survey).
    dac_c_load : float
        Line capacitance a DAC charges, F (energy C V² per conversion at full swing).
    mac_energy : float
        Energy of one multiply-accumulate of the digital ΔV² accumulation, J.
    sram_energy : float
        Energy of one 32-bit word of SRAM traffic, J.
    amplifier_power : float
        Quiescent power of one amplifier, W (OPA855: 17.8 mA × 5 V), booked for the whole
        phase.
    amplifier_gbw : float
        Gain-bandwidth product of every amplifier, Hz (OPA855: 8 GHz); sets the closed-loop
        time constant G/(2π GBW) the settling audit checks.
    amplifier_noise : float
        Input voltage noise density e_n of every amplifier, V/√Hz one-sided (OPA855:
        0.98 nV/√Hz); each read adds e_n² G²/(2T) at its ADC (0 disables it, a control).
    amplifier_min_stable_gain : float
        Smallest noise gain at which that part is stable, V/V (OPA855: 7, decompensated).
        A stage whose gain is below it is built from the buffer part instead.
    buffer_power, buffer_gbw, buffer_noise, buffer_min_stable_gain : float
        The same four figures of the unity-gain-stable part (TI OPA859, data sheet SBOS852A:
        20.9 mA × 5 V, 900 MHz, 3.3 nV/√Hz, stable at gain 1) that builds every stage of gain
        below ``amplifier_min_stable_gain``: the ±a crossbar drives (noise gains a and 1 + a),
        the input-row drivers behind the DACs, the hidden ADC preamps. The audit refuses a
        stage whose gain is below its part's minimum stable gain.
    amplifier_current_noise, buffer_current_noise : float
        Input current noise density i_n of the two parts, A/√Hz one-sided. Injected as
        N(0, i_n²/(2T)) into every network node a non-inverting input of that part sits on
        (:func:`read_noise`, :func:`input_loads`). Default 0: no data-sheet figure is booked
        for either part (:data:`thermolearn.hardware.OPA855`); the audit reports the
        sensitivity instead (``amplifier_input_currents``).
    amplifier_bias_current, buffer_bias_current : float
        Input bias current I_b of the two parts, A, drawn from each node an input of that
        part sits on; the training loop puts it into the operating point of every engine
        (:func:`apply_bias_currents`), the audit reports the resulting offset H^{-1} I_b
        against the ADC step and the signal (:func:`bias_current_offsets`). Default 0 (no
        figure booked).
    adc_input_range : float
        ± full scale of the ADC core's input, V (a 2 V peak-to-peak differential input, the
        usual range of the ~1 V-supply SAR converters behind the survey's Walden figures; a
        design figure). Each ADC has a preamp of gain ``adc_input_range / adc_range_*``
        (≥ 1) that maps its node's range onto it; the preamp's noise enters the read and its
        power is booked (``adc_preamp``).
    wire_resistance : float
        Interconnect resistance per cell pitch of every crossbar line, ohm, used by the audit
        to compute the IR drop of the solved phases (the EP solvers themselves treat the
        lines as ideal). Default :data:`WIRE_RESISTANCE_BOUND`, a lower bound; 0 skips it.
    supply_rail : float
        Magnitude of the ± supply rails of every amplifier and driver, V (±2.5 V: the 5 V
        supply the parts are booked at). A stage delivering current I at output voltage V
        dissipates V_rail |I| − V I in its output stage (``driver_output_stage``).
    amplifier_output_current : float
        Largest current one amplifier output may source, A. The audit compares it with the
        currents the solved phases draw (drive buffers, current mirrors, diode nodes). The
        default is unbounded (no data-sheet output-current figure is booked here, so none is
        invented); set it to check a part's limit.
    allow_read_disturb : bool
        Permit device drops above the disturb-free read voltage (the disturbance is then
        simulated by the device state equation and reported).
    allow_settling_breach : bool
        Let a run continue when the settling or noise-averaging condition, re-checked on the
        probe batch at the end of every epoch (the conductances move during training), no
        longer holds; the breaching epochs are counted and reported (``audit`` ->
        ``settling`` -> ``breaches``). Without it such a run stops with a ParameterError.
        The reads of those epochs are not corrected: they still assume settled nodes and the
        averaged-noise law. :func:`~thermolearn.algorithms.ep_audit.preflight` refuses a
        breach at the initial conductances either way.
    allow_adc_clipping : bool
        Let a run go on when more than 1 % of its node reads clip the ADC range, at the
        preflight or in an epoch of training (the swing grows as the conductances move); the
        clipped fraction of every epoch is reported (``audit`` -> ``adc`` ->
        ``clipped_fraction_per_epoch``) and the epochs above 1 % are counted
        (``clipping_breach_epochs``). Without it such a run stops with a ParameterError
        naming ``adc_range_hidden`` / ``adc_range_output``.
    disturb_reads : float
        Number of reads in the disturb-free-voltage criterion (1e6).
    """

    capacitance: float = 1e-12
    settling_time: float = 1.2e-8
    integration_time: float = 1e-7
    read_noise: bool = True
    adc_bits: int = 12
    adc_range_hidden: float = 0.25
    adc_range_output: float = 0.1
    dac_bits: int = 8
    dac_bipolar: bool = False
    fom_walden: float = DEFAULT_FOM_WALDEN
    dac_c_load: float = 100e-15
    mac_energy: float = MAC_ENERGY_INT32
    sram_energy: float = SRAM_ENERGY_PER_WORD
    amplifier_power: float = AMPLIFIER_POWER_CITED
    amplifier_gbw: float = AMPLIFIER_GBW_CITED
    amplifier_noise: float = AMPLIFIER_NOISE_CITED
    amplifier_min_stable_gain: float = OPA855.min_stable_gain
    buffer_power: float = OPA859.power
    buffer_gbw: float = OPA859.gbw
    buffer_noise: float = OPA859.noise
    buffer_min_stable_gain: float = OPA859.min_stable_gain
    # the parts' booked figures (None: none booked, left out)
    amplifier_current_noise: float = OPA855.current_noise or 0.0
    buffer_current_noise: float = OPA859.current_noise or 0.0
    amplifier_bias_current: float = OPA855.bias_current or 0.0
    buffer_bias_current: float = OPA859.bias_current or 0.0
    adc_input_range: float = 1.0
    supply_rail: float = SUPPLY_RAIL
    wire_resistance: float = WIRE_RESISTANCE_BOUND
    amplifier_output_current: float = math.inf
    allow_read_disturb: bool = False
    allow_settling_breach: bool = False
    allow_adc_clipping: bool = False
    disturb_reads: float = 1e6

    def __post_init__(self) -> None:
        o = "PhysicsParams"
        check_positive(self.capacitance, "capacitance", o, "F")
        check_positive(self.settling_time, "settling_time", o, "s")
        check_positive(self.integration_time, "integration_time", o, "s")
        check_converter_bits(self.adc_bits, "adc_bits", o)
        check_positive(self.adc_range_hidden, "adc_range_hidden", o, "V")
        check_positive(self.adc_range_output, "adc_range_output", o, "V")
        check_converter_bits(self.dac_bits, "dac_bits", o)
        check_positive(self.fom_walden, "fom_walden", o, "J/step")
        check_nonnegative(self.dac_c_load, "dac_c_load", o, "F")
        check_nonnegative(self.mac_energy, "mac_energy", o, "J")
        check_nonnegative(self.sram_energy, "sram_energy", o, "J")
        check_nonnegative(self.amplifier_power, "amplifier_power", o, "W")
        check_positive(self.amplifier_gbw, "amplifier_gbw", o, "Hz")
        check_nonnegative(self.amplifier_noise, "amplifier_noise", o, "V/sqrt(Hz)")
        check_nonnegative(self.buffer_power, "buffer_power", o, "W")
        check_positive(self.buffer_gbw, "buffer_gbw", o, "Hz")
        check_nonnegative(self.buffer_noise, "buffer_noise", o, "V/sqrt(Hz)")
        for name in ("amplifier_current_noise", "buffer_current_noise"):
            check_nonnegative(getattr(self, name), name, o, "A/sqrt(Hz)")
        for name in ("amplifier_bias_current", "buffer_bias_current"):
            check_nonnegative(getattr(self, name), name, o, "A")
        for name in ("amplifier_min_stable_gain", "buffer_min_stable_gain"):
            if not getattr(self, name) >= 1.0:
                raise ParameterError(
                    f"The '{name}' parameter of {o} must be >= 1 V/V; got {getattr(self, name)!r}."
                )
        check_positive(self.adc_input_range, "adc_input_range", o, "V")
        check_positive(self.supply_rail, "supply_rail", o, "V")
        check_nonnegative(self.wire_resistance, "wire_resistance", o, "ohm")
        if not (self.amplifier_output_current > 0):  # inf allowed: no limit checked
            check_positive(self.amplifier_output_current, "amplifier_output_current", o, "A")
        check_positive(self.disturb_reads, "disturb_reads", o)

    @property
    def adc_energy(self) -> float:
        """J per ADC conversion: Walden FOM × 2^bits."""
        return self.fom_walden * 2.0**self.adc_bits

    @property
    def phase_duration(self) -> float:
        """Settling plus integration, s."""
        return self.settling_time + self.integration_time

    def stage(self, name: str, gain: float, count: int = 1) -> Stage:
        """Return the stage ``name`` of noise gain ``gain``, built from the part it allows.

        The decompensated high-speed part (``amplifier_*``, OPA855) where the gain reaches its
        minimum stable gain, the unity-gain-stable part (``buffer_*``, OPA859) below it.
        """
        g = max(abs(float(gain)), 1.0)
        if g >= self.amplifier_min_stable_gain:
            return Stage(name, g, count, "amplifier", self.amplifier_gbw, self.amplifier_noise,
                         self.amplifier_power, self.amplifier_min_stable_gain,
                         self.amplifier_current_noise, self.amplifier_bias_current)
        return Stage(name, g, count, "buffer", self.buffer_gbw, self.buffer_noise,
                     self.buffer_power, self.buffer_min_stable_gain,
                     self.buffer_current_noise, self.buffer_bias_current)

    def preamp_gain(self, full_scale: float) -> float:
        """Gain (>= 1) of the preamp that maps ±``full_scale`` onto the ADC core's input."""
        return max(self.adc_input_range / full_scale, 1.0)

    def amplifier_tau(self, noise_gain: float) -> float:
        """Closed-loop time constant G/(2π GBW) (s) of the stage of noise gain G (its part)."""
        st = self.stage("stage", noise_gain)
        return st.gain / (2.0 * math.pi * st.gbw)

    def amplifier_settling(self, noise_gain: float) -> float:
        """Time (s) for that stage alone to settle a full-scale step within 1/4 ADC step.

        A single pole leaves ``e^{-t/τ}`` of a step; a full-scale step is 2^bits steps, so
        ``τ ln(4·2^bits)`` (the network's quarter-step criterion of the audit).
        """
        return self.amplifier_tau(noise_gain) * math.log(4.0 * 2.0**self.adc_bits)

    def amplifier_read_variance(self) -> float:
        """Node-referred variance (V²) an output read's amplifier adds over the window T.

        The output preamp (gain ``adc_input_range / adc_range_output``): e_n² G² / (2T) at its
        output (one-sided density averaged over T), divided by the G² that maps the node to
        the ADC: e_n² / (2T).
        """
        e_n = self.stage("output preamp", self.preamp_gain(self.adc_range_output)).noise
        return e_n**2 / (2.0 * self.integration_time)

    def lsb(self, full_scale: float) -> float:
        """ADC step (V) over ±full_scale."""
        return 2.0 * full_scale / 2.0**self.adc_bits


def quantize(v: Array, bits: int, full_scale: float) -> Array:
    """Round ``v`` to a ``bits``-bit mid-tread code over ±``full_scale`` (clipped)."""
    lsb = 2.0 * full_scale / 2.0**bits
    top = 2 ** (bits - 1) - 1
    return np.asarray(np.clip(np.round(v / lsb), -top - 1, top) * lsb, dtype=np.float64)


def quantize_inputs(x: Array, bits: int, bipolar: bool = False) -> Array:
    """DAC codes of features at ``bits`` bits.

    Unipolar: x in [0, 1], 2^bits − 1 steps. Bipolar (standardised inputs, |x| ≤ 1): a
    symmetric code at the same bit count, x in [−1, 1] with 2^(bits−1) − 1 steps per polarity
    (0 exactly representable), i.e. twice the unipolar step over twice the range.
    """
    if bipolar:
        top = 2 ** (bits - 1) - 1
        if top < 1:
            return np.asarray(np.sign(np.round(np.clip(x, -1.0, 1.0))), dtype=np.float64)
        return np.asarray(np.round(np.clip(x, -1.0, 1.0) * top) / top, dtype=np.float64)
    n = 2**bits - 1
    return np.asarray(np.round(np.clip(x, 0.0, 1.0) * n) / n, dtype=np.float64)


# --------------------------------------------------------------------------------------------
# linearised network: H = blocks (diagonal per layer, dense couplings between layers)
# --------------------------------------------------------------------------------------------


def _diode_small_signal(net: Any, layer: int, v: Array) -> Array:
    """a² g_d(aV) (S) of the diode pair of each hidden node (the shared Shockley kernel)."""
    p = net.params
    if not p.diodes:
        return np.zeros_like(v)
    a = p.diode_gain
    u = a * v
    g_up = shockley_conductance(u - p.v_up, p.diode_i_s, p.diode_n, p.diode_r_s, p.temperature)
    g_dn = shockley_conductance(p.v_down - u, p.diode_i_s, p.diode_n, p.diode_r_s,
                                p.temperature)
    return a * a * (g_up + g_dn)


def diagonal_blocks(net: Any, state: Any, beta: float) -> list[Array]:
    """Diagonal of H (S) per layer, shape (B, n_l); ``beta`` the nudging conductance in S."""
    p = net.params
    out = []
    big_l = net.n_layers
    for layer in range(1, big_l + 1):
        v = state.layers[layer - 1]
        d = np.broadcast_to(net._s[layer - 1] * p.g_max, v.shape).copy()
        if layer < big_l:
            d += _diode_small_signal(net, layer, v)
        else:
            d += beta
        out.append(d)
    return out


def coupling_blocks(net: Any) -> list[Array]:
    """Off-diagonal blocks C_l = ∂²E/∂V_l∂V_{l+1} (S), shape (n_l, n_{l+1}), l = 1..L−1."""
    p = net.params
    return [
        -net._gain(k) * net._wdiff[k] * p.g_max for k in range(1, net.n_layers)
    ]


def dense_conductance_matrix(net: Any, state: Any, beta: float, sample: int) -> Array:
    """H (S) of one sample as a dense matrix over all solved nodes (small nets/audits)."""
    diag = diagonal_blocks(net, state, beta)
    coup = coupling_blocks(net)
    sizes = [d.shape[1] for d in diag]
    off = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    h = np.zeros((off[-1], off[-1]))
    for k, d in enumerate(diag):
        idx = np.arange(off[k], off[k + 1])
        h[idx, idx] = d[sample]
    for k, c in enumerate(coup):
        a = slice(off[k], off[k + 1])
        b = slice(off[k + 1], off[k + 2])
        h[a, b] = c
        h[b, a] = c.T
    return h


def slowest_time_constant(net: Any, state: Any, beta: float, capacitance: float,
                          samples: int | None = None) -> tuple[float, float]:
    """(τ_slow, τ_fast) in s: C/λ_min and C/λ_max of H over the batch's samples.

    Every sample of ``state`` by default (``samples`` = None); an int takes the first ones.
    """
    lam_min, lam_max = math.inf, 0.0
    n = state.layers[0].shape[0]
    for i in range(n if samples is None else min(samples, n)):
        ev = np.linalg.eigvalsh(dense_conductance_matrix(net, state, beta, i))
        lam_min = min(lam_min, float(ev[0]))
        lam_max = max(lam_max, float(ev[-1]))
    if lam_min <= 0:
        raise ParameterError(
            "The linearised EP circuit has a non-positive conductance eigenvalue "
            f"({lam_min:.3g} S): the nudging conductance 'beta' makes the phase unstable."
        )
    return capacitance / lam_min, capacitance / lam_max


def window_time_constant(net: Any, capacitance: float) -> float:
    """Upper bound (s) on τ_slow = C/λ_min(H) over every conductance state of the window.

    H is the Hessian of the co-content, a sum of one positive semi-definite term per
    device, ``G v vᵀ`` with v = (±a e_i, −e_j) its row and column (bias rows: a diagonal
    term), plus the diodes' small-signal conductances (≥ 0) and the nudging conductance
    (≥ 0 in the free and +β phases). H is therefore monotone (Loewner order) in every
    conductance, and λ_min(H) ≥ λ_min(H₀) with H₀ every device at ``g_min``, diodes and nudge
    left out: whatever the training does to the conductances inside [g_min, g_max], no node
    is slower than C/λ_min(H₀). (All devices at g_max is the *fastest* state, not a bound.)
    A device whose own window reaches below the nominal g_min (device-to-device spread of the
    bounds) is not covered; the audit's per-epoch re-check is.
    """
    p = net.params
    low = net.with_params(diodes=False)
    w_min = p.g_min / p.g_max
    low.weights = [np.full_like(w, w_min) for w in net.weights]
    low._refresh()

    rest = SimpleNamespace(layers=[np.zeros((1, n)) for n in p.layer_sizes[1:]])
    lam = float(np.linalg.eigvalsh(dense_conductance_matrix(low, rest, 0.0, 0))[0])
    return capacitance / lam


def cascade_step_error(t: float, taus: Any) -> float:
    """Remaining fraction of a unit step at time t after a cascade of single-pole stages.

    Stages of time constants ``taus`` in series (each ``τ dy/dt = u − y``, buffered): the
    step response is the distribution function of a sum of independent exponential delays
    of means τ_i, so the error is the survival function ``u₀ᵀ exp(Q t) 1`` of the chain
    generator Q (Q_ii = −1/τ_i, Q_i,i+1 = 1/τ_i), exact for equal or distinct τ. One stage:
    e^{−t/τ}; two: (τ₁ e^{−t/τ₁} − τ₂ e^{−t/τ₂}) / (τ₁ − τ₂), (1 + t/τ) e^{−t/τ} if equal.
    """
    from scipy.linalg import expm

    tau = np.asarray([float(v) for v in taus if v > 0], dtype=np.float64)
    if tau.size == 0:
        return 0.0
    r = 1.0 / tau
    q = np.diag(-r) + np.diag(r[:-1], 1)
    return float(np.clip(expm(q * float(t))[0].sum(), 0.0, 1.0))


def cascade_settling_time(taus: Any, error: float) -> float:
    """Smallest t (s) at which :func:`cascade_step_error` is ≤ ``error`` (0 < error < 1).

    The error decreases monotonically from 1; the root is bracketed by doubling and found by
    Brent's method (:func:`scipy.optimize.brentq`) to a relative 1e-12.
    """
    from scipy.optimize import brentq

    tau = [float(v) for v in taus if v > 0]
    if not tau or error >= 1.0:
        return 0.0
    lo, hi = 0.0, sum(tau) * math.log(1.0 / error)
    while cascade_step_error(hi, tau) > error:
        lo, hi = hi, 2.0 * hi
    return float(brentq(lambda t: cascade_step_error(t, tau) - error, lo, hi,
                        xtol=1e-300, rtol=1e-12))


def read_noise(
    net: Any, x: Array, state: Any, beta: float, phys: PhysicsParams, rng: np.random.Generator
) -> list[Array]:
    """Noise (V) of the time-averaged node voltages of one phase, per layer (B, n_l).

    Element by element: Johnson currents N(0, 2kT G/T) of every crossbar device and of the
    nudging conductance (|β| for the active −β source, whose noise is taken equal to that of a
    resistor: an assumption), shot currents N(0, q(I + 2I_s)/T) of every diode (mirrored into
    the hidden node with the gain a), and the amplifiers' input voltage noise e_n of each
    stage's part (:meth:`PhysicsParams.stage`; one-sided, averaged over T: N(0, e_n² G²/(2T))
    at an output of noise gain G): the input drivers behind the DACs (+x and bias rows: unity
    buffers; −x rows: inverting, G = 2) drive G_ij n_i into every hidden node; the +a drive
    amplifier (G = a) and the −a one (inverting, G = 1 + a) of every hidden node put it on
    their rows, so it drives G_ij n_i into every column node and, through the mirror,
    ∓a Σ_j G_ij n_i back into the hidden node (the hidden bias rows' unity drivers likewise);
    the diode amplifier (G = a_d, when a_d ≠ 1) moves its node u by n_d, so its diodes carry
    g_d n_d more, mirrored as −a_d g_d n_d into the hidden node. Then the exact solve of
    H v = ξ. Each read then passes its amplifiers: a hidden read is the diode amplifier's
    output u = a_d V + n_d (the same n_d) through the hidden ADC preamp (input noise n_h),
    i.e. + (n_d + n_h) / a_d at the node; an output read passes the output ADC preamp,
    + N(0, e_n²/(2T)) node-referred (:meth:`PhysicsParams.amplifier_read_variance`).
    The amplifiers' input current noise: every non-inverting input on a node
    (:func:`input_loads`: the +a drive and the diode amplifier on a hidden node, the ADC
    preamp on an output) injects N(0, i_n²/(2T)) of its part's i_n into that node, before
    the solve (zero, and not drawn, while no i_n is booked: the default).
    """
    p = net.params
    kt = K_B * p.temperature
    t_int = phys.integration_time
    big_l = net.n_layers
    bsz = x.shape[0]
    sizes = p.layer_sizes
    xi = [np.zeros((bsz, n)) for n in sizes[1:]]

    def e_sd(stage: Stage) -> float:  # averaged e_n at the stage's input (noise gain 1)
        return stage.noise / math.sqrt(2.0 * t_int)

    n_read: list[Array] = []  # node-referred noise of each hidden read (diode amp + preamp)
    # first crossbar: every device's Johnson noise enters its column node; the rows are
    # driven by the input drivers behind the DACs (+x and bias: unity buffers, -x: inverting,
    # noise gain 2), whose output noise drives G_ij n_i into every column node
    g_in = net.weights[0] * p.g_max
    g0 = g_in.sum(axis=0)
    xi[0] += rng.standard_normal((bsz, sizes[1])) * np.sqrt(2.0 * kt * g0 / t_int)
    n0 = sizes[0]
    e_row = e_sd(phys.stage("input driver", 1.0))
    e_inv = e_sd(phys.stage("input driver (inverting)", 2.0)) * 2.0
    if e_row > 0.0 or e_inv > 0.0:
        sd = np.concatenate([np.full(n0, e_row), np.full(n0, e_inv), np.full(2, e_row)])
        xi[0] += (rng.standard_normal((bsz, 2 * n0 + 2)) * sd) @ g_in
    for k in range(1, big_l):
        gk = net.weights[k] * p.g_max  # (2n_k + 2, n_{k+1})
        z = rng.standard_normal((bsz, *gk.shape)) * np.sqrt(2.0 * kt * gk / t_int)
        xi[k] += z.sum(axis=1)
        n = sizes[k]
        a = net._gain(k)
        # the row current of the ±a·V rows is mirrored into the hidden node (gain ∓a)
        xi[k - 1] += -a * z[:, :n, :].sum(axis=2) + a * z[:, n : 2 * n, :].sum(axis=2)
        # drive amplifiers' output noise on the ±a·V rows: +a (G = a), −a (G = 1 + a)
        s_p = phys.stage("crossbar drive +a", abs(a))
        s_m = phys.stage("crossbar drive -a", 1.0 + abs(a))
        if s_p.noise > 0.0 or s_m.noise > 0.0:
            n_p = rng.standard_normal((bsz, n)) * (s_p.gain * e_sd(s_p))
            n_m = rng.standard_normal((bsz, n)) * (s_m.gain * e_sd(s_m))
            g_p, g_m = gk[:n], gk[n : 2 * n]
            xi[k] += n_p @ g_p + n_m @ g_m
            xi[k - 1] += -a * n_p * g_p.sum(axis=1) + a * n_m * g_m.sum(axis=1)
        # the bias rows' drivers (unity buffers)
        if e_row > 0.0:
            xi[k] += (rng.standard_normal((bsz, 2)) * e_row) @ gk[2 * n :]
    for layer in range(1, big_l):
        a_d = net.readout_gain(layer)
        s_d = phys.stage("diode amplifier", a_d)
        n_d = rng.standard_normal(xi[layer - 1].shape) * (abs(a_d) * e_sd(s_d))
        # the hidden ADC's preamp reads u = a_d V: its input noise is n_p / a_d at the node
        s_h = phys.stage("hidden ADC preamp", phys.preamp_gain(phys.adc_range_hidden))
        n_h = rng.standard_normal(xi[layer - 1].shape) * e_sd(s_h)
        n_read.append((n_d + n_h) / a_d)
        if p.diodes and a_d != 1.0 and s_d.noise > 0.0:
            # the diode node u = a_d V + n_d: the diodes carry g_d n_d more, mirrored (−a_d)
            g_d = _diode_small_signal(net, layer, state.layers[layer - 1]) / (a_d * a_d)
            xi[layer - 1] += -a_d * g_d * n_d
        i_up, i_dn = net.diode_currents(layer, state.layers[layer - 1])
        if not p.diodes:
            continue
        var = Q_E * (np.abs(i_up) + np.abs(i_dn) + 4.0 * p.diode_i_s) / t_int
        xi[layer - 1] += p.diode_gain * np.sqrt(var) * rng.standard_normal(var.shape)
    if beta != 0.0:
        xi[-1] += rng.standard_normal(xi[-1].shape) * math.sqrt(2.0 * kt * abs(beta) / t_int)
    # the input current noise of every amplifier input that sits on a node (input_loads):
    # one-sided i_n^2 averaged over T, independent per input (drawn only when booked, so the
    # random stream is unchanged at i_n = 0)
    loads = (input_loads(net, phys)
             if phys.amplifier_current_noise > 0.0 or phys.buffer_current_noise > 0.0 else [])
    for layer, stages in enumerate(loads):
        var_i = sum(st.current_noise**2 for st in stages) / (2.0 * t_int)
        if var_i > 0.0:
            xi[layer] += rng.standard_normal(xi[layer].shape) * math.sqrt(var_i)
    diag = diagonal_blocks(net, state, beta)
    coup = coupling_blocks(net)
    v = _solve_chain(diag, coup, xi)
    e_out = e_sd(phys.stage("output ADC preamp", phys.preamp_gain(phys.adc_range_output)))
    return [a + n for a, n in zip(v[:-1], n_read, strict=True)] + [
        v[-1] + e_out * rng.standard_normal(v[-1].shape)
    ]


def input_loads(net: Any, phys: PhysicsParams) -> list[list[Stage]]:
    """Return the amplifier stages whose input sits on the nodes of each solved layer.

    One list per solved layer (hidden layers, then the outputs), one stage per input on each
    node of that layer. A hidden node carries the non-inverting inputs of its +a crossbar
    drive (noise gain a) and of its diode / read amplifier (gain a_d; at a_d = 1 a unity
    buffer whose output the hidden ADC preamp reads). An output node carries the
    non-inverting input of its ADC preamp. Not loading a node: the −a drive is an inverting
    stage (its inputs sit at its own virtual ground and at ground, so its input currents flow
    through its feedback resistor, i_n R_f at its output; the model carries no R_f and leaves
    that term out), the hidden ADC preamp reads the diode amplifier's low-impedance output u,
    the input and bias-row drivers read the DACs and references. The current mirrors
    (CCCS) are modelled as ideal current outputs.
    """
    out: list[list[Stage]] = []
    for layer in range(1, net.n_layers):
        out.append([phys.stage("crossbar drive +a", abs(float(net._gain(layer)))),
                    phys.stage("diode amplifier", float(net.readout_gain(layer)))])
    out.append([phys.stage("output ADC preamp", phys.preamp_gain(phys.adc_range_output))])
    return out


def bias_current_offsets(
    net: Any, state: Any, beta: float, phys: PhysicsParams, per_input: float | None = None
) -> list[Array]:
    """DC shift (V) of every solved node from the amplifiers' input bias currents, per layer.

    Each input of :func:`input_loads` draws its part's bias current I_b from its node
    (``per_input``: every input draws that current instead, A, for a sensitivity), so the
    node equations gain −Σ I_b on their right-hand side and, to first order, the operating
    point moves by ΔV = H^{-1} (−Σ I_b) with H the conductance matrix of the phase
    (:func:`diagonal_blocks`, :func:`coupling_blocks`; exact for a linear network; the
    engines solve the full shift once :func:`apply_bias_currents` books it). A bias
    current the same in every phase moves each phase's operating point by nearly the same
    ΔV, so the phase difference EP learns from changes only at second order (through the
    diodes' curvature), but the free phase's outputs, the prediction, carry the full shift.

    Size at the digits default (64-128-10, vteam_highr synapses, initial weights; the audit's
    ``amplifier_input_currents`` on the probe batch): a hidden node's total conductance is
    ~4.4 mS (its 130 input devices and the a² = 9 mirrored 20 output devices at ~0.35 g_max),
    an output's ~3.6 mS (258 devices), so 1 µA per input gives |ΔV| ≈ 2 µA / 4.4 mS ×
    0.91 = 0.42 mV at a hidden node (×30 at the diode node its ADC reads: ~105 steps of
    122 µV, 125 at the largest) and 1 µA / 3.6 mS × ~1 = 0.28 mV at an output (~29 steps of
    9.8 µV, 35 at the largest; the targets span 4 mV). The coupling to the other layer's
    shifted nodes changes the plain I_b/G by a few per cent (0.91 at a hidden node, 0.96 at
    an output of the test's 32-sample probe).
    """
    bsz = state.layers[0].shape[0]
    rhs = []
    for stages, v in zip(input_loads(net, phys), state.layers, strict=True):
        i_b = len(stages) * per_input if per_input is not None else sum(
            st.bias_current for st in stages)
        rhs.append(np.full((bsz, v.shape[1]), -float(i_b)))
    return _solve_chain(diagonal_blocks(net, state, beta), coupling_blocks(net), rhs)


def apply_bias_currents(net: Any, phys: PhysicsParams) -> tuple[float, float]:
    """Put the booked input bias currents into ``net``'s operating point; return them (A).

    Σ I_b over the inputs of :func:`input_loads` on a hidden node and on an output node
    (each stage's part: ``amplifier_bias_current`` / ``buffer_bias_current``) become the
    circuit's ``input_bias_hidden`` / ``input_bias_output``, which every engine solves
    (:meth:`~thermolearn.algorithms.ep_circuit.EPCircuit.set_input_bias`). Nothing is
    changed while none is booked (the default: no data-sheet figure).
    """
    loads = input_loads(net, phys)
    hidden = sum(st.bias_current for st in loads[0]) if net.n_layers > 1 else 0.0
    output = sum(st.bias_current for st in loads[-1])
    if hidden != 0.0 or output != 0.0:
        net.set_input_bias(hidden=hidden, output=output)
    return hidden, output


def _solve_chain(diag: list[Array], coup: list[Array], rhs: list[Array]) -> list[Array]:
    """Solve the block-tridiagonal system by forward Schur elimination and back-substitution."""
    n_l = len(diag)
    s_blocks: list[Array] = [diag[0]]
    r_vecs: list[Array] = [rhs[0]]
    for layer in range(1, n_l):
        c = coup[layer - 1]
        prev = s_blocks[-1]
        if prev.ndim == 2:
            inv_c = c[None, :, :] / prev[:, :, None]
            inv_r = r_vecs[-1] / prev
        else:
            inv_c = np.linalg.solve(prev, np.broadcast_to(c, (prev.shape[0], *c.shape)))
            inv_r = np.linalg.solve(prev, r_vecs[-1][..., None])[..., 0]
        s = -np.einsum("ij,bik->bjk", c, inv_c)
        idx = np.arange(diag[layer].shape[1])
        s[:, idx, idx] += diag[layer]
        s_blocks.append(s)
        r_vecs.append(rhs[layer] - np.einsum("ij,bi->bj", c, inv_r))
    v: list[Array] = [np.zeros(0) for _ in range(n_l)]
    for layer in range(n_l - 1, -1, -1):
        r = r_vecs[layer]
        if layer < n_l - 1:
            r = r - np.einsum("ij,bj->bi", coup[layer], v[layer + 1])
        sb = s_blocks[layer]
        v[layer] = r / sb if sb.ndim == 2 else np.linalg.solve(sb, r[..., None])[..., 0]
    return v


def measure(
    net: Any,
    x: Array,
    state: Any,
    beta: float,
    phys: PhysicsParams,
    rng: np.random.Generator,
    *,
    layers: str = "all",
) -> Any:
    """Return the digitised read of one phase: V* + averaged noise, quantised by the ADCs.

    Hidden layers are read at the amplified node (u = a·V, range ±adc_range_hidden) and
    reported back in node units; outputs at ±adc_range_output. ``layers="output"`` reads only
    the outputs (the free phase of training needs only the prediction). Returns a PhaseResult
    with the measured voltages, plus the clipping count in ``meta``.
    """
    v = [a.copy() for a in state.layers]
    if phys.read_noise:
        noise = read_noise(net, x, state, beta, phys, rng)
        v = [a + n for a, n in zip(v, noise, strict=True)]
    clipped = 0
    out = []
    big_l = net.n_layers
    for layer, vl in enumerate(v, start=1):
        if layer < big_l:
            if layers == "output":
                out.append(state.layers[layer - 1])
                continue
            a = net.readout_gain(layer)
            fs = phys.adc_range_hidden
            clipped += int(np.sum(np.abs(a * vl) > fs))
            out.append(quantize(a * vl, phys.adc_bits, fs) / a)
        else:
            fs = phys.adc_range_output
            clipped += int(np.sum(np.abs(vl) > fs))
            out.append(quantize(vl, phys.adc_bits, fs))
    res = PhaseResult(layers=out, sweeps=state.sweeps, diode_current=state.diode_current)
    res.meta = {"clipped": clipped}
    return res


# --------------------------------------------------------------------------------------------
# device drops
# --------------------------------------------------------------------------------------------


def device_drops(net: Any, x: Array, layers: list[Array]) -> list[Array]:
    """Voltage across every crossbar device (V), one (B, 2n+2, m) array per crossbar."""
    out = []
    prev = x
    for k, vk in enumerate(layers):
        pre = net.presynaptic(k, prev)
        out.append(pre[:, :, None] - vk[:, None, :])
        prev = vk
    return out


def max_drops(net: Any, x: Array, layers: list[Array]) -> list[float]:
    """Largest |drop| (V) over devices and samples, per crossbar (without forming all drops)."""
    out = []
    prev = x
    for k, vk in enumerate(layers):
        pre = net.presynaptic(k, prev)
        m = np.maximum(pre.max(1) - vk.min(1), vk.max(1) - pre.min(1))
        out.append(float(np.max(m)))
        prev = vk
    return out


__all__ = [
    "PhysicsParams",
    "quantize",
    "quantize_inputs",
    "read_noise",
    "measure",
    "diagonal_blocks",
    "coupling_blocks",
    "dense_conductance_matrix",
    "slowest_time_constant",
    "window_time_constant",
    "cascade_step_error",
    "cascade_settling_time",
    "input_loads",
    "bias_current_offsets",
    "apply_bias_currents",
    "device_drops",
    "max_drops",
    "MAC_ENERGY_INT32",
    "SRAM_ENERGY_PER_WORD",
    "AMPLIFIER_POWER_CITED",
    "AMPLIFIER_GBW_CITED",
    "AMPLIFIER_NOISE_CITED",
]


# --------------------------------------------------------------------------------------------
# one physical EP step: phases solved, read through noise and ADCs, gradients from the reads
# --------------------------------------------------------------------------------------------


#: Fixed-point operations per output and sample of the cross-entropy nudge targets
#: (:func:`nudge_targets_measured`), each booked as one 32-bit MAC at ``mac_energy``: scale by
#: 1/T (1), subtract the row maximum (1), exp by range reduction (1) and a degree-4 Horner
#: polynomial (4), accumulate the sum (1), normalise (1), subtract the one-hot (1), × κ (1),
#: subtract from the read (1): 12.
CE_NUDGE_OPS_PER_OUTPUT = 12
#: ... and per sample: the reciprocal of the softmax sum by two Newton–Raphson steps of two
#: multiplies each (4).
CE_NUDGE_OPS_PER_SAMPLE = 4


def nudge_targets_measured(
    net: Any, y: NDArray[np.int64], free_m: Any, phys: PhysicsParams
) -> tuple[Array, dict[str, Any]]:
    """Nudge targets of one batch as the controller sets them, and what setting them costs.

    ``loss="squared"``: the fixed class targets (reference sources; nothing is computed or
    converted per sample). ``loss="cross_entropy"``: t = V_m − κ (softmax(V_m / T) −
    onehot(y)) from the free phase's output *reads* V_m (noise + ADC,
    :meth:`~thermolearn.algorithms.ep_circuit.EPCircuit.nudge_targets`), written to the
    nudging sources by a DAC matched to the output ADC (``adc_bits`` over
    ±``adc_range_output``; values outside are clipped and counted). Returns the targets and
    a dict: ``ops`` (fixed-point operations of the batch, :data:`CE_NUDGE_OPS_PER_OUTPUT` ×
    outputs + :data:`CE_NUDGE_OPS_PER_SAMPLE`, per sample), ``dac_conversions``,
    ``clipped`` (targets outside the range), ``count`` and ``max_abs`` (V, before clipping).
    """
    p = net.params
    n_out = p.layer_sizes[-1]
    bsz = len(y)
    if p.loss == "squared":
        tgt = net.targets(y)
        return tgt, {"loss": p.loss, "ops": 0, "dac_conversions": 0, "clipped": 0,
                     "count": int(tgt.size), "max_abs": float(np.max(np.abs(tgt)))}
    raw = net.nudge_targets(y, free_m.layers[-1])
    fs = phys.adc_range_output
    clipped = int(np.sum(np.abs(raw) > fs))
    tgt = quantize(raw, phys.adc_bits, fs)
    return tgt, {"loss": p.loss,
                 "ops": bsz * (CE_NUDGE_OPS_PER_OUTPUT * n_out + CE_NUDGE_OPS_PER_SAMPLE),
                 "dac_conversions": bsz * n_out, "clipped": clipped, "count": int(raw.size),
                 "max_abs": float(np.max(np.abs(raw)))}


__all__ += ["CE_NUDGE_OPS_PER_OUTPUT", "CE_NUDGE_OPS_PER_SAMPLE", "nudge_targets_measured"]


def physical_gradients(
    net: Any,
    x: Array,
    y: NDArray[np.int64],
    phys: PhysicsParams,
    rng: np.random.Generator,
    *,
    solver: str = "layerwise",
    estimator: str = "centred",
) -> tuple[list[Array], dict[str, Any]]:
    """EP gradient (per normalised conductance, batch mean) from *measured* phases.

    The inputs drive the sources through ``dac_bits`` DACs; every phase is solved exactly
    (``solver``) and then read as the circuit would be read: averaged over the integration
    window with Johnson and shot noise and digitised at ``adc_bits`` (:func:`measure`). The
    free phase is read at the outputs only (the prediction); the nudged phases at every node
    (the local rule needs the drop across every device). The nudge targets are set by the
    controller (:func:`nudge_targets_measured`; with ``loss="cross_entropy"`` from the free
    phase's output reads, before the nudged phases run). The local rule
    ``[ΔV(+β)² − ΔV(−β)²] / (4β)`` is then evaluated digitally on those codes.

    Returns the gradients and an info dict: exact and measured states, passive dissipation
    per phase (W, batch sum), power supplied by the active −β source, ADC clip count, largest
    device drop per crossbar and phase, and the learning-signal and noise statistics.
    """
    xq = quantize_inputs(x, phys.dac_bits, phys.dac_bipolar)
    b_si = net.params.beta
    b = net._beta
    bsz = x.shape[0]
    free = net.solve(xq, solver=solver)
    full_free = estimator == "one-sided"
    free_m = measure(net, xq, free, 0.0, phys, rng, layers="all" if full_free else "output")
    tgt, nudge = nudge_targets_measured(net, y, free_m, phys)
    plus = net.solve(xq, beta=b_si, target=tgt, init=free.layers, solver=solver)
    plus_m = measure(net, xq, plus, b_si, phys, rng)
    info: dict[str, Any] = {
        "x": xq,
        "free": free,
        "plus": plus,
        "free_measured": free_m,
        "plus_measured": plus_m,
        "power": {
            "free": net.phase_power(xq, free, net._squared_drops(xq, free), 0.0, tgt),
            "plus": net.phase_power(xq, plus, net._squared_drops(xq, plus), b, tgt),
        },
        "driver_loss": {},
        "driver_current_max": {},
        "supplied": {},
        "clipped": free_m.meta["clipped"] + plus_m.meta["clipped"],
        "max_drop": {"free": max_drops(net, xq, free.layers),
                     "plus": max_drops(net, xq, plus.layers)},
        "sweeps": free.sweeps + plus.sweeps,
        "targets": tgt,
        "nudge": nudge,
        "reads": {"free": sum(net.params.layer_sizes[-1:]) if not full_free
                  else sum(net.params.layer_sizes[1:]),
                  "plus": sum(net.params.layer_sizes[1:])},
    }
    d_plus = net._squared_drops(xq, plus_m)

    def drivers(phase: str, state: Any, beta: float) -> None:
        w, imax = driver_output_losses(net, xq, state, beta, tgt, phys.supply_rail)
        info["driver_loss"][phase] = w
        cur = info["driver_current_max"]
        for kind, i in imax.items():
            cur[kind] = max(cur.get(kind, 0.0), i)

    drivers("free", free, 0.0)
    drivers("plus", plus, b_si)
    if estimator == "centred":
        minus = net.solve(xq, beta=-b_si, target=tgt, init=free.layers, solver=solver)
        minus_m = measure(net, xq, minus, -b_si, phys, rng)
        info["minus"] = minus
        info["minus_measured"] = minus_m
        info["power"]["minus"] = net.phase_power(
            xq, minus, net._squared_drops(xq, minus), -b, tgt
        )
        info["supplied"]["minus"] = net.nudge_supplied_power(minus, -b, tgt)
        drivers("minus", minus, -b_si)
        info["clipped"] += minus_m.meta["clipped"]
        info["max_drop"]["minus"] = max_drops(net, xq, minus.layers)
        info["sweeps"] += minus.sweeps
        info["reads"]["minus"] = sum(net.params.layer_sizes[1:])
        d_minus = net._squared_drops(xq, minus_m)
        grads = [(dp - dm) / (4.0 * b * bsz) for dp, dm in zip(d_plus, d_minus, strict=True)]
        other, other_exact = minus_m, minus
    else:
        d_free = net._squared_drops(xq, free_m)
        grads = [(dp - df) / (2.0 * b * bsz) for dp, df in zip(d_plus, d_free, strict=True)]
        other, other_exact = free_m, free
    # learning signal (exact) vs what the readout resolves, per layer
    sig = []
    err = []
    for k, (vp, vo) in enumerate(zip(plus.layers, other_exact.layers, strict=True)):
        scale = net.readout_gain(k + 1) if k + 1 < net.n_layers else 1.0
        sig.append(float(np.median(np.abs(vp - vo))) * scale)
        err.append(
            float(np.sqrt(np.mean((plus_m.layers[k] - vp - (other.layers[k] - vo)) ** 2))) * scale
        )
    info["signal"] = sig
    info["read_error"] = err
    return grads, info


__all__ += ["physical_gradients"]


def amplifier_stages(net: Any, phys: PhysicsParams) -> list[Stage]:
    """Every amplifier stage of the EP network, with its gain, count and part.

    Per hidden layer of n nodes: the +a and −a crossbar drives (noise gains a and 1 + a), the
    diode amplifier (a_d), the hidden ADC preamp (``adc_input_range / adc_range_hidden``), n
    of each, and the two unity drivers of the next crossbar's bias rows; the output ADC
    preamps (``adc_input_range / adc_range_output``), one per output; the input-row drivers
    behind the DACs: +x and the two bias rows (unity buffers), −x (inverting, noise gain 2).
    """
    sizes = net.params.layer_sizes
    out = [
        phys.stage("input row driver", 1.0, sizes[0] + 2),
        phys.stage("input row driver (inverting)", 2.0, sizes[0]),
    ]
    for layer in range(1, net.n_layers):
        n = sizes[layer]
        a = abs(float(net._gain(layer)))
        out += [
            phys.stage(f"crossbar drive +a of layer {layer}", a, n),
            phys.stage(f"crossbar drive -a of layer {layer}", 1.0 + a, n),
            phys.stage(f"diode amplifier of layer {layer}", float(net.readout_gain(layer)), n),
            phys.stage(f"hidden ADC preamp of layer {layer}",
                       phys.preamp_gain(phys.adc_range_hidden), n),
            phys.stage(f"bias row driver of crossbar {layer}", 1.0, 2),
        ]
    out.append(phys.stage("output ADC preamp", phys.preamp_gain(phys.adc_range_output),
                          sizes[-1]))
    return out


def driver_output_losses(
    net: Any, x: Array, state: Any, beta: float, target: Array, rail: float
) -> tuple[float, dict[str, float]]:
    """Output-stage dissipation (W, batch sum) of every driven line at a solved phase.

    A stage whose output sits at V and delivers the current I into the circuit draws
    ``V_rail |I|`` from the rail it sources from (or sinks to) and delivers ``V I``: its output
    transistors dissipate ``V_rail |I| − V I`` (≥ 0 for |V| < V_rail). Lines: the input and
    bias rows (their drivers deliver each row's crossbar current), the ±a·V rows of the
    drive amplifiers and their mirrors (∓a times that current into the hidden node), the
    diode amplifiers (the net diode current at u), the diode mirrors (−a_d times it into the
    hidden node), the diode bias sources, and the nudging source (``beta`` in S, signed).
    Returns the total and the largest |I| (A) per kind of stage.
    """
    p = net.params
    gm = p.g_max
    total = 0.0
    imax: dict[str, float] = {}

    def add(kind: str, v: Array, i: Array) -> None:
        nonlocal total
        total += float(np.sum(rail * np.abs(i) - v * i))
        if i.size:
            imax[kind] = max(imax.get(kind, 0.0), float(np.max(np.abs(i))))

    prev = x
    for k, vk in enumerate(state.layers):
        pre = net.presynaptic(k, prev)
        g = net.weights[k] * gm
        i_row = pre * g.sum(axis=1) - vk @ g.T
        n = p.layer_sizes[k]
        if k == 0:
            add("input row drivers", pre, i_row)
        else:
            add("crossbar drive amplifiers", pre[:, : 2 * n], i_row[:, : 2 * n])
            add("bias row drivers", pre[:, 2 * n :], i_row[:, 2 * n :])
            a = float(net._gain(k))
            i_m = np.concatenate([-a * i_row[:, :n], a * i_row[:, n : 2 * n]], axis=1)
            add("crossbar current mirrors", np.concatenate([prev, prev], axis=1), i_m)
        prev = vk
    if p.diodes:
        for layer in range(1, net.n_layers):
            v = state.layers[layer - 1]
            i_up, i_dn = net.diode_currents(layer, v)
            a_d = p.diode_gain
            if a_d != 1.0:  # a_d = 1: the diodes sit on the hidden node itself
                i_d = i_up - i_dn
                add("diode amplifiers", a_d * v, i_d)
                add("diode current mirrors", v, -a_d * i_d)
            add("diode bias sources", np.full_like(v, p.v_up), -i_up)
            add("diode bias sources", np.full_like(v, p.v_down), i_dn)
    if beta > 0.0:
        # a conductance beta to a source at the target: the source delivers beta (y - V)
        add("nudge sources", target, beta * (target - state.layers[-1]))
    elif beta < 0.0:
        # the active element injects beta (y - V) (beta < 0) into the output node
        add("nudge sources", state.layers[-1], beta * (target - state.layers[-1]))
    return total, imax


__all__ += ["Stage", "SUPPLY_RAIL", "RHO_CU_BULK", "WIRE_RESISTANCE_BOUND", "amplifier_stages",
            "driver_output_losses"]
