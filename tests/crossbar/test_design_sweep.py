"""Crossbar design sweep, Elmore latency, and the crossbar / netlist CLI commands."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from thermolearn.circuit import operating_point, parse_netlist
from thermolearn.cli import main
from thermolearn.crossbar.design import elmore_delay, evaluate
from thermolearn.errors import ParameterError
from thermolearn.experiments.design_study import run_design_sweep


def test_elmore_delay_closed_form() -> None:
    """Elmore (1948): tau = r_d n c + r c n(n+1)/2; n=1 -> (r_d + r) c, exact."""
    assert elmore_delay(1, 2.0, 3e-15, 5.0) == pytest.approx(7.0 * 3e-15, rel=1e-15)
    assert elmore_delay(10, 1.0, 1e-15) == pytest.approx(55e-15, rel=1e-15)
    with pytest.raises(ParameterError):
        elmore_delay(0, 1.0, 1e-15)


def test_sweep_trends_and_outputs(tmp_path: Path) -> None:
    """IR error 0 for ideal wires and grows with r_wire and size; access transistors cut the
    sneak-path error by orders of magnitude (Chen 2013); JSON and both plots written."""
    res = run_design_sweep(
        [(4, 4), (8, 8)], [0.0, 2.0], cells=("1R", "1T1R"), vectors=4, out_dir=tmp_path
    )
    pts = {(p["cell"], p["rows"], p["r_wire"]): p for p in res["points"]}
    assert pts[("1R", 8, 0.0)]["ir_drop_error"] < 1e-14
    assert 0 < pts[("1R", 4, 2.0)]["ir_drop_error"] < pts[("1R", 8, 2.0)]["ir_drop_error"]
    assert (
        pts[("1T1R", 8, 2.0)]["sneak_path_error"] < 1e-2 * pts[("1R", 8, 2.0)]["sneak_path_error"]
    )
    assert pts[("1R", 8, 2.0)]["read_latency"] == pytest.approx(
        2.2 * (elmore_delay(8, 2.0, 1e-16) * 2), rel=1e-12
    )
    assert all(p["energy_per_mac"] > 0 for p in res["points"])
    data = json.loads((tmp_path / "design.json").read_text())
    assert len(data["points"]) == 8
    assert (tmp_path / "error_vs_size.png").stat().st_size > 1000
    assert (tmp_path / "cell_voltage_heatmap.png").stat().st_size > 1000


def test_evaluate_cell_voltage_map_shows_ir_drop() -> None:
    """The far corner (row 0, last column is far from the row driver; row 0 far from the
    column TIA) sees less than v_read, the near corner the most."""
    _, vmap = evaluate(6, 6, 5.0, vectors=2)
    assert np.all(vmap < 0.2)
    assert vmap[-1, 0] > vmap[0, -1]


def test_crossbar_design_cli(tmp_path: Path) -> None:
    rc = main(
        [
            "crossbar",
            "design",
            "--rows",
            "4",
            "6",
            "--r-wire",
            "0",
            "1",
            "--vectors",
            "2",
            "--out",
            str(tmp_path),
        ]
    )
    assert rc == 0
    assert len(json.loads((tmp_path / "design.json").read_text())["points"]) == 4
    assert (
        main(["crossbar", "design", "--rows", "4", "--device", "nope", "--out", str(tmp_path)]) == 2
    )


def test_netlist_export_crossbar_roundtrip(tmp_path: Path) -> None:
    """Exported netlist re-imported and solved by the MNA engine equals the fast solver
    (same seed rebuilds the same array), 1e-9 V on every node."""
    from thermolearn.crossbar import CrossbarArray

    out = tmp_path / "xb.cir"
    assert (
        main(
            [
                "netlist",
                "export",
                "crossbar",
                "--rows",
                "4",
                "--cols",
                "3",
                "--r-wire",
                "2.5",
                "--seed",
                "7",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    ckt = parse_netlist(out.read_text(), source=str(out)).circuit
    op = operating_point(ckt)
    rng = np.random.default_rng(7)
    xb = CrossbarArray(4, 3, r_wire=2.5, rng=rng)
    xb.program_conductances(rng.uniform(1e-6, 1e-4, (4, 3)), verify=False)
    v = rng.uniform(-0.2, 0.2, 4)
    sol = xb.solve(v)
    for i in range(4):
        for j in range(3):
            assert abs(op.v(f"r{i}_{j}") - sol.v_row[0, i, j]) < 1e-9
            assert abs(op.v(f"c{i}_{j}") - sol.v_col[0, i, j]) < 1e-9


def test_device_range_matches_the_arrays_read_voltage() -> None:
    """The design window of a nonlinear device (Stanford-PKU, sinh I-V) is its chord conductance
    at the array's v_read: programming g_min and g_max must reach them (closed form: the
    bisection of CrossbarArray inverts the same chord law; tolerance 1e-6 relative). At the old
    fixed 0.1 V window the chord at 0.2 V differs by sinh(0.8)/0.2 / (sinh(0.4)/0.1) = 8 %.
    """
    from thermolearn.crossbar import CrossbarArray
    from thermolearn.crossbar.design import device_range

    model, g_lo, g_hi = device_range("stanford_pku", 0.2)
    xb = CrossbarArray(1, 2, device=model, g_min=g_lo, g_max=g_hi, v_read=0.2)
    got = xb.program_conductances(np.array([[g_lo, g_hi]]), verify=False)
    assert got == pytest.approx(np.array([[g_lo, g_hi]]), rel=1e-6)
