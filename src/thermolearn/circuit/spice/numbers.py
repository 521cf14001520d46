"""SPICE numbers as ngspice 39 reads them: ``1k``, ``2.2u``, ``3meg``, ``5mil``, ``4K7`` = 4k.

References
----------
.. [1] ngspice 39, ``src/spicelib/parser/inpeval.c`` (``INPevaluate``): mantissa, exponent
   (``e``/``d``), one scale factor; the rest of the token is ignored.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

_NUM_RE = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:[eEdD]([+-]?\d*))?(.*)$", re.S)
#: ngspice's scale factors (``INPevaluate``): one letter, or ``meg``/``mil``; case-insensitive
_SCALE = {"t": 12, "g": 9, "k": 3, "m": -3, "u": -6, "n": -9, "p": -12, "f": -15}


def parse_number(token: str) -> float:
    """Parse a SPICE number the way ngspice 39 does (``INPevaluate``).

    A mantissa, an optional exponent (``e``/``d``), then an optional scale factor: ``T G MEG K
    M MIL U N P F`` (case-insensitive; ``M`` is milli). Whatever follows the scale factor (or
    the number, if no scale factor) is ignored, as in SPICE: ``1kOhm`` = 1000, ``5V`` = 5,
    ``4K7`` = 4000 (not 4.7k: LTspice's "R/K as decimal point" is not ngspice's default),
    ``1u2`` = 1e-6, ``4n7`` = 4e-9, ``1e-3wwww`` = 1e-3.

    Raises
    ------
    ValueError
        If ``token`` does not start with a number.
    """
    m = _NUM_RE.match(token.strip())
    if not m:
        raise ValueError(f"not a number: {token!r}")
    mant, expo, rest = m.group(1), m.group(2), m.group(3)
    if expo is not None and expo in ("", "+", "-"):
        expo = "0"
    try:
        dec = Decimal(mant)
        if expo is not None:
            dec = dec.scaleb(int(expo))
        low = rest[:3].lower()
        if low == "meg":
            dec = dec.scaleb(6)
        elif low == "mil":
            dec = dec * Decimal("25.4e-6")
        elif low[:1] in _SCALE:
            dec = dec.scaleb(_SCALE[low[:1]])
    except (ArithmeticError, ValueError):  # decimal overflow, an exponent of 10^5 digits
        raise ValueError(f"number out of range: {token!r}") from None
    if rest and not (rest[:1].isalpha() or rest[:1] in "_%"):
        raise ValueError(f"not a number: {token!r}")
    val = float(dec)
    if not math.isfinite(val):
        raise ValueError(f"number out of range: {token!r}")
    return val


__all__ = ["parse_number"]
