"""Estimators of the weight memory against closed forms.

References (each test states its tolerance):
* Gaussian channel capacity ½ log2(1 + P/N) (Cover & Thomas §9.1) for the information bound
  written into noisy conductances;
* H(X | Y) of a known overwrite distribution, enumerated exactly, for the erased bits;
* Johnson noise 4kTGΔf with Δf = 1/(2t) for the read-noise model;
* a softmax of known temperature for the calibrated readout.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from thermolearn.errors import ParameterError
from thermolearn.information import (
    calibrated_cross_entropy_gain_bits,
    calibrated_prequential_bits,
    conditional_entropy_bits,
    conductance_capacity_bits,
    conductance_read_noise_std,
    entropy_bits,
    fit_inverse_temperature,
    gaussian_channel_capacity_bits,
    level_code_bound_bits,
    overwrite_erased_bits,
    quantise_levels,
    weight_information_bound_bits,
)
from thermolearn.physics import K_B


def test_weight_bound_approaches_the_gaussian_channel_capacity(rng: np.random.Generator) -> None:
    # Displacements d ~ N(0, v) of n devices read with noise sigma: I(g; g + noise) per device
    # is the capacity ½ log2(1 + v/sigma²) = 1.161 bits at v/sigma² = 4. The bound per device
    # must match it within 0.02 bits (sampling of 20000 devices + log2 K / n grid cost).
    n, v, sigma = 20000, 4.0e-18, 1.0e-9
    g0 = rng.uniform(1e-7, 1e-6, n)
    g = g0 + rng.normal(0.0, math.sqrt(v), n)
    res = weight_information_bound_bits([g], [g0], sigma)
    cap = float(gaussian_channel_capacity_bits(v / sigma**2))
    assert cap == pytest.approx(0.5 * math.log2(5.0), rel=1e-12)
    assert res["bits"] / n == pytest.approx(cap, abs=0.02)
    assert res["prior_snr_by_group"][0] == pytest.approx(4.0, rel=0.05)
    # an untrained memory (g = g0) costs only the prior-grid description, log2 K bits
    still = weight_information_bound_bits([g0], [g0], sigma)
    assert still["bits"] == pytest.approx(still["grid_cost_bits"], abs=1e-9)
    assert still["grid_cost_bits"] < 10.0
    # two groups add; more noise stores fewer bits
    two = weight_information_bound_bits([g, g], [g0, g0], [sigma, sigma])
    assert two["bits"] == pytest.approx(2 * res["bits"], rel=1e-12)
    assert weight_information_bound_bits([g], [g0], 2 * sigma)["bits"] < res["bits"]
    with pytest.raises(ParameterError, match="noise_std"):
        weight_information_bound_bits([g], [g0], 0.0)


def test_level_code_bound_is_the_entropy_of_the_displacements(rng: np.random.Generator) -> None:
    # Level displacements drawn as rint(N(0, 25)): their entropy is ½ log2(2πe·25) = 4.369 bits
    # (v >> 1); the code-length bound per device matches it within 0.02 bits (20000 devices +
    # the log2 K grid cost / n). An unmoved memory costs only the grid, log2 K = 7.3 bits.
    n = 20000
    d = np.rint(rng.normal(0.0, 5.0, n)).astype(np.int64)
    res = level_code_bound_bits([d + 10], [np.full(n, 10)])
    assert res["bits"] / n == pytest.approx(0.5 * math.log2(2 * math.pi * math.e * 25.0),
                                            abs=0.02)
    still = level_code_bound_bits([np.full(n, 3)], [np.full(n, 3)])
    assert still["bits"] == pytest.approx(still["grid_cost_bits"], abs=1e-6)
    with pytest.raises(ParameterError, match="integer"):
        level_code_bound_bits([np.zeros(3)], [np.zeros(3)])


def test_conductance_capacity_and_read_noise_closed_forms() -> None:
    # Johnson noise: sigma_G² = 4kTG (1/2t) / V², exact (rel 1e-12)
    g, t, v = 1e-6, 1e-8, 0.2
    sd = float(conductance_read_noise_std(g, temperature=300.0, read_voltage=v, read_time=t))
    assert sd == pytest.approx(math.sqrt(4 * K_B * 300.0 * g / (2 * t)) / v, rel=1e-12)
    # capacity of [g_min, g_max] with noise sigma: ½ log2(1 + Δ²/(4 sigma²)); levels cap it
    c = conductance_capacity_bits(0.0, 2e-6, 1e-8)
    assert c == pytest.approx(0.5 * math.log2(1 + 1e4), rel=1e-12)
    assert conductance_capacity_bits(0.0, 2e-6, 1e-8, levels=16) == pytest.approx(4.0)
    assert conductance_capacity_bits(0.0, 2e-6, 1e-3, levels=16) < 1e-3


def test_erased_bits_equal_the_conditional_entropy_of_a_known_overwrite(
    rng: np.random.Generator,
) -> None:
    # old uniform on L levels, Δ in {-1, 0, +1} with p = (0.1, 0.8, 0.1).
    # (a) circular memory (no bounds): H(old | new) = H(Δ) = 0.922 bits exactly; the estimate
    #     from 200000 cells is within 0.01 bits/cell (boundary classes cost < 2/L of it).
    levels, n = 32, 200_000
    p = np.array([0.1, 0.8, 0.1])
    old = rng.integers(0, levels, n)
    d = rng.choice([-1, 0, 1], p=p, size=n)
    new = np.mod(old + d, levels)
    assert overwrite_erased_bits(old, new, levels) / n == pytest.approx(entropy_bits(p), abs=0.01)
    # (b) clipped memory: exact H(old | new) from the enumerated joint; the estimate is an
    #     upper estimate within 0.01 bits/cell of it.
    joint = np.zeros((levels, levels))
    for o in range(levels):
        for k, dd in enumerate((-1, 0, 1)):
            joint[o, min(max(o + dd, 0), levels - 1)] += p[k] / levels
    exact = conditional_entropy_bits(joint)
    new_c = np.clip(old + d, 0, levels - 1)
    est = overwrite_erased_bits(old, new_c, levels) / n
    assert exact < entropy_bits(p)
    assert est == pytest.approx(exact, abs=0.01)
    # an unchanged memory erases nothing; a worst-case count would claim log2(L) per cell
    assert overwrite_erased_bits(old, old, levels) == 0.0
    assert est < math.log2(levels) / 4
    lv = quantise_levels(np.array([0.0, 0.49, 0.51, 1.0]), 0.0, 1.0, 3)
    assert lv.tolist() == [0, 1, 1, 2]
    with pytest.raises(ParameterError, match="integer"):
        overwrite_erased_bits(np.zeros(3), np.zeros(3), 4)


def _softmax_labels(rng: np.random.Generator, z: np.ndarray, b: float) -> np.ndarray:
    p = np.exp(b * z - (b * z).max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    c = p.cumsum(1)
    return (rng.random((z.shape[0], 1)) > c).sum(1)


def test_calibrated_readout_recovers_the_temperature_and_ignores_scale(
    rng: np.random.Generator,
) -> None:
    # labels drawn from softmax(2.0 · z): the fitted inverse temperature is 2.0 within 5 %
    # (20000 samples: SE ~1 %); rescaling the scores by 40 leaves the fitted probabilities and
    # the calibrated gains unchanged (rel 1e-6).
    z = rng.normal(size=(20000, 4))
    y = _softmax_labels(rng, z, 2.0)
    b = fit_inverse_temperature(z, y)
    assert b == pytest.approx(2.0, rel=0.05)
    assert fit_inverse_temperature(40 * z, y) * 40 == pytest.approx(b, rel=1e-6)
    ce1 = calibrated_cross_entropy_gain_bits(z[:4000], y[:4000], 1000)
    ce40 = calibrated_cross_entropy_gain_bits(40 * z[:4000], y[:4000], 1000)
    assert ce1["bits"] > 0 and ce40["bits"] == pytest.approx(ce1["bits"], rel=1e-6)
    batches = [z[i:i + 100] for i in range(0, 2000, 100)]
    labels = [y[i:i + 100] for i in range(0, 2000, 100)]
    pq1 = calibrated_prequential_bits(batches, labels, 4)
    pq40 = calibrated_prequential_bits([40 * s for s in batches], labels, 4)
    assert pq40["bits"] == pytest.approx(pq1["bits"], rel=1e-6)
    # scores carrying no label information fit b ~ 0 (the uniform predictor)
    assert fit_inverse_temperature(z, rng.integers(0, 4, z.shape[0])) < 0.1


def test_calibrated_prequential_closed_form_and_repeats() -> None:
    # A perfect readout on 2 batches of 20 labels of 4 classes: the first batch is coded
    # uniformly (40 bits), the second with the fitted temperature (~0 bits), so the bits
    # learned are 80 - 40 = 40 within 1e-6 bits. A repeated batch (same ids) is not coded
    # again: 20 labels coded uniformly, 0 bits learned.
    y = np.arange(40) % 4
    s = 10.0 * np.eye(4)[y]
    res = calibrated_prequential_bits([s[:20], s[20:]], [y[:20], y[20:]], 4)
    assert res["bits"] == pytest.approx(40.0, abs=1e-6) and res["n_coded"] == 40
    rep = calibrated_prequential_bits([s[:20], s[:20]], [y[:20], y[:20]], 4,
                                      ids=[np.arange(20), np.arange(20)])
    assert rep["n_coded"] == 20 and rep["bits"] == pytest.approx(0.0, abs=1e-9)
