"""``thermolearn agent``: metrics.json and plots for both environments."""

from __future__ import annotations

import json

import numpy as np

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
    assert 0.0 <= m["success_rate"] <= 1.0
    assert len(m["free_energy_per_step"]) == 3
    assert len(m["learning_curve"]) == 30
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


def test_agent_cli_rejects_hardware_tmaze(tmp_path, capsys):
    assert main(["agent", "--env", "t-maze", "--hardware", "--out", str(tmp_path)]) == 2
    assert "hardware" in capsys.readouterr().err
