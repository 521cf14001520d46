"""Input encoding of the EP circuit: which dimensionless value each input source pair carries.

The circuit drives every feature as the source pair ±A·x (A = ``input_amplitude``, the largest
admissible read amplitude), so |x| ≤ 1 keeps every input source within ±A, and every device
drop within the same bound as the [0, 1] encoding (the ±A·x pair already spans both signs).

* ``"unit"``: x as the dataset gives it, in [0, 1] (digits: pixel / 16). Features that sit near
  a common value carry only their small deviations on top of a common-mode voltage.
* ``"standardise"``: per feature z = (x − μ) / (k·σ) with μ, σ of the TRAINING split only,
  clipped to [−1, 1] (k = ``n_std``, default 2: ±2σ span the full ±A). The same (μ, σ) are
  applied to the test split. Constant training features (σ = 0 up to rounding) map to 0 (no signal).
  MNIST-1D's features sit near 0.5 ± 0.25, so the unit encoding wastes half of the admissible
  amplitude on a common mode and leaves a signal of ~±A/4.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thermolearn.errors import ParameterError

ENCODINGS = ("unit", "standardise")


@dataclass(frozen=True)
class InputEncoding:
    """A fitted encoding: ``encode(x)`` maps raw features to [−1, 1] (or [0, 1] for unit)."""

    kind: str
    mean: NDArray[np.float64] | None = None
    scale: NDArray[np.float64] | None = None

    def encode(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """Apply the fitted encoding to features ``x`` (n, d)."""
        xa = np.asarray(x, dtype=np.float64)
        if self.kind == "unit":
            return xa
        assert self.mean is not None and self.scale is not None
        z = np.zeros_like(xa)
        ok = self.scale > 0
        z[:, ok] = (xa[:, ok] - self.mean[ok]) / self.scale[ok]
        return np.clip(z, -1.0, 1.0)

    def summary(self) -> dict[str, Any]:
        """JSON-able description for metrics.json."""
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind == "standardise":
            assert self.mean is not None and self.scale is not None
            out["fitted_on"] = "training split"
            out["n_constant_features"] = int(np.sum(self.scale == 0))
        return out


def fit_encoding(x_train: NDArray[np.float64], kind: str = "unit",
                 n_std: float = 2.0) -> InputEncoding:
    """Fit the input encoding ``kind`` on the training features only."""
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
    scale = np.where(sd > 1e-12 * np.maximum(1.0, np.abs(mean)), n_std * sd, 0.0)
    return InputEncoding("standardise", mean=mean, scale=scale)


def encode_dataset(data: Any, kind: str = "unit", n_std: float = 2.0) -> tuple[Any, InputEncoding]:
    """Return ``data`` with both splits encoded by statistics of ``data.x_train`` alone."""
    enc = fit_encoding(data.x_train, kind, n_std)
    if kind == "unit":
        return data, enc
    return replace(data, x_train=enc.encode(data.x_train), x_test=enc.encode(data.x_test)), enc
