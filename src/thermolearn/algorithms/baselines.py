"""Software baselines on the same splits as the physical runs (no circuit, no energy booked).

* :class:`BackpropMLP` — the same layered architecture as the EP circuit, trained by backprop
  (tanh hidden units, softmax cross-entropy, plain SGD);
* :func:`linear_baselines` — ridge classifier, multinomial logistic regression and 1-nearest
  neighbour (scikit-learn) fitted on the training split and scored on the test split.

These are the reference points a physical EP accuracy is compared with: a task on which ridge
or logistic regression already matches the circuit does not show that the circuit's
nonlinearity is used.

A weak baseline fakes a result, so the benchmark (:mod:`thermolearn.experiments.ep_benchmark`)
gives the baselines the same model selection as EP: each free parameter (backprop's learning
rate and epoch count, ridge's alpha, logistic regression's C) is chosen on a validation split
carved from the training split only (:data:`VALIDATION_FRACTION`, the grids below, picked by
:func:`best_on_validation`), then the model is refitted on the whole training split and scored
once on the test split (:func:`tuned_linear_baselines`). 1-NN has no free parameter.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
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


#: Share of the training split held out (its last examples) to choose the baselines' parameters.
VALIDATION_FRACTION = 0.25
#: Backprop MLP learning rates (plain SGD) tried on the validation split (to 10: on digits the
#: validation optimum was 3, the top of a grid ending there, on 3 of 5 seeds).
BACKPROP_LR_GRID = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
#: Ridge classifier ``alpha`` values tried on the validation split (to 1e4: on MNIST 5k
#: the validation optimum was 100, the top of a grid ending there).
RIDGE_ALPHA_GRID = (0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0)
#: Logistic-regression inverse regularisation ``C`` values tried on the validation split (to
#: 100: on digits the validation optimum was 10, the top of a grid ending there).
LOGISTIC_C_GRID = (0.01, 0.1, 1.0, 10.0, 100.0)


def best_on_validation(curves: Mapping[Any, Sequence[float]]) -> tuple[Any, int, float]:
    """Return the grid point and epoch count with the highest validation accuracy.

    ``curves[key][e - 1]`` is the validation accuracy of grid point ``key`` after ``e`` epochs
    (a single-element sequence for a model without epochs). Returns ``(key, epochs, accuracy)``;
    ties go to the earlier key (grid order), then to fewer epochs.
    """
    best: tuple[Any, int, float] | None = None
    for key, curve in curves.items():
        for e, acc in enumerate(curve, start=1):
            if best is None or acc > best[2]:
                best = (key, e, float(acc))
    if best is None:
        raise ValueError("best_on_validation needs at least one non-empty curve")
    return best


def _linear_models(seed: int) -> dict[str, tuple[str, Sequence[float], Any]]:
    from sklearn.linear_model import LogisticRegression, RidgeClassifier

    return {
        "ridge": ("alpha", RIDGE_ALPHA_GRID, lambda a: RidgeClassifier(alpha=a)),
        "logistic_regression": ("C", LOGISTIC_C_GRID, lambda c: LogisticRegression(
            C=c, max_iter=2000, random_state=seed)),
    }


def _grid_label(key: tuple[Any, Any], by_encoding: bool) -> str:
    """``"encoding:value"``, ``"encoding"`` (no parameter) or ``"value"`` for a grid key."""
    enc, value = key
    parts = ([str(enc)] if by_encoding else []) + ([] if value is None else [str(value)])
    return ":".join(parts)


def tuned_linear_baselines(validation: Any, data: Any, *, seed: int = 0) -> dict[str, Any]:
    """Ridge, logistic regression and 1-NN tuned on ``validation``, refitted and scored on ``data``.

    ``validation`` is a :class:`thermolearn.datasets.Dataset` whose test split is carved from
    ``data``'s training split (:meth:`~thermolearn.datasets.Dataset.holdout`); its parameter
    (ridge ``alpha``, logistic ``C``) is chosen there by :func:`best_on_validation`; only the
    refitted model sees ``data.x_test``. ``validation`` and ``data`` may also be mappings from
    an input-encoding name to the same splits encoded that way (same keys): the encoding is then
    chosen on validation with the parameter, for 1-NN (no parameter) alone. Returns the test
    accuracies and, under ``"selection"``, the chosen value(s) and the validation accuracy of
    every grid point (keyed ``"value"`` or, with encodings, ``"encoding:value"``).
    """
    from sklearn.neighbors import KNeighborsClassifier

    by_enc = isinstance(validation, Mapping)
    vals = validation if by_enc else {None: validation}
    datas = data if by_enc else {None: data}
    if set(vals) != set(datas):
        raise ValueError("tuned_linear_baselines: validation and data need the same encodings")
    models = dict(_linear_models(seed))
    models["nearest_neighbour"] = (None, (None,), lambda _: KNeighborsClassifier(n_neighbors=1))
    out: dict[str, Any] = {}
    selection: dict[str, Any] = {}
    for name, (param, grid, make) in models.items():
        val = {}
        for enc, vd in vals.items():
            for v in grid:
                m = make(v).fit(vd.x_train, vd.y_train)
                val[(enc, v)] = [float(np.mean(m.predict(vd.x_test) == vd.y_test))]
        (enc, chosen), _, acc = best_on_validation(val)
        d = datas[enc]
        m = make(chosen).fit(d.x_train, d.y_train)
        out[name] = float(np.mean(m.predict(d.x_test) == d.y_test))
        if param is None and not by_enc:
            continue  # 1-NN without encodings: nothing was chosen
        sel: dict[str, Any] = {"validation_accuracy": acc}
        if param is not None:
            sel[param] = chosen
            sel["at_grid_edge"] = chosen in (grid[0], grid[-1])
        if by_enc:
            sel["input_encoding"] = enc
        sel["validation_grid"] = {_grid_label(k, by_enc): c[0] for k, c in val.items()}
        selection[name] = sel
    out["selection"] = selection
    return out


__all__ = ["BACKPROP_LR_GRID", "LOGISTIC_C_GRID", "RIDGE_ALPHA_GRID", "VALIDATION_FRACTION",
           "BackpropMLP", "best_on_validation", "linear_baselines", "tuned_linear_baselines"]
