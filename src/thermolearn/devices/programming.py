"""Programming and read API: apply a pulse or a waveform, get the new state and its energy.

The energy of a pulse is the integral of V·I over the pulse, integrated with the same RK4
stages as the state (so it is consistent with the state trajectory), per device. It is
booked as ``"program"`` (or ``"read"``) with ``source="simulated"`` when a ledger is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from thermolearn.devices.base import Array, MemristorModel
from thermolearn.devices.simulate import integrate_pwl
from thermolearn.errors import ParameterError
from thermolearn.validation import (
    check_finite,
    check_int,
    check_nonnegative,
    check_positive,
    finite_array,
)

#: An ideal (zero-time) edge is modelled as a linear ramp of this fraction of the width, so
#: that the PWL drive is continuous and both engines see the same waveform.
IDEAL_EDGE_FRACTION = 1e-3


@dataclass(frozen=True, slots=True, kw_only=False)
class Pulse:
    """A trapezoidal voltage pulse.

    Parameters
    ----------
    amplitude : float
        Plateau voltage (V), either sign.
    width : float
        Plateau duration (s).
    rise, fall : float
        Linear ramp durations (s); 0 means an ideal edge, modelled as a ramp of
        ``IDEAL_EDGE_FRACTION * width``.
    """

    amplitude: float
    width: float
    rise: float = 0.0
    fall: float = 0.0

    def __post_init__(self) -> None:
        check_finite(self.amplitude, "amplitude", "Pulse")
        check_positive(self.width, "width", "Pulse", "s")
        check_nonnegative(self.rise, "rise", "Pulse", "s")
        check_nonnegative(self.fall, "fall", "Pulse", "s")

    def pwl(self) -> tuple[Array, Array]:
        """Corner points ``(t, v)`` of the pulse, starting and ending at 0 V."""
        edge = IDEAL_EDGE_FRACTION * self.width
        r = self.rise if self.rise > 0 else edge
        f = self.fall if self.fall > 0 else edge
        a = float(self.amplitude)
        t = np.array([0.0, r, r + self.width, r + self.width + f])
        return t, np.array([0.0, a, a, 0.0])

    @property
    def duration(self) -> float:
        """Total duration (s) including the edges."""
        return float(self.pwl()[0][-1])


@dataclass(frozen=True, slots=True)
class Waveform:
    """An arbitrary piecewise-linear voltage waveform ``(t, v)``; ``t`` starts at 0."""

    t: Array
    v: Array

    def __post_init__(self) -> None:
        t = finite_array(self.t, "t", "Waveform")
        v = finite_array(self.v, "v", "Waveform")
        if t.ndim != 1 or t.shape != v.shape or t.size < 2:
            raise ParameterError(
                f"The 't' and 'v' arguments of Waveform must be 1-D of equal length >= 2; "
                f"got shapes {t.shape} and {v.shape}."
            )
        if t[0] != 0.0 or not np.all(np.diff(t) > 0):
            raise ParameterError(
                "The 't' argument of Waveform must start at 0 and increase strictly."
            )
        object.__setattr__(self, "t", t)
        object.__setattr__(self, "v", v)

    def pwl(self) -> tuple[Array, Array]:
        """Return the PWL corner points."""
        return self.t, self.v

    @property
    def duration(self) -> float:
        """Total duration (s)."""
        return float(self.t[-1])

    @classmethod
    def train(cls, pulse: Pulse, count: int, period: float) -> Waveform:
        """``count`` copies of ``pulse`` every ``period`` seconds (0 V between them)."""
        n = check_int(count, "count", "Waveform.train", minimum=1)
        per = check_positive(period, "period", "Waveform.train", "s")
        tp, vp = pulse.pwl()
        if per < tp[-1]:
            raise ParameterError(
                f"The 'period' parameter of Waveform.train must be >= the pulse duration "
                f"{tp[-1]!r} s; got {period!r}."
            )
        ts = [tp + k * per for k in range(n)]
        vs = [vp] * n
        t = np.concatenate(ts)
        v = np.concatenate(vs)
        keep = np.concatenate([[True], np.diff(t) > 0])
        return cls(t[keep], v[keep])


@dataclass
class ProgramResult:
    """Outcome of :func:`program`.

    Attributes
    ----------
    x_new : ndarray
        State after the pulse (model units), same shape as the ``x`` given.
    energy_joules : ndarray
        ∫V·I dt per device (J).
    duration : float
        Length of the drive (s).
    time, voltage : ndarray
        The drive's corner points.
    current, state : ndarray
        Current (A) and state at those points, shape (n_points, *x.shape).
    """

    x_new: Array
    energy_joules: Array
    duration: float
    time: Array
    voltage: Array
    current: Array
    state: Array

    @property
    def total_energy(self) -> float:
        """Sum of the per-device energies (J)."""
        return float(np.sum(self.energy_joules))


@dataclass
class ReadResult:
    """Outcome of :func:`read`: currents (A), chord conductances (S), energy (J), state."""

    current: Array
    conductance: Array
    energy_joules: Array
    x_new: Array


def _drive(waveform: Any) -> tuple[Array, Array]:
    if isinstance(waveform, Pulse | Waveform):
        return waveform.pwl()
    raise ParameterError(
        f"The 'waveform' argument of program must be a Pulse or a Waveform; got {waveform!r}."
    )


def program(
    model: MemristorModel,
    x: ArrayLike,
    waveform: Pulse | Waveform,
    *,
    dt: float | None = None,
    ledger: Any = None,
    category: str = "program",
) -> ProgramResult:
    """Apply a pulse or waveform to one device or an array of devices.

    Parameters
    ----------
    model : MemristorModel
        The device model (a :class:`~thermolearn.devices.variability.Variability` wrapper
        adds its cycle-to-cycle noise after the pulse).
    x : array_like
        Initial state(s).
    waveform : Pulse or Waveform
        The drive, applied to every device.
    dt : float, optional
        Largest RK4 step (s); default duration/1000 (and never more than width/100).
    ledger : EnergyLedger, optional
        If given, the summed energy is booked under ``category`` (source "simulated").

    Returns
    -------
    ProgramResult
    """
    xs = finite_array(x, "x", "program")
    t, v = _drive(waveform)
    dur = float(t[-1])
    if dt is None:
        step = dur / 1000.0
        if isinstance(waveform, Pulse):
            step = min(step, waveform.width / 100.0)
    else:
        step = check_positive(dt, "dt", "program", "s")
    states, cur, energy, x_end = integrate_pwl(model, xs, t, v, step)
    e = energy[-1]
    hook = getattr(model, "after_program", None)
    if hook is not None:
        x_end = hook(xs, x_end)
    if ledger is not None:
        ledger.book(category, float(np.sum(e)), source="simulated", count=int(np.size(e)))
    return ProgramResult(x_end, e, dur, t, v, cur, states)


def read(
    model: MemristorModel,
    x: ArrayLike,
    v_read: float = 0.1,
    *,
    duration: float = 10e-9,
    n_reads: int = 1,
    ledger: Any = None,
) -> ReadResult:
    """Read one device or an array: current at ``v_read`` and the read's disturbance.

    ``n_reads`` identical square reads of length ``duration`` (0 V between them) move the
    state exactly as one read of ``n_reads * duration`` would, because every model here is
    still at 0 V (dx/dt = 0 when I = 0); the state is integrated over that total time.
    Read noise is added when ``model`` is a Variability wrapper with read noise enabled.

    Returns
    -------
    ReadResult
        ``current`` and ``conductance`` at the state *before* the read(s); ``energy`` is
        ∫V·I dt over all reads; ``x_new`` the disturbed state.
    """
    xs = finite_array(x, "x", "read")
    vr = check_finite(v_read, "v_read", "read")
    if vr == 0.0:
        raise ParameterError("The 'v_read' parameter of read must be non-zero; got 0.0.")
    dur = check_positive(duration, "duration", "read", "s")
    n = check_int(n_reads, "n_reads", "read", minimum=1)
    total = dur * n
    t = np.array([0.0, total])
    v = np.array([vr, vr])
    _, _, energy, x_end = integrate_pwl(model, xs, t, v, total / 64.0)
    cur = model.current(vr, xs)
    noisy = getattr(model, "read_current", None)
    if noisy is not None:
        cur = noisy(vr, xs, dur)
    e = energy[-1]
    if ledger is not None:
        ledger.book("read", float(np.sum(e)), source="simulated", count=int(np.size(e)) * n)
    return ReadResult(cur, cur / vr, e, x_end)


__all__ = ["Pulse", "Waveform", "ProgramResult", "ReadResult", "program", "read"]
