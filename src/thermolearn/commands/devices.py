"""``thermolearn devices``: list the models, run an I-V transient, or the device demo."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from thermolearn.commands._args import out_dir, out_file


def register(subparsers: Any) -> None:
    """Add the ``devices`` command and its ``list``, ``iv`` and ``demo`` sub-commands."""
    p = subparsers.add_parser("devices", help="memristor models and their SPICE twins")
    sub = p.add_subparsers(dest="devices_command", metavar="ACTION")
    pl = sub.add_parser("list", help="list the memristor models and presets")
    pl.set_defaults(func=_list)

    pi = sub.add_parser("iv", help="sine-drive I-V transient of one model")
    pi.add_argument("model", help="catalogue name (see 'thermolearn devices list')")
    pi.add_argument("--amplitude", type=float, default=None, help="V (default: the preset's)")
    pi.add_argument("--frequency", type=float, default=None, help="Hz (default: the preset's)")
    pi.add_argument("--periods", type=float, default=2.0,
                    help="drive periods (default 2); the lobe area is the last period's")
    pi.add_argument("--x0", type=float, default=None, help="initial state (model units)")
    pi.add_argument("--points-per-period", type=int, default=400,
                    help="drive samples per period (even, default 400)")
    pi.add_argument("--engine", choices=("python", "ngspice", "both"), default="both",
                    help="engine(s) to run (default both, compared)")
    pi.add_argument("--out", type=out_dir, default=None,
                    help="directory for iv.json and iv.png (default: runs/devices-iv/MODEL)")
    pi.add_argument("--json", type=out_file, default=None,
                    help="write traces + deviation to this file (the plot goes beside it)")
    pi.add_argument("--plot", type=out_file, default=None,
                    help="write the I-V plot to this PNG (the JSON goes beside it)")
    pi.set_defaults(func=_iv)

    pd = sub.add_parser("demo", help="pinched loops of every model, Python vs ngspice")
    pd.add_argument("--out", type=out_dir, default="runs/devices-demo",
                    help="output directory (default: runs/devices-demo)")
    pd.set_defaults(func=_demo)

    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _list(args: argparse.Namespace) -> int:
    from thermolearn.devices import presets

    print(f"{'name':18s} {'model':16s} {'drive':>22s}  reference")
    for name, e in presets.CATALOGUE.items():
        m = e.factory()
        drive = f"{e.amplitude:g} V @ {e.frequencies[0]:g} Hz"
        print(f"{name:18s} {type(m).__name__:16s} {drive:>22s}  {e.reference}")
    print("also: LinearConductance (presets.ideal), Diode, Resistor, Capacitor")
    return 0


def _iv(args: argparse.Namespace) -> int:
    from thermolearn.circuit.device_iv import simulate_iv
    from thermolearn.devices import presets
    from thermolearn.devices.simulate import compare, lobe_area, sine_drive

    entry = presets.get(args.model)
    model = entry.factory()
    amp = entry.amplitude if args.amplitude is None else args.amplitude
    freq = entry.frequencies[0] if args.frequency is None else args.frequency
    x0 = entry.x0 if args.x0 is None else args.x0
    t, v = sine_drive(amp, freq, args.periods, args.points_per_period)
    engines = ("python", "ngspice") if args.engine == "both" else (args.engine,)
    step = float(t[-1]) / 20000.0
    res = {e: simulate_iv(model, x0, t, v, e, max_step=step) for e in engines}
    out: dict[str, Any] = {
        "model": args.model,
        "class": type(model).__name__,
        "params": repr(model.params),
        "amplitude": amp,
        "frequency": freq,
        "periods": args.periods,
        "x0": x0,
        "engines": {e: r.to_dict() for e, r in res.items()},
        "lobe_area": {e: lobe_area(r) for e, r in res.items()},
        "energy_joules": {e: r.energy() for e, r in res.items()},
    }
    if len(res) == 2:
        out["max_deviation"] = compare(res["python"], res["ngspice"], model)
    for e, r in res.items():
        print(
            f"{e:8s} points={r.time.size} I_peak={abs(r.current).max():.4g} A "
            f"state=[{r.state.min():.4g}, {r.state.max():.4g}] "
            f"lobe(last period)={lobe_area(r):.4f} "
            f"E={r.energy():.4g} J"
        )
    if "max_deviation" in out:
        d = out["max_deviation"]
        print(
            f"max deviation: current {d['current_rel']:.2e} of peak, state {d['state_abs']:.3g} "
            f"({d['state_rel']:.2e} of range), energy {d['energy_rel']:.2e}"
        )
    base = Path(args.out or f"runs/devices-iv/{args.model}")
    json_path = Path(args.json) if args.json else (
        Path(args.plot).with_suffix(".json") if args.plot and not args.out else base / "iv.json")
    plot_path = Path(args.plot) if args.plot else (
        json_path.with_suffix(".png") if args.json and not args.out else base / "iv.png")
    for p in (json_path, plot_path):
        p.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(out))
    from thermolearn.experiments.device_demo import plot_iv

    plot_iv(res, plot_path, f"{args.model}: {amp:g} V, {freq:g} Hz, {args.periods:g} periods")
    print(f"wrote {json_path} and {plot_path}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from thermolearn.experiments.device_demo import run_device_demo

    summary = run_device_demo(Path(args.out))
    for f in summary["files"]:
        print(f"wrote {f}")
    return 0
