"""SPICE netlists: export a :class:`Circuit`, parse a useful SPICE subset into one.

Export writes a self-contained netlist: every subcircuit (memristor twins) and model card is
inlined, so the text runs in ngspice as is. Import understands

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

import ast
import math
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np

from thermolearn.crossbar.circuit import SPICE_LETTER, Circuit, Element, is_ground
from thermolearn.crossbar.waveforms import PWL, Pulse, Sine, spice_number
from thermolearn.errors import NetlistError, ParameterError

# ---------------------------------------------------------------------------------------
# numbers
# ---------------------------------------------------------------------------------------
_SUFFIX = {
    "t": 1e12,
    "g": 1e9,
    "meg": 1e6,
    "k": 1e3,
    "mil": 25.4e-6,
    "m": 1e-3,
    "u": 1e-6,
    "n": 1e-9,
    "p": 1e-12,
    "f": 1e-15,
    "a": 1e-18,
}
_NUM_RE = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)([A-Za-z]*)$")


def parse_number(token: str) -> float:
    """Parse a SPICE number with an optional SI suffix (``1k``, ``2.2u``, ``3meg``, ``5mil``).

    Letters after a recognised suffix (units such as ``1kOhm`` or ``5V``) are ignored, as in
    SPICE.

    Raises
    ------
    ValueError
        If ``token`` is not a number.
    """
    m = _NUM_RE.match(token.strip())
    if not m:
        raise ValueError(f"not a number: {token!r}")
    mant = m.group(1)
    suf = m.group(2).lower()
    try:
        dec = Decimal(mant)
    except InvalidOperation:
        raise ValueError(f"not a number: {token!r}") from None
    if suf.startswith("mil"):
        dec = dec * Decimal("25.4e-6")
    elif suf.startswith("meg"):
        dec = dec.scaleb(6)
    elif suf and suf[0] in _SUFFIX:
        dec = dec.scaleb(round(math.log10(_SUFFIX[suf[0]])))
    val = float(dec)
    if not math.isfinite(val):
        raise ValueError(f"number out of range: {token!r}")
    return val


# ---------------------------------------------------------------------------------------
# expressions
# ---------------------------------------------------------------------------------------
def _u(x: Any) -> Any:
    return np.where(np.asarray(x) > 0, 1.0, 0.0)


_FUNCS: dict[str, Callable[..., Any]] = {
    "abs": np.abs,
    "sqrt": np.sqrt,
    "exp": np.exp,
    "ln": np.log,
    "log": np.log,
    "log10": np.log10,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "asin": np.arcsin,
    "acos": np.arccos,
    "atan": np.arctan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "asinh": np.arcsinh,
    "acosh": np.arccosh,
    "atanh": np.arctanh,
    "floor": np.floor,
    "ceil": np.ceil,
    "min": np.minimum,
    "max": np.maximum,
    "pow": np.power,
    "pwr": lambda x, y: np.sign(x) * np.power(np.abs(x), y),
    "sgn": np.sign,
    "u": _u,
    "uramp": lambda x: np.maximum(x, 0.0),
    "_lt": lambda a, b: np.where(np.less(a, b), 1.0, 0.0),
    "_gt": lambda a, b: np.where(np.greater(a, b), 1.0, 0.0),
    "_le": lambda a, b: np.where(np.less_equal(a, b), 1.0, 0.0),
    "_ge": lambda a, b: np.where(np.greater_equal(a, b), 1.0, 0.0),
    "_eq": lambda a, b: np.where(np.equal(a, b), 1.0, 0.0),
    "_ne": lambda a, b: np.where(np.not_equal(a, b), 1.0, 0.0),
    "_and": lambda a, b: np.where(np.logical_and(a, b), 1.0, 0.0),
    "_or": lambda a, b: np.where(np.logical_or(a, b), 1.0, 0.0),
    "_not": lambda a: np.where(np.logical_not(a), 1.0, 0.0),
}
_ARITY = {"min": 2, "max": 2, "pow": 2, "pwr": 2} | {
    k: 2 for k in ("_lt", "_gt", "_le", "_ge", "_eq", "_ne", "_and", "_or")
}
_CONSTS = {"pi": math.pi}
_VREF_RE = re.compile(r"(?<![A-Za-z0-9_.])[vV]\s*\(\s*([^,()\s]+)\s*(?:,\s*([^,()\s]+)\s*)?\)")
_NUMTOK_RE = re.compile(r"(?<![A-Za-z0-9_.])((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)([A-Za-z]+)?")


class ExpressionError(ValueError):
    """An expression outside the supported subset."""


@dataclass
class Expression:
    """A compiled SPICE expression of node voltages and parameters.

    Attributes
    ----------
    text : str
        The source text.
    nodes : list of str
        Node names referenced through ``V(a)`` / ``V(a,b)``.
    """

    text: str
    tree: ast.Expression
    vrefs: list[tuple[str, str | None]]
    params: dict[str, float]
    nodes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._code = compile(self.tree, "<spice expression>", "eval")
        seen: list[str] = []
        for a, b in self.vrefs:
            for nd in (a, b):
                if nd is not None and nd not in seen:
                    seen.append(nd)
        self.nodes = seen

    def node_set(self) -> list[str]:
        """Referenced nodes other than ground."""
        return [n for n in self.nodes if not is_ground(n)]

    def _env(self, volts: dict[str, float]) -> dict[str, Any]:
        env: dict[str, Any] = dict(_FUNCS)
        env.update(_CONSTS)
        env.update(self.params)
        for k, (a, b) in enumerate(self.vrefs):
            va = 0.0 if is_ground(a) else volts[a]
            vb = 0.0 if b is None or is_ground(b) else volts[b]
            env[f"__v{k}"] = va - vb
        return env

    def value(self, volts: dict[str, float] | None = None) -> float:
        """Evaluate with node voltages ``volts`` (V)."""
        try:
            with np.errstate(all="ignore"):
                out = eval(self._code, {"__builtins__": {}}, self._env(volts or {}))  # noqa: S307
            return float(out)
        except (ZeroDivisionError, OverflowError, ValueError, TypeError):
            return float("nan")

    def value_and_grad(self, volts: dict[str, float]) -> tuple[float, dict[str, float]]:
        """Value and partial derivatives with respect to each referenced node voltage."""
        f0 = self.value(volts)
        grads: dict[str, float] = {}
        for nd in self.node_set():
            v = volts[nd]
            h = 1e-6 * max(1.0, abs(v))
            up = dict(volts)
            dn = dict(volts)
            up[nd] = v + h
            dn[nd] = v - h
            grads[nd] = (self.value(up) - self.value(dn)) / (2 * h)
        return f0, grads

    def render(self, node_map: Callable[[str], str] | None = None) -> str:
        """Canonical SPICE text: parameters substituted, node names mapped."""
        nm = node_map or (lambda s: s)
        return _render(self.tree.body, self.vrefs, self.params, nm)


def compile_expression(text: str, params: dict[str, float]) -> Expression:
    """Compile a SPICE expression (``V(a,b)``, numbers with SI suffixes, ``^``, functions).

    Raises
    ------
    ExpressionError
        If the expression uses anything outside the supported subset.
    """
    src = str(text).strip()
    if src.startswith("{") and src.endswith("}"):
        src = src[1:-1]
    if src.startswith("'") and src.endswith("'") and len(src) >= 2:
        src = src[1:-1]
    vrefs: list[tuple[str, str | None]] = []

    def vsub(m: re.Match[str]) -> str:
        vrefs.append((m.group(1), m.group(2)))
        return f" __v{len(vrefs) - 1} "

    body = _VREF_RE.sub(vsub, src)

    def nsub(m: re.Match[str]) -> str:
        tok = m.group(1) + (m.group(2) or "")
        try:
            return repr(parse_number(tok))
        except ValueError as exc:
            raise ExpressionError(str(exc)) from None

    body = _NUMTOK_RE.sub(nsub, body)
    if re.search(r"[;\\`@\[\]{}'\"]|__(?!v\d)", body):
        raise ExpressionError(f"unsupported characters in expression {text!r}")
    tree = ast.Expression(body=_ExprParser(body, str(text)).parse())
    low_params = {k.lower(): v for k, v in params.items()}
    _check(tree.body, len(vrefs), low_params)
    tree = _lower_names(tree)
    ast.fix_missing_locations(tree)
    return Expression(text=str(text).strip(), tree=tree, vrefs=vrefs, params=low_params)


_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
_EXPR_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*|<=|>=|==|!=|&&|\|\||[-+*/^<>!?:(),]))"
)
_CMP = {"<": "_lt", ">": "_gt", "<=": "_le", ">=": "_ge", "==": "_eq", "!=": "_ne"}
_CMP_SYMBOL = {v: k for k, v in _CMP.items()} | {"_and": "&&", "_or": "||"}


class _ExprParser:
    """Recursive-descent parser of SPICE B-source expressions into a Python AST.

    Precedence (low to high): ``c ? a : b``, ``||``, ``&&``, comparisons, ``+ -``,
    ``* /``, unary ``- + !``, ``^``/``**`` (right-associative), calls and parentheses.
    """

    def __init__(self, body: str, text: str) -> None:
        self.text = text
        self.toks: list[tuple[str, str]] = []
        pos = 0
        body = body.rstrip()
        while pos < len(body):
            m = _EXPR_TOKEN.match(body, pos)
            if not m or m.end() == pos:
                raise ExpressionError(f"unexpected character in expression {text!r}")
            kind = m.lastgroup or "op"
            self.toks.append((kind, m.group(kind)))
            pos = m.end()
        self.i = 0

    def peek(self) -> str | None:
        return self.toks[self.i][1] if self.i < len(self.toks) else None

    def take(self, want: str | None = None) -> tuple[str, str]:
        if self.i >= len(self.toks):
            raise ExpressionError(f"expression {self.text!r} ends too early")
        tok = self.toks[self.i]
        if want is not None and tok[1] != want:
            raise ExpressionError(f"expected {want!r} in expression {self.text!r}")
        self.i += 1
        return tok

    def parse(self) -> ast.expr:
        if not self.toks:
            return ast.Constant(0.0)
        node = self.ternary()
        if self.i != len(self.toks):
            raise ExpressionError(f"unexpected {self.toks[self.i][1]!r} in {self.text!r}")
        return node

    def ternary(self) -> ast.expr:
        cond = self.logic_or()
        if self.peek() == "?":
            self.take("?")
            a = self.ternary()
            self.take(":")
            b = self.ternary()
            return ast.IfExp(test=cond, body=a, orelse=b)
        return cond

    def _call(self, fn: str, *args: ast.expr) -> ast.expr:
        return ast.Call(func=ast.Name(id=fn, ctx=ast.Load()), args=list(args), keywords=[])

    def logic_or(self) -> ast.expr:
        node = self.logic_and()
        while self.peek() == "||":
            self.take()
            node = self._call("_or", node, self.logic_and())
        return node

    def logic_and(self) -> ast.expr:
        node = self.compare()
        while self.peek() == "&&":
            self.take()
            node = self._call("_and", node, self.compare())
        return node

    def compare(self) -> ast.expr:
        node = self.additive()
        op = self.peek()
        if op in _CMP:
            self.take()
            node = self._call(_CMP[op], node, self.additive())
        return node

    def additive(self) -> ast.expr:
        node = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()[1]
            right = self.term()
            node = ast.BinOp(left=node, op=ast.Add() if op == "+" else ast.Sub(), right=right)
        return node

    def term(self) -> ast.expr:
        node = self.unary()
        while self.peek() in ("*", "/"):
            op = self.take()[1]
            right = self.unary()
            node = ast.BinOp(left=node, op=ast.Mult() if op == "*" else ast.Div(), right=right)
        return node

    def unary(self) -> ast.expr:
        op = self.peek()
        if op == "-":
            self.take()
            return ast.UnaryOp(op=ast.USub(), operand=self.unary())
        if op == "+":
            self.take()
            return self.unary()
        if op == "!":
            self.take()
            return self._call("_not", self.unary())
        return self.power()

    def power(self) -> ast.expr:
        base = self.primary()
        if self.peek() in ("^", "**"):
            self.take()
            return ast.BinOp(left=base, op=ast.Pow(), right=self.unary())
        return base

    def primary(self) -> ast.expr:
        kind, val = self.take()
        if kind == "num":
            return ast.Constant(float(val))
        if kind == "name":
            if self.peek() == "(":
                self.take("(")
                args: list[ast.expr] = []
                if self.peek() != ")":
                    args.append(self.ternary())
                    while self.peek() == ",":
                        self.take(",")
                        args.append(self.ternary())
                self.take(")")
                return self._call(val, *args)
            return ast.Name(id=val, ctx=ast.Load())
        if val == "(":
            node = self.ternary()
            self.take(")")
            return node
        raise ExpressionError(f"unexpected {val!r} in expression {self.text!r}")


def _check(node: ast.AST, nv: int, params: dict[str, float]) -> None:
    if isinstance(node, ast.BinOp) and isinstance(node.op, _BINOPS):
        _check(node.left, nv, params)
        _check(node.right, nv, params)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        _check(node.operand, nv, params)
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        pass
    elif isinstance(node, ast.IfExp):
        _check(node.test, nv, params)
        _check(node.body, nv, params)
        _check(node.orelse, nv, params)
    elif isinstance(node, ast.Name):
        nm = node.id.lower()
        if re.fullmatch(r"__v\d+", nm):
            if int(nm[3:]) >= nv:
                raise ExpressionError(f"bad node reference {node.id!r}")
        elif nm not in params and nm not in _CONSTS:
            raise ExpressionError(f"unknown name {node.id!r} in expression")
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        fn = node.func.id.lower()
        if fn not in _FUNCS or node.keywords:
            raise ExpressionError(f"unsupported function {node.func.id!r}")
        want = _ARITY.get(fn, 1)
        if len(node.args) != want:
            raise ExpressionError(f"function {fn!r} takes {want} argument(s)")
        for a in node.args:
            _check(a, nv, params)
    else:
        raise ExpressionError(f"unsupported syntax {type(node).__name__} in expression")


def _lower_names(tree: ast.Expression) -> ast.Expression:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            node.id = node.id.lower()
    return tree


def _render(
    node: ast.AST,
    vrefs: list[tuple[str, str | None]],
    params: dict[str, float],
    nm: Callable[[str], str],
) -> str:
    if isinstance(node, ast.BinOp):
        left = _render(node.left, vrefs, params, nm)
        right = _render(node.right, vrefs, params, nm)
        if isinstance(node.op, ast.Pow):
            return f"pow({left},{right})"
        op = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}[type(node.op)]
        return f"({left}{op}{right})"
    if isinstance(node, ast.UnaryOp):
        inner = _render(node.operand, vrefs, params, nm)
        return f"(-{inner})" if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return _num(float(node.value))
    if isinstance(node, ast.Name):
        if node.id.startswith("__v"):
            a, b = vrefs[int(node.id[3:])]
            return f"V({nm(a)})" if b is None else f"V({nm(a)},{nm(b)})"
        if node.id in params:
            return _num(params[node.id])
        return node.id
    if isinstance(node, ast.IfExp):
        c = _render(node.test, vrefs, params, nm)
        a = _render(node.body, vrefs, params, nm)
        b = _render(node.orelse, vrefs, params, nm)
        return f"({c}?{a}:{b})"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        parts = [_render(a, vrefs, params, nm) for a in node.args]
        if node.func.id in _CMP_SYMBOL:
            return f"({parts[0]}{_CMP_SYMBOL[node.func.id]}{parts[1]})"
        if node.func.id == "_not":
            return f"(!{parts[0]})"
        return f"{node.func.id}({','.join(parts)})"
    raise ExpressionError("cannot render expression")  # pragma: no cover


def _num(v: float) -> str:
    s = repr(float(v))
    return s if v >= 0 else f"({s})"


# ---------------------------------------------------------------------------------------
# export
# ---------------------------------------------------------------------------------------
def spice_name(el: Element) -> str:
    """Return the element's netlist name (its SPICE letter prefixed when needed)."""
    letter = SPICE_LETTER[el.kind]
    if el.kind == "M":
        return "X" + el.name
    return el.name if el.name[:1].upper() == letter else letter + el.name


