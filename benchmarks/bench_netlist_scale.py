"""Netlists at scale: export, parse and operating point of N x N crossbar netlists.

For each size, in one process: the crossbar solver (CrossbarNetwork, all node voltages) as
the reference time; building the same crossbar as a Circuit (element by element, reported,
not part of the export); ``export_netlist`` (columns formatted a chunk at a time);
``parse_netlist`` of that text (resource caps raised to fit; runs of uniform lines read as
columns); the MNA operating point of the parsed circuit (compile from the columns, the SPD
nodal system assembled from the conductances, CG preconditioned by the lines that
``find_lines`` discovers in the matrix around an AMG coarse grid, certified KCL residual;
the operating point's voltages and currents are array-backed name mappings, NamedValues);
reading every node voltage back by name (timed apart: the agreement check does it after
the operating point); agreement with the crossbar solver. Ratios are to the crossbar
solver's time. CPU seconds (process time), and the wall time of parse + op; peak RSS of the
process after each step (the crossbar solver runs first). The load average at the start is
printed: the machine is shared, rerun when it is low.

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
    m_xbar = _peak()
    t0 = time.process_time()
    c = _circuit(n, g, u)
    t_build = time.process_time() - t0
    t0 = time.process_time()
    text = export_netlist(c, ".op")
    t_export = time.process_time() - t0
    m_export = _peak()
    del c
    big = NetlistLimits(
        max_elements=10 * n * n + 100,
        max_memory_bytes=64 * 1024**3,
        max_input_chars=max(len(text) + 1, 128 * 1024**2),
    )
    w0 = time.perf_counter()
    t0 = time.process_time()
    parsed = parse_netlist(text, limits=big)
    t_parse = time.process_time() - t0
    m_parse = _peak()
    t0 = time.process_time()
    op = operating_point(parsed.circuit)
    t_op = time.process_time() - t0
    wall = time.perf_counter() - w0
    m_op = _peak()
    volt = op.voltages
    t0 = time.process_time()
    v_row = np.array([volt[f"r{i}_{j}"] for i in range(n) for j in range(n)])
    v_col = np.array([volt[f"c{i}_{j}"] for i in range(n) for j in range(n)])
    t_read = time.process_time() - t0
    dv = max(
        float(np.max(np.abs(v_row - sol.v_row[0].ravel()))),
        float(np.max(np.abs(v_col - sol.v_col[0].ravel()))),
    )
    pp = t_parse + t_op
    print(
        f"| {n}x{n} | {len(parsed.circuit):,} | {len(text) / 1e6:.0f} MB | {t_xbar:.2f} | "
        f"{t_build:.1f} | {t_export:.2f} | {t_parse:.2f} | {t_op:.2f} | {pp:.2f} ({wall:.1f}) | "
        f"{pp / t_xbar:.1f}x | {t_read:.2f} | {dv:.0e} | {op.residual:.0e} | "
        f"{m_xbar:.2f} / {m_export:.2f} / "
        f"{m_parse:.2f} / {m_op:.2f} GB |",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512])
    args = ap.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores)")
    print(
        "| crossbar | elements | netlist | crossbar solver (s) | build Circuit (s) | export (s) "
        "| parse (s) | MNA op (s) | parse + op (s) (wall) | (parse + op) / solver "
        "| read 2N² voltages by name (s) "
        "| max abs ΔV (V) | max KCL residual (A) | peak RSS after solver / export / parse / op |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        run(n)


if __name__ == "__main__":
    main()
