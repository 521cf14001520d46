"""The reversible network: a stack of reversible layers with forward, inverse and accounting."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.algorithms.reversible.adapters import (
    SOFTWARE,
    CrossbarLinearMap,
    MapErrors,
    hardware_temperature,
)
from thermolearn.algorithms.reversible.layers import (
    AdditiveCoupling,
    AffineCoupling,
    LeakyReLU,
    LULinear,
    OrthogonalLayer,
    ReversibleLayer,
    Tanh,
)
from thermolearn.energy import EnergyLedger
from thermolearn.errors import ParameterError
from thermolearn.hardware import Hardware
from thermolearn.numerics import fd_jacobian
from thermolearn.validation import check_choice, check_int, finite_array

Array = NDArray[np.float64]


# ------------------------------------------------------------------------------------------
# the network
# ------------------------------------------------------------------------------------------
class ReversibleNetwork:
    """A stack of reversible layers on crossbars, with forward, inverse and log-det.

    Parameters
    ----------
    dim : int
        State dimension.
    hardware : Hardware or SOFTWARE, optional
        Hardware of every linear map (default: ideal crossbars, ``Hardware()``);
        ``SOFTWARE`` runs exact float64 products.
    errors : MapErrors, optional
        Lumped programming / read error models of every map (weight units).
    w_max : float, optional
        Fixed weight range of every map (default: follows the weights).
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
    >>> net = ReversibleNetwork(2, hardware=SOFTWARE)
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
        hardware: Hardware | str | None = None,
        errors: MapErrors | None = None,
        w_max: float | None = None,
        rng: np.random.Generator | None = None,
        ledger: EnergyLedger | None = None,
        internal_bits: int = 16,
        readout_bits: int = 8,
    ) -> None:
        self.dim = check_int(dim, "dim", "ReversibleNetwork", minimum=1)
        if hardware is not None and not (isinstance(hardware, Hardware) or hardware == SOFTWARE):
            raise ParameterError(
                "The 'hardware' parameter of ReversibleNetwork must be a Hardware or SOFTWARE; "
                f"got {hardware!r}."
            )
        self.hardware: Hardware | str = hardware if hardware is not None else Hardware()
        self.errors = errors if errors is not None else MapErrors()
        self.w_max = w_max
        self.temperature = hardware_temperature(self.hardware)
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self.ledger = ledger if ledger is not None else EnergyLedger(self.temperature)
        self.hardware_ledger = EnergyLedger(self.temperature)
        self.internal_bits = check_int(internal_bits, "internal_bits", "ReversibleNetwork", 1)
        self.readout_bits = check_int(readout_bits, "readout_bits", "ReversibleNetwork", 1)
        self.layers: list[ReversibleLayer] = []
        self._parity = 0

    def __repr__(self) -> str:
        return f"ReversibleNetwork(dim={self.dim}, layers={len(self.layers)})"

    def _map_kwargs(self) -> dict[str, Any]:
        return {
            "hardware": self.hardware,
            "errors": self.errors,
            "w_max": self.w_max,
            "rng": self.rng,
            "ledger": self.hardware_ledger,
        }

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
                errors=self.errors,
                w_max=self.w_max,
                rng=self.rng,
                ledger=self.hardware_ledger,
                s_clamp=s_clamp,
                init_scale=init_scale,
            )
        )

    def add_orthogonal_layer(self, Q: Array | None = None) -> ReversibleNetwork:
        """Append an orthogonal layer (inverse = transposed read)."""
        return self.add_layer(OrthogonalLayer(self.dim, Q=Q, **self._map_kwargs()))

    def add_lu_layer(self) -> ReversibleNetwork:
        """Append an LU-parameterised invertible linear layer."""
        return self.add_layer(LULinear(self.dim, **self._map_kwargs()))

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

    def crossbars(self) -> list[CrossbarLinearMap]:
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
        twin.ledger = EnergyLedger(self.temperature)
        twin.layers = []
        for layer in self.layers:
            new = copy.copy(layer)
            for attr in ("l1", "l2", "xb"):
                op = getattr(layer, attr, None)
                if op is not None:
                    setattr(new, attr, op.software_twin())
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
        :meth:`CrossbarLinearMap.read_noise_variance`) and (ii) static weight errors
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
            Jinv = fd_jacobian(layer.inverse, xs[k + 1], eps=1e-6)
            A = A @ Jinv
        return math.sqrt(total / (B * d))


def numerical_log_det(f: Any, x: Array, eps: float = 1e-6) -> Array:
    """log|det J| of ``f`` at each row of ``x`` by central finite differences (step ``eps``)."""
    J = fd_jacobian(f, np.asarray(x, dtype=float), eps=eps)
    return np.asarray(np.linalg.slogdet(J)[1], dtype=float)


__all__ = ["ReversibleNetwork", "numerical_log_det"]
