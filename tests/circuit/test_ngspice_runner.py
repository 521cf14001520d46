"""The thin ngspice runner against closed forms (divider, RC charging)."""

from __future__ import annotations

import math
from pathlib import Path

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


def test_library_path_finds_debian_runtime_soname(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    """Debian 12's libngspice0 (what `make ngspice` installs) ships only libngspice.so.0: the
    runner must return that file's absolute path, not ctypes' bare soname (session-6 CI on a
    fresh machine: the soname was exported as NGSPICE_LIBRARY_PATH and later processes took it
    for a missing file)."""
    lib = tmp_path / "libngspice.so.0"
    lib.write_bytes(b"")
    monkeypatch.delenv("NGSPICE_LIBRARY_PATH", raising=False)
    monkeypatch.setattr(ngspice.glob, "glob",
                        lambda pat: [str(lib)] if pat.endswith("libngspice.so.0") else [])
    monkeypatch.setattr(ngspice.ctypes.util, "find_library", lambda name: "libngspice.so.0")
    assert ngspice.library_path() == str(lib)


@pytest.mark.ngspice
def test_running_ngspice_exports_no_bare_library_name() -> None:
    """After a simulation in this process, NGSPICE_LIBRARY_PATH is unset or an existing file
    (subprocesses inherit it: tools/ngspice_setup.py and the device CLI treat it as a path)."""
    import os

    ngspice.run_netlist("divider\nV1 1 0 1\nR1 1 2 1k\nR2 2 0 1k\n.op\n.end\n")
    env = os.environ.get("NGSPICE_LIBRARY_PATH")
    assert env is None or (os.path.isabs(env) and os.path.exists(env)), env
