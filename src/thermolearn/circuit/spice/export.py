"""Export a :class:`~thermolearn.circuit.Circuit` as a self-contained ngspice netlist.

Every subcircuit (memristor twins) and model card is inlined, so the text runs in ngspice as
is. For an operating point, memristors are written as their DC I-V at fixed state (the state
capacitor replaced by a source holding ``x0``); for a transient, as their dynamic twins.

References
----------
.. [1] H. Vogt et al., *Ngspice User's Manual*, version 39: chapters 2 (circuit description),
   3 (elements) and 4 (sources).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import Any, TextIO

import numpy as np

from thermolearn.circuit.circuit import SPICE_LETTER, Circuit, Element
from thermolearn.circuit.spice.expressions import compile_expression
from thermolearn.circuit.stamps import is_linear_iv
from thermolearn.circuit.waveforms import spice_number
from thermolearn.devices import Diode
from thermolearn.errors import NetlistError


def spice_name(el: Element) -> str:
    """Return the element's netlist name (its SPICE letter prefixed when needed)."""
    letter = SPICE_LETTER[el.kind]
    if el.kind == "M":
        return "X" + el.name
    return el.name if el.name[:1].upper() == letter else letter + el.name


def _diode_card(params: Any, name: str) -> str:
    card = Diode(params).spice_model_card(name).strip()
    if "tnom" not in card.lower() and card.endswith(")"):
        card = card[:-1].rstrip() + f" TNOM={_celsius(params.temperature)})"
    return card


def _celsius(kelvin: float) -> str:
    return spice_number(round(kelvin - 273.15, 9))


def _fixed_state_library(lib: str, new_name: str) -> str:
    """Turn a memristor twin into its DC I-V at fixed state.

    The state capacitor is replaced by a voltage source holding the capacitor's initial
    condition (the subcircuit parameter ``x0``), so the state node sits at x0 at ``.op``.
    """
    out = []
    replaced = False
    for line in lib.splitlines():
        toks = line.split()
        if not toks:
            continue
        head = toks[0].lower()
        if head == ".subckt":
            toks[1] = new_name
            out.append(" ".join(toks))
            continue
        if head.startswith(".ends"):
            out.append(f".ends {new_name}")
            continue
        if head.startswith("c") and len(toks) >= 4 and not replaced:
            ic = next((t.split("=", 1)[1] for t in toks[4:] if t.lower().startswith("ic=")), "{x0}")
            out.append(f"V{toks[0]}_hold {toks[1]} {toks[2]} DC {ic}")
            replaced = True
            continue
        out.append(line)
    if not replaced:
        raise NetlistError(
            f"cannot build a DC twin of subcircuit {new_name!r}: it has no state capacitor."
        )
    return "\n".join(out)


def state_node(lib: str) -> str | None:
    """Return the state node (first node of the first capacitor) of a memristor twin."""
    inside = False
    for line in lib.splitlines():
        toks = line.split()
        if not toks:
            continue
        if toks[0].lower() == ".subckt":
            inside = True
            continue
        if inside and toks[0][:1].lower() == "c" and len(toks) >= 4:
            return toks[1]
    return None


def export_netlist(
    circuit: Circuit, analysis: str | Iterable[str] | None = ".op", *, options: str | None = None
) -> str:
    """Export a self-contained SPICE netlist (subcircuits inlined, ends with ``.end``).

    Parameters
    ----------
    circuit : Circuit
        The circuit.
    analysis : str, iterable of str or None
        Analysis card(s), e.g. ``".op"`` or ``".tran 1n 1u uic"``. For an operating
        point, memristors are written as their DC I-V at fixed state (the state capacitor
        replaced by a source holding ``x0``); for a transient, as their dynamic twins.
    options : str, optional
        An ``.options`` card written before the analyses.

    Returns
    -------
    str
        The netlist text.
    """
    buf = io.StringIO()
    write_netlist(circuit, buf, analysis, options=options)
    return buf.getvalue()


#: Elements formatted per chunk when streaming (bounds the memory of the line buffer).
_CHUNK = 65536


