"""Resource limits for netlists: no input file can exhaust the machine.

A netlist of a few dozen lines can describe an enormous circuit: nested subcircuits that fan
out ten-fold per level flatten to 10^9 elements after 9 levels. :func:`check_flattened_size`
counts the flattened elements *before anything is instantiated* -- multiplicatively through
the subcircuit hierarchy, with exact Python integers, in time proportional to the number of
lines -- and refuses a netlist whose element count or estimated memory is above the caps of
:class:`NetlistLimits`. The same object caps the input size, the length of one logical line,
and the size and nesting depth of one expression (:func:`check_expression`), so that every
hostile or mistaken input ends in a :class:`~thermolearn.errors.NetlistError` within seconds.

Caps are configurable three ways (the error message names them): ``parse_netlist(...,
limits=NetlistLimits(max_elements=...))``, the environment variables
``THERMOLEARN_MAX_ELEMENTS`` / ``THERMOLEARN_MAX_NETLIST_MEMORY`` (bytes, or with a ``K``,
``M``, ``G`` suffix), and ``thermolearn spice run --max-elements N``.

Memory estimate: :data:`BYTES_PER_ELEMENT` per flattened element, the peak Python heap per
element measured with ``tracemalloc`` while parsing a 100,000-resistor chain (Python 3.11,
numpy 2, columnar :class:`~thermolearn.circuit.Circuit`: 0.66 kB with plain ``R n1 n2 1k``
lines, read as columns; 0.73 kB with ``R n1 n2 r=1k`` lines, read one by one; rounded up to
0.8 kB). Solving adds the engine's matrices.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from thermolearn.errors import NetlistError, ParameterError

__all__ = [
    "BYTES_PER_ELEMENT",
    "NetlistLimits",
    "default_limits",
    "check_flattened_size",
    "check_expression",
    "check_text_size",
    "count_flattened",
    "active_limits",
    "current_limits",
    "charge_text",
    "check_line",
    "check_include_file",
]

#: Estimated peak memory of one flattened element while parsing and building (bytes).
BYTES_PER_ELEMENT = 800


@dataclass(frozen=True, slots=True, kw_only=True)
class NetlistLimits:
    """Caps applied while reading a netlist (all checked before the work they bound)."""

    max_elements: int = 2_000_000
    """Flattened element count (subcircuits expanded)."""
    max_memory_bytes: int = 4 * 1024**3
    """Estimated memory of the flattened circuit, B (``elements * BYTES_PER_ELEMENT``)."""
    max_input_chars: int = 128 * 1024**2
    """Characters of netlist text, ``.include`` files counted in."""
    max_line_chars: int = 2_000_000
    """Characters of one logical line (continuations joined): long PWL tables fit."""
    max_expression_chars: int = 20_000
    """Characters of one expression (``{...}`` value or B-source expression)."""
    max_expression_depth: int = 50
    """Parenthesis nesting depth of one expression."""

    def __post_init__(self) -> None:
        for name in (
            "max_elements", "max_memory_bytes", "max_input_chars", "max_line_chars",
            "max_expression_chars", "max_expression_depth",
        ):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ParameterError(
                    f"The '{name}' parameter of NetlistLimits must be an integer >= 1; got {v!r}."
                )

    def with_overrides(self, **kw: Any) -> NetlistLimits:
        """Return a copy with the given caps replaced (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in kw.items() if v is not None})


def _parse_bytes(text: str, var: str) -> int:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", text, re.I)
    if not m:
        raise ParameterError(
            f"The environment variable {var} must be a byte count such as 8000000000 or 8G; "
            f"got {text!r}."
        )
    scale = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}[m.group(2).lower()]
    return int(float(m.group(1)) * scale)


