"""The energy ledger: every simulated joule, booked by category.

Physical dissipation (I·V·t in devices and wires, pulse energy, converters) and the Landauer
bound of logically irreversible steps are kept apart: ``book`` records joules that the
simulated hardware dissipated, and ``bits_erased`` records how many bits a step erased, whose
bound kT ln 2 per bit is reported *beside* the dissipation, never added to it.

Each entry also says where its figure comes from (``source``): ``"simulated"`` for an
integral of I·V over time computed by an engine, ``"model"`` for a converter or amplifier
figure of merit from a cited survey, ``"bound"`` for a theoretical bound.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thermolearn.checkpoints import atomic_write_text
from thermolearn.errors import ParameterError
from thermolearn.physics import T_ROOM, landauer_limit
from thermolearn.validation import check_positive

SOURCES = ("simulated", "model", "bound")

#: The role of every ledger category, in one place: ``"learning"`` is the energy of writing
#: information into the weight memory (programming pulses, the reads a closed-loop
#: programmer needs, update arithmetic and its memory); ``"computing"`` is inference and
#: settling (the phases of the circuit, converters and amplifiers that read it out). A
#: category not listed here is ``"unclassified"`` and reported as such, never guessed.
ENERGY_ROLES: dict[str, str] = {
    # learning: writing the weights
    "program": "learning",
    "program_read": "learning",
    "program_read_adc": "learning",
    "program_half_select": "learning",
    "program_line_charge": "learning",
    "program_line_release": "learning",
    "program_line_recovered": "learning",
    "update_arithmetic": "learning",
    "update_memory": "learning",
    "update_optimizer_arithmetic": "learning",
    "update_optimizer_memory": "learning",
    "write": "learning",
    "pulse": "learning",
    # computing: inference and settling
    "phase_free": "computing",
    "phase_nudge_plus": "computing",
    "phase_nudge_minus": "computing",
    "settling": "computing",
    "read": "computing",
    "wire": "computing",
    "adc": "computing",
    "dac": "computing",
    "tia": "computing",
    "amplifier": "computing",
    "adc_preamp": "computing",
    "input_drivers": "computing",
    "driver_output_stage": "computing",
    # the diode calibration: one free phase read out before training (no weight is written)
    "calibration_phase": "computing",
    "calibration_driver_output_stage": "computing",
    "calibration_amplifier": "computing",
    "calibration_adc": "computing",
    "calibration_dac": "computing",
    # bounds are not dissipation
    "landauer": "bound",
}
ROLES = ("learning", "computing", "unclassified")


def energy_role(category: str) -> str:
    """Return the role of a ledger category (see :data:`ENERGY_ROLES`).

    One of ``"learning"``, ``"computing"``, ``"bound"`` or ``"unclassified"``.
    """
    return ENERGY_ROLES.get(category, "unclassified")


def energy_by_role(ledger: EnergyLedger) -> dict[str, Any]:
    """Irreversible joules of a ledger split into learning and computing energy.

    Returns
    -------
    dict
        ``learning_joules``, ``computing_joules``, ``unclassified_joules`` (J, bounds
        excluded), ``categories`` {role: [category, ...]} and a ``note``.
    """
    out = {f"{r}_joules": 0.0 for r in ROLES}
    cats: dict[str, list[str]] = {r: [] for r in ROLES}
    for cat, joules in ledger.breakdown().items():
        role = energy_role(cat)
        if role == "bound":
            continue
        out[f"{role}_joules"] += joules
        cats[role].append(cat)
    return {**out, "categories": cats,
            "note": "learning: writing information into the weights (programming pulses, "
                    "programming reads, update arithmetic and memory); computing: inference "
                    "and settling (circuit phases, converters, amplifiers)"}


@dataclass(slots=True)
class LedgerEntry:
    """Accumulated totals of one (category, reversible, source) key."""

    joules: float = 0.0
    bits_erased: float = 0.0
    count: int = 0


@dataclass
class EnergyLedger:
    """Joules by category, reversible vs irreversible, and bits erased.

    Parameters
    ----------
    temperature : float
        Temperature in K at which the Landauer bound kT ln 2 is evaluated (default 300 K).

    Examples
    --------
    >>> led = EnergyLedger()
    >>> led.book("read", 4e-15)
    >>> led.book("landauer", 0.0, bits_erased=8)
    >>> led.total() == 4e-15
    True
    """

    temperature: float = T_ROOM
    _entries: dict[tuple[str, bool, str], LedgerEntry] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        check_positive(self.temperature, "temperature", "EnergyLedger", "K")

    # -- booking -------------------------------------------------------------------------
    def book(
        self,
        category: str,
        joules: float,
        *,
        reversible: bool = False,
        bits_erased: float = 0.0,
        source: str = "simulated",
        count: int = 1,
    ) -> None:
        """Book ``joules`` dissipated (or, if ``reversible``, recoverable) under ``category``.

        Parameters
        ----------
        category : str
            e.g. ``"read"``, ``"program"``, ``"wire"``, ``"adc"``, ``"dac"``, ``"amplifier"``.
        joules : float
            Energy in J; must be finite and >= 0.
        reversible : bool
            True for energy that a reversible (adiabatic) implementation would recover.
        bits_erased : float
            Bits of information erased by this step (its bound kT ln 2 each is kept apart).
        source : {"simulated", "model", "bound"}
            Where the figure comes from.
        count : int
            Number of operations this booking covers (for per-operation figures).
        """
        if not isinstance(category, str) or not category:
            raise ParameterError(
                f"The 'category' argument of EnergyLedger.book must be a non-empty string; "
                f"got {category!r}."
            )
        j = float(joules)
        if not math.isfinite(j) or j < 0:
            raise ParameterError(
                f"The 'joules' argument of EnergyLedger.book must be finite and >= 0 J; "
                f"got {joules!r} for category {category!r}."
            )
        b = float(bits_erased)
        if not math.isfinite(b) or b < 0:
            raise ParameterError(
                f"The 'bits_erased' argument of EnergyLedger.book must be finite and >= 0; "
                f"got {bits_erased!r}."
            )
        if source not in SOURCES:
            raise ParameterError(
                f"The 'source' argument of EnergyLedger.book must be one of {SOURCES}; "
                f"got {source!r}."
            )
        key = (category, bool(reversible), source)
        e = self._entries.setdefault(key, LedgerEntry())
        e.joules += j
        e.bits_erased += b
        e.count += int(count)

    # -- queries -------------------------------------------------------------------------
    def total(self, *, include_reversible: bool = False) -> float:
        """Total dissipated joules (irreversible only unless ``include_reversible``).

        Entries whose ``source`` is ``"bound"`` are never counted: a bound is not a dissipation.
        Sums are exactly rounded (``math.fsum``), so they do not depend on the order in which
        entries were first booked (a ledger rebuilt from a checkpoint gives the same totals
        bit for bit).
        """
        return math.fsum(
            e.joules
            for (_, rev, src), e in self._entries.items()
            if (include_reversible or not rev) and src != "bound"
        )

    def reversible_total(self) -> float:
        """Joules booked as reversible (recoverable in an adiabatic implementation)."""
        return math.fsum(
            e.joules for (_, rev, src), e in self._entries.items() if rev and src != "bound"
        )

    def bits_erased(self) -> float:
        """Total bits erased by logically irreversible steps."""
        return math.fsum(e.bits_erased for e in self._entries.values())

    def landauer_bound(self) -> float:
        """Return the Landauer bound (J) of the bits erased: a bound, not a measurement."""
        return self.bits_erased() * landauer_limit(self.temperature)

    def breakdown(self, *, include_reversible: bool = False) -> dict[str, float]:
        """Joules per category, largest first (``"bound"`` entries excluded)."""
        parts: dict[str, list[float]] = {}
        for (cat, rev, src), e in self._entries.items():
            if (rev and not include_reversible) or src == "bound":
                continue
            parts.setdefault(cat, []).append(e.joules)
        out = {cat: math.fsum(v) for cat, v in parts.items()}
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))

    def categories(self) -> list[str]:
        """Return the categories booked so far."""
        return sorted({k[0] for k in self._entries})

    def counts(self) -> dict[str, int]:
        """Return the number of operations booked per category."""
        out: dict[str, int] = {}
        for (cat, _, _), e in self._entries.items():
            out[cat] = out.get(cat, 0) + e.count
        return out

    def rows(self) -> list[dict[str, Any]]:
        """One dict per (category, reversible, source) key, for tables and export."""
        return [
            {
                "category": cat,
                "reversible": rev,
                "source": src,
                "joules": e.joules,
                "bits_erased": e.bits_erased,
                "count": e.count,
            }
            for (cat, rev, src), e in sorted(self._entries.items())
        ]

    # -- combining -----------------------------------------------------------------------
    def merge(self, other: EnergyLedger) -> EnergyLedger:
        """Add every entry of ``other`` into this ledger (same temperature) and return self."""
        if not math.isclose(other.temperature, self.temperature):
            raise ParameterError(
                "EnergyLedger.merge needs ledgers at the same temperature; "
                f"got {self.temperature} K and {other.temperature} K."
            )
        for key, e in other._entries.items():
            mine = self._entries.setdefault(key, LedgerEntry())
            mine.joules += e.joules
            mine.bits_erased += e.bits_erased
            mine.count += e.count
        return self

    def copy(self) -> EnergyLedger:
        """Return an independent copy."""
        new = EnergyLedger(self.temperature)
        new.merge(self)
        return new

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()

    # -- export --------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """Return a JSON-ready summary: totals, breakdown, bits erased, Landauer bound."""
        return {
            "temperature_K": self.temperature,
            "total_joules": self.total(),
            "reversible_joules": self.reversible_total(),
            "breakdown_joules": self.breakdown(),
            "bits_erased": self.bits_erased(),
            "landauer_bound_joules": self.landauer_bound(),
            "landauer_bound_note": "bound: bits_erased x kT ln 2, not a dissipation",
            "entries": self.rows(),
        }

    def to_json(self, path: str | Path | None = None) -> str:
        """Return (and optionally write) the summary as JSON."""
        text = json.dumps(self.summary(), indent=2)
        if path is not None:
            atomic_write_text(path, text + "\n")
        return text

    def to_csv(self, path: str | Path | None = None) -> str:
        """Return (and optionally write) the entries as CSV."""
        buf = io.StringIO()
        fields = ["category", "reversible", "source", "joules", "bits_erased", "count"]
        w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        for r in self.rows():
            w.writerow(r)
        if path is not None:
            atomic_write_text(path, buf.getvalue())
        return buf.getvalue()

    def to_frame(self) -> Any:
        """Return the entries as a pandas DataFrame (pandas imported lazily)."""
        import pandas as pd

        return pd.DataFrame(self.rows())

    @classmethod
    def from_rows(
        cls, rows: Iterable[Mapping[str, Any]], temperature: float = T_ROOM
    ) -> EnergyLedger:
        """Rebuild a ledger from :meth:`rows` output (e.g. a checkpoint)."""
        led = cls(temperature)
        for r in rows:
            rev = r["reversible"]
            if isinstance(rev, str):
                rev = rev.lower() == "true"
            key = (str(r["category"]), bool(rev), str(r.get("source", "simulated")))
            e = led._entries.setdefault(key, LedgerEntry())
            e.joules += float(r["joules"])
            e.bits_erased += float(r.get("bits_erased", 0.0))
            e.count += int(r.get("count", 1))
        return led

    @classmethod
    def read_csv(cls, path: str | Path, temperature: float = T_ROOM) -> EnergyLedger:
        """Read a ledger written by :meth:`to_csv`."""
        with open(path, newline="") as fh:
            return cls.from_rows(csv.DictReader(fh), temperature)


__all__ = ["ENERGY_ROLES", "EnergyLedger", "LedgerEntry", "ROLES", "SOURCES", "energy_by_role",
           "energy_role"]
