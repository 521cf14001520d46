"""Crossbar arrays: ideal VMM, transposed read, IR drop, energy, bad input, cross-checks."""

from __future__ import annotations

import numpy as np
import pytest

from thermolearn.circuit import operating_point
from thermolearn.crossbar import CrossbarArray, SignedCrossbarLayer
from thermolearn.crossbar.array_solver import CrossbarNetwork
from thermolearn.crossbar.mapping import ConductanceRange, quantize_conductance
from thermolearn.devices import VariabilityParams
from thermolearn.energy import EnergyLedger
from thermolearn.errors import ParameterError


def _array(
    rng: np.random.Generator, m: int, n: int, **kw: object
) -> tuple[CrossbarArray, np.ndarray]:
    xb = CrossbarArray(m, n, adc=False, dac=False, tia=False, c_wire=0.0, **kw)  # type: ignore[arg-type]
    g = rng.uniform(1e-6, 1e-4, (m, n))
    xb.program_conductances(g, verify=False)
    return xb, g


def test_ideal_read_is_exactly_GT_v(rng: np.random.Generator) -> None:
    """Reference: Ohm + Kirchhoff with ideal wires, I_col = G^T v (rounding only, 1e-15 rel)."""
    xb, g = _array(rng, 7, 5)
    v = rng.uniform(-0.2, 0.2, (11, 7))
    np.testing.assert_allclose(xb.read(v), v @ g, rtol=1e-13, atol=0)
    np.testing.assert_allclose(xb.conductances, g, rtol=1e-15)


def test_transposed_read_is_G_v(rng: np.random.Generator) -> None:
    """Reference: columns driven, rows at virtual ground: I_row = G v."""
    xb, g = _array(rng, 6, 4)
    v = rng.uniform(-0.2, 0.2, (3, 4))
    np.testing.assert_allclose(xb.read_transposed(v), v @ g.T, rtol=1e-13, atol=0)
    # the same holds through the full network solver with tiny line resistance (1e-6 rel)
    xw, _ = _array(np.random.default_rng(12345), 6, 4, r_wire=1e-6)
    xw.program_conductances(g, verify=False)
    np.testing.assert_allclose(xw.read_transposed(v), v @ g.T, rtol=1e-6)


def test_ir_drop_error_grows_with_r_wire_and_size() -> None:
    """Line resistance lowers the column currents; the relative error grows with R and size."""

    def err(n: int, r: float) -> float:
        rng = np.random.default_rng(3)
        xb, g = _array(rng, n, n, r_wire=r)
        v = np.full(n, 0.2)
        ideal = v @ g
        return float(np.max(np.abs(xb.read(v)[0] - ideal)) / np.max(np.abs(ideal)))

    e = [err(8, r) for r in (0.5, 2.0, 8.0)]
    assert e[0] > 0 and e[0] < e[1] < e[2]
    assert err(4, 2.0) < err(8, 2.0) < err(16, 2.0)


def test_read_energy_equals_sum_G_V2_t_ideal(rng: np.random.Generator) -> None:
    """Reference: Joule heating Σ_ij G_ij v_i² t_read (columns at 0 V), 1e-12 rel."""
    xb, g = _array(rng, 5, 6, t_read=20e-9)
    v = rng.uniform(-0.2, 0.2, (4, 5))
    xb.ledger.clear()
    xb.read(v)
    expected = float(np.sum(g[None] * v[:, :, None] ** 2)) * 20e-9
    assert xb.ledger.breakdown()["read"] == pytest.approx(expected, rel=1e-12)


def test_network_energy_is_tellegen_consistent(rng: np.random.Generator) -> None:
    """Source power = device + wire + terminal power (Tellegen), 1e-10 rel."""
    g = rng.uniform(1e-6, 1e-4, (6, 5))
    net = CrossbarNetwork(g, r_wire=3.0, row_r_term=np.full(6, 20.0), col_r_term=np.zeros(5))
    sol = net.solve(rng.uniform(-0.2, 0.2, (3, 6)), np.zeros(5))
    total = sol.p_device + sol.p_wire + sol.p_row_term.sum(1) + sol.p_col_term.sum(1)
    np.testing.assert_allclose(sol.p_source, total, rtol=1e-10)


