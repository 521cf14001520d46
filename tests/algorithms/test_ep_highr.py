"""The EP operating point follows the synapses' conductance scale (the high-R VTEAM preset).

Reference: KCL homogeneity. Every element of the EP circuit is a conductance (devices,
nudge), a diode or a controlled source; scaling every conductance and every diode current
by 1/k (the diode: I_s -> I_s/k, R_s -> k R_s, i.e. 1/k of its junction area) multiplies
every branch current at given node voltages by 1/k, so the operating point is unchanged.
``vteam_highr`` is the default preset's window divided by k = 500 (same VTEAM state
equation), so with noise off its free-phase node voltages equal the default's, on the
layer-wise solver and on the MNA solver (which assembles the circuit in SI). Tolerances:
1e-9 of the largest |V| (float rounding of the rescaled conductances; the layer-wise
solver's own tolerance is 1e-8 V per sweep, so both nets stop at the same sweep) and the MNA
Newton tolerance (1e-9 V). Negative control: the high-R net with its diodes left at the
absolute 1 pA / 1 ohm of the mS operating point (``operating_point_g_max=None``) differs.
"""

from __future__ import annotations

import numpy as np
import pytest

from thermolearn.devices.disturb import disturb_free_voltage
from thermolearn.devices.presets import get, kvatinsky2015, vteam_wan2022
from thermolearn.experiments.ep_train import build_ep_network, default_config

SIZES = (64, 8, 10)


def _net(device_model: str, **kw):
    cfg = default_config("digits", hidden=(8,), device="ideal", device_model=device_model,
                         physics={"read_noise": False}, **kw)
    net, _, _ = build_ep_network(cfg, SIZES, np.random.default_rng(3))
    return net


def _inputs() -> np.ndarray:
    return np.random.default_rng(7).uniform(-1.0, 1.0, size=(6, SIZES[0]))


def test_high_r_window_is_the_default_divided_by_500_with_the_same_thresholds() -> None:
    lo = kvatinsky2015().conductance(np.array([0.0, 1.0]), 0.1)
    hi = vteam_wan2022().conductance(np.array([0.0, 1.0]), 0.1)
    np.testing.assert_allclose(lo / hi, [500.0, 500.0], rtol=1e-12)
    assert hi[0] == pytest.approx(40e-6, rel=1e-12)  # Wan et al. 2022 (aihwkit fit g_max)
    # VTEAM moves with the voltage, not the current: the disturb-free read voltage of the
    # 500x more resistive device is the default's (issue 13 criterion, 1e6 reads of 112 ns)
    v0 = disturb_free_voltage(kvatinsky2015(), read_time=1.12e-7, n_reads=1e6, levels=64)
    v1 = disturb_free_voltage(get("vteam_highr").factory(), read_time=1.12e-7, n_reads=1e6,
                              levels=64)
    assert (v1.positive, v1.negative) == (v0.positive, v0.negative)
    assert 0.29 < v1.voltage < 0.31


def test_free_phase_voltages_are_invariant_under_the_conductance_scale() -> None:
    ref, high = _net("vteam_linear"), _net("vteam_highr")
    assert ref.params.g_max / high.params.g_max == pytest.approx(500.0, rel=1e-12)
    assert high.params.diode_i_s == pytest.approx(ref.params.diode_i_s / 500.0, rel=1e-12)
    assert high.params.diode_r_s == pytest.approx(ref.params.diode_r_s * 500.0, rel=1e-12)
    assert high.params.beta == pytest.approx(ref.params.beta / 500.0, rel=1e-12)
    for w0, w1 in zip(ref.weights, high.weights, strict=True):
        np.testing.assert_allclose(w1, w0, rtol=1e-12)  # the same draw, relative to g_max
    x = _inputs()
    a, b = ref.free(x).layers, high.free(x).layers
    scale = max(float(np.max(np.abs(v))) for v in a)
    assert scale > 1e-3  # a non-trivial operating point
    for va, vb in zip(a, b, strict=True):
        np.testing.assert_allclose(vb, va, rtol=0, atol=1e-9 * scale)
    # the diodes conduct at this operating point (otherwise their scaling would be untested)
    i_up, i_dn = ref.diode_currents(1, a[0])
    assert float(np.max(np.abs(i_up - i_dn))) > 1e-3 * float(np.max(np.abs(
        ref.node_currents(x, [np.zeros_like(v) for v in a])[0])))
    # negative control: the same high-R net with the mS operating point's absolute diodes
    raw = _net("vteam_highr", operating_point_g_max=None)
    c = raw.free(x).layers
    assert float(np.max(np.abs(c[0] - a[0]))) > 1e3 * 1e-9 * scale


