"""``thermolearn spice run FILE.cir``: run a SPICE netlist on the Python engine or ngspice."""

from __future__ import annotations

import argparse
from typing import Any

from thermolearn.commands._args import in_file, out_file


def register(subparsers: Any) -> None:
    """Add the ``spice`` command."""
    p = subparsers.add_parser(
        "spice",
        help="run SPICE netlists on the Python engine or ngspice",
        description="Run a SPICE netlist (supported subset) on either engine.",
    )
    sub = p.add_subparsers(dest="spice_command", metavar="ACTION")
    run = sub.add_parser(
        "run",
        help="operating point (and transient if the netlist has .tran) of a netlist",
        description=(
            "Parse FILE, compute the DC operating point (every node voltage and every source "
            "current) and, when the netlist has a .tran card, the transient."
        ),
    )
    run.add_argument("file", type=in_file, help="netlist file (.cir)")
    run.add_argument("--engine", choices=("python", "ngspice"), default="python",
                     help="Python MNA engine (default) or ngspice")
    run.add_argument(
        "--method",
        choices=("be", "trap"),
        default="trap",
        help="integration method of the Python engine's transient",
    )
    run.add_argument(
        "--json", dest="json_out", type=out_file, default=None,
        help="write results to this JSON file (its directory must exist)"
    )
    run.add_argument(
        "--max-elements", type=int, default=None, metavar="N",
        help="refuse netlists that flatten to more than N elements (default 2,000,000 or "
             "$THERMOLEARN_MAX_ELEMENTS); counted before anything is built",
    )
    run.set_defaults(func=_run)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


_SOURCE_KINDS = "VIEFGHB"


def _run(args: argparse.Namespace) -> int:
    from thermolearn.circuit import operating_point, transient
    from thermolearn.circuit.spice.limits import default_limits
    from thermolearn.circuit.spice.parser import read_netlist

    limits = default_limits().with_overrides(max_elements=args.max_elements)
    parsed = read_netlist(args.file, limits=limits)
    c = parsed.circuit
    op = operating_point(c, engine=args.engine)
    sources = {e.name: op.currents[e.name] for e in c.elements if e.kind in _SOURCE_KINDS}
    out: dict[str, Any] = {
        "file": args.file,
        "title": c.title,
        "engine": args.engine,
        "op": {
            "voltages": op.voltages,
            "source_currents": sources,
            "element_currents": op.currents,
            "kcl_residual_amperes": op.residual,
        },
    }
    print(f"{c.title}: {len(c.nodes)} nodes, {len(c)} elements, engine {args.engine}")
    print("operating point:")
    for nd, v in op.voltages.items():
        print(f"  V({nd}) = {v:.9g} V")
    for nm, i in sources.items():
        print(f"  I({nm}) = {i:.9g} A")
    tran = parsed.tran
    if tran is not None:
        tstep, tstop, uic = tran
        kw: dict[str, Any] = {"uic": True} if uic else {}
        if args.engine == "python":
            kw["method"] = args.method
        tr = transient(c, tstop, tstep, engine=args.engine, **kw)
        out["tran"] = {
            "tstep": tstep,
            "tstop": tstop,
            "time": tr.time.tolist(),
            "voltages": {k: v.tolist() for k, v in tr.voltages.items()},
            "currents": {k: v.tolist() for k, v in tr.currents.items()},
            "states": {k: v.tolist() for k, v in tr.states.items()},
        }
        print(f"transient: {tr.time.size} time points to {tstop:g} s")
    if args.json_out:
        from thermolearn.checkpoints import atomic_write_json

        atomic_write_json(args.json_out, out, indent=1)
        print(f"wrote {args.json_out}")
    return 0
