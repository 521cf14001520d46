"""Benchmark: one digits epoch of physical EP (free + two nudged phases per sample).

Prints the fast layer-wise solver's epoch time and samples/s on the Python engine, the cost of
the same phases per sample on the general MNA engine (thermolearn.crossbar) and in ngspice, for
the same 64-128-10 circuit with Shockley diodes and bidirectional amplifiers.

Run: .venv/bin/python benchmarks/bench_ep_epoch.py [--subset N]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from thermolearn.algorithms.ep_circuit import EPCircuit, EPCircuitParams
from thermolearn.datasets import load
from thermolearn.experiments.ep_train import default_config


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subset", type=int, default=4, help="samples for the MNA / ngspice timing")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    cfg = default_config("digits")
    data = load("digits", seed=0)
    sizes = (64, *cfg.hidden, 10)
    params = EPCircuitParams(layer_sizes=sizes, beta=cfg.beta, **cfg.circuit)
    rng = np.random.default_rng(0)
    net = EPCircuit(params, rng=rng)
    n = len(data.y_train)
    best = np.inf
    for _ in range(args.repeats):
        perm = rng.permutation(n)
        t0 = time.perf_counter()
        sweeps = 0
        for i in range(0, n, cfg.batch_size):
            idx = perm[i : i + cfg.batch_size]
            g, info = net.gradients(data.x_train[idx], data.y_train[idx])
            net.apply_update(g, cfg.lr, rng)
            sweeps += info["sweeps"]
        best = min(best, time.perf_counter() - t0)
    print(f"circuit {sizes}, batch {cfg.batch_size}, tol {params.tol} V")
    print(
        f"python layer-wise engine: one epoch ({n} samples x 3 phases + updates) "
        f"{best:.3f} s  ->  {n / best:.0f} samples/s  (mean sweeps per phase "
        f"{sweeps / (3 * -(-n // cfg.batch_size)):.1f})"
    )
    x = data.x_train[: args.subset]
    tgt = net.targets(data.y_train[: args.subset])
    try:
        from thermolearn.circuit import operating_point

        t0 = time.perf_counter()
        for i in range(len(x)):
            operating_point(net.build_circuit(x[i]), engine="python")
            operating_point(
                net.build_circuit(x[i], beta=params.beta, target=tgt[i]), engine="python"
            )
        per = (time.perf_counter() - t0) / (2 * len(x))
        print(
            f"general MNA engine: {per * 1e3:.1f} ms per phase per sample -> one epoch "
            f"(3 phases) ~ {3 * n * per:.0f} s"
        )
    except ImportError as exc:
        print(f"general MNA engine: unavailable ({exc})")
    try:
        from thermolearn.circuit.spice.runner import available

        ok, why = available()
        if not ok:
            raise ImportError(why)
        t0 = time.perf_counter()
        for i in range(len(x)):
            # EP's ngspice solver: export_netlist of the same Circuit, run in ngspice
            operating_point(net.build_circuit(x[i]), engine="ngspice")
            operating_point(
                net.build_circuit(x[i], beta=params.beta, target=tgt[i]), engine="ngspice"
            )
        per = (time.perf_counter() - t0) / (2 * len(x))
        print(
            f"ngspice: {per * 1e3:.1f} ms per phase per sample (circuit + export + load + .op) -> "
            f"one epoch ~ {3 * n * per:.0f} s"
        )
    except ImportError as exc:
        print(f"ngspice: unavailable ({exc})")


if __name__ == "__main__":
    main()
