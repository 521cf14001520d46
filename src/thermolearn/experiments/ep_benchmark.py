"""Physical EP as a benchmark: several seeds, mean and 95 % CI, baselines on the same splits.

:func:`run_benchmark` trains the physical EP network on one task for ``seeds`` seeds (each seed
draws its own split, initial conductances, device variability and noise) and, on each seed's
split, the baselines: ridge, logistic regression, 1-nearest neighbour and the backprop MLP of
the same architecture, each free baseline parameter (backprop's learning rate and epochs,
ridge's alpha, logistic regression's C, and every baseline's input encoding,
:func:`baseline_encodings`) chosen on a validation split carved from that seed's
training split, as EP's rates were (:func:`baseline_point`). It reports per method the mean
test accuracy and a 95 % confidence interval
(Student t over seeds), and the paired EP − baseline difference with its CI, in
``benchmark.json``. The runs go through the sweep runner, so they are cached per seed (EP and
the baselines apart: re-tuning the baselines reuses the EP runs).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

#: Bump when the meaning of a cached EP result changes.
BENCHMARK_VERSION = 4  # 4: rows carry the test predictions (3: the audit refuses > 1 % clipped
# reads in any epoch)
#: Bump when the meaning of a cached baseline result changes (cached apart from EP's, so
#: re-tuning the baselines reuses the EP runs).
BASELINE_VERSION = 4  # 4: backprop's test predictions; 3: the input encoding is chosen on
# validation (baseline_encodings)

#: ``extra`` settings that also apply to the backprop baseline (data and architecture).
#: (The input encoding is not shared: each baseline chooses it on validation, baseline_encodings.)
_SHARED_WITH_BACKPROP = ("epochs", "n_train", "hidden", "validation", "n_classes",
                         "batch_size", "external_test")


def _t95(n: int) -> float:
    """Two-sided 95 % Student t quantile for n - 1 degrees of freedom."""
    from scipy.stats import t

    return float(t.ppf(0.975, max(n - 1, 1)))


def mean_ci(values: list[float]) -> dict[str, Any]:
    """Mean, sample standard deviation and the 95 % CI half-width (t) of ``values``."""
    n = len(values)
    m = sum(values) / n
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1)) if n > 1 else float("nan")
    half = _t95(n) * sd / math.sqrt(n) if n > 1 else float("nan")
    return {"mean": m, "sd": sd, "ci95_half_width": half, "n": n, "values": values}


#: Tasks whose seeds draw new, independent examples (MNIST-1D generates its sequences per
#: seed); every other task's seeds re-split one pool, so their test sets overlap.
INDEPENDENT_TEST_SETS = frozenset({"mnist1d"})


#: The two-sided 95 % point of the standard normal.
_Z95 = 1.959963984540054


def paired_sampling_bound(acc_a: list[float], acc_b: list[float], n_test: list[int],
                          *, independent: bool = True) -> dict[str, Any]:
    """Upper bound on the test-sampling part of the error of a mean paired difference.

    Per seed i the paired difference of two classifiers scored on the same n_i test examples
    is the mean of D_j = [a right] − [b right] ∈ {−1, 0, 1}, so its variance is
    (q_i − d_i²)/n_i, with d_i = acc_a − acc_b and q_i the fraction of examples on which
    exactly one of them is right. Without the per-example predictions q_i is bounded: it
    needs one classifier wrong and the other right, so q_i ≤ min(1, err_a + err_b,
    acc_a + acc_b) (the tightest bound the accuracies allow; it is attained when the two
    classifiers' errors overlap as little as possible). With independent test sets
    (``independent``, e.g. MNIST-1D's per-seed sequences) the mean over k seeds then has a
    test-sampling standard error of at most √(Σ (q_i − d_i²)/n_i) / k; test sets drawn from
    one pool (digits, the MNIST subset) may overlap and be correlated, and the bound is then
    the perfectly correlated Σ √((q_i − d_i²)/n_i) / k.

    The seeds' Student-t interval already contains the test sampling (each seed scores its
    own test split) and is the estimate; this is a worst case over the unknown overlap of the
    two classifiers' errors. ``conservative_ci95_half_width``, the larger of the two, is the
    interval under that worst case, not a better estimate: when the t interval is narrower,
    the classifiers' errors are correlated (they fail on the same examples).
    """
    k = len(acc_a)
    var = []
    for a, b, n in zip(acc_a, acc_b, n_test, strict=True):
        q = min(1.0, (1.0 - a) + (1.0 - b), a + b)
        var.append(max(q - (a - b) ** 2, 0.0) / n)
    se = (math.sqrt(sum(var)) if independent else sum(math.sqrt(v) for v in var)) / k
    return {"se_bound": se, "ci95_half_width": _Z95 * se,
            "per_seed_se_bound": [math.sqrt(v) for v in var],
            "independent_test_sets": independent,
            "criterion": "test-sampling variance (q - d^2)/n per seed, q <= min(1, err_a + "
            "err_b, acc_a + acc_b) (worst case over the unknown overlap of the two "
            "classifiers' errors; no per-example predictions needed); seeds combined "
            + ("as independent test sets" if independent else
               "as perfectly correlated (test sets drawn from one pool)")}


def paired_summary(rows: list[dict[str, Any]], method: str, *,
                   independent: bool = True) -> dict[str, Any]:
    """EP − ``method`` over ``rows``: the seeds' t interval and the test-sampling bound."""
    out = mean_ci([r["ep"] - r[method] for r in rows])
    bound = paired_sampling_bound([r["ep"] for r in rows], [r[method] for r in rows],
                                  [r["n_test"] for r in rows], independent=independent)
    out["test_sampling_bound"] = bound
    half = out["ci95_half_width"]
    out["conservative_ci95_half_width"] = (bound["ci95_half_width"] if math.isnan(half)
                                           else max(half, bound["ci95_half_width"]))
    return out


def benchmark_point(point: dict[str, Any]) -> dict[str, Any]:
    """One seed: physical EP, then the baselines on the same split."""
    from thermolearn.experiments.ep_train import default_config, run_training

    t0 = time.perf_counter()
    extra = dict(point.get("extra") or {})
    cfg = default_config(point["task"], seed=point["seed"], device=point["device"], **extra)
    m = run_training(cfg, progress=False).metrics
    t_ep = time.perf_counter() - t0
    a = m["audit"]
    return {
        "ep": m["test_accuracy"],
        "ep_train_accuracy": m["train_accuracy"],
        "epochs": m["epochs"],
        "layer_sizes": list(m["circuit"]["layer_sizes"]),
        "n_train": m["n_train"],
        "n_test": m["n_test"],
        "input_encoding": cfg.input_encoding,
        # learning curves (accuracy after each epoch): what limits EP shows here
        "ep_curve": [[h["train_accuracy"], h["test_accuracy"]] for h in m["history"]],
        "energy_joules": m["energy_joules"],
        "drop_over_disturb_free_max": a["drop_over_disturb_free_max"],
        "batches_above_disturb_free_voltage": a["batches_above_disturb_free_voltage"],
        "read_disturb_per_epoch": a["read_disturb_max_dG_over_window_per_epoch"],
        "signal_over_lsb": a["adc"]["signal_over_lsb"],
        # the read error that dithers a signal below one step (median over batches, per layer)
        "read_error_rms_V": a["adc"]["read_error_rms_V"],
        "lsb_at_adc_input_V": a["adc"]["lsb_at_adc_input_V"],
        "adc_clipped_fraction": a["adc"]["clipped_fraction"],
        "adc_clipped_fraction_per_epoch": a["adc"]["clipped_fraction_per_epoch"],
        "adc_clipping_breach_epochs": a["adc"]["clipping_breach_epochs"],
        # output reads clipping the ADC when the final circuit is scored (clipped reads tie)
        "test_output_reads_clipped_fraction": m["history"][-1].get(
            "test_output_reads_clipped_fraction") if m["history"] else None,
        # the nudge's loss and its targets against the output range (cross-entropy nudge)
        "nudge": a.get("nudge"),
        # the diodes sized to the fan-in and the measured swing (None: the task's fixed diodes)
        "diode_calibration": m.get("diode_calibration"),
        # the resolved circuit (provenance: e.g. the crossbar gain of the run)
        "circuit_gain": m["circuit"].get("gain"),
        "test_predictions": m.get("test_predictions"),
        **_external_fields(m, ""),
        **({"external_test_n_classes": cfg.n_classes} if cfg.external_test else {}),
        "ep_seconds": t_ep,
        "seconds": time.perf_counter() - t0,
    }


def _external_fields(m: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Return a run's external-test figures as row fields (none without the option)."""
    ext = m.get("external_test")
    if ext is None:
        return {}
    return {f"{prefix}external_test_accuracy": ext["accuracy"],
            f"{prefix}external_test_predictions": ext["predictions"]}


def baseline_encodings(cfg: Any) -> tuple[str, ...]:
    """Return the input encodings a tuned baseline chooses from on validation, for ``cfg``.

    The per-feature z-scores of the training split, NOT clipped
    (:data:`~thermolearn.algorithms.ep_inputs.BASELINE_ENCODING`; first, so it wins ties), and
    EP's own circuit encoding ``cfg.input_encoding``. The circuit's clip to its source range is
    a hardware constraint, and imposing it on a software classifier can handicap it (logistic
    regression on MNIST-1D: ~6 points); but on MNIST the unclipped z-scores of nearly always
    blank pixels are huge and cost backprop ~2 points and 1-NN ~5 against EP's clipped inputs.
    So the encoding is one more baseline parameter chosen on the validation split.
    """
    from thermolearn.algorithms.ep_inputs import BASELINE_ENCODING

    return tuple(dict.fromkeys((BASELINE_ENCODING, cfg.input_encoding)))


def _baseline_data(cfg: Any, n_validation: int | None, encoding: str | None = None) -> Any:
    """Return ``cfg``'s split as the baselines see it, or a validation task.

    The same examples as EP's run, encoded by ``encoding`` (default: the unclipped z-scores,
    :data:`~thermolearn.algorithms.ep_inputs.BASELINE_ENCODING`) with the statistics of the
    training split it is given (:func:`baseline_encodings`).

    Without ``n_validation``: the split ``cfg``'s own run reports on, built as
    ``run_training`` builds it (``cfg.validation``'s tail held out when set, then the first
    ``cfg.n_train``). With ``n_validation`` (the baselines' model selection, no
    ``cfg.validation``) the test split is the last ``n_validation`` examples of the training
    split and ``n_train`` counts them, as in the backprop selection runs.
    """
    from dataclasses import replace

    from thermolearn.algorithms.ep_inputs import BASELINE_ENCODING, encode_dataset
    from thermolearn.experiments.ep_train import training_split

    if n_validation:
        cfg = replace(cfg, validation=n_validation,
                      n_train=None if cfg.n_train is None else cfg.n_train - n_validation)
    kind = encoding or BASELINE_ENCODING
    # EP's own encoding with EP's clip (cfg.input_n_std); the z-scores are not clipped
    return encode_dataset(training_split(cfg), kind, cfg.input_n_std)[0]


def _image_keys(x: Any) -> list[bytes]:
    """Return one key per example, the sha256 of its raw feature bytes.

    It identifies an image across the seeds' re-splits of one pool.
    """
    import hashlib

    import numpy as np

    return [hashlib.sha256(np.ascontiguousarray(row).tobytes()).digest() for row in x]


def untouched_test_masks(task: str, seeds: int, extra: dict[str, Any] | None = None,
                         device: str = "ideal") -> tuple[list[Any], list[Any]] | None:
    """Per seed, a boolean mask of the test examples in no split the task was tuned on.

    The tuning splits are :data:`~thermolearn.experiments.ep_train.TUNING_SPLITS` (the last
    ``validation`` training examples of the listed seeds, built as ``run_training`` builds a
    validation run); ``None`` for a task without an entry. Examples are matched by their raw
    features (:func:`_image_keys`), so an identical image counts as seen. Returns the masks
    and each seed's test labels (in the split's order, as a run's ``test_predictions``).
    """
    from dataclasses import replace

    import numpy as np

    from thermolearn.experiments.ep_train import TUNING_SPLITS, default_config, training_split

    spec = TUNING_SPLITS.get(task)
    if spec is None:
        return None
    tuned: set[bytes] = set()
    for s in spec["seeds"]:
        cfg = default_config(task, seed=s, device=device)
        tuned.update(_image_keys(training_split(
            replace(cfg, validation=spec["validation"], n_train=None)).x_test))
    masks, labels = [], []
    for s in range(seeds):
        split = training_split(default_config(task, seed=s, device=device, **(extra or {})))
        masks.append(np.array([k not in tuned for k in _image_keys(split.x_test)]))
        labels.append(np.asarray(split.y_test))
    return masks, labels


def _prediction_summary(rows: list[dict[str, Any]], masks: list[Any], labels: list[Any],
                        keys: tuple[str, str]) -> dict[str, Any] | None:
    """EP and backprop scored from their per-example predictions ``keys`` on masked labels.

    Per seed: both accuracies on the examples of ``masks`` and the exact per-example paired
    test-sampling variance; ``None`` when a row lacks the predictions (an older cache).
    """
    import numpy as np

    if not rows or any(r.get(k) is None for r in rows for k in keys):
        return None
    acc: dict[str, list[float]] = {"ep": [], "backprop_mlp": []}
    n, var, q_all = [], [], []
    for r, m, y in zip(rows, masks, labels, strict=True):
        y = np.asarray(y)
        m = np.asarray(m, dtype=bool)
        n.append(int(m.sum()))
        right = {}
        for k, key in zip(("ep", "backprop_mlp"), keys, strict=True):
            pred = np.asarray(r[key])
            if pred.shape != y.shape:
                raise ValueError(f"benchmark summary: {key} has {pred.size} entries for "
                                 f"{y.size} test labels")
            right[k] = pred[m] == y[m]
            acc[k].append(float(np.mean(right[k])))
        # per-image paired difference D = [EP right] - [backprop right]: its exact sample
        # variance over this seed's images, (q - d^2) / n with q the disagreement fraction
        dj = right["ep"].astype(float) - right["backprop_mlp"].astype(float)
        q = float(np.mean(dj != 0))
        q_all.append(q)
        var.append(max(q - float(np.mean(dj)) ** 2, 0.0) / max(1, n[-1]))
    diff = mean_ci([a - b for a, b in zip(acc["ep"], acc["backprop_mlp"], strict=True)])
    # the seeds' images come from one pool: combined as perfectly correlated (the upper end)
    se = sum(math.sqrt(v) for v in var) / len(var)
    sampling = {"se": se, "ci95_half_width": _Z95 * se,
                "per_seed_se": [math.sqrt(v) for v in var], "disagreement_fraction": q_all,
                "criterion": "exact per-image paired variance (q - d^2)/n per seed from the "
                "predictions; seeds combined as perfectly correlated (one pool)"}
    diff["test_sampling"] = sampling
    diff["conservative_ci95_half_width"] = max(diff["ci95_half_width"],
                                               sampling["ci95_half_width"])
    return {"n": n, "accuracy": {k: mean_ci(v) for k, v in acc.items()},
            "ep_minus_backprop_mlp": diff}


def untouched_summary(rows: list[dict[str, Any]], masks: list[Any],
                      labels: list[Any]) -> dict[str, Any] | None:
    """EP and backprop scored on each seed's test examples outside every tuning split.

    ``rows`` are benchmark rows (``test_predictions``, ``backprop_test_predictions``);
    ``masks`` and ``labels`` come from :func:`untouched_test_masks`. ``None`` when a row
    lacks the predictions (cached by an older benchmark).
    """
    out = _prediction_summary(rows, masks, labels,
                              ("test_predictions", "backprop_test_predictions"))
    if out is None:
        return None
    return {
        "what": "EP and backprop on each seed's test examples that are in none of the "
        "validation splits the task's defaults were chosen on (ep_train.TUNING_SPLITS)",
        "n_test_untouched": out.pop("n"),
        **out,
    }


def external_summary(task: str, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """EP and backprop on ``task``'s external test set (every seed's model, the same images).

    From the rows' ``external_test_predictions`` and ``backprop_external_test_predictions``
    (:attr:`~thermolearn.experiments.ep_train.TrainConfig.external_test`); ``None`` when a
    row lacks them. The seeds score one image set, so their sampling errors are combined as
    perfectly correlated (the upper end).
    """
    import numpy as np

    from thermolearn.datasets import EXTERNAL_TESTS, external_test

    if task not in EXTERNAL_TESTS:
        return None
    y = np.asarray(external_test(task)[1])
    labels = []
    for r in rows:
        nc = r.get("external_test_n_classes")
        labels.append(y if nc is None else y[y < nc])
    out = _prediction_summary(rows, [np.ones(len(v), dtype=bool) for v in labels], labels,
                              ("external_test_predictions",
                               "backprop_external_test_predictions"))
    if out is None:
        return None
    return {
        "what": f"EP and backprop, trained on each seed's split, on {EXTERNAL_TESTS[task]}: "
        "a test set disjoint from the task's whole pool, so from every split any default was "
        "tuned on (thermolearn.datasets.external_test)",
        "name": EXTERNAL_TESTS[task],
        "n_test_external": out.pop("n"),
        **out,
    }


def baseline_point(point: dict[str, Any]) -> dict[str, Any]:
    """One seed: the baselines, each tuned on a validation split of the training split only.

    Backprop MLP (same architecture as EP): every learning rate of ``point["lr_grid"]`` is
    trained for ``point["max_epochs"]`` epochs on the training split minus its last
    ``VALIDATION_FRACTION`` (``TrainConfig.validation``); the (rate, epochs) with the best
    validation accuracy is retrained on the whole training split and scored once on the test
    split. Ridge and logistic regression likewise
    (:func:`~thermolearn.algorithms.baselines.tuned_linear_baselines`). A benchmark whose
    reported split is itself a validation split (``extra["validation"]``) runs the baselines at
    their defaults (no nested selection), marked ``"selection": None``.
    """
    from thermolearn.algorithms.baselines import (
        VALIDATION_FRACTION,
        linear_baselines,
        tuned_linear_baselines,
    )
    from thermolearn.algorithms.ep_inputs import BASELINE_ENCODING
    from thermolearn.experiments.ep_train import default_config, run_training

    t0 = time.perf_counter()
    extra = dict(point.get("extra") or {})
    task, seed = point["task"], point["seed"]
    cfg = default_config(task, seed=seed, device=point["device"], **extra)
    # the backprop MLP of the same architecture sees the same (encoded, possibly held-out)
    # split as EP
    bp_kw = {k: v for k, v in extra.items() if k in _SHARED_WITH_BACKPROP}
    bp_kw.pop("epochs", None)
    if cfg.validation:
        bp = run_training(default_config(task, seed=seed, algorithm="backprop",
                                         epochs=cfg.epochs, input_encoding=BASELINE_ENCODING,
                                         **bp_kw), progress=False).metrics
        # the reported split is the held-out tail of the training split, for these too
        lin: dict[str, Any] = linear_baselines(_baseline_data(cfg, None), seed=seed)
        bp_sel = None
    else:
        encodings = baseline_encodings(cfg)
        full = {e: _baseline_data(cfg, None, e) for e in encodings}
        n_full = cfg.n_train or len(full[encodings[0]].y_train)
        n_val = max(1, round(VALIDATION_FRACTION * n_full))
        curves = {}
        for enc in encodings:
            for lr in point["lr_grid"]:
                sel_kw = dict(bp_kw, validation=n_val)
                # a selection run scores its validation split only
                sel_kw.pop("external_test", None)
                if "n_train" in sel_kw:
                    sel_kw["n_train"] = sel_kw["n_train"] - n_val
                mv = run_training(default_config(task, seed=seed, algorithm="backprop", lr=lr,
                                                 epochs=point["max_epochs"],
                                                 input_encoding=enc, **sel_kw),
                                  progress=False).metrics
                # with ``validation`` the run's test_* are the held-out training examples
                curves[(enc, lr)] = [h["test_accuracy"] for h in mv["history"]]
        from thermolearn.algorithms.baselines import best_on_validation

        (enc, lr), epochs, acc = best_on_validation(curves)
        bp = run_training(default_config(task, seed=seed, algorithm="backprop", lr=lr,
                                         epochs=epochs, input_encoding=enc, **bp_kw),
                          progress=False).metrics
        grid = list(point["lr_grid"])
        bp_sel = {"lr": lr, "epochs": epochs, "input_encoding": enc,
                  "validation_accuracy": acc, "at_grid_edge": lr in (grid[0], grid[-1]),
                  "n_validation": n_val, "max_epochs": point["max_epochs"],
                  "validation_curves": {f"{e}:{k}": v for (e, k), v in curves.items()}}
        lin = tuned_linear_baselines({e: _baseline_data(cfg, n_val, e) for e in encodings},
                                     full, seed=seed)
    sel = lin.pop("selection", None)
    return {
        "backprop_mlp": bp["test_accuracy"],
        **lin,
        "backprop_train_accuracy": bp["train_accuracy"],
        "backprop_input_encoding": bp["config"]["input_encoding"],
        "backprop_hidden": list(bp["config"]["hidden"]),
        "backprop_lr": bp["config"]["lr"],
        "backprop_epochs": bp["epochs"],
        "backprop_curve": [[h["train_accuracy"], h["test_accuracy"]] for h in bp["history"]],
        "selection": None if bp_sel is None else {"backprop_mlp": bp_sel, **(sel or {})},
        "backprop_test_predictions": bp.get("test_predictions"),
        **_external_fields(bp, "backprop_"),
        "backprop_seconds": bp["seconds"],
        "baseline_seconds": time.perf_counter() - t0,
    }


def baseline_points(task: str, seeds: int, device: str,
                    extra: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Return the sweep points of :func:`baseline_point` for seeds 0 .. ``seeds`` - 1."""
    from dataclasses import asdict

    from thermolearn.algorithms.baselines import (
        BACKPROP_LR_GRID,
        LOGISTIC_C_GRID,
        RIDGE_ALPHA_GRID,
    )
    from thermolearn.datasets import DATA_VERSIONS
    from thermolearn.experiments.ep_train import _BACKPROP_DEFAULTS, default_config

    # backprop may train up to twice EP's epochs; the count is chosen on validation
    max_epochs = 2 * default_config(task, device=device, **(extra or {})).epochs
    # the resolved configuration and the loader's version are in the key: a changed task
    # default (hidden width, epochs) or dataset must not reuse a cached baseline row
    return [{"version": BASELINE_VERSION, "task": task, "device": device, "seed": s,
             "data_version": DATA_VERSIONS[task],
             "config": asdict(default_config(task, seed=s, device=device, **(extra or {}))),
             "extra": extra or {}, "lr_grid": list(BACKPROP_LR_GRID), "max_epochs": max_epochs,
             # backprop's fixed settings (rate decay): a change must re-run the baselines
             "backprop_defaults": dict(_BACKPROP_DEFAULTS),
             # in the key only (tuned_linear_baselines uses these grids): a new grid re-tunes
             "ridge_alpha_grid": list(RIDGE_ALPHA_GRID), "logistic_c_grid": list(LOGISTIC_C_GRID)}
            for s in range(seeds)]


def run_benchmark(
    task: str,
    out_dir: str | Path,
    *,
    seeds: int = 5,
    device: str = "memristor",
    extra: dict[str, Any] | None = None,
    max_workers: int = 1,
    scheduler: str | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Run ``seeds`` seeds of ``task``; write and return the summary (``benchmark.json``)."""
    from thermolearn.checkpoints import atomic_write_text
    from thermolearn.sweeps import run_sweep

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    from dataclasses import asdict

    from thermolearn.datasets import DATA_VERSIONS
    from thermolearn.experiments.ep_train import default_config

    # the resolved configuration and the loader's version are part of each point's cache key:
    # a changed task default (e.g. MNIST-1D's width, epochs or integration time) or dataset
    # must not reuse a cached row
    pts = [{"version": BENCHMARK_VERSION, "task": task, "device": device, "seed": s,
            "data_version": DATA_VERSIONS[task], "extra": extra or {},
            "config": asdict(default_config(task, seed=s, device=device, **(extra or {})))}
           for s in range(seeds)]
    t0 = time.perf_counter()
    rows = run_sweep(benchmark_point, pts, out / "cache", scheduler=scheduler,
                     max_workers=max_workers, progress=progress, description=f"ep {task}")
    from thermolearn.algorithms.baselines import (
        BACKPROP_LR_GRID,
        LOGISTIC_C_GRID,
        RIDGE_ALPHA_GRID,
    )

    bpts = baseline_points(task, seeds, device, extra)
    max_epochs = bpts[0]["max_epochs"]
    brows = run_sweep(baseline_point, bpts, out / "cache-baselines", scheduler=scheduler,
                      max_workers=max_workers, progress=progress,
                      description=f"baselines {task}")
    # an EP row cached by an older benchmark also carries untuned baselines: replaced here
    rows = [{**r, **b} for r, b in zip(rows, brows, strict=True)]
    methods = ("ep", "backprop_mlp", "ridge", "logistic_regression", "nearest_neighbour")
    summary: dict[str, Any] = {
        "task": task,
        "device": device,
        "extra": extra or {},
        "seeds": seeds,
        "accuracy": {k: mean_ci([r[k] for r in rows]) for k in methods},
        "ep_minus": {k: paired_summary(rows, k, independent=task in INDEPENDENT_TEST_SETS)
                     for k in methods[1:]},
        "split": "validation (held out of the training split)" if (extra or {}).get(
            "validation") else "test",
        "epochs": sorted({r["epochs"] for r in rows}),
        "ep_seconds": mean_ci([r["ep_seconds"] for r in rows]),
        "wall_seconds": time.perf_counter() - t0,
        "audit": {
            "drop_over_disturb_free_max": max(r["drop_over_disturb_free_max"] for r in rows),
            "batches_above_disturb_free_voltage": sum(
                r["batches_above_disturb_free_voltage"] for r in rows),
            "read_disturb_per_epoch_max": max(max(r["read_disturb_per_epoch"], default=0.0)
                                              for r in rows),
            "signal_over_lsb_min": [min(r["signal_over_lsb"][k] for r in rows)
                                    for k in range(len(rows[0]["signal_over_lsb"]))],
            "signal_over_lsb_min_is": "per layer, the smallest over seeds of each run's median "
            "over training batches of the median |V(+beta) - V(-beta)| at the ADC, in ADC steps",
            # rows cached before these fields existed do not carry them
            "read_error_over_lsb_min": [
                min(r["read_error_rms_V"][k] / r["lsb_at_adc_input_V"][k] for r in rows
                    if "read_error_rms_V" in r)
                for k in range(len(rows[0]["signal_over_lsb"]))]
            if any("read_error_rms_V" in r for r in rows) else None,
            # rows cached before this field existed do not carry it
            "adc_clipped_fraction_max": max(
                (r["adc_clipped_fraction"] for r in rows if "adc_clipped_fraction" in r),
                default=None),
            "adc_clipped_fraction_epoch_max": max(
                (max(r["adc_clipped_fraction_per_epoch"], default=0.0) for r in rows
                 if "adc_clipped_fraction_per_epoch" in r), default=None),
            "adc_clipping_breach_epochs": sum(r.get("adc_clipping_breach_epochs", 0)
                                              for r in rows),
        },
        "baseline_selection": None if (extra or {}).get("validation") else {
            "validation": "the last 25 % of each seed's training split (never its test split)",
            "backprop_mlp_lr_grid": list(BACKPROP_LR_GRID),
            "backprop_mlp_epochs": f"1-{max_epochs} (twice EP's)",
            "ridge_alpha_grid": list(RIDGE_ALPHA_GRID),
            "logistic_regression_c_grid": list(LOGISTIC_C_GRID),
            "chosen_per_seed": [r["selection"] for r in rows],
            "then": "refitted on the whole training split, scored once on the test split",
        },
        "untouched_test": None,
        "external_test": None,
        "runs": rows,
        "baseline_input_encoding": "chosen per baseline and seed on the validation split, "
        "with its parameter, from the per-feature (x - mean) / std of the training split "
        "unclipped and EP's own circuit encoding (clipped to its source range): "
        f"{list(baseline_encodings(default_config(task, device=device, **(extra or {}))))}; "
        "in validation mode (no selection) the unclipped z-scores",
        "note": "each seed draws its own split, initial conductances, device variability and "
        "noise; baselines are fitted on that seed's split; CI = Student t 95 % over seeds; "
        "ep_minus also bounds the test-sampling error of each paired mean "
        "(test_sampling_bound) and gives conservative_ci95_half_width, the larger of the two; "
        "wall_seconds counts only the seeds computed in this call (others came from the cache).",
    }
    if not (extra or {}).get("validation"):
        tm = untouched_test_masks(task, seeds, extra, device)
        if tm is not None:
            summary["untouched_test"] = untouched_summary(rows, *tm)
        if (extra or {}).get("external_test"):
            summary["external_test"] = external_summary(task, rows)
    atomic_write_text(out / "benchmark.json", json.dumps(summary, indent=1, default=float) + "\n")
    return summary


__all__ = ["BASELINE_VERSION", "BENCHMARK_VERSION", "INDEPENDENT_TEST_SETS", "baseline_encodings",
           "baseline_point", "external_summary", "untouched_summary", "untouched_test_masks",
           "baseline_points", "benchmark_point", "mean_ci", "paired_sampling_bound",
           "paired_summary", "run_benchmark"]
