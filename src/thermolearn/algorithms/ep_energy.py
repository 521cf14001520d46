"""Energy rules of a physical EP training step: what each phase, pulse and conversion books.

The rules are closed forms over the quantities the circuit reports (static powers of the solved
phases, pulse counts, node counts); :mod:`thermolearn.experiments.ep_train` calls them once per
mini-batch. Categories and sources are described in that module's docstring.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.energy import EnergyLedger


def book_phases(ledger: EnergyLedger, params: Any, info: dict[str, Any], bsz: int) -> None:
    """Book one mini-batch's phases, converters and amplifiers (see ep_train's docstring)."""
    t = params.settling_time
    names = {"free": "phase_free", "plus": "phase_nudge_plus", "minus": "phase_nudge_minus"}
    n_phases = 0
    for key, cat in names.items():
        if key in info["power"]:
            ledger.book(cat, info["power"][key] * t, source="simulated", count=bsz)
            n_phases += 1
    sizes = params.layer_sizes
    ledger.book("dac", params.dac_energy * sizes[0] * bsz, source="model", count=sizes[0] * bsz)
    # the local rule needs ΔV across every device, i.e. every non-input node voltage of every
    # phase (hidden and output; the inputs are known): one conversion per such node per phase
    n_nodes = sum(sizes[1:])
    ledger.book(
        "adc",
        params.adc_energy * n_nodes * bsz * n_phases,
        source="model",
        count=n_nodes * bsz * n_phases,
    )
    n_amp = 2 * sum(sizes[1:-1])
    ledger.book(
        "amplifier",
        params.amplifier_power * n_amp * t * n_phases * bsz,
        source="model",
        count=n_amp * n_phases * bsz,
    )


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


__all__ = ["book_phases", "program_read_energy", "ideal_program_energy"]
