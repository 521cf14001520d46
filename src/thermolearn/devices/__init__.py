"""Device models: memristors with SPICE twins, diodes, passives, programming, variability.

Every memristor model is vectorised over arrays of devices and has an ngspice twin in
``thermolearn/spice_models/``; :func:`~thermolearn.devices.simulate.integrate_iv` runs a model's
own ODE, :func:`thermolearn.circuit.device_iv.simulate_iv` runs either the model or its twin.
"""

from thermolearn.devices import presets  # noqa: E402  (after the models it builds)
from thermolearn.devices.base import MemristorModel, TwoTerminalDevice
from thermolearn.devices.memristors import (
    MEMRISTOR_MODELS,
    VTEAM,
    DataDrivenTiOx,
    DataDrivenTiOxParams,
    LinearConductance,
    LinearConductanceParams,
    LinearIonDrift,
    LinearIonDriftParams,
    StanfordPKU,
    StanfordPKUParams,
    VTEAMParams,
    Yakopcic,
    YakopcicParams,
)
from thermolearn.devices.passive import Capacitor, Diode, DiodeParams, Resistor
from thermolearn.devices.peripherals import ADC, DAC, TIA
from thermolearn.devices.programming import (
    ProgramResult,
    Pulse,
    ReadResult,
    Waveform,
    program,
    read,
)
from thermolearn.devices.simulate import IVResult, compare, integrate_iv, lobe_area, sine_drive
from thermolearn.devices.variability import Variability, VariabilityParams

__all__ = [
    "MemristorModel",
    "TwoTerminalDevice",
    "MEMRISTOR_MODELS",
    "LinearIonDrift",
    "LinearIonDriftParams",
    "VTEAM",
    "VTEAMParams",
    "Yakopcic",
    "YakopcicParams",
    "StanfordPKU",
    "StanfordPKUParams",
    "DataDrivenTiOx",
    "DataDrivenTiOxParams",
    "LinearConductance",
    "LinearConductanceParams",
    "IVResult",
    "integrate_iv",
    "sine_drive",
    "compare",
    "lobe_area",
    "Diode",
    "DiodeParams",
    "Resistor",
    "Capacitor",
    "Pulse",
    "Waveform",
    "ProgramResult",
    "ReadResult",
    "program",
    "read",
    "Variability",
    "VariabilityParams",
    "ADC",
    "DAC",
    "TIA",
    "presets",
]
