"""The operating-point trade-off of physical EP as an experiment: accuracy vs energy per sample.

:func:`run_pareto` trains the physical EP network (:func:`~thermolearn.experiments.ep_train.
run_training`) at every point of a grid over the read (input) voltage, the node capacitance,
the integration time, the booked ADC resolution and the device model, through the sweep runner
(:func:`thermolearn.sweeps.run_sweep`: local process pool or Dask, per-point disk cache), and
writes ``pareto.json`` (every point with its test accuracy, energy per training sample,
audit figures, or the ParameterError that refused it, before any work or at an epoch's
re-check of the trained conductances) and ``pareto.png`` (the
points and the non-dominated front: no other feasible point is both more accurate and cheaper).

Refused points are part of the result: they are operating points the physics rules out
(a drop above the device's disturb-free voltage, an unresolvable learning signal, too short a
settling or integration), reported with the reason, never silently dropped.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Bump when the meaning of a cached result changes.
PARETO_VERSION = 2  # 2: the audit refuses > 1 % clipped reads in any epoch


@dataclass(frozen=True, slots=True, kw_only=True)
class ParetoConfig:
    """The grid (each a tuple of values) and the training budget of every point."""

    task: str = "digits"
    epochs: int = 4
    n_train: int | None = None
    hidden: tuple[int, ...] = (128,)
    device: str = "ideal"
    seed: int = 0
    input_amplitude: tuple[float, ...] = (0.12, 0.24, 0.4)
    capacitance: tuple[float, ...] = (1e-12, 1e-10)
    integration_time: tuple[float, ...] = (1e-7, 1e-5)
    adc_bits: tuple[int, ...] = (10, 12, 14)
    #: the default synapse (vteam_highr), the same VTEAM dynamics at 20 mS (vteam_linear, the
    #: former default, whose crossbar wires' IR drop the audit reports at 99.9 %) and Yakopcic
    device_model: tuple[str, ...] = ("vteam_highr", "vteam_linear", "yakopcic")
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def quick(cls) -> ParetoConfig:
        """Return a smoke grid (minutes): checks the experiment end to end; not a result."""
        return cls(epochs=1, n_train=200, hidden=(16,), input_amplitude=(0.24, 0.4),
                   capacitance=(1e-12,), integration_time=(1e-7,), adc_bits=(8, 12),
                   device_model=("vteam_highr",))

    def points(self) -> list[dict[str, Any]]:
        """Grid points as JSON-ready dicts (the sweep's cache keys)."""
        out = []
        for a, c, t, b, m in itertools.product(self.input_amplitude, self.capacitance,
                                               self.integration_time, self.adc_bits,
                                               self.device_model):
            out.append({"version": PARETO_VERSION, "task": self.task, "epochs": self.epochs,
                        "n_train": self.n_train, "hidden": list(self.hidden),
                        "device": self.device, "seed": self.seed, "input_amplitude": a,
                        "capacitance": c, "integration_time": t, "adc_bits": b,
                        "device_model": m, "extra": self.extra})
        return out


def evaluate_point(point: dict[str, Any]) -> dict[str, Any]:
    """Train at one operating point; a ParameterError of the audit is a result, not a crash."""
    from thermolearn.errors import ParameterError
    from thermolearn.experiments.ep_train import default_config, run_training

    t0 = time.perf_counter()
    kw = dict(point.get("extra") or {})
    try:
        cfg = default_config(
            point["task"], epochs=point["epochs"], n_train=point["n_train"],
            hidden=tuple(point["hidden"]), device=point["device"], seed=point["seed"],
            device_model=point["device_model"],
            circuit={"input_amplitude": point["input_amplitude"]},
            physics={"capacitance": point["capacitance"],
                     "integration_time": point["integration_time"],
                     "adc_bits": point["adc_bits"]}, **kw)
        m = run_training(cfg, progress=False).metrics
    except ParameterError as e:
        return {"feasible": False, "reason": str(e), "seconds": time.perf_counter() - t0}
    n_seen = m["n_train"] * m["epochs"]
    a = m["audit"]
    return {
        "feasible": True,
        "test_accuracy": m["test_accuracy"],
        "energy_joules": m["energy_joules"],
        "energy_per_sample_joules": m["energy_joules"] / max(n_seen, 1),
        "drop_over_disturb_free_max": a["drop_over_disturb_free_max"],
        "signal_over_lsb": a["adc"]["signal_over_lsb"],
        "read_error_rms_V": a["adc"]["read_error_rms_V"],
        "settling_margin": a["settling"].get("settling_margin"),
        # worst over the preflight and every epoch's re-check at the trained conductances
        "settling_margin_min": a["settling"].get("settling_margin_min"),
        "integration_over_tau_slow_min": a["settling"].get("integration_over_tau_slow_min"),
        "baselines": m.get("baselines"),
        "seconds": time.perf_counter() - t0,
    }


def pareto_front(rows: list[dict[str, Any]]) -> list[int]:
    """Return the indices of the non-dominated feasible rows, cheapest first.

    A row is dominated when another feasible row is at least as accurate and at most as
    costly per sample, one of them strictly.
    """
    feas = [i for i, r in enumerate(rows) if r.get("feasible")]
    front = []
    for i in feas:
        ai, ei = rows[i]["test_accuracy"], rows[i]["energy_per_sample_joules"]
        dominated = any(
            rows[j]["test_accuracy"] >= ai and rows[j]["energy_per_sample_joules"] <= ei
            and (rows[j]["test_accuracy"] > ai or rows[j]["energy_per_sample_joules"] < ei)
            for j in feas if j != i
        )
        if not dominated:
            front.append(i)
    return sorted(front, key=lambda i: rows[i]["energy_per_sample_joules"])


def run_pareto(
    cfg: ParetoConfig,
    out_dir: str | Path,
    *,
    scheduler: str | None = None,
    max_workers: int = 2,
    progress: bool = True,
) -> dict[str, Any]:
    """Run the grid, write ``pareto.json`` and ``pareto.png`` to ``out_dir``; return the summary."""
    from thermolearn.checkpoints import atomic_write_text
    from thermolearn.sweeps import run_sweep

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pts = cfg.points()
    t0 = time.perf_counter()
    res = run_sweep(evaluate_point, pts, out / "cache", scheduler=scheduler,
                    max_workers=max_workers, progress=progress, description="ep pareto")
    rows = [{**{k: v for k, v in p.items() if k not in ("version", "extra")}, **r}
            for p, r in zip(pts, res, strict=True)]
    front = pareto_front(rows)
    summary = {
        "task": cfg.task,
        "device": cfg.device,
        "epochs": cfg.epochs,
        "n_points": len(rows),
        "n_feasible": sum(1 for r in rows if r.get("feasible")),
        "points": rows,
        "front": front,
        "best_accuracy": max((r["test_accuracy"] for r in rows if r.get("feasible")),
                             default=None),
        "wall_seconds": time.perf_counter() - t0,
        "note": "energy_per_sample = whole-run ledger total / (training samples x epochs); "
        "infeasible points were refused by the physics audit before any work (reason given).",
    }
    atomic_write_text(out / "pareto.json", json.dumps(summary, indent=1, default=float) + "\n")
    _plot(out / "pareto.png", rows, front)
    return summary


def _plot(path: Path, rows: list[dict[str, Any]], front: list[int]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    feas = [r for r in rows if r.get("feasible")]
    models = sorted({r["device_model"] for r in feas})
    for m in models:
        rr = [r for r in feas if r["device_model"] == m]
        ax.scatter([r["energy_per_sample_joules"] for r in rr],
                   [100 * r["test_accuracy"] for r in rr], label=m, alpha=0.7)
    if front:
        ax.plot([rows[i]["energy_per_sample_joules"] for i in front],
                [100 * rows[i]["test_accuracy"] for i in front], "k--", label="Pareto front")
    ax.set_xscale("log")
    ax.set_xlabel("energy per training sample (J, ledger)")
    ax.set_ylabel("test accuracy (%)")
    n_bad = len(rows) - len(feas)
    ax.set_title(f"physical EP operating points ({n_bad} refused by the audit)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


__all__ = ["ParetoConfig", "evaluate_point", "pareto_front", "run_pareto", "PARETO_VERSION"]
