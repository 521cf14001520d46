"""The diode calibration's booking against independent counts and an MNA run.

The calibration (``algorithms/ep_calibration.py``) runs one free phase of ``n`` training samples
at unity diode gain and reads the hidden nodes. Its ledger lines are checked here against
references computed another way: the probe phase's dissipation and its output-stage losses from
the general MNA engine's own element currents, and the converter and amplifier lines as closed
forms of the counts (per sample: every amplifier stage for one phase, one ADC conversion per
hidden node, one DAC conversion per input feature).
"""

from __future__ import annotations

import numpy as np
import pytest

from thermolearn.algorithms.ep_calibration import calibrate_diodes
from thermolearn.algorithms.ep_physics import amplifier_stages, quantize_inputs
from thermolearn.circuit import operating_point
from thermolearn.datasets import load
from thermolearn.devices.peripherals import DAC
from thermolearn.energy import EnergyLedger
from thermolearn.experiments.ep_train import build_ep_network, default_config


def test_calibration_books_every_line_against_independent_references() -> None:
    """Digits, 3 hidden nodes, 5 calibration samples.

    References: ``calibration_phase`` = Σ over resistors and diodes of I·V from MNA element
    currents of each probe circuit × phase time; ``calibration_driver_output_stage`` =
    Σ V_rail |I| − V I over every active element of the same MNA solutions (the 0 V sense
    sources excluded, as in the training test of ``test_ep_train.py``); amplifiers
    n × t × Σ count · P_q; ADC n × n_hidden × FOM·2^bits; DAC n × n_in × the DAC's energy per
    conversion. Tolerances: rel 1e-6 for the MNA references (layer-wise tolerance vs MNA),
    1e-12 for the counts; abs=0 (the figures are far below pytest's default abs 1e-12).
    Mutations that turn it red: the output-stage line not booked (the MNA reference is
    > 0); ``× n`` dropped from the amplifier line; the sample count of the ADC line wrong.
    """
    from thermolearn.algorithms.ep_inputs import encode_dataset

    cfg = default_config("digits", n_train=5, hidden=(3,), device="ideal",
                         circuit={"tol": 1e-11})
    data, _ = encode_dataset(load("digits", seed=0).subset(n_train=5), cfg.input_encoding)
    sizes = (data.n_features, 3, data.n_classes)
    net, _, phys = build_ep_network(cfg, sizes, np.random.default_rng(0))
    ledger = EnergyLedger()
    x = data.x_train
    n = x.shape[0]
    cal = calibrate_diodes(net, x, phys, np.random.default_rng(1), ledger=ledger)
    bd = ledger.breakdown()
    t = phys.phase_duration

    probe = net.with_params(diode_gain=1.0)
    xq = quantize_inputs(x, phys.dac_bits, phys.dac_bipolar)
    rail = phys.supply_rail
    e_phase = e_drv = 0.0
    for i in range(n):
        c = probe.build_circuit(xq[i])
        op = operating_point(c, engine="python")
        for el in c.elements:
            cur = op.currents[el.name]
            absorbed = cur * (op.v(el.p) - op.v(el.n))
            if el.kind in "RD":
                e_phase += absorbed * t
            elif el.kind in "VEFG" and not el.name.startswith("vs"):
                e_drv += (rail * abs(cur) + absorbed) * t
    assert e_drv > 0
    assert bd["calibration_phase"] == pytest.approx(e_phase, rel=1e-6, abs=0)
    assert bd["calibration_driver_output_stage"] == pytest.approx(e_drv, rel=1e-6, abs=0)

    watts = sum(st.count * st.power for st in amplifier_stages(net, phys))
    assert bd["calibration_amplifier"] == pytest.approx(n * t * watts, rel=1e-12, abs=0)
    assert bd["calibration_adc"] == pytest.approx(
        n * 3 * phys.fom_walden * 2**phys.adc_bits, rel=1e-12, abs=0)
    dac = DAC(bits=phys.dac_bits, v_full_scale=net.params.input_amplitude,
              c_load=phys.dac_c_load)
    assert bd["calibration_dac"] == pytest.approx(
        n * data.n_features * dac.energy_per_conversion, rel=1e-12, abs=0)
    assert cal.energy == pytest.approx(sum(bd.values()), rel=1e-12, abs=0)
