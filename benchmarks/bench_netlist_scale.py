"""Netlists at scale: parse + operating point of N x N crossbar netlists vs the crossbar solver.

Method (issue 16: medians of 3, same run). For each size, in one process: the crossbar is
built as a Circuit and exported once (``export_netlist``, columns formatted a chunk at a
time; timed once, cold, reported apart). Then three contenders run on the same circuit:

* **crossbar solver**: ``CrossbarNetwork`` built from the conductances and ``solve`` (all
  node voltages);
* **parse**: ``parse_netlist`` of the exported text (resource caps raised to fit; runs of
  uniform lines read as columns; the circuit's node-name index is completed on its first
  look-up, so building it is not part of the parse: it falls in the read-back below);
* **operating point**: ``operating_point`` of the parsed circuit (compile from the columns,
  the SPD nodal system assembled from the conductances, CG preconditioned by the lines
  ``find_lines`` discovers in the matrix around an AMG coarse grid, certified KCL residual).

Each contender first runs once as a warm-up (imports, caches, first-touch page faults; not
timed), then ``--repeats`` (default 3) timed repeats, *interleaved*: one repeat is the
crossbar solver and the netlist pair (parse, then the operating point of what it parsed),
and the order of the two sides alternates from repeat to repeat so neither always runs
first. Garbage is collected and the previous result freed before every contender; the same
rule holds for both sides. Reported per contender: the median CPU seconds (process time;
min–max in brackets) and the median wall seconds, and its peak RSS (Linux: the high-water
mark is reset through ``/proc/self/clear_refs`` before each contender and printed as the
increase over the RSS it started from: the netlist text and the conductances are already
resident; memory a larger size freed stays resident, so run the sizes in ascending order
for the memory figures). The ratio is median(parse + op) / median(crossbar solver), CPU
and wall, parse + op summed per repeat.

Checks (on the last repeat): every node voltage, read back by name once (timed apart and
printed: it includes completing the node-name index), agrees with the crossbar solver within
``--tol-v`` (default 1e-9 V), and the operating point's certified KCL residual is within
``--tol-kcl`` (default 1e-12 A); a failed check is printed and the exit status is 1.

The load average is printed before and after: the machine is shared; rerun when it is low.
``--profile`` prints, for one extra untimed run of parse and of the operating point under
cProfile, the functions with the most own time and the thermolearn functions by cumulative
time (where the time goes).

Run:  OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_netlist_scale.py --sizes 256 512
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_crossbar_solvers import R_WIRE, _circuit, problem  # noqa: E402

from thermolearn.circuit import export_netlist, operating_point, parse_netlist  # noqa: E402
from thermolearn.circuit.spice.limits import NetlistLimits  # noqa: E402
from thermolearn.crossbar.array_solver import CrossbarNetwork  # noqa: E402


def _status_kb(key: str) -> float | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return float(line.split()[1])
    except OSError:
        pass
    return None


_LIFETIME_KB = [0.0]  # the process's peak RSS before the last reset of the high-water mark


def _peak_gb() -> float:
    """Lifetime peak RSS of the process (GB), across the resets of ``_reset_peak``."""
    hwm = _status_kb("VmHWM")
    if hwm is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    return max(_LIFETIME_KB[0], hwm) / 1024**2


def _reset_peak() -> bool:
    """Reset the RSS high-water mark (Linux >= 4.0); False where that is not possible.

    The reset also resets ``getrusage``'s ``ru_maxrss``, so the peak so far is kept first.
    """
    _LIFETIME_KB[0] = max(_LIFETIME_KB[0], _status_kb("VmHWM") or 0.0)
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


class Timed:
    """One contender's repeats: CPU s, wall s, peak RSS increase (GB)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.cpu: list[float] = []
        self.wall: list[float] = []
        self.peak: list[float] = []

    def run(self, fn: Callable[[], Any], *, record: bool = True) -> Any:
        gc.collect()
        resettable = _reset_peak()
        rss0 = _status_kb("VmRSS") or 0.0
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        c1, w1 = time.process_time(), time.perf_counter()
        if resettable:
            hwm = _status_kb("VmHWM") or 0.0
        else:  # lifetime peak of the process: an upper bound
            hwm = _peak_gb() * 1024**2
        if record:
            self.cpu.append(c1 - c0)
            self.wall.append(w1 - w0)
            self.peak.append((hwm - rss0) / 1024**2)
        return out

    def median(self, what: str) -> float:
        return float(statistics.median(getattr(self, what)))

    def spread(self, what: str) -> str:
        xs = getattr(self, what)
        return f"{min(xs):.2f}–{max(xs):.2f}"


def _profile(what: str, fn: Callable[[], Any], top: int = 12) -> None:
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    stats = pstats.Stats(prof).stats.items()  # type: ignore[attr-defined]
    print(f"  {what} profile (one extra, untimed run; cProfile overhead included):")
    own = sorted(((v[2], k) for k, v in stats), reverse=True)[:8]
    print("    own time (s): " + "; ".join(f"{t:.2f} {k[0].split('/')[-1]}:{k[2]}" for t, k in own))
    cum = sorted(((v[3], k) for k, v in stats if "thermolearn" in k[0]), reverse=True)[:top]
    for t, k in cum:
        print(f"    cumulative {t:6.2f}  {k[0].split('src/')[-1]}:{k[1]}({k[2]})")


