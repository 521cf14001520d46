"""The update controller's per-device rules (SGD, momentum, Adam) and their booked cost."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from thermolearn.algorithms.ep_optimizer import DeviceOptimizer, OptimizerParams
from thermolearn.errors import ParameterError
from thermolearn.experiments.ep_train import default_config, run_training

from .conftest import TINY_NET_PHYSICS


def test_adam_matches_kingma_ba_algorithm_1_on_a_toy_gradient() -> None:
    """Reference: Kingma & Ba (ICLR 2015) Algorithm 1, written out by hand for two steps.

    g₁ = (2, −3e-9), g₂ = (−1, 5e-9), β₁ = 0.9, β₂ = 0.999, ε = 1e-12. Tolerance rel 1e-12
    (float rounding only).
    """
    b1, b2, eps = 0.9, 0.999, 1e-12
    opt = DeviceOptimizer(OptimizerParams(kind="adam", beta1=b1, beta2=b2, eps=eps), [(2,)])
    g1, g2 = np.array([2.0, -3e-9]), np.array([-1.0, 5e-9])
    d1 = opt.directions([g1])[0]
    d2 = opt.directions([g2])[0]
    m1, v1 = (1 - b1) * g1, (1 - b2) * g1**2
    m2, v2 = b1 * m1 + (1 - b1) * g2, b2 * v1 + (1 - b2) * g2**2
    ref1 = (m1 / (1 - b1)) / (np.sqrt(v1 / (1 - b2)) + eps)
    ref2 = (m2 / (1 - b1**2)) / (np.sqrt(v2 / (1 - b2**2)) + eps)
    np.testing.assert_allclose(d1, ref1, rtol=1e-12)
    np.testing.assert_allclose(d2, ref2, rtol=1e-12)
    # the point of it: the first step is ±1 whatever the gradient's scale (within ε)
    np.testing.assert_allclose(d1, [1.0, -1.0], rtol=1e-3)
    assert d2[0] == pytest.approx(0.08 / 0.19 / (np.sqrt(0.004996 / 0.001999) + eps), rel=1e-9)


def test_momentum_and_sgd_closed_forms() -> None:
    """Reference: heavy ball m_t = Σ_k μ^k g = g (1 − μ^t)/(1 − μ) for a constant g (Polyak
    1964); SGD returns the estimate itself. Tolerance rel 1e-12."""
    g = np.array([[1.5, -2e-9]])
    mom = DeviceOptimizer(OptimizerParams(kind="momentum", beta1=0.8), [(1, 2)])
    for _ in range(5):
        d = mom.directions([g])[0]
    np.testing.assert_allclose(d, g * (1 - 0.8**5) / (1 - 0.8), rtol=1e-12)
    sgd = DeviceOptimizer(OptimizerParams(), [(1, 2)])
    assert np.array_equal(sgd.directions([g])[0], g)
    with pytest.raises(ParameterError, match="shapes"):
        sgd.directions([np.zeros(3)])
    with pytest.raises(ParameterError, match="'beta1'"):
        OptimizerParams(kind="adam", beta1=1.0)


def _tiny(**kw: object):  # type: ignore[no-untyped-def]
    base = dict(epochs=1, n_train=40, batch_size=20, hidden=(3,), device="ideal",
                physics=dict(TINY_NET_PHYSICS))
    base.update(kw)
    return default_config("digits", **base)


def test_optimizer_ledger_lines_are_counts_times_cited_figures() -> None:
    """Reference: per device and update Adam moves 6 SRAM words (m, v read + written, two
    Newton–Raphson seed reads) and does 18 fixed-point ops booked as 32-bit MACs; momentum 2
    words and 1 MAC (ep_optimizer docstring), at Horowitz's (ISSCC 2014) 5 pJ per 32-bit word
    of an 8 kB SRAM and 3.2 pJ per MAC. Tolerance rel 1e-12, abs 0 (counts × figures)."""
    n_dev = (2 * 64 + 2) * 3 + (2 * 3 + 2) * 10
    updates = 2  # 40 samples, batches of 20, one epoch
    for kind, words, macs in (("adam", 6, 18), ("momentum", 2, 1)):
        res = run_training(_tiny(optimizer=kind, lr=1e-3), progress=False)
        bd = res.ledger.breakdown()
        phys = res.metrics["physics"]
        assert phys["sram_energy"] == pytest.approx(5e-12, rel=1e-12)
        assert phys["mac_energy"] == pytest.approx(3.2e-12, rel=1e-12)
        assert bd["update_optimizer_memory"] == pytest.approx(
            5e-12 * words * n_dev * updates, rel=1e-12, abs=0)
        assert bd["update_optimizer_arithmetic"] == pytest.approx(
            3.2e-12 * macs * n_dev * updates, rel=1e-12, abs=0)
        src = res.metrics["energy_sources"]
        assert src["update_optimizer_memory"] == src["update_optimizer_arithmetic"] == "model"
        m = res.metrics["optimizer"]
        assert (m["kind"], m["updates"], m["devices"]) == (kind, updates, n_dev)
        assert m["sram_words_per_device_per_update"] == words
    sgd = run_training(_tiny(), progress=False).ledger.breakdown()
    assert "update_optimizer_memory" not in sgd and "update_optimizer_arithmetic" not in sgd


def test_adam_first_update_moves_every_free_device_by_lr() -> None:
    """Reference: Adam's first direction is ĝ/(|ĝ| + ε) = ±1, so with ideal writes every
    device not at a window bound moves by lr·g_max exactly. Tolerance rel 1e-6 (ε = 1e-18
    here against |ĝ| ~ 1e-9: with the default 1e-12 the smallest estimates move up to 5e-4
    less; the state inversion of the ideal write)."""
    lr = 2e-3
    cfg = _tiny(optimizer="adam", lr=lr, n_train=20, optimizer_options={"eps": 1e-18})
    from thermolearn.datasets import load
    from thermolearn.experiments.ep_train import build_ep_network

    data = load("digits", seed=cfg.seed).subset(n_train=20)
    sizes = (data.n_features, 3, data.n_classes)
    ss = np.random.SeedSequence(cfg.seed)
    rng_init = np.random.default_rng(ss.spawn(3)[0])
    net0, syn0, _ = build_ep_network(cfg, sizes, rng_init)
    g0 = [g.copy() for g in syn0.conductances()]
    res = run_training(cfg, progress=False)
    g_max = syn0.g_window[1]
    g1 = [xb.conductances for xb in res.model.synapses.crossbars]
    for a, b in zip(g0, g1, strict=True):
        d = np.abs(b - a)
        moved = d > 0
        assert moved.mean() > 0.95
        np.testing.assert_allclose(d[moved], lr * g_max, rtol=1e-6)


def test_adam_resume_is_bit_for_bit(tmp_path: Path) -> None:
    """The moments and the update count are checkpointed: 2 epochs straight = 1 + resume
    (bit for bit)."""
    cfg = _tiny(optimizer="adam", lr=1e-3, epochs=2)
    full = run_training(cfg, tmp_path / "full", progress=False)
    part = tmp_path / "part"
    run_training(cfg, part, progress=False, stop_after=1)
    assert json.loads((part / "checkpoint.json").read_text())["optimizer_t"] == 2
    resumed = run_training(cfg, part, progress=False, resume=True)
    for a, b in zip(full.model.weights, resumed.model.weights, strict=True):
        assert np.array_equal(a, b)
    assert resumed.ledger.rows() == full.ledger.rows()


def test_optimizer_config_errors() -> None:
    with pytest.raises(ParameterError, match="'optimizer'"):
        default_config("digits", optimizer="lbfgs")
    with pytest.raises(ParameterError, match="'optimizer_options'"):
        default_config("digits", optimizer="adam", optimizer_options={"beta3": 0.5})
    with pytest.raises(ParameterError, match="algorithm 'ep'"):
        from thermolearn.experiments.ep_train import TrainConfig

        TrainConfig(task="digits", algorithm="backprop", optimizer="adam")
    # Adam is MNIST-1D's default only (chosen on its validation split); digits keeps SGD, and
    # the backprop baseline of a task whose EP default is Adam stays plain SGD
    assert default_config("mnist1d").optimizer == "adam"
    assert default_config("digits").optimizer == "sgd"
    assert default_config("mnist1d", algorithm="backprop").optimizer == "sgd"
