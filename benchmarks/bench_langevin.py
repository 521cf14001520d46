"""Throughput of the Langevin engine on the erasure double-well protocol.

Prints particle-steps per second for 1 and 2 threads and several chunk sizes (pure numpy,
float64, Euler–Maruyama with Sekimoto work booked every step). Run:

    .venv/bin/python benchmarks/bench_langevin.py
"""

from __future__ import annotations

import os
import time

import numpy as np

from thermolearn.stochastic.erasure import ErasureProtocol
from thermolearn.stochastic.langevin import equilibrium_sample, simulate


def main() -> None:
    proto = ErasureProtocol()
    tau = 2.0
    dt = 5e-4
    n = 65536
    rng = np.random.default_rng(0)
    x0 = equilibrium_sample(proto.resting(), n, rng)
    pot = proto.potential(tau)
    steps = int(round(tau / dt))
    print(f"double-well erasure protocol, {n} particles x {steps} steps, cpus={os.cpu_count()}, "
          f"load={os.getloadavg()[0]:.2f}")
    best = 0.0
    for chunk in (4096, 8192, 16384, 32768):
        for threads in (1, 2):
            simulate(pot, x0[:chunk], dt=dt, t_stop=0.05, rng=rng, chunk=chunk, threads=threads)
            t0 = time.perf_counter()
            simulate(pot, x0, dt=dt, rng=rng, chunk=chunk, threads=threads)
            el = time.perf_counter() - t0
            rate = n * steps / el
            best = max(best, rate)
            print(f"chunk={chunk:6d} threads={threads}: {rate / 1e6:7.1f} M particle-steps/s")
    print(f"best: {best / 1e6:.1f} M particle-steps/s (target 100 M on 2 cores)")


if __name__ == "__main__":
    main()
