"""Szilard engine with a noisy demon (Sagawa & Ueda, PRL 104, 090602 (2010)) and Jarzynski
(PRL 78, 2690 (1997)) in a harmonic trap. Tolerances: 3 standard errors for the equalities;
extracted work below kT(ln 2 - H(eps)) for every eps (strict, plus 3 SE is not allowed)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from thermolearn.errors import ParameterError
from thermolearn.physics import LN2
from thermolearn.stochastic.jarzynski import dragged_trap, stiffness_change
from thermolearn.stochastic.szilard import (
    demon_sweep,
    optimal_tilt,
    quasistatic_work,
    run_demon,
    sagawa_ueda_bound,
)


def test_demon_reduced() -> None:
    runs = demon_sweep([0.05, 0.2, 0.5], 4000, np.random.default_rng(29), tau=20.0, threads=2)
    for r in runs:
        assert r.extracted_work < r.bound
        assert abs(r.su_average - 1.0) < 3 * r.su_average_se
    # more information, more work
    assert runs[0].extracted_work > runs[1].extracted_work > runs[2].extracted_work
    assert runs[0].extracted_work > 0.2


@pytest.mark.slow
def test_demon_full() -> None:
    runs = demon_sweep([0.02, 0.05, 0.1, 0.2, 0.3, 0.5], 10_000, np.random.default_rng(30),
                       tau=40.0, threads=2)
    for r in runs:
        assert r.extracted_work < r.bound
        assert abs(r.su_average - 1.0) < 3 * r.su_average_se


def test_quasistatic_feedback_reaches_bound() -> None:
    """With the optimal tilt the quasi-static cycle extracts kT(ln2 - H(eps)) (quadrature)."""
    for eps in (0.05, 0.1, 0.3):
        f = optimal_tilt(10.0, eps)
        assert -quasistatic_work(10.0, f, eps) == pytest.approx(sagawa_ueda_bound(eps), abs=2e-3)
        # two-state limit of the optimal tilt: 2F = ln((1-eps)/eps)
        assert f == pytest.approx(0.5 * math.log((1 - eps) / eps), rel=0.05)
    assert sagawa_ueda_bound(0.5) == pytest.approx(0.0, abs=1e-12)
    assert sagawa_ueda_bound(1e-12) == pytest.approx(LN2, abs=1e-9)


def test_demon_validation() -> None:
    with pytest.raises(ParameterError, match="'epsilon' parameter of run_demon"):
        run_demon(0.7, 10, np.random.default_rng(0))


def test_jarzynski_dragged_trap() -> None:
    """Delta F = 0: <e^{-W}> = 1 within 3 SE, while <W> = 1.135 kT > 0."""
    r = dragged_trap(40_000, np.random.default_rng(97), threads=2)
    assert abs(r.average - 1.0) < 3 * r.average_se
    assert r.mean_work > 1.0


def test_jarzynski_stiffness_change() -> None:
    """Delta F = ½ ln(kappa1/kappa0) = ½ ln 4: <e^{-W}> = 0.5 within 3 SE."""
    r = stiffness_change(40_000, np.random.default_rng(98), kappa0=1.0, kappa1=4.0, tau=0.5,
                         threads=2)
    assert r.expected == pytest.approx(0.5)
    assert abs(r.average - r.expected) < 3 * r.average_se
    assert r.mean_work > r.delta_f  # second law
