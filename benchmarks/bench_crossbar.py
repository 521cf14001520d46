"""Crossbar array benchmarks: factor once (line-Schur response), read batches of 1000 vectors.

Run:  OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_crossbar.py [--sizes 128 256]

Prints, per size: the sparse-LU solve of one input vector (every node voltage), the one-off
line-Schur response (the "factorisation": exact transfer matrix and energy quadratic forms),
and the read of a batch of 1000 input vectors with energy booking. On a loaded shared
machine set OPENBLAS_NUM_THREADS=1: thread oversubscription slows OpenBLAS by 100x.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from thermolearn.crossbar import CrossbarArray  # noqa: E402


def bench(n: int, r_wire: float, batch: int, sparse: bool) -> None:
    rng = np.random.default_rng(0)
    xb = CrossbarArray(n, n, r_wire=r_wire, rng=rng)
    g = rng.uniform(1e-6, 1e-4, (n, n))
    xb.program_conductances(g, verify=False)
    v = rng.uniform(0.0, 0.2, (batch, n))
    if sparse:
        t0 = time.perf_counter()
        xb.network("read")
        t_fac = time.perf_counter() - t0
        t0 = time.perf_counter()
        xb.solve(v[0])
        t_one = time.perf_counter() - t0
        print(
            f"{n}x{n} r_wire={r_wire}: sparse LU factor {t_fac:.3f} s, one full solve "
            f"(all {2 * n * n} node voltages) {t_one:.3f} s"
        )
    t0 = time.perf_counter()
    xb.response()
    t_resp = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = xb.read(v)
    t_read = time.perf_counter() - t0
    err = float(np.sqrt(np.mean((out - v @ g) ** 2)) / np.sqrt(np.mean((v @ g) ** 2)))
    e = xb.ledger.breakdown()
    print(
        f"{n}x{n} r_wire={r_wire}: line-Schur response (factor once) {t_resp:.3f} s; "
        f"read of {batch} vectors {t_read * 1e3:.1f} ms; IR-drop error {err:.3e}; "
        f"energy/MAC {sum(e.values()) / (batch * n * n):.3e} J "
        f"(cells {e['read'] / (batch * n * n):.3e}, wire I2R+CV2 {e['wire'] / (batch * n * n):.3e})"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    ap.add_argument("--r-wire", type=float, default=2.5)
    ap.add_argument("--batch", type=int, default=1000)
    args = ap.parse_args()
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")
    rng = np.random.default_rng(1)
    n = max(args.sizes)
    ideal = CrossbarArray(n, n)
    ideal.program_conductances(rng.uniform(1e-6, 1e-4, (n, n)), verify=False)
    v = rng.uniform(0, 0.2, (args.batch, n))
    t0 = time.perf_counter()
    ideal.read(v)
    print(
        f"{n}x{n} ideal wires: read of {args.batch} vectors "
        f"{1e3 * (time.perf_counter() - t0):.1f} ms"
    )
    for s in args.sizes:
        bench(s, args.r_wire, args.batch, sparse=s <= 128)


if __name__ == "__main__":
    main()
