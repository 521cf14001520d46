"""The transient of one device under a given drive, from its own state ODE.

The drive is a piecewise-linear (PWL) voltage ``v(t)`` given by samples ``(t, v)``.
:func:`integrate_iv` integrates the model's state ODE with classical RK4 on a grid that
contains every PWL corner and is refined to ``max_step``; the drive is evaluated exactly on
each linear segment. The same run on the model's SPICE twin in ngspice is
:func:`thermolearn.circuit.device_iv.simulate_iv` (``engine="ngspice"``), in the circuit layer
because it builds a circuit. Results hold time, voltage, current (p -> n through the device)
and state in the model's units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from thermolearn.devices.base import Array, MemristorModel
from thermolearn.errors import ParameterError
from thermolearn.validation import check_positive, finite_array


@dataclass
class IVResult:
    """Transient of one device.

    Attributes
    ----------
    engine : str
        ``"python"`` or ``"ngspice"``.
    time : ndarray
        Time points (s).
    voltage : ndarray
        Device voltage V(p) - V(n) (V).
    current : ndarray
        Current p -> n through the device (A).
    state : ndarray
        State in the model's units (see the model's ``state_bounds``).
    """

    engine: str
    time: Array
    voltage: Array
    current: Array
    state: Array
    info: dict[str, Any] = field(default_factory=dict)

    def energy(self) -> float:
        """Energy delivered to the device, the trapezoidal integral of V I dt (J)."""
        return float(np.trapezoid(self.voltage * self.current, self.time))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready lists."""
        return {
            "engine": self.engine,
            "time": self.time.tolist(),
            "voltage": self.voltage.tolist(),
            "current": self.current.tolist(),
            "state": self.state.tolist(),
        }


