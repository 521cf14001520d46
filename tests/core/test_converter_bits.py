"""Converter resolutions are physically bounded: 1 <= bits <= MAX_CONVERTER_BITS (= 24).

Reference: the ADC surveys of R. H. Walden (IEEE JSAC 17, 539, 1999) and B. Murmann ("ADC
Performance Survey 1997-2024"): no published converter reaches an ENOB above ~20-21 bits at
any sample rate (SNDR <= ~125 dB); 24 bits leaves a margin above the best. Review defect:
``thermolearn train --adc-bits 64`` was accepted and booked FOM x 2^64 J per conversion.
"""

from __future__ import annotations

import pytest

from thermolearn.cli import main
from thermolearn.devices.peripherals import ADC, DAC
from thermolearn.errors import ParameterError
from thermolearn.hardware import ReadSettings
from thermolearn.validation import MAX_CONVERTER_BITS, check_converter_bits


def _physics(**kw):  # type: ignore[no-untyped-def]
    from thermolearn.algorithms.ep_physics import PhysicsParams

    return PhysicsParams(**kw)


OWNERS = [
    ("enob", "ADC", lambda b: ADC(enob=b)),
    ("bits", "DAC", lambda b: DAC(bits=b)),
    ("adc_bits", "ReadSettings", lambda b: ReadSettings(adc_bits=b)),
    ("adc_bits", "PhysicsParams", lambda b: _physics(adc_bits=b)),
    ("dac_bits", "PhysicsParams", lambda b: _physics(dac_bits=b)),
]


def test_the_limit_is_the_cited_one() -> None:
    assert MAX_CONVERTER_BITS == 24
    assert check_converter_bits(24, "bits", "X") == 24
    assert check_converter_bits(1, "bits", "X") == 1


@pytest.mark.parametrize("name, owner, make", OWNERS)
@pytest.mark.parametrize("bits", [64, 25, 0])
def test_out_of_range_bits_are_refused_naming_parameter_value_and_limit(
    name: str,
    owner: str,
    make,
    bits: int,  # type: ignore[no-untyped-def]
) -> None:
    limit = "<= 24 bit" if bits > 24 else ">= 1 bit"
    with pytest.raises(ParameterError, match=rf"'{name}' parameter of {owner} must be {limit}"):
        make(bits)
    try:
        make(bits)
    except ParameterError as exc:
        assert f"got {bits}" in str(exc)


@pytest.mark.parametrize("name, owner, make", OWNERS)
def test_the_practical_range_is_accepted(name: str, owner: str, make) -> None:  # type: ignore[no-untyped-def]
    for bits in (1, 12, 24):
        make(bits)


def test_crossbar_synapses_refuse_64_bits() -> None:
    from thermolearn.algorithms.ep_synapses import CrossbarSynapses

    msg = r"'adc_bits' parameter of CrossbarSynapses must be <= 24"
    with pytest.raises(ParameterError, match=msg):
        CrossbarSynapses([], v_program=1.0, t_program=1e-6, adc_bits=64)


@pytest.mark.parametrize("value, limit", [("64", "<= 24"), ("0", ">= 1"), ("-3", ">= 1")])
def test_cli_adc_bits_out_of_range_exits_2_with_one_line(capsys, tmp_path, value, limit) -> None:  # type: ignore[no-untyped-def]
    try:
        code = main(["train", "--task", "xor", "--adc-bits", value, "--out", str(tmp_path / "r")])
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1, err
    assert "--adc-bits" in lines[0] and limit in lines[0] and value in lines[0]
    assert not (tmp_path / "r").exists()  # refused before any work
