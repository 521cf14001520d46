"""Helpers shared by the EP circuit tests."""

from __future__ import annotations

from typing import Any

import numpy as np


def assert_phases_agree(net: Any, x: np.ndarray, tgt: np.ndarray, atol: float = 1e-6) -> None:
    """The free and both nudged phases on the MNA engine equal the layer-wise solver's (atol V)."""
    b = net.params.beta
    for beta in (0.0, b, -b):
        tg = None if beta == 0.0 else tgt
        mna = net.solve(x, beta=beta, target=tg, solver="mna")
        fast = net.solve(x, beta=beta, target=tg, solver="layerwise")
        for u, v in zip(mna.layers, fast.layers, strict=True):
            np.testing.assert_allclose(u, v, rtol=0, atol=atol)
