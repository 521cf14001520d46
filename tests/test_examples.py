"""Every script in examples/ runs (STYLE.md: examples are executed in CI) and its output is right.

Each example runs in a fresh temporary working directory so that files it writes do not land
in the checkout. Its printed figures are then checked against the physics they claim, with the
tolerance stated beside each check (seeded runs, so the margins cover platform differences, not
luck): Landauer's ln 2, the second law, Kirchhoff's current law, engine agreement, exact
invertibility, learning that actually happened. A new example needs its own checker here.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.py"))
NUM = r"([-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?)"


def _f(pattern: str, text: str) -> float:
    m = re.search(pattern, text)
    assert m, f"output lacks {pattern!r}:\n{text}"
    return float(m.group(1))


def _all(pattern: str, text: str) -> list[tuple[str, ...]]:
    found = re.findall(pattern, text)
    assert found, f"output lacks {pattern!r}:\n{text}"
    return found


def check_active_inference_tmaze(out: str, tmp: Path) -> None:
    late = _f(r"trials 81-120 " + NUM + "%", out)
    early = _f(r"trials 1-20 " + NUM + "%", out)
    assert late >= 90 and late >= early  # the agent learned to read the cue
    left = _all(r"left arm \[" + NUM + " " + NUM + r"\]", out)[0]
    right = _all(r"right arm \[" + NUM + " " + NUM + r"\]", out)[0]
    # the rewarded arm of each context is learned (p > 0.8), the other stays below 0.5
    assert float(left[0]) > 0.8 and float(right[1]) > 0.8
    assert float(left[1]) < 0.5 and float(right[0]) < 0.5
    # on ideal crossbars the agent decides as the digital one and books its reads
    assert "same paths as the digital agent in 40 trials: True" in out
    assert _f(r"crossbar energy: " + NUM + " J", out) > 0


def check_circuit_two_engines(out: str, tmp: Path) -> None:
    assert _f(r"KCL residual " + NUM + " A", out) < 1e-12  # Kirchhoff to round-off
    if "ngspice agrees" in out:
        assert _f(r"max \|V_python - V_ngspice\| = " + NUM + " V", out) < 1e-9
        assert _f(r"max current difference " + NUM + " of the peak", out) < 1e-3
    assert "export->import->export identical: True" in out
    assert _f(r"max \|I - x G\| = " + NUM + " A", out) < 1e-15  # batched read = matvec
    assert _f(r"state: 0.50 -> max " + NUM, out) <= 1.0  # state stays in its bounds


def check_crossbar_design(out: str, tmp: Path) -> None:
    assert _f(r"matvec relative error vs x @ W.T: " + NUM, out) < 0.02  # finite levels + wires
    assert _f(r"rmatvec \(transposed read\) error: +" + NUM, out) < 0.02
    assert _f(r"fast solver vs Circuit engine, max \|dI\| = " + NUM + " A", out) < 1e-15
    rows = _all(r"(1R|1T1R) +(\d+)x\d+: IR error " + NUM + ", sneak error " + NUM, out)
    by_cell: dict[str, list[tuple[int, float, float]]] = {}
    for cell, n, ir, sneak in rows:
        by_cell.setdefault(cell, []).append((int(n), float(ir), float(sneak)))
    for pts in by_cell.values():  # IR drop grows with the line length (Chen 2013)
        irs = [ir for _, ir, _ in sorted(pts)]
        assert irs == sorted(irs)
    # floating-line reads: 1R is dominated by sneak paths (error > 100 %), 1T1R blocks them
    assert min(s for _, _, s in by_cell["1R"]) > 1.0
    assert max(s for _, _, s in by_cell["1T1R"]) < 0.1
    m = re.search(r"write-verify: (\d+)/(\d+) cells within 2 %", out)
    assert m and m.group(1) == m.group(2)


def check_device_iv(out: str, tmp: Path) -> None:
    if "python vs ngspice" in out:  # the SPICE twin matches the model (~1e-5 of peak)
        assert _f(r"current " + NUM + " of peak", out) < 1e-4
    lobe = _f(r"normalised lobe area: " + NUM, out)
    assert 0.05 < lobe < 1.0  # a pinched hysteresis loop, not a resistor
    x1 = _f(r"x 0.2 -> " + NUM, out)
    assert 0.2 < x1 <= 1.0  # a SET pulse moves the state up
    e = _f(r"energy " + NUM + " J", out)
    assert _f(r"'program': " + NUM, out) == pytest.approx(e, rel=1e-3)  # booked = measured
    assert (tmp / "device_iv.png").stat().st_size > 10_000


def check_ep_xor(out: str, tmp: Path) -> None:
    assert _f(r"XOR test accuracy " + NUM, out) == 1.0  # XOR is learned (seeded)
    total = _f(r"energy " + NUM + " J:", out)
    parts = [float(j) for j in re.findall(r"^\s+\w+\s+" + NUM + r" J  \((?:simulated|model)\)",
                                          out, flags=re.M)]
    assert len(parts) >= 4 and math.fsum(parts) == pytest.approx(total, rel=2e-3)
    v = [float(x) for x in re.findall(NUM, out.split("output voltages (V):")[1])]
    # rows are the four XOR inputs; the larger output voltage is the class 0,1,1,0
    assert [int(v[2 * k + 1] > v[2 * k]) for k in range(4)] == [0, 1, 1, 0]


def check_information_bits(out: str, tmp: Path) -> None:
    h_y = _f(r"H\(Y\) = " + NUM + " bit", out)
    for ity in re.findall(r"I\(T;Y\) = " + NUM + " bit", out):
        assert float(ity) <= h_y + 1e-9  # data processing: I(T;Y) <= H(Y)
    assert _f(r"EP on 800 digits, test accuracy " + NUM, out) > 0.5  # 10 classes: chance 0.1
    m = re.search(r"joules per learned bit: " + NUM + r" ([afpnµm]?)J/bit", out)
    assert m, out
    prefix = {"a": 1e-18, "f": 1e-15, "p": 1e-12, "n": 1e-9, "µ": 1e-6, "m": 1e-3, "": 1.0}
    jpb = float(m.group(1)) * prefix[m.group(2)]
    ratio = _f(r"= " + NUM + r" × kT ln 2", out)
    kt_ln2 = 1.380649e-23 * 300.0 * math.log(2)
    assert jpb / kt_ln2 == pytest.approx(ratio, rel=0.01)  # the ratio is the ratio


def check_landauer_erasure(out: str, tmp: Path) -> None:
    rows = re.findall(r"^\s+" + NUM + r"\s+" + NUM + "±" + NUM + r"\s+" + NUM + r"\s+" + NUM
                      + r"\s*$", out, flags=re.M)
    assert len(rows) >= 4
    for _tau, q, se, p, bound in rows:  # second law: <Q> >= ln 2 - H(P) within 3 SE
        assert float(q) >= float(bound) - 3 * float(se)
        assert float(p) > 0.99
    q_inf = _f(r"Q_inf = " + NUM + " ±", out)
    assert abs(q_inf - math.log(2)) < 0.08  # Bérut 2012: Q_inf -> kT ln 2 (here ±0.022)
    w_inf = _f(r"W_inf = " + NUM, out)
    assert abs(w_inf) < 0.1  # no erasure, no cost
    # SI conversion: Q_inf in J = Q_inf [kT] * kT at 300 K (Bérut-like units)
    assert _f(r"Q_inf = " + NUM + " J", out) == pytest.approx(
        q_inf * 1.380649e-23 * 300.0, rel=0.01)


def check_predictions_quick(out: str, tmp: Path) -> None:
    table = re.findall(r"^\s*(\d+)\s+" + NUM + r"\s+" + NUM + r"\s*$", out, flags=re.M)
    assert len(table) >= 3
    serial = [float(s) for _, s, _ in table]
    parallel = [float(p) for _, _, p in table]
    assert serial == sorted(serial) and serial[-1] > 2 * serial[0]  # serial grows with N
    assert max(parallel) - min(parallel) < 0.2  # parallel flat (kT per bit)
    assert min(parallel) > math.log(2) - 0.1  # nothing beats Landauer
    assert "Energy per update falls as ~1/τ" in out


def check_reversible_flow(out: str, tmp: Path) -> None:
    assert _f(r"max \|x - f\^-1\(f\(x\)\)\| = " + NUM, out) < 1e-12  # exact inverse
    rms = _f(r"read noise 1e-3: RMS error " + NUM, out)
    pred = _f(r"predicted " + NUM, out)
    assert rms == pytest.approx(pred, rel=0.25)  # linearised error propagation
    nll = _f(r"NLL after \d+ steps: " + NUM, out)
    assert 0 < nll < 3.0  # better than a broad Gaussian on two moons (~3.3 nats)


def check_user_path(out: str, tmp: Path) -> None:
    read = [float(x) for x in re.findall(NUM, out.split("read currents (A):")[1].split("\n")[0])]
    ideal = [float(x) for x in re.findall(NUM, out.split("G^T v (A):")[1].split("\n")[0])]
    assert len(read) == len(ideal) == 3 and read != ideal  # 2-ohm wires: IR drop shows
    assert _f(r"up to " + NUM + "% off G\\^T v", out) > 1.0
    if "python vs ngspice" in out:
        assert _f(r"node voltages within " + NUM + " V", out) < 1e-9
    assert _f(r"train accuracy " + NUM, out) == 1.0  # XOR learned: all 4 (seed 0, 150 epochs)
    parts = [float(j) for j in re.findall(r"^  \w+\s+" + NUM + " J$", out, flags=re.M)]
    total = _f(r"total " + NUM + " J", out)
    assert len(parts) >= 5 and math.fsum(parts) == pytest.approx(total, rel=2e-3)
    ratio = _f(r"J = " + NUM + " x kT ln 2", out)
    assert total / (1.380649e-23 * 300.0 * math.log(2)) == pytest.approx(ratio, rel=0.01)


CHECKS: dict[str, Callable[[str, Path], None]] = {
    name.removeprefix("check_"): fn for name, fn in globals().items()
    if name.startswith("check_") and callable(fn)
}


def test_every_example_has_a_checker():
    assert {p.stem for p in EXAMPLES} == set(CHECKS)


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_and_its_output_is_right(script: Path, tmp_path: Path) -> None:
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, (
        f"{script.name} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    )
    CHECKS[script.stem](proc.stdout, tmp_path)
