"""Resource limits of the netlist reader: fan-out bombs, deep nesting, huge inputs, garbage.

References: the exact flattened element count is the parser's own flattening (``len(circuit)``)
on small hierarchies, and 10**levels * (fan-out) for the bombs (closed form); the memory
estimate is checked against a tracemalloc measurement (within a factor 2). Every hostile input
must end in a NetlistError (the fuzz tests); how long each category takes is measured by
``benchmarks/bench_netlist_limits.py`` (timing is not asserted here; a pytest-timeout guard
turns a hang into a failure).
"""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thermolearn.circuit import Circuit
from thermolearn.circuit.spice import limits as lim
from thermolearn.circuit.spice.limits import BYTES_PER_ELEMENT, NetlistLimits, count_flattened
from thermolearn.circuit.spice.parser import parse_netlist, read_netlist
from thermolearn.errors import NetlistError


def fanout_netlist(levels: int, fanout: int, leaf: str = "R1 a b 1k") -> str:
    """``levels`` nested subcircuits, each instantiating the one below ``fanout`` times."""
    lines = ["* fan-out", ".subckt l0 a b", leaf, ".ends"]
    for k in range(1, levels + 1):
        lines.append(f".subckt l{k} a b")
        lines += [f"X{i} a b l{k - 1}" for i in range(fanout)]
        lines.append(".ends")
    lines += ["V1 in 0 1", f"X1 in 0 l{levels}", ".op", ".end"]
    return "\n".join(lines) + "\n"


