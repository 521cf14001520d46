"""The EP run takes its temperature from its hardware: one owner (issue 12, Build 4).

Reference: kT ln 2 at the hardware's temperature (closed form, physics.landauer_limit); a
circuit temperature that contradicts the hardware's is refused instead of silently winning.
"""

import numpy as np
import pytest

from thermolearn.devices.presets import get
from thermolearn.errors import ParameterError
from thermolearn.experiments.ep_train import default_config, run_training
from thermolearn.hardware import Hardware, ReadSettings
from thermolearn.physics import K_B


def _hardware(temperature: float) -> Hardware:
    model = get("vteam_linear").factory()
    lo, hi = model.state_bounds
    g = model.conductance(np.array([lo, hi]), 0.1)
    return Hardware(device=model, g_min=float(min(g)), g_max=float(max(g)),
                    temperature=temperature,
                    read=ReadSettings(v_read=0.1, t_read=1e-6, adc_bits=12))


@pytest.mark.parametrize("temperature", [250.0, 350.0])
def test_ep_run_uses_the_hardware_temperature(temperature: float) -> None:
    m = run_training(default_config("xor", epochs=1), None, progress=False,
                     hardware=_hardware(temperature)).metrics
    assert m["circuit"]["temperature"] == temperature
    assert m["temperature_K"] == temperature
    # kT ln 2 of the Landauer guard at the hardware's temperature, rel 1e-12
    assert m["landauer_guard"]["kt_ln2_joules"] == pytest.approx(
        K_B * temperature * np.log(2), rel=1e-12)


def test_circuit_temperature_contradicting_the_hardware_is_refused() -> None:
    cfg = default_config("xor", epochs=1, circuit={"temperature": 77.0})
    with pytest.raises(ParameterError, match="temperature"):
        run_training(cfg, None, progress=False, hardware=_hardware(300.0))


def test_a_training_split_of_one_class_is_refused_before_training() -> None:
    """--n-train 1 used to train, then die in sklearn's baselines with a traceback (review)."""
    with pytest.raises(ParameterError, match="n_train"):
        run_training(default_config("xor", epochs=1, n_train=1), None, progress=False)