@pytest.mark.parametrize(
    "kw",
    [
        {"r_wire": 2.0},
        {"r_wire": 2.0, "r_driver": 30.0, "readout": "sense", "r_sense": 500.0},
        {"r_wire": 0.0, "r_driver": 30.0},
        {"r_wire": 1.0, "cell": "1T1R"},
        {"r_wire": 1.0, "cell": "1S1R"},
    ],
)
def test_fast_solver_matches_circuit_engine(rng: np.random.Generator, kw: dict) -> None:
    """Reference: the general MNA engine on to_circuit(); every node within 1e-9 V."""
    xb, _ = _array(rng, 5, 4, **kw)
    v = rng.uniform(-0.2, 0.2, 5)
    sol = xb.solve(v)
    op = operating_point(xb.to_circuit(v))
    wired = xb.r_wire > 0
    for i in range(5):
        for j in range(4):
            r = f"r{i}_{j}" if wired else f"r{i}"
            c = f"c{i}_{j}" if wired else f"c{j}"
            assert abs(op.v(r) - sol.v_row[0, i, j]) < 1e-9
            assert abs(op.v(c) - sol.v_col[0, i, j]) < 1e-9
    if xb.readout == "tia":
        i_ckt = np.array([op.currents[f"VC{j}"] for j in range(4)])
        np.testing.assert_allclose(sol.i_col[0], i_ckt, rtol=1e-7, atol=1e-15)


def test_transposed_matches_circuit_engine(rng: np.random.Generator) -> None:
    """Transposed read vs the MNA engine on to_circuit(transposed=True), 1e-9 V."""
    xb, _ = _array(rng, 4, 6, r_wire=1.5, r_driver=10.0)
    v = rng.uniform(-0.2, 0.2, 6)
    sol = xb.solve(v, transposed=True)
    op = operating_point(xb.to_circuit(v_cols=v, transposed=True))
    for i in range(4):
        for j in range(6):
            assert abs(op.v(f"r{i}_{j}") - sol.v_row[0, i, j]) < 1e-9
    i_ckt = np.array([op.currents[f"VR{i}"] for i in range(4)])
    np.testing.assert_allclose(xb.read_transposed(v)[0], i_ckt, rtol=1e-7)


@pytest.mark.ngspice
@pytest.mark.parametrize("cell", ["1R", "1T1R", "1S1R"])
def test_fast_solver_matches_ngspice(rng: np.random.Generator, cell: str) -> None:
    """Reference: ngspice 39 on the exported netlist; every node within 1e-6 V."""
    xb, _ = _array(rng, 4, 4, r_wire=2.0, r_driver=10.0, cell=cell)
    v = rng.uniform(-0.2, 0.2, 4)
    sol = xb.solve(v)
    op = operating_point(xb.to_circuit(v), engine="ngspice")
    for i in range(4):
        for j in range(4):
            assert abs(op.v(f"r{i}_{j}") - sol.v_row[0, i, j]) < 1e-6
            assert abs(op.v(f"c{i}_{j}") - sol.v_col[0, i, j]) < 1e-6


