"""Every memristor model against its ngspice twin (reference: the ngspice run itself).

Tolerances (issue 2): current within 1 % of its peak and state within 0.01 of the state
range over the whole run, at two sine frequencies; pulse energy within 1 % of ngspice's
∫V·I dt. Both engines use max step = run length / 4000.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from thermolearn.circuit.device_iv import simulate_iv
from thermolearn.circuit.spice.runner import run_netlist
from thermolearn.devices import (
    Diode,
    LinearConductance,
    Pulse,
    compare,
    lobe_area,
    presets,
    program,
    sine_drive,
)
from thermolearn.devices.spice_lib import library_files, subckt_block

STEPS = 4000


def _pair(name: str, f: float):
    e = presets.get(name)
    m = e.factory()
    t, v = sine_drive(e.amplitude, f, 2, 400)
    step = float(t[-1]) / STEPS
    py = simulate_iv(m, e.x0, t, v, "python", max_step=step)
    sp = simulate_iv(m, e.x0, t, v, "ngspice", max_step=step)
    return m, py, sp


@pytest.mark.ngspice
@pytest.mark.parametrize("name", list(presets.CATALOGUE))
def test_twin_matches_behaviour_at_two_frequencies(name: str) -> None:
    e = presets.get(name)
    areas = []
    for f in e.frequencies:
        m, py, sp = _pair(name, f)
        d = compare(py, sp, m)
        assert d["current_rel"] < 0.01, (f, d)
        assert d["state_rel"] < 0.01, (f, d)
        # the state actually moves (otherwise the comparison would be vacuous)
        lo, hi = m.state_bounds
        excursion = float(py.state.max() - py.state.min())
        assert excursion / (hi - lo) > 0.004
        # and the engines agree to 1 % of that excursion, which a frozen twin could not do even
        # where the excursion is below 1 % of the range (TiOx at 200 Hz moves 0.8 % of it);
        # measured here: ~3e-5 of the excursion for every model
        assert d["state_abs"] < 0.01 * excursion, (f, d, excursion)
        # pinched: I = 0 wherever V = 0 (drive samples at the zero crossings), both engines
        zero = (py.voltage == 0.0) & (py.time >= sp.time[0])
        assert zero.sum() >= 4 and np.all(py.current[zero] == 0.0)
        i_sp = np.interp(py.time[zero], sp.time, sp.current)
        assert np.max(np.abs(i_sp)) < 1e-6 * np.max(np.abs(sp.current))
        areas.append((lobe_area(py), lobe_area(sp)))
    # normalised lobe area falls as the frequency rises (4x), on both engines
    assert areas[1][0] < areas[0][0] and areas[1][1] < areas[0][1], areas


@pytest.mark.ngspice
def test_linear_conductance_twin_is_a_resistor() -> None:
    m = LinearConductance()
    t, v = sine_drive(0.2, 1e3, 1, 100)
    py = simulate_iv(m, 2e-5, t, v, "python")
    sp = simulate_iv(m, 2e-5, t, v, "ngspice")
    assert compare(py, sp, m)["current_rel"] < 1e-4  # linear interpolation of ngspice points
    assert lobe_area(py) < 1e-12


@pytest.mark.ngspice
@pytest.mark.parametrize(
    ("name", "x0", "pulse"),
    [
        ("vteam_linear", 0.2, Pulse(1.0, 1e-6, rise=1e-8, fall=1e-8)),
        # the same state equation at 500x the resistance: the same state change, 500x less J
        ("vteam_highr", 0.2, Pulse(1.0, 1e-6, rise=1e-8, fall=1e-8)),
        ("hp_biolek", 0.1, Pulse(2.0, 0.2, rise=0.01, fall=0.02)),
        ("yakopcic", 0.11, Pulse(-0.4, 2e-3)),
        ("stanford_pku", 1.5e-9, Pulse(0.6, 1e-7, rise=1e-9, fall=1e-9)),
        ("tiox_data_driven", 12e3, Pulse(1.0, 1e-3)),
    ],
)
def test_pulse_energy_matches_ngspice(name: str, x0: float, pulse: Pulse) -> None:
    # Reference: trapezoidal ∫V·I dt over ngspice's own time points; tolerance 1 %.
    from thermolearn.energy import EnergyLedger

    m = presets.get(name).factory()
    led = EnergyLedger()
    res = program(m, x0, pulse, ledger=led)
    t, v = pulse.pwl()
    sp = simulate_iv(m, x0, t, v, "ngspice", max_step=pulse.duration / 4000)
    e_sp = sp.energy()
    assert float(res.energy_joules) == pytest.approx(e_sp, rel=0.01)
    assert led.total() == pytest.approx(float(res.energy_joules))
    lo, hi = m.state_bounds
    assert abs(float(res.x_new) - sp.state[-1]) / (hi - lo) < 0.01
    assert abs(float(res.x_new) - x0) / (hi - lo) > 0.01  # the pulse did program the device


@pytest.mark.ngspice
def test_diode_twin_dc_sweep() -> None:
    # Reference: ngspice level-1 diode with IS, N, RS at temp = tnom; rtol 1e-4 (ngspice's
    # gmin = 1e-12 S shunt is added back to the closed form).
    d = Diode(i_s=2e-14, n=1.3, r_s=15.0, temperature=300.15)
    lib = d.spice_library()
    net = "\n".join(
        [
            "diode sweep",
            lib,
            "V1 a 0 DC 0",
            "X1 a 0 " + lib.splitlines()[1].split()[1],
            ".options temp=27 tnom=27 reltol=1e-7 abstol=1e-18 vntol=1e-12",
            ".dc V1 -0.5 1.2 0.01",
            ".end",
        ]
    )
    r = run_netlist(net)
    v = r["v-sweep"] if "v-sweep" in r.vectors else r.voltage("a")
    i_sp = -r.current("v1")
    i_py = d.current(v) + 1e-12 * v
    np.testing.assert_allclose(i_sp, i_py, rtol=1e-4, atol=1e-16)


def test_every_template_renders_with_instance_parameters() -> None:
    # The parameters a model renders are exactly the template's (x0 set per instance).
    seen = set()
    for e in presets.CATALOGUE.values():
        m = e.factory()
        text = m.spice_library()
        assert text.splitlines()[1].startswith(f".subckt {m.subckt_name} p n params:")
        _, defaults, _ = subckt_block(m.spice_file, m.spice_name)
        assert set(defaults) - {"x0"} == set(m.spice_params())
        seen.add(m.spice_file)
    assert seen | {"linear_conductance.lib", "diode.lib"} == set(library_files())
    inst = presets.stanford_pku2014().spice_instance("9", "a", "b", 1.2e-9)
    assert inst.endswith("x0=1.2")  # the twin holds the gap in nm


@pytest.mark.parametrize(
    ("factory", "golden"),
    [
        (presets.kvatinsky2015, "vteam_kvatinsky2015.lib"),
        (presets.stanford_pku2014, "stanford_pku2014.lib"),
    ],
)
def test_rendered_twin_matches_golden_file(factory, golden: str) -> None:
    # Golden text checked in beside this test; the same text is run in ngspice above.
    path = Path(__file__).with_name("golden") / golden
    assert factory().spice_library() == path.read_text()
