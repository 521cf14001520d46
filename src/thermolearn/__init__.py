"""thermolearn: thermodynamic learning on simulated analog hardware.

Memristor crossbars and analog circuits described once and run on two engines (a Python MNA
engine and ngspice), learning algorithms executed physically on them, and an energy ledger
that books every simulated joule so that runs report joules per learned bit against the
Landauer limit kT ln 2.

The names a user starts from are here, imported lazily (on first use):

- :class:`~thermolearn.circuit.Circuit`, :func:`~thermolearn.circuit.operating_point`,
  :func:`~thermolearn.circuit.transient` (``engine="python"`` or ``"ngspice"``);
- :class:`~thermolearn.crossbar.array.CrossbarArray` and the
  :class:`~thermolearn.hardware.Hardware` it is built from;
- :func:`~thermolearn.experiments.ep_train.run_training` (equilibrium propagation, also on
  crossbars you built) with its :func:`~thermolearn.experiments.ep_train.default_config`;
- :class:`~thermolearn.energy.EnergyLedger` and the exceptions.

``import thermolearn`` is light: networkx, scipy's solvers, PySpice, matplotlib and dask are
imported only when a name that needs them is used.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from thermolearn.energy import EnergyLedger
from thermolearn.errors import (
    ConvergenceError,
    NetlistError,
    ParameterError,
    SpiceError,
    ThermolearnError,
)
from thermolearn.physics import K_B, T_ROOM, landauer_limit, thermal_energy

if TYPE_CHECKING:  # pragma: no cover
    from thermolearn.circuit import Circuit, operating_point, transient
    from thermolearn.crossbar.array import CrossbarArray
    from thermolearn.experiments.ep_train import default_config, run_training
    from thermolearn.hardware import Hardware

__version__ = "0.1.0"

#: Public name -> module that defines it (imported on first attribute access).
_LAZY = {
    "Circuit": "thermolearn.circuit",
    "operating_point": "thermolearn.circuit",
    "transient": "thermolearn.circuit",
    "CrossbarArray": "thermolearn.crossbar.array",
    "Hardware": "thermolearn.hardware",
    "run_training": "thermolearn.experiments.ep_train",
    "default_config": "thermolearn.experiments.ep_train",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'thermolearn' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "__version__",
    "Circuit",
    "operating_point",
    "transient",
    "CrossbarArray",
    "Hardware",
    "run_training",
    "default_config",
    "EnergyLedger",
    "ThermolearnError",
    "ParameterError",
    "ConvergenceError",
    "SpiceError",
    "NetlistError",
    "K_B",
    "T_ROOM",
    "landauer_limit",
    "thermal_energy",
]
