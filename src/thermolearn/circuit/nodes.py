"""Node names: ground ``"0"`` (alias ``"gnd"``), shared by the circuit and the netlist code."""

from __future__ import annotations

#: The ground node.
GROUND = "0"
#: Names that denote ground (case-insensitive).
GROUND_ALIASES = frozenset({"0", "gnd"})


def is_ground(node: str) -> bool:
    """Return True for the ground node (``"0"`` or ``"gnd"``)."""
    return node.lower() in GROUND_ALIASES


__all__ = ["GROUND", "GROUND_ALIASES", "is_ground"]
