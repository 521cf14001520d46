"""One hardware description: device, variability, selector, periphery, temperature, reads.

:class:`Hardware` is composed like IBM aihwkit's ``RPUConfig`` (one frozen configuration
handed to every consumer instead of copies of the same parameters): the crossbar arrays,
the EP circuit, the reversible layers and both active-inference agents take one. Every field
is validated at construction and names its SI unit; ``Hardware()`` is an ideal array (no
line resistance, no variability, analog levels) whose reads are exact linear maps, with the
periphery (ADC, DAC, TIA) booking figure-of-merit energies.

The temperature has one owner, :attr:`Hardware.temperature` (default
:data:`thermolearn.physics.T_ROOM`): the read noise of the variability model runs at it.
A :class:`~thermolearn.devices.VariabilityParams` inside a ``Hardware`` leaves its own
``temperature`` unset (``None``) or sets it to the same value.

>>> hw = Hardware(read=ReadSettings(v_read=0.1, adc_bits=6), temperature=77.0)
>>> hw.read.v_read, hw.adc.enob, hw.temperature
(0.1, 6, 77.0)
>>> Hardware(g_min=1e-4, g_max=1e-6)
Traceback (most recent call last):
...
thermolearn.errors.ParameterError: The 'g_max' parameter of Hardware must be > g_min = \
0.0001 S; got 1e-06.

References
----------
.. [1] M. J. Rasch et al., "A flexible and fast PyTorch toolkit for simulating training and
   inference on analog crossbar arrays," IEEE AICAS 2021 (aihwkit; ``RPUConfig``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from thermolearn.devices.base import MemristorModel
from thermolearn.devices.memristors import LinearConductance
from thermolearn.devices.peripherals import ADC, DAC, DEFAULT_FOM_WALDEN, TIA
from thermolearn.devices.selector import SelectorParams
from thermolearn.devices.variability import VariabilityParams
from thermolearn.errors import ParameterError
from thermolearn.physical_limits import check_hardware_plausible
from thermolearn.physics import T_ROOM
from thermolearn.validation import (
    check_choice,
    check_converter_bits,
    check_greater,
    check_int,
    check_nonnegative,
    check_positive,
)

CELLS = ("1R", "1T1R", "1S1R")
READOUTS = ("tia", "sense")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadSettings:
    """How a crossbar is read."""

    v_read: float = 0.2
    """Read voltage for a unit input, V (keep it below the device's disturb-free voltage)."""
    t_read: float = 10e-9
    """Read pulse (integration) time, s; the read-noise bandwidth is 1/(2 t_read)."""
    adc_bits: float | None = 8
    """Effective resolution of the ADC on each sensed line, bit: every read books one
    conversion per sensed line at FOM × 2^bits; ``None`` books no ADC. ``CrossbarArray.read``
    returns the analog currents; an algorithm that digitises them quantises to these bits."""

    def __post_init__(self) -> None:
        o = "ReadSettings"
        check_positive(self.v_read, "v_read", o, "V")
        check_positive(self.t_read, "t_read", o, "s")
        if self.adc_bits is not None:
            check_converter_bits(self.adc_bits, "adc_bits", o, integer=False)

    @property
    def bandwidth(self) -> float:
        """Noise bandwidth of one read, 1/(2 t_read), Hz."""
        return 1.0 / (2.0 * self.t_read)


@dataclass(frozen=True, slots=True, kw_only=True)
class WriteSettings:
    """Programming pulses (energy model of ``CrossbarArray.program_conductances``)."""

    v_program: float = 1.0
    """Programming pulse amplitude, V."""
    t_program: float = 50e-9
    """Programming pulse width, s."""

    def __post_init__(self) -> None:
        check_positive(self.v_program, "v_program", "WriteSettings", "V")
        check_positive(self.t_program, "t_program", "WriteSettings", "s")


@dataclass(frozen=True, slots=True, kw_only=True)
class Wires:
    """Array interconnect and line drivers."""

    r_wire: float = 0.0
    """Wire resistance per cell pitch on rows and columns, ohm (0 = ideal wires)."""
    r_driver: float = 0.0
    """Source resistance of each line driver, ohm."""
    c_wire: float = 1e-16
    """Wire capacitance per segment to ground, F (line charging energy, RC latency);
    0.1 fF is a ~0.5 µm pitch at ~0.2 fF/µm (ITRS 2013 interconnect tables)."""

    def __post_init__(self) -> None:
        check_nonnegative(self.r_wire, "r_wire", "Wires", "ohm")
        check_nonnegative(self.r_driver, "r_driver", "Wires", "ohm")
        check_nonnegative(self.c_wire, "c_wire", "Wires", "F")


@dataclass(frozen=True, slots=True, kw_only=True)
class AmplifierPart:
    """An operational amplifier as its data sheet specifies it (every figure cited).

    The EP circuit's amplifier stages (:mod:`thermolearn.algorithms.ep_physics`) take their
    gain-bandwidth product, input noise, quiescent power and minimum stable gain from a part:
    a voltage-feedback amplifier is a single-pole stage of time constant G/(2π GBW) at noise
    gain G, and only stable for G >= ``min_stable_gain`` (a decompensated part is not).

    >>> OPA855.power, OPA855.min_stable_gain
    (0.089, 7.0)
    """

    name: str
    """Part number."""
    gbw: float
    """Gain-bandwidth product, Hz."""
    noise: float
    """Input voltage noise density (one-sided, white region), V/√Hz."""
    supply_current: float
    """Quiescent supply current, A."""
    supply_voltage: float
    """Total supply voltage it is booked at, V (the quiescent power is current × this)."""
    min_stable_gain: float
    """Smallest noise gain at which the data sheet specifies the part stable, V/V."""
    citation: str
    """Data sheet (number, revision) the figures come from."""
    current_noise: float | None = None
    """Input current noise density (one-sided, white region), A/√Hz, or ``None`` where no
    data-sheet figure is booked (the EP model then leaves it out: zero)."""
    bias_current: float | None = None
    """Input bias current (typical magnitude), A, or ``None`` where no data-sheet figure is
    booked."""

    def __post_init__(self) -> None:
        o = f"AmplifierPart {self.name!r}"
        check_positive(self.gbw, "gbw", o, "Hz")
        check_nonnegative(self.noise, "noise", o, "V/sqrt(Hz)")
        if self.current_noise is not None:
            check_nonnegative(self.current_noise, "current_noise", o, "A/sqrt(Hz)")
        if self.bias_current is not None:
            check_nonnegative(self.bias_current, "bias_current", o, "A")
        check_nonnegative(self.supply_current, "supply_current", o, "A")
        check_positive(self.supply_voltage, "supply_voltage", o, "V")
        if not self.min_stable_gain >= 1.0:
            raise ParameterError(
                f"The 'min_stable_gain' parameter of {o} must be >= 1 V/V; got "
                f"{self.min_stable_gain!r}."
            )

    @property
    def power(self) -> float:
        """Quiescent power, W (supply current × supply voltage)."""
        return self.supply_current * self.supply_voltage


#: TI OPA855 (decompensated, bipolar input): data sheet SBOS622 (2018, rev. 2023), "OPA855
#: 8-GHz Gain Bandwidth Product, Gain of 7-V/V Stable, Bipolar Input Amplifier": GBW 8 GHz,
#: e_n 0.98 nV/√Hz, quiescent current 17.8 mA, supply 3.3–5.25 V (booked at 5 V: 89 mW),
#: stable for noise gains >= 7 V/V. Input current noise and input bias / offset current: not
#: booked (``None``). The stored copies of SBOS622 available to this project's search tools
#: expose its front page (features, description) but not its electrical-characteristics
#: table, so no figure could be read and none is invented; the EP model leaves both out
#: (zero) and its audit reports the sensitivity of every loaded node to them instead
#: (:func:`thermolearn.algorithms.ep_audit.input_current_figures`). A bipolar input carries
#: base current and its shot noise, so for this part neither is small a priori.
OPA855 = AmplifierPart(
    name="OPA855", gbw=8e9, noise=0.98e-9, supply_current=17.8e-3, supply_voltage=5.0,
    min_stable_gain=7.0,
    citation="Texas Instruments, OPA855 data sheet SBOS622 (2018, rev. 2023)",
)
#: TI OPA859 (unity-gain stable, FET input): data sheet SBOS852A (2018, rev. 2025), "OPA859
#: 1.8-GHz Unity-Gain Bandwidth, 3.3-nV/√Hz, FET Input Amplifier": gain-bandwidth product
#: 900 MHz (the 1.8 GHz is its unity-gain bandwidth; the audit uses the smaller GBW),
#: e_n 3.3 nV/√Hz, quiescent current 20.9 mA, supply 3.3–5.25 V (booked at 5 V:
#: 104.5 mW), unity-gain stable. Input current noise and bias current: not booked (``None``),
#: for the same reason as the OPA855's (its electrical-characteristics table was not readable
#: in the stored copies of SBOS852A); a FET (MOS) input's gate current is small, but no
#: figure is invented here.
OPA859 = AmplifierPart(
    name="OPA859", gbw=0.9e9, noise=3.3e-9, supply_current=20.9e-3, supply_voltage=5.0,
    min_stable_gain=1.0,
    citation="Texas Instruments, OPA859 data sheet SBOS852A (2018, rev. 2025)",
)
#: Amplifier parts by name.
AMPLIFIER_PARTS = {p.name: p for p in (OPA855, OPA859)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Peripherals:
    """Sensing and converters (figure-of-merit energy models, ``devices.peripherals``)."""

    readout: str = "tia"
    """``"tia"`` (virtual ground, 0 V input) or ``"sense"`` (resistor ``r_sense`` to ground)."""
    r_sense: float = 1e3
    """Sense resistance (``readout="sense"``), ohm."""
    adc_fom_walden: float = DEFAULT_FOM_WALDEN
    """Walden figure of merit of the ADCs, J per conversion step (5 fJ/step, Murmann survey)."""
    dac: DAC | None = field(default_factory=lambda: DAC(bits=8, c_load=0.0))
    """Input DAC per driven line, or ``None``. The default books only the converter core
    (``c_load = 0``): charging the driven line is booked under ``"wire"`` from ``c_wire``."""
    tia: TIA | None = field(default_factory=TIA)
    """Transimpedance amplifier per sensed line (``readout="tia"``), or ``None``."""

    def __post_init__(self) -> None:
        o = "Peripherals"
        check_choice(self.readout, "readout", o, READOUTS)
        check_positive(self.r_sense, "r_sense", o, "ohm")
        check_positive(self.adc_fom_walden, "adc_fom_walden", o, "J/step")
        if self.dac is not None and not isinstance(self.dac, DAC):
            raise ParameterError(
                f"The 'dac' parameter of {o} must be a DAC or None; got {self.dac!r}."
            )
        if self.tia is not None and not isinstance(self.tia, TIA):
            raise ParameterError(
                f"The 'tia' parameter of {o} must be a TIA or None; got {self.tia!r}."
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class Hardware:
    """The analog hardware an algorithm runs on (one object, passed around).

    Examples
    --------
    >>> from thermolearn.devices import VariabilityParams
    >>> hw = Hardware(variability=VariabilityParams(read_noise=True), temperature=4.0)
    >>> hw.device_variability.temperature
    4.0
    """

    device: MemristorModel | None = None
    """Cell device model; ``None`` = :class:`~thermolearn.devices.LinearConductance`
    on [g_min, g_max] (its state is its conductance, S)."""
    g_min: float = 1e-6
    """Lowest programmable conductance, S."""
    g_max: float = 1e-4
    """Highest programmable conductance, S."""
    levels: int | None = None
    """Number of programmable conductance levels (>= 2); ``None`` = analog."""
    variability: VariabilityParams | None = None
    """Device non-idealities (d2d, c2c, read noise incl. 1/f, levels, faults, drift) or
    ``None`` for ideal devices. Its ``temperature`` must be ``None`` or equal
    :attr:`temperature`."""
    cell: str = "1R"
    """``"1R"`` (passive), ``"1T1R"`` (series access transistor) or ``"1S1R"`` (selector)."""
    selector: SelectorParams | None = None
    """1S1R selector law ``I = i0 sinh(V/v0)``; ``None`` = ``SelectorParams()``."""
    r_access: float = 1e3
    """On-resistance of the 1T1R access transistor, ohm."""
    r_access_off: float = 1e9
    """Off-resistance of the 1T1R access transistor, ohm."""
    wires: Wires = field(default_factory=Wires)
    """Line resistance, driver resistance and line capacitance."""
    peripherals: Peripherals = field(default_factory=Peripherals)
    """Readout, ADC figure of merit, DAC and TIA."""
    read: ReadSettings = field(default_factory=ReadSettings)
    """Read voltage, integration time and ADC resolution."""
    write: WriteSettings = field(default_factory=WriteSettings)
    """Programming pulse amplitude and width."""
    temperature: float = T_ROOM
    """Temperature of the hardware, K (thermal noise, Landauer bound of its ledger)."""

    def __post_init__(self) -> None:
        o = "Hardware"
        if self.device is not None and not isinstance(self.device, MemristorModel):
            raise ParameterError(
                f"The 'device' parameter of {o} must be a MemristorModel or None; got "
                f"{self.device!r}."
            )
        check_positive(self.g_min, "g_min", o, "S")
        check_greater(self.g_max, "g_max", o, self.g_min, "g_min", "S")
        if self.levels is not None:
            check_int(self.levels, "levels", o, minimum=2)
        check_choice(self.cell, "cell", o, CELLS)
        if self.selector is not None and not isinstance(self.selector, SelectorParams):
            raise ParameterError(
                f"The 'selector' parameter of {o} must be SelectorParams or None; got "
                f"{self.selector!r}."
            )
        check_positive(self.r_access, "r_access", o, "ohm")
        check_greater(self.r_access_off, "r_access_off", o, self.r_access, "r_access", "ohm")
        check_positive(self.temperature, "temperature", o, "K")
        for name, kind in (
            ("wires", Wires),
            ("peripherals", Peripherals),
            ("read", ReadSettings),
            ("write", WriteSettings),
        ):
            if not isinstance(getattr(self, name), kind):
                raise ParameterError(
                    f"The '{name}' parameter of {o} must be a {kind.__name__}; got "
                    f"{getattr(self, name)!r}."
                )
        var = self.variability
        if var is not None:
            if not isinstance(var, VariabilityParams):
                raise ParameterError(
                    f"The 'variability' parameter of {o} must be VariabilityParams or None; "
                    f"got {var!r}."
                )
            if var.temperature is not None and var.temperature != self.temperature:
                raise ParameterError(
                    f"The 'variability.temperature' of {o} ({var.temperature!r} K) differs from "
                    f"its 'temperature' ({self.temperature!r} K); the temperature has one owner: "
                    "set Hardware(temperature=...) and leave VariabilityParams.temperature None."
                )
        # physical plausibility (issue 14): device resistance range, one read settling
        # through the smallest device conductance against the line capacitance, and the
        # Johnson noise of a read when the variability model does not simulate it

        check_hardware_plausible(
            o, g_min=self.g_min, g_max=self.g_max, temperature=self.temperature,
            settling_time=self.read.t_read, node_conductance=self.g_min,
            node_capacitance=self.wires.c_wire, signal_voltage=self.read.v_read,
            noise_simulated=bool(var is not None and getattr(var, "read_noise", False)))

    # -- derived views -------------------------------------------------------------------
    @property
    def cell_device(self) -> MemristorModel:
        """The cell device model (``device``, or LinearConductance on [g_min, g_max])."""
        if self.device is not None:
            return self.device
        return LinearConductance(g_min=self.g_min, g_max=self.g_max)

    @property
    def cell_selector(self) -> SelectorParams:
        """The selector law of 1S1R cells (``selector`` or the default)."""
        return self.selector if self.selector is not None else SelectorParams()

    @property
    def device_variability(self) -> VariabilityParams | None:
        """``variability`` with its temperature set to :attr:`temperature` (or None)."""
        if self.variability is None:
            return None
        return dataclasses.replace(self.variability, temperature=self.temperature)

    @property
    def adc(self) -> ADC | None:
        """One sensed line's ADC (``read.adc_bits`` at the Walden FOM), or None."""
        if self.read.adc_bits is None:
            return None
        return ADC(enob=self.read.adc_bits, fom_walden=self.peripherals.adc_fom_walden)

    @property
    def is_ideal(self) -> bool:
        """True when a read returns exactly ``v @ G`` of the programmed G.

        That is: 1R cells, ideal wires and drivers, TIA readout, no variability, analog levels.
        """
        return (
            self.cell == "1R"
            and self.wires.r_wire == 0
            and self.wires.r_driver == 0
            and self.peripherals.readout == "tia"
            and self.variability is None
            and self.levels is None
        )

    def replace(self, **changes: Any) -> Hardware:
        """Return a copy with ``changes`` applied (``dataclasses.replace``, validated)."""
        return dataclasses.replace(self, **changes)

    def with_settings(self, **settings: Any) -> Hardware:
        """Return a copy with flat settings applied to the field that owns each.

        Accepts the top-level fields and the names inside the parts: ``r_wire``,
        ``r_driver``, ``c_wire`` (:class:`Wires`); ``readout``, ``r_sense``, ``dac``, ``tia``
        (:class:`Peripherals`; ``False`` disables a DAC/TIA); ``v_read``, ``t_read``,
        ``adc_bits`` (:class:`ReadSettings`); ``adc`` (an :class:`ADC`, or ``False`` for
        none); ``v_program``, ``t_program`` (:class:`WriteSettings`). ``None`` values are
        ignored, so ``hw.with_settings(r_wire=None)`` is ``hw``.

        >>> Hardware().with_settings(r_wire=2.0, v_read=0.1).wires.r_wire
        2.0
        """
        top: dict[str, Any] = {}
        parts: dict[str, dict[str, Any]] = {}
        for name, value in settings.items():
            if value is None:
                continue
            if name == "adc":
                if value is False:
                    parts.setdefault("read", {})["adc_bits"] = None
                elif isinstance(value, ADC):
                    parts.setdefault("read", {})["adc_bits"] = value.enob
                    parts.setdefault("peripherals", {})["adc_fom_walden"] = value.fom_walden
                else:
                    raise ParameterError(
                        f"The 'adc' setting of Hardware must be an ADC or False; got {value!r}."
                    )
            elif name in ("dac", "tia"):
                parts.setdefault("peripherals", {})[name] = None if value is False else value
            elif name in _PART_OF:
                parts.setdefault(_PART_OF[name], {})[name] = value
            elif name in _TOP_LEVEL:
                top[name] = value
            else:
                known = sorted({*_TOP_LEVEL, *_PART_OF, "adc", "dac", "tia"})
                raise ParameterError(
                    f"Unknown hardware setting {name!r}; known settings: {', '.join(known)}."
                )
        for part, changes in parts.items():
            top[part] = dataclasses.replace(getattr(self, part), **changes)
        return dataclasses.replace(self, **top) if top else self


_PART_OF = {
    **{n: "wires" for n in ("r_wire", "r_driver", "c_wire")},
    **{n: "peripherals" for n in ("readout", "r_sense", "adc_fom_walden")},
    **{n: "read" for n in ("v_read", "t_read", "adc_bits")},
    **{n: "write" for n in ("v_program", "t_program")},
}
_TOP_LEVEL = (
    "device",
    "g_min",
    "g_max",
    "levels",
    "variability",
    "cell",
    "selector",
    "r_access",
    "r_access_off",
    "temperature",
)

__all__ = [
    "Hardware", "ReadSettings", "WriteSettings", "Wires", "Peripherals", "CELLS", "READOUTS",
    "AmplifierPart", "OPA855", "OPA859", "AMPLIFIER_PARTS",
]
