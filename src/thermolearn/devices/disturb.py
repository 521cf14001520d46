"""Read disturb: the largest read voltage a memristor model survives, from its own dynamics.

A read applies a small voltage V for a time t. It is *disturb-free* for ``n_reads`` reads if
the device's own state equation, integrated at constant V for ``n_reads · t``, moves its
conductance by less than half a programming level,
``|G(x(n t)) − G(x(0))| < ½ (G_max − G_min)/(levels − 1)``, from every starting state of its
window. :func:`disturb_free_voltage` finds the largest such |V| for both polarities by
bisection, integrating ``model.step`` (RK4, clipped to the bounds). A threshold model (VTEAM,
Yakopcic) returns its threshold; a model without one (Stanford–PKU, HP linear drift) returns
the voltage at which the accumulated drift reaches half a level — often millivolts.

Reads of both polarities alternate in a real array; the criterion integrates one polarity at a
time (the worst case for a monotone drift).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from thermolearn.devices.base import MemristorModel
from thermolearn.errors import ParameterError
from thermolearn.validation import check_int, check_positive


@dataclass(frozen=True, slots=True)
class DisturbFreeVoltage:
    """Result of :func:`disturb_free_voltage` (V; ``positive`` and ``negative`` are |V|)."""

    positive: float
    negative: float
    read_time: float
    n_reads: float
    levels: int

    @property
    def voltage(self) -> float:
        """The smaller of the two polarities, V."""
        return min(self.positive, self.negative)


def _drift(model: MemristorModel, v: float, x0: np.ndarray, total: float, steps: int,
           v_read: float) -> float:
    """Largest |ΔG| (S) over the starting states after ``total`` seconds at voltage ``v``."""
    x = np.array(x0, dtype=float)
    dt = total / steps
    for _ in range(steps):
        x = model.step(v, x, dt)
    g0 = model.conductance(x0, v_read)
    g1 = model.conductance(x, v_read)
    return float(np.max(np.abs(g1 - g0)))


def disturb_free_voltage(
    model: MemristorModel,
    *,
    read_time: float,
    n_reads: float = 1e6,
    levels: int = 64,
    v_read: float = 0.05,
    v_max: float = 5.0,
    n_states: int = 33,
    steps: int = 64,
    tol: float = 1e-4,
) -> DisturbFreeVoltage:
    """Largest |V| at which ``n_reads`` reads of ``read_time`` move G by < half a level.

    Parameters
    ----------
    model : MemristorModel
        The device (nominal, or a Variability wrapper of shape ()).
    read_time : float
        Duration of one read (one EP phase), s.
    n_reads : float
        Number of reads (default 10⁶).
    levels : int
        Programming levels across the conductance window.
    v_read : float
        Voltage at which conductances are evaluated (chord), V.
    v_max : float
        Upper end of the search, V (returned if even it is disturb-free).
    n_states : int
        Starting states spread uniformly over the state bounds (worst case taken).
    steps : int
        RK4 steps of the integration over n_reads · read_time.
    tol : float
        Bisection tolerance, V.
    """
    if not isinstance(model, MemristorModel):
        raise ParameterError(
            f"The 'model' argument of disturb_free_voltage must be a MemristorModel; got {model!r}."
        )
    t = check_positive(read_time, "read_time", "disturb_free_voltage", "s")
    n = check_positive(n_reads, "n_reads", "disturb_free_voltage")
    lv = check_int(levels, "levels", "disturb_free_voltage", minimum=2)
    lo_b, hi_b = model.state_bounds
    # stay off the hard bounds themselves, where a window pins the state
    x0 = np.linspace(lo_b, hi_b, n_states)[1:-1]
    g = model.conductance(np.array([lo_b, hi_b]), v_read)
    half_level = 0.5 * abs(float(g[1] - g[0])) / (lv - 1)
    total = t * n
    out = []
    for sign in (1.0, -1.0):
        if _drift(model, sign * v_max, x0, total, steps, v_read) < half_level:
            out.append(v_max)
            continue
        a, b = 0.0, v_max
        while b - a > tol:
            mid = 0.5 * (a + b)
            if _drift(model, sign * mid, x0, total, steps, v_read) < half_level:
                a = mid
            else:
                b = mid
        out.append(a)
    return DisturbFreeVoltage(out[0], out[1], t, n, lv)


__all__ = ["DisturbFreeVoltage", "disturb_free_voltage"]
