"""Headline predictions of thermodynamic learning, run as experiments with computed verdicts.

Four predictions are measured on the simulated hardware and each gets a plot and a verdict
that is *computed from the data* by a pure function (``verdict_*``); no verdict text is fixed
in advance.

1. **Energy–information**: the energy of learning E vs the bits learned I, beside the line
   kT ln 2 · I (runs of :mod:`thermolearn.experiments.scaling`).
2. **Speed–energy**: energy per update vs update time of the Landauer optimizer on the
   simulated RC programming line, and the product E·τ
   (:func:`thermolearn.experiments.optimizer_study.speed_energy_study`).
3. **Parallel vs serial erasure**: N bits erased within a fixed total time T, one after
   another (each cycle lasts T/N) or all at once (each cycle lasts T), simulated with the
   Langevin engine (:func:`thermolearn.stochastic.erasure.run_erasure`). Finite-time
   thermodynamics predicts a heat per bit Q(τ) ≈ Q∞ + B/τ, so the serial schedule costs
   Q∞ + B N/T per bit (growing with N) while the parallel one costs Q∞ + B/T (flat) [1]_.
4. **Where simulated hardware sits**: joules per multiply–accumulate of the simulated
   crossbar and joules per learned bit of simulated EP training vs kT ln 2 and the GPU and
   brain figures of :func:`thermolearn.reporting.context_table`.

:func:`run_predictions` writes ``predictions.json`` and a self-contained ``report.html``
(plots embedded as base64 PNG) to an output directory.

References
----------
.. [1] M. Konopik, T. Korten, E. Lutz, H. Linke, "Fundamental energy cost of finite-time
   parallelizable computing", Nat. Commun. 14, 447 (2023).
.. [2] A. Bérut et al., Nature 483, 187 (2012).
.. [3] R. Landauer, IBM J. Res. Dev. 5, 183 (1961).
"""

from __future__ import annotations

import base64
import html
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from thermolearn.checkpoints import atomic_write_text
from thermolearn.errors import ParameterError
from thermolearn.physics import LN2, T_ROOM, landauer_limit
from thermolearn.validation import check_int, check_positive

