"""EP digits at the default VTEAM preset vs the same device at ×1/scale the conductance.

The outside review's wire-resistance finding: with the 50 Ω–1 kΩ VTEAM devices an input row
of 128 cells carries ~0.2 A and the audit's IR drop (0.76 Ω per cell, the bulk-Cu bound)
takes nearly the whole 0.24 V from its far cells. This runs the digits default once with the
same VTEAM state equation at R_on/scale, R_off/scale (default scale 1e-3: 50 kΩ–1 MΩ) and the
diodes scaled with it (I_s × scale, R_s / scale), which leaves every node voltage of the
circuit unchanged, and prints accuracy, energy by ledger line, the audit's IR-drop error per
crossbar and the hidden read noise against the learning signal.

Run:  OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_ep_device_resistance.py \
          [--scale 1e-3] [--device ideal|memristor] [--seed 0] [--epochs 20]
(`--device memristor` uses the demo's device variability; ~3 min on an idle core.)
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np


def main() -> None:
    """Run one digits training at the scaled preset and print its figures."""
    from thermolearn.commands.demo import DEMO_VARIABILITY
    from thermolearn.devices import VariabilityParams
    from thermolearn.devices.memristors import VTEAM
    from thermolearn.devices.presets import kvatinsky2015
    from thermolearn.experiments.ep_train import default_config, run_training
    from thermolearn.hardware import Hardware, ReadSettings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1e-3, help="conductance scale (1e-3)")
    ap.add_argument("--device", default="ideal", choices=("ideal", "memristor"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=None)
    args = ap.parse_args()
    s = args.scale
    base = kvatinsky2015("linear")
    model = VTEAM(dataclasses.replace(base.params, r_on=base.params.r_on / s,
                                      r_off=base.params.r_off / s))
    lo, hi = model.state_bounds
    g = model.conductance(np.array([lo, hi]), 0.1)
    extra: dict = {"seed": args.seed}
    if args.epochs is not None:
        extra["epochs"] = args.epochs
    if args.device == "memristor":
        extra["variability"] = DEMO_VARIABILITY
    cfg = default_config("digits", device=args.device,
                         circuit={"diode_i_s": 1e-12 * s, "diode_r_s": 1.0 / s}, **extra)
    var = VariabilityParams(**cfg.variability) if cfg.variability else None
    hw = Hardware(device=model, g_min=float(min(g)), g_max=float(max(g)), variability=var,
                  read=ReadSettings(v_read=0.1, t_read=1e-6, adc_bits=12))
    t0 = time.perf_counter()
    r = run_training(cfg, None, progress=False, hardware=hw)
    m, a = r.metrics, r.metrics["audit"]
    print(f"scale {s:g}: R {1 / max(g):.3g}-{1 / min(g):.3g} ohm, {args.device}, seed "
          f"{args.seed}: test accuracy {100 * m['test_accuracy']:.2f} %, energy "
          f"{r.ledger.total():.3g} J ({time.perf_counter() - t0:.0f} s)")
    for k, v in sorted(r.ledger.breakdown().items(), key=lambda kv: -kv[1]):
        print(f"  {k:22s} {v:.3e} J")
    for k, c in enumerate(a["wire_ir_drop"]["crossbars"]):
        err_k = 100 * c["cell_drop_error_relative"]
        print(f"  crossbar {k}: IR-drop error of the cell drops {err_k:.1f} % (row line "
              f"{1e3 * c['row_line_drop_max_V']:.2f} mV)")
    gain = cfg.circuit["diode_gain"]
    sig, err = a["adc"]["learning_signal_median_V"], a["adc"]["read_error_rms_V"]
    print(f"  hidden read noise {1e6 * err[0] / gain:.2f} uV rms vs learning signal "
          f"{1e6 * sig[0] / gain:.2f} uV (node-referred); outputs {1e6 * err[-1]:.2f} vs "
          f"{1e6 * sig[-1]:.2f} uV")


if __name__ == "__main__":
    main()
