"""``.measure tran`` on a transient result, with ngspice's definitions.

Supported forms (ngspice manual 15.4.x), on the waveforms of node voltages ``V(a)``,
``V(a,b)``, branch currents ``I(vx)`` and ``par('expression')``:

* ``FIND sig AT=t``; ``FIND sig WHEN cond``; ``WHEN cond`` (the time),
  where ``cond`` is ``sig=value`` or ``sig=sig2`` with ``RISE=n``/``FALL=n``/``CROSS=n``
  (``LAST`` allowed), ``TD=delay`` and ``FROM=``/``TO=``;
* ``TRIG cond TARG cond`` (``TARG`` time minus ``TRIG`` time; ``TRIG AT=t``), each condition
  as ``sig VAL=value RISE/FALL/CROSS=n [TD=]``;
* ``AVG``, ``RMS``, ``MIN``, ``MAX``, ``PP``, ``INTEG``, ``MIN_AT``, ``MAX_AT`` of ``sig``
  over ``FROM=``/``TO=`` (trapezoidal integrals of the linearly interpolated waveform);
* ``PARAM='expression'`` of earlier measurements and parameters.

Waveforms are interpolated linearly between time points, as ngspice does; crossings are
located on the interpolated waveform.

References
----------
.. [1] H. Vogt et al., *Ngspice User's Manual*, version 39, section 15.4 (``.meas``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from thermolearn.circuit.spice.expressions import CURRENT_REF, ExpressionError, compile_expression
from thermolearn.circuit.spice.numbers import parse_number

Array = NDArray[np.float64]


class MeasureError(ValueError):
    """A measurement that cannot be evaluated (the caller adds file and line)."""


@dataclass(frozen=True)
class MeasureCard:
    """One ``.measure`` card: analysis, name, the rest of the text, and where it is."""

    analysis: str
    name: str
    body: str
    line: int
    source: str


_SIG_RE = re.compile(r"(par\('[^']*'\)|[vViI]\s*\([^()]*\))", re.I)
_KEYS = ("rise", "fall", "cross", "td", "from", "to", "val", "at")


def _kv(text: str) -> dict[str, str]:
    return {m.group(1).lower(): m.group(2) for m in re.finditer(r"(\w+)\s*=\s*(\S+)", text)}


class _Waves:
    def __init__(self, time: Array, volts: dict[str, Array], currents: dict[str, Array]) -> None:
        self.t = np.asarray(time, dtype=float)
        self.volts = {k.lower(): np.asarray(v, dtype=float) for k, v in volts.items()}
        self.currents = {k.lower(): np.asarray(v, dtype=float) for k, v in currents.items()}

    def signal(self, text: str, params: dict[str, float]) -> Array:
        src = text.strip()
        m = re.fullmatch(r"par\('([^']*)'\)", src, re.I)
        if m:
            src = m.group(1)
        try:
            expr = compile_expression(src, params)
        except ExpressionError as exc:
            raise MeasureError(f"cannot read signal {text!r}: {exc}") from None
        env: dict[str, Array] = {}
        for nd in expr.node_set():
            key = nd.lower()
            if key.startswith(CURRENT_REF):
                name = key[len(CURRENT_REF) :]
                if name not in self.currents:
                    raise MeasureError(f"no branch current {name!r} for {text!r}")
                env[nd] = self.currents[name]
            elif key in self.volts:
                env[nd] = self.volts[key]
            else:
                raise MeasureError(f"no node {nd!r} for {text!r}")
        if not env:
            return np.full(self.t.size, expr.value({}))
        return expr.values(env)


def _crossings(t: Array, y: Array) -> tuple[Array, Array]:
    """Return the times where ``y`` crosses 0 (linear interpolation) and directions (+1 up)."""
    s = np.sign(y)
    out_t: list[float] = []
    out_d: list[int] = []
    for k in range(len(y) - 1):
        a, b = y[k], y[k + 1]
        if a == 0.0 and k > 0:
            continue
        if (a < 0 < b) or (a > 0 > b) or (b == 0.0 and a != 0.0):
            tc = t[k] + (t[k + 1] - t[k]) * (0.0 - a) / (b - a)
            out_t.append(float(tc))
            out_d.append(1 if b > a else -1)
    del s
    return np.asarray(out_t), np.asarray(out_d, dtype=int)


def _when(t: Array, y: Array, kv: dict[str, str], val: Callable[[str], float], what: str) -> float:
    ct, cd = _crossings(t, y)
    td = val(kv["td"]) if "td" in kv else 0.0
    lo = max(td, val(kv["from"])) if "from" in kv else td
    hi = val(kv["to"]) if "to" in kv else math.inf
    keep = (ct >= lo) & (ct <= hi)
    ct, cd = ct[keep], cd[keep]
    for key, want in (("rise", 1), ("fall", -1), ("cross", 0)):
        if key in kv:
            sel = ct if want == 0 else ct[cd == want]
            n = kv[key].lower()
            if n == "last":
                if sel.size == 0:
                    break
                return float(sel[-1])
            k = int(val(n))
            if 1 <= k <= sel.size:
                return float(sel[k - 1])
            raise MeasureError(f"{what}: only {sel.size} {key} crossing(s), asked for {k}")
    if "rise" not in kv and "fall" not in kv and "cross" not in kv and ct.size:
        return float(ct[0])
    raise MeasureError(f"{what}: the condition is never met")


def _window(
    t: Array, y: Array, kv: dict[str, str], val: Callable[[str], float]
) -> tuple[Array, Array]:
    t1 = val(kv["from"]) if "from" in kv else float(t[0])
    t2 = val(kv["to"]) if "to" in kv else float(t[-1])
    t1, t2 = max(t1, float(t[0])), min(t2, float(t[-1]))
    if not t2 > t1:
        raise MeasureError(f"empty interval FROM={t1:g} TO={t2:g}")
    inner = (t > t1) & (t < t2)
    tt = np.concatenate([[t1], t[inner], [t2]])
    return tt, np.interp(tt, t, y)


def evaluate_measures(
    cards: list[MeasureCard],
    time: Array,
    voltages: dict[str, Array],
    currents: dict[str, Array],
    params: dict[str, float],
) -> tuple[list[tuple[str, float]], list[str]]:
    """Evaluate ``.measure tran`` cards on one transient; return (name, value) and notes.

    In card order (a name may repeat, as in ngspice). A measurement that cannot be evaluated
    (condition never met, unknown signal) is reported in the notes with its file and line, as
    ngspice reports a failed measurement, and has no value.
    """
    waves = _Waves(time, voltages, currents)
    t = waves.t
    results: list[tuple[str, float]] = []
    notes: list[str] = []
    env = dict(params)

    def val(tok: str) -> float:
        try:
            return parse_number(tok)
        except ValueError:
            pass
        try:
            return compile_expression(tok, env).value({})
        except ExpressionError as exc:
            raise MeasureError(f"bad value {tok!r}: {exc}") from None

    for card in cards:
        where = f"{card.source}:{card.line}"
        try:
            value = _one(card.body, waves, t, env, val)
            results.append((card.name, value))
            env[card.name.lower()] = value
        except (MeasureError, ValueError) as exc:
            notes.append(f"{where}: .measure {card.name} failed: {exc}")
    return results, notes


def _one(
    body: str, waves: _Waves, t: Array, env: dict[str, float], val: Callable[[str], float]
) -> float:
    text = body.strip()
    m0 = re.match(r"(\w+)\s*(.*)$", text, re.S)
    if not m0:
        raise MeasureError(f"cannot read {text!r}")
    word, rest = m0.group(1).lower(), m0.group(2).strip()
    if word == "param":
        m = re.match(r"=\s*(.+)$", rest)
        if not m:
            raise MeasureError("PARAM needs ='expression'")
        return compile_expression(m.group(1), env).value({})
    if word in ("avg", "rms", "min", "max", "pp", "integ", "integral", "min_at", "max_at"):
        m = _SIG_RE.match(rest)
        if not m:
            raise MeasureError(f"{word.upper()} needs a signal v(...), i(...) or par('...')")
        y = waves.signal(m.group(1), env)
        tt, yy = _window(t, y, _kv(rest[m.end() :]), val)
        span = tt[-1] - tt[0]
        if word in ("integ", "integral"):
            return float(np.trapezoid(yy, tt))
        if word == "avg":
            return float(np.trapezoid(yy, tt) / span)
        if word == "rms":
            return float(math.sqrt(np.trapezoid(yy * yy, tt) / span))
        if word == "min":
            return float(np.min(yy))
        if word == "max":
            return float(np.max(yy))
        if word == "min_at":
            return float(tt[int(np.argmin(yy))])
        if word == "max_at":
            return float(tt[int(np.argmax(yy))])
        return float(np.max(yy) - np.min(yy))
    if word == "when":
        return _when_cond(rest, waves, t, env, val, "WHEN")
    if word == "find":
        m = _SIG_RE.match(rest)
        if not m:
            raise MeasureError("FIND needs a signal v(...), i(...) or par('...')")
        y = waves.signal(m.group(1), env)
        after = rest[m.end() :].strip()
        if after.lower().startswith("when"):
            tc = _when_cond(after[4:], waves, t, env, val, "FIND ... WHEN")
        else:
            kv = _kv(after)
            if "at" not in kv:
                raise MeasureError("FIND needs AT=time or WHEN condition")
            tc = val(kv["at"])
        return float(np.interp(tc, t, y))
    if word == "trig":
        m = re.match(r"(.*?)\btarg\b(.*)$", rest, re.I | re.S)
        if not m:
            raise MeasureError("TRIG needs a TARG")
        return _trig_targ(m.group(2), waves, t, env, val) - _trig_targ(
            m.group(1), waves, t, env, val
        )
    raise MeasureError(f"measurement type {word.upper()!r} is not supported")


def _trig_targ(
    text: str, waves: _Waves, t: Array, env: dict[str, float], val: Callable[[str], float]
) -> float:
    kv = _kv(text)
    m = _SIG_RE.match(text.strip())
    if m is None:
        if "at" in kv:
            return val(kv["at"])
        raise MeasureError(f"cannot read trigger {text.strip()!r}")
    if "val" not in kv:
        raise MeasureError(f"{text.strip()!r} needs VAL=")
    y = waves.signal(m.group(1), env) - val(kv["val"])
    return _when(t, y, kv, val, text.strip())


def _when_cond(
    text: str,
    waves: _Waves,
    t: Array,
    env: dict[str, float],
    val: Callable[[str], float],
    what: str,
) -> float:
    m = re.match(r"\s*(.+?)\s*=\s*(\S+)(.*)$", text, re.S)
    if not m:
        raise MeasureError(f"{what} needs signal=value")
    left, right, tail = m.group(1), m.group(2), m.group(3)
    y = waves.signal(left, env)
    if _SIG_RE.fullmatch(right):
        y = y - waves.signal(right, env)
    else:
        y = y - val(right)
    return _when(t, y, _kv(tail), val, what)


def parse_measure(text: str, line: int, source: str) -> MeasureCard | None:
    """Read a ``.meas[ure] ANALYSIS NAME ...`` card (None if it is not of that form)."""
    m = re.match(r"\.meas(?:ure)?\s+(\w+)\s+(\S+)\s+(.+)$", text.strip(), re.I | re.S)
    if not m:
        return None
    return MeasureCard(m.group(1).lower(), m.group(2), m.group(3), line, source)


def format_measures(values: list[tuple[str, float]]) -> list[str]:
    """Lines ``name = value`` as ngspice prints them."""
    return [f"{k:<20s}= {v: .6e}" for k, v in values]


__all__ = [
    "MeasureCard",
    "MeasureError",
    "evaluate_measures",
    "format_measures",
    "parse_measure",
]
