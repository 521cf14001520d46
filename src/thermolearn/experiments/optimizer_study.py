"""The speed–energy study of the Landauer optimizer: simulated pulses, training, JSON + plot.

:func:`speed_energy_study` measures, for each adiabatic factor, the energy per programming
pulse against pulse time on the simulated line and a short least-squares training with
:class:`~thermolearn.algorithms.landauer_optimizer.LandauerOptimizer`, and writes
``speed_energy.json`` and ``speed_energy.png`` (plotting lives here, not in ``algorithms/``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from thermolearn.algorithms.landauer_optimizer import (
    LandauerOptimizer,
    ProgrammingLine,
    speed_energy_curve,
)
from thermolearn.physics import T_ROOM, landauer_limit


def plot_speed_energy(
    curves: dict[str, list[dict[str, float]]], line: ProgrammingLine, path: str | Path,
    temperature: float = T_ROOM,
) -> Path:
    """Plot energy per pulse vs pulse time (log–log) for each labelled curve."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.2))
    for label, rows in curves.items():
        ax.loglog([r["pulse_time_s"] for r in rows], [r["energy_J"] for r in rows], "o-",
                  label=label)
    cv2 = line.capacitance * line.v_program**2
    ax.axhline(cv2, color="gray", ls=":", label="C V² (conventional charge + dump)")
    ax.axhline(landauer_limit(temperature) * 8, color="k", ls="--", lw=0.8,
               label="8 kT ln 2 (one 8-bit overwrite)")
    ax.set_xlabel("pulse time (s)")
    ax.set_ylabel("energy dissipated per pulse (J)")
    p = Path(path)
    ax.set_title(f"speed–energy trade-off, run '{p.absolute().parent.name}'\nprogramming line "
                 f"R = {line.r_driver:g} Ω, C = {line.capacitance:g} F; simulated transients",
                 fontsize=9)
    ax.legend(fontsize=7, loc="center right")
    fig.tight_layout()
    fig.savefig(p, dpi=110)
    plt.close(fig)
    return p


def speed_energy_study(
    out_dir: str | Path,
    *,
    line: ProgrammingLine | None = None,
    factors: Sequence[float] = (0.0, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0),
    temperature: float = T_ROOM,
    seed: int = 0,
    n_params: int = 64,
    n_updates: int = 30,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Measure the speed–energy trade-off of programming and write JSON + PNG to ``out_dir``.

    ``progress``, if given, receives one status line per phase (curves, each training run).

    For each adiabatic factor: energy per pulse vs pulse time on the simulated line (both
    release modes), and a short least-squares fit of ``n_params`` weights trained with
    :class:`LandauerOptimizer` (energy per update, update time, multiple of the Landauer
    bound). Every energy is from the simulated transients.
    """
    import json

    ln = line if line is not None else ProgrammingLine()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda _m: None)
    curves: dict[str, list[dict[str, Any]]] = {}
    for name, rev in (("adiabatic release (use_reversible=True)", True),
                      ("dump to ground (use_reversible=False)", False)):
        curves[name] = []
        for k, f in enumerate(factors, 1):
            t0 = time.perf_counter()
            curves[name] += speed_energy_curve(ln, [f], reversible=rev)
            say(f"{name}: ramp {f:g} RC simulated ({k}/{len(factors)}, "
                f"{time.perf_counter() - t0:.1f} s)")
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((256, n_params)) / math.sqrt(n_params)
    w_true = rng.uniform(-0.8, 0.8, n_params)
    y = a @ w_true
    training = []
    for rev in (True, False):
        t0 = time.perf_counter()
        for f in factors:
            opt = LandauerOptimizer(1.0, temperature, use_reversible=rev, adiabatic_factor=f,
                                    line=ln)
            w = np.zeros(n_params)
            for _ in range(n_updates):
                grad = a.T @ (a @ w - y) / a.shape[0]
                w = opt.step(grad, w)
            rep = opt.efficiency_report()
            rep["final_mse"] = float(np.mean((a @ w - y) ** 2))
            training.append(rep)
        say(f"least-squares training ({n_updates} updates x {len(factors)} factors, "
            f"{'adiabatic release' if rev else 'dump to ground'}) in "
            f"{time.perf_counter() - t0:.1f} s")
    result = {"line": {"r_driver_ohm": ln.r_driver, "c_F": ln.capacitance,
                       "v_program_V": ln.v_program, "rc_s": ln.rc, "hold_rc": ln.hold},
              "temperature_K": temperature, "curves": curves, "training": training}
    (out / "speed_energy.json").write_text(json.dumps(result, indent=2))
    plot_speed_energy(curves, ln, out / "speed_energy.png", temperature)
    return result


__all__ = ["plot_speed_energy", "speed_energy_study"]