def sine_drive(
    amplitude: float, frequency: float, periods: float = 2.0, points_per_period: int = 400
) -> tuple[Array, Array]:
    """Return samples ``(t, v)`` of ``amplitude * sin(2 pi f t)`` for ``periods`` periods.

    The samples include every zero crossing exactly (``v`` is set to 0.0 there).
    """
    check_positive(amplitude, "amplitude", "sine_drive", "V")
    check_positive(frequency, "frequency", "sine_drive", "Hz")
    check_positive(periods, "periods", "sine_drive")
    n = int(round(points_per_period * periods))
    if n < 8 or points_per_period % 2:
        raise ParameterError(
            "The 'points_per_period' parameter of sine_drive must be an even integer giving "
            f">= 8 samples; got {points_per_period!r}."
        )
    k = np.arange(n + 1)
    t = k / (points_per_period * frequency)
    v = amplitude * np.sin(2 * np.pi * k / points_per_period)
    v[k % (points_per_period // 2) == 0] = 0.0
    return t, v


def check_drive(t: ArrayLike, v: ArrayLike, owner: str) -> tuple[Array, Array]:
    """Return the drive ``(t, v)`` as finite 1-D arrays of equal length, t increasing."""
    tt = finite_array(t, "t", owner)
    vv = finite_array(v, "v", owner)
    if tt.ndim != 1 or vv.shape != tt.shape or tt.size < 2:
        raise ParameterError(
            f"The drive of {owner} must be two 1-D arrays t and v of equal length >= 2; "
            f"got shapes {tt.shape} and {vv.shape}."
        )
    if not np.all(np.diff(tt) > 0):
        raise ParameterError(f"The 't' argument of {owner} must be strictly increasing.")
    return tt, vv


def refine_grid(t: Array, max_step: float) -> tuple[Array, Array]:
    """Split each PWL segment into equal steps no longer than ``max_step``.

    Returns the fine grid and the indices in it of the original points.
    """
    n_sub = np.maximum(1, np.ceil(np.diff(t) / max_step - 1e-9)).astype(int)
    idx = np.concatenate([[0], np.cumsum(n_sub)])
    fine = np.empty(idx[-1] + 1)
    for k in range(t.size - 1):
        fine[idx[k] : idx[k + 1]] = np.linspace(t[k], t[k + 1], n_sub[k], endpoint=False)
    fine[-1] = t[-1]
    return fine, idx


def integrate_pwl(
    model: MemristorModel, x0: ArrayLike, t: Array, v: Array, max_step: float
) -> tuple[Array, Array, Array, Array]:
    """RK4 integration of the state under a PWL drive; energy integrated alongside.

    Returns (state at the original times, current at the original times, energy to each
    original time (J, Simpson-exact per step), final state). ``x0`` may be an array of
    devices; all of them see the same drive.
    """
    fine, idx = refine_grid(t, max_step)
    vf = np.interp(fine, t, v)
    x = model.clip(np.asarray(x0, dtype=float))
    xs = np.empty((t.size, *x.shape))
    es = np.zeros((t.size, *x.shape))
    e = np.zeros(x.shape)
    xs[0] = x
    out = 1
    for k in range(fine.size - 1):
        h = fine[k + 1] - fine[k]
        va, vb = vf[k], vf[k + 1]
        vm = 0.5 * (va + vb)
        k1 = model.dxdt(va, x)
        x2 = model.clip(x + 0.5 * h * k1)
        k2 = model.dxdt(vm, x2)
        x3 = model.clip(x + 0.5 * h * k2)
        k3 = model.dxdt(vm, x3)
        x4 = model.clip(x + h * k3)
        k4 = model.dxdt(vb, x4)
        xn = model.clip(x + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4))
        # energy: RK4 on dE/dt = v i(v, x) uses the same stages
        e = e + h / 6.0 * (
            va * model.current(va, x)
            + 2 * vm * model.current(vm, x2)
            + 2 * vm * model.current(vm, x3)
            + vb * model.current(vb, x4)
        )
        x = xn
        if k + 1 == idx[out]:
            xs[out] = x
            es[out] = e
            out += 1
    vb_ = v.reshape((-1,) + (1,) * x.ndim)
    cur = model.current(vb_, xs)
    return xs, cur, es, x


def default_max_step(t: Array, max_step: float | None, owner: str) -> float:
    """Largest integration step (s): ``max_step`` if given, else ``(t[-1] - t[0]) / 20000``."""
    if max_step is None:
        return float(t[-1] - t[0]) / 20000.0
    return check_positive(max_step, "max_step", owner, "s")


def integrate_iv(
    model: MemristorModel, x0: float, t: ArrayLike, v: ArrayLike, *, max_step: float | None = None
) -> IVResult:
    """Transient of one device under the PWL drive ``(t, v)`` from its own state ODE (RK4).

    The ``"python"`` engine of :func:`thermolearn.circuit.device_iv.simulate_iv`, which also
    runs the device's SPICE twin in ngspice.

    Parameters
    ----------
    model : MemristorModel
        The device.
    x0 : float
        Initial state (model units).
    t, v : array_like
        PWL drive samples (s, V); ``t`` strictly increasing.
    max_step : float, optional
        Largest integration step (s); default ``(t[-1] - t[0]) / 20000``.

    Returns
    -------
    IVResult
        Values at the drive samples.
    """
    owner = "simulate_iv"
    tt, vv = check_drive(t, v, owner)
    x0f = float(finite_array(x0, "x0", owner))
    step = default_max_step(tt, max_step, owner)
    xs, cur, es, _ = integrate_pwl(model, x0f, tt, vv, step)
    return IVResult("python", tt, vv, cur, xs, {"energy": es, "max_step": step})


def compare(reference: IVResult, other: IVResult, model: MemristorModel) -> dict[str, float]:
    """Deviation of ``other`` from ``reference`` on the reference's time grid.

    Returns ``current_rel`` (max |ΔI| / max |I_ref|), ``state_abs`` (max |Δx| in model
    units), ``state_rel`` (``state_abs`` over the width of ``state_bounds``) and
    ``energy_rel`` (relative difference of ∫V I dt).
    """
    t = reference.time
    i_o = np.interp(t, other.time, other.current)
    x_o = np.interp(t, other.time, other.state)
    peak = float(np.max(np.abs(reference.current)))
    lo, hi = model.state_bounds
    dx = float(np.max(np.abs(reference.state - x_o)))
    e_ref, e_o = reference.energy(), other.energy()
    return {
        "current_rel": float(np.max(np.abs(reference.current - i_o)) / peak) if peak > 0 else 0.0,
        "state_abs": dx,
        "state_rel": dx / (hi - lo),
        "energy_rel": abs(e_o - e_ref) / abs(e_ref) if e_ref != 0 else 0.0,
    }


def drive_period(time: ArrayLike, voltage: ArrayLike) -> float:
    """Period (s) of a periodic drive: twice the median spacing of its zero crossings.

    Crossings are sign changes of ``voltage`` (linearly interpolated) and samples equal to 0
    (:func:`sine_drive` samples every crossing exactly). Raises ParameterError with fewer than
    two crossings.
    """
    t = np.asarray(time, dtype=np.float64)
    v = np.asarray(voltage, dtype=np.float64)
    zeros = list(t[v == 0.0])
    k = np.nonzero(v[:-1] * v[1:] < 0)[0]
    zeros += list(t[k] - v[k] * (t[k + 1] - t[k]) / (v[k + 1] - v[k]))
    c = np.unique(np.asarray(zeros))
    if c.size < 2:
        raise ParameterError(
            "drive_period needs a drive with at least two zero crossings (half a period); "
            f"got {c.size}."
        )
    return float(2.0 * np.median(np.diff(c)))


def lobe_area(result: IVResult, period: float | None = None) -> float:
    """Normalised pinched-loop lobe area over the last full period of a periodic drive.

    The sum of |∮ I dV| over the positive and the negative half-cycles of the last full period,
    divided by max|V| · max|I| over that period (dimensionless; 0 for a memoryless resistor).
    Only the last period counts, so a loop that repeats gives the same value for 1, 2 or 3
    periods of drive. The period ends at the last zero crossing of the drive.

    Parameters
    ----------
    result : IVResult
        The transient.
    period : float, optional
        Drive period (s); default :func:`drive_period` of the result's voltage.
    """
    t, v, i = result.time, result.voltage, result.current
    T = drive_period(t, v) if period is None else float(period)
    check_positive(T, "period", "lobe_area", "s")
    tol = 1e-9 * T
    zeros = t[v == 0.0]
    k = np.nonzero(v[:-1] * v[1:] < 0)[0]
    last = max([*zeros, *(t[k + 1] if k.size else [])], default=t[-1])
    end = min(float(last), float(t[-1]))
    mask = (t >= end - T - tol) & (t <= end + tol)
    if t[0] > end - T + tol:  # less than one period recorded: use what there is
        mask = t <= end + tol
    v, i = v[mask], i[mask]
    dv = np.diff(v)
    im = 0.5 * (i[1:] + i[:-1])
    vm = 0.5 * (v[1:] + v[:-1])
    pos = abs(float(np.sum((im * dv)[vm > 0])))
    neg = abs(float(np.sum((im * dv)[vm < 0])))
    scale = float(np.max(np.abs(v)) * np.max(np.abs(i)))
    return (pos + neg) / scale if scale > 0 else 0.0


__all__ = [
    "IVResult",
    "check_drive",
    "default_max_step",
    "integrate_iv",
    "sine_drive",
    "refine_grid",
    "integrate_pwl",
    "compare",
    "drive_period",
    "lobe_area",
]
