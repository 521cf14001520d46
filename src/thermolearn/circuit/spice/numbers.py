"""SPICE numbers: ``1k``, ``2.2u``, ``3meg``, ``5mil`` (SI suffixes, units ignored)."""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

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


__all__ = ["parse_number"]
