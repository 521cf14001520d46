"""Parameter checks that raise :class:`~thermolearn.errors.ParameterError` naming the culprit.

Messages follow one pattern, e.g.
``The 'r_on' parameter of LinearIonDrift must be > 0 ohm; got -1.0.``
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from thermolearn.errors import ParameterError


def _fmt(unit: str) -> str:
    return f" {unit}" if unit else ""


def check_positive(value: float, name: str, owner: str, unit: str = "") -> float:
    """Return ``value`` as float if finite and > 0, else raise ParameterError."""
    v = _as_float(value, name, owner)
    if not v > 0:
        raise ParameterError(
            f"The '{name}' parameter of {owner} must be > 0{_fmt(unit)}; got {value!r}."
        )
    return v


def check_nonnegative(value: float, name: str, owner: str, unit: str = "") -> float:
    """Return ``value`` as float if finite and >= 0, else raise ParameterError."""
    v = _as_float(value, name, owner)
    if not v >= 0:
        raise ParameterError(
            f"The '{name}' parameter of {owner} must be >= 0{_fmt(unit)}; got {value!r}."
        )
    return v


def check_finite(value: float, name: str, owner: str) -> float:
    """Return ``value`` as float if finite, else raise ParameterError."""
    return _as_float(value, name, owner)


def check_greater(
    value: float, name: str, owner: str, other: float, other_name: str, unit: str = ""
) -> float:
    """Return ``value`` if it is > ``other`` (an ordered pair such as g_min < g_max)."""
    v = _as_float(value, name, owner)
    if not v > other:
        raise ParameterError(
            f"The '{name}' parameter of {owner} must be > {other_name} = {other!r}{_fmt(unit)}; "
            f"got {value!r}."
        )
    return v


def check_range(
    value: float,
    name: str,
    owner: str,
    low: float,
    high: float,
    *,
    unit: str = "",
    inclusive: tuple[bool, bool] = (True, True),
) -> float:
    """Return ``value`` if it lies in the interval [low, high] (ends per ``inclusive``)."""
    v = _as_float(value, name, owner)
    lo_ok = v >= low if inclusive[0] else v > low
    hi_ok = v <= high if inclusive[1] else v < high
    if not (lo_ok and hi_ok):
        lb = "[" if inclusive[0] else "("
        rb = "]" if inclusive[1] else ")"
        raise ParameterError(
            f"The '{name}' parameter of {owner} must lie in {lb}{low}, {high}{rb}{_fmt(unit)}; "
            f"got {value!r}."
        )
    return v


def check_int(value: Any, name: str, owner: str, minimum: int | None = None) -> int:
    """Return ``value`` as int if it is an integer (>= minimum when given)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ParameterError(
            f"The '{name}' parameter of {owner} must be an integer; got {value!r}."
        )
    if minimum is not None and int(value) < minimum:
        raise ParameterError(
            f"The '{name}' parameter of {owner} must be >= {minimum}; got {value!r}."
        )
    return int(value)


#: Largest converter resolution (ADC ENOB, DAC bits) accepted, bit. Walden's survey (IEEE JSAC
#: 17, 539, 1999) and Murmann's "ADC Performance Survey 1997-2024" report no converter above
#: an SNDR of ~125 dB, i.e. ENOB = (SNDR - 1.76 dB) / 6.02 dB ~ 20-21 bits, at any sample
#: rate; 24 bits leaves a margin above the best published design. Beyond it the booked
#: FOM x 2^bits energy describes no buildable converter (64 bits: ~1e5 J per conversion).
MAX_CONVERTER_BITS = 24


def check_converter_bits(value: Any, name: str, owner: str, *, integer: bool = True) -> Any:
    """Return a converter resolution if ``1 <= value <= MAX_CONVERTER_BITS`` (bit).

    ``integer`` requires an int (DAC codes, quantiser bits); otherwise a real ENOB is accepted.
    """
    v: Any = check_int(value, name, owner) if integer else _as_float(value, name, owner)
    if v < 1:
        raise ParameterError(f"The '{name}' parameter of {owner} must be >= 1 bit; got {value!r}.")
    if v > MAX_CONVERTER_BITS:
        raise ParameterError(
            f"The '{name}' parameter of {owner} must be <= {MAX_CONVERTER_BITS} bit (no "
            f"converter reaches more than ~21 effective bits: Walden 1999, Murmann's ADC "
            f"survey); got {value!r}."
        )
    return v


def check_choice(value: str, name: str, owner: str, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``."""
    if value not in choices:
        raise ParameterError(
            f"The '{name}' parameter of {owner} must be one of {', '.join(map(repr, choices))}; "
            f"got {value!r}."
        )
    return value


def finite_array(value: ArrayLike, name: str, owner: str) -> NDArray[np.float64]:
    """Return ``value`` as a float64 array, rejecting NaN and infinities."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"The '{name}' argument of {owner} must be numeric; got {value!r}."
        ) from exc
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)].ravel()[0]
        raise ParameterError(
            f"The '{name}' argument of {owner} must be finite everywhere; found {bad!r}."
        )
    return arr


def _as_float(value: Any, name: str, owner: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"The '{name}' parameter of {owner} must be a real number; got {value!r}."
        ) from exc
    if not math.isfinite(v):
        raise ParameterError(f"The '{name}' parameter of {owner} must be finite; got {value!r}.")
    return v
