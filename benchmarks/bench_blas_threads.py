"""BLAS threads of concurrent processes: why sweep and test workers cap theirs.

Two processes at once (what ``thermolearn ep benchmark --workers 2`` and ``pytest -n 2`` run on
a 2-core machine), each timing a dense symmetric eigen-decomposition of the EP settling check's
size (n = 266: MNIST-1D's 256 hidden + 10 output nodes, ``ep_physics.slowest_time_constant``)
and a 1,000 x 1,000 matrix product, first with each process's BLAS at its default thread count
(one per core) and then capped by :func:`thermolearn.sweeps.limit_blas_threads` at
``blas_threads_per_worker(2)``; then one timed process beside a process that keeps a core busy
with matrix products at its default threads (another worker), both ways; then one process
alone, both ways; then (``--ep``, the default) concurrent short EP training runs, both ways.

Run:  .venv/bin/python benchmarks/bench_blas_threads.py [--processes 2]
Wall seconds per call, median of the repeats of each process; the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import time


def _uncap() -> None:
    """Drop inherited thread variables (make bench sets 1) so "default" means the library's."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.pop(var, None)


def _work(capped: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    _uncap()
    if capped:
        from thermolearn.sweeps import limit_blas_threads

        limit_blas_threads(capped)
    import numpy as np
    from threadpoolctl import threadpool_info

    rng = np.random.default_rng(0)
    a = rng.random((266, 266))
    a = a @ a.T
    b = rng.random((1000, 1000))
    eig, mm = [], []
    for _ in range(12):
        t = time.perf_counter()
        np.linalg.eigvalsh(a)
        eig.append(time.perf_counter() - t)
    for _ in range(4):
        t = time.perf_counter()
        b @ b
        mm.append(time.perf_counter() - t)
    threads = sorted({p["num_threads"] for p in threadpool_info()})
    queue.put({"eigvalsh_266_s": statistics.median(eig), "matmul_1000_s": statistics.median(mm),
               "blas_threads": threads})


def _busy(seconds: float) -> None:
    """Another worker at its default BLAS threads: matrix products back to back."""
    _uncap()
    import numpy as np

    b = np.random.default_rng(1).random((600, 600))
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        b @ b


def _ep(capped: int, seed: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    _uncap()
    if capped:
        from thermolearn.sweeps import limit_blas_threads

        limit_blas_threads(capped)
    from thermolearn.experiments.ep_train import default_config, run_training

    cfg = default_config("mnist1d", seed=seed, device="ideal", epochs=1, n_train=512,
                         validation=1000)
    from threadpoolctl import threadpool_info

    t = time.perf_counter()
    run_training(cfg, progress=False)
    queue.put({"ep_run_s": time.perf_counter() - t,
               "blas_threads": sorted({p["num_threads"] for p in threadpool_info()})})


def run_ep(processes: int, capped: int) -> list[dict[str, float]]:
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_ep, args=(capped, s, q)) for s in range(processes)]
    for p in procs:
        p.start()
    out = [q.get() for _ in procs]
    for p in procs:
        p.join()
    return out


def run(processes: int, capped: int, busy: int = 0) -> list[dict[str, float]]:
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    hogs = [ctx.Process(target=_busy, args=(30.0,)) for _ in range(busy)]
    for h in hogs:
        h.start()
    procs = [ctx.Process(target=_work, args=(capped, q)) for _ in range(processes)]
    for p in procs:
        p.start()
    out = [q.get() for _ in procs]
    for p in procs:
        p.join()
    for h in hogs:
        h.terminate()
        h.join()
    return out


def main() -> None:
    from thermolearn.sweeps import blas_threads_per_worker

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--ep", action=argparse.BooleanOptionalAction, default=True,
                    help="also time concurrent EP runs (about a minute)")
    args = ap.parse_args()
    cap = blas_threads_per_worker(args.processes)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = f", load {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else ""
    print(f"cpus available: {cpus}{load}")
    cases = [(args.processes, 0, 0), (args.processes, cap, 0), (1, 0, args.processes - 1),
             (1, cap, args.processes - 1), (1, 0, 0), (1, cap, 0)]
    for n, c, busy in cases:
        res = run(n, c, busy)
        label = (f"{n} timed process(es) + {busy} busy BLAS worker(s), BLAS threads "
                 + ("default" if not c else f"capped at {c}"))
        print(label, json.dumps(res))
    if args.ep:
        for c in (0, cap):
            res = run_ep(args.processes, c)
            label = (f"{args.processes} concurrent EP runs (MNIST-1D, 512 images, 1 epoch, ideal "
                     "writes, preflight audit included), BLAS threads "
                     + ("default" if not c else f"capped at {c}"))
            print(label, json.dumps(res))


if __name__ == "__main__":
    main()
