"""``thermolearn reversible --out DIR``: reversible layers on crossbars (flow + reconstruction)."""

from __future__ import annotations

import argparse
from typing import Any

from thermolearn.commands._args import out_dir


def register(subparsers: Any) -> None:
    """Add the ``reversible`` sub-command."""
    p = subparsers.add_parser(
        "reversible",
        help="reversible layers on crossbars: reconstruction study, accounting, two-moons flow",
        description=(
            "Run the reconstruction-vs-non-ideality study, the reversible vs non-invertible "
            "accounting and a normalising flow on two moons trained on crossbars; write "
            "metrics.json, reconstruction.csv, reconstruction.png and flow_samples.png."
        ),
    )
    p.add_argument("--out", type=out_dir, default="runs/reversible",
                   help="output directory (default: runs/reversible)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--quick", action="store_true", help="smaller run (for smoke tests)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from thermolearn.experiments.reversible_study import run_study

    m = run_study(args.out, quick=args.quick, seed=args.seed)
    flow = m["flow"]
    acc = m["accounting"]
    print(
        f"flow test NLL: crossbar {flow['crossbar']['test_nll_nats']:.4f} nats, "
        f"software {flow['software']['test_nll_nats']:.4f} nats "
        f"(gap {flow['nll_gap_nats']:+.4f})"
    )
    ideal = next(r for r in m["reconstruction"] if r["nonideality"] == "ideal")
    print(f"ideal reconstruction max error: {ideal['max_error']:.2e}")
    print(
        "forward energy/sample: "
        f"reversible {acc['reversible']['forward_joules_per_sample']:.3e} J, "
        f"non-invertible {acc['non_invertible_relu']['forward_joules_per_sample']:.3e} J; "
        f"Landauer bounds {acc['reversible']['landauer_bound_joules_per_sample']:.2e} J vs "
        f"{acc['non_invertible_relu']['landauer_bound_joules_per_sample']:.2e} J"
    )
    print(f"wrote {args.out}/metrics.json")
    return 0