def run_size(n: int, repeats: int, tol_v: float, tol_kcl: float, profile: bool) -> bool:
    g, u = problem(n)
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
    u0 = np.zeros(n)

    def xbar() -> Any:
        net = CrossbarNetwork(g, r_wire=R_WIRE, row_r_term=0.0, col_r_term=0.0)
        return net.solve(u, u0)

    tx, tp, to = Timed("crossbar solver"), Timed("parse"), Timed("operating point")
    # warm-up: each contender once, untimed
    sol = tx.run(xbar, record=False)
    parsed = tp.run(lambda: parse_netlist(text, limits=big), record=False)
    n_el = len(parsed.circuit)
    op = to.run(lambda: operating_point(parsed.circuit), record=False)
    for k in range(repeats):
        for side in ("xbar", "netlist") if k % 2 == 0 else ("netlist", "xbar"):
            if side == "xbar":
                sol = None
                sol = tx.run(xbar)
            else:
                op = parsed = None
                parsed = tp.run(lambda: parse_netlist(text, limits=big))
                op = to.run(lambda p=parsed: operating_point(p.circuit))
    volt = op.voltages
    t0 = time.process_time()
    v_row = np.array([volt[f"r{i}_{j}"] for i in range(n) for j in range(n)])
    v_col = np.array([volt[f"c{i}_{j}"] for i in range(n) for j in range(n)])
    t_read = time.process_time() - t0
    dv = max(
        float(np.max(np.abs(v_row - sol.v_row[0].ravel()))),
        float(np.max(np.abs(v_col - sol.v_col[0].ravel()))),
    )
    kcl = float(op.residual)
    ok = dv <= tol_v and kcl <= tol_kcl
    pp_cpu = statistics.median(a + b for a, b in zip(tp.cpu, to.cpu, strict=True))
    pp_wall = statistics.median(a + b for a, b in zip(tp.wall, to.wall, strict=True))
    x_cpu, x_wall = tx.median("cpu"), tx.median("wall")
    print(
        f"| {n}x{n} | {n_el:,} | {len(text) / 1e6:.0f} MB | {t_build:.1f} | {t_export:.2f} | "
        f"{x_cpu:.2f} ({tx.spread('cpu')}) / {x_wall:.2f} | "
        f"{tp.median('cpu'):.2f} ({tp.spread('cpu')}) / {tp.median('wall'):.2f} | "
        f"{to.median('cpu'):.2f} ({to.spread('cpu')}) / {to.median('wall'):.2f} | "
        f"{pp_cpu:.2f} / {pp_wall:.2f} | **{pp_cpu / x_cpu:.2f}x** / {pp_wall / x_wall:.2f}x | "
        f"{dv:.0e} | {kcl:.0e} | "
        f"{max(tx.peak):.2f} / {max(tp.peak):.2f} / {max(to.peak):.2f} GB |",
        flush=True,
    )
    print(
        f"  raw CPU s: solver {[round(x, 2) for x in tx.cpu]}, parse "
        f"{[round(x, 2) for x in tp.cpu]}, op {[round(x, 2) for x in to.cpu]}; "
        f"parse is {tp.median('cpu') / (tp.median('cpu') + to.median('cpu')):.0%} of parse + op; "
        f"process peak RSS so far {_peak_gb():.2f} GB; reading the 2N² voltages by name "
        f"(once, for the agreement check; the first look-up completes the node-name index) "
        f"{t_read:.2f} s",
        flush=True,
    )
    if not ok:
        print(
            f"  CHECK FAILED: max |dV| {dv:.1e} V (tol {tol_v:.0e}), "
            f"KCL {kcl:.1e} A (tol {tol_kcl:.0e})"
        )
    if profile:
        _profile("parse", lambda: parse_netlist(text, limits=big))
        _profile("operating point", lambda: operating_point(parsed.circuit))
    return ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512])
    ap.add_argument("--repeats", type=int, default=3, help="timed repeats per contender (>= 3)")
    ap.add_argument("--tol-v", type=float, default=1e-9, help="agreement with the solver (V)")
    ap.add_argument("--tol-kcl", type=float, default=1e-12, help="max KCL residual (A)")
    ap.add_argument("--profile", action="store_true", help="cProfile one extra parse and op")
    args = ap.parse_args()
    if args.repeats < 3:
        ap.error("--repeats must be >= 3 (medians of at least 3)")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores)")
    print(
        f"medians of {args.repeats} interleaved repeats after one warm-up of each contender, "
        "same process; CPU s (min–max) / wall s; peak RSS = increase while the contender ran"
    )
    print(
        "| crossbar | elements | netlist | build Circuit (s, once) | export (s, once) "
        "| crossbar solver CPU / wall (s) | parse CPU / wall (s) | MNA op CPU / wall (s) "
        "| parse + op CPU / wall (s) | (parse + op) / solver, CPU / wall "
        "| max abs ΔV (V) | KCL residual (A) | peak RSS solver / parse / op |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    ok = True
    for n in args.sizes:
        ok = run_size(n, args.repeats, args.tol_v, args.tol_kcl, args.profile) and ok
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
