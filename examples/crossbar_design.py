"""Design a memristor crossbar: VMM accuracy, sneak paths, energy, programming with V/3.

Run:  .venv/bin/python examples/crossbar_design.py
"""

from __future__ import annotations

import numpy as np

from thermolearn.circuit import operating_point
from thermolearn.crossbar import CrossbarArray, SignedCrossbarLayer
from thermolearn.crossbar.programming import write_verify
from thermolearn.devices import VTEAM
from thermolearn.experiments.design_study import run_design_sweep

rng = np.random.default_rng(0)

# 1. A signed 8x16 layer on two 16x8 arrays with 2 ohm per wire segment and 8-bit levels.
W = rng.normal(size=(8, 16))
layer = SignedCrossbarLayer(W, r_wire=2.0, levels=256, rng=rng)
x = rng.uniform(-1, 1, (4, 16))
y = layer.matvec(x)
print(
    f"matvec relative error vs x @ W.T: {np.linalg.norm(y - x @ W.T) / np.linalg.norm(x @ W.T):.3e}"
)
print(
    f"rmatvec (transposed read) error:   "
    f"{np.linalg.norm(layer.rmatvec(y) - y @ W) / np.linalg.norm(y @ W):.3e}"
)
print("energy by category (J):", {k: f"{v:.3e}" for k, v in layer.ledger.breakdown().items()})

# 2. The same array as a Circuit: the general MNA engine agrees with the fast solver.
xb = CrossbarArray(4, 4, r_wire=2.0, r_driver=10.0, rng=rng)
xb.program_conductances(rng.uniform(1e-6, 1e-4, (4, 4)))
v = rng.uniform(0, 0.2, 4)
op = operating_point(xb.to_circuit(v))
fast = xb.read(v)[0]
ckt = np.array([op.currents[f"VC{j}"] for j in range(4)])
print(f"fast solver vs Circuit engine, max |dI| = {np.max(np.abs(fast - ckt)):.2e} A")

# 3. Sweep size and wire resistance (JSON + plots in runs/crossbar_design).
res = run_design_sweep(
    [(8, 8), (16, 16), (32, 32)],
    [0.0, 1.0, 4.0],
    cells=("1R", "1T1R"),
    vectors=4,
    out_dir="runs/crossbar_design",
)
for p in res["points"]:
    if p["r_wire"] == 4.0:
        print(
            f"{p['cell']:5s} {p['rows']}x{p['cols']}: IR error {p['ir_drop_error']:.2e}, "
            f"sneak error {p['sneak_path_error']:.2e}, {p['energy_per_mac']:.2e} J/MAC"
        )

# 4. Write-verify on a VTEAM array with the V/3 scheme (no half-select disturb below 0.3 V).
vt = CrossbarArray(3, 3, device=VTEAM(), g_min=1e-3, g_max=2e-2, v_read=0.1)
targets = rng.uniform(2e-3, 1.5e-2, (3, 3))
wv = write_verify(vt, targets, v_set=-0.8, v_reset=0.8, width=2e-6, scheme="v/3")
print(
    f"write-verify: {int(wv.converged.sum())}/9 cells within 2 %, {int(wv.pulses.sum())} pulses, "
    f"{wv.energy:.3e} J, largest disturb {wv.disturb.max():.1e}"
)
