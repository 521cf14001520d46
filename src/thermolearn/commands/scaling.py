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
            "Train the physical EP network over training-set sizes, class counts and "
            "conductance levels (3 seeds each), fit log E = a + b log I with a bootstrap 95 % "
            "CI for b, and write scaling.json and scaling.png to --out. Finished runs are "
            "cached in --out/cache, so a rerun after a crash computes only the missing ones."
        ),
    )
    p.add_argument("--out", type=out_dir, default="runs/scaling",
                   help="output directory (default: runs/scaling)")
    p.add_argument("--scheduler", type=scheduler, default=None,
                   help="Dask distributed scheduler address (default: local process pool)")
    p.add_argument("--workers", type=int, default=2, help="local pool size (default 2)")
    p.add_argument("--quick", action="store_true", help="reduced study (a few small runs)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from thermolearn.experiments.scaling import ScalingConfig, run_scaling_study

    cfg = ScalingConfig.quick() if args.quick else ScalingConfig()
    s = run_scaling_study(cfg, args.out, scheduler=args.scheduler, max_workers=args.workers,
                          progress=not args.no_progress)
    fit = s["fits"].get(s["estimator"], {})
    print(f"{s['n_points']} grid points x {len(cfg.seeds)} seeds = {s['n_runs']} runs "
          f"in {s['wall_seconds']:.1f} s")
    for est, f in s["fits"].items():
        if f.get("exponent") is None:
            print(f"  {est}: no fit ({f.get('reason')})")
            continue
        ci = f["ci95"]
        ci_txt = "n/a" if ci is None else f"[{ci[0]:.3f}, {ci[1]:.3f}]"
        print(f"  {est} (E = {f['energy_basis']}): b = {f['exponent']:.3f}, 95% CI {ci_txt}, "
              f"R^2 = {f['r2']:.3f}, runs used {f['n_runs']}, excluded {f['n_excluded']}, "
              f"b = 1 supported: {f['proportionality_supported']}")
    if fit.get("exponent") is None:
        print(f"headline ({s['estimator']}): no fit")
    print(f"written: {args.out}/scaling.json, {args.out}/scaling.png")
    return 0
