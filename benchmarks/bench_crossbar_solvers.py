"""Crossbar solvers side by side: ratio tables against named contenders in the same run.

Problem: an N x N passive crossbar with line resistance (r_wire per segment on rows and
columns; rows driven at column 0, columns grounded below row N-1, random cells 1e-6..1e-4 S,
random row voltages 0..0.2 V). Two tables:

1. **All node voltages** (2 N² unknowns) from the conductance matrix: end-to-end CPU seconds
   (median of --repeats, each in a fresh process so that peak memory is per contender),
   ratio to thermolearn's CrossbarNetwork, agreement max |ΔV| with a direct solve (plain
   SuperLU on the same matrix; where it is not run, with thermolearn), thermolearn's certified
   max KCL residual, and peak RSS.
2. **Batched reads**: 1,000 read vectors on a 256 x 256 array (column currents); one-off
   setup and the batch after setup, separately.

Contenders: thermolearn (CrossbarNetwork: CG + line preconditioner + AMG above 1e5 unknowns,
SuperLU below; CrossbarArray.read for reads), plain scipy splu (MMD on AᵀA, its own COO
assembly), MKL PARDISO through pypardiso (1 thread; if installed), badcrossbar 1.1 (if
installed: ``pip install --no-deps badcrossbar pathvalidate sigfig``; its pycairo plotting
dependency is not needed), ngspice (``.op`` of the exported netlist, through the shared
library; only up to --ngspice-max), and thermolearn's general path (export the netlist, parse
it, MNA operating point; up to --netlist-max). A contender that is not installed, runs out of
--timeout or of memory is reported as such.

Run:  OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_crossbar_solvers.py
      (--quick: sizes 64 128 256; --huge: also 4096 x 4096 for thermolearn alone)
Prints CPU seconds (process time: comparable on a shared machine), not wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

R_WIRE = 2.5
CONTENDERS = ("thermolearn", "splu", "pardiso", "badcrossbar", "ngspice", "netlist")


def problem(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(n)
    return rng.uniform(1e-6, 1e-4, (n, n)), rng.uniform(0.0, 0.2, n)


def coo_matrix(g: np.ndarray) -> tuple[object, np.ndarray]:
    """The nodal matrix and RHS assembled the plain way (COO -> CSC), for splu / PARDISO."""
    import scipy.sparse as sp

    n = g.shape[0]
    gw = 1.0 / R_WIRE
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    rn = (ii * n + jj).ravel()
    cn = n * n + rn
    rows_a = np.concatenate([rn.reshape(n, n)[:, :-1].ravel(), cn.reshape(n, n)[:-1].ravel()])
    rows_b = np.concatenate([rn.reshape(n, n)[:, 1:].ravel(), cn.reshape(n, n)[1:].ravel()])
    a = np.concatenate([rows_a, rn])
    b = np.concatenate([rows_b, cn])
    w = np.concatenate([np.full(rows_a.size, gw), g.ravel()])
    size = 2 * n * n
    ends = np.concatenate([rn.reshape(n, n)[:, 0], cn.reshape(n, n)[-1]])
    r = np.concatenate([a, b, a, b, ends])
    c = np.concatenate([a, b, b, a, ends])
    d = np.concatenate([w, w, -w, -w, np.full(ends.size, gw)])
    return sp.csc_matrix((d, (r, c)), shape=(size, size)), ends[:n]


# -- workers (one contender, one size, in this process) --------------------------------------
def run_thermolearn(n: int, g: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, dict]:
    from thermolearn.crossbar.array_solver import CrossbarNetwork

    net = CrossbarNetwork(g, r_wire=R_WIRE, row_r_term=0.0, col_r_term=0.0)
    sol = net.solve(u, np.zeros(n))
    rep = net.last_report
    v = np.concatenate([sol.v_row.ravel(), sol.v_col.ravel()])
    assert rep is not None
    return v, {
        "kcl_residual": float(sol.kcl_residual.max()),
        "method": rep.method,
        "iterations": int(rep.iterations.max()),
    }


def run_splu(n: int, g: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, dict]:
    import scipy.sparse.linalg as spla

    a, row_ends = coo_matrix(g)
    rhs = np.zeros(a.shape[0])
    rhs[row_ends] = u / R_WIRE
    lu = spla.splu(a, permc_spec="MMD_AT_PLUS_A")
    v = lu.solve(rhs)
    return v, {"kcl_residual": float(np.abs(rhs - a @ v).max())}


def run_pardiso(n: int, g: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, dict]:
    import pypardiso

    a, row_ends = coo_matrix(g)
    rhs = np.zeros(a.shape[0])
    rhs[row_ends] = u / R_WIRE
    v = pypardiso.spsolve(a.tocsr(), rhs)
    return v, {"kcl_residual": float(np.abs(rhs - a @ v).max())}


def run_badcrossbar(n: int, g: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, dict]:
    import logging

    import badcrossbar

    logging.disable(logging.INFO)
    sol = badcrossbar.compute(u[:, None], 1.0 / g, r_i=R_WIRE)
    wl, bl = np.asarray(sol.voltages.word_line), np.asarray(sol.voltages.bit_line)
    v = np.concatenate(
        [wl.reshape(n, n, -1)[:, :, 0].ravel(), bl.reshape(n, n, -1)[:, :, 0].ravel()]
    )
    return v, {}


def _circuit(n: int, g: np.ndarray, u: np.ndarray):  # noqa: ANN202 - a thermolearn Circuit
    from thermolearn.circuit import Circuit

    c = Circuit(f"crossbar {n}x{n}")
    for i in range(n):
        c.add_vsource(f"Vr{i}", f"d{i}", "0", dc=float(u[i]))
        c.add_resistor(f"Rd{i}", f"d{i}", f"r{i}_0", R_WIRE)
    for j in range(n):
        c.add_resistor(f"Rg{j}", f"c{n - 1}_{j}", "0", R_WIRE)
    for i in range(n):
        for j in range(n):
            if j + 1 < n:
                c.add_resistor(f"Rr{i}_{j}", f"r{i}_{j}", f"r{i}_{j + 1}", R_WIRE)
            if i + 1 < n:
                c.add_resistor(f"Rc{i}_{j}", f"c{i}_{j}", f"c{i + 1}_{j}", R_WIRE)
            c.add_resistor(f"G{i}_{j}", f"r{i}_{j}", f"c{i}_{j}", float(1.0 / g[i, j]))
    return c


def _node_vector(n: int, volt) -> np.ndarray:  # noqa: ANN001
    rows = [volt(f"r{i}_{j}") for i in range(n) for j in range(n)]
    cols = [volt(f"c{i}_{j}") for i in range(n) for j in range(n)]
    return np.array(rows + cols)


def run_ngspice(n: int, g: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, dict]:
    from thermolearn.circuit import operating_point

    c = _circuit(n, g, u)  # building the Circuit is not timed (setup); export + ngspice is
    t0 = time.process_time()
    op = operating_point(c, engine="ngspice")
    cpu = time.process_time() - t0
    return _node_vector(n, op.v), {"cpu_override": cpu, "kcl_residual": op.residual}


def run_netlist(n: int, g: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, dict]:
    from thermolearn.circuit import export_netlist, operating_point, parse_netlist
    from thermolearn.circuit.spice.limits import NetlistLimits

    c = _circuit(n, g, u)
    t0 = time.process_time()
    text = export_netlist(c, ".op")
    t_export = time.process_time() - t0
    # the default caps (2 M elements, 128 M characters) refuse 1024 x 1024: raise them to fit
    big = NetlistLimits(
        max_elements=10 * n * n + 100,
        max_memory_bytes=64 * 1024**3,
        max_input_chars=max(len(text) + 1, 128 * 1024**2),
    )
    parsed = parse_netlist(text, limits=big)
    op = operating_point(parsed.circuit)
    cpu = time.process_time() - t0
    return _node_vector(n, op.v), {
        "cpu_override": cpu,
        "export_s": t_export,
        "kcl_residual": op.residual,
    }


WORKERS = {
    "thermolearn": run_thermolearn,
    "splu": run_splu,
    "pardiso": run_pardiso,
    "badcrossbar": run_badcrossbar,
    "ngspice": run_ngspice,
    "netlist": run_netlist,
}


#: modules each contender imports (loaded before the clock starts)
IMPORTS = {
    "thermolearn": ["thermolearn.crossbar.array_solver", "pyamg", "scipy.sparse.linalg"],
    "splu": ["scipy.sparse.linalg"],
    "pardiso": ["pypardiso"],
    "badcrossbar": ["badcrossbar"],
    "ngspice": ["thermolearn.circuit", "thermolearn.circuit.spice.runner"],
    "netlist": ["thermolearn.circuit"],
}


def worker(name: str, n: int, repeats: int, out: str) -> None:
    import importlib

    for mod in IMPORTS[name]:
        importlib.import_module(mod)
    if name == "ngspice":
        from thermolearn.circuit.spice.runner import available

        available()  # loads libngspice
    g, u = problem(n)
    times = []
    info: dict = {}
    v = np.zeros(0)
    for _ in range(repeats):
        t0 = time.process_time()
        v, info = WORKERS[name](n, g, u)
        times.append(info.pop("cpu_override", time.process_time() - t0))
    np.save(out, v)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(json.dumps({"times": times, "peak_gib": peak, **info}))


# -- batched reads -----------------------------------------------------------------------------
def reads_worker(name: str, n: int, batch: int, out: str) -> None:
    import importlib

    for mod in {"thermolearn": ["thermolearn.crossbar"]}.get(name, IMPORTS.get(name, [])):
        importlib.import_module(mod)
    rng = np.random.default_rng(7)
    g, _ = problem(n)
    x = rng.uniform(0.0, 0.2, (batch, n))
    t0 = time.process_time()
    if name == "thermolearn":
        from thermolearn.crossbar import CrossbarArray

        xb = CrossbarArray(n, n, r_wire=R_WIRE, g_min=1e-6, g_max=1e-4)
        xb.program_conductances(g, verify=False)
        xb.response()
        t1 = time.process_time()
        i_col = xb.read(x)
    elif name in ("splu", "pardiso"):
        a, row_ends = coo_matrix(g)
        col_ends = np.arange(2 * n * n - n, 2 * n * n)
        if name == "splu":
            import scipy.sparse.linalg as spla

            lu = spla.splu(a, permc_spec="MMD_AT_PLUS_A")
            solve = lu.solve
        else:
            import pypardiso

            a = a.tocsr()
            pypardiso.spsolve(a, np.zeros(a.shape[0]))  # factor (cached by pypardiso)

            def solve(rhs: np.ndarray) -> np.ndarray:
                return pypardiso.spsolve(a, rhs, squeeze=False)

        t1 = time.process_time()
        rhs = np.zeros((a.shape[0], batch))
        rhs[row_ends] = x.T / R_WIRE
        v = solve(rhs)
        i_col = (v[col_ends] / R_WIRE).T
    elif name == "badcrossbar":
        import logging

        import badcrossbar

        logging.disable(logging.INFO)
        t1 = time.process_time()  # no separate setup: compute() factors and solves
        sol = badcrossbar.compute(x.T, 1.0 / g, r_i=R_WIRE)
        i_col = sol.currents.output
    else:
        raise ValueError(name)
    t2 = time.process_time()
    np.save(out, np.asarray(i_col))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(json.dumps({"setup": t1 - t0, "batch": t2 - t1, "peak_gib": peak}))


# -- driver ------------------------------------------------------------------------------------
def _available(name: str) -> str | None:
    import importlib.util

    mod = {"pardiso": "pypardiso", "badcrossbar": "badcrossbar"}.get(name)
    if mod and importlib.util.find_spec(mod) is None:
        return "not installed"
    if name == "ngspice":
        from thermolearn.circuit.spice.runner import available

        ok, why = available()
        return None if ok else f"unavailable ({why})"
    return None


def _spawn(args: list[str], timeout: float) -> tuple[dict | None, str]:
    try:
        proc = subprocess.run(
            [sys.executable, __file__, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return None, f"> {timeout:.0f} s"
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        if proc.returncode < 0 or "MemoryError" in proc.stderr:
            return None, "out of memory"
        return None, f"failed: {tail[:60]}"
    return json.loads(proc.stdout.strip().splitlines()[-1]), ""


def table_voltages(sizes: list[int], args: argparse.Namespace) -> None:
    limits = {"ngspice": args.ngspice_max, "netlist": args.netlist_max, "splu": args.direct_max}
    print("\n## All node voltages of an N x N crossbar with line resistance")
    print(
        f"(r_wire = {R_WIRE} ohm; CPU s, median of {args.repeats}; ratio = contender / thermolearn)"
    )
    header = "| contender | " + " | ".join(f"{n}" for n in sizes) + " |"
    print(header)
    print("|---" * (len(sizes) + 1) + "|")
    tmp = tempfile.mkdtemp(prefix="bench_xbar_")
    ref_t: dict[int, float] = {}
    ref_v: dict[int, np.ndarray] = {}
    direct_v: dict[int, np.ndarray] = {}
    rows: dict[str, list[str]] = {}
    notes: list[str] = []
    for name in CONTENDERS:
        if name not in args.contenders:
            continue
        why = _available(name)
        cells = []
        for n in sizes:
            if why is not None:
                cells.append(why)
                continue
            if name in limits and n > limits[name]:
                cells.append("–")
                continue
            out = os.path.join(tmp, f"{name}_{n}.npy")
            reps = args.repeats if (n <= 256 or name == "thermolearn") else 1
            res, err = _spawn(["--worker", name, str(n), str(reps), out], args.timeout)
            if res is None:
                cells.append(err)
                continue
            t = statistics.median(res["times"])
            v = np.load(out)
            if name == "thermolearn":
                ref_t[n], ref_v[n] = t, v
                cell = f"{t:.3g} s ({res['peak_gib']:.2f} GB)"
                notes.append(
                    f"thermolearn {n}x{n}: {res['method']}, {res['iterations']} iterations, "
                    f"max KCL residual {res['kcl_residual']:.1e} A, peak {res['peak_gib']:.2f} GB"
                )
            else:
                if name == "splu":
                    direct_v[n] = v
                ratio = t / ref_t[n] if n in ref_t else float("nan")
                dv = float(np.max(np.abs(v - ref_v[n]))) if n in ref_v else float("nan")
                cell = f"{ratio:.3g}x ({res['peak_gib']:.2f} GB; ΔV {dv:.0e})"
                if name == "netlist":
                    notes.append(f"netlist {n}x{n}: export {res['export_s']:.2f} s of {t:.2f} s")
            cells.append(cell)
            print(f"  .. {name} {n}: {cell}", file=sys.stderr, flush=True)
        rows[name] = cells
        label = {
            "thermolearn": "thermolearn CrossbarNetwork (CPU s)",
            "splu": "scipy splu (MMD AᵀA)",
            "pardiso": "MKL PARDISO (pypardiso, 1 thread)",
            "badcrossbar": "badcrossbar 1.1",
            "ngspice": "ngspice (.op via shared lib)",
            "netlist": "thermolearn netlist → parse → MNA op",
        }[name]
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)
    for n in sizes:
        if n in direct_v and n in ref_v:
            notes.append(
                f"agreement thermolearn vs direct splu at {n}x{n}: max |ΔV| = "
                f"{float(np.max(np.abs(direct_v[n] - ref_v[n]))):.1e} V"
            )
    for line in notes:
        print(f"- {line}")


def table_reads(args: argparse.Namespace) -> None:
    n, batch = args.read_size, args.batch
    print(f"\n## {batch} batched reads on a {n} x {n} array with line resistance (column currents)")
    print(
        "| contender | setup (CPU s) | batch after setup (CPU s) | ratio (batch) "
        "| max abs ΔI (A) | peak |"
    )
    print("|---|---|---|---|---|---|")
    tmp = tempfile.mkdtemp(prefix="bench_reads_")
    ref: tuple[float, np.ndarray] | None = None
    for name in ("thermolearn", "splu", "pardiso", "badcrossbar"):
        why = _available(name)
        if why is not None:
            print(f"| {name} | {why} | | | | |")
            continue
        out = os.path.join(tmp, f"{name}.npy")
        res, err = _spawn(["--reads", name, str(n), str(batch), out], args.timeout)
        if res is None:
            print(f"| {name} | {err} | | | | |")
            continue
        cur = np.load(out)
        if ref is None:
            ref = (res["batch"], cur)
        ratio = res["batch"] / ref[0]
        di = float(np.max(np.abs(cur - ref[1])))
        print(
            f"| {name} | {res['setup']:.3g} | {res['batch']:.3g} | {ratio:.3g}x | {di:.1e} | "
            f"{res['peak_gib']:.2f} GB |",
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 256, 512, 1024])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="sizes 64 128 256")
    ap.add_argument("--huge", action="store_true", help="also 4096 x 4096 (thermolearn only)")
    ap.add_argument("--contenders", nargs="+", default=list(CONTENDERS))
    ap.add_argument("--ngspice-max", type=int, default=64)
    ap.add_argument("--netlist-max", type=int, default=1024)
    ap.add_argument("--direct-max", type=int, default=1024, help="largest size for plain splu")
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--read-size", type=int, default=256)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--no-reads", action="store_true")
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    ap.add_argument("--reads", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        name, n, reps, out = args.worker
        worker(name, int(n), int(reps), out)
        return
    if args.reads:
        name, n, batch, out = args.reads
        reads_worker(name, int(n), int(batch), out)
        return
    sizes = [64, 128, 256] if args.quick else list(args.sizes)
    with open("/proc/loadavg") as fh:
        load = fh.read().split()[0]
    print(
        f"machine: {os.cpu_count()} cores, load {load}; OPENBLAS/MKL threads "
        f"{os.environ['OPENBLAS_NUM_THREADS']}/{os.environ['MKL_NUM_THREADS']}"
    )
    table_voltages(sizes, args)
    if args.huge:
        huge = argparse.Namespace(**{**vars(args), "contenders": ["thermolearn"], "repeats": 1})
        table_voltages([4096], huge)
    if not args.no_reads:
        table_reads(args)


if __name__ == "__main__":
    main()
