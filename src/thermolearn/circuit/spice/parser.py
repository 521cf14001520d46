"""Parse a useful SPICE subset into a :class:`~thermolearn.circuit.Circuit`.

The parser understands

* elements R, C, L, V, I, D, E, F, G, H, B (``I=``/``V=`` expressions of node voltages) and
  X (subcircuits, flattened; internal nodes are named ``<instance>.<node>`` as in ngspice);
* cards ``.model`` (D), ``.subckt``/``.ends`` (with ``params:``), ``.param``, ``.include``
  (relative to the including file), ``.op``, ``.tran``, ``.options`` (recorded), ``.end``;
  output cards ``.save``/``.print``/``.plot``/``.probe`` are accepted and ignored;
* continuation lines (``+``), ``*`` comment lines, ``;`` and `` $ `` inline comments,
  SI suffixes (f p n u m k meg g t, mil), ``{expression}`` values;
* source specs DC, PULSE, PWL and SIN.

Anything else raises :class:`~thermolearn.errors.NetlistError` naming the file and line.

References
----------
.. [1] H. Vogt et al., *Ngspice User's Manual*, version 39: chapters 2 (circuit description),
   3 (elements), 4 (sources) and 5 (B sources).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from typing import Any

from thermolearn.circuit.circuit import Circuit, Element, is_ground
from thermolearn.circuit.spice import limits as _limits
from thermolearn.circuit.spice.expressions import ExpressionError, compile_expression
from thermolearn.circuit.spice.numbers import parse_number
from thermolearn.circuit.waveforms import PWL, Pulse, Sine
from thermolearn.devices.passive import DiodeParams
from thermolearn.errors import NetlistError, ParameterError


# ---------------------------------------------------------------------------------------
# import
# ---------------------------------------------------------------------------------------
@dataclass
class ParsedNetlist:
    """Result of :func:`parse_netlist`.

    Attributes
    ----------
    circuit : Circuit
        The flattened circuit.
    analyses : list of tuple
        ``("op",)`` and ``("tran", tstep, tstop, uic)`` cards in order.
    options : dict of str to str
        ``.options`` settings (recorded, not interpreted).
    """

    circuit: Circuit
    analyses: list[tuple[Any, ...]] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)

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


_MAX_INCLUDE_DEPTH = 10


def _logical_lines(text: str, source: str, depth: int = 0) -> list[_Line]:
    """Join continuation lines, drop comments, expand .include; keep line numbers."""
    out: list[_Line] = []
    raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for no, line in enumerate(raw, start=1):
        s = line
        for mark in (";", " $", "\t$"):
            pos = s.find(mark)
            if pos >= 0:
                s = s[:pos]
        s = s.strip()
        if not s or s.startswith("*"):
            continue
        if s.startswith("+"):
            if not out:
                raise NetlistError(
                    "continuation line '+' with nothing to continue", line=no, source=source
                )
            out[-1].text += " " + s[1:].strip()
            continue
        if s.lower().startswith(".include") or s.lower().startswith(".inc "):
            parts = s.split(None, 1)
            if len(parts) != 2:
                raise NetlistError(".include needs a file name", line=no, source=source)
            fname = parts[1].strip().strip("'\"")
            base = os.path.dirname(source) if source and not source.startswith("<") else "."
            path = fname if os.path.isabs(fname) else os.path.join(base, fname)
            if depth >= _MAX_INCLUDE_DEPTH:
                raise NetlistError(".include nested too deeply", line=no, source=source)
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
                    line=no, source=source,
                ) from None
            _limits.charge_text(len(inc), path)
            out.extend(_logical_lines(inc, path, depth + 1))
            continue
        out.append(_Line(s, no, source))
    for ln in out:
        _limits.check_line(ln.text, ln.line, ln.source)
    return out


_TOKEN_RE = re.compile(r"\s*(\{[^{}]*\}|'[^']*'|[^\s(),=]+\([^()]*\)|[^\s,=]+|=)\s*,?")


def _tokens(text: str, ln: _Line) -> list[str]:
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
        if i + 2 < len(toks) + 1 and i + 1 < len(toks) and toks[i + 1] == "=":
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


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.params: dict[str, float] = {}
        self.subckts: dict[str, _Subckt] = {}
        self.models: dict[str, tuple[str, dict[str, float]]] = {}
        self.circuit = Circuit()
        self.analyses: list[tuple[Any, ...]] = []
        self.options: dict[str, str] = {}
        self.node_case: dict[str, str] = {}
        self.pending_ctrl: list[tuple[Element, _Line]] = []

    def err(self, msg: str, ln: _Line) -> NetlistError:
        return NetlistError(msg, line=ln.line, source=ln.source)

    # -- values ----------------------------------------------------------------------
    def value(self, tok: str, ln: _Line, env: dict[str, float]) -> float:
        try:
            return parse_number(tok)
        except ValueError:
            pass
        try:
            expr = compile_expression(tok, env)
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
        full = f"{prefix}{name}" if prefix else name
        key = full.lower()
        if key not in self.node_case:
            self.node_case[key] = full
        return self.node_case[key]

    # -- top level -------------------------------------------------------------------
    def run(self, text: str) -> ParsedNetlist:
        raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        title = raw_lines[0].strip() if raw_lines else ""
        body_text = "\n".join([""] + raw_lines[1:])  # keep numbering: title is line 1
        lines = _logical_lines(body_text, self.source)
        if title.startswith("*"):
            title = title.lstrip("*").strip()
        self.circuit.title = title or "netlist"
        top: list[_Line] = []
        i = 0
        ended = False
        while i < len(lines):
            ln = lines[i]
            low = ln.text.lower()
            head = low.split()[0]
            if ended:
                break
            if head == ".subckt":
                i = self.read_subckt(lines, i)
                continue
            if head == ".ends":
                raise self.err(".ends without .subckt", ln)
            if head == ".param":
                self.read_params(ln, self.params)
            elif head == ".model":
                self.read_model(ln)
            elif head == ".end":
                ended = True
            else:
                top.append(ln)
            i += 1
        # count the flattened circuit before instantiating anything (fan-out bombs)
        _limits.check_flattened_size(
            [(ln.text, ln.line) for ln in top],
            {n: [b.text for b in s.body] for n, s in self.subckts.items()},
            _limits.current_limits(),
            self.source,
        )
        for ln in top:
            self.statement(ln, "", {}, self.params, depth=0)
        self.resolve_controls()
        return ParsedNetlist(self.circuit, self.analyses, self.options)

    def read_subckt(self, lines: list[_Line], i: int) -> int:
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
            if t.lower() == "params:":
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
            body.append(lines[k])
            k += 1
        else:
            raise self.err(f".subckt {name} has no .ends", ln)
        if name in self.subckts:
            raise self.err(f"subcircuit {name!r} defined twice", ln)
        self.subckts[name] = _Subckt(name, ports, defaults, body, ln.line, ln.source)
        return k + 1

    def read_params(self, ln: _Line, env: dict[str, float]) -> None:
        toks = _tokens(ln.text, ln)[1:]
        pos, kv = _split_assignments(toks, ln)
        if pos or not kv:
            raise self.err(".param needs name=value assignments", ln)
        for k, v in kv.items():
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", k):
                raise self.err(f"bad parameter name {k!r}", ln)
            env[k] = self.value(v, ln, env)

    def read_model(self, ln: _Line) -> None:
        m = re.match(r"\.model\s+(\S+)\s+([A-Za-z]+)\s*(?:\((.*)\)|(.*))$", ln.text, re.I | re.S)
        if not m:
            raise self.err("malformed .model card", ln)
        name, mtype = m.group(1).lower(), m.group(2).lower()
        body = (m.group(3) if m.group(3) is not None else m.group(4) or "").strip()
        toks = _tokens(body, ln) if body else []
        pos, kv = _split_assignments(toks, ln)
        if pos:
            raise self.err(f"malformed .model parameters {pos!r}", ln)
        vals = {k: self.value(v, ln, self.params) for k, v in kv.items()}
        self.models[name] = (mtype, vals)

    # -- statements ------------------------------------------------------------------
    def statement(
        self, ln: _Line, prefix: str, nodemap: dict[str, str], env: dict[str, float], depth: int
    ) -> None:
        text = ln.text
        head = text.split()[0].lower()
        if head.startswith("."):
            self.dot_card(ln, head, prefix)
            return
        letter = head[0]
        handler = getattr(self, f"el_{letter}", None)
        if handler is None and letter not in "efgh":
            raise self.err(f"unsupported element {text.split()[0]!r}", ln)
        toks = _tokens(text, ln)
        name = toks[0] if not prefix else f"{toks[0]}.{prefix[:-1]}"
        try:
            if handler is None:  # E, F, G, H: the four controlled sources
                self._controlled(letter, ln, name, toks[1:], prefix, nodemap, env)
            else:
                handler(ln, name, toks[1:], prefix, nodemap, env, depth)
        except ParameterError as exc:
            raise self.err(str(exc), ln) from None

    def dot_card(self, ln: _Line, head: str, prefix: str) -> None:
        toks = _tokens(ln.text, ln)
        if prefix and head not in (".param", ".model"):
            raise self.err(f"{head} is not allowed inside a subcircuit", ln)
        if head == ".op":
            self.analyses.append(("op",))
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
            self.analyses.append(("tran", tstep, tstop, uic))
        elif head in (".options", ".option", ".opt"):
            _pos, kv = _split_assignments(toks[1:], ln)
            self.options.update(kv)
        elif head in (".save", ".print", ".plot", ".probe", ".title"):
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
            if not re.fullmatch(r"[^\s(){}=,'\"]+", t):
                raise self.err(f"bad node name {t!r}", ln)
            out.append(self.node(t, prefix, nodemap))
        return out

    def _one_value(self, rest: list[str], ln: _Line, env: dict[str, float], what: str) -> float:
        pos, kv = _split_assignments(rest, ln)
        if kv and list(kv) != [what]:
            raise self.err(f"unsupported parameters {sorted(kv)}", ln)
        if kv:
            pos = pos + [kv[what]]
        if len(pos) != 1:
            raise self.err(f"expected one {what} value, got {pos!r}", ln)
        return self.value(pos[0], ln, env)

    def el_r(
        self,
        ln: _Line,
        name: str,
        toks: list[str],
        prefix: str,
        nodemap: dict[str, str],
        env: dict[str, float],
        depth: int,
    ) -> None:
        a, b = self._nodes(toks, 2, ln, prefix, nodemap)
        r = self._one_value(toks[2:], ln, env, "r")
        self.circuit.add_resistor(name, a, b, r)

    def el_c(
        self,
        ln: _Line,
        name: str,
        toks: list[str],
        prefix: str,
        nodemap: dict[str, str],
        env: dict[str, float],
        depth: int,
    ) -> None:
        a, b = self._nodes(toks, 2, ln, prefix, nodemap)
        pos, kv = _split_assignments(toks[2:], ln)
        if len(pos) != 1 or set(kv) - {"ic"}:
            raise self.err("capacitor needs: C n1 n2 value [IC=v]", ln)
        ic = self.value(kv["ic"], ln, env) if "ic" in kv else None
        self.circuit.add_capacitor(name, a, b, self.value(pos[0], ln, env), ic=ic)

    def el_l(
        self,
        ln: _Line,
        name: str,
        toks: list[str],
        prefix: str,
        nodemap: dict[str, str],
        env: dict[str, float],
        depth: int,
    ) -> None:
        a, b = self._nodes(toks, 2, ln, prefix, nodemap)
        self.circuit.add_inductor(name, a, b, self._one_value(toks[2:], ln, env, "l"))

    def _source_spec(
        self, rest: list[str], ln: _Line, env: dict[str, float]
    ) -> tuple[float | None, Pulse | PWL | Sine | None]:
        dc: float | None = None
        wf: Pulse | PWL | Sine | None = None
        i = 0
        while i < len(rest):
            t = rest[i]
            low = t.lower()
            if low == "dc":
                if i + 1 >= len(rest):
                    raise self.err("DC needs a value", ln)
                dc = self.value(rest[i + 1], ln, env)
                i += 2
                continue
            fm = re.fullmatch(r"([A-Za-z]+)\((.*)\)", t, re.S)
            if fm and fm.group(1).lower() in ("pulse", "pwl", "sin"):
                if wf is not None:
                    raise self.err("more than one waveform", ln)
                args = [a for a in re.split(r"[\s,]+", fm.group(2).strip()) if a]
                vals = [self.value(a, ln, env) for a in args]
                wf = self._waveform(fm.group(1).lower(), vals, ln)
                i += 1
                continue
            if low in ("ac",):
                raise self.err("AC specifications are not supported", ln)
            if dc is None and wf is None:
                dc = self.value(t, ln, env)
                i += 1
                continue
            raise self.err(f"unexpected token {t!r} in source", ln)
        return dc, wf

    def _waveform(self, kind: str, v: list[float], ln: _Line) -> Pulse | PWL | Sine:
        try:
            if kind == "pulse":
                if not 2 <= len(v) <= 7:
                    raise self.err("PULSE takes 2 to 7 values", ln)
                full = v + [0.0] * (6 - len(v)) if len(v) < 6 else v
                pw = full[5] if len(v) >= 6 else 1e30
                per = full[6] if len(full) >= 7 else None
                return Pulse(
                    v1=full[0], v2=full[1], td=full[2], tr=full[3], tf=full[4], pw=pw, per=per
                )
            if kind == "pwl":
                if len(v) < 2 or len(v) % 2:
                    raise self.err("PWL needs time/value pairs", ln)
                return PWL(times=tuple(v[0::2]), values=tuple(v[1::2]))
            if not 2 <= len(v) <= 5:
                raise self.err("SIN takes 2 to 5 values", ln)
            full = v + [0.0] * (5 - len(v))
            if len(v) < 3:
                raise self.err("SIN needs a frequency here (no default from .tran)", ln)
            return Sine(vo=full[0], va=full[1], freq=full[2], td=full[3], theta=full[4])
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
    ) -> None:
        a, b = self._nodes(toks, 2, ln, prefix, nodemap)
        dc, wf = self._source_spec(toks[2:], ln, env)
        c = self.circuit
        if dc is None:
            c.add_vsource(name, a, b, waveform=wf)
        else:
            c.add_source("V", name, a, b, dc, wf)

    def el_i(
        self,
        ln: _Line,
        name: str,
        toks: list[str],
        prefix: str,
        nodemap: dict[str, str],
        env: dict[str, float],
        depth: int,
    ) -> None:
        a, b = self._nodes(toks, 2, ln, prefix, nodemap)
        dc, wf = self._source_spec(toks[2:], ln, env)
        if dc is None:
            self.circuit.add_isource(name, a, b, waveform=wf)
        else:
            self.circuit.add_source("I", name, a, b, dc, wf)

    def el_d(
        self,
        ln: _Line,
        name: str,
        toks: list[str],
        prefix: str,
        nodemap: dict[str, str],
        env: dict[str, float],
        depth: int,
    ) -> None:
        a, b = self._nodes(toks, 2, ln, prefix, nodemap)
        pos, kv = _split_assignments(toks[2:], ln)
        if len(pos) != 1:
            raise self.err("diode needs: D anode cathode model", ln)
        mname = pos[0].lower()
        if mname not in self.models:
            raise self.err(f"unknown diode model {pos[0]!r}", ln)
        mtype, mp = self.models[mname]
        if mtype != "d":
            raise self.err(f"model {pos[0]!r} is a {mtype!r} model, not a diode", ln)
        unsupported = set(mp) - {"is", "n", "rs", "tnom"}
        if unsupported:
            raise self.err(f"unsupported diode model parameters {sorted(unsupported)}", ln)
        temp_c = mp.get("tnom", 26.85)
        if set(kv) - {"temp"}:
            raise self.err(f"unsupported diode instance parameters {sorted(kv)}", ln)
        if "temp" in kv:
            temp_c = self.value(kv["temp"], ln, env)
        params = DiodeParams(
            i_s=mp.get("is", 1e-14),
            n=mp.get("n", 1.0),
            r_s=mp.get("rs", 0.0),
            temperature=round(temp_c + 273.15, 9),
        )
        self.circuit.add_diode(name, a, b, params)

    def _controlled(
        self,
        kind: str,
        ln: _Line,
        name: str,
        toks: list[str],
        prefix: str,
        nodemap: dict[str, str],
        env: dict[str, float],
    ) -> None:
        c = self.circuit
        if kind in "eg":
            a, b, cp, cn = self._nodes(toks, 4, ln, prefix, nodemap)
            val = self._one_value(toks[4:], ln, env, "gain" if kind == "e" else "gm")
            (c.add_vcvs if kind == "e" else c.add_vccs)(name, a, b, cp, cn, val)
        else:
            a, b = self._nodes(toks, 2, ln, prefix, nodemap)
            if len(toks) < 3:
                raise self.err("missing controlling source", ln)
            ctrl = toks[2] if not prefix else f"{toks[2]}.{prefix[:-1]}"
            val = self._one_value(toks[3:], ln, env, "gain" if kind == "f" else "r")
            el = (c.add_cccs if kind == "f" else c.add_ccvs)(name, a, b, ctrl, val)
            self.pending_ctrl.append((el, ln))

    def el_b(
        self,
        ln: _Line,
        name: str,
        toks: list[str],
        prefix: str,
        nodemap: dict[str, str],
        env: dict[str, float],
        depth: int,
    ) -> None:
        a, b = self._nodes(toks, 2, ln, prefix, nodemap)
        m = re.match(r"^\s*\S+\s+\S+\s+\S+\s+([IiVv])\s*=\s*(.+)$", ln.text, re.S)
        if not m:
            raise self.err("B source needs: B n+ n- I=expr or V=expr", ln)
        try:
            expr = compile_expression(m.group(2), env)
        except ExpressionError as exc:
            raise self.err(f"B source: {exc}", ln) from None
        for nd_a, nd_b in expr.vrefs:
            for nd in (nd_a, nd_b):
                if nd is not None:
                    self.node(nd, prefix, nodemap)
        text = expr.render(lambda s: self.node(s, prefix, nodemap))
        self.circuit.add_bsource(name, a, b, text, mode=m.group(1).lower())

    def el_x(
        self,
        ln: _Line,
        name: str,
        toks: list[str],
        prefix: str,
        nodemap: dict[str, str],
        env: dict[str, float],
        depth: int,
    ) -> None:
        if depth > 20:
            raise self.err("subcircuits nested too deeply (recursive definition?)", ln)
        pos, kv = _split_assignments([t for t in toks if t.lower() != "params:"], ln)
        if not pos:
            raise self.err("X line needs nodes and a subcircuit name", ln)
        sub_name = pos[-1].lower()
        if sub_name not in self.subckts:
            raise self.err(f"unknown subcircuit {pos[-1]!r}", ln)
        sub = self.subckts[sub_name]
        nodes = pos[:-1]
        if len(nodes) != len(sub.ports):
            raise self.err(
                f"subcircuit {sub.name!r} has {len(sub.ports)} ports; got {len(nodes)} nodes", ln
            )
        outer = [self.node(nd, prefix, nodemap) for nd in nodes]
        inst_path = f"{prefix}{name.split('.')[0]}" if prefix else name
        newmap = {p.lower(): o for p, o in zip(sub.ports, outer, strict=True)}
        local = dict(self.params)
        for k, v in sub.defaults.items():
            local[k] = self.value(v, ln, local)
        for k, v in kv.items():
            if k not in sub.defaults:
                raise self.err(f"subcircuit {sub.name!r} has no parameter {k!r}", ln)
            local[k] = self.value(v, ln, env)
        body_top: list[_Line] = []
        for bl in sub.body:
            bh = bl.text.split()[0].lower()
            if bh == ".param":
                self.read_params(bl, local)
            elif bh == ".model":
                self.read_model(bl)
            elif bh in (".subckt", ".ends"):
                raise self.err("nested .subckt definitions are not supported", bl)
            else:
                body_top.append(bl)
        for bl in body_top:
            self.statement(bl, f"{inst_path}.", newmap, local, depth + 1)

    def resolve_controls(self) -> None:
        for el, ln in self.pending_ctrl:
            try:
                target = self.circuit.element(str(el.control))
            except ParameterError:
                raise self.err(f"unknown controlling source {el.control!r}", ln) from None
            if target.kind != "V":
                raise self.err(f"controlling element {el.control!r} is not a V source", ln)


def parse_netlist(
    text: str, source: str = "<netlist>", *, limits: _limits.NetlistLimits | None = None
) -> ParsedNetlist:
    """Parse SPICE text into a :class:`ParsedNetlist` (circuit + analysis cards).

    The first line is the title, as in SPICE.

    Parameters
    ----------
    text : str
    source : str
        File name used in messages.
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
    parser = _Parser(source)
    try:
        with _limits.active_limits(limits):
            _limits.charge_text(len(text), source)
            return parser.run(text)
    except NetlistError:
        raise
    except (ParameterError, ExpressionError, ValueError, RecursionError) as exc:
        raise NetlistError(f"invalid netlist: {exc}", source=source) from None


def read_netlist(
    path: str | os.PathLike[str], *, limits: _limits.NetlistLimits | None = None
) -> ParsedNetlist:
    """Read and parse a netlist file (``.include`` paths are relative to it).

    ``limits`` as for :func:`parse_netlist`; the file size is checked before it is read.
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
    return parse_netlist(text, source=p, limits=lim)


__all__ = ["ParsedNetlist", "parse_netlist", "read_netlist"]