def _diode_card(params: Any, name: str) -> str:
    from thermolearn.devices import Diode

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


def _state_node(lib: str) -> str | None:
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
    """Self-contained SPICE netlist of ``circuit`` (see :meth:`Circuit.to_netlist`)."""
    circuit.validate()
    cards = [analysis] if isinstance(analysis, str) else list(analysis or [])
    transient = any(c.strip().lower().startswith(".tran") for c in cards)
    names: dict[str, str] = {}
    for el in circuit.elements:
        sn = spice_name(el)
        if sn.lower() in names:
            raise NetlistError(
                f"elements {names[sn.lower()]!r} and {el.name!r} both export as {sn!r}."
            )
        names[sn.lower()] = el.name
    lower_nodes: dict[str, str] = {}
    for nd in circuit.nodes:
        if nd.lower() in lower_nodes and lower_nodes[nd.lower()] != nd:
            raise NetlistError(
                f"nodes {lower_nodes[nd.lower()]!r} and {nd!r} differ only in case; SPICE "
                "treats them as one node."
            )
        lower_nodes[nd.lower()] = nd

    lines = [circuit.title, "* exported by thermolearn"]
    models: dict[Any, str] = {}
    libs: dict[str, str] = {}
    for el in circuit.elements:
        sn = spice_name(el)
        p, n = el.p, el.n
        k = el.kind
        if k in "RS":
            lines.append(f"{sn} {p} {n} {spice_number(el.value)}")
        elif k == "C":
            ic = "" if el.ic is None else f" IC={spice_number(el.ic)}"
            lines.append(f"{sn} {p} {n} {spice_number(el.value)}{ic}")
        elif k == "L":
            lines.append(f"{sn} {p} {n} {spice_number(el.value)}")
        elif k in "VI":
            wf = "" if el.waveform is None else " " + el.waveform.spice()
            lines.append(f"{sn} {p} {n} DC {spice_number(el.value)}{wf}")
        elif k == "D":
            if el.model not in models:
                models[el.model] = f"dmod{len(models) + 1}"
            temp = _celsius(el.model.temperature)
            lines.append(f"{sn} {p} {n} {models[el.model]} temp={temp}")
        elif k in "EG":
            cp, cn = el.nodes[2], el.nodes[3]
            lines.append(f"{sn} {p} {n} {cp} {cn} {spice_number(el.value)}")
        elif k in "FH":
            ctrl = spice_name(circuit.element(str(el.control)))
            lines.append(f"{sn} {p} {n} {ctrl} {spice_number(el.value)}")
        elif k == "Y":
            expr = compile_expression(el.model.spice_expression(f"V({p},{n})"), {})
            lines.append(f"{sn} {p} {n} I={expr.render()}")
        elif k == "B":
            expr = compile_expression(el.expr or "0", {})
            lines.append(f"{sn} {p} {n} {el.mode.upper() if el.mode else 'I'}={expr.render()}")
        elif k == "M":
            lines.extend(_memristor_lines(el, transient, libs))
        else:  # pragma: no cover - every kind is handled above
            raise NetlistError(f"cannot export element kind {k!r}")
    for params, mname in models.items():
        lines.append(_diode_card(params, mname))
    for text in libs.values():
        lines.extend(ln for ln in text.strip().splitlines() if ln.strip())
    if options:
        lines.append(options)
    lines.extend(c.strip() for c in cards)
    lines.append(".end")
    return "\n".join(lines) + "\n"


