"""Predictions as experiments: verdict functions respond to the data; the tiny run writes files."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from thermolearn.errors import ParameterError
from thermolearn.experiments.predictions import (
    PredictionsConfig,
    scaling_config,
    verdict_energy_information,
    verdict_finite_units,
    verdict_hardware,
    verdict_parallel_serial,
    verdict_speed_energy,
    weighted_slope,
)
from thermolearn.physics import landauer_limit


def test_weighted_slope_recovers_line():
    # closed form: y = 3 + 0.5 x exactly -> slope 0.5, SE 0 (tolerance 1e-12)
    x = np.arange(6.0)
    s, se = weighted_slope(x, 3 + 0.5 * x)
    assert s == pytest.approx(0.5, abs=1e-12)
    assert se == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ParameterError):
        weighted_slope([1.0], [2.0])


def test_energy_information_verdict_flips_with_data():
    kt = landauer_limit(300.0)
    bits = np.array([10.0, 20.0, 40.0])
    above = verdict_energy_information(bits, 1e3 * kt * bits, exponent=1.0, ci95=[0.9, 1.1])
    assert above["above_bound"] is True and above["n_below_bound"] == 0
    assert above["min_ratio_to_bound"] == pytest.approx(1e3, rel=1e-9)
    assert above["proportional"] is True and "consistent with proportionality" in above["text"]
    below = verdict_energy_information(bits, 0.5 * kt * bits, exponent=0.3, ci95=[0.1, 0.5])
    assert below["above_bound"] is False and below["n_below_bound"] == 3
    assert below["proportional"] is False and "BELOW" in below["text"]
    assert above["text"] != below["text"]
    none = verdict_energy_information([-1.0, 0.0], [1.0, 1.0])
    assert none["above_bound"] is None
    # a fit on too few grid points is not a verdict on proportionality
    thin = verdict_energy_information(bits, 1e3 * kt * bits, exponent=1.0, ci95=[0.9, 1.1],
                                      n_groups=2)
    assert thin["proportional"] is None and "not a reliable" in thin["text"]
    # an interval that contains 1 only because it is huge is not "consistent with" b = 1
    wide = verdict_energy_information(bits, 1e3 * kt * bits, exponent=3.5, ci95=[-1.6, 11.3])
    assert wide["proportional"] is None and "too wide" in wide["text"]


def test_speed_energy_verdict_flips_with_data():
    tau = np.geomspace(1e-9, 1e-6, 6)
    inverse = verdict_speed_energy(tau, 1e-21 / tau)          # E = B/tau exactly
    assert inverse["regime"] == "inverse"
    assert inverse["slope"] == pytest.approx(-1.0, abs=1e-9)
    assert inverse["e_tau_spread"] == pytest.approx(1.0, abs=1e-9)
    floor = verdict_speed_energy(tau, 1e-13 + 1e-30 / tau)   # constant floor dominates
    assert floor["regime"] == "floor"
    rising = verdict_speed_energy(tau, 1e-21 / tau[::-1])   # reversed data: energy rises
    assert rising["regime"] == "rising"
    assert len({inverse["text"], floor["text"], rising["text"]}) == 3


def test_parallel_serial_verdict_flips_with_data():
    n = np.array([1, 2, 4, 8, 16])
    se = np.full(n.size, 0.02)
    grow = 0.7 + 0.3 * n
    flat = np.full(n.size, 1.0) + np.array([0.01, -0.01, 0.0, 0.01, -0.01])
    ok = verdict_parallel_serial(n, grow, se, flat, se)
    assert ok["serial_trend"] == "grows" and ok["parallel_trend"] == "flat"
    assert ok["prediction_holds"] is True
    # exact line 0.7 + 0.3 N: intercept 0.7, predicted parallel level 1.0 (tolerance 1e-9)
    assert ok["serial_intercept"] == pytest.approx(0.7, abs=1e-9)
    assert ok["predicted_parallel"] == pytest.approx(1.0, abs=1e-9)
    assert ok["measured_parallel"] == pytest.approx(1.0, abs=0.01)
    swapped = verdict_parallel_serial(n, flat, se, grow, se)
    assert swapped["serial_trend"] == "flat" and swapped["parallel_trend"] == "grows"
    assert swapped["prediction_holds"] is False and "NOT" in swapped["text"]


def test_finite_units_verdict_flips_with_data():
    # Synthetic heats that follow Q = 0.7 + 8/τ with T = 8 (B/T = 1 kT): M = 4 units on
    # N = 1, 4, 6, 16 take ceil(N/4) = 1, 1, 2, 4 rounds -> 1.7, 1.7, 2.7, 4.7 kT: grows, and
    # the law agrees (z = 0, tolerance 1e-12).
    n = [1, 4, 6, 16]
    se = [0.02, 0.02, 0.02, 0.02]
    kw = dict(q_inf=0.7, b=8.0, q_inf_se=0.0, b_se=0.0, total_time=8.0)
    ok = verdict_finite_units(n, 4, [1.7, 1.7, 2.7, 4.7], se, **kw)
    assert ok["trend"] == "grows" and ok["law_holds"] and not ok["expected_flat"]
    assert ok["predicted"] == pytest.approx([1.7, 1.7, 2.7, 4.7], abs=1e-12)
    flat = verdict_finite_units(n, 16, [1.7, 1.71, 1.69, 1.70], se, **kw)
    assert flat["trend"] == "flat" and flat["law_holds"] and flat["expected_flat"]
    # data that ignore the rounds (N free copies) contradict the law for M = 4
    bad = verdict_finite_units(n, 4, [1.7, 1.7, 1.7, 1.7], se, **kw)
    assert bad["trend"] == "flat" and not bad["law_holds"] and "DISAGREES" in bad["text"]


def test_hardware_verdict_ratios_and_direction():
    ctx = [{"name": "GPU", "joules": 1e-11, "unit": "op"},
           {"name": "Landauer", "joules": 2.87e-21, "unit": "bit"}]
    low = verdict_hardware({"x": 1e-13}, ctx)
    assert low["ratios"]["x"]["GPU"] == pytest.approx(1e-2)
    assert "below GPU" in low["text"] and "above Landauer" in low["text"]
    high = verdict_hardware({"x": 1e-9}, ctx)
    assert "above GPU" in high["text"]
    assert "not measured" in verdict_hardware({"x": math.nan}, ctx)["text"]


def test_config_validation():
    with pytest.raises(ParameterError, match="scaling"):
        PredictionsConfig(scaling="huge")
    with pytest.raises(ParameterError, match="erase_n_values"):
        PredictionsConfig(erase_n_values=(4,))
    with pytest.raises(ParameterError, match="scaling"):
        scaling_config("huge")
    assert len(scaling_config("laptop").points()) == 39
    with pytest.raises(ParameterError, match="erase_units"):
        PredictionsConfig(erase_units=(0,))


def test_tiny_run_writes_report_and_json(tmp_path, capsys):
    """Tiny run (~10 s): files exist, HTML embeds every plot, verdicts match the JSON data.

    Reference for the erasure numbers: Konopik et al., Nat. Commun. 14, 447 (2023) predict
    serial heat per bit growing with N and parallel flat; here we only check that the stored
    verdict is the one the verdict function computes from the stored data (no fixed text).
    """
    from thermolearn.cli import main

    assert main(["predictions", "--out", str(tmp_path), "--tiny"]) == 0
    printed = capsys.readouterr().out
    data = json.loads((tmp_path / "predictions.json").read_text())
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert set(data["predictions"]) == {"speed_energy", "parallel_serial", "hardware"}
    assert page.count("data:image/png;base64,") == 3
    for sec in data["predictions"].values():
        assert sec["verdict"]["text"] in page.replace("&#x27;", "'").replace("&quot;", '"') \
            or sec["verdict"]["text"][:40] in page
    rows = data["predictions"]["parallel_serial"]["rows"]
    # Physics, not code vs code: runs with the same cycle time are independent simulations of
    # the same protocol, so their heats agree within 3 combined standard errors: M = 1 is the
    # serial schedule (τ = T/N), and M = 16 >= N always runs one round (τ = T) like serial N=1.
    def same(a: dict, b: dict) -> bool:
        return abs(a["heat_per_bit_kT"] - b["heat_per_bit_kT"]) < 3 * math.hypot(
            a["heat_per_bit_se_kT"], b["heat_per_bit_se_kT"])
    for r in rows:
        assert r["units"]["1"]["tau"] == r["serial"]["tau"]
        assert same(r["units"]["1"], r["serial"])
        assert r["units"]["16"]["tau"] == rows[0]["serial"]["tau"]
        assert same(r["units"]["16"], rows[0]["serial"])
    # shorter cycles dissipate more (the finite-time law): serial N=16 above serial N=1
    assert rows[-1]["serial"]["heat_per_bit_kT"] > rows[0]["serial"]["heat_per_bit_kT"] + 3 * (
        rows[-1]["serial"]["heat_per_bit_se_kT"] + rows[0]["serial"]["heat_per_bit_se_kT"])
    fu = data["predictions"]["parallel_serial"]["verdict"]["finite_units"]
    assert fu["1"]["trend"] == "grows" and fu["16"]["trend"] == "flat"
    assert "flips with the number of units" in data["predictions"]["parallel_serial"][
        "verdict"]["flip_text"]
    # every heat is a finite-time erasure heat: above the generalised bound on average
    for r in rows:
        for key in ("serial", "parallel"):
            assert r[key]["heat_per_bit_kT"] > r[key]["bound_kT"]
    mode = data["predictions"]["speed_energy"]["modes"]["adiabatic release"]
    v = verdict_speed_energy(mode["update_time_s"], mode["energy_per_update_J"])
    assert v["regime"] == data["predictions"]["speed_energy"]["verdict"]["by_mode"][
        "adiabatic release"]["regime"]
    hw = data["predictions"]["hardware"]
    assert hw["crossbar"]["relative_error_vs_exact"] < 0.05
    assert data["wall_seconds"] > 0
    for key, sec in data["predictions"].items():
        assert f"- {key}: {sec['verdict']['text']}" in printed
