"""The device demo: pinched I-V loops of every memristor model, Python vs ngspice overlaid.

``run_device_demo(out_dir)`` drives every catalogue model (``thermolearn.devices.presets``)
with its sine at two frequencies on both engines and writes

* ``device_iv_loops.png``: one panel per model, both frequencies, Python solid and ngspice
  dashed;
* ``device_demo.json``: per model and frequency, the deviation between the engines
  (current relative to its peak, state relative to the state range, energy), the normalised
  lobe area, and the traces (on the drive's sample times).

When ngspice is unavailable, the Python loops are still drawn and the JSON says why the
SPICE half is missing.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from thermolearn.checkpoints import atomic_write_text
from thermolearn.devices.simulate import IVResult


def _on_grid(res: IVResult, t: np.ndarray) -> dict[str, list[float]]:
    return {
        "time": t.tolist(),
        "voltage": np.interp(t, res.time, res.voltage).tolist(),
        "current": np.interp(t, res.time, res.current).tolist(),
        "state": np.interp(t, res.time, res.state).tolist(),
    }


def run_device_demo(
    out_dir: str | Path,
    *,
    models: list[str] | None = None,
    periods: float = 2.0,
    points_per_period: int = 400,
    steps_per_run: int = 10000,
    progress: bool = True,
) -> dict[str, Any]:
    """Run the demo and write its PNG and JSON into ``out_dir``; return the JSON summary.

    Parameters
    ----------
    out_dir : str or Path
        Output directory (created).
    models : list of str, optional
        Catalogue names (default: all).
    periods : float
        Sine periods per run.
    points_per_period : int
        PWL samples per period.
    steps_per_run : int
        The integration max step is the run length divided by this, on both engines.
    progress : bool
        Print one line per run.
    """
    from thermolearn.circuit.device_iv import simulate_iv
    from thermolearn.circuit.spice import runner as ngspice
    from thermolearn.devices import presets
    from thermolearn.devices.simulate import compare, lobe_area, sine_drive

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = list(presets.CATALOGUE) if models is None else models
    spice_ok, why = ngspice.available()
    summary: dict[str, Any] = {
        "description": "Pinched I-V loops under a sine drive; Python RK4 vs the ngspice twin.",
        "ngspice": spice_ok,
        "ngspice_note": why,
        "models": {},
    }
    runs: dict[str, list[tuple[float, IVResult, IVResult | None]]] = {}
    for name in names:
        entry = presets.get(name)
        model = entry.factory()
        rec: dict[str, Any] = {
            "model": type(model).__name__,
            "params": repr(model.params),
            "reference": entry.reference,
            "x0": entry.x0,
            "amplitude": entry.amplitude,
            "state_bounds": list(model.state_bounds),
            "runs": [],
        }
        runs[name] = []
        for f in entry.frequencies:
            t, v = sine_drive(entry.amplitude, f, periods, points_per_period)
            step = float(t[-1]) / steps_per_run
            t0 = time.perf_counter()
            py = simulate_iv(model, entry.x0, t, v, "python", max_step=step)
            t1 = time.perf_counter()
            sp = simulate_iv(model, entry.x0, t, v, "ngspice", max_step=step) if spice_ok else None
            t2 = time.perf_counter()
            run: dict[str, Any] = {
                "frequency": f,
                "lobe_area_python": lobe_area(py),
                "seconds_python": t1 - t0,
                "python": _on_grid(py, t),
            }
            if sp is not None:
                run["deviation"] = compare(py, sp, model)
                run["lobe_area_ngspice"] = lobe_area(sp)
                run["seconds_ngspice"] = t2 - t1
                run["ngspice"] = _on_grid(sp, t)
            rec["runs"].append(run)
            runs[name].append((f, py, sp))
            if progress:
                dev = run.get("deviation", {})
                print(
                    f"{name:18s} f={f:<9g} lobe={run['lobe_area_python']:.3f} "
                    + (
                        f"dI/Ipk={dev['current_rel']:.1e} dx={dev['state_rel']:.1e}"
                        if dev
                        else "(no ngspice)"
                    ),
                    flush=True,
                )
        summary["models"][name] = rec
    atomic_write_text(out / "device_demo.json", json.dumps(summary, indent=1))
    plot_loops(runs, out / "device_iv_loops.png")
    summary["files"] = [str(out / "device_demo.json"), str(out / "device_iv_loops.png")]
    return summary


def plot_loops(
    runs: dict[str, list[tuple[float, IVResult, IVResult | None]]], path: str | Path
) -> None:
    """Draw one I-V panel per model: Python solid, ngspice dashed, one colour per frequency."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(runs)
    cols = min(3, n)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    colours = ("tab:blue", "tab:red")
    for ax, (name, items) in zip(axes.flat, runs.items(), strict=False):
        for k, (f, py, sp) in enumerate(items):
            c = colours[k % 2]
            ax.plot(py.voltage, py.current * 1e3, color=c, lw=1.6, label=f"{f:g} Hz python")
            if sp is not None:
                ax.plot(sp.voltage, sp.current * 1e3, color="k", lw=0.8, ls="--",
                        label=f"{f:g} Hz ngspice")  # fmt: skip
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("V (V)")
        ax.set_ylabel("I (mA)")
        ax.axhline(0, color="0.8", lw=0.5)
        ax.axvline(0, color="0.8", lw=0.5)
        ax.legend(fontsize=6, loc="upper left")  # a passive loop never enters V<0, I>0
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(f"device demo, run '{Path(path).absolute().parent.name}': memristor models' "
                 "pinched I-V loops, Python (solid) vs ngspice (dashed)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_iv(results: dict[str, IVResult], path: str | Path, title: str = "") -> None:
    """I-V loop and state trace of one device on one or two engines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.6))
    styles = {"python": {"lw": 1.6}, "ngspice": {"lw": 0.9, "ls": "--", "color": "k"}}
    for eng, r in results.items():
        a1.plot(r.voltage, r.current * 1e3, label=eng, **styles.get(eng, {}))  # type: ignore[arg-type]
        a2.plot(r.time, r.state, label=eng, **styles.get(eng, {}))  # type: ignore[arg-type]
    a1.set_xlabel("V (V)")
    a1.set_ylabel("I (mA)")
    a2.set_xlabel("t (s)")
    a2.set_ylabel("state variable (model units)")
    a1.legend(fontsize=7)
    a2.legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


__all__ = ["run_device_demo", "plot_loops", "plot_iv"]
