"""The E ∝ I scaling study: does the energy of learning grow with the information learned.

The study trains the physical equilibrium-propagation network
(:func:`thermolearn.experiments.ep_train.run_training`) along several *factors*, each over
several seeds:

* ``n_train`` — the training-set size (the classic axis; energy per processed sample is
  nearly constant, so along it E ∝ n whatever is learned: the **confound** that the study
  states in ``scaling.json`` with the measured spread of energy per sample);
* factors at a **fixed sample count and epoch budget**, which change the information learned
  without changing the work per sample: ``n_classes`` (task entropy log2 K), ``label_noise``
  (conditional label entropy), ``levels`` (weight precision of the realistic device) and
  ``early_stop`` (training stopped after fewer of the epochs).

The information is the default estimator of every run (``weight_information``: an upper
bound on the information written into the conductances, see
:mod:`thermolearn.experiments.ep_information`); the label-side figures are fitted too. Per
factor, and pooled, the study fits by least squares

    log10 E = a + b · log10 I

with a bootstrap 95 % CI for b obtained by resampling grid points (each point's seeds stay
together), for three pairings: the total energy vs I, the *learning* energy (writing the
weights: programming pulses and reads; :func:`thermolearn.energy.energy_by_role`) vs I, and
the computing energy vs I; and it reports E / (kT ln 2 · I) per run. Proportionality
(b = 1) is "supported" when the interval contains 1. A fit on fewer than 3 grid points is
not made. The result is whatever the simulation gives; nothing is tuned to it.

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
from thermolearn.physics import T_ROOM
from thermolearn.validation import check_choice, check_int

__all__ = [
    "ENERGY_KINDS",
    "ESTIMATORS",
    "FACTORS",
    "FIXED_N_FACTORS",
    "analyse",
    "STUDY_VERSION",
    "ScalingConfig",
    "fit_power_law",
    "plot_scaling",
    "run_scaling_study",
    "scaling_point",
]

#: Bumped when the meaning of a point's result changes, so stale caches are not reused.
STUDY_VERSION = 5
#: The factors of the study; all but ``n_train`` hold the sample count and epochs fixed.
FACTORS = ("n_train", "n_classes", "label_noise", "levels", "early_stop")
FIXED_N_FACTORS = FACTORS[1:]
#: Energies fitted against the information (keys of a point's result).
ENERGY_KINDS = {"total": "energy_joules", "learning": "learning_joules",
                "computing": "computing_joules"}
#: Information estimators fitted (keys of ``bits_learned`` of a run); the first is the default.
ESTIMATORS = ("weight_information", "label_cross_entropy_gain", "label_prequential")


@dataclass(frozen=True, slots=True, kw_only=True)
class ScalingConfig:
    """Grid of the scaling study.

    Attributes
    ----------
    task : str
        Dataset (default ``"digits"``).
    epochs : int
        Epoch budget per run.
    hidden : tuple of int
        Hidden layer sizes.
    seeds : tuple of int
        Seeds repeated at every grid point.
    n_train_values : tuple of int
        Training-set sizes (all classes, ideal devices).
    fixed_n_train : int
        Training-set size of every fixed-sample-count factor.
    n_classes_values : tuple of int
        Numbers of classes (first K classes, ``fixed_n_train`` examples).
    label_noise_values : tuple of float
        Probabilities of replacing a training label by a random class.
    levels_values : tuple of int
        Conductance levels of the realistic device.
    early_stop_values : tuple of int
        Epochs actually trained (<= ``epochs``) for the early-stopping factor.
    estimator : str
        Headline estimator (one of :data:`ESTIMATORS`).
    n_boot : int
        Bootstrap resamples for the CI of b.
    boot_seed : int
        Seed of the bootstrap generator.
    smoke : bool
        True for a smoke run (``--quick``): the output says that its fits are not results.
    device : str
        Synapse device of every factor but ``levels`` (which uses the ``"softbounds"``
        device, the one with a levels parameter); default the EP default, ``"memristor"``.
    extra : dict
        Fields added to every point (e.g. ``{"n_classes": 2}``) where a factor leaves them free.
    """

    task: str = "digits"
    epochs: int = 3
    hidden: tuple[int, ...] = (32,)
    seeds: tuple[int, ...] = (0, 1, 2)
    n_train_values: tuple[int, ...] = (100, 200, 400, 800)
    fixed_n_train: int = 200
    n_classes_values: tuple[int, ...] = (2, 4, 6, 8, 10)
    label_noise_values: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
    levels_values: tuple[int, ...] = (4, 8, 16, 64)
    early_stop_values: tuple[int, ...] = (1, 2, 3)
    estimator: str = "weight_information"
    n_boot: int = 2000
    boot_seed: int = 0
    smoke: bool = False
    device: str = "memristor"
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        owner = "ScalingConfig"
        check_int(self.epochs, "epochs", owner, minimum=1)
        check_int(self.n_boot, "n_boot", owner, minimum=10)
        check_int(self.boot_seed, "boot_seed", owner, minimum=0)
        check_int(self.fixed_n_train, "fixed_n_train", owner, minimum=1)
        check_choice(self.estimator, "estimator", owner, ESTIMATORS)
        if not self.seeds:
            raise ParameterError(f"The 'seeds' parameter of {owner} needs >= 1 seed; got ().")
        for name in ("seeds", "hidden", "n_train_values", "n_classes_values", "levels_values",
                     "early_stop_values"):
            vals = tuple(getattr(self, name))
            for v in vals:
                check_int(v, name, owner, minimum=0 if name == "seeds" else 1)
            object.__setattr__(self, name, tuple(int(v) for v in vals))
        for e in self.early_stop_values:
            if e > self.epochs:
                raise ParameterError(f"The 'early_stop_values' of {owner} must be <= epochs="
                                     f"{self.epochs}; got {e}.")
        noise = tuple(float(v) for v in self.label_noise_values)
        for v in noise:
            if not 0.0 <= v <= 1.0:
                raise ParameterError(f"The 'label_noise_values' of {owner} must lie in [0, 1]; "
                                     f"got {v!r}.")
        object.__setattr__(self, "label_noise_values", noise)

    @classmethod
    def quick(cls) -> ScalingConfig:
        """Return a smoke run (tests, ``--quick``): 2 seeds, 3 points per factor, tiny net.

        Its fits are computed like the full study's but on a grid too small to be results;
        ``scaling.json`` says so (``smoke_run``).
        """
        return cls(epochs=2, hidden=(16,), seeds=(0, 1), n_train_values=(60, 120, 240),
                   fixed_n_train=120, n_classes_values=(), label_noise_values=(0.0, 0.5, 1.0),
                   levels_values=(), early_stop_values=(1, 2), n_boot=200, smoke=True,
                   extra={"n_classes": 3})

    def points(self) -> list[dict[str, Any]]:
        """Return the grid points × seeds as JSON-ready parameter dicts (cache keys)."""
        base = {"study_version": STUDY_VERSION, "task": self.task, "epochs": self.epochs,
                "hidden": list(self.hidden)}
        blank = {"n_train": None, "n_classes": None, "levels": None, "device": self.device,
                 "label_noise": 0.0, "stop_after": None}
        fixed = self.fixed_n_train
        grid: list[dict[str, Any]] = []
        grid += [{**blank, "factor": "n_train", "n_train": n} for n in self.n_train_values]
        grid += [{**blank, "factor": "n_classes", "n_train": fixed, "n_classes": k}
                 for k in self.n_classes_values]
        grid += [{**blank, "factor": "label_noise", "n_train": fixed, "label_noise": q}
                 for q in self.label_noise_values]
        grid += [{**blank, "factor": "levels", "n_train": fixed, "levels": lv,
                  "device": "softbounds"} for lv in self.levels_values]
        grid += [{**blank, "factor": "early_stop", "n_train": fixed, "stop_after": e}
                 for e in self.early_stop_values]
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
        Keys ``task, epochs, hidden, n_train, n_classes, levels, device, label_noise,
        stop_after, seed`` (see :meth:`ScalingConfig.points`).

    Returns
    -------
    dict
        ``energy_joules`` (ledger total, J), ``learning_joules``, ``computing_joules``,
        ``unclassified_joules`` (J, :func:`thermolearn.energy.energy_by_role`),
        ``energy_by_source``, ``energy_first_epoch_joules``, ``bits_learned`` {estimator:
        bits}, ``bits_erased`` (H(old | new) per run), ``samples_processed``,
        ``epochs_trained``, ``test_accuracy``, ``n_train``, ``n_classes``,
        ``temperature_K``, ``seconds``.
    """
    from thermolearn.experiments.ep_train import default_config, run_training

    t0 = time.perf_counter()
    overrides = {k: point[k] for k in ("epochs", "n_train", "n_classes", "levels", "device", "seed")
                 if point.get(k) is not None}
    if point.get("label_noise"):
        overrides["label_noise"] = float(point["label_noise"])
    cfg = default_config(point["task"], hidden=tuple(point["hidden"]), **overrides)
    result = run_training(cfg, progress=False, stop_after=point.get("stop_after"))
    m = result.metrics
    hist = result.history
    first = float(hist[0]["energy_joules"]) if hist else float("nan")
    sources: dict[str, float] = {}
    for row in result.ledger.rows():
        if not row["reversible"]:
            sources[str(row["source"])] = sources.get(str(row["source"]), 0.0) + row["joules"]
    roles = m["energy_by_role"]
    return {
        "energy_joules": float(result.ledger.total()),
        "learning_joules": float(roles["learning_joules"]),
        "computing_joules": float(roles["computing_joules"]),
        "unclassified_joules": float(roles["unclassified_joules"]),
        "energy_by_source": sources,
        "energy_first_epoch_joules": first,
        "bits_learned": {k: float(v) for k, v in m.get("bits_learned", {}).items()},
        "bits_erased": float(m["bits_erased"]["per_run"]),
        "samples_processed": int(m["counters"].get("samples", 0)),
        "epochs_trained": int(m["epochs"]),
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
                   reason=f"{x.size} runs with bits >= {floor:g} and "
                          f"{np.unique(x).size} distinct value(s) of I (need >= 3 runs and "
                          ">= 2 distinct values)")
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


