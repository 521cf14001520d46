"""Peripheral energy models (figure-of-merit models, booked with source 'model')."""

from __future__ import annotations

import pytest

from thermolearn.devices import ADC, DAC, TIA
from thermolearn.energy import EnergyLedger
from thermolearn.errors import ParameterError


def test_adc_walden() -> None:
    # Reference: E = FOM_W × 2^ENOB (Walden 1999): 5 fJ/step × 2^8 = 1.28 pJ.
    adc = ADC(8)
    assert adc.energy_per_conversion == pytest.approx(5e-15 * 256)
    assert ADC(6, fom_walden=1e-15).energy_per_conversion == pytest.approx(64e-15)
    assert adc.power(1e6) == pytest.approx(1.28e-6)
    led = EnergyLedger()
    adc.book(led, 10)
    assert led.breakdown()["adc"] == pytest.approx(1.28e-11)
    assert led.rows()[0]["source"] == "model"
    with pytest.raises(ParameterError, match="'enob' parameter of ADC"):
        ADC(0)
    with pytest.raises(ParameterError, match="'fom_walden' parameter of ADC"):
        ADC(8, fom_walden=-1.0)


def test_dac_and_tia() -> None:
    dac = DAC(4, v_full_scale=0.2, c_load=100e-15, activity=0.5, fom=1e-15)
    assert dac.energy_per_conversion == pytest.approx(0.5 * 100e-15 * 0.04 + 16e-15)
    tia = TIA(v_supply=1.0, i_bias=10e-6)
    assert tia.static_power == pytest.approx(1e-5)
    led = EnergyLedger()
    tia.book(led, 1e-6, count=4)
    dac.book(led, 3)
    assert led.breakdown()["amplifier"] == pytest.approx(4e-11)
    with pytest.raises(ParameterError, match="'bits' parameter of DAC"):
        DAC(0)
    with pytest.raises(ParameterError, match="'gain' parameter of TIA"):
        TIA(gain=0.0)
