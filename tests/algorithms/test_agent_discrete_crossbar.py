"""The discrete active-inference agent with A and B on crossbars.

Reference: the digital agent (float64 arrays; itself held to pymdp in test_agent_discrete.py).
On ideal crossbars (1R, ideal wires, TIA readout, analog levels, no variability) every read is
the product with the programmed matrix to float64 rounding (~1e-16 of the weight range), so the
posteriors over states and policies must agree with the digital agent's within 1e-9 at every
step of every trial, learning included (the learned A is re-programmed after each update).
"""

from __future__ import annotations

import numpy as np
import pytest

from thermolearn.algorithms.active_inference import (
    CrossbarGenerativeModel,
    TMazeEnv,
    make_tmaze_learner,
)
from thermolearn.devices import VariabilityParams
from thermolearn.errors import ParameterError
from thermolearn.hardware import Hardware

TOL = 1e-9


def _pair(seed: int, hardware: Hardware):
    digital = make_tmaze_learner(rng=np.random.default_rng([seed, 3]))
    xbar = make_tmaze_learner(
        rng=np.random.default_rng([seed, 3]),
        hardware=hardware,
        device_rng=np.random.default_rng([seed, 2]),
    )
    return digital, xbar


def test_ideal_crossbars_reproduce_the_digital_posteriors() -> None:
    digital, xbar = _pair(0, Hardware())
    assert isinstance(xbar.model, CrossbarGenerativeModel)
    envs = [TMazeEnv(rng=np.random.default_rng(7)), TMazeEnv(rng=np.random.default_rng(7))]
    worst = 0.0
    for _trial in range(12):
        obs = [env.reset() for env in envs]
        digital.reset()
        xbar.reset()
        for t in range(3):
            assert obs[0] == obs[1]
            qd, qx = digital.infer_states(obs[0]), xbar.infer_states(obs[1])
            worst = max(worst, *(float(np.max(np.abs(a - b))) for a, b in zip(qd, qx, strict=True)))
            assert abs(digital.F - xbar.F) < TOL
            # online Dirichlet learning: A changes and is re-programmed every step
            digital.update_A(obs[0])
            xbar.update_A(obs[1])
            if t == 2:
                break
            pd, _ = digital.infer_policies()
            px, _ = xbar.infer_policies()
            worst = max(worst, float(np.max(np.abs(pd - px))))
            acts = [digital.sample_action(), xbar.sample_action()]
            np.testing.assert_array_equal(acts[0], acts[1])
            obs = [env.step(a) for env, a in zip(envs, acts, strict=True)]
    assert worst < TOL, worst
    # learning reached the arrays: the programmed reward likelihood follows the counts
    np.testing.assert_allclose(xbar.model.a_maps[1].weights, digital.A[1].reshape(3, 8), atol=TOL)


def test_every_product_is_a_booked_crossbar_read() -> None:
    """One step from the start: 3 likelihood rows, then per policy (4 moves) 2 transition,
    3 predicted-outcome and 1 joint-likelihood reads = 27 reads, each booked."""
    _, xbar = _pair(0, Hardware())
    xbar.ledger.clear()
    xbar.infer_states([0, 0, 0])
    xbar.infer_policies()
    maps = xbar.model.maps()
    assert sum(m.reads for m in maps) == 3 + 4 * (2 + 3 + 1)
    bd = xbar.ledger.breakdown()
    assert bd["read"] > 0 and bd["adc"] > 0 and bd["dac"] > 0
    assert "program" not in bd  # reading does not program
    # a reward seen in the left arm changes the learned reward likelihood: re-programmed
    xbar.infer_states([1, 1, 0])
    xbar.update_A([1, 1, 0])
    assert xbar.ledger.breakdown()["program"] > 0


def test_device_spread_reaches_the_stored_probabilities_with_its_own_size() -> None:
    """Log-normal device spread sigma: a stored probability p >= 0.1 reads back as
    (g_min + s p) e^{sigma z1} - g_min e^{sigma z2} over s, i.e. p (1 + sigma z) to first order
    (the g_min terms are < 2 % of it), so median |dp| / p = 0.6745 sigma (median of |N(0,1)|).
    Pooled over all arrays of 8 agents (592 entries: the sample median of |z| has a relative
    standard error of 5 %); tolerance 20 %."""
    sigma = 0.05
    rel = []
    for seed in range(8):
        _, xbar = _pair(seed, Hardware(variability=VariabilityParams(d2d_sigma=sigma)))
        for m in xbar.model.maps():
            w, p = m.weights, m.target
            big = p >= 0.1
            rel.append(np.abs(w - p)[big] / p[big])
    r = np.concatenate(rel)
    assert r.size == 592
    assert float(np.median(r)) == pytest.approx(0.6745 * sigma, rel=0.2)


def test_hardware_must_be_a_hardware() -> None:
    with pytest.raises(ParameterError, match="'hardware' argument of DiscreteAgent"):
        make_tmaze_learner(rng=np.random.default_rng(0), hardware="crossbar")  # type: ignore[arg-type]
