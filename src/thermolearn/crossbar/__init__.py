"""Circuits and crossbars: one circuit description, two engines (Python MNA and ngspice).

>>> from thermolearn.crossbar import Circuit, operating_point
>>> c = Circuit("divider")
>>> _ = c.add_vsource("V1", "in", "0", dc=2.0)
>>> _ = c.add_resistor("R1", "in", "out", 1e3)
>>> _ = c.add_resistor("R2", "out", "0", 3e3)
>>> operating_point(c).v("out")
1.5

The crossbar builders (:class:`CrossbarArray`, :class:`SignedCrossbarLayer`) live in
:mod:`thermolearn.crossbar.array` and are re-exported lazily.
"""

from __future__ import annotations

from typing import Any

from thermolearn.crossbar.circuit import Circuit, Element, SelectorParams
from thermolearn.crossbar.engines import get_engine, operating_point, transient
from thermolearn.crossbar.mna import LinearSolver, OperatingPoint, TransientResult, op_batch
from thermolearn.crossbar.waveforms import PWL, Pulse, Sine

_LAZY = {"CrossbarArray", "SignedCrossbarLayer"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from thermolearn.crossbar import array

        return getattr(array, name)
    raise AttributeError(f"module 'thermolearn.crossbar' has no attribute {name!r}")


__all__ = [
    "Circuit",
    "Element",
    "SelectorParams",
    "operating_point",
    "transient",
    "get_engine",
    "LinearSolver",
    "op_batch",
    "OperatingPoint",
    "TransientResult",
    "Pulse",
    "PWL",
    "Sine",
    "CrossbarArray",
    "SignedCrossbarLayer",
]
