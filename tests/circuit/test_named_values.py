"""NamedValues: the array-backed read-only mapping of the Python engine's operating point.

Reference: the plain ``dict`` the engine returned before (``{"0": 0.0, node: v, ...}`` and
``{element: i, ...}``), compared exactly (the same floats, the same key order).
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from thermolearn.circuit import Circuit, operating_point
from thermolearn.circuit.elements import element_currents
from thermolearn.circuit.mna.compile import compiled
from thermolearn.circuit.results import NamedValues


def test_named_values_behaves_as_a_read_only_dict() -> None:
    m = NamedValues(["a", "b", "c"], np.array([1.0, 2.0, 3.0]))
    ref = {"a": 1.0, "b": 2.0, "c": 3.0}
    assert m == ref and dict(m) == ref and m.copy() == ref and list(m) == ["a", "b", "c"]
    assert m["b"] == 2.0 and "c" in m and "d" not in m and 5 not in m and len(m) == 3
    assert list(m.items()) == list(ref.items()) and m.values() == [1.0, 2.0, 3.0]
    with pytest.raises(KeyError):
        m["A"]  # names are exact keys, as in a dict
    # a shared index with extra names and an offset: only the listed names are keys
    index = {"0": -1, "x": 0, "i(v1)": 7, "gnd": -1}
    shared = NamedValues(["0", "x"], np.array([0.0, 5.0]), index, 1)
    assert shared["x"] == 5.0 and shared["0"] == 0.0
    assert "i(v1)" not in shared and "gnd" not in shared and list(shared) == ["0", "x"]
    # pickled (process pools): names and values, the index rebuilt
    from types import MappingProxyType

    live = NamedValues(["0", "x"], np.array([0.0, 5.0]), MappingProxyType({"0": 0, "x": 1}))
    back = pickle.loads(pickle.dumps(live))
    assert back == {"0": 0.0, "x": 5.0} and back["x"] == 5.0


def test_operating_point_mappings_equal_the_plain_dicts() -> None:
    c = Circuit("divider")
    c.add_vsource("V1", "in", "0", dc=1.0)
    c.add_resistor("R1", "in", "mid", 1e3)
    c.add_resistor("R2", "mid", "0", 3e3)
    op = operating_point(c)
    assert isinstance(op.voltages, NamedValues) and isinstance(op.currents, NamedValues)
    assert dict(op.voltages) == {"0": 0.0, "in": 1.0, "mid": 0.75}
    comp = compiled(c)
    z = np.array([op.voltages[nd] for nd in comp.node_names] + [op.i("V1")])
    assert dict(op.currents) == element_currents(comp, z)
    assert op.i("R1") == pytest.approx(0.25e-3, rel=1e-12)
