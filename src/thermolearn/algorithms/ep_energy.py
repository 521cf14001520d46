"""Energy rules of a physical EP training step: what each phase, pulse and conversion books.

The rules are closed forms over the quantities the circuit reports (static powers of the solved
phases, pulse counts, node counts); :mod:`thermolearn.experiments.ep_train` calls them once per
mini-batch. Categories and sources are described in that module's docstring.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.algorithms.ep_physics import amplifier_stages
from thermolearn.devices.peripherals import DAC
from thermolearn.energy import EnergyLedger


def program_read_energy(weights: list[NDArray[np.float64]], params: Any) -> float:
    """Energy (J) of reading every device once before state-aware programming.

    Σ V_read² G t_read (0.2 V, 10 ns: model figures) + one ADC conversion per device.
    """
    g_sum = sum(float(w.sum()) for w in weights) * params.g_max
    n_dev = sum(w.size for w in weights)
    return 0.2**2 * 1e-8 * g_sum + params.adc_energy * n_dev


def ideal_program_energy(
    before: list[NDArray[np.float64]],
    after: list[NDArray[np.float64]],
    dev: Any,
    g_max: float,
    w_min: float,
) -> tuple[float, int]:
    """Energy of the ideal update under the pulse model: |ΔG|/step pulses of V_p² G t_p each."""
    step = (1.0 - w_min) / (dev.levels - 1)
    e = 0.0
    n_eq = 0.0
    for a, b in zip(before, after, strict=True):
        npul = np.abs(b - a) / step
        n_eq += float(npul.sum())
        e += float(np.sum(npul * 0.5 * (a + b))) * dev.pulse_voltage**2 * dev.pulse_width * g_max
    return e, int(round(n_eq))


__all__ = ["program_read_energy", "ideal_program_energy"]


def book_physical_step(
    ledger: EnergyLedger, net: Any, phys: Any, info: dict[str, Any], bsz: int
) -> None:
    """Book one mini-batch of physical EP (phases, converters, amplifiers, digital update).

    Every line names its source:

    * ``phase_free``, ``phase_nudge_plus``, ``phase_nudge_minus`` — *simulated*: the passive
      dissipation at the solved operating point (crossbars Σ G ΔV², both diodes of each pair,
      the +β nudging conductance) × (settling + integration time). The −β phase's active
      source *supplies* β (V − y)²; it is reported apart (``energy_supplied_by_active_nudge``
      in metrics.json), not booked as dissipation.
    * ``amplifier`` — *model, cited*: the hidden layers' stages of
      :func:`~thermolearn.algorithms.ep_physics.amplifier_stages` (the ±a crossbar drives and
      the diode amplifiers), each at the quiescent power of its part (the decompensated TI
      OPA855, data sheet SBOS622: 17.8 mA × 5 V = 89 mW, where the stage's gain is ≥ 7; the
      unity-gain-stable TI OPA859, SBOS852A: 20.9 mA × 5 V = 104.5 mW, below) for the whole
      of every phase (settling + integration): Σ count × P_q × t_phase per phase and sample.
    * ``adc_preamp`` — *model, cited*: the preamp in front of every ADC (gain
      ``adc_input_range / adc_range``: 4 for the hidden reads, OPA859; 50 for the outputs,
      OPA855), the same way.
    * ``input_drivers`` — *model, cited*: the drivers behind the DACs that hold the input and
      bias rows of every crossbar (unity buffers, the −x rows inverting; OPA859), the same way.
    * ``driver_output_stage`` — *simulated*: every stage's output-stage loss
      ``V_rail |I| − V I`` (±2.5 V rails) at the line currents of the solved phase
      (:func:`~thermolearn.algorithms.ep_physics.driver_output_losses`: input and bias rows,
      drive amplifiers and their mirrors, diode amplifiers and mirrors, diode bias and
      nudging sources) × (settling + integration time). The crossbar's own I²R is in the
      phase lines; this is what the supplies lose delivering it.
    * ``adc`` — *model, cited*: Walden FOM × 2^bits per conversion (Murmann's survey), one per
      output in the free phase and one per hidden and output node in each nudged phase.
    * ``dac`` — *model*: one input conversion per feature, C_load V² at full swing
      ((activity 1/2) plus the core FOM·2^bits).
    * ``update_arithmetic`` — *model, cited*: the local rule needs Σ_b [ΔV⁺² − ΔV⁻²] per
      device: two multiply-accumulates per device and sample (the cross terms p·o; the
      squares of row and column codes are O(rows + cols)), at ``mac_energy`` (Horowitz 2014,
      32-bit integer MAC 3.2 pJ).
    * ``update_memory`` — *model, cited*: SRAM traffic of the update: the codes of every row
      and column of both nudged phases per sample, one read-modify-write of every device's
      accumulator per batch, at ``sram_energy`` per 32-bit word (Horowitz 2014).
    * ``nudge_target_arithmetic`` — *model, cited* (``loss="cross_entropy"`` only): the
      controller's softmax of the free output reads and the targets
      (:func:`~thermolearn.algorithms.ep_physics.nudge_targets_measured`: 12 operations per
      output + 4 per sample), each as one 32-bit integer MAC at ``mac_energy`` (Horowitz
      2014, the figure of ``update_arithmetic`` and the Adam controller's line).
    * ``nudge_target_dac`` — *model* (``loss="cross_entropy"`` only): one conversion per
      output and sample setting the nudging source, a DAC of the output ADC's resolution over
      ±``adc_range_output`` (C_load V² at full swing plus the core FOM·2^bits, as ``dac``).
    """
    p = net.params
    t = phys.phase_duration
    names = {"free": "phase_free", "plus": "phase_nudge_plus", "minus": "phase_nudge_minus"}
    n_phases = 0
    for key, cat in names.items():
        if key in info["power"]:
            ledger.book(cat, info["power"][key] * t, source="simulated", count=bsz)
            n_phases += 1
    sizes = p.layer_sizes
    lines: dict[str, list[Any]] = {"amplifier": [], "adc_preamp": [], "input_drivers": []}
    for st in amplifier_stages(net, phys):
        if "preamp" in st.name:
            lines["adc_preamp"].append(st)
        elif "driver" in st.name:
            lines["input_drivers"].append(st)
        else:
            lines["amplifier"].append(st)
    for cat, stages in lines.items():
        n_st = sum(st.count for st in stages)
        watts = sum(st.count * st.power for st in stages)
        ledger.book(cat, watts * t * n_phases * bsz, source="model",
                    count=n_st * n_phases * bsz)
    if info.get("driver_loss"):
        ledger.book("driver_output_stage", sum(info["driver_loss"].values()) * t,
                    source="simulated", count=bsz)
    conv = sum(info["reads"].values()) * bsz
    ledger.book("adc", phys.adc_energy * conv, source="model", count=conv)
    dac = DAC(bits=phys.dac_bits, v_full_scale=p.input_amplitude, c_load=phys.dac_c_load)
    n_dac = sizes[0] * bsz
    ledger.book("dac", dac.energy_per_conversion * n_dac, source="model", count=n_dac)
    n_dev = sum(w.size for w in net.weights)
    macs = 2 * n_dev * bsz
    ledger.book("update_arithmetic", phys.mac_energy * macs, source="model", count=macs)
    words = 2 * bsz * sum(w.shape[0] + w.shape[1] for w in net.weights) + 2 * n_dev
    ledger.book("update_memory", phys.sram_energy * words, source="model", count=words)
    nudge = info.get("nudge") or {}
    if nudge.get("ops"):
        ops = int(nudge["ops"])
        ledger.book("nudge_target_arithmetic", phys.mac_energy * ops, source="model",
                    count=ops)
        n_t = int(nudge["dac_conversions"])
        tdac = DAC(bits=phys.adc_bits, v_full_scale=phys.adc_range_output,
                   c_load=phys.dac_c_load)
        ledger.book("nudge_target_dac", tdac.energy_per_conversion * n_t, source="model",
                    count=n_t)


__all__ += ["book_physical_step"]
