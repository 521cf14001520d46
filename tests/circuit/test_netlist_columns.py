"""Columnar circuits and the column reader of uniform netlist lines against the object path.

References (all exact: the same doubles, the same strings, the same order):

* the parser's general reader, line by line (the column reader switched off by raising
  ``parser._BULK_MIN``; switched on for every run, however short, with ``_BULK_MIN = 1``):
  the same elements (kind, name, nodes, value, every other field), node order, notes,
  ParsedNetlist fields, MNA stamps, operating point -- or the same error on the same line;
* :func:`~thermolearn.circuit.spice.numbers.parse_number` (ngspice's ``INPevaluate``) for
  every number the column reader reads;
* a circuit built element by element (``add_resistor`` ...) for one built from columns
  (``add_nodes`` + ``add_rows``).

The randomised netlists mix uniform lines with everything that must make a line non-uniform
or change its meaning: comments (``*``, ``;``, ``$``), ``+`` continuations, blank lines,
``.subckt`` bodies, ``.control`` blocks, ``.lib`` sections, lines after ``.end``, ground
aliases, nodes differing only in case, scale factors (``meg``, ``mil``, ``k``, ``M``, trailing
units), ``DC``, zero and negative values, duplicate names, ``.ic``. No timing is asserted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import thermolearn.circuit.circuit as circuit_mod
import thermolearn.circuit.spice.parser as parser_mod
from thermolearn.circuit import (
    Circuit,
    export_netlist,
    operating_point,
    parse_netlist,
    read_netlist,
)
from thermolearn.circuit.mna.compile import CompiledCircuit
from thermolearn.circuit.spice.numbers import parse_number
from thermolearn.circuit.spice.row_lines import classify_lines, parse_values, value_of
from thermolearn.errors import NetlistError, ParameterError, ThermolearnError

CORPUS = Path(__file__).resolve().parents[1] / "spice_corpus"


def _snapshot(c: Circuit) -> list[tuple[object, ...]]:
    return [
        (e.kind, e.name, e.nodes, e.value, e.waveform, e.ic, e.control, e.model, e.x0, e.expr,
         e.mode, tuple(sorted(e.extra.items())))
        for e in c.elements
    ]


def _stamps(c: Circuit) -> tuple[np.ndarray, ...]:
    comp = CompiledCircuit(c)
    a = comp.matrix().tocsr()
    a.sort_indices()
    return a.indptr, a.indices, a.data, comp.source_rhs(None)


def _parse(text: str, monkeypatch: pytest.MonkeyPatch, bulk_min: int) -> object:
    monkeypatch.setattr(parser_mod, "_BULK_MIN", bulk_min)
    try:
        return parse_netlist(text)
    except ThermolearnError as exc:  # NetlistError (and anything else must be the same too)
        return (type(exc).__name__, str(exc))


def _assert_same(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _parse(text, monkeypatch, 1)
    slow = _parse(text, monkeypatch, 10**9)
    if isinstance(slow, tuple) or isinstance(fast, tuple):
        assert fast == slow
        return
    assert _snapshot(fast.circuit) == _snapshot(slow.circuit)
    assert fast.circuit.nodes == slow.circuit.nodes
    assert fast.circuit.title == slow.circuit.title
    for attr in ("analyses", "options", "notes", "ac_sources", "ac_resistance", "params"):
        assert getattr(fast, attr) == getattr(slow, attr), attr
    try:
        ref = _stamps(slow.circuit)
    except ThermolearnError as exc:
        with pytest.raises(type(exc)):
            _stamps(fast.circuit)
        return
    for x, y in zip(_stamps(fast.circuit), ref, strict=True):
        assert np.array_equal(x, y)


# -- numbers -------------------------------------------------------------------------------
_MANT = st.sampled_from(["1", "0", "12", "4.7", ".5", "5.", "-2.25", "+3", "1234567.125", "0.1"])
_EXP = st.sampled_from(["", "e3", "E-2", "e+05", "e", "d3", "e-400", "e400", "E0"])
_SUFFIX = st.sampled_from(
    ["", "k", "K", "meg", "MEG", "Meg", "mil", "MIL", "m", "M", "u", "n", "p", "f", "t", "g",
     "kohm", "V", "ohm", "mV", "megohm", "a", "_x", "%", "k7", "u2", "e", "x"]
)


@settings(max_examples=400, deadline=None)
@given(mant=_MANT, exp=_EXP, suffix=_SUFFIX)
def test_values_are_read_as_parse_number_reads_them(mant: str, exp: str, suffix: str) -> None:
    token = mant + exp + suffix
    try:
        ref: float | None = parse_number(token)
    except ValueError:
        ref = None
    assert value_of(token) == ref
    vals, ok = parse_values([token, "2.5", token])
    assert bool(ok[0]) == (ref is not None) and vals[1] == 2.5
    if ref is not None:
        assert vals[0] == ref and vals[2] == ref


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=30))
def test_repr_floats_are_read_exactly(xs: list[float]) -> None:
    vals, ok = parse_values([repr(x) for x in xs])
    assert ok.all() and vals.tolist() == xs


def test_line_classification() -> None:
    text = (
        "title R1 a b 1\n"  # the title: never uniform
        "R1 a b 1k\n"
        "V1 a 0 DC 1\n"
        "C1 a b 1p\n"
        "+ ic=1\n"  # C1 is continued: not uniform
        "R2 a b 1 ; note\n"
        "R3 a  b 1\n"
        "R4 a b 1 \n"
        "R5 a b\n"
        "D1 a b dmod\n"
        "I1 a b dc 1\n"
        "Rü a b 1\n"
        "L1 a b 1u\n"
    )
    t = classify_lines(np.frombuffer(text.encode(), np.uint8), 1000)
    assert t.fields.tolist() == [0, 4, 5, 0, 0, 0, 0, 0, 0, 0, 5, 0, 4]
    t = classify_lines(np.frombuffer(text.encode(), np.uint8), 9)  # line cap: 9 characters
    assert t.fields.tolist()[1:3] == [4, 0]


# -- randomised netlists ---------------------------------------------------------------------
_NODE = st.sampled_from(["a", "b", "A", "n1", "N1", "0", "gnd", "GND", "x_2", "n#3", "c.4"])
_NAME = st.sampled_from(["1", "2", "3", "a", "A", "x", "b_7", "1.2", "9"])
_VALUE = st.one_of(
    st.builds(lambda m, e, s: m + e + s, _MANT, _EXP, _SUFFIX),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(repr),
)


@st.composite
def _uniform(draw: st.DrawFn) -> str:
    letter = draw(st.sampled_from("RrCcLlVvIi"))
    dc = "DC " if letter in "VvIi" and draw(st.booleans()) else ""
    return f"{letter}{draw(_NAME)} {draw(_NODE)} {draw(_NODE)} {dc}{draw(_VALUE)}"


_OTHER = st.sampled_from(
    [
        "* a comment",
        "",
        "R9 a b 1 ; trailing comment",
        "Rq a b r=2k",
        "+ tc1=0",
        "V8 b 0 PULSE(0 1 1n 1n 1n 5n 10n)",
        "C9 a 0 1p IC=0.5",
        ".subckt blk p q",
        ".ends",
        "X1 a b blk",
        ".control",
        "op",
        ".endc",
        ".lib sec",
        ".endl",
        ".ic V(a)=0.2",
        ".tran 1n 10n uic",
        ".op",
        ".end",
        ".param rr=3",
        "Rp a b {rr}",
        "D1 a 0 dmod",
        ".model dmod d is=1e-14",
        "Rü a b 1",
        "  R7 a b 1",
        "\tR6 a b 1",
        ".temp 50",
    ]
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.one_of(_uniform(), _uniform(), _uniform(), _OTHER), max_size=40))
def test_random_netlists_read_the_same_by_columns_and_line_by_line(
    monkeypatch: pytest.MonkeyPatch, lines: list[str]
) -> None:
    _assert_same("random netlist\nV0 a 0 1\nR0 a 0 1k\n" + "\n".join(lines) + "\n", monkeypatch)


_TRICKY = {
    "control block": "t\nV1 a 0 1\nR1 a 0 1\n.control\nrusage a b 1\nR5 a b 1\nV9 a b 2\n.endc\n",
    "lib section": "t\nV1 a 0 1\nR1 a 0 1\n.lib sec\nR5 a b 1\nR6 a b -1\n.endl\nR7 a 0 2\n",
    "subckt body": (
        "t\nV1 a 0 1\n.subckt s p q\nR1 p q 1k\nR2 q 0 2meg\n.ends\nX1 a b s\nR3 b 0 1\n"
    ),
    "after end": "t\nV1 a 0 1\nR1 a 0 1\n.end\nR2 a b 1\nR3 b c x\n",
    "continuation": "t\nV1 a 0 1\nR1 a 0 1\n* note\n+ tc1=1\nR2 a 0 3\n\n+ m=2\n",
    "ic": (
        "t\nV1 a 0 PULSE(0 1 1n 1n 1n 5n 10n)\nR1 a b 1\nC1 b 0 1p\n.ic V(b)=0.3\n"
        ".tran 1n 5n uic\n"
    ),
    "case and ground": "t\nV1 N1 gnd 1\nR1 n1 A 1\nR2 a GND 2\nr3 N1 Gnd 3\n",
    "zero": "t\nV1 a 0 1\nR1 a 0 1\nR2 a 0 0\n",
    "mil and meg": "t\nV1 a 0 1\nR1 a 0 1mil\nR2 a 0 1meg\nR3 a 0 1MEGohm\nR4 a 0 1Milohm\n",
    # first spellings across runs and general lines (lower case from a run, upper case from
    # a run, upper case from a general line; ground aliases inside runs)
    "case across runs": (
        "t\nV1 n1 0 1\nR1 n1 a 1\nR2 a B 2\nR3 b C 3 ; general\nR4 c A 4\nR5 A d 5\n"
        "R6 D e 6\nR7 E f 7 ; general\nR8 F GND 8\nR9 f Gnd 9\nR10 gnd 0 10\n"
        "R11 x y 1k\nR12 X Y 1K\nR13 Y z 1\nR14 z 0 1\n"
    ),
    # .ic records the spelling NX before any element has the node: the runs add it as NX,
    # and later runs (sub-runs) must find that node again, not add a second one
    "spelling recorded before the node": (
        "t\n.tran 1n 10n uic\n.ic V(NX)=0.5\nV1 a 0 1\nR1 a nx 1\nR2 nx b 2\nR3 b c 3\n"
        "R4 c Nx 4\nR5 nX d 5\nR6 d 0 6\nC1 nx 0 1p\nR7 nx e 7\nR8 e 0 8\n"
    ),
}


@pytest.mark.parametrize("name", sorted(_TRICKY))
def test_tricky_netlists_read_the_same(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _assert_same(_TRICKY[name], monkeypatch)


@pytest.mark.parametrize("name", sorted(_TRICKY))
def test_tricky_netlists_read_the_same_in_short_sub_runs(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same with runs cut into sub-runs of two lines (each resolves its nodes anew)."""
    monkeypatch.setattr(parser_mod, "_SUB_RUN", 2)
    _assert_same(_TRICKY[name], monkeypatch)


