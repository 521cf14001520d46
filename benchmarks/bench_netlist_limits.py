"""Benchmark: how fast hostile netlists are refused (prints its measurements; no asserts).

Issue 18's target: the ten-fold fan-out netlist (9 levels, 116 lines, 10^9 elements) is refused
in under 2 s with a message naming the element count; every hostile input ends in a
NetlistError within seconds. Each case is parsed in this process with the default caps
(``thermolearn.circuit.spice.limits.NetlistLimits``); the time is the best of 3 and the peak
RSS growth of the whole run is printed at the end.

Run:  OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_netlist_limits.py   (~10 s)
"""

from __future__ import annotations

import resource
import time

from thermolearn.circuit.spice.parser import parse_netlist
from thermolearn.errors import NetlistError


def fanout(levels: int, k: int) -> str:
    lines = ["* fan-out", ".subckt l0 a b", "R1 a b 1k", ".ends"]
    for lv in range(1, levels + 1):
        lines += [f".subckt l{lv} a b", *[f"X{i} a b l{lv - 1}" for i in range(k)], ".ends"]
    return "\n".join([*lines, "V1 in 0 1", f"X1 in 0 l{levels}", ".op", ".end"]) + "\n"


CASES = {
    "fan-out 10^9 (9 levels x 10, 116 lines)": fanout(9, 10),
    "fan-out 12^12 (12 levels x 12)": fanout(12, 12),
    "recursive subcircuits (a -> b -> a)": (
        "t\n.subckt a p q\nXb p q b\n.ends\n.subckt b p q\nXa p q a\n.ends\nX1 1 0 a\n.end\n"
    ),
    "parentheses nested 5,000 deep": "t\nB1 a 0 I=" + "(" * 5000 + "1" + ")" * 5000 + "\n.end\n",
    "5,000 unary minus signs": "t\nB1 a 0 I=" + "-" * 5000 + "1\nR1 a 0 1\n.end\n",
    "sum of 100,000 terms": "t\nB1 a 0 I=" + "+".join(["V(a)"] * 100_000) + "\n.end\n",
    ".func doubling, 2^19 terms inline": (
        "t\n.func f0(x) = x\n"
        + "".join(f".func f{i}(x) = f{i - 1}(x)+f{i - 1}(x)\n" for i in range(1, 20))
        + "B1 a 0 I=f19(V(a))\nR1 a 0 1\n.end\n"
    ),
    "number with 200,000 digits": "t\nR1 a 0 " + "9" * 200_000 + "\n.end\n",
    "exponent 1e999999999999": "t\nR1 a 0 1e999999999999\n.end\n",
    "line of 3 MB (1.5 M tokens)": "t\nR1 a 0 1 " + "x " * 1_500_000 + "\n.end\n",
    "line of 20 MB (10 M tokens)": "t\nR1 a 0 1 " + "x " * 10_000_000 + "\n.end\n",
    "binary garbage (64 kB, latin-1)": bytes(range(256)).decode("latin-1") * 256,
    ".include /dev/zero": "t\n.include /dev/zero\n.end\n",
}


def main() -> None:
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{'case':44s} {'best of 3':>10s}  outcome")
    for name, text in CASES.items():
        best = float("inf")
        outcome = ""
        for _ in range(3):
            t0 = time.perf_counter()
            try:
                parse_netlist(text, source="bench.cir")
                outcome = "parsed"
            except NetlistError as exc:
                outcome = "NetlistError: " + str(exc)[:90]
            best = min(best, time.perf_counter() - t0)
        print(f"{name:44s} {best * 1e3:8.1f} ms  {outcome}")
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS growth over all cases: {(rss1 - rss0) / 1024:.0f} MB")


if __name__ == "__main__":
    main()
