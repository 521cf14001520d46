"""The thin ngspice runner against closed forms (divider, RC charging)."""

from __future__ import annotations

import math

import pytest

from thermolearn import SpiceError
from thermolearn.circuit.spice import runner as ngspice


@pytest.mark.ngspice
def test_divider_op() -> None:
    # Reference: V_out = V R2/(R1+R2) = 0.25 V; source current -V/(R1+R2) (SPICE sign).
    res = ngspice.run_netlist("div\nV1 in 0 DC 1\nR1 in out 3k\nR2 out 0 1k\n.op\n.end\n")
    assert res.voltage("out")[0] == pytest.approx(0.25, abs=1e-12)
    assert res.current("V1")[0] == pytest.approx(-1 / 4e3, rel=1e-9)


@pytest.mark.ngspice
def test_rc_transient_matches_closed_form() -> None:
    # Reference: v(t) = V(1 - exp(-t/RC)); tolerance 1e-3 V with a 1 ns max step (tau = 1 µs).
    res = ngspice.run_netlist(
        "rc\nV1 in 0 PWL(0 0 1p 1)\nR1 in out 1k\nC1 out 0 1n\n.tran 1n 3u 0 1n\n.end\n"
    )
    t, v = res["time"], res.voltage("out")
    k = len(t) // 2
    assert v[k] == pytest.approx(1 - math.exp(-(t[k] - 1e-12) / 1e-6), abs=1e-3)


@pytest.mark.ngspice
def test_bad_netlist_raises_spice_error() -> None:
    with pytest.raises(SpiceError):
        ngspice.run_netlist("bad\nR1 a 0 1k\nQ9 a b\n.op\n.end\n")


def test_missing_library_gives_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NGSPICE_LIBRARY_PATH", "/nonexistent/libngspice.so")
    monkeypatch.setattr(ngspice, "_INSTANCE", None)
    ok, reason = ngspice.available()
    assert not ok
    assert "apt-get install -y ngspice libngspice0 libngspice0-dev" in reason
    with pytest.raises(SpiceError, match="apt-get install"):
        ngspice.run_netlist("x\nR1 a 0 1\n.op\n.end\n")