def test_long_runs_with_irregular_lines_read_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    body = ["long runs", "V1 n0 0 DC 1", "I1 0 n5 1m"]
    body += [f"Rg{j} n{j} 0 {j + 1}k" for j in range(500)]
    for k in range(3000):
        body.append(f"R{k} n{k % 500} N{(k * 7) % 500} {rng.uniform(1, 1e4)!r}")
        if k % 997 == 5:
            body.append(f"r{k}x n{k % 500} gnd -{k + 1}")  # negative: ngspice's VCCS
        if k % 1301 == 7:
            body.append(f"C{k} n{k % 500} 0 {k}p")
        if k % 1499 == 3:
            body.append(f"Rs{k} n{k % 500} n1 4.7kOhm")
    body += [".op", ".end", "R99999 a b 1"]
    text = "\n".join(body) + "\n"
    _assert_same(text, monkeypatch)
    fast = _parse(text, monkeypatch, 1)
    slow = _parse(text, monkeypatch, 10**9)
    assert operating_point(fast.circuit).voltages == operating_point(slow.circuit).voltages
    # a duplicate deep inside a run: the same error on the same line
    dup = text.replace("R2000 ", "r7 ", 1)
    for bulk, index in ((1, 100_000), (1, 0), (10**9, 100_000)):
        monkeypatch.setattr(parser_mod, "_BULK_MIN", bulk)
        monkeypatch.setattr(circuit_mod, "_BULK_INDEX", index)
        with pytest.raises(NetlistError, match="'r7'") as exc:
            parse_netlist(dup)
        assert exc.value.line == next(
            k for k, ln in enumerate(dup.splitlines(), 1) if ln.startswith("r7 ")
        )