def default_limits() -> NetlistLimits:
    """Return the default caps, with ``THERMOLEARN_MAX_ELEMENTS``/``..._MEMORY`` applied."""
    kw: dict[str, int] = {}
    env_el = os.environ.get("THERMOLEARN_MAX_ELEMENTS")
    if env_el:
        try:
            kw["max_elements"] = int(env_el.replace("_", ""))
        except ValueError:
            raise ParameterError(
                "The environment variable THERMOLEARN_MAX_ELEMENTS must be an integer; got "
                f"{env_el!r}."
            ) from None
    env_mem = os.environ.get("THERMOLEARN_MAX_NETLIST_MEMORY")
    if env_mem:
        kw["max_memory_bytes"] = _parse_bytes(env_mem, "THERMOLEARN_MAX_NETLIST_MEMORY")
    return NetlistLimits(**kw)


_HOW_TO_RAISE = (
    "raise the cap with `thermolearn spice run --max-elements N`, the environment variable "
    "{var}, or parse_netlist(..., limits=NetlistLimits({field}=...))"
)


@dataclass(slots=True)
class _Budget:
    limits: NetlistLimits
    chars: int = 0


_ACTIVE: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "thermolearn_netlist_limits", default=None
)


@contextlib.contextmanager
def active_limits(limits: NetlistLimits | None = None) -> Iterator[NetlistLimits]:
    """Make ``limits`` (default: :func:`default_limits`) the caps of the netlist being read."""
    lim = limits if limits is not None else default_limits()
    if not isinstance(lim, NetlistLimits):
        raise ParameterError(
            f"The 'limits' argument of parse_netlist must be a NetlistLimits; got {lim!r}."
        )
    token = _ACTIVE.set(_Budget(lim))
    try:
        yield lim
    finally:
        _ACTIVE.reset(token)


def current_limits() -> NetlistLimits:
    """Return the caps of the netlist being read (defaults outside :func:`active_limits`)."""
    b = _ACTIVE.get()
    return b.limits if b is not None else _DEFAULT


def charge_text(n_chars: int, source: str | None) -> None:
    """Count ``n_chars`` more characters of netlist text against ``max_input_chars``."""
    b = _ACTIVE.get()
    if b is None:
        return
    b.chars += n_chars
    check_text_size(b.chars, b.limits, source)


def check_line(text: str, line: int | None, source: str | None) -> None:
    """Refuse a logical line longer than ``max_line_chars``."""
    lim = current_limits()
    if len(text) > lim.max_line_chars:
        raise NetlistError(
            f"logical line of {len(text):,} characters (continuations joined), above the cap "
            f"of {lim.max_line_chars:,}; pass parse_netlist(..., limits=NetlistLimits("
            "max_line_chars=...)) if it is meant to be this long",
            line=line,
            source=source,
        )


def check_include_file(path: str, line: int | None, source: str | None) -> None:
    """Refuse to read an ``.include`` that is not a regular file or would exceed the text cap."""
    try:
        st = os.stat(path)
    except OSError:
        return  # the reader reports the missing file with its own message
    if not stat.S_ISREG(st.st_mode):
        raise NetlistError(
            f"included file {path!r} is not a regular file (a device, pipe or directory)",
            line=line,
            source=source,
        )
    b = _ACTIVE.get()
    if b is not None and b.chars + st.st_size > b.limits.max_input_chars:
        check_text_size(b.chars + st.st_size, b.limits, source)


def check_text_size(n_chars: int, limits: NetlistLimits, source: str | None) -> None:
    """Refuse netlist text (with its includes so far) longer than ``max_input_chars``."""
    if n_chars > limits.max_input_chars:
        raise NetlistError(
            f"the netlist text is {n_chars:,} characters (with its .include files), above the "
            f"cap of {limits.max_input_chars:,}; pass parse_netlist(..., limits=NetlistLimits("
            "max_input_chars=...)) if it is meant to be this large",
            source=source,
        )


# ---------------------------------------------------------------------------------------------
# flattened size
# ---------------------------------------------------------------------------------------------

_ASSIGN_RE = re.compile(r"\S+\s*=\s*(\{[^{}]*\}|'[^']*'|\S+)")


def _instance_target(text: str) -> str | None:
    """Subcircuit name of an X line: the last positional token (parameters removed)."""
    body = re.split(r"\s+params:\s*", text, maxsplit=1, flags=re.I)[0]
    body = _ASSIGN_RE.sub(" ", body)
    toks = body.split()
    return toks[-1].lower() if len(toks) >= 2 else None


