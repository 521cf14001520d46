"""Reversible layers on ideal crossbars: exact inversion, log-det, transposed-read inverse.

References: inverse∘forward = id is the defining property of a bijection (tolerance 1e-9 in
float64 for ideal devices); log|det J| is compared with the log-determinant of a central
finite-difference Jacobian (step 1e-6, relative tolerance 1 %, absolute 1e-6 where it is 0).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thermolearn.algorithms.reversible import (
    SOFTWARE,
    MapErrors,
    ReversibleNetwork,
    numerical_log_det,
)
from thermolearn.errors import ParameterError
from thermolearn.hardware import Hardware

IDEAL = Hardware()


def _single(
    kind: str,
    hw: Hardware | str,
    dim: int = 4,
    seed: int = 0,
    errors: MapErrors | None = None,
) -> ReversibleNetwork:
    net = ReversibleNetwork(dim, hardware=hw, errors=errors, rng=np.random.default_rng(seed))
    if kind == "affine":
        net.add_coupling_layer(12, kind="affine", init_scale=8.0)
    elif kind == "additive":
        net.add_coupling_layer(12, kind="additive", init_scale=8.0)
    elif kind == "orthogonal":
        net.add_orthogonal_layer()
    elif kind == "lu":
        net.add_lu_layer()
        lu = net.layers[0]
        lu.params["log_s"] += np.array([0.3, -0.5, 0.2, 0.4])  # non-unit determinant
        lu.params["U"] += 0.3
        lu.program()
    elif kind == "leaky_relu":
        net.add_leaky_relu(0.3)
    elif kind == "tanh":
        net.add_tanh()
    elif kind == "stack":
        (
            net.add_coupling_layer(12, init_scale=8.0)
            .add_orthogonal_layer()
            .add_lu_layer()
            .add_coupling_layer(12, kind="additive", init_scale=8.0)
            .add_leaky_relu(0.3)
            .add_orthogonal_layer()
            .add_tanh()
            .add_coupling_layer(12, init_scale=8.0)
        )
    return net


KINDS = ["affine", "additive", "orthogonal", "lu", "leaky_relu", "tanh", "stack"]


@pytest.mark.parametrize("kind", KINDS)
def test_inverse_of_forward_is_identity_on_ideal_crossbars(
    kind: str, rng: np.random.Generator
) -> None:
    net = _single(kind, IDEAL)
    x = rng.normal(size=(64, 4)) * 1.5
    y = net.forward(x)
    assert not np.allclose(y, x)  # the layer does something
    assert np.max(np.abs(net.inverse(y) - x)) < 1e-9
    # and the other way round
    assert np.max(np.abs(net.forward(net.inverse(y)) - y)) < 1e-9


@pytest.mark.parametrize("kind", KINDS)
def test_log_det_matches_numerical_jacobian(kind: str, rng: np.random.Generator) -> None:
    net = _single(kind, IDEAL)
    x = rng.normal(size=(16, 4)) * 1.5
    ld = net.log_det(x)
    num = numerical_log_det(net.forward, x, eps=1e-6)
    tol = np.maximum(0.01 * np.abs(num), 1e-6)
    assert np.all(np.abs(ld - num) <= tol), (ld, num)
    if kind in ("affine", "lu", "leaky_relu", "tanh", "stack"):
        assert np.max(np.abs(num)) > 0.05  # non-trivial volume change is being tested


def test_orthogonal_inverse_is_transposed_read_of_the_same_array(rng: np.random.Generator) -> None:
    net = _single("orthogonal", IDEAL)
    layer = net.layers[0]
    Q = layer.Q
    y = rng.normal(size=(20, 4))
    # ideal: the transposed read equals W^{-1} y
    assert np.max(np.abs(net.inverse(y) - y @ np.linalg.inv(Q).T)) < 1e-9
    # with a programming error, the inverse is the transpose of the *programmed* array,
    # not the inverse of the programmed matrix: it is a transposed read, not a solve
    noisy = _single("orthogonal", IDEAL, errors=MapErrors(program_sigma=0.05))
    W_eff = noisy.layers[0].xb.weights
    assert np.max(np.abs(W_eff - noisy.layers[0].Q)) > 1e-3
    x_hat = noisy.inverse(y)
    assert np.max(np.abs(x_hat - y @ W_eff)) < 1e-9
    assert np.max(np.abs(x_hat - y @ np.linalg.inv(W_eff).T)) > 1e-3


def test_software_and_crossbar_agree_on_ideal_devices(rng: np.random.Generator) -> None:
    a, b = _single("stack", IDEAL), _single("stack", SOFTWARE)
    x = rng.normal(size=(8, 4))
    assert np.max(np.abs(a.forward(x) - b.forward(x))) < 1e-9


def test_backward_gradient_matches_finite_differences(rng: np.random.Generator) -> None:
    """Hand-derived backprop of the flow NLL vs central differences (rel. 1e-4)."""
    net = _single("stack", SOFTWARE)
    x = rng.normal(size=(32, 4))

    def nll() -> float:
        z, ld = net.forward_with_log_det(x, book_bits=False)
        return float(np.mean(0.5 * np.sum(z**2, 1) - ld))

    z, _ = net.forward_with_log_det(x)
    xr, _ = net.backward(z, z / len(x), -np.ones(len(x)) / len(x))
    assert np.max(np.abs(xr - x)) < 1e-9
    checked = 0
    for layer, name, arr in net.parameters():
        g = layer.grads[name]
        for flat in rng.choice(arr.size, size=min(3, arr.size), replace=False):
            idx = np.unravel_index(flat, arr.shape)
            if name in ("L", "U") and g[idx] == 0.0:
                continue
            old = arr[idx]
            arr[idx] = old + 1e-6
            layer.program()
            fp = nll()
            arr[idx] = old - 1e-6
            layer.program()
            fm = nll()
            arr[idx] = old
            layer.program()
            fd = (fp - fm) / 2e-6
            assert abs(g[idx] - fd) <= 1e-4 * max(1.0, abs(fd)), (layer.name, name, g[idx], fd)
            checked += 1
    assert checked > 20


def test_ledger_separates_forward_inverse_and_bits(rng: np.random.Generator) -> None:
    net = _single("stack", IDEAL)
    x = rng.normal(size=(16, 4))
    y, _ = net.forward_with_log_det(x)
    net.inverse(y)
    bd = net.ledger.breakdown()
    fwd = sum(v for k, v in bd.items() if k.startswith("forward/") and k != "forward/digital")
    inv = sum(v for k, v in bd.items() if k.startswith("inverse/") and k != "inverse/digital")
    assert fwd > 0 and inv > 0  # crossbar dissipation in both directions
    assert bd["forward/digital"] > 0
    bits_before = net.ledger.bits_erased()
    assert bits_before > 0  # contracting steps (leaky ReLU, tanh, affine s<0) on a grid
    net.readout(y)
    assert net.ledger.bits_erased() == pytest.approx(bits_before + 8 * y.size)
    assert net.ledger.total() == pytest.approx(sum(bd.values()))  # bound adds 0 J


def test_bad_parameters_raise() -> None:
    with pytest.raises(ParameterError, match="read_sigma"):
        MapErrors(read_sigma=-1.0)
    with pytest.raises(ParameterError, match="hardware"):
        ReversibleNetwork(4, hardware="crossbar")
    with pytest.raises(ParameterError, match="kind"):
        ReversibleNetwork(4).add_coupling_layer(4, kind="cubic")
    with pytest.raises(ParameterError, match="shape"):
        ReversibleNetwork(4, hardware=SOFTWARE).add_tanh().forward(np.zeros((3, 5)))


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    dim=st.integers(2, 6),
    scale=st.floats(0.1, 3.0),
)
def test_property_stack_inverts_for_any_weights(seed: int, dim: int, scale: float) -> None:
    """Hypothesis: inverse∘forward = id for random stacks, dims and input scales (1e-9)."""
    rng = np.random.default_rng(seed)
    net = ReversibleNetwork(dim, hardware=IDEAL, rng=rng)
    net.add_coupling_layer(8, init_scale=5.0).add_orthogonal_layer().add_lu_layer()
    net.add_coupling_layer(8, kind="additive", init_scale=5.0).add_leaky_relu(0.5)
    x = rng.normal(size=(8, dim)) * scale
    assert np.max(np.abs(net.inverse(net.forward(x)) - x)) < 1e-9