def test_signed_layer_ideal_and_wired(rng: np.random.Generator) -> None:
    """Ideal arrays: matvec = x W^T and rmatvec = y W to rounding; r_wire>0 stays close."""
    w = rng.normal(size=(5, 8))
    layer = SignedCrossbarLayer(w)
    np.testing.assert_allclose(layer.weights, w, rtol=1e-12, atol=1e-12)
    x = rng.uniform(-1, 1, (3, 8))
    y = rng.uniform(-1, 1, (3, 5))
    np.testing.assert_allclose(layer.matvec(x), x @ w.T, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(layer.rmatvec(y), y @ w, rtol=1e-10, atol=1e-10)
    assert set(layer.ledger.breakdown()) >= {"read", "program", "adc", "dac"}
    wired = SignedCrossbarLayer(w, r_wire=1.0)
    err = np.max(np.abs(wired.matvec(x) - x @ w.T)) / np.max(np.abs(x @ w.T))
    assert 0 < err < 0.05
    wired.set_weights(-w)
    np.testing.assert_allclose(wired.weights, -w, rtol=1e-12, atol=1e-12)


def test_levels_quantise_conductance() -> None:
    """levels=3 on [1, 3] µS rounds to {1, 2, 3} µS."""
    g = quantize_conductance([0.5e-6, 1.4e-6, 1.6e-6, 2.9e-6, 5e-6], 1e-6, 3e-6, 3)
    np.testing.assert_allclose(g, [1e-6, 1e-6, 2e-6, 3e-6, 3e-6], rtol=1e-12)
    xb = CrossbarArray(2, 2, g_min=1e-6, g_max=3e-6, levels=3)
    got = xb.program_conductances(np.array([[1.4e-6, 1.6e-6], [2.2e-6, 2.9e-6]]))
    np.testing.assert_allclose(got, [[1e-6, 2e-6], [2e-6, 3e-6]], rtol=1e-12)


def test_bad_input_raises_parameter_error() -> None:
    xb = CrossbarArray(3, 2)
    with pytest.raises(ParameterError, match="v_rows"):
        xb.read(np.ones(4))
    with pytest.raises(ParameterError, match="v_cols"):
        xb.read_transposed(np.ones((2, 3)))
    with pytest.raises(ParameterError, match="'G'"):
        xb.program_conductances(np.ones((2, 3)) * 1e-5)
    with pytest.raises(ParameterError, match=">= 0 S"):
        xb.program_conductances(-np.ones((3, 2)))
    with pytest.raises(ParameterError, match="levels"):
        CrossbarArray(2, 2, levels=1)
    with pytest.raises(ParameterError, match="levels"):
        ConductanceRange(levels=1)
    with pytest.raises(ParameterError, match="r_wire"):
        CrossbarArray(2, 2, r_wire=-1.0)
    with pytest.raises(ParameterError, match="cell"):
        CrossbarArray(2, 2, cell="2R")
    with pytest.raises(ParameterError, match="g_max"):
        CrossbarArray(2, 2, g_min=1e-4, g_max=1e-6)
    with pytest.raises(ParameterError, match="g_cell"):
        CrossbarNetwork(-np.ones((2, 2)), row_r_term=np.zeros(2), col_r_term=np.zeros(2))
    with pytest.raises(ParameterError, match="row_r_term"):
        CrossbarNetwork(np.ones((2, 2)), row_r_term=np.zeros(3), col_r_term=np.zeros(2))
    with pytest.raises(ParameterError, match="floating"):
        CrossbarNetwork(np.zeros((2, 2)), row_r_term=np.full(2, np.inf), col_r_term=np.zeros(2))
    with pytest.raises(ParameterError, match="W"):
        SignedCrossbarLayer(np.ones(3))
    layer = SignedCrossbarLayer(np.ones((2, 3)))
    with pytest.raises(ParameterError, match="'x'"):
        layer.matvec(np.ones(2))
    with pytest.raises(ParameterError, match="'W'"):
        layer.set_weights(np.ones((3, 2)))


def test_shared_ledger_and_periphery_booked() -> None:
    """A shared ledger receives the converter energies: B·rows DAC and B·cols ADC conversions."""
    led = EnergyLedger()
    xb = CrossbarArray(3, 4, ledger=led)
    led.clear()
    xb.read(np.full((5, 3), 0.1))
    counts = led.counts()
    assert counts["dac"] == 15 and counts["adc"] == 20
    assert led.breakdown()["adc"] == pytest.approx(20 * xb.adc.energy_per_conversion)


@pytest.mark.parametrize("cell", ["1R", "1T1R"])
def test_line_schur_response_matches_sparse_solver(rng: np.random.Generator, cell: str) -> None:
    """The cached line-Schur response (reads) equals the sparse LU solve (solve()) to 1e-10
    relative in currents and in every booked energy category."""
    kw = {"r_wire": 1.5, "r_driver": 20.0, "readout": "sense", "r_sense": 200.0, "cell": cell}
    xb, _ = _array(rng, 9, 6, **kw)
    for transposed in (False, True):
        v = rng.uniform(-0.2, 0.2, (5, 6 if transposed else 9))
        sol = xb.solve(v, transposed=transposed)
        xb.ledger.clear()
        out = xb.read_transposed(v) if transposed else xb.read(v)
        ref = sol.i_row if transposed else sol.i_col
        np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-10 * np.max(np.abs(ref)))
        led = xb.ledger.breakdown()
        t = xb.t_read
        cells = float(np.sum(sol.p_device)) * t
        assert led["read"] + led.get("access", 0.0) == pytest.approx(cells, rel=1e-10)
        assert led["wire"] == pytest.approx(float(np.sum(sol.p_wire)) * t, rel=1e-10)
        p_in, p_out = (
            (sol.p_col_term, sol.p_row_term) if transposed else (sol.p_row_term, sol.p_col_term)
        )
        assert led["driver"] == pytest.approx(float(np.sum(p_in)) * t, rel=1e-10)
        assert led["sense"] == pytest.approx(float(np.sum(p_out)) * t, rel=1e-10)


