"""Device I-V runs go through the one netlist writer (issue 12).

Reference: export_netlist of the device-run Circuit (string equality of the text handed to
ngspice), and the device's own RK4 solution (the ngspice twin agrees within 1 % of peak current,
the tolerance of tests/devices/test_devices_spice.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from thermolearn.circuit import export_netlist
from thermolearn.circuit.device_iv import SPICE_OPTIONS, iv_circuit, simulate_iv, spice_netlist
from thermolearn.circuit.spice import runner
from thermolearn.devices import compare, presets, sine_drive


def test_device_run_is_a_circuit_exported_by_the_one_writer() -> None:
    t, v = sine_drive(1.0, 1.0, periods=1.0, points_per_period=40)
    model = presets.strukov2008()
    c = iv_circuit(model, 0.5, t, v)
    assert [e.kind for e in c.elements] == ["V", "M"]
    np.testing.assert_array_equal(c.element("Vd").waveform.values, v)
    text = spice_netlist(model, 0.5, t, v, 1e-3)
    card = ".tran 0.001 1.0 0 0.001 uic"
    assert text == export_netlist(c, card, options=SPICE_OPTIONS)
    assert "np.float64" not in spice_netlist(model, 0.5, t, v, np.float64(1e-3))


@pytest.mark.ngspice
def test_simulate_iv_hands_ngspice_the_exported_text(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    real = runner.run_netlist

    def spy(text: str, **kw: object) -> object:
        seen.append(text)
        return real(text, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "run_netlist", spy)
    t, v = sine_drive(1.0, 1.0, periods=1.0, points_per_period=200)
    model = presets.strukov2008()
    step = float(t[-1]) / 4000
    sp = simulate_iv(model, 0.5, t, v, "ngspice", max_step=step)
    assert seen == [spice_netlist(model, 0.5, t, v, step)]
    py = simulate_iv(model, 0.5, t, v, "python", max_step=step)
    assert compare(py, sp, model)["current_rel"] < 1e-2
