"""Non-idealities that wrap any memristor model without forking it.

:class:`Variability` is itself a :class:`~thermolearn.devices.base.MemristorModel` over an
array of ``shape`` devices. It draws, once, from an injected ``numpy.random.Generator``:

* device-to-device spread: a lognormal gain on each device's current (its conductance
  scale) and another on its state velocity (its switching speed);
* stuck-at faults: devices frozen at the low or high end of the state range.

and applies, on use:

* cycle-to-cycle noise after every programming pulse (:func:`program` calls
  :meth:`after_program`): Gaussian, σ = ``c2c_sigma`` × |Δx| + ``c2c_floor`` × (state range);
* read noise (:meth:`read_current`): Johnson current noise sqrt(4 k T G B) with the read's
  noise bandwidth B = 1/(2 t_read), plus optional 1/f noise S_I = K_f I^2 / f integrated
  from ``flicker_f_min`` to B;
* finite levels (:meth:`quantize`): states snapped to ``levels`` equally spaced values;
* retention drift (:meth:`drift`): relaxation towards ``x_rest`` with time constant
  ``retention_tau``.

References
----------
.. [1] J. B. Johnson, Phys. Rev. 32, 97 (1928) (thermal noise).
.. [2] F. N. Hooge, "1/f noise is no surface effect", Phys. Lett. A 29, 139 (1969).
.. [3] REFERENCES.md: cycle-to-cycle σ/μ of 5-10 % (LRS) to 10-50 % (HRS) in oxide RRAM.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from thermolearn.devices.base import Array, MemristorModel
from thermolearn.errors import ParameterError, ThermolearnError
from thermolearn.physics import K_B, T_ROOM
from thermolearn.validation import check_int, check_nonnegative, check_positive, check_range


@dataclass(frozen=True, slots=True, kw_only=True)
class VariabilityParams:
    """Magnitudes of the non-idealities (all default to an ideal device).

    Attributes
    ----------
    d2d_sigma : float
        Log-standard deviation of the per-device current (conductance) gain.
    d2d_rate_sigma : float
        Log-standard deviation of the per-device state-velocity gain.
    c2c_sigma : float
        Relative cycle-to-cycle noise, in units of the programmed change |Δx|.
    c2c_floor : float
        Absolute cycle-to-cycle noise per pulse, in units of the state range.
    read_noise : bool
        Add Johnson (and 1/f) noise to reads.
    temperature : float or None
        Noise temperature (K); ``None`` (default) takes the temperature of the
        :class:`~thermolearn.hardware.Hardware` it belongs to, or
        :data:`~thermolearn.physics.T_ROOM` on its own.
    flicker_coefficient : float
        K_f of S_I = K_f I^2 / f (dimensionless; 0 disables 1/f noise).
    flicker_f_min : float
        Lower frequency limit of the 1/f integration (Hz).
    levels : int or None
        Number of distinguishable states (>= 2), or None for continuous states.
    stuck_low_fraction, stuck_high_fraction : float
        Fractions of devices stuck at the low/high end of the state range.
    retention_tau : float
        Retention time constant (s); ``inf`` disables drift.
    x_rest : float or None
        State the devices relax to (model units); default the lower bound.
    """

    d2d_sigma: float = 0.0
    d2d_rate_sigma: float = 0.0
    c2c_sigma: float = 0.0
    c2c_floor: float = 0.0
    read_noise: bool = False
    temperature: float | None = None
    flicker_coefficient: float = 0.0
    flicker_f_min: float = 1.0
    levels: int | None = None
    stuck_low_fraction: float = 0.0
    stuck_high_fraction: float = 0.0
    retention_tau: float = math.inf
    x_rest: float | None = None

    def __post_init__(self) -> None:
        o = "Variability"
        check_nonnegative(self.d2d_sigma, "d2d_sigma", o)
        check_nonnegative(self.d2d_rate_sigma, "d2d_rate_sigma", o)
        check_nonnegative(self.c2c_sigma, "c2c_sigma", o)
        check_nonnegative(self.c2c_floor, "c2c_floor", o)
        if self.temperature is not None:
            check_positive(self.temperature, "temperature", o, "K")
        check_nonnegative(self.flicker_coefficient, "flicker_coefficient", o)
        check_positive(self.flicker_f_min, "flicker_f_min", o, "Hz")
        if self.levels is not None:
            check_int(self.levels, "levels", o, minimum=2)
        check_range(self.stuck_low_fraction, "stuck_low_fraction", o, 0.0, 1.0)
        check_range(self.stuck_high_fraction, "stuck_high_fraction", o, 0.0, 1.0)
        if self.stuck_low_fraction + self.stuck_high_fraction > 1.0:
            raise ParameterError(
                f"The stuck fractions of {o} must add up to <= 1; got "
                f"{self.stuck_low_fraction!r} + {self.stuck_high_fraction!r}."
            )
        if not (self.retention_tau > 0):
            raise ParameterError(
                f"The 'retention_tau' parameter of {o} must be > 0 s (inf disables drift); "
                f"got {self.retention_tau!r}."
            )


def read_noise_variance(
    conductance: ArrayLike,
    current_squared: ArrayLike,
    bandwidth: float,
    temperature: float,
    *,
    flicker_coefficient: float = 0.0,
    flicker_f_min: float = 1.0,
) -> Array:
    """Variance (A²) of a read current: Johnson 4kTGB plus 1/f noise K_f I² ln(B / f_min).

    Parameters
    ----------
    conductance : array_like
        Conductance whose thermal noise is read, S (a sum of parallel cells adds up).
    current_squared : array_like
        Squared DC read current through it, A² (a sum over independent cells adds up).
    bandwidth : float
        Noise bandwidth B of the read, Hz (1/(2 t_read) for an integration time t_read).
    temperature : float
        Noise temperature, K.
    flicker_coefficient, flicker_f_min : float
        K_f of S_I = K_f I²/f (dimensionless) and the lower end of its integration, Hz; the
        1/f term is zero when K_f = 0 or B <= f_min.

    References
    ----------
    .. [1] J. B. Johnson, Phys. Rev. 32, 97 (1928); F. N. Hooge, Phys. Lett. A 29, 139 (1969).
    """
    var = 4.0 * K_B * float(temperature) * np.asarray(conductance, dtype=float) * bandwidth
    if flicker_coefficient > 0 and bandwidth > flicker_f_min:
        var = var + flicker_coefficient * np.asarray(current_squared, dtype=float) * math.log(
            bandwidth / flicker_f_min
        )
    return np.asarray(var, dtype=np.float64)


class Variability(MemristorModel):
    """An array of ``shape`` devices of ``model`` with sampled and per-use non-idealities.

    Parameters
    ----------
    model : MemristorModel
        The nominal device (not modified).
    shape : int or tuple of int
        Shape of the device array; states passed in must broadcast to it.
    params : VariabilityParams, optional
        Magnitudes; keyword arguments build one when omitted.
    rng : numpy.random.Generator
        Source of every random draw (required for reproducibility).
    """

    name = "variability"

    def __init__(
        self,
        model: MemristorModel,
        shape: int | tuple[int, ...],
        params: VariabilityParams | None = None,
        *,
        rng: np.random.Generator,
        **kwargs: Any,
    ) -> None:
        if not isinstance(model, MemristorModel):
            raise ParameterError(
                f"The 'model' argument of Variability must be a MemristorModel; got {model!r}."
            )
        if not isinstance(rng, np.random.Generator):
            raise ParameterError(
                f"The 'rng' argument of Variability must be a numpy.random.Generator; got {rng!r}."
            )
        self.model = model
        self.params = params if params is not None else VariabilityParams(**kwargs)
        self.rng = rng
        self.shape = (shape,) if isinstance(shape, int | np.integer) else tuple(shape)
        pr = self.params
        lo, hi = model.state_bounds
        self.current_gain = np.exp(pr.d2d_sigma * rng.standard_normal(self.shape))
        self.rate_gain = np.exp(pr.d2d_rate_sigma * rng.standard_normal(self.shape))
        u = rng.random(self.shape)
        self.stuck_low = u < pr.stuck_low_fraction
        self.stuck_high = (~self.stuck_low) & (u < pr.stuck_low_fraction + pr.stuck_high_fraction)
        self.stuck = self.stuck_low | self.stuck_high
        self._stuck_value = np.where(self.stuck_low, lo, hi)
        self.x_rest = lo if pr.x_rest is None else float(pr.x_rest)

    # -- contract ------------------------------------------------------------------------
    @property
    def state_bounds(self) -> tuple[float, float]:
        """Those of the wrapped model."""
        return self.model.state_bounds

    def _pin(self, x: ArrayLike) -> Array:
        return np.where(self.stuck, self._stuck_value, np.asarray(x, dtype=float))

    def current(self, v: ArrayLike, x: ArrayLike) -> Array:
        """Nominal current × per-device gain, stuck devices at their stuck state (A)."""
        return np.asarray(self.current_gain * self.model.current(v, self._pin(x)), dtype=np.float64)

    def dxdt(self, v: ArrayLike, x: ArrayLike) -> Array:
        """Nominal velocity × per-device gain; zero for stuck devices."""
        nominal = self.model.dxdt(v, x)
        if not np.any(nominal):
            # no device moves (reads below the threshold): zeros of the broadcast shape
            return np.zeros(np.broadcast(nominal, self.rate_gain).shape)
        rate = self.rate_gain * nominal
        return np.where(self.stuck, 0.0, rate)

    def clip(self, x: ArrayLike) -> Array:
        """Clip to bounds and pin stuck devices."""
        return self._pin(self.model.clip(x))

    def spice_library(self) -> str:
        """Not available: the per-device draws have no single SPICE twin."""
        raise ThermolearnError(
            "a Variability wrapper has no single SPICE twin; export the nominal model "
            "(wrapper.model) per device instead"
        )

    @property
    def temperature(self) -> float:
        """Noise temperature, K (``params.temperature``, default T_ROOM)."""
        t = self.params.temperature
        return T_ROOM if t is None else float(t)

    # -- non-idealities ------------------------------------------------------------------
    def after_program(self, x_before: ArrayLike, x_after: ArrayLike) -> Array:
        """Cycle-to-cycle noise of one pulse, then quantisation; used by :func:`program`."""
        pr = self.params
        xb = np.asarray(x_before, dtype=float)
        xa = np.asarray(x_after, dtype=float)
        lo, hi = self.state_bounds
        sigma = pr.c2c_sigma * np.abs(xa - xb) + pr.c2c_floor * (hi - lo)
        shape = np.broadcast(xa, self.current_gain).shape
        noisy = xa + sigma * self.rng.standard_normal(shape)
        return self.quantize(self.clip(noisy))

    def quantize(self, x: ArrayLike) -> Array:
        """Snap states to ``levels`` equally spaced values across the bounds (if set)."""
        xx = np.asarray(x, dtype=float)
        if self.params.levels is None:
            return xx
        lo, hi = self.state_bounds
        step = (hi - lo) / (self.params.levels - 1)
        return self._pin(lo + np.clip(np.round((xx - lo) / step), 0, self.params.levels - 1) * step)

    def read_noise_sigma(self, v_read: float, x: ArrayLike, t_read: float) -> Array:
        """RMS read-current noise (A): Johnson sqrt(4kTG B) (+ 1/f), B = 1/(2 t_read)."""
        pr = self.params
        bandwidth = 1.0 / (2.0 * check_positive(t_read, "t_read", "Variability", "s"))
        i = self.current(v_read, x)
        g = np.abs(i / v_read)
        var = read_noise_variance(
            g,
            i**2,
            bandwidth,
            self.temperature,
            flicker_coefficient=pr.flicker_coefficient,
            flicker_f_min=pr.flicker_f_min,
        )
        return np.asarray(np.sqrt(var), dtype=np.float64)

    def read_current(self, v_read: float, x: ArrayLike, t_read: float) -> Array:
        """Read: the current at ``v_read`` plus read noise when enabled (A)."""
        i = self.current(v_read, x)
        if not self.params.read_noise:
            return i
        return i + self.read_noise_sigma(v_read, x, t_read) * self.rng.standard_normal(i.shape)

    def take(self, mask: Array) -> Variability:
        """Return the devices selected by the boolean ``mask`` as a 1-D wrapper.

        Shares the nominal model, the parameters and the generator; the per-device draws
        (gains, stuck states) are the selected ones, so a solver can integrate only the cells
        that a pulse drives.
        """
        m = np.asarray(mask, dtype=bool)
        sub = Variability.__new__(Variability)
        sub.model, sub.params, sub.rng = self.model, self.params, self.rng
        sub.shape = (int(m.sum()),)
        sub.current_gain = self.current_gain[m]
        sub.rate_gain = self.rate_gain[m]
        sub.stuck_low = self.stuck_low[m]
        sub.stuck_high = self.stuck_high[m]
        sub.stuck = self.stuck[m]
        sub._stuck_value = self._stuck_value[m]
        sub.x_rest = self.x_rest
        return sub

    def drift(self, x: ArrayLike, elapsed: float) -> Array:
        """Retention: relax towards ``x_rest`` for ``elapsed`` seconds (exponential)."""
        t = check_nonnegative(elapsed, "elapsed", "Variability.drift", "s")
        xx = np.asarray(x, dtype=float)
        decay = math.exp(-t / self.params.retention_tau)
        return self.clip(self.x_rest + (xx - self.x_rest) * decay)


__all__ = ["VariabilityParams", "Variability", "read_noise_variance"]
