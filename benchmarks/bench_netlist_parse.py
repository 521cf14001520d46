"""Parse time of a 128x128 crossbar netlist (issue 15: under 1 s) against ngspice's own parse.

The netlist is thermolearn's export of a 128x128 crossbar with line resistance (memristor cells
as their SPICE twins' DC form, row/column wire segments, drivers and TIAs): ~50k element lines.
thermolearn's ``parse_netlist`` is timed (best of 3) beside ngspice 39 reading the same text in
batch mode (``ngspice -b`` of the deck with ``.op`` removed: parse, flatten, set up, no solve),
when the ngspice program is present.

Run: ``PYTHONPATH=src python benchmarks/bench_netlist_parse.py [--size 128]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time

import numpy as np


def main() -> None:
    """Build, export, parse; print the timings."""
    from thermolearn.circuit.spice.export import export_netlist
    from thermolearn.circuit.spice.parser import parse_netlist
    from thermolearn.crossbar.array import CrossbarArray

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=128)
    args = ap.parse_args()
    n = args.size
    xb = CrossbarArray(n, n, rng=np.random.default_rng(0), r_wire=1.0)
    text = export_netlist(xb.to_circuit(np.full(n, 0.1)), ".op")
    lines = text.count("\n")
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        parsed = parse_netlist(text, source=f"crossbar{n}.cir")
        best = min(best, time.perf_counter() - t0)
    print(
        f"{n}x{n} crossbar netlist: {lines} lines, {len(parsed.circuit)} elements; "
        f"thermolearn parse_netlist {best:.3f} s (best of 3; target < 1 s)"
    )
    exe = shutil.which("ngspice")
    if exe:
        with tempfile.TemporaryDirectory() as tmp:
            deck = os.path.join(tmp, "deck.cir")
            with open(deck, "w", encoding="utf-8") as fh:
                fh.write(text.replace("\n.op\n", "\n"))
            t0 = time.perf_counter()
            subprocess.run([exe, "-b", deck], capture_output=True, check=False)  # noqa: S603
            t_ng = time.perf_counter() - t0
        print(f"ngspice 39 -b reading the same deck (no analysis): {t_ng:.3f} s")


if __name__ == "__main__":
    main()
