"""``thermolearn predictions``: the headline predictions as experiments, with verdicts."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from thermolearn.commands._args import out_dir, scheduler


def register(subparsers: Any) -> None:
    """Add the ``predictions`` sub-command."""
    p = subparsers.add_parser(
        "predictions",
        help="run the thermodynamic-learning predictions; HTML report + predictions.json",
        description=(
            "Run four predictions on the simulated hardware — energy vs bits learned with the "
            "kT ln 2 · I line, speed–energy of weight updates (E·τ), parallel vs serial "
            "erasure in a fixed total time (Langevin), and where the simulated crossbar sits "
            "vs GPU, brain and Landauer — and write report.html (plots embedded), "
            "predictions.json and PNGs to --out. Each verdict is computed from the data."
        ),
    )
    p.add_argument("--out", type=out_dir, default="runs/predictions",
                   help="output directory (default: runs/predictions)")
    p.add_argument("--full", action="store_true",
                   help="larger run (full scaling grid, more samples; tens of minutes)")
    p.add_argument("--tiny", action="store_true",
                   help="smallest run (no training; for smoke tests, ~1 min)")
    p.add_argument("--scaling", choices=("quick", "laptop", "default", "none"), default=None,
                   help="size of the scaling study behind the energy–information prediction "
                        "(default: laptop; with --tiny: none; with --full: default)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the speed–energy, erasure and crossbar experiments (the "
                        "scaling study uses its own seeds; default 0)")
    p.add_argument("--scheduler", type=scheduler, default=None,
                   help="Dask scheduler address for the scaling sweep (default: local pool)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import dataclasses

    from thermolearn.experiments.predictions import PredictionsConfig, run_predictions

    if args.full and args.tiny:
        print("error: --full and --tiny are exclusive", file=sys.stderr)
        return 2
    cfg = (PredictionsConfig.full() if args.full
           else PredictionsConfig.tiny() if args.tiny else PredictionsConfig())
    cfg = dataclasses.replace(cfg, seed=args.seed)
    if args.scaling is not None:
        cfg = dataclasses.replace(cfg, scaling=args.scaling)
    res = run_predictions(cfg, args.out, scheduler=args.scheduler,
                          progress=lambda m: print(m, flush=True))
    print()
    print("VERDICTS")
    for key, sec in res["predictions"].items():
        print(f"- {key}: {sec['verdict']['text']}")
    print(f"written: {args.out}/report.html, {args.out}/predictions.json "
          f"({res['wall_seconds']:.0f} s)")
    return 0
