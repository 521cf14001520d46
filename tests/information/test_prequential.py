"""Prequential code and held-out cross-entropy gain against closed forms.

References: the Laplace sequential predictor's code length equals the Dirichlet–multinomial
closed form (e.g. Cover & Thomas §13.2); Blier & Ollivier 2018 for n log2 K − L_preq.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from thermolearn.errors import ParameterError
from thermolearn.information import (
    PrequentialCode,
    cross_entropy_gain_bits,
    dirichlet_multinomial_code_length_bits,
    mutual_information_bits,
)


def _laplace_predictions(labels: np.ndarray, k: int) -> np.ndarray:
    """Predictive p(y_t | y_<t) = (n_k + 1)/(t + K) for every t, computed before seeing y_t."""
    onehot = np.eye(k)[labels]
    before = np.vstack([np.zeros(k), np.cumsum(onehot, axis=0)[:-1]])
    return (before + 1.0) / (np.arange(labels.size)[:, None] + k)


def test_laplace_learner_matches_dirichlet_multinomial(rng: np.random.Generator) -> None:
    # Closed form: -log2 of Γ(K)∏Γ(n_k+1)/Γ(n+K); tolerance 1e-9 relative (float round-off).
    k = 5
    y = rng.choice(k, size=300, p=[0.5, 0.2, 0.15, 0.1, 0.05])
    probs = _laplace_predictions(y, k)
    pc = PrequentialCode(k)
    for start in range(0, y.size, 7):  # batches of 7: order within the code is unchanged
        pc.update(probs[start:start + 7], y[start:start + 7])
    expected = dirichlet_multinomial_code_length_bits(np.bincount(y, minlength=k))
    assert pc.n == 300
    assert pc.code_length_bits == pytest.approx(expected, rel=1e-9)
    assert pc.bits_learned == pytest.approx(300 * math.log2(k) - expected, rel=1e-9)
    assert pc.curve().shape == (math.ceil(300 / 7), 2)


def test_label_copy_task_bits_approach_mutual_information(rng: np.random.Generator) -> None:
    # Label copy: x uniform on K symbols, y = x, so I(X;Y) = log2 K. A lookup-table learner with
    # a Laplace predictor per input codes bucket x in log2 C(m_x + K - 1, K - 1) bits (closed
    # form, exact to 1e-9); per example, bits learned -> log2 K (within 1 % at n = 20000).
    k, n = 4, 20000
    x = rng.integers(0, k, size=n)
    y = x.copy()
    assert mutual_information_bits(np.eye(k) / k) == pytest.approx(math.log2(k), abs=1e-12)
    pc = PrequentialCode(k)
    probs = np.empty((n, k))
    for v in range(k):
        idx = np.flatnonzero(x == v)
        probs[idx] = _laplace_predictions(y[idx], k)
    pc.update(probs, y)
    closed = sum(
        math.log2(math.comb(int(np.sum(x == v)) + k - 1, k - 1)) for v in range(k)
    )
    assert pc.code_length_bits == pytest.approx(closed, rel=1e-9)
    assert pc.bits_learned / n == pytest.approx(math.log2(k), rel=0.01)
    assert pc.bits_learned < n * math.log2(k)


def test_uniform_and_oracle_predictors() -> None:
    # Uniform predictions learn exactly 0 bits; an oracle learns n log2 K (exact).
    k, y = 3, np.array([0, 2, 1, 1, 0])
    pc = PrequentialCode(k)
    pc.update(np.full((5, k), 1 / k), y)
    assert pc.bits_learned == pytest.approx(0.0, abs=1e-12)
    oracle = PrequentialCode(k)
    oracle.update(np.eye(k)[y], y)
    assert oracle.bits_learned == pytest.approx(5 * math.log2(3), abs=1e-12)
    restored = PrequentialCode.from_state(oracle.state())
    assert restored.bits_learned == oracle.bits_learned


def test_prequential_rejects_bad_input() -> None:
    pc = PrequentialCode(2)
    with pytest.raises(ParameterError, match="probs"):
        pc.update(np.array([[0.7, 0.7]]), np.array([0]))
    with pytest.raises(ParameterError, match="labels"):
        pc.update(np.array([[0.5, 0.5]]), np.array([2]))
    with pytest.raises(ParameterError, match="n_classes"):
        PrequentialCode(1)


def test_cross_entropy_gain_closed_forms() -> None:
    # Uniform 2-class prior (H = 1 bit); predicting the true label with p = 0.8 saves
    # 1 - log2(1/0.8) bits per example (exact to 1e-12).
    y = np.array([0, 1] * 50)
    p = np.where(np.eye(2)[y] > 0, 0.8, 0.2)
    gain = cross_entropy_gain_bits(p, y, n_train=1000)
    assert gain == pytest.approx(1000 * (1 - math.log2(1 / 0.8)), rel=1e-12)
    # a perfect model gains H(Y) per training example; the prior predictor gains 0
    assert cross_entropy_gain_bits(np.eye(2)[y], y, 10) == pytest.approx(10.0, rel=1e-12)
    assert cross_entropy_gain_bits(np.full((100, 2), 0.5), y, 10) == pytest.approx(0, abs=1e-12)
    # worse than the prior: floored at zero, never negative
    assert cross_entropy_gain_bits(1 - p, y, 1000) == 0.0
    # explicit prior: H of (0.9, 0.1) with an oracle
    g = cross_entropy_gain_bits(np.eye(2)[y], y, 7, class_prior=[0.9, 0.1])
    h = -(0.9 * math.log2(0.9) + 0.1 * math.log2(0.1))
    assert g == pytest.approx(7 * h, rel=1e-12)
