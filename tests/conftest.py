"""Shared test fixtures: the ngspice marker skips only where ngspice truly cannot be run."""

from __future__ import annotations

import numpy as np
import pytest

from thermolearn.circuit.spice import runner as ngspice


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    ok, reason = ngspice.available()
    if ok:
        return
    skip = pytest.mark.skip(reason=f"ngspice unavailable: {reason}")
    for item in items:
        if "ngspice" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator; tests are reproducible bit for bit."""
    return np.random.default_rng(12345)
