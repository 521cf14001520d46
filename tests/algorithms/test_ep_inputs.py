"""EP input encoding: training statistics only, every input source within ±A (issue 13).

Reference: the definition z = clip((x − μ_train) / (2 σ_train), −1, 1) evaluated by hand with
NumPy (exact to 1e-12), and the admissible amplitude |A·z| ≤ A (exact bound, no tolerance).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from thermolearn.algorithms.ep_inputs import encode_dataset
from thermolearn.datasets import Dataset
from thermolearn.errors import ParameterError
from thermolearn.experiments.ep_train import default_config, run_training

from .conftest import SMALL_NET_SETTLING


def _shifted_task() -> Dataset:
    """A task whose test split is shifted and wider than its training split."""
    rng = np.random.default_rng(0)
    xtr = 0.5 + 0.05 * rng.standard_normal((200, 6))
    xtr[:, 5] = 0.3  # a constant training feature
    xte = 0.9 + 0.3 * rng.standard_normal((100, 6))
    ytr = rng.integers(0, 3, 200)
    yte = rng.integers(0, 3, 100)
    return Dataset(name="shifted", x_train=xtr, y_train=ytr, x_test=xte, y_test=yte, n_classes=3)


def test_standardise_uses_training_statistics_only_and_stays_within_amplitude() -> None:
    data = _shifted_task()
    enc_data, enc = encode_dataset(data, "standardise")
    mu, sd = data.x_train.mean(axis=0), data.x_train.std(axis=0)
    assert enc.mean is not None and enc.scale is not None
    np.testing.assert_allclose(enc.mean, mu, rtol=0, atol=1e-12)
    np.testing.assert_allclose(enc.scale[:5], 2.0 * sd[:5], rtol=1e-12)
    for raw, got in ((data.x_train, enc_data.x_train), (data.x_test, enc_data.x_test)):
        want = np.clip((raw[:, :5] - mu[:5]) / (2.0 * sd[:5]), -1.0, 1.0)
        np.testing.assert_allclose(got[:, :5], want, rtol=0, atol=1e-12)
        assert np.all(got[:, 5] == 0.0)  # constant training feature carries no signal
    # the shifted test split is NOT re-centred: its mean stays far above the training mean
    assert enc_data.x_test[:, :5].mean() > 0.5
    amplitude = 0.24
    for got in (enc_data.x_train, enc_data.x_test):
        assert np.max(np.abs(amplitude * got)) <= amplitude
    # labels untouched, unit encoding is the identity
    assert np.array_equal(enc_data.y_test, data.y_test)
    same, _ = encode_dataset(data, "unit")
    assert same.x_test is data.x_test


def test_defaults_standardise_digits_and_mnist1d_and_keep_xor_unit() -> None:
    assert default_config("mnist1d").input_encoding == "standardise"
    assert default_config("mnist1d").input_n_std == 3.0  # session 7, validation split
    assert default_config("digits").input_n_std == 2.0
    assert default_config("digits").input_encoding == "standardise"
    assert default_config("xor").input_encoding == "unit"


def test_standardised_run_records_encoding_and_passes_the_audit() -> None:
    cfg = default_config("digits", n_train=60, hidden=(8,), epochs=1, batch_size=20,
                         device="ideal", physics={"settling_time": SMALL_NET_SETTLING})
    res = run_training(cfg, None, progress=False)
    assert res.metrics["input_encoding"]["kind"] == "standardise"
    audit = res.metrics["audit"]
    assert audit["batches_above_disturb_free_voltage"] == 0
    assert audit["drop_over_disturb_free_max"] < 1.0


def test_bipolar_dac_keeps_the_sign_of_standardised_inputs() -> None:
    """Reference: symmetric code round(x·127)/127 at 8 bits (exact), error ≤ half a step."""
    from thermolearn.algorithms.ep_physics import quantize_inputs

    x = np.linspace(-1.0, 1.0, 41)
    q = quantize_inputs(x, 8, bipolar=True)
    np.testing.assert_allclose(q, np.round(x * 127) / 127, rtol=0, atol=1e-15)
    assert np.max(np.abs(q - x)) <= 0.5 / 127 + 1e-15
    # the unipolar code is unchanged (digits): [0, 1] with 255 steps
    u = np.linspace(0.0, 1.0, 11)
    np.testing.assert_allclose(quantize_inputs(u, 8), np.round(u * 255) / 255, atol=1e-15)
    # the training run turns the bipolar code on for standardised inputs only
    from thermolearn.algorithms.ep_physics import PhysicsParams
    from thermolearn.experiments.ep_train import build_ep_network

    assert PhysicsParams().dac_bipolar is False
    for enc, want in (("standardise", True), ("unit", False)):
        cfg = default_config("digits", input_encoding=enc, hidden=(4,), device="ideal")
        _, _, phys = build_ep_network(cfg, (64, 4, 10), np.random.default_rng(0))
        assert phys.dac_bipolar is want


def test_clip_width_and_the_unclipped_baseline_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reference: z = clip((x - μ) / (k σ), -1, 1) by hand (1e-12) for k = 3, and the
    unclipped (x - μ) / σ of ``"zscore"``; the EP circuit refuses ``"zscore"`` (unbounded
    sources) with a ParameterError naming the parameter, backprop accepts it, and
    ``input_n_std`` reaches the run's encoding (red if run_training ignores it)."""
    data = _shifted_task()
    mu, sd = data.x_train.mean(axis=0)[:5], data.x_train.std(axis=0)[:5]
    enc3, e3 = encode_dataset(data, "standardise", n_std=3.0)
    np.testing.assert_allclose(enc3.x_test[:, :5],
                               np.clip((data.x_test[:, :5] - mu) / (3 * sd), -1, 1), atol=1e-12)
    assert e3.summary()["n_std"] == 3.0
    z, ez = encode_dataset(data, "zscore")
    np.testing.assert_allclose(z.x_test[:, :5], (data.x_test[:, :5] - mu) / sd, atol=1e-12)
    assert np.max(np.abs(z.x_test)) > 1.0 and ez.summary()["kind"] == "zscore"
    # the wider clip leaves fewer values at the rails
    enc2, _ = encode_dataset(data, "standardise")
    assert np.mean(np.abs(enc3.x_test) == 1) < np.mean(np.abs(enc2.x_test) == 1)
    with pytest.raises(ParameterError, match="input_encoding.*unbounded"):
        default_config("digits", input_encoding="zscore")
    assert default_config("digits", algorithm="backprop", input_encoding="zscore").input_n_std
    with pytest.raises(ParameterError, match="input_n_std"):
        default_config("digits", input_n_std=0.0)
    cfg = default_config("digits", n_train=60, hidden=(8,), epochs=1, batch_size=20,
                         device="ideal", input_n_std=3.0,
                         physics={"settling_time": SMALL_NET_SETTLING})
    import thermolearn.experiments.ep_train as et
    from thermolearn.datasets import load

    fitted = {}
    real = et.linear_baselines

    def spy(d, **kw):  # noqa: ANN001, ANN003
        fitted["data"] = d
        return real(d, **kw)

    monkeypatch.setattr(et, "linear_baselines", spy)
    res = run_training(cfg, None, progress=False)
    assert res.metrics["input_encoding"]["n_std"] == 3.0
    assert res.metrics["baselines"]["input_encoding"] == "zscore"
    # what the run's baselines were fitted on: the same 60 examples, (x - mu) / sd unclipped
    # (review of session 7: the label alone passed a mutant feeding them EP's clipped inputs)
    raw = load("digits", seed=cfg.seed)
    xr = raw.x_train[:60]
    mu, sd = xr.mean(axis=0), xr.std(axis=0)
    ok = sd > 0
    np.testing.assert_allclose(fitted["data"].x_test[:, ok], (raw.x_test[:, ok] - mu[ok]) / sd[ok],
                               rtol=0, atol=1e-12)
    assert np.max(np.abs(fitted["data"].x_test)) > 1.0


