"""``thermolearn agent``: metrics.json and plots for both environments.

References (T-maze): an agent that ignores the cue reaches "cue arm first, then the rewarded
arm" with probability 1/16 per trial (one of four moves, twice); an agent that has learned
the contingency does it every trial. With seed 0 the learner does it in all of the last 10 of
30 trials (rate 1.0; 8 of its first 10): the test asks for >= 0.9, which a cue-ignoring agent
reaches with probability < 1e-10. On ideal crossbars the hardware agent takes the same
decisions as the digital one (same seed), so its learning curve is identical.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from thermolearn.cli import main


def test_agent_cli_tmaze(tmp_path, capsys):
    out = tmp_path / "tm"
    assert (
        main(
            [
                "agent",
                "--env",
                "t-maze",
                "--out",
                str(out),
                "--episodes",
                "30",
                "--eval-trials",
                "10",
                "--quiet",
            ]
        )
        == 0
    )
    m = json.loads((out / "metrics.json").read_text())
    curve = m["learning_curve"]
    assert len(curve) == 30 and set(curve) <= {0.0, 1.0}
    # the reported rate is that of the last 10 trials, and the agent has learned the task
    assert m["success_rate"] == pytest.approx(np.mean(curve[-10:]))
    assert m["success_rate"] >= 0.9
    assert m["success_rate_first_trials"] == pytest.approx(np.mean(curve[:10]))
    assert len(m["free_energy_per_step"]) == 3
    assert (out / "trajectories.png").stat().st_size > 0
    assert (out / "free_energy.png").stat().st_size > 0
    assert "success" in capsys.readouterr().out


def test_agent_cli_point_mass_hardware_with_noise(tmp_path):
    out = tmp_path / "pm"
    assert (
        main(
            [
                "agent",
                "--env",
                "point-mass",
                "--out",
                str(out),
                "--episodes",
                "1",
                "--hardware",
                "--device-noise",
                "0.05",
                "--quiet",
            ]
        )
        == 0
    )
    m = json.loads((out / "metrics.json").read_text())
    assert set(m["runs"]) == {"hardware_ideal", "hardware_noisy"}
    ideal, noisy = m["runs"]["hardware_ideal"], m["runs"]["hardware_noisy"]
    for r in (ideal, noisy):
        assert r["energy_per_cycle_joules"] > 0
        assert r["cycles"] == 80
        assert np.isfinite(r["free_energy_mean"])
    # ideal devices realise the weights exactly; 5 % device spread shows up as ~5 % weight error
    assert max(ideal["weight_error_rel"].values()) < 1e-9
    assert 0.01 < noisy["weight_error_rel"]["generative_W"] < 0.2
    assert (out / "trajectories.png").exists() and (out / "free_energy.png").exists()


def _tmaze(out, *extra: str) -> dict:
    args = ["agent", "--env", "t-maze", "--out", str(out), "--episodes", "30"]
    assert main([*args, "--eval-trials", "10", "--hardware", "--quiet", *extra]) == 0
    return json.loads((out / "metrics.json").read_text())


def test_agent_cli_tmaze_on_crossbars_books_energy(tmp_path, capsys):
    m = _tmaze(tmp_path / "hw")
    digital, hw = m["runs"]["digital"], m["runs"]["hardware"]
    assert digital["hardware"] is False and hw["hardware"] is True
    # ideal crossbars: the same decisions as the digital agent, trial by trial
    assert hw["learning_curve"] == digital["learning_curve"]
    assert hw["success_rate"] == digital["success_rate"]
    assert hw["cycles"] == 30 * 3
    # every cycle reads the arrays (3 likelihood rows + 6 reads per policy and step, ...)
    assert hw["reads_per_cycle"] > 9
    bd = hw["energy_breakdown_joules"]
    assert bd["read"] > 0 and bd["adc"] > 0 and bd["program"] > 0
    assert hw["energy_per_cycle_joules"] > 0
    assert hw["energy_total_joules"] == pytest.approx(sum(bd.values()))
    out = capsys.readouterr().out
    assert "digital" in out and "hardware" in out and "energy/cycle" in out


def test_agent_cli_tmaze_device_noise_reported_beside_digital(tmp_path, capsys):
    m = _tmaze(tmp_path / "noisy", "--device-noise", "0.05")
    digital, hw = m["runs"]["digital"], m["runs"]["hardware"]
    assert hw["device_noise"] == 0.05 and digital["device_noise"] == 0.0
    # both rates are of the same 10 final trials of the same seed
    assert hw["success_rate"] == pytest.approx(np.mean(hw["learning_curve"][-10:]))
    assert digital["success_rate"] == pytest.approx(np.mean(digital["learning_curve"][-10:]))
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "success" in ln]
    assert [ln.split()[0] for ln in lines] == ["digital", "hardware"]


def test_agent_cli_flags_without_effect_are_errors(tmp_path, capsys):
    out = str(tmp_path / "x")
    assert main(["agent", "--env", "t-maze", "--device-noise", "0.05", "--out", out]) == 2
    assert "add --hardware" in capsys.readouterr().err
    assert main(["agent", "--env", "t-maze", "--learn", "--out", out]) == 2
    assert "drop --learn" in capsys.readouterr().err
