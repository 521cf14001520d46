"""thermolearn: thermodynamic learning on simulated analog hardware.

Memristor crossbars and analog circuits described once and run on two engines (a Python MNA
engine and ngspice), learning algorithms executed physically on them, and an energy ledger
that books every simulated joule so that runs report joules per learned bit against the
Landauer limit kT ln 2.

``import thermolearn`` is light: PySpice, matplotlib and dask are imported only when used.
"""

from thermolearn.energy import EnergyLedger
from thermolearn.errors import (
    ConvergenceError,
    NetlistError,
    ParameterError,
    SpiceError,
    ThermolearnError,
)
from thermolearn.physics import K_B, landauer_limit, thermal_energy

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "EnergyLedger",
    "ThermolearnError",
    "ParameterError",
    "ConvergenceError",
    "SpiceError",
    "NetlistError",
    "K_B",
    "landauer_limit",
    "thermal_energy",
]
