"""SPICE: the expression language, netlist export and parsing, and the ngspice engine.

* :mod:`~thermolearn.circuit.spice.numbers` and :mod:`~thermolearn.circuit.spice.expressions`:
  SPICE numbers and the B-source expression language;
* :mod:`~thermolearn.circuit.spice.export`: a circuit as a self-contained ngspice netlist;
* :mod:`~thermolearn.circuit.spice.parser`: a useful SPICE subset into a circuit;
* :mod:`~thermolearn.circuit.spice.ngspice_engine`: the ``"ngspice"`` engine;
* :mod:`~thermolearn.circuit.spice.runner`: runs netlist text in ngspice through PySpice (imported
  lazily, only when a netlist runs).

Import the submodules directly; this package imports nothing itself, so that the circuit data
layer can use the expression language without loading the rest.
"""
