"""Memristor crossbars built on the circuit layer (:mod:`thermolearn.circuit`).

:class:`CrossbarArray` and :class:`SignedCrossbarLayer` (:mod:`~thermolearn.crossbar.array`),
the fast array solver (:mod:`~thermolearn.crossbar.array_solver`), weight mapping
(:mod:`~thermolearn.crossbar.mapping`), programming schemes
(:mod:`~thermolearn.crossbar.programming`) and the design sweep
(:mod:`~thermolearn.crossbar.design`). The general circuit simulator (``Circuit``,
``operating_point``, ``transient``, netlists) lives in :mod:`thermolearn.circuit`.
"""

from __future__ import annotations

from typing import Any

_LAZY = {"CrossbarArray", "SignedCrossbarLayer"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from thermolearn.crossbar import array

        return getattr(array, name)
    raise AttributeError(f"module 'thermolearn.crossbar' has no attribute {name!r}")


__all__ = ["CrossbarArray", "SignedCrossbarLayer"]
