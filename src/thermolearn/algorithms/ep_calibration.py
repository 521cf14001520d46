"""One-time calibration of the hidden diodes to the fan-in and to the measured hidden swing.

Why: a hidden node of the EP circuit sums the conductances of its whole fan-in, so at a fixed
diode size the diode pair's share of the node conductance falls as the fan-in grows, and the
averaging of many inputs shrinks the hidden swing against the fixed knee width n V_T / a_d.
At 784 inputs (MNIST, 784-100-10) the digits diodes carry a median 0.8 % of the node
conductance at the initial conductances (6 % on digits) and switching them off changes nothing:
the network is linear.

How: before training, the free phase of ``n`` training samples is run with the diode amplifier
at unity gain (the diodes' knees at ∓0.363 V sit ~500x beyond the mV-scale swing: they carry
no current) and every hidden node is read through its noise and ADC
(:func:`~thermolearn.algorithms.ep_physics.measure`). The median over nodes of each node's
standard deviation is the swing σ_V; :func:`~thermolearn.algorithms.ep_circuit.size_diodes`
then sets the diode gain a_d from σ_V and the diode area from the fan-in. The calibration's
phases, amplifiers, ADC and DAC conversions are booked (``calibration_*`` ledger lines) like a
training phase. A larger a_d is a slower closed-loop amplifier (τ_a = a_d / (2π GBW)): the
settling time the new gain needs is returned, and the run raises its ``settling_time`` to it
(that longer phase is then booked in every phase; the audit checks it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.algorithms.ep_circuit import (
    DIODE_KNEE_SWINGS,
    DIODE_REST_SHARE,
    EPCircuit,
    diode_pair_conductance,
    mean_node_conductance,
    size_diodes,
)
from thermolearn.algorithms.ep_physics import (
    PhysicsParams,
    amplifier_stages,
    driver_output_losses,
    measure,
    quantize_inputs,
)
from thermolearn.devices.peripherals import DAC
from thermolearn.energy import EnergyLedger
from thermolearn.errors import ParameterError

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True, kw_only=True)
class DiodeCalibration:
    """Result of :func:`calibrate_diodes` (SI units).

    Attributes
    ----------
    n_samples : int
        Training samples read.
    swing : float
        σ_V, V: median over hidden nodes of each node's standard deviation of the measured
        free-phase voltage.
    diode_gain, diode_area, diode_i_s, diode_r_s : float
        The sized diode node gain, junction-area factor, saturation current (A) and series
        resistance (Ω).
    rest_share : float
        The diode pair's share of the mean node conductance at V = 0 after sizing.
    rest_share_before : float
        The same for the diodes before sizing.
    knee_swings : float
        a_d σ_V / (n V_T) after sizing.
    settling_required : float
        Settling (s) that the sized diode amplifier needs for one ADC step.
    energy : float
        Energy booked for the calibration reads, J.
    """

    n_samples: int
    swing: float
    diode_gain: float
    diode_area: float
    diode_i_s: float
    diode_r_s: float
    rest_share: float
    rest_share_before: float
    knee_swings: float
    settling_required: float
    energy: float

    def circuit_changes(self) -> dict[str, float]:
        """Return the :class:`~thermolearn.algorithms.ep_circuit.EPCircuitParams` changes."""
        return {"diode_gain": self.diode_gain, "diode_i_s": self.diode_i_s,
                "diode_r_s": self.diode_r_s}

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (for metrics.json)."""
        return {f: getattr(self, f) for f in self.__dataclass_fields__}


def _rest_share(params: Any) -> float:
    g = float(diode_pair_conductance(params, 0.0))
    s = mean_node_conductance(params, 1)
    return g / (s + g)


