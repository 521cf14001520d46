"""Hardware: one validated description; errors name the field and its limit."""

from __future__ import annotations

import doctest

import pytest

import thermolearn.hardware as hardware_module
from thermolearn.devices import VariabilityParams
from thermolearn.errors import ParameterError
from thermolearn.hardware import Hardware, Peripherals, ReadSettings, Wires, WriteSettings
from thermolearn.physics import T_ROOM


def test_defaults_are_room_temperature_and_ideal() -> None:
    hw = Hardware()
    assert hw.temperature == T_ROOM
    assert hw.is_ideal
    assert hw.adc is not None and hw.adc.enob == 8
    assert Hardware(read=ReadSettings(adc_bits=None)).adc is None


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Hardware(g_min=0.0), "'g_min' parameter of Hardware must be > 0 S"),
        (lambda: Hardware(g_min=1e-4, g_max=1e-6), "'g_max' parameter of Hardware must be > g_min"),
        (lambda: Hardware(levels=1), "'levels' parameter of Hardware must be >= 2"),
        (lambda: Hardware(cell="2R"), "'cell' parameter of Hardware must be one of"),
        (lambda: Hardware(temperature=-1.0), "'temperature' parameter of Hardware must be > 0 K"),
        (lambda: Hardware(r_access=1e3, r_access_off=1e2), "'r_access_off' parameter"),
        (lambda: ReadSettings(v_read=0.0), "'v_read' parameter of ReadSettings must be > 0 V"),
        (lambda: ReadSettings(t_read=-1e-9), "'t_read' parameter of ReadSettings must be > 0 s"),
        (lambda: ReadSettings(adc_bits=0), "'adc_bits' parameter of ReadSettings must be >= 1 bit"),
        (lambda: Wires(r_wire=-1.0), "'r_wire' parameter of Wires must be >= 0 ohm"),
        (lambda: WriteSettings(t_program=0.0), "'t_program' parameter of WriteSettings"),
        (lambda: Peripherals(readout="adc"), "'readout' parameter of Peripherals"),
        (lambda: Hardware(read=0.2), "'read' parameter of Hardware must be a ReadSettings"),
        (lambda: Hardware(device="VTEAM"), "'device' parameter of Hardware must be a Memristor"),
    ],
)
def test_invalid_fields_raise_naming_field_and_limit(build, message) -> None:
    with pytest.raises(ParameterError, match=message.replace("(", r"\(")):
        build()


def test_temperature_has_one_owner() -> None:
    hw = Hardware(variability=VariabilityParams(read_noise=True), temperature=4.0)
    assert hw.device_variability is not None
    assert hw.device_variability.temperature == 4.0
    # an explicit variability temperature equal to the hardware's is accepted
    Hardware(variability=VariabilityParams(temperature=4.0), temperature=4.0)
    with pytest.raises(ParameterError, match="temperature has one owner"):
        Hardware(variability=VariabilityParams(temperature=4.0))
    assert hw.replace(temperature=77.0).device_variability.temperature == 77.0


def test_module_doctests() -> None:
    failures, tried = doctest.testmod(hardware_module, optionflags=doctest.ELLIPSIS)
    assert tried > 0
    assert failures == 0
