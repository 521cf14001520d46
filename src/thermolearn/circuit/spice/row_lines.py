r"""Vectorised reading of uniform element lines: ``NAME N1 N2 VALUE`` and ``NAME N1 N2 DC VALUE``.

A netlist of millions of elements (a crossbar export) is almost entirely lines of one shape:
an R, C, L, V or I name, two nodes and a number. :func:`classify_lines` finds those lines with
array operations on the bytes of the text (no Python object per line), and
:func:`parse_values` reads a column of number tokens exactly as
:func:`~thermolearn.circuit.spice.numbers.parse_number` does. The parser
(:mod:`thermolearn.circuit.spice.parser`) takes runs of such lines as columns and sends every
other line -- and every line this module is not sure about -- through its full path.

A line is *uniform* when it has no character outside ``[A-Za-z0-9_.:\\-[]<>!%&/|~^#+]`` other
than single spaces between its fields (so no comment, quote, brace, parenthesis, ``=``, tab or
non-ASCII character), starts with ``R C L V I`` (any case), has four fields (five for ``V``/``I``,
the fourth then being ``DC``), is at most ``max_line`` characters, and is followed by a line
that starts with a letter or ``.`` (so no ``+`` continuation, comment or blank line can extend
or follow it). The first line (the title) never is.

References
----------
.. [1] ngspice 39, ``src/spicelib/parser/inpeval.c`` (``INPevaluate``): the number syntax.
"""

from __future__ import annotations

import math
import re
import string
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from thermolearn.circuit.spice.numbers import parse_number

__all__ = ["LineTable", "classify_lines", "parse_values", "value_of"]

#: bytes allowed in a uniform line besides the single spaces between fields
_ALLOWED = string.ascii_letters + string.digits + "_.:-[]<>!%&/|~^#+"
_BAD = np.ones(256, dtype=bool)
_BAD[np.frombuffer(_ALLOWED.encode(), np.uint8)] = False
_BAD[ord(" ")] = False
_FIRST4 = np.zeros(256, dtype=bool)
_FIRST4[np.frombuffer(b"RCLVIrclvi", np.uint8)] = True
_FIRST5 = np.zeros(256, dtype=bool)
_FIRST5[np.frombuffer(b"VIvi", np.uint8)] = True
_NEXT_OK = np.zeros(256, dtype=bool)
_NEXT_OK[np.frombuffer((string.ascii_letters + ".").encode(), np.uint8)] = True
#: bytes of text examined per vectorised pass (bounds the temporaries: ~12 bytes per byte)
_CHUNK_BYTES = 1 << 23


@dataclass(frozen=True, slots=True)
class LineTable:
    """Every line of a text: byte offsets, field count of uniform lines, first byte.

    Attributes
    ----------
    start, end : ndarray of int64
        Byte offsets of each line (``end`` excludes the newline).
    fields : ndarray of uint8
        4 or 5 for a uniform line, 0 otherwise.
    first : ndarray of uint8
        First byte of each line (0 for an empty line).
    """

    start: NDArray[np.int64]
    end: NDArray[np.int64]
    fields: NDArray[np.uint8]
    first: NDArray[np.uint8]


def _count(mask: NDArray[np.bool_], lo: NDArray[np.int64], hi: NDArray[np.int64]) -> NDArray:
    """Count the True entries of ``mask`` in each ``[lo, hi)`` (none when hi <= lo)."""
    c = np.zeros(mask.size + 1, dtype=np.int32)
    np.cumsum(mask, dtype=np.int32, out=c[1:])
    hi = np.maximum(hi, lo)
    return c[hi] - c[lo]