@pytest.mark.parametrize(
    ("solver", "atol_engine", "atol_scale"),
    [("mna", 4e-10, 4e-12),
     # ngspice: issue 12's engine agreement, 1e-6 V (its own reltol/vntol and gmin = 1e-12 S,
     # 5e-7 of the 2 uS devices: not scaled with them, so 1e-6 V for the invariance too)
     pytest.param("ngspice", 1e-6, 1e-6, marks=pytest.mark.ngspice)],
)
def test_free_phase_invariance_holds_on_the_si_circuit(
    solver: str, atol_engine: float, atol_scale: float
) -> None:
    # the MNA engine and ngspice solve the exported SI circuit (conductances in S, diodes in
    # A), not the layer-wise solver's normalised units: the invariance is the circuit's
    ref, high = _net("vteam_linear"), _net("vteam_highr")
    x = _inputs()[:2]
    a = ref.solve(x, solver=solver).layers
    b = high.solve(x, solver=solver).layers
    lw = ref.free(x).layers
    for va, vb, vl in zip(a, b, lw, strict=True):
        np.testing.assert_allclose(va, vl, rtol=0, atol=atol_engine)  # the engines agree
        np.testing.assert_allclose(vb, va, rtol=0, atol=atol_scale)


def test_cli_options_reach_the_run(monkeypatch, capsys) -> None:
    """--device-model / --integration-time / --validation / --adc-range-hidden /
    --allow-adc-clipping reach the EP configuration (train and ep benchmark); the circuit
    options on the backprop baseline are refused (no circuit)."""
    import thermolearn.experiments.ep_benchmark as bench
    import thermolearn.experiments.ep_train as ept
    from thermolearn.cli import main
    seen: dict[str, object] = {}

    class _Stop(Exception):
        pass

    def fake_training(cfg, *a, **k):
        seen["cfg"] = cfg
        raise _Stop

    def fake_benchmark(task, out, **kw):
        seen["extra"] = kw["extra"]
        raise _Stop

    monkeypatch.setattr(ept, "run_training", fake_training)
    monkeypatch.setattr(bench, "run_benchmark", fake_benchmark)
    with pytest.raises(_Stop):
        main(["train", "--task", "digits", "--device-model", "vteam_highr",
              "--integration-time", "2e-7", "--validation", "360", "--no-progress"])
    cfg = seen["cfg"]
    assert (cfg.device_model, cfg.validation) == ("vteam_highr", 360)
    assert cfg.physics["integration_time"] == 2e-7
    assert cfg.physics["adc_range_output"] == 0.02  # the task's physics defaults are kept
    with pytest.raises(_Stop):
        main(["ep", "benchmark", "--task", "digits", "--device-model", "vteam_highr",
              "--integration-time", "2e-7", "--no-progress"])
    assert seen["extra"]["device_model"] == "vteam_highr"
    assert seen["extra"]["physics"] == {"integration_time": 2e-7}
    # the ADC range and the clipping opt-in (audit) reach both commands
    with pytest.raises(_Stop):
        main(["ep", "benchmark", "--task", "mnist1d", "--adc-range-hidden", "0.6",
              "--adc-range-output", "0.08", "--adc-bits", "14", "--allow-adc-clipping",
              "--no-diodes", "--no-progress"])
    assert seen["extra"]["physics"] == {"adc_range_hidden": 0.6, "adc_range_output": 0.08,
                                        "adc_bits": 14, "allow_adc_clipping": True}
    assert seen["extra"]["circuit"] == {"diodes": False}
    with pytest.raises(_Stop):
        main(["train", "--task", "digits", "--allow-adc-clipping", "--no-progress"])
    assert seen["cfg"].physics["allow_adc_clipping"] is True
    assert main(["train", "--algorithm", "backprop", "--allow-adc-clipping"]) != 0
    assert "--allow-adc-clipping act only on --algorithm ep" in capsys.readouterr().err
    assert main(["train", "--algorithm", "backprop", "--integration-time", "2e-7"]) != 0
    assert "--integration-time act only on --algorithm ep" in capsys.readouterr().err


def test_wire_drop_column_current_error_vanishes_with_the_wire_resistance() -> None:
    """The audit's column-current error (ep_audit.crossbar_wire_drop) against its own limit:
    the line solver's column currents (NetworkSolution.i_col, current from the line into its
    terminal) must tend to the ideal-wire Σ_i G_ij (u_i − u_j) as r -> 0, first order in r
    (reference: the ideal-wire closed form; tolerance 1e-6 at r = 1e-6 ohm, ratio 2 +- 1 %
    between r and 2 r). It compared -i_col, i.e. reported 2 |I_col| / scale for any r."""
    from thermolearn.algorithms.ep_audit import crossbar_wire_drop

    rng = np.random.default_rng(0)
    g = rng.uniform(1e-3, 1e-2, (6, 3))
    u_row = rng.uniform(-0.2, 0.2, (2, 6))
    u_col = rng.uniform(-0.01, 0.01, (2, 3))
    e1 = crossbar_wire_drop(g, u_row, u_col, 1e-4)["column_current_error_relative"]
    e2 = crossbar_wire_drop(g, u_row, u_col, 2e-4)["column_current_error_relative"]
    assert crossbar_wire_drop(g, u_row, u_col, 1e-6)["column_current_error_relative"] < 1e-6
    assert 0.0 < e1 < 1e-4
    assert e2 / e1 == pytest.approx(2.0, rel=0.01)