@pytest.mark.parametrize(
    "path",
    sorted(
        p for p in CORPUS.rglob("*") if p.suffix.lower() in (".cir", ".sp", ".net", ".spi")
    ),
    ids=lambda p: str(p.relative_to(CORPUS)),
)
def test_corpus_reads_the_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    results = []
    for bulk in (1, 10**9):
        monkeypatch.setattr(parser_mod, "_BULK_MIN", bulk)
        try:
            parsed = read_netlist(path)
        except ThermolearnError as exc:
            results.append(str(exc))
            continue
        results.append((_snapshot(parsed.circuit), parsed.circuit.nodes, parsed.analyses))
    assert results[0] == results[1]


# -- columns vs objects ----------------------------------------------------------------------
def test_columns_build_the_circuit_the_object_calls_build() -> None:
    rng = np.random.default_rng(1)
    n = 40
    names = [f"R{k}" for k in range(n)]
    n1 = [f"n{k}" for k in range(n)]
    n2 = ["0" if k % 5 == 4 else f"n{k + 1}" for k in range(n)]
    r = rng.uniform(1.0, 1e3, n)
    obj = Circuit("same")
    obj.add_vsource("V1", "n0", "0", dc=1.0)
    for nm, a, b, v in zip(names, n1, n2, r, strict=True):
        obj.add_resistor(nm, a, b, float(v))
    obj.add_capacitor("C1", "n3", "0", 1e-12)
    col = Circuit("same")
    col.add_vsource("V1", "n0", "0", dc=1.0)
    pos = col.add_nodes([x for pair in zip(n1, n2, strict=True) for x in pair])
    col.add_rows("R", names, pos[0::2], pos[1::2], r)
    col.add_rows("C", ["C1"], col.add_nodes(["n3"]), [0], [1e-12])
    assert _snapshot(col) == _snapshot(obj) and col.nodes == obj.nodes
    assert sorted(col.graph.edges(keys=True)) == sorted(obj.graph.edges(keys=True))
    for x, y in zip(_stamps(col), _stamps(obj), strict=True):
        assert np.array_equal(x, y)
    assert operating_point(col).voltages == operating_point(obj).voltages
    assert export_netlist(col, ".op") == export_netlist(obj, ".op")
    # edits: set_value, remove, then the same again
    for c in (obj, col):
        c.set_value("R7", 5.0)
        c.remove("R3")
        c.set_value("V1", 2.0)
    assert _snapshot(col) == _snapshot(obj)
    assert operating_point(col).currents == operating_point(obj).currents
    assert export_netlist(col, ".op") == export_netlist(obj, ".op")


