"""Time-dependent potentials for the overdamped Langevin engine, in natural units.

Every potential here is a polynomial in position whose coefficients follow a protocol in time,

    U(x, t) = sum_k a_k(t) x^k ,

with x in units of the length scale x_m, U in units of kT and t in units of
tau_0 = gamma x_m^2 / kT (see :class:`thermolearn.stochastic.langevin.NaturalUnits`).
The polynomial form covers the double well of Bérut et al. [1]_, the harmonic trap (dragged
and stiffened, for the Jarzynski tests) and the tilted wells of the Szilard engine, and lets
the engine compute force and Sekimoto work increments with a few in-place array passes.

Control parameters follow piecewise-linear :class:`Schedule` objects.

References
----------
.. [1] A. Bérut, A. Arakelyan, A. Petrosyan, S. Ciliberto, R. Dillenschneider, E. Lutz,
   "Experimental verification of Landauer's principle linking information and
   thermodynamics", Nature 483, 187 (2012).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from thermolearn.errors import ParameterError
from thermolearn.validation import check_nonnegative, check_positive, finite_array


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    """A piecewise-linear control parameter lambda(t), held constant outside its knots.

    Parameters
    ----------
    times : array_like
        Knot times in tau_0, non-decreasing, at least one knot.
    values : array_like
        Parameter values at the knots (any unit; the potential says which).
    """

    times: NDArray[np.float64]
    values: NDArray[np.float64]

    def __post_init__(self) -> None:
        t = finite_array(self.times, "times", "Schedule").ravel()
        v = finite_array(self.values, "values", "Schedule").ravel()
        if t.size == 0 or t.size != v.size:
            raise ParameterError(
                "The 'times' and 'values' parameters of Schedule must be non-empty and of equal "
                f"length; got {t.size} and {v.size}."
            )
        if np.any(np.diff(t) < 0):
            raise ParameterError(
                f"The 'times' parameter of Schedule must be non-decreasing; got {t!r}."
            )
        object.__setattr__(self, "times", t)
        object.__setattr__(self, "values", v)

    @classmethod
    def constant(cls, value: float) -> Schedule:
        """Return a schedule that is ``value`` at all times."""
        return cls(times=np.array([0.0]), values=np.array([float(value)]))

    @classmethod
    def ramp(cls, start: float, stop: float, t0: float, t1: float) -> Schedule:
        """Return a linear ramp from ``start`` at ``t0`` to ``stop`` at ``t1``."""
        return cls(times=np.array([t0, t1], float), values=np.array([start, stop], float))

    def __call__(self, t: ArrayLike) -> NDArray[np.float64]:
        """Evaluate the schedule at time(s) ``t`` (tau_0)."""
        return np.asarray(np.interp(np.asarray(t, float), self.times, self.values), float)

    @property
    def end(self) -> float:
        """Time of the last knot (tau_0)."""
        return float(self.times[-1])


def _as_schedule(value: Schedule | float) -> Schedule:
    if isinstance(value, Schedule):
        return value
    return Schedule.constant(float(value))


@dataclass(frozen=True, slots=True, kw_only=True)
class PolynomialPotential:
    """U(x, t) = sum_k a_k(t) x^k with one :class:`Schedule` per coefficient.

    Parameters
    ----------
    coefficients : sequence of Schedule or float
        a_0 .. a_d in kT / x_m^k (a float means a constant coefficient). The degree d must be
        >= 1 and the leading coefficient must keep the potential confining (a_d > 0, d even)
        for the dynamics to be stable; this is checked at the knots.
    duration : float
        Protocol length in tau_0 (defaults to the last knot of any schedule).
    """

    coefficients: tuple[Schedule, ...]
    duration: float = -1.0
    _zero: tuple[bool, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        sch = tuple(_as_schedule(c) for c in self.coefficients)
        if len(sch) < 2:
            raise ParameterError(
                "The 'coefficients' parameter of PolynomialPotential must hold at least 2 "
                f"schedules (degree >= 1); got {len(sch)}."
            )
        lead = sch[-1]
        if (len(sch) - 1) % 2 != 0 or np.any(lead.values <= 0):
            raise ParameterError(
                "The 'coefficients' parameter of PolynomialPotential must have an even degree "
                "and a positive leading coefficient (confining potential); got degree "
                f"{len(sch) - 1} with leading values {lead.values!r}."
            )
        dur = float(self.duration)
        if dur < 0:
            dur = max(s.end for s in sch)
        check_nonnegative(dur, "duration", "PolynomialPotential", "tau_0")
        object.__setattr__(self, "coefficients", sch)
        object.__setattr__(self, "duration", dur)
        zero = tuple(bool(np.all(s.values == 0.0)) for s in sch)
        object.__setattr__(self, "_zero", zero)

    @property
    def degree(self) -> int:
        """Polynomial degree d."""
        return len(self.coefficients) - 1

    def coefficient_table(self, t: ArrayLike) -> NDArray[np.float64]:
        """Coefficients a_k(t) as an array of shape (len(t), d + 1)."""
        tt = np.atleast_1d(np.asarray(t, float))
        return np.stack([s(tt) for s in self.coefficients], axis=1)

    def zero_mask(self) -> tuple[bool, ...]:
        """Which coefficients vanish at all times (the engine skips them)."""
        return self._zero

    def energy(self, x: ArrayLike, t: float) -> NDArray[np.float64]:
        """U(x, t) in kT."""
        a = self.coefficient_table(t)[0]
        return np.asarray(np.polynomial.polynomial.polyval(np.asarray(x, float), a), float)

    def force(self, x: ArrayLike, t: float) -> NDArray[np.float64]:
        """-dU/dx at (x, t) in kT / x_m."""
        a = self.coefficient_table(t)[0]
        d = np.polynomial.polynomial.polyder(a)
        return -np.asarray(np.polynomial.polynomial.polyval(np.asarray(x, float), d), float)


def double_well(
    barrier: float,
    g: Schedule | float = 1.0,
    tilt: Schedule | float = 0.0,
    duration: float = -1.0,
) -> PolynomialPotential:
    """Bérut-type double well U = E_b [x^4 - 2 g(t) x^2] - F(t) x in natural units.

    Parameters
    ----------
    barrier : float
        E_b in kT: the barrier height at g = 1, F = 0 (wells at x = ±1 x_m).
    g : Schedule or float
        Dimensionless barrier control (1: full barrier, 0: single quartic well).
    tilt : Schedule or float
        Tilt force F in kT / x_m (F < 0 pushes the particle to the left well x = -1).
    duration : float
        Protocol length in tau_0 (default: last knot).

    References
    ----------
    Bérut et al., Nature 483, 187 (2012), and Dillenschneider & Lutz, PRL 102, 210601 (2009),
    whose reduced potential this is.
    """
    eb = check_positive(barrier, "barrier", "double_well", "kT")
    gs = _as_schedule(g)
    fs = _as_schedule(tilt)
    a2 = Schedule(times=gs.times, values=-2.0 * eb * gs.values)
    a1 = Schedule(times=fs.times, values=-fs.values)
    return PolynomialPotential(
        coefficients=(Schedule.constant(0.0), a1, a2, Schedule.constant(0.0),
                      Schedule.constant(eb)),
        duration=duration,
    )


def harmonic_trap(
    stiffness: Schedule | float,
    center: Schedule | float = 0.0,
    duration: float = -1.0,
) -> PolynomialPotential:
    """Harmonic trap U = ½ kappa(t) (x - lambda(t))^2 in natural units.

    The constant term ½ kappa lambda^2 is kept, so a dragged trap books the right work. The
    coefficients are set exactly at the union of the knots and interpolated linearly between
    them; when both schedules vary this is a (valid, slightly different) protocol whose end
    points are exact, and for one varying schedule it is exact apart from the x-independent
    a_0, whose work increments telescope to the exact total.

    Parameters
    ----------
    stiffness : Schedule or float
        kappa in kT / x_m^2 (> 0).
    center : Schedule or float
        lambda in x_m.
    duration : float
        Protocol length in tau_0 (default: last knot).
    """
    ks = _as_schedule(stiffness)
    cs = _as_schedule(center)
    if np.any(ks.values <= 0):
        raise ParameterError(
            f"The 'stiffness' parameter of harmonic_trap must be > 0 kT/x_m^2; got {ks.values!r}."
        )
    times = np.union1d(ks.times, cs.times)
    k = ks(times)
    c = cs(times)
    return PolynomialPotential(
        coefficients=(
            Schedule(times=times, values=0.5 * k * c * c),
            Schedule(times=times, values=-k * c),
            Schedule(times=times, values=0.5 * k),
        ),
        duration=duration,
    )


def concatenate_times(durations: Sequence[float]) -> NDArray[np.float64]:
    """Knot times 0, d1, d1+d2, ... for a protocol made of consecutive stages (tau_0)."""
    d = np.asarray([check_nonnegative(v, "durations", "concatenate_times", "tau_0")
                    for v in durations], float)
    return np.concatenate([[0.0], np.cumsum(d)])
