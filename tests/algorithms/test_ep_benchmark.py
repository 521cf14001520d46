"""The EP benchmark tooling: per-seed rows, paired differences, audit summary, validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from thermolearn.experiments.ep_benchmark import run_benchmark


def test_benchmark_pairs_each_seed_with_its_own_baselines(tmp_path: Path) -> None:
    """Reference: hand computation from the per-seed rows (mean of the paired differences,
    to 1e-12); backprop runs the same architecture, epochs and encoded split as EP."""
    extra = {"n_train": 100, "hidden": (12,), "epochs": 2, "batch_size": 20,
             "input_encoding": "unit"}
    s = run_benchmark("digits", tmp_path, seeds=2, device="ideal", extra=extra, progress=False)
    rows = s["runs"]
    assert [r["layer_sizes"] for r in rows] == [[64, 12, 10]] * 2
    assert s["epochs"] == [2] and all(len(r["backprop_curve"]) == 2 for r in rows)
    assert all(r["input_encoding"] == r["backprop_input_encoding"] == "unit"
               for r in rows)
    assert all(r["backprop_hidden"] == [12] for r in rows)
    for k in ("backprop_mlp", "ridge", "logistic_regression", "nearest_neighbour"):
        want = sum(r["ep"] - r[k] for r in rows) / 2
        assert s["ep_minus"][k]["mean"] == pytest.approx(want, abs=1e-12)
    assert s["split"] == "test" and all(r["n_test"] == 360 for r in rows)
    a = s["audit"]
    assert a["drop_over_disturb_free_max"] == max(r["drop_over_disturb_free_max"] for r in rows)
    assert 0 < a["drop_over_disturb_free_max"] < 1 and a["batches_above_disturb_free_voltage"] == 0
    assert a["adc_clipped_fraction_max"] == max(r["adc_clipped_fraction"] for r in rows)
    assert all(r["diode_calibration"] is None for r in rows)  # digits: its fixed diodes


def test_benchmark_validation_split_is_held_out_of_training(tmp_path: Path) -> None:
    """With ``validation`` the figures are on n held-out training examples (reference: the
    digits split sizes, 1,437 train / 360 test)."""
    extra = {"n_train": 100, "hidden": (12,), "epochs": 1, "batch_size": 20, "validation": 200,
             "diode_calibration": 50}
    s = run_benchmark("digits", tmp_path, seeds=1, device="ideal", extra=extra, progress=False)
    r = s["runs"][0]
    assert s["split"].startswith("validation") and r["n_test"] == 200 and r["n_train"] == 100
    # the opt-in diode sizing is reported per seed (on 50 of its 100 training examples)
    assert r["diode_calibration"]["n_samples"] == 50 and r["diode_calibration"]["diode_gain"] > 0
