"""Peak training memory (tracemalloc) of a RevNet classifier vs depth, reversible vs stored.

Run: .venv/bin/python benchmarks/bench_reversible_memory.py
"""

from __future__ import annotations

import sys

from thermolearn.algorithms.flows import training_peak_memory
from thermolearn.algorithms.reversible import SOFTWARE
from thermolearn.hardware import Hardware


def main() -> int:
    depths = [4, 8, 16, 32]
    for label, hw in (("float64 software", SOFTWARE), ("ideal crossbars", Hardware())):
        print(f"RevNet classifier (64 features, hidden 32, batch 256), {label}")
        print("depth  reversible_peak_kB  stored_activations_peak_kB")
        res = {}
        for d in depths:
            r = training_peak_memory(d, reversible=True, hardware=hw)
            s = training_peak_memory(d, reversible=False, hardware=hw)
            res[d] = (r, s)
            print(f"{d:5d}  {r / 1e3:18.1f}  {s / 1e3:26.1f}")
        g_rev = res[32][0] / res[4][0] - 1.0
        g_std = res[32][1] / res[4][1] - 1.0
        print(f"growth 4 -> 32: reversible {100 * g_rev:+.1f} %, stored {100 * g_std:+.1f} %\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
