"""Pinched I-V loop of a VTEAM memristor, Python vs its ngspice twin, and one SET pulse.

Run: python examples/device_iv.py   (writes device_iv.png in the current directory)
"""

from thermolearn.circuit.device_iv import simulate_iv
from thermolearn.circuit.spice import runner as ngspice
from thermolearn.devices import Pulse, compare, lobe_area, presets, program, sine_drive
from thermolearn.energy import EnergyLedger
from thermolearn.experiments.device_demo import plot_iv

model = presets.kvatinsky2015()  # VTEAM, linear R(x), Kvatinsky window
t, v = sine_drive(amplitude=0.5, frequency=1e3, periods=2)
results = {"python": simulate_iv(model, 0.5, t, v, "python")}
if ngspice.available()[0]:
    results["ngspice"] = simulate_iv(model, 0.5, t, v, "ngspice")
    dev = compare(results["python"], results["ngspice"], model)
    print(
        f"python vs ngspice: current {dev['current_rel']:.1e} of peak, state {dev['state_abs']:.1e}"
    )
print(f"normalised lobe area: {lobe_area(results['python']):.3f}")
plot_iv(results, "device_iv.png", "VTEAM, 0.5 V, 1 kHz")

ledger = EnergyLedger()
res = program(model, 0.2, Pulse(amplitude=1.0, width=1e-6, rise=10e-9, fall=10e-9), ledger=ledger)
print(f"SET pulse: x 0.2 -> {float(res.x_new):.3f}, energy {float(res.energy_joules):.3e} J")
print("ledger:", ledger.breakdown())
