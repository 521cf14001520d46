"""One circuit, two engines: a 1S1R memristor crossbar solved by the Python MNA engine and
by ngspice, a netlist round trip, a memristor transient, and a batched read.

Run: .venv/bin/python examples/circuit_two_engines.py
"""

from __future__ import annotations

import numpy as np

from thermolearn.circuit import (
    Circuit,
    LinearSolver,
    Sine,
    export_netlist,
    operating_point,
    parse_netlist,
    transient,
)
from thermolearn.circuit.spice import runner as ngspice
from thermolearn.devices import LinearIonDrift, LinearIonDriftParams
from thermolearn.devices.selector import SelectorParams

rng = np.random.default_rng(7)
ROWS, COLS, R_WIRE = 8, 8, 2.0

# --- a 1S1R crossbar with line resistance ------------------------------------------------
c = Circuit("8x8 1S1R crossbar")
sel = SelectorParams(i0=1e-7, v0=0.15)
for i in range(ROWS):
    c.add_vsource(f"Vrow{i}", f"r{i}_0", "0", dc=float(rng.uniform(0.0, 1.0)))
for j in range(COLS):
    # virtual-ground readout: the SPICE branch current of Vcol is the column current
    c.add_vsource(f"Vcol{j}", f"c{ROWS - 1}_{j}", "0", dc=0.0)
for i in range(ROWS):
    for j in range(COLS):
        if j + 1 < COLS:
            c.add_resistor(f"Rwr{i}_{j}", f"r{i}_{j}", f"r{i}_{j + 1}", R_WIRE)
        if i + 1 < ROWS:
            c.add_resistor(f"Rwc{i}_{j}", f"c{i}_{j}", f"c{i + 1}_{j}", R_WIRE)
        c.add_selector(f"Ys{i}_{j}", f"r{i}_{j}", f"m{i}_{j}", sel)
        c.add_resistor(f"Rcell{i}_{j}", f"m{i}_{j}", f"c{i}_{j}", float(rng.uniform(1e4, 1e6)))

py = operating_point(c, engine="python")
i_cols = np.array([py.i(f"Vcol{j}") for j in range(COLS)])
print(f"{c}: Newton iterations {py.iterations}, KCL residual {py.residual:.1e} A")
print("column currents (uA):", np.round(i_cols * 1e6, 4))

ok, why = ngspice.available()
if ok:
    ng = operating_point(c, engine="ngspice")
    dv = max(abs(py.voltages[k] - ng.voltages[k]) for k in py.voltages)
    print(f"ngspice agrees: max |V_python - V_ngspice| = {dv:.2e} V over {len(py.voltages)} nodes")
else:
    print("ngspice not available:", why)

# --- export, import, export: the same text ---------------------------------------------------
text = export_netlist(c, ".op")
again = export_netlist(parse_netlist(text, source="crossbar.cir").circuit, ".op")
print(f"netlist: {len(text.splitlines())} lines; export->import->export identical: {text == again}")

# --- a memristor transient ----------------------------------------------------------------
m = LinearIonDrift(LinearIonDriftParams())
t = Circuit("memristor under a sine drive")
t.add_vsource("V1", "in", "0", waveform=Sine(vo=0.0, va=1.0, freq=1.0))
t.add_resistor("R1", "in", "a", 100.0)
t.add_memristor("M1", "a", "0", m, 0.5)
tr = transient(t, 1.0, 2e-3, method="trap")
print(
    f"memristor state: {tr.states['M1'][0]:.2f} -> max {tr.states['M1'].max():.3f}; "
    f"peak current {np.max(np.abs(tr.i('M1'))) * 1e3:.3f} mA"
)
if ok:
    tn = transient(t, 1.0, 2e-3, engine="ngspice")
    dev = np.max(np.abs(tr.i("M1") - np.interp(tr.time, tn.time, tn.i("M1"))))
    print(
        f"ngspice transient: max current difference {dev / np.max(np.abs(tr.i('M1'))):.2e}"
        " of the peak"
    )

# --- factor once, solve many (a resistive 1R array) -------------------------------------
lin = Circuit("8x8 1R")
for i in range(ROWS):
    lin.add_vsource(f"Vrow{i}", f"r{i}", "0")
for j in range(COLS):
    lin.add_vsource(f"Vcol{j}", f"c{j}", "0")
g = rng.uniform(1e-6, 1e-4, size=(ROWS, COLS))
for i in range(ROWS):
    for j in range(COLS):
        lin.add_resistor(f"R{i}_{j}", f"r{i}", f"c{j}", float(1 / g[i, j]))
solver = LinearSolver(lin, sources=[f"Vrow{i}" for i in range(ROWS)])
x = rng.uniform(0, 0.2, size=(1000, ROWS))
i_out = solver.solve(x, outputs=[f"Vcol{j}" for j in range(COLS)])
print(f"batched read of 1000 vectors: max |I - x G| = {np.max(np.abs(i_out - x @ g)):.1e} A")
