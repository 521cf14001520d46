"""Benchmark of the Python MNA engine (prints its measurements; no asserts).

1. Operating point of an N x N crossbar with line resistance (default 128): the Python engine
   (whole solve from a fresh Circuit: compile, assemble, factor, solve, currents) against a
   raw ``scipy.sparse.linalg.spsolve`` of the same MNA system, and against ngspice on the same
   netlist at a smaller size (ngspice 39 needs ~95 s at 128x128; opt in with --ngspice-size 128).
2. A batch of 1000 input vectors on a factored 256 x 256 array (LinearSolver): end-to-end
   (compile + factor + exact transfer matrix + batch) and the batch alone, against the
   previous method (plain LU, one solve per source) in the same run.
3. Peak memory of a 512 x 512 solve (tracemalloc peak of Python allocations and the process's
   peak RSS, which includes SuperLU's factors).

Run:  OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_mna.py   (all, ~2-4 min)
      .venv/bin/python benchmarks/bench_mna.py --batch-only --no-ngspice
      .venv/bin/python benchmarks/bench_mna.py --quick    (smaller sizes)
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import time
import tracemalloc

import numpy as np
import scipy.sparse.linalg as spla

from thermolearn.circuit import Circuit, LinearSolver, operating_point
from thermolearn.circuit.mna.compile import clear_compiled, compiled


def crossbar(n: int, m: int, rng: np.random.Generator, r_wire: float = 1.0) -> Circuit:
    """Rows driven through 10 ohm drivers; columns read at virtual ground (0 V sources)."""
    c = Circuit(f"crossbar {n}x{m} r_wire={r_wire}")
    g = rng.uniform(1e-6, 1e-4, size=(n, m))
    v = rng.uniform(0.0, 0.3, size=n)
    for i in range(n):
        c.add_vsource(f"Vrow{i}", f"d{i}", "0", dc=float(v[i]))
        c.add_resistor(f"Rdrv{i}", f"d{i}", f"r{i}_0", 10.0)
    for j in range(m):
        c.add_vsource(f"Vcol{j}", f"c{n - 1}_{j}", "0", dc=0.0)
    for i in range(n):
        for j in range(m):
            if j + 1 < m:
                c.add_resistor(f"Rr{i}_{j}", f"r{i}_{j}", f"r{i}_{j + 1}", r_wire)
            if i + 1 < n:
                c.add_resistor(f"Rc{i}_{j}", f"c{i}_{j}", f"c{i + 1}_{j}", r_wire)
            c.add_resistor(f"G{i}_{j}", f"r{i}_{j}", f"c{i}_{j}", float(1.0 / g[i, j]))
    return c


def _fresh(c: Circuit) -> None:
    clear_compiled(c)


def bench_op(n: int, repeats: int) -> None:
    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    c = crossbar(n, n, rng)
    t_build = time.perf_counter() - t0
    py_times = []
    for _ in range(repeats):
        _fresh(c)
        t0 = time.perf_counter()
        op = operating_point(c)
        py_times.append(time.perf_counter() - t0)
    comp = compiled(c)
    a = comp.matrix()
    b = comp.source_rhs(None)
    raw_times = []
    mmd_times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        z = spla.spsolve(a, b)
        raw_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        spla.splu(a, permc_spec="MMD_AT_PLUS_A").solve(b)
        mmd_times.append(time.perf_counter() - t0)
    err = max(abs(op.voltages[nd] - z[i]) for i, nd in enumerate(comp.node_names))
    t_py, t_raw = statistics.median(py_times), statistics.median(raw_times)
    t_mmd = statistics.median(mmd_times)
    print(
        f"[op] {n}x{n} crossbar: {len(c)} elements, {comp.size} unknowns "
        f"(circuit built in {t_build:.2f} s)"
    )
    print(
        f"[op]   python engine (compile+assemble+LU+currents): median {t_py:.3f} s over {repeats}"
    )
    print(f"[op]   raw scipy spsolve of the same system:          median {t_raw:.3f} s")
    print(f"[op]   raw splu(MMD_AT_PLUS_A) + solve (the engine's ordering): median {t_mmd:.3f} s")
    print(
        f"[op]   ratio python/raw spsolve = {t_py / t_raw:.2f} (target <= 2); "
        f"python/raw same-ordering LU = {t_py / t_mmd:.2f}; max |dV| = {err:.1e} V"
    )


def bench_ngspice(n: int) -> None:
    from thermolearn.circuit.spice import ngspice_engine

    rng = np.random.default_rng(1)
    c = crossbar(n, n, rng)
    t0 = time.perf_counter()
    py = operating_point(c)
    t_py = time.perf_counter() - t0
    t0 = time.perf_counter()
    ng = ngspice_engine.operating_point(c)
    t_ng = time.perf_counter() - t0
    dv = max(abs(py.voltages[k] - ng.voltages[k]) for k in py.voltages)
    print(
        f"[ngspice] {n}x{n}: python {t_py:.3f} s, ngspice {t_ng:.2f} s "
        f"(speed-up {t_ng / t_py:.0f}x), max |dV| = {dv:.1e} V"
    )


def bench_batch(n: int, batch: int, baseline: bool) -> None:
    rng = np.random.default_rng(2)
    c = crossbar(n, n, rng)
    rows = [f"Vrow{i}" for i in range(n)]
    cols = [f"Vcol{j}" for j in range(n)]
    x = rng.uniform(0.0, 0.3, size=(batch, n))
    _fresh(c)
    t0 = time.perf_counter()
    solver = LinearSolver(c, sources=rows)
    t_factor = time.perf_counter() - t0
    t0 = time.perf_counter()
    t_mat = solver.transfer_matrix(cols)
    t_transfer = time.perf_counter() - t0
    t0 = time.perf_counter()
    y = solver.solve(x, outputs=cols)
    t_batch = time.perf_counter() - t0
    t_total = t_factor + t_transfer + t_batch
    # spot-check 3 items against independent full solves (all unknowns, chunked LU solves)
    t0 = time.perf_counter()
    full = solver.solve(x[:3])
    t_full3 = time.perf_counter() - t0
    err = float(np.max(np.abs(full[:, solver.output_rows(cols)] - y[:3])))
    how = "trailing-block" if solver._tail is not None else f"{n} LU solves"
    print(
        f"[batch] {n}x{n}: one-time: compile+factor (terminals ordered last) {t_factor:.2f} s, "
        f"exact transfer matrix ({how}) {t_transfer:.2f} s"
    )
    print(
        f"[batch]   {batch} input vectors -> column currents on the factored array: "
        f"{t_batch:.4f} s; full solves (all unknowns) {t_full3 / 3:.3f} s per vector; "
        f"max |dI| vs full solves {err:.1e} A"
    )
    print(
        f"[batch]   END-TO-END factor + transfer + {batch}-vector batch: {t_total:.2f} s "
        f"(target < 2 s); the batch alone {t_batch:.4f} s"
    )
    if baseline:
        # the previous method, same run: plain MMD factor, then one LU solve per source
        _fresh(c)
        t0 = time.perf_counter()
        comp = compiled(c)
        a = comp.matrix()
        lu = spla.splu(a, permc_spec="MMD_AT_PLUS_A")
        t_f0 = time.perf_counter() - t0
        smap = solver.source_map.toarray(order="F")
        out_rows = solver.output_rows(cols)
        t0 = time.perf_counter()
        t_ref = np.empty((n, n))
        for s0 in range(0, n, 4):
            t_ref[:, s0 : s0 + 4] = lu.solve(smap[:, s0 : s0 + 4])[out_rows]
        t_s0 = time.perf_counter() - t0
        t0 = time.perf_counter()
        x @ t_ref.T
        t_b0 = time.perf_counter() - t0
        rel = float(np.max(np.abs(t_ref - t_mat)) / np.max(np.abs(t_ref)))
        print(
            f"[batch]   baseline (plain MMD LU + {n} LU solves, same run): compile+factor "
            f"{t_f0:.2f} s + transfer {t_s0:.2f} s = end-to-end {t_f0 + t_s0 + t_b0:.2f} s; "
            f"max |dT|/max|T| = {rel:.1e}"
        )


def _rss_gib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024**2
    return float("nan")


def bench_memory(n: int) -> None:
    """Peak memory of an n x n solve (run in a fresh process without tracemalloc)."""
    gc.collect()
    rng = np.random.default_rng(3)
    t0 = time.perf_counter()
    c = crossbar(n, n, rng)
    t_build = time.perf_counter() - t0
    rss_circuit = _rss_gib()
    t0 = time.perf_counter()
    op = operating_point(c)
    t_op = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB -> GiB
    print(
        f"[memory] {n}x{n}: {len(c)} elements; build {t_build:.1f} s, op {t_op:.1f} s; "
        f"RSS with the Circuit built {rss_circuit:.2f} GiB; process peak RSS through the "
        f"solve {peak:.2f} GiB (target < 4); I(Vcol0) = {op.i('Vcol0'):.3e} A"
    )


def bench_memory_traced(n: int) -> None:
    """tracemalloc peak of Python/numpy allocations during the solve alone."""
    rng = np.random.default_rng(3)
    c = crossbar(n, n, rng)
    gc.collect()
    tracemalloc.start()
    operating_point(c)
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"[memory] {n}x{n}: tracemalloc peak during operating_point {peak / 1024**3:.2f} GiB "
        "(numpy/Python allocations; SuperLU's own factor storage is not traced)"
    )


def _load() -> str:
    try:
        with open("/proc/loadavg") as fh:
            return fh.read().split()[0]
    except OSError:
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--ngspice-size",
        type=int,
        default=32,
        help="crossbar size for the ngspice comparison (128 takes ~95 s)",
    )
    ap.add_argument("--no-ngspice", action="store_true")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--no-baseline", action="store_true", help="skip the per-source-solve baseline")
    ap.add_argument("--batch-only", action="store_true", help="only the factored-batch benchmark")
    ap.add_argument("--mem-size", type=int, default=512)
    ap.add_argument("--quick", action="store_true", help="64 / 128 / 256 sizes")
    ap.add_argument("--memory-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.quick:
        args.size, args.batch_size, args.mem_size = 64, 128, 256
    import os
    import subprocess
    import sys

    if args.memory_only:
        bench_memory(args.mem_size)
        return
    print(f"machine: {os.cpu_count()} cores, 1-minute load average {_load()} at start")
    if args.batch_only:
        bench_batch(args.batch_size, args.batch, not args.no_baseline)
        return
    bench_op(args.size, args.repeats)
    if not args.no_ngspice:
        bench_ngspice(args.ngspice_size)
    bench_batch(args.batch_size, args.batch, not args.no_baseline)
    sys.stdout.flush()
    # peak RSS in a fresh process (no tracemalloc overhead), then the traced allocations
    subprocess.run(
        [sys.executable, __file__, "--memory-only", "--mem-size", str(args.mem_size)],
        check=True,
    )
    bench_memory_traced(args.mem_size)


if __name__ == "__main__":
    main()
