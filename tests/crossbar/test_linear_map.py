"""The crossbar-as-linear-map adapter shared by the reversible layers and both agents.

References: on ideal hardware a read is the product with the programmed matrix (float64
rounding, tolerance 1e-12 of the weight range); the lumped error models are Gaussian with the
stated standard deviations, checked as sample moments (N values give a standard deviation to
1/sqrt(2N); tolerances are >= 6 of those).
"""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import thermolearn.crossbar.linear_map as linear_map_module
from thermolearn.crossbar.linear_map import SOFTWARE, CrossbarLinearMap, MapErrors
from thermolearn.errors import ParameterError
from thermolearn.hardware import Hardware


def _w(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(5, 7))


def test_doctests() -> None:
    failures, tried = doctest.testmod(linear_map_module)
    assert tried > 0 and failures == 0


def test_ideal_reads_are_the_products_forward_and_transposed() -> None:
    W = _w()
    m = CrossbarLinearMap(W, Hardware())
    x = np.random.default_rng(1).normal(size=(4, 7))
    y = np.random.default_rng(2).normal(size=(4, 5))
    scale = np.max(np.abs(W))
    np.testing.assert_allclose(m.matvec(x), x @ W.T, atol=1e-12 * scale * 7)
    np.testing.assert_allclose(m.rmatvec(y), y @ W, atol=1e-12 * scale * 5)
    assert m.reads == 8
    assert m.ledger.breakdown()["read"] > 0


def test_input_scaling_is_exact_and_software_twin_shares_the_target() -> None:
    W = _w()
    m = CrossbarLinearMap(W, Hardware(), scale_inputs=True)
    x = 37.0 * np.random.default_rng(1).normal(size=(3, 7))
    np.testing.assert_allclose(m.matvec(x), x @ W.T, rtol=1e-10, atol=1e-10)
    twin = m.software_twin()
    assert twin.is_software and twin.target is m.target
    before = m.ledger.total()
    np.testing.assert_array_equal(twin.matvec(x), x @ m.target.T)
    assert m.ledger.total() == before  # the twin books nothing


def test_the_range_follows_the_weights_unless_fixed() -> None:
    W = _w()
    m = CrossbarLinearMap(W, Hardware())
    m.program(4.0 * W)  # outgrows the range: re-ranged, not saturated
    np.testing.assert_allclose(m.weights, 4.0 * W, atol=1e-12 * 4 * np.max(np.abs(W)))
    fixed = CrossbarLinearMap(W, Hardware(), w_max=float(np.max(np.abs(W))))
    fixed.program(4.0 * W)  # saturates at +-w_max
    assert np.max(np.abs(fixed.weights)) == pytest.approx(np.max(np.abs(W)), rel=1e-12)


def test_lumped_read_noise_has_its_standard_deviation() -> None:
    """sigma_out = read_sigma * w_range per output (N = 4000 x 5 values: 0.5 %; rtol 4 %)."""
    W = _w()
    m = CrossbarLinearMap(W, Hardware(), errors=MapErrors(read_sigma=1e-3))
    x = np.ones((4000, 7))
    d = m.matvec(x) - x @ m.weights.T
    assert float(np.std(d)) == pytest.approx(1e-3 * np.max(np.abs(W)), rel=0.04)


def test_lumped_programming_error_has_its_standard_deviation() -> None:
    """Each differential weight errs by N(0, program_sigma * max|W|) (35 weights per draw,
    40 re-programmings = 1400 values: 1.9 %; rtol 12 %)."""
    W = _w()
    m = CrossbarLinearMap(W, Hardware(), errors=MapErrors(program_sigma=1e-2))
    errs = []
    for _ in range(40):
        m.program()
        errs.append(m.weights - m.target)
    assert float(np.std(errs)) == pytest.approx(1e-2 * np.max(np.abs(W)), rel=0.12)


def test_bad_arguments_raise() -> None:
    with pytest.raises(ParameterError, match="'hardware' parameter of CrossbarLinearMap"):
        CrossbarLinearMap(_w(), "crossbar")
    with pytest.raises(ParameterError, match="'W' argument of CrossbarLinearMap"):
        CrossbarLinearMap(np.ones(3), SOFTWARE)
    with pytest.raises(ParameterError, match="read_sigma"):
        MapErrors(read_sigma=-1.0)
    with pytest.raises(ParameterError, match="must have shape"):
        CrossbarLinearMap(_w(), SOFTWARE).program(np.ones((2, 2)))