def write_netlist(
    circuit: Circuit,
    out: TextIO,
    analysis: str | Iterable[str] | None = ".op",
    *,
    options: str | None = None,
) -> None:
    """Stream the netlist of :func:`export_netlist` into the text file ``out``.

    Element lines are formatted in chunks and written as they are made: time linear in the
    element count, memory bounded by one chunk (plus the circuit itself).
    """
    circuit.validate()
    cards = [analysis] if isinstance(analysis, str) else list(analysis or [])
    transient = any(c.strip().lower().startswith(".tran") for c in cards)
    elements = circuit.elements
    sn_all = [_fast_name(el) for el in elements]
    if len({sn.lower() for sn in sn_all}) != len(sn_all):
        names: dict[str, str] = {}
        for sn, el in zip(sn_all, elements, strict=True):
            low = sn.lower()
            if low in names:
                raise NetlistError(
                    f"elements {names[low]!r} and {el.name!r} both export as {sn!r}."
                )
            names[low] = el.name
    nodes = circuit.nodes
    if len({nd.lower() for nd in nodes}) != len(nodes):
        lower_nodes: dict[str, str] = {}
        for nd in nodes:
            prev = lower_nodes.setdefault(nd.lower(), nd)
            if prev != nd:
                raise NetlistError(
                    f"nodes {prev!r} and {nd!r} differ only in case; SPICE treats them as one node."
                )
    out.write(f"{circuit.title}\n* exported by thermolearn\n")
    models: dict[Any, str] = {}
    libs: dict[str, str] = {}
    num = spice_number
    for start in range(0, len(elements), _CHUNK):
        part = elements[start : start + _CHUNK]
        sn_part = sn_all[start : start + _CHUNK]
        if all(_is_simple(el) for el in part):
            out.write(_simple_lines(sn_part, part))
            continue
        lines: list[str] = []
        for sn, el in zip(sn_part, part, strict=True):
            k = el.kind
            nodes = el.nodes
            if k in "RSL" or (k in "VI" and el.waveform is None) or (k == "C" and el.ic is None):
                v = el.value
                val = str(int(v)) if v == int(v) and abs(v) < 1e15 else repr(v)
                dc = "DC " if k in "VI" else ""
                lines.append(f"{sn} {nodes[0]} {nodes[1]} {dc}{val}")
                continue
            p, n = nodes[0], nodes[1]
            if k == "C":
                lines.append(f"{sn} {p} {n} {num(el.value)} IC={num(el.ic)}")  # type: ignore[arg-type]
            elif k in "VI":
                assert el.waveform is not None
                lines.append(f"{sn} {p} {n} DC {num(el.value)} {el.waveform.spice()}")
            elif k == "D":
                if el.model not in models:
                    models[el.model] = f"dmod{len(models) + 1}"
                temp = _celsius(el.model.temperature)
                lines.append(f"{sn} {p} {n} {models[el.model]} temp={temp}")
            elif k in "EG":
                cp, cn = el.nodes[2], el.nodes[3]
                lines.append(f"{sn} {p} {n} {cp} {cn} {num(el.value)}")
            elif k in "FH":
                ctrl = spice_name(circuit.element(str(el.control)))
                lines.append(f"{sn} {p} {n} {ctrl} {num(el.value)}")
            elif k == "Y":
                expr = compile_expression(el.model.spice_expression(f"V({p},{n})"), {})
                lines.append(f"{sn} {p} {n} I={expr.render()}")
            elif k == "B":
                expr = compile_expression(el.expr or "0", {})
                mode = el.mode.upper() if el.mode else "I"
                lines.append(f"{sn} {p} {n} {mode}={expr.render()}")
            elif k == "M":
                lines.extend(_memristor_lines(el, transient, libs))
            else:  # pragma: no cover - every kind is handled above
                raise NetlistError(f"cannot export element kind {k!r}")
        if lines:
            out.write("\n".join(lines))
            out.write("\n")
    tail: list[str] = [_diode_card(params, mname) for params, mname in models.items()]
    for text in libs.values():
        tail.extend(ln for ln in text.strip().splitlines() if ln.strip())
    if options:
        tail.append(options)
    tail.extend(c.strip() for c in cards)
    tail.append(".end")
    out.write("\n".join(tail) + "\n")


def _is_simple(el: Element) -> bool:
    """R, S, L, C without IC and V/I without waveform: name, two nodes, one number."""
    k = el.kind
    return k in "RSL" or (k in "VI" and el.waveform is None) or (k == "C" and el.ic is None)


def _simple_lines(names: list[str], els: list[Element]) -> str:
    """Lines of simple elements, formatted in bulk (the same text as per element)."""
    vals = np.fromiter((el.value for el in els), dtype=float, count=len(els))
    integral = (vals == np.trunc(vals)) & (np.abs(vals) < 1e15)
    num = [
        str(int(v)) if ok else repr(v)
        for v, ok in zip(vals.tolist(), integral.tolist(), strict=True)
    ]
    src = ["DC " if el.kind in "VI" else "" for el in els]
    lines = [
        f"{sn} {el.nodes[0]} {el.nodes[1]} {dc}{v}"
        for sn, el, dc, v in zip(names, els, src, num, strict=True)
    ]
    return "\n".join(lines) + "\n"


def _fast_name(el: Element) -> str:
    """:func:`spice_name` without the property lookups (one call per element on export)."""
    letter = SPICE_LETTER[el.kind]
    name = el.name
    if el.kind == "M":
        return "X" + name
    return name if name[:1].upper() == letter else letter + name


def _memristor_lines(el: Element, transient: bool, libs: dict[str, str]) -> list[str]:
    model = el.model
    x0 = float(el.x0 if el.x0 is not None else 0.0)
    lib = model.spice_library() or ""
    if not transient and is_linear_iv(
        model, np.array([x0]), np.array([-1.0, -0.3, 0.05, 0.2, 0.7, 1.3])
    ):
        g = float(np.asarray(model.didv(0.0, x0)))
        return [f"R{el.name}_dc {el.p} {el.n} {spice_number(1.0 / g)}"]
    if not lib.strip():
        inst = model.spice_instance(el.name, el.p, el.n, x0)
        return [inst]
    if transient:
        libs.setdefault(model.subckt_name, lib)
        return [model.spice_instance(el.name, el.p, el.n, x0)]
    dc_name = f"{model.subckt_name}_dc"
    libs.setdefault(dc_name, _fixed_state_library(lib, dc_name))
    inst = model.spice_instance(el.name, el.p, el.n, x0)
    return [re.sub(rf"\b{re.escape(model.subckt_name)}\b", dc_name, inst)]


__all__ = ["export_netlist", "spice_name", "state_node", "write_netlist"]