def test_1t1r_ideal_energy_split(rng: np.random.Generator) -> None:
    """Series memristor + transistor: I = v/(1/G + r_on); the memristor dissipates I²/G and
    the transistor I² r_on (closed form, 1e-12 rel)."""
    xb, g = _array(rng, 4, 3, cell="1T1R", r_access=2e3)
    v = rng.uniform(-0.2, 0.2, (2, 4))
    xb.ledger.clear()
    out = xb.read(v)
    i_cell = v[:, :, None] / (1.0 / g[None] + 2e3)
    np.testing.assert_allclose(out, i_cell.sum(axis=1), rtol=1e-12)
    led = xb.ledger.breakdown()
    t = xb.t_read
    assert led["read"] == pytest.approx(float(np.sum(i_cell**2 / g[None])) * t, rel=1e-12)
    assert led["access"] == pytest.approx(float(np.sum(i_cell**2 * 2e3)) * t, rel=1e-9)


def test_line_charging_is_booked_once() -> None:
    """Charging a driven line of N segments of c_wire to v costs C V² per pulse (charge plus
    discharge, closed form); with the default DAC it must appear once, under "wire", and the
    DAC books only its converter core (fom 2^bits per conversion). Exact to 1e-12."""
    led = EnergyLedger()
    c = 1e-15
    xb = CrossbarArray(3, 4, ledger=led, c_wire=c, adc=False, tia=False)
    led.clear()
    v = np.full((5, 3), 0.1)
    xb.read(v)
    rows = {(r["category"], r["source"]): r["joules"] for r in led.rows()}
    assert rows[("wire", "model")] == pytest.approx(c * 4 * float(np.sum(v**2)), rel=1e-12)
    assert rows[("dac", "model")] == pytest.approx(15 * xb.dac.fom * 2.0**xb.dac.bits, rel=1e-12)


def test_write_verify_books_its_corrective_pulse() -> None:
    """With cycle-to-cycle noise, program_conductances(verify=True) applies a corrective pulse
    after the verify read; its energy must be booked. Closed form of the pulse model (one
    1x1 cell, no half-selected neighbours): E = V_p² t_p (g_mid + g_new) + v_read² t_read g_new,
    exact to 1e-12; without verify, E = V_p² t_p g_mid."""
    from thermolearn.devices.variability import VariabilityParams

    for verify in (False, True):
        xb = CrossbarArray(1, 1, variability=VariabilityParams(c2c_floor=1e-3))
        g_old = float(xb.conductances[0, 0])
        xb.ledger.clear()
        g_new = float(xb.program_conductances(np.array([[5e-5]]), verify=verify)[0, 0])
        g_mid = 0.5 * (g_old + g_new)
        e_pulse = xb.v_program**2 * xb.t_program
        expected = e_pulse * g_mid
        if verify:
            expected += e_pulse * g_new + xb.v_read**2 * xb.t_read * g_new
        assert xb.ledger.breakdown()["program"] == pytest.approx(expected, rel=1e-12)


def test_signed_layer_books_converters_once_per_line() -> None:
    # A differential pair shares drivers and subtracts currents before one TIA/ADC per output:
    # a batch of B reads of an (out, in) layer books B*in DAC and B*out ADC conversions.
    from thermolearn.crossbar import SignedCrossbarLayer

    layer = SignedCrossbarLayer(np.array([[1.0, -0.5, 0.2], [0.0, 0.3, -1.0]]))
    layer.ledger.clear()
    layer.matvec(np.ones((4, 3)))
    counts = layer.ledger.counts()
    assert counts["dac"] == 4 * 3
    assert counts["adc"] == 4 * 2


def test_signed_layer_rewrites_only_changed_weights_under_write_noise() -> None:
    """With cycle-to-cycle write noise, re-programming a layer with one changed weight writes
    that weight's cell only: the other cells keep their state (and their write error), and
    the programming energy is that of one cell (a controller knows which weights changed)."""
    w = np.array([[0.5, -0.25, 0.75], [0.1, 0.9, -0.6]])
    layer = SignedCrossbarLayer(
        w, variability=VariabilityParams(c2c_sigma=0.05), rng=np.random.default_rng(1)
    )
    before = layer.weights.copy()
    w2 = w.copy()
    w2[1, 2] = -0.3
    layer.ledger.clear()
    layer.set_weights(w2)
    after = layer.weights
    keep = np.ones_like(w, dtype=bool)
    keep[1, 2] = False
    np.testing.assert_array_equal(after[keep], before[keep])
    assert abs(after[1, 2] - before[1, 2]) > 0.1
    counts = layer.ledger.counts()
    assert counts["program"] == 1  # the weight stays negative: only its G- cell is rewritten
