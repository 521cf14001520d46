"""Memristor crossbars built on the circuit layer (:mod:`thermolearn.circuit`).

:class:`CrossbarArray` and :class:`SignedCrossbarLayer` (:mod:`~thermolearn.crossbar.array`),
the fast array solver (:mod:`~thermolearn.crossbar.array_solver`), weight mapping
(:mod:`~thermolearn.crossbar.mapping`), programming schemes
(:mod:`~thermolearn.crossbar.programming`) and the design sweep
(:mod:`~thermolearn.crossbar.design`). The general circuit simulator (``Circuit``,
``operating_point``, ``transient``, netlists) lives in :mod:`thermolearn.circuit`.
"""

from thermolearn.crossbar.array import CrossbarArray, SignedCrossbarLayer

__all__ = ["CrossbarArray", "SignedCrossbarLayer"]
