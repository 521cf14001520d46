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
        help="run the analyses of a netlist (.op, .dc, .tran, .ac and its .control block)",
        description=(
            "Parse FILE and run its analyses (.op, .dc, .tran, .ac cards and the analysis "
            "commands of a .control block), always with an operating point first. The "
            "ngspice engine runs the file's own text in plain ngspice."
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
        "--ngspice-compat", default=None, metavar="MODE",
        help="ngspice compatibility mode for --engine ngspice (ngbehavior, e.g. ltpsa for "
             "LTspice-format models that use if()/stp())",
    )
    run.add_argument(
        "--max-elements", type=int, default=None, metavar="N",
        help="refuse netlists that flatten to more than N elements (default 2,000,000 or "
             "$THERMOLEARN_MAX_ELEMENTS); counted before anything is built",
    )
    run.set_defaults(func=_run)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _run(args: argparse.Namespace) -> int:
    from thermolearn.circuit.spice.limits import default_limits
    from thermolearn.circuit.spice.parser import read_netlist
    from thermolearn.circuit.spice.simulate import run_netlist_analyses

    limits = default_limits().with_overrides(max_elements=args.max_elements)
    parsed = read_netlist(args.file, limits=limits)
    c = parsed.circuit
    kw: dict[str, Any] = (
        {"method": args.method} if args.engine == "python" else {"compat": args.ngspice_compat}
    )
    run = run_netlist_analyses(parsed, args.engine, ensure_op=True, **kw)
    print(f"{c.title}: {len(c.nodes)} nodes, {len(c)} elements, engine {args.engine}")
    for note in run.notes:
        print(f"note: {note}")
    out: dict[str, Any] = {"file": args.file, "title": c.title, **run.to_json()}
    for res in run.analyses:
        if res.kind == "op" and "op" not in out:
            out["op"] = {
                "voltages": {k: float(v[0]) for k, v in res.voltages.items()},
                "source_currents": {k: float(v[0]) for k, v in res.currents.items()},
            }
            print("operating point:")
            for nd, v in res.voltages.items():
                print(f"  V({nd}) = {float(v[0]):.9g} V")
            for nm, i in res.currents.items():
                print(f"  I({nm}) = {float(i[0]):.9g} A")
        elif res.kind == "tran" and "tran" not in out:
            out["tran"] = {
                "time": res.axis.tolist(),
                "voltages": {k: v.tolist() for k, v in res.voltages.items()},
                "currents": {k: v.tolist() for k, v in res.currents.items()},
            }
            print(f"transient: {res.axis.size} time points to {res.axis[-1]:g} s ({res.origin})")
        elif res.kind != "op":
            print(f"{res.kind}: {res.axis.size} points of {res.axis_name} ({res.origin})")
        for name, value in res.measures:
            print(f"  measure {name} = {value:.6e}")
    if args.json_out:
        from thermolearn.checkpoints import atomic_write_json

        atomic_write_json(args.json_out, out, indent=1)
        print(f"wrote {args.json_out}")
    return 0
