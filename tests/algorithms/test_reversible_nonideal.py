"""Reconstruction error of inverse∘forward under crossbar non-idealities.

Reference: the linearised propagated-noise estimate
``r = ρ_1 + J_1^{-1}(ρ_2 + J_2^{-1}(...))`` with per-layer variances from read noise and from the
measured static weight error (ReversibleNetwork.predicted_reconstruction_rms). Tolerance: the
measured RMS lies within a factor 1.5 (read noise, programming error) or 2 (finite levels,
whose quantisation errors are not independent Gaussian) of the estimate, and scales linearly
with the noise (10x noise -> 10x error within 25 %).
"""

from __future__ import annotations

import numpy as np
import pytest

from thermolearn.experiments.reversible_study import reconstruction_study


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return reconstruction_study(
        read_sigmas=(1e-4, 1e-3, 1e-2),
        program_sigmas=(1e-4, 1e-3, 1e-2),
        levels=(1024, 64),
        r_wires=(0.5, 5.0),
        n_samples=128,
    )


def _sel(rows: list[dict], kind: str) -> list[dict]:
    return [r for r in rows if r["nonideality"] == kind]


def test_ideal_reconstruction_exact(rows: list[dict]) -> None:
    (ideal,) = _sel(rows, "ideal")
    assert ideal["max_error"] < 1e-9


@pytest.mark.parametrize("kind,factor", [("read_sigma", 1.5), ("program_sigma", 1.5)])
def test_noise_trend_and_magnitude(rows: list[dict], kind: str, factor: float) -> None:
    rs = _sel(rows, kind)
    err = np.array([r["rms_error"] for r in rs])
    pred = np.array([r["predicted_rms"] for r in rs])
    assert np.all(np.diff(err) > 0)
    np.testing.assert_allclose(err[1:] / err[:-1], 10.0, rtol=0.25)
    assert np.all(err / pred < factor) and np.all(pred / err < factor), (err, pred)


def test_finite_levels_trend_and_magnitude(rows: list[dict]) -> None:
    rs = _sel(rows, "levels")
    err = np.array([r["rms_error"] for r in rs])
    pred = np.array([r["predicted_rms"] for r in rs])
    assert err[1] > 4 * err[0]  # 16x coarser levels
    assert np.all(err / pred < 2.0) and np.all(pred / err < 2.0), (err, pred)


def test_ir_drop_error_grows_with_wire_resistance(rows: list[dict]) -> None:
    rs = _sel(rows, "r_wire")
    err = [r["rms_error"] for r in rs]
    assert err[0] > 1e-12
    assert err[1] > 3 * err[0]


def test_device_level_noise_matches_estimate(rows: list[dict]) -> None:
    """Johnson read noise (devices.variability, 300 K) and c2c write noise vs the estimate.

    The estimate calibrates the Johnson noise per read by repeated reads and propagates it;
    c2c noise enters as a static weight error. Tolerance: factor 1.5.
    """
    rs = _sel(rows, "johnson_read_noise_K") + _sel(rows, "c2c_sigma")
    assert len(rs) == 3
    for r in rs:
        assert r["rms_error"] > 1e-6
        ratio = r["rms_error"] / r["predicted_rms"]
        assert 1 / 1.5 < ratio < 1.5, r
    c2c = [r["rms_error"] for r in _sel(rows, "c2c_sigma")]
    assert c2c[1] > 5 * c2c[0]