def _groups(rows: Sequence[dict[str, Any]]) -> list[str]:
    return [json.dumps({k: r.get(k) for k in _GRID_KEYS}, sort_keys=True) for r in rows]


def _fit_rows(rows: list[dict[str, Any]], estimator: str, energy_key: str, n_boot: int,
              boot_seed: int) -> dict[str, Any]:
    bits = [r["bits_learned"].get(estimator, math.nan) for r in rows]
    energy = [r[energy_key] for r in rows]
    fit = fit_power_law(bits, energy, groups=_groups(rows), n_boot=n_boot,
                        rng=np.random.default_rng(boot_seed))
    if fit.get("exponent") is not None and fit.get("n_groups", 0) < 3:
        fit.update(exponent=None, intercept=None, ci95=None, r2=None,
                   proportionality_supported=None,
                   reason=f"only {fit['n_groups']} grid points with bits (need >= 3)")
    return fit


def _spread(values: Sequence[float]) -> dict[str, float | None]:
    v = np.asarray([x for x in values if x is not None and math.isfinite(x)], float)
    if v.size == 0:
        return {"min": None, "median": None, "max": None, "cv": None}
    cv = float(v.std() / v.mean()) if v.size > 1 and v.mean() != 0 else 0.0
    return {"min": float(v.min()), "median": float(np.median(v)), "max": float(v.max()),
            "cv": cv}


