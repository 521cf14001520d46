"""Time-dependent source waveforms with SPICE semantics: PULSE, PWL and SIN.

Each waveform is a frozen parameter set with a vectorised ``value(t)``, the list of its
breakpoints (corners where a transient solver should land a time point) and its SPICE text.
The formulas follow the ngspice manual, section 4.1 ("Independent sources for specific
analyses"), except that a zero rise or fall time here means an ideal step, while ngspice
replaces it by the print step; give explicit edges when comparing engines.

References
----------
.. [1] H. Vogt et al., *Ngspice User's Manual*, version 39, sections 4.1.1-4.1.4.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from thermolearn.errors import ParameterError
from thermolearn.validation import check_finite, check_nonnegative, check_positive

Array = NDArray[np.float64]


def spice_number(x: float) -> str:
    """Format a float for a netlist so that parsing it back gives the same double."""
    v = float(x)
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


@dataclass(frozen=True, slots=True, kw_only=True)
class Pulse:
    """Trapezoidal pulse train ``PULSE(v1 v2 td tr tf pw per)``.

    Attributes
    ----------
    v1 : float
        Initial (and DC) value, V or A.
    v2 : float
        Pulsed value, V or A.
    td : float
        Delay before the first rising edge, s.
    tr, tf : float
        Rise and fall times, s (0 = ideal step).
    pw : float
        Pulse width at ``v2``, s.
    per : float or None
        Period, s; ``None`` means a single pulse.
    """

    v1: float = 0.0
    v2: float = 1.0
    td: float = 0.0
    tr: float = 0.0
    tf: float = 0.0
    pw: float = 1.0
    per: float | None = None

    def __post_init__(self) -> None:
        owner = "Pulse"
        check_finite(self.v1, "v1", owner)
        check_finite(self.v2, "v2", owner)
        check_nonnegative(self.td, "td", owner, "s")
        check_nonnegative(self.tr, "tr", owner, "s")
        check_nonnegative(self.tf, "tf", owner, "s")
        check_nonnegative(self.pw, "pw", owner, "s")
        if self.per is not None:
            check_positive(self.per, "per", owner, "s")
            if self.per < self.tr + self.pw + self.tf:
                raise ParameterError(
                    f"The 'per' parameter of Pulse must be >= tr + pw + tf "
                    f"({self.tr + self.pw + self.tf} s); got {self.per!r}."
                )

    @property
    def dc(self) -> float:
        """Value at t = 0 (the operating-point value)."""
        return float(self.value(0.0))

    def value(self, t: ArrayLike) -> Array:
        """Waveform value at time(s) ``t`` (s)."""
        tt = np.asarray(t, dtype=float) - self.td
        if self.per is not None:
            tt = np.where(tt >= 0, np.mod(tt, self.per), tt)
        v1, v2 = self.v1, self.v2
        out = np.full(tt.shape, v1, dtype=float)
        rising = (tt >= 0) & (tt < self.tr)
        if self.tr > 0:
            out = np.where(rising, v1 + (v2 - v1) * tt / self.tr, out)
        top = (tt >= self.tr) & (tt <= self.tr + self.pw)
        out = np.where(top, v2, out)
        t_f = tt - self.tr - self.pw
        falling = (t_f > 0) & (t_f < self.tf)
        if self.tf > 0:
            out = np.where(falling, v2 + (v1 - v2) * t_f / self.tf, out)
        return out

    def breakpoints(self, t_stop: float) -> list[float]:
        """Corner times in [0, t_stop]."""
        corners = [0.0, self.tr, self.tr + self.pw, self.tr + self.pw + self.tf]
        pts: list[float] = []
        k = 0
        while True:
            base = self.td + (k * self.per if self.per is not None else 0.0)
            if base > t_stop:
                break
            pts.extend(base + c for c in corners if base + c <= t_stop)
            if self.per is None:
                break
            k += 1
        return sorted(set(pts))

    def spice(self) -> str:
        """SPICE source specification."""
        args = [self.v1, self.v2, self.td, self.tr, self.tf, self.pw]
        if self.per is not None:
            args.append(self.per)
        return "PULSE(" + " ".join(spice_number(a) for a in args) + ")"


@dataclass(frozen=True, slots=True, kw_only=True)
class PWL:
    """Piecewise-linear waveform ``PWL(t1 v1 t2 v2 ...)``; constant outside the points.

    Attributes
    ----------
    times : tuple of float
        Strictly increasing time points, s (the first >= 0).
    values : tuple of float
        Values at those times, V or A.
    """

    times: tuple[float, ...] = field(default=(0.0,))
    values: tuple[float, ...] = field(default=(0.0,))

    def __post_init__(self) -> None:
        t = np.asarray(self.times, dtype=float)
        v = np.asarray(self.values, dtype=float)
        if t.ndim != 1 or t.size == 0 or t.shape != v.shape:
            raise ParameterError(
                "The 'times' and 'values' parameters of PWL must be non-empty 1-D sequences of "
                f"equal length; got {len(t.ravel())} times and {len(v.ravel())} values."
            )
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(v))):
            raise ParameterError("The 'times'/'values' parameters of PWL must be finite.")
        if t[0] < 0 or np.any(np.diff(t) <= 0):
            raise ParameterError(
                f"The 'times' parameter of PWL must be >= 0 and strictly increasing; "
                f"got {tuple(t)!r}."
            )
        object.__setattr__(self, "times", tuple(float(a) for a in t))
        object.__setattr__(self, "values", tuple(float(a) for a in v))

    @property
    def dc(self) -> float:
        """Value at t = 0."""
        return float(self.value(0.0))

    def value(self, t: ArrayLike) -> Array:
        """Waveform value at time(s) ``t`` (s)."""
        out: Array = np.interp(np.asarray(t, dtype=float), self.times, self.values)
        return out

    def breakpoints(self, t_stop: float) -> list[float]:
        """Corner times in [0, t_stop]."""
        return [t for t in self.times if t <= t_stop]

    def spice(self) -> str:
        """SPICE source specification."""
        pairs = " ".join(
            f"{spice_number(t)} {spice_number(v)}"
            for t, v in zip(self.times, self.values, strict=True)
        )
        return f"PWL({pairs})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Sine:
    """Damped sine ``SIN(vo va freq td theta phase)``.

    ``v(t) = vo + va sin(phi)`` for ``t <= td``, else
    ``vo + va exp(-(t-td) theta) sin(2 pi freq (t-td) + phi)``, ``phi = phase pi/180``
    (ngspice ``vsrcload.c``).

    Attributes
    ----------
    vo : float
        Offset, V or A.
    va : float
        Amplitude, V or A.
    freq : float
        Frequency, Hz.
    td : float
        Delay, s.
    theta : float
        Damping factor, 1/s.
    phase : float
        Phase at ``td``, degrees.
    """

    vo: float = 0.0
    va: float = 1.0
    freq: float = 1.0
    td: float = 0.0
    theta: float = 0.0
    phase: float = 0.0

    def __post_init__(self) -> None:
        owner = "Sine"
        check_finite(self.vo, "vo", owner)
        check_finite(self.va, "va", owner)
        check_positive(self.freq, "freq", owner, "Hz")
        check_nonnegative(self.td, "td", owner, "s")
        check_nonnegative(self.theta, "theta", owner, "1/s")
        check_finite(self.phase, "phase", owner)

    @property
    def dc(self) -> float:
        """Value at t = 0."""
        return float(self.value(0.0))

    def value(self, t: ArrayLike) -> Array:
        """Waveform value at time(s) ``t`` (s)."""
        tt = np.asarray(t, dtype=float) - self.td
        phi = np.deg2rad(self.phase)
        on = self.vo + self.va * np.exp(-np.maximum(tt, 0) * self.theta) * np.sin(
            2 * np.pi * self.freq * tt + phi
        )
        return np.where(tt <= 0, self.vo + self.va * np.sin(phi), on)

    def breakpoints(self, t_stop: float) -> list[float]:
        """Corner times in [0, t_stop]."""
        return [0.0] + ([self.td] if 0 < self.td <= t_stop else [])

    def spice(self) -> str:
        """SPICE source specification."""
        args = [self.vo, self.va, self.freq, self.td, self.theta]
        if self.phase != 0.0:
            args.append(self.phase)
        return "SIN(" + " ".join(spice_number(a) for a in args) + ")"


@dataclass(frozen=True, slots=True, kw_only=True)
class Exp:
    """Exponential pulse ``EXP(v1 v2 td1 tau1 td2 tau2)`` (ngspice ``vsrcload.c``).

    ``v1`` until ``td1``; then ``v1 + (v2 - v1)(1 - exp(-(t - td1)/tau1))``; after ``td2`` the
    decay ``+ (v1 - v2)(1 - exp(-(t - td2)/tau2))`` is added.

    Attributes
    ----------
    v1, v2 : float
        Initial and pulsed value, V or A.
    td1, td2 : float
        Rise and fall delays, s (``td2 >= td1``).
    tau1, tau2 : float
        Rise and fall time constants, s.
    """

    v1: float = 0.0
    v2: float = 1.0
    td1: float = 0.0
    tau1: float = 1.0
    td2: float = 1.0
    tau2: float = 1.0

    def __post_init__(self) -> None:
        owner = "Exp"
        check_finite(self.v1, "v1", owner)
        check_finite(self.v2, "v2", owner)
        check_nonnegative(self.td1, "td1", owner, "s")
        check_positive(self.tau1, "tau1", owner, "s")
        check_nonnegative(self.td2, "td2", owner, "s")
        check_positive(self.tau2, "tau2", owner, "s")
        if self.td2 < self.td1:
            raise ParameterError(
                f"The 'td2' parameter of Exp must be >= td1 ({self.td1} s); got {self.td2!r}."
            )

    @property
    def dc(self) -> float:
        """Value at t = 0."""
        return float(self.value(0.0))

    def value(self, t: ArrayLike) -> Array:
        """Waveform value at time(s) ``t`` (s)."""
        tt = np.asarray(t, dtype=float)
        rise = (self.v2 - self.v1) * -np.expm1(-np.maximum(tt - self.td1, 0.0) / self.tau1)
        fall = (self.v1 - self.v2) * -np.expm1(-np.maximum(tt - self.td2, 0.0) / self.tau2)
        return np.asarray(self.v1 + rise + fall, dtype=float)

    def breakpoints(self, t_stop: float) -> list[float]:
        """Corner times in [0, t_stop]."""
        return sorted({0.0} | {b for b in (self.td1, self.td2) if b <= t_stop})

    def spice(self) -> str:
        """SPICE source specification."""
        args = [self.v1, self.v2, self.td1, self.tau1, self.td2, self.tau2]
        return "EXP(" + " ".join(spice_number(a) for a in args) + ")"


Waveform = Pulse | PWL | Sine | Exp

__all__ = ["Exp", "Pulse", "PWL", "Sine", "Waveform", "spice_number"]
