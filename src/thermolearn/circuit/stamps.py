"""Stamps: COO helpers and the element groups that the MNA compiler builds.

A stamp adds an element's linearised law to the MNA matrix as COO triplets ``(row, col,
value)``; index -1 is ground and is dropped. :class:`NLGroup` holds nonlinear two-terminal
elements sharing one model (diodes, selectors, nonlinear memristors) as index arrays.
Used by :mod:`thermolearn.circuit.mna.compile` and :mod:`thermolearn.circuit.elements`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


@dataclass
class NLGroup:
    """Nonlinear two-terminal elements sharing one model: i = f(V(a) - V(b))."""

    kind: str
    names: list[str]
    a: NDArray[np.intp]
    b: NDArray[np.intp]
    current: Callable[[Array], Array]
    didv: Callable[[Array], Array]
    vt: float  # exponential voltage scale for limiting (0: plain clamp)
    vcrit: float
    model: Any = None
    x: Array | None = None  # memristor states


def bind_state(fn: Callable[..., Any], x: Array) -> Callable[[Array], Array]:
    """Return ``v -> fn(v, x)``: a memristor I-V (or dI/dV) at fixed states ``x``."""
    def f(v: Array) -> Array:
        return np.asarray(fn(v, x), dtype=float) * np.ones_like(v)

    return f


def is_linear_iv(model: Any, x: Array, probe: Array) -> bool:
    """Return True if ``model.current(v, x)`` is linear in v at these states."""
    xs = np.unique(x)[:8]
    vv = probe[:, None] * np.ones((1, xs.size))
    try:
        i = np.asarray(model.current(vv, xs[None, :]), dtype=float)
        g = np.asarray(model.didv(0.0, xs), dtype=float)
    except Exception:  # noqa: BLE001 - a model that cannot broadcast is treated as nonlinear
        return False
    ref = g[None, :] * vv
    return bool(np.all(np.abs(i - ref) <= 1e-9 * np.abs(ref) + 1e-30))


def stamp_conductance(
    rows: list[Any],
    cols: list[Any],
    data: list[Any],
    a: NDArray[np.intp],
    b: NDArray[np.intp],
    g: Array,
) -> None:
    """Vectorised conductance stamps between a and b (index -1 = ground)."""
    if len(a) == 0:
        return
    g = np.broadcast_to(np.asarray(g, dtype=float), a.shape)
    stamp_pair(rows, cols, data, a, a, g)
    stamp_pair(rows, cols, data, b, b, g)
    stamp_pair(rows, cols, data, a, b, -g)
    stamp_pair(rows, cols, data, b, a, -g)


def stamp_pair(
    rows: list[Any],
    cols: list[Any],
    data: list[Any],
    r: NDArray[np.intp],
    c: NDArray[np.intp],
    v: Array,
) -> None:
    """Append COO entries ``(r, c, v)``, dropping any in a ground row or column (index -1)."""
    m = (r >= 0) & (c >= 0)
    rows.append(r[m])
    cols.append(c[m])
    data.append(np.asarray(v, dtype=float)[m])


def stamp_list(
    rows: list[Any], cols: list[Any], data: list[Any], items: list[tuple[int, int, float]]
) -> None:
    """Append scalar COO entries ``(r, c, v)``, skipping ground rows and columns."""
    for r, c, v in items:
        if r >= 0 and c >= 0:
            rows.append(np.array([r], dtype=np.intp))
            cols.append(np.array([c], dtype=np.intp))
            data.append(np.array([v], dtype=float))


__all__ = [
    "NLGroup",
    "bind_state",
    "is_linear_iv",
    "stamp_conductance",
    "stamp_list",
    "stamp_pair",
]
