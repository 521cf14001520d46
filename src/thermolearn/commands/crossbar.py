"""``thermolearn crossbar design``: sweep crossbar size and wire resistance.

Reports, for every (size, r_wire, cell), the IR-drop error of a VMM, the worst-case
sneak-path error of a single-cell read with floating lines, the energy per MAC (cells,
wires, drivers, converters) and the read latency (Elmore RC); writes ``design.json``,
``error_vs_size.png`` and ``cell_voltage_heatmap.png`` to DIR.

Example::

    thermolearn crossbar design --rows 16 32 64 --r-wire 0 1 2.5 --cell 1R 1T1R --out out/xb
"""

from __future__ import annotations

import argparse
from typing import Any

from thermolearn.commands._args import out_dir, plain


def register(subparsers: Any) -> None:
    """Add the ``crossbar`` sub-command."""
    p = subparsers.add_parser(
        "crossbar",
        help="Crossbar array tools (design sweeps).",
        description=plain(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="crossbar_command", metavar="ACTION")
    d = sub.add_parser(
        "design",
        help="Sweep size and wire resistance: IR drop, sneak paths, energy/MAC, latency.",
        description=plain(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    d.add_argument("--rows", type=int, nargs="+", default=[16, 32, 64], help="row counts")
    d.add_argument(
        "--cols",
        type=int,
        nargs="+",
        default=None,
        help="column counts (default: square arrays; same length as --rows pairs "
        "them, otherwise every combination)",
    )
    d.add_argument(
        "--r-wire",
        type=float,
        nargs="+",
        default=[0.0, 1.0, 2.5],
        help="wire resistance per segment (ohm)",
    )
    d.add_argument(
        "--device",
        default="ideal",
        help="'ideal' (linear conductance 1-100 µS) or a memristor model name",
    )
    d.add_argument("--cell", nargs="+", default=["1R"], choices=["1R", "1T1R", "1S1R"],
                   help="cell types to sweep: 1R, 1T1R (access transistor), 1S1R (selector)")
    d.add_argument("--r-driver", type=float, default=0.0, help="driver resistance (ohm)")
    d.add_argument("--c-wire", type=float, default=1e-16, help="wire capacitance per segment (F)")
    d.add_argument("--v-read", type=float, default=0.2, help="read voltage (V)")
    d.add_argument("--vectors", type=int, default=8, help="random input vectors per design")
    d.add_argument("--seed", type=int, default=0,
                   help="seed of the conductances and input vectors (default 0)")
    d.add_argument("--out", type=out_dir, default="runs/crossbar-design",
                   help="output directory (default: runs/crossbar-design)")
    d.set_defaults(func=run_design)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def run_design(args: argparse.Namespace) -> int:
    """Run the design sweep and write its outputs."""
    import itertools

    from thermolearn.errors import ParameterError
    from thermolearn.experiments.design_study import run_design_sweep

    cols = args.cols if args.cols is not None else args.rows
    if args.cols is None or len(cols) == len(args.rows):
        sizes = list(zip(args.rows, cols, strict=True))
    else:
        sizes = list(itertools.product(args.rows, cols))
    if any(r < 1 or c < 1 for r, c in sizes):
        raise ParameterError(f"crossbar design: sizes must be >= 1; got {sizes}.")
    res = run_design_sweep(
        sizes,
        args.r_wire,
        cells=args.cell,
        device=args.device,
        seed=args.seed,
        vectors=args.vectors,
        r_driver=args.r_driver,
        c_wire=args.c_wire,
        v_read=args.v_read,
        out_dir=args.out,
        progress=True,
    )
    print(
        f"wrote {args.out}/design.json ({len(res['points'])} designs), error_vs_size.png, "
        "cell_voltage_heatmap.png"
    )
    return 0
