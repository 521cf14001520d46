"""EP circuit (digits, 64-128-10) on every solver, in one run: per-phase cost and epoch ratios.

Contenders for one phase (one sample's operating point of the physical EP circuit: Shockley
diodes, bidirectional VCVS/CCCS amplifiers, 1,938 MNA unknowns, ~20k elements):

* ``EPCircuit.solve(solver="mna")``: the circuit of ``build_circuit`` compiled once per phase
  kind (:func:`thermolearn.circuit.compile_circuit`), weights and inputs altered in place, one
  batched Newton per phase over the mini-batch (nudged phases started from the free ones);
* thermolearn MNA, rebuilt: ``operating_point(build_circuit(x))`` per sample (what
  ``solver="mna"`` did before the compiled path);
* ngspice: ``operating_point(build_circuit(x), engine="ngspice")`` (the exported netlist in
  ngspice through the shared library);
* the layer-wise solver (``EPCircuit.solve(solver="layerwise")``) on the same batch.

Then epochs of training (free + two nudged phases per sample + one update per mini-batch,
``EPCircuit.gradients``) with the layer-wise solver and with ``solver="mna"``: the first MNA
epoch includes compiling the three phase circuits, the second runs on the compiled ones.
Agreement: max |ΔV| of every solved node against the rebuilt-circuit MNA engine.

Run:  OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_ep_epoch.py [--breakdown]
CPU seconds (process time), medians of --repeats; the load average is printed with them.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from thermolearn.circuit import operating_point  # noqa: E402
from thermolearn.datasets import load  # noqa: E402
from thermolearn.experiments.ep_train import build_ep_network, default_config  # noqa: E402


def _cpu(fn, repeats: int) -> float:  # noqa: ANN001
    ts = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        ts.append(time.process_time() - t0)
    return statistics.median(ts)


def main() -> None:  # noqa: C901, PLR0915
    ap = argparse.ArgumentParser()
    ap.add_argument("--subset", type=int, default=8, help="samples for the rebuilt/ngspice phases")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--epoch-samples", type=int, default=0, help="0: the whole training set")
    ap.add_argument("--no-ngspice", action="store_true")
    ap.add_argument("--breakdown", action="store_true", help="profile one steady MNA epoch")
    args = ap.parse_args()
    cfg = default_config("digits")
    data = load("digits", seed=0)
    sizes = (64, *cfg.hidden, 10)
    net = build_ep_network(cfg, sizes, np.random.default_rng(0))[0]  # the training's circuit
    params = net.params
    names = net.node_names()
    bs = cfg.batch_size
    xb = data.x_train[:bs]
    tb = net.targets(data.y_train[:bs])
    k = args.subset
    x, tgt = xb[:k], tb[:k]
    print(
        f"circuit {sizes}, mini-batch {bs}; load average {os.getloadavg()[0]:.1f} "
        f"(2 cores shared); CPU seconds, medians of {args.repeats}"
    )

    # reference: the general engine on a rebuilt circuit, free and nudged phases
    def rebuilt() -> list[np.ndarray]:
        out = []
        for i in range(k):
            for beta, t in ((0.0, None), (params.beta, tgt[i])):
                op = operating_point(net.build_circuit(x[i], beta=beta, target=t))
                out.append(np.array([op.v(n) for n in names]))
        return out

    t_rebuilt = _cpu(rebuilt, 1) / (2 * k)
    ref = rebuilt()

    # EPCircuit.solve(solver="mna") on the mini-batch: compile (first call), then phases
    t0 = time.process_time()
    free = net.solve(xb, solver="mna")
    net.solve(xb, beta=params.beta, target=tb, init=free.layers, solver="mna")
    net.solve(xb, beta=-params.beta, target=tb, init=free.layers, solver="mna")
    t_first = time.process_time() - t0

    def mna_phases() -> tuple[np.ndarray, np.ndarray]:
        f = net.solve(xb, solver="mna")
        p = net.solve(xb, beta=params.beta, target=tb, init=f.layers, solver="mna")
        return np.concatenate(f.layers, axis=1), np.concatenate(p.layers, axis=1)

    t_mna = _cpu(mna_phases, args.repeats) / (2 * bs)
    fv, pv = mna_phases()
    err_c = max(
        max(
            float(np.max(np.abs(fv[i] - ref[2 * i]))), float(np.max(np.abs(pv[i] - ref[2 * i + 1])))
        )
        for i in range(k)
    )

    # a weight update between mini-batches: every conductance changes, the three phase
    # circuits are altered, refactored and reduced again on their next solve. Measured as
    # (update + three phases) - (three phases), the weights alternating between two values.
    w0 = [w.copy() for w in net.weights]
    w1 = [w * (1.0 + 1e-4) for w in w0]
    flip = [0]

    def three_phases() -> None:
        f = net.solve(xb, solver="mna")
        net.solve(xb, beta=params.beta, target=tb, init=f.layers, solver="mna")
        net.solve(xb, beta=-params.beta, target=tb, init=f.layers, solver="mna")

    def update_and_phases() -> None:
        flip[0] ^= 1
        net.weights = [w.copy() for w in (w1 if flip[0] else w0)]
        net._refresh()
        three_phases()

    reps = max(args.repeats, 5)
    t_three = _cpu(three_phases, reps)
    t_update = _cpu(update_and_phases, reps) - t_three
    net.weights = [w.copy() for w in w0]
    net._refresh()

    # ngspice on the exported netlist
    t_ng = float("nan")
    err_ng = float("nan")
    if not args.no_ngspice:
        try:
            from thermolearn.circuit.spice.runner import available

            ok, why = available()
            if not ok:
                raise ImportError(why)

            def ngspice() -> list[np.ndarray]:
                out = []
                for i in range(k):
                    for beta, t in ((0.0, None), (params.beta, tgt[i])):
                        c = net.build_circuit(x[i], beta=beta, target=t)
                        op = operating_point(c, engine="ngspice")
                        out.append(np.array([op.v(n) for n in names]))
                return out

            ngspice()  # load the library
            t_ng = _cpu(ngspice, 1) / (2 * k)
            ng = ngspice()
            err_ng = max(float(np.max(np.abs(ng[j] - ref[j]))) for j in range(2 * k))
        except ImportError as exc:
            print(f"ngspice: unavailable ({exc})")

    def layerwise() -> None:
        f = net.solve(xb, solver="layerwise")
        net.solve(xb, beta=params.beta, target=tb, init=f.layers, solver="layerwise")

    t_lw = _cpu(layerwise, args.repeats) / (2 * bs)

    print("\n## One EP phase (one sample's operating point), CPU s")
    print("| solver | per phase | ratio to ngspice | max abs ΔV vs rebuilt MNA |")
    print("|---|---|---|---|")
    rows = [
        ("EPCircuit.solve(solver='mna'): compiled, batched, warm start", t_mna, err_c),
        ("thermolearn MNA, circuit rebuilt per phase", t_rebuilt, 0.0),
        ("ngspice (exported netlist, shared lib)", t_ng, err_ng),
        ("layer-wise solver (batched)", t_lw, float("nan")),
    ]
    for label, t, e in rows:
        print(f"| {label} | {t * 1e3:.3f} ms | {t / t_ng:.3g}x | {e:.1e} |")
    print(
        f"- ngspice per phase / compiled MNA per phase = {t_ng / t_mna:.0f} (target >= 10); "
        f"first solve of the three phases (compile + factor) {t_first:.2f} s; a weight update "
        f"(alter {sum(w.size for w in w0)} resistors in 3 circuits, refactor, reduce) costs "
        f"{max(t_update, 0.0) * 1e3:.1f} ms per mini-batch"
    )

    # epochs
    n = len(data.y_train) if args.epoch_samples <= 0 else args.epoch_samples

    def epochs(solver: str, count: int) -> list[float]:
        rng = np.random.default_rng(1)
        net_e = build_ep_network(cfg, sizes, np.random.default_rng(0))[0]
        out = []
        for _ in range(count):
            perm = rng.permutation(len(data.y_train))[:n]
            t0 = time.process_time()
            for i in range(0, n, bs):
                idx = perm[i : i + bs]
                g, _ = net_e.gradients(data.x_train[idx], data.y_train[idx], solver=solver)
                net_e.apply_update(g, cfg.lr, rng)
            out.append(time.process_time() - t0)
        return out

    # interleaved, so that the other users' load changes hit both solvers alike
    lw, mn = [], []
    for _ in range(args.repeats):
        lw.append(epochs("layerwise", 2))
        mn.append(epochs("mna", 2))
    t_lw1 = statistics.median(t[0] for t in lw)
    t_lw2 = statistics.median(t[1] for t in lw)
    t_mn1 = statistics.median(t[0] for t in mn)
    t_mn2 = statistics.median(t[1] for t in mn)
    r2 = sorted(m[1] / w[1] for m, w in zip(mn, lw, strict=True))
    print(f"\n## One EP epoch ({n} samples x 3 phases + {-(-n // bs)} updates), CPU s")
    print("| solver | epoch | ratio to layer-wise |")
    print("|---|---|---|")
    print(f"| layer-wise, first epoch | {t_lw1:.3f} s | 1x |")
    print(f"| layer-wise, second epoch | {t_lw2:.3f} s | 1x |")
    print(
        f"| solver='mna', first epoch (compiles the 3 phase circuits) | {t_mn1:.3f} s | "
        f"{t_mn1 / t_lw1:.2f}x |"
    )
    print(f"| solver='mna', second epoch (compiled) | {t_mn2:.3f} s | {t_mn2 / t_lw2:.2f}x |")
    print(
        f"- second-epoch ratio per interleaved repeat: {', '.join(f'{r:.2f}' for r in r2)}; "
        f"load average now {os.getloadavg()[0]:.1f}"
    )

    if args.breakdown:
        rng = np.random.default_rng(1)
        net_e = build_ep_network(cfg, sizes, np.random.default_rng(0))[0]
        perm = rng.permutation(len(data.y_train))[:n]
        net_e.gradients(data.x_train[perm[:bs]], data.y_train[perm[:bs]], solver="mna")
        pr = cProfile.Profile()
        pr.enable()
        for i in range(0, n, bs):
            idx = perm[i : i + bs]
            g, _ = net_e.gradients(data.x_train[idx], data.y_train[idx], solver="mna")
            net_e.apply_update(g, cfg.lr, rng)
        pr.disable()
        st = pstats.Stats(pr)
        total = sum(v[2] for v in st.stats.values())  # type: ignore[attr-defined]
        cum = {}
        for (file, _line, fn), v in st.stats.items():  # type: ignore[attr-defined]
            cum[(os.path.basename(file), fn)] = cum.get((os.path.basename(file), fn), 0.0) + v[3]
        whole = cum.get(("ep_circuit.py", "gradients"), total)
        print("\n## Where a compiled MNA epoch goes (cProfile, share of EPCircuit.gradients)")
        print("| part | share |")
        print("|---|---|")
        parts = [
            ("weight updates: alter, refactor, W = A^-1 E_N, reduce (_prepare)", "_prepare"),
            ("  sparse LU (_factor)", "_factor"),
            ("  reduced matrix on F + hubs, hub columns (_hub_setup)", "_hub_setup"),
            ("block solves with the factor: W, hub columns, y per sample (_solve)", "_solve"),
            ("batched Newton (_newton_batched)", "_newton_batched"),
            ("KCL residual of every sample (_residual)", "_residual"),
            ("diode law, Wright omega (all callers)", "wright_omega"),
        ]
        for label, fn in parts:
            t = sum(v for (_f, name), v in cum.items() if name == fn)
            print(f"| {label} | {t / whole:.0%} |")


if __name__ == "__main__":
    main()
