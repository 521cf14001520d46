"""A coin's bias (Beta–Bernoulli): exact I(D;θ), its asymptotics, and the prequential code.

References: Clarke & Barron, IEEE Trans. Inf. Theory 36, 453 (1990) for the asymptotics;
redundancy of the Bayes mixture code E[L_preq − L_θ] = I(D;θ) (Cover & Thomas §13).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from thermolearn.information import (
    PrequentialCode,
    beta_bernoulli_information_bits,
    entropy_bits,
)


def _entropy_difference_bits(n: int, a: float, b: float) -> float:
    """Independent route: I = H(k) − E_θ H(Binomial(n, θ)), by quadrature."""
    k = np.arange(n + 1)
    h_k = entropy_bits(stats.betabinom.pmf(k, n, a, b))

    def h_cond(theta: float) -> float:
        return entropy_bits(stats.binom.pmf(k, n, theta)) * stats.beta.pdf(theta, a, b)

    val, _ = integrate.quad(h_cond, 0, 1, epsabs=1e-12, epsrel=1e-11, limit=400)
    return h_k - val


@pytest.mark.parametrize(("n", "a", "b"), [(1, 1.0, 1.0), (10, 2.0, 5.0), (60, 0.5, 0.5)])
def test_exact_information_two_routes(n: int, a: float, b: float) -> None:
    # Σ_k p(k) KL(Beta post ‖ Beta prior) == H(k) − E H(k|θ); tolerance 1e-6 relative.
    assert beta_bernoulli_information_bits(n, a, b) == pytest.approx(
        _entropy_difference_bits(n, a, b), rel=1e-6)


def test_single_toss_closed_form() -> None:
    # n = 1, uniform prior: I = 1 − ∫ h2(θ) dθ = 1 − 1/(2 ln 2) bits (exact; tol 1e-10).
    assert beta_bernoulli_information_bits(1) == pytest.approx(1 - 1 / (2 * math.log(2)),
                                                               abs=1e-10)


def test_asymptotics_clarke_barron() -> None:
    # I ≈ ½ log2(n/(2πe)) + 1/ln 2 for the uniform prior; O(1/n) error, tolerance 0.01 bit.
    for n in (500, 2000):
        approx = 0.5 * math.log2(n / (2 * math.pi * math.e)) + 1 / math.log(2)
        assert beta_bernoulli_information_bits(n) == pytest.approx(approx, abs=0.01)


def test_prequential_redundancy_equals_information(rng: np.random.Generator) -> None:
    # For the Bayes (Laplace) learner, E[L_preq − L_θ] = I(D;θ) exactly; Monte Carlo over
    # 4000 (θ, D) draws, tolerance 4 standard errors.
    n, m = 50, 4000
    exact = beta_bernoulli_information_bits(n)
    excess = np.empty(m)
    for i in range(m):
        theta = rng.uniform()
        x = (rng.uniform(size=n) < theta).astype(np.int64)
        heads_before = np.concatenate([[0], np.cumsum(x)[:-1]])
        p1 = (heads_before + 1.0) / (np.arange(n) + 2.0)
        pc = PrequentialCode(2)
        pc.update(np.stack([1 - p1, p1], axis=1), x)
        l_theta = -np.sum(np.where(x == 1, math.log2(theta), math.log2(1 - theta)))
        excess[i] = pc.code_length_bits - l_theta
    se = excess.std(ddof=1) / math.sqrt(m)
    assert abs(excess.mean() - exact) < 4 * se
