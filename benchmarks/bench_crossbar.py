"""Crossbar array benchmarks: factor once (line-Schur response), read batches of 1000 vectors.

Run:  OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_crossbar.py [--sizes 128 256]

Prints, per size: the one-off line-Schur response (the "factorisation": exact transfer
matrix and energy quadratic forms), the read of a batch of 1000 input vectors with energy
booking, their end-to-end total, and (up to --sparse-max) the sparse-LU alternative. On a
loaded shared machine set OPENBLAS_NUM_THREADS=1: thread oversubscription slows OpenBLAS
by 100x.
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
    g = rng.uniform(1e-6, 1e-4, (n, n))
    v = rng.uniform(0.0, 0.2, (batch, n))
    t0 = time.perf_counter()
    xb = CrossbarArray(n, n, r_wire=r_wire, rng=rng)
    xb.program_conductances(g, verify=False)
    t_prog = time.perf_counter() - t0
    t0 = time.perf_counter()
    xb.network("read")
    t_net = time.perf_counter() - t0
    t0 = time.perf_counter()
    xb.response()
    t_resp = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = xb.read(v)
    t_read = time.perf_counter() - t0
    err = float(np.sqrt(np.mean((out - v @ g) ** 2)) / np.sqrt(np.mean((v @ g) ** 2)))
    e = xb.ledger.breakdown()
    print(
        f"{n}x{n} r_wire={r_wire}: network assembly {t_net:.3f} s; line-Schur response "
        f"(factor once) {t_resp:.3f} s; read of {batch} vectors {t_read * 1e3:.1f} ms; "
        f"IR-drop error {err:.3e}"
    )
    print(
        f"{n}x{n} r_wire={r_wire}: END-TO-END network + response + {batch}-vector read "
        f"{t_net + t_resp + t_read:.3f} s (target < 2 s; array set-up and programming "
        f"{t_prog:.3f} s not included); the read alone {t_read * 1e3:.1f} ms"
    )
    print(
        f"{n}x{n} r_wire={r_wire}: energy/MAC {sum(e.values()) / (batch * n * n):.3e} J "
        f"(cells {e['read'] / (batch * n * n):.3e}, wire I2R+CV2 {e['wire'] / (batch * n * n):.3e})"
    )
    if sparse:
        net = xb.network("read")
        t0 = time.perf_counter()
        net.solve(v[0], np.zeros(n))  # first solve factors the network (sparse LU)
        t_one = time.perf_counter() - t0
        t0 = time.perf_counter()
        net.solve(np.eye(n), np.zeros(n))  # unit inputs: the transfer matrix by sparse LU
        t_tr = time.perf_counter() - t0
        print(
            f"{n}x{n} r_wire={r_wire}: for comparison, sparse LU factor + one full solve "
            f"(all {2 * n * n} node voltages) {t_one:.3f} s; transfer matrix by {n} sparse "
            f"solves (currents only, no energy forms) {t_tr:.3f} s"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    ap.add_argument("--r-wire", type=float, default=2.5)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument(
        "--sparse-max", type=int, default=128, help="largest size also timed with sparse LU"
    )
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
        bench(s, args.r_wire, args.batch, sparse=s <= args.sparse_max)


if __name__ == "__main__":
    main()
