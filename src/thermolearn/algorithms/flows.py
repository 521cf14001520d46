"""Training reversible networks on crossbars: a normalising flow and a RevNet classifier.

How the gradients are obtained
------------------------------
Forward passes (and the inversions that recompute activations) are crossbar reads; the
gradients are computed **digitally in float64 from those measured activations** by
hand-derived back-propagation through the coupling layers (:meth:`ReversibleNetwork.backward`),
with the weight transposes taken from the digital weight copies. Adam updates the digital
copies, which are then re-programmed into the crossbars (every ``reprogram_every`` steps; each
programming is booked by the crossbar).

Normalising flow: maximum likelihood, ``-log p(x) = ½|f(x)|² + (d/2) log 2π − log|det ∂f/∂x|``
(nats per sample, in the standardised coordinates of the data). Samples are ``f^{-1}(z)``,
``z ~ N(0, I)``.

RevNet classifier (Gomez et al. 2017): reversible coupling blocks followed by a linear readout
(a crossbar) and softmax cross-entropy. With ``reversible=True`` the backward pass keeps only
the final activations and recomputes every block's input by inverting it, updating each block's
parameters as soon as its gradient is known, so the peak training memory does not grow with
depth; with ``reversible=False`` the blocks' inputs and hidden activations are stored during
the forward pass, as in standard back-propagation, and memory grows linearly with depth.

References
----------
.. [1] L. Dinh, J. Sohl-Dickstein, S. Bengio, "Density estimation using Real NVP", ICLR 2017.
.. [2] A. N. Gomez, M. Ren, R. Urtasun, R. B. Grosse, "The Reversible Residual Network:
   Backpropagation Without Storing Activations", NeurIPS 2017.
.. [3] D. P. Kingma, J. Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.algorithms.reversible import (
    SOFTWARE,
    CouplingLayer,
    CrossbarLinearMap,
    MapErrors,
    ReversibleNetwork,
    make_map,
)
from thermolearn.energy import EnergyLedger
from thermolearn.errors import ParameterError
from thermolearn.hardware import Hardware
from thermolearn.numerics import softmax
from thermolearn.validation import check_int, check_positive

Array = NDArray[np.float64]


class Adam:
    """Adam (Kingma & Ba 2015) on named float64 arrays, updated in place, layer by layer.

    State is allocated once at construction, so updates allocate only temporaries.
    """

    def __init__(
        self,
        params: list[tuple[Any, str, Array]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.lr = check_positive(lr, "lr", "Adam")
        self.b1, self.b2 = betas
        self.eps = eps
        self.state: dict[int, tuple[Array, Array]] = {
            id(a): (np.zeros_like(a), np.zeros_like(a)) for _, _, a in params
        }
        self.t: dict[int, int] = {id(a): 0 for _, _, a in params}

    def update(self, owner: Any) -> None:
        """Apply ``owner.grads`` to ``owner.params`` (in place) and clear the gradients."""
        for name, g in owner.grads.items():
            a = owner.params[name]
            m, v = self.state[id(a)]
            self.t[id(a)] += 1
            t = self.t[id(a)]
            m *= self.b1
            m += (1 - self.b1) * g
            v *= self.b2
            v += (1 - self.b2) * g * g
            a -= self.lr * (m / (1 - self.b1**t)) / (np.sqrt(v / (1 - self.b2**t)) + self.eps)
        owner.grads.clear()


# ------------------------------------------------------------------------------------------
# normalising flow
# ------------------------------------------------------------------------------------------
def two_moons(n: int, rng: np.random.Generator, *, noise: float = 0.05) -> Array:
    """``n`` samples of scikit-learn's two moons (offline generator), as float64 (n, 2)."""
    from sklearn.datasets import make_moons

    x, _ = make_moons(
        n_samples=check_int(n, "n", "two_moons", 1),
        noise=noise,
        random_state=int(rng.integers(2**31 - 1)),
    )
    return np.asarray(x, dtype=float)


def make_flow(
    *,
    dim: int = 2,
    n_coupling: int = 6,
    hidden: int = 32,
    hardware: Hardware | str | None = None,
    errors: MapErrors | None = None,
    seed: int = 0,
    lu: bool = False,
) -> ReversibleNetwork:
    """Build a RealNVP-style flow: affine couplings alternating with orthogonal (or LU) layers.

    ``hardware`` (default ideal ``Hardware()``; ``SOFTWARE`` for float64) and ``errors`` (lumped
    map errors) are those of :class:`ReversibleNetwork`.
    """
    net = ReversibleNetwork(dim, hardware=hardware, errors=errors, rng=np.random.default_rng(seed))
    for i in range(check_int(n_coupling, "n_coupling", "make_flow", 1)):
        net.add_coupling_layer(hidden, kind="affine")
        if i < n_coupling - 1:
            if lu:
                net.add_lu_layer()
            else:
                net.add_orthogonal_layer()
    return net


