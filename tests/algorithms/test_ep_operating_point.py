"""Issue 13: the default EP operating point trains a non-linear network (MNIST-1D).

The diagnosis these tests pin (ideal writes, exact phases, MNIST-1D seed 0):

* the centred EP estimate of the output crossbar's gradient at the default nudge agrees with a
  central finite difference of the cost (with the former +30/-10 mV targets, far beyond the
  outputs' few-mV swing, the nudge drove the outputs out of their linear response and the
  estimate was 52 % off);
* the hidden diode pairs carry a large part of the node conductance (the nonlinear regime) for
  a sizeable fraction of the hidden reads (2 % with the former knee);
* switching the diodes off makes the trained network measurably worse.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from thermolearn.algorithms.ep_circuit import EPCircuit, EPCircuitParams
from thermolearn.algorithms.ep_inputs import encode_dataset
from thermolearn.algorithms.ep_physics import _diode_small_signal
from thermolearn.experiments.ep_train import build_ep_network, default_config

from .conftest import assert_phases_agree, central_difference

pytest.importorskip("mnist1d")

#: The operating point these measurements were made at: the MNIST-1D default before the Adam
#: controller (plain SGD at the digits rates, no rate decay, crossbar gain 3, squared-loss
#: nudge). The MNIST-1D default now trains with Adam at gain 2 and the cross-entropy nudge
#: (measured by ``ep benchmark``, see the _TASK_DEFAULTS comment); these tests pin what they
#: measured.
_SGD_POINT: dict[str, object] = {"optimizer": "sgd", "lr": (800000.0, 400000.0),
                                 "lr_decay": 1.0}
_SGD_CIRCUIT: dict[str, object] = {"gain": 3.0, "loss": "squared"}


def _ideal_net(sizes: tuple[int, ...] = (40, 128, 10), **circuit: object) -> tuple[EPCircuit,
                                                                                 object]:
    """The default MNIST-1D network (VTEAM window) with ideal, freely settable conductances."""
    from thermolearn.datasets import mnist1d

    cfg = default_config("mnist1d", device="ideal", hidden=sizes[1:-1],
                         circuit={**_SGD_CIRCUIT, **circuit}, **_SGD_POINT)
    # the ±2σ input clip these figures were measured at (the MNIST-1D default is ±3σ since
    # session 7; at ±3σ the knee test's initial-conductance share is 6.7 %, see its docstring)
    data, _ = encode_dataset(mnist1d(seed=0, num_samples=1000), cfg.input_encoding, n_std=2.0)
    rng_init = np.random.default_rng(np.random.SeedSequence(0).spawn(3)[0])
    built, _, _ = build_ep_network(cfg, sizes, rng_init)
    net = EPCircuit(replace(built.params, tol=1e-12, max_sweeps=20000),
                    rng=np.random.default_rng(1))
    net.weights = [w.copy() for w in built.weights]
    net._refresh()
    return net, data


def test_default_nudge_gives_the_cost_gradient_of_the_output_crossbar() -> None:
    """Centred EP vs central differences of C(G), 40 random devices per crossbar.

    Reference: (C(w + h) - C(w - h)) / 2h, h = 1e-4 (normalised conductance). Tolerance: 15 %
    relative (L2 over the sampled devices; the centred estimate's error is O(beta^2)):
    measured at the default 4.2 % (input crossbar) and 7.2 % (output crossbar); 68 % for the
    output crossbar with the former targets (target_high/low = +30/-10 mV).
    """
    net, data = _ideal_net()
    x, y = data.x_train[:16], data.y_train[:16]
    g, _ = net.gradients(x, y)
    pick = np.random.default_rng(3)
    for k in range(2):
        est, fd = [], []
        for _ in range(40):
            i = int(pick.integers(g[k].shape[0]))
            j = int(pick.integers(g[k].shape[1]))
            fd.append(central_difference(net, x, y, k, (i, j), 1e-4))
            est.append(g[k][i, j])
        e, f = np.array(est), np.array(fd)
        assert np.linalg.norm(e - f) / np.linalg.norm(f) < 0.15, (k, e, f)


def _diode_share(net: EPCircuit, x: np.ndarray) -> np.ndarray:
    """Share of each hidden node's small-signal conductance carried by its diode pair."""
    v = net.free(x).layers[0]
    gd = _diode_small_signal(net, 1, v)
    s = net._s[0] * net.params.g_max
    return np.asarray(gd / (gd + s))


def test_hidden_signal_reaches_the_diode_knee() -> None:
    """Diodes carry > half of the node conductance for >= 10 % of hidden reads.

    A trained network's hidden signal is ~3x its initial one (median |V_h| 1.1 mV at the
    initial conductances, ~3 mV after 10 epochs on MNIST-1D), so the share is checked on the
    initial conductances with their signed parts doubled (w+ - w- scaled by 2 about the pair
    mean; median |V_h| 1.9 mV). Measured: 19.7 % at the default knee (diode node at 30 V_h,
    v_up/v_down = -/+0.363 V); 0.06 % at the former one (10 V_h, -/+0.42 V). Measured on the
    ±2σ input clip; at the session-7 default clip (±3σ, so inputs ~2/3 as large) the same
    proxy gives 6.7 % (session-8 CI run), below this test's 10 %: the trained network's use of
    the diodes at that default is shown by the diodes-off benchmark (docs/algorithms.md), not
    by this initial-conductance proxy.
    """
    net, data = _ideal_net()
    w0 = net.weights[0]
    n = 40
    mean = 0.5 * (w0[:n] + w0[n : 2 * n])
    half = 0.5 * (w0[:n] - w0[n : 2 * n])
    lo = net.params.g_min / net.params.g_max
    w0[:n] = np.clip(mean + 2 * half, lo, 1.0)
    w0[n : 2 * n] = np.clip(mean - 2 * half, lo, 1.0)
    net._refresh()
    share = _diode_share(net, data.x_train[:400])
    assert np.mean(share > 0.5) >= 0.10, float(np.mean(share > 0.5))


def test_hidden_bias_voltage_is_the_circuit_that_mna_solves(rng: np.random.Generator) -> None:
    """The hidden-layer bias rows in build_circuit() and in the layer-wise solver: 1e-6 V."""
    p = EPCircuitParams(layer_sizes=(3, 5, 4, 2), input_amplitude=0.5, gain=2.0,
                        diode_gain=3.0, v_up=-0.3, v_down=0.3, bias_voltage=0.3,
                        hidden_bias_voltage=0.05)
    net = EPCircuit(p, rng=np.random.default_rng(4))
    x = rng.random((2, 3))
    tgt = net.targets(np.array([1, 0]))
    assert_phases_agree(net, x, tgt, atol=1e-6)
    # and it is a different circuit from the shared-bias one
    same = EPCircuit(replace(p, hidden_bias_voltage=None), rng=np.random.default_rng(4))
    assert np.max(np.abs(same.free(x).layers[-1] - net.free(x).layers[-1])) > 1e-4


def _train_ideal(net: EPCircuit, data: object, epochs: int, seed: int) -> tuple[float, float]:
    """Exact EP phases, ideal clipped writes, the SGD point's rates; (train, val) accuracy.

    ``data`` is an MNIST-1D split whose last 200 training sequences are held out.
    """
    cfg = default_config("mnist1d", **_SGD_POINT)
    rng = np.random.default_rng(seed)
    x, y = data.x_train[:-200], data.y_train[:-200]  # type: ignore[attr-defined]
    xv, yv = data.x_train[-200:], data.y_train[-200:]  # type: ignore[attr-defined]
    lr = list(cfg.lr)
    for _ in range(epochs):
        perm = rng.permutation(len(y))
        for i in range(0, len(perm), cfg.batch_size):
            idx = perm[i : i + cfg.batch_size]
            g, _ = net.gradients(x[idx], y[idx])
            net.apply_update(g, lr, rng)
        lr = [v * cfg.lr_decay for v in lr]
    return float(np.mean(net.predict(x) == y)), float(np.mean(net.predict(xv) == yv))


def test_diodes_off_is_measurably_worse_on_reduced_mnist1d() -> None:
    """The trained circuit uses its nonlinearity: diodes off fits and generalises worse.

    Reduced MNIST-1D (1,000 sequences generated with seed 0; 600 training, the last 200 of the
    training split held out), 40-128-10, the default operating point, exact phases and ideal
    writes, 30 epochs, training seeds 0-2 (same initial conductances). Measured, diodes on vs
    off: training accuracy 41.7/42.3/49.5 % vs 36.8/36.7/38.8 % (paired difference 7.5 points,
    SD 3.2), held-out 26.5/26.5/26.5 % vs 22.0/24.0/20.5 % (4.3 points, SD 1.8). Tolerance:
    the mean differences must exceed 3 (training) and 1.5 (held-out) points, i.e. ~2.5 and ~2.7
    standard errors of the seed mean below the measured ones; with the former knee (diode node
    at 10 V_h, -/+0.42 V) the diodes are inert and the differences vanish.
    """
    d_fit, d_val = [], []
    for seed in range(3):
        acc = {}
        for diodes in (True, False):
            net, data = _ideal_net()
            net.params = replace(net.params, diodes=diodes, tol=1e-8, max_sweeps=3000)
            net._refresh()
            acc[diodes] = _train_ideal(net, data, 30, seed)
        d_fit.append(acc[True][0] - acc[False][0])
        d_val.append(acc[True][1] - acc[False][1])
    assert np.mean(d_fit) > 0.03 and np.mean(d_val) > 0.015, (d_fit, d_val)


@pytest.mark.slow
def test_diodes_off_is_worse_on_mnist1d_with_noise_and_adcs() -> None:
    """Physical pipeline (8-bit DACs, Johnson/shot noise, 12-bit ADC reads, oracle writes of
    the VTEAM crossbars), full MNIST-1D, 10 epochs, seeds 0 and 1: diodes off is worse.

    Measured test accuracy, diodes on vs off: 25.0 vs 20.4 % (seed 0), 27.7 vs 24.9 % (seed 1);
    with memristor pulses (``ep benchmark``, seeds 0-2) the paired differences were 5.0, 3.2,
    5.9 points, so over the five paired runs 4.3 +- 1.3 (SD) points. Tolerance: the mean of the
    two seeds' differences must exceed 1.5 points (~2.4 standard errors of a two-seed mean
    below the measured 3.7). With the former knee (diode node at 10 V_h, -/+0.42 V; targets and
    bias rows as now) the diodes are inert: seed 0 gives 20.6 vs 20.5 %. ~3 min on one core.

    These figures were measured at 9746c0b on the then-default ``vteam_linear`` synapses
    (20 mS), before f08d1fb made ``vteam_highr`` (2-40 uS) the default and 4b6929a made the
    MNIST-1D default a cross-entropy nudge with Adam: the test pins ``vteam_linear`` as well as
    the SGD point and squared loss of ``_SGD_POINT`` / ``_SGD_CIRCUIT``. Re-run so pinned on
    the current physics (per-stage amplifier parts and drivers added since 9746c0b): 25.5 vs
    22.2 % (seed 0), 27.4 vs 19.0 % (seed 1), mean difference 5.9 points; 5.7 min under load.
    Not measured at the new defaults (the diodes-off control there is a benchmark). The
    session-6 MNIST-1D default (256 hidden units, T = 0.4 us) is pinned back to the 128 units
    and 0.1 us these figures were measured at.
    """
    from thermolearn.experiments.ep_train import run_training

    diff = []
    for seed in (0, 1):
        acc = {}
        for diodes in (True, False):
            cfg = default_config("mnist1d", seed=seed, device="ideal", epochs=10,
                                 device_model="vteam_linear", hidden=(128,),
                                 physics={"integration_time": 1e-7},
                                 circuit={**_SGD_CIRCUIT, "diodes": diodes}, **_SGD_POINT)
            acc[diodes] = run_training(cfg, progress=False).metrics["test_accuracy"]
        diff.append(acc[True] - acc[False])
    assert np.mean(diff) > 0.015, diff
