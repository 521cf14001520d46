"""Train XOR with equilibrium propagation on the physical circuit (diodes, amplifiers, crossbars).

Run: .venv/bin/python examples/ep_xor.py
"""

from __future__ import annotations

from thermolearn.experiments.ep_train import default_config, run_training

res = run_training(default_config("xor", seed=1), None, progress=False)
m = res.metrics
print(f"XOR test accuracy {m['test_accuracy']:.2f} after {m['epochs']} epochs")
print(f"energy {m['energy_joules']:.3e} J:")
for cat, j in m["energy_breakdown"].items():
    print(f"  {cat:18s} {j:.3e} J  ({m['energy_sources'][cat]})")
out = res.model.predict_voltages([[0, 0], [0, 1], [1, 0], [1, 1]])
print("output voltages (V):")
print(out.round(4))
assert m["test_accuracy"] == 1.0