def flow_nll(net: ReversibleNetwork, x: Array) -> float:
    """Mean negative log-likelihood in nats per sample under the flow with a N(0, I) base."""
    z, ld = net.forward_with_log_det(x, book_bits=False)
    d = z.shape[1]
    return float(np.mean(0.5 * np.sum(z**2, axis=1) + 0.5 * d * math.log(2 * math.pi) - ld))


def flow_sample(net: ReversibleNetwork, n: int, rng: np.random.Generator) -> Array:
    """Draw ``n`` samples ``f^{-1}(z)`` with ``z ~ N(0, I)`` (an inverse pass on the crossbars)."""
    return net.inverse(rng.normal(size=(n, net.dim)))


@dataclass
class FlowHistory:
    """Per-evaluation training record."""

    step: list[int] = field(default_factory=list)
    train_nll: list[float] = field(default_factory=list)
    test_nll: list[float] = field(default_factory=list)


def train_flow(
    net: ReversibleNetwork,
    x_train: Array,
    *,
    x_test: Array | None = None,
    steps: int = 1000,
    batch: int = 128,
    lr: float = 3e-3,
    rng: np.random.Generator | None = None,
    reprogram_every: int = 1,
    eval_every: int = 100,
) -> FlowHistory:
    """Train ``net`` by maximum likelihood (Adam; digital gradients, crossbar forward passes).

    Parameters
    ----------
    net : ReversibleNetwork
        The flow (its layers execute on ``net.hardware``).
    x_train, x_test : ndarray (n, d)
        Training and (optional) test data.
    steps, batch : int
        Optimisation steps and mini-batch size.
    lr : float
        Adam learning rate.
    rng : numpy.random.Generator
        Mini-batch sampling (kept separate from the hardware noise generator).
    reprogram_every : int
        Steps between re-programming the crossbars with the digital weights.
    eval_every : int
        Steps between NLL evaluations.
    """
    rng = rng if rng is not None else np.random.default_rng(1)
    check_int(steps, "steps", "train_flow", 1)
    check_int(reprogram_every, "reprogram_every", "train_flow", 1)
    opt = Adam(net.parameters(), lr=lr)
    hist = FlowHistory()
    n = x_train.shape[0]
    B = min(check_int(batch, "batch", "train_flow", 1), n)
    for step in range(1, steps + 1):
        xb = x_train[rng.choice(n, size=B, replace=False)]
        z, _ = net.forward_with_log_det(xb, book_bits=False)
        net.backward(z, z / B, -np.ones(B) / B)
        for layer in net.layers:
            opt.update(layer)
        if step % reprogram_every == 0:
            net.program()
        if step % eval_every == 0 or step == steps:
            hist.step.append(step)
            hist.train_nll.append(flow_nll(net, x_train))
            if x_test is not None:
                hist.test_nll.append(flow_nll(net, x_test))
    if steps % reprogram_every:
        net.program()
    return hist


# ------------------------------------------------------------------------------------------
# RevNet classifier
# ------------------------------------------------------------------------------------------
def _softmax_xent(logits: Array, labels: NDArray[Any]) -> tuple[float, Array]:
    p = softmax(logits, axis=1)
    B = logits.shape[0]
    loss = float(-np.mean(np.log(p[np.arange(B), labels] + 1e-300)))
    p[np.arange(B), labels] -= 1.0
    return loss, p / B


class _Head:
    """The non-invertible linear readout (a crossbar) of the classifier."""

    def __init__(self, op: CrossbarLinearMap) -> None:
        self.op = op
        self.params = {"W": op.target}
        self.grads: dict[str, Array] = {}


