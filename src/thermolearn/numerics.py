"""Numerical kernels shared across the toolkit: softmax and finite-difference derivatives.

Pure functions on arrays (one of each, so that every layer computes them the same way):

* :func:`softmax`, :func:`log_softmax` -- shifted by the maximum along ``axis``;
* :func:`central_difference` -- elementwise derivative of a vectorised scalar law;
* :func:`fd_jacobian` -- batched Jacobian of a map ``(B, d) -> (B, d_out)`` by central
  differences.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]


def softmax(z: ArrayLike, axis: int = -1) -> Array:
    """Softmax along ``axis``, numerically stable (shifted by the maximum).

    >>> softmax([0.0, np.log(3.0)]).round(12).tolist()
    [0.25, 0.75]
    """
    zz = np.asarray(z, dtype=np.float64)
    e = np.exp(zz - zz.max(axis=axis, keepdims=True))
    return np.asarray(e / e.sum(axis=axis, keepdims=True), dtype=np.float64)


def log_softmax(z: ArrayLike, axis: int = -1) -> Array:
    """Logarithm of :func:`softmax` along ``axis``, without forming the softmax."""
    zz = np.asarray(z, dtype=np.float64)
    zz = zz - zz.max(axis=axis, keepdims=True)
    return np.asarray(zz - np.log(np.exp(zz).sum(axis=axis, keepdims=True)), dtype=np.float64)


def central_difference(f: Callable[[Array], Any], x: ArrayLike, h: ArrayLike) -> Array:
    """Elementwise derivative ``(f(x + h) - f(x - h)) / (2 h)`` of a vectorised law ``f``.

    Truncation error O(h² f'''); ``h`` may be an array (e.g. relative steps).
    """
    xx = np.asarray(x, dtype=np.float64)
    hh = np.asarray(h, dtype=np.float64)
    return np.asarray((f(xx + hh) - f(xx - hh)) / (2 * hh), dtype=np.float64)


def fd_jacobian(f: Callable[[Array], Any], x: ArrayLike, eps: float = 1e-6) -> Array:
    """Jacobians of ``f`` at each row of ``x`` by central differences (step ``eps``).

    Parameters
    ----------
    f : callable
        Map from a batch ``(B, d)`` to ``(B, d_out)``, row by row.
    x : array_like, shape (B, d)
        Points.
    eps : float
        Step (same units as ``x``).

    Returns
    -------
    ndarray, shape (B, d_out, d)
        ``J[b, i, j] = ∂f_i/∂x_j`` at row b, truncation error O(eps²).
    """
    xx = np.asarray(x, dtype=np.float64)
    B, d = xx.shape
    cols = []
    for j in range(d):
        e = np.zeros(d)
        e[j] = eps
        cols.append((np.asarray(f(xx + e)) - np.asarray(f(xx - e))) / (2 * eps))
    J = np.empty((B, cols[0].shape[1] if cols else 0, d))
    for j, c in enumerate(cols):
        J[:, :, j] = c
    return J


__all__ = ["central_difference", "fd_jacobian", "log_softmax", "softmax"]
