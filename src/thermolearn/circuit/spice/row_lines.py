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

__all__ = [
    "LineTable",
    "RowColumns",
    "classify_lines",
    "hash_strings",
    "parse_values",
    "split_rows",
    "token_hash",
    "value_of",
]

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
        while e < n:  # end the chunk after a newline (looked for a window at a time)
            nxt = np.flatnonzero(data[e : e + 4096] == 10)
            if nxt.size:
                e += int(nxt[0]) + 1
                break
            e = min(n, e + 4096)
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
        # counted from the positions of the bytes concerned (few, except the spaces): the
        # line of a position is found by bisection on the line starts
        sp_at = np.flatnonzero(d == 32)
        n_sp = np.searchsorted(sp_at, le) - np.searchsorted(sp_at, ls)
        bad_at = np.flatnonzero(_BAD[d] & (d != 10))
        bad_line = np.zeros(ls.size, dtype=bool)
        bad_line[np.searchsorted(ls, bad_at, side="right") - 1] = True
        # a double space, or a space that ends a line, spoils it too
        dbl = sp_at[np.flatnonzero(np.diff(sp_at) == 1)]
        bad_line[np.searchsorted(ls, dbl, side="right") - 1] = True
        if d.size:
            last = np.minimum(np.maximum(le - 1, ls), d.size - 1)
            bad_line |= nonempty & (d[last] == 32)
        ok = nonempty & (length <= max_line) & ~bad_line & (first != 32)
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


#: ASCII lower case of every byte
_LOWER = np.arange(256, dtype=np.uint8)
_LOWER[65:91] += 32
#: bytes that may appear in a plain decimal number
_NUMBER_BYTE = np.zeros(256, dtype=bool)
_NUMBER_BYTE[np.frombuffer(b"0123456789.eE+-", np.uint8)] = True
#: longest node token read by :func:`split_rows` (longer: None, the caller's own path)
_MAX_NODE = 32
#: odd 64-bit multipliers of the token hash (splitmix64's)
_MUL1, _MUL2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


@dataclass(frozen=True, slots=True)
class RowColumns:
    """The columns of a run of uniform lines (:func:`split_rows`).

    Attributes
    ----------
    names : list of str
        Element names, one per line.
    node_ids : ndarray of int (2k,)
        Each line's first and second node token (interleaved: line 0's two, then line
        1's, ...) as an index into the distinct tokens, which are numbered in order of first
        appearance and compared case-insensitively.
    node_hash : ndarray of uint64
        :func:`token_hash` of each distinct token in lower case.
    spelling, lower : list of str
        Each distinct token as first written, and in lower case.
    upper : ndarray of bool
        Distinct tokens first written with an upper-case letter.
    values : ndarray (k,)
        Each line's number as :func:`parse_number` reads it (NaN where it raises).
    ok : ndarray of bool (k,)
        Where ``values`` holds a finite number.
    name_hash : ndarray of uint64 (k,)
        :func:`token_hash` of each element name in lower case.
    names_plain : bool
        No name holds a ``#`` (the one byte of a uniform line that an element name may
        not hold; :class:`~thermolearn.circuit.Circuit` rejects it).
    """

    names: list[str]
    node_ids: NDArray[np.intp]
    node_hash: NDArray[np.uint64]
    spelling: list[str]
    lower: list[str]
    upper: NDArray[np.bool_]
    values: NDArray[np.float64]
    ok: NDArray[np.bool_]
    name_hash: NDArray[np.uint64]
    names_plain: bool


def _strings(rows: NDArray[np.uint8]) -> list[str]:
    """Decode the rows of a zero-padded byte matrix (no zero byte inside a token)."""
    if rows.shape[0] == 0:
        return []
    buf = np.empty((rows.shape[0], rows.shape[1] + 1), dtype=np.uint8)
    buf[:, :-1] = rows
    buf[:, -1] = 10
    flat = buf.reshape(-1)
    return flat[flat != 0].tobytes().decode("ascii").split("\n")[:-1]


def _rows_at(rows: NDArray[np.uint8], at: NDArray[np.intp]) -> NDArray[np.uint8]:
    """``rows[at]`` for a C-contiguous byte matrix of width a multiple of 8.

    Taken as 64-bit words (``np.take`` of whole words is several times faster than fancy
    indexing of byte rows).
    """
    words = np.take(rows.view(np.uint64), at, axis=0)
    return words.view(np.uint8).reshape(at.size, rows.shape[1])


def token_hash(rows: NDArray[np.uint8]) -> NDArray[np.uint64]:
    """64-bit hash of each row of a zero-padded byte matrix (width a multiple of 8).

    Trailing zero words are skipped, so a token hashes alike at any padded width (the
    tokens of different runs, and of names held elsewhere, compare by hash).
    """
    words = rows.view(np.uint64)
    h = words[:, 0].copy()
    for c in range(1, words.shape[1]):  # splitmix64's finaliser, then the next word
        w = words[:, c]
        m = h ^ (h >> np.uint64(30))
        m *= _MUL1
        m ^= m >> np.uint64(27)
        m *= _MUL2
        m ^= m >> np.uint64(31)
        m += w
        h = np.where(w != 0, m, h)
    return h