def calibrate_diodes(
    net: EPCircuit,
    x: Array,
    phys: PhysicsParams,
    rng: np.random.Generator,
    ledger: EnergyLedger | None = None,
    *,
    knee_swings: float = DIODE_KNEE_SWINGS,
    rest_share: float = DIODE_REST_SHARE,
) -> DiodeCalibration:
    """Measure the hidden swing on ``x`` (training features) and size the diodes to it.

    Parameters
    ----------
    net : EPCircuit
        The circuit at its initial conductances (one hidden layer); it is not changed.
    x : ndarray (n, n_in)
        Calibration features (training data, encoded as for training).
    phys : PhysicsParams
        Noise, ADC and DAC of the reads; energy figures of the booking.
    rng : numpy.random.Generator
        Draws the read noise.
    ledger : EnergyLedger, optional
        Books ``calibration_phase`` and ``calibration_driver_output_stage`` (simulated: the
        output stages' ``V_rail |I| - V I`` at the probe phase), ``calibration_amplifier``,
        ``calibration_adc`` and ``calibration_dac`` (model figures).
    knee_swings, rest_share : float
        Targets of :func:`~thermolearn.algorithms.ep_circuit.size_diodes`.

    Raises
    ------
    ParameterError
        Fewer than 2 samples, or a circuit without one hidden layer.
    """
    xa, _ = net.check_inputs(x)
    n = xa.shape[0]
    if n < 2:
        raise ParameterError(
            f"calibrate_diodes needs >= 2 samples to measure the hidden swing; got {n}."
        )
    p = net.params
    if len(p.layer_sizes) != 3:
        raise ParameterError(
            "calibrate_diodes sizes the diodes of one hidden layer; got layer_sizes "
            f"{p.layer_sizes}."
        )
    probe = net.with_params(diode_gain=1.0)
    xq = quantize_inputs(xa, phys.dac_bits, phys.dac_bipolar)
    free = probe.solve(xq)
    read = measure(probe, xq, free, 0.0, phys, rng, layers="all")
    swing = float(np.median(np.std(read.layers[0], axis=0)))
    sized = size_diodes(p, swing, knee_swings=knee_swings, rest_share=rest_share)
    area = sized.pop("diode_area")
    after = replace(p, **sized)
    t = phys.phase_duration
    tgt = np.zeros((n, p.layer_sizes[-1]))
    e_phase = probe.phase_power(xq, free, probe._squared_drops(xq, free), 0.0, tgt) * t
    # the output stages deliver the probe phase's line currents: V_rail |I| - V I (simulated)
    e_drv = driver_output_losses(probe, xq, free, 0.0, tgt, phys.supply_rail)[0] * t
    # every amplifier stage powered for the probe phase, each at its part's quiescent power
    stages = amplifier_stages(net, phys)
    n_amp = sum(st.count for st in stages)
    e_amp = sum(st.count * st.power for st in stages) * t * n
    n_adc = p.layer_sizes[1] * n
    e_adc = phys.adc_energy * n_adc
    dac = DAC(bits=phys.dac_bits, v_full_scale=p.input_amplitude, c_load=phys.dac_c_load)
    n_dac = p.layer_sizes[0] * n
    e_dac = dac.energy_per_conversion * n_dac
    if ledger is not None:
        ledger.book("calibration_phase", e_phase, source="simulated", count=n)
        ledger.book("calibration_driver_output_stage", e_drv, source="simulated", count=n)
        ledger.book("calibration_amplifier", e_amp, source="model", count=n_amp * n)
        ledger.book("calibration_adc", e_adc, source="model", count=n_adc)
        ledger.book("calibration_dac", e_dac, source="model", count=n_dac)
    return DiodeCalibration(
        n_samples=n,
        swing=swing,
        diode_gain=after.diode_gain,
        diode_area=area,
        diode_i_s=after.diode_i_s,
        diode_r_s=after.diode_r_s,
        rest_share=_rest_share(after),
        rest_share_before=_rest_share(p),
        knee_swings=after.diode_gain * swing / p.thermal_voltage,
        settling_required=phys.amplifier_settling(after.diode_gain),
        energy=e_phase + e_drv + e_amp + e_adc + e_dac,
    )


__all__ = ["DiodeCalibration", "calibrate_diodes"]
