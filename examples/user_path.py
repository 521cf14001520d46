"""The user path in one page: build a crossbar, run it on both engines, train EP on it, read
the ledger (docs/getting-started.md shows this file; the docs build and the test suite run it).

Every number it prints is checked in the script itself against its reference: the crossbar's
column currents against I = G^T v (ideal wires) and against the same array solved as a Circuit
by both engines; the ledger's total against the sum of its categories.
"""

import numpy as np

import thermolearn as tl
from thermolearn.circuit.spice import runner
from thermolearn.devices import presets
from thermolearn.hardware import Wires

# 1. Build a crossbar: 4 x 3 memristors (the VTEAM device EP uses by default), on hardware with
#    2-ohm wire segments (IR drop: the currents fall below the ideal I = G^T v).
model = presets.get("vteam_linear").factory()
lo, hi = model.state_bounds
g = model.conductance(np.array([lo, hi]), 0.1)
hw = tl.Hardware(device=model, g_min=float(g.min()), g_max=float(g.max()),
                 wires=Wires(r_wire=2.0))
rng = np.random.default_rng(0)
xb = tl.CrossbarArray(4, 3, hw, rng=rng)
xb.program_conductances(rng.uniform(hw.g_min, hw.g_max, size=(4, 3)))
v = np.array([0.10, -0.05, 0.08, 0.02])
i_read = xb.read(v)[0]
i_ideal = v @ xb.conductances
print("read currents (A):     ", np.array2string(i_read, precision=6))
print("ideal I = G^T v (A):   ", np.array2string(i_ideal, precision=6))
dev = float(np.max(np.abs(i_read / i_ideal - 1)))
print(f"wire resistance (IR drop, sneak paths): up to {dev:.1%} off G^T v")

# 2. Run it on both engines: the same array as a Circuit, column currents = TIA branch currents.
circuit = xb.to_circuit(v)
cols = [f"VC{j}" for j in range(3)]
py = tl.operating_point(circuit, engine="python")
i_py = np.array([py.i(n) for n in cols])
print("python engine (A):     ", np.array2string(i_py, precision=6))
assert np.allclose(i_py, i_read, rtol=1e-9, atol=0), (i_py, i_read)
if runner.available()[0]:
    ng = tl.operating_point(circuit, engine="ngspice")
    i_ng = np.array([ng.i(n) for n in cols])
    dv = max(abs(py.v(n) - ng.v(n)) for n in circuit.nodes)
    print("ngspice engine (A):    ", np.array2string(i_ng, precision=6))
    print(f"python vs ngspice: node voltages within {dv:.1e} V, column currents within "
          f"{np.max(np.abs(i_ng / i_py - 1)):.1e} (relative)")
    assert dv < 1e-6 and np.allclose(i_ng, i_py, rtol=1e-6, atol=0)
else:
    print("ngspice engine: not installed here (", runner.available()[1], ")")

# 3. Train EP on crossbars you built: XOR, layers (2, 8, 2) -> crossbars (2n+2) x n_next.
# 150 epochs: at 60 the run ends at 0.50-1.00 train accuracy depending on the seed and the
# amplifier-noise draws (seeds 0-2 measured); at 150 seeds 0-3 all reach 1.00
cfg = tl.default_config("xor", epochs=150, seed=0)
sizes = (2, 8, 2)
hw_ep = tl.Hardware(device=model, g_min=float(g.min()), g_max=float(g.max()))  # ideal wires
mine = []
for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
    arr = tl.CrossbarArray(2 * a + 2, b, hw_ep, rng=np.random.default_rng(1 + k))
    # my initial weights: conductances uniform in [0.1, 0.6] g_max (programmed, energy booked)
    arr.program_conductances(arr.rng.uniform(0.1, 0.6, size=arr.shape) * hw_ep.g_max)
    mine.append(arr)
res = tl.run_training(cfg, crossbars=mine, progress=False)
print(f"EP on my crossbars: train accuracy {res.metrics['train_accuracy']:.2f} after "
      f"{cfg.epochs} epochs")

# 4. Read the ledger: every joule the simulated hardware dissipated, by category.
ledger = res.ledger
parts = ledger.breakdown()
for cat, joules in sorted(parts.items()):
    print(f"  {cat:<20s} {joules:.3e} J")
print(f"total {ledger.total():.3e} J = {ledger.total() / tl.landauer_limit(ledger.temperature):.2e}"
      f" x kT ln 2 at {ledger.temperature:g} K")
assert abs(sum(parts.values()) - ledger.total()) <= 1e-12 * ledger.total()