def hash_strings(strs: list[str]) -> NDArray[np.uint64]:
    """:func:`token_hash` of each string's UTF-8 bytes (strings without a zero byte)."""
    raw = [t.encode("utf-8", "surrogatepass") for t in strs]
    if not raw:
        return np.zeros(0, dtype=np.uint64)
    w = max(8, -(-max(map(len, raw)) // 8) * 8)
    rows = np.frombuffer(b"".join(r.ljust(w, b"\0") for r in raw), dtype=np.uint8)
    return token_hash(rows.reshape(len(raw), w))


def _distinct(
    keys: NDArray[np.uint8],
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.uint64]] | None:
    """Group equal rows of a padded byte matrix.

    Returns the first row of each group, the group of each row (groups numbered in order
    of first appearance) and each group's :func:`token_hash`. Rows are compared through
    the hash and then exactly (None on a hash collision: the caller's slow path).
    """
    h = token_hash(keys)
    perm = np.argsort(h)
    sh = h[perm]
    new = np.empty(sh.size, dtype=bool)
    new[:1] = True
    np.not_equal(sh[1:], sh[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    first = np.minimum.reduceat(perm, starts) if starts.size else starts
    group = np.cumsum(new) - 1
    inv = np.empty(h.size, dtype=np.intp)
    inv[perm] = group
    if not np.array_equal(keys, _rows_at(keys, first[inv])):
        return None
    appear = np.argsort(first)  # first occurrences are distinct: any sort is stable
    rank = np.empty(first.size, dtype=np.intp)
    rank[appear] = np.arange(first.size, dtype=np.intp)
    return first[appear].astype(np.intp), rank[inv], sh[starts][appear]


def _padded(
    d: NDArray[np.uint8], start: NDArray[np.int64], length: NDArray[np.int64], width: int
) -> NDArray[np.uint8]:
    """Tokens as rows of ``width`` bytes (zero padded; ``width`` a multiple of 8).

    ``d`` must extend at least ``width`` bytes past every token (the caller pads it).
    """
    window = np.lib.stride_tricks.sliding_window_view(d, width)
    rows = window[start]
    if width <= 64:  # keep each row's first ``length`` bytes: AND with a row of 0xFF / 0
        keep = np.tril(np.full((width + 1, width), 0xFF, dtype=np.uint8), -1)
        mask = np.take(keep.view(np.uint64), np.minimum(length, width), axis=0)
        rows.view(np.uint64)[...] &= mask
    else:
        rows[np.arange(width) >= length[:, None]] = 0
    return rows


def split_rows(data: bytes, s: int, e: int, k: int, fields: int) -> RowColumns | None:
    """Read ``k`` uniform lines of ``fields`` fields (``data[s:e]``) as columns.

    Names, node tokens and numbers are cut out with array operations; the node tokens are
    grouped case-insensitively (so each distinct node is looked up once), and each distinct
    number token is read once by :func:`parse_values`. Returns None when the run is not
    what :func:`classify_lines` promised or has something this reader leaves to the general
    parser (a fifth field other than ``DC``, a node token longer than 32 characters, a hash
    collision).
    """
    size = e - s
    raw = np.frombuffer(data, dtype=np.uint8, count=size, offset=s)
    sep = np.flatnonzero((raw == 32) | (raw == 10))
    if sep.size != k * fields - 1:
        return None
    st = np.empty(k * fields, dtype=np.int64)
    st[0] = 0
    st[1:] = sep + 1
    en = np.empty(k * fields, dtype=np.int64)
    en[:-1] = sep
    en[-1] = size
    st = st.reshape(k, fields)
    en = en.reshape(k, fields)
    lens = en - st
    wide = [-(-int(lens[:, f].max()) // 8) * 8 for f in range(fields)]
    d = np.zeros(size + max(wide) + 8, dtype=np.uint8)  # room for every token window
    d[:size] = raw
    low = _LOWER[d]
    if fields == 5:  # NAME N1 N2 DC VALUE
        p = st[:, 3]
        if not (
            np.all(lens[:, 3] == 2)
            and np.all(low[p] == ord("d"))
            and np.all(low[p + 1] == ord("c"))
        ):
            return None
    ns = st[:, 1:3].reshape(-1)
    nl = lens[:, 1:3].reshape(-1)
    width = max(wide[1], wide[2])
    if width > _MAX_NODE:
        return None
    lowered = _padded(low, ns, nl, width)
    grouped = _distinct(lowered)
    if grouped is None:  # pragma: no cover - a 64-bit hash collision
        return None
    first, node_ids, node_hash = grouped
    # distinct tokens first written with an upper-case byte
    caps = np.flatnonzero(d != low)
    at = np.searchsorted(ns, caps, side="right") - 1  # node token (or a later field) of each
    inside = (at >= 0) & (caps < ns[np.maximum(at, 0)] + nl[np.maximum(at, 0)])
    upper_tok = np.zeros(ns.size, dtype=bool)
    upper_tok[at[inside]] = True
    upper = upper_tok[first]
    lower = _strings(_rows_at(lowered, first))
    spelling = _strings(_padded(d, ns[first], nl[first], width)) if upper.any() else lower
    names = _strings(_padded(d, st[:, 0], lens[:, 0], wide[0]))
    lowered = _padded(low, st[:, 0], lens[:, 0], wide[0])
    name_hash = token_hash(lowered)
    names_plain = not bool(np.any(lowered == ord("#")))
    del lowered
    vs, vl, vw = st[:, fields - 1], lens[:, fields - 1], wide[fields - 1]
    vrows = _padded(d, vs, vl, vw)
    vgroup = _distinct(vrows) if vw <= _MAX_FAST else None
    if vgroup is None:
        values, ok = parse_values(_strings(vrows))
    else:
        vfirst, vid, _ = vgroup
        uv, uok = parse_values(_strings(_rows_at(vrows, vfirst)))
        values, ok = uv[vid], uok[vid]
    return RowColumns(
        names, node_ids, node_hash, spelling, lower, upper, values, ok, name_hash, names_plain
    )
