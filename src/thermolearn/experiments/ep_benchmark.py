"""Physical EP as a benchmark: several seeds, mean and 95 % CI, baselines on the same splits.

:func:`run_benchmark` trains the physical EP network on one task for ``seeds`` seeds (each seed
draws its own split, initial conductances, device variability and noise) and, on each seed's
split, the baselines: ridge, logistic regression, 1-nearest neighbour
(:func:`thermolearn.algorithms.baselines.linear_baselines`) and the backprop MLP of the same
architecture. It reports per method the mean test accuracy and a 95 % confidence interval
(Student t over seeds), and the paired EP − baseline difference with its CI, in
``benchmark.json``. The runs go through the sweep runner, so they are cached per seed.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

#: Bump when the meaning of a cached result changes.
BENCHMARK_VERSION = 2

#: ``extra`` settings that also apply to the backprop baseline (data and architecture).
_SHARED_WITH_BACKPROP = ("epochs", "n_train", "hidden", "input_encoding", "validation",
                         "n_classes", "batch_size")


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


def benchmark_point(point: dict[str, Any]) -> dict[str, Any]:
    """One seed: physical EP, then the baselines on the same split."""
    from thermolearn.experiments.ep_train import default_config, run_training

    t0 = time.perf_counter()
    extra = dict(point.get("extra") or {})
    cfg = default_config(point["task"], seed=point["seed"], device=point["device"], **extra)
    m = run_training(cfg, progress=False).metrics
    t_ep = time.perf_counter() - t0
    # the backprop MLP of the same architecture sees the same (encoded, possibly held-out)
    # split for the same number of epochs
    bp_kw = {k: v for k, v in extra.items() if k in _SHARED_WITH_BACKPROP}
    bp = run_training(default_config(point["task"], seed=point["seed"], algorithm="backprop",
                                     **bp_kw), progress=False).metrics
    a = m["audit"]
    return {
        "ep": m["test_accuracy"],
        "backprop_mlp": bp["test_accuracy"],
        **m["baselines"],
        "ep_train_accuracy": m["train_accuracy"],
        "backprop_train_accuracy": bp["train_accuracy"],
        "epochs": m["epochs"],
        "layer_sizes": list(m["circuit"]["layer_sizes"]),
        "n_train": m["n_train"],
        "n_test": m["n_test"],
        "input_encoding": cfg.input_encoding,
        "backprop_input_encoding": bp["config"]["input_encoding"],
        "backprop_hidden": list(bp["config"]["hidden"]),
        # learning curves (accuracy after each epoch): what limits EP shows here
        "ep_curve": [[h["train_accuracy"], h["test_accuracy"]] for h in m["history"]],
        "backprop_curve": [[h["train_accuracy"], h["test_accuracy"]] for h in bp["history"]],
        "energy_joules": m["energy_joules"],
        "drop_over_disturb_free_max": a["drop_over_disturb_free_max"],
        "batches_above_disturb_free_voltage": a["batches_above_disturb_free_voltage"],
        "read_disturb_per_epoch": a["read_disturb_max_dG_over_window_per_epoch"],
        "signal_over_lsb": a["adc"]["signal_over_lsb"],
        "adc_clipped_fraction": a["adc"]["clipped_fraction"],
        # the diodes sized to the fan-in and the measured swing (None: the task's fixed diodes)
        "diode_calibration": m.get("diode_calibration"),
        "ep_seconds": t_ep,
        "backprop_seconds": bp["seconds"],
        "seconds": time.perf_counter() - t0,
    }


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
    pts = [{"version": BENCHMARK_VERSION, "task": task, "device": device, "seed": s,
            "extra": extra or {}} for s in range(seeds)]
    t0 = time.perf_counter()
    rows = run_sweep(benchmark_point, pts, out / "cache", scheduler=scheduler,
                     max_workers=max_workers, progress=progress, description=f"ep {task}")
    methods = ("ep", "backprop_mlp", "ridge", "logistic_regression", "nearest_neighbour")
    summary: dict[str, Any] = {
        "task": task,
        "device": device,
        "extra": extra or {},
        "seeds": seeds,
        "accuracy": {k: mean_ci([r[k] for r in rows]) for k in methods},
        "ep_minus": {k: mean_ci([r["ep"] - r[k] for r in rows]) for k in methods[1:]},
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
            # rows cached before this field existed do not carry it
            "adc_clipped_fraction_max": max(
                (r["adc_clipped_fraction"] for r in rows if "adc_clipped_fraction" in r),
                default=None),
        },
        "runs": rows,
        "note": "each seed draws its own split, initial conductances, device variability and "
        "noise; baselines are fitted on that seed's split; CI = Student t 95 % over seeds; "
        "wall_seconds counts only the seeds computed in this call (others came from the cache).",
    }
    atomic_write_text(out / "benchmark.json", json.dumps(summary, indent=1, default=float) + "\n")
    return summary


__all__ = ["BENCHMARK_VERSION", "benchmark_point", "mean_ci", "run_benchmark"]