def analyse(rows: list[dict[str, Any]], cfg: ScalingConfig) -> dict[str, Any]:
    """Per-factor and pooled fits, the energy-per-sample confound and ratios to kT ln 2 · I.

    Parameters
    ----------
    rows : list of dict
        One per run: grid parameters and :func:`scaling_point` result.
    cfg : ScalingConfig

    Returns
    -------
    dict
        ``fits`` {estimator: {energy kind: {"pooled": fit, factor: fit}}}, ``confound``,
        ``ratio_to_landauer`` {factor: spread of E / (kT ln 2 · I)}, ``factors`` {factor:
        per-point means (bits, energies)}.
    """
    from thermolearn.physics import landauer_limit

    factors = [f for f in FACTORS if any(r["factor"] == f for r in rows)]
    fits: dict[str, Any] = {}
    for est in ESTIMATORS:
        if not any(est in r["bits_learned"] for r in rows):
            continue
        fits[est] = {}
        for kind, key in ENERGY_KINDS.items():
            per = {"pooled": _fit_rows(rows, est, key, cfg.n_boot, cfg.boot_seed)}
            for f in factors:
                per[f] = _fit_rows([r for r in rows if r["factor"] == f], est, key,
                                   cfg.n_boot, cfg.boot_seed)
            fits[est][kind] = per
    # the confound: energy per processed sample
    eps = [r["energy_joules"] / r["samples_processed"] for r in rows if r["samples_processed"]]
    samples = [r["samples_processed"] for r in rows]
    energy = [r["energy_joules"] for r in rows]
    fit_n = fit_power_law(samples, energy, groups=_groups(rows), n_boot=cfg.n_boot,
                          rng=np.random.default_rng(cfg.boot_seed), min_bits=1.0)
    sp = _spread(eps)
    slope_n = fit_n.get("exponent")
    constant = sp["cv"] is not None and sp["cv"] < 0.1
    confound = {
        "energy_per_sample_joules": sp,
        "energy_vs_samples_processed": fit_n,
        "energy_per_sample_constant": constant,
        "statement": (
            ("Energy per processed sample is nearly constant" if constant else
             "Energy per processed sample is NOT constant here") + " (median "
            f"{sp['median']:.3g} J, coefficient of variation {sp['cv']:.2%} across runs); "
            "the total energy grows with the number of samples processed as a power "
            f"{slope_n if slope_n is not None else math.nan:.3f}"
            + (" (proportional: energy per sample constant => E ∝ n)" if constant else "")
            + ". Along the n_train factor E grows with n whatever is learned, and an E-vs-I "
            "exponent there is a property of the learning curve I(n), not of the cost of "
            "information. "
            "The fixed-sample-count factors (" + ", ".join(f for f in factors if f != "n_train")
            + ") vary I at (nearly) constant work and are the test of E vs I; early_stop "
            "changes the epochs actually trained and so the samples processed."
        ) if sp["median"] is not None else "no runs",
    }
    kt = landauer_limit(float(rows[0]["temperature_K"])) if rows else math.nan
    est = cfg.estimator
    ratio: dict[str, Any] = {}
    for f in ["pooled", *factors]:
        sel = rows if f == "pooled" else [r for r in rows if r["factor"] == f]
        ratio[f] = {kind: _spread([r[key] / (kt * r["bits_learned"][est]) for r in sel
                                   if r["bits_learned"].get(est, 0.0) > 0])
                    for kind, key in ENERGY_KINDS.items()}
    means: dict[str, Any] = {}
    for f in factors:
        pts: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            if r["factor"] == f:
                pts.setdefault(json.dumps(_factor_value(r)), []).append(r)
        means[f] = [{"value": json.loads(k),
                     "bits": float(np.mean([r["bits_learned"].get(est, math.nan) for r in v])),
                     "bits_sd": float(np.std([r["bits_learned"].get(est, math.nan) for r in v])),
                     **{f"{kind}_joules": float(np.mean([r[key] for r in v]))
                        for kind, key in ENERGY_KINDS.items()},
                     "bits_erased": float(np.mean([r["bits_erased"] for r in v])),
                     "test_accuracy": float(np.mean([r["test_accuracy"] for r in v])),
                     "n_runs": len(v)} for k, v in pts.items()]
    return {"fits": fits, "confound": confound, "ratio_to_landauer": ratio, "factors": means}