def classify_lines(data: NDArray[np.uint8], max_line: int) -> LineTable:
    r"""Split the bytes of a text (newlines ``\\n``) into lines and mark the uniform ones.

    Parameters
    ----------
    data : ndarray of uint8
        The text's bytes (UTF-8; a line with any byte >= 128 is not uniform).
    max_line : int
        Longest line (characters) that may be uniform (the parser's line cap).

    Returns
    -------
    LineTable
    """
    n = int(data.size)
    starts: list[NDArray[np.int64]] = []
    ends: list[NDArray[np.int64]] = []
    fields: list[NDArray[np.uint8]] = []
    firsts: list[NDArray[np.uint8]] = []
    s = 0
    while s < n or not starts:
        e = min(n, s + _CHUNK_BYTES)
        if e < n:  # end the chunk after a newline
            nxt = np.flatnonzero(data[e:] == 10)
            e = n if nxt.size == 0 else e + int(nxt[0]) + 1
        d = data[s:e]
        nl = np.flatnonzero(d == 10)
        ls = np.concatenate(([0], nl + 1)).astype(np.int64)
        le = np.concatenate((nl, [d.size])).astype(np.int64)
        if ls[-1] == d.size and (e < n or d.size):
            ls, le = ls[:-1], le[:-1]  # the chunk ends with a newline: no line after it
        length = le - ls
        nonempty = length > 0
        first = np.where(nonempty, d[np.minimum(ls, max(d.size - 1, 0))] if d.size else 0, 0)
        first = first.astype(np.uint8)
        sp = d == 32
        n_bad = _count(_BAD[d], ls, le)
        n_sp = _count(sp, ls, le)
        # spaces followed by a field character inside the line: as many as spaces means no
        # double, leading or trailing space
        tr = np.zeros(d.size, dtype=bool)
        tr[:-1] = sp[:-1] & ~sp[1:]
        n_tr = _count(tr, ls, le - 1)
        ok = nonempty & (length <= max_line) & (n_bad == 0) & (first != 32) & (n_tr == n_sp)
        f = np.zeros(ls.size, dtype=np.uint8)
        f[ok & (n_sp == 3) & _FIRST4[first]] = 4
        f[ok & (n_sp == 4) & _FIRST5[first]] = 5
        starts.append(ls + s)
        ends.append(le + s)
        fields.append(f)
        firsts.append(first)
        s = e
        if e >= n:
            break
    start = np.concatenate(starts)
    end = np.concatenate(ends)
    fld = np.concatenate(fields)
    fst = np.concatenate(firsts)
    if fld.size:
        fld[0] = 0  # the title
        nxt_ok = np.ones(fld.size, dtype=bool)
        nxt_ok[:-1] = _NEXT_OK[fst[1:]]
        fld[~nxt_ok] = 0
    return LineTable(start, end, fld, fst)


#: characters of a plain decimal number (float() then reads it exactly as parse_number)
_NOT_PLAIN = re.compile(r"[^0-9.eE+\-\n]")
_PLAIN = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
#: a number with a scale factor or trailing letters: mantissa, exponent, the rest
_SCALED = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))(?:[eE]([+-]?\d+))?([A-Za-z_%].*)", re.S)
_SHIFT = {"t": 12, "g": 9, "k": 3, "m": -3, "u": -6, "n": -9, "p": -12, "f": -15}
#: longest token read without parse_number: ngspice's Decimal arithmetic is exact below
#: 28 digits, so float() of the same decimal is the same double
_MAX_FAST = 24


def value_of(token: str) -> float | None:
    """Return the value :func:`parse_number` gives ``token``, or None where it raises.

    Plain decimals and numbers with one scale factor (``T G MEG K M U N P F``, any case,
    trailing letters ignored) are read as the exact decimal they denote (``float`` of
    mantissa times a power of ten, correctly rounded as ngspice's own reading); anything
    else (``MIL``, ``d`` exponents, long tokens) goes to :func:`parse_number` itself.
    """
    if len(token) <= _MAX_FAST:
        if _PLAIN.fullmatch(token):
            v = float(token)
            return v if math.isfinite(v) else None
        m = _SCALED.fullmatch(token)
        if m is not None:
            mant, expo, rest = m.group(1), m.group(2), m.group(3)
            low = rest[:3].lower()
            if rest[0] not in "eEdD" and low != "mil":
                shift = 6 if low == "meg" else _SHIFT.get(low[0], 0)
                v = float(f"{mant}e{int(expo or 0) + shift}")
                return v if math.isfinite(v) else None
    try:
        return parse_number(token)
    except ValueError:
        return None


def parse_values(tokens: list[str]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Read a column of number tokens as :func:`parse_number` would.

    Returns
    -------
    (values, ok)
        ``values[i]`` is the number of ``tokens[i]`` where ``ok[i]``; where ``parse_number``
        raises (or the number is not finite), ``ok[i]`` is False and ``values[i]`` is NaN.
    """
    k = len(tokens)
    if k and not _NOT_PLAIN.search("\n".join(tokens)) and max(map(len, tokens)) <= _MAX_FAST:
        try:  # the usual case: every token a plain decimal
            vals = np.fromiter(map(float, tokens), dtype=np.float64, count=k)
        except ValueError:
            pass
        else:
            return vals, np.isfinite(vals)
    vals = np.full(k, np.nan)
    cache: dict[str, float | None] = {}
    for i, t in enumerate(tokens):
        v = cache.get(t, ...)
        if v is ...:
            v = cache[t] = value_of(t)
        if v is not None:
            vals[i] = v
    return vals, np.isfinite(vals)
