"""Software baselines on the same splits as the physical runs (no circuit, no energy booked).

* :class:`BackpropMLP` — the same layered architecture as the EP circuit, trained by backprop
  (tanh hidden units, softmax cross-entropy, plain SGD);
* :func:`linear_baselines` — ridge classifier, multinomial logistic regression and 1-nearest
  neighbour (scikit-learn) fitted on the training split and scored on the test split.

These are the reference points a physical EP accuracy is compared with: a task on which ridge
or logistic regression already matches the circuit does not show that the circuit's
nonlinearity is used.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.numerics import softmax

Array = NDArray[np.float64]


class BackpropMLP:
    """The layered architecture ``sizes`` trained by backprop (tanh hidden, softmax output).

    Parameters
    ----------
    sizes : tuple of int
        (n_in, hidden..., n_out).
    rng : numpy.random.Generator
        Draws the initial weights (normal, std 1/sqrt(fan-in)).
    """

    def __init__(self, sizes: tuple[int, ...], rng: np.random.Generator) -> None:
        self.w = [
            rng.normal(0, 1 / math.sqrt(a), size=(a, b))
            for a, b in zip(sizes[:-1], sizes[1:], strict=True)
        ]
        self.b = [np.zeros(b) for b in sizes[1:]]

    @property
    def weights(self) -> list[Array]:
        """All arrays: weights then biases."""
        return self.w + self.b

    def set_arrays(self, arrays: list[Array]) -> None:
        """Replace all arrays (order of :attr:`weights`)."""
        n = len(self.w)
        self.w, self.b = [a.copy() for a in arrays[:n]], [a.copy() for a in arrays[n:]]

    def forward(self, x: Array) -> list[Array]:
        """Activations of every layer (input first, logits last)."""
        acts = [x]
        for k, (w, b) in enumerate(zip(self.w, self.b, strict=True)):
            z = acts[-1] @ w + b
            acts.append(z if k == len(self.w) - 1 else np.tanh(z))
        return acts

    def logits(self, x: Array) -> Array:
        """Output logits (B, n_out)."""
        return self.forward(x)[-1]

    def step(self, x: Array, y: NDArray[np.int64], lr: float) -> None:
        """One SGD step on the mean softmax cross-entropy of the batch."""
        acts = self.forward(x)
        delta = softmax(acts[-1])
        delta[np.arange(len(y)), y] -= 1.0
        delta /= len(y)
        for k in range(len(self.w) - 1, -1, -1):
            gw = acts[k].T @ delta
            gb = delta.sum(axis=0)
            if k > 0:
                delta = (delta @ self.w[k].T) * (1.0 - acts[k] ** 2)
            self.w[k] -= lr * gw
            self.b[k] -= lr * gb


def linear_baselines(data: Any, *, seed: int = 0) -> dict[str, float]:
    """Test accuracies of ridge, logistic regression and 1-NN on ``data``'s own split.

    ``data`` is a :class:`thermolearn.datasets.Dataset`. Ridge: ``RidgeClassifier(alpha=1)``;
    logistic regression: ``LogisticRegression(C=1, max_iter=2000)`` (multinomial, lbfgs);
    1-NN: Euclidean nearest neighbour.
    """
    from sklearn.linear_model import LogisticRegression, RidgeClassifier
    from sklearn.neighbors import KNeighborsClassifier

    out: dict[str, float] = {}
    models = {
        "ridge": RidgeClassifier(alpha=1.0),
        "logistic_regression": LogisticRegression(C=1.0, max_iter=2000, random_state=seed),
        "nearest_neighbour": KNeighborsClassifier(n_neighbors=1),
    }
    for name, m in models.items():
        m.fit(data.x_train, data.y_train)
        out[name] = float(np.mean(m.predict(data.x_test) == data.y_test))
    return out


__all__ = ["BackpropMLP", "linear_baselines"]