class RevNetClassifier:
    """Reversible coupling blocks + linear crossbar readout, trained by cross-entropy.

    Parameters
    ----------
    n_features, n_classes : int
        Input dimension (the width of every block) and number of classes.
    depth : int
        Number of coupling layers (a RevNet block = two couplings of opposite parity).
    hidden : int
        Width of each coupling's crossbar MLP.
    kind : {"additive", "affine"}
        Coupling type (RevNet's residual blocks are additive couplings).
    hardware : Hardware or SOFTWARE, optional
        Hardware of the linear maps (default ideal crossbars, ``Hardware()``).
    errors : MapErrors, optional
        Lumped programming / read errors of the maps.
    seed : int
        Initialisation seed.
    """

    def __init__(
        self,
        n_features: int,
        n_classes: int,
        *,
        depth: int = 4,
        hidden: int = 32,
        kind: str = "additive",
        hardware: Hardware | str | None = None,
        errors: MapErrors | None = None,
        seed: int = 0,
    ) -> None:
        owner = "RevNetClassifier"
        check_int(n_features, "n_features", owner, 2)
        self.n_classes = check_int(n_classes, "n_classes", owner, 2)
        self.depth = check_int(depth, "depth", owner, 1)
        self.net = ReversibleNetwork(
            n_features, hardware=hardware, errors=errors, rng=np.random.default_rng(seed)
        )
        for _ in range(self.depth):
            self.net.add_coupling_layer(hidden, kind=kind)
        W = self.net.rng.normal(
            0.0, 1.0 / math.sqrt(n_features + 1), size=(n_classes, n_features + 1)
        )
        self.head = _Head(
            make_map(
                W,
                self.net.hardware,
                rng=self.net.rng,
                ledger=self.net.hardware_ledger,
                errors=self.net.errors,
            )
        )
        params = self.net.parameters() + [(self.head, "W", self.head.op.target)]
        self._params = params

    @property
    def ledger(self) -> EnergyLedger:
        """The network ledger."""
        return self.net.ledger

    def make_optimizer(self, lr: float = 1e-3) -> Adam:
        """Return an Adam optimiser over every parameter (state allocated now)."""
        return Adam(self._params, lr=lr)

    def logits(self, x: Array) -> Array:
        """Class scores (B, K)."""
        y = self.net.forward(x)
        return self.head.op.matvec(np.concatenate([y, np.ones((y.shape[0], 1))], axis=1))

    def accuracy(self, x: Array, labels: NDArray[Any]) -> float:
        """Fraction of correct argmax predictions."""
        return float(np.mean(np.argmax(self.logits(x), axis=1) == labels))

    def train_step(
        self, x: Array, labels: NDArray[Any], opt: Adam, *, reversible: bool = True
    ) -> float:
        """One mini-batch step; returns the loss (nats).

        ``reversible=True``: no activations stored, each block's input recomputed by inversion
        in the backward pass and its parameters updated immediately. ``reversible=False``: the
        inputs and hidden activations of every block are stored in the forward pass.
        """
        layers = self.net.layers
        B = x.shape[0]
        zero = np.zeros(B)
        if reversible:
            y = x
            for layer in layers:
                y = layer.forward(y)
        else:
            caches: list[tuple[Array, ...]] = []
            y = x
            for layer in layers:
                if not isinstance(layer, CouplingLayer):
                    raise ParameterError(
                        "RevNetClassifier stores activations of coupling layers only."
                    )
                y, c = layer.forward_cached(y)
                caches.append(c)
        y1 = np.concatenate([y, np.ones((B, 1))], axis=1)
        loss, glog = _softmax_xent(self.head.op.matvec(y1), labels)
        W = self.head.op.target
        self.head.grads["W"] = glog.T @ y1
        g = glog @ W[:, :-1]
        opt.update(self.head)
        for k in range(len(layers) - 1, -1, -1):
            layer = layers[k]
            if reversible:
                y, g = layer.backward(y, g, zero)
            else:
                assert isinstance(layer, CouplingLayer)
                g = layer.backward_cached(caches.pop(), g, zero)
            opt.update(layer)
        self.head.op.program()
        for layer in layers:
            layer.program()
        return loss

    def fit(
        self,
        x: Array,
        labels: NDArray[Any],
        *,
        epochs: int = 10,
        batch: int = 64,
        lr: float = 3e-3,
        rng: np.random.Generator | None = None,
        reversible: bool = True,
    ) -> list[float]:
        """Train for ``epochs``; return the mean loss of each epoch."""
        rng = rng if rng is not None else np.random.default_rng(1)
        opt = self.make_optimizer(lr)
        out = []
        n = x.shape[0]
        for _ in range(check_int(epochs, "epochs", "RevNetClassifier.fit", 1)):
            perm = rng.permutation(n)
            losses = [
                self.train_step(
                    x[perm[i : i + batch]], labels[perm[i : i + batch]], opt, reversible=reversible
                )
                for i in range(0, n, batch)
            ]
            out.append(float(np.mean(losses)))
        return out


def training_peak_memory(
    depth: int,
    *,
    reversible: bool,
    n_features: int = 64,
    hidden: int = 32,
    batch: int = 256,
    steps: int = 2,
    seed: int = 0,
    hardware: Hardware | str | None = None,
) -> int:
    """Peak bytes allocated (tracemalloc) during ``steps`` training steps of a RevNet classifier.

    The model, its optimiser state and the data are allocated before tracing starts; one
    warm-up step runs under the trace and the figure is the peak above the memory traced after
    it, i.e. the working memory of a training step (activations, gradients, temporaries).
    """
    import tracemalloc

    rng = np.random.default_rng(seed)
    model = RevNetClassifier(
        n_features,
        10,
        depth=depth,
        hidden=hidden,
        hardware=hardware if hardware is not None else SOFTWARE,
        seed=seed,
    )
    opt = model.make_optimizer(1e-3)
    x = rng.normal(size=(batch, n_features))
    labels = rng.integers(0, 10, size=batch)
    tracemalloc.start()
    try:
        # warm-up inside the trace: re-programming replaces every conductance array once, so
        # after this step the model's own state is traced and steady (old arrays freed)
        model.train_step(x, labels, opt, reversible=reversible)
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for _ in range(steps):
            model.train_step(x, labels, opt, reversible=reversible)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    peak -= base
    return int(peak)


__all__ = [
    "Adam",
    "FlowHistory",
    "RevNetClassifier",
    "flow_nll",
    "flow_sample",
    "make_flow",
    "train_flow",
    "training_peak_memory",
    "two_moons",
]
