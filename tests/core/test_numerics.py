"""The shared numerical kernels (thermolearn.numerics) against closed forms."""

from __future__ import annotations

import numpy as np

from thermolearn.numerics import central_difference, fd_jacobian, log_softmax, softmax


def test_softmax_closed_form_and_shift_invariance() -> None:
    """softmax([0, ln 3]) = [1/4, 3/4] exactly; adding a constant changes nothing (rtol 1e-15)."""
    np.testing.assert_allclose(softmax([0.0, np.log(3.0)]), [0.25, 0.75], rtol=1e-15)
    z = np.array([[1.0, 2.0, 3.0], [1000.0, 1001.0, 999.0]])
    p = softmax(z, axis=1)
    np.testing.assert_allclose(p[1], softmax(z[1] - 1000.0), rtol=1e-15)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(np.exp(log_softmax(z, axis=1)), p, rtol=1e-14)
    np.testing.assert_allclose(softmax(z.T, axis=0), p.T, rtol=1e-15)


def test_central_difference_is_second_order() -> None:
    """d/dx sin at x: error of the central difference is h²/6 |cos x| to leading order."""
    x = np.linspace(-1.0, 1.0, 7)
    for h in (1e-2, 1e-3):
        err = central_difference(np.sin, x, h) - np.cos(x)
        np.testing.assert_allclose(err, -(h**2) / 6 * np.cos(x), rtol=1e-3, atol=1e-14)


def test_fd_jacobian_of_a_linear_and_a_nonlinear_map() -> None:
    """Linear map x -> x A^T: J = A exactly (to 1e-9); tanh: J = diag(1 - tanh²) (1e-9)."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 4))
    x = rng.normal(size=(5, 4))
    J = fd_jacobian(lambda u: u @ a.T, x)
    assert J.shape == (5, 3, 4)
    np.testing.assert_allclose(J, np.broadcast_to(a, J.shape), rtol=0, atol=1e-9)
    Jt = fd_jacobian(np.tanh, x)
    for b in range(5):
        np.testing.assert_allclose(Jt[b], np.diag(1 - np.tanh(x[b]) ** 2), rtol=0, atol=1e-9)
