"""Gaussian information closed forms: KL, learning a Gaussian mean, weight information.

References: Cover & Thomas §9.4 (I = ½ log2(1 + n s²/σ²)); I(D;θ) = E_D KL(post ‖ prior).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from thermolearn.errors import ParameterError
from thermolearn.information import (
    gaussian_kl_bits,
    gaussian_mean_information_bits,
    gaussian_mean_posterior,
    uniform_prior_moments,
    weight_capacity_bits,
    weight_information_bits,
)


def test_gaussian_kl_matches_quadrature() -> None:
    # Reference: numerical integral of q log2(q/p); tolerance 1e-8 relative.
    mq, sq, mp, sp = 0.3, 0.5, -0.2, 1.7
    q, p = stats.norm(mq, sq), stats.norm(mp, sp)
    val, _ = integrate.quad(lambda t: q.pdf(t) * (q.logpdf(t) - p.logpdf(t)), -12, 12,
                            epsabs=1e-13, epsrel=1e-12)
    assert gaussian_kl_bits(mq, sq**2, mp, sp**2) == pytest.approx(val / math.log(2), rel=1e-8)
    assert gaussian_kl_bits(1.0, 2.0, 1.0, 2.0) == pytest.approx(0.0, abs=1e-15)
    # sums over elements
    assert gaussian_kl_bits([mq, mq], sq**2, mp, sp**2) == pytest.approx(2 * val / math.log(2),
                                                                         rel=1e-8)


def _expected_kl(rng: np.random.Generator, n: int, s2: float, sig2: float, prior_var: float,
                 m: int) -> tuple[float, float]:
    """Monte Carlo E_D KL(posterior ‖ N(0, prior_var)) in bits, and its standard error."""
    theta = rng.normal(0, math.sqrt(s2), size=m)
    data = theta[:, None] + rng.normal(0, math.sqrt(sig2), size=(m, n))
    kls = np.empty(m)
    for i in range(m):
        mean, var = gaussian_mean_posterior(data[i], 0.0, s2, sig2)
        kls[i] = gaussian_kl_bits(mean, var, 0.0, prior_var)
    return float(kls.mean()), float(kls.std(ddof=1) / math.sqrt(m))


def test_gaussian_mean_information_monte_carlo(rng: np.random.Generator) -> None:
    # Closed form ½ log2(1 + n s²/σ²) vs Monte Carlo over 8000 datasets; tolerance 4 standard
    # errors (≈ 0.04 bit).
    n, s2, sig2 = 10, 4.0, 1.0
    exact = gaussian_mean_information_bits(n, s2, sig2)
    assert exact == pytest.approx(0.5 * math.log2(41.0), rel=1e-15)
    est, se = _expected_kl(rng, n, s2, sig2, s2, 8000)
    assert abs(est - exact) < 4 * se
    # a data-independent prior that is not the marginal gives an upper bound (by > 4 SE here)
    bound, se_b = _expected_kl(rng, n, s2, sig2, 9 * s2, 8000)
    assert bound - exact > 4 * se_b
    assert gaussian_mean_information_bits(0, s2, sig2) == 0.0


def test_weight_information_closed_form_and_noise_dependence() -> None:
    # All conductances at the prior mean: each weight stores ½[ln(s0²/σ²) + σ²/s0² − 1]/ln2
    # bits (exact to 1e-12); noisier devices store fewer bits.
    g_min, g_max = 1e-6, 1e-4
    mu0, var0 = uniform_prior_moments(g_min, g_max)
    assert mu0 == pytest.approx(5.05e-5) and var0 == pytest.approx((g_max - g_min) ** 2 / 12)
    sd0 = math.sqrt(var0)
    g = np.full((8, 4), mu0)
    sigma = 1e-6
    per = 0.5 * (math.log(var0 / sigma**2) + sigma**2 / var0 - 1) / math.log(2)
    got = weight_information_bits(g, noise_std=sigma, prior_mean=mu0, prior_std=sd0)
    assert got == pytest.approx(32 * per, rel=1e-12)
    sigmas = [1e-7, 1e-6, 1e-5]
    bits = [weight_information_bits(g, noise_std=s, prior_mean=mu0, prior_std=sd0)
            for s in sigmas]
    assert bits[0] > bits[1] > bits[2]
    assert weight_capacity_bits(32, 16) == 128.0
    with pytest.raises(ParameterError, match="noise_std"):
        weight_information_bits(g, noise_std=0.0, prior_mean=mu0, prior_std=sd0)
