"""Bits learned, three ways, and joules per learned bit.

1. A coin's bias: the exact information I(D; θ) that n tosses carry about θ, and the
   prequential code of a Laplace learner, whose excess over the true-θ code is that information.
2. A Gaussian mean: I = ½ log2(1 + n s²/σ²) bits.
3. The information-bottleneck curve of a small joint distribution.
4. The information plane of a trained EP circuit's hidden layer (binned voltages), and
   joules per learned bit of that run (simulated energy) beside the context table.
"""

from __future__ import annotations

import math

import numpy as np

from thermolearn.information import (
    PrequentialCode,
    beta_bernoulli_information_bits,
    binned_information_plane,
    gaussian_mean_information_bits,
    ib_curve,
    joules_per_bit_report,
    mutual_information_bits,
)
from thermolearn.reporting import format_summary

rng = np.random.default_rng(0)

# 1. coin bias
n = 200
theta = 0.3
x = (rng.uniform(size=n) < theta).astype(np.int64)
heads = np.concatenate([[0], np.cumsum(x)[:-1]])
p1 = (heads + 1.0) / (np.arange(n) + 2.0)  # Laplace rule, predicted before each toss
pc = PrequentialCode(2)
pc.update(np.stack([1 - p1, p1], axis=1), x)
l_true = -np.sum(np.where(x == 1, math.log2(theta), math.log2(1 - theta)))
print(f"coin: I(D; θ) = {beta_bernoulli_information_bits(n):.3f} bit (exact, uniform prior)")
print(f"coin: prequential bits learned = {pc.bits_learned:.1f} bit, "
      f"excess over true-θ code = {pc.code_length_bits - l_true:.2f} bit (one draw)")

# 2. Gaussian mean
i_gauss = gaussian_mean_information_bits(10, 4.0, 1.0)
print(f"gaussian mean, n=10, s²=4, σ²=1: I = {i_gauss:.3f} bit")

# 3. information bottleneck
pxy = rng.dirichlet(np.ones(4), size=6) / 6
curve = ib_curve(pxy, np.geomspace(0.1, 100, 8), 6, rng=rng)
print(f"IB: I(X;Y) = {mutual_information_bits(pxy):.3f} bit")
for c in curve:
    print(f"  β = {c.beta:7.2f}: I(X;T) = {c.i_xt:.3f} bit, I(T;Y) = {c.i_ty:.3f} bit")

# 4. a trained EP circuit (800 examples, 3 epochs): information plane of its hidden layer, J per bit
from thermolearn.datasets import load  # noqa: E402
from thermolearn.experiments.ep_train import default_config, run_training  # noqa: E402

cfg = default_config("digits", epochs=3, n_train=800, seed=0)
result = run_training(cfg, progress=False)
data = load("digits", seed=0)
hidden = result.model.free(data.x_test).layers[0]
h_y = mutual_information_bits(np.diag(np.bincount(data.y_test) / data.y_test.size))
for bins in (4, 12):
    i_xt, i_ty = binned_information_plane(hidden, data.y_test, n_bins=bins)
    print(f"hidden layer, {bins:2d} bins: I(X;T) = {i_xt:.2f} bit, I(T;Y) = {i_ty:.2f} bit "
          f"(H(Y) = {h_y:.2f} bit)")
m = result.metrics
report = joules_per_bit_report(result.ledger, m["bits_learned"], m["default_estimator"])
print(format_summary(report, title=f"EP on 800 digits, test accuracy {m['test_accuracy']:.3f}"))
