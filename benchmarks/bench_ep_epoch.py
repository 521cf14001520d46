"""EP circuit (digits, 64-128-10) on every solver, in one run: per-phase cost and epoch ratios.

Contenders for one phase (one sample's operating point of the physical EP circuit: Shockley
diodes, bidirectional VCVS/CCCS amplifiers, 1,426 MNA unknowns, ~20k elements):

* thermolearn MNA, compiled once (:func:`thermolearn.circuit.compile_circuit`): the circuit is
  built and compiled once; per phase only the input sources change (``operating_points``
  over the batch, one factor of the linear part shared, warm-started Newton);
* thermolearn MNA, rebuilt: ``operating_point(build_circuit(x))`` per sample (what
  ``EPCircuit.solve(solver="mna")`` did before the compiled API);
* ngspice: ``operating_point(build_circuit(x), engine="ngspice")`` (the exported netlist in
  ngspice through the shared library);
* the layer-wise solver (``EPCircuit.solve(solver="layerwise")``), per sample of a batch.

Then one epoch of training (free + two nudged phases per sample + updates) with the
layer-wise solver and with ``EPCircuit.gradients(solver="mna")`` as it is on this branch.
Agreement: max |ΔV| of every node of each phase against the rebuilt-circuit MNA engine.

Run:  OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_ep_epoch.py [--subset N]
CPU seconds (process time), medians of --repeats.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from thermolearn.circuit import compile_circuit, operating_point  # noqa: E402
from thermolearn.datasets import load  # noqa: E402
from thermolearn.experiments.ep_train import build_ep_network, default_config  # noqa: E402


def _cpu(fn, repeats: int) -> float:  # noqa: ANN001
    ts = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        ts.append(time.process_time() - t0)
    return statistics.median(ts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subset", type=int, default=8, help="samples for the per-phase timing")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--epoch-samples", type=int, default=0, help="0: the whole training set")
    ap.add_argument("--no-mna-epoch", action="store_true")
    args = ap.parse_args()
    cfg = default_config("digits")
    data = load("digits", seed=0)
    sizes = (64, *cfg.hidden, 10)
    net = build_ep_network(cfg, sizes, np.random.default_rng(0))[0]  # the training's circuit
    params = net.params
    names = net.node_names()
    x = data.x_train[: args.subset]
    tgt = net.targets(data.y_train[: args.subset])
    k = len(x)
    print(f"circuit {sizes}, batch {cfg.batch_size}; per-phase timing on {k} samples")

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

    # compiled once: one circuit per phase kind, inputs (and targets) as source values
    src = [f"vxp{i}" for i in range(sizes[0])] + [f"vxn{i}" for i in range(sizes[0])]
    a0 = params.input_amplitude
    vals = np.concatenate([a0 * x, -a0 * x], axis=1)
    t0 = time.process_time()
    free_c = compile_circuit(net.build_circuit(x[0]))
    plus_c = compile_circuit(net.build_circuit(x[0], beta=params.beta, target=tgt[0]))
    t_compile = time.process_time() - t0
    tnames = [f"vt{j}" for j in range(sizes[-1])]

    def compiled_phases() -> list[np.ndarray]:
        free = free_c.operating_points(src, vals)
        plus = plus_c.operating_points(src + tnames, np.concatenate([vals, tgt], axis=1))
        return [free.voltages(names), plus.voltages(names)]

    compiled_phases()  # the first call factors the linear parts (setup, like a weight update)
    t_comp = _cpu(compiled_phases, args.repeats) / (2 * k)
    fv, pv = compiled_phases()
    err_c = max(
        max(
            float(np.max(np.abs(fv[i] - ref[2 * i]))), float(np.max(np.abs(pv[i] - ref[2 * i + 1])))
        )
        for i in range(k)
    )

    # a weight update between batches: new conductances for every resistor, refactor
    rnames = [e.name for e in free_c.comp.by_kind["R"]]
    rvals = free_c.values[free_c.slots(rnames)]

    def update_and_phases() -> None:
        free_c.set_values(rnames, rvals * 1.0001)
        free_c.set_values(rnames, rvals)
        free_c.operating_points(src, vals)

    t_update = _cpu(update_and_phases, args.repeats) - t_comp * k

    # ngspice on the exported netlist
    t_ng = float("nan")
    err_ng = float("nan")
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

    # layer-wise solver, per sample of a batch (free + nudged)
    def layerwise() -> None:
        free = net.solve(x, solver="layerwise")
        net.solve(x, beta=params.beta, target=tgt, init=free.layers, solver="layerwise")

    t_lw = _cpu(layerwise, args.repeats) / (2 * k)

    print("\n## One EP phase (one sample's operating point), CPU s")
    print("| solver | per phase | ratio to ngspice | max abs ΔV vs MNA engine |")
    print("|---|---|---|---|")
    rows = [
        ("thermolearn MNA, compiled once (batched, warm start)", t_comp, err_c),
        ("thermolearn MNA, circuit rebuilt per phase", t_rebuilt, 0.0),
        ("ngspice (exported netlist, shared lib)", t_ng, err_ng),
        ("layer-wise solver (batched)", t_lw, float("nan")),
    ]
    for label, t, e in rows:
        print(f"| {label} | {t * 1e3:.2f} ms | {t / t_ng:.3g}x | {e:.1e} |")
    print(
        f"- ngspice per phase / compiled MNA per phase = {t_ng / t_comp:.1f} (target >= 10); "
        f"compile of the two phase circuits once {t_compile:.2f} s; a weight update (set_values "
        f"on {len(rnames)} resistors + refactor + W) costs {max(t_update, 0.0) * 1e3:.1f} ms"
    )

    # epochs
    n = len(data.y_train) if args.epoch_samples <= 0 else args.epoch_samples

    def epoch(solver: str) -> float:
        rng = np.random.default_rng(1)
        net_e = build_ep_network(cfg, sizes, np.random.default_rng(0))[0]
        perm = rng.permutation(len(data.y_train))[:n]
        t0 = time.process_time()
        for i in range(0, n, cfg.batch_size):
            idx = perm[i : i + cfg.batch_size]
            g, _ = net_e.gradients(data.x_train[idx], data.y_train[idx], solver=solver)
            net_e.apply_update(g, cfg.lr, rng)
        return time.process_time() - t0

    t_ep_lw = statistics.median(epoch("layerwise") for _ in range(args.repeats))
    print(f"\n## One EP epoch ({n} samples x 3 phases + updates), CPU s")
    print("| solver | epoch | ratio to layer-wise |")
    print("|---|---|---|")
    print(f"| layer-wise | {t_ep_lw:.2f} s | 1x |")
    if not args.no_mna_epoch:
        t_ep_mna = epoch("mna")
        print(
            f"| EPCircuit.gradients(solver='mna') | {t_ep_mna:.2f} s | {t_ep_mna / t_ep_lw:.3g}x |"
        )
    proj = 3 * n * t_comp + (n / cfg.batch_size) * max(t_update, 0.0)
    print(
        f"| compiled MNA phases alone (3 x {n} x {t_comp * 1e3:.2f} ms + one update per batch) "
        f"| {proj:.2f} s | {proj / t_ep_lw:.3g}x |"
    )


if __name__ == "__main__":
    main()