@dataclass
class _Def:
    """One subcircuit definition: its own lines and the definitions nested in its body."""

    name: str
    own: list[str]
    parent: _ScopeDefs | None
    inner: _ScopeDefs | None = None


@dataclass
class _ScopeDefs:
    defs: dict[str, _Def]
    parent: _ScopeDefs | None

    def find(self, name: str) -> _Def | None:
        s: _ScopeDefs | None = self
        while s is not None:
            if name in s.defs:
                return s.defs[name]
            s = s.parent
        return None


def _split_nested(lines: Sequence[str]) -> tuple[list[str], dict[str, list[str]]]:
    """Own lines of a body and the bodies of the ``.subckt`` definitions nested in it."""
    own: list[str] = []
    nested: dict[str, list[str]] = {}
    i = 0
    while i < len(lines):
        text = lines[i]
        head = text.split(None, 1)[0].lower() if text.strip() else ""
        if head == ".subckt":
            parts = text.split()
            name = parts[1].lower() if len(parts) > 1 else ""
            depth, body = 1, []
            i += 1
            while i < len(lines):
                h = lines[i].split(None, 1)[0].lower() if lines[i].strip() else ""
                depth += h == ".subckt"
                depth -= h == ".ends"
                if depth == 0:
                    break
                body.append(lines[i])
                i += 1
            nested.setdefault(name, body)
        elif head != ".ends":
            own.append(text)
        i += 1
    return own, nested


def _scope_of(bodies: Mapping[str, Sequence[str]], parent: _ScopeDefs | None) -> _ScopeDefs:
    scope = _ScopeDefs({}, parent)
    for name, body in bodies.items():
        own, nested = _split_nested(body)
        d = _Def(name, own, scope)
        d.inner = _scope_of(nested, scope) if nested else _ScopeDefs({}, scope)
        scope.defs[name] = d
    return scope


def count_flattened(
    top: Iterable[str], subckts: Mapping[str, Sequence[str]]
) -> tuple[int, dict[str, int]]:
    """Count the elements of the flattened netlist without instantiating anything.

    Subcircuits defined inside a subcircuit body are scoped to it (innermost definition
    first), as in the parser.

    Parameters
    ----------
    top : iterable of str
        The top-level logical lines (element lines; dot cards are ignored).
    subckts : mapping of str to sequence of str
        Lower-case subcircuit name -> its body lines (nested definitions included).

    Returns
    -------
    (int, dict)
        The flattened element count (an exact integer, however large) and each top-level
        subcircuit's own flattened count.

    Raises
    ------
    NetlistError
        A subcircuit instantiates itself, directly or through others.
    """
    root = _scope_of(subckts, None)
    memo: dict[int, int] = {}

    def lines_count(lines: Iterable[str], scope: _ScopeDefs, stack: list[_Def]) -> int:
        n = 0
        for text in lines:
            head = text[:1].lower()
            if not head.isalpha():
                continue  # dot cards
            if head == "x":
                target = _instance_target(text)
                d = scope.find(target) if target else None
                n += sub_count(d, stack) if d is not None else 1
            else:
                n += 1
        return n

    def sub_count(d: _Def, stack: list[_Def]) -> int:
        if id(d) in memo:
            return memo[id(d)]
        if any(d is s for s in stack):
            names = [s.name for s in stack]
            chain = " -> ".join([*names[names.index(d.name):], d.name])
            raise NetlistError(
                f"subcircuits nested too deeply: recursive definition {chain}"
            )
        stack.append(d)
        # iterative over lines, recursive over the (acyclic, distinct) definitions only
        assert d.inner is not None
        memo[id(d)] = lines_count(d.own, d.inner, stack)
        stack.pop()
        return memo[id(d)]

    try:
        total = lines_count(top, root, [])
    except RecursionError:
        raise NetlistError(
            "subcircuits nested too deeply (hundreds of levels of definitions)"
        ) from None
    per = {name: memo[id(d)] for name, d in root.defs.items() if id(d) in memo}
    return total, per


