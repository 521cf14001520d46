"""``.options`` cards follow ngspice 39 and never change a circuit silently (review defect).

References: the ngspice 39 manual, section 11.1 "Simulator Variables (.options)", and ngspice
39.3 itself: ``ngspice -b`` on a one-resistor deck keeps an unknown name (``.options bogus=3``)
without any message and runs; ``itl3`` gets "Warning: option itl3 is currently unsupported.",
``limpts`` "Warning: option limpts is obsolete."; ``rshunt`` adds a resistor from every node to
ground. Before the fix every name but temp/tnom was recorded and dropped without a note, and the
Python engine ran an ``rshunt`` netlist as if the option were absent.
"""

from __future__ import annotations

import pytest

from thermolearn.circuit.spice import options as opt
from thermolearn.circuit.spice.batch import ngspice_program, run_batch
from thermolearn.circuit.spice.parser import parse_netlist
from thermolearn.circuit.spice.simulate import run_netlist_analyses
from thermolearn.errors import NetlistError

DIVIDER = """divider
V1 1 0 1
R1 1 2 1k
R2 2 0 1k
{card}
.op
.end
"""


def _deck(card: str) -> str:
    return DIVIDER.format(card=card)


def _notes(card: str) -> list[str]:
    return parse_netlist(_deck(card), "d.cir").notes


def test_unknown_option_is_a_warning_note_and_changes_nothing() -> None:
    notes = _notes(".options bogusopt=3 fooflag")
    assert any("warning: .options bogusopt=3 is not an ngspice option" in n for n in notes)
    assert any(n.startswith("d.cir:5: ") and "fooflag" in n for n in notes)
    plain = run_netlist_analyses(parse_netlist(_deck(""), "d.cir")).analyses[0]
    run = run_netlist_analyses(parse_netlist(_deck(".options bogusopt=3"), "d.cir"))
    assert run.analyses[0].voltages["2"][0] == plain.voltages["2"][0] == pytest.approx(0.5)


@pytest.mark.parametrize(
    "card, words",
    [
        (".options reltol=1e-4 abstol=1e-15", "ngspice solver control"),
        (".options method=gear", "Python engine does not model it"),
        (".options method=bogus", "unsupported integration method"),
        (".options noacct", "output/listing control"),
        (".options defl=1e-6", "no MOSFET"),
        (".options itl3=4", "Warning: option itl3 is currently unsupported."),
        (".options limpts=10", "Warning: option limpts is obsolete."),
        (".options gmin=1e-12", "default GMIN"),
    ],
)
def test_known_options_are_noted_with_what_they_do(card: str, words: str) -> None:
    notes = _notes(card)
    assert any(words in n for n in notes), notes


@pytest.mark.parametrize(
    "card", [".options rshunt=1e3", ".options gshunt=1e-3", ".options gmin=1e-3",
             ".options ramptime=1e-6", ".options scale=1e-6", ".option cshunt=1e-12"]
)  # fmt: skip
def test_python_engine_refuses_options_that_change_the_circuit(card: str) -> None:
    parsed = parse_netlist(_deck(card), "d.cir")
    name = card.split()[1].split("=")[0]
    assert parsed.unmodelled_options and name in parsed.unmodelled_options[0]
    with pytest.raises(NetlistError, match=rf"d\.cir:5: \.options {name}=.*ngspice engine"):
        run_netlist_analyses(parsed, "python")


def test_every_documented_option_has_a_class() -> None:
    """ngspice 39's OPTtbl names (cktsopt.c) and documented front-end options are known."""
    names = "reltol abstol vntol gmin itl1 itl4 method temp tnom trtol chgtol noopalter klu"
    for name in (names + " sparse interp rshunt defw").split():
        assert opt.classify_option(name) != "unknown", name
    assert opt.classify_option("bogusopt") == "unknown"


@pytest.mark.skipif(ngspice_program() is None, reason="needs the ngspice program")
def test_ngspice_itself_keeps_going_on_these_options() -> None:
    """The reference behaviour the notes copy: ngspice warns (or stays silent) and runs."""
    res = run_batch(_deck(".options bogusopt=3 itl3=4 limpts=10"))
    out = res.stdout + res.stderr
    assert res.returncode == 0 and res.plots
    assert "bogusopt" not in out
    assert "Warning: option itl3 is currently unsupported." in out
    assert "Warning: option limpts is obsolete." in out
    shunt = run_batch(_deck(".options rshunt=1e3"))
    plain = run_batch(_deck(""))
    v_shunt = float(shunt.plots[0].vectors["v(2)"][0].real)
    v_plain = float(plain.plots[0].vectors["v(2)"][0].real)
    assert v_plain == pytest.approx(0.5, abs=1e-9)
    assert abs(v_shunt - v_plain) > 0.05  # rshunt does change the circuit in ngspice
