"""The general circuit simulator: one circuit description, two engines.

>>> from thermolearn.circuit import Circuit, operating_point
>>> c = Circuit("divider")
>>> _ = c.add_vsource("V1", "in", "0", dc=2.0)
>>> _ = c.add_resistor("R1", "in", "out", 1e3)
>>> _ = c.add_resistor("R2", "out", "0", 3e3)
>>> operating_point(c).v("out")
1.5

Layout: :mod:`~thermolearn.circuit.circuit` (the :class:`Circuit` data), waveforms, element
laws (:mod:`~thermolearn.circuit.elements`), results, the Python engine
(:mod:`~thermolearn.circuit.mna`), SPICE text and the ngspice engine
(:mod:`~thermolearn.circuit.spice`), and :mod:`~thermolearn.circuit.engines` (engines by name).
"""

from thermolearn.circuit.circuit import GROUND, KINDS, Circuit, Element, is_ground
from thermolearn.circuit.engines import ENGINES, get_engine, operating_point, transient
from thermolearn.circuit.mna import LinearSolver, NewtonOptions, compile_circuit, op_batch
from thermolearn.circuit.results import OperatingPoint, TransientResult
from thermolearn.circuit.spice.export import export_netlist
from thermolearn.circuit.spice.parser import ParsedNetlist, parse_netlist, read_netlist
from thermolearn.circuit.waveforms import PWL, Pulse, Sine

__all__ = [
    "Circuit",
    "Element",
    "GROUND",
    "KINDS",
    "is_ground",
    "ENGINES",
    "get_engine",
    "operating_point",
    "transient",
    "LinearSolver",
    "NewtonOptions",
    "op_batch",
    "compile_circuit",
    "OperatingPoint",
    "TransientResult",
    "export_netlist",
    "ParsedNetlist",
    "parse_netlist",
    "read_netlist",
    "Pulse",
    "PWL",
    "Sine",
]
