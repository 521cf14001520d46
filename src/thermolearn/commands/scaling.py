"""``thermolearn scaling``: the E ∝ I scaling study (local pool or a Dask cluster)."""

from __future__ import annotations

import argparse
from typing import Any

from thermolearn.commands._args import out_dir, scheduler


def register(subparsers: Any) -> None:
    """Add the ``scaling`` sub-command."""
    p = subparsers.add_parser(
        "scaling",
        help="energy of learning vs bits learned: sweep, fit log E = a + b log I",
        description=(
            "Train the physical EP network along the training-set size and, at a fixed sample "
            "count and epoch budget, along class count, label noise, weight precision "
            "(levels) and early stopping (3 seeds each); fit log E = a + b log I per factor "
            "and pooled (total, learning and computing energy vs the information written "
            "into the conductances, and vs the label-side figures) with bootstrap 95 % CIs; "
            "state the energy-per-sample confound; write scaling.json and scaling.png to "
            "--out. Finished runs are cached in --out/cache, so a rerun after a crash "
            "computes only the missing ones."
        ),
    )
    p.add_argument("--out", type=out_dir, default="runs/scaling",
                   help="output directory (default: runs/scaling)")
    p.add_argument("--scheduler", type=scheduler, default=None,
                   help="Dask distributed scheduler address (default: local process pool)")
    p.add_argument("--workers", type=int, default=2, help="local pool size (default 2)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: a few tiny runs that check the study end to end "
                        "(its fits are not results)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from thermolearn.experiments.scaling import ScalingConfig, run_scaling_study

    cfg = ScalingConfig.quick() if args.quick else ScalingConfig()
    s = run_scaling_study(cfg, args.out, scheduler=args.scheduler, max_workers=args.workers,
                          progress=not args.no_progress)
    if s["smoke_run"]:
        print(s["smoke_note"])
    print(f"{s['n_points']} grid points x {len(cfg.seeds)} seeds = {s['n_runs']} runs "
          f"in {s['wall_seconds']:.1f} s; I = {s['estimator']} (bits)")
    for est in (s["estimator"],):
        for kind, per in s["fits"].get(est, {}).items():
            for factor, f in per.items():
                if f.get("exponent") is None:
                    print(f"  E_{kind} vs I [{factor}]: no fit ({f.get('reason')})")
                    continue
                ci = f["ci95"]
                ci_txt = "n/a" if ci is None else f"[{ci[0]:.3f}, {ci[1]:.3f}]"
                print(f"  E_{kind} vs I [{factor}]: b = {f['exponent']:.3f}, 95% CI {ci_txt}, "
                      f"R^2 = {f['r2']:.3f}, {f['n_groups']} grid points, b = 1 supported: "
                      f"{f['proportionality_supported']}")
    print("confound: " + s["confound"]["statement"])
    print(f"written: {args.out}/scaling.json, {args.out}/scaling.png")
    return 0
