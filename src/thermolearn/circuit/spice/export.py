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
from numpy.typing import NDArray

from thermolearn.circuit.circuit import KIND_CODES, SPICE_LETTER, Circuit, Element
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

    Element lines are made from the circuit's columns (:meth:`Circuit.columns`) in chunks
    and written as they are made: names, nodes and values of plain elements are formatted a
    chunk at a time (no per-element object), the others one by one. Time linear in the
    element count, memory bounded by one chunk (plus the circuit itself).
    """
    circuit.validate()
    cards = [analysis] if isinstance(analysis, str) else list(analysis or [])
    transient = any(c.strip().lower().startswith(".tran") for c in cards)
    cols = circuit.columns()
    kind: NDArray[np.uint8] = cols["kind"]
    names: list[str] = cols["names"]
    objects: dict[int, Element] = cols["objects"]
    nodes: list[str] = cols["nodes"]
    sn_all = _spice_names(kind, names)
    if _maybe_clash(circuit, kind, names, sn_all):
        seen: dict[str, str] = {}
        for sn, nm in zip(sn_all, names, strict=True):
            low = sn.lower()
            if low in seen:
                raise NetlistError(f"elements {seen[low]!r} and {nm!r} both export as {sn!r}.")
            seen[low] = nm
    if len(set(map(str.lower, nodes))) != len(nodes):
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
    node_obj = np.array(nodes, dtype=object)
    a_all, b_all, v_all = cols["a"], cols["b"], cols["value"]
    obj_pos = np.array(sorted(objects), dtype=np.intp)
    for start in range(0, len(names), _CHUNK):
        stop = min(start + _CHUNK, len(names))
        lines = _row_lines(
            sn_all[start:stop],
            kind[start:stop],
            node_obj[a_all[start:stop]].tolist(),
            node_obj[b_all[start:stop]].tolist(),
            v_all[start:stop],
        )
        lo, hi = np.searchsorted(obj_pos, [start, stop])
        for pos in obj_pos[lo:hi].tolist():
            el = objects[pos]
            if not _is_simple(el):  # a switch is written as its row
                text = _object_lines(circuit, el, sn_all[pos], transient, models, libs)
                lines[pos - start] = "\n".join(text)
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


def _object_lines(
    circuit: Circuit,
    el: Element,
    sn: str,
    transient: bool,
    models: dict[Any, str],
    libs: dict[str, str],
) -> list[str]:
    """Netlist line(s) of an element with more than a name, two nodes and a value."""
    num = spice_number
    k = el.kind
    p, n = el.nodes[0], el.nodes[1]
    if k == "C":
        return [f"{sn} {p} {n} {num(el.value)} IC={num(el.ic)}"]  # type: ignore[arg-type]
    if k in "VI":
        assert el.waveform is not None
        return [f"{sn} {p} {n} DC {num(el.value)} {el.waveform.spice()}"]
    if k == "D":
        if el.model not in models:
            models[el.model] = f"dmod{len(models) + 1}"
        temp = _celsius(el.model.temperature)
        return [f"{sn} {p} {n} {models[el.model]} temp={temp}"]
    if k in "EG":
        cp, cn = el.nodes[2], el.nodes[3]
        return [f"{sn} {p} {n} {cp} {cn} {num(el.value)}"]
    if k in "FH":
        ctrl = spice_name(circuit.element(str(el.control)))
        return [f"{sn} {p} {n} {ctrl} {num(el.value)}"]
    if k == "Y":
        expr = compile_expression(el.model.spice_expression(f"V({p},{n})"), {})
        return [f"{sn} {p} {n} I={expr.render()}"]
    if k == "B":
        expr = compile_expression(el.expr or "0", {})
        mode = el.mode.upper() if el.mode else "I"
        return [f"{sn} {p} {n} {mode}={expr.render()}"]
    if k == "M":
        return _memristor_lines(el, transient, libs)
    raise NetlistError(f"cannot export element kind {k!r}")  # pragma: no cover


def _is_simple(el: Element) -> bool:
    """R, S, L, C without IC and V/I without waveform: name, two nodes, one number."""
    k = el.kind
    return k in "RSL" or (k in "VI" and el.waveform is None) or (k == "C" and el.ic is None)


#: netlist letter of each kind code, and "DC " before the value of V and I
_LETTER = [SPICE_LETTER[k] for k in KIND_CODES]
_DC = np.array(["DC " if k in "VI" else "" for k in KIND_CODES], dtype=object)


def _spice_names(kind: NDArray[np.uint8], names: list[str]) -> list[str]:
    """Netlist names of all elements (:func:`spice_name`), a run of one kind at a time."""
    out: list[str] = []
    if not names:
        return out
    cuts = np.flatnonzero(np.diff(kind)) + 1
    starts = [0, *cuts.tolist()]
    stops = [*cuts.tolist(), len(names)]
    for s, e in zip(starts, stops, strict=True):
        code = int(kind[s])
        letter = _LETTER[code]
        part = names[s:e]
        if KIND_CODES[code] == "M":
            out.extend(["X" + nm for nm in part])
            continue
        ok = (letter, letter.lower())
        out.extend([nm if nm[:1] in ok else letter + nm for nm in part])
    return out


def _maybe_clash(
    circuit: Circuit, kind: NDArray[np.uint8], names: list[str], sn: list[str]
) -> bool:
    """Return True if two elements may export under one name (only prefixed names can)."""
    prefixed = [s.lower() for s, nm in zip(sn, names, strict=True) if len(s) != len(nm)]
    return circuit._has_lower(prefixed)  # noqa: SLF001 - the circuit's own name index


def _row_lines(
    sn: list[str], kind: NDArray[np.uint8], p: list[str], n: list[str], vals: NDArray[np.float64]
) -> list[str]:
    """Format the lines ``NAME P N [DC ]VALUE`` of a chunk in bulk.

    The per-element text: an integral value below 1e15 as an integer, any other as ``repr``.
    """
    integral = (vals == np.trunc(vals)) & (np.abs(vals) < 1e15)
    num = np.array(list(map(repr, vals.tolist())), dtype=object)
    if integral.any():
        num[integral] = list(map(str, np.trunc(vals[integral]).astype(np.int64).tolist()))
    if kind.size and (kind.min() != kind.max() or _DC[kind[0]]):
        num = _DC[kind] + num
    return [f"{s} {a} {b} {v}" for s, a, b, v in zip(sn, p, n, num.tolist(), strict=True)]


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
