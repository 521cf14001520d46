"""EnergyLedger: booking, reversible vs irreversible, bits erased kept apart, export."""

from __future__ import annotations

import json

import pytest

from thermolearn import EnergyLedger, ParameterError, landauer_limit


def test_book_total_and_breakdown() -> None:
    led = EnergyLedger()
    led.book("read", 4e-15)
    led.book("read", 1e-15)
    led.book("program", 2e-12)
    led.book("adc", 3e-14, source="model")
    led.book("amplifier", 5e-13, reversible=True)
    assert led.total() == pytest.approx(2e-12 + 5e-15 + 3e-14, rel=1e-15)
    assert led.total(include_reversible=True) == pytest.approx(led.total() + 5e-13, rel=1e-15)
    assert led.reversible_total() == 5e-13
    assert list(led.breakdown()) == ["program", "adc", "read"]
    assert led.counts()["read"] == 2


def test_bits_erased_are_a_bound_not_dissipation() -> None:
    # The Landauer bound is bits x kT ln 2 (REFERENCES.md) and is NOT added to the total.
    led = EnergyLedger(temperature=300.0)
    led.book("landauer", 0.0, bits_erased=10)
    assert led.total() == 0.0
    assert led.landauer_bound() == pytest.approx(10 * landauer_limit(300.0), rel=1e-15)


def test_merge_csv_json_roundtrip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    a = EnergyLedger()
    a.book("read", 1e-15, count=3)
    b = EnergyLedger()
    b.book("read", 2e-15)
    b.book("wire", 7e-16, reversible=True, bits_erased=1.5)
    a.merge(b)
    assert a.total() == pytest.approx(3e-15)
    a.to_csv(tmp_path / "l.csv")
    c = EnergyLedger.read_csv(tmp_path / "l.csv")
    assert c.rows() == a.rows()
    data = json.loads(a.to_json(tmp_path / "l.json"))
    assert data["bits_erased"] == 1.5
    assert data["total_joules"] == pytest.approx(3e-15)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"category": "read", "joules": -1.0}, "joules"),
        ({"category": "read", "joules": float("nan")}, "joules"),
        ({"category": "", "joules": 1.0}, "category"),
        ({"category": "read", "joules": 1.0, "bits_erased": -2}, "bits_erased"),
        ({"category": "read", "joules": 1.0, "source": "guess"}, "source"),
    ],
)
def test_bad_bookings_rejected(kwargs, name) -> None:  # type: ignore[no-untyped-def]
    led = EnergyLedger()
    with pytest.raises(ParameterError, match=f"'{name}'"):
        led.book(**kwargs)


def test_merge_needs_same_temperature() -> None:
    with pytest.raises(ParameterError):
        EnergyLedger(300.0).merge(EnergyLedger(4.0))


def test_bound_entries_never_count_as_dissipation() -> None:
    # A figure booked with source="bound" (e.g. a Landauer bound in joules) is not dissipation.
    led = EnergyLedger()
    led.book("read", 1e-15)
    led.book("landauer", 3e-21, source="bound", bits_erased=1)
    assert led.total() == 1e-15
    assert "landauer" not in led.breakdown()
    assert led.bits_erased() == 1


def test_totals_do_not_depend_on_booking_order() -> None:
    """A ledger rebuilt from rows (a resumed run) gives bit-identical totals.

    Reference: exact equality; the sums are exactly rounded (math.fsum). Values chosen so that
    naive left-to-right float sums differ between the two orders.
    """
    vals = [("a", 0.1), ("b", 1e-17), ("c", 0.2), ("d", 3e-16), ("e", 0.3)]
    fwd, rev = EnergyLedger(), EnergyLedger()
    for cat, j in vals:
        fwd.book(cat, j)
    for cat, j in reversed(vals):
        rev.book(cat, j)
    assert sum(j for _, j in vals) != sum(j for _, j in reversed(vals))  # the trap is real
    assert fwd.total() == rev.total() == EnergyLedger.from_rows(fwd.rows()).total()
    assert fwd.breakdown() == rev.breakdown()
