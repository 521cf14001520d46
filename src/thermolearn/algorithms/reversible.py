"""Reversible (invertible) layers executed on simulated memristor crossbars.

Every linear map of these layers is a crossbar read
(:class:`thermolearn.crossbar.SignedCrossbarLayer`, differential conductance pairs, rows
driven, column currents sensed by TIAs); the elementwise steps (activations, the affine
scale ``exp(s)``, additions) are digital, with an energy per operation from a stated model
(:class:`DigitalOpEnergy`).

Layers
------
* :class:`AdditiveCoupling` / :class:`AffineCoupling` (NICE [1]_ / RealNVP [2]_): the kept half
  ``x_a`` passes unchanged; the other half is ``y_b = x_b * exp(s(x_a)) + t(x_a)``. ``s`` and
  ``t`` come from one crossbar MLP ``[x_a, 1] -> tanh -> [h, 1] -> [s_raw, t]`` (bias = an extra
  crossbar row driven at the constant input 1). The inverse re-reads the *same* MLP on
  ``y_a = x_a``, so any *static* crossbar error (programming error, finite levels, IR drop)
  cancels exactly: only fresh read noise breaks inverse∘forward = id.
* :class:`OrthogonalLayer`: ``y = Q x`` on one signed crossbar; the inverse ``x = Q^T y`` is the
  **transposed read of the same arrays** (columns driven, rows read; ``rmatvec``).
* :class:`LULinear` (Glow's LU-parameterised 1×1 convolution [3]_): ``W = P L (U + diag(s))``
  programmed as a product into one crossbar for the forward read; the inverse is executed
  **digitally** by a permutation, a forward substitution (unit lower L) and a back substitution
  (U + diag(s)) on the stored float64 factors, d² multiply-adds, booked with the digital model.
* :class:`LeakyReLU` and :class:`Tanh` (inverse ``atanh``): digital elementwise steps.

Accounting
----------
Each pass books the crossbar dissipation it caused (the crossbar's own ledger: read GV²t, wire,
DAC/ADC, programming) and the digital operations it executed into :attr:`ReversibleNetwork.ledger`
under ``"forward/<category>"`` or ``"inverse/<category>"``. Logical information loss is booked
separately, with 0 J and ``source="bound"`` under ``"landauer"``: a bijection erases nothing in
principle, but on a finite grid of word values a *contracting* step merges grid cells, so a
step whose Jacobian has diagonal ``J_ii`` (all our layers are triangular) erases at least
``Σ_i max(0, −log2 |J_ii|)`` bits (grid-contraction estimate); the final readout to
``readout_bits`` from ``internal_bits`` erases the dropped low bits. A crossbar read dissipates
``G V² t`` whether or not the map it computes is logically reversible; logical reversibility
only lowers the *Landauer bound*, which is ~10⁹ times smaller than the simulated dissipation.

References
----------
.. [1] L. Dinh, D. Krueger, Y. Bengio, "NICE: Non-linear Independent Components Estimation",
   arXiv:1410.8516 (2014).
.. [2] L. Dinh, J. Sohl-Dickstein, S. Bengio, "Density estimation using Real NVP", ICLR 2017.
.. [3] D. P. Kingma, P. Dhariwal, "Glow: Generative Flow with Invertible 1x1 Convolutions",
   NeurIPS 2018.
.. [4] A. N. Gomez, M. Ren, R. Urtasun, R. B. Grosse, "The Reversible Residual Network:
   Backpropagation Without Storing Activations", NeurIPS 2017.
.. [5] M. Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014,
   pp. 10-14 (45 nm energies: 32-bit float add 0.9 pJ, multiply 3.7 pJ).
.. [6] R. Landauer, IBM J. Res. Dev. 5, 183 (1961); C. H. Bennett, IBM J. Res. Dev. 17, 525
   (1973) (logically reversible computation).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.energy import EnergyLedger
from thermolearn.errors import ParameterError
from thermolearn.validation import (
    check_choice,
    check_greater,
    check_int,
    check_nonnegative,
    check_positive,
    check_range,
    finite_array,
)

Array = NDArray[np.float64]

ENGINES = ("software", "crossbar")


# ------------------------------------------------------------------------------------------
# hardware description
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class CrossbarHardware:
    """How the linear maps of a reversible network are executed.

    Parameters
    ----------
    engine : {"software", "crossbar"}
        ``"software"``: exact float64 matrix products (the reference); ``"crossbar"``: every
        linear map is a :class:`thermolearn.crossbar.SignedCrossbarLayer` read.
    g_min, g_max : float
        Conductance window of each device, S.
    v_read : float
        Read voltage that encodes an input of magnitude 1, V.
    levels : int or None
        Number of programmable conductance levels per device (None: continuous).
    r_wire : float
        Wire resistance per crossbar segment, ohm (IR drop; 0 = ideal wires).
    program_sigma : float
        Programming error: each *differential weight* gets a Gaussian error of standard
        deviation ``program_sigma * w_scale`` when (re-)programmed (dimensionless; each of the
        pair's devices then errs by ``program_sigma (g_max - g_min) / sqrt(2)`` S).
    read_sigma : float
        Read noise: additive Gaussian noise on every TIA output, standard deviation
        ``read_sigma`` × the full-scale current of one device ``v_read (g_max - g_min)``; referred
        to the output it is ``read_sigma * w_scale`` per read (fresh on every read).
    w_max : float or None
        Weight magnitude mapped to ``g_max - g_min`` (None: the crossbar's default scaling).
    temperature : float
        Temperature of the arrays, K.
    device : MemristorModel or None
        Cell model passed to :class:`~thermolearn.crossbar.CrossbarArray` (None: its default).
    variability : VariabilityParams or None
        Device-level non-idealities passed to the arrays (e.g. Johnson read noise at the read
        bandwidth); not covered by :meth:`ReversibleNetwork.predicted_reconstruction_rms`,
        which models ``read_sigma``, ``program_sigma`` and ``levels``.
    """

    engine: str = "crossbar"
    g_min: float = 1e-6
    g_max: float = 1e-4
    v_read: float = 0.2
    levels: int | None = None
    r_wire: float = 0.0
    program_sigma: float = 0.0
    read_sigma: float = 0.0
    w_max: float | None = None
    temperature: float = 300.0
    device: Any = None
    variability: Any = None

    def __post_init__(self) -> None:
        owner = "CrossbarHardware"
        check_choice(self.engine, "engine", owner, ENGINES)
        check_positive(self.g_min, "g_min", owner, "S")
        check_positive(self.g_max, "g_max", owner, "S")
        check_greater(self.g_max, "g_max", owner, self.g_min, "g_min", "S")
        check_positive(self.v_read, "v_read", owner, "V")
        if self.levels is not None:
            check_int(self.levels, "levels", owner, minimum=2)
        check_nonnegative(self.r_wire, "r_wire", owner, "ohm")
        check_nonnegative(self.program_sigma, "program_sigma", owner)
        check_nonnegative(self.read_sigma, "read_sigma", owner)
        if self.w_max is not None:
            check_positive(self.w_max, "w_max", owner)
        check_positive(self.temperature, "temperature", owner, "K")

    @property
    def is_ideal(self) -> bool:
        """True when the crossbar has no programming error, read noise, levels or IR drop."""
        return (
            self.levels is None
            and self.variability is None
            and self.r_wire == 0.0
            and self.program_sigma == 0.0
            and self.read_sigma == 0.0
        )


SOFTWARE = CrossbarHardware(engine="software")


@dataclass(frozen=True, slots=True, kw_only=True)
class DigitalOpEnergy:
    """Energy model of the digital elementwise operations (45 nm CMOS, 32-bit float).

    Parameters
    ----------
    e_add : float
        Energy of one addition/comparison, J (0.9 pJ, Horowitz 2014 [5]_).
    e_mul : float
        Energy of one multiplication, J (3.7 pJ, Horowitz 2014 [5]_).
    transcendental_ops : int
        Multiply-add pairs of one ``exp``/``tanh``/``atanh``/``log`` evaluation (a degree-~8
        rational/polynomial approximation; dimensionless).
    """

    e_add: float = 0.9e-12
    e_mul: float = 3.7e-12
    transcendental_ops: int = 8

    def __post_init__(self) -> None:
        check_nonnegative(self.e_add, "e_add", "DigitalOpEnergy", "J")
        check_nonnegative(self.e_mul, "e_mul", "DigitalOpEnergy", "J")
        check_int(self.transcendental_ops, "transcendental_ops", "DigitalOpEnergy", minimum=0)

    def energy(
        self, *, adds: float = 0.0, muls: float = 0.0, transcendentals: float = 0.0
    ) -> float:
        """Joules of ``adds`` additions, ``muls`` multiplications and ``transcendentals``."""
        t = float(transcendentals) * self.transcendental_ops
        return (float(adds) + t) * self.e_add + (float(muls) + t) * self.e_mul


# ------------------------------------------------------------------------------------------
# a linear map executed on a crossbar (or exactly in software)
# ------------------------------------------------------------------------------------------
class CrossbarLinear:
    """A weight matrix ``W`` (out, in) executed as signed-crossbar reads.

    ``matvec(x) ≈ x @ W.T`` (rows driven, columns sensed) and ``rmatvec(y) ≈ y @ W`` (the
    transposed read of the same arrays). The digital copy :attr:`target` is what training
    updates; :meth:`program` writes it to the arrays. With ``engine="software"`` both products
    are exact float64.
    """

    def __init__(
        self,
        W: Array,
        hardware: CrossbarHardware,
        rng: np.random.Generator,
        ledger: EnergyLedger,
    ) -> None:
        self.hardware = hardware
        self.rng = rng
        self.ledger = ledger
        self.target = np.array(finite_array(W, "W", "CrossbarLinear"), dtype=float)
        if self.target.ndim != 2:
            raise ParameterError(
                f"The 'W' argument of CrossbarLinear must be a 2-D (out, in) array; "
                f"got shape {self.target.shape}."
            )
        self._layer: Any = None
        self._w_range = 0.0
        self.w_scale = float(hardware.w_max) if hardware.w_max is not None else 1.0
        self.program()

    # -- programming ------------------------------------------------------------------------
    def program(self, W: Array | None = None) -> None:
        """(Re-)program the arrays with ``W`` (default: the current digital target)."""
        if W is not None:
            self.target[...] = W
        hw = self.hardware
        if hw.engine == "software":
            return
        if hw.w_max is None:
            self.w_scale = max(float(np.max(np.abs(self.target))), 1e-12)
        Wp = self.target
        if hw.program_sigma > 0:
            Wp = Wp + self.rng.normal(0.0, hw.program_sigma * self.w_scale, size=Wp.shape)
        # weight range mapped to g_max - g_min: fixed if given, else the programmed maximum;
        # the arrays are re-ranged (TIA gain changed) when the weights outgrow the range or
        # shrink below half of it
        w_range = float(hw.w_max) if hw.w_max is not None else max(float(np.max(np.abs(Wp))), 1e-12)
        rerange = self._layer is None or (
            hw.w_max is None and not (0.5 * self._w_range <= w_range <= self._w_range)
        )
        if rerange:
            from thermolearn.crossbar import SignedCrossbarLayer

            self._w_range = w_range
            extra = {
                k: v
                for k, v in (("device", hw.device), ("variability", hw.variability))
                if v is not None
            }
            self._layer = SignedCrossbarLayer(
                Wp,
                **extra,
                w_max=w_range,
                g_min=hw.g_min,
                g_max=hw.g_max,
                levels=hw.levels,
                r_wire=hw.r_wire,
                v_read=hw.v_read,
                temperature=hw.temperature,
                rng=self.rng,
                ledger=self.ledger,
            )
        else:
            self._layer.set_weights(Wp)

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

    @property
    def read_noise_std(self) -> float:
        """Standard deviation of the read noise referred to one output, in weight units."""
        if self.hardware.engine == "software":
            return 0.0
        return self.hardware.read_sigma * self.w_scale

    def read_noise_variance(self, *, transposed: bool = False, n: int = 32) -> float:
        """Variance of one output of a read (weight units²), for error propagation.

        The modelled TIA noise ``(read_sigma · w_scale)²`` plus, when the arrays carry a device
        variability model (e.g. Johnson noise), a calibration: half the mean squared difference
        of two reads of the same inputs (``2n`` reads, booked like any other read).
        """
        v = self.read_noise_std**2
        if self._layer is not None and self.hardware.variability is not None:
            k = self.shape[0] if transposed else self.shape[1]
            u = np.ones((n, k))
            read = self._layer.rmatvec if transposed else self._layer.matvec
            d = np.asarray(read(u), dtype=float) - np.asarray(read(u), dtype=float)
            v += float(np.mean(d**2) / 2.0)
        return v

    # -- reads ------------------------------------------------------------------------------
    def _noise(self, shape: tuple[int, ...]) -> Array:
        s = self.read_noise_std
        return self.rng.normal(0.0, s, size=shape) if s > 0 else np.zeros(shape)

    def matvec(self, x: Array) -> Array:
        """``x @ W.T`` for a batch ``x`` (B, in): rows driven, column currents sensed."""
        if self._layer is None:
            return np.asarray(x @ self.target.T, dtype=float)
        y = np.asarray(self._layer.matvec(x), dtype=float).reshape(x.shape[0], -1)
        return y + self._noise(y.shape) if self.read_noise_std > 0 else y

    def rmatvec(self, y: Array) -> Array:
        """``y @ W`` for a batch ``y`` (B, out): the transposed read of the same arrays."""
        if self._layer is None:
            return np.asarray(y @ self.target, dtype=float)
        x = np.asarray(self._layer.rmatvec(y), dtype=float).reshape(y.shape[0], -1)
        return x + self._noise(x.shape) if self.read_noise_std > 0 else x


def _with_one(x: Array) -> Array:
    return np.concatenate([x, np.ones((x.shape[0], 1))], axis=1)


# ------------------------------------------------------------------------------------------
# layer base class
# ------------------------------------------------------------------------------------------
class ReversibleLayer(ABC):
    """Base class: a bijection of R^d with ``forward``, ``inverse`` and ``log_det``.

    Subclasses implement :meth:`_forward` (returning ``y`` and the per-sample log|det J|),
    :meth:`inverse` and :meth:`backward` (gradients from the output only: the input is
    recomputed by inversion). ``params`` maps names to float64 arrays updated in place by an
    optimiser; ``grads`` holds their gradients after :meth:`backward`.
    """

    name = "layer"

    def __init__(self, dim: int) -> None:
        self.dim = check_int(dim, "dim", type(self).__name__, minimum=1)
        self.params: dict[str, Array] = {}
        self.grads: dict[str, Array] = {}
        self.digital = DigitalOpEnergy()
        self._digital_joules = 0.0

    # -- public API -------------------------------------------------------------------------
    def forward(self, x: Array) -> Array:
        """Map ``x`` (B, d) to ``y`` (B, d)."""
        return self._forward(x)[0]

    def forward_with_log_det(self, x: Array) -> tuple[Array, Array]:
        """Return ``y`` and log|det ∂y/∂x| per sample (B,)."""
        return self._forward(x)

    def log_det(self, x: Array) -> Array:
        """log|det ∂y/∂x| per sample (B,), in nats."""
        return self._forward(x)[1]

    @abstractmethod
    def inverse(self, y: Array) -> Array:
        """Map ``y`` back to ``x``."""

    @abstractmethod
    def backward(self, y: Array, grad_y: Array, grad_log_det: Array) -> tuple[Array, Array]:
        """Reconstruct ``x = inverse(y)`` and back-propagate.

        Parameters
        ----------
        y : ndarray (B, d)
            Output of this layer.
        grad_y : ndarray (B, d)
            ∂loss/∂y.
        grad_log_det : ndarray (B,)
            ∂loss/∂(log|det J|) per sample.

        Returns
        -------
        x, grad_x : ndarray (B, d)
            The reconstructed input and ∂loss/∂x; parameter gradients go to :attr:`grads`.
        """

    #: grid-contraction estimate of the bits erased by the last forward pass (batch sum)
    last_bits_erased: float = 0.0

    def program(self) -> None:  # noqa: B027 - layers without crossbars have nothing to write
        """Write the digital parameters to the crossbar arrays (after an update)."""

    def crossbars(self) -> list[CrossbarLinear]:
        """Return the crossbar-executed linear maps of this layer."""
        return []

    def _book_digital(self, **ops: float) -> None:
        self._digital_joules += self.digital.energy(**ops)

    @abstractmethod
    def _forward(self, x: Array) -> tuple[Array, Array]:
        """Return ``y`` and the per-sample log|det J| (nats)."""


# ------------------------------------------------------------------------------------------
# coupling layers
# ------------------------------------------------------------------------------------------
class _CouplingBase(ReversibleLayer):
    affine = False

    def __init__(
        self,
        dim: int,
        hidden: int,
        *,
        parity: int,
        hardware: CrossbarHardware,
        rng: np.random.Generator,
        ledger: EnergyLedger,
        s_clamp: float = 2.0,
        init_scale: float = 1.0,
    ) -> None:
        super().__init__(dim)
        owner = type(self).__name__
        if dim < 2:
            raise ParameterError(f"The 'dim' parameter of {owner} must be >= 2; got {dim!r}.")
        self.hidden = check_int(hidden, "hidden", owner, minimum=1)
        check_choice(str(parity), "parity", owner, ("0", "1"))
        self.s_clamp = check_positive(s_clamp, "s_clamp", owner)
        idx = np.arange(dim)
        half = dim // 2
        first, second = idx[:half], idx[half:]
        self.ia, self.ib = (first, second) if parity == 0 else (second, first)
        da, db = len(self.ia), len(self.ib)
        n_out = 2 * db if self.affine else db
        W1 = rng.normal(0.0, 1.0 / math.sqrt(da + 1), size=(self.hidden, da + 1))
        # small last layer: the coupling starts near the identity
        W2 = rng.normal(
            0.0, 0.1 * init_scale / math.sqrt(self.hidden + 1), size=(n_out, self.hidden + 1)
        )
        self.l1 = CrossbarLinear(W1, hardware, rng, ledger)
        self.l2 = CrossbarLinear(W2, hardware, rng, ledger)
        # the crossbars hold their own digital copies; keep params aliased to them
        self.params = {"W1": self.l1.target, "W2": self.l2.target}

    def crossbars(self) -> list[CrossbarLinear]:
        return [self.l1, self.l2]

    def program(self) -> None:
        self.l1.program()
        self.l2.program()

    def _mlp(self, xa: Array) -> tuple[Array, Array, Array]:
        """Return (h, s_raw_or_None-as-empty, t) from the crossbar MLP on ``xa``."""
        B = xa.shape[0]
        h = np.tanh(self.l1.matvec(_with_one(xa)))
        out = self.l2.matvec(_with_one(h))
        self._book_digital(transcendentals=B * self.hidden)
        db = len(self.ib)
        if self.affine:
            return h, out[:, :db], out[:, db:]
        return h, np.zeros((B, 0)), out

    def _scale(self, raw: Array) -> Array:
        return self.s_clamp * np.tanh(raw / self.s_clamp)

    def _forward(self, x: Array) -> tuple[Array, Array]:
        x = np.asarray(x, dtype=float)
        xa, xb = x[:, self.ia], x[:, self.ib]
        _, raw, t = self._mlp(xa)
        y = np.empty_like(x)
        y[:, self.ia] = xa
        B, db = xb.shape
        if self.affine:
            s = self._scale(raw)
            y[:, self.ib] = xb * np.exp(s) + t
            self._book_digital(adds=2 * B * db, muls=B * db, transcendentals=2 * B * db)
            self.last_bits_erased = float(np.sum(np.maximum(0.0, -s)) / math.log(2.0))
            return y, s.sum(axis=1)
        y[:, self.ib] = xb + t
        self._book_digital(adds=B * db)
        self.last_bits_erased = 0.0
        return y, np.zeros(B)

    def inverse(self, y: Array) -> Array:
        y = np.asarray(y, dtype=float)
        ya, yb = y[:, self.ia], y[:, self.ib]
        _, raw, t = self._mlp(ya)
        x = np.empty_like(y)
        x[:, self.ia] = ya
        B, db = yb.shape
        if self.affine:
            s = self._scale(raw)
            x[:, self.ib] = (yb - t) * np.exp(-s)
            self._book_digital(adds=B * db, muls=B * db, transcendentals=2 * B * db)
        else:
            x[:, self.ib] = yb - t
            self._book_digital(adds=B * db)
        return x

    def backward(self, y: Array, grad_y: Array, grad_log_det: Array) -> tuple[Array, Array]:
        y = np.asarray(y, dtype=float)
        ya, yb = y[:, self.ia], y[:, self.ib]
        h, raw, t = self._mlp(ya)  # re-read of the same crossbars: activations recomputed
        if self.affine:
            xb = (yb - t) * np.exp(-self._scale(raw))
        else:
            xb = yb - t
        x = np.empty_like(y)
        x[:, self.ia] = ya
        x[:, self.ib] = xb
        return x, self._grad(ya, xb, h, raw, grad_y, grad_log_det)

    def forward_cached(self, x: Array) -> tuple[Array, tuple[Array, ...]]:
        """Forward pass that also returns the activations a standard backprop would store."""
        x = np.asarray(x, dtype=float)
        xa, xb = x[:, self.ia], x[:, self.ib]
        h, raw, t = self._mlp(xa)
        y = np.empty_like(x)
        y[:, self.ia] = xa
        y[:, self.ib] = xb * np.exp(self._scale(raw)) + t if self.affine else xb + t
        return y, (xa, xb, h, raw)

    def backward_cached(
        self, cache: tuple[Array, ...], grad_y: Array, grad_log_det: Array
    ) -> Array:
        """Back-propagate with stored activations (no inversion); returns ∂loss/∂x."""
        xa, xb, h, raw = cache
        return self._grad(xa, xb, h, raw, grad_y, grad_log_det)

    def _grad(
        self, xa: Array, xb: Array, h: Array, raw: Array, grad_y: Array, grad_log_det: Array
    ) -> Array:
        """Digital backprop through the coupling and its MLP (digital weight copies)."""
        gyb = grad_y[:, self.ib]
        if self.affine:
            th = np.tanh(raw / self.s_clamp)
            es = np.exp(self.s_clamp * th)
            gxb = gyb * es
            gs = gyb * xb * es + grad_log_det[:, None]
            gout = np.concatenate([gs * (1.0 - th**2), gyb], axis=1)
        else:
            gxb = gyb
            gout = gyb
        W1, W2 = self.l1.target, self.l2.target
        self.grads["W2"] = gout.T @ _with_one(h)
        ga = (gout @ W2[:, : self.hidden]) * (1.0 - h**2)
        self.grads["W1"] = ga.T @ _with_one(xa)
        gx = np.empty((xa.shape[0], self.dim))
        gx[:, self.ia] = grad_y[:, self.ia] + ga @ W1[:, :-1]
        gx[:, self.ib] = gxb
        return gx

    # -- error propagation helpers (see ReversibleNetwork.predicted_reconstruction_rms) ------
    def _read_noise_variance(self, x: Array, var1: float, var2: float) -> Array:
        """Per-component variance of inverse∘forward − id from fresh read noise (linearised)."""
        xa = x[:, self.ia]
        W1, W2 = self.l1.target, self.l2.target
        h = np.tanh(_with_one(xa) @ W1.T)
        out = _with_one(h) @ W2.T
        # variance of each MLP output from first-layer read noise through tanh' and W2, plus
        # the second read's own noise
        dh2 = (1.0 - h**2) ** 2  # (B, H)
        vout = var1 * dh2 @ (W2[:, : self.hidden] ** 2).T + var2  # (B, n_out)
        var = np.zeros_like(x)
        db = len(self.ib)
        if self.affine:
            raw, t = out[:, :db], out[:, db:]
            th = np.tanh(raw / self.s_clamp)
            s = self.s_clamp * th
            ds2 = (1.0 - th**2) ** 2 * vout[:, :db]
            # rho_b = x_b (ds_f - ds_i) + (dt_f - dt_i) exp(-s): forward and inverse reads
            var[:, self.ib] = 2.0 * (x[:, self.ib] ** 2 * ds2 + vout[:, db:] * np.exp(-2 * s))
            del t
        else:
            var[:, self.ib] = 2.0 * vout
        return var


class AdditiveCoupling(_CouplingBase):
    """NICE additive coupling ``y_b = x_b + t(x_a)``, log|det J| = 0 [1]_.

    Parameters
    ----------
    dim : int
        State dimension (>= 2).
    hidden : int
        Width of the crossbar MLP.
    parity : {0, 1}
        Which half is kept (0: the first ``dim // 2`` components).
    hardware : CrossbarHardware
        Execution of the two crossbar reads.
    rng : numpy.random.Generator
        Initialisation and noise.
    ledger : EnergyLedger
        Where the crossbars book their dissipation.
    """

    name = "additive_coupling"
    affine = False


class AffineCoupling(_CouplingBase):
    """RealNVP affine coupling ``y_b = x_b exp(s(x_a)) + t(x_a)``, log|det J| = Σ s [2]_.

    ``s = s_clamp * tanh(s_raw / s_clamp)`` bounds the scale. Parameters as
    :class:`AdditiveCoupling` plus ``s_clamp`` (dimensionless, default 2).
    """

    name = "affine_coupling"
    affine = True


# ------------------------------------------------------------------------------------------
# linear bijections
# ------------------------------------------------------------------------------------------
def random_orthogonal(dim: int, rng: np.random.Generator) -> Array:
    """Return a Haar-random orthogonal matrix (QR of a Gaussian matrix with sign correction)."""
    A = rng.normal(size=(dim, dim))
    Q, R = np.linalg.qr(A)
    return Q * np.sign(np.diag(R))[None, :]


class OrthogonalLayer(ReversibleLayer):
    """``y = Q x`` on a differential-pair crossbar; inverse = transposed read ``Q^T y``.

    ``Q`` is a fixed Haar-random orthogonal matrix (not trained), log|det J| = 0. Because
    ``Q^{-1} = Q^T``, the inverse needs no second array and no digital solve: the same
    conductances are read with the columns driven and the rows sensed.
    """

    name = "orthogonal"

    def __init__(
        self,
        dim: int,
        *,
        hardware: CrossbarHardware,
        rng: np.random.Generator,
        ledger: EnergyLedger,
        Q: Array | None = None,
    ) -> None:
        super().__init__(dim)
        Q = random_orthogonal(dim, rng) if Q is None else finite_array(Q, "Q", "OrthogonalLayer")
        if Q.shape != (dim, dim) or not np.allclose(Q.T @ Q, np.eye(dim), atol=1e-10):
            raise ParameterError(
                "The 'Q' argument of OrthogonalLayer must be a (dim, dim) orthogonal matrix."
            )
        self.xb = CrossbarLinear(Q, hardware, rng, ledger)

    @property
    def Q(self) -> Array:
        """The target orthogonal matrix."""
        return self.xb.target

    def crossbars(self) -> list[CrossbarLinear]:
        """Return the crossbar-executed linear maps."""
        return [self.xb]

    def program(self) -> None:
        """Write the digital parameters to the crossbars."""
        self.xb.program()

    def _forward(self, x: Array) -> tuple[Array, Array]:
        return self.xb.matvec(np.asarray(x, dtype=float)), np.zeros(x.shape[0])

    def inverse(self, y: Array) -> Array:
        """Map ``y`` back to ``x``."""
        return self.xb.rmatvec(np.asarray(y, dtype=float))

    def backward(self, y: Array, grad_y: Array, grad_log_det: Array) -> tuple[Array, Array]:
        """Reconstruct the input by inversion and back-propagate (see base class)."""
        return self.inverse(y), grad_y @ self.Q

    def _read_noise_variance(self, x: Array, var1: float, var2: float) -> Array:
        return np.full_like(x, var1 + var2)

    def _static_variance(self, x: Array, vw: float) -> Array:
        # rho = Q^T E x + E^T Q x with E iid (variance vw): var_i = vw (2|x|^2 + 2 x_i^2)
        n2 = np.sum(x**2, axis=1, keepdims=True)
        return np.asarray(vw * (2.0 * n2 + 2.0 * x**2), dtype=float)


class LULinear(ReversibleLayer):
    """Invertible linear layer ``W = P L (U + diag(sign · exp(log_s)))`` (Glow [3]_).

    Forward: one crossbar read of the programmed product ``W``. Inverse: digital — ``P^T``,
    forward substitution with the unit lower-triangular ``L``, back substitution with the upper
    ``U + diag(s)`` — on the float64 factors (``2 d²`` operations per sample, booked with
    :class:`DigitalOpEnergy`). log|det J| = Σ log_s.
    """

    name = "lu_linear"

    def __init__(
        self,
        dim: int,
        *,
        hardware: CrossbarHardware,
        rng: np.random.Generator,
        ledger: EnergyLedger,
    ) -> None:
        super().__init__(dim)
        import scipy.linalg as sla

        P, L, U = sla.lu(random_orthogonal(dim, rng))
        s = np.diag(U).copy()
        self.P = P
        self.sign = np.sign(s)
        self.params = {
            "L": np.tril(L, -1),
            "U": np.triu(U, 1),
            "log_s": np.log(np.abs(s)),
        }
        self.xb = CrossbarLinear(self.weight_matrix(), hardware, rng, ledger)

    def _factors(self) -> tuple[Array, Array]:
        d = self.dim
        L = self.params["L"] * np.tri(d, k=-1) + np.eye(d)
        Up = self.params["U"] * np.triu(np.ones((d, d)), 1) + np.diag(
            self.sign * np.exp(self.params["log_s"])
        )
        return L, Up

    def weight_matrix(self) -> Array:
        """Return the digital product ``P L U'``."""
        L, Up = self._factors()
        return np.asarray(self.P @ L @ Up, dtype=float)

    def crossbars(self) -> list[CrossbarLinear]:
        """Return the crossbar-executed linear maps."""
        return [self.xb]

    def program(self) -> None:
        """Write the digital parameters to the crossbars."""
        self.xb.program(self.weight_matrix())

    def _forward(self, x: Array) -> tuple[Array, Array]:
        y = self.xb.matvec(np.asarray(x, dtype=float))
        ls = self.params["log_s"]
        self.last_bits_erased = float(x.shape[0] * np.sum(np.maximum(0.0, -ls)) / math.log(2.0))
        return y, np.full(x.shape[0], float(np.sum(ls)))

    def inverse(self, y: Array) -> Array:
        """Map ``y`` back to ``x``."""
        import scipy.linalg as sla

        y = np.asarray(y, dtype=float)
        L, Up = self._factors()
        z = y @ self.P  # P^T y per sample
        z = sla.solve_triangular(L, z.T, lower=True, unit_diagonal=True)
        x = sla.solve_triangular(Up, z, lower=False).T
        B = y.shape[0]
        self._book_digital(adds=B * self.dim**2, muls=B * self.dim**2)
        return np.ascontiguousarray(x)

    def backward(self, y: Array, grad_y: Array, grad_log_det: Array) -> tuple[Array, Array]:
        """Reconstruct the input by inversion and back-propagate (see base class)."""
        x = self.inverse(y)
        L, Up = self._factors()
        W = self.P @ L @ Up
        G = grad_y.T @ x  # dloss/dW
        PtG = self.P.T @ G
        gL = PtG @ Up.T
        gUp = L.T @ PtG
        d = self.dim
        self.grads["L"] = np.tril(gL, -1)
        self.grads["U"] = np.triu(gUp, 1)
        self.grads["log_s"] = np.diag(gUp) * self.sign * np.exp(self.params["log_s"]) + float(
            np.sum(grad_log_det)
        ) * np.ones(d)
        return x, grad_y @ W

    def _winv(self) -> Array:
        return np.asarray(np.linalg.inv(self.weight_matrix()), dtype=float)

    def _read_noise_variance(self, x: Array, var1: float, var2: float) -> Array:
        Wi = self._winv()
        return np.broadcast_to(var1 * np.sum(Wi**2, axis=1), x.shape).copy()

    def _static_variance(self, x: Array, vw: float) -> Array:
        # rho = W^{-1} E x: var_i = vw |x|^2 sum_j (W^{-1})_ij^2
        Wi = self._winv()
        n2 = np.sum(x**2, axis=1, keepdims=True)
        return np.asarray(vw * n2 * np.sum(Wi**2, axis=1)[None, :], dtype=float)


# ------------------------------------------------------------------------------------------
# invertible activations (digital)
# ------------------------------------------------------------------------------------------
class LeakyReLU(ReversibleLayer):
    """``y = x`` for x > 0, ``alpha x`` otherwise; inverse divides by ``alpha`` (digital).

    Energy: one comparison and one multiplication per element (:class:`DigitalOpEnergy`).
    """

    name = "leaky_relu"

    def __init__(self, dim: int, alpha: float = 0.2) -> None:
        super().__init__(dim)
        self.alpha = check_range(alpha, "alpha", "LeakyReLU", 0.0, 1.0, inclusive=(False, True))

    def _forward(self, x: Array) -> tuple[Array, Array]:
        x = np.asarray(x, dtype=float)
        neg = x < 0
        self._book_digital(adds=x.size, muls=x.size)
        self.last_bits_erased = float(np.sum(neg) * math.log2(1.0 / self.alpha))
        return np.where(neg, self.alpha * x, x), neg.sum(axis=1) * math.log(self.alpha)

    def inverse(self, y: Array) -> Array:
        """Map ``y`` back to ``x``."""
        y = np.asarray(y, dtype=float)
        self._book_digital(adds=y.size, muls=y.size)
        return np.where(y < 0, y / self.alpha, y)

    def backward(self, y: Array, grad_y: Array, grad_log_det: Array) -> tuple[Array, Array]:
        """Reconstruct the input by inversion and back-propagate (see base class)."""
        x = self.inverse(y)
        return x, np.where(x < 0, self.alpha, 1.0) * grad_y


class Tanh(ReversibleLayer):
    """``y = tanh(x)``, inverse ``atanh(y)`` (digital), log|det J| = Σ log(1 − y²).

    Energy: one transcendental evaluation per element (:class:`DigitalOpEnergy`). The inverse
    amplifies rounding by 1/(1 − y²): it stays below 1e-9 for |x| ≲ 8 in float64.
    """

    name = "tanh"

    def _forward(self, x: Array) -> tuple[Array, Array]:
        y = np.tanh(np.asarray(x, dtype=float))
        self._book_digital(transcendentals=y.size)
        ld = np.sum(np.log1p(-(y**2)), axis=1)
        self.last_bits_erased = float(-np.sum(ld) / math.log(2.0))
        return y, ld

    def inverse(self, y: Array) -> Array:
        """Map ``y`` back to ``x``."""
        y = np.asarray(y, dtype=float)
        if np.any(np.abs(y) >= 1.0):
            raise ParameterError("The 'y' argument of Tanh.inverse must lie in (-1, 1).")
        self._book_digital(transcendentals=y.size)
        return np.arctanh(y)

    def backward(self, y: Array, grad_y: Array, grad_log_det: Array) -> tuple[Array, Array]:
        """Reconstruct the input by inversion and back-propagate (see base class)."""
        x = self.inverse(y)
        # d/dx sum log(1 - tanh^2 x) = -2 tanh x
        return x, grad_y * (1.0 - y**2) - 2.0 * y * grad_log_det[:, None]


# ------------------------------------------------------------------------------------------
# the network
# ------------------------------------------------------------------------------------------
class ReversibleNetwork:
    """A stack of reversible layers on crossbars, with forward, inverse and log-det.

    Parameters
    ----------
    dim : int
        State dimension.
    hardware : CrossbarHardware, optional
        Execution of every linear map (default: ideal crossbars, ``CrossbarHardware()``).
    rng : numpy.random.Generator, optional
        Initialisation and noise (default: ``numpy.random.default_rng(0)``).
    ledger : EnergyLedger, optional
        Network ledger: ``forward/<cat>`` and ``inverse/<cat>`` dissipation and the
        ``landauer`` bits (default: a new ledger at the hardware temperature).
    internal_bits, readout_bits : int
        Word length of the state between layers and of the final readout (for the bits-erased
        accounting of :meth:`readout`).

    Examples
    --------
    >>> import numpy as np
    >>> net = ReversibleNetwork(2, hardware=CrossbarHardware(engine="software"))
    >>> net.add_coupling_layer(8).add_orthogonal_layer().add_coupling_layer(8, kind="additive")
    ReversibleNetwork(dim=2, layers=3)
    >>> x = np.random.default_rng(0).normal(size=(4, 2))
    >>> bool(np.max(np.abs(net.inverse(net.forward(x)) - x)) < 1e-12)
    True
    """

    def __init__(
        self,
        dim: int,
        *,
        hardware: CrossbarHardware | None = None,
        rng: np.random.Generator | None = None,
        ledger: EnergyLedger | None = None,
        internal_bits: int = 16,
        readout_bits: int = 8,
    ) -> None:
        self.dim = check_int(dim, "dim", "ReversibleNetwork", minimum=1)
        self.hardware = hardware if hardware is not None else CrossbarHardware()
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self.ledger = ledger if ledger is not None else EnergyLedger(self.hardware.temperature)
        self.hardware_ledger = EnergyLedger(self.hardware.temperature)
        self.internal_bits = check_int(internal_bits, "internal_bits", "ReversibleNetwork", 1)
        self.readout_bits = check_int(readout_bits, "readout_bits", "ReversibleNetwork", 1)
        self.layers: list[ReversibleLayer] = []
        self._parity = 0

    def __repr__(self) -> str:
        return f"ReversibleNetwork(dim={self.dim}, layers={len(self.layers)})"

    # -- building ---------------------------------------------------------------------------
    def add_layer(self, layer: ReversibleLayer) -> ReversibleNetwork:
        """Append any :class:`ReversibleLayer` of matching dimension."""
        if layer.dim != self.dim:
            raise ParameterError(
                f"The 'layer' argument of ReversibleNetwork.add_layer must have dim {self.dim}; "
                f"got {layer.dim}."
            )
        self.layers.append(layer)
        return self

    def add_coupling_layer(
        self,
        hidden: int,
        *,
        kind: str = "affine",
        parity: int | None = None,
        s_clamp: float = 2.0,
        init_scale: float = 1.0,
    ) -> ReversibleNetwork:
        """Append an affine (RealNVP) or additive (NICE) coupling; parity alternates by default."""
        check_choice(kind, "kind", "ReversibleNetwork.add_coupling_layer", ("affine", "additive"))
        p = self._parity if parity is None else int(parity)
        self._parity = 1 - p
        cls = AffineCoupling if kind == "affine" else AdditiveCoupling
        return self.add_layer(
            cls(
                self.dim,
                hidden,
                parity=p,
                hardware=self.hardware,
                rng=self.rng,
                ledger=self.hardware_ledger,
                s_clamp=s_clamp,
                init_scale=init_scale,
            )
        )

    def add_orthogonal_layer(self, Q: Array | None = None) -> ReversibleNetwork:
        """Append an orthogonal layer (inverse = transposed read)."""
        return self.add_layer(
            OrthogonalLayer(
                self.dim, hardware=self.hardware, rng=self.rng, ledger=self.hardware_ledger, Q=Q
            )
        )

    def add_lu_layer(self) -> ReversibleNetwork:
        """Append an LU-parameterised invertible linear layer."""
        return self.add_layer(
            LULinear(self.dim, hardware=self.hardware, rng=self.rng, ledger=self.hardware_ledger)
        )

    def add_leaky_relu(self, alpha: float = 0.2) -> ReversibleNetwork:
        """Append an invertible leaky ReLU."""
        return self.add_layer(LeakyReLU(self.dim, alpha))

    def add_tanh(self) -> ReversibleNetwork:
        """Append an invertible tanh (inverse atanh)."""
        return self.add_layer(Tanh(self.dim))

    # -- accounting -------------------------------------------------------------------------
    def _snapshot(self) -> tuple[dict[str, float], float]:
        return (
            self.hardware_ledger.breakdown(include_reversible=True),
            sum(layer._digital_joules for layer in self.layers),
        )

    def _book_pass(self, direction: str, before: tuple[dict[str, float], float]) -> None:
        hw0, dig0 = before
        hw1, dig1 = self._snapshot()
        for cat, j in hw1.items():
            dj = j - hw0.get(cat, 0.0)
            if dj > 0:
                self.ledger.book(f"{direction}/{cat}", dj, source="simulated")
        if dig1 > dig0:
            self.ledger.book(f"{direction}/digital", dig1 - dig0, source="model")

    # -- passes -----------------------------------------------------------------------------
    def _check(self, x: Array, name: str) -> Array:
        x = finite_array(x, name, "ReversibleNetwork")
        if x.ndim == 1:
            x = x[None, :]
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ParameterError(
                f"The '{name}' argument of ReversibleNetwork must have shape (B, {self.dim}); "
                f"got {x.shape}."
            )
        return x

    def forward_with_log_det(self, x: Array, *, book_bits: bool = True) -> tuple[Array, Array]:
        """Run the stack forward; return ``y`` and the summed log|det J| per sample (nats)."""
        x = self._check(x, "x")
        before = self._snapshot()
        ld = np.zeros(x.shape[0])
        bits = 0.0
        for layer in self.layers:
            layer.last_bits_erased = 0.0
            x, ld_k = layer.forward_with_log_det(x)
            bits += layer.last_bits_erased
            ld = ld + ld_k
        self._book_pass("forward", before)
        if book_bits:
            self.ledger.book("landauer", 0.0, bits_erased=bits, source="bound")
        return x, ld

    def forward(self, x: Array) -> Array:
        """Run the stack forward."""
        return self.forward_with_log_det(x, book_bits=False)[0]

    def log_det(self, x: Array) -> Array:
        """Return the summed log|det ∂f/∂x| per sample, nats."""
        return self.forward_with_log_det(x, book_bits=False)[1]

    def inverse(self, y: Array) -> Array:
        """Run the stack backwards (each layer's inverse, last layer first)."""
        y = self._check(y, "y")
        before = self._snapshot()
        for layer in reversed(self.layers):
            y = layer.inverse(y)
        self._book_pass("inverse", before)
        return y

    def readout(self, y: Array, *, full_scale: float = 4.0) -> Array:
        """Quantise ``y`` to ``readout_bits`` over ±``full_scale`` and book the erased bits.

        The final readout is the step that loses information: ``internal_bits − readout_bits``
        bits per value are erased (booked with their Landauer bound, 0 J, ``source="bound"``).
        """
        y = self._check(y, "y")
        n = 2**self.readout_bits
        step = 2.0 * full_scale / n
        q = np.clip(np.round(y / step), -n // 2, n // 2 - 1) * step
        lost = max(0, self.internal_bits - self.readout_bits) * y.size
        self.ledger.book("landauer", 0.0, bits_erased=lost, source="bound")
        return np.asarray(q, dtype=float)

    # -- training support -------------------------------------------------------------------
    def backward(self, y: Array, grad_y: Array, grad_log_det: Array) -> tuple[Array, Array]:
        """Back-propagate from the output only, recomputing each input by inversion.

        Gradients are computed digitally (float64) from activations re-read on the crossbars
        during the inversion; transposes use the digital weight copies. Returns the
        reconstructed input and ∂loss/∂x; parameter gradients are left in each layer's
        ``grads``.
        """
        before = self._snapshot()
        g = np.asarray(grad_y, dtype=float)
        gl = np.asarray(grad_log_det, dtype=float)
        for layer in reversed(self.layers):
            y, g = layer.backward(y, g, gl)
        self._book_pass("backward", before)
        return y, g

    def parameters(self) -> list[tuple[ReversibleLayer, str, Array]]:
        """(layer, name, array) for every trainable array (updated in place)."""
        return [(layer, k, v) for layer in self.layers for k, v in layer.params.items()]

    def program(self) -> None:
        """Write every layer's digital parameters to its crossbars."""
        before = self._snapshot()
        for layer in self.layers:
            layer.program()
        self._book_pass("train", before)

    def crossbars(self) -> list[CrossbarLinear]:
        """Every crossbar-executed linear map."""
        return [c for layer in self.layers for c in layer.crossbars()]

    def n_parameters(self) -> int:
        """Return the number of trainable scalars."""
        return int(sum(v.size for _, _, v in self.parameters()))

    # -- reconstruction and its linearised error prediction ---------------------------------
    def reconstruction_error(self, x: Array) -> Array:
        """``inverse(forward(x)) − x`` (B, d)."""
        x = self._check(x, "x")
        return self.inverse(self.forward(x)) - x

    def ideal_copy(self) -> ReversibleNetwork:
        """Return a software (exact float64) twin with the same digital parameters."""
        import copy

        twin = copy.copy(self)
        twin.hardware = SOFTWARE
        twin.ledger = EnergyLedger(self.hardware.temperature)
        twin.layers = []
        for layer in self.layers:
            new = copy.copy(layer)
            for attr in ("l1", "l2", "xb"):
                op = getattr(layer, attr, None)
                if op is not None:
                    sw = copy.copy(op)
                    sw._layer = None
                    sw.hardware = SOFTWARE
                    setattr(new, attr, sw)
            new._digital_joules = 0.0
            twin.layers.append(new)
        return twin

    def predicted_reconstruction_rms(self, x: Array) -> float:
        """Linearised propagated-noise estimate of RMS(inverse∘forward − id) on ``x``.

        With ``ρ_k`` the error of layer k alone (its own forward then inverse), the stack's
        error is, to first order, ``r = ρ_1 + J_1^{-1}(ρ_2 + J_2^{-1}(ρ_3 + ...))`` where
        ``J_k^{-1}`` is the Jacobian of layer k's ideal inverse. ``ρ_k`` is modelled as
        independent zero-mean noise with per-component variance from (i) fresh read noise
        (variance ``(read_sigma·w_scale)²`` per read, propagated through tanh', exp(s) and
        ``W^{-1}``; device read noise, e.g. Johnson noise, is calibrated by repeated reads, see
        :meth:`CrossbarLinear.read_noise_variance`) and (ii) static weight errors
        (programming error, finite levels, cycle-to-cycle write noise) with the mean square
        of the measured effective-minus-target weights; static errors cancel
        exactly in coupling layers. IR drop (a systematic, direction-dependent error) is not
        included. Jacobians are central finite differences (step 1e-6) of the ideal twin.
        """
        x = self._check(x, "x")
        ideal = self.ideal_copy()
        xs = [x]
        for layer in ideal.layers:
            xs.append(layer.forward(xs[-1]))
        B, d = x.shape
        total = 0.0
        A = np.broadcast_to(np.eye(d), (B, d, d)).copy()  # J_1^{-1}...J_{k-1}^{-1}
        for k, (layer, real) in enumerate(zip(ideal.layers, self.layers, strict=True)):
            var = np.zeros((B, d))
            ops = real.crossbars()
            if ops:
                vr1 = ops[0].read_noise_variance()
                vr2 = ops[-1].read_noise_variance(transposed=len(ops) == 1)
                if hasattr(layer, "_read_noise_variance") and vr1 + vr2 > 0:
                    var += layer._read_noise_variance(xs[k], vr1, vr2)
                if hasattr(layer, "_static_variance"):
                    vw = float(np.mean((ops[0].weights - ops[0].target) ** 2))
                    if vw > 0:
                        var += layer._static_variance(xs[k], vw)
            total += float(np.sum(A**2 * var[:, None, :]))
            # Jacobian of this layer's inverse at y_k = xs[k+1]
            Jinv = np.empty((B, d, d))
            eps = 1e-6
            for j in range(d):
                e = np.zeros(d)
                e[j] = eps
                Jinv[:, :, j] = (layer.inverse(xs[k + 1] + e) - layer.inverse(xs[k + 1] - e)) / (
                    2 * eps
                )
            A = A @ Jinv
        return math.sqrt(total / (B * d))


def numerical_log_det(f: Any, x: Array, eps: float = 1e-6) -> Array:
    """log|det J| of ``f`` at each row of ``x`` by central finite differences (step ``eps``)."""
    x = np.asarray(x, dtype=float)
    B, d = x.shape
    J = np.empty((B, d, d))
    for j in range(d):
        e = np.zeros(d)
        e[j] = eps
        J[:, :, j] = (f(x + e) - f(x - e)) / (2 * eps)
    return np.asarray(np.linalg.slogdet(J)[1], dtype=float)


__all__ = [
    "AdditiveCoupling",
    "AffineCoupling",
    "CrossbarHardware",
    "CrossbarLinear",
    "DigitalOpEnergy",
    "LULinear",
    "LeakyReLU",
    "OrthogonalLayer",
    "ReversibleLayer",
    "ReversibleNetwork",
    "SOFTWARE",
    "Tanh",
    "numerical_log_det",
    "random_orthogonal",
]
