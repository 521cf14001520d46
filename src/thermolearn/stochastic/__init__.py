"""Stochastic thermodynamics on a simulated Langevin particle.

:mod:`~thermolearn.stochastic.langevin` (engine, Sekimoto work and heat, natural units),
:mod:`~thermolearn.stochastic.potentials` (time-dependent polynomial potentials),
:mod:`~thermolearn.stochastic.erasure` (Landauer erasure after Bérut et al. 2012),
:mod:`~thermolearn.stochastic.szilard` (Szilard engine with a noisy demon, Sagawa–Ueda),
:mod:`~thermolearn.stochastic.jarzynski` (Jarzynski equality, equilibrium checks).
"""

from thermolearn.stochastic.langevin import (
    LangevinResult,
    NaturalUnits,
    berut_units,
    equilibrium_sample,
    free_energy,
    simulate,
)
from thermolearn.stochastic.potentials import (
    PolynomialPotential,
    Schedule,
    double_well,
    harmonic_trap,
)

__all__ = [
    "LangevinResult",
    "NaturalUnits",
    "PolynomialPotential",
    "Schedule",
    "berut_units",
    "double_well",
    "equilibrium_sample",
    "free_energy",
    "harmonic_trap",
    "simulate",
]