def _factor_value(r: dict[str, Any]) -> Any:
    return {"n_train": r.get("n_train"), "n_classes": r.get("n_classes"),
            "label_noise": r.get("label_noise"), "levels": r.get("levels"),
            "early_stop": r.get("stop_after")}[r["factor"]]


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
        The content of ``scaling.json``: ``config``, ``smoke_run``, ``points`` (one per run),
        ``fits`` {estimator: {energy kind: {"pooled" | factor: fit}}}, the headline
        ``estimator``, ``exponent``, ``ci95`` and ``proportionality_supported`` (total energy
        vs the headline estimator, pooled), ``confound``, ``ratio_to_landauer``,
        ``factors``, ``wall_seconds``, ``notes``.
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
    ana = analyse(rows, cfg)
    head = ana["fits"].get(cfg.estimator, {}).get("total", {}).get("pooled", {})
    temperature = float(rows[0]["temperature_K"]) if rows else T_ROOM
    smoke = ("SMOKE RUN (--quick): a grid too small for its fits to be results; it checks "
             "that the study runs end to end. Run without --quick for the study.")
    summary: dict[str, Any] = {
        "study": "E vs I scaling of physical equilibrium-propagation training",
        "smoke_run": cfg.smoke,
        "smoke_note": smoke if cfg.smoke else None,
        "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(cfg).items()},
        "n_points": len(set(_groups(pts))),
        "n_runs": len(rows),
        "estimator": cfg.estimator,
        "energy_basis": "energy_joules",
        "exponent": head.get("exponent"),
        "ci95": head.get("ci95"),
        "proportionality_supported": head.get("proportionality_supported"),
        **ana,
        "temperature_K": temperature,
        "wall_seconds": wall,
        "scheduler": scheduler,
        "points": rows,
        "notes": (
            "E: irreversible energy booked in the ledger (J): simulated I·V·t of the circuit plus "
            "modelled converter/amplifier/programming figures (energy_by_source of each run); "
            "learning energy = writing the weights (programming pulses and programming reads), "
            "computing energy = circuit phases, converters and amplifiers. I: the default "
            "estimator 'weight_information', an upper bound on the information written into "
            "the conductances (I(D; theta)); label_* estimators are predictive information "
            "about labels. kT ln 2 · I is the Landauer bound for I bits, drawn for scale. "
            "Proportionality is 'supported' when the bootstrap 95 % CI of b (resampling grid "
            "points) contains 1. Reported as simulated; not tuned."
            + (" " + smoke if cfg.smoke else "")
        ),
    }
    atomic_write_text(out / "scaling.json", json.dumps(summary, indent=2, allow_nan=True) + "\n")
    plot_scaling(summary, out / "scaling.png")
    return summary