def test_cli_passes_the_input_clip(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    """``--input-n-std`` reaches the run's TrainConfig (train) and the benchmark's ``extra``
    (reference: the value given; red if either command drops the flag)."""
    import thermolearn.experiments.ep_benchmark as eb
    import thermolearn.experiments.ep_train as et
    from thermolearn.cli import main

    seen: dict = {}

    class Stop(Exception):
        pass

    def stop_train(cfg, *a, **kw):  # noqa: ANN001, ANN002, ANN003
        seen["train"] = cfg.input_n_std
        raise Stop

    def stop_bench(task, out, **kw):  # noqa: ANN001, ANN003
        seen["bench"] = kw["extra"]["input_n_std"]
        raise Stop

    monkeypatch.setattr(et, "run_training", stop_train)
    monkeypatch.setattr(eb, "run_benchmark", stop_bench)
    for argv in (["train", "--task", "digits", "--input-n-std", "3", "--out",
                  str(tmp_path / "t"), "--no-progress"],
                 ["ep", "benchmark", "--task", "digits", "--input-n-std", "2.5", "--out",
                  str(tmp_path / "b"), "--no-progress"]):
        with pytest.raises(Stop):
            main(argv)
    assert seen == {"train": 3.0, "bench": 2.5}


def test_benchmark_cli_no_diodes_is_the_linear_ablation(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path) -> None:  # noqa: ANN001
    """``ep benchmark --no-diodes`` trains the circuit without its hidden diode pairs (the
    issue-13 ablation); without the flag the task default keeps them (reference: the flag;
    red if the flag is dropped or applied by default)."""
    import thermolearn.experiments.ep_benchmark as eb
    from thermolearn.cli import main
    from thermolearn.experiments.ep_train import default_config

    seen: list = []

    class Stop(Exception):
        pass

    def stop_bench(task, out, **kw):  # noqa: ANN001, ANN003
        seen.append(default_config(task, device=kw["device"], **kw["extra"]).circuit)
        raise Stop

    monkeypatch.setattr(eb, "run_benchmark", stop_bench)
    for flag in (["--no-diodes"], []):
        with pytest.raises(Stop):
            main(["ep", "benchmark", "--task", "mnist1d", "--device", "ideal", *flag,
                  "--out", str(tmp_path / "b"), "--no-progress"])
    assert seen[0]["diodes"] is False
    assert seen[1].get("diodes", True) is True
    # the rest of the task's circuit defaults survive the override
    assert {k: v for k, v in seen[0].items() if k != "diodes"} == {
        k: v for k, v in seen[1].items() if k != "diodes"}


def test_the_diodes_off_circuit_is_an_affine_classifier() -> None:
    """Reference: superposition (a network of conductances, ideal sources and linear
    controlled sources is affine in its sources). Without its hidden diodes the MNIST-1D
    circuit's output voltages satisfy V(x1 + x2 - x3) = V(x1) + V(x2) - V(x3) (an affine
    combination, so the bias rows cancel) within the rounding of the four reads (2 LSB of the
    output ADC; 24 bits, read noise off, ~1e-5 of the swing), at its initial and at random
    conductances of the window, on the inference path of ``_evaluate`` (DAC-coded inputs,
    ``solve``, the output read by ``measure``); the exact phases (``predict_voltages``) to 1e-12
    of the swing. So the noise-free diodes-off circuit's argmax is a linear
    classifier of its DAC-coded inputs, whatever its training did. With the diodes on, the
    same check fails by more than 1 % of the swing (the nonlinearity is engaged)."""
    from thermolearn.algorithms.ep_physics import measure, quantize_inputs
    from thermolearn.experiments.ep_train import build_ep_network

    rng = np.random.default_rng(5)
    dev = {}
    for diodes in (False, True):
        cfg = default_config("mnist1d", device="ideal", circuit={"diodes": diodes},
                             physics={"read_noise": False, "adc_bits": 24})
        net, _, phys = build_ep_network(cfg, (40, 256, 10), np.random.default_rng(0))
        # DAC codes whose affine combination is again a code inside the range
        x1, x2, x3 = (quantize_inputs(rng.uniform(-0.3, 0.3, (16, 40)), phys.dac_bits,
                                      phys.dac_bipolar) for _ in range(3))
        top = 2 ** (phys.dac_bits - 1) - 1  # the bipolar DAC's codes per polarity
        assert phys.dac_bipolar
        xm = (np.round(x1 * top) + np.round(x2 * top) - np.round(x3 * top)) / top
        np.testing.assert_allclose(quantize_inputs(xm, phys.dac_bits, phys.dac_bipolar), xm,
                                   rtol=0, atol=1e-15)
        worst = 0.0
        w_min = net.params.g_min / net.params.g_max
        for trial in range(2):
            if trial:  # random conductances anywhere in the window
                net.weights = [rng.uniform(w_min, 1.0, w.shape) for w in net.weights]
                net._refresh()

            def out(x: np.ndarray, net: Any = net, phys: Any = phys) -> np.ndarray:
                st = net.solve(x, solver="layerwise")
                ev = np.random.default_rng(0)
                return measure(net, x, st, 0.0, phys, ev, layers="output").layers[-1]

            lsb = phys.lsb(phys.adc_range_output)
            for f, tol in ((out, 2 * lsb), (net.predict_voltages, 0.0)):
                v1, v2, v3, vm = f(x1), f(x2), f(x3), f(xm)
                swing = float(np.ptp(np.concatenate([v1, v2, v3])))
                err = float(np.max(np.abs(vm - (v1 + v2 - v3))))
                worst = max(worst, max(err - tol, 0.0) / swing)
        dev[diodes] = worst
    assert dev[False] < 1e-12
    assert dev[True] > 1e-2
