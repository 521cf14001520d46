"""The SPICE expression language of B sources and ``{...}`` values.

``V(a)``, ``V(a,b)``, numbers with SI suffixes, parameters, + - * / ^, comparisons, the ternary
``c ? a : b`` and the usual functions (exp, log, sqrt, sin, cos, tan, sinh, cosh, tanh, atan,
abs, min, max, pow, pwr, u, uramp ...). Compiled once to a Python AST; evaluated on node
voltages by both engines, and rendered back to canonical ngspice text by the exporter.

References
----------
.. [1] H. Vogt et al., *Ngspice User's Manual*, version 39, chapter 5 (B sources).
"""

from __future__ import annotations

import ast
import copy
import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.circuit.nodes import is_ground
from thermolearn.circuit.spice.limits import check_expression, current_limits
from thermolearn.circuit.spice.numbers import parse_number


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
    "min": lambda *a: functools.reduce(np.minimum, a),
    "max": lambda *a: functools.reduce(np.maximum, a),
    "pow": np.power,
    "pwr": lambda x, y: np.sign(x) * np.power(np.abs(x), y),
    "sgn": np.sign,
    "u": _u,
    "stp": _u,
    "uramp": lambda x: np.maximum(x, 0.0),
    "u2": lambda x: np.clip(x, 0.0, 1.0),
    "nint": np.rint,
    "int": np.trunc,
    "sqr": np.square,
    "atan2": np.arctan2,
    "hypot": np.hypot,
    "if": lambda c, a, b: np.where(np.asarray(c) != 0, a, b),
    "ternary_fcn": lambda c, a, b: np.where(np.asarray(c) != 0, a, b),
    "limit": lambda x, a, b: np.clip(x, np.minimum(a, b), np.maximum(a, b)),
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
_ARITY = {
    "min": 2,
    "max": 2,
    "pow": 2,
    "pwr": 2,
    "atan2": 2,
    "hypot": 2,
    "if": 3,
    "ternary_fcn": 3,
    "limit": 3,
} | {k: 2 for k in ("_lt", "_gt", "_le", "_ge", "_eq", "_ne", "_and", "_or")}
_CONSTS = {"pi": math.pi}
#: prefix of a branch-current reference ``i(vname)``, carried as a pseudo-node
CURRENT_REF = "#i:"
_IREF_RE = re.compile(r"(?<![A-Za-z0-9_.])[iI]\s*\(\s*([^,()\s]+)\s*\)")
_VREF_RE = re.compile(r"(?<![A-Za-z0-9_.])[vV]\s*\(\s*([^,()\s]+)\s*(?:,\s*([^,()\s]+)\s*)?\)")
_NUMTOK_RE = re.compile(
    r"(?<![A-Za-z0-9_.])((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)([A-Za-z][A-Za-z0-9_]*)?"
)


@dataclass(frozen=True)
class UserFunction:
    """A ``.func NAME(ARGS) = {BODY}`` definition, expanded inline where it is called.

    Inside the body, ``V(x)`` always names node ``x`` (ngspice: an argument called ``p`` does
    not replace the ``p`` of ``V(p)``).
    """

    name: str
    args: tuple[str, ...]
    body: str


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
        """Referenced nodes other than ground (branch currents ``i(v)`` as ``#i:v``)."""
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

    def values(self, volts: dict[str, Any]) -> NDArray[np.float64]:
        """Evaluate on arrays of node voltages (a waveform per node), elementwise."""
        with np.errstate(all="ignore"):
            out = eval(self._code, {"__builtins__": {}}, self._env(volts))  # noqa: S307
        n = max((np.size(v) for v in volts.values()), default=1)
        return np.broadcast_to(np.asarray(out, dtype=float), (n,)).copy()

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


def _preprocess(src: str, vrefs: list[tuple[str, str | None]], text: str) -> str:
    """Replace ``V(a[,b])`` by ``__vK`` (appending to ``vrefs``) and SPICE numbers by floats."""

    def vsub(m: re.Match[str]) -> str:
        vrefs.append((m.group(1), m.group(2)))
        return f" __v{len(vrefs) - 1} "

    body = _VREF_RE.sub(vsub, src)

    def isub(m: re.Match[str]) -> str:
        name = m.group(1)
        vrefs.append((name if name.startswith(CURRENT_REF) else CURRENT_REF + name, None))
        return f" __v{len(vrefs) - 1} "

    body = _IREF_RE.sub(isub, body)

    def nsub(m: re.Match[str]) -> str:
        tok = m.group(1) + (m.group(2) or "")
        try:
            return repr(parse_number(tok))
        except ValueError as exc:
            raise ExpressionError(str(exc)) from None

    body = _NUMTOK_RE.sub(nsub, body)
    if re.search(r"[;\\`@\[\]{}'\"]|__(?!v\d)", body):
        raise ExpressionError(f"unsupported characters in expression {text!r}")
    return body


def _strip_quotes(src: str) -> str:
    src = src.strip()
    if len(src) >= 2 and src[0] + src[-1] in ("{}", "''", '""'):
        src = src[1:-1].strip()
    return src