def check_flattened_size(
    top: Sequence[tuple[str, int | None]],
    subckts: Mapping[str, Sequence[str]],
    limits: NetlistLimits,
    source: str | None = None,
    *,
    extra_elements: int = 0,
) -> int:
    """Refuse a netlist whose flattened size is above the caps; return the element count.

    Parameters
    ----------
    top : sequence of (text, line number)
        Top-level logical lines.
    subckts : mapping
        Lower-case subcircuit name -> body lines (text).
    limits : NetlistLimits
    source : str, optional
        File name for the message.
    extra_elements : int
        Top-level elements not among ``top`` (the parser's runs of uniform lines, read as
        columns), counted in.

    Raises
    ------
    NetlistError
        The element count or the estimated memory is above its cap; the message gives the
        count, the estimate, the largest instance line and how to raise the cap.
    """
    try:
        total, per_sub = count_flattened((t for t, _ in top), subckts)
    except NetlistError as exc:
        raise NetlistError(str(exc), source=source) from None
    total += extra_elements
    mem = total * BYTES_PER_ELEMENT
    if total <= limits.max_elements and mem <= limits.max_memory_bytes:
        return total
    # name the top-level line that contributes most
    worst_line, worst_n, worst_sub = None, 0, None
    for text, line in top:
        if text[:1].lower() == "x":
            target = _instance_target(text)
            n = per_sub.get(target or "", 1)
            if n > worst_n:
                worst_line, worst_n, worst_sub = line, n, target
    where = (
        f"; this instance alone expands subcircuit '{worst_sub}' to {_fmt(worst_n)} elements"
        if worst_sub is not None
        else ""
    )
    if total > limits.max_elements:
        cap = (f"above the cap of {limits.max_elements:,} elements; "
               + _HOW_TO_RAISE.format(var="THERMOLEARN_MAX_ELEMENTS=N", field="max_elements"))
    else:
        cap = (f"estimated {_fmt_bytes(mem)}, above the memory cap of "
               f"{_fmt_bytes(limits.max_memory_bytes)}; raise it with the environment variable "
               "THERMOLEARN_MAX_NETLIST_MEMORY (e.g. 16G) or parse_netlist(..., "
               "limits=NetlistLimits(max_memory_bytes=...))")
    raise NetlistError(
        f"the netlist flattens to {_fmt(total)} elements after subcircuit expansion "
        f"(about {_fmt_bytes(mem)} of memory){where}; {cap}",
        line=worst_line,
        source=source,
    )


def _fmt(n: int) -> str:
    return f"{n:,}" if n < 10**15 else f"{n:.3e}"


def _fmt_bytes(b: int) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= scale:
            return f"{b / scale:,.1f} {unit}" if b < 1e18 else f"{b:.2e} B"
    return f"{b} B"


# ---------------------------------------------------------------------------------------------
# expressions
# ---------------------------------------------------------------------------------------------


def check_expression(text: str, limits: NetlistLimits | None = None) -> None:
    """Refuse an expression that is too long or nested too deeply.

    The caps are ``max_expression_chars`` and ``max_expression_depth`` of ``limits`` (default:
    the caps of the netlist being read). The caller re-raises as its own expression error.

    Raises
    ------
    ValueError
        With a message naming the size or depth, the cap and how to raise it.
    """
    lim = limits or current_limits()
    if len(text) > lim.max_expression_chars:
        raise ValueError(
            f"expression of {len(text):,} characters, above the cap of "
            f"{lim.max_expression_chars:,} (NetlistLimits(max_expression_chars=...))"
        )
    depth = best = 0
    for ch in text:
        if ch == "(":
            depth += 1
            if depth > best:
                best = depth
                if best > lim.max_expression_depth:
                    raise ValueError(
                        f"expression nested more than {lim.max_expression_depth} parentheses "
                        "deep (NetlistLimits(max_expression_depth=...))"
                    )
        elif ch == ")":
            depth -= 1


_DEFAULT = NetlistLimits()
