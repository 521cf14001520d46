"""Landauer erasure of one bit in a simulated double well (Bérut et al., Nature 2012).

Runs the four-quarter erasure cycle (lower barrier, tilt, raise, untilt) for a few cycle
times with the overdamped Langevin engine, fits <Q> = Q_inf + B/tau, and compares with
kT ln 2. A small run (about 10 s); `thermolearn erase --full --out DIR` does the full one.
"""

from __future__ import annotations

import numpy as np

from thermolearn.physics import LN2
from thermolearn.stochastic.erasure import ErasureProtocol, erasure_sweep
from thermolearn.stochastic.langevin import berut_units

rng = np.random.default_rng(2012)
sweep = erasure_sweep(ErasureProtocol(barrier=10.0, tilt=5.0), [4.0, 8.0, 16.0, 32.0, 64.0],
                      1500, rng, threads=2)
units = berut_units()
print(" tau/tau0   <Q>/kT        P       bound/kT")
for r in sweep.runs:
    print(f"{r.tau:8.1f}  {r.mean_heat:.3f}±{r.se_heat:.3f}  {r.success:.4f}  {r.bound:.4f}")
print(f"fit: Q_inf = {sweep.q_inf:.3f} ± {sweep.q_inf_se:.3f} kT  (ln 2 = {LN2:.3f})")
print(f"control (no tilt): W_inf = {sweep.w_inf_control:.3f} ± {sweep.w_inf_control_se:.3f} kT")
print(f"in Bérut-like units: tau0 = {units.tau0:.2f} s, Q_inf = "
      f"{float(units.energy_si(sweep.q_inf)):.3e} J")
assert all(r.mean_heat > r.bound for r in sweep.runs)
