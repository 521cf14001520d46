"""The E ∝ I scaling study: the power-law fit on synthetic data, the grid, and a reduced study
run on the local pool and on a Dask LocalCluster (same numbers)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from thermolearn.cli import main
from thermolearn.experiments.scaling import (
    ENERGY_KINDS,
    ESTIMATORS,
    FACTORS,
    FIXED_N_FACTORS,
    ScalingConfig,
    fit_power_law,
    run_scaling_study,
)
from thermolearn.sweeps import point_key


def _synthetic(rng: np.random.Generator, b: float, noise: float) -> tuple[list, list, list]:
    bits, energy, groups = [], [], []
    for g, i in enumerate(np.geomspace(10, 1e4, 12)):
        for _ in range(3):
            bits.append(i * math.exp(0.02 * rng.standard_normal()))
            energy.append(1e-12 * bits[-1] ** b * math.exp(noise * rng.standard_normal()))
            groups.append(g)
    return bits, energy, groups


def test_fit_recovers_a_known_exponent(rng: np.random.Generator) -> None:
    # Synthetic law E = 1e-12 I^0.8 with 5 % log-normal noise (a test of the fit only):
    # b within 0.03 of 0.8, the 95 % CI covers 0.8 and excludes 1.
    bits, energy, groups = _synthetic(rng, 0.8, 0.05)
    fit = fit_power_law(bits, energy, groups=groups, n_boot=1000, rng=rng)
    assert fit["exponent"] == pytest.approx(0.8, abs=0.03)
    lo, hi = fit["ci95"]
    assert lo <= 0.8 <= hi and hi < 1.0
    assert fit["proportionality_supported"] is False
    assert fit["intercept"] == pytest.approx(-12, abs=0.1)
    assert fit["n_groups"] == 12 and fit["n_runs"] == 36


def test_fit_exact_proportionality_and_exclusions(rng: np.random.Generator) -> None:
    bits = [0.0, -5.0, 10.0, 100.0, 1000.0]
    energy = [1.0, 1.0, 1e-9, 1e-8, 1e-7]
    fit = fit_power_law(bits, energy, n_boot=200, rng=rng)
    assert fit["exponent"] == pytest.approx(1.0, abs=1e-12)
    assert fit["ci95"] == pytest.approx([1.0, 1.0], abs=1e-9)
    assert fit["proportionality_supported"] is True and fit["n_excluded"] == 2
    none = fit_power_law([0.0, 1.0, 2.0], [1.0, 1.0, 2.0], rng=rng)
    assert none["exponent"] is None and "2 runs" in none["reason"]


def test_default_grid_meets_the_study_size() -> None:
    cfg = ScalingConfig()
    pts = cfg.points()
    grid = {json.dumps({k: v for k, v in p.items() if k != "seed"}, sort_keys=True) for p in pts}
    assert len(grid) >= 12 and len(cfg.seeds) >= 3 and len(pts) == len(grid) * len(cfg.seeds)
    assert len({point_key(p) for p in pts}) == len(pts)
    assert {p["factor"] for p in pts} == set(FACTORS)
    # every factor but n_train holds the sample count and the epoch budget fixed
    for f in FIXED_N_FACTORS:
        sel = [p for p in pts if p["factor"] == f]
        assert {p["n_train"] for p in sel} == {cfg.fixed_n_train}
        assert {p["epochs"] for p in sel} == {cfg.epochs}


def test_quick_study_local_and_dask_agree(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    distributed = pytest.importorskip("distributed")
    local_dir = tmp_path / "local"
    assert main(["scaling", "--out", str(local_dir), "--quick", "--no-progress"]) == 0
    assert "SMOKE RUN" in capsys.readouterr().out
    local = json.loads((local_dir / "scaling.json").read_text())
    assert (local_dir / "scaling.png").stat().st_size > 0
    assert local["smoke_run"] is True and "SMOKE RUN" in local["notes"]
    assert local["n_runs"] == 16 and local["n_points"] == 8
    assert local["estimator"] == "weight_information"
    for r in local["points"]:
        assert r["energy_joules"] > 0 and r["energy_first_epoch_joules"] > 0
        assert r["energy_first_epoch_joules"] <= r["energy_joules"]
        assert r["learning_joules"] + r["computing_joules"] == pytest.approx(r["energy_joules"],
                                                                            rel=1e-12)
        assert set(r["bits_learned"]) >= set(ESTIMATORS)
        assert sum(r["energy_by_source"].values()) == pytest.approx(r["energy_joules"], rel=1e-12)
        assert r["samples_processed"] == r["n_train"] * r["epochs_trained"]
    # every estimator and energy kind gets a pooled and a per-factor fit
    assert set(local["fits"]) == set(ESTIMATORS)
    for per_kind in local["fits"].values():
        assert set(per_kind) == set(ENERGY_KINDS)
        for per in per_kind.values():
            assert set(per) == {"pooled", "n_train", "label_noise", "early_stop"}
            for fit in per.values():
                if fit["ci95"] is not None:
                    assert fit["ci95"][0] <= fit["exponent"] <= fit["ci95"][1] or \
                        fit["ci95"][0] <= fit["ci95"][1]
    # the confound is measured, not asserted: energy per sample spread and the E-vs-samples fit
    conf = local["confound"]
    eps = [r["energy_joules"] / r["samples_processed"] for r in local["points"]]
    assert conf["energy_per_sample_joules"]["median"] == pytest.approx(float(np.median(eps)),
                                                                       rel=1e-12)
    assert "number of samples processed" in conf["statement"]
    assert ("NOT constant" in conf["statement"]) == (not conf["energy_per_sample_constant"])
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  protocol="tcp", host="127.0.0.1",
                                  dashboard_address=":0") as cluster:  # free port (xdist)
        remote = run_scaling_study(ScalingConfig.quick(), tmp_path / "dask",
                                   scheduler=cluster.scheduler_address, progress=False)
    strip = [{k: v for k, v in r.items() if k != "seconds"} for r in local["points"]]
    assert [{k: v for k, v in r.items() if k != "seconds"} for r in remote["points"]] == strip
    assert remote["fits"] == local["fits"]
