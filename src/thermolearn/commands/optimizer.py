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

from thermolearn.commands._args import out_dir, out_file


def register(subparsers: Any) -> None:
    """Add the ``optimizer`` sub-command."""
    p = subparsers.add_parser(
        "optimizer",
        help="speed-energy trade-off of the Landauer optimizer on a simulated programming line",
        description=(
            "Program weights through a simulated RC programming line (Python circuit engine, "
            "trapezoidal transient) at several adiabatic factors and write speed_energy.json "
            "and speed_energy.png: energy per pulse vs pulse time for adiabatic release and "
            "for dumping the line to ground, and the multiple of the Landauer bound of a short "
            "least-squares training run. Every energy is a simulated integral of i^2 R dt; the "
            "Landauer figure is a bound on the bits the updates erased."
        ),
    )
    p.add_argument("--out", type=out_dir, default="runs/optimizer",
                   help="output directory (default: runs/optimizer)")
    p.add_argument(
        "--factors",
        type=float,
        nargs="+",
        default=[0.0, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0],
        help="adiabatic factors: ramp time in units of the line's RC (0 = step)",
    )
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the least-squares problem (default 0)")
    p.add_argument("--updates", type=int, default=30, help="training updates per factor")
    p.add_argument("--json", dest="json_out", type=out_file, default=None,
                   help="also write the headline (energy per pulse vs pulse time) to this file")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from thermolearn.errors import ParameterError
    from thermolearn.experiments.optimizer_study import speed_energy_study

    if any(f < 0 for f in args.factors):
        raise ParameterError(f"--factors must be >= 0; got {args.factors}.")
    if args.updates < 1:
        raise ParameterError(f"--updates must be >= 1; got {args.updates}.")
    out = Path(args.out)
    print(f"simulating {len(args.factors)} ramp times x 2 release modes, then "
          f"{2 * len(args.factors)} training runs of {args.updates} updates ...", flush=True)
    result = speed_energy_study(
        out, factors=tuple(args.factors), seed=args.seed, n_updates=args.updates,
        progress=lambda m: print("  " + m, flush=True),
    )
    print(summary(result))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(_headline(result), indent=2, default=str))
        print(f"wrote {args.json_out}")
    print(f"wrote {out / 'speed_energy.json'} and {out / 'speed_energy.png'}")
    return 0


def summary(result: dict[str, Any]) -> str:
    """Human-readable table: per release mode, energy per pulse and pulse time per factor."""
    lines = []
    train = {(r["use_reversible"], r["adiabatic_factor"]): r for r in result["training"]}
    for mode, points in result["curves"].items():
        rev = "use_reversible=True" in mode
        lines.append(f"{mode} (simulated line transients):")
        lines.append(f"  {'ramp/RC':>8s} {'pulse time':>12s} {'energy/pulse':>14s} "
                     f"{'E x t':>12s} {'x Landauer (training)':>22s}")
        for p in points:
            rep = train.get((rev, p["adiabatic_factor"]))
            mult = rep.get("multiple_of_landauer") if rep else None
            mult_txt = "no bits erased" if mult is None else f"{mult:.3g}"
            lines.append(f"  {p['adiabatic_factor']:8g} {p['pulse_time_s']:10.3e} s "
                         f"{p['energy_J']:12.3e} J {p['energy_x_time_Js']:10.3e} Js "
                         f"{mult_txt:>22s}")
    return "\n".join(lines)


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
