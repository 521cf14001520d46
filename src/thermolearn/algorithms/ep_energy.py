"""Energy rules of a physical EP training step: what each phase, pulse and conversion books.

The rules are closed forms over the quantities the circuit reports (static powers of the solved
phases, pulse counts, node counts); :mod:`thermolearn.experiments.ep_train` calls them once per
mini-batch. Categories and sources are described in that module's docstring.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

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
    * ``amplifier`` — *model, cited*: :func:`amplifier_count` amplifiers (two bidirectional
      drive amplifiers per hidden node, one diode/read amplifier per hidden node, one ADC
      buffer per output), each at its quiescent ``amplifier_power`` (TI OPA855 data sheet
      SBOS622: 17.8 mA at 5 V, 89 mW) for the whole of every phase (settling +
      integration): count × P_q × t_phase per phase and sample.
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
    n_amp = amplifier_count(sizes)
    ledger.book(
        "amplifier",
        phys.amplifier_power * n_amp * t * n_phases * bsz,
        source="model",
        count=n_amp * n_phases * bsz,
    )
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


def amplifier_count(layer_sizes: tuple[int, ...]) -> int:
    """Amplifiers powered in every phase: 3 per hidden node (±a drive, diode/read), 1 per output.

    The read amplifier exists whatever ``diode_gain`` is (it drives the hidden node's ADC);
    each output's ADC has a unity-gain buffer (its noise is in the read, see
    :func:`thermolearn.algorithms.ep_physics.read_noise`).
    """
    return 3 * sum(layer_sizes[1:-1]) + layer_sizes[-1]


__all__ += ["book_physical_step", "amplifier_count"]
