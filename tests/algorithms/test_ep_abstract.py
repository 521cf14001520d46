"""Abstract EP (Scellier & Bengio 2017) against the exact gradient of a small network.

References: exact gradient = implicit differentiation at the fixed point (recurrent backprop),
itself checked against central finite differences (tolerance 1e-8 absolute); EP estimator bias
O(β) one-sided and O(β²) centred (Laborieux et al. 2021).
"""

from __future__ import annotations

import numpy as np
import pytest

from thermolearn.algorithms.ep import EnergyBasedNetwork, cosine_similarity
from thermolearn.errors import ParameterError


def _net(rng: np.random.Generator) -> EnergyBasedNetwork:
    net = EnergyBasedNetwork((3, 5, 4, 2), beta=0.01, temperature=1.0, rng=rng, init_scale=2.0)
    net.set_params(net.W + [rng.normal(0, 0.5, b.shape) for b in net.b])
    return net


def _err(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return float(np.sqrt(sum(((x - y) ** 2).sum() for x, y in zip(a, b, strict=True))))


def test_exact_gradient_matches_finite_differences(rng: np.random.Generator) -> None:
    net = _net(rng)
    x, y = rng.random((3, 3)), rng.random((3, 2))
    ex = net.exact_gradient(x, y)
    fd = net.finite_difference_gradient(x, y, h=1e-5)
    for a, b in zip(ex, fd, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-8)


def test_centred_estimator_cosine_and_bias_orders(rng: np.random.Generator) -> None:
    net = _net(rng)
    x, y = rng.random((4, 3)), rng.random((4, 2))
    ex = net.exact_gradient(x, y)
    betas = [0.2, 0.1, 0.05]
    ec, eo = [], []
    for b in betas:
        c = net.ep_gradient(x, y, beta=b, estimator="centred")
        o = net.ep_gradient(x, y, beta=b, estimator="one-sided")
        ec.append(_err(c, ex))
        eo.append(_err(o, ex))
        if b <= 0.1:
            assert cosine_similarity(c, ex) > 0.99
    # halving beta: centred bias / 4 (O(beta^2)), one-sided bias / 2 (O(beta)); 15 % slack
    for k in range(len(betas) - 1):
        assert 3.4 < ec[k] / ec[k + 1] < 4.6
        assert 1.7 < eo[k] / eo[k + 1] < 2.3
    assert ec[-1] < eo[-1] / 5


def test_relaxation_is_a_minimum(rng: np.random.Generator) -> None:
    net = _net(rng)
    x = rng.random((2, 3))
    st = net.relax(x)
    e0 = net.energy(x, st.layers)
    for _ in range(5):
        pert = [np.clip(s + rng.normal(0, 1e-3, s.shape), 1e-6, 1 - 1e-6) for s in st.layers]
        assert np.all(net.energy(x, pert) >= e0 - 1e-12)


def test_training_reduces_cost_and_persistent_option(rng: np.random.Generator) -> None:
    x = rng.random((8, 3))
    y = np.stack([x[:, 0] > 0.5, x[:, 1] > 0.5], axis=1).astype(float)
    for persistent in (False, True):
        net = EnergyBasedNetwork(
            (3, 6, 2), beta=0.2, rng=np.random.default_rng(0), persistent=persistent, tol=1e-8
        )
        first = net.train_step(x, y, lr=0.5)
        for _ in range(60):
            last = net.train_step(x, y, lr=1.0)
        assert last < 0.5 * first


def test_bad_input_raises(rng: np.random.Generator) -> None:
    with pytest.raises(ParameterError, match="beta"):
        EnergyBasedNetwork((2, 3, 1), beta=0.0, rng=rng)
    with pytest.raises(ParameterError, match="temperature"):
        EnergyBasedNetwork((2, 3, 1), temperature=-1.0, rng=rng)
    with pytest.raises(ParameterError, match="layer_sizes"):
        EnergyBasedNetwork((2,), rng=rng)
    net = EnergyBasedNetwork((2, 3, 1), rng=rng)
    with pytest.raises(ParameterError, match="shape"):
        net.ep_gradient(np.zeros((4, 3)), np.zeros((4, 1)))
    with pytest.raises(ParameterError, match="shape"):
        net.ep_gradient(np.zeros((4, 2)), np.zeros((3, 1)))
    with pytest.raises(ParameterError, match="estimator"):
        net.ep_gradient(np.zeros((4, 2)), np.zeros((4, 1)), estimator="bogus")
