"""A weight matrix executed as crossbar reads: the one adapter the algorithms share.

:class:`CrossbarLinearMap` holds a signed matrix ``W`` (out, in) on a differential pair of
crossbars (:class:`~thermolearn.crossbar.SignedCrossbarLayer`) built from a
:class:`~thermolearn.hardware.Hardware`: ``matvec(x) ≈ x @ W.T`` drives the rows and senses
the columns, ``rmatvec(y) ≈ y @ W`` drives the columns of the *same* arrays (transposed read).
Every read and every programming pulse is booked in its :class:`~thermolearn.energy.EnergyLedger`.
The reversible layers, the continuous free-energy agent and the discrete active-inference agent
all run their linear maps through it. With ``hardware=SOFTWARE`` the same object computes exact
float64 products (the reference twin), booking nothing.

Weight range. With a fixed ``w_max`` the weight ``w_max`` maps to the full conductance swing
``g_max − g_min`` and larger weights saturate. Without one the range follows the weights: it is
the largest programmed magnitude, and the arrays are re-ranged (TIA gain changed, arrays
re-programmed) when the weights outgrow it or shrink below half of it.

Input scaling (``scale_inputs``). Inputs are divided by the power of two at or above their
largest magnitude before they become row voltages, and the outputs multiplied back (the DAC
and ADC full-scale settings); powers of two make the scaling exact.

Error models in weight units (:class:`MapErrors`) come on top of the device models of the
hardware: a Gaussian programming error of each differential weight and a Gaussian read noise on
each output, both in units of the weight range.

>>> import numpy as np
>>> m = CrossbarLinearMap(np.array([[1.0, -0.5], [0.25, 2.0]]))
>>> np.allclose(m.matvec(np.array([1.0, 1.0])), [0.5, 2.25], rtol=1e-12)
True
>>> m.ledger.total() > 0
True
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any, Final, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from thermolearn.crossbar.array import SignedCrossbarLayer
from thermolearn.energy import EnergyLedger
from thermolearn.errors import ParameterError
from thermolearn.hardware import Hardware
from thermolearn.physics import T_ROOM
from thermolearn.validation import check_nonnegative, check_positive, finite_array

Array = NDArray[np.float64]

#: ``hardware=SOFTWARE``: exact float64 products instead of crossbar reads.
SOFTWARE: Final = "software"


class LinearMap(Protocol):
    """A matrix ``M`` of shape (out, in) that can be applied forwards and transposed."""

    @property
    def weights(self) -> Array:
        """The effective matrix (out, in)."""
        ...

    def set_weights(self, W: Array) -> None:
        """Replace the matrix."""
        ...

    def matvec(self, x: Array) -> Array:
        """``x @ M.T`` for x of shape (in,) or (B, in)."""
        ...

    def rmatvec(self, y: Array) -> Array:
        """``y @ M`` for y of shape (out,) or (B, out)."""
        ...


@dataclass
class DigitalMap:
    """An exact NumPy linear map (the digital reference of :class:`LinearMap`)."""

    W: Array

    def __post_init__(self) -> None:
        self.W = np.array(self.W, dtype=np.float64, ndmin=2)

    @property
    def weights(self) -> Array:
        """The matrix (out, in)."""
        return self.W

    def set_weights(self, W: Array) -> None:
        """Replace the matrix."""
        self.W = np.array(W, dtype=np.float64, ndmin=2)

    def matvec(self, x: Array) -> Array:
        """``x @ W.T``."""
        return np.asarray(x, dtype=np.float64) @ self.W.T

    def rmatvec(self, y: Array) -> Array:
        """``y @ W``."""
        return np.asarray(y, dtype=np.float64) @ self.W


@dataclass(frozen=True, slots=True, kw_only=True)
class MapErrors:
    """Error models of a crossbar-executed map in weight units (0 = none).

    These are lumped models, beside the physical ones of the hardware (cycle-to-cycle write
    noise, Johnson and 1/f read noise, finite levels, IR drop).
    """

    program_sigma: float = 0.0
    """Programming error: each differential weight errs by a Gaussian of standard deviation
    ``program_sigma × w_range`` when (re-)programmed (each of the pair's devices by
    ``program_sigma (g_max − g_min)/√2``), dimensionless."""
    read_sigma: float = 0.0
    """Read noise on every output, standard deviation ``read_sigma × w_range`` per read (fresh
    on each read); a TIA current noise of ``read_sigma × v_read (g_max − g_min)``,
    dimensionless."""

    def __post_init__(self) -> None:
        check_nonnegative(self.program_sigma, "program_sigma", "MapErrors")
        check_nonnegative(self.read_sigma, "read_sigma", "MapErrors")

    @property
    def is_zero(self) -> bool:
        """True when both error models are off."""
        return self.program_sigma == 0.0 and self.read_sigma == 0.0


class CrossbarLinearMap:
    """A weight matrix ``W`` (out, in) executed as signed-crossbar reads.

    Parameters
    ----------
    W : array_like (out, in)
        Initial weights; :attr:`target` is the digital copy that training updates in place and
        :meth:`program` writes to the arrays.
    hardware : Hardware or SOFTWARE, optional
        The arrays' hardware (default ``Hardware()``, ideal); :data:`SOFTWARE` for exact
        float64 products.
    rng : numpy.random.Generator, optional
        Device draws, read noise and the error models (default ``default_rng(0)``).
    ledger : EnergyLedger, optional
        Where reads and programming are booked (a new one by default).
    errors : MapErrors, optional
        Lumped programming / read error models in weight units.
    w_max : float, optional
        Fixed weight mapped to the full conductance swing; default: follow the weights.
    scale_inputs : bool
        Scale each batch of inputs by a power of two into the unit input range (exact).
    """

    def __init__(
        self,
        W: ArrayLike,
        hardware: Hardware | str | None = None,
        *,
        rng: np.random.Generator | None = None,
        ledger: EnergyLedger | None = None,
        errors: MapErrors | None = None,
        w_max: float | None = None,
        scale_inputs: bool = False,
    ) -> None:
        o = "CrossbarLinearMap"
        if hardware is None:
            hardware = Hardware()
        if not (isinstance(hardware, Hardware) or hardware == SOFTWARE):
            raise ParameterError(
                f"The 'hardware' parameter of {o} must be a Hardware or SOFTWARE; got {hardware!r}."
            )
        self.hardware: Hardware | str = hardware
        self.errors = errors if errors is not None else MapErrors()
        if not isinstance(self.errors, MapErrors):
            raise ParameterError(
                f"The 'errors' parameter of {o} must be MapErrors; got {errors!r}."
            )
        self.rng = rng if rng is not None else np.random.default_rng(0)
        t = hardware.temperature if isinstance(hardware, Hardware) else T_ROOM
        self.ledger = ledger if ledger is not None else EnergyLedger(t)
        self.target = np.array(finite_array(W, "W", o), dtype=float)
        if self.target.ndim != 2:
            raise ParameterError(
                f"The 'W' argument of {o} must be a 2-D (out, in) array; "
                f"got shape {self.target.shape}."
            )
        self.w_max = None if w_max is None else check_positive(w_max, "w_max", o)
        self.scale_inputs = bool(scale_inputs)
        self.reads = 0
        self._layer: Any = None
        self._w_range = 0.0
        self.w_scale = self.w_max if self.w_max is not None else 1.0
        self.program()

    @property
    def is_software(self) -> bool:
        """True when the products are exact float64 (``hardware=SOFTWARE``)."""
        return not isinstance(self.hardware, Hardware)

    # -- programming ------------------------------------------------------------------------
    def program(self, W: ArrayLike | None = None) -> None:
        """(Re-)program the arrays with ``W`` (default: the current digital target)."""
        if W is not None:
            w = finite_array(W, "W", "CrossbarLinearMap.program")
            if w.shape != self.target.shape:
                raise ParameterError(
                    f"The 'W' argument of CrossbarLinearMap.program must have shape "
                    f"{self.target.shape}; got {w.shape}."
                )
            self.target[...] = w
        if self.is_software:
            return
        if self.w_max is None:
            self.w_scale = max(float(np.max(np.abs(self.target))), 1e-12)
        wp = self.target
        if self.errors.program_sigma > 0:
            wp = wp + self.rng.normal(0.0, self.errors.program_sigma * self.w_scale, size=wp.shape)
        w_range = self.w_max if self.w_max is not None else max(float(np.max(np.abs(wp))), 1e-12)
        rerange = self._layer is None or (
            self.w_max is None and not (0.5 * self._w_range <= w_range <= self._w_range)
        )
        if rerange:
            self._w_range = w_range
            self._layer = SignedCrossbarLayer(
                wp, self.hardware, w_max=w_range, rng=self.rng, ledger=self.ledger
            )
        else:
            self._layer.set_weights(wp)

    def software_twin(self) -> CrossbarLinearMap:
        """Return an exact float64 twin that shares this map's digital :attr:`target`."""
        twin = copy.copy(self)
        twin._layer = None
        twin.hardware = SOFTWARE
        return twin

    def set_weights(self, W: ArrayLike) -> None:
        """Replace the weights and program them (books programming energy)."""
        self.program(W)

    @property
    def layer(self) -> Any:
        """The :class:`~thermolearn.crossbar.SignedCrossbarLayer` (None in software)."""
        return self._layer

    @property
    def weights(self) -> Array:
        """Effective weights read back from the programmed conductances (exact in software)."""
        if self._layer is None:
            return self.target.copy()
        return np.asarray(self._layer.weights, dtype=float)

    @property
    def shape(self) -> tuple[int, int]:
        """(out, in)."""
        return (int(self.target.shape[0]), int(self.target.shape[1]))

    # -- noise ------------------------------------------------------------------------------
    @property
    def read_noise_std(self) -> float:
        """Standard deviation of the lumped read noise on one output, weight units."""
        if self.is_software:
            return 0.0
        return self.errors.read_sigma * self.w_scale

    def read_noise_variance(self, *, transposed: bool = False, n: int = 32) -> float:
        """Variance of one output of a read (weight units²), for error propagation.

        The lumped read noise ``(read_sigma · w_scale)²`` plus, when the hardware carries a
        device variability model (e.g. Johnson noise), a calibration: half the mean squared
        difference of two reads of the same inputs (``2n`` reads, booked like any other read).
        """
        v = self.read_noise_std**2
        hw = self.hardware
        if self._layer is not None and isinstance(hw, Hardware) and hw.variability is not None:
            k = self.shape[0] if transposed else self.shape[1]
            u = np.ones((n, k))
            read = self._layer.rmatvec if transposed else self._layer.matvec
            d = np.asarray(read(u), dtype=float) - np.asarray(read(u), dtype=float)
            v += float(np.mean(d**2) / 2.0)
        return v

    # -- reads ------------------------------------------------------------------------------
    @staticmethod
    def _input_scale(x: Array) -> float:
        m = float(np.max(np.abs(x))) if x.size else 0.0
        return 1.0 if m == 0.0 else 2.0 ** math.ceil(math.log2(m))

    def _apply(self, x: ArrayLike, transposed: bool) -> Array:
        xx = np.asarray(x, dtype=np.float64)
        single = xx.ndim == 1
        xb = np.atleast_2d(xx)
        if self._layer is None:
            y = xb @ self.target if transposed else xb @ self.target.T
            return np.asarray(y[0] if single else y, dtype=np.float64)
        s = self._input_scale(xb) if self.scale_inputs else 1.0
        read = self._layer.rmatvec if transposed else self._layer.matvec
        y = np.asarray(read(xb / s), dtype=np.float64).reshape(xb.shape[0], -1)
        self.reads += xb.shape[0]
        if self.read_noise_std > 0:
            y = y + self.rng.normal(0.0, self.read_noise_std, size=y.shape)
        y = y * s
        return y[0] if single else y

    def matvec(self, x: ArrayLike) -> Array:
        """``x @ W.T`` for ``x`` (in,) or (B, in): rows driven, column currents sensed."""
        return self._apply(x, False)

    def rmatvec(self, y: ArrayLike) -> Array:
        """``y @ W`` for ``y`` (out,) or (B, out): the transposed read of the same arrays."""
        return self._apply(y, True)

    def __repr__(self) -> str:
        where = "software" if self.is_software else "crossbars"
        return f"CrossbarLinearMap(out={self.shape[0]}, in={self.shape[1]}, {where})"


__all__ = ["CrossbarLinearMap", "DigitalMap", "LinearMap", "MapErrors", "SOFTWARE"]