__all__ = [
    "PredictionsConfig",
    "run_predictions",
    "scaling_config",
    "energy_information",
    "speed_energy",
    "parallel_serial",
    "hardware_position",
    "verdict_energy_information",
    "verdict_speed_energy",
    "verdict_parallel_serial",
    "verdict_finite_units",
    "verdict_hardware",
    "weighted_slope",
    "render_html",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class PredictionsConfig:
    """Sizes of the four prediction experiments.

    Attributes
    ----------
    scaling : str
        ``"quick"``, ``"laptop"``, ``"default"`` (see :func:`scaling_config`) or ``"none"``
        (skip the energy–information prediction and the per-bit hardware figure).
    speed_factors : tuple of float
        Ramp times of the programming pulse in units of the line's RC.
    speed_params, speed_updates : int
        Size of the least-squares problem trained by the Landauer optimizer, and its updates.
    erase_total_time : float
        Total time T for N erasures, in tau_0 (natural units of the Langevin engine).
    erase_n_values : tuple of int
        Numbers of bits N.
    erase_registers : int
        Independent N-bit registers simulated per N (each schedule).
    erase_min_trajectories : int
        Lower bound on the trajectories simulated per (schedule, N).
    erase_dt : float
        Euler–Maruyama step (tau_0).
    erase_units : tuple of int
        Numbers M of parallel erasure units (the register is erased in ceil(N/M) rounds);
        M = 1 is simulated again, independently of the serial runs, as a consistency check.
    crossbar_shape : tuple of int
        (inputs, outputs) of the crossbar layer whose energy per MAC is measured.
    crossbar_batch : int
        Input vectors read through the crossbar.
    seed : int
    """

    scaling: str = "laptop"
    speed_factors: tuple[float, ...] = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
    speed_params: int = 64
    speed_updates: int = 30
    erase_total_time: float = 16.0
    erase_n_values: tuple[int, ...] = (1, 2, 4, 8, 16, 32)
    erase_registers: int = 100
    erase_min_trajectories: int = 1000
    erase_dt: float = 5.0e-4
    erase_units: tuple[int, ...] = (1, 4, 32)
    crossbar_shape: tuple[int, int] = (64, 10)
    crossbar_batch: int = 64
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        owner = "PredictionsConfig"
        if self.scaling not in ("quick", "laptop", "default", "none"):
            raise ParameterError(f"The 'scaling' parameter of {owner} must be 'quick', "
                                 f"'laptop', 'default' or 'none'; got {self.scaling!r}.")
        if len(self.speed_factors) < 2:
            raise ParameterError(f"The 'speed_factors' parameter of {owner} needs >= 2 values; "
                                 f"got {self.speed_factors!r}.")
        for f in self.speed_factors:
            check_positive(f, "speed_factors", owner, "RC")
        check_int(self.speed_params, "speed_params", owner, minimum=1)
        check_int(self.speed_updates, "speed_updates", owner, minimum=1)
        check_positive(self.erase_total_time, "erase_total_time", owner, "tau_0")
        if len(self.erase_n_values) < 2:
            raise ParameterError(f"The 'erase_n_values' parameter of {owner} needs >= 2 values; "
                                 f"got {self.erase_n_values!r}.")
        for n in self.erase_n_values:
            check_int(n, "erase_n_values", owner, minimum=1)
        check_int(self.erase_registers, "erase_registers", owner, minimum=2)
        check_int(self.erase_min_trajectories, "erase_min_trajectories", owner, minimum=2)
        check_positive(self.erase_dt, "erase_dt", owner, "tau_0")
        if not self.erase_units:
            raise ParameterError(f"The 'erase_units' parameter of {owner} needs >= 1 value.")
        for m in self.erase_units:
            check_int(m, "erase_units", owner, minimum=1)
        for v in self.crossbar_shape:
            check_int(v, "crossbar_shape", owner, minimum=1)
        check_int(self.crossbar_batch, "crossbar_batch", owner, minimum=1)
        check_int(self.seed, "seed", owner, minimum=0)

    @classmethod
    def full(cls) -> PredictionsConfig:
        """Larger run: the default scaling grid, more ramp times, N up to 64, more samples."""
        return cls(scaling="default",
                   speed_factors=(0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0),
                   speed_params=128, speed_updates=50, erase_total_time=32.0,
                   erase_n_values=(1, 2, 4, 8, 16, 32, 64), erase_registers=200,
                   erase_units=(1, 4, 16, 64),
                   erase_min_trajectories=4000, crossbar_shape=(256, 64), crossbar_batch=256)

    @classmethod
    def tiny(cls) -> PredictionsConfig:
        """Smallest meaningful run (tests): no training; 3 ramp times; N in 1, 4, 16."""
        return cls(scaling="none", speed_factors=(1.0, 10.0, 30.0), speed_params=8,
                   speed_updates=4, erase_total_time=8.0, erase_n_values=(1, 4, 16),
                   erase_registers=40, erase_min_trajectories=600, erase_dt=1.0e-3,
                   erase_units=(1, 4, 16),
                   crossbar_shape=(16, 4), crossbar_batch=8)


# ----------------------------------------------------------------------------- verdicts
def weighted_slope(x: ArrayLike, y: ArrayLike, se: ArrayLike | None = None
                   ) -> tuple[float, float]:
    """Weighted least-squares slope of y vs x and its standard error.

    Weights are 1/se²; the standard error is scaled by sqrt(χ²/dof) when that exceeds 1 (so
    scatter beyond the error bars widens it). Without ``se`` the fit is unweighted and the
    standard error comes from the residuals.
    """
    xx = np.asarray(x, float)
    yy = np.asarray(y, float)
    if xx.size < 2 or xx.shape != yy.shape:
        raise ParameterError("The 'x' and 'y' arguments of weighted_slope must be equal-length "
                             f"with >= 2 points; got {xx.shape} and {yy.shape}.")
    s = np.ones_like(xx) if se is None else np.maximum(np.asarray(se, float), 1e-300)
    a = np.stack([np.ones_like(xx), xx], axis=1) / s[:, None]
    b = yy / s
    coef, *_ = np.linalg.lstsq(a, b, rcond=None)
    cov = np.linalg.pinv(a.T @ a)
    dof = xx.size - 2
    chi2 = float(np.sum((a @ coef - b) ** 2))
    if se is None:
        scale = chi2 / dof if dof > 0 else 0.0
    else:
        scale = max(1.0, chi2 / dof) if dof > 0 else 1.0
    return float(coef[1]), float(math.sqrt(max(cov[1, 1] * scale, 0.0)))


def verdict_energy_information(
    bits: Sequence[float], energy: Sequence[float], *, temperature: float = T_ROOM,
    exponent: float | None = None, ci95: Sequence[float] | None = None,
    n_groups: int | None = None, min_groups: int = 3, max_ci_width: float = 2.0,
) -> dict[str, Any]:
    """Verdict on E vs I: does every run sit above kT ln 2 · I, and does E grow as I.

    Parameters
    ----------
    bits, energy : sequence of float
        Bits learned (bit) and energy (J) of each run; runs with bits <= 0 are excluded.
    temperature : float
        K, for kT ln 2.
    exponent, ci95 : float, sequence, optional
        Fitted exponent b of E ∝ I^b and its 95 % interval (from the scaling study).
    n_groups : int, optional
        Number of distinct grid points behind the fit; below ``min_groups`` the exponent is
        reported as unreliable and ``proportional`` is None.
    max_ci_width : float
        A CI wider than this cannot test b = 1 either way: ``proportional`` is None.

    Returns
    -------
    dict
        ``n_runs``, ``n_below_bound``, ``min_ratio_to_bound`` (E / kT ln 2 I),
        ``above_bound`` (bool), ``proportional`` (True/False/None), ``text``.
    """
    i = np.asarray(bits, float)
    e = np.asarray(energy, float)
    ok = np.isfinite(i) & np.isfinite(e) & (i > 0)
    out: dict[str, Any] = {"n_runs": int(ok.sum()), "n_excluded": int((~ok).sum())}
    if not ok.any():
        out.update(above_bound=None, proportional=None, n_below_bound=None,
                   min_ratio_to_bound=None,
                   text="No run learned a positive number of bits; no verdict possible.")
        return out
    ratio = e[ok] / (landauer_limit(temperature) * i[ok])
    below = int(np.sum(ratio < 1.0))
    out.update(n_below_bound=below, min_ratio_to_bound=float(ratio.min()),
               max_ratio_to_bound=float(ratio.max()), above_bound=below == 0)
    if below == 0:
        t1 = (f"All {ok.sum()} runs dissipate more than kT ln 2 · I; the closest is "
              f"{ratio.min():.3g} × the line, so the simulated learning is "
              f"{math.log10(ratio.min()):.1f} orders of magnitude above the bound.")
    else:
        t1 = (f"{below} of {ok.sum()} runs fall BELOW kT ln 2 · I (smallest ratio "
              f"{ratio.min():.3g}); either the bits are over-estimated or energy is missing "
              "from the ledger.")
    prop: bool | None = None
    if exponent is None or ci95 is None:
        t2 = "Too few informative runs to fit E ∝ I^b."
    elif n_groups is not None and n_groups < min_groups:
        t2 = (f"Only {n_groups} grid point(s) have runs with positive bits, so the fitted "
              f"exponent b = {exponent:.2f} is not a reliable test of E ∝ I (use a larger "
              "grid: --scaling laptop or --full).")
    elif float(ci95[1]) - float(ci95[0]) > max_ci_width:
        t2 = (f"Fitted b = {exponent:.2f}, but its 95 % CI {float(ci95[0]):.2f}–"
              f"{float(ci95[1]):.2f} is wider than {max_ci_width:g}: too wide to test "
              "proportionality either way.")
    else:
        lo, hi = float(ci95[0]), float(ci95[1])
        prop = bool(lo <= 1.0 <= hi)
        if prop:
            t2 = f"Fitted E ∝ I^b with b = {exponent:.2f} (95 % CI {lo:.2f}–{hi:.2f}): " \
                 "consistent with proportionality."
        elif hi < 1.0:
            t2 = f"Fitted b = {exponent:.2f} (95 % CI {lo:.2f}–{hi:.2f}): energy grows more " \
                 "slowly than the information learned (not proportional)."
        else:
            t2 = f"Fitted b = {exponent:.2f} (95 % CI {lo:.2f}–{hi:.2f}): energy grows faster " \
                 "than the information learned (not proportional)."
    out.update(proportional=prop, exponent=exponent, ci95=None if ci95 is None else list(ci95),
               text=f"{t1} {t2}")
    return out


def verdict_speed_energy(update_time: Sequence[float], energy: Sequence[float]) -> dict[str, Any]:
    """Verdict on energy per update vs update time: the log–log slope over the slow half.

    Finite-time thermodynamics (and adiabatic charging) predicts E ≈ E∞ + B/τ: slope -1 and
    E·τ constant while B/τ dominates; a slope near 0 means a floor that slower updates cannot
    remove.

    Returns
    -------
    dict
        ``slope`` (d log E / d log τ over the slowest half, at least 2 points),
        ``slope_all``, ``e_tau_spread`` (max/min of E·τ over the slow half), ``regime``
        (``"inverse"``, ``"sub-inverse"``, ``"floor"`` or ``"rising"``) and ``text``.
    """
    t = np.asarray(update_time, float)
    e = np.asarray(energy, float)
    ok = np.isfinite(t) & np.isfinite(e) & (t > 0) & (e > 0)
    t, e = t[ok], e[ok]
    if t.size < 2:
        return {"slope": None, "regime": None, "text": "Fewer than 2 valid points; no verdict."}
    order = np.argsort(t)
    t, e = t[order], e[order]
    k = max(2, t.size // 2)
    ts, es = t[-k:], e[-k:]
    slope, _ = weighted_slope(np.log10(ts), np.log10(es))
    slope_all, _ = weighted_slope(np.log10(t), np.log10(e))
    et = ts * es
    spread = float(et.max() / et.min())
    if slope > 0.2:
        regime = "rising"
        text = (f"Energy per update RISES with update time (slope {slope:+.2f} on log–log over "
                f"the slowest {k} points): slower is not cheaper here.")
    elif slope > -0.2:
        regime = "floor"
        text = (f"Energy per update reaches a floor (slope {slope:+.2f} over the slowest {k} "
                f"points): slowing the update further saves little; E·τ grows "
                f"{spread:.3g}× across them.")
    elif slope > -0.8:
        regime = "sub-inverse"
        text = (f"Energy per update falls with update time, but more slowly than 1/τ "
                f"(slope {slope:+.2f} over the slowest {k} points); E·τ varies "
                f"{spread:.3g}× across them.")
    else:
        regime = "inverse"
        text = (f"Energy per update falls as ~1/τ (slope {slope:+.2f} over the slowest {k} "
                f"points): E·τ stays within a factor {spread:.3g}, the finite-time trade-off "
                "E ≈ B/τ.")
    return {"slope": slope, "slope_all": slope_all, "e_tau_spread": spread, "regime": regime,
            "n_points": int(t.size), "n_slow": int(k), "text": text}


def verdict_parallel_serial(
    n_bits: Sequence[float],
    serial: Sequence[float], serial_se: Sequence[float],
    parallel: Sequence[float], parallel_se: Sequence[float],
    *, z: float = 2.0,
) -> dict[str, Any]:
    """Verdict on heat per bit vs N for the serial and parallel schedules.

    A schedule's energy per bit "grows" when the weighted slope of Q vs N exceeds ``z``
    standard errors, "falls" when it is below -``z`` SE, and is "flat" otherwise.

    Returns
    -------
    dict
        ``serial_slope``, ``serial_slope_se``, ``serial_trend``, same for ``parallel``,
        ``prediction_holds`` (serial grows and parallel is flat), ``text``.
    """
    def trend(s: float, se: float) -> str:
        if s > z * se:
            return "grows"
        if s < -z * se:
            return "falls"
        return "flat"

    ss, sse = weighted_slope(n_bits, serial, serial_se)
    ps, pse = weighted_slope(n_bits, parallel, parallel_se)
    st, pt = trend(ss, sse), trend(ps, pse)
    holds = st == "grows" and pt == "flat"
    s_arr, p_arr = np.asarray(serial, float), np.asarray(parallel, float)
    text = (f"Serial schedule: heat per bit {st} with N (slope {ss:+.3g} ± {sse:.2g} kT per "
            f"bit added; {s_arr[0]:.3g} → {s_arr[-1]:.3g} kT). Parallel schedule: heat per bit "
            f"{pt} (slope {ps:+.3g} ± {pse:.2g} kT; {p_arr[0]:.3g} → {p_arr[-1]:.3g} kT). ")
    if holds:
        text += ("This is the predicted finite-time scaling: serial erasure pays Q∞ + B N/T per "
                 "bit, parallel erasure stays at Q∞ + B/T.")
    else:
        text += "This is NOT the predicted pattern (serial growing, parallel flat)."
    # consistency: the serial line q = Q∞ + (B/T) N predicts the parallel level Q∞ + B/T
    n_arr = np.asarray(n_bits, float)
    w = 1.0 / np.maximum(np.asarray(serial_se, float), 1e-300)
    intercept = float(np.polyfit(n_arr, s_arr, 1, w=w)[1])
    predicted_parallel = intercept + ss
    pw = 1.0 / np.maximum(np.asarray(parallel_se, float), 1e-300) ** 2
    measured_parallel = float(np.sum(pw * p_arr) / np.sum(pw))
    measured_parallel_se = float(1.0 / math.sqrt(np.sum(pw)))
    text += (f" The serial line (intercept {intercept:.3g} kT, slope B/T) predicts a parallel "
             f"level Q∞ + B/T = {predicted_parallel:.3g} kT; the parallel runs give "
             f"{measured_parallel:.3g} ± {measured_parallel_se:.2g} kT (the 1/τ law is "
             "asymptotic, so short serial cycles can bend the line).")
    return {"serial_slope": ss, "serial_slope_se": sse, "serial_trend": st,
            "parallel_slope": ps, "parallel_slope_se": pse, "parallel_trend": pt,
            "serial_intercept": intercept, "predicted_parallel": predicted_parallel,
            "measured_parallel": measured_parallel,
            "measured_parallel_se": measured_parallel_se,
            "prediction_holds": holds, "text": text}


def verdict_hardware(
    measured: dict[str, float], context: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """Place measured energies beside the context figures: ratio and above/below for each.

    Parameters
    ----------
    measured : dict
        ``{label: joules}`` of the simulated hardware (e.g. per MAC, per learned bit).
    context : sequence of dict
        Items with ``name``, ``joules``, ``unit`` (see :func:`thermolearn.reporting.context_table`).

    Returns
    -------
    dict
        ``ratios`` {measured label: {context name: measured / context}}, ``text``.
    """
    ratios: dict[str, dict[str, float]] = {}
    parts = []
    for label, j in measured.items():
        if j is None or not math.isfinite(j) or j <= 0:
            parts.append(f"{label}: not measured.")
            continue
        r = {c["name"]: float(j / c["joules"]) for c in context}
        ratios[label] = r
        rel = []
        for c in context:
            q = r[c["name"]]
            word = "above" if q > 1 else "below"
            rel.append(f"{_fmt_ratio(q)} {word} {c['name']} ({c['joules']:.2g} J per {c['unit']})")
        parts.append(f"{label} = {j:.3g} J: " + "; ".join(rel) + ".")
    return {"ratios": ratios, "text": " ".join(parts)}


def _fmt_ratio(q: float) -> str:
    f = q if q >= 1 else 1.0 / q
    return f"{f:.3g}×"


# ----------------------------------------------------------------------------- experiments
def scaling_config(size: str) -> Any:
    """Return the :class:`~thermolearn.experiments.scaling.ScalingConfig` for ``size``.

    ``"quick"``: the study's smoke grid (16 tiny runs, a few seconds; not a result);
    ``"laptop"``: 4 training-set sizes and three fixed-sample-count factors (classes, label
    noise, early stopping) × 3 seeds, 64 hidden units, 3 epochs (about a minute on 2 cores);
    ``"default"``: the study's default grid.
    """
    from thermolearn.experiments.scaling import ScalingConfig

    if size == "quick":
        return ScalingConfig.quick()
    if size == "laptop":
        return ScalingConfig(epochs=3, hidden=(64,), seeds=(0, 1, 2),
                             n_train_values=(100, 200, 400, 800), fixed_n_train=250,
                             n_classes_values=(2, 5, 10), label_noise_values=(0.0, 0.5, 1.0),
                             levels_values=(), early_stop_values=(1, 2, 3), n_boot=1000)
    if size == "default":
        return ScalingConfig()
    raise ParameterError(f"The 'scaling' parameter of scaling_config must be 'quick', "
                         f"'laptop' or 'default'; got {size!r}.")


def energy_information(cfg: PredictionsConfig, out: Path, *, scheduler: str | None = None,
                       progress: bool = False) -> dict[str, Any]:
    """Prediction 1: run (or resume) the scaling study; verdict on E vs kT ln 2 · I.

    I is the study's default estimator (the information written into the conductances, an
    upper bound on I(D; θ)); E the whole run's dissipated energy. The verdict adds the
    learning energy's ratio to kT ln 2 · I, the per-factor exponents at a fixed sample count
    (total and learning energy) and the energy-per-sample confound, all from the data.
    """
    from thermolearn.experiments.scaling import FIXED_N_FACTORS, run_scaling_study

    sc = scaling_config(cfg.scaling)
    summary = run_scaling_study(sc, out / "scaling", scheduler=scheduler, max_workers=2,
                                progress=progress)
    est = summary["estimator"]
    pts = summary["points"]
    bits = [r["bits_learned"].get(est, math.nan) for r in pts]
    energy = [r["energy_joules"] for r in pts]
    learning = [r["learning_joules"] for r in pts]
    fits = summary["fits"].get(est, {})
    fit = fits.get("total", {}).get("pooled", {})
    v = verdict_energy_information(bits, energy, temperature=summary["temperature_K"],
                                   exponent=fit.get("exponent"), ci95=fit.get("ci95"),
                                   n_groups=fit.get("n_groups"))
    vl = verdict_energy_information(bits, learning, temperature=summary["temperature_K"])
    v["learning_above_bound"] = vl["above_bound"]
    v["learning_min_ratio_to_bound"] = vl["min_ratio_to_bound"]
    parts = []
    for f in FIXED_N_FACTORS:
        for kind in ("total", "learning"):
            fk = fits.get(kind, {}).get(f)
            if fk is None:
                continue
            if fk.get("exponent") is None:
                parts.append(f"{f}/{kind}: no fit ({fk.get('reason')})")
            else:
                ci = fk.get("ci95") or [math.nan, math.nan]
                parts.append(f"{f}/{kind}: b = {fk['exponent']:.2f} [{ci[0]:.2f}, {ci[1]:.2f}]")
    v["fixed_n_exponents"] = parts
    smoke = " SMOKE RUN: the grid is too small for these fits to be results." \
        if summary.get("smoke_run") else ""
    lr = vl["min_ratio_to_bound"]
    v["text"] += (f" Learning energy alone (writing the weights) is >= "
                  f"{lr:.3g} × kT ln 2 · I." if lr is not None else "") + (
        " At a fixed sample count, E ∝ I^b per factor (95 % CI): " + "; ".join(parts) + "."
        if parts else "") + " Confound: " + summary["confound"]["statement"] + smoke
    ok = [(b, e) for b, e in zip(bits, energy, strict=True) if math.isfinite(b) and b > 0]
    table = [{"bits (weight information)": f"{b:.4g}", "energy (J)": f"{e:.3e}",
              "E / (kT ln 2 · I)": f"{e / (landauer_limit(summary['temperature_K']) * b):.3g}"}
             for b, e in sorted(ok)]
    return {
        "title": "Energy of learning vs information written into the conductances",
        "table": table,
        "claim": "Learning I bits costs at least kT ln 2 · I; E may scale in proportion to I "
                 "(tested at a fixed sample count, where energy per sample cannot carry it).",
        "estimator": est, "energy_basis": "energy_joules",
        "temperature_K": summary["temperature_K"],
        "bits": bits, "energy_J": energy, "learning_energy_J": learning, "fit": fit,
        "scaling_config": summary["config"], "fits_all_estimators": summary["fits"],
        "confound": summary["confound"], "smoke_run": summary.get("smoke_run"),
        "plot": str(out / "scaling" / "scaling.png"), "verdict": v,
        "points": pts,
    }


def speed_energy(cfg: PredictionsConfig, out: Path) -> dict[str, Any]:
    """Prediction 2: energy per update vs update time of the Landauer optimizer."""
    from thermolearn.experiments.optimizer_study import speed_energy_study

    res = speed_energy_study(out / "speed_energy", factors=cfg.speed_factors, seed=cfg.seed,
                             n_params=cfg.speed_params, n_updates=cfg.speed_updates)
    rows = res["training"]
    by_mode: dict[str, dict[str, list[float]]] = {}
    verdicts = {}
    for rev in (True, False):
        sel = [r for r in rows if bool(r["use_reversible"]) == rev]
        key = "adiabatic release" if rev else "dump to ground"
        tau = [float(r["update_time_s"]) for r in sel]
        e = [float(r["energy_per_update_J"]) for r in sel]
        by_mode[key] = {"update_time_s": tau, "energy_per_update_J": e,
                        "e_tau_Js": [a * b for a, b in zip(tau, e, strict=True)],
                        "multiple_of_landauer": [r.get("multiple_of_landauer") for r in sel],
                        "adiabatic_factor": [float(r["adiabatic_factor"]) for r in sel]}
        verdicts[key] = verdict_speed_energy(tau, e)
    text = " ".join(f"[{k}] {v['text']}" for k, v in verdicts.items())
    table = [{"release": k, "ramp (RC)": f"{f:g}", "update time (s)": f"{t:.3e}",
              "energy per update (J)": f"{e:.3e}", "E·τ (J s)": f"{t * e:.3e}"}
             for k, d in by_mode.items()
             for f, t, e in zip(d["adiabatic_factor"], d["update_time_s"],
                                d["energy_per_update_J"], strict=True)]
    png = out / "plots" / "speed_energy.png"
    _plot_speed_energy(by_mode, png)
    return {"title": "Speed–energy trade-off of weight updates", "table": table,
            "claim": "A slower update can dissipate less: E ≈ E∞ + B/τ, so E·τ is roughly "
                     "constant where B/τ dominates.",
            "line": res["line"], "modes": by_mode, "plot": str(png),
            "verdict": {"by_mode": verdicts, "text": text}}


def verdict_finite_units(
    n_bits: Sequence[float],
    units: int,
    heat: Sequence[float],
    heat_se: Sequence[float],
    *,
    q_inf: float,
    b: float,
    q_inf_se: float,
    b_se: float,
    total_time: float,
    z: float = 3.0,
) -> dict[str, Any]:
    """Verdict on M-unit parallel erasure: trend in N, and the finite-time law's prediction.

    The law <Q>(τ) = Q∞ + B/τ, fitted on the *serial* runs, predicts Q∞ + B ceil(N/M)/T per
    bit for M units (:func:`thermolearn.stochastic.erasure.units_prediction`). The verdict
    compares each measured heat with it (|z| < ``z`` with the measurement and fit errors in
    quadrature) and reports the trend of heat vs N (weighted slope beyond ``z`` SE: "grows"), which
    the law expects to be "flat" only when M >= max N.

    Returns
    -------
    dict
        ``units``, ``trend``, ``slope``, ``slope_se``, ``expected_flat``, ``predicted``,
        ``z_scores``, ``law_holds`` (every |z| < ``z``), ``text``.
    """
    from thermolearn.stochastic.erasure import erasure_rounds

    n = np.asarray(n_bits, float)
    q = np.asarray(heat, float)
    se = np.asarray(heat_se, float)
    rounds = np.array([erasure_rounds(int(k), units) for k in n], float)
    pred = q_inf + b * rounds / total_time
    pred_se = np.sqrt(q_inf_se**2 + (b_se * rounds / total_time) ** 2)
    zs = (q - pred) / np.sqrt(se**2 + pred_se**2)
    slope, slope_se = weighted_slope(n, q, se)
    trend = "grows" if slope > z * slope_se else "falls" if slope < -z * slope_se else "flat"
    flat_expected = bool(units >= n.max())
    holds = bool(np.all(np.abs(zs) < z))
    text = (f"M = {units}: heat per bit {trend} with N ({q[0]:.3g} → {q[-1]:.3g} kT; the law "
            f"predicts {pred[0]:.3g} → {pred[-1]:.3g} kT, largest |z| = "
            f"{float(np.max(np.abs(zs))):.2f}: {'agrees' if holds else 'DISAGREES'}).")
    return {"units": int(units), "trend": trend, "slope": slope, "slope_se": slope_se,
            "expected_flat": flat_expected, "predicted": pred.tolist(),
            "z_scores": zs.tolist(), "law_holds": holds, "text": text}


def parallel_serial(cfg: PredictionsConfig, out: Path,
                    progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Prediction 3: heat per bit vs N, serial (τ = T/N) and with M parallel units.

    Bits are independent double-well particles (Bérut protocol, :class:`ErasureProtocol`
    defaults). With M units the register takes ceil(N/M) rounds of τ = T/ceil(N/M)
    (:func:`thermolearn.stochastic.erasure.register_erasure`), so parallelism helps only up to
    N = M: the parallel case is not N free copies. The finite-time law fitted on the serial
    runs predicts every M-unit heat; each M is simulated with its own trajectories. Energies
    in kT and in J with the Bérut bead's scales (:func:`thermolearn.stochastic.langevin.
    berut_units`).
    """
    from thermolearn.stochastic.erasure import ErasureProtocol, fit_inverse_tau, register_erasure
    from thermolearn.stochastic.langevin import berut_units

    protocol = ErasureProtocol()
    rng = np.random.default_rng(cfg.seed)
    t_total = cfg.erase_total_time
    kw = {"n_registers": cfg.erase_registers, "min_trajectories": cfg.erase_min_trajectories,
          "dt": cfg.erase_dt}
    rows: list[dict[str, Any]] = []
    for n in cfg.erase_n_values:
        s = register_erasure(protocol, n, 1, t_total, rng, **kw)
        par = {str(m): register_erasure(protocol, n, m, t_total, rng, **kw)
               for m in cfg.erase_units}
        rows.append({"n_bits": n, "serial": s, "units": par,
                     "parallel": par[str(max(cfg.erase_units))]})
        if progress is not None:
            progress(f"erasure N={n}: serial {s['heat_per_bit_kT']:.3f} kT/bit, " + ", ".join(
                f"M={m} {p['heat_per_bit_kT']:.3f}" for m, p in par.items()))
    ns = [r["n_bits"] for r in rows]
    m_max = max(cfg.erase_units)
    v = verdict_parallel_serial(
        ns, [r["serial"]["heat_per_bit_kT"] for r in rows],
        [r["serial"]["heat_per_bit_se_kT"] for r in rows],
        [r["parallel"]["heat_per_bit_kT"] for r in rows],
        [r["parallel"]["heat_per_bit_se_kT"] for r in rows])
    q_inf, b, q_inf_se, b_se = fit_inverse_tau(
        [r["serial"]["tau"] for r in rows], [r["serial"]["heat_per_bit_kT"] for r in rows],
        [r["serial"]["heat_per_bit_se_kT"] for r in rows])
    by_units = {str(m): verdict_finite_units(
        ns, m, [r["units"][str(m)]["heat_per_bit_kT"] for r in rows],
        [r["units"][str(m)]["heat_per_bit_se_kT"] for r in rows], q_inf=q_inf, b=b,
        q_inf_se=q_inf_se, b_se=b_se, total_time=t_total) for m in cfg.erase_units}
    flat = sorted(int(m) for m, d in by_units.items() if d["trend"] == "flat")
    grows = sorted(int(m) for m, d in by_units.items() if d["trend"] != "flat")
    if flat and grows:
        flip = (f"The verdict 'parallel heat per bit is flat' flips with the number of units: "
                f"it grows for M in {grows} and is flat for M in {flat} (N up to {max(ns)}).")
    elif flat:
        flip = f"Heat per bit is flat in N for every M tried ({flat})."
    else:
        flip = (f"Heat per bit grows with N for every M tried ({grows}): no M here reaches "
                f"N = {max(ns)} in one round.")
    pattern = all(d["expected_flat"] == (d["trend"] == "flat") for d in by_units.values())
    law = all(d["law_holds"] for d in by_units.values())
    v["finite_units"] = by_units
    v["fit_serial"] = {"q_inf_kT": q_inf, "b_kT_tau0": b, "q_inf_se": q_inf_se, "b_se": b_se}
    v["flip_text"] = flip
    v["pattern_holds"] = pattern
    v["law_holds"] = law
    min_success = min(r["serial"]["success"] for r in rows)
    v["serial_min_success"] = min_success
    v["text"] += (f" With finite parallel units (rounds ceil(N/M), serial fit Q∞ = "
                  f"{q_inf:.3g} kT, B = {b:.3g} kT·τ0): " + " ".join(
                      d["text"] for d in by_units.values()) + " " + flip
                  + (" The trend of every M is the one the finite-time law expects (flat only "
                     "when M >= N)." if pattern else
                     " NOT every M shows the trend the finite-time law expects.")
                  + f" Lowest serial success probability: {min_success:.3f} (at the shortest "
                  "cycle; failed erasures still count in the heat).")
    units_si = berut_units()
    png = out / "plots" / "parallel_serial.png"
    _plot_parallel_serial(rows, t_total, png)
    table = [{"N": r["n_bits"],
              "serial τ (τ0)": f"{r['serial']['tau']:.3g}",
              "serial heat/bit (kT)": f"{r['serial']['heat_per_bit_kT']:.3f} ± "
                                      f"{r['serial']['heat_per_bit_se_kT']:.3f}",
              "serial success": f"{r['serial']['success']:.3f}",
              **{f"M={m} heat/bit (kT)": f"{p['heat_per_bit_kT']:.3f} ± "
                                         f"{p['heat_per_bit_se_kT']:.3f}"
                 for m, p in r["units"].items()}} for r in rows]
    return {"title": "Parallel vs serial erasure in a fixed total time, with finite units",
            "table": table,
            "claim": "Within a total time T, serial erasure of N bits costs Q∞ + B N/T per bit "
                     "(grows with N); M parallel units cost Q∞ + B ceil(N/M)/T per bit: flat "
                     "while N <= M, growing beyond. Konopik et al., Nat. Commun. 14, 447 "
                     "(2023).",
            "total_time_tau0": t_total, "rows": rows, "ln2": LN2, "units": list(cfg.erase_units),
            "largest_units": m_max,
            "si_units": {"kT_J": units_si.kt, "tau0_s": units_si.tau0,
                         "note": "Bérut et al. (2012) bead: 2 µm silica in water, x_m = 0.5 µm"},
            "plot": str(png), "verdict": v}


def hardware_position(cfg: PredictionsConfig, out: Path,
                      energy_info: dict[str, Any] | None) -> dict[str, Any]:
    """Prediction 4: J per MAC of the simulated crossbar, J per learned bit, vs context."""
    from thermolearn.crossbar import SignedCrossbarLayer
    from thermolearn.reporting import context_table

    rng = np.random.default_rng(cfg.seed)
    n_in, n_out = cfg.crossbar_shape
    w = rng.normal(0.0, 1.0 / math.sqrt(n_in), size=(n_out, n_in))
    layer = SignedCrossbarLayer(w, rng=np.random.default_rng(cfg.seed + 1))
    layer.ledger.clear()
    x = rng.uniform(0.0, 1.0, size=(cfg.crossbar_batch, n_in))
    y = layer.matvec(x)
    macs = cfg.crossbar_batch * n_in * n_out
    bd = layer.ledger.breakdown()
    total = float(layer.ledger.total())
    array_only = float(sum(v for k, v in bd.items() if k in ("read", "wire")))
    err = float(np.max(np.abs(y - x @ w.T)) / max(np.max(np.abs(x @ w.T)), 1e-30))
    measured: dict[str, float] = {
        "crossbar J per MAC (with DAC/ADC/TIA)": total / macs,
        "crossbar J per MAC (array only)": array_only / macs,
    }
    per_bit = None
    if energy_info is not None:
        vals = [e / b for b, e in zip(energy_info["bits"], energy_info["energy_J"], strict=True)
                if b is not None and math.isfinite(b) and b > 0 and e > 0]
        if vals:
            per_bit = float(np.median(vals))
            measured["EP training J per learned bit (median)"] = per_bit
    temp = T_ROOM
    ctx = [{"name": c.name, "joules": c.joules, "unit": c.unit, "kind": c.kind,
            "citation": c.citation} for c in context_table(temp)]
    v = verdict_hardware(measured, ctx)
    png = out / "plots" / "hardware.png"
    _plot_hardware(measured, ctx, png)
    kinds = {"crossbar J per MAC (array only)": "simulated (cells and wires)",
             "crossbar J per MAC (with DAC/ADC/TIA)":
                 "simulated array + modelled converters (cited figures of merit)"}
    table = [{"quantity": k, "joules": f"{j:.3e}",
              "source": kinds.get(k, "ledger of the simulated EP training runs")}
             for k, j in measured.items()]
    table += [{"quantity": f"{c['name']} per {c['unit']}", "joules": f"{c['joules']:.3e}",
               "source": f"{c['kind']}; {c['citation']}"} for c in ctx]
    return {"title": "Where the simulated hardware sits", "table": table,
            "claim": "Analog in-memory computing should sit between digital hardware and the "
                     "Landauer bound.",
            "crossbar": {"inputs": n_in, "outputs": n_out, "batch": cfg.crossbar_batch,
                         "macs": macs, "energy_breakdown_J": bd, "energy_total_J": total,
                         "relative_error_vs_exact": err},
            "measured": measured, "context": ctx, "plot": str(png), "verdict": v}


# ----------------------------------------------------------------------------- plots
def _figure() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> None:
    plt = _figure()
    path.parent.mkdir(parents=True, exist_ok=True)
    # name the run (out/plots/NAME.png -> out) so that a figure found alone says where it is from
    fig.suptitle(f"predictions, run '{path.absolute().parent.parent.name}'", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_speed_energy(by_mode: dict[str, dict[str, list[float]]], path: Path) -> None:
    plt = _figure()
    fig, ax = plt.subplots(1, 2, figsize=(11, 4.2))
    for label, d in by_mode.items():
        ax[0].loglog(d["update_time_s"], d["energy_per_update_J"], "o-", label=label)
        ax[1].loglog(d["update_time_s"], d["e_tau_Js"], "o-", label=label)
    ax[0].set_xlabel("update time τ (s)")
    ax[0].set_ylabel("energy per update E (J, simulated)")
    ax[0].set_title("energy per update vs update time")
    ax[1].set_xlabel("update time τ (s)")
    ax[1].set_ylabel("E·τ (J s)")
    ax[1].set_title("energy–time product")
    for a in ax:  # minor tick labels stay: the curves span about one decade
        a.legend(fontsize=8)
    _save(fig, path)


def _plot_parallel_serial(rows: list[dict[str, Any]], t_total: float, path: Path) -> None:
    plt = _figure()
    fig, ax = plt.subplots(1, 2, figsize=(11, 4.2))
    n = np.array([r["n_bits"] for r in rows], float)
    ax[0].errorbar(n, [r["serial"]["heat_per_bit_kT"] for r in rows],
                   yerr=[r["serial"]["heat_per_bit_se_kT"] for r in rows], fmt="o-",
                   label="serial (τ = T/N)")
    for m in rows[0]["units"]:
        ax[0].errorbar(n, [r["units"][m]["heat_per_bit_kT"] for r in rows],
                       yerr=[r["units"][m]["heat_per_bit_se_kT"] for r in rows], fmt="s--",
                       label=f"M = {m} units (τ = T/⌈N/M⌉)")
    ax[1].plot(n, [r["serial"]["success"] for r in rows], "o-", label="serial")
    for m in rows[0]["units"]:
        ax[1].plot(n, [r["units"][m]["success"] for r in rows], "s--", label=f"M = {m}")
    ax[0].axhline(LN2, color="k", lw=0.8, ls="--", label="ln 2 (Landauer)")
    ax[0].set_xscale("log", base=2)
    ax[0].set_ylim(bottom=0.0)
    ax[0].set_xlabel("number of bits N")
    ax[0].set_ylabel("mean heat per bit (kT)")
    ax[0].set_title(f"N bits erased within T = {t_total:g} τ0 (Langevin)")
    ax[0].legend(fontsize=7)
    ax[1].set_xscale("log", base=2)
    ax[1].set_xlabel("number of bits N")
    ax[1].set_ylabel("success probability (fraction of trajectories)")
    ax[1].legend(fontsize=7)
    _save(fig, path)


def _plot_hardware(measured: dict[str, float], ctx: list[dict[str, Any]], path: Path) -> None:
    plt = _figure()
    labels = list(measured) + [f"{c['name']} (per {c['unit']})" for c in ctx]
    vals = list(measured.values()) + [c["joules"] for c in ctx]
    colors = ["tab:blue"] * len(measured) + ["tab:gray"] * len(ctx)
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(labels) + 1.5))
    left = min(vals) / 30.0
    ax.barh(range(len(vals)), [v - left for v in vals], left=left, color=colors)
    for k, v in enumerate(vals):
        ax.text(v * 1.5, k, f"{v:.2g} J", va="center", fontsize=7)
    ax.set_yticks(range(len(vals)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(left, max(vals) * 300.0)
    ax.invert_yaxis()
    ax.set_xlabel("joules (blue: simulated here; gray: cited context)")
    ax.set_title("energy scale: simulated hardware vs GPU, brain and Landauer")
    _save(fig, path)


# ----------------------------------------------------------------------------- report
def _b64(path: str | Path) -> str:
    p = Path(path)
    if not p.exists():
        return ""
    return base64.b64encode(p.read_bytes()).decode("ascii")


def render_html(result: dict[str, Any]) -> str:
    """Render the predictions as one self-contained HTML page (plots as base64 PNG)."""
    esc = html.escape
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'>",
             "<title>thermolearn predictions</title><style>body{font-family:sans-serif;"
             "max-width:980px;margin:auto;padding:1em}img{max-width:100%}"
             ".verdict{background:#eef6ee;border-left:4px solid #393;padding:.6em}"
             ".claim{color:#555}table{border-collapse:collapse;font-size:85%;margin:.5em 0}"
             "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}</style></head><body>",
             "<h1>thermolearn: predictions as experiments</h1>",
             f"<p>Configuration: {esc(json.dumps(result['config']))}; wall time "
             f"{result['wall_seconds']:.1f} s. Every verdict below is computed from the "
             "simulated data of this run.</p>"]
    for key in ("energy_information", "speed_energy", "parallel_serial", "hardware"):
        sec = result["predictions"].get(key)
        if sec is None:
            continue
        parts.append(f"<h2>{esc(sec['title'])}</h2>")
        parts.append(f"<p class='claim'>Prediction: {esc(sec['claim'])}</p>")
        img = _b64(sec.get("plot", ""))
        if img:
            parts.append(f"<img alt='{esc(sec['title'])}' src='data:image/png;base64,{img}'>")
        parts.append(f"<p class='verdict'><b>Verdict (from the data):</b> "
                     f"{esc(sec['verdict']['text'])}</p>")
        table = sec.get("table") or []
        if table:
            cols = list(table[0])
            parts.append("<table><tr>" + "".join(f"<th>{esc(str(c))}</th>" for c in cols)
                         + "</tr>")
            for row in table:
                parts.append("<tr>" + "".join(f"<td>{esc(str(row.get(c, '')))}</td>"
                                              for c in cols) + "</tr>")
            parts.append("</table>")
    parts.append("<p>Energies are simulated (circuit transients, Langevin trajectories, ledger "
                 "of the simulated crossbar); kT ln 2 is a bound; the GPU and brain figures are "
                 "cited orders of magnitude (see thermolearn.reporting).</p></body></html>")
    return "\n".join(parts)


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    return str(o)


def run_predictions(
    cfg: PredictionsConfig,
    out_dir: str | Path,
    *,
    scheduler: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run all predictions; write ``predictions.json``, ``report.html`` and PNGs to ``out_dir``.

    Returns
    -------
    dict
        ``config``, ``predictions`` {key: section with ``verdict`` and data}, ``timings_s``,
        ``wall_seconds``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda _m: None)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    preds: dict[str, Any] = {}
    if cfg.scaling != "none":
        t = time.perf_counter()
        preds["energy_information"] = energy_information(cfg, out, scheduler=scheduler)
        timings["energy_information"] = time.perf_counter() - t
        say(f"energy–information ({timings['energy_information']:.0f} s): "
            f"{preds['energy_information']['verdict']['text']}")
    t = time.perf_counter()
    preds["speed_energy"] = speed_energy(cfg, out)
    timings["speed_energy"] = time.perf_counter() - t
    say(f"speed–energy ({timings['speed_energy']:.0f} s): "
        f"{preds['speed_energy']['verdict']['text']}")
    t = time.perf_counter()
    preds["parallel_serial"] = parallel_serial(cfg, out, progress=progress)
    timings["parallel_serial"] = time.perf_counter() - t
    say(f"parallel vs serial ({timings['parallel_serial']:.0f} s): "
        f"{preds['parallel_serial']['verdict']['text']}")
    t = time.perf_counter()
    preds["hardware"] = hardware_position(cfg, out, preds.get("energy_information"))
    timings["hardware"] = time.perf_counter() - t
    say(f"hardware ({timings['hardware']:.0f} s): {preds['hardware']['verdict']['text']}")
    result = {"config": asdict(cfg), "predictions": preds, "timings_s": timings,
              "wall_seconds": time.perf_counter() - t0}
    atomic_write_text(out / "predictions.json",
        json.dumps(result, indent=2, default=_json_default) + "\n")
    atomic_write_text(out / "report.html", render_html(result))
    return result
