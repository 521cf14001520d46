"""The ``erase`` and ``demon`` commands write metrics.json and plots (small runs)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from thermolearn.cli import main


def test_erase_command(tmp_path: Path) -> None:
    rc = main(["erase", "--out", str(tmp_path), "--n", "400", "--taus", "4", "8", "16",
               "--threads", "1"])
    assert rc == 0
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert (tmp_path / "erasure.png").stat().st_size > 10_000
    assert len(m["runs"]) == 3 and len(m["controls"]) == 3
    assert all(r["mean_heat"] > r["bound"] for r in m["runs"])  # second law, every tau
    # The fit Q = Q_inf + B/tau, recomputed independently (numpy weighted polyfit on the runs'
    # mean heats and standard errors; tolerance 1e-9 relative), and its offset from the
    # Landauer value ln 2 = 0.6931471805599453 (16 digits, a literal reference).
    tau = np.array([r["tau"] for r in m["runs"]])
    q = np.array([r["mean_heat"] for r in m["runs"]])
    se = np.array([r["se_heat"] for r in m["runs"]])
    b, q_inf = np.polyfit(1.0 / tau, q, 1, w=1.0 / se)
    assert m["fit"]["q_inf_kT"] == pytest.approx(q_inf, rel=1e-9)
    assert m["fit"]["b_kT_tau0"] == pytest.approx(b, rel=1e-9)
    assert m["fit"]["q_inf_minus_ln2_kT"] == pytest.approx(q_inf - 0.6931471805599453, abs=1e-12)
    assert "bias_kT" in m["discretisation_bias"]


def test_demon_command(tmp_path: Path) -> None:
    rc = main(["demon", "--out", str(tmp_path), "--n", "400", "--eps", "0.1", "0.5",
               "--tau", "8", "--threads", "1", "--n-jarzynski", "2000"])
    assert rc == 0
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert (tmp_path / "demon.png").exists()
    assert [r["epsilon"] for r in m["runs"]] == [0.1, 0.5]
    assert m["below_bound_every_eps"]
    assert len(m["jarzynski_harmonic"]) == 2 and "mean_x2" in m["equilibrium_harmonic"]
