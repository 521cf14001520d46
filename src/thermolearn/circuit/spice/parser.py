"""Parse SPICE netlists into a :class:`~thermolearn.circuit.Circuit`, with ngspice's semantics.

The parser understands

* elements R (values, ``.model R``, ``tc1/tc2/tce``, ``m``, ``scale``, ``ac=``, behavioural
  ``r={V(..)}``, negative values), C (``IC=``), L, V and I (DC, ``dc=``, AC magnitude/phase,
  PULSE/PWL/SIN with or without parentheses, 6-argument SIN), D (the SPICE level-1 diode:
  IS N RS BV IBV NBV CJO VJ M FC TT EG XTI IKF ISR NR TNOM AREA, instance AREA/M/TEMP/DTEMP),
  E/F/G/H (linear, and E/G ``VALUE=``/``VOL=``/``CUR=`` behavioural), B (``I=``/``V=``
  expressions of node voltages and branch currents ``i(vx)``) and X (subcircuits, flattened;
  internal nodes ``<instance>.<node>`` as in ngspice, nested definitions scoped);
* cards ``.model``, ``.subckt``/``.ends`` (``params:``), ``.param`` (also in subcircuits),
  ``.func``, ``.global``, ``.include``, ``.lib FILE SECTION``, ``.temp``, ``.options``
  (``temp``/``tnom`` interpreted, every other name noted with what it does in ngspice;
  :mod:`~thermolearn.circuit.spice.options`), ``.csparam``, the analyses ``.op``,
  ``.tran``, ``.ac``, ``.dc`` (sources and TEMP), and ``.control`` blocks (their analysis
  commands run, see :mod:`~thermolearn.circuit.spice.control`);
* cards that cannot change the requested analyses are accepted with a note
  (:attr:`ParsedNetlist.notes`): output cards, ``.measure``, ``.four``, ``.nodeset``, DISTOF;
* ngspice's number syntax (:func:`~thermolearn.circuit.spice.numbers.parse_number`), waveform
  defaults (PULSE TR/TF = TSTEP and PW/PER = TSTOP when omitted or 0; SIN FREQ = 1/TSTOP),
  TEMP = TNOM = 27 degC unless set, and capacitor ``IC=`` used only with ``uic``.

Anything else raises :class:`~thermolearn.errors.NetlistError` naming the file, the line and
the reason.

References
----------
.. [1] H. Vogt et al., *Ngspice User's Manual*, version 39: chapters 2 (circuit description),
   3 (elements), 4 (sources), 5 (B sources), 7 (diodes) and 15 (analyses).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import math
import os
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.circuit.circuit import Circuit, Element, is_ground
from thermolearn.circuit.nodes import GROUND_ALIASES
from thermolearn.circuit.spice import limits as _limits
from thermolearn.circuit.spice import options as _options
from thermolearn.circuit.spice.control import ControlError, ControlLine, plan_control
from thermolearn.circuit.spice.expressions import (
    CURRENT_REF,
    Expression,
    ExpressionError,
    UserFunction,
    compile_expression,
)
from thermolearn.circuit.spice.measure import parse_measure
from thermolearn.circuit.spice.numbers import parse_number
from thermolearn.circuit.spice.row_lines import (
    RowColumns,
    classify_lines,
    hash_strings,
    parse_values,
    split_rows,
)
from thermolearn.circuit.waveforms import PWL, Exp, Pulse, Sine
from thermolearn.devices import DiodeParams
from thermolearn.devices.spice_diode import CELSIUS_TO_KELVIN, SpiceDiodeParams
from thermolearn.errors import NetlistError, ParameterError

# ---------------------------------------------------------------------------------------
# import
# ---------------------------------------------------------------------------------------
#: analyses thermolearn runs; the others are refused with the line
ANALYSIS_CARDS = (".op", ".tran", ".ac", ".dc")
_UNSUPPORTED_ANALYSES = (".pz", ".noise", ".tf", ".sens", ".disto", ".pss", ".sp", ".four")
_OUTPUT_CARDS = (".save", ".print", ".plot", ".probe", ".title", ".width", ".graph")


@dataclass
class ParsedNetlist:
    """Result of :func:`parse_netlist`.

    Attributes
    ----------
    circuit : Circuit
        The flattened circuit.
    analyses : list of tuple
        In order: ``("op",)``, ``("tran", tstep, tstop, uic)``,
        ``("ac", sweep, points, fstart, fstop)`` with sweep ``dec``/``oct``/``lin``, and
        ``("dc", ((source, start, stop, step), ...))`` (source ``temp`` sweeps the
        temperature), from dot cards and then from the ``.control`` block.
    options : dict of str to str
        ``.options`` settings (``temp`` and ``tnom`` are interpreted; every other name gets a
        note saying what it does, see :mod:`~thermolearn.circuit.spice.options`).
    unmodelled_options : list of str
        ``file:line: ...`` for each option that changes the circuit in ngspice and that the
        Python engine does not model (``rshunt``, ``gshunt``, ``cshunt``, ``ramptime``,
        ``scale``, a non-default ``gmin``); the Python engine refuses such a netlist.
    notes : list of str
        ``file:line: ...`` for everything accepted but ignored (output cards, control
        commands that cannot change an analysis, ``.measure``, DISTOF specs ...).
    temperature : float
        Circuit temperature, degC (``.temp``, ``.options temp=``; SPICE default 27).
    tnom : float
        Default model TNOM, degC (``.options tnom=``; default 27).
    ac_sources : dict of str to (float, float)
        AC magnitude and phase (degrees) of each source with an AC specification.
    ac_resistance : dict of str to float
        Resistors with a separate ``ac=`` value for AC analysis, ohm.
    text : str
        The netlist text as given (the ngspice engine runs it).
    source : str
        The file name (``<netlist>`` for text).
    analysis_lines : list of str
        ``file:line`` of each analysis.
    """

    circuit: Circuit
    analyses: list[tuple[Any, ...]] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    temperature: float = 27.0
    tnom: float = 27.0
    ac_sources: dict[str, tuple[float, float]] = field(default_factory=dict)
    ac_resistance: dict[str, float] = field(default_factory=dict)
    text: str = ""
    source: str = "<netlist>"
    analysis_lines: list[str] = field(default_factory=list)
    control_cards: list[str] = field(default_factory=list)
    measures: list[Any] = field(default_factory=list)
    params: dict[str, float] = field(default_factory=dict)
    unmodelled_options: list[str] = field(default_factory=list)

    @property
    def tran(self) -> tuple[float, float, bool] | None:
        """(tstep, tstop, uic) of the first .tran card, if any."""
        for a in self.analyses:
            if a[0] == "tran":
                return a[1], a[2], a[3]
        return None


@dataclass
class _Line:
    text: str
    line: int
    source: str


@dataclass
class _Subckt:
    name: str
    ports: list[str]
    defaults: dict[str, str]
    body: list[_Line]
    line: int
    source: str


@dataclass(frozen=True)
class _Scope:
    """Definitions visible in one subcircuit body (innermost first through ``parent``)."""

    subckts: dict[str, _Subckt]
    models: dict[str, tuple[str, dict[str, str], _Line]]
    funcs: dict[str, UserFunction]
    parent: _Scope | None = None

    def find_subckt(self, name: str) -> _Subckt | None:
        s: _Scope | None = self
        while s is not None:
            if name in s.subckts:
                return s.subckts[name]
            s = s.parent
        return None

    def find_model(self, name: str) -> tuple[str, dict[str, str], _Line] | None:
        s: _Scope | None = self
        while s is not None:
            if name in s.models:
                return s.models[name]
            s = s.parent
        return None

    def all_funcs(self) -> dict[str, UserFunction]:
        if self.parent is None:
            return self.funcs
        chain: list[_Scope] = []
        s: _Scope | None = self
        while s is not None:
            chain.append(s)
            s = s.parent
        out: dict[str, UserFunction] = {}
        for sc in reversed(chain):
            out.update(sc.funcs)
        return out


_MAX_INCLUDE_DEPTH = 10


def _strip_comment(line: str) -> str:
    s = line
    for mark in (";", " $", "\t$"):
        pos = s.find(mark)
        if pos >= 0:
            s = s[:pos]
    return s.strip()


def _lib_section(text: str, section: str, path: str, no: int, source: str) -> list[tuple[int, str]]:
    """Lines (number, text) of ``.lib SECTION`` ... ``.endl`` in a library file."""
    out: list[tuple[int, str]] = []
    inside = False
    found = False
    for k, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        s = _strip_comment(raw)
        words = s.split()
        head = words[0].lower() if words else ""
        if not inside and head == ".lib" and len(words) == 2 and words[1].lower() == section:
            inside = found = True
            continue
        if inside and head == ".endl":
            inside = False
            continue
        if inside:
            out.append((k, raw))
    if not found:
        raise NetlistError(
            f"library {path!r} has no section {section!r} (.lib {section} ... .endl)",
            line=no,
            source=source,
        )
    return out


def _logical_lines(
    text: str,
    source: str,
    depth: int = 0,
    control: list[_Line] | None = None,
    numbered: list[tuple[int, str]] | None = None,
) -> list[_Line]:
    """Join continuation lines, drop comments, expand .include and .lib; keep line numbers.

    Lines of ``.control`` ... ``.endc`` blocks go to ``control`` (untouched).
    """
    out: list[_Line] = []
    if numbered is None:
        raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        numbered = list(enumerate(raw, start=1))
    in_control = False
    skip_lib: str | None = None
    for no, line in numbered:
        if in_control:
            if line.strip().lower().startswith(".endc"):
                in_control = False
            elif control is not None:
                control.append(_Line(line, no, source))
            continue
        s = _strip_comment(line)
        if not s or s.startswith("*"):
            continue
        low = s.lower()
        head = low.split()[0]
        if skip_lib is not None:
            if head == ".endl":
                skip_lib = None
            continue
        if head == ".control":
            in_control = True
            continue
        if head == ".endc":
            raise NetlistError(".endc without .control", line=no, source=source)
        if s.startswith("+"):
            if not out:
                raise NetlistError(
                    "continuation line '+' with nothing to continue", line=no, source=source
                )
            out[-1].text += " " + s[1:].strip()
            continue
        if head in (".include", ".inc", ".lib"):
            parts = s.split()
            if head == ".lib" and len(parts) == 2:
                # a section definition in this file: only used when selected by .lib FILE SEC
                skip_lib = parts[1].lower()
                continue
            if head == ".lib" and len(parts) != 3:
                raise NetlistError(
                    ".lib needs a file and a section name: .lib FILE SECTION",
                    line=no,
                    source=source,
                )
            if head != ".lib" and len(parts) < 2:
                raise NetlistError(f"{head} needs a file name", line=no, source=source)
            fname = (
                parts[1].strip().strip("'\"")
                if head == ".lib"
                else s.split(None, 1)[1].strip().strip("'\"")
            )
            base = os.path.dirname(source) if source and not source.startswith("<") else "."
            path = fname if os.path.isabs(fname) else os.path.join(base, fname)
            if depth >= _MAX_INCLUDE_DEPTH:
                raise NetlistError(f"{head} nested too deeply", line=no, source=source)
            _limits.check_include_file(path, no, source)
            try:
                with open(path, encoding="utf-8") as fh:
                    inc = fh.read()
            except OSError as exc:
                raise NetlistError(
                    f"cannot read included file {path!r}: {exc.strerror}", line=no, source=source
                ) from None
            except UnicodeDecodeError as exc:
                raise NetlistError(
                    f"included file {path!r} is not UTF-8 text (byte {exc.start})",
                    line=no,
                    source=source,
                ) from None
            _limits.charge_text(len(inc), path)
            if head == ".lib":
                sec = _lib_section(inc, parts[2].lower(), path, no, source)
                out.extend(_logical_lines("", path, depth + 1, control, numbered=sec))
            else:
                out.extend(_logical_lines(inc, path, depth + 1, control))
            continue
        out.append(_Line(s, no, source))
    if in_control:
        raise NetlistError(".control block has no .endc", source=source)
    for ln in out:
        _limits.check_line(ln.text, ln.line, ln.source)
    return out


_TOKEN_RE = re.compile(r"\s*(\{[^{}]*\}|'[^']*'|\"[^\"]*\"|[^\s(),=]+\([^()]*\)|[^\s,=]+|=)\s*,?")


_PLAIN = frozenset("{}'\"(),=")
_BAD_NODE = frozenset("(){}=,'\" \t")
#: Shortest run of uniform lines read as columns (shorter runs: the general reader).
_BULK_MIN = 64
#: Lines of a run read as columns at a time (bounds the memory of the tokens).
_SUB_RUN = 1 << 18
#: The line that stands for a run of uniform lines in the general reader's input.
_BLOCK_MARK = "\x00uniform-lines"


#: First bytes of lines that cannot open or close a .control block or a .lib section.
_PLAIN_START = np.zeros(256, dtype=bool)
_PLAIN_START[np.frombuffer((string.ascii_letters + string.digits + "*+").encode(), np.uint8)] = True


@dataclass(frozen=True, slots=True)
class _Block:
    """A run of uniform lines: first line (0-based), line count, fields per line (4 or 5)."""

    first: int
    count: int
    fields: int


def _tokens(text: str, ln: _Line) -> list[str]:
    if _PLAIN.isdisjoint(text):  # the common element line: fields separated by blanks
        return text.split()
    toks: list[str] = []
    pos = 0
    s = text.strip()
    # glue "NAME (" to "NAME(" so that function-like specs tokenise as one
    s = re.sub(r"([A-Za-z_][A-Za-z0-9_]*)\s+\(", r"\1(", s)
    while pos < len(s):
        m = _TOKEN_RE.match(s, pos)
        if not m or m.end() == pos:
            raise NetlistError(
                f"cannot tokenise near {s[pos : pos + 20]!r}", line=ln.line, source=ln.source
            )
        toks.append(m.group(1))
        pos = m.end()
    return toks


def _split_assignments(toks: list[str], ln: _Line) -> tuple[list[str], dict[str, str]]:
    """Positional tokens and key=value pairs (``key = value`` or ``key=value``)."""
    pos: list[str] = []
    kv: dict[str, str] = {}
    i = 0
    while i < len(toks):
        if i + 1 < len(toks) and toks[i + 1] == "=":
            if i + 2 >= len(toks):
                raise NetlistError(
                    f"missing value after '{toks[i]}='", line=ln.line, source=ln.source
                )
            kv[toks[i].lower()] = toks[i + 2]
            i += 3
            continue
        if toks[i] == "=":
            raise NetlistError("unexpected '='", line=ln.line, source=ln.source)
        pos.append(toks[i])
        i += 1
    return pos, kv


#: SPICE level-1 diode model parameters thermolearn implements (ngspice names and aliases)
_DIODE_MODEL = {
    "is": "i_s",
    "js": "i_s",
    "n": "n",
    "rs": "r_s",
    "bv": "bv",
    "vb": "bv",
    "vbv": "bv",
    "ibv": "ibv",
    "ib": "ibv",
    "nbv": "nbv",
    "cjo": "cjo",
    "cj0": "cjo",
    "cj": "cjo",
    "vj": "vj",
    "pb": "vj",
    "m": "m",
    "mj": "m",
    "fc": "fc",
    "tt": "tt",
    "eg": "eg",
    "xti": "xti",
    "ikf": "ikf",
    "ik": "ikf",
    "isr": "isr",
    "nr": "nr",
    "tnom": "tnom",
    "tref": "tnom",
    "area": "area",
}
#: parameters that only shape noise/sensitivity/other analyses: accepted with a note
_DIODE_NOTED = {"kf", "af", "level"}
_WAVEFORMS = ("pulse", "pwl", "sin", "exp", "sffm", "am", "trnoise", "trrandom")


class _Parser:
    def __init__(self, source: str, temperature: float | None = None) -> None:
        self.source = source
        self.params: dict[str, float] = {}
        self.top = _Scope({}, {}, {})
        self.circuit = Circuit()
        self.analyses: list[tuple[Any, ...]] = []
        self.analysis_lines: list[str] = []
        self.options: dict[str, str] = {}
        self.unmodelled_options: list[str] = []
        self.notes: list[str] = []
        self.node_case: dict[str, str] = {}
        self.pending_ctrl: list[tuple[Element, _Line]] = []
        self.global_nodes: set[str] = set()
        self.temp_override = temperature
        self.temperature = 27.0
        self.tnom = 27.0
        self.tstep: float | None = None
        self.tstop: float | None = None
        self.uic = False
        self.ac_sources: dict[str, tuple[float, float]] = {}
        self.ac_resistance: dict[str, float] = {}
        self.csparams: dict[str, float] = {}
        self.control_cards: list[str] = []
        self.node_ic: dict[str, tuple[float, _Line]] = {}
        self.measures: list[Any] = []
        self.used_ic: set[str] = set()
        self._blocks: dict[int, _Block] = {}
        self._text_bytes = b""
        #: sorted hashes of the lower-case node names this reader may have met, and the
        #: node's position where the column reader added it (-1: look it up by name)
        self._known: NDArray[np.uint64] | None = None
        self._known_p = np.zeros(0, dtype=np.intp)
        self._case_done = 0
        #: sorted hashes of the lower-case names of the circuit's first _el_seen elements
        self._el_h = np.zeros(0, dtype=np.uint64)
        self._el_seen = 0

    def err(self, msg: str, ln: _Line) -> NetlistError:
        return NetlistError(msg, line=ln.line, source=ln.source)

    def note(self, msg: str, ln: _Line) -> None:
        self.notes.append(f"{ln.source}:{ln.line}: {msg}")

    # -- values ----------------------------------------------------------------------
    def value(
        self,
        tok: str,
        ln: _Line,
        env: dict[str, float],
        funcs: dict[str, UserFunction] | None = None,
    ) -> float:
        try:
            return parse_number(tok)
        except ValueError:
            pass
        try:
            expr = compile_expression(tok, env, funcs if funcs is not None else self.top.funcs)
        except ExpressionError as exc:
            raise self.err(f"bad value {tok!r}: {exc}", ln) from None
        if expr.vrefs:
            raise self.err(f"value {tok!r} may not depend on node voltages", ln)
        v = expr.value({})
        if not math.isfinite(v):
            raise self.err(f"value {tok!r} is not finite", ln)
        return v

    def node(self, name: str, prefix: str, nodemap: dict[str, str]) -> str:
        low = name.lower()
        if low in nodemap:
            return nodemap[low]
        if is_ground(name):
            return "0"
        full = f"{prefix}{name}" if prefix and low not in self.global_nodes else name
        key = full.lower()
        got = self.node_case.get(key)
        if got is None:
            # a node the column reader added in lower case is not in node_case (it is its
            # own first spelling): the circuit's node index has it
            got = key if key in self.circuit.node_index() else full
            self.node_case[key] = got
        return got

    # -- top level -------------------------------------------------------------------
    def run(self, text: str) -> ParsedNetlist:
        if "\r" in text:
            text_n = text.replace("\r\n", "\n").replace("\r", "\n")
        else:
            text_n = text
        nl = text_n.find("\n")
        title = (text_n if nl < 0 else text_n[:nl]).strip()
        control: list[_Line] = []
        numbered = self._prepass(text_n)
        lines = _logical_lines("", self.source, control=control, numbered=numbered)
        if title.startswith("*"):
            title = title.lstrip("*").strip()
        self.circuit.title = title or "netlist"
        lines = self._definitions(lines, self.top)
        self._prescan(lines)
        self.params["temper"] = self.temperature
        for ln in [x for x in lines if x.text.split()[0].lower() in (".param", ".params")]:
            self.read_params(ln, self.params, self.top.funcs)
        self._plan_control(control)
        # count the flattened circuit before instantiating anything (fan-out bombs)
        _limits.check_flattened_size(
            [(ln.text, ln.line) for ln in lines],
            {n: [b.text for b in sc.body] for n, sc in self.top.subckts.items()},
            _limits.current_limits(),
            self.source,
            extra_elements=sum(self._block_of(ln).count for ln in lines if self._is_block(ln)),
        )
        for ln in lines:
            if ln.text.split()[0].lower() == ".ic":
                self.read_ic(ln, "", {}, self.params, self.top.funcs)
        for ln in lines:
            if self._is_block(ln):
                self._read_block(self._block_of(ln))
                continue
            head = ln.text.split()[0].lower()
            if head in (".param", ".params", ".func", ".global", ".temp", ".csparam"):
                continue
            self.statement(ln, "", {}, self.params, self.top, depth=0)
        self.resolve_controls()
        for node, (_v, ln) in self.node_ic.items():
            if node not in self.used_ic:
                raise self.err(
                    f".ic V({node}): thermolearn applies .ic only to a node with a capacitor to "
                    "ground (as that capacitor's IC=); give the capacitor IC= instead",
                    ln,
                )
        return ParsedNetlist(
            self.circuit,
            self.analyses,
            self.options,
            notes=self.notes,
            temperature=self.temperature,
            tnom=self.tnom,
            ac_sources=self.ac_sources,
            ac_resistance=self.ac_resistance,
            text=text,
            source=self.source,
            analysis_lines=self.analysis_lines,
            control_cards=self.control_cards,
            measures=self.measures,
            params=dict(self.params),
            unmodelled_options=self.unmodelled_options,
        )

    # -- fast path: runs of uniform top-level lines ``NAME N1 N2 [DC] NUMBER`` ----------
    def _prepass(self, text: str) -> list[tuple[int, str]]:
        """Numbered lines for the general reader, runs of uniform lines replaced by markers.

        Uniform lines (:func:`~thermolearn.circuit.spice.row_lines.classify_lines`) outside
        ``.control`` blocks and ``.lib`` section definitions, in runs of at least
        :data:`_BULK_MIN` lines with the same field count, become one marker line each
        (:data:`_BLOCK_MARK`, at the run's first line number). The general reader sees the
        marker where the run was: a run inside a ``.subckt`` body or after ``.end`` is
        handled as its lines would be (expanded, or dropped); at top level the run is read
        as columns (:meth:`_read_block`). The title (line 1) is given as an empty line.
        """
        self._blocks = {}
        self._text_bytes = b""
        data_b = text.encode("utf-8", "surrogatepass")
        table = classify_lines(np.frombuffer(data_b, dtype=np.uint8), self._max_line())
        fields = table.fields.copy()
        self._exclude_regions(data_b, table, fields)
        n_lines = fields.size
        numbered: list[tuple[int, str]] = []
        runs: list[tuple[int, int]] = []
        if fields.any():
            cut = np.flatnonzero(np.diff(fields)) + 1
            r0 = np.concatenate(([0], cut))
            r1 = np.concatenate((cut, [n_lines]))
            keep = (fields[r0] != 0) & (r1 - r0 >= _BULK_MIN)
            runs = list(zip(r0[keep].tolist(), r1[keep].tolist(), strict=True))
        start, end = table.start, table.end

        def plain(i0: int, i1: int) -> None:  # lines i0..i1-1 (0-based) as they are
            if i1 <= i0:
                return
            chunk = data_b[int(start[i0]) : int(end[i1 - 1])].decode("utf-8", "surrogatepass")
            numbered.extend(enumerate(chunk.split("\n"), start=i0 + 1))

        pos = 0
        for i0, i1 in runs:
            plain(pos, i0)
            self._blocks[i0 + 1] = _Block(i0, i1 - i0, int(fields[i0]))
            numbered.append((i0 + 1, _BLOCK_MARK))
            pos = i1
        plain(pos, n_lines)
        if numbered and numbered[0][0] == 1:
            numbered[0] = (1, "")  # the title is not a statement
        if self._blocks:
            self._text_bytes = data_b
            self._table = table
        return numbered

    @staticmethod
    def _max_line() -> int:
        return _limits.current_limits().max_line_chars

    def _exclude_regions(self, data_b: bytes, table: Any, fields: NDArray[np.uint8]) -> None:
        """Clear the uniform mark of lines in ``.control`` blocks and ``.lib`` sections.

        Replays :func:`_logical_lines`' own state on the lines that can change it (those
        not starting with a letter, digit, ``*`` or ``+``; a uniform line never does).
        """
        maybe = np.flatnonzero((fields == 0) & ~_PLAIN_START[table.first])
        if maybe.size == 0:
            return
        in_control = False
        skip_lib = False
        region = -1
        for i in maybe.tolist():
            line = data_b[int(table.start[i]) : int(table.end[i])].decode("utf-8", "surrogatepass")
            if in_control:
                if line.strip().lower().startswith(".endc"):
                    in_control = False
                    fields[region:i] = 0
                continue
            s = _strip_comment(line)
            if not s or s.startswith("*"):
                continue
            words = s.lower().split()
            if skip_lib:
                if words[0] == ".endl":
                    skip_lib = False
                    fields[region:i] = 0
                continue
            if words[0] == ".control":
                in_control, region = True, i
            elif words[0] == ".lib" and len(words) == 2:
                skip_lib, region = True, i
        if in_control or skip_lib:
            fields[region:] = 0

    def _is_block(self, ln: _Line) -> bool:
        return ln.text == _BLOCK_MARK and ln.source == self.source and ln.line in self._blocks

    def _block_of(self, ln: _Line) -> _Block:
        return self._blocks[ln.line]

    def _block_lines(self, blk: _Block, i0: int, k: int) -> list[_Line]:
        """Lines ``i0 .. i0+k-1`` (0-based) of the text as the general reader's lines."""
        s, e = int(self._table.start[i0]), int(self._table.end[i0 + k - 1])
        texts = self._text_bytes[s:e].decode("ascii").split("\n")
        return [_Line(t, i0 + 1 + j, self.source) for j, t in enumerate(texts)]

    def expand(self, ln: _Line) -> list[_Line]:
        """Return the original lines of a marker line (other lines: the line itself)."""
        if not self._is_block(ln):
            return [ln]
        blk = self._block_of(ln)
        return self._block_lines(blk, blk.first, blk.count)

    def _general(self, lines: list[_Line]) -> None:
        for ln in lines:
            self.statement(ln, "", {}, self.params, self.top, depth=0)

    def _read_block(self, blk: _Block) -> None:
        """Add a top-level run of uniform lines as columns (sub-runs of :data:`_SUB_RUN`)."""
        for i0 in range(blk.first, blk.first + blk.count, _SUB_RUN):
            self._read_rows(blk, i0, min(_SUB_RUN, blk.first + blk.count - i0))

    def _read_rows(self, blk: _Block, i0: int, k: int) -> None:
        """Read lines ``i0 .. i0+k-1``: as columns where that gives the general reader's elements.

        Every other line goes through the general reader, line by line and in order. The
        columns come from :func:`~thermolearn.circuit.spice.row_lines.split_rows` (array
        operations on the bytes; each distinct node and number token handled once), or,
        where it declines, from the tokens of the text.
        """
        f = blk.fields
        s, e = int(self._table.start[i0]), int(self._table.end[i0 + k - 1])
        rc = split_rows(self._text_bytes, s, e, k, f)
        if rc is not None:
            names = rc.names
            vals, ok = rc.values, rc.ok
            node_pos: Any = lambda: self._distinct_nodes(rc)  # noqa: E731
        else:
            toks = self._text_bytes[s:e].decode("ascii").split()
            if len(toks) != f * k or (f == 5 and not {t.lower() for t in toks[3::5]} <= {"dc"}):
                self._general(self._block_lines(blk, i0, k))
                return
            names, n1, n2 = toks[0::f], toks[1::f], toks[2::f]
            vals, ok = parse_values(toks[f - 1 :: f])
            del toks
            node_pos = lambda: self._row_nodes(n1, n2)  # noqa: E731
        first = self._table.first[i0 : i0 + k] & 0xDF  # upper case
        kinds = first.tobytes().decode("ascii")
        positive = np.isin(first, np.frombuffer(b"RCL", np.uint8))
        # zero or negative R, C, L (errors, or ngspice's negative resistor): general reader
        bad = ~ok | (positive & ~(vals > 0))
        if self.node_ic:  # .ic gives capacitors to ground their IC=
            bad |= first == ord("C")
        try:
            a, b = node_pos()
        except ParameterError:
            self._general(self._block_lines(blk, i0, k))
            return
        cuts = np.flatnonzero(bad).tolist()
        # names known unique (checked hashes): rows added without the circuit's name checks
        hs = self._unique_names(rc) if rc is not None else None
        add = self.circuit.add_rows if hs is None else self.circuit._add_unique_rows
        lo = 0
        clean = not cuts
        for j in [*cuts, k]:
            if j > lo:
                try:
                    add(kinds[lo:j], names[lo:j], a[lo:j], b[lo:j], vals[lo:j])
                except ParameterError:  # a bad or duplicate name: the general reader's error
                    clean = False
                    self._general(self._block_lines(blk, i0 + lo, j - lo))
            if j < k:
                self._general(self._block_lines(blk, i0 + j, 1))
            lo = j + 1
        if hs is not None and clean:  # exactly these names were added
            self._el_h = _merge_sorted(self._el_h, None, hs, None)[0]
            self._el_seen = len(self.circuit)

    def _unique_names(self, rc: RowColumns) -> NDArray[np.uint64] | None:
        """Sorted name hashes of a run when its names are valid and new, else None.

        New: no two lower-case names of the run hash alike, and none hashes as an element
        of the circuit does (:meth:`_element_hashes`); a hash that repeats (a duplicate
        name, or a collision) sends the run through :meth:`Circuit.add_rows`, which
        finds the duplicate exactly and names it.
        """
        if not rc.names_plain:
            return None
        hs = np.sort(rc.name_hash)
        if hs.size > 1 and bool(np.any(hs[1:] == hs[:-1])):
            return None
        known = self._element_hashes()
        if known.size:
            j = np.minimum(np.searchsorted(known, hs), known.size - 1)
            if bool(np.any(known[j] == hs)):
                return None
        return hs

    def _element_hashes(self) -> NDArray[np.uint64]:
        """Sorted hashes of the lower-case names of every element of the circuit.

        Elements the column reader added are counted by the hashes it checked; the names
        of any others (the general reader's) are hashed here.
        """
        names = self.circuit.columns()["names"]
        if len(names) > self._el_seen:
            fresh = hash_strings([nm.lower() for nm in names[self._el_seen :]])
            self._el_h = np.sort(np.concatenate([self._el_h, fresh]))
            self._el_seen = len(names)
        return self._el_h

    def _row_nodes(self, n1: list[str], n2: list[str]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """Node positions of the given node tokens (ground aliases, SPICE's case folding).

        Each distinct token of the chunk is folded (its first spelling, :meth:`node`) and
        looked up in the circuit once; the tokens themselves are mapped through a dict of
        the chunk's own tokens, which stays in cache.
        """
        inter: list[str] = [""] * (2 * len(n1))
        inter[0::2] = n1
        inter[1::2] = n2
        uniq = list(dict.fromkeys(inter))
        lows = list(map(str.lower, uniq))
        nc = self.node_case
        canon = list(map(nc.get, lows))
        for i in [i for i, c in enumerate(canon) if c is None]:
            lo = lows[i]
            canon[i] = "0" if lo in GROUND_ALIASES else nc.setdefault(lo, uniq[i])
        pos = self.circuit.add_nodes(canon)
        get = dict(zip(uniq, pos.tolist(), strict=True)).__getitem__
        k = len(n1)
        return (
            np.fromiter(map(get, n1), dtype=np.intp, count=k),
            np.fromiter(map(get, n2), dtype=np.intp, count=k),
        )

    def _known_hashes(self) -> tuple[NDArray[np.uint64], NDArray[np.intp]]:
        """Sorted hashes of every lower-case node name this reader may have met.

        The nodes the column reader added (with their positions), every ``node_case`` key
        (all nodes the general reader touched) and the ground aliases (position -1: found
        by name): a token whose hash is not among them is a new node (a hash among them is
        only a candidate, checked exactly). Where a hash occurs more than once, each entry
        carries the position if any of them has one.
        """
        if self._known is None:
            h0 = np.sort(hash_strings(sorted(GROUND_ALIASES)))
            self._known, self._known_p = h0, np.full(h0.size, -1, dtype=np.intp)
            self._case_done = 0
        if len(self.node_case) > self._case_done:
            keys = list(itertools.islice(self.node_case, self._case_done, None))
            hk = np.sort(hash_strings(keys))
            self._known, self._known_p = _merge_sorted(
                self._known, self._known_p, hk, np.full(hk.size, -1, dtype=np.intp)
            )
            self._case_done = len(self.node_case)
        return self._known, self._known_p

    def _distinct_nodes(self, rc: RowColumns) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """Node positions of a run's node tokens, each distinct token resolved once.

        As :meth:`node` at top level: a ground alias is ``"0"``; a token whose lower case
        has a first spelling (``node_case``, or a node of the circuit in lower case) is that
        node; any other is a new node spelt as it first appears (a spelling other than
        lower case is recorded in ``node_case``). Only tokens whose hash is known
        (:meth:`_known_hashes`) are looked up: first among the nodes this reader added
        (their hashes and positions, the lower-case name compared exactly), then in the
        circuit's node look-up as far as it is complete (the general reader's nodes; the
        column reader's own are appended without entering it, see
        :meth:`Circuit._append_new_nodes`). A hash shared with a node of another name (a
        collision: two names, one hash) completes the look-up first, so a hash only ever
        costs time. New nodes are added in order of first appearance, all or nothing.
        """
        lower, spelling = rc.lower, rc.spelling
        h = rc.node_hash
        known, known_p = self._known_hashes()
        by_hash = np.argsort(h)  # sorted queries: a cache-friendly bisection
        hq = h[by_hash]
        j = np.minimum(np.searchsorted(known, hq), known.size - 1)
        hit = known[j] == hq
        cand_a, at_p = by_hash[hit], known_p[j[hit]]
        in_order = np.argsort(cand_a)
        cand, mine = cand_a[in_order].tolist(), at_p[in_order].tolist()
        pos = np.full(len(lower), -1, dtype=np.intp)
        named: dict[int, str] = {}  # candidates that are new nodes with a recorded spelling
        circuit = self.circuit
        for i, q in zip(cand, mine, strict=True):
            lo = lower[i]
            if lo in GROUND_ALIASES:
                pos[i] = 0
                continue
            if q >= 0 and circuit.node_at(q).lower() == lo:
                pos[i] = q
                continue
            c = self.node_case.get(lo)
            name = lo if c is None else c
            # q < 0: no node this reader appended has this hash, so the name (if a node)
            # is the general reader's and in the look-up. q >= 0 with another name: a hash
            # shared by two names (a collision); the node may be one appended in bulk
            # under another position, so the look-up is completed first (time, not
            # correctness: once per collision, then only the nodes appended since)
            p = circuit._indexed(name) if q < 0 else circuit._index().get(name)
            if p is not None:
                pos[i] = p
            elif c is not None:
                named[i] = c
        new = np.flatnonzero(pos < 0)
        if new.size:
            if new.size == len(lower):
                fresh = list(spelling)
            else:
                fresh = np.array(spelling, dtype=object)[new].tolist()
            if named:
                at = np.searchsorted(new, np.fromiter(named, dtype=np.intp, count=len(named)))
                for k, c in zip(at.tolist(), named.values(), strict=True):
                    fresh[k] = c
            added = self.circuit._append_new_nodes(fresh)
            pos[new] = added
            for i in new[rc.upper[new]].tolist():  # spelt in upper case: recorded
                if i not in named:
                    self.node_case[lower[i]] = spelling[i]
            # (those records' hashes are the new nodes' own, entered here with positions)
            self._case_done = len(self.node_case)
            hn = h[new]
            o = np.argsort(hn)
            self._known, self._known_p = _merge_sorted(known, known_p, hn[o], added[o])
        where = pos[rc.node_ids]
        return where[0::2], where[1::2]

    def _definitions(self, lines: list[_Line], scope: _Scope) -> list[_Line]:
        """Take .subckt, .model and .func definitions out of ``lines`` into ``scope``."""
        rest: list[_Line] = []
        i = 0
        while i < len(lines):
            ln = lines[i]
            head = ln.text.split()[0].lower()
            if head == ".end":
                break
            if head == ".subckt":
                i = self.read_subckt(lines, i, scope)
                continue
            if head == ".ends":
                raise self.err(".ends without .subckt", ln)
            if head == ".model":
                self.read_model(ln, scope)
            elif head == ".func":
                self.read_func(ln, scope)
            else:
                rest.append(ln)
            i += 1
        return rest

    def _prescan(self, lines: list[_Line]) -> None:
        """Cards that every element needs first: temperature, .global, the first .tran."""
        for ln in lines:
            if not ln.text.startswith("."):
                continue
            head = ln.text.split()[0].lower()
            toks = _tokens(ln.text, ln)
            if head == ".global":
                self.global_nodes.update(t.lower() for t in toks[1:])
            elif head in (".options", ".option", ".opt"):
                pos, kv = _split_assignments(toks[1:], ln)
                for k, v in kv.items():
                    if k in ("temp", "tnom"):
                        setattr(
                            self, "temperature" if k == "temp" else "tnom", self.value(v, ln, {})
                        )
                self._note_options(kv, pos, ln)
                self.options.update(kv)
                self.options.update({p.lower(): "" for p in pos})
            elif head == ".temp":
                if len(toks) < 2:
                    raise self.err(".temp needs a temperature (degC)", ln)
                self.temperature = self.value(toks[1], ln, {})
                if len(toks) > 2:
                    self.note(
                        ".temp with several temperatures: thermolearn runs the first only", ln
                    )
            elif head == ".csparam":
                _pos, kv = _split_assignments(toks[1:], ln)
                for k, v in kv.items():
                    self.csparams[k] = v  # type: ignore[assignment]
            elif head == ".tran" and self.tstep is None:
                pos, _kv = _split_assignments(toks[1:], ln)
                self.uic = self.uic or any(t.lower() == "uic" for t in pos)
                nums = [t for t in pos if t.lower() != "uic"]
                if len(nums) >= 2:
                    self.tstep = self.value(nums[0], ln, {})
                    self.tstop = self.value(nums[1], ln, {})
        if self.temp_override is not None:
            self.temperature = self.temp_override

    def _note_options(self, kv: dict[str, str], pos: list[str], ln: _Line) -> None:
        """Note what each ``.options`` name does (:mod:`~thermolearn.circuit.spice.options`)."""
        entries: list[tuple[str, str | None]] = [*kv.items(), *((p, None) for p in pos)]
        for k, v in entries:
            if k.lower() in _options.INTERPRETED_OPTIONS:
                continue
            gmin = self.value(v, ln, {}) if k.lower() == "gmin" and v is not None else None
            msg, changes = _options.option_note(k, v, gmin)
            self.note(msg, ln)
            if changes:
                self.unmodelled_options.append(f"{ln.source}:{ln.line}: {msg}")

    def _plan_control(self, control: list[_Line]) -> None:
        if not control:
            return

        def evaluate(expr: str, variables: dict[str, float]) -> float:
            env = dict(self.params)
            env.update(variables)
            try:
                return self.value(expr, _Line(expr, 0, self.source), env)
            except NetlistError as exc:
                raise ValueError(str(exc)) from None

        vars0: dict[str, float] = {}
        for k, v in self.csparams.items():
            try:
                vars0[k] = self.value(str(v), _Line(str(v), 0, self.source), self.params)
            except NetlistError:
                pass
        try:
            plan = plan_control(
                [ControlLine(c.text, c.line, c.source) for c in control], evaluate, vars0
            )
        except ControlError as exc:
            raise NetlistError(str(exc), source=self.source) from None
        self.notes.extend(plan.notes)
        for words, cl in plan.commands:
            ln = _Line(" ".join(words), cl.line, cl.source)
            if words[0] == "run":
                continue  # the dot analyses, which are run anyway
            card = "." + " ".join(words)
            self.control_cards.append(card)
            self.dot_card(_Line(card, cl.line, cl.source), "." + words[0], "")
            if words[0] == "tran" and self.tstep is None:
                a = self.analyses[-1]
                self.tstep, self.tstop = a[1], a[2]
            del ln

    def read_subckt(self, lines: list[_Line], i: int, scope: _Scope) -> int:
        ln = lines[i]
        toks = _tokens(ln.text, ln)
        if len(toks) < 2:
            raise self.err(".subckt needs a name", ln)
        name = toks[1].lower()
        ports: list[str] = []
        defaults: dict[str, str] = {}
        rest = toks[2:]
        j = 0
        while j < len(rest):
            t = rest[j]
            if t.lower() in ("params:", "param:"):
                j += 1
                continue
            if j + 1 < len(rest) and rest[j + 1] == "=":
                if j + 2 >= len(rest):
                    raise self.err(f"missing default for parameter {t!r}", ln)
                defaults[t.lower()] = rest[j + 2]
                j += 3
                continue
            if defaults:
                raise self.err(f"port {t!r} after parameters in .subckt", ln)
            ports.append(t)
            j += 1
        body: list[_Line] = []
        depth = 1
        k = i + 1
        while k < len(lines):
            head = lines[k].text.split()[0].lower()
            if head == ".subckt":
                depth += 1
            elif head == ".ends":
                depth -= 1
                if depth == 0:
                    break
            body.extend(self.expand(lines[k]))
            k += 1
        else:
            raise self.err(f".subckt {name} has no .ends", ln)
        if name in scope.subckts:
            raise self.err(f"subcircuit {name!r} defined twice", ln)
        scope.subckts[name] = _Subckt(name, ports, defaults, body, ln.line, ln.source)
        return k + 1

    def read_params(self, ln: _Line, env: dict[str, float], funcs: dict[str, UserFunction]) -> None:
        toks = _tokens(ln.text, ln)[1:]
        pos, kv = _split_assignments(toks, ln)
        if pos or not kv:
            raise self.err(".param needs name=value assignments", ln)
        for k, v in kv.items():
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", k):
                raise self.err(f"bad parameter name {k!r}", ln)
            env[k] = self.value(v, ln, env, funcs)

    def read_ic(
        self,
        ln: _Line,
        prefix: str,
        nodemap: dict[str, str],
        env: dict[str, float],
        funcs: dict[str, UserFunction],
    ) -> None:
        """``.ic V(n)=value ...``: with ``uic``, the initial voltage of n's capacitor to ground."""
        pairs = re.findall(r"[vV]\s*\(\s*([^()\s]+)\s*\)\s*=\s*(\S+)", ln.text[3:])
        if not pairs:
            raise self.err(".ic needs V(node)=value pairs", ln)
        if not self.uic:
            raise self.err(
                ".ic without uic (initial conditions holding the operating point) is not "
                "supported; add uic to .tran or give capacitor IC= values",
                ln,
            )
        for node, val in pairs:
            self.node_ic[self.node(node, prefix, nodemap)] = (self.value(val, ln, env, funcs), ln)

    def read_func(self, ln: _Line, scope: _Scope) -> None:
        m = re.match(r"\.func\s+([A-Za-z_]\w*)\s*\(([^()]*)\)\s*=?\s*(.+)$", ln.text, re.I | re.S)
        if not m:
            raise self.err(".func needs: .func NAME(ARG, ...) = {EXPRESSION}", ln)
        args = tuple(a.strip().lower() for a in m.group(2).split(",") if a.strip())
        body = m.group(3).strip()
        if body.startswith(("{", "'", '"')) and body[-1:] in ("}", "'", '"'):
            body = body[1:-1]
        scope.funcs[m.group(1).lower()] = UserFunction(m.group(1).lower(), args, body)

    def read_model(self, ln: _Line, scope: _Scope) -> None:
        m = re.match(r"\.model\s+(\S+)\s+([A-Za-z]+)\s*(?:\((.*)\)|(.*))$", ln.text, re.I | re.S)
        if not m:
            raise self.err("malformed .model card", ln)
        name, mtype = m.group(1).lower(), m.group(2).lower()
        body = (m.group(3) if m.group(3) is not None else m.group(4) or "").strip()
        toks = _tokens(body, ln) if body else []
        pos, kv = _split_assignments(toks, ln)
        if pos:
            raise self.err(f"malformed .model parameters {pos!r}", ln)
        scope.models[name] = (mtype, kv, ln)

    # -- statements ------------------------------------------------------------------
    def statement(
        self,
        ln: _Line,
        prefix: str,
        nodemap: dict[str, str],
        env: dict[str, float],
        scope: _Scope,
        depth: int,
    ) -> None:
        text = ln.text
        head = text.split()[0].lower()
        if head.startswith("."):
            self.dot_card(ln, head, prefix)
            return
        letter = head[0]
        handler = getattr(self, f"el_{letter}", None)
        if handler is None and letter not in "efgh":
            what = {
                "q": "bipolar transistors (Q)",
                "m": "MOSFETs (M)",
                "j": "JFETs (J)",
                "z": "MESFETs (Z)",
                "k": "coupled inductors (K)",
                "t": "transmission lines (T)",
                "o": "lossy transmission lines (O)",
                "u": "RC lines (U)",
                "s": "voltage-controlled switches (S)",
                "w": "current-controlled switches (W)",
                "a": "XSPICE code models (A)",
                "n": "OSDI/Verilog-A devices (N)",
                "p": "coupled lines (P)",
                "y": "lossy lines (Y)",
            }.get(letter, f"elements {text.split()[0][0]!r}")
            raise self.err(
                f"unsupported element {text.split()[0]!r}: thermolearn has no {what}", ln
            )
        toks = _tokens(text, ln)
        name = toks[0] if not prefix else f"{toks[0]}.{prefix[:-1]}"
        funcs = scope.all_funcs()
        try:
            if handler is None:  # E, F, G, H: the four controlled sources
                self._controlled(letter, ln, name, toks[1:], prefix, nodemap, env, funcs)
            else:
                handler(ln, name, toks[1:], prefix, nodemap, env, depth, scope)
        except ParameterError as exc:
            raise self.err(str(exc), ln) from None

    def dot_card(self, ln: _Line, head: str, prefix: str) -> None:
        toks = _tokens(ln.text, ln)
        if prefix and head not in (".param", ".params", ".model", ".func", ".ic"):
            raise self.err(f"{head} is not allowed inside a subcircuit", ln)
        where = f"{ln.source}:{ln.line}"
        if head == ".op":
            self.analyses.append(("op",))
            self.analysis_lines.append(where)
        elif head == ".tran":
            pos, _kv = _split_assignments(toks[1:], ln)
            uic = any(t.lower() == "uic" for t in pos)
            nums = [t for t in pos if t.lower() != "uic"]
            if len(nums) < 2:
                raise self.err(".tran needs tstep and tstop", ln)
            tstep = self.value(nums[0], ln, self.params)
            tstop = self.value(nums[1], ln, self.params)
            if not (tstep > 0 and tstop > 0):
                raise self.err(".tran tstep and tstop must be > 0", ln)
            if len(nums) > 2 and self.value(nums[2], ln, self.params) != 0:
                raise self.err(".tran TSTART > 0 is not supported (omit it or use 0)", ln)
            self.uic = self.uic or uic
            self.analyses.append(("tran", tstep, tstop, uic))
            self.analysis_lines.append(where)
        elif head == ".ac":
            if len(toks) != 5 or toks[1].lower() not in ("dec", "oct", "lin"):
                raise self.err(".ac needs: .ac DEC|OCT|LIN POINTS FSTART FSTOP", ln)
            npts = self.value(toks[2], ln, self.params)
            f1 = self.value(toks[3], ln, self.params)
            f2 = self.value(toks[4], ln, self.params)
            if npts < 1 or npts != int(npts) or f1 < 0 or f2 < f1:
                raise self.err(".ac needs POINTS >= 1 and 0 <= FSTART <= FSTOP", ln)
            if toks[1].lower() != "lin" and f1 <= 0:
                raise self.err(".ac DEC/OCT needs FSTART > 0", ln)
            self.analyses.append(("ac", toks[1].lower(), int(npts), f1, f2))
            self.analysis_lines.append(where)
        elif head == ".dc":
            args = toks[1:]
            if len(args) not in (4, 8):
                raise self.err(
                    ".dc needs: .dc SOURCE START STOP STEP [SOURCE2 START2 STOP2 STEP2]", ln
                )
            sweeps = []
            for k in range(0, len(args), 4):
                src = args[k]
                start, stop, step = (self.value(a, ln, self.params) for a in args[k + 1 : k + 4])
                if step == 0 or (stop - start) * step < 0:
                    raise self.err(f".dc step {step!r} does not go from {start!r} to {stop!r}", ln)
                sweeps.append((src.lower(), start, stop, step))
            self.analyses.append(("dc", tuple(sweeps)))
            self.analysis_lines.append(where)
        elif head in _UNSUPPORTED_ANALYSES:
            if head == ".four":
                self.note(".four (Fourier post-processing) ignored", ln)
            else:
                raise self.err(
                    f"analysis {head} is not supported (thermolearn runs .op, .dc, .tran, .ac)", ln
                )
        elif head in (".options", ".option", ".opt"):
            pass  # read in the prescan
        elif head in (".meas", ".measure"):
            card = parse_measure(ln.text, ln.line, ln.source)
            if card is None:
                raise self.err(f"{head} needs: {head} ANALYSIS NAME ...", ln)
            if card.analysis == "tran":
                self.measures.append(card)
            else:
                self.note(
                    f"{head} {card.analysis} ignored: thermolearn evaluates .measure tran", ln
                )
        elif head in (".ic", ".nodeset"):
            if head == ".nodeset":
                self.note(".nodeset ignored (a Newton starting guess cannot change the answer)", ln)
            else:
                pass  # read before the elements (see read_ic)
        elif head in _OUTPUT_CARDS:
            pass
        elif head == ".end":
            pass
        else:
            raise self.err(f"unsupported control card {head!r}", ln)

    def _nodes(
        self, toks: list[str], k: int, ln: _Line, prefix: str, nodemap: dict[str, str]
    ) -> list[str]:
        if len(toks) < k:
            raise self.err(f"expected {k} nodes, got {len(toks)} fields", ln)
        out = []
        for t in toks[:k]:
            if not t or not _BAD_NODE.isdisjoint(t) or t != t.strip():
                raise self.err(f"bad node name {t!r}", ln)
            out.append(self.node(t, prefix, nodemap))
        return out

    def _one_value(
        self,
        rest: list[str],
        ln: _Line,
        env: dict[str, float],
        what: str,
        funcs: dict[str, UserFunction] | None = None,
    ) -> float:
        pos, kv = _split_assignments(rest, ln)
        if kv and list(kv) != [what]:
            raise self.err(f"unsupported parameters {sorted(kv)}", ln)
        if kv:
            pos = pos + [kv[what]]
        if len(pos) != 1:
            raise self.err(f"expected one {what} value, got {pos!r}", ln)
        return self.value(pos[0], ln, env, funcs)

    def _depends_on_nodes(
        self, tok: str, env: dict[str, float], funcs: dict[str, UserFunction]
    ) -> Expression | None:
        try:
            parse_number(tok)
            return None
        except ValueError:
            pass
        try:
            expr = compile_expression(tok, env, funcs)
        except ExpressionError:
            return None
        return expr if expr.vrefs else None

    def el_r(
        self,
        ln: _Line,
        name: str,
        toks: list[str],
        prefix: str,
        nodemap: dict[str, str],
        env: dict[str, float],
        depth: int,
        scope: _Scope,
    ) -> None:
        a, b = self._nodes(toks, 2, ln, prefix, nodemap)
        if len(toks) == 3:
            try:  # fast path: R n1 n2 NUMBER (a crossbar export is ~all such lines)
                r0 = parse_number(toks[2])
            except ValueError:
                pass
            else:
                if r0 < 0:
                    self.circuit.add_vccs(name, a, b, a, b, 1.0 / r0)
                    self.note(f"negative resistor {name!r} = {r0:g} ohm modelled as a VCCS", ln)
                else:
                    self.circuit.add_resistor(name, a, b, r0)
                return
        funcs = scope.all_funcs()
        pos, kv = _split_assignments(toks[2:], ln)
        known = {
            "r",
            "resistance",
            "tc1",
            "tc2",
            "tce",
            "m",
            "scale",
            "ac",
            "l",
            "w",
            "temp",
            "dtemp",
            "noisy",
        }
        bad = sorted(set(kv) - known)
        if bad:
            raise self.err(f"unsupported resistor parameters {bad}", ln)
        mp: dict[str, float] = {}
        if pos and len(pos) == 1 and scope.find_model(pos[0].lower()) is not None:
            mtype, mkv, mln = scope.find_model(pos[0].lower())  # type: ignore[misc]
            if mtype not in ("r", "res"):
                raise self.err(f"model {pos[0]!r} is a {mtype!r} model, not a resistor", ln)
            mp = {k: self.value(v, mln, self.params) for k, v in mkv.items()}
            pos = []
        vtok = kv.get("r", kv.get("resistance"))
        if pos:
            if len(pos) != 1 or vtok is not None:
                raise self.err(f"expected one r value, got {pos!r}", ln)
            vtok = pos[0]
        if vtok is not None:
            expr = self._depends_on_nodes(vtok, env, funcs)
            if expr is not None:  # behavioural resistor: I = V(a,b) / R(v)
                if set(kv) - {"r", "resistance"}:
                    raise self.err("a behavioural resistor takes no other parameters", ln)
                for nd_a, nd_b in expr.vrefs:
                    for nd in (nd_a, nd_b):
                        if nd is not None:
                            self.node(nd, prefix, nodemap)
                rtext = expr.render(lambda s: self.node(s, prefix, nodemap))
                self.circuit.add_bsource(name, a, b, f"V({a},{b})/({rtext})", mode="i")
                return
            r = self.value(vtok, ln, env, funcs)
        elif "r" in mp or "resistance" in mp:
            r = mp.get("r", mp.get("resistance", 0.0))
        elif "rsh" in mp and "l" in kv:
            narrow = mp.get("narrow", 0.0)
            lval = self.value(kv["l"], ln, env, funcs)
            wval = self.value(kv["w"], ln, env, funcs) if "w" in kv else mp.get("defw", 1e-5)
            r = mp["rsh"] * (lval - narrow) / (wval - narrow)
        else:
            raise self.err("resistor needs a value: R n1 n2 VALUE (or a model with R=)", ln)
        tc1 = self.value(kv["tc1"], ln, env, funcs) if "tc1" in kv else mp.get("tc1", 0.0)
        tc2 = self.value(kv["tc2"], ln, env, funcs) if "tc2" in kv else mp.get("tc2", 0.0)
        tnom = mp.get("tnom", self.tnom)
        temp = self.value(kv["temp"], ln, env, funcs) if "temp" in kv else self.temperature
        if "dtemp" in kv:
            temp += self.value(kv["dtemp"], ln, env, funcs)
        dt = temp - tnom
        if "tce" in kv or "tce" in mp:
            tce = self.value(kv["tce"], ln, env, funcs) if "tce" in kv else mp["tce"]
            r *= 1.01 ** (tce * dt)
        else:
            r *= 1 + tc1 * dt + tc2 * dt * dt
        if "scale" in kv:
            r *= self.value(kv["scale"], ln, env, funcs)
        mult = self.value(kv["m"], ln, env, funcs) if "m" in kv else 1.0
        r /= mult
        if r < 0 and "ac" not in kv:
            # ngspice accepts negative resistors: the same law as a VCCS of its own voltage
            self.circuit.add_vccs(name, a, b, a, b, 1.0 / r)
            self.note(f"negative resistor {name!r} = {r:g} ohm modelled as a VCCS", ln)
            return
        self.circuit.add_resistor(name, a, b, r)
        if "ac" in kv:
            rac = self.value(kv["ac"], ln, env, funcs)
            if "scale" in kv:
                rac *= self.value(kv["scale"], ln, env, funcs)
            self.ac_resistance[self.circuit.element(name).name] = rac / mult

    def el_c(
        self,
        ln: _Line,
        name: str,
        toks: list[str],
        prefix: str,
        nodemap: dict[str, str],
        env: dict[str, float],
        depth: int,
        scope: _Scope,
    ) -> None:
        a, b = self._nodes(toks, 2, ln, prefix, nodemap)
        funcs = scope.all_funcs()
        pos, kv = _split_assignments(toks[2:], ln)
        bad = sorted(set(kv) - {"ic", "c", "m", "scale"})
        if bad:
            raise self.err(f"unsupported capacitor parameters {bad}", ln)
        vtok = kv.get("c")
        if pos:
            if len(pos) != 1 or vtok is not None:
                raise self.err("capacitor needs: C n1 n2 value [IC=v]", ln)
            vtok = pos[0]
        if vtok is None:
            raise self.err("capacitor needs: C n1 n2 value [IC=v]", ln)
        if self._depends_on_nodes(vtok, env, funcs) is not None:
            raise self.err("nonlinear (voltage-dependent) capacitors are not supported", ln)
        c = self.value(vtok, ln, env, funcs)
        if "scale" in kv:
            c *= self.value(kv["scale"], ln, env, funcs)
        if "m" in kv:
            c *= self.value(kv["m"], ln, env, funcs)
        ic = self.value(kv["ic"], ln, env, funcs) if "ic" in kv else None
        if ic is None and (a in self.node_ic or b in self.node_ic) and (a == "0" or b == "0"):
            node, sign = (a, 1.0) if b == "0" else (b, -1.0)
            ic = sign * self.node_ic[node][0]
            self.used_ic.add(node)
        self.circuit.add_capacitor(name, a, b, c, ic=ic)

    def el_l(
        self,
        ln: _Line,
        name: str,
        toks: list[str],
        prefix: str,
        nodemap: dict[str, str],
        env: dict[str, float],
        depth: int,
        scope: _Scope,
    ) -> None:
        a, b = self._nodes(toks, 2, ln, prefix, nodemap)
        pos, kv = _split_assignments(toks[2:], ln)
        if "ic" in kv:
            icv = self.value(kv.pop("ic"), ln, env, scope.all_funcs())
            if self.uic and icv != 0.0:
                raise self.err("inductor IC= with uic is not supported (only 0 A)", ln)
            if not self.uic:
                self.note("inductor IC= ignored without uic (as in SPICE)", ln)
        rest = pos + [x for k, v in kv.items() for x in (k, "=", v)]
        self.circuit.add_inductor(
            name, a, b, self._one_value(rest, ln, env, "l", scope.all_funcs())
        )

    def _source_spec(
        self,
        name: str,
        rest: list[str],
        ln: _Line,
        env: dict[str, float],
        funcs: dict[str, UserFunction],
    ) -> tuple[float | None, Pulse | PWL | Sine | Exp | None]:
        dc: float | None = None
        wf: Pulse | PWL | Sine | Exp | None = None
        i = 0
        keywords = ("dc", "ac", "distof1", "distof2") + _WAVEFORMS

        def is_value(t: str) -> bool:
            return t != "=" and t.lower() not in keywords

        while i < len(rest):
            t = rest[i]
            low = t.lower()
            if low == "dc":
                j = i + 1
                if j < len(rest) and rest[j] == "=":
                    j += 1
                if j >= len(rest):
                    raise self.err("DC needs a value", ln)
                dc = self.value(rest[j], ln, env, funcs)
                i = j + 1
                continue
            if low == "ac":
                j = i + 1
                if j < len(rest) and rest[j] == "=":
                    j += 1
                mag, phase = 1.0, 0.0
                if j < len(rest) and is_value(rest[j]):
                    mag = self.value(rest[j], ln, env, funcs)
                    j += 1
                    if j < len(rest) and is_value(rest[j]):
                        phase = self.value(rest[j], ln, env, funcs)
                        j += 1
                self.ac_sources[name] = (mag, phase)
                i = j
                continue
            if low in ("distof1", "distof2"):
                j = i + 1
                while j < len(rest) and is_value(rest[j]) and j < i + 3:
                    j += 1
                self.note(f"{t} (distortion analysis input) ignored", ln)
                i = j
                continue
            fm = re.fullmatch(r"([A-Za-z]+)\((.*)\)", t, re.S)
            if (fm and fm.group(1).lower() in _WAVEFORMS) or low in _WAVEFORMS:
                kind = fm.group(1).lower() if fm else low
                if wf is not None:
                    raise self.err("more than one waveform", ln)
                if fm:
                    args = [a for a in re.split(r"[\s,]+", fm.group(2).strip()) if a]
                    i += 1
                else:  # PULSE 0 1 2n ... without parentheses
                    args = []
                    i += 1
                    while i < len(rest) and is_value(rest[i]):
                        args.append(rest[i])
                        i += 1
                if kind not in ("pulse", "pwl", "sin", "exp"):
                    raise self.err(
                        f"{kind.upper()} sources are not supported (PULSE, PWL, SIN, EXP are)", ln
                    )
                vals = [self.value(a, ln, env, funcs) for a in args]
                wf = self._waveform(kind, vals, ln)
                continue
            if dc is None and wf is None and is_value(t):
                dc = self.value(t, ln, env, funcs)
                i += 1
                continue
            raise self.err(f"unexpected token {t!r} in source", ln)
        return dc, wf

    def _waveform(self, kind: str, v: list[float], ln: _Line) -> Pulse | PWL | Sine | Exp:
        tstep = self.tstep
        tstop = self.tstop
        try:
            if kind == "pulse":
                if not 2 <= len(v) <= 8:
                    raise self.err("PULSE takes 2 to 7 values", ln)
                if len(v) == 8:
                    raise self.err(
                        "PULSE with an 8th value (number of pulses) is not supported", ln
                    )
                full = v + [0.0] * (7 - len(v))
                td, tr, tf, pw, per = full[2], full[3], full[4], full[5], full[6]
                # ngspice (vsrcload.c): TR, TF = TSTEP and PW, PER = TSTOP when omitted or 0
                if tstep is not None and tstop is not None:
                    tr = tr or tstep
                    tf = tf or tstep
                    pw = pw or tstop
                    per = per or tstop
                    if per < tr + pw + tf:
                        per = None if len(v) < 7 else per
                    pper: float | None = per
                else:  # no transient: only the DC value (v1) matters
                    pw = pw or 1e30
                    pper = per or None
                return Pulse(v1=full[0], v2=full[1], td=td, tr=tr, tf=tf, pw=pw, per=pper)
            if kind == "exp":
                if not 2 <= len(v) <= 6:
                    raise self.err("EXP takes 2 to 6 values", ln)
                full = v + [0.0] * (6 - len(v))
                step = tstep if tstep is not None else 0.0
                # ngspice (vsrcload.c): TD1 = TAU1 = TAU2 = TSTEP, TD2 = TD1 + TSTEP when
                # omitted or 0
                td1 = full[2] or step
                tau1 = full[3] or step or 1.0
                td2 = full[4] or td1 + step
                tau2 = full[5] or step or 1.0
                return Exp(v1=full[0], v2=full[1], td1=td1, tau1=tau1, td2=td2, tau2=tau2)
            if kind == "pwl":
                if len(v) < 2 or len(v) % 2:
                    raise self.err("PWL needs time/value pairs", ln)
                return PWL(times=tuple(v[0::2]), values=tuple(v[1::2]))
            if not 2 <= len(v) <= 6:
                raise self.err("SIN takes 2 to 6 values", ln)
            full = v + [0.0] * (6 - len(v))
            freq = full[2]
            if freq == 0.0:
                if tstop is None:
                    freq = 1.0  # no transient: only the DC value (vo) matters
                else:
                    freq = 1.0 / tstop  # ngspice: FREQ = 1/TSTOP when omitted or 0
            kw: dict[str, float] = {}
            if full[5] != 0.0:
                kw["phase"] = full[5]
            return Sine(vo=full[0], va=full[1], freq=freq, td=full[3], theta=full[4], **kw)
        except ParameterError as exc:
            raise self.err(str(exc), ln) from None

    def el_v(
        self,
        ln: _Line,
        name: str,
        toks: list[str],
        prefix: str,
        nodemap: dict[str, str],
        env: dict[str, float],
        depth: int,
        scope: _Scope,
    ) -> None:
        self._independent_source("V", ln, name, toks, prefix, nodemap, env, scope)

    def el_i(
        self,
        ln: _Line,
        name: str,
        toks: list[str],
        prefix: str,
        nodemap: dict[str, str],
        env: dict[str, float],
        depth: int,
        scope: _Scope,
    ) -> None:
        self._independent_source("I", ln, name, toks, prefix, nodemap, env, scope)

    def _independent_source(
        self,
        kind: str,
        ln: _Line,
        name: str,
        toks: list[str],
        prefix: str,
        nodemap: dict[str, str],
        env: dict[str, float],
        scope: _Scope,
    ) -> None:
        """V or I source: nodes, then the DC/AC/waveform specification."""
        a, b = self._nodes(toks, 2, ln, prefix, nodemap)
        dc, wf = self._source_spec(name, toks[2:], ln, env, scope.all_funcs())
        c = self.circuit
        if dc is None:
            (c.add_vsource if kind == "V" else c.add_isource)(name, a, b, waveform=wf)
        else:
            c.add_source(kind, name, a, b, dc, wf)

    def el_d(
        self,
        ln: _Line,
        name: str,
        toks: list[str],
        prefix: str,
        nodemap: dict[str, str],
        env: dict[str, float],
        depth: int,
        scope: _Scope,
    ) -> None:
        a, b = self._nodes(toks, 2, ln, prefix, nodemap)
        funcs = scope.all_funcs()
        pos, kv = _split_assignments(toks[2:], ln)
        if any(p.lower() == "off" for p in pos):
            self.note("diode OFF ignored (a Newton starting guess)", ln)
            pos = [p for p in pos if p.lower() != "off"]
        if not 1 <= len(pos) <= 2:
            raise self.err("diode needs: D anode cathode model [area]", ln)
        mname = pos[0].lower()
        found = scope.find_model(mname)
        if found is None:
            raise self.err(f"unknown diode model {pos[0]!r}", ln)
        mtype, mkv, mln = found
        if mtype != "d":
            raise self.err(f"model {pos[0]!r} is a {mtype!r} model, not a diode", ln)
        menv = dict(self.params)
        mvals = {k: self.value(v, mln, menv, self.top.funcs) for k, v in mkv.items()}
        unsupported = sorted(set(mvals) - set(_DIODE_MODEL) - _DIODE_NOTED)
        if unsupported:
            raise self.err(
                f"unsupported diode model parameters {unsupported} (model {pos[0]!r}, line "
                f"{mln.line}); thermolearn implements the SPICE level-1 diode: "
                + " ".join(sorted({k.upper() for k in _DIODE_MODEL})),
                ln,
            )
        if mvals.get("level", 1.0) != 1.0:
            raise self.err(
                f"diode model {pos[0]!r} has LEVEL={mvals['level']:g}; only 1 is supported", ln
            )
        bad_inst = sorted(set(kv) - {"area", "m", "temp", "dtemp", "ic"})
        if bad_inst:
            raise self.err(f"unsupported diode instance parameters {bad_inst}", ln)
        fields: dict[str, float] = {}
        for k, v in mvals.items():
            if k in _DIODE_MODEL:
                fields[_DIODE_MODEL[k]] = v
        tnom_c = fields.pop("tnom", self.tnom)
        temp_c = self.value(kv["temp"], ln, env, funcs) if "temp" in kv else self.temperature
        if "dtemp" in kv:
            temp_c += self.value(kv["dtemp"], ln, env, funcs)
        area = fields.pop("area", 1.0)
        if len(pos) == 2:
            area = self.value(pos[1], ln, env, funcs)
        if "area" in kv:
            area = self.value(kv["area"], ln, env, funcs)
        mult = self.value(kv["m"], ln, env, funcs) if "m" in kv else 1.0
        if "ic" in kv:
            self.note("diode IC= ignored", ln)
        r_s = fields.pop("r_s", 0.0)
        if set(fields) <= {"i_s", "n"} and area == 1.0 and mult == 1.0 and temp_c == tnom_c:
            # the Shockley diode with exact series resistance (what thermolearn exports): no
            # temperature rescaling because the device runs at TNOM

            self.circuit.add_diode(
                name,
                a,
                b,
                DiodeParams(
                    i_s=fields.get("i_s", 1e-14),
                    n=fields.get("n", 1.0),
                    r_s=r_s,
                    temperature=round(temp_c + CELSIUS_TO_KELVIN, 9),
                ),
            )
            return
        params = SpiceDiodeParams(
            **fields,  # type: ignore[arg-type]
            tnom=tnom_c + CELSIUS_TO_KELVIN,
            temperature=temp_c + CELSIUS_TO_KELVIN,
            area=area,
            mult=mult,
        )
        anode = a
        if r_s > 0:
            anode = self.node(f"{toks[0]}#internal", prefix, nodemap)
            self.circuit.add_resistor(f"R{name}_rs", a, anode, r_s / (area * mult))
        self.circuit.add_diode(name, anode, b, params)

    def _controlled(
        self,
        kind: str,
        ln: _Line,
        name: str,
        toks: list[str],
        prefix: str,
        nodemap: dict[str, str],
        env: dict[str, float],
        funcs: dict[str, UserFunction],
    ) -> None:
        c = self.circuit
        if len(toks) >= 3 and kind in "eg":
            # behavioural forms: E n+ n- VALUE={expr} | VOL='expr', G n+ n- VALUE= | CUR=
            key = toks[2].lower()
            if key in ("value", "vol", "cur") or re.fullmatch(r"(value|vol|cur)=.*", key):
                m = re.match(
                    r"^\s*\S+\s+\S+\s+\S+\s+(?:value|vol|cur)\s*=\s*(.+)$", ln.text, re.I | re.S
                )
                if not m:
                    raise self.err(
                        f"{kind.upper()} source needs: {kind.upper()} n+ n- VALUE={{expr}}", ln
                    )
                a, b = self._nodes(toks, 2, ln, prefix, nodemap)
                self._bsource(
                    ln,
                    name,
                    a,
                    b,
                    m.group(1),
                    "v" if kind == "e" else "i",
                    prefix,
                    nodemap,
                    env,
                    funcs,
                )
                return
            if key in ("poly", "table", "laplace", "freq") or key.startswith(("poly(", "table")):
                raise self.err(f"{kind.upper()} source {toks[2].upper()} form is not supported", ln)
        if kind in "eg":
            a, b, cp, cn = self._nodes(toks, 4, ln, prefix, nodemap)
            val = self._one_value(toks[4:], ln, env, "gain" if kind == "e" else "gm", funcs)
            (c.add_vcvs if kind == "e" else c.add_vccs)(name, a, b, cp, cn, val)
        else:
            a, b = self._nodes(toks, 2, ln, prefix, nodemap)
            if len(toks) < 3:
                raise self.err("missing controlling source", ln)
            if toks[2].lower().startswith("poly"):
                raise self.err(f"{kind.upper()} source POLY form is not supported", ln)
            ctrl = toks[2] if not prefix else f"{toks[2]}.{prefix[:-1]}"
            val = self._one_value(toks[3:], ln, env, "gain" if kind == "f" else "r", funcs)
            el = (c.add_cccs if kind == "f" else c.add_ccvs)(name, a, b, ctrl, val)
            self.pending_ctrl.append((el, ln))

    def _bsource(
        self,
        ln: _Line,
        name: str,
        a: str,
        b: str,
        text: str,
        mode: str,
        prefix: str,
        nodemap: dict[str, str],
        env: dict[str, float],
        funcs: dict[str, UserFunction],
    ) -> None:
        try:
            expr = compile_expression(text, env, funcs)
        except ExpressionError as exc:
            raise self.err(f"B source: {exc}", ln) from None

        def mapped(s: str) -> str:
            if s.startswith(CURRENT_REF):  # i(vname): the flattened source name
                src = s[len(CURRENT_REF) :]
                return CURRENT_REF + (src if not prefix else f"{src}.{prefix[:-1]}")
            return self.node(s, prefix, nodemap)

        for nd_a, nd_b in expr.vrefs:
            for nd in (nd_a, nd_b):
                if nd is not None:
                    mapped(nd)
        self.circuit.add_bsource(name, a, b, expr.render(mapped), mode=mode)

    def el_b(
        self,
        ln: _Line,
        name: str,
        toks: list[str],
        prefix: str,
        nodemap: dict[str, str],
        env: dict[str, float],
        depth: int,
        scope: _Scope,
    ) -> None:
        a, b = self._nodes(toks, 2, ln, prefix, nodemap)
        m = re.match(r"^\s*\S+\s+\S+\s+\S+\s+([IiVv])\s*=\s*(.+)$", ln.text, re.S)
        if not m:
            raise self.err("B source needs: B n+ n- I=expr or V=expr", ln)
        self._bsource(
            ln, name, a, b, m.group(2), m.group(1).lower(), prefix, nodemap, env, scope.all_funcs()
        )

    def el_x(
        self,
        ln: _Line,
        name: str,
        toks: list[str],
        prefix: str,
        nodemap: dict[str, str],
        env: dict[str, float],
        depth: int,
        scope: _Scope,
    ) -> None:
        if depth > 20:
            raise self.err("subcircuits nested too deeply (recursive definition?)", ln)
        pos, kv = _split_assignments(
            [t for t in toks if t.lower() not in ("params:", "param:")], ln
        )
        if not pos:
            raise self.err("X line needs nodes and a subcircuit name", ln)
        sub_name = pos[-1].lower()
        sub = scope.find_subckt(sub_name)
        if sub is None:
            raise self.err(f"unknown subcircuit {pos[-1]!r}", ln)
        nodes = pos[:-1]
        if len(nodes) != len(sub.ports):
            raise self.err(
                f"subcircuit {sub.name!r} has {len(sub.ports)} ports; got {len(nodes)} nodes", ln
            )
        outer = [self.node(nd, prefix, nodemap) for nd in nodes]
        inst_path = f"{prefix}{name.split('.')[0]}" if prefix else name
        newmap = {p.lower(): o for p, o in zip(sub.ports, outer, strict=True)}
        local = dict(self.params)
        funcs = scope.all_funcs()
        for k in kv:
            if k not in sub.defaults:
                raise self.err(f"subcircuit {sub.name!r} has no parameter {k!r}", ln)
        given = {k: self.value(v, ln, env, funcs) for k, v in kv.items()}
        for k, v in sub.defaults.items():
            local[k] = given[k] if k in given else self.value(v, ln, local, funcs)
        inner = _Scope({}, {}, {}, parent=scope)
        body = self._definitions(sub.body, inner)
        ifuncs = inner.all_funcs()
        body_top: list[_Line] = []
        for bl in body:
            bh = bl.text.split()[0].lower()
            if bh in (".param", ".params"):
                self.read_params(bl, local, ifuncs)
            else:
                body_top.append(bl)
        for bl in body_top:
            if bl.text.split()[0].lower() == ".ic":
                self.read_ic(bl, f"{inst_path}.", newmap, local, ifuncs)
        for bl in body_top:
            self.statement(bl, f"{inst_path}.", newmap, local, inner, depth + 1)

    def resolve_controls(self) -> None:
        for el, ln in self.pending_ctrl:
            try:
                target = self.circuit.element(str(el.control))
            except ParameterError:
                raise self.err(f"unknown controlling source {el.control!r}", ln) from None
            if target.kind != "V":
                raise self.err(f"controlling element {el.control!r} is not a V source", ln)


def _merge_sorted(
    a: NDArray[np.uint64], pa: NDArray[np.intp] | None, b: NDArray[np.uint64], pb: Any
) -> tuple[NDArray[np.uint64], NDArray[np.intp] | None]:
    """Merge sorted keys ``b`` (values ``pb``) into sorted keys ``a`` (values ``pa``).

    Linear (each key of ``b`` goes after the equal keys of ``a``). Where values are given,
    entries of equal keys all take the largest value among them (rare: a hash met twice).
    """
    at = np.searchsorted(a, b, side="right") + np.arange(b.size)
    rest = np.ones(a.size + b.size, dtype=bool)
    rest[at] = False
    keys = np.empty(a.size + b.size, dtype=a.dtype)
    keys[at] = b
    keys[rest] = a
    if pa is None:
        return keys, None
    vals = np.empty(keys.size, dtype=pa.dtype)
    vals[at] = pb
    vals[rest] = pa
    same = np.flatnonzero(keys[1:] == keys[:-1]).tolist()
    for i in same:  # forward, then backward: every run of equal keys holds its maximum
        vals[i + 1] = max(vals[i], vals[i + 1])
    for i in reversed(same):
        vals[i] = max(vals[i], vals[i + 1])
    return keys, vals


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a netlist is parsed.

    Parsing allocates millions of small containers (elements, their graph edges) and no
    reference cycles; the collector's repeated scans of the growing heap cost two thirds of
    the parse time of a 128 x 128 crossbar netlist (0.97 s with it, 0.33 s without).
    Reference counting still frees everything; the collector's state is restored after.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def parse_netlist(
    text: str,
    source: str = "<netlist>",
    *,
    temperature: float | None = None,
    limits: _limits.NetlistLimits | None = None,
) -> ParsedNetlist:
    """Parse SPICE text into a :class:`ParsedNetlist` (circuit + analysis cards).

    The first line is the title, as in SPICE.

    Parameters
    ----------
    text : str
    source : str
        File name used in messages.
    temperature : float, optional
        Circuit temperature, degC, overriding the netlist's ``.temp``/``.options temp`` (a
        ``.dc TEMP`` sweep re-reads the netlist at each point, so that model values using
        ``temper`` follow it).
    limits : NetlistLimits, optional
        Resource caps (flattened element count, estimated memory, text, line and expression
        size); default :func:`~thermolearn.circuit.spice.limits.default_limits`.

    Raises
    ------
    NetlistError
        For anything malformed or unsupported, naming ``source`` and the line number, and for
        a netlist above a resource cap (checked before the work it bounds).
    """
    if not isinstance(text, str):
        raise NetlistError("netlist text must be a string", source=source)
    parser = _Parser(source, temperature)
    try:
        with _limits.active_limits(limits), _gc_paused():
            _limits.charge_text(len(text), source)
            return parser.run(text)
    except NetlistError:
        raise
    except (ParameterError, ExpressionError, ValueError, RecursionError) as exc:
        raise NetlistError(f"invalid netlist: {exc}", source=source) from None


def read_netlist(
    path: str | os.PathLike[str],
    *,
    temperature: float | None = None,
    limits: _limits.NetlistLimits | None = None,
) -> ParsedNetlist:
    """Read and parse a netlist file (``.include``/``.lib`` paths are relative to it).

    ``temperature`` and ``limits`` as for :func:`parse_netlist`; the file size is checked
    before it is read.
    """
    p = os.fspath(path)
    lim = limits if limits is not None else _limits.default_limits()
    with _limits.active_limits(lim):
        _limits.check_include_file(p, None, p)
    try:
        with open(p, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise NetlistError(f"cannot read netlist: {exc.strerror}", source=p) from None
    except UnicodeDecodeError as exc:
        raise NetlistError(
            f"not a text netlist: byte {exc.start} is not UTF-8 (a binary file?)", source=p
        ) from None
    return parse_netlist(text, source=p, temperature=temperature, limits=lim)


__all__ = ["ParsedNetlist", "parse_netlist", "read_netlist"]
