"""The Python circuit engine: modified nodal analysis on scipy.sparse.

* :mod:`~thermolearn.circuit.mna.compile` turns a circuit into MNA index arrays
  (:class:`CompiledCircuit`, cached per circuit version);
* :mod:`~thermolearn.circuit.mna.linear`: sparse LU (SuperLU), :class:`LinearSolver` (factor a
  linear circuit once, solve many source vectors), :func:`op_batch`;
* :mod:`~thermolearn.circuit.mna.dc`: Newton-Raphson with junction limiting, gmin and source
  stepping (:func:`operating_point`);
* :mod:`~thermolearn.circuit.mna.stamped`: compile once, update values in place, batched and
  warm-started operating points (:func:`compile_circuit`);
* :mod:`~thermolearn.circuit.mna.transient`: backward Euler / trapezoidal, fixed or adaptive
  step, memristor states integrated alongside (:func:`transient`).

The element laws it stamps live in :mod:`thermolearn.circuit.elements`, shared with the ngspice
engine.

References
----------
.. [1] C.-W. Ho, A. Ruehli, P. Brennan, "The modified nodal approach to network analysis,"
   IEEE Trans. Circuits Syst. 22(6), 504-509 (1975).
.. [2] L. W. Nagel, "SPICE2: A computer program to simulate semiconductor circuits,"
   UCB/ERL M520 (1975) -- junction voltage limiting (pnjlim), gmin and source stepping.
.. [3] B. D. H. Tellegen, "A general network theorem, with applications," Philips Res. Rep. 7,
   259-269 (1952).
"""

from thermolearn.circuit.mna.compile import CompiledCircuit, compiled
from thermolearn.circuit.mna.dc import NewtonOptions, operating_point
from thermolearn.circuit.mna.linear import LinearSolver, op_batch
from thermolearn.circuit.mna.stamped import StampedCircuit, compile_circuit
from thermolearn.circuit.mna.transient import transient

__all__ = [
    "CompiledCircuit",
    "compiled",
    "NewtonOptions",
    "operating_point",
    "LinearSolver",
    "op_batch",
    "compile_circuit",
    "StampedCircuit",
    "transient",
]