@pytest.mark.timeout(60)
def test_tenfold_fanout_is_refused_before_anything_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 18: 9 levels x 10 = 10**9 resistors in 116 lines; refused with the count."""
    text = fanout_netlist(9, 10)
    assert len(text.splitlines()) < 120
    built: list[str] = []
    real = Circuit.add_resistor

    def spy(self: Circuit, name: str, *a: object, **k: object) -> object:
        built.append(name)
        return real(self, name, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(Circuit, "add_resistor", spy)
    with pytest.raises(NetlistError) as info:
        parse_netlist(text, source="fanout.cir")
    msg = str(info.value)
    assert "1,000,000,001 elements" in msg  # 10**9 resistors + V1
    assert "'l9' to 1,000,000,000 elements" in msg and "fanout.cir:114:" in msg
    assert "--max-elements" in msg and "THERMOLEARN_MAX_ELEMENTS" in msg
    assert built == []  # counted, not instantiated


def nested_fanout_netlist(levels: int, fanout: int) -> str:
    """The same bomb with each level defined *inside* the body of the level above (scoped)."""

    def body(lv: int) -> list[str]:
        if lv == 0:
            return ["R1 a b 1k"]
        return [f".subckt l{lv - 1} a b", *body(lv - 1), ".ends",
                *[f"X{i} a b l{lv - 1}" for i in range(fanout)]]

    return "\n".join(["* nested fan-out", f".subckt l{levels} a b", *body(levels), ".ends",
                      "V1 in 0 1", f"X1 in 0 l{levels}", ".end"]) + "\n"


@pytest.mark.timeout(60)
def test_nested_scoped_fanout_is_counted_too() -> None:
    assert len(parse_netlist(nested_fanout_netlist(3, 3)).circuit) == 27 + 1
    with pytest.raises(NetlistError, match="1,000,000,001 elements"):
        parse_netlist(nested_fanout_netlist(9, 10))
    # an inner definition shadows the top-level one of the same name (parser semantics)
    text = ("t\n.subckt leaf a b\nR1 a b 1\n.ends\n.subckt two a b\n.subckt leaf a b\n"
            "R1 a b 1\nR2 a b 1\nR3 a b 1\n.ends\nX1 a b leaf\nX2 a b leaf\n.ends\n"
            "X1 1 0 two\nX2 1 0 leaf\nV1 1 0 1\n.end\n")
    assert len(parse_netlist(text).circuit) == 2 * 3 + 1 + 1
    with pytest.raises(NetlistError, match="8 elements"):
        parse_netlist(text, limits=NetlistLimits(max_elements=7))


def test_count_is_exact_against_the_parsers_flattening() -> None:
    text = fanout_netlist(3, 3, leaf="R1 a b 1k\nC1 a b 1p")
    parsed = parse_netlist(text)
    assert len(parsed.circuit) == 2 * 27 + 1
    body = [ln for ln in text.splitlines()]
    top = ["V1 in 0 1", "X1 in 0 l3"]
    subs: dict[str, list[str]] = {}
    name = None
    for ln in body:
        if ln.lower().startswith(".subckt"):
            name = ln.split()[1].lower()
            subs[name] = []
        elif ln.lower().startswith(".ends"):
            name = None
        elif name is not None:
            subs[name].append(ln)
    total, per = count_flattened(top, subs)
    assert total == len(parsed.circuit) and per == {"l0": 2, "l1": 6, "l2": 18, "l3": 54}
    # parameters and params: do not confuse the instance's subcircuit name
    assert lim._instance_target("X7 a b l2 params: r = {2*k} c=3") == "l2"
    assert lim._instance_target("X7 a b l2 r=5") == "l2"


def test_caps_are_configurable_and_named(monkeypatch: pytest.MonkeyPatch) -> None:
    text = fanout_netlist(3, 3)  # 27 resistors + V1
    with pytest.raises(NetlistError, match=r"28 elements.*cap of 20 elements"):
        parse_netlist(text, limits=NetlistLimits(max_elements=20))
    assert len(parse_netlist(text, limits=NetlistLimits(max_elements=28)).circuit) == 28
    monkeypatch.setenv("THERMOLEARN_MAX_ELEMENTS", "20")
    with pytest.raises(NetlistError, match="cap of 20 elements"):
        parse_netlist(text)
    monkeypatch.delenv("THERMOLEARN_MAX_ELEMENTS")
    with pytest.raises(NetlistError, match=r"memory cap of 10.0 kB.*_MAX_NETLIST_MEMORY"):
        parse_netlist(text, limits=NetlistLimits(max_memory_bytes=10_000))
    monkeypatch.setenv("THERMOLEARN_MAX_NETLIST_MEMORY", "1k")
    assert lim.default_limits().max_memory_bytes == 1024
    monkeypatch.setenv("THERMOLEARN_MAX_NETLIST_MEMORY", "lots")
    with pytest.raises(Exception, match="THERMOLEARN_MAX_NETLIST_MEMORY"):
        lim.default_limits()


def test_cli_refuses_the_bomb_with_exit_2_and_honours_max_elements(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from thermolearn.cli import main

    bomb = tmp_path / "bomb.cir"
    bomb.write_text(fanout_netlist(9, 10))
    assert main(["spice", "run", str(bomb)]) == 2
    err = capsys.readouterr().err
    assert "1,000,000,001 elements" in err and err.count("\n") == 1
    small = tmp_path / "small.cir"
    small.write_text(fanout_netlist(2, 3))
    assert main(["spice", "run", str(small), "--max-elements", "5"]) == 2
    assert "cap of 5 elements" in capsys.readouterr().err
    assert main(["spice", "run", str(small), "--max-elements", "10"]) == 0


def test_memory_estimate_is_within_a_factor_two_of_the_measured_peak() -> None:
    n = 4000
    text = "t\n" + "\n".join(f"R{i} n{i} n{i + 1} 1k" for i in range(n)) + "\nV1 n0 0 1\n.end\n"
    tracemalloc.start()
    try:
        parse_netlist(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    per_element = peak / (n + 1)
    assert 0.5 <= BYTES_PER_ELEMENT / per_element <= 2.0, per_element


def test_recursive_subcircuits_are_named() -> None:
    text = "t\n.subckt a p q\nXb p q b\n.ends\n.subckt b p q\nXa p q a\n.ends\nX1 1 0 a\n.end\n"
    with pytest.raises(NetlistError, match=r"nested too deeply.*a -> b -> a"):
        parse_netlist(text)


@pytest.mark.parametrize(
    ("expr", "match"),
    [
        ("(" * 200 + "1" + ")" * 200, "nested more than 50 parentheses"),
        ("+".join(["V(a)"] * 20_000), "above the cap of 20,000"),
        ("-" * 3000 + "1", "nested too deeply"),
        ("+".join(["1"] * 3000), "nested too deeply"),
    ],
)
def test_expression_caps_name_the_line(expr: str, match: str) -> None:
    with pytest.raises(NetlistError, match=rf"x\.cir:2: .*{match}"):
        parse_netlist(f"t\nB1 a 0 I={expr}\nR1 a 0 1\n.end\n", source="x.cir")
    with pytest.raises(NetlistError, match=rf"x\.cir:2: .*{match}"):
        parse_netlist(f"t\nR1 a 0 {{{expr}}}\n.end\n", source="x.cir")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("where", ["B1 a 0 I=f{n}(V(a))", "R2 a 0 {{f{n}(1)}}"])
def test_func_doubling_bomb_is_refused(where: str) -> None:
    """f_k(x) = f_{k-1}(x) + f_{k-1}(x): 2^k terms inline (2^16 here: ~40 s before the caps)."""
    n = 16
    text = ("t\n.func f0(x) = x\n"
            + "".join(f".func f{i}(x) = f{i - 1}(x)+f{i - 1}(x)\n" for i in range(1, n + 1))
            + where.format(n=n) + "\nR1 a 0 1\n.end\n")
    with pytest.raises(NetlistError, match=rf":{n + 3}: .*needs more than 1,000 expansions"):
        parse_netlist(text)
    lines = text.splitlines()
    lines[-3] = where.format(n=3)  # f3: 8 terms, fine
    assert len(parse_netlist("\n".join(lines) + "\n").circuit) in (2, 3)


def test_long_lines_huge_inputs_and_message_size() -> None:
    with pytest.raises(NetlistError, match=r":2: logical line of 3,000,0\d\d characters"):
        parse_netlist("t\nR1 a 0 1 " + "x " * 1_500_000 + "\n.end\n")
    with pytest.raises(NetlistError, match="cap of 1,000"):
        parse_netlist("t\n" + "R1 a 0 1\n" * 200, limits=NetlistLimits(max_input_chars=1000))
    with pytest.raises(NetlistError) as info:  # a long bad line: the message stays short
        parse_netlist("t\nR1 a 0 1 " + "x " * 100_000 + "\n.end\n")
    assert len(str(info.value)) < 800


def test_include_of_a_device_or_a_huge_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NetlistError, match="not a regular file"):
        parse_netlist("t\n.include /dev/zero\n.end\n", source=str(tmp_path / "a.cir"))
    big = tmp_path / "big.inc"
    big.write_text("R1 a 0 1\n" * 1000)
    with pytest.raises(NetlistError, match="characters"):
        parse_netlist(f"t\n.include {big}\n.end\n", limits=NetlistLimits(max_input_chars=5000))


def test_binary_garbage_file_is_a_netlist_error(tmp_path: Path) -> None:
    p = tmp_path / "garbage.cir"
    p.write_bytes(os.urandom(0) + bytes(range(256)) * 40)
    with pytest.raises(NetlistError, match="not UTF-8"):
        read_netlist(p)


# ---------------------------------------------------------------------------------------------
# fuzz: every input ends in a NetlistError (or a Circuit)
# ---------------------------------------------------------------------------------------------


def _only_netlist_error(text: str) -> None:
    try:
        parsed = parse_netlist(text, source="fuzz.cir")
    except NetlistError:
        return
    assert isinstance(parsed.circuit, Circuit)


_FUZZ = settings(max_examples=40, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.timeout(300)
@_FUZZ
@given(levels=st.integers(1, 12), fanout=st.integers(1, 12), extra=st.integers(0, 3))
def test_fuzz_fanout(levels: int, fanout: int, extra: int) -> None:
    text = fanout_netlist(levels, fanout)
    text = text.replace("X1 in 0", "\n".join(f"X{9 + k} in 0 l{levels}" for k in range(extra))
                        + "\nX1 in 0")
    n = (1 + extra) * fanout**levels + 1
    if n * BYTES_PER_ELEMENT > NetlistLimits().max_memory_bytes or n > 2_000_000:
        with pytest.raises(NetlistError, match=f"{n:,} elements" if n < 10**15 else "elements"):
            parse_netlist(text)
    elif n <= 3_000:  # small enough to build here
        assert len(parse_netlist(text).circuit) == n


@pytest.mark.timeout(300)
@_FUZZ
@given(
    depth=st.integers(1, 5000),
    kind=st.sampled_from(["parens", "unary", "ternary", "sum", "power", "calls"]),
    where=st.sampled_from(["b", "value", "param"]),
)
def test_fuzz_deep_nesting(depth: int, kind: str, where: str) -> None:
    expr = {
        "parens": "(" * depth + "1" + ")" * depth,
        "unary": "-" * depth + "1",
        "ternary": "1?" * depth + "1" + ":2" * depth,
        "sum": "+".join(["1"] * depth),
        "power": "^".join(["1"] * depth),
        "calls": "exp(" * depth + "0" + ")" * depth,
    }[kind]
    line = {"b": f"B1 a 0 I={expr}", "value": f"R2 a 0 {{{expr}}}",
            "param": f".param p={{{expr}}}"}[where]
    _only_netlist_error(f"t\n{line}\nR1 a 0 1\n.end\n")


@pytest.mark.timeout(300)
@_FUZZ
@given(
    digits=st.integers(1, 200_000),
    exponent=st.integers(-10**12, 10**12),
    form=st.sampled_from(["plain", "exp", "suffix", "expr", "pwl"]),
)
def test_fuzz_huge_numbers(digits: int, exponent: int, form: str) -> None:
    mant = "9" * digits
    num = {"plain": mant, "exp": f"1e{exponent}", "suffix": f"{mant[:50]}meg",
           "expr": f"{{{mant[:5000]}*1e{exponent}}}",
           "pwl": f"PWL(0 0 1e{exponent} {mant[:300]})"}[form]
    line = f"V1 a 0 {num}" if form == "pwl" else f"R1 a 0 {num}"
    _only_netlist_error(f"t\n{line}\nR9 a 0 1\n.end\n")


@pytest.mark.timeout(300)
@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    n=st.integers(1, 3_000_000),
    kind=st.sampled_from(["tokens", "one-token", "continuations", "comment"]),
)
def test_fuzz_long_lines(n: int, kind: str) -> None:
    if kind == "tokens":
        body = "R1 a 0 1 " + "x " * (n // 2)
    elif kind == "one-token":
        body = "R1 a 0 " + "7" * n
    elif kind == "continuations":
        body = "V1 a 0 PWL(0 0\n" + "+ 1 1\n" * min(n // 6, 300_000) + "+ )"
    else:
        body = "* " + "c" * n + "\nR1 a 0 1"
    _only_netlist_error(f"t\n{body}\n.end\n")


@pytest.mark.timeout(300)
@_FUZZ
@given(data=st.binary(min_size=0, max_size=20_000), prefix=st.booleans())
def test_fuzz_binary_garbage(data: bytes, prefix: bool, tmp_path_factory: pytest.TempPathFactory
                             ) -> None:
    raw = (b"title\nR1 a 0 1\n" if prefix else b"") + data
    p = tmp_path_factory.mktemp("bin") / "g.cir"
    p.write_bytes(raw)
    try:
        read_netlist(p)
    except NetlistError:
        pass
    _only_netlist_error(raw.decode("latin-1"))
