"""The E ∝ I scaling study: does the energy of learning grow with the bits learned.

The study trains the physical equilibrium-propagation network
(:func:`thermolearn.experiments.ep_train.run_training`) at grid points that change how much
information is learned — training-set size, number of classes, conductance levels of the
device — each over several seeds, and fits

    log E = a + b · log I

by least squares, with a bootstrap 95 % confidence interval for the exponent b obtained by
resampling grid points (each point's seeds stay together, so correlated seeds do not shrink
the interval). Proportionality (b = 1) is "supported" when the interval contains 1. The result
is whatever the simulation gives; nothing is tuned to it.

Pairing of energy and bits: each bits estimator is paired with the energy spent while that
information was acquired.

* ``"prequential"`` (the default): the prequential code of the *first* epoch (the first pass
  over the labels, Blier & Ollivier 2018) is paired with the ledger energy after that epoch;
* ``"cross_entropy_gain"``: the held-out cross-entropy gain after training (the key that
  :func:`~thermolearn.experiments.ep_train.run_training` writes in ``bits_learned``) is paired
  with the ledger energy of the whole run.

Runs whose bits are below :data:`thermolearn.information.MIN_BITS` (nothing learned) cannot
enter a log–log fit; they are kept in ``scaling.json`` and counted as excluded.

Every grid point runs through :func:`thermolearn.sweeps.run_sweep`, so the study runs on a local
process pool or a Dask cluster and a rerun after a crash computes only the missing points.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.errors import ParameterError
from thermolearn.validation import check_choice, check_int

__all__ = [
    "ENERGY_BASIS",
    "STUDY_VERSION",
    "ScalingConfig",
    "fit_power_law",
    "plot_scaling",
    "run_scaling_study",
    "scaling_point",
]

#: Bumped when the meaning of a point's result changes, so stale caches are not reused.
STUDY_VERSION = 3
#: Which energy each bits estimator is paired with.
ENERGY_BASIS = {
    "prequential": "energy_first_epoch_joules",
    "cross_entropy_gain": "energy_joules",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ScalingConfig:
    """Grid of the scaling study.

    Attributes
    ----------
    task : str
        Dataset (default ``"digits"``).
    epochs : int
        Training epochs per run.
    hidden : tuple of int
        Hidden layer sizes.
    seeds : tuple of int
        Seeds repeated at every grid point.
    n_train_values : tuple of int
        Training-set sizes (all classes, ideal devices).
    n_classes_values : tuple of int
        Numbers of classes (all their training examples, ideal devices).
    levels_values : tuple of int
        Conductance levels of the realistic device, at ``levels_n_train`` examples.
    levels_n_train : int
    estimator : str
        Bits estimator of the headline fit (a key of :data:`ENERGY_BASIS`).
    n_boot : int
        Bootstrap resamples for the CI of b.
    boot_seed : int
        Seed of the bootstrap generator.
    """

    task: str = "digits"
    epochs: int = 5
    hidden: tuple[int, ...] = (128,)
    seeds: tuple[int, ...] = (0, 1, 2)
    n_train_values: tuple[int, ...] = (100, 200, 400, 800, 1400)
    n_classes_values: tuple[int, ...] = (2, 3, 5, 7)
    levels_values: tuple[int, ...] = (4, 16, 64)
    levels_n_train: int = 800
    estimator: str = "prequential"
    n_boot: int = 2000
    boot_seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        owner = "ScalingConfig"
        check_int(self.epochs, "epochs", owner, minimum=1)
        check_int(self.n_boot, "n_boot", owner, minimum=10)
        check_int(self.boot_seed, "boot_seed", owner, minimum=0)
        check_choice(self.estimator, "estimator", owner, tuple(ENERGY_BASIS))
        if not self.seeds:
            raise ParameterError(f"The 'seeds' parameter of {owner} needs >= 1 seed; got ().")
        for name in ("seeds", "hidden", "n_train_values", "n_classes_values", "levels_values"):
            vals = tuple(getattr(self, name))
            for v in vals:
                check_int(v, name, owner, minimum=0 if name == "seeds" else 1)
            object.__setattr__(self, name, tuple(int(v) for v in vals))

    @classmethod
    def quick(cls) -> ScalingConfig:
        """Return a reduced study for tests and smoke runs (6 runs of about a second each)."""
        return cls(epochs=2, hidden=(32,), seeds=(0, 1), n_train_values=(60, 120, 240),
                   n_classes_values=(), levels_values=(), n_boot=500,
                   extra={"n_classes": 2})

    def points(self) -> list[dict[str, Any]]:
        """Return the grid points × seeds as JSON-ready parameter dicts (cache keys)."""
        base = {"study_version": STUDY_VERSION, "task": self.task, "epochs": self.epochs,
                "hidden": list(self.hidden)}
        grid: list[dict[str, Any]] = []
        for n in self.n_train_values:
            grid.append({"factor": "n_train", "n_train": n, "n_classes": None, "levels": None,
                         "device": "ideal"})
        for k in self.n_classes_values:
            grid.append({"factor": "n_classes", "n_train": None, "n_classes": k, "levels": None,
                         "device": "ideal"})
        for lv in self.levels_values:
            grid.append({"factor": "levels", "n_train": self.levels_n_train, "n_classes": None,
                         "levels": lv, "device": "realistic"})
        out = []
        for g in grid:
            g = {**g, **{k: v for k, v in self.extra.items() if g.get(k) is None}}
            for s in self.seeds:
                out.append({**base, **g, "seed": s})
        return out


def scaling_point(point: dict[str, Any]) -> dict[str, Any]:
    """Train the physical EP network at one grid point; return energies and bits learned.

    Parameters
    ----------
    point : dict
        Keys ``task, epochs, hidden, n_train, n_classes, levels, device, seed`` (see
        :meth:`ScalingConfig.points`).

    Returns
    -------
    dict
        ``energy_joules`` (ledger total, J), ``energy_by_source`` {"simulated"|"model"|...: J},
        ``energy_first_epoch_joules`` (J),
        ``bits_learned`` {estimator: bits}, ``test_accuracy``, ``n_train``, ``n_classes``,
        ``temperature_K``, ``seconds``.
    """
    from thermolearn.experiments.ep_train import default_config, run_training

    t0 = time.perf_counter()
    overrides = {k: point[k] for k in ("epochs", "n_train", "n_classes", "levels", "device", "seed")
                 if point.get(k) is not None}
    cfg = default_config(point["task"], hidden=tuple(point["hidden"]), **overrides)
    result = run_training(cfg, progress=False)
    m = result.metrics
    hist = result.history
    first = float(hist[0]["energy_joules"]) if hist else float("nan")
    sources: dict[str, float] = {}
    for row in result.ledger.rows():
        if not row["reversible"]:
            sources[str(row["source"])] = sources.get(str(row["source"]), 0.0) + row["joules"]
    return {
        "energy_joules": float(result.ledger.total()),
        "energy_by_source": sources,
        "energy_first_epoch_joules": first,
        "bits_learned": {k: float(v) for k, v in m.get("bits_learned", {}).items()},
        "test_accuracy": m.get("test_accuracy"),
        "n_train": m.get("n_train"),
        "n_classes": m.get("n_classes"),
        "temperature_K": float(result.ledger.temperature),
        "seconds": time.perf_counter() - t0,
    }


def fit_power_law(
    bits: Sequence[float] | NDArray[np.float64],
    energy: Sequence[float] | NDArray[np.float64],
    *,
    groups: Sequence[Any] | None = None,
    n_boot: int = 2000,
    rng: np.random.Generator,
    min_bits: float | None = None,
) -> dict[str, Any]:
    """Fit log10 E = a + b log10 I by least squares, with a bootstrap 95 % CI for b.

    Parameters
    ----------
    bits, energy : sequence of float
        Bits learned I (bits) and energy E (J) of each run.
    groups : sequence, optional
        Group label of each run (e.g. its grid point); the bootstrap resamples whole groups.
        Default: every run is its own group.
    n_boot : int
        Bootstrap resamples (percentile interval; resamples with a single distinct I are
        skipped and counted).
    rng : numpy.random.Generator
    min_bits : float, optional
        Runs with I below this (default :data:`thermolearn.information.MIN_BITS`) or with
        E <= 0 are excluded.

    Returns
    -------
    dict
        ``exponent`` b, ``intercept`` a (log10 J), ``ci95`` [low, high], ``r2``, ``n_runs``,
        ``n_excluded``, ``n_groups``, ``n_boot_valid``, ``proportionality_supported``
        (CI contains 1), or ``exponent`` None with a ``reason`` when fewer than 3 runs (or 2
        distinct I values) remain.
    """
    from thermolearn.information import MIN_BITS

    floor = MIN_BITS if min_bits is None else float(min_bits)
    i = np.asarray(bits, dtype=np.float64)
    e = np.asarray(energy, dtype=np.float64)
    g = np.arange(i.size) if groups is None else np.asarray([str(x) for x in groups])
    if i.shape != e.shape or g.shape != i.shape:
        raise ParameterError("The 'bits', 'energy' and 'groups' arguments of fit_power_law "
                             f"must have equal lengths; got {i.shape}, {e.shape}, {g.shape}.")
    ok = np.isfinite(i) & np.isfinite(e) & (i >= floor) & (e > 0)
    x, y, gg = np.log10(i[ok]), np.log10(e[ok]), g[ok]
    out: dict[str, Any] = {"n_runs": int(ok.sum()), "n_excluded": int((~ok).sum()),
                           "energy_law": "log10 E = a + b log10 I"}
    if x.size < 3 or np.unique(x).size < 2:
        out.update(exponent=None, intercept=None, ci95=None, r2=None,
                   proportionality_supported=None,
                   reason=f"only {x.size} runs with bits >= {floor:g} (need >= 3 with "
                          "2 distinct values)")
        return out
    b, a = np.polyfit(x, y, 1)
    resid = y - (a + b * x)
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum(resid**2)) / ss_tot if ss_tot > 0 else 1.0
    labels = np.unique(gg)
    members = [np.flatnonzero(gg == lab) for lab in labels]
    slopes = []
    for _ in range(int(n_boot)):
        pick = rng.integers(0, labels.size, size=labels.size)
        idx = np.concatenate([members[p] for p in pick])
        if np.unique(x[idx]).size < 2:
            continue
        slopes.append(np.polyfit(x[idx], y[idx], 1)[0])
    if len(slopes) < 10:
        ci = None
        supported = None
    else:
        lo, hi = np.percentile(slopes, [2.5, 97.5])
        ci = [float(lo), float(hi)]
        supported = bool(lo <= 1.0 <= hi)
    out.update(exponent=float(b), intercept=float(a), ci95=ci, r2=r2, n_groups=int(labels.size),
               n_boot_valid=len(slopes), proportionality_supported=supported)
    return out


def run_scaling_study(
    cfg: ScalingConfig,
    out_dir: str | Path,
    *,
    scheduler: str | None = None,
    max_workers: int = 2,
    progress: bool = True,
) -> dict[str, Any]:
    """Run (or resume) the study; write ``scaling.json`` and ``scaling.png`` to ``out_dir``.

    Per-run results are cached in ``out_dir/cache`` (see :func:`thermolearn.sweeps.run_sweep`).

    Returns
    -------
    dict
        The content of ``scaling.json``: ``config``, ``points`` (one per run, with its grid
        parameters and result), ``fits`` {estimator: fit}, the headline ``estimator``,
        ``exponent``, ``ci95``, ``proportionality_supported``, ``wall_seconds``, notes.
    """
    from thermolearn.rundir import RunLock

    with RunLock(out_dir):  # one study per directory at a time (its cache is shared)
        return _run_scaling_study(cfg, Path(out_dir), scheduler, max_workers, progress)


def _run_scaling_study(
    cfg: ScalingConfig, out: Path, scheduler: str | None, max_workers: int, progress: bool
) -> dict[str, Any]:
    from thermolearn.checkpoints import atomic_write_text
    from thermolearn.sweeps import run_sweep

    pts = cfg.points()
    t0 = time.perf_counter()
    results = run_sweep(scaling_point, pts, out / "cache", scheduler=scheduler,
                        max_workers=max_workers, progress=progress, description="scaling")
    wall = time.perf_counter() - t0
    rows = [{**p, **r} for p, r in zip(pts, results, strict=True)]
    fits: dict[str, Any] = {}
    for est, basis in ENERGY_BASIS.items():
        if not any(est in r["bits_learned"] for r in rows):
            continue
        bits = [r["bits_learned"].get(est, math.nan) for r in rows]
        energy = [r[basis] for r in rows]
        groups = [json.dumps({k: v for k, v in r.items() if k in _GRID_KEYS}, sort_keys=True)
                  for r in rows]
        fit = fit_power_law(bits, energy, groups=groups, n_boot=cfg.n_boot,
                            rng=np.random.default_rng(cfg.boot_seed))
        fits[est] = {**fit, "energy_basis": basis}
    head = fits.get(cfg.estimator, {})
    temperature = float(rows[0]["temperature_K"]) if rows else 300.0
    summary: dict[str, Any] = {
        "study": "E vs I scaling of physical equilibrium-propagation training",
        "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(cfg).items()},
        "n_points": len({json.dumps({k: p[k] for k in _GRID_KEYS}, sort_keys=True) for p in pts}),
        "n_runs": len(rows),
        "estimator": cfg.estimator,
        "energy_basis": ENERGY_BASIS[cfg.estimator],
        "exponent": head.get("exponent"),
        "ci95": head.get("ci95"),
        "proportionality_supported": head.get("proportionality_supported"),
        "fits": fits,
        "temperature_K": temperature,
        "wall_seconds": wall,
        "scheduler": scheduler,
        "points": rows,
        "notes": (
            "E: irreversible energy booked in the ledger (J): simulated I·V·t of the circuit plus "
            "modelled converter/amplifier figures (see energy_by_source of each run); I: "
            "estimated bits learned about the labels; kT ln 2 · I is the Landauer bound for "
            "erasing I bits, drawn for scale, not a prediction. Proportionality is "
            "'supported' when the bootstrap 95 % CI of b "
            "(resampling grid points) contains 1. Reported as simulated; not tuned."
        ),
    }
    atomic_write_text(out / "scaling.json", json.dumps(summary, indent=2, allow_nan=True) + "\n")
    plot_scaling(summary, out / "scaling.png")
    return summary


_GRID_KEYS = ("task", "epochs", "hidden", "factor", "n_train", "n_classes", "levels", "device")


def plot_scaling(summary: dict[str, Any], path: str | Path) -> None:
    """Log–log plot of E vs I per run, the fitted line and the kT ln 2 · I line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from thermolearn.information import MIN_BITS
    from thermolearn.physics import landauer_limit

    est = summary["estimator"]
    basis = ENERGY_BASIS[est]
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    markers = {"n_train": "o", "n_classes": "s", "levels": "^"}
    allbits = []
    for factor, mk in markers.items():
        rows = [r for r in summary["points"] if r.get("factor") == factor
                and r["bits_learned"].get(est, 0.0) >= MIN_BITS and r[basis] > 0]
        if rows:
            b = [r["bits_learned"][est] for r in rows]
            allbits += b
            ax.loglog(b, [r[basis] for r in rows], mk, alpha=0.75, label=f"runs: {factor}")
    if allbits:
        grid = np.geomspace(min(allbits), max(allbits), 50)
        fit = summary["fits"].get(est, {})
        if fit.get("exponent") is not None:
            ci = fit.get("ci95") or [math.nan, math.nan]
            ax.loglog(grid, 10 ** (fit["intercept"] + fit["exponent"] * np.log10(grid)), "k-",
                      label=f"fit b = {fit['exponent']:.2f} (95% CI {ci[0]:.2f}–{ci[1]:.2f})")
        ax.loglog(grid, landauer_limit(summary["temperature_K"]) * grid, "r--",
                  label=f"kT ln 2 · I (bound, {summary['temperature_K']:g} K)")
    ax.set_xlabel(f"bits learned I ({est}) [bit]")
    ax.set_ylabel(f"energy E ({basis.replace('_joules', '')}) [J, ledger: simulated + modelled]")
    ax.set_title("Energy of learning vs information learned")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
