"""Reversible vs non-invertible accounting: bits erased (bound) vs simulated dissipation.

References: Landauer bound kT ln 2 per erased bit (physics.landauer_limit); a bijection loses
no information, so its map-level erasure estimate is small compared with a ReLU network's,
while both networks' crossbar reads dissipate far more than either bound (G V^2 t is paid
whether or not the map is invertible).
"""

from __future__ import annotations

import pytest

from thermolearn.experiments.reversible_study import accounting_comparison
from thermolearn.physics import landauer_limit


@pytest.fixture(scope="module")
def acc() -> dict:
    return accounting_comparison(n_samples=32)


def test_reversible_map_erases_fewer_bits(acc: dict) -> None:
    rev, mlp = acc["reversible"], acc["non_invertible_relu"]
    assert rev["bits_erased_per_sample_map"] < 0.25 * mlp["bits_erased_per_sample_map"]
    assert mlp["bits_erased_per_sample_map"] > 4.0  # ReLUs lose whole words
    # readout bits are the same for both: 4 outputs x (16 - 8) bits
    assert rev["bits_erased_per_sample_readout"] == pytest.approx(32.0)
    assert acc["landauer_bound_saving_joules_per_sample"] > 0


def test_dissipation_dwarfs_the_bound_in_both_directions(acc: dict) -> None:
    rev = acc["reversible"]
    kTln2 = landauer_limit()
    assert rev["landauer_bound_joules_per_sample"] == pytest.approx(
        (rev["bits_erased_per_sample_map"] + rev["bits_erased_per_sample_readout"]) * kTln2
    )
    assert rev["inverse_joules_per_sample"] > 0
    assert acc["dissipation_to_bound_ratio_reversible"] > 1e3
    assert acc["dissipation_to_bound_ratio_non_invertible"] > 1e3
    assert rev["reconstruction_max_error"] < 1e-9