def _memristor_lines(el: Element, transient: bool, libs: dict[str, str]) -> list[str]:
    from thermolearn.crossbar.mna import _is_linear_iv

    model = el.model
    x0 = float(el.x0 if el.x0 is not None else 0.0)
    lib = model.spice_library() or ""
    if not transient and _is_linear_iv(
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
            try:
                with open(path, encoding="utf-8") as fh:
                    inc = fh.read()
            except OSError as exc:
                raise NetlistError(
                    f"cannot read included file {path!r}: {exc.strerror}", line=no, source=source
                ) from None
            out.extend(_logical_lines(inc, path, depth + 1))
            continue
        out.append(_Line(s, no, source))
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
            c._source("V", name, a, b, dc, wf)

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
            self.circuit._source("I", name, a, b, dc, wf)

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
        from thermolearn.devices import DiodeParams

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


def parse_netlist(text: str, source: str = "<netlist>") -> ParsedNetlist:
    """Parse SPICE text into a :class:`ParsedNetlist` (circuit + analysis cards).

    The first line is the title, as in SPICE.

    Raises
    ------
    NetlistError
        For anything malformed or unsupported, naming ``source`` and the line number.
    """
    if not isinstance(text, str):
        raise NetlistError("netlist text must be a string", source=source)
    parser = _Parser(source)
    try:
        return parser.run(text)
    except NetlistError:
        raise
    except (ParameterError, ExpressionError, ValueError, RecursionError) as exc:
        raise NetlistError(f"invalid netlist: {exc}", source=source) from None


def read_netlist(path: str | os.PathLike[str]) -> ParsedNetlist:
    """Read and parse a netlist file (``.include`` paths are relative to it)."""
    p = os.fspath(path)
    try:
        with open(p, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise NetlistError(f"cannot read netlist: {exc.strerror}", source=p) from None
    return parse_netlist(text, source=p)


__all__ = [
    "parse_number",
    "compile_expression",
    "Expression",
    "ExpressionError",
    "export_netlist",
    "parse_netlist",
    "read_netlist",
    "ParsedNetlist",
    "spice_name",
]