@pytest.mark.parametrize("regime", ["name dict", "name hashes", "hash collisions"])
def test_add_rows_is_all_or_nothing(regime: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if regime != "name dict":  # what a circuit of >= 100k elements does
        monkeypatch.setattr(circuit_mod, "_BULK_INDEX", 0)
    if regime == "hash collisions":  # every name hashes alike: the exact check decides
        monkeypatch.setattr(circuit_mod, "hash", lambda s: 7, raising=False)
    c = Circuit("rows")
    ab = c.add_nodes(["a", "b", "gnd"])
    assert ab.tolist() == [1, 2, 0] and c.nodes == ["0", "a", "b"]
    with pytest.raises(ParameterError, match="'r' parameter of R2 must be > 0"):
        c.add_rows("R", ["R1", "R2"], [1, 2], [2, 0], [1.0, 0.0])
    with pytest.raises(ParameterError, match="already has an element named 'R1'"):
        c.add_rows("RC", ["R1", "r1"], [1, 2], [2, 0], [1.0, 1.0])
    with pytest.raises(ParameterError, match="Element names"):
        c.add_rows("V", ["V(1)"], [1], [0], [1.0])
    with pytest.raises(ParameterError, match="node positions"):
        c.add_rows("R", ["R1"], [1], [7], [1.0])
    with pytest.raises(ParameterError, match="Node names"):
        c.add_nodes(["ok", "a b"])
    assert len(c) == 0 and c.nodes == ["0", "a", "b"]
    c.add_rows("RV", ["R1", "V1"], [1, 1], [2, 0], [10.0, -1.5])
    assert [(e.kind, e.name, e.nodes, e.value) for e in c.elements] == [
        ("R", "R1", ("a", "b"), 10.0),
        ("V", "V1", ("a", "0"), -1.5),
    ]
    assert c.element("r1").value == 10.0 and "v1" in c and c.version == 2
    c.add_rows("R", ["R2", "R3"], [1, 2], [2, 0], [1.0, 2.0])
    with pytest.raises(ParameterError, match="already has an element named 'R3'"):
        c.add_rows("C", ["C1", "r3"], [1, 2], [2, 0], [1.0, 1.0])
    with pytest.raises(ParameterError, match="already has an element named 'V1'"):
        c.add_resistor("v1", "a", "b", 1.0)
    assert [e.name for e in c.elements] == ["R1", "V1", "R2", "R3"] and len(c) == 4


def test_split_rows_reads_long_runs_itself() -> None:
    """The byte-level reader takes a long run of crossbar-like lines (node names of 9-12
    characters: two 64-bit words, hashed) rather than declining it, and its columns are the
    tokens of the text: names, distinct nodes in order of first appearance (case folded),
    values as parse_number reads them."""
    from thermolearn.circuit.spice.row_lines import split_rows

    rng = np.random.default_rng(3)
    lines = []
    for i in range(60):
        for j in range(60):
            lines.append(f"Rr{i}_{j} row{i}_{j}x ROW{i}_{j + 1}X 2.5")
            lines.append(f"RG{i}_{j} Row{i}_{j}X col{i}_{j}xy {rng.uniform(1e3, 1e6)!r}")
    text = "\n".join(lines)
    rc = split_rows(text.encode(), 0, len(text), len(lines), 4)
    assert rc is not None
    toks = [ln.split() for ln in lines]
    assert rc.names == [t[0] for t in toks]
    inter = [t[k].lower() for t in toks for k in (1, 2)]
    distinct = list(dict.fromkeys(inter))
    assert rc.lower == distinct
    assert [distinct[i] for i in rc.node_ids] == inter
    first = {}
    for t in toks:
        for k in (1, 2):
            first.setdefault(t[k].lower(), t[k])
    assert rc.spelling == [first[lo] for lo in distinct]
    assert list(rc.upper) == [first[lo] != lo for lo in distinct]
    assert rc.values.tolist() == [parse_number(t[3]) for t in toks] and rc.ok.all()


# -- hash collisions (review finding R2) -------------------------------------------------------
# Names are found by 64-bit token hashes (row_lines.token_hash); a hash may only cost time,
# never correctness. The pairs below hash alike (found by solving token_hash byte by byte:
# h = F(w0) + w1 for a 16-byte token); the references are the general reader line by line
# (exact, as in _assert_same) and the operating point worked by hand (each probe node sits
# between its hub node and ground through two equal 1 kOhm resistors: half the hub's
# voltage), which ngspice 39 gives for the same text.
_NODE_PAIR = ("x29ylsxd7xyzzd8z", "7cauin3ozbka19v2")
_NAME_PAIR = ("r4tbw62xl8uikhre", "rdoiw6eg1i64f2_u")


def _hub_netlist(runs: list[tuple[str, str]], hubs: dict[str, float], n: int = 80) -> str:
    """Runs of ``n`` resistors from probe nodes ``<probe><i>`` to a hub node, each run
    followed by a run of zero-volt sources (so the runs are separate column reads); then the
    hub sources and each probe's 1 kOhm to ground."""
    body = ["hub netlist"]
    for r, (probe, hub) in enumerate(runs):
        body += [f"R{r}_{i} {probe}{i} {hub} 1k" for i in range(n)]
        body += [f"Vs{r}_{i} s{r}_{i} 0 DC 0" for i in range(n)]
    body += [f"V{k} {hub} 0 {v!r}" for k, (hub, v) in enumerate(hubs.items())]
    for probe, _ in runs:
        body += [f"Rg_{probe}{i} {probe}{i} 0 1k" for i in range(n)]
    return "\n".join([*body, ".op", ".end"]) + "\n"


def _hub_layout(a: str, b: str, runs: int) -> tuple[str, dict[str, float]]:
    """Hub ``a`` at 1 V, hub ``b`` at 2 V; runs on a, b, b (and a again with ``runs=4``)."""
    probes = [("in", a), ("mid", b), ("out", b), ("z", a)][:runs]
    expect = {"in": 0.5, "mid": 1.0, "out": 1.0, "z": 0.5}
    return _hub_netlist(probes, {a: 1.0, b: 2.0}), {p: expect[p] for p, _ in probes}


def test_the_crafted_pairs_hash_alike() -> None:
    """The premise of the tests below: each pair's lower-case names have equal token hashes."""
    from thermolearn.circuit.spice.row_lines import hash_strings

    for x, y in (_NODE_PAIR, _NAME_PAIR):
        assert x != y
        h = hash_strings([x, y])
        assert h[0] == h[1]


@pytest.mark.parametrize("runs", [3, 4])
@pytest.mark.parametrize("swap", [False, True])
def test_node_names_with_equal_hashes_are_two_nodes(
    runs: int, swap: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review R2: on 7933a54/e92cb4a a hub of a colliding pair was added again in a later run
    (a duplicated node, V(in5) = 0 V instead of 0.5 V, no error)."""
    a, b = _NODE_PAIR[::-1] if swap else _NODE_PAIR
    text, expect = _hub_layout(a, b, runs)
    _assert_same(text, monkeypatch)
    monkeypatch.setattr(parser_mod, "_BULK_MIN", 1)
    c = parse_netlist(text).circuit
    assert len(c.nodes) == len(set(c.nodes))
    assert sorted(x for x in c.nodes if x in _NODE_PAIR) == sorted(_NODE_PAIR)
    v = operating_point(c).voltages
    for probe, want in expect.items():  # hand-worked divider, 1e-12 V (a direct solve)
        assert v[f"{probe}5"] == pytest.approx(want, abs=1e-12), probe


def _name_runs(first: str, second: str) -> str:
    """Two runs of resistors, separated by a run of sources, the first ending in an element
    named ``first`` and the second in one named ``second``."""
    body = ["names", "V1 a 0 1"]
    body += [f"Ra{i} a n{i} 1k" for i in range(70)] + [f"{first} a n0 2k"]
    body += [f"Vq{i} q{i} 0 DC 0" for i in range(70)]
    body += [f"Rb{i} n{i} 0 1k" for i in range(70)] + [f"{second} a n1 3k"]
    return "\n".join([*body, ".op", ".end"]) + "\n"


def test_element_names_with_equal_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Element names whose hashes are equal are still two elements (no false duplicate), and a
    real duplicate whose hash is shared with another name is still reported, on its line, as
    the general reader reports it."""
    x, y = _NAME_PAIR
    text = _name_runs(x, y)
    _assert_same(text, monkeypatch)
    monkeypatch.setattr(parser_mod, "_BULK_MIN", 1)
    c = parse_netlist(text).circuit
    assert c.element(x).value == 2000.0 and c.element(y).value == 3000.0
    for dup in (_name_runs(x, x.upper()), _name_runs(y, y)):
        _assert_same(dup, monkeypatch)
        monkeypatch.setattr(parser_mod, "_BULK_MIN", 1)
        with pytest.raises(NetlistError, match="already has an element named") as exc:
            parse_netlist(dup)
        assert exc.value.line == len(dup.splitlines()) - 2


def _weak_hash(rows: np.ndarray) -> np.ndarray:
    """A token hash that keeps only the first 8 bytes: every pair of tokens that share them
    collides (most crossbar-like names do)."""
    return rows.view(np.uint64)[:, 0].copy()


_WEAK = {
    **{f"tricky {k}": t for k, t in _TRICKY.items()},
    "hubs sharing 8 bytes": _hub_netlist(
        [("in", "node_aaaa_A"), ("mid", "node_aaaa_B"), ("z", "node_aaaa_A"),
         ("out", "node_aaaa_b"), ("w", "NODE_AAAA_a")],
        {"node_aaaa_A": 1.0, "node_aaaa_B": 2.0},
    ),
    "names sharing 8 bytes": _name_runs("r_shared_one", "r_shared_two"),
    "duplicate sharing 8 bytes": _name_runs("r_shared_one", "R_SHARED_ONE"),
    "crossbar-like": "xbar\nV1 row_0000_0 0 1\n" + "\n".join(
        f"R{i}_{j} row_0000_{i} col_0000_{j} {1 + i + j}k\nRl{i}_{j} col_0000_{j} 0 1k"
        for i in range(12) for j in range(12)
    ) + "\nRh row_0000_0 row_0000_11 1\n",
}


@pytest.mark.parametrize("name", sorted(_WEAK))
@pytest.mark.parametrize("sub_run", [2, 1 << 18])
def test_a_weak_token_hash_costs_time_not_correctness(
    name: str, sub_run: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``token_hash`` cut to the first 64-bit word, collisions are everywhere; the column
    reader must still read every netlist exactly as the general reader does (nodes, elements,
    stamps, errors)."""
    import thermolearn.circuit.spice.row_lines as row_lines_mod

    monkeypatch.setattr(row_lines_mod, "token_hash", _weak_hash)
    monkeypatch.setattr(parser_mod, "_SUB_RUN", sub_run)
    _assert_same(_WEAK[name], monkeypatch)
    if name == "hubs sharing 8 bytes":
        monkeypatch.setattr(parser_mod, "_BULK_MIN", 1)
        c = parse_netlist(_WEAK[name]).circuit
        assert len({x.lower() for x in c.nodes}) == len(c.nodes)
        v = operating_point(c).voltages
        for probe, want in {"in": 0.5, "mid": 1.0, "z": 0.5, "out": 1.0, "w": 0.5}.items():
            assert v[f"{probe}5"] == pytest.approx(want, abs=1e-12), probe
