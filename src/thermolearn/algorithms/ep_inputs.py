"""Input encoding of the EP circuit: which dimensionless value each input source pair carries.

The circuit drives every feature as the source pair ±A·x (A = ``input_amplitude``, the largest
admissible read amplitude), so |x| ≤ 1 keeps every input source within ±A, and every device
drop within the same bound as the [0, 1] encoding (the ±A·x pair already spans both signs).

* ``"unit"``: x as the dataset gives it, in [0, 1] (digits: pixel / 16). Features that sit near
  a common value carry only their small deviations on top of a common-mode voltage.
* ``"standardise"``: per feature z = (x − μ) / (k·σ) with μ, σ of the TRAINING split only,
  clipped to [−1, 1] (k = ``n_std``, default 2: ±2σ span the full ±A). The same (μ, σ) are
  applied to the test split. Constant training features (σ = 0 up to rounding) map to 0 (no signal).
  MNIST-1D's features sit near 0.5 ± 0.1, so the unit encoding wastes most of the admissible
  amplitude on a common mode and leaves a signal of ~±A/10. The clip is the price of a bounded
  source range: a larger k clips less of the signal and leaves each feature a smaller share of
  the ±A swing (``TrainConfig.input_n_std``).
* ``"zscore"``: per feature z = (x − μ) / σ, NOT clipped: unbounded, so never a circuit input
  (``TrainConfig`` refuses it for EP). A single run's linear baselines see it; a benchmark's
  baselines (:mod:`thermolearn.experiments.ep_benchmark`) choose on their validation split
  between it and EP's own encoding: a classifier has no source range, so it should not be
  forced to carry the circuit's clip, but it may choose it where it helps (MNIST).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.errors import ParameterError

ENCODINGS = ("unit", "standardise", "zscore")
#: Encodings whose values are bounded to [−1, 1] (or [0, 1]): the ones a circuit can be driven by.
CIRCUIT_ENCODINGS = ("unit", "standardise")
#: What the software baselines (ridge, logistic regression, 1-NN, backprop) are fitted on.
BASELINE_ENCODING = "zscore"


@dataclass(frozen=True)
class InputEncoding:
    """A fitted encoding: ``encode(x)`` maps raw features to [−1, 1] (unit: [0, 1]; zscore: R)."""

    kind: str
    mean: NDArray[np.float64] | None = None
    scale: NDArray[np.float64] | None = None
    #: the clip in training standard deviations (``"standardise"`` only)
    n_std: float | None = None

    def encode(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """Apply the fitted encoding to features ``x`` (n, d)."""
        xa = np.asarray(x, dtype=np.float64)
        if self.kind == "unit":
            return xa
        assert self.mean is not None and self.scale is not None
        z = np.zeros_like(xa)
        ok = self.scale > 0
        z[:, ok] = (xa[:, ok] - self.mean[ok]) / self.scale[ok]
        return z if self.kind == "zscore" else np.clip(z, -1.0, 1.0)

    def summary(self) -> dict[str, Any]:
        """JSON-able description for metrics.json."""
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind in ("standardise", "zscore"):
            assert self.mean is not None and self.scale is not None
            out["fitted_on"] = "training split"
            out["n_constant_features"] = int(np.sum(self.scale == 0))
            if self.n_std is not None:
                out["n_std"] = self.n_std
        return out


def fit_encoding(x_train: NDArray[np.float64], kind: str = "unit",
                 n_std: float = 2.0) -> InputEncoding:
    """Fit the input encoding ``kind`` on the training features only.

    ``n_std`` is the clip of ``"standardise"`` in training standard deviations (±n_std σ span
    the full ±A); ``"zscore"`` ignores it (scale σ, no clip).
    """
    if kind not in ENCODINGS:
        raise ParameterError(
            f"The 'input_encoding' parameter must be one of {', '.join(map(repr, ENCODINGS))}; "
            f"got {kind!r}; use 'standardise' for features that sit near a common value."
        )
    if kind == "unit":
        return InputEncoding("unit")
    if not (np.isfinite(n_std) and n_std > 0):
        raise ParameterError(
            f"The 'n_std' parameter of fit_encoding must be a finite number > 0; got {n_std}."
        )
    xa = np.asarray(x_train, dtype=np.float64)
    mean = xa.mean(axis=0)
    sd = xa.std(axis=0)
    # constant features (σ at rounding level of μ) carry no signal: scale 0 maps them to 0
    clip = None if kind == "zscore" else float(n_std)
    scale = np.where(sd > 1e-12 * np.maximum(1.0, np.abs(mean)), (clip or 1.0) * sd, 0.0)
    return InputEncoding(kind, mean=mean, scale=scale, n_std=clip)


def encode_dataset(data: Any, kind: str = "unit", n_std: float = 2.0) -> tuple[Any, InputEncoding]:
    """Return ``data`` with both splits encoded by statistics of ``data.x_train`` alone."""
    enc = fit_encoding(data.x_train, kind, n_std)
    if kind == "unit":
        return data, enc
    return replace(data, x_train=enc.encode(data.x_train), x_test=enc.encode(data.x_test)), enc
