"""Figures of the stochastic-thermodynamics runs: Landauer erasure and the Szilard demon.

The simulations live in :mod:`thermolearn.stochastic`; their plots live here so that the
library layers never import matplotlib.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from thermolearn.physics import LN2, binary_entropy_nats
from thermolearn.stochastic.erasure import ErasureSweep
from thermolearn.stochastic.szilard import DemonRun


def plot_erasure(sweep: ErasureSweep, path: str | Path, title: str | None = None) -> Path:
    """Plot the erasure sweep to ``path`` (PNG); ``title`` names the run (figure title).

    Panels: <Q>(tau) with error bars, the fit, ln 2, the generalised bound, the control
    cycle and the success probability; sample trajectories; the heat histogram. The legend
    of the first panel sits below it, clear of the data.
    """
    import matplotlib
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = sweep.runs
    tau = np.array([r.tau for r in runs])
    fig, ax = plt.subplots(1, 3, figsize=(15, 5.6))
    a = ax[0]
    a.errorbar(
        tau,
        [r.mean_heat for r in runs],
        yerr=[r.se_heat for r in runs],
        fmt="o",
        label="<Q> simulated",
    )
    tt = np.geomspace(tau.min(), tau.max(), 200)
    a.plot(
        tt,
        sweep.q_inf + sweep.b / tt,
        "-",
        label=f"fit Q∞ + B/τ, Q∞={sweep.q_inf:.3f}±{sweep.q_inf_se:.3f} kT",
    )
    a.plot(tau, [r.bound for r in runs], "s--", label="generalised bound ln2 − H(P)")
    a.axhline(LN2, color="k", lw=0.8, label="ln 2")
    ct = np.array([r.tau for r in sweep.controls])
    a.errorbar(
        ct,
        [r.mean_work for r in sweep.controls],
        yerr=[r.se_work for r in sweep.controls],
        fmt="x",
        color="gray",
        label=f"control <W> (no tilt); W∞={sweep.w_inf_control:.3f}±{sweep.w_inf_control_se:.3f}",
    )
    a.set_xscale("log")
    # ticks at the simulated cycle times, plain numbers (no overlapping 10^x labels)
    a.set_xticks(tau)
    a.xaxis.set_major_formatter(ScalarFormatter())
    a.xaxis.set_minor_formatter(NullFormatter())
    a.set_xlabel("cycle time τ (τ0)")
    a.set_ylabel("energy (kT)")
    a.set_title("mean heat vs cycle time")
    b = a.twinx()
    b.plot(
        tau,
        [r.success for r in runs],
        "v:",
        color="tab:red",
        alpha=0.6,
        label="success probability P (right axis)",
    )
    b.set_ylabel("success probability P", color="tab:red")
    h1, l1 = a.get_legend_handles_labels()
    h2, l2 = b.get_legend_handles_labels()
    a.legend(
        h1 + h2,
        l1 + l2,
        fontsize=7,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncol=2,
        frameon=False,
    )
    a = ax[1]
    r0 = runs[-1]
    if r0.paths.size:
        for k in range(min(8, r0.paths.shape[0])):
            a.plot(r0.path_times, r0.paths[k], lw=0.6)
    a.set_xlabel("t (τ0)")
    a.set_ylabel("x (x_m)")
    a.set_title(f"sample trajectories, τ = {r0.tau:g} τ0")
    a = ax[2]
    a.hist(r0.heat, bins=80, density=True, alpha=0.7, label="simulated trajectories")
    a.axvline(LN2, color="k", lw=0.8, label="ln 2")
    a.set_xlabel("Q per trajectory (kT)")
    a.set_ylabel("probability density (1/kT)")
    a.set_title(
        f"heat distribution, τ = {r0.tau:g} τ0; {100 * r0.frac_heat_below_ln2:.0f}% below ln 2"
    )
    a.legend(fontsize=7)
    fig.suptitle(title or "Landauer erasure in a Langevin double well")
    fig.tight_layout()
    p = Path(path)
    fig.savefig(p, dpi=110)
    plt.close(fig)
    return p


def plot_demon(runs: Sequence[DemonRun], path: str | Path, title: str | None = None) -> Path:
    """Plot extracted work vs epsilon against the bound, and the Sagawa–Ueda average.

    ``title`` names the run (figure title).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    eps = np.array([r.epsilon for r in runs])
    fig, ax = plt.subplots(1, 2, figsize=(10, 4.4))
    ee = np.linspace(1e-3, 0.5, 200)
    ax[0].plot(ee, LN2 - binary_entropy_nats(ee), "k-", label="bound ln2 − H(ε)")
    ax[0].errorbar(
        eps,
        [r.extracted_work for r in runs],
        yerr=[r.extracted_work_se for r in runs],
        fmt="o",
        label="simulated −<W>",
    )
    ax[0].plot(
        eps,
        [r.quasistatic_extracted for r in runs],
        "s",
        mfc="none",
        label="quasi-static (quadrature)",
    )
    ax[0].set_xlabel("measurement error ε")
    ax[0].set_ylabel("extracted work −<W> (kT)")
    ax[0].set_title("work extracted per cycle")
    ax[0].legend(fontsize=8)
    ax[1].errorbar(
        eps,
        [r.su_average for r in runs],
        yerr=[3 * r.su_average_se for r in runs],
        fmt="o",
        label="<e^(−W−I)> ± 3 SE",
    )
    ax[1].axhline(1.0, color="k", lw=0.8, label="Sagawa–Ueda: exactly 1")
    ax[1].set_xlabel("measurement error ε")
    ax[1].set_ylabel("<exp(−W/kT − I)> (dimensionless)")
    ax[1].set_title("Sagawa–Ueda equality")
    ax[1].legend(fontsize=8)
    fig.suptitle(title or "Szilard engine with a noisy demon")
    fig.tight_layout()
    p = Path(path)
    fig.savefig(p, dpi=110)
    plt.close(fig)
    return p


__all__ = ["plot_demon", "plot_erasure"]
