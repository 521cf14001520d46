"""Netlists at scale: the bulk path for runs of plain resistor lines and Circuit.add_resistors.

Reference: the general parser, line by line (the bulk path is switched off by raising its
minimum run length): the same elements in the same order with the same nodes and values
(exact), and the same errors naming the same line.
"""

from __future__ import annotations

import numpy as np
import pytest

import thermolearn.circuit.spice.parser as parser_mod
from thermolearn.circuit import Circuit, parse_netlist
from thermolearn.errors import NetlistError, ParameterError


def _netlist(n: int, extra: str = "") -> str:
    rng = np.random.default_rng(3)
    lines = ["bulk test", "V1 in 0 DC 1", "R_in in a0 10"]
    for k in range(n):
        lines.append(f"R{k} a{k} a{k + 1} {rng.uniform(1, 1e4)!r}")
        if k == n // 2:
            lines.append("C1 a3 0 1p")  # another element inside the run: two runs
            lines.append(f"Rk a{k} GND 4.7k")  # a scale factor: general path
        lines.append(f"Rg{k} a{k + 1} 0 {float(rng.integers(1, 9000))}")
    lines.append(extra)
    lines.append(".op")
    lines.append(".end")
    return "\n".join(lines) + "\n"


def _snapshot(c: Circuit) -> list[tuple[str, str, tuple[str, ...], float]]:
    return [(e.kind, e.name, e.nodes, e.value) for e in c.elements]


def test_bulk_path_builds_the_same_circuit(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _netlist(150)
    fast = parse_netlist(text).circuit
    monkeypatch.setattr(parser_mod, "_BULK_MIN", 10**9)
    slow = parse_netlist(text).circuit
    assert _snapshot(fast) == _snapshot(slow)
    assert fast.nodes == slow.nodes
    assert sorted(fast.graph.edges(keys=True)) == sorted(slow.graph.edges(keys=True))
    assert sorted(fast.graph.in_edges(keys=True)) == sorted(slow.graph.in_edges(keys=True))
    assert fast.element("rk").value == 4700.0


def test_bulk_path_errors_name_the_line(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _netlist(100, extra="R5 x y 10")  # a duplicate name after the runs
    with pytest.raises(NetlistError, match="already has an element") as fast:
        parse_netlist(text)
    monkeypatch.setattr(parser_mod, "_BULK_MIN", 10**9)
    with pytest.raises(NetlistError, match="already has an element") as slow:
        parse_netlist(text)
    assert str(fast.value) == str(slow.value) and fast.value.line == slow.value.line
    # a duplicate inside a run: the run goes back to the general parser, which names it
    dup = _netlist(100).replace("Rg7 ", "R3 ", 1)
    with pytest.raises(NetlistError, match="'R3'") as exc:
        parse_netlist(dup)
    assert exc.value.line == next(
        k for k, ln in enumerate(dup.splitlines(), 1) if ln.startswith("R3 ") and "a8" in ln
    )


def test_add_resistors_is_all_or_nothing() -> None:
    c = Circuit("bulk")
    c.add_resistors(["R1", "R2"], ["a", "b"], ["b", "0"], [1e3, 2e3])
    assert [e.name for e in c.elements] == ["R1", "R2"] and c.nodes == ["0", "a", "b"]
    with pytest.raises(ParameterError, match="'r' parameter of R4"):
        c.add_resistors(["R3", "R4"], ["a", "b"], ["b", "0"], [1e3, -1.0])
    with pytest.raises(ParameterError, match="already has an element named 'R1'"):
        c.add_resistors(["R5", "r1"], ["a", "b"], ["b", "0"], [1e3, 1.0])
    with pytest.raises(ParameterError, match="'first' node"):
        c.add_resistors(["R6"], ["a b"], ["0"], [1.0])
    assert [e.name for e in c.elements] == ["R1", "R2"]  # nothing was added
    assert c.graph.number_of_edges() == 2