def compile_expression(
    text: str, params: dict[str, float], funcs: dict[str, UserFunction] | None = None
) -> Expression:
    """Compile a SPICE expression (``V(a,b)``, numbers with SI suffixes, ``^``, functions).

    ``funcs`` are ``.func`` definitions, expanded inline (so the compiled expression and its
    :meth:`Expression.render` need no function table).

    Raises
    ------
    ExpressionError
        If the expression uses anything outside the supported subset.
    """
    src = _strip_quotes(str(text))
    try:
        check_expression(src)
    except ValueError as exc:
        raise ExpressionError(str(exc)) from None
    # braces inside an expression ({f1(x)} in ngspice files) only group
    src = src.replace("{", "(").replace("}", ")")
    vrefs: list[tuple[str, str | None]] = []
    body = _preprocess(src, vrefs, str(text))
    low_params = {k.lower(): v for k, v in params.items()}
    try:
        parser = _ExprParser(body, str(text), funcs or {}, vrefs)
        tree = ast.Expression(body=parser.parse())
        _check(tree.body, len(vrefs), low_params)
        tree = _lower_names(tree)
        ast.fix_missing_locations(tree)
        return Expression(text=str(text).strip(), tree=tree, vrefs=vrefs, params=low_params)
    except RecursionError:
        raise ExpressionError(
            f"expression nested too deeply ({len(src):,} characters; chains of thousands of "
            "operators or unary signs cannot be compiled); split it with .param"
        ) from None


class _Subst(ast.NodeTransformer):
    """Replace argument names of a user function by the caller's argument trees."""

    def __init__(self, args: dict[str, ast.expr]) -> None:
        self.args = args

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id.lower() in self.args:
            return copy.deepcopy(self.args[node.id.lower()])
        return node


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

    def __init__(
        self,
        body: str,
        text: str,
        funcs: dict[str, UserFunction] | None = None,
        vrefs: list[tuple[str, str | None]] | None = None,
        depth: int = 0,
        expansions: list[int] | None = None,
    ) -> None:
        self.text = text
        # .func expansions so far in this expression, shared with the nested parsers
        self.expansions = expansions if expansions is not None else [0]
        self.funcs = funcs or {}
        self.vrefs = vrefs if vrefs is not None else []
        self.depth = depth
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
                fdef = self.funcs.get(val.lower())
                if fdef is not None:
                    return self._expand(fdef, args)
                return self._call(val, *args)
            return ast.Name(id=val, ctx=ast.Load())
        if val == "(":
            node = self.ternary()
            self.take(")")
            return node
        raise ExpressionError(f"unexpected {val!r} in expression {self.text!r}")

    def _expand(self, fdef: UserFunction, args: list[ast.expr]) -> ast.expr:
        if len(args) != len(fdef.args):
            raise ExpressionError(
                f"function {fdef.name!r} takes {len(fdef.args)} argument(s); got {len(args)}"
            )
        if self.depth > 20:
            raise ExpressionError(f"function {fdef.name!r} calls itself (too deep)")
        src = _strip_quotes(fdef.body).replace("{", "(").replace("}", ")")
        body = _preprocess(src, self.vrefs, fdef.body)
        # nested functions that call others twice (f_k = f_{k-1} + f_{k-1}) grow as 2^k: cap
        # the number of expansions (the work) and the size of every expanded subtree
        cap = current_limits().max_expression_chars
        self.expansions[0] += 1
        if self.expansions[0] > max(100, cap // 20):
            raise ExpressionError(
                f"expanding the .func calls of {self.text!r} needs more than "
                f"{max(100, cap // 20):,} expansions (function {fdef.name!r}; nested functions "
                "that call others twice grow exponentially); raise "
                "NetlistLimits(max_expression_chars=...) if it is meant"
            )
        sub = _ExprParser(
            body, fdef.body, self.funcs, self.vrefs, self.depth + 1, self.expansions
        ).parse()
        out = _Subst(dict(zip(fdef.args, args, strict=True))).visit(sub)
        if sum(1 for _ in ast.walk(out)) > cap:
            raise ExpressionError(
                f"expanding the .func calls of {self.text!r} produces more than {cap:,} terms "
                f"(function {fdef.name!r}; nested functions that call others twice grow "
                "exponentially); raise NetlistLimits(max_expression_chars=...) if it is meant"
            )
        return out  # type: ignore[no-any-return]


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
        if fn == "i":
            raise ExpressionError(
                "branch-current references i(...) are not supported in expressions"
            )
        if fn not in _FUNCS or node.keywords:
            raise ExpressionError(f"unsupported function {node.func.id!r}")
        want = _ARITY.get(fn, 1)
        if fn in ("min", "max"):  # ngspice: one argument or more
            if not node.args:
                raise ExpressionError(f"function {fn!r} takes at least 1 argument")
        elif len(node.args) != want:
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
            if a.startswith(CURRENT_REF):
                return f"i({nm(a)[len(CURRENT_REF) :]})"
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
        # LTspice-compatibility names rendered in forms every ngspice expression accepts
        if node.func.id in ("if", "ternary_fcn"):
            return f"(({parts[0]})!=0?{parts[1]}:{parts[2]})"
        if node.func.id == "stp":
            return f"u({parts[0]})"
        if node.func.id == "sqr":
            return f"pow({parts[0]},2)"
        if node.func.id in ("min", "max") and len(parts) != 2:
            out = parts[0]
            for q in parts[1:]:
                out = f"{node.func.id}({out},{q})"
            return out if len(parts) > 1 else f"({out})"
        if node.func.id == "limit":
            lo, hi = f"min({parts[1]},{parts[2]})", f"max({parts[1]},{parts[2]})"
            return f"min(max({parts[0]},{lo}),{hi})"
        return f"{node.func.id}({','.join(parts)})"
    raise ExpressionError("cannot render expression")  # pragma: no cover


def _num(v: float) -> str:
    s = repr(float(v))
    return s if v >= 0 else f"({s})"


__all__ = ["CURRENT_REF", "Expression", "ExpressionError", "UserFunction", "compile_expression"]
