"""``thermolearn netlist export crossbar``: write a crossbar array as an ngspice netlist.

The array has random conductances (uniform in [g_min, g_max], seeded), random row inputs in
[−v_read, v_read], line resistance per segment, driver resistance and TIA readout (0 V
sources ``VC<j>`` whose branch currents are the column currents). The netlist is
self-contained (``.op``) and runs with ``thermolearn spice run FILE.cir`` on either engine.

Example::

    thermolearn netlist export crossbar --rows 8 --cols 8 --r-wire 2.5 --seed 1 -o xb.cir
"""

from __future__ import annotations

import argparse
from typing import Any

from thermolearn.commands._args import out_file, plain


def register(subparsers: Any) -> None:
    """Add the ``netlist`` sub-command."""
    p = subparsers.add_parser(
        "netlist",
        help="Export circuits as SPICE netlists.",
        description=plain(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="netlist_command", metavar="ACTION")
    e = sub.add_parser(
        "export",
        help="Export a built-in circuit.",
        description=plain(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    e.add_argument("what", choices=["crossbar"], help="what to export")
    e.add_argument("--rows", type=int, required=True, help="word lines (inputs)")
    e.add_argument("--cols", type=int, required=True, help="bit lines (outputs)")
    e.add_argument("--r-wire", type=float, default=0.0, help="wire resistance per segment (ohm)")
    e.add_argument("--r-driver", type=float, default=0.0, help="driver resistance (ohm)")
    e.add_argument("--cell", default="1R", choices=["1R", "1T1R", "1S1R"],
                   help="cell type (default 1R)")
    e.add_argument("--readout", default="tia", choices=["tia", "sense"],
                   help="column readout: virtual-ground TIA (default) or sense resistor")
    e.add_argument("--g-min", type=float, default=1e-6, help="S")
    e.add_argument("--g-max", type=float, default=1e-4, help="S")
    e.add_argument("--v-read", type=float, default=0.2, help="V")
    e.add_argument("--seed", type=int, default=0,
                   help="seed of the random conductances and inputs (default 0)")
    e.add_argument("-o", "--output", type=out_file, required=True,
                   help="netlist file to write (.cir); its directory must exist")
    e.set_defaults(func=run_export)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def run_export(args: argparse.Namespace) -> int:
    """Build the crossbar and write its netlist."""
    from pathlib import Path

    import numpy as np

    from thermolearn.circuit import export_netlist
    from thermolearn.crossbar.array import CrossbarArray

    rng = np.random.default_rng(args.seed)
    xb = CrossbarArray(
        args.rows,
        args.cols,
        g_min=args.g_min,
        g_max=args.g_max,
        r_wire=args.r_wire,
        r_driver=args.r_driver,
        cell=args.cell,
        readout=args.readout,
        v_read=args.v_read,
        rng=rng,
    )
    xb.program_conductances(
        rng.uniform(args.g_min, args.g_max, (args.rows, args.cols)), verify=False
    )
    v = rng.uniform(-args.v_read, args.v_read, args.rows)
    circuit = xb.to_circuit(
        v,
        title=(
            f"thermolearn crossbar {args.rows}x{args.cols} {args.cell} r_wire={args.r_wire} "
            f"seed={args.seed}"
        ),
    )
    text = export_netlist(circuit, ".op")
    Path(args.output).write_text(text)
    print(f"wrote {args.output}: {len(circuit.elements)} elements, {len(circuit.nodes)} nodes")
    return 0