_GRID_KEYS = ("task", "epochs", "hidden", "factor", "n_train", "n_classes", "levels", "device",
              "label_noise", "stop_after")


def plot_scaling(summary: dict[str, Any], path: str | Path) -> None:
    """Log–log plots of total and learning energy vs I per run, fits and the kT ln 2 · I line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from thermolearn.information import MIN_BITS
    from thermolearn.physics import landauer_limit

    est = summary["estimator"]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    markers = {"n_train": "o", "n_classes": "s", "label_noise": "v", "levels": "^",
               "early_stop": "D"}
    for ax, kind in zip(axes, ("total", "learning"), strict=True):
        key = ENERGY_KINDS[kind]
        allbits: list[float] = []
        for factor, mk in markers.items():
            rows = [r for r in summary["points"] if r.get("factor") == factor
                    and r["bits_learned"].get(est, 0.0) >= MIN_BITS and r[key] > 0]
            if rows:
                b = [r["bits_learned"][est] for r in rows]
                allbits += b
                fit = summary["fits"].get(est, {}).get(kind, {}).get(factor, {})
                lab = factor if fit.get("exponent") is None else \
                    f"{factor}: b = {fit['exponent']:.2f}"
                ax.loglog(b, [r[key] for r in rows], mk, alpha=0.75, label=lab)
        if allbits:
            grid = np.geomspace(min(allbits), max(allbits), 50)
            # end markers keep the bound visible when every run learned the same I
            ax.loglog(grid, landauer_limit(summary["temperature_K"]) * grid, "r--",
                      marker="_", ms=16, markevery=[0, grid.size - 1],
                      label=f"kT ln 2 · I (bound, {summary['temperature_K']:g} K)")
        ax.set_xlabel(f"information I ({est}) [bit]")
        ax.set_ylabel(f"{kind} energy [J, ledger]")
        ax.set_title(f"{kind} energy vs information" + (" (SMOKE RUN)" if summary.get(
            "smoke_run") else ""))
        ax.legend(fontsize=7)
    fig.suptitle(f"E ∝ I scaling study, run '{Path(path).absolute().parent.name}': "
                 f"{summary.get('n_runs', '?')} runs", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
