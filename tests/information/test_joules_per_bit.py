"""joules_per_bit_report: ratios against hand-computed figures, and bits ≈ 0 handled."""

from __future__ import annotations

import math

import pytest

from thermolearn.energy import EnergyLedger
from thermolearn.errors import ParameterError
from thermolearn.information import joules_per_bit_report
from thermolearn.physics import K_B


def _ledger(temperature: float = 300.0) -> EnergyLedger:
    led = EnergyLedger(temperature)
    led.book("read", 3e-9)
    led.book("program", 1e-9)
    led.book("adc", 2e-9, source="model")
    return led


def test_report_figures() -> None:
    # J/bit = 6 nJ / 1000 bits; Landauer ratio = J/bit / (k·300·ln 2); exact to 1e-12.
    rep = joules_per_bit_report(_ledger(), {"prequential": 1000.0, "ce_gain": 500.0},
                                "prequential")
    assert rep["energy_joules"] == pytest.approx(6e-9)
    assert rep["joules_per_bit"] == pytest.approx(6e-12, rel=1e-12)
    kt_ln2 = K_B * 300 * math.log(2)
    assert rep["landauer_joules_per_bit"] == pytest.approx(kt_ln2, rel=1e-12)
    assert rep["landauer_ratio"] == pytest.approx(6e-12 / kt_ln2, rel=1e-12)
    assert rep["joules_per_bit_by_estimator"]["ce_gain"] == pytest.approx(1.2e-11)
    cats = rep["joules_per_bit_by_category"]
    assert sum(cats.values()) == pytest.approx(rep["joules_per_bit"], rel=1e-12)
    assert cats["read"] == pytest.approx(3e-12)
    assert rep["joules_per_bit_note"] is None
    assert rep["energy_by_source"] == pytest.approx({"simulated": 4e-9, "model": 2e-9})


def test_temperature_follows_ledger_and_override() -> None:
    rep = joules_per_bit_report(_ledger(77.0), {"p": 10.0}, "p")
    assert rep["temperature_K"] == 77.0
    assert rep["landauer_ratio"] == pytest.approx(6e-10 / (K_B * 77 * math.log(2)), rel=1e-12)
    rep2 = joules_per_bit_report(_ledger(77.0), {"p": 10.0}, "p", temperature=300.0)
    assert rep2["landauer_ratio"] == pytest.approx(6e-10 / (K_B * 300 * math.log(2)), rel=1e-12)


def test_zero_bits_reports_null_with_reason() -> None:
    rep = joules_per_bit_report(_ledger(), {"prequential": 0.0, "ce_gain": 12.0}, "prequential")
    assert rep["joules_per_bit"] is None and rep["landauer_ratio"] is None
    assert "undefined" in rep["joules_per_bit_note"]
    assert all(v is None for v in rep["joules_per_bit_by_category"].values())
    assert rep["joules_per_bit_by_estimator"]["ce_gain"] == pytest.approx(5e-10)
    neg = joules_per_bit_report(_ledger(), {"prequential": -3.0}, "prequential")
    assert neg["joules_per_bit"] is None


def test_report_rejects_bad_input() -> None:
    with pytest.raises(ParameterError, match="default"):
        joules_per_bit_report(_ledger(), {"a": 1.0}, "b")
    with pytest.raises(ParameterError, match="finite"):
        joules_per_bit_report(_ledger(), {"a": math.nan}, "a")


def test_format_summary_wording_and_context() -> None:
    from thermolearn.reporting import context_table, format_summary

    rep = joules_per_bit_report(_ledger(), {"prequential": 1000.0}, "prequential")
    text = format_summary(rep, title="digits")
    assert "6 pJ/bit" in text and "(default)" in text
    assert "[model 2 nJ, simulated 4 nJ]" in text
    assert f"{rep['landauer_ratio']:.3g} × kT ln 2" in text
    assert "A bound is a bound" in text and "A simulation is a simulation" in text
    table = {c.name: c.joules for c in context_table(300.0)}
    assert table["GPU (H100, FP32)"] == 1e-11 and table["brain"] == 1e-14
    assert table["Landauer limit at 300 K"] == pytest.approx(2.871e-21, rel=1e-3)
    empty = format_summary(joules_per_bit_report(_ledger(), {"p": 0.0}, "p"))
    assert "joules per learned bit: n/a" in empty and "undefined" in empty


def test_bound_entries_are_never_counted_as_energy() -> None:
    # A "bound" booking (e.g. a Landauer minimum) is not a dissipation: the energy of learning
    # stays the 6 nJ of simulated + modelled entries (exact), and the bound is listed apart.
    led = _ledger()
    led.book("landauer", 5e-9, bits_erased=10.0, source="bound")
    rep = joules_per_bit_report(led, {"prequential": 1000.0}, "prequential")
    assert rep["energy_joules"] == pytest.approx(6e-9, rel=1e-12)
    assert rep["joules_per_bit"] == pytest.approx(6e-12, rel=1e-12)
    assert "landauer" not in rep["joules_per_bit_by_category"]
    assert rep["energy_by_source"]["bound"] == pytest.approx(5e-9)
