"""Device-layer speed: vectorised state updates and one sine transient per engine."""

import time

import numpy as np

from thermolearn.circuit.device_iv import simulate_iv
from thermolearn.circuit.spice import runner as ngspice
from thermolearn.devices import Pulse, presets, program, sine_drive

for name in presets.CATALOGUE:
    m = presets.get(name).factory()
    lo, hi = m.state_bounds
    x = np.linspace(lo, hi, 1_000_000)
    t0 = time.perf_counter()
    m.step(0.3 * presets.get(name).amplitude, x, 1e-9)
    dt = time.perf_counter() - t0
    print(
        f"{name:18s} RK4 step on 1e6 devices: {dt * 1e3:7.1f} ms ({dt / 1e6 * 1e9:.1f} ns/device)"
    )

m = presets.kvatinsky2015()
t0 = time.perf_counter()
program(m, np.full(65536, 0.5), Pulse(0.8, 1e-6), dt=1e-8)
print(f"program() 1 pulse (100 steps) on a 256x256 array: {time.perf_counter() - t0:.2f} s")

e = presets.get("yakopcic")
t, v = sine_drive(e.amplitude, e.frequencies[0], 2, 400)
for eng in ("python", "ngspice") if ngspice.available()[0] else ("python",):
    t0 = time.perf_counter()
    r = simulate_iv(e.factory(), e.x0, t, v, eng, max_step=t[-1] / 20000)
    print(
        f"yakopcic 2-period transient, 20000 max steps, {eng}: {time.perf_counter() - t0:.2f} s "
        f"({r.time.size} points)"
    )
