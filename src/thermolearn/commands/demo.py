"""``thermolearn demo``: the main job behind ``make demo`` (a few minutes on 2 cores).

Trains the physical equilibrium-propagation circuit on the 8×8 digits at its admissible
operating point (VTEAM memristor synapses, every drop below their disturb-free voltage,
thermal/shot noise and 12-bit ADCs in the loop): with ideal (oracle) writes of the devices,
with programming pulses through the device model with unknown device-to-device spread, and
the backprop MLP of the same architecture; the ridge / logistic-regression / 1-NN baselines
of the same split are in each EP run's metrics. Writes each run's directory and a
``summary.json`` beside them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from thermolearn.commands._args import out_dir

#: Device-to-device spread of conductance and switching rate, cycle-to-cycle noise, read noise
#: and stuck cells of the demo's device run, unknown to the programming controller (the
#: order of the aihwkit ReRAM fits of Gong et al., Nat. Commun. 9, 2102 (2018): d2d 0.3 of
#: step and bounds; our c2c is relative to each pulse's change).
DEMO_VARIABILITY = {
    "d2d_sigma": 0.3,
    "d2d_rate_sigma": 0.3,
    "c2c_sigma": 0.3,
    "read_noise": True,
    "stuck_low_fraction": 0.01,
    "stuck_high_fraction": 0.01,
}


def register(subparsers: Any) -> None:
    """Add the ``demo`` sub-command."""
    p = subparsers.add_parser(
        "demo",
        help="main job: physical EP on digits (ideal writes + memristor pulses) vs backprop",
        description="Train the physical EP circuit on digits and report accuracy and joules.",
    )
    p.add_argument("--out", type=out_dir, default="runs/demo",
                   help="output directory (default: runs/demo)")
    p.add_argument(
        "--epochs", type=int, default=None, help="epochs per run (default: task default)"
    )
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the initial conductances, data split and noise (default 0)")
    p.add_argument(
        "--resume", action="store_true",
        help="continue each run from its checkpoint in --out (runs without one start afresh)",
    )
    p.add_argument(
        "--force", action="store_true", help="delete the runs already in --out and start afresh"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from thermolearn.checkpoints import atomic_write_text, checkpoint_files
    from thermolearn.experiments.ep_train import default_config, run_training

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    extra: dict[str, Any] = {"seed": args.seed}
    if args.epochs is not None:
        extra["epochs"] = args.epochs
    runs = {
        "ep_ideal": default_config("digits", device="ideal", **extra),
        "ep_memristor": default_config(
            "digits", device="memristor", variability=DEMO_VARIABILITY, **extra
        ),
        "backprop": default_config("digits", algorithm="backprop", **extra),
    }
    summary: dict[str, Any] = {}
    for name, cfg in runs.items():
        print(f"== {name}", flush=True)
        resume = args.resume and any(p.exists() for p in checkpoint_files(out / name))
        res = run_training(
            cfg, out / name, progress=not args.no_progress, resume=resume, force=args.force
        )
        m = res.metrics
        summary[name] = {
            k: m.get(k)
            for k in (
                "test_accuracy",
                "train_accuracy",
                "energy_joules",
                "energy_breakdown",
                "bits_learned",
                "joules_per_bit",
                "landauer_ratio",
                "epochs",
                "seconds",
                "baselines",
            )
        }
        if "audit" in m:
            a = m["audit"]
            summary[name]["audit"] = {
                "drop_over_disturb_free_max": a["drop_over_disturb_free_max"],
                "disturb_free_voltage_V": a["disturb_free_voltage_V"]["positive"],
                "read_disturb_per_epoch": a["read_disturb_max_dG_over_window_per_epoch"],
                "adc_bits": a["adc"]["bits"],
                "signal_over_lsb": a["adc"]["signal_over_lsb"],
                # the IR drop the ideal-line phases leave out (wire_resistance per cell)
                "wire_cell_drop_error_relative": [
                    c.get("cell_drop_error_relative")
                    for c in a.get("wire_ir_drop", {}).get("crossbars", [])
                ],
                "driver_current_max_A": a["settling"].get("driver_current_max_A", {}),
            }
    atomic_write_text(out / "summary.json", json.dumps(summary, indent=2, default=float) + "\n")
    for name, s in summary.items():
        e = s["energy_joules"]
        energy = "not booked (software baseline)" if name == "backprop" else f"{e:.3e} J"
        jpb = s.get("joules_per_bit")
        per_bit = f", {jpb:.2e} J/bit" if isinstance(jpb, float) and name != "backprop" else ""
        print(
            f"{name:14s} test {s['test_accuracy']:.4f}  train {s['train_accuracy']:.4f}  "
            f"energy {energy}{per_bit}  ({s['seconds']:.1f} s)"
        )
    print(f"demo written to {out}")
    return 0
