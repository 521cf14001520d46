"""``thermolearn optimizer``: the speed-energy curve written by the CLI obeys the RC law."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from thermolearn.cli import main


def test_optimizer_cli_writes_a_falling_speed_energy_curve(tmp_path: Path) -> None:
    assert (
        main(["optimizer", "--out", str(tmp_path), "--factors", "0", "3", "30", "--updates", "2"])
        == 0
    )
    data = json.loads((tmp_path / "speed_energy.json").read_text())
    assert (tmp_path / "speed_energy.png").stat().st_size > 0
    for points in data["curves"].values():
        energies = [p["energy_J"] for p in points]
        times = [p["pulse_time_s"] for p in points]
        # Slower ramps take longer and dissipate less (Athas 1994: loss ~ (RC/T) C V^2).
        assert times == sorted(times)
        assert energies == sorted(energies, reverse=True)
        # Charging loss of each pulse vs the closed form rc_ramp_loss: 2 % (issue 7).
        for p in points:
            assert p["charge_loss_J"] == pytest.approx(p["closed_form_charge_J"], rel=0.02)


def test_optimizer_cli_rejects_negative_factor(tmp_path: Path) -> None:
    assert main(["optimizer", "--out", str(tmp_path), "--factors", "-1"]) == 2
