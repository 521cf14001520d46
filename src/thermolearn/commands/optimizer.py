"""``thermolearn optimizer --out DIR``: the Landauer optimizer's speed–energy trade-off.

Programs weights through a simulated RC programming line (Python circuit engine, trapezoidal
transient) at several adiabatic factors and writes ``speed_energy.json`` and a plot: energy per
pulse vs pulse time for adiabatic release and for dumping the line to ground, and the
multiple of the Landauer bound of a short least-squares training run. Every energy is a
simulated ∫i²R dt; the Landauer figure is a bound on the bits the updates erased.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``optimizer`` sub-command."""
    p = subparsers.add_parser(
        "optimizer",
        help="speed-energy trade-off of the Landauer optimizer on a simulated programming line",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument(
        "--factors",
        type=float,
        nargs="+",
        default=[0.0, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0],
        help="adiabatic factors: ramp time in units of the line's RC (0 = step)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--updates", type=int, default=30, help="training updates per factor")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from thermolearn.algorithms.landauer_optimizer import speed_energy_study
    from thermolearn.errors import ParameterError

    if any(f < 0 for f in args.factors):
        raise ParameterError(f"--factors must be >= 0; got {args.factors}.")
    if args.updates < 1:
        raise ParameterError(f"--updates must be >= 1; got {args.updates}.")
    out = Path(args.out)
    result = speed_energy_study(
        out, factors=tuple(args.factors), seed=args.seed, n_updates=args.updates
    )
    print(json.dumps(_headline(result), indent=2, default=str))
    print(f"wrote {out}")
    return 0


def _headline(result: dict[str, Any]) -> dict[str, Any]:
    """Energy per pulse vs pulse time per release mode (the trade-off curve, in short)."""
    return {
        mode: [
            {
                "factor": p["adiabatic_factor"],
                "pulse_time_s": p["pulse_time_s"],
                "energy_J": p["energy_J"],
            }
            for p in points
        ]
        for mode, points in result["curves"].items()
    }
