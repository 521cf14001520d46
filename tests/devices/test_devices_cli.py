"""The ``thermolearn devices`` command and the device demo (small runs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from thermolearn.cli import main


def test_devices_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("hp_biolek", "vteam_exponential", "yakopcic", "stanford_pku", "tiox_data_driven"):
        assert name in out


@pytest.mark.ngspice
def test_devices_iv_both_engines_json_and_plot(tmp_path: Path) -> None:
    js, png = tmp_path / "iv.json", tmp_path / "iv.png"
    rc = main(["devices", "iv", "vteam_linear", "--periods", "1", "--points-per-period", "200",
               "--engine", "both", "--json", str(js), "--plot", str(png)])  # fmt: skip
    assert rc == 0
    data = json.loads(js.read_text())
    assert set(data["engines"]) == {"python", "ngspice"}
    for eng in data["engines"].values():
        assert {"time", "voltage", "current", "state"} <= set(eng)
        assert len(eng["time"]) == len(eng["current"]) > 100
    assert data["max_deviation"]["current_rel"] < 0.01
    assert data["max_deviation"]["state_rel"] < 0.01
    assert png.stat().st_size > 10_000


def test_devices_iv_bad_model_is_a_clean_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices", "iv", "nonesuch", "--engine", "python"]) == 2
    assert "'model'" in capsys.readouterr().err
    assert main(["devices", "iv", "yakopcic", "--engine", "python", "--amplitude", "nan"]) == 2


@pytest.mark.ngspice
def test_device_demo_writes_png_and_json(tmp_path: Path) -> None:
    from thermolearn.experiments.device_demo import run_device_demo

    s = run_device_demo(tmp_path, models=["hp_joglekar", "stanford_pku"], periods=1,
                        points_per_period=200, steps_per_run=2000, progress=False)  # fmt: skip
    data = json.loads((tmp_path / "device_demo.json").read_text())
    assert set(data["models"]) == {"hp_joglekar", "stanford_pku"}
    for rec in data["models"].values():
        for run in rec["runs"]:
            assert run["deviation"]["current_rel"] < 0.01
    assert (tmp_path / "device_iv_loops.png").stat().st_size > 20_000
    assert len(s["files"]) == 2
