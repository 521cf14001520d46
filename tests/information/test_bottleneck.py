"""Iterative information bottleneck (Tishby et al. 1999) and the binned information plane."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thermolearn.information import (
    binned_information_plane,
    entropy_bits,
    ib_curve,
    information_bottleneck,
    mutual_information_bits,
)


@pytest.fixture
def pxy(rng: np.random.Generator) -> np.ndarray:
    p = rng.dirichlet(np.ones(4), size=6) / 6
    return p / p.sum()


def test_beta_limits(pxy: np.ndarray, rng: np.random.Generator) -> None:
    # β → 0: the encoder ignores X, I(X;T) → 0 (tol 1e-6 bit).
    # β → ∞ with |T| = |X| and distinct p(y|x): I(T;Y) → I(X;Y) (tol 1e-6 bit).
    ixy = mutual_information_bits(pxy)
    low = information_bottleneck(pxy, 6, 1e-3, rng=rng)
    assert low.converged and low.i_xt < 1e-6
    # (reached by annealing β upwards: a cold start at large β can merge clusters)
    high = ib_curve(pxy, np.geomspace(0.1, 1e3, 20), 6, rng=rng)[-1]
    assert high.converged
    assert high.i_ty == pytest.approx(ixy, abs=1e-6)
    assert high.i_xt <= math.log2(6) + 1e-9


def test_curve_is_monotone_and_obeys_data_processing(pxy: np.ndarray,
                                                      rng: np.random.Generator) -> None:
    # Along increasing β, I(X;T) and I(T;Y) are non-decreasing (tol 1e-6 bit); every point obeys
    # I(T;Y) ≤ min(I(X;T), I(X;Y)) and the curve spans 0 .. I(X;Y).
    curve = ib_curve(pxy, np.geomspace(0.1, 1e3, 30), 6, rng=rng)
    ixt = np.array([c.i_xt for c in curve])
    ity = np.array([c.i_ty for c in curve])
    ixy = mutual_information_bits(pxy)
    assert np.all(np.diff(ixt) > -1e-6) and np.all(np.diff(ity) > -1e-6)
    assert np.all(ity <= np.minimum(ixt, ixy) + 1e-9)
    assert ity[0] < 1e-6 and ity[-1] == pytest.approx(ixy, abs=1e-6)


def test_label_copy_bottleneck() -> None:
    # Label copy p(x,y) = δ_xy / K: at large β the bottleneck keeps all log2 K bits (tol 1e-6).
    k = 4
    res = ib_curve(np.eye(k) / k, [50.0], k, rng=np.random.default_rng(3), n_restarts=5)[0]
    assert res.i_ty == pytest.approx(math.log2(k), abs=1e-6)


def test_binned_information_plane(rng: np.random.Generator) -> None:
    # One-hot label layer: T = Y, so I(X;T) = I(T;Y) = H(Y) (exact). Constant layer: (0, 0).
    # Distinct continuous activations with fine bins: I(X;T) = log2 N.
    y = rng.integers(0, 3, size=200)
    h_y = entropy_bits(np.bincount(y) / y.size)
    ixt, ity = binned_information_plane(np.eye(3)[y], y, n_bins=2)
    assert ixt == pytest.approx(h_y, abs=1e-12) and ity == pytest.approx(h_y, abs=1e-12)
    assert binned_information_plane(np.ones((200, 5)), y) == (0.0, 0.0)
    a = rng.normal(size=(64, 3))
    ixt, ity = binned_information_plane(a, rng.integers(0, 2, size=64), n_bins=10_000)
    assert ixt == pytest.approx(math.log2(64), abs=1e-12)
    assert ity <= ixt


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 6), st.integers(2, 6), st.integers(0, 2**31 - 1))
def test_mutual_information_bounds(nx: int, ny: int, seed: int) -> None:
    # Invariants: 0 <= I(X;Y) <= min(H(X), H(Y)); independence gives 0 (tol 1e-12 bit).
    r = np.random.default_rng(seed)
    p = r.dirichlet(np.ones(nx * ny)).reshape(nx, ny)
    i = mutual_information_bits(p)
    assert -1e-12 <= i <= min(entropy_bits(p.sum(1)), entropy_bits(p.sum(0))) + 1e-12
    indep = np.outer(p.sum(1), p.sum(0))
    assert mutual_information_bits(indep) == pytest.approx(0.0, abs=1e-12)
