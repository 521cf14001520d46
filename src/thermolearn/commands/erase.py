"""``thermolearn erase --out DIR``: Landauer erasure in a simulated double well.

Runs the Bérut-type erasure cycle over a range of cycle times with the Langevin engine,
fits <Q> = Q_inf + B / tau, runs the control cycle, measures the discretisation bias, and
writes ``metrics.json`` and ``erasure.png`` to DIR.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from thermolearn.checkpoints import atomic_write_text
from thermolearn.commands._args import out_dir, plain


def register(subparsers: Any) -> None:
    """Add the ``erase`` sub-command."""
    p = subparsers.add_parser(
        "erase",
        help="Landauer erasure of one bit in a Langevin double well (Bérut 2012).",
        description=plain(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", type=out_dir, default="runs/erase",
                   help="output directory (default: runs/erase)")
    p.add_argument("--n", type=int, default=3000, help="trajectories per cycle time")
    p.add_argument("--taus", type=float, nargs="+", default=[4.0, 8.0, 16.0, 32.0, 64.0],
                   help="cycle times in tau_0")
    p.add_argument("--full", action="store_true",
                   help="1e4 trajectories per point and tau up to 128 tau_0")
    p.add_argument("--barrier", type=float, default=10.0, help="barrier height E_b (kT)")
    p.add_argument("--tilt", type=float, default=5.0, help="tilt force (kT / x_m)")
    p.add_argument("--dt", type=float, default=None, help="time step (tau_0)")
    p.add_argument("--seed", type=int, default=2012,
                   help="seed of the Langevin noise (default 2012)")
    p.add_argument("--threads", type=int, default=2,
                   help="worker threads for the trajectory batches (default 2)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the erasure experiment and write its outputs."""
    import numpy as np

    from thermolearn.experiments.stochastic_figures import plot_erasure
    from thermolearn.physics import LN2
    from thermolearn.stochastic.erasure import (
        DEFAULT_DT,
        ErasureProtocol,
        discretisation_bias,
        erasure_sweep,
    )
    from thermolearn.stochastic.langevin import berut_units

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    n = 10_000 if args.full else args.n
    taus = [4.0, 8.0, 16.0, 32.0, 64.0, 128.0] if args.full else list(args.taus)
    dt = DEFAULT_DT if args.dt is None else args.dt
    rng = np.random.default_rng(args.seed)
    proto = ErasureProtocol(barrier=args.barrier, tilt=args.tilt)
    t0 = time.perf_counter()
    sweep = erasure_sweep(proto, taus, n, rng, dt=dt, threads=args.threads, n_record=20,
                          progress=lambda m: print(m, flush=True))
    bias = discretisation_bias(proto, 16.0, dt, min(n, 4000), rng, threads=args.threads)
    print(f"discretisation bias of <Q> at dt={dt:g}: {bias['bias_kT']:+.4f} "
          f"± {bias['bias_se_kT']:.4f} kT", flush=True)
    units = berut_units()
    metrics = {
        "experiment": "landauer_erasure",
        "units": {"energy": "kT", "time": "tau_0", "length": "x_m",
                  "example_si": {"kT_J": units.kt, "tau0_s": units.tau0, "x_m_m": units.length,
                                 "note": "Bérut 2012-like scales (2 µm bead in water)"}},
        "n_per_tau": n, "dt_tau0": dt, "seed": args.seed,
        **sweep.to_dict(),
        "discretisation_bias": bias,
        "q_inf_within_0p05_kT_of_ln2": abs(sweep.q_inf - LN2) < 0.05,
        "q_inf_J_at_300K_berut_units": float(units.energy_si(sweep.q_inf)),
        "seconds": time.perf_counter() - t0,
    }
    atomic_write_text(out / "metrics.json", json.dumps(metrics, indent=2))
    plot_erasure(sweep, out / "erasure.png",
                 title=f"Landauer erasure, run '{out.name}': barrier {args.barrier:g} kT, tilt "
                       f"{args.tilt:g} kT/x_m, {n} trajectories per τ, seed {args.seed}")
    print(f"Q_inf = {sweep.q_inf:.4f} ± {sweep.q_inf_se:.4f} kT (ln 2 = {LN2:.4f}); "
          f"control W_inf = {sweep.w_inf_control:.4f} ± {sweep.w_inf_control_se:.4f} kT")
    print(f"wrote {out / 'metrics.json'} and {out / 'erasure.png'}")
    return 0
