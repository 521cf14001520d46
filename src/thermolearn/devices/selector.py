"""The 1S1R threshold selector: ``I = i0 sinh(V / v0)``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from thermolearn.validation import check_positive


@dataclass(frozen=True, slots=True, kw_only=True)
class SelectorParams:
    """Parameters of a symmetric threshold selector, ``I = i0 sinh(V / v0)``.

    The sinh law is the usual compact description of the exponential I-V of
    1S1R selectors (tunnel barriers, MIEC selectors) below their switching threshold.

    Attributes
    ----------
    i0 : float
        Current scale, A.
    v0 : float
        Voltage scale, V.

    References
    ----------
    .. [1] J. Zhou, K.-H. Kim, W. Lu, "Crossbar RRAM arrays: selector device requirements
       during read operation," IEEE Trans. Electron Devices 61(5), 1369 (2014).
    """

    i0: float = 1e-6
    v0: float = 0.1

    def __post_init__(self) -> None:
        check_positive(self.i0, "i0", "SelectorParams", "A")
        check_positive(self.v0, "v0", "SelectorParams", "V")

    def current(self, v: ArrayLike) -> NDArray[np.float64]:
        """Return the current (A) at voltage ``v`` (V)."""
        return self.i0 * np.sinh(np.asarray(v, dtype=float) / self.v0)

    def didv(self, v: ArrayLike) -> NDArray[np.float64]:
        """Small-signal conductance (S) at ``v`` (V)."""
        return self.i0 / self.v0 * np.cosh(np.asarray(v, dtype=float) / self.v0)

    def spice_expression(self, vexpr: str) -> str:
        """B-source current expression in terms of the voltage expression ``vexpr``."""
        return f"{self.i0!r}*sinh({vexpr}/{self.v0!r})"


__all__ = ["SelectorParams"]
