"""Abstract equilibrium propagation on a layered energy-based (mean-field Hopfield) network.

Energy (states s_k ∈ (0, 1)^{n_k} of layers k = 1..L, input s_0 = x clamped)::

    E(s) = T Σ_{k≥1} Σ_i [s ln s + (1 − s) ln(1 − s)]_{k,i}
           − Σ_k s_k^T W_k s_{k+1} − Σ_{k≥1} b_k^T s_k

i.e. the mean-field free energy of a layered Boltzmann machine at temperature T. There are no
lateral connections, so minimising over one layer with the others fixed is exact and closed
form: s_k = σ((W_{k−1}^T s_{k−1} + W_k s_{k+1} + b_k)/T). The output layer in the nudged phase
minimises F = E + β C with C = ½‖s_L − y‖², a scalar monotone equation per unit (solved by a
safeguarded Newton iteration in the logit).

Gradient estimators (Scellier & Bengio 2017; Laborieux et al. 2021):

* one-sided:  ĝ = (∂F/∂θ(s^β) − ∂F/∂θ(s^0)) / β       — bias O(β)
* centred:    ĝ = (∂F/∂θ(s^β) − ∂F/∂θ(s^{−β})) / (2β)  — bias O(β²)

with ∂E/∂W_k = −s_k s_{k+1}^T and ∂E/∂b_k = −s_k. The exact gradient of C(s^0(θ)) is computed
by implicit differentiation ("recurrent backprop" at the fixed point): λ = H^{−1} ∂C/∂s with the
Hessian H of E, dC/dθ = −λ^T ∂²E/∂s∂θ; and by central finite differences for the tests.

References
----------
.. [1] B. Scellier, Y. Bengio, "Equilibrium Propagation: Bridging the Gap between Energy-Based
   Models and Backpropagation", Front. Comput. Neurosci. 11:24 (2017).
.. [2] A. Laborieux et al., "Scaling Equilibrium Propagation to Deep ConvNets by Drastically
   Reducing its Gradient Estimator Bias", Front. Neurosci. 15:633674 (2021).
.. [3] L. B. Almeida (1987), F. J. Pineda (1987): recurrent backpropagation at fixed points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from thermolearn.errors import ConvergenceError, ParameterError
from thermolearn.validation import check_choice, check_int, check_positive, finite_array

Array = NDArray[np.float64]


def _sigmoid(z: Array) -> Array:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


@dataclass(slots=True)
class EBState:
    """Layer states s_1..s_L, each (B, n_k), and the number of sweeps used."""

    layers: list[Array]
    sweeps: int


class EnergyBasedNetwork:
    """Layered mean-field Hopfield network trained by equilibrium propagation.

    Parameters
    ----------
    layer_sizes : sequence of int
        (n_in, hidden..., n_out), at least two entries.
    beta : float
        Nudging strength β > 0 (dimensionless).
    temperature : float
        T > 0 of the entropy term (dimensionless; sets the sigmoid slope).
    rng : numpy.random.Generator
        Draws the initial weights (Glorot-uniform scale × ``init_scale``).
    persistent : bool
        If True, :meth:`train_step` starts the free phase from the last free state of the same
        batch slot (persistent states).
    tol : float
        Convergence tolerance on the states.
    max_sweeps : int
        Maximum layer sweeps per relaxation.
    """

    def __init__(
        self,
        layer_sizes: ArrayLike,
        *,
        beta: float = 0.1,
        temperature: float = 1.0,
        rng: np.random.Generator,
        init_scale: float = 1.0,
        persistent: bool = False,
        tol: float = 1e-12,
        max_sweeps: int = 10000,
    ) -> None:
        owner = "EnergyBasedNetwork"
        raw = np.asarray(layer_sizes).ravel().tolist()
        sizes = [check_int(s, "layer_sizes", owner, minimum=1) for s in raw]
        if len(sizes) < 2:
            raise ParameterError(
                f"The 'layer_sizes' parameter of {owner} needs >= 2 layers; got {sizes}."
            )
        self.sizes = tuple(sizes)
        self.beta = check_positive(beta, "beta", owner)
        self.temperature = check_positive(temperature, "temperature", owner)
        self.tol = check_positive(tol, "tol", owner)
        self.max_sweeps = check_int(max_sweeps, "max_sweeps", owner, minimum=1)
        self.persistent = bool(persistent)
        check_positive(init_scale, "init_scale", owner)
        self.W = [
            rng.uniform(-1, 1, size=(a, b)) * init_scale * np.sqrt(6.0 / (a + b))
            for a, b in zip(self.sizes[:-1], self.sizes[1:], strict=True)
        ]
        self.b = [np.zeros(n) for n in self.sizes[1:]]
        self._persist: list[Array] | None = None

    # -- parameters ---------------------------------------------------------------------------
    @property
    def params(self) -> list[Array]:
        """All parameters: [W_0..W_{L−1}, b_1..b_L]."""
        return self.W + self.b

    def set_params(self, params: list[Array]) -> None:
        """Replace all parameters (same order and shapes as :attr:`params`)."""
        cur = self.params
        if len(params) != len(cur) or any(
            p.shape != c.shape for p, c in zip(params, cur, strict=True)
        ):
            raise ParameterError("EnergyBasedNetwork.set_params: wrong number or shapes of arrays.")
        n = len(self.W)
        self.W = [np.array(p, dtype=float) for p in params[:n]]
        self.b = [np.array(p, dtype=float) for p in params[n:]]

    def check_batch(self, x: ArrayLike, y: ArrayLike | None = None) -> tuple[Array, Array | None]:
        """Validate x (B, n_in) and targets y (B, n_out) in [0, 1]."""
        xa = finite_array(x, "x", "EnergyBasedNetwork")
        if xa.ndim != 2 or xa.shape[1] != self.sizes[0]:
            raise ParameterError(
                f"The 'x' argument of EnergyBasedNetwork must have shape (batch, {self.sizes[0]}); "
                f"got {xa.shape}."
            )
        if y is None:
            return xa, None
        ya = finite_array(y, "y", "EnergyBasedNetwork")
        if ya.shape != (xa.shape[0], self.sizes[-1]):
            raise ParameterError(
                f"The 'y' argument of EnergyBasedNetwork must have shape ({xa.shape[0]}, "
                f"{self.sizes[-1]}); got {ya.shape}."
            )
        return xa, ya

    # -- energy ---------------------------------------------------------------------------------
    def energy(self, x: Array, layers: list[Array]) -> Array:
        """E(s) per sample, shape (B,)."""
        t = self.temperature
        s_all = [x, *layers]
        e = np.zeros(x.shape[0])
        for s in layers:
            sc = np.clip(s, 1e-300, 1 - 1e-16)
            e += t * np.sum(sc * np.log(sc) + (1 - sc) * np.log1p(-sc), axis=1)
        for k, w in enumerate(self.W):
            e -= np.einsum("bi,ij,bj->b", s_all[k], w, s_all[k + 1])
        for s, b in zip(layers, self.b, strict=True):
            e -= s @ b
        return e

    def _solve_output(self, a: Array, beta: float, y: Array) -> Array:
        """Minimise T φ(s) − a s + β/2 (s − y)² per unit: T z − a + β(σ(z) − y) = 0, z = logit s."""
        t = self.temperature
        if beta == 0.0:
            return _sigmoid(a / t)
        c = a + beta * y
        lo = np.minimum((c - beta) / t, c / t)
        hi = np.maximum((c - beta) / t, c / t)
        z = 0.5 * (lo + hi)
        for _ in range(100):
            s = _sigmoid(z)
            g = t * z - c + beta * s
            gp = t + beta * s * (1 - s)
            lo = np.where(g > 0, lo, z)
            hi = np.where(g > 0, z, hi)
            zn = z - g / gp
            bad = (zn <= lo) | (zn >= hi) | ~np.isfinite(zn)
            zn = np.where(bad, 0.5 * (lo + hi), zn)
            if np.max(np.abs(zn - z)) < 1e-13 * (1 + np.max(np.abs(z))):
                z = zn
                break
            z = zn
        return _sigmoid(z)

    def relax(
        self,
        x: Array,
        *,
        beta: float = 0.0,
        y: Array | None = None,
        init: list[Array] | None = None,
    ) -> EBState:
        """Minimise E + β C by exact layer-wise sweeps until the states change < ``tol``.

        ``beta`` may be negative (the −β phase of the centred estimator) as long as
        |β| < T·4 keeps the output problem convex.
        """
        t = self.temperature
        big_l = len(self.W)
        if beta < 0 and -beta >= 4 * t:
            raise ParameterError(
                f"|beta| = {-beta} must be < 4 T = {4 * t} for a convex nudged output problem."
            )
        yy = np.zeros((x.shape[0], self.sizes[-1])) if y is None else y
        s = (
            [np.full((x.shape[0], n), 0.5) for n in self.sizes[1:]]
            if init is None
            else [a.copy() for a in init]
        )
        for sweep in range(1, self.max_sweeps + 1):
            delta = 0.0
            for k in range(1, big_l + 1):
                below = x if k == 1 else s[k - 2]
                a = below @ self.W[k - 1] + self.b[k - 1]
                if k < big_l:
                    a = a + s[k] @ self.W[k].T
                    new = _sigmoid(a / t)
                else:
                    new = self._solve_output(a, beta, yy)
                delta = max(delta, float(np.max(np.abs(new - s[k - 1]))))
                s[k - 1] = new
            if delta < self.tol:
                return EBState(layers=s, sweeps=sweep)
        raise ConvergenceError(
            f"EnergyBasedNetwork.relax did not converge in {self.max_sweeps} sweeps "
            f"(last change {delta:.3g}).",
            residual=delta,
        )

    def cost(self, layers: list[Array], y: Array) -> Array:
        """C = ½‖s_L − y‖² per sample."""
        return 0.5 * np.sum((layers[-1] - y) ** 2, axis=1)  # type: ignore[no-any-return]

    def _dE_dtheta(self, x: Array, layers: list[Array]) -> list[Array]:
        """∂E/∂θ summed over the batch at the given states."""
        s_all = [x, *layers]
        gw = [-(s_all[k].T @ s_all[k + 1]) for k in range(len(self.W))]
        gb = [-s.sum(axis=0) for s in layers]
        return gw + gb

    # -- estimators -----------------------------------------------------------------------------
    def ep_gradient(
        self,
        x: ArrayLike,
        y: ArrayLike,
        *,
        estimator: str = "centred",
        beta: float | None = None,
        free: EBState | None = None,
    ) -> list[Array]:
        """EP estimate of dC/dθ (batch mean) with the one-sided or centred estimator."""
        check_choice(
            estimator, "estimator", "EnergyBasedNetwork.ep_gradient", ("centred", "one-sided")
        )
        xa, ya = self.check_batch(x, y)
        assert ya is not None
        b = (
            self.beta
            if beta is None
            else check_positive(beta, "beta", "EnergyBasedNetwork.ep_gradient")
        )
        if free is None:
            free = self.relax(xa)
        plus = self.relax(xa, beta=b, y=ya, init=free.layers)
        gp = self._dE_dtheta(xa, plus.layers)
        bsz = xa.shape[0]
        if estimator == "one-sided":
            g0 = self._dE_dtheta(xa, free.layers)
            return [(p - q) / (b * bsz) for p, q in zip(gp, g0, strict=True)]
        minus = self.relax(xa, beta=-b, y=ya, init=free.layers)
        gm = self._dE_dtheta(xa, minus.layers)
        return [(p - q) / (2 * b * bsz) for p, q in zip(gp, gm, strict=True)]

    def exact_gradient(self, x: ArrayLike, y: ArrayLike) -> list[Array]:
        """dC/dθ (batch mean) by implicit differentiation at the free fixed point.

        Builds the per-sample Hessian of E (dense; small nets only) and solves H λ = ∂C/∂s.
        """
        xa, ya = self.check_batch(x, y)
        assert ya is not None
        free = self.relax(xa)
        t = self.temperature
        sizes = self.sizes[1:]
        off = np.concatenate([[0], np.cumsum(sizes)])
        n = int(off[-1])
        gW = [np.zeros_like(w) for w in self.W]
        gb = [np.zeros_like(b) for b in self.b]
        for i in range(xa.shape[0]):
            s = [layer[i] for layer in free.layers]
            h = np.zeros((n, n))
            for k, sk in enumerate(s):
                idx = slice(off[k], off[k + 1])
                h[idx, idx] = np.diag(t / (sk * (1 - sk)))
            for k in range(1, len(self.W)):
                # coupling between layer k (index k-1) and k+1 (index k) through W_k
                a, bb = slice(off[k - 1], off[k]), slice(off[k], off[k + 1])
                h[a, bb] = -self.W[k]
                h[bb, a] = -self.W[k].T
            dc = np.zeros(n)
            dc[off[-2] :] = s[-1] - ya[i]
            lam = np.linalg.solve(h, dc)
            lams = [lam[off[k] : off[k + 1]] for k in range(len(sizes))]
            s_all = [xa[i], *s]
            l_all = [np.zeros_like(xa[i]), *lams]
            for k in range(len(self.W)):
                gW[k] += np.outer(l_all[k], s_all[k + 1]) + np.outer(s_all[k], l_all[k + 1])
            for k in range(len(self.b)):
                gb[k] += lams[k]
        bsz = xa.shape[0]
        return [g / bsz for g in gW + gb]

    def finite_difference_gradient(
        self, x: ArrayLike, y: ArrayLike, h: float = 1e-6
    ) -> list[Array]:
        """dC/dθ (batch mean) by central finite differences of C at re-relaxed equilibria."""
        xa, ya = self.check_batch(x, y)
        assert ya is not None
        params = [p.copy() for p in self.params]
        out = []
        try:
            for pi, p in enumerate(params):
                g = np.zeros_like(p)
                for idx in np.ndindex(p.shape):
                    vals = []
                    for sgn in (1.0, -1.0):
                        q = [a.copy() for a in params]
                        q[pi][idx] += sgn * h
                        self.set_params(q)
                        vals.append(float(np.mean(self.cost(self.relax(xa).layers, ya))))
                    g[idx] = (vals[0] - vals[1]) / (2 * h)
                out.append(g)
        finally:
            self.set_params(params)
        return out

    # -- training -------------------------------------------------------------------------------
    def train_step(
        self, x: ArrayLike, y: ArrayLike, lr: float, *, estimator: str = "centred"
    ) -> float:
        """One EP update θ ← θ − lr ĝ on a batch; returns the batch's mean free-phase cost."""
        xa, ya = self.check_batch(x, y)
        assert ya is not None
        init = None
        if (
            self.persistent
            and self._persist is not None
            and self._persist[0].shape[0] == xa.shape[0]
        ):
            init = self._persist
        free = self.relax(xa, init=init)
        if self.persistent:
            self._persist = [a.copy() for a in free.layers]
        g = self.ep_gradient(xa, ya, estimator=estimator, free=free)
        self.set_params([p - lr * gi for p, gi in zip(self.params, g, strict=True)])
        return float(np.mean(self.cost(free.layers, ya)))

    def predict(self, x: ArrayLike) -> Array:
        """Free-phase output states (B, n_out)."""
        xa, _ = self.check_batch(x)
        return self.relax(xa).layers[-1]


def cosine_similarity(a: list[Array], b: list[Array]) -> float:
    """Cosine similarity of two gradient lists, flattened."""
    va = np.concatenate([x.ravel() for x in a])
    vb = np.concatenate([x.ravel() for x in b])
    return float(va @ vb / (np.linalg.norm(va) * np.linalg.norm(vb)))


__all__ = ["EnergyBasedNetwork", "EBState", "cosine_similarity"]
