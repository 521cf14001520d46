"""Netlists at scale: export, parse and operating point of N x N crossbar netlists.

For each size, in one process: the crossbar solver (CrossbarNetwork, all node voltages) as
the reference time; building the same crossbar as a Circuit (element by element, reported,
not part of the export); ``export_netlist`` (streamed writer); ``parse_netlist`` of that text
(resource caps raised to fit); the MNA operating point of the parsed circuit (large resistive
circuits go through their SPD nodal system: CG + AMG); agreement with the crossbar solver.
Ratios are to the crossbar solver's time. CPU seconds (process time).

Run:  OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_netlist_scale.py --sizes 256 1024
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_crossbar_solvers import R_WIRE, _circuit, problem  # noqa: E402

from thermolearn.circuit import export_netlist, operating_point, parse_netlist  # noqa: E402
from thermolearn.circuit.spice.limits import NetlistLimits  # noqa: E402
from thermolearn.crossbar.array_solver import CrossbarNetwork  # noqa: E402


def _peak() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def run(n: int) -> None:
    g, u = problem(n)
    t0 = time.process_time()
    net = CrossbarNetwork(g, r_wire=R_WIRE, row_r_term=0.0, col_r_term=0.0)
    sol = net.solve(u, np.zeros(n))
    t_xbar = time.process_time() - t0
    t0 = time.process_time()
    c = _circuit(n, g, u)
    t_build = time.process_time() - t0
    t0 = time.process_time()
    text = export_netlist(c, ".op")
    t_export = time.process_time() - t0
    del c
    big = NetlistLimits(
        max_elements=10 * n * n + 100,
        max_memory_bytes=64 * 1024**3,
        max_input_chars=max(len(text) + 1, 128 * 1024**2),
    )
    t0 = time.process_time()
    parsed = parse_netlist(text, limits=big)
    t_parse = time.process_time() - t0
    t0 = time.process_time()
    op = operating_point(parsed.circuit)
    t_op = time.process_time() - t0
    dv = max(
        max(abs(op.v(f"r{i}_{j}") - sol.v_row[0, i, j]) for i in range(n) for j in range(n)),
        max(abs(op.v(f"c{i}_{j}") - sol.v_col[0, i, j]) for i in range(n) for j in range(n)),
    )
    pp = t_parse + t_op
    print(
        f"| {n}x{n} | {len(text) / 1e6:.0f} MB | {t_xbar:.2f} | {t_build:.1f} | {t_export:.2f} | "
        f"{t_parse:.1f} | {t_op:.1f} | {pp / t_xbar:.1f}x | {dv:.0e} | {_peak():.1f} GB |",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512])
    args = ap.parse_args()
    print(
        "| crossbar | netlist | crossbar solver (s) | build Circuit (s) | export (s) | parse (s) "
        "| MNA op (s) | (parse + op) / solver | max abs ΔV (V) | peak RSS |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        run(n)


if __name__ == "__main__":
    main()
