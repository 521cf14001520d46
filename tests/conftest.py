"""Shared test fixtures: the ngspice marker skips only where ngspice truly cannot be run."""

from __future__ import annotations

import os

import numpy as np
import pytest

from thermolearn.circuit.spice import runner as ngspice
from thermolearn.sweeps import blas_threads_per_worker, limit_blas_threads

# Under pytest-xdist each worker takes its share of the cores for BLAS (and passes the cap to
# the processes it starts): workers that each run a thread per core spin on each other's cores
# and slow dense linear algebra by orders of magnitude (benchmarks/bench_blas_threads.py).
if os.environ.get("PYTEST_XDIST_WORKER"):
    _workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    limit_blas_threads(blas_threads_per_worker(_workers))


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
